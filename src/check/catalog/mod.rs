//! Template catalogs: WhatsApp (Meta Graph API export) and other channels.
//!
//! Everything here is pure: loaders take a file's text and a display name and
//! never read files, so the binary, the language server and the tests can feed
//! them whatever they have. Problems come back as [`CatalogError`]s, which the
//! checker turns into T0401 invalid-catalog / T0402 duplicate-template.
//!
//! The formats are described in `docs/catalogs.md`.

mod templates;
mod whatsapp;

pub use templates::{Template, TemplateCatalog, TemplateParams, PLAIN_CHANNELS};
pub use whatsapp::{
    Button, Component, Header, ParamFormat, ParamKey, Placeholder, WhatsappCatalog,
    WhatsappTemplate,
};

use std::fmt;

/// Statuses Meta documents for message templates (Graph API v19+). The plain
/// catalog accepts only these, so that a typo is not silently "not approved".
pub const STATUSES: &[&str] = &[
    "APPROVED",
    "PENDING",
    "REJECTED",
    "PAUSED",
    "DISABLED",
    "IN_APPEAL",
    "PENDING_DELETION",
    "DELETED",
    "LIMIT_EXCEEDED",
];

/// Which diagnostic the checker should raise.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CatalogErrorKind {
    /// T0401 invalid-catalog.
    Invalid,
    /// T0402 duplicate-template.
    Duplicate,
}

/// One problem in a catalog file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CatalogError {
    pub kind: CatalogErrorKind,
    /// The display name the file was loaded with.
    pub file: String,
    pub message: String,
    /// Byte range in the file's text.
    pub span: Option<(usize, usize)>,
    /// 1-based line and column (Unicode scalar values) of the span's start,
    /// kept so that callers without the text can still say where. `u32`
    /// keeps the error small enough to pass around in `Result`s.
    pub line_col: Option<(u32, u32)>,
    pub help: Option<String>,
    /// For a duplicate: the other definition.
    pub previous: Option<Box<Location>>,
}

/// A place in another catalog file (or the same one).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    pub file: String,
    /// Byte range in that file's text.
    pub span: Option<(usize, usize)>,
}

impl CatalogError {
    pub(crate) fn invalid(
        file: &str,
        text: &str,
        span: Option<(usize, usize)>,
        msg: String,
    ) -> Self {
        CatalogError {
            kind: CatalogErrorKind::Invalid,
            file: file.to_string(),
            message: msg,
            span,
            line_col: span.map(|(start, _)| {
                let (line, col) = line_col(text, start);
                let small = |n: usize| u32::try_from(n).unwrap_or(u32::MAX);
                (small(line), small(col))
            }),
            help: None,
            previous: None,
        }
    }

    pub(crate) fn duplicate_of(mut self, file: &str, span: Option<(usize, usize)>) -> Self {
        self.kind = CatalogErrorKind::Duplicate;
        self.previous = Some(Box::new(Location {
            file: file.to_string(),
            span,
        }));
        self
    }

    pub(crate) fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }
}

impl fmt::Display for CatalogError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line_col {
            Some((line, col)) => write!(f, "{}:{line}:{col}: {}", self.file, self.message)?,
            None => write!(f, "{}: {}", self.file, self.message)?,
        }
        if let Some(help) = &self.help {
            write!(f, "\n  help: {help}")?;
        }
        Ok(())
    }
}

impl std::error::Error for CatalogError {}

/// 1-based line and column of a byte offset. Columns count Unicode scalar
/// values, like the diagnostic renderers do. Offsets past the end or inside a
/// character are clamped rather than trusted.
pub fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let mut end = offset.min(text.len());
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    let before = &text[..end];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    (line, before[line_start..].chars().count() + 1)
}

/// Byte offset of a 1-based line and a 1-based column counted in bytes, as
/// serde_json reports them; clamped to the text and to a character start.
pub(crate) fn offset_of(text: &str, line: usize, byte_col: usize) -> usize {
    let line_start: usize = text
        .split_inclusive('\n')
        .take(line.saturating_sub(1))
        .map(str::len)
        .sum();
    let mut at = (line_start + byte_col.saturating_sub(1)).min(text.len());
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    at
}

/// Canonical spelling of a language code, as Meta writes it: `en-US`,
/// `en_us` and `EN_US` all become `en_US`. Only separators and case change,
/// so `en` and `en_US` stay different.
pub fn normalize_lang(s: &str) -> String {
    let mut parts = s.trim().split(['-', '_']);
    let mut out = parts.next().unwrap_or("").to_ascii_lowercase();
    for part in parts {
        out.push('_');
        // Regions are two letters in capitals; longer subtags (`419`, scripts)
        // are kept as written because Meta has no convention for them.
        if part.len() == 2 {
            out.push_str(&part.to_ascii_uppercase());
        } else {
            out.push_str(part);
        }
    }
    out
}

