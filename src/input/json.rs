//! JSON lines: the generic form and Segment / RudderStack messages.
//!
//! Generic: `{"customer", "event", "time", "props", "id"}`, the first four
//! renamed by `--map` (top-level names); other top-level fields are
//! ignored. Segment / RudderStack: `track` and `identify` calls (see
//! [`decode_segment`]). With `--input auto` each line is classified on
//! its own by [`is_segment`].

use std::sync::Arc;

use serde_json::{Map, Value as Json};

use super::map::{FieldMap, Key};
use super::time::{parse_time_json, quote};
use super::DecodeError;
use crate::runtime::event::{Event, EventKind};
use crate::runtime::value::{render_num, Fields, Value};

/// Which JSON shapes a decoder accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum JsonMode {
    /// Each line classified by [`is_segment`].
    Auto,
    Generic,
    Segment,
}

/// Decodes one non-blank JSON line.
pub(crate) fn decode_json(
    text: &str,
    mode: JsonMode,
    map: Option<&FieldMap>,
) -> Result<Event, DecodeError> {
    let obj = parse_object(text)?;
    let segment = match mode {
        JsonMode::Auto => is_segment(&obj, map),
        JsonMode::Generic => false,
        JsonMode::Segment => true,
    };
    if segment {
        decode_segment(obj)
    } else {
        decode_generic(obj, map, mode == JsonMode::Generic)
    }
}

/// Parses a line as a JSON object. serde_json's recursion limit (128
/// levels) turns absurd nesting into an error, never a stack overflow.
fn parse_object(text: &str) -> Result<Map<String, Json>, DecodeError> {
    match serde_json::from_str::<Json>(text) {
        Ok(Json::Object(obj)) => Ok(obj),
        Ok(other) => Err(DecodeError::new(format!(
            "line holds {}, not a JSON object: each line must be one event object {{…}}",
            kind(&other)
        ))),
        Err(e) => {
            let mut err = json_error(&e);
            if looks_like_csv(text) {
                // The format is picked by file name: a CSV export with
                // another name (or on stdin) reads as JSON lines.
                err.reason
                    .push_str("; this looks like CSV: name the file *.csv, or pass --input csv");
            }
            Err(err)
        }
    }
}

/// A line that is not an object but has comma- or tab-separated fields.
fn looks_like_csv(text: &str) -> bool {
    let t = text.trim_start();
    !t.starts_with('{') && !t.starts_with('[') && (t.matches(',').count() >= 2 || t.contains('\t'))
}

/// A marketer-readable form of a serde_json syntax error.
fn json_error(e: &serde_json::Error) -> DecodeError {
    let full = e.to_string();
    let position = format!(" at line {} column {}", e.line(), e.column());
    let msg = full.strip_suffix(&position).unwrap_or(&full);
    let at = if e.line() > 1 {
        format!("line {}, column {}", e.line(), e.column())
    } else {
        format!("column {}", e.column())
    };
    let reason = if msg.starts_with("recursion limit exceeded") {
        format!("line is not valid JSON: nested 128 levels deep or more ({at})")
    } else if e.is_eof() {
        "line is not valid JSON: it stops in the middle (an unclosed `{`, `[` or string?)"
            .to_string()
    } else {
        format!("line is not valid JSON at {at}: {msg}")
    };
    DecodeError::new(reason)
}

/// Segment call types that carry no event for trig.
const OTHER_CALLS: [&str; 4] = ["page", "screen", "group", "alias"];

/// With `--input auto`, whether a JSON object is a Segment / RudderStack
/// message: its `type` is `"track"` or `"identify"`; or, when it has no
/// generic customer field (`customer`, or the `--map` name), it has a
/// `userId` or `anonymousId` field or a `type` naming another Segment call
/// (page, screen, group, alias), so the error explains Segment's rules.
pub(crate) fn is_segment(obj: &Map<String, Json>, map: Option<&FieldMap>) -> bool {
    let call = obj.get("type").and_then(Json::as_str);
    if matches!(call, Some("track" | "identify")) {
        return true;
    }
    let customer = FieldMap::json_name(map, Key::Customer).unwrap_or("customer");
    if obj.contains_key(customer) {
        return false;
    }
    obj.contains_key("userId")
        || obj.contains_key("anonymousId")
        || call.is_some_and(|c| OTHER_CALLS.contains(&c))
}

