# The Restricted Pod Security Standard's own checks, as Kubernetes' Pod Security Admission
# defines them, at the Kubernetes minor in data.kvet.pss.minor (newest when unset). pss-baseline
# always runs beside this policy; where a restricted check of PSA replaces a baseline one
# (restrictedVolumes for hostPathVolumes, capabilities, seccompProfile, procMount), this policy
# reports only what the baseline rule does not, so every offending field is reported once and
# the two together reject exactly the pods PSA's restricted level rejects.
#
# Speed (see lib/pods.rego): each rule reads only the pod spec, iterates the containers inline
# and first looks for the offending value; the minor, exemptions, pointers and messages are
# computed only for a finding.
package kvet.pss_restricted

import rego.v1

# From 1.25, PSA exempts pods with spec.os.name: windows from the Linux-only checks.
windows_exempt if {
	data.kvet.lib.pods.windows
	data.kvet.lib.pods.minor >= 25
}

# From 1.35, PSA relaxes the user checks for pods with their own user namespace.
user_namespace_exempt if {
	data.kvet.lib.pods.user_namespace
	data.kvet.lib.pods.minor >= 35
}

# restrictedVolumes: only these inline volume sources. A volume without any source is defaulted
# to emptyDir by the API server. hostPath is left to pss-baseline's hostPathVolumes.
allowed_volume_sources := {
	"configMap", "csi", "downwardAPI", "emptyDir", "ephemeral", "image",
	"persistentVolumeClaim", "projected", "secret",
}

deny_restrictedVolumes contains {"msg": msg, "_loc": sprintf("%s/volumes/%d/%s", [data.kvet.lib.pods.spec_path, i, source])} if {
	volumes := data.kvet.lib.pods.spec.volumes
	is_array(volumes)
	some i, v in volumes
	is_object(v)
	not allowed_volume(v)
	not is_object(v.hostPath)
	some source, value in v
	source != "name"
	value != null
	msg := sprintf("volume %q must not use the volume type %s (allowed: %s)", [data.kvet.lib.pods.name(v), source, concat(", ", sort(allowed_volume_sources))])
}

allowed_volume(v) if {
	some source, value in v
	source in {"configMap", "csi", "downwardAPI", "emptyDir", "ephemeral", "image", "persistentVolumeClaim", "projected", "secret"}
	is_object(value)
}

# allowPrivilegeEscalation (from 1.8): every container must set it to false.
deny_allowPrivilegeEscalation contains {"msg": msg, "_loc": loc} if {
	spec := data.kvet.lib.pods.spec
	some list in ["initContainers", "containers", "ephemeralContainers"]
	containers := spec[list]
	is_array(containers)
	some i, c in containers
	not c.securityContext.allowPrivilegeEscalation == false
	not windows_exempt
	data.kvet.lib.pods.minor >= 8
	loc := escalation_loc(c, list, i)
	msg := sprintf("container %q must set securityContext.allowPrivilegeEscalation=false", [data.kvet.lib.pods.name(c)])
}

escalation_loc(c, list, i) := concat("", [data.kvet.lib.pods.sc_loc(c, list, i), "/allowPrivilegeEscalation"]) if {
	c.securityContext.allowPrivilegeEscalation != null
} else := data.kvet.lib.pods.sc_loc(c, list, i)

# runAsNonRoot: the pod or each container must set it to true, and neither may set false.
# A container that inherits an explicit pod-level false is covered by the pod's finding.
deny_runAsNonRoot contains {"msg": msg, "_loc": concat("", [data.kvet.lib.pods.pod_sc_loc, "/runAsNonRoot"])} if {
	data.kvet.lib.pods.spec.securityContext.runAsNonRoot == false
	not user_namespace_exempt
	msg := "pod must not set securityContext.runAsNonRoot=false (allowed: true)"
}

deny_runAsNonRoot contains {"msg": msg, "_loc": concat("", [data.kvet.lib.pods.sc_loc(c, list, i), "/runAsNonRoot"])} if {
	spec := data.kvet.lib.pods.spec
	some list in ["initContainers", "containers", "ephemeralContainers"]
	containers := spec[list]
	is_array(containers)
	some i, c in containers
	c.securityContext.runAsNonRoot == false
	not user_namespace_exempt
	msg := sprintf("container %q must not set securityContext.runAsNonRoot=false (allowed: true)", [data.kvet.lib.pods.name(c)])
}

deny_runAsNonRoot contains {"msg": msg, "_loc": data.kvet.lib.pods.sc_loc(c, list, i)} if {
	spec := data.kvet.lib.pods.spec
	not is_boolean(spec.securityContext.runAsNonRoot)
	some list in ["initContainers", "containers", "ephemeralContainers"]
	containers := spec[list]
	is_array(containers)
	some i, c in containers
	not is_boolean(c.securityContext.runAsNonRoot)
	not user_namespace_exempt
	msg := sprintf("container %q must set securityContext.runAsNonRoot=true (or the pod must set it for all containers)", [data.kvet.lib.pods.name(c)])
}

