//! Scalar resolution as Kubernetes' YAML reader (sigs.k8s.io/yaml over go-yaml v2) performs it.
//!
//! YAML 1.1 rules: `yes`/`on`/`y` are booleans, `0644` is octal, `1_000` is 1000, `0x1F` is hex,
//! `0b101` is binary, timestamps stay strings. Values then pass through Go's JSON encoder, so an
//! integral float such as `3.0` reaches the API server as the integer `3`; [`Scalar::into_json`]
//! performs that round trip too.

use serde_json::{Number, Value};

/// A resolved scalar, before conversion to JSON.
#[derive(Debug, Clone, PartialEq)]
pub enum Scalar {
    /// `~`, `null`, empty.
    Null,
    /// YAML 1.1 booleans.
    Bool(bool),
    /// Integers that fit in i64.
    Int(i64),
    /// Integers in (i64::MAX, u64::MAX].
    Uint(u64),
    /// Floats, including integers too large for u64 (Go keeps them as big.Int, which JSON
    /// encodes as a number; serde_json reads such numbers back as f64).
    Float(f64),
    /// Everything else.
    Str(String),
}

/// How a scalar was written, which decides whether plain-scalar resolution applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    /// Unquoted.
    Plain,
    /// Quoted or block scalar: always a string unless explicitly tagged.
    Quoted,
}

/// Why a tagged scalar could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TagError(pub String);

const CORE_PREFIX: &str = "tag:yaml.org,2002:";

/// Resolves `text` written in `style` with an optional tag (`handle` + `suffix` as the parser
/// reports it).
pub fn resolve(text: &str, style: Style, tag: Option<(&str, &str)>) -> Result<Scalar, TagError> {
    let tag = match tag {
        None => None,
        Some((handle, suffix)) if handle == CORE_PREFIX => Some(suffix),
        // `!foo` and other local tags: go-yaml leaves the value as written.
        Some(_) => return Ok(Scalar::Str(text.to_owned())),
    };
    match tag {
        None if style == Style::Quoted => Ok(Scalar::Str(text.to_owned())),
        None => Ok(resolve_plain(text)),
        Some("str") => Ok(Scalar::Str(text.to_owned())),
        Some("binary") => decode_binary(text),
        Some(t @ ("int" | "float" | "bool" | "null" | "timestamp")) => {
            let resolved = resolve_plain(text);
            let ok = match (t, &resolved) {
                ("int", Scalar::Int(_) | Scalar::Uint(_)) => true,
                ("float", Scalar::Float(_)) => true,
                // go-yaml turns an integer tagged !!float into a float.
                ("float", Scalar::Int(i)) => return Ok(Scalar::Float(*i as f64)),
                ("float", Scalar::Uint(u)) => return Ok(Scalar::Float(*u as f64)),
                ("bool", Scalar::Bool(_)) => true,
                ("null", Scalar::Null) => true,
                ("timestamp", Scalar::Str(_)) => is_timestamp(text),
                _ => false,
            };
            if ok {
                Ok(resolved)
            } else {
                Err(TagError(format!(
                    "cannot decode {} `{}` as a !!{}",
                    kind_name(&resolved),
                    text,
                    t
                )))
            }
        }
        // Other core tags (!!map, !!seq, !!set, !!omap …) on a scalar: keep the text.
        Some(_) => Ok(Scalar::Str(text.to_owned())),
    }
}

fn kind_name(s: &Scalar) -> &'static str {
    match s {
        Scalar::Null => "!!null",
        Scalar::Bool(_) => "!!bool",
        Scalar::Int(_) | Scalar::Uint(_) => "!!int",
        Scalar::Float(_) => "!!float",
        Scalar::Str(_) => "!!str",
    }
}

fn decode_binary(text: &str) -> Result<Scalar, TagError> {
    use base64::Engine;
    let compact: String = text.chars().filter(|c| !c.is_whitespace()).collect();
    match base64::engine::general_purpose::STANDARD.decode(compact.as_bytes()) {
        Ok(bytes) => Ok(Scalar::Str(String::from_utf8_lossy(&bytes).into_owned())),
        Err(e) => Err(TagError(format!("!!binary value is not valid base64: {e}"))),
    }
}

