//! Turns pest's "expected one of these grammar rules" into words a marketer
//! understands: "expected a duration such as `2h` after `for`, found `soon`".
//! Grammar rule names never reach the user.

use pest::error::{ErrorVariant, InputLocation};

use super::lexer::{StrKind, Token, TokenKind};
use super::parser::grammar::Rule as R;
use super::Span;
use crate::diag::{Code, Diagnostic, FileId};

/// What a grammar rule looks like to a user, or `None` for rules that are
/// implementation detail (their parent is described instead).
fn describe(rule: R) -> Option<&'static str> {
    Some(match rule {
        R::kw_rule => "`rule`",
        R::kw_when | R::rule_def | R::single_rule | R::file => "`when`",
        R::kw_then => "`then`",
        R::kw_fallback | R::fallback => "`fallback`",
        R::kw_if | R::kw_unless | R::guard => "`if` or `unless`",
        R::kw_and | R::absence => "`and not`",
        R::kw_or => "`or`",
        R::kw_not | R::not_op => "`not`",
        R::kw_for | R::wait => "`for`",
        R::kw_within | R::absence_within => "`within`",
        R::kw_times => "`times`",
        R::kw_followed | R::sequence => "`followed by`",
        R::kw_by => "`by`",
        R::kw_as | R::alias => "`as`",
        R::kw_where | R::filter => "`where`",
        R::kw_send | R::action => "`send`",
        R::kw_template | R::template_step => "`template`",
        R::kw_lang | R::lang => "`lang`",
        R::kw_with | R::params => "`with`",
        R::kw_per => "`per`",
        R::kw_in => "`in`",
        R::option => {
            "an option (`key`, `limit`, `once`, `priority`, `quiet`, `goal`, `holdout`, `tag`)"
        }
        R::header => "`rule NAME:`",
        R::ident | R::member => "a name",
        R::event_name | R::dotted_name | R::events | R::matcher | R::pattern => {
            "an event name such as `cart.abandoned` or `\"Order Completed\"`"
        }
        R::primary | R::trigger => {
            "a trigger such as `cart.abandoned`, `first order.completed` or `inactive for 30d`"
        }
        R::duration | R::dur_unit => "a duration such as `2h`",
        R::clock => "a clock time such as `21:00`",
        R::int | R::count => "a whole number",
        R::percent => "a percentage such as `10%`",
        R::number => "a number",
        R::string | R::str_inner => "a quoted string",
        R::text | R::text_chunk => "a message text in quotes",
        R::step => "a channel such as `whatsapp`, `sms` or `email`",
        R::expr
        | R::or_expr
        | R::and_expr
        | R::not_expr
        | R::filter_expr
        | R::filter_or
        | R::filter_and
        | R::cmp_expr
        | R::coalesce
        | R::additive
        | R::multiplicative
        | R::unary
        | R::atom
        | R::path
        | R::list
        | R::param
        | R::interp => "a value such as `event.total`, `20` or `\"text\"`",
        R::cmp_op
        | R::eq
        | R::ne
        | R::lt
        | R::le
        | R::gt
        | R::ge
        | R::not_in
        | R::not_contains
        | R::starts_with
        | R::kw_contains
        | R::kw_starts => "a comparison such as `==` or `>=`",
        R::coalesce_op | R::add | R::sub | R::mul | R::div => "an operator",
        R::EOI => "the end of the rule",
        _ => return None,
    })
}

/// The grammar rules pest expected at the error (empty for custom errors).
fn positives(e: &pest::error::Error<R>) -> &[R] {
    match &e.variant {
        ErrorVariant::ParsingError { positives, .. } => positives,
        ErrorVariant::CustomError { .. } => &[],
    }
}

