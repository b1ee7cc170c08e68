//! Test and benchmark helpers: a loopback `docker-registry` (Debian's package of the CNCF
//! distribution registry) started on a free port with its own storage, and a client that pushes
//! images, manifest lists and cosign signatures in exactly the formats cosign writes them.

use crate::cosign::{pae, IN_TOTO, REKOR_ANNOTATION, SIGNATURE_ANNOTATION, SIGN_PREDICATE};
use crate::digest::{self, referrers_tag, signature_tag};
use crate::source::media;
use base64::Engine as _;
use p256::ecdsa::signature::Signer as _;
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;
/// Where Debian installs the registry.
pub const REGISTRY_BINARY: &str = "/usr/bin/docker-registry";

/// A running loopback registry; stopped when dropped.
pub struct LocalRegistry {
    child: Child,
    /// `127.0.0.1:PORT`.
    pub host: String,
    _dir: tempfile::TempDir,
    agent: ureq::Agent,
}

impl Drop for LocalRegistry {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> std::io::Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port())
}

impl LocalRegistry {
    /// Starts the registry, or `Ok(None)` when it is not installed.
    pub fn start() -> Result<Option<LocalRegistry>, String> {
        let binary = std::env::var_os("KVET_DOCKER_REGISTRY")
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from(REGISTRY_BINARY));
        if !binary.is_file() {
            return Ok(None);
        }
        let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
        let agent = ureq::Agent::config_builder()
            .timeout_global(Some(Duration::from_secs(10)))
            .http_status_as_error(false)
            .build()
            .new_agent();
        // A port found free may be taken before the registry binds it: try a few.
        for _ in 0..5 {
            let port = free_port().map_err(|e| e.to_string())?;
            let config = dir.path().join("config.yml");
            std::fs::write(
                &config,
                format!(
                    "version: 0.1\nlog:\n  level: error\n  accesslog:\n    disabled: true\nstorage:\n  filesystem:\n    rootdirectory: {}\n  delete:\n    enabled: true\nhttp:\n  addr: 127.0.0.1:{port}\n",
                    dir.path().join("storage").display()
                ),
            )
            .map_err(|e| e.to_string())?;
            let log = std::fs::File::create(dir.path().join("registry.log"))
                .map_err(|e| e.to_string())?;
            let mut child = Command::new(&binary)
                .arg("serve")
                .arg(&config)
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(log)
                .spawn()
                .map_err(|e| format!("cannot start {}: {e}", binary.display()))?;
            let host = format!("127.0.0.1:{port}");
            let deadline = Instant::now() + Duration::from_secs(15);
            while Instant::now() < deadline {
                if let Ok(Some(_)) = child.try_wait() {
                    break;
                }
                if let Ok(r) = agent.get(format!("http://{host}/v2/")).call() {
                    if r.status().as_u16() == 200 {
                        return Ok(Some(LocalRegistry {
                            child,
                            host,
                            _dir: dir,
                            agent,
                        }));
                    }
                }
                std::thread::sleep(Duration::from_millis(50));
            }
            let _ = child.kill();
            let _ = child.wait();
        }
        let log = std::fs::read_to_string(dir.path().join("registry.log")).unwrap_or_default();
        Err(format!("docker-registry did not come up: {log}"))
    }

    fn url(&self, path: &str) -> String {
        format!("http://{}/v2/{path}", self.host)
    }

    /// Uploads a blob (monolithic upload); returns its descriptor.
    pub fn push_blob(&self, repo: &str, media_type: &str, bytes: &[u8]) -> Result<Value, String> {
        let d = digest::sha256(bytes);
        let r = self
            .agent
            .post(self.url(&format!("{repo}/blobs/uploads/")))
            .send_empty()
            .map_err(|e| e.to_string())?;
        if r.status().as_u16() != 202 {
            return Err(format!("starting an upload to {repo}: HTTP {}", r.status()));
        }
        let loc = r
            .headers()
            .get("location")
            .and_then(|v| v.to_str().ok())
            .ok_or("upload without Location")?
            .to_owned();
        let loc = if loc.starts_with('/') {
            format!("http://{}{loc}", self.host)
        } else {
            loc
        };
        let sep = if loc.contains('?') { '&' } else { '?' };
        let r = self
            .agent
            .put(format!("{loc}{sep}digest={d}"))
            .header("Content-Type", "application/octet-stream")
            .send(bytes)
            .map_err(|e| e.to_string())?;
        if r.status().as_u16() != 201 {
            return Err(format!("uploading {d} to {repo}: HTTP {}", r.status()));
        }
        Ok(json!({"mediaType": media_type, "digest": d, "size": bytes.len()}))
    }

    /// Stores a manifest under `reference` (a tag or its digest); returns its descriptor.
    pub fn push_manifest(
        &self,
        repo: &str,
        reference: &str,
        media_type: &str,
        bytes: &[u8],
    ) -> Result<Value, String> {
        let mut r = self
            .agent
            .put(self.url(&format!("{repo}/manifests/{reference}")))
            .header("Content-Type", media_type)
            .send(bytes)
            .map_err(|e| e.to_string())?;
        if r.status().as_u16() != 201 {
            let body = r.body_mut().read_to_string().unwrap_or_default();
            return Err(format!(
                "putting manifest {repo}:{reference}: HTTP {}: {body}",
                r.status()
            ));
        }
        Ok(json!({"mediaType": media_type, "digest": digest::sha256(bytes), "size": bytes.len()}))
    }

    /// The manifest at `reference`, if any.
    pub fn get_manifest(&self, repo: &str, reference: &str) -> Result<Option<Vec<u8>>, String> {
        let mut r = self
            .agent
            .get(self.url(&format!("{repo}/manifests/{reference}")))
            .header("Accept", media::ACCEPT)
            .call()
            .map_err(|e| e.to_string())?;
        match r.status().as_u16() {
            200 => Ok(Some(r.body_mut().read_to_vec().map_err(|e| e.to_string())?)),
            404 => Ok(None),
            s => Err(format!("getting {repo}:{reference}: HTTP {s}")),
        }
    }

    /// Pushes a small single-platform OCI image whose content depends on `seed`; tags it
    /// `tag` (when given) and returns its descriptor.
    pub fn push_image(&self, repo: &str, tag: Option<&str>, seed: &str) -> Result<Value, String> {
        self.push_platform_image(repo, tag, seed, "linux", "amd64")
    }

    /// As [`Self::push_image`], for a given platform.
    pub fn push_platform_image(
        &self,
        repo: &str,
        tag: Option<&str>,
        seed: &str,
        os: &str,
        arch: &str,
    ) -> Result<Value, String> {
        let layer = self.push_blob(
            repo,
            "application/vnd.oci.image.layer.v1.tar",
            format!("layer {seed}").as_bytes(),
        )?;
        let config = json!({"architecture": arch, "os": os, "rootfs": {"type": "layers", "diff_ids": [layer["digest"]]}, "config": {}});
        let config = self.push_blob(
            repo,
            media::OCI_CONFIG,
            &serde_json::to_vec(&config).map_err(|e| e.to_string())?,
        )?;
        let manifest = json!({"schemaVersion": 2, "mediaType": media::OCI_MANIFEST, "config": config, "layers": [layer]});
        let bytes = serde_json::to_vec(&manifest).map_err(|e| e.to_string())?;
        let d = digest::sha256(&bytes);
        let desc = self.push_manifest(repo, tag.unwrap_or(&d), media::OCI_MANIFEST, &bytes)?;
        Ok(desc)
    }

    /// Pushes an OCI index over `(os, arch, descriptor)` manifests, tagged `tag`.
    pub fn push_index(
        &self,
        repo: &str,
        tag: &str,
        children: &[(&str, &str, Value)],
    ) -> Result<Value, String> {
        let manifests: Vec<Value> = children
            .iter()
            .map(|(os, arch, d)| {
                let mut d = d.clone();
                d["platform"] = json!({"os": os, "architecture": arch});
                d
            })
            .collect();
        let index =
            json!({"schemaVersion": 2, "mediaType": media::OCI_INDEX, "manifests": manifests});
        self.push_manifest(
            repo,
            tag,
            media::OCI_INDEX,
            &serde_json::to_vec(&index).map_err(|e| e.to_string())?,
        )
    }

    /// Attaches a legacy cosign signature layer (as `cosign sign --key` does, appending to the
    /// `sha256-<hex>.sig` manifest when one exists). `annotations` adds e.g. a Rekor bundle.
    pub fn attach_legacy(
        &self,
        repo: &str,
        image_digest: &str,
        payload: &[u8],
        signature: &[u8],
        annotations: &[(&str, String)],
    ) -> Result<Value, String> {
        let tag = signature_tag(image_digest);
        let mut layer = self.push_blob(repo, media::SIMPLE_SIGNING, payload)?;
        layer["annotations"] = json!({ SIGNATURE_ANNOTATION: B64.encode(signature) });
        for (k, v) in annotations {
            layer["annotations"][*k] = json!(v);
        }
        let mut layers: Vec<Value> = match self.get_manifest(repo, &tag)? {
            Some(b) => serde_json::from_slice::<Value>(&b)
                .ok()
                .and_then(|v| v.get("layers").and_then(Value::as_array).cloned())
                .unwrap_or_default(),
            None => Vec::new(),
        };
        layers.push(layer);
        // cosign's signature image: an empty image config whose rootfs lists the payloads.
        let diff_ids: Vec<&Value> = layers.iter().map(|l| &l["digest"]).collect();
        let config = json!({"architecture": "", "created": "0001-01-01T00:00:00Z", "history": [{"created": "0001-01-01T00:00:00Z"}], "os": "", "rootfs": {"type": "layers", "diff_ids": diff_ids}, "config": {}});
        let config = self.push_blob(
            repo,
            media::OCI_CONFIG,
            &serde_json::to_vec(&config).map_err(|e| e.to_string())?,
        )?;
        let manifest = json!({"schemaVersion": 2, "mediaType": media::OCI_MANIFEST, "config": config, "layers": layers});
        self.push_manifest(
            repo,
            &tag,
            media::OCI_MANIFEST,
            &serde_json::to_vec(&manifest).map_err(|e| e.to_string())?,
        )
    }

    /// Signs `image_digest` of `repo` the way `cosign sign --key` (legacy format) does.
    pub fn sign_legacy(
        &self,
        repo: &str,
        image_digest: &str,
        key: &TestKey,
    ) -> Result<Value, String> {
        let payload = simple_signing_payload(&format!("{}/{repo}", self.host), image_digest);
        self.attach_legacy(repo, image_digest, &payload, &key.sign(&payload), &[])
    }

    /// Attaches a Sigstore bundle as cosign v3 does on a registry without the referrers API:
    /// a bundle manifest with `subject`, listed in the `sha256-<hex>` fallback index.
    pub fn attach_bundle(&self, repo: &str, image: &Value, bundle: &[u8]) -> Result<Value, String> {
        let empty = self.push_blob(repo, media::OCI_EMPTY, b"{}")?;
        let layer = self.push_blob(repo, media::SIGSTORE_BUNDLE, bundle)?;
        let manifest = json!({
            "schemaVersion": 2,
            "mediaType": media::OCI_MANIFEST,
            "artifactType": media::SIGSTORE_BUNDLE,
            "config": empty,
            "layers": [layer],
            "subject": image,
            "annotations": {"dev.sigstore.bundle.content": "dsse-envelope", "dev.sigstore.bundle.predicateType": SIGN_PREDICATE},
        });
        let bytes = serde_json::to_vec(&manifest).map_err(|e| e.to_string())?;
        let d = digest::sha256(&bytes);
        let mut desc = self.push_manifest(repo, &d, media::OCI_MANIFEST, &bytes)?;
        desc["artifactType"] = json!(media::SIGSTORE_BUNDLE);
        desc["annotations"] = manifest["annotations"].clone();
        let image_digest = image["digest"].as_str().unwrap_or_default();
        let tag = referrers_tag(image_digest);
        let mut list: Vec<Value> = match self.get_manifest(repo, &tag)? {
            Some(b) => serde_json::from_slice::<Value>(&b)
                .ok()
                .and_then(|v| v.get("manifests").and_then(Value::as_array).cloned())
                .unwrap_or_default(),
            None => Vec::new(),
        };
        list.push(desc.clone());
        let index = json!({"schemaVersion": 2, "mediaType": media::OCI_INDEX, "manifests": list});
        self.push_manifest(
            repo,
            &tag,
            media::OCI_INDEX,
            &serde_json::to_vec(&index).map_err(|e| e.to_string())?,
        )?;
        Ok(desc)
    }
}

