//! Images in the browser: verified from an evidence file (recorded here from a real registry
//! on loopback, as `kvet images fetch` records it), never from the network.

use kvet_engine::files::FileSet;
use kvet_engine::Date;
use kvet_images::registry::{ClientOptions, RegistryClient};
use kvet_images::testing::{LocalRegistry, TestKey};
use kvet_images::{facts_for, Recorder, VerifyOptions};
use kvet_wasm::api;
use serde_json::json;

const TODAY: Date = Date {
    year: 2026,
    month: 1,
    day: 1,
};

#[test]
fn image_signed_decides_from_an_evidence_file() {
    let Ok(Some(reg)) = LocalRegistry::start() else {
        eprintln!("\n!!! SKIPPED: /usr/bin/docker-registry is not installed !!!\n");
        return;
    };
    let key = TestKey::new("release");
    let img = reg.push_image("app", Some("1"), "app").unwrap();
    reg.sign_legacy("app", img["digest"].as_str().unwrap(), &key)
        .unwrap();
    reg.push_image("other", Some("1"), "other").unwrap();
    let (app, other) = (
        format!("{}/app:1", reg.host),
        format!("{}/other:1", reg.host),
    );
    let live = RegistryClient::new(ClientOptions {
        insecure: vec![reg.host.clone()],
        ..Default::default()
    });
    let recorder = Recorder::new(&live);
    let opts = VerifyOptions {
        keys: vec![key.public("release")],
        ..Default::default()
    };
    for i in [&app, &other] {
        facts_for(i, &recorder, &opts, true);
    }
    let evidence = recorder.into_evidence().to_json();
    drop(reg);

    let pod = |name: &str, image: &str| {
        format!("apiVersion: v1\nkind: Pod\nmetadata: {{name: {name}}}\nspec:\n  containers: [{{name: app, image: \"{image}\"}}]\n")
    };
    let mut set = FileSet::new();
    set.insert("pods/a.yaml", pod("a", &app).into_bytes())
        .unwrap();
    set.insert("pods/b.yaml", pod("b", &other).into_bytes())
        .unwrap();
    set.insert("evidence.json", evidence.into_bytes()).unwrap();
    set.insert("release.pub", key.public_pem().into_bytes())
        .unwrap();
    let r = api::check(
        &set,
        &json!({"paths": ["pods"], "policySets": ["image-signed"],
                "images": {"evidence": "evidence.json", "cosignKeys": ["release.pub"]}}),
        TODAY,
    )
    .unwrap();
    let denied: Vec<(String, String)> = r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule"] == "image-signed")
        .map(|f| {
            (
                f["location"]["file"].as_str().unwrap().to_owned(),
                f["message"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(denied.len(), 1, "{denied:?}");
    assert_eq!(denied[0].0, "pods/b.yaml");
    assert!(
        denied[0].1.contains("has no cosign signature"),
        "{}",
        denied[0].1
    );
    // Without a key, image-signed cannot decide: an error naming the option.
    let e = api::check(
        &set,
        &json!({"paths": ["pods"], "images": {"evidence": "evidence.json"}}),
        TODAY,
    )
    .unwrap_err();
    assert!(e.message.contains("images.cosignKeys"), "{e:?}");
    let e = api::check(
        &set,
        &json!({"images": {"evidence": "nope.json", "cosignKeys": ["release.pub"]}}),
        TODAY,
    )
    .unwrap_err();
    assert_eq!(e.file.as_deref(), Some("nope.json"));
}
