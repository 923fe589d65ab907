//! The serving certificate: PEM files loaded into a rustls configuration (aws-lc-rs, the
//! workspace's one crypto provider), reloaded when the files change.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant, SystemTime};

use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::server::{ClientHello, ResolvesServerCert};
use rustls::sign::CertifiedKey;

/// Largest certificate or key file read (a chain of a few certificates is a few KiB).
const MAX_PEM_BYTES: u64 = 1 << 20;
/// How often the files' modification times are looked at (on a handshake, never more often).
const RELOAD_CHECK: Duration = Duration::from_secs(5);

/// Why the serving certificate could not be loaded.
#[non_exhaustive]
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    /// A file could not be read.
    #[error("{path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// A file is not usable PEM of the expected kind.
    #[error("{path}: {reason}")]
    Pem {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// rustls refused the key or the certificate chain (mismatched key, unsupported algorithm).
    #[error("{path}: {source}")]
    Rustls {
        /// The key file.
        path: PathBuf,
        /// The rustls error.
        #[source]
        source: rustls::Error,
    },
}

impl boltseal_core::Classify for TlsError {
    fn kind(&self) -> boltseal_core::ErrorKind {
        match self {
            TlsError::Read { source, .. } => boltseal_core::Classify::kind(source),
            TlsError::Pem { .. } | TlsError::Rustls { .. } => {
                boltseal_core::ErrorKind::InvalidInput
            }
        }
    }
}

/// The workspace's crypto provider (aws-lc-rs).
#[must_use]
pub fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::aws_lc_rs::default_provider())
}

