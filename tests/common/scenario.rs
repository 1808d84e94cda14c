//! The scenario format (tests/scenarios/README.md) and its runner: the
//! real checker, compiler and VM, with outputs rendered in a compact,
//! readable line form so expected results read like documentation.

use std::path::Path;
use std::sync::Arc;

use trig::check::Workspace;
use trig::runtime::action::{Content, NoticeKind, StepParams};
use trig::runtime::{Action, Collect, Engine, Event, EventKind, Notice, Value};

#[derive(Debug, Default)]
pub struct Scenario {
    pub rules: String,
    pub config: Option<String>,
    pub events: Vec<String>,
    pub until: Option<String>,
    pub actions: Vec<String>,
    pub suppressed: Option<Vec<String>>,
}

const DEFAULT_CONFIG: &str = r#"
[project]
timezone = "UTC"
language = "en_US"
[catalogs]
whatsapp = ["../ui/catalogs/whatsapp.json"]
templates = "../ui/catalogs/templates.toml"
"#;

impl Scenario {
    pub fn parse(text: &str) -> Result<Scenario, String> {
        let mut s = Scenario::default();
        let mut section = String::new();
        let mut body: Vec<String> = Vec::new();
        let flush =
            |s: &mut Scenario, section: &str, body: &mut Vec<String>| -> Result<(), String> {
                let lines: Vec<String> = std::mem::take(body);
                let content = || {
                    lines
                        .iter()
                        .filter(|l| !l.trim().is_empty() && !l.trim_start().starts_with('#'))
                        .map(|l| l.trim().to_string())
                        .collect::<Vec<_>>()
                };
                match section {
                    "" => {}
                    "rules" => s.rules = lines.join("\n"),
                    "config" => s.config = Some(lines.join("\n")),
                    "events" => s.events = content(),
                    "actions" => s.actions = content(),
                    "suppressed" => s.suppressed = Some(content()),
                    other => return Err(format!("unknown section `== {other}`")),
                }
                Ok(())
            };
        for line in text.lines() {
            if let Some(head) = line.strip_prefix("== ") {
                flush(&mut s, &section, &mut body)?;
                let head = head.trim();
                if let Some(t) = head.strip_prefix("until ") {
                    s.until = Some(t.trim().to_string());
                    section.clear();
                } else {
                    section = head.to_string();
                }
            } else if !section.is_empty() {
                body.push(line.to_string());
            }
        }
        flush(&mut s, &section, &mut body)?;
        if s.rules.trim().is_empty() {
            return Err("no `== rules` section".into());
        }
        Ok(s)
    }
}

/// Parses `TIME CUSTOMER EVENT [id=ID] [{json props}]`; EVENT `identify`
/// makes a profile update.
pub fn event_line(line: &str) -> Result<Event, String> {
    let mut parts = line.splitn(4, ' ');
    let (Some(t), Some(c), Some(name)) = (parts.next(), parts.next(), parts.next()) else {
        return Err(format!("event line needs TIME CUSTOMER EVENT: `{line}`"));
    };
    let mut rest = parts.next().unwrap_or("").trim();
    let time = time(t)?;
    let mut e = Event::track(c, name, time);
    if let Some(r) = rest.strip_prefix("id=") {
        let (id, after) = r.split_once(' ').unwrap_or((r, ""));
        e = e.with_id(id);
        rest = after.trim();
    }
    if !rest.is_empty() {
        let json: serde_json::Value =
            serde_json::from_str(rest).map_err(|err| format!("props in `{line}`: {err}"))?;
        let serde_json::Value::Object(map) = json else {
            return Err(format!("props must be an object: `{line}`"));
        };
        e.props = Arc::from(
            map.into_iter()
                .map(|(k, v)| (Arc::from(k.as_str()), value(v)))
                .collect::<Vec<_>>(),
        );
    }
    if name == "identify" {
        e.kind = EventKind::Identify;
    }
    Ok(e)
}

fn value(v: serde_json::Value) -> Value {
    match v {
        serde_json::Value::Null => Value::Null,
        serde_json::Value::Bool(b) => Value::Bool(b),
        serde_json::Value::Number(n) => Value::Num(n.as_f64().unwrap_or(f64::NAN)),
        serde_json::Value::String(s) => Value::str(&s),
        serde_json::Value::Array(a) => {
            Value::List(Arc::from(a.into_iter().map(value).collect::<Vec<_>>()))
        }
        serde_json::Value::Object(m) => Value::Object(Arc::from(
            m.into_iter()
                .map(|(k, v)| (Arc::from(k.as_str()), value(v)))
                .collect::<Vec<_>>(),
        )),
    }
}

pub fn time(t: &str) -> Result<i64, String> {
    chrono::DateTime::parse_from_rfc3339(t)
        .map(|d| d.timestamp_millis())
        .map_err(|e| format!("`{t}` is not an RFC 3339 time: {e}"))
}

