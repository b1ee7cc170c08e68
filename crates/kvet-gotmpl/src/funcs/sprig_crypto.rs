//! Sprig's key, certificate, password-hash and cipher functions: `genPrivateKey`, `genCA`,
//! `genSelfSignedCert`, `genSignedCert` (and their `…WithKey` forms), `buildCustomCert`,
//! `bcrypt`, `htpasswd`, `derivePassword`, `encryptAES`, `decryptAES`.
//!
//! Keys and certificates have the shapes Go's `crypto/x509` gives sprig: RSA keys as PKCS#1
//! (`RSA PRIVATE KEY`), P-256 keys as SEC 1 (`EC PRIVATE KEY`), Ed25519 keys as PKCS#8
//! (`PRIVATE KEY`); certificates carry the same extensions in the same order. Randomness comes
//! from the environment's source, so a seeded environment renders the same bytes every time.

use super::sprig::{arg_int, arg_str, SprigEnv};
use super::{FuncMap, ParamType as T, Params};
use crate::error::FuncError;
use crate::value::{Map, Value};
use base64::Engine as _;
use std::net::IpAddr;
use std::str::FromStr;
use x509_cert::der::asn1::{
    Any, BitString, GeneralizedTime, Ia5String, ObjectIdentifier, OctetString, SetOfVec, UtcTime,
};
use x509_cert::der::{Decode, Encode, Tag};
use x509_cert::ext::pkix::name::GeneralName;
use x509_cert::ext::pkix::{
    AuthorityKeyIdentifier, BasicConstraints, ExtendedKeyUsage, KeyUsage, KeyUsages,
    SubjectAltName, SubjectKeyIdentifier,
};
use x509_cert::ext::Extension;
use x509_cert::name::{Name, RdnSequence, RelativeDistinguishedName};
use x509_cert::spki::{AlgorithmIdentifierOwned, SubjectPublicKeyInfoOwned};
use x509_cert::time::{Time, Validity};
use x509_cert::{Certificate, TbsCertificate, Version};

const OID_CN: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.4.3");
const OID_KEY_USAGE: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.15");
const OID_EXT_KEY_USAGE: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.37");
const OID_BASIC_CONSTRAINTS: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.19");
const OID_SUBJECT_KEY_ID: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.14");
const OID_AUTHORITY_KEY_ID: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.35");
const OID_SUBJECT_ALT_NAME: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.17");
const OID_SERVER_AUTH: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.5.5.7.3.1");
const OID_CLIENT_AUTH: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.5.5.7.3.2");
const OID_SHA256_WITH_RSA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.11");
const OID_ECDSA_WITH_SHA256: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.4.3.2");
const OID_ED25519: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.101.112");

