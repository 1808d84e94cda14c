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

/// A time: text (`+2h`, RFC 3339) or a TOML date-time.
#[derive(Deserialize)]
#[serde(untagged)]
enum TimeField {
    Text(String),
    Date(toml::value::Datetime),
}

impl TimeField {
    fn text(&self) -> String {
        match self {
            TimeField::Text(s) => s.clone(),
            TimeField::Date(d) => d.to_string(),
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileSpec {
    start: Option<Spanned<TimeField>>,
    rules: Option<Vec<String>>,
    customer: Option<toml::Table>,
    #[serde(rename = "test", default)]
    tests: Vec<Spanned<TestSpec>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TestSpec {
    name: String,
    start: Option<Spanned<TimeField>>,
    rules: Option<Vec<String>>,
    customer: Option<toml::Table>,
    #[serde(default)]
    events: Vec<Spanned<EventSpec>>,
    until: Option<Spanned<TimeField>>,
    #[serde(default)]
    expect: Vec<Spanned<SendSpec>>,
    #[serde(default)]
    expect_not: Vec<Spanned<SendSpec>>,
    exhaustive: Option<bool>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct EventSpec {
    at: Spanned<TimeField>,
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
    at: Option<Spanned<TimeField>>,
}

/// Parses a test file's text.
pub fn parse(text: &str) -> Result<Suite, SuiteError> {
    let cx = Resolver {
        text,
        lines: line_starts(text),
    };
    let spec: FileSpec = toml::from_str(text).map_err(|e| {
        let at = e.span().map_or(0, |s| s.start);
        let single = e.message().contains("expected a sequence") && text.contains("[test]");
        if single {
            let at = text.find("[test]").unwrap_or(at);
            return cx.error(
                at,
                "tests are `[[test]]` tables (double brackets), one a test".into(),
            );
        }
        cx.error(at, e.message().trim().to_string())
    })?;
    let file_start = match &spec.start {
        Some(s) => cx.absolute(s)?,
        None => parse_time_str(DEFAULT_START).unwrap_or(0),
    };
    if spec.tests.is_empty() {
        return Err(cx.error(
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
    /// Byte offsets where lines start, for positions without rescanning.
    lines: Vec<usize>,
}

impl Resolver<'_> {
    fn case(
        &self,
        t: &Spanned<TestSpec>,
        file_start: i64,
        file: &FileSpec,
    ) -> Result<Case, SuiteError> {
        let at = t.span().start;
        let line = self.position(at).0;
        let t = t.get_ref();
        if t.name.trim().is_empty() {
            return Err(self.error(at, "a test needs a `name` that says what it shows".into()));
        }
        let scope = t.rules.clone().or_else(|| file.rules.clone());
        if scope.as_ref().is_some_and(Vec::is_empty) {
            return Err(self.error(
                at,
                "`rules = []` would check no send: name the rules, or leave `rules` out to check all".into(),
            ));
        }
        let start = match &t.start {
            Some(s) => self.absolute(s)?,
            None => file_start,
        };
        let profile = t.customer.as_ref().or(file.customer.as_ref());
        let (customer, traits) = self.customer(profile);
        if customer.is_empty() {
            return Err(self.error(at, "the customer's `id` is empty".into()));
        }
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
        let last = events.iter().map(|e| e.time).max();
        let until = match &t.until {
            Some(u) => {
                let until = self.time(u, start)?;
                // Events after the end would be read but never applied.
                if last.is_some_and(|l| l > until) {
                    return Err(self.error(
                        u.span().start,
                        "`until` is before the test's last event: time would stop before it happens".into(),
                    ));
                }
                until
            }
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
            scope,
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
        let line = self.position(s.span().start).0;
        let at = s.span().start;
        let s = s.get_ref();
        if s.template.is_some() && s.text.is_some() {
            return Err(self.error(at, "a send has a `template` or a `text`, not both".into()));
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
            _ => Err(self.error(
                p.span().start,
                "`params` is a list (positional parameters) or a table (named ones)".into(),
            )),
        }
    }

    /// `+2h`, `-5m` (from `start`) or an absolute time.
    fn time(&self, s: &Spanned<TimeField>, start: i64) -> Result<i64, SuiteError> {
        let text = s.get_ref().text();
        let raw = text.trim();
        let (sign, rest) = match raw.as_bytes().first() {
            Some(b'+') => (1, &raw[1..]),
            Some(b'-') => (-1, &raw[1..]),
            _ => return self.absolute(s),
        };
        let hint = "relative times look like `+2h`, `+1d12h`, `-5m`, `+0`; at most 366 days";
        // `+0`, `+0s`, `+0d`: the start itself (a rule's duration may not
        // be zero, an offset may).
        let zero = !rest.is_empty()
            && rest.starts_with('0')
            && rest
                .trim_start_matches('0')
                .chars()
                .all(|c| "wdhms".contains(c))
            && rest.trim_start_matches('0').len() <= 2;
        if zero {
            return Ok(start);
        }
        if rest.is_empty() {
            return Err(self.error(
                s.span().start,
                format!("`{raw}`: a duration must follow the sign ({hint})"),
            ));
        }
        let ms = parse_duration(rest)
            .map_err(|(m, _)| self.error(s.span().start, format!("`{raw}`: {m} ({hint})")))?;
        Ok(start.saturating_add(sign * ms as i64))
    }

    fn absolute(&self, s: &Spanned<TimeField>) -> Result<i64, SuiteError> {
        let text = s.get_ref().text();
        parse_time_str(&text).map_err(|m| {
            self.error(
                s.span().start,
                format!("`{text}`: {m} (or a relative time such as `+2h`)"),
            )
        })
    }

    fn error(&self, offset: usize, message: String) -> SuiteError {
        let (line, col) = self.position(offset);
        SuiteError { line, col, message }
    }

    /// 1-based line and column (in characters) of a byte offset.
    fn position(&self, offset: usize) -> (usize, usize) {
        let offset = offset.min(self.text.len());
        let line = self.lines.partition_point(|&s| s <= offset).max(1);
        let from = self.lines[line - 1];
        let col = self.text.get(from..offset).map_or(0, |l| l.chars().count()) + 1;
        (line, col)
    }
}

fn line_starts(text: &str) -> Vec<usize> {
    std::iter::once(0)
        .chain(text.match_indices('\n').map(|(i, _)| i + 1))
        .collect()
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

    #[test]
    fn tests_that_would_check_nothing_are_refused() {
        let one = |body: &str| {
            parse(&format!("[[test]]\n{body}\n"))
                .map(|_| ())
                .unwrap_err()
                .message
        };
        assert!(one("name = \"\"").contains("needs a `name`"));
        assert!(one("name = \"x\"\nrules = []").contains("would check no send"));
        assert!(one("name = \"x\"\ncustomer = { id = \"\" }").contains("`id` is empty"));
        let late = "name = \"x\"\nuntil = \"+1h\"\nevents = [{ at = \"+2h\", event = \"e\" }]";
        assert!(one(late).contains("before the test's last event"));
        assert!(one("name = \"x\"\nuntil = \"+\"").contains("must follow the sign"));
        let e = parse("[test]\nname = \"x\"\n").unwrap_err();
        assert!(e.message.contains("`[[test]]` tables"), "{e:?}");
        assert_eq!((e.line, e.col), (1, 1));
    }

    #[test]
    fn zero_offsets_and_toml_dates_are_times() {
        let s = parse(
            "start = 2024-05-06T10:00:00Z\n[[test]]\nname = \"x\"\nevents = [{ at = \"+0d\", event = \"e\" }, { at = 2024-05-06T11:00:00Z, event = \"f\" }]\n",
        )
        .unwrap();
        let start = parse_time_str("2024-05-06T10:00:00Z").unwrap();
        let times: Vec<i64> = s.tests[0].events.iter().map(|e| e.time).collect();
        assert_eq!(times, [start, start + 3_600_000]);
    }
}
