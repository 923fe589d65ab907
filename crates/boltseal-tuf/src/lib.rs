#![doc = include_str!("../README.md")]
#![warn(missing_docs)]

mod error;
mod repository;

use std::path::{Path, PathBuf};
use std::time::Duration;

use boltseal_core::{Classify, ErrorKind};
use boltseal_verify::trust::TrustedRoot;
use url::Url;

pub use boltseal_verify::trust::{
    Selector, Service, ServiceKind, SigningConfig, SigningConfigError,
};
pub use error::TufError;

use repository::{Repo, Targets, cache_dir_for};

/// The Sigstore public-good TUF repository.
pub const PUBLIC_GOOD_URL: &str = "https://tuf-repo-cdn.sigstore.dev";

/// The initial `root.json` this crate trusts for [`PUBLIC_GOOD_URL`] (version 12, from
/// sigstore/root-signing). Expired roots are fine as a starting point: TUF walks the published
/// root versions forward from it, each signed by a threshold of the previous root's keys.
pub const PUBLIC_GOOD_ROOT: &[u8] = include_bytes!("../data/public-good-root.json");

/// The TUF target name of Sigstore's trusted root.
pub const TRUSTED_ROOT_TARGET: &str = "trusted_root.json";

/// The TUF target name of Sigstore's signing configuration (v0.2).
pub const SIGNING_CONFIG_TARGET: &str = "signing_config.v0.2.json";

/// Which TUF repository to trust.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TrustSource {
    /// Sigstore's public-good instance ([`PUBLIC_GOOD_URL`], [`PUBLIC_GOOD_ROOT`]). Offline
    /// with nothing cached, the trust compiled into boltseal is used (and said to be).
    PublicGood,
    /// A private instance (or a test): the repository's base URL (metadata at `url`, targets
    /// under `url/targets/`; `http`, `https` or `file`) and its initial `root.json`.
    Repository {
        /// Base URL of the metadata.
        url: String,
        /// The initial root metadata, shipped out of band.
        root: Vec<u8>,
    },
}

impl TrustSource {
    /// A private repository.
    pub fn repository(url: impl Into<String>, root: impl Into<Vec<u8>>) -> Self {
        TrustSource::Repository {
            url: url.into(),
            root: root.into(),
        }
    }

    fn url_and_root(&self) -> Result<(Url, &[u8]), TufError> {
        let (text, root) = match self {
            TrustSource::PublicGood => (PUBLIC_GOOD_URL, PUBLIC_GOOD_ROOT),
            TrustSource::Repository { url, root } => (url.as_str(), root.as_slice()),
        };
        let with_slash = format!("{}/", text.trim_end_matches('/'));
        let url = Url::parse(&with_slash).map_err(|e| TufError::Setup {
            url: text.to_owned(),
            reason: format!("not a URL: {e}"),
        })?;
        Ok((url, root))
    }
}

/// Bounds on what a repository may send (everything it sends is untrusted until verified).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// `timestamp.json` (Sigstore's is under 1 KiB). Default 64 KiB.
    pub max_timestamp_bytes: u64,
    /// Each root, snapshot or targets metadata file whose size no signed metadata states
    /// (Sigstore's are under 20 KiB). Default 1 MiB.
    pub max_metadata_bytes: u64,
    /// Each target, by the length the signed targets metadata states, checked before it is
    /// fetched (Sigstore's trusted root is about 10 KiB). Default 4 MiB.
    pub max_target_bytes: u64,
    /// Root versions followed in one refresh. Default 64.
    pub max_root_updates: u64,
    /// Per request. Default 30 s.
    pub timeout: Duration,
    /// Attempts per request. Default 2.
    pub tries: u32,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_timestamp_bytes: 64 * 1024,
            max_metadata_bytes: 1024 * 1024,
            max_target_bytes: 4 * 1024 * 1024,
            max_root_updates: 64,
            timeout: Duration::from_secs(30),
            tries: 2,
        }
    }
}

