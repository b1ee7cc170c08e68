//! Schema locations: kubeconform templates, the order of locations, and fetched documents.

mod common;

use common::*;
use kvet_schema::{Keyword, Lookup, SchemaCatalog, SchemaFetcher, SchemaOptions};
use serde_json::{json, Value};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// An in-memory fetcher that records what it was asked for.
#[derive(Default)]
struct Files {
    docs: HashMap<String, Result<Vec<u8>, String>>,
    asked: Mutex<Vec<String>>,
}

impl Files {
    fn with(mut self, location: &str, doc: &Value) -> Self {
        self.docs.insert(
            location.to_owned(),
            Ok(serde_json::to_vec(doc).unwrap_or_default()),
        );
        self
    }

    fn raw(mut self, location: &str, doc: Result<&[u8], &str>) -> Self {
        self.docs.insert(
            location.to_owned(),
            doc.map(<[u8]>::to_vec).map_err(str::to_owned),
        );
        self
    }

    fn asked(&self) -> Vec<String> {
        self.asked.lock().map(|a| a.clone()).unwrap_or_default()
    }
}

impl SchemaFetcher for Files {
    fn fetch(&self, location: &str) -> Result<Option<Vec<u8>>, String> {
        if let Ok(mut a) = self.asked.lock() {
            a.push(location.to_owned());
        }
        self.docs.get(location).cloned().transpose()
    }
}

fn with_locations(files: Arc<Files>, locations: &[&str], strict: bool) -> SchemaCatalog {
    SchemaCatalog::new(
        v("1.37"),
        SchemaOptions {
            strict,
            locations: locations.iter().map(|s| s.to_string()).collect(),
            fetcher: Some(files),
        },
    )
    .expect("catalog")
}

fn widget_schema() -> Value {
    json!({"type": "object", "properties": {
        "spec": {"$ref": "#/definitions/Spec"},
        "port": {"oneOf": [{"type": "string"}, {"type": "integer"}], "format": "int-or-string"}},
        "definitions": {"Spec": {"type": "object", "properties": {"n": {"type": "integer"}}, "additionalProperties": false}}})
}

#[test]
fn locations_are_tried_in_order_and_default_means_embedded() {
    let files = Arc::new(Files::default().with("second/widget-example-v1.json", &widget_schema()));
    let c = with_locations(
        files.clone(),
        &[
            "first/{{ .ResourceKind }}{{ .KindSuffix }}.json",
            "second/{{ .ResourceKind }}{{ .KindSuffix }}.json",
            "default",
        ],
        true,
    );
    let w = json!({"apiVersion": "example.com/v1", "kind": "Widget", "spec": {"n": "x", "m": 1}, "port": true});
    assert_eq!(
        brief(&validate(&c, &w)),
        vec![
            row(
                "/spec/n",
                Keyword::Type,
                "expected integer, got string \"x\""
            ),
            row("/spec/m", Keyword::UnknownField, "unknown field \"m\""),
            row(
                "/port",
                Keyword::Type,
                "expected integer or string, got boolean true"
            ),
        ]
    );
    // Compiled once: a second lookup fetches nothing.
    let _ = c.lookup("example.com/v1", "Widget");
    assert_eq!(
        files.asked(),
        vec![
            "first/widget-example-v1.json",
            "second/widget-example-v1.json"
        ]
    );
    // Built-ins are found in neither location, then in the embedded schemas.
    assert!(validate(&c, &pod(json!({"name": "a", "image": "x"}))).is_empty());
    assert!(matches!(
        c.lookup("example.com/v1", "Gadget"),
        Lookup::Missing
    ));
}

#[test]
fn without_default_the_embedded_schemas_are_not_used() {
    let files = Arc::new(Files::default());
    let c = with_locations(files.clone(), &["https://schemas.invalid/k8s"], false);
    assert!(matches!(c.lookup("v1", "Pod"), Lookup::Missing));
    // A location without "json" at the end gets kubeconform's standard layout.
    assert_eq!(
        files.asked(),
        vec!["https://schemas.invalid/k8s/v1.37.0-standalone/pod-v1.json"]
    );
    let strict = Arc::new(Files::default());
    let c = with_locations(strict.clone(), &["https://schemas.invalid/k8s"], true);
    assert!(matches!(c.lookup("apps/v1", "Deployment"), Lookup::Missing));
    assert_eq!(
        strict.asked(),
        vec!["https://schemas.invalid/k8s/v1.37.0-standalone-strict/deployment-apps-v1.json"]
    );
}

