package kvet.service_account_token_test

import rego.v1

import data.kvet.service_account_token

deployment(spec) := {"kind": "Deployment", "metadata": {"name": "web", "namespace": "shop"}, "spec": {"template": {"spec": object.union({"containers": [{"name": "app"}]}, spec)}}}

cronjob(spec) := {"kind": "CronJob", "metadata": {"name": "nightly"}, "spec": {"jobTemplate": {"spec": {"template": {"spec": object.union({"containers": [{"name": "job"}]}, spec)}}}}}

sa(fields) := object.union({"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "builder", "namespace": "ci"}}, fields)

test_opted_out_pod_allowed if {
	count(service_account_token.warn_pod_spec) == 0 with input as deployment({"automountServiceAccountToken": false})
	count(service_account_token.warn_pod_spec) == 0 with input as {"kind": "Pod", "spec": {"automountServiceAccountToken": false, "containers": []}}
}

test_unset_warned_at_pod_spec if {
	service_account_token.warn_pod_spec == {{
		"msg": "CronJob nightly does not set automountServiceAccountToken: false in its pod spec, so its pods get the API token of service account default unless the ServiceAccount itself disables it: set it to false, or exempt the service account if the pods call the Kubernetes API",
		"_loc": "/spec/jobTemplate/spec/template/spec",
	}} with input as cronjob({})
}

test_explicit_true_warned_at_field if {
	some w in service_account_token.warn_pod_spec with input as deployment({"automountServiceAccountToken": true, "serviceAccountName": "api"})
	w._loc == "/spec/template/spec/automountServiceAccountToken"
	contains(w.msg, "Deployment web mounts the API token of service account api")
}

test_exempt_by_name_and_namespace if {
	d := deployment({"serviceAccountName": "operator"})
	count(service_account_token.warn_pod_spec) == 0 with input as d with data.kvet.parameters as {"service-account-token": {"exempt_service_accounts": ["operator"]}}
	count(service_account_token.warn_pod_spec) == 0 with input as d with data.kvet.parameters as {"service-account-token": {"exempt_service_accounts": ["shop/operator"]}}
	count(service_account_token.warn_pod_spec) == 1 with input as d with data.kvet.parameters as {"service-account-token": {"exempt_service_accounts": ["other/operator"]}}
}

test_default_service_account_can_be_exempted if {
	count(service_account_token.warn_pod_spec) == 0 with input as cronjob({}) with data.kvet.parameters as {"service-account-token": {"exempt_service_accounts": ["default"]}}
}

test_deprecated_service_account_field if {
	some w in service_account_token.warn_pod_spec with input as deployment({"serviceAccount": "legacy"})
	contains(w.msg, "service account legacy")
}

test_service_account_opted_out_allowed if {
	count(service_account_token.warn_service_account) == 0 with input as sa({"automountServiceAccountToken": false})
}

test_service_account_unset_warned_at_object if {
	service_account_token.warn_service_account == {{
		"msg": "ServiceAccount builder does not set automountServiceAccountToken: false, so every pod using it gets its API token unless the pod opts out: set it to false, and let the pods that need the API set automountServiceAccountToken: true",
		"_loc": "",
	}} with input as sa({})
	some w in service_account_token.warn_service_account with input as sa({"automountServiceAccountToken": true})
	w._loc == "/automountServiceAccountToken"
}

test_service_account_exempted if {
	count(service_account_token.warn_service_account) == 0 with input as sa({}) with data.kvet.parameters as {"service-account-token": {"exempt_service_accounts": ["ci/builder"]}}
}

test_other_kinds_ignored if {
	count(service_account_token.warn_pod_spec) == 0 with input as {"kind": "Service", "spec": {}}
	count(service_account_token.warn_service_account) == 0 with input as {"kind": "Service", "spec": {}}
	count(service_account_token.warn_pod_spec) == 0 with input as sa({})
}
