//! Screens: what a built-in rule needs to find in an object before it can report anything.
//!
//! A built-in policy's `metadata.yaml` may give, per rule, the fields whose presence the
//! rule's every finding depends on (`screens: {deny_privileged: [pod.*.*.securityContext.privileged]}`).
//! An object holding none of them cannot violate the rule, so the rule is not evaluated for
//! it: most objects set none of the fields the Pod Security Standards forbid, and are judged
//! by the few rules whose fields they do hold. A screen only ever skips work whose result is
//! known to be empty; it never changes a decision (`tests/builtins.rs` checks both ways).
//!
//! A path is dot-separated: the first segment is the anchor — `object` (the object itself),
//! `pod` (the pod spec of a Pod or of any pod template, as `lib/pods.rego` finds it) or
//! `podmeta` (that pod's metadata) — and each further segment is a key, or `*` for any key of
//! an object or any element of an array. A key with dots is quoted (`"a.b/c"`), and a quoted key
//! ending in `*` stands for any key with that prefix. A path holds when some value (null included) is
//! found at its end; a path ending in `=<JSON>` (`pod.hostNetwork=true`) holds only where that
//! value is found (true, false, null or a string), for rules that report nothing but
//! that value.

use serde_json::Value;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Anchor {
    Object,
    Pod,
    PodMeta,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Segment {
    Key(String),
    /// Any key of an object that starts with this.
    Prefix(String),
    Any,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Path {
    anchor: Anchor,
    segments: Vec<Segment>,
    /// The value the path must end at, if any value will not do.
    equals: Option<Value>,
}

/// The paths of which an object must hold at least one for a rule to be evaluated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Screen {
    paths: Vec<Path>,
}

/// Splits `anchor.seg."quoted.seg".*=JSON` into its parts.
fn parse_path(p: &str) -> Result<(Anchor, Vec<Segment>, Option<Value>), String> {
    let mut words: Vec<(String, bool)> = Vec::new();
    let mut rest = p;
    loop {
        let (word, quoted, after) = if let Some(q) = rest.strip_prefix('"') {
            let end = q
                .find('"')
                .ok_or_else(|| format!("screen path {p:?} has an unclosed quote"))?;
            (&q[..end], true, &q[end + 1..])
        } else {
            let end = rest.find(['.', '=']).unwrap_or(rest.len());
            (&rest[..end], false, &rest[end..])
        };
        if word.is_empty() {
            return Err(format!("screen path {p:?} has an empty segment"));
        }
        if !quoted && word.contains('"') {
            return Err(format!("screen path {p:?}: a quote must open a segment"));
        }
        words.push((word.to_owned(), quoted));
        if let Some(next) = after.strip_prefix('.') {
            rest = next;
        } else {
            rest = after;
            break;
        }
    }
    let equals = match rest.strip_prefix('=') {
        Some(literal) => match serde_json::from_str::<Value>(literal) {
            // JSON equality is Rego's for these; numbers (1 and 1.0) and collections differ.
            Ok(v @ (Value::Bool(_) | Value::String(_) | Value::Null)) => Some(v),
            Ok(_) => {
                return Err(format!(
                    "screen path {p:?}: the value must be true, false, null or a string"
                ))
            }
            Err(e) => return Err(format!("screen path {p:?}: the value is not JSON: {e}")),
        },
        None if rest.is_empty() => None,
        None => return Err(format!("screen path {p:?}: unexpected {rest:?}")),
    };
    let mut words = words.into_iter();
    let anchor = match words.next() {
        Some((w, false)) if w == "object" => Anchor::Object,
        Some((w, false)) if w == "pod" => Anchor::Pod,
        Some((w, false)) if w == "podmeta" => Anchor::PodMeta,
        _ => {
            return Err(format!(
                "screen path {p:?} must start with object, pod or podmeta"
            ))
        }
    };
    let segments = words
        .map(|(w, quoted)| match (quoted, w.strip_suffix('*')) {
            (false, _) if w == "*" => Segment::Any,
            (true, Some(prefix)) => Segment::Prefix(prefix.to_owned()),
            _ => Segment::Key(w),
        })
        .collect();
    Ok((anchor, segments, equals))
}

/// Deepest path accepted: the shapes screened are a few levels below the pod spec.
const MAX_SEGMENTS: usize = 16;

impl Screen {
    /// Parses a rule's screen paths; an error names the path that is not one.
    pub fn parse(paths: &[String]) -> Result<Screen, String> {
        if paths.is_empty() {
            return Err("a screen needs at least one path".to_owned());
        }
        let mut out = Vec::with_capacity(paths.len());
        for p in paths {
            let (anchor, segments, equals) = parse_path(p)?;
            if segments.len() > MAX_SEGMENTS {
                return Err(format!(
                    "screen path {p:?} is deeper than {MAX_SEGMENTS} segments"
                ));
            }
            out.push(Path {
                anchor,
                segments,
                equals,
            });
        }
        Ok(Screen { paths: out })
    }

    /// Whether `object` holds one of the paths, so that the rule has to be evaluated.
    pub fn admits(&self, object: &Value) -> bool {
        self.admits_in(&Roots::of(object))
    }

    /// As [`Screen::admits`], with the object's roots found once for all its rules.
    pub fn admits_in(&self, roots: &Roots<'_>) -> bool {
        self.paths.iter().any(|p| {
            let root = match p.anchor {
                Anchor::Object => Some(roots.object),
                Anchor::Pod => roots.pod,
                Anchor::PodMeta => roots.pod_meta,
            };
            root.is_some_and(|r| holds(r, &p.segments, p.equals.as_ref()))
        })
    }
}

/// Where an object's paths start: the object, and the pod spec and pod metadata of a Pod or
/// pod template, found by its kind as lib/pods.rego finds them.
#[derive(Debug, Clone, Copy)]
pub struct Roots<'a> {
    object: &'a Value,
    pod: Option<&'a Value>,
    pod_meta: Option<&'a Value>,
}

