//! Cases whose expected output or error text was recorded from Go's own `text/template`
//! (Go 1.19; see `golden/README.md`). Every case must match exactly.

use kvet_gotmpl::{Templates, Value};
use serde_json::Value as Json;

fn run(case: &Json) -> Result<String, String> {
    let files = case["files"].as_array().expect("files");
    let first = files[0][0].as_str().unwrap_or_default();
    let mut t = Templates::new();
    t.set_name(first);
    let opt = case["opt"].as_str().unwrap_or_default();
    if !opt.is_empty() {
        t.option(opt).map_err(|e| format!("OPTION {e}"))?;
    }
    for f in files {
        let (name, text) = (f[0].as_str().unwrap_or(""), f[1].as_str().unwrap_or(""));
        t.parse(name, text).map_err(|e| e.to_string())?;
    }
    let data = match case.get("data") {
        Some(d) => Value::from_json(d),
        None => Value::Nil,
    };
    let exec = match case["exec"].as_str() {
        Some("") | None => first,
        Some(e) => e,
    };
    t.render(exec, &data).map_err(|e| e.to_string())
}

#[test]
fn matches_go_text_template() {
    let cases: Vec<Json> =
        serde_json::from_str(include_str!("golden/go_text_template.json")).expect("golden json");
    let mut failures = Vec::new();
    for case in &cases {
        let name = case["name"].as_str().unwrap_or("?");
        let got = run(case);
        let want = match (case.get("out"), case.get("err")) {
            (Some(o), _) => Ok(o.as_str().unwrap_or_default().to_string()),
            (_, Some(e)) => Err(e.as_str().unwrap_or_default().to_string()),
            _ => panic!("case {name} has no expectation"),
        };
        if got != want {
            failures.push(format!("{name}:\n   want {want:?}\n    got {got:?}"));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases differ from Go:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}
