//! Keyless signatures: a Fulcio-style certificate chain made here (root and intermediate
//! P-384 CAs, a P-256 signing certificate with an email identity, code-signing usage and the
//! OIDC issuer extension), signatures pushed to a real registry on loopback in cosign's legacy
//! format with the certificate, chain and Rekor bundle annotations.

use kvet_images::cosign::check_bundle;
use kvet_images::cosign::{CERTIFICATE_ANNOTATION, CHAIN_ANNOTATION};
use kvet_images::keyless::{Identity, Keyless, Matcher};
use kvet_images::registry::{ClientOptions, RegistryClient};
use kvet_images::testing::{
    sign_bundle_keyless, simple_signing_payload, LocalRegistry, Pki, TestKey,
};

fn pki(signer: &TestKey, email: &str, code_signing: bool, day: u8) -> Pki {
    Pki::new(signer, email, ISSUER, code_signing, day)
}
use kvet_images::{facts_for, VerifyOptions};

const ISSUER: &str = "https://accounts.example.com";
const SIGNED_AT: i64 = 1_700_000_000; // 2023-11-14, inside the signing certificate's day

fn keyless(trusted: &str, subject: Matcher) -> Keyless {
    Keyless {
        identities: vec![Identity {
            subject,
            issuer: Matcher::Exact(ISSUER.to_owned()),
        }],
        roots: Keyless::roots_from_pem(trusted).unwrap(),
    }
}

#[test]
fn keyless_signatures_verify_against_the_fulcio_root_and_identity() {
    let Ok(Some(reg)) = LocalRegistry::start() else {
        eprintln!("\n!!! SKIPPED: /usr/bin/docker-registry is not installed !!!\n");
        return;
    };
    let client = RegistryClient::new(ClientOptions {
        insecure: vec![reg.host.clone()],
        ..Default::default()
    });
    let (signer, rekor) = (TestKey::new("ephemeral"), TestKey::new("rekor"));
    let good = pki(&signer, "dev@example.com", true, 14);
    // Each repository holds one image signed one way.
    let sign = |repo: &str, pki: &Pki, chain: bool, at: i64, key: &TestKey| {
        let img = reg.push_image(repo, Some("1"), repo).unwrap();
        let d = img["digest"].as_str().unwrap().to_owned();
        let payload = simple_signing_payload(&format!("{}/{repo}", reg.host), &d);
        let sig = key.sign(&payload);
        let mut ann = vec![(CERTIFICATE_ANNOTATION, pki.leaf.clone())];
        if chain {
            ann.push((
                CHAIN_ANNOTATION,
                format!("{}{}", pki.intermediate, pki.root),
            ));
        }
        let (k, v) = rekor.rekor_annotation_pem(&payload, &sig, &pki.leaf, at);
        ann.push((k, v));
        reg.attach_legacy(repo, &d, &payload, &sig, &ann).unwrap();
    };
    sign("good", &good, true, SIGNED_AT, &signer);
    sign("nochain", &good, false, SIGNED_AT, &signer);
    sign("late", &good, true, SIGNED_AT + 3 * 86_400, &signer);
    let other = pki(&signer, "dev@example.com", true, 14);
    sign("otherroot", &other, true, SIGNED_AT, &signer);
    let nocode = pki(&signer, "dev@example.com", false, 14);
    sign("nocode", &nocode, true, SIGNED_AT, &signer);
    sign(
        "wrongkey",
        &good,
        true,
        SIGNED_AT,
        &TestKey::new("someone else"),
    );

    let opts = |k: Keyless| VerifyOptions {
        rekor_keys: vec![rekor.public("rekor")],
        keyless: Some(k),
        ..Default::default()
    };
    let exact = opts(keyless(
        &good.root,
        Matcher::Exact("dev@example.com".into()),
    ));
    let verdict = |repo: &str, o: &VerifyOptions| {
        let f = facts_for(&format!("{}/{repo}:1", reg.host), &client, o, true);
        let s = f.signatures.first().cloned().expect("a signature");
        (s.verified, s.key_id, s.reason)
    };
    let (ok, id, why) = verdict("good", &exact);
    assert!(ok, "{why}");
    assert_eq!(id, "dev@example.com");
    assert!(
        why.starts_with("cosign keyless signature by dev@example.com (issuer https://accounts.example.com) verified; certificate chains to CN=kvet test root"),
        "{why}"
    );
    // Trusting the intermediate alone is enough; without the chain annotation the root alone is not.
    let (ok, _, why) = verdict(
        "nochain",
        &opts(keyless(
            &good.intermediate,
            Matcher::Exact("dev@example.com".into()),
        )),
    );
    assert!(ok, "{why}");
    let (ok, _, why) = verdict("nochain", &exact);
    assert!(!ok);
    assert!(
        why.ends_with("does not chain to a trusted Fulcio root"),
        "{why}"
    );
    let regex = opts(keyless(
        &good.root,
        Matcher::regex("@example\\.com$").unwrap(),
    ));
    assert!(verdict("good", &regex).0);
    for (repo, o, want) in [
        ("good", opts(keyless(&good.root, Matcher::Exact("ops@example.com".into()))),
         "certificate identity dev@example.com from https://accounts.example.com is not accepted (accepted: ops@example.com from https://accounts.example.com)"),
        ("late", exact.clone(), "certificate was not valid when the signature was logged"),
        ("otherroot", exact.clone(), "does not chain to a trusted Fulcio root"),
        ("nocode", exact.clone(), "certificate is not for code signing"),
        ("wrongkey", exact.clone(), "signature does not verify with its certificate's key"),
    ] {
        let (ok, _, why) = verdict(repo, &o);
        assert!(!ok, "{repo}");
        assert!(why.contains(want), "{repo}: {why}");
    }
    // Without a Rekor key the signature cannot be dated, so it does not count.
    let undated = VerifyOptions {
        keyless: Some(keyless(
            &good.root,
            Matcher::Exact("dev@example.com".into()),
        )),
        ..Default::default()
    };
    let (ok, _, why) = verdict("good", &undated);
    assert!(!ok);
    assert!(why.contains("no Rekor key was configured"), "{why}");
}

