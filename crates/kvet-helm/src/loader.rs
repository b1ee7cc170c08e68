//! Loading charts from directories and `.tgz` archives, as Helm's chart loader does,
//! within limits: total size, file count, no path traversal, no links.

use crate::chart::{Chart, ChartFile, Metadata};
use crate::error::HelmError;
use crate::ignore::IgnoreRules;
use serde_json::{Map as JsonMap, Value as Json};
use std::io::Read;
use std::path::{Path, PathBuf};

/// Bounds on what a chart may contain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadLimits {
    /// Total uncompressed bytes of all files (Helm: 100 MiB).
    pub max_total_bytes: u64,
    /// Largest single file (Helm: 5 MiB).
    pub max_file_bytes: u64,
    /// Number of files, subcharts included.
    pub max_files: usize,
    /// Nesting of subcharts within subcharts.
    pub max_chart_depth: usize,
}

impl Default for LoadLimits {
    fn default() -> Self {
        LoadLimits {
            max_total_bytes: 100 << 20,
            max_file_bytes: 5 << 20,
            max_files: 10_000,
            max_chart_depth: 16,
        }
    }
}

/// Loads charts from directories and archives.
#[derive(Debug, Clone, Default)]
pub struct ChartLoader {
    limits: LoadLimits,
}

/// A file read from a chart source, before it is sorted into templates, values, files.
struct RawFile {
    name: String,
    data: Vec<u8>,
}

impl ChartLoader {
    /// A loader with the default limits.
    pub fn new() -> ChartLoader {
        ChartLoader::default()
    }

    /// A loader with these limits.
    pub fn with_limits(limits: LoadLimits) -> ChartLoader {
        ChartLoader { limits }
    }

    /// Loads a chart from a directory or a `.tgz` archive.
    pub fn load(&self, path: &Path) -> Result<Chart, HelmError> {
        let meta = std::fs::symlink_metadata(path).map_err(|e| io_err(path, e))?;
        if meta.is_dir() {
            self.load_dir(path)
        } else {
            let bytes = std::fs::read(path).map_err(|e| io_err(path, e))?;
            self.load_archive(&bytes, path)
        }
    }

    /// Loads a chart directory, honouring its `.helmignore`.
    pub fn load_dir(&self, dir: &Path) -> Result<Chart, HelmError> {
        let mut rules = IgnoreRules::default();
        let ignore_file = dir.join(".helmignore");
        if ignore_file.is_file() {
            let text =
                std::fs::read_to_string(&ignore_file).map_err(|e| io_err(&ignore_file, e))?;
            rules = IgnoreRules::parse(&text).map_err(|(line, message)| HelmError::Yaml {
                file: ignore_file.display().to_string(),
                line: line as u32,
                column: 1,
                message,
            })?;
        }
        rules.add_defaults();
        let mut files = Vec::new();
        let mut total = 0u64;
        self.walk(dir, dir, "", &rules, &mut files, &mut total)?;
        self.load_files(files, dir.to_path_buf(), 0)
    }

