//! Embeds the built-in policy library (`policies/<id>/policy.rego` and `metadata.yaml`).

use std::path::PathBuf;

fn main() {
    let manifest = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("manifest dir"));
    let dir = manifest.join("../../policies");
    println!("cargo:rerun-if-changed={}", dir.display());
    let mut ids: Vec<String> = std::fs::read_dir(&dir)
        .map(|rd| {
            rd.flatten()
                .filter(|e| {
                    e.path().join("policy.rego").is_file()
                        && e.path().join("metadata.yaml").is_file()
                })
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    ids.sort();
    let mut out = String::from("/// The built-in policies: (id, Rego, metadata YAML).\npub(crate) static LIBRARY: &[(&str, &str, &str)] = &[\n");
    for id in &ids {
        let rego = dir.join(id).join("policy.rego");
        let meta = dir.join(id).join("metadata.yaml");
        println!("cargo:rerun-if-changed={}", rego.display());
        println!("cargo:rerun-if-changed={}", meta.display());
        let abs = |p: PathBuf| p.canonicalize().unwrap_or(p).display().to_string();
        out.push_str(&format!(
            "    ({id:?}, include_str!({:?}), include_str!({:?})),\n",
            abs(rego),
            abs(meta)
        ));
    }
    out.push_str("];\n");
    // Shared Rego libraries under policies/lib, loaded with any built-in policy.
    let mut libs: Vec<PathBuf> = std::fs::read_dir(dir.join("lib"))
        .map(|rd| {
            rd.flatten()
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|e| e == "rego"))
                .filter(|p| !p.to_string_lossy().ends_with("_test.rego"))
                .collect()
        })
        .unwrap_or_default();
    libs.sort();
    out.push_str("/// Shared libraries of the built-in policies: (file name, Rego).\npub(crate) static LIBS: &[(&str, &str)] = &[\n");
    for l in libs {
        println!("cargo:rerun-if-changed={}", l.display());
        let name = l
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let abs = l.canonicalize().unwrap_or(l).display().to_string();
        out.push_str(&format!("    ({name:?}, include_str!({abs:?})),\n"));
    }
    out.push_str("];\n");
    let dest = PathBuf::from(std::env::var("OUT_DIR").expect("out dir")).join("library.rs");
    std::fs::write(dest, out).expect("write library.rs");
}
