//! Sprig's arithmetic and numeric conversions. Integer functions convert every argument
//! with `cast.ToInt64` (so `add1 1.9` is 2 and `add "3" 1` is 4); the `…f` functions work
//! in decimal, as shopspring/decimal does, and return float64.

use super::sprig::{arg_int, runtime_error, sprint_v, to_float64, to_int64, SprigEnv};
use super::{FuncMap, ParamType as T, Params};
use crate::value::Value;
use crate::FuncError;

/// Registers sprig's math functions.
pub fn register(m: &mut FuncMap, env: &SprigEnv) {
    let any1 = || Params::fixed(&[T::Any]);
    let any2 = || Params::fixed(&[T::Any, T::Any]);
    let any_var = || Params::variadic(&[], T::Any);
    let any1_var = || Params::variadic(&[T::Any], T::Any);
    m.register("int64", any1(), |_, a| Ok(Value::Int(to_int64(&a[0]))));
    m.register("int", any1(), |_, a| Ok(Value::Int(to_int64(&a[0]))));
    m.register("float64", any1(), |_, a| {
        Ok(Value::Float(to_float64(&a[0])))
    });
    m.register("toDecimal", any1(), |_, a| {
        let s = sprint_v(&a[0]);
        let body = s.strip_prefix(['+', '-']).unwrap_or(&s);
        let ok = !body.is_empty() && body.bytes().all(|b| (b'0'..=b'7').contains(&b));
        let v = if ok {
            i64::from_str_radix(&s, 8).unwrap_or(0)
        } else {
            0
        };
        Ok(Value::Int(v))
    });
    m.register("add1", any1(), |_, a| {
        Ok(Value::Int(to_int64(&a[0]).wrapping_add(1)))
    });
    m.register("add", any_var(), |_, a| {
        Ok(Value::Int(
            a.iter().fold(0i64, |s, x| s.wrapping_add(to_int64(x))),
        ))
    });
    m.register("sub", any2(), |_, a| {
        Ok(Value::Int(to_int64(&a[0]).wrapping_sub(to_int64(&a[1]))))
    });
    m.register("div", any2(), |_, a| {
        let d = to_int64(&a[1]);
        if d == 0 {
            return Err(runtime_error("integer divide by zero"));
        }
        Ok(Value::Int(to_int64(&a[0]).wrapping_div(d)))
    });
    m.register("mod", any2(), |_, a| {
        let d = to_int64(&a[1]);
        if d == 0 {
            return Err(runtime_error("integer divide by zero"));
        }
        Ok(Value::Int(to_int64(&a[0]).wrapping_rem(d)))
    });
    m.register("mul", any1_var(), |_, a| {
        Ok(Value::Int(
            a[1..]
                .iter()
                .fold(to_int64(&a[0]), |s, x| s.wrapping_mul(to_int64(x))),
        ))
    });
    {
        let env = env.clone();
        m.register("randInt", Params::fixed(&[T::Int, T::Int]), move |_, a| {
            let (lo, hi) = (arg_int(&a, 0), arg_int(&a, 1));
            if hi <= lo {
                return Err("invalid argument to Intn".into());
            }
            Ok(Value::Int(lo + env.below((hi - lo) as u64) as i64))
        });
    }
    for name in ["max", "biggest"] {
        m.register(name, any1_var(), |_, a| {
            Ok(Value::Int(
                a[1..].iter().map(to_int64).fold(to_int64(&a[0]), i64::max),
            ))
        });
    }
    m.register("min", any1_var(), |_, a| {
        Ok(Value::Int(
            a[1..].iter().map(to_int64).fold(to_int64(&a[0]), i64::min),
        ))
    });
    m.register("maxf", any1_var(), |_, a| {
        Ok(Value::Float(
            a[1..]
                .iter()
                .map(to_float64)
                .fold(to_float64(&a[0]), go_max),
        ))
    });
    m.register("minf", any1_var(), |_, a| {
        Ok(Value::Float(
            a[1..]
                .iter()
                .map(to_float64)
                .fold(to_float64(&a[0]), go_min),
        ))
    });
    m.register("floor", any1(), |_, a| {
        Ok(Value::Float(to_float64(&a[0]).floor()))
    });
    m.register("ceil", any1(), |_, a| {
        Ok(Value::Float(to_float64(&a[0]).ceil()))
    });
    m.register(
        "round",
        Params::variadic(&[T::Any, T::Int], T::Float),
        |_, a| {
            let round_on = a.get(2).and_then(Value::as_float).unwrap_or(0.5);
            let val = to_float64(&a[0]);
            let pow = 10f64.powf(arg_int(&a, 1) as f64);
            let digit = pow * val;
            let frac = digit.fract();
            let r = if frac >= round_on {
                digit.ceil()
            } else {
                digit.floor()
            };
            Ok(Value::Float(r / pow))
        },
    );
    m.register("until", Params::fixed(&[T::Int]), |_, a| {
        let n = arg_int(&a, 0);
        Ok(ints(until_step(0, n, if n < 0 { -1 } else { 1 })?))
    });
    m.register(
        "untilStep",
        Params::fixed(&[T::Int, T::Int, T::Int]),
        |_, a| {
            Ok(ints(until_step(
                arg_int(&a, 0),
                arg_int(&a, 1),
                arg_int(&a, 2),
            )?))
        },
    );
    m.register("seq", Params::variadic(&[], T::Int), |_, a| {
        let p: Vec<i64> = a.iter().filter_map(Value::as_int).collect();
        let v = match p.as_slice() {
            [end] => {
                let inc = if *end < 1 { -1 } else { 1 };
                until_step(1, end + inc, inc)?
            }
            [start, end] => {
                let step = if end < start { -1 } else { 1 };
                until_step(*start, end + step, step)?
            }
            [start, step, end] => {
                let mut inc = 1;
                if end < start {
                    inc = -1;
                    if *step > 0 {
                        return Ok("".into());
                    }
                }
                until_step(*start, end + inc, *step)?
            }
            _ => Vec::new(),
        };
        let parts: Vec<String> = v.iter().map(i64::to_string).collect();
        Ok(parts.join(" ").into())
    });
    type Op = fn(f64, f64) -> f64;
    let decimal_ops: [(&str, Op); 4] = [
        ("addf", |x, y| x + y),
        ("subf", |x, y| x - y),
        ("mulf", |x, y| x * y),
        ("divf", |x, y| x / y),
    ];
    for (name, op) in decimal_ops {
        let params = if name == "addf" {
            Params::variadic(&[], T::Any)
        } else {
            Params::variadic(&[T::Any], T::Any)
        };
        m.register(name, params, move |_, a| {
            let (mut acc, rest) = if name == "addf" {
                (0.0, &a[..])
            } else {
                (to_float64(&a[0]), &a[1..])
            };
            for x in rest {
                let y = to_float64(x);
                if name == "divf" && y == 0.0 {
                    return Err("decimal division by 0".into());
                }
                acc = decimal_round(op(acc, y));
            }
            Ok(Value::Float(acc))
        });
    }
    m.register("add1f", any1(), |_, a| {
        Ok(Value::Float(decimal_round(to_float64(&a[0]) + 1.0)))
    });
}

