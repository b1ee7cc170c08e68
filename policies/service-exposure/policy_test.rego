package kvet.service_exposure_test

import rego.v1

import data.kvet.service_exposure

service(spec) := {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web"}, "spec": spec}

ports := [{"port": 80, "targetPort": 8080}]

test_cluster_ip_allowed if {
	count(service_exposure.deny_type) == 0 with input as service({"ports": ports})
	count(service_exposure.deny_type) == 0 with input as service({"type": "ClusterIP", "ports": ports})
	count(service_exposure.deny_type) == 0 with input as service({"clusterIP": "None", "ports": ports})
	count(service_exposure.deny_type) == 0 with input as service({"type": "ExternalName", "externalName": "db.example.com"})
	count(service_exposure.deny_node_port) == 0 with input as service({"ports": ports})
	count(service_exposure.deny_external_ips) == 0 with input as service({"ports": ports})
}

test_load_balancer_denied if {
	service_exposure.deny_type == {{
		"msg": "Service web is of type LoadBalancer, which provisions a load balancer reachable from outside the cluster, and node ports as well: use one of ClusterIP, ExternalName (an Ingress or Gateway for external traffic)",
		"_loc": "/spec/type",
	}} with input as service({"type": "LoadBalancer", "ports": ports})
}

test_node_port_type_and_port_denied if {
	s := service({"type": "NodePort", "ports": [{"port": 80}, {"port": 443, "nodePort": 30443}]})
	some t in service_exposure.deny_type with input as s
	contains(t.msg, "opens its port on every node's address")
	service_exposure.deny_node_port == {{
		"msg": "Service web fixes nodePort 30443, which opens that port on every node and collides with any other Service using it: remove nodePort",
		"_loc": "/spec/ports/1/nodePort",
	}} with input as s
}

test_allowed_types_parameter if {
	params := {"service-exposure": {"allowed_types": ["ClusterIP", "LoadBalancer"]}}
	count(service_exposure.deny_type) == 0 with input as service({"type": "LoadBalancer", "ports": ports}) with data.kvet.parameters as params
	count(service_exposure.deny_type) == 1 with input as service({"type": "ExternalName", "externalName": "x"}) with data.kvet.parameters as params
}

test_default_type_can_be_disallowed if {
	some t in service_exposure.deny_type with input as service({"ports": ports}) with data.kvet.parameters as {"service-exposure": {"allowed_types": ["ExternalName"]}}
	t._loc == "/spec"
}

test_allow_node_ports_parameter if {
	s := service({"type": "NodePort", "ports": [{"port": 443, "nodePort": 30443}]})
	params := {"service-exposure": {"allowed_types": ["ClusterIP", "NodePort"], "allow_node_ports": true}}
	count(service_exposure.deny_type) == 0 with input as s with data.kvet.parameters as params
	count(service_exposure.deny_node_port) == 0 with input as s with data.kvet.parameters as params
}

test_external_ips if {
	s := service({"ports": ports, "externalIPs": ["203.0.113.7"]})
	some e in service_exposure.deny_external_ips with input as s
	e._loc == "/spec/externalIPs"
	contains(e.msg, "203.0.113.7")
	count(service_exposure.deny_external_ips) == 0 with input as s with data.kvet.parameters as {"service-exposure": {"allow_external_ips": true}}
	count(service_exposure.deny_external_ips) == 0 with input as service({"ports": ports, "externalIPs": []})
}

test_other_kinds_ignored if {
	count(service_exposure.deny_type) == 0 with input as {"kind": "Deployment", "spec": {"type": "LoadBalancer"}}
}
