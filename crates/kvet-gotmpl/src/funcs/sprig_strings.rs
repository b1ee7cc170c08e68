//! Sprig's string functions.

use super::sprig::{
    arg_int, arg_str, runtime_error, sprint_v, str_list, strslice, strval, SprigEnv,
};
use super::{FuncMap, ParamType as T, Params};
use crate::error::FuncError;
use crate::gofmt;
use crate::sourcemap::SourceMap;
use crate::value::{Map, Str, Value};

/// Registers sprig's string functions.
pub fn register(m: &mut FuncMap, env: &SprigEnv) {
    let s1 = || Params::fixed(&[T::String]);
    let s2 = || Params::fixed(&[T::String, T::String]);
    let is = || Params::fixed(&[T::Int, T::String]);
    m.register("hello", Params::fixed(&[]), |_, _| Ok("Hello!".into()));
    m.register("trim", s1(), |_, a| {
        let s = arg_str(&a, 0);
        let start = s.len() - s.trim_start_matches(is_go_space).len();
        let end = s.trim_end_matches(is_go_space).len().max(start);
        Ok(slice_value(&a[0], start, end))
    });
    m.register("upper", s1(), |_, a| {
        Ok(arg_str(&a, 0).to_uppercase().into())
    });
    m.register("lower", s1(), |_, a| {
        Ok(arg_str(&a, 0).to_lowercase().into())
    });
    m.register("title", s1(), |_, a| Ok(title(arg_str(&a, 0)).into()));
    m.register("untitle", s1(), |_, a| Ok(untitle(arg_str(&a, 0)).into()));
    m.register(
        "substr",
        Params::fixed(&[T::Int, T::Int, T::String]),
        |_, a| substr(arg_int(&a, 0), arg_int(&a, 1), arg_str(&a, 2)).map(Value::from),
    );
    m.register("repeat", is(), |_, a| {
        let n = arg_int(&a, 0);
        if n < 0 {
            return Err("strings: negative Repeat count".into());
        }
        Ok(arg_str(&a, 1).repeat(n as usize).into())
    });
    for name in ["trimall", "trimAll"] {
        m.register(name, s2(), |_, a| {
            let cut = arg_str(&a, 0);
            Ok(arg_str(&a, 1).trim_matches(|c| cut.contains(c)).into())
        });
    }
    m.register("trimSuffix", s2(), |_, a| {
        let s = arg_str(&a, 1);
        let end = s.strip_suffix(arg_str(&a, 0)).unwrap_or(s).len();
        Ok(slice_value(&a[1], 0, end))
    });
    m.register("trimPrefix", s2(), |_, a| {
        let s = arg_str(&a, 1);
        let start = s.len() - s.strip_prefix(arg_str(&a, 0)).unwrap_or(s).len();
        Ok(slice_value(&a[1], start, s.len()))
    });
    m.register("nospace", s1(), |_, a| {
        Ok(arg_str(&a, 0)
            .chars()
            .filter(|c| !is_go_space(*c))
            .collect::<String>()
            .into())
    });
    m.register("initials", s1(), |_, a| {
        Ok(arg_str(&a, 0)
            .split(is_go_space)
            .filter_map(|w| w.chars().next())
            .collect::<String>()
            .into())
    });
    type Keep = fn(u8) -> bool;
    let rand_fns: [(&str, Keep); 4] = [
        ("randAlphaNum", |b| b.is_ascii_alphanumeric()),
        ("randAlpha", |b| b.is_ascii_alphabetic()),
        ("randAscii", |b| (32..=126).contains(&b)),
        ("randNumeric", |b| b.is_ascii_digit()),
    ];
    for (name, keep) in rand_fns {
        let env = env.clone();
        m.register(name, Params::fixed(&[T::Int]), move |_, a| {
            let n = arg_int(&a, 0);
            if n < 0 {
                return Err(format!("Requested random string length {n} is less than 0.").into());
            }
            let alphabet: Vec<u8> = (0u8..=127).filter(|b| keep(*b)).collect();
            let s: String = (0..n)
                .map(|_| alphabet[env.below(alphabet.len() as u64) as usize] as char)
                .collect();
            Ok(s.into())
        });
    }
    m.register("swapcase", s1(), |_, a| {
        Ok(arg_str(&a, 0)
            .chars()
            .flat_map(|c| -> Vec<char> {
                if c.is_uppercase() {
                    c.to_lowercase().collect()
                } else if c.is_lowercase() {
                    c.to_uppercase().collect()
                } else {
                    vec![c]
                }
            })
            .collect::<String>()
            .into())
    });
    {
        let env = env.clone();
        m.register("shuffle", s1(), move |_, a| {
            let mut chars: Vec<char> = arg_str(&a, 0).chars().collect();
            for i in (1..chars.len()).rev() {
                let j = env.below(i as u64 + 1) as usize;
                chars.swap(i, j);
            }
            Ok(chars.into_iter().collect::<String>().into())
        });
    }
    m.register("snakecase", s1(), |_, a| {
        Ok(words_joined(arg_str(&a, 0), '_').into())
    });
    m.register("kebabcase", s1(), |_, a| {
        Ok(words_joined(arg_str(&a, 0), '-').into())
    });
    m.register("camelcase", s1(), |_, a| {
        Ok(pascal_case(arg_str(&a, 0)).into())
    });
    m.register("wrap", is(), |_, a| {
        Ok(wrap_custom(arg_str(&a, 1), arg_int(&a, 0), "\n", false).into())
    });
    m.register(
        "wrapWith",
        Params::fixed(&[T::Int, T::String, T::String]),
        |_, a| Ok(wrap_custom(arg_str(&a, 2), arg_int(&a, 0), arg_str(&a, 1), true).into()),
    );
    m.register("contains", s2(), |_, a| {
        Ok(arg_str(&a, 1).contains(arg_str(&a, 0)).into())
    });
    m.register("hasPrefix", s2(), |_, a| {
        Ok(arg_str(&a, 1).starts_with(arg_str(&a, 0)).into())
    });
    m.register("hasSuffix", s2(), |_, a| {
        Ok(arg_str(&a, 1).ends_with(arg_str(&a, 0)).into())
    });
    m.register("quote", Params::variadic(&[], T::Any), |_, a| {
        let parts: Vec<String> = a
            .iter()
            .filter(|v| !v.is_nil())
            .map(|v| gofmt::quote(&strval(v), false))
            .collect();
        Ok(parts.join(" ").into())
    });
    m.register("squote", Params::variadic(&[], T::Any), |_, a| {
        let parts: Vec<String> = a
            .iter()
            .filter(|v| !v.is_nil())
            .map(|v| format!("'{}'", strval(v)))
            .collect();
        Ok(parts.join(" ").into())
    });
    m.register("cat", Params::variadic(&[], T::Any), |_, a| {
        let parts: Vec<String> = a.iter().filter(|v| !v.is_nil()).map(sprint_v).collect();
        Ok(parts.join(" ").into())
    });
    m.register("indent", is(), |_, a| {
        Ok(indent_value(&a[1], arg_int(&a, 0), false))
    });
    m.register("nindent", is(), |_, a| {
        Ok(indent_value(&a[1], arg_int(&a, 0), true))
    });
    m.register(
        "replace",
        Params::fixed(&[T::String, T::String, T::String]),
        |_, a| {
            Ok(arg_str(&a, 2)
                .replace(arg_str(&a, 0), arg_str(&a, 1))
                .into())
        },
    );
    m.register(
        "plural",
        Params::fixed(&[T::String, T::String, T::Int]),
        |_, a| {
            Ok(if arg_int(&a, 2) == 1 {
                a[0].clone()
            } else {
                a[1].clone()
            })
        },
    );
    m.register("toString", Params::fixed(&[T::Any]), |_, a| {
        Ok(strval(&a[0]).into())
    });
    m.register("abbrev", is(), |_, a| {
        let (w, s) = (arg_int(&a, 0), arg_str(&a, 1));
        if w < 4 {
            return Ok(s.into());
        }
        Ok(abbreviate(s, 0, w).into())
    });
    m.register(
        "abbrevboth",
        Params::fixed(&[T::Int, T::Int, T::String]),
        |_, a| {
            let (l, r, s) = (arg_int(&a, 0), arg_int(&a, 1), arg_str(&a, 2));
            if r < 4 || (l > 0 && r < 7) {
                return Ok(s.into());
            }
            Ok(abbreviate(s, l, r).into())
        },
    );
    m.register("trunc", is(), |_, a| {
        let (c, s) = (arg_int(&a, 0), arg_str(&a, 1));
        let n = s.len() as i64;
        Ok(if c < 0 && n + c > 0 {
            bytes_str(s, (n + c) as usize, s.len())
        } else if c >= 0 && n > c {
            bytes_str(s, 0, c as usize)
        } else {
            s.to_string()
        }
        .into())
    });
    m.register("split", s2(), |_, a| {
        let parts = go_split(arg_str(&a, 1), arg_str(&a, 0), -1);
        Ok(indexed_map(parts))
    });
    m.register("splitList", s2(), |_, a| {
        Ok(str_list(go_split(arg_str(&a, 1), arg_str(&a, 0), -1)))
    });
    m.register(
        "splitn",
        Params::fixed(&[T::String, T::Int, T::String]),
        |_, a| {
            let parts = go_split(arg_str(&a, 2), arg_str(&a, 0), arg_int(&a, 1));
            Ok(indexed_map(parts))
        },
    );
    m.register("toStrings", Params::fixed(&[T::Any]), |_, a| {
        Ok(str_list(strslice(&a[0])))
    });
    m.register("join", Params::fixed(&[T::String, T::Any]), |_, a| {
        Ok(strslice(&a[1]).join(arg_str(&a, 0)).into())
    });
    m.register("sortAlpha", Params::fixed(&[T::Any]), |_, a| {
        let mut v = match &a[0] {
            Value::List(_) => strslice(&a[0]),
            other => vec![strval(other)],
        };
        v.sort();
        Ok(str_list(v))
    });
    m.register("atoi", s1(), |_, a| {
        let s = arg_str(&a, 0);
        let digits = s.strip_prefix(['+', '-']).unwrap_or(s);
        let ok = !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit());
        Ok(Value::Int(if ok {
            s.parse::<i64>().unwrap_or(0)
        } else {
            0
        }))
    });
}

