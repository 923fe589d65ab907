//! The `admission.k8s.io/v1` `AdmissionReview` wire format: a bounded, strict decoder for the
//! request the API server sends and the response a webhook answers with.
//!
//! Objects (`object`, `oldObject`, `options`) stay raw JSON values: the policy engine reads them
//! as Kyverno does, through JSON paths. Unknown fields are ignored (newer API servers add fields),
//! but every field boltseal reads is type-checked and the envelope (`apiVersion`, `kind`, `uid`,
//! `operation`, the object on `CREATE`/`UPDATE`) is validated.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// `apiVersion` of every review boltseal reads and writes.
pub const API_VERSION: &str = "admission.k8s.io/v1";
/// `kind` of every review.
pub const KIND: &str = "AdmissionReview";
/// The largest review body the decoder accepts by default (3 MiB: the API server accepts request
/// bodies of up to 3 MiB and etcd stores objects of up to 1.5 MiB, so that a review carrying an
/// object and its old version stays within about 3 MiB).
pub const MAX_REVIEW_BYTES: usize = 3 << 20;
/// The deepest nesting of arrays and objects accepted by default (Pods and their controllers
/// nest about 10 deep; `serde_json` itself stops at 128).
pub const MAX_REVIEW_DEPTH: usize = 64;
/// The most memory a review's decoded JSON may take by default, as bounded by
/// [`crate::scan::shape`] before decoding (48 MiB: about 2.3 MB of JSON as dense as a Pod's;
/// real reviews take a few hundred KiB).
pub const MAX_DECODED_BYTES: usize = 48 << 20;

/// What the decoder accepts: body size, nesting depth, and the memory the decoded values may
/// take. Each is checked before anything is decoded.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DecodeLimits {
    /// Largest body (default [`MAX_REVIEW_BYTES`]).
    pub max_bytes: usize,
    /// Deepest nesting of arrays and objects (default [`MAX_REVIEW_DEPTH`]).
    pub max_depth: usize,
    /// Most memory the decoded JSON values may take (default [`MAX_DECODED_BYTES`]).
    pub max_decoded_bytes: usize,
}

impl Default for DecodeLimits {
    fn default() -> Self {
        DecodeLimits {
            max_bytes: MAX_REVIEW_BYTES,
            max_depth: MAX_REVIEW_DEPTH,
            max_decoded_bytes: MAX_DECODED_BYTES,
        }
    }
}

impl DecodeLimits {
    /// Checks `body` against the limits without decoding it, and returns its shape.
    ///
    /// # Errors
    /// [`DecodeError::TooLarge`], [`DecodeError::TooDeep`] or [`DecodeError::TooCostly`] naming
    /// the limit and the value seen.
    pub fn check(&self, body: &[u8]) -> Result<crate::scan::JsonShape, DecodeError> {
        if body.len() > self.max_bytes {
            return Err(DecodeError::TooLarge {
                size: body.len(),
                limit: self.max_bytes,
            });
        }
        let shape = crate::scan::shape(body);
        if shape.depth > self.max_depth {
            return Err(DecodeError::TooDeep {
                depth: shape.depth,
                limit: self.max_depth,
            });
        }
        if shape.decoded_bytes > self.max_decoded_bytes {
            return Err(DecodeError::TooCostly {
                bytes: shape.decoded_bytes,
                limit: self.max_decoded_bytes,
            });
        }
        Ok(shape)
    }
}
/// Longest `uid` accepted (the API server sends a UUID).
const MAX_UID_LEN: usize = 256;
/// Warnings longer than this are cut (the API server may truncate longer ones itself).
pub const MAX_WARNING_CHARS: usize = 256;