fn decode_generic(
    mut obj: Map<String, Json>,
    map: Option<&FieldMap>,
    explicit: bool,
) -> Result<Event, DecodeError> {
    let name = |key| FieldMap::json_name(map, key).map_err(DecodeError::new);
    let (c_name, e_name, t_name, id_name) = (
        name(Key::Customer)?,
        name(Key::Event)?,
        name(Key::Time)?,
        name(Key::Id)?,
    );
    let customer = match obj.get(c_name) {
        Some(v) => customer_text(v, c_name)?,
        None => {
            let hint =
                if explicit && (obj.contains_key("userId") || obj.contains_key("anonymousId")) {
                    " (this looks like a Segment/RudderStack message: use --input segment or auto)"
                } else {
                    ""
                };
            return Err(DecodeError::new(format!("missing field `{c_name}`{hint}")));
        }
    };
    let event_name = required_string(obj.get(e_name), e_name)?;
    let time = match obj.get(t_name) {
        Some(v) => parse_time_json(v).map_err(|e| DecodeError::new(format!("`{t_name}`: {e}")))?,
        None => return Err(DecodeError::new(format!("missing field `{t_name}`"))),
    };
    let id = optional_id(obj.get(id_name), id_name)?;
    let props = match obj.remove("props") {
        None | Some(Json::Null) => empty(),
        Some(Json::Object(fields)) => object_fields(fields),
        Some(other) => {
            return Err(DecodeError::new(format!(
                "`props` must be an object, not {}",
                describe_kind(&other)
            )))
        }
    };
    Ok(Event {
        kind: generic_kind(&event_name),
        customer,
        name: event_name,
        time,
        id,
        props,
    })
}

/// A Segment / RudderStack message.
///
/// - `track`: the name is `event`, the props are `properties`.
/// - `identify`: kind [`EventKind::Identify`], name `identify`, the props
///   are `traits`, merged over `context.traits` (top-level traits win).
/// - A message with no `type` is read as a `track`.
/// - Customer: `userId`, else `anonymousId` (a null or empty `userId`
///   counts as absent). Time: `timestamp`, else `originalTimestamp`, else
///   `receivedAt` (null counts as absent; a present but invalid value is
///   an error, not a reason to look further). Id: `messageId`.
/// - `page`, `screen`, `group` and `alias` calls are errors.
pub(crate) fn decode_segment(mut obj: Map<String, Json>) -> Result<Event, DecodeError> {
    let call = match obj.get("type") {
        None | Some(Json::Null) => "track",
        Some(Json::String(s)) => s.as_str(),
        Some(other) => {
            return Err(DecodeError::new(format!(
                "`type` must be a string such as \"track\", not {}",
                kind(other)
            )))
        }
    };
    let kind = match call {
        "track" => EventKind::Track,
        "identify" => EventKind::Identify,
        c if OTHER_CALLS.contains(&c) => {
            return Err(DecodeError::new(format!(
                "Segment `{c}` calls are not supported: only `track` and `identify` messages carry events for trig"
            )))
        }
        c => {
            return Err(DecodeError::new(format!(
                "unknown Segment call type {} (only `track` and `identify` are supported)",
                quote(c)
            )))
        }
    };
    let customer = segment_customer(&obj)?;
    let time = segment_time(&obj)?;
    let id = optional_id(obj.get("messageId"), "messageId")?;
    let (name, props) = match kind {
        EventKind::Track => {
            let name = required_string(obj.get("event"), "event")?;
            let props = match obj.remove("properties") {
                None | Some(Json::Null) => empty(),
                Some(Json::Object(fields)) => object_fields(fields),
                Some(other) => {
                    return Err(DecodeError::new(format!(
                        "`properties` must be an object, not {}",
                        describe_kind(&other)
                    )))
                }
            };
            (name, props)
        }
        EventKind::Identify => (Arc::from("identify"), identify_traits(&mut obj)?),
    };
    Ok(Event {
        customer,
        name,
        time,
        id,
        props,
        kind,
    })
}

fn segment_customer(obj: &Map<String, Json>) -> Result<Arc<str>, DecodeError> {
    for field in ["userId", "anonymousId"] {
        match obj.get(field) {
            None | Some(Json::Null) => {}
            Some(Json::String(s)) if s.trim().is_empty() => {}
            Some(v) => return customer_text(v, field),
        }
    }
    Err(DecodeError::new(
        "missing field `userId` (or `anonymousId`): a Segment message needs one to name the customer",
    ))
}

