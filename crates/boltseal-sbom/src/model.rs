//! The format-neutral SBOM model: a document, its packages (CycloneDX components), files and
//! the relationships between them.
//!
//! The model is the union of what SPDX 2.3 and CycloneDX 1.4–1.6 say about packages. Where the
//! two formats express the same fact differently (CycloneDX `externalReferences` of type
//! `distribution` versus SPDX `downloadLocation`), each reader fills the field its format uses
//! and [`crate::convert`] moves facts between them. Fields a format has and the model does not
//! are kept verbatim in [`Extensions`] and written back on a same-format round trip.

use std::borrow::Cow;
use std::fmt;

use serde_json::{Map, Value};

/// The document identifier SPDX uses for the document itself (and the default here).
pub const DOCUMENT_ID: &str = "SPDXRef-DOCUMENT";

/// An SPDX version.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum SpdxVersion {
    /// SPDX 2.2 (read only).
    V2_2,
    /// SPDX 2.3.
    V2_3,
}

/// A CycloneDX specification version.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum CycloneDxVersion {
    /// CycloneDX 1.4.
    V1_4,
    /// CycloneDX 1.5.
    V1_5,
    /// CycloneDX 1.6.
    V1_6,
    /// CycloneDX 1.7 (read where it is a superset of 1.6; written as 1.6).
    V1_7,
}

impl CycloneDxVersion {
    /// `1.4`, `1.5`, …
    pub fn as_str(self) -> &'static str {
        match self {
            CycloneDxVersion::V1_4 => "1.4",
            CycloneDxVersion::V1_5 => "1.5",
            CycloneDxVersion::V1_6 => "1.6",
            CycloneDxVersion::V1_7 => "1.7",
        }
    }

    /// Parses `1.4` … `1.7`.
    pub fn from_spec(s: &str) -> Option<Self> {
        Some(match s {
            "1.4" => CycloneDxVersion::V1_4,
            "1.5" => CycloneDxVersion::V1_5,
            "1.6" => CycloneDxVersion::V1_6,
            "1.7" => CycloneDxVersion::V1_7,
            _ => return None,
        })
    }
}

impl SpdxVersion {
    /// `SPDX-2.2` or `SPDX-2.3`.
    pub fn as_str(self) -> &'static str {
        match self {
            SpdxVersion::V2_2 => "SPDX-2.2",
            SpdxVersion::V2_3 => "SPDX-2.3",
        }
    }
}

/// A serialization format and version.
///
/// ```
/// use boltseal_sbom::{CycloneDxVersion, Format};
///
/// assert_eq!("cyclonedx-json@1.5".parse::<Format>()?, Format::CycloneDx(CycloneDxVersion::V1_5));
/// assert_eq!("spdx-json".parse::<Format>()?.to_string(), "spdx-json@2.3");
/// # Ok::<(), boltseal_sbom::FormatParseError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Format {
    /// SPDX JSON.
    Spdx(SpdxVersion),
    /// CycloneDX JSON.
    CycloneDx(CycloneDxVersion),
}

impl Format {
    /// Whether this is one of the SPDX versions.
    pub fn is_spdx(self) -> bool {
        matches!(self, Format::Spdx(_))
    }
}

/// A format name that is not `spdx-json[@2.3]` or `cyclonedx-json[@1.4|@1.5|@1.6]`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown SBOM format {0:?}: expected spdx-json[@2.3] or cyclonedx-json[@1.4|@1.5|@1.6]")]
pub struct FormatParseError(pub String);

impl std::str::FromStr for Format {
    type Err = FormatParseError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (name, version) = s.split_once('@').unwrap_or((s, ""));
        let err = || FormatParseError(s.to_owned());
        match name {
            "spdx-json" | "spdx" => match version {
                "" | "2.3" => Ok(Format::Spdx(SpdxVersion::V2_3)),
                _ => Err(err()),
            },
            "cyclonedx-json" | "cyclonedx" | "cdx" => match version {
                "" | "1.6" => Ok(Format::CycloneDx(CycloneDxVersion::V1_6)),
                "1.5" => Ok(Format::CycloneDx(CycloneDxVersion::V1_5)),
                "1.4" => Ok(Format::CycloneDx(CycloneDxVersion::V1_4)),
                _ => Err(err()),
            },
            _ => Err(err()),
        }
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Format::Spdx(SpdxVersion::V2_2) => f.write_str("spdx-json@2.2"),
            Format::Spdx(SpdxVersion::V2_3) => f.write_str("spdx-json@2.3"),
            Format::CycloneDx(v) => write!(f, "cyclonedx-json@{}", v.as_str()),
        }
    }
}

