//! Strategic merge patches (merge keys for the built-in kinds, `$patch`, `$setElementOrder`,
//! `$retainKeys`, `$deleteFromPrimitiveList`) and RFC 6902 JSON patches.

use serde_json::{Map, Value};

/// How a list field merges.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ListMerge {
    /// Elements matched by this key are merged; others appended.
    Key(&'static str),
    /// Scalars: the union, in order.
    Primitive,
    /// The patch's list replaces the original.
    Replace,
}

const POD_CONTAINERS: &[&str] = &["containers", "initContainers", "ephemeralContainers"];

/// Whether a group belongs to Kubernetes itself (its kinds have patch strategies).
fn builtin_group(api_version: &str) -> bool {
    match api_version.split_once('/') {
        None => true,
        Some((group, _)) => !group.contains('.') || group.ends_with(".k8s.io"),
    }
}

/// The merge strategy of the list at `path` (field names only) of an object of `kind`.
fn list_merge(api_version: &str, kind: &str, path: &[String]) -> ListMerge {
    let Some(last) = path.last().map(String::as_str) else {
        return ListMerge::Replace;
    };
    let prev = path.len().checked_sub(2).map(|i| path[i].as_str());
    match (prev, last) {
        (Some("metadata"), "finalizers") => return ListMerge::Primitive,
        (Some("metadata"), "ownerReferences") => return ListMerge::Key("uid"),
        _ => {}
    }
    if !builtin_group(api_version) {
        return ListMerge::Replace;
    }
    match last {
        "containers" | "initContainers" | "ephemeralContainers" => ListMerge::Key("name"),
        "volumes" | "env" | "imagePullSecrets" | "resourceClaims" | "schedulingGates" => {
            ListMerge::Key("name")
        }
        "volumeMounts" => ListMerge::Key("mountPath"),
        "volumeDevices" => ListMerge::Key("devicePath"),
        "hostAliases" => ListMerge::Key("ip"),
        "topologySpreadConstraints" => ListMerge::Key("topologyKey"),
        "conditions" => ListMerge::Key("type"),
        "ports" if prev.is_some_and(|p| POD_CONTAINERS.contains(&p)) => {
            ListMerge::Key("containerPort")
        }
        "ports" if kind == "Service" && path.len() == 2 => ListMerge::Key("port"),
        _ => ListMerge::Replace,
    }
}

/// A patch that could not be applied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PatchError(pub String);

/// Records which result fields a patch set: (pointer in the result, pointer in the patch).
pub type Trace = Vec<(String, String)>;

/// Applies a strategic merge patch to `target`; returns false when the patch deletes it.
pub fn strategic_merge(
    target: &mut Value,
    patch: &Value,
    trace: &mut Trace,
) -> Result<bool, PatchError> {
    let api = target
        .get("apiVersion")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_owned();
    let kind = target
        .get("kind")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_owned();
    let (Value::Object(t), Value::Object(p)) = (&mut *target, patch) else {
        return Err(PatchError(
            "a strategic merge patch must be a mapping".into(),
        ));
    };
    let ctx = Ctx {
        api: &api,
        kind: &kind,
    };
    let mut path = Vec::new();
    Ok(merge_map(&ctx, t, p, &mut path, "", "", trace) != Outcome::Delete)
}

struct Ctx<'a> {
    api: &'a str,
    kind: &'a str,
}

#[derive(PartialEq, Eq)]
enum Outcome {
    Keep,
    Delete,
}

fn esc(k: &str) -> String {
    kvet_yaml::escape_token(k).into_owned()
}

