//! Cosign signatures, key-based: the legacy scheme (a `sha256-<hex>.sig` manifest whose
//! simple-signing layers carry the signature in an annotation) and Sigstore bundles attached
//! as OCI referrers (found through the referrers API or its tag-schema fallback).

use crate::digest;
use crate::keys::PublicKey;
use crate::rekor::{InclusionProof, LogEntry};
use crate::source::{media, ImageSource, Manifest};
use base64::Engine as _;
use serde::{Deserialize, Serialize};
use serde_json::Value;

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;
/// The annotation holding a legacy signature (base64).
pub const SIGNATURE_ANNOTATION: &str = "dev.cosignproject.cosign/signature";
/// The annotation holding the Rekor bundle of a legacy signature.
pub const REKOR_ANNOTATION: &str = "dev.sigstore.cosign/bundle";
/// The annotation holding a Fulcio certificate (keyless signatures).
pub const CERTIFICATE_ANNOTATION: &str = "dev.sigstore.cosign/certificate";
/// The annotation holding the certificates between a Fulcio certificate and its root.
pub const CHAIN_ANNOTATION: &str = "dev.sigstore.cosign/chain";
/// The `critical.type` of a simple-signing payload.
pub const SIMPLE_SIGNING_TYPE: &str = "cosign container image signature";
/// The in-toto predicate type cosign v3 signs images with.
pub const SIGN_PREDICATE: &str = "https://sigstore.dev/cosign/sign/v1";
/// The DSSE payload type of in-toto statements.
pub const IN_TOTO: &str = "application/vnd.in-toto+json";
/// Payloads and bundles larger than this are refused (they are a few KiB).
const MAX_PAYLOAD: u64 = 1 << 20;
/// At most this many signatures are examined per image.
const MAX_SIGNATURES: usize = 64;

/// How signatures are judged.
#[derive(Debug, Clone, Default)]
pub struct VerifyOptions {
    /// Keys a signature may be made with.
    pub keys: Vec<PublicKey>,
    /// Rekor public keys for checking transparency-log entries offline.
    pub rekor_keys: Vec<PublicKey>,
    /// A signature counts only with a Rekor entry that verifies.
    pub rekor_required: bool,
    /// Accepted keyless signers and trusted Fulcio roots.
    pub keyless: Option<crate::keyless::Keyless>,
}

/// One signature found for an image, and the verdict on it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignatureFact {
    /// The configured key that verified it (empty when none did).
    pub key_id: String,
    /// Whether it is a valid signature of this image by `key_id`.
    pub verified: bool,
    /// Why it is or is not valid, including whether the transparency log was checked.
    pub reason: String,
    /// `cosign` (legacy `.sig` tag) or `bundle` (Sigstore bundle referrer).
    pub kind: String,
    /// The manifest that carries it.
    pub manifest: String,
    /// `verified`, `not checked` or `failed`.
    pub tlog: String,
}

fn json_of(bytes: &[u8]) -> Option<Value> {
    serde_json::from_slice(bytes).ok()
}

/// Whether a signed docker-reference names `name` (cosign writes Docker Hub as
/// `index.docker.io/...`; a reference may also carry a tag or digest).
fn same_repository(signed: &str, name: &str) -> bool {
    let bare = match crate::Reference::parse(signed) {
        Ok(r) => r.name(),
        Err(_) => signed.to_owned(),
    };
    bare == name
}

