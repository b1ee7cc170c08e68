//! The compiled admission gate: the checker, policies and exceptions `.kvet.yaml` describes —
//! assembled as `kvet check` assembles them — plus the webhook settings, and the verdict on
//! one AdmissionRequest.

use crate::admission::{AdmissionRequest, AdmissionResponse};
use crate::settings::WebhookSettings;
use kvet_engine::{
    embedded_versions, input, load_policies, CheckOptions, Checker, Config, Date, Exceptions,
    Finding, KubeVersion, Namespaces, PolicySources, Severity, SourceFile,
};
use kvet_policy::Evaluator;
use serde_json::{json, Map, Value};
use std::cell::RefCell;
use std::collections::BTreeSet;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// Numbers each loaded gate, so a worker knows when its evaluator belongs to an older one.
static GATE_IDS: AtomicU64 = AtomicU64::new(1);

thread_local! {
    /// This worker's evaluator and the gate it was made for: copying the compiled policies
    /// costs more than evaluating most objects, so it is done once per worker and gate.
    static EVALUATOR: RefCell<Option<(u64, Option<Evaluator>)>> = const { RefCell::new(None) };
}

/// The default per-object policy time limit of `kvet check`, in milliseconds.
const CLI_POLICY_TIMEOUT_MS: u64 = 5000;

/// Where a gate is read from.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GateSources {
    /// `.kvet.yaml`; `None` for the defaults (as `kvet check --no-config`).
    pub config: Option<PathBuf>,
    /// Webhook settings; `None` for the defaults.
    pub webhook_config: Option<PathBuf>,
}

/// A compiled policy set with everything needed to answer admission requests.
pub struct Gate {
    id: u64,
    checker: Checker,
    exceptions: Exceptions,
    fail_on: Severity,
    /// The admission settings this gate was loaded with.
    pub settings: Arc<WebhookSettings>,
    /// Files whose change triggers a reload.
    pub watched: Vec<PathBuf>,
    /// The built-in policy sets in force, for the log.
    pub policy_sets: Vec<String>,
    /// Problems worth logging once per load (expired exceptions).
    pub notes: Vec<String>,
    /// Image facts shared by requests, and how long one request waits for them.
    images: Option<(Arc<kvet_images::shared::SharedFacts>, Duration)>,
}

/// The image verification the settings describe: keys read, the registry client made.
fn image_facts(
    i: &crate::settings::ImageSettings,
) -> Result<Arc<kvet_images::shared::SharedFacts>, String> {
    use kvet_images::registry::{docker_config, ClientOptions, RegistryClient};
    use kvet_images::shared::{SharedFacts, SharedOptions};
    let read = |id: &str, p: &std::path::Path| {
        let text =
            std::fs::read_to_string(p).map_err(|e| format!("images: {}: {e}", p.display()))?;
        kvet_images::PublicKey::from_pem(id, &text)
            .map_err(|e| format!("images: {}: {e}", p.display()))
    };
    let mut verify = kvet_images::VerifyOptions {
        rekor_required: i.rekor_required,
        ..Default::default()
    };
    for (name, p) in &i.cosign_keys {
        verify.keys.push(read(name, p)?);
    }
    for p in &i.rekor_keys {
        let stem = p
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        verify.rekor_keys.push(read(&stem, p)?);
    }
    if !i.fulcio_roots.is_empty()
        || i.certificate_identity.is_some()
        || i.certificate_oidc_issuer.is_some()
    {
        use kvet_images::keyless::{Identity, Keyless, Matcher};
        let matcher = |v: &Option<(String, bool)>, key: &str| match v {
            Some((r, true)) => Matcher::regex(r).map_err(|e| format!("images.{key}Regexp: {e}")),
            Some((e, false)) => Ok(Matcher::Exact(e.clone())),
            None => Err(format!(
                "images: keyless verification needs {key} (or {key}Regexp)"
            )),
        };
        let subject = matcher(&i.certificate_identity, "certificateIdentity")?;
        let issuer = matcher(&i.certificate_oidc_issuer, "certificateOidcIssuer")?;
        if i.fulcio_roots.is_empty() || verify.rekor_keys.is_empty() {
            return Err(
                "images: keyless verification needs fulcioRoots and rekorKeys (the log dates each signature)"
                    .to_owned(),
            );
        }
        let mut roots = Vec::new();
        for p in &i.fulcio_roots {
            let text =
                std::fs::read_to_string(p).map_err(|e| format!("images: {}: {e}", p.display()))?;
            roots.extend(
                Keyless::roots_from_pem(&text)
                    .map_err(|e| format!("images: {}: {e}", p.display()))?,
            );
        }
        verify.keyless = Some(Keyless {
            identities: vec![Identity { subject, issuer }],
            roots,
        });
    }
    if i.rekor_required && verify.rekor_keys.is_empty() {
        return Err("images: rekorRequired needs rekorKeys".to_owned());
    }
    let docker = match &i.registry_config {
        Some(p) => {
            let text =
                std::fs::read_to_string(p).map_err(|e| format!("images: {}: {e}", p.display()))?;
            docker_config(&text).map_err(|e| format!("images: {}: {e}", p.display()))?
        }
        None => Default::default(),
    };
    let client = RegistryClient::new(ClientOptions {
        insecure: i.insecure_registries.clone(),
        // A request never waits past its own deadline; the lookup itself may take longer.
        timeout: Duration::from_secs(10),
        retries: 1,
        credentials: docker.credentials,
        helpers: docker.helpers,
        store: docker.store,
        ..Default::default()
    });
    Ok(SharedFacts::new(
        Arc::new(client),
        verify,
        SharedOptions {
            ttl: i.cache,
            ..Default::default()
        },
    ))
}

