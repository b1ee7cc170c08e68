//! Helm's own template functions (`pkg/engine/funcs.go` and the late-bound ones in
//! `engine.go`): `include`, `tpl`, `required`, `fail`, `lookup`, YAML/JSON/TOML helpers and
//! the duration helpers.

use super::sprig::{arg_str, SprigEnv};
use super::sprig_dates::{format_duration, parse_duration};
use super::{FuncMap, ParamType as T, Params};
use crate::error::FuncError;
use crate::value::{Map, Str, Value};
use crate::yaml::{to_yaml, YamlStyle};

/// Helm wraps `required` and `fail` messages in these markers; its error cleanup shows
/// such an error as `execution error at (FILE:LINE:COL): MESSAGE`.
pub const HELM_ERR_START: &str = "HELM_ERR_START";
/// See [`HELM_ERR_START`].
pub const HELM_ERR_END: &str = "HELM_ERR_END";

/// The message of a `required`/`fail` error, if `message` carries Helm's markers.
pub fn helm_user_error(message: &str) -> Option<&str> {
    let start = message.find(HELM_ERR_START)? + HELM_ERR_START.len();
    let end = message.rfind(HELM_ERR_END)?;
    message.get(start..end)
}

/// What Helm's functions depend on besides the template set.
#[derive(Clone, Debug)]
pub struct HelmEnv {
    /// Clock, randomness and local zone for the sprig functions.
    pub sprig: SprigEnv,
    /// Helm's lint mode: `required` and `fail` do not stop rendering.
    pub lint_mode: bool,
    /// The name `tpl` parses its text under: Helm uses the root template's name (`gotpl`).
    pub tpl_name: String,
}

impl HelmEnv {
    /// A deterministic environment (fixed clock at `secs`, seeded randomness) for tests.
    pub fn fixed(secs: i64, seed: u64) -> HelmEnv {
        HelmEnv {
            sprig: SprigEnv::fixed(secs, seed),
            lint_mode: false,
            tpl_name: "gotpl".into(),
        }
    }
}

/// Registers Helm's functions (replacing sprig's `fail`, `toJson`, `fromJson`, `getHostByName`).
pub fn register(m: &mut FuncMap, env: &HelmEnv) {
    m.register("include", Params::fixed(&[T::String, T::Any]), |ctx, a| {
        let r = ctx.execute_template(arg_str(&a, 0), a[1].clone())?;
        Ok(Value::String(Str::tracked(r.text, r.source_map)))
    });
    let tpl_name = env.tpl_name.clone();
    m.register("tpl", Params::fixed(&[T::String, T::Any]), move |ctx, a| {
        let text = arg_str(&a, 0);
        match ctx.parse_and_execute(&tpl_name, text, a[1].clone()) {
            Ok(r) => {
                if r.text.contains("<no value>") {
                    // Helm blanks `<no value>`; positions after the first one shift.
                    Ok(Value::from(r.text.replace("<no value>", "")))
                } else {
                    Ok(Value::String(Str::tracked(r.text, r.source_map)))
                }
            }
            Err(crate::Error::Parse(e)) => Err(FuncError::new(format!(
                "cannot parse template {}: {e}",
                crate::gofmt::quote(text, false)
            ))),
            Err(crate::Error::Exec(e)) => {
                let mut f = FuncError::from(e);
                f.message = format!(
                    "error during tpl function execution for {}: {}",
                    crate::gofmt::quote(text, false),
                    f.message
                );
                Err(f)
            }
        }
    });
    let lint = env.lint_mode;
    m.register(
        "required",
        Params::fixed(&[T::String, T::Any]),
        move |_, a| {
            let missing = match &a[1] {
                Value::Nil | Value::Missing => true,
                Value::String(s) => s.is_empty(),
                _ => false,
            };
            if !missing {
                return Ok(a[1].clone());
            }
            if lint {
                return Ok("".into());
            }
            Err(format!("{HELM_ERR_START}{}{HELM_ERR_END}", arg_str(&a, 0)).into())
        },
    );
    m.register("fail", Params::fixed(&[T::String]), move |_, a| {
        if lint {
            return Ok("".into());
        }
        Err(format!("{HELM_ERR_START}{}{HELM_ERR_END}", arg_str(&a, 0)).into())
    });
    m.register(
        "lookup",
        Params::fixed(&[T::String, T::String, T::String, T::String]),
        |_, _| Ok(Value::Map(Map::new())),
    );
    m.register("toYaml", Params::fixed(&[T::Any]), |_, a| {
        Ok(to_yaml(&a[0], YamlStyle::K8s)
            .map(|s| s.strip_suffix('\n').unwrap_or(&s).to_string())
            .unwrap_or_default()
            .into())
    });
    m.register("mustToYaml", Params::fixed(&[T::Any]), |_, a| {
        let s = to_yaml(&a[0], YamlStyle::K8s).map_err(|e| FuncError::new(e.0))?;
        Ok(s.strip_suffix('\n').unwrap_or(&s).to_string().into())
    });
    m.register("toYamlPretty", Params::fixed(&[T::Any]), |_, a| {
        Ok(to_yaml(&a[0], YamlStyle::Pretty)
            .map(|s| s.strip_suffix('\n').unwrap_or(&s).to_string())
            .unwrap_or_default()
            .into())
    });
    m.register("fromYaml", Params::fixed(&[T::String]), |_, a| {
        Ok(map_or_error(
            from_yaml(arg_str(&a, 0)),
            "error unmarshaling JSON: while decoding JSON: ",
        ))
    });
    m.register("fromYamlArray", Params::fixed(&[T::String]), |_, a| {
        Ok(match from_yaml(arg_str(&a, 0)) {
            Ok(Value::List(l)) => Value::List(l),
            Ok(Value::Nil) => Value::list(Vec::new()),
            Ok(other) => Value::list(vec![Value::from(format!(
                "error unmarshaling JSON: while decoding JSON: json: cannot unmarshal {} into Go value of type []interface {{}}",
                json_kind(&other)
            ))]),
            Err(e) => Value::list(vec![Value::from(e)]),
        })
    });
    // Helm's toToml returns the encoder's error as its text; mustToToml fails with it.
    m.register("toToml", Params::fixed(&[T::Any]), |_, a| {
        Ok(super::toml::to_toml(&a[0]).unwrap_or_else(|e| e).into())
    });
    m.register("mustToToml", Params::fixed(&[T::Any]), |_, a| {
        Ok(super::toml::to_toml(&a[0])?.into())
    });
    m.register("fromToml", Params::fixed(&[T::String]), |_, _| {
        let out = Map::new();
        out.insert(
            "Error",
            "fromToml is not supported by kvet's renderer".into(),
        );
        Ok(Value::Map(out))
    });
    // Duration helpers (Helm 3.19+/4).
    m.register("mustToDuration", Params::fixed(&[T::Any]), |_, a| {
        Ok(format_duration(as_duration(&a[0])?).into())
    });
    let float_units: [(&str, f64); 5] = [
        ("durationSeconds", 1e9),
        ("durationMinutes", 60e9),
        ("durationHours", 3600e9),
        ("durationDays", 86400e9),
        ("durationWeeks", 604800e9),
    ];
    for (name, unit) in float_units {
        m.register(name, Params::fixed(&[T::Any]), move |_, a| {
            Ok(Value::Float(
                as_duration(&a[0]).map(|d| d as f64 / unit).unwrap_or(0.0),
            ))
        });
    }
    let int_units: [(&str, i64); 3] = [
        ("durationMilliseconds", 1_000_000),
        ("durationMicroseconds", 1_000),
        ("durationNanoseconds", 1),
    ];
    for (name, unit) in int_units {
        m.register(name, Params::fixed(&[T::Any]), move |_, a| {
            Ok(Value::Int(
                as_duration(&a[0]).map(|d| d / unit).unwrap_or(0),
            ))
        });
    }
    for (name, round) in [("durationRoundTo", true), ("durationTruncateTo", false)] {
        m.register(name, Params::fixed(&[T::Any, T::Any]), move |_, a| {
            let d = as_duration(&a[0]).unwrap_or(0);
            let m = as_duration(&a[1]).unwrap_or(0);
            if m <= 0 {
                return Ok(format_duration(d).into());
            }
            let t = d - d % m;
            let r = if round && (d % m).abs() * 2 >= m {
                t + m * d.signum()
            } else {
                t
            };
            Ok(format_duration(r).into())
        });
    }
}

