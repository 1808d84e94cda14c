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

use rustc_hash::FxHashMap;
use xxhash_rust::xxh3::{xxh3_128, xxh3_64};

/// The low half of the id's 128-bit XXH3: ids only need to differ within
/// one customer, and stores written with the whole 128 bits read the same.
pub(crate) fn id_key(id: &str) -> u64 {
    xxh3_128(id.as_bytes()) as u64
}

pub(crate) fn customer_key(customer: &str) -> u64 {
    xxh3_64(customer.as_bytes())
}

#[derive(Default)]
pub(crate) struct SeenIds {
    /// (id key, customer key) → event time: 24 bytes an id.
    map: FxHashMap<(u64, u64), i64>,
}

impl SeenIds {
    /// Whether `id` was seen within `horizon` of `time`; remembers it
    /// otherwise. Ids older than `floor` are forgotten now and then.
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
        let key = (id_key(id), customer_key(customer));
        if let Some(t) = self.map.get(&key) {
            if (time - *t).abs() <= horizon {
                return true;
            }
        }
        // Amortised over as many insertions as the map holds.
        if self.map.len() >= 1024 && self.map.len().is_power_of_two() {
            self.map.retain(|_, t| *t >= floor);
        }
        self.map.insert(key, time);
        false
    }

    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.map.len()
    }

    /// (id key, time, customer key), for a checkpoint.
    pub(crate) fn entries(&self) -> Vec<(u128, i64, u64)> {
        self.map
            .iter()
            .map(|((k, c), t)| (u128::from(*k), *t, *c))
            .collect()
    }

    pub(crate) fn restore(entries: Vec<(u128, i64, u64)>) -> SeenIds {
        SeenIds {
            map: entries
                .into_iter()
                .map(|(k, t, c)| ((k as u64, c), t))
                .collect(),
        }
    }
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
}
