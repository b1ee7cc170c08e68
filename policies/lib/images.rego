# Shared by the built-in policies: container image references of a Pod or pod template, split
# as the container ecosystem splits them ([registry/]repository[:tag][@digest]; a colon before
# the last slash belongs to a registry port).
#
# Speed: policies iterate the containers inline (see lib/pods.rego) and call parse only on the
# images they need to look into; pointers and messages are built only for a finding.
package kvet.lib.images

import rego.v1

# {"digest": bool, "tag": "" when none, "registry": host (docker.io when implied)}.
parse(image) := {"digest": count(at) > 1, "tag": tag(last), "registry": registry(segments)} if {
	at := split(image, "@")
	segments := split(at[0], "/")
	last := split(segments[count(segments) - 1], ":")
}

tag(parts) := parts[1] if count(parts) > 1

else := ""

# Docker Hub is implied unless the first segment looks like a host: it has a dot or a port, is
# localhost, or has upper case (repositories are lower case), as distribution/reference decides;
# index.docker.io is Docker Hub's other name.
registry(segments) := "docker.io" if {
	count(segments) > 1
	segments[0] == "index.docker.io"
} else := segments[0] if {
	count(segments) > 1
	host(segments[0])
} else := "docker.io"

host(s) if contains(s, ".")

host(s) if contains(s, ":")

host(s) if s == "localhost"

host(s) if lower(s) != s

# Every container image as {"container", "image", "digest", "tag", "registry", "loc"}, for
# policies to which convenience matters more than speed.
images contains img if {
	spec := data.kvet.lib.pods.spec
	some list in ["initContainers", "containers", "ephemeralContainers"]
	cs := spec[list]
	is_array(cs)
	some i, c in cs
	is_string(c.image)
	ref := parse(c.image)
	img := object.union(ref, {
		"container": c.name,
		"image": c.image,
		"loc": sprintf("%s/%s/%d/image", [data.kvet.lib.pods.spec_path, list, i]),
	})
}
