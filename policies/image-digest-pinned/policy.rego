# Images must be referenced by digest. Facts come from data.kvet.images (filled by kvet before
# evaluation: the parsed reference and, with --verify-images or --image-evidence, the digest the
# tag resolves to); without them the reference is split by data.kvet.lib.images.parse.
package kvet.image_digest_pinned

import rego.v1

params := data.kvet.parameters["image-digest-pinned"] if is_object(data.kvet.parameters["image-digest-pinned"])

else := {}

registries := object.get(params, "registries", [])

facts(image) := data.kvet.images[image] if {
	is_object(data.kvet.images[image])
} else := object.union(data.kvet.lib.images.parse(image), {
	"valid": true,
	"name": "",
	"resolved_digest": "",
	"tag_digest": "",
})

# With no registries listed, every image is in scope; else its registry or name prefix.
in_scope(f) if count(registries) == 0

in_scope(f) if f.registry in registries

in_scope(f) if {
	some prefix in registries
	contains(prefix, "/")
	startswith(concat("", [f.name, "/"]), concat("", [prefix, "/"]))
}

deny contains {"msg": msg, "_loc": sprintf("%s/%s/%d/image", [data.kvet.lib.pods.spec_path, list, i])} if {
	spec := data.kvet.lib.pods.spec
	some list in ["initContainers", "containers", "ephemeralContainers"]
	cs := spec[list]
	is_array(cs)
	some i, c in cs
	is_string(c.image)
	msg := problem(facts(c.image), c.name, c.image)
}

problem(f, name, image) := sprintf("container %s has an invalid image reference %q: %s", [name, image, f.error]) if {
	not f.valid
} else := sprintf("container %s must reference its image by digest: %s resolves to %s (pin it as %s@%s)", [name, image, f.tag_digest, image, f.tag_digest]) if {
	not is_digest(f)
	in_scope(f)
	f.tag_digest != ""
} else := sprintf("container %s must reference its image by digest (%s@sha256:…)", [name, image]) if {
	not is_digest(f)
	in_scope(f)
}

is_digest(f) if f.digest == true

is_digest(f) if {
	is_string(f.digest)
	f.digest != ""
}

# A pinned image whose tag now names other content: the pin still holds, but the tag no longer
# says what runs.
warn_tag_moved contains {"msg": msg, "_loc": sprintf("%s/%s/%d/image", [data.kvet.lib.pods.spec_path, list, i])} if {
	spec := data.kvet.lib.pods.spec
	some list in ["initContainers", "containers", "ephemeralContainers"]
	cs := spec[list]
	is_array(cs)
	some i, c in cs
	is_string(c.image)
	f := data.kvet.images[c.image]
	is_string(f.tag_digest)
	f.tag_digest != ""
	f.digest != ""
	f.tag_digest != f.digest
	msg := sprintf("container %s pins %s to %s, but tag %s now points to %s", [c.name, f.name, f.digest, f.tag, f.tag_digest])
}
