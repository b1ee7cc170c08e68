//! Go's predefined template functions.

use super::{prepare_arg, CallContext, FnImpl, FuncMap, Function, ParamType as T, Params};
use crate::error::FuncError;
use crate::gofmt;
use crate::value::Value;

/// Registers Go's builtin functions.
pub(crate) fn register(m: &mut FuncMap) {
    let special = |imp| Function {
        params: Params::variadic(&[T::Value], T::Value),
        imp,
    };
    m.insert("and", special(FnImpl::And));
    m.insert("or", special(FnImpl::Or));
    m.register("not", Params::fixed(&[T::Value]), |_, a| {
        Ok(Value::Bool(!a[0].is_true()))
    });
    m.register("len", Params::fixed(&[T::Value]), |_, a| length(&a[0]));
    m.register("index", Params::variadic(&[T::Value], T::Value), |_, a| {
        index(&a[0], &a[1..])
    });
    m.register("slice", Params::variadic(&[T::Value], T::Value), |_, a| {
        slice(&a[0], &a[1..])
    });
    m.register("print", Params::variadic(&[], T::Any), |_, a| {
        Ok(Value::string(gofmt::sprint(&a)))
    });
    m.register("println", Params::variadic(&[], T::Any), |_, a| {
        Ok(Value::string(gofmt::sprintln(&a)))
    });
    m.register("printf", Params::variadic(&[T::String], T::Any), |_, a| {
        let f = a[0].as_str().unwrap_or_default().to_string();
        Ok(Value::string(gofmt::sprintf(&f, &a[1..])))
    });
    m.register("html", Params::variadic(&[], T::Any), |_, a| {
        Ok(Value::string(html_escape(&eval_args(&a))))
    });
    m.register("js", Params::variadic(&[], T::Any), |_, a| {
        Ok(Value::string(js_escape(&eval_args(&a))))
    });
    m.register("urlquery", Params::variadic(&[], T::Any), |_, a| {
        Ok(Value::string(query_escape(&eval_args(&a))))
    });
    m.register("eq", Params::variadic(&[T::Value], T::Value), |_, a| {
        eq(&a[0], &a[1..]).map(Value::Bool)
    });
    m.register("ne", Params::fixed(&[T::Value, T::Value]), |_, a| {
        eq(&a[0], &a[1..2]).map(|b| Value::Bool(!b))
    });
    m.register("lt", Params::fixed(&[T::Value, T::Value]), |_, a| {
        lt(&a[0], &a[1]).map(Value::Bool)
    });
    m.register("le", Params::fixed(&[T::Value, T::Value]), |_, a| {
        le(&a[0], &a[1]).map(Value::Bool)
    });
    m.register("gt", Params::fixed(&[T::Value, T::Value]), |_, a| {
        le(&a[0], &a[1]).map(|b| Value::Bool(!b))
    });
    m.register("ge", Params::fixed(&[T::Value, T::Value]), |_, a| {
        lt(&a[0], &a[1]).map(|b| Value::Bool(!b))
    });
    m.register("call", Params::variadic(&[T::Value], T::Value), call);
}

/// Go's `indirectInterface`: a nil interface is no value at all.
fn unbox(v: &Value) -> &Value {
    match v {
        Value::Nil => &Value::Missing,
        v => v,
    }
}

fn length(v: &Value) -> Result<Value, FuncError> {
    let n = match v {
        Value::Missing => return Err("len of untyped nil".into()),
        Value::Nil => return Err("len of nil pointer".into()),
        Value::String(s) => s.len(),
        Value::List(l) => l.len(),
        Value::Map(m) => m.len(),
        Value::Object(o) => match o.entries() {
            Some(e) => e.len(),
            None => return Err(format!("len of type {}", o.type_name()).into()),
        },
        other => return Err(format!("len of type {}", other.type_name()).into()),
    };
    Ok(Value::Int(n as i64))
}

/// Go's `indexArg`.
fn index_arg(index: &Value, cap: usize) -> Result<usize, FuncError> {
    let x = match unbox(index) {
        Value::Int(i) => *i,
        Value::Missing => return Err("cannot index slice/array with nil".into()),
        other => {
            return Err(format!("cannot index slice/array with type {}", other.type_name()).into())
        }
    };
    if x < 0 || x as u64 > cap as u64 {
        return Err(format!("index out of range: {x}").into());
    }
    Ok(x as usize)
}

