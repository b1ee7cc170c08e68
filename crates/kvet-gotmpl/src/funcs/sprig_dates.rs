//! Sprig's date functions over Go's time layouts (`2006-01-02T15:04:05Z07:00`). Time comes
//! from the caller's clock ([`SprigEnv`]); zones are `UTC`, `Local` (the env's zone) and
//! fixed offsets — named IANA zones other than UTC fall back to UTC, as Go does for a zone
//! it cannot load.

use super::sprig::{arg_str, to_int64, SprigEnv, Timestamp, Zone};
use super::{FuncMap, ParamType as T, Params};
use crate::error::FuncError;
use crate::value::{HostObject, Value};
use std::any::Any;
use std::sync::Arc;

/// Go's `time.Time`: an instant and the zone it is shown in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GoTime {
    /// The instant.
    pub at: Timestamp,
    /// The zone for display.
    pub zone: Zone,
}

const RFC3339NANO: &str = "2006-01-02T15:04:05.999999999Z07:00";

impl HostObject for GoTime {
    fn type_name(&self) -> &str {
        "time.Time"
    }

    fn method(&self, name: &str) -> Option<Params> {
        match name {
            "Unix" | "UnixNano" | "UnixMilli" | "Year" | "YearDay" | "Day" | "Hour" | "Minute"
            | "Second" | "Nanosecond" | "UTC" | "Local" | "String" | "IsZero" | "Month"
            | "Weekday" => Some(Params::fixed(&[])),
            "Format" => Some(Params::fixed(&[T::String])),
            "Add" => Some(Params::fixed(&[T::Int])),
            _ => None,
        }
    }

    fn call_method(&self, name: &str, args: Vec<Value>) -> Result<Value, FuncError> {
        let c = civil(self);
        Ok(match name {
            "Unix" => Value::Int(self.at.secs),
            "UnixNano" => Value::Int(
                self.at
                    .secs
                    .wrapping_mul(1_000_000_000)
                    .wrapping_add(self.at.nanos as i64),
            ),
            "UnixMilli" => Value::Int(self.at.secs * 1000 + (self.at.nanos / 1_000_000) as i64),
            "Year" => Value::Int(c.year),
            "YearDay" => Value::Int(c.yday as i64),
            "Day" => Value::Int(c.day as i64),
            "Hour" => Value::Int(c.hour as i64),
            "Minute" => Value::Int(c.min as i64),
            "Second" => Value::Int(c.sec as i64),
            "Nanosecond" => Value::Int(self.at.nanos as i64),
            "Month" => Value::from(MONTHS[c.month as usize - 1]),
            "Weekday" => Value::from(DAYS[c.wday as usize]),
            "UTC" => time_value(self.at, Zone::utc()),
            "Local" => time_value(self.at, self.zone.clone()),
            "IsZero" => Value::Bool(self.at.secs == ZERO_SECS && self.at.nanos == 0),
            "String" => Value::from(self.display()),
            "Format" => Value::from(format(self, args[0].as_str().unwrap_or_default())),
            "Add" => {
                let d = args[0].as_int().unwrap_or(0);
                time_value(add_nanos(self.at, d), self.zone.clone())
            }
            _ => return Err(format!("can't call method {name} on time.Time").into()),
        })
    }

    fn display(&self) -> String {
        format(self, "2006-01-02 15:04:05.999999999 -0700 MST")
    }

    fn to_json(&self) -> serde_json::Value {
        serde_json::Value::String(format(self, RFC3339NANO))
    }

    fn as_any(&self) -> Option<&dyn Any> {
        Some(self)
    }
}

/// Go's zero `time.Time` (January 1, year 1, UTC) in Unix seconds.
const ZERO_SECS: i64 = -62_135_596_800;

fn time_value(at: Timestamp, zone: Zone) -> Value {
    Value::Object(Arc::new(GoTime { at, zone }))
}

/// The `time.Time` inside a value, if it holds one.
pub fn as_time(v: &Value) -> Option<GoTime> {
    match v {
        Value::Object(o) => o.as_any().and_then(|a| a.downcast_ref::<GoTime>()).cloned(),
        _ => None,
    }
}

fn add_nanos(t: Timestamp, d: i64) -> Timestamp {
    let total = t.nanos as i128 + d as i128 + t.secs as i128 * 1_000_000_000;
    Timestamp {
        secs: total.div_euclid(1_000_000_000) as i64,
        nanos: total.rem_euclid(1_000_000_000) as u32,
    }
}

