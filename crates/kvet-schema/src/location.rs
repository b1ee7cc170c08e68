//! kubeconform-compatible schema locations: templates expanded per kind, the documents they
//! name fetched through the caller's [`SchemaFetcher`] and compiled as written.

use crate::compile::{pointer_tokens, Compiler, Doc, Mode, Resolved, Resolver};
use crate::validate::Validator;
use crate::version::KubeVersion;
use crate::{SchemaError, SchemaFetcher};
use serde_json::Value;
use std::collections::HashMap;
use std::sync::{Arc, RwLock};

/// What kubeconform appends to a location that does not end in `json`.
const DEFAULT_LAYOUT: &str =
    "/{{ .NormalizedKubernetesVersion }}-standalone{{ .StrictSuffix }}/{{ .ResourceKind }}{{ .KindSuffix }}.json";

/// Expands a kubeconform schema-location template for one kind, exactly as kubeconform does.
///
/// A location not ending in `json` is a base, completed with
/// `/{{ .NormalizedKubernetesVersion }}-standalone{{ .StrictSuffix }}/{{ .ResourceKind }}{{ .KindSuffix }}.json`.
/// Go template actions `{{ .Name }}` (also `{{.Name}}`, with `{{-`/`-}}` trimming and
/// `{{/* comments */}}`) may use:
///
/// | variable | value for `apps/v1` `Deployment`, Kubernetes 1.37, strict |
/// |---|---|
/// | `NormalizedKubernetesVersion` | `v1.37.0` |
/// | `StrictSuffix` | `-strict` (empty when not strict) |
/// | `ResourceKind` | `deployment` (the kind, lowercase) |
/// | `ResourceAPIVersion` | `v1` (the part after the last `/`) |
/// | `Group` | `apps` (the part before the first `/`; `v1` for the core group, as in kubeconform) |
/// | `KindSuffix` | `-apps-v1` (`-` + first dot-label of the group, `-` + version; `-v1` for core) |
pub fn expand_location(
    template: &str,
    api_version: &str,
    kind: &str,
    version: KubeVersion,
    strict: bool,
) -> Result<String, SchemaError> {
    let mut tpl = template.to_owned();
    if !tpl.ends_with("json") {
        tpl.push_str(DEFAULT_LAYOUT);
    }
    let group_parts: Vec<&str> = api_version.split('/').collect();
    let first = group_parts.first().copied().unwrap_or_default();
    let last = group_parts.last().copied().unwrap_or_default();
    let mut kind_suffix = format!(
        "-{}",
        first.split('.').next().unwrap_or_default().to_lowercase()
    );
    if let Some(second) = group_parts.get(1) {
        kind_suffix.push('-');
        kind_suffix.push_str(&second.to_lowercase());
    }
    let vars: [(&str, String); 6] = [
        (
            "NormalizedKubernetesVersion",
            format!("v{}.{}.0", version.major, version.minor),
        ),
        (
            "StrictSuffix",
            if strict {
                "-strict".into()
            } else {
                String::new()
            },
        ),
        ("ResourceKind", kind.to_lowercase()),
        ("ResourceAPIVersion", last.to_owned()),
        ("Group", first.to_owned()),
        ("KindSuffix", kind_suffix),
    ];
    render(&tpl, &vars)
        .map_err(|e| SchemaError::Location(format!("schema location {template:?}: {e}")))
}

/// Renders the subset of Go's text/template that schema locations use: field actions,
/// trim markers and comments.
fn render(tpl: &str, vars: &[(&str, String)]) -> Result<String, String> {
    let mut out = String::with_capacity(tpl.len() + 32);
    let mut rest = tpl;
    while let Some(start) = rest.find("{{") {
        let mut text = &rest[..start];
        let after = &rest[start + 2..];
        let end = after.find("}}").ok_or("unclosed action: missing }}")?;
        let mut action = &after[..end];
        let mut next = &after[end + 2..];
        // "{{- " trims the space before, " -}}" the space after (Go needs the blank).
        if let Some(a) = action.strip_prefix("- ") {
            text = text.trim_end();
            action = a;
        }
        if let Some(a) = action.strip_suffix(" -") {
            next = next.trim_start();
            action = a;
        }
        out.push_str(text);
        let action = action.trim();
        if action.starts_with("/*") && action.ends_with("*/") {
            // A comment.
        } else if let Some(name) = action.strip_prefix('.') {
            let value = vars
                .iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| v.as_str())
                .ok_or_else(|| {
                    let known: Vec<&str> = vars.iter().map(|(k, _)| *k).collect();
                    format!("unknown variable .{name} (known: {})", known.join(", "))
                })?;
            out.push_str(value);
        } else {
            return Err(format!("unsupported template action {{{{{action}}}}}"));
        }
        rest = next;
    }
    out.push_str(rest);
    Ok(out)
}