/// Go's `unicode.IsSpace`.
pub(crate) fn is_go_space(c: char) -> bool {
    matches!(
        c,
        '\t' | '\n' | '\u{0B}' | '\u{0C}' | '\r' | ' ' | '\u{85}' | '\u{A0}'
    ) || (c as u32 > 0xFF && c.is_whitespace())
}

/// A byte range of `s` as Go slices strings (a cut inside a character becomes U+FFFD).
fn bytes_str(s: &str, from: usize, to: usize) -> String {
    String::from_utf8_lossy(&s.as_bytes()[from..to]).into_owned()
}

fn substr(start: i64, end: i64, s: &str) -> Result<String, FuncError> {
    let n = s.len() as i64;
    if start < 0 {
        if end < 0 || end > n {
            return Err(runtime_error(format!(
                "slice bounds out of range [:{end}] with length {n}"
            )));
        }
        return Ok(bytes_str(s, 0, end as usize));
    }
    if end < 0 || end > n {
        if start > n {
            return Err(runtime_error(format!(
                "slice bounds out of range [{start}:{n}]"
            )));
        }
        return Ok(bytes_str(s, start as usize, s.len()));
    }
    if start > end {
        return Err(runtime_error(format!(
            "slice bounds out of range [{start}:{end}]"
        )));
    }
    Ok(bytes_str(s, start as usize, end as usize))
}

