//! The outside tools that the editor tests drive (the tree-sitter CLI,
//! Node.js with the VS Code tokenizer, Vim and Neovim). A developer may not
//! have them: then the test prints `SKIPPED: …` and passes. CI installs
//! them and sets `TRIG_REQUIRE_EDITOR_TESTS=1`, which turns a missing tool
//! into a failure, so that a broken install step cannot pass as a skip.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// Whether `exe --version` runs and succeeds.
pub fn runs(exe: &Path) -> bool {
    Command::new(exe)
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

/// The first of `candidates` that runs; otherwise a skip (or, under
/// `TRIG_REQUIRE_EDITOR_TESTS=1`, a failure) naming how to install it.
pub fn find(what: &str, install: &str, candidates: &[PathBuf]) -> Option<PathBuf> {
    let found = candidates.iter().find(|exe| runs(exe)).cloned();
    if found.is_none() {
        missing(what, install);
    }
    found
}

/// Reports a tool that is not there: see the module comment.
pub fn missing(what: &str, install: &str) {
    assert!(
        std::env::var("TRIG_REQUIRE_EDITOR_TESTS").as_deref() != Ok("1"),
        "TRIG_REQUIRE_EDITOR_TESTS=1 but {what} is not installed ({install})"
    );
    eprintln!("SKIPPED: {what} not found ({install})");
}

/// Fails the test, with both outputs, unless `out` is a success.
pub fn assert_success(what: &str, out: &Output) -> String {
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "`{what}` failed ({}):\n{stdout}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}
