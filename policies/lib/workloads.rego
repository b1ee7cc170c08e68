# Shared by the compliance-gate policies (resources, probes, required-metadata, host-access,
# service-account-token): the pod spec and pod template of a Pod or pod-bearing workload, the
# pointers findings need, and small null-safe readers.
#
# Kept lean on purpose: an object's built-in rules run together and share what they read, but
# a rule run alone (after a failure in the group, or the only rule for its kind) recomputes
# the rules it depends on, and every rule read costs more than a field access. Policies refer
# to it as data.kvet.lib.workloads.<rule> rather than through an import, which regorus
# resolves by evaluating the whole package. Pointers and messages are built only for findings.
package kvet.lib.workloads

import rego.v1

# Kinds whose pod template sits at spec.template.
templated := {"Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job", "ReplicationController"}

# The pod spec and its pointer; undefined for kinds without one.
spec := input.spec if input.kind == "Pod"

spec := input.spec.template.spec if input.kind in templated

spec := input.spec.jobTemplate.spec.template.spec if input.kind == "CronJob"

spec_path := "/spec" if input.kind == "Pod"

spec_path := "/spec/template/spec" if input.kind in templated

spec_path := "/spec/jobTemplate/spec/template/spec" if input.kind == "CronJob"

# Workloads only (a Pod is not a template): the pod template and its pointer.
template := input.spec.template if input.kind in templated

template := input.spec.jobTemplate.spec.template if input.kind == "CronJob"

template_path := "/spec/template" if input.kind in templated

template_path := "/spec/jobTemplate/spec/template" if input.kind == "CronJob"

# "Deployment web", for messages.
name := sprintf("%s %s", [input.kind, object_name])

object_name := n if {
	n := input.metadata.name
	is_string(n)
} else := "(unnamed)"

# Whether object o sets key to something other than null.
has(o, key) if object.get(o, key, null) != null

# Pointer of field key of the object o found at loc, or of loc itself when o lacks the field
# (the place where it has to be added).
field_loc(loc, o, key) := concat("", [loc, "/", key]) if has(o, key)

else := loc

# A key escaped for a JSON pointer segment (RFC 6901: "~" as "~0", "/" as "~1").
escape(key) := replace(replace(key, "~", "~0"), "/", "~1")

# Pointer of container i of list (containers, initContainers, ephemeralContainers).
container_loc(list, i) := sprintf("%s/%s/%d", [spec_path, list, i])

# "container app" or "init container setup", for messages.
describe(list, c) := sprintf("init container %s", [object.get(c, "name", "")]) if list == "initContainers"

else := sprintf("ephemeral container %s", [object.get(c, "name", "")]) if list == "ephemeralContainers"

else := sprintf("container %s", [object.get(c, "name", "")])
