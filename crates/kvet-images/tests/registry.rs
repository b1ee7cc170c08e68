//! Resolution and cosign verification against a real OCI registry on loopback (Debian's
//! `docker-registry`), with images and signatures pushed in cosign's own formats.

use kvet_images::registry::{facts_parallel, ClientOptions, RegistryClient};
use kvet_images::testing::{sign_bundle, simple_signing_payload, LocalRegistry, TestKey};
use kvet_images::{facts_for, Evidence, ImageFacts, Recorder, VerifyOptions};

fn registry() -> Option<LocalRegistry> {
    match LocalRegistry::start() {
        Ok(Some(r)) => Some(r),
        Ok(None) => {
            eprintln!("\n!!! SKIPPED: /usr/bin/docker-registry is not installed (apt-get install -y docker-registry) !!!\n");
            None
        }
        Err(e) => panic!("{e}"),
    }
}

fn client(reg: &LocalRegistry) -> RegistryClient {
    RegistryClient::new(ClientOptions {
        insecure: vec![reg.host.clone()],
        ..Default::default()
    })
}

fn opts(keys: &[(&str, &TestKey)]) -> VerifyOptions {
    VerifyOptions {
        keys: keys.iter().map(|(id, k)| k.public(id)).collect(),
        ..Default::default()
    }
}

fn check(reg: &LocalRegistry, image: &str, o: &VerifyOptions) -> ImageFacts {
    facts_for(&format!("{}/{image}", reg.host), &client(reg), o, true)
}

fn only_reason(f: &ImageFacts) -> (bool, &str, &str) {
    assert_eq!(f.signatures.len(), 1, "{f:#?}");
    let s = &f.signatures[0];
    (s.verified, s.key_id.as_str(), s.reason.as_str())
}

#[test]
fn a_signed_image_passes() {
    let Some(reg) = registry() else { return };
    let key = TestKey::new("release");
    let img = reg.push_image("team/app", Some("1.0"), "a").unwrap();
    let d = img["digest"].as_str().unwrap();
    reg.sign_legacy("team/app", d, &key).unwrap();
    let f = check(&reg, "team/app:1.0", &opts(&[("release", &key)]));
    assert_eq!(f.error, "");
    assert_eq!(f.tag_digest, d);
    assert_eq!(f.resolved_digest, d);
    assert_eq!(
        (f.registry.as_str(), f.repository.as_str(), f.tag.as_str()),
        (reg.host.as_str(), "team/app", "1.0")
    );
    assert!(f.signed && f.checked);
    assert_eq!(
        only_reason(&f),
        (
            true,
            "release",
            "cosign signature by key release verified; transparency log not checked"
        )
    );
    // The same image by digest.
    let f = check(&reg, &format!("team/app@{d}"), &opts(&[("release", &key)]));
    assert!(f.signed, "{f:#?}");
    assert_eq!(f.tag_digest, "");
}

#[test]
fn a_signature_by_another_key_fails() {
    let Some(reg) = registry() else { return };
    let img = reg.push_image("app", Some("1"), "b").unwrap();
    reg.sign_legacy(
        "app",
        img["digest"].as_str().unwrap(),
        &TestKey::new("intruder"),
    )
    .unwrap();
    let f = check(
        &reg,
        "app:1",
        &opts(&[
            ("release", &TestKey::new("release")),
            ("ops", &TestKey::new("ops")),
        ]),
    );
    assert!(!f.signed);
    assert_eq!(
        only_reason(&f),
        (
            false,
            "",
            "signature does not verify with any configured key (release, ops)"
        )
    );
}

#[test]
fn a_tampered_payload_fails() {
    let Some(reg) = registry() else { return };
    let key = TestKey::new("release");
    let img = reg.push_image("app", Some("1"), "c").unwrap();
    let d = img["digest"].as_str().unwrap();
    let payload = simple_signing_payload(&format!("{}/app", reg.host), d);
    let sig = key.sign(&payload);
    let mut tampered = payload.clone();
    tampered.extend_from_slice(b" ");
    reg.attach_legacy("app", d, &tampered, &sig, &[]).unwrap();
    let f = check(&reg, "app:1", &opts(&[("release", &key)]));
    assert!(!f.signed);
    assert_eq!(
        only_reason(&f),
        (
            false,
            "",
            "signature does not verify with any configured key (release)"
        )
    );
}

