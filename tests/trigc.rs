//! Compiled `.trigc` files: the examples round-trip through `encode` and
//! `decode`; the loader refuses truncated, bit-flipped, mis-versioned and
//! foreign files and programs the verifier must catch, without panicking;
//! `disasm` listings are snapshotted; `trig compile` and `trig disasm` run
//! as the real binary.
//!
//! Update the snapshots with `INSTA_UPDATE=always cargo test --test trigc`
//! and read every changed one.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use sha2::{Digest, Sha256};
use trig::check::{Checked, Workspace};
use trig::compile::disasm::disasm;
use trig::compile::file::{self, decode, encode, LoadError, FORMAT_VERSION, MAGIC};
use trig::compile::instr::Op;
use trig::compile::program::{Func, Program};
use trig::compile::verify::verify;
use trig::diag::Severity;

fn absolute(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(rel)
}

fn assert_no_errors(checked: &Checked) {
    let errors: Vec<String> = checked
        .diagnostics
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .map(|d| format!("{:?}: {}", d.code, d.message))
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");
}

/// The `.trig` files directly in a folder (relative names, sorted).
fn trig_files(dir: &str) -> Vec<String> {
    let mut files: Vec<String> = std::fs::read_dir(absolute(dir))
        .unwrap_or_else(|e| panic!("{dir}: {e}"))
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|n| n.ends_with(".trig"))
        .map(|n| format!("{dir}/{n}"))
        .collect();
    files.sort();
    files
}

/// Loads a project as `trig compile --config CONFIG FILES…` does (catalog
/// and schema paths relative to the project file) and checks it; `None`
/// when a file is missing or not UTF-8 (the CLI stops there too).
fn load(config: &str, files: &[String]) -> Option<Checked> {
    let read = |rel: &str| std::fs::read_to_string(absolute(rel)).ok();
    let mut ws = Workspace::new();
    ws.load_config(config, &read(config)?);
    let base = Path::new(config).parent().unwrap_or(Path::new("."));
    let named = |f: &str| base.join(f).to_string_lossy().replace('\\', "/");
    let catalogs = ws.config.catalogs.clone();
    for f in &catalogs.whatsapp {
        let name = named(f);
        ws.add_whatsapp_catalog(&name, &read(&name)?);
    }
    if let Some(f) = &catalogs.templates {
        let name = named(f);
        ws.load_templates(&name, &read(&name)?);
    }
    if let Some(f) = &catalogs.schema {
        let name = named(f);
        ws.load_schema(&name, &read(&name)?);
    }
    for f in files {
        ws.add_rules(f, &read(f)?);
    }
    Some(ws.check())
}

/// The examples, as `trig compile --config examples/trig.toml examples/`
/// compiles them.
fn examples() -> Program {
    let files = trig_files("examples");
    assert!(!files.is_empty());
    let checked = load("examples/trig.toml", &files).expect("the examples load");
    assert_no_errors(&checked);
    trig::compile::compile(&checked.program, &checked.config, &checked.sources)
}

/// A small project with no catalogs: SMS text steps only.
const SMALL_CONFIG: &str = r#"[project]
timezone = "UTC"

[channels.sms]
consent = "sms_opt_in"
contact = "phone"
"#;

/// Compiles one rule file against `SMALL_CONFIG`.
fn small(name: &str, rules: &str) -> Program {
    let mut ws = Workspace::new();
    ws.load_config("trig.toml", SMALL_CONFIG);
    ws.add_rules(name, rules);
    let checked = ws.check();
    assert_no_errors(&checked);
    trig::compile::compile(&checked.program, &checked.config, &checked.sources)
}

const CART: &str = r#"rule cart_reminder:
  when cart.abandoned as cart where cart.value >= 20
    for 2h
    and not order.completed where event.cart_id == cart.cart_id
  unless customer.unsubscribed
  then send sms "Your cart is waiting: {cart.url} Reply STOP to opt out"
  key cart.cart_id
  limit 1 per 24h
"#;

const COUNT: &str = r#"rule product_interest:
  when page.viewed as v where v.path starts with "/products/" 3 times within 1d
  then send sms "Still thinking about {v.product_name ?? "it"}? Reply STOP to opt out"
  key v.product_id
  limit 1 per 7d
