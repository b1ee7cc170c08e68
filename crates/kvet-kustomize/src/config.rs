//! Field specs a kustomization adds to kustomize's built-in ones: `configurations` files
//! (where images, labels, annotations, name references, vars and replica counts live in custom
//! kinds) and `labels[].fields`.
//!
//! A kustomization's configuration holds its own `configurations` and those of every
//! kustomization it builds on, as kustomize merges them up the tree; its transformers use it,
//! and the top's is used for name references and vars.

use crate::{Error, Resource, SourceDoc};
use serde_json::Value;

/// Where a transformer writes, for which objects (an empty group, version or kind selects any).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct FieldSpec {
    pub group: String,
    pub version: String,
    pub kind: String,
    /// `/`-separated; a `[]` suffix marks a list.
    pub path: String,
    pub create: bool,
}

impl FieldSpec {
    pub fn selects(&self, r: &Resource) -> bool {
        let (group, version) = match r.api_version().split_once('/') {
            Some((g, v)) => (g, v),
            None => ("", r.api_version()),
        };
        (self.kind.is_empty() || self.kind == r.kind())
            && (self.group.is_empty() || self.group == group)
            && (self.version.is_empty() || self.version == version)
    }

    /// The path's segments, list markers dropped (the walkers step into lists on their own).
    pub fn segments(&self) -> Vec<&str> {
        self.path
            .split('/')
            .filter(|s| !s.is_empty())
            .map(|s| s.strip_suffix("[]").unwrap_or(s))
            .collect()
    }

    /// The path's segments with list markers kept.
    pub fn raw_segments(&self) -> Vec<&str> {
        self.path.split('/').filter(|s| !s.is_empty()).collect()
    }
}

/// A field naming an object of kind `target` (in `group`, any when empty).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct NameRef {
    pub target: String,
    pub group: String,
    pub spec: FieldSpec,
}

/// The field specs added to kustomize's built-in ones.
#[derive(Debug, Clone, Default)]
pub(crate) struct Config {
    pub images: Vec<FieldSpec>,
    pub common_labels: Vec<FieldSpec>,
    /// Written by every `labels` entry.
    pub labels: Vec<FieldSpec>,
    pub template_labels: Vec<FieldSpec>,
    pub common_annotations: Vec<FieldSpec>,
    pub name_refs: Vec<NameRef>,
    pub var_refs: Vec<FieldSpec>,
    pub replicas: Vec<FieldSpec>,
}

impl Config {
    /// Adds `other`'s specs that are not already here.
    pub fn merge(&mut self, other: Config) {
        fn add<T: PartialEq>(to: &mut Vec<T>, from: Vec<T>) {
            for x in from {
                if !to.contains(&x) {
                    to.push(x);
                }
            }
        }
        add(&mut self.images, other.images);
        add(&mut self.common_labels, other.common_labels);
        add(&mut self.labels, other.labels);
        add(&mut self.template_labels, other.template_labels);
        add(&mut self.common_annotations, other.common_annotations);
        add(&mut self.name_refs, other.name_refs);
        add(&mut self.var_refs, other.var_refs);
        add(&mut self.replicas, other.replicas);
    }
}

pub(crate) fn err_at(doc: &SourceDoc, ptr: &str, message: impl Into<String>) -> Error {
    let (span, _) = doc.locate(ptr);
    Error {
        file: doc.path.clone(),
        line: span.start.line,
        column: span.start.column,
        message: message.into(),
    }
}

/// Reads a list of field specs at `ptr` in `doc`.
pub(crate) fn parse_specs(
    doc: &SourceDoc,
    ptr: &str,
    v: Option<&Value>,
) -> Result<Vec<FieldSpec>, Error> {
    let items = match v {
        None | Some(Value::Null) => return Ok(Vec::new()),
        Some(Value::Array(items)) => items,
        Some(_) => return Err(err_at(doc, ptr, "expected a list of field specs")),
    };
    let mut out = Vec::new();
    for (i, item) in items.iter().enumerate() {
        out.push(parse_spec(doc, &format!("{ptr}/{i}"), item, &[])?);
    }
    Ok(out)
}

