//! `replacements`: copy a field of one object into fields of others, addressed by kustomize's
//! field paths (`spec.template.spec.containers.[name=web].image`).

use serde_json::Value;

/// One step of a field path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// A mapping key.
    Key(String),
    /// The list element whose `key` field equals `value`.
    Match(String, String),
    /// A list index.
    Index(usize),
    /// Every element of a list.
    All,
}

/// Splits a field path at the dots outside brackets (`a.[k=v.w].c` → `a`, `[k=v.w]`, `c`).
pub(crate) fn split_path(path: &str) -> Vec<String> {
    let mut parts = Vec::new();
    let mut cur = String::new();
    let mut depth = 0;
    for c in path.chars() {
        match c {
            '[' => depth += 1,
            ']' => depth -= 1,
            '.' if depth == 0 => {
                parts.push(std::mem::take(&mut cur));
                continue;
            }
            _ => {}
        }
        cur.push(c);
    }
    parts.push(cur);
    parts
}

/// Parses `a.b.[k=v].c` (brackets may hold dots).
pub fn parse_path(path: &str) -> Result<Vec<Step>, String> {
    let parts = split_path(path);
    let mut steps = Vec::new();
    for p in parts {
        if p.is_empty() {
            return Err(format!("invalid field path {path:?}"));
        }
        if let Some(inner) = p.strip_prefix('[').and_then(|x| x.strip_suffix(']')) {
            match inner.split_once('=') {
                Some((k, v)) => steps.push(Step::Match(k.to_owned(), v.to_owned())),
                None => steps.push(Step::Key(inner.to_owned())),
            }
        } else if p == "*" {
            steps.push(Step::All);
        } else if let Ok(i) = p.parse::<usize>() {
            steps.push(Step::Index(i));
        } else {
            steps.push(Step::Key(p));
        }
    }
    Ok(steps)
}

/// The first value at `steps`.
pub fn get<'a>(v: &'a Value, steps: &[Step]) -> Option<&'a Value> {
    let Some((first, rest)) = steps.split_first() else {
        return Some(v);
    };
    match (first, v) {
        (Step::Key(k), Value::Object(m)) => get(m.get(k)?, rest),
        (Step::Index(i), Value::Array(a)) => get(a.get(*i)?, rest),
        (Step::Index(i), Value::Object(m)) => get(m.get(&i.to_string())?, rest),
        (Step::Match(k, want), Value::Array(a)) => a
            .iter()
            .filter(|e| e.get(k).is_some_and(|x| scalar_eq(x, want)))
            .find_map(|e| get(e, rest)),
        (Step::All, Value::Array(a)) => a.iter().find_map(|e| get(e, rest)),
        _ => None,
    }
}

fn scalar_eq(v: &Value, want: &str) -> bool {
    match v {
        Value::String(s) => s == want,
        // Numbers and booleans match their written form (`[containerPort=80]`).
        other => serde_json::from_str::<Value>(want).ok().as_ref() == Some(other),
    }
}

/// Sets every field at `steps` with `f` (given the old value, if any); with `create`, missing
/// mapping keys are made. Returns how many fields were set.
pub fn set(
    v: &mut Value,
    steps: &[Step],
    create: bool,
    f: &mut dyn FnMut(Option<&Value>) -> Value,
) -> usize {
    let Some((first, rest)) = steps.split_first() else {
        let new = f(Some(v));
        *v = new;
        return 1;
    };
    match (first, v) {
        (Step::Key(k), Value::Object(m)) => {
            if !m.contains_key(k) {
                if !create {
                    return 0;
                }
                if rest.is_empty() {
                    m.insert(k.clone(), f(None));
                    return 1;
                }
                let empty = match rest.first() {
                    Some(Step::Index(_) | Step::Match(..) | Step::All) => Value::Array(Vec::new()),
                    _ => Value::Object(serde_json::Map::new()),
                };
                m.insert(k.clone(), empty);
            }
            m.get_mut(k).map_or(0, |c| set(c, rest, create, f))
        }
        (Step::Index(i), Value::Array(a)) => a.get_mut(*i).map_or(0, |c| set(c, rest, create, f)),
        (Step::Match(k, want), Value::Array(a)) => a
            .iter_mut()
            .filter(|e| e.get(k).is_some_and(|x| scalar_eq(x, want)))
            .map(|e| set(e, rest, create, f))
            .sum(),
        (Step::All, Value::Array(a)) => a.iter_mut().map(|e| set(e, rest, create, f)).sum(),
        _ => 0,
    }
}
