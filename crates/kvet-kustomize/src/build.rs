//! The build: a kustomization's resources and components accumulated, generators run, then
//! the transformers in kustomize's order; at the top, name hashes and name references.

use crate::config::{self, Config};
use crate::fields::{self, cluster_scoped};
use crate::fs::{self, FileSystem};
use crate::patch::{self, Trace};
use crate::{kustomization_file, Error, Resource, SourceDoc};
use base64::Engine as _;
use serde_json::{Map, Value};
use std::collections::BTreeMap;
use std::sync::Arc;

/// Bounds on what a build may do, since kustomizations can be hostile.
#[derive(Debug, Clone)]
pub struct Limits {
    /// Deepest nesting of kustomizations.
    pub max_depth: usize,
    /// Most objects in the output.
    pub max_resources: usize,
    /// Most files read.
    pub max_files: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_depth: 64,
            max_resources: 100_000,
            max_files: 20_000,
        }
    }
}

/// The result of a build.
#[derive(Debug, Clone)]
pub struct Build {
    /// The kustomization file at the root.
    pub root: String,
    /// Objects in output order.
    pub resources: Vec<Resource>,
    /// What kustomize warns about (deprecated fields, unused vars), located.
    pub warnings: Vec<Error>,
}

impl Build {
    /// The output as `kubectl kustomize` prints it.
    pub fn to_yaml(&self) -> String {
        crate::emit::to_yaml_stream(self.resources.iter().map(|r| &r.value))
    }
}

/// Builds the kustomization in `dir`, offline: remote entries are errors.
pub fn build(fs: &dyn FileSystem, dir: &str, limits: &Limits) -> Result<Build, Error> {
    build_with_remote(fs, dir, limits, None)
}

/// Builds the kustomization in `dir`; `remote` fetches remote resources and components.
pub fn build_with_remote(
    fs: &dyn FileSystem,
    dir: &str,
    limits: &Limits,
    remote: Option<&dyn crate::remote::Remote>,
) -> Result<Build, Error> {
    let dir = fs::normalize(dir);
    let mut b = Builder {
        fs,
        remote,
        limits,
        stack: Vec::new(),
        files: 0,
        vars: BTreeMap::new(),
        config: Config::default(),
        warnings: Vec::new(),
    };
    let root = kustomization_file(fs, &dir).ok_or_else(|| Error {
        file: dir.clone(),
        line: 0,
        column: 0,
        message: format!(
            "unable to find one of 'kustomization.yaml', 'kustomization.yml' or 'Kustomization' in directory '{dir}'"
        ),
    })?;
    let (mut res, top) = b.build_dir(&dir, None, None)?;
    // Hashes go last, over the final content, then references follow the new names.
    for r in &mut res {
        if r.hash {
            let h = crate::hash::name_hash(&r.value);
            let name = format!("{}-{h}", r.name());
            rename(r, &name);
        }
    }
    fix_references(&mut res, &b.config);
    // With every name final, vars are resolved.
    for (_, unused) in crate::vars::resolve(&b.vars, &mut res, &b.config.var_refs)? {
        b.warn(unused);
    }
    let fifo = top
        .value
        .pointer("/sortOptions/order")
        .and_then(Value::as_str)
        == Some("fifo");
    if !fifo {
        sort_legacy(&mut res, &top);
    }
    build_metadata(&mut res, &top)?;
    Ok(Build {
        root,
        resources: res,
        warnings: b.warnings,
    })
}

struct Builder<'a> {
    fs: &'a dyn FileSystem,
    remote: Option<&'a dyn crate::remote::Remote>,
    limits: &'a Limits,
    stack: Vec<String>,
    files: usize,
    /// Every kustomization's `vars`, by name.
    vars: BTreeMap<String, crate::vars::Var>,
    /// The configuration of the kustomization being built (its own and its bases').
    config: Config,
    warnings: Vec<Error>,
}

/// A kustomization file, parsed.
struct Kust {
    doc: Arc<SourceDoc>,
    dir: String,
}

impl Kust {
    fn get(&self, key: &str) -> Option<&Value> {
        self.doc.value.get(key)
    }
    fn err(&self, pointer: &str, message: impl Into<String>) -> Error {
        let (span, _) = self.doc.locate(pointer);
        Error {
            file: self.doc.path.clone(),
            line: span.start.line,
            column: span.start.column,
            message: message.into(),
        }
    }
    fn strings(&self, key: &str) -> Result<Vec<(String, String)>, Error> {
        let mut out = Vec::new();
        match self.get(key) {
            None | Some(Value::Null) => {}
            Some(Value::Array(items)) => {
                for (i, item) in items.iter().enumerate() {
                    let ptr = format!("/{key}/{i}");
                    match item {
                        Value::String(s) => out.push((s.clone(), ptr)),
                        _ => return Err(self.err(&ptr, format!("{key} entries must be strings"))),
                    }
                }
            }
            Some(_) => return Err(self.err(&format!("/{key}"), format!("{key} must be a list"))),
        }
        Ok(out)
    }
}

fn is_remote(entry: &str) -> bool {
    entry.contains("://")
        || entry.starts_with("github.com/")
        || entry.starts_with("gitlab.com/")
        || entry.starts_with("bitbucket.org/")
        || entry.starts_with("git@")
        || entry.starts_with("git::")
}

const KNOWN_FIELDS: &[&str] = &[
    "apiVersion",
    "kind",
    "metadata",
    "resources",
    "bases",
    "components",
    "crds",
    "namespace",
    "namePrefix",
    "nameSuffix",
    "commonLabels",
    "labels",
    "commonAnnotations",
    "images",
    "replicas",
    "patches",
    "patchesStrategicMerge",
    "patchesJson6902",
    "configMapGenerator",
    "secretGenerator",
    "generatorOptions",
    "sortOptions",
    "buildMetadata",
    "openapi",
    "configurations",
    "generators",
    "transformers",
    "validators",
    "replacements",
    "vars",
    "helmCharts",
    "helmGlobals",
    "helmChartInflationGenerator",
    "imageTags",
];

/// Deprecated fields kustomize 5 still builds, with what it suggests instead.
const DEPRECATED: &[(&str, &str, &str)] = &[
    ("bases", "resources", EDIT_FIX),
    ("commonLabels", "labels", EDIT_FIX),
    ("imageTags", "images", EDIT_FIX),
    ("patchesJson6902", "patches", EDIT_FIX),
    ("patchesStrategicMerge", "patches", EDIT_FIX),
    (
        "vars",
        "replacements",
        "[EXPERIMENTAL] Run 'kustomize edit fix' to update your Kustomization automatically.",
    ),
];
const EDIT_FIX: &str = "Run 'kustomize edit fix' to update your Kustomization automatically.";

