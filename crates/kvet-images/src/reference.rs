//! Image references, parsed exactly as the container ecosystem's `distribution/reference`
//! package parses them with `ParseNormalizedNamed` (what the kubelet and container runtimes
//! use): Docker Hub is implied, single names live under `library/`, a first segment with a
//! dot or a colon (or `localhost`, or upper case) is a registry host.

use regex::Regex;
use std::fmt;
use std::sync::OnceLock;

/// The registry implied when a reference names none.
pub const DEFAULT_REGISTRY: &str = "docker.io";
/// The host Docker Hub was once addressed by, canonicalised to [`DEFAULT_REGISTRY`].
const LEGACY_DEFAULT_REGISTRY: &str = "index.docker.io";
/// The namespace of Docker Hub's official images.
const OFFICIAL_PREFIX: &str = "library/";
/// The longest repository path the distribution spec allows.
pub const NAME_MAX: usize = 255;

/// A parsed image reference: `registry/repository[:tag][@digest]`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Reference {
    /// Registry host, with its port when one was given (`docker.io` when implied).
    pub registry: String,
    /// Repository path inside the registry (`library/nginx`).
    pub repository: String,
    /// The tag as written, if any.
    pub tag: Option<String>,
    /// The digest as written, if any (`sha256:…`).
    pub digest: Option<String>,
}

/// Why a reference does not parse; the messages are distribution/reference's own.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct ReferenceError(pub String);

struct Patterns {
    reference: Regex,
    name: Regex,
    identifier: Regex,
    digest_anchored: Regex,
}

fn patterns() -> &'static Patterns {
    static P: OnceLock<Patterns> = OnceLock::new();
    P.get_or_init(|| {
        // The grammar of distribution/reference (regexp.go), term by term. `\w` is spelled out
        // because Go's is ASCII-only.
        let alnum = "[a-z0-9]+";
        let separator = "(?:[._]|__|[-]+)";
        let path_component = format!("{alnum}(?:{separator}{alnum})*");
        let domain_component = "(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])";
        let domain_name = format!(r"{domain_component}(?:\.{domain_component})*");
        let ipv6 = r"\[(?:[a-fA-F0-9:]+)\]";
        let host = format!("(?:{domain_name}|{ipv6})");
        let domain_and_port = format!("{host}(?::[0-9]+)?");
        let remote = format!("{path_component}(?:/{path_component})*");
        let name = format!("(?:{domain_and_port}/)?{remote}");
        let tag = "[0-9A-Za-z_][0-9A-Za-z_.-]{0,127}";
        let digest = "[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*[:][0-9a-fA-F]{32,}";
        let compile = |s: String| Regex::new(&s).expect("the reference grammar compiles");
        Patterns {
            reference: compile(format!("^({name})(?::({tag}))?(?:@({digest}))?$")),
            name: compile(format!("^(?:({domain_and_port})/)?({remote})$")),
            identifier: compile("^[a-f0-9]{64}$".to_owned()),
            digest_anchored: compile("^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$".to_owned()),
        }
    })
}

/// Checks a digest as go-digest's `Digest.Validate` does, with its messages.
pub fn validate_digest(d: &str) -> Result<(), ReferenceError> {
    let err = |m: &str| Err(ReferenceError(m.to_owned()));
    let Some(i) = d.find(':').filter(|&i| i > 0 && i + 1 < d.len()) else {
        return err("invalid checksum digest format");
    };
    let (algorithm, encoded) = (&d[..i], &d[i + 1..]);
    let size = match algorithm {
        "sha256" => 32,
        "sha384" => 48,
        "sha512" => 64,
        _ => {
            return if patterns().digest_anchored.is_match(d) {
                err("unsupported digest algorithm")
            } else {
                err("invalid checksum digest format")
            }
        }
    };
    if encoded.len() != size * 2 {
        return err("invalid checksum digest length");
    }
    if !encoded
        .bytes()
        .all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
    {
        return err("invalid checksum digest format");
    }
    Ok(())
}

/// Splits off the registry as distribution/reference's `splitDockerDomain` does.
fn split_domain(name: &str) -> (String, String) {
    let Some((first, rest)) = name.split_once('/') else {
        return (
            DEFAULT_REGISTRY.to_owned(),
            format!("{OFFICIAL_PREFIX}{name}"),
        );
    };
    let (domain, remote) = if first == "localhost" || first.contains(['.', ':']) {
        if first == LEGACY_DEFAULT_REGISTRY {
            (DEFAULT_REGISTRY, rest)
        } else {
            (first, rest)
        }
    } else if first.to_lowercase() != first {
        // Repository paths are lower case, so an upper-case first segment can only be a host.
        (first, rest)
    } else {
        (DEFAULT_REGISTRY, name)
    };
    let remote = if domain == DEFAULT_REGISTRY && !remote.contains('/') {
        format!("{OFFICIAL_PREFIX}{remote}")
    } else {
        remote.to_owned()
    };
    (domain.to_owned(), remote)
}

