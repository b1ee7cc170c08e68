//! Kustomizations built natively: resources, components, patches, generators and
//! transformers, in the order `kubectl kustomize` applies them. Every object keeps the file it
//! came from and the patches that changed it, so findings can be reported where a person
//! would edit. Files are read through [`FileSystem`], so the build runs on disk and in memory.

mod build;
mod config;
mod emit;
mod fields;
pub mod fs;
mod hash;
mod helm;
mod patch;
pub mod remote;
mod replace;
mod vars;

pub use build::{build, build_with_remote, Build, Limits};
pub use emit::{to_yaml, to_yaml_stream};
pub use fs::{DiskFs, FileSystem, MemFs};
pub use hash::name_hash;
pub use remote::{parse_repo, Remote, RepoSpec};

use kvet_yaml::{Span, SpanMap};
use serde_json::Value;
use std::sync::Arc;

/// Names a directory may give its kustomization file, in the order kustomize looks.
pub const KUSTOMIZATION_FILES: &[&str] =
    &["kustomization.yaml", "kustomization.yml", "Kustomization"];

/// The kustomization file in `dir`, if any.
pub fn kustomization_file(fs: &dyn FileSystem, dir: &str) -> Option<String> {
    KUSTOMIZATION_FILES
        .iter()
        .map(|n| fs::join(dir, n))
        .find(|p| fs.is_file(p))
}

/// A build error, located in the kustomization (or patch) file that caused it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}:{line}:{column}: {message}")]
pub struct Error {
    /// The file the error is reported in.
    pub file: String,
    /// 1-based line, 0 when unknown.
    pub line: u32,
    /// 1-based column, 0 when unknown.
    pub column: u32,
    /// What went wrong.
    pub message: String,
}

/// A parsed source file: the text, one document of it and the spans of that document.
#[derive(Debug, Clone)]
pub struct SourceDoc {
    /// Path of the file.
    pub path: String,
    /// The whole text of the file.
    pub text: Arc<str>,
    /// The document as parsed.
    pub value: Value,
    /// Spans of `value`'s nodes.
    pub spans: SpanMap,
    /// Lines to add to positions (for patches written inline in a kustomization).
    pub line_offset: u32,
}

impl SourceDoc {
    /// The span of the node at `pointer` (or its deepest existing ancestor) and whether it
    /// was found exactly.
    pub fn locate(&self, pointer: &str) -> (Span, bool) {
        let l = self.spans.locate(&self.value, pointer);
        let mut span = l.key.unwrap_or(l.value);
        if !l.exact {
            span = l.key.unwrap_or(l.value);
        }
        span.start.line += self.line_offset;
        span.end.line += self.line_offset;
        (span, l.exact)
    }
}

/// Where a field of a built object came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldSource {
    /// The file to edit.
    pub file: String,
    /// The span in that file.
    pub span: Span,
    /// Whether a patch set the field.
    pub patched: bool,
}

/// Fields that identify list elements across merges (strategic merge keys).
const IDENTITY_KEYS: &[&str] = &[
    "name",
    "containerPort",
    "mountPath",
    "devicePath",
    "port",
    "ip",
    "topologyKey",
    "type",
    "uid",
];

/// Rewrites `pointer`, valid in the built object, into the source document: list elements
/// that merges moved are found again by their merge key.
fn translate(built: &Value, source: &Value, pointer: &str) -> String {
    let mut out = String::new();
    let mut b = Some(built);
    let mut s = Some(source);
    for raw in pointer.split('/').skip(1) {
        let tok = raw.replace("~1", "/").replace("~0", "~");
        let mut next_tok = raw.to_owned();
        match (b, s) {
            (Some(Value::Array(bi)), Some(Value::Array(si))) => {
                if let Ok(i) = tok.parse::<usize>() {
                    let item = bi.get(i);
                    let found = item.and_then(|item| {
                        IDENTITY_KEYS.iter().find_map(|k| {
                            let want = item.get(*k)?;
                            si.iter().position(|x| x.get(*k) == Some(want))
                        })
                    });
                    let j = found.unwrap_or(i);
                    next_tok = j.to_string();
                    b = item;
                    s = si.get(j);
                } else {
                    b = None;
                    s = None;
                }
            }
            (bv, sv) => {
                b = bv.and_then(|v| v.get(&tok));
                s = sv.and_then(|v| v.get(&tok));
            }
        }
        out.push('/');
        out.push_str(&next_tok);
    }
    out
}

/// One object of the build output and its provenance.
#[derive(Debug, Clone)]
pub struct Resource {
    /// The object as built.
    pub value: Value,
    /// The document it was read from (`None` for generated objects).
    pub source: Option<Arc<SourceDoc>>,
    /// Pointer of the object within `source` (non-empty for items of a `List`).
    pub source_pointer: String,
    /// The kustomization that generated it, if generated, and the generator's entry.
    pub generated_by: Option<(Arc<SourceDoc>, String)>,
    /// Fields patches set: (pointer in the object, patch document, pointer in the patch).
    pub patched: Vec<(String, Arc<SourceDoc>, String)>,
    pub(crate) history: Vec<(String, String)>,
    pub(crate) hash: bool,
    /// Names of the vars that read this object.
    pub(crate) vars: Vec<String>,
}

impl Resource {
    /// The object's kind.
    pub fn kind(&self) -> &str {
        self.value.get("kind").and_then(Value::as_str).unwrap_or("")
    }
    /// The object's name.
    pub fn name(&self) -> &str {
        self.value
            .pointer("/metadata/name")
            .and_then(Value::as_str)
            .unwrap_or("")
    }
    /// The object's namespace ("" when unset).
    pub fn namespace(&self) -> &str {
        self.value
            .pointer("/metadata/namespace")
            .and_then(Value::as_str)
            .unwrap_or("")
    }
    /// The object's apiVersion.
    pub fn api_version(&self) -> &str {
        self.value
            .get("apiVersion")
            .and_then(Value::as_str)
            .unwrap_or("")
    }

    /// Where the field at `pointer` of the built object was written: the patch that set it
    /// (or an ancestor of it), else the resource file, else the generator entry.
    pub fn locate(&self, pointer: &str) -> Option<FieldSource> {
        let mut best: Option<&(String, Arc<SourceDoc>, String)> = None;
        for p in &self.patched {
            let covers = pointer == p.0
                || (pointer.starts_with(&p.0) && pointer[p.0.len()..].starts_with('/'));
            if covers && best.is_none_or(|b| p.0.len() >= b.0.len()) {
                best = Some(p);
            }
        }
        if let Some((rp, doc, pp)) = best {
            let rest = &pointer[rp.len()..];
            let (span, _) = doc.locate(&format!("{pp}{rest}"));
            return Some(FieldSource {
                file: doc.path.clone(),
                span,
                patched: true,
            });
        }
        if let Some(doc) = &self.source {
            let within = doc
                .value
                .pointer(&self.source_pointer)
                .unwrap_or(&doc.value);
            let translated = translate(&self.value, within, pointer);
            let (span, _) = doc.locate(&format!("{}{translated}", self.source_pointer));
            return Some(FieldSource {
                file: doc.path.clone(),
                span,
                patched: false,
            });
        }
        if let Some((doc, ptr)) = &self.generated_by {
            let (span, _) = doc.locate(ptr);
            return Some(FieldSource {
                file: doc.path.clone(),
                span,
                patched: false,
            });
        }
        None
    }
}
