# The Baseline Pod Security Standard as Kubernetes' Pod Security Admission checks it, one rule
# per PSA check (deny_<check id>), at the Kubernetes minor in data.kvet.pss.minor (newest when
# unset). Every finding points at the field to change, or at the object that lacks it.
#
# Speed (see lib/pods.rego): each rule reads only the pod spec, iterates the containers inline
# and first looks for the offending value; the minor, pointers and messages are computed only
# for a finding.
package kvet.pss_baseline

import rego.v1

# hostNamespaces: hostNetwork, hostPID and hostIPC must be unset or false.
deny_hostNamespaces contains {"msg": msg, "_loc": concat("", [data.kvet.lib.pods.spec_path, "/", field])} if {
	spec := data.kvet.lib.pods.spec
	some field in ["hostNetwork", "hostPID", "hostIPC"]
	spec[field] == true
	msg := sprintf("pod must not set %s=true: sharing the host's namespaces is not allowed (allowed: unset or false)", [field])
}

# privileged: no container may be privileged.
deny_privileged contains {"msg": msg, "_loc": concat("", [data.kvet.lib.pods.sc_loc(c, list, i), "/privileged"])} if {
	data.kvet.lib.pods.sc_keys.privileged
	spec := data.kvet.lib.pods.spec
	some list in ["initContainers", "containers", "ephemeralContainers"]
	containers := spec[list]
	is_array(containers)
	some i, c in containers
	c.securityContext.privileged == true
	msg := sprintf("container %q must not set securityContext.privileged=true (allowed: unset or false)", [data.kvet.lib.pods.name(c)])
}

# capabilities: only capabilities of the container runtime's default set may be added.
deny_capabilities contains {"msg": msg, "_loc": sprintf("%s/capabilities/add/%d", [data.kvet.lib.pods.sc_loc(c, list, i), j])} if {
	data.kvet.lib.pods.sc_keys.capabilities
	spec := data.kvet.lib.pods.spec
	some list in ["initContainers", "containers", "ephemeralContainers"]
	containers := spec[list]
	is_array(containers)
	some i, c in containers
	added := c.securityContext.capabilities.add
	is_array(added)
	some j, cap in added
	not data.kvet.lib.pods.default_capabilities[cap]
	default_set := concat(", ", sort(data.kvet.lib.pods.default_capabilities))
	msg := sprintf("container %q must not add capability %q in securityContext.capabilities.add (allowed: the default set %s)", [data.kvet.lib.pods.name(c), cap, default_set])
}

# hostPathVolumes: no hostPath volumes.
deny_hostPathVolumes contains {"msg": msg, "_loc": sprintf("%s/volumes/%d/hostPath", [data.kvet.lib.pods.spec_path, i])} if {
	volumes := data.kvet.lib.pods.spec.volumes
	is_array(volumes)
	some i, v in volumes
	is_object(v.hostPath)
	msg := sprintf("volume %q must not be a hostPath volume", [data.kvet.lib.pods.name(v)])
}

# hostPorts: containers must not bind host ports.
deny_hostPorts contains {"msg": msg, "_loc": sprintf("%s/ports/%d/hostPort", [data.kvet.lib.pods.loc(list, i), j])} if {
	spec := data.kvet.lib.pods.spec
	some list in ["initContainers", "containers", "ephemeralContainers"]
	containers := spec[list]
	is_array(containers)
	some i, c in containers
	ports := c.ports
	is_array(ports)
	some j, port in ports
	is_number(port.hostPort)
	port.hostPort != 0
	msg := sprintf("container %q must not use hostPort %v (allowed: unset or 0)", [data.kvet.lib.pods.name(c), port.hostPort])
}

# appArmorProfile: the profile type (pod or container) may only be RuntimeDefault or Localhost,
# and the legacy per-container annotations only runtime/default, localhost/<profile> or empty.
deny_appArmorProfile contains {"msg": msg, "_loc": loc} if {
	profile := data.kvet.lib.pods.spec.securityContext.appArmorProfile
	is_object(profile)
	kind := object.get(profile, "type", "")
	not kind in {"RuntimeDefault", "Localhost"}
	loc := data.kvet.lib.pods.field_loc(concat("", [data.kvet.lib.pods.pod_sc_loc, "/appArmorProfile"]), profile, "type")
	msg := sprintf("pod must not set securityContext.appArmorProfile.type to %q (allowed: RuntimeDefault, Localhost)", [kind])
}

