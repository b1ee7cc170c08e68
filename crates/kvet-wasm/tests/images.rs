//! Images in the browser: verified from an evidence file (recorded here from a real registry
//! on loopback, as `kvet images fetch` records it), never from the network.

use kvet_engine::files::FileSet;
use kvet_engine::Date;
use kvet_images::registry::{ClientOptions, RegistryClient};
use kvet_images::testing::{sign_bundle_keyless, LocalRegistry, Pki, TestKey};
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

#[test]
fn keyless_signatures_verify_from_an_evidence_file() {
    let Ok(Some(reg)) = LocalRegistry::start() else {
        eprintln!("\n!!! SKIPPED: /usr/bin/docker-registry is not installed !!!\n");
        return;
    };
    const ISSUER: &str = "https://accounts.example.com";
    let (signer, rekor) = (TestKey::new("ephemeral"), TestKey::new("rekor"));
    let pki = Pki::new(&signer, "ci@example.com", ISSUER, true, 14);
    let img = reg.push_image("app", Some("1"), "app").unwrap();
    let digest = img["digest"].as_str().unwrap().to_owned();
    // Logged inside the signing certificate's day (2023-11-14).
    let bundle = sign_bundle_keyless(
        &format!("{}/app", reg.host),
        &digest,
        &signer,
        &pki.leaf_der,
        &rekor,
        1_700_000_000,
    );
    reg.attach_bundle("app", &img, &bundle).unwrap();
    let app = format!("{}/app:1", reg.host);
    let live = RegistryClient::new(ClientOptions {
        insecure: vec![reg.host.clone()],
        ..Default::default()
    });
    let recorder = Recorder::new(&live);
    facts_for(&app, &recorder, &VerifyOptions::default(), true);
    let evidence = recorder.into_evidence().to_json();
    drop(reg);

    let mut set = FileSet::new();
    let pod = format!("apiVersion: v1\nkind: Pod\nmetadata: {{name: a}}\nspec:\n  containers: [{{name: app, image: \"{app}\"}}]\n");
    set.insert("pods/a.yaml", pod.into_bytes()).unwrap();
    set.insert("evidence.json", evidence.into_bytes()).unwrap();
    set.insert(
        "fulcio.pem",
        format!("{}{}", pki.intermediate, pki.root).into_bytes(),
    )
    .unwrap();
    set.insert("rekor.pub", rekor.public_pem().into_bytes())
        .unwrap();
    let signed_findings = |identity: &str| {
        let r = api::check(
            &set,
            &json!({"paths": ["pods"], "policySets": ["image-signed"],
                    "images": {"evidence": "evidence.json", "fulcioRoots": ["fulcio.pem"],
                               "rekorKeys": ["rekor.pub"], "certificateIdentityRegexp": identity,
                               "certificateOidcIssuer": ISSUER}}),
            TODAY,
        )
        .unwrap();
        r["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["rule"] == "image-signed")
            .map(|f| f["message"].as_str().unwrap().to_owned())
            .collect::<Vec<_>>()
    };
    assert_eq!(signed_findings("@example\\.com$"), Vec::<String>::new());
    let other = signed_findings("^release@");
    assert_eq!(other.len(), 1, "{other:?}");
    // Each missing piece is named.
    for (images, option) in [
        (
            json!({"evidence": "evidence.json", "fulcioRoots": ["fulcio.pem"], "rekorKeys": ["rekor.pub"], "certificateIdentity": "ci@example.com"}),
            "images.certificateOidcIssuer",
        ),
        (
            json!({"evidence": "evidence.json", "rekorKeys": ["rekor.pub"], "certificateIdentity": "ci@example.com", "certificateOidcIssuer": ISSUER}),
            "images.fulcioRoots",
        ),
        (
            json!({"evidence": "evidence.json", "fulcioRoots": ["fulcio.pem"], "certificateIdentity": "ci@example.com", "certificateOidcIssuer": ISSUER}),
            "images.rekorKeys",
        ),
        (
            json!({"evidence": "evidence.json", "fulcioRoots": ["fulcio.pem"], "rekorKeys": ["rekor.pub"],
                   "certificateIdentity": "a", "certificateIdentityRegexp": "b", "certificateOidcIssuer": ISSUER}),
            "images.certificateIdentityRegexp",
        ),
    ] {
        let e = api::check(&set, &json!({"paths": ["pods"], "images": images}), TODAY).unwrap_err();
        assert!(e.message.contains(option), "{option}: {e:?}");
    }
}
