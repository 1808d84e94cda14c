//! `trig run --report`: the JSON figures equal an independent count over
//! the run's own outputs (actions and suppressed/deferred lines, parsed
//! here, not by the library) and the goal lines of the summary; a run on
//! two threads, or without `--suppressed`, gives the same figures; the
//! HTML is self-contained and escaped, and renders in headless Chromium
//! without console errors.

#[path = "support/editor_tools.rs"]
mod editor_tools;
#[path = "support/project.rs"]
mod project;

use std::collections::BTreeMap;
use std::path::Path;

use project::{ndjson, Dir, Run};
use serde_json::Value;

const REASONS: [&str; 8] = [
    "guard",
    "type_error",
    "no_usable_step",
    "holdout",
    "limit",
    "once",
    "cap",
    "cancelled",
];

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The README's CDNOW run, in `d`, writing actions.ndjson, report.html
/// and report.json (and whatever `extra` adds).
fn cdnow(d: &Dir, extra: &[&str]) -> Run {
    let config = root().join("examples/cdnow/trig.toml");
    let rules = root().join("examples/cdnow");
    let events = root().join("examples/data/cdnow_purchases.ndjson");
    let mut args = vec![
        "run",
        "--config",
        config.to_str().unwrap(),
        rules.to_str().unwrap(),
        "--events",
        events.to_str().unwrap(),
        "--out",
        "actions.ndjson",
        "--report",
        "report.html",
    ];
    args.extend_from_slice(extra);
    let run = d.trig(&args);
    run.ok();
    run
}

