//! `cargo xtask bench-webhook`: `kvet serve` (the release binary) under load over HTTPS on
//! loopback. Closed-loop throughput and latency with wrk, once with the default policy set
//! and schema validation on a mix of Pods and Deployments, and once with the same server
//! configured to evaluate nothing (`operations: [CONNECT]`: every CREATE is allowed as soon as
//! it is parsed), so the ratio shows what checking costs over serving. Then an open-loop run
//! at a fixed rate (2,000 requests/s by default) over HTTP/2, as the API server sends, with
//! latency measured from each request's scheduled send time.

use crate::webhook_mix;
use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

struct Options {
    seconds: u64,
    rate: u64,
    connections: u64,
    threads: u64,
}

fn parse(args: &[String]) -> Result<Options, String> {
    let mut o = Options {
        seconds: 10,
        rate: 2000,
        connections: 32,
        threads: 2,
    };
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let mut num = |name: &str| -> Result<u64, String> {
            it.next()
                .and_then(|v| v.parse().ok())
                .filter(|n| *n > 0)
                .ok_or(format!("{name} needs a positive number"))
        };
        match a.as_str() {
            "--seconds" => o.seconds = num("--seconds")?,
            "--rate" => o.rate = num("--rate")?,
            "--connections" => o.connections = num("--connections")?,
            "--threads" => o.threads = num("--threads")?,
            other => return Err(format!("unknown option {other}")),
        }
    }
    Ok(o)
}

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."))
}

fn build_kvet(root: &Path) -> Result<PathBuf, String> {
    let status = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
        .args(["build", "--release", "-p", "kvet-cli"])
        .current_dir(root)
        .status()
        .map_err(|e| format!("cargo build: {e}"))?;
    if !status.success() {
        return Err("cargo build --release -p kvet-cli failed".into());
    }
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("target"));
    Ok(target.join("release").join("kvet"))
}

