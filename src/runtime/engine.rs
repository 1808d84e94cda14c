//! The engine: event time, the watermark, the reorder buffer, timers, and
//! dispatch of each applied event to the handlers of the rules that care.
//! State operations live here; firing (guards, quiet hours, cascades,
//! limits, caps, goals) is in `fire.rs`.

use std::num::NonZeroU64;

use rustc_hash::FxHashSet;
use std::sync::Arc;
use thin_vec::ThinVec;

use crate::compile::instr::Op;
use crate::compile::program::{AbsenceMode, Kind, Program};

use super::customers::{Cix, Customers};
use super::dedupe::SeenIds;
use super::event::{Event, EventKind};
use super::fire::Due;
use super::positions::Positions;
use super::reorder::ReorderBuffer;
use super::state::{Bindings, Counter, Customer, Ev, Instance, Match, RuleState, Seen};
use super::stats::Stats;
use super::time::format_rfc3339;
use super::timers::Timers;
use super::value::Value;
use super::vm::{Ctx, Fault, Flow, Vm};
use super::Sink;

/// Correlated look-back events kept per customer and absence; older ones
/// are dropped (and counted) beyond this.
const MAX_REMEMBERED: usize = 1_000;

/// An event older than the watermark: it changes nothing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Late {
    pub watermark: i64,
}

