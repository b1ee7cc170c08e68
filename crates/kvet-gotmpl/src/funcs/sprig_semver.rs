//! Sprig's `semver` and `semverCompare`, with Masterminds/semver v3 semantics: loose
//! versions (`v1.2` is 1.2.0), constraints with `=`, `!=`, `>`, `<`, `>=`, `<=`, `~`, `~>`,
//! `^`, wildcards (`1.2.x`, `*`), hyphen ranges, `,`/space for AND and `||` for OR, and
//! prereleases matching only constraints that name a prerelease.

use super::sprig::arg_str;
use super::{FuncMap, ParamType as T, Params};
use crate::error::FuncError;
use crate::value::{HostObject, Value};
use regex::Regex;
use std::cmp::Ordering;
use std::sync::{Arc, OnceLock};

/// Registers `semver` and `semverCompare`.
pub fn register(m: &mut FuncMap) {
    m.register(
        "semverCompare",
        Params::fixed(&[T::String, T::String]),
        |_, a| {
            let c = Constraints::parse(arg_str(&a, 0))?;
            let v = Version::parse(arg_str(&a, 1))?;
            Ok(c.check(&v).into())
        },
    );
    m.register("semver", Params::fixed(&[T::String]), |_, a| {
        Ok(Value::Object(Arc::new(Version::parse(arg_str(&a, 0))?)))
    });
}

const OPS: &str = r"=||!=|>|<|>=|=>|<=|=<|~|~>|\^";
const CV: &str = r"v?([0-9|x|X|\*]+)(\.[0-9|x|X|\*]+)?(\.[0-9|x|X|\*]+)?(-([0-9A-Za-z\-]+(\.[0-9A-Za-z\-]+)*))?(\+([0-9A-Za-z\-]+(\.[0-9A-Za-z\-]+)*))?";
const LOOSE: &str = r"^v?([0-9]+)(\.[0-9]+)?(\.[0-9]+)?(-([0-9A-Za-z\-]+(\.[0-9A-Za-z\-]+)*))?(\+([0-9A-Za-z\-]+(\.[0-9A-Za-z\-]+)*))?$";

struct Patterns {
    loose: Regex,
    constraint: Regex,
    range: Regex,
    find: Regex,
    valid: Regex,
}

fn patterns() -> &'static Patterns {
    static P: OnceLock<Patterns> = OnceLock::new();
    P.get_or_init(|| {
        let re = |s: String| Regex::new(&s).expect("semver pattern");
        Patterns {
            loose: re(LOOSE.to_string()),
            constraint: re(format!(r"^\s*({OPS})\s*({CV})\s*$")),
            range: re(format!(r"\s*({CV})\s+-\s+({CV})\s*")),
            find: re(format!(r"({OPS})\s*({CV})")),
            valid: re(format!(
                r"^(\s*({OPS})\s*({CV})\s*)((?:\s+|,\s*)({OPS})\s*({CV})\s*)*$"
            )),
        }
    })
}

/// A semantic version (Masterminds/semver's `*Version`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Version {
    major: u64,
    minor: u64,
    patch: u64,
    pre: String,
    metadata: String,
    original: String,
}

impl Version {
    /// `semver.NewVersion` (coercing form).
    pub fn parse(v: &str) -> Result<Version, FuncError> {
        let c = patterns()
            .loose
            .captures(v)
            .ok_or_else(|| FuncError::new("invalid semantic version"))?;
        let num = |i: usize| -> Result<u64, FuncError> {
            match c.get(i) {
                None => Ok(0),
                Some(m) => m.as_str().trim_start_matches('.').parse::<u64>().map_err(|_| {
                    FuncError::new(format!(
                        "error parsing version segment: strconv.ParseUint: parsing {}: value out of range",
                        crate::gofmt::quote(m.as_str().trim_start_matches('.'), false)
                    ))
                }),
            }
        };
        let pre = c.get(5).map_or("", |m| m.as_str()).to_string();
        for part in pre.split('.').filter(|_| !pre.is_empty()) {
            if part.bytes().all(|b| b.is_ascii_digit()) && part.len() > 1 && part.starts_with('0') {
                return Err("version segment starts with 0".into());
            }
        }
        Ok(Version {
            major: num(1)?,
            minor: num(2)?,
            patch: num(3)?,
            pre,
            metadata: c.get(8).map_or("", |m| m.as_str()).to_string(),
            original: v.to_string(),
        })
    }

    fn compare(&self, o: &Version) -> Ordering {
        self.major
            .cmp(&o.major)
            .then(self.minor.cmp(&o.minor))
            .then(self.patch.cmp(&o.patch))
            .then_with(|| match (self.pre.is_empty(), o.pre.is_empty()) {
                (true, true) => Ordering::Equal,
                (true, false) => Ordering::Greater,
                (false, true) => Ordering::Less,
                (false, false) => compare_prerelease(&self.pre, &o.pre),
            })
    }

    fn string(&self) -> String {
        let mut s = format!("{}.{}.{}", self.major, self.minor, self.patch);
        if !self.pre.is_empty() {
            s.push('-');
            s.push_str(&self.pre);
        }
        if !self.metadata.is_empty() {
            s.push('+');
            s.push_str(&self.metadata);
        }
        s
    }
}

