//! Sprig's encodings, hashes and JSON functions, with Go's `encoding/json` output
//! (sorted keys, HTML escaping unless raw, Go's float forms).

use super::helm::{json_kind, map_or_error};
use super::sprig::arg_str;
use super::{FuncMap, ParamType as T, Params};
use crate::error::FuncError;
use crate::gofmt;
use crate::value::{Value, MAX_DEPTH};
use base64::Engine as _;
use sha2::Digest as _;

/// Registers sprig's encoding, hashing and JSON functions.
pub fn register(m: &mut FuncMap) {
    let s1 = || Params::fixed(&[T::String]);
    m.register("b64enc", s1(), |_, a| {
        Ok(base64::engine::general_purpose::STANDARD
            .encode(arg_str(&a, 0))
            .into())
    });
    m.register("b64dec", s1(), |_, a| {
        let s = arg_str(&a, 0);
        Ok(match base64::engine::general_purpose::STANDARD.decode(s) {
            Ok(b) => String::from_utf8_lossy(&b).into_owned(),
            Err(_) => format!("illegal base64 data at input byte {}", b64_error_at(s)),
        }
        .into())
    });
    m.register("b32enc", s1(), |_, a| {
        Ok(base32_encode(arg_str(&a, 0).as_bytes()).into())
    });
    m.register("b32dec", s1(), |_, a| {
        Ok(match base32_decode(arg_str(&a, 0)) {
            Ok(b) => String::from_utf8_lossy(&b).into_owned(),
            Err(at) => format!("illegal base32 data at input byte {at}"),
        }
        .into())
    });
    m.register("sha1sum", s1(), |_, a| {
        Ok(hex(&sha1(arg_str(&a, 0).as_bytes())).into())
    });
    m.register("sha256sum", s1(), |_, a| {
        Ok(hex(&sha2::Sha256::digest(arg_str(&a, 0).as_bytes())).into())
    });
    m.register("sha512sum", s1(), |_, a| {
        Ok(hex(&sha2::Sha512::digest(arg_str(&a, 0).as_bytes())).into())
    });
    m.register("adler32sum", s1(), |_, a| {
        Ok(adler32(arg_str(&a, 0).as_bytes()).to_string().into())
    });
    // `toJson`/`mustToJson` as Helm defines them (empty string on error / the error).
    m.register("toJson", Params::fixed(&[T::Any]), |_, a| {
        Ok(to_json(&a[0], true, false).unwrap_or_default().into())
    });
    m.register("mustToJson", Params::fixed(&[T::Any]), |_, a| {
        Ok(to_json(&a[0], true, false)?.into())
    });
    m.register("toPrettyJson", Params::fixed(&[T::Any]), |_, a| {
        Ok(to_json(&a[0], true, true).unwrap_or_default().into())
    });
    m.register("mustToPrettyJson", Params::fixed(&[T::Any]), |_, a| {
        Ok(to_json(&a[0], true, true)?.into())
    });
    for name in ["toRawJson", "mustToRawJson"] {
        m.register(name, Params::fixed(&[T::Any]), |_, a| {
            Ok(to_json(&a[0], false, false)?.into())
        });
    }
    // Helm's `fromJson`: a map, with any error under "Error".
    m.register("fromJson", s1(), |_, a| {
        Ok(map_or_error(from_json(arg_str(&a, 0)), ""))
    });
    m.register("fromJsonArray", s1(), |_, a| {
        match from_json(arg_str(&a, 0)) {
            Ok(Value::List(l)) => Ok(Value::List(l)),
            Ok(Value::Nil) => Ok(Value::list(Vec::new())),
            Ok(other) => Ok(Value::list(vec![Value::from(format!(
                "json: cannot unmarshal {} into Go value of type []interface {{}}",
                json_kind(&other)
            ))])),
            Err(e) => Ok(Value::list(vec![Value::from(e)])),
        }
    });
    m.register("mustFromJson", s1(), |_, a| {
        from_json(arg_str(&a, 0)).map_err(FuncError::new)
    });
}

