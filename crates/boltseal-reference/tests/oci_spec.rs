//! Conversions to and from `oci_spec::distribution::Reference` (feature `oci-spec`).
#![cfg(feature = "oci-spec")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::str::FromStr;

use boltseal_reference::{Reference, ReferenceError};
use oci_spec::distribution::Reference as OciReference;

const FF64: &str = "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff";

#[test]
fn to_oci_spec_and_back() {
    for s in [
        "nginx:1.27".to_owned(),
        "ghcr.io/org/app:v1".to_owned(),
        "localhost:5000/a/b:dev".to_owned(),
        "[::1]:5000/repo:tag".to_owned(),
        format!("quay.io/x/y@sha256:{FF64}"),
        format!("busybox:latest@sha256:{FF64}"),
    ] {
        let ours = Reference::parse(&s).unwrap();
        let theirs = OciReference::from(&ours);
        assert_eq!(theirs.registry(), ours.registry(), "{s}");
        assert_eq!(theirs.repository(), ours.repository(), "{s}");
        assert_eq!(theirs.tag(), ours.tag(), "{s}");
        assert_eq!(theirs.digest(), ours.digest().map(|d| d.as_str()), "{s}");
        assert_eq!(theirs.whole(), ours.to_string(), "{s}");
        // oci-spec's own parser agrees with ours on these (it has no IPv6 literals).
        if !s.starts_with('[') {
            assert_eq!(OciReference::from_str(&s).unwrap(), theirs, "{s}");
        }
        assert_eq!(Reference::try_from(&theirs).unwrap(), ours, "{s}");
    }
}

#[test]
fn no_tag_no_digest_becomes_latest_in_oci_spec() {
    let ours = Reference::parse("alpine").unwrap();
    let theirs = OciReference::from(&ours);
    assert_eq!(theirs.tag(), Some("latest"));
    assert_eq!(theirs, OciReference::from_str("alpine").unwrap());
    assert_eq!(
        Reference::try_from(&theirs).unwrap().normalized(),
        ours.normalized()
    );
}

#[test]
fn oci_spec_values_are_revalidated() {
    // oci-spec accepts these; boltseal refuses them.
    let upper_hex = OciReference::from_str(&format!("app@sha256:{}", FF64.to_uppercase())).unwrap();
    assert!(matches!(
        Reference::try_from(&upper_hex),
        Err(ReferenceError::DigestError(_))
    ));
    // The round-trip bug described in specs/dependencies.md: oci-spec reads `Z/0` as the
    // Docker Hub repository `Z/0`; its written form does not parse.
    let z = OciReference::from_str("Z/0").unwrap();
    assert_eq!(z.repository(), "Z/0");
    assert!(matches!(
        Reference::try_from(&z),
        Err(ReferenceError::UppercaseRepository { .. })
    ));
    // boltseal, like Docker, reads `Z/0` as host `Z`, repository `0`.
    let ours = Reference::parse("Z/0").unwrap();
    assert_eq!((ours.registry(), ours.repository()), ("Z", "0"));
    // Built by hand with a Docker Hub short name: normalized on the way in.
    let hand = OciReference::with_tag("docker.io".into(), "nginx".into(), "1".into());
    assert_eq!(
        Reference::try_from(&hand).unwrap().repository(),
        "library/nginx"
    );
    let bad = OciReference::with_tag("docker.io".into(), "Nginx".into(), "1".into());
    assert!(Reference::try_from(&bad).is_err());
}
