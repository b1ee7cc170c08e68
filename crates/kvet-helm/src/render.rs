//! Rendering: every template of the chart and its enabled subcharts executed as Helm's
//! engine does, then split, sorted and annotated as `helm template` prints them.

use crate::chart::Chart;
use crate::deps::process_dependencies;
use crate::error::HelmError;
use crate::objects::{Capabilities, CapabilitiesObject, Files};
use crate::semver::is_compatible_range;
use crate::values::{coalesce_values, Values};
use kvet_gotmpl::{FuncMap, Limits, Map, MissingKey, Rendered, SourceMap, Templates, Value};
use serde_json::Value as Json;
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;

/// `.Release`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReleaseOptions {
    /// Release name (`helm template NAME`; Helm's default is `release-name`).
    pub name: String,
    /// Namespace (`-n`; default `default`).
    pub namespace: String,
    /// Revision (1 for an install).
    pub revision: i64,
    /// Whether this is an install.
    pub is_install: bool,
    /// Whether this is an upgrade.
    pub is_upgrade: bool,
}

impl Default for ReleaseOptions {
    fn default() -> Self {
        ReleaseOptions {
            name: "release-name".into(),
            namespace: "default".into(),
            revision: 1,
            is_install: true,
            is_upgrade: false,
        }
    }
}

/// Which Helm's install order of kinds to follow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum KindOrder {
    /// Helm 4: webhook configurations after APIService.
    #[default]
    Helm4,
    /// Helm 3: webhook configurations are unknown kinds (last, alphabetically).
    Helm3,
}

const INSTALL_ORDER_HELM3: &[&str] = &[
    "PriorityClass",
    "Namespace",
    "NetworkPolicy",
    "ResourceQuota",
    "LimitRange",
    "PodSecurityPolicy",
    "PodDisruptionBudget",
    "ServiceAccount",
    "Secret",
    "SecretList",
    "ConfigMap",
    "StorageClass",
    "PersistentVolume",
    "PersistentVolumeClaim",
    "CustomResourceDefinition",
    "ClusterRole",
    "ClusterRoleList",
    "ClusterRoleBinding",
    "ClusterRoleBindingList",
    "Role",
    "RoleList",
    "RoleBinding",
    "RoleBindingList",
    "Service",
    "DaemonSet",
    "Pod",
    "ReplicationController",
    "ReplicaSet",
    "Deployment",
    "HorizontalPodAutoscaler",
    "StatefulSet",
    "Job",
    "CronJob",
    "IngressClass",
    "Ingress",
    "APIService",
];

impl KindOrder {
    fn rank(self, kind: &str) -> Option<usize> {
        if let Some(i) = INSTALL_ORDER_HELM3.iter().position(|k| *k == kind) {
            return Some(i);
        }
        match (self, kind) {
            (KindOrder::Helm4, "MutatingWebhookConfiguration") => Some(INSTALL_ORDER_HELM3.len()),
            (KindOrder::Helm4, "ValidatingWebhookConfiguration") => {
                Some(INSTALL_ORDER_HELM3.len() + 1)
            }
            _ => None,
        }
    }

    /// The sort key of Helm's `lessByKind`: known kinds by rank, then unknown kinds by name.
    fn key(self, kind: &str) -> (usize, String) {
        match self.rank(kind) {
            Some(r) => (r, String::new()),
            None => (usize::MAX, kind.to_owned()),
        }
    }
}

/// How to render: `helm template`'s options.
#[derive(Debug, Clone, Default)]
pub struct RenderOptions {
    /// `.Release`.
    pub release: ReleaseOptions,
    /// `.Capabilities` (`--kube-version`, `--api-versions`).
    pub capabilities: Capabilities,
    /// `--include-crds`: the files of `crds/` first.
    pub include_crds: bool,
    /// `--show-only`: template paths (globs) relative to the chart, e.g. `templates/cm.yaml`.
    pub show_only: Vec<String>,
    /// `--skip-tests`.
    pub skip_tests: bool,
    /// `--no-hooks`.
    pub no_hooks: bool,
    /// Install order of kinds.
    pub kind_order: KindOrder,
    /// Template execution limits.
    pub limits: Limits,
}

