//! A reference evaluator for trig rules, written directly over the checked
//! IR (`trig::check::ir::Program`) and LANGUAGE.md — simple, slow and meant
//! to be obviously right. It shares nothing with `src/compile` or
//! `src/runtime` except the data types of the input and output (`Event`,
//! `Value`, `Action`) and the documented id hash (`runtime::ids::action_id`).
//! Operator semantics, ordering, windows and instances are written out here
//! from the spec, so a differential test against the engine means something.
//!
//! # How it runs
//!
//! 1. **Watermark.** Events are taken in arrival order. The watermark is the
//!    largest timestamp seen minus `allowed_lateness`; an event older than
//!    the watermark when it arrives is late and changes nothing. The rest
//!    are sorted by (time, arrival index) — "the engine applies events in
//!    timestamp order; same-timestamp events of one customer keep their
//!    arrival order".
//! 2. **Per customer.** "Rules see only their own customer's events and
//!    profile", and with no caps nothing couples customers, so each
//!    customer's events are replayed on their own, keeping the whole history
//!    as a plain list (look-backs scan it).
//! 3. **Time.** Before each event at time t, every deadline ≤ t fires (a
//!    deadline equal to t fires *before* the events at t: "timers fire …
//!    before events with that timestamp are applied"), earliest first; at
//!    the end, every deadline up to the last timestamp of the whole input
//!    (or `until`, if later; inclusive) fires.
//! 4. **One event, one rule**, in this order:
//!    activity (`inactive`: the deadline becomes t + D, remembering the
//!    event); cancelling absences (after `for`: live waits; with `followed
//!    by` and no `for`: live sequences) — first, so an event never cancels
//!    the instance it starts itself and `E for D and not E` restarts;
//!    `followed by` completions (a completing F is used up and starts
//!    nothing); then the primary (plain / first / count / sequence start).
//!    Look-back absences need no bookkeeping: they scan the customer's
//!    history strictly before the completing event.
//! 5. **Firing** (at the fire time, the profile as it is then): look-back
//!    absences, guards (`if` needs true; `unless` needs not true; a type
//!    error suppresses either), the cascade steps (text interpolation and
//!    template parameters rendered; a step whose value fails is dropped; no
//!    step left: suppressed), `once`, `limit N per D` (sends in (t−D, t]),
//!    then the action with its id.
//!
//! # Semantics chosen where LANGUAGE.md needs reading
//!
//! - Instances are identified by their key's *type tag and rendering*
//!   (`s:p`, `n:1`, `z:`), the same text that enters the action id; without
//!   `key` every instance has the one customer key.
//! - The key is evaluated when the instance (wait, sequence, counter) is
//!   started, with the start event bound; a type error in it fails closed
//!   (nothing starts). For `followed by … for D` the sequence's key carries
//!   over to the wait.
//! - A count's "fallen below N" is checked when the next matching event of
//!   the same key arrives: between two such events the count can only
//!   shrink, so its minimum over the gap is the count just before the new
//!   event: events in [t − D, t] that arrived earlier (one at exactly t − D
//!   leaves only as the new one enters, so the count never dips).
//! - Look-back absence for `inactive`: "it looks back from the event that
//!   completed the primary, at t": the completing event is the last
//!   activity before the silence, so the window is (t_last − D, t_last] and
//!   only events that arrived before it count (never the event itself).
//! - An event that is both a cancelling absence and the `followed by` F
//!   cancels first ("an event named in `and not F` cancels every live
//!   instance … whose window it falls in"), so it completes nothing.
//! - `within` on an absence of a `followed by` rule without `for` is not a
//!   look-back (that case is "F must not occur between E and the completing
//!   F"), so it is ignored.
//! - An absence filter that fails with a type error counts as a match (fail
//!   closed: the rule does not fire). A primary filter that fails is no
//!   match. Identify events are profile updates only: no rule sees them,
//!   they are not activity, but they do take a position among the
//!   customer's same-timestamp events.
//! - `and`/`or` short-circuit; `not`/`and`/`or`, filters and guards read
//!   null as false; any other non-boolean is a type error. Comparisons with
//!   null are false except the tests `== null` / `!= null` against the null
//!   literal (`x == "p"` and `x != "p"` are both false when x is null, and
//!   two null values are not equal); `in`, `not in`, `contains`, `not
//!   contains`, `starts with` with a null side are false; arithmetic with
//!   null is null; division by zero is null; mismatched types are type
//!   errors.
//! - `now` is the event time inside a primary filter, and the fire time in
//!   guards, text and parameters; absence filters are evaluated with `now`
//!   at the time of the check and the profile as it is then.
//!
//! # Left out (the differential tests do not generate these)
//!
//! Quiet hours and deferral, project caps, priority, holdout, goals,
//! channel eligibility (consent/contact attributes), dynamic template
//! language matching beyond exact/base/default, and any cross-customer
//! coupling. Rules using them are run as if those options were absent.

