//! The module's API on the host: the same JSON the CLI prints, charts from memory, errors with
//! locations.

use kvet_engine::files::FileSet;
use kvet_engine::Date;
use kvet_wasm::api;
use serde_json::{json, Value};

const TODAY: Date = Date {
    year: 2026,
    month: 1,
    day: 1,
};

fn set(files: &[(&str, &str)]) -> FileSet {
    let mut s = FileSet::new();
    for (p, t) in files {
        s.insert(p, t.as_bytes().to_vec()).unwrap();
    }
    s
}

const BAD_REPLICAS: &str = "apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: many
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
        - name: web
          image: nginx@sha256:0000000000000000000000000000000000000000000000000000000000000000
";

#[test]
fn schema_violation_is_found_at_its_line() {
    let r = api::check(
        &set(&[("app/deploy.yaml", BAD_REPLICAS)]),
        &Value::Null,
        TODAY,
    )
    .unwrap();
    let findings = r["findings"].as_array().unwrap();
    let schema: Vec<&Value> = findings.iter().filter(|f| f["rule"] == "schema").collect();
    assert_eq!(schema.len(), 1, "{findings:#?}");
    assert_eq!(schema[0]["location"]["file"], "app/deploy.yaml");
    assert_eq!(schema[0]["location"]["line"], 6);
    assert_eq!(schema[0]["pointer"], "/spec/replicas");
    assert_eq!(r["summary"]["objects"], 1);
    assert_eq!(
        r["kubernetesVersion"],
        api::about()["kubernetesVersions"]
            .as_array()
            .unwrap()
            .last()
            .unwrap()
            .clone()
    );
}

#[test]
fn policy_sets_and_parameters_apply() {
    let pod = "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n    - name: c\n      image: nginx:latest\n";
    let files = set(&[("pod.yaml", pod)]);
    let rules = |opts: Value| -> Vec<String> {
        let r = api::check(&files, &opts, TODAY).unwrap();
        r["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["rule"].as_str().unwrap().to_owned())
            .collect()
    };
    assert!(rules(Value::Null)
        .iter()
        .any(|r| r.starts_with("tag-pinning")));
    assert!(rules(json!({"policySets": ["none"]})).is_empty());
    let custom = json!({
        "policySets": ["none"],
        "policies": [{"path": "deny.rego", "text": "package main\nimport rego.v1\ndeny contains msg if { input.kind == \"Pod\"; msg := \"no pods\" }\n"}],
    });
    let r = api::check(&files, &custom, TODAY).unwrap();
    assert_eq!(r["findings"][0]["message"], "no pods");
}

const CHART: &str = "apiVersion: v2\nname: demo\nversion: 0.1.0\n";
const TEMPLATE: &str = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}\ndata:\n  count: {{ .Values.count }}\n  bogus: [1]\n";

#[test]
fn charts_render_from_memory_and_map_back_to_templates() {
    let files = set(&[
        ("demo/Chart.yaml", CHART),
        ("demo/values.yaml", "count: \"1\"\n"),
        ("demo/templates/cm.yaml", TEMPLATE),
    ]);
    let r = api::check(&files, &json!({"policySets": ["none"]}), TODAY).unwrap();
    // `count: 1` renders an integer where a string belongs (line 6), and `bogus` a list.
    let lines: Vec<u64> = r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["location"]["line"].as_u64().unwrap())
        .collect();
    assert_eq!(lines, [6, 7], "{r:#}");
    let f = &r["findings"][1];
    assert_eq!(f["rule"], "schema", "{r:#}");
    assert_eq!(f["location"]["file"], "demo/templates/cm.yaml");
    assert_eq!(f["location"]["line"], 7);
    // The template text came from memory, so the finding has an exact offset.
    assert_eq!(
        f["location"]["offset"].as_u64().unwrap() as usize,
        TEMPLATE.find("bogus").unwrap() + "bogus: ".len()
    );
    let out = api::render(&files, &json!({"chart": "demo", "releaseName": "rel"})).unwrap();
    assert_eq!(
        out["documents"][0]["text"].as_str().unwrap(),
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: rel\ndata:\n  count: 1\n  bogus: [1]"
    );
    assert_eq!(out["documents"][0]["source"], "demo/templates/cm.yaml");
}

