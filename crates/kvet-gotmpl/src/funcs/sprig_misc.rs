//! Sprig's paths, URLs, UUIDs, random bytes and network functions.

use super::sprig::{arg_int, arg_str, SprigEnv};
use super::{FuncMap, ParamType as T, Params};
use crate::value::{Map, Value};
use base64::Engine as _;

/// Registers sprig's path, URL, UUID, random and network functions.
pub fn register(m: &mut FuncMap, env: &SprigEnv) {
    let s1 = || Params::fixed(&[T::String]);
    for (name, os) in [("base", false), ("osBase", true)] {
        let _ = os;
        m.register(name, s1(), |_, a| Ok(path_base(arg_str(&a, 0)).into()));
    }
    for name in ["dir", "osDir"] {
        m.register(name, s1(), |_, a| Ok(path_dir(arg_str(&a, 0)).into()));
    }
    for name in ["clean", "osClean"] {
        m.register(name, s1(), |_, a| Ok(path_clean(arg_str(&a, 0)).into()));
    }
    for name in ["ext", "osExt"] {
        m.register(name, s1(), |_, a| Ok(path_ext(arg_str(&a, 0)).into()));
    }
    for name in ["isAbs", "osIsAbs"] {
        m.register(name, s1(), |_, a| {
            Ok(arg_str(&a, 0).starts_with('/').into())
        });
    }
    m.register("urlParse", s1(), |_, a| Ok(url_parse(arg_str(&a, 0))));
    m.register("urlJoin", Params::fixed(&[T::Map]), |_, a| {
        Ok(url_join(a[0].as_map().cloned().unwrap_or_default()).into())
    });
    let e = env.clone();
    m.register("uuidv4", Params::fixed(&[]), move |_, _| {
        let mut b = [0u8; 16];
        e.fill(&mut b);
        b[6] = (b[6] & 0x0f) | 0x40;
        b[8] = (b[8] & 0x3f) | 0x80;
        let h = super::sprig_encoding::hex(&b);
        Ok(format!(
            "{}-{}-{}-{}-{}",
            &h[0..8],
            &h[8..12],
            &h[12..16],
            &h[16..20],
            &h[20..32]
        )
        .into())
    });
    let e = env.clone();
    m.register("randBytes", Params::fixed(&[T::Int]), move |_, a| {
        let n = arg_int(&a, 0).max(0) as usize;
        let mut b = vec![0u8; n];
        e.fill(&mut b);
        Ok(base64::engine::general_purpose::STANDARD.encode(b).into())
    });
    // Helm renders offline (DNS disabled): the lookup yields an empty string.
    m.register("getHostByName", s1(), |_, _| Ok("".into()));
}

/// Go's `path.Clean`.
pub(crate) fn path_clean(p: &str) -> String {
    if p.is_empty() {
        return ".".into();
    }
    let rooted = p.starts_with('/');
    let mut parts: Vec<&str> = Vec::new();
    for seg in p.split('/') {
        match seg {
            "" | "." => {}
            ".." => {
                if parts.last().is_some_and(|l| *l != "..") {
                    parts.pop();
                } else if !rooted {
                    parts.push("..");
                }
            }
            s => parts.push(s),
        }
    }
    let body = parts.join("/");
    match (rooted, body.is_empty()) {
        (true, _) => format!("/{body}"),
        (false, true) => ".".into(),
        (false, false) => body,
    }
}

fn path_base(p: &str) -> String {
    if p.is_empty() {
        return ".".into();
    }
    let t = p.trim_end_matches('/');
    if t.is_empty() {
        return "/".into();
    }
    t.rsplit('/').next().unwrap_or(t).to_string()
}

fn path_dir(p: &str) -> String {
    let dir = match p.rfind('/') {
        Some(i) => &p[..=i],
        None => "",
    };
    path_clean(dir)
}

fn path_ext(p: &str) -> String {
    for (i, c) in p.char_indices().rev() {
        match c {
            '/' => break,
            '.' => return p[i..].to_string(),
            _ => {}
        }
    }
    String::new()
}

/// Sprig's `urlParse`: the parts of a URL as a dict.
fn url_parse(s: &str) -> Value {
    let (rest, fragment) = match s.split_once('#') {
        Some((r, f)) => (r, f),
        None => (s, ""),
    };
    let (scheme, rest) = match rest.find(':') {
        Some(i)
            if i > 0
                && rest[..i]
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c))
                && rest.as_bytes()[0].is_ascii_alphabetic() =>
        {
            (&rest[..i], &rest[i + 1..])
        }
        _ => ("", rest),
    };
    let (rest, query) = match rest.split_once('?') {
        Some((r, q)) => (r, q),
        None => (rest, ""),
    };
    let (authority, path) = match rest.strip_prefix("//") {
        Some(r) => match r.find('/') {
            Some(i) => (&r[..i], &r[i..]),
            None => (r, ""),
        },
        None => ("", rest),
    };
    let (userinfo, host) = match authority.rsplit_once('@') {
        Some((u, h)) => (u, h),
        None => ("", authority),
    };
    let m = Map::new();
    m.insert("scheme", scheme.into());
    m.insert("host", host.into());
    m.insert("hostname", hostname(host).into());
    m.insert("path", path.into());
    m.insert("query", query.into());
    m.insert("opaque", "".into());
    m.insert("fragment", fragment.into());
    m.insert("userinfo", userinfo.into());
    Value::Map(m)
}

fn hostname(host: &str) -> String {
    if let Some(r) = host.strip_prefix('[') {
        return r.split(']').next().unwrap_or_default().to_string();
    }
    host.split(':').next().unwrap_or_default().to_string()
}

/// Sprig's `urlJoin`: the inverse of `urlParse`.
fn url_join(d: Map) -> String {
    let get = |k: &str| {
        d.get(k)
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default()
    };
    let mut out = String::new();
    let scheme = get("scheme");
    if !scheme.is_empty() {
        out.push_str(&scheme);
        out.push(':');
    }
    let opaque = get("opaque");
    if !opaque.is_empty() {
        out.push_str(&opaque);
    } else {
        let host = get("host");
        let user = get("userinfo");
        if !scheme.is_empty() || !host.is_empty() || !user.is_empty() {
            out.push_str("//");
            if !user.is_empty() {
                out.push_str(&user);
                out.push('@');
            }
            out.push_str(&host);
        }
        let path = get("path");
        if !path.is_empty() && !path.starts_with('/') && !host.is_empty() {
            out.push('/');
        }
        out.push_str(&path);
    }
    let q = get("query");
    if !q.is_empty() {
        out.push('?');
        out.push_str(&q);
    }
    let f = get("fragment");
    if !f.is_empty() {
        out.push('#');
        out.push_str(&f);
    }
    out
}