/// The simple-signing payload cosign signs, byte for byte as its Go encoder writes it.
pub fn simple_signing_payload(docker_reference: &str, image_digest: &str) -> Vec<u8> {
    format!(
        "{{\"critical\":{{\"identity\":{{\"docker-reference\":{}}},\"image\":{{\"docker-manifest-digest\":{}}},\"type\":\"cosign container image signature\"}},\"optional\":null}}",
        serde_json::to_string(docker_reference).unwrap_or_default(),
        serde_json::to_string(image_digest).unwrap_or_default()
    )
    .into_bytes()
}

/// A cosign v3 signature bundle (v0.3, DSSE over an in-toto statement with cosign's sign
/// predicate), signed with `key`; `log` adds a Rekor entry.
pub fn sign_bundle(
    repo_name: &str,
    image_digest: &str,
    key: &TestKey,
    log: Option<&TestKey>,
) -> Vec<u8> {
    serde_json::to_vec(&bundle_value(repo_name, image_digest, key, log)).unwrap_or_default()
}

/// Like [`sign_bundle`], with an inclusion proof of the entry at `index` in a log of `size`
/// entries and the log's signed checkpoint; `promise: false` leaves out the SET, as bundles
/// with a proof may.
pub fn sign_bundle_with_proof(
    repo_name: &str,
    image_digest: &str,
    key: &TestKey,
    log: &TestKey,
    index: u64,
    size: u64,
    promise: bool,
) -> Value {
    let mut b = bundle_value(repo_name, image_digest, key, Some(log));
    if let Some(t) = b
        .pointer_mut("/verificationMaterial/tlogEntries/0")
        .and_then(Value::as_object_mut)
    {
        let body = logged_body(t);
        t.insert(
            "inclusionProof".into(),
            log.inclusion_proof(&body, index, size),
        );
        if !promise {
            t.remove("inclusionPromise");
        }
    }
    b
}