/// Every signature of `digest` in `registry/repository`, each with its verdict. Errors reaching
/// the source are returned; problems with a signature are verdicts.
pub fn signatures(
    source: &dyn ImageSource,
    registry: &str,
    repository: &str,
    digest: &str,
    opts: &VerifyOptions,
) -> Result<Vec<SignatureFact>, String> {
    let name = format!("{registry}/{repository}");
    let mut out = Vec::new();
    if let Some(m) = source
        .manifest(registry, repository, &digest::signature_tag(digest))
        .map_err(|e| e.0)?
    {
        legacy(
            source, registry, repository, &name, digest, &m, opts, &mut out,
        )?;
    }
    let index = match source
        .referrers(registry, repository, digest)
        .map_err(|e| e.0)?
    {
        Some(i) => Some(i),
        None => source
            .manifest(registry, repository, &digest::referrers_tag(digest))
            .map_err(|e| e.0)?,
    };
    if let Some(index) = index {
        let v = index.json()?;
        for d in v
            .get("manifests")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            if out.len() >= MAX_SIGNATURES {
                break;
            }
            if d.get("artifactType").and_then(Value::as_str) != Some(media::SIGSTORE_BUNDLE) {
                continue;
            }
            let Some(md) = d.get("digest").and_then(Value::as_str) else {
                continue;
            };
            let fact = match source.manifest(registry, repository, md).map_err(|e| e.0)? {
                Some(m) => bundle(source, registry, repository, digest, &m, opts)?,
                None => fail("bundle", md, format!("referrer {md} is listed but missing")),
            };
            out.push(fact);
        }
    }
    Ok(out)
}

fn fail(kind: &str, manifest: &str, reason: String) -> SignatureFact {
    SignatureFact {
        key_id: String::new(),
        verified: false,
        reason,
        kind: kind.to_owned(),
        manifest: manifest.to_owned(),
        tlog: "not checked".to_owned(),
    }
}

