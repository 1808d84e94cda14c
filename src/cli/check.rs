//! `trig check`: all problems in all files in one run, for people and CI.

use std::io::IsTerminal;
use std::path::PathBuf;

use super::project;
use super::{EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE};
use trig::diag::render::{render, Format};
use trig::diag::Severity;

#[derive(clap::Args)]
pub struct Args {
    /// Files or folders (searched for *.trig); default: the current folder.
    paths: Vec<PathBuf>,
    /// Output format: human, json, sarif or github.
    #[arg(long, default_value = "human")]
    format: String,
    /// The project file (default: the trig.toml nearest above the first
    /// path, else above the current folder).
    #[arg(long)]
    config: Option<PathBuf>,
    /// Exit 1 on warnings too (notes never fail).
    #[arg(long)]
    deny_warnings: bool,
    /// Warn (T0501 untested-rule) about rules that no rule test
    /// (*.test.toml under the same paths) names.
    #[arg(long)]
    require_tests: bool,
}

pub fn run(a: Args) -> i32 {
    let Ok(format) = a.format.parse::<Format>() else {
        eprintln!(
            "trig check: unknown --format `{}` (use human, json, sarif or github)",
            a.format
        );
        return EXIT_USAGE;
    };
    let paths = if a.paths.is_empty() {
        vec![PathBuf::from(".")]
    } else {
        a.paths
    };
    let result = project::load(a.config.as_deref(), &paths).and_then(|mut ws| {
        let files = project::rule_files(&paths)?;
        project::add_rule_files(&mut ws, &files)?;
        Ok((ws, files.len()))
    });
    let (ws, nfiles) = match result {
        Ok(x) => x,
        Err(project::IoError(msg)) => {
            eprintln!("trig check: {msg}");
            return EXIT_USAGE;
        }
    };
    let mut checked = ws.check();
    if a.require_tests {
        match covered_rules(&paths) {
            Ok(covered) => {
                let more = trig::check::coverage::untested(&checked, &covered);
                checked.diagnostics.extend(more);
            }
            Err(msg) => {
                eprintln!("{msg}");
                return EXIT_USAGE;
            }
        }
    }
    let color = format == Format::Human
        && std::io::stdout().is_terminal()
        && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
    let out = render(format, &checked.diagnostics, &checked.sources, color);
    super::out(&out);
    let count = |s: Severity| {
        checked
            .diagnostics
            .iter()
            .filter(|d| d.severity == s)
            .count()
    };
    let (errors, warnings) = (count(Severity::Error), count(Severity::Warning));
    if format == Format::Human {
        eprintln!(
            "checked {nfiles} file(s): {} rule(s) ready to run, {errors} error(s), {warnings} warning(s)",
            checked.program.rules.len()
        );
    }
    if errors > 0 || (a.deny_warnings && warnings > 0) {
        EXIT_PROBLEMS
    } else {
        EXIT_OK
    }
}

/// The rules named by the rule tests under `paths`. A test file that does
/// not parse is an error: it could hide the tests that cover a rule.
fn covered_rules(paths: &[PathBuf]) -> Result<std::collections::BTreeSet<String>, String> {
    let mut covered = std::collections::BTreeSet::new();
    for f in super::test::project_test_files(paths)? {
        let text = project::read(&f).map_err(|e| format!("trig check: {}", e.0))?;
        let suite = trig::testing::parse(&text).map_err(|e| {
            format!(
                "{}:{}:{}: {}",
                project::display(&f),
                e.line,
                e.col,
                e.message
            )
        })?;
        covered.extend(trig::testing::rules_named(&suite));
    }
    Ok(covered)
}
