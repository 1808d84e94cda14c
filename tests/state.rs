//! Durable state (`trig run --state DIR`, `trig state inspect|stats|forget`)
//! through the real binary, each test in its own temporary folder: resuming
//! across runs, `kill -9` at seeded random points, rule changes between
//! runs, input positions, outputs cut back to the checkpoint, GDPR erasure,
//! event-id dedupe, time guards, hostile input, per-rule bounds and the
//! `trig state` commands, as docs/runtime.md ("Durable state") describes
//! them.
//!
//! A test that checks required behaviour the binary does not have is
//! `#[ignore = "BUG: …"]`: it keeps asserting the required behaviour.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

#[path = "support/project.rs"]
mod project;
use project::{joined, ndjson, summary_number, Dir, PROJECT};

// ------------------------------------------------------------------ harness

/// A generic NDJSON event line with an id.
fn ev(customer: &str, event: &str, time: &str, id: &str) -> String {
    format!(r#"{{"customer":"{customer}","event":"{event}","time":"{time}","id":"{id}"}}"#)
}

/// A generic NDJSON event line with props (a JSON object text) and no id.
fn ev_props(customer: &str, event: &str, time: &str, props: &str) -> String {
    format!(r#"{{"customer":"{customer}","event":"{event}","time":"{time}","props":{props}}}"#)
}

/// The `id` of every action line, in order.
fn ids(text: &str) -> Vec<String> {
    ndjson(text)
        .iter()
        .map(|a| a["id"].as_str().expect("an id").to_string())
        .collect()
}

fn id_set(text: &str) -> BTreeSet<String> {
    ids(text).into_iter().collect()
}

/// Ids that occur more than once.
fn duplicates(ids: &[String]) -> Vec<&String> {
    let mut count: BTreeMap<&String, usize> = BTreeMap::new();
    for i in ids {
        *count.entry(i).or_default() += 1;
    }
    count
        .into_iter()
        .filter(|(_, n)| *n > 1)
        .map(|(i, _)| i)
        .collect()
}

/// `(rule, customer, fired_at)` of every action.
fn fired(text: &str) -> BTreeSet<(String, String, String)> {
    ndjson(text)
        .iter()
        .map(|a| {
            (
                a["rule"].as_str().unwrap().to_string(),
                a["customer"].as_str().unwrap().to_string(),
                a["fired_at"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn contains_bytes(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

/// SplitMix64: a seeded generator for kill points.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn between(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.next() % (hi - lo)
    }
}

fn file_len(p: &Path) -> u64 {
    std::fs::metadata(p).map(|m| m.len()).unwrap_or(0)
}

/// Waits until `watch` changes length (the child got past its start-up:
/// it cut the file back or wrote to it) or the child exits, then `delay`
/// more, then kills the child with SIGKILL (`Child::kill` on Unix).
/// Returns a description of the kill point, or `None` when the child
/// exited on its own first (with its status).
fn kill_after_output_starts(
    child: &mut Child,
    watch: &Path,
    delay: Duration,
) -> Result<String, std::process::ExitStatus> {
    let before = file_len(watch);
    let spawned = Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return Err(status);
        }
        if file_len(watch) != before || spawned.elapsed() > Duration::from_secs(30) {
            break;
        }
        std::thread::sleep(Duration::from_millis(2));
    }
    let anchor = spawned.elapsed();
    std::thread::sleep(delay);
    if let Some(status) = child.try_wait().unwrap() {
        return Err(status);
    }
    child.kill().unwrap();
    let status = child.wait().unwrap();
    Ok(format!(
        "killed {} ms after the output started ({} ms after spawn; {status})",
        delay.as_millis(),
        (anchor + delay).as_millis()
    ))
}

/// The checkpointed length of an output file, from `trig state inspect`.
fn committed_length(d: &Dir, state: &str, file: &str) -> Option<u64> {
    let r = d.trig(&["state", "inspect", state]);
    let suffix = format!("{file}: byte ");
    r.stdout.lines().find_map(|l| {
        let at = l.find(&suffix)?;
        l[at + suffix.len()..].trim().parse().ok()
    })
}

/// `input FILE: line N` of `trig state inspect`, for diagnostics.
fn inspected_line(d: &Dir, state: &str) -> String {
    let r = d.trig(&["state", "inspect", state]);
    r.stdout
        .lines()
        .filter(|l| l.starts_with("input ") || l.starts_with("watermark"))
        .collect::<Vec<_>>()
        .join("; ")
}

// ------------------------------------------------------ 1. resume across runs

/// A `for 2h` wait and an `inactive for 1d` silence.
const WAIT_AND_SILENCE: &str = "\
rule cart_wait:
  when cart.abandoned as c for 2h and not order.completed
  then send sms \"Your cart is waiting. Reply STOP to opt out\"

rule idle:
  when inactive for 1d
  then send sms \"We miss you. Reply STOP to opt out\"
";

/// Waits and silences armed in run 1 fire in run 2, at their own times,
/// and a cancellation that arrives in run 2 cancels a wait of run 1: the
/// union of both runs' actions is exactly one run over both files
/// concatenated (same ids, no duplicates). Without durable state run 2
/// would know nothing of run 1's waits.
#[test]
fn waits_and_silences_armed_in_one_run_fire_in_the_next() {
    let d = Dir::project("resume", WAIT_AND_SILENCE);
    let day1 = [
        // c0's wait completes inside run 1 (10:00 + 2h, time reaches 14:00).
        ev("c0", "cart.abandoned", "2024-05-01T10:00:00Z", "d1-1"),
        ev("c0", "page.viewed", "2024-05-01T14:00:00Z", "d1-2"),
        // The last events start waits that end after the file does.
        ev("c1", "cart.abandoned", "2024-05-01T22:00:00Z", "d1-3"),
        ev("c2", "cart.abandoned", "2024-05-01T22:30:00Z", "d1-4"),
        ev("c3", "page.viewed", "2024-05-01T23:00:00Z", "d1-5"),
    ];
    let day2 = [
        // Cancels c2's wait (22:30 + 2h = 00:30).
        ev("c2", "order.completed", "2024-05-02T00:10:00Z", "d2-1"),
        ev("c4", "page.viewed", "2024-05-02T06:00:00Z", "d2-2"),
        // Time reaches 2024-05-03 so every silence of day 1 is due.
        ev("c4", "page.viewed", "2024-05-03T06:00:00Z", "d2-3"),
    ];
    d.lines("day1.ndjson", &day1).lines("day2.ndjson", &day2);
    let both: Vec<String> = day1.iter().chain(day2.iter()).cloned().collect();
    d.lines("both.ndjson", &both);

    let r1 = d.trig(&[
        "run",
        "--events",
        "day1.ndjson",
        "--state",
        "S",
        "--out",
        "run1.ndjson",
    ]);
    r1.ok();
    let r2 = d.trig(&[
        "run",
        "--events",
        "day2.ndjson",
        "--state",
        "S",
        "--out",
        "run2.ndjson",
    ]);
    r2.ok();
    assert!(r2.stderr.contains("resumed from"), "{r2:?}");
    let one = d.trig(&["run", "--events", "both.ndjson", "--out", "one.ndjson"]);
    one.ok();

    let run1 = d.read("run1.ndjson");
    let run2 = d.read("run2.ndjson");
    // Run 1 fired only what was due inside it.
    let f1 = fired(&run1);
    assert!(
        f1.contains(&(
            "cart_wait".into(),
            "c0".into(),
            "2024-05-01T12:00:00.000Z".into()
        )),
        "{run1}"
    );
    assert_eq!(f1.len(), 1, "{run1}");
    // Run 2 fires the timers armed in run 1 at their own times.
    let f2 = fired(&run2);
    for (rule, customer, at) in [
        ("cart_wait", "c1", "2024-05-02T00:00:00.000Z"),
        ("idle", "c0", "2024-05-02T14:00:00.000Z"),
        ("idle", "c1", "2024-05-02T22:00:00.000Z"),
        ("idle", "c3", "2024-05-02T23:00:00.000Z"),
        ("idle", "c2", "2024-05-03T00:10:00.000Z"),
    ] {
        assert!(
            f2.contains(&(rule.into(), customer.into(), at.into())),
            "run 2 lacks {rule} for {customer} at {at}:\n{run2}\n{r2:?}"
        );
    }
    // c2's wait was cancelled by the order of run 2.
    assert!(
        !f2.iter().any(|(r, c, _)| r == "cart_wait" && c == "c2"),
        "{run2}"
    );
    // The union equals one run over both files, with no duplicate.
    let mut all = ids(&run1);
    all.extend(ids(&run2));
    assert!(duplicates(&all).is_empty(), "{all:?}");
    let union: BTreeSet<String> = all.into_iter().collect();
    assert_eq!(union, id_set(&d.read("one.ndjson")), "{run1}\n{run2}");
}

/// The CDNOW sample split in two at several points (some in the middle of
/// a day with several purchases) and run as two resumed runs gives the
/// same actions as one run: `limit`, caps, `inactive`, holdout and goal
/// state all survive the checkpoint.
#[test]
fn cdnow_split_in_two_runs_gives_the_actions_of_one_run() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let data = std::fs::read_to_string(root.join("examples/data/cdnow_purchases.ndjson")).unwrap();
    let config = root.join("examples/cdnow/trig.toml");
    let rules = root.join("examples/cdnow");
    let (config, rules) = (config.to_str().unwrap(), rules.to_str().unwrap());
    let lines: Vec<&str> = data.lines().collect();
    let d = Dir::new("cdnow-split");
    d.lines("all.ndjson", &lines);
    d.trig(&[
        "run",
        "--config",
        config,
        rules,
        "--events",
        "all.ndjson",
        "--out",
        "one.ndjson",
    ])
    .ok();
    let one = id_set(&d.read("one.ndjson"));
    assert!(one.len() > 2000, "{}", one.len());
    for cut in [1000, 1657, 2900] {
        let s = format!("S{cut}");
        d.lines("p1.ndjson", &lines[..cut])
            .lines("p2.ndjson", &lines[cut..]);
        d.trig(&[
            "run",
            "--config",
            config,
            rules,
            "--events",
            "p1.ndjson",
            "--state",
            &s,
            "--out",
            "a.ndjson",
        ])
        .ok();
        d.trig(&[
            "run",
            "--config",
            config,
            rules,
            "--events",
            "p2.ndjson",
            "--state",
            &s,
            "--out",
            "b.ndjson",
        ])
        .ok();
        let mut all = ids(&d.read("a.ndjson"));
        all.extend(ids(&d.read("b.ndjson")));
        assert!(duplicates(&all).is_empty(), "cut at {cut}");
        let union: BTreeSet<String> = all.into_iter().collect();
        assert_eq!(union, one, "cut at line {cut}");
    }
}

/// A send decided after a checkpoint (a pattern completes at instant t, the
/// checkpoint is taken, the send is decided when time moves past t) is
/// remembered: the next run does not send a `once` rule again. With
/// `--checkpoint-every 1` every send falls in that gap.
#[test]
fn send_history_decided_after_a_checkpoint_is_saved() {
    let d = Dir::project(
        "decided",
        "rule welcome:\n  when page.viewed\n  then send sms \"Hi Reply STOP to opt out\"\n  once\n",
    );
    d.lines(
        "day1.ndjson",
        &[
            ev("c1", "page.viewed", "2024-05-01T10:00:00Z", "a1"),
            ev("c2", "page.viewed", "2024-05-01T11:00:00Z", "a2"),
            ev("c3", "page.viewed", "2024-05-01T12:00:00Z", "a3"),
        ],
    )
    .lines(
        "day2.ndjson",
        &[
            ev("c1", "page.viewed", "2024-05-02T10:00:00Z", "b1"),
            ev("c2", "page.viewed", "2024-05-02T10:00:00Z", "b2"),
            ev("c3", "page.viewed", "2024-05-02T10:00:00Z", "b3"),
        ],
    );
    let r1 = d.trig(&[
        "run",
        "--events",
        "day1.ndjson",
        "--state",
        "S",
        "--checkpoint-every",
        "1",
        "--out",
        "o1.ndjson",
    ]);
    r1.ok();
    assert_eq!(ids(&d.read("o1.ndjson")).len(), 3);
    let stats = d.trig(&["state", "stats", "S"]);
    assert!(
        stats.stdout.contains("rule welcome: 3 customer(s)"),
        "the `once` history of 3 customers should be stored:\n{stats:?}"
    );
    let r2 = d.trig(&[
        "run",
        "--events",
        "day2.ndjson",
        "--state",
        "S",
        "--out",
        "o2.ndjson",
        "--suppressed",
        "sup2.ndjson",
    ]);
    r2.ok();
    assert_eq!(d.read("o2.ndjson"), "", "`once` sent again:\n{r2:?}");
    assert_eq!(ndjson(&d.read("sup2.ndjson")).len(), 3, "{r2:?}");
}

// ---------------------------------------------------------- 2. crash safety

/// Rules over `trig gen`'s shop stream: a keyed wait with an absence and a
/// limit, a count with a limit, a silence.
const SHOP_RULES: &str = "\
rule cart_wait:
  when cart.abandoned as c for 2h and not order.completed where event.cart_id == c.cart_id
  then send sms \"Cart {c.cart_id} is waiting. Reply STOP to opt out\"
  key c.cart_id
  limit 2 per 1d

rule viewed3:
  when page.viewed as v 3 times within 1h
  then send sms \"Still thinking about {v.product_id}? Reply STOP to opt out\"
  limit 1 per 1d

rule idle:
  when inactive for 1d
  then send sms \"We miss you. Reply STOP to opt out\"
";

/// `kill -9` at seeded random points, resuming each time with the same
/// command until a run exits 0: the actions file then holds exactly the
/// actions of one uninterrupted run (same id set, no duplicate id: the
/// output is cut back to the checkpoint, so file outputs are exactly
/// once), the same suppressed lines, and its last line is complete JSON.
#[test]
fn kill_9_at_random_points_then_resume_gives_every_action_exactly_once() {
    const SEED: u64 = 0x7269_6721;
    const KILLS: usize = 6;
    let d = Dir::project("kill", SHOP_RULES);
    d.trig(&[
        "gen",
        "--events",
        "100000",
        "--customers",
        "3000",
        "--seed",
        "11",
        "-o",
        "shop.ndjson",
    ])
    .ok();
    let full = d.trig(&[
        "run",
        "--events",
        "shop.ndjson",
        "--out",
        "full.ndjson",
        "--suppressed",
        "full-sup.ndjson",
    ]);
    full.ok();
    let args = [
        "run",
        "--events",
        "shop.ndjson",
        "--state",
        "S",
        "--checkpoint-every",
        "5000",
        "--out",
        "part.ndjson",
        "--suppressed",
        "part-sup.ndjson",
    ];
    let mut rng = Rng(SEED);
    let mut log = vec![format!("seed {SEED:#x}")];
    let mut kills = 0;
    // Kills that left bytes after the checkpointed length (to be cut back).
    let mut tails = 0;
    let started = Instant::now();
    loop {
        let mut child = d
            .cmd(&args)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        if kills < KILLS {
            let delay = Duration::from_millis(rng.between(50, 400));
            match kill_after_output_starts(&mut child, &d.path("part.ndjson"), delay) {
                Ok(point) => {
                    kills += 1;
                    let len = file_len(&d.path("part.ndjson"));
                    let committed = committed_length(&d, "S", "part.ndjson");
                    if committed.is_some_and(|c| len > c) {
                        tails += 1;
                    }
                    log.push(format!(
                        "run {kills}: {point}; checkpoint: {}; part.ndjson {len} bytes, {committed:?} committed",
                        inspected_line(&d, "S")
                    ));
                    continue;
                }
                Err(status) => {
                    log.push(format!("run {}: exited on its own: {status}", kills + 1));
                    assert!(status.success(), "{}", log.join("\n"));
                    break;
                }
            }
        }
        let out = child.wait_with_output().unwrap();
        log.push(format!(
            "final run: {}; {}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
                .lines()
                .take(3)
                .collect::<Vec<_>>()
                .join(" | ")
        ));
        assert!(out.status.success(), "{}", log.join("\n"));
        break;
    }
    let log = log.join("\n");
    eprintln!(
        "kill points:\n{log}\n({:.1}s)",
        started.elapsed().as_secs_f64()
    );
    if cfg!(debug_assertions) {
        assert!(
            kills >= 4,
            "only {kills} kill(s) landed before the run ended\n{log}"
        );
        assert!(
            tails >= 1,
            "no kill left uncommitted output to cut back\n{log}"
        );
    }
    let part = d.read("part.ndjson");
    assert!(part.ends_with('\n'), "the last line is torn\n{log}");
    let last = part.lines().last().unwrap_or("");
    assert!(
        serde_json::from_str::<Value>(last).is_ok(),
        "torn last line {last:.200}\n{log}"
    );
    let part_ids = ids(&part);
    let dups = duplicates(&part_ids);
    assert!(
        dups.is_empty(),
        "{} duplicate id(s), e.g. {:?}\n{log}",
        dups.len(),
        &dups[..dups.len().min(5)]
    );
    let want = id_set(&d.read("full.ndjson"));
    let got: BTreeSet<String> = part_ids.into_iter().collect();
    assert_eq!(
        got.len(),
        want.len(),
        "missing {:?}, extra {:?}\n{log}",
        want.difference(&got).take(5).collect::<Vec<_>>(),
        got.difference(&want).take(5).collect::<Vec<_>>()
    );
    assert!(got == want, "the id sets differ\n{log}");
    // The suppressed file too: the same lines, each once.
    let sorted = |t: String| {
        let mut v: Vec<String> = t.lines().map(String::from).collect();
        v.sort();
        v
    };
    let (ps, fs) = (
        sorted(d.read("part-sup.ndjson")),
        sorted(d.read("full-sup.ndjson")),
    );
    assert!(!fs.is_empty());
    assert!(
        ps == fs,
        "suppressed: {} lines vs {} in one run\n{log}",
        ps.len(),
        fs.len()
    );
}

// ----------------------------------------------------- 3. rule changes

const RULES_V1: &str = "\
rule a_wait:
  when cart.abandoned for 1d
  then send sms \"A Reply STOP to opt out\"
  limit 1 per 30d

rule b_once:
  when page.viewed
  then send sms \"B Reply STOP to opt out\"
  once

rule c_gone:
  when cart.abandoned for 3d
  then send sms \"C Reply STOP to opt out\"
";

/// A's trigger changed (`for 2d`), B unchanged, C removed, D is C renamed.
const RULES_V2: &str = "\
rule a_wait:
  when cart.abandoned for 2d
  then send sms \"A Reply STOP to opt out\"
  limit 1 per 30d

rule b_once:
  when page.viewed
  then send sms \"B Reply STOP to opt out\"
  once

rule d_new:
  when cart.abandoned for 3d
  then send sms \"C Reply STOP to opt out\"
";

/// Run 1 events: c1's A fires and B fires; c3 and c4 are left with
/// pending A and C waits (c1 and c2 with pending C waits).
fn rule_change_day1() -> Vec<String> {
    vec![
        ev("c1", "cart.abandoned", "2024-05-01T10:00:00Z", "a1"),
        ev("c1", "page.viewed", "2024-05-01T10:05:00Z", "a2"),
        ev("c2", "cart.abandoned", "2024-05-01T11:00:00Z", "a3"),
        ev("c3", "cart.abandoned", "2024-05-03T09:00:00Z", "a4"),
        ev("c4", "cart.abandoned", "2024-05-03T09:30:00Z", "a5"),
    ]
}

fn rule_change_day2() -> Vec<String> {
    vec![
        ev("c1", "page.viewed", "2024-05-03T12:00:00Z", "b1"),
        ev("c1", "cart.abandoned", "2024-05-03T12:00:00Z", "b2"),
        ev("c9", "page.viewed", "2024-05-10T12:00:00Z", "b3"),
    ]
}

/// Editing the rules between runs: the changed rule's pending instances
/// are dropped and reported with a count, the removed rule is reported as
/// gone, the `once` history of the unchanged rule and the `limit` history
/// of the changed one survive (no second send), the renamed rule starts
/// empty; `trig state stats` shows the per-rule counts before and after.
#[test]
fn rule_changes_between_runs_drop_pending_work_and_keep_send_history() {
    let d = Dir::project("rules", RULES_V1);
    d.lines("day1.ndjson", &rule_change_day1())
        .lines("day2.ndjson", &rule_change_day2());
    d.trig(&[
        "run",
        "--events",
        "day1.ndjson",
        "--state",
        "S",
        "--out",
        "run1.ndjson",
    ])
    .ok();
    let f1 = fired(&d.read("run1.ndjson"));
    assert!(f1.contains(&(
        "b_once".into(),
        "c1".into(),
        "2024-05-01T10:05:00.000Z".into()
    )));
    assert!(f1.contains(&(
        "a_wait".into(),
        "c1".into(),
        "2024-05-02T10:00:00.000Z".into()
    )));

    let before = d.trig(&["state", "stats", "S"]);
    before.ok();
    assert!(
        before
            .stdout
            .contains("rule a_wait: 4 customer(s), 2 pending instance(s)"),
        "{before:?}"
    );
    assert!(
        before
            .stdout
            .contains("rule c_gone: 4 customer(s), 4 pending instance(s)"),
        "{before:?}"
    );
    assert!(
        before.stdout.contains("rule b_once: 1 customer(s)"),
        "{before:?}"
    );

    d.write("rules.trig", RULES_V2);
    let r2 = d.trig(&[
        "run",
        "--events",
        "day2.ndjson",
        "--state",
        "S",
        "--out",
        "run2.ndjson",
        "--suppressed",
        "sup2.ndjson",
    ]);
    r2.ok();
    let report: Vec<&str> = r2.stderr.lines().filter(|l| l.contains("rule `")).collect();
    assert!(
        report
            .iter()
            .any(|l| l.contains("`a_wait`") && l.contains("changed") && l.contains(" 2 pending")),
        "A's dropped waits are reported with a count:\n{r2:?}"
    );
    assert!(
        report
            .iter()
            .any(|l| l.contains("`c_gone`") && l.contains("gone") && l.contains(" 4 customer")),
        "C is reported as gone:\n{r2:?}"
    );
    assert!(!r2.stderr.contains("`b_once`"), "B is unchanged:\n{r2:?}");

    let run2 = d.read("run2.ndjson");
    let f2 = fired(&run2);
    // B's `once` survived: c1 is not sent B again; the new customer is.
    assert!(
        !f2.iter().any(|(r, c, _)| r == "b_once" && c == "c1"),
        "{run2}"
    );
    assert!(
        f2.contains(&(
            "b_once".into(),
            "c9".into(),
            "2024-05-10T12:00:00.000Z".into()
        )),
        "{run2}"
    );
    // A's dropped waits (c3, c4) never fire; c1's new wait is refused by
    // the `limit` history of run 1.
    assert!(!f2.iter().any(|(r, _, _)| r == "a_wait"), "{run2}");
    let sup = ndjson(&d.read("sup2.ndjson"));
    let reason = |rule: &str, customer: &str| {
        sup.iter()
            .filter(|s| s["rule"] == rule && s["customer"] == customer)
            .map(|s| s["reason"].as_str().unwrap_or("").to_string())
            .collect::<Vec<_>>()
    };
    assert_eq!(reason("b_once", "c1"), ["once"], "{sup:?}");
    assert_eq!(reason("a_wait", "c1"), ["limit"], "{sup:?}");
    // C is gone; D, C's rename, is a new rule: only run 2's cart.
    assert!(!f2.iter().any(|(r, _, _)| r == "c_gone"), "{run2}");
    let d_new: Vec<_> = f2.iter().filter(|(r, _, _)| r == "d_new").collect();
    assert_eq!(
        d_new,
        [&(
            "d_new".to_string(),
            "c1".to_string(),
            "2024-05-06T12:00:00.000Z".to_string()
        )],
        "{run2}"
    );

    let after = d.trig(&["state", "stats", "S"]);
    after.ok();
    assert!(
        after.stdout.contains("rule d_new: 1 customer(s)"),
        "{after:?}"
    );
    assert!(
        after.stdout.contains("rule b_once: 2 customer(s)"),
        "{after:?}"
    );
}

/// What a rule change drops stays dropped: after the run that reported
/// it, the store no longer holds the removed rule's state nor the changed
/// rule's old instances (`trig state stats` shows neither, the next run
/// does not report the same drops again), and changing the trigger back
/// does not bring the dropped waits back to life (they would fire days
/// late).
#[test]
fn state_dropped_by_a_rule_change_is_gone_from_the_store() {
    let d = Dir::project("rules-persist", RULES_V1);
    d.lines("day1.ndjson", &rule_change_day1())
        .lines("day2.ndjson", &rule_change_day2())
        .lines(
            "day3.ndjson",
            &[ev("c7", "page.viewed", "2024-05-11T12:00:00Z", "x1")],
        )
        .lines(
            "day4.ndjson",
            &[ev("c8", "page.viewed", "2024-05-12T12:00:00Z", "x2")],
        );
    d.trig(&[
        "run",
        "--events",
        "day1.ndjson",
        "--state",
        "S",
        "--out",
        "o1.ndjson",
    ])
    .ok();
    d.write("rules.trig", RULES_V2);
    d.trig(&[
        "run",
        "--events",
        "day2.ndjson",
        "--state",
        "S",
        "--out",
        "o2.ndjson",
    ])
    .ok();
    let stats = d.trig(&["state", "stats", "S"]);
    stats.ok();
    assert!(
        !stats.stdout.contains("c_gone"),
        "a removed rule's state is still stored:\n{stats:?}"
    );
    assert!(
        stats.stdout.contains("rule a_wait:") && stats.stdout.contains("a_wait: ") && {
            let line = stats
                .stdout
                .lines()
                .find(|l| l.contains("rule a_wait:"))
                .unwrap();
            line.ends_with(" 0 pending instance(s)")
        },
        "A's dropped waits are still stored:\n{stats:?}"
    );
    let r3 = d.trig(&[
        "run",
        "--events",
        "day3.ndjson",
        "--state",
        "S",
        "--out",
        "o3.ndjson",
    ]);
    r3.ok();
    assert!(
        !r3.stderr.contains("`c_gone` is gone")
            && !r3.stderr.contains("`a_wait`: its trigger changed"),
        "the drops of run 2 are reported again:\n{r3:?}"
    );
    // Back to `for 1d`: the waits dropped in run 2 must not come back.
    d.write(
        "rules.trig",
        RULES_V1.replace("rule c_gone:", "rule c_back:"),
    );
    let r4 = d.trig(&[
        "run",
        "--events",
        "day4.ndjson",
        "--state",
        "S",
        "--out",
        "o4.ndjson",
    ]);
    r4.ok();
    let f4 = fired(&d.read("o4.ndjson"));
    assert!(
        !f4.iter().any(|(r, _, _)| r == "a_wait"),
        "dropped waits were resurrected:\n{}",
        d.read("o4.ndjson")
    );
}

// ------------------------------------------------------ 4. input positions

const NOW_RULE: &str = "\
rule now:
  when cart.abandoned
  then send sms \"Cart Reply STOP to opt out\"
";

/// Resuming with the same file (even named another way) reads nothing of
/// it again: `events: 0 read`, no duplicate action, the output unchanged.
#[test]
fn resuming_with_the_same_file_reads_nothing_again() {
    let d = Dir::project("same-file", NOW_RULE);
    d.lines(
        "today.ndjson",
        &[
            ev("c1", "cart.abandoned", "2024-05-01T10:00:00Z", "t1"),
            ev("c2", "cart.abandoned", "2024-05-01T11:00:00Z", "t2"),
            ev("c3", "cart.abandoned", "2024-05-01T12:00:00Z", "t3"),
        ],
    );
    let r1 = d.trig(&[
        "run",
        "--events",
        "today.ndjson",
        "--state",
        "S",
        "--out",
        "o.ndjson",
    ]);
    r1.ok();
    assert_eq!(r1.events_read(), 3);
    let first = d.read("o.ndjson");
    assert_eq!(ids(&first).len(), 3);
    for name in ["today.ndjson", "./today.ndjson"] {
        let r = d.trig(&["run", "--events", name, "--state", "S", "--out", "o.ndjson"]);
        r.ok();
        assert_eq!(r.events_read(), 0, "{r:?}");
        assert!(r.stderr.contains("events: 0 read"), "{r:?}");
        assert_eq!(d.read("o.ndjson"), first);
    }
}

/// Tomorrow's export under the same name (other content) is read from the
/// start: the fingerprint of its first 4 KiB differs.
#[test]
fn a_new_file_under_the_same_name_is_read_from_the_start() {
    let d = Dir::project("new-file", NOW_RULE);
    d.lines(
        "export.ndjson",
        &[
            ev("c1", "cart.abandoned", "2024-05-01T10:00:00Z", "d1-1"),
            ev("c2", "cart.abandoned", "2024-05-01T11:00:00Z", "d1-2"),
            ev("c3", "cart.abandoned", "2024-05-01T12:00:00Z", "d1-3"),
        ],
    );
    d.trig(&[
        "run",
        "--events",
        "export.ndjson",
        "--state",
        "S",
        "--out",
        "o1.ndjson",
    ])
    .ok();
    // Fewer lines than yesterday, so an offset reused by mistake would
    // skip all of them.
    d.lines(
        "export.ndjson",
        &[
            ev("c4", "cart.abandoned", "2024-05-02T10:00:00Z", "d2-1"),
            ev("c5", "cart.abandoned", "2024-05-02T11:00:00Z", "d2-2"),
        ],
    );
    let r = d.trig(&[
        "run",
        "--events",
        "export.ndjson",
        "--state",
        "S",
        "--out",
        "o2.ndjson",
    ]);
    r.ok();
    assert_eq!(r.events_read(), 2, "{r:?}");
    let customers: Vec<String> = ndjson(&d.read("o2.ndjson"))
        .iter()
        .map(|a| a["customer"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(customers, ["c4", "c5"]);
}

/// A file of more than 4 KiB that grew (a log appended to) is resumed
/// where the last run stopped: only the new lines are read.
#[test]
fn lines_appended_to_a_large_file_are_read_once() {
    let d = Dir::project("append-large", NOW_RULE);
    let old: Vec<String> = (0..60)
        .map(|i| {
            ev(
                &format!("c{i}"),
                "cart.abandoned",
                &format!("2024-05-01T10:{i:02}:00Z"),
                &format!("e{i}"),
            )
        })
        .collect();
    d.lines("log.ndjson", &old);
    assert!(file_len(&d.path("log.ndjson")) > 4096);
    d.trig(&[
        "run",
        "--events",
        "log.ndjson",
        "--state",
        "S",
        "--out",
        "o1.ndjson",
    ])
    .ok();
    d.append(
        "log.ndjson",
        joined(&[
            ev("n1", "cart.abandoned", "2024-05-01T11:00:00Z", "n1"),
            ev("n2", "cart.abandoned", "2024-05-01T11:01:00Z", "n2"),
        ]),
    );
    let r = d.trig(&[
        "run",
        "--events",
        "log.ndjson",
        "--state",
        "S",
        "--out",
        "o2.ndjson",
    ]);
    r.ok();
    assert_eq!(r.events_read(), 2, "{r:?}");
    assert_eq!(ids(&d.read("o2.ndjson")).len(), 2);
}

/// The same for a small file (under 4 KiB), without event ids: only the
/// appended line is read; the old lines are neither re-applied (a second
/// send for the last one, with another id) nor reported as late.
#[test]
fn lines_appended_to_a_small_file_are_read_once() {
    let d = Dir::project("append-small", NOW_RULE);
    let line =
        |c: &str, t: &str| format!(r#"{{"customer":"{c}","event":"cart.abandoned","time":"{t}"}}"#);
    d.lines(
        "log.ndjson",
        &[
            line("c1", "2024-05-01T10:00:00Z"),
            line("c2", "2024-05-01T11:00:00Z"),
        ],
    );
    d.trig(&[
        "run",
        "--events",
        "log.ndjson",
        "--state",
        "S",
        "--out",
        "o1.ndjson",
    ])
    .ok();
    d.append("log.ndjson", joined(&[line("c3", "2024-05-01T14:00:00Z")]));
    let r = d.trig(&[
        "run",
        "--events",
        "log.ndjson",
        "--state",
        "S",
        "--out",
        "o2.ndjson",
        "--dead-letter",
        "dead.ndjson",
    ]);
    r.ok();
    assert_eq!(d.read("dead.ndjson"), "", "{r:?}");
    assert_eq!(r.events_read(), 1, "{r:?}");
    let customers: Vec<String> = ndjson(&d.read("o2.ndjson"))
        .iter()
        .map(|a| a["customer"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(customers, ["c3"]);
}

/// A CSV file with a header row, resumed in the middle (rows appended to
/// it): the resumed run still knows the header, so the new rows are read
/// as data.
#[test]
fn rows_appended_to_a_csv_file_with_a_header_are_read() {
    let d = Dir::project("append-csv", NOW_RULE);
    let mut text = String::from("customer,event,time,value\n");
    for i in 0..100 {
        text.push_str(&format!(
            "c{i},cart.abandoned,2024-05-01T10:{:02}:00Z,{i}\n",
            i.min(59)
        ));
    }
    d.write("export.csv", &text);
    assert!(text.len() > 4096);
    d.trig(&[
        "run",
        "--events",
        "export.csv",
        "--state",
        "S",
        "--out",
        "o1.ndjson",
    ])
    .ok();
    assert_eq!(ids(&d.read("o1.ndjson")).len(), 100);
    d.append(
        "export.csv",
        "c200,cart.abandoned,2024-05-01T11:00:00Z,1\nc201,cart.abandoned,2024-05-01T11:01:00Z,2\n",
    );
    let r = d.trig(&[
        "run",
        "--events",
        "export.csv",
        "--state",
        "S",
        "--out",
        "o2.ndjson",
        "--dead-letter",
        "dead.ndjson",
    ]);
    r.ok();
    assert_eq!(d.read("dead.ndjson"), "", "{r:?}");
    assert_eq!(r.events_read(), 2, "{r:?}");
    assert_eq!(ids(&d.read("o2.ndjson")).len(), 2);
}

// ------------------------------------------------------------ 5. torn output

/// A crash that left a half line after the checkpointed length (simulated
/// by appending `{"id":"abc` to the outputs of a completed run) is cut
/// back by the next run: every line of every output is complete JSON, the
/// earlier lines are kept, and nothing is duplicated.
#[test]
fn a_torn_line_in_the_outputs_is_cut_back_on_resume() {
    let d = Dir::project("torn", WAIT_AND_SILENCE);
    d.lines(
        "day1.ndjson",
        &[
            ev("c1", "cart.abandoned", "2024-05-01T10:00:00Z", "a1"),
            "not json".to_string(),
            ev("c2", "page.viewed", "2024-05-01T13:00:00Z", "a2"),
        ],
    )
    .lines(
        "day2.ndjson",
        &[
            ev("c3", "cart.abandoned", "2024-05-02T10:00:00Z", "b1"),
            "also not json".to_string(),
            ev("c3", "page.viewed", "2024-05-03T13:00:00Z", "b2"),
        ],
    );
    let outs = [
        "--out",
        "o.ndjson",
        "--dead-letter",
        "dead.ndjson",
        "--suppressed",
        "sup.ndjson",
    ];
    let mut args = vec!["run", "--events", "day1.ndjson", "--state", "S"];
    args.extend(outs);
    d.trig(&args).ok();
    let first = d.read("o.ndjson");
    let first_dead = d.read("dead.ndjson");
    assert_eq!(ids(&first).len(), 1);
    d.append("o.ndjson", "{\"id\":\"abc");
    d.append("dead.ndjson", "{\"file\":\"day1.nd");
    let mut args = vec!["run", "--events", "day2.ndjson", "--state", "S"];
    args.extend(outs);
    d.trig(&args).ok();
    let text = d.read("o.ndjson");
    assert!(
        !text.contains("\"abc"),
        "the torn line is still there:\n{text}"
    );
    assert!(text.starts_with(&first), "{text}");
    let all = ids(&text);
    assert!(duplicates(&all).is_empty(), "{text}");
    assert!(all.len() > 1, "{text}");
    let dead = d.read("dead.ndjson");
    assert!(dead.starts_with(&first_dead), "{dead}");
    assert_eq!(ndjson(&dead).len(), 2, "{dead}");
}

/// An output file that the sender moved away (or emptied) between runs is
/// started afresh, not padded with zero bytes up to the old checkpointed
/// length: every line is JSON.
#[test]
fn an_output_file_moved_away_between_runs_starts_afresh() {
    let d = Dir::project("moved", NOW_RULE);
    d.lines(
        "day1.ndjson",
        &[ev("c1", "cart.abandoned", "2024-05-01T10:00:00Z", "a1")],
    )
    .lines(
        "day2.ndjson",
        &[ev("c2", "cart.abandoned", "2024-05-02T10:00:00Z", "b1")],
    );
    d.trig(&[
        "run",
        "--events",
        "day1.ndjson",
        "--state",
        "S",
        "--out",
        "o.ndjson",
    ])
    .ok();
    std::fs::rename(d.path("o.ndjson"), d.path("sent-1.ndjson")).unwrap();
    d.trig(&[
        "run",
        "--events",
        "day2.ndjson",
        "--state",
        "S",
        "--out",
        "o.ndjson",
    ])
    .ok();
    let bytes = d.bytes("o.ndjson");
    assert!(
        !bytes.contains(&0),
        "NUL bytes in the output: {:?}",
        &bytes[..bytes.len().min(40)]
    );
    let customers: Vec<String> = ndjson(&String::from_utf8_lossy(&bytes))
        .iter()
        .map(|a| a["customer"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(customers, ["c2"]);
}

// ------------------------------------------------------------------ 6. GDPR

const GDPR_ID: &str = "cust-gdpr-7f3a9";
const GDPR_ID2: &str = "cust-gdpr-second-b41c";
const KEEP_ID: &str = "cust-keep-55e1";

/// Byte strings that must be gone after forgetting both GDPR customers.
const ERASED: [&str; 8] = [
    GDPR_ID,
    GDPR_ID2,
    "ana.unique.marker@example.com",
    "+34600999888",
    "Anastasia-Marker",
    "bob.second.marker@example.com",
    "+34600777111",
    "ana-cart-url-marker",
];

const GDPR_RULES: &str = "\
rule cart_wait:
  when cart.abandoned as c for 2h and not order.completed
  then send sms \"Your cart {c.url ?? \"\"} is waiting. Reply STOP to opt out\"

rule idle:
  when inactive for 30d
  then send sms \"We miss you. Reply STOP to opt out\"
";

fn gdpr_events() -> Vec<String> {
    vec![
        ev_props(
            GDPR_ID,
            "identify",
            "2024-05-01T09:00:00Z",
            r#"{"email":"ana.unique.marker@example.com","phone":"+34600999888","first_name":"Anastasia-Marker"}"#,
        ),
        ev_props(
            GDPR_ID2,
            "identify",
            "2024-05-01T09:00:00Z",
            r#"{"email":"bob.second.marker@example.com","phone":"+34600777111"}"#,
        ),
        ev_props(
            KEEP_ID,
            "identify",
            "2024-05-01T09:00:00Z",
            r#"{"email":"carol.keep.marker@example.com"}"#,
        ),
        format!(
            r#"{{"customer":"{GDPR_ID}","event":"cart.abandoned","time":"2024-05-01T10:00:00Z","id":"evt-gdpr-1","props":{{"url":"https://shop.example/c/ana-cart-url-marker"}}}}"#
        ),
        ev(
            GDPR_ID2,
            "cart.abandoned",
            "2024-05-01T10:30:00Z",
            "evt-gdpr-2",
        ),
        ev(
            KEEP_ID,
            "cart.abandoned",
            "2024-05-01T10:45:00Z",
            "evt-keep-3",
        ),
        ev(GDPR_ID, "page.viewed", "2024-05-01T11:00:00Z", "evt-gdpr-4"),
    ]
}

/// Which of `needles` occur in any byte of any file under `dir`.
fn found_in(d: &Dir, dir: &str, needles: &[&str]) -> Vec<String> {
    let files = d.files_under(dir);
    needles
        .iter()
        .filter(|n| files.iter().any(|(_, b)| contains_bytes(b, n.as_bytes())))
        .map(|n| {
            let where_: Vec<String> = files
                .iter()
                .filter(|(_, b)| contains_bytes(b, n.as_bytes()))
                .map(|(p, _)| p.file_name().unwrap().to_string_lossy().into_owned())
                .collect();
            format!("{n} (in {})", where_.join(", "))
        })
        .collect()
}

/// `trig state forget` (an id on the command line and one in
/// `--forget-file`) erases the customers from every byte of every file of
/// the state folder (ids, profile values, props of pending waits, event
/// ids), while another customer's id is still there; `inspect --customer`
/// then finds nothing; `forget` does not echo the ids; the run's summary
/// never prints profile values or customer ids; and a later run on the
/// same store works and never fires the forgotten customers' waits.
#[test]
fn forget_erases_every_byte_of_a_customer() {
    let d = Dir::project("gdpr", GDPR_RULES);
    d.lines("events.ndjson", &gdpr_events());
    let run = d.trig(&[
        "run",
        "--events",
        "events.ndjson",
        "--state",
        "S",
        "--out",
        "o.ndjson",
    ]);
    run.ok();
    for secret in ERASED.iter().chain([&KEEP_ID, &"carol.keep.marker"]) {
        assert!(
            !run.stderr.contains(secret),
            "the summary prints {secret}:\n{run:?}"
        );
    }
    // Before: the state holds them (the test would prove nothing otherwise).
    let before = found_in(&d, "S", &ERASED);
    assert!(before.len() >= 4, "{before:?}");
    let pending = d.trig(&["state", "inspect", "S", "--customer", GDPR_ID]);
    pending.ok();
    assert!(
        pending.stdout.contains("ana-cart-url-marker"),
        "{pending:?}"
    );

    d.write("forget.txt", format!("{GDPR_ID2}\n"));
    let f = d.trig(&[
        "state",
        "forget",
        "S",
        GDPR_ID,
        "--forget-file",
        "forget.txt",
    ]);
    f.ok();
    assert!(
        !f.stderr.contains("cust-gdpr") && !f.stdout.contains("cust-gdpr"),
        "forget echoes the ids:\n{f:?}"
    );
    let left = found_in(&d, "S", &ERASED);
    assert!(left.is_empty(), "still in the state folder: {left:?}");
    assert!(
        !found_in(&d, "S", &[KEEP_ID]).is_empty(),
        "the other customer was erased too"
    );

    let gone = d.trig(&["state", "inspect", "S", "--customer", GDPR_ID]);
    gone.no_panic();
    assert_ne!(gone.code, 0, "{gone:?}");
    assert!(gone.stderr.contains("no state"), "{gone:?}");
    assert!(!gone.stdout.contains("ana.unique"), "{gone:?}");
    let kept = d.trig(&["state", "inspect", "S", "--customer", KEEP_ID]);
    kept.ok();

    // The store still works; the forgotten waits and silences never fire.
    d.lines(
        "later.ndjson",
        &[ev("c9", "page.viewed", "2024-06-15T00:00:00Z", "l1")],
    );
    let r2 = d.trig(&[
        "run",
        "--events",
        "later.ndjson",
        "--state",
        "S",
        "--out",
        "o2.ndjson",
    ]);
    r2.ok();
    let later = d.read("o2.ndjson");
    assert!(!later.contains("cust-gdpr"), "{later}");
    assert!(later.contains(KEEP_ID), "{later}");
    assert!(found_in(&d, "S", &ERASED).is_empty());
}

/// A run killed with `kill -9` leaves its WAL behind; `forget` still
/// leaves no byte of the customer in any file of the folder.
#[test]
fn forget_after_a_kill_leaves_no_byte_in_any_file() {
    let d = Dir::project("gdpr-kill", GDPR_RULES);
    d.trig(&[
        "gen",
        "--events",
        "40000",
        "--customers",
        "2000",
        "--seed",
        "5",
        "--start",
        "2024-05-01T12:00:00Z",
        "-o",
        "shop.ndjson",
    ])
    .ok();
    let mut text = joined(&gdpr_events());
    text.push_str(&d.read("shop.ndjson"));
    d.write("events.ndjson", text);
    let args = [
        "run",
        "--events",
        "events.ndjson",
        "--state",
        "S",
        "--checkpoint-every",
        "500",
        "--out",
        "o.ndjson",
    ];
    let mut tries = Vec::new();
    // Kill once the customers are in the store (the first checkpoint).
    for delay in [300u64, 600, 1200] {
        let mut child = d
            .cmd(&args)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let point = kill_after_output_starts(
            &mut child,
            &d.path("o.ndjson"),
            Duration::from_millis(delay),
        );
        tries.push(format!("{point:?}"));
        if !found_in(&d, "S", &[GDPR_ID]).is_empty() {
            break;
        }
    }
    let files: Vec<String> = d
        .files_under("S")
        .iter()
        .map(|(p, b)| format!("{} {}", p.file_name().unwrap().to_string_lossy(), b.len()))
        .collect();
    assert!(
        !found_in(&d, "S", &[GDPR_ID]).is_empty(),
        "never checkpointed: {tries:?} {files:?}"
    );
    d.write("forget.txt", format!("{GDPR_ID2}\n"));
    d.trig(&[
        "state",
        "forget",
        "S",
        GDPR_ID,
        "--forget-file",
        "forget.txt",
    ])
    .ok();
    let left = found_in(&d, "S", &ERASED);
    assert!(
        left.is_empty(),
        "still in the state folder after a kill: {left:?} ({tries:?}, files {files:?})"
    );
    assert!(!found_in(&d, "S", &[KEEP_ID]).is_empty());
}

// ----------------------------------------------------------------- 7. dedupe

/// The same event id twice within the default horizon (`1d`) counts once:
/// one action, one event read.
#[test]
fn a_repeated_event_id_within_the_horizon_counts_once() {
    let d = Dir::project("dedupe", NOW_RULE);
    d.lines(
        "e.ndjson",
        &[
            ev("c1", "cart.abandoned", "2024-05-01T10:00:00Z", "dup-1"),
            ev("c1", "cart.abandoned", "2024-05-01T12:00:00Z", "dup-1"),
            ev("c2", "cart.abandoned", "2024-05-01T12:30:00Z", "other"),
        ],
    );
    let r = d.trig(&["run", "--events", "e.ndjson", "--state", "S"]);
    r.ok();
    let customers: Vec<String> = ndjson(&r.stdout)
        .iter()
        .map(|a| a["customer"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(customers, ["c1", "c2"], "{r:?}");
    assert_eq!(r.events_read(), 2, "{r:?}");
}

/// With `[runtime] dedupe_horizon = "1h"`, two occurrences 2 h apart both
/// count.
#[test]
fn a_shorter_dedupe_horizon_lets_repeats_count() {
    let d = Dir::project("dedupe-1h", NOW_RULE);
    d.write(
        "trig.toml",
        format!("{PROJECT}\n[runtime]\ndedupe_horizon = \"1h\"\n"),
    );
    d.lines(
        "e.ndjson",
        &[
            ev("c1", "cart.abandoned", "2024-05-01T10:00:00Z", "dup-1"),
            ev("c1", "cart.abandoned", "2024-05-01T12:00:00Z", "dup-1"),
            ev("c1", "cart.abandoned", "2024-05-01T12:30:00Z", "dup-1"),
        ],
    );
    let r = d.trig(&["run", "--events", "e.ndjson", "--state", "S"]);
    r.ok();
    let at: Vec<String> = ndjson(&r.stdout)
        .iter()
        .map(|a| a["fired_at"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        at,
        ["2024-05-01T10:00:00.000Z", "2024-05-01T12:00:00.000Z"],
        "{r:?}"
    );
}

/// Event ids are part of the checkpoint: an event redelivered in the next
/// run (another file, within the horizon) is dropped.
#[test]
fn event_ids_are_remembered_across_runs() {
    let d = Dir::project("dedupe-runs", NOW_RULE);
    d.lines(
        "a.ndjson",
        &[ev("c1", "cart.abandoned", "2024-05-01T10:00:00Z", "evt-9")],
    )
    .lines(
        "b.ndjson",
        &[
            ev("c1", "cart.abandoned", "2024-05-01T10:00:00Z", "evt-9"),
            ev("c2", "cart.abandoned", "2024-05-01T10:30:00Z", "evt-10"),
        ],
    );
    d.trig(&[
        "run",
        "--events",
        "a.ndjson",
        "--state",
        "S",
        "--out",
        "a-out.ndjson",
    ])
    .ok();
    let r = d.trig(&[
        "run",
        "--events",
        "b.ndjson",
        "--state",
        "S",
        "--out",
        "b-out.ndjson",
    ]);
    r.ok();
    let customers: Vec<String> = ndjson(&d.read("b-out.ndjson"))
        .iter()
        .map(|a| a["customer"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(customers, ["c2"], "{r:?}");
}

/// docs/config.md: duplicates are "counted in the summary as duplicates".
#[test]
fn the_summary_counts_duplicates() {
    let d = Dir::project("dedupe-summary", NOW_RULE);
    d.lines(
        "e.ndjson",
        &[
            ev("c1", "cart.abandoned", "2024-05-01T10:00:00Z", "dup-1"),
            ev("c1", "cart.abandoned", "2024-05-01T10:05:00Z", "dup-1"),
        ],
    );
    let r = d.trig(&["run", "--events", "e.ndjson"]);
    r.ok();
    assert!(
        r.stderr.lines().any(|l| l.contains("1 duplicate")),
        "no duplicate count in the summary:\n{r:?}"
    );
}

// ----------------------------------------------------------- 8. time guards

/// An event more than `max_future` (default 1d) ahead of the wall clock
/// goes to the dead letter, with a reason, and does not move the
/// watermark: a present-day event after it is not late.
#[test]
fn events_beyond_max_future_go_to_the_dead_letter() {
    let d = Dir::project("future", NOW_RULE);
    let tomorrow_plus = chrono::Utc::now() + chrono::Duration::days(3);
    let far = tomorrow_plus.format("%Y-%m-%dT%H:%M:%SZ").to_string();
    d.lines(
        "e.ndjson",
        &[
            ev("c1", "cart.abandoned", "2024-05-01T10:00:00Z", "e1"),
            ev("c2", "cart.abandoned", &far, "e2"),
            ev("c3", "cart.abandoned", "2099-01-01T00:00:00Z", "e3"),
            ev("c4", "cart.abandoned", "2024-05-01T10:05:00Z", "e4"),
        ],
    );
    let r = d.trig(&[
        "run",
        "--events",
        "e.ndjson",
        "--state",
        "S",
        "--dead-letter",
        "dead.ndjson",
    ]);
    r.ok();
    let dead = ndjson(&d.read("dead.ndjson"));
    let lines: Vec<u64> = dead.iter().map(|x| x["line"].as_u64().unwrap()).collect();
    assert_eq!(lines, [2, 3], "{dead:?}");
    for x in &dead {
        assert!(x["reason"].as_str().unwrap().contains("max_future"), "{x}");
        assert_eq!(x["file"], "e.ndjson");
    }
    let customers: Vec<String> = ndjson(&r.stdout)
        .iter()
        .map(|a| a["customer"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(customers, ["c1", "c4"], "{r:?}");
    let inspect = d.trig(&["state", "inspect", "S"]);
    assert!(
        inspect
            .stdout
            .contains("watermark: 2024-05-01T10:05:00.000Z"),
        "{inspect:?}"
    );
}

/// `--min-time` rejects earlier events (dead letter, with the reason) and
/// keeps later ones.
#[test]
fn min_time_rejects_earlier_events() {
    let d = Dir::project("min-time", NOW_RULE);
    d.lines(
        "e.ndjson",
        &[
            ev("c1", "cart.abandoned", "1990-05-01T12:00:00Z", "e1"),
            ev("c2", "cart.abandoned", "2024-04-30T23:59:59Z", "e2"),
            ev("c3", "cart.abandoned", "2024-05-01T00:00:00Z", "e3"),
            ev("c4", "cart.abandoned", "2024-05-02T00:00:00Z", "e4"),
        ],
    );
    let r = d.trig(&[
        "run",
        "--events",
        "e.ndjson",
        "--state",
        "S",
        "--min-time",
        "2024-05-01",
        "--dead-letter",
        "dead.ndjson",
    ]);
    r.ok();
    let dead = ndjson(&d.read("dead.ndjson"));
    let lines: Vec<u64> = dead.iter().map(|x| x["line"].as_u64().unwrap()).collect();
    assert_eq!(lines, [1, 2], "{dead:?}");
    for x in &dead {
        assert!(x["reason"].as_str().unwrap().contains("--min-time"), "{x}");
    }
    let customers: Vec<String> = ndjson(&r.stdout)
        .iter()
        .map(|a| a["customer"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(customers, ["c3", "c4"]);
    let bad = d.trig(&["run", "--events", "e.ndjson", "--min-time", "yesterday"]);
    assert_eq!(bad.code, 2, "{bad:?}");
}

/// The CDNOW sample (1997–98) replays with the defaults, with state: 0
/// late, 0 rejected, the README's 2,797 actions.
#[test]
fn cdnow_1997_replays_with_the_defaults() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let d = Dir::new("cdnow");
    let r = d.trig(&[
        "run",
        "--config",
        root.join("examples/cdnow/trig.toml").to_str().unwrap(),
        root.join("examples/cdnow").to_str().unwrap(),
        "--events",
        root.join("examples/data/cdnow_purchases.ndjson")
            .to_str()
            .unwrap(),
        "--state",
        "S",
        "--out",
        "o.ndjson",
    ]);
    r.ok();
    assert!(
        r.stderr.contains("events: 3,316 read, 0 late, 0 rejected"),
        "{r:?}"
    );
    assert!(r.stderr.contains("actions: 2,797"), "{r:?}");
}

// ---------------------------------------------------------- 9. hostile input

/// Hostile lines, with state: malformed JSON, invalid UTF-8, a line over
/// `--max-line-bytes 1000` (the dead letter says so and `raw` holds only
/// its start), missing and mistyped fields, props nested 10,000 deep: each
/// goes to the dead letter with its file and line, and the run goes on
/// (the good lines around them fire). An unknown event and a 10 KB
/// customer id are valid input (docs/runtime.md sets no limit) and are
/// read without harm.
#[test]
fn hostile_lines_go_to_the_dead_letter_and_the_run_goes_on() {
    let d = Dir::project("hostile", NOW_RULE);
    let ok = |c: &str, t: &str| {
        format!(r#"{{"customer":"{c}","event":"cart.abandoned","time":"2024-05-01T10:{t}:00Z"}}"#)
    };
    let big_id = "k".repeat(10_000);
    let deep = format!(
        r#"{{"customer":"c9","event":"cart.abandoned","time":"2024-05-01T10:09:00Z","props":{{"deep":{}{}}}}}"#,
        "[".repeat(10_000),
        "]".repeat(10_000)
    );
    let mut lines: Vec<Vec<u8>> = vec![
        ok("c1", "00").into_bytes(),                                           // 1
        br#"{"customer":"c2","event":"#.to_vec(),                              // 2 malformed
        b"{\"customer\":\"c3\",\"event\":\"cart.abandoned\",\"time\":\"2024-05-01T10:02:00Z\",\"props\":{\"x\":\"\xff\xfe\"}}".to_vec(), // 3 UTF-8
        format!(r#"{{"customer":"c4","event":"cart.abandoned","time":"2024-05-01T10:03:00Z","props":{{"pad":"{}"}}}}"#, "x".repeat(5000)).into_bytes(), // 4 too long
        br#"{"customer":"c5","event":"cart.abandoned"}"#.to_vec(),             // 5 missing time
        br#"{"customer":"c6","event":"cart.abandoned","time":"yesterday"}"#.to_vec(), // 6 mistyped
        br#"{"customer":["c7"],"event":"cart.abandoned","time":"2024-05-01T10:06:00Z"}"#.to_vec(), // 7 mistyped
        ok("c8", "07").replace("cart.abandoned", "totally.unknown.event").into_bytes(), // 8 unknown event
        ok("c11", "10").into_bytes(),                                          // 9
    ];
    d.write(
        "a.ndjson",
        lines
            .iter()
            .map(|l| [l.as_slice(), b"\n"].concat())
            .collect::<Vec<_>>()
            .concat(),
    );
    // The big id and the deep props, under the default line limit.
    lines = vec![
        ok(&big_id, "11").into_bytes(),
        deep.into_bytes(),
        ok("c12", "12").into_bytes(),
    ];
    d.write(
        "b.ndjson",
        lines
            .iter()
            .map(|l| [l.as_slice(), b"\n"].concat())
            .collect::<Vec<_>>()
            .concat(),
    );

    let r = d.trig(&[
        "run",
        "--events",
        "a.ndjson",
        "--max-line-bytes",
        "1000",
        "--state",
        "S",
        "--dead-letter",
        "dead.ndjson",
        "--out",
        "o.ndjson",
    ]);
    r.ok();
    let dead = ndjson(&d.read("dead.ndjson"));
    let by_line: BTreeMap<u64, &Value> = dead
        .iter()
        .map(|x| (x["line"].as_u64().unwrap(), x))
        .collect();
    assert_eq!(
        by_line.keys().copied().collect::<Vec<_>>(),
        [2, 3, 4, 5, 6, 7],
        "{dead:#?}"
    );
    for x in &dead {
        assert_eq!(x["file"], "a.ndjson", "{x}");
        assert!(!x["reason"].as_str().unwrap().is_empty(), "{x}");
    }
    let long = by_line[&4];
    let reason = long["reason"].as_str().unwrap();
    assert!(
        reason.contains("--max-line-bytes") && reason.contains("1000"),
        "{long}"
    );
    let raw = long["raw"].as_str().unwrap();
    assert!(
        raw.starts_with(r#"{"customer":"c4""#) && raw.len() <= 1001,
        "raw holds {} bytes",
        raw.len()
    );
    assert!(by_line[&3]["reason"].as_str().unwrap().contains("UTF-8"));
    assert!(by_line[&5]["reason"].as_str().unwrap().contains("time"));
    let fired: Vec<String> = ndjson(&d.read("o.ndjson"))
        .iter()
        .map(|a| a["customer"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(fired, ["c1", "c11"]);

    let r = d.trig(&[
        "run",
        "--events",
        "b.ndjson",
        "--state",
        "S",
        "--dead-letter",
        "dead-b.ndjson",
        "--out",
        "o-b.ndjson",
    ]);
    r.ok();
    let dead = ndjson(&d.read("dead-b.ndjson"));
    assert_eq!(dead.len(), 1, "{dead:?}");
    assert_eq!(
        (dead[0]["file"].as_str(), dead[0]["line"].as_u64()),
        (Some("b.ndjson"), Some(2))
    );
    assert!(
        dead[0]["reason"].as_str().unwrap().contains("nested"),
        "{}",
        dead[0]
    );
    let fired: Vec<String> = ndjson(&d.read("o-b.ndjson"))
        .iter()
        .map(|a| a["customer"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(fired, [big_id.clone(), "c12".to_string()]);
    d.trig(&["state", "stats", "S"]).ok();
}

/// Hostile CSV with state: a row with too few columns, invalid UTF-8 and
/// a quoted field left open at the end each go to the dead letter with
/// the file and line; the good rows fire.
#[test]
fn hostile_csv_rows_go_to_the_dead_letter() {
    let d = Dir::project("hostile-csv", NOW_RULE);
    d.write(
        "h.csv",
        b"customer,event,time,value\nc1,cart.abandoned,2024-05-01T10:00:00Z,5\nc2,cart.abandoned,2024-05-01T10:01:00Z\nc3,cart.abandoned,2024-05-01T10:02:00Z,\xff\nc4,cart.abandoned,2024-05-01T10:03:00Z,7\nc5,cart.abandoned,2024-05-01T10:04:00Z,\"unterminated\n".as_slice(),
    );
    let r = d.trig(&[
        "run",
        "--events",
        "h.csv",
        "--state",
        "S",
        "--dead-letter",
        "dead.ndjson",
        "--out",
        "o.ndjson",
    ]);
    r.ok();
    let dead = ndjson(&d.read("dead.ndjson"));
    let lines: Vec<u64> = dead.iter().map(|x| x["line"].as_u64().unwrap()).collect();
    assert_eq!(lines, [3, 4, 6], "{dead:#?}");
    assert!(dead.iter().all(|x| x["file"] == "h.csv"));
    let fired: Vec<String> = ndjson(&d.read("o.ndjson"))
        .iter()
        .map(|a| a["customer"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(fired, ["c1", "c4"]);
}

/// Ten good lines, three bad ones, ten good ones.
fn ten_bad_ten() -> Vec<String> {
    let mut l: Vec<String> = (0..10)
        .map(|i| {
            ev(
                &format!("c{i}"),
                "cart.abandoned",
                &format!("2024-05-01T10:{i:02}:00Z"),
                &format!("g{i}"),
            )
        })
        .collect();
    l.extend(["bad one", "bad two", "{\"bad\": 3"].map(String::from));
    l.extend((10..20).map(|i| {
        ev(
            &format!("c{i}"),
            "cart.abandoned",
            &format!("2024-05-01T10:{i:02}:00Z"),
            &format!("g{i}"),
        )
    }));
    l
}

/// `--max-errors 3` with state stops cleanly at the third rejected line:
/// exit 1, the reason on stderr, the actions of the accepted events
/// written as complete lines, a readable store.
#[test]
fn max_errors_stops_the_run_cleanly_with_state() {
    let d = Dir::project("max-errors", NOW_RULE);
    d.lines("e.ndjson", &ten_bad_ten());
    let r = d.trig(&[
        "run",
        "--events",
        "e.ndjson",
        "--state",
        "S",
        "--max-errors",
        "3",
        "--checkpoint-every",
        "4",
        "--out",
        "o.ndjson",
        "--dead-letter",
        "dead.ndjson",
    ]);
    assert_eq!(r.code, 1, "{r:?}");
    r.no_panic();
    assert!(
        r.stderr.contains("e.ndjson:13") && r.stderr.contains("--max-errors"),
        "{r:?}"
    );
    let out = d.read("o.ndjson");
    assert_eq!(ids(&out).len(), 10, "{out}");
    assert_eq!(ndjson(&d.read("dead.ndjson")).len(), 3);
    d.trig(&["state", "inspect", "S"]).ok();
}

/// A resume after a `--max-errors` stop goes on after the stop: the
/// accepted events are not read again (no `late` dead letters that would
/// trip `--max-errors` again, no duplicate), and the rest of the file is
/// read. Together: the 20 good events, each fired once.
#[test]
fn a_resume_after_max_errors_continues_after_the_stop() {
    let d = Dir::project("max-errors-resume", NOW_RULE);
    d.lines("e.ndjson", &ten_bad_ten());
    let args = [
        "run",
        "--events",
        "e.ndjson",
        "--state",
        "S",
        "--max-errors",
        "3",
        "--checkpoint-every",
        "4",
        "--out",
        "o.ndjson",
        "--dead-letter",
        "dead.ndjson",
    ];
    assert_eq!(d.trig(&args).code, 1);
    let inspect = d.trig(&["state", "inspect", "S"]);
    assert!(
        inspect.stdout.contains("input e.ndjson: line 13"),
        "{inspect:?}"
    );
    let r = d.trig(&args);
    r.ok();
    assert_eq!(r.events_read(), 10, "{r:?}");
    let out = ids(&d.read("o.ndjson"));
    assert!(duplicates(&out).is_empty());
    assert_eq!(out.len(), 20, "{r:?}");
    let dead = d.read("dead.ndjson");
    assert_eq!(ndjson(&dead).len(), 3, "{dead}");
    assert!(!dead.contains("late"), "{dead}");
}

// --------------------------------------------------- 10. bounded resources

const BOUNDED_RULES: &str = "\
rule browse_cart:
  when page.viewed as v followed by cart.abandoned within 1d
  then send sms \"Still looking at {v.product_id}? Reply STOP to opt out\"
  key v.product_id

rule viewed_often:
  when page.viewed as v 3 times within 1d
  then send sms \"You like {v.product_id}. Reply STOP to opt out\"
  key v.product_id
";

/// One customer viewing 5,000 distinct products in 5,000 seconds.
fn many_products() -> Vec<String> {
    (0..5000)
        .map(|i| {
            let t = chrono::DateTime::from_timestamp(1_714_557_600 + i, 0).unwrap();
            ev_props(
                "c1",
                "page.viewed",
                &t.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
                &format!(r#"{{"product_id":"p{i}"}}"#),
            )
        })
        .collect()
}

fn inspect_counts(d: &Dir, customer: &str) -> BTreeMap<String, (usize, usize, usize)> {
    let r = d.trig(&["state", "inspect", "S", "--customer", customer]);
    r.ok();
    let v: Value = serde_json::from_str(&r.stdout).unwrap_or_else(|e| panic!("{e}: {r:?}"));
    v["rules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            let n = |k: &str| r["state"][k].as_array().map_or(0, Vec::len);
            (
                r["name"].as_str().unwrap().to_string(),
                (n("waits"), n("seqs"), n("counters")),
            )
        })
        .collect()
}

/// A `followed by … key v.product_id` rule and an `N times … key` rule
/// with one customer viewing 5,000 distinct products: the run completes,
/// and the customer holds at most 1,000 pending sequences and 1,000
/// counters per rule (the documented bound), the newest ones.
#[test]
fn pending_sequences_and_counters_per_customer_are_bounded() {
    let d = Dir::project("bounded", BOUNDED_RULES);
    d.lines("views.ndjson", &many_products());
    let r = d.trig(&["run", "--events", "views.ndjson", "--state", "S"]);
    r.ok();
    assert_eq!(r.events_read(), 5000, "{r:?}");
    let counts = inspect_counts(&d, "c1");
    let (_, seqs, _) = counts["browse_cart"];
    let (_, _, counters) = counts["viewed_often"];
    assert!(seqs > 0 && seqs <= 1000, "{seqs} pending sequences");
    assert!(counters > 0 && counters <= 1000, "{counters} counters");
    let stats = d.trig(&["state", "stats", "S"]);
    assert!(
        stats
            .stdout
            .contains("rule browse_cart: 1 customer(s), 1,000 pending"),
        "{stats:?}"
    );
    // The newest survive: a cart now completes the last product's sequence.
    d.lines(
        "cart.ndjson",
        &[ev("c1", "cart.abandoned", "2024-05-01T12:00:00Z", "cart-1")],
    );
    let r = d.trig(&["run", "--events", "cart.ndjson", "--state", "S"]);
    r.ok();
    let fired = ndjson(&r.stdout);
    assert_eq!(fired.len(), seqs, "one action per live sequence");
    assert!(
        r.stdout.contains("p4999"),
        "{}",
        &r.stdout[..r.stdout.len().min(400)]
    );
    assert!(!r.stdout.contains("\"p0\"") && !r.stdout.contains("p0?"));
}

/// docs/runtime.md ("Bounds"): beyond the bound the oldest is dropped and
/// counted; the count must show somewhere the operator sees (the summary).
#[test]
fn the_summary_reports_instances_dropped_at_the_bound() {
    let d = Dir::project("bounded-summary", BOUNDED_RULES);
    d.lines("views.ndjson", &many_products());
    let r = d.trig(&["run", "--events", "views.ndjson"]);
    r.ok();
    assert!(
        r.stderr.contains("8,000") || r.stderr.contains("4,000"),
        "no count of dropped instances:\n{r:?}"
    );
}

/// Sequences and counts whose window has passed are not live: once time
/// has moved past them they are neither counted as pending nor kept in the
/// store, so the store follows live state, not every customer ever seen.
#[test]
fn expired_sequences_and_counts_are_not_kept() {
    let d = Dir::project("expired", BOUNDED_RULES);
    d.lines(
        "e.ndjson",
        &[
            ev_props(
                "c1",
                "page.viewed",
                "2024-05-01T10:00:00Z",
                r#"{"product_id":"p1"}"#,
            ),
            ev_props(
                "c2",
                "page.viewed",
                "2024-05-05T10:00:00Z",
                r#"{"product_id":"p1"}"#,
            ),
        ],
    );
    d.trig(&["run", "--events", "e.ndjson", "--state", "S"])
        .ok();
    let stats = d.trig(&["state", "stats", "S"]);
    assert!(
        stats
            .stdout
            .contains("rule browse_cart: 1 customer(s), 1 pending"),
        "c1's sequence expired on 2024-05-02:\n{stats:?}"
    );
    let gone = d.trig(&["state", "inspect", "S", "--customer", "c1"]);
    assert_ne!(gone.code, 0, "c1 holds only expired state:\n{gone:?}");
}

// ------------------------------------------------------ 11. trig state

/// `trig state inspect` shows the watermark, the newest event, the input
/// positions (line and byte), the output lengths and the pending count per
/// rule; `trig state stats` the customers and pending instances per rule
/// and the store size.
#[test]
fn state_inspect_and_stats_show_watermark_positions_and_pending() {
    let d = Dir::project("inspect", WAIT_AND_SILENCE);
    d.lines(
        "e.ndjson",
        &[
            ev("c1", "cart.abandoned", "2024-05-01T10:00:00Z", "e1"),
            ev("c2", "cart.abandoned", "2024-05-01T10:30:00Z", "e2"),
            ev("c3", "page.viewed", "2024-05-01T11:00:00Z", "e3"),
        ],
    );
    let len = file_len(&d.path("e.ndjson"));
    d.trig(&[
        "run",
        "--events",
        "e.ndjson",
        "--state",
        "S",
        "--out",
        "o.ndjson",
        "--checkpoint-every",
        "1s",
    ])
    .ok();
    let r = d.trig(&["state", "inspect", "S"]);
    r.ok();
    let out = &r.stdout;
    assert!(out.contains("watermark: 2024-05-01T11:00:00.000Z"), "{r:?}");
    assert!(
        out.contains("newest event: 2024-05-01T11:00:00.000Z"),
        "{r:?}"
    );
    assert!(
        out.contains(&format!("input e.ndjson: line 3, byte {len}")),
        "{r:?}"
    );
    assert!(out.contains("o.ndjson: byte 0"), "{r:?}");
    assert!(
        out.contains("rule cart_wait: 2 customer(s), 2 pending instance(s)"),
        "{r:?}"
    );
    assert!(
        out.contains("rule idle: 3 customer(s), 3 pending instance(s)"),
        "{r:?}"
    );
    assert!(out.contains("customers with state: 3"), "{r:?}");
    let s = d.trig(&["state", "stats", "S"]);
    s.ok();
    assert!(s.stdout.contains("customers with state: 3"), "{s:?}");
    assert!(
        s.stdout
            .contains("rule cart_wait: 2 customer(s), 2 pending instance(s)"),
        "{s:?}"
    );
    let size = summary_number(&s.stdout, "store size: ", " bytes").expect("a store size");
    assert!(size > 0, "{s:?}");
    let c = d.trig(&["state", "inspect", "S", "--customer", "c1"]);
    c.ok();
    let v: Value = serde_json::from_str(&c.stdout).unwrap();
    assert_eq!(v["id"], "c1");
}

/// `trig state inspect|stats|forget` on a folder without state is a usage
/// error (exit 2) that creates nothing there; `--checkpoint-every 0` is
/// refused too, and so is a `state.db` that is not a store (left as it
/// is).
#[test]
fn state_commands_without_a_store_are_usage_errors() {
    let d = Dir::project("no-state", NOW_RULE);
    std::fs::create_dir_all(d.path("empty")).unwrap();
    for args in [
        vec!["state", "inspect", "empty"],
        vec!["state", "inspect", "empty", "--customer", "c1"],
        vec!["state", "stats", "empty"],
        vec!["state", "forget", "empty", "c1"],
        vec!["state", "inspect", "missing"],
    ] {
        let r = d.trig(&args);
        assert_eq!(r.code, 2, "{r:?}");
        r.no_panic();
        assert!(
            r.stderr.contains("no trig state") || r.stderr.contains("state"),
            "{r:?}"
        );
    }
    assert!(d.files_under("empty").is_empty(), "a store was created");
    assert!(!d.path("missing").exists());
    d.lines(
        "e.ndjson",
        &[ev("c1", "cart.abandoned", "2024-05-01T10:00:00Z", "e1")],
    );
    let r = d.trig(&[
        "run",
        "--events",
        "e.ndjson",
        "--state",
        "S",
        "--checkpoint-every",
        "0",
    ]);
    assert_eq!(r.code, 2, "{r:?}"); // A file that is not a store is refused, not overwritten.
    d.write("bad/state.db", "not a database, not at all");
    for args in [
        vec!["run", "--events", "e.ndjson", "--state", "bad"],
        vec!["state", "inspect", "bad"],
    ] {
        let r = d.trig(&args);
        assert_eq!(r.code, 2, "{r:?}");
        r.no_panic();
        assert!(r.stderr.contains("state store"), "{r:?}");
    }
    assert_eq!(d.read("bad/state.db"), "not a database, not at all");
}
