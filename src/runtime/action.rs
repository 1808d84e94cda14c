//! What the engine emits: actions (messages to send), suppressions and
//! deferrals, with the JSON shape documented in README.md.

use std::sync::Arc;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value as Json};

use super::time::format_rfc3339;

/// A message to send: the cascade of steps the sender tries in turn.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Action {
    /// Stable across runs and platforms (see `runtime::ids`).
    pub id: String,
    pub rule: Arc<str>,
    pub customer: Arc<str>,
    pub fired_at: i64,
    /// After quiet hours; equal to `fired_at` when not deferred.
    pub send_at: i64,
    pub steps: Vec<ActionStep>,
    pub trigger: TriggerRef,
}

/// The event that completed the pattern.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TriggerRef {
    pub event: Arc<str>,
    pub at: i64,
    pub id: Option<Arc<str>>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ActionStep {
    pub channel: Arc<str>,
    pub content: Content,
    pub lang: Option<String>,
    pub params: StepParams,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Content {
    Template(Arc<str>),
    Text(String),
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum StepParams {
    None,
    Positional {
        values: Vec<String>,
        header: Option<String>,
    },
    Named {
        values: Vec<(String, String)>,
        header: Option<String>,
    },
}

/// Why a due send did not go out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Reason {
    /// An `if` or `unless` guard did not hold.
    Guard,
    /// A guard, filter or value read a value of the wrong type (fail closed).
    TypeError,
    /// No cascade step was usable (eligibility, parameter values, language).
    NoUsableStep,
    Holdout,
    Limit,
    Once,
    Cap,
    /// An absence event arrived while the send was deferred by quiet hours.
    Cancelled,
}

impl Reason {
    /// Every reason, in the order reports list them.
    pub const ALL: [Reason; 8] = [
        Reason::Guard,
        Reason::TypeError,
        Reason::NoUsableStep,
        Reason::Holdout,
        Reason::Limit,
        Reason::Once,
        Reason::Cap,
        Reason::Cancelled,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Reason::Guard => "guard",
            Reason::TypeError => "type_error",
            Reason::NoUsableStep => "no_usable_step",
            Reason::Holdout => "holdout",
            Reason::Limit => "limit",
            Reason::Once => "once",
            Reason::Cap => "cap",
            Reason::Cancelled => "cancelled",
        }
    }
}

/// A send that was suppressed or deferred, with its reason.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Notice {
    pub kind: NoticeKind,
    pub id: String,
    pub rule: Arc<str>,
    pub customer: Arc<str>,
    /// When it happened (the fire or send-due time).
    pub at: i64,
    pub detail: String,
    pub trigger: TriggerRef,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum NoticeKind {
    Suppressed(Reason),
    /// Quiet hours moved the send to `until`.
    Deferred {
        until: i64,
    },
}

/// The JSON shapes, serialized straight from the values (an action line
/// is written once per send: building a `serde_json::Value` tree first
/// cost an allocation per key). Key order is the documented one.
mod shape {
    use serde::ser::{SerializeMap, SerializeStruct, Serializer};
    use serde::Serialize;

    use super::{Action, ActionStep, Content, StepParams, TriggerRef};
    use crate::runtime::time::format_rfc3339;

    pub(super) struct Trigger<'a>(pub &'a TriggerRef);
    pub(super) struct Line<'a>(pub &'a Action);
    struct Step<'a>(&'a ActionStep);
    struct Params<'a>(&'a StepParams);

    impl Serialize for Trigger<'_> {
        fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            let t = self.0;
            let mut m = s.serialize_struct("trigger", 3)?;
            m.serialize_field("event", &*t.event)?;
            m.serialize_field("at", &format_rfc3339(t.at))?;
            m.serialize_field("id", &t.id.as_deref())?;
            m.end()
        }
    }

    impl Serialize for Params<'_> {
        fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            match self.0 {
                StepParams::None => s.collect_seq(std::iter::empty::<&str>()),
                StepParams::Positional { values, .. } => s.collect_seq(values),
                StepParams::Named { values, .. } => {
                    let mut m = s.serialize_map(Some(values.len()))?;
                    for (k, v) in values {
                        m.serialize_entry(k, v)?;
                    }
                    m.end()
                }
            }
        }
    }

    impl Serialize for Step<'_> {
        fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            let step = self.0;
            let header = match &step.params {
                StepParams::None => None,
                StepParams::Positional { header, .. } | StepParams::Named { header, .. } => {
                    header.as_deref()
                }
            };
            let mut m = s.serialize_struct("step", 5)?;
            m.serialize_field("channel", &*step.channel)?;
            match &step.content {
                Content::Template(t) => m.serialize_field("template", &**t)?,
                Content::Text(t) => m.serialize_field("text", t)?,
            }
            m.serialize_field("lang", &step.lang)?;
            m.serialize_field("params", &Params(&step.params))?;
            if let Some(h) = header {
                m.serialize_field("header", h)?;
            }
            m.end()
        }
    }

    impl Serialize for Line<'_> {
        fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            let a = self.0;
            let mut m = s.serialize_struct("action", 7)?;
            m.serialize_field("id", &a.id)?;
            m.serialize_field("rule", &*a.rule)?;
            m.serialize_field("customer", &*a.customer)?;
            m.serialize_field("fired_at", &format_rfc3339(a.fired_at))?;
            m.serialize_field("send_at", &format_rfc3339(a.send_at))?;
            m.serialize_field("steps", &a.steps.iter().map(Step).collect::<Vec<_>>())?;
            m.serialize_field("trigger", &Trigger(&a.trigger))?;
            m.end()
        }
    }
}

