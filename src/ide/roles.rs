//! What each token *is* in its rule: the logos lexer only knows words,
//! strings and numbers; editors need event names, channels, aliases,
//! template names. One forward pass over the tokens decides, from the
//! keywords before each token, the same way the grammar would read it.
//! It must never fail on broken input: unknown shapes become plain names.

use crate::syntax::lexer::{self, StrKind, Token, TokenKind, WordKind};
use crate::syntax::Span;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    Keyword,
    Comment,
    /// `cart.abandoned` (every piece of a dotted name) or `"Order Completed"`.
    EventName,
    Channel,
    RuleName,
    /// The name after `as`.
    AliasDef,
    /// An alias used as the root of a path.
    AliasRef,
    /// `customer`, `event` and `now` at the root of a path.
    Builtin,
    /// A name after a dot in a path.
    Member,
    /// A name before `:` in `with (…)`.
    Param,
    Tag,
    /// A name that is none of the above (the checker will say why).
    Name,
    TemplateName,
    /// A plain string, or the literal part of a message text.
    Str,
    /// `\n`, `\u{…}`, and `{{` `}}` in a text.
    Escape,
    /// The `{` and `}` around an interpolation.
    Interpolation,
    Duration,
    Clock,
    Number,
    Percent,
    Operator,
    Punctuation,
    Error,
}

/// A token with its role. Message texts are split into pieces so that
/// the expressions inside `{…}` get roles of their own.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Classified {
    pub span: Span,
    pub role: Role,
}

/// The rules of a file as token ranges: a rule starts at `rule` (or at a
/// `when` without a header) and ends where the next one starts.
pub fn rule_ranges(src: &str, tokens: &[Token]) -> Vec<std::ops::Range<usize>> {
    let mut starts = Vec::new();
    for (i, t) in tokens.iter().enumerate() {
        let after_header = i >= 3 && tokens[i - 3].is_keyword(src, "rule");
        if t.is_keyword(src, "rule") || (t.is_keyword(src, "when") && !after_header) {
            starts.push(i);
        }
    }
    let mut out = Vec::new();
    for (n, &s) in starts.iter().enumerate() {
        let end = starts.get(n + 1).copied().unwrap_or(tokens.len());
        out.push(s..end);
    }
    if let Some(first) = starts.first().filter(|&&s| s > 0) {
        out.insert(0, 0..*first);
    }
    if out.is_empty() {
        out.push(0..tokens.len());
    }
    out
}

/// The aliases (`as NAME`) defined in `tokens`: name and span.
pub fn aliases<'s>(src: &'s str, tokens: &[Token]) -> Vec<(&'s str, Span)> {
    tokens
        .windows(2)
        .filter(|w| w[0].is_keyword(src, "as") && is_name(w[1]))
        .map(|w| (&src[w[1].span.start..w[1].span.end], w[1].span))
        .collect()
}

fn is_name(t: Token) -> bool {
    matches!(t.kind, TokenKind::Word(WordKind::Name | WordKind::Channel))
}

/// Every token of `src` with its role, in order; comments included.
pub fn classify(src: &str) -> Vec<Classified> {
    let tokens = lexer::tokenize(src);
    let mut out = Vec::with_capacity(tokens.len());
    for range in rule_ranges(src, &tokens) {
        let rule = &tokens[range];
        let defs = aliases(src, rule);
        let alias_names: Vec<&str> = defs.iter().map(|(n, _)| *n).collect();
        Rule::new(src, &alias_names).classify(rule, &mut out);
    }
    out
}

/// The piece under a cursor at `offset`: the word or literal that
/// contains it, else the one that ends there (the cursor just after a
/// word, before a `.` or `)`), else the punctuation it is on.
pub fn piece_at(pieces: &[Classified], offset: usize) -> Option<Classified> {
    let contains = |c: &&Classified| c.span.start <= offset && offset < c.span.end;
    let meaningful = |c: &&Classified| c.role != Role::Punctuation;
    pieces
        .iter()
        .filter(meaningful)
        .find(contains)
        .or_else(|| {
            pieces
                .iter()
                .filter(meaningful)
                .find(|c| c.span.end == offset)
        })
        .or_else(|| pieces.iter().find(contains))
        .copied()
}