# runAsUser (from 1.23): neither the pod nor a container may run as user 0.
deny_runAsUser contains {"msg": msg, "_loc": concat("", [data.kvet.lib.pods.pod_sc_loc, "/runAsUser"])} if {
	data.kvet.lib.pods.spec.securityContext.runAsUser == 0
	data.kvet.lib.pods.minor >= 23
	not user_namespace_exempt
	msg := "pod must not set securityContext.runAsUser=0 (allowed: unset or a non-zero user)"
}

deny_runAsUser contains {"msg": msg, "_loc": concat("", [data.kvet.lib.pods.sc_loc(c, list, i), "/runAsUser"])} if {
	spec := data.kvet.lib.pods.spec
	some list in ["initContainers", "containers", "ephemeralContainers"]
	containers := spec[list]
	is_array(containers)
	some i, c in containers
	c.securityContext.runAsUser == 0
	data.kvet.lib.pods.minor >= 23
	not user_namespace_exempt
	msg := sprintf("container %q must not set securityContext.runAsUser=0 (allowed: unset or a non-zero user)", [data.kvet.lib.pods.name(c)])
}

# seccompProfile (from 1.19): every container must have a RuntimeDefault or Localhost profile,
# its own or the pod's. Profiles of other types are pss-baseline's seccompProfile findings.
deny_seccompProfile contains {"msg": msg, "_loc": data.kvet.lib.pods.sc_loc(c, list, i)} if {
	spec := data.kvet.lib.pods.spec
	not is_object(spec.securityContext.seccompProfile)
	some list in ["initContainers", "containers", "ephemeralContainers"]
	containers := spec[list]
	is_array(containers)
	some i, c in containers
	not is_object(c.securityContext.seccompProfile)
	not windows_exempt
	data.kvet.lib.pods.minor >= 19
	msg := sprintf("container %q must set securityContext.seccompProfile.type to RuntimeDefault or Localhost (or the pod must set it for all containers)", [data.kvet.lib.pods.name(c)])
}

# capabilities (from 1.22): every container must drop ALL and may add only NET_BIND_SERVICE.
# Additions outside the runtime's default set are pss-baseline's capabilities findings.
deny_capabilities contains {"msg": msg, "_loc": drop_loc(c, list, i)} if {
	spec := data.kvet.lib.pods.spec
	some list in ["initContainers", "containers", "ephemeralContainers"]
	containers := spec[list]
	is_array(containers)
	some i, c in containers
	not drops_all(c)
	not windows_exempt
	data.kvet.lib.pods.minor >= 22
	msg := sprintf("container %q must set securityContext.capabilities.drop=[\"ALL\"]", [data.kvet.lib.pods.name(c)])
}

deny_capabilities contains {"msg": msg, "_loc": sprintf("%s/capabilities/add/%d", [data.kvet.lib.pods.sc_loc(c, list, i), j])} if {
	spec := data.kvet.lib.pods.spec
	some list in ["initContainers", "containers", "ephemeralContainers"]
	containers := spec[list]
	is_array(containers)
	some i, c in containers
	added := c.securityContext.capabilities.add
	is_array(added)
	some j, cap in added
	cap != "NET_BIND_SERVICE"
	data.kvet.lib.pods.default_capabilities[cap]
	not windows_exempt
	data.kvet.lib.pods.minor >= 22
	msg := sprintf("container %q must not add capability %q in securityContext.capabilities.add (allowed: NET_BIND_SERVICE)", [data.kvet.lib.pods.name(c), cap])
}

drops_all(c) if {
	dropped := c.securityContext.capabilities.drop
	is_array(dropped)
	"ALL" in dropped
}

drop_loc(c, list, i) := concat("", [data.kvet.lib.pods.sc_loc(c, list, i), "/capabilities/drop"]) if {
	is_array(c.securityContext.capabilities.drop)
} else := concat("", [data.kvet.lib.pods.sc_loc(c, list, i), "/capabilities"]) if {
	is_object(c.securityContext.capabilities)
} else := data.kvet.lib.pods.sc_loc(c, list, i)

# procMount (from 1.35): only the Default proc mount, even with a user namespace (where
# pss-baseline allows any; otherwise pss-baseline reports it).
deny_procMount contains {"msg": msg, "_loc": concat("", [data.kvet.lib.pods.sc_loc(c, list, i), "/procMount"])} if {
	spec := data.kvet.lib.pods.spec
	some list in ["initContainers", "containers", "ephemeralContainers"]
	containers := spec[list]
	is_array(containers)
	some i, c in containers
	mount := c.securityContext.procMount
	is_string(mount)
	mount != "Default"
	data.kvet.lib.pods.user_namespace
	data.kvet.lib.pods.minor >= 35
	msg := sprintf("container %q must not set securityContext.procMount to %q (allowed: unset or Default)", [data.kvet.lib.pods.name(c), mount])
}
