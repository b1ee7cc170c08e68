//! Compiling JSON schemas into an arena of nodes, once per (apiVersion, kind).

use regex::Regex;
use serde_json::Value;
use std::collections::HashMap;

pub(crate) type NodeId = u32;

pub(crate) const T_NULL: u8 = 1;
pub(crate) const T_BOOL: u8 = 2;
pub(crate) const T_INT: u8 = 4;
pub(crate) const T_NUM: u8 = 8;
pub(crate) const T_STR: u8 = 16;
pub(crate) const T_ARR: u8 = 32;
pub(crate) const T_OBJ: u8 = 64;

/// What a node says about fields it does not list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) enum Additional {
    /// Anything goes.
    #[default]
    Allow,
    /// Unknown fields are violations.
    Forbid,
    /// Unknown fields are validated against this node.
    Schema(NodeId),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) enum Format {
    #[default]
    None,
    Int32,
    Int64,
    Byte,
    DateTime,
    Quantity,
}

#[derive(Debug, Default)]
pub(crate) struct Node {
    /// Allowed JSON types (bits above); 0 means any.
    pub types: u8,
    /// Listed properties, sorted by name.
    pub props: Vec<(Box<str>, NodeId)>,
    pub additional: Additional,
    pub required: Vec<Box<str>>,
    pub items: Option<NodeId>,
    pub enumeration: Option<Vec<Value>>,
    pub format: Format,
    pub all_of: Vec<NodeId>,
    pub any_of: Vec<NodeId>,
    pub one_of: Vec<NodeId>,
    pub not: Option<NodeId>,
    pub pattern: Option<(Regex, Box<str>)>,
    pub minimum: Option<(f64, bool)>,
    pub maximum: Option<(f64, bool)>,
    pub multiple_of: Option<f64>,
    pub min_length: Option<u64>,
    pub max_length: Option<u64>,
    pub min_items: Option<u64>,
    pub max_items: Option<u64>,
    pub min_props: Option<u64>,
    pub max_props: Option<u64>,
    pub unique_items: bool,
    pub list_set: bool,
    pub list_map_keys: Vec<Box<str>>,
}

impl Node {
    pub(crate) fn prop(&self, name: &str) -> Option<NodeId> {
        self.props
            .binary_search_by(|(k, _)| (**k).cmp(name))
            .ok()
            .map(|i| self.props[i].1)
    }

    /// A node that only restricts types (foldable into a union).
    fn is_type_only(&self) -> bool {
        self.types != 0
            && self.props.is_empty()
            && self.additional == Additional::Allow
            && self.required.is_empty()
            && self.items.is_none()
            && self.enumeration.is_none()
            && self.format == Format::None
            && self.all_of.is_empty()
            && self.any_of.is_empty()
            && self.one_of.is_empty()
            && self.not.is_none()
            && self.pattern.is_none()
            && self.minimum.is_none()
            && self.maximum.is_none()
            && self.min_length.is_none()
            && self.max_length.is_none()
    }
}

/// How unknown fields and nulls are treated while compiling.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mode {
    /// Kubernetes built-in definitions: strict forbids unknown fields where properties are
    /// listed (exactly what the published -strict schemas do).
    BuiltIn { strict: bool },
    /// CRD structural schemas: unknown fields outside preserve-unknown-fields are pruned by the
    /// API server, reported as errors in strict mode; nulls are pruned, so accepted.
    Crd { strict: bool },
    /// A schema fetched from a schema location: taken as written.
    AsWritten,
}

/// Where `$ref`s resolve.
pub(crate) trait Definitions {
    fn definition(&self, name: &str) -> Option<Value>;
}

/// Compiles schemas into one arena.
pub(crate) struct Compiler<'d> {
    pub nodes: Vec<Node>,
    defs: &'d dyn Definitions,
    memo: HashMap<(String, bool), NodeId>,
    pub errors: Vec<String>,
    /// Definitions compiled in built-in mode come from here (CR metadata).
    pub builtin: Option<&'d dyn Definitions>,
}

const QUANTITY: &str = "io.k8s.apimachinery.pkg.api.resource.Quantity";
pub(crate) const OBJECT_META: &str = "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta";

fn ref_name(r: &str) -> Option<&str> {
    r.rsplit_once("#/$defs/")
        .or_else(|| r.rsplit_once("#/definitions/"))
        .map(|(_, n)| n)
}

impl<'d> Compiler<'d> {
    pub(crate) fn new(defs: &'d dyn Definitions) -> Self {
        Compiler {
            nodes: Vec::new(),
            defs,
            memo: HashMap::new(),
            errors: Vec::new(),
            builtin: None,
        }
    }

