//! `vars` (deprecated in kustomize 5, still built): `$(NAME)` in a fixed set of fields is
//! replaced by a field of a named object, after every name has its final prefix, suffix and
//! hash.
//!
//! Each kustomization level attaches its vars to the object they name among the objects it has
//! accumulated so far (matching any name the object has had); at the top, each var's value is
//! read from that object and substituted.

use crate::replace::{self, Step};
use crate::{Error, Resource, SourceDoc};
use serde_json::Value;
use std::collections::BTreeMap;
use std::sync::Arc;

/// One `vars` entry of a kustomization.
#[derive(Debug, Clone)]
pub(crate) struct Var {
    pub name: String,
    group: String,
    version: String,
    kind: String,
    object: String,
    namespace: String,
    field_path: String,
    /// Where it was declared.
    doc: Arc<SourceDoc>,
    ptr: String,
}

/// Where `$(NAME)` is looked for: (kind, or any kind when empty; path through the object).
const FIELDS: &[(&str, &str)] = &[
    (
        "CronJob",
        "spec/jobTemplate/spec/template/spec/containers/args",
    ),
    (
        "CronJob",
        "spec/jobTemplate/spec/template/spec/containers/command",
    ),
    (
        "CronJob",
        "spec/jobTemplate/spec/template/spec/containers/env/value",
    ),
    (
        "CronJob",
        "spec/jobTemplate/spec/template/spec/containers/volumeMounts/mountPath",
    ),
    (
        "CronJob",
        "spec/jobTemplate/spec/template/spec/initContainers/args",
    ),
    (
        "CronJob",
        "spec/jobTemplate/spec/template/spec/initContainers/command",
    ),
    (
        "CronJob",
        "spec/jobTemplate/spec/template/spec/initContainers/env/value",
    ),
    (
        "CronJob",
        "spec/jobTemplate/spec/template/spec/initContainers/volumeMounts/mountPath",
    ),
    (
        "CronJob",
        "spec/jobTemplate/spec/template/spec/volumes/nfs/server",
    ),
    ("DaemonSet", "*"),
    ("DaemonSet", "spec/template/spec/volumes/nfs/server"),
    ("Deployment", "*"),
    ("Deployment", "spec/template/spec/volumes/nfs/server"),
    ("Ingress", "spec/rules/host"),
    ("Ingress", "spec/tls/hosts"),
    ("Ingress", "spec/tls/secretName"),
    ("Job", "*"),
    ("Job", "spec/template/spec/volumes/nfs/server"),
    ("Pod", "spec/containers/args"),
    ("Pod", "spec/containers/command"),
    ("Pod", "spec/containers/env/value"),
    ("Pod", "spec/containers/volumeMounts/mountPath"),
    ("Pod", "spec/initContainers/args"),
    ("Pod", "spec/initContainers/command"),
    ("Pod", "spec/initContainers/env/value"),
    ("Pod", "spec/initContainers/volumeMounts/mountPath"),
    ("Pod", "spec/volumes/nfs/server"),
    ("ReplicaSet", "*"),
    ("ReplicaSet", "spec/template/spec/volumes/nfs/server"),
    ("Service", "spec/ports/port"),
    ("Service", "spec/ports/targetPort"),
    ("StatefulSet", "*"),
    ("StatefulSet", "spec/volumeClaimTemplates/spec/nfs/server"),
    ("PersistentVolume", "spec/nfs/server"),
    ("", "metadata/labels"),
    ("", "metadata/annotations"),
];

/// The container fields of a workload's pod template (the `*` rows above).
const POD_TEMPLATE_FIELDS: &[&str] = &[
    "spec/template/spec/containers/args",
    "spec/template/spec/containers/command",
    "spec/template/spec/containers/env/value",
    "spec/template/spec/containers/volumeMounts/mountPath",
    "spec/template/spec/initContainers/args",
    "spec/template/spec/initContainers/command",
    "spec/template/spec/initContainers/env/value",
    "spec/template/spec/initContainers/volumeMounts/mountPath",
];

fn err_at(doc: &SourceDoc, ptr: &str, message: String) -> Error {
    let (span, _) = doc.locate(ptr);
    Error {
        file: doc.path.clone(),
        line: span.start.line,
        column: span.start.column,
        message,
    }
}

