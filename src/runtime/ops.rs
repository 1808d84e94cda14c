//! Operators on run-time values, as LANGUAGE.md defines them: comparisons
//! with null are false (except `==`/`!=`), arithmetic with null is null,
//! and a value of the wrong type is an error that fails the filter or
//! guard closed.

use std::sync::Arc;

use crate::compile::instr::BinOp;

use super::value::Value;

/// A value of the wrong type met an operator; the message says which.
#[derive(Debug, Clone, PartialEq)]
pub struct TypeError(pub String);

fn mismatch(op: &str, a: &Value, b: &Value) -> TypeError {
    TypeError(format!(
        "cannot apply `{op}` to {} and {}",
        a.type_name(),
        b.type_name()
    ))
}

/// A string compared with a timestamp is read as one (RFC 3339 or
/// `YYYY-MM-DD`), as the checker does for literals.
fn as_time(v: &Value) -> Option<i64> {
    match v {
        Value::Time(t) => Some(*t),
        Value::Str(s) => parse_timestamp(s),
        _ => None,
    }
}

pub fn parse_timestamp(s: &str) -> Option<i64> {
    if let Ok(t) = chrono::DateTime::parse_from_rfc3339(s) {
        return Some(t.timestamp_millis());
    }
    chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|d| d.and_utc().timestamp_millis())
}

/// Equality across types: numbers, strings, bools, times (a string read as
/// a time when compared with one), durations, lists. Different types are
/// an error; null equals only null (list items; `==` itself never sees
/// null, see `binary`).
pub fn equal(a: &Value, b: &Value) -> Result<bool, TypeError> {
    Ok(match (a, b) {
        (Value::Null, Value::Null) => true,
        (Value::Null, _) | (_, Value::Null) => false,
        (Value::Num(x), Value::Num(y)) => x == y,
        (Value::Str(x), Value::Str(y)) => x == y,
        (Value::Bool(x), Value::Bool(y)) => x == y,
        (Value::Dur(x), Value::Dur(y)) => x == y,
        (Value::Time(_), _) | (_, Value::Time(_)) => match (as_time(a), as_time(b)) {
            (Some(x), Some(y)) => x == y,
            _ => return Err(mismatch("==", a, b)),
        },
        (Value::List(x), Value::List(y)) => {
            if x.len() != y.len() {
                return Ok(false);
            }
            for (p, q) in x.iter().zip(y.iter()) {
                if !equal(p, q)? {
                    return Ok(false);
                }
            }
            true
        }
        _ => return Err(mismatch("==", a, b)),
    })
}

fn order(op: &str, a: &Value, b: &Value) -> Result<Option<std::cmp::Ordering>, TypeError> {
    Ok(match (a, b) {
        (Value::Null, _) | (_, Value::Null) => None,
        (Value::Num(x), Value::Num(y)) => x.partial_cmp(y),
        (Value::Str(x), Value::Str(y)) => Some(x.cmp(y)),
        (Value::Dur(x), Value::Dur(y)) => Some(x.cmp(y)),
        (Value::Time(_), _) | (_, Value::Time(_)) => match (as_time(a), as_time(b)) {
            (Some(x), Some(y)) => Some(x.cmp(&y)),
            _ => return Err(mismatch(op, a, b)),
        },
        _ => return Err(mismatch(op, a, b)),
    })
}

fn member(op: &str, item: &Value, list: &Value) -> Result<Option<bool>, TypeError> {
    if item.is_null() || list.is_null() {
        return Ok(None);
    }
    match list {
        Value::List(items) => {
            for it in items.iter() {
                if !it.is_null() && equal(item, it)? {
                    return Ok(Some(true));
                }
            }
            Ok(Some(false))
        }
        Value::Str(hay) => match item {
            Value::Str(needle) => Ok(Some(hay.contains(&**needle))),
            _ => Err(mismatch(op, item, list)),
        },
        _ => Err(mismatch(op, item, list)),
    }
}

fn arith(op: BinOp, a: &Value, b: &Value) -> Result<Value, TypeError> {
    use Value::*;
    if a.is_null() || b.is_null() {
        return Ok(Null);
    }
    let sym = match op {
        BinOp::Add => "+",
        BinOp::Sub => "-",
        BinOp::Mul => "*",
        _ => "/",
    };
    let v = match (op, a, b) {
        (BinOp::Add, Num(x), Num(y)) => Num(x + y),
        (BinOp::Sub, Num(x), Num(y)) => Num(x - y),
        (BinOp::Mul, Num(x), Num(y)) => Num(x * y),
        (BinOp::Div, Num(_), Num(y)) if *y == 0.0 => Null,
        (BinOp::Div, Num(x), Num(y)) => Num(x / y),
        (BinOp::Add, Str(x), Str(y)) => Str(Arc::from(format!("{x}{y}"))),
        (BinOp::Add, Time(t), Dur(d)) | (BinOp::Add, Dur(d), Time(t)) => Time(t.saturating_add(*d)),
        (BinOp::Sub, Time(t), Dur(d)) => Time(t.saturating_sub(*d)),
        (BinOp::Sub, Time(_), _) | (BinOp::Sub, _, Time(_)) => match (as_time(a), as_time(b)) {
            (Some(x), Some(y)) => Dur(x.saturating_sub(y)),
            _ => return Err(mismatch(sym, a, b)),
        },
        (BinOp::Add, Dur(x), Dur(y)) => Dur(x.saturating_add(*y)),
        (BinOp::Sub, Dur(x), Dur(y)) => Dur(x.saturating_sub(*y)),
        (BinOp::Mul, Num(n), Dur(d)) | (BinOp::Mul, Dur(d), Num(n)) => Dur((*d as f64 * n) as i64),
        (BinOp::Div, Dur(_), Num(n)) if *n == 0.0 => Null,
        (BinOp::Div, Dur(_), Dur(0)) => Null,
        (BinOp::Div, Dur(x), Dur(y)) => Num(*x as f64 / *y as f64),
        (BinOp::Div, Dur(d), Num(n)) => Dur((*d as f64 / n) as i64),
        _ => return Err(mismatch(sym, a, b)),
    };
    Ok(v)
}