    fn alloc(&mut self) -> NodeId {
        self.nodes.push(Node::default());
        (self.nodes.len() - 1) as NodeId
    }

    pub(crate) fn any(&mut self) -> NodeId {
        self.alloc()
    }

    pub(crate) fn of_type(&mut self, types: u8) -> NodeId {
        let id = self.alloc();
        self.nodes[id as usize].types = types;
        id
    }

    /// Compiles the named definition (memoised, so recursive schemas terminate).
    pub(crate) fn definition(&mut self, name: &str, mode: Mode) -> Option<NodeId> {
        let strict = matches!(
            mode,
            Mode::BuiltIn { strict: true } | Mode::Crd { strict: true }
        );
        if let Some(id) = self.memo.get(&(name.to_owned(), strict)) {
            return Some(*id);
        }
        let def = self.defs.definition(name)?;
        let id = self.alloc();
        self.memo.insert((name.to_owned(), strict), id);
        let node = self.build(&def, mode, false);
        let mut node = node;
        if name == QUANTITY {
            node.format = Format::Quantity;
        }
        self.nodes[id as usize] = node;
        Some(id)
    }

    /// Compiles a schema value into a new node.
    pub(crate) fn compile(&mut self, schema: &Value, mode: Mode, branch: bool) -> NodeId {
        if let Some(r) = schema.get("$ref").and_then(Value::as_str) {
            if let Some(name) = ref_name(r) {
                if let Some(id) = self.definition(name, mode) {
                    return id;
                }
            }
            self.errors.push(format!("unresolved $ref {r}"));
            return self.any();
        }
        let id = self.alloc();
        let node = self.build(schema, mode, branch);
        self.nodes[id as usize] = node;
        id
    }

