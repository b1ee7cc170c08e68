//! The module's API in plain Rust (JSON in, JSON out), so it is tested on the host; the
//! wasm-bindgen layer in `lib.rs` only converts JS values.

use kvet_engine::files::{self, FileSet, MemoryPolicies};
use kvet_engine::{
    config, embedded_versions, report, ChartOptions, CheckOptions, Checker, Config, Date,
    Exceptions, Finding, KubeVersion, Namespaces, PolicySources, Report,
};
use serde_json::{Map, Value};
use std::path::PathBuf;
use std::sync::Arc;

/// An error thrown to JS: a message and, where known, the file and line it concerns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    /// What went wrong.
    pub message: String,
    /// The file it concerns (a path in the set, or `options`).
    pub file: Option<String>,
    /// 1-based line, 0 when unknown.
    pub line: u32,
    /// 1-based column, 0 when unknown.
    pub column: u32,
}

impl ApiError {
    fn new(message: impl Into<String>) -> Self {
        ApiError {
            message: message.into(),
            file: None,
            line: 0,
            column: 0,
        }
    }

    fn option(name: &str, why: impl std::fmt::Display) -> Self {
        ApiError {
            message: format!("options.{name}: {why}"),
            file: Some("options".to_owned()),
            line: 0,
            column: 0,
        }
    }

    fn from_finding(f: &Finding) -> Self {
        ApiError {
            message: f.message.clone(),
            file: Some(f.location.file.clone()),
            line: f.location.line,
            column: f.location.column,
        }
    }

    /// `file:line:column: message`, as the JS error's message.
    pub fn display(&self) -> String {
        match (&self.file, self.line) {
            (Some(f), 0) => format!("{f}: {}", self.message),
            (Some(f), l) => format!("{f}:{l}:{}: {}", self.column.max(1), self.message),
            (None, _) => self.message.clone(),
        }
    }
}

/// Compiled policies (none when no policy applies) and the key they were compiled for (see
/// [`policy_key`]).
type CachedPolicies = (Vec<u8>, Option<Arc<kvet_policy::PolicySet>>);

thread_local! {
    /// The last checker built, by its options: its compiled validators serve the next check.
    static CHECKER: std::cell::RefCell<Option<(String, Checker)>> = const { std::cell::RefCell::new(None) };
    /// The last policies compiled, by their sources.
    static POLICIES: std::cell::RefCell<Option<CachedPolicies>> = const { std::cell::RefCell::new(None) };
    /// What checks on this thread have built so far.
    static BUILT: std::cell::Cell<Compilations> = const { std::cell::Cell::new(Compilations { checkers: 0, policies: 0 }) };
}

/// How many checkers (schema catalogs with their validators) and policy sets the checks have
/// built so far: what [`warm`] and the caches spare a check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Compilations {
    /// Checkers built (one per change of version or validation options, or with CRDs).
    pub checkers: u32,
    /// Policy sets compiled (one per change of policy sources, or when they read the inputs).
    pub policies: u32,
}

/// The [`Compilations`] of this thread (the module's only one in the browser).
pub fn compilations() -> Compilations {
    BUILT.with(|b| b.get())
}

fn count(f: impl FnOnce(&mut Compilations)) {
    BUILT.with(|b| {
        let mut c = b.get();
        f(&mut c);
        b.set(c);
    });
}

/// Shadow stack that nested template execution may use: a third of the native default, as
/// each wasm frame also takes space on the browser's own stack, which a runaway recursion
/// would otherwise exhaust first.
const WASM_TEMPLATE_STACK: usize = 256 << 10;

/// Options read from the JS object (camelCase keys, all optional).
struct Opts<'a>(&'a Map<String, Value>);

