//! YAML output in kustomize's layout: keys sorted, two-space indent, sequences flush with their key,
//! documents separated by `---`, strings quoted only where a plain scalar would change type.

use kvet_yaml::resolve::{resolve_plain, Scalar};
use serde_json::Value;

/// Writes objects as one multi-document YAML stream, as `kubectl kustomize` prints them.
pub fn to_yaml_stream<'a>(objects: impl IntoIterator<Item = &'a Value>) -> String {
    let mut out = String::new();
    for (i, v) in objects.into_iter().enumerate() {
        if i > 0 {
            out.push_str("---\n");
        }
        out.push_str(&to_yaml(v));
    }
    out
}

/// One value as a YAML document.
pub fn to_yaml(v: &Value) -> String {
    let mut out = String::new();
    match v {
        Value::Object(m) if !m.is_empty() => map(m, 0, &mut out),
        Value::Array(a) if !a.is_empty() => seq(a, 0, &mut out),
        other => {
            out.push_str(&inline(other, 0));
            out.push('\n');
        }
    }
    out
}

fn pad(n: usize, out: &mut String) {
    for _ in 0..n {
        out.push(' ');
    }
}

/// Entries in key order: kustomize's output passes through a Go map, which sorts them.
fn sorted(m: &serde_json::Map<String, Value>) -> Vec<(&String, &Value)> {
    let mut entries: Vec<(&String, &Value)> = m.iter().collect();
    entries.sort_by(|a, b| a.0.cmp(b.0));
    entries
}

fn map(m: &serde_json::Map<String, Value>, indent: usize, out: &mut String) {
    for (k, v) in sorted(m) {
        pad(indent, out);
        out.push_str(&scalar_str(k, indent));
        out.push(':');
        value_after_key(v, indent, out);
    }
}

fn value_after_key(v: &Value, indent: usize, out: &mut String) {
    match v {
        Value::Object(m) if !m.is_empty() => {
            out.push('\n');
            map(m, indent + 2, out);
        }
        Value::Array(a) if !a.is_empty() => {
            out.push('\n');
            seq(a, indent, out);
        }
        other => {
            out.push(' ');
            out.push_str(&inline(other, indent + 2));
            out.push('\n');
        }
    }
}

fn seq(a: &[Value], indent: usize, out: &mut String) {
    for v in a {
        pad(indent, out);
        out.push('-');
        match v {
            Value::Object(m) if !m.is_empty() => {
                // The first entry shares the dash's line.
                let mut first = true;
                for (k, val) in sorted(m) {
                    if first {
                        out.push(' ');
                        first = false;
                    } else {
                        pad(indent + 2, out);
                    }
                    out.push_str(&scalar_str(k, indent + 2));
                    out.push(':');
                    value_after_key(val, indent + 2, out);
                }
            }
            Value::Array(inner) if !inner.is_empty() => {
                out.push('\n');
                seq(inner, indent + 2, out);
            }
            other => {
                out.push(' ');
                out.push_str(&inline(other, indent + 2));
                out.push('\n');
            }
        }
    }
}

fn inline(v: &Value, indent: usize) -> String {
    match v {
        Value::Null => "null".to_owned(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::String(s) => scalar_str(s, indent),
        Value::Array(_) => "[]".to_owned(),
        Value::Object(_) => "{}".to_owned(),
    }
}

/// A string as a YAML scalar: plain when it reads back as the same string, a literal block for
/// multi-line text, double-quoted otherwise.
fn scalar_str(s: &str, indent: usize) -> String {
    if s.contains('\n') && block_ok(s) {
        let chomp = if s.ends_with('\n') { "" } else { "-" };
        let mut out = format!("|{chomp}");
        if s.starts_with(' ') {
            out = format!("|2{chomp}");
        }
        for line in s.strip_suffix('\n').unwrap_or(s).split('\n') {
            out.push('\n');
            if !line.is_empty() {
                for _ in 0..indent {
                    out.push(' ');
                }
                out.push_str(line);
            }
        }
        return out;
    }
    if s.is_empty() || other_type(s) {
        // go-yaml double-quotes strings that would read back as another type.
        return serde_json::to_string(s).unwrap_or_default();
    }
    if plain_ok(s) {
        return s.to_owned();
    }
    if !s.contains('\n') && !s.chars().any(|c| c.is_control()) {
        return format!("'{}'", s.replace('\'', "''"));
    }
    serde_json::to_string(s).unwrap_or_default()
}

fn block_ok(s: &str) -> bool {
    !s.ends_with("\n\n")
        && !s.contains('\r')
        && !s.contains('\t')
        && s.split('\n').all(|l| !l.ends_with(' '))
        && !s.chars().any(|c| c.is_control() && c != '\n')
}

fn plain_ok(s: &str) -> bool {
    if s.is_empty() || s.trim() != s {
        return false;
    }
    let first = s.chars().next().unwrap_or(' ');
    if "-?:,[]{}#&*!|>'\"%@`".contains(first) {
        // `-x` and `:x` are fine plain in YAML 1.2, but keep the safe reading.
        if !(first == '-' && s.len() > 1 && !s.starts_with("- ") && s != "---") {
            return false;
        }
    }
    if s.contains(": ") || s.contains(" #") || s.ends_with(':') {
        return false;
    }
    !s.chars().any(|c| c.is_control())
}

/// Whether a plain scalar `s` would read back as something other than this string.
fn other_type(s: &str) -> bool {
    if !matches!(resolve_plain(s), Scalar::Str(ref x) if x == s) {
        return true;
    }
    let lower = s.to_ascii_lowercase();
    matches!(
        lower.as_str(),
        "y" | "n" | "yes" | "no" | "on" | "off" | "true" | "false" | "null" | "~"
    ) || looks_numeric(s)
}

fn looks_numeric(s: &str) -> bool {
    // go-yaml v3's float and integer forms (`1`, `-2.5`, `.5`, `1e3`); not `2.0.1`.
    s.chars()
        .all(|c| c.is_ascii_digit() || matches!(c, '.' | 'e' | 'E' | '+' | '-'))
        && s.chars().any(|c| c.is_ascii_digit())
        && s.parse::<f64>().is_ok()
}
