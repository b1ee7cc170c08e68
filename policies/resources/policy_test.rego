package kvet.resources_test

import rego.v1

import data.kvet.resources

full := {"requests": {"cpu": "100m", "memory": "64Mi"}, "limits": {"memory": "64Mi"}}

pod(res) := {"kind": "Pod", "metadata": {"name": "p"}, "spec": {"containers": [{"name": "app", "image": "nginx:1.27", "resources": res}]}}

bare_pod := {"kind": "Pod", "metadata": {"name": "p"}, "spec": {"containers": [{"name": "app", "image": "nginx:1.27"}]}}

deployment := {"kind": "Deployment", "metadata": {"name": "web"}, "spec": {"template": {"spec": {
	"initContainers": [{"name": "init", "image": "busybox:1.36", "resources": {"limits": {"cpu": "1", "memory": "64Mi"}}}],
	"containers": [
		{"name": "app", "image": "nginx:1.27", "resources": full},
		{"name": "side", "image": "nginx:1.27", "resources": {"requests": {"cpu": "100m"}}},
	],
}}}}

cronjob := {"kind": "CronJob", "metadata": {"name": "nightly"}, "spec": {"jobTemplate": {"spec": {"template": {"spec": {
	"initContainers": [{"name": "init", "image": "busybox:1.36"}],
	"containers": [{"name": "job", "image": "busybox:1.36", "resources": full}],
}}}}}}

test_complete_container_allowed if {
	count(resources.deny_requests) == 0 with input as pod(full)
	count(resources.deny_limits) == 0 with input as pod(full)
}

test_cpu_limit_optional_by_default if {
	count(resources.deny_limits) == 0 with input as pod(full)
}

test_no_resources_denied_at_container if {
	resources.deny_requests == {{
		"msg": "container app sets no cpu or memory request: add resources.requests.cpu, resources.requests.memory",
		"_loc": "/spec/containers/0",
	}} with input as bare_pod
	some d in resources.deny_limits with input as bare_pod
	d._loc == "/spec/containers/0"
}

test_missing_request_points_at_requests if {
	count(resources.deny_requests) == 1 with input as deployment
	some d in resources.deny_requests with input as deployment
	d._loc == "/spec/template/spec/containers/1/resources/requests"
	contains(d.msg, "container side sets no memory request")
}

test_missing_limits_points_at_resources if {
	count(resources.deny_limits) == 1 with input as deployment
	some d in resources.deny_limits with input as deployment
	d._loc == "/spec/template/spec/containers/1/resources"
}

test_limit_counts_as_request if {
	count(resources.deny_requests) == 0 with input as pod({"limits": {"cpu": "1", "memory": "64Mi"}})
}

test_init_containers_checked_in_cronjob if {
	resources.deny_requests == {{
		"msg": "init container init sets no cpu or memory request: add resources.requests.cpu, resources.requests.memory",
		"_loc": "/spec/jobTemplate/spec/template/spec/initContainers/0",
	}} with input as cronjob
}

test_ephemeral_containers_ignored if {
	p := {"kind": "Pod", "spec": {"containers": [{"name": "app", "resources": full}], "ephemeralContainers": [{"name": "debug"}]}}
	count(resources.deny_requests) == 0 with input as p
	count(resources.deny_limits) == 0 with input as p
}

test_pod_level_resources_count if {
	p := {"kind": "Pod", "spec": {"resources": full, "containers": [{"name": "a"}, {"name": "b"}]}}
	count(resources.deny_requests) == 0 with input as p
	count(resources.deny_limits) == 0 with input as p
}

test_cpu_limit_required_by_parameter if {
	params := {"resources": {"limits": ["cpu", "memory"]}}
	some d in resources.deny_limits with input as pod(full) with data.kvet.parameters as params
	d == {"msg": "container app sets no cpu limit: add resources.limits.cpu", "_loc": "/spec/containers/0/resources/limits"}
}

test_requirements_switched_off_by_parameter if {
	params := {"resources": {"requests": [], "limits": []}}
	count(resources.deny_requests) == 0 with input as bare_pod with data.kvet.parameters as params
	count(resources.deny_limits) == 0 with input as bare_pod with data.kvet.parameters as params
}

test_null_values_are_missing if {
	count(resources.deny_requests) == 1 with input as pod({"requests": {"cpu": null, "memory": "1Gi"}, "limits": {"memory": "1Gi"}})
	count(resources.deny_requests) == 1 with input as pod(null)
}

test_other_kinds_ignored if {
	count(resources.deny_requests) == 0 with input as {"kind": "Service", "spec": {"containers": [{"name": "x"}]}}
}
