//! Sprig's list functions (each `mustX` returns the error that `X` raises as a panic;
//! Go's `text/template` reports both the same way).

use super::sprig::{empty, kind_of, to_int64};
use super::{FuncMap, ParamType as T, Params};
use crate::error::FuncError;
use crate::value::Value;

type ListFn = fn(&[Value], &[Value]) -> Result<Value, FuncError>;

/// Registers sprig's list functions.
pub fn register(m: &mut FuncMap) {
    for name in ["list", "tuple"] {
        m.register(name, Params::variadic(&[], T::Any), |_, a| {
            Ok(Value::list(a))
        });
    }
    // (name, verb in the error, implementation over the items and the extra arguments)
    let table: [(&[&str], &str, ListFn); 11] = [
        (
            &["append", "push", "mustAppend", "mustPush"],
            "Cannot push on type",
            |l, x| {
                let mut v = l.to_vec();
                v.push(x[0].clone());
                Ok(Value::list(v))
            },
        ),
        (
            &["prepend", "mustPrepend"],
            "Cannot prepend on type",
            |l, x| {
                let mut v = vec![x[0].clone()];
                v.extend_from_slice(l);
                Ok(Value::list(v))
            },
        ),
        (
            &["first", "mustFirst"],
            "Cannot find first on type",
            |l, _| Ok(l.first().cloned().unwrap_or(Value::Nil)),
        ),
        (&["rest", "mustRest"], "Cannot find rest on type", |l, _| {
            Ok(if l.is_empty() {
                Value::Nil
            } else {
                Value::list(l[1..].to_vec())
            })
        }),
        (&["last", "mustLast"], "Cannot find last on type", |l, _| {
            Ok(l.last().cloned().unwrap_or(Value::Nil))
        }),
        (
            &["initial", "mustInitial"],
            "Cannot find initial on type",
            |l, _| {
                Ok(if l.is_empty() {
                    Value::Nil
                } else {
                    Value::list(l[..l.len() - 1].to_vec())
                })
            },
        ),
        (
            &["reverse", "mustReverse"],
            "Cannot find reverse on type",
            |l, _| Ok(Value::list(l.iter().rev().cloned().collect())),
        ),
        (
            &["compact", "mustCompact"],
            "Cannot compact on type",
            |l, _| {
                Ok(Value::list(
                    l.iter().filter(|v| !empty(v)).cloned().collect(),
                ))
            },
        ),
        (&["uniq", "mustUniq"], "Cannot find uniq on type", |l, _| {
            let mut out: Vec<Value> = Vec::new();
            for v in l {
                if !out.contains(v) {
                    out.push(v.clone());
                }
            }
            Ok(Value::list(out))
        }),
        (
            &["without", "mustWithout"],
            "Cannot find without on type",
            |l, x| {
                Ok(Value::list(
                    l.iter().filter(|v| !x.contains(v)).cloned().collect(),
                ))
            },
        ),
        (&["slice", "mustSlice"], "Cannot slice on type", |l, x| {
            if l.is_empty() {
                return Ok(Value::Nil);
            }
            let n = l.len() as i64;
            let start = x.first().map(to_int64).unwrap_or(0);
            let end = x.get(1).map(to_int64).unwrap_or(n);
            if start < 0 || end > n || start > end {
                return Err(super::sprig::runtime_error(format!(
                    "slice bounds out of range [{start}:{end}]"
                )));
            }
            Ok(Value::list(l[start as usize..end as usize].to_vec()))
        }),
    ];
    for (names, verb, f) in table {
        let arity: &[T] = match names[0] {
            "append" | "prepend" => &[T::Any, T::Any],
            _ => &[T::Any],
        };
        let variadic = matches!(names[0], "without" | "slice");
        for &name in names {
            let params = if variadic {
                Params::variadic(arity, T::Any)
            } else {
                Params::fixed(arity)
            };
            m.register(name, params, move |_, a| match &a[0] {
                Value::List(l) => f(l, &a[1..]),
                Value::Nil | Value::Missing => Err(super::sprig::runtime_error(
                    "invalid memory address or nil pointer dereference",
                )),
                other => Err(format!("{verb} {}", kind_of(other)).into()),
            });
        }
    }
    for name in ["has", "mustHas"] {
        m.register(name, Params::fixed(&[T::Any, T::Any]), |_, a| match &a[1] {
            Value::Nil | Value::Missing => Ok(false.into()),
            Value::List(l) => Ok(l.contains(&a[0]).into()),
            other => Err(format!("Cannot find has on type {}", kind_of(other)).into()),
        });
    }
    m.register("concat", Params::variadic(&[], T::Any), |_, a| {
        let mut out = Vec::new();
        for l in &a {
            match l {
                Value::List(items) => out.extend(items.iter().cloned()),
                other => {
                    return Err(format!("Cannot concat type {} as list", kind_of(other)).into())
                }
            }
        }
        Ok(Value::list(out))
    });
    for name in ["chunk", "mustChunk"] {
        m.register(name, Params::fixed(&[T::Int, T::Any]), |_, a| {
            let size = a[0].as_int().unwrap_or(0);
            let l = match &a[1] {
                Value::List(l) => l,
                other => return Err(format!("Cannot chunk type {}", kind_of(other)).into()),
            };
            if size <= 0 {
                return Err(super::sprig::runtime_error("integer divide by zero"));
            }
            Ok(Value::list(
                l.chunks(size as usize)
                    .map(|c| Value::list(c.to_vec()))
                    .collect(),
            ))
        });
    }
}
