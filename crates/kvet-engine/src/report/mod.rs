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
pub fn rule_description(rule: &str) -> &'static str {
    match rule {
        "schema" => "The object does not match the Kubernetes schema for its kind.",
        "no-schema" => "No schema is known for the object's apiVersion and kind.",
        "yaml" => "The file is not valid YAML, or exceeds a parsing limit.",
        "yaml-duplicate-key" => "A mapping repeats a key; only the last value is kept.",
        "object" => "The document is not a Kubernetes object (apiVersion and kind are required).",
        "crd" => "A CustomResourceDefinition in the inputs could not be used as a schema.",
        "input" => "An input could not be read.",
        _ => "A kvet finding.",
    }
}