fn key_names(opts: &VerifyOptions) -> String {
    if opts.keys.is_empty() {
        "no key was configured".to_owned()
    } else {
        opts.keys
            .iter()
            .map(|k| k.id.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// The configured key that made `signature` over `message`.
fn signer<'k>(opts: &'k VerifyOptions, message: &[u8], signature: &[u8]) -> Option<&'k PublicKey> {
    opts.keys.iter().find(|k| k.verify(message, signature))
}

/// Applies the transparency-log requirement to a signature that verified.
fn with_tlog(
    mut fact: SignatureFact,
    entry: Option<Result<LogEntry, String>>,
    check: impl Fn(&LogEntry) -> Result<(), String>,
    opts: &VerifyOptions,
) -> SignatureFact {
    let outcome = match entry {
        None => Err("it has no Rekor entry".to_owned()),
        Some(Err(e)) => Err(e),
        Some(Ok(e)) if opts.rekor_keys.is_empty() => Err(format!(
            "no Rekor key was configured to check its entry (log index {})",
            e.log_index
        )),
        Some(Ok(e)) => check(&e).map(|()| e.log_index),
    };
    match outcome {
        Ok(index) => {
            fact.tlog = "verified".to_owned();
            fact.reason.push_str(&format!(
                "; Rekor entry verified offline (log index {index})"
            ));
        }
        Err(why) if opts.rekor_required => {
            fact.verified = false;
            fact.tlog = "failed".to_owned();
            fact.reason = format!("{}, but a Rekor entry is required and {why}", fact.reason);
        }
        Err(_) => fact.reason.push_str("; transparency log not checked"),
    }
    fact
}

#[allow(clippy::too_many_arguments)]
fn legacy(
    source: &dyn ImageSource,
    registry: &str,
    repository: &str,
    name: &str,
    image_digest: &str,
    m: &Manifest,
    opts: &VerifyOptions,
    out: &mut Vec<SignatureFact>,
) -> Result<(), String> {
    let v = m.json()?;
    for layer in v
        .get("layers")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        if out.len() >= MAX_SIGNATURES {
            break;
        }
        let at = &m.digest;
        if layer.get("mediaType").and_then(Value::as_str) != Some(media::SIMPLE_SIGNING) {
            continue;
        }
        let ann = |k: &str| {
            layer
                .pointer(&format!("/annotations/{}", k.replace('/', "~1")))
                .and_then(Value::as_str)
        };
        let Some(sig_b64) = ann(SIGNATURE_ANNOTATION) else {
            out.push(fail(
                "cosign",
                at,
                format!("signature layer has no {SIGNATURE_ANNOTATION} annotation"),
            ));
            continue;
        };
        let Ok(sig) = B64.decode(sig_b64.trim()) else {
            out.push(fail(
                "cosign",
                at,
                "signature annotation is not base64".to_owned(),
            ));
            continue;
        };
        let Some(layer_digest) = layer.get("digest").and_then(Value::as_str) else {
            out.push(fail(
                "cosign",
                at,
                "signature layer has no digest".to_owned(),
            ));
            continue;
        };
        if layer.get("size").and_then(Value::as_u64).unwrap_or(0) > MAX_PAYLOAD {
            out.push(fail(
                "cosign",
                at,
                format!("signed payload {layer_digest} is larger than 1 MiB"),
            ));
            continue;
        }
        let payload = source
            .blob(registry, repository, layer_digest)
            .map_err(|e| e.0)?;
        if let (None, Some(cert), Some(k)) = (
            signer(opts, &payload, &sig),
            ann(CERTIFICATE_ANNOTATION),
            &opts.keyless,
        ) {
            let entry = ann(REKOR_ANNOTATION).map(LogEntry::from_cosign_annotation);
            out.push(keyless_legacy(
                k,
                cert,
                ann(CHAIN_ANNOTATION),
                &payload,
                &sig,
                entry,
                opts,
                at,
                |p| check_simple_signing(p, name, image_digest),
            ));
            continue;
        }
        let Some(key) = signer(opts, &payload, &sig) else {
            let keyless = if ann(CERTIFICATE_ANNOTATION).is_some() {
                " (it carries a Fulcio certificate: give --fulcio-root, --certificate-identity and --certificate-oidc-issuer to verify it keyless)"
            } else {
                ""
            };
            out.push(fail(
                "cosign",
                at,
                format!(
                    "signature does not verify with any configured key ({}){keyless}",
                    key_names(opts)
                ),
            ));
            continue;
        };
        let fact = match check_simple_signing(&payload, name, image_digest) {
            Err(why) => SignatureFact {
                key_id: key.id.clone(),
                ..fail("cosign", at, why)
            },
            Ok(()) => {
                let ok = SignatureFact {
                    key_id: key.id.clone(),
                    verified: true,
                    reason: format!("cosign signature by key {} verified", key.id),
                    kind: "cosign".to_owned(),
                    manifest: at.clone(),
                    tlog: "not checked".to_owned(),
                };
                let entry = ann(REKOR_ANNOTATION).map(LogEntry::from_cosign_annotation);
                with_tlog(
                    ok,
                    entry,
                    |e| e.verify(&opts.rekor_keys, &payload, &sig, key),
                    opts,
                )
            }
        };
        out.push(fact);
    }
    Ok(())
}

