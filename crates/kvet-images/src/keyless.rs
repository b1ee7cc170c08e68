//! Keyless signatures: the signer's key is in a short-lived Fulcio certificate that names an
//! identity (an email address or a workload URI) and the OIDC issuer that vouched for it. A
//! signature counts when the certificate chains to a trusted Fulcio root, was valid when the
//! transparency log recorded the signature, is for code signing, and names an accepted
//! identity and issuer.

use crate::keys::PublicKey;
use regex::Regex;
use sha2::Digest as _;
use x509_cert::der::asn1::Utf8StringRef;
use x509_cert::der::oid::ObjectIdentifier;
use x509_cert::der::{Decode, Encode};
use x509_cert::ext::pkix::name::GeneralName;
use x509_cert::ext::pkix::{BasicConstraints, ExtendedKeyUsage, SubjectAltName};
use x509_cert::Certificate;

const OID_SAN: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.17");
const OID_EKU: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.37");
const OID_BASIC: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.19");
const OID_CODE_SIGNING: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.5.5.7.3.3");
/// Fulcio's OIDC issuer extension (DER UTF8String).
const OID_ISSUER_V2: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.4.1.57264.1.8");
/// The deprecated form (the raw string as the extension value).
const OID_ISSUER_V1: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.4.1.57264.1.1");
const ECDSA_SHA256: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.4.3.2");
const ECDSA_SHA384: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.4.3.3");
/// Chains longer than this are refused.
const MAX_CHAIN: usize = 5;

/// A string matched exactly, or by a regular expression as cosign's `…-regexp` flags match
/// (anywhere in the value unless anchored).
#[derive(Debug, Clone)]
pub enum Matcher {
    /// Equal to this.
    Exact(String),
    /// Matched by this.
    Regex(Regex),
}

impl Matcher {
    /// A regular-expression matcher.
    pub fn regex(pattern: &str) -> Result<Matcher, String> {
        Regex::new(pattern)
            .map(Matcher::Regex)
            .map_err(|e| e.to_string())
    }

    /// Whether `s` matches.
    pub fn matches(&self, s: &str) -> bool {
        match self {
            Matcher::Exact(e) => e == s,
            Matcher::Regex(r) => r.is_match(s),
        }
    }
}

impl std::fmt::Display for Matcher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Matcher::Exact(e) => write!(f, "{e}"),
            Matcher::Regex(r) => write!(f, "/{r}/"),
        }
    }
}

/// An identity a keyless signature may be made by.
#[derive(Debug, Clone)]
pub struct Identity {
    /// The certificate's subject alternative name (email or URI).
    pub subject: Matcher,
    /// The OIDC issuer that vouched for it.
    pub issuer: Matcher,
}

/// What keyless signatures are checked against.
#[derive(Debug, Clone, Default)]
pub struct Keyless {
    /// Accepted identities (any one).
    pub identities: Vec<Identity>,
    /// Trusted certificates: Fulcio roots, and intermediates the user chooses to trust.
    pub roots: Vec<Certificate>,
}

impl Keyless {
    /// Reads trusted certificates from PEM (one or more `CERTIFICATE` blocks).
    pub fn roots_from_pem(pem: &str) -> Result<Vec<Certificate>, String> {
        let certs = Certificate::load_pem_chain(pem.as_bytes())
            .map_err(|e| format!("not a PEM certificate bundle: {e}"))?;
        if certs.is_empty() {
            return Err("no certificate found".to_owned());
        }
        Ok(certs)
    }
}

/// A signer's certificate that passed every check.
#[derive(Debug, Clone)]
pub struct Signer {
    /// The certificate's public key.
    pub key: PublicKey,
    /// Its identity (email or URI).
    pub subject: String,
    /// The OIDC issuer it names.
    pub issuer: String,
    /// The trusted certificate the chain ends at, by subject.
    pub root: String,
}

/// Reads a certificate from PEM or DER.
pub fn parse_certificate(bytes: &[u8]) -> Result<Certificate, String> {
    use x509_cert::der::DecodePem;
    if bytes.starts_with(b"-----BEGIN") {
        Certificate::from_pem(bytes).map_err(|e| format!("certificate is not valid PEM: {e}"))
    } else {
        Certificate::from_der(bytes).map_err(|e| format!("certificate is not valid DER: {e}"))
    }
}

/// The public key a certificate certifies.
pub fn certificate_key(cert: &Certificate, id: &str) -> Result<PublicKey, String> {
    let spki = cert
        .tbs_certificate
        .subject_public_key_info
        .to_der()
        .map_err(|e| format!("certificate key: {e}"))?;
    PublicKey::from_spki_der(id, &spki)
}

fn extension<'c>(cert: &'c Certificate, oid: &ObjectIdentifier) -> Option<&'c [u8]> {
    cert.tbs_certificate
        .extensions
        .as_ref()?
        .iter()
        .find(|e| e.extn_id == *oid)
        .map(|e| e.extn_value.as_bytes())
}

fn valid_at(cert: &Certificate, time: i64) -> bool {
    let v = &cert.tbs_certificate.validity;
    let t = time.max(0) as u64;
    v.not_before.to_unix_duration().as_secs() <= t && t <= v.not_after.to_unix_duration().as_secs()
}