    fn walk(
        &self,
        root: &Path,
        dir: &Path,
        prefix: &str,
        rules: &IgnoreRules,
        out: &mut Vec<RawFile>,
        total: &mut u64,
    ) -> Result<(), HelmError> {
        let mut entries: Vec<(String, PathBuf)> = std::fs::read_dir(dir)
            .map_err(|e| io_err(dir, e))?
            .filter_map(|e| e.ok())
            .map(|e| (e.file_name().to_string_lossy().into_owned(), e.path()))
            .collect();
        // Go's filepath.Walk visits names in lexical (byte) order.
        entries.sort();
        for (name, path) in entries {
            let rel = if prefix.is_empty() {
                name.clone()
            } else {
                format!("{prefix}/{name}")
            };
            let meta = std::fs::symlink_metadata(&path).map_err(|e| io_err(&path, e))?;
            if meta.file_type().is_symlink() {
                if rules.ignore(&rel, path.is_dir()) {
                    continue;
                }
                return Err(HelmError::Io {
                    path,
                    message: "symbolic links are not allowed in a chart".into(),
                });
            }
            if meta.is_dir() {
                if rules.ignore(&rel, true) {
                    continue;
                }
                self.walk(root, &path, &rel, rules, out, total)?;
                continue;
            }
            if rules.ignore(&rel, false) {
                continue;
            }
            if !meta.is_file() {
                return Err(HelmError::Io {
                    path,
                    message: "cannot load irregular file".into(),
                });
            }
            if meta.len() > self.limits.max_file_bytes {
                return Err(HelmError::Limit {
                    path,
                    message: format!(
                        "chart file is larger than the maximum file size {}",
                        self.limits.max_file_bytes
                    ),
                });
            }
            *total += meta.len();
            if *total > self.limits.max_total_bytes {
                return Err(HelmError::Limit {
                    path: root.to_path_buf(),
                    message: format!(
                        "chart is larger than the maximum size {}",
                        self.limits.max_total_bytes
                    ),
                });
            }
            if out.len() >= self.limits.max_files {
                return Err(HelmError::Limit {
                    path: root.to_path_buf(),
                    message: format!("chart has more than {} files", self.limits.max_files),
                });
            }
            let data = std::fs::read(&path).map_err(|e| io_err(&path, e))?;
            out.push(RawFile {
                name: rel,
                data: strip_bom(data),
            });
        }
        Ok(())
    }

    /// Loads a chart from files held in memory (path inside the chart, `/`-separated → bytes),
    /// as [`ChartLoader::load_dir`] loads a directory holding those files: `.helmignore`
    /// honoured, the same limits, names in the same order. `origin` names the chart in errors
    /// and source paths.
    pub fn load_memory(
        &self,
        files: &[(String, Vec<u8>)],
        origin: &Path,
    ) -> Result<Chart, HelmError> {
        let mut cleaned: Vec<(Vec<String>, &[u8])> = Vec::with_capacity(files.len());
        for (name, data) in files {
            let n = name.replace('\\', "/");
            let bad = |message: &str| HelmError::Io {
                path: origin.join(&n),
                message: message.to_owned(),
            };
            if n.starts_with('/') {
                return Err(bad("chart illegally contains absolute paths"));
            }
            let c = clean_path(&n);
            if c == "." || c.starts_with("..") {
                return Err(bad("chart illegally references parent directory"));
            }
            cleaned.push((c.split('/').map(str::to_owned).collect(), data));
        }
        // A directory walk visits each directory's names in byte order: sorting by path
        // components gives the same order.
        cleaned.sort_by(|a, b| a.0.cmp(&b.0));
        let mut rules = IgnoreRules::default();
        if let Some((_, text)) = cleaned
            .iter()
            .find(|(p, _)| p.len() == 1 && p[0] == ".helmignore")
        {
            let file = origin.join(".helmignore").display().to_string();
            let text = std::str::from_utf8(text).map_err(|e| HelmError::Io {
                path: origin.join(".helmignore"),
                message: e.to_string(),
            })?;
            rules = IgnoreRules::parse(text).map_err(|(line, message)| HelmError::Yaml {
                file,
                line: line as u32,
                column: 1,
                message,
            })?;
        }
        rules.add_defaults();
        let mut out = Vec::new();
        let mut total = 0u64;
        for (parts, data) in cleaned {
            let ignored_dir = (1..parts.len()).any(|i| rules.ignore(&parts[..i].join("/"), true));
            let rel = parts.join("/");
            if ignored_dir || rules.ignore(&rel, false) {
                continue;
            }
            let path = origin.join(&rel);
            if data.len() as u64 > self.limits.max_file_bytes {
                return Err(HelmError::Limit {
                    path,
                    message: format!(
                        "chart file is larger than the maximum file size {}",
                        self.limits.max_file_bytes
                    ),
                });
            }
            total += data.len() as u64;
            if total > self.limits.max_total_bytes {
                return Err(HelmError::Limit {
                    path: origin.to_path_buf(),
                    message: format!(
                        "chart is larger than the maximum size {}",
                        self.limits.max_total_bytes
                    ),
                });
            }
            if out.len() >= self.limits.max_files {
                return Err(HelmError::Limit {
                    path: origin.to_path_buf(),
                    message: format!("chart has more than {} files", self.limits.max_files),
                });
            }
            out.push(RawFile {
                name: rel,
                data: strip_bom(data.to_vec()),
            });
        }
        self.load_files(out, origin.to_path_buf(), 0)
    }

