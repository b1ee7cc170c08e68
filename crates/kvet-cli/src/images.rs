//! Image commands: `kvet images fetch` (evidence for offline checks), `kvet pin` (tags to
//! `tag@digest` in place), and the image flags of `kvet check`, which resolve and verify every
//! image before evaluation and give the verdicts to policies as `data.kvet.images`.

use clap::{Args, Subcommand};
use kvet_engine::images::{image_data, image_references, parsed_facts, resolved_facts};
use kvet_engine::{input, ChartOptions, Finding, SourceFile};
use kvet_images::registry::{docker_config, facts_parallel, ClientOptions, RegistryClient};
use kvet_images::{
    Evidence, ImageFacts, ImageSource, PublicKey, Recorder, Reference, VerifyOptions,
};
use serde_json::Value;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

/// How registries are reached.
#[derive(Args, Clone, Default)]
pub struct RegistryArgs {
    /// Registry spoken to over plain HTTP, e.g. a loopback test registry (repeatable).
    #[arg(long, value_name = "HOST[:PORT]")]
    pub insecure_registry: Vec<String>,
    /// Docker config.json with registry credentials and credential helpers (default:
    /// $DOCKER_CONFIG/config.json, else ~/.docker/config.json, when present).
    #[arg(long, value_name = "FILE")]
    pub registry_config: Option<PathBuf>,
    /// Directory caching manifests and signatures by digest (default: the user cache directory).
    #[arg(long, value_name = "DIR")]
    pub image_cache: Option<PathBuf>,
    /// Registry requests in flight at once.
    #[arg(long, value_name = "N", default_value = "8")]
    pub registry_concurrency: usize,
    /// Timeout of each registry request, in seconds.
    #[arg(long, value_name = "SECONDS", default_value = "30")]
    pub registry_timeout: u64,
}

/// Which signatures count.
#[derive(Args, Clone, Default)]
pub struct KeyArgs {
    /// Cosign public key (PEM), optionally named for policies: NAME=PATH (repeatable; the name
    /// defaults to the file's stem).
    #[arg(long, value_name = "[NAME=]PATH")]
    pub cosign_key: Vec<String>,
    /// Rekor public key (PEM) for checking transparency-log entries offline (repeatable).
    #[arg(long, value_name = "PATH")]
    pub rekor_key: Vec<PathBuf>,
    /// Count a signature only with a Rekor entry that verifies against --rekor-key.
    #[arg(long)]
    pub rekor_bundle_required: bool,
    /// Trusted Fulcio root (and intermediate) certificates, PEM, for keyless signatures
    /// (repeatable; needs --rekor-key, since the log dates the signature).
    #[arg(long, value_name = "PATH")]
    pub fulcio_root: Vec<PathBuf>,
    /// Keyless signer accepted: the certificate's email or URI, exactly.
    #[arg(
        long,
        value_name = "IDENTITY",
        conflicts_with = "certificate_identity_regexp"
    )]
    pub certificate_identity: Option<String>,
    /// Keyless signer accepted: a regular expression matching the email or URI.
    #[arg(long, value_name = "REGEX")]
    pub certificate_identity_regexp: Option<String>,
    /// The OIDC issuer the keyless signer's certificate must name, exactly.
    #[arg(
        long,
        value_name = "URL",
        conflicts_with = "certificate_oidc_issuer_regexp"
    )]
    pub certificate_oidc_issuer: Option<String>,
    /// The OIDC issuer the certificate must name, as a regular expression.
    #[arg(long, value_name = "REGEX")]
    pub certificate_oidc_issuer_regexp: Option<String>,
}

