//! [`RegistryStore`]: one repository of a registry speaking the OCI distribution API.
//!
//! Every response body is read with a bound: manifests and indexes up to
//! [`MAX_MANIFEST_BYTES`], tag lists, tokens and error bodies up to small fixed limits, blobs up
//! to their descriptor's size. Credentials are only ever attached to requests for the registry's
//! own host and port (and to its token service), never to a redirect target elsewhere.
//!
//! The seams: `transport` (the HTTP client, deadlines, bounded reads, error bodies, the blob
//! rate floor), `token` (the 401 challenge and the bearer-token flow), `pull` (manifests and
//! blobs read), `upload` (manifests and blobs written, mounts, deletes), `tags` (paginated tag
//! lists), `referrers` (the referrers API and the tag schema).
//!
//! [`MAX_MANIFEST_BYTES`]: crate::MAX_MANIFEST_BYTES

mod pull;
mod referrers;
mod tags;
mod token;
mod transport;
mod upload;

use std::sync::Arc;
use std::sync::atomic::AtomicU8;
use std::time::Duration;

use boltseal_reference::{Digest, Reference};
use reqwest::Url;
use reqwest::header::HeaderValue;
use tokio::sync::Mutex;

use crate::auth::Credential;
use crate::error::{Error, Result};
use crate::manifest::{Descriptor, RawManifest};
use crate::store::{BlobReader, ManifestRef, MountSource, Store};

pub(crate) use tags::next_link;
pub(crate) use transport::http_client;
pub use transport::is_loopback;

/// Options for connecting to a registry.
///
/// A registry is untrusted: besides the size limits on every body, the options bound how long
/// it can hold a request ([`request_timeout`](Self::request_timeout),
/// [`min_blob_rate`](Self::min_blob_rate)) and how large a tag list it can make the client
/// collect ([`max_tags`](Self::max_tags), [`max_tag_list_bytes`](Self::max_tag_list_bytes),
/// [`max_tag_pages`](Self::max_tag_pages)). The defaults are sized for real registries.
#[non_exhaustive]
#[derive(Clone, Debug)]
pub struct RegistryOptions {
    /// Allow plain HTTP to hosts that are not loopback addresses.
    pub allow_http: bool,
    /// Credentials; `None` looks them up in the docker/podman credential files.
    pub credential: Option<Credential>,
    /// The deadline of each request for a small document — manifest, token, tag list page,
    /// referrers, error body, existence check — from sending it to the end of its body,
    /// token round trip included. Default [`Self::DEFAULT_REQUEST_TIMEOUT`] (60 s).
    pub request_timeout: Duration,
    /// The lowest transfer rate, in bytes per second, a blob download may fall to: a
    /// transfer that waits [`blob_rate_window`](Self::blob_rate_window) for the server while
    /// receiving fewer than `min_blob_rate × window` bytes fails with [`Error::TooSlow`]. An
    /// upload must finish within [`request_timeout`](Self::request_timeout) plus its size at
    /// this rate. `0` disables both. Default [`Self::DEFAULT_MIN_BLOB_RATE`] (10 KiB/s).
    pub min_blob_rate: u64,
    /// The window over which [`min_blob_rate`](Self::min_blob_rate) is measured. Default
    /// [`Self::DEFAULT_BLOB_RATE_WINDOW`] (60 s).
    pub blob_rate_window: Duration,
    /// The most tags a tag list may hold, over all its pages. Default
    /// [`Self::DEFAULT_MAX_TAGS`] (100,000).
    pub max_tags: usize,
    /// The most bytes of tag list read, over all its pages. Default
    /// [`Self::DEFAULT_MAX_TAG_LIST_BYTES`] (16 MiB).
    pub max_tag_list_bytes: u64,
    /// The most pages of a tag list followed. Default [`Self::DEFAULT_MAX_TAG_PAGES`] (1000).
    pub max_tag_pages: usize,
}

