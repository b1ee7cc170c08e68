//! Policies see the admission request: Gatekeeper templates as `input.review` (operation,
//! userInfo, oldObject, dryRun …), other policies as `data.kvet.review`; `kvet check` shows
//! them a CREATE by user `kvet`, as Gatekeeper's gator does. Exceptions selecting by file do
//! not apply to admission requests.

mod common;

use common::{pod, review, start_with};
use kvet_engine::{check, CheckOptions, PolicySources, Severity, SourceFile};
use serde_json::{json, Value};
use std::sync::Arc;

const CONFIG: &str = "policySets: [none]\npolicies: [policies]\n";

const DENY_USERS: &str = r#"apiVersion: templates.gatekeeper.sh/v1
kind: ConstraintTemplate
metadata:
  name: k8sdenyusers
spec:
  crd:
    spec:
      names:
        kind: K8sDenyUsers
  targets:
    - target: admission.k8s.gatekeeper.sh
      rego: |
        package k8sdenyusers

        violation[{"msg": msg}] {
          user := input.review.userInfo.username
          user == input.parameters.users[_]
          not dry_run
          msg := sprintf("%s may not %s %s %s", [user, lower(input.review.operation), input.review.kind.kind, input.review.name])
        }

        dry_run {
          input.review.dryRun
        }
---
apiVersion: constraints.gatekeeper.sh/v1beta1
kind: K8sDenyUsers
metadata:
  name: no-mallory
spec:
  parameters:
    users: [mallory]
"#;

const IMMUTABLE_LABEL: &str = r#"apiVersion: templates.gatekeeper.sh/v1
kind: ConstraintTemplate
metadata:
  name: k8simmutablelabel
spec:
  crd:
    spec:
      names:
        kind: K8sImmutableLabel
  targets:
    - target: admission.k8s.gatekeeper.sh
      rego: |
        package k8simmutablelabel

        violation[{"msg": msg, "details": {"_loc": sprintf("/metadata/labels/%s", [key])}}] {
          input.review.operation == "UPDATE"
          key := input.parameters.label
          was := input.review.oldObject.metadata.labels[key]
          now := object.get(object.get(input.review.object.metadata, "labels", {}), key, "")
          was != now
          msg := sprintf("label %s may not change (was %q, now %q)", [key, was, now])
        }
---
apiVersion: constraints.gatekeeper.sh/v1beta1
kind: K8sImmutableLabel
metadata:
  name: team
spec:
  match:
    kinds:
      - apiGroups: [""]
        kinds: [Pod]
  parameters:
    label: team
"#;

/// A conftest-style policy reading the request from `data.kvet.review`.
const CONFTEST: &str = r#"package main

import rego.v1

warn contains msg if {
	msg := sprintf("%s of %s/%s by %s", [data.kvet.review.operation, data.kvet.review.kind.kind, data.kvet.review.name, data.kvet.review.userInfo.username])
}

deny contains msg if {
	data.kvet.review.operation == "UPDATE"
	some i, c in input.spec.containers
	old := data.kvet.review.oldObject.spec.containers[i]
	old.image != c.image
	msg := sprintf("container %s changed image from %s to %s", [c.name, old.image, c.image])
}
"#;

fn files() -> Vec<(&'static str, &'static str)> {
    vec![
        (".kvet.yaml", CONFIG),
        ("policies/deny-users.yaml", DENY_USERS),
        ("policies/immutable-label.yaml", IMMUTABLE_LABEL),
        ("policies/review.rego", CONFTEST),
    ]
}

fn labelled(team: &str, image: &str) -> Value {
    let mut p = pod("web", image);
    p["metadata"]["labels"] = json!({"team": team});
    p
}

