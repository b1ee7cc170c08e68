//! Evidence files: every registry response that resolving and verifying a set of images
//! needed, recorded so that the same checks run later with no network (`kvet images fetch`,
//! then `kvet check --image-evidence`).

use crate::digest;
use crate::source::{ImageSource, Manifest, SourceError};
use base64::Engine as _;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::sync::Mutex;

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;
/// The format version written and read.
pub const VERSION: u32 = 1;

/// A recorded manifest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordedManifest {
    /// Its media type.
    pub media_type: String,
    /// Its bytes, base64.
    pub body: String,
}

/// The evidence for a set of images.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Evidence {
    /// Format version ([`VERSION`]).
    pub version: u32,
    /// The images and the digests they resolved to when recorded (for people reading it).
    pub images: BTreeMap<String, String>,
    /// Manifests by `registry/repository:tag` or `registry/repository@digest`; `null` when
    /// the registry said there was none.
    pub manifests: BTreeMap<String, Option<RecordedManifest>>,
    /// Blobs by digest, base64.
    pub blobs: BTreeMap<String, String>,
    /// Referrers indexes by `registry/repository@digest`; `null` when the registry has no
    /// referrers API.
    pub referrers: BTreeMap<String, Option<RecordedManifest>>,
}

fn key(registry: &str, repository: &str, reference: &str) -> String {
    let sep = if reference.contains(':') { '@' } else { ':' };
    format!("{registry}/{repository}{sep}{reference}")
}

fn record(m: &Option<Manifest>) -> Option<RecordedManifest> {
    m.as_ref().map(|m| RecordedManifest {
        media_type: m.media_type.clone(),
        body: B64.encode(&m.body),
    })
}

fn replay(r: &Option<RecordedManifest>) -> Result<Option<Manifest>, SourceError> {
    let Some(r) = r else { return Ok(None) };
    let body = B64
        .decode(&r.body)
        .map_err(|e| SourceError(format!("evidence holds a manifest that is not base64: {e}")))?;
    Ok(Some(Manifest::from_body(Some(&r.media_type), body)))
}

impl Evidence {
    /// Reads an evidence file's text.
    pub fn from_json(text: &str) -> Result<Evidence, String> {
        let e: Evidence =
            serde_json::from_str(text).map_err(|e| format!("not an evidence file: {e}"))?;
        if e.version != VERSION {
            return Err(format!(
                "evidence format version {} is not supported (expected {VERSION})",
                e.version
            ));
        }
        Ok(e)
    }

    /// The file's text.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_default() + "\n"
    }
}

fn missing(what: &str) -> SourceError {
    SourceError(format!(
        "the evidence file has no record of {what}; run kvet images fetch again"
    ))
}

impl ImageSource for Evidence {
    fn manifest(
        &self,
        registry: &str,
        repository: &str,
        reference: &str,
    ) -> Result<Option<Manifest>, SourceError> {
        let k = key(registry, repository, reference);
        let m = replay(self.manifests.get(&k).ok_or_else(|| missing(&k))?)?;
        if let Some(m) = &m {
            // A manifest asked for by digest must be that digest, whatever the file says.
            if reference.contains(':') && m.digest != reference {
                return Err(SourceError(format!(
                    "evidence for {k} has digest {}",
                    m.digest
                )));
            }
        }
        Ok(m)
    }

    fn blob(&self, _registry: &str, _repository: &str, d: &str) -> Result<Vec<u8>, SourceError> {
        let b = B64
            .decode(self.blobs.get(d).ok_or_else(|| missing(d))?)
            .map_err(|e| SourceError(format!("evidence holds a blob that is not base64: {e}")))?;
        if !digest::matches(d, &b) {
            return Err(SourceError(format!(
                "evidence holds blob {d} with other content"
            )));
        }
        Ok(b)
    }

    fn referrers(
        &self,
        registry: &str,
        repository: &str,
        d: &str,
    ) -> Result<Option<Manifest>, SourceError> {
        let k = key(registry, repository, d);
        replay(
            self.referrers
                .get(&k)
                .ok_or_else(|| missing(&format!("the referrers of {k}")))?,
        )
    }
}

/// Wraps a source and records everything it answers.
pub struct Recorder<'s> {
    inner: &'s dyn ImageSource,
    evidence: Mutex<Evidence>,
}

impl<'s> Recorder<'s> {
    /// Records what `inner` answers.
    pub fn new(inner: &'s dyn ImageSource) -> Self {
        Recorder {
            inner,
            evidence: Mutex::new(Evidence {
                version: VERSION,
                ..Default::default()
            }),
        }
    }

    /// Notes which digest an image resolved to.
    pub fn note_image(&self, image: &str, digest: &str) {
        if let Ok(mut e) = self.evidence.lock() {
            e.images.insert(image.to_owned(), digest.to_owned());
        }
    }

    /// The evidence recorded so far.
    pub fn into_evidence(self) -> Evidence {
        self.evidence
            .into_inner()
            .unwrap_or_else(|p| p.into_inner())
    }
}

impl ImageSource for Recorder<'_> {
    fn manifest(
        &self,
        registry: &str,
        repository: &str,
        reference: &str,
    ) -> Result<Option<Manifest>, SourceError> {
        let m = self.inner.manifest(registry, repository, reference)?;
        if let Ok(mut e) = self.evidence.lock() {
            e.manifests
                .insert(key(registry, repository, reference), record(&m));
        }
        Ok(m)
    }

    fn resolve(
        &self,
        registry: &str,
        repository: &str,
        tag: &str,
    ) -> Result<Option<String>, SourceError> {
        // Recorded as the manifest itself, so that replay can serve it.
        Ok(self.manifest(registry, repository, tag)?.map(|m| m.digest))
    }

    fn blob(&self, registry: &str, repository: &str, d: &str) -> Result<Vec<u8>, SourceError> {
        let b = self.inner.blob(registry, repository, d)?;
        if let Ok(mut e) = self.evidence.lock() {
            e.blobs.insert(d.to_owned(), B64.encode(&b));
        }
        Ok(b)
    }

    fn referrers(
        &self,
        registry: &str,
        repository: &str,
        d: &str,
    ) -> Result<Option<Manifest>, SourceError> {
        let m = self.inner.referrers(registry, repository, d)?;
        if let Ok(mut e) = self.evidence.lock() {
            e.referrers.insert(key(registry, repository, d), record(&m));
        }
        Ok(m)
    }
}