fn indent(spaces: i64, v: &str) -> String {
    let pad = " ".repeat(spaces.max(0) as usize);
    format!("{pad}{}", v.replace('\n', &format!("\n{pad}")))
}

/// Go's `strings.Title`: upper-cases the first letter of each word.
fn title(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut prev_sep = true;
    for c in s.chars() {
        if prev_sep {
            out.extend(c.to_uppercase());
        } else {
            out.push(c);
        }
        prev_sep = if c.is_ascii() {
            !(c.is_ascii_alphanumeric() || c == '_')
        } else if c.is_alphanumeric() {
            false
        } else {
            is_go_space(c)
        };
    }
    out
}

/// goutils' `Uncapitalize`: lower-cases the first letter of each whitespace-separated word.
fn untitle(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut at_start = true;
    for c in s.chars() {
        if is_go_space(c) {
            at_start = true;
            out.push(c);
        } else if at_start {
            out.extend(c.to_lowercase());
            at_start = false;
        } else {
            out.push(c);
        }
    }
    out
}

/// Splits identifiers into words the way xstrings does for snake and kebab case: at
/// separators, at lower→upper steps, and before the last capital of a capital run that
/// precedes a lower-case letter (`HTTPServer` → `http`, `server`).
fn words_joined(s: &str, sep: char) -> String {
    let chars: Vec<char> = s.chars().collect();
    let mut words: Vec<String> = Vec::new();
    let mut cur = String::new();
    for (i, &c) in chars.iter().enumerate() {
        if !c.is_alphanumeric() {
            if !cur.is_empty() {
                words.push(std::mem::take(&mut cur));
            }
            continue;
        }
        if !cur.is_empty() && c.is_uppercase() {
            let prev = chars[i - 1];
            let next_lower = chars.get(i + 1).is_some_and(|n| n.is_lowercase());
            if prev.is_lowercase() || prev.is_ascii_digit() || (prev.is_uppercase() && next_lower) {
                words.push(std::mem::take(&mut cur));
            }
        }
        cur.extend(c.to_lowercase());
    }
    if !cur.is_empty() {
        words.push(cur);
    }
    words.join(&sep.to_string())
}

