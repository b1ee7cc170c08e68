//! Errors kustomize reports are reported too, at the kustomization file and line that caused
//! them.

use kvet_kustomize::{build, Error, Limits, MemFs};

const CM: &str = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web\ndata:\n  a: \"1\"\n";

fn fs(files: &[(&str, &str)]) -> MemFs {
    let mut fs = MemFs::new();
    for (p, t) in files {
        fs.insert(p, *t);
    }
    fs
}

fn err(files: &[(&str, &str)], dir: &str) -> Error {
    match build(&fs(files), dir, &Limits::default()) {
        Ok(b) => panic!("expected an error, built {} objects", b.resources.len()),
        Err(e) => e,
    }
}

#[test]
fn missing_resource_is_reported_at_its_entry() {
    let e = err(
        &[
            (
                "app/kustomization.yaml",
                "resources:\n  - cm.yaml\n  - missing.yaml\n",
            ),
            ("app/cm.yaml", CM),
        ],
        "app",
    );
    assert_eq!(
        (e.file.as_str(), e.line, e.column),
        ("app/kustomization.yaml", 3, 5)
    );
    assert_eq!(
        e.message,
        "accumulating resources: 'app/missing.yaml': no such file or directory"
    );
}

#[test]
fn cycles_are_reported_with_the_chain() {
    let e = err(
        &[
            ("a/kustomization.yaml", "resources:\n- ../b\n"),
            (
                "b/kustomization.yaml",
                "namePrefix: x-\nresources:\n- ../a\n",
            ),
        ],
        "a",
    );
    assert_eq!((e.file.as_str(), e.line), ("b/kustomization.yaml", 3));
    assert_eq!(e.message, "cycle detected: a -> b -> a");
}

#[test]
fn id_collision_after_prefixing() {
    let e = err(
        &[
            (
                "a/kustomization.yaml",
                "namePrefix: a-\nresources: [cm.yaml]\n",
            ),
            ("a/cm.yaml", CM),
            ("b/kustomization.yaml", "resources: [cm.yaml]\n"),
            ("b/cm.yaml", &CM.replace("name: web", "name: a-web")),
            ("o/kustomization.yaml", "resources:\n  - ../a\n  - ../b\n"),
        ],
        "o",
    );
    assert_eq!((e.file.as_str(), e.line), ("o/kustomization.yaml", 3));
    assert_eq!(
        e.message,
        "may not add resource with an already registered id: ConfigMap.v1.[noGrp]/a-web.[noNs]"
    );
}

#[test]
fn duplicate_generator_is_an_id_collision() {
    let e = err(
        &[(
            "k/kustomization.yaml",
            "configMapGenerator:\n- name: x\n  literals: [a=b]\n- name: x\n  literals: [c=d]\n",
        )],
        "k",
    );
    assert_eq!(e.line, 4);
    assert!(
        e.message.starts_with(
            "may not add resource with an already registered id: ConfigMap.v1.[noGrp]/x."
        ),
        "{}",
        e.message
    );
}

#[test]
fn invalid_target_selector_regex() {
    let e = err(
        &[
            (
                "k/kustomization.yaml",
                "resources: [cm.yaml]\npatches:\n- path: p.yaml\n  target:\n    name: \"([\"\n",
            ),
            ("k/cm.yaml", CM),
            ("k/p.yaml", CM),
        ],
        "k",
    );
    assert_eq!((e.line, e.column), (5, 5));
    assert!(
        e.message
            .starts_with("invalid target selector: name \"([\" is not a valid regular expression"),
        "{}",
        e.message
    );
}

#[test]
fn unknown_target_field() {
    let e = err(
        &[
            (
                "k/kustomization.yaml",
                "resources: [cm.yaml]\npatches:\n- path: p.yaml\n  target:\n    foo: x\n",
            ),
            ("k/cm.yaml", CM),
            ("k/p.yaml", CM),
        ],
        "k",
    );
    assert_eq!(e.line, 5);
    assert_eq!(e.message, "invalid target selector: unknown field \"foo\"");
}

