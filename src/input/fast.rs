//! The fast path for the common line: generic NDJSON under the default
//! field names, with only `customer`, `event`, `time`, `props` and `id` at
//! the top level. It deserializes straight into run-time values (no
//! intermediate `serde_json::Value`) and shares one `Arc` per distinct
//! event name and prop key. Anything unusual (another top-level key, a
//! wrong type, a syntax error) returns `None` and the general path in
//! `json.rs` decodes the line again and words the error, so both paths
//! accept exactly the same lines with the same results.

use std::borrow::Cow;
use std::fmt;
use std::sync::Arc;

use rustc_hash::FxHashMap;
use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};

use super::time::{parse_time_json, parse_time_str};
use crate::runtime::event::Event;
use crate::runtime::value::Value;

/// Names seen often (event names, prop keys), shared instead of allocated
/// per event. Bounded so that hostile input cannot grow it without end.
#[derive(Debug, Default)]
pub(crate) struct Interner {
    names: FxHashMap<Box<str>, Arc<str>>,
}

const MAX_INTERNED: usize = 4_096;

impl Interner {
    fn get(&mut self, s: &str) -> Arc<str> {
        if let Some(a) = self.names.get(s) {
            return a.clone();
        }
        let a: Arc<str> = Arc::from(s);
        if self.names.len() < MAX_INTERNED {
            self.names.insert(Box::from(s), a.clone());
        }
        a
    }
}

/// Decodes a plain generic line, or `None` for the general path.
pub(crate) fn generic(text: &str, names: &mut Interner) -> Option<Event> {
    let mut de = serde_json::Deserializer::from_str(text);
    let line = LineSeed { names }.deserialize(&mut de).ok()?;
    de.end().ok()?;
    let customer = line.customer?;
    let name = line.event?;
    Some(Event {
        kind: super::json::generic_kind(&name),
        customer,
        name,
        time: line.time?,
        id: line.id,
        props: Arc::from(line.props),
    })
}

struct Line {
    customer: Option<Arc<str>>,
    event: Option<Arc<str>>,
    time: Option<i64>,
    id: Option<Arc<str>>,
    props: Vec<(Arc<str>, Value)>,
}

/// Any departure from the plain shape: the general path takes over.
fn unusual<E: de::Error>() -> E {
    E::custom("not a plain generic line")
}

struct LineSeed<'a> {
    names: &'a mut Interner,
}

impl<'de> DeserializeSeed<'de> for LineSeed<'_> {
    type Value = Line;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Line, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for LineSeed<'_> {
    type Value = Line;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an event object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Line, A::Error> {
        let mut line = Line {
            customer: None,
            event: None,
            time: None,
            id: None,
            props: Vec::new(),
        };
        let mut seen = [false; 5];
        while let Some(key) = map.next_key::<Key<'de>>()? {
            let slot = match &*key.0 {
                "customer" => 0,
                "event" => 1,
                "time" => 2,
                "props" => 3,
                "id" => 4,
                _ => return Err(unusual()),
            };
            if std::mem::replace(&mut seen[slot], true) {
                return Err(unusual());
            }
            match slot {
                0 => {
                    line.customer = Some(map.next_value_seed(Text {
                        names: None,
                        number: true,
                    })?)
                }
                1 => {
                    line.event = Some(map.next_value_seed(Text {
                        names: Some(self.names),
                        number: false,
                    })?)
                }
                2 => line.time = Some(map.next_value::<Time>()?.0),
                3 => line.props = map.next_value_seed(Props { names: self.names })?,
                _ => line.id = map.next_value_seed(OptionalText)?,
            }
        }
        Ok(line)
    }
}

/// An object key, borrowed from the line unless it has escapes. (serde's
/// own `Cow<str>` always copies, which cost an allocation per key.)
struct Key<'de>(Cow<'de, str>);

impl<'de> de::Deserialize<'de> for Key<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_str(KeyVisitor)
    }
}

struct KeyVisitor;