impl Builder<'_> {
    fn warn(&mut self, w: Error) {
        if !self.warnings.contains(&w) {
            self.warnings.push(w);
        }
    }

    fn read_doc(&mut self, path: &str) -> Result<Arc<str>, String> {
        self.files += 1;
        if self.files > self.limits.max_files {
            return Err(format!("more than {} files read", self.limits.max_files));
        }
        self.fs.read(path).map(Arc::from)
    }

    fn load_kust(&mut self, dir: &str, file: &str) -> Result<Kust, Error> {
        let text = self.read_doc(file).map_err(|m| Error {
            file: file.to_owned(),
            line: 0,
            column: 0,
            message: m,
        })?;
        let doc = match kvet_yaml::parse_one(&text, &kvet_yaml::Limits::default()) {
            Ok(Some(d)) => d,
            Ok(None) => {
                return Ok(Kust {
                    doc: Arc::new(empty_doc(file, text)?),
                    dir: dir.to_owned(),
                })
            }
            Err(e) => {
                return Err(Error {
                    file: file.to_owned(),
                    line: e.span.start.line,
                    column: e.span.start.column,
                    message: e.message,
                })
            }
        };
        let k = Kust {
            doc: Arc::new(SourceDoc {
                path: file.to_owned(),
                text,
                value: doc.value,
                spans: doc.spans,
                line_offset: 0,
            }),
            dir: dir.to_owned(),
        };
        let Some(map) = k.doc.value.as_object() else {
            return Err(k.err("", "a kustomization must be a mapping"));
        };
        for key in map.keys() {
            if !KNOWN_FIELDS.contains(&key.as_str()) {
                return Err(k.err(
                    &format!("/{}", kvet_yaml::escape_token(key)),
                    format!("invalid Kustomization: json: unknown field \"{key}\""),
                ));
            }
        }
        for key in [
            "generators",
            "transformers",
            "validators",
            "openapi",
            "helmChartInflationGenerator",
        ] {
            if map
                .get(key)
                .is_some_and(|v| !v.is_null() && v.as_array().is_none_or(|a| !a.is_empty()))
            {
                return Err(k.err(
                    &format!("/{key}"),
                    format!("{key} (plugins and custom configurations) are not supported by kvet's native kustomize build"),
                ));
            }
        }
        for (key, instead, fix) in DEPRECATED {
            if map.get(*key).is_some_and(|v| !v.is_null()) {
                let w = k.err(
                    &format!("/{key}"),
                    format!("'{key}' is deprecated. Please use '{instead}' instead. {fix}"),
                );
                self.warn(w);
            }
        }
        Ok(k)
    }

    /// Builds `dir`; `input` is the parent's accumulated resources when `dir` is a component.
    fn build_dir(
        &mut self,
        dir: &str,
        input: Option<Vec<Resource>>,
        from: Option<(&Kust, &str)>,
    ) -> Result<(Vec<Resource>, Arc<SourceDoc>), Error> {
        let at = |msg: String| match from {
            Some((k, p)) => k.err(p, msg),
            None => Error {
                file: dir.to_owned(),
                line: 0,
                column: 0,
                message: msg,
            },
        };
        if self.stack.iter().any(|d| d == dir) {
            let mut chain = self.stack.clone();
            chain.push(dir.to_owned());
            return Err(at(format!("cycle detected: {}", chain.join(" -> "))));
        }
        if self.stack.len() >= self.limits.max_depth {
            return Err(at(format!(
                "kustomizations nested more than {} deep",
                self.limits.max_depth
            )));
        }
        let file = kustomization_file(self.fs, dir).ok_or_else(|| {
            at(format!(
                "unable to find one of 'kustomization.yaml', 'kustomization.yml' or 'Kustomization' in directory '{dir}'"
            ))
        })?;
        let k = self.load_kust(dir, &file)?;
        let kind = k
            .get("kind")
            .and_then(Value::as_str)
            .unwrap_or("Kustomization");
        match (kind, input.is_some()) {
            ("Component", false) if from.is_some() => {
                return Err(at(format!(
                    "expected kind 'Kustomization' for path '{dir}' but got 'Component'"
                )))
            }
            ("Kustomization", true) => {
                return Err(at(format!(
                    "expected kind 'Component' for path '{dir}' but got 'Kustomization'"
                )))
            }
            ("Kustomization" | "Component", _) => {}
            (other, _) => {
                return Err(k.err("/kind", format!("unknown kustomization kind {other:?}")))
            }
        }
        self.stack.push(dir.to_owned());
        let result = self.build_kust(&k, input);
        self.stack.pop();
        result.map(|r| (r, k.doc.clone()))
    }

    fn build_kust(
        &mut self,
        k: &Kust,
        input: Option<Vec<Resource>>,
    ) -> Result<Vec<Resource>, Error> {
        let mut res = input.unwrap_or_default();
        let mut entries = k.strings("resources")?;
        entries.extend(k.strings("bases")?);
        for (entry, ptr) in entries {
            let path = fs::join(&k.dir, &entry);
            let loaded = if is_remote(&entry) {
                let mine = std::mem::take(&mut self.config);
                let built = self.load_remote(k, &ptr, &entry, None);
                let base = std::mem::replace(&mut self.config, mine);
                self.config.merge(base);
                built?
            } else if self.fs.is_dir(&path) {
                // A base builds with its own configuration, which then joins this one.
                let mine = std::mem::take(&mut self.config);
                let built = self.build_dir(&path, None, Some((k, &ptr)));
                let base = std::mem::replace(&mut self.config, mine);
                self.config.merge(base);
                built?.0
            } else if self.fs.is_file(&path) {
                restrict(k, &ptr, &path)?;
                self.load_resources(&path).map_err(|m| k.err(&ptr, m))?
            } else {
                return Err(k.err(
                    &ptr,
                    format!("accumulating resources: '{path}': no such file or directory"),
                ));
            };
            for r in loaded {
                add_unique(&mut res, r).map_err(|m| k.err(&ptr, m))?;
            }
            if res.len() > self.limits.max_resources {
                return Err(k.err(
                    &ptr,
                    format!("more than {} resources", self.limits.max_resources),
                ));
            }
        }
        for (entry, ptr) in k.strings("configurations")? {
            let path = fs::join(&k.dir, &entry);
            restrict(k, &ptr, &path)?;
            let doc = self.read_source(&path).map_err(|m| k.err(&ptr, m))?;
            let c = config::parse_file(&doc)?;
            self.config.merge(c);
        }
        for (entry, ptr) in k.strings("crds")? {
            let path = fs::join(&k.dir, &entry);
            if !self.fs.is_file(&path) {
                return Err(k.err(&ptr, format!("crds: '{path}': no such file or directory")));
            }
        }
        for (entry, ptr) in k.strings("components")? {
            if is_remote(&entry) {
                res = self.load_remote(k, &ptr, &entry, Some(std::mem::take(&mut res)))?;
                continue;
            }
            let path = fs::join(&k.dir, &entry);
            if !self.fs.is_dir(&path) {
                return Err(k.err(&ptr, format!("component '{path}': no such directory")));
            }
            res = self
                .build_dir(&path, Some(std::mem::take(&mut res)), Some((k, &ptr)))?
                .0;
        }
        self.generate(k, &mut res)?;
        self.inflate_charts(k, &mut res)?;
        self.transform(k, &mut res)?;
        let declared = crate::vars::parse(&k.doc)?;
        crate::vars::merge(declared, &mut res, &mut self.vars)?;
        Ok(res)
    }

    fn inflate_charts(&mut self, k: &Kust, res: &mut Vec<Resource>) -> Result<(), Error> {
        let home = k
            .get("helmGlobals")
            .and_then(|g| g.get("chartHome"))
            .and_then(Value::as_str);
        for (i, entry) in k
            .get("helmCharts")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .enumerate()
        {
            let ptr = format!("/helmCharts/{i}");
            let texts = crate::helm::inflate(self.fs, &k.dir, home, entry)
                .map_err(|m| k.err(&ptr, format!("helm chart: {m}")))?;
            for text in texts {
                let stream = kvet_yaml::parse_stream(&text, &kvet_yaml::Limits::default());
                if let Some(e) = stream.errors.first() {
                    return Err(k.err(&ptr, format!("helm chart output: {}", e.message)));
                }
                for d in stream.documents {
                    if !d.value.is_object() {
                        continue;
                    }
                    let mut r = new_resource(d.value, None, String::new());
                    r.generated_by = Some((k.doc.clone(), ptr.clone()));
                    add_unique(res, r).map_err(|m| k.err(&ptr, m))?;
                }
            }
        }
        Ok(())
    }

    /// Reads a one-document YAML file (a transformer configuration).
    fn read_source(&mut self, path: &str) -> Result<Arc<SourceDoc>, String> {
        let text = self.read_doc(path)?;
        match kvet_yaml::parse_one(&text, &kvet_yaml::Limits::default()) {
            Ok(Some(d)) => Ok(Arc::new(SourceDoc {
                path: path.to_owned(),
                text,
                value: d.value,
                spans: d.spans,
                line_offset: 0,
            })),
            Ok(None) => empty_doc(path, text).map(Arc::new).map_err(|e| e.message),
            Err(e) => Err(format!(
                "{path}:{}:{}: {}",
                e.span.start.line, e.span.start.column, e.message
            )),
        }
    }

    fn load_resources(&mut self, path: &str) -> Result<Vec<Resource>, String> {
        let text = self.read_doc(path)?;
        parse_resources(path, text)
    }

    /// A remote entry (`--allow-remote`): a URL answering with resources is a file, anything
    /// else a git repository whose directory is built.
    fn load_remote(
        &mut self,
        k: &Kust,
        ptr: &str,
        entry: &str,
        input: Option<Vec<Resource>>,
    ) -> Result<Vec<Resource>, Error> {
        let Some(remote) = self.remote else {
            return Err(k.err(ptr, format!(
                "remote {} {entry:?} is not fetched: kvet builds kustomizations offline; vendor it into the repository, or pass --allow-remote",
                if input.is_some() { "component" } else { "resource" }
            )));
        };
        let lower = entry.to_ascii_lowercase();
        if input.is_none() && (lower.starts_with("https://") || lower.starts_with("http://")) {
            match remote.get(entry) {
                Ok(Some(text)) => {
                    self.files += 1;
                    if let Ok(r) = parse_resources(entry, Arc::from(text)) {
                        return Ok(r);
                    }
                }
                Ok(None) => {}
                Err(e) => return Err(k.err(ptr, e)),
            }
        }
        let spec = crate::remote::parse_repo(entry).map_err(|e| k.err(ptr, e))?;
        let root = remote
            .clone_repo(&spec)
            .map_err(|e| k.err(ptr, format!("{entry}: {e}")))?;
        let dir = if spec.path.is_empty() {
            root
        } else {
            fs::join(&root, &spec.path)
        };
        Ok(self.build_dir(&dir, input, Some((k, ptr)))?.0)
    }
}

