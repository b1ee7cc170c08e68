//! kubeconform-compatible schema locations: templates expanded per kind, documents compiled
//! as written.

use crate::compile::{Compiler, Definitions, Mode};
use crate::validate::Validator;
use crate::version::KubeVersion;
use crate::SchemaError;
use serde_json::Value;

/// Expands a kubeconform location template for one kind. A location that does not end in
/// `json` is a base, completed as kubeconform does with
/// `/{{ .NormalizedKubernetesVersion }}-standalone{{ .StrictSuffix }}/{{ .ResourceKind }}{{ .KindSuffix }}.json`.
///
/// Variables: `NormalizedKubernetesVersion` (`v1.37.0`), `StrictSuffix` (`-strict` in strict
/// mode), `ResourceKind` (lowercase kind), `ResourceAPIVersion` (the version part),
/// `Group` (the API group, empty for core), `KindSuffix` (`-<first group label>-<version>`,
/// lowercase).
pub fn expand_location(
    template: &str,
    api_version: &str,
    kind: &str,
    version: KubeVersion,
    strict: bool,
) -> Result<String, SchemaError> {
    let mut tpl = template.to_owned();
    if !tpl.ends_with("json") {
        tpl.push_str("/{{ .NormalizedKubernetesVersion }}-standalone{{ .StrictSuffix }}/{{ .ResourceKind }}{{ .KindSuffix }}.json");
    }
    let (group, ver) = match api_version.split_once('/') {
        Some((g, v)) => (g, v),
        None => ("", api_version),
    };
    let first = if group.is_empty() { ver } else { group };
    let first_label = first.split('.').next().unwrap_or("").to_lowercase();
    let kind_suffix = if group.is_empty() {
        format!("-{}", ver.to_lowercase())
    } else {
        format!("-{first_label}-{}", ver.to_lowercase())
    };
    let vars = [
        ("NormalizedKubernetesVersion", format!("v{version}.0")),
        (
            "StrictSuffix",
            if strict {
                "-strict".into()
            } else {
                String::new()
            },
        ),
        ("ResourceKind", kind.to_lowercase()),
        ("ResourceAPIVersion", ver.to_owned()),
        ("Group", group.to_owned()),
        ("KindSuffix", kind_suffix),
    ];
    let mut out = String::with_capacity(tpl.len());
    let mut rest = tpl.as_str();
    while let Some(start) = rest.find("{{") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let end = after.find("}}").ok_or_else(|| {
            SchemaError::Location(format!("unclosed {{{{ in schema location {template:?}"))
        })?;
        let name = after[..end].trim().trim_start_matches('.');
        let value = vars
            .iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.as_str())
            .ok_or_else(|| {
                SchemaError::Location(format!(
                    "unknown variable {name:?} in schema location {template:?}"
                ))
            })?;
        out.push_str(value);
        rest = &after[end + 2..];
    }
    out.push_str(rest);
    Ok(out)
}

struct Local<'a>(&'a Value);

impl Definitions for Local<'_> {
    fn definition(&self, name: &str) -> Option<Value> {
        self.0
            .get("definitions")
            .or_else(|| self.0.get("$defs"))
            .and_then(|d| d.get(name))
            .cloned()
    }
}

/// Compiles a fetched JSON schema (standalone, or with local `#/definitions/…` refs).
pub(crate) fn compile_fetched(bytes: &[u8], url: &str) -> Result<Validator, SchemaError> {
    let doc: Value = serde_json::from_slice(bytes)
        .map_err(|e| SchemaError::Location(format!("{url} is not JSON: {e}")))?;
    let defs = Local(&doc);
    let mut c = Compiler::new(&defs);
    let root = c.compile(&doc, Mode::AsWritten, false);
    if let Some(e) = c.errors.first() {
        return Err(SchemaError::Location(format!("{url}: {e}")));
    }
    Ok(Validator {
        nodes: c.nodes,
        root,
    })
}
