//! CustomResourceDefinitions: every served version becomes a schema with the API server's
//! structural-schema rules.

#![recursion_limit = "512"]

mod common;

use common::*;
use kvet_schema::{Keyword, Lookup};
use serde_json::{json, Value};

fn widget_crd() -> Value {
    json!({
      "apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
      "metadata": {"name": "widgets.example.com"},
      "spec": {"group": "example.com", "scope": "Namespaced",
        "names": {"kind": "Widget", "plural": "widgets"},
        "versions": [
          {"name": "v1", "served": true, "storage": true, "schema": {"openAPIV3Schema": {
            "type": "object",
            "properties": {
              "metadata": {"type": "object", "properties": {"name": {"type": "string", "maxLength": 10}}},
              "spec": {"type": "object", "required": ["size"], "properties": {
                "size": {"type": "integer", "minimum": 1, "maximum": 5},
                "step": {"type": "integer", "multipleOf": 5},
                "ratio": {"type": "number", "exclusiveMinimum": true, "minimum": 0, "exclusiveMaximum": true, "maximum": 1},
                "name": {"type": "string", "pattern": "^[a-z]+$", "minLength": 2, "maxLength": 8},
                "port": {"anyOf": [{"type": "integer"}, {"type": "string"}], "x-kubernetes-int-or-string": true},
                "color": {"type": "string", "enum": ["red", "blue"]},
                "note": {"type": "string", "nullable": true},
                "count": {"type": "integer"},
                "uid": {"type": "string", "format": "uuid"},
                "address": {"type": "string", "format": "ipv4"},
                "since": {"type": "string", "format": "date-time"},
                "extra": {"type": "object", "x-kubernetes-preserve-unknown-fields": true},
                "template": {"type": "object", "x-kubernetes-embedded-resource": true,
                             "properties": {"spec": {"type": "object", "x-kubernetes-preserve-unknown-fields": true}}},
                "tags": {"type": "array", "items": {"type": "string"}, "x-kubernetes-list-type": "set", "maxItems": 3},
                "ports": {"type": "array", "minItems": 1, "x-kubernetes-list-type": "map",
                          "x-kubernetes-list-map-keys": ["name", "protocol"],
                          "items": {"type": "object", "required": ["name"], "properties": {
                            "name": {"type": "string"},
                            "protocol": {"type": "string", "default": "TCP"},
                            "port": {"type": "integer"}}}},
                "labels": {"type": "object", "additionalProperties": {"type": "string"}, "maxProperties": 2},
                "target": {"type": "object", "properties": {"kind": {"type": "string"}, "name": {"type": "string"}},
                           "oneOf": [{"required": ["kind"]}, {"required": ["name"]}]},
                "mode": {"type": "string", "not": {"enum": ["legacy"]}}
              }},
              "status": {"type": "object", "x-kubernetes-preserve-unknown-fields": true}
            }}}},
          {"name": "v2", "served": true, "storage": false, "schema": {"openAPIV3Schema": {
            "type": "object", "properties": {"spec": {"type": "object", "properties": {"replicas": {"type": "integer"}}}}}}},
          {"name": "v0", "served": false, "storage": false}
        ]}
    })
}

fn good_widget() -> Value {
    json!({"apiVersion": "example.com/v1", "kind": "Widget",
        "metadata": {"name": "w", "namespace": "n", "labels": {"a": "b"}, "annotations": {"x/y": "z"}},
        "spec": {"size": 3, "step": 10, "ratio": 0.5, "name": "abc", "port": "http", "color": "red",
                 "note": null, "count": null,
                 "uid": "123e4567-e89b-12d3-a456-426614174000", "address": "10.0.0.1", "since": "2024-01-02T03:04:05Z",
                 "extra": {"free": {"form": [1, 2]}},
                 "template": {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "x", "labels": {"a": "b"}},
                              "spec": {"anything": true}},
                 "tags": ["a", "b"], "ports": [{"name": "a", "port": 1}, {"name": "a", "protocol": "UDP"}, {"name": "b"}],
                 "labels": {"k": "v"}, "target": {"kind": "Pod"}, "mode": "fast"},
        "status": {"anything": "goes"}})
}