/// The objects of a resource file's text (`List`s unpacked).
fn parse_resources(path: &str, text: Arc<str>) -> Result<Vec<Resource>, String> {
    let stream = kvet_yaml::parse_stream(&text, &kvet_yaml::Limits::default());
    if let Some(e) = stream.errors.first() {
        return Err(format!(
            "{path}:{}:{}: {}",
            e.span.start.line, e.span.start.column, e.message
        ));
    }
    let mut out = Vec::new();
    for d in stream.documents {
        if d.value.is_null() {
            continue;
        }
        let doc = Arc::new(SourceDoc {
            path: path.to_owned(),
            text: text.clone(),
            value: d.value,
            spans: d.spans,
            line_offset: 0,
        });
        let v = &doc.value;
        if !v.is_object() {
            return Err(format!("{path}: document {} is not a mapping", d.index + 1));
        }
        let kind = v.get("kind").and_then(Value::as_str).unwrap_or("");
        if kind.ends_with("List") && v.get("items").is_some_and(Value::is_array) {
            for (i, item) in v["items"].as_array().into_iter().flatten().enumerate() {
                out.push(new_resource(
                    item.clone(),
                    Some(doc.clone()),
                    format!("/items/{i}"),
                ));
            }
            continue;
        }
        if kind.is_empty() {
            return Err(format!(
                "{path}: missing kind in object (document {})",
                d.index + 1
            ));
        }
        if v.pointer("/metadata/name")
            .and_then(Value::as_str)
            .unwrap_or("")
            .is_empty()
            && v.pointer("/metadata/generateName").is_none()
        {
            return Err(format!(
                "{path}: missing metadata.name in object {kind} (document {})",
                d.index + 1
            ));
        }
        out.push(new_resource(
            doc.value.clone(),
            Some(doc.clone()),
            String::new(),
        ));
    }
    Ok(out)
}

