//! The figures of a backtest, per rule: a `Figures` accumulator sees every
//! action and notice a run emits (one per thread in a partitioned run,
//! merged at the end) and is finished, with the engine's `Stats` for the
//! goals and the `Program` for the rule order, into a `Report`.

use std::collections::BTreeMap;
use std::sync::Arc;

use rustc_hash::FxHashMap;

use super::stats::{newcombe, wilson, Interval, Z95};
use crate::compile::program::Program;
use crate::runtime::action::{Content, NoticeKind, Reason};
use crate::runtime::stats::{GoalStats, Stats};
use crate::runtime::{Action, Notice, Sink};

pub const DAY_MS: i64 = 86_400_000;

/// Where the delay histogram's buckets start: each bucket runs from its
/// edge up to the next one (excluded), the last one has no end. Round
/// durations a marketer would write (`2h`, `1d`, `90d`), so a rule's
/// fixed wait starts a bucket rather than straddling two.
pub const DELAY_EDGES_MS: [i64; 20] = [
    0,
    1_000,
    60_000,
    5 * 60_000,
    15 * 60_000,
    30 * 60_000,
    3_600_000,
    2 * 3_600_000,
    6 * 3_600_000,
    12 * 3_600_000,
    DAY_MS,
    2 * DAY_MS,
    3 * DAY_MS,
    7 * DAY_MS,
    14 * DAY_MS,
    30 * DAY_MS,
    60 * DAY_MS,
    90 * DAY_MS,
    180 * DAY_MS,
    365 * DAY_MS,
];

/// What one rule emitted. Days are UTC days since the epoch.
#[derive(Debug, Clone, Default, PartialEq)]
struct Tally {
    sends_by_day: BTreeMap<i64, u64>,
    channels: BTreeMap<String, u64>,
    /// (channel, template) of the first step; `None` for free text.
    first_steps: BTreeMap<(String, Option<String>), u64>,
    suppressed: BTreeMap<Reason, u64>,
    deferred_by_day: BTreeMap<i64, u64>,
    /// Delay from trigger to send → sends. Exact quantiles without one
    /// entry per send: a rule's delays repeat (its wait, or zero).
    delays: BTreeMap<i64, u64>,
}

impl Tally {
    fn merge(&mut self, o: Tally) {
        add_all(&mut self.sends_by_day, o.sends_by_day);
        add_all(&mut self.channels, o.channels);
        add_all(&mut self.first_steps, o.first_steps);
        add_all(&mut self.suppressed, o.suppressed);
        add_all(&mut self.deferred_by_day, o.deferred_by_day);
        add_all(&mut self.delays, o.delays);
    }
}

fn add_all<K: Ord>(into: &mut BTreeMap<K, u64>, from: BTreeMap<K, u64>) {
    for (k, n) in from {
        *into.entry(k).or_insert(0) += n;
    }
}

fn bump<K: Ord>(map: &mut BTreeMap<K, u64>, k: K) {
    *map.entry(k).or_insert(0) += 1;
}

/// The accumulator. Keyed by rule name, the identity actions carry.
#[derive(Debug, Clone, Default)]
pub struct Figures {
    rules: FxHashMap<Arc<str>, Tally>,
}

impl Figures {
    pub fn new() -> Figures {
        Figures::default()
    }

    fn rule(&mut self, name: &Arc<str>) -> &mut Tally {
        self.rules.entry(name.clone()).or_default()
    }

    pub fn action(&mut self, a: &Action) {
        let t = self.rule(&a.rule);
        bump(&mut t.sends_by_day, a.send_at.div_euclid(DAY_MS));
        let (channel, template) = match a.steps.first() {
            Some(s) => (
                s.channel.to_string(),
                match &s.content {
                    Content::Template(name) => Some(name.to_string()),
                    Content::Text(_) => None,
                },
            ),
            None => ("none".to_string(), None),
        };
        bump(&mut t.channels, channel.clone());
        bump(&mut t.first_steps, (channel, template));
        bump(&mut t.delays, a.send_at - a.trigger.at);
    }

