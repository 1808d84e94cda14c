//! `--format github`: one GitHub Actions workflow command per diagnostic,
//! which the runner turns into an annotation on the pull request:
//!
//! ```text
//! ::error file=rules/cart.trig,line=3,col=8,endLine=3,endColumn=22,title=T0101 unknown-event::message%0Ahelp: …
//! ```
//!
//! Errors use `::error`, warnings `::warning`, notes `::notice`. Columns
//! count Unicode scalar values and `endColumn` is exclusive, as in the other
//! formats. GitHub only accepts `col`/`endColumn` when the annotation starts
//! and ends on the same line, so they are left out for multi-line spans.
//! The help and the places of secondary labels follow the message on their
//! own lines. Escaping is the one of `@actions/core` (`escapeData`,
//! `escapeProperty`).

use super::{message_with_help, region, Files, Region};
use crate::diag::{Diagnostic, Severity};

pub(super) fn render(diags: &[&Diagnostic], files: &Files) -> String {
    diags.iter().map(|d| command(d, files) + "\n").collect()
}

fn command(d: &Diagnostic, files: &Files) -> String {
    let r = region(files.get(d.file), d.span);
    let title = format!("{} {}", d.code.id(), d.code.name());
    format!(
        "::{} file={},{},title={}::{}",
        kind(d.severity),
        escape_property(&files.name(d.file)),
        position(r),
        escape_property(&title),
        escape_data(&text(d, files)),
    )
}

fn kind(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Note => "notice",
    }
}

fn position(r: Region) -> String {
    if r.start.line == r.end.line {
        format!(
            "line={},col={},endLine={},endColumn={}",
            r.start.line, r.start.column, r.end.line, r.end.column
        )
    } else {
        format!("line={},endLine={}", r.start.line, r.end.line)
    }
}

/// Secondary labels have no place of their own in a workflow command, so
/// their locations go into the text, where a reader can still follow them.
fn text(d: &Diagnostic, files: &Files) -> String {
    let mut text = message_with_help(d);
    for label in &d.secondary {
        let start = region(files.get(label.file), label.span).start;
        let name = files.name(label.file);
        text.push_str(&format!(
            "\n{}:{}:{}: {}",
            name, start.line, start.column, label.message
        ));
    }
    text
}

/// `escapeData` of `@actions/core`: what ends a command must not appear raw.
fn escape_data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// `escapeProperty` of `@actions/core`: `:` and `,` also delimit properties.
fn escape_property(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_percent_first() {
        assert_eq!(escape_data("100%\r\n"), "100%25%0D%0A");
        assert_eq!(escape_property("a,b:c%"), "a%2Cb%3Ac%25");
    }
}
