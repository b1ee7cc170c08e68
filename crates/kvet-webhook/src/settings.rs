//! Webhook settings (`--webhook-config FILE`): what only the admission path needs — exemptions,
//! which operations are evaluated, the failure stance and the request limits. They live in
//! their own file because `.kvet.yaml` is shared with `kvet check`, whose parser rejects
//! unknown keys; the policies themselves come from `.kvet.yaml` exactly as the CLI reads it.
//!
//! ```yaml
//! failurePolicy: Fail            # Fail: deny when kvet cannot decide (overload, timeout, bug); Ignore: allow with a warning
//! timeout: 8s                    # per-request deadline, below the API server's timeoutSeconds (10 s)
//!                                # (request headers and the first request on a connection: min(10 s, timeout))
//! maxBodyBytes: 3145728          # 3 MiB, the API server's own request limit
//! workers: 2                     # evaluation threads (default: one per core)
//! maxQueue: 256                  # requests waiting for a worker before kvet answers "overloaded"
//! operations: [CREATE, UPDATE]   # evaluated; the others (DELETE, CONNECT) are allowed
//! exemptNamespaces: [kube-system, "kvet-*"]
//! exemptUsers: ["system:serviceaccount:kube-system:*"]
//! exemptGroups: [kvet:break-glass]
//! ignoreMissingSchemas: true     # overrides .kvet.yaml's for admission (custom resources)
//! images:                        # verify images for image-signed / image-digest-pinned
//!   cosignKeys: [release=cosign.pub]   # NAME=PATH or PATH (relative to this file)
//!   rekorKeys: [rekor.pub]
//!   rekorRequired: false
//!   insecureRegistries: ["127.0.0.1:5000"]
//!   registryConfig: docker-config.json
//!   fulcioRoots: [fulcio.pem]    # keyless: trusted roots, with the identity and issuer below
//!   certificateIdentity: ci@example.com        # or certificateIdentityRegexp
//!   certificateOidcIssuer: https://issuer.example.com   # or certificateOidcIssuerRegexp
//!   cacheSeconds: 300            # verdicts are kept this long (failures 15 s)
//!   wait: 3s                     # longest a request waits for verification (default: timeout / 2)
//! ```

use kvet_policy::glob_matches;
use serde::Deserialize;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// What kvet answers when it cannot reach a verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub enum FailurePolicy {
    /// Deny (fail closed): the default, as a gate should.
    Fail,
    /// Allow, with a warning saying the request was not checked.
    Ignore,
}

/// Settings of the admission path.
#[derive(Debug, Clone, PartialEq)]
pub struct WebhookSettings {
    /// Answer when no verdict can be reached in time.
    pub failure_policy: FailurePolicy,
    /// Deadline for one request, from its arrival.
    pub timeout: Duration,
    /// Largest request body accepted.
    pub max_body_bytes: usize,
    /// Evaluation threads.
    pub workers: usize,
    /// Requests allowed to wait for a worker.
    pub max_queue: usize,
    /// Operations evaluated; others are allowed.
    pub operations: Vec<String>,
    /// Namespaces (globs) whose requests are allowed unchecked.
    pub exempt_namespaces: Vec<String>,
    /// Users (globs) whose requests are allowed unchecked.
    pub exempt_users: Vec<String>,
    /// Groups (globs) whose members' requests are allowed unchecked.
    pub exempt_groups: Vec<String>,
    /// Overrides the config's `ignoreMissingSchemas` when set.
    pub ignore_missing_schemas: Option<bool>,
    /// Image verification, when configured.
    pub images: Option<ImageSettings>,
}

