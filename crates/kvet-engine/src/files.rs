//! Inputs held in memory (a set of path → bytes, as a browser hands them over), gathered
//! exactly as [`crate::input`] gathers them from disk: the same walk order, the same chart
//! detection, the same findings for what cannot be read.

use crate::charts::{load_error, render_loaded, rendered_inputs_with, ChartOptions, TemplateTexts};
use crate::finding::{Finding, Location, Severity};
use crate::input::{decode_text, input_finding, Discovered, SourceFile, MAX_FILE_BYTES};
use kvet_policy::{read_data, PolicyError, PolicySet, PolicySetBuilder};
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Largest file set accepted, in total bytes: a browser tab should not be asked for more.
pub const MAX_SET_BYTES: u64 = 256 << 20;

/// Largest number of files in a set.
pub const MAX_SET_FILES: usize = 100_000;

/// A set of files by relative `/`-separated path, standing in for a directory tree.
#[derive(Debug, Clone, Default)]
pub struct FileSet {
    files: BTreeMap<String, Arc<[u8]>>,
    total: u64,
}

/// Cleans a relative path as `path.Clean` does; `None` for absolute paths and paths that
/// leave the set (`..`).
pub fn clean(path: &str) -> Option<String> {
    let path = path.replace('\\', "/");
    if path.starts_with('/') {
        return None;
    }
    let mut out: Vec<&str> = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                out.pop()?;
            }
            p => out.push(p),
        }
    }
    Some(out.join("/"))
}

impl FileSet {
    /// An empty set.
    pub fn new() -> Self {
        FileSet::default()
    }

    /// Adds a file; the error says why the path or size is refused.
    pub fn insert(&mut self, path: &str, bytes: impl Into<Arc<[u8]>>) -> Result<(), String> {
        let bytes = bytes.into();
        let Some(p) = clean(path).filter(|p| !p.is_empty()) else {
            return Err(format!(
                "{path:?}: file paths must be relative and stay inside the set"
            ));
        };
        if self.files.len() >= MAX_SET_FILES && !self.files.contains_key(&p) {
            return Err(format!("more than {MAX_SET_FILES} files"));
        }
        self.total += bytes.len() as u64;
        if self.total > MAX_SET_BYTES {
            return Err(format!(
                "the files add up to more than {MAX_SET_BYTES} bytes"
            ));
        }
        self.files.insert(p, bytes);
        Ok(())
    }

    /// The bytes of the file at `path`.
    pub fn get(&self, path: &str) -> Option<&Arc<[u8]>> {
        self.files.get(&clean(path)?)
    }

    /// Whether `path` is a directory: some file lies below it (`""` is the root).
    pub fn is_dir(&self, path: &str) -> bool {
        let Some(p) = clean(path) else { return false };
        if p.is_empty() {
            return !self.files.is_empty();
        }
        let prefix = format!("{p}/");
        self.files
            .range(prefix.clone()..)
            .next()
            .is_some_and(|(k, _)| k.starts_with(&prefix))
    }

    /// Every file as (path, bytes), in path order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &Arc<[u8]>)> {
        self.files.iter().map(|(k, v)| (k.as_str(), v))
    }

    /// The files below directory `dir` as (path relative to `dir`, bytes).
    fn below(&self, dir: &str) -> Vec<(String, &Arc<[u8]>)> {
        if dir.is_empty() {
            return self.files.iter().map(|(k, v)| (k.clone(), v)).collect();
        }
        let prefix = format!("{dir}/");
        self.files
            .range(prefix.clone()..)
            .take_while(|(k, _)| k.starts_with(&prefix))
            .map(|(k, v)| (k[prefix.len()..].to_owned(), v))
            .collect()
    }

    /// The immediate entries of `dir`: (name, is a directory), in byte order of the names.
    fn entries(&self, dir: &str) -> Vec<(String, bool)> {
        let mut out: BTreeMap<String, bool> = BTreeMap::new();
        for (rel, _) in self.below(dir) {
            match rel.split_once('/') {
                Some((d, _)) => {
                    out.insert(d.to_owned(), true);
                }
                None => {
                    out.entry(rel).or_insert(false);
                }
            }
        }
        out.into_iter().collect()
    }

    /// Reads one file as text, with the same findings as [`crate::input::read_file`].
    pub fn read(&self, path: &str) -> Result<SourceFile, Box<Finding>> {
        let Some(bytes) = self.get(path) else {
            return Err(Box::new(input_finding(
                path,
                "No such file or directory (os error 2)",
            )));
        };
        if bytes.len() as u64 > MAX_FILE_BYTES {
            return Err(Box::new(input_finding(
                path,
                &format!(
                    "file is {} bytes, larger than the limit of {} bytes",
                    bytes.len(),
                    MAX_FILE_BYTES
                ),
            )));
        }
        decode_text(path, bytes.to_vec())
    }

    /// A template text reader over this set, for [`rendered_inputs_with`].
    pub fn texts(&self) -> TemplateTexts {
        let set = self.clone();
        TemplateTexts::from_fn(move |p: &Path| {
            let bytes = set.get(&p.to_string_lossy())?;
            String::from_utf8(bytes.to_vec()).ok()
        })
    }
}

