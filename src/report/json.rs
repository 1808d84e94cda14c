//! The report as JSON, for machines: the same figures as the HTML, under
//! plain key names documented in docs/runtime.md ("Backtest report").
//! Keys come in a fixed order and maps are sorted, so two runs over the
//! same input (on any number of threads) write the same bytes.

use std::collections::BTreeMap;

use serde_json::{json, Map, Value as Json};

use super::figures::{day_key, Delay, Goal, Report, RuleReport};
use super::stats::Interval;

/// The format of the file, bumped when a key changes meaning or goes.
pub const VERSION: u32 = 1;

impl Report {
    pub fn to_json(&self) -> Json {
        let t = &self.totals;
        let rules: Map<String, Json> = self
            .rules
            .iter()
            .map(|r| (r.name.clone(), rule(r)))
            .collect();
        json!({
            "version": VERSION,
            "inputs": self.inputs,
            "totals": {
                "events": t.events,
                "late": t.late,
                "duplicates": t.duplicates,
                "rejected": t.rejected,
                "rules": self.rules.len(),
                "sends": t.sends,
                "suppressed": t.suppressed,
                "deferred": t.deferred,
            },
            "rules": rules,
        })
    }
}

fn rule(r: &RuleReport) -> Json {
    let suppressed: Map<String, Json> = r
        .suppressed
        .iter()
        .map(|(reason, n)| (reason.as_str().to_string(), json!(n)))
        .collect();
    let first_steps: Vec<Json> = r
        .first_steps
        .iter()
        .map(|((channel, template), n)| {
            json!({"channel": channel, "template": template, "sends": n})
        })
        .collect();
    json!({
        "sends": r.sends,
        "sends_by_day": by_day(&r.sends_by_day),
        "channels": r.channels,
        "first_steps": first_steps,
        "suppressed": suppressed,
        "deferred": r.deferred,
        "deferred_by_day": by_day(&r.deferred_by_day),
        "delay_ms": delay(&r.delay),
        "goal": r.goal.as_ref().map(goal),
    })
}

fn by_day(days: &BTreeMap<i64, u64>) -> Map<String, Json> {
    days.iter().map(|(d, n)| (day_key(*d), json!(n))).collect()
}

fn delay(d: &Delay) -> Json {
    let buckets: Vec<Json> = d
        .buckets
        .iter()
        .map(|b| json!({"from": b.from_ms, "to": b.to_ms, "count": b.count}))
        .collect();
    json!({
        "count": d.count,
        "median": d.median,
        "p90": d.p90,
        "min": d.min,
        "max": d.max,
        "buckets": buckets,
    })
}

fn goal(g: &Goal) -> Json {
    let c = &g.counts;
    let low = |i: Option<Interval>| i.map(|i| i.low);
    let high = |i: Option<Interval>| i.map(|i| i.high);
    json!({
        "event": g.event,
        "within_ms": g.within_ms,
        "sent": c.sent,
        "sent_converted": c.sent_converted,
        "holdout": c.holdout,
        "holdout_converted": c.holdout_converted,
        "sent_rate_pct": g.sent_rate,
        "holdout_rate_pct": g.holdout_rate,
        "lift_points": g.lift_points,
        "ci_low": low(g.lift_ci),
        "ci_high": high(g.lift_ci),
        "confidence": 0.95,
        "method": "newcombe-hybrid-wilson",
    })
}
