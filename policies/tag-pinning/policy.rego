# Images must name an immutable version: no `latest` and no missing tag; for the registries in
# data.kvet.parameters["tag-pinning"].digest_registries, a digest as well.
package kvet.tag_pinning

import rego.v1

digest_registries := data.kvet.parameters["tag-pinning"].digest_registries if {
	is_array(data.kvet.parameters["tag-pinning"].digest_registries)
} else := []

# An image with a digest is pinned whatever its tag says, so only the others are split and
# judged. The tag is what follows a colon in the last path segment (a colon before the last
# slash belongs to a registry port).
deny contains {"msg": msg, "_loc": sprintf("%s/%s/%d/image", [data.kvet.lib.pods.spec_path, list, i])} if {
	spec := data.kvet.lib.pods.spec
	some list in ["initContainers", "containers", "ephemeralContainers"]
	cs := spec[list]
	is_array(cs)
	some i, c in cs
	image := c.image
	is_string(image)
	not contains(image, "@")
	segments := split(image, "/")
	tag := concat("", array.slice(split(segments[count(segments) - 1], ":"), 1, 2))
	tag in {"latest", ""}
	msg := sprintf(mutable_message[tag], [c.name, image])
}

# A pinned tag is not enough for the registries that require digests.
deny contains {"msg": msg, "_loc": sprintf("%s/%s/%d/image", [data.kvet.lib.pods.spec_path, list, i])} if {
	count(digest_registries) > 0
	spec := data.kvet.lib.pods.spec
	some list in ["initContainers", "containers", "ephemeralContainers"]
	cs := spec[list]
	is_array(cs)
	some i, c in cs
	image := c.image
	is_string(image)
	not contains(image, "@")
	segments := split(image, "/")
	tag := concat("", array.slice(split(segments[count(segments) - 1], ":"), 1, 2))
	not tag in {"latest", ""}
	registry := data.kvet.lib.images.registry(segments)
	registry in digest_registries
	msg := sprintf("container %s must reference its image by digest (%s@sha256:…), as required for %s", [c.name, image, registry])
}

# The message for each mutable tag ("": none, which means latest).
mutable_message := {
	"latest": "container %s uses the mutable tag latest (%s): pin a version or a digest",
	"": "container %s has no tag, which means latest (%s): pin a version or a digest",
}