/// Registers sprig's date functions.
pub fn register(m: &mut FuncMap, env: &SprigEnv) {
    let e = env.clone();
    m.register("now", Params::fixed(&[]), move |_, _| {
        Ok(time_value(e.now(), e.local.clone()))
    });
    let e = env.clone();
    m.register("date", Params::fixed(&[T::String, T::Any]), move |_, a| {
        Ok(date_in_zone(&e, arg_str(&a, 0), &a[1], "Local").into())
    });
    for name in ["dateInZone", "date_in_zone"] {
        let e = env.clone();
        m.register(
            name,
            Params::fixed(&[T::String, T::Any, T::String]),
            move |_, a| Ok(date_in_zone(&e, arg_str(&a, 0), &a[1], arg_str(&a, 2)).into()),
        );
    }
    let e = env.clone();
    m.register("htmlDate", Params::fixed(&[T::Any]), move |_, a| {
        Ok(date_in_zone(&e, "2006-01-02", &a[0], "Local").into())
    });
    let e = env.clone();
    m.register(
        "htmlDateInZone",
        Params::fixed(&[T::Any, T::String]),
        move |_, a| Ok(date_in_zone(&e, "2006-01-02", &a[0], arg_str(&a, 1)).into()),
    );
    m.register(
        "unixEpoch",
        Params::fixed(&[T::Any]),
        |_, a| match as_time(&a[0]) {
            Some(t) => Ok(t.at.secs.to_string().into()),
            None => Err(wrong_time(&a[0])),
        },
    );
    for (name, must) in [
        ("dateModify", false),
        ("date_modify", false),
        ("mustDateModify", true),
        ("must_date_modify", true),
    ] {
        m.register(name, Params::fixed(&[T::String, T::Any]), move |_, a| {
            let t = as_time(&a[1]).ok_or_else(|| wrong_time(&a[1]))?;
            match parse_duration(arg_str(&a, 0)) {
                Ok(d) => Ok(time_value(add_nanos(t.at, d), t.zone)),
                Err(e) if must => Err(e.into()),
                Err(_) => Ok(Value::Object(Arc::new(t))),
            }
        });
    }
    let e = env.clone();
    m.register("ago", Params::fixed(&[T::Any]), move |_, a| {
        let then = match &a[0] {
            Value::Int(s) => Timestamp { secs: *s, nanos: 0 },
            v => match as_time(v) {
                Some(t) => t.at,
                None => e.now(),
            },
        };
        let now = e.now();
        let d = (now.secs - then.secs) * 1_000_000_000 + now.nanos as i64 - then.nanos as i64;
        // Rounded to the second.
        let secs = (d as f64 / 1e9).round() as i64;
        Ok(format_duration(secs * 1_000_000_000).into())
    });
    m.register("duration", Params::fixed(&[T::Any]), |_, a| {
        let secs = match &a[0] {
            Value::String(s) => s.parse::<i64>().unwrap_or(0),
            v => to_int64(v),
        };
        Ok(format_duration(secs.saturating_mul(1_000_000_000)).into())
    });
    let e = env.clone();
    m.register("durationRound", Params::fixed(&[T::Any]), move |_, a| {
        let d: i64 = match &a[0] {
            Value::String(s) => parse_duration(s).unwrap_or(0),
            Value::Int(i) => *i,
            Value::Float(f) => *f as i64,
            v => match as_time(v) {
                Some(t) => {
                    let now = e.now();
                    (now.secs - t.at.secs) * 1_000_000_000
                }
                None => 0,
            },
        };
        Ok(duration_round(d).into())
    });
    for (name, must) in [("toDate", false), ("mustToDate", true)] {
        let e = env.clone();
        m.register(
            name,
            Params::fixed(&[T::String, T::String]),
            move |_, a| match parse(arg_str(&a, 0), arg_str(&a, 1), &e.local) {
                Ok(t) => Ok(time_value(t.at, t.zone)),
                Err(err) if must => Err(err.into()),
                Err(_) => Ok(time_value(
                    Timestamp {
                        secs: ZERO_SECS,
                        nanos: 0,
                    },
                    Zone::utc(),
                )),
            },
        );
    }
}

