use kvet_yaml::{parse_stream, ErrorKind, Limits};
use serde_json::json;

fn parse(text: &str) -> kvet_yaml::Stream {
    parse_stream(text, &Limits::default())
}

#[test]
fn multi_document_stream_with_empty_documents() {
    let s = parse("---\na: 1\n---\n# only a comment\n---\nb: [1, 2]\n...\n");
    assert!(s.errors.is_empty(), "{:?}", s.errors);
    assert_eq!(s.documents.len(), 2);
    assert_eq!(s.documents[0].index, 0);
    assert_eq!(s.documents[0].value, json!({"a": 1}));
    assert_eq!(s.documents[1].index, 2);
    assert_eq!(s.documents[1].value, json!({"b": [1, 2]}));
}

#[test]
fn default_mode_octal_is_420() {
    let s = parse("volumes:\n- configMap:\n    defaultMode: 0644\n");
    assert_eq!(
        s.documents[0]
            .value
            .pointer("/volumes/0/configMap/defaultMode"),
        Some(&json!(420))
    );
}

#[test]
fn json_input_parses() {
    let s = parse(r#"{"apiVersion": "v1", "kind": "ConfigMap", "data": {"a": "1"}, "n": 3.0}"#);
    assert_eq!(
        s.documents[0].value,
        json!({"apiVersion": "v1", "kind": "ConfigMap", "data": {"a": "1"}, "n": 3})
    );
}

#[test]
fn spans_locate_every_node() {
    let text =
        "apiVersion: v1\nkind: Pod\nspec:\n  containers:\n  - name: app\n    image: \"nginx:1\"\n";
    let s = parse(text);
    let d = &s.documents[0];
    let loc = d.spans.locate(&d.value, "/spec/containers/0/image");
    assert!(loc.exact);
    assert_eq!((loc.value.start.line, loc.value.start.column), (6, 12));
    assert_eq!(
        &text[loc.value.start.offset as usize..loc.value.end.offset as usize],
        "\"nginx:1\""
    );
    let key = loc.key.unwrap();
    assert_eq!((key.start.line, key.start.column), (6, 5));
    // A missing field locates its nearest ancestor.
    let missing = d.spans.locate(&d.value, "/spec/containers/0/ports/0");
    assert!(!missing.exact);
    assert_eq!(missing.value.start.line, 5);
}

#[test]
fn byte_offsets_count_bytes_with_multibyte_text() {
    let text = "a: \"héllo wörld\"\nb: ✓\n";
    let s = parse(text);
    let d = &s.documents[0];
    let loc = d.spans.locate(&d.value, "/b");
    assert_eq!(
        &text[loc.value.start.offset as usize..loc.value.end.offset as usize],
        "✓"
    );
    assert_eq!((loc.value.start.line, loc.value.start.column), (2, 4));
}

#[test]
fn merge_keys_follow_go_yaml_v2() {
    let text =
        "base: &b {x: 1, p: 2}\nother: &o {p: 3, z: 4}\nm:\n  x: 0\n  <<: [*b, *o]\n  z: 9\n";
    let s = parse(text);
    assert!(s.errors.is_empty(), "{:?}", s.errors);
    let m = &s.documents[0].value["m"];
    // x written before << is overridden by the merge, z after it wins, earlier maps win.
    assert_eq!(m, &json!({"x": 1, "p": 2, "z": 9}));
    let d = &s.documents[0];
    // A merged field points at the anchor's text.
    let loc = d.spans.locate(&d.value, "/m/p");
    assert_eq!(loc.value.start.line, 1);
}

#[test]
fn aliases_copy_values_and_spans() {
    let text = "a: &x\n  k: v\nb: *x\n";
    let s = parse(text);
    let d = &s.documents[0];
    assert_eq!(d.value["b"], json!({"k": "v"}));
    assert_eq!(d.spans.locate(&d.value, "/b/k").value.start.line, 2);
}

#[test]
fn duplicate_keys_are_reported_and_last_wins() {
    let s = parse("metadata:\n  name: a\n  name: b\n");
    let d = &s.documents[0];
    assert_eq!(d.value["metadata"]["name"], json!("b"));
    assert_eq!(d.duplicate_keys.len(), 1);
    let dup = &d.duplicate_keys[0];
    assert_eq!(dup.pointer, "/metadata/name");
    assert_eq!((dup.first.start.line, dup.second.start.line), (2, 3));
}

#[test]
fn non_string_keys_become_strings() {
    let s = parse("on: 1\n0644: x\n1.5: z\n");
    assert_eq!(
        s.documents[0].value,
        json!({"true": 1, "420": "x", "1.5": "z"})
    );
}

#[test]
fn billion_laughs_is_stopped() {
    let mut text = String::from(
        "a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n",
    );
    let names = ["b", "c", "d", "e", "f", "g", "h", "i"];
    let mut prev = "a";
    for n in names {
        text.push_str(&format!(
            "{n}: &{n} [*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev}]\n"
        ));
        prev = n;
    }
    text.push_str("---\nok: true\n");
    let s = parse(&text);
    assert_eq!(s.errors.len(), 1);
    assert_eq!(s.errors[0].kind, ErrorKind::Limit);
    assert!(
        s.errors[0].message.contains("aliases expand"),
        "{}",
        s.errors[0].message
    );
    assert_eq!(s.errors[0].document, 0);
    // The next document is still read.
    assert_eq!(s.documents.len(), 1);
    assert_eq!(s.documents[0].value, json!({"ok": true}));
}

#[test]
fn deep_nesting_is_a_located_error() {
    let depth = 100_000;
    let text = format!("{}{}", "[".repeat(depth), "]".repeat(depth));
    let s = parse(&text);
    assert_eq!(s.errors.len(), 1);
    assert_eq!(s.errors[0].kind, ErrorKind::Limit);
    assert_eq!(s.errors[0].span.start.line, 1);
    assert!(s.errors[0].span.start.column > 200);

    // Block nesting is bounded by kvet's own depth limit.
    let mut text = String::new();
    for i in 0..300 {
        text.push_str(&" ".repeat(i));
        text.push_str("k:\n");
    }
    text.push_str("---\nafter: 1\n");
    let s = parse(&text);
    assert_eq!(s.errors.len(), 1, "{:?}", s.errors);
    assert_eq!(s.errors[0].kind, ErrorKind::Limit);
    assert!(
        s.errors[0].message.contains("256"),
        "{}",
        s.errors[0].message
    );
    assert_eq!(s.errors[0].span.start.line, 257);
    assert_eq!(s.documents.len(), 1);
}

#[test]
fn syntax_error_keeps_earlier_documents() {
    let s = parse("a: 1\n---\nb: [1, 2\n---\nc: 3\n");
    assert_eq!(s.documents.len(), 1);
    assert_eq!(s.errors.len(), 1);
    assert_eq!(s.errors[0].kind, ErrorKind::Syntax);
    assert_eq!(s.errors[0].document, 1);
    assert!(s.errors[0].span.start.line >= 3);
}

#[test]
fn nan_is_a_value_error_for_its_document_only() {
    let s = parse("a: .nan\n---\nb: 1\n");
    assert_eq!(s.errors.len(), 1);
    assert_eq!(s.errors[0].kind, ErrorKind::Value);
    assert_eq!(
        (s.errors[0].span.start.line, s.errors[0].span.start.column),
        (1, 4)
    );
    assert_eq!(s.documents.len(), 1);
}

#[test]
fn document_size_limit() {
    let limits = Limits {
        max_document_bytes: 64,
        ..Limits::default()
    };
    let text = format!("a: {}\n---\nb: 1\n", "x".repeat(100));
    let s = parse_stream(&text, &limits);
    assert_eq!(s.errors.len(), 1);
    assert_eq!(s.errors[0].kind, ErrorKind::Limit);
    assert_eq!(s.documents.len(), 1);
}

#[test]
fn garbage_never_panics() {
    let inputs: Vec<Vec<u8>> = vec![
        b"\x00\x01\x02\xff\xfe".to_vec(),
        b"a: [1, 2\n".to_vec(),
        b"key: \"unterminated\n".to_vec(),
        b"- - - - - -\n  - x: : :\n".to_vec(),
        b"&a [*a]".to_vec(),
        b"*unknown".to_vec(),
        b"? [a]\n: b\n".to_vec(),
        b"{a: 1, a: 2}".to_vec(),
        b"!!int abc".to_vec(),
        b"%YAML 1.1\n---\na: 1".to_vec(),
        b"\t\ta: b".to_vec(),
    ];
    for bytes in inputs {
        let text = String::from_utf8_lossy(&bytes);
        let _ = parse(&text);
    }
}

/// Random YAML-ish text (a small xorshift generator, so the test is deterministic): whatever
/// the input, parsing returns documents or located errors and never panics.
#[test]
fn random_input_never_panics() {
    let alphabet: &[&str] = &[
        "a",
        "b",
        ":",
        " ",
        "  ",
        "\n",
        "- ",
        "[",
        "]",
        "{",
        "}",
        ",",
        "&x ",
        "*x",
        "<<: ",
        "\"",
        "'",
        "|",
        ">",
        "#",
        "!!int ",
        "!t ",
        "---\n",
        "...\n",
        "? ",
        "\t",
        "0644",
        "yes",
        "é",
        "~",
        "%YAML 1.1\n",
        "\\",
        "@",
        "`",
    ];
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    for _ in 0..5_000 {
        let len = (next() % 60) as usize;
        let text: String = (0..len)
            .map(|_| alphabet[(next() % alphabet.len() as u64) as usize])
            .collect();
        let s = parse(&text);
        for e in &s.errors {
            assert!(e.span.start.offset as usize <= text.len(), "{text:?}");
        }
    }
}

#[test]
fn apostrophe_escapes_read_as_go_yaml_reads_them() {
    // Each value as helm reads it from a values file (go-yaml).
    let text = r#"a: "it\'s \/ here\x2f and \'again\'"
b: plain \' stays
c: 'single \'' stays'
"k\'ey": "x\\'y"
d: |
  block \' stays
e: "url: http:\/\/x/y \u002F \'"
f: [ "\'", x ]
"#;
    let s = parse(text);
    assert!(s.errors.is_empty(), "{:?}", s.errors);
    assert_eq!(
        s.documents[0].value,
        json!({
            "a": "it's / here/ and 'again'",
            "b": "plain \\' stays",
            "c": "single \\' stays",
            "k'ey": "x\\'y",
            "d": "block \\' stays\n",
            "e": "url: http://x/y / '",
            "f": ["'", "x"],
        })
    );
    // Spans are those of the text as written.
    let doc = &s.documents[0];
    let span = doc.spans.locate(&doc.value, "/e").value;
    assert_eq!((span.start.line, span.start.column), (7, 4));
    // Other unknown escapes stay errors, at their scalar; a single-quoted scalar still ends
    // at its quote.
    for (text, line) in [("a: \"\\'\"\nb: \"\\q\"\n", 2), ("a: 'x \\' y'\n", 1)] {
        let s = parse(text);
        assert_eq!(s.errors.len(), 1, "{text}: {:?}", s.errors);
        assert_eq!(s.errors[0].span.start.line, line, "{text}: {:?}", s.errors);
    }
}

/// Every pointer of `v` (each node, each missing child of a mapping or sequence, and a pointer
/// through a scalar), for comparing span maps.
fn pointers(v: &serde_json::Value, at: String, out: &mut Vec<String>) {
    out.push(at.clone());
    match v {
        serde_json::Value::Object(m) => {
            out.push(format!("{at}/no-such-key/deeper"));
            for (k, child) in m {
                pointers(child, format!("{at}/{}", kvet_yaml::escape_token(k)), out);
            }
        }
        serde_json::Value::Array(a) => {
            out.push(format!("{at}/{}", a.len()));
            out.push(format!("{at}/x"));
            for (i, child) in a.iter().enumerate() {
                pointers(child, format!("{at}/{i}"), out);
            }
        }
        _ => out.push(format!("{at}/below-a-scalar")),
    }
}

#[test]
fn compact_json_spans_equal_those_of_the_parsed_text() {
    let values = [
        json!({
            "apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": "wëb-ü", "labels": {"a/b~c": "x", "": "empty key"},
                         "annotations": {"note": "quote \" backslash \\ tab \t newline \n ☃ 𝄞"}},
            "spec": {"replicas": 3, "paused": false, "minReadySeconds": null,
                     "ratio": 0.25, "big": 18446744073709551615u64, "neg": -7,
                     "template": {"spec": {"containers": [
                         {"name": "app", "image": "nginx:1", "ports": [{"containerPort": 80}, {}],
                          "args": [], "env": [{"name": "ÄÖÜ", "value": "日本語"}]},
                         {"name": "side", "securityContext": {"privileged": true}}]}}},
            "list": [[1, [2, []]], {}, "", [{"k": [null]}]],
        }),
        json!({"kind": "List", "items": [{"kind": "Pod", "metadata": {"name": "a"}}, {"kind": "Pod"}]}),
        json!([1, {"a": 2}]),
        json!("scalar ☃"),
        json!({}),
    ];
    for v in &values {
        let text = serde_json::to_string(v).unwrap();
        let s = parse(&text);
        assert!(s.errors.is_empty(), "{text}: {:?}", s.errors);
        let d = &s.documents[0];
        assert_eq!(&d.value, v, "{text}");
        let json = kvet_yaml::SpanMap::compact_json(v);
        assert_eq!(json.root_span(), d.spans.root_span(), "{text}");
        let mut all = Vec::new();
        pointers(v, String::new(), &mut all);
        for p in &all {
            assert_eq!(
                json.locate(v, p),
                d.spans.locate(&d.value, p),
                "{p} in {text}"
            );
        }
        if let Some(items) = v.get("items").and_then(|i| i.as_array()) {
            for (i, item) in items.iter().enumerate() {
                let i = i.to_string();
                let (a, b) = (
                    json.child(v, &["items", &i]).unwrap(),
                    d.spans.child(&d.value, &["items", &i]).unwrap(),
                );
                assert_eq!(a.root_span(), b.root_span());
                let mut inner = Vec::new();
                pointers(item, String::new(), &mut inner);
                for p in &inner {
                    assert_eq!(a.locate(item, p), b.locate(item, p), "items/{i}{p}");
                }
            }
            assert!(json.child(v, &["items", "9"]).is_none());
        }
    }
}

#[test]
fn values_whose_text_reads_back_differently_are_told() {
    for (v, changes) in [
        (
            json!({"a": [1, -2, 0.5, 2.5e-3, 1e21, 1.5e300, "3.0", 18446744073709551615u64]}),
            false,
        ),
        (json!({"a": {"b": [3.0]}}), true),
        (json!(-0.0), true),
        (json!(1e20), false),
        (json!(1e18), true),
    ] {
        let text = serde_json::to_string(&v).unwrap();
        let s = parse(&text);
        assert!(s.errors.is_empty(), "{text}: {:?}", s.errors);
        assert_eq!(kvet_yaml::resolve::changes_when_read(&v), changes, "{text}");
        assert_eq!(s.documents[0].value != v, changes, "{text}");
    }
}
