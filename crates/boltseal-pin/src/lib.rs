#![doc = include_str!("../README.md")]

pub mod dockerfile;
mod error;
mod files;
pub mod kubernetes;
mod pin;
mod report;
mod resolve;
mod rewrite;
mod scan;
mod shell;

pub use error::{Error, Result};
pub use files::{MAX_FILE_BYTES, collect_files, read_text, write_atomic};
pub use pin::{Options, edits_for, pin_paths, pin_text, rewrite_checked, scan, state_of};
pub use report::{Entry, FileReport, Report, State};
pub use resolve::{Resolver, tag_key};
pub use rewrite::{Edit, apply_edits, pinned_text};
pub use scan::{FileKind, Finding, ImageRef, Origin, Rule, Scan, Target};
