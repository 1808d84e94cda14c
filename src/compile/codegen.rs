//! Checked IR → bytecode. Each rule becomes one handler per event name it
//! cares about; the sections of a handler run in a fixed order that the
//! semantics need (see `handler_ops`).

use std::collections::BTreeMap;

use crate::check::config::{parse_cap, Config};
use crate::check::ir::{self, Access, Envelope, Source, TExpr, TExprKind};
use crate::diag::SourceMap;
use crate::syntax::ast::BinaryOp;
use crate::syntax::parser::parse_duration;

use super::instr::{BinOp, Field, Op, Src};
use super::program::*;

const CHANNELS: [&str; 5] = ["whatsapp", "sms", "email", "viber", "rcs"];

/// Compiles a checked program with its project settings and sources.
pub fn compile(program: &ir::Program, config: &Config, sources: &SourceMap) -> Program {
    let mut g = Gen::default();
    let rules = program
        .rules
        .iter()
        .enumerate()
        .map(|(i, r)| g.rule(i as u32, r))
        .collect();
    let mut dispatch: BTreeMap<String, Vec<u32>> = BTreeMap::new();
    for (name, h) in g.by_event {
        dispatch.entry(name).or_default().push(h);
    }
    Program {
        consts: g.consts,
        paths: g.paths,
        code: g.code,
        locs: g.locs,
        funcs: g.funcs,
        handlers: g.handlers,
        dispatch: dispatch.into_iter().collect(),
        any_event: g.any_event,
        rules,
        settings: settings(config),
        // Only the rule files: locations point nowhere else, and catalogs
        // can be large.
        sources: g
            .files
            .iter()
            .map(|id| {
                let f = sources.get(crate::diag::FileId(*id));
                SourceText {
                    name: f.name.clone(),
                    text: f.text.clone(),
                }
            })
            .collect(),
    }
}

fn settings(config: &Config) -> Settings {
    let cap = |s: &str| {
        parse_cap(s).ok().map(|c| CapMeta {
            count: c.count,
            per_ms: c.per_ms as i64,
        })
    };
    let dur = |s: &Option<String>, default: i64| {
        s.as_deref()
            .and_then(|d| parse_duration(d).ok())
            .map_or(default, |d| d as i64)
    };
    let attr = |a: Option<&str>| a.map(|s| s.split('.').map(str::to_string).collect());
    Settings {
        timezone: config.project.timezone.clone(),
        eligibility: CHANNELS
            .iter()
            .map(|c| Eligibility {
                channel: c.to_string(),
                consent: attr(config.consent_attribute(c)),
                contact: attr(config.contact_attribute(c)),
            })
            .filter(|e| e.consent.is_some() || e.contact.is_some())
            .collect(),
        cap_all: config.caps.all.as_deref().and_then(cap),
        cap_channel: config
            .caps
            .channel
            .iter()
            .filter_map(|(k, v)| Some((k.clone(), cap(v)?)))
            .collect(),
        cap_tag: config
            .caps
            .tag
            .iter()
            .filter_map(|(k, v)| Some((k.clone(), cap(v)?)))
            .collect(),
        allowed_lateness_ms: dur(&config.runtime.allowed_lateness, 60_000),
        max_future_ms: dur(&config.runtime.max_future, 86_400_000),
        dedupe_horizon_ms: dur(&config.runtime.dedupe_horizon, 86_400_000),
    }
}

#[derive(Default)]
struct Gen {
    consts: Vec<Const>,
    paths: Vec<Vec<String>>,
    code: Vec<Op>,
    locs: Vec<Loc>,
    funcs: Vec<Func>,
    handlers: Vec<Handler>,
    /// (event name, handler) in rule order.
    by_event: Vec<(String, u32)>,
    any_event: Vec<u32>,
    /// The file of the rule being compiled (index into `files`).
    file: u32,
    /// Source files of the rules, by `FileId`, in first-use order.
    files: Vec<u32>,
}

