//! Behaviour beyond the Go 1.19 goldens: Go 1.22+ forms, source maps, limits, functions
//! with engine access, host objects, values and error structure.

use kvet_gotmpl::*;
use std::sync::Arc;

fn data(json: &str) -> Value {
    Value::from_json(&serde_json::from_str(json).expect("json"))
}

fn render(src: &str, json: &str) -> Result<String, String> {
    render_str("t", src, &data(json)).map_err(|e| e.to_string())
}

// ---- Go 1.22+ forms ----

#[test]
fn range_over_int() {
    assert_eq!(render("{{range 5}}{{.}}{{end}}", "{}").unwrap(), "01234");
    assert_eq!(
        render("{{range $i := 3}}<{{$i}}>{{end}}", "{}").unwrap(),
        "<0><1><2>"
    );
    assert_eq!(
        render("{{range 0}}x{{else}}none{{end}}", "{}").unwrap(),
        "none"
    );
    assert_eq!(
        render("{{range -2}}x{{else}}none{{end}}", "{}").unwrap(),
        "none"
    );
    assert_eq!(
        render(
            "{{range $i := 10}}{{if eq $i 3}}{{break}}{{end}}{{$i}}{{end}}",
            "{}"
        )
        .unwrap(),
        "012"
    );
    assert_eq!(
        render("{{range $i, $v := 3}}{{end}}", "{}").unwrap_err(),
        "template: t:1:18: executing \"t\" at <3>: can't use 3 to iterate over more than one variable"
    );
    // A float from YAML is not an int: Go refuses to range over it.
    assert_eq!(
        render("{{range .n}}{{end}}", r#"{"n": 3}"#).unwrap_err(),
        "template: t:1:8: executing \"t\" at <.n>: range can't iterate over 3"
    );
}

#[test]
fn else_with_chain() {
    let src = "{{with .a}}A{{.}}{{else with .b}}B{{.}}{{else}}C{{end}}";
    assert_eq!(render(src, r#"{"a": 1, "b": 2}"#).unwrap(), "A1");
    assert_eq!(render(src, r#"{"b": 2}"#).unwrap(), "B2");
    assert_eq!(render(src, "{}").unwrap(), "C");
    // `else with` is not allowed after `if`, nor `else if` after `with`.
    assert_eq!(
        render("{{if .a}}{{else with .b}}{{end}}", "{}").unwrap_err(),
        "template: t:1: unexpected <with> in input"
    );
}

#[test]
fn break_and_continue_in_nested_blocks() {
    let src = "{{range .l}}{{with .}}{{if eq . 2.0}}{{continue}}{{end}}{{if eq . 4.0}}{{break}}{{end}}{{.}}{{end}}{{end}}";
    assert_eq!(render(src, r#"{"l": [1, 2, 3, 4, 5]}"#).unwrap(), "13");
    assert_eq!(
        render("{{define \"x\"}}{{break}}{{end}}", "{}").unwrap_err(),
        "template: t:1: {{break}} outside {{range}}"
    );
}

#[test]
fn custom_delimiters() {
    let mut t = Templates::new();
    t.delims("[[", "]]");
    t.parse("t", "{{ not an action }} [[- .x -]] [[/* c */]]!")
        .unwrap();
    assert_eq!(
        t.render("t", &data(r#"{"x": "X"}"#)).unwrap(),
        "{{ not an action }}X!"
    );
}

// ---- errors as structures ----

#[test]
fn parse_error_fields() {
    let mut t = Templates::new();
    let e = t.parse("file.yaml", "a: 1\nb: {{ }}\n").unwrap_err();
    assert_eq!(
        e.to_string(),
        "template: file.yaml:2: missing value for command"
    );
    assert_eq!((e.name.as_str(), e.line), ("file.yaml", 2));
    let e = t.parse("f", "ok\n  é {{ .x ) }}").unwrap_err();
    assert_eq!(e.to_string(), "template: f:2: unexpected \")\" in command");
    assert_eq!((e.line, e.column, e.offset), (2, 11, 14));
}

#[test]
fn exec_error_fields() {
    let mut t = Templates::new();
    t.parse(
        "chart/templates/cm.yaml",
        "kind: ConfigMap\ndata:\n  é: {{ .Values.a.b }}\n",
    )
    .unwrap();
    t.set_missing_key(MissingKey::Zero);
    let e = t
        .execute("chart/templates/cm.yaml", &data(r#"{"Values": {}}"#))
        .unwrap_err();
    assert_eq!(
        e.to_string(),
        "template: chart/templates/cm.yaml:3:16: executing \"chart/templates/cm.yaml\" at <.Values.a.b>: nil pointer evaluating interface {}.b"
    );
    let loc = e.location.as_deref().unwrap();
    assert_eq!(e.kind, ExecErrorKind::Eval);
    assert_eq!(e.template, "chart/templates/cm.yaml");
    // Go reports the position where the chain after the first field starts ('.a'):
    // byte column 16 (0-based, as Go prints it), character column 16 (1-based).
    assert_eq!((loc.line, loc.column, loc.go_column), (3, 16, 16));
    assert_eq!(loc.context, ".Values.a.b");
    assert_eq!(e.message, "nil pointer evaluating interface {}.b");
}

#[test]
fn option_strings() {
    let mut t = Templates::new();
    assert!(t.option("missingkey=zero").is_ok());
    assert_eq!(
        t.option("missingkey=bogus").err().unwrap(),
        "unrecognized option: missingkey=bogus"
    );
    assert_eq!(
        t.option("other=1").err().unwrap(),
        "unrecognized option: other=1"
    );
}

// ---- functions ----

fn funcs() -> FuncMap {
    let mut f = FuncMap::new();
    f.register(
        "include",
        Params::fixed(&[ParamType::String, ParamType::Any]),
        |ctx, a| {
            let name = a[0].as_str().unwrap_or_default().to_string();
            let r = ctx.execute_template(&name, a[1].clone())?;
            Ok(Value::String(Str::tracked(r.text, r.source_map)))
        },
    );
    f.register(
        "tpl",
        Params::fixed(&[ParamType::String, ParamType::Any]),
        |ctx, a| {
            let text = a[0].as_str().unwrap_or_default().to_string();
            let r = ctx.parse_and_execute("tpl", &text, a[1].clone())?;
            Ok(Value::String(Str::tracked(r.text, r.source_map)))
        },
    );
    f.register(
        "repeat",
        Params::fixed(&[ParamType::Int, ParamType::String]),
        |_, a| {
            let n = a[0].as_int().unwrap_or(0).max(0) as usize;
            Ok(Value::from(a[1].as_str().unwrap_or_default().repeat(n)))
        },
    );
    f.register("half", Params::fixed(&[ParamType::Float]), |_, a| {
        Ok(Value::Float(a[0].as_float().unwrap_or(0.0) / 2.0))
    });
    f.register("fail", Params::variadic(&[], ParamType::Any), |_, _| {
        Err(FuncError::new("boom"))
    });
    f.register(
        "set",
        Params::fixed(&[ParamType::Map, ParamType::String, ParamType::Any]),
        |_, a| {
            if let Value::Map(m) = &a[0] {
                m.insert(a[1].as_str().unwrap_or_default(), a[2].clone());
            }
            Ok(a[0].clone())
        },
    );
    f.register("dict", Params::variadic(&[], ParamType::Any), |_, a| {
        let m = Map::new();
        for kv in a.chunks(2) {
            m.insert(
                kv[0].as_str().unwrap_or_default(),
                kv.get(1).cloned().unwrap_or(Value::Nil),
            );
        }
        Ok(Value::Map(m))
    });
    f
}

fn set_with(files: &[(&str, &str)]) -> Templates {
    let mut t = Templates::with_funcs(funcs());
    t.set_name("gotpl");
    for (n, s) in files {
        t.parse(n, s).unwrap();
    }
    t
}

#[test]
fn function_arguments_are_checked_like_go() {
    let t = set_with(&[("t", "")]);
    let mut t = t;
    let cases = [
        ("{{repeat 3 \"ab\"}}", Ok("ababab")),
        ("{{\"ab\" | repeat 2}}", Ok("abab")),
        ("{{half 3}}", Ok("1.5")),
        ("{{repeat 1}}", Err("template: c:1:2: executing \"c\" at <repeat>: wrong number of args for repeat: want 2 got 1")),
        ("{{repeat \"x\" \"y\"}}", Err("template: c:1:9: executing \"c\" at <\"x\">: expected integer; found \"x\"")),
        ("{{repeat .f \"y\"}}", Err("template: c:1:9: executing \"c\" at <.f>: wrong type for value; expected int; got float64")),
        ("{{repeat 2 .missing}}", Err("template: c:1:11: executing \"c\" at <.missing>: invalid value; expected string")),
        ("{{repeat 2 .nil}}", Err("template: c:1:11: executing \"c\" at <.nil>: wrong type for value; expected string; got interface {}")),
        ("{{half .i}}", Err("template: c:1:7: executing \"c\" at <.i>: wrong type for value; expected float64; got string")),
        ("{{fail 1}}", Err("template: c:1:2: executing \"c\" at <fail 1>: error calling fail: boom")),
        ("{{1 | fail}}", Err("template: c:1:6: executing \"c\" at <fail>: error calling fail: boom")),
    ];
    for (src, want) in cases {
        t.parse("c", src).unwrap();
        let got = t
            .render("c", &data(r#"{"f": 1.5, "nil": null, "i": "x"}"#))
            .map_err(|e| e.to_string());
        assert_eq!(
            got.as_deref(),
            want.map_err(String::from).as_deref(),
            "{src}"
        );
    }
}

#[test]
fn user_functions_replace_builtins() {
    let mut f = FuncMap::new();
    f.register("len", Params::fixed(&[ParamType::Any]), |_, _| {
        Ok(Value::Int(42))
    });
    let mut t = Templates::with_funcs(f);
    t.parse("t", "{{len 1}}").unwrap();
    assert_eq!(t.render("t", &Value::Nil).unwrap(), "42");
}

#[test]
fn undefined_function_is_a_parse_error() {
    let mut t = Templates::new();
    let e = t.parse("t", "a\n{{ include \"x\" . }}").unwrap_err();
    assert_eq!(
        e.to_string(),
        "template: t:2: function \"include\" not defined"
    );
}

#[test]
fn include_executes_named_templates() {
    let t = set_with(&[
        (
            "_helpers.tpl",
            "{{- define \"name\" -}}\n{{ .Name }}-app\n{{- end -}}",
        ),
        (
            "cm.yaml",
            "name: {{ include \"name\" . | printf \"%q\" }}\n",
        ),
    ]);
    assert_eq!(
        t.render("cm.yaml", &data(r#"{"Name": "x"}"#)).unwrap(),
        "name: \"x-app\"\n"
    );
}

#[test]
fn include_errors_nest_like_go() {
    let t = set_with(&[
        (
            "_helpers.tpl",
            "{{ define \"bad\" }}\n  {{ index .l 5 }}{{ end }}",
        ),
        ("cm.yaml", "a: {{ include \"bad\" . }}"),
    ]);
    let e = t.execute("cm.yaml", &data(r#"{"l": []}"#)).unwrap_err();
    assert_eq!(
        e.to_string(),
        "template: cm.yaml:1:6: executing \"cm.yaml\" at <include \"bad\" .>: error calling include: template: _helpers.tpl:2:5: executing \"bad\" at <index .l 5>: error calling index: index out of range: 5"
    );
    let inner = e.innermost();
    let loc = inner.location.as_deref().unwrap();
    assert_eq!(
        (loc.source.as_str(), loc.line, loc.column),
        ("_helpers.tpl", 2, 6)
    );
    let e = t.execute("cm.yaml", &Value::Nil);
    assert!(e.is_ok() || e.is_err());
    let t2 = set_with(&[("t", "{{ include \"nope\" . }}")]);
    assert_eq!(
        t2.render("t", &Value::Nil).unwrap_err().to_string(),
        "template: t:1:3: executing \"t\" at <include \"nope\" .>: error calling include: template: no template \"nope\" associated with template \"gotpl\""
    );
}

#[test]
fn tpl_parses_and_executes_text() {
    let t = set_with(&[
        ("_h.tpl", "{{ define \"h\" }}H{{ end }}"),
        ("t", "{{ tpl .Values.s . }}|{{ template \"h\" }}"),
    ]);
    let d = data(
        r#"{"Values": {"s": "{{ define \"h\" }}shadow{{ end }}{{ .Values.n }}-{{ template \"h\" }}", "n": 7}}"#,
    );
    // A define inside tpl text is visible to that text only.
    assert_eq!(t.render("t", &d).unwrap(), "7-shadow|H");
    let d = data(r#"{"Values": {"s": "{{ .Values.n"}}"#);
    assert_eq!(
        t.render("t", &d).unwrap_err().to_string(),
        "template: t:1:3: executing \"t\" at <tpl .Values.s .>: error calling tpl: template: tpl:1: unclosed action"
    );
}

#[test]
fn maps_are_shared_by_reference() {
    let t = set_with(&[(
        "t",
        "{{ $d := dict \"a\" 1 }}{{ $e := $d }}{{ $_ := set $e \"b\" 2 }}{{ $d }} {{ .m }}{{ $_ := set .m \"z\" true }} {{ .m }}",
    )]);
    assert_eq!(
        t.render("t", &data(r#"{"m": {"k": "v"}}"#)).unwrap(),
        "map[a:1 b:2] map[k:v] map[k:v z:true]"
    );
}

#[test]
fn call_invokes_function_values() {
    let mut t = Templates::new();
    t.parse("t", "{{ call .f 2 3 }}|{{ call .f 1 }}").unwrap();
    let add = Function::new(Params::fixed(&[ParamType::Int, ParamType::Int]), |_, a| {
        Ok(Value::Int(
            a[0].as_int().unwrap_or(0) + a[1].as_int().unwrap_or(0),
        ))
    });
    let d = Value::map([("f".to_string(), Value::Func(Arc::new(add)))]);
    assert_eq!(
        t.render("t", &d).unwrap_err().to_string(),
        "template: t:1:21: executing \"t\" at <call .f 1>: error calling call: wrong number of args: got 1 want 2"
    );
    t.parse("u", "{{ call .f 2 3 }}").unwrap();
    assert_eq!(t.render("u", &d).unwrap(), "5");
}

// ---- host objects ----

struct Capabilities;

impl HostObject for Capabilities {
    fn type_name(&self) -> &str {
        "*chartutil.Capabilities"
    }
    fn field(&self, name: &str) -> Option<Value> {
        match name {
            "KubeVersion" => Some(Value::Object(Arc::new(KubeVersion))),
            "APIVersions" => Some(Value::Object(Arc::new(ApiVersions))),
            _ => None,
        }
    }
    fn display(&self) -> String {
        "{...}".into()
    }
}

struct KubeVersion;

impl HostObject for KubeVersion {
    fn type_name(&self) -> &str {
        "chartutil.KubeVersion"
    }
    fn field(&self, name: &str) -> Option<Value> {
        match name {
            "Version" => Some(Value::from("v1.30.0")),
            "Major" => Some(Value::from("1")),
            _ => None,
        }
    }
    fn display(&self) -> String {
        "v1.30.0".into()
    }
}

struct ApiVersions;

impl HostObject for ApiVersions {
    fn type_name(&self) -> &str {
        "chartutil.VersionSet"
    }
    fn method(&self, name: &str) -> Option<Params> {
        (name == "Has").then(|| Params::fixed(&[ParamType::String]))
    }
    fn call_method(&self, _name: &str, args: Vec<Value>) -> Result<Value, FuncError> {
        Ok(Value::Bool(matches!(
            args[0].as_str(),
            Some("apps/v1" | "v1")
        )))
    }
    fn display(&self) -> String {
        "[apps/v1 v1]".into()
    }
    fn entries(&self) -> Option<Vec<(Value, Value)>> {
        Some(vec![
            (Value::Int(0), Value::from("apps/v1")),
            (Value::Int(1), Value::from("v1")),
        ])
    }
}

fn with_caps() -> Value {
    Value::map([(
        "Capabilities".to_string(),
        Value::Object(Arc::new(Capabilities)),
    )])
}

#[test]
fn host_object_fields_and_methods() {
    let mut t = Templates::new();
    let run = |t: &mut Templates, src: &str| {
        t.parse("t", src).unwrap();
        t.render("t", &with_caps()).map_err(|e| e.to_string())
    };
    assert_eq!(
        run(&mut t, "{{ .Capabilities.KubeVersion.Version }}").unwrap(),
        "v1.30.0"
    );
    assert_eq!(
        run(&mut t, "{{ .Capabilities.KubeVersion }}").unwrap(),
        "v1.30.0"
    );
    assert_eq!(
        run(&mut t, "{{ .Capabilities.APIVersions.Has \"apps/v1\" }} {{ .Capabilities.APIVersions.Has \"x\" }}").unwrap(),
        "true false"
    );
    assert_eq!(
        run(
            &mut t,
            "{{ if .Capabilities.APIVersions.Has \"v1\" }}yes{{ end }}"
        )
        .unwrap(),
        "yes"
    );
    assert_eq!(
        run(&mut t, "{{ \"v1\" | .Capabilities.APIVersions.Has }}").unwrap(),
        "true"
    );
    assert_eq!(
        run(&mut t, "{{ range .Capabilities.APIVersions }}{{ . }};{{ end }}{{ len .Capabilities.APIVersions }}").unwrap(),
        "apps/v1;v1;2"
    );
    assert_eq!(
        run(&mut t, "{{ printf \"%T %v %s\" .Capabilities.KubeVersion .Capabilities.KubeVersion .Capabilities.KubeVersion }}").unwrap(),
        "chartutil.KubeVersion v1.30.0 v1.30.0"
    );
    assert_eq!(
        run(&mut t, "{{ .Capabilities.Nope }}").unwrap_err(),
        "template: t:1:16: executing \"t\" at <.Capabilities.Nope>: can't evaluate field Nope in type interface {}"
    );
    assert_eq!(
        run(&mut t, "{{ .Capabilities.APIVersions.Has }}").unwrap_err(),
        "template: t:1:16: executing \"t\" at <.Capabilities.APIVersions.Has>: wrong number of args for Has: want 1 got 0"
    );
    assert_eq!(
        run(&mut t, "{{ .Capabilities.KubeVersion.Version 1 }}").unwrap_err(),
        "template: t:1:16: executing \"t\" at <.Capabilities.KubeVersion.Version>: Version has arguments but cannot be invoked as function"
    );
}

// ---- values ----

#[test]
fn json_conversion() {
    let j: serde_json::Value =
        serde_json::from_str(r#"{"a": 1, "b": [1.5, "x", null, true], "c": {"d": 12345678}}"#)
            .unwrap();
    let v = Value::from_json(&j);
    assert_eq!(
        gofmt::format_value(&v),
        "map[a:1 b:[1.5 x <nil> true] c:map[d:1.2345678e+07]]"
    );
    let vi = Value::from_json_ints(&j);
    assert_eq!(
        gofmt::format_value(&vi),
        "map[a:1 b:[1.5 x <nil> true] c:map[d:12345678]]"
    );
    assert_eq!(
        gofmt::sprintf(
            "%T %T",
            &[
                vi.as_map().unwrap().get("a").unwrap(),
                v.as_map().unwrap().get("a").unwrap(),
            ]
        ),
        "int float64"
    );
    assert_eq!(vi.to_json(), j);
    assert_eq!(
        v.to_json(),
        serde_json::json!({"a": 1.0, "b": [1.5, "x", null, true], "c": {"d": 12345678.0}})
    );
    assert_eq!(Value::Missing.to_json(), serde_json::Value::Null);
    assert_eq!(Value::Float(f64::NAN).to_json(), serde_json::Value::Null);
}

#[test]
fn value_truth_and_types() {
    let cases: Vec<(Value, bool, &str)> = vec![
        (Value::Missing, false, "<nil>"),
        (Value::Nil, false, "<nil>"),
        (Value::Bool(true), true, "bool"),
        (Value::Int(0), false, "int"),
        (Value::Float(0.5), true, "float64"),
        (Value::from(""), false, "string"),
        (Value::list(vec![]), false, "[]interface {}"),
        (
            Value::map([("a".to_string(), Value::Nil)]),
            true,
            "map[string]interface {}",
        ),
    ];
    for (v, truth, ty) in cases {
        assert_eq!((v.is_true(), v.type_name()), (truth, ty), "{v:?}");
    }
}

// ---- source maps ----

fn loc(r: &Rendered, needle: &str) -> (String, u32, u32) {
    let off = r
        .text
        .find(needle)
        .unwrap_or_else(|| panic!("{needle:?} not in {:?}", r.text));
    let l = r.source_map.lookup(off).expect("mapped");
    (l.source.to_string(), l.line, l.column)
}

#[test]
fn source_map_text_lines_and_actions() {
    let t = set_with(&[(
        "cm.yaml",
        "kind: ConfigMap\nmetadata:\n  name: {{ .name }}\n  {{- if .labels }}\n  labels: {{ .labels }}\n  {{- end }}\ndata: x\n",
    )]);
    let r = t
        .execute("cm.yaml", &data(r#"{"name": "app", "labels": "l"}"#))
        .unwrap();
    assert_eq!(
        r.text,
        "kind: ConfigMap\nmetadata:\n  name: app\n  labels: l\ndata: x\n"
    );
    let f = |s: &str| loc(&r, s);
    assert_eq!(f("kind"), ("cm.yaml".into(), 1, 1));
    assert_eq!(f("metadata"), ("cm.yaml".into(), 2, 1));
    assert_eq!(f("  name"), ("cm.yaml".into(), 3, 1));
    assert_eq!(f("app"), ("cm.yaml".into(), 3, 12));
    // The text after a trimmed action starts where the trimmed text resumes.
    assert_eq!(f("\n  labels"), ("cm.yaml".into(), 4, 20));
    assert_eq!(f("  labels"), ("cm.yaml".into(), 5, 1));
    assert_eq!(f(" l\n"), ("cm.yaml".into(), 5, 1));
    // Within literal text, `locate` is exact to the byte.
    let exact = |s: &str| {
        let l = r.locate(r.text.find(s).unwrap()).unwrap();
        (l.line, l.column)
    };
    assert_eq!(exact(" l\n"), (5, 10));
    assert_eq!(exact("ConfigMap"), (1, 7));
    assert_eq!(exact("tadata"), (2, 3));
    assert_eq!(exact("app"), (3, 12));
    assert_eq!(f("l\ndata"), ("cm.yaml".into(), 5, 14));
    assert_eq!(f("data: x"), ("cm.yaml".into(), 7, 1));
    // Every output byte is mapped.
    for i in 0..r.text.len() {
        assert!(r.source_map.lookup(i).is_some());
    }
}

#[test]
fn source_map_follows_template_calls_and_includes() {
    let t = set_with(&[
        (
            "_helpers.tpl",
            "{{/* helpers */}}\n{{- define \"labels\" -}}\napp: {{ .app }}\ntier: web\n{{- end }}",
        ),
        (
            "dep.yaml",
            "labels:\n{{ template \"labels\" . }}\nsel:\n{{ include \"labels\" . }}\nend\n",
        ),
    ]);
    let r = t.execute("dep.yaml", &data(r#"{"app": "a1"}"#)).unwrap();
    assert_eq!(
        r.text,
        "labels:\napp: a1\ntier: web\nsel:\napp: a1\ntier: web\nend\n"
    );
    let first = r.text.find("app:").unwrap();
    let second = r.text.rfind("app:").unwrap();
    let at = |off: usize| {
        let l = r.source_map.lookup(off).unwrap();
        (l.source.to_string(), l.line, l.column)
    };
    assert_eq!(at(first), ("_helpers.tpl".into(), 3, 1));
    assert_eq!(at(first + 5), ("_helpers.tpl".into(), 3, 9));
    assert_eq!(
        at(r.text.find("tier").unwrap()),
        ("_helpers.tpl".into(), 4, 1)
    );
    // Through include's tracked string, the inner positions survive.
    assert_eq!(at(second), ("_helpers.tpl".into(), 3, 1));
    assert_eq!(at(second + 5), ("_helpers.tpl".into(), 3, 9));
    assert_eq!(
        at(r.text.rfind("tier").unwrap()),
        ("_helpers.tpl".into(), 4, 1)
    );
    assert_eq!(at(r.text.find("sel").unwrap()), ("dep.yaml".into(), 3, 1));
    assert_eq!(at(r.text.find("end").unwrap()), ("dep.yaml".into(), 5, 1));
    assert_eq!(
        r.source_map
            .sources()
            .iter()
            .map(|s| &**s)
            .collect::<Vec<_>>(),
        vec!["dep.yaml", "_helpers.tpl"]
    );
}

#[test]
fn source_map_of_transformed_include_points_at_action() {
    let t = set_with(&[
        ("_h.tpl", "{{ define \"x\" }}inner{{ end }}"),
        ("t", "a: {{ include \"x\" . | printf \"[%s]\" }}"),
    ]);
    let r = t.execute("t", &Value::Nil).unwrap();
    assert_eq!(r.text, "a: [inner]");
    assert_eq!(loc(&r, "[inner"), ("t".into(), 1, 7));
    assert_eq!(loc(&r, "inner"), ("t".into(), 1, 7));
}

#[test]
fn source_map_range_iterations_and_unicode_columns() {
    let t = set_with(&[("t", "é: {{ range .l }}[{{ . }}]{{ end }}\n")]);
    let r = t.execute("t", &data(r#"{"l": [1, 2]}"#)).unwrap();
    assert_eq!(r.text, "é: [1][2]\n");
    let at = |off: usize| {
        let l = r.source_map.lookup(off).unwrap();
        (l.line, l.column)
    };
    assert_eq!(at(0), (1, 1));
    assert_eq!(at(r.text.find("[1").unwrap()), (1, 18));
    assert_eq!(at(r.text.find('1').unwrap()), (1, 22));
    assert_eq!(at(r.text.find('2').unwrap()), (1, 22));
    assert_eq!(at(r.text.find("]\n").unwrap()), (1, 26));
}

// ---- limits ----

fn limited(l: Limits) -> Templates {
    let mut t = Templates::with_funcs(funcs());
    t.set_limits(l);
    t
}

#[test]
fn template_recursion_is_bounded() {
    let mut t = Templates::new();
    t.parse(
        "t",
        "{{ define \"r\" }}x{{ template \"r\" . }}{{ end }}{{ template \"r\" . }}",
    )
    .unwrap();
    let e = t.execute("t", &Value::Nil).unwrap_err();
    assert_eq!(e.kind, ExecErrorKind::DepthLimit);
    let l = Limits {
        max_call_depth: 5,
        ..Limits::default()
    };
    let mut t = limited(l);
    t.parse(
        "t",
        "{{ define \"r\" }}x{{ template \"r\" . }}{{ end }}{{ template \"r\" . }}",
    )
    .unwrap();
    assert_eq!(
        t.render("t", &Value::Nil).unwrap_err().to_string(),
        "template: t:1:29: executing \"r\" at <{{template \"r\" .}}>: exceeded maximum template depth (5)"
    );
}

#[test]
fn include_recursion_is_bounded() {
    let mut t = Templates::with_funcs(funcs());
    t.parse(
        "t",
        "{{ define \"r\" }}{{ include \"r\" . }}{{ end }}{{ include \"r\" . }}",
    )
    .unwrap();
    let e = t.execute("t", &Value::Nil).unwrap_err();
    assert_eq!(e.kind, ExecErrorKind::DepthLimit);
    assert_eq!(e.innermost().kind, ExecErrorKind::DepthLimit);
}

#[test]
fn huge_range_runs_out_of_steps() {
    let mut t = Templates::new();
    t.parse("t", "{{ range 100000000 }}{{ end }}").unwrap();
    let e = t.execute("t", &Value::Nil).unwrap_err();
    assert_eq!(e.kind, ExecErrorKind::StepLimit);
    assert_eq!(
        e.to_string(),
        "template: t:1:9: executing \"t\" at <100000000>: exceeded maximum evaluation steps (10000000)"
    );
}

#[test]
fn huge_output_is_cut_off() {
    let l = Limits {
        max_output_bytes: 1000,
        ..Limits::default()
    };
    let mut t = limited(l);
    t.parse("t", "{{ range 100 }}0123456789-{{ end }}").unwrap();
    let e = t.execute("t", &Value::Nil).unwrap_err();
    assert_eq!(e.kind, ExecErrorKind::OutputLimit);
    assert_eq!(
        e.to_string(),
        "template: t:1:15: executing \"t\" at <0123456789->: exceeded maximum output size (1000 bytes)"
    );
    t.parse("u", "{{ repeat 2000 \"x\" }}").unwrap();
    assert_eq!(
        t.execute("u", &Value::Nil).unwrap_err().kind,
        ExecErrorKind::OutputLimit
    );
    // Default limits let ordinary output through.
    let mut t = Templates::new();
    t.parse("t", "{{ range 1000 }}0123456789{{ end }}").unwrap();
    assert_eq!(t.render("t", &Value::Nil).unwrap().len(), 10_000);
}

#[test]
fn function_work_can_be_charged() {
    let mut f = FuncMap::new();
    f.register("spin", Params::fixed(&[ParamType::Int]), |ctx, a| {
        ctx.charge(a[0].as_int().unwrap_or(0) as u64)?;
        Ok(Value::Nil)
    });
    let mut t = Templates::with_funcs(f);
    t.set_limits(Limits {
        max_steps: 100,
        ..Limits::default()
    });
    t.parse("t", "{{ spin 1000 }}").unwrap();
    let e = t.execute("t", &Value::Nil).unwrap_err();
    assert_eq!(e.kind, ExecErrorKind::StepLimit);
}

#[test]
fn parse_nesting_is_bounded() {
    let src = format!(
        "{}x{}",
        "{{ if true }}".repeat(300),
        "{{ end }}".repeat(300)
    );
    let mut t = Templates::new();
    assert_eq!(
        t.parse("t", &src).unwrap_err().message,
        "exceeded maximum template nesting depth (200)"
    );
    let src = format!("{{{{ {}1{} }}}}", "(".repeat(300), ")".repeat(300));
    assert!(t.parse("t", &src).is_err());
    let src = format!(
        "{}x{}",
        "{{ if true }}".repeat(100),
        "{{ end }}".repeat(100)
    );
    t.parse("t", &src).unwrap();
    assert_eq!(t.render("t", &Value::Nil).unwrap(), "x");
}

#[test]
fn bad_input_never_panics() {
    let inputs = [
        "{{",
        "}}",
        "{{-",
        "{{- -}}",
        "{{ . -}",
        "{{/*",
        "{{/**/",
        "{{'",
        "{{'\\",
        "{{\"\\",
        "{{`",
        "{{ ( }}",
        "{{ ) }}",
        "{{ | }}",
        "{{ $ }}",
        "{{ $x }}",
        "{{ .x.y.z. }}",
        "{{ 0x }}",
        "{{ 1e }}",
        "{{ 0x1p }}",
        "{{ '\\400' }}",
        "{{ \"\\xZZ\" }}",
        "{{ define }}",
        "{{ block }}",
        "{{ template }}",
        "{{ else }}",
        "{{ end }}",
        "{{ range $a, $b, $c := . }}",
        "é{{ é }}",
        "{{ slice \"héllo\" 1 2 }}",
        "{{ index \"é\" 1 }}",
        "{{ printf \"%[\" }}",
        "{{ printf \"%.\" 1 }}",
        "{{ printf \"%*.*d\" 1000000000 1 2 }}",
        "{{ printf \"%-0+# 10.3v\" . }}",
    ];
    for src in inputs {
        let mut t = Templates::new();
        if t.parse("t", src).is_ok() {
            let _ = t.render("t", &data(r#"{"x": {"y": 1}}"#));
        }
    }
}

#[test]
fn templates_and_values_cross_threads() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<Templates>();
    assert_send_sync::<Value>();
    assert_send_sync::<Rendered>();
    assert_send_sync::<ExecError>();
}
