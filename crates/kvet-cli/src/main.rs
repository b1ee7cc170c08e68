//! `kvet`: validate Kubernetes manifests against embedded schemas, at the exact line.

mod fetch;
mod text;

use clap::{Args, Parser, Subcommand, ValueEnum};
use kvet_engine::{
    embedded_versions, input, load_policies, report, CheckOptions, Checker, Finding, KubeVersion,
    Namespaces, PolicySources, Report, Severity, SourceFile,
};
use std::io::{IsTerminal, Read, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

// Parsing builds many small maps and strings; mimalloc makes that markedly faster than the
// system allocator on the hot path.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

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
    /// Lowest severity that makes the exit code 1.
    #[arg(long, default_value = "error", value_name = "SEVERITY", value_parser = parse_severity)]
    fail_on: Severity,
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
    /// Built-in policy sets to apply (repeatable; `none` for none). Default: tag-pinning.
    /// Naming any set replaces the default.
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
    /// Time limit for evaluating the policies on one object, in milliseconds (0: none).
    #[arg(long, value_name = "MS", default_value = "5000")]
    policy_timeout: u64,
    /// Worker threads (default: one per core).
    #[arg(long, value_name = "N")]
    jobs: Option<usize>,
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
        Command::Test(args) => run_tests(args),
        Command::Verify { paths } => run_verify(&paths),
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
                    "{}{default}\n  {} [{}]\n  {}\n",
                    p.id, p.title, p.severity, p.rationale
                );
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
fn load(paths: &[PathBuf]) -> (Vec<SourceFile>, Vec<Finding>) {
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
    let (read, unreadable) = input::load(&disk);
    files.extend(read);
    problems.extend(unreadable);
    (files, problems)
}

fn run_check(args: CheckArgs) -> ExitCode {
    if let Some(n) = args.jobs {
        let _ = rayon::ThreadPoolBuilder::new()
            .num_threads(n.max(1))
            .build_global();
    }
    let Some(version) = args
        .kubernetes_version
        .or_else(|| embedded_versions().last().copied())
    else {
        eprintln!("kvet: no Kubernetes schemas are embedded in this build");
        return ExitCode::from(2);
    };
    let mut opts = CheckOptions::new(version);
    opts.strict = !args.no_strict;
    opts.ignore_missing_schemas = args.ignore_missing_schemas;
    opts.skip_kinds = args.skip_kinds.clone();
    opts.only_kinds = args.only_kinds.clone();
    opts.schema_locations = args.schema_location.clone();
    if !args.schema_location.is_empty() {
        opts.fetcher = Some(Arc::new(fetch::CachingFetcher::new(
            args.schema_cache.clone(),
        )));
    }
    let sets: Vec<String> = if args.policy_set.is_empty() {
        kvet_policy::DEFAULT_SETS
            .iter()
            .map(|s| (*s).to_owned())
            .collect()
    } else {
        args.policy_set
            .iter()
            .filter(|s| s.as_str() != "none")
            .cloned()
            .collect()
    };
    let sources = PolicySources {
        policies: args.policy.clone(),
        sets,
        data: args.data.clone(),
        namespaces: if args.all_namespaces {
            Namespaces::All
        } else if args.namespace.is_empty() {
            Namespaces::default()
        } else {
            Namespaces::Matching(args.namespace.clone())
        },
        time_limit: (args.policy_timeout > 0)
            .then(|| std::time::Duration::from_millis(args.policy_timeout)),
    };
    let mut checker = match Checker::new(opts) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("kvet: {e}");
            return ExitCode::from(2);
        }
    };

    let (files, mut problems) = load(&args.paths);
    let mut policy_problems = Vec::new();
    match load_policies(&sources, &files) {
        Ok(set) => checker.set_policies(set.map(Arc::new)),
        Err(findings) => policy_problems = findings,
    }
    let unreadable = problems.iter().any(|f| f.rule == "input") || !policy_problems.is_empty();
    problems.extend(policy_problems);
    if !args.crd.is_empty() {
        let (crd_files, crd_problems) = load(&args.crd);
        problems.extend(crd_problems);
        problems.extend(checker.add_crds(&crd_files));
    }
    problems.extend(checker.add_crds(&files));
    let mut report: Report = checker.check_files(&files);
    if !problems.is_empty() {
        report.findings.extend(problems);
        report.findings.sort_by(Finding::order);
    }

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
    } else if report.fails_at(args.fail_on) {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}
