//! `kvet verify`: Gatekeeper test suites (`kind: Suite`), case by case, as `gator verify` runs
//! them.

use kvet_policy::{gatekeeper, PolicySetBuilder};
use regex::Regex;
use serde_json::Value;
use std::path::{Path, PathBuf};

/// The result of one case of one test.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseResult {
    /// The suite file.
    pub suite: String,
    /// `test/case`.
    pub name: String,
    /// `None` when every assertion held, else why not.
    pub failure: Option<String>,
}

fn docs(path: &Path) -> Result<Vec<(Value, kvet_yaml::SpanMap)>, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let stream = kvet_yaml::parse_stream(&text, &kvet_yaml::Limits::default());
    if let Some(e) = stream.errors.first() {
        return Err(format!(
            "{}:{}:{}: {}",
            path.display(),
            e.span.start.line,
            e.span.start.column,
            e.message
        ));
    }
    Ok(stream
        .documents
        .into_iter()
        .map(|d| (d.value, d.spans))
        .collect())
}

/// Finds suite files (documents of kind `Suite`) under `paths`.
pub fn find_suites(paths: &[PathBuf]) -> Vec<PathBuf> {
    let (files, _) = crate::input::discover(paths);
    files
        .into_iter()
        .filter(|f| {
            std::fs::read_to_string(f).is_ok_and(|t| {
                t.contains("kind: Suite")
                    && docs(f).is_ok_and(|d| {
                        d.iter()
                            .any(|(v, _)| v.get("kind").and_then(Value::as_str) == Some("Suite"))
                    })
            })
        })
        .collect()
}

/// Runs every case of the suite at `path`.
pub fn run_suite(path: &Path) -> Vec<CaseResult> {
    let suite_name = path.display().to_string();
    let base = path.parent().unwrap_or(Path::new("."));
    let mut out = Vec::new();
    let fail = |name: String, why: String| CaseResult {
        suite: suite_name.clone(),
        name,
        failure: Some(why),
    };
    let suites = match docs(path) {
        Ok(d) => d,
        Err(e) => return vec![fail("(suite)".into(), e)],
    };
    for (suite, _) in suites
        .iter()
        .filter(|(v, _)| v.get("kind").and_then(Value::as_str) == Some("Suite"))
    {
        for test in suite
            .get("tests")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let tname = test.get("name").and_then(Value::as_str).unwrap_or("test");
            let load = |key: &str| -> Result<Vec<(Value, kvet_yaml::SpanMap)>, String> {
                let rel = test
                    .get(key)
                    .and_then(Value::as_str)
                    .ok_or_else(|| format!("test has no {key}"))?;
                docs(&base.join(rel))
            };
            let (template, constraint) = match (load("template"), load("constraint")) {
                (Ok(t), Ok(c)) => (t, c),
                (Err(e), _) | (_, Err(e)) => {
                    out.push(fail(tname.to_owned(), e));
                    continue;
                }
            };
            for case in test
                .get("cases")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                let cname = format!(
                    "{tname}/{}",
                    case.get("name").and_then(Value::as_str).unwrap_or("case")
                );
                let result = run_case(base, &template, &constraint, case);
                out.push(CaseResult {
                    suite: suite_name.clone(),
                    name: cname,
                    failure: result.err(),
                });
            }
        }
    }
    out
}

fn run_case(
    base: &Path,
    template: &[(Value, kvet_yaml::SpanMap)],
    constraint: &[(Value, kvet_yaml::SpanMap)],
    case: &Value,
) -> Result<(), String> {
    let object_file = case
        .get("object")
        .and_then(Value::as_str)
        .ok_or("case has no object")?;
    let object = docs(&base.join(object_file))?
        .into_iter()
        .next()
        .map(|(v, _)| v)
        .ok_or_else(|| format!("{object_file} holds no object"))?;
    let mut inventory = Vec::new();
    for inv in case
        .get("inventory")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
    {
        inventory.extend(docs(&base.join(inv))?.into_iter().map(|(v, _)| v));
    }
    let mut b = PolicySetBuilder::new();
    for (v, s) in template.iter().chain(constraint) {
        b.gatekeeper("suite", v, Some(s));
    }
    b.namespace_labels(
        inventory
            .iter()
            .filter(|o| o.get("kind").and_then(Value::as_str) == Some("Namespace"))
            .filter_map(|o| {
                Some((
                    o.pointer("/metadata/name")?.as_str()?.to_owned(),
                    o.pointer("/metadata/labels")
                        .and_then(Value::as_object)
                        .cloned()
                        .unwrap_or_default(),
                ))
            })
            .collect(),
    );
    b.inventory(gatekeeper::inventory(inventory.iter()));
    let set = b.build().map_err(|errs| {
        errs.iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join("; ")
    })?;
    let decisions = set
        .evaluator()
        .evaluate(&object)
        .map_err(|e| e.to_string())?;
    let messages: Vec<&str> = decisions.iter().map(|d| d.message.as_str()).collect();
    for a in case
        .get("assertions")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let matching: Vec<&str> = match a.get("message").and_then(Value::as_str) {
            Some(re) => {
                let re = Regex::new(re).map_err(|e| format!("bad message regex {re:?}: {e}"))?;
                messages
                    .iter()
                    .copied()
                    .filter(|m| re.is_match(m))
                    .collect()
            }
            None => messages.clone(),
        };
        let n = matching.len();
        let (ok, want) = match a.get("violations") {
            None => (n > 0, "at least one violation".to_owned()),
            Some(Value::Bool(true)) => (n > 0, "at least one violation".to_owned()),
            Some(Value::String(s)) if s == "yes" => (n > 0, "at least one violation".to_owned()),
            Some(Value::Bool(false)) => (n == 0, "no violations".to_owned()),
            Some(Value::String(s)) if s == "no" => (n == 0, "no violations".to_owned()),
            Some(Value::Number(k)) => (
                k.as_u64() == Some(n as u64),
                format!("exactly {k} violation(s)"),
            ),
            Some(other) => return Err(format!("unknown assertion violations: {other}")),
        };
        if !ok {
            let filter = a
                .get("message")
                .and_then(Value::as_str)
                .map(|m| format!(" matching {m:?}"))
                .unwrap_or_default();
            return Err(format!("expected {want}{filter}, got {n}: {:?}", messages));
        }
    }
    Ok(())
}