/// Which family of formats an [`Extensions`] map came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum FormatFamily {
    /// SPDX 2.x JSON.
    Spdx,
    /// CycloneDX JSON.
    CycloneDx,
}

/// Fields of the source document that the model has no place for, kept verbatim so a
/// same-format round trip writes them back. A writer for the other format reports them as not
/// carried over.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Extensions {
    /// The format the fields were read from; `None` when empty.
    pub family: Option<FormatFamily>,
    /// The fields, by JSON key.
    pub fields: Map<String, Value>,
}

impl Extensions {
    /// Wraps fields read from `family` (an empty map gives empty extensions).
    pub fn from_fields(family: FormatFamily, fields: Map<String, Value>) -> Self {
        Extensions {
            family: (!fields.is_empty()).then_some(family),
            fields,
        }
    }

    /// Whether there is nothing kept.
    pub fn is_empty(&self) -> bool {
        self.fields.is_empty()
    }

    /// The fields when they came from `family`.
    pub fn for_family(&self, family: FormatFamily) -> Option<&Map<String, Value>> {
        (self.family == Some(family) && !self.fields.is_empty()).then_some(&self.fields)
    }
}

/// A whole SBOM.
#[derive(Debug, Clone, Default, PartialEq)]
#[non_exhaustive]
pub struct Sbom {
    /// Document-level facts.
    pub document: DocumentInfo,
    /// Packages (SPDX packages, CycloneDX components including nested ones, flattened).
    pub packages: Vec<Package>,
    /// SPDX files.
    pub files: Vec<File>,
    /// Relationships (CycloneDX dependencies become `DEPENDS_ON`; nesting becomes `CONTAINS`;
    /// `metadata.component` is the target of the document's `DESCRIBES`).
    pub relationships: Vec<Relationship>,
    /// SPDX `hasExtractedLicensingInfos`: the text of each `LicenseRef-`.
    pub extracted_licenses: Vec<ExtractedLicense>,
    /// Top-level fields the model does not hold (SPDX snippets, annotations; CycloneDX
    /// services, vulnerabilities, compositions, …).
    pub extensions: Extensions,
    /// The format the document was read from, when it was read.
    pub source: Option<Format>,
}

impl Sbom {
    /// An empty SBOM with the given document name.
    pub fn new(name: impl Into<String>) -> Self {
        Sbom {
            document: DocumentInfo {
                name: Some(name.into()),
                ..DocumentInfo::default()
            },
            ..Sbom::default()
        }
    }

    /// The targets of the document's `DESCRIBES` relationships, in order.
    pub fn described(&self) -> impl Iterator<Item = &str> {
        let doc = self.document.id.as_str();
        self.relationships.iter().filter_map(move |r| {
            (r.from == doc && r.kind == RelationshipType::DESCRIBES).then_some(r.to.as_str())
        })
    }
}

/// Document-level facts: SPDX `creationInfo` and header, CycloneDX `metadata` and header.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct DocumentInfo {
    /// The document's own element id (`SPDXRef-DOCUMENT`).
    pub id: String,
    /// SPDX `name` (CycloneDX has none; the root component's name is used when converting).
    pub name: Option<String>,
    /// SPDX `documentNamespace` or CycloneDX `serialNumber`.
    pub namespace: Option<String>,
    /// Creation time, RFC 3339 (`creationInfo.created`, `metadata.timestamp`).
    pub created: Option<String>,
    /// Tools, people and organizations that made the document.
    pub creators: Vec<Actor>,
    /// SPDX `dataLicense`.
    pub data_license: Option<String>,
    /// SPDX `creationInfo.licenseListVersion`.
    pub license_list_version: Option<String>,
    /// CycloneDX BOM `version`.
    pub version: Option<u64>,
    /// Unmapped fields of SPDX `creationInfo` or CycloneDX `metadata`.
    pub extensions: Extensions,
}