#[test]
fn a_signature_for_another_digest_fails() {
    let Some(reg) = registry() else { return };
    let key = TestKey::new("release");
    let a = reg.push_image("app", Some("1"), "d1").unwrap();
    let b = reg.push_image("app", None, "d2").unwrap();
    let (da, db) = (a["digest"].as_str().unwrap(), b["digest"].as_str().unwrap());
    // A valid signature of b, copied under a's signature tag.
    let payload = simple_signing_payload(&format!("{}/app", reg.host), db);
    reg.attach_legacy("app", da, &payload, &key.sign(&payload), &[])
        .unwrap();
    let f = check(&reg, "app:1", &opts(&[("release", &key)]));
    assert!(!f.signed);
    assert_eq!(
        only_reason(&f),
        (
            false,
            "release",
            format!("signature is for {db}, not this image's digest {da}").as_str()
        )
    );
}

#[test]
fn a_signature_for_another_repository_fails() {
    let Some(reg) = registry() else { return };
    let key = TestKey::new("release");
    let a = reg.push_image("app", Some("1"), "r").unwrap();
    let d = a["digest"].as_str().unwrap();
    let payload = simple_signing_payload(&format!("{}/other", reg.host), d);
    reg.attach_legacy("app", d, &payload, &key.sign(&payload), &[])
        .unwrap();
    let f = check(&reg, "app:1", &opts(&[("release", &key)]));
    assert_eq!(
        only_reason(&f).2,
        format!(
            "signature is for repository {0}/other, not {0}/app",
            reg.host
        )
    );
}

#[test]
fn a_missing_signature_fails() {
    let Some(reg) = registry() else { return };
    reg.push_image("app", Some("1"), "e").unwrap();
    let f = check(
        &reg,
        "app:1",
        &opts(&[("release", &TestKey::new("release"))]),
    );
    assert!(f.checked && !f.signed);
    assert!(f.signatures.is_empty());
    assert_eq!(f.error, "");
}

#[test]
fn a_tag_moved_after_signing_fails() {
    let Some(reg) = registry() else { return };
    let key = TestKey::new("release");
    let old = reg.push_image("app", Some("stable"), "f1").unwrap();
    let old = old["digest"].as_str().unwrap();
    reg.sign_legacy("app", old, &key).unwrap();
    let new = reg.push_image("app", Some("stable"), "f2").unwrap();
    let new = new["digest"].as_str().unwrap();
    let f = check(&reg, "app:stable", &opts(&[("release", &key)]));
    assert_eq!(f.resolved_digest, new);
    assert!(!f.signed && f.signatures.is_empty());
    // Pinned to the signed digest, the image still verifies, and the move is visible.
    let f = check(
        &reg,
        &format!("app:stable@{old}"),
        &opts(&[("release", &key)]),
    );
    assert!(f.signed);
    assert_eq!(
        (f.resolved_digest.as_str(), f.tag_digest.as_str()),
        (old, new)
    );
}

#[test]
fn a_tag_on_a_manifest_list_resolves_to_the_index() {
    let Some(reg) = registry() else { return };
    let amd = reg
        .push_platform_image("multi", None, "g1", "linux", "amd64")
        .unwrap();
    let arm = reg
        .push_platform_image("multi", None, "g2", "linux", "arm64")
        .unwrap();
    let index = reg
        .push_index(
            "multi",
            "2.0",
            &[
                ("linux", "amd64", amd.clone()),
                ("linux", "arm64", arm.clone()),
            ],
        )
        .unwrap();
    let key = TestKey::new("release");
    reg.sign_legacy("multi", index["digest"].as_str().unwrap(), &key)
        .unwrap();
    let f = check(&reg, "multi:2.0", &opts(&[("release", &key)]));
    assert_eq!(f.resolved_digest, index["digest"].as_str().unwrap());
    assert!(f.index && f.signed);
    let platforms: Vec<(&str, &str)> = f
        .platforms
        .iter()
        .map(|p| (p.platform.as_str(), p.digest.as_str()))
        .collect();
    assert_eq!(
        platforms,
        vec![
            ("linux/amd64", amd["digest"].as_str().unwrap()),
            ("linux/arm64", arm["digest"].as_str().unwrap())
        ]
    );
}

