# Images must come from the registries in data.kvet.parameters["allowed-registries"].registries
# (host names, or host/path prefixes such as registry.example.com/team). With no list
# configured the policy reports nothing.
package kvet.allowed_registries

import rego.v1

params := data.kvet.parameters["allowed-registries"] if is_object(data.kvet.parameters["allowed-registries"])

else := {}

allowed := object.get(params, "registries", [])

# An image is allowed when its registry is listed, or its full name starts with a listed
# prefix followed by a slash.
permitted(img) if img.registry in allowed

permitted(img) if {
	some prefix in allowed
	contains(prefix, "/")
	name := trim_prefix(img.image, "docker.io/")
	startswith(concat("", [img.registry, "/", name]), concat("", [prefix, "/"]))
}

permitted(img) if {
	some prefix in allowed
	contains(prefix, "/")
	startswith(img.image, concat("", [prefix, "/"]))
}

deny contains {"msg": msg, "_loc": img.loc} if {
	count(allowed) > 0
	some img in data.kvet.lib.images.images
	not permitted(img)
	msg := sprintf("container %s pulls from %s, which is not an allowed registry (allowed: %s)", [img.container, img.registry, concat(", ", allowed)])
}
