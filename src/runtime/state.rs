//! Per-customer state: what each rule remembers between events. Kept
//! small and sparse: a customer holds state only for rules that touched it.

use serde::{Deserialize, Serialize};
use std::collections::VecDeque;
use std::num::NonZeroU64;
use std::sync::Arc;

use smallvec::SmallVec;
use thin_vec::ThinVec;

use super::event::Event;
use super::value::Value;

/// An applied event with its position among the customer's events of the
/// same timestamp (part of the action id when the event has no `id`).
#[derive(Debug, Serialize, Deserialize)]
pub struct Ev {
    pub event: Event,
    pub position: u32,
}

/// Events a pattern bound: 0 the start (or N-th, or last before the
/// silence), 1 the `followed by` event.
pub type Bindings = [Option<Arc<Ev>>; 2];

/// A completed primary, on its way to a wait or to firing.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Match {
    pub bindings: Bindings,
    pub key: Value,
}

impl Match {
    /// The event that completed the pattern: the `followed by` event, else
    /// the start.
    pub fn completing(&self) -> Option<&Arc<Ev>> {
        self.bindings[1].as_ref().or(self.bindings[0].as_ref())
    }
}

/// A `for D` wait or a `followed by` sequence waiting for its F.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Instance {
    pub id: u64,
    pub m: Match,
    /// The window is `[start, deadline)`.
    pub start: i64,
    pub deadline: i64,
}

/// A send deferred by quiet hours.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Deferred {
    pub id: u64,
    pub m: Match,
    pub fired_at: i64,
    pub send_at: i64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Counter {
    pub key: Value,
    /// The latest matching times, at most N.
    pub times: Times,
    /// Fires when the count reaches N; re-armed once it falls below N.
    pub armed: bool,
}

/// The latest matching times of a count, oldest first. Inline up to four
/// (`N times` counts are small), so a counter allocates nothing; a
/// snapshot holds them as a sequence, as it held the `VecDeque` before.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Times(SmallVec<[i64; 4]>);

impl Times {
    pub fn front(&self) -> Option<&i64> {
        self.0.first()
    }

    pub fn back(&self) -> Option<&i64> {
        self.0.last()
    }

    /// O(len): counts hold at most N times, and N is small.
    pub fn pop_front(&mut self) -> Option<i64> {
        (!self.0.is_empty()).then(|| self.0.remove(0))
    }

    pub fn push_back(&mut self, t: i64) {
        self.0.push(t);
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn iter(&self) -> std::slice::Iter<'_, i64> {
        self.0.iter()
    }
}

/// What a look-back absence remembers.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub enum Seen {
    /// Uncorrelated: the time and position of the two latest matches
    /// (older first). Only the latest before the completing event matters,
    /// and only an `inactive` rule's completing event (the last event) can
    /// itself be the latest match, so two are enough.
    Latest([Option<(i64, u32)>; 2]),
    /// Correlated: the events themselves, to test against each match.
    Events(VecDeque<Arc<Ev>>),
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct GoalRecord {
    pub send_at: i64,
    pub deadline: i64,
    pub held_out: bool,
    pub converted: bool,
    pub bindings: Bindings,
}

/// One rule's state for one customer. The fields every waiting or
/// counting rule needs are inline; the rest (look-backs, deferrals, send
/// history, goals, inactivity) is boxed and allocated on first use, so an
/// idle or simple rule costs a few words per customer.
#[derive(Debug, Default, Clone, Serialize, Deserialize)]
pub struct RuleState {
    // Thin vectors (one word; length and capacity live with the items):
    // a customer's state for a rule usually uses one of the three.
    #[serde(with = "thin")]
    pub waits: ThinVec<Instance>,
    #[serde(with = "thin")]
    pub seqs: ThinVec<Instance>,
    #[serde(with = "thin")]
    pub counters: ThinVec<Counter>,
    pub first_seen: bool,
    pub extra: Option<Box<Extra>>,
}

#[derive(Debug, Default, Clone, Serialize, Deserialize)]
pub struct Extra {
    /// Bumped on every activity; a timer of an older generation is stale.
    pub inactive_gen: u64,
    pub last_activity: Option<Arc<Ev>>,
    pub seen: Vec<Seen>,
    pub deferred: Vec<Deferred>,
    /// Send times (held-out sends included), for `limit` and `once`.
    pub sent: VecDeque<i64>,
    pub ever_sent: bool,
    pub goals: Vec<GoalRecord>,
}

