//! The request mix of `cargo xtask bench-webhook`, also timed without the network by
//! `crates/kvet-webhook/examples/review_cost.rs` (which includes this file).

use serde_json::json;

/// How many distinct requests the mix rotates through (both load generators use them all).
pub const BODIES: usize = 64;

/// AdmissionReviews of Pods and Deployments: compliant, and violating the default policies.
pub fn bodies() -> Vec<String> {
    (0..BODIES)
        .map(|i| {
            let image = if i % 4 == 3 {
                "nginx:latest".to_owned()
            } else {
                format!("registry.example.com/shop/app-{i}:1.{i}.0")
            };
            let container = json!({
                "name": "app",
                "image": image,
                "ports": [{"containerPort": 8080}],
                "resources": {"requests": {"cpu": "100m", "memory": "128Mi"}, "limits": {"memory": "256Mi"}},
                "securityContext": {"runAsNonRoot": true, "allowPrivilegeEscalation": false,
                                    "privileged": i % 8 == 5, "capabilities": {"drop": ["ALL"]}},
            });
            let labels = json!({"app": format!("app-{i}"), "team": "shop"});
            let object = if i % 2 == 0 {
                json!({
                    "apiVersion": "v1", "kind": "Pod",
                    "metadata": {"name": format!("app-{i}"), "namespace": "shop", "labels": labels},
                    "spec": {"containers": [container]},
                })
            } else {
                json!({
                    "apiVersion": "apps/v1", "kind": "Deployment",
                    "metadata": {"name": format!("app-{i}"), "namespace": "shop", "labels": labels},
                    "spec": {"replicas": 3, "selector": {"matchLabels": {"app": format!("app-{i}")}},
                             "template": {"metadata": {"labels": labels}, "spec": {"containers": [container]}}},
                })
            };
            let (group, version) = if i % 2 == 0 { ("", "v1") } else { ("apps", "v1") };
            json!({
                "apiVersion": "admission.k8s.io/v1",
                "kind": "AdmissionReview",
                "request": {
                    "uid": format!("bench-{i}"),
                    "kind": {"group": group, "version": version, "kind": object["kind"]},
                    "resource": {"group": group, "version": version,
                                 "resource": if i % 2 == 0 { "pods" } else { "deployments" }},
                    "name": object["metadata"]["name"],
                    "namespace": "shop",
                    "operation": "CREATE",
                    "userInfo": {"username": "system:serviceaccount:ci:deployer", "groups": ["system:authenticated"]},
                    "object": object,
                    "dryRun": false,
                }
            })
            .to_string()
        })
        .collect()
}
