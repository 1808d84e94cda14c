//! Checking one rule's structure: scopes and aliases, trigger forms,
//! absences, guards and options; lowering it to the IR. Channel rules are
//! in `channels`.

use super::ir::{self, Source};
use super::suggest::did_you_mean;
use super::types::{Binding, Scope, Typer};
use crate::diag::{Code, Diagnostic, FileId};
use crate::syntax::ast::{self, Primary, RuleOption};
use crate::syntax::lexer::{tokenize, TokenKind};
use crate::syntax::Span;

/// Aliases that would shadow a path root.
const RESERVED_ALIASES: &[&str] = &["event", "customer", "now", "props"];

/// Facts about the whole workspace a rule check needs.
pub struct Context<'a> {
    pub schema: Option<&'a super::schema::Schema>,
    /// Every event named as a trigger, absence or goal anywhere.
    pub known_events: &'a std::collections::BTreeSet<String>,
    pub has_default_zone: bool,
}

/// The scopes of one rule: the pattern's bindings and what `event` means
/// in guards and actions.
pub struct RuleScopes {
    /// Aliases bound by the primary (visible after the pattern matched).
    pub bound: Vec<(String, Binding)>,
    /// What `event` means outside `where`: the completing event.
    pub completing: Binding,
}

impl RuleScopes {
    pub fn after_match(&self) -> Scope {
        Scope {
            event: Some(self.completing.clone()),
            aliases: self.bound.clone(),
        }
    }
}

pub fn rule_name(rule: &ast::Rule, file_stem: &str) -> String {
    match &rule.name {
        Some(n) => n.name.clone(),
        None => format!("{file_stem}:{}", rule.position),
    }
}

pub struct RuleChecker<'a, 't> {
    pub typer: &'a mut Typer<'t>,
    pub ctx: &'a Context<'a>,
    pub file: FileId,
}

impl RuleChecker<'_, '_> {
    fn err(&mut self, code: Code, span: Span, msg: impl Into<String>, help: impl Into<String>) {
        self.typer
            .diags
            .push(Diagnostic::new(code, self.file, span, msg).with_help(help));
    }

    /// Lowers the trigger; returns it with the scopes guards and actions use.
    pub fn trigger(&mut self, t: &ast::Trigger, src: &str) -> Option<(ir::Trigger, RuleScopes)> {
        let (primary, scopes) = self.primary(&t.primary)?;
        if let Primary::Inactive { .. } = t.primary {
            if let Some(w) = t.wait {
                self.err(Code::InvalidInactive, w.span, "`inactive for D` cannot also wait with `for`", "the silence is the wait: `inactive for 30d` fires 30 days after the last event");
            }
        }
        let mut absences = Vec::new();
        for a in &t.absences {
            absences.push(self.absence(a, t.wait.is_some(), &scopes)?);
        }
        let fingerprint = canonical_text(src, t.span);
        Some((
            ir::Trigger {
                primary,
                wait_ms: t.wait.map(|w| w.millis),
                absences,
                fingerprint,
            },
            scopes,
        ))
    }

    fn primary(&mut self, p: &Primary) -> Option<(ir::Primary, RuleScopes)> {
        let start = Source::Binding(0);
        match p {
            Primary::Match(m) => {
                let (m, scopes) = self.matcher(m, start, &[])?;
                Some((ir::Primary::Match(m), scopes))
            }
            Primary::First { matcher, .. } => {
                let (m, scopes) = self.matcher(matcher, start, &[])?;
                Some((ir::Primary::First(m), scopes))
            }
            Primary::Count {
                matcher,
                times,
                within,
            } => {
                if times.value < 2 {
                    self.err(Code::InvalidCount, times.span, format!("`{} times` never counts anything", times.value), "`N times within D` needs N of at least 2; for every event, drop `N times within D`");
                    return None;
                }
                let (m, scopes) = self.matcher(matcher, start, &[])?;
                let prim = ir::Primary::Count {
                    matcher: m,
                    times: times.value,
                    within_ms: within.millis,
                };
                Some((prim, scopes))
            }
            Primary::Sequence {
                first,
                then,
                within,
            } => {
                // `event` after the match is the `followed by` event; both
                // aliases stay visible.
                let (m1, first_scopes) = self.matcher(first, start, &[])?;
                let (m2, mut scopes) =
                    self.matcher(then, Source::Binding(1), &first_scopes.bound)?;
                scopes.bound.splice(0..0, first_scopes.bound);
                let prim = ir::Primary::Sequence {
                    first: m1,
                    then: m2,
                    within_ms: within.millis,
                };
                Some((prim, scopes))
            }
            Primary::Inactive { after, extra } => {
                if let Some(extra) = extra {
                    self.err(Code::InvalidInactive, *extra, "`inactive for D` takes no alias or filter", "inactivity counts every event; to look at a property, use `if` on the last event: `if event.channel == \"web\"`");
                    return None;
                }
                let completing = Binding {
                    source: start,
                    events: Vec::new(),
                };
                Some((
                    ir::Primary::Inactive {
                        after_ms: after.millis,
                    },
                    RuleScopes {
                        bound: Vec::new(),
                        completing,
                    },
                ))
            }
        }
    }

