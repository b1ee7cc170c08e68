# Every container and init container sets the resource requests and limits listed in
# data.kvet.parameters.resources (requests: [cpu, memory] and limits: [memory] by default).
# A limit without a request counts as the request, as Kubernetes copies it; pod-level resources
# (spec.resources) count for every container.
package kvet.resources

import rego.v1

# Parameters ({} when none are given). A direct reference: object.get on data itself makes
# regorus materialise the data document on every evaluation.
params := p if {
	p := data.kvet.parameters.resources
	is_object(p)
} else := {}

required_requests := object.get(params, "requests", ["cpu", "memory"])

required_limits := object.get(params, "limits", ["memory"])

# The resources given a value (not null) in the requests or limits map of res (empty when res
# or the map is absent).
named(res, key) := {r | some r, v in res[key]; v != null}

# requests: the required requests (default cpu and memory).
deny_requests contains result if {
	pod := object.get(data.kvet.lib.workloads.spec, "resources", null)
	count(required_requests) > 0
	some list in ["initContainers", "containers"]
	some i, c in data.kvet.lib.workloads.spec[list]
	res := object.get(c, "resources", null)
	provided := named(res, "requests") | named(res, "limits") | named(pod, "requests") | named(pod, "limits")
	absent := [r | some r in required_requests; not r in provided]
	count(absent) > 0
	result := finding(list, i, c, "requests", absent)
}

# limits: the required limits (default memory only).
deny_limits contains result if {
	pod := object.get(data.kvet.lib.workloads.spec, "resources", null)
	count(required_limits) > 0
	some list in ["initContainers", "containers"]
	some i, c in data.kvet.lib.workloads.spec[list]
	res := object.get(c, "resources", null)
	provided := named(res, "limits") | named(pod, "limits")
	absent := [r | some r in required_limits; not r in provided]
	count(absent) > 0
	result := finding(list, i, c, "limits", absent)
}

# One finding per container, listing what it lacks, at the nearest node that should hold it.
finding(list, i, c, kind, absent) := {"msg": msg, "_loc": location(data.kvet.lib.workloads.container_loc(list, i), c, kind)} if {
	fields := concat(", ", [sprintf("resources.%s.%s", [kind, r]) | some r in absent])
	msg := sprintf("%s sets no %s %s: add %s", [data.kvet.lib.workloads.describe(list, c), concat(" or ", absent), trim_suffix(kind, "s"), fields])
}

location(loc, c, kind) := concat("", [loc, "/resources/", kind]) if {
	is_object(c.resources[kind])
} else := concat("", [loc, "/resources"]) if {
	is_object(c.resources)
} else := loc
