//! Exceptions: findings a team has decided to accept, each with a rule, the objects it covers,
//! who approved it, why, and until when.
//!
//! ```yaml
//! exceptions:
//!   - rule: pss-restricted/runAsNonRoot     # or rules: [...]; globs; a policy id covers its checks
//!     match:                                # any one selector; all fields given must match
//!       - {kind: Deployment, namespace: legacy, name: "billing-*"}
//!       - {file: "charts/legacy/**"}
//!     approvedBy: jane@example.com
//!     reason: the vendor image runs as root; replacement tracked in SEC-123
//!     expires: 2027-03-31                   # applies through that day, then is reported
//! ```
//!
//! Objects may also waive rules themselves with the annotation `kvet.dev/waive: rule[,rule…]`,
//! but only rules the configuration lists as self-waivable (none by default): letting a
//! manifest exempt itself defeats the gate, so each allowed rule is a deliberate choice.

use crate::finding::{Finding, Location, Severity};
use kvet_policy::glob_matches;
use kvet_yaml::SpanMap;
use serde_json::Value;
use std::fmt;

/// The annotation through which an object waives rules for itself.
pub const WAIVE_ANNOTATION: &str = "kvet.dev/waive";

/// A calendar date (UTC), as exceptions expire.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Date {
    /// Year.
    pub year: i32,
    /// Month, 1–12.
    pub month: u32,
    /// Day, 1–31.
    pub day: u32,
}

impl Date {
    /// The date `days` days after 1970-01-01.
    pub fn from_unix_days(days: i64) -> Date {
        // Civil-from-days over 400-year eras.
        let z = days + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z.rem_euclid(146_097);
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
        let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
        let year = (yoe + era * 400 + i64::from(month <= 2)) as i32;
        Date { year, month, day }
    }

    fn parse(s: &str) -> Option<Date> {
        let mut it = s.trim().splitn(3, '-');
        let (y, m, d) = (it.next()?, it.next()?, it.next()?);
        if y.len() != 4 || m.len() != 2 || d.len() != 2 {
            return None;
        }
        let date = Date {
            year: y.parse().ok()?,
            month: m.parse().ok()?,
            day: d.parse().ok()?,
        };
        let leap = date.year % 4 == 0 && (date.year % 100 != 0 || date.year % 400 == 0);
        let days_in = [
            31,
            if leap { 29 } else { 28 },
            31,
            30,
            31,
            30,
            31,
            31,
            30,
            31,
            30,
            31,
        ];
        let max = *days_in.get(date.month.checked_sub(1)? as usize)?;
        (date.day >= 1 && date.day <= max).then_some(date)
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

/// Which objects an exception covers; every field given must match (globs).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Selector {
    /// `Kind` or `apiVersion/Kind` glob.
    pub kind: Option<String>,
    /// Namespace glob (`""` for objects without one).
    pub namespace: Option<String>,
    /// Name glob.
    pub name: Option<String>,
    /// Path glob (`*` within a directory, `**` across), against the path as reported and
    /// relative to the project root.
    pub file: Option<String>,
}

/// One accepted deviation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Exception {
    /// Rule id globs; a policy id also covers its checks (`pss-restricted` covers
    /// `pss-restricted/runAsNonRoot`).
    pub rules: Vec<String>,
    /// The objects covered: any selector.
    pub selectors: Vec<Selector>,
    /// Who approved it.
    pub approved_by: String,
    /// Why.
    pub reason: String,
    /// The last day it applies.
    pub expires: Option<Date>,
    /// Where it is written (its `expires` field when it has one).
    pub location: Location,
}

/// A finding an exception (or a self-waiver) accepted.
#[derive(Debug, Clone, PartialEq)]
pub struct Waived {
    /// The finding as it would have been reported.
    pub finding: Finding,
    /// Who approved the exception (`annotation` for a self-waiver).
    pub approved_by: String,
    /// Why.
    pub reason: String,
}

