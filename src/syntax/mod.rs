//! Syntax: the logos token layer, the pest grammar binding and the typed AST.

pub mod ast;
mod expected;
pub mod lexer;
pub mod parser;

pub use parser::{parse_file, parse_rules};

/// A byte range `[start, end)` into one source file.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default, PartialOrd, Ord)]
pub struct Span {
    pub start: usize,
    pub end: usize,
}

impl Span {
    pub fn new(start: usize, end: usize) -> Self {
        Span { start, end }
    }

    /// The smallest span covering both.
    pub fn to(self, other: Span) -> Span {
        Span::new(self.start.min(other.start), self.end.max(other.end))
    }

    pub fn len(self) -> usize {
        self.end - self.start
    }

    pub fn is_empty(self) -> bool {
        self.start == self.end
    }

    pub fn offset(self, by: usize) -> Span {
        Span::new(self.start + by, self.end + by)
    }
}

// Compact on purpose: tests that compare trees mask `@a..b` to ignore spans.
impl std::fmt::Debug for Span {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "@{}..{}", self.start, self.end)
    }
}
