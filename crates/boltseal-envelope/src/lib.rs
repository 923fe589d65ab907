//! Signed-statement wire formats: what cosign, containers/image and Sigstore clients sign and
//! store, modelled as plain values that parse from and serialize to bytes.
//!
//! Sync, sans-I/O, and free of key handling: this crate never signs or verifies; it produces the
//! exact bytes a signer signs and parses what a verifier checks.
//!
//! | module | format |
//! | --- | --- |
//! | [`simple_signing`] | cosign's legacy `.sig` payload, byte-identical to cosign's output |
//! | [`dsse`] | DSSE envelopes and the PAE that DSSE signatures cover |
//! | [`intoto`] | in-toto Statement v1 (and v0.1), resource descriptors |
//! | [`predicate`] | predicate type URIs and cosign's `attest --type` names |
//! | [`slsa`] | SLSA Provenance v1 predicates and a builder |
//! | [`bundle`] | Sigstore bundles v0.1–v0.3, cosign's legacy Rekor bundle annotation |
//! | [`canonical`] | RFC 8785 JSON canonicalization |
//!
//! Parsers are permissive where the wire format allows variation (key order, whitespace,
//! unknown fields, base64 alphabets, protojson integers as strings or numbers) and strict where
//! a verifier depends on structure (exact type strings, exactly one signature kind, version
//! rules, valid digests). Each module has one error type naming the offending input.
//!
//! ```
//! use boltseal_envelope::{dsse, intoto::Statement, predicate};
//! use boltseal_reference::Digest;
//!
//! // What `cosign sign` puts into a v3 bundle: an in-toto statement in a DSSE envelope.
//! let image = Digest::sha256_of(b"manifest");
//! let statement = Statement::for_image(&image, predicate::COSIGN_SIGN_V1, serde_json::json!({}));
//! let envelope = dsse::Envelope::new(dsse::PAYLOAD_TYPE_IN_TOTO, statement.to_bytes());
//! let to_sign = envelope.pae(); // hand these bytes to a signer
//! assert!(to_sign.starts_with(b"DSSEv1 28 application/vnd.in-toto+json "));
//! ```

mod b64;
pub mod bundle;
pub mod canonical;
pub mod dsse;
mod gojson;
pub mod intoto;
pub mod predicate;
pub mod simple_signing;
pub mod slsa;
mod wire;

pub use b64::Base64Error;