/// Why a review body was refused. The message is one line naming what was wrong.
#[non_exhaustive]
#[derive(Debug, thiserror::Error)]
pub enum DecodeError {
    /// The body is larger than the decoder's limit.
    #[error("review is {size} bytes, larger than the {limit}-byte limit")]
    TooLarge {
        /// Size of the body.
        size: usize,
        /// The limit.
        limit: usize,
    },
    /// Arrays and objects nest deeper than the decoder's limit.
    #[error("review nests arrays and objects {depth} deep, deeper than the limit of {limit}")]
    TooDeep {
        /// Deepest nesting in the body.
        depth: usize,
        /// The limit.
        limit: usize,
    },
    /// Decoding the body would take more memory than the decoder's limit.
    #[error(
        "review would take up to {bytes} bytes of memory once decoded, more than the {limit}-byte limit"
    )]
    TooCostly {
        /// The bound of the decoded values' memory ([`crate::scan::JsonShape::decoded_bytes`]).
        bytes: usize,
        /// The limit.
        limit: usize,
    },
    /// The body is not JSON, or a field has the wrong type.
    #[error("invalid AdmissionReview JSON: {0}")]
    Json(#[source] serde_json::Error),
    /// `apiVersion` is not `admission.k8s.io/v1`.
    #[error("apiVersion is {0:?}, expected \"admission.k8s.io/v1\"")]
    ApiVersion(String),
    /// `kind` is not `AdmissionReview`.
    #[error("kind is {0:?}, expected \"AdmissionReview\"")]
    Kind(String),
    /// The review has no `request` (or, for a response, no `response`).
    #[error("the review has no {0}")]
    Missing(&'static str),
    /// A field is present but its value is not acceptable.
    #[error("{field}: {reason}")]
    Invalid {
        /// JSON path of the field, e.g. `request.uid`.
        field: &'static str,
        /// What is wrong with it.
        reason: String,
    },
}

/// An admission operation.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Operation {
    /// `CREATE`
    #[serde(rename = "CREATE")]
    Create,
    /// `UPDATE`
    #[serde(rename = "UPDATE")]
    Update,
    /// `DELETE`
    #[serde(rename = "DELETE")]
    Delete,
    /// `CONNECT`
    #[serde(rename = "CONNECT")]
    Connect,
}

impl Operation {
    /// The wire spelling (`CREATE`, …).
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Operation::Create => "CREATE",
            Operation::Update => "UPDATE",
            Operation::Delete => "DELETE",
            Operation::Connect => "CONNECT",
        }
    }
}