#[test]
fn failures_stop_the_search_and_say_why() {
    let files = Arc::new(
        Files::default()
            .raw("a/pod-v1.json", Err("connection refused"))
            .raw("a/service-v1.json", Ok(b"<html>not json</html>"))
            .with(
                "a/configmap-v1.json",
                &json!({"$ref": "_definitions.json#/definitions/Nope"}),
            ),
    );
    let c = with_locations(
        files,
        &["a/{{ .ResourceKind }}{{ .KindSuffix }}.json", "default"],
        true,
    );
    let failed = |kind: &str| match c.lookup("v1", kind) {
        Lookup::Failed(why) => why,
        other => format!("not a failure: {other:?}"),
    };
    assert_eq!(failed("Pod"), "connection refused");
    assert!(
        failed("Service").starts_with("a/service-v1.json is not JSON:"),
        "{}",
        failed("Service")
    );
    assert_eq!(
        failed("ConfigMap"),
        "a/configmap-v1.json: $ref \"_definitions.json#/definitions/Nope\": a/_definitions.json not found"
    );
    let bad_template = with_locations(Arc::new(Files::default()), &["x/{{ .Kind }}.json"], true);
    assert!(matches!(
        bad_template.lookup("v1", "Pod"),
        Lookup::Failed(_)
    ));
    let no_fetcher = SchemaCatalog::new(
        v("1.37"),
        SchemaOptions {
            locations: vec!["x".into()],
            ..SchemaOptions::default()
        },
    )
    .expect("catalog");
    assert!(matches!(no_fetcher.lookup("v1", "Pod"), Lookup::Failed(_)));
}

#[test]
fn references_into_neighbouring_documents_resolve_and_are_fetched_once() {
    let defs = json!({"definitions": {
        "PodSpec": {"type": "object", "required": ["containers"], "properties": {
            "containers": {"type": "array", "items": {"$ref": "#/definitions/Container"}}}},
        "Container": {"type": "object", "required": ["name"], "properties": {
            "name": {"type": "string"}, "ports": {"type": "array", "items": {"$ref": "../common/port.json"}}}}}});
    let pod_schema = json!({"type": "object", "properties": {"spec": {"$ref": "_definitions.json#/definitions/PodSpec"}}});
    let job_schema = json!({"type": "object", "properties": {"spec": {"type": "object", "properties": {
        "template": {"$ref": "https://s.invalid/v1/_definitions.json#/definitions/PodSpec"}}}}});
    let port = json!({"type": "object", "properties": {"containerPort": {"type": "integer", "maximum": 65535}}});
    let files = Arc::new(
        Files::default()
            .with("https://s.invalid/v1/pod-v1.json", &pod_schema)
            .with("https://s.invalid/v1/job-batch-v1.json", &job_schema)
            .with("https://s.invalid/v1/_definitions.json", &defs)
            .with("https://s.invalid/common/port.json", &port),
    );
    let c = with_locations(
        files.clone(),
        &["https://s.invalid/v1/{{ .ResourceKind }}{{ .KindSuffix }}.json"],
        true,
    );
    let p = json!({"apiVersion": "v1", "kind": "Pod",
                   "spec": {"containers": [{"ports": [{"containerPort": 70000}]}]}});
    assert_eq!(
        brief(&validate(&c, &p)),
        vec![
            row(
                "/spec/containers/0",
                Keyword::Required,
                "missing required field \"name\""
            ),
            row(
                "/spec/containers/0/ports/0/containerPort",
                Keyword::Maximum,
                "70000 is greater than the maximum of 65535"
            ),
        ]
    );
    let j = json!({"apiVersion": "batch/v1", "kind": "Job", "spec": {"template": {}}});
    assert_eq!(
        brief(&validate(&c, &j)),
        vec![row(
            "/spec/template",
            Keyword::Required,
            "missing required field \"containers\""
        )]
    );
    let asked = files.asked();
    let defs_fetches = asked
        .iter()
        .filter(|a| a.ends_with("_definitions.json"))
        .count();
    assert_eq!(defs_fetches, 1, "{asked:?}");
}
