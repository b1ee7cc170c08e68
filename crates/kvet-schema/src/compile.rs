//! Compiling JSON schemas into an arena of nodes, once per (apiVersion, kind). `$ref`s are
//! resolved as they are met and memoised, so only reachable definitions are parsed and
//! recursive schemas (such as `JSONSchemaProps`) terminate.

use crate::bundle::Bundle;
use crate::formats::StringFormat;
use regex::Regex;
use serde_json::{Map, Value};
use std::collections::HashMap;
use std::sync::Arc;

pub(crate) type NodeId = u32;

pub(crate) const T_NULL: u8 = 1;
pub(crate) const T_BOOL: u8 = 2;
pub(crate) const T_INT: u8 = 4;
pub(crate) const T_NUM: u8 = 8;
pub(crate) const T_STR: u8 = 16;
pub(crate) const T_ARR: u8 = 32;
pub(crate) const T_OBJ: u8 = 64;
pub(crate) const T_ANY: u8 = 127;

/// A CRD field whose `null` the API server drops before validating (it is not nullable).
pub(crate) const F_PRUNE_NULL: u8 = 1;
/// The field has a `default`, so a dropped or missing value is filled in.
pub(crate) const F_DEFAULTED: u8 = 2;
/// The `false` schema: nothing is allowed.
pub(crate) const F_NOTHING: u8 = 4;

const QUANTITY: &str = "io.k8s.apimachinery.pkg.api.resource.Quantity";
pub(crate) const OBJECT_META: &str = "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta";
/// Deeper inline nesting than this is not a schema anyone writes; refuse instead of
/// exhausting the stack.
const MAX_SCHEMA_DEPTH: usize = 200;

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

/// Range checks for integers the API server decodes into fixed-size Go integers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) enum NumFormat {
    #[default]
    None,
    Int32,
    Int64,
}

/// One listed property.
#[derive(Debug)]
pub(crate) struct Prop {
    pub name: Box<str>,
    pub node: NodeId,
    pub required: bool,
}

/// A numeric bound, with the schema's own spelling for messages.
#[derive(Debug, Clone)]
pub(crate) struct Bound {
    pub value: f64,
    pub exclusive: bool,
    pub text: Box<str>,
}

/// `x-kubernetes-list-type` semantics the API server enforces for custom resources.
#[derive(Debug, Default)]
pub(crate) enum ListType {
    #[default]
    Atomic,
    Set,
    /// Key names with the default each key's schema gives (used when an item omits it).
    Map(Box<[(Box<str>, Option<Value>)]>),
}

/// The rarely used constraints, kept out of line so the common node stays small.
#[derive(Debug, Default)]
pub(crate) struct Extra {
    pub all_of: Vec<NodeId>,
    pub any_of: Vec<NodeId>,
    pub one_of: Vec<NodeId>,
    pub not: Option<NodeId>,
    /// Draft-4 positional `items`.
    pub tuple: Vec<NodeId>,
    pub pattern: Option<(Regex, Box<str>)>,
    pub minimum: Option<Bound>,
    pub maximum: Option<Bound>,
    pub multiple_of: Option<Bound>,
    pub min_length: Option<u64>,
    pub max_length: Option<u64>,
    pub min_items: Option<u64>,
    pub max_items: Option<u64>,
    pub min_props: Option<u64>,
    pub max_props: Option<u64>,
    pub unique_items: bool,
    pub list: ListType,
}

impl Extra {
    fn is_empty(&self) -> bool {
        self.all_of.is_empty()
            && self.any_of.is_empty()
            && self.one_of.is_empty()
            && self.not.is_none()
            && self.tuple.is_empty()
            && self.pattern.is_none()
            && self.minimum.is_none()
            && self.maximum.is_none()
            && self.multiple_of.is_none()
            && self.min_length.is_none()
            && self.max_length.is_none()
            && self.min_items.is_none()
            && self.max_items.is_none()
            && self.min_props.is_none()
            && self.max_props.is_none()
            && !self.unique_items
            && matches!(self.list, ListType::Atomic)
    }
}

