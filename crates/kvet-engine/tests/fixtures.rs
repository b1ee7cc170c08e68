//! The check pipeline on the manifests under fixtures/: every finding asserted exactly.

use kvet_engine::{input, CheckOptions, Checker, KubeVersion, Report};
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Checks `rel` paths (with `crds` as extra CRD inputs) the way the CLI does.
fn run_with(rel: &[&str], crds: &[&str], opts: CheckOptions) -> Report {
    let abs = |r: &[&str]| -> Vec<PathBuf> { r.iter().map(|p| root().join(p)).collect() };
    let mut checker = Checker::new(opts).expect("checker");
    let mut problems = Vec::new();
    if !crds.is_empty() {
        let (crd_files, p) = input::load(&abs(crds));
        problems.extend(p);
        problems.extend(checker.add_crds(&crd_files));
    }
    let (files, p) = input::load(&abs(rel));
    problems.extend(p);
    problems.extend(checker.add_crds(&files));
    let mut report = checker.check_files(&files);
    report.findings.extend(problems);
    report.findings.sort_by(kvet_engine::Finding::order);
    report
}

fn run(rel: &[&str], opts: CheckOptions) -> Report {
    run_with(rel, &[], opts)
}

fn latest() -> CheckOptions {
    CheckOptions::new(*kvet_engine::embedded_versions().last().expect("schemas"))
}

fn at(v: &str) -> CheckOptions {
    CheckOptions::new(v.parse::<KubeVersion>().expect("version"))
}

/// (file under fixtures/, rule, pointer, line, column, message)
type Row = (String, String, String, u32, u32, String);

fn rows(report: &Report) -> Vec<Row> {
    report
        .findings
        .iter()
        .map(|f| {
            let file = f.location.file.replace('\\', "/");
            let file = file
                .rsplit_once("fixtures/")
                .map_or(file.clone(), |(_, r)| r.to_owned());
            (
                file,
                f.rule.clone(),
                f.pointer.clone().unwrap_or_default(),
                f.location.line,
                f.location.column,
                f.message.clone(),
            )
        })
        .collect()
}

fn row(file: &str, rule: &str, pointer: &str, line: u32, col: u32, msg: &str) -> Row {
    (
        file.to_owned(),
        rule.to_owned(),
        pointer.to_owned(),
        line,
        col,
        msg.to_owned(),
    )
}

#[test]
fn valid_manifests_of_many_kinds_have_no_findings() {
    let report = run(&["fixtures/manifests/valid"], latest());
    assert_eq!(rows(&report), Vec::<Row>::new());
    let kinds: Vec<&str> = report.stats.kinds.keys().map(String::as_str).collect();
    assert!(kinds.len() >= 10, "{kinds:?}");
    assert_eq!(report.stats.objects, report.stats.validated);
    // The JSON List is flattened into its three items.
    assert_eq!(report.stats.kinds.get("RoleBinding"), Some(&1));
    assert_eq!(report.stats.objects, 17);
}

