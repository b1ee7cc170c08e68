//! `kvet serve` end to end: real AdmissionReviews over HTTPS from a client trusting a CA made
//! at test time.

mod common;

use common::{deployment, pod, review, start_with, write_atomic, Client};
use hyper::{StatusCode, Version};
use serde_json::{json, Value};
use std::time::Duration;

fn messages(resp: &Value) -> String {
    resp["status"]["message"].as_str().unwrap_or("").to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pod_and_deployment_violating_default_policies_are_denied_by_rule_and_field() {
    let h = start_with(&[]).await;
    let r = h
        .review(&review(
            "uid-pod-1",
            "CREATE",
            Some(&pod("web", "nginx:latest")),
            None,
        ))
        .await;
    assert_eq!(r["uid"], "uid-pod-1");
    assert_eq!(r["allowed"], false, "{r}");
    assert_eq!(r["status"]["code"], 403);
    let m = messages(&r);
    assert!(
        m.starts_with("kvet: Pod shop/web has 1 policy violation:"),
        "{m}"
    );
    assert!(m.contains("[tag-pinning] /spec/containers/0/image:"), "{m}");
    assert_eq!(r["auditAnnotations"]["denied-by"], "tag-pinning");

    let r = h
        .review(&review(
            "uid-deploy-1",
            "CREATE",
            Some(&deployment("api", "nginx:latest", true)),
            None,
        ))
        .await;
    assert_eq!(r["uid"], "uid-deploy-1");
    assert_eq!(r["allowed"], false);
    let m = messages(&r);
    assert!(
        m.contains("[pss-baseline/privileged] /spec/template/spec/containers/0/securityContext/privileged:"),
        "{m}"
    );
    assert!(
        m.contains("[tag-pinning] /spec/template/spec/containers/0/image:"),
        "{m}"
    );
    assert_eq!(
        r["auditAnnotations"]["denied-by"],
        "tag-pinning,pss-baseline/privileged"
    );
    let metrics = h.server.metrics();
    assert!(
        metrics.contains(
            "kvet_webhook_decisions_total{rule=\"pss-baseline/privileged\",action=\"deny\"} 1"
        ),
        "{metrics}"
    );
    assert!(metrics.contains("kvet_webhook_requests_total{result=\"denied\"} 2"));
    h.server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn compliant_objects_are_allowed_and_server_fields_are_ignored() {
    let h = start_with(&[]).await;
    // The pod carries uid, creationTimestamp and managedFields, as the API server sends it.
    let r = h
        .review(&review(
            "u2",
            "CREATE",
            Some(&pod("web", "nginx:1.27.3")),
            None,
        ))
        .await;
    assert_eq!(r, json!({"uid": "u2", "allowed": true}));
    let r = h
        .review(&review(
            "u3",
            "CREATE",
            Some(&deployment("api", "registry.example.com/api:2.0", false)),
            None,
        ))
        .await;
    assert_eq!(r["allowed"], true, "{r}");
    h.server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn custom_resources_without_schema_follow_ignore_missing_schemas() {
    let widget = json!({"apiVersion": "example.com/v1", "kind": "Widget",
                        "metadata": {"name": "w", "namespace": "shop"}, "spec": {"size": 3}});
    let strict = start_with(&[]).await;
    let r = strict
        .review(&review("cr-1", "CREATE", Some(&widget), None))
        .await;
    assert_eq!(r["allowed"], false);
    assert!(
        messages(&r).contains("[no-schema] no schema for example.com/v1 Widget"),
        "{r}"
    );
    strict.server.shutdown().await;

    let lenient = start_with(&[("webhook.yaml", "ignoreMissingSchemas: true\n")]).await;
    let r = lenient
        .review(&review("cr-2", "CREATE", Some(&widget), None))
        .await;
    assert_eq!(r["allowed"], true, "{r}");
    lenient.server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn create_update_delete_and_dry_run() {
    let h = start_with(&[]).await;
    let bad = pod("web", "nginx:latest");
    let good = pod("web", "nginx:1.27.3");
    // UPDATE is judged on the new object.
    let r = h
        .review(&review("up-1", "UPDATE", Some(&bad), Some(&good)))
        .await;
    assert_eq!(r["allowed"], false);
    let r = h
        .review(&review("up-2", "UPDATE", Some(&good), Some(&bad)))
        .await;
    assert_eq!(r["allowed"], true);
    // Finalizer removal on an object being deleted is never blocked.
    let mut dying = bad.clone();
    dying["metadata"]["deletionTimestamp"] = json!("2025-01-01T00:00:00Z");
    let r = h
        .review(&review("up-3", "UPDATE", Some(&dying), Some(&bad)))
        .await;
    assert_eq!(r["allowed"], true);
    // DELETE is allowed by default, even of a violating object.
    let r = h.review(&review("del-1", "DELETE", None, Some(&bad))).await;
    assert_eq!(r["allowed"], true);
    assert_eq!(
        r["auditAnnotations"]["skipped"],
        "operation DELETE is not evaluated"
    );
    // Dry run: the same verdict, echoed for the same uid.
    let mut dry = review("dry-1", "CREATE", Some(&bad), None);
    dry["request"]["dryRun"] = json!(true);
    let r = h.review(&dry).await;
    assert_eq!(r["uid"], "dry-1");
    assert_eq!(r["allowed"], false);
    assert!(h.logs().contains("\"dryRun\":true"));
    h.server.shutdown().await;

    // With DELETE configured, the object being deleted (oldObject) is checked.
    let h = start_with(&[("webhook.yaml", "operations: [CREATE, UPDATE, DELETE]\n")]).await;
    let r = h.review(&review("del-2", "DELETE", None, Some(&bad))).await;
    assert_eq!(r["allowed"], false);
    assert!(messages(&r).contains("[tag-pinning]"));
    h.server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn warnings_and_exemptions() {
    let h = start_with(&[
        (
            ".kvet.yaml",
            "policySets: [tag-pinning, pss-baseline, probes]\n",
        ),
        (
            "webhook.yaml",
            "exemptNamespaces: [kube-system]\nexemptGroups: [break-glass]\n",
        ),
    ])
    .await;
    let d = deployment("api", "nginx:1.27.3", false);
    let r = h.review(&review("w-1", "CREATE", Some(&d), None)).await;
    assert_eq!(r["allowed"], true, "{r}");
    let warnings: Vec<&str> = r["warnings"]
        .as_array()
        .expect("warnings")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert!(
        warnings
            .iter()
            .any(|w| w.starts_with("[probes/") && w.contains("/spec/template/spec/containers/0")),
        "{warnings:?}"
    );
    assert!(r["auditAnnotations"]["warned-by"]
        .as_str()
        .is_some_and(|s| s.contains("probes/")));

    let mut system = pod("proxy", "nginx:latest");
    system["metadata"]["namespace"] = json!("kube-system");
    let mut rv = review("ex-1", "CREATE", Some(&system), None);
    rv["request"]["namespace"] = json!("kube-system");
    let r = h.review(&rv).await;
    assert_eq!(r["allowed"], true);
    assert_eq!(r["auditAnnotations"]["exempt"], "namespace kube-system");

    let mut rv = review("ex-2", "CREATE", Some(&pod("web", "nginx:latest")), None);
    rv["request"]["userInfo"]["groups"] = json!(["system:authenticated", "break-glass"]);
    let r = h.review(&rv).await;
    assert_eq!(r["allowed"], true);
    assert_eq!(r["auditAnnotations"]["exempt"], "group break-glass");
    h.server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_requests_get_400_with_a_reason_and_the_server_keeps_serving() {
    let h = start_with(&[("webhook.yaml", "maxBodyBytes: 65536\n")]).await;
    let r = h
        .send("POST", "/validate", b"{\"apiVersion\": ".to_vec())
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(String::from_utf8_lossy(&r.body).contains("not a valid AdmissionReview"));
    let r = h
        .send(
            "POST",
            "/validate",
            br#"{"apiVersion":"admission.k8s.io/v1beta1","kind":"AdmissionReview","request":{"uid":"x","operation":"CREATE"}}"#.to_vec(),
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(String::from_utf8_lossy(&r.body).contains("unsupported apiVersion"));
    let r = h
        .send(
            "POST",
            "/validate",
            br#"{"apiVersion":"admission.k8s.io/v1","kind":"Pod"}"#.to_vec(),
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(String::from_utf8_lossy(&r.body).contains("expected AdmissionReview"));
    let mut no_object = review("n-1", "CREATE", Some(&pod("web", "nginx:1.0")), None);
    no_object["request"]["object"] = Value::Null;
    let r = h
        .send("POST", "/validate", no_object.to_string().into_bytes())
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(String::from_utf8_lossy(&r.body).contains("request.object is missing"));
    // Over HTTP/2, as the API server sends: the refusal comes back on the stream, where over
    // HTTP/1.1 the client may still be writing the body when the server closes the connection
    // (robustness.rs covers that case).
    let mut h2 = Client::connect(h.server.local_addr(), &h.ca.pem, true).await;
    let r = h2.send("POST", "/validate", vec![b' '; 100_000]).await;
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE);
    let r = h.send("GET", "/validate", Vec::new()).await;
    assert_eq!(r.status, StatusCode::METHOD_NOT_ALLOWED);
    let r = h.send("GET", "/nope", Vec::new()).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    // Still serving.
    let r = h
        .review(&review(
            "after",
            "CREATE",
            Some(&pod("web", "nginx:latest")),
            None,
        ))
        .await;
    assert_eq!(r["allowed"], false);
    assert!(h
        .server
        .metrics()
        .contains("kvet_webhook_requests_total{result=\"bad_request\"} 5"));
    h.server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http2_health_readiness_and_metrics() {
    let h = start_with(&[]).await;
    let mut c = Client::connect(h.server.local_addr(), &h.ca.pem, true).await;
    for (i, name) in ["a", "b", "c"].iter().enumerate() {
        let uid = format!("h2-{i}");
        let r = c
            .send(
                "POST",
                "/validate",
                review(&uid, "CREATE", Some(&pod(name, "nginx:latest")), None)
                    .to_string()
                    .into_bytes(),
            )
            .await;
        assert_eq!(r.version, Version::HTTP_2);
        let resp = r.response();
        assert_eq!(resp["uid"], uid.as_str());
        assert_eq!(resp["allowed"], false);
    }
    let r = c.send("GET", "/healthz", Vec::new()).await;
    assert_eq!(r.status, StatusCode::OK);
    let r = c.send("GET", "/readyz", Vec::new()).await;
    assert_eq!(r.status, StatusCode::OK);
    let r = c.send("GET", "/metrics", Vec::new()).await;
    let text = String::from_utf8_lossy(&r.body);
    assert!(
        text.contains("kvet_webhook_requests_total{result=\"denied\"} 3"),
        "{text}"
    );
    assert!(text.contains("kvet_webhook_request_duration_seconds_count 3"));
    assert!(text.contains("kvet_webhook_ready 1"));
    h.server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logs_name_the_request_but_never_the_object_content() {
    let h = start_with(&[]).await;
    let secret = json!({"apiVersion": "v1", "kind": "Secret",
        "metadata": {"name": "db", "namespace": "shop"},
        "data": {"password": "c3VwZXJzZWNyZXQtdmFsdWU="}, "stringData": {"token": "hunter2-plain"}});
    let r = h
        .review(&review("sec-1", "CREATE", Some(&secret), None))
        .await;
    assert_eq!(r["allowed"], true, "{r}");
    let logs = h.logs();
    let line = logs
        .lines()
        .find(|l| l.contains("\"uid\":\"sec-1\""))
        .expect("a log line for the request");
    let v: Value = serde_json::from_str(line).expect("JSON log line");
    assert_eq!(v["kind"], "Secret");
    assert_eq!(v["namespace"], "shop");
    assert_eq!(v["name"], "db");
    assert_eq!(v["operation"], "CREATE");
    assert_eq!(v["allowed"], true);
    assert!(v["durationMs"].is_number());
    assert!(!logs.contains("c3VwZXJzZWNyZXQ"));
    assert!(!logs.contains("hunter2"));
    h.server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn certificate_rotation_serves_new_connections_with_the_new_certificate() {
    let h = start_with(&[]).await;
    let addr = h.server.local_addr();
    let mut old_conn = Client::connect(addr, &h.ca.pem, false).await;
    let first = old_conn.peer_cert.clone();
    let (cert2, key2, der2) = h.ca.leaf("kvet-2");
    assert_ne!(first, der2);
    // Key first, then certificate: between the two writes the pair does not match, and the
    // old one must keep serving.
    write_atomic(&h.key, &key2);
    let mid = Client::connect(addr, &h.ca.pem, false).await;
    assert_eq!(mid.peer_cert, first, "a mismatched pair must not be used");
    write_atomic(&h.cert, &cert2);
    let mut new_conn = Client::connect(addr, &h.ca.pem, false).await;
    assert_eq!(
        new_conn.peer_cert, der2,
        "a new connection gets the new certificate"
    );
    let r = new_conn
        .send(
            "POST",
            "/validate",
            review("rot-1", "CREATE", Some(&pod("a", "nginx:latest")), None)
                .to_string()
                .into_bytes(),
        )
        .await;
    assert_eq!(r.response()["allowed"], false);
    // The connection opened before the rotation still works.
    let r = old_conn
        .send(
            "POST",
            "/validate",
            review("rot-2", "CREATE", Some(&pod("b", "nginx:1.0")), None)
                .to_string()
                .into_bytes(),
        )
        .await;
    assert_eq!(r.response()["allowed"], true);
    assert_eq!(r.peer_cert, first);
    let m = h.server.metrics();
    assert!(
        m.contains("kvet_webhook_reloads_total{what=\"certificate\",result=\"ok\"} 1"),
        "{m}"
    );
    assert!(
        m.contains("kvet_webhook_reloads_total{what=\"certificate\",result=\"error\"} 1"),
        "{m}"
    );
    h.server.shutdown().await;
}

const TEAM_POLICY: &str = r#"package main
import rego.v1

deny_no_team contains result if {
	not input.metadata.labels.team
	result := {"msg": "objects need a team label", "_loc": "/metadata"}
}
"#;

const OWNER_POLICY: &str = r#"package main
import rego.v1

deny_no_owner contains result if {
	not input.metadata.labels.owner
	result := {"msg": "objects need an owner label", "_loc": "/metadata"}
}
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_broken_policy_reload_keeps_the_old_set_and_a_good_one_applies() {
    let h = start_with(&[
        (".kvet.yaml", "policySets: [none]\npolicies: [policy/]\n"),
        ("policy/team.rego", TEAM_POLICY),
    ])
    .await;
    let obj = pod("web", "nginx:latest");
    let r = h.review(&review("p-1", "CREATE", Some(&obj), None)).await;
    assert_eq!(r["allowed"], false);
    assert!(
        messages(&r).contains("[main.deny_no_team] /metadata: objects need a team label"),
        "{r}"
    );
    assert!(!messages(&r).contains("tag-pinning"));

    std::fs::write(
        h.dir.path().join("policy/team.rego"),
        "package main\ndeny_x contains if {\n",
    )
    .expect("write");
    let e = h
        .server
        .reload()
        .await
        .expect_err("a broken policy must be rejected");
    assert!(e.contains("team.rego"), "{e}");
    let r = h.review(&review("p-2", "CREATE", Some(&obj), None)).await;
    assert!(
        messages(&r).contains("[main.deny_no_team]"),
        "the old set keeps serving: {r}"
    );
    assert!(h.server.is_ready());
    assert!(h
        .logs()
        .contains("policy reload rejected; the previous policy set keeps serving"));

    // A good change is picked up by the file watch, without an explicit reload.
    std::fs::write(h.dir.path().join("policy/team.rego"), OWNER_POLICY).expect("write");
    let mut picked_up = false;
    for i in 0..200 {
        let r = h
            .review(&review(&format!("p-3-{i}"), "CREATE", Some(&obj), None))
            .await;
        if messages(&r).contains("[main.deny_no_owner]") {
            assert!(!messages(&r).contains("deny_no_team"));
            picked_up = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(picked_up, "the changed policy was not loaded: {}", h.logs());
    // The file watch may also have seen the broken write, so count at least one rejection
    // (the explicit reload) and at least one success (the good change).
    let m = h.server.metrics();
    let count = |result: &str| -> u64 {
        let key = format!("kvet_webhook_reloads_total{{what=\"policies\",result=\"{result}\"}} ");
        m.lines()
            .find_map(|l| l.strip_prefix(key.as_str()))
            .and_then(|n| n.trim().parse().ok())
            .unwrap_or(0)
    };
    assert!(count("error") >= 1, "{m}");
    assert!(count("ok") >= 1, "{m}");
    h.server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fail_closed_when_overloaded_and_open_when_configured() {
    // No waiting room and one worker: concurrent requests beyond the first are overloaded.
    for (settings, allowed) in [
        ("workers: 1\nmaxQueue: 0\n", false),
        ("workers: 1\nmaxQueue: 0\nfailurePolicy: Ignore\n", true),
    ] {
        let h = start_with(&[("webhook.yaml", settings)]).await;
        let addr = h.server.local_addr();
        let mut tasks = Vec::new();
        for i in 0..24 {
            let ca = h.ca.pem.clone();
            tasks.push(tokio::spawn(async move {
                let mut c = Client::connect(addr, &ca, true).await;
                c.send(
                    "POST",
                    "/validate",
                    review(
                        &format!("o-{i}"),
                        "CREATE",
                        Some(&deployment("d", "nginx:1.0", false)),
                        None,
                    )
                    .to_string()
                    .into_bytes(),
                )
                .await
                .response()
            }));
        }
        let mut overloaded = 0;
        for t in tasks {
            let r = t.await.expect("task");
            let text = r.to_string();
            if text.contains("overloaded") {
                overloaded += 1;
                assert_eq!(r["allowed"], allowed, "{r}");
                if allowed {
                    assert!(r["warnings"][0]
                        .as_str()
                        .is_some_and(|w| w.contains("failurePolicy Ignore")));
                } else {
                    assert_eq!(r["status"]["code"], 503);
                    assert!(messages(&r).contains("denied by failurePolicy Fail"));
                }
            } else {
                assert_eq!(r["allowed"], true, "{r}");
            }
        }
        let m = h.server.metrics();
        if overloaded > 0 {
            assert!(m.contains("result=\"overloaded\""), "{m}");
        }
        h.server.shutdown().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tls_garbage_and_truncated_bodies_do_not_stop_the_server() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let h = start_with(&[]).await;
    let addr = h.server.local_addr();
    // Not TLS at all: the handshake fails and the connection is closed.
    let mut raw = tokio::net::TcpStream::connect(addr).await.expect("connect");
    raw.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .expect("write");
    let mut buf = Vec::new();
    let n = tokio::time::timeout(Duration::from_secs(5), raw.read_to_end(&mut buf))
        .await
        .expect("closed in time");
    assert!(n.is_err() || !String::from_utf8_lossy(&buf).contains("200 OK"));
    // A client that connects and says nothing, alongside.
    let _silent = tokio::net::TcpStream::connect(addr).await.expect("connect");
    // A body shorter than its Content-Length, then the client goes away.
    {
        let c = Client::connect(addr, &h.ca.pem, false).await;
        drop(c);
    }
    let r = h
        .review(&review(
            "still-1",
            "CREATE",
            Some(&pod("web", "nginx:latest")),
            None,
        ))
        .await;
    assert_eq!(r["allowed"], false);
    assert_eq!(r["uid"], "still-1");
    h.server.shutdown().await;
}
