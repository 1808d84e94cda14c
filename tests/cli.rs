//! The real `trig` binary, run in temporary folders: exit codes, output
//! formats, file discovery, suppression, `explain`, `fmt` and `trig.toml`.

use std::path::PathBuf;
use std::process::{Command, Output};
use std::sync::atomic::{AtomicUsize, Ordering};

use serde_json::Value;

/// A fresh folder under the system temp dir, removed when dropped.
struct Dir(PathBuf);

impl Dir {
    fn new(name: &str) -> Dir {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let path =
            std::env::temp_dir().join(format!("trig-cli-test-{}-{n}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(&path).unwrap();
        Dir(path)
    }

    fn write(&self, rel: &str, text: impl AsRef<[u8]>) -> &Self {
        let p = self.0.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
        self
    }

    fn read(&self, rel: &str) -> Vec<u8> {
        std::fs::read(self.0.join(rel)).unwrap()
    }

    fn path(&self, rel: &str) -> PathBuf {
        self.0.join(rel)
    }

    /// Runs `trig ARGS` in this folder (or a subfolder of it).
    fn trig(&self, args: &[&str]) -> Run {
        self.trig_in("", args)
    }

    fn trig_in(&self, sub: &str, args: &[&str]) -> Run {
        let out = Command::new(env!("CARGO_BIN_EXE_trig"))
            .args(args)
            .current_dir(self.0.join(sub))
            .env("NO_COLOR", "1")
            .output()
            .unwrap();
        Run::from(out, args)
    }
}

impl Drop for Dir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

impl Run {
    fn from(out: Output, args: &[&str]) -> Run {
        let code = out
            .status
            .code()
            .unwrap_or_else(|| panic!("trig {args:?} was killed: {:?}", out.status));
        Run {
            code,
            stdout: String::from_utf8(out.stdout).expect("stdout is UTF-8"),
            stderr: String::from_utf8(out.stderr).expect("stderr is UTF-8"),
        }
    }

    fn json(&self) -> Vec<Value> {
        match serde_json::from_str::<Value>(&self.stdout) {
            Ok(Value::Array(items)) => items,
            other => panic!("not a JSON array ({other:?}):\n{}", self.stdout),
        }
    }

    /// `code` of every JSON diagnostic.
    fn codes(&self) -> Vec<String> {
        self.json()
            .iter()
            .map(|d| d["code"].as_str().unwrap().to_string())
            .collect()
    }
}

impl std::fmt::Debug for Run {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "exit {}\n--- stdout\n{}\n--- stderr\n{}",
            self.code, self.stdout, self.stderr
        )
    }
}

/// No diagnostics at all: named, consent-checked, with opt-out wording.
const CLEAN: &str = "rule welcome:\n  when signup.completed\n  if customer.sms_opt_in\n  then send sms \"Welcome! Reply STOP to opt out\"\n";
/// Only a warning: an unnamed rule.
const WARN: &str = "when signup.completed if customer.sms_opt_in then send sms \"Welcome! Reply STOP to opt out\"\n";
/// A syntax error at 2:14 (`then` where a duration belongs).
const SYNTAX_ERROR: &str = "rule broken:\n  when a for then send sms \"x\"\n";
/// A checker error: a template that no catalog has.
const UNKNOWN_TEMPLATE: &str =
    "rule t:\n  when a\n  if customer.whatsapp_opt_in\n  then send whatsapp template \"no_such_template\"\n";

// ------------------------------------------------------------------ exit codes

#[test]
fn clean_file_exits_0() {
    let d = Dir::new("clean");
    d.write("clean.trig", CLEAN);
    let r = d.trig(&["check", "clean.trig"]);
    assert_eq!(r.code, 0, "{r:?}");
    assert!(r.stdout.trim().is_empty(), "{r:?}");
    let r = d.trig(&["check", "clean.trig", "--format", "json"]);
    assert_eq!(r.code, 0, "{r:?}");
    assert!(r.json().is_empty(), "{r:?}");
    let r = d.trig(&["check", "clean.trig", "--deny-warnings"]);
    assert_eq!(r.code, 0, "{r:?}");
}

#[test]
fn warnings_alone_exit_0_but_1_with_deny_warnings() {
    let d = Dir::new("warn");
    d.write("warn.trig", WARN);
    let r = d.trig(&["check", "warn.trig", "--format", "json"]);
    assert_eq!(r.code, 0, "{r:?}");
    assert_eq!(r.codes(), ["T0107"]);
    let r = d.trig(&["check", "warn.trig", "--deny-warnings"]);
    assert_eq!(r.code, 1, "{r:?}");
    assert!(r.stdout.contains("T0107"), "{r:?}");
}

