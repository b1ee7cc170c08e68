//! A client of the OCI distribution API over HTTP(S): bearer-token and basic auth, retries with
//! backoff, a timeout per request, and an on-disk cache of content by digest. Tags are always
//! asked of the registry (they move); what a digest names never changes, so it is cached.

use crate::cosign::VerifyOptions;
use crate::digest;
use crate::facts::{facts_for, ImageFacts};
use crate::source::{media, ImageSource, Manifest, SourceError};
use base64::Engine as _;
use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::Duration;

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;
/// Manifests larger than this are refused (the OCI spec suggests registries cap them at 4 MiB).
const MAX_MANIFEST: u64 = 4 << 20;
/// Blobs fetched here are signature payloads and bundles; anything larger is refused.
const MAX_BLOB: u64 = 16 << 20;

/// Credentials for one registry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Credentials {
    /// User name and password (or personal access token).
    Basic {
        /// User name.
        username: String,
        /// Password or token.
        password: String,
    },
    /// A refresh token from `docker login` with an identity provider.
    IdentityToken(String),
}

/// What a docker `config.json` says about registry credentials.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DockerConfig {
    /// `auths`: registry host → credentials.
    pub credentials: HashMap<String, Credentials>,
    /// `credHelpers`: registry host → helper (`docker-credential-<name>`).
    pub helpers: HashMap<String, String>,
    /// `credsStore`: the helper for every other registry.
    pub store: Option<String>,
}

/// Reads a docker `config.json`.
pub fn docker_config(text: &str) -> Result<DockerConfig, String> {
    let v: serde_json::Value = serde_json::from_str(text).map_err(|e| format!("not JSON: {e}"))?;
    let mut helpers = HashMap::new();
    for (host, name) in v
        .get("credHelpers")
        .and_then(|h| h.as_object())
        .into_iter()
        .flatten()
    {
        if let Some(name) = name.as_str().filter(|n| !n.is_empty()) {
            helpers.insert(registry_key(host).to_owned(), name.to_owned());
        }
    }
    Ok(DockerConfig {
        credentials: docker_config_credentials(text)?,
        helpers,
        store: v
            .get("credsStore")
            .and_then(|s| s.as_str())
            .filter(|s| !s.is_empty())
            .map(str::to_owned),
    })
}

/// The registry host a config.json key names (`https://index.docker.io/v1/` → `docker.io`).
fn registry_key(key: &str) -> &str {
    let host = key
        .trim_start_matches("https://")
        .trim_start_matches("http://");
    let host = host.split('/').next().unwrap_or(host);
    // Docker Hub's credentials are filed under its old index address.
    match host {
        "index.docker.io" | "registry-1.docker.io" => "docker.io",
        h => h,
    }
}

/// Asks `docker-credential-<helper> get` for a registry's credentials, as the docker CLI does:
/// the server address on stdin, `{"Username", "Secret"}` on stdout (`<token>` as the user name
/// marks an identity token). `Ok(None)` when the helper has none for it.
pub fn run_credential_helper(
    helper: &str,
    registry: &str,
    timeout: Duration,
) -> Result<Option<Credentials>, String> {
    use std::io::{Read, Write};
    use std::process::{Command, Stdio};
    if helper.contains(['/', '\\']) {
        return Err(format!(
            "credential helper name {helper:?} may not contain a path"
        ));
    }
    let program = format!("docker-credential-{helper}");
    let server = if registry == "docker.io" {
        "https://index.docker.io/v1/"
    } else {
        registry
    };
    let mut child = Command::new(&program)
        .arg("get")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("{program}: {e}"))?;
    if let Some(mut stdin) = child.stdin.take() {
        let _ = stdin.write_all(server.as_bytes());
    }
    let mut stdout = child.stdout.take().ok_or("no stdout")?;
    let reader = std::thread::spawn(move || {
        let mut out = Vec::new();
        let _ = stdout.by_ref().take(1 << 20).read_to_end(&mut out);
        out
    });
    let deadline = std::time::Instant::now() + timeout;
    let status = loop {
        match child.try_wait().map_err(|e| format!("{program}: {e}"))? {
            Some(s) => break s,
            None if std::time::Instant::now() >= deadline => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!("{program} did not answer within {timeout:?}"));
            }
            None => std::thread::sleep(Duration::from_millis(5)),
        }
    };
    let out = reader.join().unwrap_or_default();
    let text = String::from_utf8_lossy(&out);
    if !status.success() {
        // The helpers' protocol answers a missing entry with this text and a failure status.
        if text.contains("credentials not found") {
            return Ok(None);
        }
        return Err(format!("{program} get failed ({status}): {}", text.trim()));
    }
    let v: serde_json::Value =
        serde_json::from_str(&text).map_err(|e| format!("{program} answered non-JSON: {e}"))?;
    let user = v.get("Username").and_then(|u| u.as_str()).unwrap_or("");
    let secret = v.get("Secret").and_then(|u| u.as_str()).unwrap_or("");
    Ok(match (user, secret) {
        (_, "") => None,
        ("<token>", t) => Some(Credentials::IdentityToken(t.to_owned())),
        (u, p) => Some(Credentials::Basic {
            username: u.to_owned(),
            password: p.to_owned(),
        }),
    })
}