/// One compiled schema.
#[derive(Debug)]
pub(crate) struct Node {
    /// Accepted JSON types (T_*); integers are accepted wherever numbers are.
    pub types: u8,
    /// F_* flags.
    pub flags: u8,
    pub string_format: Option<StringFormat>,
    pub num_format: NumFormat,
    pub additional: Additional,
    pub items: Option<NodeId>,
    /// Sorted by name.
    pub props: Box<[Prop]>,
    /// In schema order, for messages.
    pub required: Box<[Box<str>]>,
    /// How many of `required` are listed properties (the rest are checked by lookup).
    pub required_listed: usize,
    pub enumeration: Option<Box<[Value]>>,
    pub extra: Option<Box<Extra>>,
}

impl Default for Node {
    fn default() -> Self {
        Node {
            types: T_ANY,
            flags: 0,
            string_format: None,
            num_format: NumFormat::None,
            additional: Additional::Allow,
            items: None,
            props: Box::new([]),
            required: Box::new([]),
            required_listed: 0,
            enumeration: None,
            extra: None,
        }
    }
}

impl Node {
    pub(crate) fn prop(&self, name: &str) -> Option<&Prop> {
        self.props
            .binary_search_by(|p| (*p.name).cmp(name))
            .ok()
            .and_then(|i| self.props.get(i))
    }

    /// Whether the node restricts only the JSON type (so a union of such nodes is a type set).
    fn is_type_only(&self) -> bool {
        self.types != T_ANY
            && self.flags & F_NOTHING == 0
            && self.string_format.is_none()
            && self.num_format == NumFormat::None
            && self.additional == Additional::Allow
            && self.items.is_none()
            && self.props.is_empty()
            && self.required.is_empty()
            && self.enumeration.is_none()
            && self.extra.is_none()
    }
}

/// How a schema's keywords and gaps are read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mode {
    /// Kubernetes built-in definitions. Strict adds `additionalProperties: false` wherever
    /// `properties` are listed, exactly as the published -strict schemas do.
    BuiltIn { strict: bool },
    /// A CRD's structural schema: the API server prunes unknown fields (outside
    /// `x-kubernetes-preserve-unknown-fields`), which strict reports; non-nullable nulls are
    /// pruned too.
    Crd { strict: bool },
    /// A schema from a schema location, applied as written (as kubeconform does).
    AsWritten,
}

/// Which document a schema (and so its relative `$ref`s) comes from.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) enum Doc {
    /// The embedded definitions of the catalog's version.
    Bundle,
    /// A document identified by its location (fetched schemas).
    Location(Arc<str>),
    /// A schema with no document to resolve against (CRDs).
    Inline,
}

/// A `$ref` resolved to its schema.
pub(crate) struct Resolved {
    /// Identifies the target for memoisation.
    pub key: String,
    /// The document the target lives in (its own `$ref`s are relative to it).
    pub doc: Doc,
    pub schema: Arc<Value>,
}

/// Resolves `$ref`s in documents other than the bundle.
pub(crate) trait Resolver {
    /// The schema `reference` (as written in `doc`) points at.
    fn resolve(&self, doc: &Doc, reference: &str) -> Result<Resolved, String>;
}

/// Resolves nothing: CRD schemas may not contain `$ref`.
pub(crate) struct NoRefs;

impl Resolver for NoRefs {
    fn resolve(&self, _: &Doc, reference: &str) -> Result<Resolved, String> {
        Err(format!("$ref {reference:?} is not allowed here"))
    }
}

/// Decodes a JSON pointer fragment (`#/$defs/a~1b`) into its tokens.
pub(crate) fn pointer_tokens(fragment: &str) -> Option<Vec<String>> {
    let p = fragment.strip_prefix('/')?;
    Some(
        p.split('/')
            .map(|t| t.replace("~1", "/").replace("~0", "~"))
            .collect(),
    )
}

/// Compiles schemas into one arena.
pub(crate) struct Compiler<'a> {
    pub nodes: Vec<Node>,
    resolver: &'a dyn Resolver,
    bundle: Option<&'a Bundle>,
    memo: HashMap<(String, ModeKey), NodeId>,
    pub errors: Vec<String>,
    depth: usize,
}

/// `Mode` as a memo key (the same definition compiles differently per mode).
type ModeKey = u8;

fn mode_key(mode: Mode) -> ModeKey {
    match mode {
        Mode::BuiltIn { strict: false } => 0,
        Mode::BuiltIn { strict: true } => 1,
        Mode::Crd { strict: false } => 2,
        Mode::Crd { strict: true } => 3,
        Mode::AsWritten => 4,
    }
}