#[test]
fn errors_exit_1() {
    let d = Dir::new("errors");
    d.write("syntax.trig", SYNTAX_ERROR)
        .write("template.trig", UNKNOWN_TEMPLATE);
    let r = d.trig(&["check", "syntax.trig"]);
    assert_eq!(r.code, 1, "{r:?}");
    assert!(r.stdout.contains("T0001"), "{r:?}");
    assert!(r.stdout.contains("syntax.trig:2:14"), "{r:?}");
    let r = d.trig(&["check", "template.trig", "--format", "json"]);
    assert_eq!(r.code, 1, "{r:?}");
    assert!(r.codes().contains(&"T0301".to_string()), "{r:?}");
}

#[test]
fn usage_errors_exit_2() {
    let d = Dir::new("usage");
    d.write("clean.trig", CLEAN);
    let r = d.trig(&["check", "missing.trig"]);
    assert_eq!(r.code, 2, "{r:?}");
    assert!(r.stderr.contains("missing.trig"), "{r:?}");
    let r = d.trig(&["check", "clean.trig", "missing_dir/"]);
    assert_eq!(r.code, 2, "{r:?}");
    let r = d.trig(&["check", "clean.trig", "--format", "bogus"]);
    assert_eq!(r.code, 2, "{r:?}");
    assert!(r.stderr.contains("bogus"), "{r:?}");
    let r = d.trig(&["check", "--no-such-flag"]);
    assert_eq!(r.code, 2, "{r:?}");
    let r = d.trig(&["frobnicate"]);
    assert_eq!(r.code, 2, "{r:?}");
    let r = d.trig(&["fmt", "missing.trig"]);
    assert_eq!(r.code, 2, "{r:?}");
}

// ------------------------------------------------------------------ formats

#[test]
fn json_format() {
    let d = Dir::new("json");
    d.write("syntax.trig", SYNTAX_ERROR)
        .write("warn.trig", WARN);
    let r = d.trig(&["check", "syntax.trig", "warn.trig", "--format", "json"]);
    assert_eq!(r.code, 1, "{r:?}");
    let items = r.json();
    assert_eq!(items.len(), 2, "{r:?}");
    let fields = [
        "code",
        "name",
        "severity",
        "message",
        "file",
        "line",
        "column",
        "end_line",
        "end_column",
        "help",
    ];
    for item in &items {
        let obj = item.as_object().expect("each diagnostic is an object");
        for f in fields {
            assert!(obj.contains_key(f), "missing field {f}: {item}");
        }
        for f in ["code", "name", "severity", "message", "file"] {
            assert!(obj[f].is_string(), "{f} is not a string: {item}");
        }
        for f in ["line", "column", "end_line", "end_column"] {
            assert!(
                obj[f].as_u64().is_some_and(|n| n >= 1),
                "{f} is not a 1-based number: {item}"
            );
        }
        assert!(obj["help"].is_string() || obj["help"].is_null(), "{item}");
    }
    let e = items
        .iter()
        .find(|i| i["file"] == "syntax.trig")
        .expect("the syntax error");
    assert_eq!(e["code"], "T0001");
    assert_eq!(e["name"], "syntax-error");
    assert_eq!(e["severity"], "error");
    assert_eq!(
        (e["line"].as_u64(), e["column"].as_u64()),
        (Some(2), Some(14))
    );
    assert_eq!(
        (e["end_line"].as_u64(), e["end_column"].as_u64()),
        (Some(2), Some(18))
    );
    assert!(
        e["message"]
            .as_str()
            .unwrap()
            .contains("expected a duration such as `2h` after `for`"),
        "{e}"
    );
    let w = items
        .iter()
        .find(|i| i["file"] == "warn.trig")
        .expect("the warning");
    assert_eq!(
        (&w["code"], &w["name"], &w["severity"]),
        (&"T0107".into(), &"unnamed-rule".into(), &"warning".into())
    );
}