/// The language without its region: `pt` for `pt_BR`.
pub fn base_language(lang: &str) -> &str {
    lang.split(['_', '-']).next().unwrap_or(lang)
}

/// One `{{…}}` found in a template text, with its byte range in that text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Found {
    pub key: ParamKey,
    pub range: (usize, usize),
}

/// Placeholders in a text in order of appearance, repeats included. Only
/// `{{digits}}` and `{{identifier}}` count: anything else between braces
/// (`{{#if x}}` in an email preview, say) is template-engine syntax that trig
/// does not fill.
pub(crate) fn scan_placeholders(text: &str) -> Vec<Found> {
    let mut found = Vec::new();
    let mut from = 0;
    while let Some(open) = text.get(from..).and_then(|rest| rest.find("{{")) {
        let start = from + open;
        let inner_start = start + 2;
        let Some(close) = text.get(inner_start..).and_then(|rest| rest.find("}}")) else {
            break;
        };
        let inner = text
            .get(inner_start..inner_start + close)
            .unwrap_or("")
            .trim();
        let end = inner_start + close + 2;
        match parse_key(inner) {
            Some(key) => {
                found.push(Found {
                    key,
                    range: (start, end),
                });
                from = end;
            }
            // `{{{1}}` and the like: retry one brace later so the real
            // placeholder is still seen.
            None => from = start + 1,
        }
    }
    found
}

fn parse_key(inner: &str) -> Option<ParamKey> {
    if !inner.is_empty() && inner.bytes().all(|b| b.is_ascii_digit()) {
        return inner.parse().ok().map(ParamKey::Positional);
    }
    is_identifier(inner).then(|| ParamKey::Named(inner.to_string()))
}

/// A name that can follow `with (` as `name: EXPR`.
pub(crate) fn is_identifier(s: &str) -> bool {
    let mut bytes = s.bytes();
    matches!(bytes.next(), Some(b) if b.is_ascii_alphabetic() || b == b'_')
        && bytes.all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

/// The closest of `candidates` to `word`, if it is close enough to suggest.
pub(crate) fn did_you_mean<'a>(word: &str, candidates: &[&'a str]) -> Option<&'a str> {
    candidates
        .iter()
        .map(|c| {
            (
                strsim::jaro_winkler(&word.to_ascii_lowercase(), &c.to_ascii_lowercase()),
                *c,
            )
        })
        .filter(|(score, _)| *score > 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, c)| c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalizes_separators_and_case() {
        assert_eq!(normalize_lang("en-US"), "en_US");
        assert_eq!(normalize_lang("en_us"), "en_US");
        assert_eq!(normalize_lang(" PT-br "), "pt_BR");
        assert_eq!(normalize_lang("en"), "en");
        assert_eq!(normalize_lang("es-419"), "es_419");
        assert_eq!(normalize_lang(""), "");
    }

    #[test]
    fn base_language_drops_region() {
        assert_eq!(base_language("pt_BR"), "pt");
        assert_eq!(base_language("pt"), "pt");
        assert_eq!(base_language(""), "");
    }

    #[test]
    fn scans_positional_and_named() {
        let keys: Vec<_> = scan_placeholders("Hi {{1}}, {{ first_name }} {{#if x}} {{{2}}}")
            .into_iter()
            .map(|f| f.key)
            .collect();
        assert_eq!(
            keys,
            vec![
                ParamKey::Positional(1),
                ParamKey::Named("first_name".into()),
                ParamKey::Positional(2)
            ]
        );
    }

    #[test]
    fn scan_survives_odd_text() {
        for text in [
            "{{",
            "}}",
            "{{}}",
            "{{{{",
            "{{99999999999999999999}}",
            "é{{é}}",
            "{{1}",
        ] {
            let _ = scan_placeholders(text);
        }
        assert!(scan_placeholders("{{99999999999999999999}}").is_empty());
    }

    #[test]
    fn line_col_counts_chars() {
        let text = "ab\nçd\n";
        assert_eq!(line_col(text, 0), (1, 1));
        assert_eq!(line_col(text, 3), (2, 1));
        assert_eq!(line_col(text, 5), (2, 2));
        assert_eq!(line_col(text, 4), (2, 1), "inside a character clamps back");
        assert_eq!(line_col(text, 999), (3, 1));
        assert_eq!(offset_of(text, 2, 3), 5);
        assert_eq!(offset_of(text, 2, 2), 3, "inside a character clamps back");
        assert_eq!(offset_of(text, 9, 9), text.len());
    }
}
