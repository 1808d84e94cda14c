//! The shipped examples stay clean: `trig check --deny-warnings` passes on
//! examples/ with its own trig.toml and reports nothing, and `trig fmt
//! --check` finds nothing to reformat. These are the commands README.md and
//! .ci/run document, run against the built binary.

use std::path::Path;
use std::process::{Command, Output};

fn trig(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_trig"))
        .args(args)
        .current_dir(Path::new(env!("CARGO_MANIFEST_DIR")))
        // No colour codes, whatever the environment says.
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

#[test]
fn examples_check_clean_with_deny_warnings() {
    let out = trig(&[
        "check",
        "--deny-warnings",
        "--config",
        "examples/trig.toml",
        "examples/",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", describe(&out));
}

#[test]
fn examples_have_no_diagnostics_at_all() {
    let out = trig(&[
        "check",
        "--deny-warnings",
        "--format",
        "json",
        "--config",
        "examples/trig.toml",
        "examples/",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", describe(&out));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("--format json is not JSON ({e}): {}", describe(&out)));
    // Notes never fail a run, so an empty array is checked separately.
    assert_eq!(json, serde_json::json!([]), "{}", describe(&out));
}

#[test]
fn examples_are_formatted() {
    let out = trig(&["fmt", "--check", "examples/"]);
    assert_eq!(out.status.code(), Some(0), "{}", describe(&out));
}
