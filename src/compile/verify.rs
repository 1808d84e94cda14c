//! The bytecode verifier: everything the VM and the engine rely on, checked
//! once when a program is loaded, so that a hand-crafted or corrupted
//! `.trigc` file is refused with a message instead of making the VM panic
//! or misbehave.
//!
//! What it checks:
//! - tables: one location per instruction; every location inside its source
//!   text; paths non-empty; operands (`Const`, `Load` paths, bindings) in
//!   range;
//! - ranges: every function and handler is a non-empty range inside the
//!   code that ends in `Return` (functions) or `Halt` (handlers); jumps stay
//!   inside their own range and go forward only (so every run ends); functions hold expression code only; handlers
//!   never `Return`, and their state operations act for the handler's own
//!   rule, match its kind and name one of its absences;
//! - the stack: an abstract interpretation of each range over its control
//!   flow (no underflow, the same depth on every path into an instruction,
//!   exactly one value before `Return`, at most [`MAX_STACK`] values);
//! - rules and tables around the code: function indexes in rule metadata,
//!   rule indexes in handlers, handler indexes in the dispatch table (whose
//!   names are sorted and unique), durations not negative, quiet hours
//!   within a day, holdout at most 100%.

use std::collections::BTreeSet;

use thiserror::Error;

use super::instr::{Field, Op, Src};
use super::program::{AbsenceMode, Kind, LangMeta, Loc, ParamsMeta, Program, StepMeta, TextPart};

/// The deepest stack any code may build.
pub const MAX_STACK: u32 = 1024;

/// Why a program was refused: where (`instruction 12 (rule `x`, handler 3
/// on `cart.abandoned`)`, `rule `x``, `dispatch`) and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("{place}: {problem}")]
pub struct VerifyError {
    pub place: String,
    pub problem: String,
    /// The instruction at fault, when there is one.
    pub pc: Option<u32>,
}

/// Checks a program; see the module documentation for what.
pub fn verify(p: &Program) -> Result<(), VerifyError> {
    let v = Verifier::new(p);
    v.tables()?;
    v.rules()?;
    v.funcs()?;
    v.handlers()?;
    v.dispatch()?;
    v.settings()?;
    Ok(())
}

struct Verifier<'a> {
    p: &'a Program,
    /// What each function is for: (rule, role), from the rule metadata.
    func_roles: Vec<Option<(u32, String)>>,
    /// The event name (or "any event") each handler runs for.
    handler_events: Vec<Option<String>>,
}

fn err(place: impl Into<String>, problem: impl Into<String>) -> VerifyError {
    VerifyError {
        place: place.into(),
        problem: problem.into(),
        pc: None,
    }
}

/// Every function a rule refers to, with what it is for.
pub(crate) fn rule_funcs(r: &super::program::RuleMeta) -> Vec<(u32, String)> {
    let mut out = Vec::new();
    if let Kind::Sequence {
        then_filter: Some(f),
        ..
    } = r.kind
    {
        out.push((f, "`followed by` filter".to_string()));
    }
    for (i, a) in r.absences.iter().enumerate() {
        if let Some(f) = a.filter {
            out.push((f, format!("absence {i} filter")));
        }
    }
    for (i, g) in r.guards.iter().enumerate() {
        out.push((g.func, format!("guard {i}")));
    }
    for (i, s) in r.steps.iter().enumerate() {
        let ch = s.channel();
        match s {
            StepMeta::Template { lang, params, .. } => {
                if let LangMeta::Dynamic { func, .. } = lang {
                    out.push((*func, format!("step {i} ({ch}) language")));
                }
                match params {
                    ParamsMeta::None => {}
                    ParamsMeta::Positional { values, header } => {
                        if let Some(h) = header {
                            out.push((*h, format!("step {i} ({ch}) header")));
                        }
                        for (j, v) in values.iter().enumerate() {
                            out.push((*v, format!("step {i} ({ch}) parameter {}", j + 1)));
                        }
                    }
                    ParamsMeta::Named { values, header } => {
                        if let Some(h) = header {
                            out.push((*h, format!("step {i} ({ch}) header")));
                        }
                        for (n, v) in values {
                            out.push((*v, format!("step {i} ({ch}) parameter `{n}`")));
                        }
                    }
                }
            }
            StepMeta::Text { parts, .. } => {
                for part in parts {
                    if let TextPart::Func(f) = part {
                        out.push((*f, format!("step {i} ({ch}) text")));
                    }
                }
            }
        }
    }
    if let Some(k) = r.key {
        out.push((k, "key".to_string()));
    }
    if let Some(z) = r.quiet.as_ref().and_then(|q| q.zone) {
        out.push((z, "quiet zone".to_string()));
    }
    if let Some(f) = r.goal.as_ref().and_then(|g| g.filter) {
        out.push((f, "goal filter".to_string()));
    }
    out
}

