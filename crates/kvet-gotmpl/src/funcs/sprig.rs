//! Sprig v3 (`sprig.TxtFuncMap`), as Helm exposes it: the shared conversions every family
//! uses (Go's `fmt`, `spf13/cast`, sprig's `empty`) and the capabilities (clock, randomness)
//! that the functions needing them receive from the caller.

use super::FuncMap;
use crate::error::FuncError;
use crate::gofmt;
use crate::value::Value;
use std::sync::{Arc, Mutex};

/// A point in time: seconds and nanoseconds since the Unix epoch (UTC).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Timestamp {
    /// Whole seconds since 1970-01-01T00:00:00Z.
    pub secs: i64,
    /// Nanoseconds within the second, 0..1e9.
    pub nanos: u32,
}

/// A fixed time zone: its name as Go's `MST` layout prints it and its offset east of UTC.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Zone {
    /// The abbreviation (`UTC`, `CET`).
    pub name: String,
    /// Seconds east of UTC.
    pub offset: i32,
}

impl Zone {
    /// Coordinated Universal Time.
    pub fn utc() -> Zone {
        Zone {
            name: "UTC".into(),
            offset: 0,
        }
    }
}

/// The current time, as the caller defines it.
pub type Clock = Arc<dyn Fn() -> Timestamp + Send + Sync>;

/// A source of random bytes, as the caller defines it.
pub type RandomSource = Arc<dyn Fn(&mut [u8]) + Send + Sync>;

/// The capabilities that time- and randomness-dependent functions use (`now`, `date`,
/// `randAlpha`, `uuidv4`, `genPrivateKey` …). This crate never reads the OS clock or
/// OS randomness itself, so it builds for `wasm32-unknown-unknown`.
#[derive(Clone)]
pub struct SprigEnv {
    /// What `now` returns.
    pub clock: Clock,
    /// Where random functions draw their bytes.
    pub random: RandomSource,
    /// The zone Go calls `Local` (`date`, `htmlDate`, `toDate` use it).
    pub local: Zone,
}

impl SprigEnv {
    /// A deterministic environment for tests: a fixed clock at `secs` and a seeded generator.
    pub fn fixed(secs: i64, seed: u64) -> SprigEnv {
        SprigEnv {
            clock: Arc::new(move || Timestamp { secs, nanos: 0 }),
            random: seeded_random(seed),
            local: Zone::utc(),
        }
    }

    pub(crate) fn now(&self) -> Timestamp {
        (self.clock)()
    }

    pub(crate) fn fill(&self, buf: &mut [u8]) {
        (self.random)(buf)
    }

    /// A uniform integer in `0..n` (n > 0).
    pub(crate) fn below(&self, n: u64) -> u64 {
        let mut b = [0u8; 8];
        self.fill(&mut b);
        u64::from_le_bytes(b) % n.max(1)
    }
}

impl std::fmt::Debug for SprigEnv {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SprigEnv")
            .field("local", &self.local)
            .finish_non_exhaustive()
    }
}

/// A deterministic random source (SplitMix64) seeded with `seed`: reproducible output for
/// tests and golden files. Not for secrets.
pub fn seeded_random(seed: u64) -> RandomSource {
    let state = Mutex::new(seed);
    Arc::new(move |buf: &mut [u8]| {
        let mut s = state.lock().unwrap_or_else(|p| p.into_inner());
        for chunk in buf.chunks_mut(8) {
            *s = s.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = *s;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            z ^= z >> 31;
            chunk.copy_from_slice(&z.to_le_bytes()[..chunk.len()]);
        }
    })
}

/// Registers every sprig function Helm exposes (all of `TxtFuncMap` but `env` and `expandenv`).
pub fn register(m: &mut FuncMap, env: &SprigEnv) {
    super::sprig_strings::register(m, env);
    super::sprig_lists::register(m);
    super::sprig_dicts::register(m);
    super::sprig_math::register(m, env);
    super::sprig_defaults::register(m);
    super::sprig_encoding::register(m);
    super::sprig_regex::register(m);
    super::sprig_semver::register(m);
    super::sprig_dates::register(m, env);
    super::sprig_misc::register(m, env);
    super::sprig_crypto::register(m, env);
}

// ---- shared conversions ----

/// Go's `fmt.Sprintf("%v", v)`.
pub(crate) fn sprint_v(v: &Value) -> String {
    gofmt::sprintf("%v", std::slice::from_ref(v))
}

/// Sprig's `strval`: strings as they are, `String()` for host objects, else `%v`.
pub(crate) fn strval(v: &Value) -> String {
    match v {
        Value::String(s) => s.to_string(),
        Value::Object(o) => o.display(),
        v => sprint_v(v),
    }
}

/// Removes the `.0…0` tail of a decimal string (`spf13/cast`'s `trimZeroDecimal`).
fn trim_zero_decimal(s: &str) -> &str {
    let Some(dot) = s.find('.') else { return s };
    let frac = &s[dot + 1..];
    if !frac.is_empty() && frac.bytes().all(|b| b == b'0') {
        &s[..dot]
    } else {
        s
    }
}

