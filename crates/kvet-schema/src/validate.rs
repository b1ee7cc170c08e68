//! Walking a value against a compiled schema.

use crate::compile::{
    Additional, Bound, ListType, Node, NodeId, NumFormat, F_DEFAULTED, F_NOTHING, F_PRUNE_NULL,
    T_ANY, T_ARR, T_BOOL, T_INT, T_NULL, T_NUM, T_OBJ, T_STR,
};
use serde_json::{Map, Number, Value};
use std::collections::{HashMap, HashSet};
use std::fmt::Write;

/// Which rule a violation breaks (named after the JSON Schema keyword).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Keyword {
    /// Wrong JSON type.
    Type,
    /// A required field is missing.
    Required,
    /// A field the schema does not know (strict mode).
    UnknownField,
    /// A value outside the allowed set.
    Enum,
    /// A malformed formatted value (quantity, base64, date-time, int32 range …).
    Format,
    /// A string not matching the pattern.
    Pattern,
    /// A number below the minimum.
    Minimum,
    /// A number above the maximum.
    Maximum,
    /// A number that is not a multiple of `multipleOf`.
    MultipleOf,
    /// A string shorter than `minLength`.
    MinLength,
    /// A string longer than `maxLength`.
    MaxLength,
    /// An array shorter than `minItems`.
    MinItems,
    /// An array longer than `maxItems`.
    MaxItems,
    /// Repeated items where `uniqueItems` forbids them.
    UniqueItems,
    /// A duplicate entry in an `x-kubernetes-list-type` set or map.
    Duplicate,
    /// An object with fewer fields than `minProperties`.
    MinProperties,
    /// An object with more fields than `maxProperties`.
    MaxProperties,
    /// No `anyOf` alternative matches.
    AnyOf,
    /// Not exactly one `oneOf` alternative matches.
    OneOf,
    /// The value matches the schema under `not`.
    Not,
    /// Nothing is allowed here (the `false` schema), or the value is nested too deeply.
    Invalid,
}

impl Keyword {
    /// The keyword as it is spelled in a schema (`x-kubernetes-list-type` for duplicates).
    pub fn as_str(self) -> &'static str {
        match self {
            Keyword::Type => "type",
            Keyword::Required => "required",
            Keyword::UnknownField => "additionalProperties",
            Keyword::Enum => "enum",
            Keyword::Format => "format",
            Keyword::Pattern => "pattern",
            Keyword::Minimum => "minimum",
            Keyword::Maximum => "maximum",
            Keyword::MultipleOf => "multipleOf",
            Keyword::MinLength => "minLength",
            Keyword::MaxLength => "maxLength",
            Keyword::MinItems => "minItems",
            Keyword::MaxItems => "maxItems",
            Keyword::UniqueItems => "uniqueItems",
            Keyword::Duplicate => "x-kubernetes-list-type",
            Keyword::MinProperties => "minProperties",
            Keyword::MaxProperties => "maxProperties",
            Keyword::AnyOf => "anyOf",
            Keyword::OneOf => "oneOf",
            Keyword::Not => "not",
            Keyword::Invalid => "false",
        }
    }
}

/// One way a value breaks its schema.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    /// RFC 6901 pointer of the offending node (for `Required`, the object missing the field).
    pub pointer: String,
    /// What is wrong, in plain words.
    pub message: String,
    /// The rule broken.
    pub keyword: Keyword,
    /// Whether the mapping key, rather than the value, is the place to show.
    pub at_key: bool,
}

/// A compiled schema for one kind; cheap to share between threads.
#[derive(Debug)]
pub struct Validator {
    nodes: Box<[Node]>,
    root: NodeId,
}

/// Values nested deeper than this are not walked further (the YAML loader limits depth
/// long before; this only keeps a hand-built value from exhausting the stack).
const MAX_DEPTH: usize = 512;

/// Strings in messages are cut to this many characters.
const QUOTE_CHARS: usize = 60;