impl fmt::Display for Operation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A group, version and kind (`{"group": "apps", "version": "v1", "kind": "Deployment"}`; the
/// core group is the empty string).
#[non_exhaustive]
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupVersionKind {
    /// API group (`""` for the core group).
    #[serde(default)]
    pub group: String,
    /// Version (`v1`).
    pub version: String,
    /// Kind (`Pod`).
    pub kind: String,
}

impl GroupVersionKind {
    /// A GVK.
    #[must_use]
    pub fn new(group: &str, version: &str, kind: &str) -> Self {
        GroupVersionKind {
            group: group.to_owned(),
            version: version.to_owned(),
            kind: kind.to_owned(),
        }
    }
}

/// A group, version and resource (`pods`, `deployments`).
#[non_exhaustive]
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupVersionResource {
    /// API group.
    #[serde(default)]
    pub group: String,
    /// Version.
    pub version: String,
    /// Resource (plural, lowercase).
    pub resource: String,
}

impl GroupVersionResource {
    /// A GVR.
    #[must_use]
    pub fn new(group: &str, version: &str, resource: &str) -> Self {
        GroupVersionResource {
            group: group.to_owned(),
            version: version.to_owned(),
            resource: resource.to_owned(),
        }
    }
}

/// Who made the request.
#[non_exhaustive]
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserInfo {
    /// User name.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub username: String,
    /// User UID.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub uid: String,
    /// Groups.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub groups: Vec<String>,
    /// Extra attributes from the authenticator.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub extra: BTreeMap<String, Vec<String>>,
}

impl UserInfo {
    /// A user with a name and groups.
    #[must_use]
    pub fn new(username: &str, groups: &[&str]) -> Self {
        UserInfo {
            username: username.to_owned(),
            groups: groups.iter().map(|g| (*g).to_owned()).collect(),
            ..UserInfo::default()
        }
    }
}

/// The `request` of an `AdmissionReview`.
#[non_exhaustive]
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AdmissionRequest {
    /// Identifies this call; the response must echo it.
    pub uid: String,
    /// Kind of the object (after conversion for `matchPolicy: Equivalent`).
    pub kind: GroupVersionKind,
    /// Resource being requested.
    pub resource: GroupVersionResource,
    /// Subresource (`status`, `ephemeralcontainers`, …), empty for the main resource.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub sub_resource: String,
    /// Kind of the original request, when it was converted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_kind: Option<GroupVersionKind>,
    /// Resource of the original request, when it was converted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_resource: Option<GroupVersionResource>,
    /// Subresource of the original request.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub request_sub_resource: String,
    /// Object name (may be empty on `CREATE` with `generateName`).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub name: String,
    /// Namespace (empty for cluster-scoped objects).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub namespace: String,
    /// The operation.
    pub operation: Operation,
    /// The requesting user.
    #[serde(default)]
    pub user_info: UserInfo,
    /// The new object (absent on `DELETE`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub object: Option<Value>,
    /// The existing object (on `UPDATE` and `DELETE`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub old_object: Option<Value>,
    /// Whether the request is a dry run (no side effects may happen).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dry_run: Option<bool>,
    /// The operation's options (`CreateOptions`, …).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub options: Option<Value>,
}

impl AdmissionRequest {
    /// A request for `operation` on `object` of `kind` (resource name derived as Kubernetes does
    /// for the usual kinds: lowercase plural). Name and namespace are read from the object's
    /// metadata.
    #[must_use]
    pub fn new(uid: &str, operation: Operation, kind: GroupVersionKind, object: Value) -> Self {
        let resource = GroupVersionResource {
            group: kind.group.clone(),
            version: kind.version.clone(),
            resource: plural(&kind.kind),
        };
        let meta = |k: &str| {
            object
                .pointer(&format!("/metadata/{k}"))
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned()
        };
        let (name, namespace) = (meta("name"), meta("namespace"));
        AdmissionRequest {
            uid: uid.to_owned(),
            kind,
            resource,
            sub_resource: String::new(),
            request_kind: None,
            request_resource: None,
            request_sub_resource: String::new(),
            name,
            namespace,
            operation,
            user_info: UserInfo::default(),
            object: Some(object),
            old_object: None,
            dry_run: None,
            options: None,
        }
    }

    /// Sets the old object (for `UPDATE` and `DELETE`).
    #[must_use]
    pub fn with_old_object(mut self, old: Value) -> Self {
        self.old_object = Some(old);
        self
    }

    /// Sets the namespace.
    #[must_use]
    pub fn with_namespace(mut self, namespace: &str) -> Self {
        self.namespace = namespace.to_owned();
        self
    }

    /// Sets the requesting user.
    #[must_use]
    pub fn with_user(mut self, user: UserInfo) -> Self {
        self.user_info = user;
        self
    }

    /// Marks the request as a dry run.
    #[must_use]
    pub fn with_dry_run(mut self, dry_run: bool) -> Self {
        self.dry_run = Some(dry_run);
        self
    }

    /// The object the decision is about: `object`, or `oldObject` on `DELETE`.
    #[must_use]
    pub fn subject(&self) -> Option<&Value> {
        self.object
            .as_ref()
            .filter(|o| !o.is_null())
            .or(self.old_object.as_ref())
    }

    /// `Kind/namespace/name` as Kyverno names a resource in messages (`Pod/default/web`;
    /// `Kind/name` without a namespace; the object's `generateName` when it has no name yet).
    #[must_use]
    pub fn resource_path(&self) -> String {
        let mut name = self.name.clone();
        if name.is_empty()
            && let Some(obj) = self.subject()
        {
            let meta = |k: &str| {
                obj.pointer(&format!("/metadata/{k}"))
                    .and_then(Value::as_str)
            };
            name = meta("name")
                .or_else(|| meta("generateName"))
                .unwrap_or_default()
                .to_owned();
        }
        if self.namespace.is_empty() {
            format!("{}/{name}", self.kind.kind)
        } else {
            format!("{}/{}/{name}", self.kind.kind, self.namespace)
        }
    }

    /// The request as a complete `AdmissionReview` JSON document.
    #[must_use]
    pub fn to_review_json(&self) -> Vec<u8> {
        encode(&Envelope {
            api_version: API_VERSION.to_owned(),
            kind: KIND.to_owned(),
            request: Some(self.clone()),
            response: None,
        })
    }

    fn validate(&self) -> Result<(), DecodeError> {
        let invalid = |field, reason: &str| {
            Err(DecodeError::Invalid {
                field,
                reason: reason.to_owned(),
            })
        };
        if self.uid.is_empty() {
            return invalid("request.uid", "empty");
        }
        if self.uid.len() > MAX_UID_LEN {
            return invalid("request.uid", "longer than 256 bytes");
        }
        if self.uid.chars().any(char::is_control) {
            return invalid("request.uid", "contains control characters");
        }
        if self.kind.kind.is_empty() || self.kind.version.is_empty() {
            return invalid("request.kind", "kind and version are required");
        }
        if self.resource.resource.is_empty() || self.resource.version.is_empty() {
            return invalid("request.resource", "resource and version are required");
        }
        for (field, value) in [
            ("request.object", &self.object),
            ("request.oldObject", &self.old_object),
        ] {
            if let Some(v) = value
                && !(v.is_object() || v.is_null())
            {
                return invalid(field, "not a JSON object");
            }
        }
        let has = |v: &Option<Value>| v.as_ref().is_some_and(Value::is_object);
        match self.operation {
            Operation::Create | Operation::Update if !has(&self.object) => {
                invalid("request.object", "required for CREATE and UPDATE")
            }
            Operation::Update if !has(&self.old_object) => {
                invalid("request.oldObject", "required for UPDATE")
            }
            _ => Ok(()),
        }
    }
}

/// Lowercase plural of a kind, the way the usual resources are named (`Pod` → `pods`,
/// `Ingress` → `ingresses`, `NetworkPolicy` → `networkpolicies`).
fn plural(kind: &str) -> String {
    let lower = kind.to_ascii_lowercase();
    if lower.ends_with('s') || lower.ends_with('x') || lower.ends_with("ch") {
        format!("{lower}es")
    } else if let Some(stem) = lower.strip_suffix('y')
        && !stem.ends_with(['a', 'e', 'o', 'u'])
    {
        format!("{stem}ies")
    } else {
        format!("{lower}s")
    }
}

/// `status` of a refused request (a `metav1.Status`).
#[non_exhaustive]
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Status {
    /// `"Failure"` for a denial.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub status: String,
    /// The human-readable reason shown to the user.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub message: String,
    /// A machine-readable reason (`Forbidden`, …).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub reason: String,
    /// HTTP status code the API server answers the client with.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<u16>,
}

/// The JSON Patch `patchType`, the only one Kubernetes supports.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum PatchType {
    /// RFC 6902 JSON Patch.
    #[serde(rename = "JSONPatch")]
    JsonPatch,
}

