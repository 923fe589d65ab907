//! Helpers shared by the `formats_*` integration tests.
#![allow(
    dead_code,
    unreachable_pub,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]

use std::path::{Path, PathBuf};

/// The upstream corpus directory (`../shared/corpus` next to the repository), when present:
/// skips loudly outside CI and panics under `CI=true` when it is missing.
pub fn shared_corpus() -> Option<PathBuf> {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus");
    if p.is_dir() {
        Some(p)
    } else {
        if std::env::var_os("CI").is_some() {
            panic!("../shared/corpus is required in CI");
        }
        eprintln!("SKIPPED: ../shared/corpus is not present (only CI has it)");
        None
    }
}

/// A file of the corpus, read whole.
pub fn corpus_file(rel: &str) -> Option<Vec<u8>> {
    let root = shared_corpus()?;
    let p = root.join(rel);
    Some(std::fs::read(&p).unwrap_or_else(|e| panic!("reading {}: {e}", p.display())))
}
