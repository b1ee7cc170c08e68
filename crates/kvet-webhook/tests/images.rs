//! `kvet serve` verifies images as `kvet check --verify-images` does, against a real registry
//! on loopback: facts are looked up in the background, shared and kept, and a request waits
//! for them no longer than `images.wait`.

mod common;

use common::{pod, review, start_with};
use kvet_images::testing::{LocalRegistry, TestKey};
use std::time::Duration;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admission_requests_see_verified_image_facts() {
    let Ok(Some(reg)) = LocalRegistry::start() else {
        eprintln!("\n!!! SKIPPED: /usr/bin/docker-registry is not installed !!!\n");
        return;
    };
    let key = TestKey::new("release");
    let signed = reg.push_image("app", Some("1"), "app").unwrap();
    reg.sign_legacy("app", signed["digest"].as_str().unwrap(), &key)
        .unwrap();
    reg.push_image("other", Some("1"), "other").unwrap();
    let webhook = format!(
        "images:\n  cosignKeys: [release=keys/release.pub]\n  insecureRegistries: [\"{}\"]\n  wait: 1ms\n",
        reg.host
    );
    let h = start_with(&[
        (".kvet.yaml", "policySets: [image-signed]\n"),
        ("webhook.yaml", &webhook),
        ("keys/release.pub", &key.public_pem()),
    ])
    .await;
    let app = format!("{}/app:1", reg.host);
    let other = format!("{}/other:1", reg.host);
    // The first request does not wait for the registry: it is denied (fail closed), saying
    // why, and the lookup goes on.
    let r = h
        .review(&review("u-1", "CREATE", Some(&pod("web", &app)), None))
        .await;
    assert_eq!(r["allowed"], false, "{r}");
    assert!(
        r["status"]["message"]
            .as_str()
            .unwrap_or("")
            .contains("did not finish within the request's deadline"),
        "{r}"
    );
    let _ = h
        .review(&review("u-2", "CREATE", Some(&pod("job", &other)), None))
        .await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    // Retries find the verdicts.
    let r = h
        .review(&review("u-3", "CREATE", Some(&pod("web", &app)), None))
        .await;
    assert_eq!(r["allowed"], true, "{r}");
    let r = h
        .review(&review("u-4", "CREATE", Some(&pod("job", &other)), None))
        .await;
    assert_eq!(r["allowed"], false, "{r}");
    let msg = r["status"]["message"].as_str().unwrap_or("");
    assert!(
        msg.contains("has no cosign signature") && msg.contains(&other),
        "{msg}"
    );
    h.server.shutdown().await;
}