fn wrong_time(v: &Value) -> FuncError {
    FuncError::new(format!(
        "wrong type for value; expected time.Time; got {}",
        v.type_name()
    ))
}

fn zone_named(env: &SprigEnv, name: &str) -> Zone {
    match name {
        "Local" => env.local.clone(),
        _ => Zone::utc(),
    }
}

fn date_in_zone(env: &SprigEnv, layout: &str, date: &Value, zone: &str) -> String {
    let at = match date {
        Value::Int(s) => Timestamp { secs: *s, nanos: 0 },
        v => as_time(v).map(|t| t.at).unwrap_or_else(|| env.now()),
    };
    format(
        &GoTime {
            at,
            zone: zone_named(env, zone),
        },
        layout,
    )
}

struct Civil {
    year: i64,
    month: u32,
    day: u32,
    hour: u32,
    min: u32,
    sec: u32,
    wday: u32,
    yday: u32,
}

fn days_to_civil(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

fn civil_to_days(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let mp = if m > 2 { m - 3 } else { m + 9 } as i64;
    let doy = (153 * mp + 2) / 5 + d as i64 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil(t: &GoTime) -> Civil {
    let local = t.at.secs + t.zone.offset as i64;
    let days = local.div_euclid(86_400);
    let rem = local.rem_euclid(86_400) as u32;
    let (year, month, day) = days_to_civil(days);
    Civil {
        year,
        month,
        day,
        hour: rem / 3600,
        min: rem / 60 % 60,
        sec: rem % 60,
        wday: (days + 4).rem_euclid(7) as u32,
        yday: (days - civil_to_days(year, 1, 1) + 1) as u32,
    }
}

const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];
const DAYS: [&str; 7] = [
    "Sunday",
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
];

#[derive(Debug, Clone, Copy, PartialEq)]
enum Tok {
    Year4,
    Year2,
    MonthLong,
    Month3,
    Month2,
    Month1,
    WeekLong,
    Week3,
    Day2,
    DayUnder,
    Day1,
    YDay3,
    Hour24,
    Hour12,
    Hour12Pad,
    Min1,
    Min2,
    Sec1,
    Sec2,
    Pm,
    PmLower,
    ZoneName,
    /// `Z` prefix (prints Z for UTC), colons, seconds, hours only.
    Offset {
        z: bool,
        colon: bool,
        secs: bool,
        hours_only: bool,
    },
    /// `.000` (zeros: fixed) or `.999` (nines: trimmed), with its digit count and separator.
    Frac {
        digits: usize,
        trim: bool,
        sep: char,
    },
}

/// Splits a Go layout into literal text and tokens (Go's `nextStdChunk`).
fn tokenize(layout: &str) -> Vec<Result<Tok, String>> {
    let b = layout.as_bytes();
    let mut out: Vec<Result<Tok, String>> = Vec::new();
    let mut lit = String::new();
    let mut i = 0;
    let starts = |i: usize, p: &str| layout[i..].starts_with(p);
    while i < b.len() {
        let mut tok = None;
        let mut len = 0;
        let table: &[(&str, Tok)] = &[
            ("January", Tok::MonthLong),
            ("Jan", Tok::Month3),
            ("Monday", Tok::WeekLong),
            ("Mon", Tok::Week3),
            ("MST", Tok::ZoneName),
            ("2006", Tok::Year4),
            ("-07:00:00", off(false, true, true, false)),
            ("-0700", off(false, false, false, false)),
            ("-07:00", off(false, true, false, false)),
            ("-070000", off(false, false, true, false)),
            ("-07", off(false, false, false, true)),
            ("Z07:00:00", off(true, true, true, false)),
            ("Z0700", off(true, false, false, false)),
            ("Z07:00", off(true, true, false, false)),
            ("Z070000", off(true, false, true, false)),
            ("Z07", off(true, false, false, true)),
            ("002", Tok::YDay3),
            ("01", Tok::Month2),
            ("02", Tok::Day2),
            ("03", Tok::Hour12Pad),
            ("04", Tok::Min2),
            ("05", Tok::Sec2),
            ("06", Tok::Year2),
            ("_2", Tok::DayUnder),
            ("15", Tok::Hour24),
            ("1", Tok::Month1),
            ("2", Tok::Day1),
            ("3", Tok::Hour12),
            ("4", Tok::Min1),
            ("5", Tok::Sec1),
            ("PM", Tok::Pm),
            ("pm", Tok::PmLower),
        ];
        for (p, t) in table {
            if starts(i, p) {
                // `Jan`/`Mon` must not be followed by a lower-case letter unless the long form.
                if (*p == "Mon" || *p == "Jan")
                    && b.get(i + 3).is_some_and(|c| c.is_ascii_lowercase())
                {
                    continue;
                }
                // `_2006` is `_` then year.
                if *p == "_2" && starts(i, "_2006") {
                    continue;
                }
                tok = Some(*t);
                len = p.len();
                break;
            }
        }
        if tok.is_none() && (b[i] == b'.' || b[i] == b',') && i + 1 < b.len() {
            let d = b[i + 1];
            if d == b'0' || d == b'9' {
                let mut j = i + 1;
                while j < b.len() && b[j] == d {
                    j += 1;
                }
                if !(j < b.len() && b[j].is_ascii_digit()) {
                    tok = Some(Tok::Frac {
                        digits: j - i - 1,
                        trim: d == b'9',
                        sep: b[i] as char,
                    });
                    len = j - i;
                }
            }
        }
        match tok {
            Some(t) => {
                if !lit.is_empty() {
                    out.push(Err(std::mem::take(&mut lit)));
                }
                out.push(Ok(t));
                i += len;
            }
            None => {
                let c = layout[i..].chars().next().unwrap_or(' ');
                lit.push(c);
                i += c.len_utf8();
            }
        }
    }
    if !lit.is_empty() {
        out.push(Err(lit));
    }
    out
}

const fn off(z: bool, colon: bool, secs: bool, hours_only: bool) -> Tok {
    Tok::Offset {
        z,
        colon,
        secs,
        hours_only,
    }
}

/// Go's `Time.Format`.
pub fn format(t: &GoTime, layout: &str) -> String {
    let c = civil(t);
    let mut s = String::new();
    for part in tokenize(layout) {
        let tok = match part {
            Err(lit) => {
                s.push_str(&lit);
                continue;
            }
            Ok(t) => t,
        };
        match tok {
            Tok::Year4 => s.push_str(&format!("{:04}", c.year)),
            Tok::Year2 => s.push_str(&format!("{:02}", c.year.rem_euclid(100))),
            Tok::MonthLong => s.push_str(MONTHS[c.month as usize - 1]),
            Tok::Month3 => s.push_str(&MONTHS[c.month as usize - 1][..3]),
            Tok::Month2 => s.push_str(&format!("{:02}", c.month)),
            Tok::Month1 => s.push_str(&c.month.to_string()),
            Tok::WeekLong => s.push_str(DAYS[c.wday as usize]),
            Tok::Week3 => s.push_str(&DAYS[c.wday as usize][..3]),
            Tok::Day2 => s.push_str(&format!("{:02}", c.day)),
            Tok::DayUnder => s.push_str(&format!("{:>2}", c.day)),
            Tok::Day1 => s.push_str(&c.day.to_string()),
            Tok::YDay3 => s.push_str(&format!("{:03}", c.yday)),
            Tok::Hour24 => s.push_str(&format!("{:02}", c.hour)),
            Tok::Hour12 | Tok::Hour12Pad => {
                let h = match c.hour % 12 {
                    0 => 12,
                    h => h,
                };
                if tok == Tok::Hour12Pad {
                    s.push_str(&format!("{h:02}"));
                } else {
                    s.push_str(&h.to_string());
                }
            }
            Tok::Min1 => s.push_str(&c.min.to_string()),
            Tok::Min2 => s.push_str(&format!("{:02}", c.min)),
            Tok::Sec1 => s.push_str(&c.sec.to_string()),
            Tok::Sec2 => s.push_str(&format!("{:02}", c.sec)),
            Tok::Pm => s.push_str(if c.hour >= 12 { "PM" } else { "AM" }),
            Tok::PmLower => s.push_str(if c.hour >= 12 { "pm" } else { "am" }),
            Tok::ZoneName => {
                if !t.zone.name.is_empty() {
                    s.push_str(&t.zone.name);
                } else {
                    let m = t.zone.offset / 60;
                    let sign = if m < 0 { '-' } else { '+' };
                    let m = m.abs();
                    s.push_str(&format!("{sign}{:02}", m / 60));
                    if m % 60 != 0 {
                        s.push_str(&format!("{:02}", m % 60));
                    }
                }
            }
            Tok::Offset {
                z,
                colon,
                secs,
                hours_only,
            } => {
                let o = t.zone.offset;
                if z && o == 0 {
                    s.push('Z');
                    continue;
                }
                let sign = if o < 0 { '-' } else { '+' };
                let a = o.abs();
                s.push(sign);
                s.push_str(&format!("{:02}", a / 3600));
                if !hours_only {
                    if colon {
                        s.push(':');
                    }
                    s.push_str(&format!("{:02}", a / 60 % 60));
                }
                if secs {
                    if colon {
                        s.push(':');
                    }
                    s.push_str(&format!("{:02}", a % 60));
                }
            }
            Tok::Frac { digits, trim, sep } => {
                let full = format!("{:09}", t.at.nanos);
                let mut d = full[..digits.min(9)].to_string();
                if trim {
                    while d.ends_with('0') {
                        d.pop();
                    }
                    if d.is_empty() {
                        continue;
                    }
                }
                s.push(sep);
                s.push_str(&d);
            }
        }
    }
    s
}

/// Go's `time.ParseInLocation` for the common tokens (numbers, month and day names,
/// offsets, fractions). Errors read as Go's `parsing time … as …`.
fn parse(layout: &str, value: &str, local: &Zone) -> Result<GoTime, String> {
    let err = || {
        format!(
            "parsing time {} as {}: cannot parse {} as {}",
            crate::gofmt::quote(value, false),
            crate::gofmt::quote(layout, false),
            crate::gofmt::quote(value, false),
            crate::gofmt::quote(layout, false)
        )
    };
    let (mut year, mut month, mut day, mut hour, mut min, mut sec, mut nanos) =
        (1i64, 1u32, 1u32, 0u32, 0u32, 0u32, 0u32);
    let mut pm: Option<bool> = None;
    let mut offset: Option<i32> = None;
    let mut rest = value;
    let num = |rest: &mut &str, min_len: usize, max_len: usize| -> Option<i64> {
        let n = rest
            .bytes()
            .take(max_len)
            .take_while(u8::is_ascii_digit)
            .count();
        if n < min_len {
            return None;
        }
        let v = rest[..n].parse().ok()?;
        *rest = &rest[n..];
        Some(v)
    };
    for part in tokenize(layout) {
        let tok = match part {
            Err(lit) => {
                rest = rest.strip_prefix(lit.as_str()).ok_or_else(err)?;
                continue;
            }
            Ok(t) => t,
        };
        match tok {
            Tok::Year4 => year = num(&mut rest, 4, 4).ok_or_else(err)?,
            Tok::Year2 => {
                let y = num(&mut rest, 2, 2).ok_or_else(err)?;
                year = if y >= 69 { 1900 + y } else { 2000 + y };
            }
            Tok::MonthLong | Tok::Month3 => {
                let i = MONTHS
                    .iter()
                    .position(|m| {
                        let name = if tok == Tok::Month3 { &m[..3] } else { m };
                        rest.len() >= name.len() && rest[..name.len()].eq_ignore_ascii_case(name)
                    })
                    .ok_or_else(err)?;
                let l = if tok == Tok::Month3 {
                    3
                } else {
                    MONTHS[i].len()
                };
                rest = &rest[l..];
                month = i as u32 + 1;
            }
            Tok::WeekLong | Tok::Week3 => {
                let i = DAYS
                    .iter()
                    .position(|d| {
                        let name = if tok == Tok::Week3 { &d[..3] } else { d };
                        rest.len() >= name.len() && rest[..name.len()].eq_ignore_ascii_case(name)
                    })
                    .ok_or_else(err)?;
                let l = if tok == Tok::Week3 { 3 } else { DAYS[i].len() };
                rest = &rest[l..];
            }
            Tok::Month2 => month = num(&mut rest, 2, 2).ok_or_else(err)? as u32,
            Tok::Month1 => month = num(&mut rest, 1, 2).ok_or_else(err)? as u32,
            Tok::Day2 => day = num(&mut rest, 2, 2).ok_or_else(err)? as u32,
            Tok::DayUnder => {
                rest = rest.strip_prefix(' ').unwrap_or(rest);
                day = num(&mut rest, 1, 2).ok_or_else(err)? as u32;
            }
            Tok::Day1 => day = num(&mut rest, 1, 2).ok_or_else(err)? as u32,
            Tok::YDay3 => {
                num(&mut rest, 3, 3).ok_or_else(err)?;
            }
            Tok::Hour24 => hour = num(&mut rest, 2, 2).ok_or_else(err)? as u32,
            Tok::Hour12Pad => hour = num(&mut rest, 2, 2).ok_or_else(err)? as u32,
            Tok::Hour12 => hour = num(&mut rest, 1, 2).ok_or_else(err)? as u32,
            Tok::Min2 => min = num(&mut rest, 2, 2).ok_or_else(err)? as u32,
            Tok::Min1 => min = num(&mut rest, 1, 2).ok_or_else(err)? as u32,
            Tok::Sec2 | Tok::Sec1 => {
                sec =
                    num(&mut rest, if tok == Tok::Sec2 { 2 } else { 1 }, 2).ok_or_else(err)? as u32;
                // Go accepts a fraction after seconds even when the layout has none.
                if let Some(r) = rest.strip_prefix('.') {
                    if r.starts_with(|c: char| c.is_ascii_digit())
                        && !layout.contains(".0")
                        && !layout.contains(".9")
                    {
                        let n = r.bytes().take_while(u8::is_ascii_digit).count();
                        nanos = frac_nanos(&r[..n]);
                        rest = &r[n..];
                    }
                }
            }
            Tok::Pm | Tok::PmLower => {
                let p = rest.get(..2).ok_or_else(err)?.to_ascii_uppercase();
                pm = Some(match p.as_str() {
                    "PM" => true,
                    "AM" => false,
                    _ => return Err(err()),
                });
                rest = &rest[2..];
            }
            Tok::ZoneName => {
                let n = rest.bytes().take_while(u8::is_ascii_uppercase).count();
                if n < 3 {
                    return Err(err());
                }
                if &rest[..n] == "UTC" {
                    offset = Some(0);
                }
                rest = &rest[n..];
            }
            Tok::Offset {
                z,
                colon,
                secs,
                hours_only,
            } => {
                if z && rest.starts_with('Z') {
                    rest = &rest[1..];
                    offset = Some(0);
                    continue;
                }
                let sign = match rest.as_bytes().first() {
                    Some(b'+') => 1,
                    Some(b'-') => -1,
                    _ => return Err(err()),
                };
                rest = &rest[1..];
                let h = num(&mut rest, 2, 2).ok_or_else(err)?;
                let mut m = 0;
                let mut s2 = 0;
                if !hours_only {
                    if colon {
                        rest = rest.strip_prefix(':').ok_or_else(err)?;
                    }
                    m = num(&mut rest, 2, 2).ok_or_else(err)?;
                }
                if secs {
                    if colon {
                        rest = rest.strip_prefix(':').ok_or_else(err)?;
                    }
                    s2 = num(&mut rest, 2, 2).ok_or_else(err)?;
                }
                offset = Some(sign * (h * 3600 + m * 60 + s2) as i32);
            }
            Tok::Frac { digits, trim, sep } => match rest.strip_prefix(sep) {
                Some(r) => {
                    let n = r.bytes().take_while(u8::is_ascii_digit).count();
                    if !trim && n != digits {
                        return Err(err());
                    }
                    nanos = frac_nanos(&r[..n]);
                    rest = &r[n..];
                }
                None if trim => {}
                None => return Err(err()),
            },
        }
    }
    if !rest.is_empty() {
        return Err(format!(
            "parsing time {}: extra text: {}",
            crate::gofmt::quote(value, false),
            crate::gofmt::quote(rest, false)
        ));
    }
    match pm {
        Some(true) if hour < 12 => hour += 12,
        Some(false) if hour == 12 => hour = 0,
        _ => {}
    }
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) || hour > 23 || min > 59 || sec > 59 {
        return Err(format!(
            "parsing time {}: day out of range",
            crate::gofmt::quote(value, false)
        ));
    }
    let zone = match offset {
        Some(0) if local.offset != 0 || local.name != "UTC" => Zone::utc(),
        Some(o) if o == local.offset => local.clone(),
        Some(o) => Zone {
            name: String::new(),
            offset: o,
        },
        None => local.clone(),
    };
    let days = civil_to_days(year, month, day);
    let secs =
        days * 86_400 + hour as i64 * 3600 + min as i64 * 60 + sec as i64 - zone.offset as i64;
    Ok(GoTime {
        at: Timestamp { secs, nanos },
        zone,
    })
}

