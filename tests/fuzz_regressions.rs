//! Fuzz findings stay fixed: every file under
//! `tests/fuzz_regressions/<target>/` is replayed through the body of the
//! fuzz target that found it (`tests/fuzz_regressions/support.rs`, the
//! same file the cargo-fuzz crate in `fuzz/` builds), and must neither
//! panic nor hang. The seed corpus (`fuzz/seeds/<target>/`) is replayed
//! too, so the shared target bodies run in every `cargo test`.
//!
//! Findings not fixed yet sit in `tests/fuzz_regressions/<target>/pending/`:
//! the main replay skips them, and each has its own `#[ignore]`d test
//! below (`cargo test --test fuzz_regressions -- --ignored` replays them).
//! When one is fixed, move its file up out of `pending/` and delete its
//! test. fuzz/README.md describes the whole loop.

#[path = "fuzz_regressions/support.rs"]
#[allow(dead_code)]
mod support;

use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::Duration;

/// The stack the `trig` binary runs with (its main thread's).
const STACK: usize = 8 * 1024 * 1024;
/// Far beyond what any input should take, even in a debug build.
const HANG: Duration = Duration::from_secs(60);

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn regressions() -> PathBuf {
    root().join("tests/fuzz_regressions")
}

fn target_fn(name: &str) -> support::Target {
    support::TARGETS
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, f)| *f)
        .unwrap_or_else(|| panic!("no fuzz target named `{name}`"))
}

/// The files directly in `dir`, sorted (none when it does not exist).
fn files_in(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut files: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    files
}

/// Runs one input through a target on its own thread; `Err` says how it
/// failed (the panic message, or that it did not finish).
fn replay(target: &str, file: &Path) -> Result<(), String> {
    let f = target_fn(target);
    let data = std::fs::read(file).map_err(|e| format!("{}: {e}", file.display()))?;
    let (tx, rx) = mpsc::channel();
    std::thread::Builder::new()
        .name(format!("{target}: {}", file.display()))
        .stack_size(STACK)
        .spawn(move || {
            let result = std::panic::catch_unwind(|| f(&data)).map_err(|e| {
                e.downcast_ref::<String>()
                    .cloned()
                    .or_else(|| e.downcast_ref::<&str>().map(|s| s.to_string()))
                    .unwrap_or_else(|| "a panic without a message".to_string())
            });
            let _ = tx.send(result);
        })
        .map_err(|e| format!("cannot start a thread: {e}"))?;
    match rx.recv_timeout(HANG) {
        Ok(Ok(())) => Ok(()),
        Ok(Err(msg)) => Err(format!("panicked: {msg}")),
        Err(_) => Err(format!("did not finish within {}s", HANG.as_secs())),
    }
}

/// Replays every file of `dir` through `target`; the failures, one line each.
fn replay_dir(target: &str, dir: &Path) -> (usize, Vec<String>) {
    let files = files_in(dir);
    let failures = files
        .iter()
        .filter_map(|f| {
            replay(target, f)
                .err()
                .map(|e| format!("{target} {}: {e}", f.display()))
        })
        .collect();
    (files.len(), failures)
}

#[test]
fn fixed_findings_stay_fixed() {
    let mut failures = Vec::new();
    let mut total = 0;
    for (target, _) in support::TARGETS {
        let (n, f) = replay_dir(target, &regressions().join(target));
        total += n;
        failures.extend(f);
    }
    eprintln!("replayed {total} fuzz regression input(s)");
    assert!(
        failures.is_empty(),
        "fuzz regressions fail again (see fuzz/README.md):\n{}",
        failures.join("\n")
    );
}

