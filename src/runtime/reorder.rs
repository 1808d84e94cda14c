//! The reorder buffer: events read but not applied yet (they are within
//! `allowed_lateness` of the newest), handed out in (time, arrival) order.
//!
//! Real streams are nearly in order, so the buffer is a sorted deque that
//! an in-order event joins at the back in O(1), and that a slightly late
//! one joins a few places from the back. An event that would land deeper
//! than `NEAR` places goes to a heap instead: a stream in reverse order
//! (hostile, or a file sorted the wrong way) costs O(log n) an event, never
//! O(n). Popping takes the smaller front of the two.

use std::cmp::{Ordering, Reverse};
use std::collections::{BinaryHeap, VecDeque};

use super::event::Event;

/// How far from the back an insertion may shift the deque.
const NEAR: usize = 32;

pub(crate) struct Buffered {
    pub(crate) event: Event,
    pub(crate) arrival: u64,
}

impl Buffered {
    fn key(&self) -> (i64, u64) {
        (self.event.time, self.arrival)
    }
}

impl PartialEq for Buffered {
    fn eq(&self, o: &Self) -> bool {
        self.key() == o.key()
    }
}
impl Eq for Buffered {}
impl PartialOrd for Buffered {
    fn partial_cmp(&self, o: &Self) -> Option<Ordering> {
        Some(self.cmp(o))
    }
}
impl Ord for Buffered {
    fn cmp(&self, o: &Self) -> Ordering {
        self.key().cmp(&o.key())
    }
}

#[derive(Default)]
pub(crate) struct ReorderBuffer {
    sorted: VecDeque<Buffered>,
    stragglers: BinaryHeap<Reverse<Buffered>>,
}

impl ReorderBuffer {
    /// Adds an event; `arrival` must grow from call to call.
    pub(crate) fn push(&mut self, event: Event, arrival: u64) {
        let item = Buffered { event, arrival };
        let time = item.event.time;
        // Equal times keep arrival order: the newcomer goes after them, so
        // it skips back only over later times (none, for an in-order one).
        let later = self
            .sorted
            .iter()
            .rev()
            .take(NEAR)
            .take_while(|b| b.event.time > time)
            .count();
        let at = self.sorted.len() - later;
        if later == 0 {
            self.sorted.push_back(item);
        } else if later == NEAR && at > 0 {
            self.stragglers.push(Reverse(item));
        } else {
            self.sorted.insert(at, item);
        }
    }

    /// The time of the next event out.
    pub(crate) fn peek_time(&self) -> Option<i64> {
        self.front().map(|b| b.event.time)
    }

    fn front(&self) -> Option<&Buffered> {
        match (self.sorted.front(), self.stragglers.peek()) {
            (Some(a), Some(Reverse(b))) => Some(if a <= b { a } else { b }),
            (a, b) => a.or(b.map(|Reverse(b)| b)),
        }
    }

    /// The event with the smallest (time, arrival).
    pub(crate) fn pop(&mut self) -> Option<Buffered> {
        let from_heap = match (self.sorted.front(), self.stragglers.peek()) {
            (Some(a), Some(Reverse(b))) => b < a,
            (None, Some(_)) => true,
            _ => false,
        };
        if from_heap {
            self.stragglers.pop().map(|Reverse(b)| b)
        } else {
            self.sorted.pop_front()
        }
    }

    /// Every buffered event, in no particular order.
    pub(crate) fn iter(&self) -> impl Iterator<Item = &Buffered> {
        self.sorted
            .iter()
            .chain(self.stragglers.iter().map(|Reverse(b)| b))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Whatever the arrival order, events come out by (time, arrival).
    fn drained(times: &[i64]) -> Vec<(i64, u64)> {
        let mut buf = ReorderBuffer::default();
        for (i, &t) in times.iter().enumerate() {
            buf.push(Event::track("c", "e", t), i as u64);
        }
        std::iter::from_fn(|| buf.pop().map(|b| b.key())).collect()
    }

    fn sorted(times: &[i64]) -> Vec<(i64, u64)> {
        let mut v: Vec<(i64, u64)> = times
            .iter()
            .enumerate()
            .map(|(i, &t)| (t, i as u64))
            .collect();
        v.sort();
        v
    }

    #[test]
    fn in_order_late_reversed_and_tied_events_come_out_sorted() {
        let in_order: Vec<i64> = (0..200).collect();
        let reversed: Vec<i64> = (0..200).rev().collect();
        let ties = [5, 5, 3, 5, 3, 9, 9, 0, 5];
        let mut jittered: Vec<i64> = (0..500).map(|i| i * 10).collect();
        for i in (0..jittered.len()).step_by(7) {
            jittered[i] -= 95;
        }
        for case in [&in_order[..], &reversed[..], &ties[..], &jittered[..]] {
            assert_eq!(drained(case), sorted(case));
        }
    }

    #[test]
    fn pops_interleave_with_pushes() {
        let mut buf = ReorderBuffer::default();
        let mut out = Vec::new();
        for i in 0..300u64 {
            // Every third event is far behind the newest.
            let t = if i % 3 == 0 { 0 } else { i as i64 * 100 };
            buf.push(Event::track("c", "e", t), i);
            if i % 5 == 0 {
                out.push(buf.pop().map(|b| b.key()));
            }
        }
        while let Some(b) = buf.pop() {
            out.push(Some(b.key()));
        }
        let got: Vec<(i64, u64)> = out.into_iter().flatten().collect();
        assert_eq!(got.len(), 300);
        // Each pop takes the smallest key present at that moment, so the
        // keys popped after the last push are ascending.
        let tail = &got[60..];
        assert!(tail.windows(2).all(|w| w[0] <= w[1]));
    }
}
