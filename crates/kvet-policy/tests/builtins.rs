//! The built-in policies run on regorus's compiled VM; every decision must equal the
//! interpreter's, on every object the fixtures hold, at several parameter settings.

use kvet_policy::{builtin_policies, PolicySetBuilder};
use serde_json::{json, Value};
use std::path::{Path, PathBuf};

fn yaml_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    for e in rd.flatten() {
        let p = e.path();
        if p.is_dir() {
            yaml_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "yaml" || x == "yml") {
            out.push(p);
        }
    }
}

fn objects() -> Vec<Value> {
    let mut files = Vec::new();
    yaml_files(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures"),
        &mut files,
    );
    files.sort();
    let mut out = Vec::new();
    for f in files {
        let text = std::fs::read_to_string(&f).unwrap_or_default();
        for d in kvet_yaml::parse_stream(&text, &kvet_yaml::Limits::default()).documents {
            if d.value.get("kind").is_some() {
                out.push(d.value);
            }
        }
    }
    out
}

fn decisions(vm: bool, ids: &[&str], data: &Value, objects: &[Value]) -> Vec<String> {
    let mut b = PolicySetBuilder::new();
    for id in ids {
        b.builtin(id).expect("builtin");
    }
    b.data("params", data.clone()).expect("data");
    b.interpreter_only(!vm);
    let set = b.build().expect("builds");
    let mut ev = set.evaluator();
    objects
        .iter()
        .enumerate()
        .flat_map(|(i, o)| {
            let ds = ev.evaluate(o).expect("evaluates");
            ds.into_iter()
                .map(move |d| format!("{i} {} {:?} {} {:?}", d.rule, d.pointer, d.message, d.level))
        })
        .collect()
}

#[test]
fn the_vm_decides_as_the_interpreter_does() {
    // The defaults and the PSS levels run on the VM: that is where the speed matters.
    for p in builtin_policies() {
        if ["tag-pinning", "pss-baseline", "pss-restricted"].contains(&p.id) {
            assert!(p.compiled, "{} runs on the interpreter", p.id);
        }
    }
    let objects = objects();
    assert!(objects.len() > 50, "{}", objects.len());
    for data in [
        json!({}),
        json!({"kvet": {"pss": {"minor": 24}}}),
        json!({"kvet": {"pss": {"minor": 30},
        "parameters": {
            "allowed-registries": {"registries": ["registry.example.com", "docker.io"]},
            "tag-pinning": {"digest_registries": ["registry.example.com"]},
            "required-metadata": {"labels": {"app.kubernetes.io/name": "^[a-z-]+$"}, "annotations": ["owner"]},
            "resources": {"limits": ["cpu", "memory"]},
            "default-namespace": {"require_namespace": true}
        }}}),
    ] {
        let all: Vec<&str> = builtin_policies().iter().map(|p| p.id).collect();
        for id in &all {
            let i = decisions(false, &[id], &data, &objects);
            let c = decisions(true, &[id], &data, &objects);
            assert_eq!(c, i, "{id} decides differently on the VM, with data {data}");
        }
        let interpreted = decisions(false, &all, &data, &objects);
        let compiled = decisions(true, &all, &data, &objects);
        assert!(!interpreted.is_empty());
        let only_vm: Vec<&String> = compiled
            .iter()
            .filter(|d| !interpreted.contains(d))
            .collect();
        let only_interp: Vec<&String> = interpreted
            .iter()
            .filter(|d| !compiled.contains(d))
            .collect();
        assert!(
            only_vm.is_empty() && only_interp.is_empty(),
            "with data {data}:\nonly on the VM: {only_vm:#?}\nonly interpreted: {only_interp:#?}"
        );
        assert_eq!(compiled, interpreted, "order, with data {data}");
    }
}

#[test]
fn per_call_data_reaches_policies_on_the_vm_and_the_interpreter() {
    // A webhook sets each request's image facts as data without recompiling.
    let pod = json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"},
        "spec": {"containers": [{"name": "app", "image": "r.io/app:1"}]}});
    let facts = |signed: bool| {
        json!({"kvet": {"images": {"r.io/app:1": {
            "image": "r.io/app:1", "valid": true, "error": "", "registry": "r.io",
            "repository": "app", "name": "r.io/app", "familiar": "r.io/app", "tag": "1",
            "digest": "", "tag_digest": "sha256:aa", "resolved_digest": "sha256:aa",
            "resolved": true, "checked": true, "signed": signed,
            "signatures": if signed {
                json!([{"key_id": "release", "verified": true, "reason": "ok", "kind": "cosign", "manifest": "m", "tlog": "not checked"}])
            } else { json!([]) },
        }}}})
    };
    for vm in [true, false] {
        let mut b = PolicySetBuilder::new();
        b.builtin("image-signed").expect("builtin");
        b.interpreter_only(!vm);
        let set = b.build().expect("builds");
        let mut ev = set.evaluator();
        let msgs = |ev: &mut kvet_policy::Evaluator| -> Vec<String> {
            ev.evaluate(&pod)
                .expect("evaluates")
                .into_iter()
                .map(|d| d.message)
                .collect()
        };
        let unverified = msgs(&mut ev);
        assert_eq!(unverified.len(), 1, "{unverified:?}");
        assert!(unverified[0].contains("was not verified"), "{unverified:?}");
        ev.set_extra_data(Some(facts(true))).unwrap();
        assert_eq!(msgs(&mut ev), Vec::<String>::new(), "vm {vm}");
        ev.set_extra_data(Some(facts(false))).unwrap();
        let unsigned = msgs(&mut ev);
        assert_eq!(unsigned.len(), 1);
        assert!(!unsigned[0].contains("was not verified"), "{unsigned:?}");
        ev.set_extra_data(None).unwrap();
        assert_eq!(msgs(&mut ev), unverified);
    }
}

#[test]
fn big_objects_decide_alike_on_the_vm_and_the_interpreter() {
    // Enough containers that running all the rules in one execution takes more instructions
    // than the VM allows one: they then run one by one, deciding as they always did.
    for n in [1, 10, 40, 80] {
        let containers: Vec<Value> = (0..n)
            .map(|i| {
                json!({"name": format!("c{i}"), "image": if i % 3 == 0 { "nginx".to_owned() } else { format!("r.io/a:{i}") },
                       "ports": [{"containerPort": 80, "hostPort": i % 5}],
                       "securityContext": {"privileged": i % 7 == 0, "capabilities": {"add": ["NET_ADMIN"]}}})
            })
            .collect();
        let pod = json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "big"},
                         "spec": {"containers": containers}});
        let objects = vec![pod];
        let all: Vec<&str> = builtin_policies().iter().map(|p| p.id).collect();
        let data = json!({});
        let compiled = decisions(true, &all, &data, &objects);
        let interpreted = decisions(false, &all, &data, &objects);
        assert_eq!(compiled, interpreted, "{n} containers");
        assert!(compiled.len() > n, "{n} containers: {compiled:?}");
    }
}
