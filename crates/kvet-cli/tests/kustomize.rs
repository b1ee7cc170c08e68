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

/// Serves `body` for every GET on a loopback port; returns the base URL.
fn serve_file(body: &'static str) -> String {
    use std::io::{BufRead, BufReader, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut s) = stream else { break };
            let mut r = BufReader::new(s.try_clone().unwrap());
            let mut first = String::new();
            let _ = r.read_line(&mut first);
            loop {
                let mut l = String::new();
                if r.read_line(&mut l).unwrap_or(0) == 0 || l == "\r\n" {
                    break;
                }
            }
            let reply = if first.contains("/extra.yaml ") {
                format!(
                    "HTTP/1.1 200 OK\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                    body.len()
                )
            } else {
                "HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"
                    .to_owned()
            };
            let _ = s.write_all(reply.as_bytes());
        }
    });
    url
}

#[test]
fn remote_resources_are_fetched_only_when_allowed() {
    let tmp = tempfile::tempdir().unwrap();
    let repo = tmp.path().join("platform");
    std::fs::create_dir_all(repo.join("base")).unwrap();
    std::fs::write(
        repo.join("base/kustomization.yaml"),
        "resources: [cm.yaml]\ncommonLabels: {tier: base}\n",
    )
    .unwrap();
    std::fs::write(
        repo.join("base/cm.yaml"),
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\ndata:\n  mode: remote\n",
    )
    .unwrap();
    let git = |args: &[&str]| {
        let o = Command::new("git")
            .args(["-c", "user.email=ci@example.com", "-c", "user.name=ci"])
            .args(args)
            .current_dir(&repo)
            .output()
            .expect("git");
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    };
    git(&["init", "--quiet"]);
    git(&["add", "."]);
    git(&["commit", "--quiet", "-m", "base"]);
    git(&["tag", "v1"]);
    // The tag keeps the first version even after the repository moves on.
    std::fs::write(
        repo.join("base/cm.yaml"),
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\ndata:\n  mode: changed\n",
    )
    .unwrap();
    git(&["commit", "--quiet", "-am", "later"]);
    let extra = serve_file(
        "apiVersion: v1\nkind: Service\nmetadata:\n  name: web\nspec:\n  ports:\n  - port: 80\n",
    );
    let overlay = tmp.path().join("overlay");
    std::fs::create_dir_all(&overlay).unwrap();
    std::fs::write(
        overlay.join("kustomization.yaml"),
        format!(
            "namePrefix: prod-\nresources:\n- file://{}//base?ref=v1\n- {extra}/extra.yaml\n",
            repo.display()
        ),
    )
    .unwrap();
    let dir = overlay.display().to_string();
    let o = kvet(&["render", &dir]);
    assert_eq!(o.status.code(), Some(1));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("kustomization.yaml:3:3: remote resource")
            && err.contains("pass --allow-remote"),
        "{err}"
    );
    let o = kvet(&["render", "--allow-remote", &dir]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let got = String::from_utf8_lossy(&o.stdout).into_owned();
    assert!(
        got.contains("name: prod-settings")
            && got.contains("mode: remote")
            && got.contains("name: prod-web"),
        "{got}"
    );
    // Where kubectl is installed, it prints the same.
    if let Ok(k) = Command::new("kubectl").args(["kustomize", &dir]).output() {
        if k.status.success() {
            assert_eq!(got, String::from_utf8_lossy(&k.stdout));
        }
    }
    // A repository path that does not exist is an error at the entry.
    std::fs::write(
        overlay.join("kustomization.yaml"),
        format!("resources:\n- file://{}//missing?ref=v1\n", repo.display()),
    )
    .unwrap();
    let o = kvet(&["check", "--allow-remote", "-o", "json", &dir]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let f = &v["findings"][0];
    assert_eq!(f["rule"], "kustomize");
    assert_eq!(at(f).1, 2);
}
