//! Test support: a CA made at test time, a server on loopback, and an HTTPS client (hyper over
//! tokio-rustls) that trusts only that CA.

#![allow(dead_code)]

use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper::{Request, StatusCode, Version};
use hyper_util::rt::{TokioExecutor, TokioIo};
use kvet_webhook::{start, LogTarget, ServeOptions, Server};
use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, IsCa, KeyPair};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName};
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;

/// A certificate authority and the PEM of its certificate.
pub struct Ca {
    issuer: CertifiedIssuer<'static, KeyPair>,
    pub pem: String,
}

impl Ca {
    pub fn new() -> Ca {
        let mut params = CertificateParams::new(Vec::<String>::new()).expect("params");
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, "kvet test CA");
        let issuer =
            CertifiedIssuer::self_signed(params, KeyPair::generate().expect("key")).expect("ca");
        let pem = issuer.pem();
        Ca { issuer, pem }
    }

    /// A serving certificate for localhost and 127.0.0.1: (cert PEM, key PEM, cert DER).
    pub fn leaf(&self, cn: &str) -> (String, String, Vec<u8>) {
        let mut params =
            CertificateParams::new(vec!["localhost".to_owned(), "127.0.0.1".to_owned()])
                .expect("params");
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, cn);
        let key = KeyPair::generate().expect("key");
        let cert = params.signed_by(&key, &self.issuer).expect("leaf");
        (cert.pem(), key.serialize_pem(), cert.der().to_vec())
    }
}

/// Writes `text` to `path` atomically (as kubelet updates a mounted Secret: write, then rename).
pub fn write_atomic(path: &Path, text: &str) {
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, text).expect("write");
    std::fs::rename(&tmp, path).expect("rename");
}

/// A running server with its files.
pub struct Harness {
    pub server: Server,
    pub dir: tempfile::TempDir,
    pub ca: Ca,
    pub cert: PathBuf,
    pub key: PathBuf,
    pub logs: Arc<Mutex<Vec<u8>>>,
}

/// Starts a server in a fresh directory holding `files` (name → text); `.kvet.yaml` and
/// `webhook.yaml` among them are used as the config and the webhook settings.
pub async fn start_with(files: &[(&str, &str)]) -> Harness {
    let dir = tempfile::tempdir().expect("tempdir");
    for (name, text) in files {
        let p = dir.path().join(name);
        if let Some(parent) = p.parent() {
            std::fs::create_dir_all(parent).expect("mkdir");
        }
        std::fs::write(p, text).expect("write");
    }
    let ca = Ca::new();
    let (cert_pem, key_pem, _) = ca.leaf("kvet-1");
    let cert = dir.path().join("tls.crt");
    let key = dir.path().join("tls.key");
    std::fs::write(&cert, cert_pem).expect("cert");
    std::fs::write(&key, key_pem).expect("key");
    let logs = Arc::new(Mutex::new(Vec::new()));
    let mut opts = ServeOptions::new(
        "127.0.0.1:0".parse().expect("addr"),
        cert.clone(),
        key.clone(),
    );
    let named = |n: &str| {
        files
            .iter()
            .any(|(f, _)| *f == n)
            .then(|| dir.path().join(n))
    };
    opts.config = named(".kvet.yaml");
    opts.webhook_config = named("webhook.yaml");
    opts.poll_interval = Duration::from_millis(50);
    opts.log = LogTarget::Buffer(logs.clone());
    let server = start(opts).await.expect("start");
    assert!(
        server.wait_ready(Duration::from_secs(60)).await,
        "not ready: {}",
        String::from_utf8_lossy(&logs.lock().expect("logs"))
    );
    Harness {
        server,
        dir,
        ca,
        cert,
        key,
        logs,
    }
}

/// An HTTPS response: status, HTTP version, body, and the certificate the server presented.
pub struct Reply {
    pub status: StatusCode,
    pub version: Version,
    pub body: Bytes,
    pub peer_cert: Vec<u8>,
}

impl Reply {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| {
            panic!(
                "not JSON ({e}): {} {}",
                self.status,
                String::from_utf8_lossy(&self.body)
            )
        })
    }

    /// The AdmissionReview's `response`.
    pub fn response(&self) -> Value {
        assert_eq!(
            self.status,
            StatusCode::OK,
            "{}",
            String::from_utf8_lossy(&self.body)
        );
        let v = self.json();
        assert_eq!(v["apiVersion"], "admission.k8s.io/v1");
        assert_eq!(v["kind"], "AdmissionReview");
        v["response"].clone()
    }
}

/// One open connection.
pub enum Conn {
    H1(hyper::client::conn::http1::SendRequest<Full<Bytes>>),
    H2(hyper::client::conn::http2::SendRequest<Full<Bytes>>),
}

pub struct Client {
    conn: Conn,
    pub peer_cert: Vec<u8>,
    pub host: String,
}