#![allow(dead_code)]

use std::cmp::Ordering;
use std::sync::Arc;

use trig::check::ir::{self, Access, Const, Envelope, Primary, Source, TExpr, TExprKind};
use trig::runtime::action::{Action, ActionStep, Content, StepParams, TriggerRef};
use trig::runtime::ids::{action_id, EventIdentity};
use trig::runtime::{Event, EventKind, Value};
use trig::syntax::ast::BinaryOp;

/// Runs `program` over `arrivals` (in arrival order) and returns every
/// action, per customer in firing order.
pub fn run(
    program: &ir::Program,
    arrivals: &[Event],
    allowed_lateness_ms: i64,
    until: Option<i64>,
) -> Vec<Action> {
    // 1. The watermark: late events are dropped.
    let mut watermark = i64::MIN;
    let mut max_seen: Option<i64> = None;
    let mut accepted: Vec<(usize, &Event)> = Vec::new();
    for (i, e) in arrivals.iter().enumerate() {
        if e.time < watermark {
            continue;
        }
        let newest = max_seen.map_or(e.time, |m| m.max(e.time));
        max_seen = Some(newest);
        watermark = watermark.max(newest.saturating_sub(allowed_lateness_ms));
        accepted.push((i, e));
    }
    accepted.sort_by_key(|(i, e)| (e.time, *i));
    let horizon = match (max_seen, until) {
        (Some(m), Some(u)) => Some(m.max(u)),
        (m, u) => m.or(u),
    };

    // 2. Per customer, in order of first appearance.
    let mut customers: Vec<(Arc<str>, Vec<Ev>)> = Vec::new();
    for (_, e) in accepted {
        let slot = match customers.iter().position(|(c, _)| *c == e.customer) {
            Some(i) => i,
            None => {
                customers.push((e.customer.clone(), Vec::new()));
                customers.len() - 1
            }
        };
        let list = &mut customers[slot].1;
        let position = list.iter().filter(|x| x.event.time == e.time).count() as u32;
        list.push(Ev {
            event: e.clone(),
            position,
        });
    }
    let mut out = Vec::new();
    for (_, evs) in &customers {
        Customer::new(program, evs).run(horizon, &mut out);
    }
    out
}

/// An applied event and its 0-based position among its customer's events
/// with the same timestamp.
#[derive(Debug, Clone)]
struct Ev {
    event: Event,
    position: u32,
}

/// Events bound by a pattern: indexes into the customer's event list.
/// 0 the start (N-th for counts, last activity for `inactive`), 1 the
/// `followed by` event.
type Bindings = [Option<usize>; 2];

#[derive(Debug, Clone)]
struct Instance {
    key: Value,
    key_text: String,
    bindings: Bindings,
    /// Window [start, deadline).
    start: i64,
    deadline: i64,
    /// Creation order, to break ties between equal deadlines.
    seq: u64,
}

#[derive(Debug, Clone)]
struct Counter {
    key_text: String,
    /// Times of the matching events of this key so far.
    times: Vec<i64>,
    armed: bool,
}

#[derive(Debug, Clone, Default)]
struct RuleState {
    waits: Vec<Instance>,
    seqs: Vec<Instance>,
    first_done: bool,
    counters: Vec<Counter>,
    /// `inactive`: the last activity and the deadline of the silence, until
    /// it fires.
    silence: Option<(usize, i64)>,
    /// Send times, for `limit` and `once`.
    sends: Vec<i64>,
}

/// A type error: the guard or filter fails closed.
#[derive(Debug, Clone, PartialEq)]
pub struct TypeError(pub String);

type R<T> = Result<T, TypeError>;

struct Customer<'a> {
    program: &'a ir::Program,
    evs: &'a [Ev],
    profile: Value,
    rules: Vec<RuleState>,
    seq: u64,
}

/// What a filter may see.
struct Env<'e> {
    candidate: Option<&'e Event>,
    bindings: [Option<&'e Event>; 2],
    profile: &'e Value,
    now: i64,
}

enum AbsenceKind {
    /// After `for D`: cancels waits.
    CancelWait,
    /// `followed by` without `for`: cancels sequences.
    Between,
    /// Looks back from the completing event.
    LookBack,
}

