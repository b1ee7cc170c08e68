//! Rego policies for Kubernetes objects, on regorus.
//!
//! A [`PolicySet`] is compiled once from Rego modules and data; each worker thread takes its
//! own [`Evaluator`] (a clone of the compiled engine) and evaluates objects one at a time.
//! Rules follow conftest's conventions: in the selected packages (default `main`), `deny`,
//! `violation` and `warn` and their `deny_<name>` forms produce decisions; each result is a
//! message string or an object with `msg` (and optionally `_loc`, a JSON pointer to the
//! offending field); `exception` rules waive named rules for the current input.

pub mod gatekeeper;
mod glob;
mod library;
pub mod screen;

pub use gatekeeper::{Action, NamespaceLabels};
pub use glob::matches_with as glob_matches;
pub use library::{builtin_policies, BuiltinPolicy, DEFAULT_SETS};

use regex::Regex;
use serde_json::{Map, Value};
use std::sync::OnceLock;
use std::time::Duration;

/// A policy that could not be loaded, with its location.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}:{line}:{column}: {message}")]
pub struct PolicyError {
    /// The policy (or data) file.
    pub file: String,
    /// 1-based line (0 when unknown).
    pub line: u32,
    /// 1-based column (0 when unknown).
    pub column: u32,
    /// What is wrong.
    pub message: String,
}

/// An evaluation that failed for one input (runtime error, time limit).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{rule}: {message}")]
pub struct EvalError {
    /// The rule being evaluated (`package.rule`).
    pub rule: String,
    /// What went wrong.
    pub message: String,
}

/// Which packages' rules apply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Namespaces {
    /// Every package that defines rules.
    All,
    /// Packages matching any of these globs (`*` matches within a segment, `**` across).
    Matching(Vec<String>),
}

impl Default for Namespaces {
    fn default() -> Self {
        Namespaces::Matching(vec!["main".to_owned()])
    }
}

/// How a rule's results count.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    /// `deny` / `violation`: a failure.
    Deny,
    /// `warn`: a warning.
    Warn,
}

/// One result of one rule for one input.
#[derive(Debug, Clone, PartialEq)]
pub struct Decision {
    /// `package.rule`, e.g. `main.deny_latest_tag`.
    pub rule: String,
    /// Failure or warning.
    pub level: Level,
    /// The message.
    pub message: String,
    /// JSON pointer of the offending field, from the result's `_loc`.
    pub pointer: Option<String>,
    /// The result object's other fields.
    pub metadata: Option<Value>,
}

/// A ConstraintTemplate as loaded: its Rego and libs, with where each starts in the file.
#[derive(Debug, Clone)]
struct TemplateSource {
    file: String,
    kind: String,
    /// (text, line, column of its first character in the file)
    rego: (String, u32, u32),
    libs: Vec<(String, u32, u32)>,
}

#[derive(Debug, Clone)]
struct RuleRef {
    /// `data.main.deny_x`
    path: String,
    /// `main.deny_x`
    id: String,
    level: Level,
    /// `x` of `deny_x`, the name exceptions use.
    suffix: String,
    /// Index into `packages` of this rule's package (for its exceptions).
    package: usize,
    /// Kinds the rule applies to; empty for all.
    kinds: std::sync::Arc<Vec<String>>,
    /// Evaluated once on all inputs together (`--combine`), not per object.
    combined: bool,
    /// A built-in rule that runs on the compiled VM (when one was built).
    builtin: bool,
    /// What an object must hold for this built-in rule to be evaluated on it.
    screen: Option<std::sync::Arc<screen::Screen>>,
}

#[derive(Debug, Clone)]
struct Package {
    /// `data.main.exception`, when the package defines exceptions.
    exception: Option<String>,
}

/// Builds a [`PolicySet`].
#[derive(Debug, Default)]
pub struct PolicySetBuilder {
    modules: Vec<(String, String)>,
    /// Built-in policies, each once.
    builtins: Vec<BuiltinPolicy>,
    templates: Vec<TemplateSource>,
    constraints: Vec<(String, Value)>,
    namespace_labels: NamespaceLabels,
    data: Map<String, Value>,
    namespaces: Namespaces,
    time_limit: Option<Duration>,
    combine: bool,
    interpreter_only: bool,
    /// Evaluate every built-in rule on every object of its kinds, screens ignored.
    no_screens: bool,
}

impl PolicySetBuilder {
    /// An empty builder: namespace `main`, a 5 s limit per object.
    pub fn new() -> Self {
        PolicySetBuilder {
            time_limit: Some(Duration::from_secs(5)),
            ..Default::default()
        }
    }

    /// Adds a Rego module (v0 or v1 syntax); `path` names it in errors.
    pub fn module(&mut self, path: impl Into<String>, text: impl Into<String>) -> &mut Self {
        self.modules.push((path.into(), text.into()));
        self
    }