/// The keyless settings the flags give, if any: roots and one accepted identity, as cosign's
/// flags give them.
fn keyless_options(args: &KeyArgs) -> Result<Option<kvet_images::keyless::Keyless>, String> {
    use kvet_images::keyless::{Identity, Keyless, Matcher};
    let matcher = |exact: &Option<String>, re: &Option<String>, what: &str| match (exact, re) {
        (Some(e), _) => Ok(Some(Matcher::Exact(e.clone()))),
        (None, Some(r)) => Matcher::regex(r)
            .map(Some)
            .map_err(|e| format!("--{what}-regexp: {e}")),
        (None, None) => Ok(None),
    };
    let subject = matcher(
        &args.certificate_identity,
        &args.certificate_identity_regexp,
        "certificate-identity",
    )?;
    let issuer = matcher(
        &args.certificate_oidc_issuer,
        &args.certificate_oidc_issuer_regexp,
        "certificate-oidc-issuer",
    )?;
    if args.fulcio_root.is_empty() && subject.is_none() && issuer.is_none() {
        return Ok(None);
    }
    let (Some(subject), Some(issuer)) = (subject, issuer) else {
        return Err("keyless verification needs both --certificate-identity[-regexp] and --certificate-oidc-issuer[-regexp]".to_owned());
    };
    if args.fulcio_root.is_empty() {
        return Err("keyless verification needs --fulcio-root".to_owned());
    }
    if args.rekor_key.is_empty() {
        return Err(
            "keyless verification needs --rekor-key: the log entry dates the signature".to_owned(),
        );
    }
    let mut roots = Vec::new();
    for p in &args.fulcio_root {
        let text = std::fs::read_to_string(p).map_err(|e| format!("{}: {e}", p.display()))?;
        roots.extend(Keyless::roots_from_pem(&text).map_err(|e| format!("{}: {e}", p.display()))?);
    }
    Ok(Some(Keyless {
        identities: vec![Identity { subject, issuer }],
        roots,
    }))
}

/// The image flags of `kvet check`.
#[derive(Args, Clone, Default)]
pub struct ImageArgs {
    /// Resolve every image to its digest and verify its cosign signatures through the
    /// registries (turns on the image-signed policy unless policy sets are named).
    #[arg(long)]
    pub verify_images: bool,
    /// Verify images offline from an evidence file written by `kvet images fetch`.
    #[arg(long, value_name = "FILE", conflicts_with = "verify_images")]
    pub image_evidence: Option<PathBuf>,
    #[command(flatten)]
    pub registry: RegistryArgs,
    #[command(flatten)]
    pub keys: KeyArgs,
}

/// `kvet images …`.
#[derive(Subcommand)]
pub enum ImagesCommand {
    /// Resolve every image in the inputs and record digests and signatures in an evidence file,
    /// for `kvet check --image-evidence` with no network.
    Fetch(FetchArgs),
}

/// `kvet images fetch`.
#[derive(Args)]
pub struct FetchArgs {
    /// Files, directories or charts whose images to record.
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    /// Evidence file to write.
    #[arg(
        short,
        long,
        value_name = "FILE",
        default_value = "image-evidence.json"
    )]
    pub output: PathBuf,
    #[command(flatten)]
    pub registry: RegistryArgs,
}

/// `kvet pin`.
#[derive(Args)]
pub struct PinArgs {
    /// Manifests, Helm values files and kustomizations (files or directories).
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    /// Report what would change without writing; exit 1 if anything is unpinned.
    #[arg(long)]
    pub check: bool,
    /// Resolve tags from an evidence file instead of the registries.
    #[arg(long, value_name = "FILE")]
    pub image_evidence: Option<PathBuf>,
    #[command(flatten)]
    pub registry: RegistryArgs,
}

fn default_cache() -> Option<PathBuf> {
    let base = std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))?;
    Some(base.join("kvet").join("images"))
}

/// The registry client the flags describe.
pub fn client(args: &RegistryArgs) -> Result<RegistryClient, String> {
    let config = args.registry_config.clone().or_else(|| {
        let p = std::env::var_os("DOCKER_CONFIG")
            .map(PathBuf::from)
            .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".docker")))?
            .join("config.json");
        p.is_file().then_some(p)
    });
    let docker = match config {
        Some(p) => {
            let text = std::fs::read_to_string(&p).map_err(|e| format!("{}: {e}", p.display()))?;
            docker_config(&text).map_err(|e| format!("{}: {e}", p.display()))?
        }
        None => Default::default(),
    };
    Ok(RegistryClient::new(ClientOptions {
        insecure: args.insecure_registry.clone(),
        timeout: Duration::from_secs(args.registry_timeout.max(1)),
        cache_dir: args.image_cache.clone().or_else(default_cache),
        credentials: docker.credentials,
        helpers: docker.helpers,
        store: docker.store,
        ..Default::default()
    }))
}