fn config_finding(location: Location, message: String) -> Finding {
    Finding {
        rule: "config".to_owned(),
        severity: Severity::Error,
        message,
        location,
        object: None,
        pointer: None,
        document: None,
        rendered: None,
    }
}

/// Findings about the tool's own inputs, which no exception may hide.
fn waivable(f: &Finding) -> bool {
    !matches!(
        f.rule.as_str(),
        "input" | "config" | "policy-load" | "exception-expired" | "exception-not-allowed"
    )
}

/// Whether `rule` is covered by the pattern `pat`.
pub fn rule_matches(pat: &str, rule: &str) -> bool {
    glob_matches(pat, rule, b'/')
        || rule
            .strip_prefix(pat)
            .is_some_and(|rest| rest.starts_with('/'))
}

impl Exception {
    fn covers(&self, f: &Finding, root_relative: Option<&str>) -> bool {
        if !self.rules.iter().any(|r| rule_matches(r, &f.rule)) {
            return false;
        }
        self.selectors.iter().any(|s| {
            let obj = f.object.as_ref();
            let kind_ok = s.kind.as_deref().is_none_or(|k| {
                obj.is_some_and(|o| {
                    glob_matches(k, &o.kind, b'/')
                        || glob_matches(k, &format!("{}/{}", o.api_version, o.kind), b'\0')
                })
            });
            let ns_ok = s.namespace.as_deref().is_none_or(|n| {
                obj.is_some_and(|o| glob_matches(n, o.namespace.as_deref().unwrap_or(""), b'/'))
            });
            let name_ok = s.name.as_deref().is_none_or(|n| {
                obj.and_then(|o| o.name.as_deref())
                    .is_some_and(|name| glob_matches(n, name, b'/'))
            });
            let file_ok = s.file.as_deref().is_none_or(|p| {
                let shown = f.location.file.trim_start_matches("./");
                glob_matches(p, shown, b'/')
                    || root_relative.is_some_and(|r| glob_matches(p, r, b'/'))
            });
            kind_ok && ns_ok && name_ok && file_ok
        })
    }
}

/// A set of exceptions and the rules objects may waive themselves.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Exceptions {
    /// The exceptions, in file order.
    pub entries: Vec<Exception>,
    /// Rule globs that objects may waive with the [`WAIVE_ANNOTATION`].
    pub self_waivable: Vec<String>,
}

