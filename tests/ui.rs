//! UI tests: every `tests/ui/*.trig` is checked against its project, the way
//! `trig check` loads one, and its diagnostics are snapshotted as the
//! `human` (no colour) and `json` renderers print them. The conventions are
//! in tests/ui/README.md.
//!
//! Update the snapshots with `INSTA_UPDATE=always cargo test --test ui` (or
//! `cargo insta test --test ui --review`) and read every changed one.

use std::collections::BTreeSet;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};

use trig::check::{Checked, Workspace};
use trig::diag::render::{render, Format};
use trig::diag::Code;

/// The cases' folder, relative to the crate root: file names in the
/// snapshots are relative too, so they do not depend on the machine.
const UI: &str = "tests/ui";
/// The project file of the cases that have no `NAME.toml` of their own.
const SHARED_CONFIG: &str = "tests/ui/trig.toml";

fn absolute(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(rel)
}

/// A path as diagnostics show it: relative, with forward slashes.
fn display(p: &Path) -> String {
    p.to_string_lossy().replace('\\', "/")
}

fn read_text(rel: &str) -> String {
    std::fs::read_to_string(absolute(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

/// The case names (file stems of `tests/ui/*.trig`), sorted.
fn cases() -> Vec<String> {
    let dir = absolute(UI);
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "trig"))
        .filter_map(|p| p.file_stem().and_then(|s| s.to_str()).map(String::from))
        .collect();
    names.sort();
    assert!(!names.is_empty(), "no UI cases in {UI}");
    names
}

/// `tests/ui/NAME.toml` when the case has its own project, else the shared one.
fn config_for(case: &str) -> String {
    let own = format!("{UI}/{case}.toml");
    if absolute(&own).is_file() {
        own
    } else {
        SHARED_CONFIG.to_string()
    }
}

/// Loads the project as the CLI does (catalogs and schema relative to the
/// project file's folder), adds the case, and checks.
fn check_case(case: &str) -> Checked {
    let mut ws = Workspace::new();
    let config = config_for(case);
    ws.load_config(&config, &read_text(&config));
    let base = Path::new(&config).parent().unwrap_or(Path::new("."));
    let named = |f: &str| display(&base.join(f));
    let catalogs = ws.config.catalogs.clone();
    for f in &catalogs.whatsapp {
        let name = named(f);
        ws.add_whatsapp_catalog(&name, &read_text(&name));
    }
    if let Some(f) = &catalogs.templates {
        let name = named(f);
        ws.load_templates(&name, &read_text(&name));
    }
    if let Some(f) = &catalogs.schema {
        let name = named(f);
        ws.load_schema(&name, &read_text(&name));
    }
    let rules = format!("{UI}/{case}.trig");
    let tests = format!("{UI}/{case}.test.toml");
    let bytes = std::fs::read(absolute(&rules)).unwrap_or_else(|e| panic!("{rules}: {e}"));
    match String::from_utf8(bytes) {
        Ok(text) => {
            ws.add_rules(&rules, &text);
        }
        Err(e) => ws.add_invalid_utf8(&rules, e.as_bytes()),
    }
    let mut checked = ws.check();
    // A case with rule tests beside it is checked as with
    // `--require-tests`.
    if absolute(&tests).is_file() {
        let suite = trig::testing::parse(&read_text(&tests))
            .unwrap_or_else(|e| panic!("{tests}:{}:{}: {}", e.line, e.col, e.message));
        let covered = trig::testing::rules_named(&suite);
        let more = trig::check::coverage::untested(&checked, &covered);
        checked.diagnostics.extend(more);
    }
    checked
}

/// The first line of a case, without `#`: what it shows.
fn description(case: &str) -> String {
    let bytes = std::fs::read(absolute(&format!("{UI}/{case}.trig"))).expect("case file");
    let text = String::from_utf8_lossy(&bytes);
    let first = text.lines().next().unwrap_or("");
    let about = first
        .trim_start_matches('\u{FEFF}')
        .strip_prefix('#')
        .map(str::trim);
    match about {
        Some(about) if !about.is_empty() => about.to_string(),
        _ => panic!("{UI}/{case}.trig must start with a `# …` comment saying what it shows"),
    }
}

/// The code a case is named after: the longest code name that is the case
/// name or a prefix of it followed by `-` (`type-mismatch-arithmetic`).
fn named_code(case: &str) -> Option<Code> {
    Code::ALL
        .iter()
        .copied()
        .filter(|c| {
            case == c.name()
                || case
                    .strip_prefix(c.name())
                    .is_some_and(|rest| rest.starts_with('-'))
        })
        .max_by_key(|c| c.name().len())
}

#[test]
fn ui_snapshots() {
    let mut failed = Vec::new();
    for case in cases() {
        let outcome = catch_unwind(AssertUnwindSafe(|| {
            let checked = check_case(&case);
            let human = render(Format::Human, &checked.diagnostics, &checked.sources, false);
            let json = render(Format::Json, &checked.diagnostics, &checked.sources, false);
            insta::with_settings!({
                snapshot_path => "ui/snapshots",
                prepend_module_to_snapshot => false,
                omit_expression => true,
                description => description(&case),
                input_file => absolute(&format!("{UI}/{case}.trig")),
            }, {
                insta::assert_snapshot!(format!("{case}.human"), human);
                insta::assert_snapshot!(format!("{case}.json"), json);
            });
        }));
        if outcome.is_err() {
            failed.push(case);
        }
    }
    assert!(
        failed.is_empty(),
        "UI snapshots differ for: {}",
        failed.join(", ")
    );
}

#[test]
fn every_case_is_named_after_a_code_it_reports() {
    let mut problems = Vec::new();
    for case in cases() {
        let _ = description(&case);
        let Some(code) = named_code(&case) else {
            problems.push(format!("{case}: the name starts with no diagnostic name"));
            continue;
        };
        let checked = check_case(&case);
        if !checked.diagnostics.iter().any(|d| d.code == code) {
            problems.push(format!(
                "{case}: does not report {} {}",
                code.id(),
                code.name()
            ));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn every_code_has_a_ui_case() {
    let produced: BTreeSet<Code> = cases()
        .iter()
        .flat_map(|case| check_case(case).diagnostics.into_iter().map(|d| d.code))
        .collect();
    let missing: Vec<String> = Code::ALL
        .iter()
        .filter(|c| !produced.contains(c))
        .map(|c| format!("{} {}", c.id(), c.name()))
        .collect();
    assert!(
        missing.is_empty(),
        "no UI case reports: {}",
        missing.join(", ")
    );
}

#[test]
fn no_stray_files() {
    // A `NAME.toml` (or `NAME.test.toml`) without `NAME.trig` is a
    // project (or tests) no case uses.
    let dir = absolute(UI);
    let cases: BTreeSet<String> = cases().into_iter().collect();
    for entry in std::fs::read_dir(&dir).expect("ui folder").flatten() {
        let p = entry.path();
        if p.extension().is_some_and(|x| x == "toml") {
            // `NAME.toml` is a case's project, `NAME.test.toml` its tests.
            let name = p.file_name().and_then(|s| s.to_str()).unwrap_or_default();
            let stem = name
                .strip_suffix(".test.toml")
                .or_else(|| name.strip_suffix(".toml"))
                .unwrap_or(name)
                .to_string();
            assert!(
                stem == "trig" || cases.contains(&stem),
                "{}: no case `{stem}.trig` uses it",
                display(&p)
            );
        }
    }
}
