//! The outside tools that the editor tests drive (the tree-sitter CLI,
//! Node.js with the VS Code tokenizer, Vim and Neovim), and headless
//! Chromium, which renders `trig run --report`'s page (tests/report.rs).
//! A developer may not have them: then the test prints `SKIPPED: …` and
//! passes. CI installs
//! them and sets `TRIG_REQUIRE_EDITOR_TESTS=1`, which turns a missing tool
//! into a failure, so that a broken install step cannot pass as a skip.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

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

/// Headless Chromium (Debian's `chromium`), or a skip as `find` says.
pub fn chromium() -> Option<PathBuf> {
    find(
        "chromium",
        "apt-get install chromium",
        &[PathBuf::from("chromium")],
    )
}

/// Renders `page` in headless Chromium into the PNG `shot`, the window
/// `size` pixels; returns Chromium's log (stderr, console messages
/// included). Each call has its own profile folder, next to `shot`, so
/// tests running at once do not share one.
pub fn screenshot(chromium: &Path, page: &Path, shot: &Path, size: (u32, u32)) -> String {
    let profile = shot.with_extension("profile");
    let mut child = Command::new(chromium)
        .args(["--headless", "--no-sandbox", "--disable-gpu"])
        .args(["--enable-logging=stderr", "--v=0"])
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg(format!("--screenshot={}", shot.display()))
        .arg(format!("--window-size={},{}", size.0, size.1))
        .arg(format!("file://{}", page.display()))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {}: {e}", chromium.display()));
    // Read from threads: a full pipe would block the browser.
    let drain = |mut r: Box<dyn std::io::Read + Send>| {
        std::thread::spawn(move || {
            let mut text = String::new();
            let _ = r.read_to_string(&mut text);
            text
        })
    };
    let stdout = drain(Box::new(child.stdout.take().expect("piped stdout")));
    let stderr = drain(Box::new(child.stderr.take().expect("piped stderr")));
    // A browser that hangs must fail the test, not stall the suite.
    let deadline = Instant::now() + Duration::from_secs(120);
    let status = loop {
        if let Some(status) = child.try_wait().expect("waiting for chromium") {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("chromium took over 2 minutes to render {}", page.display());
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let (stdout, log) = (
        stdout.join().unwrap_or_default(),
        stderr.join().unwrap_or_default(),
    );
    let _ = std::fs::remove_dir_all(&profile);
    assert!(
        status.success(),
        "chromium --headless --screenshot failed ({status}):\n{stdout}\n{log}"
    );
    log
}

/// The lines of a Chromium log that report the page's console (messages,
/// uncaught exceptions) or an error about the page itself.
pub fn console_errors<'a>(log: &'a str, page: &Path) -> Vec<&'a str> {
    let name = page
        .file_name()
        .map_or(String::new(), |n| n.to_string_lossy().into_owned());
    log.lines()
        .filter(|l| {
            l.contains(":CONSOLE")
                || l.contains("Uncaught")
                || (l.contains("ERROR") && !name.is_empty() && l.contains(&name))
        })
        .collect()
}
