//! The check pipeline: source files → objects → findings, in parallel.

use crate::exceptions::{Date, Exceptions, Waived, WAIVE_ANNOTATION};
use crate::finding::{Finding, Location, Severity};
use crate::input::SourceFile;
use crate::object::{objects_of, Object};
use kvet_policy::{Evaluator, Level, PolicySet};
use kvet_schema::{
    embedded_versions, KubeVersion, Lookup, SchemaCatalog, SchemaFetcher, SchemaOptions,
};
use rayon::prelude::*;
use serde::Serialize;
use serde_json::Value;
use std::collections::BTreeMap;
use std::sync::Arc;

/// What to check and how.
#[derive(Clone)]
pub struct CheckOptions {
    /// Kubernetes minor to validate against.
    pub kube_version: KubeVersion,
    /// Unknown fields and duplicate keys are errors (otherwise unknown fields pass and
    /// duplicate keys are warnings).
    pub strict: bool,
    /// Skip objects whose kind has no schema instead of reporting them.
    pub ignore_missing_schemas: bool,
    /// Kinds to skip (`Kind`, `apiVersion/Kind`).
    pub skip_kinds: Vec<String>,
    /// If not empty, check only these kinds.
    pub only_kinds: Vec<String>,
    /// kubeconform-style schema location templates (`default` = the embedded schemas).
    pub schema_locations: Vec<String>,
    /// How schema locations are fetched, when any are given.
    pub fetcher: Option<Arc<dyn SchemaFetcher>>,
    /// YAML parsing limits.
    pub limits: kvet_yaml::Limits,
    /// Rego policies evaluated on every selected object.
    pub policies: Option<Arc<PolicySet>>,
    /// Rules objects may waive for themselves with the `kvet.dev/waive` annotation (globs).
    pub self_waivable: Vec<String>,
}

impl CheckOptions {
    /// Defaults for a Kubernetes version: strict, all kinds.
    pub fn new(kube_version: KubeVersion) -> Self {
        CheckOptions {
            kube_version,
            strict: true,
            ignore_missing_schemas: false,
            skip_kinds: Vec::new(),
            only_kinds: Vec::new(),
            schema_locations: Vec::new(),
            fetcher: None,
            limits: kvet_yaml::Limits::default(),
            policies: None,
            self_waivable: Vec::new(),
        }
    }
}

/// Counts for `--summary` and for benchmarks.
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct Stats {
    /// Files read.
    pub files: usize,
    /// Objects found.
    pub objects: usize,
    /// Objects validated against a schema.
    pub validated: usize,
    /// Objects skipped (by kind filters or missing schemas with `--ignore-missing-schemas`).
    pub skipped: usize,
    /// Objects per kind.
    pub kinds: BTreeMap<String, usize>,
    /// Findings accepted by exceptions or self-waivers.
    pub waived: usize,
}

/// The result of a check.
#[derive(Debug, Clone, Default)]
pub struct Report {
    /// Every finding, in deterministic order.
    pub findings: Vec<Finding>,
    /// Findings accepted by an exception, with who approved them.
    pub waived: Vec<Waived>,
    /// Counts.
    pub stats: Stats,
}

impl Report {
    /// Applies `exceptions` (see [`Exceptions::apply`]) and updates the counts.
    pub fn apply_exceptions(
        &mut self,
        exceptions: &Exceptions,
        today: Date,
        relative: &dyn Fn(&str) -> Option<String>,
    ) {
        exceptions.apply(&mut self.findings, &mut self.waived, today, relative);
        self.stats.waived = self.waived.len();
    }

    /// Whether any finding is at or above `level`.
    pub fn fails_at(&self, level: Severity) -> bool {
        self.findings.iter().any(|f| f.severity >= level)
    }
}

/// Why a checker could not be built.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    /// The schema catalog refused the options.
    #[error(transparent)]
    Schema(#[from] kvet_schema::SchemaError),
}

/// A configured checker: the schema catalog for one Kubernetes version plus options.
pub struct Checker {
    catalog: SchemaCatalog,
    opts: CheckOptions,
}

#[derive(Default)]
struct FileResult {
    findings: Vec<Finding>,
    waived: Vec<Waived>,
    objects: usize,
    validated: usize,
    skipped: usize,
    kinds: BTreeMap<String, usize>,
}

