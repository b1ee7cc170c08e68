//! Kubernetes schemas and validation: the embedded schemas of Kubernetes 1.25–1.37, schemas
//! derived from CustomResourceDefinitions, kubeconform-style schema locations, and a compiled
//! validator that reports exact JSON pointers.
//!
//! Nothing here touches the filesystem, the network, the clock or the environment: schema
//! locations are fetched through a [`SchemaFetcher`] the caller supplies, so the crate builds
//! for `wasm32-unknown-unknown`.
//!
//! ```
//! use kvet_schema::{embedded_versions, Lookup, SchemaCatalog, SchemaOptions};
//! let latest = *embedded_versions().last().expect("schemas are embedded");
//! let catalog = SchemaCatalog::new(latest, SchemaOptions::default()).expect("embedded");
//! let Lookup::Found(v) = catalog.lookup("v1", "ConfigMap") else { panic!("known kind") };
//! let cm = serde_json::json!({"apiVersion": "v1", "kind": "ConfigMap", "data": {"a": 1}});
//! assert_eq!(v.validate(&cm)[0].message, "expected string, got integer 1");
//! ```

#![warn(missing_docs)]

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
use compile::{Compiler, Mode, NoRefs};
use location::{DocCache, Fetched};
use serde_json::Value;
use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, OnceLock, RwLock};

/// Why a schema could not be had.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SchemaError {
    /// Not a version string.
    #[error("{0:?} is not a Kubernetes version (expected 1.NN)")]
    BadVersion(String),
    /// A version this build does not embed.
    #[error("Kubernetes {version} schemas are not embedded in this build; available: {available}")]
    UnknownVersion {
        /// The version asked for.
        version: String,
        /// The versions embedded, comma-separated.
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

/// Fetches documents named by schema locations (files or URLs).
pub trait SchemaFetcher: Send + Sync {
    /// The document at `location`; `Ok(None)` when there is none (404, missing file).
    fn fetch(&self, location: &str) -> Result<Option<Vec<u8>>, String>;
}

/// How a catalog finds and applies schemas.
#[derive(Clone)]
pub struct SchemaOptions {
    /// Unknown fields are violations (kvet's default).
    pub strict: bool,
    /// kubeconform-style location templates tried in order after CRDs; `default` is the
    /// embedded catalog. Empty means the embedded catalog alone.
    pub locations: Vec<String>,
    /// How locations are fetched.
    pub fetcher: Option<Arc<dyn SchemaFetcher>>,
}

impl Default for SchemaOptions {
    fn default() -> Self {
        SchemaOptions {
            strict: true,
            locations: Vec::new(),
            fetcher: None,
        }
    }
}

impl fmt::Debug for SchemaOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SchemaOptions")
            .field("strict", &self.strict)
            .field("locations", &self.locations)
            .field("fetcher", &self.fetcher.as_ref().map(|_| "…"))
            .finish()
    }
}

/// The result of looking up a kind.
#[derive(Clone, Debug)]
pub enum Lookup {
    /// A compiled validator.
    Found(Arc<Validator>),
    /// No schema knows this apiVersion and kind.
    Missing,
    /// A schema location failed (fetch error, bad JSON, unresolvable `$ref` …).
    Failed(String),
}

/// apiVersion → kind → T, looked up without allocating.
type KindMap<T> = HashMap<Box<str>, HashMap<Box<str>, T>>;

fn get<T: Clone>(map: &RwLock<KindMap<T>>, api_version: &str, kind: &str) -> Option<T> {
    let m = map.read().unwrap_or_else(|p| p.into_inner());
    m.get(api_version)?.get(kind).cloned()
}

/// Schemas for one Kubernetes version, plus CRDs and schema locations. Validators are
/// compiled once per (apiVersion, kind) and shared; the catalog is `Send + Sync`.
pub struct SchemaCatalog {
    version: KubeVersion,
    opts: SchemaOptions,
    bundle: Arc<Bundle>,
    crds: RwLock<KindMap<Arc<Validator>>>,
    compiled: RwLock<KindMap<Arc<OnceLock<Lookup>>>>,
    docs: DocCache,
}

impl fmt::Debug for SchemaCatalog {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SchemaCatalog")
            .field("version", &self.version)
            .field("opts", &self.opts)
            .finish_non_exhaustive()
    }
}

impl SchemaCatalog {
    /// A catalog for `version`; fails if this build does not embed it (the error lists the
    /// versions it does embed).
    pub fn new(version: KubeVersion, opts: SchemaOptions) -> Result<Self, SchemaError> {
        let bundle = bundle::load(version)?;
        Ok(SchemaCatalog {
            version,
            opts,
            bundle,
            crds: RwLock::new(HashMap::new()),
            compiled: RwLock::new(HashMap::new()),
            docs: RwLock::new(HashMap::new()),
        })
    }

    /// The Kubernetes version this catalog validates against.
    pub fn version(&self) -> KubeVersion {
        self.version
    }

