package kvet.image_signed_test

import rego.v1

import data.kvet.image_signed

pod(image) := {"kind": "Pod", "spec": {"containers": [{"name": "app", "image": image}]}}

sha := "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

fact(sigs) := {"valid": true, "error": "", "checked": true, "registry": "r.io", "name": "r.io/app", "resolved_digest": sha, "signatures": sigs}

good := {"key_id": "release", "verified": true, "reason": "cosign signature by key release verified; transparency log not checked"}

bad := {"key_id": "", "verified": false, "reason": "signature does not verify with any configured key (release)"}

test_signed_passes if {
	count(image_signed.deny) == 0 with input as pod("r.io/app:1") with data.kvet.images as {"r.io/app:1": fact([bad, good])}
}

test_unsigned_denied if {
	# Expected values are computed before the `with` line: regorus leaves package rules
	# undefined in the expressions after a `with data… as <rule>`.
	want := sprintf("container app: image r.io/app:1 (%s) has no cosign signature", [sha])
	some x in image_signed.deny with input as pod("r.io/app:1") with data.kvet.images as {"r.io/app:1": fact([])}
	x.msg == want
	x._loc == "/spec/containers/0/image"
}

test_bad_signature_reasons_reported if {
	want := sprintf("container app: image r.io/app:1 (%s) has no valid signature: signature does not verify with any configured key (release)", [sha])
	some x in image_signed.deny with input as pod("r.io/app:1") with data.kvet.images as {"r.io/app:1": fact([bad])}
	x.msg == want
}

test_only_listed_keys_count if {
	want := sprintf("container app: image r.io/app:1 (%s) has no valid signature by ops: signed with key release, which is not accepted (cosign signature by key release verified; transparency log not checked)", [sha])
	some x in image_signed.deny with input as pod("r.io/app:1") with data.kvet.images as {"r.io/app:1": fact([good])} with data.kvet.parameters as {"image-signed": {"keys": ["ops"]}}
	x.msg == want
}

test_unverified_images_denied if {
	some x in image_signed.deny with input as pod("r.io/app:1")
	x.msg == "container app: image r.io/app:1 was not verified; run kvet check with --verify-images and --cosign-key, or with --image-evidence"
}

test_registries_limit_scope if {
	params := {"image-signed": {"registries": ["other.io"]}}
	count(image_signed.deny) == 0 with input as pod("r.io/app:1") with data.kvet.images as {"r.io/app:1": fact([])} with data.kvet.parameters as params
}

test_resolution_errors_reported if {
	f := object.union(fact([]), {"error": "tag 1 not found in r.io/app"})
	some x in image_signed.deny with input as pod("r.io/app:1") with data.kvet.images as {"r.io/app:1": f}
	x.msg == "container app: cannot verify image r.io/app:1: tag 1 not found in r.io/app"
}
