package kvet.lib.images_test

import rego.v1

import data.kvet.lib.images

test_docker_hub_is_implied if {
	images.parse("nginx").registry == "docker.io"
	images.parse("library/nginx:1.27").registry == "docker.io"
	images.parse("index.docker.io/library/nginx").registry == "docker.io"
}

test_hosts_are_told_apart_from_repositories if {
	images.parse("ghcr.io/acme/api:1.4").registry == "ghcr.io"
	images.parse("localhost/app").registry == "localhost"
	images.parse("registry:5000/app").registry == "registry:5000"
	images.parse("Registry/app").registry == "Registry"
	images.parse("acme/app").registry == "docker.io"
}

test_tags_and_digests if {
	ref := images.parse("registry:5000/app:1.0@sha256:abc")
	ref.tag == "1.0"
	ref.digest
	images.parse("registry:5000/app").tag == ""
	not images.parse("app:latest").digest
}
