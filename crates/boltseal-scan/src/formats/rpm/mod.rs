//! RPM databases (in progress).
