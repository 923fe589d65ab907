//! Reading `verifyImages` entries: image references, attestor sets (keys, keyless, nested),
//! Rekor keys, attestations and the deprecated single-attestor fields.

use std::sync::{Arc, OnceLock};

use boltseal_keys::PublicKey;
use boltseal_verify::bundle::{Identity, Matcher};
use boltseal_verify::trust::TrustedRoot;
use serde_json::Value;

use super::load::{action, deny};
use super::reader::{Cx, Obj};
use super::{
    Attestation, AttestorEntry, AttestorKind, AttestorSetSpec, FailureAction, ImageVerification,
};
use crate::condition::Conditions;
use crate::error::LoadError;

/// How deep `attestor` entries may nest.
const MAX_ATTESTOR_DEPTH: usize = 8;

/// The public Sigstore Rekor log's URL, whose keys come with boltseal.
const PUBLIC_REKOR: &str = "https://rekor.sigstore.dev";

pub(super) fn parse_image_verification(
    cx: &mut Cx<'_>,
    path: &str,
    raw: &Value,
) -> Result<ImageVerification, LoadError> {
    let entry = cx.object(
        raw,
        path,
        &[
            "failureAction",
            "type",
            "imageReferences",
            "skipImageReferences",
            "attestors",
            "attestations",
            "mutateDigest",
            "verifyDigest",
            "required",
            "useCache",
            "validate",
            "cosignOCI11",
            "image",
            "key",
            "subject",
            "issuer",
            "roots",
            "annotations",
        ],
        &[
            "repository",
            "imageRegistryCredentials",
            "additionalExtensions",
        ],
    )?;
    match entry.string("type")?.as_deref() {
        None | Some("Cosign") | Some("SigstoreBundle") => {}
        Some("Notary") => return Err(entry.unsupported("type", "`type: Notary`")),
        Some(other) => return Err(entry.invalid("type", format!("unknown type {other:?}"))),
    }
    let failure_action = action(&entry, "failureAction")?;
    let mut image_references = entry.strings("imageReferences")?;
    if let Some(image) = entry.string("image")? {
        image_references.push(image);
    }
    if image_references.is_empty() {
        return Err(entry.invalid("imageReferences", "at least one is required"));
    }
    let skip_image_references = entry.strings("skipImageReferences")?;
    let mut attestors = attestor_sets(cx, &entry)?;
    // Deprecated single-attestor fields.
    let legacy_annotations = entry.string_map("annotations")?;
    if let Some(key) = entry.string("key")? {
        let keys = parse_keys(cx, &entry.field("key"), &key)?;
        // As Kyverno converts it: a static key whose signatures must be in the public Rekor log.
        attestors.push(AttestorSetSpec {
            count: None,
            entries: key_entries(keys, &legacy_annotations, &public_rekor_keys()),
        });
    } else if entry.contains("subject") || entry.contains("issuer") {
        let identity = KeylessFields {
            subject: entry.string("subject")?,
            subject_re: None,
            issuer: entry.string("issuer")?,
            issuer_re: None,
            roots: entry.string("roots")?,
        };
        attestors.push(AttestorSetSpec {
            count: None,
            entries: vec![AttestorEntry {
                kind: keyless(cx, entry.path(), identity)?,
                annotations: legacy_annotations,
                rekor_keys: Vec::new(),
                label: "keyless",
            }],
        });
    }
    let mut attestations = Vec::new();
    for (path, a) in entry.items("attestations")? {
        attestations.push(parse_attestation(cx, &path, a)?);
    }
    let validate = match entry.object("validate", &["message", "deny"], &[])? {
        Some(v) => Some((v.string("message")?, deny(cx, &v)?)),
        None => None,
    };
    let mutate_digest = entry.boolean("mutateDigest", true)?;
    if mutate_digest && failure_action == Some(FailureAction::Audit) {
        return Err(entry.invalid(
            "mutateDigest",
            "mutateDigest must be set to false for 'Audit' failure action",
        ));
    }
    Ok(ImageVerification {
        failure_action,
        image_references,
        skip_image_references,
        attestors,
        attestations,
        mutate_digest,
        verify_digest: entry.boolean("verifyDigest", true)?,
        required: entry.boolean("required", true)?,
        use_cache: entry.boolean("useCache", true)?,
        validate,
    })
}

