//! Firing: what happens once a pattern completed. Order at fire time, as
//! LANGUAGE.md fixes it: guards → eligibility and cascade steps → (quiet
//! hours may defer: at send time guards and eligibility are checked again)
//! → holdout → limits and caps, which are decided together for all sends
//! due for one customer at one instant (higher priority first, then rule
//! name).

use std::sync::Arc;

use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

use crate::check::channels::param_text_problem;
use crate::compile::program::{CapMeta, LangMeta, ParamsMeta, StepMeta, TextPart};

use super::action::{
    Action, ActionStep, Content, Notice, NoticeKind, Reason, StepParams, TriggerRef,
};
use super::engine::{Engine, TimerKind};
use super::ids::{action_id, in_holdout, EventIdentity};
use super::quiet::deferral;
use super::state::{key_text, Deferred, Ev, GoalRecord, Match, SendRecord};
use super::value::Value;
use super::Sink;

/// Open goal windows kept per customer and rule.
const MAX_GOALS: usize = 1_000;

/// A send that passed guards, eligibility and holdout, waiting for limits
/// and caps at its instant.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Due {
    pub(crate) customer: Arc<str>,
    pub(crate) rule: u32,
    m: Match,
    fired_at: i64,
    send_at: i64,
    steps: Vec<ActionStep>,
    held_out: bool,
}

impl Engine {
    /// A pattern completed at `at`.
    pub(crate) fn fire(&mut self, r: u32, m: Match, at: i64, sink: &mut dyn Sink) {
        self.stats.rules[r as usize].fired += 1;
        if !self.guards_hold(r, &m, at, sink) {
            return;
        }
        let Some(steps) = self.usable_steps(r, &m, at, sink) else {
            return;
        };
        let Some(send_at) = self.quiet_until(r, &m, at) else {
            self.due_send(r, m, at, at, steps);
            return;
        };
        let id = self.new_id();
        let cid = customer_of(&m);
        let d = Deferred {
            id,
            m,
            fired_at: at,
            send_at,
        };
        self.stats.rules[r as usize].deferred += 1;
        self.notice(
            r,
            &d.m,
            at,
            NoticeKind::Deferred { until: send_at },
            "quiet hours".into(),
            sink,
        );
        self.note(&cid, at, r, || {
            format!(
                "quiet hours: send deferred to {}",
                super::time::format_rfc3339(send_at)
            )
        });
        self.customer(&cid).rule(r).extra().deferred.push(d);
        self.arm(send_at, TimerKind::Deferred { rule: r, id }, &cid);
    }

    /// A deferred send's time came: guards and eligibility again, against
    /// the profile then, and the steps are rendered then.
    pub(crate) fn send_deferred(&mut self, r: u32, d: Deferred, sink: &mut dyn Sink) {
        if !self.guards_hold(r, &d.m, d.send_at, sink) {
            return;
        }
        if let Some(steps) = self.usable_steps(r, &d.m, d.send_at, sink) {
            self.due_send(r, d.m, d.fired_at, d.send_at, steps);
        }
    }

    /// Checks `if`/`unless` guards against the profile now; a failure is
    /// reported as a suppression.
    fn guards_hold(&mut self, r: u32, m: &Match, now: i64, sink: &mut dyn Sink) -> bool {
        let prog = self.prog.clone();
        let cid = customer_of(m);
        let profile = self.profile(&cid);
        for g in &prog.rules[r as usize].guards {
            let reason = match self.test(r, g.func, None, &m.bindings, &profile, now) {
                Ok(v) if v != g.negated => continue,
                Ok(_) => Reason::Guard,
                Err(()) => Reason::TypeError,
            };
            let loc = prog.code_loc(prog.funcs[g.func as usize].start);
            let detail = format!(
                "{} at {}",
                if reason == Reason::Guard {
                    "guard did not hold"
                } else {
                    "type error in guard"
                },
                loc
            );
            self.suppress(r, m, now, reason, detail, sink);
            return false;
        }
        true
    }

