//! The instruction set. One bytecode serves both halves of a rule: a stack
//! machine for expressions (filters, guards, keys, parameters) and the
//! per-customer state operations that triggers need. Expression code that
//! must run later, once per waiting instance or at fire time (guards,
//! parameters, correlated absence filters), lives in functions (`Func`):
//! code ranges that end in `Return` and leave one value on the stack.

use serde::{Deserialize, Serialize};

/// Where a load reads from; mirrors `check::ir::Source`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Src {
    /// The event being tested (inside `where`).
    Candidate,
    /// An event bound by the pattern: 0 the start (or N-th, or last before
    /// the silence), 1 the `followed by` event.
    Binding(u8),
    /// The customer's profile.
    Customer,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Field {
    Time,
    Id,
    Name,
    Customer,
    /// A prop or attribute path: index into `Program::paths`.
    Path(u32),
}

/// Binary operators that consume two values (`and`, `or` and `??` are
/// compiled to jumps so they short-circuit).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum BinOp {
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
    Add,
    Sub,
    Mul,
    Div,
}

/// Rule-local indexes are `u32` rule numbers and `u16` absence numbers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Op {
    // ---- expressions ----
    /// Push `consts[i]`.
    Const(u32),
    Load(Src, Field),
    /// Push the current event time.
    Now,
    Not,
    Neg,
    /// `x == null`: whether the top is null (`!= null` adds `Not`).
    IsNull,
    Bin(BinOp),
    /// Pop n values, push them as a list (in order).
    List(u16),
    /// Condition value: null → false, bool stays, anything else is a type
    /// error (the filter or guard fails closed).
    Truthy,
    Pop,
    Jump(u32),
    /// Pop; jump when false.
    JumpIfFalse(u32),
    /// Jump when the top is false, keeping it (short-circuit `and`).
    JumpIfFalseKeep(u32),
    /// Jump when the top is true, keeping it (short-circuit `or`).
    JumpIfTrueKeep(u32),
    /// Jump when the top is not blank, keeping it (`??`).
    JumpIfPresentKeep(u32),
    /// End of a function: the top of the stack is its value.
    Return,

    // ---- state operations (handlers only) ----
    /// The candidate completes a plain `E` primary.
    Match(u32),
    /// `first E`: completes the primary only the first time.
    First(u32),
    /// `E N times within D`: count the candidate under its key.
    Count(u32),
    /// `E followed by F`: start (or restart, per key) a sequence instance.
    SeqStart(u32),
    /// `followed by` F: complete every live instance whose window holds the
    /// candidate; pushes whether any completed (a used-up F starts nothing).
    SeqComplete(u32),
    /// An absence event: cancel waiting, sequence or deferred instances
    /// whose window holds the candidate (and that its filter correlates).
    Cancel(u32, u16),
    /// A look-back absence event: remember it for later checks (and cancel
    /// deferred sends).
    Record(u32, u16),
    /// Any activity: re-arm an `inactive for D` rule's timer.
    Touch(u32),
    /// A goal event: mark conversions of earlier sends.
    Goal(u32),
    /// End of a handler.
    Halt,
}

impl Op {
    /// The jump target, if this is a jump.
    pub fn target(self) -> Option<u32> {
        match self {
            Op::Jump(t)
            | Op::JumpIfFalse(t)
            | Op::JumpIfFalseKeep(t)
            | Op::JumpIfTrueKeep(t)
            | Op::JumpIfPresentKeep(t) => Some(t),
            _ => None,
        }
    }

    /// Stack effect: (values popped, values pushed).
    pub fn stack_effect(self) -> (u32, u32) {
        match self {
            Op::Const(_) | Op::Load(..) | Op::Now => (0, 1),
            Op::Not | Op::Neg | Op::Truthy | Op::IsNull => (1, 1),
            Op::Bin(_) => (2, 1),
            Op::List(n) => (u32::from(n), 1),
            Op::Pop | Op::JumpIfFalse(_) => (1, 0),
            Op::Jump(_) => (0, 0),
            Op::JumpIfFalseKeep(_) | Op::JumpIfTrueKeep(_) | Op::JumpIfPresentKeep(_) => (1, 1),
            Op::Return => (1, 0),
            Op::SeqComplete(_) => (0, 1),
            Op::Match(_)
            | Op::First(_)
            | Op::Count(_)
            | Op::SeqStart(_)
            | Op::Cancel(..)
            | Op::Record(..)
            | Op::Touch(_)
            | Op::Goal(_)
            | Op::Halt => (0, 0),
        }
    }

    /// The rule a state operation acts for.
    pub fn rule(self) -> Option<u32> {
        match self {
            Op::Match(r)
            | Op::First(r)
            | Op::Count(r)
            | Op::SeqStart(r)
            | Op::SeqComplete(r)
            | Op::Cancel(r, _)
            | Op::Record(r, _)
            | Op::Touch(r)
            | Op::Goal(r) => Some(r),
            _ => None,
        }
    }
}
