//! Rule tests (`trig test`): a customer, their events, and the sends
//! expected (and expected not to happen), run through the real compiled
//! program on the real engine. `suite` reads the file format; this module
//! runs one case and compares; the binary discovers files and prints.

pub mod suite;

use std::sync::Arc;

use crate::compile::Program;
use crate::runtime::action::{Content, StepParams};
use crate::runtime::time::{format_duration, format_rfc3339};
use crate::runtime::{Action, Collect, Engine};

pub use suite::{parse, Case, Expected, Params, Suite, SuiteError};

/// The rules a suite's tests name (in `rules`, `expect` or
/// `expect_not`): what `trig check --require-tests` counts as covered.
pub fn rules_named(suite: &Suite) -> std::collections::BTreeSet<String> {
    suite
        .tests
        .iter()
        .flat_map(|c| {
            let named = c
                .expect
                .iter()
                .chain(&c.expect_not)
                .filter_map(|x| x.rule.clone());
            c.scope.iter().flatten().cloned().chain(named)
        })
        .collect()
}

/// What one case did.
#[derive(Debug)]
pub struct Outcome {
    /// Every send of the run (in scope or not), in emission order.
    pub sends: Vec<Action>,
    /// `expect` entries no send matched.
    pub missing: Vec<Expected>,
    /// Sends in scope that no `expect` matched (exhaustive cases only).
    pub unexpected: Vec<Action>,
    /// Sends that an `expect_not` entry matched, with that entry.
    pub forbidden: Vec<(Expected, Action)>,
}

impl Outcome {
    pub fn passed(&self) -> bool {
        self.missing.is_empty() && self.unexpected.is_empty() && self.forbidden.is_empty()
    }
}

/// Runs a case from an empty state.
pub fn run_case(program: &Arc<Program>, case: &Case) -> Outcome {
    let mut engine = Engine::new(program.clone());
    let mut sink = Collect::default();
    for e in &case.events {
        // Sorted by time: never late, so nothing is refused.
        let _ = engine.push(e.clone(), &mut sink);
    }
    engine.finish(Some(case.until), &mut sink);
    compare(case, sink.actions)
}

fn compare(case: &Case, sends: Vec<Action>) -> Outcome {
    let in_scope = |a: &Action| {
        case.scope
            .as_ref()
            .is_none_or(|rules| rules.iter().any(|r| **r == *a.rule))
    };
    let mut used = vec![false; sends.len()];
    let mut missing = Vec::new();
    for x in &case.expect {
        let found = (0..sends.len()).find(|&i| !used[i] && matches(x, &sends[i]));
        match found {
            Some(i) => used[i] = true,
            None => missing.push(x.clone()),
        }
    }
    let forbidden: Vec<(Expected, Action)> = case
        .expect_not
        .iter()
        .flat_map(|x| {
            sends
                .iter()
                .filter(|a| matches(x, a))
                .map(|a| (x.clone(), a.clone()))
        })
        .collect();
    // A forbidden send is reported once, as forbidden.
    let is_forbidden = |a: &Action| forbidden.iter().any(|(_, f)| f.id == a.id);
    let unexpected = sends
        .iter()
        .zip(&used)
        .filter(|(a, u)| case.exhaustive && !**u && in_scope(a) && !is_forbidden(a))
        .map(|(a, _)| a.clone())
        .collect();
    Outcome {
        sends,
        missing,
        unexpected,
        forbidden,
    }
}

/// Whether a send has every field the expectation gives (the first
/// cascade step: the channel tried first, after eligibility).
pub fn matches(x: &Expected, a: &Action) -> bool {
    let step = a.steps.first();
    let eq =
        |want: &Option<String>, got: Option<&str>| want.as_deref().is_none_or(|w| got == Some(w));
    let template = step.and_then(|s| match &s.content {
        Content::Template(t) => Some(&**t),
        Content::Text(_) => None,
    });
    let text = step.and_then(|s| match &s.content {
        Content::Text(t) => Some(t.as_str()),
        Content::Template(_) => None,
    });
    eq(&x.rule, Some(&a.rule))
        && eq(&x.channel, step.map(|s| &*s.channel))
        && eq(&x.template, template)
        && eq(&x.text, text)
        && eq(&x.lang, step.and_then(|s| s.lang.as_deref()))
        && x.at.is_none_or(|t| t == a.send_at)
        && x.params
            .as_ref()
            .is_none_or(|p| step.is_some_and(|s| params_match(p, &s.params)))
}

fn params_match(want: &Params, got: &StepParams) -> bool {
    match (want, got) {
        (Params::Positional(w), StepParams::Positional { values, .. }) => w == values,
        (Params::Named(w), StepParams::Named { values, .. }) => {
            let mut w = w.clone();
            let mut g = values.clone();
            w.sort();
            g.sort();
            w == g
        }
        (Params::Positional(w), StepParams::None) => w.is_empty(),
        _ => false,
    }
}

/// A send on one line, with its time relative to the case's start.
pub fn describe_send(a: &Action, start: i64) -> String {
    let mut s = format!("{}: ", a.rule);
    match a.steps.first() {
        Some(step) => {
            s.push_str(&step.channel);
            match &step.content {
                Content::Template(t) => s.push_str(&format!(" template {t:?}")),
                Content::Text(t) => s.push_str(&format!(" {t:?}")),
            }
            if let Some(l) = &step.lang {
                s.push_str(&format!(" lang {l}"));
            }
            match &step.params {
                StepParams::None => {}
                StepParams::Positional { values, .. } => s.push_str(&format!(" {values:?}")),
                StepParams::Named { values, .. } => {
                    let v: Vec<String> =
                        values.iter().map(|(k, v)| format!("{k}: {v:?}")).collect();
                    s.push_str(&format!(" {{{}}}", v.join(", ")));
                }
            }
        }
        None => s.push_str("(no step)"),
    }
    s.push_str(&format!(" at {}", when(a.send_at, start)));
    s
}

/// An expectation on one line: only the fields it gives.
pub fn describe_expected(x: &Expected, start: i64) -> String {
    let mut parts = Vec::new();
    let mut field = |k: &str, v: &Option<String>| {
        if let Some(v) = v {
            parts.push(format!("{k} {v:?}"));
        }
    };
    field("rule", &x.rule);
    field("channel", &x.channel);
    field("template", &x.template);
    field("text", &x.text);
    field("lang", &x.lang);
    match &x.params {
        Some(Params::Positional(v)) => parts.push(format!("params {v:?}")),
        Some(Params::Named(v)) => {
            let v: Vec<String> = v.iter().map(|(k, v)| format!("{k}: {v:?}")).collect();
            parts.push(format!("params {{{}}}", v.join(", ")));
        }
        None => {}
    }
    if let Some(t) = x.at {
        parts.push(format!("at {}", when(t, start)));
    }
    if parts.is_empty() {
        "any send".into()
    } else {
        parts.join(", ")
    }
}

/// `2024-05-06T12:00:00.000Z (+2h)`.
fn when(t: i64, start: i64) -> String {
    let d = t - start;
    let rel = if d >= 0 {
        format!("+{}", format_duration(d))
    } else {
        format!("-{}", format_duration(-d))
    };
    format!("{} ({rel})", format_rfc3339(t))
}