/// The `attestors` list of an entry or an attestation.
fn attestor_sets(cx: &mut Cx<'_>, obj: &Obj<'_>) -> Result<Vec<AttestorSetSpec>, LoadError> {
    let mut sets = Vec::new();
    for (path, a) in obj.items("attestors")? {
        sets.push(parse_attestor_set(cx, &path, a, 0)?);
    }
    Ok(sets)
}

fn key_entries(
    keys: Vec<PublicKey>,
    annotations: &[(String, String)],
    rekor_keys: &[PublicKey],
) -> Vec<AttestorEntry> {
    keys.into_iter()
        .map(|k| AttestorEntry {
            kind: AttestorKind::Key(k),
            annotations: annotations.to_vec(),
            rekor_keys: rekor_keys.to_vec(),
            label: "keys",
        })
        .collect()
}

fn parse_attestor_set(
    cx: &mut Cx<'_>,
    path: &str,
    raw: &Value,
    depth: usize,
) -> Result<AttestorSetSpec, LoadError> {
    if depth > MAX_ATTESTOR_DEPTH {
        return Err(cx.invalid(path, "attestors nested too deeply"));
    }
    let set = cx.object(raw, path, &["count", "entries"], &[])?;
    let count = match set.get("count") {
        None => None,
        Some(v) => Some(
            v.as_u64()
                .and_then(|n| usize::try_from(n).ok())
                .ok_or_else(|| set.invalid("count", "expected a non-negative integer"))?,
        ),
    };
    let mut entries = Vec::new();
    for (path, e) in set.items("entries")? {
        entries.extend(parse_attestor_entry(cx, &path, e, depth)?);
    }
    if entries.is_empty() {
        return Err(set.invalid("entries", "at least one entry is required"));
    }
    if let Some(n) = count
        && n > entries.len()
    {
        return Err(set.invalid(
            "count",
            format!("count {n} is larger than the {} entries", entries.len()),
        ));
    }
    Ok(AttestorSetSpec { count, entries })
}

fn parse_attestor_entry(
    cx: &mut Cx<'_>,
    path: &str,
    raw: &Value,
    depth: usize,
) -> Result<Vec<AttestorEntry>, LoadError> {
    let entry = cx.object(
        raw,
        path,
        &[
            "keys",
            "keyless",
            "attestor",
            "annotations",
            "signatureAlgorithm",
        ],
        &["certificates", "repository"],
    )?;
    let annotations = entry.string_map("annotations")?;
    let kinds = ["keys", "keyless", "attestor"]
        .into_iter()
        .filter(|k| entry.has(k))
        .count();
    if kinds != 1 {
        return Err(entry.invalid("", "exactly one of keys, keyless or attestor is required"));
    }
    if let Some(keys) = entry.object(
        "keys",
        &["publicKeys", "signatureAlgorithm", "rekor", "ctlog"],
        &["kms", "secret"],
    )? {
        if let Some(other) = keys.string("signatureAlgorithm")?
            && !matches!(other.as_str(), "" | "sha256")
        {
            return Err(keys.unsupported(
                "signatureAlgorithm",
                format!("signature algorithm {other:?} (only sha256)"),
            ));
        }
        let pem = keys
            .string("publicKeys")?
            .ok_or_else(|| keys.invalid("publicKeys", "missing"))?;
        if pem.starts_with("k8s://") {
            return Err(keys.unsupported("publicKeys", "`k8s://` secret references"));
        }
        let rekor_keys = rekor_keys(cx, &keys)?;
        let parsed = parse_keys(cx, &keys.field("publicKeys"), &pem)?;
        return Ok(key_entries(parsed, &annotations, &rekor_keys));
    }
    if let Some(kl) = entry.object(
        "keyless",
        &[
            "subject",
            "issuer",
            "subjectRegExp",
            "issuerRegExp",
            "roots",
            "rekor",
            "ctlog",
        ],
        &["additionalExtensions"],
    )? {
        let identity = KeylessFields {
            subject: kl.string("subject")?,
            subject_re: kl.string("subjectRegExp")?,
            issuer: kl.string("issuer")?,
            issuer_re: kl.string("issuerRegExp")?,
            roots: kl.string("roots")?,
        };
        return Ok(vec![AttestorEntry {
            kind: keyless(cx, kl.path(), identity)?,
            annotations,
            rekor_keys: Vec::new(),
            label: "keyless",
        }]);
    }
    let nested = entry.get("attestor").unwrap_or(&Value::Null);
    let set = parse_attestor_set(cx, &entry.field("attestor"), nested, depth + 1)?;
    Ok(vec![AttestorEntry {
        kind: AttestorKind::Nested(set),
        annotations,
        rekor_keys: Vec::new(),
        label: "attestor",
    }])
}