/// xstrings' `ToPascalCase`: words split at separators, each first letter upper-cased.
fn pascal_case(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut up = true;
    for c in s.chars() {
        if matches!(c, '_' | '-' | ' ' | '.') || is_go_space(c) {
            up = true;
            continue;
        }
        if up {
            out.extend(c.to_uppercase());
            up = false;
        } else {
            out.push(c);
        }
    }
    out
}

/// goutils' `WrapCustom` (Apache commons `WordUtils.wrap`), by bytes as Go does.
fn wrap_custom(s: &str, len: i64, nl: &str, wrap_long: bool) -> String {
    if s.is_empty() {
        return String::new();
    }
    let nl = if nl.is_empty() { "\n" } else { nl };
    let width = len.max(1) as usize;
    let b = s.as_bytes();
    let n = b.len();
    let mut off = 0usize;
    let mut out: Vec<u8> = Vec::with_capacity(n + n / width.max(1));
    while n - off > width {
        if b[off] == b' ' {
            off += 1;
            continue;
        }
        let end = width + off + 1;
        let space = b[off..end].iter().rposition(|&c| c == b' ');
        match space {
            Some(p) => {
                out.extend_from_slice(&b[off..off + p]);
                out.extend_from_slice(nl.as_bytes());
                off += p + 1;
            }
            None if wrap_long => {
                out.extend_from_slice(&b[off..off + width]);
                out.extend_from_slice(nl.as_bytes());
                off += width;
            }
            None => {
                let end = width + off;
                match b[end..].iter().position(|&c| c == b' ') {
                    None => {
                        out.extend_from_slice(&b[off..]);
                        off = n;
                    }
                    Some(i) => {
                        out.extend_from_slice(&b[off..end + i]);
                        out.extend_from_slice(nl.as_bytes());
                        off = end + i + 1;
                    }
                }
            }
        }
    }
    out.extend_from_slice(&b[off..]);
    String::from_utf8_lossy(&out).into_owned()
}

/// goutils' `AbbreviateFull` (callers have checked the widths).
fn abbreviate(s: &str, offset: i64, width: i64) -> String {
    let n = s.len() as i64;
    if s.is_empty() || n <= width {
        return s.to_string();
    }
    let mut offset = offset.min(n);
    if n - offset < width - 3 {
        offset = n - (width - 3);
    }
    if offset <= 4 {
        return format!("{}...", bytes_str(s, 0, (width - 3) as usize));
    }
    if width < 7 {
        return s.to_string();
    }
    if offset + width - 3 < n {
        let rest = bytes_str(s, offset as usize, s.len());
        let inner = if width - 3 < 4 {
            String::new()
        } else {
            abbreviate(&rest, 0, width - 3)
        };
        return format!("...{inner}");
    }
    format!("...{}", bytes_str(s, (n - (width - 3)) as usize, s.len()))
}

