//! The catalog and validator on their own: built-in kinds, strictness, CRDs, schema locations.
#![recursion_limit = "256"]

use kvet_schema::{
    embedded_versions, expand_location, Keyword, KubeVersion, Lookup, SchemaCatalog, SchemaFetcher,
    SchemaOptions, Violation,
};
use serde_json::{json, Value};
use std::sync::Arc;

fn v(s: &str) -> KubeVersion {
    s.parse().expect("version")
}

fn catalog(version: &str, strict: bool) -> SchemaCatalog {
    SchemaCatalog::new(
        v(version),
        SchemaOptions {
            strict,
            ..SchemaOptions::default()
        },
    )
    .expect("catalog")
}

fn validate(c: &SchemaCatalog, obj: &Value) -> Vec<Violation> {
    let api = obj["apiVersion"].as_str().unwrap_or_default();
    let kind = obj["kind"].as_str().unwrap_or_default();
    match c.lookup(api, kind) {
        Lookup::Found(val) => val.validate(obj),
        Lookup::Missing => panic!("no schema for {api} {kind}"),
        Lookup::Failed(e) => panic!("{e}"),
    }
}

fn brief(vs: &[Violation]) -> Vec<(String, Keyword, String)> {
    vs.iter()
        .map(|x| (x.pointer.clone(), x.keyword, x.message.clone()))
        .collect()
}

fn pod(container: Value) -> Value {
    json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"},
           "spec": {"containers": [container]}})
}

#[test]
fn versions_are_1_25_to_1_37() {
    let vs = embedded_versions();
    assert_eq!(vs.first().map(ToString::to_string).as_deref(), Some("1.25"));
    assert_eq!(vs.last().map(ToString::to_string).as_deref(), Some("1.37"));
    assert_eq!(vs.len(), 13);
    assert_eq!(v("v1.30.2"), v("1.30"));
    assert!("1".parse::<KubeVersion>().is_err());
    assert!(SchemaCatalog::new(v("1.12"), SchemaOptions::default()).is_err());
}

#[test]
fn valid_built_ins_pass() {
    let c = catalog("1.37", true);
    let objs = [
        pod(json!({"name": "a", "image": "nginx", "ports": [{"containerPort": 80}]})),
        json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "s"},
               "spec": {"ports": [{"port": 80, "targetPort": "http"}]}}),
        json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}, "data": {"a": "b"}}),
        json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "d"},
               "spec": {"selector": {"matchLabels": {"a": "b"}},
                        "template": {"metadata": {"labels": {"a": "b"}},
                                     "spec": {"containers": [{"name": "a", "image": "x",
                                        "resources": {"limits": {"cpu": 0.5, "memory": "1Gi"}}}]}}}}),
    ];
    for o in &objs {
        assert_eq!(brief(&validate(&c, o)), vec![], "{o}");
    }
}

#[test]
fn violations_carry_pointer_keyword_and_message() {
    let c = catalog("1.37", true);
    let o = pod(
        json!({"name": "a", "image": 5, "imagePullPolicy": "Sometimes", "bogus": 1,
                      "resources": {"limits": {"cpu": "1 core"}}, "ports": [{"containerPort": 2147483648u64}]}),
    );
    let got = brief(&validate(&c, &o));
    let p = "/spec/containers/0";
    assert_eq!(
        got,
        vec![
            (format!("{p}/image"), Keyword::Type, "expected string, got integer 5".into()),
            (format!("{p}/imagePullPolicy"), Keyword::Enum, "\"Sometimes\" is not one of \"Always\", \"Never\", \"IfNotPresent\"".into()),
            (format!("{p}/bogus"), Keyword::UnknownField, "unknown field \"bogus\"".into()),
            (format!("{p}/resources/limits/cpu"), Keyword::Format, "\"1 core\" is not a valid quantity (a number with an optional suffix, such as 100m, 1.5, 128Mi, 1G or 1e3)".into()),
            (format!("{p}/ports/0/containerPort"), Keyword::Format, "2147483648 is out of range for int32".into()),
        ]
    );
    let unknown = validate(&c, &o)
        .into_iter()
        .find(|x| x.keyword == Keyword::UnknownField);
    assert!(unknown.is_some_and(|x| x.at_key));
    let missing = validate(&c, &pod(json!({"image": "x"})));
    assert_eq!(
        brief(&missing),
        vec![(
            p.to_owned(),
            Keyword::Required,
            "missing required field \"name\"".into()
        )]
    );
}

#[test]
fn strict_mode_is_exactly_unknown_fields() {
    let o = pod(json!({"name": "a", "image": "x", "imagePullPolicyy": "Always"}));
    assert_eq!(validate(&catalog("1.37", true), &o).len(), 1);
    assert!(validate(&catalog("1.37", false), &o).is_empty());
    // Free-form maps (labels, data) never have unknown fields.
    let cm = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c", "labels": {"x": "y"}}, "data": {"anything": "goes"}});
    assert!(validate(&catalog("1.37", true), &cm).is_empty());
}

