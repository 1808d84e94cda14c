//! Binds the pest grammar (`grammar/trig.pest`) and builds the typed AST.
//!
//! Recovery: the file is cut into rules at `rule`/`when` keywords (found by
//! the logos lexer, which skips comments and strings), and each rule is
//! parsed on its own. A broken rule yields a diagnostic and is left out; the
//! rules after it are still parsed and checked.

use pest::iterators::Pair;
use pest::Parser as _;

use super::ast::*;
use super::expected;
use super::lexer::{self, StrKind, Token, TokenKind};
use super::Span;
use crate::diag::{Code, Diagnostic, FileId};

/// The pest binding; its `Rule` enum names grammar rules, not trig rules.
pub mod grammar {
    #[derive(pest_derive::Parser)]
    #[grammar = "../grammar/trig.pest"]
    pub struct TrigParser;
}

use grammar::{Rule as R, TrigParser};

/// Deepest nesting of `(`/`[` accepted; deeper input gets T0009 before pest
/// sees it, so a hostile file cannot exhaust the stack.
pub const MAX_NESTING: usize = 32;
/// Longest chain of operators in one expression (each adds a tree level).
pub const MAX_EXPR_DEPTH: usize = 256;

/// Parses a whole file. Always returns the rules that parsed; problems are
/// in the diagnostics.
pub fn parse_file(src: &str, file: FileId) -> (File, Vec<Diagnostic>) {
    let mut diags = Vec::new();
    let tokens = lexer::tokenize(src);
    let chunks = split_rules(src, &tokens, file, &mut diags);
    let code_tokens: Vec<Span> = tokens
        .iter()
        .filter(|t| t.kind != TokenKind::Comment)
        .map(|t| t.span)
        .collect();
    let mut rules = Vec::new();
    for (index, chunk) in chunks.iter().enumerate() {
        let mut b = Builder {
            file,
            base: chunk.start,
            code_tokens: &code_tokens,
            diags: Vec::new(),
        };
        if let Some(rule) = b.parse_rule(src, *chunk, &tokens, index + 1) {
            if b.diags
                .iter()
                .all(|d| d.severity != crate::diag::Severity::Error)
            {
                rules.push(rule);
            }
        }
        diags.append(&mut b.diags);
    }
    (File { rules }, diags)
}

/// Parses a whole file and returns the rules only if there was no error.
pub fn parse_rules(src: &str) -> Result<File, Vec<Diagnostic>> {
    let (file, diags) = parse_file(src, FileId(0));
    if diags.is_empty() {
        Ok(file)
    } else {
        Err(diags)
    }
}

/// Cuts the token stream into one span per rule. A rule starts at `rule`, or
/// at a `when` that does not directly follow a `rule NAME:` header.
fn split_rules(
    src: &str,
    tokens: &[Token],
    file: FileId,
    diags: &mut Vec<Diagnostic>,
) -> Vec<Span> {
    let sig: Vec<&Token> = tokens
        .iter()
        .filter(|t| t.kind != TokenKind::Comment)
        .collect();
    let mut starts = Vec::new();
    for (i, t) in sig.iter().enumerate() {
        // After a dot (`event.when`) and as a parameter name (`with (rule: 1)`)
        // a keyword is a plain name.
        let prev = i.checked_sub(1).map(|j| sig[j].kind);
        let next = sig.get(i + 1).map(|n| n.kind);
        let plain_name = prev == Some(TokenKind::Dot)
            || (next == Some(TokenKind::Colon)
                && matches!(prev, Some(TokenKind::LParen | TokenKind::Comma)));
        let starts_rule = !plain_name
            && (t.is_keyword(src, "rule")
                || (t.is_keyword(src, "when")
                    && !(i >= 3
                        && sig[i - 3].is_keyword(src, "rule")
                        && sig[i - 1].kind == TokenKind::Colon)));
        if starts_rule {
            starts.push(t.span.start);
        }
    }
    if let Some(first) = sig.first() {
        let end = starts.first().copied().unwrap_or(src.len());
        if first.span.start < end {
            let stray = Span::new(first.span.start, first.span.end);
            diags.push(
                Diagnostic::new(
                    Code::SyntaxError,
                    file,
                    stray,
                    format!(
                        "expected `rule` or `when` to start a rule, found {}",
                        describe_token(src, first)
                    ),
                )
                .with_label("a rule starts with `rule NAME:` or `when`")
                .with_help("every rule reads `[rule NAME:] when TRIGGER then send …`"),
            );
        }
    }
    let mut chunks = Vec::with_capacity(starts.len());
    for (i, &start) in starts.iter().enumerate() {
        let end = starts.get(i + 1).copied().unwrap_or(src.len());
        chunks.push(Span::new(start, end));
    }
    chunks
}

