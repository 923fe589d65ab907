//! Pin container images to digests in Dockerfiles and Kubernetes manifests, and notice when a
//! pin is stale.
//!
//! A build that names `node:18` gets whatever the tag names on the day it runs; a build that
//! names `node:18@sha256:…` gets the same bytes every time, and the tag still tells a reader
//! (and this crate) which line it follows. `boltseal-pin`:
//!
//! - finds image references: in Dockerfiles ([`dockerfile::scan`]) `FROM` (with
//!   `--platform` and `AS`), global `ARG` defaults used as `FROM` images, `COPY --from=` and
//!   `RUN --mount=from=` (stage names, stage indexes and `scratch` are not images; text inside
//!   `RUN` is not an image); in Kubernetes YAML ([`kubernetes::scan`]) the `image` of
//!   containers, init containers and ephemeral containers of Pods, PodTemplates, Deployments,
//!   StatefulSets, DaemonSets, ReplicaSets, ReplicationControllers, Jobs and CronJobs;
//! - resolves each distinct tag once, concurrently, through `boltseal-oci` ([`Resolver`]):
//!   the digest of the manifest or index the registry serves for it;
//! - reports each reference's [`State`] — unpinned, pinned, stale (the tag moved), or
//!   unsupported (an image position that cannot be rewritten in place, such as a YAML alias);
//! - rewrites `name:tag` to `name:tag@sha256:…` (or a stale digest to the current one)
//!   replacing exactly the bytes of the reference: comments, quoting, indentation and key
//!   order stay as they were. The rewritten text is scanned again before it is written, and
//!   files are replaced atomically ([`write_atomic`]);
//! - reports lock-file hygiene [`Finding`]s: unpinned `FROM`, `npm install` where `npm ci`
//!   belongs, `yarn install` without a frozen lock file, `pip install` without hashes.
//!
//! The scanners and the rewrite are sync and sans-I/O; only [`Resolver`] and [`pin_paths`]
//! do I/O.
//!
//! ```
//! use boltseal_pin::{dockerfile, apply_edits, pinned_text, Edit};
//! use boltseal_reference::Digest;
//!
//! let text = "# build\nFROM node:18 AS build\nRUN npm ci\nFROM build\n";
//! let scan = dockerfile::scan(text);
//! let found = &scan.refs[0];
//! let digest = Digest::sha256_of(b"the index node:18 names today");
//! let pinned = pinned_text(&found.written, found.reference().unwrap(), &digest);
//! let out = apply_edits(text, &[Edit::new(found.span.clone(), pinned)])?;
//! assert_eq!(out, format!("# build\nFROM node:18@{digest} AS build\nRUN npm ci\nFROM build\n"));
//! # Ok::<(), boltseal_pin::Error>(())
//! ```

pub mod dockerfile;
mod error;
mod files;
pub mod kubernetes;
mod pin;
mod resolve;
mod rewrite;
mod scan;
mod shell;

pub use error::{Error, Result};
pub use files::{MAX_FILE_BYTES, collect_files, read_text, write_atomic};
pub use pin::{
    Entry, FileReport, Options, Report, State, edits_for, pin_paths, rewrite_checked, scan,
    state_of,
};
pub use resolve::{Resolver, tag_key};
pub use rewrite::{Edit, apply_edits, pinned_text};
pub use scan::{FileKind, Finding, ImageRef, Origin, Rule, Scan, Target};
