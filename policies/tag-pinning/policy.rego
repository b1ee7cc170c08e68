# Images must name an immutable version: no `latest` and no missing tag; for the registries in
# data.kvet.parameters["tag-pinning"].digest_registries, a digest as well.
package kvet.tag_pinning

import rego.v1

digest_registries := data.kvet.parameters["tag-pinning"].digest_registries if {
	is_array(data.kvet.parameters["tag-pinning"].digest_registries)
} else := []

# One pass over the containers: an image with a digest is pinned whatever its tag says, so
# only the others are split and judged.
deny contains {"msg": msg, "_loc": sprintf("%s/%s/%d/image", [data.kvet.lib.pods.spec_path, list, i])} if {
	spec := data.kvet.lib.pods.spec
	some list in ["initContainers", "containers", "ephemeralContainers"]
	cs := spec[list]
	is_array(cs)
	some i, c in cs
	image := c.image
	is_string(image)
	not contains(image, "@")
	msg := problem(data.kvet.lib.images.parse(image), c.name, image)
}

problem(ref, name, image) := sprintf("container %s uses the mutable tag latest (%s): pin a version or a digest", [name, image]) if {
	ref.tag == "latest"
} else := sprintf("container %s has no tag, which means latest (%s): pin a version or a digest", [name, image]) if {
	ref.tag == ""
} else := sprintf("container %s must reference its image by digest (%s@sha256:…), as required for %s", [name, image, ref.registry]) if {
	ref.registry in digest_registries
}
