package kvet.host_access_test

import rego.v1

import data.kvet.host_access

pod(spec) := {"kind": "Pod", "metadata": {"name": "p"}, "spec": object.union({"containers": [{"name": "app", "image": "nginx:1.27"}]}, spec)}

daemonset(spec) := {"kind": "DaemonSet", "metadata": {"name": "agent"}, "spec": {"template": {"spec": spec}}}

cronjob(spec) := {"kind": "CronJob", "metadata": {"name": "nightly"}, "spec": {"jobTemplate": {"spec": {"template": {"spec": spec}}}}}

log_volume := {"name": "logs", "hostPath": {"path": "/var/log"}}

mounting(read_only) := {"name": "agent", "image": "agent:1", "volumeMounts": [{"name": "logs", "mountPath": "/logs", "readOnly": read_only}]}

params(paths) := {"host-access": {"allowed_host_paths": paths}}

test_plain_pod_allowed if {
	p := pod({"hostNetwork": false})
	count(host_access.deny_host_namespaces) == 0 with input as p
	count(host_access.deny_host_path) == 0 with input as p
	count(host_access.deny_host_ports) == 0 with input as p
}

test_host_namespaces_denied_each if {
	d := daemonset({"hostNetwork": true, "hostPID": true, "hostIPC": false, "containers": [{"name": "a"}]})
	locs := {r._loc | some r in host_access.deny_host_namespaces} with input as d
	locs == {"/spec/template/spec/hostNetwork", "/spec/template/spec/hostPID"}
}

test_host_network_message if {
	some r in host_access.deny_host_namespaces with input as pod({"hostNetwork": true})
	startswith(r.msg, "Pod p sets hostNetwork: true and shares the node's network stack")
	r._loc == "/spec/hostNetwork"
}

test_host_path_denied_in_cronjob if {
	c := cronjob({"volumes": [{"name": "cache", "emptyDir": {}}, {"name": "root", "hostPath": {"path": "/"}}], "containers": [{"name": "job"}]})
	host_access.deny_host_path == {{
		"msg": "CronJob nightly mounts host path / as volume root, which exposes the node's filesystem: use a PersistentVolumeClaim, emptyDir, configMap or secret instead",
		"_loc": "/spec/jobTemplate/spec/template/spec/volumes/1/hostPath/path",
	}} with input as c
}

test_allowed_prefix_read_only if {
	d := daemonset({"volumes": [log_volume], "containers": [mounting(true)]})
	count(host_access.deny_host_path) == 0 with input as d with data.kvet.parameters as params(["/var/log/"])
	count(host_access.deny_host_path_read_only) == 0 with input as d with data.kvet.parameters as params(["/var/log/"])
}

test_allowed_prefix_matches_segments if {
	d := daemonset({"volumes": [{"name": "logs", "hostPath": {"path": "/var/logs"}}], "containers": [mounting(true)]})
	some r in host_access.deny_host_path with input as d with data.kvet.parameters as params(["/var/log"])
	contains(r.msg, "(allowed prefixes: /var/log)")
	sub := daemonset({"volumes": [{"name": "logs", "hostPath": {"path": "/var/log/pods"}}], "containers": [mounting(true)]})
	count(host_access.deny_host_path) == 0 with input as sub with data.kvet.parameters as params(["/var/log"])
}

test_dot_dot_escapes_nothing if {
	d := daemonset({"volumes": [{"name": "logs", "hostPath": {"path": "/var/log/../../etc"}}], "containers": [mounting(true)]})
	count(host_access.deny_host_path) == 1 with input as d with data.kvet.parameters as params(["/var/log"])
}

test_writable_mount_of_read_only_prefix_denied if {
	d := daemonset({"volumes": [log_volume], "initContainers": [{"name": "setup", "volumeMounts": [{"name": "logs", "mountPath": "/l"}]}], "containers": [mounting(false)]})
	got := host_access.deny_host_path_read_only with input as d with data.kvet.parameters as params(["/var/log"])
	{r._loc | some r in got} == {
		"/spec/template/spec/initContainers/0/volumeMounts/0",
		"/spec/template/spec/containers/0/volumeMounts/0/readOnly",
	}
	some r in got
	r.msg == "container agent mounts host path /var/log (volume logs) writable: set readOnly: true on the mount"
}

test_writable_prefix_allows_writes if {
	d := daemonset({"volumes": [log_volume], "containers": [mounting(false)]})
	p := params([{"pathPrefix": "/var", "readOnly": false}])
	count(host_access.deny_host_path) == 0 with input as d with data.kvet.parameters as p
	count(host_access.deny_host_path_read_only) == 0 with input as d with data.kvet.parameters as p
}

test_host_port_denied if {
	d := daemonset({"containers": [{"name": "web", "ports": [{"containerPort": 80}, {"containerPort": 443, "hostPort": 443}]}]})
	host_access.deny_host_ports == {{
		"msg": "container web binds host port 443, which ties it to nodes where that port is free and exposes it on the node's address: remove hostPort and use a Service",
		"_loc": "/spec/template/spec/containers/0/ports/1/hostPort",
	}} with input as d
}

test_host_port_zero_and_allowed_ports if {
	d := daemonset({"initContainers": [{"name": "i", "ports": [{"containerPort": 1, "hostPort": 0}]}], "containers": [{"name": "web", "ports": [{"containerPort": 9100, "hostPort": 9100}]}]})
	count(host_access.deny_host_ports) == 1 with input as d
	count(host_access.deny_host_ports) == 0 with input as d with data.kvet.parameters as {"host-access": {"allowed_host_ports": [9100]}}
}
