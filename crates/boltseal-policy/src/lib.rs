//! Evaluates Kyverno `ClusterPolicy` and `Policy` documents (`kyverno.io/v1`) against
//! Kubernetes resources, the way Kyverno's admission controller and CLI do.
//!
//! - [`PolicySet`] loads multi-document YAML (strings, files, directories) into typed rules,
//!   applying the CRD schema defaults Kyverno relies on (`mutateDigest`, `verifyDigest`,
//!   `required`, `useCache` all `true`, `validationFailureAction: Audit`, `failurePolicy: Fail`)
//!   and generating the `autogen-` / `autogen-cronjob-` rules that carry Pod rules to pod
//!   controllers. Features it does not implement are refused with [`LoadError::Unsupported`],
//!   never ignored.
//! - [`Engine`] answers an [`AdmissionInput`] in a [`Phase`]: the mutate phase verifies images
//!   (`verifyImages`, images of one request concurrently, successes cached) and pins digests
//!   with JSON patches; the validate phase runs `validate` rules (patterns, `anyPattern`,
//!   `deny`, `foreach`) and the `verifyDigest` / `required` checks.
//! - [`EngineResponse`] holds per-rule results, the patches, whether the request is allowed
//!   (failed Enforce rules and errors under `failurePolicy: Fail` block), and Kyverno's denial
//!   message.
//! - [`Verifier`] is how the engine reaches signatures; [`RegistryImageVerifier`] is the
//!   registry-backed implementation over `boltseal-verify`, [`LayoutImageVerifier`] the one
//!   for images in OCI layouts, [`Offline`] the one that has no network.
//! - [`testing`] runs `kyverno test` directories (`kyverno-test.yaml`, values files).
//!
//! The matching string for `imageReferences` is Kyverno's normalized form
//! ([`ImageInfo::kyverno_string`]: `docker.io/nginx:latest` for `nginx`), while validate
//! patterns see the raw `image` text; [`wildcard::matches`] is Kyverno's `*`/`?` matcher in
//! linear-ish time.
//!
//! ```
//! use std::sync::Arc;
//! use boltseal_policy::{AdmissionInput, Engine, Offline, Operation, Phase, PolicySet};
//!
//! let policies = PolicySet::from_yaml_str("require-digest.yaml", r#"
//! apiVersion: kyverno.io/v1
//! kind: ClusterPolicy
//! metadata: {name: require-image-digest}
//! spec:
//!   rules:
//!   - name: check-digest
//!     match: {any: [{resources: {kinds: [Pod]}}]}
//!     verifyImages:
//!     - imageReferences: ["*"]
//!       failureAction: Enforce
//!       mutateDigest: false
//!       verifyDigest: true
//!       required: false
//! "#)?;
//! let engine = Engine::new(policies, Arc::new(Offline));
//! let pod = serde_json::json!({"apiVersion": "v1", "kind": "Pod",
//!     "metadata": {"name": "web", "namespace": "prod"},
//!     "spec": {"containers": [{"name": "web", "image": "nginx:1.27"}]}});
//! let input = AdmissionInput::new(Phase::Validate, Operation::Create, pod);
//! let response = futures_util::FutureExt::now_or_never(engine.evaluate(&input)).unwrap();
//! assert!(!response.allowed());
//! assert_eq!(
//!     response.blocked_message().unwrap(),
//!     "\n\nresource Pod/prod/web was blocked due to the following policies \n\n\
//!      require-image-digest:\n  check-digest: missing digest for docker.io/nginx:1.27\n"
//! );
//! # Ok::<(), boltseal_policy::LoadError>(())
//! ```

pub mod admission;
mod cache;
mod condition;
mod engine;
mod error;
mod files;
mod image;
mod matching;
pub mod patch;
pub mod pattern;
mod policy;
mod response;
#[doc(hidden)]
pub mod stub;
pub mod testing;
mod verifier;
pub mod wildcard;
pub mod yaml;

pub use admission::{FailurePolicy, Operation, Phase, UserInfo};
pub use cache::{ImageCheck, VerificationSource, VerificationStats};
pub use engine::{AdmissionInput, DEFAULT_CACHE_TTL, Engine};
pub use error::{LoadError, Origin};
pub use files::{load_resources, resources_from_str};
pub use image::ImageInfo;
pub use patch::PatchOperation;
pub use policy::{FailureAction, Policy, PolicyKind, PolicySet};
pub use response::{
    EngineResponse, PolicyResponse, ResourceId, RuleResponse, RuleStatus, RuleType,
};
pub use verifier::{
    AttestationCheck, ImageVerifier, LayoutImageVerifier, Offline, RegistryImageVerifier,
    SignatureCheck, Verifier, VerifyFailure, VerifyFuture,
};