    fn build(&mut self, s: &Value, mode: Mode, branch: bool) -> Node {
        let mut n = Node::default();
        let Value::Object(m) = s else {
            // `true` / `{}` schemas accept anything; `false` nothing.
            if s == &Value::Bool(false) {
                n.not = Some(self.any());
            }
            return n;
        };
        if let Some(r) = m.get("$ref").and_then(Value::as_str) {
            // A $ref with siblings (rare): validate against the target via allOf.
            if let Some(name) = ref_name(r) {
                if let Some(id) = self.definition(name, mode) {
                    n.all_of.push(id);
                }
            }
        }
        let crd = matches!(mode, Mode::Crd { .. });
        match m.get("type") {
            Some(Value::String(t)) => n.types = type_bit(t),
            Some(Value::Array(ts)) => {
                n.types = ts
                    .iter()
                    .filter_map(Value::as_str)
                    .map(type_bit)
                    .fold(0, |a, b| a | b)
            }
            _ => {}
        }
        if m.get("nullable").and_then(Value::as_bool) == Some(true) && n.types != 0 {
            n.types |= T_NULL;
        }
        let int_or_string =
            m.get("x-kubernetes-int-or-string").and_then(Value::as_bool) == Some(true);
        if int_or_string {
            n.types = T_INT | T_STR | if crd { T_NULL } else { 0 };
        }
        let preserve = m
            .get("x-kubernetes-preserve-unknown-fields")
            .and_then(Value::as_bool)
            == Some(true);
        if crd && n.types != 0 {
            n.types |= T_NULL;
        }
        if let Some(Value::Object(props)) = m.get("properties") {
            let mut list: Vec<(Box<str>, NodeId)> = props
                .iter()
                .map(|(k, v)| {
                    let id = self.compile(v, mode, false);
                    (k.as_str().into(), id)
                })
                .collect();
            list.sort_by(|a, b| a.0.cmp(&b.0));
            n.props = list;
        }
        if m.get("x-kubernetes-embedded-resource")
            .and_then(Value::as_bool)
            == Some(true)
        {
            self.add_object_header(&mut n, mode);
        }
        n.additional = match m.get("additionalProperties") {
            Some(Value::Bool(false)) => Additional::Forbid,
            Some(Value::Bool(true)) => Additional::Allow,
            Some(v @ Value::Object(_)) => Additional::Schema(self.compile(v, mode, false)),
            _ => match mode {
                Mode::BuiltIn { strict: true } if !n.props.is_empty() => Additional::Forbid,
                Mode::Crd { strict: true }
                    if !preserve && !branch && (n.types & T_OBJ != 0 || !n.props.is_empty()) =>
                {
                    Additional::Forbid
                }
                _ => Additional::Allow,
            },
        };
        if let Some(Value::Array(req)) = m.get("required") {
            n.required = req
                .iter()
                .filter_map(Value::as_str)
                .map(Into::into)
                .collect();
        }
        if let Some(items) = m.get("items") {
            let items = match items {
                // Draft-4 tuple form: validate every item against the first schema.
                Value::Array(list) => list.first().cloned().unwrap_or(Value::Bool(true)),
                other => other.clone(),
            };
            n.items = Some(self.compile(&items, mode, false));
        }
        if let Some(Value::Array(e)) = m.get("enum") {
            n.enumeration = Some(e.clone());
        }
        n.format = match m.get("format").and_then(Value::as_str) {
            Some("int32") => Format::Int32,
            Some("int64") => Format::Int64,
            Some("byte") => Format::Byte,
            Some("date-time") => Format::DateTime,
            _ => Format::None,
        };
        for (key, slot) in [("allOf", 0), ("anyOf", 1), ("oneOf", 2)] {
            if let Some(Value::Array(list)) = m.get(key) {
                let ids: Vec<NodeId> = list.iter().map(|v| self.compile(v, mode, true)).collect();
                match slot {
                    0 => n.all_of.extend(ids),
                    1 => n.any_of = ids,
                    _ => n.one_of = ids,
                }
            }
        }
        // oneOf/anyOf of plain types (IntOrString, Quantity) fold into a type union.
        for list in [&mut n.one_of, &mut n.any_of] {
            if !list.is_empty()
                && list
                    .iter()
                    .all(|id| self.nodes[*id as usize].is_type_only())
            {
                let union = list
                    .iter()
                    .fold(0u8, |a, id| a | self.nodes[*id as usize].types);
                n.types = if n.types == 0 { union } else { n.types & union };
                list.clear();
            }
        }
        if let Some(v) = m.get("not") {
            n.not = Some(self.compile(v, mode, true));
        }
        if let Some(p) = m.get("pattern").and_then(Value::as_str) {
            match Regex::new(p) {
                Ok(r) => n.pattern = Some((r, p.into())),
                Err(e) => self
                    .errors
                    .push(format!("pattern {p:?} is not a valid regex: {e}")),
            }
        }
        let num = |k: &str| m.get(k).and_then(Value::as_f64);
        let excl = |k: &str| m.get(k).and_then(Value::as_bool) == Some(true);
        n.minimum = num("minimum").map(|v| (v, excl("exclusiveMinimum")));
        n.maximum = num("maximum").map(|v| (v, excl("exclusiveMaximum")));
        n.multiple_of = num("multipleOf").filter(|v| *v > 0.0);
        let count = |k: &str| m.get(k).and_then(Value::as_u64);
        n.min_length = count("minLength");
        n.max_length = count("maxLength");
        n.min_items = count("minItems");
        n.max_items = count("maxItems");
        n.min_props = count("minProperties");
        n.max_props = count("maxProperties");
        n.unique_items = m.get("uniqueItems").and_then(Value::as_bool) == Some(true);
        // The API server enforces list-type uniqueness for custom resources.
        if crd {
            match m.get("x-kubernetes-list-type").and_then(Value::as_str) {
                Some("set") => n.list_set = true,
                Some("map") => {
                    n.list_map_keys = m
                        .get("x-kubernetes-list-map-keys")
                        .and_then(Value::as_array)
                        .map(|a| a.iter().filter_map(Value::as_str).map(Into::into).collect())
                        .unwrap_or_default()
                }
                _ => {}
            }
        }
        n
    }

    /// Adds apiVersion, kind and metadata (as ObjectMeta) to an object node, as the API server
    /// does for the root of a custom resource and for embedded resources.
    pub(crate) fn add_object_header(&mut self, n: &mut Node, mode: Mode) {
        let strict = matches!(
            mode,
            Mode::Crd { strict: true } | Mode::BuiltIn { strict: true }
        );
        let s = self.of_type(T_STR);
        let k = self.of_type(T_STR);
        let meta = self
            .builtin_definition(OBJECT_META, strict)
            .unwrap_or_else(|| self.of_type(T_OBJ | T_NULL));
        for (name, id) in [("apiVersion", s), ("kind", k), ("metadata", meta)] {
            match n.props.binary_search_by(|(p, _)| (**p).cmp(name)) {
                Ok(i) => n.props[i].1 = id,
                Err(i) => n.props.insert(i, (name.into(), id)),
            }
        }
    }

    fn builtin_definition(&mut self, name: &str, strict: bool) -> Option<NodeId> {
        let builtin = self.builtin?;
        let saved = self.defs;
        self.defs = builtin;
        let id = self.definition(name, Mode::BuiltIn { strict });
        self.defs = saved;
        id
    }
}

fn type_bit(t: &str) -> u8 {
    match t {
        "null" => T_NULL,
        "boolean" => T_BOOL,
        "integer" => T_INT,
        "number" => T_NUM,
        "string" => T_STR,
        "array" => T_ARR,
        "object" => T_OBJ,
        _ => 0,
    }
}
