package kvet.pss_restricted_test

import rego.v1

import data.kvet.pss_baseline
import data.kvet.pss_restricted

# Every finding of this policy as [check, _loc].
findings := {[check, d._loc] |
	some check, results in {
		"restrictedVolumes": pss_restricted.deny_restrictedVolumes,
		"allowPrivilegeEscalation": pss_restricted.deny_allowPrivilegeEscalation,
		"runAsNonRoot": pss_restricted.deny_runAsNonRoot,
		"runAsUser": pss_restricted.deny_runAsUser,
		"seccompProfile": pss_restricted.deny_seccompProfile,
		"capabilities": pss_restricted.deny_capabilities,
		"procMount": pss_restricted.deny_procMount,
	}
	some d in results
}

# Findings of pss-baseline, which always runs beside this policy, for the overlapping checks.
baseline_findings := {[check, d._loc] |
	some check, results in {
		"hostPathVolumes": pss_baseline.deny_hostPathVolumes,
		"seccompProfile": pss_baseline.deny_seccompProfile,
		"capabilities": pss_baseline.deny_capabilities,
		"procMount": pss_baseline.deny_procMount,
	}
	some d in results
}

locs(results) := {d._loc | some d in results}

# A container that meets the restricted standard on its own.
good_sc := {
	"allowPrivilegeEscalation": false,
	"capabilities": {"drop": ["ALL"]},
	"runAsNonRoot": true,
	"seccompProfile": {"type": "RuntimeDefault"},
}

container(name, sc) := {"name": name, "image": "registry.example.com/app:1.0", "securityContext": sc}

good(name) := container(name, good_sc)

# good_sc with some fields replaced (nested objects merge: capabilities keep drop ALL).
with_sc(patch) := object.union(good_sc, patch)

# good_sc with its capabilities replaced.
with_caps(caps) := object.union(object.remove(good_sc, ["capabilities"]), {"capabilities": caps})

pod(spec) := {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}, "spec": spec}

pod_sc(sc) := pod({"containers": [container("app", sc)]})

windows_pod := pod({"os": {"name": "windows"}, "containers": [{"name": "app", "securityContext": {"runAsNonRoot": true}}]})

# --- compliant pods and kinds ---

test_compliant_pod_allowed if {
	p := pod({
		"initContainers": [good("init")],
		"containers": [good("app"), container("web", with_sc({"capabilities": {"drop": ["ALL"], "add": ["NET_BIND_SERVICE"]}, "runAsUser": 1000}))],
		"volumes": [{"name": "cfg", "configMap": {"name": "cfg"}}],
	})
	count(findings) == 0 with input as p
	count(baseline_findings) == 0 with input as p
}

test_pod_level_settings_cover_containers if {
	p := pod({
		"securityContext": {"runAsNonRoot": true, "runAsUser": 1000, "seccompProfile": {"type": "Localhost", "localhostProfile": "p.json"}},
		"containers": [container("app", {"allowPrivilegeEscalation": false, "capabilities": {"drop": ["ALL"]}})],
	})
	count(findings) == 0 with input as p
}

test_cronjob_pointers if {
	cj := {"kind": "CronJob", "spec": {"jobTemplate": {"spec": {"template": {"spec": {"containers": [
		good("ok"),
		{"name": "bare", "image": "busybox:1.36"},
	]}}}}}}
	findings == {
		["allowPrivilegeEscalation", "/spec/jobTemplate/spec/template/spec/containers/1"],
		["runAsNonRoot", "/spec/jobTemplate/spec/template/spec/containers/1"],
		["seccompProfile", "/spec/jobTemplate/spec/template/spec/containers/1"],
		["capabilities", "/spec/jobTemplate/spec/template/spec/containers/1"],
	} with input as cj
}

test_deployment_pointers if {
	d := {"kind": "Deployment", "spec": {"template": {"spec": {
		"securityContext": {"runAsNonRoot": true, "seccompProfile": {"type": "RuntimeDefault"}},
		"containers": [container("app", {"allowPrivilegeEscalation": true, "capabilities": {"drop": ["NET_RAW"]}})],
	}}}}
	findings == {
		["allowPrivilegeEscalation", "/spec/template/spec/containers/0/securityContext/allowPrivilegeEscalation"],
		["capabilities", "/spec/template/spec/containers/0/securityContext/capabilities/drop"],
	} with input as d
}

