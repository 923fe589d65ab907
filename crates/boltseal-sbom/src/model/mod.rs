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

mod vocabulary;

pub(crate) use vocabulary::ActorSpdx;
pub use vocabulary::{Actor, ActorKind, HashAlgorithm, Purpose};

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

impl boltseal_core::Classify for FormatParseError {
    fn kind(&self) -> boltseal_core::ErrorKind {
        boltseal_core::ErrorKind::InvalidInput
    }
}

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
