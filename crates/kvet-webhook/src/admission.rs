//! `admission.k8s.io/v1` AdmissionReview: the request the API server sends and the response it
//! expects. Defined here rather than taken from kube-core + k8s-openapi: the webhook reads a
//! dozen fields, and k8s-openapi's generated API costs minutes of build time on two cores.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::collections::BTreeMap;

/// The only apiVersion accepted (the chart registers `admissionReviewVersions: [v1]`).
pub const API_VERSION: &str = "admission.k8s.io/v1";
/// The kind of both the request and the response document.
pub const KIND: &str = "AdmissionReview";

/// Group, version and kind of the object under review.
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq, Eq)]
#[serde(default)]
pub struct GroupVersionKind {
    /// API group (`""` for the core group).
    pub group: String,
    /// API version.
    pub version: String,
    /// Kind.
    pub kind: String,
}

/// Who made the request.
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq, Eq)]
#[serde(default)]
pub struct UserInfo {
    /// User name, e.g. `system:serviceaccount:argocd:argocd-application-controller`.
    pub username: String,
    /// Groups the user belongs to.
    pub groups: Vec<String>,
    /// UID of the user.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub uid: String,
    /// Further attributes the authenticator gave (scopes and the like).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub extra: Option<Value>,
}

/// `request` of an AdmissionReview: the operation and the object it carries.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AdmissionRequest {
    /// Identifies this admission call; the response must echo it.
    pub uid: String,
    /// The kind of the object as the API server sees it.
    #[serde(default)]
    pub kind: GroupVersionKind,
    /// The resource being written (`{group, version, resource}`), as policies see it.
    #[serde(default)]
    pub resource: Option<Value>,
    /// The subresource, when one is being written (`status`, `scale` …).
    #[serde(default)]
    pub sub_resource: Option<String>,
    /// Object name (may be empty on CREATE with `generateName`).
    #[serde(default)]
    pub name: Option<String>,
    /// Namespace (empty for cluster-scoped objects).
    #[serde(default)]
    pub namespace: Option<String>,
    /// CREATE, UPDATE, DELETE or CONNECT.
    pub operation: String,
    /// The requesting user.
    #[serde(default)]
    pub user_info: UserInfo,
    /// The new object (absent on DELETE).
    #[serde(default)]
    pub object: Option<Value>,
    /// The existing object (UPDATE and DELETE).
    #[serde(default)]
    pub old_object: Option<Value>,
    /// Whether the request will not be persisted.
    #[serde(default)]
    pub dry_run: Option<bool>,
    /// The operation's options (CreateOptions, UpdateOptions …), as policies see them.
    #[serde(default)]
    pub options: Option<Value>,
}

impl AdmissionRequest {
    /// A copy without `object` and `oldObject`: what the response and the log need.
    pub fn without_objects(&self) -> AdmissionRequest {
        AdmissionRequest {
            uid: self.uid.clone(),
            kind: self.kind.clone(),
            resource: self.resource.clone(),
            sub_resource: self.sub_resource.clone(),
            name: self.name.clone(),
            namespace: self.namespace.clone(),
            operation: self.operation.clone(),
            user_info: self.user_info.clone(),
            object: None,
            old_object: None,
            dry_run: self.dry_run,
            options: self.options.clone(),
        }
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawReview {
    #[serde(default)]
    api_version: Option<String>,
    #[serde(default)]
    kind: Option<String>,
    #[serde(default)]
    request: Option<AdmissionRequest>,
}

/// Why a body is not an AdmissionReview this webhook can answer (an HTTP 400).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReviewError {
    /// Not JSON, or a field has the wrong type.
    #[error("the body is not a valid AdmissionReview: {0}")]
    Malformed(String),
    /// apiVersion other than admission.k8s.io/v1.
    #[error("unsupported apiVersion {0:?}: only admission.k8s.io/v1 AdmissionReview is accepted")]
    ApiVersion(String),
    /// kind other than AdmissionReview.
    #[error("unsupported kind {0:?}: expected AdmissionReview")]
    Kind(String),
    /// No `request`.
    #[error("the AdmissionReview has no request")]
    NoRequest,
    /// An empty uid cannot be answered.
    #[error("the AdmissionReview request has no uid")]
    NoUid,
}

/// Parses and checks an AdmissionReview body.
pub fn parse_review(body: &[u8]) -> Result<AdmissionRequest, ReviewError> {
    let raw: RawReview =
        serde_json::from_slice(body).map_err(|e| ReviewError::Malformed(e.to_string()))?;
    match raw.api_version.as_deref() {
        Some(API_VERSION) => {}
        other => return Err(ReviewError::ApiVersion(other.unwrap_or("").to_owned())),
    }
    match raw.kind.as_deref() {
        Some(KIND) => {}
        other => return Err(ReviewError::Kind(other.unwrap_or("").to_owned())),
    }
    let request = raw.request.ok_or(ReviewError::NoRequest)?;
    if request.uid.is_empty() {
        return Err(ReviewError::NoUid);
    }
    Ok(request)
}

/// `status` of a denied response (a metav1.Status).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Status {
    /// HTTP-like code: 403 for a policy denial, 500 for an internal failure, 503 when overloaded.
    pub code: u16,
    /// Shown to the user by kubectl after `admission webhook "…" denied the request:`.
    pub message: String,
}

