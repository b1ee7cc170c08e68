//! Fetching schemas named by `--schema-location`: local paths directly, URLs over HTTP with an
//! on-disk cache, so a CRD catalog is downloaded once per machine.

use sha2::{Digest, Sha256};
use std::path::PathBuf;
use std::time::Duration;

/// Reads local schema files and fetches remote ones through a cache directory.
pub struct CachingFetcher {
    cache: Option<PathBuf>,
    agent: ureq::Agent,
}

impl CachingFetcher {
    /// A fetcher caching into `dir`, or into the user's cache directory when `None`.
    pub fn new(dir: Option<PathBuf>) -> Self {
        let cache = dir.or_else(|| {
            std::env::var_os("XDG_CACHE_HOME")
                .map(PathBuf::from)
                .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))
                .map(|c| c.join("kvet").join("schemas"))
        });
        let agent = ureq::Agent::config_builder()
            .timeout_global(Some(Duration::from_secs(30)))
            .http_status_as_error(false)
            .build()
            .new_agent();
        CachingFetcher { cache, agent }
    }

    fn cache_path(&self, url: &str) -> Option<PathBuf> {
        let digest = Sha256::digest(url.as_bytes());
        let name: String = digest.iter().map(|b| format!("{b:02x}")).collect();
        self.cache.as_ref().map(|d| d.join(format!("{name}.json")))
    }

    fn fetch_url(&self, url: &str) -> Result<Option<Vec<u8>>, String> {
        if let Some(p) = self.cache_path(url) {
            if let Ok(bytes) = std::fs::read(&p) {
                return Ok(Some(bytes));
            }
        }
        let mut resp = self
            .agent
            .get(url)
            .call()
            .map_err(|e| format!("fetching {url}: {e}"))?;
        let status = resp.status().as_u16();
        if status == 404 {
            return Ok(None);
        }
        if status != 200 {
            return Err(format!("fetching {url}: HTTP {status}"));
        }
        let bytes = resp
            .body_mut()
            .with_config()
            .limit(64 << 20)
            .read_to_vec()
            .map_err(|e| format!("reading {url}: {e}"))?;
        if let Some(p) = self.cache_path(url) {
            if let Some(dir) = p.parent() {
                let _ = std::fs::create_dir_all(dir);
            }
            // Write then rename so a concurrent reader never sees half a file.
            let tmp = p.with_extension(format!("tmp{}", std::process::id()));
            if std::fs::write(&tmp, &bytes).is_ok() {
                let _ = std::fs::rename(&tmp, &p);
            }
        }
        Ok(Some(bytes))
    }
}

impl kvet_schema::SchemaFetcher for CachingFetcher {
    fn fetch(&self, location: &str) -> Result<Option<Vec<u8>>, String> {
        if location.starts_with("http://") || location.starts_with("https://") {
            return self.fetch_url(location);
        }
        let path = location.strip_prefix("file://").unwrap_or(location);
        match std::fs::read(path) {
            Ok(b) => Ok(Some(b)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(format!("reading {path}: {e}")),
        }
    }
}
