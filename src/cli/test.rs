//! `trig test`: rule tests (`*.test.toml`, docs/testing.md) found under
//! the given paths, each run against its project's rules. Output like
//! `cargo test`, or JUnit XML for CI. Exit 0 when all pass, 1 when one
//! fails, 2 when a test file or the rules cannot be used.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use trig::compile::Program;
use trig::testing::{self, Case, Outcome, Suite};

use super::{project, EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE};

#[derive(clap::Args)]
pub struct Args {
    /// Test files (*.test.toml) or folders to search; default: the current
    /// folder.
    paths: Vec<PathBuf>,
    /// The project file for every test (default: the trig.toml nearest
    /// each test file).
    #[arg(long)]
    config: Option<PathBuf>,
    /// Output format: human or junit (XML on stdout, for CI).
    #[arg(long, default_value = "human")]
    format: String,
}

/// One test file, loaded with the program its rules compile to.
struct Loaded {
    path: String,
    suite: Suite,
    program: Arc<Program>,
}

/// One case's result.
pub struct Ran<'a> {
    pub case: &'a Case,
    pub outcome: Outcome,
    pub seconds: f64,
}

pub fn run(a: Args) -> i32 {
    let junit = match a.format.as_str() {
        "human" => false,
        "junit" => true,
        other => {
            eprintln!("trig test: unknown --format `{other}` (use human or junit)");
            return EXIT_USAGE;
        }
    };
    let loaded = match load_all(&a) {
        Ok(l) => l,
        Err(msg) => {
            eprintln!("{msg}");
            if junit {
                // CI still gets a report, with the reason as an error.
                super::out(&junit_error(&msg));
            }
            return EXIT_USAGE;
        }
    };
    let started = Instant::now();
    let results: Vec<(&Loaded, Vec<Ran>)> = loaded
        .iter()
        .map(|l| (l, l.suite.tests.iter().map(|c| run_one(l, c)).collect()))
        .collect();
    let failed = results
        .iter()
        .flat_map(|(_, r)| r)
        .filter(|r| !r.outcome.passed())
        .count();
    if junit {
        let files: Vec<(&str, &[Ran])> = results
            .iter()
            .map(|(l, r)| (l.path.as_str(), &r[..]))
            .collect();
        super::out(&junit_xml(&files, started.elapsed().as_secs_f64()));
    } else {
        super::out(&human(&results, started.elapsed().as_secs_f64()));
    }
    if failed > 0 {
        EXIT_PROBLEMS
    } else {
        EXIT_OK
    }
}

fn run_one<'a>(l: &Loaded, case: &'a Case) -> Ran<'a> {
    let t = Instant::now();
    let outcome = testing::run_case(&l.program, case);
    Ran {
        case,
        outcome,
        seconds: t.elapsed().as_secs_f64(),
    }
}

/// Finds, parses and compiles everything before anything runs: a broken
/// file stops the run with its location.
fn load_all(a: &Args) -> Result<Vec<Loaded>, String> {
    let paths = if a.paths.is_empty() {
        vec![PathBuf::from(".")]
    } else {
        a.paths.clone()
    };
    let files = test_files(&paths)?;
    if files.is_empty() {
        let shown: Vec<String> = paths.iter().map(|p| project::display(p)).collect();
        return Err(format!(
            "trig test: no *.test.toml files under {} (docs/testing.md)",
            shown.join(", ")
        ));
    }
    let mut programs: BTreeMap<(Option<PathBuf>, PathBuf), Arc<Program>> = BTreeMap::new();
    let mut out = Vec::new();
    for f in files {
        let path = project::display(&f);
        let text = project::read(&f).map_err(|e| format!("trig test: {}", e.0))?;
        let suite = testing::parse(&text)
            .map_err(|e| format!("{path}:{}:{}: {}", e.line, e.col, e.message))?;
        let (config, rules) = project_of(&f, a.config.as_deref());
        if config.is_none() {
            eprintln!(
                "trig test: note: no trig.toml above {path}: its tests run against the rules in {} without a project (no catalogs, schema or settings)",
                project::display(&rules)
            );
        }
        let key = (config.clone(), rules.clone());
        let program = match programs.get(&key) {
            Some(p) => p.clone(),
            None => {
                let p = compile(&config, &rules)?;
                programs.insert(key, p.clone());
                p
            }
        };
        check_names(&path, &suite, &program)?;
        out.push(Loaded {
            path,
            suite,
            program,
        });
    }
    Ok(out)
}