/// Applies a binary operator.
pub fn binary(op: BinOp, a: &Value, b: &Value) -> Result<Value, TypeError> {
    use std::cmp::Ordering::*;
    let cmp = |sym: &str, ok: &dyn Fn(std::cmp::Ordering) -> bool| -> Result<Value, TypeError> {
        Ok(Value::Bool(order(sym, a, b)?.is_some_and(ok)))
    };
    match op {
        // `x == null` / `x != null` compile to `IsNull`; any other
        // comparison with a null value is false.
        BinOp::Eq | BinOp::Ne if a.is_null() || b.is_null() => Ok(Value::Bool(false)),
        BinOp::Eq => Ok(Value::Bool(equal(a, b)?)),
        BinOp::Ne => Ok(Value::Bool(!equal(a, b)?)),
        BinOp::Lt => cmp("<", &|o| o == Less),
        BinOp::Le => cmp("<=", &|o| o != Greater),
        BinOp::Gt => cmp(">", &|o| o == Greater),
        BinOp::Ge => cmp(">=", &|o| o != Less),
        BinOp::In => Ok(Value::Bool(member("in", a, b)? == Some(true))),
        BinOp::NotIn => Ok(Value::Bool(member("not in", a, b)? == Some(false))),
        BinOp::Contains => Ok(Value::Bool(member("contains", b, a)? == Some(true))),
        BinOp::NotContains => Ok(Value::Bool(member("not contains", b, a)? == Some(false))),
        BinOp::StartsWith => match (a, b) {
            (Value::Null, _) | (_, Value::Null) => Ok(Value::Bool(false)),
            (Value::Str(x), Value::Str(y)) => Ok(Value::Bool(x.starts_with(&**y))),
            _ => Err(mismatch("starts with", a, b)),
        },
        BinOp::Add | BinOp::Sub | BinOp::Mul | BinOp::Div => arith(op, a, b),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(x: &str) -> Value {
        Value::str(x)
    }

    #[test]
    fn null_comparisons_are_false_except_equality() {
        assert_eq!(
            binary(BinOp::Lt, &Value::Null, &Value::Num(1.0)),
            Ok(Value::Bool(false))
        );
        assert_eq!(
            binary(BinOp::Ge, &Value::Null, &Value::Num(1.0)),
            Ok(Value::Bool(false))
        );
        // `x != "a"` with x missing is false, like every comparison with
        // null; only the `== null` / `!= null` tests (IsNull) see null.
        assert_eq!(
            binary(BinOp::Eq, &Value::Null, &Value::Null),
            Ok(Value::Bool(false))
        );
        assert_eq!(
            binary(BinOp::Ne, &Value::Null, &s("a")),
            Ok(Value::Bool(false))
        );
        assert_eq!(
            binary(
                BinOp::NotIn,
                &Value::Null,
                &Value::List(Arc::from(vec![s("a")]))
            ),
            Ok(Value::Bool(false))
        );
        assert_eq!(
            binary(BinOp::Add, &Value::Null, &Value::Num(1.0)),
            Ok(Value::Null)
        );
    }

    #[test]
    fn wrong_types_are_errors() {
        assert!(binary(BinOp::Lt, &s("a"), &Value::Num(1.0)).is_err());
        assert!(binary(BinOp::Eq, &Value::Bool(true), &Value::Num(1.0)).is_err());
    }

    #[test]
    fn strings_compare_with_times() {
        let t = parse_timestamp("2024-01-01").unwrap();
        assert_eq!(
            binary(BinOp::Ge, &s("2024-01-02T00:00:00Z"), &Value::Time(t)),
            Ok(Value::Bool(true))
        );
        assert!(binary(BinOp::Ge, &s("soon"), &Value::Time(t)).is_err());
        assert_eq!(
            binary(BinOp::Sub, &Value::Time(t + 5), &Value::Time(t)),
            Ok(Value::Dur(5))
        );
    }

    #[test]
    fn contains_is_substring_or_membership() {
        let l = Value::List(Arc::from(vec![s("a"), s("b")]));
        assert_eq!(binary(BinOp::Contains, &l, &s("b")), Ok(Value::Bool(true)));
        assert_eq!(
            binary(BinOp::Contains, &s("hello"), &s("ell")),
            Ok(Value::Bool(true))
        );
        assert_eq!(
            binary(BinOp::NotContains, &s("hello"), &s("x")),
            Ok(Value::Bool(true))
        );
        assert_eq!(binary(BinOp::In, &s("c"), &l), Ok(Value::Bool(false)));
    }
}