/// The keys the flags name.
pub fn verify_options(args: &KeyArgs) -> Result<VerifyOptions, String> {
    let read = |id: &str, p: &Path| {
        let text = std::fs::read_to_string(p).map_err(|e| format!("{}: {e}", p.display()))?;
        PublicKey::from_pem(id, &text).map_err(|e| format!("{}: {e}", p.display()))
    };
    let stem = |p: &Path| {
        p.file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default()
    };
    let mut keys = Vec::new();
    for k in &args.cosign_key {
        let (id, path) = match k.split_once('=') {
            Some((id, path)) if !id.is_empty() && !id.contains(['/', '\\']) => {
                (id.to_owned(), PathBuf::from(path))
            }
            _ => (stem(Path::new(k)), PathBuf::from(k)),
        };
        keys.push(read(&id, &path)?);
    }
    let rekor_keys = args
        .rekor_key
        .iter()
        .map(|p| read(&stem(p), p))
        .collect::<Result<_, _>>()?;
    if args.rekor_bundle_required && args.rekor_key.is_empty() {
        return Err("--rekor-bundle-required needs --rekor-key".to_owned());
    }
    Ok(VerifyOptions {
        keys,
        rekor_keys,
        rekor_required: args.rekor_bundle_required,
        keyless: keyless_options(args)?,
    })
}

fn read_evidence(p: &Path) -> Result<Evidence, String> {
    let text = std::fs::read_to_string(p).map_err(|e| format!("cannot read: {e}"))?;
    Evidence::from_json(&text)
}

/// Before `kvet check` evaluates: when image policies run or images are to be verified,
/// gathers every image in `files`, resolves and verifies them (registry or evidence, in
/// parallel, deduplicated) and writes the facts as data. `sets_named` says whether policy sets
/// were chosen explicitly (else `--verify-images` adds image-signed).
pub fn prepare(
    args: &ImageArgs,
    sets: &mut Vec<String>,
    sets_named: bool,
    files: &[SourceFile],
) -> Result<Option<serde_json::Value>, Vec<Finding>> {
    let online = args.verify_images || args.image_evidence.is_some();
    if online && !sets_named && !sets.iter().any(|s| s == "image-signed") {
        sets.push("image-signed".to_owned());
    }
    let wanted = online
        || sets
            .iter()
            .any(|s| s == "image-signed" || s == "image-digest-pinned");
    if !wanted {
        return Ok(None);
    }
    // Problems with the image options themselves: usage errors, reported as `images`.
    let problem = |what: &str, why: String| {
        vec![Finding {
            rule: "images".to_owned(),
            severity: kvet_engine::Severity::Error,
            message: format!("{what}: {why}"),
            location: kvet_engine::Location::file_only(what),
            object: None,
            pointer: None,
            document: None,
            rendered: None,
        }]
    };
    let opts = verify_options(&args.keys).map_err(|e| problem("image verification flags", e))?;
    if online
        && opts.keys.is_empty()
        && opts.keyless.is_none()
        && sets.iter().any(|s| s == "image-signed")
    {
        return Err(problem(
            "--cosign-key",
            "image-signed needs --cosign-key, or --fulcio-root with --certificate-identity (keyless)".to_owned(),
        ));
    }
    let images = image_references(files);
    let facts: Vec<ImageFacts> = if let Some(p) = &args.image_evidence {
        let evidence = read_evidence(p).map_err(|e| problem(&p.display().to_string(), e))?;
        resolved_facts(&images, &evidence, &opts, true)
    } else if args.verify_images {
        let c = client(&args.registry).map_err(|e| problem("--registry-config", e))?;
        facts_parallel(&images, &c, &opts, true, args.registry.registry_concurrency)
            .into_values()
            .collect()
    } else {
        parsed_facts(&images)
    };
    Ok(Some(image_data(&facts)))
}

