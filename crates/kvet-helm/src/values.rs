//! Values: chart defaults coalesced with user values exactly as Helm's
//! `CoalesceValues`/`MergeValues` do, and user values gathered from `-f` files and
//! `--set*` flags (see [`crate::strvals`]).

use crate::chart::Chart;
use crate::error::HelmError;
use serde_json::{Map as JsonMap, Value as Json};

/// A values tree (Go's `map[string]interface{}`; `null` is Go's nil).
pub type Values = JsonMap<String, Json>;

/// Helm's `CoalesceValues`: `vals` over the chart's defaults, nulls deleting defaults.
pub fn coalesce_values(chart: &Chart, vals: &Values) -> Values {
    coalesce(chart, vals.clone(), false)
}

/// Helm's `MergeValues`: like [`coalesce_values`] but nulls are kept.
pub fn merge_values(chart: &Chart, vals: &Values) -> Values {
    coalesce(chart, vals.clone(), true)
}

fn coalesce(chart: &Chart, mut dest: Values, merge: bool) -> Values {
    coalesce_chart_values(chart, &mut dest, merge);
    coalesce_deps(chart, &mut dest, merge);
    dest
}

fn coalesce_deps(chart: &Chart, dest: &mut Values, merge: bool) {
    for sub in &chart.dependencies {
        let name = sub.name().to_owned();
        match dest.get(&name) {
            None => {
                dest.insert(name.clone(), Json::Object(JsonMap::new()));
            }
            Some(Json::Object(_)) => {}
            // Helm stops with a type mismatch here; it then renders nothing, so keep the value.
            Some(_) => continue,
        }
        let Some(Json::Object(mut sub_vals)) = dest.remove(&name) else {
            continue;
        };
        coalesce_globals(&mut sub_vals, dest);
        let sub_vals = coalesce(sub, sub_vals, merge);
        dest.insert(name, Json::Object(sub_vals));
    }
}

/// Copies the parent's `global` into the subchart's: parent entries win, maps merge.
fn coalesce_globals(dest: &mut Values, src: &Values) {
    let mut dg = match dest.get("global") {
        None => JsonMap::new(),
        Some(Json::Object(o)) => o.clone(),
        Some(_) => return,
    };
    let sg = match src.get("global") {
        None => JsonMap::new(),
        Some(Json::Object(o)) => o.clone(),
        Some(_) => return,
    };
    for (key, val) in sg {
        if let Json::Object(vv) = &val {
            let mut vv = vv.clone();
            match dg.get(&key) {
                None => {
                    dg.insert(key, Json::Object(vv));
                }
                Some(Json::Object(destv)) => {
                    let mut destv = destv.clone();
                    coalesce_tables(&mut vv, &mut destv, true);
                    dg.insert(key, Json::Object(vv));
                }
                Some(_) => {}
            }
        } else if matches!(dg.get(&key), Some(Json::Object(_))) {
            // A table is not replaced by a scalar.
        } else {
            dg.insert(key, val);
        }
    }
    dest.insert("global".into(), Json::Object(dg));
}

fn coalesce_chart_values(chart: &Chart, v: &mut Values, merge: bool) {
    for (key, val) in &chart.values {
        match v.get_mut(key) {
            Some(Json::Null) if !merge => {
                v.remove(key);
            }
            Some(Json::Object(dest)) => {
                if let Json::Object(src) = val {
                    let merge = merge || chart.dependencies.iter().any(|d| d.name() == key);
                    let mut src = src.clone();
                    coalesce_tables(dest, &mut src, merge);
                }
            }
            Some(_) => {}
            None => {
                v.insert(key.clone(), val.clone());
            }
        }
    }
}

