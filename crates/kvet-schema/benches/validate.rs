//! `cargo bench -p kvet-schema`: cost of loading a version, compiling a kind and validating a
//! typical Deployment, next to parsing the same object from JSON text (measured in the same
//! run, as the baseline). Prints numbers; asserts nothing.

use kvet_schema::{KubeVersion, Lookup, SchemaCatalog, SchemaOptions};
use serde_json::{json, Value};
use std::hint::black_box;
use std::time::{Duration, Instant};

fn deployment() -> Value {
    json!({
      "apiVersion": "apps/v1", "kind": "Deployment",
      "metadata": {"name": "web", "namespace": "shop", "labels": {"app.kubernetes.io/name": "web"}},
      "spec": {"replicas": 3, "selector": {"matchLabels": {"app.kubernetes.io/name": "web"}},
        "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": 0}},
        "template": {"metadata": {"labels": {"app.kubernetes.io/name": "web"}},
          "spec": {"securityContext": {"runAsNonRoot": true, "fsGroup": 2000},
            "containers": [{"name": "web", "image": "registry.example.com/web:1.2.3", "imagePullPolicy": "IfNotPresent",
              "ports": [{"name": "http", "containerPort": 8080, "protocol": "TCP"}],
              "env": [{"name": "MODE", "value": "production"},
                      {"name": "POD_IP", "valueFrom": {"fieldRef": {"fieldPath": "status.podIP"}}}],
              "resources": {"requests": {"cpu": "100m", "memory": "128Mi"}, "limits": {"cpu": 1, "memory": "1Gi"}},
              "readinessProbe": {"httpGet": {"path": "/healthz", "port": "http"}, "periodSeconds": 10},
              "securityContext": {"allowPrivilegeEscalation": false, "readOnlyRootFilesystem": true,
                                  "capabilities": {"drop": ["ALL"]}},
              "volumeMounts": [{"name": "cache", "mountPath": "/cache"}]}],
            "volumes": [{"name": "cache", "emptyDir": {"sizeLimit": "500Mi"}}]}}}
    })
}

fn per_iter(d: Duration, n: u32) -> f64 {
    d.as_secs_f64() * 1e6 / f64::from(n)
}

/// Best of five runs of `n` iterations, in microseconds per iteration.
fn best(n: u32, mut f: impl FnMut()) -> f64 {
    (0..5)
        .map(|_| {
            let t = Instant::now();
            for _ in 0..n {
                f();
            }
            per_iter(t.elapsed(), n)
        })
        .fold(f64::INFINITY, f64::min)
}

fn main() {
    let t = Instant::now();
    let catalog = match SchemaCatalog::new(KubeVersion::new(1, 37), SchemaOptions::default()) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("{e}");
            return;
        }
    };
    let load = t.elapsed();
    let t = Instant::now();
    let Lookup::Found(validator) = catalog.lookup("apps/v1", "Deployment") else {
        eprintln!("no Deployment schema");
        return;
    };
    let compile = t.elapsed();
    let (parsed, total) = catalog.definitions_parsed();
    println!(
        "load 1.37 bundle:           {:>9.1} µs",
        load.as_secs_f64() * 1e6
    );
    println!(
        "compile apps/v1 Deployment: {:>9.1} µs ({} nodes; {parsed} of {total} definitions parsed)",
        compile.as_secs_f64() * 1e6,
        validator.node_count()
    );

    let good = deployment();
    let mut bad = deployment();
    bad["spec"]["replicas"] = json!("3");
    bad["spec"]["template"]["spec"]["containers"][0]["imagePullPolicyy"] = json!("Always");
    bad["spec"]["template"]["spec"]["containers"][0]["resources"]["limits"]["memory"] =
        json!("1GB");
    let text = serde_json::to_string(&good).unwrap_or_default();
    let n = 20_000;
    let parse = best(n, || {
        let v: Value = serde_json::from_str(black_box(&text)).unwrap_or(Value::Null);
        black_box(v);
    });
    let lookup = best(n, || {
        black_box(catalog.lookup(black_box("apps/v1"), black_box("Deployment")));
    });
    let valid = best(n, || {
        black_box(validator.validate(black_box(&good)));
    });
    let invalid = best(n, || {
        black_box(validator.validate(black_box(&bad)));
    });
    println!(
        "baseline: serde_json parse: {parse:>9.2} µs per Deployment ({} bytes of JSON)",
        text.len()
    );
    println!("lookup (cached):            {lookup:>9.2} µs");
    println!(
        "validate valid Deployment:  {valid:>9.2} µs  ({:.0}/s on one core; {:.2}× the JSON parse)",
        1e6 / valid,
        valid / parse
    );
    println!(
        "validate with 3 errors:     {invalid:>9.2} µs  ({:.2}× the JSON parse)",
        invalid / parse
    );
}
