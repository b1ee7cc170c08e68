//! `--output junit`: one test suite per file, one failing test case per finding's object.

use crate::{Finding, Report, Severity};
use std::collections::BTreeMap;
use std::fmt::Write;

fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            // XML 1.0 forbids most control characters even as references.
            c if (c as u32) < 0x20 && !matches!(c, '\t' | '\n' | '\r') => out.push('?'),
            c => out.push(c),
        }
    }
    out
}

/// Renders JUnit XML. Files with no failing findings appear as suites with one passing case.
pub fn junit(report: &Report, files: &[String]) -> String {
    let mut by_file: BTreeMap<&str, BTreeMap<String, Vec<&Finding>>> = BTreeMap::new();
    for f in files {
        by_file.entry(f.as_str()).or_default();
    }
    for f in &report.findings {
        let case = match &f.object {
            Some(o) => format!("{} {o}", o.api_version),
            None => match f.document {
                Some(d) => format!("document {d}"),
                None => "file".to_owned(),
            },
        };
        by_file
            .entry(f.location.file.as_str())
            .or_default()
            .entry(case)
            .or_default()
            .push(f);
    }
    let total_cases: usize = by_file.values().map(|c| c.len().max(1)).sum();
    let total_failures: usize = by_file
        .values()
        .flat_map(|c| c.values())
        .filter(|fs| fs.iter().any(|f| f.severity == Severity::Error))
        .count();
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        out,
        "<testsuites name=\"kvet\" tests=\"{total_cases}\" failures=\"{total_failures}\">"
    );
    for (file, cases) in &by_file {
        let failures = cases
            .values()
            .filter(|fs| fs.iter().any(|f| f.severity == Severity::Error))
            .count();
        let _ = writeln!(
            out,
            "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{failures}\" errors=\"0\">",
            esc(file),
            cases.len().max(1)
        );
        if cases.is_empty() {
            let _ = writeln!(
                out,
                "    <testcase name=\"{}\" classname=\"{}\"/>",
                esc(file),
                esc(file)
            );
        }
        for (case, findings) in cases {
            let _ = writeln!(
                out,
                "    <testcase name=\"{}\" classname=\"{}\">",
                esc(case),
                esc(file)
            );
            for f in findings {
                let tag = if f.severity == Severity::Error {
                    "failure"
                } else {
                    "system-out"
                };
                let body = format!(
                    "{}:{}:{}: {} [{}]{}",
                    f.location.file,
                    f.location.line,
                    f.location.column,
                    f.message,
                    f.rule,
                    f.pointer
                        .as_deref()
                        .map(|p| format!(" at {p}"))
                        .unwrap_or_default()
                );
                if tag == "failure" {
                    let _ = writeln!(
                        out,
                        "      <failure type=\"{}\" message=\"{}\">{}</failure>",
                        esc(&f.rule),
                        esc(&f.message),
                        esc(&body)
                    );
                } else {
                    let _ = writeln!(out, "      <system-out>{}</system-out>", esc(&body));
                }
            }
            let _ = writeln!(out, "    </testcase>");
        }
        let _ = writeln!(out, "  </testsuite>");
    }
    out.push_str("</testsuites>\n");
    out
}
