#![doc = include_str!("../README.md")]

pub mod catalog;
mod error;
pub mod formats;
pub mod index;
pub mod sbom;
pub mod source;
mod walk;

use std::sync::Arc;
use std::time::{Duration, Instant};

use boltseal_oci::Platform;

pub use catalog::{Catalog, Distro, Package, PackageType};
pub use error::{Error, Result};
pub use index::FileIndex;
pub use source::{ImageMeta, LayerInfo, Source};
pub use walk::Limits;

/// A progress report, for a progress bar.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum Progress {
    /// The image was resolved; `layers` layers of `bytes` stored bytes will be read.
    Resolved {
        /// Number of layers.
        layers: usize,
        /// Their stored size.
        bytes: u64,
    },
    /// One more layer was read.
    LayerDone {
        /// Its position (0 = bottom).
        index: usize,
        /// Its stored size.
        bytes: u64,
    },
    /// Cataloguing started.
    Cataloguing,
}

/// A progress callback.
pub type ProgressFn = Arc<dyn Fn(&Progress) + Send + Sync>;

/// A [`ProgressFn`] that draws one line on standard error, redrawn in place (`layers 2/5 (1.2
/// MiB of 30.0 MiB)`, then `cataloguing packages`); for a terminal. Erase it when the scan ends
/// (`eprint!("\r\x1b[K")`).
#[must_use]
pub fn progress_line() -> ProgressFn {
    use std::io::Write as _;
    use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
    // Layers and bytes: in all, then done.
    let counts: Arc<[AtomicU64; 4]> = Arc::new(Default::default());
    Arc::new(move |p: &Progress| {
        let mut err = std::io::stderr().lock();
        let size = |i: usize| boltseal_oci::human_size(counts[i].load(Relaxed));
        let _ = match p {
            Progress::Resolved { layers, bytes } => {
                counts[0].store(*layers as u64, Relaxed);
                counts[1].store(*bytes, Relaxed);
                Ok(())
            }
            Progress::LayerDone { bytes, .. } => {
                let n = counts[2].fetch_add(1, Relaxed) + 1;
                counts[3].fetch_add(*bytes, Relaxed);
                let of = counts[0].load(Relaxed);
                write!(err, "\r\x1b[Klayers {n}/{of} ({} of {})", size(3), size(1))
            }
            Progress::Cataloguing => write!(err, "\r\x1b[Kcataloguing packages"),
        };
        let _ = err.flush();
    })
}

/// How to scan.
#[derive(Clone)]
#[non_exhaustive]
pub struct ScanOptions {
    /// The platform picked from an index (default: `linux/amd64`).
    pub platform: Platform,
    /// Registry options (plain HTTP, …).
    pub registry: boltseal_oci::RegistryOptions,
    /// Reading limits.
    pub limits: Limits,
    /// Layers read at the same time (default: the number of CPUs).
    pub threads: usize,
    /// Progress callback.
    pub progress: Option<ProgressFn>,
}

impl std::fmt::Debug for ScanOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ScanOptions")
            .field("platform", &self.platform)
            .field("limits", &self.limits)
            .field("threads", &self.threads)
            .finish_non_exhaustive()
    }
}

impl Default for ScanOptions {
    fn default() -> Self {
        ScanOptions {
            platform: Platform::linux_amd64(),
            registry: boltseal_oci::RegistryOptions::new(),
            limits: Limits::default(),
            threads: std::thread::available_parallelism().map_or(2, std::num::NonZero::get),
            progress: None,
        }
    }
}

impl ScanOptions {
    /// Defaults: `linux/amd64`, default limits, one thread per CPU.
    #[must_use]
    pub fn new() -> Self {
        ScanOptions::default()
    }

    /// Selects the platform of an index.
    #[must_use]
    pub fn platform(mut self, platform: Platform) -> Self {
        self.platform = platform;
        self
    }

    /// Registry options.
    #[must_use]
    pub fn registry(mut self, registry: boltseal_oci::RegistryOptions) -> Self {
        self.registry = registry;
        self
    }

    /// Reading limits.
    #[must_use]
    pub fn limits(mut self, limits: Limits) -> Self {
        self.limits = limits;
        self
    }

    /// Layers read at once (at least 1).
    #[must_use]
    pub fn threads(mut self, threads: usize) -> Self {
        self.threads = threads.max(1);
        self
    }

    /// A progress callback.
    #[must_use]
    pub fn progress(mut self, progress: ProgressFn) -> Self {
        self.progress = Some(progress);
        self
    }

    fn report(&self, p: &Progress) {
        if let Some(f) = &self.progress {
            f(p);
        }
    }
}

