//! Report formats. Each takes a finished [`Report`](crate::Report) and returns text; the
//! human-readable text format lives in the CLI, which owns the terminal.

mod github;
mod json;
mod junit;
mod sarif;

pub use github::github;
pub use json::json;
pub use junit::junit;
pub use sarif::sarif;

/// What each built-in rule id means, for formats that describe their rules.
pub fn rule_description(rule: &str) -> String {
    let fixed = match rule {
        "schema" => "The object does not match the Kubernetes schema for its kind.",
        "no-schema" => "No schema is known for the object's apiVersion and kind.",
        "yaml" => "The file is not valid YAML, or exceeds a parsing limit.",
        "yaml-duplicate-key" => "A mapping repeats a key; only the last value is kept.",
        "object" => "The document is not a Kubernetes object (apiVersion and kind are required).",
        "crd" => "A CustomResourceDefinition in the inputs could not be used as a schema.",
        "input" => "An input could not be read.",
        "config" => "The kvet configuration or exceptions file has a mistake.",
        "policy-load" => "A policy or data file could not be loaded.",
        "policy-error" => "A policy failed while evaluating this object.",
        "exception-expired" => "An exception is past its expiry date and no longer applies.",
        "exception-not-allowed" => "An object tries to waive a rule it may not waive itself.",
        _ => "",
    };
    if !fixed.is_empty() {
        return fixed.to_owned();
    }
    // Built-in policies: `id` or `id/check`, described by the policy's title.
    let id = rule.split('/').next().unwrap_or(rule);
    match kvet_policy::builtin_policies()
        .into_iter()
        .find(|p| p.id == id)
    {
        Some(p) if id == rule => format!("{}.", p.title),
        Some(p) => format!("{} ({}).", p.title, &rule[id.len() + 1..]),
        None => "A kvet finding.".to_owned(),
    }
}
