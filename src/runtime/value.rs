//! Run-time values: what event props, profile attributes and expressions
//! hold. Strings, lists and objects are reference-counted so that binding an
//! event to a waiting instance or reading a prop never copies text.

use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// An object's fields in input order. Props objects are small, so a slice
/// searched linearly beats a hash map and allocates once.
pub type Fields = Arc<[(Arc<str>, Value)]>;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Value {
    Null,
    Bool(bool),
    Num(f64),
    Str(Arc<str>),
    /// Milliseconds since the Unix epoch, UTC.
    Time(i64),
    /// Milliseconds.
    Dur(i64),
    List(Arc<[Value]>),
    Object(Fields),
}

impl Value {
    pub fn str(s: &str) -> Value {
        Value::Str(Arc::from(s))
    }

    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }

    /// Null, or a string that is empty or only whitespace: what `??`
    /// replaces and what a WhatsApp parameter may not be.
    pub fn is_blank(&self) -> bool {
        match self {
            Value::Null => true,
            Value::Str(s) => s.trim().is_empty(),
            _ => false,
        }
    }

    /// A field of an object; null for anything else or a missing name.
    pub fn get(&self, name: &str) -> &Value {
        match self {
            Value::Object(fields) => lookup(fields, name),
            _ => &NULL,
        }
    }

    /// Follows a dotted path through nested objects.
    pub fn path<S: AsRef<str>>(&self, path: &[S]) -> &Value {
        path.iter().fold(self, |v, name| v.get(name.as_ref()))
    }

    pub fn type_name(&self) -> &'static str {
        match self {
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

    /// The text a value renders as in messages and parameters: numbers in
    /// shortest round-trip form, timestamps in RFC 3339 UTC. Null renders
    /// as the empty string (callers that must refuse null check first).
    pub fn render(&self) -> String {
        match self {
            Value::Null => String::new(),
            Value::Bool(b) => b.to_string(),
            Value::Num(n) => render_num(*n),
            Value::Str(s) => s.to_string(),
            Value::Time(ms) => crate::runtime::time::format_rfc3339(*ms),
            Value::Dur(ms) => crate::runtime::time::format_duration(*ms),
            Value::List(items) => {
                let parts: Vec<String> = items.iter().map(Value::render).collect();
                parts.join(", ")
            }
            Value::Object(_) => "[object]".to_string(),
        }
    }
}

static NULL: Value = Value::Null;

/// The value of `name` in `fields`, or null.
pub fn lookup<'a>(fields: &'a [(Arc<str>, Value)], name: &str) -> &'a Value {
    fields
        .iter()
        .find(|(k, _)| &**k == name)
        .map(|(_, v)| v)
        .unwrap_or(&NULL)
}

/// Shortest round-trip form; integral values print without a fraction
/// (`20`, not `20.0`), as a marketer would write them.
pub fn render_num(n: f64) -> String {
    if n == 0.0 {
        // -0 renders as 0: nobody wants "-0" in a message.
        return "0".to_string();
    }
    format!("{n}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_render_shortest() {
        assert_eq!(render_num(20.0), "20");
        assert_eq!(render_num(19.99), "19.99");
        assert_eq!(render_num(-0.0), "0");
        assert_eq!(render_num(0.1 + 0.2), "0.30000000000000004");
        assert_eq!(render_num(1e21), "1000000000000000000000");
    }

    #[test]
    fn blank_values() {
        assert!(Value::Null.is_blank());
        assert!(Value::str("  \t").is_blank());
        assert!(!Value::str("x").is_blank());
        assert!(!Value::Num(0.0).is_blank());
    }

    #[test]
    fn paths_go_through_objects() {
        let inner: Fields = Arc::from(vec![(Arc::from("url"), Value::str("u"))]);
        let outer: Fields = Arc::from(vec![(Arc::from("page"), Value::Object(inner))]);
        let v = Value::Object(outer);
        assert_eq!(v.path(&["page", "url"]), &Value::str("u"));
        assert_eq!(v.path(&["page", "nope"]), &Value::Null);
        assert_eq!(v.path(&["page", "url", "deeper"]), &Value::Null);
    }
}