/// A keyless cosign v3 bundle: signed with `key`, whose Fulcio-style certificate (DER) is
/// `certificate`, logged by `log` at `integrated_time`.
pub fn sign_bundle_keyless(
    repo_name: &str,
    image_digest: &str,
    key: &TestKey,
    certificate: &[u8],
    log: &TestKey,
    integrated_time: i64,
) -> Vec<u8> {
    let mut b = bundle_value(repo_name, image_digest, key, Some(log));
    b["verificationMaterial"]["certificate"] = json!({"rawBytes": B64.encode(certificate)});
    if let Some(m) = b["verificationMaterial"].as_object_mut() {
        m.remove("publicKey");
    }
    if let Some(t) = b
        .pointer_mut("/verificationMaterial/tlogEntries/0")
        .and_then(Value::as_object_mut)
    {
        let body = logged_body(t);
        let e = log.log_entry(&body, integrated_time, 7);
        t.insert("integratedTime".into(), json!(integrated_time.to_string()));
        t.insert(
            "inclusionPromise".into(),
            json!({"signedEntryTimestamp": B64.encode(&e.set)}),
        );
    }
    serde_json::to_vec(&b).unwrap_or_default()
}

/// The body a bundle's log entry logs.
fn logged_body(entry: &serde_json::Map<String, Value>) -> Vec<u8> {
    entry
        .get("canonicalizedBody")
        .and_then(Value::as_str)
        .and_then(|s| B64.decode(s).ok())
        .unwrap_or_default()
}