    /// The end of the quiet window holding `at`, if the rule has quiet
    /// hours and the customer has a valid time zone.
    fn quiet_until(&mut self, r: u32, m: &Match, at: i64) -> Option<i64> {
        let prog = self.prog.clone();
        let q = prog.rules[r as usize].quiet.as_ref()?;
        let cid = customer_of(m);
        let profile = self.profile(&cid);
        let from_expr = match q.zone {
            Some(f) => self.eval(r, f, None, &m.bindings, &profile, at).ok(),
            None => None,
        };
        let zone = [from_expr, Some(profile.get("timezone").clone())]
            .into_iter()
            .flatten()
            .find_map(|v| match v {
                Value::Str(s) => s.parse::<Tz>().ok(),
                _ => None,
            })
            .or_else(|| {
                prog.settings
                    .timezone
                    .as_deref()
                    .and_then(|z| z.parse::<Tz>().ok())
            });
        let Some(tz) = zone else {
            self.stats.quiet_without_zone += 1;
            return None;
        };
        deferral(at, q.start, q.end, tz)
    }

    /// The cascade steps this customer can receive now; none is a
    /// suppression (`no_usable_step`, with why each step was dropped).
    fn usable_steps(
        &mut self,
        r: u32,
        m: &Match,
        now: i64,
        sink: &mut dyn Sink,
    ) -> Option<Vec<ActionStep>> {
        let prog = self.prog.clone();
        let mut steps = Vec::new();
        let mut dropped = Vec::new();
        for s in &prog.rules[r as usize].steps {
            match self.step(r, s, m, now) {
                Ok(step) => steps.push(step),
                Err(why) => dropped.push(format!("{}: {why}", s.channel())),
            }
        }
        if steps.is_empty() {
            self.suppress(r, m, now, Reason::NoUsableStep, dropped.join("; "), sink);
            return None;
        }
        Some(steps)
    }

    /// Holdout; then the send waits for limits and caps at its instant.
    fn due_send(&mut self, r: u32, m: Match, fired_at: i64, send_at: i64, steps: Vec<ActionStep>) {
        let meta = &self.prog.rules[r as usize];
        let cid = customer_of(&m);
        let held_out = meta
            .holdout
            .is_some_and(|bp| in_holdout(&meta.name, &cid, bp));
        self.due.push(Due {
            customer: cid,
            rule: r,
            m,
            fired_at,
            send_at,
            steps,
            held_out,
        });
    }

    /// One cascade step for this customer, or why it can't be used.
    fn step(&mut self, r: u32, s: &StepMeta, m: &Match, now: i64) -> Result<ActionStep, String> {
        let cid = customer_of(m);
        let profile = self.profile(&cid);
        self.eligible(s.channel(), &profile)?;
        let (content, lang, params) = match s {
            StepMeta::Text { parts, .. } => {
                let mut text = String::new();
                for p in parts {
                    match p {
                        TextPart::Literal(l) => text.push_str(l),
                        TextPart::Func(f) => {
                            let v = self
                                .eval(r, *f, None, &m.bindings, &profile, now)
                                .map_err(|_| "type error in the text".to_string())?;
                            text.push_str(&v.render());
                        }
                    }
                }
                (Content::Text(text), None, StepParams::None)
            }
            StepMeta::Template {
                channel,
                name,
                lang,
                params,
                ..
            } => {
                let whatsapp = channel == "whatsapp";
                let lang = self.lang(r, lang, m, &profile, now)?;
                let params = self.params(r, params, m, &profile, now, whatsapp)?;
                (Content::Template(Arc::from(name.as_str())), lang, params)
            }
        };
        Ok(ActionStep {
            channel: Arc::from(s.channel()),
            content,
            lang,
            params,
        })
    }

    /// A step is usable when the customer has the consent and contact
    /// attributes `trig.toml` names for its channel.
    fn eligible(&self, channel: &str, profile: &Value) -> Result<(), String> {
        let Some(e) = self
            .prog
            .settings
            .eligibility
            .iter()
            .find(|e| e.channel == channel)
        else {
            return Ok(());
        };
        if let Some(path) = &e.consent {
            if profile.path(path) != &Value::Bool(true) {
                return Err(format!(
                    "no consent (`customer.{}` is not true)",
                    path.join(".")
                ));
            }
        }
        if let Some(path) = &e.contact {
            if profile.path(path).is_blank() {
                return Err(format!(
                    "no contact (`customer.{}` is missing)",
                    path.join(".")
                ));
            }
        }
        Ok(())
    }

