//! Kubernetes versions (major.minor).

use crate::SchemaError;
use std::fmt;
use std::str::FromStr;

/// A Kubernetes minor version such as 1.37.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct KubeVersion {
    /// Always 1 today.
    pub major: u32,
    /// The minor release.
    pub minor: u32,
}

impl fmt::Display for KubeVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.major, self.minor)
    }
}

impl FromStr for KubeVersion {
    type Err = SchemaError;
    /// Accepts `1.30`, `v1.30`, `1.30.2`.
    fn from_str(s: &str) -> Result<Self, SchemaError> {
        let bad = || SchemaError::BadVersion(s.to_owned());
        let t = s.trim().trim_start_matches('v');
        let mut parts = t.split('.');
        let major = parts.next().and_then(|p| p.parse().ok()).ok_or_else(bad)?;
        let minor = parts.next().and_then(|p| p.parse().ok()).ok_or_else(bad)?;
        if let Some(patch) = parts.next() {
            patch.parse::<u32>().map_err(|_| bad())?;
        }
        if parts.next().is_some() {
            return Err(bad());
        }
        Ok(KubeVersion { major, minor })
    }
}
