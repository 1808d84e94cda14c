//! `trig run` through the real binary, each test in its own temporary
//! folder with its own `trig.toml` and rules: the action lines (shape,
//! times, ids), `--out`, `--suppressed`, `--dead-letter`, `--max-errors`,
//! several `--events` files and stdin, `--until`, the input formats,
//! `--trace`, rules with errors, `.trigc` files and the exit codes, as
//! README.md (`trig run`), docs/runtime.md and LANGUAGE.md describe them.
//!
//! A test that checks documented behaviour the binary does not have is
//! `#[ignore = "ENGINE BUG?: …"]`: it keeps asserting the documented
//! behaviour.

use std::process::{Command, Stdio};

use serde_json::Value;

#[path = "support/project.rs"]
mod project;
use project::{ndjson, Dir, PROJECT};
use sha2::{Digest, Sha256};

// ------------------------------------------------------------------ harness

/// The keys of a JSON object, in order (serde_json keeps the order:
/// the crate enables `preserve_order`).
fn keys(v: &Value) -> Vec<&str> {
    v.as_object()
        .unwrap_or_else(|| panic!("not an object: {v}"))
        .keys()
        .map(String::as_str)
        .collect()
}

/// `(rule, customer, trigger id, fired_at)` of each action, to compare
/// outputs compactly (a missing trigger id is `null`).
fn rows(actions: &[Value]) -> Vec<(String, String, String, String)> {
    actions
        .iter()
        .map(|a| {
            let s = |v: &Value| match v {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            (
                s(&a["rule"]),
                s(&a["customer"]),
                s(&a["trigger"]["id"]),
                s(&a["fired_at"]),
            )
        })
        .collect()
}

/// One expected `rows` entry.
fn row(
    rule: &str,
    customer: &str,
    trigger_id: &str,
    fired_at: &str,
) -> (String, String, String, String) {
    (
        rule.into(),
        customer.into(),
        trigger_id.into(),
        fired_at.into(),
    )
}

/// Actions sorted by id, for comparisons that must not depend on the
/// output order.
fn sorted(mut actions: Vec<Value>) -> Vec<Value> {
    actions.sort_by(|a, b| a["id"].as_str().cmp(&b["id"].as_str()));
    actions
}

/// `F(x)` of docs/runtime.md: the byte length as 8 bytes little-endian,
/// then the bytes.
fn f(h: &mut Sha256, x: &str) {
    h.update((x.len() as u64).to_le_bytes());
    h.update(x.as_bytes());
}

fn hex16(h: Sha256) -> String {
    h.finalize()[..16]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The documented action id for a completing event with an `id`.
fn id_by_event_id(rule: &str, key: &str, event_id: &str) -> String {
    let mut h = Sha256::new();
    for x in ["trig.action.v1", rule, key, "id", event_id] {
        f(&mut h, x);
    }
    hex16(h)
}

/// The documented action id for a completing event without an `id`.
fn id_by_position(
    rule: &str,
    key: &str,
    customer: &str,
    event: &str,
    time_ms: i64,
    position: u64,
) -> String {
    let mut h = Sha256::new();
    for x in [
        "trig.action.v1",
        rule,
        key,
        "position",
        customer,
        event,
        &time_ms.to_string(),
        &position.to_string(),
    ] {
        f(&mut h, x);
    }
    hex16(h)
}

fn is_id(s: &str) -> bool {
    s.len() == 32
        && s.bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// `YYYY-MM-DDTHH:MM:SS.mmmZ`, exactly.
fn is_utc_millis(s: &str) -> bool {
    let b = s.as_bytes();
    let digits = |mut r: std::ops::Range<usize>| r.all(|i| b[i].is_ascii_digit());
    b.len() == 24
        && digits(0..4)
        && b[4] == b'-'
        && digits(5..7)
        && b[7] == b'-'
        && digits(8..10)
        && b[10] == b'T'
        && digits(11..13)
        && b[13] == b':'
        && digits(14..16)
        && b[16] == b':'
        && digits(17..19)
        && b[19] == b'.'
        && digits(20..23)
        && b[23] == b'Z'
}

/// A generic NDJSON event line.
fn ev(customer: &str, event: &str, time: &str) -> String {
    format!(r#"{{"customer":"{customer}","event":"{event}","time":"{time}"}}"#)
}

/// A generic NDJSON event line with an id.
fn ev_id(customer: &str, event: &str, time: &str, id: &str) -> String {
    format!(r#"{{"customer":"{customer}","event":"{event}","time":"{time}","id":"{id}"}}"#)
}

/// The lines of stderr before the run summary (trace lines).
fn before_summary(stderr: &str) -> Vec<&str> {
    stderr
        .lines()
        .take_while(|l| !l.starts_with("events:"))
        .collect()
}

/// `signup.completed` fires at once; `cart.abandoned` waits 2 hours
/// unless `order.completed` comes.
const WELCOME_AND_CART: &str = "\
rule welcome:
  when signup.completed as s
  then send sms \"Welcome {s.plan ?? \"friend\"}! Reply STOP to opt out\"

rule cart_wait:
  when cart.abandoned as c for 2h and not order.completed
  then send sms \"Your cart {c.url ?? \"\"} is waiting. Reply STOP to opt out\"
";

/// One rule that fires on every `signup.completed`.
const WELCOME: &str = "\
rule welcome:
  when signup.completed
  then send sms \"Welcome! Reply STOP to opt out\"
";

// ------------------------------------------------------------ action shape

/// An action line has exactly the documented keys in the documented order
/// (`id, rule, customer, fired_at, send_at, steps, trigger`), a template
/// step `channel, template, lang, params` and a text step `channel, text,
/// lang, params`, and a trigger `event, at, id`; the values are the
/// rendered message, the cascade and the completing event.
#[test]
fn action_lines_have_the_documented_keys_in_order() {
    let d = Dir::new("shape");
    d.write(
        "trig.toml",
        format!("{PROJECT}\n[catalogs]\ntemplates = \"templates.toml\"\n"),
    )
    .write(
        "templates.toml",
        "[[template]]\nchannel = \"email\"\nname = \"welcome_mail\"\nparams = [\"first_name\"]\nsubject = \"Welcome\"\n",
    )
    .write(
        "rules.trig",
        "rule hello:\n  when signup.completed as s\n  then send email template \"welcome_mail\" with (first_name: customer.first_name ?? \"there\")\n  fallback sms \"Hi {s.plan}! Reply STOP to opt out\"\n",
    )
    .lines(
        "events.ndjson",
        &[r#"{"customer":"c1","event":"signup.completed","time":"2024-05-01T12:00:00Z","id":"evt-1","props":{"plan":"gold"}}"#],
    );
    let r = d.trig(&["run", "rules.trig", "--events", "events.ndjson"]);
    r.ok();
    let lines: Vec<&str> = r.stdout.lines().collect();
    assert_eq!(lines.len(), 1, "{r:?}");
    assert!(lines[0].starts_with("{\"id\":\""), "{r:?}");
    let a = &r.actions()[0];
    assert_eq!(
        keys(a),
        ["id", "rule", "customer", "fired_at", "send_at", "steps", "trigger"]
    );
    let steps = a["steps"].as_array().unwrap();
    assert_eq!(steps.len(), 2, "{a}");
    assert_eq!(keys(&steps[0]), ["channel", "template", "lang", "params"]);
    assert_eq!(keys(&steps[1]), ["channel", "text", "lang", "params"]);
    assert_eq!(keys(&a["trigger"]), ["event", "at", "id"]);
    assert_eq!(
        *a,
        serde_json::json!({
            "id": id_by_event_id("hello", "", "evt-1"),
            "rule": "hello",
            "customer": "c1",
            "fired_at": "2024-05-01T12:00:00.000Z",
            "send_at": "2024-05-01T12:00:00.000Z",
            "steps": [
                {"channel": "email", "template": "welcome_mail", "lang": null,
                 "params": {"first_name": "there"}},
                {"channel": "sms", "text": "Hi gold! Reply STOP to opt out", "lang": null,
                 "params": []}
            ],
            "trigger": {"event": "signup.completed", "at": "2024-05-01T12:00:00.000Z", "id": "evt-1"}
        })
    );
}

/// Times are written in RFC 3339 UTC with exactly three fraction digits
/// and `Z`, whatever form the input used (an offset, no fraction, a
/// microsecond fraction cut toward the past, epoch seconds or
/// milliseconds, `YYYY-MM-DD HH:MM:SS UTC`).
#[test]
fn times_are_rfc3339_utc_with_milliseconds() {
    let d = Dir::project("times", WELCOME);
    d.lines(
        "events.ndjson",
        &[
            &ev_id("c1", "signup.completed", "2024-05-01T14:00:00+02:00", "a"),
            &ev_id("c1", "signup.completed", "2024-05-01T12:00:01.250999Z", "b"),
            r#"{"customer":"c1","event":"signup.completed","time":1714564802,"id":"c"}"#,
            r#"{"customer":"c1","event":"signup.completed","time":1714564803500,"id":"d"}"#,
            &ev_id("c1", "signup.completed", "2024-05-01 12:00:04 UTC", "e"),
        ],
    );
    let r = d.trig(&["run", "rules.trig", "--events", "events.ndjson"]);
    r.ok();
    let actions = r.actions();
    let fired: Vec<&str> = actions
        .iter()
        .map(|a| a["fired_at"].as_str().unwrap())
        .collect();
    assert_eq!(
        fired,
        [
            "2024-05-01T12:00:00.000Z",
            "2024-05-01T12:00:01.250Z",
            "2024-05-01T12:00:02.000Z",
            "2024-05-01T12:00:03.500Z",
            "2024-05-01T12:00:04.000Z",
        ],
        "{r:?}"
    );
    for a in &actions {
        for t in [&a["fired_at"], &a["send_at"], &a["trigger"]["at"]] {
            assert!(is_utc_millis(t.as_str().unwrap()), "{t} in {a}");
        }
    }
}

/// Action ids are 32 lowercase hex characters: the first 16 bytes of the
/// SHA-256 that docs/runtime.md spells out, from the event id when the
/// completing event has one, else from customer, name, time and position
/// among that customer's same-timestamp events (here the second event at
/// 12:00 for `c1`, position 1).
#[test]
fn action_ids_are_the_documented_hash() {
    let d = Dir::project("ids", WELCOME_AND_CART);
    d.lines(
        "events.ndjson",
        &[
            &ev_id("c1", "signup.completed", "2024-05-01T12:00:00Z", "e1"),
            &ev("c1", "cart.abandoned", "2024-05-01T12:00:00Z"),
            &ev("c9", "page.viewed", "2024-05-01T15:00:00Z"),
        ],
    );
    let r = d.trig(&["run", "rules.trig", "--events", "events.ndjson"]);
    r.ok();
    let actions = r.actions();
    assert_eq!(
        rows(&actions),
        [
            row("welcome", "c1", "e1", "2024-05-01T12:00:00.000Z"),
            row("cart_wait", "c1", "null", "2024-05-01T14:00:00.000Z"),
        ],
        "{r:?}"
    );
    let noon_ms = 1_714_564_800_000; // 2024-05-01T12:00:00Z
    assert_eq!(actions[0]["id"], id_by_event_id("welcome", "", "e1"));
    assert_eq!(
        actions[1]["id"],
        id_by_position("cart_wait", "", "c1", "cart.abandoned", noon_ms, 1)
    );
    for a in &actions {
        assert!(is_id(a["id"].as_str().unwrap()), "{a}");
    }
}

/// With `key`, the id hashes the typed key: `s:` and the string for a
/// string key, `n:` and the number for a number key.
#[test]
fn keyed_action_ids_hash_the_typed_key() {
    let rules = "\
rule by_cart:
  when cart.abandoned as c for 1h and not order.completed
  then send sms \"Cart Reply STOP to opt out\"
  key c.cart_id

rule by_number:
  when cart.abandoned as c for 1h
  then send sms \"Cart Reply STOP to opt out\"
  key c.n
";
    let d = Dir::project("keyed-ids", rules);
    d.lines(
        "events.ndjson",
        &[
            r#"{"customer":"c1","event":"cart.abandoned","time":"2024-05-01T10:00:00Z","id":"e1","props":{"cart_id":"cart-1","n":3}}"#,
            &ev("c9", "ping", "2024-05-01T12:00:00Z"),
        ],
    );
    let r = d.trig(&["run", "rules.trig", "--events", "events.ndjson"]);
    r.ok();
    let mut got: Vec<(String, String)> = r
        .actions()
        .iter()
        .map(|a| {
            (
                a["rule"].as_str().unwrap().into(),
                a["id"].as_str().unwrap().into(),
            )
        })
        .collect();
    got.sort();
    assert_eq!(
        got,
        [
            (
                "by_cart".to_string(),
                id_by_event_id("by_cart", "s:cart-1", "e1")
            ),
            (
                "by_number".to_string(),
                id_by_event_id("by_number", "n:3", "e1")
            ),
        ],
        "{r:?}"
    );
}

/// The same events give the same actions with the same ids on a second
/// run and when they arrive in another order within the allowed lateness
/// (1 minute by default), the relative order of one customer's
/// same-timestamp events kept.
#[test]
fn action_ids_do_not_depend_on_the_run_or_the_arrival_order() {
    let rules = "\
rule every_view:
  when page.viewed as v
  then send sms \"Seen {v.n} Reply STOP to opt out\"

rule cart_30s:
  when cart.abandoned for 30s and not order.completed
  then send sms \"Cart Reply STOP to opt out\"
";
    let d = Dir::project("order", rules);
    let l = [
        r#"{"customer":"a","event":"page.viewed","time":"2024-05-01T12:00:00Z","props":{"n":1}}"#
            .to_string(),
        r#"{"customer":"a","event":"page.viewed","time":"2024-05-01T12:00:00Z","props":{"n":2}}"#
            .to_string(),
        ev("b", "cart.abandoned", "2024-05-01T12:00:10Z"),
        r#"{"customer":"a","event":"page.viewed","time":"2024-05-01T12:00:20Z","props":{"n":3}}"#
            .to_string(),
        r#"{"customer":"b","event":"page.viewed","time":"2024-05-01T12:00:30Z","props":{"n":4}}"#
            .to_string(),
        ev("c", "cart.abandoned", "2024-05-01T12:00:30Z"),
        ev("c", "order.completed", "2024-05-01T12:00:50Z"),
        ev("a", "ping", "2024-05-01T12:01:10Z"),
    ];
    let in_order: Vec<&str> = l.iter().map(String::as_str).collect();
    // Newest first, everything within a minute of it; a's two 12:00
    // events keep their relative order.
    let shuffled: Vec<&str> = [6, 4, 0, 3, 5, 2, 1, 7]
        .iter()
        .map(|&i| l[i].as_str())
        .collect();
    d.lines("in_order.ndjson", &in_order)
        .lines("shuffled.ndjson", &shuffled);

    let first = d.trig(&["run", "rules.trig", "--events", "in_order.ndjson"]);
    first.ok();
    let again = d.trig(&["run", "rules.trig", "--events", "in_order.ndjson"]);
    again.ok();
    let other = d.trig(&[
        "run",
        "rules.trig",
        "--events",
        "shuffled.ndjson",
        "--dead-letter",
        "dead.ndjson",
    ]);
    other.ok();
    assert_eq!(d.read("dead.ndjson"), "", "nothing is late");

    let actions = first.actions();
    assert_eq!(actions.len(), 5, "{first:?}");
    for a in &actions {
        assert!(is_id(a["id"].as_str().unwrap()), "{a}");
    }
    let texts: Vec<&str> = actions
        .iter()
        .map(|a| a["steps"][0]["text"].as_str().unwrap())
        .collect();
    assert_eq!(
        texts,
        [
            "Seen 1 Reply STOP to opt out",
            "Seen 2 Reply STOP to opt out",
            "Seen 3 Reply STOP to opt out",
            "Seen 4 Reply STOP to opt out",
            "Cart Reply STOP to opt out",
        ]
    );
    assert_eq!(first.stdout, again.stdout, "two runs, byte for byte");
    let mut ids: Vec<String> = actions
        .iter()
        .map(|a| a["id"].as_str().unwrap().into())
        .collect();
    assert_eq!(sorted(actions), sorted(other.actions()), "{other:?}");
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 5, "ids are distinct");
}

// ------------------------------------------------------------------ outputs

/// `--out FILE` gets the actions and stdout stays empty; the summary goes
/// to stderr with the events read, the actions, one line per rule and the
/// rate.
#[test]
fn out_file_gets_the_actions_and_the_summary_goes_to_stderr() {
    let d = Dir::project("out", WELCOME_AND_CART);
    d.lines(
        "events.ndjson",
        &[
            &ev_id("c1", "signup.completed", "2024-05-01T12:00:00Z", "e1"),
            &ev_id("c2", "signup.completed", "2024-05-01T12:01:00Z", "e2"),
        ],
    );
    let plain = d.trig(&["run", "rules.trig", "--events", "events.ndjson"]);
    plain.ok();
    let r = d.trig(&[
        "run",
        "rules.trig",
        "--events",
        "events.ndjson",
        "--out",
        "actions.ndjson",
    ]);
    r.ok();
    assert_eq!(r.stdout, "", "{r:?}");
    let written = d.read("actions.ndjson");
    assert_eq!(written, plain.stdout);
    assert_eq!(ndjson(&written).len(), 2);
    assert!(!written.contains("events:"), "{written}");
    for part in ["events:", "actions:", "events/s:"] {
        assert!(r.stderr.contains(part), "no {part:?} in {r:?}");
    }
    let rule_line = |rule: &str| r.stderr.lines().any(|l| l.trim_start().starts_with(rule));
    assert!(rule_line("welcome"), "{r:?}");
    assert!(rule_line("cart_wait"), "{r:?}");
    let events_line = r.stderr.lines().find(|l| l.starts_with("events:")).unwrap();
    assert!(events_line.contains("2 read"), "{events_line}");
    let actions_line = r
        .stderr
        .lines()
        .find(|l| l.starts_with("actions:"))
        .unwrap();
    assert!(actions_line.contains('2'), "{actions_line}");
}

/// `--suppressed FILE` lists a guard suppression and a `limit`
/// suppression (`outcome`, `reason`, `detail`) and a quiet-hours deferral
/// (`"outcome":"deferred"` with `until`), each with the id the action has
/// or would have had; the deferred action itself goes out at the end of
/// the window.
#[test]
fn suppressed_file_lists_guard_limit_and_quiet_hours() {
    let rules = "\
rule guarded:
  when signup.completed
  unless customer.unsubscribed
  then send sms \"Welcome Reply STOP to opt out\"

rule limited:
  when page.viewed
  then send sms \"Seen Reply STOP to opt out\"
  limit 1 per 1d

rule night:
  when order.completed
  then send sms \"Thanks Reply STOP to opt out\"
  quiet 21:00-09:00
";
    let d = Dir::project("suppressed", rules);
    d.lines(
        "events.ndjson",
        &[
            r#"{"type":"identify","userId":"c1","traits":{"unsubscribed":true},"timestamp":"2024-05-01T11:00:00Z"}"#,
            &ev_id("c1", "signup.completed", "2024-05-01T12:00:00Z", "g1"),
            &ev_id("c2", "page.viewed", "2024-05-01T12:00:00Z", "p1"),
            &ev_id("c2", "page.viewed", "2024-05-01T13:00:00Z", "p2"),
            &ev_id("c3", "order.completed", "2024-05-01T22:00:00Z", "o1"),
            &ev("c9", "ping", "2024-05-02T10:00:00Z"),
        ],
    );
    let r = d.trig(&[
        "run",
        "rules.trig",
        "--events",
        "events.ndjson",
        "--suppressed",
        "suppressed.ndjson",
    ]);
    r.ok();
    let actions = r.actions();
    assert_eq!(
        rows(&actions),
        [
            row("limited", "c2", "p1", "2024-05-01T12:00:00.000Z"),
            row("night", "c3", "o1", "2024-05-01T22:00:00.000Z"),
        ],
        "{r:?}"
    );
    assert_eq!(actions[1]["send_at"], "2024-05-02T09:00:00.000Z");

    let notes = ndjson(&d.read("suppressed.ndjson"));
    assert_eq!(notes.len(), 3, "{notes:#?}");
    let find = |rule: &str| {
        notes
            .iter()
            .find(|n| n["rule"] == rule)
            .unwrap_or_else(|| panic!("no {rule} in {notes:#?}"))
    };

    let guard = find("guarded");
    assert_eq!(
        keys(guard),
        ["id", "rule", "customer", "at", "outcome", "reason", "detail", "trigger"]
    );
    assert_eq!(guard["customer"], "c1");
    assert_eq!(guard["outcome"], "suppressed");
    assert_eq!(guard["reason"], "guard");
    assert!(!guard["detail"].as_str().unwrap().is_empty(), "{guard}");
    assert_eq!(guard["id"], id_by_event_id("guarded", "", "g1"));
    assert_eq!(guard["trigger"]["id"], "g1");

    let limit = find("limited");
    assert_eq!(limit["customer"], "c2");
    assert_eq!(limit["outcome"], "suppressed");
    assert_eq!(limit["reason"], "limit");
    assert!(!limit["detail"].as_str().unwrap().is_empty(), "{limit}");
    assert_eq!(limit["at"], "2024-05-01T13:00:00.000Z");
    assert_eq!(limit["id"], id_by_event_id("limited", "", "p2"));

    let deferred = find("night");
    assert_eq!(deferred["customer"], "c3");
    assert_eq!(deferred["outcome"], "deferred");
    assert_eq!(deferred["reason"], "quiet_hours");
    assert_eq!(deferred["until"], "2024-05-02T09:00:00.000Z");
    assert!(deferred.get("detail").is_some(), "{deferred}");
    assert_eq!(
        deferred["id"], actions[1]["id"],
        "the deferral names the action it delays"
    );

    // The summary counts them by reason.
    let line = |rule: &str| {
        r.stderr
            .lines()
            .find(|l| l.trim_start().starts_with(rule))
            .unwrap_or_else(|| panic!("no {rule} line: {r:?}"))
    };
    assert!(line("guarded").contains("guard 1"), "{r:?}");
    assert!(line("limited").contains("limit 1"), "{r:?}");
    assert!(line("night").contains("deferred 1"), "{r:?}");
}

// ---------------------------------------------------------------- dead letter

/// The lines of the dead-letter test: hostile lines between good ones
/// (line numbers in the comments).
fn hostile_lines() -> Vec<Vec<u8>> {
    let line = |s: &str| s.as_bytes().to_vec();
    let signup =
        |customer: &str, time: &str, id: &str| line(&ev_id(customer, "signup.completed", time, id));
    let mut invalid_utf8 = line(
        r#"{"customer":"c1","event":"signup.completed","time":"2024-05-01T12:00:02Z","id":"bad-"#,
    );
    invalid_utf8.extend_from_slice(b"\xff\xfe\"}");
    let long_customer = "k".repeat(10 * 1024);
    let deep = format!(
        r#"{{"customer":"c1","event":"signup.completed","time":"2024-05-01T13:00:03Z","id":"deep","props":{{"x":{}1{}}}}}"#,
        "{\"a\":".repeat(10_000),
        "}".repeat(10_000)
    );
    vec![
        /* 1 */ signup("c1", "2024-05-01T12:00:00Z", "g1"),
        /* 2 */ line(r#"{"customer":"c1","event":"signup.completed","#),
        /* 3 */ signup("c1", "2024-05-01T12:00:01Z", "g2"),
        /* 4 */ line(r#"{"customer":"c1","event":"signup.completed","id":"no-time"}"#),
        /* 5 */ invalid_utf8,
        /* 6 */ signup("c1", "2024-05-01T13:00:00Z", "g3"),
        /* 7 */ signup("c1", "2024-05-01T12:58:00Z", "late"),
        /* 8 */ signup("c1", "2999-01-01T00:00:00Z", "future"),
        /* 9 */ signup(&long_customer, "2024-05-01T13:00:01Z", "long"),
        /* 10 */ signup("c1", "2024-05-01T13:00:02Z", "g4"),
        /* 11 */ line(&deep),
        /* 12 */ signup("c1", "2024-05-01T13:00:04Z", "g5"),
    ]
}

/// `--dead-letter FILE` gets each rejected line (malformed JSON, no
/// `time`, invalid UTF-8, a late event, an event in 2999, props nested
/// 10,000 deep) with `file`, the 1-based `line`, a `reason` and the `raw`
/// line; the good lines around them all produce their actions and the exit
/// code is 0. A 10 KB customer id is accepted (no document limits its
/// length) and its action carries the whole id.
#[test]
fn dead_letter_gets_every_rejected_line_and_the_run_goes_on() {
    let d = Dir::project("dead", WELCOME);
    let lines = hostile_lines();
    let mut bytes = Vec::new();
    for l in &lines {
        bytes.extend_from_slice(l);
        bytes.push(b'\n');
    }
    d.write("events.ndjson", &bytes);
    let r = d.trig(&[
        "run",
        "rules.trig",
        "--events",
        "events.ndjson",
        "--dead-letter",
        "dead.ndjson",
    ]);
    r.ok();

    let long_customer = "k".repeat(10 * 1024);
    let actions = r.actions();
    let got: Vec<(&str, &str)> = actions
        .iter()
        .map(|a| {
            (
                a["trigger"]["id"].as_str().unwrap(),
                a["customer"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            ("g1", "c1"),
            ("g2", "c1"),
            ("g3", "c1"),
            ("long", long_customer.as_str()),
            ("g4", "c1"),
            ("g5", "c1"),
        ],
        "{r:?}"
    );

    let dead = ndjson(&d.read("dead.ndjson"));
    let at: Vec<u64> = dead.iter().map(|x| x["line"].as_u64().unwrap()).collect();
    assert_eq!(at, [2, 4, 5, 7, 8, 11], "{dead:#?}");
    for x in &dead {
        assert_eq!(keys(x), ["file", "line", "reason", "raw"], "{x}");
        assert_eq!(x["file"], "events.ndjson");
        assert!(!x["reason"].as_str().unwrap().is_empty(), "{x}");
        let n = x["line"].as_u64().unwrap() as usize;
        let raw = x["raw"].as_str().unwrap();
        match std::str::from_utf8(&lines[n - 1]) {
            Ok(text) => assert_eq!(raw, text, "line {n}"),
            // The raw bytes are not UTF-8 and a JSON string must be: the
            // valid part is kept as is.
            Err(_) => assert!(
                raw.starts_with(r#"{"customer":"c1","event":"signup.completed","time":"2024-05-01T12:00:02Z","id":"bad-"#),
                "line {n}: {raw}"
            ),
        }
    }
    let reason = |n: u64| {
        dead.iter().find(|x| x["line"] == n).unwrap()["reason"]
            .as_str()
            .unwrap()
            .to_string()
    };
    assert!(reason(4).contains("time"), "{}", reason(4));
    assert!(reason(5).contains("UTF-8"), "{}", reason(5));
    assert!(reason(7).contains("late"), "{}", reason(7));
    assert!(reason(8).contains("max_future"), "{}", reason(8));
    assert!(reason(11).contains("deep"), "{}", reason(11));

    let events_line = r.stderr.lines().find(|l| l.starts_with("events:")).unwrap();
    assert!(events_line.contains("6 read"), "{events_line}");
    assert!(events_line.contains("1 late"), "{events_line}");
}

/// The watermark is the newest time minus `allowed_lateness`: an event
/// exactly at it is still applied (in time order), one a millisecond older
/// is late; `[runtime] allowed_lateness` widens the window.
#[test]
fn late_means_older_than_the_watermark() {
    let d = Dir::project("watermark", WELCOME);
    d.write(
        "wide/trig.toml",
        format!("{PROJECT}\n[runtime]\nallowed_lateness = \"5m\"\n"),
    )
    .lines(
        "events.ndjson",
        &[
            &ev_id("c1", "signup.completed", "2024-05-01T13:00:00Z", "newest"),
            &ev_id("c1", "signup.completed", "2024-05-01T12:59:00Z", "edge"),
            &ev_id("c1", "signup.completed", "2024-05-01T12:58:59.999Z", "late"),
        ],
    );
    let r = d.trig(&[
        "run",
        "rules.trig",
        "--events",
        "events.ndjson",
        "--dead-letter",
        "dead.ndjson",
    ]);
    r.ok();
    let ids: Vec<String> = r
        .actions()
        .iter()
        .map(|a| a["trigger"]["id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(ids, ["edge", "newest"], "{r:?}");
    let dead = ndjson(&d.read("dead.ndjson"));
    assert_eq!(dead.len(), 1, "{dead:#?}");
    assert_eq!(dead[0]["line"], 3);

    let r = d.trig(&[
        "run",
        "rules.trig",
        "--config",
        "wide/trig.toml",
        "--events",
        "events.ndjson",
        "--dead-letter",
        "dead.ndjson",
    ]);
    r.ok();
    assert_eq!(r.actions().len(), 3, "{r:?}");
    assert_eq!(d.read("dead.ndjson"), "");
}

/// A late event changes nothing: an `order.completed` that arrives after
/// the watermark passed it does not cancel the wait it falls in, and a
/// late `signup.completed` sends nothing.
#[test]
fn a_late_event_changes_nothing() {
    let d = Dir::project("late-nothing", WELCOME_AND_CART);
    d.lines(
        "events.ndjson",
        &[
            &ev_id("c1", "cart.abandoned", "2024-05-01T10:00:00Z", "cart"),
            &ev("c2", "ping", "2024-05-01T10:30:00Z"),
            &ev("c1", "order.completed", "2024-05-01T10:10:00Z"),
            &ev_id(
                "c1",
                "signup.completed",
                "2024-05-01T10:20:00Z",
                "late-signup",
            ),
            &ev("c2", "ping", "2024-05-01T13:00:00Z"),
        ],
    );
    let r = d.trig(&[
        "run",
        "rules.trig",
        "--events",
        "events.ndjson",
        "--dead-letter",
        "dead.ndjson",
    ]);
    r.ok();
    assert_eq!(
        rows(&r.actions()),
        [row("cart_wait", "c1", "cart", "2024-05-01T12:00:00.000Z")],
        "{r:?}"
    );
    let dead: Vec<u64> = ndjson(&d.read("dead.ndjson"))
        .iter()
        .map(|x| x["line"].as_u64().unwrap())
        .collect();
    assert_eq!(dead, [3, 4]);
}

/// "JSON nested 128 levels deep or more (counting the line's own object
/// as level 1) is rejected" (docs/runtime.md): 127 levels are accepted;
/// 128 and 129 are dead letters and the run goes on.
#[test]
fn json_nested_128_levels_or_more_is_rejected() {
    let d = Dir::project("depth-128", WELCOME);
    // The line's object, then `props`, then N-2 objects inside it: N levels.
    let line = |levels: usize, id: &str| {
        format!(
            r#"{{"customer":"c1","event":"signup.completed","time":"2024-05-01T12:00:00Z","id":"{id}","props":{}1{}}}"#,
            r#"{"a":"#.repeat(levels - 1),
            "}".repeat(levels - 1)
        )
    };
    d.lines(
        "events.ndjson",
        &[&line(127, "d127"), &line(128, "d128"), &line(129, "d129")],
    );
    let r = d.trig(&[
        "run",
        "rules.trig",
        "--events",
        "events.ndjson",
        "--dead-letter",
        "dead.ndjson",
    ]);
    r.ok();
    let dead = ndjson(&d.read("dead.ndjson"));
    let ids: Vec<String> = r
        .actions()
        .iter()
        .map(|a| a["trigger"]["id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(ids, ["d127"], "dead letters: {dead:#?}");
    assert_eq!(dead.len(), 2, "{dead:#?}");
    assert_eq!(dead[0]["line"], 2);
    assert_eq!(dead[1]["line"], 3);
    assert!(
        dead[0]["reason"].as_str().unwrap().contains("128"),
        "{dead:#?}"
    );
}

/// `[runtime] max_future` is measured from the wall clock: with `1h`, an
/// event 2 hours ahead of now is rejected and one 10 minutes ahead is
/// accepted.
#[test]
fn max_future_is_measured_from_the_wall_clock() {
    let d = Dir::project("future", WELCOME);
    d.write(
        "trig.toml",
        format!("{PROJECT}\n[runtime]\nmax_future = \"1h\"\n"),
    );
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64;
    let soon = now + 10 * 60 * 1000;
    let far = now + 2 * 3600 * 1000;
    d.lines(
        "events.ndjson",
        &[
            &format!(r#"{{"customer":"c1","event":"signup.completed","time":{soon},"id":"soon"}}"#),
            &format!(r#"{{"customer":"c1","event":"signup.completed","time":{far},"id":"far"}}"#),
        ],
    );
    let r = d.trig(&[
        "run",
        "rules.trig",
        "--events",
        "events.ndjson",
        "--dead-letter",
        "dead.ndjson",
    ]);
    r.ok();
    let actions = r.actions();
    assert_eq!(actions.len(), 1, "{r:?}");
    assert_eq!(actions[0]["trigger"]["id"], "soon");
    let dead = ndjson(&d.read("dead.ndjson"));
    assert_eq!(dead.len(), 1, "{dead:#?}");
    assert_eq!(dead[0]["line"], 2);
    assert!(
        dead[0]["reason"].as_str().unwrap().contains("max_future"),
        "{dead:#?}"
    );
}

/// Without `--dead-letter`, the first rejected lines are printed to stderr
/// as `FILE:LINE: skipped: REASON` (only the first few of many), and the
/// run goes on.
#[test]
fn without_dead_letter_the_first_rejections_go_to_stderr() {
    let d = Dir::project("stderr-dead", WELCOME);
    let mut lines = vec![ev_id(
        "c1",
        "signup.completed",
        "2024-05-01T12:00:00Z",
        "g1",
    )];
    lines.push(r#"{"customer":"c1","event":"signup.completed","id":"x"}"#.to_string());
    for _ in 0..48 {
        lines.push("not json".to_string());
    }
    lines.push(ev_id(
        "c1",
        "signup.completed",
        "2024-05-01T12:00:01Z",
        "g2",
    ));
    let refs: Vec<&str> = lines.iter().map(String::as_str).collect();
    d.lines("events.ndjson", &refs);
    let r = d.trig(&["run", "rules.trig", "--events", "events.ndjson"]);
    r.ok();
    assert_eq!(r.actions().len(), 2, "{r:?}");
    assert!(
        r.stderr
            .lines()
            .any(|l| l == "events.ndjson:2: skipped: missing field `time`"),
        "{r:?}"
    );
    assert!(
        r.stderr
            .lines()
            .any(|l| l.starts_with("events.ndjson:3: skipped: ")),
        "{r:?}"
    );
    let shown = r
        .stderr
        .lines()
        .filter(|l| l.contains(": skipped: "))
        .count();
    assert!(
        (2..49).contains(&shown),
        "{shown} of 49 rejected lines shown: {r:?}"
    );
    let events_line = r.stderr.lines().find(|l| l.starts_with("events:")).unwrap();
    assert!(events_line.contains("49 rejected"), "{events_line}");
}

/// `--max-errors 2` with 5 bad lines: the run stops at the second one with
/// exit code 1 and a message naming `--max-errors`; the actions of the
/// events accepted before the stop are written, none after it.
#[test]
fn max_errors_stops_the_run_and_keeps_earlier_actions() {
    let d = Dir::project("max-errors", WELCOME_AND_CART);
    d.lines(
        "events.ndjson",
        &[
            &ev_id("c1", "signup.completed", "2024-05-01T12:00:00Z", "g1"),
            "bad 1",
            &ev_id("c2", "signup.completed", "2024-05-01T12:00:01Z", "g2"),
            &ev_id("c3", "cart.abandoned", "2024-05-01T12:00:02Z", "cart"),
            "bad 2",
            "bad 3",
            "bad 4",
            &ev_id("c4", "signup.completed", "2024-05-01T12:00:03Z", "g3"),
            "bad 5",
        ],
    );
    let r = d.trig(&[
        "run",
        "rules.trig",
        "--events",
        "events.ndjson",
        "--max-errors",
        "2",
        "--dead-letter",
        "dead.ndjson",
    ]);
    assert_eq!(r.code, 1, "{r:?}");
    r.no_panic();
    assert!(r.stderr.contains("--max-errors"), "{r:?}");
    let ids: Vec<String> = r
        .actions()
        .iter()
        .map(|a| a["trigger"]["id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(ids, ["g1", "g2"], "{r:?}");
    let dead: Vec<u64> = ndjson(&d.read("dead.ndjson"))
        .iter()
        .map(|x| x["line"].as_u64().unwrap())
        .collect();
    assert_eq!(dead, [2, 5]);

    // The same without a dead-letter file.
    let r = d.trig(&[
        "run",
        "rules.trig",
        "--events",
        "events.ndjson",
        "--max-errors",
        "2",
    ]);
    assert_eq!(r.code, 1, "{r:?}");
    assert!(r.stderr.contains("--max-errors"), "{r:?}");
    assert_eq!(r.actions().len(), 2, "{r:?}");
}

// --------------------------------------------------------------- the stream

/// Several `--events` files are one stream, read in the order given: a
/// wait started in the first file is cancelled by an event in the second,
/// and one that nothing cancels fires when the second file's time passes
/// its deadline. Dead letters name their own file and line.
#[test]
fn several_event_files_are_one_stream() {
    let d = Dir::project("files", WELCOME_AND_CART);
    d.lines(
        "one.ndjson",
        &[
            &ev_id("c1", "cart.abandoned", "2024-05-01T10:00:00Z", "c1-cart"),
            &ev_id("c2", "cart.abandoned", "2024-05-01T10:00:00Z", "c2-cart"),
        ],
    )
    .lines(
        "two.ndjson",
        &[
            "oops",
            &ev("c1", "order.completed", "2024-05-01T10:30:00Z"),
            &ev("c9", "ping", "2024-05-01T13:00:00Z"),
        ],
    );
    let r = d.trig(&[
        "run",
        "rules.trig",
        "--events",
        "one.ndjson",
        "--events",
        "two.ndjson",
        "--dead-letter",
        "dead.ndjson",
    ]);
    r.ok();
    assert_eq!(
        rows(&r.actions()),
        [row(
            "cart_wait",
            "c2",
            "c2-cart",
            "2024-05-01T12:00:00.000Z"
        )],
        "{r:?}"
    );
    let dead = ndjson(&d.read("dead.ndjson"));
    assert_eq!(dead.len(), 1);
    assert_eq!(dead[0]["file"], "two.ndjson");
    assert_eq!(dead[0]["line"], 1);

    // The first file alone: nothing cancels c1's wait, but time stops at
    // 10:00, before any deadline.
    let r = d.trig(&["run", "rules.trig", "--events", "one.ndjson"]);
    r.ok();
    assert_eq!(r.stdout, "", "{r:?}");
}

/// `--events -` reads standard input, like a file, and can be mixed with
/// files (here stdin second: its order cancels the file's wait).
#[test]
fn events_dash_reads_stdin() {
    let d = Dir::project("stdin", WELCOME_AND_CART);
    let lines = [
        ev_id("c1", "signup.completed", "2024-05-01T10:00:00Z", "s1"),
        ev_id("c1", "cart.abandoned", "2024-05-01T10:00:00Z", "cart1"),
        ev_id("c2", "cart.abandoned", "2024-05-01T10:00:00Z", "cart2"),
        ev("c9", "ping", "2024-05-01T13:00:00Z"),
    ];
    let stdin = lines.join("\n") + "\n";
    let r = d.trig_stdin(
        &["run", "rules.trig", "--events", "-"],
        Some(stdin.as_bytes()),
    );
    r.ok();
    let expected: Vec<(String, String, String, String)> = vec![
        row("welcome", "c1", "s1", "2024-05-01T10:00:00.000Z"),
        row("cart_wait", "c1", "cart1", "2024-05-01T12:00:00.000Z"),
        row("cart_wait", "c2", "cart2", "2024-05-01T12:00:00.000Z"),
    ];
    assert_eq!(rows(&r.actions()), expected, "{r:?}");

    // The same lines from a file give the same bytes.
    d.lines(
        "all.ndjson",
        &lines.iter().map(String::as_str).collect::<Vec<_>>(),
    );
    let from_file = d.trig(&["run", "rules.trig", "--events", "all.ndjson"]);
    assert_eq!(from_file.stdout, r.stdout);

    // A file, then stdin.
    d.lines("first.ndjson", &[&lines[1], &lines[2]]);
    let second = format!(
        "{}\n{}\n",
        ev("c1", "order.completed", "2024-05-01T11:00:00Z"),
        lines[3]
    );
    let r = d.trig_stdin(
        &[
            "run",
            "rules.trig",
            "--events",
            "first.ndjson",
            "--events",
            "-",
        ],
        Some(second.as_bytes()),
    );
    r.ok();
    assert_eq!(
        rows(&r.actions()),
        [row("cart_wait", "c2", "cart2", "2024-05-01T12:00:00.000Z")],
        "{r:?}"
    );
}

/// `--until`: a `for 2h` wait started 1 hour before the last event does
/// not fire at the end of the input alone; it fires with `--until` at its
/// deadline (inclusive) or later, and not with `--until` 1 ms before.
#[test]
fn until_fires_a_wait_at_its_deadline_inclusive() {
    let d = Dir::project("until", WELCOME_AND_CART);
    d.lines(
        "events.ndjson",
        &[
            &ev_id("c1", "cart.abandoned", "2024-05-01T10:00:00Z", "cart"),
            &ev("c9", "ping", "2024-05-01T11:00:00Z"),
        ],
    );
    let run = |until: Option<&str>| {
        let mut args = vec!["run", "rules.trig", "--events", "events.ndjson"];
        if let Some(u) = until {
            args.extend(["--until", u]);
        }
        let r = d.trig(&args);
        r.ok();
        r.actions()
    };
    assert!(run(None).is_empty());
    assert!(run(Some("2024-05-01T11:59:59.999Z")).is_empty());
    for until in [
        "2024-05-01T12:00:00Z",
        "2024-05-01 12:00:00",
        "2024-05-01T14:00:00+02:00",
        "2024-05-02T00:00:00Z",
    ] {
        let actions = run(Some(until));
        assert_eq!(
            rows(&actions),
            [row("cart_wait", "c1", "cart", "2024-05-01T12:00:00.000Z")],
            "--until {until}"
        );
        assert_eq!(actions[0]["send_at"], "2024-05-01T12:00:00.000Z");
    }
    // An `--until` before the last event changes nothing.
    assert!(run(Some("2024-05-01T09:00:00Z")).is_empty());
}

/// `--until` releases a quiet-hours deferral too: a send deferred to 09:00
/// goes out with `--until` exactly 09:00 (inclusive), not 1 ms before.
#[test]
fn until_releases_a_quiet_hours_deferral_at_the_window_end() {
    let rules = "\
rule night:
  when order.completed
  then send sms \"Thanks Reply STOP to opt out\"
  quiet 21:00-09:00
";
    let d = Dir::project("until-quiet", rules);
    d.lines(
        "events.ndjson",
        &[&ev_id(
            "c1",
            "order.completed",
            "2024-05-01T22:00:00Z",
            "o1",
        )],
    );
    let run = |until: &str| {
        let r = d.trig(&[
            "run",
            "rules.trig",
            "--events",
            "events.ndjson",
            "--until",
            until,
        ]);
        r.ok();
        r.actions()
    };
    assert!(run("2024-05-02T08:59:59.999Z").is_empty());
    let actions = run("2024-05-02T09:00:00Z");
    assert_eq!(actions.len(), 1);
    assert_eq!(actions[0]["fired_at"], "2024-05-01T22:00:00.000Z");
    assert_eq!(actions[0]["send_at"], "2024-05-02T09:00:00.000Z");
}

// ------------------------------------------------------------------- inputs

/// The rules of the input tests: a CSV `cart` event and its props.
const CSV_RULES: &str = "\
rule cart_text:
  when cart as c
  then send sms \"cart {c.item} {c.qty} Reply STOP to opt out\"
";

/// CSV with a header, read as CSV because of `--input csv` (the file name
/// says nothing): header aliases (`user_id`, `behavior_type`,
/// `timestamp`), other columns as typed props, customer ids kept as
/// written.
#[test]
fn csv_with_a_header_under_input_csv() {
    let d = Dir::project("csv-header", CSV_RULES);
    d.write(
        "export.txt",
        "user_id,item,behavior_type,qty,timestamp\n00042,shoe,cart,2,2024-05-01 12:00:00\n",
    );
    let r = d.trig(&[
        "run",
        "rules.trig",
        "--events",
        "export.txt",
        "--input",
        "csv",
    ]);
    r.ok();
    let actions = r.actions();
    assert_eq!(
        rows(&actions),
        [row(
            "cart_text",
            "00042",
            "null",
            "2024-05-01T12:00:00.000Z"
        )],
        "{r:?}"
    );
    assert_eq!(
        actions[0]["steps"][0]["text"],
        "cart shoe 2 Reply STOP to opt out"
    );
}

/// In auto mode a `.csv` file is CSV: the same header file gives the same
/// action without `--input`.
#[test]
fn csv_with_a_header_in_auto_mode() {
    let d = Dir::project("csv-auto", CSV_RULES);
    let text = "user_id,item,behavior_type,qty,timestamp\n00042,shoe,cart,2,2024-05-01 12:00:00\n";
    d.write("export.csv", text).write("export.txt", text);
    let auto = d.trig(&["run", "rules.trig", "--events", "export.csv"]);
    auto.ok();
    let forced = d.trig(&[
        "run",
        "rules.trig",
        "--events",
        "export.txt",
        "--input",
        "csv",
    ]);
    forced.ok();
    assert_eq!(auto.actions().len(), 1, "{auto:?}");
    assert_eq!(auto.stdout, forced.stdout);
}

/// Headerless CSV with `--map customer=1,event=4,time=5` (the Taobao
/// layout): the first row is data, epoch seconds are times, the other
/// columns are props `col2`, `col3`.
#[test]
fn headerless_csv_with_a_column_map() {
    let rules = "\
rule cart_text:
  when cart as c
  then send sms \"item {c.col2} cat {c.col3} Reply STOP to opt out\"
";
    let d = Dir::project("csv-map", rules);
    d.write(
        "taobao.csv",
        "1,2268318,2520377,cart,1511658000\n2,7,8,pv,1511658001\n3,5,6,cart,1511658002\n",
    );
    let r = d.trig(&[
        "run",
        "rules.trig",
        "--events",
        "taobao.csv",
        "--map",
        "customer=1,event=4,time=5",
    ]);
    r.ok();
    let actions = r.actions();
    assert_eq!(
        rows(&actions),
        [
            row("cart_text", "1", "null", "2017-11-26T01:00:00.000Z"),
            row("cart_text", "3", "null", "2017-11-26T01:00:02.000Z"),
        ],
        "{r:?}"
    );
    assert_eq!(
        actions[0]["steps"][0]["text"],
        "item 2268318 cat 2520377 Reply STOP to opt out"
    );
    assert_eq!(actions[0]["trigger"]["event"], "cart");
}

/// Segment `track` and `identify` lines, mixed with generic lines in one
/// file, in auto mode: `track` gives the event (`event`, `properties`,
/// `userId`, `messageId` as id) and `identify` sets `customer.vip`, so the
/// rule `if customer.vip` fires only for the order after it, also when the
/// identify arrives after a later event but within the lateness (event
/// time order).
#[test]
fn segment_track_and_identify_in_auto_mode() {
    let rules = "\
rule thanks:
  when \"Order Completed\" as o
  then send sms \"Thanks for {o.total} Reply STOP to opt out\"

rule vip_thanks:
  when \"Order Completed\" as o
  if customer.vip
  then send sms \"VIP thanks for {o.total} Reply STOP to opt out\"
";
    let d = Dir::project("segment", rules);
    d.lines(
        "segment.ndjson",
        &[
            r#"{"type":"track","userId":"s1","event":"Order Completed","properties":{"total":20},"timestamp":"2024-05-01T12:00:00Z","messageId":"m1"}"#,
            r#"{"type":"identify","userId":"s1","traits":{"vip":true},"timestamp":"2024-05-01T12:05:00Z","messageId":"m2"}"#,
            r#"{"customer":"s1","event":"Order Completed","time":"2024-05-01T12:10:00Z","id":"g3","props":{"total":30}}"#,
            // Out of order within the minute: this order (12:20:30) comes
            // before the identify (12:20:00) that makes s2 a VIP.
            r#"{"type":"track","userId":"s2","event":"Order Completed","properties":{"total":40},"timestamp":"2024-05-01T12:20:30Z","messageId":"m4"}"#,
            r#"{"type":"identify","userId":"s2","traits":{"vip":true},"timestamp":"2024-05-01T12:20:00Z","messageId":"m5"}"#,
        ],
    );
    let r = d.trig(&[
        "run",
        "rules.trig",
        "--events",
        "segment.ndjson",
        "--dead-letter",
        "dead.ndjson",
    ]);
    r.ok();
    assert_eq!(d.read("dead.ndjson"), "");
    let mut got: Vec<(String, String, String)> = r
        .actions()
        .iter()
        .map(|a| {
            (
                a["rule"].as_str().unwrap().to_string(),
                a["trigger"]["id"].as_str().unwrap().to_string(),
                a["steps"][0]["text"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    got.sort();
    let want =
        |rule: &str, id: &str, text: &str| (rule.to_string(), id.to_string(), text.to_string());
    assert_eq!(
        got,
        [
            want("thanks", "g3", "Thanks for 30 Reply STOP to opt out"),
            want("thanks", "m1", "Thanks for 20 Reply STOP to opt out"),
            want("thanks", "m4", "Thanks for 40 Reply STOP to opt out"),
            want(
                "vip_thanks",
                "g3",
                "VIP thanks for 30 Reply STOP to opt out"
            ),
            want(
                "vip_thanks",
                "m4",
                "VIP thanks for 40 Reply STOP to opt out"
            ),
        ],
        "{r:?}"
    );
    let m1 = r
        .actions()
        .into_iter()
        .find(|a| a["trigger"]["id"] == "m1")
        .unwrap();
    assert_eq!(m1["customer"], "s1");
    assert_eq!(m1["trigger"]["event"], "Order Completed");
    assert_eq!(m1["trigger"]["at"], "2024-05-01T12:00:00.000Z");
}

/// CSV rows that cannot be read go to the dead letter like JSON lines,
/// with their physical line number and raw text: a row with too many
/// columns and one with a bad time; a quoted field over two lines counts
/// as two lines for the rows after it.
#[test]
fn csv_rejected_rows_go_to_the_dead_letter_with_their_line() {
    let d = Dir::project("csv-dead", WELCOME);
    d.write(
        "events.csv",
        "customer,event,time,note\n\
         c1,signup.completed,2024-05-01T12:00:00Z,\"two\nlines\"\n\
         c1,signup.completed,2024-05-01T12:00:01Z,extra,column\n\
         c1,signup.completed,yesterday,x\n\
         c2,signup.completed,2024-05-01T12:00:02Z,ok\n",
    );
    let r = d.trig(&[
        "run",
        "rules.trig",
        "--events",
        "events.csv",
        "--dead-letter",
        "dead.ndjson",
    ]);
    r.ok();
    let customers: Vec<String> = r
        .actions()
        .iter()
        .map(|a| a["customer"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(customers, ["c1", "c2"], "{r:?}");
    let dead = ndjson(&d.read("dead.ndjson"));
    let got: Vec<(u64, &str)> = dead
        .iter()
        .map(|x| (x["line"].as_u64().unwrap(), x["raw"].as_str().unwrap()))
        .collect();
    assert_eq!(
        got,
        [
            (4, "c1,signup.completed,2024-05-01T12:00:01Z,extra,column"),
            (5, "c1,signup.completed,yesterday,x"),
        ],
        "{dead:#?}"
    );
    for x in &dead {
        assert_eq!(x["file"], "events.csv");
    }
    let reason = dead[0]["reason"].as_str().unwrap();
    assert!(
        reason.contains('5') && reason.contains('4'),
        "both counts: {reason}"
    );
    assert!(
        dead[1]["reason"].as_str().unwrap().contains("yesterday"),
        "{dead:#?}"
    );
}

/// A CSV file that ends inside a quoted field: the row is rejected, and
/// its dead letter, like every other, carries the raw line (docs/runtime.md:
/// "every rejected line (file, line number, reason, the raw line)"), so the
/// data can be repaired and replayed.
#[test]
fn csv_unclosed_quote_at_the_end_keeps_the_raw_line() {
    let d = Dir::project("csv-eof", WELCOME);
    d.write(
        "events.csv",
        "customer,event,time\nc1,signup.completed,2024-05-01T12:00:00Z\nc2,signup.completed,\"2024-05-01\n",
    );
    let r = d.trig(&[
        "run",
        "rules.trig",
        "--events",
        "events.csv",
        "--dead-letter",
        "dead.ndjson",
    ]);
    r.ok();
    assert_eq!(r.actions().len(), 1, "{r:?}");
    let dead = ndjson(&d.read("dead.ndjson"));
    assert_eq!(dead.len(), 1, "{dead:#?}");
    assert_eq!(dead[0]["file"], "events.csv");
    assert_eq!(dead[0]["line"], 3);
    assert!(!dead[0]["reason"].as_str().unwrap().is_empty());
    assert_eq!(
        dead[0]["raw"], "c2,signup.completed,\"2024-05-01",
        "{dead:#?}"
    );
}

// -------------------------------------------------------------------- trace

/// `--trace alice` prints, on stderr, alice's waits (started, restarted),
/// the cancellation, a filter that did not match, a guard suppression, a
/// quiet-hours deferral, the fires, and a rule that did nothing for her;
/// nothing about bob, whose events happen at other times.
#[test]
fn trace_explains_one_customer_and_no_other() {
    let rules = "\
rule wait2h:
  when cart.abandoned for 2h and not order.completed
  then send sms \"Cart Reply STOP to opt out\"

rule welcome:
  when signup.completed
  then send sms \"Welcome Reply STOP to opt out\"

rule opted:
  when signup.completed
  if customer.sms_opt_in
  then send sms \"Opted Reply STOP to opt out\"

rule big_order:
  when order.completed as o where o.total > 100
  then send sms \"Big Reply STOP to opt out\"

rule night:
  when page.viewed
  then send sms \"Night Reply STOP to opt out\"
  quiet 10:00-12:00

rule never:
  when never.happens
  then send sms \"Never Reply STOP to opt out\"
";
    let d = Dir::project("trace", rules);
    d.lines(
        "events.ndjson",
        &[
            &ev("alice", "cart.abandoned", "2024-05-01T10:00:00Z"),
            &ev("bob", "cart.abandoned", "2024-05-01T10:07:00Z"),
            r#"{"customer":"alice","event":"order.completed","time":"2024-05-01T10:30:00Z","props":{"total":5}}"#,
            r#"{"customer":"bob","event":"order.completed","time":"2024-05-01T10:37:00Z","props":{"total":500}}"#,
            &ev("alice", "cart.abandoned", "2024-05-01T11:00:00Z"),
            &ev("alice", "cart.abandoned", "2024-05-01T11:10:00Z"),
            &ev("bob", "signup.completed", "2024-05-01T11:17:00Z"),
            &ev("alice", "signup.completed", "2024-05-01T11:20:00Z"),
            &ev("bob", "page.viewed", "2024-05-01T11:27:00Z"),
            &ev("alice", "page.viewed", "2024-05-01T11:30:00Z"),
            &ev("zed", "ping", "2024-05-01T14:00:00Z"),
        ],
    );
    let r = d.trig(&[
        "run",
        "rules.trig",
        "--events",
        "events.ndjson",
        "--trace",
        "alice",
    ]);
    r.ok();
    let trace = before_summary(&r.stderr);
    let has = |parts: &[&str]| trace.iter().any(|l| parts.iter().all(|p| l.contains(p)));
    assert!(
        has(&["wait2h", "start", "2024-05-01T12:00:00.000Z"]),
        "wait started: {trace:#?}"
    );
    assert!(
        has(&["wait2h", "cancel", "order.completed"]),
        "cancelled: {trace:#?}"
    );
    assert!(
        has(&["big_order", "filter"]),
        "filter did not match: {trace:#?}"
    );
    assert!(
        has(&["wait2h", "restart", "2024-05-01T13:10:00.000Z"]),
        "restarted: {trace:#?}"
    );
    assert!(has(&["welcome", "fired"]), "fired: {trace:#?}");
    assert!(has(&["opted", "guard"]), "guard suppression: {trace:#?}");
    assert!(
        has(&["night", "deferred", "2024-05-01T12:00:00.000Z"]),
        "deferral: {trace:#?}"
    );
    assert!(has(&["wait2h", "fired"]), "the wait fired: {trace:#?}");
    assert!(
        has(&["never", "nothing"]),
        "a rule that saw nothing: {trace:#?}"
    );

    // Bob's events are all at :07, :17, :27 or :37 minutes past; zed's at
    // 14:00. None of it shows.
    for l in &trace {
        for other in [
            "bob", "zed", ":07:00", ":17:00", ":27:00", ":37:00", "12:07", "14:00:00",
        ] {
            assert!(!l.contains(other), "{other:?} in trace line {l:?}");
        }
    }
    let fired = |rule: &str| {
        trace
            .iter()
            .filter(|l| l.contains(rule) && l.contains("fired"))
            .count()
    };
    assert_eq!(fired("welcome"), 1, "{trace:#?}");
    assert_eq!(fired("night"), 1, "{trace:#?}");
    assert_eq!(fired("wait2h"), 1, "{trace:#?}");
    // The actions are not changed by tracing.
    let plain = d.trig(&["run", "rules.trig", "--events", "events.ndjson"]);
    assert_eq!(plain.stdout, r.stdout);
    assert_eq!(
        before_summary(&plain.stderr),
        Vec::<&str>::new(),
        "{plain:?}"
    );
}

// ------------------------------------------------------------ rule errors

/// Rules with an error: exit code 1, the diagnostic (code and location)
/// on stderr, and nothing runs: no action on stdout, no `--out`,
/// `--suppressed` or `--dead-letter` content.
#[test]
fn rules_with_errors_run_nothing_and_exit_1() {
    for (name, rules, code, at) in [
        ("syntax", "rule broken:\n  when a for then send sms \"x\"\n", "T0001", "rules.trig:2:14"),
        (
            "template",
            "rule fine:\n  when a\n  then send sms \"ok STOP\"\n\nrule t:\n  when a\n  then send whatsapp template \"no_such_template\"\n",
            "T0301",
            "rules.trig:7:",
        ),
    ] {
        let d = Dir::project(name, rules);
        d.lines("events.ndjson", &[&ev("c1", "a", "2024-05-01T12:00:00Z"), "bad"]);
        let r = d.trig(&["run", "rules.trig", "--events", "events.ndjson"]);
        assert_eq!(r.code, 1, "{r:?}");
        r.no_panic();
        assert_eq!(r.stdout, "", "{r:?}");
        assert!(r.stderr.contains(code), "{r:?}");
        assert!(r.stderr.contains(at), "{r:?}");
        assert!(!r.stderr.contains("events:"), "no run summary: {r:?}");

        let r = d.trig(&[
            "run",
            "rules.trig",
            "--events",
            "events.ndjson",
            "--out",
            "out.ndjson",
            "--suppressed",
            "sup.ndjson",
            "--dead-letter",
            "dead.ndjson",
        ]);
        assert_eq!(r.code, 1, "{r:?}");
        assert_eq!(r.stdout, "", "{r:?}");
        for f in ["out.ndjson", "sup.ndjson", "dead.ndjson"] {
            assert!(!d.exists(f) || d.read(f).is_empty(), "{f}: {}", d.read(f));
        }
    }
}

// ------------------------------------------------------------------ .trigc

/// Events that exercise waits, cancellations, filters, guards and quiet
/// hours, for the `.trigc` comparison.
const TRIGC_RULES: &str = "\
rule wait2h:
  when cart.abandoned as c for 2h and not order.completed
  then send sms \"Cart {c.url} Reply STOP to opt out\"

rule big_order:
  when order.completed as o where o.total > 100
  unless customer.unsubscribed
  then send sms \"Big {o.total} Reply STOP to opt out\"
  quiet 21:00-09:00
  limit 1 per 1d
";

/// `trig compile rules.trig --config trig.toml -o x.trigc` then `trig run
/// x.trigc` gives the same actions and suppressions, byte for byte, as
/// running the `.trig` file.
#[test]
fn trigc_runs_like_its_sources() {
    let d = Dir::project("trigc", TRIGC_RULES);
    d.lines(
        "events.ndjson",
        &[
            r#"{"customer":"c1","event":"cart.abandoned","time":"2024-05-01T10:00:00Z","id":"k1","props":{"url":"u1"}}"#,
            r#"{"customer":"c2","event":"cart.abandoned","time":"2024-05-01T10:00:00Z","id":"k2","props":{"url":"u2"}}"#,
            r#"{"customer":"c2","event":"order.completed","time":"2024-05-01T11:00:00Z","id":"o1","props":{"total":150}}"#,
            r#"{"customer":"c2","event":"order.completed","time":"2024-05-01T22:00:00Z","id":"o2","props":{"total":250}}"#,
            r#"{"customer":"c3","event":"order.completed","time":"2024-05-01T23:00:00Z","id":"o3","props":{"total":50}}"#,
            &ev("c9", "ping", "2024-05-02T12:00:00Z"),
        ],
    );
    let c = d.trig(&[
        "compile",
        "rules.trig",
        "--config",
        "trig.toml",
        "-o",
        "x.trigc",
    ]);
    assert_eq!(c.code, 0, "{c:?}");
    assert!(d.exists("x.trigc"));

    let src = d.trig(&[
        "run",
        "rules.trig",
        "--events",
        "events.ndjson",
        "--suppressed",
        "s1.ndjson",
    ]);
    src.ok();
    let bin = d.trig(&[
        "run",
        "x.trigc",
        "--events",
        "events.ndjson",
        "--suppressed",
        "s2.ndjson",
    ]);
    bin.ok();
    // c1's wait fires, c2's is cancelled by the big order o1, which is
    // sent; o2 (22:00) is deferred to 09:00 and then refused by `limit`
    // (o1 went out 22 hours before); o3 does not pass the filter.
    assert_eq!(
        rows(&src.actions()),
        [
            row("big_order", "c2", "o1", "2024-05-01T11:00:00.000Z"),
            row("wait2h", "c1", "k1", "2024-05-01T12:00:00.000Z"),
        ],
        "{src:?}"
    );
    assert_eq!(bin.stdout, src.stdout);
    let notes = d.read("s1.ndjson");
    let outcomes: Vec<(String, String)> = ndjson(&notes)
        .iter()
        .map(|n| {
            (
                n["outcome"].as_str().unwrap().into(),
                n["reason"].as_str().unwrap().into(),
            )
        })
        .collect();
    assert_eq!(
        outcomes,
        [
            ("deferred".into(), "quiet_hours".into()),
            ("suppressed".into(), "limit".into())
        ],
        "{notes}"
    );
    assert_eq!(d.read("s2.ndjson"), notes);

    // The .trigc stands alone: it runs without the sources or trig.toml.
    std::fs::remove_file(d.0.join("rules.trig")).unwrap();
    std::fs::remove_file(d.0.join("trig.toml")).unwrap();
    let alone = d.trig(&["run", "x.trigc", "--events", "events.ndjson"]);
    alone.ok();
    assert_eq!(alone.stdout, src.stdout);
}

/// A `.trigc` with one byte flipped in the middle is refused with a clear
/// message naming the file, exit code 2, no output and no panic.
#[test]
fn corrupted_trigc_is_refused_with_exit_2() {
    let d = Dir::project("trigc-bad", TRIGC_RULES);
    d.lines(
        "events.ndjson",
        &[&ev_id("c1", "cart.abandoned", "2024-05-01T10:00:00Z", "k1")],
    );
    let c = d.trig(&[
        "compile",
        "rules.trig",
        "--config",
        "trig.toml",
        "-o",
        "x.trigc",
    ]);
    assert_eq!(c.code, 0, "{c:?}");
    let mut bytes = std::fs::read(d.0.join("x.trigc")).unwrap();
    let mid = bytes.len() / 2;
    bytes[mid] ^= 0xff;
    d.write("bad.trigc", &bytes);
    let r = d.trig(&[
        "run",
        "bad.trigc",
        "--events",
        "events.ndjson",
        "--until",
        "2024-05-02T00:00:00Z",
    ]);
    assert_eq!(r.code, 2, "{r:?}");
    r.no_panic();
    assert_eq!(r.stdout, "", "{r:?}");
    assert!(r.stderr.contains("bad.trigc"), "{r:?}");
    assert!(r.stderr.contains("corrupted"), "{r:?}");

    // Truncated and empty files too.
    d.write("short.trigc", &bytes[..mid])
        .write("empty.trigc", b"");
    for f in ["short.trigc", "empty.trigc"] {
        let r = d.trig(&["run", f, "--events", "events.ndjson"]);
        assert_eq!(r.code, 2, "{r:?}");
        r.no_panic();
        assert_eq!(r.stdout, "", "{r:?}");
        assert!(r.stderr.contains(f), "{r:?}");
    }
}

// --------------------------------------------------------------- exit codes

/// A missing events file is an I/O error: exit code 2 and a message
/// naming it.
#[test]
fn missing_events_file_exits_2() {
    let d = Dir::project("missing", WELCOME);
    let r = d.trig(&["run", "rules.trig", "--events", "nope.ndjson"]);
    assert_eq!(r.code, 2, "{r:?}");
    r.no_panic();
    assert_eq!(r.stdout, "", "{r:?}");
    assert!(r.stderr.contains("nope.ndjson"), "{r:?}");
}

/// An unknown `--input` format is a usage error: exit code 2, a message
/// naming it, no output.
#[test]
fn unknown_input_format_exits_2() {
    let d = Dir::project("unknown-input", WELCOME);
    d.lines(
        "events.ndjson",
        &[&ev("c1", "signup.completed", "2024-05-01T12:00:00Z")],
    );
    let r = d.trig(&[
        "run",
        "rules.trig",
        "--events",
        "events.ndjson",
        "--input",
        "xml",
    ]);
    assert_eq!(r.code, 2, "{r:?}");
    r.no_panic();
    assert_eq!(r.stdout, "", "{r:?}");
    assert!(r.stderr.contains("xml"), "{r:?}");
}

// ------------------------------------------------------ guarding the user

/// An output path that is also an input (an events file, a rule file) is
/// refused before anything is written: it would be emptied before being
/// read.
#[test]
fn an_output_that_is_an_input_is_refused() {
    let d = Dir::project("out-is-input", WELCOME);
    d.lines(
        "events.ndjson",
        &[r#"{"customer":"c1","event":"signup.completed","time":"2024-05-01T12:00:00Z"}"#],
    );
    let before = d.read("events.ndjson");
    for flag in ["--out", "--suppressed", "--dead-letter"] {
        let r = d.trig(&[
            "run",
            "rules.trig",
            "--events",
            "events.ndjson",
            flag,
            "events.ndjson",
        ]);
        r.no_panic();
        assert_eq!(r.code, 2, "{r:?}");
        assert!(r.stderr.contains("is also an input"), "{r:?}");
        assert_eq!(d.read("events.ndjson"), before, "the input survived {flag}");
    }
    let r = d.trig(&[
        "run",
        "rules.trig",
        "--events",
        "events.ndjson",
        "--out",
        "rules.trig",
    ]);
    assert_eq!(r.code, 2, "{r:?}");
    assert!(d.read("rules.trig").contains("rule welcome"));
}

/// A line in plain NDJSON whose event is `identify` updates the profile:
/// the guard sees the attribute only after it.
#[test]
fn generic_identify_lines_set_customer_attributes() {
    let d = Dir::project(
        "generic-identify",
        "rule vip_welcome:\n  when signup.completed if customer.vip\n  then send sms \"Welcome! Reply STOP to opt out\"\n",
    );
    d.lines(
        "events.ndjson",
        &[
            r#"{"customer":"c1","event":"signup.completed","time":"2024-05-01T12:00:00Z","id":"before"}"#,
            r#"{"customer":"c1","event":"identify","time":"2024-05-01T12:01:00Z","props":{"vip":true}}"#,
            r#"{"customer":"c1","event":"signup.completed","time":"2024-05-01T12:02:00Z","id":"after"}"#,
        ],
    );
    let r = d.trig(&["run", "rules.trig", "--events", "events.ndjson"]);
    r.ok();
    let ids: Vec<String> = r
        .actions()
        .iter()
        .map(|a| a["trigger"]["id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(ids, ["after"]);
}

/// `--max-errors 0` tolerates no rejected line: the run stops at the
/// first one, and time is not moved on to `--until` (the unread events
/// might have cancelled the wait).
#[test]
fn max_errors_zero_stops_at_the_first_rejection_and_ignores_until() {
    let d = Dir::project(
        "max-errors-0",
        "rule winback:\n  when inactive for 1d\n  then send sms \"We miss you. Reply STOP to opt out\"\n",
    );
    d.lines(
        "events.ndjson",
        &[
            r#"{"customer":"c1","event":"x","time":"2024-01-01T00:00:00Z"}"#,
            "BAD",
            r#"{"customer":"c1","event":"x","time":"2024-01-01T12:00:00Z"}"#,
        ],
    );
    let r = d.trig(&[
        "run",
        "rules.trig",
        "--events",
        "events.ndjson",
        "--max-errors",
        "0",
        "--until",
        "2024-01-02T06:00:00Z",
    ]);
    r.no_panic();
    assert_eq!(r.code, 1, "{r:?}");
    assert!(r.stderr.contains("events.ndjson:2"), "{r:?}");
    assert!(r.actions().is_empty(), "{r:?}");
}

/// When the reader of stdout goes away (`| head -1`), the run stops and
/// does not claim success.
#[test]
fn a_closed_stdout_stops_the_run_with_exit_1() {
    use std::io::{BufRead, BufReader};
    let d = Dir::project("closed-stdout", WELCOME);
    let mut events = String::new();
    for i in 0..200_000 {
        events.push_str(&format!(
            "{{\"customer\":\"c{i}\",\"event\":\"signup.completed\",\"time\":\"2024-05-01T12:00:00Z\"}}\n"
        ));
    }
    d.write("events.ndjson", events);
    let mut child = Command::new(env!("CARGO_BIN_EXE_trig"))
        .args(["run", "rules.trig", "--events", "events.ndjson"])
        .current_dir(&d.0)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("trig starts");
    let stdout = child.stdout.take().expect("stdout");
    let mut first = String::new();
    BufReader::new(stdout)
        .read_line(&mut first)
        .expect("one line");
    // The reader is dropped here: the pipe closes.
    let out = child.wait_with_output().expect("trig ends");
    assert!(first.contains("\"rule\":\"welcome\""), "{first}");
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("closed early"), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}

/// `trig compile -o` writes a file; a directory (or a device) at that path
/// is refused rather than replaced.
#[test]
fn compile_refuses_an_output_that_is_not_a_file() {
    let d = Dir::project("compile-dir", WELCOME);
    d.write("out.trigc/keep", "x");
    let r = d.trig(&[
        "compile",
        "rules.trig",
        "--config",
        "trig.toml",
        "-o",
        "out.trigc",
    ]);
    r.no_panic();
    assert_eq!(r.code, 2, "{r:?}");
    assert!(r.stderr.contains("not a regular file"), "{r:?}");
    assert_eq!(d.read("out.trigc/keep"), "x");
}

/// `--out /dev/null` (a device, as benchmarks and CI use) works: it is
/// neither cut back nor synced like a regular file.
#[test]
fn out_to_dev_null_works() {
    let d = Dir::project("dev-null", WELCOME);
    d.lines(
        "events.ndjson",
        &[r#"{"customer":"c1","event":"signup.completed","time":"2024-05-01T12:00:00Z"}"#],
    );
    let r = d.trig(&[
        "run",
        "rules.trig",
        "--events",
        "events.ndjson",
        "--out",
        "/dev/null",
    ]);
    r.ok();
    assert!(r.stderr.contains("actions: 1"), "{r:?}");
}