fn frac_nanos(digits: &str) -> u32 {
    let mut d = digits.to_string();
    d.truncate(9);
    while d.len() < 9 {
        d.push('0');
    }
    d.parse().unwrap_or(0)
}

/// Go's `time.ParseDuration`, in nanoseconds.
pub(crate) fn parse_duration(s: &str) -> Result<i64, String> {
    let orig = s;
    let bad = || {
        format!(
            "time: invalid duration {}",
            crate::gofmt::quote(orig, false)
        )
    };
    let mut s = s;
    let neg = s.starts_with('-');
    if s.starts_with(['-', '+']) {
        s = &s[1..];
    }
    if s == "0" {
        return Ok(0);
    }
    if s.is_empty() {
        return Err(bad());
    }
    let mut total: f64 = 0.0;
    while !s.is_empty() {
        let n = s
            .bytes()
            .take_while(|b| b.is_ascii_digit() || *b == b'.')
            .count();
        if n == 0 {
            return Err(bad());
        }
        let v: f64 = s[..n].parse().map_err(|_| bad())?;
        s = &s[n..];
        let u = s
            .bytes()
            .take_while(|b| !b.is_ascii_digit() && *b != b'.')
            .count();
        let unit = match &s[..u] {
            "ns" => 1.0,
            "us" | "µs" | "μs" => 1e3,
            "ms" => 1e6,
            "s" => 1e9,
            "m" => 60e9,
            "h" => 3600e9,
            "" => {
                return Err(format!(
                    "time: missing unit in duration {}",
                    crate::gofmt::quote(orig, false)
                ))
            }
            other => {
                return Err(format!(
                    "time: unknown unit {} in duration {}",
                    crate::gofmt::quote(other, false),
                    crate::gofmt::quote(orig, false)
                ))
            }
        };
        s = &s[u..];
        total += v * unit;
    }
    if total > i64::MAX as f64 {
        return Err(bad());
    }
    let t = total.round() as i64;
    Ok(if neg { -t } else { t })
}