/// Helm's `coalesceTablesFullKey`: fills `dst` from `src` (dst wins); without `merge`, a
/// null in `dst` deletes the key when `src` has a non-null value for it.
pub(crate) fn coalesce_tables(dst: &mut Values, src: &mut Values, merge: bool) {
    let src_non_nil: Vec<String> = src
        .iter()
        .filter(|(_, v)| !v.is_null())
        .map(|(k, _)| k.clone())
        .collect();
    for (k, v) in dst.iter() {
        if v.is_null() {
            src.insert(k.clone(), Json::Null);
        }
    }
    for (key, val) in src.iter_mut() {
        match dst.get_mut(key) {
            Some(Json::Null) if !merge && src_non_nil.contains(key) => {
                dst.remove(key);
            }
            None => {
                dst.insert(key.clone(), val.clone());
            }
            Some(dv) => {
                if let Json::Object(sv) = val {
                    if let Json::Object(dvm) = dv {
                        coalesce_tables(dvm, sv, merge);
                    }
                }
            }
        }
    }
}

/// Helm's `CoalesceTables(dst, src)` on owned values: dst wins, nulls in dst delete.
pub fn coalesce_tables_owned(mut dst: Values, mut src: Values) -> Values {
    coalesce_tables(&mut dst, &mut src, false);
    dst
}

/// Helm's `MergeTables(dst, src)`: dst wins, nulls kept.
pub fn merge_tables(mut dst: Values, mut src: Values) -> Values {
    coalesce_tables(&mut dst, &mut src, true);
    dst
}

/// Helm's `Values.Table`: the map at a dotted path.
pub fn table<'a>(vals: &'a Values, path: &str) -> Option<&'a Values> {
    let mut cur = vals;
    for part in path.split('.') {
        match cur.get(part) {
            Some(Json::Object(o)) => cur = o,
            _ => return None,
        }
    }
    Some(cur)
}

/// Helm's `Values.PathValue`: the non-table value at a dotted path.
pub fn path_value<'a>(vals: &'a Values, path: &str) -> Option<&'a Json> {
    if path.is_empty() {
        return None;
    }
    let (parent, key) = match path.rsplit_once('.') {
        Some((p, k)) => (table(vals, p)?, k),
        None => (vals, path),
    };
    match parent.get(key) {
        Some(Json::Object(_)) | None => None,
        Some(v) => Some(v),
    }
}

/// Helm's `mergeMaps` for `-f` files: maps merge recursively, everything else replaces.
pub fn merge_maps(mut a: Values, b: Values) -> Values {
    for (k, v) in b {
        if let Json::Object(bm) = v {
            if let Some(Json::Object(am)) = a.remove(&k) {
                a.insert(k, Json::Object(merge_maps(am, bm)));
                continue;
            }
            a.insert(k, Json::Object(bm));
        } else {
            a.insert(k, v);
        }
    }
    a
}

/// User-supplied values, as `helm template` takes them, merged in Helm's order:
/// `-f` files, then `--set-json`, `--set`, `--set-string`, `--set-file`, `--set-literal`.
#[derive(Debug, Clone, Default)]
pub struct ValueOptions {
    /// `-f/--values`: (name for errors, YAML text), in order.
    pub value_files: Vec<(String, String)>,
    /// `--set-json`.
    pub json_values: Vec<String>,
    /// `--set`.
    pub values: Vec<String>,
    /// `--set-string`.
    pub string_values: Vec<String>,
    /// `--set-file`: the right-hand sides are file names, read through `read_file`.
    pub file_values: Vec<String>,
    /// `--set-literal`.
    pub literal_values: Vec<String>,
}

