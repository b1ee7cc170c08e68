//! Helm's `toToml`: values written as the BurntSushi/toml encoder (v1.6) writes them — keys
//! sorted, plain keys before tables, nested tables indented two spaces per level, floats in
//! Go's shortest `%g` form with `.0` added when there is no point or exponent.

use crate::value::Value;

const NIL_ELEMENT: &str = "toml: cannot encode array with nil element";

/// Encodes `v` as a TOML document (or, for a non-table, as a bare TOML value).
pub(crate) fn to_toml(v: &Value) -> Result<String, String> {
    let mut enc = Encoder::default();
    enc.encode(&[], v)?;
    Ok(enc.out)
}

#[derive(Default)]
struct Encoder {
    out: String,
    written: bool,
}

#[derive(PartialEq)]
enum Shape {
    Table,
    ArrayOfTables,
    Plain,
}

fn shape(v: &Value) -> Result<Shape, String> {
    Ok(match v {
        Value::Map(_) => Shape::Table,
        Value::List(items) if !items.is_empty() => {
            // An array of tables only when every element is a table; nil anywhere inside
            // an array is an error.
            let mut tables = true;
            for item in items.iter() {
                if item.is_nil() {
                    return Err(NIL_ELEMENT.into());
                }
                tables &= shape(item)? == Shape::Table;
            }
            if tables {
                Shape::ArrayOfTables
            } else {
                Shape::Plain
            }
        }
        _ => Shape::Plain,
    })
}

impl Encoder {
    fn write(&mut self, s: &str) {
        self.out.push_str(s);
        self.written = true;
    }

    fn newline(&mut self) {
        if self.written {
            self.out.push('\n');
        }
    }

    fn indent(key: &[String]) -> String {
        "  ".repeat(key.len().saturating_sub(1))
    }

    fn encode(&mut self, key: &[String], v: &Value) -> Result<(), String> {
        if v.is_nil() {
            return Ok(());
        }
        match shape(v)? {
            Shape::Table => self.table(key, v),
            Shape::ArrayOfTables => self.array_of_tables(key, v),
            Shape::Plain => self.key_value(key, v, false),
        }
    }

    fn key_value(&mut self, key: &[String], v: &Value, inline: bool) -> Result<(), String> {
        let Some(last) = key.last() else {
            return self.element(v);
        };
        let head = format!("{}{} = ", Self::indent(key), bare_or_quoted(last));
        self.write(&head);
        self.element(v)?;
        if !inline {
            self.newline();
        }
        Ok(())
    }

    fn table(&mut self, key: &[String], v: &Value) -> Result<(), String> {
        if key.len() == 1 {
            // A blank line between top-level tables (none at the very start).
            self.newline();
        }
        if !key.is_empty() {
            let head = format!("{}[{}]", Self::indent(key), dotted(key));
            self.write(&head);
            self.newline();
        }
        self.map_body(key, v, false)
    }

    fn array_of_tables(&mut self, key: &[String], v: &Value) -> Result<(), String> {
        if key.is_empty() {
            return Err("toml: top-level values must be Go maps or structs".into());
        }
        for item in v.as_list().unwrap_or_default() {
            if item.is_nil() {
                continue;
            }
            self.newline();
            let head = format!("{}[[{}]]", Self::indent(key), dotted(key));
            self.write(&head);
            self.newline();
            self.map_body(key, item, false)?;
        }
        Ok(())
    }

    /// The entries of a table: plain keys first, then tables, each group sorted.
    fn map_body(&mut self, key: &[String], v: &Value, inline: bool) -> Result<(), String> {
        let Some(m) = v.as_map() else {
            return Ok(());
        };
        let mut direct = Vec::new();
        let mut sub = Vec::new();
        for (k, val) in m.entries() {
            if shape(&val)? == Shape::Plain {
                direct.push((k, val));
            } else {
                sub.push((k, val));
            }
        }
        direct.sort_by(|a, b| a.0.cmp(&b.0));
        sub.sort_by(|a, b| a.0.cmp(&b.0));
        if inline {
            self.write("{");
        }
        let trailing_comma = !sub.is_empty();
        for (group, trail) in [(direct, trailing_comma), (sub, false)] {
            let n = group.len();
            for (i, (k, val)) in group.into_iter().enumerate() {
                if val.is_nil() {
                    continue;
                }
                if inline {
                    self.key_value(std::slice::from_ref(&k), &val, true)?;
                    if trail || i != n - 1 {
                        self.write(", ");
                    }
                } else {
                    let mut child = key.to_vec();
                    child.push(k);
                    self.encode(&child, &val)?;
                }
            }
        }
        if inline {
            self.write("}");
        }
        Ok(())
    }