/// Where a rendered byte came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TemplateLocation {
    /// The template name (`chart/templates/_helpers.tpl`).
    pub template: String,
    /// The file on disk (or inside the chart archive), when the template is a chart file.
    pub file: Option<PathBuf>,
    /// 1-based line.
    pub line: u32,
    /// 1-based column (characters).
    pub column: u32,
}

/// One document of the output, with its source map.
#[derive(Debug, Clone)]
pub struct RenderedDocument {
    /// The `# Source:` path, e.g. `mychart/templates/deployment.yaml`.
    pub source_path: String,
    /// The template (or CRD) file the document was rendered from.
    pub template_file: PathBuf,
    /// The document text (trimmed, as Helm prints it).
    pub text: String,
    /// Where each byte of `text` came from (empty for CRD files, which are copied verbatim).
    pub source_map: SourceMap,
    /// The object's kind (empty when none).
    pub kind: String,
    /// Whether this is a hook (`helm.sh/hook`), printed after the manifests.
    pub hook: bool,
    /// Whether this is a file of `crds/`, copied verbatim.
    pub crd: bool,
    files: Arc<HashMap<String, PathBuf>>,
}

impl RenderedDocument {
    /// The template file, line and column that produced byte `offset` of `text`.
    pub fn locate(&self, offset: usize) -> Option<TemplateLocation> {
        if self.crd {
            let before = self.text.get(..offset.min(self.text.len()))?;
            let line = before.matches('\n').count() as u32 + 1;
            let column = before.rsplit('\n').next().unwrap_or("").chars().count() as u32 + 1;
            return Some(TemplateLocation {
                template: self.source_path.clone(),
                file: Some(self.template_file.clone()),
                line,
                column,
            });
        }
        let loc = self.source_map.locate(&self.text, offset)?;
        Some(TemplateLocation {
            template: loc.source.to_owned(),
            file: self.files.get(loc.source).cloned(),
            line: loc.line,
            column: loc.column,
        })
    }
}

/// The result of rendering a chart.
#[derive(Debug, Clone, Default)]
pub struct RenderedChart {
    /// Documents in output order: CRDs (when included), manifests by kind, then hooks.
    pub documents: Vec<RenderedDocument>,
    /// The root chart's rendered NOTES.txt.
    pub notes: String,
    show_only: bool,
}

impl RenderedChart {
    /// The text `helm template` prints.
    pub fn to_helm_output(&self) -> String {
        let mut out = String::new();
        if self.show_only {
            for d in &self.documents {
                out.push_str(&format!(
                    "---\n# Source: {}\n{}\n",
                    d.source_path,
                    d.text.trim()
                ));
            }
            return out;
        }
        let mut manifest = String::new();
        for d in self.documents.iter().filter(|d| !d.hook) {
            manifest.push_str(&format!("---\n# Source: {}\n{}\n", d.source_path, d.text));
        }
        out.push_str(manifest.trim());
        out.push('\n');
        for d in self.documents.iter().filter(|d| d.hook) {
            out.push_str(&format!("---\n# Source: {}\n{}\n", d.source_path, d.text));
        }
        out
    }
}

/// Renders charts with a set of template functions.
#[derive(Debug, Clone)]
pub struct Renderer {
    funcs: FuncMap,
    options: RenderOptions,
}

/// Checks the values against the chart's `values.schema.json` and each enabled subchart's
/// against its own, as Helm does before rendering; every violation is listed.
fn check_schemas(chart: &Chart, vals: &Values) -> Result<(), HelmError> {
    fn walk(chart: &Chart, vals: &Json, report: &mut String, first_file: &mut Option<PathBuf>) {
        if let Some(bytes) = &chart.schema {
            let file = chart.file_path("values.schema.json");
            match serde_json::from_slice::<Json>(bytes) {
                Ok(schema) => {
                    let found = crate::schema::validate(&schema, vals);
                    if !found.is_empty() {
                        report.push_str(&format!("{}:\n", chart.name()));
                        for v in found {
                            report.push_str(&format!("- at '{}': {}\n", v.pointer, v.message));
                        }
                        first_file.get_or_insert(file);
                    }
                }
                Err(e) => {
                    report.push_str(&format!(
                        "{}:\n- values.schema.json is not JSON: {e}\n",
                        chart.name()
                    ));
                    first_file.get_or_insert(file);
                }
            }
        }
        for dep in &chart.dependencies {
            let sub = vals
                .get(dep.name())
                .cloned()
                .unwrap_or(Json::Object(Default::default()));
            walk(dep, &sub, report, first_file);
        }
    }
    let mut report = String::new();
    let mut file = None;
    walk(chart, &Json::Object(vals.clone()), &mut report, &mut file);
    match file {
        None => Ok(()),
        Some(file) => Err(HelmError::Chart {
            file: file.display().to_string(),
            message: format!(
                "values don't meet the specifications of the schema(s) in the following chart(s):\n{}",
                report.trim_end()
            ),
        }),
    }
}

