# Ingresses (networking.k8s.io, or the older extensions group) serve their hosts over TLS: they
# have a spec.tls section, and each rule's host is listed in some spec.tls[].hosts, either
# exactly or by a wildcard *.example.com, which covers exactly one more label (a.example.com,
# not example.com or a.b.example.com). Host names compare case-insensitively.
package kvet.ingress_tls

import rego.v1

ingress if {
	input.kind == "Ingress"
	split(input.apiVersion, "/")[0] in {"networking.k8s.io", "extensions"}
}

spec := s if {
	ingress
	s := input.spec
	is_object(s)
} else := {} if ingress

name := n if {
	n := input.metadata.name
	is_string(n)
} else := "(unnamed)"

list(o, key) := v if {
	v := o[key]
	is_array(v)
} else := []

tls := list(spec, "tls")

# Every host named by a tls entry, lower-cased.
tls_hosts := {lower(h) |
	some entry in tls
	some h in list(entry, "hosts")
	is_string(h)
}

covered(host) if lower(host) in tls_hosts

covered(host) if {
	parts := split(lower(host), ".")
	count(parts) > 2
	wildcard := concat(".", array.concat(["*"], array.slice(parts, 1, count(parts))))
	wildcard in tls_hosts
}

# tls: the Ingress has a spec.tls section.
deny_tls contains {"msg": msg, "_loc": loc} if {
	count(tls) == 0
	loc := tls_loc
	msg := sprintf("Ingress %s has no spec.tls, so it serves its hosts over plain HTTP: add a tls entry listing the hosts and the secret holding their certificate", [name])
}

tls_loc := "/spec/tls" if is_array(spec.tls)

else := "/spec"

# host: each rule's host is covered by a tls entry (rules without a host are not checked).
deny_host contains {"msg": msg, "_loc": sprintf("/spec/rules/%d/host", [i])} if {
	count(tls) > 0
	some i, rule in list(spec, "rules")
	host := rule.host
	is_string(host)
	host != ""
	not covered(host)
	msg := sprintf("host %s of Ingress %s is not in any spec.tls[].hosts, so it gets no certificate of its own: add it (or a *. wildcard of its parent domain) to a tls entry", [host, name])
}
