//! The transparency-log flags `sign`, `sign-blob` and `attest` share (cosign 3's).

use std::path::PathBuf;

use boltseal::sign::Log;
use clap::{ArgAction, Args};

use crate::common::{Context, Failure};

/// `--tlog-upload[=BOOL]`, `--signing-config F`, `--trusted-root F`.
#[derive(Args, Debug)]
pub(crate) struct TlogArgs {
    /// Upload the signature to the transparency log (`--tlog-upload=false`: sign without one).
    #[arg(long, action = ArgAction::Set, default_value_t = true, num_args = 0..=1,
          default_missing_value = "true", require_equals = true)]
    tlog_upload: bool,
    /// Sigstore signing configuration (signing_config.json v0.2) naming the transparency log.
    #[arg(long)]
    signing_config: Option<PathBuf>,
    /// Sigstore trusted root (trusted_root.json) listing the log's key.
    #[arg(long)]
    trusted_root: Option<PathBuf>,
}

impl TlogArgs {
    /// The log to write to, or `None` with `--tlog-upload=false`.
    pub(crate) fn log(&self) -> Result<Option<Log>, Failure> {
        if !self.tlog_upload {
            return Ok(None);
        }
        let Some(config) = &self.signing_config else {
            return Err(Failure::usage(
                "no transparency log configured: pass --signing-config FILE --trusted-root FILE, \
                 or --tlog-upload=false to sign without a log",
            ));
        };
        let Some(root) = &self.trusted_root else {
            return Err(Failure::usage(
                "--signing-config needs --trusted-root FILE (the root listing the log's key)",
            ));
        };
        Log::from_files(config, root)
            .map(Some)
            .context("transparency log")
    }
}