fn is_ca(cert: &Certificate) -> bool {
    extension(cert, &OID_BASIC)
        .and_then(|b| BasicConstraints::from_der(b).ok())
        .is_some_and(|b| b.ca)
}

/// Whether `issuer`'s key made `cert`'s signature.
fn signed_by(cert: &Certificate, issuer: &Certificate) -> bool {
    let Ok(key) = certificate_key(issuer, "issuer") else {
        return false;
    };
    let Ok(tbs) = cert.tbs_certificate.to_der() else {
        return false;
    };
    let digest: Vec<u8> = match cert.signature_algorithm.oid {
        ECDSA_SHA256 => sha2::Sha256::digest(&tbs).to_vec(),
        ECDSA_SHA384 => sha2::Sha384::digest(&tbs).to_vec(),
        _ => return false,
    };
    key.verify_prehash(&digest, cert.signature.raw_bytes())
}

/// A name by its common name (`CN=…`), else in full.
fn display_name(name: &x509_cert::name::Name) -> String {
    const CN: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.4.3");
    name.0
        .iter()
        .flat_map(|rdn| rdn.0.iter())
        .find(|atv| atv.oid == CN)
        .map(|atv| atv.to_string())
        .unwrap_or_else(|| name.to_string())
}

/// The identities a certificate names: emails and URIs of its subject alternative names.
pub fn subjects(cert: &Certificate) -> Vec<String> {
    let Some(san) = extension(cert, &OID_SAN).and_then(|b| SubjectAltName::from_der(b).ok()) else {
        return Vec::new();
    };
    san.0
        .iter()
        .filter_map(|n| match n {
            GeneralName::Rfc822Name(s) => Some(s.to_string()),
            GeneralName::UniformResourceIdentifier(s) => Some(s.to_string()),
            _ => None,
        })
        .collect()
}

/// The OIDC issuer a Fulcio certificate names.
pub fn oidc_issuer(cert: &Certificate) -> Option<String> {
    if let Some(b) = extension(cert, &OID_ISSUER_V2) {
        return Utf8StringRef::from_der(b)
            .ok()
            .map(|s| s.as_str().to_owned());
    }
    extension(cert, &OID_ISSUER_V1).map(|b| String::from_utf8_lossy(b).into_owned())
}

/// Checks a signer's certificate: it chains (through `chain`, untrusted, as needed) to one of
/// the trusted certificates, every certificate on the way was valid at `time` (when the log
/// recorded the signature), the intermediates are CAs, the certificate is for code signing,
/// and it names an accepted identity and issuer.
pub fn verify_certificate(
    leaf: &Certificate,
    chain: &[Certificate],
    k: &Keyless,
    time: i64,
) -> Result<Signer, String> {
    if !valid_at(leaf, time) {
        return Err(format!(
            "certificate was not valid when the signature was logged (at {time}; valid {} to {})",
            leaf.tbs_certificate.validity.not_before, leaf.tbs_certificate.validity.not_after
        ));
    }
    let eku = extension(leaf, &OID_EKU).and_then(|b| ExtendedKeyUsage::from_der(b).ok());
    if !eku.is_some_and(|e| e.0.contains(&OID_CODE_SIGNING)) {
        return Err("certificate is not for code signing".to_owned());
    }
    let mut cur = leaf.clone();
    let mut root = None;
    'up: for _ in 0..MAX_CHAIN {
        for (candidate, trusted) in k
            .roots
            .iter()
            .map(|c| (c, true))
            .chain(chain.iter().map(|c| (c, false)))
        {
            if candidate.tbs_certificate.subject != cur.tbs_certificate.issuer
                || !is_ca(candidate)
                || !valid_at(candidate, time)
                || !signed_by(&cur, candidate)
            {
                continue;
            }
            if trusted {
                root = Some(display_name(&candidate.tbs_certificate.subject));
                break 'up;
            }
            cur = candidate.clone();
            continue 'up;
        }
        break;
    }
    let Some(root) = root else {
        return Err(format!(
            "certificate issued by {} does not chain to a trusted Fulcio root",
            display_name(&leaf.tbs_certificate.issuer)
        ));
    };
    let names = subjects(leaf);
    let issuer = oidc_issuer(leaf).unwrap_or_default();
    let accepted = k
        .identities
        .iter()
        .find(|id| id.issuer.matches(&issuer) && names.iter().any(|n| id.subject.matches(n)));
    let Some(_) = accepted else {
        let wanted: Vec<String> = k
            .identities
            .iter()
            .map(|i| format!("{} from {}", i.subject, i.issuer))
            .collect();
        return Err(format!(
            "certificate identity {} from {} is not accepted (accepted: {})",
            names.first().map_or("(none)", String::as_str),
            if issuer.is_empty() {
                "(no issuer)"
            } else {
                &issuer
            },
            if wanted.is_empty() {
                "none configured".to_owned()
            } else {
                wanted.join(", ")
            }
        ));
    };
    let subject = names
        .iter()
        .find(|n| k.identities.iter().any(|i| i.subject.matches(n)))
        .cloned()
        .unwrap_or_default();
    Ok(Signer {
        key: certificate_key(leaf, &subject)?,
        subject,
        issuer,
        root,
    })
}
