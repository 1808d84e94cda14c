//! The expression half of the VM: a stack machine over `compile::instr`.
//! The engine drives handlers and calls into this for every expression
//! instruction; state operations are the engine's.

use std::sync::Arc;

use crate::compile::instr::{Field, Op, Src};
use crate::compile::program::{Const, Program};

use super::event::Event;
use super::ops::{binary, TypeError};
use super::value::Value;

/// What an expression can see.
#[derive(Clone, Copy)]
pub struct Ctx<'a> {
    pub candidate: Option<&'a Event>,
    pub bindings: [Option<&'a Event>; 2],
    /// The profile (an object, or null when nothing is known).
    pub customer: &'a Value,
    pub now: i64,
}

/// A run-time failure at instruction `pc`: a type error (the guard or
/// filter fails closed) or a broken program the verifier should have
/// refused.
#[derive(Debug, Clone, PartialEq)]
pub struct Fault {
    pub pc: u32,
    pub message: String,
}

#[derive(Default)]
pub struct Vm {
    stack: Vec<Value>,
}

/// The result of one instruction.
pub enum Flow {
    Next(u32),
    Return(Value),
}

pub fn constant(c: &Const) -> Value {
    match c {
        Const::Null => Value::Null,
        Const::Bool(b) => Value::Bool(*b),
        Const::Num(n) => Value::Num(*n),
        Const::Str(s) => Value::Str(Arc::from(s.as_str())),
        Const::Time(t) => Value::Time(*t),
        Const::Dur(d) => Value::Dur(*d),
    }
}

impl Vm {
    pub fn clear(&mut self) {
        self.stack.clear();
    }

    pub fn push(&mut self, v: Value) {
        self.stack.push(v);
    }

    pub fn peek(&self) -> Option<&Value> {
        self.stack.last()
    }

    pub fn pop(&mut self, pc: u32) -> Result<Value, Fault> {
        self.stack.pop().ok_or_else(|| Fault {
            pc,
            message: "stack underflow".into(),
        })
    }

    /// Evaluates function `f` to a value.
    pub fn call(&mut self, p: &Program, f: u32, ctx: &Ctx) -> Result<Value, Fault> {
        let base = self.stack.len();
        let mut pc = p.funcs.get(f as usize).map_or(u32::MAX, |f| f.start);
        let out = loop {
            match self.step(p, pc, ctx) {
                Ok(Flow::Next(n)) => pc = n,
                Ok(Flow::Return(v)) => break Ok(v),
                Err(e) => break Err(e),
            }
        };
        self.stack.truncate(base);
        out
    }

    /// Evaluates function `f` as a condition (null is false).
    pub fn test(&mut self, p: &Program, f: u32, ctx: &Ctx) -> Result<bool, Fault> {
        let pc = p.funcs.get(f as usize).map_or(0, |f| f.start);
        match self.call(p, f, ctx)? {
            Value::Bool(b) => Ok(b),
            Value::Null => Ok(false),
            other => Err(Fault {
                pc,
                message: format!("expected true or false, found a {}", other.type_name()),
            }),
        }
    }

    /// Runs the expression instruction at `pc`.
    pub fn step(&mut self, p: &Program, pc: u32, ctx: &Ctx) -> Result<Flow, Fault> {
        let Some(op) = p.code.get(pc as usize).copied() else {
            return Err(Fault {
                pc,
                message: "jump outside the code".into(),
            });
        };
        let type_err = |e: TypeError| Fault { pc, message: e.0 };
        let next = pc + 1;
        match op {
            Op::Const(i) => {
                let c = p.consts.get(i as usize).map_or(Value::Null, constant);
                self.push(c);
            }
            Op::Load(src, field) => {
                let v = load(p, src, field, ctx);
                self.push(v);
            }
            Op::Now => self.push(Value::Time(ctx.now)),
            Op::Not => {
                let v = self.pop(pc)?;
                match v {
                    Value::Bool(b) => self.push(Value::Bool(!b)),
                    other => {
                        return Err(type_err(TypeError(format!(
                            "cannot apply `not` to {}",
                            other.type_name()
                        ))))
                    }
                }
            }
            Op::Neg => {
                let v = match self.pop(pc)? {
                    Value::Null => Value::Null,
                    Value::Num(n) => Value::Num(-n),
                    Value::Dur(d) => Value::Dur(-d),
                    other => {
                        return Err(type_err(TypeError(format!(
                            "cannot negate a {}",
                            other.type_name()
                        ))))
                    }
                };
                self.push(v);
            }
            Op::IsNull => {
                let v = self.pop(pc)?;
                self.push(Value::Bool(v.is_null()));
            }
            Op::Bin(b) => {
                let y = self.pop(pc)?;
                let x = self.pop(pc)?;
                let v = binary(b, &x, &y).map_err(type_err)?;
                self.push(v);
            }
            Op::List(n) => {
                let at = self
                    .stack
                    .len()
                    .checked_sub(n as usize)
                    .ok_or_else(|| Fault {
                        pc,
                        message: "stack underflow".into(),
                    })?;
                let items: Vec<Value> = self.stack.drain(at..).collect();
                self.push(Value::List(Arc::from(items)));
            }
            Op::Truthy => {
                let v = match self.pop(pc)? {
                    Value::Null => Value::Bool(false),
                    Value::Bool(b) => Value::Bool(b),
                    other => {
                        return Err(type_err(TypeError(format!(
                            "expected true or false, found a {}",
                            other.type_name()
                        ))))
                    }
                };
                self.push(v);
            }
            Op::Pop => {
                self.pop(pc)?;
            }
            Op::Jump(t) => return Ok(Flow::Next(t)),
            Op::JumpIfFalse(t) => {
                if !matches!(self.pop(pc)?, Value::Bool(true)) {
                    return Ok(Flow::Next(t));
                }
            }
            Op::JumpIfFalseKeep(t) => {
                if !matches!(self.stack.last(), Some(Value::Bool(true))) {
                    return Ok(Flow::Next(t));
                }
            }
            Op::JumpIfTrueKeep(t) => {
                if matches!(self.stack.last(), Some(Value::Bool(true))) {
                    return Ok(Flow::Next(t));
                }
            }
            Op::JumpIfPresentKeep(t) => {
                if self.stack.last().is_some_and(|v| !v.is_blank()) {
                    return Ok(Flow::Next(t));
                }
            }
            Op::Return => return Ok(Flow::Return(self.pop(pc)?)),
            other => {
                return Err(Fault {
                    pc,
                    message: format!("{other:?} is not an expression instruction"),
                })
            }
        }
        Ok(Flow::Next(next))
    }
}

fn load(p: &Program, src: Src, field: Field, ctx: &Ctx) -> Value {
    let event = match src {
        Src::Candidate => ctx.candidate,
        Src::Binding(i) => ctx.bindings.get(i as usize).copied().flatten(),
        Src::Customer => {
            return match field {
                Field::Path(i) => p
                    .paths
                    .get(i as usize)
                    .map_or(Value::Null, |path| ctx.customer.path(path).clone()),
                _ => Value::Null,
            };
        }
    };
    let Some(e) = event else { return Value::Null };
    match field {
        Field::Time => Value::Time(e.time),
        Field::Id => e.id.clone().map_or(Value::Null, Value::Str),
        Field::Name => Value::Str(e.name.clone()),
        Field::Customer => Value::Str(e.customer.clone()),
        Field::Path(i) => match p.paths.get(i as usize) {
            Some(path) => match path.split_first() {
                Some((first, rest)) => e.prop(first).path(rest).clone(),
                None => Value::Null,
            },
            None => Value::Null,
        },
    }
}