/// Where the time of a scan went.
#[derive(Debug, Clone, Copy, Default)]
#[non_exhaustive]
pub struct Timings {
    /// Resolving the image and reading manifests and configuration.
    pub resolve: Duration,
    /// Reading, decompressing and walking the layers (wall time, layers in parallel).
    pub layers: Duration,
    /// Squashing the layers into one index.
    pub squash: Duration,
    /// Running the catalogers.
    pub catalog: Duration,
}

/// The result of a scan.
#[derive(Debug)]
#[non_exhaustive]
pub struct Scan {
    /// The image (or directory).
    pub meta: ImageMeta,
    /// The packages.
    pub catalog: Catalog,
    /// The visible files.
    pub index: FileIndex,
    /// Uncompressed bytes read.
    pub bytes_read: u64,
    /// Where the time went.
    pub timings: Timings,
}

/// Scans an image or directory.
///
/// # Errors
/// [`Error`] naming the source, layer and entry that could not be read or broke a limit.
pub async fn scan(source: &Source, options: &ScanOptions) -> Result<Scan> {
    let start = Instant::now();
    let mut meta = ImageMeta {
        input: source.to_string(),
        name: source::short_name(source),
        is_dir: source.is_dir(),
        ..ImageMeta::default()
    };
    let budget = Arc::new(walk::Budget::default());
    let dir_scan = source.is_dir();
    let (index, resolve, layers) = match source {
        Source::Dir(path) => {
            let path = path.clone();
            let limits = options.limits.clone();
            let b = budget.clone();
            let t = Instant::now();
            let index = tokio::task::spawn_blocking(move || dir::walk_dir(&path, &limits, &b))
                .await
                .map_err(|e| Error::invalid("directory scan", e.to_string()))??;
            let layers = t.elapsed();
            (
                (index, Duration::ZERO),
                start.elapsed().saturating_sub(layers),
                layers,
            )
        }
        Source::Store(location) => {
            let (store, fetches) =
                source::open_store(location, &options.registry, &options.platform, &mut meta)
                    .await?;
            let resolve = start.elapsed();
            let t = Instant::now();
            let store = Arc::new(store);
            let index = read_layers(&meta, fetches, Some(store), options, &budget).await?;
            (index, resolve, t.elapsed())
        }
        Source::OciArchive { path, tag } => {
            let fetches =
                source::open_oci_archive(path, tag.as_deref(), &options.platform, &mut meta)?;
            let resolve = start.elapsed();
            let t = Instant::now();
            let index = read_layers(&meta, fetches, None, options, &budget).await?;
            (index, resolve, t.elapsed())
        }
        Source::DockerArchive(path) => {
            let fetches = source::open_docker_archive(path, &mut meta)?;
            let resolve = start.elapsed();
            let t = Instant::now();
            let index = read_layers(&meta, fetches, None, options, &budget).await?;
            (index, resolve, t.elapsed())
        }
    };
    let (mut index, squash) = index;
    options.report(&Progress::Cataloguing);
    let t = Instant::now();
    index.link_hardlink_contents();
    let catalog = catalog::catalog(&index, dir_scan);
    let catalog_time = t.elapsed();
    Ok(Scan {
        meta,
        catalog,
        index,
        bytes_read: budget.bytes.load(std::sync::atomic::Ordering::Relaxed),
        timings: Timings {
            resolve,
            layers: layers.saturating_sub(squash),
            squash,
            catalog: catalog_time,
        },
    })
}

/// Reads every layer (in parallel, on blocking threads) and squashes them; returns the index
/// and the time spent squashing.
async fn read_layers(
    meta: &ImageMeta,
    fetches: Vec<source::LayerFetch>,
    store: Option<Arc<boltseal_oci::AnyStore>>,
    options: &ScanOptions,
    budget: &Arc<walk::Budget>,
) -> Result<(FileIndex, Duration)> {
    options.report(&Progress::Resolved {
        layers: meta.layers.len(),
        bytes: meta.layers.iter().map(|l| l.size).sum(),
    });
    let handle = tokio::runtime::Handle::current();
    let jobs: Vec<(usize, source::LayerFetch, LayerInfo)> = fetches
        .into_iter()
        .zip(meta.layers.iter().cloned())
        .enumerate()
        .map(|(i, (f, l))| (i, f, l))
        .collect();
    let count = jobs.len();
    let threads = options.threads.min(count).max(1);
    let queue = Arc::new(std::sync::Mutex::new(jobs));
    let mut tasks = Vec::new();
    for _ in 0..threads {
        let queue = queue.clone();
        let store = store.clone();
        let handle = handle.clone();
        let options = options.clone();
        let budget = budget.clone();
        tasks.push(tokio::task::spawn_blocking(move || {
            let mut done = Vec::new();
            loop {
                let job = match queue.lock() {
                    Ok(mut q) => q.pop(),
                    Err(_) => None,
                };
                let Some((i, fetch, info)) = job else { break };
                let changes = read_one(
                    i,
                    fetch,
                    &info,
                    store.as_deref(),
                    &handle,
                    &options,
                    &budget,
                )?;
                options.report(&Progress::LayerDone {
                    index: i,
                    bytes: info.size,
                });
                done.push((i, changes));
            }
            Ok::<_, Error>(done)
        }));
    }
    let mut results: Vec<Option<index::LayerChanges>> = (0..count).map(|_| None).collect();
    let mut first_error = None;
    for t in tasks {
        match t.await {
            Ok(Ok(done)) => {
                for (i, c) in done {
                    results[i] = Some(c);
                }
            }
            Ok(Err(e)) => {
                first_error.get_or_insert(e);
            }
            Err(e) => {
                first_error.get_or_insert(Error::invalid("layer reader", e.to_string()));
            }
        }
    }
    if let Some(e) = first_error {
        return Err(e);
    }
    let t = Instant::now();
    let index = FileIndex::squash(results.into_iter().flatten());
    Ok((index, t.elapsed()))
}