/// The project file and rule folder of a test file: `--config` (its
/// folder's rules), else the nearest `trig.toml` above the test, else the
/// test's own folder.
fn project_of(test: &Path, config: Option<&Path>) -> (Option<PathBuf>, PathBuf) {
    let dir = project::folder_of(test);
    let config = config
        .map(Path::to_path_buf)
        .or_else(|| project::find_config(&dir));
    let rules = config.as_deref().map_or(dir, project::folder_of);
    (config, rules)
}

fn compile(config: &Option<PathBuf>, rules: &Path) -> Result<Arc<Program>, String> {
    match project::compile_or_load(&[rules.to_path_buf()], config.as_deref()) {
        Ok(Some(p)) => Ok(Arc::new(p)),
        Ok(None) => Err(format!(
            "trig test: the rules in {} have errors (above); no test was run",
            project::display(rules)
        )),
        Err(e) => Err(format!("trig test: {e}")),
    }
}

/// Every rule a test names must exist: a typo would make an `expect_not`
/// pass for ever.
fn check_names(path: &str, suite: &Suite, program: &Program) -> Result<(), String> {
    let known: Vec<&str> = program.rules.iter().map(|r| r.name.as_str()).collect();
    for case in &suite.tests {
        let named = case
            .expect
            .iter()
            .chain(&case.expect_not)
            .filter_map(|x| x.rule.as_deref().map(|r| (r, x.line)))
            .chain(case.scope.iter().flatten().map(|r| (r.as_str(), case.line)));
        for (rule, line) in named {
            if !known.contains(&rule) {
                let hint = strsim_best(rule, &known)
                    .map(|b| format!(" (did you mean `{b}`?)"))
                    .unwrap_or_default();
                return Err(format!(
                    "{path}:{line}:1: test `{}` names rule `{rule}`, which the project does not have{hint}",
                    case.name
                ));
            }
        }
        check_channels(path, case)?;
        check_events(path, case, program)?;
    }
    Ok(())
}

fn check_channels(path: &str, case: &Case) -> Result<(), String> {
    let channels = trig::syntax::lexer::CHANNELS;
    for x in case.expect.iter().chain(&case.expect_not) {
        if let Some(c) = x.channel.as_deref().filter(|c| !channels.contains(c)) {
            let hint = strsim_best(c, channels)
                .map(|b| format!(" (did you mean `{b}`?)"))
                .unwrap_or_default();
            return Err(format!(
                "{path}:{}:1: test `{}` expects channel `{c}`, which is not a channel ({}){hint}",
                x.line,
                case.name,
                channels.join(", ")
            ));
        }
    }
    Ok(())
}

/// An event no rule reacts to changes nothing: in a test it is almost
/// always a misspelt name, which would make an "is ignored" test pass for
/// the wrong reason. (With an `inactive` rule every event is activity.)
fn check_events(path: &str, case: &Case, program: &Program) -> Result<(), String> {
    if !program.any_event.is_empty() {
        return Ok(());
    }
    let handled: Vec<&str> = program.dispatch.iter().map(|(n, _)| n.as_str()).collect();
    let unknown = case
        .events
        .iter()
        .find(|e| e.kind == trig::runtime::EventKind::Track && !handled.contains(&&*e.name));
    let Some(e) = unknown else { return Ok(()) };
    let hint = strsim_best(&e.name, &handled)
        .map(|b| format!(" (did you mean `{b}`?)"))
        .unwrap_or_default();
    Err(format!(
        "{path}:{}:1: test `{}` has event `{}`, which no rule of the project reacts to{hint}",
        case.line, case.name, e.name
    ))
}