/// The RFC 6962 root of a tree of leaf hashes.
pub fn merkle_root(leaves: &[[u8; 32]]) -> [u8; 32] {
    use sha2::Digest as _;
    match leaves.len() {
        0 => sha2::Sha256::digest(b"").into(),
        1 => leaves[0],
        n => {
            let k = split_point(n);
            crate::rekor::node_hash(&merkle_root(&leaves[..k]), &merkle_root(&leaves[k..]))
        }
    }
}

/// The RFC 6962 audit path of leaf `m`.
pub fn merkle_path(m: usize, leaves: &[[u8; 32]]) -> Vec<Vec<u8>> {
    let n = leaves.len();
    if n <= 1 {
        return Vec::new();
    }
    let k = split_point(n);
    let (mut path, sibling) = if m < k {
        (merkle_path(m, &leaves[..k]), merkle_root(&leaves[k..]))
    } else {
        (merkle_path(m - k, &leaves[k..]), merkle_root(&leaves[..k]))
    };
    path.push(sibling.to_vec());
    path
}

/// The largest power of two below `n`.
fn split_point(n: usize) -> usize {
    let mut k = 1;
    while k * 2 < n {
        k *= 2;
    }
    k
}

fn bundle_value(
    repo_name: &str,
    image_digest: &str,
    key: &TestKey,
    log: Option<&TestKey>,
) -> Value {
    let statement = json!({
        "_type": "https://in-toto.io/Statement/v1",
        "subject": [{"name": repo_name, "digest": {"sha256": image_digest.trim_start_matches("sha256:")}}],
        "predicateType": SIGN_PREDICATE,
        "predicate": {},
    });
    let payload = serde_json::to_vec(&statement).unwrap_or_default();
    let sig = key.sign(&pae(IN_TOTO, &payload));
    let mut material = json!({"publicKey": {"hint": key.hint()}});
    if let Some(rekor) = log {
        let body = serde_json::to_vec(&json!({"apiVersion": "0.0.1", "kind": "dsse", "spec": {}}))
            .unwrap_or_default();
        let entry = rekor.log_entry(&body, 1_700_000_000, 7);
        material["tlogEntries"] = json!([{
            "logIndex": "7",
            "logId": {"keyId": B64.encode(hex_bytes(&rekor.fingerprint()[7..]))},
            "kindVersion": {"kind": "dsse", "version": "0.0.1"},
            "integratedTime": "1700000000",
            "inclusionPromise": {"signedEntryTimestamp": B64.encode(&entry.set)},
            "canonicalizedBody": B64.encode(&body),
        }]);
    }
    json!({
        "mediaType": media::SIGSTORE_BUNDLE,
        "verificationMaterial": material,
        "dsseEnvelope": {"payload": B64.encode(&payload), "payloadType": IN_TOTO, "signatures": [{"sig": B64.encode(&sig), "keyid": ""}]},
    })
}

