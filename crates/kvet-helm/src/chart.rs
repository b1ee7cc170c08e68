//! A loaded chart: metadata, default values, templates, other files and subcharts.

use crate::error::HelmError;
use serde_json::{Map as JsonMap, Value as Json};
use std::collections::BTreeMap;
use std::path::PathBuf;

/// One file of a chart, named by its slash-separated path inside the chart.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChartFile {
    /// Path inside the chart, e.g. `templates/deployment.yaml`.
    pub name: String,
    /// Contents (a UTF-8 BOM removed).
    pub data: Vec<u8>,
}

/// A chart maintainer (`maintainers:` in Chart.yaml).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Maintainer {
    /// Name.
    pub name: String,
    /// Email.
    pub email: String,
    /// URL.
    pub url: String,
}

/// A dependency declared in Chart.yaml (or requirements.yaml for apiVersion v1).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Dependency {
    /// Chart name (after dependency processing: the alias, if any).
    pub name: String,
    /// Version constraint.
    pub version: String,
    /// Repository URL.
    pub repository: String,
    /// Comma-separated value paths; the first that resolves to a bool decides.
    pub condition: String,
    /// Tags that enable or disable the dependency.
    pub tags: Vec<String>,
    /// Whether the dependency is enabled (computed).
    pub enabled: bool,
    /// `import-values`: strings (exports) or `{child, parent}` maps.
    pub import_values: Vec<Json>,
    /// Name to render the subchart under.
    pub alias: String,
}

/// Chart.yaml.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Metadata {
    /// Chart name.
    pub name: String,
    /// Home page URL.
    pub home: String,
    /// Source URLs.
    pub sources: Vec<String>,
    /// SemVer 2 version.
    pub version: String,
    /// One-line description.
    pub description: String,
    /// Search keywords.
    pub keywords: Vec<String>,
    /// Maintainers.
    pub maintainers: Vec<Maintainer>,
    /// Icon URL.
    pub icon: String,
    /// `v1` or `v2`.
    pub api_version: String,
    /// Condition (unused by Helm 3+, kept).
    pub condition: String,
    /// Tags (unused, kept).
    pub tags: String,
    /// Version of the application packaged.
    pub app_version: String,
    /// Whether the chart is deprecated.
    pub deprecated: bool,
    /// Annotations.
    pub annotations: BTreeMap<String, String>,
    /// Kubernetes version constraint.
    pub kube_version: String,
    /// Declared dependencies; `None` when none are declared.
    pub dependencies: Option<Vec<Dependency>>,
    /// `application` or `library`.
    pub chart_type: String,
}

/// A chart with its subcharts.
#[derive(Debug, Clone, PartialEq)]
pub struct Chart {
    /// Chart.yaml.
    pub metadata: Metadata,
    /// values.yaml (numbers as float64, as Helm reads YAML).
    pub values: JsonMap<String, Json>,
    /// values.schema.json, kept verbatim.
    pub schema: Option<Vec<u8>>,
    /// Files under `templates/`.
    pub templates: Vec<ChartFile>,
    /// Every other file (what `.Files` sees), after `.helmignore`.
    pub files: Vec<ChartFile>,
    /// Subcharts (from `charts/`, directories and archives).
    pub dependencies: Vec<Chart>,
    /// Where the chart's files are: its directory, or `ARCHIVE.tgz` (files then appear as
    /// `ARCHIVE.tgz/templates/x.yaml`).
    pub origin: PathBuf,
}

impl Chart {
    /// The chart name (after aliasing).
    pub fn name(&self) -> &str {
        &self.metadata.name
    }

    /// Whether this is a library chart (only partials are rendered).
    pub fn is_library(&self) -> bool {
        self.metadata.chart_type == "library"
    }

    /// Where file `name` of this chart is on disk (or inside its archive).
    pub fn file_path(&self, name: &str) -> PathBuf {
        self.origin.join(name)
    }
}