impl Extra {
    fn is_idle(&self) -> bool {
        self.last_activity.is_none()
            && self.seen.is_empty()
            && self.deferred.is_empty()
            && self.sent.is_empty()
            && !self.ever_sent
            && self.goals.is_empty()
    }
}

impl RuleState {
    /// Whether this state means nothing: the same as no state at all.
    pub fn is_idle(&self) -> bool {
        self.waits.is_empty()
            && self.seqs.is_empty()
            && !self.first_seen
            && self.counters.iter().all(|c| c.times.is_empty())
            && self.extra.as_deref().is_none_or(Extra::is_idle)
    }

    pub fn extra(&mut self) -> &mut Extra {
        self.extra.get_or_insert_with(Box::default)
    }

    /// The boxed part, if it exists (read-only callers need not create it).
    pub fn extra_ref(&self) -> Option<&Extra> {
        self.extra.as_deref()
    }
}

/// A send recorded for project caps.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SendRecord {
    pub at: i64,
    pub rule: u32,
    pub channel: Option<Arc<str>>,
}

/// A customer's state; the customer's id is its key in the engine's map
/// (kept once, not in every entry twice).
#[derive(Debug, Default)]
pub struct Customer {
    pub rules: RuleStates,
    /// The profile and send history, boxed: most customers have neither
    /// (no identify event, nothing sent yet), and a million customers
    /// with a pending wait then cost one word each for them, not six.
    more: Option<Box<More>>,
    /// The pending sweep timer (its sequence number) and when the sweep
    /// is due, which may have moved past the timer (derived state: re-armed
    /// on restore).
    /// (Sequence numbers start at 1: the niche keeps this at 16 bytes.)
    pub sweep: Option<(NonZeroU64, i64)>,
}

#[derive(Debug)]
struct More {
    profile: Value,
    sends: Vec<SendRecord>,
}

impl Default for More {
    fn default() -> More {
        More {
            profile: Value::Null,
            sends: Vec::new(),
        }
    }
}

static NO_PROFILE: Value = Value::Null;

impl Customer {
    /// `customer.*`: null until an identify event.
    pub fn profile(&self) -> &Value {
        self.more.as_ref().map_or(&NO_PROFILE, |m| &m.profile)
    }

    pub fn set_profile(&mut self, profile: Value) {
        self.more.get_or_insert_with(Box::default).profile = profile;
    }

    /// Sends recorded for project caps, oldest first.
    pub fn sends(&self) -> &[SendRecord] {
        self.more.as_ref().map_or(&[], |m| &m.sends)
    }

    pub fn sends_mut(&mut self) -> &mut Vec<SendRecord> {
        &mut self.more.get_or_insert_with(Box::default).sends
    }

    pub fn rule(&mut self, rule: u32) -> &mut RuleState {
        self.rules.entry(rule)
    }

    pub fn rule_ref(&self, rule: u32) -> Option<&RuleState> {
        self.rules.get(rule)
    }

    /// Merges identify traits into the profile (top-level, last wins).
    pub fn merge_profile(&mut self, traits: &[(Arc<str>, Value)]) {
        let mut fields: Vec<(Arc<str>, Value)> = match self.profile() {
            Value::Object(f) => f.to_vec(),
            _ => Vec::new(),
        };
        for (k, v) in traits {
            match fields.iter_mut().find(|(n, _)| n == k) {
                Some(slot) => slot.1 = v.clone(),
                None => fields.push((k.clone(), v.clone())),
            }
        }
        self.set_profile(Value::Object(Arc::from(fields)));
    }

    /// Whether nothing is held for this customer: it can be dropped and
    /// costs no memory until its next event that needs state.
    pub fn is_idle(&self) -> bool {
        self.more
            .as_deref()
            .is_none_or(|m| m.profile.is_null() && m.sends.is_empty())
            && self.rules.iter().all(|(_, r)| r.is_idle())
    }
}

/// A customer's per-rule states, sparse, by rule index. The indexes are
/// kept apart from the states, in order: a lookup binary-searches 4-byte
/// keys (a hundred rules: seven cache lines) instead of striding through
/// 48-byte entries with a cache miss at each probe, which was a tenth of
/// a 1,000-rule run.
#[derive(Debug, Default)]
pub struct RuleStates {
    ids: ThinVec<u32>,
    states: ThinVec<RuleState>,
}

impl RuleStates {
    pub fn get(&self, rule: u32) -> Option<&RuleState> {
        let i = self.ids.binary_search(&rule).ok()?;
        self.states.get(i)
    }

