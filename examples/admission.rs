//! `admission --policy DIR --tls-cert C --tls-key K [--addr A] [--namespace-labels FILE]`: the
//! Kubernetes admission
//! webhook (stands in for Kyverno's admission controller for image policies). Serves
//! AdmissionReview v1 over HTTPS: `POST /mutate` verifies images and pins them to digests,
//! `POST /validate` enforces, `GET /healthz` answers `ok`.
//!
//! Prints `listening on https://ADDR (N policies)` on stderr once it accepts connections, and
//! one `warning:` line per policy feature that behaves differently from Kyverno. With
//! `--namespace-labels`, `namespaceSelector` sees the labels the file gives each namespace
//! (reloaded when the file changes: `namespace labels reloaded from FILE (N namespaces)`, or a
//! `warning:` line keeping the previous labels when the new file is invalid). Stops
//! gracefully on SIGTERM or Ctrl-C (exit 0). Unreadable policies, certificates or namespace
//! labels, or an address that cannot be bound, are one `error:` line and exit 2.

mod common;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use boltseal::admission::{PolicyReviewer, ReloadingNamespaceLabels, Webhook, namespaces, tls};
use boltseal::oci::RegistryOptions;
use boltseal::policy::{Engine, PolicySet, RegistryVerifier};
use clap::Parser;
use common::{Code, Context, Failure};

#[derive(Parser, Debug)]
#[command(
    name = "admission",
    about = "Kubernetes admission webhook enforcing Kyverno image policies"
)]
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
    /// Labels of the cluster's namespaces, for namespaceSelector: YAML or JSON mapping each
    /// namespace to its labels, or Namespace objects (`kubectl get ns -o yaml`); reloaded when
    /// the file changes. Namespaces it does not list have no labels.
    #[arg(long, value_name = "FILE")]
    namespace_labels: Option<PathBuf>,
}

fn main() -> ExitCode {
    run().unwrap_or_else(common::report)
}

fn run() -> Result<ExitCode, Failure> {
    let args: Args = common::args()?;
    // Unreadable and invalid inputs alike are input errors (2).
    let policies = PolicySet::from_paths(&args.policy).code(2)?;
    if policies.policies().is_empty() {
        return Err(Failure::usage("no policies found in the --policy paths"));
    }
    let namespaces = match &args.namespace_labels {
        None => None,
        Some(path) => {
            let source = ReloadingNamespaceLabels::open(path).code(2)?;
            Some(Arc::new(source.with_report(reload_report(path))))
        }
    };
    for warning in policies.warnings() {
        eprintln!("warning: {}", warning.replace('\n', " "));
    }
    let config = tls::server_config(&args.tls_cert, &args.tls_key).code(2)?;
    let count = policies.policies().len();
    let ttl = Duration::from_secs(args.cache_ttl);
    let registry = RegistryOptions::new().allow_http(args.allow_http_registry);
    let verifier = Arc::new(RegistryVerifier::new(registry, ttl));
    let engine = Engine::new(policies, verifier).with_cache_ttl(ttl);
    let mut reviewer = PolicyReviewer::new(Arc::new(engine));
    if let Some(source) = namespaces {
        reviewer = reviewer.with_namespace_labels(source);
    }
    let webhook = Webhook::new(reviewer);
    common::runtime().block_on(async move {
        let listener = tokio::net::TcpListener::bind(args.addr)
            .await
            .code(2)
            .context(args.addr)?;
        let local = listener.local_addr().unwrap_or(args.addr);
        eprintln!("listening on https://{local} ({count} policies)");
        // From here on, what the server reports (one line per review with its uid, phase,
        // resource, decision and time; malformed reviews; certificate and label reloads) goes to
        // stderr as JSON lines, as cluster log collectors expect.
        let _ = tracing_subscriber::fmt()
            .json()
            .with_max_level(tracing::Level::INFO)
            .with_current_span(false)
            .with_target(false)
            .with_writer(std::io::stderr)
            .try_init();
        let serving = webhook.serve(listener, Arc::new(config), shutdown()).await;
        serving.code(1)?;
        Ok(ExitCode::SUCCESS)
    })
}

/// Prints what a reload of the namespace-labels file did, on one stderr line.
fn reload_report(path: &Path) -> namespaces::ReloadReport {
    let shown = path.display().to_string();
    Box::new(move |result| match result {
        Ok(n) => eprintln!("namespace labels reloaded from {shown} ({n} namespaces)"),
        Err(e) => eprintln!(
            "warning: namespace labels not reloaded, keeping the previous ones: {}",
            e.to_string().replace('\n', " ")
        ),
    })
}

/// Completes on SIGTERM (what the kubelet sends) or Ctrl-C.
async fn shutdown() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = term.recv() => {},
                    _ = tokio::signal::ctrl_c() => {},
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
