//! `kvet`: validate Kubernetes manifests against embedded schemas, at the exact line.

mod fetch;
mod images;
mod remote;
mod text;

use clap::{Args, Parser, Subcommand, ValueEnum};
use kvet_engine::{
    embedded_versions, input, load_policies, report, ChartOptions, CheckOptions, Checker, Config,
    Date, Exceptions, Finding, KubeVersion, Namespaces, PolicySources, Report, Severity,
    SourceFile,
};
use std::io::{IsTerminal, Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

// The process allocator is mimalloc, set by kvet-policy's regorus: parsing builds many small
// maps and strings, which mimalloc serves markedly faster than the system allocator, and its
// accounting lets policy evaluation stop at a memory ceiling.

#[derive(Parser)]
#[command(
    name = "kvet",
    version,
    about = "Kubernetes manifest and policy validation, at the line to edit",
    propagate_version = true
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Validate manifests (files, directories, or - for stdin).
    Check(Box<CheckArgs>),
    /// Run the validating admission webhook (HTTPS, admission.k8s.io/v1 AdmissionReview).
    Serve(ServeArgs),
    /// Render a Helm chart as `helm template` does (no helm binary needed).
    Render(Box<RenderArgs>),
    /// Run the `test_*` rules of Rego policies (like `opa test` / `conftest verify`).
    Test(TestArgs),
    /// Run Gatekeeper test suites (`kind: Suite`), like `gator verify`.
    Verify {
        /// Suite files or directories searched for them.
        #[arg(required = true, value_name = "PATH")]
        paths: Vec<PathBuf>,
    },
    /// The built-in policy library.
    Policies {
        #[command(subcommand)]
        command: PoliciesCommand,
    },
    /// Embedded Kubernetes schemas.
    Schemas {
        #[command(subcommand)]
        command: SchemasCommand,
    },
    /// Container images: record digests and signatures for offline checks.
    Images {
        #[command(subcommand)]
        command: images::ImagesCommand,
    },
    /// Rewrite image tags to tag@digest in manifests, Helm values files and kustomizations.
    Pin(images::PinArgs),
}

#[derive(Subcommand)]
enum PoliciesCommand {
    /// List the built-in policies with id, title, severity and rationale.
    List,
}

#[derive(Subcommand)]
enum SchemasCommand {
    /// List the embedded Kubernetes versions.
    List,
}

#[derive(Clone, Copy, ValueEnum, PartialEq, Eq)]
enum Output {
    Text,
    Json,
    Sarif,
    Junit,
    Github,
}