    /// The template language: fixed, or the dynamic value matched exactly,
    /// then by base language, then the default.
    fn lang(
        &mut self,
        r: u32,
        lang: &LangMeta,
        m: &Match,
        profile: &Value,
        now: i64,
    ) -> Result<Option<String>, String> {
        match lang {
            LangMeta::None => Ok(None),
            LangMeta::Fixed(l) => Ok(Some(l.clone())),
            LangMeta::Dynamic {
                func,
                approved,
                default,
            } => {
                let v = self
                    .eval(r, *func, None, &m.bindings, profile, now)
                    .map_err(|_| "type error in `lang`".to_string())?;
                let wanted = match &v {
                    Value::Str(s) => s.trim().replace('-', "_"),
                    _ => String::new(),
                };
                match_language(&wanted, approved, default.as_deref())
                    .map(Some)
                    .ok_or_else(|| format!("no approved language for `{}`", v.render()))
            }
        }
    }

    fn params(
        &mut self,
        r: u32,
        params: &ParamsMeta,
        m: &Match,
        profile: &Value,
        now: i64,
        whatsapp: bool,
    ) -> Result<StepParams, String> {
        let value = |this: &mut Engine, f: u32, what: &str| -> Result<String, String> {
            let v = this
                .eval(r, f, None, &m.bindings, profile, now)
                .map_err(|_| format!("type error in parameter {what}"))?;
            if whatsapp {
                if v.is_blank() {
                    return Err(format!("parameter {what} is empty"));
                }
                let text = v.render();
                if let Some(p) = param_text_problem(&text) {
                    return Err(format!("parameter {what} {p}"));
                }
                return Ok(text);
            }
            Ok(v.render())
        };
        Ok(match params {
            ParamsMeta::None => StepParams::None,
            ParamsMeta::Positional { values, header } => {
                let mut out = Vec::new();
                for (i, f) in values.iter().enumerate() {
                    out.push(value(self, *f, &format!("{}", i + 1))?);
                }
                let header = match header {
                    Some(h) => Some(value(self, *h, "header")?),
                    None => None,
                };
                StepParams::Positional {
                    values: out,
                    header,
                }
            }
            ParamsMeta::Named { values, header } => {
                let mut out = Vec::new();
                for (n, f) in values {
                    out.push((n.clone(), value(self, *f, &format!("`{n}`"))?));
                }
                let header = match header {
                    Some(h) => Some(value(self, *h, "header")?),
                    None => None,
                };
                StepParams::Named {
                    values: out,
                    header,
                }
            }
        })
    }

    /// Decides every send due at the current instant: per customer, higher
    /// priority first, then rule name; `once`, `limit` and caps apply now.
    pub(crate) fn flush_due(&mut self, sink: &mut dyn Sink) {
        if self.due.is_empty() {
            self.drop_idle();
            return;
        }
        let mut due = std::mem::take(&mut self.due);
        let prog = self.prog.clone();
        due.sort_by(|a, b| {
            let (ra, rb) = (&prog.rules[a.rule as usize], &prog.rules[b.rule as usize]);
            (&a.customer, std::cmp::Reverse(ra.priority), &ra.name).cmp(&(
                &b.customer,
                std::cmp::Reverse(rb.priority),
                &rb.name,
            ))
        });
        for d in due {
            self.decide(d, sink);
        }
        self.drop_idle();
    }

