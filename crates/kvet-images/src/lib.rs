//! Container images: references parsed as the container ecosystem parses them, tags resolved
//! to digests through the OCI distribution API, and cosign signatures verified.
//!
//! The core (references, verification, evidence replay) is pure and builds for wasm32; the
//! HTTP client is behind the `registry` feature.

pub mod cosign;
pub mod digest;
pub mod evidence;
pub mod facts;
pub mod keyless;
pub mod keys;
pub mod reference;
#[cfg(feature = "registry")]
pub mod registry;
pub mod rekor;
#[cfg(feature = "registry")]
pub mod shared;
pub mod source;
#[cfg(feature = "testing")]
pub mod testing;

pub use cosign::{SignatureFact, VerifyOptions};
pub use evidence::{Evidence, Recorder};
pub use facts::{facts_for, ImageFacts};
pub use keys::PublicKey;
pub use reference::{Reference, ReferenceError};
pub use source::{ImageSource, Manifest, SourceError};
