//! `.kvet.yaml`: a repository's gate, committed once — schema options, policy sets and their
//! parameters, user policies, exceptions. Found upward from the working directory; paths in it
//! are relative to its own directory, which is also the project root for `file` selectors.
//!
//! ```yaml
//! kubernetesVersion: "1.33"
//! strict: true
//! policySets: [tag-pinning, pss-restricted, resources]
//! pssVersion: "1.33"            # or latest
//! parameters:
//!   allowed-registries: {registries: [registry.example.com]}
//! policies: [policy/]           # Rego and Gatekeeper YAML
//! exceptions: .kvet/exceptions.yaml   # or an inline list
//! selfWaivable: [probes]        # rules objects may waive with kvet.dev/waive
//! ```

use crate::exceptions::{Exception, Exceptions};
use crate::finding::{Finding, Location, Severity};
use serde_json::{Map, Value};
use std::path::{Path, PathBuf};

/// The names a config file may have, tried in order in each directory.
pub const CONFIG_NAMES: &[&str] = &[".kvet.yaml", ".kvet.yml"];

/// The exceptions file read when the config names none, relative to the project root.
pub const DEFAULT_EXCEPTIONS: &str = ".kvet/exceptions.yaml";

/// A parsed config file. Unset options are `None` or empty, so command-line flags can be laid
/// over them.
#[derive(Debug, Clone, Default)]
pub struct Config {
    /// The file it was read from.
    pub file: Option<PathBuf>,
    /// The directory paths are relative to.
    pub root: PathBuf,
    /// `1.NN`.
    pub kubernetes_version: Option<String>,
    /// Unknown fields are errors.
    pub strict: Option<bool>,
    /// Skip kinds without a schema.
    pub ignore_missing_schemas: Option<bool>,
    /// Schema location templates.
    pub schema_locations: Vec<String>,
    /// CRD files or directories.
    pub crds: Vec<PathBuf>,
    /// Kinds to skip.
    pub skip_kinds: Vec<String>,
    /// Kinds to check only.
    pub only_kinds: Vec<String>,
    /// Built-in policy sets; `None` keeps the defaults.
    pub policy_sets: Option<Vec<String>>,
    /// User policy files or directories.
    pub policies: Vec<PathBuf>,
    /// Data files for the policies.
    pub data: Vec<PathBuf>,
    /// Policy packages (globs).
    pub namespaces: Option<Vec<String>>,
    /// Pod Security Standards version: `latest` or `1.NN`.
    pub pss_version: Option<String>,
    /// Parameters of the built-in policies, by policy id.
    pub parameters: Map<String, Value>,
    /// Inline exceptions.
    pub exceptions: Vec<Exception>,
    /// An exceptions file named by the config.
    pub exceptions_file: Option<PathBuf>,
    /// Rules objects may waive themselves.
    pub self_waivable: Vec<String>,
    /// Evaluation time limit per object, in milliseconds.
    pub policy_timeout_ms: Option<u64>,
    /// Lowest severity that fails the run.
    pub fail_on: Option<Severity>,
}

fn problem(file: &str, doc: &Value, spans: &kvet_yaml::SpanMap, ptr: &str, msg: String) -> Finding {
    let l = spans.locate(doc, ptr);
    Finding {
        rule: "config".to_owned(),
        severity: Severity::Error,
        message: msg,
        location: Location::from_span(
            file,
            if l.exact {
                l.value
            } else {
                l.key.unwrap_or(l.value)
            },
        ),
        object: None,
        pointer: None,
        document: None,
        rendered: None,
    }
}

/// Looks for a config file in `start` and each directory above it.
pub fn discover(start: &Path) -> Option<PathBuf> {
    let mut dir = Some(start);
    while let Some(d) = dir {
        for name in CONFIG_NAMES {
            let p = d.join(name);
            if p.is_file() {
                return Some(p);
            }
        }
        dir = d.parent();
    }
    None
}

/// Parses a Pod Security Standards version: `latest` (None) or `1.NN` / `v1.NN` (Some(NN)).
pub fn parse_pss_version(s: &str) -> Result<Option<u32>, String> {
    let t = s.trim();
    if t == "latest" {
        return Ok(None);
    }
    let t = t.strip_prefix('v').unwrap_or(t);
    match t.split_once('.') {
        Some(("1", minor)) => minor.parse::<u32>().map(Some).map_err(|_| {
            format!("invalid Pod Security Standards version {s:?} (expected latest or 1.NN)")
        }),
        _ => Err(format!(
            "invalid Pod Security Standards version {s:?} (expected latest or 1.NN)"
        )),
    }
}