fn absence_kind(t: &ir::Trigger) -> AbsenceKind {
    if t.wait_ms.is_some() {
        AbsenceKind::CancelWait
    } else if matches!(t.primary, Primary::Sequence { .. }) {
        AbsenceKind::Between
    } else {
        AbsenceKind::LookBack
    }
}

impl<'a> Customer<'a> {
    fn new(program: &'a ir::Program, evs: &'a [Ev]) -> Self {
        Customer {
            program,
            evs,
            profile: Value::Null,
            rules: vec![RuleState::default(); program.rules.len()],
            seq: 0,
        }
    }

    fn run(mut self, horizon: Option<i64>, out: &mut Vec<Action>) {
        for i in 0..self.evs.len() {
            let e = &self.evs[i].event;
            self.fire_due(e.time, out);
            if e.kind == EventKind::Identify {
                self.merge_profile(&e.props);
                continue;
            }
            for r in 0..self.program.rules.len() {
                self.on_event(r, i, out);
            }
        }
        if let Some(h) = horizon {
            self.fire_due(h, out);
        }
    }

    fn merge_profile(&mut self, traits: &[(Arc<str>, Value)]) {
        let mut fields: Vec<(Arc<str>, Value)> = match &self.profile {
            Value::Object(f) => f.to_vec(),
            _ => Vec::new(),
        };
        for (k, v) in traits {
            match fields.iter_mut().find(|(n, _)| n == k) {
                Some(slot) => slot.1 = v.clone(),
                None => fields.push((k.clone(), v.clone())),
            }
        }
        self.profile = Value::Object(Arc::from(fields));
    }

    fn next_seq(&mut self) -> u64 {
        self.seq += 1;
        self.seq
    }

    /// Fires every wait and silence whose deadline is at most `limit`,
    /// earliest first (then rule, then creation order).
    fn fire_due(&mut self, limit: i64, out: &mut Vec<Action>) {
        loop {
            // (deadline, rule, seq, is_wait)
            let mut best: Option<(i64, usize, u64, bool)> = None;
            for (r, st) in self.rules.iter().enumerate() {
                for w in &st.waits {
                    let c = (w.deadline, r, w.seq, true);
                    if w.deadline <= limit && best.is_none_or(|b| (c.0, c.1, c.2) < (b.0, b.1, b.2))
                    {
                        best = Some(c);
                    }
                }
                if let Some((_, d)) = st.silence {
                    let c = (d, r, 0, false);
                    if d <= limit && best.is_none_or(|b| (c.0, c.1, c.2) < (b.0, b.1, b.2)) {
                        best = Some(c);
                    }
                }
            }
            let Some((at, r, seq, is_wait)) = best else {
                return;
            };
            if is_wait {
                let st = &mut self.rules[r];
                let i = st
                    .waits
                    .iter()
                    .position(|w| w.seq == seq)
                    .expect("the wait is live");
                let w = st.waits.remove(i);
                self.fire(r, w.bindings, w.key, at, out);
            } else {
                let (last, _) = self.rules[r].silence.take().expect("the silence is armed");
                self.fire(r, [Some(last), None], Value::Null, at, out);
            }
        }
    }

