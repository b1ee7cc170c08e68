# Every image in scope must have a signature that verified with an accepted key. The verdicts
# come from data.kvet.images, which kvet fills before evaluation; policies make no network calls.
package kvet.image_signed

import rego.v1

params := data.kvet.parameters["image-signed"] if is_object(data.kvet.parameters["image-signed"])

else := {}

registries := object.get(params, "registries", [])

keys := object.get(params, "keys", [])

in_scope(f) if count(registries) == 0

in_scope(f) if f.registry in registries

in_scope(f) if {
	some prefix in registries
	contains(prefix, "/")
	startswith(concat("", [f.name, "/"]), concat("", [prefix, "/"]))
}

accepted(s) if {
	s.verified
	count(keys) == 0
}

accepted(s) if {
	s.verified
	s.key_id in keys
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

facts(image) := data.kvet.images[image] if {
	is_object(data.kvet.images[image])
} else := null

problem(f, name, image) := sprintf("container %s: image %s was not verified; run kvet check with --verify-images and --cosign-key, or with --image-evidence", [name, image]) if {
	not is_object(f)
	in_scope({"registry": data.kvet.lib.images.parse(image).registry, "name": image})
} else := sprintf("container %s has an invalid image reference %q: %s", [name, image, f.error]) if {
	not f.valid
} else := msg if {
	in_scope(f)
	msg := unsigned(f, name, image)
}

unsigned(f, name, image) := sprintf("container %s: cannot verify image %s: %s", [name, image, f.error]) if {
	f.error != ""
} else := sprintf("container %s: image %s was not verified; run kvet check with --verify-images and --cosign-key, or with --image-evidence", [name, image]) if {
	not f.checked
} else := sprintf("container %s: image %s (%s) has no cosign signature", [name, image, f.resolved_digest]) if {
	count(f.signatures) == 0
} else := sprintf("container %s: image %s (%s) has no valid signature%s: %s", [name, image, f.resolved_digest, by_keys, concat("; ", reasons)]) if {
	not any_accepted(f)
	reasons := [reason(s) | some s in f.signatures]
	by_keys := key_clause
}

any_accepted(f) if {
	some s in f.signatures
	accepted(s)
}

key_clause := sprintf(" by %s", [concat(", ", keys)]) if count(keys) > 0

else := ""

reason(s) := sprintf("signed with key %s, which is not accepted (%s)", [s.key_id, s.reason]) if {
	s.verified
} else := s.reason