    pub fn notice(&mut self, n: &Notice) {
        let t = self.rule(&n.rule);
        match n.kind {
            NoticeKind::Suppressed(reason) => bump(&mut t.suppressed, reason),
            NoticeKind::Deferred { .. } => bump(&mut t.deferred_by_day, n.at.div_euclid(DAY_MS)),
        }
    }

    /// Adds another thread's figures.
    pub fn merge(&mut self, other: Figures) {
        for (name, t) in other.rules {
            self.rule(&name).merge(t);
        }
    }

    /// The report, rules in program order. The goal counts come from
    /// `stats`: conversions happen after the send, inside the engine.
    pub fn finish(mut self, stats: &Stats, program: &Program) -> Report {
        let rules: Vec<RuleReport> = program
            .rules
            .iter()
            .enumerate()
            .map(|(i, meta)| {
                let tally = self.rules.remove(meta.name.as_str()).unwrap_or_default();
                let goal = meta.goal.as_ref().map(|g| {
                    let counts = stats.rules.get(i).map(|r| r.goal.clone());
                    Goal::new(&g.event, g.within_ms, counts.unwrap_or_default())
                });
                RuleReport::new(&meta.name, tally, goal)
            })
            .collect();
        let sum = |f: fn(&RuleReport) -> u64| rules.iter().map(f).sum();
        let totals = Totals {
            events: stats.events,
            late: stats.late,
            duplicates: stats.duplicates,
            rejected: 0,
            sends: sum(|r| r.sends),
            suppressed: sum(|r| r.suppressed.iter().map(|(_, n)| n).sum()),
            deferred: sum(|r| r.deferred),
        };
        Report {
            inputs: Vec::new(),
            totals,
            rules,
        }
    }
}

impl Sink for Figures {
    fn action(&mut self, a: Action) {
        Figures::action(self, &a);
    }
    fn notice(&mut self, n: Notice) {
        Figures::notice(self, &n);
    }
}

/// A finished backtest: what the HTML and JSON reports show.
#[derive(Debug, Clone, PartialEq)]
pub struct Report {
    /// The event files, as the user named them (set by the caller).
    pub inputs: Vec<String>,
    pub totals: Totals,
    pub rules: Vec<RuleReport>,
}

/// Counts over the whole run.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Totals {
    /// Events accepted.
    pub events: u64,
    pub late: u64,
    pub duplicates: u64,
    /// Input lines rejected (the library does not see them: set by the
    /// caller).
    pub rejected: u64,
    pub sends: u64,
    pub suppressed: u64,
    pub deferred: u64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct RuleReport {
    pub name: String,
    pub sends: u64,
    /// UTC day (days since 1970-01-01) of `send_at` → sends.
    pub sends_by_day: BTreeMap<i64, u64>,
    /// Channel of the first step → sends.
    pub channels: BTreeMap<String, u64>,
    /// (channel, template) of the first step → sends; `None` for text.
    pub first_steps: BTreeMap<(String, Option<String>), u64>,
    /// Every reason, in `Reason::ALL` order, zeros included.
    pub suppressed: Vec<(Reason, u64)>,
    pub deferred: u64,
    /// UTC day of the deferral (the fire time) → deferrals.
    pub deferred_by_day: BTreeMap<i64, u64>,
    pub delay: Delay,
    /// `None` when the rule has no `goal`.
    pub goal: Option<Goal>,
}

impl RuleReport {
    fn new(name: &str, t: Tally, goal: Option<Goal>) -> RuleReport {
        RuleReport {
            name: name.to_string(),
            sends: t.sends_by_day.values().sum(),
            suppressed: Reason::ALL
                .iter()
                .map(|r| (*r, t.suppressed.get(r).copied().unwrap_or(0)))
                .collect(),
            deferred: t.deferred_by_day.values().sum(),
            delay: Delay::new(&t.delays),
            sends_by_day: t.sends_by_day,
            channels: t.channels,
            first_steps: t.first_steps,
            deferred_by_day: t.deferred_by_day,
            goal,
        }
    }
}