impl Exceptions {
    /// Reads the `exceptions` list of `doc` (a whole exceptions file, which is either that
    /// list or a mapping holding it under `exceptions`, or a config file's `exceptions` key).
    /// Every problem is a located `config` finding.
    pub fn from_document(
        file: &str,
        doc: &Value,
        spans: &SpanMap,
        pointer: &str,
    ) -> Result<Vec<Exception>, Vec<Finding>> {
        let at = |ptr: &str| -> Location {
            let l = spans.locate(doc, ptr);
            Location::from_span(
                file,
                if l.exact {
                    l.value
                } else {
                    l.key.unwrap_or(l.value)
                },
            )
        };
        let (list, base) = match doc.pointer(pointer) {
            Some(Value::Array(a)) => (a, pointer.to_owned()),
            Some(Value::Object(m)) if m.contains_key("exceptions") => {
                let base = format!("{pointer}/exceptions");
                match m.get("exceptions") {
                    Some(Value::Array(a)) => (a, base),
                    Some(Value::Null) => return Ok(Vec::new()),
                    _ => {
                        return Err(vec![config_finding(
                            at(&base),
                            "exceptions must be a list".to_owned(),
                        )])
                    }
                }
            }
            None | Some(Value::Null) => return Ok(Vec::new()),
            _ => {
                return Err(vec![config_finding(
                    at(pointer),
                    "exceptions must be a list, or a mapping with an `exceptions` list".to_owned(),
                )])
            }
        };
        let mut out = Vec::new();
        let mut problems = Vec::new();
        for (i, e) in list.iter().enumerate() {
            let here = format!("{base}/{i}");
            let Some(m) = e.as_object() else {
                problems.push(config_finding(
                    at(&here),
                    "an exception must be a mapping".into(),
                ));
                continue;
            };
            for key in m.keys() {
                if !["rule", "rules", "match", "approvedBy", "reason", "expires"]
                    .contains(&key.as_str())
                {
                    problems.push(config_finding(
                        at(&format!("{here}/{}", escape(key))),
                        format!(
                            "unknown field {key:?} in an exception (expected rule or rules, match, approvedBy, reason, expires)"
                        ),
                    ));
                }
            }
            let text = |k: &str| m.get(k).and_then(Value::as_str).map(str::to_owned);
            let mut rules: Vec<String> = text("rule").into_iter().collect();
            if let Some(list) = m.get("rules").and_then(Value::as_array) {
                rules.extend(list.iter().filter_map(Value::as_str).map(str::to_owned));
            }
            if rules.is_empty() {
                problems.push(config_finding(
                    at(&here),
                    "an exception must name the rule (rule: or rules:) it accepts".into(),
                ));
            }
            let mut selectors = Vec::new();
            match m.get("match") {
                Some(Value::Array(sels)) if !sels.is_empty() => {
                    for (j, s) in sels.iter().enumerate() {
                        let sp = format!("{here}/match/{j}");
                        match parse_selector(s) {
                            Ok(sel) => selectors.push(sel),
                            Err(msg) => problems.push(config_finding(at(&sp), msg)),
                        }
                    }
                }
                Some(s @ Value::Object(_)) => match parse_selector(s) {
                    Ok(sel) => selectors.push(sel),
                    Err(msg) => problems.push(config_finding(at(&format!("{here}/match")), msg)),
                },
                _ => problems.push(config_finding(
                    at(&here),
                    "an exception must say which objects it covers (match: a list of {kind, namespace, name, file} selectors)".into(),
                )),
            }
            let approved_by = text("approvedBy").unwrap_or_default();
            let reason = text("reason").unwrap_or_default();
            if approved_by.trim().is_empty() || reason.trim().is_empty() {
                problems.push(config_finding(
                    at(&here),
                    "an exception must say who approved it (approvedBy) and why (reason)".into(),
                ));
            }
            let mut location = at(&here);
            let expires = match m.get("expires") {
                None | Some(Value::Null) => None,
                Some(v) => {
                    location = at(&format!("{here}/expires"));
                    match v.as_str().and_then(Date::parse) {
                        Some(d) => Some(d),
                        None => {
                            problems.push(config_finding(
                                location.clone(),
                                format!("expires must be a date as YYYY-MM-DD, not {v}"),
                            ));
                            None
                        }
                    }
                }
            };
            out.push(Exception {
                rules,
                selectors,
                approved_by,
                reason,
                expires,
                location,
            });
        }
        if problems.is_empty() {
            Ok(out)
        } else {
            Err(problems)
        }
    }

    /// Reads an exceptions file.
    pub fn parse_file(file: &str, text: &str) -> Result<Vec<Exception>, Vec<Finding>> {
        match kvet_yaml::parse_one(text, &kvet_yaml::Limits::default()) {
            Ok(Some(doc)) => Self::from_document(file, &doc.value, &doc.spans, ""),
            Ok(None) => Ok(Vec::new()),
            Err(e) => Err(vec![config_finding(
                Location::from_span(file, e.span),
                format!("invalid YAML: {}", e.message),
            )]),
        }
    }

