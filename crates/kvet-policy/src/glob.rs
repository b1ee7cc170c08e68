//! Globs: `*` matches within one segment, `**` across segments, `?` one character.

/// Whether `name` (a dotted package path such as `kubernetes.pods`) matches `pattern`.
pub fn matches(pattern: &str, name: &str) -> bool {
    matches_with(pattern, name, b'.')
}

/// Whether `text` matches `pattern`, with segments separated by `sep` (`.` for packages, `/`
/// for paths and rule ids).
pub fn matches_with(pattern: &str, text: &str, sep: u8) -> bool {
    fn go(p: &[u8], n: &[u8], sep: u8) -> bool {
        match p.first() {
            None => n.is_empty(),
            Some(b'*') if p.get(1) == Some(&b'*') => {
                (0..=n.len()).any(|i| go(&p[2..], &n[i..], sep))
            }
            Some(b'*') => {
                let seg = n.iter().position(|c| *c == sep).unwrap_or(n.len());
                (0..=seg).any(|i| go(&p[1..], &n[i..], sep))
            }
            Some(b'?') => n.first().is_some_and(|c| *c != sep) && go(&p[1..], &n[1..], sep),
            Some(c) => n.first() == Some(c) && go(&p[1..], &n[1..], sep),
        }
    }
    go(pattern.as_bytes(), text.as_bytes(), sep)
}

#[cfg(test)]
mod tests {
    use super::{matches, matches_with};

    #[test]
    fn globs() {
        assert!(matches("main", "main"));
        assert!(!matches("main", "main2"));
        assert!(matches("k8s.*", "k8s.pods"));
        assert!(!matches("k8s.*", "k8s.pods.extra"));
        assert!(matches("k8s.**", "k8s.pods.extra"));
        assert!(matches("*", "anything"));
        assert!(!matches("*", "a.b"));
        assert!(matches_with("charts/**", "charts/a/b.yaml", b'/'));
        assert!(matches_with("*.yaml", "a.yaml", b'/'));
        assert!(!matches_with("*.yaml", "x/a.yaml", b'/'));
        assert!(matches_with(
            "pss-*/run?sUser",
            "pss-restricted/runAsUser",
            b'/'
        ));
    }
}
