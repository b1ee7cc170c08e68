//! String formats, checked the way the Kubernetes API server decodes or validates them.
//!
//! Built-in kinds: `metav1.Time` (`date-time`), `[]byte` (`byte`), `resource.Quantity`.
//! CustomResourceDefinitions: the formats the API server validates for custom resources
//! (see [`crd_format_ok`]).

use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use base64::Engine;
use std::net::{Ipv4Addr, Ipv6Addr};

/// Whether `s` is accepted by `resource.Quantity`'s JSON decoding (`ParseQuantity` after
/// `strings.TrimSpace`), following apimachinery's scanner exactly, quirks included: the
/// number part may be empty (`"Gi"` and `"+"` both mean zero), `"1."` is allowed, and a
/// digit-less number is rejected only where Go falls back to its arbitrary-precision path
/// (exponents below -9, and `Pi` / `Ei`).
pub fn is_quantity(s: &str) -> bool {
    let s = s.trim();
    let b = s.as_bytes();
    if b.is_empty() {
        return false;
    }
    let mut pos = 0;
    if matches!(b[0], b'+' | b'-') {
        pos = 1;
    }
    let number_start = pos;
    while pos < b.len() && b[pos].is_ascii_digit() {
        pos += 1;
    }
    let int_digits = pos - number_start;
    let mut frac_digits = 0;
    if pos < b.len() && b[pos] == b'.' {
        pos += 1;
        let f = pos;
        while pos < b.len() && b[pos].is_ascii_digit() {
            pos += 1;
        }
        frac_digits = pos - f;
    }
    let has_digits = int_digits + frac_digits > 0;
    // The suffix: letters from Go's set, then an optional sign, then digits to the end.
    let suffix_start = pos;
    while pos < b.len() && b"eEinumkKMGTP".contains(&b[pos]) {
        pos += 1;
    }
    if pos < b.len() && matches!(b[pos], b'+' | b'-') {
        pos += 1;
    }
    while pos < b.len() && b[pos].is_ascii_digit() {
        pos += 1;
    }
    if pos != b.len() {
        return false;
    }
    let suffix = &s[suffix_start..];
    let Some(kind) = interpret_suffix(suffix) else {
        return false;
    };
    if has_digits {
        return true;
    }
    // No digits: Go's fast path still yields zero unless the value needs its slow path,
    // which then fails to parse the empty number.
    match kind {
        Suffix::Decimal(exponent) => exponent >= -9,
        Suffix::Binary(exponent) => exponent < 50,
    }
}

enum Suffix {
    /// Power of ten (SI suffix or `e`/`E` exponent), as Go's int32.
    Decimal(i32),
    /// Power of two (`Ki` … `Ei`).
    Binary(i32),
}

fn interpret_suffix(s: &str) -> Option<Suffix> {
    let decimal = |e| Some(Suffix::Decimal(e));
    match s {
        "n" => decimal(-9),
        "u" => decimal(-6),
        "m" => decimal(-3),
        "" => decimal(0),
        "k" => decimal(3),
        "M" => decimal(6),
        "G" => decimal(9),
        "T" => decimal(12),
        "P" => decimal(15),
        "E" => decimal(18),
        "Ki" => Some(Suffix::Binary(10)),
        "Mi" => Some(Suffix::Binary(20)),
        "Gi" => Some(Suffix::Binary(30)),
        "Ti" => Some(Suffix::Binary(40)),
        "Pi" => Some(Suffix::Binary(50)),
        "Ei" => Some(Suffix::Binary(60)),
        _ => {
            let rest = s.strip_prefix(['e', 'E']).filter(|r| !r.is_empty())?;
            // strconv.ParseInt(rest, 10, 64), then Go's int32() truncation.
            let parsed: i64 = rest.parse().ok()?;
            Some(Suffix::Decimal(parsed as i32))
        }
    }
}

/// Go's `base64.StdEncoding`: padded, non-canonical trailing bits allowed.
const GO_STD: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    GeneralPurposeConfig::new()
        .with_decode_allow_trailing_bits(true)
        .with_decode_padding_mode(DecodePaddingMode::RequireCanonical),
);

