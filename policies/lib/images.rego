# Shared by the built-in policies: every container image of a Pod or pod template, split once
# as the container ecosystem splits a reference ([registry/]repository[:tag][@digest]; a colon
# before the last slash belongs to a registry port), with the JSON pointer of its field.
package kvet.lib.images

import rego.v1

workloads := {"Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job", "ReplicationController"}

# Where each kind keeps its pod spec.
pod_spec_path := "/spec" if input.kind == "Pod"

pod_spec_path := "/spec/template/spec" if input.kind in workloads

pod_spec_path := "/spec/jobTemplate/spec/template/spec" if input.kind == "CronJob"

spec := input.spec if input.kind == "Pod"

spec := input.spec.template.spec if input.kind in workloads

spec := input.spec.jobTemplate.spec.template.spec if input.kind == "CronJob"

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
		"registry": registry(segments),
		"loc": sprintf("%s/%s/%d/image", [pod_spec_path, list, i]),
	}
}

second(parts) := parts[1] if count(parts) > 1

else := ""

# Docker Hub is implied unless the first segment looks like a host (has a dot or a port, or is
# localhost).
registry(segments) := segments[0] if {
	count(segments) > 1
	regex.match(`[.:]|^localhost$`, segments[0])
} else := "docker.io"