#[derive(Args)]
struct CheckArgs {
    /// Files or directories to check (directories recursively: .yaml, .yml, .json); - reads stdin.
    #[arg(required = true, value_name = "PATH")]
    paths: Vec<PathBuf>,
    /// Output format.
    #[arg(short, long, value_enum, default_value = "text")]
    output: Output,
    /// Lowest severity that makes the exit code 1 (default: error).
    #[arg(long, value_name = "SEVERITY", value_parser = parse_severity)]
    fail_on: Option<Severity>,
    /// Print counts per kind and per rule after the findings.
    #[arg(long)]
    summary: bool,
    /// Kubernetes version to validate against (1.NN); default: the newest embedded.
    #[arg(long, value_name = "1.NN", value_parser = parse_version)]
    kubernetes_version: Option<KubeVersion>,
    /// Allow unknown fields, and make duplicate keys warnings instead of errors.
    #[arg(long)]
    no_strict: bool,
    /// CustomResourceDefinition files or directories whose kinds should validate.
    #[arg(long, value_name = "PATH")]
    crd: Vec<PathBuf>,
    /// Skip objects whose kind has no schema instead of reporting them.
    #[arg(long)]
    ignore_missing_schemas: bool,
    /// Fetch kustomizations' remote resources and components (git repositories with `git`,
    /// files over HTTPS); without it kvet builds offline and reports them.
    #[arg(long)]
    allow_remote: bool,
    /// kubeconform-style schema location (path or URL template); repeatable, tried in order;
    /// `default` means the embedded schemas.
    #[arg(long, value_name = "TEMPLATE")]
    schema_location: Vec<String>,
    /// Directory caching schemas fetched from URLs (default: the user cache directory).
    #[arg(long, value_name = "DIR")]
    schema_cache: Option<PathBuf>,
    /// Kinds to skip: Kind or apiVersion/Kind, comma-separated or repeated.
    #[arg(long, value_name = "KINDS", value_delimiter = ',')]
    skip_kinds: Vec<String>,
    /// Check only these kinds: Kind or apiVersion/Kind, comma-separated or repeated.
    #[arg(long, value_name = "KINDS", value_delimiter = ',')]
    only_kinds: Vec<String>,
    /// Rego policy files or directories (repeatable): conftest-style `deny`/`violation`/`warn`
    /// rules; `*_test.rego` files are skipped.
    #[arg(short = 'p', long = "policy", value_name = "PATH")]
    policy: Vec<PathBuf>,
    /// Built-in policy sets to apply (repeatable; `none` for none). Default: tag-pinning and
    /// pss-baseline. Naming any set replaces the default (and the config file's sets).
    #[arg(long = "policy-set", value_name = "NAME")]
    policy_set: Vec<String>,
    /// YAML or JSON files merged into `data` for the policies (repeatable).
    #[arg(long, value_name = "PATH")]
    data: Vec<PathBuf>,
    /// Policy packages to evaluate, as globs (repeatable; default `main`).
    #[arg(long, value_name = "GLOB")]
    namespace: Vec<String>,
    /// Evaluate every package that defines rules.
    #[arg(long, conflicts_with = "namespace")]
    all_namespaces: bool,
    /// Time limit for evaluating the policies on one object, in milliseconds (0: none;
    /// default 5000).
    #[arg(long, value_name = "MS")]
    policy_timeout: Option<u64>,
    /// Memory that policy evaluation may take beyond what kvet holds after loading, in MiB
    /// (0: no limit); an object whose evaluation goes past it gets a policy-error finding.
    #[arg(long, value_name = "MIB", default_value = "1024")]
    policy_memory_limit: u64,
    /// Pod Security Standards version for pss-baseline and pss-restricted: latest or 1.NN.
    #[arg(long, value_name = "VERSION")]
    pss_version: Option<String>,
    /// Give user policies every input at once, as conftest's --combine does: `input` is a list
    /// of {path, contents}.
    #[arg(long)]
    combine: bool,
    /// Config file (default: .kvet.yaml or .kvet.yml here or in a parent directory).
    #[arg(long, value_name = "FILE", conflicts_with = "no_config")]
    config: Option<PathBuf>,
    /// Ignore any config file (and the default exceptions file).
    #[arg(long)]
    no_config: bool,
    /// Exceptions file (default: the config's `exceptions`, else .kvet/exceptions.yaml in the
    /// project root).
    #[arg(long, value_name = "FILE")]
    exceptions: Option<PathBuf>,
    /// Worker threads (default: one per core).
    #[arg(long, value_name = "N")]
    jobs: Option<usize>,
    #[command(flatten)]
    chart: ChartArgs,
    /// Release namespace for charts (helm's -n; default default).
    #[arg(long, value_name = "NAMESPACE")]
    release_namespace: Option<String>,
    #[command(flatten)]
    images: images::ImageArgs,
}