fn segment_time(obj: &Map<String, Json>) -> Result<i64, DecodeError> {
    for field in ["timestamp", "originalTimestamp", "receivedAt"] {
        match obj.get(field) {
            None | Some(Json::Null) => {}
            Some(v) => {
                return parse_time_json(v).map_err(|e| DecodeError::new(format!("`{field}`: {e}")))
            }
        }
    }
    Err(DecodeError::new(
        "missing field `timestamp` (or `originalTimestamp`, `receivedAt`): a Segment message needs one for the event time",
    ))
}

/// `context.traits` with the top-level `traits` over it.
fn identify_traits(obj: &mut Map<String, Json>) -> Result<Fields, DecodeError> {
    let mut merged = Map::new();
    let from_context = match obj.get_mut("context") {
        Some(Json::Object(context)) => context.remove("traits"),
        _ => None,
    };
    for (label, traits) in [
        ("context.traits", from_context),
        ("traits", obj.remove("traits")),
    ] {
        match traits {
            None | Some(Json::Null) => {}
            Some(Json::Object(fields)) => merged.extend(fields),
            Some(other) => {
                return Err(DecodeError::new(format!(
                    "`{label}` must be an object, not {}",
                    describe_kind(&other)
                )))
            }
        }
    }
    Ok(object_fields(merged))
}

/// A generic line named `identify` is a profile update (its props are
/// traits), as a Segment `identify` call is: the one way to give
/// `customer.*` attributes in plain NDJSON.
pub(crate) fn generic_kind(name: &str) -> EventKind {
    if name == "identify" {
        EventKind::Identify
    } else {
        EventKind::Track
    }
}

/// A customer id: a non-empty string, or a number as its decimal text.
fn customer_text(v: &Json, field: &str) -> Result<Arc<str>, DecodeError> {
    match v {
        Json::String(s) if s.trim().is_empty() => {
            Err(DecodeError::new(format!("`{field}` is empty")))
        }
        Json::String(s) => Ok(Arc::from(s.as_str())),
        // Only whole numbers are exact: `1.0` would merge with customer
        // `1`, and a 30-digit number would be rounded.
        Json::Number(n) if n.is_i64() || n.is_u64() => Ok(Arc::from(number_text(n))),
        Json::Number(n) => Err(DecodeError::new(format!(
            "`{field}` is the number {n}, which is not an exact whole number: send customer ids as strings"
        ))),
        other => Err(DecodeError::new(format!(
            "`{field}` must be a string or a number, not {}",
            kind(other)
        ))),
    }
}

/// An event name: a non-empty string.
fn required_string(v: Option<&Json>, field: &str) -> Result<Arc<str>, DecodeError> {
    match v {
        None => Err(DecodeError::new(format!("missing field `{field}`"))),
        Some(Json::String(s)) if s.trim().is_empty() => {
            Err(DecodeError::new(format!("`{field}` is empty")))
        }
        Some(Json::String(s)) => Ok(Arc::from(s.as_str())),
        Some(other) => Err(DecodeError::new(format!(
            "`{field}` must be a string, not {}",
            kind(other)
        ))),
    }
}

/// An event id: a string or a number; absent, null or empty means none.
fn optional_id(v: Option<&Json>, field: &str) -> Result<Option<Arc<str>>, DecodeError> {
    match v {
        None | Some(Json::Null) => Ok(None),
        Some(Json::String(s)) if s.is_empty() => Ok(None),
        Some(Json::String(s)) => Ok(Some(Arc::from(s.as_str()))),
        Some(Json::Number(n)) => Ok(Some(Arc::from(number_text(n)))),
        Some(other) => Err(DecodeError::new(format!(
            "`{field}` must be a string or a number, not {}",
            kind(other)
        ))),
    }
}

/// A JSON number as text: integers exactly (`42`), others in shortest
/// round-trip form (`42.5`; `42.0` is `42`).
fn number_text(n: &serde_json::Number) -> String {
    match (n.as_i64(), n.as_u64(), n.as_f64()) {
        (Some(i), _, _) => i.to_string(),
        (None, Some(u), _) => u.to_string(),
        (None, None, Some(f)) => render_num(f),
        _ => n.to_string(),
    }
}