/// Resolves an untagged plain scalar.
pub fn resolve_plain(text: &str) -> Scalar {
    let first = match text.as_bytes().first() {
        None => return Scalar::Null,
        Some(b) => *b,
    };
    match first {
        b'y' | b'Y' | b'n' | b'N' | b't' | b'T' | b'f' | b'F' | b'o' | b'O' | b'~' => {
            lookup_word(text).unwrap_or_else(|| Scalar::Str(text.to_owned()))
        }
        b'.' => {
            if let Some(s) = lookup_word(text) {
                return s;
            }
            match parse_go_float(text) {
                Some(f) => Scalar::Float(f),
                None => Scalar::Str(text.to_owned()),
            }
        }
        b'+' | b'-' | b'0'..=b'9' => {
            if let Some(s) = lookup_word(text) {
                return s;
            }
            resolve_number(text).unwrap_or_else(|| Scalar::Str(text.to_owned()))
        }
        _ => Scalar::Str(text.to_owned()),
    }
}

fn lookup_word(text: &str) -> Option<Scalar> {
    Some(match text {
        "y" | "Y" | "yes" | "Yes" | "YES" | "true" | "True" | "TRUE" | "on" | "On" | "ON" => {
            Scalar::Bool(true)
        }
        "n" | "N" | "no" | "No" | "NO" | "false" | "False" | "FALSE" | "off" | "Off" | "OFF" => {
            Scalar::Bool(false)
        }
        "~" | "null" | "Null" | "NULL" => Scalar::Null,
        ".nan" | ".NaN" | ".NAN" => Scalar::Float(f64::NAN),
        ".inf" | ".Inf" | ".INF" | "+.inf" | "+.Inf" | "+.INF" => Scalar::Float(f64::INFINITY),
        "-.inf" | "-.Inf" | "-.INF" => Scalar::Float(f64::NEG_INFINITY),
        _ => return None,
    })
}

fn resolve_number(text: &str) -> Option<Scalar> {
    if is_timestamp(text) {
        // go-yaml v2 recognises timestamps but hands them to untyped targets as strings.
        return Some(Scalar::Str(text.to_owned()));
    }
    let plain: String = text.chars().filter(|&c| c != '_').collect();
    if let Some(s) = parse_go_int(&plain) {
        return Some(s);
    }
    if is_yaml_float(&plain) {
        if let Some(f) = parse_go_float(&plain) {
            return Some(Scalar::Float(f));
        }
    }
    if let Some(rest) = plain.strip_prefix("-0b") {
        return i64::from_str_radix(rest, 2)
            .ok()
            .and_then(|v| v.checked_neg())
            .map(Scalar::Int);
    }
    None
}

/// Go's `strconv.ParseInt(s, 0, 64)` then `ParseUint(s, 0, 64)`: sign, then `0x`, `0o`, `0b`
/// or a leading `0` for octal.
fn parse_go_int(s: &str) -> Option<Scalar> {
    let (neg, body) = match s.as_bytes().first()? {
        b'+' => (false, &s[1..]),
        b'-' => (true, &s[1..]),
        _ => (false, s),
    };
    if body.is_empty() {
        return None;
    }
    let (radix, digits) = if let Some(d) = body.strip_prefix("0x").or(body.strip_prefix("0X")) {
        (16, d)
    } else if let Some(d) = body.strip_prefix("0o").or(body.strip_prefix("0O")) {
        (8, d)
    } else if let Some(d) = body.strip_prefix("0b").or(body.strip_prefix("0B")) {
        (2, d)
    } else if body.len() > 1 && body.starts_with('0') {
        (8, &body[1..])
    } else {
        (10, body)
    };
    if digits.is_empty() || !digits.bytes().all(|b| (b as char).is_digit(radix)) {
        return None;
    }
    let magnitude = u64::from_str_radix(digits, radix).ok()?;
    if neg {
        if magnitude <= i64::MAX as u64 + 1 {
            Some(Scalar::Int((magnitude as i64).wrapping_neg()))
        } else {
            None
        }
    } else if magnitude <= i64::MAX as u64 {
        Some(Scalar::Int(magnitude as i64))
    } else {
        Some(Scalar::Uint(magnitude))
    }
}

/// `^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$`
fn is_yaml_float(s: &str) -> bool {
    let b = s.as_bytes();
    let mut i = 0;
    if i < b.len() && (b[i] == b'+' || b[i] == b'-') {
        i += 1;
    }
    let int_start = i;
    while i < b.len() && b[i].is_ascii_digit() {
        i += 1;
    }
    let int_digits = i - int_start;
    if i < b.len() && b[i] == b'.' {
        i += 1;
        let frac_start = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        if int_digits == 0 && i == frac_start {
            return false;
        }
    } else if int_digits == 0 {
        return false;
    }
    if i < b.len() && (b[i] == b'e' || b[i] == b'E') {
        i += 1;
        if i < b.len() && (b[i] == b'+' || b[i] == b'-') {
            i += 1;
        }
        let exp_start = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        if i == exp_start {
            return false;
        }
    }
    i == b.len()
}

