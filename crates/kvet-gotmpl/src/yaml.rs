//! YAML output as Helm's `toYaml` produces it: `sigs.k8s.io/yaml.Marshal`, which encodes
//! the value as JSON and re-emits that with go-yaml v2 — integral floats become ints, keys
//! sort in go-yaml's natural order, strings are plain, single-quoted, double-quoted or
//! literal (`|-`) by go-yaml's rules, and long lines fold at column 80.

use crate::funcs::sprig_encoding::json_float;
use crate::value::{Value, MAX_DEPTH};
use kvet_yaml::resolve::{resolve_plain, Scalar};
use std::cmp::Ordering;

/// Output flavour.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum YamlStyle {
    /// `sigs.k8s.io/yaml` (go-yaml v2 after a JSON round trip): Helm's `toYaml`.
    K8s,
    /// go-yaml v3 with indent 2: Helm's `toYamlPretty` (sequences indented, no folding).
    Pretty,
}

/// Why a value cannot be marshalled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct YamlError(pub String);

impl std::fmt::Display for YamlError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// A JSON-shaped value ready for emitting.
enum Node {
    Null,
    Bool(bool),
    Int(String),
    Float(f64),
    Str(String),
    Seq(Vec<Node>),
    Map(Vec<(String, Node)>),
}

fn to_node(v: &Value, style: YamlStyle, depth: usize) -> Result<Node, YamlError> {
    if depth > MAX_DEPTH {
        return Err(YamlError(
            "json: unsupported value: encountered a cycle".into(),
        ));
    }
    Ok(match v {
        Value::Missing | Value::Nil => Node::Null,
        Value::Bool(b) => Node::Bool(*b),
        Value::Int(i) => Node::Int(i.to_string()),
        Value::Float(f) => {
            if style == YamlStyle::Pretty {
                if f.fract() == 0.0 && f.abs() < 1e21 {
                    Node::Int(crate::gofmt::format_float(*f, 'f', -1))
                } else {
                    Node::Float(*f)
                }
            } else {
                let s = json_float(*f).map_err(|e| YamlError(e.message))?;
                if s.parse::<i64>().is_ok() || s.parse::<u64>().is_ok() {
                    Node::Int(s)
                } else {
                    Node::Float(s.parse::<f64>().unwrap_or(*f))
                }
            }
        }
        Value::String(s) => Node::Str(s.to_string()),
        Value::List(l) => Node::Seq(
            l.iter()
                .map(|x| to_node(x, style, depth + 1))
                .collect::<Result<_, _>>()?,
        ),
        Value::Map(m) => {
            let mut entries = m
                .entries()
                .into_iter()
                .map(|(k, x)| Ok((k, to_node(&x, style, depth + 1)?)))
                .collect::<Result<Vec<_>, YamlError>>()?;
            entries.sort_by(|a, b| key_order(&a.0, &b.0));
            Node::Map(entries)
        }
        Value::Object(o) => to_node(&Value::from_json_ints(&o.to_json()), style, depth + 1)?,
        Value::Func(_) => {
            return Err(YamlError(
                "json: unsupported type: func(...interface {})".into(),
            ))
        }
    })
}

/// go-yaml v2's key order: runs of digits compare as numbers, non-letters before letters.
fn key_order(a: &str, b: &str) -> Ordering {
    let (ar, br): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
    let mut i = 0;
    while i < ar.len() && i < br.len() {
        if ar[i] == br[i] {
            i += 1;
            continue;
        }
        let (al, bl) = (ar[i].is_alphabetic(), br[i].is_alphabetic());
        if al && bl {
            return ar[i].cmp(&br[i]);
        }
        if al || bl {
            return if bl {
                Ordering::Less
            } else {
                Ordering::Greater
            };
        }
        let (mut an, mut bn) = (0i64, 0i64);
        if ar[i] == '0' || br[i] == '0' {
            let mut j = i;
            while j > 0 && ar[j - 1].is_ascii_digit() {
                j -= 1;
                if ar[j] != '0' {
                    an = 1;
                    bn = 1;
                    break;
                }
            }
        }
        let mut ai = i;
        while ai < ar.len() && ar[ai].is_ascii_digit() {
            an = an.wrapping_mul(10).wrapping_add(ar[ai] as i64 - '0' as i64);
            ai += 1;
        }
        let mut bi = i;
        while bi < br.len() && br[bi].is_ascii_digit() {
            bn = bn.wrapping_mul(10).wrapping_add(br[bi] as i64 - '0' as i64);
            bi += 1;
        }
        if an != bn {
            return an.cmp(&bn);
        }
        if ai != bi {
            return ai.cmp(&bi);
        }
        return ar[i].cmp(&br[i]);
    }
    ar.len().cmp(&br.len())
}

