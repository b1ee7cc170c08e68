//! The `kvet` binary end to end: exit codes, stdin, and every output format.

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn kvet(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_kvet"))
        .args(args)
        .current_dir(root())
        .env("NO_COLOR", "1")
        .output()
        .expect("run kvet")
}

fn kvet_stdin(args: &[&str], input: &str) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_kvet"))
        .args(args)
        .current_dir(root())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn kvet");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(input.as_bytes())
        .expect("write stdin");
    child.wait_with_output().expect("wait kvet")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

#[test]
fn valid_manifests_exit_zero() {
    let o = kvet(&["check", "fixtures/manifests/valid"]);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    assert!(
        stdout(&o).contains("0 errors, 0 warnings in 8 files"),
        "{}",
        stdout(&o)
    );
}

#[test]
fn findings_exit_one_and_show_the_snippet() {
    let o = kvet(&["check", "fixtures/manifests/invalid/wrong-type.yaml"]);
    assert_eq!(o.status.code(), Some(1));
    let out = stdout(&o);
    assert!(out.contains("expected integer, got string \"3\""), "{out}");
    assert!(out.contains("wrong-type.yaml:6:13"), "{out}");
    assert!(out.contains("replicas: \"3\""), "{out}");
    assert!(out.contains("kvet::schema"), "{out}");
}

#[test]
fn unreadable_input_exits_two_but_reports_the_rest() {
    let o = kvet(&[
        "check",
        "fixtures/manifests/does-not-exist.yaml",
        "fixtures/manifests/invalid/wrong-type.yaml",
    ]);
    assert_eq!(o.status.code(), Some(2));
    let out = stdout(&o);
    assert!(
        out.contains("cannot read fixtures/manifests/does-not-exist.yaml"),
        "{out}"
    );
    assert!(out.contains("expected integer, got string"), "{out}");
}

#[test]
fn usage_errors_exit_two() {
    assert_eq!(kvet(&["check"]).status.code(), Some(2));
    assert_eq!(
        kvet(&[
            "check",
            "--kubernetes-version",
            "1.12",
            "fixtures/manifests/valid"
        ])
        .status
        .code(),
        Some(2)
    );
    assert_eq!(
        kvet(&["check", "--output", "yaml", "fixtures/manifests/valid"])
            .status
            .code(),
        Some(2)
    );
}

#[test]
fn fail_on_warning_turns_warnings_into_failures() {
    let dup = "fixtures/manifests/invalid/duplicate-key.yaml";
    assert_eq!(kvet(&["check", dup]).status.code(), Some(1));
    assert_eq!(kvet(&["check", "--no-strict", dup]).status.code(), Some(0));
    assert_eq!(
        kvet(&["check", "--no-strict", "--fail-on", "warning", dup])
            .status
            .code(),
        Some(1)
    );
}

