//! CPU cost of one admission review, without the network: parsing, `Gate::review_owned` and
//! the response, on the mix of `cargo xtask bench-webhook`
//! (and, with `--dump FILE`, every verdict of the mix and of the PSS fixtures, for comparing
//! two builds byte for byte). `KVET_CONFIG=FILE` loads a `.kvet.yaml` instead of the defaults
//! (to time one policy set alone); `KVET_HEADROOM=1` sets a policy memory ceiling, as
//! `kvet serve` does.

use kvet_webhook::{parse_review, Gate, GateSources};
use serde_json::{json, Value};
use std::time::Instant;

#[path = "../../../xtask/src/webhook_mix.rs"]
mod webhook_mix;

fn review(uid: &str, object: Value) -> String {
    let kind = object["kind"].clone();
    json!({
        "apiVersion": "admission.k8s.io/v1",
        "kind": "AdmissionReview",
        "request": {
            "uid": uid,
            "kind": {"group": "", "version": "v1", "kind": kind},
            "name": object["metadata"]["name"],
            "namespace": object["metadata"]["namespace"].as_str().unwrap_or("shop"),
            "operation": "CREATE",
            "userInfo": {"username": "system:serviceaccount:ci:deployer", "groups": ["system:authenticated"]},
            "object": object,
            "dryRun": false,
        }
    })
    .to_string()
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut all = webhook_mix::bodies();
    if let Some(i) = args.iter().position(|a| a == "--bodies") {
        std::fs::write(&args[i + 1], all.join("\n") + "\n").expect("write");
        return;
    }
    let gate = Gate::load(&GateSources {
        config: std::env::var_os("KVET_CONFIG").map(Into::into),
        webhook_config: None,
    })
    .expect("gate");
    if std::env::var_os("KVET_HEADROOM").is_some() {
        kvet_policy::set_memory_headroom(Some(1 << 30));
    }
    if let Some(i) = args.iter().position(|a| a == "--dump") {
        let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../../fixtures/");
        for rel in [
            "pss/workloads.yaml",
            "pss/versioned.yaml",
            "examples/shop/deployment.yaml",
        ] {
            let text = std::fs::read_to_string(format!("{root}{rel}")).expect("fixture");
            let stream = kvet_yaml::parse_stream(&text, &kvet_yaml::Limits::default());
            for doc in stream.documents {
                if doc.value.get("kind").and_then(Value::as_str).is_some() {
                    all.push(review(&format!("{rel}#{}", doc.index), doc.value));
                }
            }
        }
        let mut out = String::new();
        for b in &all {
            let req = parse_review(b.as_bytes()).expect("review");
            let v = gate.review_owned(req).expect("verdict");
            out.push_str(&v.response.to_review().to_string());
            out.push('\n');
        }
        std::fs::write(&args[i + 1], out).expect("write");
        return;
    }
    // As the server answers one request: parse the body, decide, write the response.
    let n: usize = args.first().and_then(|a| a.parse().ok()).unwrap_or(20_000);
    let answer = |body: &str| {
        let req = parse_review(body.as_bytes()).expect("review");
        let summary = req.without_objects();
        let v = gate.review_owned(req).expect("verdict");
        std::hint::black_box((summary, v.response.to_review().to_string()));
    };
    all.iter().for_each(|b| answer(b));
    let t = Instant::now();
    for i in 0..n {
        answer(&all[i % all.len()]);
    }
    let per = t.elapsed().as_secs_f64() * 1e6 / n as f64;
    println!("{per:.1} µs per request ({n} requests)");
}
