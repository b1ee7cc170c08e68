//! Semantic versions and constraints as Masterminds/semver v3 reads them (Helm's
//! dependency `version` ranges and chart `kubeVersion`).

use std::cmp::Ordering;

/// A parsed version (loose: `v` prefix and missing minor/patch allowed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Version {
    /// Major.
    pub major: u64,
    /// Minor.
    pub minor: u64,
    /// Patch.
    pub patch: u64,
    /// Pre-release identifiers (after `-`), empty when none.
    pub pre: String,
}

impl Version {
    /// Parses a version; `None` when it is not one.
    pub fn parse(s: &str) -> Option<Version> {
        let s = s.strip_prefix('v').unwrap_or(s);
        let (core, _build) = match s.split_once('+') {
            Some((c, b)) => {
                if !valid_idents(b) {
                    return None;
                }
                (c, b)
            }
            None => (s, ""),
        };
        let (nums, pre) = match core.split_once('-') {
            Some((n, p)) => {
                if !valid_idents(p) {
                    return None;
                }
                (n, p)
            }
            None => (core, ""),
        };
        let parts: Vec<&str> = nums.split('.').collect();
        if parts.is_empty() || parts.len() > 3 {
            return None;
        }
        let mut n = [0u64; 3];
        for (i, p) in parts.iter().enumerate() {
            if p.is_empty() || !p.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            n[i] = p.parse().ok()?;
        }
        Some(Version {
            major: n[0],
            minor: n[1],
            patch: n[2],
            pre: pre.to_owned(),
        })
    }

    fn cmp_core(&self, o: &Version) -> Ordering {
        (self.major, self.minor, self.patch).cmp(&(o.major, o.minor, o.patch))
    }
}

fn valid_idents(s: &str) -> bool {
    !s.is_empty()
        && s.split('.')
            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-'))
}

fn cmp_pre(a: &str, b: &str) -> Ordering {
    match (a.is_empty(), b.is_empty()) {
        (true, true) => return Ordering::Equal,
        (true, false) => return Ordering::Greater,
        (false, true) => return Ordering::Less,
        _ => {}
    }
    let (mut x, mut y) = (a.split('.'), b.split('.'));
    loop {
        match (x.next(), y.next()) {
            (None, None) => return Ordering::Equal,
            (None, Some(_)) => return Ordering::Less,
            (Some(_), None) => return Ordering::Greater,
            (Some(p), Some(q)) => {
                let o = match (p.parse::<u64>(), q.parse::<u64>()) {
                    (Ok(i), Ok(j)) => i.cmp(&j),
                    (Ok(_), Err(_)) => Ordering::Less,
                    (Err(_), Ok(_)) => Ordering::Greater,
                    _ => p.cmp(q),
                };
                if o != Ordering::Equal {
                    return o;
                }
            }
        }
    }
}

impl PartialOrd for Version {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Version {
    fn cmp(&self, o: &Self) -> Ordering {
        self.cmp_core(o).then_with(|| cmp_pre(&self.pre, &o.pre))
    }
}

#[derive(Debug, Clone)]
struct Single {
    op: String,
    con: Version,
    major_dirty: bool,
    minor_dirty: bool,
    patch_dirty: bool,
    dirty: bool,
}

/// A constraint such as `>=1.2.0 <2`, `^1.4`, `~0.3 || 1.x`, `1.0 - 2.0`.
#[derive(Debug, Clone)]
pub struct Constraint {
    groups: Vec<Vec<Single>>,
}

impl Constraint {
    /// Parses a constraint; `None` when it is malformed (Masterminds: "improper constraint").
    pub fn parse(s: &str) -> Option<Constraint> {
        let mut groups = Vec::new();
        for group in s.split("||") {
            let mut singles = Vec::new();
            let toks = tokenize(group)?;
            let mut i = 0;
            while i < toks.len() {
                // Hyphen range: `A - B`.
                if i + 2 < toks.len() && toks[i + 1] == "-" {
                    singles.push(single(&format!(">={}", toks[i]))?);
                    singles.push(single(&format!("<={}", toks[i + 2]))?);
                    i += 3;
                    continue;
                }
                singles.push(single(&toks[i])?);
                i += 1;
            }
            if singles.is_empty() {
                return None;
            }
            groups.push(singles);
        }
        Some(Constraint { groups })
    }