impl Default for DocumentInfo {
    fn default() -> Self {
        DocumentInfo {
            id: DOCUMENT_ID.to_owned(),
            name: None,
            namespace: None,
            created: None,
            creators: Vec::new(),
            data_license: None,
            license_list_version: None,
            version: None,
            extensions: Extensions::default(),
        }
    }
}

/// What an [`Actor`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ActorKind {
    /// `Person:`
    Person,
    /// `Organization:`
    Organization,
    /// `Tool:`
    Tool,
    /// SPDX `NOASSERTION`.
    NoAssertion,
}

/// A person, organization or tool (SPDX creators, supplier, originator; CycloneDX tools,
/// supplier, author).
///
/// ```
/// use boltseal_sbom::{Actor, ActorKind};
///
/// let a = Actor::parse_spdx("Organization: Example Inc. (security@example.com)");
/// assert_eq!(a.kind, ActorKind::Organization);
/// assert_eq!(a.email.as_deref(), Some("security@example.com"));
/// assert_eq!(a.to_spdx(), "Organization: Example Inc. (security@example.com)");
/// assert_eq!(Actor::parse_spdx("Tool: syft-1.18.1").version.as_deref(), Some("1.18.1"));
/// ```
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Actor {
    /// Person, organization or tool.
    pub kind: ActorKind,
    /// The name (a tool's name without its version).
    pub name: String,
    /// An e-mail address.
    pub email: Option<String>,
    /// A tool's version.
    pub version: Option<String>,
    /// Unmapped fields of a CycloneDX tool, contact or organizational entity.
    pub extensions: Extensions,
}

impl Actor {
    /// An actor of the given kind and name.
    pub fn new(kind: ActorKind, name: impl Into<String>) -> Self {
        Actor {
            kind,
            name: name.into(),
            email: None,
            version: None,
            extensions: Extensions::default(),
        }
    }

    /// Parses SPDX's `Person: name (email)`, `Organization: name (email)`, `Tool: name-version`
    /// and `NOASSERTION`. Anything else becomes an organization named by the whole string.
    pub fn parse_spdx(s: &str) -> Actor {
        let s = s.trim();
        if s == "NOASSERTION" {
            return Actor::new(ActorKind::NoAssertion, "");
        }
        let (kind, rest) = if let Some(r) = s.strip_prefix("Person:") {
            (ActorKind::Person, r)
        } else if let Some(r) = s.strip_prefix("Organization:") {
            (ActorKind::Organization, r)
        } else if let Some(r) = s.strip_prefix("Tool:") {
            (ActorKind::Tool, r)
        } else {
            (ActorKind::Organization, s)
        };
        let rest = rest.trim();
        if kind == ActorKind::Tool {
            let mut actor = Actor::new(kind, rest);
            if let Some((name, version)) = rest.rsplit_once('-')
                && version.starts_with(|c: char| c.is_ascii_digit())
                && !name.is_empty()
            {
                actor.name = name.to_owned();
                actor.version = Some(version.to_owned());
            }
            return actor;
        }
        let mut actor = Actor::new(kind, rest);
        if rest.ends_with(')')
            && let Some(open) = rest.rfind('(')
        {
            actor.name = rest[..open].trim().to_owned();
            actor.email = Some(rest[open + 1..rest.len() - 1].trim().to_owned());
        }
        actor
    }

    /// The SPDX spelling (`Person: …`, `Organization: …`, `Tool: name-version`, `NOASSERTION`).
    pub fn to_spdx(&self) -> String {
        self.spdx().to_string()
    }

    /// The SPDX spelling, as a `Display` value (no allocation).
    pub(crate) fn spdx(&self) -> ActorSpdx<'_> {
        ActorSpdx(self)
    }
}

/// [`Actor`] in SPDX spelling.
pub(crate) struct ActorSpdx<'a>(&'a Actor);

