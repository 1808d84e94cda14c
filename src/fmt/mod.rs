//! `trig fmt`: rewrites a rule file in the canonical layout.
//!
//! The formatter works on the logos token layer ([`crate::syntax::lexer`]),
//! not on the AST, so that comments survive and strings and message texts
//! are copied byte for byte (never re-escaped). It only moves whitespace:
//! the output has the same tokens in the same order, parses to the same AST
//! (spans aside), and formatting it again changes nothing. A file that does
//! not parse is returned as an error and must be left untouched.
//!
//! # Canonical layout
//!
//! Files
//! - Rules are separated by exactly one blank line; the file ends with
//!   exactly one newline (an empty or whitespace-only file becomes empty).
//! - Comment lines above a rule stay above it, at the margin; a blank line
//!   between two of them, or between them and the rule, is kept (one at
//!   most). Comment lines after a rule that are indented and not separated
//!   from it by a blank line (a commented-out option, say) stay with that
//!   rule, at clause indentation; any other comment lines belong to the
//!   next rule, or to the end of the file.
//! - A UTF-8 byte order mark is dropped. Line ends are LF, unless every line
//!   end of the input is CRLF: then the output uses CRLF too.
//!
//! Rules
//! - `rule NAME:` is alone on its line; each clause follows on its own line,
//!   indented 2: `when …`, each `if`/`unless`, `then send …`, each
//!   `fallback …`, and each option (`key`, `limit`, `once`, `priority`,
//!   `quiet`, `goal`, `holdout`, `tag`).
//! - A rule without a header stays on one line (`when … then send …`) when
//!   that line fits in [`MAX_WIDTH`] columns and has no comment except one
//!   at its end. Otherwise it gets the multi-line layout without the header
//!   line: `when` at the margin, the other clauses indented 2.
//! - A clause that fits in [`MAX_WIDTH`] columns and holds no comment (but
//!   one at its end) stays on one line. Otherwise it is broken into
//!   continuation lines, indented 4: a trigger before `followed by`, before
//!   its `for D` wait and before each `and not …`; a guard before each
//!   top-level `and`/`or`; a step before `with (…)`. When a `with (…)` line
//!   is still too long, or holds a comment, each parameter gets its own line
//!   (indented 6) and `)` closes on a line of its own. Nothing else is
//!   broken, so a line may stay longer than the limit (a long text, say).
//!
//! Tokens
//! - One space between tokens, except none after `(` `[`, none before `)`
//!   `]` `,` `:`, none around `.`, none after a unary minus (`-1`) and none
//!   around the `-` of a quiet window (`21:00-09:00`). Binary operators get
//!   a space on each side.
//! - Comments are copied verbatim with trailing whitespace trimmed. A
//!   comment after code stays at the end of that line, one space after it;
//!   the next token starts a continuation line. A comment on its own line
//!   stays on its own line, before the same token, at the indentation of
//!   the clause it precedes, or of the continuation it sits in.
//!
//! Columns are counted in Unicode scalar values, as diagnostics count them.
//!
//! # Safety
//! A file in which the lexer sees an unterminated string or text it does
//! not know, although the grammar accepted it (a line break inside the
//! `{…}` of a message text, say), is refused: its tokens cannot be trusted.
//! Before returning, the output is parsed again and its AST compared with
//! the input's; if they differ (a formatter bug) the result is an error too.
//! Either way the caller must leave the file as it is.

mod layout;
mod tokens;

use crate::diag::{Code, Diagnostic, FileId, Severity};
use crate::syntax::ast::File;
use crate::syntax::{parse_file, Span};

/// Lines longer than this are broken where the layout allows it.
pub const MAX_WIDTH: usize = 100;

/// Formats one file. `Err` holds the parse errors (or the reason the file
/// cannot be formatted safely), all with `FileId(0)`; the caller must then
/// leave the file as is.
pub fn format_source(src: &str) -> Result<String, Vec<Diagnostic>> {
    let (before, diags) = parse_file(src, FileId(0));
    if diags.iter().any(|d| d.severity == Severity::Error) {
        return Err(diags);
    }
    let toks = tokens::prepare(src)?;
    let doc = tokens::split_rules(&toks);
    let lines = layout::render(&doc);
    let out = join_lines(&lines, line_end(src));
    verify(&before, &out)?;
    Ok(out)
}

/// CRLF only when the input used it for every line end, so that a file with
/// mixed endings is normalised rather than half converted.
fn line_end(src: &str) -> &'static str {
    let lf = src.matches('\n').count();
    let crlf = src.matches("\r\n").count();
    if lf > 0 && lf == crlf {
        "\r\n"
    } else {
        "\n"
    }
}

