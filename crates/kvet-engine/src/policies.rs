//! Loading user policies (`--policy`, `--data`) into a compiled [`PolicySet`].

use crate::finding::{Finding, Location, Severity};
use crate::input::{self, SourceFile};
use kvet_policy::{read_data, Namespaces, PolicyError, PolicySet, PolicySetBuilder};
use rayon::prelude::*;
use serde_json::Value;
use std::path::PathBuf;

/// Every object among the inputs (a parse of its own: only referential policies need it).
fn input_objects(inputs: &[SourceFile]) -> Vec<Value> {
    inputs
        .par_iter()
        .flat_map_iter(|f| {
            let stream = kvet_yaml::parse_stream(&f.text, &kvet_yaml::Limits::default());
            let mut objects = Vec::new();
            let mut ignored = Vec::new();
            for doc in stream.documents {
                crate::object::objects_of(&f.path, doc, &mut objects, &mut ignored);
            }
            objects.into_iter().map(|o| o.value)
        })
        .collect()
}
use std::time::Duration;

/// Where policies come from and how they apply.
#[derive(Debug, Clone, Default)]
pub struct PolicySources {
    /// `.rego` files and directories (`*_test.rego` files are skipped).
    pub policies: Vec<PathBuf>,
    /// YAML or JSON files merged into `data`.
    pub data: Vec<PathBuf>,
    /// Documents merged into `data` that a front end computed (image facts), by a name for
    /// errors.
    pub extra_data: Vec<(String, Value)>,
    /// Built-in policy sets by id (`kvet policies list`).
    pub sets: Vec<String>,
    /// Packages to evaluate.
    pub namespaces: Namespaces,
    /// Evaluation time limit per object.
    pub time_limit: Option<Duration>,
    /// Parameters of the built-in policies, by policy id (`data.kvet.parameters`).
    pub parameters: serde_json::Map<String, Value>,
    /// Pod Security Standards version (Kubernetes minor; `None` for latest), as
    /// `data.kvet.pss.minor`.
    pub pss_minor: Option<u32>,
    /// conftest's `--combine`: user rules see every object at once.
    pub combine: bool,
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

/// Reads and compiles the policies: `.rego` modules, and Gatekeeper ConstraintTemplates and
/// constraints in YAML or JSON files. `inputs` are the files under check, from which
/// `data.inventory` and Namespace labels are built when a template or constraint needs them.
/// Every problem is a located `policy-load` or `input` finding; `Ok(None)` when no policy was
/// named.
pub fn load_policies(
    src: &PolicySources,
    inputs: &[SourceFile],
) -> Result<Option<PolicySet>, Vec<Finding>> {
    if src.policies.is_empty() && src.sets.is_empty() {
        return Ok(None);
    }
    let mut kvet = serde_json::Map::new();
    if !src.parameters.is_empty() {
        kvet.insert(
            "parameters".to_owned(),
            Value::Object(src.parameters.clone()),
        );
    }
    if let Some(minor) = src.pss_minor {
        kvet.insert("pss".to_owned(), serde_json::json!({ "minor": minor }));
    }
    let (paths, mut problems) =
        input::discover_with(&src.policies, &["rego", "yaml", "yml", "json"]);
    let mut builder = PolicySetBuilder::new();
    builder.namespaces(src.namespaces.clone());
    builder.time_limit(src.time_limit);
    builder.combine(src.combine);
    if !kvet.is_empty() {
        if let Err(e) = builder.data(".kvet.yaml", serde_json::json!({ "kvet": kvet })) {
            problems.push(policy_finding(e));
        }
    }
    let mut count = 0;
    for set in &src.sets {
        match builder.builtin(set) {
            Ok(_) => count += 1,
            Err(e) => problems.push(policy_finding(e)),
        }
    }
    for p in paths {
        if p.to_string_lossy().ends_with("_test.rego") {
            continue;
        }
        let is_rego = p.extension().is_some_and(|e| e == "rego");
        match input::read_file(&p) {
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
                // A broken YAML file in a policy directory only matters if it was meant as
                // policy; report it when it is named directly.
                if src
                    .policies
                    .iter()
                    .any(|p| p.as_path() == std::path::Path::new(&path))
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
        problems.push(input::input_finding(
            &src.policies
                .iter()
                .map(|p| p.display().to_string())
                .collect::<Vec<_>>()
                .join(", "),
            "no Rego policies or Gatekeeper templates found",
        ));
    }
    let (data_files, data_problems) = input::load(&src.data);
    problems.extend(data_problems);
    for f in data_files {
        match read_data(&f.path, &f.text).and_then(|v| builder.data(&f.path, v).map(|_| ())) {
            Ok(()) => {}
            Err(e) => problems.push(policy_finding(e)),
        }
    }
    for (name, value) in &src.extra_data {
        if let Err(e) = builder.data(name, value.clone()) {
            problems.push(policy_finding(e));
        }
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    if builder.wants_inventory() || builder.wants_namespaces() {
        feed_objects(&mut builder, &input_objects(inputs));
    }
    builder
        .build()
        .map(Some)
        .map_err(|errs| errs.into_iter().map(policy_finding).collect())
}

/// Gives the builder what templates and constraints read from the inputs: Namespace labels,
/// and `data.inventory` when a template asks for it.
pub(crate) fn feed_objects(builder: &mut PolicySetBuilder, objects: &[Value]) {
    builder.namespace_labels(
        objects
            .iter()
            .filter(|o| o.get("kind").and_then(Value::as_str) == Some("Namespace"))
            .filter_map(|o| {
                let name = o.pointer("/metadata/name")?.as_str()?.to_owned();
                let labels = o
                    .pointer("/metadata/labels")
                    .and_then(Value::as_object)
                    .cloned()
                    .unwrap_or_default();
                Some((name, labels))
            })
            .collect(),
    );
    if builder.wants_inventory() {
        builder.inventory(kvet_policy::gatekeeper::inventory(objects.iter()));
    }
}
