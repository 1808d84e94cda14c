//! Each event's position among its customer's events with the same
//! timestamp (part of the action id of an event without an `id`).
//!
//! Events are applied in time order, so only the current instant's counts
//! are kept. Most instants hold one or two events: a short list answers
//! them without hashing the customer id; an instant with many events (a
//! batch import stamped with one time) moves to a hash map, so it never
//! costs O(n²).

use std::sync::Arc;

use rustc_hash::FxHashMap;

/// Beyond this many customers at one instant, the hash map.
const SHORT: usize = 8;

#[derive(Debug)]
pub(crate) struct Positions {
    at: i64,
    short: Vec<(Arc<str>, u32)>,
    many: FxHashMap<Arc<str>, u32>,
}

impl Default for Positions {
    fn default() -> Positions {
        Positions {
            at: i64::MIN,
            short: Vec::new(),
            many: FxHashMap::default(),
        }
    }
}

impl Positions {
    /// The position of the next event of `customer` at `time`; `time`
    /// never goes back.
    pub(crate) fn next(&mut self, customer: &Arc<str>, time: i64) -> u32 {
        if time != self.at {
            self.short.clear();
            self.many.clear();
            self.at = time;
        }
        let found = self
            .short
            .iter()
            .position(|(c, _)| Arc::ptr_eq(c, customer) || **c == **customer);
        let n = match found {
            Some(i) => &mut self.short[i].1,
            None if self.short.len() < SHORT => {
                self.short.push((customer.clone(), 0));
                let last = self.short.len() - 1;
                &mut self.short[last].1
            }
            None => self.many.entry(customer.clone()).or_insert(0),
        };
        *n += 1;
        *n - 1
    }

    /// The instant and its counts, for a checkpoint.
    pub(crate) fn entries(&self) -> (i64, Vec<(Arc<str>, u32)>) {
        let short = self.short.iter().map(|(c, n)| (c, n));
        let all = short.chain(&self.many);
        (self.at, all.map(|(c, n)| (c.clone(), *n)).collect())
    }

    pub(crate) fn restore(at: i64, entries: Vec<(Arc<str>, u32)>) -> Positions {
        let mut p = Positions {
            at,
            ..Positions::default()
        };
        for (c, n) in entries {
            if p.short.len() < SHORT {
                p.short.push((c, n));
            } else {
                p.many.insert(c, n);
            }
        }
        p
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_count_per_customer_within_one_instant() {
        let mut p = Positions::default();
        let ids: Vec<Arc<str>> = (0..20).map(|i| Arc::from(format!("c{i}"))).collect();
        // Twenty customers (beyond the short list), three events each.
        for round in 0..3 {
            for c in &ids {
                assert_eq!(p.next(c, 5), round);
            }
        }
        // The same id in another allocation is the same customer.
        assert_eq!(p.next(&Arc::from("c0"), 5), 3);
        assert_eq!(p.next(&Arc::from("c19"), 5), 3);
        // A new instant starts over.
        assert_eq!(p.next(&ids[0], 6), 0);
    }

    #[test]
    fn a_checkpoint_restores_the_counts() {
        let mut p = Positions::default();
        let ids: Vec<Arc<str>> = (0..12).map(|i| Arc::from(format!("c{i}"))).collect();
        for c in &ids {
            p.next(c, 9);
        }
        let (at, entries) = p.entries();
        let mut q = Positions::restore(at, entries);
        for c in &ids {
            assert_eq!(q.next(c, 9), 1);
        }
    }
}