/// The set as a filesystem for kustomize builds (`""` and `.` are the root).
impl kvet_kustomize::FileSystem for FileSet {
    fn read(&self, path: &str) -> Result<String, String> {
        let bytes = self
            .get(path)
            .ok_or_else(|| "No such file or directory (os error 2)".to_owned())?;
        if bytes.len() as u64 > kvet_kustomize::fs::MAX_FILE_BYTES {
            return Err(format!(
                "file is {} bytes, larger than the limit of {} bytes",
                bytes.len(),
                kvet_kustomize::fs::MAX_FILE_BYTES
            ));
        }
        String::from_utf8(bytes.to_vec()).map_err(|_| "file is not UTF-8 text".to_owned())
    }
    fn is_dir(&self, path: &str) -> bool {
        FileSet::is_dir(self, path)
    }
    fn is_file(&self, path: &str) -> bool {
        self.get(path).is_some()
    }
    fn read_bytes(&self, path: &str) -> Result<Vec<u8>, String> {
        self.get(path)
            .map(|b| b.to_vec())
            .ok_or_else(|| "No such file or directory (os error 2)".to_owned())
    }
    fn list(&self, path: &str) -> Result<Vec<String>, String> {
        let dir = clean(path).ok_or("path leaves the set")?;
        Ok(self.entries(&dir).into_iter().map(|(n, _)| n).collect())
    }
}

/// Whether `dir` holds a kustomization file.
fn is_kustomization(set: &FileSet, dir: &str) -> bool {
    kvet_kustomize::KUSTOMIZATION_FILES
        .iter()
        .any(|n| set.get(&join(dir, n)).is_some())
}

fn join(dir: &str, name: &str) -> String {
    if dir.is_empty() {
        name.to_owned()
    } else {
        format!("{dir}/{name}")
    }
}

fn is_archive(p: &str) -> bool {
    p.ends_with(".tgz") || p.ends_with(".tar.gz")
}

fn has_extension(name: &str, extensions: &[&str]) -> bool {
    Path::new(name)
        .extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| extensions.contains(&e))
}

fn walk(set: &FileSet, dir: &str, extensions: &[&str], charts: bool, out: &mut Discovered) {
    for (name, is_dir) in set.entries(dir) {
        let path = join(dir, &name);
        if is_dir {
            if name.starts_with('.') {
                continue;
            }
            if charts && set.get(&join(&path, "Chart.yaml")).is_some() {
                out.charts.push(PathBuf::from(path));
            } else if charts && is_kustomization(set, &path) {
                out.kustomizations.push(PathBuf::from(path));
            } else {
                walk(set, &path, extensions, charts, out);
            }
        } else if has_extension(&name, extensions) {
            out.files.push(PathBuf::from(path));
        }
    }
}

