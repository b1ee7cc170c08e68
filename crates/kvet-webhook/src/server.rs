//! The HTTPS server: connections, routes, the bounded evaluation pool, and the reload loop.

use crate::admission::{parse_review, AdmissionRequest, AdmissionResponse};
use crate::gate::{initial_watch, Gate, GateSources, Outcome, Verdict};
use crate::log::Logger;
use crate::metrics::Metrics;
use crate::settings::{FailurePolicy, WebhookSettings};
use crate::tls::CertStore;
use http_body_util::{BodyExt, Full, LengthLimitError, Limited};
use hyper::body::{Bytes, Incoming};
use hyper::header::{HeaderValue, ALLOW, CONTENT_LENGTH, CONTENT_TYPE};
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use hyper_util::server::graceful::GracefulShutdown;
use serde_json::json;
use std::convert::Infallible;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::PathBuf;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};
use tokio::net::TcpListener;
use tokio::sync::{mpsc, oneshot, watch, Semaphore};
use tokio_rustls::TlsAcceptor;

/// Open connections beyond this wait in the listen backlog.
const MAX_CONNECTIONS: usize = 4096;
/// A TLS handshake must finish within this.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);
/// An HTTP/1.1 request's headers must arrive within this (slow clients).
const HEADER_TIMEOUT: Duration = Duration::from_secs(10);
/// How long shutdown waits for open connections.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(10);

type Body = Full<Bytes>;
/// A request for a reload, answered with its outcome.
pub(crate) type ReloadRequest = oneshot::Sender<Result<(), String>>;

/// What the connections, the evaluation pool and the reload loop share.
pub(crate) struct Shared {
    pub sources: GateSources,
    pub gate: RwLock<Option<Arc<Gate>>>,
    pub initial_settings: Arc<WebhookSettings>,
    pub metrics: Metrics,
    pub log: Logger,
    pub pool: rayon::ThreadPool,
    pub admission: Arc<Semaphore>,
    pub certs: Arc<CertStore>,
    pub memory_limit_mib: u64,
}

impl Shared {
    pub fn gate(&self) -> Option<Arc<Gate>> {
        self.gate.read().ok().and_then(|g| g.clone())
    }

    pub fn ready(&self) -> bool {
        self.gate.read().is_ok_and(|g| g.is_some())
    }

    fn settings(&self) -> Arc<WebhookSettings> {
        self.gate()
            .map_or_else(|| self.initial_settings.clone(), |g| g.settings.clone())
    }

    fn install(&self, gate: Gate) {
        for note in &gate.notes {
            self.log.warn(note, json!({}));
        }
        self.log.info(
            "policies loaded",
            json!({"policySets": gate.policy_sets, "watched": gate.watched.len()}),
        );
        if let Ok(mut g) = self.gate.write() {
            *g = Some(Arc::new(gate));
        }
        // The ceiling is measured from what the process holds now, with the new set loaded.
        if self.memory_limit_mib > 0 {
            kvet_policy::set_memory_headroom(Some(self.memory_limit_mib.saturating_mul(1 << 20)));
        }
    }
}

fn text(status: StatusCode, body: impl Into<String>) -> Response<Body> {
    let mut r = Response::new(Full::new(Bytes::from(body.into())));
    *r.status_mut() = status;
    r.headers_mut().insert(
        CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    r
}

async fn route(req: Request<Incoming>, sh: Arc<Shared>) -> Result<Response<Body>, Infallible> {
    let resp = match (req.method(), req.uri().path()) {
        (&Method::POST, "/validate") => validate(req, &sh).await,
        (_, "/validate") => {
            let mut r = text(StatusCode::METHOD_NOT_ALLOWED, "use POST\n");
            r.headers_mut()
                .insert(ALLOW, HeaderValue::from_static("POST"));
            r
        }
        (&Method::GET, "/healthz") => text(StatusCode::OK, "ok\n"),
        (&Method::GET, "/readyz") if sh.ready() => text(StatusCode::OK, "ok\n"),
        (&Method::GET, "/readyz") => text(
            StatusCode::SERVICE_UNAVAILABLE,
            "no compiled policy set yet\n",
        ),
        (&Method::GET, "/metrics") => {
            let mut r = text(StatusCode::OK, sh.metrics.render(sh.ready()));
            r.headers_mut().insert(
                CONTENT_TYPE,
                HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
            );
            r
        }
        _ => text(StatusCode::NOT_FOUND, "not found\n"),
    };
    Ok(resp)
}

/// Counts a request as in flight until dropped (also when the client goes away).
struct InFlight<'a>(&'a Metrics);

