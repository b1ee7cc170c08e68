# Images must name an immutable version: no `latest` and no missing tag; for the registries in
# data.kvet.parameters["tag-pinning"].digest_registries, a digest as well.
package kvet.tag_pinning

import rego.v1

params := object.get(object.get(object.get(data, "kvet", {}), "parameters", {}), "tag-pinning", {})

digest_registries := object.get(params, "digest_registries", [])

workloads := {"Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job", "ReplicationController"}

# Where each kind keeps its pod spec.
pod_spec_path := "/spec" if input.kind == "Pod"

pod_spec_path := "/spec/template/spec" if input.kind in workloads

pod_spec_path := "/spec/jobTemplate/spec/template/spec" if input.kind == "CronJob"

spec := input.spec if input.kind == "Pod"

spec := input.spec.template.spec if input.kind in workloads

spec := input.spec.jobTemplate.spec.template.spec if input.kind == "CronJob"

# Every container image, split once as the container ecosystem splits a reference:
# [registry/]repository[:tag][@digest]; a colon before the last slash belongs to a port.
images contains img if {
	some list in ["initContainers", "containers", "ephemeralContainers"]
	some i, c in object.get(spec, list, [])
	at := split(c.image, "@")
	segments := split(at[0], "/")
	last := split(segments[count(segments) - 1], ":")
	img := {
		"container": c.name,
		"image": c.image,
		"digest": count(at) > 1,
		"tag": second(last),
		"first": segments[0],
		"segments": count(segments),
		"loc": sprintf("%s/%s/%d/image", [pod_spec_path, list, i]),
	}
}

second(parts) := parts[1] if count(parts) > 1

else := ""

registry(img) := img.first if {
	img.segments > 1
	regex.match(`[.:]|^localhost$`, img.first)
} else := "docker.io"

deny contains {"msg": msg, "_loc": img.loc} if {
	some img in images
	not img.digest
	img.tag == "latest"
	msg := sprintf("container %s uses the mutable tag latest (%s): pin a version or a digest", [img.container, img.image])
}

deny contains {"msg": msg, "_loc": img.loc} if {
	some img in images
	not img.digest
	img.tag == ""
	msg := sprintf("container %s has no tag, which means latest (%s): pin a version or a digest", [img.container, img.image])
}

deny contains {"msg": msg, "_loc": img.loc} if {
	count(digest_registries) > 0
	some img in images
	not img.digest
	not img.tag in {"", "latest"}
	r := registry(img)
	r in digest_registries
	msg := sprintf("container %s must reference its image by digest (%s@sha256:…), as required for %s", [img.container, img.image, r])
}