impl<'a> Opts<'a> {
    fn str(&self, key: &str) -> Result<Option<String>, ApiError> {
        match self.0.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(_) => Err(ApiError::option(key, "must be a string")),
        }
    }

    fn bool(&self, key: &str) -> Result<Option<bool>, ApiError> {
        match self.0.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(*b)),
            Some(_) => Err(ApiError::option(key, "must be true or false")),
        }
    }

    fn strings(&self, key: &str) -> Result<Option<Vec<String>>, ApiError> {
        match self.0.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Array(a)) => a
                .iter()
                .map(|v| {
                    v.as_str()
                        .map(str::to_owned)
                        .ok_or_else(|| ApiError::option(key, "must be a list of strings"))
                })
                .collect::<Result<Vec<_>, _>>()
                .map(Some),
            Some(_) => Err(ApiError::option(key, "must be a list of strings")),
        }
    }

    fn object(&self, key: &str) -> Result<Option<&'a Map<String, Value>>, ApiError> {
        match self.0.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Object(o)) => Ok(Some(o)),
            Some(_) => Err(ApiError::option(key, "must be an object")),
        }
    }

    fn known(&self, keys: &[&str]) -> Result<(), ApiError> {
        for k in self.0.keys() {
            if !keys.contains(&k.as_str()) {
                return Err(ApiError::option(
                    k,
                    format!("unknown option (known: {})", keys.join(", ")),
                ));
            }
        }
        Ok(())
    }
}

const CHECK_KEYS: &[&str] = &[
    "paths",
    "kubernetesVersion",
    "strict",
    "ignoreMissingSchemas",
    "skipKinds",
    "onlyKinds",
    "crds",
    "policySets",
    "policies",
    "policyPaths",
    "data",
    "parameters",
    "namespaces",
    "allNamespaces",
    "pssVersion",
    "combine",
    "policyTimeout",
    "config",
    "configPath",
    "noConfig",
    "exceptions",
    "chart",
    "images",
    "today",
];

const CHART_KEYS: &[&str] = &[
    "releaseName",
    "namespace",
    "values",
    "set",
    "setString",
    "setJson",
    "setFile",
    "apiVersions",
    "includeCrds",
    "helm3Order",
    "kubeVersion",
    "showOnly",
    "skipTests",
    "noHooks",
];

fn parse_version(s: &str, what: &str) -> Result<KubeVersion, ApiError> {
    s.parse::<KubeVersion>()
        .map_err(|e| ApiError::option(what, e))
}

fn chart_options(o: Option<&Map<String, Value>>) -> Result<ChartOptions, ApiError> {
    let empty = Map::new();
    let o = Opts(o.unwrap_or(&empty));
    o.known(CHART_KEYS)?;
    let list = |k: &str| o.strings(k).map(Option::unwrap_or_default);
    Ok(ChartOptions {
        release_name: o.str("releaseName")?,
        namespace: o.str("namespace")?,
        value_files: list("values")?.into_iter().map(PathBuf::from).collect(),
        set: list("set")?,
        set_string: list("setString")?,
        set_json: list("setJson")?,
        set_file: list("setFile")?,
        kube_version: o.str("kubeVersion")?,
        api_versions: list("apiVersions")?,
        include_crds: o.bool("includeCrds")?.unwrap_or(false),
        show_only: list("showOnly")?,
        skip_tests: o.bool("skipTests")?.unwrap_or(false),
        no_hooks: o.bool("noHooks")?.unwrap_or(false),
        helm3_order: o.bool("helm3Order")?.unwrap_or(false),
        max_stack_bytes: Some(WASM_TEMPLATE_STACK),
    })
}

/// The roots walked when `paths` is not given: the whole set, plus chart archives at its top
/// level (a dropped `.tgz`), which a directory walk would pass over.
fn default_roots(set: &FileSet) -> Vec<String> {
    let mut roots = vec![String::new()];
    for (p, _) in set.iter() {
        if !p.contains('/') && (p.ends_with(".tgz") || p.ends_with(".tar.gz")) {
            roots.push(p.to_owned());
        }
    }
    roots
}

fn parse_date(s: &str) -> Option<Date> {
    let mut it = s.splitn(3, '-');
    let year = it.next()?.parse().ok()?;
    let month = it.next()?.parse().ok()?;
    let day = it.next()?.parse().ok()?;
    Some(Date { year, month, day })
}