fn type_of(v: &Value) -> u8 {
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

/// "integer or string", "array, object or string": alphabetical, integer folded into number.
fn type_names(bits: u8) -> String {
    let mut names: Vec<&str> = [
        (T_ARR, "array"),
        (T_BOOL, "boolean"),
        (T_INT, "integer"),
        (T_NUM, "number"),
        (T_OBJ, "object"),
        (T_STR, "string"),
    ]
    .iter()
    .filter(|(b, n)| bits & b != 0 && !(*n == "integer" && bits & T_NUM != 0))
    .map(|(_, n)| *n)
    .collect();
    match names.len() {
        0 => "null".to_owned(),
        1 => names[0].to_owned(),
        _ => {
            let last = names.pop().unwrap_or_default();
            format!("{} or {last}", names.join(", "))
        }
    }
}

/// A string as a quoted literal, cut short if long.
pub(crate) fn quote(s: &str) -> String {
    match s.char_indices().nth(QUOTE_CHARS) {
        None => format!("{s:?}"),
        Some((cut, _)) => format!("{:?}…", &s[..cut]),
    }
}

/// A value as it appears in a message: strings quoted, containers summarised.
fn literal(v: &Value) -> String {
    match v {
        Value::String(s) => quote(s),
        Value::Array(_) => "an array".to_owned(),
        Value::Object(_) => "an object".to_owned(),
        other => other.to_string(),
    }
}

/// "string \"3\"", "integer 3", "boolean true", "object" — what was found, for type messages.
fn describe(v: &Value) -> String {
    match v {
        Value::Null => "null".to_owned(),
        // The YAML spelling (yes, on, True …) may differ from the value; the caret shows it.
        Value::Bool(b) => format!("boolean {b}"),
        Value::Number(n) if n.is_i64() || n.is_u64() => format!("integer {n}"),
        Value::Number(n) => format!("number {n}"),
        Value::String(s) => format!("string {}", quote(s)),
        Value::Array(_) => "array".to_owned(),
        Value::Object(_) => "object".to_owned(),
    }
}

/// JSON equality with numbers compared by value (1 and 1.0 are the same number).
fn json_eq(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => num_eq(x, y),
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(p, q)| json_eq(p, q))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, v)| y.get(k).is_some_and(|w| json_eq(v, w)))
        }
        _ => a == b,
    }
}

fn num_eq(x: &Number, y: &Number) -> bool {
    match (x.as_i64(), y.as_i64(), x.as_u64(), y.as_u64()) {
        (Some(a), Some(b), _, _) => a == b,
        (_, _, Some(a), Some(b)) => a == b,
        _ => x.as_f64() == y.as_f64(),
    }
}

/// A canonical text for equality of JSON values (sorted keys, numbers by value).
fn canonical(v: &Value, out: &mut String) {
    match v {
        Value::Number(n) => match (n.as_i64(), n.as_u64(), n.as_f64()) {
            (Some(i), _, _) => {
                let _ = write!(out, "{i}");
            }
            (_, Some(u), _) => {
                let _ = write!(out, "{u}");
            }
            (_, _, Some(f)) if f.fract() == 0.0 && f.abs() < 9.0e15 => {
                let _ = write!(out, "{}", f as i64);
            }
            _ => {
                let _ = write!(out, "{n}");
            }
        },
        Value::Array(items) => {
            out.push('[');
            for (i, x) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                canonical(x, out);
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
                let _ = write!(out, "{k:?}:");
                if let Some(x) = map.get(k) {
                    canonical(x, out);
                }
            }
            out.push('}');
        }
        other => out.push_str(&other.to_string()),
    }
}

/// One step of the path from the root: a key (with its position in the object) or an index.
#[derive(Clone, Copy)]
struct Seg<'v> {
    key: Option<&'v str>,
    pos: u32,
}

/// A violation with its position in document order.
struct Found {
    order: Box<[u32]>,
    violation: Violation,
}

struct Walker<'a, 'v> {
    nodes: &'a [Node],
    stack: Vec<Seg<'v>>,
    out: Vec<Found>,
    /// Only find out whether the value passes (composition alternatives).
    probe: bool,
    failed: bool,
    too_deep: bool,
}

fn escape_token(out: &mut String, tok: &str) {
    if tok.contains(['~', '/']) {
        for c in tok.chars() {
            match c {
                '~' => out.push_str("~0"),
                '/' => out.push_str("~1"),
                c => out.push(c),
            }
        }
    } else {
        out.push_str(tok);
    }
}

impl<'a, 'v> Walker<'a, 'v> {
    fn new(nodes: &'a [Node], probe: bool) -> Self {
        Walker {
            nodes,
            stack: Vec::new(),
            out: Vec::new(),
            probe,
            failed: false,
            too_deep: false,
        }
    }

    fn stop(&self) -> bool {
        self.probe && self.failed
    }

    fn pointer(&self) -> String {
        let mut p = String::new();
        for seg in &self.stack {
            p.push('/');
            match seg.key {
                Some(k) => escape_token(&mut p, k),
                None => {
                    let _ = write!(p, "{}", seg.pos);
                }
            }
        }
        p
    }

