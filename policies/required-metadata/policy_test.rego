package kvet.required_metadata_test

import rego.v1

import data.kvet.required_metadata

named := {"app.kubernetes.io/name": "web"}

deployment(labels, template_labels) := {
	"kind": "Deployment",
	"metadata": {"name": "web", "labels": labels},
	"spec": {"template": {"metadata": {"labels": template_labels}, "spec": {"containers": [{"name": "app"}]}}},
}

cronjob(template_metadata) := {
	"kind": "CronJob",
	"metadata": {"name": "nightly", "labels": named},
	"spec": {"jobTemplate": {"spec": {"template": object.union({"spec": {"containers": [{"name": "job"}]}}, template_metadata)}}},
}

service(metadata) := {"kind": "Service", "metadata": metadata, "spec": {"ports": [{"port": 80}]}}

test_labelled_deployment_allowed if {
	d := deployment(named, named)
	count(required_metadata.deny_labels) == 0 with input as d
	count(required_metadata.deny_template_labels) == 0 with input as d
	count(required_metadata.deny_annotations) == 0 with input as d
}

test_missing_label_denied_at_labels if {
	required_metadata.deny_labels == {{
		"msg": "Deployment web has no label app.kubernetes.io/name: add it under metadata.labels",
		"_loc": "/metadata/labels",
	}} with input as deployment({"app": "web"}, named)
}

test_no_labels_denied_at_metadata if {
	some d in required_metadata.deny_labels with input as service({"name": "web"})
	d._loc == "/metadata"
}

test_template_labels_denied if {
	required_metadata.deny_template_labels == {{
		"msg": "the pod template of Deployment web has no label app.kubernetes.io/name: add it under spec.template.metadata.labels",
		"_loc": "/spec/template/metadata/labels",
	}} with input as deployment(named, {"app": "web"})
	count(required_metadata.deny_labels) == 0 with input as deployment(named, {"app": "web"})
}

test_cronjob_template_without_metadata if {
	some d in required_metadata.deny_template_labels with input as cronjob({})
	d._loc == "/spec/jobTemplate/spec/template"
	count(required_metadata.deny_template_labels) == 0 with input as cronjob({"metadata": {"labels": named}})
}

test_template_labels_can_be_switched_off if {
	params := {"required-metadata": {"template_labels": false}}
	count(required_metadata.deny_template_labels) == 0 with input as cronjob({}) with data.kvet.parameters as params
}

test_pod_checked_once if {
	pod := {"kind": "Pod", "metadata": {"name": "p"}, "spec": {"containers": [{"name": "app"}]}}
	count(required_metadata.deny_labels) == 1 with input as pod
	count(required_metadata.deny_template_labels) == 0 with input as pod
}

test_kinds_outside_default_ignored if {
	count(required_metadata.deny_labels) == 0 with input as {"kind": "ConfigMap", "metadata": {"name": "c"}}
}

test_kinds_parameter if {
	cm := {"kind": "ConfigMap", "metadata": {"name": "c"}}
	count(required_metadata.deny_labels) == 1 with input as cm with data.kvet.parameters as {"required-metadata": {"kinds": ["ConfigMap"]}}
	count(required_metadata.deny_labels) == 1 with input as cm with data.kvet.parameters as {"required-metadata": {"kinds": ["*"]}}
	count(required_metadata.deny_labels) == 0 with input as service({"name": "s"}) with data.kvet.parameters as {"required-metadata": {"kinds": ["ConfigMap"]}}
}

test_several_missing_labels_one_finding if {
	params := {"required-metadata": {"labels": ["team", "app.kubernetes.io/name", "tier"]}}
	required_metadata.deny_labels == {{
		"msg": "Service web has no labels app.kubernetes.io/name, team, tier: add them under metadata.labels",
		"_loc": "/metadata/labels",
	}} with input as service({"name": "web", "labels": {"app": "web"}}) with data.kvet.parameters as params
}

test_value_patterns if {
	params := {"required-metadata": {"labels": {"team": "[a-z][a-z-]*", "app.kubernetes.io/name": ""}}}
	good := service({"name": "web", "labels": {"team": "payments", "app.kubernetes.io/name": "x"}})
	count(required_metadata.deny_labels) == 0 with input as good with data.kvet.parameters as params
	bad := service({"name": "web", "labels": {"team": "Payments Team", "app.kubernetes.io/name": "x"}})
	required_metadata.deny_labels == {{
		"msg": "Service web has label team=\"Payments Team\", which does not match [a-z][a-z-]*: change the value under metadata.labels",
		"_loc": "/metadata/labels/team",
	}} with input as bad with data.kvet.parameters as params
}

test_pattern_must_match_whole_value if {
	params := {"required-metadata": {"labels": {"app.kubernetes.io/name": "web"}}}
	some d in required_metadata.deny_labels with input as service({"name": "s", "labels": {"app.kubernetes.io/name": "webshop"}}) with data.kvet.parameters as params
	d._loc == "/metadata/labels/app.kubernetes.io~1name"
}

test_annotations if {
	params := {"required-metadata": {"annotations": {"example.com/owner": ".+@example\\.com"}, "labels": []}}
	missing := deployment(named, named)
	some d in required_metadata.deny_annotations with input as missing with data.kvet.parameters as params
	d == {"msg": "Deployment web has no annotation example.com/owner: add it under metadata.annotations", "_loc": "/metadata"}
	owned := object.union(missing, {"metadata": {"annotations": {"example.com/owner": "ops@example.com"}}})
	count(required_metadata.deny_annotations) == 0 with input as owned with data.kvet.parameters as params
	count(required_metadata.deny_labels) == 0 with input as {"kind": "Service"} with data.kvet.parameters as params
}
