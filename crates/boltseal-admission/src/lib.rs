#![doc = include_str!("../README.md")]
#![warn(missing_docs)]

pub mod metrics;
pub mod namespaces;
mod options;
pub mod policy;
pub mod review;
pub mod scan;
pub mod server;
pub mod tls;

pub use namespaces::{NamespaceLabelSource, NamespaceLabels, ReloadingNamespaceLabels};
pub use policy::{PolicyReviewer, VERIFY_IMAGES_ANNOTATION};
pub use review::{AdmissionRequest, AdmissionResponse, DecodeError, Operation, UserInfo};
pub use server::{FailurePolicy, Phase, Reviewer, ServerOptions, Webhook};

/// Completes when the process is asked to stop: SIGTERM (what the kubelet sends) or Ctrl-C.
/// The `shutdown` future for [`Webhook::serve`].
pub async fn shutdown_signal() {
    #[cfg(unix)]
    if let Ok(mut term) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
    {
        tokio::select! {
            _ = term.recv() => {},
            _ = tokio::signal::ctrl_c() => {},
        }
        return;
    }
    let _ = tokio::signal::ctrl_c().await;
}

#[cfg(all(test, unix))]
mod tests {
    #![allow(clippy::unwrap_used)]

    use std::time::Duration;

    #[tokio::test]
    async fn sigterm_completes_the_shutdown_future() {
        let shutdown = tokio::spawn(super::shutdown_signal());
        tokio::time::sleep(Duration::from_millis(200)).await;
        let pid = std::process::id().to_string();
        let sent = std::process::Command::new("kill")
            .args(["-TERM", &pid])
            .status();
        assert!(sent.unwrap().success());
        let stopped = tokio::time::timeout(Duration::from_secs(10), shutdown).await;
        stopped.unwrap().unwrap();
    }
}