    fn report(&mut self, keyword: Keyword, at_key: bool, message: impl FnOnce() -> String) {
        self.failed = true;
        if self.probe {
            return;
        }
        self.out.push(Found {
            order: self.stack.iter().map(|s| s.pos).collect(),
            violation: Violation {
                pointer: self.pointer(),
                message: message(),
                keyword,
                at_key,
            },
        });
    }

    /// Whether a CRD field's `null` is dropped by the API server (so it counts as absent).
    fn pruned_null(&self, id: NodeId, v: &Value) -> bool {
        v.is_null()
            && self
                .nodes
                .get(id as usize)
                .is_some_and(|n| n.flags & F_PRUNE_NULL != 0 && n.types & T_NULL == 0)
    }

    fn check(&mut self, id: NodeId, value: &'v Value) {
        let nodes: &'a [Node] = self.nodes;
        let Some(n) = nodes.get(id as usize) else {
            return;
        };
        if self.stack.len() >= MAX_DEPTH {
            if !self.too_deep {
                self.too_deep = true;
                self.report(Keyword::Invalid, false, || {
                    format!("value nested more than {MAX_DEPTH} levels deep; not validated further")
                });
            }
            return;
        }
        if n.flags & F_NOTHING != 0 {
            self.report(Keyword::Invalid, false, || {
                "no value is allowed here".to_owned()
            });
            return;
        }
        let vt = type_of(value);
        if n.types & vt == 0 {
            self.report(Keyword::Type, false, || {
                format!("expected {}, got {}", type_names(n.types), describe(value))
            });
            return;
        }
        match value {
            Value::Null => return,
            Value::Object(map) => self.check_object(n, map),
            Value::Array(items) => self.check_array(n, items),
            Value::String(s) => self.check_string(n, s),
            Value::Number(num) => self.check_number(n, num),
            Value::Bool(_) => {}
        }
        if let Some(allowed) = &n.enumeration {
            if !allowed.iter().any(|a| json_eq(a, value)) {
                self.report(Keyword::Enum, false, || enum_message(value, allowed));
            }
        }
        if let Some(x) = &n.extra {
            self.check_composition(x, value);
        }
    }

    fn check_object(&mut self, n: &'a Node, map: &'v Map<String, Value>) {
        let mut required_seen = 0;
        for (i, (k, v)) in map.iter().enumerate() {
            self.stack.push(Seg {
                key: Some(k),
                pos: i as u32,
            });
            match n.prop(k) {
                Some(p) => {
                    if !self.pruned_null(p.node, v) {
                        if p.required {
                            required_seen += 1;
                        }
                        self.check(p.node, v);
                    } else if p.required && self.defaulted(p.node) {
                        required_seen += 1;
                    }
                }
                None => match n.additional {
                    Additional::Allow => {}
                    Additional::Schema(c) => {
                        if !self.pruned_null(c, v) {
                            self.check(c, v);
                        }
                    }
                    Additional::Forbid => {
                        self.report(Keyword::UnknownField, true, || {
                            format!("unknown field {}", quote(k))
                        });
                    }
                },
            }
            self.stack.pop();
            if self.stop() {
                return;
            }
        }
        if required_seen < n.required_listed || n.required.len() > n.required_listed {
            for r in n.required.iter() {
                let present = match (map.get(&**r), n.prop(r)) {
                    (None, _) => false,
                    (Some(v), Some(p)) => !self.pruned_null(p.node, v) || self.defaulted(p.node),
                    (Some(_), None) => true,
                };
                if !present {
                    self.report(Keyword::Required, true, || {
                        format!("missing required field {}", quote(r))
                    });
                }
            }
        }
        if let Some(x) = &n.extra {
            let count = map.len() as u64;
            if let Some(min) = x.min_props.filter(|m| count < *m) {
                self.report(Keyword::MinProperties, false, || {
                    format!("has {count} fields, fewer than the minimum of {min}")
                });
            }
            if let Some(max) = x.max_props.filter(|m| count > *m) {
                self.report(Keyword::MaxProperties, false, || {
                    format!("has {count} fields, more than the maximum of {max}")
                });
            }
        }
    }

    fn defaulted(&self, id: NodeId) -> bool {
        self.nodes
            .get(id as usize)
            .is_some_and(|n| n.flags & F_DEFAULTED != 0)
    }

