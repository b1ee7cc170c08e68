//! `values.schema.json`: the values a chart renders with are checked against its JSON Schema
//! (and each subchart's against its own), as `helm template` does before rendering.
//!
//! The keywords charts use are supported: `type` (with `integer` accepting integral numbers),
//! `properties`, `required`, `additionalProperties`, `patternProperties`, `items`, `enum`,
//! `const`, the numeric and length bounds, `pattern`, `minItems`/`maxItems`/`uniqueItems`,
//! `allOf`/`anyOf`/`oneOf`/`not`, `if`/`then`/`else`, and local `$ref`s (`#/definitions/…`,
//! `#/$defs/…`). Formats are not checked, as Helm does not check them either.

use serde_json::{Map, Value};

/// One way the values break the schema: where (a JSON pointer into the values) and what.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SchemaViolation {
    /// JSON pointer into the values (`""` for the root).
    pub pointer: String,
    /// What is wrong.
    pub message: String,
}

/// Checks `values` against `schema`; every violation, in document order.
pub fn validate(schema: &Value, values: &Value) -> Vec<SchemaViolation> {
    let mut out = Vec::new();
    check(schema, schema, values, "", &mut out, 0);
    out
}

fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(n) if n.is_i64() || n.is_u64() => "integer",
        Value::Number(n) if n.as_f64().is_some_and(|f| f.fract() == 0.0) => "integer",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

fn has_type(v: &Value, t: &str) -> bool {
    let actual = type_name(v);
    actual == t || (t == "number" && actual == "integer")
}

fn resolve<'a>(root: &'a Value, reference: &str) -> Option<&'a Value> {
    let path = reference.strip_prefix('#')?;
    if path.is_empty() {
        return Some(root);
    }
    root.pointer(path)
}

fn show(v: &Value) -> String {
    match v {
        Value::String(s) => format!("'{s}'"),
        other => other.to_string(),
    }
}

fn push(out: &mut Vec<SchemaViolation>, at: &str, message: String) {
    out.push(SchemaViolation {
        pointer: at.to_owned(),
        message,
    });
}

fn check(
    root: &Value,
    schema: &Value,
    v: &Value,
    at: &str,
    out: &mut Vec<SchemaViolation>,
    depth: usize,
) {
    // Schemas can refer to themselves; values are finite, but a $ref cycle without a value
    // step is not.
    if depth > 64 {
        return;
    }
    let s = match schema {
        Value::Bool(false) => {
            push(out, at, "not allowed by the schema".into());
            return;
        }
        Value::Object(s) => s,
        _ => return,
    };
    if let Some(r) = s.get("$ref").and_then(Value::as_str) {
        if let Some(target) = resolve(root, r) {
            check(root, target, v, at, out, depth + 1);
        }
    }
    if let Some(t) = s.get("type") {
        let types: Vec<&str> = match t {
            Value::String(t) => vec![t.as_str()],
            Value::Array(a) => a.iter().filter_map(Value::as_str).collect(),
            _ => Vec::new(),
        };
        if !types.is_empty() && !types.iter().any(|t| has_type(v, t)) {
            push(
                out,
                at,
                format!("got {}, want {}", type_name(v), types.join(" or ")),
            );
            return;
        }
    }
    if let Some(Value::Array(options)) = s.get("enum") {
        if !options.contains(v) {
            let list: Vec<String> = options.iter().map(show).collect();
            push(out, at, format!("value must be one of {}", list.join(", ")));
        }
    }
    if let Some(c) = s.get("const") {
        if c != v {
            push(out, at, format!("value must be {}", show(c)));
        }
    }
    match v {
        Value::Number(n) => numeric(s, n.as_f64().unwrap_or(0.0), at, out),
        Value::String(text) => string(s, text, at, out),
        Value::Array(items) => array(root, s, items, at, out, depth),
        Value::Object(map) => object(root, s, map, at, out, depth),
        _ => {}
    }
    if let Some(Value::Array(all)) = s.get("allOf") {
        for sub in all {
            check(root, sub, v, at, out, depth + 1);
        }
    }
    let passes = |sub: &Value| {
        let mut scratch = Vec::new();
        check(root, sub, v, at, &mut scratch, depth + 1);
        scratch.is_empty()
    };
    if let Some(Value::Array(any)) = s.get("anyOf") {
        if !any.iter().any(passes) {
            push(
                out,
                at,
                "anyOf failed: the value matches none of the schemas".into(),
            );
        }
    }
    if let Some(Value::Array(one)) = s.get("oneOf") {
        let n = one.iter().filter(|sub| passes(sub)).count();
        if n != 1 {
            push(
                out,
                at,
                format!("oneOf failed: the value matches {n} schemas, want 1"),
            );
        }
    }
    if let Some(not) = s.get("not") {
        if passes(not) {
            push(
                out,
                at,
                "not failed: the value matches a schema it must not".into(),
            );
        }
    }
    if let Some(cond) = s.get("if") {
        let branch = if passes(cond) {
            s.get("then")
        } else {
            s.get("else")
        };
        if let Some(b) = branch {
            check(root, b, v, at, out, depth + 1);
        }
    }
}