    fn element(&mut self, v: &Value) -> Result<(), String> {
        match v {
            v if v.is_nil() => return Err(NIL_ELEMENT.into()),
            Value::Bool(b) => self.write(if *b { "true" } else { "false" }),
            Value::Int(i) => self.write(&i.to_string()),
            Value::Float(f) => self.write(&toml_float(*f)),
            Value::List(items) => {
                self.write("[");
                for (i, item) in items.iter().enumerate() {
                    self.element(item)?;
                    if i != items.len() - 1 {
                        self.write(", ");
                    }
                }
                self.write("]");
            }
            Value::Map(_) => self.map_body(&[], v, true)?,
            other => match other.as_str() {
                Some(s) => self.write(&quoted(s)),
                None => self.write(&quoted(&super::sprig::sprint_v(other))),
            },
        }
        Ok(())
    }
}

/// A key as written after `=`-less contexts: bare when it can be, quoted otherwise.
fn bare_or_quoted(k: &str) -> String {
    if k.is_empty() {
        return "\"\"".into();
    }
    if k.chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    {
        k.to_string()
    } else {
        quoted(k)
    }
}

fn dotted(key: &[String]) -> String {
    key.iter()
        .map(|k| bare_or_quoted(k))
        .collect::<Vec<_>>()
        .join(".")
}

/// A TOML basic string with the encoder's escapes.
fn quoted(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{8}' => out.push_str("\\b"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\u{c}' => out.push_str("\\f"),
            '\r' => out.push_str("\\r"),
            c if (c as u32) < 0x20 || c == '\u{7f}' => {
                out.push_str(&format!("\\u{:04x}", c as u32));
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Go's `strconv.FormatFloat(f, 'g', -1, 64)`, with `.0` added as the encoder adds it.
fn toml_float(f: f64) -> String {
    if f.is_nan() {
        return if f.is_sign_negative() { "-nan" } else { "nan" }.into();
    }
    if f.is_infinite() {
        return if f < 0.0 { "-inf" } else { "inf" }.into();
    }
    let g = go_shortest_g(f);
    if g.contains('.') || g.contains('e') {
        g
    } else {
        g + ".0"
    }
}

/// Go's shortest `%g`: exponent form when the exponent is below -4 or at least 6.
fn go_shortest_g(f: f64) -> String {
    let sci = format!("{f:e}"); // shortest round-trip digits, e.g. "-1.2345e3"
    let (mantissa, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let negative = mantissa.starts_with('-');
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    let sign = if negative { "-" } else { "" };
    if !(-4..6).contains(&exp) {
        let (first, rest) = digits.split_at(1);
        let dot = if rest.is_empty() { "" } else { "." };
        let esign = if exp < 0 { '-' } else { '+' };
        return format!("{sign}{first}{dot}{rest}e{esign}{:02}", exp.abs());
    }
    let point = exp + 1; // digits before the decimal point
    if point <= 0 {
        format!("{sign}0.{}{digits}", "0".repeat((-point) as usize))
    } else if point as usize >= digits.len() {
        format!(
            "{sign}{digits}{}",
            "0".repeat(point as usize - digits.len())
        )
    } else {
        let (a, b) = digits.split_at(point as usize);
        format!("{sign}{a}.{b}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn floats_as_go_formats_them() {
        for (f, want) in [
            (8080.0, "8080.0"),
            (1.5, "1.5"),
            (1e6, "1e+06"),
            (123456.0, "123456.0"),
            (0.0001, "0.0001"),
            (0.00001, "1e-05"),
            (-2.5e-7, "-2.5e-07"),
            (1.23456789e8, "1.23456789e+08"),
            (0.0, "0.0"),
        ] {
            assert_eq!(toml_float(f), want, "{f}");
        }
    }
}
