//! The engine's state as data, for a durable store: what a checkpoint
//! writes (the customers that changed since the last one, and the engine's
//! own small state) and how a later run restores it, possibly with changed
//! rules. The store itself (SQLite) is the binary's; this stays pure.
//!
//! Rule state is keyed by rule name and trigger fingerprint, never by
//! position, so editing the rule files between runs is safe:
//! - an unchanged rule keeps its state;
//! - a rule whose trigger changed drops its pending instances (waits,
//!   sequences, counts, look-back memory, deferred sends), and keeps its
//!   `once`/`limit` history; holdout assignment is a hash of the name, so
//!   it survives too;
//! - a removed rule's state is dropped; a renamed rule is a new rule.
//!
//! Timers are not stored: they are rebuilt from the instances.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::compile::program::{Kind, Program};

use super::dedupe::{customer_key, SeenIds};
use super::engine::{count_window, expiry, Engine, TimerKind};
use super::event::Event;
use super::fire::Due;
use super::positions::Positions;
use super::state::{Customer, RuleState, SendRecord};
use super::value::Value;

/// The version of this layout; a store of another version is refused.
pub const SNAPSHOT_VERSION: u32 = 2;

/// One customer, self-describing (rules by name and fingerprint).
#[derive(Debug, Serialize, Deserialize)]
pub struct CustomerRecord {
    pub id: Arc<str>,
    pub profile: Value,
    pub rules: Vec<RuleRecord>,
    pub sends: Vec<SendByName>,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct RuleRecord {
    pub name: String,
    pub fingerprint: String,
    pub state: RuleState,
}

/// A send remembered for caps, by rule name.
#[derive(Debug, Serialize, Deserialize)]
pub struct SendByName {
    pub at: i64,
    pub rule: String,
    pub channel: Option<Arc<str>>,
}

/// The engine's own state besides customers.
#[derive(Debug, Serialize, Deserialize)]
pub struct EngineMeta {
    pub version: u32,
    pub max_seen: Option<i64>,
    pub watermark: i64,
    pub arrival: u64,
    pub next_id: u64,
    /// Events read but not yet applied (within the lateness), with their
    /// arrival numbers.
    pub buffer: Vec<(Event, u64)>,
    /// Sends due at `due_at`, not yet decided.
    pub due: Vec<(String, Due)>,
    pub due_at: i64,
    pub positions_at: i64,
    pub positions: Vec<(Arc<str>, u32)>,
    /// Event ids seen within the dedupe horizon: id key, time, customer
    /// key (hashes, see `dedupe.rs`: no id is stored).
    pub seen_ids: Vec<(u128, i64, u64)>,
    /// Rules at checkpoint time: name, fingerprint.
    pub rules: Vec<(String, String)>,
}

/// What a checkpoint writes.
pub struct Checkpoint {
    pub meta: EngineMeta,
    /// Customers whose state changed (upsert).
    pub changed: Vec<CustomerRecord>,
    /// Customers that hold nothing any more (delete).
    pub removed: Vec<Arc<str>>,
}

/// What restoring found, for the report on stderr.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct RestoreReport {
    pub customers: u64,
    pub pending: u64,
    /// Rules whose trigger changed: name → pending instances dropped.
    pub changed: BTreeMap<String, u64>,
    /// Rules no longer in the program: name → customers that had state.
    pub removed: BTreeMap<String, u64>,
}

impl RuleState {
    /// Pending instances: waits, sequences, deferred sends, counters and
    /// an armed `inactive` silence.
    pub fn pending(&self) -> u64 {
        let (deferred, silence) = self.extra_ref().map_or((0, 0), |x| {
            (x.deferred.len(), usize::from(x.last_activity.is_some()))
        });
        (self.waits.len() + self.seqs.len() + deferred + self.counters.len() + silence) as u64
    }

    /// Keeps only what survives a trigger change: the send history.
    fn reset_pattern(&mut self) {
        let history = self.extra.take().map(|x| (x.sent, x.ever_sent));
        *self = RuleState::default();
        if let Some((sent, ever_sent)) = history {
            let x = self.extra();
            x.sent = sent;
            x.ever_sent = ever_sent;
        }
    }
}

