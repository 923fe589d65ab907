//! The `request` of a review: what is asked, on which object, by whom.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{API_VERSION, DecodeError, Envelope, KIND, Operation, UserInfo, encode};

/// Longest `uid` accepted (the API server sends a UUID).
const MAX_UID_LEN: usize = 256;

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

    pub(super) fn validate(&self) -> Result<(), DecodeError> {
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
pub(super) fn plural(kind: &str) -> String {
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
