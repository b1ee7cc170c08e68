//! Built-in kinds against the embedded schemas: valid objects, every violation class with its
//! exact pointer and message, strictness, versions, and the format tables.

mod common;

use common::*;
use kvet_schema::{embedded_versions, Keyword, KubeVersion, Lookup, SchemaCatalog, SchemaOptions};
use serde_json::{json, Value};

#[test]
fn versions_are_1_25_to_1_37() {
    let vs = embedded_versions();
    let want: Vec<KubeVersion> = (25..=37).map(|m| KubeVersion::new(1, m)).collect();
    assert_eq!(vs, want);
    let err = SchemaCatalog::new(v("1.24"), SchemaOptions::default())
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert_eq!(
        err,
        "Kubernetes 1.24 schemas are not embedded in this build; available: 1.25, 1.26, 1.27, 1.28, \
         1.29, 1.30, 1.31, 1.32, 1.33, 1.34, 1.35, 1.36, 1.37"
    );
}

fn valid_objects() -> Vec<Value> {
    vec![
        deployment(),
        pod(
            json!({"name": "a", "image": "nginx", "ports": [{"containerPort": 80}],
                   "resources": {"limits": {"cpu": 0.5, "memory": "1Gi"}}}),
        ),
        json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "s"},
               "spec": {"type": "ClusterIP", "selector": {"app": "web"},
                        "ports": [{"name": "http", "port": 80, "targetPort": "http"},
                                  {"name": "metrics", "port": 9090, "targetPort": 9090, "protocol": "TCP"}]}}),
        json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"},
               "data": {"a.conf": "x = 1\n"}, "binaryData": {"b": "AAEC"}}),
        json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "db"}, "type": "Opaque",
               "data": {"password": "c2VjcmV0"}, "stringData": {"user": "admin"}}),
        json!({"apiVersion": "networking.k8s.io/v1", "kind": "Ingress", "metadata": {"name": "i"},
               "spec": {"ingressClassName": "nginx", "rules": [{"host": "shop.example.com", "http": {"paths": [
                   {"path": "/", "pathType": "Prefix", "backend": {"service": {"name": "s", "port": {"number": 80}}}}]}}]}}),
        json!({"apiVersion": "batch/v1", "kind": "CronJob", "metadata": {"name": "cj"},
               "spec": {"schedule": "*/5 * * * *", "concurrencyPolicy": "Forbid", "jobTemplate": {"spec": {"template": {
                   "spec": {"restartPolicy": "OnFailure", "containers": [{"name": "c", "image": "busybox"}]}}}}}}),
        json!({"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler", "metadata": {"name": "h"},
               "spec": {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "web"},
                        "minReplicas": 2, "maxReplicas": 10,
                        "metrics": [{"type": "Resource", "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": 70}}}]}}),
        json!({"apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": {"name": "data"},
               "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "10Gi"}}}}),
        json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role", "metadata": {"name": "r"},
               "rules": [{"apiGroups": [""], "resources": ["pods"], "verbs": ["get", "list"]}]}),
    ]
}

#[test]
fn valid_objects_pass_in_every_embedded_version() {
    for version in embedded_versions() {
        let c = catalog(&version.to_string(), true);
        for o in valid_objects() {
            assert_eq!(brief(&validate(&c, &o)), vec![], "{version}: {}", o["kind"]);
        }
    }
}