deny_appArmorProfile contains {"msg": msg, "_loc": loc} if {
	data.kvet.lib.pods.sc_keys.appArmorProfile
	spec := data.kvet.lib.pods.spec
	some list in ["initContainers", "containers", "ephemeralContainers"]
	containers := spec[list]
	is_array(containers)
	some i, c in containers
	profile := c.securityContext.appArmorProfile
	is_object(profile)
	kind := object.get(profile, "type", "")
	not kind in {"RuntimeDefault", "Localhost"}
	loc := data.kvet.lib.pods.field_loc(concat("", [data.kvet.lib.pods.sc_loc(c, list, i), "/appArmorProfile"]), profile, "type")
	msg := sprintf("container %q must not set securityContext.appArmorProfile.type to %q (allowed: RuntimeDefault, Localhost)", [data.kvet.lib.pods.name(c), kind])
}

deny_appArmorProfile contains {"msg": msg, "_loc": data.kvet.lib.pods.annotation_loc(key)} if {
	annotations := data.kvet.lib.pods.metadata.annotations
	is_object(annotations)
	some key, value in annotations
	startswith(key, "container.apparmor.security.beta.kubernetes.io/")
	is_string(value)
	not apparmor_annotation_allowed(value)
	msg := sprintf("annotation %s must not be %q (allowed: runtime/default, localhost/<profile>, empty)", [key, value])
}

apparmor_annotation_allowed(value) if value in {"", "runtime/default"}

apparmor_annotation_allowed(value) if startswith(value, "localhost/")

# seLinuxOptions: the type may only be one of the container types (container_engine_t from
# 1.31); user and role must not be set.
selinux_type_allowed(kind) if kind in {"", "container_t", "container_init_t", "container_kvm_t"}

selinux_type_allowed("container_engine_t") if data.kvet.lib.pods.minor >= 31

selinux_types_message := concat(", ", sort([t |
	some t in ["container_t", "container_init_t", "container_kvm_t", "container_engine_t"]
	selinux_type_allowed(t)
]))

deny_seLinuxOptions contains {"msg": msg, "_loc": loc} if {
	opts := data.kvet.lib.pods.spec.securityContext.seLinuxOptions
	is_object(opts)
	kind := object.get(opts, "type", "")
	not selinux_type_allowed(kind)
	loc := data.kvet.lib.pods.field_loc(concat("", [data.kvet.lib.pods.pod_sc_loc, "/seLinuxOptions"]), opts, "type")
	msg := sprintf("pod must not set securityContext.seLinuxOptions.type to %q (allowed: unset, %s)", [kind, selinux_types_message])
}

deny_seLinuxOptions contains {"msg": msg, "_loc": concat("", [data.kvet.lib.pods.pod_sc_loc, "/seLinuxOptions/", field])} if {
	opts := data.kvet.lib.pods.spec.securityContext.seLinuxOptions
	some field in ["user", "role"]
	is_string(opts[field])
	opts[field] != ""
	msg := sprintf("pod must not set securityContext.seLinuxOptions.%s (allowed: unset or empty)", [field])
}

deny_seLinuxOptions contains {"msg": msg, "_loc": loc} if {
	data.kvet.lib.pods.sc_keys.seLinuxOptions
	spec := data.kvet.lib.pods.spec
	some list in ["initContainers", "containers", "ephemeralContainers"]
	containers := spec[list]
	is_array(containers)
	some i, c in containers
	opts := c.securityContext.seLinuxOptions
	is_object(opts)
	kind := object.get(opts, "type", "")
	not selinux_type_allowed(kind)
	loc := data.kvet.lib.pods.field_loc(concat("", [data.kvet.lib.pods.sc_loc(c, list, i), "/seLinuxOptions"]), opts, "type")
	msg := sprintf("container %q must not set securityContext.seLinuxOptions.type to %q (allowed: unset, %s)", [data.kvet.lib.pods.name(c), kind, selinux_types_message])
}

deny_seLinuxOptions contains {"msg": msg, "_loc": concat("", [data.kvet.lib.pods.sc_loc(c, list, i), "/seLinuxOptions/", field])} if {
	data.kvet.lib.pods.sc_keys.seLinuxOptions
	spec := data.kvet.lib.pods.spec
	some list in ["initContainers", "containers", "ephemeralContainers"]
	containers := spec[list]
	is_array(containers)
	some i, c in containers
	opts := c.securityContext.seLinuxOptions
	some field in ["user", "role"]
	is_string(opts[field])
	opts[field] != ""
	msg := sprintf("container %q must not set securityContext.seLinuxOptions.%s (allowed: unset or empty)", [data.kvet.lib.pods.name(c), field])
}

