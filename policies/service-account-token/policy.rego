# Pods and pod templates set automountServiceAccountToken: false in their pod spec, and
# ServiceAccounts set it false too, unless the service account is listed in
# data.kvet.parameters["service-account-token"].exempt_service_accounts (a name, or
# namespace/name). The pod's setting overrides its ServiceAccount's, and the ServiceAccount is
# usually not among the objects checked with the pod, so only the pod's own setting counts.
package kvet.service_account_token

import rego.v1

# Parameters ({} when none are given). A direct reference: object.get on data itself makes
# regorus materialise the data document on every evaluation.
params := p if {
	p := data.kvet.parameters["service-account-token"]
	is_object(p)
} else := {}

exempt := object.get(params, "exempt_service_accounts", [])

namespace := ns if {
	ns := input.metadata.namespace
	is_string(ns)
} else := ""

exempted(sa) if sa in exempt

exempted(sa) if concat("/", [namespace, sa]) in exempt

# The service account a pod runs as (serviceAccount is the deprecated alias).
service_account := sa if {
	sa := data.kvet.lib.workloads.spec.serviceAccountName
	is_string(sa)
	sa != ""
} else := sa if {
	sa := data.kvet.lib.workloads.spec.serviceAccount
	is_string(sa)
	sa != ""
} else := "default"

# pod_spec: the pod spec opts out of the token.
warn_pod_spec contains {"msg": msg, "_loc": loc} if {
	setting := object.get(data.kvet.lib.workloads.spec, "automountServiceAccountToken", null)
	setting != false
	not exempted(service_account)
	loc := data.kvet.lib.workloads.field_loc(data.kvet.lib.workloads.spec_path, data.kvet.lib.workloads.spec, "automountServiceAccountToken")
	msg := pod_message(setting)
}

pod_message(true) := sprintf("%s mounts the API token of service account %s (automountServiceAccountToken: true): set it to false unless the pods call the Kubernetes API, and exempt the service account if they do", [data.kvet.lib.workloads.name, service_account])

pod_message(setting) := sprintf("%s does not set automountServiceAccountToken: false in its pod spec, so its pods get the API token of service account %s unless the ServiceAccount itself disables it: set it to false, or exempt the service account if the pods call the Kubernetes API", [data.kvet.lib.workloads.name, service_account]) if setting != true

# service_account: the ServiceAccount disables automounting for the pods that use it.
warn_service_account contains {"msg": msg, "_loc": loc} if {
	input.kind == "ServiceAccount"
	setting := object.get(input, "automountServiceAccountToken", null)
	setting != false
	not exempted(data.kvet.lib.workloads.object_name)
	loc := data.kvet.lib.workloads.field_loc("", input, "automountServiceAccountToken")
	msg := sprintf("ServiceAccount %s does not set automountServiceAccountToken: false, so every pod using it gets its API token unless the pod opts out: set it to false, and let the pods that need the API set automountServiceAccountToken: true", [data.kvet.lib.workloads.object_name])
}