    /// Moves the findings the exceptions accept into `waived`; every expired exception becomes
    /// an `exception-expired` warning, and stops applying. `relative` maps a reported path to
    /// the path relative to the project root, for `file` selectors.
    pub fn apply(
        &self,
        findings: &mut Vec<Finding>,
        waived: &mut Vec<Waived>,
        today: Date,
        relative: &dyn Fn(&str) -> Option<String>,
    ) {
        if self.entries.is_empty() {
            return;
        }
        let live: Vec<&Exception> = self
            .entries
            .iter()
            .filter(|e| e.expires.is_none_or(|d| d >= today))
            .collect();
        let mut kept = Vec::with_capacity(findings.len());
        for f in findings.drain(..) {
            let rel = relative(&f.location.file);
            match live
                .iter()
                .find(|e| waivable(&f) && e.covers(&f, rel.as_deref()))
            {
                Some(e) => waived.push(Waived {
                    finding: f,
                    approved_by: e.approved_by.clone(),
                    reason: e.reason.clone(),
                }),
                None => kept.push(f),
            }
        }
        for e in self
            .entries
            .iter()
            .filter(|e| e.expires.is_some_and(|d| d < today))
        {
            kept.push(Finding {
                rule: "exception-expired".to_owned(),
                severity: Severity::Warning,
                message: format!(
                    "the exception for {} (approved by {}) expired on {}; it no longer applies",
                    e.rules.join(", "),
                    e.approved_by,
                    e.expires.map(|d| d.to_string()).unwrap_or_default()
                ),
                location: e.location.clone(),
                object: None,
                pointer: None,
                document: None,
                rendered: None,
            });
        }
        kept.sort_by(Finding::order);
        *findings = kept;
    }

    /// Applies an object's own [`WAIVE_ANNOTATION`] to its findings: rules the configuration
    /// lets objects waive are moved to `waived`; any other rule named there is reported as
    /// `exception-not-allowed` at the annotation.
    pub(crate) fn self_waive(
        &self,
        annotation: &str,
        at: Location,
        findings: &mut Vec<Finding>,
        waived: &mut Vec<Waived>,
        object: &crate::ObjectId,
        document: usize,
    ) {
        let named: Vec<&str> = annotation
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .collect();
        let allowed = |rule: &str| self.self_waivable.iter().any(|g| rule_matches(g, rule));
        let mut kept = Vec::with_capacity(findings.len());
        for f in findings.drain(..) {
            if waivable(&f) && allowed(&f.rule) && named.iter().any(|n| rule_matches(n, &f.rule)) {
                waived.push(Waived {
                    finding: f,
                    approved_by: "annotation".to_owned(),
                    reason: format!("{WAIVE_ANNOTATION} on the object"),
                });
            } else {
                kept.push(f);
            }
        }
        for n in named {
            if !allowed(n) {
                kept.push(Finding {
                    rule: "exception-not-allowed".to_owned(),
                    severity: Severity::Warning,
                    message: format!(
                        "{WAIVE_ANNOTATION} names {n}, which objects may not waive themselves; list it under selfWaivable in .kvet.yaml or add an approved exception"
                    ),
                    location: at.clone(),
                    object: Some(object.clone()),
                    pointer: None,
                    document: Some(document),
                    rendered: None,
                });
            }
        }
        *findings = kept;
    }
}

fn escape(key: &str) -> String {
    key.replace('~', "~0").replace('/', "~1")
}