#[test]
fn nulls_are_accepted_where_kubernetes_accepts_them() {
    let o = pod(json!({"name": "a", "image": "x", "args": null, "resources": null}));
    assert!(validate(&catalog("1.37", true), &o).is_empty());
}

#[test]
fn removed_and_added_apis() {
    let c = catalog("1.37", true);
    assert!(matches!(
        c.lookup("policy/v1beta1", "PodSecurityPolicy"),
        Lookup::Missing
    ));
    assert!(c
        .versions_with("policy/v1beta1", "PodSecurityPolicy")
        .is_empty());
    assert!(matches!(
        c.lookup("batch/v1beta1", "CronJob"),
        Lookup::Missing
    ));
    // ValidatingAdmissionPolicy went GA in 1.30.
    let vap = "admissionregistration.k8s.io/v1";
    assert!(matches!(
        catalog("1.29", true).lookup(vap, "ValidatingAdmissionPolicy"),
        Lookup::Missing
    ));
    assert!(matches!(
        catalog("1.30", true).lookup(vap, "ValidatingAdmissionPolicy"),
        Lookup::Found(_)
    ));
    let with = c.versions_with(vap, "ValidatingAdmissionPolicy");
    assert_eq!(
        with.first().map(ToString::to_string).as_deref(),
        Some("1.30")
    );
}

fn crd() -> Value {
    json!({
      "apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
      "metadata": {"name": "widgets.example.com"},
      "spec": {"group": "example.com", "scope": "Namespaced",
        "names": {"kind": "Widget", "plural": "widgets"},
        "versions": [
          {"name": "v1", "served": true, "storage": true, "schema": {"openAPIV3Schema": {
            "type": "object",
            "properties": {"spec": {"type": "object", "required": ["size"], "properties": {
              "size": {"type": "integer", "minimum": 1, "maximum": 5},
              "name": {"type": "string", "pattern": "^[a-z]+$", "maxLength": 8},
              "port": {"x-kubernetes-int-or-string": true},
              "color": {"type": "string", "enum": ["red", "blue"]},
              "extra": {"type": "object", "x-kubernetes-preserve-unknown-fields": true},
              "template": {"type": "object", "x-kubernetes-embedded-resource": true,
                           "properties": {"spec": {"type": "object", "x-kubernetes-preserve-unknown-fields": true}}},
              "tags": {"type": "array", "items": {"type": "string"}, "x-kubernetes-list-type": "set"},
              "ports": {"type": "array", "x-kubernetes-list-type": "map", "x-kubernetes-list-map-keys": ["name"],
                        "items": {"type": "object", "required": ["name"], "properties": {"name": {"type": "string"}, "port": {"type": "integer"}}}},
              "labels": {"type": "object", "additionalProperties": {"type": "string"}}
            }}}}}},
          {"name": "v2", "served": true, "storage": false, "schema": {"openAPIV3Schema": {
            "type": "object", "properties": {"spec": {"type": "object", "properties": {"replicas": {"type": "integer"}}}}}}},
          {"name": "v0", "served": false, "storage": false}
        ]}
    })
}

#[test]
fn crds_supply_schemas_for_every_served_version() {
    let c = catalog("1.37", true);
    let added = c.add_crd(&crd()).expect("crd");
    assert_eq!(
        added,
        vec![
            ("example.com/v1".to_owned(), "Widget".to_owned()),
            ("example.com/v2".to_owned(), "Widget".to_owned())
        ]
    );
    let good = json!({"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w", "labels": {"a": "b"}},
        "spec": {"size": 3, "name": "abc", "port": "http", "color": "red", "extra": {"free": {"form": 1}},
                 "template": {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "x"}, "spec": {"anything": true}},
                 "tags": ["a", "b"], "ports": [{"name": "a", "port": 1}, {"name": "b"}], "labels": {"k": "v"}}});
    assert_eq!(brief(&validate(&c, &good)), vec![]);
    let bad = json!({"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w", "nmae": "typo"},
        "spec": {"size": 9, "name": "ABCDEFGHIJ", "port": 1.5, "color": "green", "unknown": 1,
                 "template": {"kind": 3}, "tags": ["a", "a"], "ports": [{"name": "a"}, {"name": "a"}], "labels": {"k": 1}}});
    let got = brief(&validate(&c, &bad));
    let msgs: Vec<(&str, &str)> = got
        .iter()
        .map(|(p, _, m)| (p.as_str(), m.as_str()))
        .collect();
    assert_eq!(
        msgs,
        vec![
            ("/metadata/nmae", "unknown field \"nmae\""),
            (
                "/spec/size",
                "9 is greater than the maximum: must be at most 5"
            ),
            (
                "/spec/name",
                "\"ABCDEFGHIJ\" does not match the pattern ^[a-z]+$"
            ),
            ("/spec/name", "\"ABCDEFGHIJ\" is longer than 8 characters"),
            ("/spec/port", "expected string or integer, got number 1.5"),
            ("/spec/color", "\"green\" is not one of \"red\", \"blue\""),
            ("/spec/unknown", "unknown field \"unknown\""),
            ("/spec/template/kind", "expected string, got integer 3"),
            ("/spec/tags/1", "duplicate value \"a\""),
            ("/spec/ports/1", "duplicate entry with name=\"a\""),
            ("/spec/labels/k", "expected string, got integer 1"),
        ]
    );
    let missing = json!({"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w"}, "spec": {}});
    assert_eq!(
        brief(&validate(&c, &missing))[0].2,
        "missing required field \"size\""
    );
    // v2 has its own schema; v0 is not served.
    let v2 = json!({"apiVersion": "example.com/v2", "kind": "Widget", "metadata": {"name": "w"}, "spec": {"replicas": "x"}});
    assert_eq!(
        brief(&validate(&c, &v2))[0].2,
        "expected integer, got string \"x\""
    );
    assert!(matches!(
        c.lookup("example.com/v0", "Widget"),
        Lookup::Missing
    ));
    // Non-strict: unknown fields are pruned silently, other rules still apply.
    let lax = catalog("1.37", false);
    lax.add_crd(&crd()).expect("crd");
    let got = validate(&lax, &bad);
    assert!(got.iter().all(|x| x.keyword != Keyword::UnknownField));
    assert_eq!(got.len(), 9);
}