fn read_one(
    i: usize,
    fetch: source::LayerFetch,
    info: &LayerInfo,
    store: Option<&boltseal_oci::AnyStore>,
    handle: &tokio::runtime::Handle,
    options: &ScanOptions,
    budget: &walk::Budget,
) -> Result<index::LayerChanges> {
    use std::io::{Read, Seek, SeekFrom};
    let name = info.name(i);
    let index = u32::try_from(i).unwrap_or(u32::MAX);
    let wants = |path: &str, _mode: u32| catalog::wants(path, false);
    let limits = &options.limits;
    match fetch {
        source::LayerFetch::Store(descriptor) => {
            let Some(store) = store else {
                return Err(Error::invalid(&name, "no store"));
            };
            use boltseal_oci::Store;
            let reader = handle.block_on(store.get_blob(&descriptor))?;
            let bridge = Bridge {
                inner: reader,
                handle: handle.clone(),
            };
            walk::walk_layer(bridge, index, &name, limits, budget, &wants)
        }
        source::LayerFetch::Archive { path, offset, size } => {
            let mut file =
                std::fs::File::open(&path).map_err(|e| Error::io(path.display().to_string(), e))?;
            file.seek(SeekFrom::Start(offset))
                .map_err(|e| Error::io(path.display().to_string(), e))?;
            let raw = std::io::BufReader::with_capacity(1 << 20, file.take(size));
            match (info.digest, info.diff_id) {
                (Some(d), _) => {
                    let verified = source::Verified::new(raw, d, name.clone());
                    walk::walk_layer(verified, index, &name, limits, budget, &wants)
                }
                (None, Some(diff)) => {
                    // docker-archive: the stored layer is the uncompressed tar, whose digest is
                    // the diff ID.
                    let verified = source::Verified::new(raw, diff, name.clone());
                    walk::walk_layer(verified, index, &name, limits, budget, &wants)
                }
                (None, None) => walk::walk_layer(raw, index, &name, limits, budget, &wants),
            }
        }
    }
}

/// Reads one layer blob (gzip, zstd or plain tar, detected from its first bytes) into the
/// changes it makes, keeping the contents the catalogers need. `name` names the layer in
/// errors. This is the single pass [`scan`] makes over every layer.
///
/// ```
/// let mut tar = tar::Builder::new(Vec::new());
/// let mut h = tar::Header::new_gnu();
/// h.set_size(0);
/// h.set_mode(0o644);
/// tar.append_data(&mut h, "etc/.wh.passwd", std::io::empty())?;
/// let changes = boltseal_scan::read_layer(&tar.into_inner()?[..], "layer", &Default::default())?;
/// assert_eq!(changes.whiteouts, ["/etc/passwd"]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// # Errors
/// [`Error::Entry`] for a refused entry, [`Error::Limit`], or [`Error::Invalid`] for a
/// malformed stream.
pub fn read_layer<R: std::io::Read>(
    reader: R,
    name: &str,
    limits: &Limits,
) -> Result<index::LayerChanges> {
    let budget = walk::Budget::default();
    let wants = |path: &str, _mode: u32| catalog::wants(path, false);
    walk::walk_layer(reader, 0, name, limits, &budget, &wants)
}

/// A synchronous view of an async blob stream, for the blocking layer threads.
struct Bridge {
    inner: boltseal_oci::BlobReader,
    handle: tokio::runtime::Handle,
}

impl std::io::Read for Bridge {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        use tokio::io::AsyncReadExt;
        let inner = &mut self.inner;
        self.handle.block_on(inner.read(buf))
    }
}

mod dir;
