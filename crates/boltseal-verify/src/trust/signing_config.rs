//! Sigstore's `signing_config.json` (v0.2): where a signer finds Fulcio, the OIDC provider,
//! Rekor and timestamp authorities, and how many of each to use.

use boltseal_core::{Classify, ErrorKind, Timestamp};
use serde::Deserialize;

/// The public-good instance's `signing_config.v0.2.json` (the TUF target as of late 2025).
const PUBLIC_GOOD_SIGNING_CONFIG: &[u8] =
    include_bytes!("../../data/public-good-signing-config.json");

/// The media type of a v0.2 signing configuration (TUF target `signing_config.v0.2.json`).
pub const SIGNING_CONFIG_MEDIA_TYPE: &str = "application/vnd.dev.sigstore.signingconfig.v0.2+json";

/// The largest signing configuration [`SigningConfig::from_json`] reads.
pub const MAX_SIGNING_CONFIG_BYTES: usize = 1024 * 1024;

/// Why bytes are not a usable signing configuration, or no service can be selected.
#[non_exhaustive]
#[derive(Debug, thiserror::Error)]
pub enum SigningConfigError {
    /// Not JSON of the signing-config shape.
    #[error("signing config is not valid JSON of the expected shape: {0}")]
    Json(#[source] serde_json::Error),
    /// Larger than [`MAX_SIGNING_CONFIG_BYTES`].
    #[error("signing config is {size} bytes, over the limit of {limit}")]
    TooLarge {
        /// Bytes seen.
        size: usize,
        /// The limit.
        limit: usize,
    },
    /// The media type is not the v0.2 signing config.
    #[error(
        "signing config media type {0:?} is not supported (expected {SIGNING_CONFIG_MEDIA_TYPE})"
    )]
    UnsupportedMediaType(String),
    /// A field is missing or not valid.
    #[error("signing config {field}: {reason}")]
    Invalid {
        /// JSON path of the field, e.g. `rekorTlogUrls[1].validFor.start`.
        field: String,
        /// What is wrong.
        reason: String,
    },
    /// No service of this kind is valid now with an API version the caller supports.
    #[error(
        "signing config has no {kind} service valid at {at} with major API version in {versions:?}"
    )]
    NoService {
        /// The kind of service.
        kind: ServiceKind,
        /// The time of the selection.
        at: Timestamp,
        /// The versions the caller supports.
        versions: Vec<u32>,
    },
    /// The selector asks for more services than are valid.
    #[error("signing config asks for {wanted} {kind} services, only {found} are valid")]
    TooFewServices {
        /// The kind of service.
        kind: ServiceKind,
        /// Services the selector asks for.
        wanted: u32,
        /// Services valid now.
        found: usize,
    },
}

impl Classify for SigningConfigError {
    fn kind(&self) -> ErrorKind {
        match self {
            SigningConfigError::TooLarge { .. } => ErrorKind::LimitExceeded,
            SigningConfigError::NoService { .. } | SigningConfigError::TooFewServices { .. } => {
                ErrorKind::NotFound
            }
            _ => ErrorKind::InvalidInput,
        }
    }
}

/// The kinds of service a signing configuration lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ServiceKind {
    /// Fulcio (`caUrls`).
    CertificateAuthority,
    /// The OIDC provider (`oidcUrls`).
    Oidc,
    /// Rekor (`rekorTlogUrls`).
    TransparencyLog,
    /// RFC 3161 timestamp authorities (`tsaUrls`).
    TimestampAuthority,
}

impl std::fmt::Display for ServiceKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            ServiceKind::CertificateAuthority => "certificate authority",
            ServiceKind::Oidc => "OIDC provider",
            ServiceKind::TransparencyLog => "transparency log",
            ServiceKind::TimestampAuthority => "timestamp authority",
        })
    }
}

/// How many services of a kind a signer uses (`rekorTlogConfig`, `tsaConfig`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Selector {
    /// Every valid service (one per operator).
    All,
    /// Any one valid service.
    Any,
    /// Exactly this many (one per operator).
    Exact(u32),
}

