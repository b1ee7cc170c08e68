//! `kvet check --verify-images`, `kvet images fetch` + `--image-evidence`, and `kvet pin`
//! against a real OCI registry on loopback (Debian's docker-registry).

use kvet_images::testing::{LocalRegistry, TestKey};
use serde_json::Value;
use std::path::Path;
use std::process::{Command, Output};

fn registry() -> Option<LocalRegistry> {
    match LocalRegistry::start() {
        Ok(Some(r)) => Some(r),
        Ok(None) => {
            eprintln!("\n!!! SKIPPED: /usr/bin/docker-registry is not installed (apt-get install -y docker-registry) !!!\n");
            None
        }
        Err(e) => panic!("{e}"),
    }
}

fn kvet(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_kvet"))
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .env("HOME", dir)
        .env_remove("DOCKER_CONFIG")
        .env_remove("XDG_CACHE_HOME")
        .output()
        .expect("run kvet")
}

/// (rule, line, message) of every finding.
fn findings(o: &Output) -> Vec<(String, u64, String)> {
    let v: Value = serde_json::from_slice(&o.stdout).unwrap_or_else(|e| {
        panic!(
            "{e}: {}\n{}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        )
    });
    v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["rule"].as_str().unwrap().to_owned(),
                f["location"]["line"].as_u64().unwrap(),
                f["message"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

struct Setup {
    reg: LocalRegistry,
    dir: tempfile::TempDir,
    signed: String,
    unsigned: String,
}

fn setup() -> Option<Setup> {
    let reg = registry()?;
    let dir = tempfile::tempdir().unwrap();
    let key = TestKey::new("release");
    key.write_public(&dir.path().join("release.pub")).unwrap();
    TestKey::new("other")
        .write_public(&dir.path().join("other.pub"))
        .unwrap();
    let a = reg.push_image("team/api", Some("1.0"), "api").unwrap();
    let signed = a["digest"].as_str().unwrap().to_owned();
    reg.sign_legacy("team/api", &signed, &key).unwrap();
    let b = reg
        .push_image("team/worker", Some("2.0"), "worker")
        .unwrap();
    let unsigned = b["digest"].as_str().unwrap().to_owned();
    let h = &reg.host;
    std::fs::write(
        dir.path().join("deploy.yaml"),
        format!(
            "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: api\nspec:\n  selector:\n    matchLabels: {{app: api}}\n  template:\n    metadata:\n      labels: {{app: api}}\n    spec:\n      containers:\n        - name: api\n          image: {h}/team/api:1.0\n        - name: worker\n          image: {h}/team/worker:2.0\n"
        ),
    )
    .unwrap();
    Some(Setup {
        reg,
        dir,
        signed,
        unsigned,
    })
}

#[test]
fn check_verifies_images_against_the_registry() {
    let Some(s) = setup() else { return };
    let d = s.dir.path();
    let h = s.reg.host.clone();
    let o = kvet(
        d,
        &[
            "check",
            "deploy.yaml",
            "-o",
            "json",
            "--policy-set",
            "image-signed",
            "--verify-images",
            "--insecure-registry",
            &h,
            "--cosign-key",
            "release.pub",
            "--image-cache",
            "cache",
        ],
    );
    assert_eq!(
        findings(&o),
        vec![(
            "image-signed".to_owned(),
            16,
            format!(
                "container worker: image {h}/team/worker:2.0 ({}) has no cosign signature",
                s.unsigned
            )
        )]
    );
    assert_eq!(o.status.code(), Some(1));
    // With another key, the signed image fails too, saying why.
    let o = kvet(
        d,
        &[
            "check",
            "deploy.yaml",
            "-o",
            "json",
            "--policy-set",
            "image-signed",
            "--verify-images",
            "--insecure-registry",
            &h,
            "--cosign-key",
            "ops=other.pub",
        ],
    );
    let f = findings(&o);
    assert_eq!(f.len(), 2, "{f:?}");
    assert_eq!(f[0], ("image-signed".to_owned(), 14, format!("container api: image {h}/team/api:1.0 ({}) has no valid signature: signature does not verify with any configured key (ops)", s.signed)));
    // --verify-images alone turns on image-signed next to the defaults.
    let o = kvet(
        d,
        &[
            "check",
            "deploy.yaml",
            "-o",
            "json",
            "--verify-images",
            "--insecure-registry",
            &h,
            "--cosign-key",
            "release.pub",
        ],
    );
    assert_eq!(
        findings(&o)
            .iter()
            .filter(|f| f.0 == "image-signed")
            .count(),
        1
    );
    // Verifying signatures with no key is a usage error.
    let o = kvet(
        d,
        &[
            "check",
            "deploy.yaml",
            "--verify-images",
            "--insecure-registry",
            &h,
        ],
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&o.stdout).contains("image-signed needs --cosign-key, or --fulcio-root with --certificate-identity (keyless)"),
        "{}",
        String::from_utf8_lossy(&o.stdout)
    );
    // Keyless flags come as cosign's do: identity and issuer together, with roots and the
    // Rekor key that dates signatures.
    for (flags, want) in [
        (
            vec!["--certificate-identity", "ci@example.com"],
            "needs both --certificate-identity[-regexp] and --certificate-oidc-issuer[-regexp]",
        ),
        (
            vec![
                "--certificate-identity",
                "ci@example.com",
                "--certificate-oidc-issuer",
                "https://x",
            ],
            "keyless verification needs --fulcio-root",
        ),
        (
            vec![
                "--certificate-identity-regexp",
                "(",
                "--certificate-oidc-issuer",
                "https://x",
            ],
            "--certificate-identity-regexp: regex parse error",
        ),
        (
            vec![
                "--certificate-identity",
                "a",
                "--certificate-oidc-issuer",
                "https://x",
                "--fulcio-root",
                "deploy.yaml",
            ],
            "keyless verification needs --rekor-key",
        ),
    ] {
        let mut args = vec!["check", "-o", "json", "deploy.yaml", "--verify-images"];
        args.extend(flags);
        let o = kvet(d, &args);
        assert_eq!(o.status.code(), Some(2));
        let out = String::from_utf8_lossy(&o.stdout);
        assert!(out.contains(want), "{want}: {out}");
    }
    // A key file that is not a key is a usage error.
    std::fs::write(d.join("bad.pub"), "nope").unwrap();
    let o = kvet(
        d,
        &[
            "check",
            "deploy.yaml",
            "--verify-images",
            "--cosign-key",
            "bad.pub",
        ],
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&o.stdout).contains("bad.pub: key bad: no PEM public key found"),
        "{}",
        String::from_utf8_lossy(&o.stdout)
    );
}

#[test]
fn evidence_lets_check_run_offline() {
    let Some(s) = setup() else { return };
    let d = s.dir.path();
    let h = s.reg.host.clone();
    let o = kvet(
        d,
        &[
            "images",
            "fetch",
            "deploy.yaml",
            "-o",
            "evidence.json",
            "--insecure-registry",
            &h,
        ],
    );
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert_eq!(
        String::from_utf8_lossy(&o.stderr),
        "kvet: recorded 2 of 2 images and 1 signatures in evidence.json\n"
    );
    drop(s.reg);
    let o = kvet(
        d,
        &[
            "check",
            "deploy.yaml",
            "-o",
            "json",
            "--policy-set",
            "image-signed",
            "--policy-set",
            "image-digest-pinned",
            "--image-evidence",
            "evidence.json",
            "--cosign-key",
            "release.pub",
        ],
    );
    assert_eq!(
        findings(&o),
        vec![
            ("image-digest-pinned".to_owned(), 14, format!("container api must reference its image by digest: {h}/team/api:1.0 resolves to {0} (pin it as {h}/team/api:1.0@{0})", s.signed)),
            ("image-digest-pinned".to_owned(), 16, format!("container worker must reference its image by digest: {h}/team/worker:2.0 resolves to {0} (pin it as {h}/team/worker:2.0@{0})", s.unsigned)),
            ("image-signed".to_owned(), 16, format!("container worker: image {h}/team/worker:2.0 ({}) has no cosign signature", s.unsigned)),
        ]
    );
}

#[test]
fn pin_rewrites_tags_in_place_and_check_reports_them() {
    let Some(s) = setup() else { return };
    let d = s.dir.path();
    let h = s.reg.host.clone();
    let values = format!("# chart values\nimage:\n  repository: {h}/team/api   # the API\n  tag: \"1.0\"\n\nreplicas: 2\n");
    std::fs::write(d.join("values.yaml"), &values).unwrap();
    let kust = format!("apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n  - deploy.yaml\nimages:\n  # the worker\n  - name: worker\n    newName: {h}/team/worker\n    newTag: \"2.0\"\n");
    std::fs::create_dir(d.join("overlay")).unwrap();
    std::fs::write(d.join("overlay/kustomization.yaml"), &kust).unwrap();
    let deploy = std::fs::read_to_string(d.join("deploy.yaml")).unwrap();

    let o = kvet(
        d,
        &[
            "pin",
            "--check",
            "deploy.yaml",
            "values.yaml",
            "overlay",
            "--insecure-registry",
            &h,
        ],
    );
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(
        String::from_utf8_lossy(&o.stdout).lines().last(),
        Some("4 image(s) not pinned to a digest")
    );
    assert_eq!(
        std::fs::read_to_string(d.join("values.yaml")).unwrap(),
        values
    );

    let o = kvet(
        d,
        &[
            "pin",
            "deploy.yaml",
            "values.yaml",
            "overlay",
            "--insecure-registry",
            &h,
        ],
    );
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let (a, w) = (&s.signed, &s.unsigned);
    assert_eq!(
        std::fs::read_to_string(d.join("deploy.yaml")).unwrap(),
        deploy
            .replace("api:1.0\n", &format!("api:1.0@{a}\n"))
            .replace("worker:2.0\n", &format!("worker:2.0@{w}\n"))
    );
    assert_eq!(
        std::fs::read_to_string(d.join("values.yaml")).unwrap(),
        values.replace("\"1.0\"", &format!("\"1.0@{a}\""))
    );
    assert_eq!(
        std::fs::read_to_string(d.join("overlay/kustomization.yaml")).unwrap(),
        format!("{kust}    digest: {w}\n")
    );

    let o = kvet(
        d,
        &[
            "pin",
            "--check",
            "deploy.yaml",
            "values.yaml",
            "overlay",
            "--insecure-registry",
            &h,
        ],
    );
    assert_eq!(o.status.code(), Some(0));
    assert_eq!(
        String::from_utf8_lossy(&o.stdout),
        "0 image(s) not pinned to a digest\n"
    );
}
