//! CustomResourceDefinitions as schemas: every served version of a CRD becomes a validator with
//! the API server's structural-schema rules (implicit apiVersion/kind/metadata, pruning of
//! unknown fields outside `x-kubernetes-preserve-unknown-fields`).

use crate::bundle::Bundle;
use crate::compile::{Compiler, Definitions, Mode, T_OBJ};
use crate::validate::Validator;
use crate::SchemaError;
use serde_json::Value;

struct NoDefinitions;

impl Definitions for NoDefinitions {
    fn definition(&self, _: &str) -> Option<Value> {
        None
    }
}

/// (apiVersion, kind, validator) for each served version.
pub(crate) fn compile_crd(
    crd: &Value,
    bundle: &Bundle,
    strict: bool,
) -> Result<Vec<(String, String, Validator)>, SchemaError> {
    let api = crd.get("apiVersion").and_then(Value::as_str).unwrap_or("");
    if !api.starts_with("apiextensions.k8s.io/") {
        return Err(SchemaError::Crd(format!(
            "unsupported CustomResourceDefinition apiVersion {api:?}"
        )));
    }
    let spec = crd
        .get("spec")
        .ok_or_else(|| SchemaError::Crd("missing spec".into()))?;
    let group = spec
        .get("group")
        .and_then(Value::as_str)
        .ok_or_else(|| SchemaError::Crd("missing spec.group".into()))?;
    let kind = spec
        .pointer("/names/kind")
        .and_then(Value::as_str)
        .ok_or_else(|| SchemaError::Crd("missing spec.names.kind".into()))?;
    // v1beta1 allowed one schema for all versions at spec.validation.
    let shared = spec.pointer("/validation/openAPIV3Schema");
    let mut versions: Vec<(String, Option<&Value>)> = Vec::new();
    if let Some(list) = spec.get("versions").and_then(Value::as_array) {
        for v in list {
            if v.get("served").and_then(Value::as_bool) == Some(false) {
                continue;
            }
            let Some(name) = v.get("name").and_then(Value::as_str) else {
                continue;
            };
            let schema = v.pointer("/schema/openAPIV3Schema").or(shared);
            versions.push((name.to_owned(), schema));
        }
    } else if let Some(name) = spec.get("version").and_then(Value::as_str) {
        versions.push((name.to_owned(), shared));
    }
    if versions.is_empty() {
        return Err(SchemaError::Crd(format!(
            "CustomResourceDefinition for {kind} serves no versions"
        )));
    }
    let none = NoDefinitions;
    let mut out = Vec::new();
    for (version, schema) in versions {
        let mut c = Compiler::new(&none);
        c.builtin = Some(bundle);
        let mode = Mode::Crd { strict };
        let root = match schema {
            Some(s) => c.compile(s, mode, false),
            // No schema: any fields (only the object header is checked).
            None => c.of_type(T_OBJ),
        };
        let mut node = std::mem::take(&mut c.nodes[root as usize]);
        if schema.is_none() {
            node.additional = crate::compile::Additional::Allow;
        }
        c.add_object_header(&mut node, mode);
        c.nodes[root as usize] = node;
        if let Some(e) = c.errors.first() {
            return Err(SchemaError::Crd(format!("version {version}: {e}")));
        }
        out.push((
            format!("{group}/{version}"),
            kind.to_owned(),
            Validator {
                nodes: c.nodes,
                root,
            },
        ));
    }
    Ok(out)
}