/// The functions charts get by default: Go's builtins, sprig and Helm's own, with a fixed
/// clock and a seeded random source, so that a chart renders the same way every time (a
/// policy gate's verdict must not depend on when it ran).
pub fn default_funcs() -> FuncMap {
    FuncMap::helm()
}

struct Renderable {
    name: String,
    text: String,
    vals: Map,
    base_path: String,
}

impl Renderer {
    /// A renderer with [`default_funcs`].
    pub fn new(options: RenderOptions) -> Renderer {
        Renderer {
            funcs: default_funcs(),
            options,
        }
    }

    /// Replaces the template functions.
    pub fn with_funcs(mut self, funcs: FuncMap) -> Renderer {
        self.funcs = funcs;
        self
    }

    /// The options.
    pub fn options(&self) -> &RenderOptions {
        &self.options
    }

    /// Renders `chart` with the user's `values` (already merged from `-f`/`--set`).
    pub fn render(&self, chart: &Chart, values: &Values) -> Result<RenderedChart, HelmError> {
        if chart.is_library() {
            return Err(HelmError::Chart {
                file: chart.file_path("Chart.yaml").display().to_string(),
                message: "library charts are not installable".into(),
            });
        }
        let mut chart = chart.clone();
        process_dependencies(&mut chart, values);
        let kv = &self.options.capabilities.kube_version;
        if !chart.metadata.kube_version.is_empty()
            && !is_compatible_range(&chart.metadata.kube_version, &kv.normalized)
        {
            return Err(HelmError::KubeVersion {
                required: chart.metadata.kube_version.clone(),
                actual: kv.version.clone(),
            });
        }
        let vals = coalesce_values(&chart, values);
        check_schemas(&chart, &vals)?;
        let top_values = Value::from_json_ints(&Json::Object(vals));
        let release = Value::map([
            (
                "Name".to_string(),
                Value::from(self.options.release.name.as_str()),
            ),
            (
                "Namespace".to_string(),
                Value::from(self.options.release.namespace.as_str()),
            ),
            (
                "IsUpgrade".to_string(),
                Value::Bool(self.options.release.is_upgrade),
            ),
            (
                "IsInstall".to_string(),
                Value::Bool(self.options.release.is_install),
            ),
            (
                "Revision".to_string(),
                Value::Int(self.options.release.revision),
            ),
            ("Service".to_string(), Value::from("Helm")),
        ]);
        let caps = Value::Object(Arc::new(CapabilitiesObject::new(
            &self.options.capabilities,
        )));

        let mut tpls: Vec<Renderable> = Vec::new();
        let mut files: HashMap<String, PathBuf> = HashMap::new();
        all_templates(
            &chart,
            None,
            &top_values,
            &release,
            &caps,
            &mut tpls,
            &mut files,
        );
        let files = Arc::new(files);

        // Helm parses (and executes) deepest paths first, then by name, both descending:
        // a parent's `define` parsed later wins over a subchart's.
        tpls.sort_by(|a, b| {
            let (ca, cb) = (a.name.matches('/').count(), b.name.matches('/').count());
            cb.cmp(&ca).then_with(|| b.name.cmp(&a.name))
        });
        let mut set = Templates::with_funcs(self.funcs.clone());
        set.set_name("gotpl");
        set.set_missing_key(MissingKey::Zero);
        set.set_limits(self.options.limits.clone());
        for t in &tpls {
            if let Err(e) = set.parse(&t.name, &t.text) {
                return Err(HelmError::TemplateParse {
                    file: t.name.clone(),
                    path: files.get(&e.name).cloned().unwrap_or_default(),
                    line: e.line,
                    column: e.column,
                    message: e.message,
                });
            }
        }
        let mut rendered: Vec<(String, Rendered)> = Vec::new();
        for t in &tpls {
            let base = t.name.rsplit('/').next().unwrap_or(&t.name);
            if base.starts_with('_') {
                continue;
            }
            t.vals.insert(
                "Template",
                Value::map([
                    ("Name".to_string(), Value::from(t.name.as_str())),
                    ("BasePath".to_string(), Value::from(t.base_path.as_str())),
                ]),
            );
            let out = set
                .execute(&t.name, &Value::Map(t.vals.clone()))
                .map_err(|e| exec_error(&t.name, &e, &files))?;
            rendered.push((t.name.clone(), strip_no_value(out)));
        }

        let root_notes = format!("{}/templates/NOTES.txt", chart.name());
        let mut notes = String::new();
        rendered.retain(|(name, r)| {
            if name.ends_with("NOTES.txt") {
                if *name == root_notes {
                    notes = r.text.clone();
                }
                return false;
            }
            true
        });
        rendered.sort_by(|a, b| a.0.cmp(&b.0));

        let mut manifests = Vec::new();
        let mut hooks = Vec::new();
        for (name, r) in &rendered {
            let base = name.rsplit('/').next().unwrap_or(name);
            if base.starts_with('_') || r.text.trim().is_empty() {
                continue;
            }
            for (start, end) in split_manifests(&r.text) {
                let text = r.text[start..end].to_owned();
                let head = parse_head(&text, name)?;
                let doc = RenderedDocument {
                    source_path: name.clone(),
                    template_file: files.get(name).cloned().unwrap_or_default(),
                    source_map: slice_map(r, start, end),
                    text,
                    kind: head.kind.clone(),
                    hook: head.hook.is_some(),
                    crd: false,
                    files: files.clone(),
                };
                match head.hook {
                    None => manifests.push(doc),
                    Some(HookKind::Unknown) => {}
                    Some(HookKind::Test) if self.options.skip_tests => {}
                    Some(_) if self.options.no_hooks => {}
                    Some(_) => hooks.push(doc),
                }
            }
        }
        let order = self.options.kind_order;
        manifests.sort_by_cached_key(|d| order.key(&d.kind));
        hooks.sort_by_cached_key(|d| order.key(&d.kind));

        let mut documents = Vec::new();
        if self.options.include_crds {
            collect_crds(&chart, chart.name(), &files, &mut documents);
        }
        documents.extend(manifests);
        documents.extend(hooks);

        let mut result = RenderedChart {
            documents,
            notes,
            show_only: false,
        };
        if !self.options.show_only.is_empty() {
            result = show_only(result, &self.options.show_only)?;
        }
        Ok(result)
    }
}