"#;

const FOLLOWED_BY: &str = r#"rule browse_then_cart:
  when product.viewed as v followed by cart.added as c where c.product_id == v.product_id within 1h
    and not order.completed
  then send sms "{v.product_name} is in your cart. Reply STOP to opt out"
  quiet 21:00-09:00
"#;

fn cart() -> Program {
    small("cart.trig", CART)
}

/// The parts of a file, to rebuild one with a field changed.
fn build(version: &[u8], compiler: &[u8], source_hash: &[u8], payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    out.extend_from_slice(&MAGIC);
    out.extend_from_slice(version);
    out.extend_from_slice(&(compiler.len() as u16).to_le_bytes());
    out.extend_from_slice(compiler);
    out.extend_from_slice(source_hash);
    out.extend_from_slice(&(payload.len() as u64).to_le_bytes());
    out.extend_from_slice(payload);
    let sum: [u8; 32] = Sha256::digest(&out).into();
    out.extend_from_slice(&sum);
    out
}

/// Recomputes the trailing checksum after a change.
fn fix_checksum(bytes: &mut [u8]) {
    let at = bytes.len() - 32;
    let sum: [u8; 32] = Sha256::digest(&bytes[..at]).into();
    bytes[at..].copy_from_slice(&sum);
}

/// Where the payload starts in a file `encode` wrote.
fn payload_start(bytes: &[u8]) -> usize {
    let version_len = u16::from_le_bytes([bytes[8], bytes[9]]) as usize;
    6 + 2 + 2 + version_len + 32 + 8
}

/// Decodes, turning a panic into a test failure that says where.
fn decode_no_panic(bytes: &[u8], what: &str) -> Result<Program, LoadError> {
    catch_unwind(AssertUnwindSafe(|| decode(bytes)))
        .unwrap_or_else(|_| panic!("decode panicked on {what}"))
}

// ---- round trip ----

#[test]
fn examples_round_trip() {
    let program = examples();
    verify(&program).expect("the compiler's output verifies");
    let bytes = encode(&program);
    let back = decode(&bytes).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(back, program);
    assert_eq!(encode(&back), bytes, "encoding is deterministic");
    let header = file::read_header(&bytes).expect("header");
    assert_eq!(header.format_version, FORMAT_VERSION);
    assert_eq!(header.compiler_version, env!("CARGO_PKG_VERSION"));
    assert_eq!(header.source_hash, file::source_hash(&program.sources));
    eprintln!(
        "examples: {} rule(s), {} instruction(s), {} bytes compiled ({} bytes of sources)",
        program.rules.len(),
        program.code.len(),
        bytes.len(),
        program
            .sources
            .iter()
            .map(|s| s.name.len() + s.text.len())
            .sum::<usize>()
    );
}

#[test]
fn small_programs_round_trip() {
    for (name, src) in [
        ("cart.trig", CART),
        ("count.trig", COUNT),
        ("seq.trig", FOLLOWED_BY),
    ] {
        let program = small(name, src);
        let back = decode(&encode(&program)).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(back, program, "{name}");
    }
}