fn strsim_best<'a>(name: &str, known: &[&'a str]) -> Option<&'a str> {
    known
        .iter()
        .map(|k| (strsim::jaro_winkler(name, k), *k))
        .filter(|(s, _)| *s > 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, k)| k)
}

/// `*.test.toml` files named or found under `paths` (sorted, recursive,
/// hidden folders and `target` skipped), in every project below.
pub fn test_files(paths: &[PathBuf]) -> Result<Vec<PathBuf>, String> {
    let mut out = Vec::new();
    for p in paths {
        if p.is_dir() {
            walk(p, true, &mut out)?;
        } else if p.is_file() {
            if !is_test_file(p) {
                return Err(format!(
                    "trig test: {}: not a rule test file (their names end in .test.toml; docs/testing.md)",
                    p.display()
                ));
            }
            out.push(p.clone());
        } else {
            return Err(format!(
                "trig test: {}: no such file or directory",
                p.display()
            ));
        }
    }
    Ok(out)
}

/// The test files that belong to the project checked under `paths` (the
/// same files `trig check` reads rules from): folders with their own
/// `trig.toml` are other projects; a rule file named directly brings the
/// tests beside it.
pub fn project_test_files(paths: &[PathBuf]) -> Result<Vec<PathBuf>, String> {
    let mut out = Vec::new();
    for p in paths {
        if p.is_dir() {
            walk(p, false, &mut out)?;
        } else {
            let dir = project::folder_of(p);
            let entries = std::fs::read_dir(&dir)
                .map_err(|e| format!("trig check: {}: {e}", dir.display()))?;
            out.extend(
                entries
                    .filter_map(|e| e.ok().map(|e| e.path()))
                    .filter(|f| f.is_file() && is_test_file(f)),
            );
        }
    }
    out.sort();
    out.dedup();
    Ok(out)
}

fn walk(dir: &Path, other_projects: bool, out: &mut Vec<PathBuf>) -> Result<(), String> {
    project::walk_files(dir, other_projects, &is_test_file, out)
        .map_err(|e| format!("trig test: {}", e.0))
}

fn is_test_file(p: &Path) -> bool {
    p.to_string_lossy().ends_with(".test.toml")
}

/// `cargo test`-like text: a line a case, then each failure's diff.
fn human(results: &[(&Loaded, Vec<Ran>)], seconds: f64) -> String {
    let mut s = String::new();
    let mut failures = Vec::new();
    for (l, runs) in results {
        s.push_str(&format!("\nrunning {} test(s) in {}\n", runs.len(), l.path));
        for r in runs {
            let verdict = if r.outcome.passed() { "ok" } else { "FAILED" };
            s.push_str(&format!("test {} ... {verdict}\n", printable(&r.case.name)));
            if !r.outcome.passed() {
                failures.push((
                    format!("{}:{}: {}", l.path, r.case.line, printable(&r.case.name)),
                    r,
                ));
            }
        }
    }
    if !failures.is_empty() {
        s.push_str("\nfailures:\n");
        for (title, r) in &failures {
            s.push_str(&format!("\n---- {title} ----\n{}", diff(r)));
        }
        s.push_str("\nfailures:\n");
        for (title, _) in &failures {
            s.push_str(&format!("    {title}\n"));
        }
    }
    let total: usize = results.iter().map(|(_, r)| r.len()).sum();
    let failed = failures.len();
    s.push_str(&format!(
        "\ntest result: {}. {} passed; {failed} failed; finished in {seconds:.2}s\n",
        if failed == 0 { "ok" } else { "FAILED" },
        total - failed
    ));
    s
}

/// Expected against actual sends: `-` expected but not sent, `+` sent but
/// not expected, `!` sent but expected not to be; then every send.
pub fn diff(r: &Ran) -> String {
    let (o, start) = (&r.outcome, r.case.start);
    let mut s = String::new();
    for x in &o.missing {
        s.push_str(&format!(
            "- expected, not sent (line {}): {}\n",
            x.line,
            testing::describe_expected(x, start)
        ));
    }
    for a in &o.unexpected {
        s.push_str(&format!(
            "+ sent, not expected: {}\n",
            testing::describe_send(a, start)
        ));
    }
    for (x, a) in &o.forbidden {
        s.push_str(&format!(
            "! sent, expected not to be (line {}): {}\n",
            x.line,
            testing::describe_send(a, start)
        ));
    }
    s.push_str(&format!("all sends ({}):\n", o.sends.len()));
    for a in &o.sends {
        s.push_str(&format!("    {}\n", testing::describe_send(a, start)));
    }
    s
}