/// Verifies a legacy signature made with a Fulcio certificate: the signature with the
/// certificate's key, the Rekor entry (which dates the signature), the certificate at that
/// date, then the payload.
#[allow(clippy::too_many_arguments)]
fn keyless_legacy(
    k: &crate::keyless::Keyless,
    cert_pem: &str,
    chain_pem: Option<&str>,
    payload: &[u8],
    sig: &[u8],
    entry: Option<Result<LogEntry, String>>,
    opts: &VerifyOptions,
    at: &str,
    check_payload: impl Fn(&[u8]) -> Result<(), String>,
) -> SignatureFact {
    use crate::keyless::{certificate_key, parse_certificate, verify_certificate};
    let fail_k = |why: String| fail("cosign", at, format!("keyless signature: {why}"));
    let leaf = match parse_certificate(cert_pem.as_bytes()) {
        Ok(c) => c,
        Err(e) => return fail_k(e),
    };
    let chain = match chain_pem {
        Some(p) if !p.trim().is_empty() => {
            match x509_cert::Certificate::load_pem_chain(p.as_bytes()) {
                Ok(c) => c,
                Err(e) => return fail_k(format!("certificate chain is not valid PEM: {e}")),
            }
        }
        _ => Vec::new(),
    };
    let key = match certificate_key(&leaf, "certificate") {
        Ok(k) => k,
        Err(e) => return fail_k(e),
    };
    if !key.verify(payload, sig) {
        return fail_k("signature does not verify with its certificate's key".to_owned());
    }
    // The certificate lives minutes; only the log says when the signature was made.
    let e = match entry {
        None => return fail_k("it has no Rekor entry, so when it was made is unknown".to_owned()),
        Some(Err(e)) => return fail_k(e),
        Some(Ok(e)) => e,
    };
    if opts.rekor_keys.is_empty() {
        return fail_k(format!(
            "no Rekor key was configured to check its entry (log index {}), which dates it",
            e.log_index
        ));
    }
    if let Err(why) = e.verify(&opts.rekor_keys, payload, sig, &key) {
        return fail_k(why);
    }
    let signer = match verify_certificate(&leaf, &chain, k, e.integrated_time) {
        Ok(s) => s,
        Err(why) => return fail_k(why),
    };
    if let Err(why) = check_payload(payload) {
        return SignatureFact {
            key_id: signer.subject.clone(),
            ..fail("cosign", at, why)
        };
    }
    SignatureFact {
        key_id: signer.subject.clone(),
        verified: true,
        reason: format!(
            "cosign keyless signature by {} (issuer {}) verified; certificate chains to {}; Rekor entry verified offline (log index {})",
            signer.subject, signer.issuer, signer.root, e.log_index
        ),
        kind: "cosign".to_owned(),
        manifest: at.to_owned(),
        tlog: "verified".to_owned(),
    }
}

/// Checks a simple-signing payload names this image: type, digest and repository.
fn check_simple_signing(payload: &[u8], name: &str, image_digest: &str) -> Result<(), String> {
    let Some(p) = json_of(payload) else {
        return Err("signed payload is not JSON".to_owned());
    };
    let ty = p
        .pointer("/critical/type")
        .and_then(Value::as_str)
        .unwrap_or("");
    if ty != SIMPLE_SIGNING_TYPE {
        return Err(format!(
            "signed payload has type {ty:?}, not {SIMPLE_SIGNING_TYPE:?}"
        ));
    }
    let signed = p
        .pointer("/critical/image/docker-manifest-digest")
        .and_then(Value::as_str)
        .unwrap_or("");
    if signed != image_digest {
        return Err(format!(
            "signature is for {signed}, not this image's digest {image_digest}"
        ));
    }
    let reference = p
        .pointer("/critical/identity/docker-reference")
        .and_then(Value::as_str)
        .unwrap_or("");
    if !same_repository(reference, name) {
        return Err(format!(
            "signature is for repository {reference}, not {name}"
        ));
    }
    Ok(())
}

/// DSSE's pre-authentication encoding, which the signature covers.
pub fn pae(payload_type: &str, payload: &[u8]) -> Vec<u8> {
    let mut out = format!(
        "DSSEv1 {} {} {} ",
        payload_type.len(),
        payload_type,
        payload.len()
    )
    .into_bytes();
    out.extend_from_slice(payload);
    out
}

fn bundle(
    source: &dyn ImageSource,
    registry: &str,
    repository: &str,
    image_digest: &str,
    m: &Manifest,
    opts: &VerifyOptions,
) -> Result<SignatureFact, String> {
    let at = m.digest.as_str();
    let v = m.json()?;
    let Some(layer) = v.pointer("/layers/0") else {
        return Ok(fail(
            "bundle",
            at,
            "bundle manifest has no layer".to_owned(),
        ));
    };
    if layer.get("mediaType").and_then(Value::as_str) != Some(media::SIGSTORE_BUNDLE) {
        return Ok(fail(
            "bundle",
            at,
            format!("bundle layer is not {}", media::SIGSTORE_BUNDLE),
        ));
    }
    if let Some(subject) = v.pointer("/subject/digest").and_then(Value::as_str) {
        if subject != image_digest {
            return Ok(fail(
                "bundle",
                at,
                format!("bundle's subject is {subject}, not {image_digest}"),
            ));
        }
    }
    if layer.get("size").and_then(Value::as_u64).unwrap_or(0) > MAX_PAYLOAD {
        return Ok(fail("bundle", at, "bundle is larger than 1 MiB".to_owned()));
    }
    let Some(d) = layer.get("digest").and_then(Value::as_str) else {
        return Ok(fail("bundle", at, "bundle layer has no digest".to_owned()));
    };
    let blob = source.blob(registry, repository, d).map_err(|e| e.0)?;
    Ok(check_bundle(&blob, image_digest, opts, at))
}

