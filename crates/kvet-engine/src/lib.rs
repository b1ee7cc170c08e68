//! kvet's pipeline as a library: gather inputs, parse them into objects, validate every object
//! in parallel, and render the findings. Front ends (CLI, webhook, WASM) only gather inputs and
//! print results; nothing here reads the environment, the clock or the network.

pub mod charts;
mod check;
pub mod config;
pub mod exceptions;
pub mod files;
mod finding;
pub mod images;
pub mod input;
pub mod kustomize;
mod object;
mod policies;
pub mod report;
pub mod verify;

pub use charts::{render_chart, rendered_inputs, ChartOptions};
pub use check::{check, CheckOptions, Checker, EngineError, Report, Stats};
pub use config::Config;
pub use exceptions::{Date, Exception, Exceptions, Waived};
pub use finding::{Finding, Location, ObjectId, Severity};
pub use input::SourceFile;
pub use kvet_policy::{Namespaces, PolicySet};
pub use kvet_schema::{embedded_versions, KubeVersion};
pub use object::{objects_of, Object};
pub use policies::{load_policies, PolicySources};