fn join_lines(lines: &[String], end: &str) -> String {
    let mut out = String::new();
    for line in lines {
        out.push_str(line);
        out.push_str(end);
    }
    out
}

/// The formatter must never change what a file means.
fn verify(before: &File, out: &str) -> Result<(), Vec<Diagnostic>> {
    let (after, diags) = parse_file(out, FileId(0));
    let parses = diags.iter().all(|d| d.severity != Severity::Error);
    if parses && masked(before) == masked(&after) {
        return Ok(());
    }
    Err(vec![Diagnostic::new(
        Code::SyntaxError,
        FileId(0),
        Span::new(0, 0),
        "trig fmt would change the meaning of this file, so it leaves it untouched",
    )
    .with_help(
        "this is a bug in trig fmt; please report it with the file",
    )])
}

/// The tree's debug form with every span (`@start..end`) blanked out.
pub fn masked(file: &File) -> String {
    mask_spans(&format!("{file:?}"))
}

/// Replaces each `@DIGITS..DIGITS` with `@_`.
pub fn mask_spans(debug: &str) -> String {
    let mut out = String::with_capacity(debug.len());
    let mut rest = debug;
    while let Some(at) = rest.find('@') {
        out.push_str(&rest[..at]);
        let tail = &rest[at + 1..];
        match span_len(tail) {
            Some(len) => {
                out.push_str("@_");
                rest = &tail[len..];
            }
            None => {
                out.push('@');
                rest = tail;
            }
        }
    }
    out.push_str(rest);
    out
}

/// Length of a leading `DIGITS..DIGITS`, if `s` starts with one.
fn span_len(s: &str) -> Option<usize> {
    let digits = |t: &str| t.bytes().take_while(u8::is_ascii_digit).count();
    let a = digits(s);
    let rest = s.get(a..)?.strip_prefix("..")?;
    let b = digits(rest);
    (a > 0 && b > 0).then_some(a + 2 + b)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fmt(src: &str) -> String {
        match format_source(src) {
            Ok(s) => s,
            Err(d) => panic!("format failed: {d:#?}"),
        }
    }

    #[test]
    fn one_liner_is_a_fixed_point() {
        let src = "when cart.abandoned for 2h and not purchased then send whatsapp template \"cart_reminder\"\n";
        assert_eq!(fmt(src), src);
    }

    #[test]
    fn spacing_is_canonical() {
        let src = "when a  where event.x>-1 and event.y==[1,2]then send sms \"hi\" quiet 21:00 - 09:00 priority - 2";
        assert_eq!(
            fmt(src),
            "when a where event.x > -1 and event.y == [1, 2] then send sms \"hi\" quiet 21:00-09:00 priority -2\n"
        );
    }

    #[test]
    fn masks_spans_only() {
        assert_eq!(
            mask_spans("Ident { span: @3..10 } a@b @1.."),
            "Ident { span: @_ } a@b @1.."
        );
    }

    #[test]
    fn crlf_is_kept_when_consistent() {
        let src = "when a then send sms \"x\"\r\nwhen b then send sms \"y\"\r\n";
        assert_eq!(
            fmt(src),
            "when a then send sms \"x\"\r\n\r\nwhen b then send sms \"y\"\r\n"
        );
        let mixed = "when a then send sms \"x\"\r\nwhen b then send sms \"y\"\n";
        assert_eq!(
            fmt(mixed),
            "when a then send sms \"x\"\n\nwhen b then send sms \"y\"\n"
        );
    }

    #[test]
    fn bom_is_dropped() {
        assert_eq!(
            fmt("\u{FEFF}when a then send sms \"x\""),
            "when a then send sms \"x\"\n"
        );
    }

    #[test]
    fn empty_file_stays_empty() {
        assert_eq!(fmt(""), "");
        assert_eq!(fmt(" \n\t\n"), "");
    }

    #[test]
    fn header_puts_each_clause_on_its_line() {
        let src = "rule r: when a as x where x.v > 1 unless customer.vip then send sms \"x\" once tag promo";
        let want = "rule r:\n  when a as x where x.v > 1\n  unless customer.vip\n  then send sms \"x\"\n  once\n  tag promo\n";
        assert_eq!(fmt(src), want);
    }

    #[test]
    fn keywords_after_dots_and_before_colons_are_names() {
        let src = "rule r: when a where event.first == 1 then send whatsapp template \"t\" with (key: event.key, once: 2)";
        let want = "rule r:\n  when a where event.first == 1\n  then send whatsapp template \"t\" with (key: event.key, once: 2)\n";
        assert_eq!(fmt(src), want);
    }
}
