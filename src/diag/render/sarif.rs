//! `--format sarif`: a SARIF 2.1.0 log with one run.
//!
//! - `tool.driver.rules` describes every code in [`Code::ALL`] (not only the
//!   ones reported), so that `ruleIndex` is the code's position in
//!   `Code::ALL` and services can show the documentation of any rule.
//! - `run.columnKind` is `unicodeCodePoints`: SARIF columns otherwise count
//!   UTF-16 code units, and ours count Unicode scalar values. `endColumn` is
//!   exclusive, as SARIF defines it.
//! - `artifactLocation.uri` is the file name as given, with `\` turned into
//!   `/` and characters that a URI reference cannot hold percent-encoded; a
//!   Windows drive path becomes a `file:///` URI.
//! - The help follows the message on its own line (`message.text`); the
//!   primary label, when it differs from the message, is the location's
//!   message; secondary labels are `relatedLocations`.
//! - In every message string `{` and `}` are written `{{` and `}}`, as SARIF
//!   §3.11.5 requires (single braces delimit placeholders), so consumers
//!   that follow the spec show trig's braces as written.

use serde_json::{json, Value};

use super::{message_with_help, region, Files};
use crate::diag::{Code, Diagnostic, FileId, Severity};
use crate::syntax::Span;

const SCHEMA: &str =
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json";

pub(super) fn render(diags: &[&Diagnostic], files: &Files) -> String {
    let results: Vec<Value> = diags.iter().map(|d| result(d, files)).collect();
    let log = json!({
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": { "driver": driver() },
            "columnKind": "unicodeCodePoints",
            "results": results,
        }],
    });
    format!("{log:#}\n")
}

fn driver() -> Value {
    json!({
        "name": "trig",
        "version": env!("CARGO_PKG_VERSION"),
        "rules": Code::ALL.iter().map(|&c| rule(c)).collect::<Vec<_>>(),
    })
}

fn rule(code: Code) -> Value {
    let explanation = code.explanation();
    json!({
        "id": code.id(),
        "name": code.name(),
        "shortDescription": { "text": text(code.summary()) },
        "fullDescription": { "text": text(&full_description(code)) },
        "help": { "text": text(explanation), "markdown": text(explanation) },
        "defaultConfiguration": { "level": level(code.default_severity()) },
    })
}

fn full_description(code: Code) -> String {
    what_it_means(code.explanation()).unwrap_or_else(|| code.summary().to_string())
}

/// A SARIF message string: braces doubled (§3.11.5).
fn text(s: &str) -> String {
    s.replace('{', "{{").replace('}', "}}")
}

/// The paragraph under the "What it means" heading of an explanation: a
/// description that stands on its own, unlike the whole text with examples.
fn what_it_means(explanation: &str) -> Option<String> {
    let mut lines = explanation
        .lines()
        .skip_while(|l| l.trim_start_matches('#').trim() != "What it means");
    lines.next()?;
    let paragraph: Vec<&str> = lines
        .skip_while(|l| l.trim().is_empty())
        .take_while(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .map(str::trim)
        .collect();
    (!paragraph.is_empty()).then(|| paragraph.join(" "))
}

fn level(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Note => "note",
    }
}

fn result(d: &Diagnostic, files: &Files) -> Value {
    let mut location = physical(files, d.file, d.span);
    if let Some(label) = d.label.as_ref().filter(|l| **l != d.message) {
        location["message"] = json!({ "text": text(label) });
    }
    let related: Vec<Value> = d
        .secondary
        .iter()
        .enumerate()
        .map(|(i, l)| {
            let mut loc = physical(files, l.file, l.span);
            loc["id"] = json!(i);
            loc["message"] = json!({ "text": text(&l.message) });
            loc
        })
        .collect();
    let mut result = json!({
        "ruleId": d.code.id(),
        "ruleIndex": rule_index(d.code),
        "level": level(d.severity),
        "message": { "text": text(&message_with_help(d)) },
        "locations": [location],
    });
    if !related.is_empty() {
        result["relatedLocations"] = Value::Array(related);
    }
    result
}

fn rule_index(code: Code) -> usize {
    Code::ALL.iter().position(|&c| c == code).unwrap_or(0)
}

fn physical(files: &Files, file: FileId, span: Span) -> Value {
    let r = region(files.get(file), span);
    json!({
        "physicalLocation": {
            "artifactLocation": { "uri": uri(&files.name(file)) },
            "region": {
                "startLine": r.start.line,
                "startColumn": r.start.column,
                "endLine": r.end.line,
                "endColumn": r.end.column,
            },
        },
    })
}

/// The file name as a URI reference. Relative names stay relative, so that
/// code-scanning services resolve them against the repository root.
fn uri(name: &str) -> String {
    let slashed = name.replace('\\', "/");
    match drive_path(&slashed) {
        Some((drive, rest)) => format!("file:///{drive}:{}", percent_encode(rest)),
        None => percent_encode(&slashed),
    }
}

/// `C:/x` split into `C` and `/x`; `a:b` is a relative name, not a drive.
fn drive_path(path: &str) -> Option<(char, &str)> {
    let drive = path.chars().next().filter(char::is_ascii_alphabetic)?;
    let rest = path[1..].strip_prefix(':')?;
    rest.starts_with('/').then_some((drive, rest))
}

fn percent_encode(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for &b in path.as_bytes() {
        if is_uri_path_byte(b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// RFC 3986 `pchar` plus `/`, except `:`: a colon in the first segment of
/// a relative reference would read as a URI scheme.
fn is_uri_path_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"-._~!$&'()*+,;=@/".contains(&b)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uris_keep_relative_paths_and_encode_the_rest() {
        assert_eq!(uri("rules/a,b.trig"), "rules/a,b.trig");
        assert_eq!(uri("rules\\my rules.trig"), "rules/my%20rules.trig");
        assert_eq!(
            uri("C:\\rules\\café.trig"),
            "file:///C:/rules/caf%C3%A9.trig"
        );
        assert_eq!(uri("100%.trig"), "100%25.trig");
        assert_eq!(uri("a:b.trig"), "a%3Ab.trig");
    }

    #[test]
    fn full_description_is_the_first_paragraph() {
        let text = "T0001 x\n\n## What it means\n\nOne\ntwo.\n\n## Why\n\nBecause.\n";
        assert_eq!(what_it_means(text).as_deref(), Some("One two."));
        assert_eq!(what_it_means("T0001 x\n"), None);
    }
}
