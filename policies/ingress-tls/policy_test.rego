package kvet.ingress_tls_test

import rego.v1

import data.kvet.ingress_tls

backend := {"service": {"name": "web", "port": {"number": 80}}}

rule(host) := {"host": host, "http": {"paths": [{"path": "/", "pathType": "Prefix", "backend": backend}]}}

ingress(spec) := {"apiVersion": "networking.k8s.io/v1", "kind": "Ingress", "metadata": {"name": "web"}, "spec": spec}

test_covered_hosts_allowed if {
	i := ingress({"tls": [{"hosts": ["shop.example.com", "*.api.example.com"], "secretName": "tls"}], "rules": [rule("shop.example.com"), rule("v1.api.example.com"), rule("Shop.Example.com")]})
	count(ingress_tls.deny_tls) == 0 with input as i
	count(ingress_tls.deny_host) == 0 with input as i
}

test_missing_tls_denied if {
	ingress_tls.deny_tls == {{
		"msg": "Ingress web has no spec.tls, so it serves its hosts over plain HTTP: add a tls entry listing the hosts and the secret holding their certificate",
		"_loc": "/spec",
	}} with input as ingress({"rules": [rule("shop.example.com")]})
	count(ingress_tls.deny_host) == 0 with input as ingress({"rules": [rule("shop.example.com")]})
}

test_empty_tls_denied_at_tls if {
	some d in ingress_tls.deny_tls with input as ingress({"tls": [], "rules": [rule("a.example.com")]})
	d._loc == "/spec/tls"
}

test_uncovered_host_denied if {
	i := ingress({"tls": [{"hosts": ["shop.example.com"], "secretName": "tls"}], "rules": [rule("shop.example.com"), rule("admin.example.com")]})
	ingress_tls.deny_host == {{
		"msg": "host admin.example.com of Ingress web is not in any spec.tls[].hosts, so it gets no certificate of its own: add it (or a *. wildcard of its parent domain) to a tls entry",
		"_loc": "/spec/rules/1/host",
	}} with input as i
}

test_wildcard_covers_one_label if {
	i := ingress({"tls": [{"hosts": ["*.example.com"]}], "rules": [rule("a.example.com"), rule("a.b.example.com"), rule("example.com"), rule("*.example.com")]})
	{d._loc | some d in ingress_tls.deny_host} == {"/spec/rules/1/host", "/spec/rules/2/host"} with input as i
}

test_hostless_rule_not_checked if {
	count(ingress_tls.deny_host) == 0 with input as ingress({"tls": [{"secretName": "default"}], "rules": [{"http": {"paths": []}}]})
}

test_extensions_group_checked_others_ignored if {
	count(ingress_tls.deny_tls) == 1 with input as {"apiVersion": "extensions/v1beta1", "kind": "Ingress", "metadata": {"name": "old"}, "spec": {}}
	count(ingress_tls.deny_tls) == 0 with input as {"apiVersion": "example.io/v1", "kind": "Ingress", "metadata": {"name": "crd"}, "spec": {}}
	count(ingress_tls.deny_tls) == 0 with input as {"apiVersion": "v1", "kind": "Service", "spec": {}}
}