fn go_list(items: &[String]) -> Value {
    Value::list(items.iter().map(|s| Value::from(s.as_str())).collect())
}

fn chart_value(c: &Chart, is_root: bool) -> Value {
    let m = &c.metadata;
    let s = |v: &str| Value::from(v);
    let deps = m
        .dependencies
        .as_deref()
        .unwrap_or_default()
        .iter()
        .map(|d| {
            Value::map([
                ("Name".to_string(), s(&d.name)),
                ("Version".to_string(), s(&d.version)),
                ("Repository".to_string(), s(&d.repository)),
                ("Condition".to_string(), s(&d.condition)),
                ("Tags".to_string(), go_list(&d.tags)),
                ("Enabled".to_string(), Value::Bool(d.enabled)),
                (
                    "ImportValues".to_string(),
                    Value::list(d.import_values.iter().map(Value::from_json).collect()),
                ),
                ("Alias".to_string(), s(&d.alias)),
            ])
        })
        .collect();
    let maintainers = m
        .maintainers
        .iter()
        .map(|mt| {
            Value::map([
                ("Name".to_string(), s(&mt.name)),
                ("Email".to_string(), s(&mt.email)),
                ("URL".to_string(), s(&mt.url)),
            ])
        })
        .collect();
    Value::map([
        ("Name".to_string(), s(&m.name)),
        ("Home".to_string(), s(&m.home)),
        ("Sources".to_string(), go_list(&m.sources)),
        ("Version".to_string(), s(&m.version)),
        ("Description".to_string(), s(&m.description)),
        ("Keywords".to_string(), go_list(&m.keywords)),
        ("Maintainers".to_string(), Value::list(maintainers)),
        ("Icon".to_string(), s(&m.icon)),
        ("APIVersion".to_string(), s(&m.api_version)),
        ("Condition".to_string(), s(&m.condition)),
        ("Tags".to_string(), s(&m.tags)),
        ("AppVersion".to_string(), s(&m.app_version)),
        ("Deprecated".to_string(), Value::Bool(m.deprecated)),
        (
            "Annotations".to_string(),
            Value::map(m.annotations.iter().map(|(k, v)| (k.clone(), s(v)))),
        ),
        ("KubeVersion".to_string(), s(&m.kube_version)),
        ("Dependencies".to_string(), Value::list(deps)),
        ("Type".to_string(), s(&m.chart_type)),
        ("IsRoot".to_string(), Value::Bool(is_root)),
    ])
}