#[test]
fn each_violation_class_has_its_pointer_keyword_and_message() {
    let c = catalog("1.37", true);
    let mut d = deployment();
    d["spec"]["replicas"] = json!("3");
    d["spec"]["strategy"]["rollingUpdate"]["maxSurge"] = json!(true);
    let ctr = &mut d["spec"]["template"]["spec"]["containers"][0];
    ctr["imagePullPolicy"] = json!("Alwayss");
    ctr["imagePullPolicyy"] = json!("Always");
    ctr["resources"]["requests"]["memory"] = json!("1GB");
    ctr["resources"]["limits"]["cpu"] = json!(false);
    ctr["ports"][0]["containerPort"] = json!(2147483648u64);
    ctr["a/b~c"] = json!(1);
    if let Some(init) = d["spec"]["template"]["spec"]["initContainers"][0].as_object_mut() {
        init.remove("name");
    }
    d["metadata"]["creationTimestamp"] = json!("yesterday");
    d["spec"]["template"]["spec"]["activeDeadlineSeconds"] = json!(u64::MAX);
    let got = validate(&c, &d);
    let p = "/spec/template/spec/containers/0";
    assert_eq!(
        brief(&got),
        vec![
            row(
                "/metadata/creationTimestamp",
                Keyword::Format,
                "\"yesterday\" is not an RFC 3339 date-time such as 2006-01-02T15:04:05Z"
            ),
            row(
                "/spec/replicas",
                Keyword::Type,
                "expected integer, got string \"3\""
            ),
            row(
                "/spec/strategy/rollingUpdate/maxSurge",
                Keyword::Type,
                "expected integer or string, got boolean true"
            ),
            row(
                "/spec/template/spec/initContainers/0",
                Keyword::Required,
                "missing required field \"name\""
            ),
            row(
                &format!("{p}/imagePullPolicy"),
                Keyword::Enum,
                "\"Alwayss\" is not one of \"Always\", \"IfNotPresent\", \"Never\""
            ),
            row(
                &format!("{p}/ports/0/containerPort"),
                Keyword::Format,
                "2147483648 is out of range for int32"
            ),
            row(
                &format!("{p}/resources/requests/memory"),
                Keyword::Format,
                "\"1GB\" is not a valid quantity (a number with an optional suffix, such as 100m, 1.5, 128Mi, 1G or 1e3)"
            ),
            row(
                &format!("{p}/resources/limits/cpu"),
                Keyword::Type,
                "expected number or string, got boolean false"
            ),
            row(
                &format!("{p}/imagePullPolicyy"),
                Keyword::UnknownField,
                "unknown field \"imagePullPolicyy\""
            ),
            row(
                &format!("{p}/a~1b~0c"),
                Keyword::UnknownField,
                "unknown field \"a/b~c\""
            ),
            row(
                "/spec/template/spec/activeDeadlineSeconds",
                Keyword::Format,
                "18446744073709551615 is out of range for int64"
            ),
        ]
    );
    // Where to point: the key for unknown fields and missing ones, the value otherwise.
    for x in &got {
        let want = matches!(x.keyword, Keyword::UnknownField | Keyword::Required);
        assert_eq!(x.at_key, want, "{x:?}");
    }
}

#[test]
fn secret_data_must_be_base64() {
    let c = catalog("1.37", true);
    let s = json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s"},
                   "data": {"ok": "c2VjcmV0", "password": "hunter2!"}});
    assert_eq!(
        brief(&validate(&c, &s)),
        vec![row(
            "/data/password",
            Keyword::Format,
            "\"hunter2!\" is not valid base64 (format byte)"
        )]
    );
}

#[test]
fn a_value_of_the_wrong_type_is_reported_once_at_its_own_pointer() {
    let c = catalog("1.37", true);
    let root = validator(&c, "v1", "ConfigMap");
    assert_eq!(
        brief(&root.validate(&json!(["not", "an", "object"]))),
        vec![row("", Keyword::Type, "expected object, got array")]
    );
    let svc = json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "s"},
                     "spec": {"ports": {"port": 80}, "type": "LoadBalancers"}});
    assert_eq!(
        brief(&validate(&c, &svc)),
        vec![
            row("/spec/ports", Keyword::Type, "expected array, got object"),
            row(
                "/spec/type",
                Keyword::Enum,
                "\"LoadBalancers\" is not one of \"ClusterIP\", \"ExternalName\", \"LoadBalancer\", \"NodePort\""
            ),
        ]
    );
}

#[test]
fn violations_come_in_document_order_and_are_deterministic() {
    let c = catalog("1.37", true);
    // Keys deliberately out of schema order: document order wins.
    let o: Value = serde_json::from_str(
        r#"{"kind": "Pod", "apiVersion": "v1", "zzz": 1,
            "spec": {"containers": [{"image": 1, "name": 2, "bogus": true}], "aaa": 1},
            "metadata": {"name": 5}}"#,
    )
    .expect("json");
    let first = validate(&c, &o);
    assert_eq!(
        first.iter().map(|x| x.pointer.as_str()).collect::<Vec<_>>(),
        vec![
            "/zzz",
            "/spec/containers/0/image",
            "/spec/containers/0/name",
            "/spec/containers/0/bogus",
            "/spec/aaa",
            "/metadata/name"
        ]
    );
    for _ in 0..5 {
        assert_eq!(validate(&c, &o), first);
    }
}