/// Verifies a Sigstore bundle (v0.3, DSSE with cosign's sign predicate), signed with a
/// configured key or, keyless, with a Fulcio certificate.
pub fn check_bundle(
    blob: &[u8],
    image_digest: &str,
    opts: &VerifyOptions,
    at: &str,
) -> SignatureFact {
    let Some(b) = json_of(blob) else {
        return fail("bundle", at, "bundle is not JSON".to_owned());
    };
    let mt = b.get("mediaType").and_then(Value::as_str).unwrap_or("");
    if !mt.starts_with("application/vnd.dev.sigstore.bundle") {
        return fail("bundle", at, format!("bundle has media type {mt:?}"));
    }
    let certs = bundle_certificates(&b);
    if !certs.is_empty() && opts.keyless.is_none() {
        return fail(
            "bundle",
            at,
            "bundle is signed with a Fulcio certificate: give --fulcio-root, --certificate-identity and --certificate-oidc-issuer to verify it keyless"
                .to_owned(),
        );
    }
    if b.get("messageSignature").is_some() {
        return fail("bundle", at, "message-signature bundles do not carry what was signed, so they cannot be tied to this image; only DSSE bundles are verified".to_owned());
    }
    let Some(env) = b.get("dsseEnvelope") else {
        return fail(
            "bundle",
            at,
            "bundle has neither dsseEnvelope nor messageSignature".to_owned(),
        );
    };
    let payload_type = env.get("payloadType").and_then(Value::as_str).unwrap_or("");
    let Some(payload) = env
        .get("payload")
        .and_then(Value::as_str)
        .and_then(|p| B64.decode(p).ok())
    else {
        return fail(
            "bundle",
            at,
            "DSSE payload is missing or not base64".to_owned(),
        );
    };
    let signed = pae(payload_type, &payload);
    let sigs: Vec<Vec<u8>> = env
        .get("signatures")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|s| s.get("sig").and_then(Value::as_str))
        .filter_map(|x| B64.decode(x).ok())
        .collect();
    let tlog = b.pointer("/verificationMaterial/tlogEntries/0");
    if let (Some(k), false) = (&opts.keyless, certs.is_empty()) {
        return keyless_bundle(k, &certs, &signed, &sigs, tlog, opts, at, || {
            check_statement(payload_type, &payload, image_digest)
        });
    }
    let Some(key) = sigs.iter().find_map(|sig| signer(opts, &signed, sig)) else {
        return fail(
            "bundle",
            at,
            format!(
                "DSSE signature does not verify with any configured key ({})",
                key_names(opts)
            ),
        );
    };
    if let Err(why) = check_statement(payload_type, &payload, image_digest) {
        return SignatureFact {
            key_id: key.id.clone(),
            ..fail("bundle", at, why)
        };
    }
    let ok = SignatureFact {
        key_id: key.id.clone(),
        verified: true,
        reason: format!("Sigstore bundle signature by key {} verified", key.id),
        kind: "bundle".to_owned(),
        manifest: at.to_owned(),
        tlog: "not checked".to_owned(),
    };
    let entry = tlog.map(bundle_entry);
    let proof = tlog
        .and_then(|t| t.get("inclusionProof"))
        .map(InclusionProof::from_bundle);
    // A DSSE entry logs the envelope, not a hashedrekord: the SET, the inclusion proof and the
    // log key are checked.
    let proved = std::cell::Cell::new(None);
    let check = |e: &LogEntry| -> Result<(), String> {
        check_entry(e, proof.as_ref(), &opts.rekor_keys).map(|size| proved.set(size))
    };
    let mut fact = with_tlog(ok, entry, check, opts);
    if let Some(size) = proved.get() {
        fact.reason.push_str(&format!(
            "; inclusion proof verified against the log's signed checkpoint (tree size {size})"
        ));
    }
    fact
}