/// `kvet images fetch`.
pub fn run_fetch(args: FetchArgs) -> ExitCode {
    let (files, problems) = crate::load(&args.paths, &ChartOptions::default(), None);
    for p in &problems {
        eprintln!("kvet: {}: {}", p.location.file, p.message);
    }
    let c = match client(&args.registry) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("kvet: {e}");
            return ExitCode::from(2);
        }
    };
    let images = image_references(&files);
    let recorder = Recorder::new(&c);
    // No keys: every signature is fetched and recorded; verdicts come at check time.
    let facts = facts_parallel(
        &images,
        &recorder,
        &VerifyOptions::default(),
        true,
        args.registry.registry_concurrency,
    );
    let mut failed = 0;
    let mut signatures = 0;
    for f in facts.values() {
        if f.error.is_empty() {
            recorder.note_image(&f.image, &f.resolved_digest);
            signatures += f.signatures.len();
        } else {
            failed += 1;
            eprintln!("kvet: {}: {}", f.image, f.error);
        }
    }
    let evidence = recorder.into_evidence();
    if let Err(e) = std::fs::write(&args.output, evidence.to_json()) {
        eprintln!("kvet: {}: {e}", args.output.display());
        return ExitCode::from(2);
    }
    eprintln!(
        "kvet: recorded {} of {} images and {signatures} signatures in {}",
        images.len() - failed,
        images.len(),
        args.output.display()
    );
    if failed > 0 || !problems.is_empty() {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

/// One change `kvet pin` makes: bytes `start..end` of a file become `text`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Edit {
    /// Byte offset of the first byte replaced.
    pub start: usize,
    /// Byte offset past the last byte replaced.
    pub end: usize,
    /// The replacement.
    pub text: String,
    /// 1-based line, for the report.
    pub line: u32,
    /// What is pinned, for the report (`nginx:1.27 → nginx:1.27@sha256:…`).
    pub note: String,
}

/// What pinning one file gives: the edits, and images that could not be pinned.
#[derive(Debug, Default)]
pub struct Pinned {
    /// Edits in file order.
    pub edits: Vec<Edit>,
    /// `line: why` for each image left as it is.
    pub problems: Vec<(u32, String)>,
}

/// Applies edits (non-overlapping) to `text`.
pub fn apply(text: &str, edits: &[Edit]) -> String {
    let mut out = String::with_capacity(text.len() + edits.len() * 72);
    let mut at = 0;
    for e in edits {
        out.push_str(&text[at..e.start]);
        out.push_str(&e.text);
        at = e.end;
    }
    out.push_str(&text[at..]);
    out
}

/// The inner text of a plain or simply quoted scalar at `start..end` and where it sits.
fn scalar(text: &str, start: usize, end: usize) -> Option<(usize, usize, &str)> {
    let raw = text.get(start..end)?;
    let quoted = raw.len() >= 2
        && ((raw.starts_with('"') && raw.ends_with('"'))
            || (raw.starts_with('\'') && raw.ends_with('\'')));
    if quoted {
        let inner = &raw[1..raw.len() - 1];
        if inner.contains(['\\', '\'', '"']) {
            return None;
        }
        return Some((start + 1, end - 1, inner));
    }
    if raw.starts_with(['|', '>', '&', '*', '!']) || raw.contains('\n') {
        return None;
    }
    Some((start, end, raw))
}

type Resolve<'a> = &'a dyn Fn(&str) -> Result<String, String>;

/// Computes the edits that pin every tagged image of one file. `kind` of file is told by its
/// name (`kustomization.yaml`, `values*.yaml`) or, for kustomizations, its `kind`.
pub fn pin_text(file_name: &str, text: &str, resolve: Resolve<'_>) -> Pinned {
    let base = Path::new(file_name)
        .file_name()
        .map(|s| s.to_string_lossy().to_lowercase())
        .unwrap_or_default();
    let is_values =
        base.starts_with("values") && (base.ends_with(".yaml") || base.ends_with(".yml"));
    let stream = kvet_yaml::parse_stream(text, &kvet_yaml::Limits::default());
    let mut out = Pinned::default();
    for e in &stream.errors {
        out.problems.push((
            e.span.start.line,
            format!("not pinned: the YAML does not parse: {}", e.message),
        ));
    }
    for doc in &stream.documents {
        let kustomization = matches!(
            base.as_str(),
            "kustomization.yaml" | "kustomization.yml" | "kustomization"
        ) || doc.value.get("kind").and_then(Value::as_str)
            == Some("Kustomization");
        let mut ctx = Ctx {
            text,
            doc,
            resolve,
            out: &mut out,
        };
        if kustomization {
            ctx.kustomize();
        } else if is_values {
            ctx.values(&doc.value, String::new());
        } else {
            ctx.containers(&doc.value, String::new());
        }
    }
    out.edits.sort_by_key(|e| e.start);
    out
}

struct Ctx<'a, 'o> {
    text: &'a str,
    doc: &'a kvet_yaml::Document,
    resolve: Resolve<'a>,
    out: &'o mut Pinned,
}

fn esc(k: &str) -> String {
    k.replace('~', "~0").replace('/', "~1")
}