#[test]
fn each_class_of_schema_error_is_located_exactly() {
    let report = run(&["fixtures/manifests/invalid"], latest());
    let q = "is not a valid quantity (a number with an optional suffix, such as 100m, 1.5, 128Mi, 1G or 1e3)";
    assert_eq!(
        rows(&report),
        vec![
            row("manifests/invalid/bad-enum.yaml", "schema", "/spec/type", 6, 9, "\"LoadBalancers\" is not one of \"ClusterIP\", \"ExternalName\", \"LoadBalancer\", \"NodePort\""),
            row("manifests/invalid/bad-enum.yaml", "schema", "/spec/ports/0/protocol", 9, 17, "\"tcp\" is not one of \"SCTP\", \"TCP\", \"UDP\""),
            row("manifests/invalid/duplicate-key.yaml", "yaml-duplicate-key", "/metadata/name", 5, 3, "duplicate key \"name\" (first set on line 4; the last value wins)"),
            row("manifests/invalid/int-or-string.yaml", "schema", "/spec/strategy/rollingUpdate/maxSurge", 11, 17, "expected integer or string, got number 1.5"),
            row("manifests/invalid/int-or-string.yaml", "schema", "/spec/strategy/rollingUpdate/maxUnavailable", 12, 23, "expected integer or string, got boolean true"),
            row("manifests/invalid/missing-required.yaml", "schema", "/spec", 5, 1, "missing required field \"selector\""),
            row("manifests/invalid/missing-required.yaml", "schema", "/spec/template/spec/containers/0", 12, 11, "missing required field \"name\""),
            row("manifests/invalid/not-object.yaml", "object", "", 1, 1, "not a Kubernetes object: the document is a sequence"),
            row("manifests/invalid/not-object.yaml", "object", "", 4, 1, "not a Kubernetes object: missing \"kind\""),
            row("manifests/invalid/not-object.yaml", "no-schema", "", 9, 7, "no schema for example.com/v1 Widget in Kubernetes 1.37: unknown kind; give its CustomResourceDefinition as an input or with --crd, or use --ignore-missing-schemas"),
            row("manifests/invalid/quantity.yaml", "schema", "/spec/containers/0/resources/requests/memory", 12, 19, &format!("\"1GB\" {q}")),
            row("manifests/invalid/quantity.yaml", "schema", "/spec/containers/0/resources/limits/cpu", 14, 16, &format!("\"1 core\" {q}")),
            row("manifests/invalid/quantity.yaml", "schema", "/spec/containers/0/resources/limits/memory", 15, 19, &format!("\"1e3Mi\" {q}")),
            row("manifests/invalid/removed-api.yaml", "no-schema", "", 2, 7, "no schema for policy/v1beta1 PodSecurityPolicy in Kubernetes 1.37: no embedded Kubernetes version (1.25–1.37) serves this API; it was removed earlier or the apiVersion or kind is misspelled"),
            row("manifests/invalid/secret-data.yaml", "schema", "/data/password", 6, 13, "\"not base64!\" is not valid base64 (format byte)"),
            row("manifests/invalid/unknown-field.yaml", "schema", "/spec/containers/0/imagePullPolicyy", 9, 7, "unknown field \"imagePullPolicyy\""),
            row("manifests/invalid/wrong-type.yaml", "schema", "/spec/replicas", 6, 13, "expected integer, got string \"3\""),
            row("manifests/invalid/wrong-type.yaml", "schema", "/spec/template/spec/containers/0/ports/0/containerPort", 19, 30, "expected integer, got string \"http\""),
        ]
    );
}

#[test]
fn non_strict_allows_unknown_fields_and_downgrades_duplicates() {
    let mut opts = latest();
    opts.strict = false;
    let report = run(
        &[
            "fixtures/manifests/invalid/unknown-field.yaml",
            "fixtures/manifests/invalid/duplicate-key.yaml",
        ],
        opts,
    );
    assert_eq!(report.findings.len(), 1);
    assert_eq!(report.findings[0].rule, "yaml-duplicate-key");
    assert_eq!(report.findings[0].severity, kvet_engine::Severity::Warning);
}

#[test]
fn custom_resources_validate_against_their_crd() {
    let expected = vec![
        row("manifests/crd/crontabs.yaml", "schema", "/spec/cronSpec", 18, 13, "\"every five minutes\" does not match the pattern ^(\\d+|\\*)(/\\d+)?(\\s+(\\d+|\\*)(/\\d+)?){4}$"),
        row("manifests/crd/crontabs.yaml", "schema", "/spec/replicas", 20, 13, "20 is greater than the maximum of 10"),
        row("manifests/crd/crontabs.yaml", "schema", "/spec/mode", 21, 9, "\"Sometimes\" is not one of \"Once\", \"Repeat\""),
        row("manifests/crd/crontabs.yaml", "schema", "/spec/colour", 22, 3, "unknown field \"colour\""),
    ];
    // The CRD among the inputs …
    assert_eq!(rows(&run(&["fixtures/manifests/crd"], latest())), expected);
    // … or given with --crd.
    let report = run_with(
        &["fixtures/manifests/crd/crontabs.yaml"],
        &["fixtures/manifests/crd/crontab-crd.yaml"],
        latest(),
    );
    assert_eq!(rows(&report), expected);
    // Without it the kind has no schema, unless missing schemas are ignored.
    let report = run(&["fixtures/manifests/crd/crontabs.yaml"], latest());
    assert!(report.findings.iter().all(|f| f.rule == "no-schema"));
    assert_eq!(report.findings.len(), 3);
    let mut opts = latest();
    opts.ignore_missing_schemas = true;
    let report = run(&["fixtures/manifests/crd/crontabs.yaml"], opts);
    assert!(report.findings.is_empty());
    assert_eq!(report.stats.skipped, 3);
}

