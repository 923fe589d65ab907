//! `verifyImages` rules: image references, attestor sets, attestations and digests, each image
//! verified once per cache lifetime.

use std::sync::Arc;

use boltseal_reference::Digest;
use boltseal_verify::verifier::{Attestor, AttestorSet};
use serde_json::{Map, Value};

use crate::admission::Phase;
use crate::cache::{ImageCheck, VerificationSource};
use crate::condition::{Scope, to_rcvar};
use crate::image::{FoundImage, ImageInfo};
use crate::patch::PatchOperation;
use crate::policy::{AttestorEntry, AttestorKind, AttestorSetSpec, RuleBody};
use crate::response::{RuleResponse, RuleStatus, RuleType};
use crate::wildcard;
use boltseal_evidence::ImageVerifier;
use boltseal_verify::{Authority, Claim};

use super::rule::RuleEval;
use super::severity;

/// Outcome of one image.
#[derive(Clone)]
pub(super) struct ImageOutcome {
    status: RuleStatus,
    message: String,
    patch: Option<PatchOperation>,
}

/// A verified image's digest and message, or a refusal's status and message.
type Verified = Result<(Digest, String), (RuleStatus, String)>;

/// One image of one `verifyImages` entry to verify.
#[derive(Clone, Copy)]
struct ImageJob<'a, 's> {
    /// The entry's index in the rule (part of the cache key).
    index: usize,
    entry: &'a crate::policy::ImageVerification,
    info: &'a ImageInfo,
    /// The image as Kyverno names it ([`ImageInfo::kyverno_string`]).
    image: &'a str,
    scope: Option<&'a Scope<'s>>,
}

