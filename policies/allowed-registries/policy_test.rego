package kvet.allowed_registries_test

import rego.v1

import data.kvet.allowed_registries

pod(image) := {"kind": "Pod", "spec": {"containers": [{"name": "app", "image": image}]}}

params := {"allowed-registries": {"registries": ["registry.example.com", "ghcr.io/acme"]}}

test_listed_registry_allowed if {
	count(allowed_registries.deny) == 0 with input as pod("registry.example.com/team/app:1.0") with data.kvet.parameters as params
}

test_prefix_allowed if {
	count(allowed_registries.deny) == 0 with input as pod("ghcr.io/acme/tool:2") with data.kvet.parameters as params
}

test_other_path_of_prefix_registry_denied if {
	count(allowed_registries.deny) == 1 with input as pod("ghcr.io/evil/tool:2") with data.kvet.parameters as params
}

test_docker_hub_denied if {
	some d in allowed_registries.deny with input as pod("nginx:1.27") with data.kvet.parameters as params
	d._loc == "/spec/containers/0/image"
	contains(d.msg, "docker.io")
}

test_nothing_configured_nothing_reported if {
	count(allowed_registries.deny) == 0 with input as pod("nginx:1.27")
}