impl Builder<'_> {
    fn patch_docs(
        &mut self,
        k: &Kust,
        ptr: &str,
        entry: &Value,
    ) -> Result<Vec<Arc<SourceDoc>>, Error> {
        let (text, file, offset) = if let Some(p) = entry.get("path").and_then(Value::as_str) {
            let path = fs::join(&k.dir, p);
            restrict(k, &format!("{ptr}/path"), &path)?;
            let text = self
                .read_doc(&path)
                .map_err(|m| k.err(&format!("{ptr}/path"), format!("patch '{path}': {m}")))?;
            (text, path, 0)
        } else if let Some(p) = entry.get("patch").and_then(Value::as_str) {
            let (span, _) = k.doc.locate(&format!("{ptr}/patch"));
            // A block scalar's text starts on the line after its key; a quoted one on it.
            let key_line = k.doc.text[span.start.offset as usize..]
                .lines()
                .next()
                .unwrap_or("");
            let after = key_line.split_once(':').map_or("", |(_, r)| r.trim_start());
            let block = after.starts_with('|') || after.starts_with('>');
            let off = if block {
                span.start.line
            } else {
                span.start.line.saturating_sub(1)
            };
            (Arc::from(p), k.doc.path.clone(), off)
        } else {
            return Err(k.err(ptr, "patch entry needs a path or a patch"));
        };
        self.parse_patch(k, ptr, text, &file, offset)
    }

    fn parse_patch(
        &mut self,
        k: &Kust,
        ptr: &str,
        text: Arc<str>,
        file: &str,
        offset: u32,
    ) -> Result<Vec<Arc<SourceDoc>>, Error> {
        let stream = kvet_yaml::parse_stream(&text, &kvet_yaml::Limits::default());
        if let Some(e) = stream.errors.first() {
            return Err(Error {
                file: file.to_owned(),
                line: e.span.start.line + offset,
                column: e.span.start.column,
                message: format!("invalid patch: {}", e.message),
            });
        }
        let docs: Vec<Arc<SourceDoc>> = stream
            .documents
            .into_iter()
            .filter(|d| !d.value.is_null())
            .map(|d| {
                Arc::new(SourceDoc {
                    path: file.to_owned(),
                    text: text.clone(),
                    value: d.value,
                    spans: d.spans,
                    line_offset: offset,
                })
            })
            .collect();
        if docs.is_empty() {
            return Err(k.err(ptr, "patch is empty"));
        }
        Ok(docs)
    }

    fn generate(&mut self, k: &Kust, res: &mut Vec<Resource>) -> Result<(), Error> {
        let global = k.get("generatorOptions").cloned().unwrap_or(Value::Null);
        for (key, kind) in [
            ("configMapGenerator", "ConfigMap"),
            ("secretGenerator", "Secret"),
        ] {
            let Some(list) = k.get(key) else { continue };
            let Some(items) = list.as_array() else {
                if list.is_null() {
                    continue;
                }
                return Err(k.err(&format!("/{key}"), format!("{key} must be a list")));
            };
            for (i, g) in items.iter().enumerate() {
                let ptr = format!("/{key}/{i}");
                let (value, hash) = self.generate_one(k, &ptr, g, kind, &global)?;
                let behavior = g
                    .get("behavior")
                    .and_then(Value::as_str)
                    .unwrap_or("create");
                let mut r = new_resource(value, None, String::new());
                r.generated_by = Some((k.doc.clone(), ptr.clone()));
                r.hash = hash;
                match behavior {
                    "create" => add_unique(res, r).map_err(|m| k.err(&ptr, m))?,
                    "merge" | "replace" => {
                        let ns = r.namespace().to_owned();
                        let pos = res
                            .iter()
                            .position(|e| {
                                e.kind() == kind
                                    && e.known_as(r.name())
                                    && (ns.is_empty() || e.namespace() == ns)
                            })
                            .ok_or_else(|| {
                                k.err(
                                    &ptr,
                                    format!(
                                        "id {kind} {:?} does not exist; cannot merge or replace",
                                        r.name()
                                    ),
                                )
                            })?;
                        let existing = &mut res[pos];
                        for field in ["data", "binaryData", "stringData"] {
                            if behavior == "replace" {
                                if let Some(m) = existing.value.as_object_mut() {
                                    m.shift_remove(field);
                                }
                            }
                            if let Some(Value::Object(new)) = r.value.get(field) {
                                let slot = existing.value.as_object_mut().map(|m| {
                                    m.entry(field.to_owned())
                                        .or_insert_with(|| Value::Object(Map::new()))
                                });
                                if let Some(Value::Object(old)) = slot {
                                    for (kk, vv) in new {
                                        old.insert(kk.clone(), vv.clone());
                                    }
                                }
                            }
                        }
                        for field in ["labels", "annotations"] {
                            if let Some(Value::Object(new)) =
                                r.value.pointer(&format!("/metadata/{field}"))
                            {
                                let entries: Vec<(String, String)> = new
                                    .iter()
                                    .map(|(a, b)| (a.clone(), b.as_str().unwrap_or("").to_owned()))
                                    .collect();
                                fields::add_entries(
                                    &mut existing.value,
                                    &["metadata", field],
                                    true,
                                    &entries,
                                );
                            }
                        }
                        existing.hash = existing.hash && hash;
                        existing.generated_by = r.generated_by.take();
                    }
                    other => {
                        return Err(k.err(
                            &format!("{ptr}/behavior"),
                            format!("unknown generator behavior {other:?}"),
                        ))
                    }
                }
            }
        }
        Ok(())
    }

    fn generate_one(
        &mut self,
        k: &Kust,
        ptr: &str,
        g: &Value,
        kind: &str,
        global: &Value,
    ) -> Result<(Value, bool), Error> {
        let name = g.get("name").and_then(Value::as_str).unwrap_or("");
        if name.is_empty() {
            return Err(k.err(ptr, format!("a {kind} generator needs a name")));
        }
        let mut pairs: Vec<(String, String)> = Vec::new();
        let push = |pairs: &mut Vec<(String, String)>,
                    key: String,
                    val: String,
                    at: &str|
         -> Result<(), Error> {
            if key.is_empty()
                || !key
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "-._".contains(c))
            {
                return Err(k.err(at, format!("{key:?} is not a valid key name for a {kind}")));
            }
            if pairs.iter().any(|(kk, _)| *kk == key) {
                return Err(k.err(
                    at,
                    format!("cannot add key {key}, another key by that name already exists"),
                ));
            }
            pairs.push((key, val));
            Ok(())
        };
        let list = |field: &str| -> Vec<(usize, String)> {
            g.get(field)
                .and_then(Value::as_array)
                .map(|a| {
                    a.iter()
                        .enumerate()
                        .filter_map(|(i, v)| v.as_str().map(|s| (i, s.to_owned())))
                        .collect()
                })
                .unwrap_or_default()
        };
        let mut envs = list("envs");
        if let Some(e) = g.get("env").and_then(Value::as_str) {
            envs.push((usize::MAX, e.to_owned()));
        }
        for (i, e) in envs {
            let at = if i == usize::MAX {
                format!("{ptr}/env")
            } else {
                format!("{ptr}/envs/{i}")
            };
            let path = fs::join(&k.dir, &e);
            restrict(k, &at, &path)?;
            let text = self
                .read_doc(&path)
                .map_err(|m| k.err(&at, format!("env file '{path}': {m}")))?;
            for (n, line) in text.lines().enumerate() {
                let line = line.trim_start_matches('\u{feff}');
                let trimmed = line.trim_start();
                if trimmed.is_empty() || trimmed.starts_with('#') {
                    continue;
                }
                let Some((key, val)) = trimmed.split_once('=') else {
                    return Err(k.err(&at, format!(
                        "{path}:{}: {trimmed:?} has no '=' (reading values from the environment is not supported)",
                        n + 1
                    )));
                };
                push(&mut pairs, key.trim_end().to_owned(), val.to_owned(), &at)?;
            }
        }
        for (i, lit) in list("literals") {
            let at = format!("{ptr}/literals/{i}");
            let Some((key, val)) = lit.split_once('=') else {
                return Err(k.err(&at, format!("literal {lit:?} must be key=value")));
            };
            push(&mut pairs, key.to_owned(), unquote(val).to_owned(), &at)?;
        }
        for (i, f) in list("files") {
            let at = format!("{ptr}/files/{i}");
            let (key, rel) = match f.split_once('=') {
                Some((kk, p)) => (kk.to_owned(), p.to_owned()),
                None => (fs::base_name(&f).to_owned(), f.clone()),
            };
            let path = fs::join(&k.dir, &rel);
            restrict(k, &at, &path)?;
            if self.fs.is_dir(&path) {
                return Err(k.err(&at, format!("file sources: '{path}' is a directory")));
            }
            let text = self
                .read_doc(&path)
                .map_err(|m| k.err(&at, format!("file '{path}': {m}")))?;
            push(&mut pairs, key, text.to_string(), &at)?;
        }
        let local = g.get("options").cloned().unwrap_or(Value::Null);
        let mut meta = Map::new();
        meta.insert("name".into(), name.into());
        if let Some(ns) = g.get("namespace").and_then(Value::as_str) {
            meta.insert("namespace".into(), ns.into());
        }
        for field in ["labels", "annotations"] {
            let mut m = Map::new();
            for src in [global.get(field), local.get(field)].into_iter().flatten() {
                if let Value::Object(o) = src {
                    for (a, b) in o {
                        m.insert(a.clone(), b.clone());
                    }
                }
            }
            if !m.is_empty() {
                meta.insert(field.into(), Value::Object(m));
            }
        }
        let flag = |f: &str| {
            global.get(f).and_then(Value::as_bool).unwrap_or(false)
                || local.get(f).and_then(Value::as_bool).unwrap_or(false)
        };
        let mut obj = Map::new();
        obj.insert("apiVersion".into(), "v1".into());
        obj.insert("kind".into(), kind.into());
        obj.insert("metadata".into(), Value::Object(meta));
        let mut data = Map::new();
        pairs.sort_by(|a, b| a.0.cmp(&b.0));
        for (key, val) in pairs {
            let v = if kind == "Secret" {
                base64::engine::general_purpose::STANDARD.encode(val.as_bytes())
            } else {
                val
            };
            data.insert(key, Value::String(v));
        }
        if !data.is_empty() {
            obj.insert("data".into(), Value::Object(data));
        }
        if kind == "Secret" {
            let t = g.get("type").and_then(Value::as_str).unwrap_or("Opaque");
            obj.insert("type".into(), t.into());
        }
        if flag("immutable") {
            obj.insert("immutable".into(), true.into());
        }
        Ok((Value::Object(obj), !flag("disableNameSuffixHash")))
    }

    fn transform(&mut self, k: &Kust, res: &mut Vec<Resource>) -> Result<(), Error> {
        // patchesStrategicMerge
        for (i, item) in k
            .get("patchesStrategicMerge")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .enumerate()
        {
            let ptr = format!("/patchesStrategicMerge/{i}");
            let Some(s) = item.as_str() else {
                return Err(k.err(&ptr, "patchesStrategicMerge entries must be strings"));
            };
            let path = fs::join(&k.dir, s);
            let docs = if !s.contains('\n') && self.fs.is_file(&path) {
                restrict(k, &ptr, &path)?;
                let text = self.read_doc(&path).map_err(|m| k.err(&ptr, m))?;
                self.parse_patch(k, &ptr, text, &path, 0)?
            } else if s.contains('\n') || s.contains(": ") {
                let (span, _) = k.doc.locate(&ptr);
                self.parse_patch(k, &ptr, Arc::from(s), &k.doc.path.clone(), span.start.line)?
            } else {
                return Err(k.err(&ptr, format!("patch '{path}': no such file or directory")));
            };
            for d in docs {
                apply_smp_by_id(k, &ptr, res, &d)?;
            }
        }
        // patches
        for (i, entry) in k
            .get("patches")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .enumerate()
        {
            let ptr = format!("/patches/{i}");
            let docs = self.patch_docs(k, &ptr, entry)?;
            let target = entry.get("target");
            let opts = entry.get("options");
            let allow = |f: &str| {
                opts.and_then(|o| o.get(f))
                    .and_then(Value::as_bool)
                    .unwrap_or(false)
            };
            if let [d] = docs.as_slice() {
                if d.value.is_array() {
                    let t = target.ok_or_else(|| k.err(&ptr, "a JSON patch needs a target"))?;
                    let sel = Selector::parse(k, &format!("{ptr}/target"), t)?;
                    for r in res.iter_mut().filter(|r| sel.matches(r)) {
                        apply_json(k, &ptr, r, d)?;
                    }
                    continue;
                }
            }
            for d in &docs {
                match target {
                    Some(t) => {
                        let sel = Selector::parse(k, &format!("{ptr}/target"), t)?;
                        let mut stripped = d.value.clone();
                        if let Some(m) = stripped.as_object_mut() {
                            if !allow("allowKindChange") {
                                m.shift_remove("kind");
                                m.shift_remove("apiVersion");
                            }
                            if !allow("allowNameChange") {
                                if let Some(Value::Object(md)) = m.get_mut("metadata") {
                                    md.shift_remove("name");
                                    md.shift_remove("namespace");
                                }
                            }
                        }
                        let mut deleted = Vec::new();
                        for (ri, r) in res.iter_mut().enumerate() {
                            if sel.matches(r) && !apply_smp(k, &ptr, r, d, &stripped)? {
                                deleted.push(ri);
                            }
                        }
                        for ri in deleted.into_iter().rev() {
                            res.remove(ri);
                        }
                    }
                    None => apply_smp_by_id(k, &ptr, res, d)?,
                }
            }
        }
        // namespace
        if let Some(ns) = k
            .get("namespace")
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
        {
            for r in res.iter_mut() {
                set_namespace(r, ns);
            }
        }
        // prefix and suffix
        let prefix = k.get("namePrefix").and_then(Value::as_str).unwrap_or("");
        let suffix = k.get("nameSuffix").and_then(Value::as_str).unwrap_or("");
        if !prefix.is_empty() || !suffix.is_empty() {
            for r in res.iter_mut() {
                if matches!(
                    r.kind(),
                    "CustomResourceDefinition" | "APIService" | "Namespace"
                ) {
                    continue;
                }
                let name = format!("{prefix}{}{suffix}", r.name());
                rename(r, &name);
            }
            check_unique(k, "/namePrefix", res)?;
        }
        // labels
        if let Some(v) = k.get("commonLabels") {
            let entries = string_map(k, "/commonLabels", v)?;
            for r in res.iter_mut() {
                fields::add_entries(&mut r.value, &["metadata", "labels"], true, &entries);
                fields::apply_specs(&mut r.value, fields::SELECTOR_LABELS, &entries);
                fields::apply_specs(&mut r.value, fields::TEMPLATE_LABELS, &entries);
                apply_custom(r, &self.config.common_labels, &entries);
            }
        }
        for (i, l) in k
            .get("labels")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .enumerate()
        {
            let ptr = format!("/labels/{i}");
            let entries = string_map(
                k,
                &format!("{ptr}/pairs"),
                l.get("pairs").unwrap_or(&Value::Null),
            )?;
            let sel = l
                .get("includeSelectors")
                .and_then(Value::as_bool)
                .unwrap_or(false);
            let tpl = l
                .get("includeTemplates")
                .and_then(Value::as_bool)
                .unwrap_or(false);
            let custom = config::parse_specs(&k.doc, &format!("{ptr}/fields"), l.get("fields"))?;
            for r in res.iter_mut() {
                // Custom field specs first, then the defaults, as kustomize merges them.
                for f in &custom {
                    if f.selects(r) {
                        let path = f.segments();
                        // A generated object carries kustomize's internal annotations while
                        // transformers run, so its annotations exist even when empty.
                        let held = r.generated_by.is_some()
                            && path.starts_with(&["metadata", "annotations"])
                            && r.value.pointer("/metadata/annotations").is_none();
                        if held {
                            fields::add_entries(
                                &mut r.value,
                                &["metadata", "annotations"],
                                true,
                                &[],
                            );
                        }
                        fields::add_entries(&mut r.value, &path, f.create, &entries);
                        if held
                            && r.value
                                .pointer("/metadata/annotations")
                                .and_then(Value::as_object)
                                .is_some_and(Map::is_empty)
                        {
                            if let Some(Value::Object(md)) = r.value.get_mut("metadata") {
                                md.remove("annotations");
                            }
                        }
                    }
                }
                apply_custom(r, &self.config.labels, &entries);
                fields::add_entries(&mut r.value, &["metadata", "labels"], true, &entries);
                if sel {
                    fields::apply_specs(&mut r.value, fields::SELECTOR_LABELS, &entries);
                    apply_custom(r, &self.config.common_labels, &entries);
                }
                if sel || tpl {
                    fields::apply_specs(&mut r.value, fields::TEMPLATE_LABELS, &entries);
                }
                if tpl && !sel {
                    apply_custom(r, &self.config.template_labels, &entries);
                }
            }
        }
        if let Some(v) = k.get("commonAnnotations") {
            let entries = string_map(k, "/commonAnnotations", v)?;
            for r in res.iter_mut() {
                fields::add_entries(&mut r.value, &["metadata", "annotations"], true, &entries);
                fields::apply_specs(&mut r.value, fields::TEMPLATE_ANNOTATIONS, &entries);
                apply_custom(r, &self.config.common_annotations, &entries);
            }
        }
        // patchesJson6902
        for (i, entry) in k
            .get("patchesJson6902")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .enumerate()
        {
            let ptr = format!("/patchesJson6902/{i}");
            let docs = self.patch_docs(k, &ptr, entry)?;
            let t = entry
                .get("target")
                .ok_or_else(|| k.err(&ptr, "a JSON patch needs a target"))?;
            let sel = Selector::parse(k, &format!("{ptr}/target"), t)?;
            let matched: Vec<usize> = (0..res.len()).filter(|&ri| sel.matches(&res[ri])).collect();
            if matched.is_empty() {
                return Err(k.err(
                    &format!("{ptr}/target"),
                    "no resource matches the target of this JSON patch",
                ));
            }
            for ri in matched {
                apply_json(k, &ptr, &mut res[ri], &docs[0])?;
            }
        }
        // replicas
        for (i, rep) in k
            .get("replicas")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .enumerate()
        {
            let ptr = format!("/replicas/{i}");
            let name = rep.get("name").and_then(Value::as_str).unwrap_or("");
            let count = rep
                .get("count")
                .cloned()
                .filter(Value::is_number)
                .ok_or_else(|| k.err(&ptr, "replicas entries need a numeric count"))?;
            for r in res.iter_mut() {
                if r.known_as(name)
                    && matches!(
                        r.kind(),
                        "Deployment" | "ReplicaSet" | "StatefulSet" | "ReplicationController"
                    )
                {
                    if let Some(Value::Object(spec)) = r
                        .value
                        .as_object_mut()
                        .map(|m| m.entry("spec").or_insert_with(|| Value::Object(Map::new())))
                    {
                        spec.insert("replicas".into(), count.clone());
                    }
                }
                if r.known_as(name) {
                    for spec in &self.config.replicas {
                        if spec.selects(r) {
                            fields::set_scalar(&mut r.value, &spec.segments(), spec.create, &count);
                        }
                    }
                }
            }
        }
        // images
        let mut images: Vec<Value> = k
            .get("images")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        images.extend(
            k.get("imageTags")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default(),
        );
        for img in &images {
            let name = img.get("name").and_then(Value::as_str).unwrap_or("");
            if name.is_empty() {
                continue;
            }
            for r in res.iter_mut() {
                update_images(&mut r.value, name, img, false);
                if r.kind() == "CustomResourceDefinition" {
                    continue;
                }
                for spec in &self.config.images {
                    if spec.selects(r) {
                        fields::visit_strings(&mut r.value, &spec.raw_segments(), &mut |s| {
                            retag(s, name, img)
                        });
                    }
                }
            }
        }
        // replacements
        for (i, entry) in k
            .get("replacements")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .enumerate()
        {
            let ptr = format!("/replacements/{i}");
            let list: Vec<Value> = match entry.get("path").and_then(Value::as_str) {
                Some(p) => {
                    let path = fs::join(&k.dir, p);
                    restrict(k, &format!("{ptr}/path"), &path)?;
                    let text = self
                        .read_doc(&path)
                        .map_err(|m| k.err(&ptr, format!("replacements file '{path}': {m}")))?;
                    let stream = kvet_yaml::parse_stream(&text, &kvet_yaml::Limits::default());
                    if let Some(e) = stream.errors.first() {
                        return Err(
                            k.err(&ptr, format!("{path}:{}: {}", e.span.start.line, e.message))
                        );
                    }
                    stream
                        .documents
                        .into_iter()
                        .flat_map(|d| match d.value {
                            Value::Array(a) => a,
                            Value::Null => Vec::new(),
                            other => vec![other],
                        })
                        .collect()
                }
                None => vec![entry.clone()],
            };
            for r in &list {
                apply_replacement(k, &ptr, r, res)?;
            }
        }
        Ok(())
    }
}