/// What happened to a request, for logs and metrics.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Evaluated and allowed.
    Allowed,
    /// Evaluated and denied.
    Denied,
    /// Allowed without evaluation: an exempt namespace, user or group.
    Exempt,
    /// Allowed without evaluation: an operation, subresource or deletion not evaluated.
    Skipped,
}

impl Outcome {
    /// The metric label.
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Allowed => "allowed",
            Outcome::Denied => "denied",
            Outcome::Exempt => "exempt",
            Outcome::Skipped => "skipped",
        }
    }
}

/// A gate's answer to one request.
#[derive(Debug, Clone)]
pub struct Verdict {
    /// What to send back.
    pub response: AdmissionResponse,
    /// How it was reached.
    pub outcome: Outcome,
    /// Rule ids of the findings that denied, in order, without repeats.
    pub denied_by: Vec<String>,
    /// Rule ids of the warnings.
    pub warned_by: Vec<String>,
}

/// A request this gate cannot evaluate (an HTTP 400).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct Unanswerable(pub String);

fn config_error(findings: &[Finding]) -> String {
    findings
        .iter()
        .map(|f| {
            if f.location.line > 0 {
                format!(
                    "{}:{}:{}: {}",
                    f.location.file, f.location.line, f.location.column, f.message
                )
            } else {
                format!("{}: {}", f.location.file, f.message)
            }
        })
        .collect::<Vec<_>>()
        .join("; ")
}

fn parse_version(s: &str) -> Result<KubeVersion, String> {
    let v = s.parse::<KubeVersion>().map_err(|e| e.to_string())?;
    if embedded_versions().contains(&v) {
        Ok(v)
    } else {
        Err(format!("Kubernetes {v} is not embedded"))
    }
}

/// Today (UTC), for exception expiry.
fn today() -> Date {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    Date::from_unix_days((secs / 86_400) as i64)
}