#[test]
fn every_served_version_is_added() {
    let c = catalog("1.37", true);
    assert!(matches!(
        c.lookup("example.com/v1", "Widget"),
        Lookup::Missing
    ));
    let added = c.add_crd(&widget_crd()).expect("crd");
    assert_eq!(
        added,
        vec![
            ("example.com/v1".to_owned(), "Widget".to_owned()),
            ("example.com/v2".to_owned(), "Widget".to_owned())
        ]
    );
    // Added after a lookup: the CRD now wins.
    assert!(matches!(
        c.lookup("example.com/v1", "Widget"),
        Lookup::Found(_)
    ));
    assert!(matches!(
        c.lookup("example.com/v0", "Widget"),
        Lookup::Missing
    ));
    // versions_with is about the embedded schemas only.
    assert!(c.versions_with("example.com/v1", "Widget").is_empty());
    let v2 = json!({"apiVersion": "example.com/v2", "kind": "Widget", "metadata": {"name": "w"},
                    "spec": {"replicas": "x", "size": 1}});
    assert_eq!(
        brief(&validate(&c, &v2)),
        vec![
            row(
                "/spec/replicas",
                Keyword::Type,
                "expected integer, got string \"x\""
            ),
            row(
                "/spec/size",
                Keyword::UnknownField,
                "unknown field \"size\""
            ),
        ]
    );
}

#[test]
fn a_valid_custom_resource_passes() {
    let c = catalog("1.37", true);
    c.add_crd(&widget_crd()).expect("crd");
    assert_eq!(brief(&validate(&c, &good_widget())), vec![]);
}

#[test]
fn each_rule_reports_its_own_violation() {
    let c = catalog("1.37", true);
    c.add_crd(&widget_crd()).expect("crd");
    let bad = json!({"apiVersion": "example.com/v1", "kind": "Widget",
        "metadata": {"name": "much-too-long-name", "nmae": "typo"},
        "spec": {"size": 9, "step": 7, "ratio": 0, "name": "A", "port": 1.5, "color": "green",
                 "note": 5, "uid": "nope", "address": "::1", "since": "2024-01-02",
                 "unknown": 1, "a/b": 2,
                 "template": {"kind": "bad_kind", "metadata": {"name": 1}},
                 "tags": ["a", "b", "a", "c"], "ports": [{"name": "a"}, {"name": "a", "protocol": "TCP"}],
                 "labels": {"k": 1, "l": "x", "m": "y"}, "target": {"kind": "Pod", "name": "p"}, "mode": "legacy"}});
    assert_eq!(
        brief(&validate(&c, &bad)),
        vec![
            row("/metadata/name", Keyword::MaxLength, "\"much-too-long-name\" has 18 characters, more than the maximum of 10"),
            row("/metadata/nmae", Keyword::UnknownField, "unknown field \"nmae\""),
            row("/spec/size", Keyword::Maximum, "9 is greater than the maximum of 5"),
            row("/spec/step", Keyword::MultipleOf, "7 is not a multiple of 5"),
            row("/spec/ratio", Keyword::Minimum, "0 is not greater than the exclusive minimum of 0"),
            row("/spec/name", Keyword::Pattern, "\"A\" does not match the pattern ^[a-z]+$"),
            row("/spec/name", Keyword::MinLength, "\"A\" has 1 characters, fewer than the minimum of 2"),
            row("/spec/port", Keyword::Type, "expected integer or string, got number 1.5"),
            row("/spec/color", Keyword::Enum, "\"green\" is not one of \"red\", \"blue\""),
            row("/spec/note", Keyword::Type, "expected string, got integer 5"),
            row("/spec/uid", Keyword::Format, "\"nope\" is not a valid UUID"),
            row("/spec/address", Keyword::Format, "\"::1\" is not a valid IPv4 address"),
            row("/spec/since", Keyword::Format, "\"2024-01-02\" is not an RFC 3339 date-time such as 2006-01-02T15:04:05Z"),
            row("/spec/unknown", Keyword::UnknownField, "unknown field \"unknown\""),
            row("/spec/a~1b", Keyword::UnknownField, "unknown field \"a/b\""),
            row("/spec/template", Keyword::Required, "missing required field \"apiVersion\""),
            row("/spec/template/kind", Keyword::Format, "\"bad_kind\" is not a valid kind (letters, digits and '-', starting with a letter)"),
            row("/spec/template/metadata/name", Keyword::Type, "expected string, got integer 1"),
            row("/spec/tags", Keyword::MaxItems, "has 4 items, more than the maximum of 3"),
            row("/spec/tags/2", Keyword::Duplicate, "duplicate value \"a\" (also item 0)"),
            // The missing protocol defaults to TCP, so these two entries collide.
            row("/spec/ports/1", Keyword::Duplicate, "duplicate value: item 0 has the same name \"a\" and protocol \"TCP\""),
            row("/spec/labels", Keyword::MaxProperties, "has 3 fields, more than the maximum of 2"),
            row("/spec/labels/k", Keyword::Type, "expected string, got integer 1"),
            row("/spec/target", Keyword::OneOf, "object matches 2 of the oneOf alternatives; exactly one must match"),
            row("/spec/mode", Keyword::Not, "string \"legacy\" matches the schema under \"not\", which it must not"),
        ]
    );
}