impl Gen {
    fn loc(&self, span: crate::syntax::Span) -> Loc {
        Loc {
            file: self.file,
            start: span.start as u32,
            end: span.end as u32,
        }
    }

    fn emit(&mut self, op: Op, loc: Loc) -> u32 {
        self.code.push(op);
        self.locs.push(loc);
        (self.code.len() - 1) as u32
    }

    fn here(&self) -> u32 {
        self.code.len() as u32
    }

    /// Points the jump at `at` to the current position.
    fn patch(&mut self, at: u32) {
        let to = self.here();
        self.code[at as usize] = match self.code[at as usize] {
            Op::Jump(_) => Op::Jump(to),
            Op::JumpIfFalse(_) => Op::JumpIfFalse(to),
            Op::JumpIfFalseKeep(_) => Op::JumpIfFalseKeep(to),
            Op::JumpIfTrueKeep(_) => Op::JumpIfTrueKeep(to),
            Op::JumpIfPresentKeep(_) => Op::JumpIfPresentKeep(to),
            other => other,
        };
    }

    fn constant(&mut self, c: Const) -> u32 {
        if let Some(i) = self.consts.iter().position(|k| *k == c) {
            return i as u32;
        }
        self.consts.push(c);
        (self.consts.len() - 1) as u32
    }

    fn path(&mut self, p: &[String]) -> u32 {
        if let Some(i) = self.paths.iter().position(|k| k == p) {
            return i as u32;
        }
        self.paths.push(p.to_vec());
        (self.paths.len() - 1) as u32
    }

    fn expr(&mut self, e: &TExpr) {
        let loc = self.loc(e.span);
        match &e.kind {
            TExprKind::Const(c) => {
                let i = self.constant(konst(c));
                self.emit(Op::Const(i), loc);
            }
            TExprKind::List(items) => {
                for it in items {
                    self.expr(it);
                }
                self.emit(Op::List(items.len() as u16), loc);
            }
            TExprKind::Load { source, access } => self.load(*source, access, loc),
            TExprKind::Not(x) => {
                self.expr(x);
                self.emit(Op::Truthy, loc);
                self.emit(Op::Not, loc);
            }
            TExprKind::Neg(x) => {
                self.expr(x);
                self.emit(Op::Neg, loc);
            }
            TExprKind::Binary(op, a, b) => self.binary(*op, a, b, loc),
        }
    }

    fn load(&mut self, source: Source, access: &Access, loc: Loc) {
        let src = match source {
            Source::Now => {
                self.emit(Op::Now, loc);
                return;
            }
            Source::Candidate => Src::Candidate,
            Source::Binding(i) => Src::Binding(i),
            Source::Customer => Src::Customer,
        };
        let field = match access {
            Access::Now => {
                self.emit(Op::Now, loc);
                return;
            }
            Access::Envelope(Envelope::Time) => Field::Time,
            Access::Envelope(Envelope::Id) => Field::Id,
            Access::Envelope(Envelope::Name) => Field::Name,
            Access::Envelope(Envelope::Customer) => Field::Customer,
            Access::Field(p) => Field::Path(self.path(p)),
        };
        self.emit(Op::Load(src, field), loc);
    }

    fn binary(&mut self, op: BinaryOp, a: &TExpr, b: &TExpr, loc: Loc) {
        let jump = match op {
            BinaryOp::And => Some(Op::JumpIfFalseKeep(0)),
            BinaryOp::Or => Some(Op::JumpIfTrueKeep(0)),
            BinaryOp::Coalesce => Some(Op::JumpIfPresentKeep(0)),
            _ => None,
        };
        if let Some(j) = jump {
            let cond = op != BinaryOp::Coalesce;
            self.expr(a);
            if cond {
                self.emit(Op::Truthy, loc);
            }
            let at = self.emit(j, loc);
            self.emit(Op::Pop, loc);
            self.expr(b);
            if cond {
                self.emit(Op::Truthy, loc);
            }
            self.patch(at);
            return;
        }
        if matches!(op, BinaryOp::Eq | BinaryOp::Ne) && (is_null(a) || is_null(b)) {
            // The null tests: every other comparison with null is false.
            self.expr(if is_null(a) { b } else { a });
            self.emit(Op::IsNull, loc);
            if op == BinaryOp::Ne {
                self.emit(Op::Not, loc);
            }
            return;
        }
        self.expr(a);
        self.expr(b);
        self.emit(Op::Bin(binop(op)), loc);
    }

