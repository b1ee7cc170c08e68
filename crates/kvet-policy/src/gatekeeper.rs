//! Gatekeeper policies: ConstraintTemplates (`targets[].rego` plus `libs`) and Constraints with
//! their `match`, `parameters` and `enforcementAction`, evaluated with Gatekeeper's input shape
//! (`input.review`, `input.parameters`) and `data.inventory`.

use crate::glob;
use serde_json::{json, Map, Value};
use std::collections::HashMap;

/// What a constraint does when violated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// `deny` (the default): an error.
    Deny,
    /// `warn`: a warning.
    Warn,
    /// `dryrun`: reported as a warning, never blocking.
    DryRun,
}

/// A constraint: an instance of a template kind.
#[derive(Debug, Clone)]
pub(crate) struct Constraint {
    pub kind: String,
    pub name: String,
    pub action: Action,
    pub parameters: Value,
    pub matcher: Value,
    /// `data.<template package>.violation`
    pub rule_path: String,
}

/// The labels of Namespace objects among the inputs, for `namespaceSelector`.
pub type NamespaceLabels = HashMap<String, Map<String, Value>>;

/// Kinds that are cluster-scoped in Kubernetes (used for `match.scope` and `namespaces`).
const CLUSTER_SCOPED: &[&str] = &[
    "Namespace",
    "Node",
    "PersistentVolume",
    "ClusterRole",
    "ClusterRoleBinding",
    "CustomResourceDefinition",
    "StorageClass",
    "PriorityClass",
    "ValidatingWebhookConfiguration",
    "MutatingWebhookConfiguration",
    "ValidatingAdmissionPolicy",
    "ValidatingAdmissionPolicyBinding",
    "APIService",
    "IngressClass",
    "RuntimeClass",
    "CSIDriver",
    "CSINode",
    "VolumeAttachment",
    "PodSecurityPolicy",
    "CertificateSigningRequest",
    "FlowSchema",
    "PriorityLevelConfiguration",
    "ConstraintTemplate",
];

/// Whether an object is cluster-scoped: a known cluster-scoped kind, or (for other kinds)
/// one without a namespace.
pub(crate) fn is_cluster_scoped(obj: &Value) -> bool {
    let kind = obj.get("kind").and_then(Value::as_str).unwrap_or("");
    CLUSTER_SCOPED.contains(&kind) || obj.pointer("/metadata/namespace").is_none()
}

fn str_list(v: Option<&Value>) -> Vec<&str> {
    v.and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default()
}

/// Gatekeeper's namespace patterns: exact, or with a `*` prefix or suffix wildcard.
fn ns_matches(pattern: &str, ns: &str) -> bool {
    glob::matches(&pattern.replace('.', "\u{1}"), &ns.replace('.', "\u{1}"))
}

/// Whether a label selector (`matchLabels`, `matchExpressions`) selects `labels`.
pub(crate) fn selects(selector: &Value, labels: &Map<String, Value>) -> bool {
    if let Some(Value::Object(ml)) = selector.get("matchLabels") {
        for (k, v) in ml {
            if labels.get(k) != Some(v) {
                return false;
            }
        }
    }
    if let Some(Value::Array(exprs)) = selector.get("matchExpressions") {
        for e in exprs {
            let key = e.get("key").and_then(Value::as_str).unwrap_or("");
            let values = str_list(e.get("values"));
            let have = labels.get(key).and_then(Value::as_str);
            let ok = match e.get("operator").and_then(Value::as_str).unwrap_or("") {
                "In" => have.is_some_and(|h| values.contains(&h)),
                "NotIn" => have.is_none_or(|h| !values.contains(&h)),
                "Exists" => have.is_some(),
                "DoesNotExist" => have.is_none(),
                _ => false,
            };
            if !ok {
                return false;
            }
        }
    }
    true
}

fn labels_of(obj: &Value) -> Map<String, Value> {
    obj.pointer("/metadata/labels")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default()
}