impl Config {
    /// Reads a config file; every problem is a located `config` finding.
    pub fn load(path: &Path) -> Result<Config, Vec<Finding>> {
        let shown = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|e| {
            vec![crate::input::input_finding(
                &shown,
                &format!("cannot read the config file: {e}"),
            )]
        })?;
        let root = path
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_else(|| PathBuf::from("."));
        let mut c = Config::parse(&shown, &text, &root)?;
        c.file = Some(path.to_path_buf());
        Ok(c)
    }

    /// Parses config text; relative paths are taken from `root`.
    pub fn parse(file: &str, text: &str, root: &Path) -> Result<Config, Vec<Finding>> {
        let doc = match kvet_yaml::parse_one(text, &kvet_yaml::Limits::default()) {
            Ok(Some(d)) => d,
            Ok(None) => {
                return Ok(Config {
                    root: root.to_path_buf(),
                    ..Default::default()
                })
            }
            Err(e) => {
                return Err(vec![Finding {
                    rule: "config".to_owned(),
                    severity: Severity::Error,
                    message: format!("invalid YAML: {}", e.message),
                    location: Location::from_span(file, e.span),
                    object: None,
                    pointer: None,
                    document: None,
                    rendered: None,
                }])
            }
        };
        let (v, spans) = (&doc.value, &doc.spans);
        let mut problems = Vec::new();
        let mut c = Config {
            root: root.to_path_buf(),
            ..Default::default()
        };
        let Some(map) = v.as_object() else {
            return Err(vec![problem(
                file,
                v,
                spans,
                "",
                "the config file must hold a mapping".into(),
            )]);
        };
        let path_of = |s: &str| {
            let p = Path::new(s);
            if p.is_absolute() {
                p.to_path_buf()
            } else {
                root.join(p)
            }
        };
        for (key, val) in map {
            let ptr = format!("/{}", key.replace('~', "~0").replace('/', "~1"));
            let mut bad = |what: &str| {
                problems.push(problem(
                    file,
                    v,
                    spans,
                    &ptr,
                    format!("{key} must be {what}"),
                ));
            };
            let string = |val: &Value| val.as_str().map(str::to_owned);
            let strings = |val: &Value| -> Option<Vec<String>> {
                match val {
                    Value::String(s) => Some(vec![s.clone()]),
                    Value::Array(a) => a.iter().map(|x| x.as_str().map(str::to_owned)).collect(),
                    _ => None,
                }
            };
            match key.as_str() {
                "kubernetesVersion" => match val {
                    Value::String(s) => c.kubernetes_version = Some(s.clone()),
                    // `1.30` written without quotes is a float: 1.3.
                    Value::Number(_) => bad("a quoted string such as \"1.30\" (unquoted, 1.30 is the number 1.3)"),
                    _ => bad("a string such as \"1.30\""),
                },
                "strict" => match val.as_bool() {
                    Some(b) => c.strict = Some(b),
                    None => bad("true or false"),
                },
                "ignoreMissingSchemas" => match val.as_bool() {
                    Some(b) => c.ignore_missing_schemas = Some(b),
                    None => bad("true or false"),
                },
                "schemaLocations" => match strings(val) {
                    // Local templates are relative to the config, URLs and `default` are not.
                    Some(l) => {
                        c.schema_locations = l
                            .into_iter()
                            .map(|s| {
                                if s == "default" || s.contains("://") || Path::new(&s).is_absolute() {
                                    s
                                } else {
                                    root.join(s).display().to_string()
                                }
                            })
                            .collect()
                    }
                    None => bad("a list of strings"),
                },
                "crds" => match strings(val) {
                    Some(l) => c.crds = l.iter().map(|s| path_of(s)).collect(),
                    None => bad("a list of paths"),
                },
                "skipKinds" => match strings(val) {
                    Some(l) => c.skip_kinds = l,
                    None => bad("a list of kinds"),
                },
                "onlyKinds" => match strings(val) {
                    Some(l) => c.only_kinds = l,
                    None => bad("a list of kinds"),
                },
                "policySets" => match strings(val) {
                    Some(l) => c.policy_sets = Some(l),
                    None => bad("a list of built-in policy ids (kvet policies list)"),
                },
                "policies" => match strings(val) {
                    Some(l) => c.policies = l.iter().map(|s| path_of(s)).collect(),
                    None => bad("a list of paths"),
                },
                "data" => match strings(val) {
                    Some(l) => c.data = l.iter().map(|s| path_of(s)).collect(),
                    None => bad("a list of paths"),
                },
                "namespaces" => match strings(val) {
                    Some(l) => c.namespaces = Some(l),
                    None => bad("a list of package globs"),
                },
                "pssVersion" => match string(val) {
                    Some(s) => match parse_pss_version(&s) {
                        Ok(_) => c.pss_version = Some(s),
                        Err(e) => problems.push(problem(file, v, spans, &ptr, e)),
                    },
                    None => bad("latest or a quoted \"1.NN\""),
                },
                "parameters" => match val {
                    Value::Object(m) => {
                        let known = kvet_policy::builtin_policies();
                        for (id, params) in m {
                            let pp = format!("{ptr}/{id}");
                            let Some(policy) = known.iter().find(|p| p.id == id) else {
                                problems.push(problem(
                                    file,
                                    v,
                                    spans,
                                    &pp,
                                    format!(
                                        "no built-in policy {id:?} takes parameters; built-in policies: {}",
                                        known.iter().map(|p| p.id).collect::<Vec<_>>().join(", ")
                                    ),
                                ));
                                continue;
                            };
                            let Some(pm) = params.as_object() else {
                                problems.push(problem(file, v, spans, &pp, format!("parameters of {id} must be a mapping")));
                                continue;
                            };
                            for name in pm.keys() {
                                if !policy.parameters.iter().any(|(n, _)| n == name) {
                                    let expected = policy
                                        .parameters
                                        .iter()
                                        .map(|(n, _)| n.as_str())
                                        .collect::<Vec<_>>()
                                        .join(", ");
                                    problems.push(problem(
                                        file,
                                        v,
                                        spans,
                                        &format!("{pp}/{name}"),
                                        format!(
                                            "{id} has no parameter {name:?} (its parameters: {})",
                                            if expected.is_empty() { "none" } else { &expected }
                                        ),
                                    ));
                                }
                            }
                        }
                        c.parameters = m.clone();
                    }
                    _ => bad("a mapping from policy id to its parameters"),
                },
                "exceptions" => match val {
                    Value::String(s) => c.exceptions_file = Some(path_of(s)),
                    _ => match Exceptions::from_document(file, v, spans, &ptr) {
                        Ok(list) => c.exceptions = list,
                        Err(e) => problems.extend(e),
                    },
                },
                "selfWaivable" => match strings(val) {
                    Some(l) => c.self_waivable = l,
                    None => bad("a list of rule ids (globs)"),
                },
                "policyTimeout" => match val {
                    Value::Number(n) if n.as_u64().is_some() => c.policy_timeout_ms = n.as_u64(),
                    Value::String(s) => match parse_duration_ms(s) {
                        Some(ms) => c.policy_timeout_ms = Some(ms),
                        None => bad("milliseconds, or a duration such as 500ms or 5s"),
                    },
                    _ => bad("milliseconds, or a duration such as 500ms or 5s"),
                },
                "failOn" => match val.as_str().map(str::parse::<Severity>) {
                    Some(Ok(s)) => c.fail_on = Some(s),
                    _ => bad("error, warning or info"),
                },
                other => problems.push(problem(
                    file,
                    v,
                    spans,
                    &ptr,
                    format!(
                        "unknown setting {other:?} (known: kubernetesVersion, strict, ignoreMissingSchemas, schemaLocations, crds, skipKinds, onlyKinds, policySets, policies, data, namespaces, pssVersion, parameters, exceptions, selfWaivable, policyTimeout, failOn)"
                    ),
                )),
            }
        }
        if problems.is_empty() {
            Ok(c)
        } else {
            Err(problems)
        }
    }
}

