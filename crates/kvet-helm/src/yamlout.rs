//! A small emitter for `map[string]string` as go-yaml v2 (through sigs.k8s.io/yaml) writes
//! it: what `.Files.AsConfig` and `.Files.AsSecrets` print.

use kvet_yaml::resolve::{resolve_plain, Scalar};
use std::collections::BTreeMap;

const BEST_WIDTH: usize = 80;

/// `key: value` lines, keys sorted, without the final newline (Helm trims it).
pub(crate) fn string_map(map: &BTreeMap<String, String>) -> String {
    if map.is_empty() {
        return "{}".into();
    }
    let mut out = String::new();
    for (k, v) in map {
        let key = scalar(k, 0, true);
        out.push_str(&key);
        out.push(':');
        if v.contains('\n') && block_allowed(v) {
            out.push(' ');
            out.push_str(&literal(v, 2));
        } else {
            out.push(' ');
            let col = key.chars().count() + 2;
            out.push_str(&scalar_at(v, col, 2));
        }
        out.push('\n');
    }
    out.truncate(out.trim_end_matches('\n').len());
    out
}

fn scalar(s: &str, col: usize, _key: bool) -> String {
    scalar_at(s, col, 2)
}

fn needs_quotes(s: &str) -> bool {
    if s.is_empty() {
        return true;
    }
    if !matches!(resolve_plain(s), Scalar::Str(_)) {
        return true;
    }
    let first = s.chars().next().unwrap_or(' ');
    let last = s.chars().last().unwrap_or(' ');
    if first.is_whitespace() || last.is_whitespace() {
        return true;
    }
    if "#,[]{}&*!|>'\"%@`".contains(first) {
        return true;
    }
    if "-?:".contains(first) {
        let second = s.chars().nth(1);
        if second.is_none_or(|c| c == ' ') {
            return true;
        }
    }
    if s.contains(": ") || s.contains(" #") || s.ends_with(':') {
        return true;
    }
    s.chars().any(|c| c.is_control() || c == '\u{feff}')
}

fn scalar_at(s: &str, col: usize, indent: usize) -> String {
    if s.chars().any(|c| c.is_control()) {
        return double_quoted(s);
    }
    if needs_quotes(s) {
        if !matches!(resolve_plain(s), Scalar::Str(_)) || s.is_empty() {
            return double_quoted(s);
        }
        return wrap(&format!("'{}'", s.replace('\'', "''")), col, indent);
    }
    wrap(s, col, indent)
}

/// go-yaml breaks long plain and single-quoted scalars at single spaces past column 80.
fn wrap(s: &str, start_col: usize, indent: usize) -> String {
    let chars: Vec<char> = s.chars().collect();
    let mut out = String::new();
    let mut col = start_col;
    let mut prev_space = false;
    for (i, &c) in chars.iter().enumerate() {
        if c == ' ' {
            let next_space = chars.get(i + 1) == Some(&' ');
            if !prev_space && col > BEST_WIDTH && !next_space && i + 1 < chars.len() {
                out.push('\n');
                out.push_str(&" ".repeat(indent));
                col = indent;
                prev_space = true;
                continue;
            }
            prev_space = true;
        } else {
            prev_space = false;
        }
        out.push(c);
        col += 1;
    }
    out
}

fn double_quoted(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            '\0' => out.push_str("\\0"),
            c if c.is_control() => out.push_str(&format!("\\x{:02X}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn block_allowed(s: &str) -> bool {
    // Trailing spaces before a line break, or special characters, rule out block style.
    !s.contains(" \n") && !s.ends_with(' ') && !s.chars().any(|c| c.is_control() && c != '\n')
}

fn literal(s: &str, indent: usize) -> String {
    let mut head = String::from("|");
    if s.starts_with(' ') || s.starts_with('\n') {
        head.push_str(&indent.to_string());
    }
    let trailing = s.len() - s.trim_end_matches('\n').len();
    match trailing {
        0 => head.push('-'),
        1 => {}
        _ => head.push('+'),
    }
    let body = if trailing == 1 {
        &s[..s.len() - 1]
    } else {
        s.trim_end_matches('\n')
    };
    let mut out = head;
    for line in body.split('\n') {
        out.push('\n');
        if !line.is_empty() {
            out.push_str(&" ".repeat(indent));
            out.push_str(line);
        }
    }
    if trailing > 1 {
        for _ in 1..trailing {
            out.push('\n');
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emits_like_go_yaml() {
        let mut m = BTreeMap::new();
        m.insert("a.conf".to_string(), "key=value\nother=1\n".to_string());
        m.insert("b.txt".to_string(), "plain".to_string());
        m.insert("c".to_string(), "true".to_string());
        m.insert("d".to_string(), "no newline\nend".to_string());
        m.insert("e".to_string(), "a: b".to_string());
        assert_eq!(
            string_map(&m),
            "a.conf: |\n  key=value\n  other=1\nb.txt: plain\nc: \"true\"\nd: |-\n  no newline\n  end\ne: 'a: b'"
        );
    }
}