impl Gate {
    /// Reads the config and webhook settings and compiles the policies. Any problem — an
    /// unreadable file, a config mistake, a policy that does not compile, a broken CRD —
    /// rejects the whole gate, so a reload never half-applies.
    pub fn load(src: &GateSources) -> Result<Gate, String> {
        let settings = match &src.webhook_config {
            Some(p) => WebhookSettings::load(p)?,
            None => WebhookSettings::default(),
        };
        let config = match &src.config {
            Some(p) => Config::load(p).map_err(|f| config_error(&f))?,
            None => Config {
                root: PathBuf::from("."),
                ..Default::default()
            },
        };
        let version = match config.kubernetes_version.as_deref() {
            Some(s) => parse_version(s).map_err(|e| format!("kubernetesVersion: {e}"))?,
            None => embedded_versions()
                .last()
                .copied()
                .ok_or("no Kubernetes schemas are embedded in this build")?,
        };
        let pss_minor = match config.pss_version.as_deref() {
            Some(s) => kvet_engine::config::parse_pss_version(s)?,
            None => None,
        };
        // The same assembly as `kvet check` with no flags (kvet-cli's run_check).
        let mut opts = CheckOptions::new(version);
        opts.strict = config.strict.unwrap_or(true);
        opts.ignore_missing_schemas = settings
            .ignore_missing_schemas
            .unwrap_or_else(|| config.ignore_missing_schemas.unwrap_or(false));
        opts.skip_kinds = config.skip_kinds.clone();
        opts.only_kinds = config.only_kinds.clone();
        opts.self_waivable = config.self_waivable.clone();
        if config
            .schema_locations
            .iter()
            .any(|l| l.as_str() != "default")
        {
            return Err(
                "schemaLocations other than `default` are not supported by kvet serve (it does not fetch schemas at admission time); use crds"
                    .into(),
            );
        }
        let sets: Vec<String> = match &config.policy_sets {
            None => kvet_policy::DEFAULT_SETS
                .iter()
                .map(|s| (*s).to_owned())
                .collect(),
            Some(list) => list
                .iter()
                .filter(|s| s.as_str() != "none")
                .cloned()
                .collect(),
        };
        // The policy time limit stays below the request deadline, so a runaway policy ends
        // in a policy-error finding (a denial) rather than a timeout.
        let timeout_ms = config
            .policy_timeout_ms
            .unwrap_or(CLI_POLICY_TIMEOUT_MS)
            .min(settings.timeout.as_millis() as u64 * 3 / 4);
        let sources = PolicySources {
            policies: config.policies.clone(),
            sets: sets.clone(),
            data: config.data.clone(),
            namespaces: match &config.namespaces {
                Some(n) if !n.is_empty() => Namespaces::Matching(n.clone()),
                _ => Namespaces::default(),
            },
            time_limit: (timeout_ms > 0).then(|| Duration::from_millis(timeout_ms)),
            parameters: config.parameters.clone(),
            pss_minor,
            combine: false,
            ..PolicySources::default()
        };
        let mut exceptions = Exceptions {
            entries: config.exceptions.clone(),
            self_waivable: config.self_waivable.clone(),
        };
        let exceptions_file = config.exceptions_file.clone().or_else(|| {
            let p = config.root.join(kvet_engine::config::DEFAULT_EXCEPTIONS);
            (src.config.is_some() && config.exceptions.is_empty() && p.is_file()).then_some(p)
        });
        if let Some(p) = &exceptions_file {
            let shown = p.display().to_string();
            let text = std::fs::read_to_string(p)
                .map_err(|e| format!("{shown}: cannot read the exceptions file: {e}"))?;
            exceptions.entries =
                Exceptions::parse_file(&shown, &text).map_err(|f| config_error(&f))?;
        }
        let images = match &settings.images {
            Some(i) => Some((image_facts(i)?, i.wait)),
            None => None,
        };
        let mut checker = Checker::new(opts).map_err(|e| e.to_string())?;
        let policies = load_policies(&sources, &[]).map_err(|f| config_error(&f))?;
        checker.set_policies(policies.map(Arc::new));
        if !config.crds.is_empty() {
            let (files, problems) = input::load(&config.crds);
            if !problems.is_empty() {
                return Err(config_error(&problems));
            }
            let problems = checker.add_crds(&files);
            if !problems.is_empty() {
                return Err(config_error(&problems));
            }
        }
        let mut notes: Vec<String> = exceptions
            .entries
            .iter()
            .filter(|e| e.expires.is_some_and(|d| d < today()))
            .map(|e| {
                format!(
                    "the exception for {} (approved by {}) expired; it no longer applies",
                    e.rules.join(", "),
                    e.approved_by
                )
            })
            .collect();
        notes.extend(drop_file_selectors(&mut exceptions));
        let mut watched: Vec<PathBuf> = Vec::new();
        watched.extend(src.config.iter().cloned());
        watched.extend(src.webhook_config.iter().cloned());
        if let Some(i) = &settings.images {
            watched.extend(i.cosign_keys.iter().map(|(_, p)| p.clone()));
            watched.extend(i.rekor_keys.iter().cloned());
            watched.extend(i.registry_config.iter().cloned());
            watched.extend(i.fulcio_roots.iter().cloned());
        }
        watched.extend(exceptions_file);
        let (policy_files, _) = input::discover_with(
            &config
                .policies
                .iter()
                .chain(&config.data)
                .chain(&config.crds)
                .cloned()
                .collect::<Vec<_>>(),
            &["rego", "yaml", "yml", "json"],
        );
        watched.extend(policy_files);
        // Directories too: a file added to one changes its modification time.
        watched.extend(
            config
                .policies
                .iter()
                .chain(&config.data)
                .chain(&config.crds)
                .cloned(),
        );
        Ok(Gate {
            id: GATE_IDS.fetch_add(1, Ordering::Relaxed),
            checker,
            exceptions,
            fail_on: config.fail_on.unwrap_or(Severity::Error),
            settings: Arc::new(settings),
            watched,
            policy_sets: sets,
            notes,
            images,
        })
    }

