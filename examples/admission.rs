//! `admission`: Kyverno's admission webhook for image policies; see ARCHITECTURE.md.

mod common;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use boltseal::admission::shutdown_signal;
use boltseal::admission::{PolicyReviewer, ReloadingNamespaceLabels, Webhook, namespaces, tls};
use boltseal::oci::RegistryOptions;
use boltseal::policy::{Engine, PolicySet, RegistryVerifier};
use clap::Parser;
use common::{Code, Context, Failure};

/// Kubernetes admission webhook enforcing Kyverno image policies
#[derive(Parser, Debug)]
#[command(name = "admission")]
struct Args {
    /// Policy file or directory of Kyverno ClusterPolicy / Policy YAML (repeatable).
    #[arg(long, required = true)]
    policy: Vec<PathBuf>,
    /// Serving certificate chain (PEM, leaf first); reloaded when the file changes.
    #[arg(long)]
    tls_cert: PathBuf,
    /// Serving private key (PEM: PKCS #8, PKCS #1 or SEC1).
    #[arg(long)]
    tls_key: PathBuf,
    /// Address to listen on.
    #[arg(long, default_value = "0.0.0.0:8443")]
    addr: SocketAddr,
    /// How long successful verifications are remembered, in seconds.
    #[arg(long, default_value_t = 3600)]
    cache_ttl: u64,
    /// Allow plain HTTP to registries that are not on a loopback address.
    #[arg(long)]
    allow_http_registry: bool,
    /// Namespace labels for namespaceSelector (YAML/JSON map or Namespace objects), reloaded.
    #[arg(long, value_name = "FILE")]
    namespace_labels: Option<PathBuf>,
}

fn main() -> ExitCode {
    common::args().and_then(run).unwrap_or_else(common::report)
}

fn run(args: Args) -> Result<ExitCode, Failure> {
    // Unreadable and invalid inputs alike are input errors (2).
    let policies = PolicySet::from_paths(&args.policy).code(2)?;
    if policies.policies().is_empty() {
        return Err(Failure::usage("no policies found in the --policy paths"));
    }
    let open = |path| ReloadingNamespaceLabels::open(path).map(|s| s.with_report(report(path)));
    let namespaces = args.namespace_labels.as_deref().map(open);
    let namespaces = namespaces.transpose().code(2)?;
    for warning in policies.warnings() {
        eprintln!("warning: {}", warning.replace('\n', " "));
    }
    let config = Arc::new(tls::server_config(&args.tls_cert, &args.tls_key).code(2)?);
    let count = policies.policies().len();
    let ttl = Duration::from_secs(args.cache_ttl);
    let registry = RegistryOptions::new().allow_http(args.allow_http_registry);
    let verifier = Arc::new(RegistryVerifier::new(registry, ttl));
    let engine = Engine::new(policies, verifier).with_cache_ttl(ttl);
    let mut reviewer = PolicyReviewer::new(Arc::new(engine));
    if let Some(source) = namespaces {
        reviewer = reviewer.with_namespace_labels(Arc::new(source));
    }
    let webhook = Webhook::new(reviewer);
    common::runtime().block_on(async move {
        let listener = tokio::net::TcpListener::bind(args.addr).await;
        let listener = listener.code(2).context(args.addr)?;
        let local = listener.local_addr().unwrap_or(args.addr);
        eprintln!("listening on https://{local} ({count} policies)");
        // From here on, what the server reports goes to stderr as JSON lines (for log collectors).
        let _ = tracing_subscriber::fmt()
            .json()
            .with_max_level(tracing::Level::INFO)
            .with_current_span(false)
            .with_target(false)
            .with_writer(std::io::stderr)
            .try_init();
        let serving = webhook.serve(listener, config, shutdown_signal()).await;
        serving.code(1)?;
        Ok(ExitCode::SUCCESS)
    })
}

/// Prints what a reload of the namespace-labels file did, on one stderr line.
fn report(path: &Path) -> namespaces::ReloadReport {
    let shown = path.display().to_string();
    Box::new(move |result| match result {
        Ok(n) => eprintln!("namespace labels reloaded from {shown} ({n} namespaces)"),
        Err(e) => {
            let e = e.to_string().replace('\n', " ");
            eprintln!("warning: namespace labels not reloaded, keeping the previous ones: {e}");
        }
    })
}
