//! Sigstore bundle verification (being written).