impl Reference {
    /// Parses a reference as `reference.ParseNormalizedNamed` does.
    pub fn parse(s: &str) -> Result<Reference, ReferenceError> {
        let p = patterns();
        if p.identifier.is_match(s) {
            return Err(ReferenceError(format!(
                "invalid repository name ({s}), cannot specify 64-byte hexadecimal strings"
            )));
        }
        let (domain, remainder) = split_domain(s);
        let remote = remainder.split(':').next().unwrap_or_default();
        if remote.to_lowercase() != remote {
            return Err(ReferenceError(format!(
                "invalid reference format: repository name ({remote}) must be lowercase"
            )));
        }
        let full = format!("{domain}/{remainder}");
        let Some(m) = p.reference.captures(&full) else {
            return Err(ReferenceError(
                if p.reference.is_match(&full.to_lowercase()) {
                    "repository name must be lowercase"
                } else {
                    "invalid reference format"
                }
                .to_owned(),
            ));
        };
        let name = m.get(1).map_or("", |g| g.as_str());
        let (registry, repository) = match p.name.captures(name) {
            Some(n) => (
                n.get(1).map_or("", |g| g.as_str()).to_owned(),
                n.get(2).map_or("", |g| g.as_str()).to_owned(),
            ),
            None => (String::new(), name.to_owned()),
        };
        if repository.len() > NAME_MAX {
            return Err(ReferenceError(format!(
                "repository name must not be more than {NAME_MAX} characters"
            )));
        }
        let digest = match m.get(3) {
            Some(d) => {
                validate_digest(d.as_str())?;
                Some(d.as_str().to_owned())
            }
            None => None,
        };
        Ok(Reference {
            registry,
            repository,
            tag: m.get(2).map(|t| t.as_str().to_owned()),
            digest,
        })
    }

    /// `registry/repository`, the fully qualified name.
    pub fn name(&self) -> String {
        format!("{}/{}", self.registry, self.repository)
    }

    /// The short form people write (`nginx`, `team/app`, `ghcr.io/org/app`), as
    /// `reference.FamiliarName` gives it.
    pub fn familiar_name(&self) -> String {
        if self.registry == DEFAULT_REGISTRY {
            let path = self.repository.as_str();
            match path.strip_prefix(OFFICIAL_PREFIX) {
                Some(rest) if !rest.contains('/') => rest.to_owned(),
                _ => path.to_owned(),
            }
        } else {
            self.name()
        }
    }

    /// The tag to resolve: the one written, else `latest` when no digest pins the image.
    pub fn effective_tag(&self) -> Option<&str> {
        match (&self.tag, &self.digest) {
            (Some(t), _) => Some(t),
            (None, None) => Some("latest"),
            (None, Some(_)) => None,
        }
    }

    /// The same image pinned to `digest`, keeping the tag as written.
    pub fn with_digest(&self, digest: &str) -> Reference {
        Reference {
            digest: Some(digest.to_owned()),
            ..self.clone()
        }
    }
}