    fn env<'e>(&'e self, candidate: Option<usize>, b: &Bindings, now: i64) -> Env<'e> {
        let ev = |i: Option<usize>| i.map(|i| &self.evs[i].event);
        Env {
            candidate: ev(candidate),
            bindings: [ev(b[0]), ev(b[1])],
            profile: &self.profile,
            now,
        }
    }

    /// A matcher's verdict on event `i`: its name is one of the matcher's
    /// and its filter holds (a type error is no match).
    fn matches(&self, m: &ir::Matcher, i: usize, b: &Bindings) -> bool {
        let e = &self.evs[i].event;
        if !m.events.iter().any(|n| **n == *e.name) {
            return false;
        }
        match &m.filter {
            None => true,
            Some(f) => condition(f, &self.env(Some(i), b, e.time)) == Ok(true),
        }
    }

    /// Whether absence `a` (its filter, if any) holds for candidate `i`
    /// against an instance's bindings; a type error counts as holding.
    fn absence_holds(&self, a: &ir::Absence, i: usize, b: &Bindings, now: i64) -> bool {
        match &a.filter {
            None => true,
            Some(f) => condition(f, &self.env(Some(i), b, now)) != Ok(false),
        }
    }

    fn key(&self, r: usize, b: &Bindings, now: i64) -> R<(Value, String)> {
        match &self.program.rules[r].key {
            None => Ok((Value::Null, String::new())),
            Some(k) => {
                let v = eval(k, &self.env(None, b, now))?;
                let t = key_text(&v);
                Ok((v, t))
            }
        }
    }

    fn on_event(&mut self, r: usize, i: usize, out: &mut Vec<Action>) {
        let rule = &self.program.rules[r];
        let trig = &rule.trigger;
        let e = &self.evs[i].event;
        let t = e.time;

        // Activity re-arms `inactive` (any event of any name).
        if let Primary::Inactive { after_ms } = trig.primary {
            self.rules[r].silence = Some((i, t + after_ms as i64));
        }

        // Absences that cancel live instances whose window holds the event.
        let kind = absence_kind(trig);
        for a in trig.absences.iter().filter(|a| *a.event == *e.name) {
            let live = match kind {
                AbsenceKind::CancelWait => self.rules[r].waits.clone(),
                AbsenceKind::Between => self.rules[r].seqs.clone(),
                AbsenceKind::LookBack => continue,
            };
            let gone: Vec<u64> = live
                .iter()
                .filter(|inst| {
                    inst.start <= t
                        && t < inst.deadline
                        && self.absence_holds(a, i, &inst.bindings, t)
                })
                .map(|inst| inst.seq)
                .collect();
            let st = &mut self.rules[r];
            st.waits.retain(|w| !gone.contains(&w.seq));
            st.seqs.retain(|s| !gone.contains(&s.seq));
        }

        // `followed by`: the event completes every live sequence whose
        // window [t_E, t_E + D) holds it and whose `then` filter it passes.
        let mut used_up = false;
        if let Primary::Sequence { then, .. } = &trig.primary {
            if then.events.iter().any(|n| **n == *e.name) {
                let live: Vec<Instance> = self.rules[r]
                    .seqs
                    .iter()
                    .filter(|s| s.start <= t && t < s.deadline)
                    .cloned()
                    .collect();
                let done: Vec<Instance> = live
                    .into_iter()
                    .filter(|s| self.matches(then, i, &[s.bindings[0], Some(i)]))
                    .collect();
                if !done.is_empty() {
                    used_up = true;
                    let ids: Vec<u64> = done.iter().map(|s| s.seq).collect();
                    self.rules[r].seqs.retain(|s| !ids.contains(&s.seq));
                    for s in done {
                        self.matched(r, [s.bindings[0], Some(i)], s.key, s.key_text, t, out);
                    }
                }
            }
        }
        if used_up {
            return;
        }

        // The primary.
        let start: Bindings = [Some(i), None];
        match &trig.primary {
            Primary::Match(m) => {
                if self.matches(m, i, &start) {
                    if let Ok((k, kt)) = self.key(r, &start, t) {
                        self.matched(r, start, k, kt, t, out);
                    }
                }
            }
            Primary::First(m) => {
                if !self.rules[r].first_done && self.matches(m, i, &start) {
                    self.rules[r].first_done = true;
                    if let Ok((k, kt)) = self.key(r, &start, t) {
                        self.matched(r, start, k, kt, t, out);
                    }
                }
            }
            Primary::Count {
                matcher,
                times,
                within_ms,
            } => {
                if !self.matches(matcher, i, &start) {
                    return;
                }
                let Ok((k, kt)) = self.key(r, &start, t) else {
                    return;
                };
                let st = &mut self.rules[r];
                let c = match st.counters.iter().position(|c| c.key_text == kt) {
                    Some(c) => c,
                    None => {
                        st.counters.push(Counter {
                            key_text: kt.clone(),
                            times: Vec::new(),
                            armed: true,
                        });
                        st.counters.len() - 1
                    }
                };
                let c = &mut st.counters[c];
                let floor = t - *within_ms as i64;
                // The count just before t is over [t − D, t): an event at
                // exactly t − D leaves as the new one enters, so the count
                // does not dip (same-timestamp events that arrived earlier
                // are in it).
                let before = c.times.iter().filter(|&&x| x >= floor && x <= t).count();
                if before < *times as usize {
                    c.armed = true;
                }
                let inside = c.times.iter().filter(|&&x| x > floor && x <= t).count();
                c.times.push(t);
                let hit = inside + 1 == *times as usize && c.armed;
                if hit {
                    c.armed = false;
                    self.matched(r, start, k, kt, t, out);
                }
            }
            Primary::Sequence {
                first, within_ms, ..
            } => {
                if !self.matches(first, i, &start) {
                    return;
                }
                let Ok((k, kt)) = self.key(r, &start, t) else {
                    return;
                };
                let seq = self.next_seq();
                let st = &mut self.rules[r];
                // One live instance per key: a new start restarts it.
                st.seqs.retain(|s| s.deadline > t && s.key_text != kt);
                st.seqs.push(Instance {
                    key: k,
                    key_text: kt,
                    bindings: start,
                    start: t,
                    deadline: t + *within_ms as i64,
                    seq,
                });
            }
            Primary::Inactive { .. } => {}
        }
    }

    /// The primary completed at `at`: wait, or fire now.
    fn matched(
        &mut self,
        r: usize,
        b: Bindings,
        key: Value,
        key_text: String,
        at: i64,
        out: &mut Vec<Action>,
    ) {
        if let Some(wait) = self.program.rules[r].trigger.wait_ms {
            let seq = self.next_seq();
            let st = &mut self.rules[r];
            st.waits.retain(|w| w.key_text != key_text);
            st.waits.push(Instance {
                key,
                key_text,
                bindings: b,
                start: at,
                deadline: at + wait as i64,
                seq,
            });
            return;
        }
        self.fire(r, b, key, at, out);
    }

    /// The completing event: F for `followed by`, else the start.
    fn completing(b: &Bindings) -> usize {
        b[1].or(b[0]).expect("a match binds an event")
    }

    fn fire(&mut self, r: usize, b: Bindings, key: Value, at: i64, out: &mut Vec<Action>) {
        let rule = &self.program.rules[r];
        let c = Self::completing(&b);
        // Look-back absences: no matching F strictly before the completing
        // event, ever or within (t − D, t].
        if let AbsenceKind::LookBack = absence_kind(&rule.trigger) {
            let tc = self.evs[c].event.time;
            for a in &rule.trigger.absences {
                let seen = (0..c).any(|h| {
                    let he = &self.evs[h].event;
                    he.kind == EventKind::Track
                        && *he.name == *a.event
                        && a.within_ms.is_none_or(|w| he.time > tc - w as i64)
                        && self.absence_holds(a, h, &b, at)
                });
                if seen {
                    return;
                }
            }
        }
        // Guards, against the profile now.
        for g in &rule.guards {
            match condition(&g.expr, &self.env(None, &b, at)) {
                Ok(v) if v != g.negated => {}
                _ => return,
            }
        }
        // Steps.
        let mut steps = Vec::new();
        for s in &rule.steps {
            if let Some(step) = self.step(s, &b, at) {
                steps.push(step);
            }
        }
        if steps.is_empty() {
            return;
        }
        // `once` and `limit`.
        let st = &self.rules[r];
        if rule.once && !st.sends.is_empty() {
            return;
        }
        if let Some((n, per)) = rule.limit {
            let recent = st
                .sends
                .iter()
                .filter(|&&s| s > at - per as i64 && s <= at)
                .count();
            if recent >= n as usize {
                return;
            }
        }
        self.rules[r].sends.push(at);
        let ce = &self.evs[c];
        let who = match &ce.event.id {
            Some(id) => EventIdentity::Id(id),
            None => EventIdentity::Position {
                customer: &ce.event.customer,
                name: &ce.event.name,
                time: ce.event.time,
                position: ce.position,
            },
        };
        let kt = if rule.key.is_some() {
            key_text(&key)
        } else {
            String::new()
        };
        out.push(Action {
            id: action_id(&rule.name, &kt, &who),
            rule: Arc::from(rule.name.as_str()),
            customer: ce.event.customer.clone(),
            fired_at: at,
            send_at: at,
            steps,
            trigger: TriggerRef {
                event: ce.event.name.clone(),
                at: ce.event.time,
                id: ce.event.id.clone(),
            },
        });
    }

    /// One cascade step, or `None` when it fails.
    fn step(&self, s: &ir::Step, b: &Bindings, now: i64) -> Option<ActionStep> {
        let env = self.env(None, b, now);
        let whatsapp = s.channel == "whatsapp";
        let (content, lang, params) = match &s.body {
            ir::StepBody::Text(parts) => {
                let mut text = String::new();
                for p in parts {
                    match p {
                        ir::TextPart::Literal(l) => text.push_str(l),
                        ir::TextPart::Interp(e) => text.push_str(&eval(e, &env).ok()?.render()),
                    }
                }
                (Content::Text(text), None, StepParams::None)
            }
            ir::StepBody::Template { name, lang, params } => {
                let lang = match lang {
                    None => None,
                    Some(ir::Lang::Fixed(l)) => Some(l.clone()),
                    Some(ir::Lang::Dynamic {
                        expr,
                        approved,
                        default,
                    }) => {
                        let wanted = match eval(expr, &env).ok()? {
                            Value::Str(s) => s.trim().replace('-', "_"),
                            _ => String::new(),
                        };
                        Some(pick_language(&wanted, approved, default.as_deref())?)
                    }
                };
                let param = |e: &TExpr| -> Option<String> {
                    let v = eval(e, &env).ok()?;
                    if whatsapp {
                        let blank = matches!(&v, Value::Null)
                            || matches!(&v, Value::Str(s) if s.trim().is_empty());
                        let text = v.render();
                        if blank
                            || text.contains('\n')
                            || text.contains('\t')
                            || text.contains("     ")
                        {
                            return None;
                        }
                        return Some(text);
                    }
                    Some(v.render())
                };
                let params = match params {
                    ir::Params::None => StepParams::None,
                    ir::Params::Positional { values, header } => StepParams::Positional {
                        values: values.iter().map(param).collect::<Option<Vec<_>>>()?,
                        header: match header {
                            Some(h) => Some(param(h)?),
                            None => None,
                        },
                    },
                    ir::Params::Named { values, header } => StepParams::Named {
                        values: values
                            .iter()
                            .map(|(n, e)| Some((n.clone(), param(e)?)))
                            .collect::<Option<Vec<_>>>()?,
                        header: match header {
                            Some(h) => Some(param(h)?),
                            None => None,
                        },
                    },
                };
                (Content::Template(Arc::from(name.as_str())), lang, params)
            }
        };
        Some(ActionStep {
            channel: Arc::from(s.channel.as_str()),
            content,
            lang,
            params,
        })
    }
}