#[test]
fn patch_without_a_matching_resource() {
    let e = err(
        &[
            (
                "k/kustomization.yaml",
                "resources: [cm.yaml]\npatches:\n  - path: p.yaml\n",
            ),
            ("k/cm.yaml", CM),
            ("k/p.yaml", &CM.replace("name: web", "name: other")),
        ],
        "k",
    );
    assert_eq!((e.line, e.column), (3, 5));
    assert_eq!(
        e.message,
        "no resource matches strategic merge patch ConfigMap/other"
    );
}

#[test]
fn later_patches_win_over_earlier_ones_as_in_kustomize() {
    // kustomize 5 applies conflicting patches in order rather than refusing them.
    let b = build(
        &fs(&[
            (
                "k/kustomization.yaml",
                "resources: [cm.yaml]\npatchesStrategicMerge: [p1.yaml, p2.yaml]\n",
            ),
            ("k/cm.yaml", CM),
            ("k/p1.yaml", &CM.replace("a: \"1\"", "a: \"2\"")),
            ("k/p2.yaml", &CM.replace("a: \"1\"", "a: \"3\"")),
        ]),
        "k",
        &Limits::default(),
    )
    .unwrap();
    assert_eq!(b.resources[0].value["data"]["a"], "3");
}

#[test]
fn failing_json_patch_names_the_object() {
    let e = err(
        &[
            (
                "k/kustomization.yaml",
                "resources: [cm.yaml]\npatches:\n- target: {kind: ConfigMap}\n  patch: |-\n    - op: replace\n      path: /data/missing\n      value: x\n",
            ),
            ("k/cm.yaml", CM),
        ],
        "k",
    );
    assert_eq!(e.line, 3);
    assert!(
        e.message.contains("ConfigMap.v1.[noGrp]/web.[noNs]"),
        "{}",
        e.message
    );
    assert!(e.message.contains("/data/missing"), "{}", e.message);
}

#[test]
fn remote_resources_are_refused() {
    let e = err(
        &[(
            "k/kustomization.yaml",
            "resources:\n- https://github.com/example/repo//base?ref=v1\n",
        )],
        "k",
    );
    assert_eq!(e.line, 2);
    assert!(
        e.message.contains("kvet builds kustomizations offline"),
        "{}",
        e.message
    );
}

#[test]
fn files_outside_the_root_are_refused() {
    let e = err(
        &[
            ("k/kustomization.yaml", "resources:\n- ../cm.yaml\n"),
            ("cm.yaml", CM),
        ],
        "k",
    );
    assert_eq!(e.line, 2);
    assert_eq!(e.message, "security; file 'cm.yaml' is not in or below 'k'");
}

#[test]
fn component_used_as_resource_and_kustomization_as_component() {
    let e = err(
        &[
            ("k/kustomization.yaml", "resources:\n- ../c\n"),
            ("c/kustomization.yaml", "kind: Component\n"),
        ],
        "k",
    );
    assert_eq!(
        e.message,
        "expected kind 'Kustomization' for path 'c' but got 'Component'"
    );
    let e = err(
        &[
            ("k/kustomization.yaml", "components:\n- ../c\n"),
            ("c/kustomization.yaml", "kind: Kustomization\n"),
        ],
        "k",
    );
    assert_eq!(
        (e.line, e.message.as_str()),
        (
            2,
            "expected kind 'Component' for path 'c' but got 'Kustomization'"
        )
    );
}

#[test]
fn unknown_kustomization_field() {
    let e = err(
        &[("k/kustomization.yaml", "resources: []\nnamePrefx: x-\n")],
        "k",
    );
    assert_eq!((e.line, e.column), (2, 1));
    assert_eq!(
        e.message,
        "invalid Kustomization: json: unknown field \"namePrefx\""
    );
}