/// Marshals `v` as `sigs.k8s.io/yaml.Marshal` (or go-yaml v3 for [`YamlStyle::Pretty`]) does,
/// with the final newline.
pub fn to_yaml(v: &Value, style: YamlStyle) -> Result<String, YamlError> {
    let node = to_node(v, style, 0)?;
    let mut e = Emitter {
        out: String::new(),
        style,
    };
    match &node {
        Node::Map(m) if !m.is_empty() => e.block_map(m, 0),
        Node::Seq(s) if !s.is_empty() => e.block_seq(s, 0),
        other => {
            e.scalar_or_empty(other, 2, false);
            e.out.push('\n');
        }
    }
    Ok(e.out)
}

struct Emitter {
    out: String,
    style: YamlStyle,
}

const BEST_WIDTH: usize = 80;

impl Emitter {
    fn column(&self) -> usize {
        let line = match self.out.rfind('\n') {
            Some(i) => &self.out[i + 1..],
            None => &self.out[..],
        };
        line.chars().count()
    }

    fn pad(&mut self, n: usize) {
        for _ in 0..n {
            self.out.push(' ');
        }
    }

    /// A mapping whose first key goes at the current position, later keys at `indent`.
    fn block_map(&mut self, m: &[(String, Node)], indent: usize) {
        for (i, (k, v)) in m.iter().enumerate() {
            if i > 0 {
                self.pad(indent);
            }
            self.key(k);
            self.out.push(':');
            match v {
                Node::Map(inner) if !inner.is_empty() => {
                    self.out.push('\n');
                    self.pad(indent + 2);
                    self.block_map(inner, indent + 2);
                }
                Node::Seq(items) if !items.is_empty() => {
                    self.out.push('\n');
                    let seq_indent = if self.style == YamlStyle::Pretty {
                        indent + 2
                    } else {
                        indent
                    };
                    self.pad(seq_indent);
                    self.block_seq(items, seq_indent);
                }
                other => {
                    self.out.push(' ');
                    self.scalar_or_empty(other, indent + 2, true);
                    self.out.push('\n');
                }
            }
        }
    }

    /// A sequence whose first dash goes at the current position, later dashes at `indent`.
    fn block_seq(&mut self, s: &[Node], indent: usize) {
        for (i, v) in s.iter().enumerate() {
            if i > 0 {
                self.pad(indent);
            }
            self.out.push_str("- ");
            match v {
                Node::Map(inner) if !inner.is_empty() => self.block_map(inner, indent + 2),
                Node::Seq(items) if !items.is_empty() => self.block_seq(items, indent + 2),
                other => {
                    self.scalar_or_empty(other, indent + 2, true);
                    self.out.push('\n');
                }
            }
        }
    }

    fn scalar_or_empty(&mut self, n: &Node, indent: usize, _in_block: bool) {
        match n {
            Node::Null => self.out.push_str("null"),
            Node::Bool(b) => self.out.push_str(if *b { "true" } else { "false" }),
            Node::Int(s) => self.out.push_str(s),
            Node::Float(f) => self.out.push_str(&yaml_float(*f)),
            Node::Str(s) => self.string(s, indent, false),
            Node::Seq(_) => self.out.push_str("[]"),
            Node::Map(_) => self.out.push_str("{}"),
        }
    }