/// The event name each handler runs for (`None` when no table names it).
pub(crate) fn handler_events(p: &Program) -> Vec<Option<String>> {
    let mut out = vec![None; p.handlers.len()];
    for (name, hs) in &p.dispatch {
        for &h in hs {
            if let Some(slot) = out.get_mut(h as usize) {
                *slot = Some(format!("`{name}`"));
            }
        }
    }
    for &h in &p.any_event {
        if let Some(slot) = out.get_mut(h as usize) {
            *slot = Some("any event".to_string());
        }
    }
    out
}

impl<'a> Verifier<'a> {
    fn new(p: &'a Program) -> Self {
        let mut func_roles = vec![None; p.funcs.len()];
        for (r, meta) in p.rules.iter().enumerate() {
            for (f, role) in rule_funcs(meta) {
                if let Some(slot) = func_roles.get_mut(f as usize) {
                    *slot = Some((r as u32, role));
                }
            }
        }
        Verifier {
            p,
            func_roles,
            handler_events: handler_events(p),
        }
    }

    fn rule_name(&self, r: u32) -> String {
        match self.p.rules.get(r as usize) {
            Some(m) => format!("rule `{}`", m.name),
            None => format!("rule {r}"),
        }
    }

    fn func_place(&self, f: usize) -> String {
        match self.func_roles.get(f).and_then(|x| x.as_ref()) {
            Some((r, role)) => format!("function {f} ({role} of {})", self.rule_name(*r)),
            None => format!("function {f}"),
        }
    }

    fn handler_place(&self, h: usize) -> String {
        let rule = self
            .p
            .handlers
            .get(h)
            .map_or_else(|| "?".to_string(), |x| self.rule_name(x.rule));
        match self.handler_events.get(h).and_then(|x| x.as_ref()) {
            Some(ev) => format!("handler {h} ({rule}, on {ev})"),
            None => format!("handler {h} ({rule})"),
        }
    }

    /// `instruction N` and the range that holds it.
    fn at(&self, pc: u32) -> String {
        let inside = |s: u32, e: u32| s <= pc && pc < e;
        if let Some(h) = self.p.handlers.iter().position(|h| inside(h.start, h.end)) {
            return format!("instruction {pc} in {}", self.handler_place(h));
        }
        if let Some(f) = self.p.funcs.iter().position(|f| inside(f.start, f.end)) {
            return format!("instruction {pc} in {}", self.func_place(f));
        }
        format!("instruction {pc}")
    }

    fn op_err(&self, pc: u32, problem: impl Into<String>) -> VerifyError {
        VerifyError {
            place: self.at(pc),
            problem: problem.into(),
            pc: Some(pc),
        }
    }

    fn loc(&self, l: Loc, place: impl FnOnce() -> String) -> Result<(), VerifyError> {
        let Some(src) = self.p.sources.get(l.file as usize) else {
            return Err(err(
                place(),
                format!(
                    "source file {} does not exist ({} source file(s))",
                    l.file,
                    self.p.sources.len()
                ),
            ));
        };
        let (s, e) = (l.start as usize, l.end as usize);
        if s > e || e > src.text.len() {
            return Err(err(
                place(),
                format!(
                    "source range {s}..{e} is outside `{}` ({} bytes)",
                    src.name,
                    src.text.len()
                ),
            ));
        }
        if !src.text.is_char_boundary(s) || !src.text.is_char_boundary(e) {
            return Err(err(
                place(),
                format!("source range {s}..{e} splits a character of `{}`", src.name),
            ));
        }
        Ok(())
    }