#[test]
fn unknown_tags_and_repositories_are_errors_not_panics() {
    let Some(reg) = registry() else { return };
    let f = check(&reg, "nothing:1", &VerifyOptions::default());
    assert_eq!(f.error, format!("tag 1 not found in {}/nothing", reg.host));
    let f = facts_for("Bad/Ref", &client(&reg), &VerifyOptions::default(), true);
    assert!(!f.valid);
    assert_eq!(
        f.error,
        "invalid reference format: repository name (Ref) must be lowercase"
    );
    // A registry that is not there: the error names it, after the retries.
    let gone = RegistryClient::new(ClientOptions {
        insecure: vec!["127.0.0.1:1".into()],
        retries: 1,
        backoff: std::time::Duration::from_millis(1),
        ..Default::default()
    });
    let f = facts_for("127.0.0.1:1/app:1", &gone, &VerifyOptions::default(), false);
    assert!(
        f.error.starts_with(
            "cannot resolve 127.0.0.1:1/app:1: HEAD http://127.0.0.1:1/v2/app/manifests/1: "
        ),
        "{}",
        f.error
    );
    assert!(f.error.ends_with("(after 2 attempts)"), "{}", f.error);
}

#[test]
fn sigstore_bundles_through_the_referrers_tag_fallback() {
    let Some(reg) = registry() else { return };
    let key = TestKey::new("release");
    let img = reg.push_image("app", Some("1"), "h").unwrap();
    let d = img["digest"].as_str().unwrap();
    reg.attach_bundle(
        "app",
        &img,
        &sign_bundle(&format!("{}/app", reg.host), d, &key, None),
    )
    .unwrap();
    let f = check(&reg, "app:1", &opts(&[("release", &key)]));
    assert_eq!(
        only_reason(&f),
        (
            true,
            "release",
            "Sigstore bundle signature by key release verified; transparency log not checked"
        )
    );
    assert_eq!(f.signatures[0].kind, "bundle");
    let f = check(&reg, "app:1", &opts(&[("ops", &TestKey::new("ops"))]));
    assert_eq!(
        only_reason(&f),
        (
            false,
            "",
            "DSSE signature does not verify with any configured key (ops)"
        )
    );
    // A bundle for another image, attached to this one.
    let other = reg.push_image("app", None, "h2").unwrap();
    let img2 = reg.push_image("app", Some("2"), "h3").unwrap();
    reg.attach_bundle(
        "app",
        &img2,
        &sign_bundle("x", other["digest"].as_str().unwrap(), &key, None),
    )
    .unwrap();
    let f = check(&reg, "app:2", &opts(&[("release", &key)]));
    assert_eq!(
        only_reason(&f).2,
        format!(
            "signature is for {}, not this image's digest {}",
            other["digest"].as_str().unwrap(),
            img2["digest"].as_str().unwrap()
        )
    );
}

