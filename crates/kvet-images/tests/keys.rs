//! Signatures made by OpenSSL verify with every key type cosign accepts, and only over the
//! exact payload.

use kvet_images::PublicKey;
use std::path::PathBuf;

fn fixture(name: &str) -> Vec<u8> {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../fixtures/images/keys")
        .join(name);
    std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

#[test]
fn openssl_signatures_verify_with_each_key_type() {
    let payload = fixture("payload.json");
    let mut tampered = payload.clone();
    tampered[10] ^= 1;
    for (name, algorithm) in [
        ("ecdsa-p256", "ecdsa-p256"),
        ("ed25519", "ed25519"),
        ("rsa", "rsa"),
    ] {
        let pem = String::from_utf8(fixture(&format!("{name}.pub"))).unwrap();
        let key = PublicKey::from_pem(name, &pem).unwrap();
        assert_eq!(key.algorithm(), algorithm);
        let sig = fixture(&format!("{name}.sig"));
        assert!(key.verify(&payload, &sig), "{name}");
        assert!(!key.verify(&tampered, &sig), "{name} tampered");
        assert!(!key.verify(&payload, &sig[1..]), "{name} truncated");
    }
    // A signature by one key does not verify with another.
    let ec =
        PublicKey::from_pem("ec", &String::from_utf8(fixture("ecdsa-p256.pub")).unwrap()).unwrap();
    assert!(!ec.verify(&payload, &fixture("rsa.sig")));
}
