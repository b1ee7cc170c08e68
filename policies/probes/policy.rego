# Long-running workloads define readiness and liveness probes (and, when
# data.kvet.parameters.probes.require_startup_probe is true, startup probes) on each container
# and on each native sidecar (an init container with restartPolicy: Always). Jobs, CronJobs and
# Pods that do not restart always run to completion and are not checked.
package kvet.probes

import rego.v1

# Parameters ({} when none are given). A direct reference: object.get on data itself makes
# regorus materialise the data document on every evaluation.
params := p if {
	p := data.kvet.parameters["probes"]
	is_object(p)
} else := {}

# The containers that keep running, as [list, index, container]: containers, and init
# containers restarted as native sidecars (restartPolicy: Always), of pods that restart.
served contains [list, i, c] if {
	input.kind in {"Pod", "Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "ReplicationController"}
	spec := data.kvet.lib.workloads.spec
	object.get(spec, "restartPolicy", "Always") == "Always"
	some list in ["initContainers", "containers"]
	some i, c in spec[list]
	serving(list, c)
}

serving("containers", _) := true

serving("initContainers", c) if c.restartPolicy == "Always"

lacks(c, probe) if object.get(c, probe, null) == null

finding(list, i, c, text) := {"msg": msg, "_loc": data.kvet.lib.workloads.container_loc(list, i)} if {
	msg := sprintf(text, [data.kvet.lib.workloads.describe(list, c)])
}

# readiness: a readinessProbe, so the Service sends traffic only to a ready container.
warn_readiness contains finding(list, i, c, "%s has no readinessProbe: add one so traffic reaches it only once it can serve, and stops while it cannot") if {
	object.get(params, "require_readiness_probe", true) == true
	some [list, i, c] in served
	lacks(c, "readinessProbe")
}

# liveness: a livenessProbe, so the kubelet restarts a container that hangs.
warn_liveness contains finding(list, i, c, "%s has no livenessProbe: add one so the kubelet restarts it when it hangs") if {
	object.get(params, "require_liveness_probe", true) == true
	some [list, i, c] in served
	lacks(c, "livenessProbe")
}

# startup: a startupProbe, only when require_startup_probe is true.
warn_startup contains finding(list, i, c, "%s has no startupProbe: add one so a slow start is not cut short by the liveness probe") if {
	object.get(params, "require_startup_probe", false) == true
	some [list, i, c] in served
	lacks(c, "startupProbe")
}