/// Whether the constraint's `match` block applies to `obj`.
pub(crate) fn matches(m: &Value, obj: &Value, namespaces: &NamespaceLabels) -> bool {
    let api_version = obj.get("apiVersion").and_then(Value::as_str).unwrap_or("");
    let group = api_version.rsplit_once('/').map_or("", |(g, _)| g);
    let kind = obj.get("kind").and_then(Value::as_str).unwrap_or("");
    let name = obj
        .pointer("/metadata/name")
        .and_then(Value::as_str)
        .unwrap_or("");
    let cluster = is_cluster_scoped(obj);
    // The namespace a constraint's namespace rules see: a Namespace object's own name.
    let ns = if kind == "Namespace" {
        Some(name)
    } else {
        obj.pointer("/metadata/namespace").and_then(Value::as_str)
    };
    if let Some(Value::Array(kinds)) = m.get("kinds") {
        if !kinds.is_empty()
            && !kinds.iter().any(|k| {
                let groups = str_list(k.get("apiGroups"));
                let ks = str_list(k.get("kinds"));
                (groups.contains(&"*") || groups.contains(&group))
                    && (ks.contains(&"*") || ks.contains(&kind))
            })
        {
            return false;
        }
    }
    match m.get("scope").and_then(Value::as_str).unwrap_or("*") {
        "Cluster" if !cluster => return false,
        "Namespaced" if cluster => return false,
        _ => {}
    }
    if let Some(Value::Array(list)) = m.get("namespaces") {
        let pats: Vec<&str> = list.iter().filter_map(Value::as_str).collect();
        if !pats.is_empty() && !ns.is_some_and(|n| pats.iter().any(|p| ns_matches(p, n))) {
            return false;
        }
    }
    if let Some(Value::Array(list)) = m.get("excludedNamespaces") {
        if ns.is_some_and(|n| {
            list.iter()
                .filter_map(Value::as_str)
                .any(|p| ns_matches(p, n))
        }) {
            return false;
        }
    }
    if let Some(sel) = m.get("labelSelector") {
        if !selects(sel, &labels_of(obj)) {
            return false;
        }
    }
    if let Some(sel) = m.get("namespaceSelector") {
        let labels = if kind == "Namespace" {
            Some(labels_of(obj))
        } else {
            ns.and_then(|n| namespaces.get(n)).cloned()
        };
        match labels {
            Some(l) if selects(sel, &l) => {}
            _ => return false,
        }
    }
    if let Some(pattern) = m.get("name").and_then(Value::as_str) {
        if !ns_matches(pattern, name) {
            return false;
        }
    }
    true
}

/// Gatekeeper's `input.review` for an object checked before admission (a CREATE).
pub(crate) fn review(obj: &Value) -> Value {
    let api_version = obj.get("apiVersion").and_then(Value::as_str).unwrap_or("");
    let (group, version) = api_version.rsplit_once('/').unwrap_or(("", api_version));
    json!({
        "kind": {"group": group, "version": version, "kind": obj.get("kind").cloned().unwrap_or(Value::Null)},
        "name": obj.pointer("/metadata/name").cloned().unwrap_or(Value::Null),
        "namespace": obj.pointer("/metadata/namespace").cloned().unwrap_or(Value::Null),
        "operation": "CREATE",
        "object": obj,
        "oldObject": Value::Null,
        "userInfo": {"username": "kvet", "groups": []},
        "dryRun": false,
    })
}

