//! The `admission.k8s.io/v1` `AdmissionReview` wire format: a bounded, strict decoder for the
//! request the API server sends and the response a webhook answers with.
//!
//! Objects (`object`, `oldObject`, `options`) stay raw JSON values: the policy engine reads them
//! as Kyverno does, through JSON paths. Unknown fields are ignored (newer API servers add fields),
//! but every field boltseal reads is type-checked and the envelope (`apiVersion`, `kind`, `uid`,
//! `operation`, the object on `CREATE`/`UPDATE`) is validated.

mod limits;
mod request;
mod response;

use serde::{Deserialize, Serialize};

pub use self::limits::{DecodeError, DecodeLimits};
pub use self::request::{AdmissionRequest, GroupVersionKind, GroupVersionResource};
pub use self::response::{AdmissionResponse, MAX_WARNING_CHARS, PatchType, Status};
pub use boltseal_policy::admission::{Operation, UserInfo};

/// `apiVersion` of every review boltseal reads and writes.
pub const API_VERSION: &str = "admission.k8s.io/v1";
/// `kind` of every review.
pub const KIND: &str = "AdmissionReview";
/// The largest review body the decoder accepts by default (3 MiB: the API server accepts request
/// bodies of up to 3 MiB and etcd stores objects of up to 1.5 MiB, so that a review carrying an
/// object and its old version stays within about 3 MiB).
pub const MAX_REVIEW_BYTES: usize = 3 << 20;
/// The deepest nesting of arrays and objects accepted by default (Pods and their controllers
/// nest about 10 deep; `serde_json` itself stops at 128).
pub const MAX_REVIEW_DEPTH: usize = 64;
/// The most memory a review's decoded JSON may take by default, as bounded by
/// [`crate::scan::shape`] before decoding (48 MiB: about 2.3 MB of JSON as dense as a Pod's;
/// real reviews take a few hundred KiB).
pub const MAX_DECODED_BYTES: usize = 48 << 20;

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Envelope {
    #[serde(default)]
    api_version: String,
    #[serde(default)]
    kind: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    request: Option<AdmissionRequest>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    response: Option<AdmissionResponse>,
}

fn encode(envelope: &Envelope) -> Vec<u8> {
    // Serializing these types cannot fail: string keys, no non-finite floats are produced.
    serde_json::to_vec(envelope).unwrap_or_default()
}

fn decode_envelope(body: &[u8], limits: Option<&DecodeLimits>) -> Result<Envelope, DecodeError> {
    if let Some(limits) = limits {
        limits.check(body)?;
    }
    let envelope: Envelope = serde_json::from_slice(body).map_err(DecodeError::Json)?;
    if envelope.api_version != API_VERSION {
        return Err(DecodeError::ApiVersion(envelope.api_version));
    }
    if envelope.kind != KIND {
        return Err(DecodeError::Kind(envelope.kind));
    }
    Ok(envelope)
}

/// Decodes the `AdmissionReview` the API server sends and returns its request.
///
/// # Errors
/// [`DecodeError`] when the body is over the default [`DecodeLimits`] (size, nesting, decoded
/// memory), is not JSON, is not an
/// `admission.k8s.io/v1` `AdmissionReview`, has no request, or a request field is invalid
/// (empty uid, unknown operation, no object on `CREATE`, …).
///
/// # Example
/// ```
/// use boltseal_admission::review::{decode_request, Operation};
///
/// let body = br#"{"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview",
///   "request": {"uid": "705ab4f5", "operation": "CREATE",
///     "kind": {"group": "", "version": "v1", "kind": "Pod"},
///     "resource": {"group": "", "version": "v1", "resource": "pods"},
///     "namespace": "default", "object": {"metadata": {"name": "web"}}}}"#;
/// let request = decode_request(body)?;
/// assert_eq!(request.operation, Operation::Create);
/// assert_eq!(request.resource_path(), "Pod/default/web");
/// assert!(decode_request(b"{}").is_err());
/// # Ok::<(), boltseal_admission::review::DecodeError>(())
/// ```
pub fn decode_request(body: &[u8]) -> Result<AdmissionRequest, DecodeError> {
    decode_request_within(body, &DecodeLimits::default())
}