impl Var {
    fn describe(&self) -> String {
        let api = if self.group.is_empty() {
            self.version.clone()
        } else {
            format!("{}/{}", self.group, self.version)
        };
        let ns = if self.namespace.is_empty() {
            String::new()
        } else {
            format!(" in namespace {:?}", self.namespace)
        };
        format!(
            "{} ({} {} {:?}{ns}, fieldPath {})",
            self.name, api, self.kind, self.object, self.field_path
        )
    }

    fn err(&self, message: String) -> Error {
        err_at(&self.doc, &self.ptr, message)
    }
}

/// `m` with its keys spelled as `known` spells them: Go's JSON decoding, which kustomize uses,
/// matches field names case-insensitively. Unknown keys are errors, as in kustomize.
fn fold_keys(
    doc: &SourceDoc,
    ptr: &str,
    m: &serde_json::Map<String, Value>,
    known: &[&str],
) -> Result<serde_json::Map<String, Value>, Error> {
    let mut out = serde_json::Map::new();
    for (key, v) in m {
        let Some(k) = known.iter().find(|k| k.eq_ignore_ascii_case(key)) else {
            return Err(err_at(
                doc,
                &format!("{ptr}/{}", kvet_yaml::escape_token(key)),
                format!("invalid Kustomization: json: unknown field \"{key}\""),
            ));
        };
        out.insert((*k).to_owned(), v.clone());
    }
    Ok(out)
}

/// Reads the `vars` of a kustomization, checking their shape.
pub(crate) fn parse(doc: &Arc<SourceDoc>) -> Result<Vec<Var>, Error> {
    let mut out = Vec::new();
    let items = match doc.value.get("vars") {
        None | Some(Value::Null) => return Ok(out),
        Some(Value::Array(items)) => items,
        Some(_) => return Err(err_at(doc, "/vars", "vars must be a list".into())),
    };
    for (i, item) in items.iter().enumerate() {
        let ptr = format!("/vars/{i}");
        let Some(m) = item.as_object() else {
            return Err(err_at(doc, &ptr, "a var must be a mapping".into()));
        };
        let m = fold_keys(doc, &ptr, m, &["name", "objref", "fieldref"])?;
        let text = |v: Option<&Value>, at: &str| -> Result<String, Error> {
            match v {
                None | Some(Value::Null) => Ok(String::new()),
                Some(Value::String(s)) => Ok(s.clone()),
                Some(_) => Err(err_at(doc, at, "must be a string".into())),
            }
        };
        let name = text(m.get("name"), &format!("{ptr}/name"))?;
        if name.is_empty() {
            return Err(err_at(doc, &ptr, "a var needs a name".into()));
        }
        let objref = match m.get("objref") {
            Some(Value::Object(o)) => fold_keys(
                doc,
                &format!("{ptr}/objref"),
                o,
                &[
                    "apiVersion",
                    "group",
                    "version",
                    "kind",
                    "name",
                    "namespace",
                ],
            )?,
            None | Some(Value::Null) => serde_json::Map::new(),
            Some(_) => {
                return Err(err_at(
                    doc,
                    &format!("{ptr}/objref"),
                    "objref must be a mapping".into(),
                ))
            }
        };
        let o = |key: &str| text(objref.get(key), &format!("{ptr}/objref/{key}"));
        let (mut group, mut version) = (o("group")?, o("version")?);
        let api = o("apiVersion")?;
        if !api.is_empty() {
            match api.split('/').collect::<Vec<_>>()[..] {
                [g, v] => (group, version) = (g.to_owned(), v.to_owned()),
                [v] => version = v.to_owned(),
                _ => {}
            }
        }
        let field_path = match m.get("fieldref") {
            None | Some(Value::Null) => String::new(),
            Some(Value::Object(f)) => {
                let f = fold_keys(doc, &format!("{ptr}/fieldref"), f, &["fieldPath"])?;
                text(f.get("fieldPath"), &format!("{ptr}/fieldref/fieldPath"))?
            }
            Some(_) => {
                return Err(err_at(
                    doc,
                    &format!("{ptr}/fieldref"),
                    "fieldref must be a mapping".into(),
                ))
            }
        };
        out.push(Var {
            name,
            group,
            version,
            kind: o("kind")?,
            object: o("name")?,
            namespace: o("namespace")?,
            field_path: if field_path.is_empty() {
                "metadata.name".into()
            } else {
                field_path
            },
            doc: doc.clone(),
            ptr,
        });
    }
    Ok(out)
}