    /// A function computing `e`; returns its index.
    fn func(&mut self, e: &TExpr) -> u32 {
        let start = self.here();
        self.expr(e);
        let loc = self.loc(e.span);
        self.emit(Op::Return, loc);
        self.funcs.push(Func {
            start,
            end: self.here(),
        });
        (self.funcs.len() - 1) as u32
    }

    fn rule(&mut self, idx: u32, r: &ir::Rule) -> RuleMeta {
        self.file = match self.files.iter().position(|f| *f == r.file.0) {
            Some(i) => i as u32,
            None => {
                self.files.push(r.file.0);
                (self.files.len() - 1) as u32
            }
        };
        let t = &r.trigger;
        let kind = self.kind(&t.primary);
        let absences = t
            .absences
            .iter()
            .map(|a| self.absence(a, t))
            .collect::<Vec<_>>();
        let guards = r
            .guards
            .iter()
            .map(|g| GuardMeta {
                negated: g.negated,
                func: self.func(&g.expr),
            })
            .collect();
        let steps = r.steps.iter().map(|s| self.step(s)).collect();
        let key = r.key.as_ref().map(|k| self.func(k));
        let quiet = r.quiet.as_ref().map(|q| QuietMeta {
            start: q.start,
            end: q.end,
            zone: q.zone.as_ref().map(|z| self.func(z)),
        });
        let goal = r.goal.as_ref().map(|g| GoalMeta {
            event: g.event.clone(),
            filter: g.filter.as_ref().map(|f| self.func(f)),
            within_ms: g.within_ms as i64,
        });
        let meta = RuleMeta {
            name: r.name.clone(),
            fingerprint: t.fingerprint.clone(),
            loc: self.loc(r.span),
            kind,
            wait_ms: t.wait_ms.map(|w| w as i64),
            absences,
            key,
            guards,
            steps,
            limit: r.limit.map(|(n, d)| (n, d as i64)),
            once: r.once,
            priority: r.priority,
            tags: r.tags.clone(),
            quiet,
            goal,
            holdout: r.holdout.map(|p| (p * 100.0).round() as u32),
            marketing: r.marketing,
        };
        self.handlers_for_rule(idx, r, &meta);
        meta
    }

    fn kind(&mut self, p: &ir::Primary) -> Kind {
        match p {
            ir::Primary::Match(_) => Kind::Match,
            ir::Primary::First(_) => Kind::First,
            ir::Primary::Count {
                times, within_ms, ..
            } => Kind::Count {
                times: *times,
                within_ms: *within_ms as i64,
            },
            ir::Primary::Sequence {
                then, within_ms, ..
            } => Kind::Sequence {
                within_ms: *within_ms as i64,
                then_filter: then.filter.as_ref().map(|f| self.func(f)),
            },
            ir::Primary::Inactive { after_ms } => Kind::Inactive {
                after_ms: *after_ms as i64,
            },
        }
    }

    fn absence(&mut self, a: &ir::Absence, t: &ir::Trigger) -> AbsenceMeta {
        let mode = if t.wait_ms.is_some() {
            AbsenceMode::CancelWait
        } else if matches!(t.primary, ir::Primary::Sequence { .. }) {
            AbsenceMode::Between
        } else {
            AbsenceMode::LookBack {
                within_ms: a.within_ms.map(|w| w as i64),
            }
        };
        AbsenceMeta {
            event: a.event.clone(),
            mode,
            correlated: a.filter.as_ref().is_some_and(reads_bindings),
            filter: a.filter.as_ref().map(|f| self.func(f)),
            loc: self.loc(a.span),
        }
    }

