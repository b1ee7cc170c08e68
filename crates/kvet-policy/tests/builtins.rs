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
    decisions_with(vm, true, ids, data, objects)
}

fn decisions_with(
    vm: bool,
    screens: bool,
    ids: &[&str],
    data: &Value,
    objects: &[Value],
) -> Vec<String> {
    let mut b = PolicySetBuilder::new();
    b.screens(screens);
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

/// A Pod, a Deployment, a CronJob and a PodTemplate around each pod: the shapes whose pod
/// spec a screen has to find.
fn wrapped(pods: &[(Value, Value)]) -> Vec<Value> {
    let mut out = Vec::new();
    for (meta, spec) in pods {
        let template = json!({"metadata": meta, "spec": spec});
        out.push(json!({"apiVersion": "v1", "kind": "Pod", "metadata": meta, "spec": spec}));
        out.push(
            json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "d"},
                        "spec": {"template": template}}),
        );
        out.push(
            json!({"apiVersion": "batch/v1", "kind": "CronJob", "metadata": {"name": "c"},
                        "spec": {"jobTemplate": {"spec": {"template": template}}}}),
        );
        out.push(
            json!({"apiVersion": "v1", "kind": "PodTemplate", "metadata": {"name": "t"},
                        "template": template}),
        );
    }
    out
}

