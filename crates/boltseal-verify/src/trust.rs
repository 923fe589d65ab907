//! Trusted roots (being written).