/// Exactly, then by base language, then the default.
fn pick_language(wanted: &str, approved: &[String], default: Option<&str>) -> Option<String> {
    if let Some(a) = approved.iter().find(|a| *a == wanted) {
        return Some(a.clone());
    }
    let base = |s: &str| s.split('_').next().unwrap_or("").to_ascii_lowercase();
    let wb = base(wanted);
    if !wb.is_empty() {
        if let Some(a) = approved.iter().find(|a| **a == wb) {
            return Some(a.clone());
        }
        if let Some(a) = approved.iter().find(|a| base(a) == wb) {
            return Some(a.clone());
        }
    }
    default
        .filter(|d| approved.iter().any(|a| a == d))
        .map(str::to_string)
}

/// The key as it enters the action id: type tag and rendering.
pub fn key_text(v: &Value) -> String {
    let tag = match v {
        Value::Null => "z",
        Value::Bool(_) => "b",
        Value::Num(_) => "n",
        Value::Str(_) => "s",
        Value::Time(_) => "t",
        Value::Dur(_) => "d",
        Value::List(_) => "l",
        Value::Object(_) => "o",
    };
    format!("{tag}:{}", v.render())
}

// ------------------------------------------------------------ expressions

fn type_error(what: &str, a: &Value, b: &Value) -> TypeError {
    TypeError(format!("`{what}` on {} and {}", kind(a), kind(b)))
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "bool",
        Value::Num(_) => "number",
        Value::Str(_) => "string",
        Value::Time(_) => "timestamp",
        Value::Dur(_) => "duration",
        Value::List(_) => "list",
        Value::Object(_) => "object",
    }
}

