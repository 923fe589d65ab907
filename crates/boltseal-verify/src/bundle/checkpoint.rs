//! Transparency-log checkpoints in the signed-note format (C2SP `signed-note` and
//! `tlog-checkpoint`), as Rekor v1 and v2 put them in bundles.
//!
//! A note is UTF-8 text ending in a newline, a blank line, then one or more signature lines
//! `— <name> <base64(key hint[4] ‖ signature)>`. A checkpoint's text is the origin, the tree
//! size (decimal), the root hash (base64), then optional extension lines.
//!
//! ```
//! use boltseal_verify::bundle::checkpoint::Checkpoint;
//!
//! let note = "rekor.example - 42\n7\nbMC8cG5C6rSe1u4Iv7FqcdPvwmPSdROVUvFoQZL+n3M=\n\n\
//!             \u{2014} rekor.example AAAAAQE=\n";
//! let checkpoint = Checkpoint::parse(note)?;
//! assert_eq!(checkpoint.origin(), "rekor.example - 42");
//! assert_eq!(checkpoint.size(), 7);
//! assert_eq!(checkpoint.signatures()[0].key_hint(), [0, 0, 0, 1]);
//! assert_eq!(checkpoint.signed_text(), "rekor.example - 42\n7\nbMC8cG5C6rSe1u4Iv7FqcdPvwmPSdROVUvFoQZL+n3M=\n");
//! # Ok::<(), boltseal_verify::bundle::checkpoint::CheckpointError>(())
//! ```

use base64::Engine as _;

/// Why text is not a well-formed checkpoint.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CheckpointError {
    /// The note has no blank line between text and signatures, or no signature.
    #[error("checkpoint is not a signed note: {0}")]
    Note(&'static str),
    /// A signature line is malformed.
    #[error("checkpoint signature line {line} is malformed")]
    SignatureLine {
        /// 1-based index among the signature lines.
        line: usize,
    },
    /// The origin line is missing or empty.
    #[error("checkpoint has no origin line")]
    MissingOrigin,
    /// The tree-size line is missing or not a decimal number.
    #[error("checkpoint has no valid tree size line")]
    BadSize,
    /// The root-hash line is missing or not base64 of 32 bytes.
    #[error("checkpoint has no valid root hash line")]
    BadRootHash,
}

/// One signature line of a note.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoteSignature {
    name: String,
    key_hint: [u8; 4],
    signature: Vec<u8>,
}

impl NoteSignature {
    /// The signer's name.
    #[must_use]
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The first four bytes of the signer's key id.
    #[must_use]
    pub fn key_hint(&self) -> [u8; 4] {
        self.key_hint
    }

    /// The signature bytes (after the key hint).
    #[must_use]
    pub fn signature(&self) -> &[u8] {
        &self.signature
    }
}

/// A parsed checkpoint (its signatures not yet verified).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkpoint {
    text: String,
    origin: String,
    size: u64,
    root_hash: [u8; 32],
    extensions: Vec<String>,
    signatures: Vec<NoteSignature>,
}

const SIGNATURE_PREFIX: &str = "\u{2014} ";

impl Checkpoint {
    /// Parses a signed-note checkpoint.
    ///
    /// # Errors
    /// [`CheckpointError`] naming what is missing or malformed.
    pub fn parse(note: &str) -> Result<Self, CheckpointError> {
        if note.chars().any(|c| c.is_control() && c != '\n') {
            return Err(CheckpointError::Note("control characters"));
        }
        let split = note
            .find("\n\n")
            .ok_or(CheckpointError::Note("no blank line before the signatures"))?;
        let (text, signature_block) = (&note[..=split], &note[split + 2..]);
        if signature_block.is_empty() || !signature_block.ends_with('\n') {
            return Err(CheckpointError::Note(
                "signature block must end with a newline",
            ));
        }
        let mut signatures = Vec::new();
        for (i, line) in signature_block[..signature_block.len() - 1]
            .split('\n')
            .enumerate()
        {
            let bad = || CheckpointError::SignatureLine { line: i + 1 };
            let rest = line.strip_prefix(SIGNATURE_PREFIX).ok_or_else(bad)?;
            let (name, b64) = rest.rsplit_once(' ').ok_or_else(bad)?;
            if name.is_empty() || name.contains(' ') || name.contains('+') {
                return Err(bad());
            }
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(b64)
                .map_err(|_| bad())?;
            if bytes.len() < 5 {
                return Err(bad());
            }
            let key_hint = [bytes[0], bytes[1], bytes[2], bytes[3]];
            signatures.push(NoteSignature {
                name: name.to_owned(),
                key_hint,
                signature: bytes[4..].to_vec(),
            });
        }
        if signatures.is_empty() {
            return Err(CheckpointError::Note("no signatures"));
        }
        let mut lines = text[..text.len() - 1].split('\n');
        let origin = lines
            .next()
            .filter(|l| !l.is_empty())
            .ok_or(CheckpointError::MissingOrigin)?;
        let size_line = lines.next().ok_or(CheckpointError::BadSize)?;
        if size_line.is_empty()
            || !size_line.bytes().all(|b| b.is_ascii_digit())
            || (size_line.len() > 1 && size_line.starts_with('0'))
        {
            return Err(CheckpointError::BadSize);
        }
        let size = size_line.parse().map_err(|_| CheckpointError::BadSize)?;
        let root_line = lines.next().ok_or(CheckpointError::BadRootHash)?;
        let root_hash: [u8; 32] = base64::engine::general_purpose::STANDARD
            .decode(root_line)
            .ok()
            .and_then(|b| b.try_into().ok())
            .ok_or(CheckpointError::BadRootHash)?;
        let extensions = lines.map(str::to_owned).collect();
        Ok(Checkpoint {
            text: text.to_owned(),
            origin: origin.to_owned(),
            size,
            root_hash,
            extensions,
            signatures,
        })
    }

    /// The signed text: the checkpoint lines, each ending in a newline.
    #[must_use]
    pub fn signed_text(&self) -> &str {
        &self.text
    }

    /// The log's origin line.
    #[must_use]
    pub fn origin(&self) -> &str {
        &self.origin
    }

    /// The tree size.
    #[must_use]
    pub fn size(&self) -> u64 {
        self.size
    }

    /// The root hash.
    #[must_use]
    pub fn root_hash(&self) -> [u8; 32] {
        self.root_hash
    }

    /// Extension lines after the root hash.
    #[must_use]
    pub fn extensions(&self) -> &[String] {
        &self.extensions
    }

    /// The signature lines, in order.
    #[must_use]
    pub fn signatures(&self) -> &[NoteSignature] {
        &self.signatures
    }
}