/// `data.inventory` as Gatekeeper's sync builds it: `cluster[groupVersion][kind][name]` and
/// `namespace[ns][groupVersion][kind][name]`.
pub fn inventory<'a>(objects: impl IntoIterator<Item = &'a Value>) -> Value {
    let mut cluster = Map::new();
    let mut namespaced = Map::new();
    for o in objects {
        let (Some(gv), Some(kind), Some(name)) = (
            o.get("apiVersion").and_then(Value::as_str),
            o.get("kind").and_then(Value::as_str),
            o.pointer("/metadata/name").and_then(Value::as_str),
        ) else {
            continue;
        };
        let root = if is_cluster_scoped(o) {
            &mut cluster
        } else {
            let ns = o
                .pointer("/metadata/namespace")
                .and_then(Value::as_str)
                .unwrap_or("default");
            namespaced
                .entry(ns.to_owned())
                .or_insert_with(|| Value::Object(Map::new()))
                .as_object_mut()
                .expect("inserted an object")
        };
        let by_gv = root
            .entry(gv.to_owned())
            .or_insert_with(|| Value::Object(Map::new()));
        if let Some(by_kind) = by_gv.as_object_mut() {
            let names = by_kind
                .entry(kind.to_owned())
                .or_insert_with(|| Value::Object(Map::new()));
            if let Some(names) = names.as_object_mut() {
                names.insert(name.to_owned(), o.clone());
            }
        }
    }
    json!({"cluster": cluster, "namespace": namespaced})
}

/// The action of a constraint's `enforcementAction`.
pub(crate) fn action(v: Option<&Value>) -> Action {
    match v.and_then(Value::as_str).unwrap_or("deny") {
        "warn" => Action::Warn,
        "dryrun" => Action::DryRun,
        _ => Action::Deny,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn match_blocks() {
        let none = NamespaceLabels::new();
        let pod = json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "web-1", "namespace": "shop", "labels": {"tier": "web"}}});
        assert!(matches(&json!({}), &pod, &none));
        assert!(matches(
            &json!({"kinds": [{"apiGroups": [""], "kinds": ["Pod"]}]}),
            &pod,
            &none
        ));
        assert!(!matches(
            &json!({"kinds": [{"apiGroups": ["apps"], "kinds": ["Pod"]}]}),
            &pod,
            &none
        ));
        assert!(matches(
            &json!({"kinds": [{"apiGroups": ["*"], "kinds": ["*"]}]}),
            &pod,
            &none
        ));
        assert!(matches(&json!({"namespaces": ["sh*"]}), &pod, &none));
        assert!(!matches(&json!({"namespaces": ["kube-*"]}), &pod, &none));
        assert!(!matches(
            &json!({"excludedNamespaces": ["shop"]}),
            &pod,
            &none
        ));
        assert!(matches(
            &json!({"labelSelector": {"matchLabels": {"tier": "web"}}}),
            &pod,
            &none
        ));
        assert!(!matches(
            &json!({"labelSelector": {"matchExpressions": [{"key": "tier", "operator": "NotIn", "values": ["web"]}]}}),
            &pod,
            &none
        ));
        assert!(matches(
            &json!({"labelSelector": {"matchExpressions": [{"key": "x", "operator": "DoesNotExist"}]}}),
            &pod,
            &none
        ));
        assert!(matches(&json!({"name": "web-*"}), &pod, &none));
        assert!(!matches(&json!({"scope": "Cluster"}), &pod, &none));
        // namespaceSelector needs the Namespace among the inputs.
        let sel = json!({"namespaceSelector": {"matchLabels": {"env": "prod"}}});
        assert!(!matches(&sel, &pod, &none));
        let mut ns = NamespaceLabels::new();
        ns.insert(
            "shop".into(),
            json!({"env": "prod"}).as_object().cloned().unwrap(),
        );
        assert!(matches(&sel, &pod, &ns));
        let node = json!({"apiVersion": "v1", "kind": "Node", "metadata": {"name": "n1"}});
        assert!(matches(&json!({"scope": "Cluster"}), &node, &none));
        assert!(!matches(&json!({"namespaces": ["shop"]}), &node, &none));
    }

    #[test]
    fn inventory_shape() {
        let objs = [
            json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "a", "namespace": "x"}}),
            json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "x"}}),
        ];
        let inv = inventory(objs.iter());
        assert!(inv.pointer("/namespace/x/v1/Service/a").is_some());
        assert!(inv.pointer("/cluster/v1/Namespace/x").is_some());
    }
}