impl Engine {
    /// The state to write now: everything that changed since the last
    /// checkpoint. Marks it written.
    pub fn checkpoint(&mut self) -> Checkpoint {
        self.drop_idle();
        let dirty: Vec<Arc<str>> = std::mem::take(&mut self.dirty).into_iter().collect();
        let mut changed = Vec::new();
        let mut removed = Vec::new();
        for id in dirty {
            match self.customers.get_by_id(&id) {
                Some(c) => changed.push(self.customer_record(&id, c)),
                None => removed.push(id),
            }
        }
        Checkpoint {
            meta: self.meta(),
            changed,
            removed,
        }
    }

    fn customer_record(&self, id: &Arc<str>, c: &Customer) -> CustomerRecord {
        let rules = &self.prog.rules;
        CustomerRecord {
            id: id.clone(),
            profile: c.profile().clone(),
            rules: c
                .rules
                .iter()
                .filter_map(|(r, state)| {
                    let meta = rules.get(r as usize)?;
                    Some(RuleRecord {
                        name: meta.name.clone(),
                        fingerprint: meta.fingerprint.clone(),
                        state: state.clone(),
                    })
                })
                .collect(),
            sends: c
                .sends()
                .iter()
                .map(|s| SendByName {
                    at: s.at,
                    rule: rules
                        .get(s.rule as usize)
                        .map_or(String::new(), |r| r.name.clone()),
                    channel: s.channel.clone(),
                })
                .collect(),
        }
    }

    fn meta(&self) -> EngineMeta {
        let rules = &self.prog.rules;
        let (positions_at, positions) = self.positions.entries();
        EngineMeta {
            version: SNAPSHOT_VERSION,
            max_seen: self.max_seen,
            watermark: self.watermark,
            arrival: self.arrival,
            next_id: self.next_id,
            buffer: self.buffered(),
            due: self
                .due
                .iter()
                .filter_map(|d| Some((rules.get(d.rule as usize)?.name.clone(), d.clone())))
                .collect(),
            due_at: self.due_at,
            positions_at,
            positions,
            seen_ids: self.seen_ids.entries(),
            rules: rules
                .iter()
                .map(|r| (r.name.clone(), r.fingerprint.clone()))
                .collect(),
        }
    }

    /// An engine for `prog` with restored state.
    pub fn restore(
        prog: Arc<Program>,
        meta: EngineMeta,
        customers: impl IntoIterator<Item = CustomerRecord>,
    ) -> (Engine, RestoreReport) {
        let mut e = Engine::new(prog.clone());
        e.track_changes();
        let mut report = RestoreReport::default();
        let index: BTreeMap<&str, (u32, &str)> = prog
            .rules
            .iter()
            .enumerate()
            .map(|(i, r)| (r.name.as_str(), (i as u32, r.fingerprint.as_str())))
            .collect();
        for rec in customers {
            let id = rec.id.clone();
            let (c, modified) = e.restore_customer(rec, &index, &mut report);
            // A customer whose stored state a rule change altered is
            // written again at the next checkpoint (or deleted, if nothing
            // is left), so the drop is reported once and cannot come back.
            if modified {
                e.dirty.insert(id.clone());
            }
            if !c.is_idle() {
                e.any_profile |= !c.profile().is_null();
                e.customers.insert(id, c);
            }
        }
        e.restore_meta(meta, &index);
        e.rearm_timers();
        report.customers = e.customers.len() as u64;
        (e, report)
    }

