//! `sign-blob`: cosign sign-blob --bundle (contract: ARCHITECTURE.md).

mod common;
mod tlog;

use std::path::PathBuf;
use std::process::ExitCode;

use boltseal::core::fs::{AtomicWrite, write_atomic};
use boltseal::sign::{sign_blob_bytes, sign_blob_logged};
use clap::Parser;
use common::{Code, Context, Failure};

#[derive(Parser, Debug)]
#[command(name = "sign-blob", about = "Sign a file into a Sigstore bundle")]
struct Args {
    /// Private key file.
    #[arg(long)]
    key: PathBuf,
    /// Where to write the bundle.
    #[arg(long)]
    bundle: PathBuf,
    #[command(flatten)]
    tlog: tlog::TlogArgs,
    /// The file to sign.
    file: PathBuf,
}

fn main() -> ExitCode {
    run().unwrap_or_else(common::report)
}

fn run() -> Result<ExitCode, Failure> {
    let args: Args = common::args()?;
    let data = common::read(&args.file)?;
    let key = common::private_key(&args.key)?;
    let bundle = match args.tlog.log()? {
        Some(log) => common::runtime()
            .block_on(sign_blob_logged(&data, &key, &log))
            .context("sign-blob")?,
        None => sign_blob_bytes(&data, &key).code(1)?,
    }
    .to_bytes();
    // Written next to the target and renamed, so an interrupted run never leaves half a bundle.
    write_atomic(&args.bundle, &bundle, AtomicWrite::replace())
        .code(2)
        .context("sign-blob")?;
    eprintln!("Wrote bundle to file {}", args.bundle.display());
    Ok(ExitCode::SUCCESS)
}