/// `helm template`'s value and rendering flags, shared by `kvet check` and `kvet render`.
#[derive(Args, Clone, Default)]
struct ChartArgs {
    /// Values files for charts, merged in order (helm's -f/--values).
    #[arg(short = 'f', long = "values", value_name = "FILE")]
    values: Vec<PathBuf>,
    /// Chart values on the command line (helm's --set: a.b=1,list={x,y}).
    #[arg(long = "set", value_name = "KEY=VALUE")]
    set: Vec<String>,
    /// Chart values that stay strings (helm's --set-string).
    #[arg(long = "set-string", value_name = "KEY=VALUE")]
    set_string: Vec<String>,
    /// Chart values as JSON (helm's --set-json).
    #[arg(long = "set-json", value_name = "KEY=JSON")]
    set_json: Vec<String>,
    /// Chart values read from files (helm's --set-file).
    #[arg(long = "set-file", value_name = "KEY=PATH")]
    set_file: Vec<String>,
    /// Release name for charts (default release-name).
    #[arg(long, value_name = "NAME")]
    release_name: Option<String>,
    /// API versions charts see in .Capabilities.APIVersions, besides the defaults.
    #[arg(long = "api-versions", value_name = "GROUP/VERSION")]
    api_versions: Vec<String>,
    /// Render the files of charts' crds/ directories too.
    #[arg(long)]
    include_crds: bool,
    /// Order kinds as helm 3 does (default: helm 4).
    #[arg(long)]
    helm3_order: bool,
}

impl ChartArgs {
    fn options(&self, namespace: Option<String>, kube_version: Option<String>) -> ChartOptions {
        ChartOptions {
            release_name: self.release_name.clone(),
            namespace,
            value_files: self.values.clone(),
            set: self.set.clone(),
            set_string: self.set_string.clone(),
            set_json: self.set_json.clone(),
            set_file: self.set_file.clone(),
            kube_version,
            api_versions: self.api_versions.clone(),
            include_crds: self.include_crds,
            helm3_order: self.helm3_order,
            ..Default::default()
        }
    }
}

#[derive(Args)]
struct ServeArgs {
    /// Address to listen on.
    #[arg(long, value_name = "ADDR:PORT", default_value = "0.0.0.0:8443")]
    listen: std::net::SocketAddr,
    /// PEM certificate chain; reloaded when the file changes.
    #[arg(long, value_name = "FILE")]
    tls_cert: PathBuf,
    /// PEM private key; reloaded with the certificate.
    #[arg(long, value_name = "FILE")]
    tls_key: PathBuf,
    /// The .kvet.yaml to enforce (default: the built-in defaults, as --no-config).
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Webhook settings: failurePolicy, timeout, operations, exemptions, limits.
    #[arg(long, value_name = "FILE")]
    webhook_config: Option<PathBuf>,
    /// Memory policy evaluation may take beyond what kvet holds once loaded, in MiB (0: none).
    #[arg(long, value_name = "MIB", default_value = "1024")]
    policy_memory_limit: u64,
}

#[derive(Args)]
struct RenderArgs {
    /// `[NAME] CHART`: the release name is optional, as with helm template.
    #[arg(required = true, num_args = 1..=2, value_name = "[NAME] CHART")]
    args: Vec<String>,
    #[command(flatten)]
    chart: ChartArgs,
    /// Release namespace (helm's -n).
    #[arg(short = 'n', long = "namespace", value_name = "NAMESPACE")]
    namespace: Option<String>,
    /// Kubernetes version charts see in .Capabilities.KubeVersion (default: helm's).
    #[arg(long = "kube-version", value_name = "VERSION")]
    kube_version: Option<String>,
    /// Only print the output of these templates (e.g. templates/deployment.yaml).
    #[arg(short = 's', long = "show-only", value_name = "TEMPLATE")]
    show_only: Vec<String>,
    /// Leave out templates/tests.
    #[arg(long)]
    skip_tests: bool,
    /// Leave out hooks.
    #[arg(long)]
    no_hooks: bool,
    /// Fetch a kustomization's remote resources and components (see `kvet check`).
    #[arg(long)]
    allow_remote: bool,
}

#[derive(Args)]
struct TestArgs {
    /// Rego files or directories holding policies and their `*_test.rego` tests.
    #[arg(required = true, value_name = "PATH")]
    paths: Vec<PathBuf>,
    /// YAML or JSON files merged into `data` (repeatable).
    #[arg(long, value_name = "PATH")]
    data: Vec<PathBuf>,
    /// Print only failures and the tally.
    #[arg(short, long)]
    quiet: bool,
}