/// Whether the object has (or had) the identity the var names.
fn names(v: &Var, r: &Resource) -> bool {
    let (group, version) = match r.api_version().split_once('/') {
        Some((g, v)) => (g, v),
        None => ("", r.api_version()),
    };
    if group != v.group || version != v.version || r.kind() != v.kind {
        return false;
    }
    // A namespace in the var, or a cluster-scoped kind, makes the namespace part of the match
    // (an unset namespace and `default` are the same); otherwise any namespace matches.
    let scoped = crate::fields::cluster_scoped(&v.kind);
    let effective = |ns: &str| -> String {
        if scoped {
            String::new()
        } else if ns.is_empty() {
            "default".to_owned()
        } else {
            ns.to_owned()
        }
    };
    let with_ns = !v.namespace.is_empty() || scoped;
    let ids = std::iter::once((r.name(), r.namespace()))
        .chain(r.history.iter().map(|(n, ns)| (n.as_str(), ns.as_str())));
    for (name, ns) in ids {
        if name == v.object && (!with_ns || effective(ns) == effective(&v.namespace)) {
            return true;
        }
    }
    false
}

/// After a kustomization's transformers: attaches its vars to the objects they name and adds
/// them to the build's set (a name may be declared once in the whole build).
pub(crate) fn merge(
    declared: Vec<Var>,
    res: &mut [Resource],
    set: &mut BTreeMap<String, Var>,
) -> Result<(), Error> {
    for v in declared {
        let matched: Vec<usize> = (0..res.len()).filter(|&i| names(&v, &res[i])).collect();
        if matched.len() > 1 {
            return Err(v.err(format!(
                "found {} resId matches for var {} (unable to disambiguate)",
                matched.len(),
                v.describe()
            )));
        }
        if set.contains_key(&v.name) {
            return Err(v.err(format!("var '{}' already encountered", v.name)));
        }
        if let Some(&i) = matched.first() {
            res[i].vars.push(v.name.clone());
        }
        set.insert(v.name.clone(), v);
    }
    Ok(())
}

/// A var's value: a string, number or boolean replaces `$(NAME)`; a mapping or list does not.
enum Val {
    Primitive(Value),
    Composite,
}

/// `ports[0]` is read as `ports.0`, as kustomize reads var field paths.
fn field_steps(path: &str) -> Result<Vec<Step>, String> {
    let parts = replace::split_path(path);
    let mut out = Vec::new();
    for p in parts {
        if let Some((head, idx)) =
            p.strip_suffix(']')
                .and_then(|s| s.rsplit_once('['))
                .filter(|(h, i)| {
                    !h.is_empty() && !i.is_empty() && i.bytes().all(|b| b.is_ascii_digit())
                })
        {
            out.push(head.to_owned());
            out.push(idx.to_owned());
        } else {
            out.push(p);
        }
    }
    replace::parse_path(&out.join("."))
}

/// Resolves every var and substitutes `$(NAME)` in the var-reference fields of every object.
/// Returns the names no field used.
pub(crate) fn resolve(
    set: &BTreeMap<String, Var>,
    res: &mut [Resource],
    custom: &[crate::config::FieldSpec],
) -> Result<Vec<(String, Error)>, Error> {
    if set.is_empty() {
        return Ok(Vec::new());
    }
    let mut values: BTreeMap<&str, Val> = BTreeMap::new();
    for (name, v) in set {
        let Some(r) = res.iter().find(|r| r.vars.iter().any(|n| n == name)) else {
            return Err(v.err(format!(
                "var '{}' cannot be mapped to a field in the set of known resources",
                v.describe()
            )));
        };
        let steps = field_steps(&v.field_path).map_err(|m| v.err(m))?;
        let val = match replace::get(&r.value, &steps) {
            None | Some(Value::Null) => {
                return Err(v.err(format!(
                    "field specified in var '{}' not found in corresponding resource",
                    v.describe()
                )))
            }
            Some(x @ (Value::String(_) | Value::Number(_) | Value::Bool(_))) => {
                Val::Primitive(x.clone())
            }
            Some(_) => Val::Composite,
        };
        values.insert(name.as_str(), val);
    }
    let mut used: BTreeMap<&str, usize> = BTreeMap::new();
    for r in res.iter_mut() {
        let kind = r.kind().to_owned();
        let mut paths: Vec<String> = Vec::new();
        for (k, path) in FIELDS {
            if !k.is_empty() && *k != kind {
                continue;
            }
            if *path == "*" {
                paths.extend(POD_TEMPLATE_FIELDS.iter().map(|p| (*p).to_owned()));
            } else {
                paths.push((*path).to_owned());
            }
        }
        // A configuration's varReference field specs add to the built-in ones.
        for c in custom {
            let p = c.segments().join("/");
            if c.selects(r) && !paths.contains(&p) {
                paths.push(p);
            }
        }
        for p in &paths {
            let segs: Vec<&str> = p.split('/').collect();
            walk(&mut r.value, &segs, &values, &mut used).map_err(|m| Error {
                file: r
                    .source
                    .as_ref()
                    .map(|d| d.path.clone())
                    .unwrap_or_default(),
                line: 0,
                column: 0,
                message: format!("{}/{}: {m}", r.kind(), r.name()),
            })?;
        }
    }
    Ok(set
        .iter()
        .filter(|(n, _)| !used.contains_key(n.as_str()))
        .map(|(n, v)| {
            (
                n.clone(),
                v.err(format!("well-defined vars that were never replaced: {n}")),
            )
        })
        .collect())
}