/// Fetched documents, by location, shared by every kind a catalog compiles: a
/// `_definitions.json` is fetched once, and a failure is not retried.
pub(crate) type DocCache = RwLock<HashMap<String, Result<Arc<Value>, String>>>;

/// Loads documents through the fetcher, with the cache.
pub(crate) struct Fetched<'a> {
    pub fetcher: &'a dyn SchemaFetcher,
    pub cache: &'a DocCache,
}

impl Fetched<'_> {
    /// The document at `location`: `Ok(None)` when the fetcher finds none.
    pub(crate) fn load(&self, location: &str) -> Result<Option<Arc<Value>>, String> {
        if let Ok(cache) = self.cache.read() {
            if let Some(hit) = cache.get(location) {
                return hit.clone().map(Some);
            }
        }
        let doc = match self.fetcher.fetch(location)? {
            None => return Ok(None),
            Some(bytes) => serde_json::from_slice::<Value>(&bytes)
                .map(Arc::new)
                .map_err(|e| format!("{location} is not JSON: {e}")),
        };
        if let Ok(mut cache) = self.cache.write() {
            cache.insert(location.to_owned(), doc.clone());
        }
        doc.map(Some)
    }
}

/// Resolves `reference` against the location `base` (URL or path), as a browser would.
fn join(base: &str, reference: &str) -> String {
    if reference.contains("://") {
        return reference.to_owned();
    }
    let (origin, path) = match base.find("://") {
        Some(i) => {
            let host_end = base[i + 3..].find('/').map_or(base.len(), |j| i + 3 + j);
            (&base[..host_end], &base[host_end..])
        }
        None => ("", base),
    };
    let joined = if reference.starts_with('/') {
        reference.to_owned()
    } else {
        let dir = path.rfind('/').map_or("", |i| &path[..=i]);
        format!("{dir}{reference}")
    };
    // Remove "." and ".." segments.
    let absolute = joined.starts_with('/');
    let mut segs: Vec<&str> = Vec::new();
    for seg in joined.split('/') {
        match seg {
            "." => {}
            ".." if segs.last().is_some_and(|s| *s != ".." && !s.is_empty()) => {
                segs.pop();
            }
            ".." if !absolute => segs.push(seg),
            ".." => {}
            s => segs.push(s),
        }
    }
    let path = segs.join("/");
    format!("{origin}{path}")
}

impl Resolver for Fetched<'_> {
    fn resolve(&self, doc: &Doc, reference: &str) -> Result<Resolved, String> {
        let Doc::Location(base) = doc else {
            return Err(format!("$ref {reference:?} outside a fetched schema"));
        };
        let (target, fragment) = reference.split_once('#').unwrap_or((reference, ""));
        let location: Arc<str> = if target.is_empty() {
            base.clone()
        } else {
            join(base, target).into()
        };
        let document = self
            .load(&location)?
            .ok_or_else(|| format!("$ref {reference:?}: {location} not found"))?;
        let schema = if fragment.is_empty() {
            document
        } else {
            let tokens = pointer_tokens(fragment).ok_or_else(|| {
                format!("$ref {reference:?}: only JSON-pointer fragments are supported")
            })?;
            let mut at: &Value = &document;
            for t in &tokens {
                at = match at {
                    Value::Object(m) => m.get(t),
                    Value::Array(a) => t.parse::<usize>().ok().and_then(|i| a.get(i)),
                    _ => None,
                }
                .ok_or_else(|| {
                    format!("$ref {reference:?}: nothing at #{fragment} in {location}")
                })?;
            }
            Arc::new(at.clone())
        };
        Ok(Resolved {
            key: fragment.to_owned(),
            doc: Doc::Location(location),
            schema,
        })
    }
}