impl<'de> Visitor<'de> for KeyVisitor {
    type Value = Key<'de>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a key")
    }
    fn visit_borrowed_str<E: de::Error>(self, s: &'de str) -> Result<Key<'de>, E> {
        Ok(Key(Cow::Borrowed(s)))
    }
    fn visit_str<E: de::Error>(self, s: &str) -> Result<Key<'de>, E> {
        Ok(Key(Cow::Owned(s.to_string())))
    }
}

/// A non-blank string (interned when `names` is given), or for customer
/// ids an integer as its decimal text.
struct Text<'a> {
    names: Option<&'a mut Interner>,
    number: bool,
}

impl<'de> DeserializeSeed<'de> for Text<'_> {
    type Value = Arc<str>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Arc<str>, D::Error> {
        d.deserialize_any(self)
    }
}

impl Visitor<'_> for Text<'_> {
    type Value = Arc<str>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a string")
    }
    fn visit_str<E: de::Error>(self, s: &str) -> Result<Arc<str>, E> {
        if s.trim().is_empty() {
            return Err(unusual());
        }
        Ok(match self.names {
            Some(n) => n.get(s),
            None => Arc::from(s),
        })
    }
    fn visit_u64<E: de::Error>(self, n: u64) -> Result<Arc<str>, E> {
        if self.number {
            Ok(Arc::from(n.to_string()))
        } else {
            Err(unusual())
        }
    }
    fn visit_i64<E: de::Error>(self, n: i64) -> Result<Arc<str>, E> {
        if self.number {
            Ok(Arc::from(n.to_string()))
        } else {
            Err(unusual())
        }
    }
}

/// `id`: a string or an integer; null or empty means none.
struct OptionalText;

impl<'de> DeserializeSeed<'de> for OptionalText {
    type Value = Option<Arc<str>>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl Visitor<'_> for OptionalText {
    type Value = Option<Arc<str>>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an id")
    }
    fn visit_str<E: de::Error>(self, s: &str) -> Result<Self::Value, E> {
        Ok((!s.is_empty()).then(|| Arc::from(s)))
    }
    fn visit_u64<E: de::Error>(self, n: u64) -> Result<Self::Value, E> {
        Ok(Some(Arc::from(n.to_string())))
    }
    fn visit_i64<E: de::Error>(self, n: i64) -> Result<Self::Value, E> {
        Ok(Some(Arc::from(n.to_string())))
    }
    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
}

/// A time by the shared rule (a string, or a number).
struct Time(i64);

impl<'de> de::Deserialize<'de> for Time {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Time, D::Error> {
        d.deserialize_any(TimeVisitor)
    }
}

struct TimeVisitor;

impl Visitor<'_> for TimeVisitor {
    type Value = Time;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a time")
    }
    fn visit_str<E: de::Error>(self, s: &str) -> Result<Time, E> {
        parse_time_str(s).map(Time).map_err(|_| unusual())
    }
    fn visit_u64<E: de::Error>(self, n: u64) -> Result<Time, E> {
        parse_time_json(&serde_json::Value::from(n))
            .map(Time)
            .map_err(|_| unusual())
    }
    fn visit_i64<E: de::Error>(self, n: i64) -> Result<Time, E> {
        parse_time_json(&serde_json::Value::from(n))
            .map(Time)
            .map_err(|_| unusual())
    }
    // Fractional epochs need the exact digits, which only the general path
    // keeps; let it decide.
    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Time, E> {
        Err(unusual())
    }
}

/// `props`: an object of values (null means none).
struct Props<'a> {
    names: &'a mut Interner,
}

impl<'de> DeserializeSeed<'de> for Props<'_> {
    type Value = Vec<(Arc<str>, Value)>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Props<'_> {
    type Value = Vec<(Arc<str>, Value)>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an object")
    }
    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(Vec::new())
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut out: Vec<(Arc<str>, Value)> = Vec::new();
        while let Some(key) = map.next_key::<Key<'de>>()? {
            let v = map.next_value_seed(Val)?;
            // A repeated key keeps the last value, as the general path does.
            match out.iter_mut().find(|(k, _)| **k == *key.0) {
                Some(slot) => slot.1 = v,
                None => out.push((self.names.get(&key.0), v)),
            }
        }
        Ok(out)
    }
}

/// Any JSON value, straight to a run-time value.
struct Val;

