//! Gathering inputs: files and directories on disk, or text handed in by a front end.

use crate::finding::{Finding, Location, Severity};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// One input text and the name findings will use for it.
#[derive(Debug, Clone)]
pub struct SourceFile {
    /// Path as the user gave it (or `<stdin>`; for rendered output, the name the renderer
    /// gives it, such as `chart/templates/deployment.yaml`).
    pub path: String,
    /// The whole text.
    pub text: Arc<str>,
    /// For rendered text (a Helm template's output), where each byte came from: findings are
    /// then reported at the template line, with the rendered location kept beside it.
    pub origin: Option<Arc<dyn Origin>>,
}

/// Maps a rendered text back to the sources that produced it.
pub trait Origin: Send + Sync + std::fmt::Debug {
    /// The source location of the rendered byte at `offset` (`length` bytes long), if known.
    fn locate(&self, offset: usize, length: usize) -> Option<Location>;
    /// The texts of the source files `locate` names, for snippets: (path, text).
    fn sources(&self) -> Vec<(String, Arc<str>)>;
}

impl SourceFile {
    /// An input that did not come from disk.
    pub fn new(path: impl Into<String>, text: impl Into<Arc<str>>) -> Self {
        SourceFile {
            path: path.into(),
            text: text.into(),
            origin: None,
        }
    }

    /// Rendered text whose findings map back through `origin`.
    pub fn rendered(
        path: impl Into<String>,
        text: impl Into<Arc<str>>,
        origin: Arc<dyn Origin>,
    ) -> Self {
        SourceFile {
            path: path.into(),
            text: text.into(),
            origin: Some(origin),
        }
    }
}

/// Largest input file read, in bytes.
pub const MAX_FILE_BYTES: u64 = 64 << 20;

/// File extensions of manifests found when walking directories.
pub const MANIFEST_EXTENSIONS: &[&str] = &["yaml", "yml", "json"];

/// Expands paths into the manifest files to read: files as given, directories recursively
/// (`.yaml`, `.yml`, `.json`; hidden directories skipped; symlinked directories not followed),
/// in sorted order. Paths that do not exist become `input` findings.
pub fn discover(paths: &[PathBuf]) -> (Vec<PathBuf>, Vec<Finding>) {
    discover_with(paths, MANIFEST_EXTENSIONS)
}

/// What a walk over the inputs found.
#[derive(Debug, Default)]
pub struct Discovered {
    /// Manifest files, in sorted order per directory.
    pub files: Vec<PathBuf>,
    /// Helm charts: directories holding a `Chart.yaml` (not walked into: templates are not
    /// manifests), and `.tgz` archives named directly.
    pub charts: Vec<PathBuf>,
    /// Kustomizations: directories holding a kustomization file (built, not walked into).
    pub kustomizations: Vec<PathBuf>,
    /// Paths that could not be read.
    pub problems: Vec<Finding>,
}

/// Expands paths into manifest files and charts to render.
pub fn discover_inputs(paths: &[PathBuf]) -> Discovered {
    let mut out = Discovered::default();
    for p in paths {
        match std::fs::metadata(p) {
            Ok(m) if m.is_dir() => {
                if p.join("Chart.yaml").is_file() {
                    out.charts.push(p.clone());
                } else if crate::kustomize::is_kustomization(p) {
                    out.kustomizations.push(p.clone());
                } else {
                    walk(p, MANIFEST_EXTENSIONS, true, &mut out);
                }
            }
            Ok(_) if is_archive(p) => out.charts.push(p.clone()),
            Ok(_) => out.files.push(p.clone()),
            Err(e) => out
                .problems
                .push(input_finding(&p.display().to_string(), &e.to_string())),
        }
    }
    out
}

fn is_archive(p: &Path) -> bool {
    let name = p
        .file_name()
        .map(|n| n.to_string_lossy())
        .unwrap_or_default();
    name.ends_with(".tgz") || name.ends_with(".tar.gz")
}

/// Collects the files with `extensions` under `dir`, sorted per directory, skipping hidden
/// directories; with `charts`, a directory holding `Chart.yaml` is a chart, not walked into.
fn walk(dir: &Path, extensions: &[&str], charts: bool, out: &mut Discovered) {
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) => {
            out.problems
                .push(input_finding(&dir.display().to_string(), &e.to_string()));
            return;
        }
    };
    let mut entries: Vec<_> = entries.filter_map(Result::ok).collect();
    entries.sort_by_key(|e| e.file_name());
    for entry in entries {
        let path = entry.path();
        let hidden = entry.file_name().to_string_lossy().starts_with('.');
        let Ok(ft) = entry.file_type() else { continue };
        if ft.is_dir() {
            if hidden {
                continue;
            }
            if charts && path.join("Chart.yaml").is_file() {
                out.charts.push(path);
            } else if charts && crate::kustomize::is_kustomization(&path) {
                out.kustomizations.push(path);
            } else {
                walk(&path, extensions, charts, out);
            }
        } else if path
            .extension()
            .and_then(|e| e.to_str())
            .is_some_and(|e| extensions.contains(&e))
        {
            out.files.push(path);
        }
    }
}

