//! An object checked as an already-parsed value (`Checker::check_value_with`, as `kvet serve`
//! checks an admission request's object) gets exactly the report of its compact JSON text
//! checked as a file: the same findings at the same positions, the same waivers and counts.

use kvet_engine::{
    input, load_policies, CheckOptions, Checker, Namespaces, PolicySources, SourceFile,
};
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::sync::Arc;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// A checker with every built-in policy set and the conftest fixture policies (some rules on
/// regorus's VM in batches, some on its interpreter).
fn checker() -> Checker {
    let version = *kvet_engine::embedded_versions().last().expect("schemas");
    let sources = PolicySources {
        sets: kvet_policy::builtin_policies()
            .into_iter()
            .map(|p| p.id.to_owned())
            .collect(),
        policies: vec![root().join("fixtures/policies/conftest")],
        data: vec![root().join("fixtures/policies/conftest/data.yaml")],
        namespaces: Namespaces::default(),
        time_limit: Some(std::time::Duration::from_secs(5)),
        ..Default::default()
    };
    let mut opts = CheckOptions::new(version);
    opts.self_waivable = vec!["*".to_owned()];
    let mut checker = Checker::new(opts).expect("checker");
    checker.set_policies(
        load_policies(&sources, &[])
            .expect("policies load")
            .map(Arc::new),
    );
    checker
}

/// Every document of the fixture manifests, and values made to reach the corners: lists,
/// documents that are not objects, integral floats, non-ASCII text, self-waivers.
fn values() -> Vec<Value> {
    let dirs = ["fixtures/manifests", "fixtures/pss", "fixtures/examples"];
    let (files, _) = input::load(&dirs.iter().map(|d| root().join(d)).collect::<Vec<_>>());
    let mut out: Vec<Value> = files
        .iter()
        .flat_map(|f| kvet_yaml::parse_stream(&f.text, &kvet_yaml::Limits::default()).documents)
        .map(|d| d.value)
        .collect();
    assert!(out.len() > 30, "only {} fixture documents", out.len());
    let pod = |name: &str, extra: Value| {
        let mut p = json!({
            "apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": name, "namespace": "shop", "labels": {"app": "ü→ß"}},
            "spec": {"containers": [
                {"name": "app", "image": "nginx:latest", "ports": [{"containerPort": 80.0}],
                 "securityContext": {"privileged": true, "capabilities": {"add": ["SYS_ADMIN"]}}},
                {"name": "sidecar", "image": "registry.example.com/é/side"}],
                "hostNetwork": true, "volumes": [{"name": "h", "hostPath": {"path": "/"}}]},
        });
        if let (Some(m), Value::Object(e)) = (p.as_object_mut(), extra) {
            m.extend(e);
        }
        p
    };
    out.push(pod("plain", json!({})));
    out.push(pod(
        "waiver",
        json!({"metadata": {"name": "waiver", "annotations": {
            "kvet.dev/waive": "pss-baseline/privileged,tag-pinning: reviewed ✓"}}}),
    ));
    out.push(json!({"apiVersion": "v1", "kind": "PodList", "items": [pod("a", json!({})), {"kind": "Pod"}, 3]}));
    out.push(json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "d"},
                    "spec": {"replicas": 2.0, "selector": {}, "template": {"spec": {"containers": [{"name": "c"}]}}}}));
    out.push(json!({"metadata": {"name": "no kind"}}));
    out.push(json!(["a", "sequence"]));
    out.push(json!("a scalar"));
    out.push(json!({"apiVersion": "example.com/v1", "kind": "Widget", "spec": {"size": 1.5}}));
    out
}

#[test]
fn a_parsed_value_is_checked_as_its_json_text() {
    let checker = checker();
    let mut by_file = checker.evaluator();
    let mut by_value = checker.evaluator();
    let mut findings = 0;
    for (i, v) in values().into_iter().enumerate() {
        let path = format!("<admission>/{i}");
        let text = serde_json::to_string(&v).expect("json");
        let expected = checker.check_file_with(&SourceFile::new(path.clone(), text), &mut by_file);
        let got = checker.check_value_with(&path, v.clone(), &mut by_value);
        assert_eq!(got.findings, expected.findings, "{v}");
        assert_eq!(got.waived, expected.waived, "{v}");
        assert_eq!(got.stats, expected.stats, "{v}");
        findings += got.findings.len() + got.waived.len();
    }
    assert!(findings > 50, "only {findings} findings compared");
}