    /// Adds a built-in policy by id (see [`builtin_policies`]); its findings use the id as rule.
    pub fn builtin(&mut self, id: &str) -> Result<&mut Self, PolicyError> {
        let p = builtin_policies()
            .into_iter()
            .find(|p| p.id == id)
            .ok_or_else(|| PolicyError {
                file: "--policy-set".to_owned(),
                line: 0,
                column: 0,
                message: format!(
                    "unknown policy set {id:?}; built-in sets: {}",
                    builtin_policies()
                        .iter()
                        .map(|p| p.id)
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            })?;
        if self.builtins.iter().any(|b| b.id == p.id) {
            return Ok(self);
        }
        let requires = p.requires.clone();
        self.builtins.push(p);
        for r in requires {
            self.builtin(&r)?;
        }
        Ok(self)
    }

    /// Merges `value` (an object) into `data`; conflicting leaves are an error.
    pub fn data(&mut self, file: &str, value: Value) -> Result<&mut Self, PolicyError> {
        let Value::Object(map) = value else {
            return Err(PolicyError {
                file: file.to_owned(),
                line: 1,
                column: 1,
                message: "data files must hold a mapping at the top level".to_owned(),
            });
        };
        merge(&mut self.data, map, file, "")?;
        Ok(self)
    }

    /// Adds a Gatekeeper document: a `ConstraintTemplate` or a constraint
    /// (`constraints.gatekeeper.sh/*`). `spans` places Rego errors at their line in the file.
    /// Returns false for documents of other kinds, which are ignored.
    pub fn gatekeeper(
        &mut self,
        file: &str,
        doc: &Value,
        spans: Option<&kvet_yaml::SpanMap>,
    ) -> bool {
        let api = doc.get("apiVersion").and_then(Value::as_str).unwrap_or("");
        let kind = doc.get("kind").and_then(Value::as_str).unwrap_or("");
        let at = |ptr: &str| -> (u32, u32) {
            spans
                .map(|s| s.locate(doc, ptr))
                .filter(|l| l.exact)
                .map_or((0, 0), |l| (l.value.start.line, l.value.start.column))
        };
        if kind == "ConstraintTemplate" && api.starts_with("templates.gatekeeper.sh/") {
            let tkind = doc
                .pointer("/spec/crd/spec/names/kind")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_owned();
            let target = "/spec/targets/0";
            let rego = doc
                .pointer(&format!("{target}/rego"))
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_owned();
            let (l, c) = at(&format!("{target}/rego"));
            let libs = doc
                .pointer(&format!("{target}/libs"))
                .and_then(Value::as_array)
                .map(|a| {
                    a.iter()
                        .enumerate()
                        .filter_map(|(i, v)| {
                            let (l, c) = at(&format!("{target}/libs/{i}"));
                            v.as_str().map(|t| (t.to_owned(), l, c))
                        })
                        .collect()
                })
                .unwrap_or_default();
            self.templates.push(TemplateSource {
                file: file.to_owned(),
                kind: tkind,
                rego: (rego, l, c),
                libs,
            });
            return true;
        }
        if api.starts_with("constraints.gatekeeper.sh/") {
            self.constraints.push((file.to_owned(), doc.clone()));
            return true;
        }
        false
    }

    /// Whether any template reads `data.inventory` (then give [`Self::inventory`]).
    pub fn wants_inventory(&self) -> bool {
        self.templates.iter().any(|t| {
            t.rego.0.contains("data.inventory")
                || t.libs.iter().any(|l| l.0.contains("data.inventory"))
        })
    }

    /// Whether any constraint uses `namespaceSelector` (then give [`Self::namespace_labels`]).
    pub fn wants_namespaces(&self) -> bool {
        self.constraints
            .iter()
            .any(|(_, c)| c.pointer("/spec/match/namespaceSelector").is_some())
    }

    /// `data.inventory` for referential templates, built from the objects under check.
    pub fn inventory(&mut self, inventory: Value) -> &mut Self {
        self.data.insert("inventory".to_owned(), inventory);
        self
    }

    /// Labels of the Namespace objects under check, for `namespaceSelector`.
    pub fn namespace_labels(&mut self, labels: NamespaceLabels) -> &mut Self {
        self.namespace_labels = labels;
        self
    }

    /// Selects the packages whose rules apply.
    pub fn namespaces(&mut self, n: Namespaces) -> &mut Self {
        self.namespaces = n;
        self
    }

    /// conftest's `--combine`: the rules of [`Self::module`]s are evaluated once, by
    /// [`Evaluator::evaluate_combined`], on the list of every input instead of per object.
    /// Built-in policies and Gatekeeper constraints stay per object.
    pub fn combine(&mut self, on: bool) -> &mut Self {
        self.combine = on;
        self
    }

    /// Evaluates the built-in policies with regorus's tree-walking interpreter instead of its
    /// compiled VM (for differential tests: both must decide alike).
    pub fn interpreter_only(&mut self, on: bool) -> &mut Self {
        self.interpreter_only = on;
        self
    }

    /// Whether built-in rules skip objects that hold none of the fields their findings need
    /// (the `screens` of their metadata; on by default). Off, every rule is evaluated on every
    /// object of its kinds — for differential tests: the decisions must not change.
    pub fn screens(&mut self, on: bool) -> &mut Self {
        self.no_screens = !on;
        self
    }

    /// Limits the evaluation time per object (`None`: no limit).
    pub fn time_limit(&mut self, limit: Option<Duration>) -> &mut Self {
        self.time_limit = limit;
        self
    }

    /// Compiles every module; returns every error found, each located.
    pub fn build(&self) -> Result<PolicySet, Vec<PolicyError>> {
        let mut engine = regorus::Engine::new();
        engine.set_strict_builtin_errors(false);
        engine.set_gather_prints(true);
        let mut errors = Vec::new();
        let mut packages: Vec<(String, Package)> = Vec::new();
        let mut rules: Vec<RuleRef> = Vec::new();
        for (path, text) in &self.modules {
            let package = match add_module(&mut engine, path, text) {
                Ok(p) => p,
                Err(e) => {
                    errors.push(e);
                    continue;
                }
            };
            let ns = package.strip_prefix("data.").unwrap_or(&package).to_owned();
            if !self.selected(&ns) {
                continue;
            }
            let pkg_index = match packages.iter().position(|(n, _)| *n == ns) {
                Some(i) => i,
                None => {
                    packages.push((ns.clone(), Package { exception: None }));
                    packages.len() - 1
                }
            };
            for name in rule_names(text) {
                if name == "exception" {
                    packages[pkg_index].1.exception = Some(format!("{package}.exception"));
                    continue;
                }
                let (level, suffix) = classify(&name);
                let Some(level) = level else { continue };
                let id = format!("{ns}.{name}");
                if rules.iter().any(|r| r.id == id) {
                    continue;
                }
                rules.push(RuleRef {
                    path: format!("{package}.{name}"),
                    id,
                    level,
                    suffix,
                    package: pkg_index,
                    kinds: std::sync::Arc::default(),
                    combined: self.combine,
                    builtin: false,
                    screen: None,
                });
            }
        }
        if !self.builtins.is_empty() {
            for (name, rego) in library::LIBS {
                if let Err(e) = add_module(&mut engine, &format!("builtin:lib/{name}"), rego) {
                    errors.push(e);
                }
            }
        }
        for b in &self.builtins {
            let (id, rego) = (b.id, b.rego);
            let kinds = std::sync::Arc::new(b.kinds.clone());
            let advisory = b.severity == "warning";
            match add_module(&mut engine, &format!("builtin:{id}"), rego) {
                Ok(package) => {
                    packages.push((package.clone(), Package { exception: None }));
                    let pkg_index = packages.len() - 1;
                    let names = rule_names(rego);
                    for (rule, _) in &b.screens {
                        // Only finding rules are screened; a helper rule's screen would do nothing.
                        if !names.contains(rule) || classify(rule).0.is_none() {
                            errors.push(PolicyError {
                                file: format!("builtin:{id}/metadata.yaml"),
                                line: 0,
                                column: 0,
                                message: format!(
                                    "screens names {rule}, which is not a rule of {id}"
                                ),
                            });
                        }
                    }
                    for name in names {
                        let (Some(level), suffix) = classify(&name) else {
                            continue;
                        };
                        // Parsed even when screens are off, so a broken one never goes unseen.
                        let screen = match b.screens.iter().find(|(r, _)| *r == name) {
                            Some((_, paths)) => match screen::Screen::parse(paths) {
                                Ok(_) if self.no_screens => None,
                                Ok(s) => Some(std::sync::Arc::new(s)),
                                Err(message) => {
                                    errors.push(PolicyError {
                                        file: format!("builtin:{id}/metadata.yaml"),
                                        line: 0,
                                        column: 0,
                                        message: format!("screens of {name}: {message}"),
                                    });
                                    None
                                }
                            },
                            None => None,
                        };
                        // `deny_<check>` of policy `id` is reported as `id/<check>`.
                        rules.push(RuleRef {
                            path: format!("{package}.{name}"),
                            id: if suffix.is_empty() {
                                id.to_owned()
                            } else {
                                format!("{id}/{suffix}")
                            },
                            level: if advisory { Level::Warn } else { level },
                            suffix,
                            package: pkg_index,
                            kinds: kinds.clone(),
                            combined: false,
                            builtin: b.compiled,
                            screen,
                        });
                    }
                }
                Err(e) => errors.push(e),
            }
        }
        let constraints = self.build_gatekeeper(&mut engine, &mut errors);
        let mut data = self.data.clone();
        if !self.builtins.is_empty() {
            // Built-ins read data.kvet.parameters; an absent document is given as empty, which
            // both evaluators then read alike.
            if let Value::Object(kvet) = data
                .entry("kvet")
                .or_insert_with(|| Value::Object(Map::new()))
            {
                kvet.entry("parameters")
                    .or_insert_with(|| Value::Object(Map::new()));
            }
        }
        if !data.is_empty() {
            if let Err(e) = add_data(&mut engine, Value::Object(data.clone())) {
                errors.push(e);
            }
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        #[cfg(not(target_arch = "wasm32"))]
        if let Some(limit) = self.time_limit {
            engine.set_execution_timer_config(regorus::utils::limits::ExecutionTimerConfig {
                limit,
                // Reading the clock at every step costs more than the policies themselves.
                check_interval: std::num::NonZeroU32::new(1024)
                    .unwrap_or(std::num::NonZeroU32::MIN),
            });
        }
        rules.sort_by(|a, b| a.id.cmp(&b.id));
        // Evaluate each rule once with an empty input: errors in rule bodies that do not depend
        // on the input (undefined functions, type errors in constants) surface at load time.
        let mut probe = engine.clone();
        probe.set_input(regorus::Value::from(Value::Object(Map::new())));
        for r in &rules {
            if let Err(e) = probe.eval_rule(r.path.clone()) {
                let text = e.to_string();
                if looks_static(&text) {
                    errors.push(locate_error(&text, &r.id));
                }
            }
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        // Analyse the modules once here, so evaluators cloned per worker start prepared.
        let _ = engine.eval_bool_query("true".to_owned(), false);
        let vm = if self.interpreter_only {
            None
        } else {
            self.compile_builtins(&mut engine, &rules, data)
        };
        Ok(PolicySet {
            vm,
            engine,
            reads_review: self
                .modules
                .iter()
                .any(|(_, text)| text.contains(REVIEW_DATA)),
            rules,
            packages: packages.into_iter().map(|(_, p)| p).collect(),
            constraints,
            namespace_labels: std::sync::Arc::new(self.namespace_labels.clone()),
        })
    }

    /// Compiles the built-in rules for regorus's VM, several times faster than its interpreter
    /// on the same Rego. Built-ins only: they are kvet's own, and their decisions are tested
    /// against the interpreter's. `None` (the interpreter serves) if compilation fails.
    fn compile_builtins(
        &self,
        engine: &mut regorus::Engine,
        rules: &[RuleRef],
        data: Map<String, Value>,
    ) -> Option<std::sync::Arc<CompiledRules>> {
        let paths: Vec<&str> = rules
            .iter()
            .filter(|r| r.builtin)
            .map(|r| r.path.as_str())
            .collect();
        let first = paths.first()?;
        let mut compiler = engine.clone();
        // One entry point per set of rules that apply together, so an object's built-in rules
        // run in one execution and share what they read (the pod spec, the minor …) instead of
        // each recomputing it in an execution of its own.
        let mut batches = std::collections::HashMap::new();
        let mut batch_paths = Vec::new();
        for (n, members) in batch_groups(rules).into_iter().enumerate() {
            let package = format!("kvet_vm_batch_{n}");
            let refs: Vec<String> = members
                .iter()
                .map(|&i| format!("\t[x | x := {}],\n", rules[i].path))
                .collect();
            let text = format!("package {package}\n\nrules := [\n{}]\n", refs.concat());
            if compiler
                .add_policy(format!("builtin:batch/{n}"), text)
                .is_ok()
            {
                let path = format!("data.{package}.rules");
                batch_paths.push(path.clone());
                batches.insert(members, path);
            }
        }
        let policy = compiler.compile_with_entrypoint(&(*first).into()).ok()?;
        let all: Vec<&str> = paths
            .iter()
            .copied()
            .chain(batch_paths.iter().map(String::as_str))
            .collect();
        let program = match regorus::languages::rego::compiler::Compiler::compile_from_policy(
            &policy, &all,
        ) {
            Ok(p) => p,
            // Without the batches, rule by rule.
            Err(_) => {
                batches.clear();
                regorus::languages::rego::compiler::Compiler::compile_from_policy(&policy, &paths)
                    .ok()?
            }
        };
        Some(std::sync::Arc::new(CompiledRules {
            policy,
            program,
            data: regorus::Value::from(Value::Object(data)),
            time_limit: self.time_limit,
            batches: std::sync::Arc::new(Batches {
                entries: batches,
                time_limit: self.time_limit,
            }),
        }))
    }

    fn build_gatekeeper(
        &self,
        engine: &mut regorus::Engine,
        errors: &mut Vec<PolicyError>,
    ) -> Vec<gatekeeper::Constraint> {
        // Errors in embedded Rego are moved to their line in the YAML file.
        let shift = |mut e: PolicyError, file: &str, line: u32, col: u32| {
            e.file = file.to_owned();
            // Block scalars strip their indentation from every line alike.
            if line > 0 && e.line > 0 {
                e.column += col.saturating_sub(1);
                e.line += line - 1;
            }
            e
        };
        let mut rule_of_kind: Vec<(String, String)> = Vec::new();
        for t in &self.templates {
            for (i, (lib, l, c)) in t.libs.iter().enumerate() {
                if let Err(e) = add_module(engine, &format!("{}#lib{i}", t.kind), lib) {
                    errors.push(shift(e, &t.file, *l, *c));
                }
            }
            match add_module(engine, &t.kind, &t.rego.0) {
                Ok(pkg) => rule_of_kind.push((t.kind.clone(), format!("{pkg}.violation"))),
                Err(e) => errors.push(shift(e, &t.file, t.rego.1, t.rego.2)),
            }
        }
        let mut out = Vec::new();
        for (file, c) in &self.constraints {
            let kind = c.get("kind").and_then(Value::as_str).unwrap_or("");
            let name = c
                .pointer("/metadata/name")
                .and_then(Value::as_str)
                .unwrap_or("");
            let Some((_, rule_path)) = rule_of_kind.iter().find(|(k, _)| k == kind) else {
                errors.push(PolicyError {
                    file: file.clone(),
                    line: 0,
                    column: 0,
                    message: format!(
                        "constraint {kind}/{name} has no ConstraintTemplate defining kind {kind}"
                    ),
                });
                continue;
            };
            out.push(gatekeeper::Constraint {
                kind: kind.to_owned(),
                name: name.to_owned(),
                action: gatekeeper::action(c.pointer("/spec/enforcementAction")),
                parameters: c
                    .pointer("/spec/parameters")
                    .cloned()
                    .unwrap_or(Value::Object(Map::new())),
                matcher: c
                    .pointer("/spec/match")
                    .cloned()
                    .unwrap_or(Value::Object(Map::new())),
                rule_path: rule_path.clone(),
            });
        }
        out.sort_by(|a, b| (&a.kind, &a.name).cmp(&(&b.kind, &b.name)));
        out
    }

    fn selected(&self, ns: &str) -> bool {
        match &self.namespaces {
            Namespaces::All => true,
            Namespaces::Matching(globs) => globs.iter().any(|g| glob::matches(g, ns)),
        }
    }
}

fn merge(
    into: &mut Map<String, Value>,
    from: Map<String, Value>,
    file: &str,
    at: &str,
) -> Result<(), PolicyError> {
    for (k, v) in from {
        let path = format!("{at}.{k}");
        match (into.get_mut(&k), v) {
            (Some(Value::Object(a)), Value::Object(b)) => merge(a, b, file, &path)?,
            (Some(_), _) => {
                return Err(PolicyError {
                    file: file.to_owned(),
                    line: 0,
                    column: 0,
                    message: format!("data{path} is already set by another data file"),
                })
            }
            (None, v) => {
                into.insert(k, v);
            }
        }
    }
    Ok(())
}

/// The sets of VM rules (indices into `rules`) that apply to one object together: for each kind
/// a built-in names, and for the kinds none names; only sets of two or more rules.
fn batch_groups(rules: &[RuleRef]) -> Vec<Vec<usize>> {
    let on_vm = |r: &RuleRef| r.builtin && !r.combined;
    let mut kinds: Vec<&str> = rules
        .iter()
        .filter(|r| on_vm(r))
        .flat_map(|r| r.kinds.iter().map(String::as_str))
        .collect();
    kinds.sort_unstable();
    kinds.dedup();
    let mut groups: Vec<Vec<usize>> = Vec::new();
    // `None`: a kind no rule names, which only the rules for every kind apply to.
    for kind in kinds.into_iter().map(Some).chain([None]) {
        let members: Vec<usize> = rules
            .iter()
            .enumerate()
            .filter(|(_, r)| {
                on_vm(r)
                    && (r.kinds.is_empty() || kind.is_some_and(|k| r.kinds.iter().any(|x| x == k)))
            })
            .map(|(i, _)| i)
            .collect();
        if members.len() >= 2 && !groups.contains(&members) {
            groups.push(members);
        }
    }
    groups
}

/// Most VM rules left after screening that run one execution each; with more, the batch of
/// every rule that applies is the cheaper (measured on pods setting 1 to 8 of the fields the
/// Baseline checks read: alone is cheaper up to about 7 rules).
const SCREENED_ALONE: usize = 6;

/// Errors that do not depend on the input and so mean the policy itself is broken.
fn looks_static(msg: &str) -> bool {
    [
        "unknown function",
        "undefined function",
        "not a function",
        "could not find",
    ]
    .iter()
    .any(|m| msg.contains(m))
}

/// Adds `data` to the engine; a conflict with what is there is an error on the data.
fn add_data(engine: &mut regorus::Engine, data: Value) -> Result<(), PolicyError> {
    engine
        .add_data(regorus::Value::from(data))
        .map_err(|e| PolicyError {
            file: "<data>".to_owned(),
            line: 0,
            column: 0,
            message: e.to_string(),
        })
}

/// Loads one module, trying Rego v1 syntax first and falling back to v0.
fn add_module(engine: &mut regorus::Engine, path: &str, text: &str) -> Result<String, PolicyError> {
    let mut v1 = engine.clone();
    v1.set_rego_v0(false);
    let err_v1 = match v1.add_policy(path.to_owned(), text.to_owned()) {
        Ok(p) => {
            *engine = v1;
            return Ok(p);
        }
        Err(e) => e.to_string(),
    };
    let mut v0 = engine.clone();
    v0.set_rego_v0(true);
    match v0.add_policy(path.to_owned(), text.to_owned()) {
        Ok(p) => {
            v0.set_rego_v0(false);
            *engine = v0;
            Ok(p)
        }
        Err(e) => {
            // Report the error of the dialect the module was evidently written in.
            let v1_style = text.contains("rego.v1")
                || Regex::new(r"\b(if|contains)\b").is_ok_and(|r| r.is_match(text));
            let msg = if v1_style { err_v1 } else { e.to_string() };
            Err(locate_error(&msg, path))
        }
    }
}

/// regorus reports `--> path:line:col`, a snippet, then `error: message`.
fn locate_error(msg: &str, fallback_file: &str) -> PolicyError {
    static RE: OnceLock<Option<Regex>> = OnceLock::new();
    let re = RE.get_or_init(|| Regex::new(r"-->\s*(.+?):(\d+):(\d+)").ok());
    let message = msg
        .lines()
        .find_map(|l| l.trim().strip_prefix("error:"))
        .map(|m| m.trim().to_owned())
        .unwrap_or_else(|| msg.trim().lines().next().unwrap_or(msg).to_owned());
    match re.as_ref().and_then(|r| r.captures(msg)) {
        Some(c) => PolicyError {
            file: c
                .get(1)
                .map_or(fallback_file, |m| m.as_str())
                .trim()
                .to_owned(),
            line: c.get(2).and_then(|m| m.as_str().parse().ok()).unwrap_or(0),
            column: c.get(3).and_then(|m| m.as_str().parse().ok()).unwrap_or(0),
            message,
        },
        None => PolicyError {
            file: fallback_file.to_owned(),
            line: 0,
            column: 0,
            message,
        },
    }
}

/// Rule names defined at the start of a line (`deny[msg] {`, `deny contains msg if {`,
/// `warn_x := …`, `exception[rules] {`).
fn rule_names(text: &str) -> Vec<String> {
    static RE: OnceLock<Option<Regex>> = OnceLock::new();
    let re = RE.get_or_init(|| {
        Regex::new(r"(?m)^((?:deny|violation|warn)(?:_[A-Za-z0-9_]+)?|exception)\s*(?:\[|contains\b|if\b|\{|:=|=)").ok()
    });
    unique_heads(re.as_ref(), text)
}

/// The first capture of every match of `re` in `text`, each name once, in order of first use.
fn unique_heads(re: Option<&Regex>, text: &str) -> Vec<String> {
    let mut seen = std::collections::HashSet::new();
    re.map(|r| {
        r.captures_iter(text)
            .filter_map(|c| c.get(1))
            .map(|m| m.as_str().to_owned())
            .filter(|n| seen.insert(n.clone()))
            .collect()
    })
    .unwrap_or_default()
}

fn classify(name: &str) -> (Option<Level>, String) {
    for (prefix, level) in [
        ("deny", Level::Deny),
        ("violation", Level::Deny),
        ("warn", Level::Warn),
    ] {
        if name == prefix {
            return (Some(level), String::new());
        }
        if let Some(rest) = name.strip_prefix(prefix).and_then(|r| r.strip_prefix('_')) {
            return (Some(level), rest.to_owned());
        }
    }
    (None, String::new())
}

/// The built-in rules compiled for regorus's VM.
struct CompiledRules {
    policy: regorus::CompiledPolicy,
    program: std::sync::Arc<regorus::rvm::program::Program>,
    data: regorus::Value,
    #[cfg_attr(target_arch = "wasm32", allow(dead_code))]
    time_limit: Option<Duration>,
    /// Entry points evaluating several rules in one execution.
    batches: std::sync::Arc<Batches>,
}

/// Entry points evaluating several VM rules in one execution.
#[derive(Debug, Default)]
struct Batches {
    /// Each entry point, by the rules (indices into the rule list) it evaluates, in order.
    entries: std::collections::HashMap<Vec<usize>, String>,
    /// The per-rule time limit, of which a batch gets a quarter (see [`run_batch`]).
    #[cfg_attr(target_arch = "wasm32", allow(dead_code))]
    time_limit: Option<Duration>,
}

/// The timer for a time limit, reading the clock every 1024 instructions: reading it at every
/// step costs more than the policies themselves.
#[cfg(not(target_arch = "wasm32"))]
fn timer(limit: Duration) -> regorus::utils::limits::ExecutionTimerConfig {
    regorus::utils::limits::ExecutionTimerConfig {
        limit,
        check_interval: std::num::NonZeroU32::new(1024).unwrap_or(std::num::NonZeroU32::MIN),
    }
}

/// Runs the batch at `path`, which evaluates `n` rules: their values in order, or `None` when
/// the execution fails in any way (an error in a rule, a limit), for the caller to run the
/// rules one by one as it does without batches, each with its own limits and errors.
///
/// The batch gets a quarter of the time limit, so a batch cut short by time and then run rule
/// by rule still ends within about the time the rules alone would take.
fn run_batch(
    vm: &mut regorus::rvm::vm::RegoVM,
    path: &str,
    n: usize,
    time_limit: Option<Duration>,
) -> Option<Vec<regorus::Value>> {
    #[cfg(not(target_arch = "wasm32"))]
    if let Some(limit) = time_limit {
        vm.set_execution_timer_config(Some(timer(limit / 4)));
    }
    #[cfg(target_arch = "wasm32")]
    let _ = time_limit;
    let result = vm.execute_entry_point_by_name(path);
    #[cfg(not(target_arch = "wasm32"))]
    if let Some(limit) = time_limit {
        vm.set_execution_timer_config(Some(timer(limit)));
    }
    result.ok().and_then(|v| unbatch(&v, n))
}

impl std::fmt::Debug for CompiledRules {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CompiledRules")
    }
}

impl CompiledRules {
    fn vm(&self) -> Option<regorus::rvm::vm::RegoVM> {
        let mut vm = regorus::rvm::vm::RegoVM::new_with_policy(self.policy.clone());
        vm.load_program(self.program.clone());
        vm.set_data(self.data.clone()).ok()?;
        #[cfg(not(target_arch = "wasm32"))]
        if let Some(limit) = self.time_limit {
            vm.set_execution_timer_config(Some(timer(limit)));
        }
        Some(vm)
    }
}

/// Compiled policies, shared read-only; take an [`Evaluator`] per worker.
#[derive(Debug, Clone)]
pub struct PolicySet {
    vm: Option<std::sync::Arc<CompiledRules>>,
    engine: regorus::Engine,
    /// Whether a policy module reads `data.kvet.review`, which is then set per object.
    reads_review: bool,
    rules: Vec<RuleRef>,
    packages: Vec<Package>,
    constraints: Vec<gatekeeper::Constraint>,
    namespace_labels: std::sync::Arc<NamespaceLabels>,
}

impl PolicySet {
    /// An evaluator with its own copy of the compiled engine.
    pub fn evaluator(&self) -> Evaluator {
        Evaluator {
            vm: self.vm.as_ref().and_then(|c| c.vm()),
            batches: self
                .vm
                .as_ref()
                .map(|c| c.batches.clone())
                .unwrap_or_default(),
            engine: self.engine.clone(),
            rules: self.rules.clone(),
            packages: self.packages.clone(),
            constraints: self.constraints.clone(),
            namespace_labels: self.namespace_labels.clone(),
            reads_review: self.reads_review,
            base_data: None,
            review: None,
            vm_data: self.vm.as_ref().map(|c| c.data.clone()),
            extra: None,
        }
    }

    /// The rule ids that will be evaluated: `package.rule` for conftest rules, `Kind/name`
    /// for Gatekeeper constraints.
    pub fn rule_ids(&self) -> Vec<String> {
        self.rules
            .iter()
            .map(|r| r.id.clone())
            .chain(
                self.constraints
                    .iter()
                    .map(|c| format!("{}/{}", c.kind, c.name)),
            )
            .collect()
    }
}

/// Evaluates objects against a [`PolicySet`]; one per thread.
pub struct Evaluator {
    vm: Option<regorus::rvm::vm::RegoVM>,
    batches: std::sync::Arc<Batches>,
    engine: regorus::Engine,
    rules: Vec<RuleRef>,
    packages: Vec<Package>,
    constraints: Vec<gatekeeper::Constraint>,
    namespace_labels: std::sync::Arc<NamespaceLabels>,
    reads_review: bool,
    /// The data document before `data.kvet.review` was set, taken at the first review.
    base_data: Option<regorus::Value>,
    /// The admission request the next evaluations see (see [`Evaluator::set_review`]).
    review: Option<Value>,
    /// The VM's data document as compiled (restored when extra data is cleared).
    vm_data: Option<regorus::Value>,
    /// Data merged into `data` for the next evaluations (see [`Evaluator::set_extra_data`]).
    extra: Option<Value>,
}

/// `extra` merged into `base`: objects key by key, anything else replaced.
fn merge_json(base: &mut Value, extra: Value) {
    match (base, extra) {
        (Value::Object(b), Value::Object(e)) => {
            for (k, v) in e {
                match b.get_mut(&k) {
                    Some(slot) => merge_json(slot, v),
                    None => {
                        b.insert(k, v);
                    }
                }
            }
        }
        (slot, e) => *slot = e,
    }
}

/// Where conftest-style policies find the admission request (Gatekeeper's `input.review`).
const REVIEW_DATA: &str = "kvet.review";

impl Evaluator {
    /// Every decision for `input`, rules in id order. A rule that fails at run time (or runs
    /// past the time limit) is an error for this input only.
    ///
    /// Policies see the admission request set with [`Evaluator::set_review`] — Gatekeeper
    /// templates as `input.review`, other policies as `data.kvet.review` — or, when none is
    /// set, a CREATE of `input` by user `kvet`, as Gatekeeper's gator presents a manifest.
    pub fn evaluate(&mut self, input: &Value) -> Result<Vec<Decision>, EvalError> {
        let kind = input.get("kind").and_then(Value::as_str).unwrap_or("");
        let applies =
            |r: &RuleRef| !r.combined && (r.kinds.is_empty() || r.kinds.iter().any(|k| k == kind));
        self.evaluate_rules(input, applies)
    }

    /// Every decision for `input` under an admission request: `review` is Gatekeeper's
    /// `input.review` — the AdmissionRequest (`operation`, `userInfo`, `oldObject`, `dryRun`,
    /// `name`, `namespace`, `kind` …) with `object` in it.
    pub fn evaluate_review(
        &mut self,
        input: &Value,
        review: &Value,
    ) -> Result<Vec<Decision>, EvalError> {
        let before = self.review.replace(review.clone());
        let result = self.evaluate(input);
        self.review = before;
        result
    }

    /// Sets (or, with `None`, clears) the admission request that the following evaluations
    /// see; for callers that evaluate through another layer, such as a whole-file check.
    pub fn set_review(&mut self, review: Option<Value>) {
        self.review = review;
    }

    /// Merges `extra` into the data document the following evaluations see (with `None`,
    /// restores the compiled one): per-call facts such as a request's `data.kvet.images`,
    /// for policies on both the VM and the interpreter.
    pub fn set_extra_data(&mut self, extra: Option<Value>) -> Result<(), EvalError> {
        if extra.is_none() && self.extra.is_none() {
            return Ok(());
        }
        let failed = |message: String| EvalError {
            rule: "data".to_owned(),
            message,
        };
        if let (Some(vm), Some(base)) = (self.vm.as_mut(), &self.vm_data) {
            let data = match &extra {
                Some(e) => {
                    let mut merged =
                        serde_json::to_value(base).map_err(|e| failed(e.to_string()))?;
                    merge_json(&mut merged, e.clone());
                    regorus::Value::from(merged)
                }
                None => base.clone(),
            };
            vm.set_data(data).map_err(|e| failed(e.to_string()))?;
        }
        let base = match &self.base_data {
            Some(b) => b.clone(),
            None => {
                let b = self.engine.get_data();
                self.base_data = Some(b.clone());
                b
            }
        };
        self.engine.clear_data();
        self.engine
            .add_data(base)
            .map_err(|e| failed(e.to_string()))?;
        if let Some(e) = &extra {
            self.engine
                .add_data(regorus::Value::from(e.clone()))
                .map_err(|e| failed(e.to_string()))?;
        }
        self.extra = extra;
        Ok(())
    }

    /// Whether some policy reads the admission request (a Gatekeeper constraint's
    /// `input.review`, or `data.kvet.review`): otherwise [`Evaluator::set_review`] changes no
    /// decision, and a caller need not build the review.
    pub fn reads_review(&self) -> bool {
        self.reads_review || !self.constraints.is_empty()
    }

    /// The review policies see for `input`: the one set, or gator's CREATE.
    fn review_of(&self, input: &Value) -> Value {
        self.review
            .clone()
            .unwrap_or_else(|| gatekeeper::review(input))
    }

    /// Makes `data.kvet.review` the review of `input`, for policies that read it.
    fn set_review_data(&mut self, input: &Value) -> Result<(), EvalError> {
        let review = self.review_of(input);
        let base = match &self.base_data {
            Some(b) => b.clone(),
            None => {
                let b = self.engine.get_data();
                self.base_data = Some(b.clone());
                b
            }
        };
        let failed = |message: String| EvalError {
            rule: format!("data.{REVIEW_DATA}"),
            message,
        };
        self.engine.clear_data();
        self.engine
            .add_data(base)
            .map_err(|e| failed(e.to_string()))?;
        if let Some(e) = &self.extra {
            self.engine
                .add_data(regorus::Value::from(e.clone()))
                .map_err(|e| failed(e.to_string()))?;
        }
        self.engine
            .add_data(regorus::Value::from(
                serde_json::json!({"kvet": {"review": review}}),
            ))
            .map_err(|e| failed(e.to_string()))
    }

    /// Whether some rules are evaluated on all inputs at once (see
    /// [`PolicySetBuilder::combine`]).
    pub fn has_combined(&self) -> bool {
        self.rules.iter().any(|r| r.combined)
    }

    /// Evaluates the combined rules once on `inputs`: conftest's list of
    /// `{"path": …, "contents": …}`.
    pub fn evaluate_combined(&mut self, inputs: &Value) -> Result<Vec<Decision>, EvalError> {
        // Constraints are per object and are not evaluated here.
        self.evaluate_rules(inputs, |r: &RuleRef| r.combined)
    }

    fn evaluate_rules(
        &mut self,
        input: &Value,
        applies: impl Fn(&RuleRef) -> bool,
    ) -> Result<Vec<Decision>, EvalError> {
        let per_object = !self.rules.iter().any(|r| r.combined && applies(r));
        let mut out = Vec::new();
        // Most objects are not what a kind-specific policy reads: skip the engine entirely.
        if !self.rules.iter().any(&applies) {
            if per_object {
                self.evaluate_constraints(input, &mut out)?;
            }
            return Ok(out);
        }
        let has_vm = self.vm.is_some();
        let on_vm = move |r: &RuleRef| r.builtin && has_vm;
        // Which rules run: those that apply, less the built-in rules whose screen the object
        // does not pass (they could find nothing in it). On the VM, a batch of all the rules
        // that apply can be cheaper than several of them alone: with more than SCREENED_ALONE
        // rules left, the batch runs them all, as without screens.
        let rules = &self.rules;
        let mut run: Vec<bool> = rules.iter().map(&applies).collect();
        let roots = screen::Roots::of(input);
        let screened_out = |r: &RuleRef| r.screen.as_ref().is_some_and(|s| !s.admits_in(&roots));
        let vm_members = |run: &[bool]| -> Vec<usize> {
            (0..run.len())
                .filter(|&i| run[i] && on_vm(&rules[i]))
                .collect()
        };
        let all_vm = vm_members(&run);
        for (i, r) in rules.iter().enumerate() {
            if run[i] && !on_vm(r) && screened_out(r) {
                run[i] = false;
            }
        }
        let left: Vec<usize> = all_vm
            .iter()
            .copied()
            .filter(|&i| !screened_out(&rules[i]))
            .collect();
        if left.len() <= SCREENED_ALONE || !self.batches.entries.contains_key(&all_vm) {
            for &i in &all_vm {
                run[i] = left.contains(&i);
            }
        }
        let members = vm_members(&run);
        if !run.iter().any(|&r| r) {
            if per_object {
                self.evaluate_constraints(input, &mut out)?;
            }
            return Ok(out);
        }
        // Deserialized from the borrowed value: no copy of the input on the way.
        let value_in = <regorus::Value as serde::Deserialize>::deserialize(input)
            .unwrap_or(regorus::Value::Undefined);
        if (0..run.len()).any(|i| run[i] && !on_vm(&self.rules[i])) {
            self.engine.set_input(value_in.clone());
            if self.reads_review && per_object {
                self.set_review_data(input)?;
            }
        }
        // The VM rules that run, in one execution when a batch covers exactly them. A batch
        // that fails (an error, a limit) is dropped: the rules then run one by one, as without
        // batches, so errors name the rule that failed.
        let mut batched: Option<std::vec::IntoIter<regorus::Value>> = None;
        if let Some(vm) = self.vm.as_mut().filter(|_| !members.is_empty()) {
            vm.set_input(value_in);
            if let Some(path) = self.batches.entries.get(&members) {
                batched =
                    run_batch(vm, path, members.len(), self.batches.time_limit).map(Vec::into_iter);
            }
        }
        let mut waived: Vec<Option<Vec<String>>> = vec![None; self.packages.len()];
        for (r, _) in self.rules.iter().zip(&run).filter(|(_, &runs)| runs) {
            let result = match self.vm.as_mut() {
                Some(_) if r.builtin && batched.is_some() => Ok(batched
                    .as_mut()
                    .and_then(Iterator::next)
                    .unwrap_or(regorus::Value::Undefined)),
                Some(vm) if r.builtin => vm
                    .execute_entry_point_by_name(&r.path)
                    .map_err(|e| e.to_string()),
                _ => self
                    .engine
                    .eval_rule(r.path.clone())
                    .map_err(|e| e.to_string()),
            };
            let value = result.map_err(|e| EvalError {
                rule: r.id.clone(),
                message: locate_error(&e, "").message,
            })?;
            let value = to_json(&value);
            if is_empty_result(&value) {
                continue;
            }
            if !r.suffix.is_empty() {
                let w = match &mut waived[r.package] {
                    Some(w) => w,
                    slot => {
                        let names = match &self.packages[r.package].exception {
                            Some(path) => self
                                .engine
                                .eval_rule(path.clone())
                                .map(|v| exception_names(&to_json(&v)))
                                .map_err(|e| EvalError {
                                    rule: path.trim_start_matches("data.").to_owned(),
                                    message: e.to_string(),
                                })?,
                            None => Vec::new(),
                        };
                        slot.insert(names)
                    }
                };
                if w.contains(&r.suffix) {
                    continue;
                }
            }
            results(&value, |message, pointer, metadata| {
                out.push(Decision {
                    rule: r.id.clone(),
                    level: r.level,
                    message,
                    pointer,
                    metadata,
                })
            });
        }
        if per_object {
            self.evaluate_constraints(input, &mut out)?;
        }
        Ok(out)
    }

    fn evaluate_constraints(
        &mut self,
        input: &Value,
        out: &mut Vec<Decision>,
    ) -> Result<(), EvalError> {
        if self.constraints.is_empty() {
            return Ok(());
        }
        // Converted once: a review carries the object and, on UPDATE, its previous version.
        let review = regorus::Value::from(self.review_of(input));
        for c in &self.constraints {
            if !gatekeeper::matches(&c.matcher, input, &self.namespace_labels) {
                continue;
            }
            let id = format!("{}/{}", c.kind, c.name);
            let mut constraint_input = regorus::Value::new_object();
            if let Ok(m) = constraint_input.as_object_mut() {
                m.insert(regorus::Value::from("review"), review.clone());
                m.insert(
                    regorus::Value::from("parameters"),
                    regorus::Value::from(c.parameters.clone()),
                );
            }
            self.engine.set_input(constraint_input);
            let value = self
                .engine
                .eval_rule(c.rule_path.clone())
                .map_err(|e| EvalError {
                    rule: id.clone(),
                    message: locate_error(&e.to_string(), "").message,
                })?;
            let value = to_json(&value);
            if is_empty_result(&value) {
                continue;
            }
            let level = match c.action {
                Action::Deny => Level::Deny,
                Action::Warn | Action::DryRun => Level::Warn,
            };
            results(&value, |message, pointer, metadata| {
                // Gatekeeper results carry their extra data under `details`.
                let pointer = pointer.or_else(|| {
                    metadata
                        .as_ref()
                        .and_then(|m| m.pointer("/details/_loc"))
                        .and_then(Value::as_str)
                        .map(str::to_owned)
                });
                out.push(Decision {
                    rule: id.clone(),
                    level,
                    message,
                    pointer,
                    metadata,
                })
            });
        }
        Ok(())
    }
}

/// The values of a batch's rules: each rule's comprehension holds its value, or nothing when
/// the rule is undefined.
fn unbatch(v: &regorus::Value, n: usize) -> Option<Vec<regorus::Value>> {
    let items = v.as_array().ok()?;
    if items.len() != n {
        return None;
    }
    items
        .iter()
        .map(|i| {
            let one = i.as_array().ok()?;
            Some(one.first().cloned().unwrap_or(regorus::Value::Undefined))
        })
        .collect()
}

fn to_json(v: &regorus::Value) -> Value {
    match v {
        regorus::Value::Undefined => Value::Null,
        other => serde_json::to_value(other).unwrap_or(Value::Null),
    }
}

fn is_empty_result(v: &Value) -> bool {
    match v {
        Value::Null | Value::Bool(false) => true,
        Value::Array(a) => a.is_empty(),
        Value::String(s) => s.is_empty(),
        _ => false,
    }
}

fn exception_names(v: &Value) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack = vec![v];
    while let Some(v) = stack.pop() {
        match v {
            Value::String(s) => out.push(s.clone()),
            Value::Array(a) => stack.extend(a.iter()),
            _ => {}
        }
    }
    out
}

fn results(v: &Value, mut emit: impl FnMut(String, Option<String>, Option<Value>)) {
    let items: Vec<&Value> = match v {
        Value::Array(a) => a.iter().collect(),
        other => vec![other],
    };
    for item in items {
        match item {
            Value::String(s) => emit(s.clone(), None, None),
            Value::Bool(true) => emit(String::new(), None, None),
            Value::Object(m) => {
                let message = match m.get("msg") {
                    Some(Value::String(s)) => s.clone(),
                    Some(other) => other.to_string(),
                    None => Value::Object(m.clone()).to_string(),
                };
                let pointer = m.get("_loc").and_then(|l| match l {
                    Value::String(s) => Some(s.clone()),
                    Value::Object(o) => o.get("pointer").and_then(Value::as_str).map(str::to_owned),
                    _ => None,
                });
                let rest: Map<String, Value> = m
                    .iter()
                    .filter(|(k, _)| *k != "msg" && *k != "_loc")
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect();
                emit(
                    message,
                    pointer,
                    (!rest.is_empty()).then_some(Value::Object(rest)),
                );
            }
            other => emit(other.to_string(), None, None),
        }
    }
}

/// The outcome of one `test_*` rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TestOutcome {
    /// The file defining the test.
    pub file: String,
    /// `package.test_name`.
    pub name: String,
    /// Passed, failed (false or undefined) or errored.
    pub result: TestResult,
}

