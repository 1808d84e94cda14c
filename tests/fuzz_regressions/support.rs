//! The bodies of the fuzz targets, shared by the cargo-fuzz crate
//! (`fuzz/fuzz_targets/*.rs` include this file with `#[path]`) and by the
//! regression replays (`tests/fuzz_regressions.rs`), so that a finding is
//! replayed through exactly the code path that found it.
//!
//! Every function here must return normally for every input: a panic, an
//! abort, a stack overflow or a hang is a bug in trig (or an oracle below
//! failing, which is also a bug in trig). See fuzz/README.md.
//!
//! Dependencies: `trig`, `postcard` and `sha2` only (all three are
//! dependencies of the main crate, so the integration test has them too).

use std::sync::{Arc, OnceLock};

use sha2::{Digest, Sha256};
use trig::check::Workspace;
use trig::compile::disasm::disasm;
use trig::compile::file::{decode, encode, source_hash, FORMAT_VERSION, MAGIC};
use trig::compile::verify::verify;
use trig::compile::Program;
use trig::diag::render::{render, Format};
use trig::diag::Severity;
use trig::input::{parse_map, Decoder, FieldMap, InputFormat};
use trig::runtime::{Collect, Engine, Event, EventKind, Value};

/// A target body: takes the fuzzer's bytes, returns only if all went well.
pub type Target = fn(&[u8]);

/// The targets, by name: the folder names under `tests/fuzz_regressions/`
/// and `fuzz/seeds/`, and the `[[bin]]` names in `fuzz/Cargo.toml`.
pub const TARGETS: &[(&str, Target)] = &[
    ("parse_check", parse_check),
    ("trigc_load", trigc_load),
    ("trigc_mutate", trigc_mutate),
    ("decode_events", decode_events),
    ("run_events", run_events),
    ("project_files", project_files),
];

// ---------------------------------------------------------------------------
// Fixed projects
// ---------------------------------------------------------------------------

/// The project every UI test case is checked against (tests/ui/trig.toml),
/// with its catalogs.
const UI_CONFIG: &str = include_str!("../ui/trig.toml");
const UI_WHATSAPP: &str = include_str!("../ui/catalogs/whatsapp.json");
const UI_TEMPLATES: &str = include_str!("../ui/catalogs/templates.toml");

/// The example project (examples/trig.toml) and its rules.
const EX_CONFIG: &str = include_str!("../../examples/trig.toml");
const EX_WHATSAPP: [(&str, &str); 2] = [
    (
        "catalogs/whatsapp_templates.json",
        include_str!("../../examples/catalogs/whatsapp_templates.json"),
    ),
    (
        "catalogs/whatsapp_shop.json",
        include_str!("../../examples/catalogs/whatsapp_shop.json"),
    ),
];
const EX_TEMPLATES: &str = include_str!("../../examples/catalogs/templates.toml");
const EX_SCHEMA: &str = include_str!("../../examples/schema.toml");
const EX_RULES: [(&str, &str); 5] = [
    (
        "cart_abandonment.trig",
        include_str!("../../examples/cart_abandonment.trig"),
    ),
    ("cascade.trig", include_str!("../../examples/cascade.trig")),
    (
        "first_purchase.trig",
        include_str!("../../examples/first_purchase.trig"),
    ),
    (
        "repeated_visits.trig",
        include_str!("../../examples/repeated_visits.trig"),
    ),
    ("winback.trig", include_str!("../../examples/winback.trig")),
];

/// The CDNOW demo project (examples/cdnow/).
const CDNOW_CONFIG: &str = include_str!("../../examples/cdnow/trig.toml");
const CDNOW_TEMPLATES: &str = include_str!("../../examples/cdnow/templates.toml");
const CDNOW_RULES: &str = include_str!("../../examples/cdnow/purchases.trig");

/// A project without catalogs: SMS text steps only (as tests/trigc.rs).
const SMALL_CONFIG: &str = r#"[project]
timezone = "UTC"

[channels.sms]
consent = "sms_opt_in"
contact = "phone"
"#;

