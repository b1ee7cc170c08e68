//! Every field of a built object maps back to the file a person would edit: the resource
//! file for fields from a base, the patch file for fields a patch set, the kustomization's
//! generator entry for generated objects.

use kvet_kustomize::{build, Limits, MemFs};

fn tree() -> MemFs {
    let mut fs = MemFs::new();
    fs.insert("base/kustomization.yaml", "resources:\n- deploy.yaml\n");
    fs.insert(
        "base/deploy.yaml",
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  template:\n    spec:\n      containers:\n      - name: a\n        image: a:1\n      - name: b\n        image: b:1\n",
    );
    fs.insert(
        "o/kustomization.yaml",
        "namePrefix: p-\nresources:\n- ../base\npatches:\n- path: patch.yaml\n- target: {kind: Deployment}\n  patch: |-\n    - op: add\n      path: /spec/replicas\n      value: 3\nconfigMapGenerator:\n- name: cfg\n  literals: [a=b]\n",
    );
    fs.insert(
        "o/patch.yaml",
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  template:\n    spec:\n      containers:\n      - name: b\n        image: b:2\n",
    );
    fs
}

fn at(b: &kvet_kustomize::Build, i: usize, pointer: &str) -> (String, u32, bool) {
    let l = b.resources[i].locate(pointer).expect("located");
    (l.file, l.span.start.line, l.patched)
}

#[test]
fn fields_map_to_base_and_patch_lines() {
    let b = build(&tree(), "o", &Limits::default()).unwrap();
    let d = b
        .resources
        .iter()
        .position(|r| r.kind() == "Deployment")
        .unwrap();
    let c = b
        .resources
        .iter()
        .position(|r| r.kind() == "ConfigMap")
        .unwrap();
    // The patch moved container b first; its image comes from the patch file.
    assert_eq!(
        b.resources[d].value["spec"]["template"]["spec"]["containers"][0]["name"],
        "b"
    );
    assert_eq!(
        at(&b, d, "/spec/template/spec/containers/0/image"),
        ("o/patch.yaml".into(), 10, true)
    );
    // Container a is untouched: its image is found in the base file although it moved.
    assert_eq!(
        at(&b, d, "/spec/template/spec/containers/1/image"),
        ("base/deploy.yaml".into(), 10, false)
    );
    // The inline JSON patch's value, at its line in the kustomization.
    assert_eq!(
        at(&b, d, "/spec/replicas"),
        ("o/kustomization.yaml".into(), 10, true)
    );
    // The name is the base's field (prefixed by the overlay).
    assert_eq!(
        at(&b, d, "/metadata/name"),
        ("base/deploy.yaml".into(), 4, false)
    );
    // A generated object points at its generator entry.
    assert_eq!(
        at(&b, c, "/data/a"),
        ("o/kustomization.yaml".into(), 12, false)
    );
}