fn parse_selector(v: &Value) -> Result<Selector, String> {
    let Some(m) = v.as_object() else {
        return Err("a selector must be a mapping with kind, namespace, name or file".into());
    };
    let mut sel = Selector::default();
    for (k, v) in m {
        let Some(s) = v.as_str().map(str::to_owned) else {
            return Err(format!("selector field {k} must be a string (a glob)"));
        };
        match k.as_str() {
            "kind" => sel.kind = Some(s),
            "namespace" => sel.namespace = Some(s),
            "name" => sel.name = Some(s),
            "file" => sel.file = Some(s.trim_start_matches("./").to_owned()),
            other => {
                return Err(format!(
                    "unknown selector field {other:?} (expected kind, namespace, name, file)"
                ))
            }
        }
    }
    if sel == Selector::default() {
        return Err("an empty selector would cover every object; name a kind, namespace, name or file (\"*\" to mean all)".into());
    }
    Ok(sel)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates() {
        assert_eq!(Date::from_unix_days(0).to_string(), "1970-01-01");
        assert_eq!(Date::from_unix_days(20_785).to_string(), "2026-11-28");
        assert_eq!(Date::from_unix_days(11_016).to_string(), "2000-02-29");
        assert_eq!(Date::parse("2027-02-29"), None);
        assert_eq!(Date::parse("2028-02-29").map(|d| d.day), Some(29));
        assert_eq!(Date::parse("2028-2-1"), None);
    }

    fn finding(rule: &str, file: &str, kind: &str, ns: Option<&str>, name: &str) -> Finding {
        Finding {
            rule: rule.to_owned(),
            severity: Severity::Error,
            message: String::new(),
            location: Location::file_only(file),
            object: Some(crate::ObjectId {
                api_version: "apps/v1".to_owned(),
                kind: kind.to_owned(),
                namespace: ns.map(str::to_owned),
                name: Some(name.to_owned()),
            }),
            pointer: None,
            document: None,
            rendered: None,
        }
    }

    #[test]
    fn selectors_and_expiry() {
        let text = "exceptions:\n  - rules: [pss-restricted, tag-pinning]\n    match:\n      - {file: \"charts/vendor/**\"}\n      - {kind: \"apps/v1/Deploy*\", namespace: legacy, name: \"billing-?\"}\n    approvedBy: a\n    reason: r\n    expires: 2026-11-28\n";
        let entries = Exceptions::parse_file("x.yaml", text).expect("parses");
        let ex = Exceptions {
            entries,
            self_waivable: Vec::new(),
        };
        let mut findings = vec![
            // Waived: by file, relative to the project root (shown from a subdirectory).
            finding(
                "pss-restricted/runAsUser",
                "../charts/vendor/templates/a.yaml",
                "Deployment",
                None,
                "x",
            ),
            // Waived: kind glob on apiVersion/Kind, namespace, one-character name glob.
            finding(
                "tag-pinning",
                "apps.yaml",
                "Deployment",
                Some("legacy"),
                "billing-1",
            ),
            // Kept: the name glob wants one character; another namespace; another rule.
            finding(
                "tag-pinning",
                "apps.yaml",
                "Deployment",
                Some("legacy"),
                "billing-10",
            ),
            finding(
                "tag-pinning",
                "apps.yaml",
                "Deployment",
                Some("shop"),
                "billing-1",
            ),
            finding(
                "pss-baseline/privileged",
                "apps.yaml",
                "Deployment",
                Some("legacy"),
                "billing-1",
            ),
        ];
        let rel = |f: &str| f.strip_prefix("../").map(str::to_owned);
        let mut waived = Vec::new();
        let today = Date::parse("2026-11-28").expect("date");
        ex.apply(&mut findings, &mut waived, today, &rel);
        assert_eq!(waived.len(), 2);
        assert_eq!(findings.len(), 3);
        // The day after its expiry it no longer applies, and is reported at its date.
        let mut findings: Vec<Finding> = waived.into_iter().map(|w| w.finding).collect();
        let mut waived = Vec::new();
        let tomorrow = Date::parse("2026-11-29").expect("date");
        ex.apply(&mut findings, &mut waived, tomorrow, &rel);
        assert!(waived.is_empty());
        assert_eq!(findings.len(), 3);
        let expired: Vec<&Finding> = findings
            .iter()
            .filter(|f| f.rule == "exception-expired")
            .collect();
        assert_eq!(expired.len(), 1);
        assert_eq!(
            (expired[0].location.line, expired[0].location.column),
            (8, 14)
        );
    }

    #[test]
    fn rule_patterns() {
        assert!(rule_matches(
            "pss-restricted",
            "pss-restricted/runAsNonRoot"
        ));
        assert!(!rule_matches("pss-restricted", "pss-restricted-x"));
        assert!(rule_matches("pss-*", "pss-baseline"));
        assert!(rule_matches("main.*", "main.deny"));
        assert!(rule_matches(
            "K8sRequiredLabels/*",
            "K8sRequiredLabels/must-have-owner"
        ));
    }
}
