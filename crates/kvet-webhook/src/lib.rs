//! `kvet serve`: a validating admission webhook enforcing the same policies as `kvet check`.
//!
//! The API server POSTs an `admission.k8s.io/v1` AdmissionReview to `/validate`; kvet checks
//! the object with the checker, policy sets and exceptions `.kvet.yaml` describes — assembled
//! exactly as `kvet check` assembles them — and answers allowed, or denied with every violated
//! rule and field. Evaluation runs on a bounded pool with a deadline below the API server's
//! timeout; certificates and policies reload without a restart, and a broken policy set never
//! replaces a working one.

mod admission;
mod gate;
mod log;
mod metrics;
mod server;
mod settings;
mod tls;

pub use admission::{
    parse_review, AdmissionRequest, AdmissionResponse, GroupVersionKind, ReviewError, Status,
    UserInfo,
};
pub use gate::{Gate, GateSources, Outcome, Unanswerable, Verdict};
pub use log::{LogTarget, Logger};
pub use settings::{FailurePolicy, WebhookSettings};

use serde_json::json;
use server::{ReloadRequest, Shared};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, RwLock};
use std::time::Duration;
use tokio::sync::{mpsc, oneshot, watch, Semaphore};

/// How to run the webhook.
#[derive(Clone)]
pub struct ServeOptions {
    /// Address to listen on (`0.0.0.0:8443`; port 0 picks one).
    pub listen: SocketAddr,
    /// PEM certificate chain, reloaded when the file changes.
    pub tls_cert: PathBuf,
    /// PEM private key (PKCS#8, PKCS#1 or SEC1), reloaded with the certificate.
    pub tls_key: PathBuf,
    /// `.kvet.yaml`; `None` serves the defaults (as `kvet check --no-config`).
    pub config: Option<PathBuf>,
    /// Webhook settings file (see [`WebhookSettings`]); `None` for the defaults.
    pub webhook_config: Option<PathBuf>,
    /// How often watched files are checked for changes.
    pub poll_interval: Duration,
    /// Memory policy evaluation may take beyond what kvet holds once loaded, in MiB (0: none).
    pub policy_memory_limit_mib: u64,
    /// Where logs go.
    pub log: LogTarget,
}

impl ServeOptions {
    /// Options with the defaults: no config, 2 s polling, a 1024 MiB policy memory limit,
    /// logs on stderr.
    pub fn new(listen: SocketAddr, tls_cert: PathBuf, tls_key: PathBuf) -> Self {
        ServeOptions {
            listen,
            tls_cert,
            tls_key,
            config: None,
            webhook_config: None,
            poll_interval: Duration::from_secs(2),
            policy_memory_limit_mib: 1024,
            log: LogTarget::Stderr,
        }
    }
}

/// Why the webhook could not start.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The certificate or key cannot be used.
    #[error("TLS: {0}")]
    Tls(String),
    /// The webhook settings file is wrong.
    #[error("webhook config: {0}")]
    Settings(String),
    /// The address cannot be listened on.
    #[error("cannot listen on {0}: {1}")]
    Bind(SocketAddr, std::io::Error),
    /// The runtime or worker pool could not be created.
    #[error("cannot start: {0}")]
    Runtime(String),
}

/// A running webhook.
pub struct Server {
    addr: SocketAddr,
    shared: Arc<Shared>,
    shutdown: watch::Sender<bool>,
    reload: mpsc::Sender<ReloadRequest>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

impl Server {
    /// The address it listens on.
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// Whether a compiled policy set is serving.
    pub fn is_ready(&self) -> bool {
        self.shared.ready()
    }

