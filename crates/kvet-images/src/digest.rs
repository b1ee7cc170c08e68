//! Content digests (`sha256:<hex>`).

use sha2::{Digest as _, Sha256};

/// The `sha256:<hex>` digest of `bytes`.
pub fn sha256(bytes: &[u8]) -> String {
    let mut s = String::with_capacity(71);
    s.push_str("sha256:");
    for b in Sha256::digest(bytes) {
        s.push_str(&format!("{b:02x}"));
    }
    s
}

/// Whether `bytes` have the digest `digest` (only sha256 is computed; others never match).
pub fn matches(digest: &str, bytes: &[u8]) -> bool {
    digest.starts_with("sha256:") && sha256(bytes) == digest
}

/// The tag cosign stores a digest's legacy signatures under: `sha256-<hex>.sig`.
pub fn signature_tag(digest: &str) -> String {
    format!("{}.sig", digest.replacen(':', "-", 1))
}

/// The tag of the referrers tag-schema fallback index: `sha256-<hex>`.
pub fn referrers_tag(digest: &str) -> String {
    digest.replacen(':', "-", 1)
}

#[cfg(test)]
mod tests {
    #[test]
    fn digests_and_tags() {
        let d = super::sha256(b"");
        assert_eq!(
            d,
            "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        assert!(super::matches(&d, b""));
        assert!(!super::matches(&d, b"x"));
        assert_eq!(super::signature_tag(&d), format!("sha256-{}.sig", &d[7..]));
        assert_eq!(super::referrers_tag(&d), format!("sha256-{}", &d[7..]));
    }
}
