//! The formatter's view of the token stream: logos tokens with their source
//! line, spacing flags, and comments sorted into the rule that owns them.

use crate::diag::{Code, Diagnostic, FileId};
use crate::syntax::lexer::{self, StrKind, TokenKind, WordKind};
use crate::syntax::Span;

/// One token with what layout needs to know about it.
#[derive(Debug, Clone, Copy)]
pub(super) struct Tok<'s> {
    pub kind: TokenKind,
    /// Comments have trailing whitespace trimmed; everything else is verbatim.
    pub text: &'s str,
    /// Source lines between the previous token and this one: 0 on the same
    /// line, 2 or more when a blank line separates them.
    pub gap: usize,
    /// Whether the token starts in column 0 of its source line.
    pub at_margin: bool,
    /// A word after `.` or before `:` is a plain name even if it is spelled
    /// like a keyword (`event.first`, `with (key: 1)`).
    pub name_like: bool,
    pub tight_before: bool,
    pub tight_after: bool,
}

impl Tok<'_> {
    pub fn is_comment(&self) -> bool {
        self.kind == TokenKind::Comment
    }

    /// A comment written after code on the same source line.
    pub fn is_trailing_comment(&self) -> bool {
        self.is_comment() && self.gap == 0
    }

    pub fn is_kw(&self, word: &str) -> bool {
        self.kind == TokenKind::Word(WordKind::Keyword) && !self.name_like && self.text == word
    }

    pub fn width(&self) -> usize {
        self.text.chars().count()
    }
}

/// Tokens of `src`, or a diagnostic when the lexer saw something the
/// grammar accepted differently: re-laying out such a file could change it.
pub(super) fn prepare(src: &str) -> Result<Vec<Tok<'_>>, Vec<Diagnostic>> {
    let raw = lexer::tokenize(src);
    let mut toks = Vec::with_capacity(raw.len());
    let mut prev_end = 0;
    for t in &raw {
        refuse_broken(t.kind, t.span)?;
        let between = &src[prev_end..t.span.start];
        let text = t.text(src);
        toks.push(Tok {
            kind: t.kind,
            text: if t.kind == TokenKind::Comment {
                text.trim_end()
            } else {
                text
            },
            // The first token starts a line even when nothing precedes it.
            gap: between
                .matches('\n')
                .count()
                .max(usize::from(toks.is_empty())),
            at_margin: t.span.start == 0 || src.as_bytes()[t.span.start - 1] == b'\n',
            name_like: false,
            tight_before: false,
            tight_after: false,
        });
        prev_end = t.span.end;
    }
    mark_names(&mut toks);
    mark_spacing(&mut toks);
    Ok(toks)
}

fn refuse_broken(kind: TokenKind, span: Span) -> Result<(), Vec<Diagnostic>> {
    let message = match kind {
        TokenKind::Error => {
            "trig fmt does not recognise this text, so it leaves the file untouched"
        }
        TokenKind::Str(StrKind::Unterminated) => {
            "trig fmt reads this string as unterminated, so it leaves the file untouched"
        }
        _ => return Ok(()),
    };
    let code = if kind == TokenKind::Error {
        Code::SyntaxError
    } else {
        Code::UnterminatedString
    };
    Err(vec![Diagnostic::new(code, FileId(0), span, message)
        .with_help("keep strings and message texts on one line, and please report this file: it parsed but its tokens did not")])
}

fn code_indices(toks: &[Tok]) -> Vec<usize> {
    (0..toks.len()).filter(|&i| !toks[i].is_comment()).collect()
}

fn mark_names(toks: &mut [Tok]) {
    let code = code_indices(toks);
    for (k, &i) in code.iter().enumerate() {
        let after_dot = k > 0 && toks[code[k - 1]].kind == TokenKind::Dot;
        let before_colon = code
            .get(k + 1)
            .is_some_and(|&j| toks[j].kind == TokenKind::Colon);
        toks[i].name_like = after_dot || before_colon;
    }
}

