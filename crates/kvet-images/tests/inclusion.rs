//! Rekor inclusion proofs in Sigstore bundles: the audit path must lead from the logged entry
//! to the root hash, and the log must have signed a checkpoint of exactly that tree.

use kvet_images::cosign::{check_bundle, VerifyOptions};
use kvet_images::rekor::{leaf_hash, root_from_path};
use kvet_images::testing::{merkle_path, merkle_root, sign_bundle_with_proof, TestKey};
use serde_json::Value;

const DIGEST: &str = "sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";

#[test]
fn audit_paths_lead_to_the_root_at_every_position() {
    for size in 1..=33u64 {
        let leaves: Vec<[u8; 32]> = (0..size).map(|i| leaf_hash(&i.to_be_bytes())).collect();
        let root = merkle_root(&leaves);
        for index in 0..size {
            let path = merkle_path(index as usize, &leaves);
            assert_eq!(
                root_from_path(index, size, leaves[index as usize], &path),
                Some(root),
                "leaf {index} of {size}"
            );
            // The same path is no proof for a neighbour. (It may fit a larger tree: the tree
            // size is bound by the signed checkpoint, not by the path.)
            if size > 1 {
                let other = (index + 1) % size;
                assert_ne!(
                    root_from_path(other, size, leaves[index as usize], &path),
                    Some(root)
                );
            }
        }
    }
    assert_eq!(root_from_path(3, 3, [0; 32], &[]), None);
}

fn verify(bundle: &Value, rekor: &TestKey, required: bool) -> kvet_images::SignatureFact {
    let opts = VerifyOptions {
        keys: vec![TestKey::new("signer").public("team")],
        rekor_keys: vec![rekor.public("rekor")],
        rekor_required: required,
        ..Default::default()
    };
    check_bundle(
        &serde_json::to_vec(bundle).unwrap(),
        DIGEST,
        &opts,
        "sha256:bundle",
    )
}

#[test]
fn bundles_with_inclusion_proofs_verify_and_tampering_fails() {
    let (signer, rekor) = (TestKey::new("signer"), TestKey::new("rekor"));
    for (index, size, promise) in [(0, 1, true), (5, 13, true), (12, 13, false), (6, 7, false)] {
        let b = sign_bundle_with_proof("app", DIGEST, &signer, &rekor, index, size, promise);
        let f = verify(&b, &rekor, true);
        assert!(f.verified, "{index}/{size}: {}", f.reason);
        assert_eq!(f.tlog, "verified");
        assert!(
            f.reason.ends_with(&format!(
                "inclusion proof verified against the log's signed checkpoint (tree size {size})"
            )),
            "{}",
            f.reason
        );
    }
    let good = sign_bundle_with_proof("app", DIGEST, &signer, &rekor, 5, 13, false);
    let tamper = |ptr: &str, v: Value| {
        let mut b = good.clone();
        *b.pointer_mut(ptr).unwrap() = v;
        b
    };
    let proof = "/verificationMaterial/tlogEntries/0/inclusionProof";
    let root = good.pointer(&format!("{proof}/rootHash")).unwrap().clone();
    let cases = [
        (
            tamper(&format!("{proof}/hashes/0"), root.clone()),
            "inclusion proof does not lead to its root hash",
        ),
        (
            tamper(&format!("{proof}/treeSize"), "14".into()),
            "checkpoint is for a different tree than the inclusion proof",
        ),
        (
            tamper(&format!("{proof}/logIndex"), "13".into()),
            "inclusion proof does not fit a tree of 13 entries at index 13",
        ),
        (
            tamper(
                "/verificationMaterial/tlogEntries/0/canonicalizedBody",
                "e30=".into(),
            ),
            "inclusion proof does not lead to its root hash",
        ),
    ];
    for (b, why) in cases {
        let f = verify(&b, &rekor, true);
        assert!(!f.verified);
        assert!(f.reason.ends_with(why), "{why}: {}", f.reason);
    }
    // A checkpoint signed by another log, or of another tree, does not vouch for the proof.
    let other = TestKey::new("impostor");
    let forged = sign_bundle_with_proof("app", DIGEST, &signer, &other, 5, 13, false);
    let mut b = good.clone();
    *b.pointer_mut(&format!("{proof}/checkpoint")).unwrap() = forged
        .pointer(&format!("{proof}/checkpoint"))
        .unwrap()
        .clone();
    let f = verify(&b, &rekor, true);
    assert!(
        f.reason
            .ends_with("checkpoint is not signed by the Rekor key"),
        "{}",
        f.reason
    );
    // Without the requirement, a failed proof is said, not hidden.
    let f = verify(&b, &rekor, false);
    assert!(f.verified);
    assert!(
        f.reason.ends_with("transparency log not checked"),
        "{}",
        f.reason
    );
}