/// kustomize's load restrictor: files a kustomization reads must sit in or below its
/// directory (other kustomizations may be anywhere).
fn restrict(k: &Kust, ptr: &str, path: &str) -> Result<(), Error> {
    let inside = k.dir == "." && !path.starts_with("../") && !path.starts_with('/') && path != ".."
        || path.starts_with(&format!("{}/", k.dir.trim_end_matches('/')));
    if inside {
        Ok(())
    } else {
        Err(k.err(
            ptr,
            format!("security; file '{path}' is not in or below '{}'", k.dir),
        ))
    }
}

fn empty_doc(file: &str, text: Arc<str>) -> Result<SourceDoc, Error> {
    // An empty kustomization is an empty mapping.
    match kvet_yaml::parse_one("{}", &kvet_yaml::Limits::default()) {
        Ok(Some(d)) => Ok(SourceDoc {
            path: file.to_owned(),
            text,
            value: d.value,
            spans: d.spans,
            line_offset: 0,
        }),
        _ => Err(Error {
            file: file.to_owned(),
            line: 0,
            column: 0,
            message: "empty kustomization".to_owned(),
        }),
    }
}

fn unquote(s: &str) -> &str {
    if s.len() >= 2
        && ((s.starts_with('"') && s.ends_with('"')) || (s.starts_with('\'') && s.ends_with('\'')))
    {
        &s[1..s.len() - 1]
    } else {
        s
    }
}

fn string_map(k: &Kust, ptr: &str, v: &Value) -> Result<Vec<(String, String)>, Error> {
    match v {
        Value::Null => Ok(Vec::new()),
        Value::Object(m) => Ok(m
            .iter()
            .map(|(a, b)| {
                let s = match b {
                    Value::String(s) => s.clone(),
                    Value::Null => String::new(),
                    other => other.to_string(),
                };
                (a.clone(), s)
            })
            .collect()),
        _ => Err(k.err(ptr, "expected a mapping of strings")),
    }
}

fn new_resource(value: Value, source: Option<Arc<SourceDoc>>, pointer: String) -> Resource {
    Resource {
        value,
        source,
        source_pointer: pointer,
        generated_by: None,
        patched: Vec::new(),
        history: Vec::new(),
        hash: false,
        vars: Vec::new(),
    }
}

impl Resource {
    /// Whether the object is or was called `name`.
    pub(crate) fn known_as(&self, name: &str) -> bool {
        self.name() == name || self.history.iter().any(|(n, _)| n == name)
    }
    fn known_in(&self, ns: &str) -> bool {
        self.namespace() == ns || self.history.iter().any(|(_, n)| n == ns)
    }
    fn id(&self) -> String {
        let (group, version) = match self.api_version().split_once('/') {
            Some((g, v)) => (g, v),
            None => ("", self.api_version()),
        };
        let group = if group.is_empty() { "[noGrp]" } else { group };
        let gvk = format!("{}.{version}.{group}", self.kind());
        let ns = if self.namespace().is_empty() {
            "[noNs]"
        } else {
            self.namespace()
        };
        format!("{gvk}/{}.{ns}", self.name())
    }
}