    fn func_ref(&self, f: u32, place: impl FnOnce() -> String) -> Result<(), VerifyError> {
        if (f as usize) < self.p.funcs.len() {
            Ok(())
        } else {
            Err(err(
                place(),
                format!(
                    "function {f} does not exist ({} function(s))",
                    self.p.funcs.len()
                ),
            ))
        }
    }

    /// Locations, paths and the operands of every instruction.
    fn tables(&self) -> Result<(), VerifyError> {
        let p = self.p;
        if p.locs.len() != p.code.len() {
            return Err(err(
                "code",
                format!(
                    "{} instruction(s) but {} location(s); every instruction needs one",
                    p.code.len(),
                    p.locs.len()
                ),
            ));
        }
        if u32::try_from(p.code.len()).is_err() {
            return Err(err("code", "more instructions than a program can address"));
        }
        if let Some(i) = p.paths.iter().position(Vec::is_empty) {
            return Err(err(format!("path {i}"), "the path is empty"));
        }
        for (pc, (op, l)) in p.code.iter().zip(&p.locs).enumerate() {
            let pc = pc as u32;
            match *op {
                Op::Const(i) if i as usize >= p.consts.len() => {
                    return Err(self.op_err(
                        pc,
                        format!(
                            "constant {i} does not exist ({} constant(s))",
                            p.consts.len()
                        ),
                    ));
                }
                Op::Load(src, field) => {
                    if let Src::Binding(b) = src {
                        if b >= 2 {
                            return Err(self.op_err(
                                pc,
                                format!("binding ${b} does not exist (only $0 and $1)"),
                            ));
                        }
                    }
                    if let Field::Path(i) = field {
                        if i as usize >= p.paths.len() {
                            return Err(self.op_err(
                                pc,
                                format!("path {i} does not exist ({} path(s))", p.paths.len()),
                            ));
                        }
                    }
                }
                _ => {}
            }
            self.loc(*l, || self.at(pc))?;
        }
        Ok(())
    }

    fn rules(&self) -> Result<(), VerifyError> {
        for (r, m) in self.p.rules.iter().enumerate() {
            let place = || format!("rule `{}` (rule {r})", m.name);
            let duration = |what: &str, ms: i64| {
                if ms < 0 {
                    Err(err(place(), format!("{what} is negative ({ms} ms)")))
                } else {
                    Ok(())
                }
            };
            self.loc(m.loc, place)?;
            match m.kind {
                Kind::Count { times, within_ms } => {
                    if times == 0 {
                        return Err(err(place(), "counts to 0 times"));
                    }
                    duration("the count window", within_ms)?;
                }
                Kind::Sequence { within_ms, .. } => {
                    duration("the `followed by` window", within_ms)?;
                }
                Kind::Inactive { after_ms } => duration("the inactivity period", after_ms)?,
                Kind::Match | Kind::First => {}
            }
            if let Some(w) = m.wait_ms {
                duration("the wait", w)?;
            }
            for (i, a) in m.absences.iter().enumerate() {
                let aplace = || format!("{}, absence {i} (`{}`)", place(), a.event);
                if let AbsenceMode::LookBack { within_ms: Some(w) } = a.mode {
                    if w < 0 {
                        return Err(err(aplace(), format!("the window is negative ({w} ms)")));
                    }
                }
                self.loc(a.loc, aplace)?;
            }
            for (f, role) in rule_funcs(m) {
                self.func_ref(f, || format!("{}, {role}", place()))?;
            }
            for (i, s) in m.steps.iter().enumerate() {
                let (StepMeta::Template { loc, .. } | StepMeta::Text { loc, .. }) = s;
                self.loc(*loc, || format!("{}, step {i}", place()))?;
            }
            if let Some((_, per)) = m.limit {
                duration("the limit period", per)?;
            }
            if let Some(q) = &m.quiet {
                if q.start >= 1440 || q.end >= 1440 {
                    return Err(err(
                        place(),
                        format!(
                            "quiet hours {}..{} are not minutes of a day (0 to 1439)",
                            q.start, q.end
                        ),
                    ));
                }
            }
            if let Some(g) = &m.goal {
                duration("the goal window", g.within_ms)?;
            }
            if let Some(h) = m.holdout {
                if h > 10_000 {
                    return Err(err(
                        place(),
                        format!("holdout of {h} basis points is more than 100%"),
                    ));
                }
            }
        }
        Ok(())
    }

