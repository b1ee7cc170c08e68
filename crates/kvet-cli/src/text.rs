//! The human-readable report: each finding as a miette diagnostic with the YAML snippet and a
//! caret under the offending node.

use kvet_engine::{Finding, KubeVersion, Report, Severity, SourceFile};
use miette::{
    Diagnostic, GraphicalReportHandler, GraphicalTheme, LabeledSpan, NamedSource, SourceCode,
};
use std::collections::{BTreeMap, HashMap};
use std::fmt::{self, Write};
use std::sync::Arc;

struct FindingDiagnostic<'a> {
    finding: &'a Finding,
    source: Option<NamedSource<Arc<str>>>,
}

impl fmt::Debug for FindingDiagnostic<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.finding.message)
    }
}

impl fmt::Display for FindingDiagnostic<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.finding.message)
    }
}

impl std::error::Error for FindingDiagnostic<'_> {}

impl Diagnostic for FindingDiagnostic<'_> {
    fn code<'b>(&'b self) -> Option<Box<dyn fmt::Display + 'b>> {
        Some(Box::new(format!("kvet::{}", self.finding.rule)))
    }

    fn severity(&self) -> Option<miette::Severity> {
        Some(match self.finding.severity {
            Severity::Error => miette::Severity::Error,
            Severity::Warning => miette::Severity::Warning,
            Severity::Info => miette::Severity::Advice,
        })
    }

    fn help<'b>(&'b self) -> Option<Box<dyn fmt::Display + 'b>> {
        let f = self.finding;
        let mut parts = Vec::new();
        if let Some(o) = &f.object {
            parts.push(format!("in {} {o}", o.api_version));
        }
        if let Some(p) = &f.pointer {
            parts.push(format!("at {p}"));
        }
        if let Some(r) = &f.rendered {
            parts.push(format!("rendered at {}:{}:{}", r.file, r.line, r.column));
        }
        if self.source.is_none() {
            let l = &f.location;
            parts.push(if l.line > 0 {
                format!("at {}:{}:{}", l.file, l.line, l.column)
            } else {
                format!("file {}", l.file)
            });
        }
        (!parts.is_empty()).then(|| Box::new(parts.join(", ")) as Box<dyn fmt::Display>)
    }

    fn source_code(&self) -> Option<&dyn SourceCode> {
        self.source.as_ref().map(|s| s as &dyn SourceCode)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        self.source.as_ref()?;
        let loc = &self.finding.location;
        let label = LabeledSpan::new(
            Some(label_text(self.finding)),
            loc.offset as usize,
            loc.length as usize,
        );
        Some(Box::new(std::iter::once(label)))
    }
}

fn label_text(f: &Finding) -> String {
    match f.rule.as_str() {
        "schema" => "here".to_owned(),
        "yaml-duplicate-key" => "repeated here".to_owned(),
        _ => f.rule.clone(),
    }
}

/// Renders every finding, then a one-line tally (and the summary table when asked).
pub fn render(
    report: &Report,
    files: &[SourceFile],
    color: bool,
    summary: bool,
    version: KubeVersion,
) -> String {
    let mut sources: HashMap<String, Arc<str>> = files
        .iter()
        .map(|f| (f.path.clone(), Arc::clone(&f.text)))
        .collect();
    // Findings on rendered charts are reported at the template: show the template's text.
    for origin in files.iter().filter_map(|f| f.origin.as_ref()) {
        for (path, text) in origin.sources() {
            sources.entry(path).or_insert(text);
        }
    }
    let theme = if color {
        GraphicalTheme::unicode()
    } else {
        GraphicalTheme::unicode_nocolor()
    };
    let handler = GraphicalReportHandler::new_themed(theme)
        .with_context_lines(1)
        .with_links(false)
        .with_width(120);
    let mut out = String::new();
    for f in &report.findings {
        let source = (f.location.line > 0)
            .then(|| sources.get(&f.location.file))
            .flatten()
            .map(|text| NamedSource::new(&f.location.file, Arc::clone(text)));
        let diag = FindingDiagnostic { finding: f, source };
        if !out.is_empty() {
            out.push('\n');
        }
        if handler.render_report(&mut out, &diag).is_err() {
            let _ = writeln!(
                out,
                "{}:{}:{}: {}: {} [{}]",
                f.location.file, f.location.line, f.location.column, f.severity, f.message, f.rule
            );
        }
    }
    out.push_str(&tally(report));
    if summary {
        out.push_str(&self::summary(report, version));
    }
    out
}

fn tally(report: &Report) -> String {
    let count = |s: Severity| report.findings.iter().filter(|f| f.severity == s).count();
    let (e, w) = (count(Severity::Error), count(Severity::Warning));
    let s = &report.stats;
    let plural =
        |n: usize, one: &str, many: &str| format!("{n} {}", if n == 1 { one } else { many });
    format!(
        "{}, {} in {} ({}{}{})\n",
        plural(e, "error", "errors"),
        plural(w, "warning", "warnings"),
        plural(s.files, "file", "files"),
        plural(s.objects, "object", "objects"),
        if s.skipped > 0 {
            format!(", {} skipped", s.skipped)
        } else {
            String::new()
        },
        if report.waived.is_empty() {
            String::new()
        } else {
            format!(", {} waived by exceptions", report.waived.len())
        }
    )
}

/// Counts per kind and per rule.
pub fn summary(report: &Report, version: KubeVersion) -> String {
    let mut out = format!("\nSummary (Kubernetes {version})\n");
    let mut kind_findings: BTreeMap<&str, usize> = BTreeMap::new();
    let mut rules: BTreeMap<&str, (usize, usize, usize)> = BTreeMap::new();
    for f in &report.findings {
        if let Some(o) = &f.object {
            *kind_findings.entry(o.kind.as_str()).or_default() += 1;
        }
        let e = rules.entry(f.rule.as_str()).or_default();
        match f.severity {
            Severity::Error => e.0 += 1,
            Severity::Warning => e.1 += 1,
            Severity::Info => e.2 += 1,
        }
    }
    let _ = writeln!(out, "  {:<40} {:>8} {:>9}", "kind", "objects", "findings");
    for (kind, n) in &report.stats.kinds {
        let shown = if kind.is_empty() { "(none)" } else { kind };
        let _ = writeln!(
            out,
            "  {:<40} {:>8} {:>9}",
            shown,
            n,
            kind_findings.get(kind.as_str()).copied().unwrap_or(0)
        );
    }
    let _ = writeln!(
        out,
        "  {:<40} {:>8} {:>9} {:>6}",
        "rule", "errors", "warnings", "info"
    );
    for (rule, (e, w, i)) in &rules {
        let _ = writeln!(out, "  {rule:<40} {e:>8} {w:>9} {i:>6}");
    }
    if !report.waived.is_empty() {
        let _ = writeln!(out, "  waived by exceptions:");
        for w in &report.waived {
            let f = &w.finding;
            let _ = writeln!(
                out,
                "    {}:{}:{} {} (approved by {}: {})",
                f.location.file,
                f.location.line,
                f.location.column,
                f.rule,
                w.approved_by,
                w.reason
            );
        }
    }
    out
}
