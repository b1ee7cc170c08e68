//! Embeds the schema bundles under `schemas/` with `include_bytes!`: all of them, or only the
//! minors listed in `KVET_SCHEMA_VERSIONS` (for example `1.35,1.36,1.37` for the WASM build).
//! Never downloads anything: `cargo xtask regen-schemas` writes the bundles.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// Parses "1.35", "v1.35" or "1.35.2" to the minor 35.
fn minor_of(spec: &str) -> Option<u32> {
    let s = spec.trim();
    let s = s.strip_prefix('v').unwrap_or(s);
    let rest = s.strip_prefix("1.")?;
    rest.split('.').next()?.parse().ok()
}

fn bundles(dir: &Path) -> Vec<(u32, PathBuf)> {
    let mut found: Vec<(u32, PathBuf)> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            let minor = name
                .strip_prefix("v1.")?
                .strip_suffix(".bin.zst")?
                .parse::<u32>()
                .ok()?;
            Some((minor, e.path()))
        })
        .collect();
    found.sort();
    found
}

fn main() {
    let manifest = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").unwrap_or_default());
    let dir = manifest.join("..").join("..").join("schemas");
    println!("cargo:rerun-if-env-changed=KVET_SCHEMA_VERSIONS");
    println!("cargo:rerun-if-changed={}", dir.display());
    let available = bundles(&dir);
    let wanted: Option<Vec<u32>> = match std::env::var("KVET_SCHEMA_VERSIONS") {
        Ok(list) if !list.trim().is_empty() && list.trim() != "all" => {
            let mut minors = Vec::new();
            for spec in list.split(',').filter(|s| !s.trim().is_empty()) {
                match minor_of(spec) {
                    Some(m) if available.iter().any(|(a, _)| *a == m) => minors.push(m),
                    // A build asked for a version it cannot have: say so instead of quietly
                    // building without it.
                    _ => panic!(
                        "KVET_SCHEMA_VERSIONS names {spec:?}, but there is no schemas/v1.N.bin.zst \
                         for it (available: {}); run `cargo xtask regen-schemas` or fix the list",
                        available
                            .iter()
                            .map(|(m, _)| format!("1.{m}"))
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                }
            }
            Some(minors)
        }
        _ => None,
    };
    let mut out = String::from(
        "/// Embedded bundles: (Kubernetes minor, zstd bytes), ascending.\n\
         pub(crate) static EMBEDDED: &[(u32, &[u8])] = &[\n",
    );
    for (minor, path) in &available {
        if wanted.as_ref().is_some_and(|w| !w.contains(minor)) {
            continue;
        }
        println!("cargo:rerun-if-changed={}", path.display());
        let path = path.canonicalize().unwrap_or_else(|_| path.clone());
        let _ = writeln!(
            out,
            "    ({minor}, include_bytes!({:?})),",
            path.display().to_string()
        );
    }
    out.push_str("];\n");
    let dest = PathBuf::from(std::env::var_os("OUT_DIR").unwrap_or_default()).join("embedded.rs");
    if let Err(e) = std::fs::write(&dest, out) {
        panic!("writing {}: {e}", dest.display());
    }
}