impl fmt::Display for ActorSpdx<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let a = self.0;
        let prefix = match a.kind {
            ActorKind::NoAssertion => return f.write_str("NOASSERTION"),
            ActorKind::Person => "Person",
            ActorKind::Organization => "Organization",
            ActorKind::Tool => {
                return match &a.version {
                    Some(v) => write!(f, "Tool: {}-{v}", a.name),
                    None => write!(f, "Tool: {}", a.name),
                };
            }
        };
        match &a.email {
            Some(e) => write!(f, "{prefix}: {} ({e})", a.name),
            None => write!(f, "{prefix}: {}", a.name),
        }
    }
}

/// What a package is for: SPDX `primaryPackagePurpose` and CycloneDX component `type`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Purpose {
    /// `APPLICATION` / `application`
    Application,
    /// `FRAMEWORK` / `framework`
    Framework,
    /// `LIBRARY` / `library`
    Library,
    /// `CONTAINER` / `container`
    Container,
    /// `OPERATING-SYSTEM` (also `OPERATING_SYSTEM`) / `operating-system`
    OperatingSystem,
    /// `DEVICE` / `device`
    Device,
    /// `FIRMWARE` / `firmware`
    Firmware,
    /// `FILE` / `file`
    File,
    /// SPDX `SOURCE`
    Source,
    /// SPDX `ARCHIVE`
    Archive,
    /// SPDX `INSTALL`
    Install,
    /// SPDX `OTHER`
    Other,
    /// CycloneDX `platform`
    Platform,
    /// CycloneDX `device-driver`
    DeviceDriver,
    /// CycloneDX `machine-learning-model`
    MachineLearningModel,
    /// CycloneDX `data`
    Data,
    /// CycloneDX `cryptographic-asset`
    CryptographicAsset,
    /// A spelling neither format defines, kept as read.
    Unknown(String),
}

impl Purpose {
    /// Parses either format's spelling (case-insensitive, `-` and `_` alike).
    pub fn parse(s: &str) -> Purpose {
        // The spellings the formats write, without allocating.
        match s {
            "library" | "LIBRARY" => return Purpose::Library,
            "application" | "APPLICATION" => return Purpose::Application,
            "file" | "FILE" => return Purpose::File,
            "container" | "CONTAINER" => return Purpose::Container,
            "operating-system" | "OPERATING_SYSTEM" | "OPERATING-SYSTEM" => {
                return Purpose::OperatingSystem;
            }
            _ => {}
        }
        let norm: String = s
            .chars()
            .map(|c| {
                if c == '_' {
                    '-'
                } else {
                    c.to_ascii_lowercase()
                }
            })
            .collect();
        match norm.as_str() {
            "application" => Purpose::Application,
            "framework" => Purpose::Framework,
            "library" => Purpose::Library,
            "container" => Purpose::Container,
            "operating-system" => Purpose::OperatingSystem,
            "device" => Purpose::Device,
            "firmware" => Purpose::Firmware,
            "file" => Purpose::File,
            "source" => Purpose::Source,
            "archive" => Purpose::Archive,
            "install" => Purpose::Install,
            "other" => Purpose::Other,
            "platform" => Purpose::Platform,
            "device-driver" => Purpose::DeviceDriver,
            "machine-learning-model" => Purpose::MachineLearningModel,
            "data" => Purpose::Data,
            "cryptographic-asset" => Purpose::CryptographicAsset,
            _ => Purpose::Unknown(s.to_owned()),
        }
    }

    /// The SPDX 2.3 JSON spelling, or `None` when SPDX has no such purpose.
    pub fn spdx_name(&self) -> Option<&str> {
        Some(match self {
            Purpose::Application => "APPLICATION",
            Purpose::Framework => "FRAMEWORK",
            Purpose::Library => "LIBRARY",
            Purpose::Container => "CONTAINER",
            Purpose::OperatingSystem => "OPERATING_SYSTEM",
            Purpose::Device => "DEVICE",
            Purpose::Firmware => "FIRMWARE",
            Purpose::File => "FILE",
            Purpose::Source => "SOURCE",
            Purpose::Archive => "ARCHIVE",
            Purpose::Install => "INSTALL",
            Purpose::Other => "OTHER",
            _ => return None,
        })
    }