/// The verifier accepts whatever the compiler produces: every rule file of
/// the repository that checks without errors (the UI cases with their
/// projects, the scenarios, the other example projects) round-trips.
#[test]
fn every_compilable_rule_file_in_the_repository_verifies() {
    let mut projects: Vec<(String, Vec<String>)> = Vec::new();
    for f in trig_files("tests/ui") {
        let own = f.replace(".trig", ".toml");
        let config = if absolute(&own).is_file() {
            own
        } else {
            "tests/ui/trig.toml".to_string()
        };
        projects.push((config, vec![f]));
    }
    let examples = absolute("examples");
    for entry in std::fs::read_dir(&examples).expect("examples/").flatten() {
        let dir = entry.path();
        if dir.join("trig.toml").is_file() {
            let rel = format!("examples/{}", entry.file_name().to_string_lossy());
            projects.push((format!("{rel}/trig.toml"), trig_files(&rel)));
        }
    }
    let mut compiled = 0;
    for (config, files) in &projects {
        let Some(checked) = load(config, files) else {
            continue;
        };
        if checked.has_errors() || checked.program.rules.is_empty() {
            continue;
        }
        let p = trig::compile::compile(&checked.program, &checked.config, &checked.sources);
        if let Err(e) = verify(&p) {
            panic!("{files:?}: {e}\n{}", disasm(&p));
        }
        assert_eq!(decode(&encode(&p)).as_ref(), Ok(&p), "{files:?}");
        compiled += 1;
    }
    // The scenarios' rules, against the small project.
    let dir = absolute("tests/scenarios");
    for entry in std::fs::read_dir(&dir).expect("tests/scenarios").flatten() {
        let path = entry.path();
        if path.extension().is_none_or(|e| e != "scn") {
            continue;
        }
        let text = std::fs::read_to_string(&path).expect("scenario");
        let rules: String = text
            .split("\n== ")
            .filter_map(|sec| sec.strip_prefix("rules\n"))
            .collect();
        let mut ws = Workspace::new();
        ws.load_config("trig.toml", SMALL_CONFIG);
        ws.add_rules("scenario.trig", &rules);
        let checked = ws.check();
        if checked.has_errors() || checked.program.rules.is_empty() {
            continue;
        }
        let p = trig::compile::compile(&checked.program, &checked.config, &checked.sources);
        if let Err(e) = verify(&p) {
            panic!("{}: {e}\n{}", path.display(), disasm(&p));
        }
        compiled += 1;
    }
    eprintln!("{compiled} programs verified");
    assert!(compiled >= 10, "only {compiled} programs compiled");
}

#[test]
fn another_compiler_version_with_the_same_format_is_accepted() {
    let program = cart();
    let bytes = encode(&program);
    let payload = &bytes[payload_start(&bytes)..bytes.len() - 32];
    let hash = file::source_hash(&program.sources);
    let other = build(&FORMAT_VERSION.to_le_bytes(), b"99.1.0-dev", &hash, payload);
    assert_eq!(decode(&other).expect("accepted"), program);
    assert_eq!(
        file::read_header(&other).expect("header").compiler_version,
        "99.1.0-dev"
    );
}

// ---- refusals: the container ----

#[test]
fn empty_file_and_wrong_magic() {
    assert_eq!(decode(&[]), Err(LoadError::Empty));
    let e = decode(b"{\"customer\": \"c1\"}").unwrap_err();
    assert_eq!(e, LoadError::NotTrigc);
    assert!(e.to_string().contains("not a compiled trig file"), "{e}");
    let mut bytes = encode(&cart());
    bytes[0] = b'X';
    assert_eq!(decode(&bytes), Err(LoadError::NotTrigc));
}

#[test]
fn another_format_version_is_refused() {
    let mut bytes = encode(&cart());
    bytes[6..8].copy_from_slice(&1u16.to_le_bytes());
    fix_checksum(&mut bytes);
    let e = decode(&bytes).unwrap_err();
    assert_eq!(e, LoadError::Version { found: 1 });
    assert_eq!(
        e.to_string(),
        "compiled by format version 1; this trig reads version 2: recompile with `trig compile`"
    );
}

#[test]
fn every_truncation_is_refused() {
    let bytes = encode(&cart());
    assert!(bytes.len() < 20_000, "keep this test fast: {}", bytes.len());
    for n in 0..bytes.len() {
        let e = decode_no_panic(&bytes[..n], &format!("a prefix of {n} bytes")).unwrap_err();
        match e {
            LoadError::Empty => assert_eq!(n, 0),
            LoadError::Truncated {
                expected, found, ..
            } => {
                assert_eq!(found, n as u64);
                assert!(expected > found, "{n}: {e}");
                assert!(
                    e.to_string().starts_with("truncated: ")
                        && e.to_string().contains(&format!("the file has {n}")),
                    "{e}"
                );
            }
            other => panic!("a prefix of {n} bytes: {other}"),
        }
    }
    // The payload cut: the message gives the exact size.
    let e = decode(&bytes[..bytes.len() - 1]).unwrap_err();
    assert_eq!(
        e.to_string(),
        format!(
            "truncated: the program needs {} bytes, the file has {}",
            bytes.len(),
            bytes.len() - 1
        )
    );
}