/// Go's `json.Unmarshal` into `interface{}`: numbers become float64. Errors read as Go's.
pub(crate) fn from_json(s: &str) -> Result<Value, String> {
    match serde_json::from_str::<serde_json::Value>(s) {
        Ok(j) => Ok(Value::from_json(&j)),
        Err(e) => Err(match e.classify() {
            serde_json::error::Category::Eof => "unexpected end of JSON input".to_string(),
            _ => {
                let line_start: usize = s
                    .split_inclusive('\n')
                    .take(e.line().saturating_sub(1))
                    .map(str::len)
                    .sum();
                let at = (line_start + e.column()).saturating_sub(1);
                let c = s[at.min(s.len())..].chars().next().unwrap_or(' ');
                format!(
                    "invalid character {} looking for beginning of value",
                    gofmt::quote(&c.to_string(), false).replace('"', "'")
                )
            }
        }),
    }
}

/// Go's `json.Marshal` (`html`: escape `<`, `>`, `&`; `pretty`: `MarshalIndent(v, "", "  ")`).
pub(crate) fn to_json(v: &Value, html: bool, pretty: bool) -> Result<String, FuncError> {
    let mut out = String::new();
    write_json(&mut out, v, html, if pretty { Some(0) } else { None }, 0)?;
    Ok(out)
}

fn write_json(
    out: &mut String,
    v: &Value,
    html: bool,
    indent: Option<usize>,
    depth: usize,
) -> Result<(), FuncError> {
    if depth > MAX_DEPTH {
        return Err("json: unsupported value: encountered a cycle".into());
    }
    let newline = |out: &mut String, level: usize| {
        if indent.is_some() {
            out.push('\n');
            out.push_str(&"  ".repeat(level));
        }
    };
    let level = indent.unwrap_or(0);
    let next = indent.map(|l| l + 1);
    match v {
        Value::Missing | Value::Nil | Value::Func(_) => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Int(i) => out.push_str(&i.to_string()),
        Value::Float(f) => out.push_str(&json_float(*f)?),
        Value::String(s) => json_string(out, s, html),
        Value::List(l) => {
            if l.is_empty() {
                out.push_str("[]");
                return Ok(());
            }
            out.push('[');
            for (i, x) in l.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                newline(out, level + 1);
                write_json(out, x, html, next, depth + 1)?;
            }
            newline(out, level);
            out.push(']');
        }
        Value::Map(m) => {
            let entries = m.entries();
            if entries.is_empty() {
                out.push_str("{}");
                return Ok(());
            }
            out.push('{');
            for (i, (k, x)) in entries.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                newline(out, level + 1);
                json_string(out, k, html);
                out.push(':');
                if indent.is_some() {
                    out.push(' ');
                }
                write_json(out, x, html, next, depth + 1)?;
            }
            newline(out, level);
            out.push('}');
        }
        Value::Object(o) => {
            let j = Value::from_json_ints(&o.to_json());
            write_json(out, &j, html, indent, depth + 1)?;
        }
    }
    Ok(())
}

/// Go's JSON form of a float64.
pub(crate) fn json_float(f: f64) -> Result<String, FuncError> {
    if !f.is_finite() {
        return Err(format!(
            "json: unsupported value: {}",
            gofmt::format_float(f, 'g', -1)
        )
        .into());
    }
    let abs = f.abs();
    let verb = if abs != 0.0 && !(1e-6..1e21).contains(&abs) {
        'e'
    } else {
        'f'
    };
    let mut s = gofmt::format_float(f, verb, -1);
    if verb == 'e' {
        let n = s.len();
        let b = s.as_bytes();
        if n >= 4 && b[n - 4] == b'e' && b[n - 3] == b'-' && b[n - 2] == b'0' {
            s.remove(n - 2);
        }
    }
    Ok(s)
}

fn json_string(out: &mut String, s: &str, html: bool) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '<' | '>' | '&' if html => out.push_str(&format!("\\u00{:02x}", c as u32)),
            '\u{2028}' | '\u{2029}' => out.push_str(&format!("\\u{:04x}", c as u32)),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u00{:02x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
}

/// Where Go's base64 decoder reports the first bad input byte.
fn b64_error_at(s: &str) -> usize {
    let b = s.as_bytes();
    let ok = |c: u8| c.is_ascii_alphanumeric() || c == b'+' || c == b'/';
    let mut i = 0;
    while i < b.len() && ok(b[i]) {
        i += 1;
    }
    if i < b.len() && b[i] != b'=' {
        return i;
    }
    // Wrong length or bad padding: Go reports the start of the incomplete quantum.
    let q = i / 4 * 4;
    if i == b.len() {
        return q;
    }
    if i % 4 < 2 {
        return i;
    }
    (i..b.len()).find(|&j| b[j] != b'=').unwrap_or(q)
}

