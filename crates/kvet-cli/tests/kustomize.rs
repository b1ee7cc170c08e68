//! `kvet check DIR` and `kvet render DIR` on kustomizations, end to end: findings land at the
//! base resource line or at the patch line that set the field, build errors at the
//! kustomization line, and `render` prints what `kubectl kustomize` prints.

use std::path::PathBuf;
use std::process::Command;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn kvet(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_kvet"))
        .args(args)
        .current_dir(root())
        .output()
        .expect("run kvet")
}

fn findings(dir: &str) -> Vec<serde_json::Value> {
    let o = kvet(&["check", "-o", "json", dir]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("json");
    v["findings"].as_array().cloned().unwrap_or_default()
}

fn at(f: &serde_json::Value) -> (String, u64, u64) {
    let l = &f["location"];
    (
        l["file"].as_str().unwrap_or("").to_owned(),
        l["line"].as_u64().unwrap_or(0),
        l["column"].as_u64().unwrap_or(0),
    )
}

#[test]
fn findings_land_at_the_patch_line_and_the_base_line() {
    let all = findings("fixtures/kustomize/findings/overlay");
    let mut tags: Vec<(String, u64, u64, String)> = all
        .iter()
        .filter(|f| f["rule"] == "tag-pinning")
        .map(|f| {
            let (file, line, col) = at(f);
            (
                file,
                line,
                col,
                f["object"]["name"].as_str().unwrap_or("").to_owned(),
            )
        })
        .collect();
    tags.sort();
    assert_eq!(
        tags,
        vec![
            // busybox in the base, untouched by the overlay: the base file's line.
            (
                "fixtures/kustomize/base/app/deployment.yaml".to_owned(),
                45,
                11,
                "prod-web".to_owned()
            ),
            // alpine, added by the overlay's patch: the patch file's line.
            (
                "fixtures/kustomize/findings/overlay/debug.yaml".to_owned(),
                10,
                11,
                "prod-web".to_owned()
            ),
        ]
    );
    // The rendered location is kept beside it.
    let rendered = all
        .iter()
        .find(|f| f["rule"] == "tag-pinning")
        .map(|f| f["rendered"]["file"].as_str().unwrap_or("").to_owned());
    assert_eq!(
        rendered.as_deref(),
        Some("fixtures/kustomize/findings/overlay#Deployment/prod-web")
    );
}

#[test]
fn build_errors_are_findings_at_the_kustomization_line() {
    let o = kvet(&["check", "-o", "json", "fixtures/kustomize/findings/broken"]);
    assert_eq!(o.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("json");
    let f = &v["findings"][0];
    assert_eq!(f["rule"], "kustomize");
    assert_eq!(
        at(f),
        (
            "fixtures/kustomize/findings/broken/kustomization.yaml".to_owned(),
            3,
            5
        )
    );
    assert_eq!(
        f["message"],
        "accumulating resources: 'fixtures/kustomize/findings/broken/missing.yaml': no such file or directory"
    );
}

#[test]
fn directories_holding_kustomizations_are_built_not_walked() {
    // The overlay is built once (its prefix shows), and its patch file is not read as a
    // manifest of its own.
    let all = findings("fixtures/kustomize/findings/overlay");
    assert!(all.iter().all(|f| f["object"]["name"]
        .as_str()
        .is_none_or(|n| n.starts_with("prod-"))));
    assert!(all.iter().all(|f| f["rule"] != "no-schema"));
}

#[test]
fn render_prints_what_kubectl_kustomize_prints() {
    for case in ["platform-eu", "configmap-generator", "smp-file"] {
        let dir = format!("fixtures/kustomize/cases/{case}");
        let o = kvet(&["render", &dir]);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        let want = std::fs::read_to_string(root().join(&dir).join("expected.yaml")).unwrap();
        assert_eq!(String::from_utf8_lossy(&o.stdout), want, "{case}");
    }
    let o = kvet(&["render", "fixtures/kustomize/findings/broken"]);
    assert_eq!(o.status.code(), Some(1));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains(
            "fixtures/kustomize/findings/broken/kustomization.yaml:3:5: accumulating resources"
        ),
        "{err}"
    );
}

#[test]
fn deprecated_fields_warn_at_their_line_in_check_and_render() {
    let dir = "fixtures/kustomize/cases/vars";
    let warnings: Vec<(String, u64, u64)> = findings(dir)
        .iter()
        .filter(|f| f["rule"] == "kustomize")
        .inspect(|f| assert_eq!(f["severity"], "warning"))
        .map(at)
        .collect();
    assert_eq!(
        warnings,
        vec![
            (format!("{dir}/base/kustomization.yaml"), 9, 1),
            (format!("{dir}/component/kustomization.yaml"), 5, 1),
            (format!("{dir}/kustomization.yaml"), 10, 1),
        ]
    );
    let o = kvet(&["render", dir]);
    assert!(o.status.success());
    let want = std::fs::read_to_string(root().join(dir).join("expected.yaml")).unwrap();
    assert_eq!(String::from_utf8_lossy(&o.stdout), want);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains(&format!(
            "Warning: {dir}/kustomization.yaml:10:1: 'vars' is deprecated. Please use 'replacements' instead."
        )),
        "{err}"
    );
}
