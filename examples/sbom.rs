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
use clap::Parser;

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

/// RFC 3339 UTC time of now (for the document's creation time).
fn now_rfc3339() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem / 60 % 60,
        rem % 60
    )
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
    let args = match common::parse_args::<Args>() {
        Ok(a) => a,
        Err(code) => return code,
    };
    let format: Format = match args.format.parse() {
        Ok(f) => f,
        Err(e) => return common::fail(e, 2),
    };
    let source: Source = match args.image.parse() {
        Ok(s) => s,
        Err(e) => return common::fail(e, 2),
    };
    let mut options = ScanOptions::new()
        .registry(boltseal::oci::RegistryOptions::new().allow_http(args.allow_http_registry));
    if let Some(p) = &args.platform {
        match p.parse::<Platform>() {
            Ok(p) => options = options.platform(p),
            Err(e) => return common::fail(e, 2),
        }
    }
    let show_progress = !args.quiet && std::io::stderr().is_terminal();
    if show_progress {
        options = options.progress(progress_bar());
    }
    let rt = common::runtime();
    let result = rt.block_on(boltseal::scan::scan(&source, &options));
    if show_progress {
        eprint!("\r\x1b[K");
    }
    let scan = match result {
        Ok(s) => s,
        Err(e) => {
            let code = match &e {
                boltseal::scan::Error::Store(s) => common::store_exit(s),
                boltseal::scan::Error::Io { source, .. }
                    if source.kind() == std::io::ErrorKind::NotFound =>
                {
                    1
                }
                boltseal::scan::Error::Io { .. } => 2,
                boltseal::scan::Error::NotFound { .. } => 1,
                boltseal::scan::Error::DigestMismatch { .. } => 1,
                _ => 2,
            };
            return common::fail(e, code);
        }
    };
    let opts = WriteOptions::new().created(now_rfc3339());
    let mut out = match boltseal::scan::sbom::write(&scan, format, &opts) {
        Ok(b) => b,
        Err(e) => return common::fail(e, 2),
    };
    out.push(b'\n');
    let written = match &args.file {
        Some(path) => write_atomically(path, &out),
        None => std::io::stdout().lock().write_all(&out),
    };
    match written {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => common::fail(format!("cannot write the output: {e}"), 2),
    }
}

/// Writes to a temporary file next to `path`, then renames it into place.
fn write_atomically(path: &std::path::Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(std::path::Path::new("."));
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
    let result = std::fs::write(&tmp, bytes).and_then(|()| std::fs::rename(&tmp, path));
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}