/// Expands `roots` (paths in the set; `""` is the whole set) into manifest files and charts,
/// as [`crate::input::discover_inputs`] does on disk.
pub fn discover_inputs(set: &FileSet, roots: &[String]) -> Discovered {
    let mut out = Discovered::default();
    for root in roots {
        let Some(r) = clean(root) else {
            out.problems.push(input_finding(
                root,
                "No such file or directory (os error 2)",
            ));
            continue;
        };
        if set.is_dir(&r) {
            if set.get(&join(&r, "Chart.yaml")).is_some() {
                out.charts.push(PathBuf::from(&r));
            } else if is_kustomization(set, &r) {
                out.kustomizations.push(PathBuf::from(&r));
            } else {
                walk(set, &r, crate::input::MANIFEST_EXTENSIONS, true, &mut out);
            }
        } else if set.get(&r).is_some() {
            if is_archive(&r) {
                out.charts.push(PathBuf::from(&r));
            } else {
                out.files.push(PathBuf::from(&r));
            }
        } else {
            out.problems.push(input_finding(
                root,
                "No such file or directory (os error 2)",
            ));
        }
    }
    out
}

/// Like [`discover_inputs`] without chart detection, for files with `extensions`.
pub fn discover_with(set: &FileSet, roots: &[String], extensions: &[&str]) -> Discovered {
    let mut out = Discovered::default();
    for root in roots {
        match clean(root) {
            Some(r) if set.is_dir(&r) => walk(set, &r, extensions, false, &mut out),
            Some(r) if set.get(&r).is_some() => out.files.push(PathBuf::from(r)),
            _ => out.problems.push(input_finding(
                root,
                "No such file or directory (os error 2)",
            )),
        }
    }
    out
}

/// Loads the chart at `path` in the set: a directory holding `Chart.yaml`, or a `.tgz`.
pub fn load_chart(set: &FileSet, path: &str) -> Result<kvet_helm::Chart, Box<Finding>> {
    let loader = kvet_helm::ChartLoader::new();
    let origin = Path::new(path);
    let loaded = match set.get(path) {
        Some(bytes) => loader.load_archive(bytes, origin),
        None => {
            let files: Vec<(String, Vec<u8>)> = set
                .below(path)
                .into_iter()
                .map(|(k, v)| (k, v.to_vec()))
                .collect();
            loader.load_memory(&files, origin)
        }
    };
    loaded.map_err(|e| Box::new(load_error(path, e)))
}

/// Discovers and reads the inputs under `roots`, rendering charts with `chart_opts` (whose
/// `value_files` and `--set-file` paths are read from the set too): the in-memory
/// counterpart of what `kvet check` loads.
pub fn load_inputs(
    set: &FileSet,
    roots: &[String],
    chart_opts: &ChartOptions,
) -> (Vec<SourceFile>, Vec<Finding>) {
    let found = discover_inputs(set, roots);
    let mut problems = found.problems;
    let mut files = Vec::new();
    for p in &found.files {
        match set.read(&p.to_string_lossy()) {
            Ok(f) => files.push(f),
            Err(f) => problems.push(*f),
        }
    }
    // Kustomizations are built from the set, as `kvet check` builds them from disk.
    for dir in &found.kustomizations {
        let name = dir.to_string_lossy().into_owned();
        match crate::kustomize::build_with(set, &name) {
            Ok(b) => {
                files.extend(crate::kustomize::built_inputs(&name, &b));
                problems.extend(crate::kustomize::warning_findings(&b));
            }
            Err(f) => problems.extend(f),
        }
    }
    let texts = set.texts();
    for chart in &found.charts {
        let name = chart.to_string_lossy().into_owned();
        match render_chart(set, &name, chart_opts) {
            Ok(rendered) => files.extend(rendered_inputs_with(chart, &rendered, &texts)),
            Err(f) => problems.extend(f),
        }
    }
    (files, problems)
}

/// Renders the chart at `path` in the set, as [`crate::render_chart`] renders one on disk.
pub fn render_chart(
    set: &FileSet,
    path: &str,
    opts: &ChartOptions,
) -> Result<kvet_helm::RenderedChart, Vec<Finding>> {
    let chart = load_chart(set, path).map_err(|f| vec![*f])?;
    let mut value_files = Vec::new();
    for f in &opts.value_files {
        let name = f.display().to_string();
        let text = set.read(&name).map_err(|_| {
            vec![chart_problem(
                &name,
                "cannot read values file: No such file or directory (os error 2)",
            )]
        })?;
        value_files.push((name, text.text.to_string()));
    }
    render_loaded(
        path,
        &chart,
        value_files,
        &mut |file| match set.read(file) {
            Ok(f) => Ok(f.text.to_string()),
            Err(_) => Err(format!("{file}: No such file or directory (os error 2)")),
        },
        opts,
    )
}