const SMALL_RULES: [(&str, &str); 4] = [
    (
        "cart.trig",
        r#"rule cart_reminder:
  when cart.abandoned as cart where cart.value >= 20
    for 2h
    and not order.completed where event.cart_id == cart.cart_id
  unless customer.unsubscribed
  then send sms "Your cart is waiting: {cart.url} Reply STOP to opt out"
  key cart.cart_id
  limit 1 per 24h
"#,
    ),
    (
        "count.trig",
        r#"rule product_interest:
  when page.viewed as v where v.path starts with "/products/" 3 times within 1d
  then send sms "Still thinking about {v.product_name ?? "it"}? Reply STOP to opt out"
  key v.product_id
  limit 1 per 7d
"#,
    ),
    (
        "seq.trig",
        r#"rule browse_then_cart:
  when product.viewed as v followed by cart.added as c where c.product_id == v.product_id within 1h
    and not order.completed
  then send sms "{v.product_name} is in your cart. Reply STOP to opt out"
  quiet 21:00-09:00
"#,
    ),
    (
        "inactive.trig",
        r#"rule idle:
  when inactive for 3d
  unless customer.unsubscribed
  then send sms "We miss you, {customer.first_name ?? "friend"}. Reply STOP to opt out"
  once
"#,
    ),
];

fn ui_workspace() -> Workspace {
    let mut ws = Workspace::new();
    ws.load_config("tests/ui/trig.toml", UI_CONFIG);
    ws.add_whatsapp_catalog("tests/ui/catalogs/whatsapp.json", UI_WHATSAPP);
    ws.load_templates("tests/ui/catalogs/templates.toml", UI_TEMPLATES);
    ws
}

/// Checks and compiles; `None` when the rules have errors.
fn compile_checked(ws: Workspace) -> Option<Program> {
    let checked = ws.check();
    if checked.has_errors() {
        return None;
    }
    Some(trig::compile::compile(
        &checked.program,
        &checked.config,
        &checked.sources,
    ))
}

/// Valid compiled programs, built once per process: the examples, the
/// CDNOW demo and each small program. The fixed inputs of `trigc_mutate`
/// and `run_events`; `fuzz/seeds/trigc_load/` holds their encodings.
pub fn base_programs() -> &'static [Program] {
    static PROGRAMS: OnceLock<Vec<Program>> = OnceLock::new();
    PROGRAMS.get_or_init(|| {
        let mut out = Vec::new();

        let mut ws = Workspace::new();
        ws.load_config("examples/trig.toml", EX_CONFIG);
        for (name, text) in EX_WHATSAPP {
            ws.add_whatsapp_catalog(&format!("examples/{name}"), text);
        }
        ws.load_templates("examples/catalogs/templates.toml", EX_TEMPLATES);
        ws.load_schema("examples/schema.toml", EX_SCHEMA);
        for (name, text) in EX_RULES {
            ws.add_rules(&format!("examples/{name}"), text);
        }
        out.push(compile_checked(ws).expect("the examples check without errors"));

        let mut ws = Workspace::new();
        ws.load_config("examples/cdnow/trig.toml", CDNOW_CONFIG);
        ws.load_templates("examples/cdnow/templates.toml", CDNOW_TEMPLATES);
        ws.add_rules("examples/cdnow/purchases.trig", CDNOW_RULES);
        out.push(compile_checked(ws).expect("the CDNOW rules check without errors"));

        for (name, text) in SMALL_RULES {
            let mut ws = Workspace::new();
            ws.load_config("trig.toml", SMALL_CONFIG);
            ws.add_rules(name, text);
            out.push(compile_checked(ws).unwrap_or_else(|| panic!("{name} checks without errors")));
        }
        out
    })
}

// ---------------------------------------------------------------------------
// Running a program
// ---------------------------------------------------------------------------

/// 2024-03-30T20:00:00Z: the evening before Europe's spring DST change, so
/// quiet hours and day arithmetic cross it.
const T0: i64 = 1_711_828_800_000;
const MINUTE: i64 = 60_000;
const DAY: i64 = 86_400_000;

/// Values a JSON decoder can produce (never NaN or infinities, which JSON
/// cannot spell), in an order that gives each prop several types over a
/// run.
fn sample_value(i: usize) -> Value {
    match i % 12 {
        0 => Value::Num(25.0),
        1 => Value::str("/products/42"),
        2 => Value::Num(0.0),
        3 => Value::Null,
        4 => Value::Bool(true),
        5 => Value::str(""),
        6 => Value::Num(-1.5e300),
        7 => Value::List(Arc::from(vec![Value::Num(1.0), Value::str("a")])),
        8 => Value::Object(Arc::from(vec![(Arc::from("k"), Value::Num(1.0))])),
        9 => Value::str("2024-03-31T01:30:00Z"),
        10 => Value::Num(1e308),
        _ => Value::str("ünïcødé 🚀 \u{0} \"q\" {x}"),
    }
}