/// Go's `strings.SplitN` (`n < 0`: all parts; `n == 0`: none).
pub(crate) fn go_split(s: &str, sep: &str, n: i64) -> Vec<String> {
    if n == 0 {
        return Vec::new();
    }
    if sep.is_empty() {
        let chars: Vec<String> = s.chars().map(String::from).collect();
        if n > 0 && chars.len() > n as usize {
            let head = n as usize - 1;
            let mut out: Vec<String> = chars[..head].to_vec();
            out.push(chars[head..].concat());
            return out;
        }
        return chars;
    }
    if n < 0 {
        s.split(sep).map(String::from).collect()
    } else {
        s.splitn(n as usize, sep).map(String::from).collect()
    }
}

fn indexed_map(parts: Vec<String>) -> Value {
    let m = Map::new();
    for (i, p) in parts.into_iter().enumerate() {
        m.insert(format!("_{i}"), Value::from(p));
    }
    Value::Map(m)
}

/// `s` indented as `indent` (or `nindent` when `newline`) does, keeping the source map of
/// template output so positions inside `include … | nindent 4` still point at the template.
fn indent_value(s: &Value, spaces: i64, newline: bool) -> Value {
    let text = s.as_str().unwrap_or_default();
    let out = format!(
        "{}{}",
        if newline { "\n" } else { "" },
        indent(spaces, text)
    );
    let Some(map) = (match s {
        Value::String(st) => st.source_map(),
        _ => None,
    }) else {
        return out.into();
    };
    let pad = spaces.max(0) as usize;
    let prefix = usize::from(newline);
    let shift = |o: usize| prefix + pad * (1 + text[..o.min(text.len())].matches('\n').count()) + o;
    let mut line_starts: Vec<usize> = vec![0];
    line_starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
    let mut new = SourceMap::new();
    let ids: Vec<u32> = map.sources().iter().map(|n| new.source_id(n)).collect();
    let segs = map.segments();
    let (mut si, mut li) = (0, 0);
    while si < segs.len() || li < line_starts.len() {
        let seg_off = segs.get(si).map(|s| s.output_offset as usize);
        let line_off = line_starts.get(li).copied();
        match (seg_off, line_off) {
            (Some(so), lo) if lo.is_none_or(|l| so <= l) => {
                let sg = segs[si];
                let src = ids.get(sg.source as usize).copied().unwrap_or(0);
                new.push(shift(so), src, sg.line, sg.column, sg.literal);
                if lo == Some(so) {
                    li += 1;
                }
                si += 1;
            }
            (_, Some(l)) => {
                if l < text.len() {
                    if let (Some(seg), Some(loc)) = (map.segment_at(l), map.locate(text, l)) {
                        let src = ids.get(seg.source as usize).copied().unwrap_or(0);
                        new.push(shift(l), src, loc.line, loc.column, seg.literal);
                    }
                }
                li += 1;
            }
            _ => break,
        }
    }
    Value::String(Str::tracked(out, new))
}

/// The byte range `from..to` of a string value, keeping its source map.
fn slice_value(s: &Value, from: usize, to: usize) -> Value {
    let text = s.as_str().unwrap_or_default();
    let out = &text[from..to];
    let Some(map) = (match s {
        Value::String(st) => st.source_map(),
        _ => None,
    }) else {
        return out.into();
    };
    let mut new = SourceMap::new();
    let ids: Vec<u32> = map.sources().iter().map(|n| new.source_id(n)).collect();
    if let (Some(seg), Some(loc)) = (map.segment_at(from), map.locate(text, from)) {
        let src = ids.get(seg.source as usize).copied().unwrap_or(0);
        new.push(0, src, loc.line, loc.column, seg.literal);
    }
    for sg in map.segments() {
        let o = sg.output_offset as usize;
        if o > from && o < to {
            let src = ids.get(sg.source as usize).copied().unwrap_or(0);
            new.push(o - from, src, sg.line, sg.column, sg.literal);
        }
    }
    Value::String(Str::tracked(out, new))
}