/// Reads the `auths` of a docker `config.json`: registry host → credentials (see
/// [`docker_config`] for the credential helpers too).
pub fn docker_config_credentials(text: &str) -> Result<HashMap<String, Credentials>, String> {
    let v: serde_json::Value = serde_json::from_str(text).map_err(|e| format!("not JSON: {e}"))?;
    let mut out = HashMap::new();
    let Some(auths) = v.get("auths").and_then(|a| a.as_object()) else {
        return Ok(out);
    };
    for (host, entry) in auths {
        let host = registry_key(host);
        let s = |k: &str| {
            entry
                .get(k)
                .and_then(|v| v.as_str())
                .filter(|s| !s.is_empty())
        };
        let creds = if let Some(t) = s("identitytoken") {
            Credentials::IdentityToken(t.to_owned())
        } else if let Some(a) = s("auth") {
            let decoded = B64
                .decode(a)
                .map_err(|e| format!("auths.{host}.auth is not base64: {e}"))?;
            let decoded = String::from_utf8_lossy(&decoded).into_owned();
            let Some((u, p)) = decoded.split_once(':') else {
                return Err(format!("auths.{host}.auth is not user:password"));
            };
            Credentials::Basic {
                username: u.to_owned(),
                password: p.to_owned(),
            }
        } else if let (Some(u), Some(p)) = (s("username"), s("password")) {
            Credentials::Basic {
                username: u.to_owned(),
                password: p.to_owned(),
            }
        } else {
            continue;
        };
        out.insert(host.to_owned(), creds);
    }
    Ok(out)
}

/// How the client reaches registries.
#[derive(Debug, Clone)]
pub struct ClientOptions {
    /// Registries spoken to over plain HTTP (loopback test registries).
    pub insecure: Vec<String>,
    /// Timeout of each request.
    pub timeout: Duration,
    /// Further attempts after a failure that may pass (transport errors, 429, 5xx).
    pub retries: u32,
    /// First backoff; it doubles per attempt.
    pub backoff: Duration,
    /// Where content is cached by digest (none: no cache).
    pub cache_dir: Option<PathBuf>,
    /// Credentials by registry host.
    pub credentials: HashMap<String, Credentials>,
    /// Credential helpers by registry host (`credHelpers`); they win over `credentials`.
    pub helpers: HashMap<String, String>,
    /// The credential helper for registries without their own (`credsStore`).
    pub store: Option<String>,
}

impl Default for ClientOptions {
    fn default() -> Self {
        ClientOptions {
            insecure: Vec::new(),
            timeout: Duration::from_secs(30),
            retries: 3,
            backoff: Duration::from_millis(200),
            cache_dir: None,
            credentials: HashMap::new(),
            helpers: HashMap::new(),
            store: None,
        }
    }
}

/// The registry client.
pub struct RegistryClient {
    agent: ureq::Agent,
    opts: ClientOptions,
    /// `Authorization` values that worked, by `registry/repository`.
    auth: Mutex<HashMap<String, String>>,
    /// Requests sent (for benchmarks and tests).
    requests: AtomicUsize,
    /// Credentials credential helpers gave, by registry (asked once each).
    helped: Mutex<HashMap<String, Option<Credentials>>>,
}

struct Reply {
    status: u16,
    content_type: Option<String>,
    digest: Option<String>,
    body: Vec<u8>,
}

