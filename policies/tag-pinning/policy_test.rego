package kvet.tag_pinning_test

import rego.v1

import data.kvet.tag_pinning

pod(image) := {"kind": "Pod", "spec": {"containers": [{"name": "app", "image": image}]}}

deployment(image) := {"kind": "Deployment", "spec": {"template": {"spec": {"initContainers": [{"name": "init", "image": image}]}}}}

test_latest_denied if {
	some d in tag_pinning.deny with input as pod("nginx:latest")
	d._loc == "/spec/containers/0/image"
}

test_missing_tag_denied if {
	count(tag_pinning.deny) == 1 with input as pod("registry.example.com:5000/team/app")
}

test_version_allowed if {
	count(tag_pinning.deny) == 0 with input as pod("nginx:1.27.3")
}

test_port_is_not_a_tag if {
	count(tag_pinning.deny) == 0 with input as pod("registry.example.com:5000/app:2.0")
}

test_digest_allowed if {
	count(tag_pinning.deny) == 0 with input as pod("nginx@sha256:0000000000000000000000000000000000000000000000000000000000000000")
}

test_init_containers_of_workloads if {
	some d in tag_pinning.deny with input as deployment("busybox")
	d._loc == "/spec/template/spec/initContainers/0/image"
}

test_digest_required_per_registry if {
	params := {"tag-pinning": {"digest_registries": ["registry.example.com"]}}
	count(tag_pinning.deny) == 1 with input as pod("registry.example.com/app:1.0") with data.kvet.parameters as params
	count(tag_pinning.deny) == 0 with input as pod("docker.io/library/nginx:1.0") with data.kvet.parameters as params
}