/// The `response` of an `AdmissionReview`.
#[non_exhaustive]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AdmissionResponse {
    /// The request's uid.
    pub uid: String,
    /// Whether the request is admitted.
    pub allowed: bool,
    /// Why it was refused.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<Status>,
    /// A JSON Patch document (the decoded bytes; base64 on the wire).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "base64_bytes"
    )]
    pub patch: Option<Vec<u8>>,
    /// Always `JSONPatch` when `patch` is set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub patch_type: Option<PatchType>,
    /// Warnings shown to the client (`kubectl` prints them).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
    /// Annotations the API server adds to the audit event (it prefixes the keys with the
    /// webhook's name).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub audit_annotations: BTreeMap<String, String>,
}

impl AdmissionResponse {
    /// Admits the request `uid` names.
    #[must_use]
    pub fn allow(uid: &str) -> Self {
        AdmissionResponse {
            uid: uid.to_owned(),
            allowed: true,
            status: None,
            patch: None,
            patch_type: None,
            warnings: Vec::new(),
            audit_annotations: BTreeMap::new(),
        }
    }

    /// Refuses the request with `message` (status `Failure`, code 403 — what the API server
    /// answers a denied request with).
    #[must_use]
    pub fn deny(uid: &str, message: &str) -> Self {
        AdmissionResponse {
            allowed: false,
            status: Some(Status {
                status: "Failure".to_owned(),
                message: message.to_owned(),
                reason: String::new(),
                code: Some(403),
            }),
            ..AdmissionResponse::allow(uid)
        }
    }

