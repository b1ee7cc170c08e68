//! Dependencies as Helm's `ProcessDependencies` resolves them: aliases, `condition`,
//! `tags`, disabled subcharts removed, then `import-values` (and `exports`) pulled up.

use crate::chart::Chart;
use crate::semver::is_compatible_range;
use crate::values::{coalesce_values, merge_tables, merge_values, path_value, table, Values};
use serde_json::{Map as JsonMap, Value as Json};

/// Resolves `chart`'s dependencies against the user's values: enables, aliases and removes
/// subcharts, then imports values (Helm 4 merges, keeping nulls).
pub fn process_dependencies(chart: &mut Chart, vals: &Values) {
    process_enabled(chart, vals, "");
    process_import_values(chart);
}

fn process_enabled(c: &mut Chart, v: &Values, path: &str) {
    let Some(reqs) = c.metadata.dependencies.clone() else {
        return;
    };
    let existing = std::mem::take(&mut c.dependencies);
    let mut deps: Vec<Chart> = existing
        .iter()
        .filter(|e| {
            !reqs
                .iter()
                .any(|r| e.name() == r.name && is_compatible_range(&r.version, &e.metadata.version))
        })
        .cloned()
        .collect();
    let mut reqs = reqs;
    for req in reqs.iter_mut() {
        if let Some(found) = existing.iter().find(|e| {
            e.name() == req.name && is_compatible_range(&req.version, &e.metadata.version)
        }) {
            let mut out = found.clone();
            if !req.alias.is_empty() {
                out.metadata.name = req.alias.clone();
            }
            deps.push(out);
        }
        if !req.alias.is_empty() {
            req.name = req.alias.clone();
        }
    }
    c.dependencies = deps;
    for r in reqs.iter_mut() {
        r.enabled = true;
    }
    let cvals = coalesce_values(c, v);

    // Tags: any true tag enables; only false tags disable.
    if let Some(tags) = table(&cvals, "tags") {
        for r in reqs.iter_mut() {
            let (mut has_true, mut has_false) = (false, false);
            for t in &r.tags {
                match tags.get(t) {
                    Some(Json::Bool(true)) => has_true = true,
                    Some(Json::Bool(false)) => has_false = true,
                    _ => {}
                }
            }
            r.enabled = has_true || !has_false;
        }
    }
    // Conditions: the first path that resolves to a bool decides.
    for r in reqs.iter_mut() {
        for cond in r.condition.trim().split(',') {
            if cond.is_empty() {
                continue;
            }
            if let Some(Json::Bool(b)) = path_value(&cvals, &format!("{path}{cond}")) {
                r.enabled = *b;
                break;
            }
        }
    }
    let removed: Vec<String> = reqs
        .iter()
        .filter(|r| !r.enabled)
        .map(|r| r.name.clone())
        .collect();
    c.dependencies
        .retain(|d| !removed.contains(&d.metadata.name));
    reqs.retain(|r| !removed.contains(&r.name));
    for t in c.dependencies.iter_mut() {
        let sub_path = format!("{path}{}.", t.metadata.name);
        process_enabled(t, &cvals, &sub_path);
    }
    c.metadata.dependencies = Some(reqs);
}

fn path_to_map(path: &str, data: Values) -> Values {
    if path == "." {
        return data;
    }
    let mut cur = data;
    for part in path.split('.').rev() {
        let mut m = JsonMap::new();
        m.insert(part.to_owned(), Json::Object(cur));
        cur = m;
    }
    cur
}

fn go_print(v: Option<&Json>) -> String {
    match v {
        None | Some(Json::Null) => "<nil>".into(),
        Some(Json::String(s)) => s.clone(),
        Some(v) => v.to_string(),
    }
}

fn process_import_values(c: &mut Chart) {
    for d in c.dependencies.iter_mut() {
        process_import_values(d);
    }
    let Some(mut reqs) = c.metadata.dependencies.take() else {
        return;
    };
    let cvals = merge_values(c, &Values::new());
    let mut b = Values::new();
    for r in reqs.iter_mut() {
        let mut out = Vec::new();
        for riv in &r.import_values {
            match riv {
                Json::Object(iv) => {
                    let child = go_print(iv.get("child"));
                    let parent = go_print(iv.get("parent"));
                    out.push(serde_json::json!({"child": child, "parent": parent}));
                    if let Some(vv) = table(&cvals, &format!("{}.{}", r.name, child)) {
                        b = merge_tables(b, path_to_map(&parent, vv.clone()));
                    }
                }
                Json::String(s) => {
                    let child = format!("exports.{s}");
                    out.push(serde_json::json!({"child": child, "parent": "."}));
                    if let Some(vm) = table(&cvals, &format!("{}.{}", r.name, child)) {
                        b = merge_tables(b, vm.clone());
                    }
                }
                _ => {}
            }
        }
        r.import_values = out;
    }
    c.values = merge_tables(cvals, b);
    c.metadata.dependencies = Some(reqs);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chart::{Dependency, Metadata};
    use serde_json::json;

    fn chart(name: &str, values: Json, reqs: Option<Vec<Dependency>>, deps: Vec<Chart>) -> Chart {
        Chart {
            metadata: Metadata {
                name: name.into(),
                version: "1.0.0".into(),
                api_version: "v2".into(),
                dependencies: reqs,
                ..Default::default()
            },
            values: values.as_object().unwrap().clone(),
            schema: None,
            templates: vec![],
            files: vec![],
            dependencies: deps,
            origin: name.into(),
        }
    }

    fn dep(name: &str, f: impl FnOnce(&mut Dependency)) -> Dependency {
        let mut d = Dependency {
            name: name.into(),
            version: "1.x".into(),
            ..Default::default()
        };
        f(&mut d);
        d
    }

    #[test]
    fn alias_condition_tags_and_imports() {
        let db = chart(
            "db",
            json!({"port": 5432, "exports": {"conn": {"dbPort": 5432}}, "data": {"size": "1Gi"}}),
            None,
            vec![],
        );
        let cache = chart("cache", json!({"enabled": true}), None, vec![]);
        let mut top = chart(
            "top",
            json!({"primary": {"enabled": true}, "cache": {"enabled": false}, "tags": {"extra": false}}),
            Some(vec![
                dep("db", |d| {
                    d.alias = "primary".into();
                    d.condition = "primary.enabled".into();
                    d.import_values =
                        vec![json!("conn"), json!({"child": "data", "parent": "storage"})];
                }),
                dep("db", |d| {
                    d.alias = "replica".into();
                    d.tags = vec!["extra".into()];
                }),
                dep("cache", |d| {
                    d.condition = "missing.path,cache.enabled".into()
                }),
            ]),
            vec![db, cache],
        );
        process_dependencies(&mut top, &Values::new());
        let names: Vec<&str> = top.dependencies.iter().map(|d| d.name()).collect();
        assert_eq!(names, ["primary"]);
        assert_eq!(top.values["dbPort"], json!(5432));
        assert_eq!(top.values["storage"], json!({"size": "1Gi"}));
        let v = coalesce_values(&top, &Values::new());
        assert_eq!(v["primary"]["port"], json!(5432));
    }

    #[test]
    fn incompatible_versions_leave_the_subchart_unmanaged() {
        let sub = chart("sub", json!({}), None, vec![]);
        let mut top = chart(
            "top",
            json!({}),
            Some(vec![dep("sub", |d| d.version = "~2.0".into())]),
            vec![sub],
        );
        process_dependencies(&mut top, &Values::new());
        // As in Helm: a subchart no requirement matches is kept as-is, unconditionally.
        assert_eq!(top.dependencies.len(), 1);
    }
}
