//! `cargo xtask bench-kustomize`: builds the largest kustomize fixture natively 100 times and
//! runs `kubectl kustomize` on it in the same run, printing both and the ratio.

use kvet_kustomize::{build, DiskFs, Limits};
use std::path::Path;
use std::process::Command;
use std::time::Instant;

const FIXTURE: &str = "fixtures/kustomize/cases/platform-eu";
const ROUNDS: usize = 100;

/// Runs the benchmark; `--kubectl PATH` (default `$KUBECTL` or `kubectl`), `--kubectl-rounds N`
/// (default 10).
pub fn run(args: &[String]) -> Result<(), String> {
    let opt = |name: &str| {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1).cloned())
    };
    let kubectl = opt("--kubectl")
        .or_else(|| std::env::var("KUBECTL").ok())
        .unwrap_or_else(|| "kubectl".to_owned());
    let kubectl_rounds: usize = opt("--kubectl-rounds")
        .and_then(|v| v.parse().ok())
        .unwrap_or(10);
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join(FIXTURE);
    let dir = dir.to_string_lossy().into_owned();
    let first = build(&DiskFs, &dir, &Limits::default()).map_err(|e| e.to_string())?;
    let objects = first.resources.len();
    let started = Instant::now();
    for _ in 0..ROUNDS {
        let b = build(&DiskFs, &dir, &Limits::default()).map_err(|e| e.to_string())?;
        std::hint::black_box(b.to_yaml());
    }
    let ours = started.elapsed().as_secs_f64() / ROUNDS as f64;
    println!(
        "kvet-kustomize: {FIXTURE} ({objects} objects), {ROUNDS} builds: {:.3} ms/build",
        ours * 1e3
    );
    let probe = Command::new(&kubectl)
        .args(["version", "--client"])
        .output();
    if probe.is_err() {
        println!("kubectl kustomize: not installed ({kubectl}); no comparison");
        return Ok(());
    }
    let started = Instant::now();
    for _ in 0..kubectl_rounds {
        let out = Command::new(&kubectl)
            .arg("kustomize")
            .arg(&dir)
            .output()
            .map_err(|e| format!("running kubectl kustomize: {e}"))?;
        if !out.status.success() {
            return Err(String::from_utf8_lossy(&out.stderr).into_owned());
        }
    }
    let theirs = started.elapsed().as_secs_f64() / kubectl_rounds as f64;
    println!(
        "kubectl kustomize: {kubectl_rounds} builds: {:.3} ms/build",
        theirs * 1e3
    );
    println!(
        "ratio: kvet-kustomize is {:.1}x faster",
        theirs / ours.max(1e-12)
    );
    Ok(())
}