#[test]
fn github_format() {
    let d = Dir::new("github");
    d.write("syntax.trig", SYNTAX_ERROR);
    let r = d.trig(&["check", "syntax.trig", "--format", "github"]);
    assert_eq!(r.code, 1, "{r:?}");
    let lines: Vec<&str> = r.stdout.lines().filter(|l| !l.is_empty()).collect();
    assert!(!lines.is_empty(), "{r:?}");
    for l in &lines {
        assert!(l.starts_with("::error file="), "{l}");
    }
    assert!(
        lines[0].starts_with("::error file=syntax.trig,line=2,col=14"),
        "{}",
        lines[0]
    );
    // Warnings get their own command.
    d.write("warn.trig", WARN);
    let r = d.trig(&["check", "warn.trig", "--format", "github"]);
    assert!(
        r.stdout
            .lines()
            .all(|l| l.is_empty() || l.starts_with("::warning file=")),
        "{r:?}"
    );
}

#[test]
fn sarif_format() {
    let d = Dir::new("sarif");
    d.write("syntax.trig", SYNTAX_ERROR);
    let r = d.trig(&["check", "syntax.trig", "--format", "sarif"]);
    assert_eq!(r.code, 1, "{r:?}");
    assert!(r.stdout.contains("\"version\": \"2.1.0\""), "{r:?}");
    let v: Value = serde_json::from_str(&r.stdout).expect("SARIF is JSON");
    assert_eq!(v["version"], "2.1.0");
    let results = v["runs"][0]["results"].as_array().expect("runs[0].results");
    assert_eq!(results.len(), 1);
    assert_eq!(results[0]["level"], "error");
}

#[test]
fn human_output_has_no_ansi_escapes_when_not_a_terminal() {
    let d = Dir::new("color");
    d.write("syntax.trig", SYNTAX_ERROR)
        .write("warn.trig", WARN);
    for no_color in [Some("1"), None] {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_trig"));
        cmd.args(["check", "syntax.trig", "warn.trig"])
            .current_dir(&d.0);
        match no_color {
            Some(v) => cmd.env("NO_COLOR", v),
            None => cmd.env_remove("NO_COLOR"),
        };
        let r = Run::from(cmd.output().unwrap(), &[]);
        assert_eq!(r.code, 1, "{r:?}");
        assert!(
            r.stdout.contains("T0001") && r.stdout.contains("T0107"),
            "{r:?}"
        );
        assert!(
            !r.stdout.contains("\x1b["),
            "ANSI escape in stdout (NO_COLOR={no_color:?}): {r:?}"
        );
        assert!(
            !r.stderr.contains("\x1b["),
            "ANSI escape in stderr (NO_COLOR={no_color:?}): {r:?}"
        );
    }
}

// ------------------------------------------------------------------ files

#[test]
fn all_problems_in_all_files_in_one_run() {
    let d = Dir::new("all");
    d.write("one.trig", SYNTAX_ERROR);
    d.write("two.trig", "rule a: when x then send sms \"{\"\n\nrule b: when y then send sms \"x\" quiet 25:00-01:00\n");
    let r = d.trig(&["check", "one.trig", "two.trig", "--format", "json"]);
    assert_eq!(r.code, 1, "{r:?}");
    let got: Vec<(String, String, u64)> = r
        .json()
        .iter()
        .map(|i| {
            (
                i["file"].as_str().unwrap().into(),
                i["code"].as_str().unwrap().into(),
                i["line"].as_u64().unwrap(),
            )
        })
        .collect();
    for want in [
        ("one.trig", "T0001", 2),
        ("two.trig", "T0004", 1),
        ("two.trig", "T0007", 3),
    ] {
        assert!(
            got.iter()
                .any(|g| (g.0.as_str(), g.1.as_str(), g.2) == want),
            "{want:?} missing from {got:?}"
        );
    }
    // The human summary counts them all.
    let r = d.trig(&["check", "one.trig", "two.trig"]);
    assert!(
        r.stdout.contains("one.trig") && r.stdout.contains("two.trig"),
        "{r:?}"
    );
    assert!(r.stderr.contains("3 error(s)"), "{r:?}");
}

#[test]
fn folders_are_searched_recursively_for_trig_files() {
    let d = Dir::new("recursive");
    d.write("top.trig", SYNTAX_ERROR)
        .write("a/b/c/deep.trig", SYNTAX_ERROR)
        .write("a/notes.txt", "when when when")
        .write("a/b/rules.trig.bak", "when when when");
    let files = |r: &Run| {
        let mut f: Vec<String> = r
            .json()
            .iter()
            .map(|i| i["file"].as_str().unwrap().to_string())
            .collect();
        f.sort();
        f.dedup();
        f
    };
    let r = d.trig(&["check", ".", "--format", "json"]);
    assert_eq!(r.code, 1, "{r:?}");
    assert_eq!(files(&r), ["a/b/c/deep.trig", "top.trig"], "{r:?}");
    // No path: the current folder.
    let r = d.trig(&["check", "--format", "json"]);
    assert_eq!(files(&r), ["a/b/c/deep.trig", "top.trig"], "{r:?}");
    let r = d.trig(&["check", "a", "--format", "json"]);
    assert_eq!(files(&r), ["a/b/c/deep.trig"], "{r:?}");
}