impl Ctx<'_, '_> {
    fn span(&self, ptr: &str) -> Option<(usize, usize, u32, u32)> {
        let l = self.doc.spans.locate(&self.doc.value, ptr);
        l.exact.then_some((
            l.value.start.offset as usize,
            l.value.end.offset as usize,
            l.value.start.line,
            l.value.start.column,
        ))
    }

    /// Replaces the scalar at `ptr` (whose value is `old`) by `new`.
    fn replace(&mut self, ptr: &str, old: &str, new: String, note: String) {
        let Some((s, e, line, _)) = self.span(ptr) else {
            return;
        };
        match scalar(self.text, s, e) {
            Some((s, e, inner)) if inner == old => self.out.edits.push(Edit {
                start: s,
                end: e,
                text: new,
                line,
                note,
            }),
            _ => self.out.problems.push((
                line,
                format!("not pinned: {old} is not written as a plain or quoted scalar"),
            )),
        }
    }

    fn digest_of(&mut self, image: &str, line: u32) -> Option<String> {
        match (self.resolve)(image) {
            Ok(d) => Some(d),
            Err(e) => {
                self.out
                    .problems
                    .push((line, format!("not pinned: {image}: {e}")));
                None
            }
        }
    }

    fn containers(&mut self, v: &Value, ptr: String) {
        match v {
            Value::Object(m) => {
                for (k, child) in m {
                    let p = format!("{ptr}/{}", esc(k));
                    if matches!(
                        k.as_str(),
                        "containers" | "initContainers" | "ephemeralContainers"
                    ) {
                        for (i, c) in child.as_array().into_iter().flatten().enumerate() {
                            if let Some(image) = c.get("image").and_then(Value::as_str) {
                                self.pin_image(&format!("{p}/{i}/image"), image);
                            }
                        }
                    }
                    self.containers(child, p);
                }
            }
            Value::Array(a) => {
                for (i, c) in a.iter().enumerate() {
                    self.containers(c, format!("{ptr}/{i}"));
                }
            }
            _ => {}
        }
    }

    fn pin_image(&mut self, ptr: &str, image: &str) {
        let line = self.span(ptr).map_or(0, |s| s.2);
        match Reference::parse(image) {
            Err(e) => self
                .out
                .problems
                .push((line, format!("not pinned: {image}: {e}"))),
            Ok(r) if r.digest.is_some() => {}
            Ok(_) => {
                if let Some(d) = self.digest_of(image, line) {
                    self.replace(
                        ptr,
                        image,
                        format!("{image}@{d}"),
                        format!("{image} → {image}@{d}"),
                    );
                }
            }
        }
    }

    /// Helm values: every mapping with string `repository` and `tag` (and optional `registry`).
    fn values(&mut self, v: &Value, ptr: String) {
        match v {
            Value::Object(m) => {
                if let Some(repo) = m.get("repository").and_then(Value::as_str) {
                    self.values_image(m, repo, &ptr);
                }
                for (k, child) in m {
                    self.values(child, format!("{ptr}/{}", esc(k)));
                }
            }
            Value::Array(a) => {
                for (i, c) in a.iter().enumerate() {
                    self.values(c, format!("{ptr}/{i}"));
                }
            }
            _ => {}
        }
    }

    fn values_image(&mut self, m: &serde_json::Map<String, Value>, repo: &str, ptr: &str) {
        let tag_ptr = format!("{ptr}/tag");
        let Some((s, e, line, _)) = self.span(&tag_ptr) else {
            return;
        };
        // The tag as written: YAML may read `1.10` as a number, but the chart sees the text.
        let Some((_, _, tag)) = scalar(self.text, s, e) else {
            self.out.problems.push((
                line,
                format!("not pinned: the tag of {repo} is not a plain or quoted scalar"),
            ));
            return;
        };
        let tag = tag.to_owned();
        if tag.is_empty()
            || tag.contains('@')
            || m.get("digest")
                .and_then(Value::as_str)
                .is_some_and(|d| !d.is_empty())
        {
            return;
        }
        let registry = m
            .get("registry")
            .and_then(Value::as_str)
            .filter(|r| !r.is_empty());
        let image = match registry {
            Some(r) => format!("{r}/{repo}:{tag}"),
            None => format!("{repo}:{tag}"),
        };
        if Reference::parse(&image).is_err() {
            return;
        }
        let Some(d) = self.digest_of(&image, line) else {
            return;
        };
        // A chart with a digest field reads it; otherwise the tag carries the digest.
        if m.get("digest").is_some_and(|d| d.as_str() == Some("")) {
            self.replace(
                &format!("{ptr}/digest"),
                "",
                d.clone(),
                format!("{image} → digest {d}"),
            );
        } else {
            self.replace(
                &tag_ptr,
                &tag,
                format!("{tag}@{d}"),
                format!("{image} → {image}@{d}"),
            );
        }
    }