    fn restore_customer(
        &self,
        rec: CustomerRecord,
        index: &BTreeMap<&str, (u32, &str)>,
        report: &mut RestoreReport,
    ) -> (Customer, bool) {
        let mut c = Customer::default();
        let mut modified = false;
        if !rec.profile.is_null() {
            c.set_profile(rec.profile);
        }
        let mut states = Vec::new();
        for r in rec.rules {
            let Some(&(idx, fingerprint)) = index.get(r.name.as_str()) else {
                *report.removed.entry(r.name).or_default() += 1;
                modified = true;
                continue;
            };
            let mut state = r.state;
            if fingerprint != r.fingerprint {
                *report.changed.entry(r.name).or_default() += state.pending();
                state.reset_pattern();
                modified = true;
            }
            report.pending += state.pending();
            states.push((idx, state));
        }
        c.rules = states.into_iter().collect();
        // A removed rule's sends still count for the `all` and channel
        // caps; `u32::MAX` matches no rule's tags.
        let sends: Vec<SendRecord> = rec
            .sends
            .into_iter()
            .map(|s| SendRecord {
                at: s.at,
                rule: index.get(s.rule.as_str()).map_or(u32::MAX, |(i, _)| *i),
                channel: s.channel,
            })
            .collect();
        if !sends.is_empty() {
            *c.sends_mut() = sends;
        }
        (c, modified)
    }

    fn restore_meta(&mut self, m: EngineMeta, index: &BTreeMap<&str, (u32, &str)>) {
        let unchanged: BTreeMap<&str, &str> = m
            .rules
            .iter()
            .map(|(n, f)| (n.as_str(), f.as_str()))
            .collect();
        self.max_seen = m.max_seen;
        self.watermark = m.watermark;
        self.arrival = m.arrival;
        self.next_id = m.next_id;
        self.restore_buffer(m.buffer);
        // A due send survives only if its rule is the same rule.
        self.due = m
            .due
            .into_iter()
            .filter_map(|(name, mut d)| {
                let (idx, fp) = index.get(name.as_str())?;
                (unchanged.get(name.as_str()) == Some(fp)).then(|| {
                    d.rule = *idx;
                    d
                })
            })
            .collect();
        self.due_at = m.due_at;
        self.positions = Positions::restore(m.positions_at, m.positions);
        self.seen_ids = SeenIds::restore(m.seen_ids);
    }

    /// Timers are derived state: one per wait, deferred send and armed
    /// `inactive` rule.
    fn rearm_timers(&mut self) {
        let mut timers = Vec::new();
        for (id, c) in self.customers.iter() {
            let mut sweep_at = None;
            for (r, state) in c.rules.iter() {
                for w in &state.waits {
                    timers.push((
                        w.deadline,
                        TimerKind::Wait { rule: r, id: w.id },
                        id.clone(),
                    ));
                }
                let held = expiry(state, count_window(&self.prog, r));
                sweep_at = sweep_at.max(held);
                let Some(x) = state.extra_ref() else { continue };
                for d in &x.deferred {
                    timers.push((
                        d.send_at,
                        TimerKind::Deferred { rule: r, id: d.id },
                        id.clone(),
                    ));
                }
                let inactive = match self.prog.rules[r as usize].kind {
                    Kind::Inactive { after_ms } => Some(after_ms),
                    _ => None,
                };
                if let (Some(after), Some(last)) = (inactive, &x.last_activity) {
                    let at = last.event.time.saturating_add(after);
                    timers.push((
                        at,
                        TimerKind::Inactive {
                            rule: r,
                            gen: x.inactive_gen,
                        },
                        id.clone(),
                    ));
                }
            }
            if let Some(at) = sweep_at {
                timers.push((at, TimerKind::Sweep, id.clone()));
            }
        }
        // Deterministic order for equal deadlines.
        timers.sort_by(|a, b| (a.0, a.1, &a.2).cmp(&(b.0, b.1, &b.2)));
        for (at, kind, id) in timers {
            if kind == TimerKind::Sweep {
                self.arm_sweep(&id, at);
            } else {
                self.arm(at, kind, &id);
            }
        }
    }
}

impl EngineMeta {
    /// Removes what the engine's own state holds about these customers
    /// (buffered events, due sends, positions, event ids).
    pub fn forget(&mut self, ids: &[&str]) {
        let gone = |c: &str| ids.contains(&c);
        self.buffer.retain(|(e, _)| !gone(&e.customer));
        self.due.retain(|(_, d)| !gone(&d.customer));
        self.positions.retain(|(c, _)| !gone(c));
        let keys: Vec<u64> = ids.iter().map(|c| customer_key(c)).collect();
        self.seen_ids.retain(|(_, _, c)| !keys.contains(c));
    }
}