#[test]
fn missing_kustomization_and_unsupported_features() {
    let e = err(&[("k/other.yaml", CM)], "k");
    assert!(
        e.message
            .starts_with("unable to find one of 'kustomization.yaml'"),
        "{}",
        e.message
    );
    let e = err(
        &[(
            "k/kustomization.yaml",
            "resources: [cm.yaml]\ntransformers:\n- plugin.yaml\n",
        )],
        "k",
    );
    assert_eq!(e.line, 2);
    assert!(e.message.contains("not supported"), "{}", e.message);
}

const SVC: &str = "apiVersion: v1\nkind: Service\nmetadata:\n  name: web\n";

#[test]
fn var_naming_no_object_is_reported_at_the_var() {
    let e = err(
        &[
            (
                "k/kustomization.yaml",
                "resources: [cm.yaml]\nvars:\n- name: WEB\n  objref: {kind: Service, name: web, apiVersion: v1}\n",
            ),
            ("k/cm.yaml", CM),
        ],
        "k",
    );
    assert_eq!(
        (e.file.as_str(), e.line, e.column),
        ("k/kustomization.yaml", 3, 3)
    );
    assert!(
        e.message
            .ends_with("cannot be mapped to a field in the set of known resources"),
        "{}",
        e.message
    );
}

#[test]
fn var_declared_twice_is_reported_where_it_repeats() {
    let var = "vars:\n- name: WEB\n  objref: {kind: ConfigMap, name: web, apiVersion: v1}\n";
    let e = err(
        &[
            (
                "base/kustomization.yaml",
                &format!("resources: [cm.yaml]\n{var}"),
            ),
            ("base/cm.yaml", CM),
            (
                "app/kustomization.yaml",
                &format!("resources: [../base]\n{var}"),
            ),
        ],
        "app",
    );
    assert_eq!((e.file.as_str(), e.line), ("app/kustomization.yaml", 3));
    assert_eq!(e.message, "var 'WEB' already encountered");
}

#[test]
fn var_matching_two_objects_is_ambiguous() {
    let e = err(
        &[
            (
                "k/kustomization.yaml",
                "resources: [a.yaml, b.yaml]\nvars:\n- name: WEB\n  objref: {kind: Service, name: web, apiVersion: v1}\n",
            ),
            ("k/a.yaml", &format!("{SVC}  namespace: a\n")),
            ("k/b.yaml", &format!("{SVC}  namespace: b\n")),
        ],
        "k",
    );
    assert_eq!(e.line, 3);
    assert!(
        e.message.starts_with("found 2 resId matches for var WEB"),
        "{}",
        e.message
    );
}

#[test]
fn var_field_missing_from_its_object() {
    let e = err(
        &[
            (
                "k/kustomization.yaml",
                "resources: [svc.yaml]\nvars:\n- name: PORT\n  objref: {kind: Service, name: web, apiVersion: v1}\n  fieldref:\n    fieldPath: spec.ports[0].port\n",
            ),
            ("k/svc.yaml", SVC),
        ],
        "k",
    );
    assert_eq!(e.line, 3, "{e}");
    assert!(
        e.message.ends_with("not found in corresponding resource"),
        "{}",
        e.message
    );
}

#[test]
fn deprecated_fields_and_unused_vars_are_located_warnings() {
    let b = build(
        &fs(&[
            (
                "k/kustomization.yaml",
                "bases: [../base]\ncommonLabels: {team: a}\nvars:\n- name: UNUSED\n  objref: {kind: ConfigMap, name: web, apiVersion: v1}\n",
            ),
            ("base/kustomization.yaml", "resources: [cm.yaml]\n"),
            ("base/cm.yaml", CM),
        ]),
        "k",
        &Limits::default(),
    )
    .unwrap();
    let got: Vec<(u32, &str)> = b
        .warnings
        .iter()
        .map(|w| (w.line, w.message.as_str()))
        .collect();
    assert_eq!(
        got,
        vec![
            (1, "'bases' is deprecated. Please use 'resources' instead. Run 'kustomize edit fix' to update your Kustomization automatically."),
            (2, "'commonLabels' is deprecated. Please use 'labels' instead. Run 'kustomize edit fix' to update your Kustomization automatically."),
            (3, "'vars' is deprecated. Please use 'replacements' instead. [EXPERIMENTAL] Run 'kustomize edit fix' to update your Kustomization automatically."),
            (4, "well-defined vars that were never replaced: UNUSED"),
        ]
    );
    assert!(b.warnings.iter().all(|w| w.file == "k/kustomization.yaml"));
}