/// The ECDSA P-256 keys of the public Rekor log (from the embedded Sigstore trusted root).
fn public_rekor_keys() -> Vec<PublicKey> {
    // Read from the embedded root once per process, not once per attestor.
    static KEYS: OnceLock<Vec<PublicKey>> = OnceLock::new();
    KEYS.get_or_init(|| {
        TrustedRoot::public_good()
            .tlogs()
            .iter()
            .filter_map(|log| log.key())
            .filter_map(|k| PublicKey::from_spki_der(k.spki_der()).ok())
            .collect()
    })
    .clone()
}

/// What a `keys` attestor's `rekor` asks for, as Kyverno reads it: nothing with
/// `ignoreTlog: true`; else a log entry whose SET verifies with `pubkey`, or with the public
/// Rekor log's keys when neither `pubkey` nor another `url` is given. Log entries are checked
/// offline, so another log's `url` without its `pubkey` cannot be honoured and is refused.
fn rekor_keys(cx: &Cx<'_>, keys: &Obj<'_>) -> Result<Vec<PublicKey>, LoadError> {
    let Some(rekor) = keys.object(
        "rekor",
        &["url", "pubkey", "ignoreTlog", "tsaCertChain"],
        &[],
    )?
    else {
        return Ok(public_rekor_keys());
    };
    let ignore = match rekor.get("ignoreTlog") {
        None => false,
        Some(Value::Bool(b)) => *b,
        Some(_) => return Err(rekor.invalid("ignoreTlog", "not a boolean")),
    };
    if ignore {
        return Ok(Vec::new());
    }
    if let Some(pem) = rekor.string("pubkey")? {
        return parse_keys(cx, &rekor.field("pubkey"), &pem);
    }
    match rekor.string("url")?.as_deref() {
        None | Some("") => Ok(public_rekor_keys()),
        Some(url) if url.trim_end_matches('/') == PUBLIC_REKOR => Ok(public_rekor_keys()),
        Some(url) => Err(rekor.unsupported(
            "url",
            format!(
                "a transparency log at {url} without its `pubkey` (boltseal checks log entries \
                 offline; give `rekor.pubkey`, or `rekor.ignoreTlog: true`)"
            ),
        )),
    }
}

/// Splits a `publicKeys` string holding one or more PEM public keys.
fn parse_keys(cx: &Cx<'_>, path: &str, text: &str) -> Result<Vec<PublicKey>, LoadError> {
    const END: &str = "-----END PUBLIC KEY-----";
    let mut keys = Vec::new();
    let mut rest = text;
    while let Some(at) = rest.find(END) {
        let (pem, tail) = rest.split_at(at + END.len());
        let key = PublicKey::from_pem(pem.trim().as_bytes())
            .map_err(|e| cx.invalid(path, format!("public key {}: {e}", keys.len())))?;
        keys.push(key);
        rest = tail;
    }
    if !rest.trim().is_empty() || keys.is_empty() {
        return Err(cx.invalid(path, "expected one or more PEM public keys"));
    }
    Ok(keys)
}

