//! `--output github`: GitHub Actions workflow commands, one annotation per finding.

use crate::{Report, Severity};
use std::fmt::Write;

fn escape_data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

fn escape_property(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}

/// Renders `::error file=…,line=…,col=…::message` lines.
pub fn github(report: &Report) -> String {
    let mut out = String::new();
    for f in &report.findings {
        let command = match f.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Info => "notice",
        };
        let loc = &f.location;
        let _ = write!(out, "::{command} file={}", escape_property(&loc.file));
        if loc.line > 0 {
            let _ = write!(
                out,
                ",line={},col={},endLine={},endColumn={}",
                loc.line, loc.column, loc.end_line, loc.end_column
            );
        }
        let title = match &f.object {
            Some(o) => format!("kvet {} ({o})", f.rule),
            None => format!("kvet {}", f.rule),
        };
        let mut message = f.message.clone();
        if let Some(p) = &f.pointer {
            message = format!("{message} [{p}]");
        }
        let _ = writeln!(
            out,
            ",title={}::{}",
            escape_property(&title),
            escape_data(&message)
        );
    }
    out
}
