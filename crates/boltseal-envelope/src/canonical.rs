//! RFC 8785 JSON Canonicalization Scheme (JCS), for signed material that is JSON: Rekor's signed
//! entry timestamps cover the JCS form of the entry metadata.
//!
//! Keys are sorted by UTF-16 code units, numbers use ECMAScript formatting (integers beyond 2^53
//! lose precision, as the RFC requires), strings use minimal escaping, no whitespace.
//!
//! ```
//! let bytes = boltseal_envelope::canonical::canonicalize(br#"{ "b": 1.50, "a": [true, "x"] }"#)?;
//! assert_eq!(bytes, br#"{"a":[true,"x"],"b":1.5}"#);
//! # Ok::<(), boltseal_envelope::canonical::Error>(())
//! ```

use serde::Serialize;

/// Why a value could not be canonicalized.
#[non_exhaustive]
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The input is not JSON, or the value cannot be represented in JSON (e.g. a map with
    /// non-string keys, a non-finite float).
    #[error("cannot canonicalize JSON: {source}")]
    Json {
        /// The underlying error.
        #[source]
        source: serde_json::Error,
    },
}

/// The JCS form of a serializable value.
///
/// # Errors
/// [`Error::Json`] when the value has no JSON representation.
pub fn to_vec<T: Serialize>(value: &T) -> Result<Vec<u8>, Error> {
    serde_json_canonicalizer::to_vec(value).map_err(|source| Error::Json { source })
}

/// The JCS form of JSON text.
///
/// # Errors
/// [`Error::Json`] when `json` is not valid JSON.
pub fn canonicalize(json: &[u8]) -> Result<Vec<u8>, Error> {
    let value: serde_json::Value =
        serde_json::from_slice(json).map_err(|source| Error::Json { source })?;
    to_vec(&value)
}
