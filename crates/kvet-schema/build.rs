//! Embeds the schema bundles under `schemas/` (all of them, or the minors listed in
//! `KVET_SCHEMA_VERSIONS`, e.g. "1.35,1.36,1.37"). Never downloads anything.

use std::path::PathBuf;

fn main() {
    let manifest = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("manifest dir"));
    let dir = manifest.join("../../schemas");
    println!("cargo:rerun-if-env-changed=KVET_SCHEMA_VERSIONS");
    println!("cargo:rerun-if-changed={}", dir.display());
    let wanted: Option<Vec<u32>> = std::env::var("KVET_SCHEMA_VERSIONS").ok().map(|s| {
        s.split(',')
            .filter_map(|v| v.trim().trim_start_matches('v').strip_prefix("1."))
            .filter_map(|m| m.split('.').next()?.parse().ok())
            .collect()
    });
    let mut found: Vec<(u32, PathBuf)> = Vec::new();
    if let Ok(entries) = std::fs::read_dir(&dir) {
        for e in entries.flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            let Some(minor) = name
                .strip_prefix("v1.")
                .and_then(|r| r.strip_suffix(".bin.zst"))
                .and_then(|m| m.parse::<u32>().ok())
            else {
                continue;
            };
            if wanted.as_ref().is_none_or(|w| w.contains(&minor)) {
                println!("cargo:rerun-if-changed={}", e.path().display());
                found.push((minor, e.path()));
            }
        }
    }
    found.sort();
    let mut out = String::from("/// Embedded bundles: (Kubernetes minor, zstd bytes).\npub(crate) static EMBEDDED: &[(u32, &[u8])] = &[\n");
    for (minor, path) in &found {
        let p = path.canonicalize().unwrap_or_else(|_| path.clone());
        out.push_str(&format!(
            "    ({minor}, include_bytes!({:?})),\n",
            p.display().to_string()
        ));
    }
    out.push_str("];\n");
    let dest = PathBuf::from(std::env::var("OUT_DIR").expect("out dir")).join("embedded.rs");
    std::fs::write(dest, out).expect("write embedded.rs");
}
