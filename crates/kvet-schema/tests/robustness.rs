//! Shared use across threads, and inputs no one should write: nothing panics, results stay
//! deterministic.

mod common;

use common::*;
use kvet_schema::{Keyword, Lookup};
use serde_json::{json, Map, Value};
use std::sync::Arc;

#[test]
fn concurrent_lookups_compile_each_kind_once() {
    let c = catalog("1.37", true);
    let kinds = [
        ("apps/v1", "Deployment"),
        ("v1", "Service"),
        ("batch/v1", "CronJob"),
    ];
    let found: Vec<Vec<usize>> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..8)
            .map(|_| {
                s.spawn(|| {
                    kinds
                        .iter()
                        .map(|(a, k)| match c.lookup(a, k) {
                            Lookup::Found(v) => {
                                assert!(v.validate(&deployment()).len() < 100);
                                Arc::as_ptr(&v) as usize
                            }
                            _ => 0,
                        })
                        .collect()
                })
            })
            .collect();
        handles.into_iter().filter_map(|h| h.join().ok()).collect()
    });
    assert_eq!(found.len(), 8);
    assert!(found
        .iter()
        .all(|f| f == &found[0] && f.iter().all(|p| *p != 0)));
}

/// A small deterministic generator (no dependency needed for a few thousand values).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }

    fn value(&mut self, depth: u32) -> Value {
        let keys = [
            "name",
            "image",
            "spec",
            "containers",
            "ports",
            "metadata",
            "x",
            "",
            "a/b",
            "~",
        ];
        match self.below(if depth == 0 { 6 } else { 8 }) {
            0 => Value::Null,
            1 => Value::Bool(self.below(2) == 0),
            2 => json!(self.next() as i64),
            3 => json!((self.next() % 10_000) as f64 / 7.0),
            4 => json!(u64::MAX - self.below(3)),
            5 => Value::String(
                ["", "1Gi", "x", "Always", "ñ\u{0}", "0.5"][self.below(6) as usize].into(),
            ),
            6 => Value::Array((0..self.below(4)).map(|_| self.value(depth - 1)).collect()),
            _ => {
                let mut m = Map::new();
                for _ in 0..self.below(5) {
                    let k = keys[self.below(keys.len() as u64) as usize];
                    m.insert(k.into(), self.value(depth - 1));
                }
                Value::Object(m)
            }
        }
    }
}

/// Replaces a random node of `v` with a random value.
fn mutate(v: &mut Value, rng: &mut Rng) {
    let children = match v {
        Value::Object(m) => m.len(),
        Value::Array(a) => a.len(),
        _ => 0,
    };
    if children == 0 || rng.below(4) == 0 {
        *v = rng.value(3);
        return;
    }
    let i = rng.below(children as u64) as usize;
    match v {
        Value::Object(m) => {
            if let Some((_, child)) = m.iter_mut().nth(i) {
                mutate(child, rng);
            }
        }
        Value::Array(a) => {
            if let Some(child) = a.get_mut(i) {
                mutate(child, rng);
            }
        }
        _ => {}
    }
}

#[test]
fn random_and_mutated_objects_never_panic_and_are_deterministic() {
    let c = catalog("1.37", true);
    let crd_kind = json!({"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
        "spec": {"group": "r.io", "names": {"kind": "R"}, "versions": [{"name": "v1", "served": true, "schema": {
            "openAPIV3Schema": {"type": "object", "properties": {"spec": {"type": "object",
                "x-kubernetes-preserve-unknown-fields": true, "properties": {
                    "l": {"type": "array", "x-kubernetes-list-type": "map", "x-kubernetes-list-map-keys": ["name"],
                          "items": {"type": "object", "properties": {"name": {"type": "string"}}}},
                    "s": {"type": "array", "x-kubernetes-list-type": "set", "uniqueItems": true},
                    "e": {"type": "object", "x-kubernetes-embedded-resource": true, "x-kubernetes-preserve-unknown-fields": true},
                    "any": {"anyOf": [{"type": "string", "pattern": "^a"}, {"type": "integer", "minimum": 3}]}}}}}}}]}});
    c.add_crd(&crd_kind).expect("crd");
    let validators: Vec<_> = [
        ("apps/v1", "Deployment"),
        ("v1", "Pod"),
        ("apiextensions.k8s.io/v1", "CustomResourceDefinition"),
        ("r.io/v1", "R"),
    ]
    .iter()
    .map(|(a, k)| validator(&c, a, k))
    .collect();
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    for round in 0..400 {
        let mut subject = if round % 2 == 0 {
            deployment()
        } else {
            rng.value(5)
        };
        for _ in 0..3 {
            mutate(&mut subject, &mut rng);
        }
        for v in &validators {
            let once = v.validate(&subject);
            assert_eq!(once, v.validate(&subject));
            assert_eq!(once.is_empty(), v.is_valid(&subject));
        }
        // Garbage as a CRD is an error or a CRD, never a panic.
        let mut crd = crd_kind.clone();
        mutate(&mut crd, &mut rng);
        let _ = c.add_crd(&crd);
    }
}

#[test]
fn absurd_nesting_is_cut_off_not_a_stack_overflow() {
    // JSONSchemaProps is recursive, so a CRD can nest as deep as its author likes.
    let mut schema = json!({"type": "string"});
    for _ in 0..400 {
        schema = json!({"type": "object", "properties": {"a": schema}});
    }
    let crd = json!({"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
        "metadata": {"name": "deep.d.io"},
        "spec": {"group": "d.io", "names": {"kind": "Deep", "plural": "deeps"}, "scope": "Namespaced",
                 "versions": [{"name": "v1", "served": true, "storage": true, "schema": {"openAPIV3Schema": schema}}]}});
    let c = catalog("1.37", true);
    let got = validate(&c, &crd);
    assert_eq!(got.len(), 1, "{got:?}");
    assert_eq!(got[0].keyword, Keyword::Invalid);
    assert!(
        got[0].message.contains("nested more than"),
        "{}",
        got[0].message
    );
    // As a CRD it is refused rather than compiled without end.
    let err = c
        .add_crd(&crd)
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(err.contains("nested more than 200 levels"), "{err}");
}