fn message(r: &Value) -> &str {
    r["status"]["message"].as_str().unwrap_or("")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gatekeeper_templates_see_user_info_and_dry_run() {
    let h = start_with(&files()).await;
    let obj = labelled("a", "nginx:1.27.3");
    let r = h.review(&review("u-1", "CREATE", Some(&obj), None)).await;
    assert_eq!(r["allowed"], true, "{r}");
    assert_eq!(
        r["warnings"],
        json!(["[main.warn] CREATE of Pod/web by alice"])
    );

    let mut rv = review("u-2", "CREATE", Some(&obj), None);
    rv["request"]["userInfo"]["username"] = json!("mallory");
    let r = h.review(&rv).await;
    assert_eq!(r["allowed"], false, "{r}");
    assert_eq!(
        message(&r),
        "kvet: Pod shop/web has 1 policy violation:\n[K8sDenyUsers/no-mallory] mallory may not create Pod web"
    );
    assert_eq!(
        r["auditAnnotations"]["denied-by"],
        "K8sDenyUsers/no-mallory"
    );
    assert_eq!(
        r["warnings"],
        json!(["[main.warn] CREATE of Pod/web by mallory"])
    );

    // The template lets mallory's dry runs through.
    rv["request"]["uid"] = json!("u-3");
    rv["request"]["dryRun"] = json!(true);
    let r = h.review(&rv).await;
    assert_eq!(r["allowed"], true, "{r}");
    h.server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn updates_are_compared_with_the_old_object() {
    let h = start_with(&files()).await;
    let old = labelled("a", "nginx:1.27.3");
    // Same label, same image: allowed.
    let r = h
        .review(&review("up-1", "UPDATE", Some(&old), Some(&old)))
        .await;
    assert_eq!(r["allowed"], true, "{r}");
    assert_eq!(
        r["warnings"],
        json!(["[main.warn] UPDATE of Pod/web by alice"])
    );
    // The label changes: the template compares oldObject with object.
    let relabelled = labelled("b", "nginx:1.27.3");
    let r = h
        .review(&review("up-2", "UPDATE", Some(&relabelled), Some(&old)))
        .await;
    assert_eq!(r["allowed"], false, "{r}");
    assert_eq!(
        message(&r),
        "kvet: Pod shop/web has 1 policy violation:\n[K8sImmutableLabel/team] /metadata/labels/team: label team may not change (was \"a\", now \"b\")"
    );
    // The same object created afresh has nothing to compare with.
    let r = h
        .review(&review("up-3", "CREATE", Some(&relabelled), None))
        .await;
    assert_eq!(r["allowed"], true, "{r}");
    // The image changes: the conftest-style policy reads data.kvet.review.oldObject.
    let new_image = labelled("a", "nginx:1.27.4");
    let r = h
        .review(&review("up-4", "UPDATE", Some(&new_image), Some(&old)))
        .await;
    assert_eq!(r["allowed"], false, "{r}");
    assert_eq!(
        message(&r),
        "kvet: Pod shop/web has 1 policy violation:\n[main.deny] container app changed image from nginx:1.27.3 to nginx:1.27.4"
    );
    // Requests interleaved on the same workers never see each other's review.
    let r = h
        .review(&review("up-5", "CREATE", Some(&new_image), None))
        .await;
    assert_eq!(r["allowed"], true, "{r}");
    assert_eq!(
        r["warnings"],
        json!(["[main.warn] CREATE of Pod/web by alice"])
    );
    h.server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kvet_check_presents_a_create_by_kvet() {
    let h = start_with(&files()).await;
    let policies = h.dir.path().join("policies");
    let sources = PolicySources {
        policies: vec![policies],
        ..Default::default()
    };
    let version = *kvet_engine::embedded_versions().last().expect("a version");
    let text = serde_json::to_string(&labelled("a", "nginx:1.27.3")).expect("json");
    let file = SourceFile::new("pod.json".to_owned(), text);
    let mut opts = CheckOptions::new(version);
    opts.policies = kvet_engine::load_policies(&sources, std::slice::from_ref(&file))
        .expect("policies")
        .map(Arc::new);
    let report = check(std::slice::from_ref(&file), opts).expect("check");
    let got: Vec<(String, Severity, String)> = report
        .findings
        .iter()
        .map(|f| (f.rule.clone(), f.severity, f.message.clone()))
        .collect();
    assert_eq!(
        got,
        vec![(
            "main.warn".to_owned(),
            Severity::Warning,
            "CREATE of Pod/web by kvet".to_owned()
        )]
    );
    h.server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exceptions_selecting_by_file_do_not_apply_to_admission_requests() {
    let config = r#"policySets: [tag-pinning]
exceptions:
  - rules: [tag-pinning]
    match:
      - {file: "**"}
    approvedBy: platform
    reason: vendored manifests
  - rules: [tag-pinning]
    match:
      - {file: "legacy/**", name: "*"}
      - {namespace: legacy}
    approvedBy: ops
    reason: legacy namespace
"#;
    let h = start_with(&[(".kvet.yaml", config)]).await;
    // Every path would match `**`, but an admission request comes from no file.
    let r = h
        .review(&review(
            "x-1",
            "CREATE",
            Some(&pod("web", "nginx:latest")),
            None,
        ))
        .await;
    assert_eq!(r["allowed"], false, "{r}");
    assert_eq!(r["auditAnnotations"]["denied-by"], "tag-pinning");
    // The second exception's other selector still applies.
    let mut legacy = pod("web", "nginx:latest");
    legacy["metadata"]["namespace"] = json!("legacy");
    let r = h
        .review(&review("x-2", "CREATE", Some(&legacy), None))
        .await;
    assert_eq!(r["allowed"], true, "{r}");
    let logs = h.logs();
    assert!(
        logs.contains("the exception for tag-pinning (approved by platform) selects objects only by file, which admission requests do not have; kvet serve ignores it"),
        "{logs}"
    );
    assert!(
        logs.contains("the exception for tag-pinning (approved by ops) has selectors naming a file, which admission requests do not have; kvet serve applies only its other selectors"),
        "{logs}"
    );
    h.server.shutdown().await;
}
