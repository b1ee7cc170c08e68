# Services stay inside the cluster unless a platform allows otherwise: a type outside
# data.kvet.parameters["service-exposure"].allowed_types (ClusterIP and ExternalName by default;
# headless Services are ClusterIP), an explicit nodePort, or externalIPs.
package kvet.service_exposure

import rego.v1

# Parameters ({} when none are given). A direct reference: object.get on data itself makes
# regorus materialise the data document on every evaluation.
params := p if {
	p := data.kvet.parameters["service-exposure"]
	is_object(p)
} else := {}

allowed_types := object.get(params, "allowed_types", ["ClusterIP", "ExternalName"])

spec := s if {
	s := input.spec
	is_object(s)
} else := {}

name := n if {
	n := input.metadata.name
	is_string(n)
} else := "(unnamed)"

# The type Kubernetes gives a Service that names none.
service_type := t if {
	t := spec.type
	is_string(t)
} else := "ClusterIP"

type_loc := "/spec/type" if is_string(spec.type)

else := "/spec"

exposure := {
	"NodePort": "opens its port on every node's address",
	"LoadBalancer": "provisions a load balancer reachable from outside the cluster, and node ports as well",
}

# type: the Service type must be one of allowed_types.
deny_type contains {"msg": msg, "_loc": loc} if {
	input.kind == "Service"
	not service_type in allowed_types
	loc := type_loc
	reason := object.get(exposure, service_type, "is not an allowed type")
	msg := sprintf("Service %s is of type %s, which %s: use one of %s (an Ingress or Gateway for external traffic)", [name, service_type, reason, concat(", ", allowed_types)])
}

# node_port: no explicit nodePort unless allow_node_ports is true.
deny_node_port contains {"msg": msg, "_loc": sprintf("/spec/ports/%d/nodePort", [i])} if {
	input.kind == "Service"
	not object.get(params, "allow_node_ports", false) == true
	some i, port in object.get(spec, "ports", [])
	is_number(port.nodePort)
	port.nodePort != 0
	msg := sprintf("Service %s fixes nodePort %v, which opens that port on every node and collides with any other Service using it: remove nodePort", [name, port.nodePort])
}

# external_ips: no spec.externalIPs unless allow_external_ips is true.
deny_external_ips contains {"msg": msg, "_loc": "/spec/externalIPs"} if {
	input.kind == "Service"
	not object.get(params, "allow_external_ips", false) == true
	ips := spec.externalIPs
	is_array(ips)
	count(ips) > 0
	msg := sprintf("Service %s sets externalIPs %s: the cluster accepts traffic for those addresses on every node, and any Service can claim any address (CVE-2020-8554); remove externalIPs", [name, concat(", ", [sprintf("%v", [ip]) | some ip in ips])])
}