#[test]
fn trailing_bytes_are_refused() {
    let mut bytes = encode(&cart());
    bytes.push(0);
    assert_eq!(decode(&bytes), Err(LoadError::TrailingBytes { extra: 1 }));
}

#[test]
fn a_huge_payload_length_is_refused_before_allocating() {
    let bytes = encode(&cart());
    let at = payload_start(&bytes) - 8;
    for len in [u64::MAX, u64::MAX / 2, 1 << 40] {
        let mut b = bytes.clone();
        b[at..at + 8].copy_from_slice(&len.to_le_bytes());
        assert!(
            matches!(decode(&b), Err(LoadError::Truncated { .. })),
            "{:?}",
            decode(&b)
        );
    }
}

#[test]
fn every_flipped_bit_is_refused() {
    let bytes = encode(&cart());
    for i in 0..bytes.len() {
        let mut b = bytes.clone();
        b[i] ^= 1 << (i % 8);
        let r = decode_no_panic(&b, &format!("a flipped bit in byte {i}"));
        assert!(r.is_err(), "byte {i} flipped was accepted");
    }
    // Past the header, the checksum is what catches it.
    let start = payload_start(&bytes);
    for i in (start..bytes.len()).step_by(7) {
        let mut b = bytes.clone();
        b[i] ^= 0x40;
        assert_eq!(decode(&b), Err(LoadError::Checksum), "byte {i}");
    }
}

#[test]
fn corrupted_payloads_with_a_valid_checksum_never_panic() {
    let program = cart();
    let bytes = encode(&program);
    let start = payload_start(&bytes);
    let end = bytes.len() - 32;
    let mut refused = 0;
    for i in start..end {
        for flip in [0x01u8, 0x80, 0xff] {
            let mut b = bytes.clone();
            b[i] ^= flip;
            fix_checksum(&mut b);
            // Some flips give another valid program (a letter of a name,
            // a constant); none may panic, and any program accepted must
            // pass the verifier.
            match decode_no_panic(&b, &format!("byte {i} ^ {flip:#x}")) {
                Ok(p) => verify(&p).expect("decode returns verified programs"),
                Err(_) => refused += 1,
            }
        }
    }
    assert!(refused > 0);
}

#[test]
fn sources_that_do_not_match_their_hash_are_refused() {
    let program = cart();
    let bytes = encode(&program);
    let payload = &bytes[payload_start(&bytes)..bytes.len() - 32];
    let wrong = build(&FORMAT_VERSION.to_le_bytes(), b"0.1.0", &[7u8; 32], payload);
    assert_eq!(decode(&wrong), Err(LoadError::SourceHash));
}

#[test]
fn junk_after_the_program_in_the_payload_is_refused() {
    let program = cart();
    let mut payload = postcard::to_stdvec(&program).expect("encode");
    payload.push(0);
    let hash = file::source_hash(&program.sources);
    let b = build(&FORMAT_VERSION.to_le_bytes(), b"0.1.0", &hash, &payload);
    assert!(
        matches!(decode(&b), Err(LoadError::Decode(_))),
        "{:?}",
        decode(&b)
    );
}

// ---- refusals: the verifier ----

/// Re-encodes a changed program (valid container, valid checksum and
/// source hash) and returns the message the loader gives.
fn refused(p: &Program) -> String {
    let direct = verify(p).expect_err("the verifier refuses it");
    match decode_no_panic(&encode(p), "a mutated program") {
        Err(LoadError::Invalid(e)) => {
            assert_eq!(e, direct);
            e.to_string()
        }
        other => panic!("expected a verifier error, got {other:?}"),
    }
}

/// The first handler instruction matching `f`.
fn find_in_handlers(p: &Program, f: impl Fn(Op) -> bool) -> usize {
    p.handlers
        .iter()
        .flat_map(|h| h.start..h.end)
        .find(|&pc| f(p.code[pc as usize]))
        .expect("an instruction like that") as usize
}

/// Appends a function with the given code (locations copied from
/// instruction 0).
fn add_func(p: &mut Program, code: &[Op]) -> u32 {
    let start = p.code.len() as u32;
    for op in code {
        p.code.push(*op);
        p.locs.push(p.locs[0]);
    }
    p.funcs.push(Func {
        start,
        end: p.code.len() as u32,
    });
    (p.funcs.len() - 1) as u32
}