fn describe_token(src: &str, t: &Token) -> String {
    let text = t.text(src);
    let shown: String = text.chars().take(30).collect();
    if shown.len() < text.len() {
        format!("`{shown}…`")
    } else {
        format!("`{shown}`")
    }
}

struct Builder<'t> {
    file: FileId,
    /// Spans of all tokens but comments, to trim pest's trailing whitespace.
    code_tokens: &'t [Span],
    /// Byte offset of the chunk in its file: pest positions are chunk-relative.
    base: usize,
    diags: Vec<Diagnostic>,
}

type P<'i> = Pair<'i, R>;

impl Builder<'_> {
    /// The pair's span in the file, without the whitespace and comments
    /// that pest includes after a repetition that matched nothing.
    fn span(&self, p: &P) -> Span {
        let s = p.as_span();
        let (start, end) = (s.start() + self.base, s.end() + self.base);
        let last = self.code_tokens.partition_point(|t| t.start < end);
        let end = match last.checked_sub(1).map(|i| self.code_tokens[i]) {
            Some(t) => t.end.min(end).max(start),
            None => end,
        };
        Span::new(start, end)
    }

    fn error(&mut self, code: Code, span: Span, message: impl Into<String>) -> &mut Diagnostic {
        self.diags
            .push(Diagnostic::new(code, self.file, span, message));
        let last = self.diags.len() - 1;
        &mut self.diags[last]
    }

    fn parse_rule(
        &mut self,
        src: &str,
        chunk: Span,
        tokens: &[Token],
        position: usize,
    ) -> Option<Rule> {
        let text = &src[chunk.start..chunk.end];
        if !self.nesting_ok(src, chunk, tokens) {
            return None;
        }
        match TrigParser::parse(R::single_rule, text) {
            Ok(mut pairs) => {
                let rule_def = pairs.next()?.into_inner().next()?;
                self.rule(rule_def, position)
            }
            Err(e) => {
                let d = expected::parse_error(&e, src, tokens, chunk, self.file);
                self.diags.push(d);
                None
            }
        }
    }

    /// Refuses input nested deeper than [`MAX_NESTING`] before pest recurses into it.
    fn nesting_ok(&mut self, src: &str, chunk: Span, tokens: &[Token]) -> bool {
        let mut depth = 0usize;
        // Tokens are in order: find the chunk's by binary search, so that a
        // file of many rules is not scanned once per rule.
        let from = tokens.partition_point(|t| t.span.start < chunk.start);
        for t in tokens[from..]
            .iter()
            .take_while(|t| t.span.end <= chunk.end)
        {
            let mut at = t.span;
            match t.kind {
                TokenKind::LParen | TokenKind::LBracket => depth += 1,
                TokenKind::RParen | TokenKind::RBracket => depth = depth.saturating_sub(1),
                // A message text is one token, but pest parses the
                // expressions in its `{…}` like any other.
                TokenKind::Str(StrKind::Text | StrKind::Unterminated) => {
                    if let Some(i) = too_deep_in_text(t.text(src)) {
                        at = Span::new(t.span.start + i, t.span.start + i + 1);
                        depth = MAX_NESTING + 1;
                    }
                }
                _ => {}
            }
            if depth > MAX_NESTING {
                self.error(
                    Code::NestingTooDeep,
                    at,
                    format!("parentheses are nested more than {MAX_NESTING} deep"),
                )
                .set_label("too deep from here")
                .set_help("split the condition into several `if` guards, or simplify it");
                return false;
            }
        }
        true
    }

    fn rule(&mut self, p: P, position: usize) -> Option<Rule> {
        let span = self.span(&p);
        let mut name = None;
        let mut when_span = span;
        let mut trigger = None;
        let mut guards = Vec::new();
        let mut action = None;
        let mut fallbacks = Vec::new();
        let mut options = Vec::new();
        for c in p.into_inner() {
            match c.as_rule() {
                R::header => {
                    name = c
                        .into_inner()
                        .find(|x| x.as_rule() == R::ident)
                        .map(|x| self.ident(&x))
                }
                R::kw_when => when_span = self.span(&c),
                R::trigger => trigger = self.trigger(c),
                R::guard => guards.extend(self.guard(c)),
                R::action | R::fallback => {
                    let step = self.step(c.clone());
                    if c.as_rule() == R::action {
                        action = step;
                    } else {
                        fallbacks.extend(step);
                    }
                }
                R::option => options.extend(self.option(c)),
                _ => {}
            }
        }
        Some(Rule {
            name,
            position,
            trigger: trigger?,
            guards,
            action: action?,
            fallbacks,
            options,
            when_span,
            span,
        })
    }

    fn ident(&self, p: &P) -> Ident {
        Ident {
            name: p.as_str().to_string(),
            span: self.span(p),
        }
    }

    fn trigger(&mut self, p: P) -> Option<Trigger> {
        let span = self.span(&p);
        let mut primary = None;
        let mut wait = None;
        let mut absences = Vec::new();
        for c in p.into_inner() {
            match c.as_rule() {
                R::primary => primary = self.primary(c),
                R::wait => wait = self.first_duration(c),
                R::absence => absences.extend(self.absence(c)),
                _ => {}
            }
        }
        Some(Trigger {
            primary: primary?,
            wait,
            absences,
            span,
        })
    }

    fn primary(&mut self, p: P) -> Option<Primary> {
        let c = p.into_inner().next()?;
        match c.as_rule() {
            R::inactive => {
                let mut after = None;
                let mut extra = None;
                for x in c.into_inner() {
                    match x.as_rule() {
                        R::duration => after = self.duration(&x),
                        R::inactive_junk => extra = Some(self.span(&x)),
                        _ => {}
                    }
                }
                Some(Primary::Inactive {
                    after: after?,
                    extra,
                })
            }
            R::first => {
                let mut inner = c.into_inner();
                let keyword = self.span(&inner.next()?);
                let matcher = self.matcher(inner.next()?)?;
                Some(Primary::First { keyword, matcher })
            }
            _ => self.pattern(c),
        }
    }

    fn pattern(&mut self, p: P) -> Option<Primary> {
        let mut inner = p.into_inner();
        let matcher = self.matcher(inner.next()?)?;
        let Some(tail) = inner.next() else {
            return Some(Primary::Match(matcher));
        };
        match tail.as_rule() {
            R::count => {
                let mut t = tail.into_inner();
                let n = t.next()?;
                let times = self.int(&n)?;
                let within = self.first_duration_in(t)?;
                Some(Primary::Count {
                    matcher,
                    times,
                    within,
                })
            }
            _ => {
                let then = tail
                    .clone()
                    .into_inner()
                    .find(|x| x.as_rule() == R::matcher)?;
                let then = self.matcher(then)?;
                let within = self.first_duration_in(tail.into_inner())?;
                Some(Primary::Sequence {
                    first: matcher,
                    then,
                    within,
                })
            }
        }
    }

    fn matcher(&mut self, p: P) -> Option<Matcher> {
        let span = self.span(&p);
        let mut events = Vec::new();
        let mut alias = None;
        let mut filter = None;
        for c in p.into_inner() {
            match c.as_rule() {
                R::events => {
                    for e in c.into_inner().filter(|e| e.as_rule() == R::event_name) {
                        events.push(self.event_name(e)?);
                    }
                }
                R::alias => alias = self.alias(c),
                R::filter => filter = self.filter(c),
                _ => {}
            }
        }
        Some(Matcher {
            events,
            alias,
            filter,
            span,
        })
    }

    fn alias(&self, p: P) -> Option<Ident> {
        p.into_inner()
            .find(|x| x.as_rule() == R::ident)
            .map(|x| self.ident(&x))
    }

    fn filter(&mut self, p: P) -> Option<Expr> {
        let e = p.into_inner().find(|x| x.as_rule() == R::filter_expr)?;
        self.expr(e)
    }

    fn event_name(&mut self, p: P) -> Option<EventName> {
        let span = self.span(&p);
        let inner = p.into_inner().next()?;
        if inner.as_rule() == R::string {
            let value = self.string(inner)?;
            return Some(EventName {
                name: value.value,
                quoted: true,
                span,
            });
        }
        Some(EventName {
            name: inner.as_str().to_string(),
            quoted: false,
            span,
        })
    }

    fn absence(&mut self, p: P) -> Option<Absence> {
        let span = self.span(&p);
        let mut event = None;
        let mut alias = None;
        let mut filter = None;
        let mut within = None;
        for c in p.into_inner() {
            match c.as_rule() {
                R::event_name => event = self.event_name(c),
                R::alias => alias = self.alias(c),
                R::filter => filter = self.filter(c),
                R::absence_within => within = self.first_duration(c),
                _ => {}
            }
        }
        let event = event?;
        self.check_event_prefix(&event);
        Some(Absence {
            event,
            alias,
            filter,
            within,
            span,
        })
    }

    /// `and not event.x` almost always meant a negated condition, not an
    /// event called `event.x`.
    fn check_event_prefix(&mut self, event: &EventName) {
        if !event.quoted && (event.name == "event" || event.name.starts_with("event.")) {
            let name = event.name.clone();
            self.error(
                Code::EventInAbsence,
                event.span,
                format!("`and not {name}` reads as \"and no event called `{name}` happened\""),
            )
            .set_label("this is read as an event name")
            .set_help(format!(
                "a top-level `and not` ends the filter; to negate a condition, use parentheses: `and (not {name})`"
            ));
        }
    }

    fn guard(&mut self, p: P) -> Option<Guard> {
        let span = self.span(&p);
        let mut inner = p.into_inner();
        let kw = inner.next()?;
        let kind = if kw.as_rule() == R::kw_if {
            GuardKind::If
        } else {
            GuardKind::Unless
        };
        let expr = self.expr(inner.next()?)?;
        Some(Guard { kind, expr, span })
    }

    fn step(&mut self, p: P) -> Option<Step> {
        let span = self.span(&p);
        let step = p.into_inner().find(|x| x.as_rule() == R::step)?;
        let mut inner = step.into_inner();
        let channel = self.ident(&inner.next()?);
        let body = inner.next()?;
        let body = match body.as_rule() {
            R::text => StepBody::Text(self.text(body)?),
            _ => self.template_step(body)?,
        };
        Some(Step {
            channel,
            body,
            span,
        })
    }

    fn template_step(&mut self, p: P) -> Option<StepBody> {
        let mut name = None;
        let mut lang = None;
        let mut params = None;
        for c in p.into_inner() {
            match c.as_rule() {
                R::string => name = self.string(c),
                R::lang => lang = self.expr(c.into_inner().nth(1)?),
                R::params => params = self.params(c),
                _ => {}
            }
        }
        Some(StepBody::Template {
            name: name?,
            lang,
            params,
        })
    }

    fn params(&mut self, p: P) -> Option<Params> {
        let span = self.span(&p);
        let mut items = Vec::new();
        for c in p.into_inner().filter(|c| c.as_rule() == R::param) {
            let pspan = self.span(&c);
            let mut name = None;
            let mut value = None;
            for x in c.into_inner() {
                match x.as_rule() {
                    R::member => name = Some(self.ident(&x)),
                    _ => value = self.expr(x),
                }
            }
            items.push(Param {
                name,
                value: value?,
                span: pspan,
            });
        }
        Some(Params { items, span })
    }

    fn option(&mut self, p: P) -> Option<RuleOption> {
        let c = p.into_inner().next()?;
        let span = self.span(&c);
        let rule = c.as_rule();
        let mut inner = c
            .into_inner()
            .filter(|x| !matches!(x.as_rule(), R::kw_per | R::kw_in | R::kw_within));
        let _keyword = inner.next();
        Some(match rule {
            R::key => RuleOption::Key {
                expr: self.expr(inner.next()?)?,
                span,
            },
            R::limit => {
                let count = self.int(&inner.next()?)?;
                let per = self.duration(&inner.next()?)?;
                RuleOption::Limit { count, per, span }
            }
            R::once => RuleOption::Once { span },
            R::priority => self.priority(inner, span)?,
            R::quiet => {
                let start = self.clock(&inner.next()?)?;
                let end = self.clock(&inner.next()?)?;
                let zone = match inner.next() {
                    Some(e) => Some(self.expr(e)?),
                    None => None,
                };
                RuleOption::Quiet {
                    start,
                    end,
                    zone,
                    span,
                }
            }
            R::goal => {
                let event = self.event_name(inner.next()?)?;
                let mut filter = None;
                let mut within = None;
                for x in inner {
                    match x.as_rule() {
                        R::filter => filter = self.filter(x),
                        _ => within = self.duration(&x),
                    }
                }
                RuleOption::Goal {
                    event,
                    filter,
                    within: within?,
                    span,
                }
            }
            R::holdout => {
                let p = inner.next()?;
                let pspan = self.span(&p);
                let value = p.as_str().trim_end_matches('%').parse::<f64>().ok()?;
                RuleOption::Holdout {
                    percent: Spanned { value, span: pspan },
                    span,
                }
            }
            _ => RuleOption::Tag {
                name: self.ident(&inner.next()?),
                span,
            },
        })
    }

    fn priority<'i>(
        &mut self,
        inner: impl Iterator<Item = P<'i>>,
        span: Span,
    ) -> Option<RuleOption> {
        let mut negative = false;
        let mut value = None;
        let mut vspan = span;
        for x in inner {
            match x.as_rule() {
                R::neg => negative = true,
                _ => {
                    vspan = vspan.to(self.span(&x));
                    let n = x.as_str().parse::<i64>();
                    value = match n {
                        Ok(n) => Some(if negative { -n } else { n }),
                        Err(_) => {
                            let s = self.span(&x);
                            self.error(Code::InvalidNumber, s, "this priority is too large")
                                .set_help("use a small whole number such as `10`; higher wins");
                            None
                        }
                    };
                }
            }
        }
        Some(RuleOption::Priority {
            value: Spanned {
                value: value?,
                span: vspan,
            },
            span,
        })
    }

    fn int(&mut self, p: &P) -> Option<Spanned<u32>> {
        let span = self.span(p);
        match p.as_str().parse::<u32>() {
            Ok(value) => Some(Spanned { value, span }),
            Err(_) => {
                self.error(
                    Code::InvalidNumber,
                    span,
                    format!("`{}` is too large", p.as_str()),
                )
                .set_help("use a whole number below 4294967296");
                None
            }
        }
    }

    fn first_duration(&mut self, p: P) -> Option<Duration> {
        self.first_duration_in(p.into_inner())
    }

    fn first_duration_in<'i>(&mut self, mut it: impl Iterator<Item = P<'i>>) -> Option<Duration> {
        let d = it.find(|x| x.as_rule() == R::duration)?;
        self.duration(&d)
    }

    fn duration(&mut self, p: &P) -> Option<Duration> {
        let span = self.span(p);
        match parse_duration(p.as_str()) {
            Ok(millis) => Some(Duration { millis, span }),
            Err((message, help)) => {
                self.error(Code::InvalidDuration, span, message)
                    .set_help(help);
                None
            }
        }
    }

    fn clock(&mut self, p: &P) -> Option<ClockTime> {
        let span = self.span(p);
        let s = p.as_str();
        let (h, m) = s.split_once(':')?;
        let (h, m) = (h.parse::<u16>().ok()?, m.parse::<u16>().ok()?);
        if h > 23 || m > 59 {
            self.error(
                Code::InvalidClockTime,
                span,
                format!("`{s}` is not a time of day"),
            )
            .set_help("clock times go from `00:00` to `23:59`; for midnight write `00:00`");
            return None;
        }
        Some(ClockTime {
            minutes: h * 60 + m,
            span,
        })
    }

    fn string(&mut self, p: P) -> Option<StringLit> {
        let span = self.span(&p);
        let inner = p.into_inner().next()?;
        let value = self.unescape(inner.as_str(), self.span(&inner).start)?;
        Some(StringLit { value, span })
    }

    /// Applies `\" \\ \n \t \u{…}`; anything else is T0003 at its place.
    fn unescape(&mut self, raw: &str, at: usize) -> Option<String> {
        let mut out = String::with_capacity(raw.len());
        let mut ok = true;
        let mut chars = raw.char_indices();
        while let Some((i, c)) = chars.next() {
            if c != '\\' {
                out.push(c);
                continue;
            }
            let rest = &raw[i + 1..];
            let (value, len) = match rest.chars().next() {
                Some('"') => (Some('"'), 1),
                Some('\\') => (Some('\\'), 1),
                Some('n') => (Some('\n'), 1),
                Some('t') => (Some('\t'), 1),
                Some('u') => unicode_escape(rest),
                Some(other) => (None, other.len_utf8()),
                None => (None, 0),
            };
            for _ in 0..rest[..len].chars().count() {
                chars.next();
            }
            match value {
                Some(v) => out.push(v),
                None => {
                    ok = false;
                    let span = Span::new(at + i, at + i + 1 + len);
                    let shown = &raw[i..i + 1 + len];
                    self.error(Code::InvalidEscape, span, format!("unknown escape `{shown}` in a string"))
                        .set_help("the escapes are `\\\"`, `\\\\`, `\\n`, `\\t` and `\\u{1F600}`; to write a backslash, double it");
                }
            }
        }
        ok.then_some(out)
    }

    fn text(&mut self, p: P) -> Option<Text> {
        let span = self.span(&p);
        let mut parts: Vec<TextPart> = Vec::new();
        let mut ok = true;
        for c in p.into_inner() {
            let cspan = self.span(&c);
            match c.as_rule() {
                R::brace_open => push_literal(&mut parts, "{", cspan),
                R::brace_close => push_literal(&mut parts, "}", cspan),
                R::text_chunk => match self.unescape(c.as_str(), cspan.start) {
                    Some(t) => push_literal(&mut parts, &t, cspan),
                    None => ok = false,
                },
                R::interp if c.as_str().contains(['\n', '\r']) => {
                    ok = false;
                    self.error(Code::UnterminatedString, cspan, "a message text cannot continue on the next line")
                        .set_help("keep `{…}` and the whole text on one line; write `\\n` for a line break in the message");
                }
                R::interp => match c.into_inner().next().and_then(|e| self.expr(e)) {
                    Some(e) => parts.push(TextPart::Interp(e)),
                    None => ok = false,
                },
                _ => {
                    ok = false;
                    self.lone_brace(c.as_str(), cspan);
                }
            }
        }
        ok.then_some(Text { parts, span })
    }

    fn lone_brace(&mut self, brace: &str, span: Span) {
        let (doubled, what) = if brace == "{" {
            ("{{", "opening")
        } else {
            ("}}", "closing")
        };
        self.error(Code::LoneBrace, span, format!("lone {what} brace `{brace}` in a message text"))
            .set_label("not part of an interpolation")
            .set_help(format!(
                "to show a brace, double it: `{doubled}`; to insert a value, write a whole interpolation such as `{{customer.first_name}}`"
            ));
    }

    // ------------------------------------------------------------ expressions

    fn expr(&mut self, p: P) -> Option<Expr> {
        self.expr_inner(p).map(|(e, _)| e)
    }

    /// Refuses a tree deeper than [`MAX_EXPR_DEPTH`] while it is being
    /// built, so that no deeper tree ever exists (dropping or walking one
    /// would recurse once per level and could exhaust the stack).
    fn depth_ok(&mut self, depth: usize, span: Span) -> Option<usize> {
        if depth <= MAX_EXPR_DEPTH {
            return Some(depth);
        }
        self.error(
            Code::NestingTooDeep,
            span,
            format!("this expression is more than {MAX_EXPR_DEPTH} levels deep"),
        )
        .set_label("too many operators in a row")
        .set_help("split it into several `if` guards, or simplify it");
        None
    }

    /// The expression and the depth of its tree (1 for a leaf).
    fn expr_inner(&mut self, p: P) -> Option<(Expr, usize)> {
        let span = self.span(&p);
        let leaf = |e: Expr| Some((e, 1));
        match p.as_rule() {
            R::expr | R::filter_expr | R::atom => {
                self.expr_inner(p.into_inner().find(|x| !is_punct(x))?)
            }
            R::or_expr
            | R::filter_or
            | R::and_expr
            | R::filter_and
            | R::coalesce
            | R::additive
            | R::multiplicative => self.binary_chain(p),
            R::not_expr => self.prefix(p, UnaryOp::Not, R::not_op),
            R::unary => self.prefix(p, UnaryOp::Neg, R::neg),
            R::cmp_expr => self.comparison(p),
            R::duration => leaf(lit(ExprKind::Duration(self.duration(&p)?.millis), span)),
            R::number => {
                let n = p.as_str().parse::<f64>().ok()?;
                leaf(lit(ExprKind::Number(n), span))
            }
            R::string => leaf(lit(ExprKind::Str(self.string(p)?.value), span)),
            R::kw_true => leaf(lit(ExprKind::Bool(true), span)),
            R::kw_false => leaf(lit(ExprKind::Bool(false), span)),
            R::kw_null => leaf(lit(ExprKind::Null, span)),
            R::list => {
                let mut items = Vec::new();
                let mut deepest = 0;
                for x in p.into_inner() {
                    let (item, d) = self.expr_inner(x)?;
                    deepest = deepest.max(d);
                    items.push(item);
                }
                let d = self.depth_ok(deepest + 1, span)?;
                Some((lit(ExprKind::List(items), span), d))
            }
            R::path => {
                let segs = p.into_inner().map(|x| self.ident(&x)).collect();
                leaf(lit(ExprKind::Path(segs), span))
            }
            _ => None,
        }
    }

    /// `a op b op c` → left-associative tree.
    fn binary_chain(&mut self, p: P) -> Option<(Expr, usize)> {
        let mut inner = p.into_inner();
        let (mut acc, mut depth) = self.expr_inner(inner.next()?)?;
        while let Some(op) = inner.next() {
            let op = binary_op(&op)?;
            let (rhs, rdepth) = self.expr_inner(inner.next()?)?;
            let span = acc.span.to(rhs.span);
            depth = self.depth_ok(depth.max(rdepth) + 1, span)?;
            acc = Expr {
                kind: ExprKind::Binary(op, Box::new(acc), Box::new(rhs)),
                span,
            };
        }
        Some((acc, depth))
    }

    fn prefix(&mut self, p: P, op: UnaryOp, op_rule: R) -> Option<(Expr, usize)> {
        let span = self.span(&p);
        let mut ops = Vec::new();
        let mut operand = None;
        for x in p.into_inner() {
            if x.as_rule() == op_rule {
                ops.push(self.span(&x));
            } else {
                operand = Some(x);
            }
        }
        // Checked before the operand is built: `not not … x` is a loop in
        // the grammar and must not become an unbounded chain of nodes.
        self.depth_ok(ops.len() + 1, span)?;
        let (mut e, depth) = self.expr_inner(operand?)?;
        let depth = self.depth_ok(depth + ops.len(), span)?;
        for s in ops.into_iter().rev() {
            let span = s.to(e.span);
            e = Expr {
                kind: ExprKind::Unary(op, Box::new(e)),
                span,
            };
        }
        Some((e, depth))
    }

    fn comparison(&mut self, p: P) -> Option<(Expr, usize)> {
        let mut inner = p.into_inner();
        let (lhs, ldepth) = self.expr_inner(inner.next()?)?;
        let Some(op) = inner.next() else {
            return Some((lhs, ldepth));
        };
        let op_span = self.span(&op);
        let op = comparison_op(op)?;
        let (rhs, rdepth) = self.expr_inner(inner.next()?)?;
        if let Some(second) = inner.next() {
            let second_span = self.span(&second);
            let file = self.file;
            self.error(
                Code::ChainedComparison,
                second_span,
                "comparisons cannot be chained",
            )
            .add_secondary(file, op_span, "first comparison")
            .set_help("join two comparisons with `and`: `a < b and b < c`");
            return None;
        }
        let span = lhs.span.to(rhs.span);
        let depth = self.depth_ok(ldepth.max(rdepth) + 1, span)?;
        Some((
            Expr {
                kind: ExprKind::Binary(op, Box::new(lhs), Box::new(rhs)),
                span,
            },
            depth,
        ))
    }
}