fn merge_map(
    ctx: &Ctx,
    orig: &mut Map<String, Value>,
    patch: &Map<String, Value>,
    path: &mut Vec<String>,
    rptr: &str,
    pptr: &str,
    trace: &mut Trace,
) -> Outcome {
    match patch.get("$patch").and_then(Value::as_str) {
        Some("delete") => return Outcome::Delete,
        Some("replace") => {
            let mut clean = patch.clone();
            clean.remove("$patch");
            *orig = match strip(&Value::Object(clean)) {
                Value::Object(m) => m,
                _ => Map::new(),
            };
            trace.push((rptr.to_owned(), pptr.to_owned()));
            return Outcome::Keep;
        }
        _ => {}
    }
    for (k, v) in patch {
        if k == "$patch" {
            continue;
        }
        let rp = format!("{rptr}/{}", esc(k));
        let pp = format!("{pptr}/{}", esc(k));
        path.push(k.clone());
        match v {
            Value::Null => {
                orig.remove(k);
            }
            Value::Object(pm) => match orig.get_mut(k) {
                Some(Value::Object(om)) => {
                    if merge_map(ctx, om, pm, path, &rp, &pp, trace) == Outcome::Delete {
                        orig.remove(k);
                    }
                }
                _ => {
                    if pm.get("$patch").and_then(Value::as_str) == Some("delete") {
                        orig.remove(k);
                    } else {
                        orig.insert(k.clone(), strip(v));
                        trace.push((rp, pp));
                    }
                }
            },
            Value::Array(pa) => {
                let strategy = list_merge(ctx.api, ctx.kind, path);
                let merged = match orig.get_mut(k) {
                    Some(Value::Array(oa)) => {
                        merge_list(ctx, oa, pa, strategy, path, &rp, &pp, trace);
                        None
                    }
                    _ => Some(strip_list(pa)),
                };
                if let Some(m) = merged {
                    orig.insert(k.clone(), Value::Array(m));
                    trace.push((rp, pp));
                }
            }
            scalar => {
                // A patch that restates a value (its own metadata.name) did not set it.
                if orig.get(k) != Some(scalar) {
                    orig.insert(k.clone(), scalar.clone());
                    trace.push((rp, pp));
                }
            }
        }
        path.pop();
    }
    Outcome::Keep
}

#[allow(clippy::too_many_arguments)]
fn merge_list(
    ctx: &Ctx,
    orig: &mut Vec<Value>,
    patch: &[Value],
    strategy: ListMerge,
    path: &mut Vec<String>,
    rptr: &str,
    pptr: &str,
    trace: &mut Trace,
) {
    let replace = patch.iter().any(|i| {
        i.get("$patch").and_then(Value::as_str) == Some("replace")
            && i.as_object().is_some_and(|m| m.len() == 1)
    });
    if replace || strategy == ListMerge::Replace {
        *orig = strip_list(
            &patch
                .iter()
                .filter(|i| {
                    !(i.get("$patch").is_some() && i.as_object().is_some_and(|m| m.len() == 1))
                })
                .cloned()
                .collect::<Vec<_>>(),
        );
        trace.push((rptr.to_owned(), pptr.to_owned()));
        return;
    }
    match strategy {
        ListMerge::Primitive => {
            for (i, item) in patch.iter().enumerate() {
                if !orig.contains(item) {
                    orig.push(item.clone());
                    trace.push((format!("{rptr}/{}", orig.len() - 1), format!("{pptr}/{i}")));
                }
            }
        }
        ListMerge::Key(key) => {
            // kustomize's merge lists the patch's elements first, in patch order (merged
            // with their originals), then the original elements the patch did not name.
            let mut rest: Vec<Option<Value>> = std::mem::take(orig).into_iter().map(Some).collect();
            let mut out: Vec<Value> = Vec::new();
            let mut merged_from: Vec<(usize, String)> = Vec::new();
            for (i, item) in patch.iter().enumerate() {
                let pp = format!("{pptr}/{i}");
                let Some(pm) = item.as_object() else {
                    out.push(item.clone());
                    continue;
                };
                let kv = pm.get(key);
                let pos = kv.and_then(|kv| {
                    rest.iter()
                        .position(|o| o.as_ref().is_some_and(|o| o.get(key) == Some(kv)))
                });
                if pm.get("$patch").and_then(Value::as_str) == Some("delete") {
                    if let Some(at) = pos {
                        rest[at] = None;
                    }
                    continue;
                }
                match pos.and_then(|at| rest[at].take()) {
                    Some(Value::Object(mut om)) => {
                        let rp = format!("{rptr}/{}", out.len());
                        if merge_map(ctx, &mut om, pm, path, &rp, &pp, trace) == Outcome::Keep {
                            out.push(Value::Object(om));
                        }
                    }
                    _ => {
                        merged_from.push((out.len(), pp));
                        out.push(strip(item));
                    }
                }
            }
            for (at, pp) in merged_from {
                trace.push((format!("{rptr}/{at}"), pp));
            }
            out.extend(rest.into_iter().flatten());
            *orig = out;
        }
        ListMerge::Replace => {}
    }
}

/// The patch value with every `$` directive removed, as it lands in the result.
fn strip(v: &Value) -> Value {
    match v {
        Value::Object(m) => Value::Object(
            m.iter()
                .filter(|(k, _)| k.as_str() != "$patch")
                .map(|(k, v)| (k.clone(), strip(v)))
                .collect(),
        ),
        Value::Array(a) => Value::Array(strip_list(a)),
        other => other.clone(),
    }
}