impl RuleEval<'_> {
    pub(super) async fn verify_images(&self, scope: Option<&Scope<'_>>) -> Vec<RuleResponse> {
        let RuleBody::VerifyImages(entries) = &self.rule.body else {
            return Vec::new();
        };
        let mut outcomes: Vec<ImageOutcome> = Vec::new();
        for (ei, entry) in entries.iter().enumerate() {
            let matched: Vec<&FoundImage> = self
                .images
                .iter()
                .filter(|img| match &img.info {
                    Ok(info) => references_match(&entry.image_references, &info.kyverno_string()),
                    Err(_) => true,
                })
                .collect();
            // The same image in several containers is verified once.
            let mut groups: Vec<(&FoundImage, Vec<&FoundImage>)> = Vec::new();
            for img in matched {
                match groups
                    .iter_mut()
                    .find(|(first, _)| match (&first.info, &img.info) {
                        (Ok(a), Ok(b)) => a == b,
                        _ => false,
                    }) {
                    Some((_, members)) => members.push(img),
                    None => groups.push((img, vec![img])),
                }
            }
            let futures = groups
                .iter()
                .map(|(first, _)| self.one_image(ei, entry, first, scope));
            let results = futures_util::future::join_all(futures).await;
            for ((_, members), outcome) in groups.iter().zip(results) {
                let Some(outcome) = outcome else { continue };
                for member in members {
                    let mut o = outcome.clone();
                    if let Some(p) = &mut o.patch {
                        p.path.clone_from(&member.pointer);
                    }
                    outcomes.push(o);
                }
            }
        }
        if outcomes.is_empty() {
            return Vec::new();
        }
        let status = outcomes
            .iter()
            .map(|o| o.status)
            .max_by_key(|s| severity(*s))
            .unwrap_or(RuleStatus::Skip);
        let messages: Vec<&str> = outcomes
            .iter()
            .filter(|o| o.status == status)
            .map(|o| o.message.as_str())
            .collect();
        let mut r = self.response(RuleType::ImageVerify, status, messages.join("; "));
        r.patches = outcomes.into_iter().filter_map(|o| o.patch).collect();
        if let Ok(mut checks) = self.checks.lock() {
            r.images = std::mem::take(&mut *checks);
        }
        vec![r]
    }

    async fn one_image(
        &self,
        ei: usize,
        entry: &crate::policy::ImageVerification,
        img: &FoundImage,
        scope: Option<&Scope<'_>>,
    ) -> Option<ImageOutcome> {
        let outcome = |status, message: String| {
            Some(ImageOutcome {
                status,
                message,
                patch: None,
            })
        };
        let info = match &img.info {
            Ok(i) => i,
            Err(e) => return outcome(RuleStatus::Error, e.clone()),
        };
        let image = info.kyverno_string();
        if references_match(&entry.skip_image_references, &image) {
            return outcome(
                RuleStatus::Skip,
                format!(
                    "skipping image reference image {image}, policy {} ruleName {}",
                    self.policy.name, self.rule.name
                ),
            );
        }
        let verifies = !entry.attestors.is_empty() || !entry.attestations.is_empty();
        let job = ImageJob {
            index: ei,
            entry,
            info,
            image: &image,
            scope,
        };
        match self.input.phase {
            Phase::Mutate => {
                let mut digest = None;
                let mut result = None;
                if verifies {
                    match self.verify(job).await {
                        Ok((d, message)) => {
                            digest = Some(d);
                            result = Some((RuleStatus::Pass, message));
                        }
                        Err((status, message)) => return outcome(status, message),
                    }
                }
                let mut patch = None;
                if entry.mutate_digest && info.digest().is_none() {
                    let d = match digest {
                        Some(d) => Ok(d),
                        None => self.engine.verifier.resolve(info.reference()).await,
                    };
                    match d {
                        Ok(d) => {
                            patch = Some(PatchOperation::replace(
                                img.pointer.clone(),
                                Value::String(info.pinned(&d)),
                            ));
                            if result.is_none() {
                                result =
                                    Some((RuleStatus::Pass, "mutated image digest".to_owned()));
                            }
                        }
                        Err(e) => {
                            return outcome(
                                RuleStatus::Error,
                                format!("failed to update digest for {image}: {}", e.reason()),
                            );
                        }
                    }
                }
                let (status, message) = result?;
                Some(ImageOutcome {
                    status,
                    message,
                    patch,
                })
            }
            Phase::Validate => {
                if !entry.verify_digest && !entry.required {
                    return None;
                }
                if entry.verify_digest && info.digest().is_none() {
                    return outcome(RuleStatus::Fail, format!("missing digest for {image}"));
                }
                if entry.required {
                    if !verifies {
                        return outcome(RuleStatus::Fail, format!("unverified image {image}"));
                    }
                    return match self.verify(job).await {
                        Ok(_) => outcome(RuleStatus::Pass, "image verified".to_owned()),
                        Err((RuleStatus::Error, m)) => outcome(RuleStatus::Error, m),
                        Err((_, m)) => {
                            outcome(RuleStatus::Fail, format!("unverified image {image}: {m}"))
                        }
                    };
                }
                outcome(RuleStatus::Pass, "image verified".to_owned())
            }
        }
    }

    /// Attestors, then attestations, then `validate.deny`; remembered (successes for the cache
    /// lifetime, failures briefly) and run once at a time per image (`useCache`).
    async fn verify(&self, job: ImageJob<'_, '_>) -> Verified {
        let run = self.verify_uncached(job);
        let (outcome, source, registry_requests) =
            if !job.entry.use_cache || self.engine.cache.ttl.is_zero() {
                let (outcome, requests) = boltseal_oci::count_requests(run).await;
                (outcome, VerificationSource::Verified, requests)
            } else {
                let key = (
                    self.policy.name.as_str(),
                    self.rule.name.as_str(),
                    job.index,
                    job.image,
                );
                self.engine.cache.get_or_verify(key, run).await
            };
        if let Ok(mut checks) = self.checks.lock() {
            checks.push(ImageCheck {
                image: job.image.to_owned(),
                source,
                registry_requests,
            });
        }
        outcome
    }

    /// [`RuleEval::verify`] without the cache.
    async fn verify_uncached(&self, job: ImageJob<'_, '_>) -> Verified {
        let ImageJob {
            index: ei,
            entry,
            info,
            image,
            scope,
        } = job;
        let policy = &self.policy.name;
        let rule = &self.rule.name;
        let verifier = &*self.engine.verifier;
        // Several checks on a tag (attestor entries tried in turn, attestations): the tag is
        // resolved once, here, and every check reads the evidence of that one digest.
        let checks = entry.attestors.iter().map(check_count).sum::<usize>()
            + entry
                .attestations
                .iter()
                .flat_map(|a| &a.attestors)
                .map(check_count)
                .sum::<usize>();
        let resolved;
        let reference = if info.digest().is_none() && checks > 1 {
            match verifier.resolve(info.reference()).await {
                Ok(d) => {
                    resolved = info.reference().with_digest(d);
                    &resolved
                }
                Err(e) if e.is_unavailable() => {
                    return Err((
                        RuleStatus::Error,
                        format!("failed to verify image {image}: {}", e.reason()),
                    ));
                }
                Err(e) => {
                    return Err((
                        RuleStatus::Fail,
                        format!("failed to verify image {image}: {}", e.reason()),
                    ));
                }
            }
        } else {
            info.reference()
        };
        let mut digest = None;
        for (si, set) in entry.attestors.iter().enumerate() {
            match verify_set(verifier, reference, set, &format!(".attestors[{si}]"), 0).await {
                Ok(d) => digest = Some(d),
                Err(Failure::Error(e)) => {
                    return Err((
                        RuleStatus::Error,
                        format!("failed to verify image {image}: {e}"),
                    ));
                }
                Err(Failure::Fail(e)) => {
                    return Err((
                        RuleStatus::Fail,
                        format!("failed to verify image {image}: {e}"),
                    ));
                }
            }
        }
        let mut message = format!("verified image signatures for {image}");
        for (ai, att) in entry.attestations.iter().enumerate() {
            for set in &att.attestors {
                let mut verified = 0usize;
                let mut errors = Vec::new();
                for (j, e) in set.entries.iter().enumerate() {
                    let Some(attestors) = single_set(e) else {
                        errors.push(format!(".attestations[{ai}].attestors.entries[{j}]: nested attestors are not supported for attestations"));
                        continue;
                    };
                    let authority = Authority::Attestors(attestors);
                    let claim = Claim::attestation(att.predicate_type.clone());
                    match verifier.verify(reference, &authority, &claim).await {
                        Ok(found) => {
                            if found.verified.is_empty() {
                                errors.push(format!(
                                    "attestions not found for predicate type {}",
                                    att.predicate_type
                                ));
                                continue;
                            }
                            digest = Some(found.digest);
                            let mut ok = true;
                            for statement in found.payloads() {
                                match self.check_statement(statement, att, scope) {
                                    Ok(true) => {}
                                    Ok(false) => {
                                        ok = false;
                                        errors.push("attestation conditions not met".to_owned());
                                        break;
                                    }
                                    Err(e) => return Err((RuleStatus::Error, e)),
                                }
                            }
                            if ok {
                                verified += 1;
                            }
                        }
                        Err(e) if e.is_unavailable() => {
                            return Err((
                                RuleStatus::Error,
                                format!("failed to verify image {image}: {}", e.reason()),
                            ));
                        }
                        Err(e) => errors.push(e.reason().to_owned()),
                    }
                    if verified >= set.required() {
                        break;
                    }
                }
                if verified < set.required() {
                    return Err((
                        RuleStatus::Fail,
                        format!(
                            "image attestations verification failed, verifiedCount: {verified}, requiredCount: {}, error: {}",
                            set.required(),
                            errors.join("; ")
                        ),
                    ));
                }
            }
            message = format!("verified image attestations for {image}");
        }
        let Some(digest) = digest else {
            return Err((
                RuleStatus::Error,
                format!("failed to verify image {image}: no digest"),
            ));
        };
        if let Some((deny_message, conditions)) = &entry.validate
            && let Some(scope) = scope
        {
            match conditions.evaluate(scope) {
                Ok((true, _)) => {
                    return Err((
                        RuleStatus::Fail,
                        format!(
                            "validation in verifyImages failed: {}",
                            deny_message.as_deref().unwrap_or("deny conditions met")
                        ),
                    ));
                }
                Ok((false, _)) => {}
                Err(e) => return Err((RuleStatus::Error, e)),
            }
        }
        // The image itself is remembered by `VerificationCache::get_or_verify`; the validate
        // phase sees the pinned image, remembered here.
        if entry.use_cache && !self.engine.cache.ttl.is_zero() {
            let pinned = format!("{}/{}@{digest}", info.registry(), info.path());
            if pinned != image {
                self.engine.cache.put(policy, rule, ei, &pinned, digest);
            }
        }
        Ok((digest, message))
    }

    fn check_statement(
        &self,
        statement: &Value,
        att: &crate::policy::Attestation,
        scope: Option<&Scope<'_>>,
    ) -> Result<bool, String> {
        if att.conditions.is_empty() {
            return Ok(true);
        }
        // The predicate is merged into the context root.
        let mut root = match scope {
            Some(_) => self.context()?,
            None => Value::Object(Map::new()),
        };
        if let (Value::Object(m), Some(Value::Object(pred))) =
            (&mut root, statement.get("predicate"))
        {
            for (k, v) in pred {
                m.insert(k.clone(), v.clone());
            }
        }
        let scope = Scope {
            templates: &self.policy.templates,
            data: to_rcvar(&root),
        };
        for c in &att.conditions {
            let (ok, _) = c.evaluate(&scope)?;
            if !ok {
                return Ok(false);
            }
        }
        Ok(true)
    }
}

