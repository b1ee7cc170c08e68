//! Helm charts as inputs: rendered natively (kvet-helm), each document checked like a file,
//! and every finding mapped back to the template line that produced it.

use crate::finding::{Finding, Location, Severity};
use crate::input::{Origin, SourceFile};
use kvet_helm::{
    Capabilities, Chart, ChartLoader, HelmError, KubeVersion, ReleaseOptions, RenderOptions,
    RenderedChart, RenderedDocument, Renderer, ValueOptions,
};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

/// How charts are rendered: `helm template`'s options.
#[derive(Debug, Clone, Default)]
pub struct ChartOptions {
    /// Release name (`helm template NAME`; default `release-name`).
    pub release_name: Option<String>,
    /// Release namespace (default `default`).
    pub namespace: Option<String>,
    /// `-f/--values` files, in order.
    pub value_files: Vec<PathBuf>,
    /// `--set`.
    pub set: Vec<String>,
    /// `--set-string`.
    pub set_string: Vec<String>,
    /// `--set-json`.
    pub set_json: Vec<String>,
    /// `--set-file`.
    pub set_file: Vec<String>,
    /// `--kube-version` (e.g. `1.33` or `v1.33.0`); default Helm's.
    pub kube_version: Option<String>,
    /// `--api-versions`, added to the defaults.
    pub api_versions: Vec<String>,
    /// `--include-crds`.
    pub include_crds: bool,
    /// `--show-only` template paths.
    pub show_only: Vec<String>,
    /// `--skip-tests`.
    pub skip_tests: bool,
    /// `--no-hooks`.
    pub no_hooks: bool,
    /// Order kinds as helm 3 does instead of helm 4.
    pub helm3_order: bool,
    /// Stack that nested template execution may use, in bytes (default: the renderer's).
    /// WebAssembly needs less: its frames also use the host's own stack, which is not
    /// measured.
    pub max_stack_bytes: Option<usize>,
}

fn chart_finding(file: &str, line: u32, column: u32, message: String) -> Finding {
    let mut location = Location::file_only(file);
    if line > 0 {
        location.line = line;
        location.column = column.max(1);
        location.end_line = line;
        location.end_column = column.max(1);
    }
    Finding {
        rule: "helm".to_owned(),
        severity: Severity::Error,
        message,
        location,
        object: None,
        pointer: None,
        document: None,
        rendered: None,
    }
}

/// Go chains an error through every template call it passed: for runaway recursion that is a
/// thousand links. Keep the outermost call and the innermost cause.
fn shorten(message: String) -> String {
    let parts: Vec<&str> = message.split(": error calling ").collect();
    if parts.len() <= 3 {
        return message;
    }
    let callee = parts[1].split(':').next().unwrap_or("");
    let innermost = parts[parts.len() - 1];
    let cause = innermost.rsplit(": ").next().unwrap_or(innermost);
    format!(
        "{}: error calling {callee}: … {} nested calls …: {cause}",
        parts[0],
        parts.len() - 2
    )
}

/// A Helm error as a located `helm` finding (`chart` names the chart as the user gave it).
fn error_finding(chart: &str, e: HelmError) -> Finding {
    match e {
        HelmError::Yaml {
            file,
            line,
            column,
            message,
        } => chart_finding(&file, line, column, message),
        HelmError::TemplateParse {
            path,
            line,
            column,
            message,
            ..
        } => chart_finding(
            &path.display().to_string(),
            line,
            column,
            format!("template parse error: {message}"),
        ),
        HelmError::TemplateExec {
            location: Some((_, path, line, column)),
            message,
            ..
        } => chart_finding(&path.display().to_string(), line, column, shorten(message)),
        HelmError::Chart { file, message } => chart_finding(&file, 0, 0, message),
        other => chart_finding(chart, 0, 0, other.to_string()),
    }
}