/// [`decode_request`] under these limits.
///
/// # Errors
/// As for [`decode_request`].
pub fn decode_request_within(
    body: &[u8],
    limits: &DecodeLimits,
) -> Result<AdmissionRequest, DecodeError> {
    limits.check(body)?;
    decode_request_checked(body)
}

/// [`decode_request`] of a body already checked against its limits ([`DecodeLimits::check`]).
pub(crate) fn decode_request_checked(body: &[u8]) -> Result<AdmissionRequest, DecodeError> {
    let request = decode_envelope(body, None)?
        .request
        .ok_or(DecodeError::Missing("request"))?;
    request.validate()?;
    Ok(request)
}

/// Decodes an `AdmissionReview` carrying a response (what a webhook answers; used by clients
/// and tests).
///
/// # Errors
/// [`DecodeError`] as for [`decode_request`], or when there is no response or its uid is empty.
pub fn decode_response(body: &[u8]) -> Result<AdmissionResponse, DecodeError> {
    let response = decode_envelope(body, Some(&DecodeLimits::default()))?
        .response
        .ok_or(DecodeError::Missing("response"))?;
    if response.uid.is_empty() {
        return Err(DecodeError::Invalid {
            field: "response.uid",
            reason: "empty".to_owned(),
        });
    }
    if response.patch.is_some() != response.patch_type.is_some() {
        return Err(DecodeError::Invalid {
            field: "response.patchType",
            reason: "patch and patchType go together".to_owned(),
        });
    }
    Ok(response)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::request::plural;
    use super::*;
    use serde_json::Value;
    use serde_json::json;

    fn review(request: Value) -> Vec<u8> {
        serde_json::to_vec(&json!({
            "apiVersion": API_VERSION, "kind": KIND, "request": request
        }))
        .unwrap()
    }

    fn pod_request() -> Value {
        json!({
            "uid": "u-1", "operation": "CREATE",
            "kind": {"group": "", "version": "v1", "kind": "Pod"},
            "resource": {"group": "", "version": "v1", "resource": "pods"},
            "namespace": "default",
            "userInfo": {"username": "alice", "groups": ["dev"]},
            "object": {"metadata": {"generateName": "web-"}},
            "dryRun": false
        })
    }

    #[test]
    fn decodes_a_pod_review() {
        let r = decode_request(&review(pod_request())).unwrap();
        assert_eq!(r.uid, "u-1");
        assert_eq!(r.user_info.username, "alice");
        assert_eq!(r.resource_path(), "Pod/default/web-");
        assert_eq!(r.dry_run, Some(false));
    }

    #[test]
    fn refuses_what_is_not_a_v1_review() {
        let mut wrong = serde_json::from_slice::<Value>(&review(pod_request())).unwrap();
        wrong["apiVersion"] = json!("admission.k8s.io/v1beta1");
        let e = decode_request(&serde_json::to_vec(&wrong).unwrap()).unwrap_err();
        assert!(matches!(e, DecodeError::ApiVersion(_)), "{e}");
        let e =
            decode_request(br#"{"apiVersion":"admission.k8s.io/v1","kind":"Review"}"#).unwrap_err();
        assert!(matches!(e, DecodeError::Kind(_)), "{e}");
        let e = decode_request(br#"{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview"}"#)
            .unwrap_err();
        assert_eq!(e.to_string(), "the review has no request");
        for (field, value, expect) in [
            ("uid", json!(""), "request.uid: empty"),
            ("operation", json!("PATCH"), "unknown variant"),
            ("object", json!([1]), "request.object: not a JSON object"),
            ("object", Value::Null, "request.object: required for CREATE"),
            ("kind", json!({"version": "v1", "kind": ""}), "request.kind"),
            ("uid", json!(7), "invalid type"),
        ] {
            let mut r = pod_request();
            r[field] = value;
            let e = decode_request(&review(r)).unwrap_err().to_string();
            assert!(e.contains(expect), "{field}: {e}");
            assert!(!e.contains('\n'), "one line: {e}");
        }
        let big = vec![b' '; MAX_REVIEW_BYTES + 1];
        assert!(matches!(
            decode_request(&big),
            Err(DecodeError::TooLarge { .. })
        ));
        assert!(decode_request(b"\xff\xfe").is_err());
    }

    #[test]
    fn limits_are_checked_before_decoding() {
        let limits = DecodeLimits {
            max_bytes: 1 << 20,
            max_depth: 8,
            max_decoded_bytes: 64 << 10,
        };
        let deep = format!("{}{}", "[".repeat(9), "]".repeat(9));
        let e = decode_request_within(deep.as_bytes(), &limits).unwrap_err();
        assert_eq!(
            e.to_string(),
            "review nests arrays and objects 9 deep, deeper than the limit of 8"
        );
        // 10,000 two-byte elements: 20 kB of JSON, 512 KiB of values.
        let mut r = pod_request();
        r["object"]["spec"] = json!(vec![1; 10_000]);
        let body = review(r);
        assert!(body.len() < 64 << 10);
        let e = decode_request_within(&body, &limits).unwrap_err();
        assert!(
            matches!(e, DecodeError::TooCostly { limit, bytes } if limit == 64 << 10 && bytes > 10_000 * 32),
            "{e}"
        );
        assert!(
            e.to_string().contains("more than the 65536-byte limit"),
            "{e}"
        );
        let big = vec![b' '; (1 << 20) + 1];
        let e = decode_request_within(&big, &limits).unwrap_err();
        assert_eq!(
            e.to_string(),
            "review is 1048577 bytes, larger than the 1048576-byte limit"
        );
        // A real review is far within the defaults.
        let body = review(pod_request());
        let shape = DecodeLimits::default().check(&body).unwrap();
        assert!(shape.decoded_bytes < 16 << 10, "{shape:?}");
        assert!(decode_request_within(&body, &DecodeLimits::default()).is_ok());
    }

    #[test]
    fn update_needs_the_old_object() {
        let mut r = pod_request();
        r["operation"] = json!("UPDATE");
        assert!(decode_request(&review(r.clone())).is_err());
        r["oldObject"] = json!({"metadata": {}});
        assert!(decode_request(&review(r)).is_ok());
    }

    #[test]
    fn responses_carry_a_base64_patch() {
        let ops =
            [json!({"op": "replace", "path": "/spec/containers/0/image", "value": "x@sha256:00"})];
        let resp = AdmissionResponse::allow("u-1")
            .with_patch(&ops)
            .with_warning("policy p.r: line\nbreak");
        let text = String::from_utf8(resp.to_review_json()).unwrap();
        assert!(text.contains("\"patchType\":\"JSONPatch\""), "{text}");
        let back = decode_response(text.as_bytes()).unwrap();
        assert_eq!(back, resp);
        assert_eq!(back.patch_operations().unwrap(), ops.to_vec());
        assert_eq!(back.warnings, ["policy p.r: line break"]);
        let deny = AdmissionResponse::deny("u-2", "no");
        let v: Value = serde_json::from_slice(&deny.to_review_json()).unwrap();
        assert_eq!(v["response"]["status"]["code"], 403);
        assert_eq!(v["response"]["allowed"], false);
    }

    #[test]
    fn plurals() {
        for (k, p) in [
            ("Pod", "pods"),
            ("Deployment", "deployments"),
            ("Ingress", "ingresses"),
            ("NetworkPolicy", "networkpolicies"),
            ("Gateway", "gateways"),
        ] {
            assert_eq!(plural(k), p);
        }
    }
}
