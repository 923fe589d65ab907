//! Property tests for the parsers of boltseal-oci: manifests, descriptors, platforms and image
//! locations round-trip; the registry header parsers (`WWW-Authenticate`, `Link`) read back
//! what they are given; and arbitrary input never panics.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use boltseal_oci::fuzzing;
use boltseal_oci::{
    Descriptor, ImageIndex, ImageLocation, ImageManifest, Manifest, ManifestRef, Platform,
    RawManifest,
};
use boltseal_reference::{Digest, media_type};
use proptest::prelude::*;

fn digest() -> impl Strategy<Value = Digest> {
    proptest::collection::vec(any::<u8>(), 0..16).prop_map(|b| Digest::sha256_of(&b))
}

fn word() -> impl Strategy<Value = String> {
    "[a-z0-9][a-z0-9._-]{0,12}"
}

fn platform() -> impl Strategy<Value = Platform> {
    (word(), word(), proptest::option::of(word())).prop_map(|(os, arch, variant)| {
        let text = match variant {
            Some(v) => format!("{os}/{arch}/{v}"),
            None => format!("{os}/{arch}"),
        };
        text.parse().unwrap()
    })
}

fn descriptor() -> impl Strategy<Value = Descriptor> {
    (
        prop_oneof![
            Just(media_type::OCI_LAYER_TAR_GZIP.to_owned()),
            Just(media_type::OCI_MANIFEST.to_owned()),
            "[a-z]{1,8}/[a-z.+-]{1,20}",
        ],
        digest(),
        any::<u64>(),
        proptest::collection::btree_map(word(), ".{0,20}", 0..3),
        proptest::option::of(platform()),
    )
        .prop_map(|(m, d, size, annotations, platform)| {
            let mut desc = Descriptor::new(m, d, size);
            desc.annotations = annotations;
            desc.platform = platform;
            desc
        })
}

proptest! {
    #[test]
    fn image_manifests_round_trip(config in descriptor(), layers in proptest::collection::vec(descriptor(), 0..4), subject in proptest::option::of(descriptor())) {
        let mut m = ImageManifest::new(config, layers);
        m.subject = subject;
        let raw = m.to_raw().unwrap();
        let again = RawManifest::from_untrusted("m", raw.bytes().clone(), Some(raw.media_type()), Some(raw.digest())).unwrap();
        prop_assert_eq!(again.parse().unwrap(), Manifest::Image(m));
    }

    #[test]
    fn indexes_round_trip(manifests in proptest::collection::vec(descriptor(), 0..4)) {
        let i = ImageIndex::new(manifests);
        let raw = i.to_raw().unwrap();
        let again = RawManifest::from_untrusted("i", raw.bytes().clone(), None, None).unwrap();
        prop_assert!(again.is_index());
        prop_assert_eq!(again.parse().unwrap(), Manifest::Index(i));
    }

    #[test]
    fn platforms_round_trip(p in platform()) {
        prop_assert_eq!(p.to_string().parse::<Platform>().unwrap(), p);
    }

    #[test]
    fn layout_locations_round_trip(dir in "[a-zA-Z0-9_./-]{1,20}", tag in proptest::option::of("[a-zA-Z0-9_][a-zA-Z0-9_.-]{0,20}"), d in proptest::option::of(digest())) {
        prop_assume!(!dir.contains(':') && !dir.contains('@'));
        let text = match (&tag, &d) {
            (_, Some(d)) => format!("oci:{dir}@{d}"),
            (Some(t), None) => format!("oci:{dir}:{t}"),
            (None, None) => format!("oci:{dir}"),
        };
        let l = ImageLocation::parse(&text).unwrap();
        prop_assert_eq!(l.to_string(), text.clone());
        let expected = match (tag, d) {
            (_, Some(d)) => Some(ManifestRef::Digest(d)),
            (Some(t), None) => Some(ManifestRef::Tag(t)),
            (None, None) => None,
        };
        prop_assert_eq!(l.manifest_ref(), expected);
    }

    #[test]
    fn arbitrary_manifest_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..512), mt in proptest::option::of(".{0,40}")) {
        let _ = RawManifest::from_untrusted("fuzz", bytes.into(), mt.as_deref(), None);
    }

    #[test]
    fn arbitrary_json_manifests_never_panic(schema in 0u32..4, body in r#"\{"schemaVersion":[0-9],("mediaType":"[a-z./+]{0,40}",)?("manifests":\[\{[^}]{0,60}\}\],)?("config":\{[^}]{0,80}\},)?"x":1\}"#) {
        let _ = schema;
        let _ = RawManifest::from_untrusted("fuzz", body.into_bytes().into(), None, None).map(|r| r.parse());
    }

    #[test]
    fn arbitrary_locations_never_panic(s in ".{0,80}") {
        let _ = ImageLocation::parse(&s);
        let _ = s.parse::<Platform>();
    }
}