    /// Loads a chart from the bytes of a `.tgz` archive; `origin` names it in errors and
    /// source paths.
    pub fn load_archive(&self, bytes: &[u8], origin: &Path) -> Result<Chart, HelmError> {
        self.load_archive_at(bytes, origin, 0)
    }

    fn load_archive_at(
        &self,
        bytes: &[u8],
        origin: &Path,
        depth: usize,
    ) -> Result<Chart, HelmError> {
        let archive_err = |message: String| HelmError::Archive {
            path: origin.to_path_buf(),
            message,
        };
        let mut decoded = Vec::new();
        let limit = self
            .limits
            .max_total_bytes
            .saturating_add(self.limits.max_files as u64 * 1024 + 4096);
        flate2::read::MultiGzDecoder::new(bytes)
            .take(limit + 1)
            .read_to_end(&mut decoded)
            .map_err(|e| archive_err(format!("not a gzip archive: {e}")))?;
        if decoded.len() as u64 > limit {
            return Err(HelmError::Limit {
                path: origin.to_path_buf(),
                message: format!(
                    "decompressed chart is larger than the maximum size {}",
                    self.limits.max_total_bytes
                ),
            });
        }
        let entries = crate::tar::read_entries(&decoded).map_err(archive_err)?;
        let mut files = Vec::new();
        let mut total = 0u64;
        for e in entries {
            let delim = if e.name.contains('\\') { '\\' } else { '/' };
            let parts: Vec<&str> = e.name.split(delim).collect();
            if parts[0] == "Chart.yaml" {
                return Err(archive_err("chart yaml not in base directory".into()));
            }
            let n = parts[1..].join("/");
            if n.starts_with('/') {
                return Err(archive_err(
                    "chart illegally contains absolute paths".into(),
                ));
            }
            let n = clean_path(&n);
            if n == "." || n.is_empty() {
                return Err(archive_err(format!(
                    "chart illegally contains content outside the base directory: {:?}",
                    e.name
                )));
            }
            if n.starts_with("..") {
                return Err(archive_err(
                    "chart illegally references parent directory".into(),
                ));
            }
            let b = n.as_bytes();
            if b.len() >= 2 && b[0].is_ascii_alphabetic() && b[1] == b':' {
                return Err(archive_err("chart contains illegally named files".into()));
            }
            if e.data.len() as u64 > self.limits.max_file_bytes {
                return Err(HelmError::Limit {
                    path: origin.to_path_buf(),
                    message: format!(
                        "decompressed chart file {:?} is larger than the maximum file size {}",
                        e.name, self.limits.max_file_bytes
                    ),
                });
            }
            total += e.data.len() as u64;
            if total > self.limits.max_total_bytes {
                return Err(HelmError::Limit {
                    path: origin.to_path_buf(),
                    message: format!(
                        "decompressed chart is larger than the maximum size {}",
                        self.limits.max_total_bytes
                    ),
                });
            }
            if files.len() >= self.limits.max_files {
                return Err(HelmError::Limit {
                    path: origin.to_path_buf(),
                    message: format!("chart has more than {} files", self.limits.max_files),
                });
            }
            files.push(RawFile {
                name: n,
                data: strip_bom(e.data),
            });
        }
        if files.is_empty() {
            return Err(archive_err("no files in chart archive".into()));
        }
        self.load_files(files, origin.to_path_buf(), depth)
    }