// ------------------------------------------------------------------ suppression

#[test]
fn ignore_comment_suppresses_a_warning_for_the_next_rule() {
    let d = Dir::new("ignore");
    d.write(
        "s.trig",
        "# trig: ignore[unnamed-rule]\nwhen a if customer.sms_opt_in then send sms \"Hi STOP\"\n\nwhen b if customer.sms_opt_in then send sms \"Hi STOP\"\n",
    );
    let r = d.trig(&["check", "s.trig", "--format", "json"]);
    let items = r.json();
    assert_eq!(items.len(), 1, "{r:?}");
    assert_eq!(items[0]["code"], "T0107");
    assert_eq!(items[0]["line"], 4, "only the second rule is reported");
    // By code as well.
    d.write(
        "c.trig",
        "# trig: ignore[T0107]\nwhen a if customer.sms_opt_in then send sms \"Hi STOP\"\n",
    );
    let r = d.trig(&["check", "c.trig", "--format", "json", "--deny-warnings"]);
    assert_eq!(r.code, 0, "{r:?}");
    assert!(r.json().is_empty(), "{r:?}");
}

#[test]
fn unknown_name_in_ignore_comment_is_t0111() {
    let d = Dir::new("ignore-unknown");
    d.write("s.trig", "# trig: ignore[unnamed-rule, no-such-lint]\nwhen a if customer.sms_opt_in then send sms \"Hi STOP\"\n");
    let r = d.trig(&["check", "s.trig", "--format", "json"]);
    let items = r.json();
    assert_eq!(items.len(), 1, "{r:?}");
    let i = &items[0];
    assert_eq!(
        (&i["code"], &i["name"]),
        (&"T0111".into(), &"unknown-suppression".into())
    );
    assert_eq!(
        (i["line"].as_u64(), i["column"].as_u64()),
        (Some(1), Some(30))
    );
    assert!(
        i["message"].as_str().unwrap().contains("no-such-lint"),
        "{i}"
    );
}

// ------------------------------------------------------------------ explain

#[test]
fn explain_by_code_and_by_name() {
    let d = Dir::new("explain");
    let by_code = d.trig(&["explain", "T0301"]);
    assert_eq!(by_code.code, 0, "{by_code:?}");
    assert!(by_code.stdout.contains("T0301"), "{by_code:?}");
    assert!(
        by_code.stdout.len() > 200,
        "a real explanation: {by_code:?}"
    );
    let by_name = d.trig(&["explain", "unknown-template"]);
    assert_eq!(by_name.code, 0, "{by_name:?}");
    assert_eq!(by_name.stdout, by_code.stdout);
    let lower = d.trig(&["explain", "t0301"]);
    assert_eq!(lower.stdout, by_code.stdout);
    // Syntax codes have explanations too.
    for code in [
        "T0001", "T0002", "T0003", "T0004", "T0005", "T0006", "T0007", "T0008", "T0009", "T0010",
        "T0111",
    ] {
        let r = d.trig(&["explain", code]);
        assert_eq!(r.code, 0, "{code}: {r:?}");
        assert!(!r.stdout.trim().is_empty(), "{code}");
    }
}

#[test]
fn explain_unknown_code_exits_2() {
    let d = Dir::new("explain-unknown");
    let r = d.trig(&["explain", "T9999"]);
    assert_eq!(r.code, 2, "{r:?}");
    assert!(r.stderr.contains("T9999"), "{r:?}");
    assert!(r.stdout.is_empty(), "{r:?}");
    let r = d.trig(&["explain"]);
    assert_eq!(r.code, 0, "{r:?}");
    assert!(
        r.stdout.contains("T0301") && r.stdout.contains("unknown-template"),
        "{r:?}"
    );
}

// ------------------------------------------------------------------ fmt

const UGLY: &str = "rule   r:   when   signup.completed\n\n\n     if customer.sms_opt_in   then send sms \"Hi STOP\"    once\n";