/// Compiles the document fetched from `location` (a standalone schema, or one with `$ref`s
/// into itself or into documents next to it, such as `_definitions.json`).
pub(crate) fn compile_fetched(
    fetched: &Fetched<'_>,
    location: &str,
    doc: Arc<Value>,
) -> Result<Validator, String> {
    let mut c = Compiler::new(fetched, None);
    let root = c.compile(
        &doc,
        &Doc::Location(location.into()),
        Mode::AsWritten,
        false,
    );
    let (nodes, errors) = c.finish();
    if let Some(e) = errors.first() {
        return Err(format!("{location}: {e}"));
    }
    Ok(Validator::new(nodes, root))
}

#[cfg(test)]
mod tests {
    use super::*;

    const V: KubeVersion = KubeVersion::new(1, 30);

    fn expand(t: &str, api: &str, kind: &str, strict: bool) -> String {
        expand_location(t, api, kind, V, strict).unwrap_or_else(|e| format!("error: {e}"))
    }

    #[test]
    fn kubeconform_variables() {
        let t = "https://example.invalid/{{ .NormalizedKubernetesVersion }}-standalone{{ .StrictSuffix }}/{{ .ResourceKind }}{{ .KindSuffix }}.json";
        assert_eq!(
            expand(t, "apps/v1", "Deployment", true),
            "https://example.invalid/v1.30.0-standalone-strict/deployment-apps-v1.json"
        );
        assert_eq!(
            expand(t, "v1", "Service", false),
            "https://example.invalid/v1.30.0-standalone/service-v1.json"
        );
        assert_eq!(
            expand(t, "networking.k8s.io/v1", "NetworkPolicy", false),
            "https://example.invalid/v1.30.0-standalone/networkpolicy-networking-v1.json"
        );
        let crds = "schemas/{{.Group}}/{{.ResourceKind}}_{{.ResourceAPIVersion}}.json";
        assert_eq!(
            expand(crds, "argoproj.io/v1alpha1", "Application", false),
            "schemas/argoproj.io/application_v1alpha1.json"
        );
        // kubeconform's Group is the part before the first slash, so "v1" for the core group.
        assert_eq!(
            expand(crds, "v1", "ConfigMap", false),
            "schemas/v1/configmap_v1.json"
        );
    }

    #[test]
    fn a_location_without_json_gets_the_default_layout() {
        assert_eq!(
            expand(
                "https://example.invalid/schemas",
                "apps/v1",
                "Deployment",
                false
            ),
            "https://example.invalid/schemas/v1.30.0-standalone/deployment-apps-v1.json"
        );
        assert_eq!(
            expand("/local/dir", "v1", "Pod", true),
            "/local/dir/v1.30.0-standalone-strict/pod-v1.json"
        );
        assert_eq!(
            expand("plain/file.json", "v1", "Pod", true),
            "plain/file.json"
        );
    }

    #[test]
    fn go_template_trimming_and_comments() {
        assert_eq!(
            expand(
                "a/ {{- .ResourceKind -}} /b{{/* note */}}.json",
                "v1",
                "Pod",
                false
            ),
            "a/pod/b.json"
        );
        assert!(expand("{{ .Nope }}.json", "v1", "Pod", false).starts_with("error:"));
        assert!(expand("{{ .ResourceKind .json", "v1", "Pod", false).starts_with("error:"));
        assert!(expand("{{ printf \"x\" }}.json", "v1", "Pod", false).starts_with("error:"));
    }

    #[test]
    fn relative_references() {
        assert_eq!(
            join("https://h.invalid/a/b/pod.json", "_definitions.json"),
            "https://h.invalid/a/b/_definitions.json"
        );
        assert_eq!(
            join("https://h.invalid/a/b/pod.json", "../c.json"),
            "https://h.invalid/a/c.json"
        );
        assert_eq!(
            join("https://h.invalid/a/b/pod.json", "/x.json"),
            "https://h.invalid/x.json"
        );
        assert_eq!(join("dir/pod.json", "./defs.json"), "dir/defs.json");
        assert_eq!(
            join("/abs/dir/pod.json", "../../../defs.json"),
            "/defs.json"
        );
        assert_eq!(join("pod.json", "defs.json"), "defs.json");
        assert_eq!(
            join("a/pod.json", "https://o.invalid/x.json"),
            "https://o.invalid/x.json"
        );
    }
}