    fn check_array(&mut self, n: &'a Node, items: &'v [Value]) {
        let tuple = n.extra.as_ref().map(|x| &x.tuple[..]).unwrap_or(&[]);
        if n.items.is_some() || !tuple.is_empty() {
            for (i, v) in items.iter().enumerate() {
                let Some(item) = tuple.get(i).copied().or(n.items) else {
                    break;
                };
                self.stack.push(Seg {
                    key: None,
                    pos: i as u32,
                });
                self.check(item, v);
                self.stack.pop();
                if self.stop() {
                    return;
                }
            }
        }
        let Some(x) = &n.extra else { return };
        let count = items.len() as u64;
        if let Some(min) = x.min_items.filter(|m| count < *m) {
            self.report(Keyword::MinItems, false, || {
                format!("has {count} items, fewer than the minimum of {min}")
            });
        }
        if let Some(max) = x.max_items.filter(|m| count > *m) {
            self.report(Keyword::MaxItems, false, || {
                format!("has {count} items, more than the maximum of {max}")
            });
        }
        if items.len() < 2 {
            return;
        }
        match &x.list {
            ListType::Atomic if x.unique_items => self.duplicates(
                items,
                Keyword::UniqueItems,
                |v| Some(v.clone()),
                set_message,
            ),
            ListType::Atomic => {}
            ListType::Set => {
                self.duplicates(items, Keyword::Duplicate, |v| Some(v.clone()), set_message)
            }
            ListType::Map(keys) => {
                let key_of = |v: &Value| -> Option<Value> {
                    // Items that are not objects get a type violation instead.
                    let obj = v.as_object()?;
                    Some(Value::Array(
                        keys.iter()
                            .map(|(k, default)| {
                                obj.get(&**k)
                                    .filter(|x| !x.is_null())
                                    .or(default.as_ref())
                                    .cloned()
                                    .unwrap_or(Value::Null)
                            })
                            .collect(),
                    ))
                };
                let message = |earlier: usize, key: &Value| -> String {
                    let parts: Vec<String> = keys
                        .iter()
                        .zip(key.as_array().map(Vec::as_slice).unwrap_or(&[]))
                        .map(|((k, _), v)| format!("{k} {}", literal(v)))
                        .collect();
                    format!(
                        "duplicate value: item {earlier} has the same {}",
                        parts.join(" and ")
                    )
                };
                self.duplicates(items, Keyword::Duplicate, key_of, message);
            }
        }
    }

    /// Reports each item whose key (by `key_of`) an earlier item already has.
    fn duplicates(
        &mut self,
        items: &'v [Value],
        keyword: Keyword,
        key_of: impl Fn(&Value) -> Option<Value>,
        message: impl Fn(usize, &Value) -> String,
    ) {
        let mut first: HashMap<String, usize> = HashMap::new();
        let mut text = String::new();
        for (i, v) in items.iter().enumerate() {
            let Some(key) = key_of(v) else { continue };
            text.clear();
            canonical(&key, &mut text);
            match first.get(&text) {
                Some(&earlier) => {
                    self.stack.push(Seg {
                        key: None,
                        pos: i as u32,
                    });
                    self.report(keyword, false, || message(earlier, &key));
                    self.stack.pop();
                    if self.stop() {
                        return;
                    }
                }
                None => {
                    first.insert(text.clone(), i);
                }
            }
        }
    }

    fn check_string(&mut self, n: &'a Node, s: &str) {
        if let Some(f) = n.string_format {
            if !f.check(s) {
                self.report(Keyword::Format, false, || {
                    format!("{} {}", quote(s), f.expected())
                });
            }
        }
        let Some(x) = &n.extra else { return };
        if let Some((re, src)) = &x.pattern {
            if !re.is_match(s) {
                self.report(Keyword::Pattern, false, || {
                    format!("{} does not match the pattern {src}", quote(s))
                });
            }
        }
        if x.min_length.is_some() || x.max_length.is_some() {
            // Characters as Go counts runes: Unicode scalar values.
            let chars = s.chars().count() as u64;
            if let Some(min) = x.min_length.filter(|m| chars < *m) {
                self.report(Keyword::MinLength, false, || {
                    format!(
                        "{} has {chars} characters, fewer than the minimum of {min}",
                        quote(s)
                    )
                });
            }
            if let Some(max) = x.max_length.filter(|m| chars > *m) {
                self.report(Keyword::MaxLength, false, || {
                    format!(
                        "{} has {chars} characters, more than the maximum of {max}",
                        quote(s)
                    )
                });
            }
        }
    }

