//! `--output json`: the findings and the counts, the shape the WASM module returns too.

use crate::{Report, Severity};
use serde_json::json;
use std::collections::BTreeMap;

/// Renders the report as pretty JSON.
pub fn json(report: &Report, kube_version: &str) -> String {
    let count = |s: Severity| report.findings.iter().filter(|f| f.severity == s).count();
    let mut by_rule: BTreeMap<&str, usize> = BTreeMap::new();
    for f in &report.findings {
        *by_rule.entry(f.rule.as_str()).or_default() += 1;
    }
    let doc = json!({
        "kubernetesVersion": kube_version,
        "findings": report.findings,
        "waived": report.waived.iter().map(|w| json!({
            "finding": w.finding,
            "approvedBy": w.approved_by,
            "reason": w.reason,
        })).collect::<Vec<_>>(),
        "summary": {
            "files": report.stats.files,
            "objects": report.stats.objects,
            "validated": report.stats.validated,
            "skipped": report.stats.skipped,
            "waived": report.waived.len(),
            "errors": count(Severity::Error),
            "warnings": count(Severity::Warning),
            "infos": count(Severity::Info),
            "byRule": by_rule,
            "byKind": report.stats.kinds,
        }
    });
    let mut s = serde_json::to_string_pretty(&doc).unwrap_or_default();
    s.push('\n');
    s
}
