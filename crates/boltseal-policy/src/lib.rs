#![doc = include_str!("../README.md")]
#![warn(missing_docs)]

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
pub mod wildcard;
pub mod yaml;

pub use admission::{FailurePolicy, Operation, Phase, UserInfo};
pub use boltseal_evidence::{
    ImageVerifier, LayoutVerifier, Offline, RegistryVerifier, VerifyFuture,
};
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
