//! Diagnostic renderers: human (ariadne), json, sarif, github.
//!
//! All renderers share one contract:
//! - **Order.** Diagnostics are printed sorted by file name (then by the
//!   order the files were added, for two files with the same name), line,
//!   column and code number; ties keep the order they were reported in. The
//!   output therefore does not depend on the order the checker ran in.
//! - **Positions.** Lines and columns are 1-based; columns count Unicode
//!   scalar values. An end position is *exclusive*: it is the position just
//!   after the last character of the span (as LSP `end` and SARIF
//!   `endColumn`), so an empty span has `end_column == column`.
//! - **Robustness.** A span past the end of its text is clamped to the end;
//!   an offset inside a multi-byte character is widened to the whole
//!   character; a file id missing from the [`SourceMap`] renders as an empty
//!   file named `<unknown file N>`. Rendering never panics on bad spans.

mod github;
mod human;
mod json;
mod sarif;

use std::cmp::Ordering;
use std::ops::Range;

use super::{Diagnostic, FileId, LineCol, SourceFile, SourceMap};
use crate::syntax::Span;

/// An output format for diagnostics.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Format {
    /// Source excerpts with labels, for people (ariadne).
    Human,
    /// A pretty-printed JSON array, one object per diagnostic.
    Json,
    /// A SARIF 2.1.0 log, for code-scanning services.
    Sarif,
    /// GitHub Actions workflow commands (`::error file=…::…`).
    Github,
}

impl Format {
    pub const ALL: &'static [Format] =
        &[Format::Human, Format::Json, Format::Sarif, Format::Github];

    /// The name accepted by [`Format::from_str`](std::str::FromStr).
    pub fn as_str(self) -> &'static str {
        match self {
            Format::Human => "human",
            Format::Json => "json",
            Format::Sarif => "sarif",
            Format::Github => "github",
        }
    }
}

impl std::fmt::Display for Format {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A format name that is not one of [`Format::ALL`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownFormat(pub String);

impl std::fmt::Display for UnknownFormat {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let names: Vec<&str> = Format::ALL.iter().map(|f| f.as_str()).collect();
        write!(
            f,
            "unknown format `{}`; expected one of: {}",
            self.0,
            names.join(", ")
        )
    }
}

impl std::error::Error for UnknownFormat {}

impl std::str::FromStr for Format {
    type Err = UnknownFormat;

    /// Case-insensitive: `human`, `json`, `sarif`, `github`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let wanted = s.trim();
        Format::ALL
            .iter()
            .copied()
            .find(|f| f.as_str().eq_ignore_ascii_case(wanted))
            .ok_or_else(|| UnknownFormat(s.to_string()))
    }
}

/// Render `diags` in `format`, in the stable order described in the module
/// docs. `color` only affects [`Format::Human`]; the caller decides it (a
/// terminal, and `NO_COLOR` unset). The result ends with a newline unless it
/// is empty (no diagnostics in the human or github format).
pub fn render(format: Format, diags: &[Diagnostic], sources: &SourceMap, color: bool) -> String {
    let files = Files::new(sources);
    let sorted = sorted(diags, &files);
    match format {
        Format::Human => human::render(&sorted, &files, color),
        Format::Json => json::render(&sorted, &files),
        Format::Sarif => sarif::render(&sorted, &files),
        Format::Github => github::render(&sorted, &files),
    }
}

/// The files of a run, tolerant of ids that are not in the map.
pub(crate) struct Files<'a> {
    files: Vec<&'a SourceFile>,
    /// Stands in for ids the map does not have, so that lookups cannot fail.
    missing: SourceFile,
}

impl<'a> Files<'a> {
    fn new(sources: &'a SourceMap) -> Self {
        Files {
            files: sources.files().map(|(_, f)| f).collect(),
            missing: SourceFile::new("<unknown file>", ""),
        }
    }

    pub(crate) fn get(&self, id: FileId) -> &SourceFile {
        self.files
            .get(id.0 as usize)
            .copied()
            .unwrap_or(&self.missing)
    }

