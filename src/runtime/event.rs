//! One input event, as the decoders produce it and the engine consumes it.

use serde::{Deserialize, Serialize};
use std::sync::Arc;

use super::value::{Fields, Value};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum EventKind {
    /// Something the customer did (NDJSON, CSV, Segment `track`).
    Track,
    /// A profile update (Segment `identify`): `props` are traits merged
    /// into `customer.*`. Not activity: it does not re-arm `inactive`.
    Identify,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Event {
    /// Always a string, even when the input had a number.
    pub customer: Arc<str>,
    pub name: Arc<str>,
    /// Milliseconds since the Unix epoch, UTC (finer is truncated).
    pub time: i64,
    pub id: Option<Arc<str>>,
    pub props: Fields,
    pub kind: EventKind,
}

impl Event {
    pub fn track(customer: &str, name: &str, time: i64) -> Event {
        Event {
            customer: Arc::from(customer),
            name: Arc::from(name),
            time,
            id: None,
            props: Arc::from(Vec::new()),
            kind: EventKind::Track,
        }
    }

    pub fn with_props(mut self, props: Vec<(&str, Value)>) -> Event {
        let fields: Vec<(Arc<str>, Value)> =
            props.into_iter().map(|(k, v)| (Arc::from(k), v)).collect();
        self.props = Arc::from(fields);
        self
    }

    pub fn with_id(mut self, id: &str) -> Event {
        self.id = Some(Arc::from(id));
        self
    }

    pub fn prop(&self, name: &str) -> &Value {
        super::value::lookup(&self.props, name)
    }
}