fn chart_problem(file: &str, message: &str) -> Finding {
    Finding {
        rule: "helm".to_owned(),
        severity: Severity::Error,
        message: message.to_owned(),
        location: Location::file_only(file),
        object: None,
        pointer: None,
        document: None,
        rendered: None,
    }
}

fn policy_finding(e: PolicyError) -> Finding {
    let mut location = Location::file_only(&e.file);
    if e.line > 0 {
        location.line = e.line;
        location.column = e.column.max(1);
        location.end_line = e.line;
        location.end_column = e.column.max(1);
    }
    Finding {
        rule: "policy-load".to_owned(),
        severity: Severity::Error,
        message: format!("cannot load policy: {}", e.message),
        location,
        object: None,
        pointer: None,
        document: None,
        rendered: None,
    }
}

/// Policies from memory: the same as [`crate::PolicySources`], with `policies` and `data`
/// naming paths in a [`FileSet`], and `modules` given as texts.
#[derive(Debug, Clone, Default)]
pub struct MemoryPolicies {
    /// What applies and how (its `policies` and `data` paths are read from the set).
    pub sources: crate::PolicySources,
    /// Extra Rego modules as (name, text).
    pub modules: Vec<(String, String)>,
}

/// Compiles the policies, as [`crate::load_policies`] does from disk.
pub fn load_policies(
    set: &FileSet,
    src: &MemoryPolicies,
    inputs: &[SourceFile],
) -> Result<Option<PolicySet>, Vec<Finding>> {
    load_policies_reporting(set, src, inputs).map(|(p, _)| p)
}