    pub fn get_mut(&mut self, rule: u32) -> Option<&mut RuleState> {
        let i = self.ids.binary_search(&rule).ok()?;
        self.states.get_mut(i)
    }

    /// The rule's state, added (empty) if the customer had none.
    pub fn entry(&mut self, rule: u32) -> &mut RuleState {
        let i = match self.ids.binary_search(&rule) {
            Ok(i) => i,
            Err(i) => {
                // Exact growth for the first two (most customers touch one
                // or two rules), doubling after (a customer of many rules
                // must not copy them all at each new one).
                if self.ids.len() < 2 {
                    self.ids.reserve_exact(1);
                    self.states.reserve_exact(1);
                }
                self.ids.insert(i, rule);
                self.states.insert(i, RuleState::default());
                i
            }
        };
        &mut self.states[i]
    }

    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.ids.len()
    }

    /// (rule index, state), by rule index.
    pub fn iter(&self) -> impl Iterator<Item = (u32, &RuleState)> {
        self.ids.iter().copied().zip(self.states.iter())
    }

    pub fn iter_mut(&mut self) -> impl Iterator<Item = (u32, &mut RuleState)> {
        self.ids.iter().copied().zip(self.states.iter_mut())
    }

    /// Keeps the states `keep` accepts.
    pub fn retain(&mut self, mut keep: impl FnMut(&RuleState) -> bool) {
        let mut kept = 0;
        for i in 0..self.states.len() {
            if keep(&self.states[i]) {
                self.ids.swap(kept, i);
                self.states.swap(kept, i);
                kept += 1;
            }
        }
        self.ids.truncate(kept);
        self.states.truncate(kept);
    }
}

impl FromIterator<(u32, RuleState)> for RuleStates {
    fn from_iter<I: IntoIterator<Item = (u32, RuleState)>>(iter: I) -> RuleStates {
        let mut v: Vec<(u32, RuleState)> = iter.into_iter().collect();
        v.sort_by_key(|(r, _)| *r);
        // One state a rule: a hand-edited store naming a rule twice keeps
        // the first.
        v.dedup_by_key(|(r, _)| *r);
        let (ids, states) = v.into_iter().unzip::<_, _, Vec<u32>, Vec<RuleState>>();
        RuleStates {
            ids: ThinVec::from(ids),
            states: ThinVec::from(states),
        }
    }
}

/// The key as it enters the action id: a type tag and the rendered value,
/// empty for the default per-customer key.
pub fn key_text(key: &Value, has_key: bool) -> String {
    if !has_key {
        return String::new();
    }
    let tag = match key {
        Value::Null => "z",
        Value::Bool(_) => "b",
        Value::Num(_) => "n",
        Value::Str(_) => "s",
        Value::Time(_) => "t",
        Value::Dur(_) => "d",
        Value::List(_) => "l",
        Value::Object(_) => "o",
    };
    format!("{tag}:{}", key.render())
}

/// Thin vectors in snapshots: written as sequences, like a `Vec`.
mod thin {
    use serde::{Deserialize, Deserializer, Serialize, Serializer};
    use thin_vec::ThinVec;

    pub fn serialize<T: Serialize, S: Serializer>(v: &ThinVec<T>, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(v.iter())
    }

    pub fn deserialize<'de, T: Deserialize<'de>, D: Deserializer<'de>>(
        d: D,
    ) -> Result<ThinVec<T>, D::Error> {
        Vec::<T>::deserialize(d).map(ThinVec::from)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(r: &RuleStates) -> Vec<u32> {
        r.iter().map(|(id, _)| id).collect()
    }

    #[test]
    fn rule_states_stay_in_rule_order_with_their_states() {
        let mut r = RuleStates::default();
        for id in [7, 2, 9, 4, 2] {
            r.entry(id).first_seen = id % 2 == 0;
        }
        assert_eq!(ids(&r), [2, 4, 7, 9]);
        assert!(r.get(4).is_some_and(|s| s.first_seen));
        assert!(r.get(7).is_some_and(|s| !s.first_seen));
        assert!(r.get(5).is_none());
        r.retain(|s| s.first_seen);
        assert_eq!(ids(&r), [2, 4]);
        assert!(r.get_mut(9).is_none() && r.get(2).is_some_and(|s| s.first_seen));
    }

    #[test]
    fn rule_states_from_records_are_sorted() {
        let r: RuleStates = [(5, RuleState::default()), (1, RuleState::default())]
            .into_iter()
            .collect();
        assert_eq!(ids(&r), [1, 5]);
        assert_eq!(r.len(), 2);
    }
}
