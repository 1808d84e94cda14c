//! What the engine emits: actions (messages to send), suppressions and
//! deferrals, with the JSON shape documented in README.md.

use std::sync::Arc;

use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value as Json};

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

impl TriggerRef {
    fn to_json(&self) -> Json {
        json!({
            "event": &*self.event,
            "at": format_rfc3339(self.at),
            "id": self.id.as_deref(),
        })
    }
}

impl ActionStep {
    fn to_json(&self) -> Json {
        let mut m = Map::new();
        m.insert("channel".into(), Json::from(&*self.channel));
        match &self.content {
            Content::Template(t) => m.insert("template".into(), Json::from(&**t)),
            Content::Text(t) => m.insert("text".into(), Json::from(t.as_str())),
        };
        m.insert(
            "lang".into(),
            self.lang.as_deref().map_or(Json::Null, Json::from),
        );
        let (params, header) = match &self.params {
            StepParams::None => (Json::Array(Vec::new()), None),
            StepParams::Positional { values, header } => (json!(values), header.as_ref()),
            StepParams::Named { values, header } => {
                let obj: Map<String, Json> = values
                    .iter()
                    .map(|(k, v)| (k.clone(), Json::from(v.as_str())))
                    .collect();
                (Json::Object(obj), header.as_ref())
            }
        };
        m.insert("params".into(), params);
        if let Some(h) = header {
            m.insert("header".into(), Json::from(h.as_str()));
        }
        Json::Object(m)
    }
}

impl Action {
    /// One NDJSON line (without the newline), keys in documented order.
    pub fn to_json(&self) -> Json {
        let mut m = Map::new();
        m.insert("id".into(), Json::from(self.id.as_str()));
        m.insert("rule".into(), Json::from(&*self.rule));
        m.insert("customer".into(), Json::from(&*self.customer));
        m.insert("fired_at".into(), Json::from(format_rfc3339(self.fired_at)));
        m.insert("send_at".into(), Json::from(format_rfc3339(self.send_at)));
        let steps: Vec<Json> = self.steps.iter().map(ActionStep::to_json).collect();
        m.insert("steps".into(), Json::Array(steps));
        m.insert("trigger".into(), self.trigger.to_json());
        Json::Object(m)
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