    /// The options the catalog was built with.
    pub fn options(&self) -> &SchemaOptions {
        &self.opts
    }

    /// Uses a CustomResourceDefinition (apiextensions.k8s.io/v1 or v1beta1): each served
    /// version becomes the schema of its kind, ahead of locations and embedded schemas.
    /// Returns the (apiVersion, kind) pairs added.
    pub fn add_crd(&self, crd: &Value) -> Result<Vec<(String, String)>, SchemaError> {
        let compiled = crd::compile_crd(crd, &self.bundle, self.opts.strict)?;
        let mut crds = self.crds.write().unwrap_or_else(|p| p.into_inner());
        let mut added = Vec::with_capacity(compiled.len());
        for v in compiled {
            crds.entry(v.api_version.as_str().into())
                .or_default()
                .insert(v.kind.as_str().into(), Arc::new(v.validator));
            added.push((v.api_version, v.kind));
        }
        Ok(added)
    }

    /// The validator for `apiVersion` + `kind`: CRDs first, then the schema locations in
    /// order (or the embedded schemas alone). Compiled once and cached; thread-safe.
    pub fn lookup(&self, api_version: &str, kind: &str) -> Lookup {
        if api_version.is_empty() || kind.is_empty() {
            return Lookup::Missing;
        }
        if let Some(v) = get(&self.crds, api_version, kind) {
            return Lookup::Found(v);
        }
        let cell = match get(&self.compiled, api_version, kind) {
            Some(cell) => cell,
            None => {
                let mut map = self.compiled.write().unwrap_or_else(|p| p.into_inner());
                map.entry(api_version.into())
                    .or_default()
                    .entry(kind.into())
                    .or_default()
                    .clone()
            }
        };
        // Other threads asking for the same kind wait for this compile instead of repeating it.
        cell.get_or_init(|| self.resolve(api_version, kind)).clone()
    }

    fn resolve(&self, api_version: &str, kind: &str) -> Lookup {
        if self.opts.locations.is_empty() {
            return self.embedded(api_version, kind);
        }
        for location in &self.opts.locations {
            if location == "default" {
                match self.embedded(api_version, kind) {
                    Lookup::Missing => continue,
                    found => return found,
                }
            }
            let url = match expand_location(
                location,
                api_version,
                kind,
                self.version,
                self.opts.strict,
            ) {
                Ok(u) => u,
                Err(e) => return Lookup::Failed(e.to_string()),
            };
            let Some(fetcher) = &self.opts.fetcher else {
                return Lookup::Failed(format!("cannot fetch {url}: no schema fetcher configured"));
            };
            let fetched = Fetched {
                fetcher: fetcher.as_ref(),
                cache: &self.docs,
            };
            match fetched.load(&url) {
                // Not found: kubeconform tries the next location.
                Ok(None) => continue,
                Ok(Some(doc)) => {
                    return match location::compile_fetched(&fetched, &url, doc) {
                        Ok(v) => Lookup::Found(Arc::new(v)),
                        Err(e) => Lookup::Failed(e),
                    }
                }
                // Any other failure stops the search, as in kubeconform.
                Err(e) => return Lookup::Failed(e),
            }
        }
        Lookup::Missing
    }

    fn embedded(&self, api_version: &str, kind: &str) -> Lookup {
        let Some(def) = self.bundle.kind_definition(api_version, kind) else {
            return Lookup::Missing;
        };
        let mut c = Compiler::new(&NoRefs, Some(self.bundle.as_ref()));
        let Some(root) = c.bundle_definition(
            def,
            Mode::BuiltIn {
                strict: self.opts.strict,
            },
        ) else {
            return Lookup::Failed(format!("embedded definition {def} is unreadable"));
        };
        let (nodes, errors) = c.finish();
        if let Some(e) = errors.first() {
            return Lookup::Failed(format!("embedded definition {def}: {e}"));
        }
        Lookup::Found(Arc::new(Validator::new(nodes, root)))
    }

    /// The embedded versions whose schemas define `apiVersion` + `kind`, ascending (to say
    /// "removed after 1.24" or "added in 1.33"). The first call reads every embedded index.
    pub fn versions_with(&self, api_version: &str, kind: &str) -> Vec<KubeVersion> {
        bundle::versions_with(api_version, kind)
    }

    /// How many definitions of this version's bundle have been parsed, and how many it has
    /// (for tests of laziness; the bundle is shared by all catalogs of the version).
    #[doc(hidden)]
    pub fn definitions_parsed(&self) -> (usize, usize) {
        (self.bundle.parsed_count(), self.bundle.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn assert_send_sync<T: Send + Sync>() {}

    #[test]
    fn shared_types_are_send_and_sync() {
        assert_send_sync::<SchemaCatalog>();
        assert_send_sync::<Validator>();
        assert_send_sync::<Lookup>();
        assert_send_sync::<SchemaOptions>();
    }
}
