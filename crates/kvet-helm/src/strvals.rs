//! Helm's `--set` grammar (pkg/strvals): `a.b=1,c={x,y},d[0].e=2`, `\` escapes, typed
//! scalars for `--set` (int64, bool, null), strings for `--set-string`, JSON for
//! `--set-json`, file contents for `--set-file`, the raw rest for `--set-literal`.

use crate::values::Values;
use serde_json::{Map as JsonMap, Value as Json};

const MAX_INDEX: i64 = 65536;
const MAX_NESTED_NAME_LEVEL: usize = 30;

enum PErr {
    Eof,
    NotList,
    Msg(String),
}

impl From<String> for PErr {
    fn from(s: String) -> PErr {
        PErr::Msg(s)
    }
}

type Reader<'a> = dyn FnMut(&str) -> Result<Json, String> + 'a;

#[derive(Clone, Copy, PartialEq)]
enum Mode {
    Typed,
    Json,
    Literal,
}

struct Parser<'a> {
    s: Vec<char>,
    pos: usize,
    mode: Mode,
    reader: &'a mut Reader<'a>,
}

/// `--set` (typed) or `--set-string` (`strings`): parses `s` into `dest`.
pub fn parse_into(s: &str, dest: &mut Values, strings: bool) -> Result<(), String> {
    let mut reader = move |v: &str| Ok(typed_val(v, strings));
    run(s, dest, Mode::Typed, &mut reader)
}

/// `--set-file`: the right-hand sides are file names, read through `read_file`.
pub fn parse_file_into(
    s: &str,
    dest: &mut Values,
    read_file: &mut dyn FnMut(&str) -> Result<String, String>,
) -> Result<(), String> {
    let mut reader = move |v: &str| read_file(v).map(Json::String);
    run(s, dest, Mode::Typed, &mut reader)
}

/// `--set-json`: `key=JSON` pairs, or one JSON object merged in.
pub fn parse_json_into(s: &str, dest: &mut Values) -> Result<(), String> {
    let t = s.trim();
    if t.starts_with('{') {
        let v: Json = serde_json::from_str(t).map_err(|e| e.to_string())?;
        let Json::Object(o) = crate::loader::to_floats(v) else {
            return Err("not an object".into());
        };
        let merged = crate::values::merge_maps(std::mem::take(dest), o);
        *dest = merged;
        return Ok(());
    }
    let mut reader = |_: &str| Ok(Json::Null);
    run(s, dest, Mode::Json, &mut reader)
}

/// `--set-literal`: the value is everything after `=`, verbatim.
pub fn parse_literal_into(s: &str, dest: &mut Values) -> Result<(), String> {
    let mut reader = |v: &str| Ok(Json::String(v.to_owned()));
    run(s, dest, Mode::Literal, &mut reader)
}

fn run<'a>(
    s: &str,
    dest: &mut Values,
    mode: Mode,
    reader: &'a mut Reader<'a>,
) -> Result<(), String> {
    let mut p = Parser {
        s: s.chars().collect(),
        pos: 0,
        mode,
        reader,
    };
    loop {
        match p.key(dest, 0) {
            Ok(()) => continue,
            Err(PErr::Eof) => return Ok(()),
            Err(PErr::NotList) => return Err("not a list".into()),
            Err(PErr::Msg(m)) => return Err(m),
        }
    }
}

/// Helm's `typedVal`.
fn typed_val(v: &str, strings: bool) -> Json {
    if strings {
        return Json::String(v.to_owned());
    }
    if v.eq_ignore_ascii_case("true") {
        return Json::Bool(true);
    }
    if v.eq_ignore_ascii_case("false") {
        return Json::Bool(false);
    }
    if v.eq_ignore_ascii_case("null") {
        return Json::Null;
    }
    if v == "0" {
        return Json::from(0i64);
    }
    if !v.is_empty() && !v.starts_with('0') {
        if let Ok(i) = v.parse::<i64>() {
            return Json::from(i);
        }
    }
    Json::String(v.to_owned())
}

fn set(data: &mut Values, key: &str, val: Json) {
    if !key.is_empty() {
        data.insert(key.to_owned(), val);
    }
}

