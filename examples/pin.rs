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

use boltseal::oci::{ErrorKind, RegistryOptions};
use boltseal::pin::{Error, Options, Report, State, pin_paths};
use clap::Parser;
use serde_json::{Value, json};

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
    let args = match common::parse_args::<Args>() {
        Ok(a) => a,
        Err(code) => return code,
    };
    common::runtime().block_on(run(args))
}

async fn run(args: Args) -> ExitCode {
    let options = Options::new()
        .write(args.write)
        .offline(args.offline)
        .registry(RegistryOptions::new().allow_http(args.allow_http_registry));
    let report = match pin_paths(&args.paths, &options).await {
        Ok(r) => r,
        Err(e) => return common::fail(e, 2),
    };
    if args.json {
        println!("{}", to_json(&report));
    } else {
        print_lines(&report);
    }
    // Errors: one line each on stderr; usage and input errors are 2, missing tags and
    // registry failures 1.
    let mut code = 0u8;
    for file in &report.files {
        if let Some(e) = &file.error {
            eprintln!("error: {}", one_line(&e.to_string()));
            code = code.max(exit_for(e));
        }
        for entry in &file.entries {
            if let State::Failed { error } = &entry.state {
                eprintln!(
                    "error: {}:{}: {}",
                    file.path.display(),
                    entry.image.line,
                    one_line(&error.to_string())
                );
                code = code.max(exit_for(error));
            }
        }
        if file.rewritten > 0 && !args.json {
            eprintln!(
                "wrote {}: {} reference(s) pinned",
                file.path.display(),
                file.rewritten
            );
        }
    }
    if code == 0 && args.check && report.needs_attention() {
        code = 1;
    }
    ExitCode::from(code)
}

fn exit_for(e: &Error) -> u8 {
    match e.store_kind() {
        Some(ErrorKind::Usage) => 2,
        Some(_) => 1,
        None => match e {
            Error::File { source, .. } => exit_for(source),
            Error::Changed { .. } | Error::RewriteCheck { .. } => 1,
            _ => 2,
        },
    }
}

fn one_line(s: &str) -> String {
    s.replace('\n', " ")
}

fn print_lines(report: &Report) {
    for file in &report.files {
        let path = file.path.display();
        for e in &file.entries {
            let image = &e.image.written;
            let line = e.image.line;
            match &e.state {
                State::Unpinned { current: Some(d) } => {
                    println!("{path}:{line}: unpinned {image} (tag now {d})")
                }
                State::Unpinned { current: None } => println!("{path}:{line}: unpinned {image}"),
                State::Pinned { verified: true, .. } => println!("{path}:{line}: pinned {image}"),
                State::Pinned {
                    verified: false, ..
                } => println!("{path}:{line}: pinned {image} (tag not checked)"),
                State::Stale { current, .. } => {
                    println!("{path}:{line}: stale {image} (tag now {current})")
                }
                State::Unsupported { reason } => {
                    println!("{path}:{line}: unsupported {image} ({reason})")
                }
                State::Failed { .. } => println!("{path}:{line}: error {image}"),
                _ => println!("{path}:{line}: {} {image}", e.state.as_str()),
            }
        }
        for f in &file.findings {
            println!(
                "{path}:{}: finding {}: {}",
                f.line,
                f.rule.as_str(),
                f.message
            );
        }
    }
}

fn to_json(report: &Report) -> Value {
    let files: Vec<Value> = report
        .files
        .iter()
        .map(|file| {
            let references: Vec<Value> = file
                .entries
                .iter()
                .map(|e| {
                    let mut v = json!({
                        "line": e.image.line,
                        "image": e.image.written,
                        "origin": e.image.origin.describe(),
                        "state": e.state.as_str(),
                    });
                    match &e.state {
                        State::Unpinned { current } => {
                            v["current"] = json!(current.map(|d| d.to_string()));
                        }
                        State::Pinned { digest, verified } => {
                            v["digest"] = json!(digest.to_string());
                            v["verified"] = json!(verified);
                        }
                        State::Stale { pinned, current } => {
                            v["digest"] = json!(pinned.to_string());
                            v["current"] = json!(current.to_string());
                        }
                        State::Unsupported { reason } => v["reason"] = json!(reason),
                        State::Failed { error } => v["error"] = json!(error.to_string()),
                        _ => {}
                    }
                    v
                })
                .collect();
            let findings: Vec<Value> = file
                .findings
                .iter()
                .map(|f| json!({"line": f.line, "rule": f.rule.as_str(), "message": f.message}))
                .collect();
            json!({
                "path": file.path.display().to_string(),
                "kind": file.kind.as_str(),
                "references": references,
                "findings": findings,
                "rewritten": file.rewritten,
                "error": file.error.as_ref().map(|e| e.to_string()),
            })
        })
        .collect();
    json!({ "files": files, "needs_attention": report.needs_attention() })
}
