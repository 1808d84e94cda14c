//! Pending timers, handed out smallest first (for the engine: by time,
//! then by the order they were armed).
//!
//! Most timers are armed a fixed delay after the instant being handled (a
//! rule's `for D` wait, a count's window), and instants are handled in
//! time order, so the timers of one rule and kind arrive already sorted.
//! Each such lane is a queue, appended at the back and read from the
//! front, with its memory in order; a small heap orders the lanes'
//! fronts. A timer that would land out of order in its lane (a send
//! deferred by quiet hours, a sweep armed again) goes to a general heap.
//! One heap of a million timers cost a cache miss at each of its twenty
//! levels on every pop (3–4 % of a run).

use std::cmp::Reverse;
use std::collections::{BinaryHeap, VecDeque};

pub(crate) struct Timers<T> {
    /// By lane number; an empty lane allocates nothing.
    lanes: Vec<VecDeque<T>>,
    /// The front of every lane that has one, with its lane.
    fronts: BinaryHeap<Reverse<(T, usize)>>,
    /// Timers that came out of order in their lane.
    others: BinaryHeap<Reverse<T>>,
}

impl<T> Default for Timers<T>
where
    T: Ord,
{
    fn default() -> Timers<T> {
        Timers {
            lanes: Vec::new(),
            fronts: BinaryHeap::new(),
            others: BinaryHeap::new(),
        }
    }
}

impl<T: Ord + Copy> Timers<T> {
    /// Adds a timer to lane `l` (timers that tend to come in order share
    /// one; lane numbers should be small, the lanes are a vector).
    pub(crate) fn push(&mut self, l: usize, t: T) {
        if l >= self.lanes.len() {
            self.lanes.resize_with(l + 1, VecDeque::new);
        }
        let queue = &mut self.lanes[l];
        match queue.back() {
            None => {
                queue.push_back(t);
                self.fronts.push(Reverse((t, l)));
            }
            Some(last) if *last <= t => queue.push_back(t),
            Some(_) => self.others.push(Reverse(t)),
        }
    }

    /// The smallest timer.
    pub(crate) fn peek(&self) -> Option<&T> {
        match (self.fronts.peek(), self.others.peek()) {
            (Some(Reverse((a, _))), Some(Reverse(b))) => Some(a.min(b)),
            (Some(Reverse((a, _))), None) => Some(a),
            (None, b) => b.map(|Reverse(b)| b),
        }
    }

    /// Takes the smallest timer.
    pub(crate) fn pop(&mut self) -> Option<T> {
        let from_lane = match (self.fronts.peek(), self.others.peek()) {
            (Some(Reverse((a, _))), Some(Reverse(b))) => a <= b,
            (front, _) => front.is_some(),
        };
        if !from_lane {
            return self.others.pop().map(|Reverse(t)| t);
        }
        let Reverse((t, l)) = self.fronts.pop()?;
        let queue = &mut self.lanes[l];
        queue.pop_front();
        if let Some(&next) = queue.front() {
            self.fronts.push(Reverse((next, l)));
        }
        Some(t)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// Whatever the lanes and the order of pushes, pops interleaved
        /// with pushes come out as from one heap.
        #[test]
        fn pops_as_one_heap(ops in proptest::collection::vec((0usize..4, 0i64..50, any::<bool>()), 0..400)) {
            let mut lanes = Timers::default();
            let mut heap = BinaryHeap::new();
            for (seq, (lane, at, pop)) in ops.into_iter().enumerate() {
                if pop {
                    prop_assert_eq!(lanes.peek().copied(), heap.peek().map(|Reverse(t)| *t));
                    prop_assert_eq!(lanes.pop(), heap.pop().map(|Reverse(t)| t));
                } else {
                    lanes.push(lane, (at, seq));
                    heap.push(Reverse((at, seq)));
                }
            }
            while let Some(Reverse(t)) = heap.pop() {
                prop_assert_eq!(lanes.pop(), Some(t));
            }
            prop_assert_eq!(lanes.pop(), None);
        }
    }

    #[test]
    fn in_order_lanes_stay_out_of_the_heap() {
        let mut t = Timers::default();
        for i in 0..100i64 {
            t.push(1, (i, 0));
            t.push(2, (i * 2, 1));
        }
        t.push(1, (5, 2));
        assert_eq!(t.others.len(), 1);
        assert_eq!(t.fronts.len(), 2);
        let out: Vec<i64> = std::iter::from_fn(|| t.pop()).map(|(at, _)| at).collect();
        let mut sorted = out.clone();
        sorted.sort();
        assert_eq!(out, sorted);
        assert_eq!(out.len(), 201);
    }
}