/// How many verifier calls an attestor set can make (nested sets included).
fn check_count(set: &AttestorSetSpec) -> usize {
    set.entries
        .iter()
        .map(|e| match &e.kind {
            AttestorKind::Nested(inner) => check_count(inner),
            _ => 1,
        })
        .sum()
}

pub(super) fn references_match(patterns: &[String], image: &str) -> bool {
    patterns.iter().any(|p| wildcard::matches(p, image))
}

enum Failure {
    Fail(String),
    Error(String),
}

fn single_set(entry: &AttestorEntry) -> Option<AttestorSet> {
    let attestor = match &entry.kind {
        AttestorKind::Key(k) => Attestor::Key(k.clone()),
        AttestorKind::Keyless { identity, trust } => Attestor::Keyless {
            identity: identity.clone(),
            trust: Arc::clone(trust),
        },
        AttestorKind::Nested(_) => return None,
    };
    let mut set = AttestorSet::all(vec![attestor]).transparency_log(entry.rekor_keys.clone());
    for (k, v) in &entry.annotations {
        set = set.annotation(k, v);
    }
    Some(set)
}

/// One attestor set: entries in order until `count` of them verify.
fn verify_set<'a>(
    verifier: &'a dyn ImageVerifier,
    reference: &'a boltseal_reference::Reference,
    set: &'a AttestorSetSpec,
    label: &'a str,
    depth: usize,
) -> futures_util::future::BoxFuture<'a, Result<Digest, Failure>> {
    Box::pin(async move {
        let required = set.required();
        let mut verified = 0usize;
        let mut digest = None;
        let mut errors = Vec::new();
        for (j, entry) in set.entries.iter().enumerate() {
            let path = format!("{label}.entries[{j}].{}", entry.label);
            let result = match &entry.kind {
                AttestorKind::Nested(inner) if depth < 8 => {
                    verify_set(verifier, reference, inner, &path, depth + 1).await
                }
                AttestorKind::Nested(_) => {
                    Err(Failure::Fail("attestors nested too deeply".to_owned()))
                }
                _ => match single_set(entry) {
                    Some(s) => verifier
                        .verify(reference, &Authority::Attestors(s), &Claim::Signature)
                        .await
                        .map(|c| c.digest)
                        .map_err(|e| {
                            if e.is_unavailable() {
                                Failure::Error(e.reason().to_owned())
                            } else {
                                Failure::Fail(e.reason().to_owned())
                            }
                        }),
                    None => Err(Failure::Fail("unsupported attestor".to_owned())),
                },
            };
            match result {
                Ok(d) => {
                    verified += 1;
                    digest = Some(d);
                    if verified >= required {
                        break;
                    }
                }
                Err(Failure::Error(e)) => return Err(Failure::Error(format!("{path}: {e}"))),
                Err(Failure::Fail(e)) => errors.push(format!("{path}: {e}")),
            }
        }
        match digest {
            Some(d) if verified >= required => Ok(d),
            _ => Err(Failure::Fail(errors.join("; "))),
        }
    })
}