    fn step(&mut self, s: &ir::Step) -> StepMeta {
        let loc = self.loc(s.span);
        match &s.body {
            ir::StepBody::Template { name, lang, params } => StepMeta::Template {
                channel: s.channel.clone(),
                name: name.clone(),
                lang: match lang {
                    None => LangMeta::None,
                    Some(ir::Lang::Fixed(l)) => LangMeta::Fixed(l.clone()),
                    Some(ir::Lang::Dynamic {
                        expr,
                        approved,
                        default,
                    }) => LangMeta::Dynamic {
                        func: self.func(expr),
                        approved: approved.clone(),
                        default: default.clone(),
                    },
                },
                params: match params {
                    ir::Params::None => ParamsMeta::None,
                    ir::Params::Positional { values, header } => ParamsMeta::Positional {
                        values: values.iter().map(|v| self.func(v)).collect(),
                        header: header.as_ref().map(|h| self.func(h)),
                    },
                    ir::Params::Named { values, header } => ParamsMeta::Named {
                        values: values
                            .iter()
                            .map(|(n, v)| (n.clone(), self.func(v)))
                            .collect(),
                        header: header.as_ref().map(|h| self.func(h)),
                    },
                },
                loc,
            },
            ir::StepBody::Text(parts) => StepMeta::Text {
                channel: s.channel.clone(),
                parts: parts
                    .iter()
                    .map(|p| match p {
                        ir::TextPart::Literal(l) => TextPart::Literal(l.clone()),
                        ir::TextPart::Interp(e) => TextPart::Func(self.func(e)),
                    })
                    .collect(),
                loc,
            },
        }
    }

    /// One handler per event name the rule cares about. Sections run in
    /// this order: absences cancel first (so `E for D and not E` cancels
    /// the old wait before the repeat starts a new one), then `followed by`
    /// completions (a used-up F starts nothing), then the primary, then
    /// look-back records (an event never counts as its own absence), then
    /// goal conversions.
    fn handlers_for_rule(&mut self, idx: u32, r: &ir::Rule, meta: &RuleMeta) {
        let t = &r.trigger;
        let mut names: Vec<String> = Vec::new();
        let mut add = |n: &str| {
            if !names.iter().any(|x| x == n) {
                names.push(n.to_string());
            }
        };
        match &t.primary {
            ir::Primary::Match(m) | ir::Primary::First(m) => m.events.iter().for_each(|e| add(e)),
            ir::Primary::Count { matcher, .. } => matcher.events.iter().for_each(|e| add(e)),
            ir::Primary::Sequence { first, then, .. } => {
                first.events.iter().for_each(|e| add(e));
                then.events.iter().for_each(|e| add(e));
            }
            ir::Primary::Inactive { .. } => {}
        }
        t.absences.iter().for_each(|a| add(&a.event));
        if let Some(g) = &r.goal {
            add(&g.event);
        }
        for name in names {
            let h = self.handler(idx, r, meta, &name);
            self.by_event.push((name, h));
        }
        if matches!(t.primary, ir::Primary::Inactive { .. }) {
            let start = self.here();
            let loc = meta.loc;
            self.emit(Op::Touch(idx), loc);
            self.emit(Op::Halt, loc);
            self.handlers.push(Handler {
                rule: idx,
                start,
                end: self.here(),
            });
            self.any_event.push((self.handlers.len() - 1) as u32);
        }
    }