#[test]
fn seeds_run_clean() {
    let mut failures = Vec::new();
    let mut total = 0;
    for (target, _) in support::TARGETS {
        let (n, f) = replay_dir(target, &root().join("fuzz/seeds").join(target));
        assert!(n > 0, "fuzz/seeds/{target}/ is empty");
        total += n;
        failures.extend(f);
    }
    eprintln!("replayed {total} seed(s)");
    assert!(failures.is_empty(), "seeds fail:\n{}", failures.join("\n"));
    // Seeds that no longer load still replay fine, but fuzz only the
    // header checks: say so rather than fail.
    for f in files_in(&root().join("fuzz/seeds/trigc_load")) {
        let bytes = std::fs::read(&f).unwrap_or_default();
        if let Err(e) = trig::compile::file::decode(&bytes) {
            eprintln!(
                "note: {} does not load ({e}); rerun \
                 `cargo test --test fuzz_regressions -- --ignored write_trigc_seeds`",
                f.display()
            );
        }
    }
}

/// Folders are targets, and files sit in a target folder (or its
/// `pending/`), so that nothing put here is silently never replayed.
#[test]
fn regression_folders_are_targets() {
    let names: Vec<&str> = support::TARGETS.iter().map(|(n, _)| *n).collect();
    for entry in std::fs::read_dir(regressions()).expect("tests/fuzz_regressions/") {
        let path = entry.expect("a folder entry").path();
        let name = path
            .file_name()
            .unwrap_or_default()
            .to_string_lossy()
            .to_string();
        if path.is_file() {
            assert!(
                name == "support.rs" || name == "README.md",
                "{}: put inputs in a folder named after their target",
                path.display()
            );
            continue;
        }
        assert!(
            names.contains(&name.as_str()),
            "tests/fuzz_regressions/{name}/ is not a fuzz target (targets: {names:?})"
        );
        for sub in std::fs::read_dir(&path).expect("a target folder") {
            let sub = sub.expect("a folder entry").path();
            assert!(
                sub.is_file() || sub.file_name().is_some_and(|n| n == "pending"),
                "{}: only files and pending/ belong in a target folder",
                sub.display()
            );
        }
    }
}

// ---------------------------------------------------------------------------
// Findings not fixed yet: one ignored test per file in a pending/ folder.
// ---------------------------------------------------------------------------

/// Every `pending/` file, as `target/file`; each must have a test below.
/// Empty: every finding so far is fixed.
const PENDING: &[&str] = &[];

#[allow(dead_code)] // used only while PENDING is not empty
fn replay_pending(target: &str, file: &str) {
    let path = regressions().join(target).join("pending").join(file);
    if let Err(e) = replay(target, &path) {
        panic!("{target} {}: {e}", path.display());
    }
}

// Fixed: the verifier accepted a jump to an earlier instruction, or to
// itself; the compiler only emits forward jumps, but a `.trigc` file with a
// backward one loaded and then looped forever in the VM. The verifier now
// refuses any jump that does not go forward (the files from trigc_load and
// trigc_mutate are replayed above by `fixed_findings_stay_fixed`).

/// The same finding, independent of the payload encoding (the files above
/// are byte edits of today's encoding): every jump of the fixed programs,
/// pointed at itself, must be refused by the verifier.
#[test]
fn verifier_refuses_jumps_to_self() {
    use trig::compile::instr::Op;
    let mut accepted = Vec::new();
    for (i, base) in support::base_programs().iter().enumerate() {
        for (pc, op) in base.code.iter().enumerate() {
            let t = pc as u32;
            let looped = match *op {
                Op::Jump(_) => Op::Jump(t),
                Op::JumpIfFalse(_) => Op::JumpIfFalse(t),
                Op::JumpIfFalseKeep(_) => Op::JumpIfFalseKeep(t),
                Op::JumpIfTrueKeep(_) => Op::JumpIfTrueKeep(t),
                Op::JumpIfPresentKeep(_) => Op::JumpIfPresentKeep(t),
                _ => continue,
            };
            let mut p = base.clone();
            p.code[pc] = looped;
            if trig::compile::verify::verify(&p).is_ok() {
                accepted.push(format!("program {i}, instruction {pc}: {looped:?}"));
            }
        }
    }
    assert!(
        accepted.is_empty(),
        "the verifier accepts jumps to themselves:\n{}",
        accepted.join("\n")
    );
}