/// Sets `path` in a nested object (creating objects on the way).
fn set_path(fields: &mut Vec<(Arc<str>, Value)>, path: &[String], v: Value) {
    let Some((first, rest)) = path.split_first() else {
        return;
    };
    let pos = fields.iter().position(|(k, _)| &**k == first.as_str());
    if rest.is_empty() {
        match pos {
            Some(i) => fields[i].1 = v,
            None => fields.push((Arc::from(first.as_str()), v)),
        }
        return;
    }
    let mut inner: Vec<(Arc<str>, Value)> = match pos.map(|i| &fields[i].1) {
        Some(Value::Object(o)) => o.to_vec(),
        _ => Vec::new(),
    };
    set_path(&mut inner, rest, v);
    let obj = Value::Object(Arc::from(inner));
    match pos {
        Some(i) => fields[i].1 = obj,
        None => fields.push((Arc::from(first.as_str()), obj)),
    }
}

/// Props holding every path the program reads, the `variant`-th sample
/// value shifted per path.
fn props_for(p: &Program, variant: usize) -> Arc<[(Arc<str>, Value)]> {
    let mut fields = Vec::new();
    for (i, path) in p.paths.iter().take(64).enumerate() {
        set_path(&mut fields, path, sample_value(variant + i));
    }
    Arc::from(fields)
}

/// A profile update that makes `customer` reachable on every channel.
fn profile_for(p: &Program, customer: &str, at: i64) -> Event {
    let mut fields = Vec::new();
    for (i, path) in p.paths.iter().take(64).enumerate() {
        set_path(&mut fields, path, sample_value(i));
    }
    for e in &p.settings.eligibility {
        if let Some(c) = &e.consent {
            set_path(&mut fields, c, Value::Bool(true));
        }
        if let Some(c) = &e.contact {
            set_path(&mut fields, c, Value::str("+34600000000"));
        }
    }
    for (k, v) in [
        ("locale", "es_ES"),
        ("timezone", "America/New_York"),
        ("first_name", "Ana"),
    ] {
        set_path(&mut fields, &[k.to_string()], Value::str(v));
    }
    let mut ev = Event::track(customer, "identify", at);
    ev.kind = EventKind::Identify;
    ev.props = Arc::from(fields);
    ev
}

/// A fixed stream over the program's own event names: two customers (one
/// with a profile, one without), the same instant twice, an event out of
/// order, one that is late; the end is 100 days after the last event, so
/// waits, windows, inactivity and goals run out.
fn events_for(p: &Program) -> Vec<Event> {
    let mut names: Vec<&str> = p
        .dispatch
        .iter()
        .take(16)
        .map(|(n, _)| n.as_str())
        .collect();
    names.push("some.other.event");
    let mut out = vec![profile_for(p, "c1", T0)];
    for i in 0..40usize {
        let customer = ["c1", "c2", "c1", "c3"][i % 4];
        let name = names[(i * 7 + i / names.len()) % names.len()];
        let t = match i {
            5 => T0 + 4 * 47 * MINUTE,          // same instant as i = 4
            9 => T0 + 8 * 47 * MINUTE - 30_000, // 30 s out of order
            13 => T0 - DAY,                     // late
            _ => T0 + i as i64 * 47 * MINUTE + (i as i64 % 3) * DAY,
        };
        let mut ev = Event::track(customer, name, t);
        if i % 5 != 4 {
            ev = ev.with_id(&format!("e{i}"));
        }
        ev.props = props_for(p, i);
        out.push(ev);
    }
    out
}

/// Runs a program over a stream; the program must have passed the verifier.
fn run_stream(p: &Program, events: impl IntoIterator<Item = Event>) -> Collect {
    let mut engine = Engine::new(Arc::new(p.clone()));
    let mut out = Collect::default();
    let mut last = i64::MIN;
    for ev in events {
        last = last.max(ev.time);
        let _ = engine.push(ev, &mut out);
    }
    let until = if last == i64::MIN {
        None
    } else {
        Some(last.saturating_add(100 * DAY))
    };
    engine.finish(until, &mut out);
    let _ = engine.stats();
    let _ = engine.idle_rules();
    for a in &out.actions {
        let _ = a.to_json();
    }
    for n in &out.notices {
        let _ = n.to_json();
    }
    out
}