/// Whether `s` decodes as Go's `encoding/json` decodes `[]byte` (standard base64 with padding;
/// `\r` and `\n` are skipped), as `Secret.data` requires.
pub fn is_base64(s: &str) -> bool {
    if s.contains(['\r', '\n']) {
        let compact: Vec<u8> = s.bytes().filter(|b| *b != b'\n' && *b != b'\r').collect();
        GO_STD.decode(compact).is_ok()
    } else {
        GO_STD.decode(s).is_ok()
    }
}

fn two_digits(b: &[u8], at: usize) -> Option<u32> {
    let d = b.get(at..at + 2)?;
    if d.iter().all(u8::is_ascii_digit) {
        Some(u32::from(d[0] - b'0') * 10 + u32::from(d[1] - b'0'))
    } else {
        None
    }
}

fn days_in_month(year: u32, month: u32) -> u32 {
    match month {
        2 if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// `YYYY-MM-DD` with a real day of the month; returns the rest of the string.
fn full_date(b: &[u8]) -> Option<&[u8]> {
    let year = two_digits(b, 0)? * 100 + two_digits(b, 2)?;
    if b.get(4) != Some(&b'-') || b.get(7) != Some(&b'-') {
        return None;
    }
    let month = two_digits(b, 5).filter(|m| (1..=12).contains(m))?;
    two_digits(b, 8).filter(|d| *d >= 1 && *d <= days_in_month(year, month))?;
    Some(&b[10..])
}

/// `HH:MM:SS[.frac]` and a zone (`Z` or `±HH:MM`); `lenient` also takes lowercase `z`.
fn time_and_zone(b: &[u8], lenient: bool) -> bool {
    let ok = two_digits(b, 0).is_some_and(|h| h < 24)
        && b.get(2) == Some(&b':')
        && two_digits(b, 3).is_some_and(|m| m < 60)
        && b.get(5) == Some(&b':')
        && two_digits(b, 6).is_some_and(|s| s < 60);
    if !ok {
        return false;
    }
    let mut i = 8;
    // Go accepts a fractional second after the seconds even though the layout has none,
    // with a period or (since Go 1.17) a comma.
    if matches!(b.get(i), Some(b'.' | b',')) && b.get(i + 1).is_some_and(u8::is_ascii_digit) {
        i += 1;
        while b.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
    }
    match &b[i.min(b.len())..] {
        [b'Z'] => true,
        [b'z'] => lenient,
        [b'+' | b'-', rest @ ..] => {
            rest.len() == 5
                && two_digits(rest, 0).is_some_and(|h| h < 24)
                && rest[2] == b':'
                && two_digits(rest, 3).is_some_and(|m| m < 60)
        }
        _ => false,
    }
}

/// Whether `s` is accepted by `metav1.Time` (Go's `time.Parse(time.RFC3339, s)`):
/// `2006-01-02T15:04:05Z`, optional fraction, `Z` or a `±hh:mm` offset, real calendar dates.
pub fn is_date_time(s: &str) -> bool {
    let b = s.as_bytes();
    match full_date(b) {
        Some([b'T', rest @ ..]) => time_and_zone(rest, false),
        _ => false,
    }
}

/// Whether `s` is a `date-time` as the API server checks it for custom resources (go-openapi
/// `strfmt`): like [`is_date_time`], but `t` and `z` may be lowercase.
pub fn is_crd_date_time(s: &str) -> bool {
    let b = s.as_bytes();
    match full_date(b) {
        Some([b'T' | b't', rest @ ..]) => time_and_zone(rest, true),
        _ => false,
    }
}

/// Whether `s` is an RFC 3339 `full-date` such as `2006-01-02`.
pub fn is_date(s: &str) -> bool {
    full_date(s.as_bytes()).is_some_and(<[u8]>::is_empty)
}

/// Go's `net.ParseIP` (no leading zeros in IPv4 octets, no zones).
fn parse_ip(s: &str) -> bool {
    s.parse::<Ipv4Addr>().is_ok() || s.parse::<Ipv6Addr>().is_ok()
}

fn is_cidr(s: &str) -> bool {
    let Some((addr, bits)) = s.split_once('/') else {
        return false;
    };
    let max = if addr.parse::<Ipv4Addr>().is_ok() {
        32
    } else if addr.parse::<Ipv6Addr>().is_ok() {
        128
    } else {
        return false;
    };
    !bits.is_empty()
        && bits.len() <= 3
        && bits.bytes().all(|c| c.is_ascii_digit())
        && bits.parse::<u32>().is_ok_and(|n| n <= max)
}

/// Go's `net.ParseMAC`: 6, 8 or 20 octets as `xx:xx…`, `xx-xx…` or `xxxx.xxxx…`.
fn is_mac(s: &str) -> bool {
    let hex = |p: &str, n: usize| p.len() == n && p.bytes().all(|c| c.is_ascii_hexdigit());
    let octets_ok = |n: usize| n == 6 || n == 8 || n == 20;
    for sep in [':', '-'] {
        if s.contains(sep) {
            let parts: Vec<&str> = s.split(sep).collect();
            return octets_ok(parts.len()) && parts.iter().all(|p| hex(p, 2));
        }
    }
    let parts: Vec<&str> = s.split('.').collect();
    parts.len() > 1 && octets_ok(parts.len() * 2) && parts.iter().all(|p| hex(p, 4))
}

/// UUIDs as strfmt defines them: 8-4-4-4-12 hex digits, dashes optional, any case;
/// `version` additionally fixes the version digit (and the variant for 4 and 5).
fn is_uuid(s: &str, version: Option<u8>) -> bool {
    let digits: Vec<u8> = s.bytes().filter(|c| *c != b'-').collect();
    if digits.len() != 32 || !digits.iter().all(u8::is_ascii_hexdigit) {
        return false;
    }
    // Dashes may only sit at the group boundaries (after 8, 12, 16 and 20 digits).
    let mut seen = 0;
    for c in s.bytes() {
        if c == b'-' {
            if ![8, 12, 16, 20].contains(&seen) {
                return false;
            }
        } else {
            seen += 1;
        }
    }
    if s.contains("--") {
        return false;
    }
    match version {
        None => true,
        Some(v) => {
            let version_ok = digits[12] == b'0' + v;
            let variant_ok =
                v == 3 || matches!(digits[16].to_ascii_lowercase(), b'8' | b'9' | b'a' | b'b');
            version_ok && variant_ok
        }
    }
}

/// A string format kvet checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum StringFormat {
    Byte,
    /// `metav1.Time`: Go's RFC 3339 parsing.
    DateTime,
    /// go-openapi's `date-time` (lowercase `t` and `z` allowed).
    CrdDateTime,
    Date,
    Ipv4,
    Ipv6,
    Cidr,
    Mac,
    Uuid(Option<u8>),
    BsonObjectId,
    HexColor,
    Quantity,
    /// An embedded object's `apiVersion`.
    ApiVersion,
    /// An embedded object's `kind`.
    Kind,
}

impl StringFormat {
    /// The format named `format` in a CRD schema, if kvet checks it (strfmt looks names up
    /// without dashes and underscores).
    pub(crate) fn crd(format: &str) -> Option<Self> {
        let name: String = format
            .chars()
            .filter(|c| *c != '-' && *c != '_')
            .collect::<String>()
            .to_ascii_lowercase();
        Some(match name.as_str() {
            "byte" => Self::Byte,
            "datetime" => Self::CrdDateTime,
            "date" => Self::Date,
            "ipv4" => Self::Ipv4,
            "ipv6" => Self::Ipv6,
            "cidr" => Self::Cidr,
            "mac" => Self::Mac,
            "uuid" => Self::Uuid(None),
            "uuid3" => Self::Uuid(Some(3)),
            "uuid4" => Self::Uuid(Some(4)),
            "uuid5" => Self::Uuid(Some(5)),
            "bsonobjectid" => Self::BsonObjectId,
            "hexcolor" => Self::HexColor,
            _ => return None,
        })
    }

    /// Whether `s` has this format.
    pub(crate) fn check(self, s: &str) -> bool {
        match self {
            Self::Byte => is_base64(s),
            Self::DateTime => is_date_time(s),
            Self::CrdDateTime => is_crd_date_time(s),
            Self::Date => is_date(s),
            Self::Ipv4 => s.contains('.') && parse_ip(s),
            Self::Ipv6 => s.contains(':') && parse_ip(s),
            Self::Cidr => is_cidr(s),
            Self::Mac => is_mac(s),
            Self::Uuid(v) => is_uuid(s, v),
            Self::BsonObjectId => s.len() == 24 && s.bytes().all(|c| c.is_ascii_hexdigit()),
            Self::HexColor => {
                let h = s.strip_prefix('#').unwrap_or(s);
                (h.len() == 3 || h.len() == 6) && h.bytes().all(|c| c.is_ascii_hexdigit())
            }
            Self::Quantity => is_quantity(s),
            Self::ApiVersion => is_api_version(s),
            Self::Kind => is_kind(s),
        }
    }

    /// What a value of this format should have been, completing "`<value>` is …".
    pub(crate) fn expected(self) -> &'static str {
        match self {
            Self::Byte => "is not valid base64 (format byte)",
            Self::DateTime | Self::CrdDateTime => {
                "is not an RFC 3339 date-time such as 2006-01-02T15:04:05Z"
            }
            Self::Date => "is not a date such as 2006-01-02",
            Self::Ipv4 => "is not a valid IPv4 address",
            Self::Ipv6 => "is not a valid IPv6 address",
            Self::Cidr => "is not a valid CIDR such as 10.0.0.0/8",
            Self::Mac => "is not a valid MAC address",
            Self::Uuid(None) => "is not a valid UUID",
            Self::Uuid(Some(3)) => "is not a valid version 3 UUID",
            Self::Uuid(Some(4)) => "is not a valid version 4 UUID",
            Self::Uuid(Some(_)) => "is not a valid version 5 UUID",
            Self::BsonObjectId => "is not a BSON object ID (24 hexadecimal digits)",
            Self::HexColor => "is not a hex color such as #ff8800",
            Self::Quantity => {
                "is not a valid quantity (a number with an optional suffix, such as 100m, 1.5, 128Mi, 1G or 1e3)"
            }
            Self::ApiVersion => "is not a valid apiVersion (expected version or group/version)",
            Self::Kind => "is not a valid kind (letters, digits and '-', starting with a letter)",
        }
    }
}