/// Checks a bundle's log entry: its SET when present, its inclusion proof when present (one of
/// them must be). Returns the checkpoint's tree size when a proof was verified.
fn check_entry(
    e: &LogEntry,
    proof: Option<&Result<InclusionProof, String>>,
    rekor_keys: &[PublicKey],
) -> Result<Option<u64>, String> {
    if !e.set.is_empty() {
        check_set(e, rekor_keys)?;
    }
    match proof {
        Some(Ok(p)) => {
            p.verify(&e.body, &e.log_id, rekor_keys)?;
            Ok(Some(p.tree_size))
        }
        Some(Err(why)) => Err(why.clone()),
        None if e.set.is_empty() => Err(
            "its Rekor entry has neither a signed entry timestamp nor an inclusion proof"
                .to_owned(),
        ),
        None => Ok(None),
    }
}

/// The certificates of a bundle's verification material (signer first), DER.
fn bundle_certificates(b: &Value) -> Vec<Vec<u8>> {
    let der = |v: &Value| {
        v.pointer("/rawBytes")
            .and_then(Value::as_str)
            .and_then(|s| B64.decode(s).ok())
    };
    if let Some(c) = b.pointer("/verificationMaterial/certificate") {
        return der(c).into_iter().collect();
    }
    b.pointer("/verificationMaterial/x509CertificateChain/certificates")
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(der).collect())
        .unwrap_or_default()
}

/// Checks a DSSE payload is cosign's signature statement for this image.
fn check_statement(payload_type: &str, payload: &[u8], image_digest: &str) -> Result<(), String> {
    if payload_type != IN_TOTO {
        return Err(format!(
            "DSSE payload type is {payload_type:?}, not {IN_TOTO:?}"
        ));
    }
    let Some(stmt) = json_of(payload) else {
        return Err("in-toto statement is not JSON".to_owned());
    };
    let predicate = stmt
        .get("predicateType")
        .and_then(Value::as_str)
        .unwrap_or("");
    if predicate != SIGN_PREDICATE {
        return Err(format!(
            "bundle is an attestation of {predicate:?}, not a signature ({SIGN_PREDICATE})"
        ));
    }
    let hex = image_digest.strip_prefix("sha256:").unwrap_or("");
    let names_image = stmt
        .get("subject")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .any(|s| s.pointer("/digest/sha256").and_then(Value::as_str) == Some(hex));
    if !names_image {
        let other = stmt
            .pointer("/subject/0/digest/sha256")
            .and_then(Value::as_str)
            .unwrap_or("");
        return Err(format!(
            "signature is for sha256:{other}, not this image's digest {image_digest}"
        ));
    }
    Ok(())
}