/// The delay from the trigger event to the send (`send_at − trigger.at`):
/// the rule's wait plus any quiet-hours deferral.
#[derive(Debug, Clone, PartialEq)]
pub struct Delay {
    pub count: u64,
    /// Nearest-rank quantiles: the smallest delay with at least half (nine
    /// tenths) of the sends at or below it. `None` without sends.
    pub median: Option<i64>,
    pub p90: Option<i64>,
    pub min: Option<i64>,
    pub max: Option<i64>,
    /// One bucket per `DELAY_EDGES_MS` entry.
    pub buckets: Vec<Bucket>,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Bucket {
    pub from_ms: i64,
    /// Excluded; `None` for the last, open bucket.
    pub to_ms: Option<i64>,
    pub count: u64,
}

impl Delay {
    fn new(delays: &BTreeMap<i64, u64>) -> Delay {
        let mut buckets: Vec<Bucket> = DELAY_EDGES_MS
            .iter()
            .enumerate()
            .map(|(i, from)| Bucket {
                from_ms: *from,
                to_ms: DELAY_EDGES_MS.get(i + 1).copied(),
                count: 0,
            })
            .collect();
        for (d, n) in delays {
            // A negative delay cannot happen (a send is never before its
            // trigger); were it to, the first bucket takes it.
            let i = DELAY_EDGES_MS.partition_point(|e| e <= d).saturating_sub(1);
            buckets[i].count += n;
        }
        let count = delays.values().sum();
        Delay {
            count,
            median: quantile(delays, count, 0.5),
            p90: quantile(delays, count, 0.9),
            min: delays.keys().next().copied(),
            max: delays.keys().next_back().copied(),
            buckets,
        }
    }
}

/// The nearest-rank quantile: the value at rank ⌈q·n⌉ (1-based).
fn quantile(values: &BTreeMap<i64, u64>, n: u64, q: f64) -> Option<i64> {
    let rank = ((q * n as f64).ceil() as u64).max(1);
    let mut seen = 0;
    for (v, k) in values {
        seen += k;
        if seen >= rank {
            return Some(*v);
        }
    }
    None
}

/// Goal conversion for sends against the holdout. Rates, the lift and its
/// interval are in percent (percentage points for the lift); `None`
/// where a group is empty.
#[derive(Debug, Clone, PartialEq)]
pub struct Goal {
    /// The goal event and window (`goal EVENT within D`).
    pub event: String,
    pub within_ms: i64,
    pub counts: GoalStats,
    pub sent_rate: Option<f64>,
    pub holdout_rate: Option<f64>,
    /// Wilson 95 % intervals of the two rates, in percent.
    pub sent_ci: Option<Interval>,
    pub holdout_ci: Option<Interval>,
    pub lift_points: Option<f64>,
    /// Newcombe's hybrid score 95 % interval of the lift, in points.
    pub lift_ci: Option<Interval>,
}

impl Goal {
    fn new(event: &str, within_ms: i64, c: GoalStats) -> Goal {
        let pct = |i: Interval| Interval {
            low: i.low * 100.0,
            high: i.high * 100.0,
        };
        let rate = |x: u64, n: u64| (n > 0).then(|| x as f64 / n as f64 * 100.0);
        Goal {
            event: event.to_string(),
            within_ms,
            sent_rate: rate(c.sent_converted, c.sent),
            holdout_rate: rate(c.holdout_converted, c.holdout),
            sent_ci: wilson(c.sent_converted, c.sent, Z95).map(pct),
            holdout_ci: wilson(c.holdout_converted, c.holdout, Z95).map(pct),
            lift_points: c.lift(),
            lift_ci: newcombe(
                c.sent_converted,
                c.sent,
                c.holdout_converted,
                c.holdout,
                Z95,
            )
            .map(pct),
            counts: c,
        }
    }
}

/// `YYYY-MM-DD` of a UTC day number.
pub fn day_key(day: i64) -> String {
    let t = crate::runtime::time::format_rfc3339(day.saturating_mul(DAY_MS));
    t.get(..10).unwrap_or(&t).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::runtime::action::{ActionStep, StepParams, TriggerRef};

    fn action(rule: &str, trigger_at: i64, send_at: i64, channel: &str) -> Action {
        Action {
            id: "id".into(),
            rule: Arc::from(rule),
            customer: Arc::from("c"),
            fired_at: send_at,
            send_at,
            steps: vec![ActionStep {
                channel: Arc::from(channel),
                content: Content::Template(Arc::from("t")),
                lang: None,
                params: StepParams::None,
            }],
            trigger: TriggerRef {
                event: Arc::from("e"),
                at: trigger_at,
                id: None,
            },
        }
    }

    fn notice(rule: &str, at: i64, kind: NoticeKind) -> Notice {
        Notice {
            kind,
            id: "id".into(),
            rule: Arc::from(rule),
            customer: Arc::from("c"),
            at,
            detail: String::new(),
            trigger: TriggerRef {
                event: Arc::from("e"),
                at,
                id: None,
            },
        }
    }

    fn tally(f: &Figures, rule: &str) -> Tally {
        f.rules.get(rule).cloned().unwrap_or_default()
    }

    #[test]
    fn counts_sends_channels_delays_and_notices() {
        let mut f = Figures::new();
        f.action(&action("r", 0, 2 * 3_600_000, "sms"));
        f.action(&action("r", DAY_MS, DAY_MS, "email"));
        f.notice(&notice("r", 5, NoticeKind::Suppressed(Reason::Limit)));
        f.notice(&notice("r", DAY_MS + 1, NoticeKind::Deferred { until: 0 }));
        let t = tally(&f, "r");
        assert_eq!(t.sends_by_day, BTreeMap::from([(0, 1), (1, 1)]));
        assert_eq!(t.channels.get("sms"), Some(&1));
        assert_eq!(t.delays, BTreeMap::from([(0, 1), (2 * 3_600_000, 1)]));
        assert_eq!(t.suppressed, BTreeMap::from([(Reason::Limit, 1)]));
        assert_eq!(t.deferred_by_day, BTreeMap::from([(1, 1)]));
    }

    #[test]
    fn merging_equals_counting_in_one() {
        let actions: Vec<Action> = (0..10)
            .map(|i| action("r", 0, i * 3_600_000 * 7, ["sms", "email"][i as usize % 2]))
            .collect();
        let mut one = Figures::new();
        actions.iter().for_each(|a| one.action(a));
        let (mut a, mut b) = (Figures::new(), Figures::new());
        for (i, x) in actions.iter().enumerate() {
            if i % 3 == 0 { &mut a } else { &mut b }.action(x);
        }
        a.merge(b);
        assert_eq!(tally(&a, "r"), tally(&one, "r"));
    }

    #[test]
    fn quantiles_are_nearest_rank() {
        let v = BTreeMap::from([(1, 1), (2, 1), (3, 1), (4, 1)]);
        assert_eq!(quantile(&v, 4, 0.5), Some(2));
        assert_eq!(quantile(&v, 4, 0.9), Some(4));
        assert_eq!(quantile(&BTreeMap::new(), 0, 0.5), None);
        let skewed = BTreeMap::from([(0, 9), (100, 1)]);
        assert_eq!(quantile(&skewed, 10, 0.9), Some(0));
    }

    #[test]
    fn a_delay_on_an_edge_starts_its_bucket() {
        let d = Delay::new(&BTreeMap::from([(0, 2), (3_600_000, 1), (400 * DAY_MS, 1)]));
        let count = |from: i64| d.buckets.iter().find(|b| b.from_ms == from).unwrap().count;
        assert_eq!(count(0), 2);
        assert_eq!(count(3_600_000), 1);
        assert_eq!(count(365 * DAY_MS), 1);
        assert_eq!(d.buckets.last().unwrap().to_ms, None);
        assert_eq!(d.buckets.iter().map(|b| b.count).sum::<u64>(), d.count);
    }

    #[test]
    fn an_empty_group_has_no_rate_lift_or_interval() {
        let g = Goal::new(
            "order",
            0,
            GoalStats {
                sent: 10,
                sent_converted: 2,
                ..GoalStats::default()
            },
        );
        assert_eq!(g.sent_rate, Some(20.0));
        assert_eq!(
            (g.holdout_rate, g.lift_points, g.lift_ci),
            (None, None, None)
        );
    }

    #[test]
    fn days_are_utc_dates() {
        assert_eq!(day_key(0), "1970-01-01");
        assert_eq!(day_key(10_000), "1997-05-19");
        assert_eq!(day_key(-1), "1969-12-31");
    }
}