#[test]
fn fmt_check_reports_and_changes_nothing() {
    let d = Dir::new("fmt-check");
    d.write("ugly.trig", UGLY);
    let r = d.trig(&["fmt", "--check", "ugly.trig"]);
    assert_eq!(r.code, 1, "{r:?}");
    assert!(
        r.stdout.contains("ugly.trig") || r.stderr.contains("ugly.trig"),
        "{r:?}"
    );
    assert_eq!(d.read("ugly.trig"), UGLY.as_bytes());
}

#[test]
fn fmt_rewrites_the_file() {
    let d = Dir::new("fmt");
    d.write("ugly.trig", UGLY).write("sub/also.trig", UGLY);
    let r = d.trig(&["fmt", "ugly.trig"]);
    assert_eq!(r.code, 0, "{r:?}");
    let after = String::from_utf8(d.read("ugly.trig")).unwrap();
    assert_ne!(after, UGLY);
    // Now it is formatted, still means the same, and a second run is a no-op.
    let r = d.trig(&["fmt", "--check", "ugly.trig"]);
    assert_eq!(r.code, 0, "{r:?}");
    let r = d.trig(&["check", "ugly.trig", "--format", "json", "--deny-warnings"]);
    assert_eq!(r.code, 0, "{r:?}");
    let (before, _) = trig::syntax::parse_file(UGLY, trig::diag::FileId(0));
    let (now, _) = trig::syntax::parse_file(&after, trig::diag::FileId(0));
    assert_eq!(before.rules.len(), now.rules.len());
    assert_eq!(now.rules[0].name.as_ref().unwrap().name, "r");
    // Folders work for fmt too.
    let r = d.trig(&["fmt", "--check", "."]);
    assert_eq!(r.code, 1, "sub/also.trig is still ugly: {r:?}");
    let r = d.trig(&["fmt", "."]);
    assert_eq!(r.code, 0, "{r:?}");
    assert_eq!(d.read("sub/also.trig"), after.as_bytes());
}

#[test]
fn fmt_leaves_a_file_that_does_not_parse_byte_identical() {
    let d = Dir::new("fmt-broken");
    let broken = "rule   broken:\r\n   when a for then   send sms \"x\"\r\n\r\n rule  ok: when b then send sms \"y\"\n";
    d.write("broken.trig", broken);
    for args in [
        &["fmt", "broken.trig"][..],
        &["fmt", "--check", "broken.trig"][..],
        &["fmt", "."][..],
    ] {
        let r = d.trig(args);
        assert_eq!(r.code, 1, "{args:?}: {r:?}");
        assert!(r.stderr.contains("broken.trig"), "{args:?}: {r:?}");
        assert!(
            r.stderr.contains("T0001"),
            "the parse error is shown: {r:?}"
        );
        assert_eq!(
            d.read("broken.trig"),
            broken.as_bytes(),
            "{args:?} changed the file"
        );
    }
}

// ------------------------------------------------------------------ trig.toml

#[test]
fn trig_toml_is_found_from_the_current_folder_and_above() {
    let d = Dir::new("config");
    d.write("rules/warn.trig", WARN);
    d.write("rules/deeper/more/x.txt", "");
    // Without a config the warning fails --deny-warnings.
    let r = d.trig(&["check", "rules", "--deny-warnings"]);
    assert_eq!(r.code, 1, "{r:?}");
    d.write("trig.toml", "[lint]\nallow = [\"unnamed-rule\"]\n");
    let r = d.trig(&["check", "rules", "--deny-warnings", "--format", "json"]);
    assert_eq!(r.code, 0, "{r:?}");
    assert!(r.json().is_empty(), "{r:?}");
    // From a subfolder: looked up upward.
    let r = d.trig_in(
        "rules/deeper/more",
        &["check", "../../warn.trig", "--deny-warnings"],
    );
    assert_eq!(r.code, 0, "{r:?}");
}

#[test]
fn a_broken_trig_toml_is_reported() {
    let d = Dir::new("config-broken");
    d.write("clean.trig", CLEAN).write(
        "trig.toml",
        "[lint]\nallow = [\"unnamed-rule\"]\nno_such_key = 1\n",
    );
    let r = d.trig(&["check", "clean.trig", "--format", "json"]);
    assert_eq!(r.code, 1, "{r:?}");
    let items = r.json();
    let cfg = items
        .iter()
        .find(|i| i["code"] == "T0403")
        .unwrap_or_else(|| panic!("{r:?}"));
    assert!(
        cfg["file"].as_str().unwrap().ends_with("trig.toml"),
        "{cfg}"
    );
    assert_eq!(cfg["line"], 3);
    assert!(
        cfg["message"].as_str().unwrap().contains("no_such_key"),
        "{cfg}"
    );
}