    /// The name to show for `id`; distinguishes missing ids from each other.
    pub(crate) fn name(&self, id: FileId) -> String {
        match self.files.get(id.0 as usize) {
            Some(f) => f.name.clone(),
            None => format!("<unknown file {}>", id.0),
        }
    }
}

/// Where a span lies, ready to print. `end` is exclusive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Region {
    pub start: LineCol,
    pub end: LineCol,
}

/// The span as a byte range that is safe to slice `text` with: inside the
/// text, on character boundaries, and never reversed.
pub(crate) fn clamp(text: &str, span: Span) -> Range<usize> {
    let start = floor_boundary(text, span.start.min(text.len()));
    let end = ceil_boundary(text, span.end.min(text.len())).max(start);
    start..end
}

fn floor_boundary(text: &str, mut i: usize) -> usize {
    while !text.is_char_boundary(i) {
        i -= 1;
    }
    i
}

fn ceil_boundary(text: &str, mut i: usize) -> usize {
    while !text.is_char_boundary(i) {
        i += 1;
    }
    i
}

pub(crate) fn region(file: &SourceFile, span: Span) -> Region {
    let r = clamp(&file.text, span);
    Region {
        start: file.line_col(r.start),
        end: file.line_col(r.end),
    }
}

fn sorted<'d>(diags: &'d [Diagnostic], files: &Files) -> Vec<&'d Diagnostic> {
    let mut keyed: Vec<(SortKey, &Diagnostic)> =
        diags.iter().map(|d| (SortKey::of(d, files), d)).collect();
    // A stable sort keeps the reporting order for equal keys.
    keyed.sort_by(|a, b| a.0.cmp(&b.0));
    keyed.into_iter().map(|(_, d)| d).collect()
}

#[derive(PartialEq, Eq)]
struct SortKey {
    file_name: String,
    file: FileId,
    line: usize,
    column: usize,
    code: u16,
}

impl SortKey {
    fn of(d: &Diagnostic, files: &Files) -> Self {
        let start = region(files.get(d.file), d.span).start;
        SortKey {
            file_name: files.name(d.file),
            file: d.file,
            line: start.line,
            column: start.column,
            code: d.code.number(),
        }
    }
}

impl PartialOrd for SortKey {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for SortKey {
    fn cmp(&self, other: &Self) -> Ordering {
        (
            &self.file_name,
            self.file,
            self.line,
            self.column,
            self.code,
        )
            .cmp(&(
                &other.file_name,
                other.file,
                other.line,
                other.column,
                other.code,
            ))
    }
}

/// The message with the help appended on its own line, for formats that
/// have no separate place for help.
pub(crate) fn message_with_help(d: &Diagnostic) -> String {
    match &d.help {
        Some(help) => format!("{}\nhelp: {}", d.message, help),
        None => d.message.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diag::Code;

    #[test]
    fn every_explanation_has_title_example_and_fix() {
        for &code in Code::ALL {
            let text = code.explanation();
            let title = format!("{} {}", code.id(), code.name());
            assert_eq!(
                text.lines().next(),
                Some(title.as_str()),
                "{title}: first line"
            );
            assert_eq!(
                text.lines().nth(1),
                Some(""),
                "{title}: blank line after the title"
            );
            for heading in ["What it means", "Why", "Example", "Fix"] {
                let found = text
                    .lines()
                    .any(|l| l.trim_start_matches('#').trim() == heading);
                assert!(found, "{title}: no `{heading}` heading");
            }
            let lines = text.lines().count();
            assert!((10..=30).contains(&lines), "{title}: {lines} lines");
        }
    }

    #[test]
    fn clamp_never_splits_characters_or_overruns() {
        let text = "é😀";
        assert_eq!(clamp(text, Span::new(1, 3)), 0..6);
        assert_eq!(clamp(text, Span::new(50, 60)), 6..6);
        assert_eq!(clamp(text, Span::new(4, 2)), 2..2);
    }

    #[test]
    fn format_names_round_trip() {
        for &f in Format::ALL {
            assert_eq!(f.as_str().parse::<Format>(), Ok(f));
        }
        assert_eq!("SARIF".parse::<Format>(), Ok(Format::Sarif));
        assert!("xml".parse::<Format>().is_err());
    }
}