impl Default for RegistryOptions {
    fn default() -> Self {
        RegistryOptions {
            allow_http: false,
            credential: None,
            request_timeout: Self::DEFAULT_REQUEST_TIMEOUT,
            min_blob_rate: Self::DEFAULT_MIN_BLOB_RATE,
            blob_rate_window: Self::DEFAULT_BLOB_RATE_WINDOW,
            max_tags: Self::DEFAULT_MAX_TAGS,
            max_tag_list_bytes: Self::DEFAULT_MAX_TAG_LIST_BYTES,
            max_tag_pages: Self::DEFAULT_MAX_TAG_PAGES,
        }
    }
}

impl RegistryOptions {
    /// The default of [`request_timeout`](Self::request_timeout): 60 s.
    pub const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(60);
    /// The default of [`min_blob_rate`](Self::min_blob_rate): 10 KiB/s.
    pub const DEFAULT_MIN_BLOB_RATE: u64 = 10 * 1024;
    /// The default of [`blob_rate_window`](Self::blob_rate_window): 60 s.
    pub const DEFAULT_BLOB_RATE_WINDOW: Duration = Duration::from_secs(60);
    /// The default of [`max_tags`](Self::max_tags): 100,000.
    pub const DEFAULT_MAX_TAGS: usize = 100_000;
    /// The default of [`max_tag_list_bytes`](Self::max_tag_list_bytes): 16 MiB.
    pub const DEFAULT_MAX_TAG_LIST_BYTES: u64 = 16 * 1024 * 1024;
    /// The default of [`max_tag_pages`](Self::max_tag_pages): 1000.
    pub const DEFAULT_MAX_TAG_PAGES: usize = 1000;

    /// Default options: HTTPS except for loopback hosts, credentials from the usual files,
    /// the default limits.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets [`request_timeout`](Self::request_timeout).
    #[must_use]
    pub fn request_timeout(mut self, timeout: Duration) -> Self {
        self.request_timeout = timeout;
        self
    }

    /// Sets [`min_blob_rate`](Self::min_blob_rate) (bytes per second, `0` for none) and
    /// [`blob_rate_window`](Self::blob_rate_window).
    #[must_use]
    pub fn min_blob_rate(mut self, bytes_per_second: u64, window: Duration) -> Self {
        self.min_blob_rate = bytes_per_second;
        self.blob_rate_window = window;
        self
    }

    /// Sets [`max_tags`](Self::max_tags), [`max_tag_list_bytes`](Self::max_tag_list_bytes)
    /// and [`max_tag_pages`](Self::max_tag_pages).
    #[must_use]
    pub fn tag_list_limits(mut self, tags: usize, bytes: u64, pages: usize) -> Self {
        self.max_tags = tags;
        self.max_tag_list_bytes = bytes;
        self.max_tag_pages = pages;
        self
    }

    /// Allows plain HTTP to non-loopback hosts.
    #[must_use]
    pub fn allow_http(mut self, allow: bool) -> Self {
        self.allow_http = allow;
        self
    }

    /// Uses `credential` instead of looking one up.
    #[must_use]
    pub fn credential(mut self, credential: Credential) -> Self {
        self.credential = Some(credential);
        self
    }
}

/// The limits of [`RegistryOptions`] a store applies.
#[derive(Clone, Debug)]
struct Limits {
    request_timeout: Duration,
    min_blob_rate: u64,
    blob_rate_window: Duration,
    max_tags: usize,
    max_tag_list_bytes: u64,
    max_tag_pages: usize,
}

#[derive(Default)]
struct AuthState {
    header: Option<HeaderValue>,
    push: bool,
}

/// One repository of a registry, e.g. `127.0.0.1:5000/team/app`.
///
/// Loopback registries use plain HTTP, as docker does; other hosts use HTTPS unless
/// [`RegistryOptions::allow_http`] is set. Authentication follows the distribution token flow
/// (anonymous or with Basic credentials), or Basic auth when the registry asks for it.
pub struct RegistryStore {
    registry: String,
    repository: String,
    base: Url,
    origin: (String, Option<u16>),
    allow_http: bool,
    http: reqwest::Client,
    credential: Credential,
    auth: Mutex<AuthState>,
    limits: Limits,
    /// Whether the registry answers the referrers API, shared by the stores of one
    /// [`RegistryPool`] for the same registry.
    referrers_api: Arc<AtomicU8>,
}

