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
    run().unwrap_or_else(common::report)
}

fn run() -> Result<ExitCode, Failure> {
    let args: Args = common::args()?;
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
        let report = rt
            .block_on(run_test_file(file, Arc::clone(&verifier)))
            .code(2)?;
        for c in &report.cases {
            if c.ok {
                passed += 1;
            } else {
                failed += 1;
            }
            if args.fail_only && c.ok {
                continue;
            }
            println!(
                "{}  {} policy={} rule={} resource={} expected={} actual={}  {}",
                if c.ok { "PASS" } else { "FAIL" },
                file.display(),
                c.policy,
                c.rule,
                c.resource,
                c.expected,
                c.actual.map_or("none", |a| a.as_str()),
                c.reason
            );
        }
    }
    println!("{passed} passed, {failed} failed");
    Ok(if failed > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}
