//! The host objects templates see: `.Files` and `.Capabilities` (with `KubeVersion` and
//! `APIVersions`), with Helm's methods.

use crate::chart::ChartFile;
use crate::glob::Glob;
use base64::Engine as _;
use kvet_gotmpl::{FuncError, HostObject, ParamType, Params, Value};
use std::collections::BTreeMap;
use std::sync::Arc;

/// `.Files`: the chart's non-template files by path (Go's `map[string][]byte`).
#[derive(Debug, Clone, Default)]
pub struct Files {
    files: BTreeMap<String, Arc<[u8]>>,
}

impl Files {
    /// The files of a chart.
    pub fn new(from: &[ChartFile]) -> Files {
        Files {
            files: from
                .iter()
                .map(|f| (f.name.clone(), Arc::from(f.data.as_slice())))
                .collect(),
        }
    }

    fn get_bytes(&self, name: &str) -> &[u8] {
        self.files.get(name).map(|d| &d[..]).unwrap_or(&[])
    }

    fn glob(&self, pattern: &str) -> Files {
        let g = Glob::new(pattern)
            .or_else(|| Glob::new("**"))
            .expect("** compiles");
        Files {
            files: self
                .files
                .iter()
                .filter(|(n, _)| g.matches(n))
                .map(|(n, d)| (n.clone(), d.clone()))
                .collect(),
        }
    }

    fn base_map(&self, f: impl Fn(&[u8]) -> String) -> String {
        let mut m = BTreeMap::new();
        for (k, v) in &self.files {
            let base = k.rsplit('/').next().unwrap_or(k).to_owned();
            m.insert(base, f(v));
        }
        crate::yamlout::string_map(&m)
    }
}

fn bytes_value(b: &[u8]) -> Value {
    Value::list(b.iter().map(|x| Value::Int(*x as i64)).collect())
}

fn go_bytes(b: &[u8]) -> String {
    let parts: Vec<String> = b.iter().map(|x| x.to_string()).collect();
    format!("[{}]", parts.join(" "))
}

impl HostObject for Files {
    fn type_name(&self) -> &str {
        "engine.files"
    }

    fn method(&self, name: &str) -> Option<Params> {
        match name {
            "Get" | "GetBytes" | "Glob" | "Lines" => Some(Params::fixed(&[ParamType::String])),
            "AsConfig" | "AsSecrets" => Some(Params::fixed(&[])),
            _ => None,
        }
    }

    fn call_method(&self, name: &str, args: Vec<Value>) -> Result<Value, FuncError> {
        let arg = args.first().and_then(|a| a.as_str()).unwrap_or_default();
        Ok(match name {
            "Get" => Value::from(String::from_utf8_lossy(self.get_bytes(arg)).into_owned()),
            "GetBytes" => bytes_value(self.get_bytes(arg)),
            "Glob" => Value::Object(Arc::new(self.glob(arg))),
            "Lines" => {
                let data = self.get_bytes(arg);
                if data.is_empty() {
                    return Ok(Value::list(Vec::new()));
                }
                let s = String::from_utf8_lossy(data);
                let s = s.strip_suffix('\n').unwrap_or(&s);
                Value::list(s.split('\n').map(Value::from).collect())
            }
            "AsConfig" => Value::from(self.base_map(|v| String::from_utf8_lossy(v).into_owned())),
            "AsSecrets" => {
                Value::from(self.base_map(|v| base64::engine::general_purpose::STANDARD.encode(v)))
            }
            _ => {
                return Err(FuncError::new(format!(
                    "can't call method {name} on engine.files"
                )))
            }
        })
    }

    fn display(&self) -> String {
        let parts: Vec<String> = self
            .files
            .iter()
            .map(|(k, v)| format!("{k}:{}", go_bytes(v)))
            .collect();
        format!("map[{}]", parts.join(" "))
    }

    fn is_true(&self) -> bool {
        !self.files.is_empty()
    }

    fn entries(&self) -> Option<Vec<(Value, Value)>> {
        Some(
            self.files
                .iter()
                .map(|(k, v)| (Value::from(k.as_str()), bytes_value(v)))
                .collect(),
        )
    }

    fn to_json(&self) -> serde_json::Value {
        serde_json::Value::Object(
            self.files
                .iter()
                .map(|(k, v)| {
                    (
                        k.clone(),
                        serde_json::Value::String(
                            base64::engine::general_purpose::STANDARD.encode(v),
                        ),
                    )
                })
                .collect(),
        )
    }
}