fn parse_severity(s: &str) -> Result<Severity, String> {
    s.parse()
}

fn parse_version(s: &str) -> Result<KubeVersion, String> {
    let v: KubeVersion = s
        .parse()
        .map_err(|e: kvet_schema::SchemaError| e.to_string())?;
    let known = embedded_versions();
    if known.contains(&v) {
        Ok(v)
    } else {
        Err(format!(
            "Kubernetes {v} is not embedded; choose one of {}",
            known
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        ))
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Check(args) => run_check(*args),
        Command::Render(args) => run_render(*args),
        Command::Serve(args) => run_serve(args),
        Command::Test(args) => run_tests(args),
        Command::Verify { paths } => run_verify(&paths),
        Command::Images {
            command: images::ImagesCommand::Fetch(args),
        } => images::run_fetch(args),
        Command::Pin(args) => images::run_pin(args),
        Command::Policies {
            command: PoliciesCommand::List,
        } => {
            let mut out = std::io::stdout().lock();
            for p in kvet_policy::builtin_policies() {
                let default = if kvet_policy::DEFAULT_SETS.contains(&p.id) {
                    " (default)"
                } else {
                    ""
                };
                let _ = writeln!(
                    out,
                    "{}{default}\n  {} [{}]\n  {}",
                    p.id, p.title, p.severity, p.rationale
                );
                if !p.requires.is_empty() {
                    let _ = writeln!(out, "  also enables: {}", p.requires.join(", "));
                }
                for (name, about) in &p.parameters {
                    let _ = writeln!(out, "  parameter {name}: {about}");
                }
                let _ = writeln!(out);
            }
            ExitCode::SUCCESS
        }
        Command::Schemas {
            command: SchemasCommand::List,
        } => {
            let versions = embedded_versions();
            let newest = versions.last().copied();
            let mut out = std::io::stdout().lock();
            for v in &versions {
                let mark = if Some(*v) == newest {
                    "  (default)"
                } else {
                    ""
                };
                let _ = writeln!(out, "{v}{mark}");
            }
            ExitCode::SUCCESS
        }
    }
}

