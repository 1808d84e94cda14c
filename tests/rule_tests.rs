//! `trig test` (rule tests, docs/testing.md) and `trig check
//! --require-tests`, run as the real binary: the output of passing and
//! failing cases (snapshots), the JUnit XML that CI servers read, exit
//! codes, and errors with their locations. The examples' own tests run in
//! tests/examples.rs.

use std::path::Path;
use std::process::{Command, Output};

const FIXTURE: &str = "tests/fixtures/rule_tests";

fn trig(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_trig"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(args)
        .output()
        .expect("run trig")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// Timings vary from run to run: `time="0.001"` and `finished in 0.00s`
/// become fixed.
fn redact_times(s: &str) -> String {
    let mut out = String::new();
    let mut rest = s;
    while let Some(i) = rest.find("time=\"") {
        out.push_str(&rest[..i + 6]);
        rest = &rest[i + 6..];
        let end = rest.find('"').unwrap_or(rest.len());
        out.push('T');
        rest = &rest[end..];
    }
    out.push_str(rest);
    out.lines()
        .map(|l| match l.find("; finished in ") {
            Some(i) => format!("{}; finished in T", &l[..i]),
            None => l.to_string(),
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn passing_cases_print_one_line_each_and_exit_0() {
    let o = trig(&["test", &format!("{FIXTURE}/passing.test.toml")]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    insta::assert_snapshot!("passing_human", redact_times(&text(&o.stdout)));
}

#[test]
fn failing_cases_show_a_diff_and_exit_1() {
    let o = trig(&["test", &format!("{FIXTURE}/failing.test.toml")]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o.stderr));
    let out = text(&o.stdout);
    assert!(
        out.contains("test result: FAILED. 1 passed; 3 failed"),
        "{out}"
    );
    insta::assert_snapshot!("failing_human", redact_times(&out));
}

#[test]
fn junit_has_the_shape_ci_servers_read() {
    let o = trig(&["test", FIXTURE, "--format", "junit"]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o.stderr));
    let xml = text(&o.stdout);
    // testsuites > testsuite (one a file) > testcase > failure.
    assert!(xml.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites "));
    assert!(xml.contains("<testsuites name=\"trig test\" tests=\"8\" failures=\"3\""));
    assert_eq!(xml.matches("<testsuite ").count(), 2);
    assert_eq!(xml.matches("<testcase ").count(), 8);
    assert_eq!(xml.matches("<failure ").count(), 3);
    assert_eq!(xml.matches("</testsuite>").count(), 2);
    assert!(xml.trim_end().ends_with("</testsuites>"));
    // Text from the input is escaped.
    assert!(xml.contains("&lt;a&amp;b&gt;"), "{xml}");
    assert!(
        xml.contains("name=\"tab&#9;and &#xFFFD; in a name\"")
            || xml.contains("name=\"tab&#9;and \u{FFFD} in a name\""),
        "{xml}"
    );
    assert!(!xml.contains("<a&b>"));
    insta::assert_snapshot!("junit", redact_times(&xml));
}

#[test]
fn the_examples_pass_their_tests() {
    for dir in ["examples", "examples/cdnow", "examples/backtest"] {
        let o = trig(&["test", dir]);
        let out = text(&o.stdout);
        assert_eq!(o.status.code(), Some(0), "{dir}:\n{out}{}", text(&o.stderr));
        assert!(out.contains("test result: ok."), "{out}");
    }
}

/// A broken test file stops everything with its location (exit 2).
#[test]
fn broken_test_files_are_errors_with_a_location() {
    let dir = std::env::temp_dir().join(format!("trig-rule-tests-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join(FIXTURE);
    for f in ["trig.toml", "rules.trig"] {
        std::fs::copy(root.join(f), dir.join(f)).unwrap();
    }
    let case = |file: &str, body: &str, expect: &str| {
        let p = dir.join(file);
        std::fs::write(&p, body).unwrap();
        let o = trig(&["test", p.to_str().unwrap()]);
        let err = text(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{file}: {err}");
        assert!(err.contains(expect), "{file}: {err}");
        std::fs::remove_file(&p).unwrap();
    };
    case(
        "syntax.test.toml",
        "[[test]]\nname = \"x\"\nevents = [\n",
        "syntax.test.toml:4:1: ",
    );
    case(
        "time.test.toml",
        "[[test]]\nname = \"x\"\nevents = [{ at = \"+2 hours\", event = \"e\" }]\n",
        "time.test.toml:3:18: `+2 hours`",
    );
    case(
        "field.test.toml",
        "[[test]]\nname = \"x\"\n[[test.expect]]\nrule = \"cart_sms\"\nchanel = \"sms\"\n",
        "field.test.toml:5:1: unknown field `chanel`",
    );
    case(
        "rule.test.toml",
        "[[test]]\nname = \"x\"\n[[test.expect]]\nrule = \"cart_smss\"\n",
        "rule.test.toml:3:1: test `x` names rule `cart_smss`, which the project does not have (did you mean `cart_sms`?)",
    );
    case("empty.test.toml", "# nothing\n", "no tests");
    case(
        "channel.test.toml",
        "[[test]]\nname = \"x\"\n[[test.expect_not]]\nchannel = \"smss\"\n",
        "channel.test.toml:3:1: test `x` expects channel `smss`, which is not a channel (whatsapp, sms, email, viber, rcs) (did you mean `sms`?)",
    );
    case(
        "event.test.toml",
        "[[test]]\nname = \"x\"\nevents = [{ at = \"+0\", event = \"cart.abandonned\" }]\n",
        "event.test.toml:1:1: test `x` has event `cart.abandonned`, which no rule of the project reacts to (did you mean `cart.abandoned`?)",
    );
    case(
        "until.test.toml",
        "[[test]]\nname = \"x\"\nuntil = \"-3h\"\nevents = [{ at = \"+0\", event = \"cart.abandoned\" }]\n",
        "until.test.toml:3:9: `until` is before the test's last event",
    );
    // JUnit still gets a report when nothing can run.
    let p = dir.join("junit.test.toml");
    std::fs::write(&p, "[[test]]\nname = 3\n").unwrap();
    let o = trig(&["test", p.to_str().unwrap(), "--format", "junit"]);
    assert_eq!(o.status.code(), Some(2));
    let xml = text(&o.stdout);
    assert!(
        xml.contains("<error message=\"") && xml.contains("junit.test.toml:2:8"),
        "{xml}"
    );
    std::fs::remove_file(&p).unwrap();
    // Only *.test.toml files are test files.
    let o = trig(&["test", &format!("{FIXTURE}/rules.trig")]);
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o.stderr).contains("not a rule test file"));
    std::fs::write(
        dir.join("rules.trig"),
        "rule r:\n  when x\n  then send sms 1\n",
    )
    .unwrap();
    case(
        "ok.test.toml",
        "[[test]]\nname = \"x\"\n",
        "have errors (above); no test was run",
    );
    let o = trig(&["test", dir.join("nothing-here").to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    let o = trig(&["test", FIXTURE, "--format", "xml"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o.stderr).contains("use human or junit"));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn require_tests_warns_about_rules_no_test_names() {
    // The fixture's tests name both rules: nothing to say.
    let o = trig(&[
        "check",
        "--require-tests",
        "--deny-warnings",
        "--config",
        &format!("{FIXTURE}/trig.toml"),
        FIXTURE,
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stdout));
    // The examples ship with tests for every rule.
    for project in ["examples", "examples/cdnow", "examples/backtest"] {
        let o = trig(&[
            "check",
            "--require-tests",
            "--deny-warnings",
            "--config",
            &format!("{project}/trig.toml"),
            project,
        ]);
        assert_eq!(o.status.code(), Some(0), "{project}: {}", text(&o.stdout));
    }
    // Checking one rule file counts only the tests beside it; without
    // `--require-tests` nothing is said.
    let rules = format!("{FIXTURE}/rules.trig");
    let config = format!("{FIXTURE}/trig.toml");
    let plain = trig(&["check", "--config", &config, &rules]);
    assert!(!text(&plain.stdout).contains("T0501"));
    let dir = std::env::temp_dir().join(format!("trig-require-tests-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::copy(&rules, dir.join("rules.trig")).unwrap();
    std::fs::copy(&config, dir.join("trig.toml")).unwrap();
    let o = trig(&["check", "--require-tests", dir.to_str().unwrap()]);
    let out = text(&o.stdout);
    assert_eq!(out.matches("warning[T0501]").count(), 2, "{out}");
    let _ = std::fs::remove_dir_all(&dir);
}