    /// Checks a matcher; `outer` are aliases already bound (for `followed by`).
    /// Returns the IR and the scope it leaves: its alias, and what `event`
    /// means once it matched.
    fn matcher(
        &mut self,
        m: &ast::Matcher,
        source: Source,
        outer: &[(String, Binding)],
    ) -> Option<(ir::Matcher, RuleScopes)> {
        let events: Vec<String> = m.events.iter().map(|e| e.name.clone()).collect();
        self.events_known(&m.events);
        let mut aliases = Vec::new();
        if let Some(a) = &m.alias {
            if self.alias_ok(a, outer) {
                aliases.push((
                    a.name.clone(),
                    Binding {
                        source,
                        events: events.clone(),
                    },
                ));
            }
        }
        let filter = match &m.filter {
            Some(f) => {
                let mut scope_aliases = outer.to_vec();
                scope_aliases.extend(aliases.iter().map(|(n, b)| {
                    (
                        n.clone(),
                        Binding {
                            source: Source::Candidate,
                            events: b.events.clone(),
                        },
                    )
                }));
                let scope = Scope {
                    event: Some(Binding {
                        source: Source::Candidate,
                        events: events.clone(),
                    }),
                    aliases: scope_aliases,
                };
                Some(self.typer.condition(f, &scope)?)
            }
            None => None,
        };
        let completing = Binding {
            source,
            events: events.clone(),
        };
        let scopes = RuleScopes {
            bound: aliases,
            completing,
        };
        Some((ir::Matcher { events, filter }, scopes))
    }

    fn alias_ok(&mut self, a: &ast::Ident, outer: &[(String, Binding)]) -> bool {
        if RESERVED_ALIASES.contains(&a.name.as_str()) {
            self.err(Code::InvalidAlias, a.span, format!("`{}` cannot be an alias", a.name), "`event`, `customer`, `now` and `props` already mean something; pick another name such as `cart`");
            return false;
        }
        if outer.iter().any(|(n, _)| *n == a.name) {
            self.err(
                Code::InvalidAlias,
                a.span,
                format!("the alias `{}` is already used in this rule", a.name),
                "give each event of the rule its own alias",
            );
            return false;
        }
        true
    }

    fn events_known(&mut self, events: &[ast::EventName]) {
        let Some(schema) = self.ctx.schema else {
            return;
        };
        for e in events {
            if !schema.has_event(&e.name) {
                let help = match did_you_mean(&e.name, schema.events.keys().map(String::as_str)) {
                    Some(s) => format!("did you mean `{s}`?"),
                    None => "add the event to the event schema, or check its spelling".into(),
                };
                self.err(
                    Code::UnknownEvent,
                    e.span,
                    format!("`{}` is not an event in the event schema", e.name),
                    help,
                );
            }
        }
    }

