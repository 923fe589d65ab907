//! Bounds-checked reads shared by the format parsers.