#[test]
fn jump_out_of_its_range() {
    let mut p = cart();
    let pc = find_in_handlers(&p, |op| matches!(op, Op::JumpIfFalse(_)));
    let h = p
        .handlers
        .iter()
        .find(|h| (h.start..h.end).contains(&(pc as u32)))
        .copied()
        .expect("handler");
    // One past the end of the handler is not an instruction of it.
    p.code[pc] = Op::JumpIfFalse(h.end);
    let msg = refused(&p);
    assert!(msg.contains(&format!("instruction {pc}")), "{msg}");
    assert!(msg.contains("jump target"), "{msg}");
    assert!(msg.contains("rule `cart_reminder`"), "{msg}");
    p.code[pc] = Op::JumpIfFalse(u32::MAX);
    assert!(refused(&p).contains("jump target 4294967295"));
}

#[test]
fn constant_out_of_range() {
    let mut p = cart();
    let pc = p
        .code
        .iter()
        .position(|op| matches!(op, Op::Const(_)))
        .expect("a constant");
    p.code[pc] = Op::Const(p.consts.len() as u32);
    let msg = refused(&p);
    assert!(msg.contains(&format!("instruction {pc}")), "{msg}");
    assert!(
        msg.contains("constant") && msg.contains("does not exist"),
        "{msg}"
    );
}

#[test]
fn path_and_binding_out_of_range() {
    use trig::compile::instr::{Field, Src};
    let mut p = cart();
    let pc = p
        .code
        .iter()
        .position(|op| matches!(op, Op::Load(_, Field::Path(_))))
        .expect("a load");
    p.code[pc] = Op::Load(Src::Customer, Field::Path(1000));
    assert!(refused(&p).contains("path 1000 does not exist"));
    p.code[pc] = Op::Load(Src::Binding(2), Field::Time);
    assert!(refused(&p).contains("binding $2"));
}

#[test]
fn state_operation_in_a_function() {
    let mut p = cart();
    let f = p.funcs[0];
    p.code[f.start as usize] = Op::Match(0);
    let msg = refused(&p);
    assert!(msg.contains("`match` is a state operation"), "{msg}");
    assert!(msg.contains("function 0"), "{msg}");
    // `halt` is for handlers too.
    let mut p = cart();
    let f = p.funcs[0];
    p.code[f.start as usize] = Op::Halt;
    assert!(refused(&p).contains("`halt`"));
}

#[test]
fn return_in_a_handler() {
    let mut p = cart();
    let pc = find_in_handlers(&p, |op| matches!(op, Op::Cancel(..)));
    p.code[pc] = Op::Return;
    assert!(refused(&p).contains("`return` outside a function"));
}

#[test]
fn state_operations_for_another_rule_or_absence() {
    let mut p = cart();
    let pc = find_in_handlers(&p, |op| matches!(op, Op::Match(_)));
    p.code[pc] = Op::Match(7);
    let msg = refused(&p);
    assert!(msg.contains("acts for rule 7"), "{msg}");
    p.code[pc] = Op::Count(0);
    let msg = refused(&p);
    assert!(msg.contains("does not fit rule `cart_reminder`"), "{msg}");
    let mut p = cart();
    let pc = find_in_handlers(&p, |op| matches!(op, Op::Cancel(..)));
    p.code[pc] = Op::Cancel(0, 3);
    assert!(refused(&p).contains("absence 3 does not exist"));
    p.code[pc] = Op::Record(0, 0);
    assert!(refused(&p).contains("`record` does not fit"));
}

#[test]
fn stack_underflow() {
    let mut p = cart();
    // A function `load …; return` whose load becomes a pop.
    let f = p
        .funcs
        .iter()
        .position(|f| f.end - f.start == 2)
        .expect("a two-instruction function");
    let start = p.funcs[f].start as usize;
    p.code[start] = Op::Pop;
    let msg = refused(&p);
    assert!(msg.contains("stack underflow"), "{msg}");
    assert!(msg.contains(&format!("instruction {start}")), "{msg}");
}

