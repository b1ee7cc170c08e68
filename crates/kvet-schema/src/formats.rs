//! String and number formats the API server rejects when malformed.

/// Kubernetes' quantity grammar (apimachinery `resource.Quantity`):
/// `[+-]? (digits | digits.digits | digits. | .digits) (Ki|Mi|Gi|Ti|Pi|Ei | m|""|k|M|G|T|P|E | [eE][+-]?digits)`.
pub fn is_quantity(s: &str) -> bool {
    let b = s.as_bytes();
    let mut i = 0;
    if i < b.len() && (b[i] == b'+' || b[i] == b'-') {
        i += 1;
    }
    let int_start = i;
    while i < b.len() && b[i].is_ascii_digit() {
        i += 1;
    }
    let mut digits = i - int_start;
    if i < b.len() && b[i] == b'.' {
        i += 1;
        let f = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        digits += i - f;
    }
    if digits == 0 {
        return false;
    }
    let suffix = &s[i..];
    match suffix {
        "" | "m" | "k" | "M" | "G" | "T" | "P" | "E" | "Ki" | "Mi" | "Gi" | "Ti" | "Pi" | "Ei" => {
            true
        }
        _ => {
            let Some(exp) = suffix.strip_prefix(['e', 'E']) else {
                return false;
            };
            let exp = exp.strip_prefix(['+', '-']).unwrap_or(exp);
            !exp.is_empty() && exp.bytes().all(|c| c.is_ascii_digit())
        }
    }
}

/// Standard base64 with padding, as Go's `encoding/json` decodes `[]byte` (it skips `\r` and
/// `\n`).
pub fn is_base64(s: &str) -> bool {
    use base64::Engine;
    let compact: Vec<u8> = s.bytes().filter(|b| *b != b'\n' && *b != b'\r').collect();
    base64::engine::general_purpose::STANDARD
        .decode(&compact)
        .is_ok()
}

fn digits(s: &[u8], n: usize) -> Option<u32> {
    if s.len() < n || !s[..n].iter().all(u8::is_ascii_digit) {
        return None;
    }
    std::str::from_utf8(&s[..n]).ok()?.parse().ok()
}

/// RFC 3339 date-time as Go's `time.Parse(time.RFC3339, …)` accepts it (what `metav1.Time`
/// uses): `YYYY-MM-DDTHH:MM:SS[.frac](Z|±HH:MM)`.
pub fn is_date_time(s: &str) -> bool {
    let b = s.as_bytes();
    if b.len() < 20 {
        return false;
    }
    let ok_date = digits(b, 4).is_some()
        && b[4] == b'-'
        && digits(&b[5..], 2).is_some_and(|m| (1..=12).contains(&m))
        && b[7] == b'-'
        && digits(&b[8..], 2).is_some_and(|d| (1..=31).contains(&d))
        && (b[10] == b'T' || b[10] == b't')
        && digits(&b[11..], 2).is_some_and(|h| h < 24)
        && b[13] == b':'
        && digits(&b[14..], 2).is_some_and(|m| m < 60)
        && b[16] == b':'
        && digits(&b[17..], 2).is_some_and(|x| x < 60);
    if !ok_date {
        return false;
    }
    let mut i = 19;
    if b.get(i) == Some(&b'.') {
        i += 1;
        let f = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        if i == f {
            return false;
        }
    }
    match &b[i..] {
        [b'Z' | b'z'] => true,
        [b'+' | b'-', rest @ ..] => {
            rest.len() == 5
                && digits(rest, 2).is_some_and(|h| h < 24)
                && rest[2] == b':'
                && digits(&rest[3..], 2).is_some_and(|m| m < 60)
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantities() {
        for ok in [
            "100m",
            "1Gi",
            "1.5",
            "1e3",
            "+1",
            "0.5Ki",
            "1",
            "0",
            ".5",
            "5.",
            "1E-3",
            "128974848",
            "129e6",
            "123Mi",
            "-1",
            "2Ei",
        ] {
            assert!(is_quantity(ok), "{ok} should be a quantity");
        }
        for bad in [
            "1GB", "1 Gi", "abc", "", "1gi", "Gi", ".", "1e", "1e+", "1.2.3", "1Kib", "--1", "1 ",
            "1core",
        ] {
            assert!(!is_quantity(bad), "{bad} should not be a quantity");
        }
    }

    #[test]
    fn base64() {
        assert!(is_base64("c2VjcmV0"));
        assert!(is_base64(""));
        assert!(is_base64("YWJj\nZGVm"));
        assert!(!is_base64("not base64!"));
        assert!(!is_base64("c2VjcmV0="));
        assert!(!is_base64("YWI"));
    }

    #[test]
    fn date_times() {
        assert!(is_date_time("2024-01-02T03:04:05Z"));
        assert!(is_date_time("2024-01-02T03:04:05.123456+02:00"));
        assert!(!is_date_time("2024-01-02"));
        assert!(!is_date_time("2024-13-02T03:04:05Z"));
        assert!(!is_date_time("2024-01-02 03:04:05Z"));
        assert!(!is_date_time("2024-01-02T03:04:05"));
    }
}