fn parse_spec(doc: &SourceDoc, at: &str, item: &Value, extra: &[&str]) -> Result<FieldSpec, Error> {
    let Some(m) = item.as_object() else {
        return Err(err_at(doc, at, "a field spec must be a mapping"));
    };
    let text = |key: &str| -> Result<String, Error> {
        match m.get(key) {
            None | Some(Value::Null) => Ok(String::new()),
            Some(Value::String(s)) => Ok(s.clone()),
            Some(_) => Err(err_at(
                doc,
                &format!("{at}/{key}"),
                format!("{key} must be a string"),
            )),
        }
    };
    for key in m.keys() {
        if !["path", "kind", "group", "version", "create"].contains(&key.as_str())
            && !extra.contains(&key.as_str())
        {
            return Err(err_at(
                doc,
                &format!("{at}/{}", kvet_yaml::escape_token(key)),
                format!("unknown field \"{key}\" in a field spec"),
            ));
        }
    }
    let path = text("path")?;
    if path.is_empty() {
        return Err(err_at(doc, at, "a field spec needs a path"));
    }
    Ok(FieldSpec {
        group: text("group")?,
        version: text("version")?,
        kind: text("kind")?,
        path,
        create: match m.get("create") {
            None | Some(Value::Null) => false,
            Some(Value::Bool(b)) => *b,
            Some(_) => {
                return Err(err_at(
                    doc,
                    &format!("{at}/create"),
                    "create must be true or false",
                ))
            }
        },
    })
}

/// Reads one `configurations` file.
pub(crate) fn parse_file(doc: &SourceDoc) -> Result<Config, Error> {
    let mut c = Config::default();
    let Some(m) = doc.value.as_object() else {
        if doc.value.is_null() {
            return Ok(c);
        }
        return Err(err_at(
            doc,
            "",
            "a transformer configuration must be a mapping",
        ));
    };
    for (key, v) in m {
        let ptr = format!("/{}", kvet_yaml::escape_token(key));
        match key.as_str() {
            "images" => c.images = parse_specs(doc, &ptr, Some(v))?,
            "commonLabels" => c.common_labels = parse_specs(doc, &ptr, Some(v))?,
            "labels" => c.labels = parse_specs(doc, &ptr, Some(v))?,
            "templateLabels" => c.template_labels = parse_specs(doc, &ptr, Some(v))?,
            "commonAnnotations" => c.common_annotations = parse_specs(doc, &ptr, Some(v))?,
            "varReference" => c.var_refs = parse_specs(doc, &ptr, Some(v))?,
            "replicas" => c.replicas = parse_specs(doc, &ptr, Some(v))?,
            "nameReference" => {
                let Some(items) = v.as_array() else {
                    return Err(err_at(doc, &ptr, "nameReference must be a list"));
                };
                for (i, item) in items.iter().enumerate() {
                    let at = format!("{ptr}/{i}");
                    let Some(t) = item.as_object() else {
                        return Err(err_at(doc, &at, "a nameReference entry must be a mapping"));
                    };
                    let kind = t.get("kind").and_then(Value::as_str).unwrap_or("");
                    if kind.is_empty() {
                        return Err(err_at(
                            doc,
                            &at,
                            "a nameReference entry needs the kind it names",
                        ));
                    }
                    for k in t.keys() {
                        if !["kind", "group", "version", "fieldSpecs"].contains(&k.as_str()) {
                            return Err(err_at(
                                doc,
                                &format!("{at}/{}", kvet_yaml::escape_token(k)),
                                format!("unknown field \"{k}\" in a nameReference entry"),
                            ));
                        }
                    }
                    let group = t.get("group").and_then(Value::as_str).unwrap_or("");
                    for spec in parse_specs(doc, &format!("{at}/fieldSpecs"), t.get("fieldSpecs"))?
                    {
                        c.name_refs.push(NameRef {
                            target: kind.to_owned(),
                            group: group.to_owned(),
                            spec,
                        });
                    }
                }
            }
            "namePrefix" | "nameSuffix" | "namespace" | "volumeClaimTemplateLabels" => {
                if v.as_array().is_some_and(|a| !a.is_empty()) {
                    return Err(err_at(
                        doc,
                        &ptr,
                        format!("custom {key} field specs are not supported by kvet's native kustomize build"),
                    ));
                }
            }
            other => {
                return Err(err_at(
                    doc,
                    &ptr,
                    format!("unknown field \"{other}\" in a transformer configuration"),
                ))
            }
        }
    }
    Ok(c)
}