#[test]
fn stack_depth_must_agree_and_return_one_value() {
    let mut p = cart();
    // Two paths into `return`: one with 1 value, one with 0.
    let c = add_func(
        &mut p,
        &[
            Op::Const(0),
            Op::Const(0),
            Op::JumpIfFalse(0),
            Op::Pop,
            Op::Return,
        ],
    );
    let start = p.funcs[c as usize].start;
    p.code[start as usize + 2] = Op::JumpIfFalse(start + 4);
    let msg = refused(&p);
    assert!(msg.contains("on one path here"), "{msg}");

    let mut p = cart();
    add_func(&mut p, &[Op::Const(0), Op::Const(0), Op::Return]);
    assert!(refused(&p).contains("`return` with 2 value(s)"));

    let mut p = cart();
    let mut code = vec![Op::Const(0); 1025];
    code.push(Op::List(1025));
    code.push(Op::Return);
    add_func(&mut p, &code);
    assert!(refused(&p).contains("grows past 1024"));

    // A list that takes more than the stack holds.
    let mut p = cart();
    add_func(&mut p, &[Op::Const(0), Op::List(2), Op::Return]);
    assert!(refused(&p).contains("stack underflow"));
}

#[test]
fn ranges_must_be_inside_and_end_right() {
    let mut p = cart();
    p.funcs[0].end = p.code.len() as u32 + 1;
    assert!(refused(&p).contains("runs past the end"));
    let mut p = cart();
    p.funcs[0].end = p.funcs[0].start;
    assert!(refused(&p).contains("is empty"));
    let mut p = cart();
    p.funcs[0].end -= 1;
    assert!(refused(&p).contains("does not end with `return`"));
    let mut p = cart();
    p.handlers[0].end -= 1;
    assert!(refused(&p).contains("does not end with `halt`"));
    let mut p = cart();
    p.handlers[0].rule = 9;
    assert!(refused(&p).contains("rule 9 does not exist"));
}

#[test]
fn tables_around_the_code() {
    let mut p = cart();
    p.locs.pop();
    assert!(refused(&p).contains("location(s)"));

    let mut p = cart();
    let n = p.sources.len() as u32;
    p.locs[0].file = n;
    assert!(refused(&p).contains(&format!("source file {n} does not exist")));

    let mut p = cart();
    p.locs[0].end = u32::MAX;
    assert!(refused(&p).contains("is outside"));

    let mut p = cart();
    p.rules[0].guards[0].func = 999;
    let msg = refused(&p);
    assert!(
        msg.contains("function 999 does not exist") && msg.contains("guard 0"),
        "{msg}"
    );

    let mut p = cart();
    p.rules[0].key = Some(999);
    assert!(refused(&p).contains("key"));

    let mut p = cart();
    p.dispatch.reverse();
    assert!(refused(&p).contains("not sorted"));

    let mut p = cart();
    p.dispatch[0].1.push(99);
    assert!(refused(&p).contains("handler 99 does not exist"));

    let mut p = cart();
    p.any_event.push(99);
    assert!(refused(&p).contains("handler 99 does not exist"));

    let mut p = cart();
    p.paths.push(Vec::new());
    assert!(refused(&p).contains("path"));

    let mut p = cart();
    p.rules[0].wait_ms = Some(-1);
    assert!(refused(&p).contains("negative"));
}

// ---- disassembly ----

#[test]
fn disasm_cart_abandonment() {
    insta::assert_snapshot!(disasm(&cart()));
}

#[test]
fn disasm_count_with_key() {
    insta::assert_snapshot!(disasm(&small("count.trig", COUNT)));
}

#[test]
fn disasm_followed_by() {
    insta::assert_snapshot!(disasm(&small("seq.trig", FOLLOWED_BY)));
}

#[test]
fn disasm_is_deterministic_and_survives_a_round_trip() {
    let p = examples();
    let listing = disasm(&p);
    assert_eq!(listing, disasm(&examples()));
    assert_eq!(listing, disasm(&decode(&encode(&p)).expect("decode")));
    for r in &p.rules {
        assert!(
            listing.contains(&format!("\nrule {} (rule", r.name)),
            "{}",
            r.name
        );
    }
}