/// `250`, `250ms`, `5s`, `1m`.
fn parse_duration_ms(s: &str) -> Option<u64> {
    let s = s.trim();
    let (num, mult) = if let Some(n) = s.strip_suffix("ms") {
        (n, 1)
    } else if let Some(n) = s.strip_suffix('s') {
        (n, 1000)
    } else if let Some(n) = s.strip_suffix('m') {
        (n, 60_000)
    } else {
        (s, 1)
    };
    num.trim().parse::<u64>().ok().map(|n| n * mult)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_locates_problems() {
        let text = "policySets: [tag-pinning]\nkubernetesVersion: 1.30\nparameters:\n  tag-pinning: {digest_registry: [x]}\nbogus: 1\n";
        let errs = Config::parse(".kvet.yaml", text, Path::new("/repo")).unwrap_err();
        let lines: Vec<(u32, &str)> = errs
            .iter()
            .map(|f| (f.location.line, f.message.as_str()))
            .collect();
        assert_eq!(lines.len(), 3, "{lines:?}");
        assert_eq!(lines[0].0, 2);
        assert!(lines[0].1.contains("quoted"));
        assert_eq!(lines[1].0, 4);
        assert!(
            lines[1].1.contains("no parameter \"digest_registry\""),
            "{}",
            lines[1].1
        );
        assert_eq!(lines[2].0, 5);
        let ok = Config::parse(
            "c",
            "policies: [p]\npolicyTimeout: 2s\npssVersion: v1.28\nfailOn: warning\n",
            Path::new("/repo"),
        )
        .expect("config");
        assert_eq!(ok.policies, vec![PathBuf::from("/repo/p")]);
        assert_eq!(ok.policy_timeout_ms, Some(2000));
        assert_eq!(
            parse_pss_version(ok.pss_version.as_deref().unwrap_or("")),
            Ok(Some(28))
        );
        assert_eq!(ok.fail_on, Some(Severity::Warning));
    }
}
