//! CustomResourceDefinitions as schemas: every served version of a CRD becomes a validator
//! with the API server's structural-schema rules (implicit apiVersion/kind/metadata, pruning
//! of unknown fields outside `x-kubernetes-preserve-unknown-fields`, dropped nulls, list
//! types).

use crate::bundle::Bundle;
use crate::compile::{Compiler, Doc, Mode, NoRefs, T_ANY};
use crate::validate::Validator;
use crate::SchemaError;
use serde_json::Value;

/// One served version of a CRD, compiled.
pub(crate) struct CrdVersion {
    pub api_version: String,
    pub kind: String,
    pub validator: Validator,
}

fn text<'v>(v: &'v Value, pointer: &str) -> Option<&'v str> {
    v.pointer(pointer)
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
}

/// Compiles every served version of `crd` (apiextensions.k8s.io/v1 or v1beta1).
pub(crate) fn compile_crd(
    crd: &Value,
    bundle: &Bundle,
    strict: bool,
) -> Result<Vec<CrdVersion>, SchemaError> {
    let bad = |why: String| SchemaError::Crd(why);
    let api = crd
        .get("apiVersion")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let beta = match api {
        "apiextensions.k8s.io/v1" => false,
        "apiextensions.k8s.io/v1beta1" => true,
        other => {
            return Err(bad(format!(
                "unsupported apiVersion {other:?} (expected apiextensions.k8s.io/v1 or v1beta1)"
            )))
        }
    };
    if crd.get("kind").and_then(Value::as_str) != Some("CustomResourceDefinition") {
        return Err(bad("not a CustomResourceDefinition".into()));
    }
    let spec = crd
        .get("spec")
        .filter(|s| s.is_object())
        .ok_or_else(|| bad("spec is missing".into()))?;
    let group = text(spec, "/group").ok_or_else(|| bad("spec.group is missing".into()))?;
    let kind = text(spec, "/names/kind").ok_or_else(|| bad("spec.names.kind is missing".into()))?;
    // With preserveUnknownFields (the v1beta1 default) nothing is pruned, so no field is
    // unknown; ObjectMeta is still decoded strictly.
    let preserve_all = spec
        .get("preserveUnknownFields")
        .and_then(Value::as_bool)
        .unwrap_or(beta);
    let prune = strict && !preserve_all;
    // v1beta1 allowed one schema for all versions.
    let shared = spec.pointer("/validation/openAPIV3Schema");

    let mut versions: Vec<(&str, Option<&Value>)> = Vec::new();
    match spec.get("versions").and_then(Value::as_array) {
        Some(list) if !list.is_empty() => {
            for v in list {
                if v.get("served").and_then(Value::as_bool) == Some(false) {
                    continue;
                }
                let name = text(v, "/name").ok_or_else(|| bad("a version has no name".into()))?;
                versions.push((name, v.pointer("/schema/openAPIV3Schema").or(shared)));
            }
        }
        _ => {
            let name =
                text(spec, "/version").ok_or_else(|| bad("spec.versions is missing".into()))?;
            versions.push((name, shared));
        }
    }
    if versions.is_empty() {
        return Err(bad(format!("no version of {kind} is served")));
    }

    let mut out = Vec::with_capacity(versions.len());
    for (version, schema) in versions {
        let mut c = Compiler::new(&NoRefs, Some(bundle));
        let mode = Mode::Crd { strict: prune };
        let root = match schema {
            Some(s) if s.is_object() => c.compile(s, &Doc::Inline, mode, false),
            Some(_) => {
                return Err(bad(format!(
                    "version {version}: openAPIV3Schema is not an object"
                )))
            }
            // No schema: any fields; only the object's metadata is checked.
            None => c.of_type(T_ANY),
        };
        let own_meta = schema.and_then(|s| s.pointer("/properties/metadata"));
        c.make_resource_root(root, strict, prune, own_meta);
        let (nodes, errors) = c.finish();
        if let Some(e) = errors.first() {
            return Err(bad(format!("version {version}: {e}")));
        }
        out.push(CrdVersion {
            api_version: format!("{group}/{version}"),
            kind: kind.to_owned(),
            validator: Validator::new(nodes, root),
        });
    }
    Ok(out)
}