    fn check_number(&mut self, n: &'a Node, num: &Number) {
        let out_of_range = match n.num_format {
            NumFormat::None => None,
            NumFormat::Int32 => match (num.as_i64(), num.as_u64()) {
                (Some(i), _) if i32::try_from(i).is_ok() => None,
                (None, None) => None,
                _ => Some("int32"),
            },
            NumFormat::Int64 => {
                (num.as_i64().is_none() && num.as_u64().is_some()).then_some("int64")
            }
        };
        if let Some(t) = out_of_range {
            self.report(Keyword::Format, false, || {
                format!("{num} is out of range for {t}")
            });
        }
        let Some(x) = &n.extra else { return };
        let Some(v) = num.as_f64() else { return };
        if let Some(b) = &x.minimum {
            if v < b.value || (b.exclusive && v == b.value) {
                self.report(Keyword::Minimum, false, || {
                    bound_message(num, b, "minimum", "less than", "greater than")
                });
            }
        }
        if let Some(b) = &x.maximum {
            if v > b.value || (b.exclusive && v == b.value) {
                self.report(Keyword::Maximum, false, || {
                    bound_message(num, b, "maximum", "greater than", "less than")
                });
            }
        }
        if let Some(b) = &x.multiple_of {
            if !is_multiple(num, b) {
                self.report(Keyword::MultipleOf, false, || {
                    format!("{num} is not a multiple of {}", b.text)
                });
            }
        }
    }

    fn check_composition(&mut self, x: &'a crate::compile::Extra, value: &'v Value) {
        for sub in &x.all_of {
            self.check(*sub, value);
            if self.stop() {
                return;
            }
        }
        if !x.any_of.is_empty() && !x.any_of.iter().any(|s| self.passes(*s, value)) {
            self.explain_no_match(&x.any_of, value, Keyword::AnyOf);
        }
        if !x.one_of.is_empty() {
            let matching = x.one_of.iter().filter(|s| self.passes(**s, value)).count();
            if matching == 0 {
                self.explain_no_match(&x.one_of, value, Keyword::OneOf);
            } else if matching > 1 {
                self.report(Keyword::OneOf, false, || {
                    format!(
                        "{} matches {matching} of the oneOf alternatives; exactly one must match",
                        describe(value)
                    )
                });
            }
        }
        if let Some(not) = x.not {
            if self.passes(not, value) {
                self.report(Keyword::Not, false, || {
                    format!(
                        "{} matches the schema under \"not\", which it must not",
                        describe(value)
                    )
                });
            }
        }
    }

    fn passes(&self, id: NodeId, value: &'v Value) -> bool {
        let mut w = Walker::new(self.nodes, true);
        // Keep the depth budget of the outer walk.
        w.stack = self.stack.clone();
        w.check(id, value);
        !w.failed
    }

    /// No alternative matched: report the one alternative whose type fits (its own
    /// violations are the useful ones), or the type mismatch when none fits.
    fn explain_no_match(&mut self, alternatives: &[NodeId], value: &'v Value, keyword: Keyword) {
        if self.probe {
            self.failed = true;
            return;
        }
        let depth = self.stack.len();
        let mut fitting: Vec<Vec<Found>> = Vec::new();
        let mut types = 0u8;
        for id in alternatives {
            let mut w = Walker::new(self.nodes, false);
            w.stack = self.stack.clone();
            w.check(*id, value);
            let wrong_type = w
                .out
                .iter()
                .any(|f| f.order.len() == depth && f.violation.keyword == Keyword::Type);
            if wrong_type {
                types |= self.nodes.get(*id as usize).map_or(0, |n| n.types);
            } else {
                fitting.push(w.out);
            }
        }
        match fitting.len() {
            0 if types != 0 && types != T_ANY => self.report(Keyword::Type, false, || {
                format!("expected {}, got {}", type_names(types), describe(value))
            }),
            1 => {
                let found = fitting.pop().unwrap_or_default();
                self.failed = true;
                self.out.extend(found);
            }
            _ => self.report(keyword, false, || {
                format!(
                    "{} does not match any of the {} allowed alternatives ({})",
                    describe(value),
                    alternatives.len(),
                    keyword.as_str()
                )
            }),
        }
    }
}

fn set_message(earlier: usize, v: &Value) -> String {
    format!("duplicate value {} (also item {earlier})", literal(v))
}