/// A quoted-string value: `"` and `\\` escaped.
fn quoted(value: &str) -> String {
    let mut out = String::from('"');
    for c in value.chars() {
        if c == '"' || c == '\\' {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('"');
    out
}

proptest! {
    #[test]
    fn challenges_round_trip(
        scheme in "[A-Za-z][A-Za-z0-9-]{0,10}",
        params in proptest::collection::btree_map("[a-z][a-z0-9_-]{0,8}", ".{0,30}", 0..5),
        upper in any::<bool>(),
        spaced in any::<bool>(),
    ) {
        let sep = if spaced { ", " } else { "," };
        let text = params
            .iter()
            .map(|(k, v)| {
                let k = if upper { k.to_ascii_uppercase() } else { k.clone() };
                format!("{k}={}", quoted(v))
            })
            .collect::<Vec<_>>()
            .join(sep);
        let header = if text.is_empty() { scheme.clone() } else { format!("{scheme} {text}") };
        let (s, p) = fuzzing::parse_challenge(&header).unwrap();
        prop_assert_eq!(s, scheme.to_ascii_lowercase());
        prop_assert_eq!(p, params);
    }

    #[test]
    fn arbitrary_challenges_never_panic(s in ".{0,120}") {
        if let Some((scheme, params)) = fuzzing::parse_challenge(&s) {
            prop_assert!(!scheme.is_empty());
            prop_assert!(params.keys().all(|k| *k == k.to_ascii_lowercase()));
        }
    }

    #[test]
    fn next_links_are_found_among_others(
        target in "[^<>\\s\\p{Cc}]{0,40}",
        before in proptest::collection::vec(("[^<>\\s\\p{Cc}]{0,20}", prop_oneof![Just("prev"), Just("last"), Just("first")]), 0..3),
        after in proptest::option::of("[^<>\\s\\p{Cc}]{0,20}"),
        quote in any::<bool>(),
    ) {
        let mut links: Vec<String> = before
            .iter()
            .map(|(t, rel)| format!("<{t}>; rel=\"{rel}\"; title=\"a, b\""))
            .collect();
        let rel = if quote { "\"next\"" } else { "next" };
        links.push(format!("<{target}>; rel={rel}"));
        if let Some(a) = after {
            links.push(format!("<{a}>; rel=\"prev\""));
        }
        let header = links.join(", ");
        prop_assert_eq!(fuzzing::next_link(&header), Some(target.as_str()));
    }

    #[test]
    fn arbitrary_links_never_panic(s in ".{0,120}") {
        if let Some(target) = fuzzing::next_link(&s) {
            prop_assert!(!target.contains('>'));
            let bracketed = format!("<{target}>");
            prop_assert!(s.contains(&bracketed));
        }
    }

    #[test]
    fn untrusted_text_is_one_short_line(s in proptest::collection::vec(any::<char>(), 0..600)) {
        let s: String = s.into_iter().collect();
        let shown = fuzzing::untrusted_text(&s);
        prop_assert!(!shown.chars().any(char::is_control));
        prop_assert!(shown.chars().count() <= 310);
    }

    #[test]
    fn untrusted_text_keeps_short_printable_text(s in "[ -~]{0,200}") {
        prop_assert_eq!(fuzzing::untrusted_text(&s), s.trim());
    }
}

/// Found by the `oci_link` fuzz target: a target with a line break and a `<` in it.
#[test]
fn link_targets_with_white_space_or_angle_brackets_are_refused() {
    assert_eq!(fuzzing::next_link("<\n<><\u{15}"), None);
    assert_eq!(fuzzing::next_link("<a b>; rel=next"), None);
    assert_eq!(
        fuzzing::next_link("</v2/a/tags/list?last=x&n=2>; rel=\"next\""),
        Some("/v2/a/tags/list?last=x&n=2")
    );
}