    /// The CycloneDX spelling and the first version that has it, or `None`.
    pub fn cyclonedx_name(&self) -> Option<(&str, CycloneDxVersion)> {
        use CycloneDxVersion::{V1_4, V1_5, V1_6};
        Some(match self {
            Purpose::Application => ("application", V1_4),
            Purpose::Framework => ("framework", V1_4),
            Purpose::Library => ("library", V1_4),
            Purpose::Container => ("container", V1_4),
            Purpose::OperatingSystem => ("operating-system", V1_4),
            Purpose::Device => ("device", V1_4),
            Purpose::Firmware => ("firmware", V1_4),
            Purpose::File => ("file", V1_4),
            Purpose::Platform => ("platform", V1_5),
            Purpose::DeviceDriver => ("device-driver", V1_5),
            Purpose::MachineLearningModel => ("machine-learning-model", V1_5),
            Purpose::Data => ("data", V1_5),
            Purpose::CryptographicAsset => ("cryptographic-asset", V1_6),
            _ => return None,
        })
    }
}

/// A checksum algorithm, as either format spells it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum HashAlgorithm {
    /// MD2 (SPDX only)
    Md2,
    /// MD4 (SPDX only)
    Md4,
    /// MD5
    Md5,
    /// MD6 (SPDX only)
    Md6,
    /// SHA-1
    Sha1,
    /// SHA-224 (SPDX only)
    Sha224,
    /// SHA-256
    Sha256,
    /// SHA-384
    Sha384,
    /// SHA-512
    Sha512,
    /// SHA3-256
    Sha3_256,
    /// SHA3-384
    Sha3_384,
    /// SHA3-512
    Sha3_512,
    /// BLAKE2b-256
    Blake2b256,
    /// BLAKE2b-384
    Blake2b384,
    /// BLAKE2b-512
    Blake2b512,
    /// BLAKE3
    Blake3,
    /// Adler-32 (SPDX only)
    Adler32,
    /// A spelling neither format defines, kept as read.
    Unknown(String),
}

impl HashAlgorithm {
    /// Parses either format's spelling (`SHA256`, `SHA-256`, …).
    pub fn parse(s: &str) -> HashAlgorithm {
        match s {
            "SHA256" | "SHA-256" => return HashAlgorithm::Sha256,
            "SHA1" | "SHA-1" => return HashAlgorithm::Sha1,
            "SHA512" | "SHA-512" => return HashAlgorithm::Sha512,
            "MD5" => return HashAlgorithm::Md5,
            _ => {}
        }
        let norm: String = s
            .chars()
            .filter(|c| *c != '-' && *c != '_')
            .map(|c| c.to_ascii_uppercase())
            .collect();
        match norm.as_str() {
            "MD2" => HashAlgorithm::Md2,
            "MD4" => HashAlgorithm::Md4,
            "MD5" => HashAlgorithm::Md5,
            "MD6" => HashAlgorithm::Md6,
            "SHA1" => HashAlgorithm::Sha1,
            "SHA224" => HashAlgorithm::Sha224,
            "SHA256" => HashAlgorithm::Sha256,
            "SHA384" => HashAlgorithm::Sha384,
            "SHA512" => HashAlgorithm::Sha512,
            "SHA3256" => HashAlgorithm::Sha3_256,
            "SHA3384" => HashAlgorithm::Sha3_384,
            "SHA3512" => HashAlgorithm::Sha3_512,
            "BLAKE2B256" => HashAlgorithm::Blake2b256,
            "BLAKE2B384" => HashAlgorithm::Blake2b384,
            "BLAKE2B512" => HashAlgorithm::Blake2b512,
            "BLAKE3" => HashAlgorithm::Blake3,
            "ADLER32" => HashAlgorithm::Adler32,
            _ => HashAlgorithm::Unknown(s.to_owned()),
        }
    }