/// Like [`discover`], for files with other extensions (`rego` for policies).
pub fn discover_with(paths: &[PathBuf], extensions: &[&str]) -> (Vec<PathBuf>, Vec<Finding>) {
    let mut out = Discovered::default();
    for p in paths {
        match std::fs::metadata(p) {
            Ok(m) if m.is_dir() => walk(p, extensions, false, &mut out),
            Ok(_) => out.files.push(p.clone()),
            Err(e) => out
                .problems
                .push(input_finding(&p.display().to_string(), &e.to_string())),
        }
    }
    (out.files, out.problems)
}

/// Discovers and reads every input under `paths` in parallel; whatever cannot be read becomes
/// a finding, and the rest are returned in discovery order.
pub fn load(paths: &[PathBuf]) -> (Vec<SourceFile>, Vec<Finding>) {
    let (found, problems) = discover(paths);
    read_all(&found, problems)
}

/// Like [`load`], but Helm charts among the inputs are returned to be rendered instead of read
/// as manifests, and kustomizations are built (their objects come back as inputs).
pub fn load_inputs(paths: &[PathBuf]) -> (Vec<SourceFile>, Vec<PathBuf>, Vec<Finding>) {
    load_inputs_remote(paths, None)
}

/// Like [`load_inputs`]; kustomizations' remote entries are fetched through `remote`.
pub fn load_inputs_remote(
    paths: &[PathBuf],
    remote: Option<&dyn kvet_kustomize::Remote>,
) -> (Vec<SourceFile>, Vec<PathBuf>, Vec<Finding>) {
    let found = discover_inputs(paths);
    let (mut files, mut problems) = read_all(&found.files, found.problems);
    for dir in &found.kustomizations {
        let (built, errors) = crate::kustomize::kustomize_inputs_remote(dir, remote);
        files.extend(built);
        problems.extend(errors);
    }
    (files, found.charts, problems)
}

fn read_all(found: &[PathBuf], mut problems: Vec<Finding>) -> (Vec<SourceFile>, Vec<Finding>) {
    use rayon::prelude::*;
    let read: Vec<Result<SourceFile, Box<Finding>>> =
        found.par_iter().map(|p| read_file(p)).collect();
    let mut files = Vec::with_capacity(read.len());
    for r in read {
        match r {
            Ok(f) => files.push(f),
            Err(f) => problems.push(*f),
        }
    }
    (files, problems)
}

/// Reads one file, turning every failure into a located finding.
pub fn read_file(path: &Path) -> Result<SourceFile, Box<Finding>> {
    let name = path.display().to_string();
    let meta =
        std::fs::metadata(path).map_err(|e| Box::new(input_finding(&name, &e.to_string())))?;
    if meta.len() > MAX_FILE_BYTES {
        return Err(Box::new(input_finding(
            &name,
            &format!(
                "file is {} bytes, larger than the limit of {} bytes",
                meta.len(),
                MAX_FILE_BYTES
            ),
        )));
    }
    let bytes = std::fs::read(path).map_err(|e| Box::new(input_finding(&name, &e.to_string())))?;
    decode_text(&name, bytes)
}

/// Checks that input bytes are UTF-8 text, reporting the first bad byte's position if not.
pub fn decode_text(name: &str, bytes: Vec<u8>) -> Result<SourceFile, Box<Finding>> {
    match String::from_utf8(bytes) {
        Ok(mut s) => {
            if s.starts_with('\u{feff}') {
                // A byte-order mark is not content; replace it so offsets stay aligned.
                s.replace_range(..3, "   ");
            }
            Ok(SourceFile::new(name, s))
        }
        Err(e) => {
            let valid = e.utf8_error().valid_up_to();
            let bytes = e.into_bytes();
            let prefix = String::from_utf8_lossy(&bytes[..valid]);
            let line = prefix.matches('\n').count() as u32 + 1;
            let column = prefix.rsplit('\n').next().map_or(0, |l| l.chars().count()) as u32 + 1;
            Err(Box::new(Finding {
                rule: "yaml".to_owned(),
                severity: Severity::Error,
                message: format!(
                    "file is not UTF-8 text (binary data?): invalid byte 0x{:02x} at offset {valid}",
                    bytes.get(valid).copied().unwrap_or(0)
                ),
                location: Location {
                    file: name.to_owned(),
                    line,
                    column,
                    end_line: line,
                    end_column: column + 1,
                    offset: valid as u32,
                    length: 1,
                },
                object: None,
                pointer: None,
                document: None,
                rendered: None,
            }))
        }
    }
}

/// A finding for an input that could not be read at all.
pub fn input_finding(name: &str, why: &str) -> Finding {
    Finding {
        rule: "input".to_owned(),
        severity: Severity::Error,
        message: format!("cannot read {name}: {why}"),
        location: Location::file_only(name),
        object: None,
        pointer: None,
        document: None,
        rendered: None,
    }
}

#[cfg(test)]
mod discovery_tests {
    use super::*;

    #[test]
    fn chart_directories_are_charts_not_manifests() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures");
        let found = discover_inputs(&[root.join("charts"), root.join("pss")]);
        assert!(found.problems.is_empty());
        assert!(found.charts.iter().any(|c| c.ends_with("charts/large")));
        assert!(!found
            .files
            .iter()
            .any(|f| f.to_string_lossy().contains("templates")));
        assert!(found
            .files
            .iter()
            .any(|f| f.ends_with("pss/workloads.yaml")));
        // Named directly, a chart directory is a chart too.
        let direct = discover_inputs(&[root.join("charts/large")]);
        assert_eq!(direct.charts.len(), 1);
        assert!(direct.files.is_empty());
    }
}