    /// The verdict on `req`.
    pub fn review(&self, req: &AdmissionRequest) -> Result<Verdict, Unanswerable> {
        self.decide(req, None)
    }

    /// The verdict on `req`, taken rather than borrowed: the object is checked without being
    /// copied.
    pub fn review_owned(&self, mut req: AdmissionRequest) -> Result<Verdict, Unanswerable> {
        // On DELETE the old object is checked, and the review still shows it as `oldObject`.
        let object = if req.operation == "DELETE" {
            None
        } else {
            req.object.take()
        };
        self.decide(&req, object)
    }

    /// The verdict on `req`, whose object (`object`, or `oldObject` on DELETE) is `taken`
    /// when the caller handed it over.
    fn decide(
        &self,
        req: &AdmissionRequest,
        taken: Option<Value>,
    ) -> Result<Verdict, Unanswerable> {
        let allow = |outcome: Outcome, why: String| {
            let mut response = AdmissionResponse::allow(&req.uid);
            response
                .audit_annotations
                .insert(outcome.as_str().to_owned(), why);
            Verdict {
                response,
                outcome,
                denied_by: Vec::new(),
                warned_by: Vec::new(),
            }
        };
        let s = &self.settings;
        if !s.operations.iter().any(|o| o == &req.operation) {
            return Ok(allow(
                Outcome::Skipped,
                format!("operation {} is not evaluated", req.operation),
            ));
        }
        if let Some(sub) = req.sub_resource.as_deref().filter(|s| !s.is_empty()) {
            // Status and scale writes come from controllers about objects already admitted.
            return Ok(allow(
                Outcome::Skipped,
                format!("subresource {sub} is not evaluated"),
            ));
        }
        if let Some(why) = s.exemption(
            req.namespace.as_deref(),
            &req.user_info.username,
            &req.user_info.groups,
        ) {
            return Ok(allow(Outcome::Exempt, why));
        }
        let object = match (&taken, req.operation.as_str()) {
            (Some(o), _) => Some(o),
            (None, "DELETE") => req.old_object.as_ref(),
            (None, _) => req.object.as_ref(),
        }
        .filter(|o| !o.is_null())
        .ok_or_else(|| {
            Unanswerable(format!(
                "request.{} is missing for {}",
                if req.operation == "DELETE" {
                    "oldObject"
                } else {
                    "object"
                },
                req.operation
            ))
        })?;
        if req.operation == "UPDATE" && object.pointer("/metadata/deletionTimestamp").is_some() {
            // Removing finalizers from an object being deleted must never be blocked.
            return Ok(allow(
                Outcome::Skipped,
                "the object is being deleted".to_owned(),
            ));
        }
        let object = match taken {
            Some(o) => o,
            None => object.clone(),
        };
        let findings = self.findings_of(req, object);
        Ok(self.verdict(req, findings))
    }

    /// The findings for one object, exactly as `kvet check` reports them for the same object,
    /// after exceptions.
    pub fn findings(&self, req: &AdmissionRequest, object: &Value) -> Vec<Finding> {
        self.findings_of(req, object.clone())
    }