/// The config in force: `config` text, `configPath` in the set, or a `.kvet.yaml` at the
/// set's root (unless `noConfig`).
fn find_config(set: &FileSet, o: &Opts) -> Result<(Config, bool), ApiError> {
    let no_config = o.bool("noConfig")?.unwrap_or(false);
    let text_and_name = if let Some(text) = o.str("config")? {
        Some((text, ".kvet.yaml".to_owned()))
    } else if let Some(p) = o.str("configPath")? {
        let f = set.read(&p).map_err(|f| ApiError::from_finding(&f))?;
        Some((f.text.to_string(), f.path))
    } else if no_config {
        None
    } else {
        config::CONFIG_NAMES.iter().find_map(|n| {
            set.read(n)
                .ok()
                .map(|f| (f.text.to_string(), f.path.clone()))
        })
    };
    let config = match text_and_name {
        Some((text, name)) => {
            let mut c = Config::parse(&name, &text, std::path::Path::new(""))
                .map_err(|f| ApiError::from_finding(&f[0]))?;
            c.file = Some(PathBuf::from(name));
            c
        }
        None => Config::default(),
    };
    Ok((config, no_config))
}

/// Checks the files in `set` as `kvet check --output json` checks the same tree, and returns
/// that JSON document. `today` dates exception expiry when `options.today` is not given.
pub fn check(set: &FileSet, options: &Value, today: Date) -> Result<Value, ApiError> {
    let empty = Map::new();
    let o = match options {
        Value::Null => Opts(&empty),
        Value::Object(m) => Opts(m),
        _ => return Err(ApiError::new("options must be an object")),
    };
    o.known(CHECK_KEYS)?;
    let (config, no_config) = find_config(set, &o)?;
    let version = match o.str("kubernetesVersion")? {
        Some(v) => parse_version(&v, "kubernetesVersion")?,
        None => match config.kubernetes_version.as_deref() {
            Some(v) => v.parse::<KubeVersion>().map_err(|e| ApiError {
                message: format!("kubernetesVersion: {e}"),
                file: config.file.as_ref().map(|p| p.display().to_string()),
                line: 0,
                column: 0,
            })?,
            None => *embedded_versions()
                .last()
                .ok_or_else(|| ApiError::new("no Kubernetes schemas are embedded in this build"))?,
        },
    };
    let pss_minor = match o.str("pssVersion")?.or(config.pss_version.clone()) {
        Some(v) => config::parse_pss_version(&v).map_err(|e| ApiError::option("pssVersion", e))?,
        None => None,
    };
    let or_config = |flag: Option<Vec<String>>, conf: &Vec<String>| match flag {
        Some(f) if !f.is_empty() => f,
        _ => conf.clone(),
    };
    let mut opts = CheckOptions::new(version);
    opts.strict = o.bool("strict")?.unwrap_or(true) && config.strict.unwrap_or(true);
    opts.ignore_missing_schemas = o.bool("ignoreMissingSchemas")?.unwrap_or(false)
        || config.ignore_missing_schemas.unwrap_or(false);
    opts.skip_kinds = or_config(o.strings("skipKinds")?, &config.skip_kinds);
    opts.only_kinds = or_config(o.strings("onlyKinds")?, &config.only_kinds);
    if !config.schema_locations.is_empty() {
        return Err(ApiError {
            message: "schemaLocations are not supported in the browser: only the embedded \
                      schemas are available"
                .to_owned(),
            file: config.file.as_ref().map(|p| p.display().to_string()),
            line: 0,
            column: 0,
        });
    }
    opts.self_waivable = config.self_waivable.clone();
    let named_sets = match o.strings("policySets")? {
        Some(s) if !s.is_empty() => Some(s),
        _ => config.policy_sets.clone(),
    };
    let images = o.object("images")?;
    let sets_named = named_sets.is_some();
    let mut sets: Vec<String> = match named_sets {
        None => kvet_policy::DEFAULT_SETS
            .iter()
            .map(|s| (*s).to_owned())
            .collect(),
        Some(list) => list.into_iter().filter(|s| s.as_str() != "none").collect(),
    };
    // As `kvet check --image-evidence`: image-signed applies unless sets are named.
    if images.is_some() && !sets_named && !sets.iter().any(|s| s == "image-signed") {
        sets.push("image-signed".to_owned());
    }
    let namespaces = match o.strings("namespaces")? {
        Some(n) if !n.is_empty() => n,
        _ => config.namespaces.clone().unwrap_or_default(),
    };
    let timeout = match o.0.get("policyTimeout") {
        None | Some(Value::Null) => config.policy_timeout_ms.unwrap_or(5000),
        Some(v) => v
            .as_u64()
            .ok_or_else(|| ApiError::option("policyTimeout", "must be milliseconds (≥ 0)"))?,
    };
    let mut parameters = config.parameters.clone();
    if let Some(p) = o.object("parameters")? {
        for (k, v) in p {
            parameters.insert(k.clone(), v.clone());
        }
    }
    let mut modules = Vec::new();
    if let Some(list) = o.0.get("policies").filter(|v| !v.is_null()) {
        let bad = || ApiError::option("policies", "must be a list of {path, text}");
        for p in list.as_array().ok_or_else(bad)? {
            let path = p.get("path").and_then(Value::as_str).ok_or_else(bad)?;
            let text = p.get("text").and_then(Value::as_str).ok_or_else(bad)?;
            modules.push((path.to_owned(), text.to_owned()));
        }
    }
    let mut policies = MemoryPolicies {
        sources: PolicySources {
            policies: config
                .policies
                .iter()
                .cloned()
                .chain(
                    o.strings("policyPaths")?
                        .unwrap_or_default()
                        .into_iter()
                        .map(PathBuf::from),
                )
                .collect(),
            sets,
            extra_data: Vec::new(),
            data: config
                .data
                .iter()
                .cloned()
                .chain(
                    o.strings("data")?
                        .unwrap_or_default()
                        .into_iter()
                        .map(PathBuf::from),
                )
                .collect(),
            namespaces: if o.bool("allNamespaces")?.unwrap_or(false) {
                Namespaces::All
            } else if namespaces.is_empty() {
                Namespaces::default()
            } else {
                Namespaces::Matching(namespaces)
            },
            time_limit: (timeout > 0).then(|| std::time::Duration::from_millis(timeout)),
            parameters,
            pss_minor,
            combine: o.bool("combine")?.unwrap_or(false),
        },
        modules,
    };
    let mut exceptions = Exceptions {
        entries: config.exceptions.clone(),
        self_waivable: config.self_waivable.clone(),
    };
    let exceptions_file = o
        .str("exceptions")?
        .map(PathBuf::from)
        .or_else(|| config.exceptions_file.clone())
        .or_else(|| {
            let p = PathBuf::from(config::DEFAULT_EXCEPTIONS);
            (!no_config && config.exceptions.is_empty() && set.get(&p.to_string_lossy()).is_some())
                .then_some(p)
        });
    if let Some(p) = &exceptions_file {
        let shown = p.display().to_string();
        let text = set.read(&shown).map_err(|_| {
            ApiError::from_finding(&kvet_engine::input::input_finding(
                &shown,
                "cannot read the exceptions file: No such file or directory (os error 2)",
            ))
        })?;
        exceptions.entries = Exceptions::parse_file(&shown, &text.text)
            .map_err(|f| ApiError::from_finding(&f[0]))?;
    }
    let today = match o.str("today")? {
        Some(s) => parse_date(&s).ok_or_else(|| ApiError::option("today", "must be YYYY-MM-DD"))?,
        None => today,
    };
    let checker_key = format!(
        "{}|{}|{}|{:?}|{:?}|{:?}",
        version,
        opts.strict,
        opts.ignore_missing_schemas,
        opts.skip_kinds,
        opts.only_kinds,
        opts.self_waivable
    );
    let mut chart_opts = chart_options(o.object("chart")?)?;
    if chart_opts.kube_version.is_none() {
        chart_opts.kube_version = Some(format!("v{}.{}.0", version.major, version.minor));
    }
    let roots = o.strings("paths")?.unwrap_or_else(|| default_roots(set));
    let (files, mut problems) = files::load_inputs(set, &roots, &chart_opts);
    if let Some(i) = images {
        let data = image_evidence(set, i, &files, &policies.sources.sets)?;
        policies
            .sources
            .extra_data
            .push(("<image facts>".to_owned(), data));
    }
    let crds = o.strings("crds")?.unwrap_or_default();
    // A checker keeps the validators it compiled: reuse it while no CRD changes its catalog.
    let has_crds = !crds.is_empty()
        || files
            .iter()
            .any(|f| f.text.contains("CustomResourceDefinition"));
    let cached = if has_crds {
        None
    } else {
        CHECKER
            .with(|c| c.borrow_mut().take())
            .filter(|(k, _)| *k == checker_key)
    };
    let mut checker = match cached {
        Some((_, c)) => c,
        None => {
            count(|c| c.checkers += 1);
            Checker::new(opts).map_err(|e| ApiError::new(e.to_string()))?
        }
    };
    // Compiled policies are reused while their sources (with the files they are read from)
    // are the same and they do not read the inputs (inventory, Namespace labels).
    let key = policy_key(set, &policies);
    let reused = POLICIES.with(|c| {
        c.borrow()
            .as_ref()
            .filter(|(k, _)| *k == key)
            .map(|(_, p)| p.clone())
    });
    match reused {
        Some(p) => checker.set_policies(p),
        None => match files::load_policies_reporting(set, &policies, &files) {
            Ok((p, uses_inputs)) => {
                if p.is_some() {
                    count(|c| c.policies += 1);
                }
                let p = p.map(Arc::new);
                if !uses_inputs {
                    POLICIES.with(|c| *c.borrow_mut() = Some((key, p.clone())));
                }
                checker.set_policies(p);
            }
            Err(findings) => {
                checker.set_policies(None);
                problems.extend(findings);
            }
        },
    }
    if !crds.is_empty() {
        let (crd_files, crd_problems) = files::load_inputs(set, &crds, &chart_opts);
        problems.extend(crd_problems);
        problems.extend(checker.add_crds(&crd_files));
    }
    problems.extend(checker.add_crds(&files));
    let mut report: Report = checker.check_files(&files);
    if !problems.is_empty() {
        report.findings.extend(problems);
        report.findings.sort_by(Finding::order);
    }
    report.apply_exceptions(&exceptions, today, &|file| files::clean(file));
    if !has_crds {
        CHECKER.with(|c| *c.borrow_mut() = Some((checker_key, checker)));
    }
    let text = report::json(&report, &version.to_string());
    serde_json::from_str(&text).map_err(|e| ApiError::new(e.to_string()))
}