fn empty() -> Fields {
    Arc::from(Vec::new())
}

fn object_fields(fields: Map<String, Json>) -> Fields {
    fields
        .into_iter()
        .map(|(k, v)| (Arc::from(k.as_str()), to_value(v)))
        .collect::<Vec<_>>()
        .into()
}

/// A JSON value as a run-time value. Strings stay strings (no guessing of
/// timestamps); numbers are `f64`; objects keep their input order
/// (serde_json's `preserve_order`). Depth is bounded by the parser's limit.
pub(crate) fn to_value(v: Json) -> Value {
    match v {
        Json::Null => Value::Null,
        Json::Bool(b) => Value::Bool(b),
        Json::Number(n) => Value::Num(n.as_f64().unwrap_or(f64::NAN)),
        Json::String(s) => Value::Str(Arc::from(s.as_str())),
        Json::Array(items) => Value::List(items.into_iter().map(to_value).collect()),
        Json::Object(fields) => Value::Object(object_fields(fields)),
    }
}

/// What kind of JSON value this is, for "must be X, not Y" messages.
pub(crate) fn kind(v: &Json) -> &'static str {
    match v {
        Json::Null => "null",
        Json::Bool(_) => "a bool",
        Json::Number(_) => "a number",
        Json::String(_) => "a string",
        Json::Array(_) => "an array",
        Json::Object(_) => "an object",
    }
}

/// Like [`kind`], with the value when it is short: `a string ("x")`.
fn describe_kind(v: &Json) -> String {
    match v {
        Json::Bool(_) | Json::Number(_) | Json::String(_) => {
            format!("{} ({})", kind(v), describe(v))
        }
        _ => kind(v).to_string(),
    }
}