/// Where in a rule a token is: the clause decides how `and not` and
/// names read.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Clause {
    /// Between `when` and the first guard or `then`.
    Trigger,
    Other,
}

struct Rule<'a> {
    src: &'a str,
    aliases: &'a [&'a str],
    clause: Clause,
    /// Paren depth inside the trigger; an event list `(a or b)` sets
    /// `event_list_depth`.
    depth: usize,
    event_list_depth: Option<usize>,
    /// The previous significant tokens (comments skipped).
    prev: [Option<Token>; 3],
    /// The dotted name being read is an event name.
    in_event_name: bool,
}

impl<'a> Rule<'a> {
    fn new(src: &'a str, aliases: &'a [&'a str]) -> Self {
        Rule {
            src,
            aliases,
            clause: Clause::Other,
            depth: 0,
            event_list_depth: None,
            prev: [None; 3],
            in_event_name: false,
        }
    }

    fn classify(mut self, tokens: &[Token], out: &mut Vec<Classified>) {
        for (i, &t) in tokens.iter().enumerate() {
            if t.kind == TokenKind::Comment {
                out.push(Classified {
                    span: t.span,
                    role: Role::Comment,
                });
                continue;
            }
            let next = tokens[i + 1..]
                .iter()
                .find(|n| n.kind != TokenKind::Comment)
                .copied();
            if let TokenKind::Str(StrKind::Text) = t.kind {
                text_pieces(self.src, t.span, self.aliases, out);
                self.in_event_name = false;
            } else {
                let role = self.role(t, next);
                self.in_event_name = role == Role::EventName
                    && matches!(t.kind, TokenKind::Word(_) | TokenKind::Dot);
                out.push(Classified { span: t.span, role });
            }
            self.advance(t);
        }
    }

    fn kw(&self, t: Option<Token>, word: &str) -> bool {
        t.is_some_and(|t| t.is_keyword(self.src, word))
    }

    /// An event name may start here: after `when`, `first`, `followed by`,
    /// an absence's `and not`, `goal`, or inside an event list.
    fn event_position(&self) -> bool {
        let [p1, p2, _] = self.prev;
        let in_list = self.event_list_depth == Some(self.depth)
            && (p1.is_some_and(|t| t.kind == TokenKind::LParen) || self.kw(p1, "or"));
        self.kw(p1, "when")
            || self.kw(p1, "first")
            || self.kw(p1, "goal")
            || (self.kw(p1, "by") && self.kw(p2, "followed"))
            || (self.clause == Clause::Trigger
                && self.depth == 0
                && self.kw(p1, "not")
                && self.kw(p2, "and"))
            || in_list
    }

    fn role(&self, t: Token, next: Option<Token>) -> Role {
        let p1 = self.prev[0];
        let adjacent = p1.is_some_and(|p| p.span.end == t.span.start);
        let after_dot = adjacent && p1.is_some_and(|p| p.kind == TokenKind::Dot);
        match t.kind {
            TokenKind::Word(WordKind::Keyword) => Role::Keyword,
            TokenKind::Word(_) if after_dot && self.in_event_name => Role::EventName,
            TokenKind::Word(_) if after_dot => Role::Member,
            TokenKind::Word(_) => self.name_role(t, next),
            TokenKind::Str(_) if self.kw(p1, "template") => Role::TemplateName,
            TokenKind::Str(_) if self.event_position() => Role::EventName,
            TokenKind::Str(StrKind::Unterminated) => Role::Error,
            TokenKind::Str(_) => Role::Str,
            TokenKind::Duration => Role::Duration,
            TokenKind::Clock => Role::Clock,
            TokenKind::Number => Role::Number,
            TokenKind::Percent => Role::Percent,
            TokenKind::Operator | TokenKind::Coalesce => Role::Operator,
            TokenKind::Dot if self.in_event_name && adjacent => Role::EventName,
            TokenKind::Error => Role::Error,
            _ => Role::Punctuation,
        }
    }

    fn name_role(&self, t: Token, next: Option<Token>) -> Role {
        let p1 = self.prev[0];
        let word = &self.src[t.span.start..t.span.end];
        if self.event_position() {
            return Role::EventName;
        }
        if self.kw(p1, "send") || self.kw(p1, "fallback") {
            return Role::Channel;
        }
        if self.kw(p1, "rule") {
            return Role::RuleName;
        }
        if self.kw(p1, "as") {
            return Role::AliasDef;
        }
        if self.kw(p1, "tag") {
            return Role::Tag;
        }
        let before_colon = next.is_some_and(|n| n.kind == TokenKind::Colon);
        let in_params = p1.is_some_and(|p| matches!(p.kind, TokenKind::LParen | TokenKind::Comma));
        if before_colon && in_params {
            return Role::Param;
        }
        if matches!(word, "customer" | "event" | "now") {
            Role::Builtin
        } else if self.aliases.contains(&word) {
            Role::AliasRef
        } else {
            Role::Name
        }
    }

    fn advance(&mut self, t: Token) {
        match t.kind {
            TokenKind::LParen => {
                let opens_list = self.event_position() && self.clause == Clause::Trigger;
                self.depth += 1;
                if opens_list {
                    self.event_list_depth = Some(self.depth);
                }
            }
            TokenKind::RParen => {
                if self.event_list_depth == Some(self.depth) {
                    self.event_list_depth = None;
                }
                self.depth = self.depth.saturating_sub(1);
            }
            _ => {}
        }
        if t.is_keyword(self.src, "when") {
            self.clause = Clause::Trigger;
            self.depth = 0;
        } else if ["if", "unless", "then"]
            .iter()
            .any(|k| t.is_keyword(self.src, k))
        {
            self.clause = Clause::Other;
        }
        self.prev = [Some(t), self.prev[0], self.prev[1]];
    }
}

/// Splits a message text into its literal parts, escapes and `{…}`
/// interpolations, whose expressions are classified as expressions.
fn text_pieces(src: &str, span: Span, aliases: &[&str], out: &mut Vec<Classified>) {
    let text = &src[span.start..span.end];
    let push = |s: usize, e: usize, role: Role, out: &mut Vec<Classified>| {
        if e > s {
            out.push(Classified {
                span: Span::new(span.start + s, span.start + e),
                role,
            });
        }
    };
    let bytes = text.as_bytes();
    let mut chunk = 0;
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' => {
                push(chunk, i, Role::Str, out);
                let end = escape_end(text, i);
                push(i, end, Role::Escape, out);
                i = end;
                chunk = i;
            }
            b'{' | b'}' if bytes.get(i + 1) == Some(&bytes[i]) => {
                push(chunk, i, Role::Str, out);
                push(i, i + 2, Role::Escape, out);
                i += 2;
                chunk = i;
            }
            b'{' => {
                push(chunk, i, Role::Str, out);
                let close = interpolation_end(text, i + 1);
                push(i, i + 1, Role::Interpolation, out);
                expression(
                    src,
                    Span::new(span.start + i + 1, span.start + close),
                    aliases,
                    out,
                );
                if close < text.len() && bytes[close] == b'}' {
                    push(close, close + 1, Role::Interpolation, out);
                    i = close + 1;
                } else {
                    i = close;
                }
                chunk = i;
            }
            _ => i += 1,
        }
    }
    push(chunk, bytes.len(), Role::Str, out);
}