/// The Kubernetes version templates see as `.Capabilities.KubeVersion`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KubeVersion {
    /// As given, with a `v` prefix (`v1.33.0`, `v1.33.4-gke.1`): Helm's `Version`/`GitVersion`.
    pub version: String,
    /// Normalised `vMAJOR.MINOR.PATCH[-pre]`: what `String()` prints and constraints see.
    pub normalized: String,
    /// Major, as a string.
    pub major: String,
    /// Minor, as a string.
    pub minor: String,
}

impl KubeVersion {
    /// Parses a version as Kubernetes' `ParseGeneric` accepts it (`1.33`, `v1.33.0`, `1.33.4-gke.1`).
    pub fn parse(s: &str) -> Option<KubeVersion> {
        let t = s.trim();
        let body = t.strip_prefix('v').unwrap_or(t);
        let end = body
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(body.len());
        let nums: Vec<&str> = body[..end].split('.').collect();
        if nums.len() < 2 || nums.len() > 3 || nums.iter().any(|n| n.is_empty()) {
            return None;
        }
        let parsed: Vec<u64> = nums.iter().map(|n| n.parse().ok()).collect::<Option<_>>()?;
        // ParseGeneric drops anything after the numeric part.
        let rest = &body[end..];
        if !rest.is_empty() && !rest.starts_with('-') && !rest.starts_with('+') {
            return None;
        }
        let normalized = format!(
            "v{}.{}.{}",
            parsed[0],
            parsed[1],
            parsed.get(2).copied().unwrap_or(0)
        );
        let version = if t.starts_with('v') {
            t.to_owned()
        } else {
            format!("v{t}")
        };
        Some(KubeVersion {
            version,
            normalized,
            major: parsed[0].to_string(),
            minor: parsed[1].to_string(),
        })
    }
}

impl HostObject for KubeVersion {
    fn type_name(&self) -> &str {
        "common.KubeVersion"
    }

    fn field(&self, name: &str) -> Option<Value> {
        match name {
            "Version" => Some(Value::from(self.version.as_str())),
            "Major" => Some(Value::from(self.major.as_str())),
            "Minor" => Some(Value::from(self.minor.as_str())),
            _ => None,
        }
    }

    fn method(&self, name: &str) -> Option<Params> {
        matches!(name, "String" | "GitVersion").then(|| Params::fixed(&[]))
    }

    fn call_method(&self, name: &str, _args: Vec<Value>) -> Result<Value, FuncError> {
        Ok(Value::from(match name {
            "String" => self.normalized.as_str(),
            _ => self.version.as_str(),
        }))
    }

    fn display(&self) -> String {
        self.normalized.clone()
    }

    fn to_json(&self) -> serde_json::Value {
        serde_json::json!({"Version": self.version, "Major": self.major, "Minor": self.minor})
    }
}

/// `.Capabilities.APIVersions`: a list of `group/version` (and `group/version/Kind`) with `Has`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct VersionSet(pub Vec<String>);

impl VersionSet {
    /// The API versions Helm 4.1 assumes offline (client-go's built-in groups).
    pub fn helm_default() -> VersionSet {
        VersionSet(
            include_str!("api_versions.txt")
                .lines()
                .filter(|l| !l.is_empty())
                .map(str::to_owned)
                .collect(),
        )
    }
}

impl HostObject for VersionSet {
    fn type_name(&self) -> &str {
        "common.VersionSet"
    }

    fn method(&self, name: &str) -> Option<Params> {
        (name == "Has").then(|| Params::fixed(&[ParamType::String]))
    }

    fn call_method(&self, _name: &str, args: Vec<Value>) -> Result<Value, FuncError> {
        let want = args.first().and_then(|a| a.as_str()).unwrap_or_default();
        Ok(Value::Bool(self.0.iter().any(|v| v == want)))
    }

    fn display(&self) -> String {
        format!("[{}]", self.0.join(" "))
    }

    fn is_true(&self) -> bool {
        !self.0.is_empty()
    }

    fn entries(&self) -> Option<Vec<(Value, Value)>> {
        Some(
            self.0
                .iter()
                .enumerate()
                .map(|(i, v)| (Value::Int(i as i64), Value::from(v.as_str())))
                .collect(),
        )
    }

