//! Parsers for the package databases and binary metadata that catalogers read: each one takes
//! bytes and returns plain records, with no knowledge of images or SBOMs.
