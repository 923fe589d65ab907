//! The closed vocabularies of the model: who made something ([`Actor`]), what a package is
//! for ([`Purpose`]) and how it is hashed ([`HashAlgorithm`]), each with both formats' spellings.

use std::fmt;

use super::{CycloneDxVersion, Extensions};

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
    /// An algorithm neither format names, kept as spelled.
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
            // Spelled as SPDX spells them.
            HashAlgorithm::Sha3_256
            | HashAlgorithm::Sha3_384
            | HashAlgorithm::Sha3_512
            | HashAlgorithm::Blake2b256
            | HashAlgorithm::Blake2b384
            | HashAlgorithm::Blake2b512
            | HashAlgorithm::Blake3 => self.spdx_name(),
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
