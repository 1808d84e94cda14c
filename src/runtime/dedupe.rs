//! Event ids seen within the dedupe horizon (`[runtime] dedupe_horizon`).
//!
//! Every event with an id lands here, so the memory is keyed by hashes, not
//! by the ids: 24 bytes an id, no allocation, and no event or customer id
//! kept in memory or in the state store. An id repeats only for the same
//! customer, so the key is the customer's 64-bit XXH3 with 64 bits of the
//! id's XXH3: two ids of one customer share a key with odds of about
//! n²/2⁶⁵ for n ids of that customer within the horizon (10⁻¹³ for ten
//! thousand), and `trig state forget` drops a customer's ids by the
//! customer's half. XXH3 is a fixed algorithm, so a store written by one
//! build reads the same in the next.

use xxhash_rust::xxh3::{xxh3_128, xxh3_64};

/// The low half of the id's 128-bit XXH3: ids only need to differ within
/// one customer, and stores written with the whole 128 bits read the same.
pub(crate) fn id_key(id: &str) -> u64 {
    xxh3_128(id.as_bytes()) as u64
}

pub(crate) fn customer_key(customer: &str) -> u64 {
    xxh3_64(customer.as_bytes())
}

/// An open-addressed table (linear probing) of (id key, customer key) →
/// event time. Ids leave it lazily: a slot whose time fell below the
/// horizon's floor is taken by the next insertion that probes past it;
/// when live and expired slots together fill 7/8 of the table, the
/// expired ones are removed in place, and only if the live ones still fill
/// 5/8 of it does it grow. No tombstones, no second table at the same
/// size: a general hash map with deletions rehashed the whole table in
/// place every time its tombstones used up the free slots, a tenth of a
/// run's time on a stream of unique ids.
pub(crate) struct SeenIds {
    slots: Vec<Slot>,
    /// Slots not empty (live or expired).
    used: usize,
    /// Ids older than this are forgotten (the latest floor given).
    floor: i64,
}

#[derive(Clone, Copy)]
struct Slot {
    id: u64,
    customer: u64,
    /// `EMPTY` for a slot never used.
    time: i64,
}

const EMPTY: i64 = i64::MIN;
const FREE: Slot = Slot {
    id: 0,
    customer: 0,
    time: EMPTY,
};
const MIN_SLOTS: usize = 1024;

impl Default for SeenIds {
    fn default() -> SeenIds {
        SeenIds {
            slots: Vec::new(),
            used: 0,
            floor: EMPTY,
        }
    }
}

impl SeenIds {
    /// Whether `id` was seen within `horizon` of `time`; remembers it
    /// otherwise. Ids older than `floor` (which never goes back) are
    /// forgotten.
    pub(crate) fn check(
        &mut self,
        id: &str,
        customer: &str,
        time: i64,
        horizon: i64,
        floor: i64,
    ) -> bool {
        // An id repeats only for the same customer: the same id on two
        // customers is two events (a run partitioned by customer sees them
        // on different threads, so it could not tell otherwise).
        let (id, customer) = (id_key(id), customer_key(customer));
        self.floor = self.floor.max(floor);
        if self.used + 1 > self.slots.len() / 8 * 7 {
            self.grow();
        }
        let mask = self.slots.len() - 1;
        let mut i = start(id, customer, mask);
        let mut reusable = None;
        loop {
            let slot = self.slots[i];
            if slot.time == EMPTY {
                break;
            }
            if slot.id == id && slot.customer == customer {
                // Forgotten or not, the slot is this id's: a repeat within
                // the horizon is a duplicate; otherwise it is seen anew.
                if slot.time >= self.floor && (time - slot.time).abs() <= horizon {
                    return true;
                }
                self.slots[i].time = time;
                return false;
            }
            if slot.time < self.floor && reusable.is_none() {
                reusable = Some(i);
            }
            i = (i + 1) & mask;
        }
        let at = reusable.unwrap_or_else(|| {
            self.used += 1;
            i
        });
        self.slots[at] = Slot { id, customer, time };
        false
    }

