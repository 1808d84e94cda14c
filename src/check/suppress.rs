//! Suppression: `# trig: ignore[name-or-code, …]` on the line before a
//! rule silences those diagnostics inside that rule; `[lint] allow` in
//! trig.toml silences warnings and notes project-wide. Errors can be
//! suppressed per rule (the rule is then still left out of the program).

use super::config::Config;
use crate::diag::{Code, Diagnostic, FileId, Severity, SourceMap};
use crate::syntax::Span;

const MARKER: &str = "trig: ignore[";

pub fn apply(
    diags: Vec<Diagnostic>,
    sources: &SourceMap,
    rules: &[(FileId, Vec<Span>)],
    config: &Config,
) -> Vec<Diagnostic> {
    let mut extra = Vec::new();
    let mut silenced: Vec<(FileId, Span, Vec<Code>)> = Vec::new();
    for (file, spans) in rules {
        let text = &sources.get(*file).text;
        for span in spans {
            if let Some((codes, unknown)) = directive_before(text, span.start) {
                for (word, at) in unknown {
                    extra.push(
                        Diagnostic::new(Code::UnknownSuppression, *file, at, format!("`{word}` is not a diagnostic code or name"))
                            .with_help("use a code such as `T0311` or a name such as `missing-consent`; `trig explain CODE` lists what each means"),
                    );
                }
                silenced.push((*file, *span, codes));
            }
        }
    }
    let kept = diags.into_iter().filter(|d| {
        let by_rule = silenced.iter().any(|(f, s, codes)| {
            *f == d.file
                && s.start <= d.span.start
                && d.span.start < s.end.max(s.start + 1)
                && codes.contains(&d.code)
        });
        let by_config = d.severity != Severity::Error && config.allows(d.code);
        !by_rule && !by_config
    });
    kept.chain(extra).collect()
}

/// The codes named on the comment line directly above `offset`'s line,
/// and the words that name no code (with their spans).
#[allow(clippy::type_complexity)]
fn directive_before(text: &str, offset: usize) -> Option<(Vec<Code>, Vec<(String, Span)>)> {
    let line_start = text[..offset].rfind('\n').map_or(0, |i| i + 1);
    if line_start == 0 {
        return None;
    }
    let prev_start = text[..line_start - 1].rfind('\n').map_or(0, |i| i + 1);
    let prev = &text[prev_start..line_start - 1];
    let at = prev.find(MARKER)?;
    if !prev[..at].trim_start().starts_with('#') {
        return None;
    }
    let list_start = at + MARKER.len();
    let list_end = list_start + prev[list_start..].find(']')?;
    let mut codes = Vec::new();
    let mut unknown = Vec::new();
    let mut pos = prev_start + list_start;
    for word in prev[list_start..list_end].split(',') {
        let w = word.trim();
        let lead = word.len() - word.trim_start().len();
        match Code::parse(w) {
            Some(c) => codes.push(c),
            None if !w.is_empty() => {
                unknown.push((w.to_string(), Span::new(pos + lead, pos + lead + w.len())))
            }
            None => {}
        }
        pos += word.len() + 1;
    }
    Some((codes, unknown))
}
