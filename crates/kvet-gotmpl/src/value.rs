//! The values templates compute with: Go's `interface{}` values as Helm sees them.

use crate::funcs::Function;
use crate::sourcemap::SourceMap;
use std::collections::BTreeMap;
use std::fmt;
use std::ops::Deref;
use std::sync::{Arc, Mutex, MutexGuard};

/// A template value: the dynamic Go values that Helm's data and functions produce.
#[derive(Clone, Default)]
pub enum Value {
    /// Go's invalid `reflect.Value`: the result of a missing map key under
    /// `missingkey=default`; an action prints it as `<no value>`.
    #[default]
    Missing,
    /// A nil `interface{}` (JSON `null`, the `nil` constant, a missing key under `missingkey=zero`).
    Nil,
    /// A Go `bool`.
    Bool(bool),
    /// A Go `int` (64-bit).
    Int(i64),
    /// A Go `float64`.
    Float(f64),
    /// A Go `string`, possibly carrying the source map of the template output it came from.
    String(Str),
    /// A Go `[]interface{}`; shared and immutable.
    List(Arc<Vec<Value>>),
    /// A Go `map[string]interface{}`; shared by reference, so a mutation is seen by every holder.
    Map(Map),
    /// A host object with fields and methods (Helm's `.Capabilities`, `.Files`).
    Object(Arc<dyn HostObject>),
    /// A function value, callable with the `call` builtin.
    Func(Arc<Function>),
}

impl Value {
    /// A string value.
    pub fn string(s: impl Into<Arc<str>>) -> Value {
        Value::String(Str::new(s))
    }

    /// A list value.
    pub fn list(items: Vec<Value>) -> Value {
        Value::List(Arc::new(items))
    }

    /// A new map value holding `entries`.
    pub fn map(entries: impl IntoIterator<Item = (String, Value)>) -> Value {
        Value::Map(Map::from_entries(entries))
    }

    /// Go's truth: false, 0, nil, and empty strings, lists and maps are false.
    pub fn is_true(&self) -> bool {
        match self {
            Value::Missing | Value::Nil => false,
            Value::Bool(b) => *b,
            Value::Int(i) => *i != 0,
            Value::Float(f) => *f != 0.0,
            Value::String(s) => !s.is_empty(),
            Value::List(l) => !l.is_empty(),
            Value::Map(m) => !m.is_empty(),
            Value::Object(o) => o.is_true(),
            Value::Func(_) => true,
        }
    }

    /// Whether this is `Missing` or `Nil`.
    pub fn is_nil(&self) -> bool {
        matches!(self, Value::Missing | Value::Nil)
    }

    /// The Go type name as `%T` prints it (`<nil>` for nil).
    pub fn type_name(&self) -> &str {
        match self {
            Value::Missing | Value::Nil => "<nil>",
            Value::Bool(_) => "bool",
            Value::Int(_) => "int",
            Value::Float(_) => "float64",
            Value::String(_) => "string",
            Value::List(_) => "[]interface {}",
            Value::Map(_) => "map[string]interface {}",
            Value::Object(o) => o.type_name(),
            Value::Func(_) => "func",
        }
    }

    /// The string, if this is a string.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(s) => Some(s),
            _ => None,
        }
    }

    /// The integer, if this is an int.
    pub fn as_int(&self) -> Option<i64> {
        match self {
            Value::Int(i) => Some(*i),
            _ => None,
        }
    }

    /// The float, if this is a float64.
    pub fn as_float(&self) -> Option<f64> {
        match self {
            Value::Float(f) => Some(*f),
            _ => None,
        }
    }

    /// The boolean, if this is a bool.
    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Value::Bool(b) => Some(*b),
            _ => None,
        }
    }

    /// The map, if this is a map.
    pub fn as_map(&self) -> Option<&Map> {
        match self {
            Value::Map(m) => Some(m),
            _ => None,
        }
    }

    /// The list items, if this is a list.
    pub fn as_list(&self) -> Option<&[Value]> {
        match self {
            Value::List(l) => Some(l),
            _ => None,
        }
    }

    /// Converts JSON into a value: every number becomes a float64, as Helm reads YAML values.
    pub fn from_json(json: &serde_json::Value) -> Value {
        Self::from_json_with(json, false)
    }

    /// Converts JSON into a value, keeping integral numbers that fit an i64 as ints.
    pub fn from_json_ints(json: &serde_json::Value) -> Value {
        Self::from_json_with(json, true)
    }

    fn from_json_with(json: &serde_json::Value, ints: bool) -> Value {
        match json {
            serde_json::Value::Null => Value::Nil,
            serde_json::Value::Bool(b) => Value::Bool(*b),
            serde_json::Value::Number(n) => match (ints, n.as_i64()) {
                (true, Some(i)) => Value::Int(i),
                _ => Value::Float(n.as_f64().unwrap_or(0.0)),
            },
            serde_json::Value::String(s) => Value::string(s.as_str()),
            serde_json::Value::Array(a) => {
                Value::list(a.iter().map(|v| Self::from_json_with(v, ints)).collect())
            }
            serde_json::Value::Object(o) => Value::map(
                o.iter()
                    .map(|(k, v)| (k.clone(), Self::from_json_with(v, ints))),
            ),
        }
    }

    /// Converts the value to JSON (nil and missing become `null`, non-finite floats `null`).
    pub fn to_json(&self) -> serde_json::Value {
        self.to_json_depth(0)
    }

    fn to_json_depth(&self, depth: usize) -> serde_json::Value {
        if depth > MAX_DEPTH {
            return serde_json::Value::Null;
        }
        match self {
            Value::Missing | Value::Nil | Value::Func(_) => serde_json::Value::Null,
            Value::Bool(b) => serde_json::Value::Bool(*b),
            Value::Int(i) => serde_json::Value::from(*i),
            Value::Float(f) => serde_json::Number::from_f64(*f)
                .map(serde_json::Value::Number)
                .unwrap_or(serde_json::Value::Null),
            Value::String(s) => serde_json::Value::String(s.to_string()),
            Value::List(l) => {
                serde_json::Value::Array(l.iter().map(|v| v.to_json_depth(depth + 1)).collect())
            }
            Value::Map(m) => serde_json::Value::Object(
                m.entries()
                    .into_iter()
                    .map(|(k, v)| (k, v.to_json_depth(depth + 1)))
                    .collect(),
            ),
            Value::Object(o) => o.to_json(),
        }
    }
}