    /// Whether `v` satisfies the constraint.
    pub fn matches(&self, v: &Version) -> bool {
        self.groups.iter().any(|g| g.iter().all(|c| c.check(v)))
    }
}

fn tokenize(group: &str) -> Option<Vec<String>> {
    // Operators may be separated from their version by spaces; constraints by spaces or commas.
    let mut toks: Vec<String> = Vec::new();
    let mut pending_op = String::new();
    for raw in group.split([',', ' ', '\t']).filter(|t| !t.is_empty()) {
        let is_op = raw.chars().all(|c| "=<>!~^".contains(c));
        if is_op {
            pending_op.push_str(raw);
            continue;
        }
        if raw == "-" {
            toks.push(raw.to_owned());
            continue;
        }
        toks.push(format!("{pending_op}{raw}"));
        pending_op.clear();
    }
    if !pending_op.is_empty() {
        return None;
    }
    Some(toks)
}

fn single(t: &str) -> Option<Single> {
    let op_len = t.find(|c: char| !"=<>!~^".contains(c)).unwrap_or(t.len());
    let (op, ver) = t.split_at(op_len);
    let op = match op {
        "" | "=" => "=",
        "!=" => "!=",
        ">" => ">",
        "<" => "<",
        ">=" | "=>" => ">=",
        "<=" | "=<" => "<=",
        "~" | "~>" => "~",
        "^" => "^",
        _ => return None,
    };
    let ver = ver.strip_prefix('v').unwrap_or(ver);
    let (core, rest) = match ver.find(['-', '+']) {
        Some(i) => (&ver[..i], &ver[i..]),
        None => (ver, ""),
    };
    let parts: Vec<&str> = core.split('.').collect();
    if parts.is_empty() || parts.len() > 3 || parts[0].is_empty() {
        return None;
    }
    let wild = |p: &str| p == "x" || p == "X" || p == "*";
    let mut nums = Vec::new();
    let mut dirty_from = parts.len();
    for (i, p) in parts.iter().enumerate() {
        if wild(p) {
            dirty_from = dirty_from.min(i);
            nums.push("0".to_owned());
        } else if i >= dirty_from {
            nums.push("0".to_owned());
        } else {
            nums.push((*p).to_owned());
        }
    }
    while nums.len() < 3 {
        nums.push("0".to_owned());
    }
    let con = Version::parse(&format!("{}.{}.{}{}", nums[0], nums[1], nums[2], rest))?;
    let minor_dirty = dirty_from <= 1;
    let patch_dirty = dirty_from <= 2;
    Some(Single {
        op: op.to_owned(),
        con,
        major_dirty: dirty_from == 0,
        minor_dirty,
        patch_dirty,
        dirty: patch_dirty,
    })
}

impl Single {
    fn check(&self, v: &Version) -> bool {
        // Pre-releases only satisfy constraints that name a pre-release themselves.
        if !v.pre.is_empty() && self.con.pre.is_empty() {
            return false;
        }
        let c = &self.con;
        match self.op.as_str() {
            "=" => {
                if self.major_dirty {
                    return true;
                }
                if !self.dirty {
                    return v == c;
                }
                v.major == c.major && (self.minor_dirty || v.minor == c.minor)
            }
            "!=" => {
                if !self.dirty {
                    return v != c;
                }
                !(v.major == c.major && (self.minor_dirty || v.minor == c.minor))
            }
            ">" => {
                if !self.dirty {
                    return v > c;
                }
                if v.major != c.major {
                    return v.major > c.major;
                }
                if self.minor_dirty {
                    return false;
                }
                v.minor > c.minor
            }
            ">=" => v >= c,
            "<" => v < c,
            "<=" => {
                if !self.dirty {
                    return v <= c;
                }
                if v.major != c.major {
                    return v.major < c.major;
                }
                if self.minor_dirty {
                    return true;
                }
                v.minor <= c.minor
            }
            "~" => {
                if v < c {
                    return false;
                }
                if v.major != c.major {
                    return false;
                }
                self.minor_dirty || v.minor == c.minor
            }
            "^" => {
                if v < c {
                    return false;
                }
                if c.major > 0 || self.minor_dirty {
                    return v.major == c.major;
                }
                if v.major > 0 {
                    return false;
                }
                if c.minor > 0 || self.patch_dirty {
                    return v.minor == c.minor;
                }
                if v.minor > 0 {
                    return false;
                }
                v.patch == c.patch
            }
            _ => false,
        }
    }
}

/// Helm's `IsCompatibleRange`: whether version `v` satisfies `constraint` (false when either
/// is malformed).
pub fn is_compatible_range(constraint: &str, v: &str) -> bool {
    match (Constraint::parse(constraint), Version::parse(v)) {
        (Some(c), Some(v)) => c.matches(&v),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::is_compatible_range as ok;

    #[test]
    fn constraints_follow_masterminds() {
        assert!(ok(">=1.25.0-0", "v1.33.0"));
        assert!(!ok(">=1.34.0-0", "v1.33.0"));
        assert!(ok("~1.2.0", "1.2.9"));
        assert!(!ok("~1.2.0", "1.3.0"));
        assert!(ok("^1.2", "1.9.0"));
        assert!(!ok("^1.2", "2.0.0"));
        assert!(ok("^0.2.3", "0.2.9"));
        assert!(!ok("^0.2.3", "0.3.0"));
        assert!(ok("1.x", "1.4.2"));
        assert!(ok("*", "3.0.0"));
        assert!(ok("1.0.0 - 2.0.0", "1.5.0"));
        assert!(ok(">=1.0, <2.0", "1.5.0"));
        assert!(ok("<1 || >=3", "3.1.0"));
        assert!(!ok("<1 || >=3", "2.1.0"));
        assert!(!ok(">=1.0", "1.5.0-beta.1"));
        assert!(ok("0.1.0", "0.1.0"));
        assert!(!ok("", "0.1.0"));
        assert!(ok("> 1.2", "1.3.0"));
        assert!(!ok("> 1.2", "1.2.5"));
    }
}
