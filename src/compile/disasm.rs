//! A readable listing of a compiled program (`trig disasm`): a header with
//! the tables, then per rule its metadata, its handlers and its functions,
//! one instruction a line with operands resolved (constants as values,
//! paths as `customer.first_name`, `event.props.url`, `$0.props.value`),
//! and a `; file:line  text` comment whenever the source line changes.
//! The output depends only on the program, so it can be snapshot-tested.
//! It never panics, even on a program the verifier would refuse.

use std::fmt::Write;

use super::instr::{Field, Op, Src};
use super::program::{
    AbsenceMode, CapMeta, Const, Kind, LangMeta, Loc, ParamsMeta, Program, RuleMeta, StepMeta,
    TextPart,
};
use super::verify::{handler_events, kind_name, mnemonic, rule_funcs};

/// The listing of a program.
pub fn disasm(p: &Program) -> String {
    let mut d = Disasm {
        p,
        lines: p.sources.iter().map(|s| line_starts(&s.text)).collect(),
        out: String::new(),
    };
    d.header();
    let events = handler_events(p);
    let mut listed_funcs = vec![false; p.funcs.len()];
    let mut listed_handlers = vec![false; p.handlers.len()];
    for (r, meta) in p.rules.iter().enumerate() {
        let r = r as u32;
        d.rule(r, meta);
        for (h, handler) in p.handlers.iter().enumerate() {
            if handler.rule != r {
                continue;
            }
            listed_handlers[h] = true;
            let on = events[h].as_deref().unwrap_or("no event");
            let _ = writeln!(d.out, "\n  on {on} (handler {h}):");
            d.code(handler.start, handler.end, Some(r));
        }
        let mut funcs = rule_funcs(meta);
        funcs.sort_by_key(|(f, _)| *f);
        funcs.dedup_by_key(|(f, _)| *f);
        for (f, role) in funcs {
            let Some(func) = p.funcs.get(f as usize) else {
                continue;
            };
            if let Some(seen) = listed_funcs.get_mut(f as usize) {
                *seen = true;
            }
            let _ = writeln!(d.out, "\n  fn f{f} ({role}):");
            d.code(func.start, func.end, Some(r));
        }
    }
    let orphan_handlers: Vec<usize> = (0..p.handlers.len())
        .filter(|&h| !listed_handlers[h])
        .collect();
    let orphan_funcs: Vec<usize> = (0..p.funcs.len()).filter(|&f| !listed_funcs[f]).collect();
    if !orphan_handlers.is_empty() || !orphan_funcs.is_empty() {
        d.out.push_str("\n; not referenced by any rule\n");
        for h in orphan_handlers {
            let handler = p.handlers[h];
            let _ = writeln!(d.out, "\n  handler {h} (rule {}):", handler.rule);
            d.code(handler.start, handler.end, None);
        }
        for f in orphan_funcs {
            let func = p.funcs[f];
            let _ = writeln!(d.out, "\n  fn f{f}:");
            d.code(func.start, func.end, None);
        }
    }
    d.out
}

struct Disasm<'a> {
    p: &'a Program,
    /// Byte offsets of the line starts of each source.
    lines: Vec<Vec<usize>>,
    out: String,
}

fn line_starts(text: &str) -> Vec<usize> {
    std::iter::once(0)
        .chain(text.match_indices('\n').map(|(i, _)| i + 1))
        .collect()
}

/// A duration in trig's notation (`1h30m`); weeks only when whole (`30d`,
/// not `4w2d`).
pub fn duration(ms: i64) -> String {
    const WEEK: u64 = 604_800_000;
    if ms == 0 {
        return "0s".to_string();
    }
    let mut out = String::from(if ms < 0 { "-" } else { "" });
    let mut rest = ms.unsigned_abs();
    if rest % WEEK == 0 {
        let _ = write!(out, "{}w", rest / WEEK);
        return out;
    }
    for (unit, size) in [
        ("d", 86_400_000u64),
        ("h", 3_600_000),
        ("m", 60_000),
        ("s", 1_000),
        ("ms", 1),
    ] {
        if rest >= size {
            let _ = write!(out, "{}{unit}", rest / size);
            rest %= size;
        }
    }
    out
}

fn clock(minutes: u16) -> String {
    format!("{:02}:{:02}", minutes / 60, minutes % 60)
}