/// Nesting beyond which values are treated as cyclic when printed or compared.
pub(crate) const MAX_DEPTH: usize = 512;

impl fmt::Debug for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Missing => write!(f, "Missing"),
            Value::Nil => write!(f, "Nil"),
            Value::Bool(b) => write!(f, "Bool({b})"),
            Value::Int(i) => write!(f, "Int({i})"),
            Value::Float(x) => write!(f, "Float({x})"),
            Value::String(s) => write!(f, "String({:?})", &**s),
            Value::List(l) => f.debug_list().entries(l.iter()).finish(),
            Value::Map(m) => {
                if m.lock().is_some() {
                    f.debug_map().entries(m.entries()).finish()
                } else {
                    write!(f, "Map(<locked>)")
                }
            }
            Value::Object(o) => write!(f, "Object({})", o.type_name()),
            Value::Func(_) => write!(f, "Func"),
        }
    }
}

impl PartialEq for Value {
    fn eq(&self, other: &Value) -> bool {
        value_eq(self, other, 0)
    }
}

fn value_eq(a: &Value, b: &Value, depth: usize) -> bool {
    if depth > MAX_DEPTH {
        return false;
    }
    match (a, b) {
        (Value::Missing, Value::Missing) | (Value::Nil, Value::Nil) => true,
        (Value::Bool(x), Value::Bool(y)) => x == y,
        (Value::Int(x), Value::Int(y)) => x == y,
        (Value::Float(x), Value::Float(y)) => x == y,
        (Value::String(x), Value::String(y)) => **x == **y,
        (Value::List(x), Value::List(y)) => {
            Arc::ptr_eq(x, y)
                || (x.len() == y.len()
                    && x.iter()
                        .zip(y.iter())
                        .all(|(p, q)| value_eq(p, q, depth + 1)))
        }
        (Value::Map(x), Value::Map(y)) => {
            if x.ptr_eq(y) {
                return true;
            }
            let (ex, ey) = (x.entries(), y.entries());
            ex.len() == ey.len()
                && ex
                    .iter()
                    .zip(ey.iter())
                    .all(|((k1, v1), (k2, v2))| k1 == k2 && value_eq(v1, v2, depth + 1))
        }
        (Value::Object(x), Value::Object(y)) => Arc::ptr_eq(x, y),
        (Value::Func(x), Value::Func(y)) => Arc::ptr_eq(x, y),
        _ => false,
    }
}

impl From<bool> for Value {
    fn from(b: bool) -> Value {
        Value::Bool(b)
    }
}
impl From<i64> for Value {
    fn from(i: i64) -> Value {
        Value::Int(i)
    }
}
impl From<i32> for Value {
    fn from(i: i32) -> Value {
        Value::Int(i.into())
    }
}
impl From<f64> for Value {
    fn from(f: f64) -> Value {
        Value::Float(f)
    }
}
impl From<&str> for Value {
    fn from(s: &str) -> Value {
        Value::string(s)
    }
}
impl From<String> for Value {
    fn from(s: String) -> Value {
        Value::string(s)
    }
}
impl From<Str> for Value {
    fn from(s: Str) -> Value {
        Value::String(s)
    }
}
impl From<Vec<Value>> for Value {
    fn from(v: Vec<Value>) -> Value {
        Value::list(v)
    }
}
impl From<Map> for Value {
    fn from(m: Map) -> Value {
        Value::Map(m)
    }
}

/// A string value; it may carry the source map of the template output it holds
/// (what Helm's `include` returns), so printing it keeps the inner positions.
#[derive(Clone)]
pub struct Str {
    text: Arc<str>,
    origin: Option<Arc<SourceMap>>,
}

impl Str {
    /// A plain string.
    pub fn new(s: impl Into<Arc<str>>) -> Str {
        Str {
            text: s.into(),
            origin: None,
        }
    }