impl ChartOptions {
    fn render_options(&self) -> Result<RenderOptions, String> {
        let mut capabilities = Capabilities::default();
        if let Some(v) = &self.kube_version {
            capabilities.kube_version = KubeVersion::parse(v)
                .ok_or_else(|| format!("invalid Kubernetes version {v:?} for charts"))?;
        }
        capabilities
            .api_versions
            .0
            .extend(self.api_versions.iter().cloned());
        let mut release = ReleaseOptions::default();
        if let Some(n) = &self.release_name {
            release.name = n.clone();
        }
        if let Some(n) = &self.namespace {
            release.namespace = n.clone();
        }
        let mut options = RenderOptions {
            release,
            capabilities,
            include_crds: self.include_crds,
            show_only: self.show_only.clone(),
            skip_tests: self.skip_tests,
            no_hooks: self.no_hooks,
            kind_order: if self.helm3_order {
                kvet_helm::KindOrder::Helm3
            } else {
                kvet_helm::KindOrder::Helm4
            },
            ..RenderOptions::default()
        };
        if let Some(n) = self.max_stack_bytes {
            options.limits.max_stack_bytes = n;
        }
        Ok(options)
    }
}

/// Loads and renders the chart at `path` (a directory or `.tgz`). Every problem — an
/// unreadable chart, a bad values file, a template error — is a located `helm` finding.
pub fn render_chart(path: &Path, opts: &ChartOptions) -> Result<RenderedChart, Vec<Finding>> {
    let shown = path.display().to_string();
    let chart = ChartLoader::new()
        .load(path)
        .map_err(|e| vec![error_finding(&shown, e)])?;
    let mut value_files = Vec::new();
    for f in &opts.value_files {
        let name = f.display().to_string();
        let text = std::fs::read_to_string(f).map_err(|e| {
            vec![chart_finding(
                &name,
                0,
                0,
                format!("cannot read values file: {e}"),
            )]
        })?;
        value_files.push((name, text));
    }
    render_loaded(
        &shown,
        &chart,
        value_files,
        &mut |file| std::fs::read_to_string(file).map_err(|e| format!("{file}: {e}")),
        opts,
    )
}

/// Renders a chart already loaded (from disk, an archive or memory). `shown` names it in
/// findings, `value_files` are the `-f` files as (name, text) in order (they replace
/// `opts.value_files`), and `read` serves the files `--set-file` names.
pub fn render_loaded(
    shown: &str,
    chart: &Chart,
    value_files: Vec<(String, String)>,
    read: &mut dyn FnMut(&str) -> Result<String, String>,
    opts: &ChartOptions,
) -> Result<RenderedChart, Vec<Finding>> {
    let fail = |e: HelmError| vec![error_finding(shown, e)];
    let mut values = ValueOptions {
        value_files,
        ..ValueOptions::default()
    };
    values.values = opts.set.clone();
    values.string_values = opts.set_string.clone();
    values.json_values = opts.set_json.clone();
    values.file_values = opts.set_file.clone();
    let merged = values.merge(read).map_err(fail)?;
    let options = opts
        .render_options()
        .map_err(|m| vec![chart_finding(shown, 0, 0, m)])?;
    Renderer::new(options).render(chart, &merged).map_err(fail)
}

/// The error a chart loader gave, as the located `helm` finding `render_chart` reports.
pub fn load_error(shown: &str, e: HelmError) -> Finding {
    error_finding(shown, e)
}

/// Reads a template's text by its path, for snippets and offsets: from disk for the CLI, from
/// the in-memory file set for the WASM module.
#[derive(Clone)]
pub struct TemplateTexts(Arc<ReadText>);

/// A function reading one text by path (`None`: no such file).
type ReadText = dyn Fn(&Path) -> Option<String> + Send + Sync;

impl TemplateTexts {
    /// Texts read from disk.
    pub fn disk() -> Self {
        TemplateTexts(Arc::new(|p: &Path| std::fs::read_to_string(p).ok()))
    }

    /// Texts served by `read` (`None`: no such file).
    pub fn from_fn(read: impl Fn(&Path) -> Option<String> + Send + Sync + 'static) -> Self {
        TemplateTexts(Arc::new(read))
    }
}

impl std::fmt::Debug for TemplateTexts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TemplateTexts")
    }
}