#[test]
fn stdin_is_read_with_dash() {
    let o = kvet_stdin(
        &["check", "-o", "json", "-"],
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\ndata:\n  count: 1\n",
    );
    assert_eq!(o.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("json");
    let f = &v["findings"][0];
    assert_eq!(f["location"]["file"], "<stdin>");
    assert_eq!(f["pointer"], "/data/count");
    assert_eq!(f["location"]["line"], 6);
}

#[test]
fn json_output_has_findings_and_summary() {
    let o = kvet(&[
        "check",
        "-o",
        "json",
        "fixtures/manifests/invalid/bad-enum.yaml",
    ]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("json");
    assert_eq!(v["summary"]["objects"], 1);
    assert_eq!(
        v["summary"]["errors"],
        v["findings"].as_array().unwrap().len()
    );
    let f = &v["findings"][0];
    assert_eq!(f["rule"], "schema");
    assert_eq!(f["severity"], "error");
    assert_eq!(f["object"]["kind"], "Service");
    assert_eq!(f["object"]["name"], "bad-enum");
    assert_eq!(f["pointer"], "/spec/type");
    assert_eq!(f["location"]["line"], 6);
    assert_eq!(f["location"]["column"], 9);
}

#[test]
fn github_output_is_workflow_commands() {
    let o = kvet(&[
        "check",
        "-o",
        "github",
        "fixtures/manifests/invalid/wrong-type.yaml",
    ]);
    let out = stdout(&o);
    let first = out.lines().next().expect("a line");
    assert!(
        first.starts_with("::error file=fixtures/manifests/invalid/wrong-type.yaml,line=6,col=13,"),
        "{first}"
    );
    assert!(
        first.contains("title=kvet schema (Deployment wrong-type)::"),
        "{first}"
    );
}

#[test]
fn sarif_output_is_sarif_2_1_0() {
    let o = kvet(&[
        "check",
        "-o",
        "sarif",
        "fixtures/manifests/invalid/wrong-type.yaml",
    ]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("json");
    assert_eq!(v["version"], "2.1.0");
    let run = &v["runs"][0];
    assert_eq!(run["tool"]["driver"]["name"], "kvet");
    let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
    let r = &run["results"][0];
    let idx = r["ruleIndex"].as_u64().unwrap() as usize;
    assert_eq!(rules[idx]["id"], r["ruleId"]);
    let region = &r["locations"][0]["physicalLocation"]["region"];
    assert_eq!(region["startLine"], 6);
    assert_eq!(region["startColumn"], 13);
    assert_eq!(
        r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
        "fixtures/manifests/invalid/wrong-type.yaml"
    );
}

#[test]
fn junit_output_names_failing_objects() {
    let o = kvet(&[
        "check",
        "-o",
        "junit",
        "fixtures/manifests/invalid/wrong-type.yaml",
        "fixtures/manifests/valid/service.yaml",
    ]);
    let out = stdout(&o);
    assert!(out.starts_with("<?xml"), "{out}");
    assert!(
        out.contains(
            "<testsuite name=\"fixtures/manifests/valid/service.yaml\" tests=\"1\" failures=\"0\""
        ),
        "{out}"
    );
    assert!(
        out.contains("<testcase name=\"apps/v1 Deployment wrong-type\""),
        "{out}"
    );
    assert!(out.contains("<failure type=\"schema\""), "{out}");
    assert_eq!(
        out.matches("<testsuite ").count(),
        out.matches("</testsuite>").count()
    );
}

#[test]
fn summary_counts_kinds_and_rules() {
    let o = kvet(&["check", "--summary", "fixtures/manifests/invalid"]);
    let out = stdout(&o);
    assert!(out.contains("Summary (Kubernetes 1.37)"), "{out}");
    assert!(out.contains("Deployment"), "{out}");
    assert!(out.contains("no-schema"), "{out}");
}

#[test]
fn kind_filters() {
    let o = kvet(&[
        "check",
        "-o",
        "json",
        "--skip-kinds",
        "Deployment",
        "fixtures/manifests/invalid/wrong-type.yaml",
    ]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("json");
    assert_eq!(v["findings"].as_array().unwrap().len(), 0);
    assert_eq!(v["summary"]["skipped"], 1);
    let o = kvet(&[
        "check",
        "-o",
        "json",
        "--only-kinds",
        "v1/Service",
        "fixtures/manifests/invalid",
    ]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("json");
    for f in v["findings"].as_array().unwrap() {
        if let Some(kind) = f["object"]["kind"].as_str() {
            assert_eq!(kind, "Service", "{f}");
        }
    }
}

#[test]
fn schemas_list_shows_every_minor() {
    let out = stdout(&kvet(&["schemas", "list"]));
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.first(), Some(&"1.25"));
    assert_eq!(lines.last(), Some(&"1.37  (default)"));
    assert_eq!(lines.len(), 13);
}

#[test]
fn schema_location_templates_read_local_catalogs() {
    let o = kvet(&[
        "check",
        "-o",
        "json",
        "--schema-location",
        "fixtures/schema-location/{{ .ResourceKind }}{{ .KindSuffix }}.json",
        "--schema-location",
        "default",
        "fixtures/schema-location/widget.yaml",
    ]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("json");
    let findings = v["findings"].as_array().unwrap();
    assert_eq!(findings.len(), 1, "{v}");
    assert_eq!(findings[0]["pointer"], "/spec/size");
    assert_eq!(findings[0]["location"]["line"], 6);
    assert_eq!(v["summary"]["validated"], 2);
}

/// A real HTTP server on loopback (Python's http.server) serves a schema catalog; kvet fetches
/// it once, caches it, and validates from the cache after the server is gone.
#[test]
fn schema_locations_over_http_are_cached() {
    use std::net::TcpListener;
    let port = TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port");
    let dir = root().join("fixtures/schema-location");
    let mut server = match Command::new("python3")
        .args([
            "-m",
            "http.server",
            "--bind",
            "127.0.0.1",
            &port.to_string(),
        ])
        .current_dir(&dir)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
    {
        Ok(s) => s,
        Err(e) => panic!("python3 is needed for this test: {e}"),
    };
    // Wait (bounded) for the server to listen.
    for _ in 0..100 {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let cache = std::env::temp_dir().join(format!("kvet-cache-test-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&cache);
    let template =
        format!("http://127.0.0.1:{port}/{{{{ .ResourceKind }}}}{{{{ .KindSuffix }}}}.json");
    let args = [
        "check",
        "-o",
        "json",
        "--schema-location",
        template.as_str(),
        "--schema-location",
        "default",
        "--schema-cache",
        cache.to_str().expect("utf-8 path"),
        "fixtures/schema-location/widget.yaml",
    ];
    let first = kvet(&args);
    let _ = server.kill();
    let _ = server.wait();
    let v: serde_json::Value = serde_json::from_slice(&first.stdout).expect("json");
    assert_eq!(v["findings"][0]["pointer"], "/spec/size", "{v}");
    let cached = std::fs::read_dir(&cache).map(|d| d.count()).unwrap_or(0);
    assert_eq!(cached, 1, "one schema cached");
    assert_eq!(v["findings"].as_array().map(Vec::len), Some(1), "{v}");
    // The server is gone: the Widget schema comes from the cache; the ConfigMap lookup, which
    // was a 404 before, now fails to connect and says so rather than passing silently.
    let second = kvet(&args);
    let v2: serde_json::Value = serde_json::from_slice(&second.stdout).expect("json");
    let f2 = v2["findings"].as_array().expect("findings");
    assert_eq!(f2.len(), 2, "{v2}");
    assert_eq!(f2[0]["pointer"], "/spec/size");
    assert_eq!(f2[1]["rule"], "no-schema");
    assert!(
        f2[1]["message"]
            .as_str()
            .is_some_and(|m| m.starts_with("cannot load the schema for v1 ConfigMap")),
        "{v2}"
    );
    let _ = std::fs::remove_dir_all(&cache);
}

#[test]
fn policies_from_the_command_line() {
    let o = kvet(&[
        "check",
        "-o",
        "json",
        "--policy",
        "fixtures/policies/conftest",
        "--data",
        "fixtures/policies/conftest/data.yaml",
        "--namespace",
        "main",
        "--namespace",
        "kubernetes.*",
        "--policy-set",
        "none",
        "fixtures/policies/manifests",
    ]);
    assert_eq!(o.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("json");
    let rules: Vec<&str> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|f| f["rule"].as_str())
        .collect();
    assert_eq!(
        rules,
        vec![
            "main.deny",
            "main.deny_latest_tag",
            "kubernetes.labels.violation",
            "main.warn"
        ]
    );
    // Warnings alone pass unless --fail-on warning.
    let svc = "fixtures/manifests/valid/service.yaml";
    let nodeport = kvet_stdin(
        &["check", "--policy", "fixtures/policies/conftest/main.rego", "-"],
        "apiVersion: v1\nkind: Service\nmetadata:\n  name: s\nspec:\n  type: NodePort\n  ports:\n  - port: 80\n",
    );
    assert_eq!(nodeport.status.code(), Some(0), "{}", stdout(&nodeport));
    assert!(stdout(&nodeport).contains("NodePort Services bypass"));
    let strict = kvet_stdin(
        &["check", "--fail-on", "warning", "--policy", "fixtures/policies/conftest/main.rego", "-"],
        "apiVersion: v1\nkind: Service\nmetadata:\n  name: s\nspec:\n  type: NodePort\n  ports:\n  - port: 80\n",
    );
    assert_eq!(strict.status.code(), Some(1));
    assert_eq!(
        kvet(&["check", "--policy", "fixtures/policies/conftest", svc])
            .status
            .code(),
        Some(0)
    );
}

#[test]
fn a_broken_policy_exits_two_with_its_location() {
    let o = kvet(&[
        "check",
        "--policy",
        "fixtures/policies/broken/undefined.rego",
        "fixtures/manifests/valid/service.yaml",
    ]);
    assert_eq!(o.status.code(), Some(2));
    let out = stdout(&o);
    assert!(out.contains("kvet::policy-load"), "{out}");
    assert!(
        out.contains("fixtures/policies/broken/undefined.rego:6:"),
        "{out}"
    );
    assert!(out.contains("no_such_function"), "{out}");
}

#[test]
fn kvet_test_runs_rego_unit_tests() {
    let o = kvet(&["test", "fixtures/policies/conftest"]);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    let out = stdout(&o);
    assert!(out.contains("PASS main.test_legacy_excepted"), "{out}");
    assert!(out.contains("4 passed, 0 failed"), "{out}");

    let o = kvet(&["test", "fixtures/policies/failing-test"]);
    assert_eq!(o.status.code(), Some(1));
    let out = stdout(&o);
    assert!(
        out.contains(
            "FAIL main.test_wrong_expectation (fixtures/policies/failing-test/policy_test.rego)"
        ),
        "{out}"
    );
    assert!(out.contains("1 passed, 1 failed"), "{out}");

    let o = kvet(&["test", "fixtures/policies/broken/syntax.rego"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("syntax.rego:7:25"));
}

#[test]
fn kvet_verify_runs_gatekeeper_suites() {
    let o = kvet(&["verify", "fixtures/policies/gatekeeper/suite"]);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    let out = stdout(&o);
    assert!(
        out.contains(
            "ok   fixtures/policies/gatekeeper/suite/suite.yaml unique-ingress-host/host-taken"
        ),
        "{out}"
    );
    assert!(out.contains("4 passed, 0 failed"), "{out}");

    let o = kvet(&[
        "verify",
        "fixtures/policies/gatekeeper/failing-suite/suite.yaml",
    ]);
    assert_eq!(o.status.code(), Some(1));
    let out = stdout(&o);
    assert!(
        out.contains("FAIL fixtures/policies/gatekeeper/failing-suite/suite.yaml required-labels/wrong-expectation: expected no violations, got 1"),
        "{out}"
    );
    assert!(out.contains("1 passed, 1 failed"), "{out}");
    assert_eq!(
        kvet(&["verify", "fixtures/manifests/valid"]).status.code(),
        Some(2)
    );
}

#[test]
fn builtin_policy_sets() {
    // tag-pinning is on by default …
    let o = kvet(&[
        "check",
        "-o",
        "json",
        "fixtures/policies/manifests/apps.yaml",
    ]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("json");
    let rules: Vec<&str> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|f| f["rule"].as_str())
        .collect();
    assert_eq!(rules, vec!["tag-pinning", "tag-pinning"]);
    // … and `none` turns the library off.
    let o = kvet(&[
        "check",
        "--policy-set",
        "none",
        "fixtures/policies/manifests/apps.yaml",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    // An unknown set is a usage problem.
    let o = kvet(&["check", "--policy-set", "nope", "fixtures/manifests/valid"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stdout(&o).contains("unknown policy set \"nope\""));
    let list = stdout(&kvet(&["policies", "list"]));
    assert!(
        list.contains("\ntag-pinning (default)\n  Images are pinned to a version [error]"),
        "{list}"
    );
    assert!(
        list.starts_with("allowed-registries\n  Images come from allowed registries [error]"),
        "{list}"
    );
}

#[test]
fn the_builtin_library_passes_its_own_tests() {
    let o = kvet(&["test", "policies"]);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    assert!(stdout(&o).contains(" 0 failed"));
}

fn kvet_in(dir: &str, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_kvet"))
        .args(args)
        .current_dir(root().join(dir))
        .env("NO_COLOR", "1")
        .output()
        .expect("run kvet")
}

fn json_of(o: &Output) -> serde_json::Value {
    serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("{e}: {}", stdout(o)))
}

/// (rule, file, line) of every finding.
fn located(v: &serde_json::Value) -> Vec<(String, String, u64)> {
    v["findings"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|f| {
                    (
                        f["rule"].as_str().unwrap_or("").to_owned(),
                        f["location"]["file"].as_str().unwrap_or("").to_owned(),
                        f["location"]["line"].as_u64().unwrap_or(0),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn the_config_file_is_found_upward_and_exceptions_apply() {
    // From the project root and from a directory below it, the same gate applies.
    for (dir, path, shown) in [
        ("fixtures/config", "manifests", "manifests/"),
        ("fixtures/config/manifests", ".", ""),
    ] {
        let o = kvet_in(dir, &["check", path, "-o", "json"]);
        assert_eq!(o.status.code(), Some(1), "{}", stdout(&o));
        let v = json_of(&o);
        // Kubernetes version and policy sets come from .kvet.yaml.
        assert_eq!(v["kubernetesVersion"], "1.33");
        let exceptions = if dir == "fixtures/config" {
            ".kvet/exceptions.yaml"
        } else {
            "../.kvet/exceptions.yaml"
        };
        let _ = exceptions;
        let mut got = located(&v);
        for g in &mut got {
            g.1 = g.1.trim_start_matches("./").to_owned();
        }
        let want: Vec<(String, String, u64)> = vec![
            // The expired exception is reported at its expiry date, and no longer waives.
            ("exception-expired".into(), "EXC".into(), 15),
            ("tag-pinning".into(), format!("{shown}apps.yaml"), 31),
            // The Pod may waive allowed-registries itself, but not tag-pinning.
            (
                "exception-not-allowed".into(),
                format!("{shown}apps.yaml"),
                39,
            ),
            (
                "allowed-registries".into(),
                format!("{shown}vendor.yaml"),
                9,
            ),
        ];
        assert_eq!(got.len(), want.len(), "{got:?}");
        for (g, w) in got.iter().zip(&want) {
            assert_eq!(g.0, w.0, "{got:?}");
            assert_eq!(g.2, w.2, "{got:?}");
            if w.1 != "EXC" {
                assert_eq!(g.1, w.1, "{got:?}");
            } else {
                assert!(g.1.ends_with(".kvet/exceptions.yaml"), "{got:?}");
            }
        }
        // The Deployment in namespace legacy is waived by an approved exception, the Pod's
        // registry finding by its own annotation; both are listed with who approved them.
        let waived = v["waived"].as_array().expect("waived");
        assert_eq!(waived.len(), 2, "{waived:?}");
        assert_eq!(v["summary"]["waived"], 2);
        assert!(waived.iter().any(
            |w| w["approvedBy"] == "jane@example.com" && w["finding"]["rule"] == "tag-pinning"
        ));
        assert!(waived.iter().any(
            |w| w["approvedBy"] == "annotation" && w["finding"]["rule"] == "allowed-registries"
        ));
    }
    // --no-config: the defaults again (newest Kubernetes, default sets, no exceptions).
    let o = kvet_in(
        "fixtures/config",
        &["check", "--no-config", "manifests", "-o", "json"],
    );
    let v = json_of(&o);
    assert_ne!(v["kubernetesVersion"], "1.33");
    assert!(!located(&v).iter().any(|f| f.0 == "allowed-registries"));
    assert_eq!(v["summary"]["waived"], 0);
}

#[test]
fn broken_config_and_exceptions_are_located_usage_errors() {
    let dir = std::env::temp_dir().join(format!("kvet-config-{}", std::process::id()));
    std::fs::create_dir_all(dir.join(".kvet")).expect("dir");
    std::fs::write(
        dir.join(".kvet.yaml"),
        "policySets: [tag-pinning]\npssVersion: \"2.1\"\nparameters:\n  tag-pinning: {digests: [x]}\n",
    )
    .expect("write");
    std::fs::write(dir.join("pod.yaml"), "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers: [{name: c, image: \"nginx:1.27\"}]\n").expect("write");
    let run = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_kvet"))
            .args(args)
            .current_dir(&dir)
            .env("NO_COLOR", "1")
            .output()
            .expect("run kvet")
    };
    let o = run(&["check", "pod.yaml", "-o", "json"]);
    assert_eq!(o.status.code(), Some(2), "{}", stdout(&o));
    let got = located(&json_of(&o));
    assert_eq!(
        got,
        vec![
            ("config".to_owned(), ".kvet.yaml".to_owned(), 2),
            ("config".to_owned(), ".kvet.yaml".to_owned(), 4)
        ]
    );
    std::fs::write(dir.join(".kvet.yaml"), "policySets: [tag-pinning]\n").expect("write");
    std::fs::write(
        dir.join(".kvet/exceptions.yaml"),
        "exceptions:\n  - rule: tag-pinning\n    match: [{kind: Pod}]\n    reason: r\n    expires: 2027-13-01\n",
    )
    .expect("write");
    let o = run(&["check", "pod.yaml", "-o", "json"]);
    assert_eq!(o.status.code(), Some(2), "{}", stdout(&o));
    let v = json_of(&o);
    let msgs: Vec<String> = v["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| {
            format!(
                "{}:{}",
                f["location"]["line"],
                f["message"].as_str().unwrap_or("")
            )
        })
        .collect();
    assert!(
        msgs.iter()
            .any(|m| m.starts_with("2:") && m.contains("approvedBy")),
        "{msgs:?}"
    );
    assert!(
        msgs.iter()
            .any(|m| m.starts_with("5:") && m.contains("YYYY-MM-DD")),
        "{msgs:?}"
    );
    // An explicit --exceptions file replaces the default one.
    std::fs::write(
        dir.join("other.yaml"),
        "- rule: tag-pinning\n  match: [{kind: Pod}]\n  approvedBy: a\n  reason: r\n",
    )
    .expect("write");
    let o = run(&["check", "pod.yaml", "--exceptions", "other.yaml"]);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn combine_gives_policies_every_file_at_once() {
    let args = [
        "check",
        "--combine",
        "--policy-set",
        "none",
        "-p",
        "fixtures/policies/combine/policy.rego",
        "fixtures/policies/combine/deployments.yaml",
        "fixtures/policies/combine/service.yaml",
        "-o",
        "json",
    ];
    let o = kvet(&args);
    assert_eq!(o.status.code(), Some(1), "{}", stdout(&o));
    // The worker Deployment (second document of the first file) has no Service; the result's
    // _loc, /0/contents/1/metadata/name, lands on its name.
    assert_eq!(
        located(&json_of(&o)),
        vec![(
            "main.deny".to_owned(),
            "fixtures/policies/combine/deployments.yaml".to_owned(),
            18
        )]
    );
    // Without the Service file the web Deployment is unserved too.
    let o = kvet(
        &args[..7]
            .iter()
            .chain(&args[8..])
            .copied()
            .collect::<Vec<_>>(),
    );
    assert_eq!(located(&json_of(&o)).len(), 2, "{}", stdout(&o));
}

#[test]
fn a_policy_that_allocates_without_bound_fails_its_object_only() {
    let dir = std::env::temp_dir().join(format!("kvet-mem-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let policy = dir.join("greedy.rego");
    std::fs::write(
        &policy,
        "package main\nimport rego.v1\ndeny contains \"big\" if {\n  input.metadata.name == \"greedy\"\n  xs := [s | some i in numbers.range(1, 20000000); s := sprintf(\"%d\", [i])]\n  count(xs) > 0\n}\ndeny contains \"named\" if input.metadata.name == \"modest\"\n",
    )
    .expect("write");
    let pods = dir.join("pods.yaml");
    std::fs::write(
        &pods,
        "apiVersion: v1\nkind: Pod\nmetadata: {name: greedy}\nspec:\n  containers: [{name: c, image: \"nginx:1.27\"}]\n---\napiVersion: v1\nkind: Pod\nmetadata: {name: modest}\nspec:\n  containers: [{name: c, image: \"nginx:1.27\"}]\n",
    )
    .expect("write");
    let o = kvet(&[
        "check",
        "--policy-set",
        "none",
        "--policy-memory-limit",
        "64",
        "-p",
        policy.to_str().expect("utf-8"),
        pods.to_str().expect("utf-8"),
        "-o",
        "json",
    ]);
    let v = json_of(&o);
    let f = v["findings"].as_array().expect("findings");
    assert_eq!(f.len(), 2, "{f:?}");
    assert_eq!(f[0]["rule"], "policy-error");
    assert!(
        f[0]["message"]
            .as_str()
            .unwrap_or("")
            .contains("memory limit"),
        "{f:?}"
    );
    assert_eq!(f[1]["rule"], "main.deny");
    assert_eq!(f[1]["message"], "named");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn findings_on_a_chart_land_on_the_template_line() {
    let o = kvet(&[
        "check",
        "--no-config",
        "fixtures/charts-findings/web",
        "-o",
        "json",
    ]);
    assert_eq!(o.status.code(), Some(1), "{}", stdout(&o));
    let v = json_of(&o);
    let f = v["findings"].as_array().expect("findings");
    let at = |i: usize, key: &str| {
        let l = &f[i][key];
        (
            l["file"].as_str().unwrap_or("").to_owned(),
            l["line"].as_u64().unwrap_or(0),
            l["column"].as_u64().unwrap_or(0),
        )
    };
    let template = "fixtures/charts-findings/web/templates/deployment.yaml".to_owned();
    let rendered = "fixtures/charts-findings/web#templates/deployment.yaml".to_owned();
    assert_eq!(f.len(), 2, "{f:?}");
    // A literal in the template: the exact line and column of the image.
    assert_eq!(f[0]["rule"], "tag-pinning");
    assert_eq!(at(0, "location"), (template.clone(), 19, 18));
    assert_eq!(at(0, "rendered"), (rendered.clone(), 22, 18));
    // A value from .Values through toYaml | nindent: the action that printed it.
    assert_eq!(f[1]["rule"], "schema");
    assert_eq!(
        f[1]["pointer"],
        "/spec/template/spec/containers/0/resources/requests/cpu"
    );
    assert_eq!(at(1, "location"), (template, 21, 17));
    assert_eq!(at(1, "rendered"), (rendered, 25, 20));
    // The text report shows the template's own line.
    let o = kvet(&["check", "--no-config", "fixtures/charts-findings/web"]);
    assert!(
        stdout(&o).contains("{{- toYaml .Values.resources | nindent 12 }}"),
        "{}",
        stdout(&o)
    );
}

#[test]
fn render_prints_what_helm_template_prints() {
    for (chart, args, golden) in [
        (
            "fixtures/charts/large",
            vec![],
            "fixtures/charts/large/golden/default.yaml",
        ),
        (
            "fixtures/charts/basic",
            vec![
                "--values",
                "fixtures/charts/basic/ci/overrides-values.yaml",
                "--set",
                "replicaCount=7",
                "--set-string",
                "config.MAX_CONNECTIONS=250",
                "--namespace",
                "shop",
            ],
            "fixtures/charts/basic/golden/overrides.yaml",
        ),
    ] {
        let release = if golden.contains("overrides") {
            "web"
        } else {
            "rel"
        };
        let mut a = vec!["render", release, chart, "--kube-version", "1.33.0"];
        a.extend(args);
        let o = kvet(&a);
        assert_eq!(
            o.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&o.stderr)
        );
        let want = std::fs::read_to_string(root().join(golden)).expect("golden");
        assert_eq!(stdout(&o), want, "{chart}");
    }
    // A broken chart: a located error, exit 1.
    let o = kvet(&["render", "fixtures/manifests"]);
    assert_eq!(o.status.code(), Some(1));
    // Values that break values.schema.json: every violation, as helm lists them.
    let o = kvet(&[
        "render",
        "fixtures/charts/schema-values",
        "--set",
        "replicas=abc",
        "--set",
        "image.pullPolicy=Sometimes",
        "--set",
        "ports[0]=0",
    ]);
    assert_eq!(o.status.code(), Some(1));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("fixtures/charts/schema-values/values.schema.json: values don't meet the specifications of the schema(s) in the following chart(s):\nschema-values:\n- at '/replicas': got string, want integer\n- at '/image/pullPolicy': value must be one of 'Always', 'IfNotPresent', 'Never'\n- at '/ports/0': minimum: got 0, want 1"), "{err}");
}

#[test]
fn broken_charts_are_located_errors_that_hide_nothing_else() {
    let o = kvet(&[
        "check",
        "--no-config",
        "fixtures/charts-broken",
        "fixtures/pss/versioned.yaml",
        "--pss-version",
        "1.28",
        "-o",
        "json",
    ]);
    // Other inputs are still checked: the PSS finding is there.
    assert_eq!(o.status.code(), Some(1), "{}", stdout(&o));
    let got = located(&json_of(&o));
    let want: Vec<(String, String, u64)> = [
        (
            "helm",
            "fixtures/charts-broken/recursion/templates/_loop.tpl",
            2,
        ),
        (
            "helm",
            "fixtures/charts-broken/required/templates/pod.yaml",
            8,
        ),
        ("helm", "fixtures/charts-broken/syntax/templates/cm.yaml", 7),
        ("helm", "fixtures/charts-broken/until/templates/cm.yaml", 6),
        ("pss-baseline/sysctls", "fixtures/pss/versioned.yaml", 11),
    ]
    .iter()
    .map(|(r, f, l)| ((*r).to_owned(), (*f).to_owned(), *l))
    .collect();
    assert_eq!(got, want);
    let v = json_of(&o);
    let messages: Vec<&str> = v["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter_map(|f| f["message"].as_str())
        .collect();
    assert!(messages[0].contains("nested calls"), "{}", messages[0]);
    assert!(messages[0].len() < 1000);
    assert!(messages[1].ends_with("image.tag is required"));
    assert!(messages[2].contains("unclosed action"));
    assert!(messages[3].contains("over the limit"));
}