#[test]
fn every_pending_finding_has_a_test() {
    let mut found = Vec::new();
    for (target, _) in support::TARGETS {
        for f in files_in(&regressions().join(target).join("pending")) {
            let name = f
                .file_name()
                .unwrap_or_default()
                .to_string_lossy()
                .to_string();
            found.push(format!("{target}/{name}"));
        }
    }
    found.sort();
    let mut listed: Vec<String> = PENDING.iter().map(|s| s.to_string()).collect();
    listed.sort();
    assert_eq!(
        found, listed,
        "pending/ files and the PENDING list (each with its #[ignore] test) differ"
    );
}

/// Writes the seeds that are compiled programs (`fuzz/seeds/trigc_load/`,
/// `fuzz/seeds/trigc_mutate/`) from the fixed programs of the support
/// module. Run after a change to the `.trigc` format or the examples:
/// `cargo test --test fuzz_regressions -- --ignored write_trigc_seeds`.
#[test]
#[ignore = "writes fuzz/seeds/; run on purpose"]
fn write_trigc_seeds() {
    let seeds = root().join("fuzz/seeds");
    let names = ["examples", "cdnow", "cart", "count", "seq", "inactive"];
    let programs = support::base_programs();
    assert_eq!(programs.len(), names.len());
    for (i, (p, name)) in programs.iter().zip(names).enumerate() {
        let bytes = trig::compile::file::encode(p);
        std::fs::write(seeds.join(format!("trigc_load/{name}.trigc")), bytes).unwrap();
        // trigc_mutate: the program picker alone (no edits), and with one
        // edit of each kind.
        std::fs::write(seeds.join(format!("trigc_mutate/{name}-as-is")), [i as u8]).unwrap();
        let mut edits = vec![i as u8];
        edits.extend([0, 7, 0, 0x2a]); // set byte 7
        edits.extend([4, 40, 0]); // varint at 40
        edits.extend(u64::MAX.to_le_bytes());
        edits.extend([5, 90, 0]); // zigzag varint at 90
        edits.extend((-1i64).to_le_bytes());
        std::fs::write(seeds.join(format!("trigc_mutate/{name}-edits")), edits).unwrap();
    }
}

/// How far the structure-aware target gets: what loading does with each
/// input of the local corpus (`fuzz/corpus/trigc_mutate/`, after a run).
/// `cargo test --test fuzz_regressions -- --ignored --nocapture trigc_mutate_depth`
#[test]
#[ignore = "reads the local fuzz corpus; run on purpose"]
fn trigc_mutate_depth() {
    use std::collections::BTreeMap;
    let programs = support::base_programs();
    let mut outcomes: BTreeMap<String, usize> = BTreeMap::new();
    for f in files_in(&root().join("fuzz/corpus/trigc_mutate")) {
        let data = std::fs::read(&f).unwrap_or_default();
        let Some((&pick, script)) = data.split_first() else {
            continue;
        };
        let base = &programs[usize::from(pick) % programs.len()];
        let mut payload = postcard::to_stdvec(base).expect("a program encodes");
        support::apply_edits(&mut payload, script);
        let file = support::wrap_payload(&payload, trig::compile::file::source_hash(&base.sources));
        let outcome = match trig::compile::file::decode(&file) {
            Ok(p) if p == *base => "loads, unchanged".to_string(),
            Ok(_) => "loads, changed (runs)".to_string(),
            Err(trig::compile::file::LoadError::Invalid(e)) => {
                // Numbers and names blanked, to count kinds of problem.
                let mut kind = String::new();
                let mut quoted = false;
                for c in e.problem.chars() {
                    if c == '`' {
                        quoted = !quoted;
                        if quoted {
                            kind.push_str("`…`");
                        }
                    } else if !(quoted || c.is_ascii_digit() && kind.ends_with('N')) {
                        kind.push(if c.is_ascii_digit() { 'N' } else { c });
                    }
                }
                let kind = kind.replace("-N", "N");
                format!(
                    "verifier: {}",
                    kind.split('(').next().unwrap_or(&kind).trim()
                )
            }
            Err(e) => {
                let s = e.to_string();
                s.split('(').next().unwrap_or(&s).trim().to_string()
            }
        };
        *outcomes.entry(outcome).or_default() += 1;
    }
    for (k, n) in &outcomes {
        eprintln!("{n:6}  {k}");
    }
}

