//! The runtime against an independent computation on real data: the Taobao
//! UserBehavior slice in ../shared (headerless CSV
//! `user_id,item_id,category_id,behavior_type,timestamp`, never committed:
//! no licence). For two seed rules, `trig run` must report exactly the
//! customers and times that a direct, naive computation written here finds.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::process::Command;

const DATA: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../shared/data/events/taobao_userbehavior_2h_window.csv"
);

struct Row {
    user: String,
    behavior: String,
    /// Milliseconds.
    time: i64,
}

fn rows() -> Option<Vec<Row>> {
    let text = match std::fs::read_to_string(DATA) {
        Ok(t) => t,
        Err(_) => {
            use std::io::Write;
            let _ = writeln!(std::io::stderr(), "SKIPPED: {DATA} is absent");
            return None;
        }
    };
    let rows = text
        .lines()
        .filter(|l| !l.is_empty())
        .map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            Row {
                user: f[0].to_string(),
                behavior: f[3].to_string(),
                time: f[4].parse::<i64>().expect("epoch seconds") * 1000,
            }
        })
        .collect();
    Some(rows)
}

/// Each customer's rows in input order (the file is sorted by time).
fn by_user(rows: &[Row]) -> BTreeMap<&str, Vec<&Row>> {
    let mut m: BTreeMap<&str, Vec<&Row>> = BTreeMap::new();
    for r in rows {
        m.entry(r.user.as_str()).or_default().push(r);
    }
    m
}

/// Runs `trig run` with one rule over the file; (customer, fired_at ms).
fn run(rule: &str) -> BTreeSet<(String, i64)> {
    let dir = tempdir();
    let rules = dir.join("rule.trig");
    std::fs::write(&rules, rule).expect("write rule");
    let config = dir.join("trig.toml");
    std::fs::write(&config, "[project]\ntimezone = \"UTC\"\n").expect("write config");
    let out = Command::new(env!("CARGO_BIN_EXE_trig"))
        .args(["run", "--config"])
        .arg(&config)
        .arg(&rules)
        .args(["--events", DATA, "--map", "customer=1,event=4,time=5"])
        .output()
        .expect("trig runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(stderr.contains("0 late, 0 rejected"), "{stderr}");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).expect("action JSON");
            let t = chrono::DateTime::parse_from_rfc3339(v["fired_at"].as_str().expect("fired_at"))
                .expect("RFC 3339")
                .timestamp_millis();
            (v["customer"].as_str().expect("customer").to_string(), t)
        })
        .collect()
}

fn tempdir() -> PathBuf {
    let d = std::env::temp_dir().join(format!(
        "trig-taobao-{}-{:?}",
        std::process::id(),
        std::thread::current().id()
    ));
    std::fs::create_dir_all(&d).expect("temp dir");
    d
}

const HOUR: i64 = 3_600_000;

/// `when cart for 1h and not buy`: per customer, one pending cart at a
/// time (a new cart restarts it); any buy while pending cancels; the
/// reminder is due an hour after the cart, and is sent if the stream
/// reaches that instant (at the end, time stops at the last event).
fn carts_without_buy(rows: &[Row]) -> BTreeSet<(String, i64)> {
    let end = rows.iter().map(|r| r.time).max().unwrap_or(0);
    let mut out = BTreeSet::new();
    for (user, evs) in by_user(rows) {
        let mut pending: Option<i64> = None;
        for e in evs {
            if let Some(start) = pending {
                if e.time >= start + HOUR {
                    out.insert((user.to_string(), start + HOUR));
                    pending = None;
                }
            }
            match e.behavior.as_str() {
                "buy" => pending = None,
                "cart" => pending = Some(e.time),
                _ => {}
            }
        }
        if let Some(start) = pending {
            if start + HOUR <= end {
                out.insert((user.to_string(), start + HOUR));
            }
        }
    }
    out
}

/// `pv 3 times within 30m`: fires on a view when the views in
/// (t − 30m, t] number exactly 3 and had been fewer than 3 at some instant
/// since the last match — the lowest point is just before t, when the
/// window still holds [t − 30m, t) (recounted from scratch for every view).
fn three_views(rows: &[Row]) -> BTreeSet<(String, i64)> {
    let window = 30 * 60_000;
    let mut out = BTreeSet::new();
    for (user, evs) in by_user(rows) {
        let views: Vec<i64> = evs
            .iter()
            .filter(|e| e.behavior == "pv")
            .map(|e| e.time)
            .collect();
        let mut armed = true;
        for (i, &t) in views.iter().enumerate() {
            // Just before t the window still holds a view at exactly
            // t − 30m (it leaves as this one enters).
            let before = views[..i].iter().filter(|&&s| s >= t - window).count();
            if before < 3 {
                armed = true;
            }
            let inside = views[..i].iter().filter(|&&s| s > t - window).count();
            if inside + 1 == 3 && armed {
                out.insert((user.to_string(), t));
                armed = false;
            }
        }
    }
    out
}

fn compare(engine: &BTreeSet<(String, i64)>, expected: &BTreeSet<(String, i64)>) {
    let missing: Vec<_> = expected.difference(engine).take(5).collect();
    let extra: Vec<_> = engine.difference(expected).take(5).collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "engine {} vs independent {}; missing e.g. {missing:?}; extra e.g. {extra:?}",
        engine.len(),
        expected.len()
    );
}

#[test]
fn cart_without_buy_matches_an_independent_computation() {
    let Some(rows) = rows() else { return };
    let expected = carts_without_buy(&rows);
    assert!(expected.len() > 100, "the data should give many reminders");
    let engine = run("when cart for 1h and not buy then send sms \"Your cart is waiting. Reply STOP to opt out\"\n");
    compare(&engine, &expected);
}

#[test]
fn three_views_in_30m_matches_an_independent_computation() {
    let Some(rows) = rows() else { return };
    let expected = three_views(&rows);
    assert!(expected.len() > 100, "the data should give many matches");
    let engine =
        run("when pv 3 times within 30m then send sms \"Still looking? Reply STOP to opt out\"\n");
    compare(&engine, &expected);
}
