//! Namespace globs: `*` matches within one dotted segment, `**` across segments.

/// Whether `name` (a dotted package path such as `kubernetes.pods`) matches `pattern`.
pub fn matches(pattern: &str, name: &str) -> bool {
    fn go(p: &[u8], n: &[u8]) -> bool {
        match p.first() {
            None => n.is_empty(),
            Some(b'*') if p.get(1) == Some(&b'*') => (0..=n.len()).any(|i| go(&p[2..], &n[i..])),
            Some(b'*') => {
                let seg = n.iter().position(|c| *c == b'.').unwrap_or(n.len());
                (0..=seg).any(|i| go(&p[1..], &n[i..]))
            }
            Some(c) => n.first() == Some(c) && go(&p[1..], &n[1..]),
        }
    }
    go(pattern.as_bytes(), name.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::matches;

    #[test]
    fn globs() {
        assert!(matches("main", "main"));
        assert!(!matches("main", "main2"));
        assert!(matches("k8s.*", "k8s.pods"));
        assert!(!matches("k8s.*", "k8s.pods.extra"));
        assert!(matches("k8s.**", "k8s.pods.extra"));
        assert!(matches("*", "anything"));
        assert!(!matches("*", "a.b"));
    }
}