/// Helm's `recAllTpls`: the top-level object of each chart, and its templates.
fn all_templates(
    c: &Chart,
    parent: Option<(&str, &Value)>,
    values: &Value,
    release: &Value,
    caps: &Value,
    out: &mut Vec<Renderable>,
    files: &mut HashMap<String, PathBuf>,
) -> Map {
    let full_path = match parent {
        None => c.name().to_owned(),
        Some((p, _)) => format!("{p}/charts/{}", c.name()),
    };
    let chart_values = match parent {
        None => values.clone(),
        Some((_, parent_values)) => match parent_values.as_map().and_then(|m| m.get(c.name())) {
            Some(v @ Value::Map(_)) => v,
            _ => Value::Map(Map::new()),
        },
    };
    let subcharts = Map::new();
    let next = Map::from_entries([
        ("Chart".to_string(), chart_value(c, parent.is_none())),
        (
            "Files".to_string(),
            Value::Object(Arc::new(Files::new(&c.files))),
        ),
        ("Release".to_string(), release.clone()),
        ("Capabilities".to_string(), caps.clone()),
        ("Values".to_string(), chart_values.clone()),
        ("Subcharts".to_string(), Value::Map(subcharts.clone())),
    ]);
    for child in &c.dependencies {
        let sub = all_templates(
            child,
            Some((&full_path, &chart_values)),
            values,
            release,
            caps,
            out,
            files,
        );
        subcharts.insert(child.name(), Value::Map(sub));
    }
    for t in &c.templates {
        if c.is_library() && !t.name.rsplit('/').next().unwrap_or("").starts_with('_') {
            continue;
        }
        let name = format!("{full_path}/{}", t.name);
        files.insert(name.clone(), c.file_path(&t.name));
        out.push(Renderable {
            name,
            text: String::from_utf8_lossy(&t.data).into_owned(),
            vals: next.clone(),
            base_path: format!("{full_path}/templates"),
        });
    }
    next
}

fn collect_crds(
    c: &Chart,
    full_path: &str,
    files: &Arc<HashMap<String, PathBuf>>,
    out: &mut Vec<RenderedDocument>,
) {
    for f in &c.files {
        let manifest_ext = [".yaml", ".yml", ".json"]
            .iter()
            .any(|e| f.name.ends_with(e));
        if f.name.starts_with("crds/") && manifest_ext {
            let text = String::from_utf8_lossy(&f.data).into_owned();
            let kind = kvet_yaml::parse_stream(&text, &kvet_yaml::Limits::default())
                .documents
                .first()
                .and_then(|d| {
                    d.value
                        .get("kind")
                        .and_then(|k| k.as_str())
                        .map(str::to_owned)
                })
                .unwrap_or_default();
            out.push(RenderedDocument {
                source_path: format!("{full_path}/{}", f.name),
                template_file: c.file_path(&f.name),
                text,
                source_map: SourceMap::new(),
                kind,
                hook: false,
                crd: true,
                files: files.clone(),
            });
        }
    }
    for d in &c.dependencies {
        collect_crds(d, &format!("{full_path}/charts/{}", d.name()), files, out);
    }
}

