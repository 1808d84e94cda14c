//! Resolving and typing expressions: `ast::Expr` → `ir::TExpr`.
//!
//! Paths are resolved against a [`Scope`] (what `event` and each alias mean
//! at that place). A prop's type comes from the event schema when there is
//! one, else it is inferred from its uses across the whole workspace: the
//! first use that needs a type fixes it, and a later use that needs another
//! type is a `type-conflict` pointing at both.

use std::collections::HashMap;

use super::ir::{Access, Const, Envelope, Source, TExpr, TExprKind, Type};
use super::schema::{Lookup, Schema};
use super::suggest::did_you_mean;
use crate::diag::{Code, Diagnostic, FileId};
use crate::syntax::ast::{BinaryOp, Expr, ExprKind, Ident, UnaryOp};
use crate::syntax::Span;

/// What names mean at one place in a rule.
#[derive(Debug, Clone, Default)]
pub struct Scope {
    /// What `event` refers to here, with the events it may be.
    pub event: Option<Binding>,
    pub aliases: Vec<(String, Binding)>,
}

#[derive(Debug, Clone)]
pub struct Binding {
    pub source: Source,
    pub events: Vec<String>,
}

/// Who owns a prop: an event name, or the customer profile.
type PropKey = (String, Vec<String>);

pub struct Typer<'s> {
    pub schema: Option<&'s Schema>,
    pub file: FileId,
    pub diags: Vec<Diagnostic>,
    inferred: HashMap<PropKey, (Type, FileId, Span)>,
    /// The events each event-prop load may read, by its place: inference
    /// constrains the prop on every one of them.
    load_events: HashMap<(FileId, Span), Vec<String>>,
}

const CUSTOMER: &str = "customer";

impl<'s> Typer<'s> {
    pub fn new(schema: Option<&'s Schema>) -> Self {
        Typer {
            schema,
            file: FileId(0),
            diags: Vec::new(),
            inferred: HashMap::new(),
            load_events: HashMap::new(),
        }
    }

    fn err(&mut self, code: Code, span: Span, msg: impl Into<String>) -> &mut Diagnostic {
        self.diags.push(Diagnostic::new(code, self.file, span, msg));
        let n = self.diags.len() - 1;
        &mut self.diags[n]
    }

    /// A condition: must be a bool.
    pub fn condition(&mut self, e: &Expr, scope: &Scope) -> Option<TExpr> {
        let mut t = self.expr(e, scope)?;
        self.require(&mut t, Type::Bool, "a condition must be true or false")?;
        Some(t)
    }

    /// A value rendered into a message or parameter: anything but a list.
    pub fn rendered(&mut self, e: &Expr, scope: &Scope) -> Option<TExpr> {
        let t = self.expr(e, scope)?;
        if t.ty == Type::List {
            self.err(
                Code::TypeMismatch,
                t.span,
                "a list cannot be written into a message",
            )
            .help = Some("pick one value, such as `event.items_count`".into());
            return None;
        }
        Some(t)
    }

    pub fn expr(&mut self, e: &Expr, scope: &Scope) -> Option<TExpr> {
        let (kind, ty) = match &e.kind {
            ExprKind::Str(s) => (TExprKind::Const(Const::Str(s.clone())), Type::Str),
            ExprKind::Number(n) => (TExprKind::Const(Const::Num(*n)), Type::Num),
            ExprKind::Bool(b) => (TExprKind::Const(Const::Bool(*b)), Type::Bool),
            ExprKind::Null => (TExprKind::Const(Const::Null), Type::Null),
            ExprKind::Duration(ms) => (TExprKind::Const(Const::Dur(*ms as i64)), Type::Dur),
            ExprKind::List(items) => {
                let items = items
                    .iter()
                    .map(|i| self.expr(i, scope))
                    .collect::<Option<Vec<_>>>()?;
                (TExprKind::List(items), Type::List)
            }
            ExprKind::Path(segs) => return self.path(segs, e.span, scope),
            ExprKind::Unary(op, x) => return self.unary(*op, x, e.span, scope),
            ExprKind::Binary(op, a, b) => return self.binary(*op, a, b, e.span, scope),
        };
        Some(TExpr {
            kind,
            ty,
            span: e.span,
        })
    }