    /// Attaches a JSON Patch (`[{"op": …}, …]`). An empty list removes the patch.
    #[must_use]
    pub fn with_patch(mut self, operations: &[Value]) -> Self {
        if operations.is_empty() {
            self.patch = None;
            self.patch_type = None;
        } else {
            self.patch = Some(serde_json::to_vec(operations).unwrap_or_default());
            self.patch_type = Some(PatchType::JsonPatch);
        }
        self
    }

    /// Adds a warning; control characters become spaces and it is cut to
    /// [`MAX_WARNING_CHARS`] characters.
    #[must_use]
    pub fn with_warning(mut self, warning: &str) -> Self {
        self.warnings.push(clean_warning(warning));
        self
    }

    /// Adds an audit annotation.
    #[must_use]
    pub fn with_audit_annotation(mut self, key: &str, value: &str) -> Self {
        self.audit_annotations
            .insert(key.to_owned(), value.to_owned());
        self
    }

    /// The patch operations, when there is a patch that parses as a JSON array.
    #[must_use]
    pub fn patch_operations(&self) -> Option<Vec<Value>> {
        self.patch
            .as_deref()
            .and_then(|p| serde_json::from_slice(p).ok())
    }

    /// The response as a complete `AdmissionReview` JSON document.
    #[must_use]
    pub fn to_review_json(&self) -> Vec<u8> {
        encode(&Envelope {
            api_version: API_VERSION.to_owned(),
            kind: KIND.to_owned(),
            request: None,
            response: Some(self.clone()),
        })
    }
}