    fn load_files(
        &self,
        files: Vec<RawFile>,
        origin: PathBuf,
        depth: usize,
    ) -> Result<Chart, HelmError> {
        if depth > self.limits.max_chart_depth {
            return Err(HelmError::Limit {
                path: origin,
                message: format!(
                    "subcharts are nested deeper than {} levels",
                    self.limits.max_chart_depth
                ),
            });
        }
        let disp = |name: &str| origin.join(name).display().to_string();
        let mut metadata: Option<Metadata> = None;
        for f in &files {
            if f.name == "Chart.yaml" {
                let file = disp("Chart.yaml");
                let json = parse_yaml(&f.data, &file, false)?;
                let mut md = Metadata::from_json(&json, &file)?;
                if md.api_version.is_empty() {
                    md.api_version = "v1".into();
                }
                metadata = Some(md);
            }
        }
        let mut values = JsonMap::new();
        let mut schema = None;
        let mut templates = Vec::new();
        let mut other = Vec::new();
        let mut subcharts: Vec<(String, Vec<RawFile>)> = Vec::new();
        for f in files {
            match f.name.as_str() {
                "Chart.yaml" | "Chart.lock" | "requirements.lock" => {
                    if f.name == "requirements.lock"
                        && metadata.as_ref().is_some_and(|m| m.api_version == "v1")
                    {
                        other.push(ChartFile {
                            name: f.name,
                            data: f.data,
                        });
                    }
                }
                "values.yaml" => {
                    let file = disp("values.yaml");
                    values = match parse_yaml(&f.data, &file, true)? {
                        Json::Null => JsonMap::new(),
                        Json::Object(o) => o,
                        _ => {
                            return Err(HelmError::Yaml {
                                file,
                                line: 1,
                                column: 1,
                                message: "cannot load values.yaml: the top level is not a map"
                                    .into(),
                            })
                        }
                    };
                }
                "values.schema.json" => schema = Some(f.data),
                "requirements.yaml" => {
                    let file = disp("requirements.yaml");
                    let json = parse_yaml(&f.data, &file, false)?;
                    let md = metadata.get_or_insert_with(Metadata::default);
                    md.merge_json(&json, &file)?;
                    if md.api_version == "v1" {
                        other.push(ChartFile {
                            name: f.name,
                            data: f.data,
                        });
                    }
                }
                n if n.starts_with("templates/") => templates.push(ChartFile {
                    name: f.name,
                    data: f.data,
                }),
                n if n.starts_with("charts/") => {
                    if n.ends_with(".prov") {
                        other.push(ChartFile {
                            name: f.name,
                            data: f.data,
                        });
                        continue;
                    }
                    let rest = &n["charts/".len()..];
                    let cname = rest.split('/').next().unwrap_or(rest).to_owned();
                    let inner = RawFile {
                        name: rest.to_owned(),
                        data: f.data,
                    };
                    match subcharts.iter_mut().find(|(c, _)| *c == cname) {
                        Some((_, v)) => v.push(inner),
                        None => subcharts.push((cname, vec![inner])),
                    }
                }
                _ => other.push(ChartFile {
                    name: f.name,
                    data: f.data,
                }),
            }
        }
        let Some(metadata) = metadata else {
            return Err(HelmError::Chart {
                file: disp("Chart.yaml"),
                message: "Chart.yaml file is missing".into(),
            });
        };
        metadata.validate(&disp("Chart.yaml"))?;
        let mut chart = Chart {
            metadata,
            values,
            schema,
            templates,
            files: other,
            dependencies: Vec::new(),
            origin: origin.clone(),
        };
        for (cname, files) in subcharts {
            if cname.starts_with('_') || cname.starts_with('.') {
                continue;
            }
            let sub_origin = origin.join("charts").join(&cname);
            let sub = if cname.ends_with(".tgz") {
                let Some(file) = files.into_iter().find(|f| f.name == cname) else {
                    return Err(HelmError::Archive {
                        path: sub_origin,
                        message: format!("error unpacking subchart tar in {}", chart.name()),
                    });
                };
                self.load_archive_at(&file.data, &sub_origin, depth + 1)?
            } else {
                let inner: Vec<RawFile> = files
                    .into_iter()
                    .filter_map(|f| {
                        let (_, rest) = f.name.split_once('/')?;
                        Some(RawFile {
                            name: rest.to_owned(),
                            data: f.data,
                        })
                    })
                    .collect();
                self.load_files(inner, sub_origin, depth + 1)?
            };
            chart.dependencies.push(sub);
        }
        Ok(chart)
    }
}

fn io_err(path: &Path, e: std::io::Error) -> HelmError {
    HelmError::Io {
        path: path.to_path_buf(),
        message: e.to_string(),
    }
}

