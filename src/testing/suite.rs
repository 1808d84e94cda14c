//! The rule-test file format (`*.test.toml`, docs/testing.md): parsed and
//! resolved into cases with absolute times and run-time values. Every
//! problem carries the line and column it is about.

use std::sync::Arc;

use serde::Deserialize;
use toml::Spanned;

use crate::input::parse_time_str;
use crate::runtime::{Event, EventKind, Value};
use crate::syntax::parser::parse_duration;

/// Relative times count from here when a file gives no `start`.
pub const DEFAULT_START: &str = "2024-01-01T00:00:00Z";
/// The customer of a test that names none.
pub const DEFAULT_CUSTOMER: &str = "c1";

/// A problem in a test file, at a 1-based line and column.
#[derive(Debug, Clone, PartialEq)]
pub struct SuiteError {
    pub line: usize,
    pub col: usize,
    pub message: String,
}

/// One test file.
#[derive(Debug)]
pub struct Suite {
    pub tests: Vec<Case>,
}

/// One test: a customer, what they did, and the sends expected.
#[derive(Debug)]
pub struct Case {
    pub name: String,
    pub line: usize,
    pub start: i64,
    /// Only sends of these rules are checked (all rules run).
    pub scope: Option<Vec<String>>,
    pub customer: Arc<str>,
    /// Pushed in time order (a stable sort: equal times keep file order).
    pub events: Vec<Event>,
    /// Time runs to here at the end.
    pub until: i64,
    pub expect: Vec<Expected>,
    pub expect_not: Vec<Expected>,
    /// Whether a send no `expect` names fails the test.
    pub exhaustive: bool,
}