    /// Makes room: expired ids leave first (in place); if the live ones
    /// still fill more than 5/8 of the table, it doubles. (Between the
    /// two, at least 1/4 of the table is taken before the next purge, so
    /// purging costs at most four slot visits an insertion.)
    fn grow(&mut self) {
        self.purge();
        if !self.slots.is_empty() && self.used <= self.slots.len() / 8 * 5 {
            return;
        }
        let old = std::mem::replace(&mut self.slots, vec![FREE; size_for(self.used)]);
        self.used = 0;
        // The purge left only live ids.
        for s in old.into_iter().filter(|s| s.time != EMPTY) {
            self.place(s);
        }
    }

    /// Removes the expired ids, shifting back the ids probed past them so
    /// that every id stays reachable from its start (Knuth's algorithm R
    /// for linear probing).
    fn purge(&mut self) {
        let mut i = 0;
        while i < self.slots.len() {
            let t = self.slots[i].time;
            if t != EMPTY && t < self.floor {
                self.remove_at(i);
                // Another id may have moved into `i`: look at it again.
                continue;
            }
            i += 1;
        }
    }

    fn remove_at(&mut self, mut hole: usize) {
        let mask = self.slots.len() - 1;
        self.used -= 1;
        let mut j = hole;
        loop {
            self.slots[hole] = FREE;
            loop {
                j = (j + 1) & mask;
                let s = self.slots[j];
                if s.time == EMPTY {
                    return;
                }
                // The id at `j` may fill the hole unless it starts in the
                // cyclic interval (hole, j].
                let k = start(s.id, s.customer, mask);
                let stays = if hole <= j {
                    hole < k && k <= j
                } else {
                    hole < k || k <= j
                };
                if !stays {
                    break;
                }
            }
            self.slots[hole] = self.slots[j];
            hole = j;
        }
    }

    /// Adds an id known not to be in the table.
    fn place(&mut self, s: Slot) {
        let mask = self.slots.len() - 1;
        let mut i = start(s.id, s.customer, mask);
        while self.slots[i].time != EMPTY {
            i = (i + 1) & mask;
        }
        self.slots[i] = s;
        self.used += 1;
    }

    fn live(&self) -> impl Iterator<Item = Slot> + '_ {
        let floor = self.floor;
        self.slots
            .iter()
            .copied()
            .filter(move |s| s.time != EMPTY && s.time >= floor)
    }

    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.live().count()
    }

    /// (id key, time, customer key), for a checkpoint.
    pub(crate) fn entries(&self) -> Vec<(u128, i64, u64)> {
        self.live()
            .map(|s| (u128::from(s.id), s.time, s.customer))
            .collect()
    }

    pub(crate) fn restore(entries: Vec<(u128, i64, u64)>) -> SeenIds {
        let mut seen = SeenIds {
            slots: vec![FREE; size_for(entries.len())],
            ..SeenIds::default()
        };
        for (id, time, customer) in entries {
            let s = Slot {
                id: id as u64,
                customer,
                time,
            };
            // A checkpoint holds each id once; a hand-edited one might not.
            if !seen.holds(&s) && time != EMPTY {
                seen.place(s);
            }
        }
        seen
    }

    fn holds(&self, s: &Slot) -> bool {
        let mask = self.slots.len() - 1;
        let mut i = start(s.id, s.customer, mask);
        while self.slots[i].time != EMPTY {
            if self.slots[i].id == s.id && self.slots[i].customer == s.customer {
                return true;
            }
            i = (i + 1) & mask;
        }
        false
    }
}

/// Slots for `live` ids: at most 5/8 full.
fn size_for(live: usize) -> usize {
    (live / 5 * 8 + 8).max(MIN_SLOTS).next_power_of_two()
}