/// Go's `strconv.ParseInt(s, 0, 64)`: optional sign, `0x`/`0o`/`0b`/leading-0 prefixes, `_`.
pub(crate) fn parse_go_int(s: &str) -> Option<i64> {
    let (neg, body) = match s.as_bytes().first()? {
        b'+' => (false, &s[1..]),
        b'-' => (true, &s[1..]),
        _ => (false, s),
    };
    let lower = body.to_ascii_lowercase();
    let (radix, digits, prefixed) = if let Some(d) = lower.strip_prefix("0x") {
        (16, d.to_string(), true)
    } else if let Some(d) = lower.strip_prefix("0o") {
        (8, d.to_string(), true)
    } else if let Some(d) = lower.strip_prefix("0b") {
        (2, d.to_string(), true)
    } else if lower.len() > 1 && lower.starts_with('0') {
        (8, lower[1..].to_string(), true)
    } else {
        (10, lower.clone(), false)
    };
    // Underscores are only allowed with a base prefix, between digits.
    let digits = if digits.contains('_') {
        if !prefixed || digits.starts_with('_') || digits.ends_with('_') || digits.contains("__") {
            return None;
        }
        digits.replace('_', "")
    } else {
        digits
    };
    if digits.is_empty() || digits.starts_with('+') || digits.starts_with('-') {
        return None;
    }
    let mag = u64::from_str_radix(&digits, radix).ok()?;
    if neg {
        if mag > i64::MAX as u64 + 1 {
            None
        } else {
            Some((mag as i64).wrapping_neg())
        }
    } else {
        i64::try_from(mag).ok()
    }
}

/// Go's `strconv.ParseFloat(s, 64)` for the forms charts write (decimal, exponent, Inf, NaN).
pub(crate) fn parse_go_float(s: &str) -> Option<f64> {
    let t = s.replace('_', "");
    match t.to_ascii_lowercase().trim_start_matches(['+', '-']) {
        "inf" | "infinity" => {
            return Some(if t.starts_with('-') {
                f64::NEG_INFINITY
            } else {
                f64::INFINITY
            })
        }
        "nan" => return Some(f64::NAN),
        _ => {}
    }
    if t.is_empty()
        || !t
            .bytes()
            .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'e' | b'E' | b'+' | b'-'))
    {
        if let Some(i) = parse_go_int(s) {
            return Some(i as f64);
        }
        return None;
    }
    t.parse::<f64>().ok()
}

/// `cast.ToInt64`: numbers truncate, numeric strings parse (base prefixes allowed), bools are
/// 0/1, anything else is 0.
pub(crate) fn to_int64(v: &Value) -> i64 {
    match v {
        Value::Int(i) => *i,
        Value::Float(f) => {
            if f.is_nan() {
                i64::MIN
            } else {
                *f as i64
            }
        }
        Value::Bool(b) => *b as i64,
        Value::String(s) => parse_go_int(trim_zero_decimal(s)).unwrap_or(0),
        _ => 0,
    }
}

/// `cast.ToFloat64`.
pub(crate) fn to_float64(v: &Value) -> f64 {
    match v {
        Value::Int(i) => *i as f64,
        Value::Float(f) => *f,
        Value::Bool(b) => *b as i64 as f64,
        Value::String(s) => parse_go_float(s).unwrap_or(0.0),
        _ => 0.0,
    }
}

/// Sprig's `empty`: nil, false, 0, and empty strings, lists and maps.
pub(crate) fn empty(v: &Value) -> bool {
    match v {
        Value::Missing | Value::Nil => true,
        Value::Bool(b) => !b,
        Value::Int(i) => *i == 0,
        Value::Float(f) => *f == 0.0,
        Value::String(s) => s.is_empty(),
        Value::List(l) => l.is_empty(),
        Value::Map(m) => m.is_empty(),
        Value::Object(o) => match o.entries() {
            Some(e) => e.is_empty(),
            None => false,
        },
        Value::Func(_) => false,
    }
}

/// Sprig's `strslice`: a list's non-nil items as strings; one value as a one-item list.
pub(crate) fn strslice(v: &Value) -> Vec<String> {
    match v {
        Value::List(l) => l.iter().filter(|x| !x.is_nil()).map(strval).collect(),
        v if v.is_nil() => Vec::new(),
        v => vec![strval(v)],
    }
}

/// A string argument already checked by the engine.
pub(crate) fn arg_str(a: &[Value], i: usize) -> &str {
    a.get(i).and_then(Value::as_str).unwrap_or_default()
}

/// An int argument already checked by the engine.
pub(crate) fn arg_int(a: &[Value], i: usize) -> i64 {
    a.get(i).and_then(Value::as_int).unwrap_or_default()
}

/// A list of strings.
pub(crate) fn str_list<I: IntoIterator<Item = String>>(items: I) -> Value {
    Value::list(items.into_iter().map(Value::from).collect())
}

/// The message of a Go runtime panic that `text/template` recovered.
pub(crate) fn runtime_error(msg: impl std::fmt::Display) -> FuncError {
    FuncError::new(format!("runtime error: {msg}"))
}

/// Go's kind name, as `kindOf` reports it.
pub(crate) fn kind_of(v: &Value) -> &'static str {
    match v {
        Value::Missing | Value::Nil => "invalid",
        Value::Bool(_) => "bool",
        Value::Int(_) => "int",
        Value::Float(_) => "float64",
        Value::String(_) => "string",
        Value::List(_) => "slice",
        Value::Map(_) => "map",
        Value::Object(_) => "struct",
        Value::Func(_) => "func",
    }
}
