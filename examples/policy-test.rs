//! `policy-test`: run `kyverno-test.yaml` files (`kyverno test`); see ARCHITECTURE.md.

mod common;
mod policy_flags;

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use boltseal::policy::testing::{discover, run_test_file};
use clap::Parser;
use common::{Code, Failure};

/// Run kyverno-test.yaml files
#[derive(Parser, Debug)]
#[command(name = "policy-test")]
struct Args {
    /// Directories (searched recursively) or kyverno-test.yaml files.
    #[arg(required = true)]
    dirs: Vec<PathBuf>,
    #[command(flatten)]
    verify: policy_flags::VerifierFlags,
    /// Print only the mismatches and the summary.
    #[arg(long)]
    fail_only: bool,
}

fn main() -> ExitCode {
    common::args().and_then(run).unwrap_or_else(common::report)
}

fn run(args: Args) -> Result<ExitCode, Failure> {
    let verifier = args.verify.verifier();
    let mut files = Vec::new();
    for dir in &args.dirs {
        files.extend(discover(dir).code(2)?);
    }
    if files.is_empty() {
        return Err(Failure::usage("no kyverno-test.yaml found"));
    }
    let rt = common::runtime();
    let (mut passed, mut failed) = (0usize, 0usize);
    for file in &files {
        let report = rt.block_on(run_test_file(file, Arc::clone(&verifier)));
        for c in &report.code(2)?.cases {
            *if c.ok { &mut passed } else { &mut failed } += 1;
            if args.fail_only && c.ok {
                continue;
            }
            let (mark, path) = (if c.ok { "PASS" } else { "FAIL" }, file.display());
            let (expected, actual) = (c.expected, c.actual.map_or("none", |a| a.as_str()));
            print!(
                "{mark}  {path} policy={} rule={} resource={}",
                c.policy, c.rule, c.resource
            );
            println!(" expected={expected} actual={actual}  {}", c.reason);
        }
    }
    println!("{passed} passed, {failed} failed");
    Ok(ExitCode::from(u8::from(failed > 0)))
}