    /// A code range: non-empty, inside the code, ending in `last`.
    fn range(&self, start: u32, end: u32, last: Op, place: &str) -> Result<(), VerifyError> {
        let len = self.p.code.len();
        if start >= end {
            return Err(err(
                place,
                format!("its code range {start}..{end} is empty"),
            ));
        }
        if end as usize > len {
            return Err(err(
                place,
                format!("its code range {start}..{end} runs past the end of the code ({len} instruction(s))"),
            ));
        }
        let end_op = self.p.code.get(end as usize - 1).copied();
        if end_op != Some(last) {
            let what = if last == Op::Return {
                "`return`"
            } else {
                "`halt`"
            };
            return Err(err(
                place,
                format!("its code range {start}..{end} does not end with {what}"),
            ));
        }
        Ok(())
    }

    fn jumps(&self, start: u32, end: u32) -> Result<(), VerifyError> {
        for pc in start..end {
            if let Some(t) = self.p.code.get(pc as usize).and_then(|op| op.target()) {
                if t < start || t >= end {
                    return Err(self.op_err(
                        pc,
                        format!("jump target {t} is outside its code range {start}..{end}"),
                    ));
                }
                // The compiler only jumps forward (conditions skip ahead), so
                // every run of a range ends; a backward jump could loop
                // forever.
                if t <= pc {
                    return Err(self.op_err(
                        pc,
                        format!(
                            "jump target {t} is not after the jump: code may only jump forward"
                        ),
                    ));
                }
            }
        }
        Ok(())
    }

    fn funcs(&self) -> Result<(), VerifyError> {
        for (f, func) in self.p.funcs.iter().enumerate() {
            let place = self.func_place(f);
            self.range(func.start, func.end, Op::Return, &place)?;
            for pc in func.start..func.end {
                let op = self.p.code[pc as usize];
                if op.rule().is_some() || op == Op::Halt {
                    return Err(self.op_err(
                        pc,
                        format!(
                            "`{}` is a state operation; functions compute values only",
                            mnemonic(op)
                        ),
                    ));
                }
            }
            self.jumps(func.start, func.end)?;
            self.stack(func.start, func.end)?;
        }
        Ok(())
    }

