//! Hostile and broken clients: malformed JSON, truncated and oversized bodies, slow clients,
//! TLS garbage and a thousand connections at once. Each test checks that every client gets a
//! correct answer or a clean close, and that the server keeps serving afterwards.

mod common;

use common::{pod, review, start_with, Harness};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName};
use serde_json::Value;
use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_rustls::client::TlsStream;
use tokio_rustls::TlsConnector;

/// A TLS connector trusting only `ca_pem`, offering HTTP/1.1 by ALPN.
fn connector(ca_pem: &str) -> TlsConnector {
    connector_for(ca_pem, b"http/1.1")
}

/// A TLS connector trusting only `ca_pem`, offering `alpn`.
fn connector_for(ca_pem: &str, alpn: &[u8]) -> TlsConnector {
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
    cfg.alpn_protocols = vec![alpn.to_vec()];
    TlsConnector::from(Arc::new(cfg))
}

async fn tls(addr: SocketAddr, c: &TlsConnector) -> io::Result<TlsStream<TcpStream>> {
    let tcp = TcpStream::connect(addr).await?;
    tcp.set_nodelay(true)?;
    let name = ServerName::try_from("localhost").expect("name");
    c.connect(name, tcp).await
}

/// The head of a `POST /validate` with `content-length` and no body.
fn head(addr: SocketAddr, content_length: usize) -> Vec<u8> {
    format!(
        "POST /validate HTTP/1.1\r\nhost: {addr}\r\ncontent-type: application/json\r\ncontent-length: {content_length}\r\n\r\n"
    )
    .into_bytes()
}

/// One HTTP/1.1 response: status and body.
#[derive(Debug)]
struct Answer {
    status: u16,
    body: Vec<u8>,
}

impl Answer {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    fn response(&self) -> Value {
        assert_eq!(self.status, 200, "{}", self.text());
        let v: Value = serde_json::from_slice(&self.body).expect("JSON");
        assert_eq!(v["kind"], "AdmissionReview");
        v["response"].clone()
    }
}

/// Reads one response; `Ok(None)` when the server closed the connection before answering.
async fn read_answer<R: AsyncRead + Unpin>(r: &mut R) -> io::Result<Option<Answer>> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 8192];
    let header_end = loop {
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
        let n = r.read(&mut chunk).await?;
        if n == 0 {
            if buf.is_empty() {
                return Ok(None);
            }
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                format!("truncated response: {:?}", String::from_utf8_lossy(&buf)),
            ));
        }
        buf.extend_from_slice(&chunk[..n]);
    };
    let headers = String::from_utf8_lossy(&buf[..header_end]).to_ascii_lowercase();
    let status: u16 = headers
        .strip_prefix("http/1.1 ")
        .and_then(|s| s.get(..3))
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("not an HTTP/1.1 response: {headers:?}"));
    let length: usize = headers
        .lines()
        .find_map(|l| l.strip_prefix("content-length:"))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or_else(|| panic!("no content-length: {headers:?}"));
    let mut body = buf[header_end..].to_vec();
    while body.len() < length {
        let n = r.read(&mut chunk).await?;
        if n == 0 {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "truncated body",
            ));
        }
        body.extend_from_slice(&chunk[..n]);
    }
    body.truncate(length);
    Ok(Some(Answer { status, body }))
}

/// Whether an I/O error is the peer closing the connection.
fn is_close(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::ConnectionReset
            | io::ErrorKind::ConnectionAborted
            | io::ErrorKind::BrokenPipe
            | io::ErrorKind::UnexpectedEof
    )
}

/// The server still answers a real review correctly.
async fn still_serving(h: &Harness, uid: &str) {
    let r = h
        .review(&review(
            uid,
            "CREATE",
            Some(&pod("web", "nginx:latest")),
            None,
        ))
        .await;
    assert_eq!(r["uid"], uid);
    assert_eq!(r["allowed"], false, "{r}");
    assert_eq!(r["auditAnnotations"]["denied-by"], "tag-pinning");
    let r = h
        .review(&review(
            &format!("{uid}-ok"),
            "CREATE",
            Some(&pod("web", "nginx:1.27.3")),
            None,
        ))
        .await;
    assert_eq!(r["allowed"], true, "{r}");
}