fn rename(r: &mut Resource, name: &str) {
    let prev = (r.name().to_owned(), r.namespace().to_owned());
    if prev.0 == name {
        return;
    }
    r.history.push(prev);
    if let Some(Value::Object(md)) = r.value.get_mut("metadata") {
        md.insert("name".into(), name.into());
    }
}

fn set_namespace(r: &mut Resource, ns: &str) {
    if r.kind() == "RoleBinding" || r.kind() == "ClusterRoleBinding" {
        if let Some(Value::Array(subjects)) = r.value.get_mut("subjects") {
            for s in subjects {
                if s.get("name").and_then(Value::as_str) == Some("default") {
                    if let Some(m) = s.as_object_mut() {
                        m.insert("namespace".into(), ns.into());
                    }
                }
            }
        }
    }
    match r.kind() {
        "APIService" => {
            if let Some(Value::Object(svc)) = r.value.pointer_mut("/spec/service") {
                svc.insert("namespace".into(), ns.into());
            }
        }
        "CustomResourceDefinition" => {
            if let Some(Value::Object(svc)) = r
                .value
                .pointer_mut("/spec/conversion/webhook/clientConfig/service")
            {
                svc.insert("namespace".into(), ns.into());
            }
        }
        _ => {}
    }
    if cluster_scoped(r.kind()) {
        return;
    }
    let prev = (r.name().to_owned(), r.namespace().to_owned());
    if prev.1 == ns {
        return;
    }
    r.history.push(prev);
    if let Some(m) = r.value.as_object_mut() {
        let md = m
            .entry("metadata")
            .or_insert_with(|| Value::Object(Map::new()));
        if let Value::Object(md) = md {
            md.insert("namespace".into(), ns.into());
        }
    }
}

fn add_unique(res: &mut Vec<Resource>, r: Resource) -> Result<(), String> {
    let id = r.id();
    if res.iter().any(|e| e.id() == id) {
        return Err(format!(
            "may not add resource with an already registered id: {id}"
        ));
    }
    res.push(r);
    Ok(())
}

fn check_unique(k: &Kust, ptr: &str, res: &[Resource]) -> Result<(), Error> {
    let mut seen = std::collections::HashSet::new();
    for r in res {
        let id = r.id();
        if !seen.insert(id.clone()) {
            return Err(k.err(
                ptr,
                format!("ID conflict after renaming: two resources are now {id}"),
            ));
        }
    }
    Ok(())
}

fn patch_id(v: &Value) -> String {
    let kind = v.get("kind").and_then(Value::as_str).unwrap_or("");
    let name = v
        .pointer("/metadata/name")
        .and_then(Value::as_str)
        .unwrap_or("");
    format!("{kind}/{name}")
}

fn apply_smp_by_id(
    k: &Kust,
    ptr: &str,
    res: &mut Vec<Resource>,
    d: &Arc<SourceDoc>,
) -> Result<(), Error> {
    let v = &d.value;
    let kind = v.get("kind").and_then(Value::as_str).unwrap_or("");
    let name = v
        .pointer("/metadata/name")
        .and_then(Value::as_str)
        .unwrap_or("");
    if kind.is_empty() || name.is_empty() {
        return Err(k.err(
            ptr,
            "a strategic merge patch without a target needs kind and metadata.name",
        ));
    }
    let ns = v.pointer("/metadata/namespace").and_then(Value::as_str);
    let group = v
        .get("apiVersion")
        .and_then(Value::as_str)
        .map(|a| a.split_once('/').map_or("", |(g, _)| g));
    let matches: Vec<usize> = (0..res.len())
        .filter(|&i| {
            let r = &res[i];
            r.kind() == kind
                && r.known_as(name)
                && ns.is_none_or(|n| r.known_in(n))
                && group
                    .is_none_or(|g| r.api_version().split_once('/').map_or("", |(rg, _)| rg) == g)
        })
        .collect();
    match matches.as_slice() {
        [] => Err(k.err(
            ptr,
            format!("no resource matches strategic merge patch {}", patch_id(v)),
        )),
        [i] => {
            let i = *i;
            if !apply_smp(k, ptr, &mut res[i], d, v)? {
                res.remove(i);
            }
            Ok(())
        }
        _ => Err(k.err(
            ptr,
            format!(
                "multiple resources match strategic merge patch {}",
                patch_id(v)
            ),
        )),
    }
}

fn apply_smp(
    k: &Kust,
    ptr: &str,
    r: &mut Resource,
    d: &Arc<SourceDoc>,
    patch_value: &Value,
) -> Result<bool, Error> {
    let mut trace: Trace = Vec::new();
    let keep = patch::strategic_merge(&mut r.value, patch_value, &mut trace)
        .map_err(|e| k.err(ptr, e.0))?;
    for (rp, pp) in trace {
        r.patched.push((rp, d.clone(), pp));
    }
    Ok(keep)
}

fn apply_json(k: &Kust, ptr: &str, r: &mut Resource, d: &Arc<SourceDoc>) -> Result<(), Error> {
    let mut trace: Trace = Vec::new();
    patch::json6902(&mut r.value, &d.value, &mut trace)
        .map_err(|e| k.err(ptr, format!("applying JSON patch to {}: {}", r.id(), e.0)))?;
    for (rp, pp) in trace {
        r.patched.push((rp, d.clone(), pp));
    }
    Ok(())
}

fn split_part(s: &str, opts: Option<&Value>) -> Option<(String, i64)> {
    let o = opts?;
    let d = o
        .get("delimiter")
        .and_then(Value::as_str)
        .filter(|d| !d.is_empty())?;
    let i = o.get("index").and_then(Value::as_i64).unwrap_or(0);
    let _ = s;
    Some((d.to_owned(), i))
}

fn apply_replacement(k: &Kust, ptr: &str, r: &Value, res: &mut [Resource]) -> Result<(), Error> {
    let src = r
        .get("source")
        .ok_or_else(|| k.err(ptr, "a replacement needs a source"))?;
    let sel = Selector::parse_id(k, &format!("{ptr}/source"), src)?;
    let found: Vec<usize> = (0..res.len()).filter(|&i| sel.matches(&res[i])).collect();
    let si = match found.as_slice() {
        [i] => *i,
        [] => {
            return Err(k.err(
                &format!("{ptr}/source"),
                "nothing selected by the replacement source",
            ))
        }
        _ => {
            return Err(k.err(
                &format!("{ptr}/source"),
                "more than one resource selected by the replacement source",
            ))
        }
    };
    let field = src
        .get("fieldPath")
        .and_then(Value::as_str)
        .unwrap_or("metadata.name");
    let steps =
        crate::replace::parse_path(field).map_err(|m| k.err(&format!("{ptr}/source"), m))?;
    let mut value = crate::replace::get(&res[si].value, &steps)
        .cloned()
        .ok_or_else(|| {
            k.err(
                &format!("{ptr}/source"),
                format!(
                    "fieldPath `{field}` is missing for replacement source {}",
                    res[si].id()
                ),
            )
        })?;
    if let (Value::String(s), Some((d, i))) = (&value, split_part("", src.get("options"))) {
        let parts: Vec<&str> = s.split(d.as_str()).collect();
        value = Value::String(
            parts
                .get(usize::try_from(i).unwrap_or(usize::MAX))
                .ok_or_else(|| {
                    k.err(
                        &format!("{ptr}/source/options"),
                        format!("options.index {i} is out of bounds for value {s}"),
                    )
                })?
                .to_string(),
        );
    }
    for (ti, t) in r
        .get("targets")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .enumerate()
    {
        let tptr = format!("{ptr}/targets/{ti}");
        let select = t
            .get("select")
            .ok_or_else(|| k.err(&tptr, "a replacement target needs select"))?;
        let sel = Selector::parse(k, &format!("{tptr}/select"), select)?;
        let mut rejects = Vec::new();
        for (ri, rej) in t
            .get("reject")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .enumerate()
        {
            rejects.push(Selector::parse(k, &format!("{tptr}/reject/{ri}"), rej)?);
        }
        let opts = t.get("options");
        let create = opts
            .and_then(|o| o.get("create"))
            .and_then(Value::as_bool)
            .unwrap_or(false);
        let part = split_part("", opts);
        for target in res.iter_mut() {
            if !sel.matches(target) || rejects.iter().any(|x| x.matches(target)) {
                continue;
            }
            for (fi, fp) in t
                .get("fieldPaths")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .enumerate()
            {
                let fp = fp.as_str().unwrap_or("");
                let steps = crate::replace::parse_path(fp)
                    .map_err(|m| k.err(&format!("{tptr}/fieldPaths/{fi}"), m))?;
                let mut failed: Option<String> = None;
                let n = crate::replace::set(&mut target.value, &steps, create, &mut |old| match (
                    &part, old, &value,
                ) {
                    (Some((d, i)), Some(Value::String(o)), Value::String(v)) => {
                        let mut parts: Vec<String> =
                            o.split(d.as_str()).map(str::to_owned).collect();
                        match usize::try_from(*i).ok().filter(|&i| i < parts.len()) {
                            Some(i) => parts[i] = v.clone(),
                            None => {
                                failed = Some(format!(
                                    "options.index {i} is out of bounds for value {o}"
                                ))
                            }
                        }
                        Value::String(parts.join(d))
                    }
                    _ => value.clone(),
                });
                if let Some(m) = failed {
                    return Err(k.err(&format!("{tptr}/options"), m));
                }
                if n == 0 && !create {
                    return Err(k.err(
                        &format!("{tptr}/fieldPaths/{fi}"),
                        format!(
                            "unable to find field \"{fp}\" in replacement target {}",
                            target.id()
                        ),
                    ));
                }
            }
        }
    }
    Ok(())
}

