//! conftest-style policies from fixtures/policies, evaluated on real manifests.

use kvet_policy::{read_data, Decision, Level, Namespaces, PolicySetBuilder};
use serde_json::json;
use std::path::{Path, PathBuf};
use std::time::Duration;

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/policies")
}

fn read(rel: &str) -> String {
    std::fs::read_to_string(fixtures().join(rel)).expect("fixture")
}

fn builder(modules: &[&str]) -> PolicySetBuilder {
    let mut b = PolicySetBuilder::new();
    for m in modules {
        b.module(*m, read(m));
    }
    b
}

fn objects() -> Vec<serde_json::Value> {
    kvet_yaml::parse_stream(&read("manifests/apps.yaml"), &Default::default())
        .documents
        .into_iter()
        .map(|d| d.value)
        .collect()
}

fn brief(ds: &[Decision]) -> Vec<(&str, Level, &str, Option<&str>)> {
    ds.iter()
        .map(|d| {
            (
                d.rule.as_str(),
                d.level,
                d.message.as_str(),
                d.pointer.as_deref(),
            )
        })
        .collect()
}

#[test]
fn deny_warn_and_named_rules_with_exceptions() {
    let set = builder(&["conftest/main.rego"]).build().expect("policies");
    assert_eq!(
        set.rule_ids(),
        vec!["main.deny", "main.deny_latest_tag", "main.warn"]
    );
    let mut ev = set.evaluator();
    let objs = objects();
    assert_eq!(
        brief(&ev.evaluate(&objs[0]).unwrap()),
        vec![
            (
                "main.deny",
                Level::Deny,
                "Deployment web must set spec.template.spec.securityContext.runAsNonRoot",
                None
            ),
            (
                "main.deny_latest_tag",
                Level::Deny,
                "container web uses the mutable tag latest",
                Some("/spec/template/spec/containers/0/image")
            ),
        ]
    );
    // "legacy" is excepted from latest_tag and sets runAsNonRoot.
    assert_eq!(brief(&ev.evaluate(&objs[1]).unwrap()), vec![]);
    assert_eq!(
        brief(&ev.evaluate(&objs[2]).unwrap()),
        vec![(
            "main.warn",
            Level::Warn,
            "NodePort Services bypass the ingress controller",
            None
        )]
    );
}

#[test]
fn namespaces_select_packages_and_data_feeds_rules() {
    let modules = ["conftest/main.rego", "conftest/labels.rego"];
    // Default namespace: only main.
    let set = builder(&modules).build().expect("policies");
    assert!(!set
        .rule_ids()
        .iter()
        .any(|r| r == "kubernetes.labels.violation"));
    // A glob selects the v0-syntax package; its rule reads data.required_labels.
    let mut b = builder(&modules);
    b.namespaces(Namespaces::Matching(vec!["kubernetes.*".into()]));
    b.data(
        "conftest/data.yaml",
        read_data("conftest/data.yaml", &read("conftest/data.yaml")).unwrap(),
    )
    .unwrap();
    let set = b.build().expect("policies");
    assert_eq!(set.rule_ids(), vec!["kubernetes.labels.violation"]);
    let decisions = set.evaluator().evaluate(&objects()[1]).unwrap();
    assert_eq!(
        brief(&decisions),
        vec![(
            "kubernetes.labels.violation",
            Level::Deny,
            "missing required label \"team\"",
            Some("/metadata/labels")
        )]
    );
    assert_eq!(decisions[0].metadata, Some(json!({"team": "platform"})));
    // All namespaces.
    let mut b = builder(&modules);
    b.namespaces(Namespaces::All);
    assert_eq!(b.build().unwrap().rule_ids().len(), 4);
}

#[test]
fn malformed_policies_are_located() {
    let e = builder(&["broken/syntax.rego"])
        .build()
        .expect_err("syntax error");
    assert_eq!(
        (e[0].file.as_str(), e[0].line, e[0].column),
        ("broken/syntax.rego", 7, 25)
    );
    assert_eq!(e[0].message, "invalid character in string");
    let e = builder(&["broken/undefined.rego"])
        .build()
        .expect_err("undefined function");
    assert_eq!(
        (e[0].file.as_str(), e[0].line),
        ("broken/undefined.rego", 6)
    );
    assert!(
        e[0].message.contains("no_such_function"),
        "{}",
        e[0].message
    );
    // Several broken modules: every error is reported.
    let e = builder(&["broken/syntax.rego", "broken/undefined.rego"])
        .build()
        .expect_err("errors");
    assert!(!e.is_empty());
}

#[test]
fn a_runaway_policy_fails_its_object_not_the_run() {
    let mut b = builder(&["broken/loop.rego", "conftest/main.rego"]);
    b.time_limit(Some(Duration::from_millis(200)));
    let set = b.build().expect("policies");
    let mut ev = set.evaluator();
    let cm = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}});
    let err = ev.evaluate(&cm).expect_err("time limit");
    assert_eq!(err.rule, "main.deny");
    assert!(
        err.message.contains("time") || err.message.contains("limit"),
        "{}",
        err.message
    );
    // The same evaluator still serves the next object.
    assert_eq!(ev.evaluate(&objects()[2]).unwrap().len(), 1);
}

#[test]
fn conflicting_data_is_an_error() {
    let mut b = PolicySetBuilder::new();
    b.data("a.yaml", json!({"x": {"y": 1}})).unwrap();
    assert!(b.data("b.yaml", json!({"x": {"y": 2}})).is_err());
    assert!(b.data("c.yaml", json!({"x": {"z": 2}})).is_ok());
    assert!(b.data("d.yaml", json!([1])).is_err());
}
