//! Reading the embedded schema bundles: one zstd frame per Kubernetes minor, decompressed on
//! first use; definitions parsed from JSON only when a validator needs them.

use crate::version::KubeVersion;
use crate::SchemaError;
use serde_json::Value;
use std::collections::HashMap;
use std::io::Read;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

include!(concat!(env!("OUT_DIR"), "/embedded.rs"));

/// The Kubernetes versions embedded in this build, ascending.
pub fn embedded_versions() -> Vec<KubeVersion> {
    EMBEDDED
        .iter()
        .map(|(minor, _)| KubeVersion {
            major: 1,
            minor: *minor,
        })
        .collect()
}

/// One version's definitions: an index into a blob of compact JSON.
pub(crate) struct Bundle {
    defs: HashMap<Box<str>, (u32, u32)>,
    gvks: HashMap<Box<str>, Box<str>>,
    blob: Vec<u8>,
    parsed: AtomicUsize,
}

static CACHE: OnceLock<Mutex<HashMap<u32, Arc<Bundle>>>> = OnceLock::new();

/// The bundle for `version`, decompressed once per process.
pub(crate) fn load(version: KubeVersion) -> Result<Arc<Bundle>, SchemaError> {
    let cache = CACHE.get_or_init(|| Mutex::new(HashMap::new()));
    let mut guard = cache
        .lock()
        .map_err(|_| SchemaError::Bundle("schema cache poisoned".into()))?;
    if let Some(b) = guard.get(&version.minor) {
        return Ok(b.clone());
    }
    let bytes = EMBEDDED
        .iter()
        .find(|(m, _)| version.major == 1 && *m == version.minor)
        .map(|(_, b)| *b)
        .ok_or_else(|| SchemaError::UnknownVersion {
            version: version.to_string(),
            available: embedded_versions()
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(", "),
        })?;
    let bundle = Arc::new(Bundle::decode(bytes)?);
    guard.insert(version.minor, bundle.clone());
    Ok(bundle)
}

struct Cursor<'a> {
    data: &'a [u8],
    pos: usize,
}

impl<'a> Cursor<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], SchemaError> {
        let end = self.pos.checked_add(n).filter(|e| *e <= self.data.len());
        let end = end.ok_or_else(|| SchemaError::Bundle("truncated schema bundle".into()))?;
        let s = &self.data[self.pos..end];
        self.pos = end;
        Ok(s)
    }
    fn u16(&mut self) -> Result<usize, SchemaError> {
        let b = self.take(2)?;
        Ok(u16::from_le_bytes([b[0], b[1]]) as usize)
    }
    fn u32(&mut self) -> Result<u32, SchemaError> {
        let b = self.take(4)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }
    fn str(&mut self) -> Result<&'a str, SchemaError> {
        let n = self.u16()?;
        std::str::from_utf8(self.take(n)?)
            .map_err(|_| SchemaError::Bundle("bad name in schema bundle".into()))
    }
}

impl Bundle {
    fn decode(compressed: &[u8]) -> Result<Bundle, SchemaError> {
        let mut raw = Vec::with_capacity(compressed.len() * 14);
        ruzstd::decoding::StreamingDecoder::new(compressed)
            .map_err(|e| SchemaError::Bundle(format!("schema bundle: {e}")))?
            .read_to_end(&mut raw)
            .map_err(|e| SchemaError::Bundle(format!("schema bundle: {e}")))?;
        let mut c = Cursor { data: &raw, pos: 0 };
        if c.take(4)? != b"KVS1" {
            return Err(SchemaError::Bundle("not a kvet schema bundle".into()));
        }
        let n = c.u32()? as usize;
        let mut defs = HashMap::with_capacity(n);
        let mut names = Vec::with_capacity(n);
        for _ in 0..n {
            let name: Box<str> = c.str()?.into();
            let off = c.u32()?;
            let len = c.u32()?;
            names.push(name.clone());
            defs.insert(name, (off, len));
        }
        let g = c.u32()? as usize;
        let mut gvks = HashMap::with_capacity(g);
        for _ in 0..g {
            let key: Box<str> = c.str()?.into();
            let idx = c.u32()? as usize;
            let name = names
                .get(idx)
                .cloned()
                .ok_or_else(|| SchemaError::Bundle("bad index in schema bundle".into()))?;
            gvks.insert(key, name);
        }
        let blob_len = c.u32()? as usize;
        let start = c.pos;
        c.take(blob_len)?;
        let blob = raw[start..start + blob_len].to_vec();
        Ok(Bundle {
            defs,
            gvks,
            blob,
            parsed: AtomicUsize::new(0),
        })
    }

    /// The definition name for `apiVersion` + `kind`.
    pub(crate) fn gvk(&self, api_version: &str, kind: &str) -> Option<&str> {
        self.gvks
            .get(format!("{api_version} {kind}").as_str())
            .map(|s| &**s)
    }

    /// Parses one definition.
    pub(crate) fn definition(&self, name: &str) -> Option<Value> {
        let (off, len) = *self.defs.get(name)?;
        let bytes = self.blob.get(off as usize..(off as usize + len as usize))?;
        self.parsed.fetch_add(1, Ordering::Relaxed);
        serde_json::from_slice(bytes).ok()
    }

    /// How many definitions have been parsed so far (lazy loading is observable in tests).
    pub(crate) fn parsed_count(&self) -> usize {
        self.parsed.load(Ordering::Relaxed)
    }

    /// Number of definitions in the bundle.
    pub(crate) fn len(&self) -> usize {
        self.defs.len()
    }
}
