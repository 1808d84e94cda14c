//! A compiled program: code, constants, the dispatch table, per-rule
//! metadata and project settings. This is what `.trigc` files hold
//! (`compile::file`) and what the VM runs.

use serde::{Deserialize, Serialize};

use super::instr::Op;

/// A constant; mirrors `check::ir::Const`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Const {
    Null,
    Bool(bool),
    Num(f64),
    Str(String),
    Time(i64),
    Dur(i64),
}

/// A byte range in one source file: every instruction has one, so runtime
/// messages point back into the `.trig` text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Loc {
    pub file: u32,
    pub start: u32,
    pub end: u32,
}

/// A code range that computes one value (`code[start..end]`, ending in
/// `Return`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Func {
    pub start: u32,
    pub end: u32,
}

/// The code run for one rule when an event of a given name arrives.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Handler {
    pub rule: u32,
    pub start: u32,
    pub end: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SourceText {
    pub name: String,
    pub text: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Program {
    pub consts: Vec<Const>,
    /// Prop and attribute paths (`context.page.url` is three names).
    pub paths: Vec<Vec<String>>,
    pub code: Vec<Op>,
    /// One location per instruction.
    pub locs: Vec<Loc>,
    pub funcs: Vec<Func>,
    pub handlers: Vec<Handler>,
    /// Event name → handlers to run, in rule order. Sorted by name.
    pub dispatch: Vec<(String, Vec<u32>)>,
    /// Handlers run for every activity event (`inactive` rules).
    pub any_event: Vec<u32>,
    pub rules: Vec<RuleMeta>,
    pub settings: Settings,
    pub sources: Vec<SourceText>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Kind {
    Match,
    First,
    Count {
        times: u32,
        within_ms: i64,
    },
    Sequence {
        within_ms: i64,
        then_filter: Option<u32>,
    },
    Inactive {
        after_ms: i64,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum AbsenceMode {
    /// After `for D`: cancels waits whose window `[t, t+D)` holds it.
    CancelWait,
    /// With `followed by` and no `for`: cancels sequences it falls inside.
    Between,
    /// Otherwise: must not have happened before the completing event
    /// (ever, or within the window).
    LookBack { within_ms: Option<i64> },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AbsenceMeta {
    pub event: String,
    pub mode: AbsenceMode,
    /// Filter function (candidate = the absence event).
    pub filter: Option<u32>,
    /// The filter reads bound events, so it must be evaluated against each
    /// instance rather than once on arrival.
    pub correlated: bool,
    pub loc: Loc,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GuardMeta {
    pub negated: bool,
    pub func: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum LangMeta {
    None,
    Fixed(String),
    Dynamic {
        func: u32,
        approved: Vec<String>,
        default: Option<String>,
    },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum ParamsMeta {
    None,
    Positional {
        values: Vec<u32>,
        header: Option<u32>,
    },
    Named {
        values: Vec<(String, u32)>,
        header: Option<u32>,
    },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum TextPart {
    Literal(String),
    Func(u32),
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum StepMeta {
    Template {
        channel: String,
        name: String,
        lang: LangMeta,
        params: ParamsMeta,
        loc: Loc,
    },
    Text {
        channel: String,
        parts: Vec<TextPart>,
        loc: Loc,
    },
}

impl StepMeta {
    pub fn channel(&self) -> &str {
        match self {
            StepMeta::Template { channel, .. } | StepMeta::Text { channel, .. } => channel,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QuietMeta {
    /// Minutes after local midnight, `[start, end)`.
    pub start: u16,
    pub end: u16,
    pub zone: Option<u32>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GoalMeta {
    pub event: String,
    pub filter: Option<u32>,
    pub within_ms: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RuleMeta {
    pub name: String,
    /// Canonical trigger text: state is keyed by it.
    pub fingerprint: String,
    pub loc: Loc,
    pub kind: Kind,
    pub wait_ms: Option<i64>,
    pub absences: Vec<AbsenceMeta>,
    pub key: Option<u32>,
    pub guards: Vec<GuardMeta>,
    pub steps: Vec<StepMeta>,
    pub limit: Option<(u32, i64)>,
    pub once: bool,
    pub priority: i64,
    pub tags: Vec<String>,
    pub quiet: Option<QuietMeta>,
    pub goal: Option<GoalMeta>,
    /// Holdout share in basis points (10% = 1000).
    pub holdout: Option<u32>,
    pub marketing: bool,
}

/// A cap: at most `count` sends per `per_ms`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct CapMeta {
    pub count: u32,
    pub per_ms: i64,
}

/// Attributes a channel's steps need (from `trig.toml`).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Eligibility {
    pub channel: String,
    /// Must be `true`.
    pub consent: Option<Vec<String>>,
    /// Must be present and not blank.
    pub contact: Option<Vec<String>>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Settings {
    pub timezone: Option<String>,
    pub eligibility: Vec<Eligibility>,
    pub cap_all: Option<CapMeta>,
    pub cap_channel: Vec<(String, CapMeta)>,
    pub cap_tag: Vec<(String, CapMeta)>,
    pub allowed_lateness_ms: i64,
    pub max_future_ms: i64,
    /// Events whose `id` was seen within this long are dropped (0: off).
    pub dedupe_horizon_ms: i64,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            timezone: None,
            eligibility: Vec::new(),
            cap_all: None,
            cap_channel: Vec::new(),
            cap_tag: Vec::new(),
            allowed_lateness_ms: 60_000,
            max_future_ms: 86_400_000,
            dedupe_horizon_ms: 86_400_000,
        }
    }
}

impl Program {
    /// Handlers for an event name (binary search over the sorted table).
    pub fn handlers_for(&self, name: &str) -> &[u32] {
        match self
            .dispatch
            .binary_search_by(|(n, _)| n.as_str().cmp(name))
        {
            Ok(i) => &self.dispatch[i].1,
            Err(_) => &[],
        }
    }
}

impl Program {
    /// `file:line:col` of instruction `pc`, for run-time messages.
    pub fn code_loc(&self, pc: u32) -> String {
        match self.locs.get(pc as usize) {
            Some(l) => self.describe(*l),
            None => format!("instruction {pc}"),
        }
    }

    /// `file:line:col` of a location.
    pub fn describe(&self, l: Loc) -> String {
        let Some(src) = self.sources.get(l.file as usize) else {
            return format!("byte {}", l.start);
        };
        let (line, col) = line_col(&src.text, l.start as usize);
        format!("{}:{line}:{col}", src.name)
    }
}

/// 1-based line and column (in characters) of a byte offset.
pub fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(text.len());
    let before = text.get(..offset).unwrap_or("");
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, col)
}