    /// The SPDX spelling.
    pub fn spdx_name(&self) -> &str {
        match self {
            HashAlgorithm::Md2 => "MD2",
            HashAlgorithm::Md4 => "MD4",
            HashAlgorithm::Md5 => "MD5",
            HashAlgorithm::Md6 => "MD6",
            HashAlgorithm::Sha1 => "SHA1",
            HashAlgorithm::Sha224 => "SHA224",
            HashAlgorithm::Sha256 => "SHA256",
            HashAlgorithm::Sha384 => "SHA384",
            HashAlgorithm::Sha512 => "SHA512",
            HashAlgorithm::Sha3_256 => "SHA3-256",
            HashAlgorithm::Sha3_384 => "SHA3-384",
            HashAlgorithm::Sha3_512 => "SHA3-512",
            HashAlgorithm::Blake2b256 => "BLAKE2b-256",
            HashAlgorithm::Blake2b384 => "BLAKE2b-384",
            HashAlgorithm::Blake2b512 => "BLAKE2b-512",
            HashAlgorithm::Blake3 => "BLAKE3",
            HashAlgorithm::Adler32 => "ADLER32",
            HashAlgorithm::Unknown(s) => s,
        }
    }

    /// The CycloneDX spelling, or `None` when CycloneDX has no such algorithm.
    pub fn cyclonedx_name(&self) -> Option<&str> {
        Some(match self {
            HashAlgorithm::Md5 => "MD5",
            HashAlgorithm::Sha1 => "SHA-1",
            HashAlgorithm::Sha256 => "SHA-256",
            HashAlgorithm::Sha384 => "SHA-384",
            HashAlgorithm::Sha512 => "SHA-512",
            HashAlgorithm::Sha3_256 => "SHA3-256",
            HashAlgorithm::Sha3_384 => "SHA3-384",
            HashAlgorithm::Sha3_512 => "SHA3-512",
            HashAlgorithm::Blake2b256 => "BLAKE2b-256",
            HashAlgorithm::Blake2b384 => "BLAKE2b-384",
            HashAlgorithm::Blake2b512 => "BLAKE2b-512",
            HashAlgorithm::Blake3 => "BLAKE3",
            _ => return None,
        })
    }

    /// The length of a hex digest of this algorithm, when fixed.
    pub fn hex_len(&self) -> Option<usize> {
        Some(match self {
            HashAlgorithm::Md2 | HashAlgorithm::Md4 | HashAlgorithm::Md5 => 32,
            HashAlgorithm::Sha1 => 40,
            HashAlgorithm::Sha224 => 56,
            HashAlgorithm::Sha256
            | HashAlgorithm::Sha3_256
            | HashAlgorithm::Blake2b256
            | HashAlgorithm::Blake3 => 64,
            HashAlgorithm::Sha384 | HashAlgorithm::Sha3_384 | HashAlgorithm::Blake2b384 => 96,
            HashAlgorithm::Sha512 | HashAlgorithm::Sha3_512 | HashAlgorithm::Blake2b512 => 128,
            HashAlgorithm::Adler32 => 8,
            _ => return None,
        })
    }
}

/// A checksum of a package or file.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct Checksum {
    /// The algorithm.
    pub algorithm: HashAlgorithm,
    /// The hex digest, as read.
    pub value: String,
}

impl Checksum {
    /// A checksum.
    pub fn new(algorithm: HashAlgorithm, value: impl Into<String>) -> Self {
        Checksum {
            algorithm,
            value: value.into(),
        }
    }
}

/// Whether a license statement is what the package declares or what an analysis concluded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum LicenseKind {
    /// SPDX `licenseDeclared`, CycloneDX `acknowledgement: declared`.
    Declared,
    /// SPDX `licenseConcluded`, CycloneDX `acknowledgement: concluded`.
    Concluded,
    /// CycloneDX without `acknowledgement` (treated as declared when converting).
    Unspecified,
}

/// One license statement.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum LicenseValue {
    /// An SPDX license expression (also `NOASSERTION` / `NONE` from SPDX).
    Expression(String),
    /// A single SPDX license id (CycloneDX `license.id`).
    Id(String),
    /// A license name that is not an SPDX id (CycloneDX `license.name`).
    Name(String),
}

/// A license statement of a package.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct License {
    /// Declared, concluded or unspecified.
    pub kind: LicenseKind,
    /// The expression, id or name.
    pub value: LicenseValue,
    /// Unmapped fields (CycloneDX `text`, `url`, `bom-ref`, `licensing`, `properties`).
    pub extensions: Extensions,
}