#[test]
fn validity_depends_on_the_kubernetes_version() {
    let flow = "fixtures/manifests/versioned/flowschema-v1beta2.yaml";
    let pod = "fixtures/manifests/versioned/pod-level-resources.yaml";
    // flowcontrol v1beta2 was served until 1.28.
    assert!(run(&[flow], at("1.28")).findings.is_empty());
    let r = run(&[flow], at("1.29"));
    assert_eq!(
        rows(&r),
        vec![row("manifests/versioned/flowschema-v1beta2.yaml", "no-schema", "", 2, 7, "no schema for flowcontrol.apiserver.k8s.io/v1beta2 FlowSchema in Kubernetes 1.29: the API was removed after 1.28 (served in 1.25–1.28)")]
    );
    // Pod-level resources appeared in 1.32.
    assert!(run(&[pod], at("1.32")).findings.is_empty());
    assert_eq!(
        rows(&run(&[pod], at("1.31"))),
        vec![row(
            "manifests/versioned/pod-level-resources.yaml",
            "schema",
            "/spec/resources",
            6,
            3,
            "unknown field \"resources\""
        )]
    );
}

#[test]
fn broken_files_are_located_and_do_not_hide_the_others() {
    let report = run(&["fixtures/manifests/broken"], latest());
    assert_eq!(
        rows(&report),
        vec![
            row(
                "manifests/broken/alias-bomb.yaml",
                "yaml",
                "",
                6,
                8,
                "aliases expand to more than 100000 nodes (a \"billion laughs\" document?)"
            ),
            row(
                "manifests/broken/binary.yaml",
                "yaml",
                "",
                4,
                10,
                "file is not UTF-8 text (binary data?): invalid byte 0x9f at offset 43"
            ),
            row(
                "manifests/broken/deep.yaml",
                "yaml",
                "",
                1,
                259,
                "flow collections are nested deeper than the limit of 255 levels"
            ),
            row(
                "manifests/broken/good.yaml",
                "schema",
                "/data/replicas",
                6,
                13,
                "expected string, got integer 3"
            ),
            row(
                "manifests/broken/syntax.yaml",
                "yaml",
                "",
                10,
                5,
                "invalid YAML: illegal placement of ':' indicator"
            ),
            row(
                "manifests/broken/truncated.yaml",
                "yaml",
                "",
                6,
                8,
                "invalid YAML: while scanning a quoted scalar, found unexpected end of stream"
            ),
        ]
    );
    // good.yaml and the document before syntax.yaml's error were checked.
    assert_eq!(report.stats.objects, 2);
}

#[test]
fn lazy_schema_loading_parses_only_what_one_object_needs() {
    let checker = Checker::new(at("1.36")).expect("checker");
    let files = vec![kvet_engine::SourceFile::new(
        "one.yaml",
        std::fs::read_to_string(root().join("fixtures/manifests/valid/service.yaml"))
            .expect("read"),
    )];
    let report = checker.check_files(&files);
    assert!(report.findings.is_empty());
    let (parsed, total) = checker.catalog().definitions_parsed();
    assert!(
        parsed > 0 && parsed * 10 < total,
        "parsed {parsed} of {total} definitions"
    );
}

/// The latest version's options with the policies of `sources` loaded.
fn with_sources(sources: &kvet_engine::PolicySources) -> CheckOptions {
    let mut opts = latest();
    opts.policies = kvet_engine::load_policies(sources, &[])
        .expect("loads")
        .map(std::sync::Arc::new);
    opts
}

fn with_policies(namespaces: kvet_engine::Namespaces) -> CheckOptions {
    let sources = kvet_engine::PolicySources {
        policies: vec![root().join("fixtures/policies/conftest")],
        data: vec![root().join("fixtures/policies/conftest/data.yaml")],
        sets: vec![],
        namespaces,
        time_limit: Some(std::time::Duration::from_secs(5)),
        ..Default::default()
    };
    let set = kvet_engine::load_policies(&sources, &[]).expect("policies");
    let mut opts = latest();
    opts.policies = set.map(std::sync::Arc::new);
    opts
}

