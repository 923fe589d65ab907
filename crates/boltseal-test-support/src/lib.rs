#![doc = include_str!("../README.md")]
// Test scaffolding: a failed step is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[cfg(feature = "images")]
pub mod admission;
mod cli;
mod cost;
#[cfg(feature = "images")]
pub mod images;
#[cfg(feature = "images")]
pub mod private_sigstore;
mod registry;
#[cfg(feature = "images")]
pub mod scan;
pub mod sigstore_services;

pub use cli::{
    Example, assert_error, assert_success, corpus, example, have, require_tool, run, run_in,
    shared_corpus, stderr, stdout, workspace_root,
};
pub use cost::{Cost, peak_rss_of, run_measured};
#[cfg(feature = "images")]
pub use images::{
    Layer, attest_v1, check_layers, push_att, push_bundle_referrer, push_image, push_layers,
    push_signature_manifest, put_blob, read_blob, sign, sign_v1, spdx_bundle, store, tag,
};
pub use registry::{CountingProxy, Registry, repository_of};