/// Splits a `WWW-Authenticate` challenge into its scheme and parameters.
fn parse_challenge(h: &str) -> (String, HashMap<String, String>) {
    let (scheme, rest) = h.trim().split_once(' ').unwrap_or((h.trim(), ""));
    let mut params = HashMap::new();
    let mut chars = rest.chars().peekable();
    loop {
        while chars.peek().is_some_and(|c| *c == ',' || c.is_whitespace()) {
            chars.next();
        }
        let name: String = std::iter::from_fn(|| chars.next_if(|c| *c != '=')).collect();
        if name.is_empty() || chars.next().is_none() {
            break;
        }
        let value = if chars.peek() == Some(&'"') {
            chars.next();
            let mut v = String::new();
            while let Some(c) = chars.next() {
                match c {
                    '"' => break,
                    '\\' => v.extend(chars.next()),
                    c => v.push(c),
                }
            }
            v
        } else {
            std::iter::from_fn(|| chars.next_if(|c| *c != ','))
                .collect::<String>()
                .trim()
                .to_owned()
        };
        params.insert(name.trim().to_ascii_lowercase(), value);
    }
    (scheme.to_ascii_lowercase(), params)
}

fn query_escape(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            b => format!("%{b:02X}"),
        })
        .collect()
}

impl RegistryClient {
    /// A client with these options.
    pub fn new(opts: ClientOptions) -> Self {
        let agent = ureq::Agent::config_builder()
            .timeout_global(Some(opts.timeout))
            .http_status_as_error(false)
            .user_agent(concat!("kvet/", env!("CARGO_PKG_VERSION")))
            .build()
            .new_agent();
        RegistryClient {
            agent,
            opts,
            auth: Mutex::new(HashMap::new()),
            requests: AtomicUsize::new(0),
            helped: Mutex::new(HashMap::new()),
        }
    }

    /// A registry's credentials: from its credential helper (`credHelpers`, else `credsStore`),
    /// as the docker CLI chooses, else from `auths`. A helper is asked once per registry.
    fn credentials(&self, registry: &str) -> Result<Option<Credentials>, SourceError> {
        let helper = self.opts.helpers.get(registry).or(self.opts.store.as_ref());
        let Some(helper) = helper else {
            return Ok(self.opts.credentials.get(registry).cloned());
        };
        if let Some(c) = self
            .helped
            .lock()
            .map_err(|_| SourceError("poisoned".into()))?
            .get(registry)
        {
            return Ok(c.clone());
        }
        let got = run_credential_helper(helper, registry, self.opts.timeout)
            .map_err(|e| SourceError(format!("{registry}: {e}")))?;
        // A store without an entry leaves the registry to config.json's own `auths`.
        let got = got.or_else(|| self.opts.credentials.get(registry).cloned());
        if let Ok(mut m) = self.helped.lock() {
            m.insert(registry.to_owned(), got.clone());
        }
        Ok(got)
    }

    /// How many HTTP requests were sent so far.
    pub fn requests(&self) -> usize {
        self.requests.load(Ordering::Relaxed)
    }

    fn base(&self, registry: &str) -> String {
        let host = if registry == "docker.io" {
            "registry-1.docker.io"
        } else {
            registry
        };
        let scheme = if self.opts.insecure.iter().any(|r| r == registry) {
            "http"
        } else {
            "https"
        };
        format!("{scheme}://{host}")
    }

    /// One request with retries; `auth` is the Authorization header to send.
    fn send(
        &self,
        method: &str,
        url: &str,
        accept: Option<&str>,
        auth: Option<&str>,
        limit: u64,
    ) -> Result<(Reply, Option<String>), SourceError> {
        let mut attempt = 0;
        loop {
            self.requests.fetch_add(1, Ordering::Relaxed);
            let result = (|| {
                let mut req = ureq::http::Request::builder().method(method).uri(url);
                if let Some(a) = accept {
                    req = req.header("Accept", a);
                }
                if let Some(a) = auth {
                    req = req.header("Authorization", a);
                }
                let req = req.body(()).map_err(|e| e.to_string())?;
                let mut resp = self.agent.run(req).map_err(|e| e.to_string())?;
                let header = |n: &str| {
                    resp.headers()
                        .get(n)
                        .and_then(|v| v.to_str().ok())
                        .map(str::to_owned)
                };
                let challenge = header("www-authenticate");
                let content_type = header("content-type");
                let digest = header("docker-content-digest");
                let status = resp.status().as_u16();
                let body = if method == "HEAD" || status == 401 {
                    Vec::new()
                } else {
                    resp.body_mut()
                        .with_config()
                        .limit(limit)
                        .read_to_vec()
                        .map_err(|e| e.to_string())?
                };
                Ok::<_, String>((
                    Reply {
                        status,
                        content_type,
                        digest,
                        body,
                    },
                    challenge,
                ))
            })();
            let retry = match &result {
                Ok((r, _)) => r.status == 429 || r.status >= 500,
                Err(_) => true,
            };
            if !retry || attempt >= self.opts.retries {
                return match result {
                    Ok((r, _)) if retry => Err(SourceError(format!(
                        "{method} {url}: HTTP {} after {} attempts",
                        r.status,
                        attempt + 1
                    ))),
                    Ok(r) => Ok(r),
                    Err(e) => Err(SourceError(format!(
                        "{method} {url}: {e} (after {} attempts)",
                        attempt + 1
                    ))),
                };
            }
            std::thread::sleep(self.opts.backoff * 2u32.saturating_pow(attempt));
            attempt += 1;
        }
    }