impl Client {
    /// Opens a TLS connection trusting only `ca_pem`; `h2` picks HTTP/2 by ALPN.
    pub async fn connect(addr: std::net::SocketAddr, ca_pem: &str, h2: bool) -> Client {
        let mut roots = rustls::RootCertStore::empty();
        for c in CertificateDer::pem_slice_iter(ca_pem.as_bytes()) {
            roots.add(c.expect("ca pem")).expect("root");
        }
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let mut cfg = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .expect("versions")
            .with_root_certificates(roots)
            .with_no_client_auth();
        cfg.alpn_protocols = vec![if h2 {
            b"h2".to_vec()
        } else {
            b"http/1.1".to_vec()
        }];
        let tcp = TcpStream::connect(addr).await.expect("connect");
        tcp.set_nodelay(true).expect("nodelay");
        let tls = TlsConnector::from(Arc::new(cfg))
            .connect(ServerName::try_from("localhost").expect("name"), tcp)
            .await
            .expect("TLS handshake");
        let peer_cert = tls
            .get_ref()
            .1
            .peer_certificates()
            .and_then(|c| c.first())
            .map(|c| c.to_vec())
            .unwrap_or_default();
        let io = TokioIo::new(tls);
        let conn = if h2 {
            let (send, conn) = hyper::client::conn::http2::handshake(TokioExecutor::new(), io)
                .await
                .expect("h2");
            tokio::spawn(conn);
            Conn::H2(send)
        } else {
            let (send, conn) = hyper::client::conn::http1::handshake(io).await.expect("h1");
            tokio::spawn(conn);
            Conn::H1(send)
        };
        Client {
            conn,
            peer_cert,
            host: addr.to_string(),
        }
    }

    pub async fn send(&mut self, method: &str, path: &str, body: Vec<u8>) -> Reply {
        let mut req = Request::builder()
            .method(method)
            .uri(format!("https://{}{path}", self.host))
            .header("content-type", "application/json");
        if matches!(self.conn, Conn::H1(_)) {
            req = req.header("host", self.host.clone());
        }
        let req = req.body(Full::new(Bytes::from(body))).expect("request");
        let resp = match &mut self.conn {
            Conn::H1(s) => {
                s.ready().await.expect("connection ready");
                s.send_request(req).await
            }
            Conn::H2(s) => {
                s.ready().await.expect("connection ready");
                s.send_request(req).await
            }
        }
        .expect("response");
        let status = resp.status();
        let version = resp.version();
        let body = resp.into_body().collect().await.expect("body").to_bytes();
        Reply {
            status,
            version,
            body,
            peer_cert: self.peer_cert.clone(),
        }
    }
}

impl Harness {
    /// Sends one request on a new HTTP/1.1 connection.
    pub async fn send(&self, method: &str, path: &str, body: Vec<u8>) -> Reply {
        let mut c = Client::connect(self.server.local_addr(), &self.ca.pem, false).await;
        c.send(method, path, body).await
    }

    /// Sends an AdmissionReview and returns its `response`.
    pub async fn review(&self, review: &Value) -> Value {
        self.send("POST", "/validate", review.to_string().into_bytes())
            .await
            .response()
    }

    pub fn logs(&self) -> String {
        String::from_utf8_lossy(&self.logs.lock().expect("logs")).into_owned()
    }
}

/// An AdmissionReview for `object` (or `old` alone for DELETE).
pub fn review(uid: &str, operation: &str, object: Option<&Value>, old: Option<&Value>) -> Value {
    let subject = object.or(old).cloned().unwrap_or(Value::Null);
    let api_version = subject["apiVersion"].as_str().unwrap_or("v1");
    let (group, version) = api_version.rsplit_once('/').unwrap_or(("", api_version));
    json!({
        "apiVersion": "admission.k8s.io/v1",
        "kind": "AdmissionReview",
        "request": {
            "uid": uid,
            "kind": {"group": group, "version": version, "kind": subject["kind"]},
            "resource": {"group": group, "version": version, "resource": "things"},
            "name": subject["metadata"]["name"],
            "namespace": subject["metadata"]["namespace"],
            "operation": operation,
            "userInfo": {"username": "alice", "groups": ["system:authenticated"]},
            "object": object,
            "oldObject": old,
            "dryRun": false,
        }
    })
}

pub fn pod(name: &str, image: &str) -> Value {
    json!({
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "namespace": "shop", "uid": "0d1e", "creationTimestamp": "2025-01-01T00:00:00Z",
                     "managedFields": [{"manager": "kubectl", "operation": "Update", "apiVersion": "v1",
                                        "fieldsType": "FieldsV1", "fieldsV1": {"f:spec": {"f:containers": {}}}}]},
        "spec": {"containers": [{"name": "app", "image": image}]}
    })
}

pub fn deployment(name: &str, image: &str, privileged: bool) -> Value {
    json!({
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "namespace": "shop"},
        "spec": {
            "replicas": 2,
            "selector": {"matchLabels": {"app": name}},
            "template": {
                "metadata": {"labels": {"app": name}},
                "spec": {"containers": [{
                    "name": "app", "image": image,
                    "securityContext": {"privileged": privileged}
                }]}
            }
        }
    })
}