fn numeric(s: &Map<String, Value>, n: f64, at: &str, out: &mut Vec<SchemaViolation>) {
    let bound = |k: &str| s.get(k).and_then(Value::as_f64);
    // Integral values print without a fraction, as Go prints them.
    let fmt = |x: f64| {
        if x.fract() == 0.0 && x.abs() < 1e15 {
            format!("{}", x as i64)
        } else {
            x.to_string()
        }
    };
    if let Some(m) = bound("minimum") {
        if n < m {
            push(out, at, format!("minimum: got {}, want {}", fmt(n), fmt(m)));
        }
    }
    if let Some(m) = bound("maximum") {
        if n > m {
            push(out, at, format!("maximum: got {}, want {}", fmt(n), fmt(m)));
        }
    }
    if let Some(m) = bound("exclusiveMinimum") {
        if n <= m {
            push(
                out,
                at,
                format!("exclusiveMinimum: got {}, want {}", fmt(n), fmt(m)),
            );
        }
    }
    if let Some(m) = bound("exclusiveMaximum") {
        if n >= m {
            push(
                out,
                at,
                format!("exclusiveMaximum: got {}, want {}", fmt(n), fmt(m)),
            );
        }
    }
    if let Some(m) = bound("multipleOf") {
        if m > 0.0 && (n / m).fract() != 0.0 {
            push(
                out,
                at,
                format!("multipleOf: got {}, want a multiple of {}", fmt(n), fmt(m)),
            );
        }
    }
}

fn string(s: &Map<String, Value>, text: &str, at: &str, out: &mut Vec<SchemaViolation>) {
    let len = text.chars().count() as u64;
    if let Some(m) = s.get("minLength").and_then(Value::as_u64) {
        if len < m {
            push(out, at, format!("minLength: got {len}, want {m}"));
        }
    }
    if let Some(m) = s.get("maxLength").and_then(Value::as_u64) {
        if len > m {
            push(out, at, format!("maxLength: got {len}, want {m}"));
        }
    }
    if let Some(p) = s.get("pattern").and_then(Value::as_str) {
        if let Ok(re) = regex::Regex::new(p) {
            if !re.is_match(text) {
                push(out, at, format!("'{text}' does not match pattern '{p}'"));
            }
        }
    }
}

fn array(
    root: &Value,
    s: &Map<String, Value>,
    items: &[Value],
    at: &str,
    out: &mut Vec<SchemaViolation>,
    depth: usize,
) {
    let n = items.len() as u64;
    if let Some(m) = s.get("minItems").and_then(Value::as_u64) {
        if n < m {
            push(out, at, format!("minItems: got {n}, want {m}"));
        }
    }
    if let Some(m) = s.get("maxItems").and_then(Value::as_u64) {
        if n > m {
            push(out, at, format!("maxItems: got {n}, want {m}"));
        }
    }
    if s.get("uniqueItems") == Some(&Value::Bool(true)) {
        for (i, a) in items.iter().enumerate() {
            if let Some(j) = items[..i].iter().position(|b| b == a) {
                push(out, at, format!("items at {j} and {i} are equal"));
                break;
            }
        }
    }
    match s.get("items") {
        Some(Value::Array(tuple)) => {
            for (i, (sub, item)) in tuple.iter().zip(items).enumerate() {
                check(root, sub, item, &format!("{at}/{i}"), out, depth + 1);
            }
        }
        Some(sub) => {
            for (i, item) in items.iter().enumerate() {
                check(root, sub, item, &format!("{at}/{i}"), out, depth + 1);
            }
        }
        None => {}
    }
}

