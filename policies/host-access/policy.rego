# Pods and pod templates keep to their own namespaces and filesystem: no hostNetwork, hostPID
# or hostIPC, no hostPath volumes outside data.kvet.parameters["host-access"].allowed_host_paths
# (read-only unless an entry says readOnly: false), and no host ports outside allowed_host_ports.
package kvet.host_access

import rego.v1

# Parameters ({} when none are given). A direct reference: object.get on data itself makes
# regorus materialise the data document on every evaluation.
params := p if {
	p := data.kvet.parameters["host-access"]
	is_object(p)
} else := {}

# Allowed prefixes, each {"prefix", "read_only"}: a string entry is a read-only prefix, an
# object entry is {pathPrefix, readOnly} as in the former PodSecurityPolicy.
allowed_paths := [entry |
	some e in object.get(params, "allowed_host_paths", [])
	entry := allowance(e)
]

allowance(e) := {"prefix": e, "read_only": true} if {
	is_string(e)
	e != ""
}

allowance(e) := {"prefix": e.pathPrefix, "read_only": object.get(e, "readOnly", true) != false} if {
	is_object(e)
	is_string(e.pathPrefix)
	e.pathPrefix != ""
}

reasons := {
	"hostNetwork": "shares the node's network stack, so it can bind any node port and reach node-local services",
	"hostPID": "shares the node's process namespace, so it can see and signal every process on the node",
	"hostIPC": "shares the node's IPC namespace, so it can read other processes' shared memory",
}

# host_namespaces: hostNetwork, hostPID and hostIPC must be unset or false.
deny_host_namespaces contains {"msg": msg, "_loc": concat("", [data.kvet.lib.workloads.spec_path, "/", field])} if {
	some field in ["hostNetwork", "hostPID", "hostIPC"]
	data.kvet.lib.workloads.spec[field] == true
	msg := sprintf("%s sets %s: true and %s: remove it", [data.kvet.lib.workloads.name, field, reasons[field]])
}

# A path lies under a prefix when it equals it or continues it after a slash; paths with ".."
# segments lie under nothing.
under(path, prefix) if {
	not ".." in split(path, "/")
	p := trim_right(path, "/")
	pre := trim_right(prefix, "/")
	within(p, pre)
}

within(_, "") := true

within(p, pre) if p == pre

within(p, pre) if startswith(p, concat("", [pre, "/"]))

# The allowances whose prefix holds path.
matching(path) := [a | some a in allowed_paths; under(path, a.prefix)]

# host_path: hostPath volumes only under an allowed prefix (none by default).
deny_host_path contains {"msg": msg, "_loc": loc} if {
	some i, vol in data.kvet.lib.workloads.spec.volumes
	hp := vol.hostPath
	is_object(hp)
	path := object.get(hp, "path", "")
	count(matching(path)) == 0
	volume_loc := sprintf("%s/volumes/%d/hostPath", [data.kvet.lib.workloads.spec_path, i])
	loc := data.kvet.lib.workloads.field_loc(volume_loc, hp, "path")
	msg := sprintf("%s mounts host path %s as volume %s, which exposes the node's filesystem: use a PersistentVolumeClaim, emptyDir, configMap or secret instead%s", [data.kvet.lib.workloads.name, path, object.get(vol, "name", ""), allowed_hint])
}

allowed_hint := sprintf(" (allowed prefixes: %s)", [concat(", ", [a.prefix | some a in allowed_paths])]) if count(allowed_paths) > 0

else := ""

# host_path_read_only: every mount of an allowed read-only hostPath volume sets readOnly: true.
deny_host_path_read_only contains {"msg": msg, "_loc": loc} if {
	spec := data.kvet.lib.workloads.spec
	some vol in spec.volumes
	hp := vol.hostPath
	is_object(hp)
	path := object.get(hp, "path", "")
	allowances := matching(path)
	count(allowances) > 0
	every a in allowances {
		a.read_only
	}
	some list in ["initContainers", "containers", "ephemeralContainers"]
	some i, c in spec[list]
	some j, m in c.volumeMounts
	m.name == vol.name
	not m.readOnly == true
	mount := sprintf("%s/%s/%d/volumeMounts/%d", [data.kvet.lib.workloads.spec_path, list, i, j])
	loc := data.kvet.lib.workloads.field_loc(mount, m, "readOnly")
	msg := sprintf("%s mounts host path %s (volume %s) writable: set readOnly: true on the mount", [data.kvet.lib.workloads.describe(list, c), path, vol.name])
}

# host_ports: no hostPort other than those in allowed_host_ports.
deny_host_ports contains {"msg": msg, "_loc": loc} if {
	some list in ["initContainers", "containers"]
	some i, c in data.kvet.lib.workloads.spec[list]
	some j, port in c.ports
	hp := port.hostPort
	is_number(hp)
	hp != 0
	not hp in object.get(params, "allowed_host_ports", [])
	loc := sprintf("%s/ports/%d/hostPort", [data.kvet.lib.workloads.container_loc(list, i), j])
	msg := sprintf("%s binds host port %v, which ties it to nodes where that port is free and exposes it on the node's address: remove hostPort and use a Service", [data.kvet.lib.workloads.describe(list, c), hp])
}
