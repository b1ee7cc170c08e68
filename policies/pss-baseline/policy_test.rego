package kvet.pss_baseline_test

import rego.v1

import data.kvet.pss_baseline

# Every finding of the policy as [check, _loc].
findings := {[check, d._loc] |
	some check, results in {
		"hostNamespaces": pss_baseline.deny_hostNamespaces,
		"privileged": pss_baseline.deny_privileged,
		"capabilities": pss_baseline.deny_capabilities,
		"hostPathVolumes": pss_baseline.deny_hostPathVolumes,
		"hostPorts": pss_baseline.deny_hostPorts,
		"appArmorProfile": pss_baseline.deny_appArmorProfile,
		"seLinuxOptions": pss_baseline.deny_seLinuxOptions,
		"procMount": pss_baseline.deny_procMount,
		"seccompProfile": pss_baseline.deny_seccompProfile,
		"sysctls": pss_baseline.deny_sysctls,
		"windowsHostProcess": pss_baseline.deny_windowsHostProcess,
		"hostProbesAndHostLifecycle": pss_baseline.deny_hostProbesAndHostLifecycle,
	}
	some d in results
}

locs(results) := {d._loc | some d in results}

container(name, sc) := {"name": name, "image": "registry.example.com/app:1.0", "securityContext": sc}

pod(spec) := {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}, "spec": spec}

# A pod whose one container "app" has securityContext sc.
pod_sc(sc) := pod({"containers": [container("app", sc)]})

