//! `--output sarif`: SARIF 2.1.0 as GitHub code scanning accepts it.

use super::rule_description;
use crate::{Report, Severity};
use serde_json::{json, Value};
use std::collections::BTreeMap;

fn level(s: Severity) -> &'static str {
    match s {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info => "note",
    }
}

/// A relative, forward-slash URI for a path (code scanning resolves it against the checkout).
fn uri(path: &str) -> String {
    let p = path.replace('\\', "/");
    let p = p.strip_prefix("./").unwrap_or(&p);
    let mut out = String::with_capacity(p.len());
    for b in p.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// Renders the report as a SARIF 2.1.0 log with one run.
pub fn sarif(report: &Report, tool_version: &str) -> String {
    let mut rules: BTreeMap<&str, Severity> = BTreeMap::new();
    for f in &report.findings {
        let e = rules.entry(f.rule.as_str()).or_insert(f.severity);
        *e = (*e).max(f.severity);
    }
    let index: BTreeMap<&str, usize> = rules.keys().enumerate().map(|(i, r)| (*r, i)).collect();
    let rule_objs: Vec<Value> = rules
        .iter()
        .map(|(id, sev)| {
            json!({
                "id": id,
                "name": id,
                "shortDescription": {"text": rule_description(id)},
                "fullDescription": {"text": rule_description(id)},
                "defaultConfiguration": {"level": level(*sev)},
                "properties": {"tags": ["kubernetes"]}
            })
        })
        .collect();
    let results: Vec<Value> = report
        .findings
        .iter()
        .map(|f| {
            let loc = &f.location;
            let mut physical = json!({
                "artifactLocation": {"uri": uri(&loc.file), "uriBaseId": "%SRCROOT%"}
            });
            if loc.line > 0 {
                physical["region"] = json!({
                    "startLine": loc.line,
                    "startColumn": loc.column.max(1),
                    "endLine": loc.end_line.max(loc.line),
                    "endColumn": loc.end_column.max(1),
                });
            }
            let mut text = f.message.clone();
            if let Some(o) = &f.object {
                text = format!("{o}: {text}");
            }
            let mut result = json!({
                "ruleId": f.rule,
                "ruleIndex": index.get(f.rule.as_str()).copied().unwrap_or(0),
                "level": level(f.severity),
                "message": {"text": text},
                "locations": [{"physicalLocation": physical}],
            });
            if let Some(p) = &f.pointer {
                result["properties"] = json!({"pointer": p});
            }
            result
        })
        .collect();
    let log = json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "kvet",
                "version": tool_version,
                "semanticVersion": tool_version,
                "rules": rule_objs,
            }},
            "columnKind": "unicodeCodePoints",
            "originalUriBaseIds": {"%SRCROOT%": {"uri": "file:///"}},
            "results": results,
        }]
    });
    let mut s = serde_json::to_string_pretty(&log).unwrap_or_default();
    s.push('\n');
    s
}