/// Like [`load_policies`], also saying whether the compiled set depends on `inputs` (Gatekeeper
/// inventory or Namespace labels): a set that does not can be reused for other inputs.
pub fn load_policies_reporting(
    set: &FileSet,
    src: &MemoryPolicies,
    inputs: &[SourceFile],
) -> Result<(Option<PolicySet>, bool), Vec<Finding>> {
    let s = &src.sources;
    if s.policies.is_empty() && s.sets.is_empty() && src.modules.is_empty() {
        return Ok((None, false));
    }
    let mut kvet = serde_json::Map::new();
    if !s.parameters.is_empty() {
        kvet.insert("parameters".to_owned(), Value::Object(s.parameters.clone()));
    }
    if let Some(minor) = s.pss_minor {
        kvet.insert("pss".to_owned(), serde_json::json!({ "minor": minor }));
    }
    let roots: Vec<String> = s
        .policies
        .iter()
        .map(|p| p.to_string_lossy().into_owned())
        .collect();
    let found = discover_with(set, &roots, &["rego", "yaml", "yml", "json"]);
    let mut problems = found.problems;
    let mut builder = PolicySetBuilder::new();
    builder.namespaces(s.namespaces.clone());
    builder.time_limit(s.time_limit);
    builder.combine(s.combine);
    if !kvet.is_empty() {
        if let Err(e) = builder.data(".kvet.yaml", serde_json::json!({ "kvet": kvet })) {
            problems.push(policy_finding(e));
        }
    }
    let mut count = 0;
    for name in &s.sets {
        match builder.builtin(name) {
            Ok(_) => count += 1,
            Err(e) => problems.push(policy_finding(e)),
        }
    }
    for (name, text) in &src.modules {
        builder.module(name.clone(), text.clone());
        count += 1;
    }
    for p in &found.files {
        let p = p.to_string_lossy();
        if p.ends_with("_test.rego") {
            continue;
        }
        let is_rego = p.ends_with(".rego");
        match set.read(&p) {
            Ok(SourceFile { path, text, .. }) if is_rego => {
                builder.module(path, text.to_string());
                count += 1;
            }
            Ok(SourceFile { path, text, .. }) => {
                let stream = kvet_yaml::parse_stream(&text, &kvet_yaml::Limits::default());
                for doc in &stream.documents {
                    if builder.gatekeeper(&path, &doc.value, Some(&doc.spans)) {
                        count += 1;
                    }
                }
                if roots
                    .iter()
                    .any(|r| clean(r).as_deref() == Some(path.as_str()))
                {
                    for e in stream.errors {
                        problems.push(policy_finding(PolicyError {
                            file: path.clone(),
                            line: e.span.start.line,
                            column: e.span.start.column,
                            message: e.message,
                        }));
                    }
                }
            }
            Err(f) => problems.push(*f),
        }
    }
    if count == 0 && problems.is_empty() {
        problems.push(input_finding(
            &roots.join(", "),
            "no Rego policies or Gatekeeper templates found",
        ));
    }
    let data_roots: Vec<String> = s
        .data
        .iter()
        .map(|p| p.to_string_lossy().into_owned())
        .collect();
    let data = discover_with(set, &data_roots, crate::input::MANIFEST_EXTENSIONS);
    problems.extend(data.problems);
    for p in &data.files {
        match set.read(&p.to_string_lossy()) {
            Ok(f) => {
                if let Err(e) =
                    read_data(&f.path, &f.text).and_then(|v| builder.data(&f.path, v).map(|_| ()))
                {
                    problems.push(policy_finding(e));
                }
            }
            Err(f) => problems.push(*f),
        }
    }
    for (name, value) in &s.extra_data {
        if let Err(e) = builder.data(name, value.clone()) {
            problems.push(policy_finding(e));
        }
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    let uses_inputs = builder.wants_inventory() || builder.wants_namespaces();
    if uses_inputs {
        let objects: Vec<Value> = inputs
            .iter()
            .flat_map(|f| {
                let stream = kvet_yaml::parse_stream(&f.text, &kvet_yaml::Limits::default());
                let mut objects = Vec::new();
                let mut ignored = Vec::new();
                for doc in stream.documents {
                    crate::object::objects_of(&f.path, doc, &mut objects, &mut ignored);
                }
                objects.into_iter().map(|o| o.value)
            })
            .collect();
        crate::policies::feed_objects(&mut builder, &objects);
    }
    builder
        .build()
        .map(|p| (Some(p), uses_inputs))
        .map_err(|errs| errs.into_iter().map(policy_finding).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(files: &[(&str, &str)]) -> FileSet {
        let mut s = FileSet::new();
        for (p, t) in files {
            s.insert(p, t.as_bytes().to_vec()).unwrap();
        }
        s
    }

    fn names(v: &[PathBuf]) -> Vec<String> {
        v.iter().map(|p| p.to_string_lossy().into_owned()).collect()
    }

    #[test]
    fn walks_like_the_disk_walk() {
        let s = set(&[
            ("b.yaml", ""),
            ("a-b/x.yml", ""),
            ("a/x.json", ""),
            ("a/readme.md", ""),
            (".hidden/x.yaml", ""),
            (".kvet.yaml", ""),
            ("chart/Chart.yaml", ""),
            ("chart/templates/d.yaml", ""),
            ("pkg.tgz", ""),
        ]);
        let d = discover_inputs(&s, &["".to_owned()]);
        // Per-directory byte order: "a" before "a-b" (a plain string sort says otherwise).
        assert_eq!(
            names(&d.files),
            [".kvet.yaml", "a/x.json", "a-b/x.yml", "b.yaml"]
        );
        assert_eq!(names(&d.charts), ["chart"]);
        let named = discover_inputs(&s, &["pkg.tgz".to_owned(), "nope".to_owned()]);
        assert_eq!(names(&named.charts), ["pkg.tgz"]);
        assert_eq!(named.problems.len(), 1);
        assert_eq!(
            named.problems[0].message,
            "cannot read nope: No such file or directory (os error 2)"
        );
    }

    #[test]
    fn paths_stay_inside_the_set() {
        let mut s = FileSet::new();
        assert!(s.insert("../x", b"".to_vec()).is_err());
        assert!(s.insert("/etc/passwd", b"".to_vec()).is_err());
        s.insert("./a//b.yaml", b"x".to_vec()).unwrap();
        assert!(s.get("a/b.yaml").is_some());
        assert!(s.is_dir("a"));
        assert!(!s.is_dir("a/b.yaml"));
    }
}