impl<'a> Roots<'a> {
    /// The roots of `object`.
    pub fn of(object: &'a Value) -> Roots<'a> {
        const TEMPLATE: &[&str] = &["spec", "template"];
        const CRON: &[&str] = &["spec", "jobTemplate", "spec", "template"];
        let template: Option<&[&str]> = match object.get("kind").and_then(Value::as_str) {
            Some("Pod") => Some(&[]),
            Some(
                "Deployment"
                | "StatefulSet"
                | "DaemonSet"
                | "ReplicaSet"
                | "Job"
                | "ReplicationController",
            ) => Some(TEMPLATE),
            Some("CronJob") => Some(CRON),
            Some("PodTemplate") => Some(&["template"]),
            _ => None,
        };
        let at = template.and_then(|path| {
            path.iter()
                .try_fold(object, |v, k| v.as_object().and_then(|m| m.get(*k)))
        });
        Roots {
            object,
            pod: at.and_then(|t| t.get("spec")),
            pod_meta: at.and_then(|t| t.get("metadata")),
        }
    }
}

fn holds(v: &Value, segments: &[Segment], equals: Option<&Value>) -> bool {
    let Some((first, rest)) = segments.split_first() else {
        return equals.is_none_or(|e| e == v);
    };
    match (first, v) {
        (Segment::Key(k), Value::Object(m)) => m.get(k).is_some_and(|x| holds(x, rest, equals)),
        // Rego indexes arrays by number: a numeric key reaches an element.
        (Segment::Key(k), Value::Array(a)) => k
            .parse::<usize>()
            .ok()
            .and_then(|i| a.get(i))
            .is_some_and(|x| holds(x, rest, equals)),
        (Segment::Prefix(pre), Value::Object(m)) => m
            .iter()
            .any(|(k, x)| k.starts_with(pre.as_str()) && holds(x, rest, equals)),
        (Segment::Any, Value::Object(m)) => m.values().any(|x| holds(x, rest, equals)),
        (Segment::Any, Value::Array(a)) => a.iter().any(|x| holds(x, rest, equals)),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn screen(paths: &[&str]) -> Screen {
        Screen::parse(&paths.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>()).expect("parses")
    }

    #[test]
    fn paths_reach_the_pod_of_every_kind_that_has_one() {
        let s = screen(&["pod.*.*.securityContext.privileged"]);
        let c = json!({"name": "a", "securityContext": {"privileged": false}});
        let plain = json!({"name": "a"});
        for (kind, wrap) in [
            ("Pod", "/spec"),
            ("Deployment", "/spec/template/spec"),
            ("CronJob", "/spec/jobTemplate/spec/template/spec"),
            ("PodTemplate", "/template/spec"),
        ] {
            let build = |container: &Value| {
                let mut o = json!({"kind": kind});
                let mut at = &mut o;
                for part in wrap.trim_start_matches('/').split('/') {
                    at = at
                        .as_object_mut()
                        .expect("object")
                        .entry(part)
                        .or_insert(json!({}));
                }
                *at = json!({"containers": [container.clone()]});
                o
            };
            assert!(s.admits(&build(&c)), "{kind}");
            assert!(!s.admits(&build(&plain)), "{kind}");
        }
        // A Service has no pod; a null spec reads as absent.
        assert!(!s.admits(&json!({"kind": "Service", "spec": {"containers": [c.clone()]}})));
        assert!(!s.admits(&json!({"kind": "Pod", "spec": null})));
    }

    #[test]
    fn a_null_value_counts_as_present_and_any_path_admits() {
        let s = screen(&[
            "pod.hostNetwork",
            "podmeta.annotations",
            "object.spec.x.0.y",
        ]);
        assert!(s.admits(&json!({"kind": "Pod", "spec": {"hostNetwork": null}})));
        assert!(s.admits(&json!({"kind": "Pod", "metadata": {"annotations": {}}, "spec": {}})));
        assert!(s.admits(&json!({"kind": "Pod", "spec": {"x": [{"y": 1}]}})));
        assert!(!s.admits(&json!({"kind": "Pod", "spec": {"x": [{"z": 1}]}})));
        assert!(!s.admits(&json!({"kind": "Pod", "metadata": {}, "spec": {}})));
    }

    #[test]
    fn a_value_test_holds_only_at_that_value() {
        let s = screen(&["pod.*.*.securityContext.privileged=true"]);
        let pod = |v: Value| {
            json!({"kind": "Pod", "spec": {"containers": [
                {"name": "a", "securityContext": {"privileged": false}},
                {"name": "b", "securityContext": {"privileged": v}},
            ]}})
        };
        assert!(s.admits(&pod(json!(true))));
        assert!(!s.admits(&pod(json!(false))));
        // Only the JSON value true: Rego's == true is false for "true" and 1.
        assert!(!s.admits(&pod(json!("true"))));
        assert!(!s.admits(&pod(json!(1))));
    }

    #[test]
    fn quoted_keys_hold_dots_and_prefixes() {
        let s = screen(&[
            "podmeta.annotations.\"seccomp.security.alpha.kubernetes.io/pod\"",
            "podmeta.annotations.\"container.apparmor.security.beta.kubernetes.io/*\"=\"x\"",
        ]);
        let pod = |a: Value| json!({"kind": "Pod", "metadata": {"annotations": a}, "spec": {}});
        assert!(s.admits(&pod(
            json!({"seccomp.security.alpha.kubernetes.io/pod": "u"})
        )));
        assert!(s.admits(&pod(
            json!({"container.apparmor.security.beta.kubernetes.io/app": "x"})
        )));
        assert!(!s.admits(&pod(
            json!({"container.apparmor.security.beta.kubernetes.io/app": "y"})
        )));
        assert!(!s.admits(&pod(
            json!({"prometheus.io/scrape": "true", "seccomp": "u"})
        )));
    }

    #[test]
    fn malformed_paths_are_refused() {
        for bad in [
            "spec.x",
            "pod..x",
            "",
            "pod.x.",
            "pod.x=tru",
            "pod.\"x",
            "pod.\"\"",
            "\"pod\".x",
            "pod.x\"y\"",
        ] {
            assert!(Screen::parse(&[bad.to_owned()]).is_err(), "{bad}");
        }
        assert!(Screen::parse(&[]).is_err());
        let deep = format!("pod{}", ".x".repeat(MAX_SEGMENTS + 1));
        assert!(Screen::parse(&[deep]).is_err());
    }
}
