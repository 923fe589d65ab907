//! java (in progress).