/// A condition: true, false (null is false), or a type error.
fn condition(e: &TExpr, env: &Env) -> R<bool> {
    truth(&eval(e, env)?)
}

fn truth(v: &Value) -> R<bool> {
    match v {
        Value::Bool(b) => Ok(*b),
        Value::Null => Ok(false),
        other => Err(TypeError(format!(
            "expected true or false, found a {}",
            kind(other)
        ))),
    }
}

fn field<'v>(v: &'v Value, name: &str) -> &'v Value {
    static NULL: Value = Value::Null;
    match v {
        Value::Object(fields) => fields
            .iter()
            .find(|(k, _)| &**k == name)
            .map_or(&NULL, |(_, v)| v),
        _ => &NULL,
    }
}

fn load(source: Source, access: &Access, env: &Env) -> Value {
    if matches!(source, Source::Now) || matches!(access, Access::Now) {
        return Value::Time(env.now);
    }
    let event = match source {
        Source::Customer => {
            return match access {
                Access::Field(path) => path.iter().fold(env.profile, |v, n| field(v, n)).clone(),
                _ => Value::Null,
            }
        }
        Source::Candidate => env.candidate,
        Source::Binding(i) => env.bindings.get(i as usize).copied().flatten(),
        Source::Now => unreachable!(),
    };
    let Some(e) = event else { return Value::Null };
    match access {
        Access::Now => Value::Time(env.now),
        Access::Envelope(Envelope::Time) => Value::Time(e.time),
        Access::Envelope(Envelope::Id) => e.id.clone().map_or(Value::Null, Value::Str),
        Access::Envelope(Envelope::Name) => Value::Str(e.name.clone()),
        Access::Envelope(Envelope::Customer) => Value::Str(e.customer.clone()),
        Access::Field(path) => {
            let props = Value::Object(e.props.clone());
            path.iter().fold(&props, |v, n| field(v, n)).clone()
        }
    }
}