    fn key(&mut self, k: &str) {
        self.string(k, 0, true);
    }

    fn string(&mut self, s: &str, indent: usize, simple_key: bool) {
        let a = analyze(s);
        let can_plain = !needs_quotes(s);
        let mut style = if s.contains('\n') {
            Style::Literal
        } else if can_plain {
            Style::Plain
        } else {
            Style::Double
        };
        if style == Style::Plain && !a.block_plain_allowed {
            style = Style::Single;
        }
        if style == Style::Plain && s.is_empty() && simple_key {
            style = Style::Single;
        }
        if style == Style::Single && !a.single_quoted_allowed {
            style = Style::Double;
        }
        if style == Style::Literal && (!a.block_allowed || simple_key) {
            style = Style::Double;
        }
        let wrap = !simple_key && self.style == YamlStyle::K8s;
        match style {
            Style::Plain => self.plain(s, indent, wrap),
            Style::Single => self.single(s, indent, wrap),
            Style::Double => self.double(s, indent, wrap),
            Style::Literal => self.literal(s, indent),
        }
    }

    fn fold_break(&mut self, indent: usize) {
        self.out.push('\n');
        self.pad(indent);
    }

    fn plain(&mut self, s: &str, indent: usize, wrap: bool) {
        let chars: Vec<char> = s.chars().collect();
        let mut spaces = false;
        for (i, &c) in chars.iter().enumerate() {
            if c == ' ' {
                let next_space = chars.get(i + 1) == Some(&' ');
                if wrap && !spaces && self.column() > BEST_WIDTH && !next_space {
                    self.fold_break(indent);
                } else {
                    self.out.push(c);
                }
                spaces = true;
            } else {
                self.out.push(c);
                spaces = false;
            }
        }
    }

    fn single(&mut self, s: &str, indent: usize, wrap: bool) {
        self.out.push('\'');
        let chars: Vec<char> = s.chars().collect();
        let mut spaces = false;
        for (i, &c) in chars.iter().enumerate() {
            if c == ' ' {
                let next_space = chars.get(i + 1) == Some(&' ');
                if wrap
                    && !spaces
                    && self.column() > BEST_WIDTH
                    && i > 0
                    && i + 1 < chars.len()
                    && !next_space
                {
                    self.fold_break(indent);
                } else {
                    self.out.push(c);
                }
                spaces = true;
            } else {
                if c == '\'' {
                    self.out.push('\'');
                }
                self.out.push(c);
                spaces = false;
            }
        }
        self.out.push('\'');
    }

    fn double(&mut self, s: &str, indent: usize, wrap: bool) {
        self.out.push('"');
        let chars: Vec<char> = s.chars().collect();
        let mut spaces = false;
        for (i, &c) in chars.iter().enumerate() {
            if !is_printable(c) || is_break(c) || c == '"' || c == '\\' || c == '\u{FEFF}' {
                self.out.push('\\');
                match c {
                    '\0' => self.out.push('0'),
                    '\u{7}' => self.out.push('a'),
                    '\u{8}' => self.out.push('b'),
                    '\t' => self.out.push('t'),
                    '\n' => self.out.push('n'),
                    '\u{b}' => self.out.push('v'),
                    '\u{c}' => self.out.push('f'),
                    '\r' => self.out.push('r'),
                    '\u{1b}' => self.out.push('e'),
                    '"' => self.out.push('"'),
                    '\\' => self.out.push('\\'),
                    '\u{85}' => self.out.push('N'),
                    '\u{a0}' => self.out.push('_'),
                    '\u{2028}' => self.out.push('L'),
                    '\u{2029}' => self.out.push('P'),
                    c if (c as u32) <= 0xFF => self.out.push_str(&format!("x{:02X}", c as u32)),
                    c if (c as u32) <= 0xFFFF => self.out.push_str(&format!("u{:04X}", c as u32)),
                    c => self.out.push_str(&format!("U{:08X}", c as u32)),
                }
                spaces = false;
            } else if c == ' ' {
                if wrap && !spaces && self.column() > BEST_WIDTH && i != 0 && i + 1 != chars.len() {
                    self.fold_break(indent);
                    if chars.get(i + 1) == Some(&' ') {
                        self.out.push('\\');
                    }
                } else {
                    self.out.push(c);
                }
                spaces = true;
            } else {
                self.out.push(c);
                spaces = false;
            }
        }
        self.out.push('"');
    }