test_windows_pod_allowed_from_1_25 if {
	count(findings) == 0 with input as windows_pod
	count(findings) == 0 with input as windows_pod with data.kvet.pss.minor as 25
	findings == {
		["allowPrivilegeEscalation", "/spec/containers/0/securityContext"],
		["seccompProfile", "/spec/containers/0/securityContext"],
		["capabilities", "/spec/containers/0/securityContext"],
	} with input as windows_pod with data.kvet.pss.minor as 24
}

# --- restrictedVolumes ---

test_allowed_volume_types if {
	count(pss_restricted.deny_restrictedVolumes) == 0 with input as pod({
		"containers": [good("app")],
		"volumes": [
			{"name": "a", "configMap": {"name": "c"}},
			{"name": "b", "csi": {"driver": "d"}},
			{"name": "c", "downwardAPI": {}},
			{"name": "d", "emptyDir": {}},
			{"name": "e", "ephemeral": {"volumeClaimTemplate": {"spec": {}}}},
			{"name": "f", "persistentVolumeClaim": {"claimName": "c"}},
			{"name": "g", "projected": {"sources": []}},
			{"name": "h", "secret": {"secretName": "s"}},
			{"name": "i", "image": {"reference": "registry.example.com/data:1"}},
			{"name": "defaulted-to-emptydir"},
		],
	})
}

test_restricted_volume_types_denied if {
	p := pod({
		"containers": [good("app")],
		"volumes": [
			{"name": "cfg", "configMap": {"name": "c"}},
			{"name": "nfs", "nfs": {"server": "nfs", "path": "/"}},
			{"name": "repo", "gitRepo": {"repository": "https://example.com/r.git"}},
			{"name": "host", "hostPath": {"path": "/"}},
		],
	})
	locs(pss_restricted.deny_restrictedVolumes) == {"/spec/volumes/1/nfs", "/spec/volumes/2/gitRepo"} with input as p

	# hostPath is reported once, by pss-baseline.
	baseline_findings == {["hostPathVolumes", "/spec/volumes/3/hostPath"]} with input as p
}

test_restricted_volume_message if {
	some d in pss_restricted.deny_restrictedVolumes with input as pod({"containers": [good("app")], "volumes": [{"name": "data", "nfs": {"server": "nfs", "path": "/"}}]})
	d.msg == `volume "data" must not use the volume type nfs (allowed: configMap, csi, downwardAPI, emptyDir, ephemeral, image, persistentVolumeClaim, projected, secret)`
}

# --- allowPrivilegeEscalation ---

test_privilege_escalation_false_allowed if {
	count(pss_restricted.deny_allowPrivilegeEscalation) == 0 with input as pod_sc(good_sc)
}

test_privilege_escalation_true_denied if {
	locs(pss_restricted.deny_allowPrivilegeEscalation) == {"/spec/containers/0/securityContext/allowPrivilegeEscalation"} with input as pod_sc(with_sc({"allowPrivilegeEscalation": true}))
}

test_privilege_escalation_unset_points_at_container if {
	p := pod({
		"initContainers": [{"name": "init", "image": "busybox:1.36"}],
		"containers": [good("app")],
		"ephemeralContainers": [container("debug", {"runAsNonRoot": true})],
	})
	locs(pss_restricted.deny_allowPrivilegeEscalation) == {"/spec/initContainers/0", "/spec/ephemeralContainers/0/securityContext"} with input as p
}

test_privilege_escalation_before_1_8 if {
	count(pss_restricted.deny_allowPrivilegeEscalation) == 0 with input as pod_sc({}) with data.kvet.pss.minor as 7
	count(pss_restricted.deny_allowPrivilegeEscalation) == 1 with input as pod_sc({}) with data.kvet.pss.minor as 8
}

# --- runAsNonRoot ---

test_run_as_non_root_at_pod_level if {
	count(pss_restricted.deny_runAsNonRoot) == 0 with input as pod({"securityContext": {"runAsNonRoot": true}, "containers": [container("app", {})]})
}

test_container_false_overrides_pod_true if {
	locs(pss_restricted.deny_runAsNonRoot) == {"/spec/containers/1/securityContext/runAsNonRoot"} with input as pod({
		"securityContext": {"runAsNonRoot": true},
		"containers": [container("a", {}), container("b", {"runAsNonRoot": false})],
	})
}

