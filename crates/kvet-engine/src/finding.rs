//! Findings: what kvet reports, where, and about which object.

use serde::{Deserialize, Serialize};
use std::cmp::Ordering;
use std::fmt;

/// How serious a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Informational only.
    Info,
    /// Worth fixing; fails the run only with `--fail-on warning`.
    Warning,
    /// Fails the run.
    Error,
}

impl Severity {
    /// The lowercase name used in every output format.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for Severity {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "info" => Ok(Severity::Info),
            "warning" | "warn" => Ok(Severity::Warning),
            "error" => Ok(Severity::Error),
            other => Err(format!(
                "unknown severity {other:?} (expected error, warning or info)"
            )),
        }
    }
}

/// Which Kubernetes object a finding is about.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct ObjectId {
    /// `apiVersion` as written.
    pub api_version: String,
    /// `kind` as written.
    pub kind: String,
    /// `metadata.namespace`, if set.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    /// `metadata.name` (or `generateName`), if set.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

impl fmt::Display for ObjectId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.kind)?;
        match (&self.namespace, &self.name) {
            (Some(ns), Some(n)) => write!(f, " {ns}/{n}"),
            (None, Some(n)) => write!(f, " {n}"),
            _ => Ok(()),
        }
    }
}

/// A place in a source file.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Location {
    /// Path of the file as given on the command line (or `<stdin>`).
    pub file: String,
    /// 1-based line.
    pub line: u32,
    /// 1-based column in characters.
    pub column: u32,
    /// Line where the offending text ends.
    pub end_line: u32,
    /// Column just past the offending text.
    pub end_column: u32,
    /// Byte offset of the start.
    pub offset: u32,
    /// Length in bytes.
    pub length: u32,
}

impl Location {
    /// A location covering `span` in `file`.
    pub fn from_span(file: &str, span: kvet_yaml::Span) -> Self {
        Location {
            file: file.to_owned(),
            line: span.start.line,
            column: span.start.column,
            end_line: span.end.line.max(span.start.line),
            end_column: if span.end.line > span.start.line {
                span.end.column
            } else {
                span.end.column.max(span.start.column)
            },
            offset: span.start.offset,
            length: span.end.offset.saturating_sub(span.start.offset),
        }
    }

    /// A location for a whole file (unreadable input).
    pub fn file_only(file: &str) -> Self {
        Location {
            file: file.to_owned(),
            line: 0,
            column: 0,
            end_line: 0,
            end_column: 0,
            offset: 0,
            length: 0,
        }
    }
}

/// One result of checking: a rule that an input breaks, at a place.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Finding {
    /// The rule's id: `schema`, `no-schema`, `yaml`, `yaml-duplicate-key`, `object`, `input`.
    pub rule: String,
    /// How serious it is.
    pub severity: Severity,
    /// What is wrong, in one sentence.
    pub message: String,
    /// Where to edit.
    pub location: Location,
    /// The object concerned, when the document was an object.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub object: Option<ObjectId>,
    /// JSON pointer of the offending field within the object.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pointer: Option<String>,
    /// Index of the YAML document within its file, from 0.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub document: Option<usize>,
    /// For an object produced by rendering (a Helm template), where the finding is in the
    /// rendered output; `location` is then the template line that produced it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rendered: Option<Location>,
}

impl Finding {
    /// The deterministic report order: file, line, column, rule, then the rest.
    pub fn order(&self, other: &Finding) -> Ordering {
        (
            &self.location.file,
            self.location.line,
            self.location.column,
            &self.rule,
            &self.pointer,
            &self.message,
        )
            .cmp(&(
                &other.location.file,
                other.location.line,
                other.location.column,
                &other.rule,
                &other.pointer,
                &other.message,
            ))
    }
}