/// Whether a `-` after this token is binary: the token ends a value.
fn ends_value(t: &Tok) -> bool {
    match t.kind {
        TokenKind::Word(WordKind::Keyword) => {
            t.name_like || matches!(t.text, "true" | "false" | "null")
        }
        TokenKind::Word(_)
        | TokenKind::Number
        | TokenKind::Duration
        | TokenKind::Percent
        | TokenKind::Str(_)
        | TokenKind::RParen
        | TokenKind::RBracket => true,
        _ => false,
    }
}

fn mark_spacing(toks: &mut [Tok]) {
    let code = code_indices(toks);
    for (k, &i) in code.iter().enumerate() {
        let prev = k.checked_sub(1).map(|p| toks[code[p]]);
        let t = &mut toks[i];
        match t.kind {
            TokenKind::LParen | TokenKind::LBracket => t.tight_after = true,
            TokenKind::RParen | TokenKind::RBracket | TokenKind::Comma | TokenKind::Colon => {
                t.tight_before = true
            }
            TokenKind::Dot => {
                t.tight_before = true;
                t.tight_after = true;
            }
            TokenKind::Operator if t.text == "-" => {
                // `21:00-09:00` is one quiet window; `-1` is a negative number.
                let range = prev.is_some_and(|p| p.kind == TokenKind::Clock);
                t.tight_before = range;
                t.tight_after = range || !prev.is_some_and(|p| ends_value(&p));
            }
            _ => {}
        }
    }
}

/// A rule's tokens, from its first keyword to its last token, with the
/// comments inside it, its trailing comment and the indented comment lines
/// right under it.
#[derive(Debug, Default)]
pub(super) struct Block<'s> {
    /// Comment lines before the rule (their `gap` keeps blank lines).
    pub leading: Vec<Tok<'s>>,
    pub body: Vec<Tok<'s>>,
}

#[derive(Debug, Default)]
pub(super) struct Doc<'s> {
    pub blocks: Vec<Block<'s>>,
    /// Comment lines after the last rule that do not belong to it.
    pub trailer: Vec<Tok<'s>>,
}

/// Cuts the file into rules where the parser does: at `rule`, and at a
/// `when` that does not directly follow a `rule NAME:` header.
pub(super) fn split_rules<'s>(toks: &[Tok<'s>]) -> Doc<'s> {
    let code = code_indices(toks);
    let starts: Vec<usize> = code
        .iter()
        .enumerate()
        .filter(|&(k, &i)| starts_rule(toks, &code, k, i))
        .map(|(_, &i)| i)
        .collect();
    let mut doc = Doc::default();
    let mut pending: Vec<Tok<'s>> = toks[..starts.first().copied().unwrap_or(toks.len())].to_vec();
    for (r, &start) in starts.iter().enumerate() {
        let next = starts.get(r + 1).copied().unwrap_or(toks.len());
        let last_code = code
            .partition_point(|&i| i < next)
            .checked_sub(1)
            .map_or(start, |k| code[k]);
        let owned_end = owned_tail_end(toks, last_code, next);
        doc.blocks.push(Block {
            leading: std::mem::take(&mut pending),
            body: toks[start..owned_end].to_vec(),
        });
        pending = toks[owned_end..next].to_vec();
    }
    doc.trailer = pending;
    doc
}

fn starts_rule(toks: &[Tok], code: &[usize], k: usize, i: usize) -> bool {
    let t = &toks[i];
    if t.is_kw("rule") {
        return true;
    }
    let after_header =
        k >= 3 && toks[code[k - 3]].is_kw("rule") && toks[code[k - 1]].kind == TokenKind::Colon;
    t.is_kw("when") && !after_header
}

/// End (exclusive) of the comments after a rule's last token that still
/// belong to it: the comment on its last line, then comment lines that are
/// indented and not separated from it by a blank line.
fn owned_tail_end(toks: &[Tok], last_code: usize, limit: usize) -> usize {
    let mut end = last_code + 1;
    if end < limit && toks[end].is_trailing_comment() {
        end += 1;
    }
    while end < limit && toks[end].is_comment() && toks[end].gap == 1 && !toks[end].at_margin {
        end += 1;
    }
    end
}