    /// A form POST (no retries: token services answer at once or not at all).
    fn post_form(&self, url: &str, form: &str) -> Result<Reply, SourceError> {
        self.requests.fetch_add(1, Ordering::Relaxed);
        let mut resp = self
            .agent
            .post(url)
            .header("Content-Type", "application/x-www-form-urlencoded")
            .send(form.as_bytes())
            .map_err(|e| SourceError(format!("POST {url}: {e}")))?;
        let status = resp.status().as_u16();
        let body = resp
            .body_mut()
            .with_config()
            .limit(1 << 20)
            .read_to_vec()
            .map_err(|e| SourceError(format!("POST {url}: {e}")))?;
        Ok(Reply {
            status,
            content_type: None,
            digest: None,
            body,
        })
    }

    /// Obtains an Authorization value answering `challenge` for `repository`.
    fn authorize(
        &self,
        registry: &str,
        repository: &str,
        challenge: &str,
    ) -> Result<String, SourceError> {
        let (scheme, params) = parse_challenge(challenge);
        let creds = self.credentials(registry)?;
        let creds = creds.as_ref();
        let basic = |u: &str, p: &str| format!("Basic {}", B64.encode(format!("{u}:{p}")));
        match scheme.as_str() {
            "basic" => match creds {
                Some(Credentials::Basic { username, password }) => Ok(basic(username, password)),
                _ => Err(SourceError(format!(
                    "{registry} asks for a user name and password; none configured for it"
                ))),
            },
            "bearer" => {
                let realm = params.get("realm").ok_or_else(|| {
                    SourceError(format!("{registry}: bearer challenge without realm"))
                })?;
                let mut url = format!("{realm}?");
                if let Some(s) = params.get("service") {
                    url.push_str(&format!("service={}&", query_escape(s)));
                }
                let scope = params
                    .get("scope")
                    .cloned()
                    .unwrap_or_else(|| format!("repository:{repository}:pull"));
                url.push_str(&format!("scope={}", query_escape(&scope)));
                let r = match creds {
                    // An identity token is an OAuth2 refresh token, exchanged by POST
                    // (the registry token specification's OAuth flow).
                    Some(Credentials::IdentityToken(t)) => {
                        let form = format!(
                            "grant_type=refresh_token&service={}&scope={}&client_id=kvet&refresh_token={}",
                            query_escape(params.get("service").map_or("", String::as_str)),
                            query_escape(&scope),
                            query_escape(t)
                        );
                        self.post_form(realm, &form)?
                    }
                    Some(Credentials::Basic { username, password }) => {
                        let login = basic(username, password);
                        self.send("GET", &url, None, Some(&login), 1 << 20)?.0
                    }
                    None => self.send("GET", &url, None, None, 1 << 20)?.0,
                };
                if r.status != 200 {
                    return Err(SourceError(format!(
                        "token request to {realm} failed: HTTP {}",
                        r.status
                    )));
                }
                let v: serde_json::Value = serde_json::from_slice(&r.body)
                    .map_err(|e| SourceError(format!("token from {realm} is not JSON: {e}")))?;
                let token = v
                    .get("token")
                    .or_else(|| v.get("access_token"))
                    .and_then(|t| t.as_str())
                    .filter(|t| !t.is_empty());
                token.map(|t| format!("Bearer {t}")).ok_or_else(|| {
                    SourceError(format!("token response from {realm} holds no token"))
                })
            }
            other => Err(SourceError(format!(
                "{registry} asks for unsupported authentication {other:?}"
            ))),
        }
    }

