//! Where manifests and blobs come from: a registry over HTTP, a recorded evidence file, or
//! anything else that can answer the OCI distribution API's reads.

use crate::digest;

/// Media types of the OCI image spec and Docker's registry API.
pub mod media {
    /// OCI image manifest.
    pub const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
    /// OCI image index.
    pub const OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";
    /// Docker image manifest, schema 2.
    pub const DOCKER_MANIFEST: &str = "application/vnd.docker.distribution.manifest.v2+json";
    /// Docker manifest list.
    pub const DOCKER_LIST: &str = "application/vnd.docker.distribution.manifest.list.v2+json";
    /// The `Accept` header for manifests: every kind kvet reads.
    pub const ACCEPT: &str = "application/vnd.oci.image.index.v1+json, application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.list.v2+json, application/vnd.docker.distribution.manifest.v2+json";
    /// The layer of a cosign legacy signature: a simple-signing payload.
    pub const SIMPLE_SIGNING: &str = "application/vnd.dev.cosign.simplesigning.v1+json";
    /// A Sigstore bundle, v0.3.
    pub const SIGSTORE_BUNDLE: &str = "application/vnd.dev.sigstore.bundle.v0.3+json";
    /// OCI's empty descriptor (config of artifacts).
    pub const OCI_EMPTY: &str = "application/vnd.oci.empty.v1+json";
    /// OCI image config.
    pub const OCI_CONFIG: &str = "application/vnd.oci.image.config.v1+json";

    /// Whether a manifest of this type lists other manifests.
    pub fn is_index(media_type: &str) -> bool {
        media_type == OCI_INDEX || media_type == DOCKER_LIST
    }
}

/// A manifest as served: its media type, digest and exact bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Manifest {
    /// The `Content-Type` it was served with (or its `mediaType` field).
    pub media_type: String,
    /// `sha256:` of `body`.
    pub digest: String,
    /// The bytes, which the digest covers.
    pub body: Vec<u8>,
}

impl Manifest {
    /// A manifest from its bytes, typed by the served type or else its `mediaType` field.
    pub fn from_body(served_type: Option<&str>, body: Vec<u8>) -> Manifest {
        let media_type = served_type
            .map(|t| t.split(';').next().unwrap_or(t).trim().to_owned())
            .filter(|t| !t.is_empty() && t != "application/json" && t != "application/octet-stream")
            .or_else(|| {
                serde_json::from_slice::<serde_json::Value>(&body)
                    .ok()?
                    .get("mediaType")?
                    .as_str()
                    .map(str::to_owned)
            })
            .unwrap_or_else(|| media::OCI_MANIFEST.to_owned());
        Manifest {
            media_type,
            digest: digest::sha256(&body),
            body,
        }
    }

    /// The parsed JSON, or why it is not JSON.
    pub fn json(&self) -> Result<serde_json::Value, String> {
        serde_json::from_slice(&self.body)
            .map_err(|e| format!("manifest {} is not JSON: {e}", self.digest))
    }
}

/// A failure to reach or read from the source (not "not found", which is `Ok(None)`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct SourceError(pub String);

/// The reads of the OCI distribution API that resolution and verification need.
pub trait ImageSource: Sync {
    /// The manifest at `reference` (a tag or digest) of `registry/repository`; `None` when
    /// the registry says it does not exist.
    fn manifest(
        &self,
        registry: &str,
        repository: &str,
        reference: &str,
    ) -> Result<Option<Manifest>, SourceError>;

    /// The digest a tag points at, without necessarily fetching the manifest.
    fn resolve(
        &self,
        registry: &str,
        repository: &str,
        tag: &str,
    ) -> Result<Option<String>, SourceError> {
        Ok(self.manifest(registry, repository, tag)?.map(|m| m.digest))
    }

    /// A blob's bytes, checked against `digest`.
    fn blob(&self, registry: &str, repository: &str, digest: &str) -> Result<Vec<u8>, SourceError>;

    /// The referrers index of `digest` from the OCI referrers API, or `None` when the
    /// registry does not implement that API (then the tag-schema fallback applies).
    fn referrers(
        &self,
        registry: &str,
        repository: &str,
        digest: &str,
    ) -> Result<Option<Manifest>, SourceError>;
}
