package kvet.default_namespace_test

import rego.v1

import data.kvet.default_namespace

object(kind, metadata) := {"apiVersion": "v1", "kind": kind, "metadata": metadata}

require := {"default-namespace": {"require_namespace": true}}

test_own_namespace_allowed if {
	count(default_namespace.deny_forbidden) == 0 with input as object("ConfigMap", {"name": "c", "namespace": "shop"})
	count(default_namespace.deny_missing) == 0 with input as object("ConfigMap", {"name": "c", "namespace": "shop"}) with data.kvet.parameters as require
}

test_default_namespace_denied if {
	d := {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web", "namespace": "default"}, "spec": {}}
	default_namespace.deny_forbidden == {{
		"msg": "Deployment web is placed in namespace default: give it a namespace of its own, where its access, quotas and network policies can be set apart",
		"_loc": "/metadata/namespace",
	}} with input as d
}

test_missing_namespace_allowed_by_default if {
	count(default_namespace.deny_missing) == 0 with input as object("ConfigMap", {"name": "c"})
	count(default_namespace.deny_forbidden) == 0 with input as object("ConfigMap", {"name": "c"})
}

test_missing_namespace_denied_when_required if {
	default_namespace.deny_missing == {{
		"msg": "CronJob nightly sets no metadata.namespace, so it lands in whatever namespace kubectl or the deploying tool picks: set metadata.namespace",
		"_loc": "/metadata",
	}} with input as object("CronJob", {"name": "nightly"}) with data.kvet.parameters as require
	count(default_namespace.deny_missing) == 1 with input as object("Secret", {"name": "s", "namespace": ""}) with data.kvet.parameters as require
	some d in default_namespace.deny_missing with input as {"kind": "ConfigMap"} with data.kvet.parameters as require
	d._loc == ""
}

test_cluster_scoped_never_reported if {
	count(default_namespace.deny_forbidden) == 0 with input as object("ClusterRole", {"name": "r", "namespace": "default"})
	count(default_namespace.deny_missing) == 0 with input as object("Namespace", {"name": "default"}) with data.kvet.parameters as require
	count(default_namespace.deny_missing) == 0 with input as object("ClusterIssuer", {"name": "le"}) with data.kvet.parameters as require
	gk := {"apiVersion": "constraints.gatekeeper.sh/v1beta1", "kind": "K8sRequiredLabels", "metadata": {"name": "x"}}
	count(default_namespace.deny_missing) == 0 with input as gk with data.kvet.parameters as require
}

test_cluster_scoped_kinds_parameter if {
	params := {"default-namespace": {"require_namespace": true, "cluster_scoped_kinds": ["Tenant"]}}
	t := {"apiVersion": "example.io/v1", "kind": "Tenant", "metadata": {"name": "t"}}
	count(default_namespace.deny_missing) == 1 with input as t with data.kvet.parameters as require
	count(default_namespace.deny_missing) == 0 with input as t with data.kvet.parameters as params
}

test_forbidden_namespaces_parameter if {
	params := {"default-namespace": {"forbidden_namespaces": ["default", "kube-system"]}}
	count(default_namespace.deny_forbidden) == 1 with input as object("ConfigMap", {"name": "c", "namespace": "kube-system"}) with data.kvet.parameters as params
	count(default_namespace.deny_forbidden) == 0 with input as object("ConfigMap", {"name": "c", "namespace": "kube-system"})
}