pub fn eval_const(c: &Const) -> Value {
    match c {
        Const::Str(s) => Value::str(s),
        Const::Num(n) => Value::Num(*n),
        Const::Bool(b) => Value::Bool(*b),
        Const::Time(t) => Value::Time(*t),
        Const::Dur(d) => Value::Dur(*d),
        Const::Null => Value::Null,
    }
}

fn eval(e: &TExpr, env: &Env) -> R<Value> {
    Ok(match &e.kind {
        TExprKind::Const(c) => eval_const(c),
        TExprKind::List(items) => Value::List(Arc::from(
            items.iter().map(|i| eval(i, env)).collect::<R<Vec<_>>>()?,
        )),
        TExprKind::Load { source, access } => load(*source, access, env),
        TExprKind::Not(x) => Value::Bool(!condition(x, env)?),
        TExprKind::Neg(x) => match eval(x, env)? {
            Value::Null => Value::Null,
            Value::Num(n) => Value::Num(-n),
            Value::Dur(d) => Value::Dur(-d),
            other => return Err(TypeError(format!("`-` on a {}", kind(&other)))),
        },
        TExprKind::Binary(op @ (BinaryOp::Eq | BinaryOp::Ne), a, b)
            if is_null_literal(a) || is_null_literal(b) =>
        {
            let other = if is_null_literal(a) { b } else { a };
            let null = eval(other, env)?.is_null();
            Value::Bool(null == (*op == BinaryOp::Eq))
        }
        TExprKind::Binary(op, a, b) => match op {
            BinaryOp::And => Value::Bool(condition(a, env)? && condition(b, env)?),
            BinaryOp::Or => Value::Bool(condition(a, env)? || condition(b, env)?),
            BinaryOp::Coalesce => {
                let x = eval(a, env)?;
                let blank = match &x {
                    Value::Null => true,
                    Value::Str(s) => s.trim().is_empty(),
                    _ => false,
                };
                if blank {
                    eval(b, env)?
                } else {
                    x
                }
            }
            _ => {
                let x = eval(a, env)?;
                let y = eval(b, env)?;
                binary(*op, &x, &y)?
            }
        },
    })
}

fn is_null_literal(e: &TExpr) -> bool {
    matches!(e.kind, TExprKind::Const(trig::check::ir::Const::Null))
}

/// A string read as a timestamp (RFC 3339 or `YYYY-MM-DD`), as LANGUAGE.md
/// reads a string next to a timestamp.
fn time_of(v: &Value) -> Option<i64> {
    match v {
        Value::Time(t) => Some(*t),
        Value::Str(s) => chrono::DateTime::parse_from_rfc3339(s)
            .map(|d| d.timestamp_millis())
            .ok()
            .or_else(|| {
                chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d")
                    .ok()
                    .and_then(|d| d.and_hms_opt(0, 0, 0))
                    .map(|d| d.and_utc().timestamp_millis())
            }),
        _ => None,
    }
}

/// `==` on two non-null values.
fn same(a: &Value, b: &Value) -> R<bool> {
    match (a, b) {
        (Value::Null, Value::Null) => Ok(true),
        (Value::Null, _) | (_, Value::Null) => Ok(false),
        (Value::Num(x), Value::Num(y)) => Ok(x == y),
        (Value::Str(x), Value::Str(y)) => Ok(x == y),
        (Value::Bool(x), Value::Bool(y)) => Ok(x == y),
        (Value::Dur(x), Value::Dur(y)) => Ok(x == y),
        (Value::Time(_), Value::Time(_) | Value::Str(_)) | (Value::Str(_), Value::Time(_)) => {
            match (time_of(a), time_of(b)) {
                (Some(x), Some(y)) => Ok(x == y),
                _ => Err(type_error("==", a, b)),
            }
        }
        (Value::List(x), Value::List(y)) => {
            if x.len() != y.len() {
                return Ok(false);
            }
            for (p, q) in x.iter().zip(y.iter()) {
                if !same(p, q)? {
                    return Ok(false);
                }
            }
            Ok(true)
        }
        _ => Err(type_error("==", a, b)),
    }
}

