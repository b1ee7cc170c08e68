//! Helm charts, natively: loaded from a directory or `.tgz`, values merged as Helm merges
//! them, dependencies resolved, and templates rendered to what `helm template` prints,
//! with a source map from every rendered byte back to the template line that produced it.

#![warn(missing_docs)]

mod chart;
mod deps;
mod error;
pub mod glob;
mod ignore;
mod loader;
mod objects;
mod render;
pub mod schema;
pub mod semver;
pub mod strvals;
mod tar;
pub mod values;
mod yamlout;

pub use chart::{Chart, ChartFile, Dependency, Maintainer, Metadata};
pub use deps::process_dependencies;
pub use error::{HelmError, Result};
pub use ignore::IgnoreRules;
pub use loader::{ChartLoader, LoadLimits};
pub use objects::{Capabilities, Files, KubeVersion, VersionSet};
pub use render::{
    default_funcs, KindOrder, ReleaseOptions, RenderOptions, RenderedChart, RenderedDocument,
    Renderer, TemplateLocation,
};
pub use values::{coalesce_values, merge_values, ValueOptions, Values};