/// A keyless bundle: the DSSE signature with the certificate's key, the log entry (its SET
/// dates the signature), the certificate at that date, then the statement.
#[allow(clippy::too_many_arguments)]
fn keyless_bundle(
    k: &crate::keyless::Keyless,
    certs: &[Vec<u8>],
    signed: &[u8],
    sigs: &[Vec<u8>],
    tlog: Option<&Value>,
    opts: &VerifyOptions,
    at: &str,
    check: impl Fn() -> Result<(), String>,
) -> SignatureFact {
    use crate::keyless::{certificate_key, parse_certificate, verify_certificate};
    let fail_k = |why: String| fail("bundle", at, format!("keyless signature: {why}"));
    let mut parsed = Vec::new();
    for c in certs {
        match parse_certificate(c) {
            Ok(c) => parsed.push(c),
            Err(e) => return fail_k(e),
        }
    }
    let Some((leaf, chain)) = parsed.split_first() else {
        return fail_k("bundle has no certificate".to_owned());
    };
    let key = match certificate_key(leaf, "certificate") {
        Ok(k) => k,
        Err(e) => return fail_k(e),
    };
    if !sigs.iter().any(|s| key.verify(signed, s)) {
        return fail_k("DSSE signature does not verify with its certificate's key".to_owned());
    }
    let e = match tlog.map(bundle_entry) {
        None => return fail_k("it has no Rekor entry, so when it was made is unknown".to_owned()),
        Some(Err(e)) => return fail_k(e),
        Some(Ok(e)) => e,
    };
    if e.set.is_empty() {
        return fail_k(
            "its Rekor entry has no signed entry timestamp, so when it was made is unknown"
                .to_owned(),
        );
    }
    let proof = tlog
        .and_then(|t| t.get("inclusionProof"))
        .map(InclusionProof::from_bundle);
    let proved = match check_entry(&e, proof.as_ref(), &opts.rekor_keys) {
        Ok(p) => p,
        Err(why) => return fail_k(why),
    };
    let signer = match verify_certificate(leaf, chain, k, e.integrated_time) {
        Ok(s) => s,
        Err(why) => return fail_k(why),
    };
    if let Err(why) = check() {
        return SignatureFact {
            key_id: signer.subject.clone(),
            ..fail("bundle", at, why)
        };
    }
    let mut reason = format!(
        "Sigstore bundle keyless signature by {} (issuer {}) verified; certificate chains to {}; Rekor entry verified offline (log index {})",
        signer.subject, signer.issuer, signer.root, e.log_index
    );
    if let Some(size) = proved {
        reason.push_str(&format!(
            "; inclusion proof verified against the log's signed checkpoint (tree size {size})"
        ));
    }
    SignatureFact {
        key_id: signer.subject,
        verified: true,
        reason,
        kind: "bundle".to_owned(),
        manifest: at.to_owned(),
        tlog: "verified".to_owned(),
    }
}

fn check_set(e: &LogEntry, rekor_keys: &[PublicKey]) -> Result<(), String> {
    let Some(key) = rekor_keys.iter().find(|k| k.fingerprint[7..] == e.log_id) else {
        return Err(format!(
            "Rekor entry is from log {}, which no configured Rekor key belongs to",
            e.log_id
        ));
    };
    if key.verify(&e.signed_bytes(), &e.set) {
        Ok(())
    } else {
        Err("Rekor's signed entry timestamp does not verify with the Rekor key".to_owned())
    }
}

/// A bundle's `tlogEntries[0]` as a [`LogEntry`] (integers are JSON strings there, the log id
/// base64).
fn bundle_entry(t: &Value) -> Result<LogEntry, String> {
    let int = |p: &str| {
        t.pointer(p)
            .and_then(|v| {
                v.as_str()
                    .and_then(|s| s.parse().ok())
                    .or_else(|| v.as_i64())
            })
            .ok_or(format!("bundle's Rekor entry has no {p}"))
    };
    let b64 = |p: &str| {
        t.pointer(p)
            .and_then(Value::as_str)
            .and_then(|s| B64.decode(s).ok())
            .ok_or(format!("bundle's Rekor entry has no {p}"))
    };
    Ok(LogEntry {
        body: b64("/canonicalizedBody")?,
        integrated_time: int("/integratedTime")?,
        log_id: b64("/logId/keyId")?
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect(),
        log_index: int("/logIndex")?,
        // Bundles with an inclusion proof may leave the promise out.
        set: if t.pointer("/inclusionPromise").is_some() || t.get("inclusionProof").is_none() {
            b64("/inclusionPromise/signedEntryTimestamp")?
        } else {
            Vec::new()
        },
    })
}