    /// Kustomization `images:` entries with a `newTag` get a `digest` (kustomize then writes
    /// `name:newTag@digest`).
    fn kustomize(&mut self) {
        let Some(list) = self.doc.value.get("images").and_then(Value::as_array) else {
            return;
        };
        for (i, entry) in list.iter().enumerate() {
            let Some(name) = entry
                .get("newName")
                .or_else(|| entry.get("name"))
                .and_then(Value::as_str)
            else {
                continue;
            };
            if entry.get("digest").is_some() {
                continue;
            }
            let Some(tag) = entry.get("newTag").and_then(|t| {
                t.as_str()
                    .map(str::to_owned)
                    .or_else(|| t.is_number().then(|| t.to_string()))
            }) else {
                continue;
            };
            let Some((s, e, line, _)) = self.span(&format!("/images/{i}/newTag")) else {
                continue;
            };
            let tag = scalar(self.text, s, e).map_or(tag, |(_, _, t)| t.to_owned());
            let image = format!("{name}:{tag}");
            let Some(d) = self.digest_of(&image, line) else {
                continue;
            };
            let note = format!("{image} → {image}@{d}");
            let Some((es, ee, eline, _)) = self.span(&format!("/images/{i}")) else {
                continue;
            };
            let raw = &self.text[es..ee];
            if raw.starts_with('{') {
                self.out.edits.push(Edit {
                    start: ee - 1,
                    end: ee - 1,
                    text: format!(", digest: {d}"),
                    line: eline,
                    note,
                });
                continue;
            }
            // A block entry: a new line after its last, indented like its keys.
            let Some(first_key) = entry.as_object().and_then(|o| o.keys().next()).cloned() else {
                continue;
            };
            let key_col = self
                .doc
                .spans
                .locate(&self.doc.value, &format!("/images/{i}/{}", esc(&first_key)))
                .key
                .map_or(0, |k| k.start.column);
            if key_col == 0 {
                continue;
            }
            // After the line of its last value (the entry's own span may run past it).
            let last = entry
                .as_object()
                .into_iter()
                .flat_map(|o| o.keys())
                .filter_map(|k| self.span(&format!("/images/{i}/{}", esc(k))).map(|s| s.1))
                .max()
                .unwrap_or(ee);
            let line_end = self.text[last..]
                .find('\n')
                .map_or(self.text.len(), |n| last + n);
            self.out.edits.push(Edit {
                start: line_end,
                end: line_end,
                text: format!("\n{}digest: {d}", " ".repeat(key_col as usize - 1)),
                line: eline,
                note,
            });
        }
    }
}