fn hex_bytes(h: &str) -> Vec<u8> {
    (0..h.len() / 2)
        .filter_map(|i| u8::from_str_radix(&h[2 * i..2 * i + 2], 16).ok())
        .collect()
}

/// A deterministic ECDSA P-256 key for tests (cosign's default key type).
pub struct TestKey(p256::ecdsa::SigningKey);

impl TestKey {
    /// The key derived from `seed` (same seed, same key).
    pub fn new(seed: &str) -> TestKey {
        use sha2::Digest as _;
        let mut n = 0u32;
        loop {
            let bytes = sha2::Sha256::digest(format!("{seed}/{n}").as_bytes());
            if let Ok(k) = p256::ecdsa::SigningKey::from_slice(&bytes) {
                return TestKey(k);
            }
            n += 1;
        }
    }

    /// The public key as PEM, as `cosign.pub` holds it.
    pub fn public_pem(&self) -> String {
        use p256::pkcs8::EncodePublicKey;
        self.0
            .verifying_key()
            .to_public_key_pem(p256::pkcs8::LineEnding::LF)
            .unwrap_or_default()
    }

    /// Writes `cosign.pub`-style PEM to `path`.
    pub fn write_public(&self, path: &Path) -> std::io::Result<()> {
        std::fs::write(path, self.public_pem())
    }