#[test]
fn in_memory_build_matches_hash_and_references() {
    let b = build(
        &fs(&[
            (
                "k/kustomization.yaml",
                "namePrefix: p-\nresources: [pod.yaml]\nconfigMapGenerator:\n- name: cfg\n  literals: [LOG_LEVEL=info, MODE=\"fast\"]\n",
            ),
            (
                "k/pod.yaml",
                "apiVersion: v1\nkind: Pod\nmetadata:\n  name: x\nspec:\n  containers:\n  - name: c\n    image: i\n    envFrom:\n    - configMapRef:\n        name: cfg\n",
            ),
        ]),
        "k",
        &Limits::default(),
    )
    .unwrap();
    // The hash is that of kustomize for this data (see fixtures/kustomize/cases/base-only).
    assert_eq!(b.resources[0].name(), "p-cfg-d582794f8k");
    assert_eq!(
        b.resources[1].value["spec"]["containers"][0]["envFrom"][0]["configMapRef"]["name"],
        "p-cfg-d582794f8k"
    );
}

#[test]
fn replacement_target_field_missing() {
    let e = err(
        &[
            (
                "k/kustomization.yaml",
                "resources: [cm.yaml]\nreplacements:\n- source: {kind: ConfigMap, name: web}\n  targets:\n  - select: {kind: ConfigMap}\n    fieldPaths: [data.missing]\n",
            ),
            ("k/cm.yaml", CM),
        ],
        "k",
    );
    assert_eq!(e.line, 6);
    assert!(
        e.message
            .starts_with("unable to find field \"data.missing\" in replacement target"),
        "{}",
        e.message
    );
}

#[test]
fn replacement_source_must_select_one_object() {
    let e = err(
        &[
            (
                "k/kustomization.yaml",
                "resources: [cm.yaml]\nreplacements:\n- source: {kind: Secret, name: web}\n  targets: []\n",
            ),
            ("k/cm.yaml", CM),
        ],
        "k",
    );
    assert_eq!(e.line, 3);
    assert_eq!(e.message, "nothing selected by the replacement source");
}

#[test]
fn remote_helm_charts_are_refused() {
    let e = err(
        &[(
            "k/kustomization.yaml",
            "helmCharts:\n- name: redis\n  repo: https://charts.example.com\n",
        )],
        "k",
    );
    assert_eq!(e.line, 2);
    assert!(
        e.message
            .contains("pulling from https://charts.example.com is not supported"),
        "{}",
        e.message
    );
}

#[test]
fn transformer_configuration_errors_are_located_in_its_file() {
    let e = err(
        &[
            (
                "k/kustomization.yaml",
                "resources: [cm.yaml]\nconfigurations:\n- config.yaml\n",
            ),
            ("k/cm.yaml", CM),
            (
                "k/config.yaml",
                "images:\n- path: spec/image\n  kind: X\nimagez: []\n",
            ),
        ],
        "k",
    );
    assert_eq!((e.file.as_str(), e.line), ("k/config.yaml", 4));
    assert!(
        e.message.contains("unknown field \"imagez\""),
        "{}",
        e.message
    );
    let e = err(
        &[
            ("k/kustomization.yaml", "configurations:\n- config.yaml\n"),
            ("k/config.yaml", "namePrefix:\n- path: spec/alias\n"),
        ],
        "k",
    );
    assert_eq!((e.file.as_str(), e.line), ("k/config.yaml", 1));
    assert!(e.message.contains("not supported"), "{}", e.message);
    let e = err(
        &[(
            "k/kustomization.yaml",
            "configurations:\n- ../outside.yaml\n",
        )],
        "k",
    );
    assert_eq!((e.file.as_str(), e.line), ("k/kustomization.yaml", 2));
}