/// Whether a regular expression only matches whole values: it starts with `^` or `\A` and ends
/// with an unescaped `$` or `\z`. Kyverno and cosign match unanchored (a match anywhere in the
/// identity counts), so `.*@example\.com` also accepts `x@example.com.evil.org`.
fn is_anchored(pattern: &str) -> bool {
    let starts = pattern.starts_with('^') || pattern.starts_with("\\A");
    let ends = pattern.ends_with("\\z")
        || (pattern.ends_with('$') && {
            let backslashes = pattern[..pattern.len() - 1]
                .chars()
                .rev()
                .take_while(|&c| c == '\\')
                .count();
            backslashes % 2 == 0
        });
    starts && ends
}

/// The identity fields of a keyless attestor.
struct KeylessFields {
    subject: Option<String>,
    subject_re: Option<String>,
    issuer: Option<String>,
    issuer_re: Option<String>,
    roots: Option<String>,
}

fn keyless(cx: &mut Cx<'_>, path: &str, f: KeylessFields) -> Result<AttestorKind, LoadError> {
    let join = |field: &str| super::reader::join(path, field);
    // Kyverno accepts any identity when none is given; a gate must not.
    if f.subject.is_none() && f.subject_re.is_none() && f.issuer.is_none() && f.issuer_re.is_none()
    {
        return Err(cx.invalid(
            path,
            "a keyless attestor must constrain the signer's identity \
             (subject or subjectRegExp, issuer or issuerRegExp): without them any certificate counts",
        ));
    }
    if f.subject.is_none() && f.subject_re.is_none() {
        cx.warnings.push(format!(
            "{path}: no subject or subjectRegExp: any identity the issuer vouches for counts"
        ));
    }
    for (field, exact, re) in [
        ("subjectRegExp", &f.subject, &f.subject_re),
        ("issuerRegExp", &f.issuer, &f.issuer_re),
    ] {
        if let (None, Some(re)) = (exact, re)
            && !is_anchored(re)
        {
            cx.warnings.push(format!(
                "{}: {re:?} is not anchored (^…$): it matches any identity that merely contains a match",
                join(field)
            ));
        }
    }
    let matcher =
        |exact: Option<String>, re: Option<String>, field: &str| -> Result<Matcher, LoadError> {
            match exact {
                Some(s) => Ok(Matcher::exact(s)),
                None => Matcher::regex(re.as_deref().unwrap_or(".*"))
                    .map_err(|e| cx.invalid(&join(field), e.to_string())),
            }
        };
    let subject = matcher(f.subject, f.subject_re, "subjectRegExp")?;
    let issuer = matcher(f.issuer, f.issuer_re, "issuerRegExp")?;
    let trust = match f.roots {
        None => TrustedRoot::public_good(),
        Some(text) => {
            let t = text.trim_start();
            if !t.starts_with('{') {
                return Err(cx.unsupported(
                    &join("roots"),
                    "PEM certificate roots (give a trusted_root.json document)",
                ));
            }
            TrustedRoot::from_json(t.as_bytes())
                .map_err(|e| cx.invalid(&join("roots"), e.to_string()))?
        }
    };
    Ok(AttestorKind::Keyless {
        identity: Identity::new(subject, issuer),
        trust: Arc::new(trust),
    })
}

fn parse_attestation(cx: &mut Cx<'_>, path: &str, raw: &Value) -> Result<Attestation, LoadError> {
    let att = cx.object(
        raw,
        path,
        &["name", "type", "predicateType", "attestors", "conditions"],
        &[],
    )?;
    let predicate_type = att
        .string("type")?
        .filter(|s| !s.is_empty())
        .or(att.string("predicateType")?)
        .filter(|s| !s.is_empty())
        .ok_or_else(|| att.invalid("type", "missing type"))?;
    let attestors = attestor_sets(cx, &att)?;
    if attestors.is_empty() {
        return Err(att.unsupported(
            "attestors",
            "attestations without attestors (statements read without identity checks)",
        ));
    }
    let mut conditions = Vec::new();
    for (path, c) in att.items("conditions")? {
        conditions.push(Conditions::parse(cx, &path, c)?);
    }
    Ok(Attestation {
        predicate_type,
        attestors,
        conditions,
    })
}