fn compare_prerelease(a: &str, b: &str) -> Ordering {
    let (pa, pb): (Vec<&str>, Vec<&str>) = (a.split('.').collect(), b.split('.').collect());
    for i in 0..pa.len().max(pb.len()) {
        let (s, o) = (
            pa.get(i).copied().unwrap_or(""),
            pb.get(i).copied().unwrap_or(""),
        );
        if s == o {
            continue;
        }
        if s.is_empty() {
            return Ordering::Less;
        }
        if o.is_empty() {
            return Ordering::Greater;
        }
        return match (s.parse::<u64>(), o.parse::<u64>()) {
            (Ok(x), Ok(y)) => {
                if x > y {
                    Ordering::Greater
                } else {
                    Ordering::Less
                }
            }
            (Err(_), Err(_)) => {
                if s > o {
                    Ordering::Greater
                } else {
                    Ordering::Less
                }
            }
            (Err(_), Ok(_)) => Ordering::Greater,
            (Ok(_), Err(_)) => Ordering::Less,
        };
    }
    Ordering::Equal
}

impl HostObject for Version {
    fn type_name(&self) -> &str {
        "*semver.Version"
    }

    fn method(&self, name: &str) -> Option<Params> {
        match name {
            "Major" | "Minor" | "Patch" | "Prerelease" | "Metadata" | "Original" | "String"
            | "IncMajor" | "IncMinor" | "IncPatch" => Some(Params::fixed(&[])),
            "Compare" | "LessThan" | "GreaterThan" | "Equal" | "LessThanEqual"
            | "GreaterThanEqual" => Some(Params::fixed(&[T::Any])),
            _ => None,
        }
    }

    fn call_method(&self, name: &str, args: Vec<Value>) -> Result<Value, FuncError> {
        let other = || -> Result<Version, FuncError> {
            match args.first() {
                Some(Value::Object(o)) => Version::parse(&o.display()),
                Some(Value::String(s)) => Version::parse(s),
                _ => Err("invalid version argument".into()),
            }
        };
        let inc = |v: Version| Value::Object(Arc::new(v));
        Ok(match name {
            "Major" => Value::Int(self.major as i64),
            "Minor" => Value::Int(self.minor as i64),
            "Patch" => Value::Int(self.patch as i64),
            "Prerelease" => self.pre.clone().into(),
            "Metadata" => self.metadata.clone().into(),
            "Original" => self.original.clone().into(),
            "String" => self.string().into(),
            "IncMajor" => inc(Version {
                major: self.major + 1,
                minor: 0,
                patch: 0,
                pre: String::new(),
                metadata: String::new(),
                original: String::new(),
            }),
            "IncMinor" => inc(Version {
                minor: self.minor + 1,
                patch: 0,
                pre: String::new(),
                metadata: String::new(),
                original: String::new(),
                ..self.clone()
            }),
            "IncPatch" => inc(if self.pre.is_empty() {
                Version {
                    patch: self.patch + 1,
                    metadata: String::new(),
                    original: String::new(),
                    ..self.clone()
                }
            } else {
                Version {
                    pre: String::new(),
                    metadata: String::new(),
                    original: String::new(),
                    ..self.clone()
                }
            }),
            "Compare" => Value::Int(self.compare(&other()?) as i64),
            "LessThan" => (self.compare(&other()?) == Ordering::Less).into(),
            "GreaterThan" => (self.compare(&other()?) == Ordering::Greater).into(),
            "Equal" => (self.compare(&other()?) == Ordering::Equal).into(),
            "LessThanEqual" => (self.compare(&other()?) != Ordering::Greater).into(),
            "GreaterThanEqual" => (self.compare(&other()?) != Ordering::Less).into(),
            _ => return Err(format!("can't call method {name} on *semver.Version").into()),
        })
    }

    fn display(&self) -> String {
        self.string()
    }

    fn to_json(&self) -> serde_json::Value {
        serde_json::Value::String(self.string())
    }
}

struct Constraint {
    op: String,
    con: Version,
    orig: String,
    dirty: bool,
    minor_dirty: bool,
    patch_dirty: bool,
}

/// A parsed constraint: OR of ANDs.
struct Constraints {
    groups: Vec<(Vec<Constraint>, bool)>,
}

fn is_x(s: &str) -> bool {
    matches!(s, "x" | "X" | "*")
}