    fn findings_of(&self, req: &AdmissionRequest, mut object: Value) -> Vec<Finding> {
        // Server-side bookkeeping no manifest carries: large, and nothing a policy reads.
        if let Some(meta) = object.get_mut("metadata").and_then(Value::as_object_mut) {
            meta.remove("managedFields");
        }
        let kind = object.get("kind").and_then(Value::as_str).unwrap_or("");
        let name = req
            .name
            .as_deref()
            .filter(|n| !n.is_empty())
            .or_else(|| object.pointer("/metadata/name").and_then(Value::as_str))
            .or_else(|| {
                object
                    .pointer("/metadata/generateName")
                    .and_then(Value::as_str)
            })
            .unwrap_or("");
        let path = format!(
            "<admission>/{kind}/{}/{name}",
            req.namespace.as_deref().unwrap_or("")
        );
        // Checked as the object's JSON text would be, without writing or re-reading that text.
        self.check(
            object,
            kvet_engine::images::images_in,
            |object| review_document(req, object.clone()),
            |object, checker, ev| checker.check_value_with(&path, object, ev),
        )
    }

    /// Checks one source file and applies the exceptions; policies see a CREATE of each
    /// object, as in `kvet check`.
    pub fn check_text(&self, file: SourceFile) -> Vec<Finding> {
        self.check(
            file,
            |file| kvet_engine::images::image_references(std::slice::from_ref(file)),
            |_| Value::Null,
            |file, checker, ev| checker.check_file_with(&file, ev),
        )
    }

    /// Runs `check` on `subject` with this worker's evaluator, the policies seeing
    /// `review(subject)` as the admission request (`Null`: a CREATE of each object) and the
    /// facts of the images `images(subject)` names.
    fn check<S>(
        &self,
        subject: S,
        images: impl FnOnce(&S) -> Vec<String>,
        review: impl FnOnce(&S) -> Value,
        check: impl FnOnce(S, &Checker, &mut Option<Evaluator>) -> kvet_engine::Report,
    ) -> Vec<Finding> {
        let mut report = EVALUATOR.with(|slot| {
            // Taken out while in use: a panic mid-evaluation drops it rather than leaving a
            // half-run engine for the next request.
            let mut evaluator = match slot.borrow_mut().take() {
                Some((id, ev)) if id == self.id => ev,
                _ => self.checker.evaluator(),
            };
            if let Some(ev) = evaluator.as_mut() {
                // Built only for policies that read it (constraints, `data.kvet.review`).
                if ev.reads_review() {
                    ev.set_review(Some(review(&subject)).filter(|r| !r.is_null()));
                }
                // The request's images, verified (or waited for until the deadline), as
                // data.kvet.images; an object without images leaves the data alone.
                if let Some((shared, wait)) = &self.images {
                    let refs = images(&subject);
                    if !refs.is_empty() {
                        let facts = shared.facts(&refs, std::time::Instant::now() + *wait);
                        // Without the facts, image policies find the images unverified and deny.
                        let _ = ev.set_extra_data(Some(kvet_engine::images::image_data(&facts)));
                    }
                }
            }
            let report = check(subject, &self.checker, &mut evaluator);
            if let Some(ev) = evaluator.as_mut() {
                ev.set_review(None);
                let _ = ev.set_extra_data(None);
            }
            *slot.borrow_mut() = Some((self.id, evaluator));
            report
        });
        report.apply_exceptions(&self.exceptions, today(), &|_| None);
        // Expired exceptions are logged once per load, not repeated on every request.
        report
            .findings
            .retain(|f| !(f.rule == "exception-expired" && f.object.is_none()));
        report.findings
    }

    /// Whether a finding denies the request: the config's `failOn`, as for `kvet check`.
    pub fn denies(&self, f: &Finding) -> bool {
        f.severity >= self.fail_on
    }

