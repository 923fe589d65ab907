//! Sigstore's `signing_config.json` (v0.2): which transparency log to write to.

use boltseal_core::Timestamp;
use serde::Deserialize;

use crate::error::Error;

/// The media type of the signing configurations this crate reads.
pub const SIGNING_CONFIG_MEDIA_TYPE: &str = "application/vnd.dev.sigstore.signingconfig.v0.2+json";

/// The Rekor API versions this crate writes to, best first.
const SUPPORTED_REKOR_VERSIONS: [u32; 2] = [2, 1];

/// One service of a signing configuration.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Service {
    /// The service's base URL.
    pub url: String,
    /// The major version of its API (`1` or `2` for Rekor).
    pub major_api_version: u32,
    /// Start of the validity period, Unix seconds.
    pub start: i64,
    /// End of the validity period, Unix seconds (open when `None`).
    pub end: Option<i64>,
}

impl Service {
    fn valid_at(&self, now: i64) -> bool {
        self.start <= now && self.end.is_none_or(|end| now <= end)
    }
}

/// A Sigstore signing configuration (`signing_config.json`, media type
/// [`SIGNING_CONFIG_MEDIA_TYPE`]): the services a signer talks to.
#[non_exhaustive]
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SigningConfig {
    /// `caUrls`: Fulcio instances.
    pub ca_urls: Vec<Service>,
    /// `rekorTlogUrls`: transparency logs.
    pub rekor_tlog_urls: Vec<Service>,
    /// `tsaUrls`: RFC 3161 timestamp authorities.
    pub tsa_urls: Vec<Service>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Wire {
    media_type: String,
    #[serde(default)]
    ca_urls: Vec<WireService>,
    #[serde(default)]
    rekor_tlog_urls: Vec<WireService>,
    #[serde(default)]
    tsa_urls: Vec<WireService>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct WireService {
    url: String,
    major_api_version: u32,
    valid_for: WireValidity,
}

#[derive(Deserialize)]
struct WireValidity {
    start: String,
    #[serde(default)]
    end: Option<String>,
}

fn invalid(reason: impl Into<String>) -> Error {
    Error::SigningConfig {
        reason: reason.into(),
    }
}

fn unix(text: &str) -> Result<i64, Error> {
    Timestamp::parse_rfc3339(text)
        .map(|t| t.unix_seconds())
        .map_err(|e| invalid(format!("validFor time {text:?}: {e}")))
}

fn services(list: Vec<WireService>) -> Result<Vec<Service>, Error> {
    list.into_iter()
        .map(|s| {
            Ok(Service {
                url: s.url.trim_end_matches('/').to_owned(),
                major_api_version: s.major_api_version,
                start: unix(&s.valid_for.start)?,
                end: s.valid_for.end.as_deref().map(unix).transpose()?,
            })
        })
        .collect()
}

impl SigningConfig {
    /// Parses `signing_config.json` v0.2.
    ///
    /// # Errors
    /// [`Error::SigningConfig`] for another media type, malformed JSON or times.
    pub fn from_json(bytes: &[u8]) -> Result<Self, Error> {
        let wire: Wire = serde_json::from_slice(bytes).map_err(|e| invalid(e.to_string()))?;
        if wire.media_type != SIGNING_CONFIG_MEDIA_TYPE {
            return Err(invalid(format!(
                "media type {:?} is not {SIGNING_CONFIG_MEDIA_TYPE}",
                wire.media_type
            )));
        }
        Ok(SigningConfig {
            ca_urls: services(wire.ca_urls)?,
            rekor_tlog_urls: services(wire.rekor_tlog_urls)?,
            tsa_urls: services(wire.tsa_urls)?,
        })
    }

    /// The transparency log to write to at `now` (Unix seconds), chosen as sigstore-go does:
    /// among the logs valid at `now` whose API version this crate speaks, the highest version,
    /// and of those the first listed.
    #[must_use]
    pub fn rekor_at(&self, now: i64) -> Option<&Service> {
        SUPPORTED_REKOR_VERSIONS.iter().find_map(|version| {
            self.rekor_tlog_urls
                .iter()
                .find(|s| s.major_api_version == *version && s.valid_at(now))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(services: &str) -> Result<SigningConfig, Error> {
        SigningConfig::from_json(
            format!(
                r#"{{"mediaType": "{SIGNING_CONFIG_MEDIA_TYPE}", "rekorTlogUrls": [{services}]}}"#
            )
            .as_bytes(),
        )
    }

    #[test]
    fn the_highest_api_version_valid_now_is_chosen_first_listed_first() {
        let c = config(
            r#"{"url": "https://v1/", "majorApiVersion": 1, "validFor": {"start": "2020-01-01T00:00:00Z"}},
               {"url": "https://v2-old", "majorApiVersion": 2, "validFor": {"start": "2020-01-01T00:00:00Z", "end": "2021-01-01T00:00:00Z"}},
               {"url": "https://v2", "majorApiVersion": 2, "validFor": {"start": "2020-01-01T00:00:00Z"}},
               {"url": "https://v3", "majorApiVersion": 3, "validFor": {"start": "2020-01-01T00:00:00Z"}}"#,
        )
        .unwrap();
        let now = Timestamp::parse_rfc3339("2025-01-01T00:00:00Z")
            .unwrap()
            .unix_seconds();
        assert_eq!(c.rekor_at(now).unwrap().url, "https://v2");
        let before = Timestamp::parse_rfc3339("2019-01-01T00:00:00Z")
            .unwrap()
            .unix_seconds();
        assert!(c.rekor_at(before).is_none());
        assert_eq!(
            c.rekor_tlog_urls[0].url, "https://v1",
            "trailing slash removed"
        );
    }

    #[test]
    fn other_media_types_and_bad_times_are_refused() {
        let other = SigningConfig::from_json(br#"{"mediaType": "application/json"}"#);
        assert!(matches!(other, Err(Error::SigningConfig { .. })));
        let bad_time =
            config(r#"{"url": "u", "majorApiVersion": 1, "validFor": {"start": "yesterday"}}"#);
        assert!(bad_time.unwrap_err().to_string().contains("yesterday"));
    }
}