fn compare(a: &Value, b: &Value, sym: &str) -> R<Option<Ordering>> {
    match (a, b) {
        (Value::Null, _) | (_, Value::Null) => Ok(None),
        (Value::Num(x), Value::Num(y)) => Ok(x.partial_cmp(y)),
        (Value::Str(x), Value::Str(y)) => Ok(Some(x.cmp(y))),
        (Value::Dur(x), Value::Dur(y)) => Ok(Some(x.cmp(y))),
        (Value::Time(_), Value::Time(_) | Value::Str(_)) | (Value::Str(_), Value::Time(_)) => {
            match (time_of(a), time_of(b)) {
                (Some(x), Some(y)) => Ok(Some(x.cmp(&y))),
                _ => Err(type_error(sym, a, b)),
            }
        }
        _ => Err(type_error(sym, a, b)),
    }
}

/// Whether `item` is in `hay` (a list: membership; a string: substring);
/// `None` when either side is null.
fn inside(item: &Value, hay: &Value, sym: &str) -> R<Option<bool>> {
    match (item, hay) {
        (Value::Null, _) | (_, Value::Null) => Ok(None),
        (_, Value::List(items)) => {
            for it in items.iter() {
                if !it.is_null() && same(item, it)? {
                    return Ok(Some(true));
                }
            }
            Ok(Some(false))
        }
        (Value::Str(n), Value::Str(h)) => Ok(Some(h.contains(&**n))),
        _ => Err(type_error(sym, item, hay)),
    }
}

fn binary(op: BinaryOp, a: &Value, b: &Value) -> R<Value> {
    use BinaryOp::*;
    let cmp = |sym: &str, want: fn(Ordering) -> bool| -> R<Value> {
        Ok(Value::Bool(compare(a, b, sym)?.is_some_and(want)))
    };
    match op {
        Eq | Ne if a.is_null() || b.is_null() => Ok(Value::Bool(false)),
        Eq => Ok(Value::Bool(same(a, b)?)),
        Ne => Ok(Value::Bool(!same(a, b)?)),
        Lt => cmp("<", |o| o == Ordering::Less),
        Le => cmp("<=", |o| o != Ordering::Greater),
        Gt => cmp(">", |o| o == Ordering::Greater),
        Ge => cmp(">=", |o| o != Ordering::Less),
        In => Ok(Value::Bool(inside(a, b, "in")? == Some(true))),
        NotIn => Ok(Value::Bool(inside(a, b, "not in")? == Some(false))),
        Contains => Ok(Value::Bool(inside(b, a, "contains")? == Some(true))),
        NotContains => Ok(Value::Bool(inside(b, a, "not contains")? == Some(false))),
        StartsWith => match (a, b) {
            (Value::Null, _) | (_, Value::Null) => Ok(Value::Bool(false)),
            (Value::Str(x), Value::Str(y)) => Ok(Value::Bool(x.starts_with(&**y))),
            _ => Err(type_error("starts with", a, b)),
        },
        Add | Sub | Mul | Div => arithmetic(op, a, b),
        And | Or | Coalesce => unreachable!("handled in eval"),
    }
}

fn arithmetic(op: BinaryOp, a: &Value, b: &Value) -> R<Value> {
    use BinaryOp::*;
    use Value::*;
    if a.is_null() || b.is_null() {
        return Ok(Null);
    }
    Ok(match (op, a, b) {
        (Add, Num(x), Num(y)) => Num(x + y),
        (Sub, Num(x), Num(y)) => Num(x - y),
        (Mul, Num(x), Num(y)) => Num(x * y),
        (Div, Num(_), Num(y)) if *y == 0.0 => Null,
        (Div, Num(x), Num(y)) => Num(x / y),
        (Add, Time(t), Dur(d)) | (Add, Dur(d), Time(t)) => Time(t + d),
        (Sub, Time(t), Dur(d)) => Time(t - d),
        (Sub, Time(_) | Str(_), Time(_) | Str(_))
            if matches!(a, Time(_)) || matches!(b, Time(_)) =>
        {
            match (time_of(a), time_of(b)) {
                (Some(x), Some(y)) => Dur(x - y),
                _ => return Err(type_error("-", a, b)),
            }
        }
        (Add, Dur(x), Dur(y)) => Dur(x + y),
        (Sub, Dur(x), Dur(y)) => Dur(x - y),
        (Mul, Num(n), Dur(d)) | (Mul, Dur(d), Num(n)) => Dur((*d as f64 * n) as i64),
        (Div, Dur(_), Num(n)) if *n == 0.0 => Null,
        (Div, Dur(d), Num(n)) => Dur((*d as f64 / n) as i64),
        (Div, Dur(_), Dur(0)) => Null,
        (Div, Dur(x), Dur(y)) => Num(*x as f64 / *y as f64),
        _ => {
            let sym = match op {
                Add => "+",
                Sub => "-",
                Mul => "*",
                _ => "/",
            };
            return Err(type_error(sym, a, b));
        }
    })
}
