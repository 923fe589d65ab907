//! `policy-apply --policy P... --resource R... [--allow-http-registry] [--offline]`: applies
//! Kyverno policies to resources (stands in for `kyverno apply`). `P` and `R` are files or
//! directories of multi-document YAML.
//!
//! Each resource goes through the mutate phase (image verification, digest pinning) and then
//! the validate phase on the patched resource, as Kyverno's webhooks would. One JSON object
//! per rule result on stdout:
//! `{"policy":…,"rule":…,"resource":"Kind/namespace/name","result":"pass|fail|skip|error|warn","message":…}`
//! with `"patches": [RFC 6902 operations]` when the rule mutates. Warnings about policies
//! (features that behave differently from Kyverno) go to stderr as `warning:` lines.
//!
//! Exit status: 0 when nothing blocks, 1 when an Enforce rule fails or a rule errors under
//! `failurePolicy: Fail`, 2 for usage errors and unreadable or invalid policies/resources.

mod common;
mod policy_flags;

use std::path::PathBuf;
use std::process::ExitCode;

use boltseal::policy::{AdmissionInput, Engine, Operation, Phase, PolicySet, load_resources};
use clap::Parser;
use common::{Code, Failure};
use serde_json::json;

#[derive(Parser, Debug)]
#[command(name = "policy-apply", about = "Apply Kyverno policies to resources")]
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
    run().unwrap_or_else(common::report)
}

fn run() -> Result<ExitCode, Failure> {
    let args: Args = common::args()?;
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
        for (policy, rule) in response.results() {
            let mut line = json!({
                "policy": policy.qualified_name(),
                "rule": rule.rule,
                "resource": response.resource.to_string(),
                "result": rule.status.as_str(),
                "message": rule.message,
            });
            if !rule.patches.is_empty() {
                line["patches"] = rule.patches.iter().map(|p| p.to_json()).collect();
            }
            println!("{line}");
        }
    }
    Ok(if blocked {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}
