//! `policy-apply`: apply Kyverno policies to resources (`kyverno apply`); see ARCHITECTURE.md.

mod common;
mod policy_flags;

use std::path::PathBuf;
use std::process::ExitCode;

use boltseal::policy::{AdmissionInput, Engine, Operation, Phase, PolicySet, load_resources};
use clap::Parser;
use common::{Code, Failure};

/// Apply Kyverno policies to resources
#[derive(Parser, Debug)]
#[command(name = "policy-apply")]
struct Args {
    /// Policy files or directories (repeatable).
    #[arg(long = "policy", required = true)]
    policies: Vec<PathBuf>,
    /// Resource files or directories (repeatable).
    #[arg(long = "resource", required = true)]
    resources: Vec<PathBuf>,
    #[command(flatten)]
    verify: policy_flags::VerifierFlags,
}

fn main() -> ExitCode {
    common::args().and_then(run).unwrap_or_else(common::report)
}

fn run(args: Args) -> Result<ExitCode, Failure> {
    // Unreadable and invalid inputs alike are input errors (2).
    let policies = PolicySet::from_paths(&args.policies).code(2)?;
    for w in policies.warnings() {
        eprintln!("warning: {w}");
    }
    let resources = load_resources(&args.resources).code(2)?;
    let engine = Engine::new(policies, args.verify.verifier());
    let rt = common::runtime();
    let mut blocked = false;
    for (_, resource) in resources {
        let input = AdmissionInput::new(Phase::Validate, Operation::Create, resource);
        let response = rt.block_on(engine.apply(&input));
        blocked |= !response.allowed();
        for object in response.result_objects() {
            println!("{object}");
        }
    }
    Ok(ExitCode::from(u8::from(blocked)))
}
