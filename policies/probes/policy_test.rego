package kvet.probes_test

import rego.v1

import data.kvet.probes

probe := {"httpGet": {"path": "/healthz", "port": 8080}}

healthy := {"name": "app", "image": "nginx:1.27", "readinessProbe": probe, "livenessProbe": probe}

pod(c) := {"kind": "Pod", "metadata": {"name": "p"}, "spec": {"containers": [c]}}

deployment(init, containers) := {"kind": "Deployment", "metadata": {"name": "web"}, "spec": {"template": {"spec": {"initContainers": init, "containers": containers}}}}

test_probed_container_allowed if {
	count(probes.warn_readiness) == 0 with input as pod(healthy)
	count(probes.warn_liveness) == 0 with input as pod(healthy)
	count(probes.warn_startup) == 0 with input as pod(healthy)
}

test_missing_probes_warned_at_container if {
	d := deployment([], [healthy, {"name": "side", "image": "envoy:1.30"}])
	probes.warn_readiness == {{
		"msg": "container side has no readinessProbe: add one so traffic reaches it only once it can serve, and stops while it cannot",
		"_loc": "/spec/template/spec/containers/1",
	}} with input as d
	probes.warn_liveness == {{
		"msg": "container side has no livenessProbe: add one so the kubelet restarts it when it hangs",
		"_loc": "/spec/template/spec/containers/1",
	}} with input as d
}

test_only_liveness_missing if {
	c := object.remove(healthy, ["livenessProbe"])
	count(probes.warn_readiness) == 0 with input as pod(c)
	count(probes.warn_liveness) == 1 with input as pod(c)
}

test_plain_init_containers_ignored if {
	d := deployment([{"name": "migrate", "image": "app:1"}], [healthy])
	count(probes.warn_readiness) == 0 with input as d
	count(probes.warn_liveness) == 0 with input as d
}

test_native_sidecar_checked if {
	d := deployment([{"name": "proxy", "image": "envoy:1.30", "restartPolicy": "Always", "livenessProbe": probe}], [healthy])
	some w in probes.warn_readiness with input as d
	w._loc == "/spec/template/spec/initContainers/0"
	contains(w.msg, "init container proxy")
	count(probes.warn_liveness) == 0 with input as d
}

test_jobs_and_cronjobs_ignored if {
	bare := {"name": "job", "image": "busybox:1.36"}
	job := {"kind": "Job", "spec": {"template": {"spec": {"containers": [bare]}}}}
	cron := {"kind": "CronJob", "spec": {"jobTemplate": {"spec": {"template": {"spec": {"containers": [bare]}}}}}}
	count(probes.warn_readiness) == 0 with input as job
	count(probes.warn_liveness) == 0 with input as cron
}

test_run_once_pod_ignored if {
	p := {"kind": "Pod", "spec": {"restartPolicy": "Never", "containers": [{"name": "once"}]}}
	count(probes.warn_readiness) == 0 with input as p
	count(probes.warn_liveness) == 0 with input as p
}

test_startup_probe_required_by_parameter if {
	params := {"probes": {"require_startup_probe": true}}
	probes.warn_startup == {{
		"msg": "container app has no startupProbe: add one so a slow start is not cut short by the liveness probe",
		"_loc": "/spec/containers/0",
	}} with input as pod(healthy) with data.kvet.parameters as params
	count(probes.warn_startup) == 0 with input as pod(object.union(healthy, {"startupProbe": probe})) with data.kvet.parameters as params
}

test_liveness_can_be_switched_off if {
	params := {"probes": {"require_liveness_probe": false}}
	c := {"name": "app", "readinessProbe": probe}
	count(probes.warn_liveness) == 0 with input as pod(c) with data.kvet.parameters as params
	count(probes.warn_readiness) == 0 with input as pod(c) with data.kvet.parameters as params
}