fn u64_of(m: &Map<String, Value>, k: &str) -> Option<u64> {
    match m.get(k)? {
        Value::Number(n) => n.as_u64().or_else(|| {
            n.as_f64()
                .filter(|f| *f >= 0.0 && f.fract() == 0.0)
                .map(|f| f as u64)
        }),
        _ => None,
    }
}

fn bound(m: &Map<String, Value>, k: &str, exclusive: &str) -> Option<Bound> {
    let n = m.get(k)?.as_number()?;
    Some(Bound {
        value: n.as_f64()?,
        exclusive: m.get(exclusive).and_then(Value::as_bool) == Some(true),
        text: n.to_string().into(),
    })
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

fn flag(m: &Map<String, Value>, k: &str) -> bool {
    m.get(k).and_then(Value::as_bool) == Some(true)
}

/// Stores properties sorted by name, marking the required ones.
fn set_props(n: &mut Node, mut props: Vec<Prop>, required: Vec<Box<str>>) {
    props.sort_by(|a, b| a.name.cmp(&b.name));
    props.dedup_by(|a, b| a.name == b.name);
    for p in &mut props {
        p.required = required.contains(&p.name);
    }
    n.required_listed = props.iter().filter(|p| p.required).count();
    n.props = props.into_boxed_slice();
    n.required = required.into_boxed_slice();
}

impl<'a> Compiler<'a> {
    /// A compiler resolving `$ref`s with `resolver`, and bundle `$ref`s (and `ObjectMeta`)
    /// with `bundle`.
    pub(crate) fn new(resolver: &'a dyn Resolver, bundle: Option<&'a Bundle>) -> Self {
        Compiler {
            nodes: Vec::new(),
            resolver,
            bundle,
            memo: HashMap::new(),
            errors: Vec::new(),
            depth: 0,
        }
    }

    fn alloc(&mut self, node: Node) -> NodeId {
        self.nodes.push(node);
        (self.nodes.len() - 1) as NodeId
    }

    /// A node accepting `types` and nothing more.
    pub(crate) fn of_type(&mut self, types: u8) -> NodeId {
        self.alloc(Node {
            types,
            ..Node::default()
        })
    }

    fn node_mut(&mut self, id: NodeId) -> Option<&mut Node> {
        self.nodes.get_mut(id as usize)
    }

    fn node(&self, id: NodeId) -> Option<&Node> {
        self.nodes.get(id as usize)
    }

    /// Compiles an embedded definition by name.
    pub(crate) fn bundle_definition(&mut self, name: &str, mode: Mode) -> Option<NodeId> {
        let bundle = self.bundle?;
        let schema = bundle.definition(name)?;
        Some(self.compile_resolved(
            Resolved {
                key: name.to_owned(),
                doc: Doc::Bundle,
                schema,
            },
            mode,
        ))
    }

    fn resolve(&self, doc: &Doc, reference: &str) -> Result<Resolved, String> {
        if *doc != Doc::Bundle {
            return self.resolver.resolve(doc, reference);
        }
        let bundle = self.bundle.ok_or("no embedded schemas")?;
        let name = reference
            .strip_prefix("#/$defs/")
            .or_else(|| reference.strip_prefix("#/definitions/"))
            .ok_or_else(|| format!("unsupported $ref {reference:?}"))?;
        let schema = bundle
            .definition(name)
            .ok_or_else(|| format!("$ref {reference:?}: no such definition"))?;
        Ok(Resolved {
            key: name.to_owned(),
            doc: Doc::Bundle,
            schema,
        })
    }

    fn compile_ref(&mut self, doc: &Doc, reference: &str, mode: Mode) -> NodeId {
        match self.resolve(doc, reference) {
            Ok(r) => self.compile_resolved(r, mode),
            Err(e) => {
                self.errors.push(e);
                self.of_type(T_ANY)
            }
        }
    }

    fn compile_resolved(&mut self, r: Resolved, mode: Mode) -> NodeId {
        let memo_key = (
            match &r.doc {
                Doc::Location(url) => format!("{url}#{}", r.key),
                _ => r.key.clone(),
            },
            mode_key(mode),
        );
        if let Some(id) = self.memo.get(&memo_key) {
            return *id;
        }
        if self.depth >= MAX_SCHEMA_DEPTH {
            self.errors.push(format!(
                "schema nested more than {MAX_SCHEMA_DEPTH} levels deep"
            ));
            return self.of_type(T_ANY);
        }
        // Reserve the id first: a recursive $ref back to this definition finds it.
        let id = self.alloc(Node::default());
        self.memo.insert(memo_key, id);
        self.depth += 1;
        let target = match &*r.schema {
            // A definition that is itself a $ref: this node defers to the target.
            Value::Object(m) if m.contains_key("$ref") => {
                let inner = m.get("$ref").and_then(Value::as_str).unwrap_or_default();
                let inner_id = self.compile_ref(&r.doc, inner, mode);
                Node {
                    extra: Some(Box::new(Extra {
                        all_of: vec![inner_id],
                        ..Extra::default()
                    })),
                    ..Node::default()
                }
            }
            other => {
                let mut node = self.build(other, &r.doc, mode, false);
                if r.doc == Doc::Bundle && r.key == QUANTITY {
                    node.string_format = Some(StringFormat::Quantity);
                }
                node
            }
        };
        self.depth -= 1;
        if let Some(slot) = self.node_mut(id) {
            *slot = target;
        }
        id
    }

    /// Compiles a schema value (in `doc`) into a node. `branch`: inside allOf/anyOf/oneOf/not,
    /// where a CRD schema only adds value checks (pruning follows the main schema).
    pub(crate) fn compile(
        &mut self,
        schema: &Value,
        doc: &Doc,
        mode: Mode,
        branch: bool,
    ) -> NodeId {
        if let Some(r) = schema.get("$ref").and_then(Value::as_str) {
            // As in JSON Schema drafts 4–7 and OpenAPI 3.0, a $ref's siblings are ignored.
            return self.compile_ref(doc, r, mode);
        }
        if self.depth >= MAX_SCHEMA_DEPTH {
            self.errors.push(format!(
                "schema nested more than {MAX_SCHEMA_DEPTH} levels deep"
            ));
            return self.of_type(T_ANY);
        }
        self.depth += 1;
        let node = self.build(schema, doc, mode, branch);
        self.depth -= 1;
        self.alloc(node)
    }

    fn build(&mut self, s: &Value, doc: &Doc, mode: Mode, branch: bool) -> Node {
        let mut n = Node::default();
        let m = match s {
            Value::Object(m) => m,
            Value::Bool(false) => {
                n.flags |= F_NOTHING;
                return n;
            }
            // `true` (and anything else that is not a schema) accepts everything.
            _ => return n,
        };
        let crd = matches!(mode, Mode::Crd { .. });
        let mut ext = Extra::default();

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
        if n.types == 0 {
            // An unknown type name accepts nothing in JSON Schema; treat it as unconstrained
            // rather than reject every value over a typo in somebody's schema.
            n.types = T_ANY;
        }
        let nullable = flag(m, "nullable");
        if flag(m, "x-kubernetes-int-or-string") {
            n.types = T_INT | T_STR;
        }
        if nullable {
            n.types |= T_NULL;
        }
        if crd {
            if !nullable {
                n.flags |= F_PRUNE_NULL;
            }
            if m.contains_key("default") {
                n.flags |= F_DEFAULTED;
            }
        }
        let preserve = flag(m, "x-kubernetes-preserve-unknown-fields");
        let embedded = crd && flag(m, "x-kubernetes-embedded-resource");

        let mut props: Vec<Prop> = Vec::new();
        let mut own_meta = None;
        if let Some(Value::Object(ps)) = m.get("properties") {
            props.reserve(ps.len());
            for (k, v) in ps {
                if embedded && k == "metadata" {
                    // Applies on top of ObjectMeta without deciding which fields exist.
                    own_meta = Some(self.compile(v, doc, mode, true));
                    continue;
                }
                let id = self.compile(v, doc, mode, branch);
                props.push(Prop {
                    name: k.as_str().into(),
                    node: id,
                    required: false,
                });
            }
        }
        let mut required: Vec<Box<str>> = match m.get("required") {
            Some(Value::Array(r)) => r.iter().filter_map(Value::as_str).map(Into::into).collect(),
            _ => Vec::new(),
        };
        if embedded {
            let strict = matches!(mode, Mode::Crd { strict: true });
            self.add_type_meta(&mut props, strict, own_meta);
            // The API server requires both in an embedded object (but not metadata).
            for name in ["apiVersion", "kind"] {
                if !required.iter().any(|r| &**r == name) {
                    required.push(name.into());
                }
            }
        }
        let has_properties = m.contains_key("properties");
        set_props(&mut n, props, required);

        n.additional = match m.get("additionalProperties") {
            Some(Value::Bool(false)) => Additional::Forbid,
            Some(Value::Bool(true)) => Additional::Allow,
            Some(v @ Value::Object(_)) => Additional::Schema(self.compile(v, doc, mode, branch)),
            _ => match mode {
                Mode::BuiltIn { strict: true } if has_properties => Additional::Forbid,
                Mode::Crd { strict: true }
                    if !preserve
                        && !branch
                        && ((n.types & T_OBJ != 0 && n.types != T_ANY) || !n.props.is_empty()) =>
                {
                    Additional::Forbid
                }
                _ => Additional::Allow,
            },
        };

        match m.get("items") {
            Some(Value::Array(list)) => {
                ext.tuple = list
                    .iter()
                    .map(|v| self.compile(v, doc, mode, branch))
                    .collect();
            }
            Some(items) => n.items = Some(self.compile(items, doc, mode, branch)),
            None => {}
        }
        if let Some(Value::Array(e)) = m.get("enum") {
            n.enumeration = Some(e.clone().into_boxed_slice());
        }
        if let Some(f) = m.get("format").and_then(Value::as_str) {
            match mode {
                Mode::BuiltIn { .. } => match f {
                    "int32" => n.num_format = NumFormat::Int32,
                    "int64" => n.num_format = NumFormat::Int64,
                    "byte" => n.string_format = Some(StringFormat::Byte),
                    "date-time" => n.string_format = Some(StringFormat::DateTime),
                    _ => {}
                },
                Mode::Crd { .. } | Mode::AsWritten => n.string_format = StringFormat::crd(f),
            }
        }

        for (key, which) in [("allOf", 0), ("anyOf", 1), ("oneOf", 2)] {
            if let Some(Value::Array(list)) = m.get(key) {
                let ids: Vec<NodeId> = list
                    .iter()
                    .map(|v| self.compile(v, doc, mode, true))
                    .collect();
                match which {
                    0 => ext.all_of = ids,
                    1 => ext.any_of = ids,
                    _ => ext.one_of = ids,
                }
            }
        }
        self.fold_type_unions(&mut n, &mut ext);
        if let Some(v) = m.get("not") {
            ext.not = Some(self.compile(v, doc, mode, true));
        }
        if let Some(p) = m.get("pattern").and_then(Value::as_str) {
            match Regex::new(p) {
                Ok(re) => ext.pattern = Some((re, p.into())),
                // A real syntax error: the API server would have refused this schema too.
                Err(regex::Error::Syntax(msg)) if !msg.contains("Unicode") => {
                    let why = msg.lines().last().unwrap_or_default().trim();
                    let why = why.strip_prefix("error: ").unwrap_or(why);
                    self.errors.push(format!(
                        "pattern {p:?} is not a valid regular expression: {why}"
                    ));
                }
                // This build's regex engine lacks Unicode property tables (and has a size
                // limit); Go's RE2 accepts such patterns, so the check is skipped rather than
                // the schema refused.
                Err(_) => {}
            }
        }
        ext.minimum = bound(m, "minimum", "exclusiveMinimum");
        ext.maximum = bound(m, "maximum", "exclusiveMaximum");
        ext.multiple_of = bound(m, "multipleOf", "").filter(|b| b.value > 0.0);
        ext.min_length = u64_of(m, "minLength");
        ext.max_length = u64_of(m, "maxLength");
        ext.min_items = u64_of(m, "minItems");
        ext.max_items = u64_of(m, "maxItems");
        ext.min_props = u64_of(m, "minProperties");
        ext.max_props = u64_of(m, "maxProperties");
        ext.unique_items = flag(m, "uniqueItems");
        if crd {
            ext.list = match m.get("x-kubernetes-list-type").and_then(Value::as_str) {
                Some("set") => ListType::Set,
                Some("map") => {
                    let item_props = m.get("items").and_then(|i| i.get("properties"));
                    let keys = m
                        .get("x-kubernetes-list-map-keys")
                        .and_then(Value::as_array)
                        .map(|a| {
                            a.iter()
                                .filter_map(Value::as_str)
                                .map(|k| {
                                    let default = item_props
                                        .and_then(|p| p.get(k))
                                        .and_then(|p| p.get("default"))
                                        .cloned();
                                    (Box::<str>::from(k), default)
                                })
                                .collect::<Vec<_>>()
                        })
                        .unwrap_or_default();
                    if keys.is_empty() {
                        ListType::Atomic
                    } else {
                        ListType::Map(keys.into_boxed_slice())
                    }
                }
                _ => ListType::Atomic,
            };
        }
        if !ext.is_empty() {
            n.extra = Some(Box::new(ext));
        }
        n
    }

    /// `oneOf`/`anyOf` of plain types (IntOrString, Quantity) become a type set: faster, and
    /// the message can say "expected integer or string".
    fn fold_type_unions(&self, n: &mut Node, ext: &mut Extra) {
        let type_only = |ids: &[NodeId]| {
            !ids.is_empty()
                && ids
                    .iter()
                    .all(|id| self.node(*id).is_some_and(Node::is_type_only))
        };
        let types_of = |id: &NodeId| self.node(*id).map_or(0, |x| x.types);
        if type_only(&ext.any_of) {
            let union = ext.any_of.iter().map(types_of).fold(0, |a, b| a | b);
            n.types &= union;
            ext.any_of.clear();
        }
        if type_only(&ext.one_of) {
            // Exactly-one semantics equal the union only when the alternatives do not
            // overlap (null aside: Kubernetes accepts null wherever it is listed).
            let mut seen = 0u8;
            let mut disjoint = true;
            for id in &ext.one_of {
                let mut t = types_of(id) & !T_NULL;
                // An integer is also a number.
                if t & T_NUM != 0 {
                    t |= T_INT;
                }
                if seen & t != 0 {
                    disjoint = false;
                }
                seen |= t;
            }
            if disjoint {
                let union = ext.one_of.iter().map(types_of).fold(0, |a, b| a | b);
                n.types &= union;
                ext.one_of.clear();
            }
        }
        if n.types & T_NUM != 0 {
            n.types |= T_INT;
        }
    }

    /// Adds `apiVersion`, `kind` and `metadata` (ObjectMeta of the catalog's version, plus the
    /// schema's own metadata constraints) to an object's properties, as the API server does
    /// for the root of a custom resource and for embedded resources.
    pub(crate) fn add_type_meta(
        &mut self,
        props: &mut Vec<Prop>,
        strict: bool,
        extra_meta: Option<NodeId>,
    ) {
        let api_version = self.alloc(Node {
            types: T_STR,
            string_format: Some(StringFormat::ApiVersion),
            ..Node::default()
        });
        let kind = self.alloc(Node {
            types: T_STR,
            string_format: Some(StringFormat::Kind),
            ..Node::default()
        });
        let object_meta = self
            .bundle_definition(OBJECT_META, Mode::BuiltIn { strict })
            .unwrap_or_else(|| self.of_type(T_OBJ | T_NULL));
        let meta = match extra_meta {
            None => object_meta,
            Some(extra) => self.alloc(Node {
                types: T_OBJ | T_NULL,
                extra: Some(Box::new(Extra {
                    all_of: vec![object_meta, extra],
                    ..Extra::default()
                })),
                ..Node::default()
            }),
        };
        for (name, id) in [
            ("apiVersion", api_version),
            ("kind", kind),
            ("metadata", meta),
        ] {
            match props.iter_mut().find(|p| &*p.name == name) {
                Some(p) => p.node = id,
                None => props.push(Prop {
                    name: name.into(),
                    node: id,
                    required: false,
                }),
            }
        }
    }

    /// Makes `root` the root of a custom resource: `apiVersion`, `kind` and ObjectMeta
    /// `metadata` (strict or not by `meta_strict`), with `own_meta` (the CRD's metadata
    /// schema, if any, compiled with pruning by `prune`) applied on top.
    pub(crate) fn make_resource_root(
        &mut self,
        root: NodeId,
        meta_strict: bool,
        prune: bool,
        own_meta: Option<&Value>,
    ) {
        let own_meta =
            own_meta.map(|m| self.compile(m, &Doc::Inline, Mode::Crd { strict: prune }, true));
        let Some(node) = self.node_mut(root) else {
            return;
        };
        let props: Vec<Prop> = std::mem::take(&mut node.props).into_vec();
        let required = std::mem::take(&mut node.required).into_vec();
        let mut props = props;
        self.add_type_meta(&mut props, meta_strict, own_meta);
        if let Some(node) = self.node_mut(root) {
            set_props(node, props, required);
        }
    }

    /// Moves the arena out.
    pub(crate) fn finish(self) -> (Vec<Node>, Vec<String>) {
        (self.nodes, self.errors)
    }
}