impl License {
    /// A license statement.
    pub fn new(kind: LicenseKind, value: LicenseValue) -> Self {
        License {
            kind,
            value,
            extensions: Extensions::default(),
        }
    }
}

/// An external reference: SPDX `externalRefs` (category, type, locator) or CycloneDX
/// `externalReferences` (type, url).
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct ExternalRef {
    /// SPDX `referenceCategory` (`SECURITY`, `PACKAGE-MANAGER`, `PERSISTENT-ID`, `OTHER`);
    /// `None` for CycloneDX references.
    pub category: Option<String>,
    /// SPDX `referenceType` or CycloneDX `type`.
    pub kind: String,
    /// SPDX `referenceLocator` or CycloneDX `url`.
    pub locator: String,
    /// A comment.
    pub comment: Option<String>,
    /// Unmapped fields (CycloneDX `hashes`, …).
    pub extensions: Extensions,
}

impl ExternalRef {
    /// A CycloneDX-style reference (no category).
    pub fn new(kind: impl Into<String>, locator: impl Into<String>) -> Self {
        ExternalRef {
            category: None,
            kind: kind.into(),
            locator: locator.into(),
            comment: None,
            extensions: Extensions::default(),
        }
    }
}

/// A CycloneDX property (name/value pair).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct Property {
    /// The name.
    pub name: String,
    /// The value.
    pub value: Option<String>,
}

impl Property {
    /// A property.
    pub fn new(name: impl Into<String>, value: impl Into<String>) -> Self {
        Property {
            name: name.into(),
            value: Some(value.into()),
        }
    }
}

/// A package (CycloneDX component).
#[derive(Debug, Clone, PartialEq, Default)]
#[non_exhaustive]
pub struct Package {
    /// SPDXID or CycloneDX `bom-ref` (may be empty for CycloneDX components without one).
    pub id: String,
    /// The name.
    pub name: String,
    /// The version.
    pub version: Option<String>,
    /// What it is for.
    pub purpose: Option<Purpose>,
    /// CycloneDX `group` (maven groupId and the like).
    pub group: Option<String>,
    /// The package URL, as read (validated by [`crate::validate()`]).
    pub purl: Option<String>,
    /// CPE 2.3 names.
    pub cpes: Vec<String>,
    /// The supplier.
    pub supplier: Option<Actor>,
    /// SPDX originator, CycloneDX `author`.
    pub originator: Option<Actor>,
    /// License statements.
    pub licenses: Vec<License>,
    /// Checksums (CycloneDX `hashes`).
    pub checksums: Vec<Checksum>,
    /// SPDX `downloadLocation` (a URL, `NONE` or `NOASSERTION`).
    pub download_location: Option<String>,
    /// SPDX `homepage`.
    pub homepage: Option<String>,
    /// External references other than the purl and CPEs.
    pub external_refs: Vec<ExternalRef>,
    /// CycloneDX properties.
    pub properties: Vec<Property>,
    /// Copyright text.
    pub copyright: Option<String>,
    /// Description.
    pub description: Option<String>,
    /// SPDX `filesAnalyzed`.
    pub files_analyzed: Option<bool>,
    /// Unmapped fields of the package or component.
    pub extensions: Extensions,
}

impl Package {
    /// A package with an id and a name.
    pub fn new(id: impl Into<String>, name: impl Into<String>) -> Self {
        Package {
            id: id.into(),
            name: name.into(),
            ..Package::default()
        }
    }
}

/// An SPDX file.
#[derive(Debug, Clone, PartialEq, Default)]
#[non_exhaustive]
pub struct File {
    /// SPDXID.
    pub id: String,
    /// `fileName`.
    pub name: String,
    /// Checksums.
    pub checksums: Vec<Checksum>,
    /// `licenseConcluded`.
    pub license_concluded: Option<String>,
    /// `licenseInfoInFiles`.
    pub license_info: Vec<String>,
    /// `copyrightText`.
    pub copyright: Option<String>,
    /// `comment`.
    pub comment: Option<String>,
    /// Unmapped fields.
    pub extensions: Extensions,
}

