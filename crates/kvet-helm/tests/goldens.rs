//! Differential test: each fixture chart case rendered natively must give the same
//! documents, in the same order and with the same `# Source:` paths, as the official helm
//! binary did (`cargo xtask goldens` writes the goldens).

mod support;

use support::{cases, charts_dir, render_case, test_funcs, Case};

fn documents(text: &str) -> Vec<serde_json::Value> {
    let stream = kvet_yaml::parse_stream(text, &kvet_yaml::Limits::default());
    assert!(stream.errors.is_empty(), "{:?}", stream.errors);
    stream.documents.into_iter().map(|d| d.value).collect()
}

fn sources(text: &str) -> Vec<&str> {
    text.lines()
        .filter_map(|l| l.strip_prefix("# Source: "))
        .collect()
}

fn check(c: &Case) {
    let golden_path = charts_dir()
        .join(&c.chart)
        .join("golden")
        .join(format!("{}.yaml", c.case));
    let golden = std::fs::read_to_string(&golden_path)
        .unwrap_or_else(|e| panic!("{}: {e}; run `cargo xtask goldens`", golden_path.display()));
    let ours = render_case(c, test_funcs())
        .unwrap_or_else(|e| panic!("{}/{}: {e}", c.chart, c.case))
        .to_helm_output();
    assert_eq!(
        sources(&ours),
        sources(&golden),
        "{}/{}: # Source order",
        c.chart,
        c.case
    );
    let (a, b) = (documents(&ours), documents(&golden));
    assert_eq!(a.len(), b.len(), "{}/{}: document count", c.chart, c.case);
    for (i, (x, y)) in a.iter().zip(&b).enumerate() {
        assert_eq!(x, y, "{}/{}: document {i}", c.chart, c.case);
    }
    // Stronger than the acceptance bar, and true for these fixtures: byte-identical output.
    assert_eq!(ours, golden, "{}/{}: text", c.chart, c.case);
}

fn check_chart(chart: &str) {
    let cs: Vec<Case> = cases().into_iter().filter(|c| c.chart == chart).collect();
    assert!(!cs.is_empty(), "no cases for {chart}");
    for c in &cs {
        check(c);
    }
}

#[test]
fn basic_matches_helm() {
    check_chart("basic");
}

#[test]
fn subcharts_match_helm() {
    check_chart("subcharts");
}

#[test]
fn files_match_helm() {
    check_chart("files");
}

#[test]
fn capabilities_match_helm() {
    check_chart("capabilities");
}

#[test]
fn tpl_values_match_helm() {
    check_chart("tpl-values");
}

#[test]
fn crds_match_helm() {
    check_chart("crds");
}

#[test]
fn large_matches_helm() {
    check_chart("large");
}

#[test]
fn sprig_funcs_match_helm() {
    check_chart("sprig-funcs");
}

#[test]
fn lookup_matches_helm() {
    check_chart("lookup");
}

#[test]
fn flow_matches_helm() {
    check_chart("flow");
}

#[test]
fn library_dep_matches_helm() {
    check_chart("library-dep");
}

#[test]
fn archive_dep_matches_helm() {
    check_chart("archive-dep");
}

#[test]
fn schema_values_match_helm() {
    check_chart("schema-values");
}

/// Every chart in goldens.txt has a test above.
#[test]
fn every_golden_chart_is_tested() {
    let source = include_str!("goldens.rs");
    for c in cases() {
        assert!(
            source.contains(&format!("check_chart(\"{}\")", c.chart)),
            "no test for {}",
            c.chart
        );
    }
}
