//! The check pipeline on the manifests under fixtures/: every finding asserted exactly.

use kvet_engine::{check, input, CheckOptions, Finding, KubeVersion, Report, SourceFile};
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn load(rel: &[&str]) -> Vec<SourceFile> {
    let base = root();
    let paths: Vec<PathBuf> = rel.iter().map(|r| base.join(r)).collect();
    let (files, problems) = input::discover(&paths);
    assert!(problems.is_empty(), "{problems:?}");
    files
        .iter()
        .map(|p| {
            let mut f = match input::read_file(p) {
                Ok(f) => f,
                Err(finding) => SourceFile::new(p.display().to_string(), finding.message),
            };
            f.path = short(&f.path);
            f
        })
        .collect()
}

fn short(p: &str) -> String {
    p.rsplit_once("fixtures/").map_or(p.to_owned(), |(_, r)| r.to_owned())
}

fn version(v: &str) -> KubeVersion {
    v.parse().expect("version")
}

fn run(rel: &[&str], opts: CheckOptions) -> Report {
    check(&load(rel), opts).expect("check")
}

fn latest() -> CheckOptions {
    CheckOptions::new(*kvet_engine::embedded_versions().last().expect("schemas"))
}

/// (file, rule, pointer, line, column, message) — compact enough to list every finding.
type Row = (String, String, String, u32, u32, String);

fn rows(report: &Report) -> Vec<Row> {
    report
        .findings
        .iter()
        .map(|f: &Finding| {
            (
                f.location.file.clone(),
                f.rule.clone(),
                f.pointer.clone().unwrap_or_default(),
                f.location.line,
                f.location.column,
                f.message.clone(),
            )
        })
        .collect()
}

fn row(file: &str, rule: &str, pointer: &str, line: u32, col: u32, msg: &str) -> Row {
    (
        file.to_owned(),
        rule.to_owned(),
        pointer.to_owned(),
        line,
        col,
        msg.to_owned(),
    )
}

#[test]
fn valid_manifests_of_many_kinds_have_no_findings() {
    let report = run(&["fixtures/manifests/valid"], latest());
    assert_eq!(rows(&report), Vec::<Row>::new());
    let kinds: Vec<&str> = report.stats.kinds.keys().map(String::as_str).collect();
    assert!(kinds.len() >= 10, "{kinds:?}");
    assert_eq!(report.stats.objects, report.stats.validated);
}
