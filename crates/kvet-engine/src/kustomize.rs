//! Kustomizations as inputs: built natively (kvet-kustomize), each object checked like a
//! file, and every finding mapped back to the resource file line it came from, or to the patch
//! line that set the field.

use crate::finding::{Finding, Location, Severity};
use crate::input::{Origin, SourceFile};
use kvet_kustomize::{Build, FileSystem, Limits, Resource};
pub use kvet_kustomize::{Remote, RepoSpec};
use kvet_yaml::SpanMap;
use serde_json::Value;
use std::path::Path;
use std::sync::Arc;

/// Whether `dir` is a kustomization: a directory holding `kustomization.yaml`,
/// `kustomization.yml` or `Kustomization`.
pub fn is_kustomization(dir: &Path) -> bool {
    dir.is_dir()
        && kvet_kustomize::KUSTOMIZATION_FILES
            .iter()
            .any(|n| dir.join(n).is_file())
}

/// A build error as a located `kustomize` finding.
pub fn error_finding(e: &kvet_kustomize::Error) -> Finding {
    located(e, Severity::Error)
}

/// What kustomize warns about in a build (deprecated fields, unused vars) as located
/// `kustomize` warnings.
pub fn warning_findings(b: &Build) -> Vec<Finding> {
    b.warnings
        .iter()
        .map(|w| located(w, Severity::Warning))
        .collect()
}

fn located(e: &kvet_kustomize::Error, severity: Severity) -> Finding {
    let mut location = Location::file_only(&e.file);
    if e.line > 0 {
        location.line = e.line;
        location.column = e.column.max(1);
        location.end_line = e.line;
        location.end_column = e.column.max(1);
    }
    Finding {
        rule: "kustomize".to_owned(),
        severity,
        message: e.message.clone(),
        location,
        object: None,
        pointer: None,
        document: None,
        rendered: None,
    }
}

/// Builds the kustomization in `dir` from disk.
pub fn build_kustomization(dir: &Path) -> Result<Build, Vec<Finding>> {
    build_kustomization_remote(dir, None)
}

/// Builds the kustomization in `dir` from disk; `remote` fetches remote entries (offline
/// when `None`).
pub fn build_kustomization_remote(
    dir: &Path,
    remote: Option<&dyn kvet_kustomize::Remote>,
) -> Result<Build, Vec<Finding>> {
    kvet_kustomize::build_with_remote(
        &kvet_kustomize::DiskFs,
        &dir.display().to_string(),
        &Limits::default(),
        remote,
    )
    .map_err(|e| vec![error_finding(&e)])
}

/// Builds the kustomization in `dir`, reading through `fs` (disk or memory).
pub fn build_with(fs: &dyn FileSystem, dir: &str) -> Result<Build, Vec<Finding>> {
    kvet_kustomize::build(fs, dir, &Limits::default()).map_err(|e| vec![error_finding(&e)])
}

/// Builds `dir` and returns its objects as inputs, or the build error as a finding.
pub fn kustomize_inputs(dir: &Path) -> (Vec<SourceFile>, Vec<Finding>) {
    kustomize_inputs_remote(dir, None)
}

/// Like [`kustomize_inputs`], fetching remote entries through `remote`.
pub fn kustomize_inputs_remote(
    dir: &Path,
    remote: Option<&dyn kvet_kustomize::Remote>,
) -> (Vec<SourceFile>, Vec<Finding>) {
    match build_kustomization_remote(dir, remote) {
        Ok(b) => (
            built_inputs(&dir.display().to_string(), &b),
            warning_findings(&b),
        ),
        Err(f) => (Vec::new(), f),
    }
}

/// The built objects as inputs to check, one per object, named `DIR#Kind/name`, each mapping
/// back to the files a person would edit.
pub fn built_inputs(dir: &str, built: &Build) -> Vec<SourceFile> {
    built
        .resources
        .iter()
        .map(|r| {
            let text = kvet_kustomize::to_yaml(&r.value);
            let name = format!("{dir}#{}/{}", r.kind(), r.name());
            let parsed = kvet_yaml::parse_one(&text, &kvet_yaml::Limits::default())
                .ok()
                .flatten()
                .map(|d| (d.value, d.spans));
            let origin = BuiltOrigin {
                resource: r.clone(),
                parsed,
            };
            SourceFile::rendered(name, text, Arc::new(origin))
        })
        .collect()
}

/// Maps the emitted text of one object back through its provenance.
#[derive(Debug)]
struct BuiltOrigin {
    resource: Resource,
    /// The emitted text parsed again: its spans turn offsets into JSON pointers.
    parsed: Option<(Value, SpanMap)>,
}