/// A patch target.
struct Selector {
    group: Option<regex::Regex>,
    version: Option<regex::Regex>,
    kind: Option<regex::Regex>,
    name: Option<regex::Regex>,
    namespace: Option<regex::Regex>,
    labels: Vec<Req>,
    annotations: Vec<Req>,
}

enum Req {
    Eq(String, String),
    Ne(String, String),
    In(String, Vec<String>, bool),
    Exists(String, bool),
}

fn parse_requirements(k: &Kust, ptr: &str, s: &str) -> Result<Vec<Req>, Error> {
    let mut out = Vec::new();
    let mut parts = Vec::new();
    let mut depth = 0;
    let mut cur = String::new();
    for c in s.chars() {
        match c {
            '(' => depth += 1,
            ')' => depth -= 1,
            ',' if depth == 0 => {
                parts.push(std::mem::take(&mut cur));
                continue;
            }
            _ => {}
        }
        cur.push(c);
    }
    parts.push(cur);
    let bad = || k.err(ptr, format!("invalid selector {s:?}"));
    for p in parts {
        let p = p.trim();
        if p.is_empty() {
            continue;
        }
        if let Some((a, b)) = p.split_once("!=") {
            out.push(Req::Ne(a.trim().into(), b.trim().into()));
        } else if let Some((a, b)) = p.split_once("==").or_else(|| p.split_once('=')) {
            out.push(Req::Eq(a.trim().into(), b.trim().into()));
        } else if let Some((a, b)) = p
            .split_once(" notin ")
            .map(|(a, b)| (a, (b, false)))
            .or_else(|| p.split_once(" in ").map(|(a, b)| (a, (b, true))))
        {
            let (list, pos) = b;
            let inner = list
                .trim()
                .strip_prefix('(')
                .and_then(|l| l.strip_suffix(')'))
                .ok_or_else(bad)?;
            out.push(Req::In(
                a.trim().into(),
                inner.split(',').map(|x| x.trim().to_owned()).collect(),
                pos,
            ));
        } else if let Some(key) = p.strip_prefix('!') {
            out.push(Req::Exists(key.trim().into(), false));
        } else if p
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-._/".contains(c))
        {
            out.push(Req::Exists(p.into(), true));
        } else {
            return Err(bad());
        }
    }
    Ok(out)
}

fn req_matches(reqs: &[Req], m: Option<&Value>) -> bool {
    let get = |k: &str| m.and_then(|m| m.get(k)).and_then(Value::as_str);
    reqs.iter().all(|r| match r {
        Req::Eq(k, v) => get(k) == Some(v.as_str()),
        Req::Ne(k, v) => get(k) != Some(v.as_str()),
        Req::In(k, vs, pos) => get(k).is_some_and(|x| vs.iter().any(|v| v == x)) == *pos,
        Req::Exists(k, pos) => get(k).is_some() == *pos,
    })
}

impl Selector {
    fn parse(k: &Kust, ptr: &str, t: &Value) -> Result<Selector, Error> {
        let Some(m) = t.as_object() else {
            return Err(k.err(ptr, "target must be a mapping"));
        };
        for key in m.keys() {
            if ![
                "group",
                "version",
                "kind",
                "name",
                "namespace",
                "labelSelector",
                "annotationSelector",
            ]
            .contains(&key.as_str())
            {
                return Err(k.err(
                    &format!("{ptr}/{key}"),
                    format!("invalid target selector: unknown field {key:?}"),
                ));
            }
        }
        let s = |f: &str| {
            m.get(f)
                .and_then(Value::as_str)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
        };
        let re = |f: &str| -> Result<Option<regex::Regex>, Error> {
            match s(f) {
                None => Ok(None),
                Some(p) => regex::Regex::new(&format!("^(?:{p})$"))
                    .map(Some)
                    .map_err(|e| k.err(&format!("{ptr}/{f}"), format!("invalid target selector: {f} {p:?} is not a valid regular expression: {e}"))),
            }
        };
        Ok(Selector {
            group: re("group")?,
            version: re("version")?,
            kind: re("kind")?,
            name: re("name")?,
            namespace: re("namespace")?,
            labels: match s("labelSelector") {
                Some(l) => parse_requirements(k, &format!("{ptr}/labelSelector"), &l)?,
                None => Vec::new(),
            },
            annotations: match s("annotationSelector") {
                Some(l) => parse_requirements(k, &format!("{ptr}/annotationSelector"), &l)?,
                None => Vec::new(),
            },
        })
    }

    /// A selector from a resource id (replacement sources): exact fields, no regexes.
    fn parse_id(k: &Kust, ptr: &str, t: &Value) -> Result<Selector, Error> {
        let exact = |f: &str| -> Result<Option<regex::Regex>, Error> {
            match t.get(f).and_then(Value::as_str).filter(|s| !s.is_empty()) {
                None => Ok(None),
                Some(v) => regex::Regex::new(&format!("^{}$", regex::escape(v)))
                    .map(Some)
                    .map_err(|e| k.err(ptr, e.to_string())),
            }
        };
        Ok(Selector {
            group: exact("group")?,
            version: exact("version")?,
            kind: exact("kind")?,
            name: exact("name")?,
            namespace: exact("namespace")?,
            labels: Vec::new(),
            annotations: Vec::new(),
        })
    }

    fn matches(&self, r: &Resource) -> bool {
        let (g, v) = match r.api_version().split_once('/') {
            Some((g, v)) => (g, v),
            None => ("", r.api_version()),
        };
        let fails =
            |re: &Option<regex::Regex>, s: &str| re.as_ref().is_some_and(|re| !re.is_match(s));
        if fails(&self.group, g) || fails(&self.version, v) || fails(&self.kind, r.kind()) {
            return false;
        }
        if let Some(re) = &self.name {
            if !(re.is_match(r.name()) || r.history.iter().any(|(n, _)| re.is_match(n))) {
                return false;
            }
        }
        if let Some(re) = &self.namespace {
            if !re.is_match(r.namespace()) {
                return false;
            }
        }
        req_matches(&self.labels, r.value.pointer("/metadata/labels"))
            && req_matches(&self.annotations, r.value.pointer("/metadata/annotations"))
    }
}

/// Splits an image reference into (name, tag-and-digest suffix).
fn split_image(image: &str) -> (&str, &str) {
    let (before_digest, _) = image.split_once('@').unwrap_or((image, ""));
    let slash = before_digest.rfind('/').map_or(0, |i| i + 1);
    let end = match before_digest[slash..].find(':') {
        Some(c) => slash + c,
        None => before_digest.len(),
    };
    (&image[..end], &image[end..])
}

/// Rewrites `image` per an `images` entry when it names the entry's image.
fn retag(image: &mut String, name: &str, img: &Value) {
    let (n, rest) = split_image(image);
    if n != name {
        return;
    }
    let new_name = img.get("newName").and_then(Value::as_str).unwrap_or(n);
    let tag = img.get("newTag").map(|t| match t {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    });
    let digest = img.get("digest").and_then(Value::as_str);
    let suffix = if let Some(d) = digest {
        format!("@{d}")
    } else if let Some(t) = tag {
        format!(":{t}")
    } else {
        rest.to_owned()
    };
    *image = format!("{new_name}{suffix}");
}

/// Writes label or annotation entries at the custom field specs that select `r`.
fn apply_custom(r: &mut Resource, specs: &[config::FieldSpec], entries: &[(String, String)]) {
    for spec in specs {
        if spec.selects(r) {
            fields::add_entries(&mut r.value, &spec.segments(), spec.create, entries);
        }
    }
}

fn update_images(v: &mut Value, name: &str, img: &Value, in_containers: bool) {
    match v {
        Value::Object(m) => {
            if in_containers {
                if let Some(Value::String(image)) = m.get_mut("image") {
                    retag(image, name, img);
                }
            }
            for (key, child) in m.iter_mut() {
                let c = matches!(key.as_str(), "containers" | "initContainers");
                if c {
                    if let Value::Array(items) = child {
                        for item in items {
                            update_images(item, name, img, true);
                        }
                    }
                } else {
                    update_images(child, name, img, false);
                }
            }
        }
        Value::Array(items) => {
            for item in items {
                update_images(item, name, img, false);
            }
        }
        _ => {}
    }
}

