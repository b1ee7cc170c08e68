package kvet.image_digest_pinned_test

import rego.v1

import data.kvet.image_digest_pinned

pod(image) := {"kind": "Pod", "spec": {"containers": [{"name": "app", "image": image}]}}

pinned := "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

facts := {
	"nginx:1.27": {"valid": true, "error": "", "registry": "docker.io", "name": "docker.io/library/nginx", "tag": "1.27", "digest": "", "tag_digest": pinned},
	"Bad/Ref": {"valid": false, "error": "invalid reference format: repository name (Ref) must be lowercase"},
}

test_digest_passes if {
	count(image_digest_pinned.deny) == 0 with input as pod(concat("@", ["nginx:1.27", pinned]))
}

test_tag_denied_without_facts if {
	some d in image_digest_pinned.deny with input as pod("nginx:1.27")
	d.msg == "container app must reference its image by digest (nginx:1.27@sha256:…)"
	d._loc == "/spec/containers/0/image"
}

test_resolved_digest_is_suggested if {
	# Expected values are computed before the `with` line: regorus leaves package rules
	# undefined in the expressions after a `with data… as <rule>`.
	want := sprintf("container app must reference its image by digest: nginx:1.27 resolves to %s (pin it as nginx:1.27@%s)", [pinned, pinned])
	some d in image_digest_pinned.deny with input as pod("nginx:1.27") with data.kvet.images as facts
	d.msg == want
}

test_invalid_reference_reported if {
	some d in image_digest_pinned.deny with input as pod("Bad/Ref") with data.kvet.images as facts
	d.msg == "container app has an invalid image reference \"Bad/Ref\": invalid reference format: repository name (Ref) must be lowercase"
}

test_registries_limit_scope if {
	params := {"image-digest-pinned": {"registries": ["ghcr.io/acme"]}}
	count(image_digest_pinned.deny) == 0 with input as pod("nginx:1.27") with data.kvet.parameters as params
	count(image_digest_pinned.deny) == 0 with input as pod("ghcr.io/acmeish/x:1") with data.kvet.parameters as params with data.kvet.images as {"ghcr.io/acmeish/x:1": {"valid": true, "registry": "ghcr.io", "name": "ghcr.io/acmeish/x", "digest": "", "tag_digest": ""}}
	count(image_digest_pinned.deny) == 1 with input as pod("ghcr.io/acme/x:1") with data.kvet.parameters as params with data.kvet.images as {"ghcr.io/acme/x:1": {"valid": true, "registry": "ghcr.io", "name": "ghcr.io/acme/x", "digest": "", "tag_digest": ""}}
}

test_init_containers_of_cronjobs if {
	cj := {"kind": "CronJob", "spec": {"jobTemplate": {"spec": {"template": {"spec": {"initContainers": [{"name": "init", "image": "busybox"}]}}}}}}
	some d in image_digest_pinned.deny with input as cj
	d._loc == "/spec/jobTemplate/spec/template/spec/initContainers/0/image"
}

test_moved_tag_warned if {
	img := concat("@", ["r.io/app:1", pinned])
	moved := {img: {"valid": true, "name": "r.io/app", "tag": "1", "digest": pinned, "tag_digest": "sha256:1111111111111111111111111111111111111111111111111111111111111111"}}
	want := sprintf("container app pins r.io/app to %s, but tag 1 now points to sha256:1111111111111111111111111111111111111111111111111111111111111111", [pinned])
	some w in image_digest_pinned.warn_tag_moved with input as pod(img) with data.kvet.images as moved
	w.msg == want
	count(image_digest_pinned.deny) == 0 with input as pod(img) with data.kvet.images as moved
}