/// Where an id's probe starts: both keys are XXH3 outputs, already mixed.
fn start(id: u64, customer: u64, mask: usize) -> usize {
    (id ^ customer.rotate_left(29)) as usize & mask
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_repeat_within_the_horizon_is_seen_and_one_beyond_it_is_not() {
        let mut seen = SeenIds::default();
        assert!(!seen.check("e1", "c1", 0, 100, i64::MIN));
        assert!(seen.check("e1", "c1", 100, 100, i64::MIN));
        assert!(!seen.check("e2", "c1", 100, 100, i64::MIN));
        assert!(!seen.check("e1", "c1", 201, 100, i64::MIN));
        assert_eq!(seen.len(), 2);
    }

    #[test]
    fn an_id_repeats_only_for_the_same_customer() {
        let mut seen = SeenIds::default();
        assert!(!seen.check("e1", "c1", 0, 100, i64::MIN));
        assert!(!seen.check("e1", "c2", 10, 100, i64::MIN));
        assert!(seen.check("e1", "c1", 20, 100, i64::MIN));
        assert!(seen.check("e1", "c2", 20, 100, i64::MIN));
    }

    #[test]
    fn old_ids_are_forgotten_as_the_map_grows() {
        let mut seen = SeenIds::default();
        for i in 0..5000 {
            seen.check(&format!("e{i}"), "c", i, 10, i - 10);
        }
        assert!(seen.len() < 5000, "{} ids kept", seen.len());
        assert!(!seen.check("e0", "c", 5000, 10, 4990));
    }

    #[test]
    fn expired_slots_are_reused_so_a_steady_stream_does_not_grow_the_table() {
        let mut seen = SeenIds::default();
        for i in 0..100_000i64 {
            assert!(!seen.check(&format!("e{i}"), "c", i, 100, i - 100));
        }
        // About 100 ids are live at a time: the table stays near its
        // smallest size instead of holding all 100,000.
        assert!(
            seen.slots.len() <= 4 * MIN_SLOTS,
            "{} slots",
            seen.slots.len()
        );
        assert!(seen.len() <= 101);
        // The live ones are still found, from the table and a restore.
        assert!(seen.check("e99999", "c", 100_000, 100, 99_900));
        let mut restored = SeenIds::restore(seen.entries());
        assert!(restored.check("e99950", "c", 100_000, 100, 99_900));
        assert!(!restored.check("e10", "c", 100_000, 100, 99_900));
    }

    #[test]
    fn many_live_ids_grow_the_table_and_all_stay_found() {
        let mut seen = SeenIds::default();
        for i in 0..20_000 {
            assert!(!seen.check(&format!("e{i}"), &format!("c{}", i % 7), 0, 1000, -1000));
        }
        assert_eq!(seen.len(), 20_000);
        for i in (0..20_000).step_by(97) {
            assert!(seen.check(&format!("e{i}"), &format!("c{}", i % 7), 1, 1000, -999));
        }
    }

    /// The table against a plain map of the same rule, over a long random
    /// stream with repeats, many expiries, purges and growths.
    #[test]
    fn agrees_with_a_plain_map_through_purges_and_growth() {
        let mut seen = SeenIds::default();
        let mut model: std::collections::HashMap<(u64, u64), i64> = Default::default();
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        let horizon = 500;
        for step in 0..200_000i64 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            // Thousands of ids over three customers: repeats within and
            // beyond the horizon.
            let (id, customer) = (format!("e{}", x % 30_000), format!("c{}", (x >> 20) % 3));
            let time = step / 4;
            let floor = time - horizon;
            let key = (id_key(&id), customer_key(&customer));
            let expected = model
                .get(&key)
                .is_some_and(|t| *t >= floor && (time - t).abs() <= horizon);
            if !expected {
                model.insert(key, time);
            }
            assert_eq!(
                seen.check(&id, &customer, time, horizon, floor),
                expected,
                "step {step}"
            );
        }
    }
}