#[test]
fn keyless_bundles_verify_and_are_dated_by_the_log() {
    let (signer, rekor) = (TestKey::new("ephemeral"), TestKey::new("rekor"));
    let good = pki(&signer, "ci@example.com", true, 14);
    let digest = "sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";
    let opts = VerifyOptions {
        rekor_keys: vec![rekor.public("rekor")],
        keyless: Some(keyless(
            &format!("{}{}", good.intermediate, good.root),
            Matcher::Exact("ci@example.com".into()),
        )),
        ..Default::default()
    };
    let bundle = |at: i64, key: &TestKey| {
        sign_bundle_keyless("app", digest, key, &good.leaf_der, &rekor, at)
    };
    let f = check_bundle(&bundle(SIGNED_AT, &signer), digest, &opts, "sha256:b");
    assert!(f.verified, "{}", f.reason);
    assert_eq!(f.key_id, "ci@example.com");
    assert_eq!(f.tlog, "verified");
    let f = check_bundle(
        &bundle(SIGNED_AT - 2 * 86_400, &signer),
        digest,
        &opts,
        "sha256:b",
    );
    assert!(
        f.reason
            .contains("certificate was not valid when the signature was logged"),
        "{}",
        f.reason
    );
    let f = check_bundle(
        &bundle(SIGNED_AT, &TestKey::new("x")),
        digest,
        &opts,
        "sha256:b",
    );
    assert!(
        f.reason
            .ends_with("DSSE signature does not verify with its certificate's key"),
        "{}",
        f.reason
    );
    let other = "sha256:0000000000000000000000000000000000000000000000000000000000000000";
    let f = check_bundle(&bundle(SIGNED_AT, &signer), other, &opts, "sha256:b");
    assert!(!f.verified);
    assert!(
        f.reason.starts_with("signature is for sha256:9f86"),
        "{}",
        f.reason
    );
    // Without keyless settings the certificate is named, not silently ignored.
    let f = check_bundle(
        &bundle(SIGNED_AT, &signer),
        digest,
        &VerifyOptions::default(),
        "sha256:b",
    );
    assert!(f.reason.contains("--fulcio-root"), "{}", f.reason);
}
