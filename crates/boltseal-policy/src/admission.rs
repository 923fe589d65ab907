//! The admission vocabulary shared by the engine and the webhook (`boltseal-admission`
//! re-exports it): the operation, the webhook phase, the failure policy and the requesting
//! user, with their Kubernetes spellings.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// An admission operation.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub enum Operation {
    /// `CREATE`
    #[default]
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
    /// The Kubernetes spelling (`CREATE`, …).
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

impl std::fmt::Display for Operation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for Operation {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "CREATE" => Ok(Operation::Create),
            "UPDATE" => Ok(Operation::Update),
            "DELETE" => Ok(Operation::Delete),
            "CONNECT" => Ok(Operation::Connect),
            other => Err(format!("unknown operation {other:?}")),
        }
    }
}

/// Which admission webhook is asking. Kyverno verifies images and pins digests in the
/// mutating webhook, and runs `validate` rules and the `verifyDigest` / `required` checks in
/// the validating one.
///
/// Closed (not `#[non_exhaustive]`): Kubernetes has exactly these two kinds of admission
/// webhook, and callers match on them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Phase {
    /// The mutating webhook (`/mutate`): `verifyImages` verification and digest patches.
    Mutate,
    /// The validating webhook (`/validate`): `validate` rules, and `verifyImages`
    /// `verifyDigest` / `required`, on the resource as it will be stored.
    Validate,
}

impl Phase {
    /// `mutate` or `validate`.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Phase::Mutate => "mutate",
            Phase::Validate => "validate",
        }
    }
}

/// What happens when evaluation errors or times out, or a registry or verifier fails: the
/// Kubernetes / Kyverno `failurePolicy`.
///
/// Closed (not `#[non_exhaustive]`): the Kubernetes API defines exactly these two values.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum FailurePolicy {
    /// Refuse the request (fail closed, the default).
    #[default]
    Fail,
    /// Admit the request (the webhook adds a warning).
    Ignore,
}

/// Who made the request (`request.userInfo`), for `subjects` filters and variables.
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
    ///
    /// ```
    /// let user = boltseal_policy::UserInfo::new("alice", ["system:authenticated"]);
    /// assert_eq!(user.groups, ["system:authenticated"]);
    /// ```
    #[must_use]
    pub fn new<S: AsRef<str>>(
        username: impl Into<String>,
        groups: impl IntoIterator<Item = S>,
    ) -> Self {
        UserInfo {
            username: username.into(),
            groups: groups.into_iter().map(|g| g.as_ref().to_owned()).collect(),
            ..UserInfo::default()
        }
    }
}
