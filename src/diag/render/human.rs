//! `--format human`: source excerpts drawn by ariadne, one report per
//! diagnostic, separated by a blank line:
//!
//! ```text
//! error[T0101]: unknown event `cart.abandonned`
//!    ╭─[rules/cart.trig:1:6]
//!    │
//!  1 │ when cart.abandonned for 2h then …
//!    │      ───────┬───────
//!    │             ╰───────── not in the event schema
//!    │
//!    │ Help: did you mean `cart.abandoned`?
//!    │
//!    │ Note: T0101 unknown-event; see `trig explain T0101`
//! ───╯
//! ```

use std::borrow::Cow;
use std::collections::HashMap;
use std::ops::Range;

use ariadne::{Color, Config, Fmt, IndexType, Label, Report, ReportKind, Source};

use super::{clamp, Files};
use crate::diag::{Code, Diagnostic, FileId, Severity, SourceFile};

type AriadneSpan = (FileId, Range<usize>);

pub(super) fn render(diags: &[&Diagnostic], files: &Files, color: bool) -> String {
    let mut cache = SourceCache {
        files,
        sources: HashMap::new(),
    };
    let reports: Vec<String> = diags
        .iter()
        .map(|d| report(d, files, &mut cache, color))
        .collect();
    reports.join("\n")
}

fn report(d: &Diagnostic, files: &Files, cache: &mut SourceCache, color: bool) -> String {
    let primary = span_in(files.get(d.file), d.span);
    // The kind only shows in ariadne's first line, which `header` replaces.
    let mut builder = Report::<AriadneSpan>::build(ReportKind::Error, d.file, primary.start)
        // Byte offsets, because ariadne counts chars by default and our spans are bytes.
        .with_config(
            Config::default()
                .with_index_type(IndexType::Byte)
                .with_color(color),
        )
        .with_label(primary_label(d, primary, color))
        .with_labels(secondary_labels(d, files, color))
        .with_note(name_note(d.code));
    if let Some(help) = &d.help {
        builder = builder.with_help(help);
    }
    let mut out = Vec::new();
    let body = match builder.finish().write(cache, &mut out) {
        Ok(()) => without_first_line(&String::from_utf8_lossy(&out)),
        // Writing into memory does not fail; the header alone still tells what is wrong.
        Err(_) => String::new(),
    };
    header(d, color) + &body
}

/// ariadne 0.4 writes `[T0101] Error:` and always colours custom kinds, so
/// the rustc-style header `error[T0101]: message` is written here and
/// ariadne's own first line (built without a message, so one line) dropped.
fn header(d: &Diagnostic, color: bool) -> String {
    let kind = format!("{}[{}]", d.severity.as_str(), d.code.id());
    format!("{}: {}\n", kind.fg(severity_color(d, color)), d.message)
}

fn without_first_line(s: &str) -> String {
    s.split_once('\n')
        .map(|(_, rest)| rest.to_string())
        .unwrap_or_default()
}

fn severity_color(d: &Diagnostic, color: bool) -> Option<Color> {
    let c = match d.severity {
        Severity::Error => Color::Red,
        Severity::Warning => Color::Yellow,
        Severity::Note => Color::Cyan,
    };
    color.then_some(c)
}

fn primary_label(d: &Diagnostic, span: Range<usize>, color: bool) -> Label<AriadneSpan> {
    let text = d.label.as_deref().unwrap_or(&d.message);
    let label = Label::new((d.file, span))
        .with_message(text)
        .with_priority(1);
    match severity_color(d, color) {
        Some(c) => label.with_color(c),
        None => label,
    }
}

fn secondary_labels(d: &Diagnostic, files: &Files, color: bool) -> Vec<Label<AriadneSpan>> {
    d.secondary
        .iter()
        .map(|l| {
            let label = Label::new((l.file, span_in(files.get(l.file), l.span)));
            let label = if l.message.is_empty() {
                label
            } else {
                label.with_message(&l.message)
            };
            if color {
                label.with_color(Color::Blue)
            } else {
                label
            }
        })
        .collect()
}

/// The name is what `# trig: ignore[...]` takes, so it is worth showing.
fn name_note(code: Code) -> String {
    format!(
        "{} {}; see `trig explain {}`",
        code.id(),
        code.name(),
        code.id()
    )
}

/// The span as ariadne may take it. Clamping to the file's own text is
/// enough: `shown_text` only ever adds after its end.
fn span_in(file: &SourceFile, span: crate::syntax::Span) -> Range<usize> {
    clamp(&file.text, span)
}

/// ariadne has no line after a final newline, so it would put a span at the
/// end of the file on the last line (`2:49` where the other formats say
/// `3:1`), and for an empty file it draws nothing, not even the help. A
/// space after the final newline gives that position a line of its own.
///
/// Control characters (an ESC in a hostile file would restyle the user's
/// terminal) are shown as `?`/`¿`, which keep each byte offset in place.
fn shown_text(file: &SourceFile) -> Cow<'_, str> {
    let unsafe_char = |c: char| c.is_control() && !matches!(c, '\n' | '\r' | '\t');
    let mut text = Cow::Borrowed(file.text.as_str());
    if file.text.chars().any(unsafe_char) {
        let safe = file.text.chars().map(|c| match c {
            c if unsafe_char(c) && c.len_utf8() == 1 => '?',
            c if unsafe_char(c) => '¿',
            c => c,
        });
        text = Cow::Owned(safe.collect());
    }
    if text.is_empty() || text.ends_with('\n') {
        text.to_mut().push(' ');
    }
    text
}

/// Builds each ariadne `Source` (a line index) once per render, on first use.
struct SourceCache<'a> {
    files: &'a Files<'a>,
    sources: HashMap<FileId, Source<Cow<'a, str>>>,
}

impl<'a> ariadne::Cache<FileId> for SourceCache<'a> {
    type Storage = Cow<'a, str>;

    fn fetch(
        &mut self,
        id: &FileId,
    ) -> Result<&Source<Cow<'a, str>>, Box<dyn std::fmt::Debug + '_>> {
        let files = self.files;
        Ok(self
            .sources
            .entry(*id)
            .or_insert_with(|| Source::from(shown_text(files.get(*id)))))
    }

    fn display<'b>(&self, id: &'b FileId) -> Option<Box<dyn std::fmt::Display + 'b>> {
        Some(Box::new(self.files.name(*id)))
    }
}
