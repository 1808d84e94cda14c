//! Counters for the run summary: per rule, per channel, per reason.

use std::collections::BTreeMap;

use crate::compile::program::Program;

use super::action::Reason;
use super::vm::Fault;

#[derive(Debug, Clone, Default, PartialEq)]
pub struct GoalStats {
    pub sent: u64,
    pub sent_converted: u64,
    pub holdout: u64,
    pub holdout_converted: u64,
}

impl GoalStats {
    /// Conversion rate of sends minus that of the holdout, in percentage
    /// points; `None` until both groups have members.
    pub fn lift(&self) -> Option<f64> {
        if self.sent == 0 || self.holdout == 0 {
            return None;
        }
        let rate = |c: u64, n: u64| c as f64 / n as f64 * 100.0;
        Some(rate(self.sent_converted, self.sent) - rate(self.holdout_converted, self.holdout))
    }
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct RuleStats {
    pub name: String,
    /// Patterns completed (before guards, caps…).
    pub fired: u64,
    pub actions: u64,
    pub deferred: u64,
    /// Actions by the channel of their first step.
    pub channels: BTreeMap<String, u64>,
    pub suppressed: BTreeMap<Reason, u64>,
    pub goal: GoalStats,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Stats {
    /// Events accepted (not late).
    pub events: u64,
    pub late: u64,
    pub rules: Vec<RuleStats>,
    /// Type errors by (rule, instruction): count and the first message.
    pub type_errors: BTreeMap<(u32, u32), (u64, String)>,
    /// Quiet-hours sends for customers with no valid time zone (sent
    /// without deferral).
    pub quiet_without_zone: u64,
    /// Correlated look-back events dropped beyond the per-customer bound.
    pub forgotten: u64,
    /// Events dropped because their `id` was seen within the dedupe
    /// horizon.
    pub duplicates: u64,
    /// Instances dropped because a customer hit the per-rule bound.
    pub bounded: u64,
}

impl Stats {
    pub fn new(p: &Program) -> Stats {
        Stats {
            rules: p
                .rules
                .iter()
                .map(|r| RuleStats {
                    name: r.name.clone(),
                    ..RuleStats::default()
                })
                .collect(),
            ..Stats::default()
        }
    }

    /// Adds the counts of another run of the same program (a thread of a
    /// partitioned run).
    pub fn merge(&mut self, o: &Stats) {
        self.events += o.events;
        self.late += o.late;
        self.quiet_without_zone += o.quiet_without_zone;
        self.forgotten += o.forgotten;
        self.duplicates += o.duplicates;
        self.bounded += o.bounded;
        for (r, q) in self.rules.iter_mut().zip(&o.rules) {
            r.fired += q.fired;
            r.actions += q.actions;
            r.deferred += q.deferred;
            add_all(&mut r.channels, &q.channels);
            add_all(&mut r.suppressed, &q.suppressed);
            let (g, h) = (&mut r.goal, &q.goal);
            g.sent += h.sent;
            g.sent_converted += h.sent_converted;
            g.holdout += h.holdout;
            g.holdout_converted += h.holdout_converted;
        }
        for (k, (n, msg)) in &o.type_errors {
            self.type_errors
                .entry(*k)
                .or_insert_with(|| (0, msg.clone()))
                .0 += n;
        }
    }

    pub(crate) fn type_error(&mut self, rule: u32, f: &Fault) {
        let e = self
            .type_errors
            .entry((rule, f.pc))
            .or_insert_with(|| (0, f.message.clone()));
        e.0 += 1;
    }
}

fn add_all<K: Ord + Clone>(into: &mut BTreeMap<K, u64>, from: &BTreeMap<K, u64>) {
    for (k, n) in from {
        *into.entry(k.clone()).or_insert(0) += n;
    }
}
