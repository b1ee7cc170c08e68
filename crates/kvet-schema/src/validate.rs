//! Walking a value against a compiled schema.

use crate::compile::*;
use crate::formats;
use serde_json::Value;
use std::fmt::Write;

/// Which rule a violation breaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Keyword {
    /// Wrong JSON type.
    Type,
    /// A required field is missing.
    Required,
    /// A field the schema does not know (strict mode).
    UnknownField,
    /// A value outside the allowed set.
    Enum,
    /// A malformed formatted value (int32, byte, date-time, quantity).
    Format,
    /// A string not matching the pattern.
    Pattern,
    /// Numeric bounds and multiples.
    Range,
    /// String length bounds.
    Length,
    /// Array size bounds.
    Items,
    /// Object size bounds.
    Properties,
    /// Duplicate items in a set or a list-map.
    Unique,
    /// anyOf / oneOf / not.
    Composition,
}

/// One way a value breaks its schema.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    /// RFC 6901 pointer of the offending node (for `Required`, the object missing the field).
    pub pointer: String,
    /// What is wrong.
    pub message: String,
    /// The rule broken.
    pub keyword: Keyword,
    /// Whether the mapping key, rather than the value, is the place to show.
    pub at_key: bool,
}

/// A compiled schema for one kind.
#[derive(Debug)]
pub struct Validator {
    pub(crate) nodes: Vec<Node>,
    pub(crate) root: NodeId,
}

fn type_bits(v: &Value) -> u8 {
    match v {
        Value::Null => T_NULL,
        Value::Bool(_) => T_BOOL,
        Value::Number(n) if n.is_i64() || n.is_u64() => T_INT,
        Value::Number(_) => T_NUM,
        Value::String(_) => T_STR,
        Value::Array(_) => T_ARR,
        Value::Object(_) => T_OBJ,
    }
}

fn type_names(bits: u8) -> String {
    let mut names = Vec::new();
    for (b, n) in [
        (T_OBJ, "object"),
        (T_ARR, "array"),
        (T_STR, "string"),
        (T_INT, "integer"),
        (T_NUM, "number"),
        (T_BOOL, "boolean"),
    ] {
        if bits & b != 0 {
            names.push(n);
        }
    }
    if names.is_empty() {
        names.push("null");
    }
    match names.len() {
        1 => names[0].to_owned(),
        _ => {
            let last = names.pop().unwrap_or_default();
            format!("{} or {last}", names.join(", "))
        }
    }
}

/// A short rendering of a value for messages.
pub(crate) fn describe(v: &Value) -> String {
    match v {
        Value::Null => "null".to_owned(),
        Value::Bool(b) => format!("boolean {b}"),
        Value::Number(n) if n.is_i64() || n.is_u64() => format!("integer {n}"),
        Value::Number(n) => format!("number {n}"),
        Value::String(s) => format!("string {}", quote(s)),
        Value::Array(_) => "array".to_owned(),
        Value::Object(_) => "object".to_owned(),
    }
}

fn quote(s: &str) -> String {
    let mut t: String = s.chars().take(60).collect();
    if t.len() < s.len() {
        t.push('…');
    }
    format!("{t:?}")
}

fn literal(v: &Value) -> String {
    match v {
        Value::String(s) => quote(s),
        other => other.to_string(),
    }
}

fn push_token(ptr: &mut String, tok: &str) {
    ptr.push('/');
    if tok.contains(['~', '/']) {
        ptr.push_str(&tok.replace('~', "~0").replace('/', "~1"));
    } else {
        ptr.push_str(tok);
    }
}

impl Validator {
    /// Every violation of the schema by `value`, in document order.
    pub fn validate(&self, value: &Value) -> Vec<Violation> {
        let mut out = Vec::new();
        let mut ptr = String::new();
        self.check(self.root, value, &mut ptr, &mut out);
        out
    }

    /// Whether `value` satisfies the schema (no violations).
    pub fn is_valid(&self, value: &Value) -> bool {
        self.validate(value).is_empty()
    }

    fn node(&self, id: NodeId) -> &Node {
        &self.nodes[id as usize]
    }

    fn sub_ok(&self, id: NodeId, value: &Value) -> bool {
        let mut out = Vec::new();
        let mut ptr = String::new();
        self.check(id, value, &mut ptr, &mut out);
        out.is_empty()
    }