/// Go's `Duration.String` (`1h2m3.5s`, `1.5ms`, `0s`).
pub(crate) fn format_duration(d: i64) -> String {
    if d == 0 {
        return "0s".into();
    }
    let neg = d < 0;
    let u = d.unsigned_abs();
    let mut out = String::new();
    if u < 1_000_000_000 {
        let (unit, div) = if u < 1_000 {
            ("ns", 1u64)
        } else if u < 1_000_000 {
            ("µs", 1_000)
        } else {
            ("ms", 1_000_000)
        };
        out.push_str(&frac_str(u, div));
        out.push_str(unit);
    } else {
        let h = u / 3_600_000_000_000;
        let m = u / 60_000_000_000 % 60;
        let rem = u % 60_000_000_000;
        if h > 0 {
            out.push_str(&format!("{h}h"));
        }
        if h > 0 || m > 0 {
            out.push_str(&format!("{m}m"));
        }
        out.push_str(&frac_str(rem, 1_000_000_000));
        out.push('s');
    }
    if neg {
        format!("-{out}")
    } else {
        out
    }
}

fn frac_str(v: u64, div: u64) -> String {
    let whole = v / div;
    let frac = v % div;
    if frac == 0 {
        return whole.to_string();
    }
    let width = div.to_string().len() - 1;
    let f = format!("{frac:0width$}");
    format!("{whole}.{}", f.trim_end_matches('0'))
}

/// Sprig's `durationRound`: the largest unit only (`2h`, `3d`, `1y`).
fn duration_round(d: i64) -> String {
    let u = d.unsigned_abs();
    let sec = 1_000_000_000u64;
    let (minute, hour, day, month, year) = (
        60 * sec,
        3600 * sec,
        86_400 * sec,
        30 * 86_400 * sec,
        365 * 86_400 * sec,
    );
    if u > year {
        format!("{}y", u / year)
    } else if u > month {
        format!("{}mo", u / month)
    } else if u > day {
        format!("{}d", u / day)
    } else if u > hour {
        format!("{}h", u / hour)
    } else if u > minute {
        format!("{}m", u / minute)
    } else if u > sec {
        format!("{}s", u / sec)
    } else {
        "0s".into()
    }
}