/// A parse error for the rule in `chunk`, located and worded for people.
pub fn parse_error(
    e: &pest::error::Error<R>,
    src: &str,
    tokens: &[Token],
    chunk: Span,
    file: FileId,
) -> Diagnostic {
    let pos = chunk.start
        + match e.location {
            InputLocation::Pos(p) => p,
            InputLocation::Span((s, _)) => s,
        };
    // Tokens are in order; binary search keeps a file of many broken rules
    // from being scanned once per rule.
    let chunk_from = tokens.partition_point(|t| t.span.start < chunk.start);
    let before_pos = tokens.partition_point(|t| t.span.end <= pos);
    let found = tokens[before_pos..]
        .iter()
        .find(|t| t.kind != TokenKind::Comment);
    let found = found.filter(|t| t.span.start < chunk.end);
    // A string without its closing quote runs to the end of its line, so
    // pest often fails only after it (at the end of the rule).
    let unterminated = tokens[chunk_from..]
        .iter()
        .take_while(|t| t.span.start <= pos)
        .find(|t| t.kind == TokenKind::Str(StrKind::Unterminated));
    let expected_rules = positives(e);
    let special = special_case(src, tokens, unterminated.or(found), file).or_else(|| {
        let t = found?;
        bad_duration(expected_rules, src, t, file)
            .or_else(|| missing_then(expected_rules, src, t, file))
    });
    if let Some(d) = special {
        return d;
    }
    let expected = expected_words(expected_rules);
    let after = tokens[..before_pos]
        .iter()
        .rev()
        .take_while(|t| t.span.start >= chunk.start)
        .find(|t| t.kind != TokenKind::Comment);
    let (span, found_words) = match found {
        Some(t) => (t.span, format!("found `{}`", shorten(t.text(src)))),
        None => {
            let end = last_token_end(tokens, chunk);
            (Span::new(end, end), "but the rule ends here".to_string())
        }
    };
    let after_words = after
        .map(|t| format!(" after `{}`", shorten(t.text(src))))
        .unwrap_or_default();
    Diagnostic::new(
        Code::SyntaxError,
        file,
        span,
        format!("expected {expected}{after_words}, {found_words}"),
    )
    .with_label(format!("expected {expected} here"))
    .with_help(help_for(expected_rules))
}

/// Source text quoted in a message: at most 30 characters, with control
/// characters escaped so they cannot act on the user's terminal.
fn shorten(s: &str) -> String {
    let short: String = s
        .chars()
        .take(30)
        .flat_map(|c| {
            if c.is_control() {
                c.escape_unicode().collect::<Vec<_>>()
            } else {
                vec![c]
            }
        })
        .collect();
    if s.chars().count() > 30 {
        format!("{short}…")
    } else {
        short
    }
}

/// `for 2hours`: a word that starts like a duration but is not one is
/// reported whole, as T0006, rather than "expected `2h`, found `2h`".
fn bad_duration(positives: &[R], src: &str, t: &Token, file: FileId) -> Option<Diagnostic> {
    if !positives.contains(&R::duration)
        || !src[t.span.start..].starts_with(|c: char| c.is_ascii_digit())
    {
        return None;
    }
    let len = src[t.span.start..]
        .find(|c: char| !(c.is_alphanumeric() || c == '_' || c == '.'))
        .unwrap_or(src.len() - t.span.start);
    let span = Span::new(t.span.start, t.span.start + len);
    let word = shorten(&src[span.start..span.end]);
    Some(
        Diagnostic::new(Code::InvalidDuration, file, span, format!("`{word}` is not a duration"))
            .with_label("not a duration")
            .with_help("a duration is a whole number and a unit (`ms s m h d w`) with no space, such as `2h`, `90m` or `1h30m`"),
    )
}

/// `when … send sms "…"`: the commonest slip gets a direct answer instead
/// of the list of everything that may follow a trigger.
fn missing_then(positives: &[R], src: &str, t: &Token, file: FileId) -> Option<Diagnostic> {
    if !positives.contains(&R::kw_then) || !t.is_keyword(src, "send") {
        return None;
    }
    Some(
        Diagnostic::new(
            Code::SyntaxError,
            file,
            t.span,
            "expected `then` before `send`",
        )
        .with_label("add `then` before this")
        .with_help("a rule reads `when TRIGGER [if …] [unless …] then send CHANNEL …`"),
    )
}