    fn unary(&mut self, op: UnaryOp, x: &Expr, span: Span, scope: &Scope) -> Option<TExpr> {
        let mut x = self.expr(x, scope)?;
        match op {
            UnaryOp::Not => {
                self.require(&mut x, Type::Bool, "`not` needs a true/false value")?;
                Some(TExpr {
                    kind: TExprKind::Not(Box::new(x)),
                    ty: Type::Bool,
                    span,
                })
            }
            UnaryOp::Neg => {
                if x.ty == Type::Any {
                    self.constrain(&mut x, Type::Num)?;
                }
                if !matches!(x.ty, Type::Num | Type::Dur | Type::Null) {
                    self.mismatch(&x, "`-` needs a number or a duration");
                    return None;
                }
                let ty = x.ty;
                Some(TExpr {
                    kind: TExprKind::Neg(Box::new(x)),
                    ty,
                    span,
                })
            }
        }
    }

    fn binary(
        &mut self,
        op: BinaryOp,
        a: &Expr,
        b: &Expr,
        span: Span,
        scope: &Scope,
    ) -> Option<TExpr> {
        let mut a = self.expr(a, scope)?;
        let mut b = self.expr(b, scope)?;
        use BinaryOp::*;
        let ty = match op {
            And | Or => {
                self.require(&mut a, Type::Bool, "`and`/`or` join true/false values")?;
                self.require(&mut b, Type::Bool, "`and`/`or` join true/false values")?;
                Type::Bool
            }
            Eq | Ne => {
                self.unify(&mut a, &mut b, op)?;
                Type::Bool
            }
            Lt | Le | Gt | Ge => {
                self.unify(&mut a, &mut b, op)?;
                for x in [&a, &b] {
                    if matches!(x.ty, Type::Bool | Type::List) {
                        self.mismatch(
                            x,
                            &format!(
                                "`{}` compares numbers, timestamps, durations or strings",
                                op.symbol()
                            ),
                        );
                        return None;
                    }
                }
                Type::Bool
            }
            In | NotIn => {
                self.require(
                    &mut b,
                    Type::List,
                    &format!(
                        "`{}` needs a list on its right, such as `[\"ES\", \"PT\"]`",
                        op.symbol()
                    ),
                )?;
                if let (Type::Any, TExprKind::List(items)) = (a.ty, &b.kind) {
                    if let Some(t) = items.first().map(|i| i.ty).filter(|t| *t != Type::Null) {
                        self.constrain(&mut a, t)?;
                    }
                }
                Type::Bool
            }
            Contains | NotContains => {
                if a.ty == Type::Str {
                    self.require(&mut b, Type::Str, "text contains text")?;
                } else if !matches!(a.ty, Type::List | Type::Any | Type::Null) {
                    self.mismatch(&a, "`contains` looks inside a string or a list");
                    return None;
                }
                Type::Bool
            }
            StartsWith => {
                self.require(&mut a, Type::Str, "`starts with` compares strings")?;
                self.require(&mut b, Type::Str, "`starts with` compares strings")?;
                Type::Bool
            }
            Coalesce => {
                if a.ty != Type::Null && b.ty != Type::Null {
                    self.unify(&mut a, &mut b, op)?;
                }
                if a.ty == Type::Null {
                    b.ty
                } else {
                    a.ty
                }
            }
            Add | Sub | Mul | Div => self.arithmetic(op, &mut a, &mut b)?,
        };
        Some(TExpr {
            kind: TExprKind::Binary(op, Box::new(a), Box::new(b)),
            ty,
            span,
        })
    }