/// Helm's `fromYaml`/`fromJson`: the decoded map, nothing for null, or a map holding the error
/// under "Error" (`prefix` leads the type mismatch message, as each decoder words it).
pub(crate) fn map_or_error(decoded: Result<Value, String>, prefix: &str) -> Value {
    let out = Map::new();
    match decoded {
        Ok(Value::Map(m)) => return Value::Map(m),
        Ok(Value::Nil) => {}
        Ok(other) => out.insert(
            "Error",
            Value::from(format!(
                "{prefix}json: cannot unmarshal {} into Go value of type map[string]interface {{}}",
                json_kind(&other)
            )),
        ),
        Err(e) => out.insert("Error", Value::from(e)),
    }
    Value::Map(out)
}

pub(crate) fn json_kind(v: &Value) -> &'static str {
    match v {
        Value::Bool(_) => "bool",
        Value::Float(_) | Value::Int(_) => "number",
        Value::String(_) => "string",
        Value::List(_) => "array",
        Value::Map(_) => "object",
        _ => "null",
    }
}

/// `sigs.k8s.io/yaml.Unmarshal` into `interface{}`: numbers become float64.
fn from_yaml(s: &str) -> Result<Value, String> {
    match kvet_yaml::parse_one(s, &kvet_yaml::Limits::default()) {
        Ok(Some(doc)) => Ok(Value::from_json(&doc.value)),
        Ok(None) => Ok(Value::Nil),
        Err(e) => Err(format!("error converting YAML to JSON: yaml: {e}")),
    }
}

/// Helm's `asDuration`: a duration string, numeric seconds (string or number).
fn as_duration(v: &Value) -> Result<i64, FuncError> {
    match v {
        Value::String(s) => {
            let t = s.trim();
            if t.is_empty() {
                return Err("empty duration".into());
            }
            if let Ok(d) = parse_duration(t) {
                return Ok(d);
            }
            match t.parse::<f64>() {
                Ok(f) => secs_float(f),
                Err(_) => Err(format!(
                    "could not parse duration {}",
                    crate::gofmt::quote(s, false)
                )
                .into()),
            }
        }
        Value::Int(i) => i
            .checked_mul(1_000_000_000)
            .ok_or_else(|| format!("duration seconds overflow: {i}").into()),
        Value::Float(f) => secs_float(*f),
        Value::Nil | Value::Missing => Err("invalid duration".into()),
        other => Err(format!("unsupported duration type {}", other.type_name()).into()),
    }
}

fn secs_float(f: f64) -> Result<i64, FuncError> {
    if !f.is_finite() {
        return Err(format!(
            "invalid duration seconds: {}",
            crate::gofmt::format_float(f, 'g', -1)
        )
        .into());
    }
    let n = f * 1e9;
    if n.abs() >= 9.2e18 {
        return Err(format!(
            "duration seconds overflow: {}",
            crate::gofmt::format_float(f, 'g', -1)
        )
        .into());
    }
    Ok(n as i64)
}
