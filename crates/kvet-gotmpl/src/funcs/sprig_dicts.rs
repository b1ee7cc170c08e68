//! Sprig's dictionary functions. Maps are shared by reference, as Go's maps are: `set`,
//! `unset`, `merge` and `mergeOverwrite` change the map every holder sees.

use super::sprig::{arg_str, empty, str_list, strval};
use super::{FuncMap, ParamType as T, Params};
use crate::error::FuncError;
use crate::value::{Map, Value, MAX_DEPTH};

/// Registers sprig's dictionary functions.
pub fn register(m: &mut FuncMap) {
    let map_str = || Params::fixed(&[T::Map, T::String]);
    m.register("dict", Params::variadic(&[], T::Any), |_, a| {
        let d = Map::new();
        for kv in a.chunks(2) {
            let v = kv.get(1).cloned().unwrap_or_else(|| Value::from(""));
            d.insert(strval(&kv[0]), v);
        }
        Ok(Value::Map(d))
    });
    m.register("get", map_str(), |_, a| {
        Ok(map_of(&a[0])
            .get(arg_str(&a, 1))
            .unwrap_or_else(|| Value::from("")))
    });
    m.register(
        "set",
        Params::fixed(&[T::Map, T::String, T::Any]),
        |_, a| {
            map_of(&a[0]).insert(arg_str(&a, 1), a[2].clone());
            Ok(a[0].clone())
        },
    );
    m.register("unset", map_str(), |_, a| {
        map_of(&a[0]).remove(arg_str(&a, 1));
        Ok(a[0].clone())
    });
    m.register("hasKey", map_str(), |_, a| {
        Ok(map_of(&a[0]).contains_key(arg_str(&a, 1)).into())
    });
    m.register("pluck", Params::variadic(&[T::String], T::Map), |_, a| {
        let key = arg_str(&a, 0);
        Ok(Value::list(
            a[1..].iter().filter_map(|d| map_of(d).get(key)).collect(),
        ))
    });
    m.register("keys", Params::variadic(&[], T::Map), |_, a| {
        Ok(str_list(a.iter().flat_map(|d| map_of(d).keys())))
    });
    m.register("values", Params::fixed(&[T::Map]), |_, a| {
        Ok(Value::list(
            map_of(&a[0])
                .entries()
                .into_iter()
                .map(|(_, v)| v)
                .collect(),
        ))
    });
    m.register("pick", Params::variadic(&[T::Map], T::String), |_, a| {
        let src = map_of(&a[0]);
        let out = Map::new();
        for k in a[1..].iter().filter_map(Value::as_str) {
            if let Some(v) = src.get(k) {
                out.insert(k, v);
            }
        }
        Ok(Value::Map(out))
    });
    m.register("omit", Params::variadic(&[T::Map], T::String), |_, a| {
        let drop: Vec<&str> = a[1..].iter().filter_map(Value::as_str).collect();
        let out = Map::from_entries(
            map_of(&a[0])
                .entries()
                .into_iter()
                .filter(|(k, _)| !drop.contains(&k.as_str())),
        );
        Ok(Value::Map(out))
    });
    for (name, overwrite) in [
        ("merge", false),
        ("mustMerge", false),
        ("mergeOverwrite", true),
        ("mustMergeOverwrite", true),
    ] {
        m.register(name, Params::variadic(&[T::Map], T::Map), move |_, a| {
            let dst = map_of(&a[0]);
            for src in &a[1..] {
                merge_into(&dst, &map_of(src), overwrite, 0);
            }
            Ok(Value::Map(dst))
        });
    }
    for name in ["deepCopy", "mustDeepCopy"] {
        m.register(name, Params::fixed(&[T::Any]), |_, a| {
            Ok(deep_copy(&a[0], 0))
        });
    }
    m.register("dig", Params::variadic(&[], T::Any), |_, a| {
        if a.len() < 3 {
            return Err("dig needs at least three arguments".into());
        }
        let dict = match &a[a.len() - 1] {
            Value::Map(d) => d.clone(),
            other => return Err(conversion_panic(other, "map[string]interface {}")),
        };
        let default = a[a.len() - 2].clone();
        let mut keys = Vec::new();
        for k in &a[..a.len() - 2] {
            match k {
                Value::String(s) => keys.push(s.to_string()),
                other => return Err(conversion_panic(other, "string")),
            }
        }
        let mut cur = dict;
        for (i, k) in keys.iter().enumerate() {
            let Some(v) = cur.get(k) else {
                return Ok(default);
            };
            if i + 1 == keys.len() {
                return Ok(v);
            }
            cur = match v {
                Value::Map(d) => d,
                other => return Err(conversion_panic(&other, "map[string]interface {}")),
            };
        }
        Ok(default)
    });
}

/// The map behind a `map[string]interface{}` argument (the engine turns nil into an empty map).
fn map_of(v: &Value) -> Map {
    match v {
        Value::Map(m) => m.clone(),
        _ => Map::new(),
    }
}

/// The message of Go's failed type assertion panic.
fn conversion_panic(got: &Value, want: &str) -> FuncError {
    let got = if got.is_nil() { "nil" } else { got.type_name() };
    FuncError::new(format!(
        "interface conversion: interface {{}} is {got}, not {want}"
    ))
}

/// mergo's `Merge` (and `MergeWithOverwrite` when `overwrite`) of two
/// `map[string]interface{}`: nested maps merge in place; otherwise a key is set from `src`
/// when it is absent or empty in `dst`, or always when overwriting (even with an empty or
/// nil value). Values are assigned by reference, as Go assigns maps.
pub(crate) fn merge_into(dst: &Map, src: &Map, overwrite: bool, depth: usize) {
    if depth > MAX_DEPTH || dst.ptr_eq(src) {
        return;
    }
    for (k, s) in src.entries() {
        if s.is_nil() {
            if overwrite {
                dst.insert(k, Value::Nil);
            }
            continue;
        }
        let d = dst.get(&k);
        if let (Value::Map(sm), Some(Value::Map(dm))) = (&s, &d) {
            merge_into(dm, sm, overwrite, depth + 1);
            if !dm.is_empty() {
                continue;
            }
        }
        let absent_or_empty = d.as_ref().is_none_or(empty);
        if overwrite || absent_or_empty {
            dst.insert(k, s);
        }
    }
}

/// copystructure's `Copy`: maps and lists are copied all the way down.
pub(crate) fn deep_copy(v: &Value, depth: usize) -> Value {
    if depth > MAX_DEPTH {
        return Value::Nil;
    }
    match v {
        Value::Map(m) => Value::Map(Map::from_entries(
            m.entries()
                .into_iter()
                .map(|(k, v)| (k, deep_copy(&v, depth + 1))),
        )),
        Value::List(l) => Value::list(l.iter().map(|x| deep_copy(x, depth + 1)).collect()),
        Value::Missing => Value::Nil,
        v => v.clone(),
    }
}
