//! Fetching the two Sigstore targets through tough, and the cache directory.
//!
//! Cache layout, one directory per repository (`<cache_dir>/<host>[-port][-path]/`):
//! `metadata/` is tough's datastore (the last trusted root, timestamp, snapshot and targets
//! metadata: rollback checks compare against it), `targets/` holds the last verified copies
//! of the targets, and `refreshed` the time of that refresh (RFC 3339).

use std::path::{Path, PathBuf};
use std::time::Duration;

use boltseal_core::Timestamp;
use boltseal_core::fs::{AtomicWrite, write_atomic};
use tough::{
    DefaultTransport, ExpirationEnforcement, HttpTransportBuilder, IntoVec, RepositoryLoader,
    TargetName,
};
use url::Url;

use crate::error::{from_tough, one_line};
use crate::{Limits, SIGNING_CONFIG_TARGET, TRUSTED_ROOT_TARGET, TufError};

/// The raw bytes of the two targets.
pub(crate) struct Targets {
    pub(crate) trusted_root: Vec<u8>,
    pub(crate) signing_config: Vec<u8>,
}

/// A repository: where it is, its initial root, and its cache directory (if any).
pub(crate) struct Repo<'a> {
    pub(crate) url: Url,
    pub(crate) root: &'a [u8],
    pub(crate) cache: Option<PathBuf>,
    pub(crate) limits: &'a Limits,
}

fn cache_error(path: &Path, err: impl std::fmt::Display) -> TufError {
    TufError::Cache {
        path: path.to_owned(),
        reason: one_line(&err.to_string()),
    }
}

/// The cache subdirectory for a repository URL: its host, port and path, with everything but
/// letters, digits, `.` and `_` turned into `-`.
pub(crate) fn cache_dir_for(base: &Path, url: &Url) -> PathBuf {
    let mut name = url.host_str().unwrap_or("local").to_owned();
    if let Some(port) = url.port() {
        name.push_str(&format!("-{port}"));
    }
    let path = url.path().trim_matches('/');
    if !path.is_empty() {
        name.push('-');
        name.push_str(path);
    }
    let name: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '.' || c == '_' {
                c
            } else {
                '-'
            }
        })
        .collect();
    base.join(name)
}

/// The `signed.version` of a root metadata file, if it parses.
fn root_version(bytes: &[u8]) -> Option<u64> {
    let value: serde_json::Value = serde_json::from_slice(bytes).ok()?;
    value.get("signed")?.get("version")?.as_u64()
}

impl Repo<'_> {
    fn display_url(&self) -> String {
        self.url.as_str().trim_end_matches('/').to_owned()
    }

    /// The root to start from: the cached one (the newest this client trusted) when it is at
    /// least as new as the given one, so a rotation followed once need not be followed again.
    fn initial_root(&self) -> Vec<u8> {
        let given = root_version(self.root).unwrap_or(0);
        self.cache
            .as_ref()
            .and_then(|dir| std::fs::read(dir.join("metadata").join("root.json")).ok())
            .filter(|cached| root_version(cached).is_some_and(|v| v >= given))
            .unwrap_or_else(|| self.root.to_vec())
    }

    /// One TUF update cycle (root, timestamp, snapshot, targets; expiry, rollback and
    /// threshold checks by tough), then the two targets, verified against the targets
    /// metadata, then the cache.
    pub(crate) async fn refresh(&self) -> Result<Targets, TufError> {
        let url = self.display_url();
        let metadata_dir = match &self.cache {
            Some(dir) => {
                let metadata = dir.join("metadata");
                std::fs::create_dir_all(&metadata).map_err(|e| cache_error(&metadata, e))?;
                Some(metadata)
            }
            None => None,
        };
        let targets_url = self.url.join("targets/").map_err(|e| TufError::Setup {
            url: url.clone(),
            reason: e.to_string(),
        })?;
        let http = HttpTransportBuilder::new()
            .timeout(self.limits.timeout)
            .connect_timeout(self.limits.timeout.min(Duration::from_secs(10)))
            .tries(self.limits.tries)
            .initial_backoff(Duration::from_millis(200));
        let root = self.initial_root();
        let mut loader = RepositoryLoader::new(&root, self.url.clone(), targets_url)
            .transport(DefaultTransport::new_with_http_settings(http))
            .limits(tough::Limits {
                max_root_size: self.limits.max_metadata_bytes,
                max_targets_size: self.limits.max_metadata_bytes,
                max_timestamp_size: self.limits.max_timestamp_bytes,
                max_snapshot_size: self.limits.max_metadata_bytes,
                max_root_updates: self.limits.max_root_updates,
            })
            .expiration_enforcement(ExpirationEnforcement::Safe);
        if let Some(dir) = &metadata_dir {
            loader = loader.datastore(dir);
        }
        let repository = loader.load().await.map_err(|e| from_tough(&url, &e))?;
        let mut fetched = Vec::new();
        for name in [TRUSTED_ROOT_TARGET, SIGNING_CONFIG_TARGET] {
            let missing = || TufError::MissingTarget {
                url: url.clone(),
                name: name.to_owned(),
            };
            let target = TargetName::new(name).map_err(|_| missing())?;
            let length = repository
                .targets()
                .signed
                .find_target(&target, false)
                .map_err(|_| missing())?
                .length;
            if length > self.limits.max_target_bytes {
                return Err(TufError::LimitExceeded {
                    url,
                    reason: format!(
                        "target {name} is {length} bytes, over the limit of {}",
                        self.limits.max_target_bytes
                    ),
                });
            }
            let stream = repository
                .read_target(&target)
                .await
                .map_err(|e| from_tough(&url, &e))?
                .ok_or_else(missing)?;
            fetched.push(stream.into_vec().await.map_err(|e| from_tough(&url, &e))?);
        }
        let signing_config = fetched.pop().unwrap_or_default();
        let trusted_root = fetched.pop().unwrap_or_default();
        Ok(Targets {
            trusted_root,
            signing_config,
        })
    }

    /// Saves verified targets and the time of the refresh.
    pub(crate) fn save(&self, targets: &Targets) -> Result<(), TufError> {
        let Some(dir) = &self.cache else {
            return Ok(());
        };
        let target_dir = dir.join("targets");
        std::fs::create_dir_all(&target_dir).map_err(|e| cache_error(&target_dir, e))?;
        let refreshed = Timestamp::now().to_rfc3339_seconds();
        let files = [
            (
                target_dir.join(TRUSTED_ROOT_TARGET),
                targets.trusted_root.as_slice(),
            ),
            (
                target_dir.join(SIGNING_CONFIG_TARGET),
                targets.signing_config.as_slice(),
            ),
            (dir.join("refreshed"), refreshed.as_bytes()),
        ];
        for (path, bytes) in files {
            write_atomic(&path, bytes, AtomicWrite::replace())
                .map_err(|e| cache_error(&path, e))?;
        }
        Ok(())
    }

    /// The targets of the last successful refresh, and when it happened.
    pub(crate) fn cached(&self) -> Option<(Targets, String)> {
        let dir = self.cache.as_ref()?;
        let read = |name: &str| std::fs::read(dir.join("targets").join(name)).ok();
        let targets = Targets {
            trusted_root: read(TRUSTED_ROOT_TARGET)?,
            signing_config: read(SIGNING_CONFIG_TARGET)?,
        };
        let refreshed = std::fs::read_to_string(dir.join("refreshed"))
            .unwrap_or_else(|_| "an unknown time".into());
        Some((targets, refreshed.trim().to_owned()))
    }
}
