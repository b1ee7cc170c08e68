//! Rendering behaviour beyond the goldens: source maps back to template lines, and located
//! errors for broken charts.

mod support;

use kvet_helm::{ChartLoader, HelmError, RenderOptions, Renderer, Values};
use support::{cases, charts_dir, render_case, test_funcs};

fn basic_default() -> kvet_helm::RenderedChart {
    let c = cases()
        .into_iter()
        .find(|c| c.chart == "basic" && c.case == "default")
        .unwrap();
    render_case(&c, test_funcs()).unwrap()
}

#[test]
fn offsets_map_to_template_file_line_and_column() {
    let out = basic_default();
    let doc = out
        .documents
        .iter()
        .find(|d| d.kind == "Deployment")
        .expect("a deployment");
    assert_eq!(doc.source_path, "basic/templates/deployment.yaml");
    assert!(doc
        .template_file
        .ends_with("fixtures/charts/basic/templates/deployment.yaml"));

    // A value from .Values: the pipeline of the action that printed it (`.Values…`).
    let at = doc.text.find("IfNotPresent").unwrap();
    let loc = doc.locate(at).unwrap();
    assert_eq!(loc.template, "basic/templates/deployment.yaml");
    assert!(loc
        .file
        .unwrap()
        .ends_with("basic/templates/deployment.yaml"));
    assert_eq!((loc.line, loc.column), (27, 31));

    // Literal template text: the exact column.
    let at = doc.text.find("imagePullPolicy").unwrap() + 5;
    let loc = doc.locate(at).unwrap();
    assert_eq!((loc.line, loc.column), (27, 16));

    // The first byte of the document (after Helm trimmed it) is line 1 of the template.
    let loc = doc.locate(0).unwrap();
    assert_eq!((loc.line, loc.column), (1, 1));

    // Text that came from a helper through include | nindent keeps the helper's own map:
    // nindent shifts the map with the text it indents.
    let at = doc.text.find("helm.sh/chart").unwrap();
    let loc = doc.locate(at).unwrap();
    assert_eq!(loc.template, "basic/templates/_helpers.tpl");
    assert_eq!((loc.line, loc.column), (19, 1));

    // include's result keeps its own map: the name comes from the helper's line.
    let at = doc.text.find("rel-basic").unwrap();
    let loc = doc.locate(at).unwrap();
    assert_eq!(loc.template, "basic/templates/_helpers.tpl");
    assert!(loc.file.unwrap().ends_with("basic/templates/_helpers.tpl"));
    assert_eq!(loc.line, 10);
}

#[test]
fn second_document_of_a_file_maps_into_the_same_template() {
    let out = basic_default();
    let meta = out
        .documents
        .iter()
        .find(|d| d.text.contains("-meta"))
        .unwrap();
    let at = meta.text.find("isInstall").unwrap();
    let loc = meta.locate(at).unwrap();
    assert_eq!(loc.template, "basic/templates/configmap.yaml");
    assert_eq!((loc.line, loc.column), (21, 3));
    // `<no value>` was removed and the map still lines up after it.
    let cm = out
        .documents
        .iter()
        .find(|d| d.text.contains("missing: \"\""))
        .unwrap();
    let at = cm.text.find("missing").unwrap();
    assert_eq!(cm.locate(at).unwrap().line, 12);
}

#[test]
fn notes_are_kept_apart_and_partials_not_emitted() {
    let out = basic_default();
    assert_eq!(out.notes, "Installed rel-basic.\n");
    assert!(out
        .documents
        .iter()
        .all(|d| !d.source_path.ends_with(".tpl")));
    assert!(out
        .documents
        .iter()
        .all(|d| !d.source_path.ends_with("NOTES.txt")));
}

#[test]
fn crd_documents_locate_into_the_crd_file() {
    let c = cases()
        .into_iter()
        .find(|c| c.chart == "crds" && c.case == "include-crds")
        .unwrap();
    let out = render_case(&c, test_funcs()).unwrap();
    let crd = &out.documents[0];
    assert!(crd.crd);
    assert_eq!(crd.source_path, "crds/crds/widgets.example.com.yaml");
    let loc = crd.locate(crd.text.find("kind:").unwrap()).unwrap();
    assert_eq!((loc.line, loc.column), (3, 1));
    // The test hook comes last.
    assert!(out.documents.last().unwrap().hook);
}

