//! The typed syntax tree. Every node carries the byte span of its source
//! text, relative to the start of its file. The tree is what the user wrote:
//! names are not resolved and types are not known yet (that is `check`).
//!
//! Equality compares spans too; `trig fmt` compares trees without them
//! through `fmt::masked` (a `Span` prints as `@a..b`, which it masks).

use super::Span;

/// A name as written, with its span.
#[derive(Debug, Clone, PartialEq)]
pub struct Ident {
    pub name: String,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct File {
    pub rules: Vec<Rule>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Rule {
    /// `rule NAME:`; `None` for a rule without a header.
    pub name: Option<Ident>,
    /// 1-based position of the rule in its file (for `FILE_STEM:N`).
    pub position: usize,
    pub trigger: Trigger,
    pub guards: Vec<Guard>,
    pub action: Step,
    pub fallbacks: Vec<Step>,
    pub options: Vec<RuleOption>,
    /// The `when` keyword; unnamed rules are reported here.
    pub when_span: Span,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Trigger {
    pub primary: Primary,
    /// `for D` after the primary.
    pub wait: Option<Duration>,
    pub absences: Vec<Absence>,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Primary {
    /// `E [as x] [where X]`
    Match(Matcher),
    /// `first E [as x] [where X]`
    First { keyword: Span, matcher: Matcher },
    /// `E [as x] [where X] N times within D`
    Count {
        matcher: Matcher,
        times: Spanned<u32>,
        within: Duration,
    },
    /// `E [as a] [where X] followed by F [as b] [where Y] within D`
    Sequence {
        first: Matcher,
        then: Matcher,
        within: Duration,
    },
    /// `inactive for D`; `extra` holds modifiers written after it, which
    /// the checker rejects with an explanation.
    Inactive {
        after: Duration,
        extra: Option<Span>,
    },
}

/// Events with an optional alias and filter.
#[derive(Debug, Clone, PartialEq)]
pub struct Matcher {
    /// One event, or several for `(E or F)`.
    pub events: Vec<EventName>,
    pub alias: Option<Ident>,
    pub filter: Option<Expr>,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub struct EventName {
    /// The name with quotes removed and escapes applied.
    pub name: String,
    /// Written as a quoted string (`"Order Completed"`).
    pub quoted: bool,
    pub span: Span,
}

/// `and not F [as x] [where X] [within D]`
#[derive(Debug, Clone, PartialEq)]
pub struct Absence {
    pub event: EventName,
    pub alias: Option<Ident>,
    pub filter: Option<Expr>,
    pub within: Option<Duration>,
    pub span: Span,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GuardKind {
    If,
    Unless,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Guard {
    pub kind: GuardKind,
    pub expr: Expr,
    pub span: Span,
}

/// One cascade step: the `send` action or a `fallback`.
#[derive(Debug, Clone, PartialEq)]
pub struct Step {
    pub channel: Ident,
    pub body: StepBody,
    /// From `send`/`fallback` to the end of the step.
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub enum StepBody {
    Template {
        name: StringLit,
        lang: Option<Expr>,
        params: Option<Params>,
    },
    Text(Text),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Params {
    pub items: Vec<Param>,
    pub span: Span,
}

/// `EXPR` or `name: EXPR` inside `with (…)`.
#[derive(Debug, Clone, PartialEq)]
pub struct Param {
    pub name: Option<Ident>,
    pub value: Expr,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub struct StringLit {
    /// The value, escapes applied.
    pub value: String,
    pub span: Span,
}

/// A message text with `{interpolation}`.
#[derive(Debug, Clone, PartialEq)]
pub struct Text {
    pub parts: Vec<TextPart>,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub enum TextPart {
    /// Literal text, escapes applied and `{{`/`}}` already single braces.
    Literal {
        text: String,
        span: Span,
    },
    Interp(Expr),
}

#[derive(Debug, Clone, PartialEq)]
pub enum RuleOption {
    Key {
        expr: Expr,
        span: Span,
    },
    Limit {
        count: Spanned<u32>,
        per: Duration,
        span: Span,
    },
    Once {
        span: Span,
    },
    Priority {
        value: Spanned<i64>,
        span: Span,
    },
    Quiet {
        start: ClockTime,
        end: ClockTime,
        zone: Option<Expr>,
        span: Span,
    },
    Goal {
        event: EventName,
        filter: Option<Expr>,
        within: Duration,
        span: Span,
    },
    Holdout {
        percent: Spanned<f64>,
        span: Span,
    },
    Tag {
        name: Ident,
        span: Span,
    },
}

impl RuleOption {
    pub fn span(&self) -> Span {
        match self {
            RuleOption::Key { span, .. }
            | RuleOption::Limit { span, .. }
            | RuleOption::Once { span }
            | RuleOption::Priority { span, .. }
            | RuleOption::Quiet { span, .. }
            | RuleOption::Goal { span, .. }
            | RuleOption::Holdout { span, .. }
            | RuleOption::Tag { span, .. } => *span,
        }
    }

    /// The keyword that introduces the option, for messages.
    pub fn keyword(&self) -> &'static str {
        match self {
            RuleOption::Key { .. } => "key",
            RuleOption::Limit { .. } => "limit",
            RuleOption::Once { .. } => "once",
            RuleOption::Priority { .. } => "priority",
            RuleOption::Quiet { .. } => "quiet",
            RuleOption::Goal { .. } => "goal",
            RuleOption::Holdout { .. } => "holdout",
            RuleOption::Tag { .. } => "tag",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Spanned<T> {
    pub value: T,
    pub span: Span,
}

/// A duration in milliseconds (validated: above zero, at most 366 days).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Duration {
    pub millis: u64,
    pub span: Span,
}

/// Minutes after midnight, 0..=1439.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClockTime {
    pub minutes: u16,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Expr {
    pub kind: ExprKind,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub enum ExprKind {
    Str(String),
    Number(f64),
    Bool(bool),
    Null,
    Duration(u64),
    List(Vec<Expr>),
    /// `root.a.b`; `segments[0]` is the root (`event`, an alias, `customer`, `now`).
    Path(Vec<Ident>),
    Unary(UnaryOp, Box<Expr>),
    Binary(BinaryOp, Box<Expr>, Box<Expr>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnaryOp {
    Not,
    Neg,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BinaryOp {
    Or,
    And,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    In,
    NotIn,
    Contains,
    NotContains,
    StartsWith,
    Coalesce,
    Add,
    Sub,
    Mul,
    Div,
}

impl BinaryOp {
    /// As written in source.
    pub fn symbol(self) -> &'static str {
        match self {
            BinaryOp::Or => "or",
            BinaryOp::And => "and",
            BinaryOp::Eq => "==",
            BinaryOp::Ne => "!=",
            BinaryOp::Lt => "<",
            BinaryOp::Le => "<=",
            BinaryOp::Gt => ">",
            BinaryOp::Ge => ">=",
            BinaryOp::In => "in",
            BinaryOp::NotIn => "not in",
            BinaryOp::Contains => "contains",
            BinaryOp::NotContains => "not contains",
            BinaryOp::StartsWith => "starts with",
            BinaryOp::Coalesce => "??",
            BinaryOp::Add => "+",
            BinaryOp::Sub => "-",
            BinaryOp::Mul => "*",
            BinaryOp::Div => "/",
        }
    }

    pub fn is_comparison(self) -> bool {
        use BinaryOp::*;
        matches!(
            self,
            Eq | Ne | Lt | Le | Gt | Ge | In | NotIn | Contains | NotContains | StartsWith
        )
    }
}
