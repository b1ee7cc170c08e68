# Shared by the Pod Security Standards policies: the pod spec and pod metadata of a Pod or of
# any pod template (workloads, CronJob, PodTemplate), its containers, and the JSON pointers a
# finding needs. Malformed values (null where an object or list belongs) read as absent.
#
# Speed: kvet runs an object's built-in rules together in one evaluation, where a rule read a
# second time comes from a cache, but every rule read still costs far more than an inline
# literal or a field access. Policies therefore read only spec on the way (by its full path
# data.kvet.lib.pods.spec: an imported package alias makes the engine evaluate the whole
# package), iterate containers inline, keep sets of names inline, ask sc_keys before looking
# into every container's securityContext, and call the pointer and name functions only for a
# finding.
package kvet.lib.pods

import rego.v1

workloads := {"Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job", "ReplicationController"}

# The pod spec: a Pod's own, or that of the template a workload stamps its pods from. One rule
# with else branches and the kinds inline: each rule or set a query reads costs an evaluation.
spec := input.spec.template.spec if {
	input.kind in {"Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job", "ReplicationController"}
} else := input.spec if {
	input.kind == "Pod"
} else := input.spec.jobTemplate.spec.template.spec if {
	input.kind == "CronJob"
} else := input.template.spec if {
	input.kind == "PodTemplate"
}

# The pod template's metadata (a Pod's own metadata).
metadata := input.spec.template.metadata if {
	input.kind in {"Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job", "ReplicationController"}
} else := input.metadata if {
	input.kind == "Pod"
} else := input.spec.jobTemplate.spec.template.metadata if {
	input.kind == "CronJob"
} else := input.template.metadata if {
	input.kind == "PodTemplate"
}

# The pointer of the pod template ("" for a Pod).
template_path := "/spec/template" if {
	workloads[input.kind]
} else := "" if {
	input.kind == "Pod"
} else := "/spec/jobTemplate/spec/template" if {
	input.kind == "CronJob"
} else := "/template" if {
	input.kind == "PodTemplate"
}

spec_path := concat("", [template_path, "/spec"])

metadata_path := concat("", [template_path, "/metadata"])

# JSON pointer of one annotation of the pod (a key's "~" and "/" escaped as RFC 6901 says).
annotation_loc(key) := concat("", [metadata_path, "/annotations/", replace(replace(key, "~", "~0"), "/", "~1")])

# The container lists of a pod spec, in the order PSA visits them. The policies iterate them
# inline, which is cheaper than reading a rule:
#   spec := data.kvet.lib.pods.spec
#   some list in ["initContainers", "containers", "ephemeralContainers"]
#   l := spec[list]
#   is_array(l)
#   some i, c in l
container_lists := ["initContainers", "containers", "ephemeralContainers"]

# Every container as {"c": the container, "list": its list, "i": its index}, for policies to
# which convenience matters more than speed.
containers := [{"c": ctr, "list": list, "i": i} |
	some list in container_lists
	l := spec[list]
	is_array(l)
	some i, ctr in l
]

# A container's name, and the pointer of container i of list.
name(c) := n if {
	n := c.name
	is_string(n)
} else := ""

loc(list, i) := sprintf("%s/%s/%d", [spec_path, list, i])

# The pointer of a container's securityContext, or of the container when it has none (where
# the missing field has to be added).
sc_loc(c, list, i) := concat("", [loc(list, i), "/securityContext"]) if {
	is_object(c.securityContext)
} else := loc(list, i)

# Likewise for the pod-level securityContext.
pod_sc_loc := concat("", [spec_path, "/securityContext"]) if {
	is_object(spec.securityContext)
} else := spec_path

# Pointer of field `key` of the object `obj` found at `at`, or of `at` itself when the field is
# absent.
field_loc(at, obj, key) := concat("", [at, "/", key]) if {
	obj[key] != null
} else := at

# The Kubernetes minor the Pod Security Standards are checked at: data.kvet.pss.minor (24 for
# v1.24, or a "1.24" string); absent means the newest definitions.
minor := m if {
	m := data.kvet.pss.minor
	is_number(m)
} else := m if {
	v := data.kvet.pss.minor
	is_string(v)
	regex.match(`^v?1\.[0-9]+$`, v)
	m := to_number(split(v, ".")[1])
} else := 9999

windows if spec.os.name == "windows"

# The pod runs in its own user namespace (spec.hostUsers: false).
user_namespace if spec.hostUsers == false

# The capabilities a container runtime grants by default, which the Baseline standard lets a
# container add back.
default_capabilities := {
	"AUDIT_WRITE", "CHOWN", "DAC_OVERRIDE", "FOWNER", "FSETID", "KILL", "MKNOD",
	"NET_BIND_SERVICE", "SETFCAP", "SETGID", "SETPCAP", "SETUID", "SYS_CHROOT",
}

# The keys any container's securityContext sets: a rule looking into one container field
# first asks whether some container sets it at all, and skips the loop when none does (most
# objects). Computed once per object when the rules run together.
sc_keys := {k |
	some list in container_lists
	l := spec[list]
	is_array(l)
	some c in l
	sc := c.securityContext
	is_object(sc)
	some k, _ in sc
}
