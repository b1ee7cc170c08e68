//! `cargo xtask bench`: end-to-end throughput of `kvet check` on a generated corpus, next to
//! the time to only read and parse the same YAML, measured in the same run; and the start-up
//! cost of checking one small file.

use rayon::prelude::*;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

const FILES: usize = 5_000;
const PER_FILE: usize = 10;

pub fn run(args: &[String]) -> Result<(), String> {
    let quick = args.iter().any(|a| a == "--quick");
    let files = if quick { 500 } else { FILES };
    let root = workspace_root();
    let bin = build_kvet(&root)?;
    let corpus = root.join("target").join("bench-corpus");
    let count = generate_corpus(&corpus, files)?;
    println!(
        "corpus: {count} objects in {files} files ({:.1} MB) under {}",
        dir_bytes(&corpus) as f64 / 1e6,
        corpus.display()
    );
    let threads = rayon::current_num_threads();
    println!("threads: {threads}");

    // Baseline: read + parse only (kvet-yaml), same files, same parallelism, best of 3.
    let paths = list(&corpus);
    let mut parse_times = Vec::new();
    let mut parsed_objects = 0;
    for _ in 0..3 {
        let t = Instant::now();
        parsed_objects = paths
            .par_iter()
            .map(|p| {
                let text = std::fs::read_to_string(p).unwrap_or_default();
                let s = kvet_yaml::parse_stream(&text, &kvet_yaml::Limits::default());
                s.documents.len()
            })
            .sum::<usize>();
        parse_times.push(t.elapsed());
    }
    let parse = *parse_times.iter().min().unwrap_or(&Duration::ZERO);

    // kvet check end to end: the release binary, as CI runs it, best of 3 — schema only, then
    // with the default built-in policies.
    let schema_only = check_run(&bin, &corpus, count, &["--policy-set", "none"])?;
    let with_policies = check_run(&bin, &corpus, count, &[])?;
    // Every built-in policy at once, for scale (most are opt-in).
    let all: Vec<String> = kvet_policy::builtin_policies()
        .iter()
        .flat_map(|p| ["--policy-set".to_owned(), p.id.to_owned()])
        .collect();
    let all_args: Vec<&str> = all.iter().map(String::as_str).collect();
    let with_all = check_run(&bin, &corpus, count, &all_args)?;
    let check = schema_only.0;
    let last_status = schema_only.1;
    let per_sec = |d: Duration| count as f64 / d.as_secs_f64();
    println!();
    println!(
        "read+parse only (kvet-yaml) {:>8.3} s  {:>9.0} objects/s  ({parsed_objects} documents)",
        parse.as_secs_f64(),
        per_sec(parse)
    );
    println!(
        "kvet check end to end       {:>8.3} s  {:>9.0} objects/s  (exit {:?})",
        check.as_secs_f64(),
        per_sec(check),
        last_status
    );
    println!(
        "ratio check / parse-only    {:>8.2}x",
        check.as_secs_f64() / parse.as_secs_f64()
    );
    println!(
        "kvet check + default policies {:>6.3} s  {:>9.0} objects/s  (ratio to schema only {:.2}x)",
        with_policies.0.as_secs_f64(),
        per_sec(with_policies.0),
        with_policies.0.as_secs_f64() / check.as_secs_f64()
    );
    println!(
        "kvet check + all {:>2} built-ins {:>6.3} s  {:>9.0} objects/s  (ratio to schema only {:.2}x)",
        all.len() / 2,
        with_all.0.as_secs_f64(),
        per_sec(with_all.0),
        with_all.0.as_secs_f64() / check.as_secs_f64()
    );

    helm_render(&root, &bin)?;

    // Start-up: one small Deployment, many runs; median and p90 wall time.
    let one = root.join("fixtures/manifests/valid/deployment.yaml");
    let mut times = Vec::new();
    for _ in 0..40 {
        let t = Instant::now();
        let out = Command::new(&bin)
            .args(["check", "--no-config"])
            .arg(&one)
            .output()
            .map_err(|e| format!("running kvet: {e}"))?;
        times.push(t.elapsed());
        if !out.status.success() {
            return Err(format!(
                "kvet check {} failed: {}",
                one.display(),
                String::from_utf8_lossy(&out.stdout)
            ));
        }
    }
    // Baseline for start-up: the same binary printing its version (process start only).
    let mut base = Vec::new();
    for _ in 0..40 {
        let t = Instant::now();
        let _ = Command::new(&bin).arg("--version").output();
        base.push(t.elapsed());
    }
    times.sort();
    base.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    println!();
    println!(
        "kvet check one Deployment   median {:>6.2} ms  p90 {:>6.2} ms",
        ms(times[times.len() / 2]),
        ms(times[times.len() * 9 / 10])
    );
    println!(
        "kvet --version (baseline)   median {:>6.2} ms  p90 {:>6.2} ms  (ratio {:.2}x)",
        ms(base[base.len() / 2]),
        ms(base[base.len() * 9 / 10]),
        ms(times[times.len() / 2]) / ms(base[base.len() / 2])
    );
    Ok(())
}