/// Go's `strconv.ParseFloat` for the decimal forms YAML can reach (no hex floats, no
/// underscores, no `inf` words — those never get here).
fn parse_go_float(s: &str) -> Option<f64> {
    if !is_yaml_float(s) {
        return None;
    }
    s.parse::<f64>().ok()
}

/// go-yaml's timestamp test: `YYYY-` followed by one of the formats it accepts.
fn is_timestamp(s: &str) -> bool {
    let b = s.as_bytes();
    if b.len() < 5 || !b[..4].iter().all(u8::is_ascii_digit) || b[4] != b'-' {
        return false;
    }
    // Date part: YYYY-M-D or YYYY-MM-DD.
    let rest = &s[5..];
    let (date, time) = match rest.find(['T', 't', ' ']) {
        Some(i) => (&rest[..i], Some((&rest[i..i + 1], &rest[i + 1..]))),
        None => (rest, None),
    };
    let mut parts = date.splitn(2, '-');
    let (m, d) = match (parts.next(), parts.next()) {
        (Some(m), Some(d)) => (m, d),
        _ => return false,
    };
    if !num_in(m, 1, 2, 1, 12) || !num_in(d, 1, 2, 1, 31) {
        return false;
    }
    let Some((sep, time)) = time else {
        return true;
    };
    // Time: H:M:S(.frac)? followed by Z or ±hh:mm when separated by T, nothing when by space.
    let (clock, zone) = if sep == " " {
        (time, "")
    } else {
        match time.find(['Z', '+', '-']) {
            Some(i) => (&time[..i], &time[i..]),
            None => return false,
        }
    };
    let (hms, frac) = match clock.split_once('.') {
        Some((a, f)) => (a, Some(f)),
        None => (clock, None),
    };
    if let Some(f) = frac {
        if f.is_empty() || f.len() > 9 || !f.bytes().all(|c| c.is_ascii_digit()) {
            return false;
        }
    }
    let mut hp = hms.split(':');
    let ok = matches!(
        (hp.next(), hp.next(), hp.next(), hp.next()),
        (Some(h), Some(mi), Some(se), None)
            if num_in(h, 1, 2, 0, 23) && num_in(mi, 1, 2, 0, 59) && num_in(se, 1, 2, 0, 59)
    );
    if !ok {
        return false;
    }
    if zone.is_empty() || zone == "Z" {
        return true;
    }
    let z = &zone[1..];
    matches!(z.split_once(':'), Some((h, m)) if num_in(h, 2, 2, 0, 23) && num_in(m, 2, 2, 0, 59))
}

fn num_in(s: &str, min_len: usize, max_len: usize, lo: u32, hi: u32) -> bool {
    s.len() >= min_len
        && s.len() <= max_len
        && s.bytes().all(|c| c.is_ascii_digit())
        && s.parse::<u32>().is_ok_and(|v| v >= lo && v <= hi)
}

impl Scalar {
    /// Converts to JSON as Go's encoder and decoder would round-trip it: integral floats become
    /// integers; NaN and infinities are rejected, as `json.Marshal` rejects them.
    pub fn into_json(self) -> Result<Value, String> {
        Ok(match self {
            Scalar::Null => Value::Null,
            Scalar::Bool(b) => Value::Bool(b),
            Scalar::Int(i) => Value::Number(i.into()),
            Scalar::Uint(u) => Value::Number(u.into()),
            Scalar::Str(s) => Value::String(s),
            Scalar::Float(f) => {
                if !f.is_finite() {
                    return Err(format!(
                        "{} cannot be represented in JSON",
                        if f.is_nan() { ".nan" } else { "infinity" }
                    ));
                }
                float_to_json(f)
            }
        })
    }

    /// The string a map key becomes (sigs.k8s.io/yaml converts non-string keys).
    pub fn into_key(self) -> Result<String, String> {
        Ok(match self {
            Scalar::Str(s) => s,
            Scalar::Bool(b) => b.to_string(),
            Scalar::Int(i) => i.to_string(),
            Scalar::Float(f) => {
                if f.is_nan() {
                    ".nan".to_owned()
                } else if f == f64::INFINITY {
                    ".inf".to_owned()
                } else if f == f64::NEG_INFINITY {
                    "-.inf".to_owned()
                } else {
                    format_go_g32(f)
                }
            }
            Scalar::Uint(u) => return Err(format!("unsupported map key of type uint64: {u}")),
            Scalar::Null => return Err("unsupported map key: null".to_owned()),
        })
    }
}