annotated_pod(annotations, spec) := {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", "annotations": annotations}, "spec": spec}

# --- a compliant pod and the kinds read ---

test_plain_pod_allowed if {
	count(findings) == 0 with input as pod({
		"securityContext": {"seccompProfile": {"type": "RuntimeDefault"}, "sysctls": [{"name": "kernel.shm_rmid_forced", "value": "1"}]},
		"volumes": [{"name": "cfg", "configMap": {"name": "cfg"}}, {"name": "tmp", "emptyDir": {}}],
		"containers": [{
			"name": "app", "image": "nginx:1.27",
			"ports": [{"containerPort": 80}],
			"livenessProbe": {"httpGet": {"path": "/", "port": 80}},
			"securityContext": {"privileged": false, "capabilities": {"add": ["NET_BIND_SERVICE"], "drop": ["ALL"]}},
		}],
	})
}

test_deployment_pointer if {
	d := {"kind": "Deployment", "spec": {"template": {"spec": {"containers": [
		container("ok", {}),
		container("bad", {"privileged": true}),
	]}}}}
	locs(pss_baseline.deny_privileged) == {"/spec/template/spec/containers/1/securityContext/privileged"} with input as d
}

test_cronjob_pointer if {
	cj := {"kind": "CronJob", "spec": {"jobTemplate": {"spec": {"template": {"spec": {
		"hostPID": true,
		"containers": [container("app", {"capabilities": {"add": ["SYS_ADMIN"]}})],
	}}}}}}
	findings == {
		["hostNamespaces", "/spec/jobTemplate/spec/template/spec/hostPID"],
		["capabilities", "/spec/jobTemplate/spec/template/spec/containers/0/securityContext/capabilities/add/0"],
	} with input as cj
}

test_pod_template_pointer if {
	pt := {"kind": "PodTemplate", "template": {"spec": {"containers": [container("app", {"windowsOptions": {"hostProcess": true}})]}}}
	locs(pss_baseline.deny_windowsHostProcess) == {"/template/spec/containers/0/securityContext/windowsOptions/hostProcess"} with input as pt
}

test_other_kinds_ignored if {
	count(findings) == 0 with input as {"kind": "Service", "spec": {"hostNetwork": true}}
}

test_null_fields_tolerated if {
	count(findings) == 0 with input as pod({"securityContext": null, "volumes": null, "initContainers": null, "containers": [{"name": "app", "securityContext": null, "ports": null}]})
}

# --- hostNamespaces ---

test_host_namespaces_denied if {
	locs(pss_baseline.deny_hostNamespaces) == {"/spec/hostNetwork", "/spec/hostPID", "/spec/hostIPC"} with input as pod({"hostNetwork": true, "hostPID": true, "hostIPC": true, "containers": [container("app", {})]})
}

test_host_namespaces_false_allowed if {
	count(pss_baseline.deny_hostNamespaces) == 0 with input as pod({"hostNetwork": false, "hostPID": false, "containers": [container("app", {})]})
}

# --- privileged ---

test_privileged_init_and_ephemeral_denied if {
	spec := {
		"initContainers": [container("init", {"privileged": true})],
		"containers": [container("app", {"privileged": false})],
		"ephemeralContainers": [container("debug", {"privileged": true})],
	}
	locs(pss_baseline.deny_privileged) == {
		"/spec/initContainers/0/securityContext/privileged",
		"/spec/ephemeralContainers/0/securityContext/privileged",
	} with input as pod(spec)
}

test_privileged_message_names_container if {
	some d in pss_baseline.deny_privileged with input as pod_sc({"privileged": true})
	d.msg == `container "app" must not set securityContext.privileged=true (allowed: unset or false)`
}

test_unprivileged_allowed if {
	count(pss_baseline.deny_privileged) == 0 with input as pod_sc({"privileged": false})
}

# --- capabilities ---

test_default_capabilities_allowed if {
	count(pss_baseline.deny_capabilities) == 0 with input as pod_sc({"capabilities": {"add": ["CHOWN", "NET_BIND_SERVICE", "SYS_CHROOT"]}})
}

test_non_default_capability_denied if {
	locs(pss_baseline.deny_capabilities) == {"/spec/containers/0/securityContext/capabilities/add/1"} with input as pod_sc({"capabilities": {"add": ["CHOWN", "NET_RAW"]}})
}

test_capabilities_of_init_containers if {
	locs(pss_baseline.deny_capabilities) == {"/spec/initContainers/0/securityContext/capabilities/add/0"} with input as pod({
		"initContainers": [container("init", {"capabilities": {"add": ["SYS_ADMIN"]}})],
		"containers": [container("app", {})],
	})
}

# --- hostPathVolumes ---

test_host_path_denied if {
	locs(pss_baseline.deny_hostPathVolumes) == {"/spec/volumes/1/hostPath"} with input as pod({
		"volumes": [{"name": "tmp", "emptyDir": {}}, {"name": "host", "hostPath": {"path": "/etc"}}],
		"containers": [container("app", {})],
	})
}

test_other_volumes_allowed_by_baseline if {
	count(pss_baseline.deny_hostPathVolumes) == 0 with input as pod({
		"volumes": [{"name": "nfs", "nfs": {"server": "nfs", "path": "/"}}],
		"containers": [container("app", {})],
	})
}

# --- hostPorts ---

test_host_port_denied if {
	c := {"name": "app", "ports": [{"containerPort": 80}, {"containerPort": 443, "hostPort": 443}]}
	locs(pss_baseline.deny_hostPorts) == {"/spec/containers/0/ports/1/hostPort"} with input as pod({"containers": [c]})
}

test_host_port_zero_allowed if {
	c := {"name": "app", "ports": [{"containerPort": 80, "hostPort": 0}]}
	count(pss_baseline.deny_hostPorts) == 0 with input as pod({"containers": [c]})
}

# --- appArmorProfile ---

test_apparmor_allowed_profiles if {
	count(pss_baseline.deny_appArmorProfile) == 0 with input as annotated_pod(
		{
			"container.apparmor.security.beta.kubernetes.io/a": "runtime/default",
			"container.apparmor.security.beta.kubernetes.io/b": "localhost/custom",
			"container.apparmor.security.beta.kubernetes.io/c": "",
		},
		{
			"securityContext": {"appArmorProfile": {"type": "RuntimeDefault"}},
			"containers": [container("app", {"appArmorProfile": {"type": "Localhost", "localhostProfile": "custom"}})],
		},
	)
}

test_apparmor_unconfined_fields_denied if {
	locs(pss_baseline.deny_appArmorProfile) == {
		"/spec/securityContext/appArmorProfile/type",
		"/spec/ephemeralContainers/0/securityContext/appArmorProfile/type",
	} with input as pod({
		"securityContext": {"appArmorProfile": {"type": "Unconfined"}},
		"containers": [container("app", {})],
		"ephemeralContainers": [container("debug", {"appArmorProfile": {"type": "Unconfined"}})],
	})
}

test_apparmor_missing_type_points_at_profile if {
	locs(pss_baseline.deny_appArmorProfile) == {"/spec/containers/0/securityContext/appArmorProfile"} with input as pod_sc({"appArmorProfile": {}})
}

test_apparmor_annotation_denied if {
	some d in pss_baseline.deny_appArmorProfile with input as annotated_pod(
		{"container.apparmor.security.beta.kubernetes.io/app": "unconfined"},
		{"containers": [container("app", {})]},
	)
	d._loc == "/metadata/annotations/container.apparmor.security.beta.kubernetes.io~1app"
}

test_apparmor_annotation_of_template_denied if {
	d := {"kind": "StatefulSet", "spec": {"template": {
		"metadata": {"annotations": {"container.apparmor.security.beta.kubernetes.io/app": "unconfined"}},
		"spec": {"containers": [container("app", {})]},
	}}}
	locs(pss_baseline.deny_appArmorProfile) == {"/spec/template/metadata/annotations/container.apparmor.security.beta.kubernetes.io~1app"} with input as d
}

# --- seLinuxOptions ---

test_selinux_container_types_allowed if {
	count(pss_baseline.deny_seLinuxOptions) == 0 with input as pod({
		"securityContext": {"seLinuxOptions": {"type": "container_t", "level": "s0:c123,c456"}},
		"containers": [container("app", {"seLinuxOptions": {"type": "container_init_t"}}), container("kvm", {"seLinuxOptions": {"type": "container_kvm_t", "user": ""}})],
	})
}

test_selinux_type_denied if {
	locs(pss_baseline.deny_seLinuxOptions) == {"/spec/securityContext/seLinuxOptions/type"} with input as pod({
		"securityContext": {"seLinuxOptions": {"type": "spc_t"}},
		"containers": [container("app", {})],
	})
}

test_selinux_user_and_role_denied if {
	locs(pss_baseline.deny_seLinuxOptions) == {
		"/spec/initContainers/0/securityContext/seLinuxOptions/user",
		"/spec/initContainers/0/securityContext/seLinuxOptions/role",
	} with input as pod({
		"initContainers": [container("init", {"seLinuxOptions": {"user": "system_u", "role": "system_r"}})],
		"containers": [container("app", {})],
	})
}

test_selinux_container_engine_t_from_1_31 if {
	p := pod_sc({"seLinuxOptions": {"type": "container_engine_t"}})
	count(pss_baseline.deny_seLinuxOptions) == 1 with input as p with data.kvet.pss.minor as 30
	count(pss_baseline.deny_seLinuxOptions) == 0 with input as p with data.kvet.pss.minor as 31
	count(pss_baseline.deny_seLinuxOptions) == 0 with input as p
}

# --- procMount ---

test_proc_mount_default_allowed if {
	count(pss_baseline.deny_procMount) == 0 with input as pod_sc({"procMount": "Default"})
}

test_proc_mount_unmasked_denied if {
	locs(pss_baseline.deny_procMount) == {"/spec/containers/0/securityContext/procMount"} with input as pod_sc({"procMount": "Unmasked"})
}

test_proc_mount_user_namespace_relaxed_from_1_35 if {
	p := pod({"hostUsers": false, "containers": [container("app", {"procMount": "Unmasked"})]})
	count(pss_baseline.deny_procMount) == 1 with input as p with data.kvet.pss.minor as 34
	count(pss_baseline.deny_procMount) == 0 with input as p with data.kvet.pss.minor as 35
	count(pss_baseline.deny_procMount) == 0 with input as p
}

test_proc_mount_host_users_true_not_relaxed if {
	p := pod({"hostUsers": true, "containers": [container("app", {"procMount": "Unmasked"})]})
	count(pss_baseline.deny_procMount) == 1 with input as p
}

# --- seccompProfile ---

test_seccomp_allowed_profiles if {
	count(pss_baseline.deny_seccompProfile) == 0 with input as pod({
		"securityContext": {"seccompProfile": {"type": "RuntimeDefault"}},
		"containers": [container("app", {"seccompProfile": {"type": "Localhost", "localhostProfile": "p.json"}}), container("b", {})],
	})
}

test_seccomp_unconfined_pod_and_container_denied if {
	locs(pss_baseline.deny_seccompProfile) == {
		"/spec/securityContext/seccompProfile/type",
		"/spec/initContainers/0/securityContext/seccompProfile/type",
	} with input as pod({
		"securityContext": {"seccompProfile": {"type": "Unconfined"}},
		"initContainers": [container("init", {"seccompProfile": {"type": "Unconfined"}})],
		"containers": [container("app", {"seccompProfile": {"type": "RuntimeDefault"}})],
	})
}

test_seccomp_container_unconfined_under_good_pod_denied if {
	locs(pss_baseline.deny_seccompProfile) == {"/spec/containers/0/securityContext/seccompProfile/type"} with input as pod({
		"securityContext": {"seccompProfile": {"type": "RuntimeDefault"}},
		"containers": [container("app", {"seccompProfile": {"type": "Unconfined"}})],
	})
}

test_seccomp_annotations_before_1_19 if {
	p := annotated_pod(
		{
			"seccomp.security.alpha.kubernetes.io/pod": "unconfined",
			"container.seccomp.security.alpha.kubernetes.io/app": "docker/default",
			"container.seccomp.security.alpha.kubernetes.io/side": "unconfined",
			"container.seccomp.security.alpha.kubernetes.io/gone": "unconfined",
		},
		{"containers": [container("app", {}), container("side", {"seccompProfile": {"type": "Unconfined"}})]},
	)

	# 1.18 reads only the annotations (of existing containers), 1.19 only the fields.
	locs(pss_baseline.deny_seccompProfile) == {
		"/metadata/annotations/seccomp.security.alpha.kubernetes.io~1pod",
		"/metadata/annotations/container.seccomp.security.alpha.kubernetes.io~1side",
	} with input as p with data.kvet.pss.minor as 18
	locs(pss_baseline.deny_seccompProfile) == {"/spec/containers/1/securityContext/seccompProfile/type"} with input as p with data.kvet.pss.minor as 19
}

test_seccomp_annotations_allowed_values if {
	count(pss_baseline.deny_seccompProfile) == 0 with input as annotated_pod(
		{
			"seccomp.security.alpha.kubernetes.io/pod": "runtime/default",
			"container.seccomp.security.alpha.kubernetes.io/app": "localhost/profile.json",
		},
		{"containers": [container("app", {})]},
	)
		with data.kvet.pss.minor as 18
}

# --- sysctls ---

sysctl_pod(name) := pod({"securityContext": {"sysctls": [{"name": "kernel.shm_rmid_forced", "value": "0"}, {"name": name, "value": "1"}]}, "containers": [container("app", {})]})

test_unsafe_sysctl_denied if {
	locs(pss_baseline.deny_sysctls) == {"/spec/securityContext/sysctls/1/name"} with input as sysctl_pod("kernel.msgmax")
}

test_safe_sysctls_grow_with_the_minor if {
	count(pss_baseline.deny_sysctls) == 1 with input as sysctl_pod("net.ipv4.ip_local_reserved_ports") with data.kvet.pss.minor as 26
	count(pss_baseline.deny_sysctls) == 0 with input as sysctl_pod("net.ipv4.ip_local_reserved_ports") with data.kvet.pss.minor as 27
	count(pss_baseline.deny_sysctls) == 1 with input as sysctl_pod("net.ipv4.tcp_keepalive_probes") with data.kvet.pss.minor as 28
	count(pss_baseline.deny_sysctls) == 0 with input as sysctl_pod("net.ipv4.tcp_keepalive_probes") with data.kvet.pss.minor as 29
	count(pss_baseline.deny_sysctls) == 1 with input as sysctl_pod("net.ipv4.tcp_wmem") with data.kvet.pss.minor as 31
	count(pss_baseline.deny_sysctls) == 0 with input as sysctl_pod("net.ipv4.tcp_wmem") with data.kvet.pss.minor as 32
	count(pss_baseline.deny_sysctls) == 1 with input as sysctl_pod("net.ipv4.tcp_notsent_lowat") with data.kvet.pss.minor as 36
	count(pss_baseline.deny_sysctls) == 0 with input as sysctl_pod("net.ipv4.tcp_notsent_lowat") with data.kvet.pss.minor as 37
	count(pss_baseline.deny_sysctls) == 0 with input as sysctl_pod("net.ipv4.tcp_slow_start_after_idle")
}

test_sysctl_message_lists_allowed_for_minor if {
	some d in pss_baseline.deny_sysctls with input as sysctl_pod("kernel.msgmax") with data.kvet.pss.minor as 26
	d.msg == `pod must not set sysctl "kernel.msgmax" (allowed: kernel.shm_rmid_forced, net.ipv4.ip_local_port_range, net.ipv4.ip_unprivileged_port_start, net.ipv4.ping_group_range, net.ipv4.tcp_syncookies)`
}

# --- windowsHostProcess ---

test_host_process_denied if {
	locs(pss_baseline.deny_windowsHostProcess) == {
		"/spec/securityContext/windowsOptions/hostProcess",
		"/spec/containers/0/securityContext/windowsOptions/hostProcess",
	} with input as pod({
		"securityContext": {"windowsOptions": {"hostProcess": true}},
		"containers": [container("app", {"windowsOptions": {"hostProcess": true}})],
	})
}

test_host_process_false_allowed if {
	count(pss_baseline.deny_windowsHostProcess) == 0 with input as pod({
		"os": {"name": "windows"},
		"securityContext": {"windowsOptions": {"hostProcess": false, "runAsUserName": "ContainerUser"}},
		"containers": [container("app", {"windowsOptions": {"hostProcess": false}})],
	})
}

# --- hostProbesAndHostLifecycle ---

probe_pod := pod({"containers": [{
	"name": "app",
	"livenessProbe": {"httpGet": {"host": "10.0.0.1", "port": 80}},
	"readinessProbe": {"tcpSocket": {"host": "", "port": 80}},
	"lifecycle": {"preStop": {"tcpSocket": {"host": "example.com", "port": 80}}, "postStart": {"httpGet": {"port": 80}}},
}]})

test_probe_hosts_denied_from_1_34 if {
	locs(pss_baseline.deny_hostProbesAndHostLifecycle) == {
		"/spec/containers/0/livenessProbe/httpGet/host",
		"/spec/containers/0/lifecycle/preStop/tcpSocket/host",
	} with input as probe_pod with data.kvet.pss.minor as 34
}

test_probe_hosts_allowed_before_1_34 if {
	count(pss_baseline.deny_hostProbesAndHostLifecycle) == 0 with input as probe_pod with data.kvet.pss.minor as 33
}

test_probe_without_host_allowed if {
	count(pss_baseline.deny_hostProbesAndHostLifecycle) == 0 with input as pod({"containers": [{
		"name": "app",
		"startupProbe": {"httpGet": {"path": "/", "port": 80}},
		"readinessProbe": {"tcpSocket": {"host": "", "port": 80}},
	}]})
}

test_selinux_pod_level_user_denied if {
	some d in pss_baseline.deny_seLinuxOptions with input as pod({
		"securityContext": {"seLinuxOptions": {"user": "system_u", "type": "container_t"}},
		"containers": [container("app", {})],
	})
	d._loc == "/spec/securityContext/seLinuxOptions/user"
	d.msg == "pod must not set securityContext.seLinuxOptions.user (allowed: unset or empty)"
}

test_messages_name_the_container_and_value if {
	some d in pss_baseline.deny_hostPorts with input as pod({"containers": [{"name": "web", "ports": [{"containerPort": 80, "hostPort": 8080}]}]})
	d.msg == `container "web" must not use hostPort 8080 (allowed: unset or 0)`
}