fn object(
    root: &Value,
    s: &Map<String, Value>,
    map: &Map<String, Value>,
    at: &str,
    out: &mut Vec<SchemaViolation>,
    depth: usize,
) {
    let escape = |k: &str| k.replace('~', "~0").replace('/', "~1");
    if let Some(Value::Array(required)) = s.get("required") {
        let missing: Vec<String> = required
            .iter()
            .filter_map(Value::as_str)
            .filter(|k| !map.contains_key(*k))
            .map(|k| format!("'{k}'"))
            .collect();
        if !missing.is_empty() {
            let noun = if missing.len() == 1 {
                "property"
            } else {
                "properties"
            };
            push(out, at, format!("missing {noun} {}", missing.join(", ")));
        }
    }
    let props = s.get("properties").and_then(Value::as_object);
    let patterns: Vec<(regex::Regex, &Value)> = s
        .get("patternProperties")
        .and_then(Value::as_object)
        .map(|m| {
            m.iter()
                .filter_map(|(p, sub)| regex::Regex::new(p).ok().map(|r| (r, sub)))
                .collect()
        })
        .unwrap_or_default();
    let mut extra = Vec::new();
    for (k, v) in map {
        let here = format!("{at}/{}", escape(k));
        let mut matched = false;
        if let Some(sub) = props.and_then(|p| p.get(k)) {
            matched = true;
            check(root, sub, v, &here, out, depth + 1);
        }
        for (re, sub) in &patterns {
            if re.is_match(k) {
                matched = true;
                check(root, sub, v, &here, out, depth + 1);
            }
        }
        if !matched {
            match s.get("additionalProperties") {
                Some(Value::Bool(false)) => extra.push(format!("'{k}'")),
                Some(sub @ Value::Object(_)) => check(root, sub, v, &here, out, depth + 1),
                _ => {}
            }
        }
    }
    if !extra.is_empty() {
        let noun = if extra.len() == 1 {
            "property"
        } else {
            "properties"
        };
        push(
            out,
            at,
            format!("additional {noun} {} not allowed", extra.join(", ")),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn keywords() {
        let schema = json!({
            "type": "object",
            "required": ["image", "replicas"],
            "additionalProperties": false,
            "definitions": {"port": {"type": "integer", "minimum": 1, "maximum": 65535}},
            "properties": {
                "replicas": {"type": "integer", "minimum": 0},
                "image": {"type": "object", "properties": {
                    "pullPolicy": {"enum": ["Always", "IfNotPresent", "Never"]},
                    "tag": {"type": "string", "pattern": "^[0-9.]+$"}
                }},
                "ports": {"type": "array", "items": {"$ref": "#/definitions/port"}, "uniqueItems": true},
                "mode": {"oneOf": [{"const": "a"}, {"const": "b"}]}
            }
        });
        let ok = json!({"replicas": 3.0, "image": {"pullPolicy": "Always", "tag": "1.2"}, "ports": [80, 443], "mode": "a"});
        assert_eq!(validate(&schema, &ok), vec![]);
        let bad = json!({"replicas": "3", "image": {"pullPolicy": "Sometimes", "tag": "latest"}, "ports": [80, 0, 80], "mode": "c", "extra": 1});
        let got: Vec<(String, String)> = validate(&schema, &bad)
            .into_iter()
            .map(|v| (v.pointer, v.message))
            .collect();
        let want: Vec<(&str, &str)> = vec![
            ("/replicas", "got string, want integer"),
            (
                "/image/pullPolicy",
                "value must be one of 'Always', 'IfNotPresent', 'Never'",
            ),
            ("/image/tag", "'latest' does not match pattern '^[0-9.]+$'"),
            ("/ports", "items at 0 and 2 are equal"),
            ("/ports/1", "minimum: got 0, want 1"),
            ("/mode", "oneOf failed: the value matches 0 schemas, want 1"),
            ("", "additional property 'extra' not allowed"),
        ];
        let want: Vec<(String, String)> = want
            .into_iter()
            .map(|(a, b)| (a.to_owned(), b.to_owned()))
            .collect();
        assert_eq!(got, want);
        let missing = validate(&schema, &json!({}));
        assert_eq!(missing[0].message, "missing properties 'image', 'replicas'");
    }
}