fn strip_list(a: &[Value]) -> Vec<Value> {
    a.iter()
        .filter(|i| i.get("$patch").and_then(Value::as_str) != Some("delete"))
        .map(strip)
        .collect()
}

/// Applies RFC 6902 operations in order.
pub fn json6902(target: &mut Value, ops: &Value, trace: &mut Trace) -> Result<(), PatchError> {
    let Value::Array(ops) = ops else {
        return Err(PatchError(
            "a JSON patch must be a list of operations".into(),
        ));
    };
    for (i, op) in ops.iter().enumerate() {
        let name = op.get("op").and_then(Value::as_str).unwrap_or("");
        let path = op
            .get("path")
            .and_then(Value::as_str)
            .ok_or_else(|| PatchError(format!("operation {i}: missing path")))?;
        let value = || {
            op.get("value")
                .cloned()
                .ok_or_else(|| PatchError(format!("operation {i} ({name} {path}): missing value")))
        };
        match name {
            "add" => {
                let at = add(target, path, value()?)?;
                trace.push((at, format!("/{i}/value")));
            }
            "replace" => {
                let slot = target.pointer_mut(path).ok_or_else(|| {
                    PatchError(format!(
                        "replace operation does not apply: doc is missing key: {path}"
                    ))
                })?;
                *slot = value()?;
                trace.push((path.to_owned(), format!("/{i}/value")));
            }
            "remove" => {
                remove(target, path)?;
            }
            "move" | "copy" => {
                let from = op
                    .get("from")
                    .and_then(Value::as_str)
                    .ok_or_else(|| PatchError(format!("operation {i}: missing from")))?;
                let v = if name == "move" {
                    remove(target, from)?
                } else {
                    target.pointer(from).cloned().ok_or_else(|| {
                        PatchError(format!(
                            "copy operation does not apply: doc is missing from path: {from}"
                        ))
                    })?
                };
                add(target, path, v)?;
            }
            "test" => {
                let want = value()?;
                if target.pointer(path) != Some(&want) {
                    return Err(PatchError(format!(
                        "testing value {path} failed: test failed"
                    )));
                }
            }
            other => {
                return Err(PatchError(format!(
                    "unexpected kind of operation: {other:?}"
                )))
            }
        }
    }
    Ok(())
}

fn split_ptr(path: &str) -> Result<(&str, String), PatchError> {
    let i = path
        .rfind('/')
        .ok_or_else(|| PatchError(format!("invalid JSON pointer {path:?}")))?;
    let last = path[i + 1..].replace("~1", "/").replace("~0", "~");
    Ok((&path[..i], last))
}

fn add(target: &mut Value, path: &str, v: Value) -> Result<String, PatchError> {
    if path.is_empty() {
        *target = v;
        return Ok(String::new());
    }
    let (parent, last) = split_ptr(path)?;
    let container = target.pointer_mut(parent).ok_or_else(|| {
        PatchError(format!(
            "add operation does not apply: doc is missing path: {path:?}"
        ))
    })?;
    match container {
        Value::Object(m) => {
            m.insert(last, v);
            Ok(path.to_owned())
        }
        Value::Array(a) => {
            let at = if last == "-" {
                a.len()
            } else {
                last.parse::<usize>()
                    .ok()
                    .filter(|&n| n <= a.len())
                    .ok_or_else(|| {
                        PatchError(format!(
                            "add operation does not apply: index out of range: {path:?}"
                        ))
                    })?
            };
            a.insert(at, v);
            Ok(format!("{parent}/{at}"))
        }
        _ => Err(PatchError(format!(
            "add operation does not apply: {parent:?} is not a container"
        ))),
    }
}

fn remove(target: &mut Value, path: &str) -> Result<Value, PatchError> {
    let (parent, last) = split_ptr(path)?;
    let missing = || {
        PatchError(format!(
            "remove operation does not apply: doc is missing path: {path:?}"
        ))
    };
    match target.pointer_mut(parent).ok_or_else(missing)? {
        Value::Object(m) => m.shift_remove(&last).ok_or_else(missing),
        Value::Array(a) => {
            let at = last
                .parse::<usize>()
                .ok()
                .filter(|&n| n < a.len())
                .ok_or_else(missing)?;
            Ok(a.remove(at))
        }
        _ => Err(missing()),
    }
}