#[test]
fn policy_findings_land_on_the_field_the_policy_names() {
    let report = run(
        &["fixtures/policies/manifests"],
        with_policies(kvet_engine::Namespaces::All),
    );
    let f = "policies/manifests/apps.yaml";
    assert_eq!(
        rows(&report),
        vec![
            row(
                f,
                "main.deny",
                "",
                2,
                7,
                "Deployment web must set spec.template.spec.securityContext.runAsNonRoot"
            ),
            row(
                f,
                "main.deny_latest_tag",
                "/spec/template/spec/containers/0/image",
                16,
                18,
                "container web uses the mutable tag latest"
            ),
            // The labels map is missing: the finding points at its parent, metadata.
            row(
                f,
                "kubernetes.labels.violation",
                "/metadata/labels",
                20,
                1,
                "missing required label \"team\""
            ),
            row(
                f,
                "main.warn",
                "",
                36,
                7,
                "NodePort Services bypass the ingress controller"
            ),
        ]
    );
    let warn = report
        .findings
        .iter()
        .find(|f| f.rule == "main.warn")
        .expect("warn");
    assert_eq!(warn.severity, kvet_engine::Severity::Warning);
    // Only the default namespace: the labels package is not evaluated.
    let report = run(
        &["fixtures/policies/manifests"],
        with_policies(kvet_engine::Namespaces::default()),
    );
    assert!(report.findings.iter().all(|f| f.rule.starts_with("main.")));
}

#[test]
fn broken_policies_are_located_load_errors() {
    let sources = kvet_engine::PolicySources {
        policies: vec![root().join("fixtures/policies/broken/syntax.rego")],
        ..Default::default()
    };
    let errs = kvet_engine::load_policies(&sources, &[]).expect_err("broken");
    assert_eq!(errs.len(), 1);
    assert_eq!(errs[0].rule, "policy-load");
    assert!(errs[0]
        .location
        .file
        .ends_with("fixtures/policies/broken/syntax.rego"));
    assert_eq!((errs[0].location.line, errs[0].location.column), (7, 25));
    assert_eq!(
        errs[0].message,
        "cannot load policy: invalid character in string"
    );
}

#[test]
fn a_runaway_policy_fails_only_its_object() {
    let sources = kvet_engine::PolicySources {
        policies: vec![root().join("fixtures/policies/broken/loop.rego")],
        time_limit: Some(std::time::Duration::from_millis(200)),
        ..Default::default()
    };
    let opts = with_sources(&sources);
    let report = run(&["fixtures/manifests/valid/config.yaml"], opts);
    // The ConfigMap times out; the Secret in the same file is evaluated normally.
    assert_eq!(report.findings.len(), 1, "{:?}", report.findings);
    let f = &report.findings[0];
    assert_eq!(f.rule, "policy-error");
    assert_eq!(
        f.object.as_ref().map(|o| o.kind.as_str()),
        Some("ConfigMap")
    );
    assert!(
        f.message
            .starts_with("policy main.deny failed on this object:"),
        "{}",
        f.message
    );
}

#[test]
fn gatekeeper_templates_and_constraints() {
    let files = {
        let (f, p) = input::load(&[root().join("fixtures/policies/gatekeeper/manifests")]);
        assert!(p.is_empty());
        f
    };
    let sources = kvet_engine::PolicySources {
        policies: vec![root().join("fixtures/policies/gatekeeper/templates")],
        ..Default::default()
    };
    let set = kvet_engine::load_policies(&sources, &files)
        .expect("policies")
        .expect("some");
    assert_eq!(
        set.rule_ids(),
        vec![
            "K8sRequiredLabels/deployments-need-team",
            "K8sRequiredLabels/prod-needs-owner",
            "K8sUniqueIngressHost/unique-ingress-host"
        ]
    );
    let mut opts = latest();
    opts.policies = Some(std::sync::Arc::new(set));
    let report = run(&["fixtures/policies/gatekeeper/manifests"], opts);
    let f = "policies/gatekeeper/manifests/shop.yaml";
    assert_eq!(
        rows(&report),
        vec![
            // warn action; matched through the namespaceSelector on the shop Namespace's labels.
            row(
                f,
                "K8sRequiredLabels/prod-needs-owner",
                "/metadata/labels",
                15,
                5,
                "Deployment web is missing labels: [\"owner\"]"
            ),
            // Referential: data.inventory holds the other Ingress.
            row(
                f,
                "K8sUniqueIngressHost/unique-ingress-host",
                "/spec/rules/0/host",
                52,
                13,
                "host shop.example.com is already used by Ingress other/web-copy"
            ),
            row(
                f,
                "K8sUniqueIngressHost/unique-ingress-host",
                "/spec/rules/1/host",
                62,
                13,
                "host shop.example.com is already used by Ingress shop/web"
            ),
            // Parameters and a lib; kube-system is excluded, so only api is reported.
            row(
                f,
                "K8sRequiredLabels/deployments-need-team",
                "/metadata/labels",
                66,
                1,
                "Deployment api is missing labels: [\"team\"]"
            ),
        ]
    );
    assert_eq!(report.findings[0].severity, kvet_engine::Severity::Warning);
    assert_eq!(report.findings[3].severity, kvet_engine::Severity::Error);
}

