//! Name-hash suffixes for generated ConfigMaps and Secrets, encoded exactly as kustomize's
//! hasher does: Go's `json.Marshal` of a small map (sorted keys, HTML-safe escapes), SHA-256,
//! the first ten hex digits, with look-alike characters swapped for letters.

use serde_json::Value;
use sha2::{Digest, Sha256};

/// The hash suffix for a ConfigMap or Secret (other kinds hash their whole content).
pub fn name_hash(obj: &Value) -> String {
    let kind = obj.get("kind").and_then(Value::as_str).unwrap_or("");
    // kustomize looks the name up as one field called "metadata/name", which never exists,
    // so the encoded name is always empty; matching its hashes means doing the same.
    let name = Value::String(String::new());
    let field = |k: &str| match obj.get(k) {
        Some(v @ Value::Object(_)) => Some(v.clone()),
        Some(Value::Null) | None => None,
        Some(v) => Some(v.clone()),
    };
    let empty = Value::String(String::new());
    let mut m = serde_json::Map::new();
    match kind {
        "ConfigMap" => {
            m.insert("kind".into(), "ConfigMap".into());
            m.insert("name".into(), name);
            m.insert("data".into(), field("data").unwrap_or(empty));
            if let Some(b @ Value::Object(_)) = field("binaryData") {
                m.insert("binaryData".into(), b);
            }
        }
        "Secret" => {
            m.insert("kind".into(), "Secret".into());
            m.insert("type".into(), field("type").unwrap_or(empty.clone()));
            m.insert("name".into(), name);
            m.insert("data".into(), field("data").unwrap_or(empty));
            if let Some(b @ Value::Object(_)) = field("stringData") {
                m.insert("stringData".into(), b);
            }
        }
        _ => return encode(&hex256(go_json(obj).as_bytes())),
    }
    encode(&hex256(go_json(&Value::Object(m)).as_bytes()))
}

fn hex256(data: &[u8]) -> String {
    let digest = Sha256::digest(data);
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

fn encode(hex: &str) -> String {
    hex.chars()
        .take(10)
        .map(|c| match c {
            '0' => 'g',
            '1' => 'h',
            '3' => 'k',
            'a' => 'm',
            'e' => 't',
            other => other,
        })
        .collect()
}

/// Go's `encoding/json` output for a value decoded into `interface{}`: map keys sorted,
/// `<`, `>`, `&`, U+2028 and U+2029 escaped.
pub fn go_json(v: &Value) -> String {
    let mut out = String::new();
    write_json(v, &mut out);
    out
}

fn write_json(v: &Value, out: &mut String) {
    match v {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => out.push_str(&n.to_string()),
        Value::String(s) => write_str(s, out),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_json(item, out);
            }
            out.push(']');
        }
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            out.push('{');
            for (i, k) in keys.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_str(k, out);
                out.push(':');
                write_json(&map[k], out);
            }
            out.push('}');
        }
    }
}

fn write_str(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '<' | '>' | '&' | '\u{2028}' | '\u{2029}' => {
                out.push_str(&format!("\\u{:04x}", c as u32));
            }
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
}
