//! Sprig's defaults, flow control and reflection functions.

use super::sprig::{arg_str, empty, kind_of};
use super::{FuncMap, ParamType as T, Params};
use crate::value::Value;

/// Registers sprig's defaults, flow control and type functions.
pub fn register(m: &mut FuncMap) {
    m.register("default", Params::variadic(&[T::Any], T::Any), |_, a| {
        Ok(match a.get(1) {
            Some(given) if !empty(given) => given.clone(),
            _ => a[0].clone(),
        })
    });
    m.register("empty", Params::fixed(&[T::Any]), |_, a| {
        Ok(empty(&a[0]).into())
    });
    m.register("coalesce", Params::variadic(&[], T::Any), |_, a| {
        Ok(a.into_iter().find(|v| !empty(v)).unwrap_or(Value::Nil))
    });
    m.register("all", Params::variadic(&[], T::Any), |_, a| {
        Ok(a.iter().all(|v| !empty(v)).into())
    });
    m.register("any", Params::variadic(&[], T::Any), |_, a| {
        Ok(a.iter().any(|v| !empty(v)).into())
    });
    m.register(
        "ternary",
        Params::fixed(&[T::Any, T::Any, T::Bool]),
        |_, a| {
            Ok(if a[2].as_bool().unwrap_or(false) {
                a[0].clone()
            } else {
                a[1].clone()
            })
        },
    );
    m.register("fail", Params::fixed(&[T::String]), |_, a| {
        Err(arg_str(&a, 0).into())
    });
    m.register("typeOf", Params::fixed(&[T::Any]), |_, a| {
        Ok(a[0].type_name().to_string().into())
    });
    m.register("typeIs", Params::fixed(&[T::String, T::Any]), |_, a| {
        Ok((arg_str(&a, 0) == a[1].type_name()).into())
    });
    m.register("typeIsLike", Params::fixed(&[T::String, T::Any]), |_, a| {
        let (want, t) = (arg_str(&a, 0), a[1].type_name());
        Ok((want == t || want.strip_prefix('*') == Some(t)).into())
    });
    m.register("kindOf", Params::fixed(&[T::Any]), |_, a| {
        Ok(kind_of(&a[0]).into())
    });
    m.register("kindIs", Params::fixed(&[T::String, T::Any]), |_, a| {
        Ok((arg_str(&a, 0) == kind_of(&a[1])).into())
    });
    m.register("deepEqual", Params::fixed(&[T::Any, T::Any]), |_, a| {
        let norm = |v: &Value| match v {
            Value::Missing => Value::Nil,
            v => v.clone(),
        };
        Ok((norm(&a[0]) == norm(&a[1])).into())
    });
}
