//! The registry client's bearer-token and basic authentication and its retries, against a
//! small scripted HTTP server on loopback (the loopback docker-registry runs without auth).

use kvet_images::registry::{ClientOptions, Credentials, RegistryClient};
use kvet_images::ImageSource;
use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};

const DIGEST: &str = "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

/// Serves `respond(method, path, authorization or form body, port)` → (status, headers, body)
/// on a free port; records each request as "METHOD PATH AUTH".
fn serve(
    respond: impl Fn(&str, &str, &str, u16) -> (u16, Vec<(String, String)>, String) + Send + 'static,
) -> (String, Arc<Mutex<Vec<String>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let host = format!("127.0.0.1:{}", listener.local_addr().unwrap().port());
    let log = Arc::new(Mutex::new(Vec::new()));
    let seen = log.clone();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { break };
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut first = String::new();
            if reader.read_line(&mut first).is_err() {
                continue;
            }
            let mut auth = String::new();
            let mut length = 0;
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                    break;
                }
                if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length: ") {
                    length = v.trim().parse().unwrap_or(0);
                }
                if let Some(v) = line
                    .strip_prefix("authorization: ")
                    .or_else(|| line.strip_prefix("Authorization: "))
                {
                    auth = v.trim().to_owned();
                }
            }
            let mut body = vec![0; length];
            let _ = std::io::Read::read_exact(&mut reader, &mut body);
            if !body.is_empty() {
                auth = String::from_utf8_lossy(&body).into_owned();
            }
            let mut parts = first.split_whitespace();
            let (method, path) = (
                parts.next().unwrap_or("").to_owned(),
                parts.next().unwrap_or("").to_owned(),
            );
            seen.lock()
                .unwrap()
                .push(format!("{method} {path} {auth}").trim().to_owned());
            let (status, headers, body) = respond(&method, &path, &auth, port);
            let mut out = format!(
                "HTTP/1.1 {status} X\r\ncontent-length: {}\r\nconnection: close\r\n",
                body.len()
            );
            for (k, v) in headers {
                out.push_str(&format!("{k}: {v}\r\n"));
            }
            out.push_str("\r\n");
            if method != "HEAD" {
                out.push_str(&body);
            }
            let _ = stream.write_all(out.as_bytes());
        }
    });
    (host, log)
}

fn client(host: &str, creds: Option<Credentials>) -> RegistryClient {
    let mut opts = ClientOptions {
        insecure: vec![host.to_owned()],
        backoff: std::time::Duration::from_millis(1),
        ..Default::default()
    };
    if let Some(c) = creds {
        opts.credentials.insert(host.to_owned(), c);
    }
    RegistryClient::new(opts)
}

fn found() -> (u16, Vec<(String, String)>, String) {
    (
        200,
        vec![("docker-content-digest".into(), DIGEST.into())],
        String::new(),
    )
}