/// How a test ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TestResult {
    /// The rule evaluated to true.
    Pass,
    /// The rule was false or undefined.
    Fail,
    /// Evaluation failed.
    Error(String),
}

/// Runs every `test_*` rule of the modules, as `opa test` does: a test passes when its rule is
/// true. Modules and data are loaded like policies; load errors are returned located.
pub fn run_tests(
    modules: &[(String, String)],
    data: Option<Value>,
) -> Result<Vec<TestOutcome>, Vec<PolicyError>> {
    static TEST_RE: OnceLock<Option<Regex>> = OnceLock::new();
    let re = TEST_RE.get_or_init(|| Regex::new(r"(?m)^(test_[A-Za-z0-9_]+)\b").ok());
    let mut engine = regorus::Engine::new();
    let mut errors = Vec::new();
    let mut tests: Vec<(String, String, String)> = Vec::new();
    for (path, text) in modules {
        match add_module(&mut engine, path, text) {
            Ok(package) => {
                for n in unique_heads(re.as_ref(), text) {
                    if !tests.iter().any(|(_, p, t)| *p == package && *t == n) {
                        tests.push((path.clone(), package.clone(), n));
                    }
                }
            }
            Err(e) => errors.push(e),
        }
    }
    if let Some(d) = data {
        if let Err(e) = add_data(&mut engine, d) {
            errors.push(e);
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    let mut out = Vec::new();
    for (file, package, name) in tests {
        let result = match engine.eval_rule(format!("{package}.{name}")) {
            Ok(regorus::Value::Bool(true)) => TestResult::Pass,
            Ok(_) => TestResult::Fail,
            Err(e) => TestResult::Error(locate_error(&e.to_string(), &file).message),
        };
        out.push(TestOutcome {
            file,
            name: format!("{}.{name}", package.trim_start_matches("data.")),
            result,
        });
    }
    Ok(out)
}

/// Reads a data file (YAML or JSON) into a value for [`PolicySetBuilder::data`].
pub fn read_data(file: &str, text: &str) -> Result<Value, PolicyError> {
    match kvet_yaml::parse_one(text, &kvet_yaml::Limits::default()) {
        Ok(Some(doc)) => Ok(doc.value),
        Ok(None) => Ok(Value::Object(Map::new())),
        Err(e) => Err(PolicyError {
            file: file.to_owned(),
            line: e.span.start.line,
            column: e.span.start.column,
            message: e.message,
        }),
    }
}

/// Caps the memory policy evaluation may take: once the process holds more than `headroom`
/// bytes beyond what it holds now, the evaluation under way fails with a memory-limit error
/// (for that object only). The ceiling is process-wide, so set it after loading inputs and
/// policies; `None` removes it. Has no effect in WebAssembly, where the host bounds memory.
pub fn set_memory_headroom(headroom: Option<u64>) {
    #[cfg(not(target_family = "wasm"))]
    {
        let Some(headroom) = headroom else {
            regorus::set_global_memory_limit(None);
            return;
        };
        // The allocator's count of live bytes is only read through a limit check.
        regorus::flush_thread_memory_counters();
        regorus::set_global_memory_limit(Some(0));
        let usage = match regorus::check_global_memory_limit() {
            Err(regorus::LimitError::MemoryLimitExceeded { usage, .. }) => usage,
            _ => 0,
        };
        regorus::set_global_memory_limit(Some(usage.saturating_add(headroom)));
    }
    #[cfg(target_family = "wasm")]
    let _ = headroom;
}