/// Reads a string field as sigs.k8s.io/yaml does for a Go `string` target: numbers and
/// booleans are turned into their text.
fn string_field(v: &Json, file: &str, field: &str) -> Result<String, HelmError> {
    match v {
        Json::Null => Ok(String::new()),
        Json::String(s) => Ok(s.clone()),
        Json::Bool(b) => Ok(b.to_string()),
        Json::Number(n) => Ok(match n.as_i64() {
            Some(i) => i.to_string(),
            // Go formats with FormatFloat(f, 'g', -1, 32).
            None => format!("{}", n.as_f64().unwrap_or(0.0) as f32),
        }),
        _ => Err(HelmError::Chart {
            file: file.to_owned(),
            message: format!(
                "cannot unmarshal {} into field {field} of type string",
                json_kind(v)
            ),
        }),
    }
}

fn json_kind(v: &Json) -> &'static str {
    match v {
        Json::Null => "null",
        Json::Bool(_) => "bool",
        Json::Number(_) => "number",
        Json::String(_) => "string",
        Json::Array(_) => "array",
        Json::Object(_) => "object",
    }
}

fn string_list(v: &Json, file: &str, field: &str) -> Result<Vec<String>, HelmError> {
    match v {
        Json::Null => Ok(Vec::new()),
        Json::Array(a) => a.iter().map(|x| string_field(x, file, field)).collect(),
        _ => Err(HelmError::Chart {
            file: file.to_owned(),
            message: format!(
                "cannot unmarshal {} into field {field} of type []string",
                json_kind(v)
            ),
        }),
    }
}

fn bool_field(v: &Json, file: &str, field: &str) -> Result<bool, HelmError> {
    match v {
        Json::Null => Ok(false),
        Json::Bool(b) => Ok(*b),
        _ => Err(HelmError::Chart {
            file: file.to_owned(),
            message: format!(
                "cannot unmarshal {} into field {field} of type bool",
                json_kind(v)
            ),
        }),
    }
}

fn object<'a>(
    v: &'a Json,
    file: &str,
    what: &str,
) -> Result<Option<&'a JsonMap<String, Json>>, HelmError> {
    match v {
        Json::Null => Ok(None),
        Json::Object(o) => Ok(Some(o)),
        _ => Err(HelmError::Chart {
            file: file.to_owned(),
            message: format!("cannot unmarshal {} into {what}", json_kind(v)),
        }),
    }
}

impl Dependency {
    pub(crate) fn from_json(v: &Json, file: &str) -> Result<Dependency, HelmError> {
        let Some(o) = object(v, file, "a dependency")? else {
            return Ok(Dependency::default());
        };
        let mut d = Dependency::default();
        for (k, v) in o {
            match k.as_str() {
                "name" => d.name = string_field(v, file, "name")?,
                "version" => d.version = string_field(v, file, "version")?,
                "repository" => d.repository = string_field(v, file, "repository")?,
                "condition" => d.condition = string_field(v, file, "condition")?,
                "tags" => d.tags = string_list(v, file, "tags")?,
                "enabled" => d.enabled = bool_field(v, file, "enabled")?,
                "alias" => d.alias = string_field(v, file, "alias")?,
                "import-values" => {
                    d.import_values = match v {
                        Json::Null => Vec::new(),
                        Json::Array(a) => a.clone(),
                        _ => {
                            return Err(HelmError::Chart {
                                file: file.to_owned(),
                                message: "import-values must be a list".into(),
                            })
                        }
                    }
                }
                _ => {}
            }
        }
        Ok(d)
    }
}

impl Metadata {
    /// Reads Chart.yaml (already converted to JSON); `file` names it in errors.
    pub(crate) fn from_json(v: &Json, file: &str) -> Result<Metadata, HelmError> {
        let mut m = Metadata::default();
        m.merge_json(v, file)?;
        Ok(m)
    }