impl TriggerRef {
    fn to_json(&self) -> Json {
        serde_json::to_value(shape::Trigger(self)).unwrap_or(Json::Null)
    }
}

impl Action {
    /// One NDJSON line (without the newline), keys in documented order.
    pub fn to_json(&self) -> Json {
        serde_json::to_value(shape::Line(self)).unwrap_or(Json::Null)
    }

    /// Appends the NDJSON line (without the newline): the bytes of
    /// `to_json().to_string()`, without building the tree.
    pub fn write_json(&self, out: &mut Vec<u8>) {
        // Writing into a Vec fails only on a serializer error, and these
        // shapes have none (string keys, no maps with other keys).
        let _ = serde_json::to_writer(out, &shape::Line(self));
    }
}

impl Notice {
    pub fn to_json(&self) -> Json {
        let mut m = Map::new();
        m.insert("id".into(), Json::from(self.id.as_str()));
        m.insert("rule".into(), Json::from(&*self.rule));
        m.insert("customer".into(), Json::from(&*self.customer));
        m.insert("at".into(), Json::from(format_rfc3339(self.at)));
        match self.kind {
            NoticeKind::Suppressed(r) => {
                m.insert("outcome".into(), Json::from("suppressed"));
                m.insert("reason".into(), Json::from(r.as_str()));
            }
            NoticeKind::Deferred { until } => {
                m.insert("outcome".into(), Json::from("deferred"));
                m.insert("reason".into(), Json::from("quiet_hours"));
                m.insert("until".into(), Json::from(format_rfc3339(until)));
            }
        }
        m.insert("detail".into(), Json::from(self.detail.as_str()));
        m.insert("trigger".into(), self.trigger.to_json());
        Json::Object(m)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn action(steps: Vec<ActionStep>) -> Action {
        Action {
            id: "00ff".into(),
            rule: Arc::from("r"),
            customer: Arc::from("c\"1"),
            fired_at: 0,
            send_at: 1_500,
            steps,
            trigger: TriggerRef {
                event: Arc::from("cart.abandoned"),
                at: 0,
                id: None,
            },
        }
    }

    fn step(content: Content, lang: Option<&str>, params: StepParams) -> ActionStep {
        ActionStep {
            channel: Arc::from("whatsapp"),
            content,
            lang: lang.map(str::to_string),
            params,
        }
    }

    #[test]
    fn the_line_has_the_documented_keys_in_order() {
        let a = action(vec![
            step(
                Content::Template(Arc::from("cart_reminder")),
                Some("en_US"),
                StepParams::Named {
                    values: vec![("name".into(), "Ana".into()), ("url".into(), "u".into())],
                    header: Some("h".into()),
                },
            ),
            step(
                Content::Text("Hi {x}".into()),
                None,
                StepParams::Positional {
                    values: vec!["1".into()],
                    header: None,
                },
            ),
            step(Content::Text("t".into()), None, StepParams::None),
        ]);
        let want = concat!(
            r#"{"id":"00ff","rule":"r","customer":"c\"1","fired_at":"1970-01-01T00:00:00.000Z","#,
            r#""send_at":"1970-01-01T00:00:01.500Z","steps":["#,
            r#"{"channel":"whatsapp","template":"cart_reminder","lang":"en_US","params":{"name":"Ana","url":"u"},"header":"h"},"#,
            r#"{"channel":"whatsapp","text":"Hi {x}","lang":null,"params":["1"]},"#,
            r#"{"channel":"whatsapp","text":"t","lang":null,"params":[]}],"#,
            r#""trigger":{"event":"cart.abandoned","at":"1970-01-01T00:00:00.000Z","id":null}}"#
        );
        let mut line = Vec::new();
        a.write_json(&mut line);
        assert_eq!(String::from_utf8(line).unwrap(), want);
        assert_eq!(a.to_json().to_string(), want);
    }
}