fn strip_bom(mut data: Vec<u8>) -> Vec<u8> {
    if data.starts_with(&[0xEF, 0xBB, 0xBF]) {
        data.drain(..3);
    }
    data
}

/// Go's `path.Clean` for relative slash paths.
fn clean_path(p: &str) -> String {
    let mut out: Vec<&str> = Vec::new();
    for part in p.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                if out.last().is_some_and(|l| *l != "..") {
                    out.pop();
                } else {
                    out.push("..");
                }
            }
            x => out.push(x),
        }
    }
    if out.is_empty() {
        ".".into()
    } else {
        out.join("/")
    }
}

/// Parses one YAML document as Helm (sigs.k8s.io/yaml) does; with `floats`, every number
/// becomes a float64, as Go's JSON decoding into `interface{}` makes it.
pub(crate) fn parse_yaml(data: &[u8], file: &str, floats: bool) -> Result<Json, HelmError> {
    let text = std::str::from_utf8(data).map_err(|e| HelmError::Yaml {
        file: file.to_owned(),
        line: 0,
        column: 0,
        message: format!("not UTF-8: {e}"),
    })?;
    let doc =
        kvet_yaml::parse_one(text, &kvet_yaml::Limits::default()).map_err(|e| HelmError::Yaml {
            file: file.to_owned(),
            line: e.span.start.line,
            column: e.span.start.column,
            message: e.message,
        })?;
    let value = doc.map(|d| d.value).unwrap_or(Json::Null);
    Ok(if floats { to_floats(value) } else { value })
}