    fn handlers(&self) -> Result<(), VerifyError> {
        for (h, handler) in self.p.handlers.iter().enumerate() {
            let place = self.handler_place(h);
            let Some(meta) = self.p.rules.get(handler.rule as usize) else {
                return Err(err(
                    place,
                    format!(
                        "rule {} does not exist ({} rule(s))",
                        handler.rule,
                        self.p.rules.len()
                    ),
                ));
            };
            self.range(handler.start, handler.end, Op::Halt, &place)?;
            for pc in handler.start..handler.end {
                let op = self.p.code[pc as usize];
                if op == Op::Return {
                    return Err(self.op_err(pc, "`return` outside a function"));
                }
                let Some(r) = op.rule() else { continue };
                if r != handler.rule {
                    return Err(self.op_err(
                        pc,
                        format!(
                            "`{}` acts for {}, but the handler belongs to rule `{}`",
                            mnemonic(op),
                            self.rule_name(r),
                            meta.name
                        ),
                    ));
                }
                let fits = match op {
                    Op::Match(_) => matches!(meta.kind, Kind::Match),
                    Op::First(_) => matches!(meta.kind, Kind::First),
                    Op::Count(_) => matches!(meta.kind, Kind::Count { .. }),
                    Op::SeqStart(_) | Op::SeqComplete(_) => {
                        matches!(meta.kind, Kind::Sequence { .. })
                    }
                    Op::Touch(_) => matches!(meta.kind, Kind::Inactive { .. }),
                    Op::Goal(_) => meta.goal.is_some(),
                    Op::Cancel(_, a) | Op::Record(_, a) => {
                        let Some(abs) = meta.absences.get(a as usize) else {
                            return Err(self.op_err(
                                pc,
                                format!(
                                    "absence {a} does not exist (rule `{}` has {})",
                                    meta.name,
                                    meta.absences.len()
                                ),
                            ));
                        };
                        let lookback = matches!(abs.mode, AbsenceMode::LookBack { .. });
                        lookback == matches!(op, Op::Record(..))
                    }
                    _ => true,
                };
                if !fits {
                    return Err(self.op_err(
                        pc,
                        format!(
                            "`{}` does not fit rule `{}` (kind {}{})",
                            mnemonic(op),
                            meta.name,
                            kind_name(&meta.kind),
                            if meta.goal.is_some() {
                                ", with a goal"
                            } else {
                                ", no goal"
                            }
                        ),
                    ));
                }
            }
            self.jumps(handler.start, handler.end)?;
            self.stack(handler.start, handler.end)?;
        }
        Ok(())
    }

    /// Abstract interpretation of the stack depth over `start..end`, whose
    /// jumps are known to stay inside and whose last instruction ends it.
    fn stack(&self, start: u32, end: u32) -> Result<(), VerifyError> {
        let code = &self.p.code;
        let mut depth: Vec<Option<u32>> = vec![None; (end - start) as usize];
        depth[0] = Some(0);
        let mut work = vec![start];
        while let Some(pc) = work.pop() {
            let (Some(&op), Some(&Some(d))) =
                (code.get(pc as usize), depth.get((pc - start) as usize))
            else {
                continue;
            };
            let (pop, push) = op.stack_effect();
            if op == Op::Return && d != 1 {
                return Err(self.op_err(
                    pc,
                    format!(
                        "`return` with {d} value(s) on the stack; a function leaves exactly one"
                    ),
                ));
            }
            if d < pop {
                return Err(self.op_err(
                    pc,
                    format!(
                        "stack underflow: `{}` takes {pop} value(s), the stack holds {d}",
                        mnemonic(op)
                    ),
                ));
            }
            let after = d - pop + push;
            if after > MAX_STACK {
                return Err(self.op_err(pc, format!("the stack grows past {MAX_STACK} values")));
            }
            let next = pc + 1;
            let succ: [Option<u32>; 2] = match op {
                Op::Return | Op::Halt => [None, None],
                Op::Jump(t) => [Some(t), None],
                _ => [Some(next), op.target()],
            };
            for s in succ.into_iter().flatten() {
                let Some(slot) = s.checked_sub(start).and_then(|i| depth.get_mut(i as usize))
                else {
                    return Err(
                        self.op_err(pc, format!("control leaves its code range {start}..{end}"))
                    );
                };
                match *slot {
                    None => {
                        *slot = Some(after);
                        work.push(s);
                    }
                    Some(x) if x != after => {
                        return Err(self.op_err(
                            s,
                            format!(
                                "the stack holds {x} value(s) on one path here and {after} on another (from instruction {pc})"
                            ),
                        ));
                    }
                    Some(_) => {}
                }
            }
        }
        Ok(())
    }