impl ValueOptions {
    /// Merges everything into one values tree; `read_file` reads `--set-file` files (the
    /// library reads nothing itself).
    pub fn merge(
        &self,
        read_file: &mut dyn FnMut(&str) -> Result<String, String>,
    ) -> Result<Values, HelmError> {
        let mut base = Values::new();
        for (name, text) in &self.value_files {
            let json = crate::loader::parse_yaml(text.as_bytes(), name, true)?;
            let map = match json {
                Json::Null => Values::new(),
                Json::Object(o) => o,
                _ => {
                    return Err(HelmError::Values {
                        source_name: name.clone(),
                        message: "failed to parse: the top level is not a map".into(),
                    })
                }
            };
            base = merge_maps(base, map);
        }
        let fail = |src: &str, e: String| HelmError::Values {
            source_name: src.to_owned(),
            message: e,
        };
        for v in &self.json_values {
            crate::strvals::parse_json_into(v, &mut base)
                .map_err(|_| fail("--set-json", format!("failed parsing --set-json data {v}")))?;
        }
        for v in &self.values {
            crate::strvals::parse_into(v, &mut base, false).map_err(|e| fail("--set", e))?;
        }
        for v in &self.string_values {
            crate::strvals::parse_into(v, &mut base, true).map_err(|e| fail("--set-string", e))?;
        }
        for v in &self.file_values {
            crate::strvals::parse_file_into(v, &mut base, read_file)
                .map_err(|e| fail("--set-file", e))?;
        }
        for v in &self.literal_values {
            crate::strvals::parse_literal_into(v, &mut base)
                .map_err(|e| fail("--set-literal", e))?;
        }
        Ok(base)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn chart(values: Json, deps: Vec<Chart>, name: &str) -> Chart {
        Chart {
            metadata: crate::Metadata {
                name: name.into(),
                version: "0.1.0".into(),
                api_version: "v2".into(),
                ..Default::default()
            },
            values: values.as_object().unwrap().clone(),
            schema: None,
            templates: vec![],
            files: vec![],
            dependencies: deps,
            origin: name.into(),
        }
    }

    fn obj(v: Json) -> Values {
        v.as_object().unwrap().clone()
    }

    #[test]
    fn null_deletes_maps_merge_and_globals_flow_down() {
        let sub = chart(
            json!({"port": 80, "global": {"env": "sub", "only": 1}}),
            vec![],
            "sub",
        );
        let top = chart(
            json!({"a": {"b": 1, "c": 2}, "d": 3, "global": {"env": "top"}, "sub": {"port": 81}}),
            vec![sub],
            "top",
        );
        let user = obj(json!({"a": {"c": null, "e": 5}, "d": null, "x": null}));
        let out = coalesce_values(&top, &user);
        assert_eq!(out["a"], json!({"b": 1, "e": 5}));
        assert!(!out.contains_key("d"));
        assert_eq!(out["x"], Json::Null);
        assert_eq!(out["sub"]["port"], json!(81));
        assert_eq!(out["sub"]["global"], json!({"env": "top", "only": 1}));
        let merged = merge_values(&top, &user);
        assert_eq!(merged["d"], Json::Null);
    }

    #[test]
    fn paths_and_tables() {
        let v = obj(json!({"a": {"b": {"c": true}}, "t": {"x": 1}}));
        assert_eq!(path_value(&v, "a.b.c"), Some(&json!(true)));
        assert_eq!(path_value(&v, "a.b"), None);
        assert_eq!(path_value(&v, "a.z.c"), None);
        assert!(table(&v, "t").is_some());
    }

    #[test]
    fn value_options_merge_in_helm_order() {
        let opts = ValueOptions {
            value_files: vec![
                ("a.yaml".into(), "x: {p: 1, z: 2}\nn: 3\n".into()),
                ("b.yaml".into(), "x: {p: 5}\n".into()),
            ],
            values: vec!["n=4,list={a,b}".into()],
            string_values: vec!["s=true".into()],
            ..Default::default()
        };
        let v = opts.merge(&mut |_| Err("no".into())).unwrap();
        assert_eq!(v["x"], json!({"p": 5.0, "z": 2.0}));
        assert_eq!(v["n"], json!(4));
        assert!(v["n"].is_i64());
        assert_eq!(v["list"], json!(["a", "b"]));
        assert_eq!(v["s"], json!("true"));
    }
}