#[test]
fn strictness_only_changes_unknown_fields() {
    let bad = json!({"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w"},
        "spec": {"size": 9, "unknown": {"deep": 1}, "extra": {"free": 1}}, "topLevel": true});
    let strict = catalog("1.37", true);
    strict.add_crd(&widget_crd()).expect("crd");
    assert_eq!(
        brief(&validate(&strict, &bad)),
        vec![
            row(
                "/spec/size",
                Keyword::Maximum,
                "9 is greater than the maximum of 5"
            ),
            row(
                "/spec/unknown",
                Keyword::UnknownField,
                "unknown field \"unknown\""
            ),
            row(
                "/topLevel",
                Keyword::UnknownField,
                "unknown field \"topLevel\""
            ),
        ]
    );
    let lax = catalog("1.37", false);
    lax.add_crd(&widget_crd()).expect("crd");
    assert_eq!(
        brief(&validate(&lax, &bad)),
        vec![row(
            "/spec/size",
            Keyword::Maximum,
            "9 is greater than the maximum of 5"
        )]
    );
}

#[test]
fn nulls_follow_pruning_and_nullable() {
    let c = catalog("1.37", true);
    c.add_crd(&widget_crd()).expect("crd");
    let mut w = good_widget();
    // A required, non-nullable field set to null is pruned, hence missing.
    w["spec"]["size"] = Value::Null;
    // Inside an array nothing is pruned: a null item is a type error.
    w["spec"]["tags"] = json!(["a", null]);
    assert_eq!(
        brief(&validate(&c, &w)),
        vec![
            row(
                "/spec",
                Keyword::Required,
                "missing required field \"size\""
            ),
            row("/spec/tags/1", Keyword::Type, "expected string, got null"),
        ]
    );
}

#[test]
fn v1beta1_crds_share_one_schema_and_preserve_unknown_fields_by_default() {
    let crd = json!({"apiVersion": "apiextensions.k8s.io/v1beta1", "kind": "CustomResourceDefinition",
        "metadata": {"name": "gadgets.example.com"},
        "spec": {"group": "example.com", "names": {"kind": "Gadget", "plural": "gadgets"},
                 "versions": [{"name": "v1", "served": true, "storage": true}, {"name": "v2", "served": true, "storage": false}],
                 "validation": {"openAPIV3Schema": {"type": "object", "properties": {
                     "spec": {"type": "object", "properties": {"n": {"type": "integer"}}}}}}}});
    let c = catalog("1.37", true);
    assert_eq!(c.add_crd(&crd).expect("crd").len(), 2);
    for version in ["v1", "v2"] {
        let g = json!({"apiVersion": format!("example.com/{version}"), "kind": "Gadget",
                       "metadata": {"name": "g", "bogus": 1}, "spec": {"n": "x", "other": 1}});
        // ObjectMeta is still decoded strictly; the CR's own fields are preserved.
        assert_eq!(
            brief(&validate(&c, &g)),
            vec![
                row(
                    "/metadata/bogus",
                    Keyword::UnknownField,
                    "unknown field \"bogus\""
                ),
                row(
                    "/spec/n",
                    Keyword::Type,
                    "expected integer, got string \"x\""
                ),
            ]
        );
    }
    // No schema at all: anything in the body, metadata still checked.
    let open = json!({"apiVersion": "apiextensions.k8s.io/v1beta1", "kind": "CustomResourceDefinition",
        "spec": {"group": "example.com", "version": "v1", "names": {"kind": "Thing"}}});
    c.add_crd(&open).expect("crd");
    let t = json!({"apiVersion": "example.com/v1", "kind": "Thing", "metadata": {"name": 3}, "spec": {"x": 1}});
    assert_eq!(
        brief(&validate(&c, &t)),
        vec![row(
            "/metadata/name",
            Keyword::Type,
            "expected string, got integer 3"
        )]
    );
}