fn constant(c: &Const) -> String {
    match c {
        Const::Null => "null".to_string(),
        Const::Bool(b) => b.to_string(),
        Const::Num(n) => n.to_string(),
        Const::Str(s) => format!("{s:?}"),
        Const::Time(t) => match chrono::DateTime::<chrono::Utc>::from_timestamp_millis(*t) {
            Some(t) => format!(
                "time {}",
                t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
            ),
            None => format!("time {t}ms"),
        },
        Const::Dur(d) => format!("duration {}", duration(*d)),
    }
}

fn cap(c: &CapMeta) -> String {
    format!("{} per {}", c.count, duration(c.per_ms))
}

fn percent(bp: u32) -> String {
    let whole = bp / 100;
    match bp % 100 {
        0 => format!("{whole}%"),
        frac => {
            let frac = format!("{frac:02}");
            format!("{whole}.{}%", frac.trim_end_matches('0'))
        }
    }
}

impl Disasm<'_> {
    fn header(&mut self) {
        let p = self.p;
        let _ = writeln!(
            self.out,
            "; {} rule(s), {} instruction(s), {} function(s), {} handler(s), {} constant(s), {} path(s)",
            p.rules.len(),
            p.code.len(),
            p.funcs.len(),
            p.handlers.len(),
            p.consts.len(),
            p.paths.len()
        );
        let names: Vec<&str> = p.sources.iter().map(|s| s.name.as_str()).collect();
        let _ = writeln!(self.out, "; sources: {}", names.join(", "));
        self.out.push_str("; events:\n");
        if p.dispatch.is_empty() {
            self.out.push_str(";   (none)\n");
        }
        for (name, hs) in &p.dispatch {
            let _ = writeln!(self.out, ";   `{name}`: {}", self.handler_list(hs));
        }
        if !p.any_event.is_empty() {
            let _ = writeln!(self.out, "; any event: {}", self.handler_list(&p.any_event));
        }
        let s = &p.settings;
        let _ = writeln!(
            self.out,
            "; timezone {}, allowed lateness {}, max future {}",
            s.timezone.as_deref().unwrap_or("(none)"),
            duration(s.allowed_lateness_ms),
            duration(s.max_future_ms)
        );
        let mut caps = Vec::new();
        if let Some(c) = &s.cap_all {
            caps.push(format!("all {}", cap(c)));
        }
        for (ch, c) in &s.cap_channel {
            caps.push(format!("{ch} {}", cap(c)));
        }
        for (tag, c) in &s.cap_tag {
            caps.push(format!("tag {tag} {}", cap(c)));
        }
        if !caps.is_empty() {
            let _ = writeln!(self.out, "; caps: {}", caps.join(", "));
        }
        for e in &s.eligibility {
            let mut parts = Vec::new();
            if let Some(a) = &e.consent {
                parts.push(format!("consent customer.{}", a.join(".")));
            }
            if let Some(a) = &e.contact {
                parts.push(format!("contact customer.{}", a.join(".")));
            }
            let _ = writeln!(self.out, "; {}: {}", e.channel, parts.join(", "));
        }
    }

    fn handler_list(&self, hs: &[u32]) -> String {
        let items: Vec<String> = hs
            .iter()
            .map(|&h| {
                let rule = self
                    .p
                    .handlers
                    .get(h as usize)
                    .and_then(|x| self.p.rules.get(x.rule as usize));
                match rule {
                    Some(r) => format!("{} (handler {h})", r.name),
                    None => format!("handler {h}"),
                }
            })
            .collect();
        items.join(", ")
    }

    /// `file:line:col`.
    fn place(&self, l: Loc) -> String {
        match self.line_of(l) {
            Some((name, line, col, _)) => format!("{name}:{line}:{col}"),
            None => format!("file {} byte {}", l.file, l.start),
        }
    }

    /// File name, 1-based line and column, and the line's text.
    fn line_of(&self, l: Loc) -> Option<(&str, usize, usize, &str)> {
        let src = self.p.sources.get(l.file as usize)?;
        let starts = self.lines.get(l.file as usize)?;
        let at = (l.start as usize).min(src.text.len());
        let line = starts.partition_point(|&s| s <= at).max(1) - 1;
        let begin = *starts.get(line)?;
        let end = starts.get(line + 1).map_or(src.text.len(), |&e| e - 1);
        let text = src.text.get(begin..end)?;
        let col = src.text.get(begin..at).map_or(0, |b| b.chars().count()) + 1;
        Some((&src.name, line + 1, col, text))
    }

    fn func(&self, f: u32) -> String {
        format!("f{f}")
    }

    fn rule(&mut self, r: u32, m: &RuleMeta) {
        let place = self.place(m.loc);
        let _ = writeln!(self.out, "\nrule {} (rule {r}, {place})", m.name);
        let _ = writeln!(self.out, "  fingerprint: {}", m.fingerprint);
        let kind = match &m.kind {
            Kind::Match | Kind::First => kind_name(&m.kind).to_string(),
            Kind::Count { times, within_ms } => {
                format!("count {times} times within {}", duration(*within_ms))
            }
            Kind::Sequence {
                within_ms,
                then_filter,
            } => {
                let filter = then_filter
                    .map_or(String::new(), |f| format!(", then filter {}", self.func(f)));
                format!("followed by within {}{filter}", duration(*within_ms))
            }
            Kind::Inactive { after_ms } => format!("inactive for {}", duration(*after_ms)),
        };
        let _ = writeln!(self.out, "  kind: {kind}");
        if let Some(w) = m.wait_ms {
            let _ = writeln!(self.out, "  wait: {}", duration(w));
        }
        for (i, a) in m.absences.iter().enumerate() {
            let mode = match a.mode {
                AbsenceMode::CancelWait => "cancels the wait".to_string(),
                AbsenceMode::Between => "cancels between the events".to_string(),
                AbsenceMode::LookBack { within_ms: None } => "looks back forever".to_string(),
                AbsenceMode::LookBack { within_ms: Some(w) } => {
                    format!("looks back {}", duration(w))
                }
            };
            let filter = a
                .filter
                .map_or(String::new(), |f| format!(", filter {}", self.func(f)));
            let correlated = if a.correlated { ", correlated" } else { "" };
            let _ = writeln!(
                self.out,
                "  absence {i}: `{}`, {mode}{filter}{correlated}",
                a.event
            );
        }
        for (i, g) in m.guards.iter().enumerate() {
            let word = if g.negated { "unless" } else { "if" };
            let _ = writeln!(self.out, "  guard {i}: {word} {}", self.func(g.func));
        }
        for (i, s) in m.steps.iter().enumerate() {
            let text = self.step(s);
            let _ = writeln!(self.out, "  step {i}: {text}");
        }
        if let Some(k) = m.key {
            let _ = writeln!(self.out, "  key: {}", self.func(k));
        }
        let mut opts = Vec::new();
        if let Some((n, per)) = m.limit {
            opts.push(format!("limit {n} per {}", duration(per)));
        }
        if m.once {
            opts.push("once".to_string());
        }
        if m.priority != 0 {
            opts.push(format!("priority {}", m.priority));
        }
        if let Some(q) = &m.quiet {
            let zone = q
                .zone
                .map_or(String::new(), |z| format!(" zone {}", self.func(z)));
            opts.push(format!("quiet {}-{}{zone}", clock(q.start), clock(q.end)));
        }
        if let Some(g) = &m.goal {
            let filter = g
                .filter
                .map_or(String::new(), |f| format!(" filter {}", self.func(f)));
            opts.push(format!(
                "goal `{}`{filter} within {}",
                g.event,
                duration(g.within_ms)
            ));
        }
        if let Some(h) = m.holdout {
            opts.push(format!("holdout {}", percent(h)));
        }
        if !m.tags.is_empty() {
            opts.push(format!("tags {}", m.tags.join(", ")));
        }
        if m.marketing {
            opts.push("marketing".to_string());
        }
        if !opts.is_empty() {
            let _ = writeln!(self.out, "  options: {}", opts.join("; "));
        }
    }

    fn step(&self, s: &StepMeta) -> String {
        match s {
            StepMeta::Template {
                channel,
                name,
                lang,
                params,
                ..
            } => {
                let lang = match lang {
                    LangMeta::None => String::new(),
                    LangMeta::Fixed(l) => format!(" lang {l}"),
                    LangMeta::Dynamic {
                        func,
                        approved,
                        default,
                    } => {
                        let default = default
                            .as_deref()
                            .map_or(String::new(), |d| format!(", default {d}"));
                        format!(
                            " lang {} (approved {}{default})",
                            self.func(*func),
                            approved.join(", ")
                        )
                    }
                };
                let header = |h: &Option<u32>| h.map(|h| format!("header: {}", self.func(h)));
                let params = match params {
                    ParamsMeta::None => String::new(),
                    ParamsMeta::Positional { values, header: h } => {
                        let mut items: Vec<String> = values.iter().map(|&v| self.func(v)).collect();
                        items.extend(header(h));
                        format!(" with ({})", items.join(", "))
                    }
                    ParamsMeta::Named { values, header: h } => {
                        let mut items: Vec<String> = values
                            .iter()
                            .map(|(n, v)| format!("{n}: {}", self.func(*v)))
                            .collect();
                        items.extend(header(h));
                        format!(" with ({})", items.join(", "))
                    }
                };
                format!("{channel} template {name:?}{lang}{params}")
            }
            StepMeta::Text { channel, parts, .. } => {
                let mut text = String::new();
                for part in parts {
                    match part {
                        TextPart::Literal(l) => text.push_str(l),
                        TextPart::Func(f) => {
                            let _ = write!(text, "{{{}}}", self.func(*f));
                        }
                    }
                }
                format!("{channel} text {text:?}")
            }
        }
    }

    fn path(&self, i: u32) -> String {
        match self.p.paths.get(i as usize) {
            Some(path) => path.join("."),
            None => format!("<path {i}?>"),
        }
    }

    fn load(&self, src: Src, field: Field) -> String {
        let base = match src {
            Src::Candidate => "event".to_string(),
            Src::Binding(b) => format!("${b}"),
            Src::Customer => "customer".to_string(),
        };
        let field = match field {
            Field::Time => "time".to_string(),
            Field::Id => "id".to_string(),
            Field::Name => "name".to_string(),
            Field::Customer => "customer".to_string(),
            Field::Path(i) if src == Src::Customer => self.path(i),
            Field::Path(i) => format!("props.{}", self.path(i)),
        };
        format!("{base}.{field}")
    }

    fn operands(&self, op: Op, rule: Option<u32>) -> String {
        let other_rule = |r: u32| {
            if Some(r) == rule {
                String::new()
            } else {
                match self.p.rules.get(r as usize) {
                    Some(m) => format!("rule {}", m.name),
                    None => format!("rule {r}"),
                }
            }
        };
        match op {
            Op::Const(i) => match self.p.consts.get(i as usize) {
                Some(c) => constant(c),
                None => format!("<constant {i}?>"),
            },
            Op::Load(src, field) => self.load(src, field),
            Op::List(n) => n.to_string(),
            Op::Jump(t)
            | Op::JumpIfFalse(t)
            | Op::JumpIfFalseKeep(t)
            | Op::JumpIfTrueKeep(t)
            | Op::JumpIfPresentKeep(t) => format!("-> {t}"),
            Op::Cancel(r, a) | Op::Record(r, a) => {
                let event = self
                    .p
                    .rules
                    .get(r as usize)
                    .and_then(|m| m.absences.get(a as usize))
                    .map_or(String::new(), |x| format!(" `{}`", x.event));
                let who = other_rule(r);
                let sep = if who.is_empty() { "" } else { " " };
                format!("{who}{sep}absence {a}{event}")
            }
            Op::Match(r)
            | Op::First(r)
            | Op::Count(r)
            | Op::SeqStart(r)
            | Op::SeqComplete(r)
            | Op::Touch(r)
            | Op::Goal(r) => other_rule(r),
            Op::Now
            | Op::Not
            | Op::Neg
            | Op::IsNull
            | Op::Bin(_)
            | Op::Truthy
            | Op::Pop
            | Op::Return
            | Op::Halt => String::new(),
        }
    }

    /// The instructions `start..end` (clamped to the code).
    fn code(&mut self, start: u32, end: u32, rule: Option<u32>) {
        let end = (end as usize).min(self.p.code.len());
        let mut last_line: Option<(u32, usize)> = None;
        for pc in (start as usize)..end {
            let op = self.p.code[pc];
            let at = self.p.locs.get(pc).and_then(|&l| {
                let (name, line, _, text) = self.line_of(l)?;
                Some(((l.file, line), name, text))
            });
            if let Some((key, name, text)) = at {
                if last_line != Some(key) {
                    let text: String = text
                        .trim()
                        .chars()
                        .map(|c| if c.is_control() { ' ' } else { c })
                        .collect();
                    let comment = format!("          ; {name}:{}  {text}", key.1);
                    self.out.push_str(comment.trim_end());
                    self.out.push('\n');
                    last_line = Some(key);
                }
            }
            let operands = self.operands(op, rule);
            let line = format!("    {pc:>5}  {:<20} {operands}", mnemonic(op));
            self.out.push_str(line.trim_end());
            self.out.push('\n');
        }
    }
}