    fn literal(&mut self, s: &str, indent: usize) {
        self.out.push('|');
        let first = s.chars().next();
        if first.is_some_and(|c| c == ' ' || is_break(c)) {
            self.out.push('2');
        }
        let chars: Vec<char> = s.chars().collect();
        let n = chars.len();
        let chomp = if n == 0 || !is_break(chars[n - 1]) {
            "-"
        } else if n == 1 || is_break(chars[n - 2]) {
            "+"
        } else {
            ""
        };
        self.out.push_str(chomp);
        self.out.push('\n');
        let mut at_line_start = true;
        for &c in &chars {
            if is_break(c) {
                self.out.push('\n');
                at_line_start = true;
            } else {
                if at_line_start {
                    self.pad(indent);
                    at_line_start = false;
                }
                self.out.push(c);
            }
        }
        // The caller adds the final line break; drop the one the content ended with.
        if self.out.ends_with('\n') && !chars.is_empty() && is_break(chars[n - 1]) {
            self.out.pop();
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Style {
    Plain,
    Single,
    Double,
    Literal,
}

fn is_break(c: char) -> bool {
    matches!(c, '\r' | '\n' | '\u{85}' | '\u{2028}' | '\u{2029}')
}

/// go-yaml v2's `is_printable`.
fn is_printable(c: char) -> bool {
    let u = c as u32;
    u == 0x0A
        || (0x20..=0x7E).contains(&u)
        || (0xA0..=0xD7FF).contains(&u)
        || ((0xE000..=0xFFFD).contains(&u) && u != 0xFEFF)
}

struct Analysis {
    block_plain_allowed: bool,
    single_quoted_allowed: bool,
    block_allowed: bool,
}

/// go-yaml v2's `yaml_emitter_analyze_scalar`, for block context.
fn analyze(s: &str) -> Analysis {
    if s.is_empty() {
        return Analysis {
            block_plain_allowed: true,
            single_quoted_allowed: true,
            block_allowed: false,
        };
    }
    let chars: Vec<char> = s.chars().collect();
    let mut block_ind = s.starts_with("---") || s.starts_with("...");
    let (mut leading_space, mut leading_break, mut trailing_space, mut trailing_break) =
        (false, false, false, false);
    let (mut break_space, mut space_break, mut prev_space, mut prev_break) =
        (false, false, false, false);
    let (mut line_breaks, mut special) = (false, false);
    let mut preceded_by_ws = true;
    let blank = |c: Option<&char>| matches!(c, None | Some(' ' | '\t'));
    for (i, &c) in chars.iter().enumerate() {
        let followed_by_ws =
            blank(chars.get(i + 1)) || chars.get(i + 1).is_some_and(|c| is_break(*c));
        if i == 0 {
            match c {
                '#' | ',' | '[' | ']' | '{' | '}' | '&' | '*' | '!' | '|' | '>' | '\'' | '"'
                | '%' | '@' | '`' => block_ind = true,
                '?' | ':' | '-' if followed_by_ws => block_ind = true,
                _ => {}
            }
        } else {
            match c {
                ':' if followed_by_ws => block_ind = true,
                '#' if preceded_by_ws => block_ind = true,
                _ => {}
            }
        }
        if !is_printable(c) || c == '\u{FEFF}' {
            special = true;
        }
        if c == ' ' {
            if i == 0 {
                leading_space = true;
            }
            if i + 1 == chars.len() {
                trailing_space = true;
            }
            if prev_break {
                break_space = true;
            }
            prev_space = true;
            prev_break = false;
        } else if is_break(c) {
            line_breaks = true;
            if i == 0 {
                leading_break = true;
            }
            if i + 1 == chars.len() {
                trailing_break = true;
            }
            if prev_space {
                space_break = true;
            }
            prev_space = false;
            prev_break = true;
        } else {
            prev_space = false;
            prev_break = false;
        }
        preceded_by_ws = c == ' ' || c == '\t' || is_break(c);
    }
    let mut a = Analysis {
        block_plain_allowed: true,
        single_quoted_allowed: true,
        block_allowed: true,
    };
    if leading_space || leading_break || trailing_space || trailing_break {
        a.block_plain_allowed = false;
    }
    if trailing_space {
        a.block_allowed = false;
    }
    if break_space {
        a.block_plain_allowed = false;
        a.single_quoted_allowed = false;
    }
    if space_break || special {
        a.block_plain_allowed = false;
        a.single_quoted_allowed = false;
        a.block_allowed = false;
    }
    if line_breaks || block_ind {
        a.block_plain_allowed = false;
    }
    a
}

/// Whether go-yaml would read the plain text back as something other than this string.
fn needs_quotes(s: &str) -> bool {
    if s == "<<" || is_base60_float(s) || is_timestamp(s) {
        return true;
    }
    !matches!(resolve_plain(s), Scalar::Str(_))
}

fn is_base60_float(s: &str) -> bool {
    // ^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?$
    let t = s.strip_prefix(['-', '+']).unwrap_or(s);
    let (head, frac) = match t.split_once('.') {
        Some((h, f)) => (h, Some(f)),
        None => (t, None),
    };
    if frac.is_some_and(|f| !f.chars().all(|c| c.is_ascii_digit() || c == '_')) {
        return false;
    }
    let mut parts = head.split(':');
    let first = parts.next().unwrap_or_default();
    if first.is_empty()
        || !first.starts_with(|c: char| c.is_ascii_digit())
        || !first.chars().all(|c| c.is_ascii_digit() || c == '_')
    {
        return false;
    }
    let rest: Vec<&str> = parts.collect();
    !rest.is_empty()
        && rest.iter().all(|p| {
            let b = p.as_bytes();
            match b.len() {
                1 => b[0].is_ascii_digit(),
                2 => (b'0'..=b'5').contains(&b[0]) && b[1].is_ascii_digit(),
                _ => false,
            }
        })
}

/// go-yaml v2 resolves `2006-01-02` (and date-times) as timestamps, so such strings are quoted.
fn is_timestamp(s: &str) -> bool {
    let b = s.as_bytes();
    if b.len() < 8 || !b[..4].iter().all(u8::is_ascii_digit) || b[4] != b'-' {
        return false;
    }
    let rest = &s[5..];
    let (date, time) = match rest.find(['T', 't', ' ']) {
        Some(i) => (&rest[..i], Some(&rest[i + 1..])),
        None => (rest, None),
    };
    let mut dp = date.split('-');
    let ok_num = |p: Option<&str>| {
        p.is_some_and(|p| (1..=2).contains(&p.len()) && p.bytes().all(|c| c.is_ascii_digit()))
    };
    if !ok_num(dp.next()) || !ok_num(dp.next()) || dp.next().is_some() {
        return false;
    }
    match time {
        None => true,
        Some(t) => {
            let t = t.trim_end_matches('Z');
            let t = match t.rfind(['+', '-']) {
                Some(i) => &t[..i],
                None => t,
            };
            let t = t.split('.').next().unwrap_or_default();
            let parts: Vec<&str> = t.split(':').collect();
            parts.len() == 3 && parts.iter().all(|p| ok_num(Some(p)))
        }
    }
}

/// go-yaml's float form: `strconv.FormatFloat(f, 'g', -1, 64)` with `.inf`/`.nan`.
fn yaml_float(f: f64) -> String {
    if f.is_nan() {
        return ".nan".into();
    }
    if f.is_infinite() {
        return if f > 0.0 { ".inf" } else { "-.inf" }.into();
    }
    crate::gofmt::format_float(f, 'g', -1)
}
