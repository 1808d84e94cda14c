//! The run summary on stderr: events, actions per rule and channel,
//! suppressions by reason, late and rejected lines, goals and lift, speed.
//! Customer ids and profile values never appear here.

use std::time::Duration;

use trig::compile::Program;
use trig::runtime::stats::Stats;
use trig::runtime::Engine;

pub use trig::report::thousands;

/// `dead_file`: whether rejected lines went to a `--dead-letter` file.
pub fn print(s: &Stats, p: &Program, dead: u64, dead_file: bool, elapsed: Duration) {
    let secs = elapsed.as_secs_f64();
    let rate = if secs > 0.0 {
        (s.events as f64 / secs) as u64
    } else {
        0
    };
    let mut lines = vec![format!(
        "events: {} read, {}{} late, {} rejected{}; {:.2}s, events/s: {}",
        thousands(s.events),
        if s.duplicates > 0 {
            format!("{} duplicate(s) dropped, ", thousands(s.duplicates))
        } else {
            String::new()
        },
        thousands(s.late),
        thousands(dead),
        if dead > 0 && !dead_file {
            " (the first shown above; --dead-letter FILE keeps them all)"
        } else {
            ""
        },
        secs,
        thousands(rate)
    )];
    let total: u64 = s.rules.iter().map(|r| r.actions).sum();
    lines.push(format!("actions: {}", thousands(total)));
    let width = s.rules.iter().map(|r| r.name.len()).max().unwrap_or(0);
    for r in &s.rules {
        let channels: Vec<String> = r
            .channels
            .iter()
            .map(|(c, n)| format!("{c} {}", thousands(*n)))
            .collect();
        let suppressed: Vec<String> = r
            .suppressed
            .iter()
            .map(|(reason, n)| format!("{} {}", reason.as_str(), thousands(*n)))
            .collect();
        let mut line = format!("  {:<width$}  {:>9}", r.name, thousands(r.actions));
        if !channels.is_empty() {
            line.push_str(&format!("  ({})", channels.join(", ")));
        }
        if r.deferred > 0 {
            line.push_str(&format!("; deferred {}", thousands(r.deferred)));
        }
        if !suppressed.is_empty() {
            line.push_str(&format!("; suppressed: {}", suppressed.join(", ")));
        }
        lines.push(line);
    }
    for r in s.rules.iter().filter(|r| r.goal.sent + r.goal.holdout > 0) {
        let g = &r.goal;
        let pct = |c: u64, n: u64| {
            if n == 0 {
                0.0
            } else {
                c as f64 / n as f64 * 100.0
            }
        };
        let mut line = format!(
            "goal {}: sent {} → {} converted ({:.1}%)",
            r.name,
            thousands(g.sent),
            thousands(g.sent_converted),
            pct(g.sent_converted, g.sent),
        );
        if g.holdout > 0 {
            line.push_str(&format!(
                ", holdout {} → {} ({:.1}%)",
                thousands(g.holdout),
                thousands(g.holdout_converted),
                pct(g.holdout_converted, g.holdout)
            ));
        }
        if let Some(l) = g.lift() {
            line.push_str(&format!(", lift {l:+.1} points"));
        }
        lines.push(line);
    }
    for ((rule, pc), (n, msg)) in &s.type_errors {
        let name = p.rules.get(*rule as usize).map_or("?", |r| r.name.as_str());
        lines.push(format!(
            "type errors: {name} at {}: {msg} ({} time(s); the rule did not fire)",
            p.code_loc(*pc),
            thousands(*n)
        ));
    }
    if s.bounded > 0 || s.forgotten > 0 {
        lines.push(format!(
            "bounds: {} instance(s) dropped at the per-customer limit of 1,000 per rule, {} remembered event(s) forgotten",
            thousands(s.bounded),
            thousands(s.forgotten)
        ));
    }
    if s.quiet_without_zone > 0 {
        lines.push(format!(
            "quiet hours: {} send(s) for customers without a valid time zone went out without deferral",
            thousands(s.quiet_without_zone)
        ));
    }
    for l in lines {
        eprintln!("{l}");
    }
}

/// For `--trace`: rules that never did anything for the customer, or that
/// the customer never appeared.
pub fn untouched(engine: Option<&Engine>, customer: &str) {
    let Some(engine) = engine.filter(|e| e.traced_customer_seen()) else {
        eprintln!("trace: customer `{customer}` does not appear in the input");
        return;
    };
    for line in engine.idle_rules() {
        eprintln!("{line}");
    }
}