/// What compiled policies are cached by: their sources, and the path and bytes of every file
/// of the set under their policy and data paths, so an edited policy is compiled again.
fn policy_key(set: &FileSet, policies: &MemoryPolicies) -> Vec<u8> {
    let mut key = format!("{policies:?}").into_bytes();
    let roots: Vec<String> = policies
        .sources
        .policies
        .iter()
        .chain(&policies.sources.data)
        .filter_map(|p| files::clean(&p.to_string_lossy()))
        .collect();
    if roots.is_empty() {
        return key;
    }
    let under = |path: &str, root: &str| {
        root.is_empty()
            || path
                .strip_prefix(root)
                .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
    };
    for (path, bytes) in set.iter() {
        if roots.iter().any(|r| under(path, r)) {
            for part in [path.as_bytes(), &bytes[..]] {
                key.extend_from_slice(&(part.len() as u64).to_le_bytes());
                key.extend_from_slice(part);
            }
        }
    }
    key
}

/// `options.images`: image facts from an evidence file in the set (written by `kvet images
/// fetch`), verified with the keys named — what `kvet check --image-evidence` does, with no
/// registry call from the browser.
fn image_evidence(
    set: &FileSet,
    i: &Map<String, Value>,
    files: &[kvet_engine::SourceFile],
    sets: &[String],
) -> Result<Value, ApiError> {
    const KNOWN: [&str; 9] = [
        "evidence",
        "cosignKeys",
        "rekorKeys",
        "rekorRequired",
        "fulcioRoots",
        "certificateIdentity",
        "certificateIdentityRegexp",
        "certificateOidcIssuer",
        "certificateOidcIssuerRegexp",
    ];
    for k in i.keys() {
        if !KNOWN.contains(&k.as_str()) {
            return Err(ApiError::option(
                &format!("images.{k}"),
                format!("unknown option (known: {})", KNOWN.join(", ")),
            ));
        }
    }
    let o = Opts(i);
    let path = o.str("evidence")?.ok_or_else(|| {
        ApiError::option(
            "images.evidence",
            "the evidence file's path in the set is required",
        )
    })?;
    let text = set.read(&path).map_err(|f| ApiError::from_finding(&f))?;
    let evidence = kvet_images::Evidence::from_json(&text.text).map_err(|e| ApiError {
        message: e,
        file: Some(path.clone()),
        line: 0,
        column: 0,
    })?;
    let key = |id: &str, p: &str| -> Result<kvet_images::PublicKey, ApiError> {
        let t = set.read(p).map_err(|f| ApiError::from_finding(&f))?;
        kvet_images::PublicKey::from_pem(id, &t.text).map_err(|e| ApiError {
            message: e,
            file: Some(p.to_owned()),
            line: 0,
            column: 0,
        })
    };
    let stem = |p: &str| {
        let name = p.rsplit('/').next().unwrap_or(p);
        name.rsplit_once('.').map_or(name, |(s, _)| s).to_owned()
    };
    let mut opts = kvet_images::VerifyOptions {
        rekor_required: o.bool("rekorRequired")?.unwrap_or(false),
        ..Default::default()
    };
    for k in o.strings("cosignKeys")?.unwrap_or_default() {
        opts.keys.push(match k.split_once('=') {
            Some((id, p)) if !id.is_empty() && !id.contains('/') => key(id, p)?,
            _ => key(&stem(&k), &k)?,
        });
    }
    for p in o.strings("rekorKeys")?.unwrap_or_default() {
        opts.rekor_keys.push(key(&stem(&p), &p)?);
    }
    opts.keyless = keyless(set, &o, !opts.rekor_keys.is_empty())?;
    if opts.keys.is_empty() && opts.keyless.is_none() && sets.iter().any(|s| s == "image-signed") {
        return Err(ApiError::option(
            "images.cosignKeys",
            "image-signed verifies signatures against keys (or keyless: fulcioRoots with certificateIdentity and certificateOidcIssuer); name at least one",
        ));
    }
    if opts.rekor_required && opts.rekor_keys.is_empty() {
        return Err(ApiError::option(
            "images.rekorKeys",
            "rekorRequired needs a Rekor key",
        ));
    }
    let refs = kvet_engine::images::image_references(files);
    let facts = kvet_engine::images::resolved_facts(&refs, &evidence, &opts, true);
    Ok(kvet_engine::images::image_data(&facts))
}

