//! `sbom IMAGE [-o FORMAT] [--file OUT] [--platform P]`: an SBOM of an image's packages, as
//! `syft IMAGE -o spdx-json` writes it.
//!
//! `IMAGE` is `oci:DIR[:TAG|@DIGEST]` (also `oci-dir:DIR`), a registry reference
//! (`registry:` and `docker://` prefixes accepted), `oci-archive:FILE[:TAG]`,
//! `docker-archive:FILE` or `dir:PATH`. `FORMAT` is `spdx-json` (SPDX 2.3, the default) or
//! `cyclonedx-json[@1.5|@1.6]`. The document goes to standard output or `--file OUT` (written
//! atomically); a progress line is drawn on standard error only when it is a terminal.
//! Exit status: 0 written, 1 the image or a blob is missing or fails verification, 2 usage or
//! input error (a malformed or hostile layer, an unknown format).

mod common;

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

use boltseal::oci::Platform;
use boltseal::sbom::{Format, WriteOptions};
use boltseal::scan::{Progress, ScanOptions, Source};
use boltseal_core::fs::{AtomicWrite, write_atomic};
use boltseal_core::{Classify, ErrorKind, Timestamp};
use clap::Parser;
use common::{Code, Context, Failure};

/// Generate an SBOM of a container image or directory.
#[derive(Parser)]
#[command(name = "sbom")]
struct Args {
    /// The image: oci:DIR[:TAG|@DIGEST], REGISTRY/REPO[:TAG|@DIGEST], oci-archive:FILE,
    /// docker-archive:FILE or dir:PATH.
    image: String,
    /// Output format: spdx-json (default) or cyclonedx-json[@1.5|@1.6].
    #[arg(short = 'o', long = "output", default_value = "spdx-json")]
    format: String,
    /// Write to this file instead of standard output.
    #[arg(long)]
    file: Option<PathBuf>,
    /// The platform to pick from a multi-platform image (os/arch[/variant]).
    #[arg(long)]
    platform: Option<String>,
    /// Allow plain HTTP to a non-loopback registry.
    #[arg(long)]
    allow_http_registry: bool,
    /// No progress output.
    #[arg(short, long)]
    quiet: bool,
}

fn progress_bar() -> boltseal::scan::ProgressFn {
    let total_layers = Arc::new(AtomicUsize::new(0));
    let total_bytes = Arc::new(AtomicU64::new(0));
    let done_layers = Arc::new(AtomicUsize::new(0));
    let done_bytes = Arc::new(AtomicU64::new(0));
    Arc::new(move |p: &Progress| {
        let mut err = std::io::stderr().lock();
        match p {
            Progress::Resolved { layers, bytes } => {
                total_layers.store(*layers, Ordering::Relaxed);
                total_bytes.store(*bytes, Ordering::Relaxed);
            }
            Progress::LayerDone { bytes, .. } => {
                let n = done_layers.fetch_add(1, Ordering::Relaxed) + 1;
                let b = done_bytes.fetch_add(*bytes, Ordering::Relaxed) + bytes;
                let _ = write!(
                    err,
                    "\r\x1b[Klayers {n}/{} ({} of {})",
                    total_layers.load(Ordering::Relaxed),
                    common::human_size(b),
                    common::human_size(total_bytes.load(Ordering::Relaxed))
                );
            }
            Progress::Cataloguing => {
                let _ = write!(err, "\r\x1b[Kcataloguing packages");
            }
            _ => {}
        }
        let _ = err.flush();
    })
}

fn main() -> ExitCode {
    run().map_or_else(common::report, |()| ExitCode::SUCCESS)
}

/// Scans the image and writes its SBOM; a failure carries its exit status.
fn run() -> Result<(), Failure> {
    let args: Args = common::args()?;
    let format: Format = args.format.parse()?;
    let source: Source = args.image.parse()?;
    let mut options = ScanOptions::new()
        .registry(boltseal::oci::RegistryOptions::new().allow_http(args.allow_http_registry));
    if let Some(p) = &args.platform {
        options = options.platform(p.parse::<Platform>().code(2)?);
    }
    let show_progress = !args.quiet && std::io::stderr().is_terminal();
    if show_progress {
        options = options.progress(progress_bar());
    }
    let result = common::runtime().block_on(boltseal::scan::scan(&source, &options));
    if show_progress {
        eprint!("\r\x1b[K");
    }
    let scan = result.map_err(|e| {
        let code = match &e {
            boltseal::scan::Error::Store(s) => Classify::kind(s).exit_code(),
            // A malformed or hostile layer (a limit) and local I/O are input errors.
            _ => match e.kind() {
                ErrorKind::InvalidInput | ErrorKind::LimitExceeded | ErrorKind::Io => 2,
                _ => 1,
            },
        };
        Failure::new(&e, code)
    })?;
    let opts = WriteOptions::new().created_at(Timestamp::now());
    let mut out = boltseal::scan::sbom::write(&scan, format, &opts).code(2)?;
    out.push(b'\n');
    match &args.file {
        Some(path) => write_atomic(path, &out, AtomicWrite::replace()).code(2),
        None => std::io::stdout().lock().write_all(&out).code(2),
    }
    .context("cannot write the output")
}