/// One pod per way to break each Baseline check, with the check it breaks.
fn baseline_violations() -> Vec<(&'static str, Value, Value)> {
    let c = |extra: Value| {
        let mut c = json!({"name": "app", "image": "r.io/app:1"});
        if let (Some(m), Some(e)) = (c.as_object_mut(), extra.as_object()) {
            m.extend(e.clone());
        }
        c
    };
    // A pod-level securityContext, or one container's.
    let pod_sc = |s: Value| json!({"securityContext": s, "containers": [c(json!({}))]});
    let sc = |s: Value| json!({"containers": [c(json!({"securityContext": s}))]});
    let host = json!({"host": "10.0.0.1", "port": 80});
    // One line per case: a table reads better than rustfmt's layout of it.
    #[rustfmt::skip]
    let specs = [
        ("hostNamespaces", json!({"hostNetwork": true, "containers": [c(json!({}))]})),
        ("hostNamespaces", json!({"hostIPC": true, "containers": [c(json!({}))]})),
        ("privileged", json!({"initContainers": [c(json!({"securityContext": {"privileged": true}}))]})),
        ("capabilities", sc(json!({"capabilities": {"add": ["NET_ADMIN"]}}))),
        ("hostPathVolumes", json!({"containers": [c(json!({}))], "volumes": [{"name": "v", "hostPath": {"path": "/"}}]})),
        ("hostPorts", json!({"containers": [c(json!({"ports": [{"containerPort": 80, "hostPort": 80}]}))]})),
        ("appArmorProfile", pod_sc(json!({"appArmorProfile": {"type": "Unconfined"}}))),
        ("appArmorProfile", json!({"ephemeralContainers": [c(json!({"securityContext": {"appArmorProfile": {"type": "Unconfined"}}}))]})),
        ("seLinuxOptions", pod_sc(json!({"seLinuxOptions": {"type": "spc_t"}}))),
        ("seLinuxOptions", pod_sc(json!({"seLinuxOptions": {"user": "root"}}))),
        ("seLinuxOptions", sc(json!({"seLinuxOptions": {"type": "spc_t"}}))),
        ("seLinuxOptions", sc(json!({"seLinuxOptions": {"role": "sysadm_r"}}))),
        ("procMount", sc(json!({"procMount": "Unmasked"}))),
        ("seccompProfile", pod_sc(json!({"seccompProfile": {"type": "Unconfined"}}))),
        ("seccompProfile", sc(json!({"seccompProfile": {"type": "Unconfined"}}))),
        ("sysctls", pod_sc(json!({"sysctls": [{"name": "kernel.msgmax", "value": "1"}]}))),
        ("windowsHostProcess", pod_sc(json!({"windowsOptions": {"hostProcess": true}}))),
        ("windowsHostProcess", sc(json!({"windowsOptions": {"hostProcess": true}}))),
        ("hostProbesAndHostLifecycle", json!({"containers": [c(json!({"livenessProbe": {"httpGet": host}}))]})),
        ("hostProbesAndHostLifecycle", json!({"containers": [c(json!({"lifecycle": {"preStop": {"tcpSocket": host}}}))]})),
    ];
    let meta = json!({"name": "p"});
    let mut out: Vec<(&'static str, Value, Value)> = specs
        .into_iter()
        .map(|(check, spec)| (check, meta.clone(), spec))
        .collect();
    out.push((
        "appArmorProfile",
        json!({"name": "p", "annotations": {"container.apparmor.security.beta.kubernetes.io/app": "unconfined"}}),
        json!({"containers": [c(json!({}))]}),
    ));
    out
}

#[test]
fn screens_change_no_decision() {
    // Every Baseline check is broken by some object, in every pod-bearing shape, alone and
    // together with another check (so that some rules run alone and others in the batch).
    let cases = baseline_violations();
    let mut pods: Vec<(Value, Value)> = cases
        .iter()
        .map(|(_, m, s)| (m.clone(), s.clone()))
        .collect();
    for (i, (_, m, s)) in cases.iter().enumerate() {
        let (_, m2, s2) = &cases[(i + 7) % cases.len()];
        let mut meta = m.clone();
        if let (Some(a), Some(b)) = (meta.as_object_mut(), m2.as_object()) {
            a.extend(
                b.iter()
                    .filter(|(k, _)| *k != "name")
                    .map(|(k, v)| (k.clone(), v.clone())),
            );
        }
        let mut spec = s.clone();
        if let (Some(a), Some(b)) = (spec.as_object_mut(), s2.as_object()) {
            for (k, v) in b {
                match (a.get_mut(k), v) {
                    (Some(Value::Array(x)), Value::Array(y)) => x.extend(y.iter().cloned()),
                    (None, v) => {
                        a.insert(k.clone(), v.clone());
                    }
                    _ => {}
                }
            }
        }
        pods.push((meta, spec));
    }
    let generated = wrapped(&pods);
    // Each case is reported by its check, so the comparison below covers every screen.
    let unscreened = decisions_with(true, false, &["pss-baseline"], &json!({}), &generated);
    for (i, (check, _, _)) in cases.iter().enumerate() {
        for shape in 0..4 {
            let prefix = format!("{} pss-baseline/{check} ", i * 4 + shape);
            assert!(
                unscreened.iter().any(|d| d.starts_with(&prefix)),
                "case {i} ({check}) in shape {shape} is not reported: {unscreened:#?}"
            );
        }
    }
    // Before 1.19 the seccomp annotations are checked (and other annotations never are).
    let legacy = wrapped(&[
        (
            json!({"name": "p", "annotations": {"seccomp.security.alpha.kubernetes.io/pod": "unconfined", "prometheus.io/scrape": "true"}}),
            json!({"containers": [{"name": "app", "image": "r.io/app:1"}]}),
        ),
        (
            json!({"name": "p", "annotations": {"container.seccomp.security.alpha.kubernetes.io/app": "unconfined"}}),
            json!({"containers": [{"name": "app", "image": "r.io/app:1"}]}),
        ),
    ]);
    let old = json!({"kvet": {"pss": {"minor": 18}}});
    let reported = decisions_with(true, false, &["pss-baseline"], &old, &legacy);
    assert_eq!(
        reported
            .iter()
            .filter(|d| d.contains("pss-baseline/seccompProfile"))
            .count(),
        legacy.len(),
        "{reported:#?}"
    );
    let mut objects = objects();
    objects.extend(generated);
    objects.extend(legacy);
    let all: Vec<&str> = builtin_policies().iter().map(|p| p.id).collect();
    for data in [json!({}), json!({"kvet": {"pss": {"minor": 18}}})] {
        for vm in [true, false] {
            for ids in [
                vec!["pss-baseline"],
                vec!["pss-baseline", "tag-pinning"],
                all.clone(),
            ] {
                let with = decisions_with(vm, true, &ids, &data, &objects);
                let without = decisions_with(vm, false, &ids, &data, &objects);
                assert!(!with.is_empty());
                assert_eq!(with, without, "{ids:?} on the VM {vm}, data {data}");
            }
        }
    }
}

#[test]
fn every_screen_names_a_rule_and_parses() {
    for p in builtin_policies() {
        for (rule, paths) in &p.screens {
            assert!(
                p.rego.contains(&format!("\n{rule} ")),
                "{}: {rule} is not a rule",
                p.id
            );
            kvet_policy::screen::Screen::parse(paths).unwrap_or_else(|e| panic!("{}: {e}", p.id));
        }
        let mut b = PolicySetBuilder::new();
        b.builtin(p.id).expect("builtin");
        b.build().unwrap_or_else(|e| panic!("{}: {e:?}", p.id));
    }
    assert!(builtin_policies().iter().any(|p| !p.screens.is_empty()));
}
