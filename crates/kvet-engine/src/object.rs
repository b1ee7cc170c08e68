//! Objects: one Kubernetes object per YAML document (or per item of a `List`), with spans.

use crate::finding::{Finding, Location, ObjectId, Severity};
use kvet_yaml::{Document, SpanMap};
use serde_json::Value;

/// One Kubernetes object and where it came from.
#[derive(Debug, Clone)]
pub struct Object {
    /// The object as JSON.
    pub value: Value,
    /// Spans of the object's fields in its source file.
    pub spans: SpanMap,
    /// Index of the YAML document within the file.
    pub document: usize,
    /// JSON pointer prefix inside the document (`/items/3` for a List item, empty otherwise).
    pub prefix: String,
    /// apiVersion, kind, namespace, name.
    pub id: ObjectId,
}

impl Object {
    /// The location of `pointer` within this object; for a field that does not exist, the
    /// nearest existing ancestor. With `at_key`, the mapping key rather than the value.
    pub fn locate(&self, file: &str, pointer: &str, at_key: bool) -> Location {
        let found = self.spans.locate(&self.value, pointer);
        let span = if at_key || !found.exact {
            found.key.unwrap_or(found.value)
        } else {
            found.value
        };
        Location::from_span(file, span)
    }

    /// Where the object as a whole is reported: its `kind` line, else its first line.
    pub fn anchor(&self, file: &str) -> Location {
        if self.value.get("kind").is_some() {
            self.locate(file, "/kind", false)
        } else {
            Location::from_span(file, self.spans.root_span())
        }
    }
}

fn str_at<'a>(v: &'a Value, ptr: &str) -> Option<&'a str> {
    v.pointer(ptr).and_then(Value::as_str)
}

fn identity(v: &Value) -> ObjectId {
    ObjectId {
        api_version: str_at(v, "/apiVersion").unwrap_or_default().to_owned(),
        kind: str_at(v, "/kind").unwrap_or_default().to_owned(),
        namespace: str_at(v, "/metadata/namespace").map(str::to_owned),
        name: str_at(v, "/metadata/name")
            .or_else(|| str_at(v, "/metadata/generateName"))
            .map(str::to_owned),
    }
}

/// Whether a document is a list to flatten: `kind: List`, or any `…List` kind with an `items`
/// array, as kubectl treats them.
fn is_list(v: &Value) -> bool {
    let Some(kind) = str_at(v, "/kind") else {
        return false;
    };
    kind.ends_with("List") && v.get("items").is_some_and(Value::is_array)
}

/// Cuts a document into objects; documents that are not objects become findings.
pub fn objects_of(file: &str, doc: Document, out: &mut Vec<Object>, problems: &mut Vec<Finding>) {
    let Document {
        index,
        value,
        spans,
        ..
    } = doc;
    if is_list(&value) {
        let n = value
            .get("items")
            .and_then(Value::as_array)
            .map_or(0, Vec::len);
        let item_spans: Vec<SpanMap> = (0..n)
            .map(|i| {
                spans
                    .child(&value, &["items", &i.to_string()])
                    .unwrap_or_else(|| spans.clone())
            })
            .collect();
        let Value::Object(mut map) = value else {
            return;
        };
        let items = match map.remove("items") {
            Some(Value::Array(items)) => items,
            _ => Vec::new(),
        };
        for (i, (item, item_spans)) in items.into_iter().zip(item_spans).enumerate() {
            push_object(
                file,
                index,
                format!("/items/{i}"),
                item,
                item_spans,
                out,
                problems,
            );
        }
        return;
    }
    push_object(file, index, String::new(), value, spans, out, problems);
}

fn push_object(
    file: &str,
    document: usize,
    prefix: String,
    value: Value,
    spans: SpanMap,
    out: &mut Vec<Object>,
    problems: &mut Vec<Finding>,
) {
    let obj = Object {
        id: identity(&value),
        value,
        spans,
        document,
        prefix,
    };
    let problem = match &obj.value {
        Value::Object(map) => {
            let missing: Vec<&str> = ["apiVersion", "kind"]
                .into_iter()
                .filter(|k| {
                    map.get(*k)
                        .is_none_or(|v| v.as_str().is_none_or(str::is_empty))
                })
                .collect();
            (!missing.is_empty()).then(|| {
                format!(
                    "not a Kubernetes object: missing {}",
                    missing
                        .iter()
                        .map(|m| format!("\"{m}\""))
                        .collect::<Vec<_>>()
                        .join(" and ")
                )
            })
        }
        Value::Array(_) => Some("not a Kubernetes object: the document is a sequence".to_owned()),
        _ => Some("not a Kubernetes object: the document is a scalar".to_owned()),
    };
    match problem {
        Some(message) => problems.push(Finding {
            rule: "object".to_owned(),
            severity: Severity::Error,
            message,
            location: Location::from_span(file, obj.spans.root_span()),
            object: None,
            pointer: (!obj.prefix.is_empty()).then(|| obj.prefix.clone()),
            document: Some(document),
            rendered: None,
        }),
        None => out.push(obj),
    }
}
