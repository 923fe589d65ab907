//! Image signature verification (being written).