    fn decide(&mut self, mut d: Due, sink: &mut dyn Sink) {
        let prog = self.prog.clone();
        let meta = &prog.rules[d.rule as usize];
        let at = d.send_at;
        // Deciding changes the customer (send history): it must reach the
        // next checkpoint even if no event of theirs comes at this instant.
        let h = self.cix(&d.customer);
        self.touched.push(h);
        let cust = self.customers.at_mut(h);
        let state = cust.rule(d.rule);
        let blocked = if meta.once && state.extra().ever_sent {
            Some((Reason::Once, "already sent once".to_string()))
        } else if let Some((n, per)) = meta.limit {
            let floor = at.saturating_sub(per);
            let recent = state.extra().sent.iter().filter(|&&t| t > floor).count();
            (recent >= n as usize).then(|| {
                (
                    Reason::Limit,
                    format!("limit {n} per {}", super::time::format_duration(per)),
                )
            })
        } else {
            None
        };
        let blocked = blocked.or_else(|| cap_block(&prog, cust, &d, at));
        if blocked.is_none() {
            // Channel caps drop the steps of capped channels.
            let channels = &prog.settings.cap_channel;
            d.steps.retain(|s| {
                channels
                    .iter()
                    .find(|(c, _)| **c == *s.channel)
                    .is_none_or(|(c, cap)| {
                        under_cap(cust, *cap, at, |rec| {
                            rec.channel.as_deref() == Some(c.as_str())
                        })
                    })
            });
        }
        let blocked = blocked.or_else(|| {
            d.steps.is_empty().then(|| {
                (
                    Reason::Cap,
                    "channel caps reached for every step".to_string(),
                )
            })
        });
        if let Some((reason, detail)) = blocked {
            self.suppress(d.rule, &d.m, at, reason, detail, sink);
            return;
        }
        // Record the send (held-out ones too: they count for limits and caps).
        let state = cust.rule(d.rule);
        state.extra().ever_sent = true;
        // Only `limit` needs the times, and only the latest N of them.
        if let Some((n, _)) = meta.limit {
            let sent = &mut state.extra().sent;
            sent.push_back(at);
            while sent.len() > n as usize {
                sent.pop_front();
            }
        }
        if let Some(g) = &meta.goal {
            let goals = &mut state.extra().goals;
            // Open goal windows are bounded per customer; the oldest is
            // the least likely to convert.
            if goals.len() >= MAX_GOALS {
                goals.remove(0);
            }
            goals.push(GoalRecord {
                send_at: at,
                deadline: at.saturating_add(g.within_ms),
                held_out: d.held_out,
                converted: false,
                bindings: d.m.bindings.clone(),
            });
        }
        let horizon = cap_horizon(&prog.settings);
        cust.sends_mut()
            .retain(|s| s.at > at.saturating_sub(horizon));
        cust.sends_mut().push(SendRecord {
            at,
            rule: d.rule,
            channel: d.steps.first().map(|s| s.channel.clone()),
        });
        let stats = &mut self.stats.rules[d.rule as usize];
        if meta.goal.is_some() {
            if d.held_out {
                stats.goal.holdout += 1;
            } else {
                stats.goal.sent += 1;
            }
        }
        if d.held_out {
            self.suppress(
                d.rule,
                &d.m,
                at,
                Reason::Holdout,
                "in the holdout group".into(),
                sink,
            );
            return;
        }
        let channel = d.steps[0].channel.to_string();
        *self.stats.rules[d.rule as usize]
            .channels
            .entry(channel)
            .or_default() += 1;
        self.stats.rules[d.rule as usize].actions += 1;
        let (id, trigger) = identity(meta.name.as_str(), meta.key.is_some(), &d.m);
        self.note(&d.customer, at, d.rule, || {
            format!(
                "fired: send {}",
                d.steps
                    .iter()
                    .map(|s| s.channel.to_string())
                    .collect::<Vec<_>>()
                    .join(" → ")
            )
        });
        sink.action(Action {
            id,
            rule: Arc::from(meta.name.as_str()),
            customer: d.customer.clone(),
            fired_at: d.fired_at,
            send_at: at,
            steps: d.steps,
            trigger,
        });
    }

    /// A goal event: converts earlier sends (and holdouts) whose window
    /// holds it.
    pub(crate) fn goal(&mut self, r: u32, ev: &Arc<Ev>) {
        let prog = self.prog.clone();
        let Some(g) = &prog.rules[r as usize].goal else {
            return;
        };
        let now = ev.event.time;
        let cid = ev.event.customer.clone();
        let profile = self.profile(&cid);
        let records = match self.customer_ref(&cid).and_then(|c| c.rule_ref(r)) {
            Some(s) => s.extra_ref().map(|x| x.goals.clone()).unwrap_or_default(),
            None => return,
        };
        let mut converted = Vec::new();
        for (i, rec) in records.iter().enumerate() {
            if rec.converted || now < rec.send_at || now >= rec.deadline {
                continue;
            }
            let ok = match g.filter {
                Some(f) => self.test(r, f, Some(ev), &rec.bindings, &profile, now) == Ok(true),
                None => true,
            };
            if ok {
                converted.push(i);
            }
        }
        let Some(h) = self.find(&cid) else {
            return;
        };
        let c = self.customers.at_mut(h);
        let state = c.rule(r);
        for i in converted {
            state.extra().goals[i].converted = true;
            let s = &mut self.stats.rules[r as usize].goal;
            if state.extra().goals[i].held_out {
                s.holdout_converted += 1;
            } else {
                s.sent_converted += 1;
            }
        }
        state
            .extra()
            .goals
            .retain(|g| !g.converted && g.deadline > now);
    }