fn json_file(d: &Dir, rel: &str) -> Value {
    serde_json::from_str(&d.read(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

fn ms(time: &Value) -> i64 {
    let s = time.as_str().expect("a time string");
    chrono::DateTime::parse_from_rfc3339(s)
        .unwrap_or_else(|e| panic!("{s}: {e}"))
        .timestamp_millis()
}

/// `YYYY-MM-DD` of an RFC 3339 UTC time (`…Z`, as trig writes them).
fn day(time: &Value) -> String {
    time.as_str().expect("a time string")[..10].to_string()
}

fn str_of<'a>(v: &'a Value, key: &str) -> &'a str {
    v[key]
        .as_str()
        .unwrap_or_else(|| panic!("no `{key}` in {v}"))
}

/// Counts by key, as the JSON object the report should hold.
fn counts(keys: impl Iterator<Item = String>) -> Value {
    let mut m: BTreeMap<String, u64> = BTreeMap::new();
    for k in keys {
        *m.entry(k).or_insert(0) += 1;
    }
    serde_json::to_value(m).unwrap()
}

/// The nearest-rank quantile of sorted values.
fn nearest_rank(sorted: &[i64], q: f64) -> Value {
    if sorted.is_empty() {
        return Value::Null;
    }
    let rank = ((q * sorted.len() as f64).ceil() as usize).max(1);
    Value::from(sorted[rank - 1])
}

/// The summary's goal lines: rule → [sent, converted, holdout, converted].
fn summary_goals(stderr: &str) -> BTreeMap<String, [u64; 4]> {
    let number = |s: &str| -> u64 {
        let digits: String = s.chars().filter(|c| c.is_ascii_digit()).collect();
        digits
            .parse()
            .unwrap_or_else(|_| panic!("no number in `{s}`"))
    };
    let mut goals = BTreeMap::new();
    for line in stderr.lines() {
        let Some(rest) = line.strip_prefix("goal ") else {
            continue;
        };
        let (name, rest) = rest.split_once(": sent ").expect("`goal NAME: sent …`");
        let (sent, rest) = rest.split_once(" → ").unwrap();
        let converted = rest.split_whitespace().next().unwrap();
        let mut g = [number(sent), number(converted), 0, 0];
        if let Some((_, rest)) = rest.split_once(", holdout ") {
            let (held, rest) = rest.split_once(" → ").unwrap();
            let converted = rest.split_whitespace().next().unwrap();
            g[2] = number(held);
            g[3] = number(converted);
        }
        goals.insert(name.to_string(), g);
    }
    goals
}

/// Checks every figure of `report` against the actions and notices, and
/// the goals against the summary on `stderr`.
fn check_figures(report: &Value, actions: &[Value], notices: &[Value], stderr: &str) {
    let rules = report["rules"].as_object().expect("`rules` is an object");
    for a in actions.iter().chain(notices) {
        assert!(rules.contains_key(str_of(a, "rule")), "rule missing: {a}");
    }
    for (name, r) in rules {
        let sent: Vec<&Value> = actions.iter().filter(|a| a["rule"] == **name).collect();
        let noted: Vec<&Value> = notices.iter().filter(|n| n["rule"] == **name).collect();
        let why = |what: &str| format!("rule {name}: {what}");
        assert_eq!(r["sends"], sent.len(), "{}", why("sends"));
        let by_day = counts(sent.iter().map(|a| day(&a["send_at"])));
        assert_eq!(r["sends_by_day"], by_day, "{}", why("sends_by_day"));
        let channels = counts(
            sent.iter()
                .map(|a| str_of(&a["steps"][0], "channel").into()),
        );
        assert_eq!(r["channels"], channels, "{}", why("channels"));
        check_delays(&r["delay_ms"], &sent, name);
        let suppressed: Vec<&Value> = noted
            .iter()
            .copied()
            .filter(|n| n["outcome"] == "suppressed")
            .collect();
        for reason in REASONS {
            let n = suppressed.iter().filter(|s| s["reason"] == reason).count();
            assert_eq!(r["suppressed"][reason], n, "{}", why(reason));
        }
        assert_eq!(r["suppressed"].as_object().unwrap().len(), REASONS.len());
        let deferred: Vec<&Value> = noted
            .iter()
            .copied()
            .filter(|n| n["outcome"] == "deferred")
            .collect();
        assert_eq!(r["deferred"], deferred.len(), "{}", why("deferred"));
        let by_day = counts(deferred.iter().map(|n| day(&n["at"])));
        assert_eq!(r["deferred_by_day"], by_day, "{}", why("deferred_by_day"));
    }
    check_goals(report, stderr);
    let t = &report["totals"];
    assert_eq!(t["sends"], actions.len());
    let outcome = |o: &str| notices.iter().filter(|n| n["outcome"] == o).count();
    assert_eq!(t["suppressed"], outcome("suppressed"));
    assert_eq!(t["deferred"], outcome("deferred"));
    assert_eq!(t["rules"], rules.len());
    assert_eq!(
        t["events"],
        project::summary_number(stderr, "events: ", " read").unwrap()
    );
}

fn check_delays(delay: &Value, sent: &[&Value], rule: &str) {
    let mut delays: Vec<i64> = sent
        .iter()
        .map(|a| ms(&a["send_at"]) - ms(&a["trigger"]["at"]))
        .collect();
    delays.sort_unstable();
    assert_eq!(delay["count"], delays.len(), "rule {rule}");
    assert_eq!(delay["median"], nearest_rank(&delays, 0.5), "rule {rule}");
    assert_eq!(delay["p90"], nearest_rank(&delays, 0.9), "rule {rule}");
    assert_eq!(
        delay["min"],
        delays.first().map_or(Value::Null, |d| (*d).into())
    );
    assert_eq!(
        delay["max"],
        delays.last().map_or(Value::Null, |d| (*d).into())
    );
    let buckets = delay["buckets"].as_array().expect("buckets");
    assert_eq!(buckets[0]["from"], 0, "the first bucket starts at zero");
    assert!(buckets.last().unwrap()["to"].is_null(), "the last is open");
    for pair in buckets.windows(2) {
        assert_eq!(pair[0]["to"], pair[1]["from"], "buckets are contiguous");
    }
    for b in buckets {
        let from = b["from"].as_i64().unwrap();
        let to = b["to"].as_i64().unwrap_or(i64::MAX);
        let n = delays.iter().filter(|d| from <= **d && **d < to).count();
        assert_eq!(b["count"], n, "rule {rule}, bucket {b}");
    }
}

fn check_goals(report: &Value, stderr: &str) {
    let goals = summary_goals(stderr);
    for (name, r) in report["rules"].as_object().unwrap() {
        let g = &r["goal"];
        let Some([sent, sent_conv, held, held_conv]) = goals.get(name).copied() else {
            // No goal line: the rule has no goal, or it never sent.
            assert!(
                g.is_null() || (g["sent"] == 0 && g["holdout"] == 0),
                "{name}: {g}"
            );
            continue;
        };
        assert_eq!(
            [
                &g["sent"],
                &g["sent_converted"],
                &g["holdout"],
                &g["holdout_converted"]
            ],
            [sent, sent_conv, held, held_conv],
            "rule {name}"
        );
        if sent == 0 || held == 0 {
            for k in ["lift_points", "ci_low", "ci_high"] {
                assert!(g[k].is_null(), "{name}: {k} with an empty group: {g}");
            }
            continue;
        }
        let rate = |x: u64, n: u64| x as f64 / n as f64 * 100.0;
        let lift = rate(sent_conv, sent) - rate(held_conv, held);
        let got = g["lift_points"].as_f64().unwrap();
        assert!((got - lift).abs() < 1e-9, "{name}: lift {got} != {lift}");
        let (low, high) = (
            g["ci_low"].as_f64().unwrap(),
            g["ci_high"].as_f64().unwrap(),
        );
        assert!(
            low < lift && lift < high,
            "{name}: {lift} outside [{low}, {high}]"
        );
        assert!((-100.0..=100.0).contains(&low) && (-100.0..=100.0).contains(&high));
    }
}

#[test]
fn cdnow_figures_equal_an_independent_count_of_the_outputs() {
    let d = Dir::new("report-cdnow");
    let run = cdnow(&d, &["--suppressed", "suppressed.ndjson"]);
    let report = json_file(&d, "report.json");
    let actions = ndjson(&d.read("actions.ndjson"));
    let notices = ndjson(&d.read("suppressed.ndjson"));
    check_figures(&report, &actions, &notices, &run.stderr);
    // Not vacuous: the example sends, suppresses and has a holdout goal.
    let rules = report["rules"].as_object().unwrap();
    assert_eq!(rules.len(), 3);
    assert!(report["totals"]["sends"].as_u64().unwrap() > 2000);
    assert!(report["totals"]["suppressed"].as_u64().unwrap() > 0);
    let winback = &rules["winback_90d"];
    assert!(winback["goal"]["holdout"].as_u64().unwrap() > 0);
    assert_eq!(winback["delay_ms"]["median"], 90 * 86_400_000i64);
    assert!(rules["first_purchase"]["goal"].is_null());
}

#[test]
fn two_threads_give_the_same_figures() {
    let one = Dir::new("report-one-thread");
    let two = Dir::new("report-two-threads");
    cdnow(&one, &[]);
    cdnow(&two, &["--threads", "2"]);
    assert_eq!(
        json_file(&one, "report.json"),
        json_file(&two, "report.json")
    );
}

/// Orders of 12 customers, one every 47 minutes over three days, so that
/// some fall in quiet hours; every ninth is a test order (guarded out).
fn quiet_project(name: &str, events_file: &str) -> Dir {
    let rules = r#"
rule nightly:
  when "Order <Completed> & Co" as o
  unless o.test
  then send sms "Thanks for your order. Reply STOP to opt out"
  quiet 22:00-08:00
  holdout 25%
  goal "Order <Completed> & Co" within 7d

rule follow_up:
  when "Order <Completed> & Co" as o for 2h
  then send sms "How was it? Reply STOP to opt out"
  limit 1 per 1d
  quiet 22:00-08:00
"#;
    let start = 1_709_251_200_000i64; // 2024-03-01T00:00:00Z
    let events: Vec<String> = (0..90)
        .map(|i| {
            format!(
                r#"{{"customer":"c{}","event":"Order <Completed> & Co","time":{},"id":"e{i}","props":{{"test":{}}}}}"#,
                i % 12,
                start + i * 47 * 60_000,
                i % 9 == 0
            )
        })
        .collect();
    let d = Dir::project(name, rules);
    d.lines(events_file, &events);
    d
}

#[test]
fn deferrals_are_counted_with_or_without_suppressed() {
    let d = quiet_project("report-quiet", "events.ndjson");
    let run = d.trig(&[
        "run",
        "--events",
        "events.ndjson",
        "--out",
        "actions.ndjson",
        "--suppressed",
        "suppressed.ndjson",
        "--report",
        "with.html",
    ]);
    run.ok();
    let with = json_file(&d, "with.json");
    let actions = ndjson(&d.read("actions.ndjson"));
    let notices = ndjson(&d.read("suppressed.ndjson"));
    check_figures(&with, &actions, &notices, &run.stderr);
    assert!(with["totals"]["deferred"].as_u64().unwrap() > 0, "{with}");
    assert!(
        with["rules"]["nightly"]["suppressed"]["guard"]
            .as_u64()
            .unwrap()
            > 0
    );
    d.trig(&[
        "run",
        "--events",
        "events.ndjson",
        "--out",
        "/dev/null",
        "--report",
        "without.html",
    ])
    .ok();
    assert_eq!(with, json_file(&d, "without.json"));
}

/// No script, no stylesheet or font link, nothing fetched.
fn assert_self_contained(html: &str) {
    let lower = html.to_ascii_lowercase();
    for banned in [
        "<script", "<link", "<iframe", "<object", "<embed", "<img", "@import", "url(",
    ] {
        assert!(!lower.contains(banned), "the report has `{banned}`");
    }
    for attr in ["src=", "href="] {
        for (i, _) in lower.match_indices(attr) {
            let value = lower[i + attr.len()..].trim_start_matches(['"', '\'']);
            for external in ["http://", "https://", "//", "file:"] {
                assert!(
                    !value.starts_with(external),
                    "external resource: {}",
                    &html[i..(i + 80).min(html.len())]
                );
            }
        }
    }
}

#[test]
fn the_html_is_self_contained() {
    let d = Dir::new("report-html");
    cdnow(&d, &[]);
    let html = d.read("report.html");
    assert!(html.starts_with("<!DOCTYPE html>"));
    assert_self_contained(&html);
    assert!(!html.contains("://"), "a URL in the report");
    // One chart per rule at least, inline.
    assert!(html.matches("<svg ").count() >= 9);
    for rule in ["first_purchase", "repeat_within_30d", "winback_90d"] {
        assert!(html.contains(rule), "{rule} missing");
    }
}

#[test]
fn names_are_escaped_in_the_html() {
    let file = "orders <b>&'.ndjson";
    let d = quiet_project("report-escape", file);
    d.trig(&[
        "run",
        "--events",
        file,
        "--out",
        "/dev/null",
        "--report",
        "r.html",
    ])
    .ok();
    let html = d.read("r.html");
    assert_self_contained(&html);
    assert!(
        html.contains("orders &lt;b&gt;&amp;&#39;.ndjson"),
        "file name"
    );
    assert!(
        html.contains("Order &lt;Completed&gt; &amp; Co"),
        "goal event"
    );
    assert!(!html.contains("<b>&") && !html.contains("<Completed>"));
    assert_eq!(json_file(&d, "r.json")["inputs"][0], file);
}

#[test]
fn reports_that_cannot_be_written_are_refused() {
    let d = quiet_project("report-refused", "events.ndjson");
    let run = |report: &str| {
        let args = [
            "run",
            "--events",
            "events.ndjson",
            "--out",
            "a.ndjson",
            "--report",
            report,
        ];
        let r = d.trig(&args);
        r.no_panic();
        assert_eq!(r.code, 2, "{r:?}");
        r
    };
    // Before the run: nothing is written.
    let r = run("no/such/folder/r.html");
    assert!(r.stderr.contains("no/such/folder"), "{r:?}");
    assert!(!d.exists("a.ndjson"));
    let r = run("r.json");
    assert!(r.stderr.contains("r.json"), "{r:?}");
    // The JSON next to the HTML would overwrite an input.
    d.write("in.json", "{}\n");
    let r = d.trig(&["run", "--events", "in.json", "--report", "in.html"]);
    assert_eq!(r.code, 2, "{r:?}");
    assert!(r.stderr.contains("is also an input"), "{r:?}");
    assert_eq!(d.read("in.json"), "{}\n");
    // After the run: a folder in the way of the HTML.
    std::fs::create_dir(d.path("taken.html")).unwrap();
    let r = run("taken.html");
    assert!(r.stderr.contains("taken.html"), "{r:?}");
    assert!(!d.exists("taken.json"), "half a report was left");
}

/// (width, height, RGBA pixels) of a PNG.
fn decode_png(path: &Path) -> (u32, u32, Vec<[u8; 4]>) {
    let file = std::fs::File::open(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut reader = png::Decoder::new(file).read_info().expect("a PNG");
    let mut buf = vec![0; reader.output_buffer_size()];
    let info = reader.next_frame(&mut buf).expect("a PNG frame");
    assert_eq!(info.bit_depth, png::BitDepth::Eight, "{info:?}");
    let channels = info.color_type.samples();
    let pixels = buf[..info.buffer_size()]
        .chunks(channels)
        .map(|p| match *p {
            [r, g, b, a] => [r, g, b, a],
            [r, g, b] => [r, g, b, 255],
            [l, a] => [l, l, l, a],
            [l] => [l, l, l, 255],
            _ => unreachable!("chunks of 1 to 4 samples"),
        })
        .collect();
    (info.width, info.height, pixels)
}

#[test]
fn the_report_renders_in_headless_chromium() {
    let Some(chromium) = editor_tools::chromium() else {
        return;
    };
    let d = Dir::new("report-chromium");
    cdnow(&d, &[]);
    let page = d.path("report.html");
    let shot = d.path("report.png");
    let log = editor_tools::screenshot(&chromium, &page, &shot, (1280, 2400));
    let errors = editor_tools::console_errors(&log, &page);
    assert!(errors.is_empty(), "console errors:\n{}", errors.join("\n"));
    let (width, height, pixels) = decode_png(&shot);
    assert_eq!((width, height), (1280, 2400));
    let white = pixels.iter().filter(|p| p[..3] == [255, 255, 255]).count();
    let inked = pixels.len() - white;
    assert!(
        inked * 50 > pixels.len(),
        "nearly blank: {inked} non-white pixels"
    );
    let distinct: std::collections::HashSet<[u8; 4]> = pixels.iter().copied().collect();
    assert!(distinct.len() > 50, "only {} colours", distinct.len());
    // The charts were drawn: the solid bars of the first rule's channel mix
    // (green) and delay histogram (purple) are on screen.
    let near = |c: [u8; 3]| {
        pixels
            .iter()
            .filter(|p| (0..3).all(|i| p[i].abs_diff(c[i]) <= 8))
            .count()
    };
    assert!(near([44, 160, 44]) > 1000, "no channel bars");
    assert!(near([148, 103, 189]) > 1000, "no delay bars");

    // The console check is not vacuous: a page with errors is caught.
    d.write(
        "broken.html",
        "<!DOCTYPE html><p>x</p><script>console.error('boom'); missing();</script>",
    );
    let broken = d.path("broken.html");
    let log = editor_tools::screenshot(&chromium, &broken, &d.path("b.png"), (320, 200));
    assert!(
        !editor_tools::console_errors(&log, &broken).is_empty(),
        "console errors went unnoticed:\n{log}"
    );
}