#[test]
fn rekor_entries_are_checked_offline_when_required() {
    let Some(reg) = registry() else { return };
    let key = TestKey::new("release");
    let rekor = TestKey::new("rekor");
    let img = reg.push_image("app", Some("1"), "i").unwrap();
    let d = img["digest"].as_str().unwrap();
    let payload = simple_signing_payload(&format!("{}/app", reg.host), d);
    let sig = key.sign(&payload);
    let (k, v) = rekor.rekor_annotation(&payload, &sig, &key);
    reg.attach_legacy("app", d, &payload, &sig, &[(k, v)])
        .unwrap();
    let mut o = opts(&[("release", &key)]);
    o.rekor_required = true;
    o.rekor_keys = vec![rekor.public("rekor")];
    let f = check(&reg, "app:1", &o);
    assert_eq!(
        only_reason(&f),
        (
            true,
            "release",
            "cosign signature by key release verified; Rekor entry verified offline (log index 42)"
        )
    );
    // Another log's key: the entry cannot be trusted.
    o.rekor_keys = vec![TestKey::new("other-log").public("other")];
    let f = check(&reg, "app:1", &o);
    let (ok, _, reason) = only_reason(&f);
    assert!(!ok);
    assert_eq!(reason, format!("cosign signature by key release verified, but a Rekor entry is required and Rekor entry is from log {}, which no configured Rekor key belongs to", &rekor.fingerprint()[7..]));
    // No entry at all.
    let img2 = reg.push_image("app", Some("2"), "i2").unwrap();
    reg.sign_legacy("app", img2["digest"].as_str().unwrap(), &key)
        .unwrap();
    o.rekor_keys = vec![rekor.public("rekor")];
    let f = check(&reg, "app:2", &o);
    assert_eq!(only_reason(&f).2, "cosign signature by key release verified, but a Rekor entry is required and it has no Rekor entry");
    // Bundles carry their entry in tlogEntries.
    let img3 = reg.push_image("app", Some("3"), "i3").unwrap();
    reg.attach_bundle(
        "app",
        &img3,
        &sign_bundle("app", img3["digest"].as_str().unwrap(), &key, Some(&rekor)),
    )
    .unwrap();
    let f = check(&reg, "app:3", &o);
    assert_eq!(only_reason(&f).2, "Sigstore bundle signature by key release verified; Rekor entry verified offline (log index 7)");
}

#[test]
fn evidence_replays_the_same_verdicts_without_the_registry() {
    let Some(reg) = registry() else { return };
    let key = TestKey::new("release");
    let a = reg.push_image("app", Some("1"), "j1").unwrap();
    reg.sign_legacy("app", a["digest"].as_str().unwrap(), &key)
        .unwrap();
    reg.push_image("app", Some("2"), "j2").unwrap();
    let images: Vec<String> = ["app:1", "app:2", "nope:1"]
        .iter()
        .map(|i| format!("{}/{i}", reg.host))
        .collect();
    let o = opts(&[("release", &key)]);
    let live = client(&reg);
    let recorder = Recorder::new(&live);
    let online = facts_parallel(&images, &recorder, &o, true, 4);
    let text = recorder.into_evidence().to_json();
    drop(reg);
    let evidence = Evidence::from_json(&text).unwrap();
    let offline = facts_parallel(&images, &evidence, &o, true, 1);
    assert_eq!(online, offline);
    assert!(offline[&images[0]].signed);
    assert!(!offline[&images[1]].signed);
    assert!(offline[&images[2]].error.starts_with("tag 1 not found"));
    // An image the evidence never saw.
    let f = facts_for("other.io/x:1", &evidence, &o, true);
    assert_eq!(f.error, "cannot resolve other.io/x:1: the evidence file has no record of other.io/x:1; run kvet images fetch again");
}

#[test]
fn the_cache_serves_what_digests_name() {
    let Some(reg) = registry() else { return };
    let key = TestKey::new("release");
    let a = reg.push_image("app", Some("1"), "k").unwrap();
    reg.sign_legacy("app", a["digest"].as_str().unwrap(), &key)
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mk = || {
        RegistryClient::new(ClientOptions {
            insecure: vec![reg.host.clone()],
            cache_dir: Some(dir.path().to_path_buf()),
            ..Default::default()
        })
    };
    let image = format!("{}/app:1", reg.host);
    let cold = mk();
    assert!(facts_for(&image, &cold, &opts(&[("release", &key)]), true).signed);
    let warm = mk();
    assert!(facts_for(&image, &warm, &opts(&[("release", &key)]), true).signed);
    // Cold: the tag, the manifest, the signature tag, its payload, the referrers API and its
    // tag fallback. Warm: what may have moved (tags, referrers) only.
    assert_eq!((cold.requests(), warm.requests()), (6, 4));
}