    /// The key as kvet loads it.
    pub fn public(&self, id: &str) -> crate::PublicKey {
        crate::PublicKey::from_pem(id, &self.public_pem()).expect("a P-256 key loads")
    }

    /// `sha256:` of the public key's DER.
    pub fn fingerprint(&self) -> String {
        self.public("k").fingerprint
    }

    fn hint(&self) -> String {
        B64.encode(hex_bytes(&self.fingerprint()[7..]))
    }

    /// An ASN.1 DER ECDSA signature over SHA-256 of `message`.
    pub fn sign(&self, message: &[u8]) -> Vec<u8> {
        let s: p256::ecdsa::DerSignature = self.0.sign(message);
        s.as_bytes().to_vec()
    }

    /// As a Rekor log: a log entry for `body`, with this key's SET.
    pub fn log_entry(
        &self,
        body: &[u8],
        integrated_time: i64,
        log_index: i64,
    ) -> crate::rekor::LogEntry {
        let mut e = crate::rekor::LogEntry {
            body: body.to_vec(),
            integrated_time,
            log_id: self.fingerprint()[7..].to_owned(),
            log_index,
            set: Vec::new(),
        };
        e.set = self.sign(&e.signed_bytes());
        e
    }

    /// As a Rekor log of `size` entries holding `body` at `index` (the others made up): a
    /// bundle's `inclusionProof`, with this key's signed checkpoint.
    pub fn inclusion_proof(&self, body: &[u8], index: u64, size: u64) -> Value {
        let leaves: Vec<[u8; 32]> = (0..size)
            .map(|i| {
                if i == index {
                    crate::rekor::leaf_hash(body)
                } else {
                    crate::rekor::leaf_hash(format!("entry {i}").as_bytes())
                }
            })
            .collect();
        let root = merkle_root(&leaves);
        let path = merkle_path(index as usize, &leaves);
        let note = format!("kvet.test - 1\n{size}\n{}\n", B64.encode(root));
        let mut sig = hex_bytes(&self.fingerprint()[7..15]);
        sig.extend(self.sign(note.as_bytes()));
        json!({
            "logIndex": index.to_string(),
            "treeSize": size.to_string(),
            "rootHash": B64.encode(root),
            "hashes": path.iter().map(|h| B64.encode(h)).collect::<Vec<_>>(),
            "checkpoint": {"envelope": format!("{note}\n\u{2014} kvet.test {}\n", B64.encode(sig))},
        })
    }

    /// The private key as PKCS#8 PEM (for making certificates of it).
    pub fn private_pem(&self) -> String {
        use p256::pkcs8::EncodePrivateKey;
        self.0
            .to_pkcs8_pem(p256::pkcs8::LineEnding::LF)
            .map(|s| s.to_string())
            .unwrap_or_default()
    }

    /// As a Rekor log: cosign's `dev.sigstore.cosign/bundle` annotation for a `hashedrekord`
    /// of `payload` signed with `signature` by `signer`.
    pub fn rekor_annotation(
        &self,
        payload: &[u8],
        signature: &[u8],
        signer: &TestKey,
    ) -> (&'static str, String) {
        self.rekor_annotation_pem(payload, signature, &signer.public_pem(), 1_700_000_000)
    }