/// Best of three `kvet check --output json` runs over the corpus; checks the object count.
fn check_run(
    bin: &Path,
    corpus: &Path,
    count: usize,
    extra: &[&str],
) -> Result<(Duration, Option<i32>), String> {
    let mut best = Duration::MAX;
    let mut status = None;
    for _ in 0..3 {
        let t = Instant::now();
        let out = Command::new(bin)
            .args(["check", "--no-config", "--output", "json"])
            .args(extra)
            .arg(corpus)
            .output()
            .map_err(|e| format!("running kvet: {e}"))?;
        best = best.min(t.elapsed());
        status = out.status.code();
        if !matches!(status, Some(0 | 1)) {
            return Err(format!(
                "kvet check failed: {}",
                String::from_utf8_lossy(&out.stderr)
            ));
        }
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_default();
        let objects = v["summary"]["objects"].as_u64().unwrap_or(0);
        if objects as usize != count {
            return Err(format!("kvet saw {objects} objects, expected {count}"));
        }
    }
    Ok((best, status))
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

fn list(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|rd| rd.filter_map(Result::ok).map(|e| e.path()).collect())
        .unwrap_or_default();
    v.sort();
    v
}

fn dir_bytes(dir: &Path) -> u64 {
    list(dir)
        .iter()
        .filter_map(|p| std::fs::metadata(p).ok())
        .map(|m| m.len())
        .sum()
}

/// Writes `files` files of ten mixed resources each; returns the object count.
fn generate_corpus(dir: &Path, files: usize) -> Result<usize, String> {
    let _ = std::fs::remove_dir_all(dir);
    std::fs::create_dir_all(dir).map_err(|e| e.to_string())?;
    let mut count = 0;
    for f in 0..files {
        let mut text = String::new();
        for k in 0..PER_FILE {
            let n = f * PER_FILE + k;
            if k > 0 {
                text.push_str("---\n");
            }
            text.push_str(&resource(n, k));
            count += 1;
        }
        std::fs::write(dir.join(format!("app-{f:05}.yaml")), text).map_err(|e| e.to_string())?;
    }
    Ok(count)
}

fn resource(n: usize, slot: usize) -> String {
    let ns = format!("team-{}", n % 37);
    let name = format!("svc-{n}");
    // One object in 500 carries a mistake, so the report has findings to print.
    let replicas = if n % 500 == 5 {
        "\"3\"".to_owned()
    } else {
        (n % 5 + 1).to_string()
    };
    match slot {
        0 | 5 => format!(
            r#"apiVersion: apps/v1
kind: Deployment
metadata:
  name: {name}
  namespace: {ns}
  labels:
    app.kubernetes.io/name: {name}
    app.kubernetes.io/part-of: shop
  annotations:
    example.com/owner: team-{team}
spec:
  replicas: {replicas}
  revisionHistoryLimit: 5
  selector:
    matchLabels:
      app.kubernetes.io/name: {name}
  strategy:
    type: RollingUpdate
    rollingUpdate:
      maxSurge: 25%
      maxUnavailable: 0
  template:
    metadata:
      labels:
        app.kubernetes.io/name: {name}
    spec:
      serviceAccountName: {name}
      securityContext:
        runAsNonRoot: true
        seccompProfile:
          type: RuntimeDefault
      containers:
        - name: app
          image: registry.example.com/{ns}/{name}:1.{minor}.0
          imagePullPolicy: IfNotPresent
          args: ["--port=8080", "--log-level=info"]
          ports:
            - name: http
              containerPort: 8080
          env:
            - name: POD_NAME
              valueFrom:
                fieldRef:
                  fieldPath: metadata.name
            - name: CONFIG
              value: /etc/app/config.yaml
          resources:
            requests:
              cpu: 100m
              memory: 128Mi
            limits:
              cpu: "1"
              memory: 512Mi
          readinessProbe:
            httpGet:
              path: /ready
              port: http
            periodSeconds: 10
          livenessProbe:
            httpGet:
              path: /healthz
              port: http
          securityContext:
            allowPrivilegeEscalation: false
            readOnlyRootFilesystem: true
            capabilities:
              drop: [ALL]
          volumeMounts:
            - name: config
              mountPath: /etc/app
      volumes:
        - name: config
          configMap:
            name: {name}-config
            defaultMode: 0644
"#,
            team = n % 11,
            minor = n % 20
        ),
        1 => format!(
            r#"apiVersion: v1
kind: Service
metadata:
  name: {name}
  namespace: {ns}
spec:
  type: ClusterIP
  selector:
    app.kubernetes.io/name: {name}
  ports:
    - name: http
      port: 80
      targetPort: http
      protocol: TCP
"#
        ),
        2 => format!(
            r#"apiVersion: v1
kind: ConfigMap
metadata:
  name: {name}-config
  namespace: {ns}
data:
  config.yaml: |
    listen: ":8080"
    features:
      cache: true
      tracing: false
  LOG_LEVEL: info
"#
        ),
        3 => format!(
            r#"apiVersion: v1
kind: Secret
metadata:
  name: {name}-credentials
  namespace: {ns}
type: Opaque
data:
  username: YWRtaW4=
  password: c2VjcmV0LXt7bn19
"#
        ),
        4 => format!(
            r#"apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: {name}
  namespace: {ns}
  annotations:
    nginx.ingress.kubernetes.io/proxy-body-size: 8m
spec:
  ingressClassName: nginx
  tls:
    - hosts: [{name}.example.com]
      secretName: {name}-tls
  rules:
    - host: {name}.example.com
      http:
        paths:
          - path: /
            pathType: Prefix
            backend:
              service:
                name: {name}
                port:
                  name: http
"#
        ),
        6 => format!(
            r#"apiVersion: v1
kind: ServiceAccount
metadata:
  name: {name}
  namespace: {ns}
automountServiceAccountToken: false
"#
        ),
        7 => format!(
            r#"apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata:
  name: {name}
  namespace: {ns}
spec:
  scaleTargetRef:
    apiVersion: apps/v1
    kind: Deployment
    name: {name}
  minReplicas: 2
  maxReplicas: 10
  metrics:
    - type: Resource
      resource:
        name: cpu
        target:
          type: Utilization
          averageUtilization: 75
"#
        ),
        8 => format!(
            r#"apiVersion: batch/v1
kind: CronJob
metadata:
  name: {name}-report
  namespace: {ns}
spec:
  schedule: "*/15 * * * *"
  concurrencyPolicy: Forbid
  successfulJobsHistoryLimit: 3
  jobTemplate:
    spec:
      backoffLimit: 2
      template:
        spec:
          restartPolicy: OnFailure
          containers:
            - name: report
              image: registry.example.com/{ns}/report:2.1.0
              command: ["/report", "--since=15m"]
              resources:
                requests:
                  cpu: 50m
                  memory: 64Mi
"#
        ),
        _ => format!(
            r#"apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata:
  name: {name}-read
  namespace: {ns}
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: Role
  name: config-reader
subjects:
  - kind: ServiceAccount
    name: {name}
    namespace: {ns}
"#
        ),
    }
}

