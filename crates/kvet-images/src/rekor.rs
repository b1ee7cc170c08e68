//! Offline checks of Rekor transparency-log entries: the signed entry timestamp (SET) that
//! Rekor returns and cosign stores beside a signature, checked against a configured Rekor
//! public key, and the logged `hashedrekord` body checked against the signature it vouches for.

use crate::keys::PublicKey;
use base64::Engine as _;
use serde_json::Value;

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;

/// A log entry as cosign keeps it: the body, its place in the log and Rekor's SET.
#[derive(Debug, Clone)]
pub struct LogEntry {
    /// The canonicalized entry body (bytes).
    pub body: Vec<u8>,
    /// Seconds since the epoch at which the log integrated the entry.
    pub integrated_time: i64,
    /// Hex sha256 of the log's public key.
    pub log_id: String,
    /// Position in the log.
    pub log_index: i64,
    /// Rekor's signature over the canonical JSON of the four fields above.
    pub set: Vec<u8>,
}

impl LogEntry {
    /// Reads cosign's `dev.sigstore.cosign/bundle` annotation
    /// (`{"SignedEntryTimestamp", "Payload": {"body", "integratedTime", "logIndex", "logID"}}`).
    pub fn from_cosign_annotation(text: &str) -> Result<LogEntry, String> {
        let v: Value =
            serde_json::from_str(text).map_err(|e| format!("Rekor bundle is not JSON: {e}"))?;
        let p = v.get("Payload").ok_or("Rekor bundle has no Payload")?;
        Ok(LogEntry {
            body: B64
                .decode(
                    p.get("body")
                        .and_then(Value::as_str)
                        .ok_or("Rekor bundle has no body")?,
                )
                .map_err(|e| format!("Rekor bundle body is not base64: {e}"))?,
            integrated_time: p
                .get("integratedTime")
                .and_then(Value::as_i64)
                .ok_or("Rekor bundle has no integratedTime")?,
            log_id: p
                .get("logID")
                .and_then(Value::as_str)
                .ok_or("Rekor bundle has no logID")?
                .to_owned(),
            log_index: p
                .get("logIndex")
                .and_then(Value::as_i64)
                .ok_or("Rekor bundle has no logIndex")?,
            set: B64
                .decode(
                    v.get("SignedEntryTimestamp")
                        .and_then(Value::as_str)
                        .ok_or("Rekor bundle has no SignedEntryTimestamp")?,
                )
                .map_err(|e| format!("SignedEntryTimestamp is not base64: {e}"))?,
        })
    }

    /// The bytes Rekor signs: the entry's fields as canonical JSON (keys sorted, no spaces).
    pub fn signed_bytes(&self) -> Vec<u8> {
        let s = |x: &str| serde_json::to_string(x).unwrap_or_default();
        format!(
            "{{\"body\":{},\"integratedTime\":{},\"logID\":{},\"logIndex\":{}}}",
            s(&B64.encode(&self.body)),
            self.integrated_time,
            s(&self.log_id),
            self.log_index
        )
        .into_bytes()
    }

    /// Checks the SET with the Rekor key whose id is `log_id`, and that the logged body is a
    /// `hashedrekord` of exactly this `payload`, `signature` and signing key.
    pub fn verify(
        &self,
        rekor_keys: &[PublicKey],
        payload: &[u8],
        signature: &[u8],
        signer: &PublicKey,
    ) -> Result<(), String> {
        let Some(key) = rekor_keys
            .iter()
            .find(|k| k.fingerprint[7..] == self.log_id)
        else {
            return Err(format!(
                "Rekor entry is from log {}, which no configured Rekor key belongs to",
                self.log_id
            ));
        };
        if !key.verify(&self.signed_bytes(), &self.set) {
            return Err(
                "Rekor's signed entry timestamp does not verify with the Rekor key".to_owned(),
            );
        }
        let body: Value = serde_json::from_slice(&self.body)
            .map_err(|e| format!("Rekor entry body is not JSON: {e}"))?;
        if body.get("kind").and_then(Value::as_str) != Some("hashedrekord") {
            return Err("Rekor entry is not a hashedrekord".to_owned());
        }
        let hash = body
            .pointer("/spec/data/hash/value")
            .and_then(Value::as_str)
            .unwrap_or("");
        if format!("sha256:{hash}") != crate::digest::sha256(payload) {
            return Err("Rekor entry logs a different payload".to_owned());
        }
        let logged_sig = body
            .pointer("/spec/signature/content")
            .and_then(Value::as_str)
            .and_then(|s| B64.decode(s).ok());
        if logged_sig.as_deref() != Some(signature) {
            return Err("Rekor entry logs a different signature".to_owned());
        }
        let logged_key = body
            .pointer("/spec/signature/publicKey/content")
            .and_then(Value::as_str)
            .and_then(|s| B64.decode(s).ok())
            .and_then(|pem| {
                PublicKey::from_pem("rekor-entry", &String::from_utf8_lossy(&pem)).ok()
            });
        if logged_key.is_none_or(|k| k.fingerprint != signer.fingerprint) {
            return Err("Rekor entry logs a different public key".to_owned());
        }
        Ok(())
    }
}