/// Whether `p` shows a known bug that is not fixed yet and the
/// environment variable `TRIG_FUZZ_SKIP_KNOWN` is set: a long fuzzing run
/// can then look past it (fuzz/README.md). Never set for `cargo test`, so
/// the pending replays still fail until the bug is fixed. Remove each
/// case when its bug is fixed.
fn skip_known(p: &Program) -> bool {
    static SKIP: OnceLock<bool> = OnceLock::new();
    if !*SKIP.get_or_init(|| std::env::var_os("TRIG_FUZZ_SKIP_KNOWN").is_some()) {
        return false;
    }
    // No known bug is unfixed now. The first one (backward jumps, which
    // looped forever in the VM: tests/fuzz_regressions/trigc_*/) was
    // skipped with `p.code.iter().enumerate().any(|(pc, op)|
    // op.target().is_some_and(|t| t as usize <= pc))`.
    let _ = p;
    false
}

/// Everything a loaded program is used for: the listing, a run over the
/// fixed stream, and the `.trigc` round trip.
fn exercise_program(p: &Program) {
    if skip_known(p) {
        return;
    }
    let _ = disasm(p);
    run_stream(p, events_for(p));
    let bytes = encode(p);
    match decode(&bytes) {
        // Compared as bytes: a constant may be NaN, which is not equal to
        // itself.
        Ok(back) => assert!(
            encode(&back) == bytes,
            "a verified program does not survive encode + decode unchanged"
        ),
        Err(e) => panic!("a verified program, encoded again, does not load: {e}"),
    }
}

// ---------------------------------------------------------------------------
// parse_check
// ---------------------------------------------------------------------------

/// Bytes as a rule file: checked alone and with the UI project, the
/// diagnostics rendered (human, JSON, GitHub); rules that check are compiled
/// (the output must pass the verifier) and run; and the file is formatted
/// (formatting again must change nothing).
pub fn parse_check(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        let mut ws = Workspace::new();
        ws.add_invalid_utf8("fuzz.trig", data);
        let checked = ws.check();
        let _ = render(Format::Human, &checked.diagnostics, &checked.sources, false);
        return;
    };

    let mut ws = Workspace::new();
    ws.add_rules("fuzz.trig", text);
    let checked = ws.check();
    // SARIF shares the position code of JSON and takes most of the time
    // (it lists every rule), so it is left out.
    for format in [Format::Human, Format::Json, Format::Github] {
        let _ = render(format, &checked.diagnostics, &checked.sources, false);
    }

    let mut ws = ui_workspace();
    ws.add_rules("fuzz.trig", text);
    let checked = ws.check();
    let _ = render(Format::Human, &checked.diagnostics, &checked.sources, true);
    if !checked
        .diagnostics
        .iter()
        .any(|d| d.severity == Severity::Error)
    {
        let p = trig::compile::compile(&checked.program, &checked.config, &checked.sources);
        if let Err(e) = verify(&p) {
            panic!("the compiler's output fails the verifier: {e}");
        }
        exercise_program(&p);
    }

    if let Ok(once) = trig::fmt::format_source(text) {
        match trig::fmt::format_source(&once) {
            Ok(twice) => assert!(twice == once, "formatting twice changes the file"),
            Err(d) => panic!(
                "formatted output does not format again: {:?}",
                d.iter().map(|d| &d.message).collect::<Vec<_>>()
            ),
        }
    }
}

// ---------------------------------------------------------------------------
// trigc_load, trigc_mutate
// ---------------------------------------------------------------------------

/// Bytes as a `.trigc` file; a program that loads is listed, run and
/// round-tripped.
pub fn trigc_load(data: &[u8]) {
    let _ = trig::compile::file::read_header(data);
    if let Ok(p) = decode(data) {
        exercise_program(&p);
    }
}

/// Wraps a payload in a file with the right hashes, as `encode` would; the
/// source hash is taken from the payload's sources when it decodes that
/// far, else `fallback_hash`.
pub fn wrap_payload(payload: &[u8], fallback_hash: [u8; 32]) -> Vec<u8> {
    let hash = match postcard::take_from_bytes::<Program>(payload) {
        Ok((p, _)) => source_hash(&p.sources),
        Err(_) => fallback_hash,
    };
    let version = trig::compile::file::COMPILER_VERSION.as_bytes();
    let mut out = Vec::with_capacity(payload.len() + 96);
    out.extend_from_slice(&MAGIC);
    out.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
    out.extend_from_slice(&(version.len() as u16).to_le_bytes());
    out.extend_from_slice(version);
    out.extend_from_slice(&hash);
    out.extend_from_slice(&(payload.len() as u64).to_le_bytes());
    out.extend_from_slice(payload);
    let sum: [u8; 32] = Sha256::digest(&out).into();
    out.extend_from_slice(&sum);
    out
}

