package kvet.lib.pods_test

import rego.v1

import data.kvet.lib.pods

job := {"kind": "Job", "spec": {"template": {
	"metadata": {"annotations": {"a~b/c": "x"}},
	"spec": {
		"securityContext": {"runAsNonRoot": true},
		"initContainers": [{"name": "init"}],
		"containers": [{"name": "app", "securityContext": {"privileged": false}}],
	},
}}}

test_paths_of_a_job if {
	pods.spec_path == "/spec/template/spec" with input as job
	pods.metadata_path == "/spec/template/metadata" with input as job
	pods.pod_sc_loc == "/spec/template/spec/securityContext" with input as job
	pods.annotation_loc("a~b/c") == "/spec/template/metadata/annotations/a~0b~1c" with input as job
}

test_containers_in_psa_order if {
	[[pods.name(c.c), pods.loc(c.list, c.i), pods.sc_loc(c.c, c.list, c.i)] | some c in pods.containers] == [
		["init", "/spec/template/spec/initContainers/0", "/spec/template/spec/initContainers/0"],
		["app", "/spec/template/spec/containers/0", "/spec/template/spec/containers/0/securityContext"],
	] with input as job
}

test_pod_without_security_context if {
	pods.pod_sc_loc == "/spec" with input as {"kind": "Pod", "spec": {"containers": []}}
}

test_minor if {
	pods.minor == 9999
	pods.minor == 24 with data.kvet.pss.minor as 24
	pods.minor == 30 with data.kvet.pss.minor as "1.30"
	pods.minor == 9999 with data.kvet.pss.minor as "latest"
}

test_other_kinds_have_no_pod if {
	count(pods.containers) == 0 with input as {"kind": "ConfigMap", "data": {}}
	not pods.spec_path with input as {"kind": "ConfigMap", "data": {}}
}