/// String formats the API server validates in custom resources (and kvet in schemas fetched
/// from schema locations): `Some(valid)`, or `None` if kvet does not check `format` (unknown
/// formats are ignored by the API server too; `uri`, `email`, `hostname`, `duration`,
/// `isbn*`, `creditcard`, `ssn` and `rgbcolor` are checked there but not by kvet).
pub fn crd_format_ok(format: &str, s: &str) -> Option<bool> {
    StringFormat::crd(format).map(|f| f.check(s))
}

/// Whether `s` is usable as an embedded object's `apiVersion` (`version` or
/// `group/version`, as `schema.ParseGroupVersion` accepts it).
pub fn is_api_version(s: &str) -> bool {
    !s.is_empty() && s.matches('/').count() <= 1
}

/// Whether `s` is usable as an embedded object's `kind`: lowercased, a DNS-1035 label.
pub fn is_kind(s: &str) -> bool {
    let b = s.as_bytes();
    !b.is_empty()
        && b.len() <= 63
        && b[0].is_ascii_alphabetic()
        && b.last().is_some_and(u8::is_ascii_alphanumeric)
        && b.iter().all(|c| c.is_ascii_alphanumeric() || *c == b'-')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantities_accepted_by_parse_quantity() {
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
            "1E",
            "128974848",
            "129e6",
            "123Mi",
            "-1",
            "2Ei",
            "1n",
            "250u",
            "1e+3",
            "1.5Gi",
            "1k",
            "1Ti",
            "1Pi",
            "00",
            "007",
            " 1Gi",
            "1Gi ",
            "\t2\n",
            // apimachinery quirks: a missing number reads as zero.
            "Gi",
            "m",
            "+",
            "-",
            ".",
            "e3",
            "e-9",
            "Ti",
            // Exponent parsed as int64, then truncated to int32 as Go does.
            "1e99999999999",
        ] {
            assert!(is_quantity(ok), "{ok:?} should be a quantity");
        }
    }

    #[test]
    fn quantities_rejected_by_parse_quantity() {
        for bad in [
            "",
            " ",
            "1GB",
            "1 Gi",
            "abc",
            "1gi",
            "1Kib",
            "1ki",
            "1e",
            "1e+",
            "1.2.3",
            "--1",
            "1core",
            "1 core",
            "1e3Mi",
            "1Mi3",
            "1i",
            "1mi",
            "0x10",
            "1,5",
            "1_000",
            "1e99999999999999999999",
            "Pi",
            "Ei",
            "e-10",
            "-e-10",
            "½",
        ] {
            assert!(!is_quantity(bad), "{bad:?} should not be a quantity");
        }
    }

    #[test]
    fn base64_as_go_decodes_bytes() {
        for ok in [
            "c2VjcmV0",
            "",
            "YWJj\nZGVm",
            "YWJj\r\nZGVm\n",
            "YQ==",
            "YR==",
            "YWI=",
        ] {
            assert!(is_base64(ok), "{ok:?}");
        }
        for bad in [
            "not base64!",
            "YQ",
            "YWI",
            "c2VjcmV0=",
            "YQ=",
            "c2Vj cmV0",
            "c2VjcmV0_-",
        ] {
            assert!(!is_base64(bad), "{bad:?}");
        }
    }

    #[test]
    fn date_times_as_metav1_time() {
        for ok in [
            "2024-01-02T03:04:05Z",
            "2024-01-02T03:04:05.123Z",
            "2024-01-02T03:04:05,5Z",
            "2024-01-02T03:04:05+05:30",
            "2024-02-29T00:00:00-00:00",
        ] {
            assert!(is_date_time(ok), "{ok}");
        }
        for bad in [
            "2024-01-02",
            "2024-13-02T03:04:05Z",
            "2023-02-29T03:04:05Z",
            "2024-04-31T03:04:05Z",
            "2024-01-02 03:04:05Z",
            "2024-01-02T03:04:05",
            "2024-01-02t03:04:05Z",
            "2024-01-02T03:04:05z",
            "2024-01-02T24:00:00Z",
            "2024-01-02T03:04:60Z",
            "2024-01-02T03:04:05.Z",
            "2024-01-02T03:04:05+0530",
            "24-01-02T03:04:05Z",
        ] {
            assert!(!is_date_time(bad), "{bad}");
        }
        assert!(is_crd_date_time("2024-01-02t03:04:05z"));
        assert!(is_date("2024-02-29") && !is_date("2023-02-29") && !is_date("2024-1-2"));
    }

    #[test]
    fn crd_formats() {
        let cases = [
            ("ipv4", "10.0.0.1", true),
            ("ipv4", "10.0.0.256", false),
            ("ipv4", "::1", false),
            ("ipv6", "fe80::1", true),
            ("ipv6", "10.0.0.1", false),
            ("cidr", "10.0.0.0/8", true),
            ("cidr", "fd00::/64", true),
            ("cidr", "10.0.0.0/33", false),
            ("cidr", "10.0.0.0", false),
            ("mac", "00:1a:2B:3c:4d:5e", true),
            ("mac", "00-1a-2b-3c-4d-5e", true),
            ("mac", "001a.2b3c.4d5e", true),
            ("mac", "00:1a:2b", false),
            ("uuid", "123e4567-e89b-12d3-a456-426614174000", true),
            ("uuid", "123E4567E89B12D3A456426614174000", true),
            ("uuid", "123e4567-e89b-12d3-a456-42661417400", false),
            ("uuid", "123e-4567e89b-12d3-a456-426614174000", false),
            ("uuid4", "123e4567-e89b-42d3-a456-426614174000", true),
            ("uuid4", "123e4567-e89b-42d3-c456-426614174000", false),
            ("uuid3", "123e4567-e89b-32d3-c456-426614174000", true),
            ("bsonobjectid", "507f1f77bcf86cd799439011", true),
            ("bsonobjectid", "507f1f77bcf86cd79943901", false),
            ("hexcolor", "#fFf", true),
            ("hexcolor", "#ffff", false),
            ("date-time", "2024-01-02T03:04:05Z", true),
            ("date_time", "nope", false),
            ("byte", "YQ==", true),
            ("date", "2024-01-02", true),
        ];
        for (format, s, want) in cases {
            assert_eq!(crd_format_ok(format, s), Some(want), "{format} {s}");
        }
        assert_eq!(crd_format_ok("email", "nope"), None);
        assert_eq!(crd_format_ok("int32", "1"), None);
    }

    #[test]
    fn embedded_type_meta() {
        assert!(is_api_version("v1") && is_api_version("apps/v1"));
        assert!(!is_api_version("") && !is_api_version("a/b/c"));
        assert!(is_kind("Deployment") && is_kind("My-Kind2"));
        assert!(!is_kind("") && !is_kind("2Kind") && !is_kind("My_Kind") && !is_kind("Kind-"));
    }
}