/// Registers the key, certificate, password and cipher functions.
pub fn register(m: &mut FuncMap, env: &SprigEnv) {
    let e = env.clone();
    m.register("genPrivateKey", Params::fixed(&[T::String]), move |_, a| {
        let typ = arg_str(&a, 0);
        let key = match typ {
            "" | "rsa" => PrivateKey::generate_rsa(&e, 4096)?,
            "ecdsa" => PrivateKey::generate_ecdsa(&e),
            "ed25519" => PrivateKey::generate_ed25519(&e),
            "dsa" => return Err("genPrivateKey \"dsa\" is not supported by kvet's renderer".into()),
            other => return Ok(format!("Unknown type {other}").into()),
        };
        Ok(key.to_pem()?.into())
    });
    m.register(
        "buildCustomCert",
        Params::fixed(&[T::String, T::String]),
        |_, a| build_custom_cert(arg_str(&a, 0), arg_str(&a, 1)),
    );
    let e = env.clone();
    m.register("genCA", Params::fixed(&[T::String, T::Int]), move |_, a| {
        let key = PrivateKey::generate_rsa(&e, 2048)?;
        gen_ca(&e, arg_str(&a, 0), arg_int(&a, 1), key)
    });
    let e = env.clone();
    m.register(
        "genCAWithKey",
        Params::fixed(&[T::String, T::Int, T::String]),
        move |_, a| {
            let key = PrivateKey::parse_pem(arg_str(&a, 2))
                .map_err(|err| format!("parsing private key: {err}"))?;
            gen_ca(&e, arg_str(&a, 0), arg_int(&a, 1), key)
        },
    );
    let e = env.clone();
    m.register(
        "genSelfSignedCert",
        Params::fixed(&[T::String, T::List, T::List, T::Int]),
        move |_, a| {
            let key = PrivateKey::generate_rsa(&e, 2048)?;
            gen_self_signed(&e, &a, key)
        },
    );
    let e = env.clone();
    m.register(
        "genSelfSignedCertWithKey",
        Params::fixed(&[T::String, T::List, T::List, T::Int, T::String]),
        move |_, a| {
            let key = PrivateKey::parse_pem(arg_str(&a, 4))
                .map_err(|err| format!("parsing private key: {err}"))?;
            gen_self_signed(&e, &a, key)
        },
    );
    let e = env.clone();
    m.register(
        "genSignedCert",
        Params::fixed(&[T::String, T::List, T::List, T::Int, T::Any]),
        move |_, a| {
            let key = PrivateKey::generate_rsa(&e, 2048)?;
            gen_signed(&e, &a, key)
        },
    );
    let e = env.clone();
    m.register(
        "genSignedCertWithKey",
        Params::fixed(&[T::String, T::List, T::List, T::Int, T::Any, T::String]),
        move |_, a| {
            let key = PrivateKey::parse_pem(arg_str(&a, 5))
                .map_err(|err| format!("parsing private key: {err}"))?;
            gen_signed(&e, &a, key)
        },
    );
    let e = env.clone();
    m.register("bcrypt", Params::fixed(&[T::String]), move |_, a| {
        Ok(bcrypt_hash(&e, arg_str(&a, 0)).into())
    });
    let e = env.clone();
    m.register(
        "htpasswd",
        Params::fixed(&[T::String, T::String]),
        move |_, a| {
            let user = arg_str(&a, 0);
            Ok(if user.contains(':') {
                format!("invalid username: {user}")
            } else {
                format!("{user}:{}", bcrypt_hash(&e, arg_str(&a, 1)))
            }
            .into())
        },
    );
    m.register(
        "derivePassword",
        Params::fixed(&[T::Int, T::String, T::String, T::String, T::String]),
        |_, a| {
            Ok(derive_password(
                arg_int(&a, 0) as u32,
                arg_str(&a, 1),
                arg_str(&a, 2),
                arg_str(&a, 3),
                arg_str(&a, 4),
            )
            .into())
        },
    );
    let e = env.clone();
    m.register(
        "encryptAES",
        Params::fixed(&[T::String, T::String]),
        move |_, a| Ok(encrypt_aes(&e, arg_str(&a, 0), arg_str(&a, 1)).into()),
    );
    m.register(
        "decryptAES",
        Params::fixed(&[T::String, T::String]),
        |_, a| Ok(decrypt_aes(arg_str(&a, 0), arg_str(&a, 1))?.into()),
    );
}

/// The environment's random source as a `rand_core` generator for key generation.
struct EnvRng<'a>(&'a SprigEnv);

impl rand_core::RngCore for EnvRng<'_> {
    fn next_u32(&mut self) -> u32 {
        let mut b = [0u8; 4];
        self.0.fill(&mut b);
        u32::from_le_bytes(b)
    }
    fn next_u64(&mut self) -> u64 {
        let mut b = [0u8; 8];
        self.0.fill(&mut b);
        u64::from_le_bytes(b)
    }
    fn fill_bytes(&mut self, dest: &mut [u8]) {
        self.0.fill(dest)
    }
    fn try_fill_bytes(&mut self, dest: &mut [u8]) -> Result<(), rand_core::Error> {
        self.0.fill(dest);
        Ok(())
    }
}

impl rand_core::CryptoRng for EnvRng<'_> {}

/// A private key of a kind Go's `x509.CreateCertificate` can sign with.
enum PrivateKey {
    Rsa(Box<rsa::RsaPrivateKey>),
    Ecdsa(p256::SecretKey),
    Ed25519(ed25519_dalek::SigningKey),
}

impl PrivateKey {
    fn generate_rsa(env: &SprigEnv, bits: usize) -> Result<PrivateKey, FuncError> {
        rsa::RsaPrivateKey::new(&mut EnvRng(env), bits)
            .map(|k| PrivateKey::Rsa(Box::new(k)))
            .map_err(|e| format!("error generating rsa key: {e}").into())
    }

    fn generate_ecdsa(env: &SprigEnv) -> PrivateKey {
        PrivateKey::Ecdsa(p256::SecretKey::random(&mut EnvRng(env)))
    }

    fn generate_ed25519(env: &SprigEnv) -> PrivateKey {
        let mut seed = [0u8; 32];
        env.fill(&mut seed);
        PrivateKey::Ed25519(ed25519_dalek::SigningKey::from_bytes(&seed))
    }

