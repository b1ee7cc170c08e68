//! The webhook's verdict on each fixture object equals `kvet check`'s on the same object: the
//! same denying rules (errors) and the same warning rules, through the real HTTPS path.

mod common;

use common::{review, start_with};
use kvet_engine::{check, CheckOptions, PolicySources, Severity, SourceFile};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

const FIXTURES: &[&str] = &[
    "fixtures/pss/workloads.yaml",
    "fixtures/pss/versioned.yaml",
    "fixtures/examples/shop/deployment.yaml",
];

fn workspace_file(rel: &str) -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .join(rel)
}

#[derive(Debug, Default, PartialEq, Eq)]
struct Expect {
    denied: BTreeSet<String>,
    warned: BTreeSet<String>,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fixture_verdicts_equal_kvet_check() {
    // `kvet check --no-config`: the newest embedded Kubernetes, the default policy sets.
    let version = *kvet_engine::embedded_versions().last().expect("a version");
    let sources = PolicySources {
        sets: kvet_policy::DEFAULT_SETS
            .iter()
            .map(|s| (*s).to_owned())
            .collect(),
        time_limit: Some(std::time::Duration::from_secs(5)),
        ..Default::default()
    };
    let h = start_with(&[]).await;
    let mut compared = 0;
    for rel in FIXTURES {
        let path = workspace_file(rel);
        let Ok(text) = std::fs::read_to_string(&path) else {
            continue;
        };
        let file = SourceFile::new(rel.to_string(), text.clone());
        let mut opts = CheckOptions::new(version);
        opts.policies = kvet_engine::load_policies(&sources, std::slice::from_ref(&file))
            .expect("policies")
            .map(Arc::new);
        let report = check(std::slice::from_ref(&file), opts).expect("check");
        let mut by_doc: BTreeMap<usize, Expect> = BTreeMap::new();
        for f in &report.findings {
            let Some(doc) = f.document else { continue };
            let e = by_doc.entry(doc).or_default();
            match f.severity {
                Severity::Error => e.denied.insert(f.rule.clone()),
                Severity::Warning => e.warned.insert(f.rule.clone()),
                Severity::Info => false,
            };
        }
        let stream = kvet_yaml::parse_stream(&text, &kvet_yaml::Limits::default());
        for doc in stream.documents {
            let object: Value = doc.value.clone();
            if object.get("kind").and_then(Value::as_str).is_none() {
                continue;
            }
            let expected = by_doc.remove(&doc.index).unwrap_or_default();
            let uid = format!("{rel}#{}", doc.index);
            let r = h.review(&review(&uid, "CREATE", Some(&object), None)).await;
            assert_eq!(r["uid"], uid.as_str());
            let names = |key: &str| -> BTreeSet<String> {
                r["auditAnnotations"][key]
                    .as_str()
                    .map(|s| s.split(',').map(str::to_owned).collect())
                    .unwrap_or_default()
            };
            let got = Expect {
                denied: names("denied-by"),
                warned: names("warned-by"),
            };
            assert_eq!(got, expected, "{uid}: {r}");
            assert_eq!(r["allowed"], expected.denied.is_empty(), "{uid}: {r}");
            compared += 1;
        }
    }
    assert!(compared >= 3, "only {compared} objects compared");
    h.server.shutdown().await;
}