    fn to_json(&self) -> serde_json::Value {
        serde_json::json!(self.0)
    }
}

/// `.Capabilities`.
#[derive(Debug, Clone)]
pub struct Capabilities {
    /// The target Kubernetes version.
    pub kube_version: KubeVersion,
    /// API versions available.
    pub api_versions: VersionSet,
    /// `.Capabilities.HelmVersion` fields (Version, GitCommit, GitTreeState, GoVersion, KubeClientVersion).
    pub helm_version: BTreeMap<String, String>,
}

impl Default for Capabilities {
    fn default() -> Self {
        Capabilities {
            kube_version: KubeVersion::parse("v1.35.0").expect("valid"),
            api_versions: VersionSet::helm_default(),
            helm_version: [
                ("Version", "v4.1.4"),
                ("GitCommit", ""),
                ("GitTreeState", ""),
                ("GoVersion", ""),
                ("KubeClientVersion", "v1.35"),
            ]
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect(),
        }
    }
}

/// The `.Capabilities` object handed to templates (its parts shared).
pub(crate) struct CapabilitiesObject {
    kube: Arc<KubeVersion>,
    apis: Arc<VersionSet>,
    helm: Value,
}

impl CapabilitiesObject {
    pub(crate) fn new(c: &Capabilities) -> CapabilitiesObject {
        CapabilitiesObject {
            kube: Arc::new(c.kube_version.clone()),
            apis: Arc::new(c.api_versions.clone()),
            helm: Value::map(
                c.helm_version
                    .iter()
                    .map(|(k, v)| (k.clone(), Value::from(v.as_str()))),
            ),
        }
    }
}

impl HostObject for CapabilitiesObject {
    fn type_name(&self) -> &str {
        "*common.Capabilities"
    }

    fn field(&self, name: &str) -> Option<Value> {
        match name {
            "KubeVersion" => Some(Value::Object(self.kube.clone())),
            "APIVersions" => Some(Value::Object(self.apis.clone())),
            "HelmVersion" => Some(self.helm.clone()),
            _ => None,
        }
    }

    fn display(&self) -> String {
        format!(
            "&{{{} {} {}}}",
            self.kube.display(),
            self.apis.display(),
            "{}"
        )
    }

    fn to_json(&self) -> serde_json::Value {
        serde_json::json!({
            "KubeVersion": self.kube.to_json(),
            "APIVersions": self.apis.to_json(),
            "HelmVersion": self.helm.to_json(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kube_versions_parse_as_helm() {
        let k = KubeVersion::parse("1.33.0").unwrap();
        assert_eq!(
            (
                k.version.as_str(),
                k.normalized.as_str(),
                k.major.as_str(),
                k.minor.as_str()
            ),
            ("v1.33.0", "v1.33.0", "1", "33")
        );
        let k = KubeVersion::parse("v1.30.4-gke.1").unwrap();
        assert_eq!(
            (k.version.as_str(), k.normalized.as_str()),
            ("v1.30.4-gke.1", "v1.30.4")
        );
        assert_eq!(KubeVersion::parse("1.29").unwrap().normalized, "v1.29.0");
        assert!(KubeVersion::parse("banana").is_none());
    }

    #[test]
    fn files_methods() {
        let f = Files::new(&[
            ChartFile {
                name: "files/a.conf".into(),
                data: b"x=1\n".to_vec(),
            },
            ChartFile {
                name: "files/sub/b.txt".into(),
                data: b"l1\nl2\n".to_vec(),
            },
        ]);
        let g = f.call_method("Glob", vec![Value::from("files/*")]).unwrap();
        let Value::Object(g) = g else { panic!() };
        assert_eq!(g.entries().unwrap().len(), 1);
        let cfg = g.call_method("AsConfig", vec![]).unwrap();
        assert_eq!(cfg.as_str(), Some("a.conf: |\n  x=1"));
        let sec = g.call_method("AsSecrets", vec![]).unwrap();
        assert_eq!(sec.as_str(), Some("a.conf: eD0xCg=="));
        let lines = f
            .call_method("Lines", vec![Value::from("files/sub/b.txt")])
            .unwrap();
        assert_eq!(lines.as_list().unwrap().len(), 2);
        assert_eq!(
            f.call_method("Get", vec![Value::from("nope")])
                .unwrap()
                .as_str(),
            Some("")
        );
    }
}
