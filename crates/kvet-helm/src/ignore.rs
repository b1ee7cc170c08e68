//! `.helmignore`: Helm's ignore rules (not gitignore: no `**`, base-name matching for
//! patterns without a slash, `!` negation, trailing `/` for directories).

use crate::glob::go_match;

/// Parsed `.helmignore` rules.
#[derive(Debug, Clone, Default)]
pub struct IgnoreRules {
    patterns: Vec<Pattern>,
}

#[derive(Debug, Clone)]
struct Pattern {
    rule: String,
    negate: bool,
    must_dir: bool,
    kind: PatternKind,
}

#[derive(Debug, Clone, Copy)]
enum PatternKind {
    /// Leading `/`: matched against the whole path.
    Rooted,
    /// Contains `/`: matched against the whole path.
    Path,
    /// No `/`: matched against the base name.
    Base,
}

impl IgnoreRules {
    /// Parses `.helmignore` text; the error is the first bad rule and its line.
    pub fn parse(text: &str) -> Result<IgnoreRules, (usize, String)> {
        let mut rules = IgnoreRules::default();
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        for (i, line) in text.lines().enumerate() {
            rules.add(line).map_err(|m| (i + 1, m))?;
        }
        Ok(rules)
    }

    /// Adds Helm's default rule: hidden files under `templates/` are ignored.
    pub fn add_defaults(&mut self) {
        let _ = self.add("templates/.?*");
    }

    fn add(&mut self, rule: &str) -> Result<(), String> {
        let rule = rule.trim();
        if rule.is_empty() || rule.starts_with('#') {
            return Ok(());
        }
        if rule.contains("**") {
            return Err("double-star (**) syntax is not supported".into());
        }
        if go_match(rule, "abc").is_none() {
            return Err("syntax error in pattern".into());
        }
        let mut r = rule;
        let negate = r.starts_with('!');
        if negate {
            r = &r[1..];
        }
        let must_dir = r.ends_with('/');
        if must_dir {
            r = &r[..r.len() - 1];
        }
        let kind = if let Some(stripped) = r.strip_prefix('/') {
            r = stripped;
            PatternKind::Rooted
        } else if r.contains('/') {
            PatternKind::Path
        } else {
            PatternKind::Base
        };
        self.patterns.push(Pattern {
            rule: r.to_owned(),
            negate,
            must_dir,
            kind,
        });
        Ok(())
    }

    /// Whether `path` (slash-separated, relative to the chart root) is ignored.
    pub fn ignore(&self, path: &str, is_dir: bool) -> bool {
        if path.is_empty() || path == "." || path == "./" {
            return false;
        }
        for p in &self.patterns {
            let matched = || {
                let target = match p.kind {
                    PatternKind::Rooted | PatternKind::Path => path,
                    PatternKind::Base => path.rsplit('/').next().unwrap_or(path),
                };
                go_match(&p.rule, target).unwrap_or(false)
            };
            if p.negate {
                // Helm's (odd) negation: a non-matching path is ignored outright.
                if p.must_dir && !is_dir {
                    return true;
                }
                if !matched() {
                    return true;
                }
                continue;
            }
            if p.must_dir && !is_dir {
                continue;
            }
            if matched() {
                return true;
            }
        }
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_match_as_helm_does() {
        let mut r = IgnoreRules::parse("# c\n*.md\n.git/\n/secret.txt\ndocs/*.txt\n").unwrap();
        r.add_defaults();
        assert!(r.ignore("README.md", false));
        assert!(r.ignore("files/notes.md", false));
        assert!(r.ignore(".git", true));
        assert!(!r.ignore(".git", false));
        assert!(r.ignore("secret.txt", false));
        assert!(r.ignore("docs/a.txt", false));
        assert!(!r.ignore("docs/x/a.txt", false));
        assert!(r.ignore("templates/.hidden.yaml", false));
        assert!(!r.ignore("templates/a.yaml", false));
        assert!(IgnoreRules::parse("a/**/b").is_err());
    }
}