/// The JSON pointer of the deepest node of `value` whose text covers `offset`.
fn pointer_at(value: &Value, spans: &SpanMap, offset: u32) -> String {
    let mut pointer = String::new();
    let mut cur = value;
    loop {
        let kids: Vec<(String, &Value)> = match cur {
            Value::Object(m) => m
                .iter()
                .map(|(k, v)| (kvet_yaml::escape_token(k).into_owned(), v))
                .collect(),
            Value::Array(a) => a
                .iter()
                .enumerate()
                .map(|(i, v)| (i.to_string(), v))
                .collect(),
            _ => return pointer,
        };
        let mut next = None;
        for (tok, v) in kids {
            let p = format!("{pointer}/{tok}");
            let l = spans.locate(value, &p);
            let inside = |s: kvet_yaml::Span| {
                s.start.offset <= offset && offset < s.end.offset.max(s.start.offset + 1)
            };
            if inside(l.value) || l.key.is_some_and(inside) {
                next = Some((p, v));
                break;
            }
        }
        match next {
            Some((p, v)) => {
                pointer = p;
                cur = v;
            }
            None => return pointer,
        }
    }
}

impl Origin for BuiltOrigin {
    fn locate(&self, offset: usize, _length: usize) -> Option<Location> {
        let (value, spans) = self.parsed.as_ref()?;
        let pointer = pointer_at(value, spans, offset as u32);
        let at = self.resource.locate(&pointer)?;
        Some(Location::from_span(&at.file, at.span))
    }

    fn sources(&self) -> Vec<(String, Arc<str>)> {
        let mut out: Vec<(String, Arc<str>)> = Vec::new();
        let mut add = |path: &str, text: &Arc<str>| {
            if !out.iter().any(|(p, _)| p == path) {
                out.push((path.to_owned(), text.clone()));
            }
        };
        if let Some(d) = &self.resource.source {
            add(&d.path, &d.text);
        }
        if let Some((d, _)) = &self.resource.generated_by {
            add(&d.path, &d.text);
        }
        for (_, d, _) in &self.resource.patched {
            add(&d.path, &d.text);
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::input::discover_inputs;
    use std::path::PathBuf;

    fn fixtures() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/kustomize")
    }

    #[test]
    fn kustomization_directories_are_built_not_walked() {
        let found = discover_inputs(&[fixtures().join("cases")]);
        assert!(found.problems.is_empty());
        assert!(found.files.is_empty(), "{:?}", found.files);
        assert!(found
            .kustomizations
            .iter()
            .any(|k| k.ends_with("cases/platform-eu")));
        // A chart inside a kustomization (helm-chart/charts/web) is the kustomization's.
        assert!(found.charts.is_empty());
        // Named directly, a kustomization is one input.
        let direct = discover_inputs(&[fixtures().join("cases/smp-file")]);
        assert_eq!(direct.kustomizations.len(), 1);
        assert!(direct.files.is_empty());
    }

    #[test]
    fn built_objects_map_back_to_their_files() {
        let dir = fixtures().join("findings/overlay");
        let (files, problems) = kustomize_inputs(&dir);
        assert!(problems.is_empty());
        let deploy = files
            .iter()
            .find(|f| f.path.ends_with("#Deployment/prod-web"))
            .expect("deployment");
        let origin = deploy.origin.as_ref().expect("origin");
        let at = |needle: &str| {
            let offset = deploy.text.find(needle).expect(needle);
            origin.locate(offset, needle.len()).expect("located")
        };
        let alpine = at("alpine");
        assert!(
            alpine.file.ends_with("findings/overlay/debug.yaml"),
            "{}",
            alpine.file
        );
        assert_eq!(alpine.line, 10);
        let busybox = at("busybox");
        assert!(
            busybox.file.ends_with("base/app/deployment.yaml"),
            "{}",
            busybox.file
        );
        assert_eq!(busybox.line, 45);
        assert!(origin
            .sources()
            .iter()
            .any(|(p, _)| p.ends_with("debug.yaml")));
    }

    #[test]
    fn build_errors_are_located_findings() {
        let (files, problems) = kustomize_inputs(&fixtures().join("findings/broken"));
        assert!(files.is_empty());
        assert_eq!(problems.len(), 1);
        assert_eq!(problems[0].rule, "kustomize");
        assert_eq!(
            (problems[0].location.line, problems[0].location.column),
            (3, 5)
        );
        assert!(problems[0]
            .location
            .file
            .ends_with("findings/broken/kustomization.yaml"));
    }
}
