//! The built-in policy library, embedded from `policies/` at build time.

use serde_json::Value;

include!(concat!(env!("OUT_DIR"), "/library.rs"));

/// Sets on when no `--policy-set` is named.
pub const DEFAULT_SETS: &[&str] = &["pss-baseline", "tag-pinning"];

/// One built-in policy and what it is for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BuiltinPolicy {
    /// The id used with `--policy-set` and as the findings' rule.
    pub id: &'static str,
    /// One line.
    pub title: String,
    /// `error` or `warning`.
    pub severity: String,
    /// Why the policy exists.
    pub rationale: String,
    /// The Rego source.
    pub rego: &'static str,
    /// The kinds it applies to (empty: all).
    pub kinds: Vec<String>,
    /// Policies always enabled with this one (`pss-restricted` needs `pss-baseline`).
    pub requires: Vec<String>,
    /// Parameters: (name, description).
    pub parameters: Vec<(String, String)>,
    /// Per rule (`deny_privileged`), the paths of which an object must hold one for the rule
    /// to be evaluated on it (see [`crate::screen`]); rules not named are always evaluated.
    pub screens: Vec<(String, Vec<String>)>,
    /// Evaluated on regorus's compiled VM (the default), or with `evaluator: interpreter` in
    /// its metadata, on the interpreter, for Rego the VM does not yet decide alike.
    pub compiled: bool,
}

fn strings(meta: &Value, key: &str) -> Vec<String> {
    meta.get(key)
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default()
}

/// A rule's screen paths; an entry that is not a string is kept as its JSON text, which the
/// path parser refuses, rather than dropped (a dropped path would skip the rule too often).
fn screen_paths(v: &Value) -> Vec<String> {
    v.as_array()
        .map(|a| {
            a.iter()
                .map(|p| p.as_str().map_or_else(|| p.to_string(), str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

fn field(meta: &Value, key: &str) -> String {
    meta.get(key)
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned()
}

/// Every built-in policy, by id.
pub fn builtin_policies() -> Vec<BuiltinPolicy> {
    LIBRARY
        .iter()
        .map(|(id, rego, meta)| {
            let meta = kvet_yaml::parse_one(meta, &kvet_yaml::Limits::default())
                .ok()
                .flatten()
                .map(|d| d.value)
                .unwrap_or(Value::Null);
            BuiltinPolicy {
                id,
                title: field(&meta, "title"),
                severity: field(&meta, "severity"),
                rationale: field(&meta, "rationale"),
                rego,
                kinds: strings(&meta, "kinds"),
                requires: strings(&meta, "requires"),
                screens: meta
                    .get("screens")
                    .and_then(Value::as_object)
                    .map(|m| {
                        m.iter()
                            .map(|(k, v)| (k.clone(), screen_paths(v)))
                            .collect()
                    })
                    .unwrap_or_default(),
                compiled: meta.get("evaluator").and_then(Value::as_str) != Some("interpreter"),
                parameters: meta
                    .get("parameters")
                    .and_then(Value::as_object)
                    .map(|m| {
                        m.iter()
                            .map(|(k, v)| {
                                (
                                    k.clone(),
                                    v.as_str().map_or_else(|| v.to_string(), str::to_owned),
                                )
                            })
                            .collect()
                    })
                    .unwrap_or_default(),
            }
        })
        .collect()
}
