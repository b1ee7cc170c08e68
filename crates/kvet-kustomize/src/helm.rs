//! `helmCharts`: local charts inflated by kvet-helm, as kustomize inflates them with
//! `helm template` (values file, then inline values over it; release name and namespace;
//! CRDs on request).

use crate::emit::to_yaml;
use crate::fs::{self, FileSystem};
use kvet_helm::{ChartLoader, ReleaseOptions, RenderOptions, Renderer, ValueOptions};
use serde_json::Value;
use std::path::Path;

/// Most files read from one chart.
const MAX_CHART_FILES: usize = 5_000;

/// Renders one `helmCharts` entry; returns the documents' texts in helm's output order.
pub fn inflate(
    fsys: &dyn FileSystem,
    kust_dir: &str,
    chart_home: Option<&str>,
    entry: &Value,
) -> Result<Vec<String>, String> {
    let name = entry
        .get("name")
        .and_then(Value::as_str)
        .filter(|n| !n.is_empty())
        .ok_or("a helm chart entry needs a name")?;
    let home = fs::join(kust_dir, chart_home.unwrap_or("charts"));
    let version = entry.get("version").and_then(Value::as_str).unwrap_or("");
    let mut dir = fs::join(&home, name);
    if !version.is_empty() {
        let versioned = fs::join(&home, &format!("{name}-{version}/{name}"));
        if fsys.is_dir(&versioned) {
            dir = versioned;
        }
    }
    if !fsys.is_dir(&dir) {
        let repo = entry.get("repo").and_then(Value::as_str).unwrap_or("");
        return Err(if repo.is_empty() {
            format!("chart '{dir}': no such directory")
        } else {
            format!("chart '{name}' is not in '{home}': pulling from {repo} is not supported (kvet builds offline); vendor the chart into the chart home")
        });
    }
    let mut files = Vec::new();
    collect(fsys, &dir, "", &mut files)?;
    let chart = ChartLoader::new()
        .load_memory(&files, Path::new(&dir))
        .map_err(|e| e.to_string())?;
    let mut value_files = Vec::new();
    if let Some(vf) = entry.get("valuesFile").and_then(Value::as_str) {
        let path = fs::join(kust_dir, vf);
        value_files.push((
            path.clone(),
            fsys.read(&path)
                .map_err(|m| format!("valuesFile '{path}': {m}"))?,
        ));
    }
    for (i, extra) in entry
        .get("additionalValuesFiles")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .enumerate()
    {
        let vf = extra
            .as_str()
            .ok_or(format!("additionalValuesFiles[{i}] must be a string"))?;
        let path = fs::join(kust_dir, vf);
        value_files.push((
            path.clone(),
            fsys.read(&path)
                .map_err(|m| format!("values file '{path}': {m}"))?,
        ));
    }
    if let Some(inline @ Value::Object(m)) = entry.get("valuesInline") {
        if !m.is_empty() {
            value_files.push(("valuesInline".to_owned(), to_yaml(inline)));
        }
    }
    let values = ValueOptions {
        value_files,
        ..ValueOptions::default()
    }
    .merge(&mut |f: &str| Err(format!("{f}: --set-file is not available here")))
    .map_err(|e| e.to_string())?;
    let mut release = ReleaseOptions::default();
    if let Some(n) = entry
        .get("releaseName")
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
    {
        release.name = n.to_owned();
    }
    if let Some(n) = entry
        .get("namespace")
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
    {
        release.namespace = n.to_owned();
    }
    let flag = |f: &str| entry.get(f).and_then(Value::as_bool).unwrap_or(false);
    let options = RenderOptions {
        release,
        include_crds: flag("includeCRDs"),
        skip_tests: flag("skipTests"),
        no_hooks: flag("skipHooks"),
        ..RenderOptions::default()
    };
    let rendered = Renderer::new(options)
        .render(&chart, &values)
        .map_err(|e| e.to_string())?;
    Ok(rendered.documents.into_iter().map(|d| d.text).collect())
}

fn collect(
    fsys: &dyn FileSystem,
    dir: &str,
    rel: &str,
    out: &mut Vec<(String, Vec<u8>)>,
) -> Result<(), String> {
    let here = if rel.is_empty() {
        dir.to_owned()
    } else {
        fs::join(dir, rel)
    };
    for name in fsys.list(&here)? {
        let child_rel = if rel.is_empty() {
            name.clone()
        } else {
            format!("{rel}/{name}")
        };
        let child = fs::join(dir, &child_rel);
        if fsys.is_dir(&child) {
            collect(fsys, dir, &child_rel, out)?;
        } else {
            if out.len() >= MAX_CHART_FILES {
                return Err(format!(
                    "chart '{dir}' has more than {MAX_CHART_FILES} files"
                ));
            }
            out.push((child_rel, fsys.read_bytes(&child)?));
        }
    }
    Ok(())
}