/// Compiles rules with a project file (paths relative to `dir`).
pub fn compile(
    rules: &str,
    config: Option<&str>,
    dir: &Path,
) -> Result<trig::compile::Program, String> {
    let mut ws = Workspace::new();
    let config = config.unwrap_or(DEFAULT_CONFIG);
    ws.load_config("trig.toml", config);
    let cats = ws.config.catalogs.clone();
    let read = |f: &str| std::fs::read_to_string(dir.join(f)).map_err(|e| format!("{f}: {e}"));
    for f in &cats.whatsapp {
        ws.add_whatsapp_catalog(f, &read(f)?);
    }
    if let Some(f) = &cats.templates {
        ws.load_templates(f, &read(f)?);
    }
    if let Some(f) = &cats.schema {
        ws.load_schema(f, &read(f)?);
    }
    ws.add_rules("scenario.trig", rules);
    let checked = ws.check();
    let errors: Vec<String> = checked
        .errors()
        .map(|d| format!("{} {}", d.code.id(), d.message))
        .collect();
    if !errors.is_empty() {
        return Err(format!(
            "the rules do not check:\n  {}",
            errors.join("\n  ")
        ));
    }
    Ok(trig::compile::compile(
        &checked.program,
        &checked.config,
        &checked.sources,
    ))
}

/// Runs events through a compiled program.
pub fn run(
    p: trig::compile::Program,
    events: Vec<Event>,
    until: Option<i64>,
) -> Result<Collect, String> {
    let mut engine = Engine::new(Arc::new(p));
    let mut out = Collect::default();
    for e in events {
        engine.push(e, &mut out).map_err(|l| l.to_string())?;
    }
    engine.finish(until, &mut out);
    Ok(out)
}

pub fn check(s: &Scenario, dir: &Path) -> Result<(), String> {
    let prog = compile(&s.rules, s.config.as_deref(), dir)?;
    let events = s
        .events
        .iter()
        .map(|l| event_line(l))
        .collect::<Result<Vec<_>, _>>()?;
    let until = s.until.as_deref().map(time).transpose()?;
    let out = run(prog, events, until)?;
    let mut problems = Vec::new();
    compare(
        "actions",
        &s.actions,
        out.actions.iter().map(action_line).collect(),
        &mut problems,
    );
    if let Some(expected) = &s.suppressed {
        compare(
            "suppressed",
            expected,
            out.notices.iter().map(notice_line).collect(),
            &mut problems,
        );
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems.join("\n"))
    }
}

fn compare(what: &str, expected: &[String], actual: Vec<String>, problems: &mut Vec<String>) {
    let mut e: Vec<String> = expected.iter().map(|l| normalize(l)).collect();
    let mut a: Vec<String> = actual.iter().map(|l| normalize(l)).collect();
    e.sort();
    a.sort();
    if e != a {
        problems.push(format!(
            "  {what} differ\n  expected:\n{}\n  actual:\n{}",
            indent(&e),
            indent(&a)
        ));
    }
}

fn normalize(l: &str) -> String {
    l.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn indent(lines: &[String]) -> String {
    if lines.is_empty() {
        return "    (none)".into();
    }
    lines
        .iter()
        .map(|l| format!("    {l}"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// `2024-01-01T12:00:00Z`, with milliseconds only when there are some.
pub fn short_time(ms: i64) -> String {
    let t = trig::runtime::time::format_rfc3339(ms);
    t.replace(".000Z", "Z")
}

/// `SEND_AT CUSTOMER RULE: STEP | STEP [(fired FIRED_AT)]`.
pub fn action_line(a: &Action) -> String {
    let steps: Vec<String> = a
        .steps
        .iter()
        .map(|s| {
            let mut out = format!("{} ", s.channel);
            match &s.content {
                Content::Template(t) => out.push_str(&format!("template {t}")),
                Content::Text(t) => out.push_str(&format!("{t:?}")),
            }
            if let Some(l) = &s.lang {
                out.push_str(&format!(" lang {l}"));
            }
            match &s.params {
                StepParams::None => {}
                StepParams::Positional { values, header } => {
                    out.push_str(&format!(" with {values:?}"));
                    if let Some(h) = header {
                        out.push_str(&format!(" header {h:?}"));
                    }
                }
                StepParams::Named { values, header } => {
                    let v: Vec<String> =
                        values.iter().map(|(k, v)| format!("{k}: {v:?}")).collect();
                    out.push_str(&format!(" with ({})", v.join(", ")));
                    if let Some(h) = header {
                        out.push_str(&format!(" header {h:?}"));
                    }
                }
            }
            out
        })
        .collect();
    let mut line = format!(
        "{} {} {}: {}",
        short_time(a.send_at),
        a.customer,
        a.rule,
        steps.join(" | ")
    );
    if a.fired_at != a.send_at {
        line.push_str(&format!(" (fired {})", short_time(a.fired_at)));
    }
    line
}

/// `AT CUSTOMER RULE: REASON` or `AT CUSTOMER RULE: deferred until T`.
pub fn notice_line(n: &Notice) -> String {
    let what = match n.kind {
        NoticeKind::Suppressed(r) => r.as_str().to_string(),
        NoticeKind::Deferred { until } => format!("deferred until {}", short_time(until)),
    };
    format!("{} {} {}: {what}", short_time(n.at), n.customer, n.rule)
}
