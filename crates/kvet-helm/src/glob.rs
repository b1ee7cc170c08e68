//! The two glob dialects Helm uses: Go's `path/filepath.Match` (`.helmignore`,
//! `--show-only`) and gobwas/glob with `/` as separator (`.Files.Glob`).

/// Go's `filepath.Match`: `*` and `?` never cross `/`; `[...]` classes with ranges and `^`;
/// `\` escapes. `None` when the pattern is malformed.
pub fn go_match(pattern: &str, name: &str) -> Option<bool> {
    let p: Vec<char> = pattern.chars().collect();
    let n: Vec<char> = name.chars().collect();
    go_match_at(&p, &n)
}

fn go_match_at(p: &[char], n: &[char]) -> Option<bool> {
    let (mut pi, mut ni) = (0, 0);
    // Backtracking point for the last `*`: (pattern index after star, name index).
    let mut star: Option<(usize, usize)> = None;
    loop {
        if pi < p.len() {
            match p[pi] {
                '*' => {
                    pi += 1;
                    star = Some((pi, ni));
                    continue;
                }
                '?' if ni < n.len() && n[ni] != '/' => {
                    pi += 1;
                    ni += 1;
                    continue;
                }
                '[' if ni < n.len() => {
                    let (ok, next) = class(p, pi + 1, n[ni], '^')?;
                    if ok && n[ni] != '/' {
                        pi = next;
                        ni += 1;
                        continue;
                    }
                }
                '\\' => {
                    let c = *p.get(pi + 1)?;
                    if ni < n.len() && n[ni] == c {
                        pi += 2;
                        ni += 1;
                        continue;
                    }
                }
                c if c != '?' && c != '[' && ni < n.len() && n[ni] == c => {
                    pi += 1;
                    ni += 1;
                    continue;
                }
                _ => {}
            }
        } else if ni == n.len() {
            return Some(true);
        }
        // Mismatch: let the last star absorb one more character (never a separator).
        match star {
            Some((sp, sn)) if sn < n.len() && n[sn] != '/' => {
                star = Some((sp, sn + 1));
                pi = sp;
                ni = sn + 1;
            }
            _ => {
                // Go still reports a malformed remainder of the pattern as an error.
                validate(&p[pi.min(p.len())..])?;
                return Some(false);
            }
        }
    }
}

fn validate(p: &[char]) -> Option<()> {
    let mut i = 0;
    while i < p.len() {
        match p[i] {
            '\\' => {
                p.get(i + 1)?;
                i += 2;
            }
            '[' => {
                let (_, next) = class(p, i + 1, '\0', '^')?;
                i = next;
            }
            _ => i += 1,
        }
    }
    Some(())
}

/// Matches `c` against the class starting at `p[i]` (after `[`); returns the match and the
/// index after `]`. `neg` is the negation character.
fn class(p: &[char], mut i: usize, c: char, neg: char) -> Option<(bool, usize)> {
    let mut negated = false;
    if p.get(i) == Some(&neg) {
        negated = true;
        i += 1;
    }
    let mut matched = false;
    let mut first = true;
    loop {
        let ch = *p.get(i)?;
        if ch == ']' && !first {
            i += 1;
            break;
        }
        first = false;
        let (lo, ni) = class_char(p, i)?;
        i = ni;
        let mut hi = lo;
        if p.get(i) == Some(&'-') && p.get(i + 1) != Some(&']') {
            let (h, ni) = class_char(p, i + 1)?;
            hi = h;
            i = ni;
        }
        if lo <= c && c <= hi {
            matched = true;
        }
    }
    Some((matched != negated, i))
}

fn class_char(p: &[char], i: usize) -> Option<(char, usize)> {
    match *p.get(i)? {
        '\\' => Some((*p.get(i + 1)?, i + 2)),
        '-' | ']' if i > 0 && p[i - 1] != '[' && p[i - 1] != '^' => None,
        c => Some((c, i + 1)),
    }
}

/// A compiled gobwas/glob pattern with `/` as the separator: `*` (no `/`), `**` (anything),
/// `?`, `[abc]`, `[!a-z]`, `{a,b}` alternatives and `\` escapes.
#[derive(Debug, Clone)]
pub struct Glob {
    alternatives: Vec<Vec<Tok>>,
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Lit(char),
    Star,
    SuperStar,
    Any,
    Class(bool, Vec<(char, char)>),
    Alt(Vec<Vec<Tok>>),
}

impl Glob {
    /// Compiles `pattern`; `None` when it is malformed (Helm then matches everything).
    pub fn new(pattern: &str) -> Option<Glob> {
        let chars: Vec<char> = pattern.chars().collect();
        let mut i = 0;
        let toks = parse_seq(&chars, &mut i, false)?;
        if i != chars.len() {
            return None;
        }
        Some(Glob {
            alternatives: vec![toks],
        })
    }

