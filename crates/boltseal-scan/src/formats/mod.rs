//! Parsers for the package databases and binary metadata that catalogers read: each one takes
//! bytes and returns plain records, with no knowledge of images or SBOMs.
//!
//! Every parser here is pure (no I/O), never panics on input, and bounds what it allocates and
//! decompresses. Errors are one `thiserror` enum per module whose messages are one line naming
//! what was wrong.
//!
//! | module | input | records |
//! |---|---|---|
//! | [`rpm`] | an rpmdb (`rpmdb.sqlite`, Berkeley DB `Packages`, NDB `Packages.db`) or one header blob | [`rpm::RpmPackage`] |
//! | [`golang`] | an ELF, PE or Mach-O Go executable | [`golang::BuildInfo`] |
//! | [`auditable`] | an executable built with `cargo auditable` | [`auditable::AuditablePackage`] |
//! | [`java`] | a jar, war or ear (nested archives included) | [`java::JavaArchiveRecord`] |
//! | [`object`] | an executable | section lookup shared by [`golang`] and [`auditable`] |

pub mod auditable;
mod bytes;
pub mod golang;
pub mod java;
pub mod object;
pub mod rpm;
mod zip;
