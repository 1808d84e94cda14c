//! README.md's rules are real: every ```trig block after the first (the
//! bare one-liner, which has no name and no consent guard) passes
//! `trig check --deny-warnings` with the example project, as the README
//! says, and is already formatted.

use std::path::Path;
use std::process::Command;

fn blocks() -> Vec<String> {
    let readme = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md"))
        .expect("README.md");
    let mut out = Vec::new();
    let mut current: Option<String> = None;
    for line in readme.lines() {
        match (&mut current, line.trim_start()) {
            (None, l) if l.starts_with("```trig") => current = Some(String::new()),
            (Some(b), l) if l.starts_with("```") => {
                out.push(std::mem::take(b));
                current = None;
            }
            (Some(b), _) => {
                b.push_str(line);
                b.push('\n');
            }
            (None, _) => {}
        }
    }
    out
}

#[test]
fn readme_rules_check_clean_with_the_example_project() {
    let blocks = blocks();
    assert!(blocks.len() >= 5, "README has {} trig blocks", blocks.len());
    let dir = std::env::temp_dir().join(format!("trig-readme-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut failures = Vec::new();
    for (i, b) in blocks.iter().enumerate().skip(1) {
        let file = dir.join(format!("block{i}.trig"));
        std::fs::write(&file, b).expect("write block");
        let out = Command::new(env!("CARGO_BIN_EXE_trig"))
            .args(["check", "--deny-warnings", "--config"])
            .arg(root.join("examples/trig.toml"))
            .arg(&file)
            .env("NO_COLOR", "1")
            .output()
            .expect("trig runs");
        if !out.status.success() {
            failures.push(format!(
                "block {i}:\n{b}\n{}",
                String::from_utf8_lossy(&out.stdout)
            ));
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