impl Checker {
    /// Builds the catalog for `opts.kube_version`.
    pub fn new(opts: CheckOptions) -> Result<Self, EngineError> {
        let catalog = SchemaCatalog::new(
            opts.kube_version,
            SchemaOptions {
                strict: opts.strict,
                locations: opts.schema_locations.clone(),
                fetcher: opts.fetcher.clone(),
            },
        )?;
        Ok(Checker { catalog, opts })
    }

    /// Sets (or clears) the policies evaluated on every object.
    pub fn set_policies(&mut self, policies: Option<Arc<PolicySet>>) {
        self.opts.policies = policies;
    }

    /// The schema catalog in use.
    pub fn catalog(&self) -> &SchemaCatalog {
        &self.catalog
    }

    /// Registers the CustomResourceDefinitions found in `files`, so their kinds validate.
    /// Problems with a CRD are findings on it.
    pub fn add_crds(&mut self, files: &[SourceFile]) -> Vec<Finding> {
        let crd_files: Vec<&SourceFile> = files
            .iter()
            .filter(|f| f.text.contains("CustomResourceDefinition"))
            .collect();
        let parsed: Vec<(String, Vec<Object>)> = crd_files
            .par_iter()
            .map(|f| {
                let stream = kvet_yaml::parse_stream(&f.text, &self.opts.limits);
                let mut objects = Vec::new();
                let mut ignored = Vec::new();
                for doc in stream.documents {
                    objects_of(&f.path, doc, &mut objects, &mut ignored);
                }
                objects.retain(|o| o.id.kind == "CustomResourceDefinition");
                (f.path.clone(), objects)
            })
            .collect();
        let mut findings = Vec::new();
        for (path, objects) in parsed {
            for obj in objects {
                if let Err(e) = self.catalog.add_crd(&obj.value) {
                    findings.push(Finding {
                        rule: "crd".to_owned(),
                        severity: Severity::Error,
                        message: format!("cannot use this CustomResourceDefinition: {e}"),
                        location: obj.anchor(&path),
                        object: Some(obj.id.clone()),
                        pointer: None,
                        document: Some(obj.document),
                        rendered: None,
                    });
                }
            }
        }
        findings
    }

    /// A policy evaluator for [`Checker::check_file_with`] (`None` without policies).
    pub fn evaluator(&self) -> Option<Evaluator> {
        self.opts.policies.as_ref().map(|p| p.evaluator())
    }

    /// Checks one file on this thread with a caller-held evaluator, as [`Checker::check_files`]
    /// checks each file; a server answering one object per request keeps its evaluator instead
    /// of copying the compiled policies every time. Combined (whole-input) rules are not run.
    pub fn check_file_with(&self, file: &SourceFile, evaluator: &mut Option<Evaluator>) -> Report {
        one_file_report(self.check_file(file, evaluator))
    }

    /// Checks one object that arrived as JSON already parsed — an admission request's object —
    /// on this thread with a caller-held evaluator, reporting exactly what
    /// [`Checker::check_file_with`] reports for a file at `path` holding
    /// `serde_json::to_string(&value)`, without writing or parsing that text: positions are
    /// those of that text, computed only for findings.
    pub fn check_value_with(
        &self,
        path: &str,
        value: Value,
        evaluator: &mut Option<Evaluator>,
    ) -> Report {
        if kvet_yaml::resolve::changes_when_read(&value) {
            // Rare (an integral float such as `3.0`, which reads as `3`): the text itself.
            let text = serde_json::to_string(&value).unwrap_or_default();
            return self.check_file_with(&SourceFile::new(path, text), evaluator);
        }
        let doc = kvet_yaml::Document {
            index: 0,
            spans: kvet_yaml::SpanMap::compact_json(&value),
            value,
            duplicate_keys: Vec::new(),
        };
        let mut res = FileResult::default();
        let mut objects = Vec::new();
        objects_of(path, doc, &mut objects, &mut res.findings);
        self.check_objects(path, &objects, evaluator, &mut res);
        one_file_report(res)
    }

