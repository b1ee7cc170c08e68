//! What policies learn about an image (`data.kvet.images["<ref>"]`): its parsed reference,
//! the digest its tag resolves to, and every signature with its verdict.

use crate::cosign::{self, SignatureFact, VerifyOptions};
use crate::source::{media, ImageSource};
use crate::Reference;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// One platform's manifest in a manifest list or OCI index.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Platform {
    /// `os/architecture[/variant]`.
    pub platform: String,
    /// The platform manifest's digest.
    pub digest: String,
}

/// The facts about one image reference, as policies see them. Absent strings are empty.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct ImageFacts {
    /// The reference as written in the manifest.
    pub image: String,
    /// Whether it parses.
    pub valid: bool,
    /// Why it does not parse, or why it could not be resolved or checked.
    pub error: String,
    /// Registry host (`docker.io` when implied).
    pub registry: String,
    /// Repository path (`library/nginx`).
    pub repository: String,
    /// `registry/repository`.
    pub name: String,
    /// The short form (`nginx`).
    pub familiar: String,
    /// The tag as written.
    pub tag: String,
    /// The digest as written.
    pub digest: String,
    /// What the tag (or `latest`) points at now, when resolved.
    pub tag_digest: String,
    /// The digest that runs: the written digest, else the tag's.
    pub resolved_digest: String,
    /// Whether the resolved manifest is a manifest list or OCI index.
    pub index: bool,
    /// Its platforms, for an index.
    pub platforms: Vec<Platform>,
    /// Whether the registry was asked (or evidence consulted).
    pub resolved: bool,
    /// Whether signatures were checked.
    pub checked: bool,
    /// Every signature found, with its verdict.
    pub signatures: Vec<SignatureFact>,
    /// Whether some signature verified.
    pub signed: bool,
}

impl ImageFacts {
    /// The facts a parse alone gives (no registry).
    pub fn parse(image: &str) -> ImageFacts {
        match Reference::parse(image) {
            Ok(r) => ImageFacts {
                image: image.to_owned(),
                valid: true,
                familiar: r.familiar_name(),
                name: r.name(),
                tag: r.tag.clone().unwrap_or_default(),
                digest: r.digest.clone().unwrap_or_default(),
                resolved_digest: r.digest.clone().unwrap_or_default(),
                registry: r.registry,
                repository: r.repository,
                ..Default::default()
            },
            Err(e) => ImageFacts {
                image: image.to_owned(),
                error: e.0,
                ..Default::default()
            },
        }
    }

    /// As a Rego data value.
    pub fn to_value(&self) -> Value {
        serde_json::to_value(self).unwrap_or(Value::Null)
    }
}

/// Resolves `image` through `source` and, when `verify`, checks its signatures.
pub fn facts_for(
    image: &str,
    source: &dyn ImageSource,
    opts: &VerifyOptions,
    verify: bool,
) -> ImageFacts {
    let mut f = ImageFacts::parse(image);
    if !f.valid {
        return f;
    }
    f.resolved = true;
    let Ok(r) = Reference::parse(image) else {
        return f;
    };
    if let Some(tag) = r.effective_tag() {
        match source.resolve(&r.registry, &r.repository, tag) {
            Ok(Some(d)) => f.tag_digest = d,
            Ok(None) if r.digest.is_none() => {
                f.error = format!("tag {tag} not found in {}", r.name());
                return f;
            }
            Ok(None) => {}
            Err(e) if r.digest.is_none() => {
                f.error = format!("cannot resolve {image}: {e}");
                return f;
            }
            // A pinned image runs by digest; an unreachable tag only loses the comparison.
            Err(_) => {}
        }
    }
    if f.resolved_digest.is_empty() {
        f.resolved_digest = f.tag_digest.clone();
    }
    match source.manifest(&r.registry, &r.repository, &f.resolved_digest) {
        Ok(Some(m)) if media::is_index(&m.media_type) => {
            f.index = true;
            f.platforms = platforms(&m.body);
        }
        Ok(Some(_)) => {}
        Ok(None) => {
            f.error = format!("manifest {} not found in {}", f.resolved_digest, r.name());
            return f;
        }
        Err(e) => {
            f.error = format!("cannot fetch {}@{}: {e}", r.name(), f.resolved_digest);
            return f;
        }
    }
    if verify {
        match cosign::signatures(source, &r.registry, &r.repository, &f.resolved_digest, opts) {
            Ok(s) => {
                f.checked = true;
                f.signed = s.iter().any(|s| s.verified);
                f.signatures = s;
            }
            Err(e) => f.error = format!("cannot fetch signatures of {image}: {e}"),
        }
    }
    f
}

fn platforms(body: &[u8]) -> Vec<Platform> {
    let Ok(v) = serde_json::from_slice::<Value>(body) else {
        return Vec::new();
    };
    v.get("manifests")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|m| {
            let p = m.get("platform")?;
            let s = |k: &str| p.get(k).and_then(Value::as_str).unwrap_or("");
            let mut platform = format!("{}/{}", s("os"), s("architecture"));
            if !s("variant").is_empty() {
                platform = format!("{platform}/{}", s("variant"));
            }
            Some(Platform {
                platform,
                digest: m.get("digest")?.as_str()?.to_owned(),
            })
        })
        .collect()
}