/// Follows `segs` through `v` (into every element of a list on the way) and substitutes at
/// the end.
fn walk<'a>(
    v: &mut Value,
    segs: &[&str],
    values: &BTreeMap<&'a str, Val>,
    used: &mut BTreeMap<&'a str, usize>,
) -> Result<(), String> {
    if let Value::Array(items) = v {
        if !segs.is_empty() {
            for item in items {
                walk(item, segs, values, used)?;
            }
            return Ok(());
        }
    }
    let Some((first, rest)) = segs.split_first() else {
        return substitute_node(v, values, used);
    };
    match v {
        Value::Object(m) => match m.get_mut(*first) {
            Some(child) => walk(child, rest, values, used),
            None => Ok(()),
        },
        _ => Ok(()),
    }
}

fn substitute_node<'a>(
    v: &mut Value,
    values: &BTreeMap<&'a str, Val>,
    used: &mut BTreeMap<&'a str, usize>,
) -> Result<(), String> {
    match v {
        Value::String(s) => {
            *v = expand(s, values, used);
            Ok(())
        }
        Value::Object(m) => {
            for (_, x) in m.iter_mut() {
                if let Value::String(s) = x {
                    *x = expand(s, values, used);
                }
            }
            Ok(())
        }
        Value::Array(items) => {
            for x in items.iter_mut() {
                match x {
                    Value::String(s) => *x = expand(s, values, used),
                    _ => return Err("invalid value type expect a string".into()),
                }
            }
            Ok(())
        }
        _ => Ok(()),
    }
}

/// Expands `$(NAME)` in `s`: a whole-string reference keeps the value's type; `$$` is a
/// literal `$`; unknown names and composite values stay as written.
fn expand<'a>(
    s: &str,
    values: &BTreeMap<&'a str, Val>,
    used: &mut BTreeMap<&'a str, usize>,
) -> Value {
    let mut lookup = |name: &str| -> Option<Value> {
        let (key, val) = values.get_key_value(name)?;
        match val {
            Val::Primitive(x) => {
                *used.entry(key).or_default() += 1;
                Some(x.clone())
            }
            Val::Composite => None,
        }
    };
    if let Some(name) = s.strip_prefix("$(").and_then(|r| r.strip_suffix(')')) {
        if !name.contains(')') {
            return lookup(name).unwrap_or_else(|| Value::String(s.to_owned()));
        }
    }
    let b = s.as_bytes();
    let mut out = String::with_capacity(s.len());
    let mut checkpoint = 0;
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'$' && i + 1 < b.len() {
            out.push_str(&s[checkpoint..i]);
            let next = b[i + 1];
            let advance = if next == b'$' {
                out.push('$');
                1
            } else if next == b'(' {
                match s[i + 2..].find(')') {
                    Some(end) => {
                        let name = &s[i + 2..i + 2 + end];
                        match lookup(name) {
                            Some(x) => out.push_str(&go_format(&x)),
                            None => {
                                out.push_str("$(");
                                out.push_str(name);
                                out.push(')');
                            }
                        }
                        end + 2
                    }
                    None => {
                        out.push_str("$(");
                        1
                    }
                }
            } else {
                // `$` and the next character, as written.
                let ch = s[i + 1..].chars().next().map_or(1, char::len_utf8);
                out.push_str(&s[i..i + 1 + ch]);
                ch
            };
            i += advance + 1;
            checkpoint = i;
        } else {
            i += 1;
        }
    }
    if checkpoint < s.len() {
        out.push_str(&s[checkpoint..]);
    }
    Value::String(out)
}