#[test]
fn broken_gatekeeper_documents_are_located() {
    let sources = kvet_engine::PolicySources {
        policies: vec![
            root().join("fixtures/policies/broken/template.yaml"),
            root().join("fixtures/policies/broken/orphan-constraint.yaml"),
        ],
        ..Default::default()
    };
    let errs = kvet_engine::load_policies(&sources, &[]).expect_err("broken");
    let got: Vec<(String, u32, String)> = errs
        .iter()
        .map(|e| {
            (
                e.location.file.rsplit('/').next().unwrap_or("").to_owned(),
                e.location.line,
                e.message.clone(),
            )
        })
        .collect();
    assert_eq!(
        got,
        vec![
            // The Rego error is moved from line 4 of the embedded Rego to its line in the YAML.
            ("template.yaml".to_owned(), 16, "cannot load policy: invalid character in string".to_owned()),
            ("orphan-constraint.yaml".to_owned(), 0, "cannot load policy: constraint K8sNoSuchTemplate/orphan has no ConstraintTemplate defining kind K8sNoSuchTemplate".to_owned()),
        ]
    );
}

#[test]
fn builtin_tag_pinning_points_at_the_image() {
    let sources = kvet_engine::PolicySources {
        sets: vec!["tag-pinning".into()],
        ..Default::default()
    };
    let opts = with_sources(&sources);
    let report = run(&["fixtures/policies/manifests/apps.yaml"], opts);
    let f = "policies/manifests/apps.yaml";
    assert_eq!(
        rows(&report),
        vec![
            row(f, "tag-pinning", "/spec/template/spec/containers/0/image", 16, 18, "container web uses the mutable tag latest (nginx:latest): pin a version or a digest"),
            row(f, "tag-pinning", "/spec/template/spec/containers/0/image", 33, 18, "container old uses the mutable tag latest (registry.example.com/old:latest): pin a version or a digest"),
        ]
    );
    let unknown = kvet_engine::PolicySources {
        sets: vec!["no-such-set".into()],
        ..Default::default()
    };
    let errs = kvet_engine::load_policies(&unknown, &[]).expect_err("unknown set");
    assert!(
        errs[0]
            .message
            .contains("unknown policy set \"no-such-set\""),
        "{}",
        errs[0].message
    );
}