    /// Checks every file in parallel. CRDs among them should have been added first
    /// (see [`check`], which does both).
    pub fn check_files(&self, files: &[SourceFile]) -> Report {
        let results: Vec<FileResult> = files
            .par_iter()
            .map_init(
                || self.opts.policies.as_ref().map(|p| p.evaluator()),
                |evaluator, f| {
                    // Defence in depth: a bug that panics on one file must not hide the others.
                    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                        self.check_file(f, evaluator)
                    }))
                    .unwrap_or_else(|_| FileResult {
                        findings: vec![Finding {
                            rule: "yaml".to_owned(),
                            severity: Severity::Error,
                            message: "internal error while checking this file; please report it"
                                .to_owned(),
                            location: Location::file_only(&f.path),
                            object: None,
                            pointer: None,
                            document: None,
                            rendered: None,
                        }],
                        waived: Vec::new(),
                        objects: 0,
                        validated: 0,
                        skipped: 0,
                        kinds: BTreeMap::new(),
                    })
                },
            )
            .collect();
        let mut report = Report::default();
        report.stats.files = files.len();
        for r in results {
            report.findings.extend(r.findings);
            report.waived.extend(r.waived);
            report.stats.objects += r.objects;
            report.stats.validated += r.validated;
            report.stats.skipped += r.skipped;
            for (k, n) in r.kinds {
                *report.stats.kinds.entry(k).or_default() += n;
            }
        }
        if let Some(mut ev) = self.opts.policies.as_ref().map(|p| p.evaluator()) {
            if ev.has_combined() {
                report
                    .findings
                    .extend(self.combined_findings(files, &mut ev));
            }
        }
        report.findings.par_sort_by(Finding::order);
        report.stats.waived = report.waived.len();
        report
    }

    /// conftest's `--combine`: the user rules see `[{path, contents}]` for every file, where
    /// `contents` is the file's one document, or the list of its documents. A result's `_loc`
    /// (`/<file>/contents[/<document>]/…`) is mapped back to its file and line.
    fn combined_findings(&self, files: &[SourceFile], ev: &mut Evaluator) -> Vec<Finding> {
        let parsed: Vec<Vec<kvet_yaml::Document>> = files
            .par_iter()
            .map(|f| kvet_yaml::parse_stream(&f.text, &self.opts.limits).documents)
            .collect();
        let input: Vec<Value> = files
            .iter()
            .zip(&parsed)
            .map(|(f, docs)| {
                let contents = match docs.as_slice() {
                    [one] => one.value.clone(),
                    many => Value::Array(many.iter().map(|d| d.value.clone()).collect()),
                };
                serde_json::json!({ "path": f.path, "contents": contents })
            })
            .collect();
        let first = files.first().map_or("<combined>", |f| f.path.as_str());
        let decisions = match ev.evaluate_combined(&Value::Array(input)) {
            Ok(d) => d,
            Err(e) => {
                return vec![Finding {
                    rule: "policy-error".to_owned(),
                    severity: Severity::Error,
                    message: format!(
                        "policy {} failed on the combined input: {}",
                        e.rule, e.message
                    ),
                    location: Location::file_only(first),
                    object: None,
                    pointer: None,
                    document: None,
                    rendered: None,
                }]
            }
        };
        decisions
            .into_iter()
            .map(|d| {
                let mut location = Location::file_only(first);
                let mut pointer = d.pointer.clone();
                let mut document = None;
                if let Some(p) = &d.pointer {
                    let mut parts = p.trim_start_matches('/').splitn(3, '/');
                    let file = parts.next().and_then(|i| i.parse::<usize>().ok());
                    if let (Some(i), Some("contents")) = (file, parts.next()) {
                        let rest = parts.next().unwrap_or("");
                        if let (Some(f), Some(docs)) = (files.get(i), parsed.get(i)) {
                            location = Location::file_only(&f.path);
                            let (doc, inner) = if docs.len() == 1 {
                                (docs.first(), format!("/{rest}"))
                            } else {
                                let (j, inner) = rest.split_once('/').unwrap_or((rest, ""));
                                (
                                    j.parse::<usize>().ok().and_then(|j| docs.get(j)),
                                    format!("/{inner}"),
                                )
                            };
                            if let Some(doc) = doc {
                                let inner = if inner == "/" { String::new() } else { inner };
                                let l = doc.spans.locate(&doc.value, &inner);
                                location = Location::from_span(&f.path, l.value);
                                document = Some(doc.index);
                                pointer = Some(inner);
                            }
                        }
                    }
                }
                Finding {
                    rule: d.rule,
                    severity: match d.level {
                        Level::Deny => Severity::Error,
                        Level::Warn => Severity::Warning,
                    },
                    message: d.message,
                    location,
                    object: None,
                    pointer,
                    document,
                    rendered: None,
                }
            })
            .collect()
    }

    fn check_file(&self, file: &SourceFile, evaluator: &mut Option<Evaluator>) -> FileResult {
        let mut res = FileResult::default();
        let stream = kvet_yaml::parse_stream(&file.text, &self.opts.limits);
        for e in &stream.errors {
            res.findings.push(Finding {
                rule: "yaml".to_owned(),
                severity: Severity::Error,
                message: match e.kind {
                    kvet_yaml::ErrorKind::Syntax => format!("invalid YAML: {}", e.message),
                    _ => e.message.clone(),
                },
                location: Location::from_span(&file.path, e.span),
                object: None,
                pointer: None,
                document: Some(e.document),
                rendered: None,
            });
        }
        let mut objects = Vec::new();
        for doc in stream.documents {
            let dup_severity = if self.opts.strict {
                Severity::Error
            } else {
                Severity::Warning
            };
            for d in &doc.duplicate_keys {
                res.findings.push(Finding {
                    rule: "yaml-duplicate-key".to_owned(),
                    severity: dup_severity,
                    message: format!(
                        "duplicate key \"{}\" (first set on line {}; the last value wins)",
                        d.key, d.first.start.line
                    ),
                    location: Location::from_span(&file.path, d.second),
                    object: None,
                    pointer: Some(d.pointer.clone()),
                    document: Some(doc.index),
                    rendered: None,
                });
            }
            objects_of(&file.path, doc, &mut objects, &mut res.findings);
        }
        self.check_objects(&file.path, &objects, evaluator, &mut res);
        if let Some(origin) = &file.origin {
            let waived = res.waived.iter_mut().map(|w| &mut w.finding);
            for f in res.findings.iter_mut().chain(waived) {
                map_through(origin.as_ref(), &file.path, f);
            }
        }
        res
    }

    /// Validates `objects` of the file at `path`, adding to `res`.
    fn check_objects(
        &self,
        path: &str,
        objects: &[Object],
        evaluator: &mut Option<Evaluator>,
        res: &mut FileResult,
    ) {
        res.objects = objects.len();
        for obj in objects {
            *res.kinds.entry(obj.id.kind.clone()).or_default() += 1;
            if !self.selected(obj) {
                res.skipped += 1;
                continue;
            }
            let first = res.findings.len();
            self.check_object(obj, path, evaluator, res);
            if let Some(w) = obj
                .value
                .pointer("/metadata/annotations")
                .and_then(|a| a.get(WAIVE_ANNOTATION))
                .and_then(Value::as_str)
            {
                let mut mine = res.findings.split_off(first);
                let at = obj.locate(
                    path,
                    &format!(
                        "/metadata/annotations/{}",
                        WAIVE_ANNOTATION.replace('/', "~1")
                    ),
                    false,
                );
                let rules = Exceptions {
                    entries: Vec::new(),
                    self_waivable: self.opts.self_waivable.clone(),
                };
                rules.self_waive(w, at, &mut mine, &mut res.waived, &obj.id, obj.document);
                res.findings.extend(mine);
            }
        }
    }

    fn check_object(
        &self,
        obj: &Object,
        path: &str,
        evaluator: &mut Option<Evaluator>,
        res: &mut FileResult,
    ) {
        let file = path;
        {
            if let Some(ev) = evaluator.as_mut() {
                policy_findings(ev, obj, file, &mut res.findings);
            }
            match self.catalog.lookup(&obj.id.api_version, &obj.id.kind) {
                Lookup::Found(validator) => {
                    res.validated += 1;
                    for v in validator.validate(&obj.value) {
                        res.findings.push(Finding {
                            rule: "schema".to_owned(),
                            severity: Severity::Error,
                            location: obj.locate(file, &v.pointer, v.at_key),
                            message: v.message,
                            object: Some(obj.id.clone()),
                            pointer: Some(v.pointer),
                            document: Some(obj.document),
                            rendered: None,
                        });
                    }
                }
                Lookup::Failed(why) => {
                    res.findings.push(Finding {
                        rule: "no-schema".to_owned(),
                        severity: Severity::Error,
                        message: format!(
                            "cannot load the schema for {} {}: {why}",
                            obj.id.api_version, obj.id.kind
                        ),
                        location: obj.anchor(file),
                        object: Some(obj.id.clone()),
                        pointer: None,
                        document: Some(obj.document),
                        rendered: None,
                    });
                }
                Lookup::Missing => {
                    if self.opts.ignore_missing_schemas {
                        res.skipped += 1;
                        return;
                    }
                    res.findings.push(Finding {
                        rule: "no-schema".to_owned(),
                        severity: Severity::Error,
                        message: self.missing_message(&obj.id.api_version, &obj.id.kind),
                        location: obj.anchor(file),
                        object: Some(obj.id.clone()),
                        pointer: None,
                        document: Some(obj.document),
                        rendered: None,
                    });
                }
            }
        }
    }

    fn missing_message(&self, api_version: &str, kind: &str) -> String {
        let here = self.opts.kube_version;
        let elsewhere = self.catalog.versions_with(api_version, kind);
        let base = format!("no schema for {api_version} {kind} in Kubernetes {here}");
        match (elsewhere.first(), elsewhere.last()) {
            (Some(first), Some(last)) if *last < here => {
                format!("{base}: the API was removed after {last} (served in {first}–{last})")
            }
            (Some(first), Some(_)) if *first > here => {
                format!("{base}: the API was added in {first}")
            }
            (Some(first), Some(last)) => {
                format!("{base} (it is known in {first}–{last})")
            }
            // CRD groups must contain a dot; dotless groups and *.k8s.io are Kubernetes' own.
            _ if is_builtin_group(api_version) => {
                let all = embedded_versions();
                let span = match (all.first(), all.last()) {
                    (Some(a), Some(b)) => format!(" ({a}–{b})"),
                    _ => String::new(),
                };
                format!(
                    "{base}: no embedded Kubernetes version{span} serves this API; it was removed earlier or the apiVersion or kind is misspelled"
                )
            }
            _ => format!(
                "{base}: unknown kind; give its CustomResourceDefinition as an input or with --crd, or use --ignore-missing-schemas"
            ),
        }
    }

    fn selected(&self, obj: &Object) -> bool {
        let matches = |spec: &String| {
            spec == &obj.id.kind
                || *spec == format!("{}/{}", obj.id.api_version, obj.id.kind)
                || spec.eq_ignore_ascii_case(&obj.id.kind)
        };
        if self.opts.skip_kinds.iter().any(matches) {
            return false;
        }
        self.opts.only_kinds.is_empty() || self.opts.only_kinds.iter().any(matches)
    }
}