#[test]
fn bearer_tokens_are_fetched_with_the_configured_login_and_reused() {
    let (host, log) = serve(|_, path, auth, port| {
        if path.starts_with("/token") {
            return if auth == "Basic dTpw" {
                (200, vec![], r#"{"token":"t0k"}"#.into())
            } else {
                (401, vec![], String::new())
            };
        }
        if auth == "Bearer t0k" {
            return found();
        }
        let challenge = format!(
            r#"Bearer realm="http://127.0.0.1:{port}/token",service="reg test",scope="repository:team/app:pull""#
        );
        (
            401,
            vec![("www-authenticate".into(), challenge)],
            String::new(),
        )
    });
    let c = client(
        &host,
        Some(Credentials::Basic {
            username: "u".into(),
            password: "p".into(),
        }),
    );
    assert_eq!(
        c.resolve(&host, "team/app", "1").unwrap(),
        Some(DIGEST.to_owned())
    );
    assert_eq!(
        c.resolve(&host, "team/app", "2").unwrap(),
        Some(DIGEST.to_owned())
    );
    assert_eq!(
        *log.lock().unwrap(),
        vec![
            "HEAD /v2/team/app/manifests/1".to_owned(),
            "GET /token?service=reg%20test&scope=repository%3Ateam%2Fapp%3Apull Basic dTpw"
                .to_owned(),
            "HEAD /v2/team/app/manifests/1 Bearer t0k".to_owned(),
            "HEAD /v2/team/app/manifests/2 Bearer t0k".to_owned(),
        ]
    );
    // Without credentials the token service refuses, and the error says where.
    let anonymous = client(&host, None);
    let e = anonymous.resolve(&host, "team/app", "1").unwrap_err();
    assert_eq!(
        e.0,
        format!(
            "token request to http://127.0.0.1:{}/token failed: HTTP 401",
            &host[10..]
        )
    );
}

#[test]
fn basic_auth_is_sent_when_asked_for() {
    let (host, _log) = serve(|_, _, auth, _| {
        if auth == "Basic dTpw" {
            found()
        } else {
            (
                401,
                vec![(
                    "www-authenticate".into(),
                    r#"Basic realm="Registry Realm""#.into(),
                )],
                String::new(),
            )
        }
    });
    let c = client(
        &host,
        Some(Credentials::Basic {
            username: "u".into(),
            password: "p".into(),
        }),
    );
    assert_eq!(
        c.resolve(&host, "app", "1").unwrap(),
        Some(DIGEST.to_owned())
    );
    let e = client(&host, None).resolve(&host, "app", "1").unwrap_err();
    assert_eq!(
        e.0,
        format!("{host} asks for a user name and password; none configured for it")
    );
}

#[test]
fn server_errors_are_retried_then_reported() {
    let count = Arc::new(Mutex::new(0));
    let n = count.clone();
    let (host, _) = serve(move |_, path, _, _| {
        let mut n = n.lock().unwrap();
        *n += 1;
        if path.contains("/flaky/") && *n >= 3 {
            found()
        } else {
            (503, vec![], String::new())
        }
    });
    let c = client(&host, None);
    assert_eq!(
        c.resolve(&host, "flaky", "1").unwrap(),
        Some(DIGEST.to_owned())
    );
    assert_eq!(c.requests(), 3);
    let e = c.resolve(&host, "down", "1").unwrap_err();
    assert_eq!(
        e.0,
        format!("HEAD http://{host}/v2/down/manifests/1: HTTP 503 after 4 attempts")
    );
}

#[test]
fn identity_tokens_are_exchanged_as_refresh_tokens() {
    let (host, log) = serve(|method, path, auth, port| {
        if method == "POST" && path == "/token" {
            return if auth.contains("grant_type=refresh_token")
                && auth.ends_with("refresh_token=r%2Bt")
            {
                (200, vec![], r#"{"access_token":"acc"}"#.into())
            } else {
                (400, vec![], String::new())
            };
        }
        if auth == "Bearer acc" {
            return found();
        }
        let challenge = format!(r#"Bearer realm="http://127.0.0.1:{port}/token",service="svc""#);
        (
            401,
            vec![("www-authenticate".into(), challenge)],
            String::new(),
        )
    });
    let c = client(&host, Some(Credentials::IdentityToken("r+t".into())));
    assert_eq!(
        c.resolve(&host, "app", "1").unwrap(),
        Some(DIGEST.to_owned())
    );
    assert_eq!(
        log.lock().unwrap()[1],
        "POST /token grant_type=refresh_token&service=svc&scope=repository%3Aapp%3Apull&client_id=kvet&refresh_token=r%2Bt"
    );
}

#[test]
fn bundles_are_found_through_the_referrers_api() {
    use kvet_images::testing::{sign_bundle, TestKey};
    use kvet_images::{digest, facts_for, VerifyOptions};
    let key = TestKey::new("release");
    let image = br#"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:0000000000000000000000000000000000000000000000000000000000000000","size":2},"layers":[]}"#.to_vec();
    let image_digest = digest::sha256(&image);
    let bundle = sign_bundle("app", &image_digest, &key, None);
    let bundle_digest = digest::sha256(&bundle);
    let artifact = format!(
        r#"{{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","artifactType":"application/vnd.dev.sigstore.bundle.v0.3+json","config":{{"mediaType":"application/vnd.oci.empty.v1+json","digest":"sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a","size":2}},"layers":[{{"mediaType":"application/vnd.dev.sigstore.bundle.v0.3+json","digest":"{bundle_digest}","size":{}}}],"subject":{{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"{image_digest}","size":{}}}}}"#,
        bundle.len(),
        image.len()
    );
    let artifact_digest = digest::sha256(artifact.as_bytes());
    let index = format!(
        r#"{{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[{{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"{artifact_digest}","size":{},"artifactType":"application/vnd.dev.sigstore.bundle.v0.3+json"}}]}}"#,
        artifact.len()
    );
    let (image_s, bundle_s) = (
        String::from_utf8(image).unwrap(),
        String::from_utf8(bundle).unwrap(),
    );
    let (id, ad, bd) = (
        image_digest.clone(),
        artifact_digest.clone(),
        bundle_digest.clone(),
    );
    let (host, log) = serve(move |_, path, _, _| {
        let ok = |ty: &str, body: &str| {
            (
                200,
                vec![("content-type".to_owned(), ty.to_owned())],
                body.to_owned(),
            )
        };
        let oci = "application/vnd.oci.image.manifest.v1+json";
        match path {
            "/v2/app/manifests/1" => (
                200,
                vec![
                    ("docker-content-digest".into(), id.clone()),
                    ("content-type".into(), oci.into()),
                ],
                image_s.clone(),
            ),
            p if p == format!("/v2/app/manifests/{id}") => ok(oci, &image_s),
            p if p == format!("/v2/app/referrers/{id}") => {
                ok("application/vnd.oci.image.index.v1+json", &index)
            }
            p if p == format!("/v2/app/manifests/{ad}") => ok(oci, &artifact),
            p if p == format!("/v2/app/blobs/{bd}") => ok("application/octet-stream", &bundle_s),
            _ => (404, vec![], String::new()),
        }
    });
    let c = client(&host, None);
    let opts = VerifyOptions {
        keys: vec![key.public("release")],
        ..Default::default()
    };
    let f = facts_for(&format!("{host}/app:1"), &c, &opts, true);
    assert!(f.signed, "{f:#?}");
    assert_eq!(
        f.signatures[0].reason,
        "Sigstore bundle signature by key release verified; transparency log not checked"
    );
    // The referrers API answered, so the tag fallback was not asked.
    let fallback = format!("manifests/{}", digest::referrers_tag(&image_digest));
    assert!(!log.lock().unwrap().iter().any(|l| l.ends_with(&fallback)));
}