    /// The key as Go's `pemBlockForKey` writes it.
    fn to_pem(&self) -> Result<String, FuncError> {
        let fail =
            |e: &dyn std::fmt::Display| FuncError::from(format!("error pem-encoding key: {e}"));
        Ok(match self {
            PrivateKey::Rsa(k) => {
                use rsa::pkcs1::EncodeRsaPrivateKey;
                let der = k.to_pkcs1_der().map_err(|e| fail(&e))?;
                pem_encode("RSA PRIVATE KEY", der.as_bytes())
            }
            PrivateKey::Ecdsa(k) => {
                let der = k.to_sec1_der().map_err(|e| fail(&e))?;
                pem_encode("EC PRIVATE KEY", &der)
            }
            PrivateKey::Ed25519(k) => {
                // PKCS#8 version 1 without the optional public key, as Go marshals it.
                let mut der = vec![
                    0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04,
                    0x22, 0x04, 0x20,
                ];
                der.extend_from_slice(&k.to_bytes());
                pem_encode("PRIVATE KEY", &der)
            }
        })
    }

    /// Parses a PEM private key as sprig's `parsePrivateKeyPEM` does.
    fn parse_pem(text: &str) -> Result<PrivateKey, String> {
        let (label, der) = pem_decode(text).ok_or("no PEM data in input")?;
        if label == "PRIVATE KEY" {
            // rsa, p256 and ed25519-dalek share one pkcs8 crate, so one trait import serves.
            use ed25519_dalek::pkcs8::DecodePrivateKey as _;
            if let Ok(k) = rsa::RsaPrivateKey::from_pkcs8_der(&der) {
                return Ok(PrivateKey::Rsa(Box::new(k)));
            }
            if let Ok(k) = p256::SecretKey::from_pkcs8_der(&der) {
                return Ok(PrivateKey::Ecdsa(k));
            }
            if let Ok(k) = ed25519_dalek::SigningKey::from_pkcs8_der(&der) {
                return Ok(PrivateKey::Ed25519(k));
            }
            return Err("decoding PEM as PKCS#8: not an RSA, P-256 or Ed25519 key".into());
        }
        let Some(kind) = label.strip_suffix(" PRIVATE KEY") else {
            return Err(format!("no private key data in PEM block of type {label}"));
        };
        match kind {
            "RSA" => {
                use rsa::pkcs1::DecodeRsaPrivateKey;
                rsa::RsaPrivateKey::from_pkcs1_der(&der)
                    .map(|k| PrivateKey::Rsa(Box::new(k)))
                    .map_err(|e| format!("parsing RSA private key from PEM: {e}"))
            }
            "EC" => p256::SecretKey::from_sec1_der(&der)
                .map(PrivateKey::Ecdsa)
                .map_err(|e| {
                    format!("parsing EC private key from PEM: {e} (only P-256 keys are supported)")
                }),
            "DSA" => Err("DSA keys cannot sign certificates".into()),
            _ => Err(format!("invalid private key type {label}")),
        }
    }

    fn public_key_info(&self) -> Result<SubjectPublicKeyInfoOwned, String> {
        let der = match self {
            PrivateKey::Rsa(k) => {
                use rsa::pkcs8::EncodePublicKey;
                k.to_public_key()
                    .to_public_key_der()
                    .map_err(|e| e.to_string())?
            }
            PrivateKey::Ecdsa(k) => {
                use p256::pkcs8::EncodePublicKey;
                k.public_key()
                    .to_public_key_der()
                    .map_err(|e| e.to_string())?
            }
            PrivateKey::Ed25519(k) => {
                use ed25519_dalek::pkcs8::EncodePublicKey;
                k.verifying_key()
                    .to_public_key_der()
                    .map_err(|e| e.to_string())?
            }
        };
        SubjectPublicKeyInfoOwned::from_der(der.as_bytes()).map_err(|e| e.to_string())
    }

    /// The signature algorithm Go picks for this signing key.
    fn signature_algorithm(&self) -> AlgorithmIdentifierOwned {
        match self {
            PrivateKey::Rsa(_) => AlgorithmIdentifierOwned {
                oid: OID_SHA256_WITH_RSA,
                parameters: Some(Any::null()),
            },
            PrivateKey::Ecdsa(_) => AlgorithmIdentifierOwned {
                oid: OID_ECDSA_WITH_SHA256,
                parameters: None,
            },
            PrivateKey::Ed25519(_) => AlgorithmIdentifierOwned {
                oid: OID_ED25519,
                parameters: None,
            },
        }
    }

    fn sign(&self, message: &[u8]) -> Result<Vec<u8>, String> {
        match self {
            PrivateKey::Rsa(k) => {
                use rsa::signature::{SignatureEncoding, Signer};
                let signer = rsa::pkcs1v15::SigningKey::<sha2::Sha256>::new((**k).clone());
                let sig = signer.try_sign(message).map_err(|e| e.to_string())?;
                Ok(sig.to_vec())
            }
            PrivateKey::Ecdsa(k) => {
                use p256::ecdsa::signature::Signer;
                let signer = p256::ecdsa::SigningKey::from(k);
                let sig: p256::ecdsa::Signature =
                    signer.try_sign(message).map_err(|e| e.to_string())?;
                Ok(sig.to_der().as_bytes().to_vec())
            }
            PrivateKey::Ed25519(k) => {
                use ed25519_dalek::Signer;
                Ok(k.sign(message).to_bytes().to_vec())
            }
        }
    }
}