/// Kind, current name, current namespace, and earlier (name, namespace) pairs.
type Identity = (String, String, String, Vec<(String, String)>);

/// Points every reference at the renamed objects' current names.
fn fix_references(res: &mut [Resource], config: &Config) {
    // Snapshot of referent identities: kind, current name, current namespace, history.
    let ids: Vec<Identity> = res
        .iter()
        .map(|r| {
            (
                r.kind().to_owned(),
                r.name().to_owned(),
                r.namespace().to_owned(),
                r.history.clone(),
            )
        })
        .collect();
    let lookup = |kind: &str, old: &str, ns: &str, me: usize| -> Option<(String, String)> {
        let mut found: Option<(String, String)> = None;
        for (i, (k, name, rns, hist)) in ids.iter().enumerate() {
            if i == me || k != kind || name == old || !hist.iter().any(|(n, _)| n == old) {
                continue;
            }
            let same_ns =
                cluster_scoped(k) || rns == ns || hist.iter().any(|(n, hns)| n == old && hns == ns);
            if same_ns {
                return Some((name.clone(), rns.clone()));
            }
            found.get_or_insert((name.clone(), rns.clone()));
        }
        found
    };
    for (me, r) in res.iter_mut().enumerate() {
        let kind = r.kind().to_owned();
        let ns = r.namespace().to_owned();
        let update = |v: &mut Value, target: &str, path: &str| {
            let segs: Vec<&str> = path.split('/').collect();
            fields::visit_strings(v, &segs, &mut |s: &mut String| {
                if let Some((n, _)) = lookup(target, s, &ns, me) {
                    *s = n;
                }
            });
        };
        for (k, base) in fields::POD_SPECS {
            if *k == kind {
                for (target, path) in fields::POD_REFS {
                    update(&mut r.value, target, &format!("{base}/{path}"));
                }
            }
        }
        for spec in fields::REFS {
            if spec.referrer == kind {
                update(&mut r.value, spec.target, spec.path);
            }
        }
        for nr in &config.name_refs {
            if nr.spec.selects(r) {
                update(&mut r.value, &nr.target, &nr.spec.path);
            }
        }
        if kind == "RoleBinding" || kind == "ClusterRoleBinding" {
            let role_kind = r
                .value
                .pointer("/roleRef/kind")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_owned();
            if role_kind == "Role" || role_kind == "ClusterRole" {
                update(&mut r.value, &role_kind, "roleRef/name");
            }
            if let Some(Value::Array(subjects)) = r.value.get_mut("subjects") {
                for s in subjects {
                    if s.get("kind").and_then(Value::as_str) != Some("ServiceAccount") {
                        continue;
                    }
                    let old = s
                        .get("name")
                        .and_then(Value::as_str)
                        .unwrap_or("")
                        .to_owned();
                    let sns = s
                        .get("namespace")
                        .and_then(Value::as_str)
                        .unwrap_or("")
                        .to_owned();
                    if let Some((n, nns)) = lookup("ServiceAccount", &old, &sns, me) {
                        if let Some(m) = s.as_object_mut() {
                            m.insert("name".into(), n.into());
                            if !nns.is_empty() {
                                m.insert("namespace".into(), nns.into());
                            }
                        }
                    } else if let Some((i, _)) =
                        ids.iter().enumerate().find(|(i, (k, name, _, hist))| {
                            *i != me
                                && k == "ServiceAccount"
                                && *name == old
                                && hist.iter().any(|(_, hns)| *hns == sns)
                        })
                    {
                        // Same name, moved namespace.
                        if let Some(m) = s.as_object_mut() {
                            m.insert("namespace".into(), ids[i].2.clone().into());
                        }
                    }
                }
            }
        }
        if kind == "HorizontalPodAutoscaler" {
            let target = r
                .value
                .pointer("/spec/scaleTargetRef/kind")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_owned();
            if fields::SCALE_TARGETS.contains(&target.as_str()) {
                update(&mut r.value, &target, "spec/scaleTargetRef/name");
            }
        }
    }
}

const ORDER_FIRST: &[&str] = &[
    "Namespace",
    "ResourceQuota",
    "StorageClass",
    "CustomResourceDefinition",
    "ServiceAccount",
    "PodSecurityPolicy",
    "Role",
    "ClusterRole",
    "RoleBinding",
    "ClusterRoleBinding",
    "ConfigMap",
    "Secret",
    "Endpoints",
    "Service",
    "LimitRange",
    "PriorityClass",
    "PersistentVolume",
    "PersistentVolumeClaim",
    "Deployment",
    "StatefulSet",
    "CronJob",
    "PodDisruptionBudget",
];
const ORDER_LAST: &[&str] = &[
    "MutatingWebhookConfiguration",
    "ValidatingWebhookConfiguration",
];

fn kind_rank(kind: &str) -> i64 {
    if let Some(i) = ORDER_FIRST.iter().position(|k| *k == kind) {
        return i as i64 - ORDER_FIRST.len() as i64;
    }
    if let Some(i) = ORDER_LAST.iter().position(|k| *k == kind) {
        return 1 + i as i64;
    }
    0
}

fn legacy_key(r: &Resource) -> (i64, String, String, String) {
    let (g, v) = match r.api_version().split_once('/') {
        Some((g, v)) => (g, v),
        None => ("", r.api_version()),
    };
    let g = if g.is_empty() { "~G" } else { g };
    let v = if v.is_empty() { "~V" } else { v };
    (
        kind_rank(r.kind()),
        format!("{g}_{v}_{}", r.kind()),
        r.namespace().to_owned(),
        r.name().to_owned(),
    )
}

fn sort_legacy(res: &mut [Resource], top: &SourceDoc) {
    let legacy = top.value.pointer("/sortOptions/legacySortOptions");
    let list = |f: &str| -> Option<Vec<String>> {
        legacy
            .and_then(|l| l.get(f))
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(Value::as_str)
                    .map(str::to_owned)
                    .collect()
            })
    };
    match (list("orderFirst"), list("orderLast")) {
        (None, None) => res.sort_by_key(legacy_key),
        (first, last) => {
            let first = first.unwrap_or_default();
            let last = last.unwrap_or_default();
            let rank = |k: &str| -> i64 {
                if let Some(i) = first.iter().position(|x| x == k) {
                    return i as i64 - first.len() as i64;
                }
                if let Some(i) = last.iter().position(|x| x == k) {
                    return 1 + i as i64;
                }
                0
            };
            res.sort_by_key(|r| {
                let mut key = legacy_key(r);
                key.0 = rank(r.kind());
                key
            });
        }
    }
}

fn build_metadata(res: &mut [Resource], top: &SourceDoc) -> Result<(), Error> {
    let Some(Value::Array(opts)) = top.value.get("buildMetadata") else {
        return Ok(());
    };
    for (i, o) in opts.iter().enumerate() {
        match o.as_str() {
            Some("managedByLabel") => {
                let entries = vec![(
                    "app.kubernetes.io/managed-by".to_owned(),
                    "kustomize-(devel)".to_owned(),
                )];
                for r in res.iter_mut() {
                    fields::add_entries(&mut r.value, &["metadata", "labels"], true, &entries);
                }
            }
            Some("originAnnotations") => {
                // Where each object came from, relative to the kustomization built.
                let dir = fs::parent(&top.path);
                for r in res.iter_mut() {
                    let origin = if let Some((doc, ptr)) = &r.generated_by {
                        let by = if ptr.starts_with("/configMapGenerator/") {
                            "ConfigMapGenerator"
                        } else if ptr.starts_with("/secretGenerator/") {
                            "SecretGenerator"
                        } else {
                            "HelmChartInflationGenerator"
                        };
                        format!(
                            "configuredIn: {}\nconfiguredBy:\n  apiVersion: builtin\n  kind: {by}\n",
                            fs::relative(&dir, &doc.path)
                        )
                    } else if let Some(doc) = &r.source {
                        format!("path: {}\n", fs::relative(&dir, &doc.path))
                    } else {
                        continue;
                    };
                    let entries = vec![("config.kubernetes.io/origin".to_owned(), origin)];
                    fields::add_entries(&mut r.value, &["metadata", "annotations"], true, &entries);
                }
            }
            other => {
                let (span, _) = top.locate(&format!("/buildMetadata/{i}"));
                return Err(Error {
                    file: top.path.clone(),
                    line: span.start.line,
                    column: span.start.column,
                    message: format!(
                        "buildMetadata {other:?} is not supported (only managedByLabel and originAnnotations)"
                    ),
                });
            }
        }
    }
    Ok(())
}
