//! An image's evidence (what its signatures or attestations were read from) and the limits it
//! is read under. Evidence is what an attacker who can push to a repository controls
//! completely: the `sha256-<hex>.sig` / `.att` manifest, its layers, and every referrer. The
//! layer that reads it charges declared sizes to [`EvidenceLimits`] before reading a byte.

use boltseal_envelope::bundle::Bundle;
use boltseal_reference::Digest;

use crate::image::SignatureLayer;

/// Bounds on what one image's evidence (its signatures, or its attestations) may cost.
///
/// The defaults are sized for real images with room to spare: a cosign signature layer is a few
/// hundred bytes, a bundle a few kilobytes, an SLSA provenance statement tens of kilobytes, and
/// a re-signed image gains one layer per signing.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EvidenceLimits {
    /// Bytes of blobs read for one image's signatures or attestations: legacy layers, referrer
    /// manifests and bundles together, by their declared sizes, checked before reading. A blob
    /// listed several times counts each time (each copy is held and checked). Default 8 MiB.
    pub max_bytes: u64,
    /// Layers of the `.sig` / `.att` manifest. Default 1,000.
    pub max_layers: usize,
    /// Referrers read for bundles; the rest are reported as not read. Default 1,000.
    pub max_referrers: usize,
    /// Signatures one DSSE envelope may carry (cosign writes one; each would be checked
    /// against every key). Default 8.
    pub max_envelope_signatures: usize,
}

impl Default for EvidenceLimits {
    fn default() -> Self {
        EvidenceLimits {
            max_bytes: 8 << 20,
            max_layers: 1000,
            max_referrers: 1000,
            max_envelope_signatures: 8,
        }
    }
}

impl EvidenceLimits {
    /// The defaults.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Replaces [`EvidenceLimits::max_bytes`].
    #[must_use]
    pub fn max_bytes(mut self, bytes: u64) -> Self {
        self.max_bytes = bytes;
        self
    }

    /// Replaces [`EvidenceLimits::max_layers`].
    #[must_use]
    pub fn max_layers(mut self, layers: usize) -> Self {
        self.max_layers = layers;
        self
    }

    /// Replaces [`EvidenceLimits::max_referrers`].
    #[must_use]
    pub fn max_referrers(mut self, referrers: usize) -> Self {
        self.max_referrers = referrers;
        self
    }

    /// Replaces [`EvidenceLimits::max_envelope_signatures`].
    #[must_use]
    pub fn max_envelope_signatures(mut self, signatures: usize) -> Self {
        self.max_envelope_signatures = signatures;
        self
    }
}

/// What an image's signatures or attestations were read from: the legacy layers of the
/// `sha256-<hex>.sig` / `.att` tag and the Sigstore bundle referrers, read once (by an I/O
/// layer such as `boltseal-evidence`) and checked against any number of policies by the
/// `check_*` functions of [`crate::image`] and [`crate::verifier`].
#[derive(Debug)]
pub struct Evidence {
    pub(crate) digest: Digest,
    pub(crate) layers: Vec<SignatureLayer>,
    pub(crate) bundles: Vec<(Digest, Bundle)>,
    pub(crate) rejected: Vec<String>,
    pub(crate) limits: EvidenceLimits,
    pub(crate) bytes: u64,
}

impl Evidence {
    /// The evidence of the image `digest`: its legacy layers, its bundles (with the referrer
    /// digest each came from), the reasons referrers that could not be used were rejected,
    /// the limits it was read under and the bytes it took.
    #[must_use]
    pub fn new(
        digest: Digest,
        layers: Vec<SignatureLayer>,
        bundles: Vec<(Digest, Bundle)>,
        rejected: Vec<String>,
        limits: EvidenceLimits,
        bytes: u64,
    ) -> Self {
        Evidence {
            digest,
            layers,
            bundles,
            rejected,
            limits,
            bytes,
        }
    }

    /// The image digest the evidence is about.
    #[must_use]
    pub fn digest(&self) -> Digest {
        self.digest
    }

    /// The bytes the evidence took, as charged to [`EvidenceLimits::max_bytes`].
    #[must_use]
    pub fn bytes(&self) -> u64 {
        self.bytes
    }
}