    fn arithmetic(&mut self, op: BinaryOp, a: &mut TExpr, b: &mut TExpr) -> Option<Type> {
        use Type::*;
        // An unknown side next to a number is a number; other pairings stay
        // open until run time (a timestamp plus a duration, say).
        if a.ty == Any && b.ty == Num {
            self.constrain(a, Num)?;
        }
        if b.ty == Any && a.ty == Num {
            self.constrain(b, Num)?;
        }
        if a.ty == Any && b.ty == Time && op == BinaryOp::Add {
            self.constrain(a, Dur)?;
        }
        if b.ty == Any && a.ty == Time && op == BinaryOp::Add {
            self.constrain(b, Dur)?;
        }
        let result = match (op, a.ty, b.ty) {
            (_, Null, _) | (_, _, Null) => Null,
            (_, Any, _) | (_, _, Any) => Any,
            (_, Num, Num) => Num,
            (BinaryOp::Add, Time, Dur)
            | (BinaryOp::Add, Dur, Time)
            | (BinaryOp::Sub, Time, Dur) => Time,
            (BinaryOp::Sub, Time, Time) => Dur,
            (BinaryOp::Add | BinaryOp::Sub, Dur, Dur) => Dur,
            (BinaryOp::Mul, Num, Dur) | (BinaryOp::Mul, Dur, Num) | (BinaryOp::Div, Dur, Num) => {
                Dur
            }
            (BinaryOp::Div, Dur, Dur) => Num,
            _ => {
                let span = a.span.to(b.span);
                let joins_text = op == BinaryOp::Add && (a.ty == Str || b.ty == Str);
                self.err(
                    Code::TypeMismatch,
                    span,
                    format!(
                        "cannot compute {} {} {}",
                        a.ty.name(),
                        op.symbol(),
                        b.ty.name()
                    ),
                )
                .help = Some(if joins_text {
                    "`+` adds numbers and does not join text; in a message, write the text outside the braces, as in `{cart.value} EUR`".into()
                } else {
                    "arithmetic works on numbers; a timestamp ± a duration is a timestamp, timestamp − timestamp a duration, number × duration a duration".into()
                });
                return None;
            }
        };
        Some(result)
    }

    /// Two sides that must have the same type (comparisons, `??`).
    fn unify(&mut self, a: &mut TExpr, b: &mut TExpr, op: BinaryOp) -> Option<()> {
        if a.ty == Type::Any && !matches!(b.ty, Type::Any | Type::Null) {
            self.constrain(a, b.ty)?;
        } else if b.ty == Type::Any && !matches!(a.ty, Type::Any | Type::Null) {
            self.constrain(b, a.ty)?;
        }
        coerce_time(a, b.ty);
        coerce_time(b, a.ty);
        let (x, y) = (a.ty, b.ty);
        if x != y && ![x, y].iter().any(|t| matches!(t, Type::Any | Type::Null)) {
            // A prop typed by an earlier use, next to a value of another
            // type, is a conflict between the two uses.
            match (self.is_inferred(a), self.is_inferred(b)) {
                (true, false) => return self.constrain(a, y),
                (false, true) => return self.constrain(b, x),
                _ => {}
            }
            let span = a.span.to(b.span);
            let d = self.err(
                Code::TypeMismatch,
                span,
                format!(
                    "`{}` between a {} and a {}",
                    op.symbol(),
                    x.name(),
                    y.name()
                ),
            );
            d.help = Some(format!(
                "both sides of `{}` must have the same type",
                op.symbol()
            ));
            d.secondary.push(crate::diag::Label {
                file: d.file,
                span: a.span,
                message: format!("this is a {}", x.name()),
            });
            d.secondary.push(crate::diag::Label {
                file: d.file,
                span: b.span,
                message: format!("this is a {}", y.name()),
            });
            return None;
        }
        Some(())
    }

    /// Requires `want`; an untyped prop takes it (inference).
    pub fn require(&mut self, t: &mut TExpr, want: Type, why: &str) -> Option<()> {
        coerce_time(t, want);
        if t.ty == Type::Any {
            return self.constrain(t, want);
        }
        if t.ty == want || t.ty == Type::Null {
            return Some(());
        }
        if self.is_inferred(t) {
            return self.constrain(t, want);
        }
        self.err(
            Code::TypeMismatch,
            t.span,
            format!("expected a {}, found a {}", want.name(), t.ty.name()),
        )
        .help = Some(why.to_string());
        None
    }

    fn mismatch(&mut self, t: &TExpr, why: &str) {
        self.err(
            Code::TypeMismatch,
            t.span,
            format!("a {} cannot be used here", t.ty.name()),
        )
        .help = Some(why.to_string());
    }

    /// Records that an untyped prop is used as `want`, or reports a conflict
    /// with its first use.
    fn constrain(&mut self, t: &mut TExpr, want: Type) -> Option<()> {
        for key in self.prop_keys(t) {
            match self.inferred.get(&key) {
                Some(&(have, file, first)) if have != want => {
                    let path = key.1.join(".");
                    let what = if key.0 == CUSTOMER {
                        format!("`customer.{path}`")
                    } else {
                        format!("the `{path}` of `{}`", key.0)
                    };
                    self.err(
                        Code::TypeConflict,
                        t.span,
                        format!("{what} is used as a {} here but as a {} before", want.name(), have.name()),
                    )
                    .set_label(format!("used as a {} here", want.name()))
                    .add_secondary(file, first, format!("first used as a {} here", have.name()))
                    .help = Some(format!(
                        "a property has one type in all rules; convert it at the source, or add it to the event schema as a {}",
                        have.name()
                    ));
                    return None;
                }
                Some(_) => {}
                None => {
                    self.inferred.insert(key, (want, self.file, t.span));
                }
            }
        }
        t.ty = want;
        Some(())
    }