#[test]
fn explicit_config_flag() {
    let d = Dir::new("config-flag");
    d.write("warn.trig", WARN)
        .write("conf/other.toml", "[lint]\nallow = [\"T0107\"]\n");
    let r = d.trig(&["check", "warn.trig", "--deny-warnings"]);
    assert_eq!(r.code, 1, "{r:?}");
    let cfg = d.path("conf/other.toml");
    let r = d.trig(&[
        "check",
        "warn.trig",
        "--deny-warnings",
        "--config",
        cfg.to_str().unwrap(),
    ]);
    assert_eq!(r.code, 0, "{r:?}");
    let r = d.trig(&["check", "warn.trig", "--config", "conf/missing.toml"]);
    assert_eq!(r.code, 2, "{r:?}");
}

#[test]
fn invalid_utf8_is_t0010_and_other_files_are_still_checked() {
    let d = Dir::new("utf8");
    d.write("bad.trig", b"when a then send sms \"caf\xE9\"\n".as_slice())
        .write("good.trig", SYNTAX_ERROR);
    let r = d.trig(&["check", ".", "--format", "json"]);
    assert_eq!(r.code, 1, "{r:?}");
    let got: Vec<(String, String)> = r
        .json()
        .iter()
        .map(|i| {
            (
                i["file"].as_str().unwrap().into(),
                i["code"].as_str().unwrap().into(),
            )
        })
        .collect();
    assert!(
        got.contains(&("bad.trig".into(), "T0010".into())),
        "{got:?}"
    );
    assert!(
        got.contains(&("good.trig".into(), "T0001".into())),
        "{got:?}"
    );
}

// ------------------------------------------------------------------ pipes

/// `trig explain | head -1`: the reader goes away early; trig must not panic.
#[test]
fn closed_stdout_pipe_is_not_a_panic() {
    use std::process::{Command, Stdio};
    for args in [vec!["explain"], vec!["explain", "T0311"]] {
        let mut child = Command::new(env!("CARGO_BIN_EXE_trig"))
            .args(&args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        drop(child.stdout.take());
        let out = child.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_ne!(out.status.code(), Some(101), "{args:?}: {stderr}");
        assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
    }
}

/// An ESC byte in a rule file must not reach the terminal raw.
#[test]
fn control_characters_are_not_echoed() {
    let d = Dir::new("control-chars");
    d.write(
        "s.trig",
        "when cart.abandoned\u{1b}]0;PWNED\u{7} then send sms \"x\"\n",
    );
    let r = d.trig(&["check", "s.trig"]);
    assert_eq!(r.code, 1, "{r:?}");
    assert!(
        !r.stdout.contains('\u{1b}') && !r.stdout.contains('\u{7}'),
        "{:?}",
        r.stdout
    );
}

/// Without `--config`, the project is the `trig.toml` nearest above the
/// path given (not above the current folder): `trig check shop/` from
/// outside the project uses the shop's catalogs.
#[test]
fn the_project_is_found_from_the_path_given() {
    let d = Dir::new("project-from-path");
    d.write(
        "shop/trig.toml",
        "[project]\ntimezone = \"UTC\"\n[catalogs]\ntemplates = \"templates.toml\"\n",
    )
    .write(
        "shop/templates.toml",
        "[[template]]\nchannel = \"email\"\nname = \"hello\"\nlanguages = [\"en\"]\nparams = []\nsubject = \"Hi\"\nbody = \"Hello\"\n",
    )
    .write(
        "shop/rules/hello.trig",
        "rule hello:\n  when signup.completed\n  if customer.email_opt_in\n  then send email template \"hello\"\n  tag transactional\n",
    );
    for path in ["shop", "shop/rules", "shop/rules/hello.trig"] {
        let r = d.trig(&["check", path, "--format", "json"]);
        assert_eq!(r.code, 0, "{path}: {r:?}");
        assert!(r.json().is_empty(), "{path}: {r:?}");
    }
    // `--config` still wins.
    d.write("other.toml", "[project]\ntimezone = \"UTC\"\n");
    let r = d.trig(&[
        "check",
        "shop",
        "--config",
        "other.toml",
        "--format",
        "json",
    ]);
    assert_eq!(r.codes(), ["T0301"], "{r:?}");
}