    fn check(&self, id: NodeId, value: &Value, ptr: &mut String, out: &mut Vec<Violation>) {
        let n = self.node(id);
        let vt = type_bits(value);
        if vt == T_NULL && (n.types == 0 || n.types & T_NULL != 0) {
            return;
        }
        if n.types != 0 && n.types & vt == 0 && !(vt == T_INT && n.types & T_NUM != 0) {
            out.push(Violation {
                pointer: ptr.clone(),
                message: format!("expected {}, got {}", type_names(n.types), describe(value)),
                keyword: Keyword::Type,
                at_key: false,
            });
            return;
        }
        let before = out.len();
        match value {
            Value::Object(map) => self.check_object(n, map, ptr, out),
            Value::Array(items) => self.check_array(n, items, ptr, out),
            Value::String(s) => self.check_string(n, s, ptr, out),
            Value::Number(_) => self.check_number(n, value, ptr, out),
            _ => {}
        }
        if let Some(allowed) = &n.enumeration {
            if !allowed.iter().any(|a| a == value) && out.len() == before {
                let list: Vec<String> = allowed.iter().map(literal).collect();
                out.push(Violation {
                    pointer: ptr.clone(),
                    message: format!("{} is not one of {}", literal(value), list.join(", ")),
                    keyword: Keyword::Enum,
                    at_key: false,
                });
            }
        }
        for sub in &n.all_of {
            self.check(*sub, value, ptr, out);
        }
        if !n.any_of.is_empty() && !n.any_of.iter().any(|s| self.sub_ok(*s, value)) {
            out.push(Violation {
                pointer: ptr.clone(),
                message: format!(
                    "{} matches none of the {} allowed alternatives (anyOf)",
                    describe(value),
                    n.any_of.len()
                ),
                keyword: Keyword::Composition,
                at_key: false,
            });
        }
        if !n.one_of.is_empty() {
            let matching = n.one_of.iter().filter(|s| self.sub_ok(**s, value)).count();
            if matching != 1 {
                out.push(Violation {
                    pointer: ptr.clone(),
                    message: if matching == 0 {
                        format!("{} matches none of the alternatives (oneOf)", describe(value))
                    } else {
                        format!(
                            "{} matches {matching} alternatives, but exactly one is allowed (oneOf)",
                            describe(value)
                        )
                    },
                    keyword: Keyword::Composition,
                    at_key: false,
                });
            }
        }
        if let Some(not) = n.not {
            if self.sub_ok(not, value) {
                out.push(Violation {
                    pointer: ptr.clone(),
                    message: format!(
                        "{} matches a schema it must not match (not)",
                        describe(value)
                    ),
                    keyword: Keyword::Composition,
                    at_key: false,
                });
            }
        }
    }

    fn check_object(
        &self,
        n: &Node,
        map: &serde_json::Map<String, Value>,
        ptr: &mut String,
        out: &mut Vec<Violation>,
    ) {
        let len = ptr.len();
        for (k, v) in map {
            let child = match n.prop(k) {
                Some(c) => Some(c),
                None => match n.additional {
                    Additional::Schema(c) => Some(c),
                    Additional::Allow => None,
                    Additional::Forbid => {
                        push_token(ptr, k);
                        out.push(Violation {
                            pointer: ptr.clone(),
                            message: format!("unknown field {}", quote(k)),
                            keyword: Keyword::UnknownField,
                            at_key: true,
                        });
                        ptr.truncate(len);
                        None
                    }
                },
            };
            if let Some(c) = child {
                push_token(ptr, k);
                self.check(c, v, ptr, out);
                ptr.truncate(len);
            }
        }
        for r in &n.required {
            if !map.contains_key(&**r) {
                out.push(Violation {
                    pointer: ptr.clone(),
                    message: format!("missing required field {}", quote(r)),
                    keyword: Keyword::Required,
                    at_key: true,
                });
            }
        }
        let count = map.len() as u64;
        if let Some(min) = n.min_props.filter(|m| count < *m) {
            out.push(self.simple(
                ptr,
                Keyword::Properties,
                format!("has {count} fields, fewer than the minimum of {min}"),
            ));
        }
        if let Some(max) = n.max_props.filter(|m| count > *m) {
            out.push(self.simple(
                ptr,
                Keyword::Properties,
                format!("has {count} fields, more than the maximum of {max}"),
            ));
        }
    }

    fn simple(&self, ptr: &str, keyword: Keyword, message: String) -> Violation {
        Violation {
            pointer: ptr.to_owned(),
            message,
            keyword,
            at_key: false,
        }
    }

