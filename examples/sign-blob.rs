//! `sign-blob --key K --bundle OUT FILE`: sign a file into a Sigstore bundle v0.3 (message
//! signature, public-key hint), as `cosign sign-blob --key --bundle` does without a log.

mod common;

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use boltseal::sign::sign_blob;
use clap::Parser;

#[derive(Parser, Debug)]
#[command(name = "sign-blob", about = "Sign a file into a Sigstore bundle")]
struct Args {
    /// Private key file.
    #[arg(long)]
    key: PathBuf,
    /// Where to write the bundle.
    #[arg(long)]
    bundle: PathBuf,
    /// The file to sign.
    file: PathBuf,
}

fn main() -> ExitCode {
    let args = match common::parse_args::<Args>() {
        Ok(a) => a,
        Err(code) => return code,
    };
    let data = match std::fs::read(&args.file) {
        Ok(d) => d,
        Err(e) => return common::fail(format!("{}: {e}", args.file.display()), 2),
    };
    let key = match common::load_private_key(&args.key) {
        Ok(k) => k,
        Err(code) => return code,
    };
    let bundle = match sign_blob(&data, &key) {
        Ok(b) => b,
        Err(e) => return common::fail(e, 1),
    };
    // Write next to the target and rename, so an interrupted run never leaves half a bundle.
    let dir = args
        .bundle
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(std::path::Path::new("."));
    let tmp = dir.join(format!(".sign-blob.tmp-{}", std::process::id()));
    let written = std::fs::File::create(&tmp)
        .and_then(|mut f| f.write_all(&bundle).and_then(|()| f.sync_all()))
        .and_then(|()| std::fs::rename(&tmp, &args.bundle));
    if let Err(e) = written {
        let _ = std::fs::remove_file(&tmp);
        return common::fail(format!("{}: {e}", args.bundle.display()), 2);
    }
    eprintln!("Wrote bundle to file {}", args.bundle.display());
    ExitCode::SUCCESS
}
