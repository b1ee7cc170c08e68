//! `cargo xtask regen-schemas`: builds `schemas/` from the pinned `kubernetes-validate` wheel.
//!
//! The wheel is fetched with pip (the ordinary client), its hash checked against the pin, and
//! for every Kubernetes minor the non-strict `_definitions.json` is compacted (descriptions
//! dropped; kvet applies strict mode itself) into one zstd file with an index, so kvet can parse
//! only the definitions an object needs.

use serde_json::{Map, Value};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

const PACKAGE: &str = "kubernetes-validate";
const VERSION: &str = "1.37.0";
const WHEEL: &str = "kubernetes_validate-1.37.0-py3-none-any.whl";
const WHEEL_SHA256: &str = "85136d018a27b50ec7fc049d902bfa5193f5976807e6c0f408e3ab6fe078cad9";
const MINORS: std::ops::RangeInclusive<u32> = 25..=37;

/// Value sets the API server enforces in Go validation but that the published OpenAPI
/// schemas do not carry as `enum`; added so that a typo such as `type: LoadBalancers` is
/// reported. `(definition, property, item-level?, values)`.
const ENUMS: &[(&str, &str, bool, &[&str])] = &[
    (
        "io.k8s.api.core.v1.ServiceSpec",
        "type",
        false,
        &["ClusterIP", "NodePort", "LoadBalancer", "ExternalName"],
    ),
    (
        "io.k8s.api.core.v1.ServiceSpec",
        "externalTrafficPolicy",
        false,
        &["Cluster", "Local"],
    ),
    (
        "io.k8s.api.core.v1.ServiceSpec",
        "internalTrafficPolicy",
        false,
        &["Cluster", "Local"],
    ),
    (
        "io.k8s.api.core.v1.ServiceSpec",
        "sessionAffinity",
        false,
        &["None", "ClientIP"],
    ),
    (
        "io.k8s.api.core.v1.ServicePort",
        "protocol",
        false,
        &["TCP", "UDP", "SCTP"],
    ),
    (
        "io.k8s.api.core.v1.ContainerPort",
        "protocol",
        false,
        &["TCP", "UDP", "SCTP"],
    ),
    (
        "io.k8s.api.core.v1.Container",
        "imagePullPolicy",
        false,
        &["Always", "Never", "IfNotPresent"],
    ),
    (
        "io.k8s.api.core.v1.EphemeralContainer",
        "imagePullPolicy",
        false,
        &["Always", "Never", "IfNotPresent"],
    ),
    (
        "io.k8s.api.core.v1.Container",
        "terminationMessagePolicy",
        false,
        &["File", "FallbackToLogsOnError"],
    ),
    (
        "io.k8s.api.core.v1.PodSpec",
        "restartPolicy",
        false,
        &["Always", "OnFailure", "Never"],
    ),
    (
        "io.k8s.api.core.v1.PodSpec",
        "dnsPolicy",
        false,
        &["ClusterFirstWithHostNet", "ClusterFirst", "Default", "None"],
    ),
    (
        "io.k8s.api.core.v1.Toleration",
        "operator",
        false,
        &["Exists", "Equal"],
    ),
    (
        "io.k8s.api.core.v1.Toleration",
        "effect",
        false,
        &["", "NoSchedule", "PreferNoSchedule", "NoExecute"],
    ),
    (
        "io.k8s.api.core.v1.PersistentVolumeClaimSpec",
        "accessModes",
        true,
        &[
            "ReadWriteOnce",
            "ReadOnlyMany",
            "ReadWriteMany",
            "ReadWriteOncePod",
        ],
    ),
    (
        "io.k8s.api.networking.v1.HTTPIngressPath",
        "pathType",
        false,
        &["Exact", "Prefix", "ImplementationSpecific"],
    ),
    (
        "io.k8s.api.networking.v1.NetworkPolicySpec",
        "policyTypes",
        true,
        &["Ingress", "Egress"],
    ),
    (
        "io.k8s.api.apps.v1.DeploymentStrategy",
        "type",
        false,
        &["Recreate", "RollingUpdate"],
    ),
    (
        "io.k8s.api.batch.v1.CronJobSpec",
        "concurrencyPolicy",
        false,
        &["Allow", "Forbid", "Replace"],
    ),
];

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