/// A value as Go's `%v` prints it.
fn go_format(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                i.to_string()
            } else if let Some(u) = n.as_u64() {
                u.to_string()
            } else {
                go_float_g(n.as_f64().unwrap_or(0.0))
            }
        }
        _ => String::new(),
    }
}

/// `strconv.FormatFloat(f, 'g', -1, 64)`: the shortest digits, in exponent form when the
/// decimal exponent is below -4 or at least 6.
fn go_float_g(f: f64) -> String {
    if f.is_nan() {
        return "NaN".into();
    }
    if f.is_infinite() {
        return if f > 0.0 { "+Inf" } else { "-Inf" }.into();
    }
    if f == 0.0 {
        return if f.is_sign_negative() { "-0" } else { "0" }.into();
    }
    // Rust's `{:e}` gives the shortest round-tripping digits: `d.ddde±x`.
    let e = format!("{f:e}");
    let (mant, exp) = e.split_once('e').unwrap_or((&e, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let neg = mant.starts_with('-');
    let digits: String = mant.chars().filter(char::is_ascii_digit).collect();
    let sign = if neg { "-" } else { "" };
    if !(-4..6).contains(&exp) {
        let (first, rest) = digits.split_at(1);
        let frac = if rest.is_empty() {
            String::new()
        } else {
            format!(".{rest}")
        };
        let es = if exp < 0 { '-' } else { '+' };
        return format!("{sign}{first}{frac}e{es}{:02}", exp.abs());
    }
    // Plain decimal with exactly the shortest digits.
    let point = exp + 1; // digits before the decimal point
    let s = if point <= 0 {
        format!("0.{}{digits}", "0".repeat((-point) as usize))
    } else if point as usize >= digits.len() {
        format!("{digits}{}", "0".repeat(point as usize - digits.len()))
    } else {
        let (a, b) = digits.split_at(point as usize);
        format!("{a}.{b}")
    };
    format!("{sign}{s}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vals(pairs: &[(&'static str, Value)]) -> BTreeMap<&'static str, Val> {
        pairs
            .iter()
            .map(|(k, v)| (*k, Val::Primitive(v.clone())))
            .collect()
    }

    #[test]
    fn expansion_follows_kustomize() {
        let v = vals(&[("A", "x".into()), ("N", 8080.into()), ("B", true.into())]);
        let mut used = BTreeMap::new();
        let e = |s: &str, used: &mut BTreeMap<&'static str, usize>| expand(s, &v, used);
        assert_eq!(e("$(A)", &mut used), Value::from("x"));
        assert_eq!(e("$(N)", &mut used), Value::from(8080));
        assert_eq!(e("$(B)", &mut used), Value::from(true));
        assert_eq!(
            e("http://$(A):$(N)/", &mut used),
            Value::from("http://x:8080/")
        );
        assert_eq!(e("$$(A)", &mut used), Value::from("$(A)"));
        assert_eq!(e("$(Z) $(A", &mut used), Value::from("$(Z) $(A"));
        assert_eq!(e("a$", &mut used), Value::from("a$"));
        assert_eq!(e("$x$é", &mut used), Value::from("$x$é"));
        assert_eq!(used.get("A"), Some(&2));
    }

    #[test]
    fn floats_print_as_go_does() {
        assert_eq!(go_float_g(1.5), "1.5");
        assert_eq!(go_float_g(1e6), "1e+06");
        assert_eq!(go_float_g(123456.0), "123456");
        assert_eq!(go_float_g(0.0001), "0.0001");
        assert_eq!(go_float_g(0.00001), "1e-05");
        assert_eq!(go_float_g(-2.25), "-2.25");
    }

    #[test]
    fn field_paths_accept_bracket_indexes() {
        assert_eq!(
            field_steps("spec.ports[0].port").unwrap(),
            vec![
                Step::Key("spec".into()),
                Step::Key("ports".into()),
                Step::Index(0),
                Step::Key("port".into())
            ]
        );
    }
}