fn index(item: &Value, indexes: &[Value]) -> Result<Value, FuncError> {
    let mut item = unbox(item).clone();
    if let Value::Missing = item {
        return Err("index of untyped nil".into());
    }
    for ix in indexes {
        item = match &item {
            Value::Nil | Value::Missing => return Err("index of nil pointer".into()),
            Value::List(l) => {
                let x = index_arg(ix, l.len())?;
                match l.get(x) {
                    Some(v) => boxed(v.clone()),
                    None => return Err("reflect: slice index out of range".into()),
                }
            }
            Value::String(s) => {
                let x = index_arg(ix, s.len())?;
                match s.as_bytes().get(x) {
                    Some(b) => Value::Int(*b as i64),
                    None => return Err("reflect: string index out of range".into()),
                }
            }
            Value::Map(m) => {
                let key = prepare_arg(unbox(ix).clone(), T::String)?;
                let key = key.as_str().unwrap_or_default();
                m.get(key).map(boxed).unwrap_or(Value::Nil)
            }
            Value::Object(o) => match o.entries() {
                Some(entries) => {
                    let key = unbox(ix);
                    entries
                        .into_iter()
                        .find(|(k, _)| k == key)
                        .map(|(_, v)| boxed(v))
                        .unwrap_or(Value::Nil)
                }
                None => return Err(format!("can't index item of type {}", o.type_name()).into()),
            },
            other => return Err(format!("can't index item of type {}", other.type_name()).into()),
        };
    }
    Ok(item)
}

/// Elements of lists and maps are `interface{}` values: a missing one is a nil interface.
fn boxed(v: Value) -> Value {
    match v {
        Value::Missing => Value::Nil,
        v => v,
    }
}

fn slice(item: &Value, indexes: &[Value]) -> Result<Value, FuncError> {
    let item = unbox(item);
    if let Value::Missing = item {
        return Err("slice of untyped nil".into());
    }
    if indexes.len() > 3 {
        return Err(format!("too many slice indexes: {}", indexes.len()).into());
    }
    let len = match item {
        Value::String(s) => {
            if indexes.len() == 3 {
                return Err("cannot 3-index slice a string".into());
            }
            s.len()
        }
        Value::List(l) => l.len(),
        other => return Err(format!("can't slice item of type {}", other.type_name()).into()),
    };
    let mut idx = [0usize, len, len];
    for (i, ix) in indexes.iter().enumerate() {
        idx[i] = index_arg(ix, len)?;
    }
    if idx[0] > idx[1] {
        return Err(format!("invalid slice index: {} > {}", idx[0], idx[1]).into());
    }
    if indexes.len() == 3 && idx[1] > idx[2] {
        return Err(format!("invalid slice index: {} > {}", idx[1], idx[2]).into());
    }
    Ok(match item {
        Value::String(s) => {
            let bytes = &s.as_bytes()[idx[0]..idx[1]];
            Value::string(String::from_utf8_lossy(bytes).into_owned())
        }
        Value::List(l) => Value::list(l[idx[0]..idx[1]].to_vec()),
        _ => Value::Missing,
    })
}

/// Go's `evalArgs`: one string as is, otherwise `fmt.Sprint` with nil as `<no value>`.
fn eval_args(args: &[Value]) -> String {
    if let [Value::String(s)] = args {
        return s.to_string();
    }
    let args: Vec<Value> = args
        .iter()
        .map(|a| {
            if a.is_nil() {
                Value::string("<no value>")
            } else {
                a.clone()
            }
        })
        .collect();
    gofmt::sprint(&args)
}

fn html_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\0' => out.push('\u{FFFD}'),
            '"' => out.push_str("&#34;"),
            '\'' => out.push_str("&#39;"),
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            c => out.push(c),
        }
    }
    out
}

fn js_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\'' => out.push_str("\\'"),
            '"' => out.push_str("\\\""),
            '<' => out.push_str("\\u003C"),
            '>' => out.push_str("\\u003E"),
            '&' => out.push_str("\\u0026"),
            '=' => out.push_str("\\u003D"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u00{:02X}", c as u32)),
            c if (c as u32) < 0x80 || gofmt::is_print(c) => out.push(c),
            c => out.push_str(&format!("\\u{:04X}", c as u32)),
        }
    }
    out
}

/// Go's `url.QueryEscape`.
fn query_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            b' ' => out.push('+'),
            b => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

#[derive(PartialEq, Eq, Clone, Copy)]
enum Kind {
    Invalid,
    Bool,
    Int,
    Float,
    String,
}