/// The keyless settings of `options.images`, as `kvet check`'s flags give them: trusted Fulcio
/// roots (PEM files in the set) and one accepted identity, its subject and OIDC issuer each
/// exact or a regular expression. `None` when no keyless option is given.
fn keyless(
    set: &FileSet,
    o: &Opts,
    have_rekor_keys: bool,
) -> Result<Option<kvet_images::keyless::Keyless>, ApiError> {
    use kvet_images::keyless::{Identity, Keyless, Matcher};
    let matcher = |name: &str| -> Result<Option<Matcher>, ApiError> {
        let re = format!("{name}Regexp");
        match (o.str(name)?, o.str(&re)?) {
            (Some(_), Some(_)) => Err(ApiError::option(
                &format!("images.{re}"),
                format!("give {name} or {re}, not both"),
            )),
            (Some(e), None) => Ok(Some(Matcher::Exact(e))),
            (None, Some(r)) => Matcher::regex(&r)
                .map(Some)
                .map_err(|e| ApiError::option(&format!("images.{re}"), &e)),
            (None, None) => Ok(None),
        }
    };
    let subject = matcher("certificateIdentity")?;
    let issuer = matcher("certificateOidcIssuer")?;
    let root_files = o.strings("fulcioRoots")?.unwrap_or_default();
    if root_files.is_empty() && subject.is_none() && issuer.is_none() {
        return Ok(None);
    }
    let Some(subject) = subject else {
        return Err(ApiError::option(
            "images.certificateIdentity",
            "keyless verification needs certificateIdentity or certificateIdentityRegexp",
        ));
    };
    let Some(issuer) = issuer else {
        return Err(ApiError::option(
            "images.certificateOidcIssuer",
            "keyless verification needs certificateOidcIssuer or certificateOidcIssuerRegexp",
        ));
    };
    if root_files.is_empty() {
        return Err(ApiError::option(
            "images.fulcioRoots",
            "keyless verification needs the trusted Fulcio roots",
        ));
    }
    if !have_rekor_keys {
        return Err(ApiError::option(
            "images.rekorKeys",
            "keyless verification needs a Rekor key: the log entry dates the signature",
        ));
    }
    let mut roots = Vec::new();
    for p in root_files {
        let t = set.read(&p).map_err(|f| ApiError::from_finding(&f))?;
        roots.extend(Keyless::roots_from_pem(&t.text).map_err(|e| ApiError {
            message: e,
            file: Some(p.clone()),
            line: 0,
            column: 0,
        })?);
    }
    Ok(Some(Keyless {
        identities: vec![Identity { subject, issuer }],
        roots,
    }))
}

