//! The report as one self-contained HTML page: inline CSS and inline SVG
//! charts, no script, no font, nothing fetched. Every text that comes from
//! the rules or the command line (rule, template, event and file names)
//! is escaped here; chart labels are escaped by plotters.

use std::fmt::Write;

use plotters::style::RGBColor;

use super::charts::{self, thousands};
use super::figures::{Delay, Goal, Report, RuleReport, DAY_MS};
use super::stats::Interval;

const BLUE: RGBColor = RGBColor(31, 119, 180);
const GREEN: RGBColor = RGBColor(44, 160, 44);
const RED: RGBColor = RGBColor(214, 39, 40);
const PURPLE: RGBColor = RGBColor(148, 103, 189);
const ORANGE: RGBColor = RGBColor(255, 127, 14);

const STYLE: &str = "
body { font: 15px/1.45 system-ui, sans-serif; color: #222; background: #fff; margin: 0 auto; max-width: 960px; padding: 0 24px 48px; }
h1 { font-size: 26px; margin: 28px 0 4px; }
h2 { font-size: 21px; margin: 36px 0 8px; border-bottom: 1px solid #ddd; padding-bottom: 4px; }
h3 { font-size: 16px; margin: 22px 0 6px; }
table { border-collapse: collapse; margin: 8px 0; }
th, td { padding: 4px 10px; border-bottom: 1px solid #e4e4e4; text-align: right; }
td { white-space: nowrap; }
.wide { overflow-x: auto; }
th:first-child, td:first-child { text-align: left; }
thead th { background: #f4f6f8; }
code { font-family: ui-monospace, monospace; font-size: 14px; background: #f4f6f8; padding: 0 3px; }
svg { display: block; max-width: 100%; height: auto; }
.note { color: #555; font-size: 14px; }
.empty { color: #777; font-style: italic; }
.facts span { margin-right: 18px; }
";

/// The whole page.
pub fn render(r: &Report) -> String {
    let mut h = String::with_capacity(64 << 10);
    h.push_str("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
    h.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
    h.push_str("<title>trig backtest report</title>\n<style>");
    h.push_str(STYLE);
    h.push_str("</style>\n</head>\n<body>\n");
    header(&mut h, r);
    summary(&mut h, r);
    for (i, rule) in r.rules.iter().enumerate() {
        section(&mut h, i, rule);
    }
    method(&mut h);
    h.push_str("</body>\n</html>\n");
    h
}

/// Escapes text for HTML element content and quoted attribute values.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

fn header(h: &mut String, r: &Report) {
    let t = &r.totals;
    let inputs: Vec<String> = r
        .inputs
        .iter()
        .map(|i| format!("<code>{}</code>", escape(i)))
        .collect();
    let _ = writeln!(h, "<h1>Backtest report</h1>");
    if !inputs.is_empty() {
        let _ = writeln!(h, "<p>Events from {}.</p>", inputs.join(", "));
    }
    let _ = writeln!(
        h,
        "<p class=\"facts\"><span>events read: <b>{}</b></span><span>late: {}</span>\
         <span>duplicates dropped: {}</span><span>rejected: {}</span></p>",
        thousands(t.events),
        thousands(t.late),
        thousands(t.duplicates),
        thousands(t.rejected)
    );
    let _ = writeln!(
        h,
        "<p class=\"facts\"><span>sends: <b>{}</b></span><span>suppressed: {}</span>\
         <span>deferred by quiet hours: {}</span><span>rules: {}</span></p>",
        thousands(t.sends),
        thousands(t.suppressed),
        thousands(t.deferred),
        r.rules.len()
    );
}

fn summary(h: &mut String, r: &Report) {
    h.push_str(
        "<h2>Summary</h2>\n<div class=\"wide\">\n<table>\n<thead><tr><th>rule</th><th>sends</th>",
    );
    h.push_str("<th>suppressed</th><th>deferred</th><th>conversion, sent</th>");
    h.push_str("<th>conversion, holdout</th><th>lift [95&nbsp;% CI]</th></tr></thead>\n<tbody>\n");
    for (i, rule) in r.rules.iter().enumerate() {
        let suppressed: u64 = rule.suppressed.iter().map(|(_, n)| n).sum();
        let (sent, holdout, lift) = match &rule.goal {
            Some(g) => (
                conversion(g.counts.sent_converted, g.counts.sent, g.sent_rate),
                conversion(g.counts.holdout_converted, g.counts.holdout, g.holdout_rate),
                lift(g),
            ),
            None => ("—".into(), "—".into(), "—".into()),
        };
        let _ = writeln!(
            h,
            "<tr><td><a href=\"#rule-{i}\">{}</a></td><td>{}</td><td>{}</td><td>{}</td>\
             <td>{sent}</td><td>{holdout}</td><td>{lift}</td></tr>",
            escape(&rule.name),
            thousands(rule.sends),
            thousands(suppressed),
            thousands(rule.deferred),
        );
    }
    h.push_str("</tbody>\n</table>\n</div>\n");
    h.push_str(
        "<p class=\"note\">—: the rule has no <code>goal</code>. n/a: the group is empty, \
         so there is no rate to compare. Lift: conversion of sends minus conversion of the \
         holdout, in percentage points, with its 95&nbsp;% confidence interval \
         (see <a href=\"#method\">Method</a>).</p>\n",
    );
}

/// `8.9 % (111 / 1,252)`, or n/a for an empty group.
fn conversion(converted: u64, n: u64, rate: Option<f64>) -> String {
    match rate {
        Some(p) => format!(
            "{p:.1}&nbsp;% ({} / {})",
            thousands(converted),
            thousands(n)
        ),
        None => "n/a".into(),
    }
}

/// `+0.2 pts [−3.4, +3.8]`, or n/a.
fn lift(g: &Goal) -> String {
    match (g.lift_points, g.lift_ci) {
        (Some(l), Some(ci)) => format!(
            "{}&nbsp;pts [{}, {}]",
            signed(l),
            signed(ci.low),
            signed(ci.high)
        ),
        _ => "n/a".into(),
    }
}

fn signed(x: f64) -> String {
    // "-0.0" reads as a sign where there is none.
    let x = if x.abs() < 0.05 { 0.0 } else { x };
    format!("{x:+.1}").replace('-', "−")
}

fn section(h: &mut String, i: usize, r: &RuleReport) {
    let suppressed: u64 = r.suppressed.iter().map(|(_, n)| n).sum();
    let _ = writeln!(
        h,
        "<section id=\"rule-{i}\">\n<h2>Rule <code>{}</code></h2>",
        escape(&r.name)
    );
    let _ = writeln!(
        h,
        "<p class=\"facts\"><span>sends: <b>{}</b></span><span>suppressed: {}</span>\
         <span>deferred: {}</span></p>",
        thousands(r.sends),
        thousands(suppressed),
        thousands(r.deferred)
    );
    h.push_str("<h3>Sends per day (UTC, by send time)</h3>\n");
    chart(h, charts::per_day(&r.sends_by_day, BLUE), "No sends.");
    channels(h, r);
    h.push_str("<h3>Suppressions by reason</h3>\n");
    if suppressed == 0 {
        h.push_str("<p class=\"empty\">Nothing was suppressed.</p>\n");
    } else {
        let items: Vec<(String, u64)> = r
            .suppressed
            .iter()
            .map(|(reason, n)| (reason.as_str().to_string(), *n))
            .collect();
        chart(h, charts::bars(&items, RED), "");
    }
    delay(h, &r.delay);
    deferrals(h, r);
    goal(h, r.goal.as_ref());
    h.push_str("</section>\n");
}

/// An SVG, or a line saying why there is none.
fn chart(h: &mut String, drawn: charts::Drawn, empty: &str) {
    match drawn {
        Ok(svg) => h.push_str(&svg),
        Err(_) if !empty.is_empty() => {
            let _ = writeln!(h, "<p class=\"empty\">{}</p>", escape(empty));
        }
        Err(e) => {
            let _ = writeln!(
                h,
                "<p class=\"empty\">The chart could not be drawn: {}</p>",
                escape(&e.to_string())
            );
        }
    }
}

fn channels(h: &mut String, r: &RuleReport) {
    h.push_str("<h3>Channel mix (the first step of each send's cascade)</h3>\n");
    let items: Vec<(String, u64)> = r.channels.iter().map(|(c, n)| (c.clone(), *n)).collect();
    chart(h, charts::bars(&items, GREEN), "No sends.");
    if r.first_steps.is_empty() {
        return;
    }
    h.push_str("<table>\n<thead><tr><th>first step</th><th>template</th><th>sends</th></tr></thead>\n<tbody>\n");
    for ((channel, template), n) in &r.first_steps {
        let template = match template {
            Some(t) => format!("<code>{}</code>", escape(t)),
            None => "(text)".into(),
        };
        let _ = writeln!(
            h,
            "<tr><td>{}</td><td>{template}</td><td>{}</td></tr>",
            escape(channel),
            thousands(*n)
        );
    }
    h.push_str("</tbody>\n</table>\n");
}

fn delay(h: &mut String, d: &Delay) {
    h.push_str("<h3>Delay from trigger to send</h3>\n");
    let (Some(median), Some(p90)) = (d.median, d.p90) else {
        h.push_str("<p class=\"empty\">No sends.</p>\n");
        return;
    };
    let _ = writeln!(
        h,
        "<p class=\"facts\"><span>median: <b>{}</b></span><span>90th percentile: <b>{}</b></span>\
         <span>shortest: {}</span><span>longest: {}</span></p>",
        duration(median),
        duration(p90),
        duration(d.min.unwrap_or(median)),
        duration(d.max.unwrap_or(p90))
    );
    // From the first bucket with a send to the last: empty buckets in
    // between show the gaps, the ones around them would only add rows.
    let first = d.buckets.iter().position(|b| b.count > 0).unwrap_or(0);
    let last = d.buckets.iter().rposition(|b| b.count > 0).unwrap_or(0);
    let items: Vec<(String, u64)> = d.buckets[first..=last]
        .iter()
        .map(|b| (bucket_label(b.from_ms, b.to_ms), b.count))
        .collect();
    chart(h, charts::bars(&items, PURPLE), "");
}

fn bucket_label(from: i64, to: Option<i64>) -> String {
    match (from, to) {
        (0, Some(to)) => format!("under {}", duration(to)),
        (from, Some(to)) => format!("{}–{}", duration(from), duration(to)),
        (from, None) => format!("{} or more", duration(from)),
    }
}

fn deferrals(h: &mut String, r: &RuleReport) {
    h.push_str("<h3>Quiet-hours deferrals</h3>\n");
    if r.deferred == 0 {
        h.push_str("<p class=\"empty\">No send was deferred by quiet hours.</p>\n");
        return;
    }
    let _ = writeln!(
        h,
        "<p>{} send(s) fell in quiet hours and were deferred; per day of the deferral (UTC):</p>",
        thousands(r.deferred)
    );
    chart(h, charts::per_day(&r.deferred_by_day, ORANGE), "");
}

fn goal(h: &mut String, g: Option<&Goal>) {
    h.push_str("<h3>Goal conversion</h3>\n");
    let Some(g) = g else {
        h.push_str("<p class=\"empty\">This rule has no goal.</p>\n");
        return;
    };
    let _ = writeln!(
        h,
        "<p>Goal: <code>{}</code> within {} of the send.</p>",
        escape(&g.event),
        duration(g.within_ms)
    );
    h.push_str("<table>\n<thead><tr><th>group</th><th>customers</th><th>converted</th>");
    h.push_str("<th>rate</th><th>95&nbsp;% CI (Wilson)</th></tr></thead>\n<tbody>\n");
    let c = &g.counts;
    group_row(h, "sent", c.sent, c.sent_converted, g.sent_rate, g.sent_ci);
    group_row(
        h,
        "holdout",
        c.holdout,
        c.holdout_converted,
        g.holdout_rate,
        g.holdout_ci,
    );
    h.push_str("</tbody>\n</table>\n");
    let _ = writeln!(
        h,
        "<p>Lift (sent − holdout): <b>{}</b> (95&nbsp;% CI, Newcombe's hybrid score interval).</p>",
        lift(g)
    );
}

fn group_row(h: &mut String, name: &str, n: u64, x: u64, rate: Option<f64>, ci: Option<Interval>) {
    let rate = rate.map_or("n/a".into(), |p| format!("{p:.1}&nbsp;%"));
    let ci = ci.map_or("n/a".into(), |i| {
        format!("{:.1} – {:.1}&nbsp;%", i.low, i.high)
    });
    let _ = writeln!(
        h,
        "<tr><td>{name}</td><td>{}</td><td>{}</td><td>{rate}</td><td>{ci}</td></tr>",
        thousands(n),
        thousands(x)
    );
}

fn method(h: &mut String) {
    h.push_str(
        "<h2 id=\"method\">Method</h2>\n\
<p>Days are UTC days: sends by their <code>send_at</code>, deferrals by the time the send was \
due. The channel of a send is the channel of the first step of its cascade (what the sender \
tries first). The delay is <code>send_at</code> minus the time of the trigger event: the \
rule's wait plus any quiet-hours deferral; the median and the 90th percentile are \
nearest-rank (the smallest delay with at least half, or nine tenths, of the sends at or \
below it). A histogram bucket holds the delays from its start up to, not including, the \
next bucket's start.</p>\n\
<p>Goal conversion counts, for each send and each held-out customer, whether the goal \
event came within the goal's window after the send time. A rate's 95&nbsp;% interval is \
Wilson's score interval. The lift is the sent rate minus the holdout rate, in percentage \
points; its 95&nbsp;% interval is Newcombe's hybrid score interval (method 10 of \
Newcombe, <i>Statistics in Medicine</i> 17, 1998), built from the two Wilson intervals \
(l₁, u₁) and (l₂, u₂): from d − √((p₁ − l₁)² + (u₂ − p₂)²) to \
d + √((u₁ − p₁)² + (p₂ − l₂)²), with d = p₁ − p₂. Unlike the Wald interval it stays \
sensible for small holdouts and rates near 0. An interval that contains 0 means the run \
cannot tell the rule's effect from chance. n/a: a group is empty.</p>\n",
    );
}

/// A duration in at most two units (`90d`, `1d12h`, `2h30m`, `45s`):
/// weeks are left out, a wait is written in days.
pub fn duration(ms: i64) -> String {
    if ms == 0 {
        return "0s".into();
    }
    let sign = if ms < 0 { "−" } else { "" };
    let mut rest = ms.unsigned_abs();
    let mut parts = Vec::new();
    for (unit, size) in [
        ("d", DAY_MS as u64),
        ("h", 3_600_000),
        ("m", 60_000),
        ("s", 1_000),
        ("ms", 1),
    ] {
        if rest >= size && parts.len() < 2 {
            parts.push(format!("{}{unit}", rest / size));
            rest %= size;
        } else if !parts.is_empty() {
            // Two units at most, and adjacent ones: `1d0h5m` is `1d`.
            break;
        }
    }
    format!("{sign}{}", parts.concat())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup() {
        assert_eq!(
            escape("<a href='x'>&\"</a>"),
            "&lt;a href=&#39;x&#39;&gt;&amp;&quot;&lt;/a&gt;"
        );
    }

    #[test]
    fn durations_read_in_days() {
        assert_eq!(duration(90 * DAY_MS), "90d");
        assert_eq!(duration(DAY_MS + 12 * 3_600_000), "1d12h");
        assert_eq!(duration(DAY_MS + 5 * 60_000), "1d");
        assert_eq!(duration(150_000), "2m30s");
        assert_eq!(duration(1_500), "1s500ms");
    }

    #[test]
    fn signs_use_a_minus_and_no_negative_zero() {
        assert_eq!(signed(-3.44), "−3.4");
        assert_eq!(signed(-0.01), "+0.0");
        assert_eq!(signed(0.2), "+0.2");
    }
}
