# Objects of the kinds in data.kvet.parameters["required-metadata"].kinds carry the required
# labels and annotations. Each requirement list is either a list of keys or a map of key to a
# regular expression the whole value must match ("" accepts any value). Pod templates of
# workloads must carry the required labels too, unless template_labels is false.
package kvet.required_metadata

import rego.v1

# Parameters, read directly (object.get on data itself makes regorus materialise the data
# document on every evaluation). Unset parameters leave these undefined or at their default.
params := p if {
	p := data.kvet.parameters["required-metadata"]
	is_object(p)
} else := {}

kinds := k if {
	k := params.kinds
} else := {
	"Pod", "Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job", "CronJob",
	"ReplicationController", "Service", "Ingress",
}

applies if input.kind in kinds

applies if "*" in kinds

label_requirements := requirements(l) if {
	l := params.labels
} else := {"app.kubernetes.io/name": ""}

# Undefined unless annotations are required, so that the rule stops at once.
annotation_requirements := requirements(params.annotations)

# {key: pattern} from either form.
requirements(spec) := {k: "" | some k in spec} if is_array(spec)

requirements(spec) := spec if is_object(spec)

# The findings for the map `field` (labels or annotations) of the metadata of holder, found at
# pointer base: one for all missing keys, at the map (or at the node that should hold it), and
# one per value that does not match its pattern, at that value. prefix leads the object's name
# in messages.
findings(holder, base, field, reqs, prefix) := missing_keys(holder, base, field, reqs, prefix) | bad_values(holder, base, field, reqs, prefix)

# The labels or annotations (field) of holder, {} when absent.
entries(holder, field) := m if {
	m := holder.metadata[field]
	is_object(m)
} else := {}

missing_keys(holder, base, field, reqs, prefix) := {result |
	m := entries(holder, field)
	absent := [k | some k, _ in reqs; not is_string(m[k])]
	count(absent) > 0
	keys := sort(absent)
	msg := sprintf("%s%s has no %s %s: add %s under %s", [prefix, data.kvet.lib.workloads.name, noun(field, keys), concat(", ", keys), pronoun(keys), dotted(base, field)])
	result := {"msg": msg, "_loc": missing_loc(holder, base, field)}
}

noun(field, keys) := field if count(keys) > 1

else := trim_suffix(field, "s")

pronoun(keys) := "them" if count(keys) > 1

else := "it"

# "metadata.labels", "spec.template.metadata.labels".
dotted(base, field) := concat(".", array.concat([s | some s in split(base, "/"); s != ""], ["metadata", field]))

missing_loc(holder, base, field) := concat("", [base, "/metadata/", field]) if {
	is_object(holder.metadata[field])
} else := concat("", [base, "/metadata"]) if {
	is_object(holder.metadata)
} else := base

bad_values(holder, base, field, reqs, prefix) := {result |
	some k, pattern in reqs
	pattern != ""
	is_string(pattern)
	value := entries(holder, field)[k]
	is_string(value)
	not regex.match(concat("", ["^(?:", pattern, ")$"]), value)
	msg := sprintf("%s%s has %s %s=\"%s\", which does not match %s: change the value under %s", [prefix, data.kvet.lib.workloads.name, trim_suffix(field, "s"), k, value, pattern, dotted(base, field)])
	result := {"msg": msg, "_loc": concat("", [base, "/metadata/", field, "/", data.kvet.lib.workloads.escape(k)])}
}

# labels: the object's own labels.
deny_labels contains result if {
	applies
	some result in findings(input, "", "labels", label_requirements, "")
}

# annotations: the object's own annotations.
deny_annotations contains result if {
	reqs := annotation_requirements
	applies
	some result in findings(input, "", "annotations", reqs, "")
}

# template_labels: the labels of a workload's pod template, which is what the pods get.
deny_template_labels contains result if {
	template := data.kvet.lib.workloads.template
	applies
	not params.template_labels == false
	some result in findings(template, data.kvet.lib.workloads.template_path, "labels", label_requirements, "the pod template of ")
}