#[test]
fn broken_crds_are_errors_not_panics() {
    let c = catalog("1.37", true);
    assert!(c
        .add_crd(&json!({"apiVersion": "v1", "kind": "CustomResourceDefinition"}))
        .is_err());
    assert!(c.add_crd(&json!({"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition", "spec": {}})).is_err());
    let mut bad_pattern = crd();
    bad_pattern["spec"]["versions"][0]["schema"]["openAPIV3Schema"]["properties"]["spec"]
        ["properties"]["name"]["pattern"] = json!("([a-z");
    let e = c.add_crd(&bad_pattern).expect_err("bad regex");
    assert!(e.to_string().contains("not a valid regex"), "{e}");
}

#[test]
fn kubeconform_location_templates() {
    let t = "https://example.com/{{ .NormalizedKubernetesVersion }}-standalone{{ .StrictSuffix }}/{{ .ResourceKind }}{{ .KindSuffix }}.json";
    assert_eq!(
        expand_location(t, "apps/v1", "Deployment", v("1.30"), true).unwrap(),
        "https://example.com/v1.30.0-standalone-strict/deployment-apps-v1.json"
    );
    assert_eq!(
        expand_location("schemas", "v1", "Pod", v("1.30"), false).unwrap(),
        "schemas/v1.30.0-standalone/pod-v1.json"
    );
    assert_eq!(
        expand_location(
            "crds/{{.Group}}/{{.ResourceKind}}_{{.ResourceAPIVersion}}.json",
            "cert-manager.io/v1",
            "Certificate",
            v("1.30"),
            true
        )
        .unwrap(),
        "crds/cert-manager.io/certificate_v1.json"
    );
    assert_eq!(
        expand_location(
            "x/{{ .ResourceKind }}{{ .KindSuffix }}.json",
            "networking.k8s.io/v1",
            "Ingress",
            v("1.30"),
            true
        )
        .unwrap(),
        "x/ingress-networking-v1.json"
    );
    assert!(expand_location("x/{{ .Nope }}.json", "v1", "Pod", v("1.30"), true).is_err());
}

struct Files(Vec<(String, Vec<u8>)>);

impl SchemaFetcher for Files {
    fn fetch(&self, location: &str) -> Result<Option<Vec<u8>>, String> {
        Ok(self
            .0
            .iter()
            .find(|(k, _)| k == location)
            .map(|(_, v)| v.clone()))
    }
}

#[test]
fn schema_locations_are_tried_in_order_then_default() {
    let widget = json!({"type": "object", "properties": {"spec": {"$ref": "#/definitions/Spec"}},
                        "definitions": {"Spec": {"type": "object", "properties": {"n": {"type": "integer"}}, "additionalProperties": false}}});
    let fetcher = Files(vec![(
        "loc/widget-example-v1.json".into(),
        serde_json::to_vec(&widget).unwrap(),
    )]);
    let c = SchemaCatalog::new(
        v("1.37"),
        SchemaOptions {
            strict: true,
            locations: vec![
                "loc/{{ .ResourceKind }}{{ .KindSuffix }}.json".into(),
                "default".into(),
            ],
            fetcher: Some(Arc::new(fetcher)),
        },
    )
    .unwrap();
    let w = json!({"apiVersion": "example.com/v1", "kind": "Widget", "spec": {"n": "x", "m": 1}});
    let got = brief(&validate(&c, &w));
    assert_eq!(got.len(), 2, "{got:?}");
    assert_eq!(got[0].0, "/spec/n");
    assert_eq!(got[1].0, "/spec/m");
    // Built-ins fall through to the embedded catalog.
    assert!(validate(&c, &pod(json!({"name": "a", "image": "x"}))).is_empty());
    assert!(matches!(
        c.lookup("example.com/v1", "Gadget"),
        Lookup::Missing
    ));
}
