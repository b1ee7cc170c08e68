//! Typed errors: every one names the file (and, for YAML, the line) it is about.

use std::path::PathBuf;

/// Anything that stops a chart from loading or rendering.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum HelmError {
    /// A file or directory could not be read.
    #[error("{path}: {message}")]
    Io {
        /// The path that failed.
        path: PathBuf,
        /// What went wrong.
        message: String,
    },
    /// A chart archive is malformed or breaks a rule (path traversal, links, bombs).
    #[error("{path}: {message}")]
    Archive {
        /// The archive (and, after a colon, the entry) at fault.
        path: PathBuf,
        /// What went wrong.
        message: String,
    },
    /// A load limit was exceeded (size, file count).
    #[error("{path}: {message}")]
    Limit {
        /// The chart being loaded.
        path: PathBuf,
        /// Which limit.
        message: String,
    },
    /// A YAML file of the chart (Chart.yaml, values.yaml, a values file) is not valid.
    #[error("{file}:{line}:{column}: {message}")]
    Yaml {
        /// The file.
        file: String,
        /// 1-based line (0 when unknown).
        line: u32,
        /// 1-based column (0 when unknown).
        column: u32,
        /// What went wrong.
        message: String,
    },
    /// The chart's metadata is invalid (missing name, bad apiVersion …).
    #[error("{file}: {message}")]
    Chart {
        /// The chart file at fault (usually `…/Chart.yaml`).
        file: String,
        /// What went wrong.
        message: String,
    },
    /// A `--set`-style value or a values file could not be parsed or merged.
    #[error("{source_name}: {message}")]
    Values {
        /// Which input (`--set`, `--set-json`, a file name).
        source_name: String,
        /// What went wrong.
        message: String,
    },
    /// A template failed to parse (Helm: `parse error at (FILE:LINE): …`).
    #[error("parse error at ({file}:{line}): {message}")]
    TemplateParse {
        /// Template name (`chart/templates/x.yaml`).
        file: String,
        /// Template file on disk.
        path: PathBuf,
        /// 1-based line.
        line: u32,
        /// 1-based column.
        column: u32,
        /// Go's message.
        message: String,
    },
    /// A template failed while executing.
    #[error("{message}")]
    TemplateExec {
        /// The template being rendered (`chart/templates/x.yaml`).
        file: String,
        /// Where the fault is: template name, file on disk, line, column (innermost execution).
        location: Option<(String, PathBuf, u32, u32)>,
        /// The message as Helm prints it.
        message: String,
    },
    /// A rendered manifest is not valid YAML (Helm: `YAML parse error on FILE`).
    #[error("YAML parse error on {file}: {message}")]
    Manifest {
        /// The template that produced it.
        file: String,
        /// What went wrong.
        message: String,
    },
    /// The chart's `kubeVersion` excludes the target Kubernetes version.
    #[error(
        "chart requires kubeVersion: {required} which is incompatible with Kubernetes {actual}"
    )]
    KubeVersion {
        /// The chart's constraint.
        required: String,
        /// The target version.
        actual: String,
    },
    /// An option is invalid (`--show-only` naming no template, a bad `--kube-version` …).
    #[error("{0}")]
    Option(String),
}

/// Result with [`HelmError`].
pub type Result<T, E = HelmError> = std::result::Result<T, E>;
