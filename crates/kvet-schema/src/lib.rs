//! Kubernetes schemas and validation: the embedded schemas of Kubernetes 1.25–1.37, schemas
//! derived from CustomResourceDefinitions, kubeconform-style schema locations, and a compiled
//! validator that reports exact JSON pointers.
//!
//! Nothing here touches the filesystem, the network or the clock: schema locations are fetched
//! through a [`SchemaFetcher`] the caller supplies, so the crate builds for
//! `wasm32-unknown-unknown`.

mod bundle;
mod compile;
mod crd;
pub mod formats;
mod location;
mod validate;
mod version;

pub use bundle::embedded_versions;
pub use location::expand_location;
pub use validate::{Keyword, Validator, Violation};
pub use version::KubeVersion;

use bundle::Bundle;
use compile::{Compiler, Definitions, Mode};
use serde_json::Value;
use std::collections::HashMap;
use std::sync::{Arc, RwLock};

/// Why a schema could not be had.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SchemaError {
    /// Not a version string.
    #[error("{0:?} is not a Kubernetes version (expected 1.NN)")]
    BadVersion(String),
    /// A version this build does not embed.
    #[error("Kubernetes {version} schemas are not embedded; available: {available}")]
    UnknownVersion {
        /// The version asked for.
        version: String,
        /// The versions embedded.
        available: String,
    },
    /// The embedded bundle is damaged.
    #[error("{0}")]
    Bundle(String),
    /// A CustomResourceDefinition that cannot be used.
    #[error("{0}")]
    Crd(String),
    /// A schema location that cannot be used.
    #[error("{0}")]
    Location(String),
}

/// Fetches documents named by schema locations (files or URLs); `Ok(None)` means not found.
pub trait SchemaFetcher: Send + Sync {
    /// Returns the document at `location`, `None` if there is none.
    fn fetch(&self, location: &str) -> Result<Option<Vec<u8>>, String>;
}

/// How a catalog finds and applies schemas.
#[derive(Clone, Default)]
pub struct SchemaOptions {
    /// Unknown fields are violations.
    pub strict: bool,
    /// kubeconform-style location templates tried in order; `default` is the embedded
    /// catalog. Empty means the embedded catalog alone.
    pub locations: Vec<String>,
    /// How locations are fetched.
    pub fetcher: Option<Arc<dyn SchemaFetcher>>,
}

/// The result of looking up a kind.
#[derive(Clone)]
pub enum Lookup {
    /// A compiled validator.
    Found(Arc<Validator>),
    /// No schema knows this apiVersion and kind.
    Missing,
    /// A schema location failed (network, bad JSON …).
    Failed(String),
}

type KindMap = HashMap<Box<str>, HashMap<Box<str>, Lookup>>;

/// Schemas for one Kubernetes version, plus CRDs and schema locations; shared across threads.
pub struct SchemaCatalog {
    version: KubeVersion,
    opts: SchemaOptions,
    bundle: Arc<Bundle>,
    crds: RwLock<KindMap>,
    cache: RwLock<KindMap>,
}

impl Definitions for Bundle {
    fn definition(&self, name: &str) -> Option<Value> {
        Bundle::definition(self, name)
    }
}

fn get(map: &RwLock<KindMap>, api_version: &str, kind: &str) -> Option<Lookup> {
    map.read()
        .ok()?
        .get(api_version)
        .and_then(|m| m.get(kind))
        .cloned()
}

fn put(map: &RwLock<KindMap>, api_version: &str, kind: &str, l: Lookup) {
    if let Ok(mut m) = map.write() {
        m.entry(api_version.into())
            .or_default()
            .insert(kind.into(), l);
    }
}

impl SchemaCatalog {
    /// A catalog for `version`; fails if the version is not embedded.
    pub fn new(version: KubeVersion, opts: SchemaOptions) -> Result<Self, SchemaError> {
        let bundle = bundle::load(version)?;
        Ok(SchemaCatalog {
            version,
            opts,
            bundle,
            crds: RwLock::new(HashMap::new()),
            cache: RwLock::new(HashMap::new()),
        })
    }

    /// The Kubernetes version this catalog validates against.
    pub fn version(&self) -> KubeVersion {
        self.version
    }

    /// Uses a CustomResourceDefinition's served versions as schemas for its kind; returns the
    /// (apiVersion, kind) pairs added.
    pub fn add_crd(&self, crd: &Value) -> Result<Vec<(String, String)>, SchemaError> {
        let compiled = crd::compile_crd(crd, &self.bundle, self.opts.strict)?;
        let mut added = Vec::new();
        for (api_version, kind, validator) in compiled {
            put(
                &self.crds,
                &api_version,
                &kind,
                Lookup::Found(Arc::new(validator)),
            );
            added.push((api_version, kind));
        }
        Ok(added)
    }

    /// The validator for `apiVersion` + `kind`: CRDs first, then the schema locations (or the
    /// embedded schemas). Compiled once and cached.
    pub fn lookup(&self, api_version: &str, kind: &str) -> Lookup {
        if let Some(l) = get(&self.crds, api_version, kind) {
            return l;
        }
        if let Some(l) = get(&self.cache, api_version, kind) {
            return l;
        }
        let l = self.resolve(api_version, kind);
        put(&self.cache, api_version, kind, l.clone());
        l
    }

    fn resolve(&self, api_version: &str, kind: &str) -> Lookup {
        if self.opts.locations.is_empty() {
            return self.embedded(api_version, kind);
        }
        for loc in &self.opts.locations {
            if loc == "default" {
                match self.embedded(api_version, kind) {
                    Lookup::Missing => continue,
                    found => return found,
                }
            }
            let url = match expand_location(loc, api_version, kind, self.version, self.opts.strict)
            {
                Ok(u) => u,
                Err(e) => return Lookup::Failed(e.to_string()),
            };
            let Some(fetcher) = &self.opts.fetcher else {
                return Lookup::Failed(format!("no fetcher for schema location {url}"));
            };
            match fetcher.fetch(&url) {
                Ok(None) => continue,
                Ok(Some(bytes)) => {
                    return match location::compile_fetched(&bytes, &url) {
                        Ok(v) => Lookup::Found(Arc::new(v)),
                        Err(e) => Lookup::Failed(e.to_string()),
                    }
                }
                Err(e) => return Lookup::Failed(e),
            }
        }
        Lookup::Missing
    }

    fn embedded(&self, api_version: &str, kind: &str) -> Lookup {
        let Some(def) = self.bundle.gvk(api_version, kind) else {
            return Lookup::Missing;
        };
        let mut c = Compiler::new(self.bundle.as_ref());
        let Some(root) = c.definition(
            def,
            Mode::BuiltIn {
                strict: self.opts.strict,
            },
        ) else {
            return Lookup::Missing;
        };
        Lookup::Found(Arc::new(Validator {
            nodes: c.nodes,
            root,
        }))
    }

    /// The embedded versions whose schemas know `apiVersion` + `kind` (used to explain a
    /// missing schema; decompresses every embedded version).
    pub fn versions_with(&self, api_version: &str, kind: &str) -> Vec<KubeVersion> {
        embedded_versions()
            .into_iter()
            .filter(|v| {
                bundle::load(*v)
                    .map(|b| b.gvk(api_version, kind).is_some())
                    .unwrap_or(false)
            })
            .collect()
    }

    /// How many definitions of this version's bundle have been parsed (for tests of laziness).
    #[doc(hidden)]
    pub fn definitions_parsed(&self) -> (usize, usize) {
        (self.bundle.parsed_count(), self.bundle.len())
    }
}