    /// Whether `t` is a prop whose type comes from an earlier use (not from
    /// the schema): using it as another type is a `type-conflict`.
    fn is_inferred(&self, t: &TExpr) -> bool {
        self.prop_keys(t)
            .iter()
            .any(|k| self.inferred.contains_key(k))
    }

    /// The (owner, path) keys an untyped load stands for.
    fn prop_keys(&self, t: &TExpr) -> Vec<PropKey> {
        let TExprKind::Load {
            source,
            access: Access::Field(path),
        } = &t.kind
        else {
            return Vec::new();
        };
        match source {
            Source::Customer => vec![(CUSTOMER.to_string(), path.clone())],
            _ => self
                .load_events
                .get(&(self.file, t.span))
                .into_iter()
                .flatten()
                .map(|e| (e.clone(), path.clone()))
                .collect(),
        }
    }

    fn path(&mut self, segs: &[Ident], span: Span, scope: &Scope) -> Option<TExpr> {
        let root = segs.first()?;
        let rest: Vec<String> = segs[1..].iter().map(|s| s.name.clone()).collect();
        let load = |source, access, ty| {
            Some(TExpr {
                kind: TExprKind::Load { source, access },
                ty,
                span,
            })
        };
        match root.name.as_str() {
            "now" if rest.is_empty() => load(Source::Now, Access::Now, Type::Time),
            "now" => {
                self.err(
                    Code::UnknownPath,
                    span,
                    "`now` is a timestamp and has no fields",
                )
                .help = Some("compare with it directly, such as `now - cart.time > 1h`".into());
                None
            }
            CUSTOMER if rest.is_empty() => {
                self.err(Code::UnknownPath, span, "`customer` needs an attribute")
                    .help = Some("name the attribute, such as `customer.first_name`".into());
                None
            }
            CUSTOMER => {
                let ty = self.customer_type(&rest, span)?;
                load(Source::Customer, Access::Field(rest), ty)
            }
            name => {
                let binding = if name == "event" {
                    scope.event.clone()
                } else {
                    scope
                        .aliases
                        .iter()
                        .find(|(a, _)| a == name)
                        .map(|(_, b)| b.clone())
                };
                match binding {
                    Some(b) => self.event_path(&b, root, &rest, span),
                    None => self.unknown_root(root, segs.len(), scope),
                }
            }
        }
    }

    fn event_path(
        &mut self,
        b: &Binding,
        root: &Ident,
        rest: &[String],
        span: Span,
    ) -> Option<TExpr> {
        let load = |access, ty| {
            Some(TExpr {
                kind: TExprKind::Load {
                    source: b.source,
                    access,
                },
                ty,
                span,
            })
        };
        let envelope = match rest.first().map(String::as_str) {
            None => {
                self.err(
                    Code::UnknownPath,
                    span,
                    format!("`{}` is an event; name one of its fields", root.name),
                )
                .help = Some(format!(
                    "such as `{0}.time`, `{0}.id` or a property like `{0}.total`",
                    root.name
                ));
                return None;
            }
            Some("time") => Some((Envelope::Time, Type::Time)),
            Some("id") => Some((Envelope::Id, Type::Str)),
            Some("name") => Some((Envelope::Name, Type::Str)),
            Some("customer") => Some((Envelope::Customer, Type::Str)),
            _ => None,
        };
        if let Some((env, ty)) = envelope {
            if rest.len() > 1 {
                self.err(
                    Code::UnknownPath,
                    span,
                    format!("`{}.{}` has no fields", root.name, rest[0]),
                )
                .help = Some(format!(
                    "a prop called `{0}` is `{1}.props.{0}`",
                    rest[0], root.name
                ));
                return None;
            }
            return load(Access::Envelope(env), ty);
        }
        let path: Vec<String> = if rest[0] == "props" {
            rest[1..].to_vec()
        } else {
            rest.to_vec()
        };
        if path.is_empty() {
            self.err(Code::UnknownPath, span, "`props` needs a property name")
                .help = Some(format!("such as `{}.props.time`", root.name));
            return None;
        }
        let ty = self.prop_type(&b.events, &path, span)?;
        self.load_events.insert((self.file, span), b.events.clone());
        load(Access::Field(path), ty)
    }

