# Namespaced objects name a namespace of their own: none may sit in a namespace of
# data.kvet.parameters["default-namespace"].forbidden_namespaces (default: default), and with
# require_namespace: true every one must set metadata.namespace. Cluster-scoped kinds are never
# reported: those below, those in the cluster_scoped_kinds parameter, and Gatekeeper constraints.
package kvet.default_namespace

import rego.v1

# Parameters ({} when none are given). A direct reference: object.get on data itself makes
# regorus materialise the data document on every evaluation.
params := p if {
	p := data.kvet.parameters["default-namespace"]
	is_object(p)
} else := {}

forbidden := object.get(params, "forbidden_namespaces", ["default"])

cluster_scoped := {
	# core
	"Namespace", "Node", "PersistentVolume", "ComponentStatus",
	# RBAC, CRDs, API registration, admission
	"ClusterRole", "ClusterRoleBinding", "CustomResourceDefinition", "APIService",
	"ValidatingWebhookConfiguration", "MutatingWebhookConfiguration",
	"ValidatingAdmissionPolicy", "ValidatingAdmissionPolicyBinding",
	"MutatingAdmissionPolicy", "MutatingAdmissionPolicyBinding",
	# scheduling, node, networking, storage
	"PriorityClass", "RuntimeClass", "IngressClass", "IPAddress", "ServiceCIDR",
	"StorageClass", "CSIDriver", "CSINode", "VolumeAttachment", "VolumeAttributesClass",
	"VolumeSnapshotClass", "VolumeSnapshotContent",
	# certificates, flow control, policy, storage migration, dynamic resources
	"CertificateSigningRequest", "ClusterTrustBundle", "FlowSchema", "PriorityLevelConfiguration",
	"PodSecurityPolicy", "StorageVersion", "StorageVersionMigration", "DeviceClass", "ResourceSlice",
	# review APIs (create-only)
	"TokenReview", "SubjectAccessReview", "SelfSubjectAccessReview", "SelfSubjectRulesReview",
	"SelfSubjectReview",
	# common add-ons: Gateway API, cert-manager, Kyverno, Gatekeeper, External Secrets
	"GatewayClass", "ClusterIssuer", "ClusterPolicy", "ClusterPolicyReport", "ClusterCleanupPolicy",
	"ConstraintTemplate", "ClusterSecretStore", "ClusterExternalSecret",
}

namespaced if {
	not input.kind in cluster_scoped
	not input.kind in object.get(params, "cluster_scoped_kinds", [])
	not startswith(input.apiVersion, "constraints.gatekeeper.sh/")
}

namespace := ns if {
	ns := input.metadata.namespace
	is_string(ns)
	ns != ""
}

name := n if {
	n := input.metadata.name
	is_string(n)
} else := "(unnamed)"

# forbidden: metadata.namespace is not one of forbidden_namespaces.
deny_forbidden contains {"msg": msg, "_loc": "/metadata/namespace"} if {
	namespace in forbidden
	namespaced
	msg := sprintf("%s %s is placed in namespace %s: give it a namespace of its own, where its access, quotas and network policies can be set apart", [input.kind, name, namespace])
}

# missing: with require_namespace, metadata.namespace is set.
deny_missing contains {"msg": msg, "_loc": loc} if {
	object.get(params, "require_namespace", false) == true
	not namespace
	namespaced
	loc := metadata_loc
	msg := sprintf("%s %s sets no metadata.namespace, so it lands in whatever namespace kubectl or the deploying tool picks: set metadata.namespace", [input.kind, name])
}

metadata_loc := "/metadata" if is_object(input.metadata)

else := ""