fn read_bounded(path: &Path) -> Result<Vec<u8>, TlsError> {
    let read = |source| TlsError::Read {
        path: path.to_owned(),
        source,
    };
    let file = std::fs::File::open(path).map_err(read)?;
    let mut bytes = Vec::new();
    file.take(MAX_PEM_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(read)?;
    if bytes.len() as u64 > MAX_PEM_BYTES {
        return Err(TlsError::Pem {
            path: path.to_owned(),
            reason: "larger than 1 MiB".to_owned(),
        });
    }
    Ok(bytes)
}

/// Loads a certificate chain (leaf first) and its private key (PKCS #8, PKCS #1 or SEC1 PEM).
///
/// # Errors
/// [`TlsError`] when a file cannot be read, holds no certificate or key, or the key does not
/// match the certificate.
pub fn load_certified_key(
    cert_path: &Path,
    key_path: &Path,
    provider: &CryptoProvider,
) -> Result<CertifiedKey, TlsError> {
    let pem_err = |path: &Path, reason: String| TlsError::Pem {
        path: path.to_owned(),
        reason,
    };
    let cert_pem = read_bounded(cert_path)?;
    let chain = CertificateDer::pem_slice_iter(&cert_pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| pem_err(cert_path, format!("invalid PEM: {e}")))?;
    if chain.is_empty() {
        return Err(pem_err(cert_path, "no CERTIFICATE block".to_owned()));
    }
    let key_pem = read_bounded(key_path)?;
    let key = PrivateKeyDer::from_pem_slice(&key_pem)
        .map_err(|e| pem_err(key_path, format!("no private key: {e}")))?;
    CertifiedKey::from_der(chain, key, provider).map_err(|source| TlsError::Rustls {
        path: key_path.to_owned(),
        source,
    })
}

fn modified(path: &Path) -> Option<SystemTime> {
    std::fs::metadata(path).and_then(|m| m.modified()).ok()
}

/// Serves the certificate in two PEM files and picks up new versions of them (as written by
/// cert-manager or a mounted Secret update): at most every few seconds, on a handshake, the
/// files' modification times are compared and the pair reloaded. A pair that does not load (half
/// written, mismatched) is ignored and the previous certificate kept.
#[derive(Debug)]
pub struct ReloadingCert {
    cert_path: PathBuf,
    key_path: PathBuf,
    provider: Arc<CryptoProvider>,
    current: RwLock<Arc<CertifiedKey>>,
    state: Mutex<(Instant, Option<SystemTime>, Option<SystemTime>)>,
    interval: Duration,
}

impl ReloadingCert {
    /// Loads the pair once.
    ///
    /// # Errors
    /// [`TlsError`] when the initial pair does not load.
    pub fn new(cert_path: &Path, key_path: &Path) -> Result<Self, TlsError> {
        let provider = provider();
        let key = load_certified_key(cert_path, key_path, &provider)?;
        Ok(ReloadingCert {
            cert_path: cert_path.to_owned(),
            key_path: key_path.to_owned(),
            provider,
            current: RwLock::new(Arc::new(key)),
            state: Mutex::new((Instant::now(), modified(cert_path), modified(key_path))),
            interval: RELOAD_CHECK,
        })
    }

    /// Sets how often the files' modification times are looked at (default 5 s).
    #[must_use]
    pub fn with_check_interval(mut self, interval: Duration) -> Self {
        self.interval = interval;
        self
    }

    /// The certificate served now (after looking for a new one if it is time to).
    #[must_use]
    pub fn current(&self) -> Option<Arc<CertifiedKey>> {
        self.maybe_reload();
        self.current.read().ok().map(|k| Arc::clone(&k))
    }

    fn maybe_reload(&self) {
        let Ok(mut state) = self.state.try_lock() else {
            return; // another handshake is looking
        };
        if state.0.elapsed() < self.interval {
            return;
        }
        state.0 = Instant::now();
        let (cert, key) = (modified(&self.cert_path), modified(&self.key_path));
        if (cert, key) == (state.1, state.2) {
            return;
        }
        match load_certified_key(&self.cert_path, &self.key_path, &self.provider) {
            Ok(new) => {
                if let Ok(mut current) = self.current.write() {
                    *current = Arc::new(new);
                }
                *state = (state.0, cert, key);
                tracing::info!(cert = %self.cert_path.display(), "serving certificate reloaded");
            }
            Err(e) => tracing::warn!(error = %e, "new serving certificate not loaded"),
        }
    }
}

impl ResolvesServerCert for ReloadingCert {
    fn resolve(&self, _hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        self.current()
    }
}

/// A rustls server configuration (TLS 1.2 and 1.3, aws-lc-rs, ALPN `http/1.1`) serving the
/// certificate pair at these paths, reloaded when the files change.
///
/// # Errors
/// [`TlsError`] when the pair does not load.
pub fn server_config(cert_path: &Path, key_path: &Path) -> Result<rustls::ServerConfig, TlsError> {
    let resolver = ReloadingCert::new(cert_path, key_path)?;
    config_with_resolver(Arc::new(resolver)).map_err(|source| TlsError::Rustls {
        path: cert_path.to_owned(),
        source,
    })
}

/// A rustls server configuration (TLS 1.2 and 1.3, aws-lc-rs, ALPN `http/1.1`) over any
/// certificate resolver.
///
/// # Errors
/// The rustls error if the provider does not support the default protocol versions.
pub fn config_with_resolver(
    resolver: Arc<dyn ResolvesServerCert>,
) -> Result<rustls::ServerConfig, rustls::Error> {
    let mut config = rustls::ServerConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()?
        .with_no_client_auth()
        .with_cert_resolver(resolver);
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(config)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn write_pair(dir: &Path, name: &str) -> (PathBuf, PathBuf) {
        let key = rcgen::KeyPair::generate().unwrap();
        let cert = rcgen::CertificateParams::new(vec![name.to_owned()])
            .unwrap()
            .self_signed(&key)
            .unwrap();
        let (c, k) = (dir.join("tls.crt"), dir.join("tls.key"));
        std::fs::write(&c, cert.pem()).unwrap();
        std::fs::write(&k, key.serialize_pem()).unwrap();
        (c, k)
    }

    #[test]
    fn a_renewed_pair_is_served_and_a_broken_one_ignored() {
        let dir = tempfile::tempdir().unwrap();
        let (c, k) = write_pair(dir.path(), "first.example");
        let resolver = ReloadingCert::new(&c, &k)
            .unwrap()
            .with_check_interval(Duration::ZERO);
        let first = resolver.current().unwrap();
        // Same files, same times: nothing reloaded.
        assert!(Arc::ptr_eq(&first, &resolver.current().unwrap()));
        let later = SystemTime::now() + Duration::from_secs(60);
        let touch = |p: &Path, t: SystemTime| {
            std::fs::File::options()
                .write(true)
                .open(p)
                .unwrap()
                .set_modified(t)
                .unwrap();
        };
        // A half-written renewal (certificate only, key mismatched) keeps the old pair.
        let other = tempfile::tempdir().unwrap();
        let (c2, k2) = write_pair(other.path(), "second.example");
        std::fs::copy(&c2, &c).unwrap();
        touch(&c, later);
        assert!(Arc::ptr_eq(&first, &resolver.current().unwrap()));
        // The key arrives: the new pair is served.
        std::fs::copy(&k2, &k).unwrap();
        touch(&k, later + Duration::from_secs(1));
        let second = resolver.current().unwrap();
        assert!(!Arc::ptr_eq(&first, &second));
        assert_eq!(
            second.cert[0].as_ref(),
            std::fs::read(&c2)
                .map(|pem| {
                    CertificateDer::from_pem_slice(&pem)
                        .unwrap()
                        .as_ref()
                        .to_vec()
                })
                .unwrap()
                .as_slice()
        );
    }

    #[test]
    fn loads_a_pair_and_refuses_bad_files() {
        let dir = tempfile::tempdir().unwrap();
        let (c, k) = write_pair(dir.path(), "admission.boltseal.svc");
        assert!(server_config(&c, &k).is_ok());
        let other = tempfile::tempdir().unwrap();
        let (_, k2) = write_pair(other.path(), "x");
        let e = server_config(&c, &k2).unwrap_err().to_string();
        assert!(e.contains("tls.key"), "{e}");
        let e = server_config(&k, &k).unwrap_err().to_string();
        assert!(e.contains("no CERTIFICATE"), "{e}");
        let e = server_config(&c, &c).unwrap_err().to_string();
        assert!(e.contains("no private key"), "{e}");
        let e = server_config(&dir.path().join("missing"), &k)
            .unwrap_err()
            .to_string();
        assert!(e.contains("missing"), "{e}");
    }
}