/// [`RegistryStore::referrers_api`] states.
const REFERRERS_UNKNOWN: u8 = 0;
const REFERRERS_SUPPORTED: u8 = 1;
const REFERRERS_ABSENT: u8 = 2;

impl std::fmt::Debug for RegistryStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RegistryStore")
            .field("registry", &self.registry)
            .field("repository", &self.repository)
            .field("base", &self.base.as_str())
            .finish_non_exhaustive()
    }
}

enum Op {
    Pull,
    Push { mount_from: Option<String> },
}

impl RegistryStore {
    /// Opens the repository named by `reference` (its tag and digest are ignored).
    ///
    /// # Errors
    /// [`Error::InsecureRegistry`] when plain HTTP would be needed but is not allowed;
    /// [`Error::Credentials`] when a credential file is unusable.
    pub fn new(reference: &Reference, options: RegistryOptions) -> Result<Self> {
        let http = http_client(options.allow_http, reference)?;
        Self::with_client(
            reference,
            options,
            http,
            Arc::new(AtomicU8::new(REFERRERS_UNKNOWN)),
        )
    }

    /// A store on an existing HTTP client (connections are pooled per client).
    pub(crate) fn with_client(
        reference: &Reference,
        options: RegistryOptions,
        http: reqwest::Client,
        referrers_api: Arc<AtomicU8>,
    ) -> Result<Self> {
        let registry = reference.registry().to_owned();
        // Docker Hub's API host.
        let api_host = if registry == "docker.io" {
            "registry-1.docker.io".to_owned()
        } else {
            registry.clone()
        };
        let plain = is_loopback(&registry) || options.allow_http;
        let scheme = if plain { "http" } else { "https" };
        let base = Url::parse(&format!(
            "{scheme}://{api_host}/v2/{}/",
            reference.repository()
        ))
        .map_err(|e| Error::InvalidLocation {
            input: reference.to_string(),
            reason: e.to_string(),
        })?;
        let origin = (
            base.host_str().unwrap_or_default().to_owned(),
            base.port_or_known_default(),
        );
        let limits = Limits {
            request_timeout: options.request_timeout,
            min_blob_rate: options.min_blob_rate,
            blob_rate_window: options.blob_rate_window,
            max_tags: options.max_tags,
            max_tag_list_bytes: options.max_tag_list_bytes,
            max_tag_pages: options.max_tag_pages,
        };
        let credential = match options.credential {
            Some(c) => c,
            None => crate::auth::credential_for(&registry, reference.repository())?,
        };
        Ok(RegistryStore {
            registry,
            repository: reference.repository().to_owned(),
            base,
            origin,
            allow_http: options.allow_http,
            http,
            credential,
            auth: Mutex::new(AuthState::default()),
            limits,
            referrers_api,
        })
    }

    /// The registry host and port as written in the reference.
    #[must_use]
    pub fn registry(&self) -> &str {
        &self.registry
    }

    /// The repository path.
    #[must_use]
    pub fn repository(&self) -> &str {
        &self.repository
    }

    pub(super) fn url(&self, path: &str) -> Result<Url> {
        self.base.join(path).map_err(|e| Error::InvalidLocation {
            input: path.to_owned(),
            reason: e.to_string(),
        })
    }

    pub(super) fn same_origin(&self, url: &Url) -> bool {
        url.host_str() == Some(self.origin.0.as_str())
            && url.port_or_known_default() == self.origin.1
    }

    pub(super) fn manifest_url(&self, reference: &ManifestRef) -> Result<Url> {
        match reference {
            ManifestRef::Tag(t) => {
                if !crate::layout::valid_tag(t) {
                    return Err(Error::InvalidLocation {
                        input: t.clone(),
                        reason: "not a valid tag".to_owned(),
                    });
                }
                self.url(&format!("manifests/{t}"))
            }
            ManifestRef::Digest(d) => self.url(&format!("manifests/{d}")),
        }
    }
}