    fn verdict(&self, req: &AdmissionRequest, findings: Vec<Finding>) -> Verdict {
        let line = |f: &Finding| match f.pointer.as_deref().filter(|p| !p.is_empty()) {
            Some(p) => format!("[{}] {p}: {}", f.rule, f.message),
            None => format!("[{}] {}", f.rule, f.message),
        };
        let mut denied_by = Vec::new();
        let mut warned_by = Vec::new();
        let mut denials = Vec::new();
        let mut warnings = Vec::new();
        let mut seen_deny = BTreeSet::new();
        let mut seen_warn = BTreeSet::new();
        for f in &findings {
            if self.denies(f) {
                denials.push(line(f));
                if seen_deny.insert(f.rule.clone()) {
                    denied_by.push(f.rule.clone());
                }
            } else if f.severity >= Severity::Warning {
                warnings.push(line(f));
                if seen_warn.insert(f.rule.clone()) {
                    warned_by.push(f.rule.clone());
                }
            }
        }
        let mut response = if denials.is_empty() {
            AdmissionResponse::allow(&req.uid)
        } else {
            let what = findings
                .iter()
                .find_map(|f| f.object.as_ref())
                .map_or_else(|| "the object".to_owned(), |o| o.to_string());
            let n = denials.len();
            AdmissionResponse::deny(
                &req.uid,
                403,
                format!(
                    "kvet: {what} has {n} policy violation{}:\n{}",
                    if n == 1 { "" } else { "s" },
                    denials.join("\n")
                ),
            )
        };
        response.warnings = warnings;
        if !denied_by.is_empty() {
            response
                .audit_annotations
                .insert("denied-by".into(), denied_by.join(","));
        }
        if !warned_by.is_empty() {
            response
                .audit_annotations
                .insert("warned-by".into(), warned_by.join(","));
        }
        Verdict {
            outcome: if response.allowed {
                Outcome::Allowed
            } else {
                Outcome::Denied
            },
            response,
            denied_by,
            warned_by,
        }
    }
}

/// Gatekeeper's `input.review` for `req`: the AdmissionRequest as the API server sent it, with
/// `object` the object under evaluation — the old one on DELETE, as Gatekeeper does.
fn review_document(req: &AdmissionRequest, object: Value) -> Value {
    let mut review = Map::new();
    review.insert("uid".into(), json!(req.uid));
    review.insert("kind".into(), json!(req.kind));
    if let Some(r) = &req.resource {
        review.insert("resource".into(), r.clone());
    }
    if let Some(s) = &req.sub_resource {
        review.insert("subResource".into(), json!(s));
    }
    review.insert("name".into(), json!(req.name.as_deref().unwrap_or("")));
    review.insert(
        "namespace".into(),
        json!(req.namespace.as_deref().unwrap_or("")),
    );
    review.insert("operation".into(), json!(req.operation));
    review.insert("userInfo".into(), json!(req.user_info));
    review.insert("object".into(), object);
    review.insert(
        "oldObject".into(),
        req.old_object.clone().unwrap_or(Value::Null),
    );
    review.insert("dryRun".into(), json!(req.dry_run.unwrap_or(false)));
    if let Some(o) = &req.options {
        review.insert("options".into(), o.clone());
    }
    Value::Object(review)
}

/// Removes `file` selectors, which cannot match an admission request (it comes from no
/// file); an exception left with no selector is dropped. Returns a note for each exception
/// changed.
fn drop_file_selectors(exceptions: &mut Exceptions) -> Vec<String> {
    let mut notes = Vec::new();
    exceptions.entries.retain_mut(|e| {
        let before = e.selectors.len();
        e.selectors.retain(|s| s.file.is_none());
        if e.selectors.len() == before {
            return true;
        }
        let rules = e.rules.join(", ");
        let who = &e.approved_by;
        notes.push(if e.selectors.is_empty() {
            format!("the exception for {rules} (approved by {who}) selects objects only by file, which admission requests do not have; kvet serve ignores it")
        } else {
            format!("the exception for {rules} (approved by {who}) has selectors naming a file, which admission requests do not have; kvet serve applies only its other selectors")
        });
        !e.selectors.is_empty()
    });
    notes
}

/// The paths `kvet check` would watch for a config given as `config`, before any gate is
/// loaded: the config and the webhook settings.
pub fn initial_watch(src: &GateSources) -> Vec<PathBuf> {
    src.config
        .iter()
        .chain(src.webhook_config.iter())
        .cloned()
        .collect()
}