/// Where each byte of one rendered document came from.
#[derive(Debug)]
struct TemplateOrigin {
    doc: RenderedDocument,
    /// Where template texts are read from.
    read: TemplateTexts,
    /// Template texts read on first use, by file, for offsets and snippets.
    texts: Mutex<HashMap<PathBuf, Option<Arc<str>>>>,
}

impl TemplateOrigin {
    fn text(&self, file: &Path) -> Option<Arc<str>> {
        let mut cache = self.texts.lock().ok()?;
        cache
            .entry(file.to_path_buf())
            .or_insert_with(|| (self.read.0)(file).map(Arc::from))
            .clone()
    }
}

/// The byte offset of 1-based (line, character column) in `text`.
fn offset_of(text: &str, line: u32, column: u32) -> Option<usize> {
    let start = if line <= 1 {
        0
    } else {
        text.match_indices('\n').nth(line as usize - 2)?.0 + 1
    };
    let rest = &text[start..];
    let in_line = rest
        .char_indices()
        .nth(column.saturating_sub(1) as usize)
        .map_or(rest.find('\n').unwrap_or(rest.len()), |(i, _)| i);
    Some(start + in_line)
}

impl Origin for TemplateOrigin {
    fn locate(&self, offset: usize, length: usize) -> Option<Location> {
        let at = self.doc.locate(offset)?;
        let file = at.file.as_ref()?;
        let shown = file.display().to_string();
        let mut location = Location {
            file: shown,
            line: at.line,
            column: at.column,
            end_line: at.line,
            end_column: at.column,
            offset: 0,
            length: 0,
        };
        if let Some(text) = self.text(file) {
            if let Some(start) = offset_of(&text, at.line, at.column) {
                // Literal text maps byte for byte; an action's output is marked at the action,
                // as long as the rendered text is, but never past the end of that line.
                let line_end = text[start..].find('\n').map_or(text.len(), |i| start + i);
                let len = length.min(line_end - start).max(1).min(text.len() - start);
                location.offset = start as u32;
                location.length = len as u32;
                location.end_column = at.column + text[start..start + len].chars().count() as u32;
            }
        }
        Some(location)
    }

    fn sources(&self) -> Vec<(String, Arc<str>)> {
        let Ok(cache) = self.texts.lock() else {
            return Vec::new();
        };
        cache
            .iter()
            .filter_map(|(p, t)| t.clone().map(|t| (p.display().to_string(), t)))
            .collect()
    }
}

/// The rendered documents as inputs to check, each mapping back to its template. `chart` is
/// the chart path as the user named it; rendered documents are named
/// `CHART#templates/x.yaml` (their `# Source:` path within the chart).
pub fn rendered_inputs(chart: &Path, rendered: &RenderedChart) -> Vec<SourceFile> {
    rendered_inputs_with(chart, rendered, &TemplateTexts::disk())
}

/// Like [`rendered_inputs`], with template texts served by `read`.
pub fn rendered_inputs_with(
    chart: &Path,
    rendered: &RenderedChart,
    read: &TemplateTexts,
) -> Vec<SourceFile> {
    rendered
        .documents
        .iter()
        .map(|d| {
            let within = d
                .source_path
                .split_once('/')
                .map_or(&*d.source_path, |x| x.1);
            let name = format!("{}#{within}", chart.display());
            let origin = TemplateOrigin {
                doc: d.clone(),
                read: read.clone(),
                texts: Mutex::new(HashMap::new()),
            };
            // Read the template now, so text reports can show it even before any lookup.
            origin.text(&d.template_file);
            SourceFile::rendered(name, d.text.clone(), Arc::new(origin))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::offset_of;

    #[test]
    fn offsets() {
        let t = "ab\ncdé\nf";
        assert_eq!(offset_of(t, 1, 1), Some(0));
        assert_eq!(offset_of(t, 2, 3), Some(5));
        assert_eq!(offset_of(t, 2, 4), Some(7));
        assert_eq!(offset_of(t, 3, 1), Some(8));
        assert_eq!(offset_of(t, 5, 1), None);
    }
}
