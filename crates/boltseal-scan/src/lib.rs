//! Scans container images and directories for installed packages and builds SBOMs from them.

pub mod formats;