# procMount: only the Default proc mount; from 1.35 any value when the pod has its own user
# namespace (hostUsers: false).
deny_procMount contains {"msg": msg, "_loc": concat("", [data.kvet.lib.pods.sc_loc(c, list, i), "/procMount"])} if {
	data.kvet.lib.pods.sc_keys.procMount
	spec := data.kvet.lib.pods.spec
	some list in ["initContainers", "containers", "ephemeralContainers"]
	containers := spec[list]
	is_array(containers)
	some i, c in containers
	mount := c.securityContext.procMount
	is_string(mount)
	mount != "Default"
	not procmount_relaxed
	msg := sprintf("container %q must not set securityContext.procMount to %q (allowed: unset or Default%s)", [data.kvet.lib.pods.name(c), mount, procmount_hint])
}

procmount_relaxed if {
	data.kvet.lib.pods.user_namespace
	data.kvet.lib.pods.minor >= 35
}

procmount_hint := ", or any value with spec.hostUsers: false" if data.kvet.lib.pods.minor >= 35

else := ""

# seccompProfile: a profile that is set must be RuntimeDefault or Localhost. Before 1.19 PSA
# reads the legacy annotations instead of the fields.
deny_seccompProfile contains {"msg": msg, "_loc": loc} if {
	profile := data.kvet.lib.pods.spec.securityContext.seccompProfile
	is_object(profile)
	kind := object.get(profile, "type", "")
	not kind in {"RuntimeDefault", "Localhost"}
	data.kvet.lib.pods.minor >= 19
	loc := data.kvet.lib.pods.field_loc(concat("", [data.kvet.lib.pods.pod_sc_loc, "/seccompProfile"]), profile, "type")
	msg := sprintf("pod must not set securityContext.seccompProfile.type to %q (allowed: RuntimeDefault, Localhost)", [kind])
}

deny_seccompProfile contains {"msg": msg, "_loc": loc} if {
	data.kvet.lib.pods.sc_keys.seccompProfile
	spec := data.kvet.lib.pods.spec
	some list in ["initContainers", "containers", "ephemeralContainers"]
	containers := spec[list]
	is_array(containers)
	some i, c in containers
	profile := c.securityContext.seccompProfile
	is_object(profile)
	kind := object.get(profile, "type", "")
	not kind in {"RuntimeDefault", "Localhost"}
	data.kvet.lib.pods.minor >= 19
	loc := data.kvet.lib.pods.field_loc(concat("", [data.kvet.lib.pods.sc_loc(c, list, i), "/seccompProfile"]), profile, "type")
	msg := sprintf("container %q must not set securityContext.seccompProfile.type to %q (allowed: RuntimeDefault, Localhost)", [data.kvet.lib.pods.name(c), kind])
}

deny_seccompProfile contains {"msg": msg, "_loc": data.kvet.lib.pods.annotation_loc(key)} if {
	key := "seccomp.security.alpha.kubernetes.io/pod"
	value := data.kvet.lib.pods.metadata.annotations[key]
	is_string(value)
	not seccomp_annotation_allowed(value)
	data.kvet.lib.pods.minor < 19
	msg := sprintf("annotation %s must not be %q (allowed: runtime/default, docker/default, localhost/<profile>)", [key, value])
}

deny_seccompProfile contains {"msg": msg, "_loc": data.kvet.lib.pods.annotation_loc(key)} if {
	annotations := data.kvet.lib.pods.metadata.annotations
	is_object(annotations)
	some key, value in annotations
	startswith(key, "container.seccomp.security.alpha.kubernetes.io/")
	is_string(value)
	not seccomp_annotation_allowed(value)
	data.kvet.lib.pods.minor < 19

	# Only the annotations of containers the pod has.
	name := substring(key, count("container.seccomp.security.alpha.kubernetes.io/"), -1)
	some c in data.kvet.lib.pods.containers
	c.c.name == name
	msg := sprintf("annotation %s must not be %q (allowed: runtime/default, docker/default, localhost/<profile>)", [key, value])
}

seccomp_annotation_allowed(value) if value in {"runtime/default", "docker/default"}

seccomp_annotation_allowed(value) if startswith(value, "localhost/")