    /// A string that is template output, with the source map of that output.
    pub fn tracked(s: impl Into<Arc<str>>, map: SourceMap) -> Str {
        Str {
            text: s.into(),
            origin: Some(Arc::new(map)),
        }
    }

    /// The source map of the output this string holds, if it is template output.
    pub fn source_map(&self) -> Option<&SourceMap> {
        self.origin.as_deref()
    }

    /// The text as a shared `str`.
    pub fn as_arc(&self) -> &Arc<str> {
        &self.text
    }
}

impl Deref for Str {
    type Target = str;
    fn deref(&self) -> &str {
        &self.text
    }
}

impl fmt::Debug for Str {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&*self.text, f)
    }
}

impl PartialEq for Str {
    fn eq(&self, other: &Str) -> bool {
        self.text == other.text
    }
}

/// A Go `map[string]interface{}` shared by reference: clones see each other's changes.
#[derive(Clone, Default)]
pub struct Map(Arc<Mutex<BTreeMap<String, Value>>>);

impl Map {
    /// A new empty map.
    pub fn new() -> Map {
        Map::default()
    }

    /// A new map holding `entries`.
    pub fn from_entries(entries: impl IntoIterator<Item = (String, Value)>) -> Map {
        Map(Arc::new(Mutex::new(entries.into_iter().collect())))
    }

    fn lock(&self) -> Option<MutexGuard<'_, BTreeMap<String, Value>>> {
        match self.0.try_lock() {
            Ok(g) => Some(g),
            Err(std::sync::TryLockError::Poisoned(p)) => Some(p.into_inner()),
            Err(std::sync::TryLockError::WouldBlock) => {
                // Only reachable when another thread holds the lock: wait for it.
                Some(self.0.lock().unwrap_or_else(|p| p.into_inner()))
            }
        }
    }

    /// The value at `key`.
    pub fn get(&self, key: &str) -> Option<Value> {
        self.lock().and_then(|m| m.get(key).cloned())
    }

    /// Whether `key` is present.
    pub fn contains_key(&self, key: &str) -> bool {
        self.lock().map(|m| m.contains_key(key)).unwrap_or(false)
    }

    /// Sets `key` to `value`, visible to every holder of this map.
    pub fn insert(&self, key: impl Into<String>, value: Value) {
        if let Some(mut m) = self.lock() {
            m.insert(key.into(), value);
        }
    }

    /// Removes `key`, returning its value.
    pub fn remove(&self, key: &str) -> Option<Value> {
        self.lock().and_then(|mut m| m.remove(key))
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.lock().map(|m| m.len()).unwrap_or(0)
    }

    /// Whether the map has no entries.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The keys in sorted order.
    pub fn keys(&self) -> Vec<String> {
        self.lock()
            .map(|m| m.keys().cloned().collect())
            .unwrap_or_default()
    }

    /// A snapshot of the entries in sorted key order.
    pub fn entries(&self) -> Vec<(String, Value)> {
        self.lock()
            .map(|m| m.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
            .unwrap_or_default()
    }

    /// A new map with the same entries (a shallow copy that no longer shares changes).
    pub fn shallow_copy(&self) -> Map {
        Map::from_entries(self.entries())
    }

    /// Whether both handles refer to the same map.
    pub fn ptr_eq(&self, other: &Map) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

impl fmt::Debug for Map {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&Value::Map(self.clone()), f)
    }
}

/// A host object: a Go struct or named type with fields and methods, such as Helm's
/// `.Capabilities` or `.Files`. Templates reach it as `.Field`, `.Method arg…`.
pub trait HostObject: Send + Sync {
    /// The Go type name, as `%T` and error messages show it (for example `*chartutil.Capabilities`).
    fn type_name(&self) -> &str;

    /// A field's value, or `None` when there is no such field.
    fn field(&self, name: &str) -> Option<Value> {
        let _ = name;
        None
    }

    /// The parameters of the method `name`, or `None` when there is no such method.
    /// Methods are looked up before fields, as Go does.
    fn method(&self, name: &str) -> Option<crate::funcs::Params> {
        let _ = name;
        None
    }

    /// Calls method `name` with arguments already checked against [`HostObject::method`].
    fn call_method(&self, name: &str, args: Vec<Value>) -> Result<Value, crate::FuncError> {
        let _ = args;
        Err(crate::FuncError::new(format!(
            "can't call method {name} on {}",
            self.type_name()
        )))
    }

    /// The text `{{ . }}` and `%v` print (Go's `String()` method, or struct printing).
    fn display(&self) -> String;

    /// Go truth of the object (structs and non-nil pointers are true).
    fn is_true(&self) -> bool {
        true
    }

    /// Entries for `range`, `len` and `index` when the object is map- or list-like.
    fn entries(&self) -> Option<Vec<(Value, Value)>> {
        None
    }

    /// The object as JSON.
    fn to_json(&self) -> serde_json::Value {
        serde_json::Value::Null
    }

    /// The object as `Any`, so functions can recognise their own host types (`time.Time`).
    fn as_any(&self) -> Option<&dyn std::any::Any> {
        None
    }
}