fn run_verify(paths: &[PathBuf]) -> ExitCode {
    let suites = kvet_engine::verify::find_suites(paths);
    if suites.is_empty() {
        eprintln!("kvet: no Gatekeeper suites (kind: Suite) found");
        return ExitCode::from(2);
    }
    let mut out = std::io::stdout().lock();
    let (mut pass, mut fail) = (0, 0);
    for s in &suites {
        for c in kvet_engine::verify::run_suite(s) {
            match &c.failure {
                None => {
                    pass += 1;
                    let _ = writeln!(out, "ok   {} {}", c.suite, c.name);
                }
                Some(why) => {
                    fail += 1;
                    let _ = writeln!(out, "FAIL {} {}: {why}", c.suite, c.name);
                }
            }
        }
    }
    let _ = writeln!(out, "{pass} passed, {fail} failed");
    if fail > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

fn run_tests(args: TestArgs) -> ExitCode {
    let (paths, mut problems) = input::discover_with(&args.paths, &["rego"]);
    let mut modules = Vec::new();
    for p in &paths {
        match input::read_file(p) {
            Ok(f) => modules.push((f.path, f.text.to_string())),
            Err(f) => problems.push(*f),
        }
    }
    let mut data = serde_json::Map::new();
    let (data_files, data_problems) = input::load(&args.data);
    problems.extend(data_problems);
    for f in data_files {
        match kvet_policy::read_data(&f.path, &f.text) {
            Ok(serde_json::Value::Object(m)) => data.extend(m),
            Ok(_) => eprintln!("kvet: {}: data files must hold a mapping", f.path),
            Err(e) => eprintln!("kvet: {e}"),
        }
    }
    for p in &problems {
        eprintln!("kvet: {}", p.message);
    }
    if !problems.is_empty() {
        return ExitCode::from(2);
    }
    let outcomes = match kvet_policy::run_tests(&modules, Some(serde_json::Value::Object(data))) {
        Ok(o) => o,
        Err(errors) => {
            for e in errors {
                eprintln!("kvet: {e}");
            }
            return ExitCode::from(2);
        }
    };
    let mut out = std::io::stdout().lock();
    let (mut pass, mut fail) = (0, 0);
    for o in &outcomes {
        let (word, detail) = match &o.result {
            kvet_policy::TestResult::Pass => ("PASS", String::new()),
            kvet_policy::TestResult::Fail => ("FAIL", String::new()),
            kvet_policy::TestResult::Error(e) => ("ERROR", format!(": {e}")),
        };
        if word == "PASS" {
            pass += 1;
        } else {
            fail += 1;
        }
        if word != "PASS" || !args.quiet {
            let _ = writeln!(out, "{word} {} ({}){detail}", o.name, o.file);
        }
    }
    let _ = writeln!(out, "{}", "-".repeat(60));
    let _ = writeln!(out, "{pass} passed, {fail} failed");
    if outcomes.is_empty() {
        let _ = writeln!(out, "no test_* rules found");
        return ExitCode::from(2);
    }
    if fail > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

/// Reads every input in parallel; unreadable ones become findings.
fn load(
    paths: &[PathBuf],
    chart_opts: &ChartOptions,
    remote: Option<&dyn kvet_engine::kustomize::Remote>,
) -> (Vec<SourceFile>, Vec<Finding>) {
    let mut problems = Vec::new();
    let mut files = Vec::new();
    let mut disk = Vec::new();
    for p in paths {
        if p.as_os_str() == "-" {
            let mut buf = Vec::new();
            match std::io::stdin().read_to_end(&mut buf) {
                Ok(_) => match input::decode_text("<stdin>", buf) {
                    Ok(f) => files.push(f),
                    Err(f) => problems.push(*f),
                },
                Err(e) => problems.push(input::input_finding("<stdin>", &e.to_string())),
            }
        } else {
            disk.push(p.clone());
        }
    }
    let (read, charts, unreadable) = input::load_inputs_remote(&disk, remote);
    files.extend(read);
    problems.extend(unreadable);
    for chart in charts {
        match kvet_engine::render_chart(&chart, chart_opts) {
            Ok(rendered) => files.extend(kvet_engine::rendered_inputs(&chart, &rendered)),
            Err(findings) => problems.extend(findings),
        }
    }
    (files, problems)
}

fn run_serve(args: ServeArgs) -> ExitCode {
    let mut opts = kvet_webhook::ServeOptions::new(args.listen, args.tls_cert, args.tls_key);
    opts.config = args.config;
    opts.webhook_config = args.webhook_config;
    opts.policy_memory_limit_mib = args.policy_memory_limit;
    match kvet_webhook::serve(opts) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("kvet: {e}");
            ExitCode::from(2)
        }
    }
}

fn run_render(args: RenderArgs) -> ExitCode {
    let (name, chart) = match args.args.as_slice() {
        [chart] => (None, chart.clone()),
        [name, chart] => (Some(name.clone()), chart.clone()),
        _ => return ExitCode::from(2),
    };
    if name.is_none() && kvet_engine::kustomize::is_kustomization(Path::new(&chart)) {
        return render_kustomization(Path::new(&chart), args.allow_remote);
    }
    let mut opts = args
        .chart
        .options(args.namespace.clone(), args.kube_version.clone());
    if name.is_some() {
        opts.release_name = name;
    }
    opts.show_only = args.show_only.clone();
    opts.skip_tests = args.skip_tests;
    opts.no_hooks = args.no_hooks;
    print_rendered(kvet_engine::render_chart(Path::new(&chart), &opts).map(|r| r.to_helm_output()))
}