/// One service endpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Service {
    /// Base URL, e.g. `https://rekor.sigstore.dev`.
    pub url: String,
    /// The major API version it speaks (Rekor: 1 or 2).
    pub major_api_version: u32,
    /// When it may be used: from `start`, until `end` if any.
    pub valid_from: Timestamp,
    /// End of validity, if any.
    pub valid_until: Option<Timestamp>,
    /// Who runs it; selection takes one service per operator.
    pub operator: String,
}

impl Service {
    /// Whether the service may be used at `at`.
    #[must_use]
    pub fn is_valid_at(&self, at: Timestamp) -> bool {
        self.valid_from <= at && self.valid_until.is_none_or(|end| at < end)
    }
}

/// A parsed signing configuration (v0.2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SigningConfig {
    /// Fulcio instances.
    pub certificate_authorities: Vec<Service>,
    /// OIDC providers.
    pub oidc_providers: Vec<Service>,
    /// Rekor logs (v1 and v2).
    pub transparency_logs: Vec<Service>,
    /// Timestamp authorities.
    pub timestamp_authorities: Vec<Service>,
    /// How many logs to write to.
    pub tlog_selector: Selector,
    /// How many timestamp authorities to ask.
    pub tsa_selector: Selector,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Wire {
    media_type: String,
    #[serde(default)]
    ca_urls: Vec<ServiceWire>,
    #[serde(default)]
    oidc_urls: Vec<ServiceWire>,
    #[serde(default)]
    rekor_tlog_urls: Vec<ServiceWire>,
    #[serde(default)]
    tsa_urls: Vec<ServiceWire>,
    rekor_tlog_config: Option<SelectorWire>,
    tsa_config: Option<SelectorWire>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ServiceWire {
    url: String,
    major_api_version: u32,
    valid_for: ValidityWire,
    #[serde(default)]
    operator: String,
}

#[derive(Deserialize)]
struct ValidityWire {
    start: Option<String>,
    end: Option<String>,
}

#[derive(Deserialize)]
struct SelectorWire {
    selector: String,
    count: Option<u32>,
}

fn invalid(field: String, reason: impl Into<String>) -> SigningConfigError {
    SigningConfigError::Invalid {
        field,
        reason: reason.into(),
    }
}

fn time(field: String, text: &str) -> Result<Timestamp, SigningConfigError> {
    Timestamp::parse_rfc3339(text).map_err(|e| invalid(field, e.to_string()))
}

fn services(list: Vec<ServiceWire>, name: &str) -> Result<Vec<Service>, SigningConfigError> {
    list.into_iter()
        .enumerate()
        .map(|(i, s)| {
            let at = |field: &str| format!("{name}[{i}].{field}");
            if !(s.url.starts_with("https://") || s.url.starts_with("http://")) {
                return Err(invalid(
                    at("url"),
                    format!("{:?} is not an http(s) URL", s.url),
                ));
            }
            let start = s
                .valid_for
                .start
                .ok_or_else(|| invalid(at("validFor.start"), "missing"))?;
            Ok(Service {
                url: s.url,
                major_api_version: s.major_api_version,
                valid_from: time(at("validFor.start"), &start)?,
                valid_until: match s.valid_for.end {
                    Some(end) => Some(time(at("validFor.end"), &end)?),
                    None => None,
                },
                operator: s.operator,
            })
        })
        .collect()
}

fn selector(wire: Option<SelectorWire>, name: &str) -> Result<Selector, SigningConfigError> {
    let Some(wire) = wire else {
        return Ok(Selector::Any);
    };
    match (wire.selector.as_str(), wire.count) {
        ("ALL", _) => Ok(Selector::All),
        ("ANY", _) => Ok(Selector::Any),
        ("EXACT", Some(count)) if count > 0 => Ok(Selector::Exact(count)),
        ("EXACT", _) => Err(invalid(
            format!("{name}.count"),
            "EXACT needs a count above 0",
        )),
        (other, _) => Err(invalid(
            format!("{name}.selector"),
            format!("{other:?} is not ALL, ANY or EXACT"),
        )),
    }
}

impl SigningConfig {
    /// Parses a `signing_config.v0.2.json`.
    ///
    /// # Errors
    /// [`SigningConfigError`] naming the first problem.
    pub fn from_json(bytes: &[u8]) -> Result<Self, SigningConfigError> {
        if bytes.len() > MAX_SIGNING_CONFIG_BYTES {
            return Err(SigningConfigError::TooLarge {
                size: bytes.len(),
                limit: MAX_SIGNING_CONFIG_BYTES,
            });
        }
        let wire: Wire = serde_json::from_slice(bytes).map_err(SigningConfigError::Json)?;
        if wire.media_type != SIGNING_CONFIG_MEDIA_TYPE {
            return Err(SigningConfigError::UnsupportedMediaType(wire.media_type));
        }
        Ok(SigningConfig {
            certificate_authorities: services(wire.ca_urls, "caUrls")?,
            oidc_providers: services(wire.oidc_urls, "oidcUrls")?,
            transparency_logs: services(wire.rekor_tlog_urls, "rekorTlogUrls")?,
            timestamp_authorities: services(wire.tsa_urls, "tsaUrls")?,
            tlog_selector: selector(wire.rekor_tlog_config, "rekorTlogConfig")?,
            tsa_selector: selector(wire.tsa_config, "tsaConfig")?,
        })
    }

    /// The Sigstore public-good instance's signing configuration compiled into this crate
    /// (the TUF target as of late 2025): the offline default.
    #[must_use]
    pub fn public_good() -> Self {
        // The embedded file is checked by this crate's tests.
        SigningConfig::from_json(PUBLIC_GOOD_SIGNING_CONFIG)
            .unwrap_or_else(|e| unreachable!("embedded signing config: {e}"))
    }

    /// The listed services of a kind, in the file's order.
    #[must_use]
    pub fn services(&self, kind: ServiceKind) -> &[Service] {
        match kind {
            ServiceKind::CertificateAuthority => &self.certificate_authorities,
            ServiceKind::Oidc => &self.oidc_providers,
            ServiceKind::TransparencyLog => &self.transparency_logs,
            ServiceKind::TimestampAuthority => &self.timestamp_authorities,
        }
    }

    /// The services a signer uses, as sigstore-go selects them: only services valid at `at`;
    /// of those, only the highest major API version in `supported_versions` that has any; one
    /// per operator (the first listed); then the kind's selector — Fulcio and OIDC always one,
    /// Rekor and TSA by `rekorTlogConfig`/`tsaConfig` (`ANY` takes the first, deterministically,
    /// where sigstore-go picks at random). An empty result is not an error for `ALL` over a kind
    /// with no services listed (a configuration without a TSA).
    ///
    /// # Errors
    /// [`SigningConfigError::NoService`] when services are listed but none fits;
    /// [`SigningConfigError::TooFewServices`] when `EXACT` asks for more than fit.
    pub fn select(
        &self,
        kind: ServiceKind,
        supported_versions: &[u32],
        at: Timestamp,
    ) -> Result<Vec<&Service>, SigningConfigError> {
        let listed = self.services(kind);
        let valid: Vec<&Service> = listed
            .iter()
            .filter(|s| s.is_valid_at(at) && supported_versions.contains(&s.major_api_version))
            .collect();
        let Some(version) = valid.iter().map(|s| s.major_api_version).max() else {
            if listed.is_empty() && self.selector(kind) == Selector::All {
                return Ok(Vec::new());
            }
            return Err(SigningConfigError::NoService {
                kind,
                at,
                versions: supported_versions.to_vec(),
            });
        };
        let mut chosen: Vec<&Service> = Vec::new();
        for service in valid.into_iter().filter(|s| s.major_api_version == version) {
            if !chosen.iter().any(|c| c.operator == service.operator) {
                chosen.push(service);
            }
        }
        match self.selector(kind) {
            Selector::All => Ok(chosen),
            Selector::Any => Ok(chosen.into_iter().take(1).collect()),
            Selector::Exact(wanted) => {
                if chosen.len() < wanted as usize {
                    return Err(SigningConfigError::TooFewServices {
                        kind,
                        wanted,
                        found: chosen.len(),
                    });
                }
                chosen.truncate(wanted as usize);
                Ok(chosen)
            }
        }
    }

    fn selector(&self, kind: ServiceKind) -> Selector {
        match kind {
            ServiceKind::TransparencyLog => self.tlog_selector,
            ServiceKind::TimestampAuthority => self.tsa_selector,
            ServiceKind::CertificateAuthority | ServiceKind::Oidc => Selector::Any,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> Timestamp {
        text.parse().unwrap()
    }

    #[test]
    fn public_good_selects_rekor_v2_when_supported_and_v1_otherwise() {
        let config = SigningConfig::public_good();
        let now = at("2026-01-01T00:00:00Z");
        let v2 = config
            .select(ServiceKind::TransparencyLog, &[1, 2], now)
            .unwrap();
        assert_eq!(v2.len(), 1);
        assert_eq!(v2[0].url, "https://log2025-1.rekor.sigstore.dev");
        let v1 = config
            .select(ServiceKind::TransparencyLog, &[1], now)
            .unwrap();
        assert_eq!(v1[0].url, "https://rekor.sigstore.dev");
        let before_v2 = config
            .select(
                ServiceKind::TransparencyLog,
                &[1, 2],
                at("2025-01-01T00:00:00Z"),
            )
            .unwrap();
        assert_eq!(before_v2[0].url, "https://rekor.sigstore.dev");
        let fulcio = config
            .select(ServiceKind::CertificateAuthority, &[1], now)
            .unwrap();
        assert_eq!(fulcio[0].url, "https://fulcio.sigstore.dev");
        let err = config
            .select(ServiceKind::CertificateAuthority, &[2], now)
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::NotFound);
    }

    #[test]
    fn exact_all_and_operators() {
        let json = br#"{"mediaType":"application/vnd.dev.sigstore.signingconfig.v0.2+json",
          "rekorTlogUrls":[
            {"url":"https://a.example","majorApiVersion":1,"validFor":{"start":"2020-01-01T00:00:00Z"},"operator":"a"},
            {"url":"https://a2.example","majorApiVersion":1,"validFor":{"start":"2020-01-01T00:00:00Z"},"operator":"a"},
            {"url":"https://b.example","majorApiVersion":1,"validFor":{"start":"2020-01-01T00:00:00Z","end":"2021-01-01T00:00:00Z"},"operator":"b"},
            {"url":"https://c.example","majorApiVersion":1,"validFor":{"start":"2020-01-01T00:00:00Z"},"operator":"c"}],
          "rekorTlogConfig":{"selector":"EXACT","count":2},
          "tsaConfig":{"selector":"ALL"}}"#;
        let config = SigningConfig::from_json(json).unwrap();
        let now = at("2022-01-01T00:00:00Z");
        let urls: Vec<&str> = config
            .select(ServiceKind::TransparencyLog, &[1], now)
            .unwrap()
            .iter()
            .map(|s| s.url.as_str())
            .collect();
        assert_eq!(urls, ["https://a.example", "https://c.example"]);
        assert!(
            config
                .select(ServiceKind::TimestampAuthority, &[1], now)
                .unwrap()
                .is_empty()
        );
        let three = SigningConfig {
            tlog_selector: Selector::Exact(3),
            ..config
        };
        let err = three
            .select(ServiceKind::TransparencyLog, &[1], now)
            .unwrap_err();
        assert!(err.to_string().contains("asks for 3"), "{err}");
    }

    #[test]
    fn refusals_name_the_field() {
        let cases: [(&[u8], &str); 4] = [
            (br#"{"mediaType":"x"}"#, "media type \"x\""),
            (
                br#"{"mediaType":"application/vnd.dev.sigstore.signingconfig.v0.2+json","caUrls":[{"url":"ftp://x","majorApiVersion":1,"validFor":{"start":"2020-01-01T00:00:00Z"}}]}"#,
                "caUrls[0].url",
            ),
            (
                br#"{"mediaType":"application/vnd.dev.sigstore.signingconfig.v0.2+json","tsaUrls":[{"url":"https://x","majorApiVersion":1,"validFor":{"start":"yesterday"}}]}"#,
                "tsaUrls[0].validFor.start",
            ),
            (
                br#"{"mediaType":"application/vnd.dev.sigstore.signingconfig.v0.2+json","tsaConfig":{"selector":"EXACT"}}"#,
                "tsaConfig.count",
            ),
        ];
        for (json, needle) in cases {
            let err = SigningConfig::from_json(json).unwrap_err();
            assert!(
                err.to_string().contains(needle),
                "{err} should name {needle}"
            );
            assert_eq!(err.kind(), ErrorKind::InvalidInput);
        }
    }
}