/// How to load trust. `Default` is: no cache, online, no overrides.
#[derive(Debug, Clone, Default)]
pub struct TrustOptions {
    /// Where TUF metadata and the last verified targets are kept (one subdirectory per
    /// repository). Without one, every load starts from the initial root, rollback is only
    /// checked within the load, and there is no cached fallback.
    pub cache_dir: Option<PathBuf>,
    /// Do not contact the repository: use the cache, else (public good) the embedded trust.
    pub offline: bool,
    /// A `trusted_root.json` (or client trust config) that wins over TUF (`--trusted-root`).
    pub trusted_root_file: Option<PathBuf>,
    /// A `signing_config.json` (v0.2) that wins over TUF (`--signing-config`).
    pub signing_config_file: Option<PathBuf>,
    /// Size and time bounds.
    pub limits: Limits,
}

impl TrustOptions {
    /// The conventional cache directory: `$XDG_CACHE_HOME/boltseal/tuf`, else
    /// `$HOME/.cache/boltseal/tuf`.
    #[must_use]
    pub fn default_cache_dir() -> Option<PathBuf> {
        let base = std::env::var_os("XDG_CACHE_HOME")
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
            .or_else(|| std::env::var_os("HOME").map(|home| Path::new(&home).join(".cache")))?;
        Some(base.join("boltseal").join("tuf"))
    }
}

/// Where the trust came from, and whether it is current. Anything but [`Freshness::Fresh`]
/// and [`Freshness::Files`] is a fallback the caller should print ([`Freshness::warning`]).
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Freshness {
    /// Verified by a TUF refresh just now.
    Fresh,
    /// The cache of an earlier successful refresh; `reason` says why no refresh happened and
    /// when the cached one did.
    Cached {
        /// Why, on one line.
        reason: String,
    },
    /// The public-good trust compiled into boltseal; `reason` says why.
    Embedded {
        /// Why, on one line.
        reason: String,
    },
    /// Both files were given by the caller; TUF was not consulted.
    Files,
}

impl Freshness {
    /// The line to print when this trust is a fallback, `None` when it is current.
    #[must_use]
    pub fn warning(&self) -> Option<&str> {
        match self {
            Freshness::Cached { reason } | Freshness::Embedded { reason } => Some(reason),
            Freshness::Fresh | Freshness::Files => None,
        }
    }
}

/// Sigstore trust material and service configuration.
#[derive(Debug, Clone)]
pub struct Trust {
    /// Keys and certificates to verify with.
    pub trusted_root: TrustedRoot,
    /// Services to sign with.
    pub signing_config: SigningConfig,
    /// Where it came from (from TUF, unless both files were given).
    pub freshness: Freshness,
}

fn read_file(path: &Path) -> Result<Vec<u8>, TufError> {
    std::fs::read(path).map_err(|source| TufError::ReadFile {
        path: path.to_owned(),
        source,
    })
}

fn parse_root(bytes: &[u8], origin: impl FnOnce() -> String) -> Result<TrustedRoot, TufError> {
    TrustedRoot::from_json(bytes).map_err(|source| TufError::TrustedRoot {
        origin: origin(),
        source,
    })
}

fn parse_config(bytes: &[u8], origin: impl FnOnce() -> String) -> Result<SigningConfig, TufError> {
    SigningConfig::from_json(bytes).map_err(|source| TufError::SigningConfig {
        origin: origin(),
        source,
    })
}

fn parse_targets(
    targets: &Targets,
    origin: &str,
) -> Result<(TrustedRoot, SigningConfig), TufError> {
    Ok((
        parse_root(&targets.trusted_root, || {
            format!("{origin} {TRUSTED_ROOT_TARGET}")
        })?,
        parse_config(&targets.signing_config, || {
            format!("{origin} {SIGNING_CONFIG_TARGET}")
        })?,
    ))
}