    /// Applies the fields present in `v` (Go's yaml.Unmarshal into an existing struct).
    pub(crate) fn merge_json(&mut self, v: &Json, file: &str) -> Result<(), HelmError> {
        let Some(o) = object(v, file, "chart metadata")? else {
            return Ok(());
        };
        for (k, v) in o {
            match k.as_str() {
                "name" => self.name = string_field(v, file, "name")?,
                "home" => self.home = string_field(v, file, "home")?,
                "sources" => self.sources = string_list(v, file, "sources")?,
                "version" => self.version = string_field(v, file, "version")?,
                "description" => self.description = string_field(v, file, "description")?,
                "keywords" => self.keywords = string_list(v, file, "keywords")?,
                "icon" => self.icon = string_field(v, file, "icon")?,
                "apiVersion" => self.api_version = string_field(v, file, "apiVersion")?,
                "condition" => self.condition = string_field(v, file, "condition")?,
                "tags" => self.tags = string_field(v, file, "tags")?,
                "appVersion" => self.app_version = string_field(v, file, "appVersion")?,
                "deprecated" => self.deprecated = bool_field(v, file, "deprecated")?,
                "kubeVersion" => self.kube_version = string_field(v, file, "kubeVersion")?,
                "type" => self.chart_type = string_field(v, file, "type")?,
                "annotations" => {
                    self.annotations.clear();
                    if let Some(o) = object(v, file, "annotations")? {
                        for (k, v) in o {
                            self.annotations
                                .insert(k.clone(), string_field(v, file, "annotations")?);
                        }
                    }
                }
                "maintainers" => {
                    self.maintainers.clear();
                    if let Json::Array(a) = v {
                        for item in a {
                            let mut mt = Maintainer::default();
                            if let Some(o) = object(item, file, "a maintainer")? {
                                for (k, v) in o {
                                    match k.as_str() {
                                        "name" => mt.name = string_field(v, file, "name")?,
                                        "email" => mt.email = string_field(v, file, "email")?,
                                        "url" => mt.url = string_field(v, file, "url")?,
                                        _ => {}
                                    }
                                }
                            }
                            self.maintainers.push(mt);
                        }
                    } else if !v.is_null() {
                        return Err(HelmError::Chart {
                            file: file.to_owned(),
                            message: "maintainers must be a list".into(),
                        });
                    }
                }
                "dependencies" => {
                    self.dependencies = match v {
                        Json::Null => None,
                        Json::Array(a) => Some(
                            a.iter()
                                .map(|d| Dependency::from_json(d, file))
                                .collect::<Result<_, _>>()?,
                        ),
                        _ => {
                            return Err(HelmError::Chart {
                                file: file.to_owned(),
                                message: "dependencies must be a list".into(),
                            })
                        }
                    }
                }
                _ => {}
            }
        }
        Ok(())
    }

    /// Helm's `Metadata.Validate`, for the checks that matter to rendering.
    pub(crate) fn validate(&self, file: &str) -> Result<(), HelmError> {
        let err = |m: &str| {
            Err(HelmError::Chart {
                file: file.to_owned(),
                message: m.to_owned(),
            })
        };
        if self.api_version.is_empty() {
            return err("validation: chart.metadata.apiVersion is required");
        }
        if self.api_version != "v1" && self.api_version != "v2" {
            return err(&format!(
                "validation: chart.metadata.apiVersion \"{}\" is not supported",
                self.api_version
            ));
        }
        if self.name.is_empty() {
            return err("validation: chart.metadata.name is required");
        }
        if self.name.contains('/')
            || self.name.contains('\\')
            || self.name == "."
            || self.name == ".."
        {
            return err(&format!("chart.metadata.name {:?} is invalid", self.name));
        }
        if self.version.is_empty() {
            return err("validation: chart.metadata.version is required");
        }
        if crate::semver::Version::parse(&self.version).is_none() {
            return err(&format!(
                "validation: chart.metadata.version {:?} is invalid",
                self.version
            ));
        }
        if !self.chart_type.is_empty()
            && self.chart_type != "application"
            && self.chart_type != "library"
        {
            return err("validation: chart.metadata.type must be application or library");
        }
        Ok(())
    }
}
