//! Sprig's regular-expression functions (RE2 syntax; Rust's `regex` implements the same
//! language). The plain forms panic on a bad pattern as `regexp.MustCompile` does, except
//! `regexMatch`, which is false; the `must` forms return the error.

use super::sprig::{arg_int, arg_str, str_list};
use super::{FuncMap, ParamType as T, Params};
use crate::error::FuncError;
use crate::value::Value;
use regex::{NoExpand, Regex};

/// Registers sprig's regex functions.
pub fn register(m: &mut FuncMap) {
    let s2 = || Params::fixed(&[T::String, T::String]);
    let s2i = || Params::fixed(&[T::String, T::String, T::Int]);
    let s3 = || Params::fixed(&[T::String, T::String, T::String]);
    m.register("regexMatch", s2(), |_, a| {
        Ok(compile(arg_str(&a, 0))
            .map(|r| r.is_match(arg_str(&a, 1)))
            .unwrap_or(false)
            .into())
    });
    m.register("mustRegexMatch", s2(), |_, a| {
        Ok(compile(arg_str(&a, 0))?.is_match(arg_str(&a, 1)).into())
    });
    for name in ["regexFindAll", "mustRegexFindAll"] {
        m.register(name, s2i(), |_, a| {
            let r = compile(arg_str(&a, 0))?;
            let n = arg_int(&a, 2);
            if n == 0 {
                return Ok(Value::list(Vec::new()));
            }
            let it = r.find_iter(arg_str(&a, 1)).map(|m| m.as_str().to_string());
            Ok(str_list(if n < 0 {
                it.collect::<Vec<_>>()
            } else {
                it.take(n as usize).collect()
            }))
        });
    }
    for name in ["regexFind", "mustRegexFind"] {
        m.register(name, s2(), |_, a| {
            let r = compile(arg_str(&a, 0))?;
            Ok(r.find(arg_str(&a, 1))
                .map(|m| m.as_str().to_string())
                .unwrap_or_default()
                .into())
        });
    }
    for name in ["regexReplaceAll", "mustRegexReplaceAll"] {
        m.register(name, s3(), |_, a| {
            let r = compile(arg_str(&a, 0))?;
            Ok(r.replace_all(arg_str(&a, 1), arg_str(&a, 2))
                .into_owned()
                .into())
        });
    }
    for name in ["regexReplaceAllLiteral", "mustRegexReplaceAllLiteral"] {
        m.register(name, s3(), |_, a| {
            let r = compile(arg_str(&a, 0))?;
            Ok(r.replace_all(arg_str(&a, 1), NoExpand(arg_str(&a, 2)))
                .into_owned()
                .into())
        });
    }
    for name in ["regexSplit", "mustRegexSplit"] {
        m.register(name, s2i(), |_, a| {
            let (pat, s, n) = (arg_str(&a, 0), arg_str(&a, 1), arg_int(&a, 2));
            let r = compile(pat)?;
            Ok(str_list(go_regex_split(&r, pat, s, n)))
        });
    }
    m.register("regexQuoteMeta", Params::fixed(&[T::String]), |_, a| {
        let mut out = String::new();
        for c in arg_str(&a, 0).chars() {
            if "\\.+*?()|[]{}^$".contains(c) {
                out.push('\\');
            }
            out.push(c);
        }
        Ok(out.into())
    });
}

fn compile(pat: &str) -> Result<Regex, FuncError> {
    Regex::new(pat).map_err(|e| {
        // Go names the failure (`missing closing )`); Rust's message says the same in
        // other words, so only the prefix matches Go exactly.
        let detail = match &e {
            regex::Error::Syntax(s) => s
                .lines()
                .rev()
                .find(|l| l.starts_with("error:"))
                .unwrap_or_default()
                .trim_start_matches("error:")
                .trim()
                .to_string(),
            other => other.to_string(),
        };
        let quoted = if pat.contains('`') || pat.chars().any(|c| c.is_control() && c != '\t') {
            crate::gofmt::quote(pat, false)
        } else {
            format!("`{pat}`")
        };
        FuncError::new(format!(
            "regexp: Compile({quoted}): error parsing regexp: {detail}: {}",
            format_args!("`{pat}`")
        ))
    })
}

/// Go's `Regexp.Split`.
fn go_regex_split(r: &Regex, pat: &str, s: &str, n: i64) -> Vec<String> {
    if n == 0 {
        return Vec::new();
    }
    if !pat.is_empty() && s.is_empty() {
        return vec![String::new()];
    }
    let mut out = Vec::new();
    let (mut beg, mut end) = (0usize, 0usize);
    let matches: Vec<(usize, usize)> = r.find_iter(s).map(|m| (m.start(), m.end())).collect();
    let matches = if n > 0 {
        &matches[..matches.len().min(n as usize)]
    } else {
        &matches[..]
    };
    for &(ms, me) in matches {
        if n > 0 && out.len() as i64 == n - 1 {
            break;
        }
        end = ms;
        if me != 0 {
            out.push(s[beg..end].to_string());
        }
        beg = me;
    }
    if end != s.len() {
        out.push(s[beg..].to_string());
    }
    out
}