#[test]
fn strict_reports_unknown_fields_exactly_where_the_strict_schemas_forbid_them() {
    let mut d = deployment();
    d["spec"]["template"]["spec"]["containers"][0]["imagePullPolicyy"] = json!("Always");
    d["spec"]["selector"]["matchLabelz"] = json!({});
    // Free-form maps take any key in both modes.
    d["metadata"]["labels"]["anything/goes"] = json!("x");
    d["spec"]["template"]["spec"]["nodeSelector"] = json!({"disk": "ssd"});
    d["spec"]["template"]["spec"]["containers"][0]["resources"]["limits"]["nvidia.com/gpu"] =
        json!(1);
    d["status"] = json!({"replicas": 1});
    let strict = validate(&catalog("1.37", true), &d);
    assert_eq!(
        brief(&strict),
        vec![
            row(
                "/spec/selector/matchLabelz",
                Keyword::UnknownField,
                "unknown field \"matchLabelz\""
            ),
            row(
                "/spec/template/spec/containers/0/imagePullPolicyy",
                Keyword::UnknownField,
                "unknown field \"imagePullPolicyy\""
            ),
        ]
    );
    assert!(validate(&catalog("1.37", false), &d).is_empty());
    // Non-strict still checks everything else.
    d["spec"]["replicas"] = json!("3");
    assert_eq!(
        brief(&validate(&catalog("1.37", false), &d)),
        vec![row(
            "/spec/replicas",
            Keyword::Type,
            "expected integer, got string \"3\""
        )]
    );
}

#[test]
fn nulls_and_defaulted_empty_values_are_accepted() {
    let c = catalog("1.37", true);
    let o = pod(
        json!({"name": "a", "image": "x", "args": null, "resources": null,
                        "imagePullPolicy": "", "ports": [{"containerPort": 80, "protocol": ""}]}),
    );
    assert_eq!(brief(&validate(&c, &o)), vec![]);
}

#[test]
fn pod_security_policy_is_gone_from_every_embedded_version() {
    for version in embedded_versions() {
        let c = catalog(&version.to_string(), true);
        assert!(
            matches!(
                c.lookup("policy/v1beta1", "PodSecurityPolicy"),
                Lookup::Missing
            ),
            "{version}"
        );
    }
    let c = catalog("1.37", true);
    assert_eq!(
        c.versions_with("policy/v1beta1", "PodSecurityPolicy"),
        vec![]
    );
    assert_eq!(c.versions_with("batch/v1beta1", "CronJob"), vec![]);
    assert_eq!(c.versions_with("example.com/v1", "Widget"), vec![]);
}

#[test]
fn apis_added_and_removed_within_the_range() {
    let range = |a: u32, b: u32| (a..=b).map(|m| KubeVersion::new(1, m)).collect::<Vec<_>>();
    let c = catalog("1.37", true);
    // Dynamic resource allocation went GA in 1.34.
    assert!(matches!(
        catalog("1.25", true).lookup("resource.k8s.io/v1", "ResourceClaim"),
        Lookup::Missing
    ));
    assert!(matches!(
        c.lookup("resource.k8s.io/v1", "ResourceClaim"),
        Lookup::Found(_)
    ));
    assert_eq!(
        c.versions_with("resource.k8s.io/v1", "ResourceClaim"),
        range(34, 37)
    );
    assert_eq!(
        c.versions_with(
            "admissionregistration.k8s.io/v1",
            "ValidatingAdmissionPolicy"
        ),
        range(30, 37)
    );
    // autoscaling/v2beta2 was removed in 1.26.
    assert!(matches!(
        catalog("1.25", true).lookup("autoscaling/v2beta2", "HorizontalPodAutoscaler"),
        Lookup::Found(_)
    ));
    assert!(matches!(
        c.lookup("autoscaling/v2beta2", "HorizontalPodAutoscaler"),
        Lookup::Missing
    ));
    assert_eq!(
        c.versions_with("autoscaling/v2beta2", "HorizontalPodAutoscaler"),
        range(25, 25)
    );
    assert_eq!(c.versions_with("apps/v1", "Deployment"), range(25, 37));
}