pub fn regen(args: &[String]) -> Result<(), String> {
    let work = std::env::temp_dir().join(format!("kvet-regen-{}", std::process::id()));
    std::fs::create_dir_all(&work).map_err(|e| e.to_string())?;
    let wheel = match args.iter().position(|a| a == "--wheel") {
        Some(i) => PathBuf::from(args.get(i + 1).ok_or("--wheel needs a path")?),
        None => {
            let status = Command::new("python3")
                .args([
                    "-m",
                    "pip",
                    "download",
                    "--no-deps",
                    "--only-binary=:all:",
                    "-d",
                ])
                .arg(&work)
                .arg(format!("{PACKAGE}=={VERSION}"))
                .status()
                .map_err(|e| format!("running pip: {e}"))?;
            if !status.success() {
                return Err("pip download failed".into());
            }
            work.join(WHEEL)
        }
    };
    let bytes = std::fs::read(&wheel).map_err(|e| format!("{}: {e}", wheel.display()))?;
    let digest = hex(&Sha256::digest(&bytes));
    if digest != WHEEL_SHA256 {
        return Err(format!(
            "{WHEEL} has sha256 {digest}, expected the pinned {WHEEL_SHA256}"
        ));
    }
    let unpacked = work.join("wheel");
    let status = Command::new("python3")
        .args(["-m", "zipfile", "-e"])
        .arg(&wheel)
        .arg(&unpacked)
        .status()
        .map_err(|e| format!("unpacking wheel: {e}"))?;
    if !status.success() {
        return Err("unpacking the wheel failed".into());
    }
    let out_dir = root().join("schemas");
    std::fs::create_dir_all(&out_dir).map_err(|e| e.to_string())?;
    let mut files = Vec::new();
    for minor in MINORS {
        let defs_path = unpacked.join(format!(
            "kubernetes_validate/kubernetes-json-schema/v1.{minor}.0-local/_definitions.json"
        ));
        let text = std::fs::read_to_string(&defs_path)
            .map_err(|e| format!("{}: {e}", defs_path.display()))?;
        let doc: Value = serde_json::from_str(&text).map_err(|e| e.to_string())?;
        let defs = doc
            .get("$defs")
            .and_then(Value::as_object)
            .ok_or("no $defs in _definitions.json")?;
        let raw = encode(defs)?;
        let compressed = zstd::encode_all(&raw[..], 19).map_err(|e| e.to_string())?;
        let name = format!("v1.{minor}.bin.zst");
        std::fs::write(out_dir.join(&name), &compressed).map_err(|e| e.to_string())?;
        println!(
            "{name}: {} definitions, {} bytes raw, {} compressed",
            defs.len(),
            raw.len(),
            compressed.len()
        );
        files.push(serde_json::json!({
            "file": name,
            "kubernetes": format!("1.{minor}"),
            "source": format!("kubernetes_validate/kubernetes-json-schema/v1.{minor}.0-local/_definitions.json"),
            "sourceSha256": hex(&Sha256::digest(text.as_bytes())),
            "sha256": hex(&Sha256::digest(&compressed)),
            "bytes": compressed.len(),
        }));
    }
    let provenance = serde_json::json!({
        "package": PACKAGE,
        "version": VERSION,
        "wheel": WHEEL,
        "wheelSha256": digest,
        "license": "Apache-2.0",
        "obtainedWith": format!("pip download --no-deps {PACKAGE}=={VERSION}"),
        "transform": "non-strict definitions; description fields removed; well-known enum value sets added (xtask/src/schemas.rs ENUMS); one zstd-19 file per minor with a definition index",
        "files": files,
    });
    let mut s = serde_json::to_string_pretty(&provenance).map_err(|e| e.to_string())?;
    s.push('\n');
    std::fs::write(out_dir.join("PROVENANCE.json"), s).map_err(|e| e.to_string())?;
    let _ = std::fs::remove_dir_all(&work);
    Ok(())
}

