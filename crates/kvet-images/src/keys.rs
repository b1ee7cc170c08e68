//! Public keys that cosign signs with (`cosign generate-key-pair` makes ECDSA P-256; imported
//! and KMS keys may also be Ed25519 or RSA), and signature checks as cosign makes them.

use base64::Engine as _;

/// A verification key with the name policies know it by.
#[derive(Clone)]
pub struct PublicKey {
    /// The name findings and policies use (`--cosign-key NAME=PATH`, else the file stem).
    pub id: String,
    /// `sha256:` of the key's DER SubjectPublicKeyInfo.
    pub fingerprint: String,
    kind: KeyKind,
}

#[derive(Clone)]
enum KeyKind {
    P256(p256::ecdsa::VerifyingKey),
    P384(p384::ecdsa::VerifyingKey),
    Ed25519(ed25519_dalek::VerifyingKey),
    Rsa(rsa::RsaPublicKey),
}

impl std::fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "PublicKey({}, {}, {})",
            self.id,
            self.algorithm(),
            self.fingerprint
        )
    }
}

/// The DER body of the first PEM block labelled `label`.
fn pem_block(pem: &str, label: &str) -> Option<Vec<u8>> {
    let begin = format!("-----BEGIN {label}-----");
    let end = format!("-----END {label}-----");
    let start = pem.find(&begin)? + begin.len();
    let stop = start + pem[start..].find(&end)?;
    let b64: String = pem[start..stop]
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    base64::engine::general_purpose::STANDARD.decode(b64).ok()
}

impl PublicKey {
    /// Reads a PEM public key (`PUBLIC KEY`: P-256, Ed25519 or RSA; `RSA PUBLIC KEY`).
    pub fn from_pem(id: &str, pem: &str) -> Result<PublicKey, String> {
        let fail = |why: &str| Err(format!("key {id}: {why}"));
        if let Some(der) = pem_block(pem, "PUBLIC KEY") {
            return PublicKey::from_spki_der(id, &der);
        }
        if let Some(der) = pem_block(pem, "RSA PUBLIC KEY") {
            use rsa::pkcs1::DecodeRsaPublicKey;
            let fingerprint = crate::digest::sha256(&der);
            return match rsa::RsaPublicKey::from_pkcs1_der(&der) {
                Ok(k) => Ok(PublicKey {
                    id: id.to_owned(),
                    fingerprint,
                    kind: KeyKind::Rsa(k),
                }),
                Err(e) => fail(&format!("bad RSA public key: {e}")),
            };
        }
        if pem.contains("PRIVATE KEY") {
            return fail("this is a private key; give the public key (cosign.pub)");
        }
        fail("no PEM public key found (expected -----BEGIN PUBLIC KEY-----)")
    }

    /// Reads a DER SubjectPublicKeyInfo (ECDSA P-256 or P-384, Ed25519, RSA).
    pub fn from_spki_der(id: &str, der: &[u8]) -> Result<PublicKey, String> {
        use p256::pkcs8::DecodePublicKey;
        let fingerprint = crate::digest::sha256(der);
        let kind = if let Ok(k) = p256::ecdsa::VerifyingKey::from_public_key_der(der) {
            KeyKind::P256(k)
        } else if let Ok(k) = p384::ecdsa::VerifyingKey::from_public_key_der(der) {
            KeyKind::P384(k)
        } else if let Ok(k) = ed25519_dalek::VerifyingKey::from_public_key_der(der) {
            KeyKind::Ed25519(k)
        } else if let Ok(k) = rsa::RsaPublicKey::from_public_key_der(der) {
            KeyKind::Rsa(k)
        } else {
            return Err(format!(
                "key {id}: not an ECDSA P-256 or P-384, Ed25519 or RSA public key"
            ));
        };
        Ok(PublicKey {
            id: id.to_owned(),
            fingerprint,
            kind,
        })
    }

    /// Checks an ECDSA signature (ASN.1 DER) over a message digest, for certificate chains
    /// (P-256 or P-384 issuers, any SHA-2 digest).
    pub fn verify_prehash(&self, digest: &[u8], signature: &[u8]) -> bool {
        use p256::ecdsa::signature::hazmat::PrehashVerifier;
        match &self.kind {
            KeyKind::P256(k) => p256::ecdsa::DerSignature::try_from(signature)
                .is_ok_and(|s| k.verify_prehash(digest, &s).is_ok()),
            KeyKind::P384(k) => p384::ecdsa::DerSignature::try_from(signature)
                .is_ok_and(|s| k.verify_prehash(digest, &s).is_ok()),
            _ => false,
        }
    }

    /// `ecdsa-p256`, `ecdsa-p384`, `ed25519` or `rsa`.
    pub fn algorithm(&self) -> &'static str {
        match self.kind {
            KeyKind::P256(_) => "ecdsa-p256",
            KeyKind::P384(_) => "ecdsa-p384",
            KeyKind::Ed25519(_) => "ed25519",
            KeyKind::Rsa(_) => "rsa",
        }
    }

    /// Whether `signature` is this key's signature of `message`, as sigstore's verifiers
    /// check it: ECDSA (ASN.1 DER; P-256 over SHA-256, P-384 over SHA-384) and RSA PKCS#1 v1.5
    /// over SHA-256, Ed25519 over the message.
    pub fn verify(&self, message: &[u8], signature: &[u8]) -> bool {
        use p256::ecdsa::signature::Verifier;
        match &self.kind {
            KeyKind::P256(k) => p256::ecdsa::DerSignature::try_from(signature)
                .is_ok_and(|s| k.verify(message, &s).is_ok()),
            // P-384 keys sign SHA-384 digests in sigstore.
            KeyKind::P384(k) => p384::ecdsa::DerSignature::try_from(signature)
                .is_ok_and(|s| k.verify(message, &s).is_ok()),
            KeyKind::Ed25519(k) => ed25519_dalek::Signature::from_slice(signature)
                .is_ok_and(|s| k.verify(message, &s).is_ok()),
            KeyKind::Rsa(k) => {
                let v = rsa::pkcs1v15::VerifyingKey::<sha2::Sha256>::new(k.clone());
                rsa::pkcs1v15::Signature::try_from(signature)
                    .is_ok_and(|s| v.verify(message, &s).is_ok())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_keys_are_explained() {
        assert_eq!(
            PublicKey::from_pem("k", "hello").unwrap_err(),
            "key k: no PEM public key found (expected -----BEGIN PUBLIC KEY-----)"
        );
        assert_eq!(
            PublicKey::from_pem(
                "k",
                "-----BEGIN EC PRIVATE KEY-----\nAA==\n-----END EC PRIVATE KEY-----"
            )
            .unwrap_err(),
            "key k: this is a private key; give the public key (cosign.pub)"
        );
        assert_eq!(
            PublicKey::from_pem(
                "k",
                "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----"
            )
            .unwrap_err(),
            "key k: not an ECDSA P-256 or P-384, Ed25519 or RSA public key"
        );
    }
}