/// Applies an edit script to a payload. Each edit is an opcode byte and
/// its operands (positions are `u16` LE, taken modulo the length):
/// 0 set a byte, 1 xor a byte, 2 insert a byte, 3 delete up to 8 bytes,
/// 4 replace the LEB128 varint at a position with another (`u64` LE
/// operand; postcard writes every integer and length as one), 5 same with
/// the zigzag form of an `i64` (signed integers). A truncated edit ends
/// the script.
pub fn apply_edits(payload: &mut Vec<u8>, mut script: &[u8]) {
    fn take<'a>(s: &mut &'a [u8], n: usize) -> Option<&'a [u8]> {
        if s.len() < n {
            return None;
        }
        let (a, b) = s.split_at(n);
        *s = b;
        Some(a)
    }
    fn varint_len(bytes: &[u8]) -> usize {
        bytes
            .iter()
            .take(10)
            .position(|b| b & 0x80 == 0)
            .map_or(bytes.len().min(10), |i| i + 1)
    }
    fn leb(mut v: u64) -> Vec<u8> {
        let mut out = Vec::new();
        loop {
            let b = (v & 0x7f) as u8;
            v >>= 7;
            if v == 0 {
                out.push(b);
                return out;
            }
            out.push(b | 0x80);
        }
    }
    let mut edits = 0;
    while let Some(&[op]) = take(&mut script, 1) {
        edits += 1;
        if edits > 64 {
            return;
        }
        let Some(pos) = take(&mut script, 2) else {
            return;
        };
        let pos = usize::from(u16::from_le_bytes([pos[0], pos[1]]));
        let len = payload.len();
        let at = if len == 0 { 0 } else { pos % len };
        match op % 6 {
            0..=2 => {
                let Some(&[b]) = take(&mut script, 1) else {
                    return;
                };
                match op % 6 {
                    0 if len > 0 => payload[at] = b,
                    1 if len > 0 => payload[at] ^= b,
                    2 => payload.insert(at.min(len), b),
                    _ => {}
                }
            }
            3 => {
                let Some(&[n]) = take(&mut script, 1) else {
                    return;
                };
                let end = (at + 1 + usize::from(n % 8)).min(len);
                payload.drain(at..end);
            }
            _ => {
                let Some(v) = take(&mut script, 8) else {
                    return;
                };
                let mut raw = [0u8; 8];
                raw.copy_from_slice(v);
                let v = if op % 6 == 4 {
                    u64::from_le_bytes(raw)
                } else {
                    let i = i64::from_le_bytes(raw);
                    ((i << 1) ^ (i >> 63)) as u64
                };
                let old = varint_len(&payload[at..]);
                payload.splice(at..at + old, leb(v));
            }
        }
    }
}

/// Structure-aware `.trigc` fuzzing: the first byte picks one of
/// [`base_programs`], the rest is an edit script ([`apply_edits`]) for its
/// postcard payload; the file is rebuilt with the right source hash and
/// checksum, so the edits reach the payload decoder and the verifier. A
/// program that loads must run without panicking.
pub fn trigc_mutate(data: &[u8]) {
    let Some((&pick, script)) = data.split_first() else {
        return;
    };
    let programs = base_programs();
    let base = &programs[usize::from(pick) % programs.len()];
    let mut payload = postcard::to_stdvec(base).expect("a program encodes");
    apply_edits(&mut payload, script);
    let file = wrap_payload(&payload, source_hash(&base.sources));
    if let Ok(p) = decode(&file) {
        exercise_program(&p);
    }
}

// ---------------------------------------------------------------------------
// decode_events, run_events
// ---------------------------------------------------------------------------

