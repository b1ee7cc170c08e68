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

impl KubeVersion {
    /// The version `major.minor`.
    pub const fn new(major: u32, minor: u32) -> Self {
        KubeVersion { major, minor }
    }
}

impl fmt::Display for KubeVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.major, self.minor)
    }
}

fn number(s: &str) -> Option<u32> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

impl FromStr for KubeVersion {
    type Err = SchemaError;

    /// Accepts `1.30`, `v1.30`, `1.30.2` and what `kubectl version` prints for a server such
    /// as `v1.30.2-gke.1200` (the patch and anything after it are ignored).
    fn from_str(s: &str) -> Result<Self, SchemaError> {
        let bad = || SchemaError::BadVersion(s.to_owned());
        let t = s.trim();
        let t = t.strip_prefix('v').unwrap_or(t);
        let mut parts = t.splitn(3, '.');
        let major = parts.next().and_then(number).ok_or_else(bad)?;
        let minor = parts.next().and_then(number).ok_or_else(bad)?;
        if let Some(rest) = parts.next() {
            // The patch, optionally followed by a pre-release or build suffix.
            let end = rest.find(['-', '+']).unwrap_or(rest.len());
            number(&rest[..end]).ok_or_else(bad)?;
        }
        Ok(KubeVersion { major, minor })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(s: &str) -> Option<KubeVersion> {
        s.parse().ok()
    }

    #[test]
    fn parses_the_usual_spellings() {
        let want = Some(KubeVersion::new(1, 30));
        for s in [
            "1.30",
            "v1.30",
            "1.30.2",
            "v1.30.2",
            " 1.30 ",
            "v1.30.2-gke.1200",
            "1.30.0+k3s1",
        ] {
            assert_eq!(v(s), want, "{s}");
        }
        for s in [
            "", "1", "1.", "v", "1.x", "1.30.", "1.30.x", "1.30.2.1", "one.two", "1.-3", "1.+3",
        ] {
            assert_eq!(v(s), None, "{s}");
        }
        assert_eq!(KubeVersion::new(1, 30).to_string(), "1.30");
        assert!(KubeVersion::new(1, 9) < KubeVersion::new(1, 30));
    }
}