fn exec_error(
    name: &str,
    e: &kvet_gotmpl::ExecError,
    files: &HashMap<String, PathBuf>,
) -> HelmError {
    let inner = e.innermost();
    let location = inner.location.as_ref().or(e.location.as_ref()).map(|l| {
        (
            l.source.clone(),
            files.get(&l.source).cloned().unwrap_or_default(),
            l.line,
            l.column,
        )
    });
    // Helm shows `fail`/`required` messages without the template machinery around them.
    let text = e.to_string();
    let message = match (text.find("HELM_ERR_START"), text.rfind("HELM_ERR_END")) {
        (Some(a), Some(b)) if a < b => {
            let loc = e
                .location
                .as_ref()
                .map(|l| format!("{}:{}:{}", l.source, l.line, l.go_column))
                .unwrap_or_else(|| name.to_owned());
            format!(
                "execution error at ({loc}): {}",
                &text[a + "HELM_ERR_START".len()..b]
            )
        }
        _ => text,
    };
    HelmError::TemplateExec {
        file: name.to_owned(),
        location,
        message,
    }
}

/// Removes `<no value>` as Helm does, keeping the source map aligned.
fn strip_no_value(r: Rendered) -> Rendered {
    const NV: &str = "<no value>";
    if !r.text.contains(NV) {
        return r;
    }
    let removed: Vec<usize> = r.text.match_indices(NV).map(|(i, _)| i).collect();
    let shift = |o: usize| -> usize {
        let mut s = 0;
        for &start in &removed {
            if start + NV.len() <= o {
                s += NV.len();
            } else if start < o {
                s += o - start;
            }
        }
        o - s
    };
    let mut map = SourceMap::new();
    let sources: Vec<Arc<str>> = r.source_map.sources().to_vec();
    for seg in r.source_map.segments() {
        let Some(name) = sources.get(seg.source as usize) else {
            continue;
        };
        let id = map.source_id(name);
        map.push(
            shift(seg.output_offset as usize),
            id,
            seg.line,
            seg.column,
            seg.literal,
        );
    }
    Rendered {
        text: r.text.replace(NV, ""),
        source_map: map,
    }
}

/// The part of a file's source map that covers `start..end`, rebased to 0.
fn slice_map(r: &Rendered, start: usize, end: usize) -> SourceMap {
    let mut map = SourceMap::new();
    let sources = r.source_map.sources();
    if let Some(seg) = r.source_map.segment_at(start) {
        if let (Some(name), Some(loc)) = (
            sources.get(seg.source as usize),
            r.source_map.locate(&r.text, start),
        ) {
            let id = map.source_id(name);
            map.push(0, id, loc.line, loc.column, seg.literal);
        }
    }
    for seg in r.source_map.segments() {
        let o = seg.output_offset as usize;
        if o <= start || o >= end {
            continue;
        }
        if let Some(name) = sources.get(seg.source as usize) {
            let id = map.source_id(name);
            map.push(o - start, id, seg.line, seg.column, seg.literal);
        }
    }
    map
}

/// Helm's `SplitManifests`: byte ranges of the trimmed documents of `text`, split at
/// `(?:^|\s*\n)---\s*`.
pub(crate) fn split_manifests(text: &str) -> Vec<(usize, usize)> {
    let lead = text.len() - text.trim_start().len();
    let body = text.trim();
    let b = body.as_bytes();
    let is_ws = |c: u8| matches!(c, b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c);
    let mut seps: Vec<(usize, usize)> = Vec::new();
    let skip_ws = |mut i: usize| {
        while i < b.len() && is_ws(b[i]) {
            i += 1;
        }
        i
    };
    let mut i = 0;
    if body.starts_with("---") {
        let e = skip_ws(3);
        seps.push((0, e));
        i = e;
    }
    while i < b.len() {
        if !is_ws(b[i]) {
            i += 1;
            continue;
        }
        let run_end = skip_ws(i);
        if b[run_end - 1] == b'\n' && body[run_end..].starts_with("---") {
            let e = skip_ws(run_end + 3);
            seps.push((i, e));
            i = e;
        } else {
            i = run_end;
        }
    }
    let mut pieces = Vec::new();
    let mut beg = 0;
    for (s, e) in seps
        .iter()
        .copied()
        .chain(std::iter::once((b.len(), b.len())))
    {
        let piece = &body[beg..s];
        if !piece.is_empty() {
            let l = piece.len() - piece.trim_start().len();
            let t = piece.trim();
            pieces.push((lead + beg + l, lead + beg + l + t.len()));
        }
        beg = e;
    }
    pieces
}

enum HookKind {
    Test,
    Other,
    Unknown,
}

struct Head {
    kind: String,
    hook: Option<HookKind>,
}

const HOOK_EVENTS: &[&str] = &[
    "pre-install",
    "post-install",
    "pre-delete",
    "post-delete",
    "pre-upgrade",
    "post-upgrade",
    "pre-rollback",
    "post-rollback",
    "test",
    "test-success",
];

