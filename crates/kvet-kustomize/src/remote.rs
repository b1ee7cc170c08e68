//! Remote resources, read as kustomize reads them: a URL that answers with a file is a
//! resource file; otherwise it names a git repository (`host/org/repo//dir?ref=v1`) whose
//! directory is built as a base. kvet builds offline unless the caller gives a [`Remote`]
//! that fetches (the CLI's `--allow-remote`).

/// Fetches what remote entries name.
pub trait Remote: Sync {
    /// The body of `url` when it answers with a file; `Ok(None)` when it does not (so the
    /// entry is tried as a repository).
    fn get(&self, url: &str) -> Result<Option<String>, String>;
    /// Checks out `spec` and returns the local directory of its clone (the repository root).
    fn clone_repo(&self, spec: &RepoSpec) -> Result<String, String>;
}

/// A git repository and a directory in it, parsed from a kustomization entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RepoSpec {
    /// What `git clone` is given (`https://github.com/org/repo`, `git@host:org/repo.git`,
    /// `file:///srv/repo`).
    pub clone_url: String,
    /// The directory within the repository.
    pub path: String,
    /// Branch, tag or commit (`?ref=`, or the older `?version=`); empty for the default.
    pub git_ref: String,
    /// Whether submodules are checked out (`?submodules=`, default true).
    pub submodules: bool,
    /// The longest the git commands may take (`?timeout=`, seconds or a Go duration).
    pub timeout_secs: u64,
}

const GIT_ROOT: &str = "_git/";

/// Parses a remote entry as kustomize does.
pub fn parse_repo(entry: &str) -> Result<RepoSpec, String> {
    if entry.starts_with('/') {
        return Err(format!("uri looks like abs path: {entry}"));
    }
    let (rest, query) = entry.split_once('?').unwrap_or((entry, ""));
    let mut git_ref = String::new();
    let mut version = String::new();
    let mut submodules = true;
    let mut timeout_secs = 27;
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        match k {
            "ref" if !v.is_empty() => git_ref = v.to_owned(),
            "version" => version = v.to_owned(),
            "submodules" => {
                if let Ok(b) = v.parse::<bool>() {
                    submodules = b;
                }
            }
            "timeout" => {
                if let Some(s) = parse_timeout(v) {
                    timeout_secs = s;
                }
            }
            _ => {}
        }
    }
    if git_ref.is_empty() {
        git_ref = version;
    }
    // `git::` forces the git protocol; kustomize strips it.
    let rest = strip_prefix_ci(rest, "git::").unwrap_or(rest);
    let (scheme, rest) = ["ssh://", "https://", "http://", "file://"]
        .iter()
        .find_map(|p| strip_prefix_ci(rest, p).map(|r| (*p, r)))
        .unwrap_or(("", rest));
    let (user, rest) = match rest.split_once('@') {
        Some((u, r))
            if !u.is_empty()
                && u.starts_with(|c: char| c.is_ascii_alphabetic())
                && u.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') =>
        {
            (format!("{u}@"), r)
        }
        _ => (String::new(), rest),
    };
    let github = {
        let l = rest.to_ascii_lowercase();
        l.starts_with("github.com/") || l.starts_with("github.com:")
    };
    let scp = scheme.is_empty() && (!user.is_empty() || github);
    if scheme.is_empty() && !scp {
        return Err(format!("{entry}: failed to parse scheme"));
    }
    let (host, rest) = if scheme == "file://" {
        (format!("{scheme}{user}"), rest.to_owned())
    } else {
        let slash = rest.find('/');
        let colon = rest.find(':');
        let sep = match (slash, colon) {
            (s, Some(c)) if scp && c > 0 && s.is_none_or(|s| c < s) => Some(c),
            (s, _) => s,
        };
        let (mut host, rest) = match sep {
            Some(i) => (rest[..=i].to_owned(), rest[i + 1..].to_owned()),
            None => (rest.to_owned(), String::new()),
        };
        let mut scheme = scheme.to_owned();
        let mut user = user.clone();
        if github {
            if scheme.starts_with("ssh://") || !user.is_empty() {
                scheme = String::new();
                host = "github.com:".to_owned();
            } else {
                scheme = "https://".to_owned();
                user = String::new();
                host = "github.com/".to_owned();
            }
        }
        if host.is_empty() {
            return Err(format!("{entry}: failed to parse host segment"));
        }
        (format!("{scheme}{user}{host}"), rest)
    };
    let (repo, path) = split_repo_path(&rest, host.starts_with("file://"))
        .ok_or_else(|| format!("{entry}: failed to parse repo path segment"))?;
    let path = path.trim_start_matches('/').to_owned();
    if path.split('/').find(|s| !s.is_empty() && *s != ".") == Some("..") {
        return Err(format!("{entry}: url path exits repo"));
    }
    Ok(RepoSpec {
        clone_url: format!("{host}{repo}"),
        path,
        git_ref,
        submodules,
        timeout_secs,
    })
}