test_container_true_overrides_pod_false_but_pod_field_denied if {
	locs(pss_restricted.deny_runAsNonRoot) == {"/spec/securityContext/runAsNonRoot"} with input as pod({
		"securityContext": {"runAsNonRoot": false},
		"containers": [container("a", {"runAsNonRoot": true}), container("b", {})],
	})
}

test_run_as_non_root_unset_denied_per_container if {
	locs(pss_restricted.deny_runAsNonRoot) == {"/spec/initContainers/0", "/spec/containers/0/securityContext"} with input as pod({
		"initContainers": [{"name": "init"}],
		"containers": [container("app", {"runAsUser": 1000}), container("ok", {"runAsNonRoot": true})],
	})
}

test_run_as_non_root_user_namespace_from_1_35 if {
	p := pod({"hostUsers": false, "containers": [container("app", {"runAsNonRoot": false})]})
	count(pss_restricted.deny_runAsNonRoot) == 1 with input as p with data.kvet.pss.minor as 34
	count(pss_restricted.deny_runAsNonRoot) == 0 with input as p with data.kvet.pss.minor as 35
}

test_run_as_non_root_applies_to_windows if {
	count(pss_restricted.deny_runAsNonRoot) == 1 with input as pod({"os": {"name": "windows"}, "containers": [{"name": "app"}]})
}

# --- runAsUser ---

test_run_as_user_zero_pod_and_container_denied if {
	locs(pss_restricted.deny_runAsUser) == {"/spec/securityContext/runAsUser", "/spec/containers/1/securityContext/runAsUser"} with input as pod({
		"securityContext": {"runAsUser": 0},
		"containers": [container("a", with_sc({"runAsUser": 1000})), container("b", with_sc({"runAsUser": 0}))],
	})
}

test_run_as_user_non_zero_allowed if {
	count(pss_restricted.deny_runAsUser) == 0 with input as pod({"securityContext": {"runAsUser": 1000}, "containers": [container("a", with_sc({"runAsUser": 2000}))]})
}

test_run_as_user_from_1_23 if {
	p := pod_sc(with_sc({"runAsUser": 0}))
	count(pss_restricted.deny_runAsUser) == 0 with input as p with data.kvet.pss.minor as 22
	count(pss_restricted.deny_runAsUser) == 1 with input as p with data.kvet.pss.minor as 23
}

test_run_as_user_zero_in_user_namespace_from_1_35 if {
	p := pod({"hostUsers": false, "securityContext": {"runAsUser": 0}, "containers": [good("app")]})
	count(pss_restricted.deny_runAsUser) == 1 with input as p with data.kvet.pss.minor as 34
	count(pss_restricted.deny_runAsUser) == 0 with input as p with data.kvet.pss.minor as 35
}

# --- seccompProfile ---

test_seccomp_container_level_without_pod_allowed if {
	count(pss_restricted.deny_seccompProfile) == 0 with input as pod_sc(with_sc({"seccompProfile": {"type": "Localhost", "localhostProfile": "p.json"}}))
}

test_seccomp_unset_denied_per_container if {
	p := pod({"containers": [good("ok"), container("app", object.remove(good_sc, ["seccompProfile"]))], "initContainers": [{"name": "init"}]})
	locs(pss_restricted.deny_seccompProfile) == {"/spec/initContainers/0", "/spec/containers/1/securityContext"} with input as p
}

test_seccomp_unconfined_reported_once if {
	# An Unconfined pod profile is pss-baseline's finding; containers that inherit it are not
	# reported again, and one that sets its own valid profile is fine.
	p := pod({
		"securityContext": {"seccompProfile": {"type": "Unconfined"}, "runAsNonRoot": true},
		"containers": [
			container("a", {"allowPrivilegeEscalation": false, "capabilities": {"drop": ["ALL"]}}),
			good("b"),
		],
	})
	count(findings) == 0 with input as p
	baseline_findings == {["seccompProfile", "/spec/securityContext/seccompProfile/type"]} with input as p
}

test_seccomp_container_unconfined_overrides_good_pod if {
	p := pod({
		"securityContext": {"seccompProfile": {"type": "RuntimeDefault"}},
		"containers": [good("a"), container("b", with_sc({"seccompProfile": {"type": "Unconfined"}}))],
	})
	count(pss_restricted.deny_seccompProfile) == 0 with input as p
	baseline_findings == {["seccompProfile", "/spec/containers/1/securityContext/seccompProfile/type"]} with input as p
}