const B32: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

fn base32_encode(data: &[u8]) -> String {
    let mut out = String::new();
    for chunk in data.chunks(5) {
        let mut buf = [0u8; 5];
        buf[..chunk.len()].copy_from_slice(chunk);
        let n = u64::from_be_bytes([0, 0, 0, buf[0], buf[1], buf[2], buf[3], buf[4]]);
        let chars = (chunk.len() * 8).div_ceil(5);
        for i in 0..8 {
            if i < chars {
                out.push(B32[((n >> (35 - 5 * i)) & 31) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

fn base32_decode(s: &str) -> Result<Vec<u8>, usize> {
    let b: Vec<u8> = s.bytes().filter(|c| *c != b'\n' && *c != b'\r').collect();
    if b.len() % 8 != 0 {
        return Err(b.len() / 8 * 8);
    }
    let mut out = Vec::new();
    for (ci, chunk) in b.chunks(8).enumerate() {
        let mut n: u64 = 0;
        let mut len = 8;
        for (i, &c) in chunk.iter().enumerate() {
            let v = if c == b'=' {
                if len == 8 {
                    len = i;
                }
                0
            } else {
                if len != 8 {
                    return Err(ci * 8 + i);
                }
                match B32.iter().position(|&x| x == c) {
                    Some(p) => p as u64,
                    None => return Err(ci * 8 + i),
                }
            };
            n = (n << 5) | v;
        }
        let bytes = n.to_be_bytes();
        let keep = match len {
            8 => 5,
            7 => 4,
            5 => 3,
            4 => 2,
            2 => 1,
            _ => return Err(ci * 8 + len),
        };
        out.extend_from_slice(&bytes[3..3 + keep]);
    }
    Ok(out)
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn adler32(data: &[u8]) -> u32 {
    let (mut a, mut b) = (1u32, 0u32);
    for &x in data {
        a = (a + x as u32) % 65521;
        b = (b + a) % 65521;
    }
    (b << 16) | a
}

/// SHA-1 (FIPS 180-4), for `sha1sum`.
pub(crate) fn sha1(data: &[u8]) -> [u8; 20] {
    let mut h: [u32; 5] = [0x67452301, 0xEFCDAB89, 0x98BADCFE, 0x10325476, 0xC3D2E1F0];
    let mut msg = data.to_vec();
    let bits = (data.len() as u64).wrapping_mul(8);
    msg.push(0x80);
    while msg.len() % 64 != 56 {
        msg.push(0);
    }
    msg.extend_from_slice(&bits.to_be_bytes());
    for block in msg.chunks(64) {
        let mut w = [0u32; 80];
        for i in 0..16 {
            w[i] = u32::from_be_bytes([
                block[4 * i],
                block[4 * i + 1],
                block[4 * i + 2],
                block[4 * i + 3],
            ]);
        }
        for i in 16..80 {
            w[i] = (w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16]).rotate_left(1);
        }
        let [mut a, mut b, mut c, mut d, mut e] = h;
        for (i, wi) in w.iter().enumerate() {
            let (f, k) = match i {
                0..=19 => ((b & c) | (!b & d), 0x5A827999),
                20..=39 => (b ^ c ^ d, 0x6ED9EBA1),
                40..=59 => ((b & c) | (b & d) | (c & d), 0x8F1BBCDC),
                _ => (b ^ c ^ d, 0xCA62C1D6),
            };
            let t = a
                .rotate_left(5)
                .wrapping_add(f)
                .wrapping_add(e)
                .wrapping_add(k)
                .wrapping_add(*wi);
            e = d;
            d = c;
            c = b.rotate_left(30);
            b = a;
            a = t;
        }
        for (x, y) in h.iter_mut().zip([a, b, c, d, e]) {
            *x = x.wrapping_add(y);
        }
    }
    let mut out = [0u8; 20];
    for (i, x) in h.iter().enumerate() {
        out[4 * i..4 * i + 4].copy_from_slice(&x.to_be_bytes());
    }
    out
}
