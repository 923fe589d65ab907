//! RPM package databases, read-only and in pure Rust.
//!
//! An rpmdb stores one RPM header blob per installed package in one of three containers:
//!
//! * SQLite `rpmdb.sqlite` (Fedora ≥ 33, RHEL 9, Azure Linux): table `Packages`, column
//!   `blob` — [`read_sqlite`], built on a minimal read-only SQLite table reader;
//! * Berkeley DB hash `Packages` (RHEL ≤ 8, CentOS 7, Amazon Linux 2), either byte order —
//!   [`read_bdb`];
//! * NDB `Packages.db` (SUSE) — [`read_ndb`].
//!
//! [`read_rpmdb`] detects the container from the content (SQLite magic, then the NDB magic,
//! then the Berkeley DB hash magic) and decodes every header with [`parse_header`]. A SQLite
//! write-ahead log (`rpmdb.sqlite-wal`) is not read: only committed pages in the main file count.
//!
//! ```
//! use boltseal_scan::formats::rpm::{parse_header, read_rpmdb, RpmError};
//!
//! // A header blob with two string entries, NAME (1000) and VERSION (1001): entry count and
//! // data length, then (tag, type 6 = string, offset, count) per entry, then the data.
//! let mut blob = Vec::new();
//! for v in [2u32, 8, 1000, 6, 0, 1, 1001, 6, 4, 1] {
//!     blob.extend_from_slice(&v.to_be_bytes());
//! }
//! blob.extend_from_slice(b"zsh\x005.9\0");
//! let pkg = parse_header(&blob)?;
//! assert_eq!((pkg.name.as_str(), pkg.version.as_str()), ("zsh", "5.9"));
//!
//! // Not an rpmdb at all:
//! assert!(matches!(read_rpmdb(b"hello"), Err(RpmError::UnknownFormat)));
//! # Ok::<(), RpmError>(())
//! ```
//!
//! Records carry what catalogers need for a package and its purl: name, version, release,
//! epoch, arch, source rpm, licence, vendor, size, modularity label, the signature summary and
//! the file list (path, digest, size, mode, flags, owner).

mod bdb;
mod header;
mod ndb;
mod sqlite;

pub use header::{MAX_FILES, MAX_HEADER_SIZE, MAX_INDEX_ENTRIES, parse_header};

/// Most package headers read from one database.
pub const MAX_PACKAGES: usize = 200_000;

/// Errors of the rpmdb readers; each message is one line naming what was wrong.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum RpmError {
    /// The bytes are none of SQLite, NDB or Berkeley DB hash.
    #[error("not an rpmdb: no SQLite, NDB or Berkeley DB hash magic")]
    UnknownFormat,
    /// The SQLite file is malformed or has no usable `Packages` table.
    #[error("rpmdb.sqlite: {0}")]
    Sqlite(String),
    /// The Berkeley DB hash file is malformed.
    #[error("Berkeley DB rpmdb: {0}")]
    Bdb(String),
    /// The NDB file is malformed.
    #[error("NDB rpmdb: {0}")]
    Ndb(String),
    /// A package header blob is malformed.
    #[error("rpm header: {0}")]
    Header(String),
    /// The database holds more than [`MAX_PACKAGES`] headers.
    #[error("rpmdb holds more than {MAX_PACKAGES} packages")]
    TooManyPackages,
}

/// The container format of an rpmdb.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum RpmDbFormat {
    /// SQLite (`rpmdb.sqlite`).
    Sqlite,
    /// Berkeley DB hash (`Packages`).
    BerkeleyDb,
    /// NDB (`Packages.db`).
    Ndb,
}

/// One installed package from an rpmdb header.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct RpmPackage {
    /// `NAME`.
    pub name: String,
    /// `VERSION`.
    pub version: String,
    /// `RELEASE`.
    pub release: String,
    /// `EPOCH`, when the header has one.
    pub epoch: Option<i64>,
    /// `ARCH` (`x86_64`, `noarch`, …).
    pub arch: String,
    /// `SOURCERPM` (`util-linux-2.32.1-42.el8_8.src.rpm`); empty for source packages and
    /// `gpg-pubkey` entries.
    pub source_rpm: String,
    /// Installed size in bytes (`LONGSIZE`, else `SIZE`).
    pub size: i64,
    /// `LICENSE` as written by the packager.
    pub license: String,
    /// `VENDOR`.
    pub vendor: String,
    /// `SUMMARY` (first locale).
    pub summary: String,
    /// `URL`.
    pub url: String,
    /// `MODULARITYLABEL` (RHEL/Fedora modules), empty when absent.
    pub modularity_label: String,
    /// `INSTALLTIME` (Unix seconds).
    pub install_time: Option<i64>,
    /// `SIGMD5` as lowercase hex, empty when absent.
    pub sigmd5: String,
    /// Signature summary `ALGO/HASH, <date>, Key ID <hex>` from the RSA/DSA header signature,
    /// empty for unsigned packages.
    pub pgp: String,
    /// `FILEDIGESTALGO` (1 = MD5, 2 = SHA-1, 8 = SHA-256, …); `None` means MD5.
    pub digest_algorithm: Option<i64>,
    /// `PROVIDENAME` entries.
    pub provides: Vec<String>,
    /// `REQUIRENAME` entries.
    pub requires: Vec<String>,
    /// Files owned by the package, in header order.
    pub files: Vec<RpmFile>,
}