fn basic_kind(v: &Value) -> Kind {
    match v {
        Value::Bool(_) => Kind::Bool,
        Value::Int(_) => Kind::Int,
        Value::Float(_) => Kind::Float,
        Value::String(_) => Kind::String,
        _ => Kind::Invalid,
    }
}

const BAD_COMPARISON_TYPE: &str = "invalid type for comparison";
const BAD_COMPARISON: &str = "incompatible types for comparison";

/// Go's `eq`: arg1 == any of the others, with Go's comparison rules.
fn eq(arg1: &Value, others: &[Value]) -> Result<bool, FuncError> {
    let a = unbox(arg1);
    if others.is_empty() {
        return Err("missing argument for comparison".into());
    }
    let k1 = basic_kind(a);
    for arg in others {
        let b = unbox(arg);
        let k2 = basic_kind(b);
        let truth = if k1 != k2 {
            if !a.is_nil() && !b.is_nil() {
                return Err(BAD_COMPARISON.into());
            }
            false
        } else {
            match (a, b) {
                (Value::Bool(x), Value::Bool(y)) => x == y,
                (Value::Int(x), Value::Int(y)) => x == y,
                (Value::Float(x), Value::Float(y)) => x == y,
                (Value::String(x), Value::String(y)) => **x == **y,
                _ => {
                    let kind = |v: &Value| std::mem::discriminant(v);
                    if !(kind(a) == kind(b) || a.is_nil() || b.is_nil()) {
                        return Err(format!(
                            "non-comparable types {}: {}, {}: {}",
                            gofmt::sprintf("%s", std::slice::from_ref(a)),
                            a.type_name(),
                            b.type_name(),
                            gofmt::sprintf("%v", std::slice::from_ref(b)),
                        )
                        .into());
                    }
                    if a.is_nil() || b.is_nil() {
                        a.is_nil() == b.is_nil()
                    } else {
                        match (a, b) {
                            (Value::Object(x), Value::Object(y)) => std::sync::Arc::ptr_eq(x, y),
                            _ => {
                                return Err(format!(
                                    "non-comparable type {}: {}",
                                    gofmt::sprintf("%s", std::slice::from_ref(b)),
                                    b.type_name()
                                )
                                .into())
                            }
                        }
                    }
                }
            }
        };
        if truth {
            return Ok(true);
        }
    }
    Ok(false)
}

fn lt(arg1: &Value, arg2: &Value) -> Result<bool, FuncError> {
    let a = unbox(arg1);
    let b = unbox(arg2);
    let (k1, k2) = (basic_kind(a), basic_kind(b));
    if k1 == Kind::Invalid || k2 == Kind::Invalid {
        return Err(BAD_COMPARISON_TYPE.into());
    }
    if k1 != k2 {
        return Err(BAD_COMPARISON.into());
    }
    Ok(match (a, b) {
        (Value::Int(x), Value::Int(y)) => x < y,
        (Value::Float(x), Value::Float(y)) => x < y,
        (Value::String(x), Value::String(y)) => **x < **y,
        _ => return Err(BAD_COMPARISON_TYPE.into()),
    })
}

fn le(arg1: &Value, arg2: &Value) -> Result<bool, FuncError> {
    if lt(arg1, arg2)? {
        return Ok(true);
    }
    eq(arg1, std::slice::from_ref(arg2))
}

/// Go's `call`: calls a function value with checked arguments.
fn call(ctx: &mut CallContext<'_>, args: Vec<Value>) -> Result<Value, FuncError> {
    let f = match unbox(&args[0]) {
        Value::Func(f) => f.clone(),
        Value::Missing => return Err("call of nil".into()),
        other => return Err(format!("non-function of type {}", other.type_name()).into()),
    };
    let given = &args[1..];
    let p = &f.params;
    if p.variadic.is_some() {
        if given.len() < p.fixed.len() {
            return Err(format!(
                "wrong number of args: got {} want at least {}",
                given.len(),
                p.fixed.len()
            )
            .into());
        }
    } else if given.len() != p.fixed.len() {
        return Err(format!(
            "wrong number of args: got {} want {}",
            given.len(),
            p.fixed.len()
        )
        .into());
    }
    let mut argv = Vec::with_capacity(given.len());
    for (i, a) in given.iter().enumerate() {
        let v = prepare_arg(a.clone(), p.type_at(i)).map_err(|e| format!("arg {i}: {e}"))?;
        argv.push(v);
    }
    f.call(ctx, argv)
}