test_seccomp_from_1_19 if {
	p := pod_sc(object.remove(good_sc, ["seccompProfile"]))
	count(pss_restricted.deny_seccompProfile) == 0 with input as p with data.kvet.pss.minor as 18
	count(pss_restricted.deny_seccompProfile) == 1 with input as p with data.kvet.pss.minor as 19
}

# --- capabilities ---

test_drop_all_and_net_bind_service_allowed if {
	count(pss_restricted.deny_capabilities) == 0 with input as pod_sc(with_sc({"capabilities": {"drop": ["ALL"], "add": ["NET_BIND_SERVICE"]}}))
}

test_missing_drop_all_denied if {
	p := pod({"containers": [
		container("a", with_caps({"drop": ["NET_RAW"]})),
		container("b", with_caps({"add": ["NET_BIND_SERVICE"]})),
		container("c", object.remove(good_sc, ["capabilities"])),
		container("d", with_caps({"drop": ["all"]})),
	]})
	locs(pss_restricted.deny_capabilities) == {
		"/spec/containers/0/securityContext/capabilities/drop",
		"/spec/containers/1/securityContext/capabilities",
		"/spec/containers/2/securityContext",
		"/spec/containers/3/securityContext/capabilities/drop",
	} with input as p
}

test_added_capabilities_reported_once if {
	p := pod_sc(with_sc({"capabilities": {"drop": ["ALL"], "add": ["NET_BIND_SERVICE", "CHOWN", "SYS_ADMIN"]}}))

	# CHOWN is in the runtime's default set: a restricted finding; SYS_ADMIN is not: a baseline one.
	findings == {["capabilities", "/spec/containers/0/securityContext/capabilities/add/1"]} with input as p
	baseline_findings == {["capabilities", "/spec/containers/0/securityContext/capabilities/add/2"]} with input as p
}

test_capabilities_from_1_22 if {
	p := pod_sc(with_caps({"add": ["CHOWN"]}))
	count(pss_restricted.deny_capabilities) == 0 with input as p with data.kvet.pss.minor as 21
	count(pss_restricted.deny_capabilities) == 2 with input as p with data.kvet.pss.minor as 22
}

# --- procMount ---

test_proc_mount_in_user_namespace_from_1_35 if {
	p := pod({"hostUsers": false, "containers": [good("a"), container("b", with_sc({"procMount": "Unmasked"}))]})

	# Before 1.35 pss-baseline forbids it; from 1.35 baseline allows it and restricted does not.
	count(findings) == 0 with input as p with data.kvet.pss.minor as 34
	baseline_findings == {["procMount", "/spec/containers/1/securityContext/procMount"]} with input as p with data.kvet.pss.minor as 34
	findings == {["procMount", "/spec/containers/1/securityContext/procMount"]} with input as p with data.kvet.pss.minor as 35
	count(baseline_findings) == 0 with input as p with data.kvet.pss.minor as 35
}

test_proc_mount_without_user_namespace_left_to_baseline if {
	p := pod({"containers": [container("b", with_sc({"procMount": "Unmasked"}))]})
	count(findings) == 0 with input as p
	baseline_findings == {["procMount", "/spec/containers/0/securityContext/procMount"]} with input as p
}

test_proc_mount_default_allowed if {
	count(findings) == 0 with input as pod({"hostUsers": false, "containers": [container("b", with_sc({"procMount": "Default"}))]})
}

# --- exemptions PSA does not make ---

test_user_namespace_does_not_relax_other_checks if {
	p := pod({"hostUsers": false, "containers": [{"name": "app", "securityContext": {"runAsUser": 0}}]})
	findings == {
		["allowPrivilegeEscalation", "/spec/containers/0/securityContext"],
		["seccompProfile", "/spec/containers/0/securityContext"],
		["capabilities", "/spec/containers/0/securityContext"],
	} with input as p
}

test_pod_template_kind if {
	pt := {"kind": "PodTemplate", "template": {"spec": {"containers": [container("app", with_sc({"runAsUser": 0}))]}}}
	findings == {["runAsUser", "/template/spec/containers/0/securityContext/runAsUser"]} with input as pt
}