impl Store for RegistryStore {
    fn name(&self) -> String {
        format!("{}/{}", self.registry, self.repository)
    }

    async fn resolve(&self, reference: &ManifestRef) -> Result<Descriptor> {
        self.head_manifest(reference).await
    }

    async fn get_manifest(&self, reference: &ManifestRef) -> Result<RawManifest> {
        self.fetch_manifest(reference).await
    }

    async fn put_manifest(&self, manifest: &RawManifest, tag: Option<&str>) -> Result<()> {
        self.push_manifest(manifest, tag).await
    }

    async fn blob_exists(&self, digest: &Digest) -> Result<bool> {
        self.head_blob(digest).await
    }

    async fn get_blob(&self, descriptor: &Descriptor) -> Result<BlobReader> {
        self.fetch_blob(descriptor).await
    }

    async fn put_blob(&self, descriptor: &Descriptor, data: BlobReader) -> Result<()> {
        self.upload_blob(descriptor, data).await
    }

    async fn list_tags(&self) -> Result<Vec<String>> {
        self.fetch_tags().await
    }

    async fn referrers(
        &self,
        subject: &Digest,
        artifact_type: Option<&str>,
    ) -> Result<Vec<Descriptor>> {
        self.find_referrers(subject, artifact_type).await
    }

    async fn delete(&self, digest: &Digest) -> Result<()> {
        self.delete_manifest(digest).await
    }

    fn mount_source(&self) -> Option<MountSource> {
        Some(MountSource {
            registry: self.registry.clone(),
            repository: self.repository.clone(),
        })
    }

    async fn try_mount(&self, descriptor: &Descriptor, source: &MountSource) -> Result<bool> {
        self.mount_blob(descriptor, source).await
    }
}

#[cfg(test)]
mod tests {
    use super::transport::error_message;
    use super::*;

    #[test]
    fn loopback() {
        for yes in [
            "localhost",
            "localhost:5000",
            "127.0.0.1",
            "127.1.2.3:80",
            "[::1]",
            "[::1]:5000",
        ] {
            assert!(is_loopback(yes), "{yes}");
        }
        for no in [
            "docker.io",
            "10.0.0.1:5000",
            "[::2]:1",
            "localhost.example.com",
            "128.0.0.1",
        ] {
            assert!(!is_loopback(no), "{no}");
        }
    }

    #[test]
    fn error_messages() {
        assert_eq!(
            error_message(br#"{"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown","detail":{"Tag":"nope"}}]}"#),
            "MANIFEST_UNKNOWN: manifest unknown"
        );
        assert_eq!(error_message(b"404 page not found\n"), "404 page not found");
        assert_eq!(error_message(b"a\x1b[31mb"), "a\\u{1b}[31mb");
        assert_eq!(error_message(b"one\ntwo\r\n"), "one\\u{a}two");
        let long = error_message(
            format!(
                "{{\"errors\":[{{\"code\":\"X\",\"message\":\"{}\"}}]}}",
                "a\\n".repeat(40_000)
            )
            .as_bytes(),
        );
        assert!(
            long.chars().count() < 320 && long.ends_with("… (cut)"),
            "{long}"
        );
        assert!(!long.contains('\n'));
        assert_eq!(error_message(b""), "(empty body)");
    }

    #[test]
    fn refuses_plain_http_elsewhere() {
        let r: Reference = "registry.example.com/app:v1".parse().unwrap();
        let s = RegistryStore::new(&r, RegistryOptions::new().credential(Credential::Anonymous))
            .unwrap();
        assert_eq!(s.base.scheme(), "https");
        let r: Reference = "127.0.0.1:5000/app:v1".parse().unwrap();
        let s = RegistryStore::new(&r, RegistryOptions::new().credential(Credential::Anonymous))
            .unwrap();
        assert_eq!(s.base.as_str(), "http://127.0.0.1:5000/v2/app/");
    }
}