/// Go's `pem.EncodeToMemory` without headers.
fn pem_encode(label: &str, der: &[u8]) -> String {
    let body = base64::engine::general_purpose::STANDARD.encode(der);
    let mut out = format!("-----BEGIN {label}-----\n");
    for chunk in body.as_bytes().chunks(64) {
        out.push_str(std::str::from_utf8(chunk).unwrap_or_default());
        out.push('\n');
    }
    out.push_str(&format!("-----END {label}-----\n"));
    out
}

/// The first PEM block in `text`: its type and decoded bytes (headers skipped).
fn pem_decode(text: &str) -> Option<(String, Vec<u8>)> {
    let start = text.find("-----BEGIN ")?;
    let rest = &text[start + 11..];
    let label_end = rest.find("-----")?;
    let label = &rest[..label_end];
    if label.contains('\n') {
        return None;
    }
    let body = &rest[label_end + 5..];
    let end = body.find(&format!("-----END {label}-----"))?;
    let b64: String = body[..end]
        .lines()
        .filter(|l| !l.contains(':'))
        .flat_map(|l| l.chars().filter(|c| !c.is_whitespace()))
        .collect();
    let der = base64::engine::general_purpose::STANDARD.decode(b64).ok()?;
    Some((label.to_string(), der))
}

/// A certificate and its key, as sprig's `certificate` struct (`.Cert`, `.Key`).
fn certificate_value(cert: String, key: String) -> Value {
    let m = Map::new();
    m.insert("Cert", cert.into());
    m.insert("Key", key.into());
    Value::Map(m)
}

/// Go's `pkix.Name{CommonName: cn}` as an RDN sequence.
fn common_name(cn: &str) -> Result<Name, String> {
    if cn.is_empty() {
        return Ok(RdnSequence(Vec::new()));
    }
    // Go writes PrintableString when every character allows it, UTF8String otherwise.
    let printable = cn
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b" '()+,-./:=?*&".contains(&b));
    let tag = if printable {
        Tag::PrintableString
    } else {
        Tag::Utf8String
    };
    let value = Any::new(tag, cn.as_bytes()).map_err(|e| e.to_string())?;
    let atv = x509_cert::attr::AttributeTypeAndValue { oid: OID_CN, value };
    let rdn = RelativeDistinguishedName(SetOfVec::try_from(vec![atv]).map_err(|e| e.to_string())?);
    Ok(RdnSequence(vec![rdn]))
}

/// A certificate time: UTCTime before 2050, GeneralizedTime from then on, as Go encodes it.
fn cert_time(secs: i64) -> Result<Time, String> {
    let d = std::time::Duration::from_secs(
        u64::try_from(secs).map_err(|_| "certificate validity before 1970".to_string())?,
    );
    const Y2050: i64 = 2_524_608_000;
    if secs < Y2050 {
        UtcTime::from_unix_duration(d)
            .map(Time::UtcTime)
            .map_err(|e| e.to_string())
    } else {
        GeneralizedTime::from_unix_duration(d)
            .map(Time::GeneralTime)
            .map_err(|e| e.to_string())
    }
}

fn extension(
    oid: ObjectIdentifier,
    critical: bool,
    value: &impl Encode,
) -> Result<Extension, String> {
    let der = value.to_der().map_err(|e| e.to_string())?;
    Ok(Extension {
        extn_id: oid,
        critical,
        extn_value: OctetString::new(der).map_err(|e| e.to_string())?,
    })
}

/// What sprig's `getBaseCertTemplate` sets, plus what differs for a CA.
struct CertRequest {
    cn: String,
    ips: Vec<IpAddr>,
    dns: Vec<String>,
    days: i64,
    is_ca: bool,
}

