//! `trig check --require-tests`: rules that no rule test names. A test
//! covers the rules it names (in `rules`, `expect` or `expect_not`); which
//! tests exist is the caller's business (the binary finds the files).

use std::collections::BTreeSet;

use crate::diag::{Code, Diagnostic};

use super::Checked;

/// A warning on every rule whose name is not in `covered`, unless
/// `[lint] allow` lists `untested-rule`.
pub fn untested(checked: &Checked, covered: &BTreeSet<String>) -> Vec<Diagnostic> {
    let allowed = checked
        .config
        .lint
        .allow
        .iter()
        .any(|a| Code::parse(a) == Some(Code::UntestedRule));
    if allowed {
        return Vec::new();
    }
    checked
        .program
        .rules
        .iter()
        .filter(|r| !covered.contains(&r.name))
        .map(|r| {
            Diagnostic::new(
                Code::UntestedRule,
                r.file,
                r.name_span,
                format!("no rule test names `{}`", r.name),
            )
            .with_label("not covered by any test")
            .with_help(format!(
                "add a `[[test]]` with `rules = [\"{}\"]` (or an `expect` of `rule = \"{}\"`) to a `*.test.toml` next to the rules, and run `trig test` (docs/testing.md)",
                r.name, r.name
            ))
        })
        .collect()
}