impl<'a> InFlight<'a> {
    fn new(m: &'a Metrics) -> Self {
        m.in_flight(1);
        InFlight(m)
    }
}

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0.in_flight(-1);
    }
}

fn bad_request(sh: &Shared, started: Instant, status: StatusCode, why: String) -> Response<Body> {
    sh.metrics.request("bad_request", started.elapsed());
    sh.log.warn(
        "bad admission request",
        json!({"status": status.as_u16(), "reason": why, "durationMs": ms(started)}),
    );
    text(status, format!("{why}\n"))
}

fn ms(started: Instant) -> f64 {
    (started.elapsed().as_secs_f64() * 1e6).round() / 1e3
}

fn review_response(resp: &AdmissionResponse) -> Response<Body> {
    let mut r = Response::new(Full::new(Bytes::from(resp.to_review().to_string())));
    r.headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    r
}

/// The answer when no verdict could be reached, per the failure policy.
fn undecided(
    sh: &Shared,
    req: &AdmissionRequest,
    started: Instant,
    result: &'static str,
    code: u16,
    why: String,
) -> Response<Body> {
    let policy = sh.settings().failure_policy;
    let resp = match policy {
        FailurePolicy::Fail => AdmissionResponse::deny(
            &req.uid,
            code,
            format!("kvet: {why}; denied by failurePolicy Fail"),
        ),
        FailurePolicy::Ignore => {
            let mut r = AdmissionResponse::allow(&req.uid);
            r.warnings.push(format!(
                "kvet did not check this request: {why}; allowed by failurePolicy Ignore"
            ));
            r
        }
    };
    sh.metrics.request(result, started.elapsed());
    log_request(sh, req, started, result, &resp, &[], &[]);
    review_response(&resp)
}

fn log_request(
    sh: &Shared,
    req: &AdmissionRequest,
    started: Instant,
    result: &str,
    resp: &AdmissionResponse,
    denied_by: &[String],
    warned_by: &[String],
) {
    sh.log.info(
        "admission",
        json!({
            "uid": req.uid,
            "kind": req.kind.kind,
            "group": req.kind.group,
            "namespace": req.namespace.as_deref().unwrap_or(""),
            "name": req.name.as_deref().unwrap_or(""),
            "operation": req.operation,
            "dryRun": req.dry_run.unwrap_or(false),
            "result": result,
            "allowed": resp.allowed,
            "deniedBy": denied_by,
            "warnedBy": warned_by,
            "durationMs": ms(started),
        }),
    );
}

enum Evaluation {
    Done(Result<Verdict, crate::gate::Unanswerable>),
    Late,
    Panicked(String),
}