fn split_repo_path(n: &str, file: bool) -> Option<(String, String)> {
    let found = if let Some(i) = n.find(GIT_ROOT) {
        let after = &n[i + GIT_ROOT.len()..];
        let (first, more) = after.split_once('/').unwrap_or((after, ""));
        Some((
            format!("{}{first}", &n[..i + GIT_ROOT.len()]),
            more.to_owned(),
        ))
    } else if let Some(i) = n.find("//") {
        Some((n[..i].to_owned(), n[i + 2..].to_owned()))
    } else if let Some(i) = n.find(".git") {
        Some((n[..i + 4].to_owned(), n[i + 4..].to_owned()))
    } else if file {
        Some((n.to_owned(), String::new()))
    } else {
        let segs: Vec<&str> = n.split('/').collect();
        (segs.len() >= 2).then(|| (segs[..2].join("/"), segs[2..].join("/")))
    };
    found.filter(|(repo, _)| !repo.is_empty())
}

fn strip_prefix_ci<'a>(s: &'a str, prefix: &str) -> Option<&'a str> {
    (s.len() >= prefix.len() && s[..prefix.len()].eq_ignore_ascii_case(prefix))
        .then(|| &s[prefix.len()..])
}

/// `?timeout=`: whole seconds, or a Go duration such as `1m30s`.
fn parse_timeout(v: &str) -> Option<u64> {
    if let Ok(n) = v.parse::<u64>() {
        return (n > 0).then_some(n);
    }
    let mut total = 0f64;
    let mut num = String::new();
    let mut chars = v.chars().peekable();
    while let Some(c) = chars.next() {
        if c.is_ascii_digit() || c == '.' {
            num.push(c);
            continue;
        }
        let mut unit = c.to_string();
        if c == 'm' && chars.peek() == Some(&'s') {
            unit.push(chars.next()?);
        }
        let n: f64 = num.parse().ok()?;
        num.clear();
        total += n * match unit.as_str() {
            "h" => 3600.0,
            "m" => 60.0,
            "s" => 1.0,
            "ms" => 0.001,
            _ => return None,
        };
    }
    (num.is_empty() && total > 0.0).then(|| total.ceil() as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(e: &str) -> (String, String, String) {
        let s = parse_repo(e).unwrap();
        (s.clone_url, s.path, s.git_ref)
    }

    #[test]
    fn repository_urls_parse_as_kustomize_parses_them() {
        let t = |a: &str, b: &str, c: &str| (a.to_owned(), b.to_owned(), c.to_owned());
        assert_eq!(
            spec("https://github.com/argoproj/argo-cd/manifests/cluster-install?ref=v2.9.0"),
            t(
                "https://github.com/argoproj/argo-cd",
                "manifests/cluster-install",
                "v2.9.0"
            )
        );
        assert_eq!(
            spec("github.com/kubernetes-sigs/kustomize//examples/helloWorld?ref=v3.3.1"),
            t(
                "https://github.com/kubernetes-sigs/kustomize",
                "examples/helloWorld",
                "v3.3.1"
            )
        );
        assert_eq!(
            spec("git@github.com:org/repo.git/base?version=main"),
            t("git@github.com:org/repo.git", "base", "main")
        );
        assert_eq!(
            spec("ssh://git@gitlab.example.com/team/infra.git//apps/web"),
            t(
                "ssh://git@gitlab.example.com/team/infra.git",
                "apps/web",
                ""
            )
        );
        assert_eq!(
            spec("git::https://dev.azure.com/org/project/_git/repo/overlays/prod?ref=x"),
            t(
                "https://dev.azure.com/org/project/_git/repo",
                "overlays/prod",
                "x"
            )
        );
        assert_eq!(
            spec("file:///srv/git/platform//base?ref=main"),
            t("file:///srv/git/platform", "base", "main")
        );
        assert!(parse_repo("github.com/org/repo//../x").is_err());
        assert!(parse_repo("ftp://example.com/x").is_err());
        let s = parse_repo("https://github.com/a/b?timeout=1m30s&submodules=false").unwrap();
        assert_eq!((s.timeout_secs, s.submodules), (90, false));
    }
}
