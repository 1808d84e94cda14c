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

/// The backtest table in README.md ("Backtest a rule before it goes
/// live") is what the two commands above it report.
#[test]
fn readme_backtest_table_matches_the_reports() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let dir = std::env::temp_dir().join(format!("trig-readme-backtest-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let goal = |days: &str| -> serde_json::Value {
        let html = dir.join(format!("winback-{days}.html"));
        let out = Command::new(env!("CARGO_BIN_EXE_trig"))
            .current_dir(root)
            .args(["run", "--config", "examples/backtest/trig.toml"])
            .arg(format!("examples/backtest/winback_{days}.trig"))
            .args(["--events", "examples/data/cdnow_purchases.ndjson"])
            .args(["--out", "/dev/null", "--report"])
            .arg(&html)
            .output()
            .expect("run trig");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let json = std::fs::read_to_string(html.with_extension("json")).expect("report json");
        let v: serde_json::Value = serde_json::from_str(&json).expect("json");
        v["rules"][format!("winback_{days}")]["goal"].clone()
    };
    let (a, b) = (goal("60d"), goal("90d"));
    let n = |v: &serde_json::Value, k: &str| v[k].as_u64().expect(k);
    let f = |v: &serde_json::Value, k: &str| v[k].as_f64().expect(k);
    let thousands = trig::report::thousands;
    let signed = |x: f64| {
        let s = format!("{:+.1}", x);
        s.replacen('-', "−", 1)
    };
    let lift = |v: &serde_json::Value| {
        format!(
            "{} points [{}, {}]",
            signed(f(v, "lift_points")),
            signed(f(v, "ci_low")).replacen('+', "", 1),
            signed(f(v, "ci_high"))
        )
    };
    // A README row: the label, then the 60-day and the 90-day cells.
    let row = |label: &str, cell: &dyn Fn(&serde_json::Value) -> String| {
        format!("| {label} | {} | {} |", cell(&a), cell(&b))
    };
    let converted = |count: &'static str, rate: &'static str| {
        move |v: &serde_json::Value| format!("{} ({:.1} %)", n(v, count), f(v, rate))
    };
    let rows = [
        row("sends", &|v| thousands(n(v, "sent"))),
        row("held out (no message)", &|v| n(v, "holdout").to_string()),
        row(
            "ordered within 30 days, sent",
            &converted("sent_converted", "sent_rate_pct"),
        ),
        row(
            "ordered within 30 days, held out",
            &converted("holdout_converted", "holdout_rate_pct"),
        ),
        row("lift [95 % CI]", &lift),
    ];
    let readme = std::fs::read_to_string(root.join("README.md")).expect("README.md");
    for row in rows {
        assert!(readme.contains(&row), "README.md lacks the row\n{row}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}