async fn validate(req: Request<Incoming>, sh: &Arc<Shared>) -> Response<Body> {
    let started = Instant::now();
    let settings = sh.settings();
    let deadline = started + settings.timeout;
    let max = settings.max_body_bytes;
    let declared = req
        .headers()
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > max as u64) {
        return bad_request(
            sh,
            started,
            StatusCode::PAYLOAD_TOO_LARGE,
            format!("the request body is larger than the {max}-byte limit"),
        );
    }
    let body = Limited::new(req.into_body(), max);
    let body = match tokio::time::timeout_at(deadline.into(), body.collect()).await {
        Err(_) => {
            return bad_request(
                sh,
                started,
                StatusCode::REQUEST_TIMEOUT,
                "the request body did not arrive before the deadline".into(),
            )
        }
        Ok(Err(e)) if e.downcast_ref::<LengthLimitError>().is_some() => {
            return bad_request(
                sh,
                started,
                StatusCode::PAYLOAD_TOO_LARGE,
                format!("the request body is larger than the {max}-byte limit"),
            )
        }
        Ok(Err(e)) => {
            return bad_request(
                sh,
                started,
                StatusCode::BAD_REQUEST,
                format!("cannot read the request body: {e}"),
            )
        }
        Ok(Ok(c)) => c.to_bytes(),
    };
    // The evaluation takes the request with its objects; the answer and the log need only
    // the rest.
    let (job, request) = match parse_review(&body) {
        Ok(r) => {
            let summary = Arc::new(r.without_objects());
            (r, summary)
        }
        Err(e) => return bad_request(sh, started, StatusCode::BAD_REQUEST, e.to_string()),
    };
    drop(body);
    let Some(gate) = sh.gate() else {
        return undecided(
            sh,
            &request,
            started,
            "not_ready",
            503,
            "no compiled policy set is loaded yet".into(),
        );
    };
    let Ok(permit) = sh.admission.clone().try_acquire_owned() else {
        return undecided(
            sh,
            &request,
            started,
            "overloaded",
            503,
            "overloaded: too many requests are waiting for evaluation".into(),
        );
    };
    let _in_flight = InFlight::new(&sh.metrics);
    let (tx, rx) = oneshot::channel();
    sh.pool.spawn(move || {
        let _permit = permit;
        // A request whose answer would come too late is not worth a worker's time.
        if Instant::now() >= deadline {
            let _ = tx.send(Evaluation::Late);
            return;
        }
        let outcome = catch_unwind(AssertUnwindSafe(|| gate.review_owned(job)));
        let _ = tx.send(match outcome {
            Ok(r) => Evaluation::Done(r),
            Err(p) => Evaluation::Panicked(
                p.downcast_ref::<&str>()
                    .map(|s| (*s).to_owned())
                    .or_else(|| p.downcast_ref::<String>().cloned())
                    .unwrap_or_default(),
            ),
        });
    });
    let timeout_ms = settings.timeout.as_millis();
    match tokio::time::timeout_at(deadline.into(), rx).await {
        Err(_) | Ok(Ok(Evaluation::Late)) => undecided(
            sh,
            &request,
            started,
            "timeout",
            504,
            format!("no verdict within the {timeout_ms} ms deadline"),
        ),
        Ok(Err(_)) => undecided(
            sh,
            &request,
            started,
            "error",
            500,
            "internal error: the evaluation ended without an answer".into(),
        ),
        Ok(Ok(Evaluation::Panicked(what))) => {
            sh.log.error(
                "evaluation panicked",
                json!({"uid": request.uid, "panic": what}),
            );
            undecided(
                sh,
                &request,
                started,
                "error",
                500,
                "internal error while evaluating this request".into(),
            )
        }
        Ok(Ok(Evaluation::Done(Err(e)))) => {
            bad_request(sh, started, StatusCode::BAD_REQUEST, e.to_string())
        }
        Ok(Ok(Evaluation::Done(Ok(v)))) => {
            for r in &v.denied_by {
                sh.metrics.decision(r, "deny");
            }
            for r in &v.warned_by {
                sh.metrics.decision(r, "warn");
            }
            let result = v.outcome.as_str();
            sh.metrics.request(result, started.elapsed());
            log_request(
                sh,
                &request,
                started,
                result,
                &v.response,
                &v.denied_by,
                &v.warned_by,
            );
            debug_assert!(v.outcome != Outcome::Denied || !v.response.allowed);
            review_response(&v.response)
        }
    }
}

