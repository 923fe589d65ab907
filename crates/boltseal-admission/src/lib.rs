#![doc = include_str!("../README.md")]
#![warn(missing_docs)]

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
pub use review::{AdmissionRequest, AdmissionResponse, DecodeError, Operation, UserInfo};
pub use server::{FailurePolicy, Phase, Reviewer, ServerOptions, Webhook};