/// The decoder set-ups: format, map, source name.
fn decoders() -> Vec<(InputFormat, Option<FieldMap>, &'static str)> {
    let map = |s: &str| Some(parse_map(s).expect("a fixed map parses"));
    vec![
        (InputFormat::Auto, None, "events.ndjson"),
        (InputFormat::Ndjson, None, "-"),
        (InputFormat::Segment, None, "-"),
        (InputFormat::Auto, None, "events.csv"),
        (InputFormat::Csv, None, "events.TSV"),
        (
            InputFormat::Auto,
            map("customer=userId,event=type,time=ts,id=messageId"),
            "-",
        ),
        (
            InputFormat::Segment,
            map("customer=anonymousId,time=sentAt"),
            "-",
        ),
        (
            InputFormat::Auto,
            map("customer=1,event=4,time=5"),
            "taobao.csv",
        ),
        (
            InputFormat::Csv,
            map("customer=user,event=action,time=2,id=9"),
            "x.tsv",
        ),
    ]
}

/// One decoder over all lines; the events it produced.
fn decode_all(
    format: InputFormat,
    map: Option<FieldMap>,
    name: &str,
    lines: &[&[u8]],
) -> Vec<Event> {
    let mut d = Decoder::new(format, map, name);
    let mut out = Vec::new();
    for line in lines {
        if let Ok(Some(ev)) = d.decode(line) {
            out.push(ev);
        }
        let _ = d.open_record();
    }
    let _ = d.finish();
    let _ = d.is_csv();
    out
}

/// Bytes split on `\n`, decoded by every decoder set-up; then once more
/// with the first line as a `--map` (when it parses), in every format.
pub fn decode_events(data: &[u8]) {
    let lines: Vec<&[u8]> = data.split(|&b| b == b'\n').collect();
    for (format, map, name) in decoders() {
        decode_all(format, map, name, &lines);
    }
    let Some((first, rest)) = lines.split_first() else {
        return;
    };
    let Ok(spec) = std::str::from_utf8(first) else {
        return;
    };
    let Ok(map) = parse_map(spec) else {
        return;
    };
    for (format, name) in [
        (InputFormat::Auto, "-"),
        (InputFormat::Segment, "-"),
        (InputFormat::Csv, "in.csv"),
        (InputFormat::Csv, "in.tsv"),
    ] {
        decode_all(format, Some(map.clone()), name, rest);
    }
}

/// Bytes as an NDJSON / Segment stream (auto-detected per line), then as
/// a CSV file; the decoded events run through every base program.
pub fn run_events(data: &[u8]) {
    let lines: Vec<&[u8]> = data.split(|&b| b == b'\n').take(256).collect();
    let json = decode_all(InputFormat::Auto, None, "-", &lines);
    let csv = decode_all(InputFormat::Csv, None, "in.csv", &lines);
    for p in base_programs() {
        if !json.is_empty() {
            run_stream(p, json.iter().cloned());
        }
        if !csv.is_empty() {
            run_stream(p, csv.iter().cloned());
        }
    }
}

// ---------------------------------------------------------------------------
// project_files
// ---------------------------------------------------------------------------

/// Separates the parts of a `project_files` input.
pub const PART_SEPARATOR: &str = "\n#====\n";

/// A whole project in one input: `trig.toml`, a WhatsApp catalog, the
/// template catalog, the event schema and a rule file, in that order,
/// separated by [`PART_SEPARATOR`] (a part left out, or empty, is not
/// loaded). Checked, rendered, and when it checks, compiled (the output
/// must pass the verifier) and run like `parse_check` does.
pub fn project_files(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let mut parts = text.split(PART_SEPARATOR);
    let mut next = || parts.next().filter(|p| !p.trim().is_empty());
    let (config, whatsapp, templates, schema, rules) = (next(), next(), next(), next(), next());
    let mut ws = Workspace::new();
    if let Some(t) = config {
        ws.load_config("trig.toml", t);
    }
    if let Some(t) = whatsapp {
        ws.add_whatsapp_catalog("whatsapp.json", t);
    }
    if let Some(t) = templates {
        ws.load_templates("templates.toml", t);
    }
    if let Some(t) = schema {
        ws.load_schema("schema.toml", t);
    }
    if let Some(t) = rules {
        ws.add_rules("rules.trig", t);
    }
    let checked = ws.check();
    let _ = render(Format::Human, &checked.diagnostics, &checked.sources, false);
    let _ = render(Format::Json, &checked.diagnostics, &checked.sources, false);
    if checked.has_errors() {
        return;
    }
    let p = trig::compile::compile(&checked.program, &checked.config, &checked.sources);
    if let Err(e) = verify(&p) {
        panic!("the compiler's output fails the verifier: {e}");
    }
    exercise_program(&p);
}
