//! `cargo xtask bench-images`: resolving and verifying many distinct images from a loopback
//! registry (Debian's docker-registry), cold (empty cache) and warm (cache filled), next to
//! resolving tags to digests only, all in the same run.

use kvet_images::registry::{facts_parallel, ClientOptions, RegistryClient};
use kvet_images::testing::{LocalRegistry, TestKey};
use kvet_images::{ImageSource, VerifyOptions};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

const CONCURRENCY: usize = 8;

fn client(host: &str, cache: Option<&std::path::Path>) -> RegistryClient {
    RegistryClient::new(ClientOptions {
        insecure: vec![host.to_owned()],
        cache_dir: cache.map(|p| p.to_path_buf()),
        ..Default::default()
    })
}

fn per_sec(n: usize, d: Duration) -> f64 {
    n as f64 / d.as_secs_f64().max(1e-9)
}

/// Runs the benchmark; `--images N` (default 500).
pub fn run(args: &[String]) -> Result<(), String> {
    let n: usize = match args.iter().position(|a| a == "--images") {
        Some(i) => args
            .get(i + 1)
            .and_then(|v| v.parse().ok())
            .ok_or("--images needs a number")?,
        None => 500,
    };
    let reg = LocalRegistry::start()?.ok_or(
        "docker-registry is not installed (apt-get install -y docker-registry); cannot benchmark",
    )?;
    let key = TestKey::new("bench");
    let started = Instant::now();
    // 50 repositories with n/50 tags each: distinct content, so distinct digests and signatures.
    let mut refs = Vec::with_capacity(n);
    for i in 0..n {
        let repo = format!("bench/app{}", i % 50);
        let tag = format!("v{i}");
        let desc = reg.push_image(&repo, Some(&tag), &format!("image {i}"))?;
        let digest = desc["digest"].as_str().unwrap_or_default().to_owned();
        reg.sign_legacy(&repo, &digest, &key)?;
        refs.push((repo, tag));
    }
    eprintln!(
        "pushed and signed {n} images in {:.1}s",
        started.elapsed().as_secs_f64()
    );
    let host = reg.host.clone();
    let images: Vec<String> = refs
        .iter()
        .map(|(r, t)| format!("{host}/{r}:{t}"))
        .collect();
    let opts = VerifyOptions {
        keys: vec![key.public("bench")],
        ..Default::default()
    };
    let cache = tempfile::tempdir().map_err(|e| e.to_string())?;

    // Resolving only: one HEAD per image, as `kvet pin` or digest facts need.
    let c = client(&host, None);
    let t = Instant::now();
    let resolved = resolve_only(&c, &host, &refs);
    let resolve_time = t.elapsed();
    let resolve_requests = c.requests();

    let verify = |cache_dir: &std::path::Path| -> Result<(Duration, usize), String> {
        let c = client(&host, Some(cache_dir));
        let t = Instant::now();
        let facts = facts_parallel(&images, &c, &opts, true, CONCURRENCY);
        let d = t.elapsed();
        let bad: Vec<&String> = facts
            .values()
            .filter(|f| !f.signed)
            .map(|f| &f.image)
            .collect();
        if !bad.is_empty() {
            return Err(format!(
                "{} images did not verify, e.g. {}",
                bad.len(),
                bad[0]
            ));
        }
        Ok((d, c.requests()))
    };
    let (cold, cold_requests) = verify(cache.path())?;
    let (warm, warm_requests) = verify(cache.path())?;
    if resolved != n {
        return Err(format!("only {resolved} of {n} tags resolved"));
    }
    println!("images: {n} distinct, {CONCURRENCY} requests in flight, loopback docker-registry");
    println!(
        "resolve digests only:  {:>8.1} ms  {:>8.0} images/s  {:>6} requests  (baseline)",
        resolve_time.as_secs_f64() * 1e3,
        per_sec(n, resolve_time),
        resolve_requests
    );
    for (name, d, r) in [
        ("verify, cold cache:", cold, cold_requests),
        ("verify, warm cache:", warm, warm_requests),
    ] {
        println!(
            "{name:<22} {:>8.1} ms  {:>8.0} images/s  {:>6} requests  {:.2}x resolve-only",
            d.as_secs_f64() * 1e3,
            per_sec(n, d),
            r,
            d.as_secs_f64() / resolve_time.as_secs_f64().max(1e-9)
        );
    }
    println!(
        "warm/cold: {:.2}x",
        warm.as_secs_f64() / cold.as_secs_f64().max(1e-9)
    );
    Ok(())
}

/// Tag → digest for every image, CONCURRENCY at a time; returns how many resolved.
fn resolve_only(c: &RegistryClient, host: &str, refs: &[(String, String)]) -> usize {
    let next = AtomicUsize::new(0);
    let ok = AtomicUsize::new(0);
    std::thread::scope(|s| {
        for _ in 0..CONCURRENCY {
            s.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some((repo, tag)) = refs.get(i) else {
                    break;
                };
                if let Ok(Some(_)) = c.resolve(host, repo, tag) {
                    ok.fetch_add(1, Ordering::Relaxed);
                }
            });
        }
    });
    ok.into_inner()
}