/// Approximates shopspring/decimal: exact decimal arithmetic on the shortest decimal
/// forms of the operands, so `addf 0.1 0.2` is 0.3 rather than 0.30000000000000004.
fn decimal_round(x: f64) -> f64 {
    if !x.is_finite() || x == 0.0 {
        return x;
    }
    let s = format!("{:.14e}", x);
    s.parse::<f64>().unwrap_or(x)
}

fn go_max(a: f64, b: f64) -> f64 {
    if a.is_nan() || b.is_nan() {
        f64::NAN
    } else {
        a.max(b)
    }
}

fn go_min(a: f64, b: f64) -> f64 {
    if a.is_nan() || b.is_nan() {
        f64::NAN
    } else {
        a.min(b)
    }
}

/// Sprig's `untilStep`.
/// Most numbers `until`, `untilStep` and `seq` produce: a chart asking for more (sprig would
/// try to allocate them all) gets an error instead of exhausting memory.
const MAX_SEQUENCE: i128 = 1_000_000;

fn until_step(start: i64, stop: i64, step: i64) -> Result<Vec<i64>, FuncError> {
    let (start, stop, step) = (start as i128, stop as i128, step as i128);
    let len = if stop < start && step < 0 {
        (start - stop + (-step) - 1) / -step
    } else if stop > start && step > 0 {
        (stop - start + step - 1) / step
    } else {
        0
    };
    if len > MAX_SEQUENCE {
        return Err(FuncError::new(format!(
            "a sequence of {len} numbers is over the limit of {MAX_SEQUENCE}"
        )));
    }
    Ok((0..len).map(|k| (start + k * step) as i64).collect())
}

fn ints(v: Vec<i64>) -> Value {
    Value::list(v.into_iter().map(Value::Int).collect())
}