/// Waits (bounded) until the metrics contain `line`; whether they did.
async fn metrics_reach(h: &Harness, line: &str) -> bool {
    for _ in 0..250 {
        if h.server.metrics().contains(line) {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    false
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_json_gets_400_with_the_parse_error_and_the_server_keeps_serving() {
    let h = start_with(&[]).await;
    let nested = format!(
        "{{\"apiVersion\":\"admission.k8s.io/v1\",\"kind\":\"AdmissionReview\",\"request\":{{\"uid\":\"d\",\"operation\":\"CREATE\",\"object\":{}",
        "[".repeat(100_000)
    );
    let cases: Vec<(Vec<u8>, &str)> = vec![
        (b"".to_vec(), "EOF while parsing a value at line 1 column 0"),
        (b"{".to_vec(), "EOF while parsing an object at line 1 column 1"),
        (b"not json".to_vec(), "expected ident at line 1 column 2"),
        (
            b"{\"apiVersion\": \"admission.k8s.io/v1\", \"kind\": \"AdmissionReview\",}".to_vec(),
            "trailing comma at line 1 column ",
        ),
        (
            b"{\"apiVersion\":\"admission.k8s.io/v1\",\"kind\":\"AdmissionReview\",\"request\":5}"
                .to_vec(),
            "invalid type: integer `5`, expected struct AdmissionRequest",
        ),
        (
            b"{\"apiVersion\":\"admission.k8s.io/v1\",\"kind\":\"AdmissionReview\",\"request\":{\"uid\":\"x\",\"operation\":\"CREATE\",\"object\":{\"kind\":\"Pod\",\"metadata\":{\"name\":\"\xff\xfe\"}}}}".to_vec(),
            "invalid unicode code point",
        ),
        // Deep nesting stops at the parser's recursion limit instead of the stack.
        (nested.into_bytes(), "recursion limit exceeded"),
    ];
    let n = cases.len();
    for (body, why) in cases {
        let r = h.send("POST", "/validate", body).await;
        let text = String::from_utf8_lossy(&r.body).into_owned();
        assert_eq!(r.status.as_u16(), 400, "{text}");
        assert!(
            text.starts_with("the body is not a valid AdmissionReview: "),
            "{text}"
        );
        assert!(text.contains(why), "expected {why:?} in {text:?}");
    }
    still_serving(&h, "after-malformed").await;
    assert!(h.server.metrics().contains(&format!(
        "kvet_webhook_requests_total{{result=\"bad_request\"}} {n}"
    )));
    h.server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn truncated_bodies_are_abandoned_and_the_server_keeps_serving() {
    let h = start_with(&[]).await;
    let addr = h.server.local_addr();
    let c = connector(&h.ca.pem);
    let body = review("t-1", "CREATE", Some(&pod("web", "nginx:latest")), None).to_string();
    // Half the body, then the client goes away entirely.
    {
        let mut s = tls(addr, &c).await.expect("connect");
        s.write_all(&head(addr, body.len())).await.expect("head");
        s.write_all(&body.as_bytes()[..body.len() / 2])
            .await
            .expect("body");
        s.flush().await.expect("flush");
    }
    // Half the body, then the client closes its side and waits for an answer.
    let mut s = tls(addr, &c).await.expect("connect");
    s.write_all(&head(addr, body.len())).await.expect("head");
    s.write_all(&body.as_bytes()[..body.len() / 2])
        .await
        .expect("body");
    s.shutdown().await.expect("shutdown");
    match tokio::time::timeout(Duration::from_secs(20), read_answer(&mut s))
        .await
        .expect("answered or closed within the deadline")
    {
        Ok(Some(a)) => {
            assert_eq!(a.status, 400, "{}", a.text());
            assert!(
                a.text().contains("cannot read the request body"),
                "{}",
                a.text()
            );
        }
        Ok(None) => {}
        Err(e) => assert!(is_close(&e), "{e}"),
    }
    // Both were counted as bad requests, and nothing is left in flight.
    assert!(
        metrics_reach(&h, "kvet_webhook_requests_total{result=\"bad_request\"} 2").await,
        "{}",
        h.server.metrics()
    );
    assert!(h.server.metrics().contains("kvet_webhook_in_flight 0"));
    still_serving(&h, "after-truncated").await;
    h.server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_50_mb_body_is_refused_without_being_read() {
    const HUGE: usize = 50 << 20;
    let h = start_with(&[]).await;
    let addr = h.server.local_addr();
    let c = connector(&h.ca.pem);
    // Declared: refused from the headers, before the body is read.
    let mut s = tls(addr, &c).await.expect("connect");
    s.write_all(&head(addr, HUGE)).await.expect("head");
    s.write_all(&[b' '; 65536]).await.expect("some body");
    s.flush().await.expect("flush");
    let a = tokio::time::timeout(Duration::from_secs(20), read_answer(&mut s))
        .await
        .expect("answered in time")
        .expect("read")
        .expect("an answer");
    assert_eq!(a.status, 413);
    assert_eq!(
        a.text(),
        "the request body is larger than the 3145728-byte limit\n"
    );
    drop(s);
    // Chunked, with no length: refused once the limit is crossed, and the connection is closed
    // long before the client could send it all.
    let s = tls(addr, &c).await.expect("connect");
    let (mut rd, mut wr) = tokio::io::split(s);
    let writer = tokio::spawn(async move {
        let head = format!(
            "POST /validate HTTP/1.1\r\nhost: {addr}\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n"
        );
        wr.write_all(head.as_bytes()).await?;
        let mut chunk = format!("{:x}\r\n", 1 << 20).into_bytes();
        chunk.extend(std::iter::repeat_n(b' ', 1 << 20));
        chunk.extend_from_slice(b"\r\n");
        let mut sent = 0;
        while sent < HUGE {
            wr.write_all(&chunk).await?;
            sent += 1 << 20;
        }
        wr.write_all(b"0\r\n\r\n").await?;
        wr.flush().await?;
        Ok::<usize, io::Error>(sent)
    });
    match tokio::time::timeout(Duration::from_secs(30), read_answer(&mut rd))
        .await
        .expect("answered or closed in time")
    {
        Ok(Some(a)) => {
            assert_eq!(a.status, 413, "{}", a.text());
            assert!(a.text().contains("3145728-byte limit"), "{}", a.text());
        }
        Ok(None) => {}
        Err(e) => assert!(is_close(&e), "{e}"),
    }
    drop(rd);
    let sent = tokio::time::timeout(Duration::from_secs(30), writer)
        .await
        .expect("writer ends")
        .expect("writer task");
    assert!(
        sent.is_err(),
        "the server read all 50 MB instead of closing the connection"
    );
    assert!(
        metrics_reach(&h, "kvet_webhook_requests_total{result=\"bad_request\"} 2").await,
        "{}",
        h.server.metrics()
    );
    still_serving(&h, "after-huge").await;
    h.server.shutdown().await;
}

/// Sends `bytes` one at a time, `every` apart, until done or the connection fails.
async fn dribble<W: AsyncWrite + Unpin>(
    w: &mut W,
    bytes: &[u8],
    every: Duration,
) -> io::Result<()> {
    for b in bytes {
        w.write_all(std::slice::from_ref(b)).await?;
        w.flush().await?;
        tokio::time::sleep(every).await;
    }
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_clients_are_timed_out_while_others_are_served() {
    let h = start_with(&[("webhook.yaml", "timeout: 2s\n")]).await;
    let addr = h.server.local_addr();
    let c = connector(&h.ca.pem);
    let body = review("slow", "CREATE", Some(&pod("web", "nginx:latest")), None).to_string();

    // Handshakes, then says nothing, over HTTP/1.1 and HTTP/2: closed, not held open forever.
    let mut silent = Vec::new();
    for alpn in [b"http/1.1".as_slice(), b"h2"] {
        let s = tls(addr, &connector_for(&h.ca.pem, alpn))
            .await
            .expect("connect");
        silent.push(tokio::spawn(async move {
            let (mut rd, _wr) = tokio::io::split(s);
            let mut got = Vec::new();
            tokio::time::timeout(Duration::from_secs(15), rd.read_to_end(&mut got))
                .await
                .map(|r| r.map(|_| got))
        }));
    }
    // Headers a byte every 50 ms: not done within the 2 s deadline.
    let s = tls(addr, &c).await.expect("connect");
    let slow_head = tokio::spawn(async move {
        let (mut rd, mut wr) = tokio::io::split(s);
        let mut head = head(addr, 10);
        let line_end = head.iter().position(|b| *b == b'\n').expect("request line") + 1;
        let padding = [b"x-padding: ".as_slice(), &[b'a'; 100], b"\r\n"].concat();
        head.splice(line_end..line_end, padding);
        let w =
            tokio::spawn(async move { dribble(&mut wr, &head, Duration::from_millis(50)).await });
        let r = read_answer(&mut rd).await;
        w.abort();
        r
    });
    // Headers at once, then the body a byte every 20 ms: not done within the deadline.
    let s = tls(addr, &c).await.expect("connect");
    let slow_body = {
        let body = body.clone();
        tokio::spawn(async move {
            let (mut rd, mut wr) = tokio::io::split(s);
            wr.write_all(&head(addr, body.len())).await?;
            let w = tokio::spawn(async move {
                dribble(&mut wr, body.as_bytes(), Duration::from_millis(20)).await
            });
            let r = read_answer(&mut rd).await;
            w.abort();
            r
        })
    };
    // Slow but within the deadline: the body in ten pieces over about half a second.
    let s = tls(addr, &c).await.expect("connect");
    let patient = {
        let body = body.clone();
        tokio::spawn(async move {
            let (mut rd, mut wr) = tokio::io::split(s);
            wr.write_all(&head(addr, body.len())).await?;
            for piece in body.as_bytes().chunks(body.len().div_ceil(10)) {
                wr.write_all(piece).await?;
                wr.flush().await?;
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            read_answer(&mut rd).await
        })
    };
    // Meanwhile, everyone else is served.
    for i in 0..10 {
        still_serving(&h, &format!("meanwhile-{i}")).await;
    }
    let answer = patient.await.expect("task").expect("read").expect("answer");
    assert_eq!(answer.response()["uid"], "slow");
    assert_eq!(answer.response()["allowed"], false);
    match slow_body.await.expect("task") {
        Ok(Some(a)) => {
            assert_eq!(a.status, 408, "{}", a.text());
            assert_eq!(
                a.text(),
                "the request body did not arrive before the deadline\n"
            );
        }
        Ok(None) => panic!("a slow body should get a 408"),
        Err(e) => panic!("a slow body should get a 408, got {e}"),
    }
    // hyper closes a connection whose headers time out, without an answer.
    match slow_head.await.expect("task") {
        Ok(None) => {}
        Ok(Some(a)) => assert_eq!(a.status, 408, "{}", a.text()),
        Err(e) => assert!(is_close(&e), "{e}"),
    }
    for (s, proto) in silent.into_iter().zip(["HTTP/1.1", "HTTP/2"]) {
        match s.await.expect("task") {
            Err(_) => panic!("a silent {proto} connection was held open"),
            Ok(Err(e)) => assert!(is_close(&e), "{proto}: {e}"),
            // HTTP/2 says goodbye with a GOAWAY frame; HTTP/1.1 just closes.
            Ok(Ok(_)) => {}
        }
    }
    still_serving(&h, "after-slow").await;
    h.server.shutdown().await;
}

/// Deterministic noise (xorshift), so a failure can be replayed.
fn noise(seed: u64, n: usize) -> Vec<u8> {
    let mut x = seed;
    (0..n)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tls_garbage_is_refused_and_the_server_keeps_serving() {
    let h = start_with(&[]).await;
    let addr = h.server.local_addr();
    // A handshake that starts and then stalls is still waiting while the others are handled.
    let mut stalled = TcpStream::connect(addr).await.expect("connect");
    stalled
        .write_all(&[0x16, 0x03, 0x01, 0x02, 0x00, 0x01])
        .await
        .expect("write");
    let mut garbage: Vec<Vec<u8>> = (1..=8u64).map(|seed| noise(seed * 7919, 4096)).collect();
    // A handshake record claiming more than a record may hold.
    garbage.push(vec![0x16, 0x03, 0x03, 0xff, 0xff, 0x01, 0x00]);
    // A ClientHello with a nonsense body.
    let mut hello = vec![0x16, 0x03, 0x01, 0x00, 0x40, 0x01, 0x00, 0x00, 0x3c];
    hello.extend(noise(42, 0x3c));
    garbage.push(hello);
    // Plain HTTP on the TLS port.
    garbage.push(b"POST /validate HTTP/1.1\r\nhost: x\r\ncontent-length: 2\r\n\r\n{}".to_vec());
    for (i, bytes) in garbage.iter().enumerate() {
        let mut s = TcpStream::connect(addr).await.expect("connect");
        // The server may close before everything is written.
        let _ = s.write_all(bytes).await;
        let mut got = Vec::new();
        let read = tokio::time::timeout(Duration::from_secs(15), s.read_to_end(&mut got))
            .await
            .unwrap_or_else(|_| panic!("case {i}: the connection was neither answered nor closed"));
        if let Err(e) = read {
            assert!(is_close(&e), "case {i}: {e}");
        }
        // At most a TLS alert record (content type 21), never an HTTP answer.
        assert!(
            got.is_empty() || (got[0] == 0x15 && got.len() <= 7),
            "case {i}: {got:?}"
        );
    }
    still_serving(&h, "after-garbage").await;
    drop(stalled);
    h.server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_concurrent_connections_each_get_an_answer_or_a_clean_close() {
    const N: usize = 1000;
    // Room for every request in the queue, so each is evaluated.
    let h = start_with(&[("webhook.yaml", "maxQueue: 1000\n")]).await;
    let addr = h.server.local_addr();
    let c = connector(&h.ca.pem);
    let go = Arc::new(tokio::sync::Barrier::new(N));
    let mut tasks = Vec::with_capacity(N);
    for i in 0..N {
        let c = c.clone();
        let go = go.clone();
        tasks.push(tokio::spawn(async move {
            let image = if i % 2 == 0 {
                "nginx:latest"
            } else {
                "nginx:1.27.3"
            };
            let body =
                review(&format!("c-{i}"), "CREATE", Some(&pod("web", image)), None).to_string();
            let connected = tls(addr, &c).await;
            // Every connection is open before any request is sent.
            go.wait().await;
            let mut s = connected?;
            let mut req = head(addr, body.len());
            req.extend_from_slice(body.as_bytes());
            s.write_all(&req).await?;
            s.flush().await?;
            read_answer(&mut s).await
        }));
    }
    let (mut allowed, mut denied, mut closed) = (0, 0, 0);
    for (i, t) in tasks.into_iter().enumerate() {
        match t.await.expect("task") {
            Ok(Some(a)) => {
                let r = a.response();
                assert_eq!(r["uid"], format!("c-{i}"));
                if i % 2 == 0 {
                    assert_eq!(r["allowed"], false, "{r}");
                    assert_eq!(r["auditAnnotations"]["denied-by"], "tag-pinning", "{r}");
                    denied += 1;
                } else {
                    assert_eq!(r["allowed"], true, "{r}");
                    allowed += 1;
                }
            }
            Ok(None) => closed += 1,
            Err(e) => {
                assert!(is_close(&e), "connection {i}: {e}");
                closed += 1;
            }
        }
    }
    eprintln!("{allowed} allowed, {denied} denied, {closed} closed");
    assert_eq!(allowed + denied + closed, N);
    assert!(allowed + denied > 0);
    assert!(
        metrics_reach(&h, "kvet_webhook_in_flight 0").await,
        "{}",
        h.server.metrics()
    );
    still_serving(&h, "after-thousand").await;
    h.server.shutdown().await;
}
