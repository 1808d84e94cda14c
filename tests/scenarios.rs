//! Scenario tests: each `tests/scenarios/*.scn` file is a small document —
//! rules, events, and the actions (and optionally the suppressions) that
//! must come out — run through the real checker, compiler and VM. The
//! format is described in tests/scenarios/README.md.

#[path = "common/scenario.rs"]
mod scenario;

use std::path::Path;

use scenario::Scenario;

#[test]
fn every_scenario_gives_its_expected_actions() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/scenarios");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .expect("tests/scenarios exists")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "scn"))
        // `SCENARIO=quiet cargo test --test scenarios` runs only the files
        // whose name contains `quiet`.
        .filter(|p| match std::env::var("SCENARIO") {
            Ok(only) => p
                .file_name()
                .is_some_and(|n| n.to_string_lossy().contains(&only)),
            Err(_) => true,
        })
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no scenarios found");
    let mut failures = Vec::new();
    for f in &files {
        let text = std::fs::read_to_string(f).expect("readable scenario");
        let name = f
            .file_name()
            .unwrap_or_default()
            .to_string_lossy()
            .to_string();
        let s = match Scenario::parse(&text) {
            Ok(s) => s,
            Err(e) => {
                failures.push(format!("{name}: bad scenario file: {e}"));
                continue;
            }
        };
        if let Err(e) = scenario::check(&s, &dir) {
            failures.push(format!("{name}:\n{e}"));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} scenarios failed:\n\n{}",
        failures.len(),
        files.len(),
        failures.join("\n\n")
    );
}
