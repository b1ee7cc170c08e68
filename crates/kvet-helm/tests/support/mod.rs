//! Shared helpers for kvet-helm's integration tests: fixture paths, the function set, and the
//! `helm template` flags of `fixtures/charts/goldens.txt` turned into options.

#![allow(dead_code)]

use kvet_gotmpl::FuncMap;
use kvet_helm::{
    Capabilities, ChartLoader, KubeVersion, RenderOptions, RenderedChart, Renderer, ValueOptions,
};
use std::path::{Path, PathBuf};

pub fn charts_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/charts")
}

/// The functions charts render with: kvet's full set (Go builtins, sprig, Helm's own).
pub fn test_funcs() -> FuncMap {
    kvet_helm::default_funcs()
}

/// One line of goldens.txt: a chart rendered with a release name and helm flags.
#[derive(Debug, Clone)]
pub struct Case {
    /// Chart directory under fixtures/charts.
    pub chart: String,
    /// The golden's name (`golden/<case>.yaml`).
    pub case: String,
    /// Release name.
    pub release: String,
    /// `helm template` flags.
    pub flags: Vec<String>,
}

pub fn cases() -> Vec<Case> {
    let text = std::fs::read_to_string(charts_dir().join("goldens.txt")).unwrap();
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(|l| {
            let w: Vec<String> = l.split_whitespace().map(str::to_owned).collect();
            Case {
                chart: w[0].clone(),
                case: w[1].clone(),
                release: w[2].clone(),
                flags: w[3..].to_vec(),
            }
        })
        .collect()
}

/// Renders a case natively, with helm's flags as goldens.txt gives them.
pub fn render_case(c: &Case, funcs: FuncMap) -> Result<RenderedChart, kvet_helm::HelmError> {
    let dir = charts_dir().join(&c.chart);
    let chart = ChartLoader::new().load(&dir)?;
    let mut opts = RenderOptions::default();
    opts.release.name = c.release.clone();
    opts.capabilities = Capabilities {
        kube_version: KubeVersion::parse("1.33.0").unwrap(),
        ..Capabilities::default()
    };
    let mut vals = ValueOptions::default();
    let mut it = c.flags.iter();
    while let Some(f) = it.next() {
        let mut next = || it.next().expect("flag value").clone();
        match f.as_str() {
            "--values" | "-f" => {
                let name = next();
                let text = std::fs::read_to_string(dir.join(&name)).unwrap();
                vals.value_files.push((name, text));
            }
            "--set" => vals.values.push(next()),
            "--set-string" => vals.string_values.push(next()),
            "--set-json" => vals.json_values.push(next()),
            "--namespace" | "-n" => opts.release.namespace = next(),
            "--include-crds" => opts.include_crds = true,
            "--show-only" | "-s" => opts.show_only.push(next()),
            "--api-versions" => opts.capabilities.api_versions.0.push(next()),
            other => panic!("unsupported flag {other}"),
        }
    }
    let user =
        vals.merge(&mut |p| std::fs::read_to_string(dir.join(p)).map_err(|e| e.to_string()))?;
    Renderer::new(opts).with_funcs(funcs).render(&chart, &user)
}
