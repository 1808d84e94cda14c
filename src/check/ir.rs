//! The checked IR: what the compiler consumes. Names are resolved (every
//! path knows where its value comes from), every expression has a type,
//! templates and languages are decided as far as compile time can, and
//! options are validated. Spans stay so runtime messages point at source.

use crate::diag::FileId;
use crate::syntax::Span;

/// A value's static type. `Any` is a property whose type nothing decided
/// (checked at run time: a wrong type fails the guard closed).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Type {
    Str,
    Num,
    Bool,
    Time,
    Dur,
    List,
    Null,
    Any,
}

impl Type {
    pub fn name(self) -> &'static str {
        match self {
            Type::Str => "string",
            Type::Num => "number",
            Type::Bool => "bool",
            Type::Time => "timestamp",
            Type::Dur => "duration",
            Type::List => "list",
            Type::Null => "null",
            Type::Any => "any",
        }
    }
}

/// A constant value (literals, after folding timestamps written as strings).
#[derive(Debug, Clone, PartialEq)]
pub enum Const {
    Str(String),
    Num(f64),
    Bool(bool),
    /// Milliseconds since the Unix epoch, UTC.
    Time(i64),
    /// Milliseconds.
    Dur(i64),
    Null,
}

/// Where a path reads its value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// Inside `where`: the event being tested.
    Candidate,
    /// An event bound by the pattern: 0 is the start event (or the N-th for
    /// counts, the last before the silence for `inactive`), 1 the `followed
    /// by` event.
    Binding(u8),
    /// The customer's profile at evaluation time.
    Customer,
    /// The current event time.
    Now,
}

/// Envelope fields of an event; anything else is a prop.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Envelope {
    Time,
    Id,
    Name,
    Customer,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Access {
    /// `now`.
    Now,
    Envelope(Envelope),
    /// A prop path (`props.time` is `["time"]`) or customer attribute path.
    Field(Vec<String>),
}

#[derive(Debug, Clone, PartialEq)]
pub struct TExpr {
    pub kind: TExprKind,
    pub ty: Type,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub enum TExprKind {
    Const(Const),
    List(Vec<TExpr>),
    Load { source: Source, access: Access },
    Not(Box<TExpr>),
    Neg(Box<TExpr>),
    Binary(crate::syntax::ast::BinaryOp, Box<TExpr>, Box<TExpr>),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Matcher {
    pub events: Vec<String>,
    pub filter: Option<TExpr>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Primary {
    Match(Matcher),
    First(Matcher),
    Count {
        matcher: Matcher,
        times: u32,
        within_ms: u64,
    },
    Sequence {
        first: Matcher,
        then: Matcher,
        within_ms: u64,
    },
    Inactive {
        after_ms: u64,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub struct Absence {
    pub event: String,
    /// `event` and the absence's alias are `Source::Candidate` here.
    pub filter: Option<TExpr>,
    /// Look-back window (only without `for`).
    pub within_ms: Option<u64>,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Trigger {
    pub primary: Primary,
    pub wait_ms: Option<u64>,
    pub absences: Vec<Absence>,
    /// The trigger as canonical text: state is keyed by it, so a change to
    /// the trigger resets waiting instances.
    pub fingerprint: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Guard {
    /// `unless`: the rule fires only when the expression is not true.
    pub negated: bool,
    pub expr: TExpr,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Lang {
    /// Decided at compile time (a literal, the default, or the only one).
    Fixed(String),
    /// Evaluated at fire time, then matched exactly, by base language, then
    /// the default; `approved` lists the candidates.
    Dynamic {
        expr: TExpr,
        approved: Vec<String>,
        default: Option<String>,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub enum Params {
    None,
    Positional {
        values: Vec<TExpr>,
        header: Option<TExpr>,
    },
    Named {
        values: Vec<(String, TExpr)>,
        header: Option<TExpr>,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub enum TextPart {
    Literal(String),
    Interp(TExpr),
}

#[derive(Debug, Clone, PartialEq)]
pub enum StepBody {
    Template {
        name: String,
        lang: Option<Lang>,
        params: Params,
    },
    Text(Vec<TextPart>),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Step {
    pub channel: String,
    pub body: StepBody,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Quiet {
    /// Minutes after midnight; `[start, end)`, may cross midnight.
    pub start: u16,
    pub end: u16,
    pub zone: Option<TExpr>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Goal {
    pub event: String,
    pub filter: Option<TExpr>,
    pub within_ms: u64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Rule {
    pub name: String,
    pub file: FileId,
    pub span: Span,
    /// The name after `rule` (or `when` for an unnamed rule).
    pub name_span: Span,
    pub trigger: Trigger,
    pub guards: Vec<Guard>,
    /// The cascade: the `send` step first, then each `fallback`.
    pub steps: Vec<Step>,
    pub key: Option<TExpr>,
    pub limit: Option<(u32, u64)>,
    pub once: bool,
    pub priority: i64,
    pub quiet: Option<Quiet>,
    pub goal: Option<Goal>,
    /// Percent, strictly between 0 and 100.
    pub holdout: Option<f64>,
    pub tags: Vec<String>,
    /// Marketing sends are subject to consent and opt-out lints.
    pub marketing: bool,
}

/// Everything the compiler needs: checked rules and project settings.
#[derive(Debug, Clone, Default)]
pub struct Program {
    pub rules: Vec<Rule>,
}
