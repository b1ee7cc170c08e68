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
                let pem = String::from_utf8_lossy(&pem).into_owned();
                // Keyless entries log the signer's certificate instead of a key.
                if pem.contains("BEGIN CERTIFICATE") {
                    crate::keyless::parse_certificate(pem.as_bytes())
                        .and_then(|c| crate::keyless::certificate_key(&c, "rekor-entry"))
                        .ok()
                } else {
                    PublicKey::from_pem("rekor-entry", &pem).ok()
                }
            });
        if logged_key.is_none_or(|k| k.fingerprint != signer.fingerprint) {
            return Err("Rekor entry logs a different public key".to_owned());
        }
        Ok(())
    }
}

/// A Merkle inclusion proof of a log entry with the signed checkpoint it leads to, as a
/// Sigstore bundle carries it (`tlogEntries[].inclusionProof`).
#[derive(Debug, Clone)]
pub struct InclusionProof {
    /// The entry's index in the tree the proof is for.
    pub log_index: u64,
    /// The size of that tree.
    pub tree_size: u64,
    /// The tree's root hash.
    pub root_hash: Vec<u8>,
    /// The audit path, leaf to root.
    pub hashes: Vec<Vec<u8>>,
    /// The log's signed note over (origin, tree size, root hash).
    pub checkpoint: String,
}

fn sha256_parts(parts: &[&[u8]]) -> [u8; 32] {
    use sha2::Digest as _;
    let mut h = sha2::Sha256::new();
    for p in parts {
        h.update(p);
    }
    h.finalize().into()
}

/// The RFC 6962 hash of a log leaf.
pub fn leaf_hash(entry: &[u8]) -> [u8; 32] {
    sha256_parts(&[&[0], entry])
}

/// The RFC 6962 hash of an interior node.
pub fn node_hash(left: &[u8], right: &[u8]) -> [u8; 32] {
    sha256_parts(&[&[1], left, right])
}

/// The root an audit path leads to from `leaf` at `index` in a tree of `size` leaves
/// (RFC 9162, section 2.1.3.2), or `None` when the path does not fit the tree.
pub fn root_from_path(index: u64, size: u64, leaf: [u8; 32], path: &[Vec<u8>]) -> Option<[u8; 32]> {
    if index >= size {
        return None;
    }
    let (mut f, mut s) = (index, size - 1);
    let mut r = leaf;
    for p in path {
        if s == 0 {
            return None;
        }
        if f & 1 == 1 || f == s {
            r = node_hash(p, &r);
            while f & 1 == 0 && f != 0 {
                f >>= 1;
                s >>= 1;
            }
        } else {
            r = node_hash(&r, p);
        }
        f >>= 1;
        s >>= 1;
    }
    (s == 0).then_some(r)
}

impl InclusionProof {
    /// Reads `inclusionProof` of a bundle's log entry (integers as JSON strings, hashes base64).
    pub fn from_bundle(v: &Value) -> Result<InclusionProof, String> {
        let int = |k: &str| {
            v.get(k)
                .and_then(|x| {
                    x.as_str()
                        .and_then(|s| s.parse().ok())
                        .or_else(|| x.as_u64())
                })
                .ok_or(format!("inclusion proof has no {k}"))
        };
        let b64 = |x: &Value| x.as_str().and_then(|s| B64.decode(s).ok());
        Ok(InclusionProof {
            log_index: int("logIndex")?,
            tree_size: int("treeSize")?,
            root_hash: v
                .get("rootHash")
                .and_then(b64)
                .ok_or("inclusion proof has no rootHash")?,
            hashes: v
                .get("hashes")
                .and_then(Value::as_array)
                .map(|a| a.iter().map(b64).collect::<Option<Vec<_>>>())
                .unwrap_or(Some(Vec::new()))
                .ok_or("inclusion proof hashes are not base64")?,
            checkpoint: v
                .pointer("/checkpoint/envelope")
                .and_then(Value::as_str)
                .ok_or("inclusion proof has no checkpoint")?
                .to_owned(),
        })
    }

    /// Checks that `body` is in the tree (the audit path leads to the root hash) and that the
    /// log whose id is `log_id` signed a checkpoint of that very tree.
    pub fn verify(
        &self,
        body: &[u8],
        log_id: &str,
        rekor_keys: &[PublicKey],
    ) -> Result<(), String> {
        let root = root_from_path(
            self.log_index,
            self.tree_size,
            leaf_hash(body),
            &self.hashes,
        )
        .ok_or_else(|| {
            format!(
                "inclusion proof does not fit a tree of {} entries at index {}",
                self.tree_size, self.log_index
            )
        })?;
        if root[..] != self.root_hash[..] {
            return Err("inclusion proof does not lead to its root hash".to_owned());
        }
        let key = rekor_keys
            .iter()
            .find(|k| k.fingerprint[7..] == *log_id)
            .ok_or_else(|| {
                format!("checkpoint is from log {log_id}, which no configured Rekor key belongs to")
            })?;
        let (note, signatures) = self
            .checkpoint
            .split_once("\n\n")
            .ok_or("checkpoint is not a signed note (no blank line before its signatures)")?;
        let note = format!("{note}\n");
        let hint: Vec<u8> = (0..4)
            .filter_map(|i| u8::from_str_radix(log_id.get(2 * i..2 * i + 2)?, 16).ok())
            .collect();
        let signed = signatures.lines().any(|line| {
            let Some(rest) = line.strip_prefix("\u{2014} ") else {
                return false;
            };
            let Some(sig) = rest.rsplit(' ').next().and_then(|s| B64.decode(s).ok()) else {
                return false;
            };
            sig.len() > 4 && sig[..4] == hint[..] && key.verify(note.as_bytes(), &sig[4..])
        });
        if !signed {
            return Err("checkpoint is not signed by the Rekor key".to_owned());
        }
        let mut lines = note.lines();
        let _origin = lines.next();
        let size: Option<u64> = lines.next().and_then(|l| l.parse().ok());
        let root_line = lines.next().and_then(|l| B64.decode(l).ok());
        if size != Some(self.tree_size) || root_line.as_deref() != Some(&self.root_hash[..]) {
            return Err("checkpoint is for a different tree than the inclusion proof".to_owned());
        }
        Ok(())
    }
}
