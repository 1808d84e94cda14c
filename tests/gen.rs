//! `trig gen`, the synthetic event generator, run as the real binary:
//! determinism, the NDJSON shape, time order, counts and argument errors.

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};

use serde_json::Value;
use sha2::{Digest, Sha256};

fn trig(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_trig"))
        .args(args)
        .output()
        .expect("run trig")
}

/// Runs `trig gen ARGS`, expects success and returns standard output.
fn gen(args: &[&str]) -> Vec<u8> {
    let mut all = vec!["gen"];
    all.extend_from_slice(args);
    let out = trig(&all);
    assert!(
        out.status.success(),
        "trig {all:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

/// Each line parsed, after checking the five fields and their types.
fn events(output: &[u8]) -> Vec<Value> {
    let text = std::str::from_utf8(output).expect("UTF-8");
    assert!(
        text.is_empty() || text.ends_with('\n'),
        "the last line ends"
    );
    text.lines()
        .map(|line| {
            let v: Value =
                serde_json::from_str(line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}"));
            let obj = v
                .as_object()
                .unwrap_or_else(|| panic!("not an object: {line}"));
            let keys: Vec<&str> = obj.keys().map(String::as_str).collect();
            let mut expected = vec!["customer", "event", "id", "props", "time"];
            expected.sort_unstable();
            let mut sorted = keys.clone();
            sorted.sort_unstable();
            assert_eq!(sorted, expected, "{line}");
            for key in ["customer", "event", "time", "id"] {
                assert!(v[key].is_string(), "{key} is not a string: {line}");
            }
            assert!(v["props"].is_object(), "props is not an object: {line}");
            v
        })
        .collect()
}

fn millis(v: &Value) -> i64 {
    let t = v["time"].as_str().unwrap();
    chrono::DateTime::parse_from_rfc3339(t)
        .unwrap_or_else(|e| panic!("bad time {t}: {e}"))
        .timestamp_millis()
}

#[test]
fn same_seed_same_bytes() {
    let args = ["--events", "20000", "--customers", "3000", "--seed", "42"];
    let a = gen(&args);
    let b = gen(&args);
    assert_eq!(a.len(), b.len());
    assert!(a == b, "two runs with the same seed differ");
    let args = [
        "--events",
        "5000",
        "--scenario",
        "many-events",
        "--seed",
        "42",
    ];
    assert!(gen(&args) == gen(&args));
}

#[test]
fn different_seeds_differ() {
    let a = gen(&["--events", "2000", "--seed", "1"]);
    let b = gen(&["--events", "2000", "--seed", "2"]);
    assert!(a != b);
    let a = gen(&[
        "--events",
        "2000",
        "--seed",
        "1",
        "--scenario",
        "many-events",
    ]);
    let b = gen(&[
        "--events",
        "2000",
        "--seed",
        "2",
        "--scenario",
        "many-events",
    ]);
    assert!(a != b);
}

/// The output is meant to be the same on every platform: these digests pin
/// it. A deliberate change to the generator updates them (and says so in
/// its commit); anything else changing them is a bug.
#[test]
fn output_is_pinned() {
    let digest = |bytes: &[u8]| format!("{:x}", Sha256::digest(bytes));
    let shop = gen(&["--events", "10000"]);
    let many = gen(&["--events", "10000", "--scenario", "many-events"]);
    let first = String::from_utf8_lossy(&shop[..shop.iter().position(|&b| b == b'\n').unwrap()])
        .into_owned();
    assert_eq!(
        (
            digest(&shop).as_str(),
            digest(&many).as_str(),
            first.as_str()
        ),
        (PINNED_SHOP, PINNED_MANY, PINNED_FIRST_LINE),
    );
}

const PINNED_SHOP: &str = "fbc9f535bc6fdeba444e3313a7e89c5edd78874a6b5d73e00f032761cdd60982";
const PINNED_MANY: &str = "2544dca5ef83ee52510b3549fb3be69bf9918af9cdeff99a27cf657e3bf0ca13";
const PINNED_FIRST_LINE: &str = r#"{"customer":"c57154","event":"page.viewed","time":"2024-01-01T00:00:00.343Z","id":"g-1","props":{"product_id":"p235","url":"https://shop.example/products/p235"}}"#;

#[test]
fn every_line_is_an_event_and_times_never_go_back() {
    for scenario in ["shop", "many-events"] {
        let out = gen(&["--events", "30000", "--scenario", scenario, "--seed", "7"]);
        let evs = events(&out);
        assert_eq!(evs.len(), 30_000);
        let times: Vec<i64> = evs.iter().map(millis).collect();
        assert!(
            times.windows(2).all(|w| w[0] <= w[1]),
            "{scenario}: times go back"
        );
        assert!(times[0] >= millis(&serde_json::json!({"time": "2024-01-01T00:00:00Z"})));
        let ids: BTreeSet<&str> = evs.iter().map(|v| v["id"].as_str().unwrap()).collect();
        assert_eq!(ids.len(), evs.len(), "{scenario}: ids are unique");
        for (i, v) in evs.iter().enumerate().take(100) {
            assert_eq!(v["id"], format!("g-{}", i + 1));
        }
    }
}

#[test]
fn events_sets_the_line_count() {
    for n in [0, 1, 1000] {
        let out = gen(&["--events", &n.to_string()]);
        assert_eq!(out.iter().filter(|&&b| b == b'\n').count(), n);
    }
    let out = gen(&["--events", "1000", "--scenario", "many-events"]);
    assert_eq!(events(&out).len(), 1000);
}

#[test]
fn customers_stay_within_the_limit() {
    for customers in [1u32, 50, 2000] {
        let out = gen(&["--events", "20000", "--customers", &customers.to_string()]);
        let seen: BTreeSet<String> = events(&out)
            .iter()
            .map(|v| v["customer"].as_str().unwrap().to_string())
            .collect();
        assert!(
            seen.len() <= customers as usize,
            "{} > {customers}",
            seen.len()
        );
        for c in &seen {
            let n: u32 = c
                .strip_prefix('c')
                .and_then(|n| n.parse().ok())
                .unwrap_or_else(|| panic!("customer id {c}"));
            assert!((1..=customers).contains(&n), "{c}");
        }
    }
}

#[test]
fn activity_is_skewed_and_comes_in_sessions() {
    let evs = events(&gen(&["--events", "50000", "--customers", "10000"]));
    let mut per_customer = std::collections::HashMap::<&str, usize>::new();
    for v in &evs {
        *per_customer
            .entry(v["customer"].as_str().unwrap())
            .or_default() += 1;
    }
    let mut counts: Vec<usize> = per_customer.values().copied().collect();
    counts.sort_unstable_by(|a, b| b.cmp(a));
    let median = counts[counts.len() / 2];
    assert!(
        counts[0] > 20 * median,
        "top {} vs median {median}",
        counts[0]
    );
    // Sessions: most events follow the same customer's previous event
    // within minutes.
    let mut last = std::collections::HashMap::<&str, i64>::new();
    let mut close = 0;
    for v in &evs {
        let t = millis(v);
        if let Some(prev) = last.insert(v["customer"].as_str().unwrap(), t) {
            if t - prev <= 5 * 60 * 1000 {
                close += 1;
            }
        }
    }
    assert!(
        close * 2 > evs.len(),
        "only {close} events within 5 min of the previous one"
    );
}

#[test]
fn shop_events_have_their_props() {
    let evs = events(&gen(&["--events", "20000", "--seed", "3"]));
    let mut names = BTreeSet::new();
    let mut abandoned = BTreeSet::new();
    let mut bought_after_abandon = 0;
    for v in &evs {
        let p = &v["props"];
        let name = v["event"].as_str().unwrap();
        names.insert(name.to_string());
        match name {
            "page.viewed" => {
                assert!(p["product_id"].is_string(), "{v}");
                assert!(p["url"].as_str().unwrap().starts_with("https://"), "{v}");
            }
            "cart.abandoned" => {
                assert!(
                    p["cart_id"].is_string() && p["value"].as_f64().unwrap() > 0.0,
                    "{v}"
                );
                assert!(p["url"].as_str().unwrap().starts_with("https://"), "{v}");
                abandoned.insert(p["cart_id"].as_str().unwrap().to_string());
            }
            "order.completed" => {
                assert!(
                    p["cart_id"].is_string() && p["value"].as_f64().unwrap() > 0.0,
                    "{v}"
                );
                if abandoned.contains(p["cart_id"].as_str().unwrap()) {
                    bought_after_abandon += 1;
                }
            }
            other => panic!("unexpected event {other}"),
        }
    }
    assert_eq!(
        names.into_iter().collect::<Vec<_>>(),
        ["cart.abandoned", "order.completed", "page.viewed"]
    );
    // Some abandoned carts are bought later, and some are not.
    assert!(bought_after_abandon > 0);
    assert!(bought_after_abandon < abandoned.len());
}

#[test]
fn many_events_uses_the_given_names() {
    let evs = events(&gen(&[
        "--events",
        "20000",
        "--scenario",
        "many-events",
        "--event-names",
        "30",
    ]));
    let names: BTreeSet<&str> = evs.iter().map(|v| v["event"].as_str().unwrap()).collect();
    let allowed: BTreeSet<String> = (0..30).map(|i| format!("ev.{i:03}")).collect();
    for n in &names {
        assert!(allowed.contains(*n), "{n}");
    }
    assert!(names.len() > 20, "{} names", names.len());
    // Zipf: the first name is the most frequent.
    let count = |n: &str| evs.iter().filter(|v| v["event"] == n).count();
    assert!(count("ev.000") > count("ev.029"));
}

#[test]
fn output_file_matches_stdout() {
    let path: PathBuf =
        std::env::temp_dir().join(format!("trig-gen-test-{}.ndjson", std::process::id()));
    let args = ["--events", "3000", "--seed", "9"];
    let stdout = gen(&args);
    let path_str = path.to_str().unwrap();
    let empty = gen(&["--events", "3000", "--seed", "9", "-o", path_str]);
    assert!(empty.is_empty());
    let written = std::fs::read(&path).unwrap();
    let _ = std::fs::remove_file(&path);
    assert!(written == stdout);
}

#[test]
fn closed_pipe_ends_quietly() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_trig"))
        .args(["gen", "--events", "5000000"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut reader = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    reader.read_line(&mut line).unwrap();
    assert!(line.starts_with("{\"customer\":"));
    drop(reader);
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{:?}", out.status);
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn bad_arguments_are_usage_errors() {
    for args in [
        &["gen", "--customers", "0"][..],
        &["gen", "--start", "yesterday"],
        &["gen", "--event-names", "10"],
        &["gen", "--scenario", "many-events", "--event-names", "0"],
        &["gen", "--scenario", "mall"],
        &["gen", "--events", "-1"],
        &["gen", "-o", "/nonexistent-dir/x/y.ndjson", "--events", "1"],
    ] {
        let out = trig(args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(!out.stderr.is_empty(), "{args:?}");
        assert!(out.stdout.is_empty(), "{args:?}");
    }
}