impl Constraints {
    fn parse(c: &str) -> Result<Constraints, FuncError> {
        let p = patterns();
        // Hyphen ranges become `>= a, <= b`.
        let mut text = c.to_string();
        let ranges: Vec<(String, String, String)> = p
            .range
            .captures_iter(c)
            .map(|m| {
                (
                    m[0].to_string(),
                    m.get(1).map_or("", |x| x.as_str()).to_string(),
                    m.get(11).map_or("", |x| x.as_str()).to_string(),
                )
            })
            .collect();
        for (whole, lo, hi) in ranges {
            text = text.replacen(&whole, &format!(">= {lo}, <= {hi} "), 1);
        }
        let mut groups = Vec::new();
        for or in text.split("||") {
            if !p.valid.is_match(or) {
                return Err(
                    format!("improper constraint: {}", crate::gofmt::quote(or, false)).into(),
                );
            }
            let mut found: Vec<String> = p
                .find
                .find_iter(or)
                .map(|m| m.as_str().to_string())
                .collect();
            if found.is_empty() {
                found.push(or.to_string());
            }
            let mut cs = Vec::new();
            let mut has_pre = false;
            for s in found {
                let c = parse_one(&s)?;
                has_pre |= !c.con.pre.is_empty();
                cs.push(c);
            }
            groups.push((cs, has_pre));
        }
        Ok(Constraints { groups })
    }

    fn check(&self, v: &Version) -> bool {
        self.groups
            .iter()
            .any(|(cs, pre)| cs.iter().all(|c| c.check(v, *pre)))
    }
}

fn parse_one(s: &str) -> Result<Constraint, FuncError> {
    if s.is_empty() {
        return Ok(Constraint {
            op: String::new(),
            con: Version::parse("0.0.0")?,
            orig: String::new(),
            dirty: true,
            minor_dirty: false,
            patch_dirty: false,
        });
    }
    let m = patterns().constraint.captures(s).ok_or_else(|| {
        FuncError::new(format!(
            "improper constraint: {}",
            crate::gofmt::quote(s, false)
        ))
    })?;
    let g = |i: usize| m.get(i).map_or("", |x| x.as_str());
    let (mut minor_dirty, mut patch_dirty, mut dirty) = (false, false, false);
    let ver = if is_x(g(3)) || g(3).is_empty() {
        dirty = true;
        format!("0.0.0{}", g(6))
    } else if is_x(g(4).trim_start_matches('.')) || g(4).is_empty() {
        minor_dirty = true;
        dirty = true;
        format!("{}.0.0{}", g(3), g(6))
    } else if is_x(g(5).trim_start_matches('.')) || g(5).is_empty() {
        dirty = true;
        patch_dirty = true;
        format!("{}{}.0{}", g(3), g(4), g(6))
    } else {
        g(2).to_string()
    };
    let con = Version::parse(&ver).map_err(|_| FuncError::new("constraint parser error"))?;
    Ok(Constraint {
        op: g(1).to_string(),
        con,
        orig: g(2).to_string(),
        dirty,
        minor_dirty,
        patch_dirty,
    })
}

impl Constraint {
    fn check(&self, v: &Version, include_pre: bool) -> bool {
        if !v.pre.is_empty() && !include_pre {
            return false;
        }
        let c = &self.con;
        let _ = &self.orig;
        match self.op.as_str() {
            "" | "=" => {
                if self.dirty {
                    self.tilde(v)
                } else {
                    v.compare(c) == Ordering::Equal
                }
            }
            "!=" => {
                if self.dirty {
                    if c.major != v.major {
                        return true;
                    }
                    if c.minor != v.minor && !self.minor_dirty {
                        return true;
                    } else if self.minor_dirty {
                        return false;
                    } else if c.patch != v.patch && !self.patch_dirty {
                        return true;
                    } else if self.patch_dirty {
                        if !v.pre.is_empty() || !c.pre.is_empty() {
                            return compare_prerelease(&v.pre, &c.pre) != Ordering::Equal;
                        }
                        return false;
                    }
                }
                v.compare(c) != Ordering::Equal
            }
            ">" => {
                if !self.dirty {
                    return v.compare(c) == Ordering::Greater;
                }
                if v.major != c.major {
                    return v.major > c.major;
                }
                if self.minor_dirty {
                    return false;
                }
                if self.patch_dirty {
                    return v.minor > c.minor;
                }
                v.compare(c) == Ordering::Greater
            }
            "<" => v.compare(c) == Ordering::Less,
            ">=" | "=>" => v.compare(c) != Ordering::Less,
            "<=" | "=<" => {
                if !self.dirty {
                    return v.compare(c) != Ordering::Greater;
                }
                if v.major > c.major {
                    return false;
                }
                !(v.major == c.major && v.minor > c.minor && !self.minor_dirty)
            }
            "~" | "~>" => self.tilde(v),
            "^" => {
                if v.compare(c) == Ordering::Less {
                    return false;
                }
                if c.major > 0 || self.minor_dirty {
                    return v.major == c.major;
                }
                if c.major == 0 && v.major > 0 {
                    return false;
                }
                if c.minor > 0 || self.patch_dirty {
                    return v.minor == c.minor;
                }
                if c.minor == 0 && v.minor > 0 {
                    return false;
                }
                c.patch == v.patch
            }
            _ => false,
        }
    }

    fn tilde(&self, v: &Version) -> bool {
        let c = &self.con;
        if v.compare(c) == Ordering::Less {
            return false;
        }
        if c.major == 0 && c.minor == 0 && c.patch == 0 && !self.minor_dirty && !self.patch_dirty {
            return true;
        }
        if v.major != c.major {
            return false;
        }
        v.minor == c.minor || self.minor_dirty
    }
}
