//! The serving certificate, reloaded when its files change: each new connection checks the
//! files' identity (inode, size, modification time) and, when it moved, loads the new pair.
//! Connections already open keep the certificate they were handshaken with. A pair that does
//! not load (half-written, key not matching) is logged and the previous one keeps serving.

use rustls::crypto::CryptoProvider;
use rustls::server::{ClientHello, ResolvesServerCert};
use rustls::sign::CertifiedKey;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, RwLock};

/// What identifies a file's content without reading it.
type Stamp = Option<(u64, u64, i64, i64)>;

fn stamp(p: &Path) -> Stamp {
    use std::os::unix::fs::MetadataExt;
    let m = std::fs::metadata(p).ok()?;
    Some((m.ino(), m.len(), m.mtime(), m.mtime_nsec()))
}

/// The certificate and key in use, and where they come from.
pub struct CertStore {
    cert: PathBuf,
    key: PathBuf,
    provider: Arc<CryptoProvider>,
    current: RwLock<Arc<CertifiedKey>>,
    tried: Mutex<(Stamp, Stamp)>,
}

impl std::fmt::Debug for CertStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CertStore")
            .field("cert", &self.cert)
            .field("key", &self.key)
            .finish()
    }
}

/// Reads a PEM certificate chain and private key into a matching pair.
pub fn load_pair(
    cert: &Path,
    key: &Path,
    provider: &CryptoProvider,
) -> Result<CertifiedKey, String> {
    let chain: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(cert)
        .map_err(|e| format!("{}: {e}", cert.display()))?
        .collect::<Result<_, _>>()
        .map_err(|e| format!("{}: {e}", cert.display()))?;
    if chain.is_empty() {
        return Err(format!("{}: no certificate found", cert.display()));
    }
    let der = PrivateKeyDer::from_pem_file(key).map_err(|e| format!("{}: {e}", key.display()))?;
    let signer = provider
        .key_provider
        .load_private_key(der)
        .map_err(|e| format!("{}: {e}", key.display()))?;
    let pair = CertifiedKey::new(chain, signer);
    pair.keys_match().map_err(|e| {
        format!(
            "{} and {} do not belong together: {e}",
            cert.display(),
            key.display()
        )
    })?;
    Ok(pair)
}

impl CertStore {
    /// Loads the pair; fails if it cannot be used.
    pub fn open(cert: &Path, key: &Path, provider: Arc<CryptoProvider>) -> Result<Self, String> {
        let stamps = (stamp(cert), stamp(key));
        let pair = load_pair(cert, key, &provider)?;
        Ok(CertStore {
            cert: cert.to_path_buf(),
            key: key.to_path_buf(),
            provider,
            current: RwLock::new(Arc::new(pair)),
            tried: Mutex::new(stamps),
        })
    }

    /// Loads the files again if they changed since the last attempt: `Ok(true)` when a new
    /// pair is in use, `Ok(false)` when nothing changed, `Err` when the new files are unusable
    /// (reported once per change).
    pub fn refresh(&self) -> Result<bool, String> {
        let stamps = (stamp(&self.cert), stamp(&self.key));
        {
            let Ok(mut tried) = self.tried.lock() else {
                return Ok(false);
            };
            if *tried == stamps {
                return Ok(false);
            }
            *tried = stamps;
        }
        let pair = load_pair(&self.cert, &self.key, &self.provider)?;
        if let Ok(mut cur) = self.current.write() {
            *cur = Arc::new(pair);
        }
        Ok(true)
    }
}

impl ResolvesServerCert for CertStore {
    fn resolve(&self, _hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        self.current.read().ok().map(|c| Arc::clone(&c))
    }
}

/// The rustls server configuration: ring, TLS 1.2 and 1.3, HTTP/2 and HTTP/1.1 by ALPN.
pub fn server_config(
    store: Arc<CertStore>,
    provider: Arc<CryptoProvider>,
) -> Result<rustls::ServerConfig, String> {
    let mut cfg = rustls::ServerConfig::builder_with_provider(provider)
        .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])
        .map_err(|e| e.to_string())?
        .with_no_client_auth()
        .with_cert_resolver(store);
    cfg.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(cfg)
}