/// Removes `description` from schema nodes (not from `properties` maps, where it may be a
/// field name) and the GVK list (kept in the index instead).
fn strip(schema: &mut Value) {
    let Value::Object(map) = schema else { return };
    map.remove("description");
    map.remove("x-kubernetes-group-version-kind");
    for (k, v) in map.iter_mut() {
        match k.as_str() {
            "properties" | "patternProperties" | "$defs" | "definitions" => {
                if let Value::Object(props) = v {
                    for p in props.values_mut() {
                        strip(p);
                    }
                }
            }
            "items" | "additionalProperties" | "not" => strip(v),
            "allOf" | "anyOf" | "oneOf" => {
                if let Value::Array(items) = v {
                    for i in items {
                        strip(i);
                    }
                }
            }
            _ => {}
        }
    }
}

fn add_enums(defs: &mut Map<String, Value>) {
    for (def, prop, item_level, values) in ENUMS {
        let Some(p) = defs
            .get_mut(*def)
            .and_then(|d| d.get_mut("properties"))
            .and_then(|p| p.get_mut(*prop))
        else {
            continue;
        };
        let target = if *item_level {
            match p.get_mut("items") {
                Some(i) => i,
                None => continue,
            }
        } else {
            p
        };
        if let Value::Object(m) = target {
            m.insert(
                "enum".into(),
                Value::Array(values.iter().map(|v| Value::String((*v).into())).collect()),
            );
        }
    }
}

/// The uncompressed bundle: see kvet-schema's `bundle` module for the reader.
///
/// ```text
/// "KVS1"
/// u32 definition count, then per definition: u16 name length, name, u32 offset, u32 length
/// u32 GVK count, then per GVK: u16 length, "apiVersion kind", u32 definition index
/// u32 blob length, blob (each definition as compact JSON, concatenated)
/// ```
fn encode(defs: &Map<String, Value>) -> Result<Vec<u8>, String> {
    let mut defs = defs.clone();
    add_enums(&mut defs);
    let mut gvks: BTreeMap<String, usize> = BTreeMap::new();
    let names: Vec<String> = {
        let mut n: Vec<String> = defs.keys().cloned().collect();
        n.sort();
        n
    };
    let mut blob = Vec::new();
    let mut table = Vec::new();
    for (i, name) in names.iter().enumerate() {
        let mut def = defs[name].clone();
        if let Some(list) = def
            .get("x-kubernetes-group-version-kind")
            .and_then(Value::as_array)
        {
            for gvk in list {
                let group = gvk["group"].as_str().unwrap_or_default();
                let version = gvk["version"].as_str().unwrap_or_default();
                let kind = gvk["kind"].as_str().unwrap_or_default();
                let api_version = if group.is_empty() {
                    version.to_owned()
                } else {
                    format!("{group}/{version}")
                };
                gvks.insert(format!("{api_version} {kind}"), i);
            }
        }
        strip(&mut def);
        let text = serde_json::to_vec(&def).map_err(|e| e.to_string())?;
        table.push((name.clone(), blob.len() as u32, text.len() as u32));
        blob.extend_from_slice(&text);
    }
    let mut out = b"KVS1".to_vec();
    out.extend_from_slice(&(table.len() as u32).to_le_bytes());
    for (name, off, len) in &table {
        out.extend_from_slice(&(name.len() as u16).to_le_bytes());
        out.extend_from_slice(name.as_bytes());
        out.extend_from_slice(&off.to_le_bytes());
        out.extend_from_slice(&len.to_le_bytes());
    }
    out.extend_from_slice(&(gvks.len() as u32).to_le_bytes());
    for (key, idx) in &gvks {
        out.extend_from_slice(&(key.len() as u16).to_le_bytes());
        out.extend_from_slice(key.as_bytes());
        out.extend_from_slice(&(*idx as u32).to_le_bytes());
    }
    out.extend_from_slice(&(blob.len() as u32).to_le_bytes());
    out.extend_from_slice(&blob);
    Ok(out)
}
