//! The `response` a webhook answers with: the decision, a base64 JSON Patch, warnings and
//! audit annotations.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{API_VERSION, Envelope, KIND, encode};

/// Warnings longer than this are cut (the API server may truncate longer ones itself).
pub const MAX_WARNING_CHARS: usize = 256;

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