impl CertRequest {
    fn from_args(a: &[Value]) -> Result<CertRequest, FuncError> {
        let ips = a[1]
            .as_list()
            .unwrap_or_default()
            .iter()
            .map(|v| match v.as_str() {
                Some(s) => IpAddr::from_str(s).map_err(|_| format!("error parsing ip: {s}")),
                None => Err(format!(
                    "error parsing ip: {} is not a string",
                    super::sprig::sprint_v(v)
                )),
            })
            .collect::<Result<Vec<_>, _>>()?;
        let dns = a[2]
            .as_list()
            .unwrap_or_default()
            .iter()
            .map(|v| {
                v.as_str().map(str::to_string).ok_or_else(|| {
                    format!(
                        "error processing alternate dns name: {} is not a string",
                        super::sprig::sprint_v(v)
                    )
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(CertRequest {
            cn: arg_str(a, 0).to_string(),
            ips,
            dns,
            days: arg_int(a, 3),
            is_ca: false,
        })
    }
}

/// The signing side: the issuer's name, key, and subject key id.
struct Issuer<'a> {
    name: Name,
    key: &'a PrivateKey,
    key_id: Option<Vec<u8>>,
}

/// Creates and signs a certificate for `subject_key`, as Go's `x509.CreateCertificate` does
/// for sprig's templates; returns the PEM certificate and the PEM subject key.
fn create_certificate(
    env: &SprigEnv,
    req: &CertRequest,
    subject_key: &PrivateKey,
    issuer: Option<Issuer<'_>>,
) -> Result<Value, FuncError> {
    let fail = |e: String| FuncError::from(format!("error creating certificate: {e}"));
    let mut serial = [0u8; 16];
    env.fill(&mut serial);
    let serial = x509_cert::serial_number::SerialNumber::new(trim_leading_zeros(&serial))
        .map_err(|e| fail(e.to_string()))?;
    let now = env.now().secs;
    let validity = Validity {
        not_before: cert_time(now).map_err(fail)?,
        not_after: cert_time(now.saturating_add(req.days.saturating_mul(86_400))).map_err(fail)?,
    };
    let subject = common_name(&req.cn).map_err(fail)?;
    let spki = subject_key.public_key_info().map_err(fail)?;

    let mut usages = KeyUsages::KeyEncipherment | KeyUsages::DigitalSignature;
    if req.is_ca {
        usages |= KeyUsages::KeyCertSign;
    }
    let mut extensions = vec![
        extension(OID_KEY_USAGE, true, &KeyUsage(usages)).map_err(fail)?,
        extension(
            OID_EXT_KEY_USAGE,
            false,
            &ExtendedKeyUsage(vec![OID_SERVER_AUTH, OID_CLIENT_AUTH]),
        )
        .map_err(fail)?,
        extension(
            OID_BASIC_CONSTRAINTS,
            true,
            &BasicConstraints {
                ca: req.is_ca,
                path_len_constraint: None,
            },
        )
        .map_err(fail)?,
    ];
    if req.is_ca {
        use sha1::Digest;
        let id = sha1::Sha1::digest(spki.subject_public_key.raw_bytes()).to_vec();
        let ski = SubjectKeyIdentifier(OctetString::new(id).map_err(|e| fail(e.to_string()))?);
        extensions.push(extension(OID_SUBJECT_KEY_ID, false, &ski).map_err(fail)?);
    }
    let (issuer_name, signing_key, issuer_key_id) = match issuer {
        Some(i) => (i.name, i.key, i.key_id),
        None => (subject.clone(), subject_key, None),
    };
    let same_name = issuer_name.to_der().ok() == subject.to_der().ok();
    if let (false, Some(id)) = (same_name, issuer_key_id) {
        let aki = AuthorityKeyIdentifier {
            key_identifier: Some(OctetString::new(id).map_err(|e| fail(e.to_string()))?),
            authority_cert_issuer: None,
            authority_cert_serial_number: None,
        };
        extensions.push(extension(OID_AUTHORITY_KEY_ID, false, &aki).map_err(fail)?);
    }
    if !req.dns.is_empty() || !req.ips.is_empty() {
        let mut names = Vec::new();
        for d in &req.dns {
            let s = Ia5String::new(d)
                .map_err(|_| fail(format!("x509: {d:?} cannot be encoded as an IA5String")))?;
            names.push(GeneralName::DnsName(s));
        }
        for ip in &req.ips {
            let bytes = match ip {
                IpAddr::V4(v4) => v4.octets().to_vec(),
                IpAddr::V6(v6) => v6.octets().to_vec(),
            };
            names.push(GeneralName::IpAddress(
                OctetString::new(bytes).map_err(|e| fail(e.to_string()))?,
            ));
        }
        // Critical only when the subject is empty (RFC 5280 4.2.1.6).
        extensions.push(
            extension(
                OID_SUBJECT_ALT_NAME,
                subject.0.is_empty(),
                &SubjectAltName(names),
            )
            .map_err(fail)?,
        );
    }

    let algorithm = signing_key.signature_algorithm();
    let tbs = TbsCertificate {
        version: Version::V3,
        serial_number: serial,
        signature: algorithm.clone(),
        issuer: issuer_name,
        validity,
        subject,
        subject_public_key_info: spki,
        issuer_unique_id: None,
        subject_unique_id: None,
        extensions: Some(extensions),
    };
    let tbs_der = tbs.to_der().map_err(|e| fail(e.to_string()))?;
    let signature = signing_key.sign(&tbs_der).map_err(fail)?;
    let cert = Certificate {
        tbs_certificate: tbs,
        signature_algorithm: algorithm,
        signature: BitString::from_bytes(&signature).map_err(|e| fail(e.to_string()))?,
    };
    let der = cert.to_der().map_err(|e| fail(e.to_string()))?;
    Ok(certificate_value(
        pem_encode("CERTIFICATE", &der),
        subject_key.to_pem()?,
    ))
}

fn trim_leading_zeros(b: &[u8]) -> &[u8] {
    let first = b
        .iter()
        .position(|&x| x != 0)
        .unwrap_or(b.len().saturating_sub(1));
    &b[first..]
}

fn gen_ca(env: &SprigEnv, cn: &str, days: i64, key: PrivateKey) -> Result<Value, FuncError> {
    let req = CertRequest {
        cn: cn.to_string(),
        ips: Vec::new(),
        dns: Vec::new(),
        days,
        is_ca: true,
    };
    create_certificate(env, &req, &key, None)
}

fn gen_self_signed(env: &SprigEnv, a: &[Value], key: PrivateKey) -> Result<Value, FuncError> {
    let req = CertRequest::from_args(a)?;
    create_certificate(env, &req, &key, None)
}

fn gen_signed(env: &SprigEnv, a: &[Value], key: PrivateKey) -> Result<Value, FuncError> {
    let ca = &a[4];
    let field = |name: &str| -> String {
        ca.as_map()
            .and_then(|m| m.get(name))
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default()
    };
    let (_, cert_der) = pem_decode(&field("Cert")).ok_or("unable to decode certificate")?;
    let ca_cert = Certificate::from_der(&cert_der)
        .map_err(|e| format!("error parsing certificate: decodedSignerCert.Bytes: {e}"))?;
    let ca_key = PrivateKey::parse_pem(&field("Key"))
        .map_err(|e| format!("error parsing private key: {e}"))?;
    let key_id = ca_cert
        .tbs_certificate
        .extensions
        .iter()
        .flatten()
        .find(|e| e.extn_id == OID_SUBJECT_KEY_ID)
        .and_then(|e| SubjectKeyIdentifier::from_der(e.extn_value.as_bytes()).ok())
        .map(|s| s.0.as_bytes().to_vec());
    let req = CertRequest::from_args(a)?;
    let issuer = Issuer {
        name: ca_cert.tbs_certificate.subject.clone(),
        key: &ca_key,
        key_id,
    };
    create_certificate(env, &req, &key, Some(issuer))
}

/// Sprig's `buildCustomCert`: a base64 certificate and key, checked and returned as a pair.
fn build_custom_cert(b64cert: &str, b64key: &str) -> Result<Value, FuncError> {
    let b64 = &base64::engine::general_purpose::STANDARD;
    let cert = b64
        .decode(b64cert)
        .map_err(|_| "unable to decode base64 certificate")?;
    let key = b64
        .decode(b64key)
        .map_err(|_| "unable to decode base64 private key")?;
    let cert = String::from_utf8_lossy(&cert).into_owned();
    let key = String::from_utf8_lossy(&key).into_owned();
    let (_, der) = pem_decode(&cert).ok_or("unable to decode certificate")?;
    Certificate::from_der(&der)
        .map_err(|e| format!("error parsing certificate: decodedCert.Bytes: {e}"))?;
    PrivateKey::parse_pem(&key).map_err(|e| format!("error parsing private key: {e}"))?;
    Ok(certificate_value(cert, key))
}

const BCRYPT_ALPHABET: &[u8; 64] =
    b"./ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

/// bcrypt's base64: its own alphabet, no padding.
fn bcrypt_base64(bytes: &[u8]) -> String {
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..=chunk.len() {
            out.push(BCRYPT_ALPHABET[((n >> (18 - 6 * i)) & 63) as usize] as char);
        }
    }
    out
}

/// Go's `bcrypt.GenerateFromPassword(password, 10)`: `$2a$10$` with a fresh salt.
fn bcrypt_hash(env: &SprigEnv, password: &str) -> String {
    if password.len() > 72 {
        return "failed to encrypt string with bcrypt: bcrypt: password length exceeds 72 bytes"
            .into();
    }
    let mut salt = [0u8; 16];
    env.fill(&mut salt);
    bcrypt_with_salt(password, &salt, 10)
}

/// bcrypt (`$2a$`) of `password` with `salt` at `cost`.
fn bcrypt_with_salt(password: &str, salt: &[u8; 16], cost: u32) -> String {
    // The key is the password with its C-string terminator.
    let mut key = password.as_bytes().to_vec();
    key.push(0);
    let mut state = blowfish::Blowfish::bc_init_state();
    state.salted_expand_key(salt, &key);
    for _ in 0..(1u32 << cost) {
        state.bc_expand_key(&key);
        state.bc_expand_key(salt);
    }
    let mut words = [0u32; 6];
    for (w, c) in words.iter_mut().zip(b"OrpheanBeholderScryDoubt".chunks(4)) {
        *w = u32::from_be_bytes([c[0], c[1], c[2], c[3]]);
    }
    for pair in words.chunks_mut(2) {
        let mut lr = [pair[0], pair[1]];
        for _ in 0..64 {
            lr = state.bc_encrypt(lr);
        }
        pair.copy_from_slice(&lr);
    }
    let hash: Vec<u8> = words.iter().flat_map(|w| w.to_be_bytes()).collect();
    format!(
        "$2a${cost:02}${}{}",
        bcrypt_base64(salt),
        bcrypt_base64(&hash[..23])
    )
}

/// The Master Password algorithm sprig's `derivePassword` implements.
fn derive_password(counter: u32, kind: &str, password: &str, user: &str, site: &str) -> String {
    const SEED: &[u8] = b"com.lyndir.masterpassword";
    let templates: &[&str] = match kind {
        "maximum" => &["anoxxxxxxxxxxxxxxxxx", "axxxxxxxxxxxxxxxxxno"],
        "long" => &[
            "CvcvnoCvcvCvcv",
            "CvcvCvcvnoCvcv",
            "CvcvCvcvCvcvno",
            "CvccnoCvcvCvcv",
            "CvccCvcvnoCvcv",
            "CvccCvcvCvcvno",
            "CvcvnoCvccCvcv",
            "CvcvCvccnoCvcv",
            "CvcvCvccCvcvno",
            "CvcvnoCvcvCvcc",
            "CvcvCvcvnoCvcc",
            "CvcvCvcvCvccno",
            "CvccnoCvccCvcv",
            "CvccCvccnoCvcv",
            "CvccCvccCvcvno",
            "CvcvnoCvccCvcc",
            "CvcvCvccnoCvcc",
            "CvcvCvccCvccno",
            "CvccnoCvcvCvcc",
            "CvccCvcvnoCvcc",
            "CvccCvcvCvccno",
        ],
        "medium" => &["CvcnoCvc", "CvcCvcno"],
        "short" => &["Cvcn"],
        "basic" => &["aaanaaan", "aannaaan", "aaannaaa"],
        "pin" => &["nnnn"],
        _ => return format!("cannot find password template {kind}"),
    };
    let mut salt = SEED.to_vec();
    salt.extend_from_slice(&(user.len() as u32).to_be_bytes());
    salt.extend_from_slice(user.as_bytes());
    let mut key = [0u8; 64];
    let params = match scrypt::Params::new(15, 8, 2, 64) {
        Ok(p) => p,
        Err(e) => return format!("failed to derive password: {e}"),
    };
    if let Err(e) = scrypt::scrypt(password.as_bytes(), &salt, &params, &mut key) {
        return format!("failed to derive password: {e}");
    }
    let mut message = SEED.to_vec();
    message.extend_from_slice(&(site.len() as u32).to_be_bytes());
    message.extend_from_slice(site.as_bytes());
    message.extend_from_slice(&counter.to_be_bytes());
    use hmac::Mac;
    let Ok(mut mac) = hmac::Hmac::<sha2::Sha256>::new_from_slice(&key) else {
        return "failed to derive password".into();
    };
    mac.update(&message);
    let seed = mac.finalize().into_bytes();
    let template = templates[usize::from(seed[0]) % templates.len()];
    template
        .bytes()
        .enumerate()
        .map(|(i, class)| {
            let chars: &[u8] = match class {
                b'V' => b"AEIOU",
                b'C' => b"BCDFGHJKLMNPQRSTVWXYZ",
                b'v' => b"aeiou",
                b'c' => b"bcdfghjklmnpqrstvwxyz",
                b'A' => b"AEIOUBCDFGHJKLMNPQRSTVWXYZ",
                b'a' => b"AEIOUaeiouBCDFGHJKLMNPQRSTVWXYZbcdfghjklmnpqrstvwxyz",
                b'n' => b"0123456789",
                b'o' => b"@&%?,=[]_:-+*$#!'^~;()/.",
                _ => b"AEIOUaeiouBCDFGHJKLMNPQRSTVWXYZbcdfghjklmnpqrstvwxyz0123456789!@#$%^&*()",
            };
            chars[usize::from(seed[i + 1]) % chars.len()] as char
        })
        .collect()
}

/// The password as an AES-256 key: its first 32 bytes, zero-padded.
fn aes_key(password: &str) -> [u8; 32] {
    let mut key = [0u8; 32];
    let n = password.len().min(32);
    key[..n].copy_from_slice(&password.as_bytes()[..n]);
    key
}

/// Sprig's `encryptAES`: AES-256-CBC, PKCS#7 padding, random IV first, base64.
fn encrypt_aes(env: &SprigEnv, password: &str, plaintext: &str) -> String {
    use aes::cipher::{BlockEncryptMut, KeyIvInit};
    if plaintext.is_empty() {
        return String::new();
    }
    let mut iv = [0u8; 16];
    env.fill(&mut iv);
    let pad = 16 - plaintext.len() % 16;
    let mut data = plaintext.as_bytes().to_vec();
    data.extend(std::iter::repeat_n(pad as u8, pad));
    let mut enc = cbc::Encryptor::<aes::Aes256>::new(&aes_key(password).into(), &iv.into());
    for block in data.chunks_mut(16) {
        enc.encrypt_block_mut(block.into());
    }
    let mut out = iv.to_vec();
    out.extend_from_slice(&data);
    base64::engine::general_purpose::STANDARD.encode(out)
}

/// Sprig's `decryptAES`, with errors where Go would fail or panic on malformed input.
fn decrypt_aes(password: &str, crypt64: &str) -> Result<String, FuncError> {
    use aes::cipher::{BlockDecryptMut, KeyIvInit};
    if crypt64.is_empty() {
        return Ok(String::new());
    }
    let crypt = base64::engine::general_purpose::STANDARD
        .decode(crypt64)
        .map_err(|e| format!("illegal base64 data: {e}"))?;
    if crypt.len() < 32 || crypt.len() % 16 != 0 {
        return Err("decryptAES: input is not a whole number of AES blocks after the IV".into());
    }
    let (iv, body) = crypt.split_at(16);
    let mut data = body.to_vec();
    let iv: [u8; 16] = iv.try_into().unwrap_or_default();
    let mut dec = cbc::Decryptor::<aes::Aes256>::new(&aes_key(password).into(), &iv.into());
    for block in data.chunks_mut(16) {
        dec.decrypt_block_mut(block.into());
    }
    let pad = usize::from(*data.last().unwrap_or(&0));
    if pad > data.len() {
        return Err("decryptAES: bad padding (wrong password?)".into());
    }
    data.truncate(data.len() - pad);
    Ok(String::from_utf8_lossy(&data).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env() -> SprigEnv {
        SprigEnv::fixed(1_700_000_000, 7)
    }

    fn bcrypt_salt(text: &str) -> [u8; 16] {
        let mut bits = 0u32;
        let mut n = 0;
        let mut out = Vec::new();
        for c in text.bytes() {
            let v = BCRYPT_ALPHABET.iter().position(|&a| a == c).unwrap() as u32;
            bits = (bits << 6) | v;
            n += 6;
            if n >= 8 {
                n -= 8;
                out.push((bits >> n) as u8);
                bits &= (1 << n) - 1;
            }
        }
        out[..16].try_into().unwrap()
    }

    #[test]
    fn bcrypt_matches_known_hashes() {
        // Published bcrypt vectors ($2a$, cost 5).
        for (password, expected) in [
            (
                "U*U",
                "$2a$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW",
            ),
            (
                "",
                "$2a$05$CCCCCCCCCCCCCCCCCCCCC.7uG0VCzI2bS7j6ymqJi9CdcdxiRTWNy",
            ),
        ] {
            let salt = bcrypt_salt(&expected[7..29]);
            assert_eq!(bcrypt_with_salt(password, &salt, 5), expected);
        }
        let h = bcrypt_hash(&env(), "password");
        assert!(h.starts_with("$2a$10$") && h.len() == 60, "{h}");
    }

    #[test]
    fn aes_round_trips() {
        let e = env();
        let c = encrypt_aes(&e, "secretkey", "hello world, sixteen+");
        assert_eq!(
            decrypt_aes("secretkey", &c).unwrap(),
            "hello world, sixteen+"
        );
        assert_eq!(encrypt_aes(&e, "k", ""), "");
        assert!(decrypt_aes("k", "AAAA").is_err());
    }

    #[test]
    fn pem_round_trips() {
        let p = pem_encode("X", &[1, 2, 3]);
        assert_eq!(p, "-----BEGIN X-----\nAQID\n-----END X-----\n");
        assert_eq!(pem_decode(&p), Some(("X".to_string(), vec![1, 2, 3])));
    }
}