/// A JSON value for an error message: scalars as written, containers by
/// kind.
pub(crate) fn describe(v: &Json) -> String {
    match v {
        Json::Null => "null".to_string(),
        Json::Bool(b) => b.to_string(),
        Json::Number(n) => n.to_string(),
        Json::String(s) => quote(s),
        Json::Array(_) | Json::Object(_) => kind(v).to_string(),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn csv_lines_read_as_json_get_a_hint() {
        let e = decode_json("c1,cart.abandoned,2024-01-01", JsonMode::Auto, None).unwrap_err();
        assert!(e.reason.contains("looks like CSV"), "{}", e.reason);
        let e = decode_json("{\"customer\": }", JsonMode::Auto, None).unwrap_err();
        assert!(!e.reason.contains("CSV"), "{}", e.reason);
    }

    use super::*;
    use crate::input::map::parse_map;

    fn auto(line: &str) -> Result<Event, String> {
        decode_json(line, JsonMode::Auto, None).map_err(|e| e.reason)
    }

    #[test]
    fn generic_line() {
        let e = auto(r#"{"customer":"c1","event":"cart.abandoned","time":"2024-05-01T09:00:00Z","props":{"value":25.5,"url":"u","items":[1,"a",null],"nested":{"ok":true}},"id":"e1"}"#).unwrap();
        assert_eq!(&*e.customer, "c1");
        assert_eq!(&*e.name, "cart.abandoned");
        assert_eq!(e.time, 1_714_554_000_000);
        assert_eq!(e.id.as_deref(), Some("e1"));
        assert_eq!(e.kind, EventKind::Track);
        assert_eq!(e.prop("value"), &Value::Num(25.5));
        assert_eq!(e.prop("url"), &Value::str("u"));
        assert_eq!(
            e.prop("items"),
            &Value::List(Arc::from(vec![
                Value::Num(1.0),
                Value::str("a"),
                Value::Null
            ]))
        );
        assert_eq!(e.prop("nested").get("ok"), &Value::Bool(true));
    }

    #[test]
    fn generic_customer_forms() {
        let line = |c: &str| format!(r#"{{"customer":{c},"event":"x","time":0}}"#);
        assert_eq!(&*auto(&line("42")).unwrap().customer, "42");
        assert!(auto(&line("42.5"))
            .unwrap_err()
            .contains("not an exact whole number"));
        assert!(auto(&line("1.0"))
            .unwrap_err()
            .contains("send customer ids as strings"));
        assert!(auto(&line("123456789012345678901234567890")).is_err());
        assert_eq!(&*auto(&line("\"00042\"")).unwrap().customer, "00042");
        assert_eq!(
            &*auto(&line("18446744073709551615")).unwrap().customer,
            "18446744073709551615"
        );
        assert_eq!(
            auto(&line("true")).unwrap_err(),
            "`customer` must be a string or a number, not a bool"
        );
        assert_eq!(
            auto(&line("null")).unwrap_err(),
            "`customer` must be a string or a number, not null"
        );
        assert_eq!(
            auto(&line("{}")).unwrap_err(),
            "`customer` must be a string or a number, not an object"
        );
        assert_eq!(auto(&line("\" \"")).unwrap_err(), "`customer` is empty");
    }

    #[test]
    fn mapped_generic_line() {
        let map = parse_map("customer=user_id,event=action,time=ts,id=uuid").unwrap();
        let e = decode_json(
            r#"{"user_id":7,"action":"buy","ts":1511658000,"uuid":99,"customer":"ignored"}"#,
            JsonMode::Auto,
            Some(&map),
        )
        .unwrap();
        assert_eq!(&*e.customer, "7");
        assert_eq!(&*e.name, "buy");
        assert_eq!(e.time, 1_511_658_000_000);
        assert_eq!(e.id.as_deref(), Some("99"));
        // A mapped customer field named userId keeps the line generic.
        let map = parse_map("customer=userId").unwrap();
        let e = decode_json(
            r#"{"userId":"u","event":"x","time":0}"#,
            JsonMode::Auto,
            Some(&map),
        )
        .unwrap();
        assert_eq!(&*e.customer, "u");
        let map = parse_map("customer=2").unwrap();
        let err = decode_json(r#"{"event":"x","time":0}"#, JsonMode::Auto, Some(&map)).unwrap_err();
        assert!(err.reason.contains("only CSV input has"), "{err}");
    }

    #[test]
    fn segment_detection() {
        let obj = |s: &str| parse_object(s).unwrap();
        assert!(is_segment(&obj(r#"{"type":"track"}"#), None));
        assert!(is_segment(
            &obj(r#"{"type":"identify","customer":"c"}"#),
            None
        ));
        assert!(is_segment(&obj(r#"{"anonymousId":"a"}"#), None));
        assert!(is_segment(&obj(r#"{"type":"page"}"#), None));
        assert!(!is_segment(&obj(r#"{"customer":"c","userId":"u"}"#), None));
        assert!(!is_segment(&obj(r#"{"customer":"c","type":"page"}"#), None));
        assert!(!is_segment(&obj(r#"{"event":"x"}"#), None));
    }

    #[test]
    fn segment_identify_merges_traits() {
        let e = auto(r#"{"type":"identify","anonymousId":"a","userId":"","timestamp":null,"originalTimestamp":"2024-05-01","context":{"traits":{"email":"old@x","plan":"pro"}},"traits":{"email":"new@x"}}"#).unwrap();
        assert_eq!(e.kind, EventKind::Identify);
        assert_eq!(&*e.name, "identify");
        assert_eq!(&*e.customer, "a");
        assert_eq!(e.time, 1_714_521_600_000);
        assert_eq!(e.prop("email"), &Value::str("new@x"));
        assert_eq!(e.prop("plan"), &Value::str("pro"));
    }

    #[test]
    fn deep_nesting_is_an_error() {
        let depth = 10_000;
        let line = format!(
            r#"{{"customer":"c","event":"x","time":0,"props":{}1{}}}"#,
            r#"{"a":"#.repeat(depth),
            "}".repeat(depth)
        );
        let err = auto(&line).unwrap_err();
        assert!(err.contains("nested 128 levels deep or more"), "{err}");
        // Just under the limit is fine.
        let ok = format!(
            r#"{{"customer":"c","event":"x","time":0,"props":{}1{}}}"#,
            r#"{"a":"#.repeat(120),
            "}".repeat(120)
        );
        assert!(auto(&ok).is_ok());
    }

    #[test]
    fn syntax_errors() {
        assert!(auto("{").unwrap_err().contains("stops in the middle"));
        assert_eq!(
            auto("{\"a\" 1}").unwrap_err(),
            "line is not valid JSON at column 6: expected `:`"
        );
        assert_eq!(
            auto("[1]").unwrap_err(),
            "line holds an array, not a JSON object: each line must be one event object {…}"
        );
        assert!(auto("{} x").unwrap_err().contains("trailing characters"));
    }
}