    /// A request to `registry`'s API for `repository`, authenticating when challenged.
    fn api(
        &self,
        method: &str,
        registry: &str,
        repository: &str,
        path: &str,
        accept: Option<&str>,
        limit: u64,
    ) -> Result<Reply, SourceError> {
        let url = format!("{}/v2/{repository}/{path}", self.base(registry));
        let key = format!("{registry}/{repository}");
        let cached = self.auth.lock().ok().and_then(|m| m.get(&key).cloned());
        let (r, challenge) = self.send(method, &url, accept, cached.as_deref(), limit)?;
        if r.status != 401 {
            return Ok(r);
        }
        let Some(challenge) = challenge else {
            return Err(SourceError(format!(
                "{method} {url}: HTTP 401 without a challenge"
            )));
        };
        let auth = self.authorize(registry, repository, &challenge)?;
        let (r, _) = self.send(method, &url, accept, Some(&auth), limit)?;
        if r.status == 401 || r.status == 403 {
            return Err(SourceError(format!(
                "{method} {url}: access denied (HTTP {})",
                r.status
            )));
        }
        if let Ok(mut m) = self.auth.lock() {
            m.insert(key, auth);
        }
        Ok(r)
    }

    fn cache_path(&self, d: &str) -> Option<PathBuf> {
        let (alg, hex) = d.split_once(':')?;
        if alg != "sha256" || hex.len() != 64 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        Some(self.opts.cache_dir.as_ref()?.join(alg).join(hex))
    }

    fn cached(&self, d: &str) -> Option<(Vec<u8>, Option<String>)> {
        let p = self.cache_path(d)?;
        let body = std::fs::read(&p).ok()?;
        if !digest::matches(d, &body) {
            return None;
        }
        let ty = std::fs::read_to_string(p.with_extension("type")).ok();
        Some((body, ty))
    }

    fn store(&self, d: &str, body: &[u8], media_type: Option<&str>) {
        let Some(p) = self.cache_path(d) else { return };
        let Some(dir) = p.parent() else { return };
        if std::fs::create_dir_all(dir).is_err() {
            return;
        }
        // Written aside and renamed, so a concurrent reader never sees half a file.
        let tmp = p.with_extension(format!("tmp{}", std::process::id()));
        if let Some(t) = media_type {
            let _ = std::fs::write(p.with_extension("type"), t);
        }
        if std::fs::write(&tmp, body).is_ok() {
            let _ = std::fs::rename(&tmp, &p);
        }
    }

    fn status_error(method: &str, what: &str, r: &Reply) -> SourceError {
        SourceError(format!(
            "{method} {what}: HTTP {}{}",
            r.status,
            String::from_utf8_lossy(&r.body[..r.body.len().min(200)])
                .trim()
                .split('\n')
                .next()
                .map(|s| if s.is_empty() {
                    String::new()
                } else {
                    format!(": {s}")
                })
                .unwrap_or_default()
        ))
    }
}

impl ImageSource for RegistryClient {
    fn manifest(
        &self,
        registry: &str,
        repository: &str,
        reference: &str,
    ) -> Result<Option<Manifest>, SourceError> {
        let by_digest = reference.contains(':');
        if by_digest {
            if let Some((body, ty)) = self.cached(reference) {
                return Ok(Some(Manifest::from_body(ty.as_deref(), body)));
            }
        }
        let r = self.api(
            "GET",
            registry,
            repository,
            &format!("manifests/{reference}"),
            Some(media::ACCEPT),
            MAX_MANIFEST,
        )?;
        match r.status {
            200 => {}
            404 => return Ok(None),
            _ => {
                return Err(Self::status_error(
                    "GET",
                    &format!("{registry}/{repository} manifest {reference}"),
                    &r,
                ))
            }
        }
        let m = Manifest::from_body(r.content_type.as_deref(), r.body);
        if by_digest && m.digest != reference {
            return Err(SourceError(format!(
                "{registry}/{repository}: manifest {reference} came back with digest {}",
                m.digest
            )));
        }
        if let Some(d) = r.digest.filter(|d| d.starts_with("sha256:")) {
            if d != m.digest {
                return Err(SourceError(format!("{registry}/{repository}: manifest {reference} is announced as {d} but hashes to {}", m.digest)));
            }
        }
        self.store(&m.digest, &m.body, Some(&m.media_type));
        Ok(Some(m))
    }