fn write_chart(dir: &std::path::Path, templates: &[(&str, &str)]) {
    std::fs::create_dir_all(dir.join("templates")).unwrap();
    std::fs::write(
        dir.join("Chart.yaml"),
        "apiVersion: v2\nname: broken\nversion: 0.1.0\n",
    )
    .unwrap();
    for (name, text) in templates {
        std::fs::write(dir.join("templates").join(name), text).unwrap();
    }
}

#[test]
fn template_parse_errors_are_located() {
    let dir = tempfile::tempdir().unwrap();
    write_chart(dir.path(), &[("a.yaml", "kind: A\nname: {{ .Values.x \n")]);
    let chart = ChartLoader::new().load(dir.path()).unwrap();
    let e = Renderer::new(RenderOptions::default())
        .render(&chart, &Values::new())
        .unwrap_err();
    match &e {
        HelmError::TemplateParse {
            file, path, line, ..
        } => {
            assert_eq!(file, "broken/templates/a.yaml");
            assert!(path.ends_with("templates/a.yaml"));
            // Go reports an unclosed action where the text ends.
            assert_eq!(*line, 3);
        }
        e => panic!("{e}"),
    }
    assert!(
        e.to_string()
            .starts_with("parse error at (broken/templates/a.yaml:3)"),
        "{e}"
    );
}

#[test]
fn execution_errors_are_located_and_bounded() {
    let dir = tempfile::tempdir().unwrap();
    write_chart(
        dir.path(),
        &[("a.yaml", "kind: A\nv: {{ index .Values.list 5 }}\n")],
    );
    let chart = ChartLoader::new().load(dir.path()).unwrap();
    let mut vals = Values::new();
    vals.insert("list".into(), serde_json::json!([1]));
    let e = Renderer::new(RenderOptions::default())
        .render(&chart, &vals)
        .unwrap_err();
    match e {
        HelmError::TemplateExec { file, location, .. } => {
            assert_eq!(file, "broken/templates/a.yaml");
            let (tpl, _, line, _) = location.unwrap();
            assert_eq!((tpl.as_str(), line), ("broken/templates/a.yaml", 2));
        }
        e => panic!("{e}"),
    }
    // Infinite recursion through `template` stops with an error, not a crash.
    let dir = tempfile::tempdir().unwrap();
    write_chart(
        dir.path(),
        &[(
            "a.yaml",
            "{{ define \"r\" }}{{ template \"r\" . }}{{ end }}{{ template \"r\" . }}",
        )],
    );
    let chart = ChartLoader::new().load(dir.path()).unwrap();
    assert!(Renderer::new(RenderOptions::default())
        .render(&chart, &Values::new())
        .is_err());
}

#[test]
fn non_mapping_documents_are_rejected_like_helm() {
    let dir = tempfile::tempdir().unwrap();
    write_chart(dir.path(), &[("a.yaml", "just a string\n")]);
    let chart = ChartLoader::new().load(dir.path()).unwrap();
    let e = Renderer::new(RenderOptions::default())
        .render(&chart, &Values::new())
        .unwrap_err();
    assert!(
        e.to_string()
            .starts_with("YAML parse error on broken/templates/a.yaml"),
        "{e}"
    );
}

#[test]
fn kube_version_constraint_is_enforced() {
    let chart = ChartLoader::new()
        .load(&charts_dir().join("basic"))
        .unwrap();
    let mut opts = RenderOptions::default();
    opts.capabilities.kube_version = kvet_helm::KubeVersion::parse("1.20.0").unwrap();
    let e = Renderer::new(opts)
        .with_funcs(test_funcs())
        .render(&chart, &Values::new())
        .unwrap_err();
    assert_eq!(
        e.to_string(),
        "chart requires kubeVersion: >=1.25.0-0 which is incompatible with Kubernetes v1.20.0"
    );
}

#[test]
fn show_only_naming_no_template_is_an_error() {
    let chart = ChartLoader::new()
        .load(&charts_dir().join("basic"))
        .unwrap();
    let opts = RenderOptions {
        show_only: vec!["templates/nope.yaml".into()],
        ..Default::default()
    };
    let e = Renderer::new(opts)
        .with_funcs(test_funcs())
        .render(&chart, &Values::new())
        .unwrap_err();
    assert_eq!(
        e.to_string(),
        "could not find template templates/nope.yaml in chart"
    );
}
