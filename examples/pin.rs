//! `pin [--check] [--write] [--json] PATH...`: pin image references in Dockerfiles and
//! Kubernetes manifests to the digests their registries serve, and find stale pins (stands in
//! for Renovate's / Dependabot's digest pinning).
//!
//! ```text
//! cargo run --example pin -- .                        # list every reference and its state
//! cargo run --example pin -- --check deploy/ Dockerfile   # exit 1 if anything is unpinned or stale
//! cargo run --example pin -- --write .                # pin and update in place
//! ```
//!
//! Output, one line each: `FILE:LINE: STATE IMAGE [DETAIL]` (STATE `unpinned`, `pinned`,
//! `stale`, `unsupported`), then `FILE:LINE: finding RULE: MESSAGE`. With `--json`, one JSON
//! document instead.

mod common;

use std::path::PathBuf;
use std::process::ExitCode;

use boltseal::oci::RegistryOptions;
use boltseal::pin::{Error, Options, State, pin_paths};
use boltseal_core::Classify;
use clap::Parser;

#[derive(Parser, Debug)]
#[command(
    name = "pin",
    about = "Pin image references in Dockerfiles and Kubernetes manifests to digests"
)]
struct Args {
    /// Exit 1 when a reference is unpinned, stale or unsupported, or a finding exists (after
    /// --write, what it fixed counts as fixed).
    #[arg(long)]
    check: bool,
    /// Rewrite unpinned and stale references in place (atomically, nothing else changes).
    #[arg(long)]
    write: bool,
    /// One JSON document on stdout instead of lines.
    #[arg(long)]
    json: bool,
    /// Do not contact registries: report what the files say.
    #[arg(long, conflicts_with = "write")]
    offline: bool,
    /// Allow plain HTTP to registries that are not on a loopback address.
    #[arg(long)]
    allow_http_registry: bool,
    /// Files and directories (walked for Dockerfile*, Containerfile*, *.dockerfile, *.yaml, *.yml).
    #[arg(required = true)]
    paths: Vec<PathBuf>,
}

fn main() -> ExitCode {
    match common::args::<Args>() {
        Ok(args) => common::runtime().block_on(run(args)),
        Err(failure) => common::report(failure),
    }
}

async fn run(args: Args) -> ExitCode {
    let options = Options::new()
        .write(args.write)
        .offline(args.offline)
        .registry(RegistryOptions::new().allow_http(args.allow_http_registry));
    let report = match pin_paths(&args.paths, &options).await {
        Ok(r) => r,
        Err(e) => return common::fail(&e, exit_code(&e)),
    };
    if args.json {
        match serde_json::to_string(&report) {
            Ok(json) => println!("{json}"),
            Err(e) => return common::fail(e, 1),
        }
    } else {
        print!("{report}");
    }
    // Errors: one line each on stderr, the worst exit status wins.
    let mut code = 0u8;
    let mut error = |message: String, e: &Error| {
        eprintln!("error: {}", message.replace('\n', " "));
        code = code.max(exit_code(e));
    };
    for file in &report.files {
        if let Some(e) = &file.error {
            error(e.to_string(), e);
        }
        for entry in &file.entries {
            if let State::Failed { error: e } = &entry.state {
                error(
                    format!("{}:{}: {e}", file.path.display(), entry.image.line),
                    e,
                );
            }
        }
        if file.rewritten > 0 && !args.json {
            let (path, n) = (file.path.display(), file.rewritten);
            eprintln!("wrote {path}: {n} reference(s) pinned");
        }
    }
    if code == 0 && args.check && report.needs_attention() {
        code = 1;
    }
    ExitCode::from(code)
}

/// The contract's exit statuses: a path or file that cannot be read (or is over the size
/// limit) is an input error, 2; otherwise the error's kind decides (a missing tag, a registry
/// failure, a file changed meanwhile: 1; plain HTTP refused, invalid YAML: 2).
fn exit_code(e: &Error) -> u8 {
    match e {
        Error::Io { .. } | Error::TooLarge { .. } => 2,
        Error::File { source, .. } => exit_code(source),
        e => e.kind().exit_code(),
    }
}