/// Turns every number into a float64 (what Go's JSON decoder gives `interface{}`).
pub(crate) fn to_floats(v: Json) -> Json {
    match v {
        Json::Number(n) => n
            .as_f64()
            .and_then(serde_json::Number::from_f64)
            .map(Json::Number)
            .unwrap_or(Json::Null),
        Json::Array(a) => Json::Array(a.into_iter().map(to_floats).collect()),
        Json::Object(o) => Json::Object(o.into_iter().map(|(k, v)| (k, to_floats(v))).collect()),
        v => v,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn tgz(entries: &[(&str, &[u8], u8)]) -> Vec<u8> {
        let tar = crate::tar::write_entries(entries);
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(&tar).unwrap();
        gz.finish().unwrap()
    }

    const CHART: &[u8] = b"apiVersion: v2\nname: demo\nversion: 0.1.0\n";

    #[test]
    fn archive_loads_and_strips_the_top_directory() {
        let bytes = tgz(&[
            ("demo/Chart.yaml", CHART, b'0'),
            ("demo/values.yaml", b"replicas: 2\n", b'0'),
            ("demo/templates/a.yaml", b"kind: A\n", b'0'),
            ("demo/files/x.txt", b"x", b'0'),
        ]);
        let c = ChartLoader::new()
            .load_archive(&bytes, Path::new("demo.tgz"))
            .unwrap();
        assert_eq!(c.name(), "demo");
        assert_eq!(c.templates[0].name, "templates/a.yaml");
        assert_eq!(c.files[0].name, "files/x.txt");
        assert_eq!(c.values["replicas"].as_f64(), Some(2.0));
        assert!(c.values["replicas"].as_i64().is_none());
    }

    #[test]
    fn archive_refuses_traversal_links_and_bombs() {
        let err = |entries: &[(&str, &[u8], u8)]| {
            ChartLoader::new()
                .load_archive(&tgz(entries), Path::new("x.tgz"))
                .unwrap_err()
                .to_string()
        };
        assert!(err(&[
            ("demo/Chart.yaml", CHART, b'0'),
            ("demo/../../etc/passwd", b"x", b'0')
        ])
        .contains("parent directory"));
        assert!(err(&[
            ("demo/Chart.yaml", CHART, b'0'),
            ("demo/templates/l", b"", b'2')
        ])
        .contains("links"));
        assert!(err(&[("Chart.yaml", CHART, b'0')]).contains("not in base directory"));
        let big = vec![b'a'; 2 << 20];
        let small = ChartLoader::with_limits(LoadLimits {
            max_total_bytes: 1 << 20,
            ..LoadLimits::default()
        });
        let e = small
            .load_archive(
                &tgz(&[("demo/Chart.yaml", CHART, b'0'), ("demo/big", &big, b'0')]),
                Path::new("b.tgz"),
            )
            .unwrap_err();
        assert!(matches!(e, HelmError::Limit { .. }), "{e}");
        assert!(ChartLoader::new()
            .load_archive(b"not gzip", Path::new("n.tgz"))
            .is_err());
    }

    #[test]
    fn directory_errors_are_located() {
        let dir = tempfile::tempdir().unwrap();
        let e = ChartLoader::new().load(dir.path()).unwrap_err();
        assert!(e.to_string().contains("Chart.yaml file is missing"), "{e}");
        std::fs::write(dir.path().join("Chart.yaml"), "apiVersion: v2\nname: [\n").unwrap();
        match ChartLoader::new().load(dir.path()).unwrap_err() {
            HelmError::Yaml { file, line, .. } => {
                assert!(file.ends_with("Chart.yaml"));
                assert!(line >= 2);
            }
            e => panic!("{e}"),
        }
        std::fs::write(dir.path().join("Chart.yaml"), "apiVersion: v2\nname: x\n").unwrap();
        let e = ChartLoader::new().load(dir.path()).unwrap_err();
        assert!(e.to_string().contains("version is required"), "{e}");
    }

    #[test]
    fn memory_loads_like_a_directory() {
        let files = vec![
            ("Chart.yaml".to_owned(), CHART.to_vec()),
            (".helmignore".to_owned(), b"skipped/\n*.bak\n".to_vec()),
            ("values.yaml".to_owned(), b"replicas: 2\n".to_vec()),
            ("templates/b.yaml".to_owned(), b"kind: B\n".to_vec()),
            ("templates/a.yaml".to_owned(), b"kind: A\n".to_vec()),
            ("templates/.hidden".to_owned(), b"x".to_vec()),
            ("skipped/x.txt".to_owned(), b"x".to_vec()),
            ("notes.bak".to_owned(), b"x".to_vec()),
            ("files/x.txt".to_owned(), b"x".to_vec()),
            (
                "charts/sub/Chart.yaml".to_owned(),
                b"apiVersion: v2\nname: sub\nversion: 1.0.0\n".to_vec(),
            ),
        ];
        let dir = tempfile::tempdir().unwrap();
        for (name, data) in &files {
            let p = dir.path().join(name);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, data).unwrap();
        }
        let m = ChartLoader::new()
            .load_memory(&files, Path::new("demo"))
            .unwrap();
        let d = ChartLoader::new().load_dir(dir.path()).unwrap();
        let names = |c: &Chart| {
            (
                c.templates
                    .iter()
                    .map(|t| t.name.clone())
                    .collect::<Vec<_>>(),
                c.files.iter().map(|t| t.name.clone()).collect::<Vec<_>>(),
            )
        };
        assert_eq!(names(&m), names(&d));
        assert_eq!(
            names(&m).0,
            vec!["templates/a.yaml".to_owned(), "templates/b.yaml".to_owned()]
        );
        assert_eq!(
            names(&m).1,
            vec![".helmignore".to_owned(), "files/x.txt".to_owned()]
        );
        assert_eq!(m.values, d.values);
        assert_eq!(m.dependencies.len(), 1);
        assert_eq!(m.dependencies[0].name(), "sub");
        assert_eq!(
            m.file_path("templates/a.yaml"),
            Path::new("demo/templates/a.yaml")
        );
        let e = ChartLoader::new()
            .load_memory(&[("../x".to_owned(), vec![])], Path::new("demo"))
            .unwrap_err();
        assert!(e.to_string().contains("parent directory"), "{e}");
    }

    #[cfg(unix)]
    #[test]
    fn directory_symlinks_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("Chart.yaml"), CHART).unwrap();
        std::os::unix::fs::symlink("/etc/passwd", dir.path().join("passwd")).unwrap();
        let e = ChartLoader::new().load(dir.path()).unwrap_err();
        assert!(e.to_string().contains("symbolic links"), "{e}");
    }
}
