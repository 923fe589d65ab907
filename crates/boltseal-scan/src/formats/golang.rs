//! golang (in progress).