/// Makes a warning acceptable to the API server: printable, at most [`MAX_WARNING_CHARS`].
fn clean_warning(warning: &str) -> String {
    warning
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .take(MAX_WARNING_CHARS)
        .collect()
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Envelope {
    #[serde(default)]
    api_version: String,
    #[serde(default)]
    kind: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    request: Option<AdmissionRequest>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    response: Option<AdmissionResponse>,
}

fn encode(envelope: &Envelope) -> Vec<u8> {
    // Serializing these types cannot fail: string keys, no non-finite floats are produced.
    serde_json::to_vec(envelope).unwrap_or_default()
}

fn decode_envelope(body: &[u8], limits: Option<&DecodeLimits>) -> Result<Envelope, DecodeError> {
    if let Some(limits) = limits {
        limits.check(body)?;
    }
    let envelope: Envelope = serde_json::from_slice(body).map_err(DecodeError::Json)?;
    if envelope.api_version != API_VERSION {
        return Err(DecodeError::ApiVersion(envelope.api_version));
    }
    if envelope.kind != KIND {
        return Err(DecodeError::Kind(envelope.kind));
    }
    Ok(envelope)
}

/// Decodes the `AdmissionReview` the API server sends and returns its request.
///
/// # Errors
/// [`DecodeError`] when the body is over the default [`DecodeLimits`] (size, nesting, decoded
/// memory), is not JSON, is not an
/// `admission.k8s.io/v1` `AdmissionReview`, has no request, or a request field is invalid
/// (empty uid, unknown operation, no object on `CREATE`, …).
///
/// # Example
/// ```
/// use boltseal_admission::review::{decode_request, Operation};
///
/// let body = br#"{"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview",
///   "request": {"uid": "705ab4f5", "operation": "CREATE",
///     "kind": {"group": "", "version": "v1", "kind": "Pod"},
///     "resource": {"group": "", "version": "v1", "resource": "pods"},
///     "namespace": "default", "object": {"metadata": {"name": "web"}}}}"#;
/// let request = decode_request(body)?;
/// assert_eq!(request.operation, Operation::Create);
/// assert_eq!(request.resource_path(), "Pod/default/web");
/// assert!(decode_request(b"{}").is_err());
/// # Ok::<(), boltseal_admission::review::DecodeError>(())
/// ```
pub fn decode_request(body: &[u8]) -> Result<AdmissionRequest, DecodeError> {
    decode_request_within(body, &DecodeLimits::default())
}

/// [`decode_request`] under these limits.
///
/// # Errors
/// As for [`decode_request`].
pub fn decode_request_within(
    body: &[u8],
    limits: &DecodeLimits,
) -> Result<AdmissionRequest, DecodeError> {
    limits.check(body)?;
    decode_request_checked(body)
}

/// [`decode_request`] of a body already checked against its limits ([`DecodeLimits::check`]).
pub(crate) fn decode_request_checked(body: &[u8]) -> Result<AdmissionRequest, DecodeError> {
    let request = decode_envelope(body, None)?
        .request
        .ok_or(DecodeError::Missing("request"))?;
    request.validate()?;
    Ok(request)
}

/// Decodes an `AdmissionReview` carrying a response (what a webhook answers; used by clients
/// and tests).
///
/// # Errors
/// [`DecodeError`] as for [`decode_request`], or when there is no response or its uid is empty.
pub fn decode_response(body: &[u8]) -> Result<AdmissionResponse, DecodeError> {
    let response = decode_envelope(body, Some(&DecodeLimits::default()))?
        .response
        .ok_or(DecodeError::Missing("response"))?;
    if response.uid.is_empty() {
        return Err(DecodeError::Invalid {
            field: "response.uid",
            reason: "empty".to_owned(),
        });
    }
    if response.patch.is_some() != response.patch_type.is_some() {
        return Err(DecodeError::Invalid {
            field: "response.patchType",
            reason: "patch and patchType go together".to_owned(),
        });
    }
    Ok(response)
}

mod base64_bytes {
    use base64::Engine as _;
    use serde::{Deserialize, Deserializer, Serializer};

    #[allow(clippy::ref_option)] // serde's `with` hands the field by reference
    pub(super) fn serialize<S: Serializer>(
        value: &Option<Vec<u8>>,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        match value {
            Some(bytes) => {
                serializer.serialize_str(&base64::engine::general_purpose::STANDARD.encode(bytes))
            }
            None => serializer.serialize_none(),
        }
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Option<Vec<u8>>, D::Error> {
        let text: Option<String> = Option::deserialize(deserializer)?;
        text.map(|t| {
            base64::engine::general_purpose::STANDARD
                .decode(t.as_bytes())
                .map_err(serde::de::Error::custom)
        })
        .transpose()
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use serde_json::json;

    fn review(request: Value) -> Vec<u8> {
        serde_json::to_vec(&json!({
            "apiVersion": API_VERSION, "kind": KIND, "request": request
        }))
        .unwrap()
    }

    fn pod_request() -> Value {
        json!({
            "uid": "u-1", "operation": "CREATE",
            "kind": {"group": "", "version": "v1", "kind": "Pod"},
            "resource": {"group": "", "version": "v1", "resource": "pods"},
            "namespace": "default",
            "userInfo": {"username": "alice", "groups": ["dev"]},
            "object": {"metadata": {"generateName": "web-"}},
            "dryRun": false
        })
    }

    #[test]
    fn decodes_a_pod_review() {
        let r = decode_request(&review(pod_request())).unwrap();
        assert_eq!(r.uid, "u-1");
        assert_eq!(r.user_info.username, "alice");
        assert_eq!(r.resource_path(), "Pod/default/web-");
        assert_eq!(r.dry_run, Some(false));
    }

    #[test]
    fn refuses_what_is_not_a_v1_review() {
        let mut wrong = serde_json::from_slice::<Value>(&review(pod_request())).unwrap();
        wrong["apiVersion"] = json!("admission.k8s.io/v1beta1");
        let e = decode_request(&serde_json::to_vec(&wrong).unwrap()).unwrap_err();
        assert!(matches!(e, DecodeError::ApiVersion(_)), "{e}");
        let e =
            decode_request(br#"{"apiVersion":"admission.k8s.io/v1","kind":"Review"}"#).unwrap_err();
        assert!(matches!(e, DecodeError::Kind(_)), "{e}");
        let e = decode_request(br#"{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview"}"#)
            .unwrap_err();
        assert_eq!(e.to_string(), "the review has no request");
        for (field, value, expect) in [
            ("uid", json!(""), "request.uid: empty"),
            ("operation", json!("PATCH"), "unknown variant"),
            ("object", json!([1]), "request.object: not a JSON object"),
            ("object", Value::Null, "request.object: required for CREATE"),
            ("kind", json!({"version": "v1", "kind": ""}), "request.kind"),
            ("uid", json!(7), "invalid type"),
        ] {
            let mut r = pod_request();
            r[field] = value;
            let e = decode_request(&review(r)).unwrap_err().to_string();
            assert!(e.contains(expect), "{field}: {e}");
            assert!(!e.contains('\n'), "one line: {e}");
        }
        let big = vec![b' '; MAX_REVIEW_BYTES + 1];
        assert!(matches!(
            decode_request(&big),
            Err(DecodeError::TooLarge { .. })
        ));
        assert!(decode_request(b"\xff\xfe").is_err());
    }

    #[test]
    fn limits_are_checked_before_decoding() {
        let limits = DecodeLimits {
            max_bytes: 1 << 20,
            max_depth: 8,
            max_decoded_bytes: 64 << 10,
        };
        let deep = format!("{}{}", "[".repeat(9), "]".repeat(9));
        let e = decode_request_within(deep.as_bytes(), &limits).unwrap_err();
        assert_eq!(
            e.to_string(),
            "review nests arrays and objects 9 deep, deeper than the limit of 8"
        );
        // 10,000 two-byte elements: 20 kB of JSON, 512 KiB of values.
        let mut r = pod_request();
        r["object"]["spec"] = json!(vec![1; 10_000]);
        let body = review(r);
        assert!(body.len() < 64 << 10);
        let e = decode_request_within(&body, &limits).unwrap_err();
        assert!(
            matches!(e, DecodeError::TooCostly { limit, bytes } if limit == 64 << 10 && bytes > 10_000 * 32),
            "{e}"
        );
        assert!(
            e.to_string().contains("more than the 65536-byte limit"),
            "{e}"
        );
        let big = vec![b' '; (1 << 20) + 1];
        let e = decode_request_within(&big, &limits).unwrap_err();
        assert_eq!(
            e.to_string(),
            "review is 1048577 bytes, larger than the 1048576-byte limit"
        );
        // A real review is far within the defaults.
        let body = review(pod_request());
        let shape = DecodeLimits::default().check(&body).unwrap();
        assert!(shape.decoded_bytes < 16 << 10, "{shape:?}");
        assert!(decode_request_within(&body, &DecodeLimits::default()).is_ok());
    }

    #[test]
    fn update_needs_the_old_object() {
        let mut r = pod_request();
        r["operation"] = json!("UPDATE");
        assert!(decode_request(&review(r.clone())).is_err());
        r["oldObject"] = json!({"metadata": {}});
        assert!(decode_request(&review(r)).is_ok());
    }

    #[test]
    fn responses_carry_a_base64_patch() {
        let ops =
            [json!({"op": "replace", "path": "/spec/containers/0/image", "value": "x@sha256:00"})];
        let resp = AdmissionResponse::allow("u-1")
            .with_patch(&ops)
            .with_warning("policy p.r: line\nbreak");
        let text = String::from_utf8(resp.to_review_json()).unwrap();
        assert!(text.contains("\"patchType\":\"JSONPatch\""), "{text}");
        let back = decode_response(text.as_bytes()).unwrap();
        assert_eq!(back, resp);
        assert_eq!(back.patch_operations().unwrap(), ops.to_vec());
        assert_eq!(back.warnings, ["policy p.r: line break"]);
        let deny = AdmissionResponse::deny("u-2", "no");
        let v: Value = serde_json::from_slice(&deny.to_review_json()).unwrap();
        assert_eq!(v["response"]["status"]["code"], 403);
        assert_eq!(v["response"]["allowed"], false);
    }

    #[test]
    fn plurals() {
        for (k, p) in [
            ("Pod", "pods"),
            ("Deployment", "deployments"),
            ("Ingress", "ingresses"),
            ("NetworkPolicy", "networkpolicies"),
            ("Gateway", "gateways"),
        ] {
            assert_eq!(plural(k), p);
        }
    }
}