    fn absence(
        &mut self,
        a: &ast::Absence,
        after_wait: bool,
        scopes: &RuleScopes,
    ) -> Option<ir::Absence> {
        if let (true, Some(w)) = (after_wait, a.within) {
            self.err(
                Code::WithinAfterFor,
                w.span,
                "an absence after `for` cannot have its own `within`",
                "after `for D`, the absence is watched during the wait itself; remove `within …`",
            );
        }
        self.ambiguous_absence(&a.event, &scopes.bound);
        self.events_known(std::slice::from_ref(&a.event));
        let events = vec![a.event.name.clone()];
        let mut aliases = scopes.bound.clone();
        if let Some(al) = &a.alias {
            if self.alias_ok(al, &scopes.bound) {
                aliases.push((
                    al.name.clone(),
                    Binding {
                        source: Source::Candidate,
                        events: events.clone(),
                    },
                ));
            }
        }
        let filter = match &a.filter {
            Some(f) => {
                let scope = Scope {
                    event: Some(Binding {
                        source: Source::Candidate,
                        events,
                    }),
                    aliases,
                };
                Some(self.typer.condition(f, &scope)?)
            }
            None => None,
        };
        Some(ir::Absence {
            event: a.event.name.clone(),
            filter,
            within_ms: a.within.map(|w| w.millis),
            span: a.span,
        })
    }

    /// `where x > 1 and not customer.vip` reads `customer.vip` as an event.
    fn ambiguous_absence(&mut self, e: &ast::EventName, aliases: &[(String, Binding)]) {
        let root = e.name.split('.').next().unwrap_or("");
        let is_value_root = root == "customer" || aliases.iter().any(|(a, _)| a == root);
        let looks_like_value = !e.quoted && e.name.contains('.') && is_value_root;
        let known = self.ctx.known_events.contains(&e.name)
            || self.ctx.schema.is_some_and(|s| s.has_event(&e.name));
        if looks_like_value && !known {
            let d = Diagnostic::new(Code::AmbiguousAbsence, self.file, e.span, format!("`and not {}` is read as \"no event `{}` happened\"", e.name, e.name))
                .with_label("read as an event name")
                .with_help(format!("a top-level `and not` ends the filter; to test the attribute, write `and (not {})`", e.name));
            self.typer.diags.push(d);
        }
    }

    pub fn guards(&mut self, guards: &[ast::Guard], scope: &Scope) -> Option<Vec<ir::Guard>> {
        guards
            .iter()
            .map(|g| {
                Some(ir::Guard {
                    negated: g.kind == ast::GuardKind::Unless,
                    expr: self.typer.condition(&g.expr, scope)?,
                })
            })
            .collect()
    }