    fn dispatch(&self) -> Result<(), VerifyError> {
        let n = self.p.handlers.len();
        for (i, (name, hs)) in self.p.dispatch.iter().enumerate() {
            if i > 0 && self.p.dispatch[i - 1].0 >= *name {
                return Err(err(
                    format!("dispatch entry {i} (`{name}`)"),
                    "event names are not sorted and unique",
                ));
            }
            if let Some(&h) = hs.iter().find(|&&h| h as usize >= n) {
                return Err(err(
                    format!("dispatch entry {i} (`{name}`)"),
                    format!("handler {h} does not exist ({n} handler(s))"),
                ));
            }
        }
        if let Some(&h) = self.p.any_event.iter().find(|&&h| h as usize >= n) {
            return Err(err(
                "any-event handlers",
                format!("handler {h} does not exist ({n} handler(s))"),
            ));
        }
        Ok(())
    }

    fn settings(&self) -> Result<(), VerifyError> {
        let s = &self.p.settings;
        let negative = |what: String, ms: i64| {
            if ms < 0 {
                Err(err("settings", format!("{what} is negative ({ms} ms)")))
            } else {
                Ok(())
            }
        };
        negative("allowed lateness".into(), s.allowed_lateness_ms)?;
        negative("max future".into(), s.max_future_ms)?;
        negative("dedupe horizon".into(), s.dedupe_horizon_ms)?;
        if let Some(c) = s.cap_all {
            negative("the period of the cap on all sends".into(), c.per_ms)?;
        }
        for (name, c) in &s.cap_channel {
            negative(format!("the period of the `{name}` channel cap"), c.per_ms)?;
        }
        for (name, c) in &s.cap_tag {
            negative(format!("the period of the `{name}` tag cap"), c.per_ms)?;
        }
        let mut channels = BTreeSet::new();
        for e in &s.eligibility {
            if !channels.insert(e.channel.as_str()) {
                return Err(err(
                    "settings",
                    format!("channel `{}` has eligibility twice", e.channel),
                ));
            }
            let empty = |a: &Option<Vec<String>>| a.as_ref().is_some_and(Vec::is_empty);
            if empty(&e.consent) || empty(&e.contact) {
                return Err(err(
                    "settings",
                    format!("channel `{}` names an empty attribute path", e.channel),
                ));
            }
        }
        Ok(())
    }
}

/// The disassembler's name of an instruction (without operands).
pub(crate) fn mnemonic(op: Op) -> &'static str {
    use super::instr::BinOp::*;
    match op {
        Op::Const(_) => "const",
        Op::Load(..) => "load",
        Op::Now => "now",
        Op::Not => "not",
        Op::Neg => "neg",
        Op::IsNull => "is_null",
        Op::Bin(b) => match b {
            Eq => "eq",
            Ne => "ne",
            Lt => "lt",
            Le => "le",
            Gt => "gt",
            Ge => "ge",
            In => "in",
            NotIn => "not_in",
            Contains => "contains",
            NotContains => "not_contains",
            StartsWith => "starts_with",
            Add => "add",
            Sub => "sub",
            Mul => "mul",
            Div => "div",
        },
        Op::List(_) => "list",
        Op::Truthy => "truthy",
        Op::Pop => "pop",
        Op::Jump(_) => "jump",
        Op::JumpIfFalse(_) => "jump_if_false",
        Op::JumpIfFalseKeep(_) => "jump_if_false_keep",
        Op::JumpIfTrueKeep(_) => "jump_if_true_keep",
        Op::JumpIfPresentKeep(_) => "jump_if_present_keep",
        Op::Return => "return",
        Op::Match(_) => "match",
        Op::First(_) => "first",
        Op::Count(_) => "count",
        Op::SeqStart(_) => "seq_start",
        Op::SeqComplete(_) => "seq_complete",
        Op::Cancel(..) => "cancel",
        Op::Record(..) => "record",
        Op::Touch(_) => "touch",
        Op::Goal(_) => "goal",
        Op::Halt => "halt",
    }
}

pub(crate) fn kind_name(k: &Kind) -> &'static str {
    match k {
        Kind::Match => "match",
        Kind::First => "first",
        Kind::Count { .. } => "count",
        Kind::Sequence { .. } => "followed by",
        Kind::Inactive { .. } => "inactive",
    }
}