/// `kvet render DIR` for a kustomization: what `kubectl kustomize DIR` prints.
/// kustomize's warnings (deprecated fields, unused vars) go to stderr, located.
fn render_kustomization(dir: &Path, allow_remote: bool) -> ExitCode {
    let fetcher = match remote::Fetcher::when(allow_remote) {
        Ok(f) => f,
        Err(code) => return code,
    };
    let remote = fetcher
        .as_ref()
        .map(|f| f as &dyn kvet_engine::kustomize::Remote);
    print_rendered(
        kvet_engine::kustomize::build_kustomization_remote(dir, remote).map(|b| {
            for w in &b.warnings {
                eprintln!("Warning: {w}");
            }
            b.to_yaml()
        }),
    )
}

/// Prints rendered text to stdout, or each problem to stderr as `Error: file:line:col: …`.
fn print_rendered(result: Result<String, Vec<Finding>>) -> ExitCode {
    match result {
        Ok(text) => {
            let mut out = std::io::stdout().lock();
            let _ = out.write_all(text.as_bytes());
            let _ = out.flush();
            ExitCode::SUCCESS
        }
        Err(findings) => {
            for f in findings {
                let l = &f.location;
                if l.line > 0 {
                    eprintln!("Error: {}:{}:{}: {}", l.file, l.line, l.column, f.message);
                } else {
                    eprintln!("Error: {}: {}", l.file, f.message);
                }
            }
            ExitCode::from(1)
        }
    }
}

