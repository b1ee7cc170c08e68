//! Image facts for policies: every container image among the inputs, collected once and
//! deduplicated, so a front end can resolve and verify them (in parallel, with a registry
//! client or an evidence file) before evaluation and hand the verdicts to Rego as
//! `data.kvet.images["<ref>"]`. Policies read facts; they make no network calls.

use crate::input::SourceFile;
use kvet_images::{facts_for, ImageFacts, ImageSource, VerifyOptions};
use rayon::prelude::*;
use serde_json::{Map, Value};
use std::collections::BTreeSet;

/// Keys of a pod spec that hold containers.
const CONTAINER_LISTS: &[&str] = &["initContainers", "containers", "ephemeralContainers"];

/// Adds the images of every container list anywhere in `v` (pod specs of any kind, including
/// custom resources that embed one).
fn walk(v: &Value, out: &mut BTreeSet<String>) {
    match v {
        Value::Object(m) => {
            for (k, child) in m {
                if CONTAINER_LISTS.contains(&k.as_str()) {
                    for c in child.as_array().into_iter().flatten() {
                        if let Some(image) = c.get("image").and_then(Value::as_str) {
                            out.insert(image.to_owned());
                        }
                    }
                }
                walk(child, out);
            }
        }
        Value::Array(a) => a.iter().for_each(|c| walk(c, out)),
        _ => {}
    }
}

/// Every distinct container image in `files`, sorted.
pub fn image_references(files: &[SourceFile]) -> Vec<String> {
    let sets: Vec<BTreeSet<String>> = files
        .par_iter()
        .map(|f| {
            let stream = kvet_yaml::parse_stream(&f.text, &kvet_yaml::Limits::default());
            let mut out = BTreeSet::new();
            for doc in &stream.documents {
                walk(&doc.value, &mut out);
            }
            out
        })
        .collect();
    let all: BTreeSet<String> = sets.into_iter().flatten().collect();
    all.into_iter().collect()
}

/// Every distinct container image in one object (or any value), sorted.
pub fn images_in(value: &Value) -> Vec<String> {
    let mut out = BTreeSet::new();
    walk(value, &mut out);
    out.into_iter().collect()
}

/// The facts of `images` as policy data, `{"kvet": {"images": {ref: facts}}}`.
pub fn image_data<'a>(facts: impl IntoIterator<Item = &'a ImageFacts>) -> Value {
    let images: Map<String, Value> = facts
        .into_iter()
        .map(|f| (f.image.clone(), f.to_value()))
        .collect();
    serde_json::json!({ "kvet": { "images": images } })
}

/// Facts from parsing alone (no registry): enough for digest pinning and invalid references.
pub fn parsed_facts(images: &[String]) -> Vec<ImageFacts> {
    images.iter().map(|i| ImageFacts::parse(i)).collect()
}

/// Facts resolved and verified through `source` one image at a time (an evidence file, or
/// any source on a single-threaded target).
pub fn resolved_facts(
    images: &[String],
    source: &dyn ImageSource,
    opts: &VerifyOptions,
    verify: bool,
) -> Vec<ImageFacts> {
    images
        .iter()
        .map(|i| facts_for(i, source, opts, verify))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn images_are_collected_from_every_pod_spec_once() {
        let text = "apiVersion: v1\nkind: Pod\nspec:\n  initContainers: [{name: i, image: busybox}]\n  containers: [{name: a, image: nginx:1}, {name: b, image: nginx:1}]\n---\napiVersion: batch/v1\nkind: CronJob\nspec:\n  jobTemplate:\n    spec:\n      template:\n        spec:\n          containers: [{name: c, image: 'ghcr.io/o/job@sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855'}]\n";
        let files = [SourceFile::new("a.yaml", text)];
        assert_eq!(
            image_references(&files),
            vec![
                "busybox",
                "ghcr.io/o/job@sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
                "nginx:1"
            ]
        );
        let data = image_data(&parsed_facts(&["nginx:1".to_owned(), "Bad".to_owned()]));
        assert_eq!(
            data.pointer("/kvet/images/nginx:1/repository"),
            Some(&Value::from("library/nginx"))
        );
        assert_eq!(
            data.pointer("/kvet/images/Bad/valid"),
            Some(&Value::from(false))
        );
    }
}
