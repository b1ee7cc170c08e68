# Images must name an immutable version: no `latest` and no missing tag; for the registries in
# data.kvet.parameters["tag-pinning"].digest_registries, a digest as well.
package kvet.tag_pinning

import rego.v1

import data.kvet.lib.images

params := object.get(object.get(object.get(data, "kvet", {}), "parameters", {}), "tag-pinning", {})

digest_registries := object.get(params, "digest_registries", [])

deny contains {"msg": msg, "_loc": img.loc} if {
	some img in images.images
	not img.digest
	img.tag == "latest"
	msg := sprintf("container %s uses the mutable tag latest (%s): pin a version or a digest", [img.container, img.image])
}

deny contains {"msg": msg, "_loc": img.loc} if {
	some img in images.images
	not img.digest
	img.tag == ""
	msg := sprintf("container %s has no tag, which means latest (%s): pin a version or a digest", [img.container, img.image])
}

deny contains {"msg": msg, "_loc": img.loc} if {
	count(digest_registries) > 0
	some img in images.images
	not img.digest
	not img.tag in {"", "latest"}
	img.registry in digest_registries
	msg := sprintf("container %s must reference its image by digest (%s@sha256:…), as required for %s", [img.container, img.image, img.registry])
}
