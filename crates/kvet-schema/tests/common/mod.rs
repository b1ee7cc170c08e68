//! Helpers shared by the integration tests.
#![allow(dead_code)]

use kvet_schema::{
    Keyword, KubeVersion, Lookup, SchemaCatalog, SchemaOptions, Validator, Violation,
};
use serde_json::{json, Value};
use std::sync::Arc;

pub fn v(s: &str) -> KubeVersion {
    s.parse().expect("version")
}

pub fn catalog(version: &str, strict: bool) -> SchemaCatalog {
    SchemaCatalog::new(
        v(version),
        SchemaOptions {
            strict,
            ..SchemaOptions::default()
        },
    )
    .expect("catalog")
}

pub fn validator(c: &SchemaCatalog, api_version: &str, kind: &str) -> Arc<Validator> {
    match c.lookup(api_version, kind) {
        Lookup::Found(val) => val,
        Lookup::Missing => panic!("no schema for {api_version} {kind}"),
        Lookup::Failed(e) => panic!("{api_version} {kind}: {e}"),
    }
}

pub fn validate(c: &SchemaCatalog, obj: &Value) -> Vec<Violation> {
    let api = obj["apiVersion"].as_str().unwrap_or_default();
    let kind = obj["kind"].as_str().unwrap_or_default();
    validator(c, api, kind).validate(obj)
}

/// (pointer, keyword, message) triples, the shape most assertions compare.
pub fn brief(vs: &[Violation]) -> Vec<(String, Keyword, String)> {
    vs.iter()
        .map(|x| (x.pointer.clone(), x.keyword, x.message.clone()))
        .collect()
}

pub fn row(pointer: &str, keyword: Keyword, message: &str) -> (String, Keyword, String) {
    (pointer.to_owned(), keyword, message.to_owned())
}

pub fn pod(container: Value) -> Value {
    json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"},
           "spec": {"containers": [container]}})
}

/// A realistic Deployment touching most of PodSpec.
pub fn deployment() -> Value {
    json!({
      "apiVersion": "apps/v1",
      "kind": "Deployment",
      "metadata": {
        "name": "web", "namespace": "shop",
        "labels": {"app.kubernetes.io/name": "web", "tier": "frontend"},
        "annotations": {"example.com/owner": "team-a"}
      },
      "spec": {
        "replicas": 3,
        "revisionHistoryLimit": 5,
        "selector": {"matchLabels": {"app.kubernetes.io/name": "web"}},
        "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": 0}},
        "template": {
          "metadata": {"labels": {"app.kubernetes.io/name": "web"}},
          "spec": {
            "serviceAccountName": "web",
            "securityContext": {"runAsNonRoot": true, "fsGroup": 2000, "seccompProfile": {"type": "RuntimeDefault"}},
            "affinity": {"podAntiAffinity": {"preferredDuringSchedulingIgnoredDuringExecution": [
              {"weight": 100, "podAffinityTerm": {"topologyKey": "kubernetes.io/hostname",
                "labelSelector": {"matchExpressions": [{"key": "app", "operator": "In", "values": ["web"]}]}}}]}},
            "tolerations": [{"key": "dedicated", "operator": "Equal", "value": "web", "effect": "NoSchedule"}],
            "initContainers": [{"name": "init", "image": "busybox:1.36", "command": ["sh", "-c", "true"]}],
            "containers": [{
              "name": "web",
              "image": "registry.example.com/web:1.2.3",
              "imagePullPolicy": "IfNotPresent",
              "args": ["--port=8080"],
              "ports": [{"name": "http", "containerPort": 8080, "protocol": "TCP"}],
              "env": [
                {"name": "MODE", "value": "production"},
                {"name": "POD_IP", "valueFrom": {"fieldRef": {"fieldPath": "status.podIP"}}},
                {"name": "PASSWORD", "valueFrom": {"secretKeyRef": {"name": "db", "key": "password"}}}
              ],
              "envFrom": [{"configMapRef": {"name": "web-config"}}],
              "resources": {"requests": {"cpu": "100m", "memory": "128Mi"}, "limits": {"cpu": 1, "memory": "1Gi", "ephemeral-storage": "2G"}},
              "readinessProbe": {"httpGet": {"path": "/healthz", "port": "http"}, "periodSeconds": 10},
              "livenessProbe": {"tcpSocket": {"port": 8080}, "initialDelaySeconds": 5, "failureThreshold": 3},
              "securityContext": {"allowPrivilegeEscalation": false, "readOnlyRootFilesystem": true,
                                  "capabilities": {"drop": ["ALL"]}},
              "volumeMounts": [{"name": "cache", "mountPath": "/cache"}, {"name": "config", "mountPath": "/etc/web", "readOnly": true}]
            }],
            "volumes": [
              {"name": "cache", "emptyDir": {"sizeLimit": "500Mi"}},
              {"name": "config", "configMap": {"name": "web-config", "defaultMode": 420, "items": [{"key": "a", "path": "a.conf"}]}}
            ]
          }
        }
      }
    })
}