fn escape_end(text: &str, backslash: usize) -> usize {
    let rest = &text[backslash + 1..];
    if rest.starts_with("u{") {
        if let Some(close) = rest.find('}') {
            return backslash + 1 + close + 1;
        }
    }
    let next = rest.chars().next().map_or(0, char::len_utf8);
    backslash + 1 + next
}

/// The `}` that closes an interpolation opened before `from` (strings
/// inside may hold braces), or the end of the text's contents.
fn interpolation_end(text: &str, from: usize) -> usize {
    let body_end = text.len() - usize::from(text.len() > 1 && text.ends_with('"'));
    let mut in_str = false;
    let mut i = from;
    let bytes = text.as_bytes();
    while i < body_end {
        match bytes[i] {
            b'\\' if in_str => i += 1,
            b'"' => in_str = !in_str,
            b'}' if !in_str => return i,
            _ => {}
        }
        i += 1;
    }
    body_end
}

/// Classifies the tokens of an expression inside `{…}`.
fn expression(src: &str, span: Span, aliases: &[&str], out: &mut Vec<Classified>) {
    let inner = &src[span.start..span.end];
    let tokens: Vec<Token> = lexer::tokenize(inner)
        .into_iter()
        .map(|t| Token {
            kind: t.kind,
            span: t.span.offset(span.start),
        })
        .collect();
    let rule = Rule::new(src, aliases);
    rule.classify(&tokens, out);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn roles(src: &str) -> Vec<(String, Role)> {
        classify(src)
            .into_iter()
            .map(|c| (src[c.span.start..c.span.end].to_string(), c.role))
            .collect()
    }

    fn role_of(src: &str, text: &str) -> Role {
        roles(src)
            .into_iter()
            .find(|(t, _)| t == text)
            .unwrap_or_else(|| panic!("no token {text:?} in {:?}", roles(src)))
            .1
    }

    #[test]
    fn seed_rule_roles() {
        let src = "when cart.abandoned as c for 2h and not purchased then send whatsapp template \"cart_reminder\" with (name: c.url) quiet 21:00-09:00 holdout 5% tag cart";
        assert_eq!(role_of(src, "cart"), Role::EventName);
        assert_eq!(role_of(src, "abandoned"), Role::EventName);
        assert_eq!(role_of(src, "purchased"), Role::EventName);
        assert_eq!(role_of(src, "c"), Role::AliasDef);
        assert_eq!(role_of(src, "whatsapp"), Role::Channel);
        assert_eq!(role_of(src, "\"cart_reminder\""), Role::TemplateName);
        assert_eq!(role_of(src, "name"), Role::Param);
        assert_eq!(role_of(src, "url"), Role::Member);
        assert_eq!(role_of(src, "2h"), Role::Duration);
        assert_eq!(role_of(src, "21:00"), Role::Clock);
        assert_eq!(role_of(src, "5%"), Role::Percent);
    }

    #[test]
    fn guards_read_and_not_as_an_expression() {
        let src = "when a.b if x and not customer.vip then send sms \"hi\"";
        assert_eq!(role_of(src, "customer"), Role::Builtin);
        assert_eq!(role_of(src, "vip"), Role::Member);
        assert_eq!(role_of(src, "x"), Role::Name);
    }

    #[test]
    fn texts_split_into_interpolations() {
        let src = "rule r:\n when a as o then send sms \"Hi {o.name ?? \"you\"} {{x}} \\n\"";
        let r = roles(src);
        assert!(r.contains(&("{".into(), Role::Interpolation)));
        assert!(r.contains(&("o".into(), Role::AliasRef)));
        assert!(r.contains(&("\"you\"".into(), Role::Str)));
        assert!(r.contains(&("{{".into(), Role::Escape)));
        assert!(r.contains(&("\\n".into(), Role::Escape)));
        assert_eq!(role_of(src, "r"), Role::RuleName);
    }

    #[test]
    fn event_lists_and_sequences() {
        let src = "when (page.viewed or \"Product Viewed\") as v followed by order.done within 1d then send sms \"x\"";
        assert_eq!(role_of(src, "page"), Role::EventName);
        assert_eq!(role_of(src, "\"Product Viewed\""), Role::EventName);
        assert_eq!(role_of(src, "done"), Role::EventName);
        assert_eq!(role_of(src, "v"), Role::AliasDef);
    }
}