    /// Validates and applies the options to `rule`.
    pub fn options(
        &mut self,
        opts: &[RuleOption],
        primary: &Primary,
        waits: bool,
        scope: &Scope,
        rule: &mut ir::Rule,
    ) -> Option<()> {
        let mut seen: Vec<(&'static str, Span)> = Vec::new();
        let mut ok = true;
        for o in opts {
            let kw = o.keyword();
            if let Some((_, first)) = seen.iter().find(|(k, _)| *k == kw && kw != "tag") {
                let d = Diagnostic::new(
                    Code::DuplicateOption,
                    self.file,
                    o.span(),
                    format!("`{kw}` is given twice"),
                )
                .with_secondary(self.file, *first, "first given here")
                .with_help(format!("keep one `{kw}`"));
                self.typer.diags.push(d);
                ok = false;
                continue;
            }
            seen.push((kw, o.span()));
            ok &= self.option(o, primary, waits, scope, rule).is_some();
        }
        ok.then_some(())
    }

    fn option(
        &mut self,
        o: &RuleOption,
        primary: &Primary,
        waits: bool,
        scope: &Scope,
        rule: &mut ir::Rule,
    ) -> Option<()> {
        match o {
            RuleOption::Key { expr, span } => {
                let keyed =
                    waits || matches!(primary, Primary::Sequence { .. } | Primary::Count { .. });
                if !keyed {
                    self.err(Code::KeyNotAllowed, *span, "`key` only applies to rules that wait or count", "`key` picks one live instance per value for `for`/`followed by` rules and one count per value for `N times`; this rule fires on each event, so remove `key`");
                    return None;
                }
                let key = self.typer.rendered(expr, scope)?;
                if matches!(primary, Primary::Sequence { .. }) && reads_binding(&key, 1) {
                    self.err(Code::KeyReadsLaterEvent, *span, "this `key` reads the `followed by` event, which is not known when the sequence starts", "a sequence is kept per key from its first event: name that event with `as` and key on it, e.g. `when cart.abandoned as cart followed by … key cart.cart_id`");
                    return None;
                }
                rule.key = Some(key);
            }
            RuleOption::Limit { count, per, .. } => {
                if count.value == 0 {
                    self.err(
                        Code::InvalidNumber,
                        count.span,
                        "`limit 0` would never send",
                        "to pause a rule, remove it or comment it out; a limit is at least 1",
                    );
                    return None;
                }
                rule.limit = Some((count.value, per.millis));
            }
            RuleOption::Once { .. } => rule.once = true,
            RuleOption::Priority { value, .. } => rule.priority = value.value,
            RuleOption::Quiet {
                start, end, zone, ..
            } => {
                if start.minutes == end.minutes {
                    self.err(
                        Code::EmptyQuietWindow,
                        start.span.to(end.span),
                        "quiet hours start and end at the same time",
                        "write a window such as `quiet 21:00-09:00`; start and end must differ",
                    );
                    return None;
                }
                let zone = match zone {
                    Some(z) => {
                        let mut t = self.typer.expr(z, scope)?;
                        self.typer.require(
                            &mut t,
                            ir::Type::Str,
                            "a time zone is a name such as \"Europe/Madrid\"",
                        )?;
                        Some(t)
                    }
                    None => {
                        if !self.ctx.has_default_zone {
                            let d = Diagnostic::new(Code::QuietWithoutTimezone, self.file, o.span(), "quiet hours without a default time zone")
                                .with_help("set `[project] timezone` in trig.toml, or write `quiet 21:00-09:00 in customer.timezone`; customers with no valid zone are sent to without deferral");
                            self.typer.diags.push(d);
                        }
                        None
                    }
                };
                rule.quiet = Some(ir::Quiet {
                    start: start.minutes,
                    end: end.minutes,
                    zone,
                });
            }
            RuleOption::Goal {
                event,
                filter,
                within,
                ..
            } => {
                self.events_known(std::slice::from_ref(event));
                let filter = match filter {
                    Some(f) => {
                        let s = Scope {
                            event: Some(Binding {
                                source: Source::Candidate,
                                events: vec![event.name.clone()],
                            }),
                            aliases: scope.aliases.clone(),
                        };
                        Some(self.typer.condition(f, &s)?)
                    }
                    None => None,
                };
                rule.goal = Some(ir::Goal {
                    event: event.name.clone(),
                    filter,
                    within_ms: within.millis,
                });
            }
            RuleOption::Holdout { percent, .. } => {
                if !(percent.value > 0.0 && percent.value < 100.0) {
                    self.err(
                        Code::InvalidHoldout,
                        percent.span,
                        format!(
                            "a holdout of {}% is not a share of customers",
                            percent.value
                        ),
                        "use a percentage strictly between 0% and 100%, such as `holdout 10%`",
                    );
                    return None;
                }
                rule.holdout = Some(percent.value);
            }
            RuleOption::Tag { name, .. } => {
                if !rule.tags.contains(&name.name) {
                    rule.tags.push(name.name.clone());
                }
            }
        }
        Some(())
    }
}

/// The tokens of `span` joined by single spaces, comments dropped: the same
/// trigger written with other layout or comments has the same fingerprint.
pub fn canonical_text(src: &str, span: Span) -> String {
    let text = &src[span.start..span.end];
    tokenize(text)
        .into_iter()
        .filter(|t| t.kind != TokenKind::Comment)
        .map(|t| t.text(text))
        .collect::<Vec<_>>()
        .join(" ")
}

/// Whether an expression reads the event bound at `index`.
fn reads_binding(e: &ir::TExpr, index: u8) -> bool {
    use ir::TExprKind as K;
    match &e.kind {
        K::Load { source, .. } => *source == ir::Source::Binding(index),
        K::Const(_) => false,
        K::List(items) => items.iter().any(|i| reads_binding(i, index)),
        K::Not(x) | K::Neg(x) => reads_binding(x, index),
        K::Binary(_, a, b) => reads_binding(a, index) || reads_binding(b, index),
    }
}