/// `kvet pin`.
pub fn run_pin(args: PinArgs) -> ExitCode {
    let (paths, problems) = input::discover_with(&args.paths, &["yaml", "yml"]);
    for p in &problems {
        eprintln!("kvet: {}: {}", p.location.file, p.message);
    }
    let source: Box<dyn ImageSource> = match &args.image_evidence {
        Some(p) => match read_evidence(p) {
            Ok(e) => Box::new(e),
            Err(e) => {
                eprintln!("kvet: {}: {e}", p.display());
                return ExitCode::from(2);
            }
        },
        None => match client(&args.registry) {
            Ok(c) => Box::new(c),
            Err(e) => {
                eprintln!("kvet: {e}");
                return ExitCode::from(2);
            }
        },
    };
    let resolve = |image: &str| -> Result<String, String> {
        let r = Reference::parse(image).map_err(|e| e.0)?;
        let tag = r.effective_tag().unwrap_or("latest");
        match source.resolve(&r.registry, &r.repository, tag) {
            Ok(Some(d)) => Ok(d),
            Ok(None) => Err(format!("tag {tag} not found in {}", r.name())),
            Err(e) => Err(e.0),
        }
    };
    let (mut changed, mut unpinned, mut failed) = (0, 0, !problems.is_empty());
    let mut out = std::io::stdout().lock();
    for p in paths {
        let name = p.display().to_string();
        let Ok(text) = std::fs::read_to_string(&p) else {
            eprintln!("kvet: {name}: cannot read");
            failed = true;
            continue;
        };
        let pinned = pin_text(&name, &text, &resolve);
        for (line, why) in &pinned.problems {
            eprintln!("kvet: {name}:{line}: {why}");
            failed = true;
        }
        for e in &pinned.edits {
            let _ = writeln!(
                out,
                "{name}:{}: {}{}",
                e.line,
                if args.check { "unpinned: " } else { "" },
                e.note
            );
        }
        if pinned.edits.is_empty() {
            continue;
        }
        unpinned += pinned.edits.len();
        if !args.check {
            if let Err(e) = std::fs::write(&p, apply(&text, &pinned.edits)) {
                eprintln!("kvet: {name}: {e}");
                failed = true;
                continue;
            }
            changed += 1;
        }
    }
    if args.check {
        let _ = writeln!(out, "{unpinned} image(s) not pinned to a digest");
    } else {
        let _ = writeln!(out, "pinned {unpinned} image(s) in {changed} file(s)");
    }
    if failed {
        ExitCode::from(2)
    } else if args.check && unpinned > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const D: &str = "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

    fn pin(name: &str, text: &str) -> (String, Vec<(u32, String)>) {
        let resolve = |image: &str| -> Result<String, String> {
            if image.contains("missing") {
                Err("tag 1 not found".to_owned())
            } else {
                Ok(D.to_owned())
            }
        };
        let p = pin_text(name, text, &resolve);
        (apply(text, &p.edits), p.problems)
    }

    #[test]
    fn manifests_keep_comments_quotes_and_layout() {
        let text = "# a pod\napiVersion: v1\nkind: Pod\nspec:\n  containers:\n    - name: a   # main\n      image: nginx:1.27   # pinned soon\n    - name: b\n      image: \"ghcr.io/o/b:2\"\n    - {name: c, image: 'busybox'}\n    - name: d\n      image: redis@sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\n";
        let (out, problems) = pin("pod.yaml", text);
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(
            out,
            text.replace("nginx:1.27 ", &format!("nginx:1.27@{D} "))
                .replace("b:2\"", &format!("b:2@{D}\""))
                .replace("'busybox'", &format!("'busybox@{D}'"))
        );
    }

    #[test]
    fn helm_values_pin_the_tag_or_fill_the_digest() {
        let text = "image:\n  repository: nginx   # upstream\n  tag: \"1.27\"\n  pullPolicy: IfNotPresent\nsidecar:\n  image:\n    registry: ghcr.io\n    repository: o/side\n    tag: 1.10\n    digest: \"\"\nempty:\n  repository: x\n  tag: \"\"\n";
        let (out, problems) = pin("values.yaml", text);
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(
            out,
            text.replace("\"1.27\"", &format!("\"1.27@{D}\""))
                .replace("digest: \"\"", &format!("digest: \"{D}\""))
        );
    }

    #[test]
    fn kustomization_images_get_a_digest_line() {
        let text = "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nimages:\n  - name: nginx\n    newTag: \"1.27\"   # keep\n  - name: app\n    newName: ghcr.io/o/app\n    newTag: v2\n  - name: done\n    newTag: v1\n    digest: sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\n  - {name: flow, newTag: v3}\nresources: [pod.yaml]\n";
        let (out, problems) = pin("kustomization.yaml", text);
        assert!(problems.is_empty(), "{problems:?}");
        let want = text
            .replace(
                "\"1.27\"   # keep\n",
                &format!("\"1.27\"   # keep\n    digest: {D}\n"),
            )
            .replace("newTag: v2\n", &format!("newTag: v2\n    digest: {D}\n"))
            .replace("newTag: v3}", &format!("newTag: v3, digest: {D}}}"));
        assert_eq!(out, want);
    }

    #[test]
    fn unresolvable_and_invalid_images_are_reported_and_left() {
        let text = "kind: Pod\nspec:\n  containers:\n  - image: missing:1\n  - image: Bad/Ref\n";
        let (out, problems) = pin("pod.yaml", text);
        assert_eq!(out, text);
        assert_eq!(
            problems,
            vec![
                (4, "not pinned: missing:1: tag 1 not found".to_owned()),
                (5, "not pinned: Bad/Ref: invalid reference format: repository name (Ref) must be lowercase".to_owned())
            ]
        );
    }
}