/// JUnit XML in the shape GitHub, GitLab and Jenkins read:
/// `testsuites/testsuite/testcase/failure`.
fn junit_xml(files: &[(&str, &[Ran])], seconds: f64) -> String {
    let count = |runs: &[Ran]| {
        (
            runs.len(),
            runs.iter().filter(|r| !r.outcome.passed()).count(),
        )
    };
    let (tests, failures) = files.iter().fold((0, 0), |(t, f), (_, r)| {
        let (a, b) = count(r);
        (t + a, f + b)
    });
    let mut x = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    x.push_str(&format!(
        "<testsuites name=\"trig test\" tests=\"{tests}\" failures=\"{failures}\" errors=\"0\" time=\"{seconds:.3}\">\n"
    ));
    for (path, runs) in files {
        let (t, f) = count(runs);
        let time: f64 = runs.iter().map(|r| r.seconds).sum();
        x.push_str(&format!(
            "  <testsuite name=\"{}\" tests=\"{t}\" failures=\"{f}\" errors=\"0\" skipped=\"0\" time=\"{time:.3}\">\n",
            xml_attr(path)
        ));
        for r in runs.iter() {
            x.push_str(&format!(
                "    <testcase name=\"{}\" classname=\"{}\" file=\"{}\" line=\"{}\" time=\"{:.3}\"",
                xml_attr(&r.case.name),
                xml_attr(path),
                xml_attr(path),
                r.case.line,
                r.seconds
            ));
            if r.outcome.passed() {
                x.push_str("/>\n");
                continue;
            }
            let o = &r.outcome;
            let message = format!(
                "{} expected send(s) missing, {} unexpected, {} forbidden",
                o.missing.len(),
                o.unexpected.len(),
                o.forbidden.len()
            );
            x.push_str(&format!(
                ">\n      <failure message=\"{}\" type=\"trig.test\">{}</failure>\n    </testcase>\n",
                xml_attr(&message),
                xml_escape(&diff(r))
            ));
        }
        x.push_str("  </testsuite>\n");
    }
    x.push_str("</testsuites>\n");
    x
}

/// A JUnit report for a run that could not start: one error, with the
/// reason.
fn junit_error(msg: &str) -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"trig test\" tests=\"1\" failures=\"0\" errors=\"1\">\n  <testsuite name=\"trig test\" tests=\"1\" failures=\"0\" errors=\"1\">\n    <testcase name=\"load the tests\" classname=\"trig test\">\n      <error message=\"{}\" type=\"trig.test.load\"/>\n    </testcase>\n  </testsuite>\n</testsuites>\n",
        xml_attr(msg)
    )
}

/// Control characters in a test name shown escaped, so a name cannot
/// move the cursor or split a line of the report.
fn printable(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_control() {
                c.escape_default().to_string()
            } else {
                c.to_string()
            }
        })
        .collect()
}

/// An attribute value: line breaks and tabs as character references,
/// which parsers keep (written raw they become spaces).
fn xml_attr(s: &str) -> String {
    xml_escape(s)
        .replace('\n', "&#10;")
        .replace('\r', "&#13;")
        .replace('\t', "&#9;")
}

/// Element text: the HTML report's escaping (the same five characters),
/// with the characters XML 1.0 cannot hold (other control characters,
/// U+FFFE, U+FFFF) replaced.
fn xml_escape(s: &str) -> String {
    let allowed = |c: char| {
        matches!(c, '\n' | '\r' | '\t')
            || (c as u32 >= 0x20 && !matches!(c, '\u{FFFE}' | '\u{FFFF}'))
    };
    let clean: String = s
        .chars()
        .map(|c| if allowed(c) { c } else { '\u{FFFD}' })
        .collect();
    trig::report::html::escape(&clean)
}
