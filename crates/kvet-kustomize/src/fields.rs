//! Where kustomize's transformers write: label and annotation field specs, cluster-scoped
//! kinds, name-reference fields and image fields of the built-in kinds.

use serde_json::{Map, Value};

/// Kinds without a namespace.
pub const CLUSTER_SCOPED: &[&str] = &[
    "APIService",
    "CSIDriver",
    "CSINode",
    "CertificateSigningRequest",
    "ClusterRole",
    "ClusterRoleBinding",
    "ComponentStatus",
    "CustomResourceDefinition",
    "FlowSchema",
    "IngressClass",
    "MutatingWebhookConfiguration",
    "Namespace",
    "Node",
    "PersistentVolume",
    "PodSecurityPolicy",
    "PriorityClass",
    "PriorityLevelConfiguration",
    "RuntimeClass",
    "SelfSubjectAccessReview",
    "SelfSubjectRulesReview",
    "StorageClass",
    "SubjectAccessReview",
    "TokenReview",
    "ValidatingAdmissionPolicy",
    "ValidatingAdmissionPolicyBinding",
    "ValidatingWebhookConfiguration",
    "VolumeAttachment",
];

/// Whether objects of `kind` live outside namespaces.
pub fn cluster_scoped(kind: &str) -> bool {
    CLUSTER_SCOPED.contains(&kind)
}

/// A field a transformer writes: for `kind` (any when empty), at `path`; `create` makes the
/// field when missing.
#[derive(Debug, Clone, Copy)]
pub struct Spec {
    pub group: Option<&'static str>,
    pub kind: &'static str,
    pub path: &'static str,
    pub create: bool,
}

const fn s(kind: &'static str, path: &'static str, create: bool) -> Spec {
    Spec {
        group: None,
        kind,
        path,
        create,
    }
}

/// Selector fields commonLabels (and `labels` with includeSelectors) write.
pub const SELECTOR_LABELS: &[Spec] = &[
    s("Service", "spec/selector", true),
    s("ReplicationController", "spec/selector", true),
    s("Deployment", "spec/selector/matchLabels", true),
    s("ReplicaSet", "spec/selector/matchLabels", true),
    s("DaemonSet", "spec/selector/matchLabels", true),
    s("StatefulSet", "spec/selector/matchLabels", true),
    s("Job", "spec/selector/matchLabels", false),
    s(
        "CronJob",
        "spec/jobTemplate/spec/selector/matchLabels",
        false,
    ),
    s("PodDisruptionBudget", "spec/selector/matchLabels", false),
    s("NetworkPolicy", "spec/podSelector/matchLabels", false),
    s(
        "NetworkPolicy",
        "spec/ingress/from/podSelector/matchLabels",
        false,
    ),
    s(
        "NetworkPolicy",
        "spec/egress/to/podSelector/matchLabels",
        false,
    ),
];

/// Template label fields commonLabels (and `labels` with includeTemplates) write.
pub const TEMPLATE_LABELS: &[Spec] = &[
    s(
        "ReplicationController",
        "spec/template/metadata/labels",
        true,
    ),
    s("Deployment", "spec/template/metadata/labels", true),
    s("ReplicaSet", "spec/template/metadata/labels", true),
    s("DaemonSet", "spec/template/metadata/labels", true),
    s("StatefulSet", "spec/template/metadata/labels", true),
    s(
        "StatefulSet",
        "spec/volumeClaimTemplates/metadata/labels",
        true,
    ),
    s("Job", "spec/template/metadata/labels", true),
    s("CronJob", "spec/jobTemplate/metadata/labels", true),
    s(
        "CronJob",
        "spec/jobTemplate/spec/template/metadata/labels",
        true,
    ),
];

