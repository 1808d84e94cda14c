//! The token layer: a logos lexer for the formatter, syntax highlighting,
//! the language server and parse-error recovery. It never decides what is
//! valid (the pest grammar does); it only has to agree with the grammar on
//! where tokens start and end, and on the keyword set (a test checks that
//! against `grammar/trig.pest`).
//!
//! Never fails: text it does not recognise becomes [`TokenKind::Error`].

use logos::Logos;

use super::Span;

/// The reserved words of LANGUAGE.md, in the order they are listed there.
pub const KEYWORDS: &[&str] = &[
    "rule", "when", "then", "fallback", "if", "unless", "and", "or", "not", "for", "within",
    "times", "first", "inactive", "followed", "by", "as", "where", "send", "template", "lang",
    "with", "key", "limit", "per", "once", "priority", "quiet", "goal", "holdout", "tag", "in",
    "contains", "starts", "true", "false", "null",
];

/// The channel names (not reserved: they are plain names to the grammar).
pub const CHANNELS: &[&str] = &["whatsapp", "sms", "email", "viber", "rcs"];

pub fn is_keyword(word: &str) -> bool {
    KEYWORDS.contains(&word)
}

/// Whether the next `"` opens a message text (`send sms "…{x}…"`), where
/// `{…}` may hold strings of its own, or a plain string.
#[derive(Default, Clone, Copy)]
pub struct LexState {
    text_mode: bool,
}

#[derive(Logos, Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[logos(extras = LexState)]
#[logos(skip r"[ \t\r\n\u{FEFF}]+")]
pub enum TokenKind {
    #[regex(r"#[^\n]*")]
    Comment,
    #[regex(r"[A-Za-z_][A-Za-z0-9_]*", word)]
    Word(WordKind),
    #[regex(r"[0-9]+(ms|s|m|h|d|w)([0-9]+(ms|s|m|h|d|w))*")]
    Duration,
    #[regex(r"[0-9][0-9]:[0-9][0-9]")]
    Clock,
    #[regex(r"[0-9]+(\.[0-9]+)?")]
    Number,
    #[regex(r"[0-9]+(\.[0-9]+)?%")]
    Percent,
    /// A plain string, or a message text when it follows `send CHANNEL` or
    /// `fallback CHANNEL`; `Unterminated` when the line ends first.
    #[token("\"", string)]
    Str(StrKind),
    #[token("(")]
    LParen,
    #[token(")")]
    RParen,
    #[token("[")]
    LBracket,
    #[token("]")]
    RBracket,
    #[token(",")]
    Comma,
    #[token(":")]
    Colon,
    #[token(".")]
    Dot,
    #[token("??")]
    Coalesce,
    #[regex(r"==|!=|<=|>=|<|>|\+|-|\*|/")]
    Operator,
    Error,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum WordKind {
    Keyword,
    Channel,
    Name,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum StrKind {
    Plain,
    Text,
    Unterminated,
}

fn word(lex: &mut logos::Lexer<TokenKind>) -> WordKind {
    let w = lex.slice();
    if is_keyword(w) {
        WordKind::Keyword
    } else if CHANNELS.contains(&w) {
        WordKind::Channel
    } else {
        WordKind::Name
    }
}

/// Scans a string after its opening quote. In text mode `{…}` may contain
/// plain strings, so a quote inside braces does not end the text.
fn string(lex: &mut logos::Lexer<TokenKind>) -> StrKind {
    let text_mode = lex.extras.text_mode;
    let rest = lex.remainder();
    let mut depth = 0usize;
    let mut in_inner = false;
    let mut chars = rest.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        match c {
            '\n' | '\r' => {
                lex.bump(i);
                return StrKind::Unterminated;
            }
            '\\' => {
                if let Some(&(_, n)) = chars.peek() {
                    if n != '\n' && n != '\r' {
                        chars.next();
                    }
                }
            }
            '"' if in_inner => in_inner = false,
            // Inside `{…}` a quote opens a string only where an expression
            // may have one (after an operator or `{`); after a name it ends
            // the text, as the grammar reads `"{oops"`.
            '"' if depth > 0 && !after_word(&rest[..i]) => in_inner = true,
            '"' => {
                lex.bump(i + 1);
                return if text_mode {
                    StrKind::Text
                } else {
                    StrKind::Plain
                };
            }
            _ if in_inner || !text_mode => {}
            '{' if depth == 0 && matches!(chars.peek(), Some((_, '{'))) => {
                chars.next();
            }
            '{' => depth += 1,
            '}' if depth > 0 => depth -= 1,
            _ => {}
        }
    }
    lex.bump(rest.len());
    StrKind::Unterminated
}

fn after_word(before: &str) -> bool {
    before
        .trim_end()
        .chars()
        .next_back()
        .is_some_and(|c| c.is_alphanumeric() || c == '_' || c == ')' || c == '.')
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Token {
    pub kind: TokenKind,
    pub span: Span,
}

impl Token {
    pub fn text(self, src: &str) -> &str {
        &src[self.span.start..self.span.end]
    }

    pub fn is_keyword(self, src: &str, kw: &str) -> bool {
        self.kind == TokenKind::Word(WordKind::Keyword) && self.text(src) == kw
    }
}

/// All tokens of `src`, comments included, in order.
pub fn tokenize(src: &str) -> Vec<Token> {
    let mut lex = TokenKind::lexer(src);
    let mut out: Vec<Token> = Vec::new();
    while let Some(result) = lex.next() {
        let span = Span::new(lex.span().start, lex.span().end);
        let kind = result.unwrap_or(TokenKind::Error);
        out.push(Token { kind, span });
        lex.extras.text_mode = opens_text(src, &out);
    }
    out
}

/// A text follows `send CHANNEL` and `fallback CHANNEL`.
fn opens_text(src: &str, tokens: &[Token]) -> bool {
    let mut significant = tokens.iter().rev().filter(|t| t.kind != TokenKind::Comment);
    let (Some(last), Some(before)) = (significant.next(), significant.next()) else {
        return false;
    };
    matches!(
        last.kind,
        TokenKind::Word(WordKind::Channel | WordKind::Name)
    ) && (before.is_keyword(src, "send") || before.is_keyword(src, "fallback"))
}