#[test]
fn broken_crds_are_errors_not_panics() {
    let c = catalog("1.37", true);
    let err = |crd: &Value| {
        c.add_crd(crd)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default()
    };
    assert_eq!(
        err(&json!({"apiVersion": "v1", "kind": "CustomResourceDefinition"})),
        "unsupported apiVersion \"v1\" (expected apiextensions.k8s.io/v1 or v1beta1)"
    );
    assert_eq!(
        err(
            &json!({"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition", "spec": {}})
        ),
        "spec.group is missing"
    );
    assert_eq!(
        err(
            &json!({"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
                    "spec": {"group": "g.io", "names": {"kind": "K"}, "versions": [{"name": "v1", "served": false}]}})
        ),
        "no version of K is served"
    );
    let mut bad_pattern = widget_crd();
    bad_pattern["spec"]["versions"][0]["schema"]["openAPIV3Schema"]["properties"]["spec"]
        ["properties"]["name"]["pattern"] = json!("([a-z");
    assert_eq!(
        err(&bad_pattern),
        "version v1: pattern \"([a-z\" is not a valid regular expression: unclosed character class"
    );
    let mut with_ref = widget_crd();
    with_ref["spec"]["versions"][1]["schema"]["openAPIV3Schema"]["properties"]["spec"] =
        json!({"$ref": "#/definitions/Spec"});
    assert_eq!(
        err(&with_ref),
        "version v2: $ref \"#/definitions/Spec\" is not allowed here"
    );
    // A pattern Go accepts but this build's regex engine lacks tables for is skipped.
    let mut unicode = widget_crd();
    unicode["spec"]["versions"][0]["schema"]["openAPIV3Schema"]["properties"]["spec"]
        ["properties"]["name"]["pattern"] = json!("^\\p{L}+$");
    assert!(c.add_crd(&unicode).is_ok());
    for garbage in [json!(null), json!([]), json!("crd"), json!({"spec": []})] {
        assert!(c.add_crd(&garbage).is_err());
    }
}

#[test]
fn a_failed_any_of_explains_the_alternative_that_fits() {
    let crd = json!({"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
        "spec": {"group": "a.io", "names": {"kind": "A"}, "versions": [{"name": "v1", "served": true, "schema": {
            "openAPIV3Schema": {"type": "object", "properties": {"spec": {"type": "object", "properties": {
                "v": {"anyOf": [{"type": "string", "pattern": "^a"}, {"type": "integer", "minimum": 3}]}}}}}}}]}});
    let c = catalog("1.37", true);
    c.add_crd(&crd).expect("crd");
    let check = |value: Value| {
        brief(&validate(
            &c,
            &json!({"apiVersion": "a.io/v1", "kind": "A", "spec": {"v": value}}),
        ))
    };
    assert_eq!(check(json!("abc")), vec![]);
    assert_eq!(check(json!(4)), vec![]);
    assert_eq!(
        check(json!("b")),
        vec![row(
            "/spec/v",
            Keyword::Pattern,
            "\"b\" does not match the pattern ^a"
        )]
    );
    assert_eq!(
        check(json!(1)),
        vec![row(
            "/spec/v",
            Keyword::Minimum,
            "1 is less than the minimum of 3"
        )]
    );
    assert_eq!(
        check(json!(true)),
        vec![row(
            "/spec/v",
            Keyword::Type,
            "expected integer or string, got boolean true"
        )]
    );
}