/// Rendering the large fixture chart: kvet-helm in process (100 renders), then `kvet render`
/// against the official `helm template` binary, process for process (fetched on demand, as
/// `cargo xtask goldens` does).
fn helm_render(root: &Path, bin: &Path) -> Result<(), String> {
    let chart_dir = root.join("fixtures/charts/large");
    let runs = 100;
    let t = Instant::now();
    let mut documents = 0;
    for _ in 0..runs {
        let chart = kvet_helm::ChartLoader::new()
            .load(&chart_dir)
            .map_err(|e| e.to_string())?;
        let out = kvet_helm::Renderer::new(kvet_helm::RenderOptions::default())
            .render(&chart, &kvet_helm::Values::new())
            .map_err(|e| e.to_string())?;
        documents = out.documents.len();
    }
    let in_process = t.elapsed() / runs;
    let helm = crate::goldens::fetch_helm(&root.join("target/helm-goldens"))?;
    let median = |cmd: &Path, args: &[&str]| -> Result<Duration, String> {
        let mut times = Vec::new();
        for _ in 0..runs {
            let t = Instant::now();
            let out = Command::new(cmd)
                .args(args)
                .output()
                .map_err(|e| format!("running {}: {e}", cmd.display()))?;
            times.push(t.elapsed());
            if !out.status.success() {
                return Err(format!(
                    "{} failed: {}",
                    cmd.display(),
                    String::from_utf8_lossy(&out.stderr)
                ));
            }
        }
        times.sort();
        Ok(times[times.len() / 2])
    };
    let chart = chart_dir.to_string_lossy().into_owned();
    let args = [
        "template",
        "rel",
        chart.as_str(),
        "--kube-version",
        "1.33.0",
    ];
    let helm_t = median(&helm, &args)?;
    let mut kvet_args = args;
    kvet_args[0] = "render";
    let kvet_t = median(bin, &kvet_args)?;
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    println!();
    println!("large chart ({documents} documents, 51 templates), {runs} renders each:");
    println!(
        "  kvet-helm in process        {:>7.2} ms per render",
        ms(in_process)
    );
    println!(
        "  kvet render (process)       {:>7.2} ms median",
        ms(kvet_t)
    );
    println!(
        "  helm template (baseline)    {:>7.2} ms median  (helm / kvet render {:.1}x, helm / in process {:.1}x)",
        ms(helm_t),
        ms(helm_t) / ms(kvet_t),
        ms(helm_t) / ms(in_process)
    );
    Ok(())
}