/// Template annotation fields commonAnnotations writes.
pub const TEMPLATE_ANNOTATIONS: &[Spec] = &[
    s(
        "ReplicationController",
        "spec/template/metadata/annotations",
        true,
    ),
    s("Deployment", "spec/template/metadata/annotations", true),
    s("ReplicaSet", "spec/template/metadata/annotations", true),
    s("DaemonSet", "spec/template/metadata/annotations", true),
    s("StatefulSet", "spec/template/metadata/annotations", true),
    s("Job", "spec/template/metadata/annotations", true),
    s("CronJob", "spec/jobTemplate/metadata/annotations", true),
    s(
        "CronJob",
        "spec/jobTemplate/spec/template/metadata/annotations",
        true,
    ),
];

/// Adds `entries` to the mapping at `path` (sequences along the way are walked into).
pub fn add_entries(obj: &mut Value, path: &[&str], create: bool, entries: &[(String, String)]) {
    let Some((first, rest)) = path.split_first() else {
        if let Value::Object(m) = obj {
            for (k, v) in entries {
                m.insert(k.clone(), Value::String(v.clone()));
            }
        } else if obj.is_null() && create {
            let mut m = Map::new();
            for (k, v) in entries {
                m.insert(k.clone(), Value::String(v.clone()));
            }
            *obj = Value::Object(m);
        }
        return;
    };
    match obj {
        Value::Array(items) => {
            for item in items {
                add_entries(item, path, create, entries);
            }
        }
        Value::Object(m) => {
            if !m.contains_key(*first) || m.get(*first).is_some_and(Value::is_null) {
                if !create {
                    return;
                }
                m.insert((*first).to_owned(), Value::Object(Map::new()));
            }
            if let Some(next) = m.get_mut(*first) {
                add_entries(next, rest, create, entries);
            }
        }
        _ => {}
    }
}

/// Applies field specs that match `kind`.
pub fn apply_specs(obj: &mut Value, specs: &[Spec], entries: &[(String, String)]) {
    let kind = obj
        .get("kind")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_owned();
    for spec in specs {
        if spec.kind == kind && spec.group.is_none() {
            let path: Vec<&str> = spec.path.split('/').collect();
            add_entries(obj, &path, spec.create, entries);
        }
    }
}

/// A field that names another object: the referrer kind (any when empty), the path (`[]`
/// walks a list), and for role bindings the sibling `kind` the reference must carry.
#[derive(Debug, Clone, Copy)]
pub struct RefSpec {
    pub target: &'static str,
    pub referrer: &'static str,
    pub path: &'static str,
}

const fn r(target: &'static str, referrer: &'static str, path: &'static str) -> RefSpec {
    RefSpec {
        target,
        referrer,
        path,
    }
}

/// Pod spec locations per workload kind.
pub const POD_SPECS: &[(&str, &str)] = &[
    ("Pod", "spec"),
    ("Deployment", "spec/template/spec"),
    ("ReplicaSet", "spec/template/spec"),
    ("DaemonSet", "spec/template/spec"),
    ("StatefulSet", "spec/template/spec"),
    ("Job", "spec/template/spec"),
    ("ReplicationController", "spec/template/spec"),
    ("CronJob", "spec/jobTemplate/spec/template/spec"),
];

/// Reference paths inside a pod spec, by target kind.
pub const POD_REFS: &[(&str, &str)] = &[
    ("ConfigMap", "volumes[]/configMap/name"),
    ("ConfigMap", "volumes[]/projected/sources[]/configMap/name"),
    (
        "ConfigMap",
        "containers[]/env[]/valueFrom/configMapKeyRef/name",
    ),
    (
        "ConfigMap",
        "initContainers[]/env[]/valueFrom/configMapKeyRef/name",
    ),
    ("ConfigMap", "containers[]/envFrom[]/configMapRef/name"),
    ("ConfigMap", "initContainers[]/envFrom[]/configMapRef/name"),
    ("Secret", "volumes[]/secret/secretName"),
    ("Secret", "volumes[]/projected/sources[]/secret/name"),
    ("Secret", "containers[]/env[]/valueFrom/secretKeyRef/name"),
    (
        "Secret",
        "initContainers[]/env[]/valueFrom/secretKeyRef/name",
    ),
    ("Secret", "containers[]/envFrom[]/secretRef/name"),
    ("Secret", "initContainers[]/envFrom[]/secretRef/name"),
    ("Secret", "imagePullSecrets[]/name"),
    ("ServiceAccount", "serviceAccountName"),
    ("ServiceAccount", "serviceAccount"),
    (
        "PersistentVolumeClaim",
        "volumes[]/persistentVolumeClaim/claimName",
    ),
    ("PriorityClass", "priorityClassName"),
];