/// One object of each common kind, checked by [`warm`].
const WARM_SAMPLE: &str = "apiVersion: apps/v1
kind: Deployment
metadata: {name: warm, namespace: warm}
spec:
  selector: {matchLabels: {app: warm}}
  template:
    metadata: {labels: {app: warm}}
    spec:
      containers: [{name: warm, image: registry.example.com/warm:1.0.0}]
---
apiVersion: v1
kind: Service
metadata: {name: warm, namespace: warm}
spec: {selector: {app: warm}, ports: [{port: 80}]}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: warm, namespace: warm}
data: {k: v}
---
apiVersion: v1
kind: Pod
metadata: {name: warm, namespace: warm}
spec:
  containers: [{name: warm, image: registry.example.com/warm:1.0.0}]
";

/// Prepares for checks with `options` (their built-in policy sets, Kubernetes version and
/// validation settings): compiles the policies and the validators of the common kinds on a
/// sample, so the first real check does not pay for them. Best effort: options that name
/// files of a set (policies, data, config) are left to the first check.
pub fn warm(options: &Value, today: Date) {
    let mut map = options.as_object().cloned().unwrap_or_default();
    for key in [
        "paths",
        "crds",
        "policyPaths",
        "data",
        "exceptions",
        "config",
        "configPath",
        "chart",
    ] {
        map.remove(key);
    }
    map.insert("noConfig".into(), Value::Bool(true));
    let mut set = FileSet::new();
    if set.insert("warm.yaml", WARM_SAMPLE.as_bytes()).is_ok() {
        let _ = check(&set, &Value::Object(map), today);
    }
}

