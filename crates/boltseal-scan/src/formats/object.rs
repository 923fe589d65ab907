//! object (in progress).
