//! `--format json`: a pretty-printed array, one object per diagnostic:
//!
//! ```json
//! {"code": "T0101", "name": "unknown-event", "severity": "error",
//!  "message": "…", "file": "rules/cart.trig",
//!  "line": 3, "column": 8, "end_line": 3, "end_column": 22, "help": null}
//! ```
//!
//! `line` and `column` are 1-based, columns count Unicode scalar values, and
//! `end_line`/`end_column` are *exclusive*: they point just past the last
//! character, as LSP ranges and SARIF `endColumn` do, so an empty span has
//! `end_column == column`. `help` is null when there is none.

use serde::Serialize;

use super::{region, Files};
use crate::diag::Diagnostic;

/// A struct rather than `json!` so the keys keep this order (serde_json
/// sorts map keys without its `preserve_order` feature).
#[derive(Serialize)]
struct Item<'a> {
    code: String,
    name: &'static str,
    severity: &'static str,
    message: &'a str,
    file: String,
    line: usize,
    column: usize,
    end_line: usize,
    end_column: usize,
    help: Option<&'a str>,
}

pub(super) fn render(diags: &[&Diagnostic], files: &Files) -> String {
    let items: Vec<Item> = diags.iter().map(|d| item(d, files)).collect();
    // Serializing strings and integers into memory cannot fail; the fallback
    // only keeps this function total.
    let text = serde_json::to_string_pretty(&items).unwrap_or_else(|_| "[]".to_string());
    text + "\n"
}

fn item<'a>(d: &'a Diagnostic, files: &Files) -> Item<'a> {
    let r = region(files.get(d.file), d.span);
    Item {
        code: d.code.id(),
        name: d.code.name(),
        severity: d.severity.as_str(),
        message: &d.message,
        file: files.name(d.file),
        line: r.start.line,
        column: r.start.column,
        end_line: r.end.line,
        end_column: r.end.column,
        help: d.help.as_deref(),
    }
}