#[test]
fn builtin_allowed_registries_uses_its_parameters() {
    let dir = std::env::temp_dir().join(format!("kvet-params-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("tmp");
    let params = dir.join("params.yaml");
    std::fs::write(
        &params,
        "kvet:\n  parameters:\n    allowed-registries:\n      registries: [registry.example.com]\n",
    )
    .expect("write");
    let sources = kvet_engine::PolicySources {
        sets: vec!["allowed-registries".into()],
        data: vec![params],
        ..Default::default()
    };
    let opts = with_sources(&sources);
    let report = run(&["fixtures/policies/manifests/apps.yaml"], opts);
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(
        rows(&report),
        vec![row(
            "policies/manifests/apps.yaml",
            "allowed-registries",
            "/spec/template/spec/containers/0/image",
            16,
            18,
            "container web pulls from docker.io, which is not an allowed registry (allowed: registry.example.com)"
        )]
    );
}

fn with_sets(sets: &[&str], pss_minor: Option<u32>) -> CheckOptions {
    let sources = kvet_engine::PolicySources {
        sets: sets.iter().map(|s| (*s).to_owned()).collect(),
        pss_minor,
        ..Default::default()
    };
    let set = kvet_engine::load_policies(&sources, &[]).expect("policies");
    let mut opts = latest();
    opts.policies = set.map(std::sync::Arc::new);
    opts
}

fn rule_lines(report: &Report) -> Vec<(String, u32)> {
    report
        .findings
        .iter()
        .map(|f| (f.rule.clone(), f.location.line))
        .collect()
}

#[test]
fn pod_security_standards_land_on_each_field_in_every_pod_bearing_kind() {
    // pss-restricted brings pss-baseline with it; each check is its own rule id.
    let report = run(
        &["fixtures/pss/workloads.yaml"],
        with_sets(&["pss-restricted"], None),
    );
    let want: Vec<(String, u32)> = [
        ("pss-baseline/hostNamespaces", 36),
        // A missing field is reported on the securityContext that should hold it.
        ("pss-restricted/allowPrivilegeEscalation", 41),
        ("pss-restricted/capabilities", 41),
        ("pss-restricted/runAsNonRoot", 41),
        ("pss-restricted/seccompProfile", 41),
        ("pss-baseline/privileged", 41),
        ("pss-restricted/runAsUser", 42),
        ("pss-baseline/hostPorts", 45),
        ("pss-baseline/hostPathVolumes", 48),
        // CronJob: pod-level Unconfined seccomp and an unsafe sysctl, then the init container.
        ("pss-baseline/seccompProfile", 63),
        ("pss-baseline/sysctls", 65),
        ("pss-restricted/allowPrivilegeEscalation", 70),
        ("pss-restricted/runAsNonRoot", 70),
        ("pss-restricted/capabilities", 71),
        ("pss-baseline/capabilities", 71),
    ]
    .iter()
    .map(|(r, l)| ((*r).to_owned(), *l))
    .collect();
    assert_eq!(rule_lines(&report), want);
    // Baseline alone reports only its own checks; the first Deployment passes both levels.
    let report = run(
        &["fixtures/pss/workloads.yaml"],
        with_sets(&["pss-baseline"], None),
    );
    assert!(report
        .findings
        .iter()
        .all(|f| f.rule.starts_with("pss-baseline/")));
    assert_eq!(report.findings.len(), 7);
    assert!(!report
        .findings
        .iter()
        .any(|f| f.object.as_ref().and_then(|o| o.name.as_deref()) == Some("restricted-ok")));
}

#[test]
fn pod_security_standards_follow_the_chosen_version() {
    // net.ipv4.tcp_keepalive_time joined the safe sysctls in 1.29.
    let sysctl = |minor| {
        rule_lines(&run(
            &["fixtures/pss/versioned.yaml"],
            with_sets(&["pss-baseline"], minor),
        ))
    };
    assert_eq!(
        sysctl(Some(28)),
        vec![("pss-baseline/sysctls".to_owned(), 11)]
    );
    assert_eq!(sysctl(Some(29)), vec![]);
    assert_eq!(sysctl(None), vec![]);
}

/// A renderer's map that says every rendered line came from ten lines further down in
/// `templates/x.yaml`.
#[derive(Debug)]
struct ShiftedOrigin {
    rendered: std::sync::Arc<str>,
}

impl kvet_engine::input::Origin for ShiftedOrigin {
    fn locate(&self, offset: usize, length: usize) -> Option<kvet_engine::Location> {
        let line = self.rendered[..offset].matches('\n').count() as u32 + 1;
        let column = (offset - self.rendered[..offset].rfind('\n').map_or(0, |i| i + 1)) as u32 + 1;
        Some(kvet_engine::Location {
            file: "templates/x.yaml".to_owned(),
            line: line + 10,
            column,
            end_line: line + 10,
            end_column: column + length as u32,
            offset: 0,
            length: length as u32,
        })
    }
    fn sources(&self) -> Vec<(String, std::sync::Arc<str>)> {
        Vec::new()
    }
}

#[test]
fn findings_on_rendered_text_map_back_to_the_template() {
    let text: std::sync::Arc<str> =
        "apiVersion: v1\nkind: Service\nmetadata:\n  name: web\nspec:\n  ports:\n    - port: \"eighty\"\n".into();
    let file = kvet_engine::SourceFile::rendered(
        "chart/templates/x.yaml",
        text.clone(),
        std::sync::Arc::new(ShiftedOrigin { rendered: text }),
    );
    let report = kvet_engine::check(&[file], latest()).expect("check");
    assert_eq!(report.findings.len(), 1, "{:?}", report.findings);
    let f = &report.findings[0];
    assert_eq!(f.rule, "schema");
    assert_eq!(
        (f.location.file.as_str(), f.location.line, f.location.column),
        ("templates/x.yaml", 17, 13)
    );
    let r = f.rendered.as_ref().expect("rendered location");
    assert_eq!(
        (r.file.as_str(), r.line, r.column),
        ("chart/templates/x.yaml", 7, 13)
    );
}
