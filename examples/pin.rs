//! `pin`: pin image references to digests (Renovate / Dependabot); see ARCHITECTURE.md.

mod common;

use std::path::PathBuf;
use std::process::ExitCode;

use boltseal::oci::RegistryOptions;
use boltseal::pin::{Options, pin_paths};
use clap::Parser;
use common::{Code as _, Failure};

/// Pin image references in Dockerfiles and Kubernetes manifests to digests
#[derive(Parser, Debug)]
#[command(name = "pin")]
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
    let pin = |args| common::runtime().block_on(run(args));
    common::args::<Args>()
        .and_then(pin)
        .unwrap_or_else(common::report)
}

async fn run(args: Args) -> Result<ExitCode, Failure> {
    let registry = RegistryOptions::new().allow_http(args.allow_http_registry);
    let options = Options::new().write(args.write).offline(args.offline);
    let report = pin_paths(&args.paths, &options.registry(registry)).await;
    let report = report.map_err(|e| Failure::new(&e, e.exit_code()))?;
    if args.json {
        println!("{}", serde_json::to_string(&report).code(1)?);
    } else {
        print!("{report}");
    }
    // Errors: one line each on stderr, the worst exit status wins.
    let mut code = 0u8;
    for file in &report.files {
        for (message, e) in file.errors() {
            eprintln!("error: {}", message.replace('\n', " "));
            code = code.max(e.exit_code());
        }
        if file.rewritten > 0 && !args.json {
            let (path, n) = (file.path.display(), file.rewritten);
            eprintln!("wrote {path}: {n} reference(s) pinned");
        }
    }
    if code == 0 && args.check && report.needs_attention() {
        code = 1;
    }
    Ok(ExitCode::from(code))
}