    /// Like [`TestKey::rekor_annotation`], logging `pem` (a public key, or the signer's
    /// certificate for keyless signatures) at `integrated_time`.
    pub fn rekor_annotation_pem(
        &self,
        payload: &[u8],
        signature: &[u8],
        pem: &str,
        integrated_time: i64,
    ) -> (&'static str, String) {
        let body = json!({
            "apiVersion": "0.0.1",
            "kind": "hashedrekord",
            "spec": {
                "data": {"hash": {"algorithm": "sha256", "value": &digest::sha256(payload)[7..]}},
                "signature": {"content": B64.encode(signature), "publicKey": {"content": B64.encode(pem)}},
            },
        });
        let e = self.log_entry(
            &serde_json::to_vec(&body).unwrap_or_default(),
            integrated_time,
            42,
        );
        let annotation = json!({
            "SignedEntryTimestamp": B64.encode(&e.set),
            "Payload": {"body": B64.encode(&e.body), "integratedTime": e.integrated_time, "logIndex": e.log_index, "logID": e.log_id},
        });
        (REKOR_ANNOTATION, annotation.to_string())
    }
}

/// A Fulcio-style certificate chain: a root and an intermediate (P-384 CAs) and a one-day
/// signing certificate for a [`TestKey`] naming an email identity and an OIDC issuer (in
/// Fulcio's extension), as keyless signatures carry.
pub struct Pki {
    /// The root, PEM.
    pub root: String,
    /// The intermediate, PEM.
    pub intermediate: String,
    /// The signing certificate, PEM.
    pub leaf: String,
    /// The signing certificate, DER.
    pub leaf_der: Vec<u8>,
}

impl Pki {
    /// A chain whose signing certificate is for `signer`'s key, names `email` and `issuer`, is
    /// valid on 2023-11-`day` (UTC) and has the code-signing usage unless `code_signing` is
    /// false.
    pub fn new(signer: &TestKey, email: &str, issuer: &str, code_signing: bool, day: u8) -> Pki {
        use rcgen::{
            date_time_ymd, BasicConstraints, CertificateParams, CustomExtension, DnType,
            ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair, SanType, PKCS_ECDSA_P384_SHA384,
        };
        let ca = |name: &str| {
            let mut p = CertificateParams::new(Vec::<String>::new()).expect("params");
            p.distinguished_name.push(DnType::CommonName, name);
            p.distinguished_name
                .push(DnType::OrganizationName, "kvet test");
            p.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
            p
        };
        let root_key = KeyPair::generate_for(&PKCS_ECDSA_P384_SHA384).expect("key");
        let root_params = ca("kvet test root");
        let root = root_params.self_signed(&root_key).expect("root");
        let inter_key = KeyPair::generate_for(&PKCS_ECDSA_P384_SHA384).expect("key");
        let inter_params = ca("kvet test intermediate");
        let inter = inter_params
            .signed_by(&inter_key, &Issuer::from_params(&root_params, &root_key))
            .expect("intermediate");
        let leaf_key = KeyPair::from_pem(&signer.private_pem()).expect("signer key");
        let mut p = CertificateParams::new(Vec::<String>::new()).expect("params");
        p.subject_alt_names = vec![SanType::Rfc822Name(email.try_into().expect("email"))];
        if code_signing {
            p.extended_key_usages = vec![ExtendedKeyUsagePurpose::CodeSigning];
        }
        p.not_before = date_time_ymd(2023, 11, day);
        p.not_after = date_time_ymd(2023, 11, day + 1);
        // Fulcio's issuer extension holds a DER UTF8String.
        let mut ext = vec![0x0c, issuer.len() as u8];
        ext.extend_from_slice(issuer.as_bytes());
        p.custom_extensions = vec![CustomExtension::from_oid_content(
            &[1, 3, 6, 1, 4, 1, 57264, 1, 8],
            ext,
        )];
        let leaf = p
            .signed_by(&leaf_key, &Issuer::from_params(&inter_params, &inter_key))
            .expect("leaf");
        Pki {
            root: root.pem(),
            intermediate: inter.pem(),
            leaf: leaf.pem(),
            leaf_der: leaf.der().to_vec(),
        }
    }
}