#[test]
fn template_errors_are_findings_with_locations() {
    let files = set(&[
        ("demo/Chart.yaml", CHART),
        ("demo/templates/x.yaml", "a: {{ .Values.x | nosuchfunc }}\n"),
    ]);
    let r = api::check(&files, &Value::Null, TODAY).unwrap();
    let f = &r["findings"][0];
    assert_eq!(f["rule"], "helm");
    assert_eq!(f["location"]["file"], "demo/templates/x.yaml");
    assert_eq!(f["location"]["line"], 1);
    assert!(f["message"].as_str().unwrap().contains("nosuchfunc"), "{f}");
    let e = api::render(&files, &json!({"chart": "demo"})).unwrap_err();
    assert!(
        e.display().starts_with("demo/templates/x.yaml:1:"),
        "{}",
        e.display()
    );
}

#[test]
fn config_and_exceptions_come_from_the_set() {
    let pod = "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n    - name: c\n      image: nginx:latest\n";
    let files = set(&[
        (".kvet.yaml", "policySets: [tag-pinning]\n"),
        (
            ".kvet/exceptions.yaml",
            "exceptions:\n  - rule: tag-pinning\n    match:\n      - file: m/pod.yaml\n    approvedBy: ops\n    reason: test\n    expires: 2026-06-30\n",
        ),
        ("m/pod.yaml", pod),
    ]);
    let r = api::check(&files, &json!({"paths": ["m"]}), TODAY).unwrap();
    assert_eq!(r["findings"], json!([]), "{r:#}");
    assert!(r["summary"]["waived"].as_u64().unwrap() >= 1);
    // Past its expiry date the exception no longer applies, and says so.
    let later = Date {
        year: 2026,
        month: 7,
        day: 1,
    };
    let expired = api::check(&files, &json!({"paths": ["m"]}), later).unwrap();
    let rules: Vec<&str> = expired["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["rule"].as_str().unwrap())
        .collect();
    assert!(rules.contains(&"exception-expired"), "{rules:?}");
    let unwaived = api::check(
        &files,
        &json!({"paths": ["m"], "noConfig": true, "policySets": ["tag-pinning"]}),
        TODAY,
    )
    .unwrap();
    assert!(!unwaived["findings"].as_array().unwrap().is_empty());
}

#[test]
fn bad_options_and_inputs_are_errors_with_a_location() {
    let files = set(&[("a.yaml", "kind: X\n")]);
    let e = api::check(&files, &json!({"kubernetesVersion": "banana"}), TODAY).unwrap_err();
    assert_eq!(e.file.as_deref(), Some("options"));
    assert!(e.message.starts_with("options.kubernetesVersion:"), "{e:?}");
    let e = api::check(&files, &json!({"nosuch": 1}), TODAY).unwrap_err();
    assert!(e.message.contains("unknown option"), "{e:?}");
    let e = api::check(&set(&[(".kvet.yaml", "strict: [\n")]), &Value::Null, TODAY).unwrap_err();
    assert_eq!(e.file.as_deref(), Some(".kvet.yaml"));
    assert!(e.line >= 1);
    let e = api::render(&files, &json!({})).unwrap_err();
    assert!(e.message.contains("chart"));
}

#[test]
fn kustomizations_are_built_in_the_set() {
    let files = set(&[
        (
            "app/kustomization.yaml",
            "namePrefix: prod-\nresources: [../base]\ncommonLabels: {team: shop}\n",
        ),
        ("base/kustomization.yaml", "resources: [pod.yaml]\n"),
        (
            "base/pod.yaml",
            "apiVersion: v1\nkind: Pod\nmetadata:\n  name: web\nspec:\n  containers:\n  - name: web\n    image: nginx:latest\n",
        ),
        ("broken/kustomization.yaml", "resources:\n- missing.yaml\n"),
    ]);
    let r = api::check(&files, &json!({"paths": ["app", "broken"]}), TODAY).unwrap();
    let findings = r["findings"].as_array().unwrap();
    // The image finding lands in the base file, on the object as built.
    let tag = findings
        .iter()
        .find(|f| f["rule"] == "tag-pinning")
        .expect("tag-pinning");
    assert_eq!(tag["location"]["file"], "base/pod.yaml");
    assert_eq!(tag["location"]["line"], 8);
    assert_eq!(tag["object"]["name"], "prod-web");
    // Deprecated fields warn and build errors are located at the kustomization line.
    let at = |rule: &str, sev: &str| {
        findings
            .iter()
            .find(|f| f["rule"] == rule && f["severity"] == sev)
            .map(|f| (f["location"]["file"].clone(), f["location"]["line"].clone()))
    };
    assert_eq!(
        at("kustomize", "warning"),
        Some((json!("app/kustomization.yaml"), json!(3)))
    );
    assert_eq!(
        at("kustomize", "error"),
        Some((json!("broken/kustomization.yaml"), json!(2)))
    );
    // render: what kubectl kustomize prints.
    let out = api::render(&files, &json!({"kustomization": "app"})).unwrap();
    let manifest = out["manifest"].as_str().unwrap();
    assert!(
        manifest.contains("name: prod-web") && manifest.contains("team: shop"),
        "{manifest}"
    );
    assert_eq!(out["warnings"][0]["line"], 3);
    let e = api::render(&files, &json!({"kustomization": "broken"})).unwrap_err();
    assert_eq!(
        (e.file.as_deref(), e.line),
        (Some("broken/kustomization.yaml"), 2)
    );
}

#[test]
fn warming_compiles_what_the_first_check_needs() {
    const POD: &str =
        "apiVersion: v1\nkind: Pod\nmetadata: {name: a}\nspec:\n  containers: [{name: a, image: nginx}]\n";
    let built = |checkers, policies| api::Compilations { checkers, policies };
    // Each test runs on its own thread, and the caches and counts are the thread's.
    assert_eq!(api::compilations(), built(0, 0));
    api::warm(&Value::Null, TODAY);
    assert_eq!(
        api::compilations(),
        built(1, 1),
        "warming builds a checker and the default policies"
    );
    let warm_report = api::check(&set(&[("a.yaml", POD)]), &Value::Null, TODAY).unwrap();
    assert_eq!(
        api::compilations(),
        built(1, 1),
        "the first check after warm() compiled again"
    );
    assert!(
        warm_report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["rule"] == "tag-pinning"),
        "{warm_report}"
    );

    // Warming for other options (files named by options are left to the check).
    let oldest = api::about()["kubernetesVersions"][0].clone();
    let other =
        json!({"policySets": ["pss-restricted"], "kubernetesVersion": oldest, "paths": ["a.yaml"]});
    api::warm(&other, TODAY);
    assert_eq!(api::compilations(), built(2, 2));
    let other_report = api::check(&set(&[("a.yaml", POD)]), &other, TODAY).unwrap();
    assert_eq!(api::compilations(), built(2, 2));
    // Options that differ compile anew.
    api::check(&set(&[("a.yaml", POD)]), &json!({"strict": false}), TODAY).unwrap();
    assert_eq!(api::compilations(), built(3, 3));

    // Warmed or not, the reports are the same.
    let cold = std::thread::spawn(move || {
        let files = set(&[("a.yaml", POD)]);
        let cold = api::check(&files, &Value::Null, TODAY).unwrap();
        let cold_other = api::check(&files, &other, TODAY).unwrap();
        assert_eq!(api::compilations(), built(2, 2));
        (cold, cold_other)
    })
    .join()
    .unwrap();
    assert_eq!((warm_report, other_report), cold);
}