    fn resolve(
        &self,
        registry: &str,
        repository: &str,
        tag: &str,
    ) -> Result<Option<String>, SourceError> {
        let r = self.api(
            "HEAD",
            registry,
            repository,
            &format!("manifests/{tag}"),
            Some(media::ACCEPT),
            0,
        )?;
        match r.status {
            200 => match r.digest {
                Some(d) if crate::reference::validate_digest(&d).is_ok() => Ok(Some(d)),
                // Without the header, the digest is the hash of the manifest's bytes.
                _ => Ok(self.manifest(registry, repository, tag)?.map(|m| m.digest)),
            },
            404 => Ok(None),
            _ => Err(Self::status_error(
                "HEAD",
                &format!("{registry}/{repository}:{tag}"),
                &r,
            )),
        }
    }

    fn blob(&self, registry: &str, repository: &str, d: &str) -> Result<Vec<u8>, SourceError> {
        if let Some((body, _)) = self.cached(d) {
            return Ok(body);
        }
        let r = self.api(
            "GET",
            registry,
            repository,
            &format!("blobs/{d}"),
            None,
            MAX_BLOB,
        )?;
        if r.status != 200 {
            return Err(Self::status_error(
                "GET",
                &format!("{registry}/{repository} blob {d}"),
                &r,
            ));
        }
        if !digest::matches(d, &r.body) {
            return Err(SourceError(format!(
                "{registry}/{repository}: blob {d} has other content ({})",
                digest::sha256(&r.body)
            )));
        }
        self.store(d, &r.body, None);
        Ok(r.body)
    }

    fn referrers(
        &self,
        registry: &str,
        repository: &str,
        d: &str,
    ) -> Result<Option<Manifest>, SourceError> {
        let r = self.api(
            "GET",
            registry,
            repository,
            &format!("referrers/{d}"),
            Some(media::OCI_INDEX),
            MAX_MANIFEST,
        )?;
        match r.status {
            200 => Ok(Some(Manifest::from_body(Some(media::OCI_INDEX), r.body))),
            // 404 (and 405 on some registries) means the API is not there: use the tag schema.
            404 | 405 => Ok(None),
            _ => Err(Self::status_error(
                "GET",
                &format!("{registry}/{repository} referrers of {d}"),
                &r,
            )),
        }
    }
}

/// Facts for every distinct image, `concurrency` at a time.
pub fn facts_parallel(
    images: &[String],
    source: &dyn ImageSource,
    opts: &VerifyOptions,
    verify: bool,
    concurrency: usize,
) -> BTreeMap<String, ImageFacts> {
    let mut distinct: Vec<&String> = images.iter().collect();
    distinct.sort();
    distinct.dedup();
    let next = AtomicUsize::new(0);
    let out = Mutex::new(BTreeMap::new());
    std::thread::scope(|s| {
        for _ in 0..concurrency.clamp(1, distinct.len().max(1)) {
            s.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(image) = distinct.get(i) else { break };
                let f = facts_for(image, source, opts, verify);
                if let Ok(mut m) = out.lock() {
                    m.insert((*image).clone(), f);
                }
            });
        }
    });
    out.into_inner().unwrap_or_else(|p| p.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn challenges_and_docker_config() {
        let (s, p) = parse_challenge(
            r#"Bearer realm="https://auth.example/token",service="reg",scope="repository:a/b:pull,push""#,
        );
        assert_eq!(s, "bearer");
        assert_eq!(p["realm"], "https://auth.example/token");
        assert_eq!(p["service"], "reg");
        assert_eq!(p["scope"], "repository:a/b:pull,push");
        let (s, p) = parse_challenge(r#"Basic realm="Registry Realm""#);
        assert_eq!(
            (s.as_str(), p["realm"].as_str()),
            ("basic", "Registry Realm")
        );
        let c = docker_config_credentials(r#"{"auths":{"https://index.docker.io/v1/":{"auth":"dTpwOnc="},"ghcr.io":{"username":"x","password":"y"},"r.io":{"identitytoken":"t"}}}"#).unwrap();
        assert_eq!(
            c["docker.io"],
            Credentials::Basic {
                username: "u".into(),
                password: "p:w".into()
            }
        );
        assert_eq!(
            c["ghcr.io"],
            Credentials::Basic {
                username: "x".into(),
                password: "y".into()
            }
        );
        assert_eq!(c["r.io"], Credentials::IdentityToken("t".into()));
        assert_eq!(
            docker_config_credentials(r#"{"auths":{"a":{"auth":"!"}}}"#).unwrap_err(),
            "auths.a.auth is not base64: Invalid symbol 33, offset 0."
        );
        assert_eq!(
            query_escape("repository:a/b:pull"),
            "repository%3Aa%2Fb%3Apull"
        );
    }
}