impl RpmPackage {
    /// `[epoch:]version-release`, the version string syft reports.
    #[must_use]
    pub fn evr(&self) -> String {
        match self.epoch {
            Some(e) => format!("{e}:{}-{}", self.version, self.release),
            None => format!("{}-{}", self.version, self.release),
        }
    }
}

/// One file of an installed package.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct RpmFile {
    /// Absolute path (directory name + base name).
    pub path: String,
    /// Hex digest in the package's `digest_algorithm`; empty for directories and links.
    pub digest: String,
    /// Size in bytes.
    pub size: i64,
    /// Unix mode bits (type and permissions).
    pub mode: u16,
    /// rpm file flags (`1` config, `2` doc, `0x40` ghost, …).
    pub flags: u32,
    /// Owning user name.
    pub user: String,
    /// Owning group name.
    pub group: String,
}

/// The container format of `bytes`, by magic number, or `None`.
#[must_use]
pub fn detect_format(bytes: &[u8]) -> Option<RpmDbFormat> {
    if bytes.starts_with(b"SQLite format 3\0") {
        Some(RpmDbFormat::Sqlite)
    } else if bytes.starts_with(b"RpmP") {
        Some(RpmDbFormat::Ndb)
    } else if bdb::is_bdb_hash(bytes) {
        Some(RpmDbFormat::BerkeleyDb)
    } else {
        None
    }
}

/// Reads every package of an rpmdb in any of the three formats.
///
/// # Errors
///
/// [`RpmError::UnknownFormat`] when the format is not recognised, otherwise the errors of
/// [`read_sqlite`], [`read_bdb`], [`read_ndb`] and [`parse_header`].
pub fn read_rpmdb(bytes: &[u8]) -> Result<Vec<RpmPackage>, RpmError> {
    match detect_format(bytes).ok_or(RpmError::UnknownFormat)? {
        RpmDbFormat::Sqlite => read_sqlite(bytes),
        RpmDbFormat::BerkeleyDb => read_bdb(bytes),
        RpmDbFormat::Ndb => read_ndb(bytes),
    }
}

/// What [`read_rpmdb_lenient`] found: the packages whose headers decode, and the position and
/// error of each header that does not.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct RpmDbContents {
    /// Packages in database order.
    pub packages: Vec<RpmPackage>,
    /// (index of the header in database order, why it was skipped).
    pub bad_headers: Vec<(usize, RpmError)>,
}

/// Like [`read_rpmdb`], but a malformed package header is skipped and reported instead of
/// failing the whole database (syft's behaviour: invalid entries are left out).
///
/// # Errors
///
/// Only errors of the container ([`RpmError::UnknownFormat`], [`RpmError::Sqlite`],
/// [`RpmError::Bdb`], [`RpmError::Ndb`], [`RpmError::TooManyPackages`]).
pub fn read_rpmdb_lenient(bytes: &[u8]) -> Result<RpmDbContents, RpmError> {
    let blobs = match detect_format(bytes).ok_or(RpmError::UnknownFormat)? {
        RpmDbFormat::Sqlite => sqlite::package_blobs(bytes)?,
        RpmDbFormat::BerkeleyDb => bdb::package_blobs(bytes)?,
        RpmDbFormat::Ndb => ndb::package_blobs(bytes)?,
    };
    let mut out = RpmDbContents::default();
    for (i, b) in blobs.iter().enumerate() {
        match parse_header(b) {
            Ok(p) => out.packages.push(p),
            Err(e) => out.bad_headers.push((i, e)),
        }
    }
    Ok(out)
}

fn decode_all(blobs: Vec<Vec<u8>>) -> Result<Vec<RpmPackage>, RpmError> {
    blobs.iter().map(|b| parse_header(b)).collect()
}

/// Reads the packages of a SQLite `rpmdb.sqlite`.
///
/// # Errors
///
/// [`RpmError::Sqlite`] when the file or its `Packages` table is malformed, [`RpmError::Header`]
/// for a malformed header, [`RpmError::TooManyPackages`] above [`MAX_PACKAGES`].
pub fn read_sqlite(bytes: &[u8]) -> Result<Vec<RpmPackage>, RpmError> {
    decode_all(sqlite::package_blobs(bytes)?)
}

/// Reads the packages of a Berkeley DB hash `Packages` file (either byte order).
///
/// # Errors
///
/// [`RpmError::Bdb`] when the file is malformed, [`RpmError::Header`] for a malformed header,
/// [`RpmError::TooManyPackages`] above [`MAX_PACKAGES`].
pub fn read_bdb(bytes: &[u8]) -> Result<Vec<RpmPackage>, RpmError> {
    decode_all(bdb::package_blobs(bytes)?)
}

/// Reads the packages of an NDB `Packages.db`, in slot order.
///
/// # Errors
///
/// [`RpmError::Ndb`] when the file is malformed, [`RpmError::Header`] for a malformed header,
/// [`RpmError::TooManyPackages`] above [`MAX_PACKAGES`].
pub fn read_ndb(bytes: &[u8]) -> Result<Vec<RpmPackage>, RpmError> {
    decode_all(ndb::package_blobs(bytes)?)
}

/// A bound is [`boltseal_core::ErrorKind::LimitExceeded`]; the rest is invalid input.
impl boltseal_core::Classify for RpmError {
    fn kind(&self) -> boltseal_core::ErrorKind {
        match self {
            RpmError::TooManyPackages => boltseal_core::ErrorKind::LimitExceeded,
            _ => boltseal_core::ErrorKind::InvalidInput,
        }
    }
}