/// Whether reading `value`'s JSON text as YAML gives back a different value: true when it
/// holds an integral float (`3.0`), which reads as an integer, as [`Scalar::into_json`] makes
/// it. For values that arrived as JSON, to be checked without being read as YAML when nothing
/// would change.
pub fn changes_when_read(value: &Value) -> bool {
    match value {
        Value::Number(n) => n
            .as_f64()
            .is_some_and(|f| n.is_f64() && !float_to_json(f).is_f64()),
        Value::Array(items) => items.iter().any(changes_when_read),
        Value::Object(map) => map.values().any(changes_when_read),
        _ => false,
    }
}

fn float_to_json(f: f64) -> Value {
    // Go's encoder writes integral floats below 1e21 without a fraction, so the decoder on the
    // other side sees an integer.
    if f.fract() == 0.0 && f.abs() < 1e21 {
        if f >= i64::MIN as f64 && f < i64::MAX as f64 {
            return Value::Number((f as i64).into());
        }
        if f >= 0.0 && f < u64::MAX as f64 {
            return Value::Number((f as u64).into());
        }
    }
    Number::from_f64(f).map_or(Value::Null, Value::Number)
}

/// `strconv.FormatFloat(f, 'g', -1, 32)`: shortest float32 representation, `%g` layout.
fn format_go_g32(f: f64) -> String {
    let v = f as f32;
    if v == 0.0 {
        return if v.is_sign_negative() { "-0" } else { "0" }.to_owned();
    }
    // Rust's `{:e}` gives the shortest round-trip digits for f32.
    let e = format!("{v:e}");
    let (mant, exp) = e.split_once('e').unwrap_or((&e, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let neg = mant.starts_with('-');
    let digits: String = mant.chars().filter(char::is_ascii_digit).collect();
    let sign = if neg { "-" } else { "" };
    // Go's %g with the shortest precision switches to exponent form when exp < -4 || exp >= 6.
    if !(-4..6).contains(&exp) {
        let mut m = String::new();
        m.push_str(&digits[..1]);
        if digits.len() > 1 {
            m.push('.');
            m.push_str(&digits[1..]);
        }
        let esign = if exp < 0 { '-' } else { '+' };
        return format!("{sign}{m}e{esign}{:02}", exp.abs());
    }
    if exp < 0 {
        let zeros = "0".repeat((-exp - 1) as usize);
        return format!("{sign}0.{zeros}{digits}");
    }
    let int_len = (exp + 1) as usize;
    if digits.len() <= int_len {
        let zeros = "0".repeat(int_len - digits.len());
        format!("{sign}{digits}{zeros}")
    } else {
        format!("{sign}{}.{}", &digits[..int_len], &digits[int_len..])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn plain(s: &str) -> Value {
        resolve(s, Style::Plain, None).unwrap().into_json().unwrap()
    }

    #[test]
    fn yaml_1_1_plain_scalars_resolve_like_kubernetes() {
        // (input, expected JSON value, rule)
        let table: &[(&str, Value, &str)] = &[
            ("0644", json!(420), "leading zero is octal"),
            ("0o644", json!(420), "0o octal"),
            ("0x1F", json!(31), "hex"),
            ("0b101", json!(5), "binary"),
            ("-0b101", json!(-5), "negative binary"),
            ("1_000", json!(1000), "underscores ignored"),
            ("+12", json!(12), "explicit plus"),
            ("-12", json!(-12), "negative"),
            (
                "09",
                json!(9),
                "invalid octal falls back to a float, as in go-yaml",
            ),
            ("1234567", json!(1234567), "plain decimal"),
            ("0", json!(0), "zero"),
            ("yes", json!(true), "yes is true"),
            ("Yes", json!(true), "Yes is true"),
            ("YES", json!(true), "YES is true"),
            ("y", json!(true), "y is true"),
            ("Y", json!(true), "Y is true"),
            ("on", json!(true), "on is true"),
            ("ON", json!(true), "ON is true"),
            ("no", json!(false), "no is false"),
            ("n", json!(false), "n is false"),
            ("off", json!(false), "off is false"),
            ("True", json!(true), "True"),
            ("FALSE", json!(false), "FALSE"),
            ("yEs", json!("yEs"), "mixed case is a string"),
            ("~", json!(null), "tilde is null"),
            ("null", json!(null), "null"),
            ("Null", json!(null), "Null"),
            ("", json!(null), "empty is null"),
            ("1.5", json!(1.5), "float"),
            (".5", json!(0.5), "leading dot float"),
            (
                "1e3",
                json!(1000),
                "exponent float that is integral becomes an integer",
            ),
            (
                "3.0",
                json!(3),
                "integral float becomes an integer via Go's JSON encoder",
            ),
            ("1.5e-3", json!(0.0015), "small float"),
            ("1_0.5", json!(10.5), "underscores in floats"),
            (
                "9223372036854775807",
                json!(9223372036854775807i64),
                "i64 max",
            ),
            (
                "18446744073709551615",
                json!(18446744073709551615u64),
                "u64 max",
            ),
            ("2001-12-14", json!("2001-12-14"), "date stays a string"),
            (
                "2001-12-14T21:59:43.10Z",
                json!("2001-12-14T21:59:43.10Z"),
                "timestamp stays a string",
            ),
            (
                "12:30:45",
                json!("12:30:45"),
                "sexagesimal is not supported: string",
            ),
            ("1.2.3", json!("1.2.3"), "version string"),
            ("0.0.0.0", json!("0.0.0.0"), "address string"),
            ("1Gi", json!("1Gi"), "quantity string"),
            ("100m", json!("100m"), "millicores string"),
            ("+", json!("+"), "lone sign"),
            ("-", json!("-"), "lone dash"),
            (".", json!("."), "lone dot"),
            ("e3", json!("e3"), "exponent without mantissa"),
            ("hello", json!("hello"), "word"),
            ("0x", json!("0x"), "empty hex"),
            ("1e", json!("1e"), "incomplete exponent"),
        ];
        for (input, want, rule) in table {
            assert_eq!(&plain(input), want, "{rule}: {input:?}");
        }
    }

    #[test]
    fn quoted_scalars_are_strings() {
        for s in ["0644", "yes", "null", "1.5", ""] {
            assert_eq!(
                resolve(s, Style::Quoted, None)
                    .unwrap()
                    .into_json()
                    .unwrap(),
                json!(s)
            );
        }
    }

    #[test]
    fn explicit_tags() {
        let core = |suffix: &'static str| Some((CORE_PREFIX, suffix));
        assert_eq!(
            resolve("12", Style::Plain, core("str")).unwrap(),
            Scalar::Str("12".into())
        );
        assert_eq!(
            resolve("12", Style::Quoted, core("int")).unwrap(),
            Scalar::Int(12)
        );
        assert_eq!(
            resolve("1", Style::Plain, core("float")).unwrap(),
            Scalar::Float(1.0)
        );
        assert_eq!(
            resolve("aGVsbG8=", Style::Plain, core("binary")).unwrap(),
            Scalar::Str("hello".into())
        );
        assert!(resolve("abc", Style::Plain, core("int")).is_err());
        assert!(resolve("%%", Style::Plain, core("binary")).is_err());
        assert_eq!(
            resolve("x", Style::Plain, Some(("!", "custom"))).unwrap(),
            Scalar::Str("x".into())
        );
    }

    #[test]
    fn nan_and_infinity_are_rejected_like_json_marshal() {
        assert!(resolve_plain(".inf").into_json().is_err());
        assert!(resolve_plain("-.Inf").into_json().is_err());
        assert!(resolve_plain(".nan").into_json().is_err());
    }

    #[test]
    fn keys_become_strings_like_sigs_yaml() {
        assert_eq!(resolve_plain("on").into_key().unwrap(), "true");
        assert_eq!(resolve_plain("0644").into_key().unwrap(), "420");
        assert_eq!(resolve_plain("1.5").into_key().unwrap(), "1.5");
        assert_eq!(resolve_plain("0.1").into_key().unwrap(), "0.1");
        assert_eq!(resolve_plain("1e30").into_key().unwrap(), "1e+30");
        assert_eq!(resolve_plain("3.0").into_key().unwrap(), "3");
        assert_eq!(resolve_plain("1e6").into_key().unwrap(), "1e+06");
        assert_eq!(resolve_plain("123456.0").into_key().unwrap(), "123456");
        assert!(resolve_plain("~").into_key().is_err());
    }
}