impl fmt::Display for Reference {
    /// The fully qualified form, `registry/repository[:tag][@digest]`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.registry, self.repository)?;
        if let Some(t) = &self.tag {
            write!(f, ":{t}")?;
        }
        if let Some(d) = &self.digest {
            write!(f, "@{d}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const D: &str = "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

    fn ok(s: &str) -> (String, String, Option<String>, Option<String>) {
        let r = Reference::parse(s).unwrap_or_else(|e| panic!("{s}: {e}"));
        (r.registry, r.repository, r.tag, r.digest)
    }

    fn err(s: &str) -> String {
        Reference::parse(s).expect_err(s).0
    }

    fn t(s: &str) -> Option<String> {
        Some(s.to_owned())
    }

    #[test]
    fn docker_hub_is_implied_and_official_images_live_under_library() {
        assert_eq!(
            ok("nginx"),
            ("docker.io".into(), "library/nginx".into(), None, None)
        );
        assert_eq!(
            ok("nginx:1.27"),
            ("docker.io".into(), "library/nginx".into(), t("1.27"), None)
        );
        assert_eq!(
            ok("team/app"),
            ("docker.io".into(), "team/app".into(), None, None)
        );
        assert_eq!(
            ok("docker.io/nginx"),
            ("docker.io".into(), "library/nginx".into(), None, None)
        );
        assert_eq!(
            ok("index.docker.io/nginx"),
            ("docker.io".into(), "library/nginx".into(), None, None)
        );
        assert_eq!(ok("docker.io/library/nginx:latest").2, t("latest"));
        assert_eq!(
            ok("a/b/c/d"),
            ("docker.io".into(), "a/b/c/d".into(), None, None)
        );
    }

    #[test]
    fn hosts_are_told_by_dot_colon_localhost_or_upper_case() {
        assert_eq!(
            ok("ghcr.io/org/app:v1"),
            ("ghcr.io".into(), "org/app".into(), t("v1"), None)
        );
        assert_eq!(
            ok("localhost/app"),
            ("localhost".into(), "app".into(), None, None)
        );
        assert_eq!(
            ok("localhost:5000/app:1"),
            ("localhost:5000".into(), "app".into(), t("1"), None)
        );
        assert_eq!(
            ok("registry:5000/app"),
            ("registry:5000".into(), "app".into(), None, None)
        );
        assert_eq!(
            ok("127.0.0.1:5000/a/b"),
            ("127.0.0.1:5000".into(), "a/b".into(), None, None)
        );
        assert_eq!(
            ok("[::1]:5000/app"),
            ("[::1]:5000".into(), "app".into(), None, None)
        );
        assert_eq!(
            ok("Registry/app"),
            ("Registry".into(), "app".into(), None, None)
        );
        // A single name with a colon is a tag, not a port.
        assert_eq!(
            ok("localhost:5000"),
            (
                "docker.io".into(),
                "library/localhost".into(),
                t("5000"),
                None
            )
        );
    }

    #[test]
    fn tags_and_digests() {
        assert_eq!(
            ok(&format!("nginx@{D}")),
            ("docker.io".into(), "library/nginx".into(), None, t(D))
        );
        assert_eq!(
            ok(&format!("ghcr.io/o/a:1.2@{D}")),
            ("ghcr.io".into(), "o/a".into(), t("1.2"), t(D))
        );
        assert_eq!(ok("a:_x.Y-1").2, t("_x.Y-1"));
        let long = "a".repeat(128);
        assert_eq!(ok(&format!("a:{long}")).2, Some(long.clone()));
        assert_eq!(err(&format!("a:{long}b")), "invalid reference format");
    }

    #[test]
    fn malformed_references_get_distributions_messages() {
        assert_eq!(err(""), "invalid reference format");
        assert_eq!(err("nginx:"), "invalid reference format");
        assert_eq!(err("nginx::1"), "invalid reference format");
        assert_eq!(err("-nginx"), "invalid reference format");
        assert_eq!(err("a//b"), "invalid reference format");
        assert_eq!(err("a/b:tag with space"), "invalid reference format");
        assert_eq!(
            err("Nginx"),
            "invalid reference format: repository name (library/Nginx) must be lowercase"
        );
        assert_eq!(
            err("ghcr.io/Org/app"),
            "invalid reference format: repository name (Org/app) must be lowercase"
        );
        assert_eq!(
            err(&D[7..]),
            format!(
                "invalid repository name ({}), cannot specify 64-byte hexadecimal strings",
                &D[7..]
            )
        );
        assert_eq!(err("a@sha256:abc"), "invalid reference format");
        assert_eq!(
            err(&format!("a@sha256:{}", "a".repeat(63))),
            "invalid checksum digest length"
        );
        assert_eq!(
            err(&format!("a@sha256:{}", "A".repeat(64))),
            "invalid checksum digest format"
        );
        assert_eq!(
            err(&format!("a@md5:{}", "a".repeat(32))),
            "unsupported digest algorithm"
        );
        // The text before the first colon is checked for case first, as upstream does.
        assert_eq!(
            err(&format!("a@SHA256:{}", "a".repeat(64))),
            "invalid reference format: repository name (library/a@SHA256) must be lowercase"
        );
        assert_eq!(
            validate_digest(&format!("SHA256:{}", "a".repeat(64)))
                .unwrap_err()
                .0,
            "invalid checksum digest format"
        );
        assert_eq!(
            err(&format!("r.io/{}", "a".repeat(256))),
            "repository name must not be more than 255 characters"
        );
        assert!(Reference::parse(&format!("r.io/{}", "a".repeat(255))).is_ok());
    }

    #[test]
    fn familiar_and_qualified_forms() {
        let r = Reference::parse("nginx:1").unwrap();
        assert_eq!(r.familiar_name(), "nginx");
        assert_eq!(r.to_string(), "docker.io/library/nginx:1");
        assert_eq!(
            Reference::parse("team/app").unwrap().familiar_name(),
            "team/app"
        );
        assert_eq!(
            Reference::parse("localhost:5000/a")
                .unwrap()
                .familiar_name(),
            "localhost:5000/a"
        );
        assert_eq!(
            Reference::parse("a").unwrap().effective_tag(),
            Some("latest")
        );
        assert_eq!(
            Reference::parse(&format!("a@{D}")).unwrap().effective_tag(),
            None
        );
    }
}