fn bound_message(num: &Number, b: &Bound, side: &str, beyond: &str, not_beyond: &str) -> String {
    if b.exclusive {
        format!(
            "{num} is not {not_beyond} the exclusive {side} of {}",
            b.text
        )
    } else {
        format!("{num} is {beyond} the {side} of {}", b.text)
    }
}

fn is_multiple(num: &Number, b: &Bound) -> bool {
    // Exact for integers; for fractions, tolerate binary rounding (0.3 / 0.1).
    if let (Some(v), Ok(m)) = (num.as_i64(), b.text.parse::<i64>()) {
        return m == 0 || v % m == 0;
    }
    let (Some(v), m) = (num.as_f64(), b.value) else {
        return true;
    };
    let q = v / m;
    (q - q.round()).abs() <= 1e-9 * q.abs().max(1.0)
}

fn enum_message(value: &Value, allowed: &[Value]) -> String {
    // An empty string in a Kubernetes value set means "unset, use the default"; listing it
    // would only confuse.
    let shown: Vec<String> = allowed
        .iter()
        .filter(|a| allowed.len() == 1 || a.as_str() != Some(""))
        .map(literal)
        .collect();
    format!("{} is not one of {}", literal(value), shown.join(", "))
}

impl Validator {
    pub(crate) fn new(nodes: Vec<Node>, root: NodeId) -> Self {
        Validator {
            nodes: nodes.into_boxed_slice(),
            root,
        }
    }

    /// Every violation of the schema by `value`, in document order.
    pub fn validate(&self, value: &Value) -> Vec<Violation> {
        let mut w = Walker::new(&self.nodes, false);
        w.check(self.root, value);
        let mut found = w.out;
        if found.len() > 1 {
            // Composition (allOf, a matched alternative) can report out of document order;
            // a stable sort by position restores it, node before children.
            found.sort_by(|a, b| a.order.cmp(&b.order));
            // allOf branches may report the same thing twice.
            let keep: Vec<bool> = {
                let mut seen = HashSet::new();
                found
                    .iter()
                    .map(|f| {
                        seen.insert((f.violation.pointer.as_str(), f.violation.message.as_str()))
                    })
                    .collect()
            };
            return found
                .into_iter()
                .zip(keep)
                .filter(|(_, k)| *k)
                .map(|(f, _)| f.violation)
                .collect();
        }
        found.into_iter().map(|f| f.violation).collect()
    }

    /// Whether `value` satisfies the schema (faster than checking `validate` is empty).
    pub fn is_valid(&self, value: &Value) -> bool {
        let mut w = Walker::new(&self.nodes, true);
        w.check(self.root, value);
        !w.failed
    }

    /// Number of compiled schema nodes (a measure of size).
    pub fn node_count(&self) -> usize {
        self.nodes.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn type_names_read_naturally() {
        assert_eq!(type_names(T_INT | T_STR | T_NULL), "integer or string");
        assert_eq!(type_names(T_NUM | T_INT | T_STR), "number or string");
        assert_eq!(type_names(T_OBJ | T_ARR | T_STR), "array, object or string");
        assert_eq!(type_names(T_NULL), "null");
    }

    #[test]
    fn messages_quote_and_cut() {
        assert_eq!(quote("a\"b"), "\"a\\\"b\"");
        let long = "x".repeat(100);
        assert_eq!(quote(&long), format!("\"{}\"…", "x".repeat(60)));
        assert_eq!(describe(&Value::Bool(true)), "boolean true");
        assert_eq!(describe(&serde_json::json!(1.5)), "number 1.5");
        assert_eq!(describe(&serde_json::json!("3")), "string \"3\"");
    }

    #[test]
    fn equality_by_value() {
        assert!(json_eq(&serde_json::json!(1), &serde_json::json!(1.0)));
        assert!(json_eq(
            &serde_json::json!({"a": [1, {"b": 2}]}),
            &serde_json::json!({"a": [1.0, {"b": 2}]})
        ));
        assert!(!json_eq(&serde_json::json!("1"), &serde_json::json!(1)));
        let (mut a, mut b) = (String::new(), String::new());
        canonical(&serde_json::json!({"b": 1, "a": 2.0}), &mut a);
        canonical(&serde_json::json!({"a": 2, "b": 1}), &mut b);
        assert_eq!(a, b);
    }

    #[test]
    fn pointers_escape_tokens() {
        let mut p = String::new();
        escape_token(&mut p, "app.kubernetes.io/name~x");
        assert_eq!(p, "app.kubernetes.io~1name~0x");
    }
}