/// Loads Sigstore trust: the caller's files where given, the rest from the TUF repository.
///
/// Online, one TUF update cycle runs (tough: root rotation, expiry, rollback and threshold
/// checks, target hashes and lengths). If the repository cannot be *reached*, the last cached
/// trust is used, else (public good only) the embedded one — and [`Trust::freshness`] says so.
/// If the repository answers with metadata TUF refuses (expired, rolled back, badly signed,
/// tampered), that is an error, never a silent fallback; the cached trust stays available
/// with `offline: true`.
///
/// Needs a tokio runtime (tough is async); [`load_blocking`] makes one.
///
/// # Errors
/// [`TufError`]: an override file unreadable or invalid, a refusal by TUF, a limit exceeded,
/// or nothing to fall back on.
pub async fn load(source: &TrustSource, options: &TrustOptions) -> Result<Trust, TufError> {
    let root_file = match &options.trusted_root_file {
        Some(path) => Some(parse_root(&read_file(path)?, || {
            path.display().to_string()
        })?),
        None => None,
    };
    let config_file = match &options.signing_config_file {
        Some(path) => Some(parse_config(&read_file(path)?, || {
            path.display().to_string()
        })?),
        None => None,
    };
    let (trusted_root, signing_config, freshness) = match (root_file, config_file) {
        (Some(root), Some(config)) => (root, config, Freshness::Files),
        (root_file, config_file) => {
            let (root, config, freshness) = from_repository(source, options).await?;
            (
                root_file.unwrap_or(root),
                config_file.unwrap_or(config),
                freshness,
            )
        }
    };
    Ok(Trust {
        trusted_root,
        signing_config,
        freshness,
    })
}

/// [`load`] on a current-thread tokio runtime of its own. Must not be called from within an
/// async runtime.
///
/// # Errors
/// As [`load`]; [`TufError::Cache`] if the runtime cannot be built.
pub fn load_blocking(source: &TrustSource, options: &TrustOptions) -> Result<Trust, TufError> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| TufError::Cache {
            path: PathBuf::from("(tokio runtime)"),
            reason: e.to_string(),
        })?;
    runtime.block_on(load(source, options))
}

async fn from_repository(
    source: &TrustSource,
    options: &TrustOptions,
) -> Result<(TrustedRoot, SigningConfig, Freshness), TufError> {
    let (url, root) = source.url_and_root()?;
    let shown = url.as_str().trim_end_matches('/').to_owned();
    let repo = Repo {
        cache: options
            .cache_dir
            .as_deref()
            .map(|dir| cache_dir_for(dir, &url)),
        url,
        root,
        limits: &options.limits,
    };
    let why = if options.offline {
        format!("offline: TUF repository {shown} not refreshed")
    } else {
        match repo.refresh().await {
            Ok(targets) => {
                let (root, config) = parse_targets(&targets, &format!("TUF repository {shown}"))?;
                repo.save(&targets)?;
                return Ok((root, config, Freshness::Fresh));
            }
            Err(err) if err.kind() == ErrorKind::Unavailable => {
                format!("TUF refresh failed: {err}")
            }
            Err(err) => return Err(err),
        }
    };
    if let Some((targets, refreshed)) = repo.cached() {
        let (root, config) = parse_targets(&targets, &format!("the TUF cache of {shown}"))?;
        let reason = format!("{why}; using the trust cached at {refreshed}");
        return Ok((root, config, Freshness::Cached { reason }));
    }
    if *source == TrustSource::PublicGood {
        let reason =
            format!("{why}; nothing cached, using the public-good trust compiled into boltseal");
        return Ok((
            TrustedRoot::public_good(),
            SigningConfig::public_good(),
            Freshness::Embedded { reason },
        ));
    }
    Err(TufError::NoTrust {
        url: shown,
        reason: format!("{why}; nothing cached"),
    })
}
