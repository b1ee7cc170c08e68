//! File access through a small trait, so the same build runs on disk (CLI) and in memory (WASM).

use std::collections::BTreeMap;

/// Largest file a kustomization may read, in bytes.
pub const MAX_FILE_BYTES: u64 = 64 << 20;

/// Read-only access to the files a kustomization names. Paths use `/` separators.
pub trait FileSystem {
    /// The whole file as UTF-8 text.
    fn read(&self, path: &str) -> Result<String, String>;
    /// Whether `path` is a directory.
    fn is_dir(&self, path: &str) -> bool;
    /// Whether `path` is a regular file.
    fn is_file(&self, path: &str) -> bool;
    /// The whole file as bytes (charts may hold binary files).
    fn read_bytes(&self, path: &str) -> Result<Vec<u8>, String> {
        self.read(path).map(String::into_bytes)
    }
    /// The names of the entries of directory `path`, sorted.
    fn list(&self, path: &str) -> Result<Vec<String>, String>;
}

/// Files on disk.
#[derive(Debug, Default, Clone, Copy)]
pub struct DiskFs;

#[cfg(not(target_family = "wasm"))]
impl FileSystem for DiskFs {
    fn read(&self, path: &str) -> Result<String, String> {
        let meta = std::fs::metadata(path).map_err(io_message)?;
        if meta.len() > MAX_FILE_BYTES {
            return Err(format!(
                "file is {} bytes, larger than the limit of {MAX_FILE_BYTES} bytes",
                meta.len()
            ));
        }
        let bytes = std::fs::read(path).map_err(io_message)?;
        String::from_utf8(bytes).map_err(|_| "file is not UTF-8 text".to_owned())
    }
    fn is_dir(&self, path: &str) -> bool {
        std::path::Path::new(path).is_dir()
    }
    fn is_file(&self, path: &str) -> bool {
        std::path::Path::new(path).is_file()
    }
    fn read_bytes(&self, path: &str) -> Result<Vec<u8>, String> {
        let meta = std::fs::metadata(path).map_err(io_message)?;
        if meta.len() > MAX_FILE_BYTES {
            return Err(format!(
                "file is {} bytes, larger than the limit",
                meta.len()
            ));
        }
        std::fs::read(path).map_err(io_message)
    }
    fn list(&self, path: &str) -> Result<Vec<String>, String> {
        let mut names: Vec<String> = std::fs::read_dir(path)
            .map_err(io_message)?
            .filter_map(Result::ok)
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        Ok(names)
    }
}

#[cfg(target_family = "wasm")]
impl FileSystem for DiskFs {
    fn read(&self, _path: &str) -> Result<String, String> {
        Err("no filesystem in this build".to_owned())
    }
    fn is_dir(&self, _path: &str) -> bool {
        false
    }
    fn is_file(&self, _path: &str) -> bool {
        false
    }
    fn list(&self, _path: &str) -> Result<Vec<String>, String> {
        Err("no filesystem in this build".to_owned())
    }
}

#[cfg(not(target_family = "wasm"))]
fn io_message(e: std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "no such file or directory".to_owned(),
        _ => e.to_string(),
    }
}

/// Files held in memory, keyed by normalized path; directories are implied by their files.
#[derive(Debug, Default, Clone)]
pub struct MemFs {
    files: BTreeMap<String, String>,
}

impl MemFs {
    /// An empty tree.
    pub fn new() -> Self {
        MemFs::default()
    }
    /// Adds (or replaces) one file.
    pub fn insert(&mut self, path: &str, text: impl Into<String>) {
        self.files.insert(normalize(path), text.into());
    }
}

impl FileSystem for MemFs {
    fn read(&self, path: &str) -> Result<String, String> {
        self.files
            .get(&normalize(path))
            .cloned()
            .ok_or_else(|| "no such file or directory".to_owned())
    }
    fn is_dir(&self, path: &str) -> bool {
        let p = normalize(path);
        if p == "." || p.is_empty() {
            return !self.files.is_empty();
        }
        let prefix = format!("{p}/");
        self.files
            .range(prefix.clone()..)
            .next()
            .is_some_and(|(k, _)| k.starts_with(&prefix))
    }
    fn is_file(&self, path: &str) -> bool {
        self.files.contains_key(&normalize(path))
    }
    fn list(&self, path: &str) -> Result<Vec<String>, String> {
        let p = normalize(path);
        let prefix = if p == "." {
            String::new()
        } else {
            format!("{p}/")
        };
        let mut names: Vec<String> = self
            .files
            .keys()
            .filter_map(|k| k.strip_prefix(&prefix))
            .map(|rest| rest.split('/').next().unwrap_or(rest).to_owned())
            .collect();
        names.dedup();
        if names.is_empty() {
            return Err("no such file or directory".to_owned());
        }
        Ok(names)
    }
}

/// Joins `rel` onto directory `dir` and drops `.` and `..` components lexically.
pub fn join(dir: &str, rel: &str) -> String {
    if rel.starts_with('/') {
        return normalize(rel);
    }
    if dir.is_empty() || dir == "." {
        return normalize(rel);
    }
    normalize(&format!("{dir}/{rel}"))
}

/// Lexically cleaned path: no `.`, no `..` that can be resolved, no doubled or trailing `/`.
pub fn normalize(path: &str) -> String {
    let path = path.replace('\\', "/");
    let absolute = path.starts_with('/');
    let mut parts: Vec<&str> = Vec::new();
    for c in path.split('/') {
        match c {
            "" | "." => {}
            ".." => {
                if parts.last().is_some_and(|l| *l != "..") {
                    parts.pop();
                } else if !absolute {
                    parts.push("..");
                }
            }
            other => parts.push(other),
        }
    }
    let joined = parts.join("/");
    if absolute {
        format!("/{joined}")
    } else if joined.is_empty() {
        ".".to_owned()
    } else {
        joined
    }
}

/// The directory part of a path.
pub fn parent(path: &str) -> String {
    match path.rfind('/') {
        Some(0) => "/".to_owned(),
        Some(i) => path[..i].to_owned(),
        None => ".".to_owned(),
    }
}

/// The last component of a path.
pub fn base_name(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

/// `to` relative to directory `from`, lexically (both normalized the same way).
pub fn relative(from: &str, to: &str) -> String {
    let from = normalize(from);
    let to = normalize(to);
    let split = |p: &str| -> Vec<String> {
        if p == "." {
            Vec::new()
        } else {
            p.split('/').map(str::to_owned).collect()
        }
    };
    let (a, b) = (split(&from), split(&to));
    let common = a.iter().zip(&b).take_while(|(x, y)| x == y).count();
    let mut parts: Vec<String> = vec!["..".to_owned(); a.len() - common];
    parts.extend(b[common..].iter().cloned());
    if parts.is_empty() {
        ".".to_owned()
    } else {
        parts.join("/")
    }
}