/// The offset of the first `(` or `[` nested more than [`MAX_NESTING`] deep
/// inside the interpolations of a message text (strings inside `{…}` and
/// the literal parts of the text do not count).
fn too_deep_in_text(text: &str) -> Option<usize> {
    let (mut interp, mut in_str, mut depth) = (false, false, 0usize);
    let mut chars = text.char_indices().skip(1).peekable();
    while let Some((i, c)) = chars.next() {
        match c {
            '\\' => {
                chars.next();
            }
            '"' if interp => in_str = !in_str,
            _ if in_str => {}
            '{' if !interp => {
                if matches!(chars.peek(), Some((_, '{'))) {
                    chars.next();
                } else {
                    interp = true;
                }
            }
            '}' if interp => {
                interp = false;
                depth = 0;
            }
            '(' | '[' if interp => {
                depth += 1;
                if depth > MAX_NESTING {
                    return Some(i);
                }
            }
            ')' | ']' if interp => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    None
}

fn lit(kind: ExprKind, span: Span) -> Expr {
    Expr { kind, span }
}

fn is_punct(p: &P) -> bool {
    matches!(p.as_rule(), R::neg)
}

fn push_literal(parts: &mut Vec<TextPart>, text: &str, span: Span) {
    if let Some(TextPart::Literal { text: t, span: s }) = parts.last_mut() {
        t.push_str(text);
        *s = s.to(span);
        return;
    }
    parts.push(TextPart::Literal {
        text: text.to_string(),
        span,
    });
}

fn binary_op(p: &P) -> Option<BinaryOp> {
    Some(match p.as_rule() {
        R::kw_or => BinaryOp::Or,
        R::kw_and => BinaryOp::And,
        R::coalesce_op => BinaryOp::Coalesce,
        R::add => BinaryOp::Add,
        R::sub => BinaryOp::Sub,
        R::mul => BinaryOp::Mul,
        R::div => BinaryOp::Div,
        _ => return None,
    })
}

fn comparison_op(p: P) -> Option<BinaryOp> {
    let inner = p.into_inner().next()?;
    Some(match inner.as_rule() {
        R::eq => BinaryOp::Eq,
        R::ne => BinaryOp::Ne,
        R::le => BinaryOp::Le,
        R::ge => BinaryOp::Ge,
        R::lt => BinaryOp::Lt,
        R::gt => BinaryOp::Gt,
        R::not_in => BinaryOp::NotIn,
        R::kw_in => BinaryOp::In,
        R::not_contains => BinaryOp::NotContains,
        R::kw_contains => BinaryOp::Contains,
        R::starts_with => BinaryOp::StartsWith,
        _ => return None,
    })
}

/// `\u{1F600}` → the char and the length consumed after the backslash.
fn unicode_escape(rest: &str) -> (Option<char>, usize) {
    let Some(body) = rest.strip_prefix("u{") else {
        return (None, 1);
    };
    let Some(close) = body.find('}') else {
        return (None, 1);
    };
    let len = 2 + close + 1;
    let c = u32::from_str_radix(&body[..close], 16)
        .ok()
        .filter(|_| (1..=6).contains(&close))
        .and_then(char::from_u32);
    (c, len)
}

/// The longest duration the language accepts: 366 days.
pub const MAX_DURATION_MS: u64 = 366 * 24 * 3_600_000;

/// `1h30m` → milliseconds. Units descend and appear once; the total is above
/// zero and at most 366 days. Errors are (message, help).
pub fn parse_duration(s: &str) -> Result<u64, (String, String)> {
    const UNITS: [(&str, u64); 6] = [
        ("w", 604_800_000),
        ("d", 86_400_000),
        ("h", 3_600_000),
        ("m", 60_000),
        ("s", 1_000),
        ("ms", 1),
    ];
    let mut total: u64 = 0;
    let mut last_rank: Option<usize> = None;
    let mut rest = s;
    while !rest.is_empty() {
        let digits = rest
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(rest.len());
        let (num, tail) = rest.split_at(digits);
        // One character, not one byte: `２h` must be an error, not a split
        // inside a character.
        let unit_len = if tail.starts_with("ms") {
            2
        } else {
            tail.chars().next().map_or(0, char::len_utf8)
        };
        let (unit, tail) = tail.split_at(unit_len);
        let rank = UNITS
            .iter()
            .position(|(u, _)| *u == unit)
            .ok_or_else(|| bad_duration(s))?;
        if last_rank.is_some_and(|r| r >= rank) {
            return Err((
                format!("the units of `{s}` are out of order or repeated"),
                "write units from largest to smallest, each once: `1h30m`, not `30m1h`".into(),
            ));
        }
        last_rank = Some(rank);
        let n: u64 = num.parse().map_err(|_| bad_duration(s))?;
        total = n
            .checked_mul(UNITS[rank].1)
            .and_then(|v| total.checked_add(v))
            .ok_or_else(|| too_long(s))?;
        rest = tail;
    }
    if total == 0 {
        return Err((
            format!("`{s}` is zero"),
            "a duration must be above zero, such as `1ms` or `2h`".into(),
        ));
    }
    if total > MAX_DURATION_MS {
        return Err(too_long(s));
    }
    Ok(total)
}

fn bad_duration(s: &str) -> (String, String) {
    (
        format!("`{s}` is not a duration"),
        "a duration is a whole number and a unit (`ms s m h d w`), such as `2h` or `1h30m`".into(),
    )
}

fn too_long(s: &str) -> (String, String) {
    (
        format!("`{s}` is longer than 366 days"),
        "durations go up to 366 days; there are no months or years".into(),
    )
}

#[cfg(test)]
mod duration_tests {
    use super::parse_duration;

    #[test]
    fn durations_with_any_characters_are_errors_not_panics() {
        assert_eq!(parse_duration("1h30m"), Ok(5_400_000));
        for bad in ["２h", "éh", "1éh", "²h", "é", "1h２", "", "1", "h", "1hh"] {
            assert!(parse_duration(bad).is_err(), "{bad}");
        }
    }
}