    /// Whether `name` matches the whole pattern.
    pub fn matches(&self, name: &str) -> bool {
        let n: Vec<char> = name.chars().collect();
        self.alternatives.iter().any(|t| match_toks(t, &n))
    }
}

fn parse_seq(p: &[char], i: &mut usize, in_alt: bool) -> Option<Vec<Tok>> {
    let mut out = Vec::new();
    while *i < p.len() {
        let c = p[*i];
        match c {
            '}' | ',' if in_alt => return Some(out),
            '*' => {
                if p.get(*i + 1) == Some(&'*') {
                    *i += 2;
                    out.push(Tok::SuperStar);
                } else {
                    *i += 1;
                    out.push(Tok::Star);
                }
            }
            '?' => {
                *i += 1;
                out.push(Tok::Any);
            }
            '\\' => {
                out.push(Tok::Lit(*p.get(*i + 1)?));
                *i += 2;
            }
            '[' => {
                *i += 1;
                let neg = p.get(*i) == Some(&'!');
                if neg {
                    *i += 1;
                }
                let mut ranges = Vec::new();
                loop {
                    let c = *p.get(*i)?;
                    if c == ']' {
                        *i += 1;
                        break;
                    }
                    let lo = c;
                    *i += 1;
                    if p.get(*i) == Some(&'-') && p.get(*i + 1).is_some_and(|c| *c != ']') {
                        let hi = p[*i + 1];
                        *i += 2;
                        ranges.push((lo, hi));
                    } else {
                        ranges.push((lo, lo));
                    }
                }
                out.push(Tok::Class(neg, ranges));
            }
            '{' => {
                *i += 1;
                let mut alts = Vec::new();
                loop {
                    alts.push(parse_seq(p, i, true)?);
                    match p.get(*i)? {
                        ',' => *i += 1,
                        '}' => {
                            *i += 1;
                            break;
                        }
                        _ => return None,
                    }
                }
                out.push(Tok::Alt(alts));
            }
            _ => {
                *i += 1;
                out.push(Tok::Lit(c));
            }
        }
    }
    if in_alt {
        return None;
    }
    Some(out)
}

fn match_toks(t: &[Tok], n: &[char]) -> bool {
    let Some(first) = t.first() else {
        return n.is_empty();
    };
    let rest = &t[1..];
    match first {
        Tok::Lit(c) => n.first() == Some(c) && match_toks(rest, &n[1..]),
        Tok::Any => n.first().is_some_and(|c| *c != '/') && match_toks(rest, &n[1..]),
        Tok::Class(neg, ranges) => {
            n.first().is_some_and(|c| {
                let inside = ranges.iter().any(|(lo, hi)| lo <= c && c <= hi);
                inside != *neg
            }) && match_toks(rest, &n[1..])
        }
        Tok::Star => {
            for k in 0..=n.len() {
                if match_toks(rest, &n[k..]) {
                    return true;
                }
                if k < n.len() && n[k] == '/' {
                    break;
                }
            }
            false
        }
        Tok::SuperStar => (0..=n.len()).any(|k| match_toks(rest, &n[k..])),
        Tok::Alt(alts) => alts.iter().any(|a| {
            let mut seq = a.clone();
            seq.extend_from_slice(rest);
            match_toks(&seq, n)
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_match_follows_filepath_match() {
        assert_eq!(go_match("*.md", "README.md"), Some(true));
        assert_eq!(go_match("*.md", "docs/README.md"), Some(false));
        assert_eq!(go_match("templates/*.yaml", "templates/a.yaml"), Some(true));
        assert_eq!(go_match("a?c", "abc"), Some(true));
        assert_eq!(go_match("[a-c]x", "bx"), Some(true));
        assert_eq!(go_match("[^a-c]x", "bx"), Some(false));
        assert_eq!(go_match("\\*", "*"), Some(true));
        assert_eq!(go_match("[", "a"), None);
        assert_eq!(go_match(".?*", ".git"), Some(true));
        assert_eq!(go_match(".?*", "."), Some(false));
    }

    #[test]
    fn gobwas_glob_with_separator() {
        let g = Glob::new("files/*.conf").unwrap();
        assert!(g.matches("files/a.conf"));
        assert!(!g.matches("files/sub/a.conf"));
        let g = Glob::new("files/**").unwrap();
        assert!(g.matches("files/sub/a.conf"));
        let g = Glob::new("{a,b}/*.{json,yaml}").unwrap();
        assert!(g.matches("b/x.yaml"));
        assert!(!g.matches("c/x.yaml"));
        assert!(Glob::new("[!x]y").unwrap().matches("ay"));
        assert!(Glob::new("{a").is_none());
    }
}