/// Renders the chart at `options.chart` (a directory in the set or a `.tgz`) as `helm
/// template` does: `{manifest, notes, documents: [{source, text}]}`.
pub fn render(set: &FileSet, options: &Value) -> Result<Value, ApiError> {
    let empty = Map::new();
    let map = options.as_object().unwrap_or(&empty);
    let o = Opts(map);
    if let Some(dir) = o.str("kustomization")? {
        return render_kustomization(set, &dir);
    }
    let chart = o
        .str("chart")?
        .ok_or_else(|| ApiError::option("chart", "the chart's path in the set is required"))?;
    let mut rest = map.clone();
    rest.remove("chart");
    let opts = chart_options(Some(&rest))?;
    let rendered =
        files::render_chart(set, &chart, &opts).map_err(|f| ApiError::from_finding(&f[0]))?;
    Ok(serde_json::json!({
        "manifest": rendered.to_helm_output(),
        "notes": rendered.notes,
        "documents": rendered.documents.iter().map(|d| serde_json::json!({
            "source": d.source_path,
            "text": d.text,
        })).collect::<Vec<_>>(),
    }))
}

/// Builds the kustomization in directory `dir` of the set, as `kvet render DIR` (and
/// `kubectl kustomize DIR`) does: `{manifest, warnings: [{message, file, line, column}]}`.
fn render_kustomization(set: &FileSet, dir: &str) -> Result<Value, ApiError> {
    let built =
        kvet_engine::kustomize::build_with(set, dir).map_err(|f| ApiError::from_finding(&f[0]))?;
    let warnings: Vec<Value> = built
        .warnings
        .iter()
        .map(|w| {
            serde_json::json!({
                "message": w.message,
                "file": w.file,
                "line": w.line,
                "column": w.column,
            })
        })
        .collect();
    Ok(serde_json::json!({ "manifest": built.to_yaml(), "warnings": warnings }))
}

/// What the module offers: embedded Kubernetes versions (newest last) and built-in policy
/// sets.
pub fn about() -> Value {
    serde_json::json!({
        "kubernetesVersions": embedded_versions().iter().map(|v| v.to_string()).collect::<Vec<_>>(),
        "defaultPolicySets": kvet_policy::DEFAULT_SETS,
        "policies": kvet_policy::builtin_policies().iter().map(|p| serde_json::json!({
            "id": p.id,
            "title": p.title,
        })).collect::<Vec<_>>(),
    })
}