    /// Waits until ready, for at most `within`; whether it is.
    pub async fn wait_ready(&self, within: Duration) -> bool {
        let until = tokio::time::Instant::now() + within;
        while !self.is_ready() {
            if tokio::time::Instant::now() >= until {
                return false;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        true
    }

    /// Reloads the config and policies now (as SIGHUP does); on failure the serving set stays.
    pub async fn reload(&self) -> Result<(), String> {
        let (tx, rx) = oneshot::channel();
        self.reload
            .send(tx)
            .await
            .map_err(|_| "the server is shutting down".to_owned())?;
        rx.await
            .map_err(|_| "the server is shutting down".to_owned())?
    }

    /// The metrics in Prometheus text format.
    pub fn metrics(&self) -> String {
        self.shared.metrics.render(self.shared.ready())
    }

    /// Stops accepting, lets open connections finish (up to 10 s), and stops reloading.
    pub async fn shutdown(self) {
        let _ = self.shutdown.send(true);
        for t in self.tasks {
            let _ = t.await;
        }
    }
}

/// Binds, starts serving, and compiles the policies in the background (`/readyz` turns 200
/// once they are). Settings and the certificate are read before this returns, so their
/// mistakes are errors here.
pub async fn start(opts: ServeOptions) -> Result<Server, Error> {
    let initial = match &opts.webhook_config {
        Some(p) => WebhookSettings::load(p).map_err(Error::Settings)?,
        None => WebhookSettings::default(),
    };
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let certs = Arc::new(
        tls::CertStore::open(&opts.tls_cert, &opts.tls_key, provider.clone())
            .map_err(Error::Tls)?,
    );
    let tls_config = tls::server_config(certs.clone(), provider).map_err(Error::Tls)?;
    let listener = tokio::net::TcpListener::bind(opts.listen)
        .await
        .map_err(|e| Error::Bind(opts.listen, e))?;
    let addr = listener
        .local_addr()
        .map_err(|e| Error::Bind(opts.listen, e))?;
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(initial.workers)
        .thread_name(|i| format!("kvet-eval-{i}"))
        .build()
        .map_err(|e| Error::Runtime(e.to_string()))?;
    let log = Logger::new(opts.log.clone());
    log.info(
        "listening",
        json!({"address": addr.to_string(), "workers": initial.workers, "maxQueue": initial.max_queue}),
    );
    let shared = Arc::new(Shared {
        sources: GateSources {
            config: opts.config.clone(),
            webhook_config: opts.webhook_config.clone(),
        },
        gate: RwLock::new(None),
        admission: Arc::new(Semaphore::new(initial.workers + initial.max_queue)),
        initial_settings: Arc::new(initial),
        metrics: metrics::Metrics::default(),
        log,
        pool,
        certs,
        memory_limit_mib: opts.policy_memory_limit_mib,
    });
    let (shutdown_tx, shutdown_rx) = watch::channel(false);
    let (reload_tx, reload_rx) = mpsc::channel(8);
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(tls_config));
    let tasks = vec![
        tokio::spawn(server::accept_loop(
            listener,
            acceptor,
            shared.clone(),
            shutdown_rx.clone(),
        )),
        tokio::spawn(server::reload_loop(
            shared.clone(),
            opts.poll_interval.max(Duration::from_millis(10)),
            reload_rx,
            shutdown_rx,
        )),
    ];
    Ok(Server {
        addr,
        shared,
        shutdown: shutdown_tx,
        reload: reload_tx,
        tasks,
    })
}

/// Runs the webhook until SIGTERM or Ctrl-C; SIGHUP reloads the config and policies.
pub fn serve(opts: ServeOptions) -> Result<(), Error> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("kvet-io")
        .build()
        .map_err(|e| Error::Runtime(e.to_string()))?;
    runtime.block_on(async move {
        use tokio::signal::unix::{signal, SignalKind};
        let log = Logger::new(opts.log.clone());
        let server = start(opts).await?;
        let mut hup = signal(SignalKind::hangup()).map_err(|e| Error::Runtime(e.to_string()))?;
        let mut term =
            signal(SignalKind::terminate()).map_err(|e| Error::Runtime(e.to_string()))?;
        loop {
            tokio::select! {
                _ = hup.recv() => {
                    log.info("SIGHUP: reloading", json!({}));
                    let _ = server.reload().await;
                }
                _ = term.recv() => break,
                _ = tokio::signal::ctrl_c() => break,
            }
        }
        log.info("shutting down", json!({}));
        server.shutdown().await;
        Ok(())
    })
}