impl std::fmt::Display for Late {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "late event: older than the watermark {} (the latest time seen minus allowed_lateness)",
            format_rfc3339(self.watermark)
        )
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum TimerKind {
    Wait {
        rule: u32,
        id: u64,
    },
    Inactive {
        rule: u32,
        gen: u64,
    },
    Deferred {
        rule: u32,
        id: u64,
    },
    /// Drop expired sequences and counted events of a customer who may
    /// never come back, so memory and the store follow live state. At
    /// most one pending a customer (`Customer::sweep`), for all rules,
    /// due when everything the customer held at arming has expired: a
    /// customer who keeps coming back is swept once they go quiet, not
    /// at every window's end, and one of 500 count rules costs one timer,
    /// not 500. A sweep only frees memory (counts and sequences test
    /// their windows themselves), so its time changes no output.
    Sweep,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct Timer {
    at: i64,
    seq: u64,
    kind: TimerKind,
    customer: Cix,
}

pub struct Engine {
    pub(crate) prog: Arc<Program>,
    pub(crate) customers: Customers,
    /// The customer last looked up by id, recognised by pointer: the
    /// lookups while one event or timer is handled hash nothing.
    current: Option<(Arc<str>, Cix)>,
    buffer: ReorderBuffer,
    timers: Timers<Timer>,
    pub(crate) max_seen: Option<i64>,
    pub(crate) watermark: i64,
    pub(crate) arrival: u64,
    pub(crate) timer_seq: u64,
    pub(crate) next_id: u64,
    pub(crate) vm: Vm,
    /// Sends due at `due_at`, decided together (caps and priority).
    pub(crate) due: Vec<Due>,
    pub(crate) due_at: i64,
    pub(crate) stats: Stats,
    pub(crate) trace_customer: Option<Arc<str>>,
    pub(crate) trace: Vec<String>,
    /// Rules the trace said something about.
    traced_rules: std::collections::BTreeSet<u32>,
    pub(crate) positions: Positions,
    /// Customers whose state changed since the last idle check.
    pub(crate) touched: Vec<Cix>,
    /// Customers whose state changed since the last checkpoint (only
    /// tracked when checkpoints are taken).
    pub(crate) dirty: FxHashSet<Arc<str>>,
    pub(crate) track_changes: bool,
    /// Event ids seen within the dedupe horizon (as hashes: `dedupe.rs`).
    pub(crate) seen_ids: SeenIds,
    /// The customer of the event being applied, with their profile (only
    /// identify events change a profile, and they reset this).
    last_profile: Option<(Arc<str>, Value)>,
    /// Whether any customer has a profile: without identify events none
    /// has, and `customer.*` is null without a lookup.
    pub(crate) any_profile: bool,
    trace_seen: bool,
}

impl Engine {
    pub fn new(prog: Arc<Program>) -> Engine {
        let stats = Stats::new(&prog);
        Engine {
            prog,
            customers: Customers::default(),
            current: None,
            buffer: ReorderBuffer::default(),
            timers: Timers::default(),
            max_seen: None,
            watermark: i64::MIN,
            arrival: 0,
            timer_seq: 0,
            next_id: 0,
            vm: Vm::default(),
            due: Vec::new(),
            due_at: i64::MIN,
            stats,
            trace_customer: None,
            trace: Vec::new(),
            traced_rules: Default::default(),
            positions: Positions::default(),
            touched: Vec::new(),
            dirty: FxHashSet::default(),
            track_changes: false,
            seen_ids: SeenIds::default(),
            last_profile: None,
            any_profile: false,
            trace_seen: false,
        }
    }

    pub fn program(&self) -> &Program {
        &self.prog
    }

    /// Explain everything that happens to one customer (`--trace`).
    pub fn trace_customer(&mut self, customer: &str) {
        self.trace_customer = Some(Arc::from(customer));
    }

    pub fn take_trace(&mut self) -> Vec<String> {
        std::mem::take(&mut self.trace)
    }

    pub fn stats(&self) -> &Stats {
        &self.stats
    }

    /// Whether any event of the traced customer was applied.
    pub fn traced_customer_seen(&self) -> bool {
        self.trace_seen
    }

    pub fn watermark(&self) -> i64 {
        self.watermark
    }

    /// Takes one event in arrival order. Events within `allowed_lateness`
    /// of the newest are reordered; older ones are refused as late.
    pub fn push(&mut self, event: Event, sink: &mut dyn Sink) -> Result<(), Late> {
        if event.time < self.watermark {
            self.stats.late += 1;
            return Err(Late {
                watermark: self.watermark,
            });
        }
        // A repeat is still evidence of how far time has come: it moves
        // the watermark like any event that is not late (and so the
        // watermark does not depend on which events repeat whose).
        self.raise(event.time);
        if self.is_duplicate(&event) {
            self.stats.duplicates += 1;
            return Ok(());
        }
        self.stats.events += 1;
        self.arrival += 1;
        self.buffer.push(event, self.arrival);
        self.advance(sink);
        Ok(())
    }

    /// Takes the news that an event at `newest` was read elsewhere (by
    /// another thread of a partitioned run): the watermark moves as if it
    /// had come here, and what is due up to it happens.
    pub fn observe(&mut self, newest: i64, sink: &mut dyn Sink) {
        if self.max_seen.is_none_or(|m| newest > m) {
            self.raise(newest);
            self.advance(sink);
        }
    }

    /// Records `time` as read: the newest time and the watermark follow.
    fn raise(&mut self, time: i64) {
        let newest = self.max_seen.map_or(time, |m| m.max(time));
        self.max_seen = Some(newest);
        let wm = newest.saturating_sub(self.prog.settings.allowed_lateness_ms);
        if wm > self.watermark {
            self.watermark = wm;
        }
    }

    /// Whether an event with this `id` was seen within the dedupe horizon
    /// (then it is dropped); remembers the id otherwise.
    fn is_duplicate(&mut self, event: &Event) -> bool {
        let horizon = self.prog.settings.dedupe_horizon_ms;
        let Some(id) = &event.id else { return false };
        if horizon <= 0 {
            return false;
        }
        let floor = self.watermark.saturating_sub(horizon);
        self.seen_ids
            .check(id, &event.customer, event.time, horizon, floor)
    }

    /// Ends the input: the watermark moves to the newest time seen, or to
    /// `until` if later (a timer due exactly then fires). Unfired timers
    /// stay pending.
    pub fn finish(&mut self, until: Option<i64>, sink: &mut dyn Sink) {
        let end = match (self.max_seen, until) {
            (Some(m), Some(u)) => m.max(u),
            (Some(m), None) => m,
            (None, Some(u)) => u,
            (None, None) => self.watermark,
        };
        self.watermark = self.watermark.max(end);
        self.advance(sink);
        self.flush_due(sink);
    }

    /// Applies timers and buffered events up to the watermark, in time
    /// order; a timer goes before events with its timestamp.
    fn advance(&mut self, sink: &mut dyn Sink) {
        loop {
            let timer_at = self.timers.peek().map(|t| t.at);
            let event_at = self.buffer.peek_time();
            let timer_first = match (timer_at, event_at) {
                (Some(t), Some(e)) => t <= e,
                (Some(_), None) => true,
                (None, Some(_)) => false,
                (None, None) => return,
            };
            let at = if timer_first { timer_at } else { event_at }.unwrap_or(i64::MAX);
            if at > self.watermark {
                return;
            }
            if at != self.due_at {
                self.flush_due(sink);
                self.due_at = at;
            }
            if timer_first {
                if let Some(t) = self.timers.pop() {
                    self.fire_timer(t, sink);
                }
            } else if let Some(b) = self.buffer.pop() {
                self.apply(b.event, sink);
            }
        }
    }

    /// Arms a timer; returns its sequence number.
    pub(crate) fn arm(&mut self, at: i64, kind: TimerKind, customer: &Arc<str>) -> u64 {
        let customer = self.cix(customer);
        self.timer_seq += 1;
        // Lanes by kind and rule: each is armed a fixed delay after the
        // instant being handled, so its timers come in order (sweeps of
        // rules with different windows do not, and go to the heap).
        let lane = match kind {
            TimerKind::Sweep => 0,
            TimerKind::Wait { rule, .. } => 1 + 3 * rule as usize,
            TimerKind::Inactive { rule, .. } => 2 + 3 * rule as usize,
            TimerKind::Deferred { rule, .. } => 3 + 3 * rule as usize,
        };
        let timer = Timer {
            at,
            seq: self.timer_seq,
            kind,
            customer,
        };
        self.timers.push(lane, timer);
        self.timer_seq
    }

    pub(crate) fn new_id(&mut self) -> u64 {
        self.next_id += 1;
        self.next_id
    }

    /// Drops the customers touched since the last call whose state became
    /// idle, so that memory follows live state, not the customer count.
    pub(crate) fn drop_idle(&mut self) {
        for h in std::mem::take(&mut self.touched) {
            let Some(c) = self.customers.get(h) else {
                // Dropped already (touched twice), or a stale timer's.
                continue;
            };
            let idle = c.is_idle();
            if self.track_changes {
                if let Some(id) = self.customers.id(h) {
                    self.dirty.insert(id.clone());
                }
            }
            if idle {
                self.customers.remove(h);
            }
        }
    }

    /// Remember which customers change, for `checkpoint` (a run with a
    /// state store); without it nothing is remembered.
    pub fn track_changes(&mut self) {
        self.track_changes = true;
    }

    /// Events read but not applied yet, in arrival order.
    pub(crate) fn buffered(&self) -> Vec<(Event, u64)> {
        let mut v: Vec<(Event, u64)> = self
            .buffer
            .iter()
            .map(|b| (b.event.clone(), b.arrival))
            .collect();
        v.sort_by_key(|(_, a)| *a);
        v
    }

    pub(crate) fn restore_buffer(&mut self, events: Vec<(Event, u64)>) {
        for (event, arrival) in events {
            self.buffer.push(event, arrival);
        }
    }

    /// The handle of a customer with state, if any.
    pub(crate) fn find(&self, id: &Arc<str>) -> Option<Cix> {
        match &self.current {
            Some((c, h)) if Arc::ptr_eq(c, id) && self.customers.is_live(*h) => Some(*h),
            _ => self.customers.find(id),
        }
    }

    /// The handle of a customer, added with empty state if new.
    pub(crate) fn cix(&mut self, id: &Arc<str>) -> Cix {
        if let Some(h) = self.find(id) {
            return h;
        }
        let h = self.customers.find_or_insert(id);
        self.current = Some((id.clone(), h));
        h
    }

    pub(crate) fn customer(&mut self, id: &Arc<str>) -> &mut Customer {
        let h = self.cix(id);
        self.customers.at_mut(h)
    }

    /// A customer's state, if they have any.
    pub(crate) fn customer_ref(&self, id: &Arc<str>) -> Option<&Customer> {
        self.find(id).and_then(|h| self.customers.get(h))
    }

    pub(crate) fn customer_mut(&mut self, id: &Arc<str>) -> Option<&mut Customer> {
        let h = self.find(id)?;
        self.customers.get_mut(h)
    }

    fn apply(&mut self, mut event: Event, sink: &mut dyn Sink) {
        let position = self.positions.next(&event.customer, event.time);
        if self.trace_on(&event.customer) {
            self.trace_seen = true;
        }
        if event.kind == EventKind::Identify {
            self.last_profile = None;
            self.any_profile = true;
            let h = self.cix(&event.customer);
            self.touched.push(h);
            self.customers.at_mut(h).merge_profile(&event.props);
            return;
        }
        let prog = self.prog.clone();
        let handlers = prog.handlers_for(&event.name);
        if handlers.is_empty() && prog.any_event.is_empty() {
            // No rule cares: no state can change.
            return;
        }
        // The event shares the id the customer's state is keyed by: the
        // handlers' lookups then compare the key with itself (a line in
        // cache) instead of with a copy (a miss), and the copy is freed.
        let profile = match self.customers.find(&event.customer) {
            Some(h) => {
                if let Some(id) = self.customers.id(h) {
                    event.customer = id.clone();
                }
                self.current = Some((event.customer.clone(), h));
                self.customers.at_mut(h).profile().clone()
            }
            None => Value::Null,
        };
        self.last_profile = Some((event.customer.clone(), profile));
        let ev = Arc::new(Ev { event, position });
        for &h in handlers.iter().chain(&prog.any_event) {
            self.run_handler(&prog, h, &ev, sink);
        }
        // After the handlers: a customer they gave no state to has
        // nothing to drop or write.
        if let Some(h) = self.find(&ev.event.customer) {
            self.touched.push(h);
        }
    }

    /// Runs one handler: expression instructions on the VM, state
    /// operations here. A type error in a filter skips the rest of the
    /// handler (fail closed) and is counted.
    fn run_handler(&mut self, prog: &Program, h: u32, ev: &Arc<Ev>, sink: &mut dyn Sink) {
        let Some(handler) = prog.handlers.get(h as usize).copied() else {
            return;
        };
        let profile = self.profile(&ev.event.customer);
        self.vm.clear();
        let mut pc = handler.start;
        while pc < handler.end {
            let op = prog.code[pc as usize];
            match op {
                Op::Halt => return,
                Op::Match(r) | Op::First(r) | Op::Count(r) | Op::SeqStart(r) => {
                    self.primary(op, r, ev, sink)
                }
                Op::SeqComplete(r) => {
                    let any = self.seq_complete(r, ev, sink);
                    self.vm.push(Value::Bool(any));
                }
                Op::Cancel(r, a) => self.cancel(r, a, ev, sink),
                Op::Record(r, a) => self.record(r, a, ev, sink),
                Op::Touch(r) => self.touch(r, ev),
                Op::Goal(r) => self.goal(r, ev),
                _ => {
                    // A filter's test ends `Truthy; JumpIfFalse` (the
                    // used-up-F skip of a sequence does not).
                    let filter_test = matches!(op, Op::JumpIfFalse(_))
                        && pc > 0
                        && prog.code[pc as usize - 1] == Op::Truthy;
                    if filter_test && self.trace_on(&ev.event.customer) {
                        self.trace_filter(handler.rule, ev);
                    }
                    match self.expression(prog, handler.rule, pc, ev, &profile) {
                        Some(next) => {
                            pc = next;
                            continue;
                        }
                        None => return,
                    }
                }
            }
            pc += 1;
        }
    }

    fn trace_filter(&mut self, rule: u32, ev: &Arc<Ev>) {
        if matches!(self.vm.peek(), Some(Value::Bool(false) | Value::Null)) {
            let name = ev.event.name.clone();
            self.note(&ev.event.customer, ev.event.time, rule, || {
                format!("`{name}` did not pass the filter")
            });
        }
    }

    /// Runs one expression instruction of a handler and returns the next
    /// instruction; a type error (counted) skips the rest of the filter's
    /// section.
    fn expression(
        &mut self,
        prog: &Program,
        rule: u32,
        pc: u32,
        ev: &Arc<Ev>,
        profile: &Value,
    ) -> Option<u32> {
        let ctx = Ctx {
            candidate: Some(&ev.event),
            bindings: [None, None],
            customer: profile,
            now: ev.event.time,
        };
        match self.vm.step(prog, pc, &ctx) {
            Ok(Flow::Next(n)) => Some(n),
            Ok(Flow::Return(_)) => None,
            Err(f) => {
                self.fault(rule, &f);
                // Fail closed: the filter is false. Its section ends where
                // its `JumpIfFalse` goes; later sections (look-back records,
                // goals) still see the event.
                self.vm.clear();
                prog.code[pc as usize..].iter().find_map(|op| match op {
                    Op::JumpIfFalse(t) => Some(*t),
                    _ => None,
                })
            }
        }
    }

    /// For `--trace`: one line for each rule the trace never mentioned,
    /// naming the events it waits for.
    pub fn idle_rules(&self) -> Vec<String> {
        let p = &self.prog;
        (0..p.rules.len() as u32)
            .filter(|r| !self.traced_rules.contains(r))
            .map(|r| {
                let events: Vec<String> = p
                    .dispatch
                    .iter()
                    .filter(|(_, hs)| hs.iter().any(|h| p.handlers[*h as usize].rule == r))
                    .map(|(n, _)| format!("`{n}`"))
                    .collect();
                let what = if events.is_empty() {
                    "no activity for this customer".to_string()
                } else {
                    format!("no {} event for this customer", events.join(" or "))
                };
                format!("{}: did nothing: {what}", p.rules[r as usize].name)
            })
            .collect()
    }

    /// The customer's profile (`customer.*`). The handlers of one event ask
    /// for it several times with the event's own `Arc`: that is answered
    /// from `last_profile` without hashing the id.
    pub(crate) fn profile(&self, customer: &Arc<str>) -> Value {
        match &self.last_profile {
            Some((c, p)) if Arc::ptr_eq(c, customer) => p.clone(),
            _ => self.lookup_profile(customer),
        }
    }

    fn lookup_profile(&self, customer: &str) -> Value {
        if !self.any_profile {
            return Value::Null;
        }
        self.customers
            .get_by_id(customer)
            .map_or(Value::Null, |c| c.profile().clone())
    }

    pub(crate) fn fault(&mut self, rule: u32, f: &Fault) {
        self.stats.type_error(rule, f);
    }

    pub(crate) fn trace_on(&self, customer: &str) -> bool {
        self.trace_customer.as_deref() == Some(customer)
    }

    pub(crate) fn note(
        &mut self,
        customer: &str,
        at: i64,
        rule: u32,
        what: impl FnOnce() -> String,
    ) {
        if self.trace_on(customer) {
            self.traced_rules.insert(rule);
            let name = &self.prog.rules[rule as usize].name;
            self.trace
                .push(format!("{}  {name}: {}", format_rfc3339(at), what()));
        }
    }

    /// Evaluates a function with the given bindings for `customer`; a
    /// type error is counted and is `Err`.
    pub(crate) fn eval(
        &mut self,
        rule: u32,
        f: u32,
        candidate: Option<&Ev>,
        bindings: &Bindings,
        customer: &Value,
        now: i64,
    ) -> Result<Value, ()> {
        let prog = self.prog.clone();
        let ctx = context(candidate, bindings, customer, now);
        self.vm
            .call(&prog, f, &ctx)
            .map_err(|e| self.fault(rule, &e))
    }

    /// Evaluates a condition function (null is false); a type error is
    /// counted and is `Err`.
    pub(crate) fn test(
        &mut self,
        rule: u32,
        f: u32,
        candidate: Option<&Ev>,
        bindings: &Bindings,
        customer: &Value,
        now: i64,
    ) -> Result<bool, ()> {
        let prog = self.prog.clone();
        let ctx = context(candidate, bindings, customer, now);
        self.vm
            .test(&prog, f, &ctx)
            .map_err(|e| self.fault(rule, &e))
    }

    fn key(
        &mut self,
        rule: u32,
        bindings: &Bindings,
        customer: &Value,
        now: i64,
    ) -> Result<Value, ()> {
        match self.prog.rules[rule as usize].key {
            Some(f) => self.eval(rule, f, None, bindings, customer, now),
            None => Ok(Value::Null),
        }
    }

    /// The primary's start section: plain match, first, count, sequence
    /// start.
    fn primary(&mut self, op: Op, r: u32, ev: &Arc<Ev>, sink: &mut dyn Sink) {
        if let Op::Count(_) = op {
            return self.count_primary(r, ev, sink);
        }
        let now = ev.event.time;
        let cid = ev.event.customer.clone();
        let profile = self.profile(&cid);
        let bindings: Bindings = [Some(ev.clone()), None];
        let prog = self.prog.clone();
        let meta = &prog.rules[r as usize];
        match op {
            Op::Match(_) => {
                let Ok(key) = self.key(r, &bindings, &profile, now) else {
                    return;
                };
                self.matched(r, Match { bindings, key }, now, sink);
            }
            Op::First(_) => {
                let state = self.customer(&cid).rule(r);
                if state.first_seen {
                    return;
                }
                state.first_seen = true;
                let Ok(key) = self.key(r, &bindings, &profile, now) else {
                    return;
                };
                self.matched(r, Match { bindings, key }, now, sink);
            }
            Op::SeqStart(_) => {
                let Kind::Sequence { within_ms, .. } = meta.kind else {
                    return;
                };
                let Ok(key) = self.key(r, &bindings, &profile, now) else {
                    return;
                };
                let id = self.new_id();
                let inst = Instance {
                    id,
                    m: Match { bindings, key },
                    start: now,
                    deadline: now.saturating_add(within_ms),
                };
                let deadline = inst.deadline;
                let seqs = &mut self.customer(&cid).rule(r).seqs;
                seqs.retain(|i| i.deadline > now && !same_key(&i.m.key, &inst.m.key));
                if push_bounded(seqs, inst) {
                    self.stats.bounded += 1;
                }
                self.arm_sweep(&cid, deadline);
                self.note(&cid, now, r, || {
                    "sequence started, waiting for the next event".into()
                });
            }
            _ => {}
        }
    }

    /// A `N times within D` primary. Most events count without firing: the
    /// event is bound (a reference taken) only when the rule has a key to
    /// evaluate or the count fires, which a thousand-rule run notices.
    fn count_primary(&mut self, r: u32, ev: &Arc<Ev>, sink: &mut dyn Sink) {
        let meta = &self.prog.rules[r as usize];
        let Kind::Count { times, within_ms } = meta.kind else {
            return;
        };
        let now = ev.event.time;
        let cid = &ev.event.customer;
        let key = match meta.key {
            None => Value::Null,
            Some(_) => {
                let profile = self.profile(cid);
                let Ok(key) = self.key(r, &[Some(ev.clone()), None], &profile, now) else {
                    return;
                };
                key
            }
        };
        if self.count(cid, r, &key, now, times, within_ms) {
            self.note(cid, now, r, || {
                format!(
                    "{times} matching events within {}",
                    super::time::format_duration(within_ms)
                )
            });
            let bindings = [Some(ev.clone()), None];
            self.matched(r, Match { bindings, key }, now, sink);
        }
    }

    /// Counts one matching event; true when it makes the count exactly N
    /// and the counter was armed.
    fn count(
        &mut self,
        cid: &Arc<str>,
        r: u32,
        key: &Value,
        now: i64,
        times: u32,
        within: i64,
    ) -> bool {
        let state = self.customer(cid).rule(r);
        let mut dropped = false;
        let i = match state.counters.iter().position(|c| same_key(&c.key, key)) {
            Some(i) => i,
            None => {
                let counter = Counter {
                    key: key.clone(),
                    times: Default::default(),
                    armed: true,
                };
                dropped = push_bounded(&mut state.counters, counter);
                state.counters.len() - 1
            }
        };
        let c = &mut state.counters[i];
        let floor = now.saturating_sub(within);
        // Keep events at exactly t − D: they left the window only at this
        // instant, as the new event entered it.
        while c.times.front().is_some_and(|&t| t < floor) {
            c.times.pop_front();
        }
        // The count just before now, the lowest since the previous match:
        // events in [t − D, t]. Below N means it fell below N and re-arms.
        if c.times.len() < times as usize {
            c.armed = true;
        }
        let inside = c.times.iter().filter(|&&t| t > floor).count();
        let window_starts = c.times.is_empty();
        c.times.push_back(now);
        while c.times.len() > times as usize {
            c.times.pop_front();
        }
        let hit = inside + 1 == times as usize && c.armed;
        if hit {
            c.armed = false;
        }
        if dropped {
            self.stats.bounded += 1;
        }
        if window_starts {
            // Just after the event leaves (t−D, t] even for an event at
            // exactly t + D, which still needs it for the re-arm test.
            let at = now.saturating_add(within).saturating_add(1);
            self.arm_sweep(cid, at);
        }
        hit
    }

    /// A primary completed: start the `for` wait, or check look-back
    /// absences and fire.
    pub(crate) fn matched(&mut self, r: u32, m: Match, now: i64, sink: &mut dyn Sink) {
        let prog = self.prog.clone();
        let meta = &prog.rules[r as usize];
        let Some(cid) = m.completing().map(|e| e.event.customer.clone()) else {
            return;
        };
        if let Some(wait) = meta.wait_ms {
            let id = self.new_id();
            let deadline = now.saturating_add(wait);
            let inst = Instance {
                id,
                m,
                start: now,
                deadline,
            };
            let waits = &mut self.customer(&cid).rule(r).waits;
            let restarted = waits.iter().any(|i| same_key(&i.m.key, &inst.m.key));
            waits.retain(|i| !same_key(&i.m.key, &inst.m.key));
            if push_bounded(waits, inst) {
                self.stats.bounded += 1;
            }
            self.arm(deadline, TimerKind::Wait { rule: r, id }, &cid);
            self.note(&cid, now, r, || {
                format!(
                    "{} wait until {}",
                    if restarted {
                        "restarted the"
                    } else {
                        "started a"
                    },
                    format_rfc3339(deadline)
                )
            });
            return;
        }
        if let Some(a) = self.absence_seen(r, &m, now) {
            let event = &meta.absences[a].event;
            self.note(&cid, now, r, || {
                format!("did not fire: `{event}` happened before")
            });
            return;
        }
        self.fire(r, m, now, sink);
    }

    /// The first look-back absence that happened before this match: in
    /// the window that ends at the completing event (for `inactive`, the
    /// last event before the silence), and before it in arrival order.
    fn absence_seen(&mut self, r: u32, m: &Match, now: i64) -> Option<usize> {
        let prog = self.prog.clone();
        let meta = &prog.rules[r as usize];
        let completing = m.completing()?.clone();
        let at = (completing.event.time, completing.position);
        let cid = completing.event.customer.clone();
        let profile = self.profile(&cid);
        for (i, a) in meta.absences.iter().enumerate() {
            let AbsenceMode::LookBack { within_ms } = a.mode else {
                continue;
            };
            let floor = within_ms.map(|w| at.0.saturating_sub(w));
            let counts = |t: (i64, u32)| t < at && floor.is_none_or(|f| t.0 > f);
            let seen = self
                .customer_ref(&cid)
                .and_then(|c| c.rule_ref(r))
                .and_then(|s| s.extra_ref())
                .and_then(|s| s.seen.get(i))
                .cloned();
            let hit = match seen {
                None => false,
                // The latest F before the completing event decides.
                Some(Seen::Latest(times)) => times
                    .iter()
                    .rev()
                    .flatten()
                    .find(|t| **t < at)
                    .is_some_and(|t| counts(*t)),
                Some(Seen::Events(evs)) => {
                    let mut hit = false;
                    for e in evs.iter().filter(|e| counts((e.event.time, e.position))) {
                        let ok = match a.filter {
                            Some(f) => self.test(r, f, Some(e), &m.bindings, &profile, now),
                            None => Ok(true),
                        };
                        // A type error fails closed: the rule does not fire.
                        if ok != Ok(false) {
                            hit = true;
                            break;
                        }
                    }
                    hit
                }
            };
            if hit {
                return Some(i);
            }
        }
        None
    }

    /// `followed by` F: completes every live instance whose window holds
    /// it; true if any completed.
    fn seq_complete(&mut self, r: u32, ev: &Arc<Ev>, sink: &mut dyn Sink) -> bool {
        let now = ev.event.time;
        let cid = ev.event.customer.clone();
        let prog = self.prog.clone();
        let Kind::Sequence { then_filter, .. } = prog.rules[r as usize].kind else {
            return false;
        };
        let profile = self.profile(&cid);
        let pending: Vec<Instance> = {
            let seqs = &mut self.customer(&cid).rule(r).seqs;
            seqs.retain(|i| i.deadline > now);
            seqs.to_vec()
        };
        let mut done = Vec::new();
        for inst in pending {
            let ok = match then_filter {
                Some(f) => self.test(r, f, Some(ev), &inst.m.bindings, &profile, now),
                None => Ok(true),
            };
            if ok == Ok(true) {
                done.push(inst);
            }
        }
        if done.is_empty() {
            return false;
        }
        let ids: Vec<u64> = done.iter().map(|i| i.id).collect();
        self.customer(&cid)
            .rule(r)
            .seqs
            .retain(|i| !ids.contains(&i.id));
        for inst in done {
            let m = Match {
                bindings: [inst.m.bindings[0].clone(), Some(ev.clone())],
                key: inst.m.key,
            };
            self.matched(r, m, now, sink);
        }
        true
    }

    /// An absence event cancels waits, sequences and deferred sends whose
    /// window holds it (that its filter, if any, correlates).
    fn cancel(&mut self, r: u32, a: u16, ev: &Arc<Ev>, sink: &mut dyn Sink) {
        let prog = self.prog.clone();
        let abs = &prog.rules[r as usize].absences[a as usize];
        let now = ev.event.time;
        let cid = ev.event.customer.clone();
        let profile = self.profile(&cid);
        let Some(state) = self.customer_mut(&cid).and_then(|c| c.rules.get_mut(r)) else {
            return;
        };
        let live: Vec<Instance> = match abs.mode {
            AbsenceMode::CancelWait => state.waits.to_vec(),
            AbsenceMode::Between => state.seqs.to_vec(),
            AbsenceMode::LookBack { .. } => Vec::new(),
        };
        let mut gone = Vec::new();
        for inst in live.iter().filter(|i| i.start <= now && now < i.deadline) {
            if self.correlates(r, abs.filter, ev, &inst.m.bindings, &profile) {
                gone.push(inst.id);
                self.note(&cid, now, r, || format!("cancelled by `{}`", abs.event));
            }
        }
        if !gone.is_empty() {
            let state = self.customer(&cid).rule(r);
            state.waits.retain(|i| !gone.contains(&i.id));
            state.seqs.retain(|i| !gone.contains(&i.id));
        }
        self.cancel_deferred(r, a, ev, sink);
    }

    /// Whether an absence event matches an instance: its filter, with the
    /// instance's bindings. A type error counts as a match (fail closed:
    /// the rule does not fire).
    fn correlates(
        &mut self,
        r: u32,
        filter: Option<u32>,
        ev: &Arc<Ev>,
        b: &Bindings,
        profile: &Value,
    ) -> bool {
        match filter {
            Some(f) => self.test(r, f, Some(ev), b, profile, ev.event.time) != Ok(false),
            None => true,
        }
    }

    /// Absences keep cancelling a send deferred by quiet hours until it
    /// goes out.
    fn cancel_deferred(&mut self, r: u32, a: u16, ev: &Arc<Ev>, sink: &mut dyn Sink) {
        let prog = self.prog.clone();
        let abs = &prog.rules[r as usize].absences[a as usize];
        let now = ev.event.time;
        let cid = ev.event.customer.clone();
        let profile = self.profile(&cid);
        let deferred = match self.customer_ref(&cid).and_then(|c| c.rule_ref(r)) {
            Some(s) if s.extra_ref().is_some_and(|x| !x.deferred.is_empty()) => s
                .extra_ref()
                .map(|x| x.deferred.clone())
                .unwrap_or_default(),
            _ => return,
        };
        for d in deferred
            .iter()
            .filter(|d| d.fired_at <= now && now < d.send_at)
        {
            if self.correlates(r, abs.filter, ev, &d.m.bindings, &profile) {
                self.customer(&cid)
                    .rule(r)
                    .extra()
                    .deferred
                    .retain(|x| x.id != d.id);
                let detail = format!("`{}` happened while the send was deferred", abs.event);
                self.notice_cancelled(r, d, now, detail, sink);
            }
        }
    }

    /// Remembers a look-back absence event.
    fn record(&mut self, r: u32, a: u16, ev: &Arc<Ev>, sink: &mut dyn Sink) {
        let prog = self.prog.clone();
        let abs = &prog.rules[r as usize].absences[a as usize];
        let now = ev.event.time;
        let cid = ev.event.customer.clone();
        if !abs.correlated {
            if let Some(f) = abs.filter {
                let profile = self.profile(&cid);
                if self.test(r, f, Some(ev), &[None, None], &profile, now) == Ok(false) {
                    return;
                }
            }
        }
        let n = prog.rules[r as usize].absences.len();
        let state = self.customer(&cid).rule(r);
        if state.extra().seen.len() < n {
            state.extra().seen = prog.rules[r as usize]
                .absences
                .iter()
                .map(|a| {
                    if a.correlated {
                        Seen::Events(Default::default())
                    } else {
                        Seen::Latest([None, None])
                    }
                })
                .collect();
        }
        let mut dropped = false;
        match &mut state.extra().seen[a as usize] {
            Seen::Latest(times) => *times = [times[1], Some((now, ev.position))],
            Seen::Events(evs) => {
                if let AbsenceMode::LookBack { within_ms: Some(w) } = abs.mode {
                    let floor = now.saturating_sub(w);
                    while evs.front().is_some_and(|e| e.event.time <= floor) {
                        evs.pop_front();
                    }
                }
                evs.push_back(ev.clone());
                if evs.len() > MAX_REMEMBERED {
                    evs.pop_front();
                    dropped = true;
                }
            }
        }
        if dropped {
            self.stats.forgotten += 1;
        }
        self.cancel_deferred(r, a, ev, sink);
    }

    /// Activity: re-arms an `inactive for D` rule.
    fn touch(&mut self, r: u32, ev: &Arc<Ev>) {
        let Kind::Inactive { after_ms } = self.prog.rules[r as usize].kind else {
            return;
        };
        let cid = ev.event.customer.clone();
        let state = self.customer(&cid).rule(r);
        state.extra().inactive_gen += 1;
        state.extra().last_activity = Some(ev.clone());
        let gen = state.extra().inactive_gen;
        let at = ev.event.time.saturating_add(after_ms);
        self.arm(at, TimerKind::Inactive { rule: r, gen }, &cid);
    }

    fn fire_timer(&mut self, t: Timer, sink: &mut dyn Sink) {
        self.touched.push(t.customer);
        let Some(cid) = self.customers.id(t.customer).cloned() else {
            // Stale: armed for a customer since dropped.
            return;
        };
        self.current = Some((cid.clone(), t.customer));
        let cust = self.customers.at_mut(t.customer);
        match t.kind {
            TimerKind::Wait { rule, id } => {
                let state = cust.rule(rule);
                let Some(i) = state.waits.iter().position(|w| w.id == id) else {
                    return;
                };
                let inst = state.waits.swap_remove(i);
                self.fire(rule, inst.m, inst.deadline, sink);
            }
            TimerKind::Inactive { rule, gen } => {
                let state = cust.rule(rule);
                if state.extra().inactive_gen != gen {
                    return;
                }
                // Taken: once per silence, and the customer may become idle.
                let Some(last) = state.extra().last_activity.take() else {
                    return;
                };
                let m = Match {
                    bindings: [Some(last), None],
                    key: Value::Null,
                };
                let at = t.at;
                self.note(&cid, at, rule, || "no activity: silence reached".into());
                if let Some(a) = self.absence_seen(rule, &m, at) {
                    let event = self.prog.rules[rule as usize].absences[a].event.clone();
                    self.note(&cid, at, rule, || {
                        format!("did not fire: `{event}` happened before")
                    });
                    return;
                }
                self.fire(rule, m, at, sink);
            }
            TimerKind::Deferred { rule, id } => {
                let state = cust.rule(rule);
                let Some(i) = state.extra().deferred.iter().position(|d| d.id == id) else {
                    return;
                };
                let d = state.extra().deferred.swap_remove(i);
                self.send_deferred(rule, d, sink);
            }
            TimerKind::Sweep => {
                // Stale: armed for an earlier life of this customer.
                let Some((_, due)) = cust.sweep.filter(|(seq, _)| seq.get() == t.seq) else {
                    return;
                };
                cust.sweep = None;
                if due > t.at {
                    // Something held since arming lives longer: sweep then.
                    self.arm_sweep(&cid, due);
                    return;
                }
                let prog = &self.prog;
                let next = cust
                    .rules
                    .iter_mut()
                    .filter_map(|(r, state)| sweep(state, t.at, count_window(prog, r)))
                    .max();
                // A rule state holding nothing is a default one: dropped, so
                // that lookups skip the rules this customer has nothing for.
                cust.rules.retain(|s| s.extra.is_some() || !s.is_idle());
                if let Some(at) = next {
                    self.arm_sweep(&cid, at);
                }
            }
        }
    }

    /// Sweeps the customer once all it holds now has expired at `at`.
    pub(crate) fn arm_sweep(&mut self, cid: &Arc<str>, at: i64) {
        if let Some((_, due)) = &mut self.customer(cid).sweep {
            *due = (*due).max(at);
            return;
        }
        let seq = self.arm(at, TimerKind::Sweep, cid);
        // `arm` numbers timers from 1.
        self.customer(cid).sweep = NonZeroU64::new(seq).map(|seq| (seq, at));
    }
}

/// The window of a count rule.
pub(crate) fn count_window(prog: &Program, rule: u32) -> Option<i64> {
    match prog.rules.get(rule as usize)?.kind {
        Kind::Count { within_ms, .. } => Some(within_ms),
        _ => None,
    }
}

/// Drops what has expired at `now`: sequences whose window ended, and
/// counted events older than (now − D) (an event at exactly now − D is
/// kept: an event at `now` still needs it to tell that the count did not
/// fall). Counters left empty go: an empty counter is no counter. Returns
/// when all that remains will have expired, if anything remains.
fn sweep(state: &mut RuleState, now: i64, within: Option<i64>) -> Option<i64> {
    state.seqs.retain(|i| i.deadline > now);
    if let Some(within) = within {
        let floor = now.saturating_sub(within);
        for c in &mut state.counters {
            while c.times.front().is_some_and(|&t| t < floor) {
                c.times.pop_front();
            }
        }
        state.counters.retain(|c| !c.times.is_empty());
    }
    expiry(state, within)
}

/// When the sequences and counted events a rule holds will all have
/// expired (a counted event at t leaves the window (now − D, now] just
/// after t + D).
pub(crate) fn expiry(state: &RuleState, within: Option<i64>) -> Option<i64> {
    let counted = within.and_then(|within| {
        state
            .counters
            .iter()
            .filter_map(|c| c.times.back())
            .max()
            .map(|newest| newest.saturating_add(within).saturating_add(1))
    });
    state.seqs.iter().map(|i| i.deadline).chain(counted).max()
}

/// Live instances (waits, sequences) or counters one customer may hold
/// per rule: one key per product is fine, one per event is a runaway.
pub(crate) const MAX_PER_RULE: usize = 1_000;

/// Pushes with exact growth and drops the oldest beyond `MAX_PER_RULE`;
/// true when it dropped one.
pub(crate) fn push_bounded<T>(v: &mut ThinVec<T>, item: T) -> bool {
    let full = v.len() >= MAX_PER_RULE;
    if full {
        v.remove(0);
    }
    push_exact(v, item);
    full
}

/// Pushes without the usual doubling: these lists hold one or two items
/// for most customers, and a million customers make the slack count.
pub(crate) fn push_exact<T>(v: &mut ThinVec<T>, item: T) {
    v.reserve_exact(1);
    v.push(item);
}

/// What a function sees: the candidate, the bound events, the profile.
fn context<'a>(
    candidate: Option<&'a Ev>,
    bindings: &'a Bindings,
    customer: &'a Value,
    now: i64,
) -> Ctx<'a> {
    Ctx {
        candidate: candidate.map(|e| &e.event),
        bindings: [
            bindings[0].as_deref().map(|e| &e.event),
            bindings[1].as_deref().map(|e| &e.event),
        ],
        customer,
        now,
    }
}

/// Keys are equal when their values are (numbers by value, strings by
/// text); null keys (the default per-customer key) are all one key.
pub(crate) fn same_key(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Null, Value::Null) => true,
        _ => a == b,
    }
}