/// A send as a test describes it: fields not given match anything.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Expected {
    pub line: usize,
    pub rule: Option<String>,
    pub channel: Option<String>,
    pub template: Option<String>,
    pub text: Option<String>,
    pub lang: Option<String>,
    pub params: Option<Params>,
    pub at: Option<i64>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Params {
    Positional(Vec<String>),
    Named(Vec<(String, String)>),
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileSpec {
    start: Option<Spanned<String>>,
    rules: Option<Vec<String>>,
    customer: Option<toml::Table>,
    #[serde(rename = "test", default)]
    tests: Vec<Spanned<TestSpec>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TestSpec {
    name: String,
    start: Option<Spanned<String>>,
    rules: Option<Vec<String>>,
    customer: Option<toml::Table>,
    #[serde(default)]
    events: Vec<Spanned<EventSpec>>,
    until: Option<Spanned<String>>,
    #[serde(default)]
    expect: Vec<Spanned<SendSpec>>,
    #[serde(default)]
    expect_not: Vec<Spanned<SendSpec>>,
    exhaustive: Option<bool>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct EventSpec {
    at: Spanned<String>,
    event: String,
    #[serde(default)]
    props: toml::Table,
    id: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SendSpec {
    rule: Option<String>,
    channel: Option<String>,
    template: Option<String>,
    text: Option<String>,
    lang: Option<String>,
    params: Option<Spanned<toml::Value>>,
    at: Option<Spanned<String>>,
}

/// Parses a test file's text.
pub fn parse(text: &str) -> Result<Suite, SuiteError> {
    let spec: FileSpec = toml::from_str(text).map_err(|e| {
        let at = e.span().map_or(0, |s| s.start);
        error(text, at, e.message().to_string())
    })?;
    let cx = Resolver { text };
    let file_start = match &spec.start {
        Some(s) => cx.absolute(s)?,
        None => parse_time_str(DEFAULT_START).unwrap_or(0),
    };
    if spec.tests.is_empty() {
        return Err(error(
            text,
            0,
            "no tests: add a `[[test]]` table (docs/testing.md)".into(),
        ));
    }
    let tests = spec
        .tests
        .iter()
        .map(|t| cx.case(t, file_start, &spec))
        .collect::<Result<_, _>>()?;
    Ok(Suite { tests })
}

struct Resolver<'a> {
    text: &'a str,
}

impl Resolver<'_> {
    fn case(
        &self,
        t: &Spanned<TestSpec>,
        file_start: i64,
        file: &FileSpec,
    ) -> Result<Case, SuiteError> {
        let line = position(self.text, t.span().start).0;
        let t = t.get_ref();
        let start = match &t.start {
            Some(s) => self.absolute(s)?,
            None => file_start,
        };
        let profile = t.customer.as_ref().or(file.customer.as_ref());
        let (customer, traits) = self.customer(profile);
        let mut events = t
            .events
            .iter()
            .map(|e| self.event(e, start, &customer))
            .collect::<Result<Vec<_>, _>>()?;
        if !traits.is_empty() {
            // The profile is in place before anything happens.
            let first = events.iter().map(|e| e.time).min().unwrap_or(start);
            events.insert(
                0,
                Event {
                    customer: customer.clone(),
                    name: Arc::from("identify"),
                    time: first.min(start),
                    id: None,
                    props: Arc::from(traits),
                    kind: EventKind::Identify,
                },
            );
        }
        events.sort_by_key(|e| e.time);
        let sends = |v: &[Spanned<SendSpec>]| {
            v.iter()
                .map(|s| self.send(s, start))
                .collect::<Result<Vec<_>, _>>()
        };
        let (expect, expect_not) = (sends(&t.expect)?, sends(&t.expect_not)?);
        let until = match &t.until {
            Some(u) => self.time(u, start)?,
            // The latest time the test mentions.
            None => events
                .iter()
                .map(|e| e.time)
                .chain(expect.iter().chain(&expect_not).filter_map(|x| x.at))
                .max()
                .unwrap_or(start),
        };
        Ok(Case {
            name: t.name.clone(),
            line,
            start,
            scope: t.rules.clone().or_else(|| file.rules.clone()),
            customer,
            events,
            until,
            expect,
            expect_not,
            exhaustive: t.exhaustive.unwrap_or(true),
        })
    }

    /// The customer id (`id`, default `c1`) and the other keys as
    /// `customer.*` attributes.
    fn customer(&self, table: Option<&toml::Table>) -> (Arc<str>, Vec<(Arc<str>, Value)>) {
        let mut id: Arc<str> = Arc::from(DEFAULT_CUSTOMER);
        let mut traits = Vec::new();
        for (k, v) in table.into_iter().flatten() {
            match (k.as_str(), v) {
                ("id", toml::Value::String(s)) => id = Arc::from(s.as_str()),
                _ => traits.push((Arc::from(k.as_str()), value(v))),
            }
        }
        (id, traits)
    }

    fn event(
        &self,
        e: &Spanned<EventSpec>,
        start: i64,
        customer: &Arc<str>,
    ) -> Result<Event, SuiteError> {
        let e = e.get_ref();
        let props: Vec<(Arc<str>, Value)> = e
            .props
            .iter()
            .map(|(k, v)| (Arc::from(k.as_str()), value(v)))
            .collect();
        Ok(Event {
            customer: customer.clone(),
            name: Arc::from(e.event.as_str()),
            time: self.time(&e.at, start)?,
            id: e.id.as_deref().map(Arc::from),
            props: Arc::from(props),
            kind: if e.event == "identify" {
                EventKind::Identify
            } else {
                EventKind::Track
            },
        })
    }

    fn send(&self, s: &Spanned<SendSpec>, start: i64) -> Result<Expected, SuiteError> {
        let line = position(self.text, s.span().start).0;
        let at = s.span().start;
        let s = s.get_ref();
        if s.template.is_some() && s.text.is_some() {
            return Err(error(
                self.text,
                at,
                "a send has a `template` or a `text`, not both".into(),
            ));
        }
        Ok(Expected {
            line,
            rule: s.rule.clone(),
            channel: s.channel.clone(),
            template: s.template.clone(),
            text: s.text.clone(),
            lang: s.lang.clone(),
            params: s.params.as_ref().map(|p| self.params(p)).transpose()?,
            at: s.at.as_ref().map(|a| self.time(a, start)).transpose()?,
        })
    }

    fn params(&self, p: &Spanned<toml::Value>) -> Result<Params, SuiteError> {
        match p.get_ref() {
            toml::Value::Array(items) => Ok(Params::Positional(items.iter().map(text).collect())),
            toml::Value::Table(t) => Ok(Params::Named(
                t.iter().map(|(k, v)| (k.clone(), text(v))).collect(),
            )),
            _ => Err(error(
                self.text,
                p.span().start,
                "`params` is a list (positional parameters) or a table (named ones)".into(),
            )),
        }
    }

    /// `+2h`, `-5m` (from `start`) or an absolute time.
    fn time(&self, s: &Spanned<String>, start: i64) -> Result<i64, SuiteError> {
        let raw = s.get_ref().trim();
        let (sign, rest) = match raw.as_bytes().first() {
            Some(b'+') => (1, &raw[1..]),
            Some(b'-') => (-1, &raw[1..]),
            _ => return self.absolute(s),
        };
        if rest == "0" {
            return Ok(start);
        }
        let ms = parse_duration(rest).map_err(|(m, _)| {
            error(
                self.text,
                s.span().start,
                format!("`{raw}`: {m} (relative times look like `+2h`, `+1d12h`, `-5m`)"),
            )
        })?;
        Ok(start.saturating_add(sign * ms as i64))
    }

    fn absolute(&self, s: &Spanned<String>) -> Result<i64, SuiteError> {
        parse_time_str(s.get_ref()).map_err(|m| {
            error(
                self.text,
                s.span().start,
                format!("`{}`: {m} (or a relative time such as `+2h`)", s.get_ref()),
            )
        })
    }
}

/// A TOML value as a run-time value: a date-time is a time.
fn value(v: &toml::Value) -> Value {
    match v {
        toml::Value::String(s) => Value::Str(Arc::from(s.as_str())),
        toml::Value::Integer(i) => Value::Num(*i as f64),
        toml::Value::Float(f) => Value::Num(*f),
        toml::Value::Boolean(b) => Value::Bool(*b),
        toml::Value::Datetime(d) => parse_time_str(&d.to_string())
            .map(Value::Time)
            .unwrap_or_else(|_| Value::Str(Arc::from(d.to_string().as_str()))),
        toml::Value::Array(a) => Value::List(a.iter().map(value).collect()),
        toml::Value::Table(t) => Value::Object(
            t.iter()
                .map(|(k, v)| (Arc::from(k.as_str()), value(v)))
                .collect(),
        ),
    }
}

/// A parameter as the action shows it: strings as they are, other values
/// in their TOML form.
fn text(v: &toml::Value) -> String {
    match v {
        toml::Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn error(text: &str, offset: usize, message: String) -> SuiteError {
    let (line, col) = position(text, offset);
    SuiteError { line, col, message }
}

/// 1-based line and column (in characters) of a byte offset.
pub fn position(text: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(text.len());
    let before = text.get(..offset).unwrap_or(text);
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, col)
}

#[cfg(test)]
mod tests {
    use super::*;

    const FILE: &str = r#"
start = "2024-05-06T10:00:00Z"

[[test]]
name = "one"
customer = { id = "ana", phone = "+34600000001", sms_opt_in = true }
events = [
  { at = "+1h", event = "page.viewed", props = { path = "/p/1" } },
  { at = "+0", event = "cart.abandoned", props = { value = 30 } },
]

[[test.expect]]
rule = "r"
params = ["a", 2]
at = "+2h"

[[test.expect_not]]
channel = "sms"
"#;

    #[test]
    fn a_file_resolves_to_absolute_times_and_values() {
        let s = parse(FILE).unwrap();
        let c = &s.tests[0];
        let start = parse_time_str("2024-05-06T10:00:00Z").unwrap();
        assert_eq!(&*c.customer, "ana");
        // identify first, then events sorted by time.
        let names: Vec<&str> = c.events.iter().map(|e| &*e.name).collect();
        assert_eq!(names, ["identify", "cart.abandoned", "page.viewed"]);
        assert_eq!(c.events[2].time, start + 3_600_000);
        assert_eq!(c.expect[0].at, Some(start + 7_200_000));
        assert_eq!(
            c.expect[0].params,
            Some(Params::Positional(vec!["a".into(), "2".into()]))
        );
        assert_eq!(c.until, start + 7_200_000);
        assert!(c.exhaustive);
        assert_eq!(c.expect[0].line, 12);
    }

    #[test]
    fn errors_point_at_the_line() {
        let bad = FILE.replace("\"+1h\"", "\"+1x\"");
        let e = parse(&bad).unwrap_err();
        assert_eq!((e.line, e.col), (8, 10), "{e:?}");
        assert!(e.message.contains("relative times look like"), "{e:?}");
        let e = parse("[[test]]\nname = \"x\"\nevnts = []\n").unwrap_err();
        assert_eq!(e.line, 3, "{e:?}");
        assert!(e.message.contains("unknown field"), "{e:?}");
        assert!(parse("").unwrap_err().message.contains("no tests"));
    }
}