impl File {
    /// A file with an id and a name.
    pub fn new(id: impl Into<String>, name: impl Into<String>) -> Self {
        File {
            id: id.into(),
            name: name.into(),
            ..File::default()
        }
    }
}

/// An SPDX relationship type (upper-case, `_`-separated); CycloneDX dependencies are
/// `DEPENDS_ON`, nesting is `CONTAINS`.
///
/// ```
/// use boltseal_sbom::RelationshipType;
///
/// assert_eq!(RelationshipType::new("depends-on"), RelationshipType::DEPENDS_ON);
/// assert_eq!(RelationshipType::DESCRIBES.as_str(), "DESCRIBES");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RelationshipType(Cow<'static, str>);

impl RelationshipType {
    /// `DESCRIBES`
    pub const DESCRIBES: RelationshipType = RelationshipType(Cow::Borrowed("DESCRIBES"));
    /// `DESCRIBED_BY`
    pub const DESCRIBED_BY: RelationshipType = RelationshipType(Cow::Borrowed("DESCRIBED_BY"));
    /// `CONTAINS`
    pub const CONTAINS: RelationshipType = RelationshipType(Cow::Borrowed("CONTAINS"));
    /// `CONTAINED_BY`
    pub const CONTAINED_BY: RelationshipType = RelationshipType(Cow::Borrowed("CONTAINED_BY"));
    /// `DEPENDS_ON`
    pub const DEPENDS_ON: RelationshipType = RelationshipType(Cow::Borrowed("DEPENDS_ON"));
    /// `DEPENDENCY_OF`
    pub const DEPENDENCY_OF: RelationshipType = RelationshipType(Cow::Borrowed("DEPENDENCY_OF"));
    /// `OTHER`
    pub const OTHER: RelationshipType = RelationshipType(Cow::Borrowed("OTHER"));

    /// Normalizes a spelling (`depends-on`, `DEPENDS_ON`).
    pub fn new(s: &str) -> Self {
        for known in [
            Self::DEPENDS_ON,
            Self::CONTAINS,
            Self::DESCRIBES,
            Self::DEPENDENCY_OF,
            Self::OTHER,
        ] {
            if known.0 == s {
                return known;
            }
        }
        let norm: String = s
            .trim()
            .chars()
            .map(|c| {
                if c == '-' {
                    '_'
                } else {
                    c.to_ascii_uppercase()
                }
            })
            .collect();
        for known in [
            Self::DESCRIBES,
            Self::DESCRIBED_BY,
            Self::CONTAINS,
            Self::CONTAINED_BY,
            Self::DEPENDS_ON,
            Self::DEPENDENCY_OF,
            Self::OTHER,
        ] {
            if known.0 == norm {
                return known;
            }
        }
        RelationshipType(Cow::Owned(norm))
    }

    /// The SPDX spelling.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for RelationshipType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A directed relationship between two elements (by id).
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Relationship {
    /// The source element id.
    pub from: String,
    /// The relationship type.
    pub kind: RelationshipType,
    /// The target element id (or SPDX `NONE` / `NOASSERTION`).
    pub to: String,
    /// A comment.
    pub comment: Option<String>,
    /// Unmapped fields.
    pub extensions: Extensions,
}

impl Relationship {
    /// A relationship.
    pub fn new(from: impl Into<String>, kind: RelationshipType, to: impl Into<String>) -> Self {
        Relationship {
            from: from.into(),
            kind,
            to: to.into(),
            comment: None,
            extensions: Extensions::default(),
        }
    }
}

/// SPDX `hasExtractedLicensingInfos` entry: the text behind a `LicenseRef-`.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct ExtractedLicense {
    /// `LicenseRef-…`
    pub id: String,
    /// The license text.
    pub text: String,
    /// A name.
    pub name: Option<String>,
    /// Unmapped fields.
    pub extensions: Extensions,
}

impl ExtractedLicense {
    /// An extracted license.
    pub fn new(id: impl Into<String>, text: impl Into<String>) -> Self {
        ExtractedLicense {
            id: id.into(),
            text: text.into(),
            name: None,
            extensions: Extensions::default(),
        }
    }
}
