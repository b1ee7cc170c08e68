//! Registry credentials from docker credential helpers (`credHelpers`, `credsStore`), run as
//! the docker CLI runs them: `docker-credential-<name> get`, the server on stdin, JSON out.
//! The helpers here are shell scripts on a PATH this test binary sets for itself.

use kvet_images::registry::{
    docker_config, run_credential_helper, ClientOptions, Credentials, RegistryClient,
};
use kvet_images::ImageSource;
use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::os::unix::fs::PermissionsExt;
use std::time::Duration;

const DIGEST: &str = "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

/// A registry on loopback that wants `Basic u:p` and answers every HEAD with a digest.
fn registry() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let host = format!("127.0.0.1:{}", listener.local_addr().unwrap().port());
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { break };
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut auth = String::new();
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                    break;
                }
                if let Some(v) = line.to_ascii_lowercase().strip_prefix("authorization: ") {
                    auth = v.trim().to_owned();
                }
            }
            let reply = if auth == "basic dtpw" {
                format!("HTTP/1.1 200 OK\r\ndocker-content-digest: {DIGEST}\r\ncontent-length: 0\r\nconnection: close\r\n\r\n")
            } else {
                "HTTP/1.1 401 X\r\nwww-authenticate: Basic realm=\"r\"\r\ncontent-length: 0\r\nconnection: close\r\n\r\n".to_owned()
            };
            let _ = stream.write_all(reply.as_bytes());
        }
    });
    host
}

fn script(dir: &std::path::Path, name: &str, body: &str) {
    let p = dir.join(format!("docker-credential-{name}"));
    std::fs::write(&p, format!("#!/bin/sh\n{body}\n")).unwrap();
    std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).unwrap();
}

#[test]
fn helpers_are_run_as_the_docker_cli_runs_them() {
    let bin = tempfile::tempdir().unwrap();
    // Answers for loopback registries only, as a keychain with one entry would.
    script(
        bin.path(),
        "kvettest",
        r#"read server
case "$server" in
  127.0.0.1:*) printf '{"ServerURL":"%s","Username":"u","Secret":"p"}' "$server" ;;
  https://index.docker.io/v1/) printf '{"Username":"<token>","Secret":"refresh"}' ;;
  *) echo "credentials not found in native keychain"; exit 1 ;;
esac"#,
    );
    script(bin.path(), "slow", "sleep 5");
    script(
        bin.path(),
        "broken",
        "echo 'keychain locked' >&2; echo 'keychain locked'; exit 3",
    );
    let path = format!(
        "{}:{}",
        bin.path().display(),
        std::env::var("PATH").unwrap_or_default()
    );
    // This binary holds this one test, so nothing else reads the environment meanwhile.
    std::env::set_var("PATH", path);

    let t = Duration::from_secs(5);
    assert_eq!(
        run_credential_helper("kvettest", "127.0.0.1:5000", t).unwrap(),
        Some(Credentials::Basic {
            username: "u".into(),
            password: "p".into()
        })
    );
    assert_eq!(
        run_credential_helper("kvettest", "docker.io", t).unwrap(),
        Some(Credentials::IdentityToken("refresh".into()))
    );
    assert_eq!(
        run_credential_helper("kvettest", "ghcr.io", t).unwrap(),
        None
    );
    let e = run_credential_helper("slow", "ghcr.io", Duration::from_millis(200)).unwrap_err();
    assert!(e.contains("did not answer within"), "{e}");
    let e = run_credential_helper("broken", "ghcr.io", t).unwrap_err();
    assert!(e.contains("keychain locked"), "{e}");
    let e = run_credential_helper("absent", "ghcr.io", t).unwrap_err();
    assert!(e.starts_with("docker-credential-absent:"), "{e}");
    assert!(run_credential_helper("../x", "ghcr.io", t).is_err());

    // config.json: credHelpers for one registry, credsStore for the rest, auths kept.
    let host = registry();
    let cfg = docker_config(&format!(
        r#"{{"auths":{{"{host}":{{}},"other.io":{{"auth":"YTpi"}}}},"credHelpers":{{"{host}":"kvettest"}},"credsStore":"broken"}}"#
    ))
    .unwrap();
    assert_eq!(cfg.helpers.get(&host).map(String::as_str), Some("kvettest"));
    assert_eq!(cfg.store.as_deref(), Some("broken"));
    let client = |helpers, store| {
        RegistryClient::new(ClientOptions {
            insecure: vec![host.clone()],
            backoff: Duration::from_millis(1),
            helpers,
            store,
            ..Default::default()
        })
    };
    let c = client(cfg.helpers.clone(), cfg.store.clone());
    assert_eq!(
        c.resolve(&host, "app", "1").unwrap(),
        Some(DIGEST.to_owned())
    );
    // The same answers through credsStore alone.
    let c = client(Default::default(), Some("kvettest".into()));
    assert_eq!(
        c.resolve(&host, "app", "1").unwrap(),
        Some(DIGEST.to_owned())
    );
    // A failing store is an error naming it, not an anonymous request.
    let c = client(Default::default(), Some("broken".into()));
    let e = c.resolve(&host, "app", "1").unwrap_err();
    assert!(
        e.0.contains("docker-credential-broken get failed"),
        "{}",
        e.0
    );
}
