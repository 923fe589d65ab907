//! Serves Kubernetes admission reviews (AdmissionReview v1) with boltseal-policy decisions.
//!
//! - [`review`]: the `admission.k8s.io/v1` wire format — a bounded, strict decoder for requests
//!   and the response (uid echoed, `allowed`, `status`, a base64 JSON Patch, warnings, audit
//!   annotations).
//! - [`scan`]: what decoding a body would take (nesting depth, a bound of its decoded memory),
//!   measured in one pass before it is decoded.
//! - [`server`]: the HTTPS webhook (`POST /mutate`, `POST /validate`, `GET /healthz`,
//!   `GET /metrics`) over a
//!   [`server::Reviewer`], with per-request deadlines below the webhook timeout and the
//!   `failurePolicy` applied when they pass.
//! - [`policy`]: [`policy::PolicyReviewer`], the decisions of boltseal-policy's Kyverno-compatible
//!   engine.
//! - [`metrics`]: `GET /metrics` in the Prometheus text format (reviews, latency, and the
//!   policy reviewer's verifications, cache answers and registry requests).
//! - [`namespaces`]: namespace labels for `namespaceSelector`, from a file reloaded when it
//!   changes.
//! - [`tls`]: the serving certificate (rustls with aws-lc-rs), reloaded when its files change.

pub mod metrics;
pub mod namespaces;
mod options;
pub mod policy;
pub mod review;
pub mod scan;
pub mod server;
pub mod tls;

pub use namespaces::{NamespaceLabelSource, NamespaceLabels, ReloadingNamespaceLabels};
pub use policy::{PolicyReviewer, VERIFY_IMAGES_ANNOTATION};
pub use review::{AdmissionRequest, AdmissionResponse, DecodeError, Operation};
pub use server::{FailurePolicy, Phase, Reviewer, ServerOptions, Webhook};