/// `response` of an AdmissionReview.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct AdmissionResponse {
    /// The request's uid.
    pub uid: String,
    /// The verdict.
    pub allowed: bool,
    /// Why it was denied.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<Status>,
    /// Shown to the client (kubectl prints them as `Warning: …`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
    /// Recorded in the audit log, prefixed by the webhook's name.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub audit_annotations: BTreeMap<String, String>,
}

impl AdmissionResponse {
    /// An allowing response with nothing to say.
    pub fn allow(uid: &str) -> Self {
        AdmissionResponse {
            uid: uid.to_owned(),
            allowed: true,
            status: None,
            warnings: Vec::new(),
            audit_annotations: BTreeMap::new(),
        }
    }

    /// A denying response.
    pub fn deny(uid: &str, code: u16, message: String) -> Self {
        AdmissionResponse {
            allowed: false,
            status: Some(Status { code, message }),
            ..AdmissionResponse::allow(uid)
        }
    }

    /// The whole AdmissionReview document to send back.
    pub fn to_review(&self) -> Value {
        let mut m = Map::new();
        m.insert("apiVersion".into(), API_VERSION.into());
        m.insert("kind".into(), KIND.into());
        m.insert(
            "response".into(),
            serde_json::to_value(self).unwrap_or(Value::Null),
        );
        Value::Object(m)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_a_review_and_rejects_wrong_envelopes() {
        let ok = br#"{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"u1","operation":"DELETE","object":null,"userInfo":{"username":"a","groups":["g"]}}}"#;
        let r = parse_review(ok).expect("valid");
        assert_eq!(r.uid, "u1");
        assert!(r.object.is_none());
        assert_eq!(r.user_info.groups, vec!["g"]);
        assert!(matches!(
            parse_review(b"{not json"),
            Err(ReviewError::Malformed(_))
        ));
        assert_eq!(
            parse_review(br#"{"apiVersion":"admission.k8s.io/v1beta1","kind":"AdmissionReview"}"#),
            Err(ReviewError::ApiVersion("admission.k8s.io/v1beta1".into()))
        );
        assert_eq!(
            parse_review(br#"{"apiVersion":"admission.k8s.io/v1","kind":"Pod"}"#),
            Err(ReviewError::Kind("Pod".into()))
        );
        assert_eq!(
            parse_review(br#"{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview"}"#),
            Err(ReviewError::NoRequest)
        );
    }

    #[test]
    fn response_document_has_the_v1_envelope() {
        let v = AdmissionResponse::deny("u", 403, "no".into()).to_review();
        assert_eq!(v["apiVersion"], API_VERSION);
        assert_eq!(v["response"]["uid"], "u");
        assert_eq!(v["response"]["allowed"], false);
        assert_eq!(v["response"]["status"]["code"], 403);
        assert!(v["response"].get("warnings").is_none());
    }
}
