//! `cargo xtask goldens` (and `cargo xtask goldens-kustomize`): rebuilds every fixture under
//! `fixtures/kustomize/cases/` with `kubectl kustomize` and writes `expected.yaml` beside its
//! kustomization, the oracle of kvet-kustomize's golden tests. kubectl comes from `--kubectl`,
//! `$KUBECTL`, or the PATH.

use std::path::{Path, PathBuf};
use std::process::Command;

/// Regenerates the kustomize goldens.
pub fn run(args: &[String]) -> Result<(), String> {
    let kubectl = match args.iter().position(|a| a == "--kubectl") {
        Some(i) => args.get(i + 1).cloned().ok_or("--kubectl needs a path")?,
        None => std::env::var("KUBECTL").unwrap_or_else(|_| "kubectl".to_owned()),
    };
    let helm = match args.iter().position(|a| a == "--helm") {
        Some(i) => Some(args.get(i + 1).cloned().ok_or("--helm needs a path")?),
        None => std::env::var("HELM").ok(),
    };
    let version = Command::new(&kubectl)
        .args(["version", "--client"])
        .output()
        .map_err(|e| format!("running {kubectl}: {e} (install kubectl or pass --kubectl PATH)"))?;
    let version = String::from_utf8_lossy(&version.stdout);
    let cases = workspace_root().join("fixtures/kustomize/cases");
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(&cases)
        .map_err(|e| format!("{}: {e}", cases.display()))?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    for dir in &dirs {
        let mut cmd = Command::new(&kubectl);
        cmd.arg("kustomize");
        let text = ["kustomization.yaml", "kustomization.yml", "Kustomization"]
            .iter()
            .find_map(|n| std::fs::read_to_string(dir.join(n)).ok())
            .unwrap_or_default();
        if text.contains("helmCharts:") {
            let helm = helm.as_deref().ok_or_else(|| {
                format!(
                    "{} inflates a chart: pass --helm PATH (or set HELM)",
                    dir.display()
                )
            })?;
            cmd.args(["--enable-helm", "--helm-command", helm]);
        }
        let out = cmd
            .arg(dir)
            .output()
            .map_err(|e| format!("running kubectl kustomize: {e}"))?;
        if !out.status.success() {
            return Err(format!(
                "kubectl kustomize failed for {}: {}",
                dir.display(),
                String::from_utf8_lossy(&out.stderr)
            ));
        }
        std::fs::write(dir.join("expected.yaml"), &out.stdout)
            .map_err(|e| format!("writing golden for {}: {e}", dir.display()))?;
    }
    println!(
        "wrote {} kustomize goldens ({})",
        dirs.len(),
        version
            .lines()
            .find(|l| l.contains("Kustomize"))
            .unwrap_or("kustomize")
            .trim()
    );
    Ok(())
}

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default()
}