impl<'de> DeserializeSeed<'de> for Val {
    type Value = Value;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Val {
    type Value = Value;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a value")
    }
    fn visit_unit<E: de::Error>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_bool<E: de::Error>(self, b: bool) -> Result<Value, E> {
        Ok(Value::Bool(b))
    }
    fn visit_u64<E: de::Error>(self, n: u64) -> Result<Value, E> {
        Ok(Value::Num(n as f64))
    }
    fn visit_i64<E: de::Error>(self, n: i64) -> Result<Value, E> {
        Ok(Value::Num(n as f64))
    }
    fn visit_f64<E: de::Error>(self, n: f64) -> Result<Value, E> {
        Ok(Value::Num(n))
    }
    fn visit_str<E: de::Error>(self, s: &str) -> Result<Value, E> {
        Ok(Value::Str(Arc::from(s)))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::new();
        while let Some(v) = seq.next_element_seed(Val)? {
            items.push(v);
        }
        Ok(Value::List(Arc::from(items)))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut out: Vec<(Arc<str>, Value)> = Vec::new();
        while let Some(key) = map.next_key::<Key<'de>>()? {
            let v = map.next_value_seed(Val)?;
            match out.iter_mut().find(|(k, _)| **k == *key.0) {
                Some(slot) => slot.1 = v,
                None => out.push((Arc::from(&*key.0), v)),
            }
        }
        Ok(Value::Object(Arc::from(out)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::input::json::{decode_json, JsonMode};

    /// Whatever the fast path accepts, the general path decodes the same.
    #[test]
    fn fast_path_agrees_with_the_general_path() {
        let lines = [
            r#"{"customer":"c1","event":"cart.abandoned","time":"2024-01-01T10:00:00Z","props":{"value":20,"url":"u","tags":["a",1,null],"nested":{"x":true}},"id":"e1"}"#,
            r#"{"customer":42,"event":"x","time":1700000000}"#,
            r#"{"customer":"c","event":"x","time":1700000000123,"props":null,"id":null}"#,
            r#"{"customer":"c","event":"x","time":"20240101","id":""}"#,
            r#"{"customer":"c","event":"x","time":19970101,"id":7}"#,
            r#"{"customer":"c","event":"x","time":"2024-01-01 10:00:00 UTC","props":{"a":1,"a":2}}"#,
            r#"{"customer":"c\u00e9","event":"caf\u00e9","time":"2024-01-01T10:00:00.123456+02:00"}"#,
            r#" { "time" : "2024-01-01" , "event" : "x" , "customer" : "c" } "#,
            r#"{"customer":"c","event":"identify","time":"2024-01-01","props":{"vip":true}}"#,
        ];
        let mut names = Interner::default();
        for l in lines {
            let fast = generic(l, &mut names).unwrap_or_else(|| panic!("fast path refused {l}"));
            let slow = decode_json(l, JsonMode::Auto, None).expect("general path");
            assert_eq!(fast, slow, "{l}");
        }
    }

    /// Lines the fast path must leave to the general path (which accepts
    /// some and words an error for others).
    #[test]
    fn unusual_lines_go_to_the_general_path() {
        let lines = [
            r#"{"customer":"c","event":"x","time":1700000000.5}"#,
            r#"{"userId":"u","event":"x","timestamp":"2024-01-01T00:00:00Z","type":"track"}"#,
            r#"{"customer":"c","event":"x","time":"2024-01-01","extra":1}"#,
            r#"{"customer":"","event":"x","time":"2024-01-01"}"#,
            r#"{"customer":"c","event":"x","time":"yesterday"}"#,
            r#"{"customer":"c","event":"x","time":"2024-01-01","props":[1]}"#,
            r#"{"customer":"c","event":"x"}"#,
            r#"{"customer":"c","event":"x","time":"2024-01-01"} trailing"#,
            r#"[1,2]"#,
            r#"{"customer":"c","customer":"d","event":"x","time":"2024-01-01"}"#,
        ];
        let mut names = Interner::default();
        for l in lines {
            assert!(generic(l, &mut names).is_none(), "{l}");
        }
    }
}