    fn prop_type(&mut self, events: &[String], path: &[String], span: Span) -> Option<Type> {
        // For `(E or F)`, the prop needs to exist on one of them.
        let lookups: Vec<(&String, Lookup)> = events
            .iter()
            .filter_map(|ev| {
                self.schema
                    .and_then(|s| s.event_prop(ev, path))
                    .map(|l| (ev, l))
            })
            .collect();
        let defined = lookups
            .iter()
            .find(|(_, l)| !matches!(l, Lookup::Unknown { .. }));
        if let Some((ev, lookup)) = defined.or(lookups.first()) {
            let (ev, lookup) = ((*ev).clone(), lookup.clone());
            return self.schema_type(lookup, path, span, &format!("event `{ev}`"));
        }
        Some(self.inferred_type(events, path))
    }

    fn customer_type(&mut self, path: &[String], span: Span) -> Option<Type> {
        if let Some(lookup) = self.schema.and_then(|s| s.customer_attr(path)) {
            return self.schema_type(lookup, path, span, "the customer profile");
        }
        Some(self.inferred_type(&[CUSTOMER.to_string()], path))
    }

    fn inferred_type(&self, owners: &[String], path: &[String]) -> Type {
        owners
            .iter()
            .find_map(|o| self.inferred.get(&(o.clone(), path.to_vec())).map(|x| x.0))
            .unwrap_or(Type::Any)
    }

    fn schema_type(
        &mut self,
        lookup: Lookup,
        path: &[String],
        span: Span,
        owner: &str,
    ) -> Option<Type> {
        match lookup {
            Lookup::Type(t) => Some(t),
            Lookup::Object => Some(Type::Any),
            Lookup::Unknown {
                segment,
                candidates,
            } => {
                let name = path[..=segment.min(path.len() - 1)].join(".");
                let d = self.err(
                    Code::UnknownProperty,
                    span,
                    format!("{owner} has no property `{name}` in the event schema"),
                );
                d.help = Some(
                    match did_you_mean(
                        &path[segment.min(path.len() - 1)],
                        candidates.iter().map(String::as_str),
                    ) {
                        Some(s) => format!("did you mean `{s}`?"),
                        None => "add it to the event schema, or check the spelling".into(),
                    },
                );
                None
            }
        }
    }

    fn unknown_root(&mut self, root: &Ident, len: usize, scope: &Scope) -> Option<TExpr> {
        let mut known: Vec<&str> = scope.aliases.iter().map(|(a, _)| a.as_str()).collect();
        known.extend(["customer", "now"]);
        if scope.event.is_some() {
            known.push("event");
        }
        let suggestion = did_you_mean(&root.name, known.iter().copied());
        if len == 1 && suggestion.is_none() {
            self.err(
                Code::BareName,
                root.span,
                format!("`{}` is a bare name, not a value", root.name),
            )
            .set_label("not a value")
            .help = Some(format!(
                "did you mean `\"{}\"`? Text goes in double quotes",
                root.name
            ));
            return None;
        }
        let d = self.err(
            Code::UnknownPath,
            root.span,
            format!("`{}` is not an alias of this rule", root.name),
        );
        d.help = Some(match suggestion {
            Some(s) => format!("did you mean `{s}`?"),
            None => format!(
                "paths start with `event`, `customer`, `now` or an alias; to name an event, write `as {}` after it",
                root.name
            ),
        });
        None
    }
}

/// A string literal in RFC 3339 or `YYYY-MM-DD` form next to a timestamp is
/// a timestamp.
fn coerce_time(t: &mut TExpr, other: Type) {
    if other != Type::Time {
        return;
    }
    if let TExprKind::Const(Const::Str(s)) = &t.kind {
        if let Some(ms) = parse_timestamp_literal(s) {
            t.kind = TExprKind::Const(Const::Time(ms));
            t.ty = Type::Time;
        }
    }
}

/// RFC 3339 or `YYYY-MM-DD` (midnight UTC) → epoch milliseconds.
pub fn parse_timestamp_literal(s: &str) -> Option<i64> {
    if let Ok(t) = chrono::DateTime::parse_from_rfc3339(s) {
        return Some(t.timestamp_millis());
    }
    let d = chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").ok()?;
    Some(d.and_hms_opt(0, 0, 0)?.and_utc().timestamp_millis())
}