/// Other reference fields.
pub const REFS: &[RefSpec] = &[
    r("Secret", "ServiceAccount", "imagePullSecrets[]/name"),
    r("Secret", "ServiceAccount", "secrets[]/name"),
    r("Secret", "Ingress", "spec/tls[]/secretName"),
    r(
        "Service",
        "Ingress",
        "spec/rules[]/http/paths[]/backend/service/name",
    ),
    r("Service", "Ingress", "spec/defaultBackend/service/name"),
    r(
        "Service",
        "Ingress",
        "spec/rules[]/http/paths[]/backend/serviceName",
    ),
    r("Service", "Ingress", "spec/backend/serviceName"),
    r("Service", "StatefulSet", "spec/serviceName"),
    r("Service", "APIService", "spec/service/name"),
    r(
        "Service",
        "MutatingWebhookConfiguration",
        "webhooks[]/clientConfig/service/name",
    ),
    r(
        "Service",
        "ValidatingWebhookConfiguration",
        "webhooks[]/clientConfig/service/name",
    ),
    r(
        "PersistentVolume",
        "PersistentVolumeClaim",
        "spec/volumeName",
    ),
    r(
        "StorageClass",
        "PersistentVolumeClaim",
        "spec/storageClassName",
    ),
    r("StorageClass", "PersistentVolume", "spec/storageClassName"),
    r(
        "StorageClass",
        "StatefulSet",
        "spec/volumeClaimTemplates[]/spec/storageClassName",
    ),
    r(
        "ConfigMap",
        "Ingress",
        "metadata/annotations/nginx.ingress.kubernetes.io~1configuration-snippet",
    ),
];

/// Scale targets of autoscalers.
pub const SCALE_TARGETS: &[&str] = &[
    "Deployment",
    "ReplicaSet",
    "StatefulSet",
    "ReplicationController",
];

/// Visits every string at `path` (segments with `[]` walk lists).
pub fn visit_strings(v: &mut Value, path: &[&str], f: &mut dyn FnMut(&mut String)) {
    let Some((first, rest)) = path.split_first() else {
        if let Value::String(s) = v {
            f(s);
        }
        return;
    };
    let (field, list) = match first.strip_suffix("[]") {
        Some(f) => (f, true),
        None => (*first, false),
    };
    let field = field.replace("~1", "/");
    let Some(next) = v.get_mut(&field) else {
        return;
    };
    if list {
        if let Value::Array(items) = next {
            for item in items {
                visit_strings(item, rest, f);
            }
        }
    } else {
        visit_strings(next, rest, f);
    }
}

/// Sets the scalar at `path` (stepping into every element of a list on the way); with
/// `create`, missing mappings and the field itself are made.
pub fn set_scalar(obj: &mut Value, path: &[&str], create: bool, value: &Value) {
    let Some((first, rest)) = path.split_first() else {
        return;
    };
    match obj {
        Value::Array(items) => {
            for item in items {
                set_scalar(item, path, create, value);
            }
        }
        Value::Object(m) => {
            if rest.is_empty() {
                if create || m.contains_key(*first) {
                    m.insert((*first).to_owned(), value.clone());
                }
                return;
            }
            if !m.contains_key(*first) || m.get(*first).is_some_and(Value::is_null) {
                if !create {
                    return;
                }
                m.insert((*first).to_owned(), Value::Object(Map::new()));
            }
            if let Some(next) = m.get_mut(*first) {
                set_scalar(next, rest, create, value);
            }
        }
        _ => {}
    }
}