fn set_index(mut list: Vec<Json>, index: i64, val: Json) -> Result<Vec<Json>, String> {
    if index < 0 {
        return Err(format!("negative {index} index not allowed"));
    }
    if index > MAX_INDEX {
        return Err(format!(
            "index of {index} is greater than maximum supported index of {MAX_INDEX}"
        ));
    }
    let i = index as usize;
    if list.len() <= i {
        list.resize(i + 1, Json::Null);
    }
    list[i] = val;
    Ok(list)
}

fn conversion(what: &str, v: &Json) -> PErr {
    let ty = match v {
        Json::Null => "nil",
        Json::Bool(_) => "bool",
        Json::Number(n) if n.is_f64() => "float64",
        Json::Number(_) => "int64",
        Json::String(_) => "string",
        Json::Array(_) => "[]interface {}",
        Json::Object(_) => "map[string]interface {}",
    };
    PErr::Msg(format!(
        "unable to parse key: interface conversion: interface {{}} is {ty}, not {what}"
    ))
}

impl Parser<'_> {
    fn read(&mut self) -> Option<char> {
        let c = self.s.get(self.pos).copied();
        if c.is_some() {
            self.pos += 1;
        }
        c
    }

    /// Reads up to a stop character; `None` as the last character means end of input.
    fn until(&mut self, stop: &[char]) -> (String, Option<char>) {
        let mut v = String::new();
        loop {
            let Some(c) = self.read() else {
                return (v, None);
            };
            if stop.contains(&c) {
                return (v, Some(c));
            }
            if c == '\\' && self.mode != Mode::Literal {
                match self.read() {
                    Some(n) => v.push(n),
                    None => return (v, None),
                }
            } else {
                v.push(c);
            }
        }
    }

    fn key(&mut self, data: &mut Values, level: usize) -> Result<(), PErr> {
        let stop: &[char] = if self.mode == Mode::Literal {
            &['=', '[', '.']
        } else {
            &['=', '[', ',', '.']
        };
        let (k, last) = self.until(stop);
        match last {
            None => {
                if k.is_empty() {
                    Err(PErr::Eof)
                } else {
                    Err(PErr::Msg(format!("key {k:?} has no value")))
                }
            }
            Some('[') => {
                let i = self.key_index()?;
                let list = match data.get(&k) {
                    None => Vec::new(),
                    Some(Json::Array(a)) => a.clone(),
                    Some(v) => return Err(conversion("[]interface {}", v)),
                };
                let (list, res) = self.list_item(list, i, level);
                set(data, &k, Json::Array(list));
                res
            }
            Some('=') => {
                match self.mode {
                    Mode::Json => {
                        if self.empty_val() {
                            set(data, &k, Json::Null);
                            return Ok(());
                        }
                        let v = self.json_val()?;
                        set(data, &k, v);
                        self.empty_val();
                        return Ok(());
                    }
                    Mode::Literal => {
                        let rest: String = self.s[self.pos..].iter().collect();
                        self.pos = self.s.len();
                        set(data, &k, Json::String(rest));
                        return Ok(());
                    }
                    Mode::Typed => {}
                }
                match self.val_list() {
                    Ok(vl) => {
                        set(data, &k, Json::Array(vl));
                        Ok(())
                    }
                    Err(PErr::Eof) => {
                        set(data, &k, Json::String(String::new()));
                        Err(PErr::Eof)
                    }
                    Err(PErr::NotList) => {
                        let rs = self.val();
                        let v = (self.reader)(&rs)?;
                        set(data, &k, v);
                        Ok(())
                    }
                    Err(e) => Err(e),
                }
            }
            Some(',') => {
                set(data, &k, Json::String(String::new()));
                Err(PErr::Msg(format!(
                    "key {k:?} has no value (cannot end with ,)"
                )))
            }
            Some(_) => {
                // '.'
                let level = level + 1;
                if level > MAX_NESTED_NAME_LEVEL {
                    return Err(PErr::Msg(format!(
                        "value name nested level is greater than maximum supported nested level of {MAX_NESTED_NAME_LEVEL}"
                    )));
                }
                let mut inner = match data.get(&k) {
                    None => JsonMap::new(),
                    Some(Json::Object(o)) => o.clone(),
                    Some(v) => return Err(conversion("map[string]interface {}", v)),
                };
                let e = self.key(&mut inner, level);
                if e.is_ok() && inner.is_empty() {
                    return Err(PErr::Msg(format!("key map {k:?} has no value")));
                }
                if !inner.is_empty() {
                    set(data, &k, Json::Object(inner));
                }
                e
            }
        }
    }

    fn key_index(&mut self) -> Result<i64, PErr> {
        let (v, last) = self.until(&[']']);
        if last.is_none() {
            return Err(PErr::Eof);
        }
        v.parse::<i64>().map_err(|_| {
            PErr::Msg(format!(
                "error parsing index: strconv.Atoi: parsing {v:?}: invalid syntax"
            ))
        })
    }

    fn list_item(
        &mut self,
        list: Vec<Json>,
        i: i64,
        level: usize,
    ) -> (Vec<Json>, Result<(), PErr>) {
        if i < 0 {
            return (
                list,
                Err(PErr::Msg(format!("negative {i} index not allowed"))),
            );
        }
        let (k, last) = self.until(&['[', '.', '=']);
        if !k.is_empty() {
            return (
                list,
                Err(PErr::Msg(format!(
                    "unexpected data at end of array index: {k:?}"
                ))),
            );
        }
        let done = |r: Result<Vec<Json>, String>, orig: Vec<Json>| match r {
            Ok(l) => (l, Ok(())),
            Err(e) => (orig, Err(PErr::Msg(e))),
        };
        match last {
            None => (list, Err(PErr::Eof)),
            Some('=') => {
                let v = match self.mode {
                    Mode::Json => {
                        if self.empty_val() {
                            Json::Null
                        } else {
                            match self.json_val() {
                                Ok(v) => {
                                    let r = set_index(list.clone(), i, v);
                                    self.empty_val();
                                    return done(r, list);
                                }
                                Err(e) => return (list, Err(e)),
                            }
                        }
                    }
                    Mode::Literal => {
                        let rest: String = self.s[self.pos..].iter().collect();
                        self.pos = self.s.len();
                        Json::String(rest)
                    }
                    Mode::Typed => match self.val_list() {
                        Ok(vl) => Json::Array(vl),
                        Err(PErr::Eof) => Json::String(String::new()),
                        Err(PErr::NotList) => {
                            let rs = self.val();
                            match (self.reader)(&rs) {
                                Ok(v) => v,
                                Err(e) => return (list, Err(PErr::Msg(e))),
                            }
                        }
                        Err(e) => return (list, Err(e)),
                    },
                };
                let r = set_index(list.clone(), i, v);
                done(r, list)
            }
            Some('[') => {
                let next = match self.key_index() {
                    Ok(n) => n,
                    Err(e) => return (list, Err(e)),
                };
                let crt = match list.get(i as usize) {
                    Some(Json::Array(a)) => a.clone(),
                    Some(Json::Null) | None => Vec::new(),
                    Some(v) => {
                        let e = conversion("[]interface {}", v);
                        return (list, Err(e));
                    }
                };
                let (l2, r) = self.list_item(crt, next, level);
                if let Err(e) = r {
                    return (list, Err(e));
                }
                let r = set_index(list.clone(), i, Json::Array(l2));
                done(r, list)
            }
            Some(_) => {
                let mut inner = match list.get(i as usize) {
                    Some(Json::Object(o)) => o.clone(),
                    _ => JsonMap::new(),
                };
                if let Err(e) = self.key(&mut inner, level) {
                    return (list, Err(e));
                }
                let r = set_index(list.clone(), i, Json::Object(inner));
                done(r, list)
            }
        }
    }

    fn empty_val(&mut self) -> bool {
        loop {
            match self.read() {
                None | Some(',') => return true,
                Some(c) if c.is_whitespace() => {}
                Some(_) => {
                    self.pos -= 1;
                    return false;
                }
            }
        }
    }

    fn json_val(&mut self) -> Result<Json, PErr> {
        let rest: String = self.s[self.pos..].iter().collect();
        let mut it = serde_json::Deserializer::from_str(&rest).into_iter::<Json>();
        match it.next() {
            Some(Ok(v)) => {
                let used = it.byte_offset();
                self.pos += rest[..used].chars().count();
                Ok(crate::loader::to_floats(v))
            }
            Some(Err(e)) => Err(PErr::Msg(e.to_string())),
            None => Err(PErr::Eof),
        }
    }

    fn val(&mut self) -> String {
        self.until(&[',']).0
    }

    fn val_list(&mut self) -> Result<Vec<Json>, PErr> {
        let Some(r) = self.read() else {
            return Err(PErr::Eof);
        };
        if r != '{' {
            self.pos -= 1;
            return Err(PErr::NotList);
        }
        let mut list = Vec::new();
        loop {
            let (rs, last) = self.until(&[',', '}']);
            match last {
                None => return Err(PErr::Msg("list must terminate with '}'".into())),
                Some('}') => {
                    if let Some(c) = self.read() {
                        if c != ',' {
                            self.pos -= 1;
                        }
                    }
                    list.push((self.reader)(&rs)?);
                    return Ok(list);
                }
                Some(_) => list.push((self.reader)(&rs)?),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn set(s: &str) -> Result<Json, String> {
        let mut m = Values::new();
        parse_into(s, &mut m, false)?;
        Ok(Json::Object(m))
    }

    #[test]
    fn typed_values_lists_and_indexes() {
        assert_eq!(
            set("name=value,n=5,t=true,z=0,o=07,nu=null").unwrap(),
            json!({"name": "value", "n": 5, "t": true, "z": 0, "o": "07", "nu": null})
        );
        assert_eq!(set("a.b.c=1").unwrap(), json!({"a": {"b": {"c": 1}}}));
        assert_eq!(set("l={a,b,c}").unwrap(), json!({"l": ["a", "b", "c"]}));
        assert_eq!(set("l[1].x=1").unwrap(), json!({"l": [null, {"x": 1}]}));
        assert_eq!(set("l[0][1]=x").unwrap(), json!({"l": [[null, "x"]]}));
        assert_eq!(set("a\\.b=c\\,d").unwrap(), json!({"a.b": "c,d"}));
        assert_eq!(set("a=").unwrap(), json!({"a": ""}));
        assert_eq!(set("a=b,c=d").unwrap(), json!({"a": "b", "c": "d"}));
        assert!(set("a").unwrap_err().contains("has no value"));
        assert!(set("a,").unwrap_err().contains("cannot end with"));
        assert!(set("a[x]=1").unwrap_err().contains("error parsing index"));
        assert!(set("l={a,b").unwrap_err().contains("terminate"));
        assert!(set("a=1,a.b=2")
            .unwrap_err()
            .contains("interface conversion"));
    }

    #[test]
    fn strings_json_files_literals() {
        let mut m = Values::new();
        parse_into("a=1,b=true", &mut m, true).unwrap();
        assert_eq!(Json::Object(m), json!({"a": "1", "b": "true"}));
        let mut m = Values::new();
        parse_json_into(r#"a={"x":[1,2]},b="s""#, &mut m).unwrap();
        assert_eq!(
            Json::Object(m.clone()),
            json!({"a": {"x": [1.0, 2.0]}, "b": "s"})
        );
        assert!(m["a"]["x"][0].is_f64());
        let mut m = Values::new();
        parse_json_into(r#"{"top": {"k": 1}}"#, &mut m).unwrap();
        assert_eq!(Json::Object(m), json!({"top": {"k": 1.0}}));
        let mut m = Values::new();
        parse_file_into("cfg=path/a.txt", &mut m, &mut |p| Ok(format!("<{p}>"))).unwrap();
        assert_eq!(Json::Object(m), json!({"cfg": "<path/a.txt>"}));
        let mut m = Values::new();
        parse_literal_into("a.b=x,y=z", &mut m).unwrap();
        assert_eq!(Json::Object(m), json!({"a": {"b": "x,y=z"}}));
    }
}
