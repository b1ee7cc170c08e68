//! `--allow-remote`: remote kustomize resources fetched as kustomize fetches them — URLs that
//! answer with a file over HTTP(S), everything else cloned with `git` (shallow, at the ref)
//! into a temporary directory that lives as long as the command.

use kvet_engine::kustomize::{Remote, RepoSpec};
use std::collections::HashMap;
use std::io::Read as _;
use std::process::{Command, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Remote files over HTTP are capped at this size.
const MAX_FILE: u64 = 16 << 20;

/// Fetches remote kustomize entries for one run.
pub struct Fetcher {
    dir: tempfile::TempDir,
    agent: ureq::Agent,
    /// Clones made so far, by URL and ref.
    clones: Mutex<HashMap<(String, String), String>>,
}

impl Fetcher {
    /// A fetcher when `--allow-remote` is given; a temporary directory that cannot be made
    /// is reported, and the command ends with exit code 2.
    pub fn when(allowed: bool) -> Result<Option<Fetcher>, std::process::ExitCode> {
        allowed.then(Fetcher::new).transpose().map_err(|e| {
            eprintln!("kvet: --allow-remote: {e}");
            std::process::ExitCode::from(2)
        })
    }

    /// A fetcher cloning into a fresh temporary directory.
    pub fn new() -> Result<Fetcher, String> {
        let agent = ureq::Agent::config_builder()
            .timeout_global(Some(Duration::from_secs(27)))
            .http_status_as_error(false)
            .user_agent(concat!("kvet/", env!("CARGO_PKG_VERSION")))
            .build()
            .new_agent();
        Ok(Fetcher {
            dir: tempfile::tempdir().map_err(|e| format!("temporary directory: {e}"))?,
            agent,
            clones: Mutex::new(HashMap::new()),
        })
    }
}

/// Runs git with a deadline; its stderr explains a failure.
fn git(dir: &std::path::Path, args: &[&str], timeout: Duration) -> Result<(), String> {
    let mut child = Command::new("git")
        .args(args)
        .current_dir(dir)
        .env("GIT_TERMINAL_PROMPT", "0")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot run git: {e}"))?;
    let mut stderr = child.stderr.take();
    let reader = std::thread::spawn(move || {
        let mut s = String::new();
        if let Some(e) = stderr.as_mut() {
            let _ = e.take(64 << 10).read_to_string(&mut s);
        }
        s
    });
    let deadline = Instant::now() + timeout;
    let status = loop {
        match child.try_wait().map_err(|e| e.to_string())? {
            Some(s) => break s,
            None if Instant::now() >= deadline => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!("git {} timed out after {timeout:?}", args[0]));
            }
            None => std::thread::sleep(Duration::from_millis(10)),
        }
    };
    let err = reader.join().unwrap_or_default();
    if status.success() {
        Ok(())
    } else {
        Err(format!("git {} failed: {}", args[0], err.trim()))
    }
}

impl Remote for Fetcher {
    fn get(&self, url: &str) -> Result<Option<String>, String> {
        let mut resp = match self.agent.get(url).call() {
            Ok(r) => r,
            Err(e) => return Err(format!("{url}: {e}")),
        };
        if !resp.status().is_success() {
            return Ok(None);
        }
        let body = resp
            .body_mut()
            .with_config()
            .limit(MAX_FILE)
            .read_to_string()
            .map_err(|e| format!("{url}: {e}"))?;
        Ok(Some(body))
    }

    fn clone_repo(&self, spec: &RepoSpec) -> Result<String, String> {
        let key = (spec.clone_url.clone(), spec.git_ref.clone());
        let mut clones = self.clones.lock().map_err(|_| "poisoned")?;
        if let Some(dir) = clones.get(&key) {
            return Ok(dir.clone());
        }
        let dir = self.dir.path().join(format!("repo-{}", clones.len()));
        std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
        let t = Duration::from_secs(spec.timeout_secs.max(1));
        // As kustomize clones: an empty repository fetching just the ref, shallow.
        git(&dir, &["init", "--quiet"], t)?;
        git(&dir, &["remote", "add", "origin", &spec.clone_url], t)?;
        let git_ref = if spec.git_ref.is_empty() {
            "HEAD"
        } else {
            &spec.git_ref
        };
        git(
            &dir,
            &["fetch", "--quiet", "--depth=1", "origin", git_ref],
            t,
        )?;
        git(&dir, &["checkout", "--quiet", "FETCH_HEAD"], t)?;
        if spec.submodules {
            git(
                &dir,
                &["submodule", "update", "--init", "--recursive", "--quiet"],
                t,
            )?;
        }
        let path = dir.display().to_string();
        clones.insert(key, path.clone());
        Ok(path)
    }
}