/// The report on one file, findings in order.
fn one_file_report(r: FileResult) -> Report {
    let mut report = Report::default();
    report.stats.files = 1;
    report.stats.objects = r.objects;
    report.stats.validated = r.validated;
    report.stats.skipped = r.skipped;
    report.stats.kinds = r.kinds;
    report.findings = r.findings;
    report.waived = r.waived;
    report.findings.sort_by(Finding::order);
    report.stats.waived = report.waived.len();
    report
}

fn policy_findings(ev: &mut Evaluator, obj: &Object, file: &str, out: &mut Vec<Finding>) {
    match ev.evaluate(&obj.value) {
        Ok(decisions) => {
            for d in decisions {
                let location = match &d.pointer {
                    Some(p) => obj.locate(file, p, false),
                    None => obj.anchor(file),
                };
                out.push(Finding {
                    rule: d.rule,
                    severity: match d.level {
                        Level::Deny => Severity::Error,
                        Level::Warn => Severity::Warning,
                    },
                    message: d.message,
                    location,
                    object: Some(obj.id.clone()),
                    pointer: d.pointer,
                    document: Some(obj.document),
                    rendered: None,
                });
            }
        }
        Err(e) => out.push(Finding {
            rule: "policy-error".to_owned(),
            severity: Severity::Error,
            message: format!("policy {} failed on this object: {}", e.rule, e.message),
            location: obj.anchor(file),
            object: Some(obj.id.clone()),
            pointer: None,
            document: Some(obj.document),
            rendered: None,
        }),
    }
}

/// Moves a finding on rendered text to the source that produced it, keeping the rendered
/// location beside it.
fn map_through(origin: &dyn crate::input::Origin, path: &str, f: &mut Finding) {
    if f.location.file != path || f.location.line == 0 {
        return;
    }
    if let Some(source) = origin.locate(f.location.offset as usize, f.location.length as usize) {
        f.rendered = Some(std::mem::replace(&mut f.location, source));
    }
}

fn is_builtin_group(api_version: &str) -> bool {
    match api_version.split_once('/') {
        None => true,
        Some((group, _)) => !group.contains('.') || group.ends_with(".k8s.io"),
    }
}

/// Checks `files` with `opts`: registers CRDs found among them, then validates every object.
pub fn check(files: &[SourceFile], opts: CheckOptions) -> Result<Report, EngineError> {
    let mut checker = Checker::new(opts)?;
    let crd_findings = checker.add_crds(files);
    let mut report = checker.check_files(files);
    if !crd_findings.is_empty() {
        report.findings.extend(crd_findings);
        report.findings.sort_by(Finding::order);
    }
    Ok(report)
}