#[test]
fn policies_from_the_set_are_compiled_again_only_when_they_change() {
    let pod = "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers: [{name: c, image: nginx:1.27}]\n";
    let rego = |msg: &str| {
        format!("package main\nimport rego.v1\ndeny contains msg if {{ input.kind == \"Pod\"; msg := \"{msg}\" }}\n")
    };
    let opts = json!({"paths": ["pod.yaml"], "policySets": ["none"], "policyPaths": ["policy"]});
    let messages = |files: &FileSet| -> Vec<String> {
        let r = api::check(files, &opts, TODAY).unwrap();
        r["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["message"].as_str().unwrap().to_owned())
            .collect()
    };
    let first = rego("no pods");
    let files = set(&[("pod.yaml", pod), ("policy/deny.rego", &first)]);
    assert_eq!(messages(&files), ["no pods"]);
    assert_eq!(api::compilations().policies, 1);
    // The same policy files (an edited manifest): the compiled policies serve again.
    let files = set(&[
        ("pod.yaml", &pod.replace("1.27", "1.28")),
        ("policy/deny.rego", &first),
    ]);
    assert_eq!(messages(&files), ["no pods"]);
    assert_eq!(api::compilations().policies, 1);
    // An edited policy, or one more file beside it, is compiled again.
    let edited = rego("pods are not allowed");
    let files = set(&[("pod.yaml", pod), ("policy/deny.rego", &edited)]);
    assert_eq!(messages(&files), ["pods are not allowed"]);
    assert_eq!(api::compilations().policies, 2);
    let more = "package main\nimport rego.v1\nwarn contains \"a pod\" if input.kind == \"Pod\"\n";
    let files = set(&[
        ("pod.yaml", pod),
        ("policy/deny.rego", &edited),
        ("policy/warn.rego", more),
    ]);
    assert_eq!(messages(&files), ["pods are not allowed", "a pod"]);
    assert_eq!(api::compilations().policies, 3);
}