#[test]
fn disasm_never_panics_on_unverified_programs() {
    let mut p = cart();
    p.code[0] = Op::Const(999);
    p.locs[1].file = 99;
    p.locs[2].start = u32::MAX;
    p.funcs.push(Func {
        start: 5,
        end: u32::MAX,
    });
    p.rules[0].key = Some(12345);
    p.handlers[0].rule = 42;
    let listing = disasm(&p);
    assert!(listing.contains("<constant 999?>"), "{listing}");
}

// ---- the binary ----

fn trig(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_trig"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("NO_COLOR", "1")
        .output()
        .expect("the trig binary runs")
}

fn describe(out: &Output) -> String {
    format!(
        "exit status {:?}\n--- stdout\n{}\n--- stderr\n{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// A fresh folder for one test's files.
fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("trigc-test-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch folder");
    dir
}

#[test]
fn cli_compile_then_disasm() {
    let dir = scratch("compile");
    let out_file = dir.join("examples.trigc");
    let out_str = out_file.to_str().expect("UTF-8 path");
    let out = trig(&[
        "compile",
        "--config",
        "examples/trig.toml",
        "examples/",
        "-o",
        out_str,
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", describe(&out));
    let stderr = String::from_utf8_lossy(&out.stderr);
    let size = std::fs::metadata(&out_file).expect("written").len();
    assert!(
        stderr.contains(&format!("compiled 6 rule(s) to {out_str} ({size} bytes)")),
        "{}",
        describe(&out)
    );
    assert!(
        !dir.join("examples.trigc.tmp").exists(),
        "the temporary file is gone"
    );
    // The file is what the library compiles.
    let bytes = std::fs::read(&out_file).expect("read");
    assert_eq!(decode(&bytes).expect("decode"), examples());

    let out = trig(&["disasm", out_str]);
    assert_eq!(out.status.code(), Some(0), "{}", describe(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(stdout, disasm(&examples()));
    assert!(stdout.contains("rule cart_reminder (rule 0, examples/cart_abandonment.trig:7:1)"));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn cli_compile_refuses_rules_with_errors() {
    let dir = scratch("errors");
    let rules = dir.join("bad.trig");
    std::fs::write(
        &rules,
        "rule bad:\n  when cart.abandoned\n  then send sms \"hi {nope.x}\"\n",
    )
    .expect("write");
    let out_file = dir.join("bad.trigc");
    let out = trig(&[
        "compile",
        "--config",
        "examples/trig.toml",
        rules.to_str().expect("UTF-8"),
        "-o",
        out_file.to_str().expect("UTF-8"),
    ]);
    assert_eq!(out.status.code(), Some(1), "{}", describe(&out));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("error"), "{}", describe(&out));
    assert!(stderr.contains("nothing written"), "{}", describe(&out));
    assert!(!out_file.exists());
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn cli_disasm_refuses_garbage() {
    let dir = scratch("garbage");
    let garbage = dir.join("garbage.trigc");
    std::fs::write(&garbage, b"this is not bytecode at all\n").expect("write");
    let g = garbage.to_str().expect("UTF-8");
    let out = trig(&["disasm", g]);
    assert_eq!(out.status.code(), Some(2), "{}", describe(&out));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        format!("error: {g}: not a compiled trig file (a .trigc file starts with `TRIGC`)\n")
    );
    assert!(out.stdout.is_empty());

    // A real file cut short, and an empty one.
    let bytes = encode(&cart());
    std::fs::write(&garbage, &bytes[..bytes.len() / 2]).expect("write");
    let out = trig(&["disasm", g]);
    assert_eq!(out.status.code(), Some(2), "{}", describe(&out));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.starts_with(&format!("error: {g}: truncated: ")),
        "{stderr}"
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
    std::fs::write(&garbage, b"").expect("write");
    let out = trig(&["disasm", g]);
    assert_eq!(out.status.code(), Some(2), "{}", describe(&out));

    let missing = dir.join("missing.trigc");
    let out = trig(&["disasm", missing.to_str().expect("UTF-8")]);
    assert_eq!(out.status.code(), Some(2), "{}", describe(&out));
    let _ = std::fs::remove_dir_all(&dir);
}