/// Makes `p` absolute and drops `.` and `..` components, without touching the filesystem.
fn normalize(cwd: &Path, p: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in cwd.join(p).components() {
        match c {
            std::path::Component::CurDir => {}
            std::path::Component::ParentDir => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}

/// `p` (absolute) relative to the working directory, as findings show paths: `../.kvet.yaml`
/// for a config found in a parent directory.
fn shown(cwd: &Path, p: &Path) -> PathBuf {
    let a: Vec<_> = cwd.components().collect();
    let b: Vec<_> = p.components().collect();
    let common = a.iter().zip(&b).take_while(|(x, y)| x == y).count();
    if common == 0 {
        return p.to_path_buf();
    }
    let mut out = PathBuf::new();
    for _ in common..a.len() {
        out.push("..");
    }
    for c in &b[common..] {
        out.push(c);
    }
    out
}

/// Today (UTC), for exception expiry.
fn today() -> Date {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    Date::from_unix_days((secs / 86_400) as i64)
}

/// The config file in force: `--config`, else one found upward from the working directory.
fn find_config(args: &CheckArgs, cwd: &Path) -> Result<Config, Vec<Finding>> {
    let path = if args.no_config {
        None
    } else {
        args.config
            .as_ref()
            .map(|p| normalize(cwd, p))
            .or_else(|| kvet_engine::config::discover(cwd))
    };
    match path {
        Some(p) => Config::load(&shown(cwd, &p)),
        None => Ok(Config {
            root: cwd.to_path_buf(),
            ..Default::default()
        }),
    }
}

fn run_check(args: CheckArgs) -> ExitCode {
    if let Some(n) = args.jobs {
        let _ = rayon::ThreadPoolBuilder::new()
            .num_threads(n.max(1))
            .build_global();
    }
    let cwd = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."));
    let config = match find_config(&args, &cwd) {
        Ok(c) => c,
        Err(problems) => return usage_problems(problems, &args),
    };
    let config_version = match config.kubernetes_version.as_deref().map(parse_version) {
        Some(Ok(v)) => Some(v),
        Some(Err(e)) => {
            eprintln!(
                "kvet: {}: kubernetesVersion: {e}",
                config
                    .file
                    .as_deref()
                    .unwrap_or(Path::new(".kvet.yaml"))
                    .display()
            );
            return ExitCode::from(2);
        }
        None => None,
    };
    let Some(version) = args
        .kubernetes_version
        .or(config_version)
        .or_else(|| embedded_versions().last().copied())
    else {
        eprintln!("kvet: no Kubernetes schemas are embedded in this build");
        return ExitCode::from(2);
    };
    let pss_minor = match args
        .pss_version
        .as_deref()
        .or(config.pss_version.as_deref())
        .map(kvet_engine::config::parse_pss_version)
    {
        Some(Ok(v)) => v,
        Some(Err(e)) => {
            eprintln!("kvet: {e}");
            return ExitCode::from(2);
        }
        None => None,
    };
    let fail_on = args.fail_on.or(config.fail_on).unwrap_or(Severity::Error);
    let or_config = |flag: &Vec<String>, conf: &Vec<String>| {
        if flag.is_empty() {
            conf.clone()
        } else {
            flag.clone()
        }
    };
    let mut opts = CheckOptions::new(version);
    opts.strict = !args.no_strict && config.strict.unwrap_or(true);
    opts.ignore_missing_schemas =
        args.ignore_missing_schemas || config.ignore_missing_schemas.unwrap_or(false);
    opts.skip_kinds = or_config(&args.skip_kinds, &config.skip_kinds);
    opts.only_kinds = or_config(&args.only_kinds, &config.only_kinds);
    opts.schema_locations = or_config(&args.schema_location, &config.schema_locations);
    opts.self_waivable = config.self_waivable.clone();
    if !opts.schema_locations.is_empty() {
        opts.fetcher = Some(Arc::new(fetch::CachingFetcher::new(
            args.schema_cache.clone(),
        )));
    }
    let named_sets = if args.policy_set.is_empty() {
        config.policy_sets.clone()
    } else {
        Some(args.policy_set.clone())
    };
    let sets: Vec<String> = match named_sets {
        None => kvet_policy::DEFAULT_SETS
            .iter()
            .map(|s| (*s).to_owned())
            .collect(),
        Some(list) => list.into_iter().filter(|s| s.as_str() != "none").collect(),
    };
    let namespaces = if args.namespace.is_empty() {
        config.namespaces.clone().unwrap_or_default()
    } else {
        args.namespace.clone()
    };
    let timeout = args
        .policy_timeout
        .or(config.policy_timeout_ms)
        .unwrap_or(5000);
    let mut sources = PolicySources {
        policies: config
            .policies
            .iter()
            .chain(&args.policy)
            .cloned()
            .collect(),
        sets,
        data: config.data.iter().chain(&args.data).cloned().collect(),
        namespaces: if args.all_namespaces {
            Namespaces::All
        } else if namespaces.is_empty() {
            Namespaces::default()
        } else {
            Namespaces::Matching(namespaces)
        },
        time_limit: (timeout > 0).then(|| std::time::Duration::from_millis(timeout)),
        parameters: config.parameters.clone(),
        pss_minor,
        combine: args.combine,
        extra_data: Vec::new(),
    };
    // Exceptions: --exceptions, else the config's, else .kvet/exceptions.yaml at the root.
    let mut exceptions = Exceptions {
        entries: config.exceptions.clone(),
        self_waivable: config.self_waivable.clone(),
    };
    let exceptions_file = args
        .exceptions
        .clone()
        .or_else(|| config.exceptions_file.clone())
        .or_else(|| {
            let p = config.root.join(kvet_engine::config::DEFAULT_EXCEPTIONS);
            (!args.no_config && config.exceptions.is_empty() && p.is_file()).then_some(p)
        });
    if let Some(p) = &exceptions_file {
        let p = shown(&cwd, p);
        let shown = p.display().to_string();
        let p = &p;
        let loaded = std::fs::read_to_string(p)
            .map_err(|e| {
                vec![input::input_finding(
                    &shown,
                    &format!("cannot read the exceptions file: {e}"),
                )]
            })
            .and_then(|text| Exceptions::parse_file(&shown, &text));
        match loaded {
            Ok(list) => exceptions.entries = list,
            Err(problems) => return usage_problems(problems, &args),
        }
    }
    let root = normalize(&cwd, &config.root);
    let mut checker = match Checker::new(opts) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("kvet: {e}");
            return ExitCode::from(2);
        }
    };

    let chart_opts = args.chart.options(
        args.release_namespace.clone(),
        Some(format!("v{}.{}.0", version.major, version.minor)),
    );
    let fetcher = match remote::Fetcher::when(args.allow_remote) {
        Ok(f) => f,
        Err(code) => return code,
    };
    let remote = fetcher
        .as_ref()
        .map(|f| f as &dyn kvet_engine::kustomize::Remote);
    let (files, mut problems) = load(&args.paths, &chart_opts, remote);
    let mut policy_problems = Vec::new();
    // Image facts (data.kvet.images) are gathered before the policies are compiled.
    let sets_named = !args.policy_set.is_empty() || config.policy_sets.is_some();
    let image_data = match images::prepare(&args.images, &mut sources.sets, sets_named, &files) {
        Ok(d) => d,
        Err(problems) => return usage_problems(problems, &args),
    };
    if let Some(d) = image_data {
        sources.extra_data.push(("<image facts>".to_owned(), d));
    }
    match load_policies(&sources, &files) {
        Ok(set) => checker.set_policies(set.map(Arc::new)),
        Err(findings) => policy_problems = findings,
    }
    let unreadable = problems.iter().any(|f| f.rule == "input") || !policy_problems.is_empty();
    problems.extend(policy_problems);
    if !args.crd.is_empty() {
        let (crd_files, crd_problems) = load(&args.crd, &chart_opts, remote);
        problems.extend(crd_problems);
        problems.extend(checker.add_crds(&crd_files));
    }
    problems.extend(checker.add_crds(&files));
    kvet_policy::set_memory_headroom(
        (args.policy_memory_limit > 0).then(|| args.policy_memory_limit.saturating_mul(1 << 20)),
    );
    let mut report: Report = checker.check_files(&files);
    kvet_policy::set_memory_headroom(None);
    if !problems.is_empty() {
        report.findings.extend(problems);
        report.findings.sort_by(Finding::order);
    }
    report.apply_exceptions(&exceptions, today(), &|file| {
        normalize(&cwd, Path::new(file))
            .strip_prefix(&root)
            .ok()
            .map(|p| p.to_string_lossy().into_owned())
    });

    let file_names: Vec<String> = files.iter().map(|f| f.path.clone()).collect();
    let rendered = match args.output {
        Output::Text => {
            let color = std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none();
            text::render(&report, &files, color, args.summary, version)
        }
        Output::Json => report::json(&report, &version.to_string()),
        Output::Sarif => report::sarif(&report, env!("CARGO_PKG_VERSION")),
        Output::Junit => report::junit(&report, &file_names),
        Output::Github => report::github(&report),
    };
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(rendered.as_bytes());
    if args.summary && args.output != Output::Text {
        let _ = std::io::stderr().write_all(text::summary(&report, version).as_bytes());
    }
    let _ = out.flush();

    if unreadable {
        ExitCode::from(2)
    } else if report.fails_at(fail_on) {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

/// Reports problems with kvet's own configuration in the chosen format; exit code 2.
fn usage_problems(problems: Vec<Finding>, args: &CheckArgs) -> ExitCode {
    let mut report = Report {
        findings: problems,
        ..Default::default()
    };
    report.findings.sort_by(Finding::order);
    let version = embedded_versions()
        .last()
        .copied()
        .unwrap_or(KubeVersion { major: 1, minor: 0 });
    let rendered = match args.output {
        Output::Text => {
            let color = std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none();
            text::render(&report, &[], color, false, version)
        }
        Output::Json => report::json(&report, &version.to_string()),
        Output::Sarif => report::sarif(&report, env!("CARGO_PKG_VERSION")),
        Output::Junit => report::junit(&report, &[]),
        Output::Github => report::github(&report),
    };
    let _ = std::io::stdout().write_all(rendered.as_bytes());
    ExitCode::from(2)
}