fn parse_head(text: &str, file: &str) -> Result<Head, HelmError> {
    let err = |m: String| HelmError::Manifest {
        file: file.to_owned(),
        message: m,
    };
    let stream = kvet_yaml::parse_stream(text, &kvet_yaml::Limits::default());
    if let Some(e) = stream.errors.first() {
        return Err(err(format!("line {}: {}", e.span.start.line, e.message)));
    }
    let value = stream
        .documents
        .into_iter()
        .next()
        .map(|d| d.value)
        .unwrap_or(Json::Null);
    let obj = match &value {
        Json::Null => return Ok(Head { kind: String::new(), hook: None }),
        Json::Object(o) => o,
        _ => {
            return Err(err(
                "error unmarshaling JSON: while decoding JSON: json: cannot unmarshal into Go value of type SimpleHead"
                    .into(),
            ))
        }
    };
    let kind = match obj.get("kind") {
        None | Some(Json::Null) => String::new(),
        Some(Json::String(s)) => s.clone(),
        Some(_) => return Err(err("error unmarshaling JSON: kind is not a string".into())),
    };
    let hook = obj
        .get("metadata")
        .and_then(|m| m.get("annotations"))
        .and_then(|a| a.get("helm.sh/hook"))
        .and_then(|h| h.as_str())
        .map(|h| {
            let events: Vec<String> = h.split(',').map(|e| e.trim().to_lowercase()).collect();
            if events.iter().any(|e| !HOOK_EVENTS.contains(&e.as_str())) {
                HookKind::Unknown
            } else if events.iter().any(|e| e == "test" || e == "test-success") {
                HookKind::Test
            } else {
                HookKind::Other
            }
        });
    Ok(Head { kind, hook })
}

fn show_only(r: RenderedChart, patterns: &[String]) -> Result<RenderedChart, HelmError> {
    let mut out = Vec::new();
    for p in patterns {
        let p = p.replace('\\', "/");
        let mut missing = true;
        for d in &r.documents {
            let Some((_, rel)) = d.source_path.split_once('/') else {
                continue;
            };
            if crate::glob::go_match(&p, rel).unwrap_or(false) {
                out.push(d.clone());
                missing = false;
            }
        }
        if missing {
            return Err(HelmError::Option(format!(
                "could not find template {p} in chart"
            )));
        }
    }
    Ok(RenderedChart {
        documents: out,
        notes: r.notes,
        show_only: true,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn docs(t: &str) -> Vec<&str> {
        split_manifests(t)
            .into_iter()
            .map(|(a, b)| &t[a..b])
            .collect()
    }

    #[test]
    fn splits_like_helm() {
        assert_eq!(docs("a: 1\n---\nb: 2\n"), ["a: 1", "b: 2"]);
        // The greedy `\s*` after a separator eats the newline a following `---` needs.
        assert_eq!(docs("---\na: 1\n---\n\n---\nb: 2"), ["a: 1", "---\nb: 2"]);
        assert_eq!(docs("\n\n  a: 1  \n\n---  \n  b: 2\n\n"), ["a: 1", "b: 2"]);
        assert_eq!(docs("a\n\n---\n---\nb"), ["a", "---\nb"]);
        assert_eq!(docs("a: |\n  x\n---x\n"), ["a: |\n  x", "x"]);
        assert!(docs("  \n ").is_empty());
    }

    #[test]
    fn kinds_sort_in_install_order() {
        let o = KindOrder::Helm4;
        let mut kinds = vec![
            "Deployment",
            "Zeta",
            "ValidatingWebhookConfiguration",
            "Service",
            "Alpha",
            "Namespace",
        ];
        kinds.sort_by_key(|k| o.key(k));
        assert_eq!(
            kinds,
            [
                "Namespace",
                "Service",
                "Deployment",
                "ValidatingWebhookConfiguration",
                "Alpha",
                "Zeta"
            ]
        );
        let mut kinds = vec!["ValidatingWebhookConfiguration", "Ingress", "Alpha"];
        kinds.sort_by_key(|k| KindOrder::Helm3.key(k));
        assert_eq!(
            kinds,
            ["Ingress", "Alpha", "ValidatingWebhookConfiguration"]
        );
    }
}