/// How the webhook verifies images: facts are gathered in the background, shared by
/// requests, kept for `cache`, and waited for at most `wait` per request.
#[derive(Debug, Clone, PartialEq)]
pub struct ImageSettings {
    /// Cosign public keys: (name, path).
    pub cosign_keys: Vec<(String, PathBuf)>,
    /// Rekor public keys.
    pub rekor_keys: Vec<PathBuf>,
    /// A signature counts only with a verified Rekor entry.
    pub rekor_required: bool,
    /// Registries reached over plain HTTP.
    pub insecure_registries: Vec<String>,
    /// A docker config.json with credentials.
    pub registry_config: Option<PathBuf>,
    /// Keyless: trusted Fulcio roots (and intermediates).
    pub fulcio_roots: Vec<PathBuf>,
    /// Keyless: the accepted identity, exactly or as a regular expression.
    pub certificate_identity: Option<(String, bool)>,
    /// Keyless: the accepted OIDC issuer, exactly or as a regular expression.
    pub certificate_oidc_issuer: Option<(String, bool)>,
    /// How long verdicts are kept.
    pub cache: Duration,
    /// Longest a request waits for verification.
    pub wait: Duration,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct RawImages {
    #[serde(default)]
    cosign_keys: Vec<String>,
    #[serde(default)]
    rekor_keys: Vec<String>,
    #[serde(default)]
    rekor_required: bool,
    #[serde(default)]
    insecure_registries: Vec<String>,
    registry_config: Option<String>,
    #[serde(default)]
    fulcio_roots: Vec<String>,
    certificate_identity: Option<String>,
    certificate_identity_regexp: Option<String>,
    certificate_oidc_issuer: Option<String>,
    certificate_oidc_issuer_regexp: Option<String>,
    cache_seconds: Option<u64>,
    wait: Option<Value>,
}

impl Default for WebhookSettings {
    fn default() -> Self {
        WebhookSettings {
            failure_policy: FailurePolicy::Fail,
            timeout: Duration::from_secs(8),
            max_body_bytes: 3 << 20,
            workers: std::thread::available_parallelism().map_or(2, |n| n.get()),
            max_queue: 256,
            operations: vec!["CREATE".into(), "UPDATE".into()],
            exempt_namespaces: Vec::new(),
            exempt_users: Vec::new(),
            exempt_groups: Vec::new(),
            ignore_missing_schemas: None,
            images: None,
        }
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct RawSettings {
    failure_policy: Option<FailurePolicy>,
    timeout: Option<Value>,
    max_body_bytes: Option<usize>,
    workers: Option<usize>,
    max_queue: Option<usize>,
    operations: Option<Vec<String>>,
    #[serde(default)]
    exempt_namespaces: Vec<String>,
    #[serde(default)]
    exempt_users: Vec<String>,
    #[serde(default)]
    exempt_groups: Vec<String>,
    ignore_missing_schemas: Option<bool>,
    images: Option<RawImages>,
}

/// An exact value or a regular expression (`true`), not both.
fn one_of(
    file: &str,
    key: &str,
    exact: Option<String>,
    regexp: Option<String>,
) -> Result<Option<(String, bool)>, String> {
    match (exact, regexp) {
        (Some(_), Some(_)) => Err(format!(
            "{file}: give images.{key} or images.{key}Regexp, not both"
        )),
        (Some(e), None) => Ok(Some((e, false))),
        (None, Some(r)) => Ok(Some((r, true))),
        (None, None) => Ok(None),
    }
}

/// `250`, `250ms`, `8s`.
fn duration(v: &Value) -> Option<Duration> {
    match v {
        Value::Number(n) => n.as_u64().map(Duration::from_millis),
        Value::String(s) => {
            let s = s.trim();
            if let Some(ms) = s.strip_suffix("ms") {
                ms.trim().parse().ok().map(Duration::from_millis)
            } else if let Some(secs) = s.strip_suffix('s') {
                secs.trim()
                    .parse::<f64>()
                    .ok()
                    .filter(|x| x.is_finite() && *x >= 0.0)
                    .map(Duration::from_secs_f64)
            } else {
                s.parse().ok().map(Duration::from_millis)
            }
        }
        _ => None,
    }
}

impl WebhookSettings {
    /// Parses settings text (YAML or JSON); `file` names it in messages.
    pub fn parse(file: &str, text: &str) -> Result<WebhookSettings, String> {
        let value = match kvet_yaml::parse_one(text, &kvet_yaml::Limits::default()) {
            Ok(Some(doc)) => doc.value,
            Ok(None) => return Ok(WebhookSettings::default()),
            Err(e) => {
                return Err(format!(
                    "{file}:{}:{}: invalid YAML: {}",
                    e.span.start.line, e.span.start.column, e.message
                ))
            }
        };
        let raw: RawSettings = serde_json::from_value(value).map_err(|e| format!("{file}: {e}"))?;
        let mut s = WebhookSettings::default();
        if let Some(p) = raw.failure_policy {
            s.failure_policy = p;
        }
        if let Some(t) = &raw.timeout {
            s.timeout = duration(t)
                .filter(|d| !d.is_zero())
                .ok_or_else(|| format!("{file}: timeout must be a duration such as 8s or 500ms"))?;
        }
        if let Some(n) = raw.max_body_bytes {
            s.max_body_bytes = n;
        }
        if let Some(n) = raw.workers {
            s.workers = n.max(1);
        }
        if let Some(n) = raw.max_queue {
            s.max_queue = n;
        }
        if let Some(ops) = raw.operations {
            for op in &ops {
                if !matches!(op.as_str(), "CREATE" | "UPDATE" | "DELETE" | "CONNECT") {
                    return Err(format!(
                        "{file}: unknown operation {op:?} (CREATE, UPDATE, DELETE or CONNECT)"
                    ));
                }
            }
            s.operations = ops;
        }
        s.exempt_namespaces = raw.exempt_namespaces;
        s.exempt_users = raw.exempt_users;
        s.exempt_groups = raw.exempt_groups;
        s.ignore_missing_schemas = raw.ignore_missing_schemas;
        if let Some(i) = raw.images {
            // Paths are relative to the settings file.
            let base = Path::new(file).parent().unwrap_or(Path::new("."));
            let path = |p: &str| base.join(p);
            let cosign_keys = i
                .cosign_keys
                .iter()
                .map(|k| match k.split_once('=') {
                    Some((name, p)) if !name.is_empty() && !name.contains(['/', '\\']) => {
                        (name.to_owned(), path(p))
                    }
                    _ => {
                        let p = path(k);
                        let stem = p
                            .file_stem()
                            .map(|s| s.to_string_lossy().into_owned())
                            .unwrap_or_default();
                        (stem, p)
                    }
                })
                .collect();
            let wait = match &i.wait {
                Some(w) => duration(w)
                    .ok_or_else(|| format!("{file}: images.wait must be a duration such as 3s"))?,
                None => s.timeout / 2,
            };
            s.images = Some(ImageSettings {
                cosign_keys,
                rekor_keys: i.rekor_keys.iter().map(|p| path(p)).collect(),
                rekor_required: i.rekor_required,
                insecure_registries: i.insecure_registries,
                registry_config: i.registry_config.as_deref().map(path),
                fulcio_roots: i.fulcio_roots.iter().map(|p| path(p)).collect(),
                certificate_identity: one_of(
                    file,
                    "certificateIdentity",
                    i.certificate_identity,
                    i.certificate_identity_regexp,
                )?,
                certificate_oidc_issuer: one_of(
                    file,
                    "certificateOidcIssuer",
                    i.certificate_oidc_issuer,
                    i.certificate_oidc_issuer_regexp,
                )?,
                cache: Duration::from_secs(i.cache_seconds.unwrap_or(300)),
                wait: wait.min(s.timeout),
            });
        }
        Ok(s)
    }

    /// Reads a settings file.
    pub fn load(path: &Path) -> Result<WebhookSettings, String> {
        let shown = path.display().to_string();
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("{shown}: cannot read the webhook config: {e}"))?;
        Self::parse(&shown, &text)
    }

    /// Why a request is exempt from evaluation, if it is.
    pub fn exemption(
        &self,
        namespace: Option<&str>,
        username: &str,
        groups: &[String],
    ) -> Option<String> {
        if let Some(ns) = namespace.filter(|n| !n.is_empty()) {
            if self
                .exempt_namespaces
                .iter()
                .any(|p| glob_matches(p, ns, b'\0'))
            {
                return Some(format!("namespace {ns}"));
            }
        }
        if self
            .exempt_users
            .iter()
            .any(|p| glob_matches(p, username, b'\0'))
        {
            return Some(format!("user {username}"));
        }
        groups
            .iter()
            .find(|g| self.exempt_groups.iter().any(|p| glob_matches(p, g, b'\0')))
            .map(|g| format!("group {g}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_settings_and_rejects_unknown_keys() {
        let s = WebhookSettings::parse(
            "w.yaml",
            "failurePolicy: Ignore\ntimeout: 2s\noperations: [CREATE]\nexemptNamespaces: [kube-*]\nexemptGroups: [breakglass]\n",
        )
        .expect("valid");
        assert_eq!(s.failure_policy, FailurePolicy::Ignore);
        assert_eq!(s.timeout, Duration::from_secs(2));
        assert_eq!(s.operations, vec!["CREATE"]);
        assert_eq!(
            s.exemption(Some("kube-system"), "u", &[]),
            Some("namespace kube-system".into())
        );
        assert_eq!(
            s.exemption(Some("app"), "u", &["breakglass".into()]),
            Some("group breakglass".into())
        );
        assert_eq!(s.exemption(Some("app"), "u", &[]), None);
        let e = WebhookSettings::parse("w.yaml", "failurPolicy: Fail\n").unwrap_err();
        assert!(e.contains("unknown field"), "{e}");
        let e = WebhookSettings::parse("w.yaml", "operations: [PATCH]\n").unwrap_err();
        assert!(e.contains("PATCH"), "{e}");
    }

    #[test]
    fn image_settings_resolve_paths_beside_the_file() {
        let s = WebhookSettings::parse(
            "/etc/kvet/webhook.yaml",
            "timeout: 6s\nimages:\n  cosignKeys: [release=keys/a.pub, /abs/b.pub]\n  rekorKeys: [rekor.pub]\n",
        )
        .expect("valid");
        let i = s.images.expect("images");
        assert_eq!(
            i.cosign_keys,
            vec![
                ("release".to_owned(), PathBuf::from("/etc/kvet/keys/a.pub")),
                ("b".to_owned(), PathBuf::from("/abs/b.pub")),
            ]
        );
        assert_eq!(i.rekor_keys, vec![PathBuf::from("/etc/kvet/rekor.pub")]);
        assert_eq!(
            (i.wait, i.cache),
            (Duration::from_secs(3), Duration::from_secs(300))
        );
        let s = WebhookSettings::parse(
            "w.yaml",
            "images:\n  fulcioRoots: [f.pem]\n  certificateIdentityRegexp: '@example.com$'\n  certificateOidcIssuer: https://i\n",
        )
        .expect("valid");
        let i = s.images.expect("images");
        assert_eq!(
            i.certificate_identity,
            Some(("@example.com$".to_owned(), true))
        );
        assert_eq!(
            i.certificate_oidc_issuer,
            Some(("https://i".to_owned(), false))
        );
        let e = WebhookSettings::parse(
            "w.yaml",
            "images: {certificateIdentity: a, certificateIdentityRegexp: b}\n",
        )
        .unwrap_err();
        assert!(e.contains("not both"), "{e}");
        let e = WebhookSettings::parse("w.yaml", "images: {cosignKey: [a]}\n").unwrap_err();
        assert!(e.contains("unknown field"), "{e}");
    }
}