/// Accepts connections until `shutdown` turns true, then drains them.
pub(crate) async fn accept_loop(
    listener: TcpListener,
    acceptor: TlsAcceptor,
    sh: Arc<Shared>,
    mut shutdown: watch::Receiver<bool>,
) {
    let graceful = GracefulShutdown::new();
    let slots = Arc::new(Semaphore::new(MAX_CONNECTIONS));
    // Headers arrive within the request deadline too: the API server has given up by then.
    let header_timeout = HEADER_TIMEOUT.min(sh.initial_settings.timeout);
    let mut builder = auto::Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(header_timeout);
    builder
        .http2()
        .timer(TokioTimer::new())
        .max_concurrent_streams(256)
        .keep_alive_interval(Some(Duration::from_secs(30)))
        .keep_alive_timeout(Duration::from_secs(10));
    // The protocol comes from ALPN, never from sniffing the first bytes: sniffing waits with
    // no time limit, so a client that completes the handshake and then stays silent would hold
    // its connection forever.
    let h1 = Arc::new(builder.clone().http1_only());
    let h2 = Arc::new(builder.http2_only());
    loop {
        let slot = tokio::select! {
            s = slots.clone().acquire_owned() => match s { Ok(s) => s, Err(_) => break },
            _ = shutdown.changed() => break,
        };
        let tcp = tokio::select! {
            r = listener.accept() => match r {
                Ok((tcp, _)) => tcp,
                Err(e) => {
                    // Out of file descriptors and the like: back off instead of spinning.
                    sh.log.warn("accept failed", json!({"error": e.to_string()}));
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            _ = shutdown.changed() => break,
        };
        match sh.certs.refresh() {
            Ok(true) => {
                sh.metrics.reload("certificate", "ok");
                sh.log.info("serving certificate reloaded", json!({}));
            }
            Ok(false) => {}
            Err(e) => {
                sh.metrics.reload("certificate", "error");
                sh.log.error(
                    "new serving certificate rejected; the previous one keeps serving",
                    json!({"error": e}),
                );
            }
        }
        let _ = tcp.set_nodelay(true);
        let acceptor = acceptor.clone();
        let sh = sh.clone();
        let (h1, h2) = (h1.clone(), h2.clone());
        let watcher = graceful.watcher();
        let mut stop = shutdown.clone();
        tokio::spawn(async move {
            let _slot = slot;
            // A handshake still under way at shutdown is abandoned, not waited for.
            let handshake = tokio::select! {
                r = tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(tcp)) => r,
                _ = stop.changed() => return,
            };
            let Ok(Ok(tls)) = handshake else {
                return;
            };
            let builder = match tls.get_ref().1.alpn_protocol() {
                Some(b"h2") => h2,
                _ => h1,
            };
            let first = Arc::new(tokio::sync::Notify::new());
            let seen = first.clone();
            let svc = hyper::service::service_fn(move |req| {
                seen.notify_one();
                route(req, sh.clone())
            });
            let conn = builder.serve_connection(TokioIo::new(tls), svc);
            let served = watcher.watch(conn.into_owned());
            tokio::pin!(served);
            // The first request must start within the header timeout. HTTP/1.1 enforces that
            // itself; an HTTP/2 connection would otherwise wait for its preface forever. Once
            // requests flow, keep-alive pings find dead peers.
            tokio::select! {
                _ = &mut served => {}
                r = tokio::time::timeout(header_timeout, first.notified()) => {
                    if r.is_ok() {
                        let _ = served.await;
                    }
                }
            }
        });
    }
    drop(listener);
    let _ = tokio::time::timeout(DRAIN_TIMEOUT, graceful.shutdown()).await;
}

type Stamp = (PathBuf, Option<(u64, u64, i64, i64)>);

fn fingerprint(paths: &[PathBuf]) -> Vec<Stamp> {
    use std::os::unix::fs::MetadataExt;
    paths
        .iter()
        .map(|p| {
            let m = std::fs::metadata(p)
                .ok()
                .map(|m| (m.ino(), m.len(), m.mtime(), m.mtime_nsec()));
            (p.clone(), m)
        })
        .collect()
}

/// Loads the gate at start, then again whenever a watched file changes or a reload is asked
/// for; a gate that fails to load is logged and the one serving stays.
pub(crate) async fn reload_loop(
    sh: Arc<Shared>,
    poll: Duration,
    mut requests: mpsc::Receiver<ReloadRequest>,
    mut shutdown: watch::Receiver<bool>,
) {
    let mut last: Option<Vec<Stamp>> = None;
    let mut tick = tokio::time::interval(poll);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        let reply = tokio::select! {
            _ = tick.tick() => None,
            r = requests.recv() => match r { Some(r) => Some(r), None => continue },
            _ = shutdown.changed() => break,
        };
        let watched = sh
            .gate()
            .map_or_else(|| initial_watch(&sh.sources), |g| g.watched.clone());
        let stamps = fingerprint(&watched);
        if reply.is_none() && last.as_ref() == Some(&stamps) {
            continue;
        }
        last = Some(stamps);
        let sources = sh.sources.clone();
        let started = Instant::now();
        let loaded = tokio::task::spawn_blocking(move || {
            catch_unwind(AssertUnwindSafe(|| Gate::load(&sources)))
                .unwrap_or_else(|_| Err("internal error while loading the policies".into()))
        })
        .await
        .unwrap_or_else(|e| Err(format!("policy loading did not finish: {e}")));
        let outcome = match loaded {
            Ok(gate) => {
                last = Some(fingerprint(&gate.watched));
                sh.install(gate);
                sh.metrics.reload("policies", "ok");
                sh.log
                    .info("policy reload finished", json!({"durationMs": ms(started)}));
                Ok(())
            }
            Err(e) => {
                sh.metrics.reload("policies", "error");
                sh.log.error(
                    if sh.ready() {
                        "policy reload rejected; the previous policy set keeps serving"
                    } else {
                        "policies could not be loaded; not ready"
                    },
                    json!({"error": e}),
                );
                Err(e)
            }
        };
        if let Some(r) = reply {
            let _ = r.send(outcome);
        }
    }
}