    fn check_array(&self, n: &Node, items: &[Value], ptr: &mut String, out: &mut Vec<Violation>) {
        let len = ptr.len();
        if let Some(item) = n.items {
            for (i, v) in items.iter().enumerate() {
                let _ = write!(ptr, "/{i}");
                self.check(item, v, ptr, out);
                ptr.truncate(len);
            }
        }
        let count = items.len() as u64;
        if let Some(min) = n.min_items.filter(|m| count < *m) {
            out.push(self.simple(
                ptr,
                Keyword::Items,
                format!("has {count} items, fewer than the minimum of {min}"),
            ));
        }
        if let Some(max) = n.max_items.filter(|m| count > *m) {
            out.push(self.simple(
                ptr,
                Keyword::Items,
                format!("has {count} items, more than the maximum of {max}"),
            ));
        }
        if n.unique_items || n.list_set {
            for (i, v) in items.iter().enumerate() {
                if items[..i].contains(v) {
                    let _ = write!(ptr, "/{i}");
                    out.push(self.simple(
                        ptr,
                        Keyword::Unique,
                        format!("duplicate value {}", literal(v)),
                    ));
                    ptr.truncate(len);
                }
            }
        }
        if !n.list_map_keys.is_empty() {
            let key_of = |v: &Value| -> Vec<Value> {
                n.list_map_keys
                    .iter()
                    .map(|k| v.get(&**k).cloned().unwrap_or(Value::Null))
                    .collect()
            };
            let keys: Vec<Vec<Value>> = items.iter().map(key_of).collect();
            for i in 0..keys.len() {
                if keys[..i].contains(&keys[i]) {
                    let desc: Vec<String> = n
                        .list_map_keys
                        .iter()
                        .zip(&keys[i])
                        .map(|(k, v)| format!("{k}={}", literal(v)))
                        .collect();
                    let _ = write!(ptr, "/{i}");
                    out.push(self.simple(
                        ptr,
                        Keyword::Unique,
                        format!("duplicate entry with {}", desc.join(", ")),
                    ));
                    ptr.truncate(len);
                }
            }
        }
    }

    fn check_string(&self, n: &Node, s: &str, ptr: &str, out: &mut Vec<Violation>) {
        let bad_format = match n.format {
            Format::Byte if !formats::is_base64(s) => Some("is not valid base64 (format byte)".to_owned()),
            Format::DateTime if !formats::is_date_time(s) => {
                Some("is not an RFC 3339 date-time such as 2006-01-02T15:04:05Z".to_owned())
            }
            Format::Quantity if !formats::is_quantity(s) => Some(
                "is not a valid quantity (a number with an optional suffix, such as 100m, 1.5, 128Mi, 1G or 1e3)"
                    .to_owned(),
            ),
            _ => None,
        };
        if let Some(why) = bad_format {
            out.push(self.simple(ptr, Keyword::Format, format!("{} {why}", quote(s))));
        }
        if let Some((re, src)) = &n.pattern {
            if !re.is_match(s) {
                out.push(self.simple(
                    ptr,
                    Keyword::Pattern,
                    format!("{} does not match the pattern {src}", quote(s)),
                ));
            }
        }
        if n.min_length.is_some() || n.max_length.is_some() {
            let chars = s.chars().count() as u64;
            if let Some(min) = n.min_length.filter(|m| chars < *m) {
                out.push(self.simple(
                    ptr,
                    Keyword::Length,
                    format!("{} is shorter than {min} characters", quote(s)),
                ));
            }
            if let Some(max) = n.max_length.filter(|m| chars > *m) {
                out.push(self.simple(
                    ptr,
                    Keyword::Length,
                    format!("{} is longer than {max} characters", quote(s)),
                ));
            }
        }
    }

    fn check_number(&self, n: &Node, v: &Value, ptr: &str, out: &mut Vec<Violation>) {
        let range_err = match n.format {
            Format::Int32 => match v.as_i64() {
                Some(i) if i32::try_from(i).is_ok() => None,
                _ if v.is_f64() => None,
                _ => Some("int32"),
            },
            Format::Int64 => match v {
                Value::Number(num) if num.is_u64() && !num.is_i64() => Some("int64"),
                _ => None,
            },
            _ => None,
        };
        if let Some(t) = range_err {
            out.push(self.simple(ptr, Keyword::Format, format!("{v} is out of range for {t}")));
        }
        let Some(x) = v.as_f64() else { return };
        if let Some((min, excl)) = n.minimum {
            if x < min || (excl && x == min) {
                let word = if excl { "more than" } else { "at least" };
                out.push(self.simple(
                    ptr,
                    Keyword::Range,
                    format!("{v} is less than the minimum: must be {word} {min}"),
                ));
            }
        }
        if let Some((max, excl)) = n.maximum {
            if x > max || (excl && x == max) {
                let word = if excl { "less than" } else { "at most" };
                out.push(self.simple(
                    ptr,
                    Keyword::Range,
                    format!("{v} is greater than the maximum: must be {word} {max}"),
                ));
            }
        }
        if let Some(m) = n.multiple_of {
            let q = x / m;
            if (q - q.round()).abs() > 1e-9 {
                out.push(self.simple(ptr, Keyword::Range, format!("{v} is not a multiple of {m}")));
            }
        }
    }
}
