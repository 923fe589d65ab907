//! `policy-test DIR...`: runs every `kyverno-test.yaml` under the directories (stands in for
//! `kyverno test`). One line per expected result:
//! `PASS|FAIL  <test> policy=<p> rule=<r> resource=<res> expected=<e> actual=<a>  <reason>`,
//! then a summary line `N passed, M failed`. Exit 1 when any result does not match, 2 when a
//! test, policy or resource cannot be loaded.
//!
//! Verification reaches registries like `policy-apply` (`--allow-http-registry` for plain HTTP
//! registries that are not on loopback); `--offline` uses no network (verifications are
//! errors).

mod common;

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use boltseal::oci::RegistryOptions;
use boltseal::policy::testing::{discover, run_test_file};
use boltseal::policy::{Offline, RegistryImageVerifier, Verifier};
use clap::Parser;

#[derive(Parser, Debug)]
#[command(name = "policy-test", about = "Run kyverno-test.yaml files")]
struct Args {
    /// Directories (searched recursively) or kyverno-test.yaml files.
    #[arg(required = true)]
    dirs: Vec<PathBuf>,
    /// Allow plain-HTTP registries that are not on loopback.
    #[arg(long)]
    allow_http_registry: bool,
    /// Never contact a registry.
    #[arg(long)]
    offline: bool,
    /// Print only the mismatches and the summary.
    #[arg(long)]
    fail_only: bool,
}

fn main() -> ExitCode {
    let args = match common::parse_args::<Args>() {
        Ok(a) => a,
        Err(code) => return code,
    };
    let verifier: Arc<dyn Verifier> = if args.offline {
        Arc::new(Offline)
    } else {
        Arc::new(RegistryImageVerifier::new(
            RegistryOptions::new().allow_http(args.allow_http_registry),
            Duration::from_secs(300),
        ))
    };
    let mut files = Vec::new();
    for dir in &args.dirs {
        match discover(dir) {
            Ok(f) => files.extend(f),
            Err(e) => return common::fail(e, 2),
        }
    }
    if files.is_empty() {
        return common::fail("no kyverno-test.yaml found", 2);
    }
    let rt = common::runtime();
    let (mut passed, mut failed) = (0usize, 0usize);
    for file in &files {
        let report = match rt.block_on(run_test_file(file, Arc::clone(&verifier))) {
            Ok(r) => r,
            Err(e) => return common::fail(e, 2),
        };
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
    if failed > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}
