//! Loading user policies (`--policy`, `--data`) into a compiled [`PolicySet`].

use crate::finding::{Finding, Location, Severity};
use crate::input::{self, SourceFile};
use kvet_policy::{read_data, Namespaces, PolicyError, PolicySet, PolicySetBuilder};
use std::path::PathBuf;
use std::time::Duration;

/// Where policies come from and how they apply.
#[derive(Debug, Clone, Default)]
pub struct PolicySources {
    /// `.rego` files and directories (`*_test.rego` files are skipped).
    pub policies: Vec<PathBuf>,
    /// YAML or JSON files merged into `data`.
    pub data: Vec<PathBuf>,
    /// Packages to evaluate.
    pub namespaces: Namespaces,
    /// Evaluation time limit per object.
    pub time_limit: Option<Duration>,
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
    }
}

/// Reads and compiles the policies; every problem is a located `policy-load` or `input`
/// finding. `Ok(None)` when no policy was named.
pub fn load_policies(src: &PolicySources) -> Result<Option<PolicySet>, Vec<Finding>> {
    if src.policies.is_empty() {
        return Ok(None);
    }
    let (paths, mut problems) = input::discover_with(&src.policies, &["rego"]);
    let mut builder = PolicySetBuilder::new();
    builder.namespaces(src.namespaces.clone());
    builder.time_limit(src.time_limit);
    let mut count = 0;
    for p in paths {
        if p.to_string_lossy().ends_with("_test.rego") {
            continue;
        }
        match input::read_file(&p) {
            Ok(SourceFile { path, text }) => {
                builder.module(path, text.to_string());
                count += 1;
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
            "no .rego policy files found",
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
    if !problems.is_empty() {
        return Err(problems);
    }
    builder
        .build()
        .map(Some)
        .map_err(|errs| errs.into_iter().map(policy_finding).collect())
}