/// A self-signed P-256 certificate for localhost and 127.0.0.1: (cert, key) paths.
fn certificate(dir: &Path) -> Result<(PathBuf, PathBuf), String> {
    let cert = dir.join("tls.crt");
    let key = dir.join("tls.key");
    let out = Command::new("openssl")
        .args([
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
        ])
        .args(["-nodes", "-days", "1", "-subj", "/CN=localhost"])
        .args(["-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"])
        // `req -x509` makes a CA by default, which TLS clients refuse as a server certificate.
        .args(["-addext", "basicConstraints=critical,CA:FALSE"])
        .arg("-keyout")
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .output()
        .map_err(|e| format!("openssl is needed to make a test certificate: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "openssl req failed: {}",
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    Ok((cert, key))
}

const WRK_SCRIPT: &str = r#"
local bodies = {}
local i = 0
function init(args)
  for line in io.lines(args[1]) do bodies[#bodies + 1] = line end
  i = math.random(#bodies)
end
function request()
  i = i % #bodies + 1
  return wrk.format("POST", "/validate", {["Content-Type"] = "application/json"}, bodies[i])
end
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("KVET %d %d %d %d %d %d %d\n", summary.requests, summary.duration,
    latency:percentile(50), latency:percentile(99), latency:percentile(99.9),
    e.status + e.connect + e.read + e.write + e.timeout, latency.max))
end
"#;

/// A `kvet serve` child process, killed when dropped.
struct Served {
    child: Child,
    port: u16,
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> Result<u16, String> {
    let l = std::net::TcpListener::bind("127.0.0.1:0").map_err(|e| e.to_string())?;
    l.local_addr().map(|a| a.port()).map_err(|e| e.to_string())
}

fn serve(kvet: &Path, dir: &Path, settings: &str, log: &str) -> Result<Served, String> {
    let webhook = dir.join(format!("{log}.webhook.yaml"));
    std::fs::write(&webhook, settings).map_err(|e| e.to_string())?;
    let port = free_port()?;
    let log = std::fs::File::create(dir.join(format!("{log}.log"))).map_err(|e| e.to_string())?;
    let child = Command::new(kvet)
        .arg("serve")
        .args(["--listen", &format!("127.0.0.1:{port}")])
        .arg("--tls-cert")
        .arg(dir.join("tls.crt"))
        .arg("--tls-key")
        .arg(dir.join("tls.key"))
        .arg("--webhook-config")
        .arg(&webhook)
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .map_err(|e| format!("cannot start {}: {e}", kvet.display()))?;
    Ok(Served { child, port })
}

/// A TLS client config trusting the bench certificate, with `alpn`.
fn tls_config(cert: &Path, alpn: &[u8]) -> Result<rustls::ClientConfig, String> {
    let pem = std::fs::read(cert).map_err(|e| e.to_string())?;
    let mut roots = rustls::RootCertStore::empty();
    for c in CertificateDer::pem_slice_iter(&pem) {
        roots
            .add(c.map_err(|e| e.to_string())?)
            .map_err(|e| e.to_string())?;
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut cfg = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?
        .with_root_certificates(roots)
        .with_no_client_auth();
    cfg.alpn_protocols = vec![alpn.to_vec()];
    Ok(cfg)
}

type H2 = hyper::client::conn::http2::SendRequest<Full<Bytes>>;

async fn h2_connect(port: u16, cfg: Arc<rustls::ClientConfig>) -> Result<H2, String> {
    let tcp = tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .map_err(|e| e.to_string())?;
    let _ = tcp.set_nodelay(true);
    let name = ServerName::try_from("localhost").map_err(|e| e.to_string())?;
    let tls = tokio_rustls::TlsConnector::from(cfg)
        .connect(name, tcp)
        .await
        .map_err(|e| format!("TLS: {e}"))?;
    let (send, conn) = hyper::client::conn::http2::handshake(
        hyper_util::rt::TokioExecutor::new(),
        hyper_util::rt::TokioIo::new(tls),
    )
    .await
    .map_err(|e| format!("HTTP/2: {e}"))?;
    tokio::spawn(conn);
    Ok(send)
}

/// One request; the response's status and whether it allowed.
async fn post(send: &mut H2, port: u16, path: &str, body: Bytes) -> Result<(u16, Value), String> {
    let req = hyper::Request::builder()
        .method(if body.is_empty() { "GET" } else { "POST" })
        .uri(format!("https://127.0.0.1:{port}{path}"))
        .header("content-type", "application/json")
        .body(Full::new(body))
        .map_err(|e| e.to_string())?;
    send.ready().await.map_err(|e| e.to_string())?;
    let resp = send.send_request(req).await.map_err(|e| e.to_string())?;
    let status = resp.status().as_u16();
    let body = resp
        .into_body()
        .collect()
        .await
        .map_err(|e| e.to_string())?
        .to_bytes();
    Ok((status, serde_json::from_slice(&body).unwrap_or(Value::Null)))
}

async fn wait_ready(port: u16, cfg: Arc<rustls::ClientConfig>) -> Result<(), String> {
    let until = Instant::now() + Duration::from_secs(60);
    loop {
        let why = match h2_connect(port, cfg.clone()).await {
            Ok(mut s) => match post(&mut s, port, "/readyz", Bytes::new()).await {
                Ok((200, _)) => return Ok(()),
                Ok((status, _)) => format!("/readyz answered {status}"),
                Err(e) => e,
            },
            Err(e) => e,
        };
        if Instant::now() > until {
            return Err(format!(
                "kvet serve did not become ready within 60 s: {why}"
            ));
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Throughput and latency of one closed-loop run.
struct Closed {
    rps: f64,
    /// Requests completed.
    requests: u64,
    /// CPU time the server process used during the run, when /proc tells.
    server_cpu: Option<Duration>,
    p50: Duration,
    p99: Duration,
    p999: Duration,
    max: Duration,
    errors: u64,
}

fn wrk(server: &Served, o: &Options, script: &Path, bodies: &Path) -> Result<Closed, String> {
    let port = server.port;
    let cpu_before = process_cpu(server.child.id());
    let out = Command::new("wrk")
        .args([
            "-t",
            &o.threads.to_string(),
            "-c",
            &o.connections.to_string(),
        ])
        .args(["-d", &format!("{}s", o.seconds)])
        .arg("-s")
        .arg(script)
        .arg(format!("https://127.0.0.1:{port}/validate"))
        .arg("--")
        .arg(bodies)
        .output()
        .map_err(|e| format!("wrk is needed (apt-get install -y wrk): {e}"))?;
    let server_cpu = cpu_before
        .zip(process_cpu(server.child.id()))
        .map(|(a, b)| b.saturating_sub(a));
    let text = String::from_utf8_lossy(&out.stdout);
    let line = text
        .lines()
        .find_map(|l| l.strip_prefix("KVET "))
        .ok_or_else(|| {
            format!(
                "unexpected wrk output:\n{text}{}",
                String::from_utf8_lossy(&out.stderr)
            )
        })?;
    let n: Vec<u64> = line
        .split_whitespace()
        .filter_map(|v| v.parse().ok())
        .collect();
    let [requests, micros, p50, p99, p999, errors, max] = n[..] else {
        return Err(format!("unexpected wrk summary {line:?}"));
    };
    Ok(Closed {
        rps: requests as f64 / (micros as f64 / 1e6),
        requests,
        server_cpu,
        p50: Duration::from_micros(p50),
        p99: Duration::from_micros(p99),
        p999: Duration::from_micros(p999),
        max: Duration::from_micros(max),
        errors,
    })
}

/// The CPU time (user and system, all threads) process `pid` has used so far, from
/// /proc/PID/stat in clock ticks.
fn process_cpu(pid: u32) -> Option<Duration> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Fields after the command name, which is in parentheses and may hold spaces.
    let rest = &stat[stat.rfind(')')? + 2..];
    let f: Vec<&str> = rest.split_whitespace().collect();
    // utime and stime are fields 14 and 15 of the whole line: 12 and 13 after the name.
    let ticks: u64 = f.get(11)?.parse::<u64>().ok()? + f.get(12)?.parse::<u64>().ok()?;
    let hz = Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|o| {
            String::from_utf8_lossy(&o.stdout)
                .trim()
                .parse::<u64>()
                .ok()
        })
        .filter(|&h| h > 0)
        .unwrap_or(100);
    Some(Duration::from_micros(ticks * 1_000_000 / hz))
}

/// Latencies of an open-loop run at a fixed rate.
struct Open {
    sent: usize,
    p50: Duration,
    p99: Duration,
    p999: Duration,
    max: Duration,
    failed: usize,
    late_sends: usize,
}

fn percentile(sorted: &[Duration], q: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let i = ((q * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len()) - 1;
    sorted[i]
}

/// Sends at `rate` per second for `seconds` over `conns` HTTP/2 connections. A dedicated
/// thread keeps the schedule (thread sleeps are finer than the runtime's 1 ms timer); each
/// latency runs from the scheduled send time, so a stalled server cannot hide its queue.
fn open_loop(
    rt: &tokio::runtime::Runtime,
    port: u16,
    cfg: Arc<rustls::ClientConfig>,
    bodies: &[Bytes],
    rate: u64,
    seconds: u64,
) -> Result<Open, String> {
    let conns: Vec<H2> = rt.block_on(async {
        let mut v = Vec::new();
        for _ in 0..4 {
            v.push(h2_connect(port, cfg.clone()).await?);
        }
        Ok::<_, String>(v)
    })?;
    let total = (rate * seconds) as usize;
    let interval = Duration::from_secs_f64(1.0 / rate as f64);
    let results: Arc<Mutex<Vec<Option<Duration>>>> =
        Arc::new(Mutex::new(Vec::with_capacity(total)));
    let mut late_sends = 0;
    let start = Instant::now() + Duration::from_millis(50);
    let mut tasks = Vec::with_capacity(total);
    for k in 0..total {
        let at = start + interval * k as u32;
        let now = Instant::now();
        if at > now {
            std::thread::sleep(at - now);
        } else if now - at > Duration::from_millis(1) {
            late_sends += 1;
        }
        let mut send = conns[k % conns.len()].clone();
        let body = bodies[k % bodies.len()].clone();
        let results = results.clone();
        tasks.push(rt.spawn(async move {
            let r = post(&mut send, port, "/validate", body).await;
            let ok = matches!(&r, Ok((200, v)) if v["response"]["allowed"].is_boolean());
            let took = at.elapsed();
            if let Ok(mut res) = results.lock() {
                res.push(ok.then_some(took));
            }
        }));
    }
    rt.block_on(async {
        for t in tasks {
            let _ = t.await;
        }
    });
    let res = results.lock().map_err(|_| "results lock poisoned")?;
    let mut ok: Vec<Duration> = res.iter().flatten().copied().collect();
    ok.sort();
    Ok(Open {
        sent: total,
        p50: percentile(&ok, 0.50),
        p99: percentile(&ok, 0.99),
        p999: percentile(&ok, 0.999),
        max: ok.last().copied().unwrap_or_default(),
        failed: res.iter().filter(|r| r.is_none()).count(),
        late_sends,
    })
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1e3)
}

/// Runs the benchmark; `--seconds N` per run (10), `--rate R` for the fixed-rate run (2000),
/// `--connections C` and `--threads T` for wrk (32, 2).
pub fn run(args: &[String]) -> Result<(), String> {
    let o = parse(args)?;
    let root = workspace_root();
    let kvet = build_kvet(&root)?;
    let dir = std::env::temp_dir().join(format!("kvet-bench-webhook-{}", std::process::id()));
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    let (cert, _) = certificate(&dir)?;
    let bodies = webhook_mix::bodies();
    let bodies_file = dir.join("bodies.jsonl");
    std::fs::write(&bodies_file, bodies.join("\n") + "\n").map_err(|e| e.to_string())?;
    let script = dir.join("rotate.lua");
    std::fs::write(&script, WRK_SCRIPT).map_err(|e| e.to_string())?;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    let cfg = Arc::new(tls_config(&cert, b"h2")?);
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    println!(
        "kvet serve on 127.0.0.1, {cores} cores shared with the load generator; {} distinct Pods and Deployments",
        webhook_mix::BODIES
    );

    // The same binary and settings, but nothing evaluated: the cost of serving alone.
    let noop = serve(&kvet, &dir, "operations: [CONNECT]\n", "noop")?;
    rt.block_on(wait_ready(noop.port, cfg.clone()))?;
    let base = wrk(&noop, &o, &script, &bodies_file)?;
    drop(noop);

    let full = serve(&kvet, &dir, "maxQueue: 1024\n", "full")?;
    rt.block_on(wait_ready(full.port, cfg.clone()))?;
    // Sanity: the mix is really judged (some denied, some allowed).
    let (allowed, denied) = rt.block_on(async {
        let mut s = h2_connect(full.port, cfg.clone()).await?;
        let (mut a, mut d) = (0, 0);
        for b in &bodies {
            match post(&mut s, full.port, "/validate", Bytes::from(b.clone())).await? {
                (200, v) if v["response"]["allowed"] == true => a += 1,
                (200, v) if v["response"]["allowed"] == false => d += 1,
                (s, v) => return Err(format!("unexpected answer {s}: {v}")),
            }
        }
        Ok::<_, String>((a, d))
    })?;
    println!("the mix: {allowed} allowed, {denied} denied by the default policies");
    let checked = wrk(&full, &o, &script, &bodies_file)?;
    let bytes: Vec<Bytes> = bodies.iter().map(|b| Bytes::from(b.clone())).collect();
    let fixed = open_loop(&rt, full.port, cfg.clone(), &bytes, o.rate, o.seconds)?;
    drop(full);

    println!(
        "\nclosed loop (wrk, {} threads, {} connections, HTTP/1.1 keep-alive, {} s each):",
        o.threads, o.connections, o.seconds
    );
    for (name, r) in [
        ("no-op allow", &base),
        ("default policies + schema", &checked),
    ] {
        println!(
            "  {name:<26} {:>8.0} req/s   p50 {:>9}  p99 {:>9}  p99.9 {:>9}  max {:>9}  errors {}",
            r.rps,
            ms(r.p50),
            ms(r.p99),
            ms(r.p999),
            ms(r.max),
            r.errors
        );
    }
    println!(
        "  checked / no-op throughput: {:.2}",
        checked.rps / base.rps.max(1e-9)
    );
    // The server's own CPU per answer, without the load generator's share of the cores.
    let per = |r: &Closed| {
        r.server_cpu
            .map(|c| c.as_secs_f64() * 1e6 / r.requests.max(1) as f64)
    };
    if let (Some(b), Some(c)) = (per(&base), per(&checked)) {
        println!(
            "  server CPU per request: no-op {b:.0} µs, checked {c:.0} µs (the policies and schema: {:.0} µs)",
            c - b
        );
    }
    println!(
        "\nopen loop at {} req/s for {} s (HTTP/2, 4 connections), default policies + schema:",
        o.rate, o.seconds
    );
    println!(
        "  sent {}   p50 {}  p99 {}  p99.9 {}  max {}   failed {}   sends late by >1 ms: {}",
        fixed.sent,
        ms(fixed.p50),
        ms(fixed.p99),
        ms(fixed.p999),
        ms(fixed.max),
        fixed.failed,
        fixed.late_sends
    );
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}