/// Errors that deserve their own code and advice.
fn special_case(
    src: &str,
    tokens: &[Token],
    found: Option<&Token>,
    file: FileId,
) -> Option<Diagnostic> {
    let t = found?;
    if t.kind == TokenKind::Str(StrKind::Unterminated) {
        let span = Span::new(t.span.start, t.span.start + 1);
        return Some(
            Diagnostic::new(Code::UnterminatedString, file, span, "this string has no closing quote")
                .with_label("the string starts here and the line ends before a closing `\"`")
                .with_help("close the string with `\"` on the same line; to put a line break inside a message, write `\\n`"),
        );
    }
    if t.text(src) == "else" && matches!(t.kind, TokenKind::Word(_)) {
        let before = tokens.partition_point(|x| x.span.end <= t.span.start);
        let then = tokens[..before]
            .iter()
            .rev()
            .find(|x| x.is_keyword(src, "then"));
        let mut d = Diagnostic::new(Code::ElseNotSupported, file, t.span, "trig has no `else`")
            .with_label("`else` is not a keyword")
            .with_help(
                "to try another channel when the first cannot be used, write `fallback CHANNEL …`; \
                 to send a different message to other customers, write a second rule with `unless`",
            );
        if let Some(then) = then {
            d = d.with_secondary(file, then.span, "the action of this rule");
        }
        return Some(d);
    }
    None
}

fn expected_words(positives: &[R]) -> String {
    let mut words: Vec<&str> = Vec::new();
    for w in positives.iter().filter_map(|r| describe(*r)) {
        if !words.contains(&w) {
            words.push(w);
        }
    }
    match words.len() {
        0 => "something else".into(),
        1 => words[0].into(),
        n => format!("{} or {}", words[..n - 1].join(", "), words[n - 1]),
    }
}

fn help_for(positives: &[R]) -> String {
    let has = |r: R| positives.contains(&r);
    if has(R::duration) {
        "durations are a whole number and a unit, with no space: `30s`, `15m`, `2h`, `7d`, `1h30m`"
            .into()
    } else if has(R::kw_then) {
        "a rule reads `when TRIGGER [if …] [unless …] then send CHANNEL …`".into()
    } else if has(R::step) {
        "write the channel, then a template or a text: `send whatsapp template \"cart_reminder\"` or `send sms \"Hi {customer.first_name}\"`".into()
    } else if has(R::kw_within) {
        "`N times` and `followed by` need a window: `3 times within 1d`, `followed by order.completed within 2h`".into()
    } else if has(R::event_name) || has(R::dotted_name) || has(R::primary) || has(R::trigger) {
        "event names are words joined by dots (`cart.abandoned`) or a quoted string (`\"Order Completed\"`); keywords such as `for` cannot start an event name".into()
    } else {
        GENERAL_HELP.into()
    }
}

const GENERAL_HELP: &str = "a rule reads `[rule NAME:] when TRIGGER [if EXPR | unless EXPR]… then send CHANNEL … [fallback …]… [OPTION]…`; run `trig explain T0001` for the full form";

/// The end of the chunk's last token, so an error "at the end" points at
/// the rule and not at the blank lines or comments after it.
fn last_token_end(tokens: &[Token], chunk: Span) -> usize {
    let upto = tokens.partition_point(|t| t.span.start < chunk.end);
    tokens[..upto]
        .iter()
        .rev()
        .take_while(|t| t.span.start >= chunk.start)
        .find(|t| t.kind != TokenKind::Comment && t.span.end <= chunk.end)
        .map_or(chunk.start, |t| t.span.end)
}