    fn handler(&mut self, idx: u32, r: &ir::Rule, meta: &RuleMeta, name: &str) -> u32 {
        let start = self.here();
        let t = &r.trigger;
        let rule_loc = meta.loc;
        for (i, a) in meta.absences.iter().enumerate() {
            if a.event == name && !matches!(a.mode, AbsenceMode::LookBack { .. }) {
                self.emit(Op::Cancel(idx, i as u16), a.loc);
            }
        }
        let mut skip_start = None;
        if let ir::Primary::Sequence { then, .. } = &t.primary {
            if then.events.iter().any(|e| e == name) {
                self.emit(Op::SeqComplete(idx), rule_loc);
                // A used-up F starts nothing: skip the start section.
                self.emit(Op::Not, rule_loc);
                skip_start = Some(self.emit(Op::JumpIfFalse(0), rule_loc));
            }
        }
        let (matcher, op) = match &t.primary {
            ir::Primary::Match(m) => (Some(m), Op::Match(idx)),
            ir::Primary::First(m) => (Some(m), Op::First(idx)),
            ir::Primary::Count { matcher, .. } => (Some(matcher), Op::Count(idx)),
            ir::Primary::Sequence { first, .. } => (Some(first), Op::SeqStart(idx)),
            ir::Primary::Inactive { .. } => (None, Op::Halt),
        };
        if let Some(m) = matcher.filter(|m| m.events.iter().any(|e| e == name)) {
            let mut skip = None;
            if let Some(f) = &m.filter {
                self.expr(f);
                let loc = self.loc(f.span);
                self.emit(Op::Truthy, loc);
                skip = Some(self.emit(Op::JumpIfFalse(0), loc));
            }
            self.emit(op, rule_loc);
            if let Some(s) = skip {
                self.patch(s);
            }
        }
        if let Some(s) = skip_start {
            self.patch(s);
        }
        for (i, a) in meta.absences.iter().enumerate() {
            if a.event == name && matches!(a.mode, AbsenceMode::LookBack { .. }) {
                self.emit(Op::Record(idx, i as u16), a.loc);
            }
        }
        if r.goal.as_ref().is_some_and(|g| g.event == name) {
            self.emit(Op::Goal(idx), rule_loc);
        }
        self.emit(Op::Halt, rule_loc);
        self.handlers.push(Handler {
            rule: idx,
            start,
            end: self.here(),
        });
        (self.handlers.len() - 1) as u32
    }
}

/// Whether an absence filter reads events bound by the pattern (aliases of
/// the primary): then it is evaluated per waiting instance.
fn reads_bindings(e: &TExpr) -> bool {
    match &e.kind {
        TExprKind::Load { source, .. } => matches!(source, Source::Binding(_)),
        TExprKind::Const(_) => false,
        TExprKind::List(items) => items.iter().any(reads_bindings),
        TExprKind::Not(x) | TExprKind::Neg(x) => reads_bindings(x),
        TExprKind::Binary(_, a, b) => reads_bindings(a) || reads_bindings(b),
    }
}

fn is_null(e: &TExpr) -> bool {
    matches!(e.kind, TExprKind::Const(ir::Const::Null))
}

fn konst(c: &ir::Const) -> Const {
    match c {
        ir::Const::Str(s) => Const::Str(s.clone()),
        ir::Const::Num(n) => Const::Num(*n),
        ir::Const::Bool(b) => Const::Bool(*b),
        ir::Const::Time(t) => Const::Time(*t),
        ir::Const::Dur(d) => Const::Dur(*d),
        ir::Const::Null => Const::Null,
    }
}

fn binop(op: BinaryOp) -> BinOp {
    match op {
        BinaryOp::Eq => BinOp::Eq,
        BinaryOp::Ne => BinOp::Ne,
        BinaryOp::Lt => BinOp::Lt,
        BinaryOp::Le => BinOp::Le,
        BinaryOp::Gt => BinOp::Gt,
        BinaryOp::Ge => BinOp::Ge,
        BinaryOp::In => BinOp::In,
        BinaryOp::NotIn => BinOp::NotIn,
        BinaryOp::Contains => BinOp::Contains,
        BinaryOp::NotContains => BinOp::NotContains,
        BinaryOp::StartsWith => BinOp::StartsWith,
        BinaryOp::Add => BinOp::Add,
        BinaryOp::Sub => BinOp::Sub,
        BinaryOp::Mul => BinOp::Mul,
        // And, Or and Coalesce are compiled to jumps and never get here.
        BinaryOp::Div | BinaryOp::And | BinaryOp::Or | BinaryOp::Coalesce => BinOp::Div,
    }
}