/// What a `trigc_mutate` input does to its program: the edited program's
/// listing, with the lines that differ from the original marked `>`.
/// `FUZZ_INPUT=path cargo test --test fuzz_regressions -- --ignored --nocapture show_trigc_mutate`
/// (`FUZZ_TRIGC_OUT=path` also writes the edited `.trigc` file).
#[test]
#[ignore = "a tool for reading findings; run on purpose"]
fn show_trigc_mutate() {
    let Some(path) = std::env::var_os("FUZZ_INPUT") else {
        eprintln!("set FUZZ_INPUT to a trigc_mutate input");
        return;
    };
    let data = std::fs::read(&path).expect("FUZZ_INPUT is readable");
    let Some((&pick, script)) = data.split_first() else {
        return;
    };
    let programs = support::base_programs();
    let base = &programs[usize::from(pick) % programs.len()];
    let mut payload = postcard::to_stdvec(base).expect("a program encodes");
    support::apply_edits(&mut payload, script);
    let file = support::wrap_payload(&payload, trig::compile::file::source_hash(&base.sources));
    // FUZZ_TRIGC_OUT=path also writes the edited `.trigc` file (a
    // `trigc_load` input).
    if let Some(out) = std::env::var_os("FUZZ_TRIGC_OUT") {
        std::fs::write(out, &file).expect("FUZZ_TRIGC_OUT is writable");
    }
    match trig::compile::file::decode(&file) {
        Err(e) => eprintln!("does not load: {e}"),
        Ok(p) => {
            let before = trig::compile::disasm::disasm(base);
            let before: Vec<&str> = before.lines().collect();
            for line in trig::compile::disasm::disasm(&p).lines() {
                let mark = if before.contains(&line) { ' ' } else { '>' };
                eprintln!("{mark} {line}");
            }
        }
    }
}

/// How far the `project_files` corpus gets (`fuzz/corpus/project_files/`,
/// after a run): inputs whose project has errors (by diagnostic code), and
/// inputs that compile and run.
/// `cargo test --test fuzz_regressions -- --ignored --nocapture project_files_depth`
#[test]
#[ignore = "reads the local fuzz corpus; run on purpose"]
fn project_files_depth() {
    use std::collections::BTreeMap;
    let mut outcomes: BTreeMap<String, usize> = BTreeMap::new();
    for f in files_in(&root().join("fuzz/corpus/project_files")) {
        let data = std::fs::read(&f).unwrap_or_default();
        let Ok(text) = std::str::from_utf8(&data) else {
            *outcomes.entry("not UTF-8".into()).or_default() += 1;
            continue;
        };
        let parts: Vec<&str> = text.split(support::PART_SEPARATOR).collect();
        let mut ws = trig::check::Workspace::new();
        let names = [
            "trig.toml",
            "whatsapp.json",
            "templates.toml",
            "schema.toml",
        ];
        for (i, part) in parts.iter().enumerate().take(5) {
            if part.trim().is_empty() {
                continue;
            }
            match names.get(i) {
                Some(&"trig.toml") => ws.load_config("trig.toml", part),
                Some(&"whatsapp.json") => ws.add_whatsapp_catalog("whatsapp.json", part),
                Some(&"templates.toml") => ws.load_templates("templates.toml", part),
                Some(_) => ws.load_schema("schema.toml", part),
                None => {
                    ws.add_rules("rules.trig", part);
                }
            }
        }
        let checked = ws.check();
        let first_error = checked
            .diagnostics
            .iter()
            .find(|d| d.severity == trig::diag::Severity::Error);
        let outcome = match first_error {
            Some(d) => format!("error {}", d.code.id()),
            None => format!(
                "compiles and runs ({} rule(s))",
                checked.program.rules.len().min(3)
            ),
        };
        *outcomes.entry(outcome).or_default() += 1;
    }
    for (k, n) in &outcomes {
        eprintln!("{n:6}  {k}");
    }
}