# sysctls: only the namespaced, isolated "safe" sysctls, a list that grows with the minor.
safe_sysctls := {
	"kernel.shm_rmid_forced": 0,
	"net.ipv4.ip_local_port_range": 0,
	"net.ipv4.tcp_syncookies": 0,
	"net.ipv4.ping_group_range": 0,
	"net.ipv4.ip_unprivileged_port_start": 0,
	"net.ipv4.ip_local_reserved_ports": 27,
	"net.ipv4.tcp_keepalive_time": 29,
	"net.ipv4.tcp_fin_timeout": 29,
	"net.ipv4.tcp_keepalive_intvl": 29,
	"net.ipv4.tcp_keepalive_probes": 29,
	"net.ipv4.tcp_rmem": 32,
	"net.ipv4.tcp_wmem": 32,
	"net.ipv4.tcp_slow_start_after_idle": 37,
	"net.ipv4.tcp_notsent_lowat": 37,
}

sysctl_allowed(name) if data.kvet.lib.pods.minor >= safe_sysctls[name]

deny_sysctls contains {"msg": msg, "_loc": loc} if {
	sysctls := data.kvet.lib.pods.spec.securityContext.sysctls
	is_array(sysctls)
	some i, sysctl in sysctls
	is_object(sysctl)
	name := object.get(sysctl, "name", "")
	not sysctl_allowed(name)
	loc := data.kvet.lib.pods.field_loc(sprintf("%s/sysctls/%d", [data.kvet.lib.pods.pod_sc_loc, i]), sysctl, "name")
	allowed := sort([n | some n, _ in safe_sysctls; sysctl_allowed(n)])
	msg := sprintf("pod must not set sysctl %q (allowed: %s)", [name, concat(", ", allowed)])
}

# windowsHostProcess: no Windows HostProcess pod or container.
deny_windowsHostProcess contains {"msg": msg, "_loc": concat("", [data.kvet.lib.pods.pod_sc_loc, "/windowsOptions/hostProcess"])} if {
	data.kvet.lib.pods.spec.securityContext.windowsOptions.hostProcess == true
	msg := "pod must not set securityContext.windowsOptions.hostProcess=true (allowed: unset or false)"
}

deny_windowsHostProcess contains {"msg": msg, "_loc": concat("", [data.kvet.lib.pods.sc_loc(c, list, i), "/windowsOptions/hostProcess"])} if {
	data.kvet.lib.pods.sc_keys.windowsOptions
	spec := data.kvet.lib.pods.spec
	some list in ["initContainers", "containers", "ephemeralContainers"]
	containers := spec[list]
	is_array(containers)
	some i, c in containers
	c.securityContext.windowsOptions.hostProcess == true
	msg := sprintf("container %q must not set securityContext.windowsOptions.hostProcess=true (allowed: unset or false)", [data.kvet.lib.pods.name(c)])
}

# hostProbesAndHostLifecycle (from 1.34): probes and lifecycle handlers must not name a host,
# so they can only reach the pod itself.
deny_hostProbesAndHostLifecycle contains {"msg": msg, "_loc": sprintf("%s/%s/%s/host", [data.kvet.lib.pods.loc(list, i), probe, kind])} if {
	spec := data.kvet.lib.pods.spec
	some list in ["initContainers", "containers", "ephemeralContainers"]
	containers := spec[list]
	is_array(containers)
	some i, c in containers
	some probe in ["livenessProbe", "readinessProbe", "startupProbe"]
	handler := c[probe]
	some kind in ["httpGet", "tcpSocket"]
	host := handler[kind].host
	is_string(host)
	host != ""
	data.kvet.lib.pods.minor >= 34
	msg := sprintf("container %q must not set %s.%s.host (%q): probes may only target the pod (allowed: unset or empty)", [data.kvet.lib.pods.name(c), probe, kind, host])
}

deny_hostProbesAndHostLifecycle contains {"msg": msg, "_loc": sprintf("%s/lifecycle/%s/%s/host", [data.kvet.lib.pods.loc(list, i), hook, kind])} if {
	spec := data.kvet.lib.pods.spec
	some list in ["initContainers", "containers", "ephemeralContainers"]
	containers := spec[list]
	is_array(containers)
	some i, c in containers
	lifecycle := c.lifecycle
	some hook in ["postStart", "preStop"]
	handler := lifecycle[hook]
	some kind in ["httpGet", "tcpSocket"]
	host := handler[kind].host
	is_string(host)
	host != ""
	data.kvet.lib.pods.minor >= 34
	msg := sprintf("container %q must not set lifecycle.%s.%s.host (%q): lifecycle handlers may only target the pod (allowed: unset or empty)", [data.kvet.lib.pods.name(c), hook, kind, host])
}