    pub(crate) fn suppress(
        &mut self,
        r: u32,
        m: &Match,
        at: i64,
        reason: Reason,
        detail: String,
        sink: &mut dyn Sink,
    ) {
        *self.stats.rules[r as usize]
            .suppressed
            .entry(reason)
            .or_default() += 1;
        let cid = customer_of(m);
        self.note(&cid, at, r, || {
            format!("suppressed ({}): {detail}", reason.as_str())
        });
        self.notice(r, m, at, NoticeKind::Suppressed(reason), detail, sink);
    }

    pub(crate) fn notice_cancelled(
        &mut self,
        r: u32,
        d: &Deferred,
        at: i64,
        detail: String,
        sink: &mut dyn Sink,
    ) {
        self.suppress(r, &d.m, at, Reason::Cancelled, detail, sink);
    }

    fn notice(
        &mut self,
        r: u32,
        m: &Match,
        at: i64,
        kind: NoticeKind,
        detail: String,
        sink: &mut dyn Sink,
    ) {
        let meta = &self.prog.rules[r as usize];
        let (id, trigger) = identity(&meta.name, meta.key.is_some(), m);
        sink.notice(Notice {
            kind,
            id,
            rule: Arc::from(meta.name.as_str()),
            customer: customer_of(m),
            at,
            detail,
            trigger,
        });
    }
}

fn customer_of(m: &Match) -> Arc<str> {
    m.completing()
        .map(|e| e.event.customer.clone())
        .unwrap_or_else(|| Arc::from(""))
}

/// The action id and the trigger reference of a match.
fn identity(rule: &str, has_key: bool, m: &Match) -> (String, TriggerRef) {
    let key = key_text(&m.key, has_key);
    let Some(ev) = m.completing() else {
        return (
            action_id(rule, &key, &EventIdentity::Id("")),
            TriggerRef {
                event: Arc::from(""),
                at: 0,
                id: None,
            },
        );
    };
    let e = &ev.event;
    let who = match &e.id {
        Some(id) => EventIdentity::Id(id),
        None => EventIdentity::Position {
            customer: &e.customer,
            name: &e.name,
            time: e.time,
            position: ev.position,
        },
    };
    (
        action_id(rule, &key, &who),
        TriggerRef {
            event: e.name.clone(),
            at: e.time,
            id: e.id.clone(),
        },
    )
}

/// Exactly, then by base language (`en_GB` for `en`, `en` for `en_GB`),
/// then the default (matched the same way: a project default `en_US`
/// picks a template's `en`).
pub fn match_language(wanted: &str, approved: &[String], default: Option<&str>) -> Option<String> {
    match_one(wanted, approved).or_else(|| default.and_then(|d| match_one(d, approved)))
}

fn match_one(wanted: &str, approved: &[String]) -> Option<String> {
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
    None
}

fn under_cap(
    cust: &super::state::Customer,
    cap: CapMeta,
    at: i64,
    counts: impl Fn(&SendRecord) -> bool,
) -> bool {
    let floor = at.saturating_sub(cap.per_ms);
    let n = cust
        .sends()
        .iter()
        .filter(|s| s.at > floor && counts(s))
        .count();
    n < cap.count as usize
}

/// The `all` and tag caps.
fn cap_block(
    prog: &crate::compile::program::Program,
    cust: &super::state::Customer,
    d: &Due,
    at: i64,
) -> Option<(Reason, String)> {
    if let Some(cap) = prog.settings.cap_all {
        if !under_cap(cust, cap, at, |_| true) {
            return Some((
                Reason::Cap,
                format!(
                    "cap on all messages: {} per {}",
                    cap.count,
                    super::time::format_duration(cap.per_ms)
                ),
            ));
        }
    }
    let tags = &prog.rules[d.rule as usize].tags;
    for (tag, cap) in &prog.settings.cap_tag {
        if !tags.contains(tag) {
            continue;
        }
        let tagged = |s: &SendRecord| prog.rules[s.rule as usize].tags.contains(tag);
        if !under_cap(cust, *cap, at, tagged) {
            return Some((
                Reason::Cap,
                format!(
                    "cap on tag `{tag}`: {} per {}",
                    cap.count,
                    super::time::format_duration(cap.per_ms)
                ),
            ));
        }
    }
    None
}

/// How long sends must be remembered for caps.
fn cap_horizon(s: &crate::compile::program::Settings) -> i64 {
    let all = s.cap_all.map_or(0, |c| c.per_ms);
    s.cap_channel
        .iter()
        .chain(s.cap_tag.iter())
        .map(|(_, c)| c.per_ms)
        .fold(all, i64::max)
}