fn limits(memory: Value) -> Value {
    pod(json!({"name": "a", "image": "x", "resources": {"limits": {"memory": memory}}}))
}

#[test]
fn quantity_table() {
    let c = catalog("1.37", true);
    for ok in [
        json!("100m"),
        json!("1Gi"),
        json!("1.5"),
        json!("1e3"),
        json!("+1"),
        json!("0.5Ki"),
        json!("128974848"),
        json!("129e6"),
        json!("123Mi"),
        json!("1E"),
        json!("500u"),
        json!("2n"),
        json!("1Gi "),
        json!(1),
        json!(0.25),
        json!(-1),
    ] {
        assert_eq!(brief(&validate(&c, &limits(ok.clone()))), vec![], "{ok}");
    }
    for bad in [
        "1GB", "1 Gi", "abc", "", "1gi", "1.2.3", "1e3Mi", "1Ki B", "--1", "0x10",
    ] {
        assert_eq!(
            brief(&validate(&c, &limits(json!(bad)))),
            vec![row(
                "/spec/containers/0/resources/limits/memory",
                Keyword::Format,
                &format!("{bad:?} is not a valid quantity (a number with an optional suffix, such as 100m, 1.5, 128Mi, 1G or 1e3)")
            )],
            "{bad}"
        );
    }
}

#[test]
fn base64_table() {
    let c = catalog("1.37", true);
    let secret = |s: &str| json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s"}, "data": {"k": s}});
    for ok in ["", "YQ==", "YWI=", "YWJj", "YWJj\nZGVm", "c2VjcmV0\r\n"] {
        assert_eq!(brief(&validate(&c, &secret(ok))), vec![], "{ok:?}");
    }
    for bad in [
        "YQ",
        "YWI",
        "secret!",
        "c2VjcmV0=",
        "c2Vj cmV0",
        "c2VjcmV0_-==",
    ] {
        let got = validate(&c, &secret(bad));
        assert_eq!(got.len(), 1, "{bad:?}");
        assert_eq!(got[0].keyword, Keyword::Format);
        assert_eq!(got[0].pointer, "/data/k");
    }
}

#[test]
fn int32_and_int64_table() {
    let c = catalog("1.37", true);
    let port = |p: Value| pod(json!({"name": "a", "image": "x", "ports": [{"containerPort": p}]}));
    for ok in [json!(0), json!(1), json!(2147483647), json!(-2147483648i64)] {
        assert_eq!(brief(&validate(&c, &port(ok.clone()))), vec![], "{ok}");
    }
    for bad in [
        json!(2147483648i64),
        json!(-2147483649i64),
        json!(9223372036854775807i64),
        json!(u64::MAX),
    ] {
        assert_eq!(
            brief(&validate(&c, &port(bad.clone()))),
            vec![row(
                "/spec/containers/0/ports/0/containerPort",
                Keyword::Format,
                &format!("{bad} is out of range for int32")
            )]
        );
    }
    assert_eq!(
        brief(&validate(&c, &port(json!(80.5)))),
        vec![row(
            "/spec/containers/0/ports/0/containerPort",
            Keyword::Type,
            "expected integer, got number 80.5"
        )]
    );
    let deadline = |d: Value| {
        json!({"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "j"},
               "spec": {"activeDeadlineSeconds": d, "template": {"spec": {"restartPolicy": "Never",
                        "containers": [{"name": "c", "image": "x"}]}}}})
    };
    assert!(validate(&c, &deadline(json!(i64::MAX))).is_empty());
    assert_eq!(
        validate(&c, &deadline(json!(9223372036854775808u64))).len(),
        1
    );
}

#[test]
fn keyword_names_follow_json_schema() {
    assert_eq!(Keyword::Required.as_str(), "required");
    assert_eq!(Keyword::UnknownField.as_str(), "additionalProperties");
    assert_eq!(Keyword::Duplicate.as_str(), "x-kubernetes-list-type");
}
