//! Property tests: model → format → model is the identity on what each format can hold, and
//! package URLs survive format/parse.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use boltseal_sbom::{
    Actor, ActorKind, Checksum, CycloneDxVersion, DocumentInfo, ExternalRef, Format, HashAlgorithm,
    License, LicenseKind, LicenseValue, Package, Property, Purl, Purpose, Relationship,
    RelationshipType, Sbom, SpdxVersion, WriteOptions,
};
use proptest::collection::vec;
use proptest::option;
use proptest::prelude::*;
use proptest::sample::select;

fn word() -> impl Strategy<Value = String> {
    "[a-z][a-z0-9]{0,8}"
}

fn text() -> impl Strategy<Value = String> {
    // Includes characters JSON must escape.
    "[ -~\u{e9}\u{4e2d}\n\t\"\\\\]{0,20}"
}

fn hex(len: usize) -> impl Strategy<Value = String> {
    proptest::string::string_regex(&format!("[0-9a-f]{{{len}}}")).unwrap()
}

fn license_id() -> impl Strategy<Value = String> {
    select(vec![
        "MIT",
        "Apache-2.0",
        "GPL-2.0-only",
        "BSD-3-Clause",
        "ISC",
    ])
    .prop_map(str::to_owned)
}

fn expression() -> impl Strategy<Value = String> {
    prop_oneof![
        license_id(),
        (license_id(), license_id()).prop_map(|(a, b)| format!("{a} OR {b}")),
        (license_id(), license_id()).prop_map(|(a, b)| format!("({a} AND {b})")),
    ]
}

fn purl() -> impl Strategy<Value = String> {
    (select(vec!["npm", "deb", "cargo", "pypi"]), word(), word()).prop_map(|(t, n, v)| {
        let ns = if t == "deb" { "debian/" } else { "" };
        format!("pkg:{t}/{ns}{n}@{v}")
    })
}

fn checksum(spdx: bool) -> impl Strategy<Value = Checksum> {
    let algs: Vec<(HashAlgorithm, usize)> = if spdx {
        vec![
            (HashAlgorithm::Sha1, 40),
            (HashAlgorithm::Sha256, 64),
            (HashAlgorithm::Md5, 32),
            (HashAlgorithm::Sha224, 56),
            (HashAlgorithm::Adler32, 8),
        ]
    } else {
        vec![
            (HashAlgorithm::Sha1, 40),
            (HashAlgorithm::Sha256, 64),
            (HashAlgorithm::Sha512, 128),
            (HashAlgorithm::Blake3, 64),
        ]
    };
    select(algs)
        .prop_flat_map(|(alg, len)| hex(len).prop_map(move |v| Checksum::new(alg.clone(), v)))
}

fn actor(kind: ActorKind, email: bool) -> impl Strategy<Value = Actor> {
    (word(), option::of(word())).prop_map(move |(name, mail)| {
        let mut a = Actor::new(kind, name);
        if email {
            a.email = mail.map(|m| format!("{m}@example.com"));
        }
        a
    })
}

fn tool() -> impl Strategy<Value = Actor> {
    ("[a-z]{1,8}", option::of("[0-9]\\.[0-9]{1,2}")).prop_map(|(name, version)| {
        let mut a = Actor::new(ActorKind::Tool, name);
        a.version = version;
        a
    })
}

// ---------------------------------------------------------------------------------- SPDX

/// A purpose both formats have, or one of `more` (what only one of them has).
fn purpose(more: &[Purpose]) -> impl Strategy<Value = Purpose> + use<> {
    let mut all = vec![
        Purpose::Application,
        Purpose::Library,
        Purpose::Container,
        Purpose::OperatingSystem,
        Purpose::File,
    ];
    all.extend_from_slice(more);
    select(all)
}

fn spdx_package(i: usize) -> impl Strategy<Value = Package> {
    (
        (
            word(),
            option::of(word()),
            option::of(purpose(&[Purpose::Source])),
        ),
        (
            option::of(purl()),
            vec(
                "cpe:2\\.3:a:[a-z]{1,5}:[a-z]{1,5}:[0-9]:\\*:\\*:\\*:\\*:\\*:\\*:\\*",
                0..3,
            ),
        ),
        (
            option::of(actor(ActorKind::Organization, true)),
            option::of(actor(ActorKind::Person, true)),
        ),
        (option::of(expression()), option::of(expression())),
        vec(checksum(true), 0..3),
        (
            select(vec![
                "NOASSERTION".to_owned(),
                "NONE".to_owned(),
                "https://example.com/dl".to_owned(),
            ]),
            option::of(Just("https://example.com".to_owned())),
        ),
        vec(
            (select(vec!["url", "vcs"]), word(), option::of(text())),
            0..2,
        ),
        (
            option::of(text()),
            option::of(text()),
            option::of(any::<bool>()),
        ),
    )
        .prop_map(
            move |(
                (name, version, purpose),
                (purl, cpes),
                (supplier, originator),
                (concluded, declared),
                checksums,
                (download, homepage),
                refs,
                (copyright, description, files_analyzed),
            )| {
                let mut p = Package::new(format!("SPDXRef-Package-{i}"), name);
                p.version = version;
                p.purpose = purpose;
                p.purl = purl;
                p.cpes = cpes;
                p.supplier = supplier;
                p.originator = originator;
                if let Some(c) = concluded {
                    p.licenses.push(License::new(
                        LicenseKind::Concluded,
                        LicenseValue::Expression(c),
                    ));
                }
                if let Some(d) = declared {
                    p.licenses.push(License::new(
                        LicenseKind::Declared,
                        LicenseValue::Expression(d),
                    ));
                }
                p.checksums = checksums;
                p.download_location = Some(download);
                p.homepage = homepage;
                p.external_refs = refs
                    .into_iter()
                    .map(|(kind, loc, comment)| {
                        let mut r = ExternalRef::new(kind, format!("https://example.com/{loc}"));
                        r.category = Some("OTHER".to_owned());
                        r.comment = comment;
                        r
                    })
                    .collect();
                p.copyright = copyright;
                p.description = description;
                p.files_analyzed = files_analyzed;
                p
            },
        )
}

fn spdx_sbom() -> impl Strategy<Value = Sbom> {
    (1usize..6)
        .prop_flat_map(|n| {
            let packages: Vec<_> = (0..n).map(spdx_package).collect();
            (
                packages,
                vec(
                    (
                        0..n,
                        select(vec!["DEPENDS_ON", "CONTAINS", "DEPENDENCY_OF", "OTHER"]),
                        0..n,
                        option::of(text()),
                    ),
                    0..6,
                ),
                (
                    word(),
                    "20[0-9]{2}-0[1-9]-1[0-9]T0[0-9]:[0-5][0-9]:[0-5][0-9]Z",
                    vec(tool(), 1..3),
                    option::of(actor(ActorKind::Person, true)),
                ),
            )
        })
        .prop_map(|(packages, rels, (name, created, tools, person))| {
            let mut sbom = Sbom::new(name.clone());
            let d: &mut DocumentInfo = &mut sbom.document;
            d.namespace = Some(format!("https://example.com/spdx/{name}"));
            d.created = Some(created);
            d.creators = tools;
            d.creators.extend(person);
            d.data_license = Some("CC0-1.0".to_owned());
            sbom.relationships.push(Relationship::new(
                "SPDXRef-DOCUMENT",
                RelationshipType::DESCRIBES,
                packages[0].id.clone(),
            ));
            for (a, kind, b, comment) in rels {
                let mut r = Relationship::new(
                    packages[a].id.clone(),
                    RelationshipType::new(kind),
                    packages[b].id.clone(),
                );
                r.comment = comment;
                sbom.relationships.push(r);
            }
            sbom.packages = packages;
            sbom.source = Some(Format::Spdx(SpdxVersion::V2_3));
            sbom
        })
}

// ------------------------------------------------------------------------------ CycloneDX

fn cdx_licenses() -> impl Strategy<Value = Vec<License>> {
    let kind = select(vec![
        LicenseKind::Declared,
        LicenseKind::Concluded,
        LicenseKind::Unspecified,
    ]);
    prop_oneof![
        Just(Vec::new()),
        (kind.clone(), expression())
            .prop_map(|(k, e)| vec![License::new(k, LicenseValue::Expression(e))]),
        vec(
            (
                kind,
                prop_oneof![
                    license_id().prop_map(LicenseValue::Id),
                    "[A-Z][a-z]{2,8} License".prop_map(LicenseValue::Name),
                ]
            ),
            1..3
        )
        .prop_map(|l| l.into_iter().map(|(k, v)| License::new(k, v)).collect()),
    ]
}

fn cdx_package(i: usize) -> impl Strategy<Value = Package> {
    (
        (
            "[ -~]{1,12}",
            word(),
            option::of(word()),
            option::of(purpose(&[Purpose::Data, Purpose::CryptographicAsset])),
        ),
        (
            option::of(word()),
            option::of(purl()),
            vec(
                "cpe:2\\.3:a:[a-z]{1,5}:[a-z]{1,5}:[0-9]:\\*:\\*:\\*:\\*:\\*:\\*:\\*",
                0..2,
            ),
        ),
        (
            option::of(actor(ActorKind::Organization, false)),
            option::of(actor(ActorKind::Person, false)),
        ),
        cdx_licenses(),
        vec(checksum(false), 0..3),
        vec(
            (
                select(vec!["website", "vcs", "distribution", "other"]),
                word(),
                option::of(text()),
            ),
            0..3,
        ),
        vec((word(), option::of(text())), 0..3),
        (option::of(text()), option::of(text())),
    )
        .prop_map(
            move |(
                (id, name, version, purpose),
                (group, purl, cpes),
                (supplier, originator),
                licenses,
                checksums,
                refs,
                props,
                (copyright, description),
            )| {
                let mut p = Package::new(format!("{i}:{id}"), name);
                p.version = version;
                p.purpose = Some(purpose.unwrap_or(Purpose::Library));
                p.group = group;
                p.purl = purl;
                p.cpes = cpes;
                p.supplier = supplier;
                p.originator = originator;
                p.licenses = licenses;
                p.checksums = checksums;
                p.external_refs = refs
                    .into_iter()
                    .map(|(kind, loc, comment)| {
                        let mut r = ExternalRef::new(kind, format!("https://example.com/{loc}"));
                        r.comment = comment;
                        r
                    })
                    .collect();
                p.properties = props
                    .into_iter()
                    .map(|(n, v)| {
                        let mut pr = Property::new(n, "");
                        pr.value = v;
                        pr
                    })
                    .collect();
                p.copyright = copyright.filter(|c| c != "NOASSERTION" && c != "NONE");
                p.description = description;
                p
            },
        )
}

fn cdx_sbom() -> impl Strategy<Value = Sbom> {
    (1usize..6)
        .prop_flat_map(|n| {
            let packages: Vec<_> = (0..n).map(cdx_package).collect();
            (
                packages,
                vec(proptest::collection::btree_set(0..n, 0..3), n),
                any::<bool>(),
                (
                    option::of("[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"),
                    option::of("20[0-9]{2}-0[1-9]-1[0-9]T0[0-9]:[0-5][0-9]:[0-5][0-9]Z"),
                    vec(tool(), 0..3),
                    vec(actor(ActorKind::Person, true), 0..2),
                    option::of(actor(ActorKind::Organization, false)),
                    1u64..5,
                ),
            )
        })
        .prop_map(
            |(packages, deps, with_root, (serial, created, tools, people, org, version))| {
                let mut sbom = Sbom::default();
                let d = &mut sbom.document;
                d.namespace = serial.map(|s| format!("urn:uuid:{s}"));
                d.created = created;
                // CycloneDX tools are unique items: a model with one tool twice cannot round-trip
                // (it is written once, with a note; see `repeated_tools_are_written_once`).
                d.creators = Vec::new();
                for t in tools {
                    if !d.creators.contains(&t) {
                        d.creators.push(t);
                    }
                }
                d.creators.extend(people);
                d.creators.extend(org);
                d.version = Some(version);
                if with_root {
                    sbom.relationships.push(Relationship::new(
                        "SPDXRef-DOCUMENT",
                        RelationshipType::DESCRIBES,
                        packages[0].id.clone(),
                    ));
                }
                for (i, targets) in deps.into_iter().enumerate() {
                    if i % 2 == 1 && targets.is_empty() {
                        continue;
                    }
                    if targets.is_empty() {
                        sbom.relationships.push(Relationship::new(
                            packages[i].id.clone(),
                            RelationshipType::DEPENDS_ON,
                            "NONE",
                        ));
                    }
                    for t in targets {
                        sbom.relationships.push(Relationship::new(
                            packages[i].id.clone(),
                            RelationshipType::DEPENDS_ON,
                            packages[t].id.clone(),
                        ));
                    }
                }
                sbom.packages = packages;
                sbom.source = Some(Format::CycloneDx(CycloneDxVersion::V1_6));
                sbom
            },
        )
}

fn without_schema(mut sbom: Sbom) -> Sbom {
    sbom.extensions.fields.remove("$schema");
    if sbom.extensions.fields.is_empty() {
        sbom.extensions.family = None;
    }
    sbom
}

/// Regression (found by `conversion_keeps_every_package`): one tool named twice among the
/// creators made CycloneDX with duplicate `metadata.tools.components`, which the schema refuses.
#[test]
fn repeated_tools_are_written_once() {
    let mut sbom = Sbom::default();
    let tool = Actor::new(ActorKind::Tool, "l");
    sbom.document.creators = vec![tool.clone(), tool];
    for version in [
        CycloneDxVersion::V1_4,
        CycloneDxVersion::V1_5,
        CycloneDxVersion::V1_6,
    ] {
        let out =
            boltseal_sbom::write(&sbom, Format::CycloneDx(version), &WriteOptions::new()).unwrap();
        assert!(
            out.report.to_string().contains("repeated; written once"),
            "{}",
            out.report
        );
        let v = boltseal_sbom::validate(&out.bytes).unwrap();
        assert!(v.is_valid(), "{:?}", v.findings);
        let back = boltseal_sbom::cyclonedx::read(&out.bytes).unwrap();
        assert_eq!(back.document.creators.len(), 1);
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, .. ProptestConfig::default() })]

    #[test]
    fn spdx_model_format_model_is_identity(sbom in spdx_sbom(), pretty in any::<bool>()) {
        let out = boltseal_sbom::spdx::write(&sbom, &WriteOptions::new().pretty(pretty)).unwrap();
        prop_assert!(out.report.is_empty(), "{}", out.report);
        let back = boltseal_sbom::spdx::read(&out.bytes).unwrap();
        prop_assert_eq!(&back, &sbom);
        // Writing is deterministic.
        let again = boltseal_sbom::spdx::write(&back, &WriteOptions::new().pretty(pretty)).unwrap();
        prop_assert_eq!(&again.bytes, &out.bytes);
        let v = boltseal_sbom::validate(&again.bytes).unwrap();
        prop_assert!(v.is_valid(), "{:?}", v.findings);
    }

    #[test]
    fn cyclonedx_model_format_model_is_identity(sbom in cdx_sbom(), pretty in any::<bool>()) {
        let out = boltseal_sbom::cyclonedx::write(&sbom, CycloneDxVersion::V1_6, &WriteOptions::new().pretty(pretty)).unwrap();
        prop_assert!(out.report.is_empty(), "{}", out.report);
        let back = without_schema(boltseal_sbom::cyclonedx::read(&out.bytes).unwrap());
        prop_assert_eq!(&back, &sbom);
        let again = boltseal_sbom::cyclonedx::write(&back, CycloneDxVersion::V1_6, &WriteOptions::new().pretty(pretty)).unwrap();
        prop_assert_eq!(again.bytes, out.bytes);
    }

    /// Whatever the model, conversion never loses a package and always writes a document that
    /// reads back.
    #[test]
    fn conversion_keeps_every_package(sbom in cdx_sbom()) {
        let spdx = boltseal_sbom::write(&sbom, Format::Spdx(SpdxVersion::V2_3), &WriteOptions::new()).unwrap();
        let back = boltseal_sbom::spdx::read(&spdx.bytes).unwrap();
        prop_assert_eq!(back.packages.len(), sbom.packages.len());
        let v = boltseal_sbom::validate(&spdx.bytes).unwrap();
        prop_assert!(v.is_valid(), "{:?}", v.findings);
        for version in [CycloneDxVersion::V1_4, CycloneDxVersion::V1_5, CycloneDxVersion::V1_6] {
            let cdx = boltseal_sbom::write(&back, Format::CycloneDx(version), &WriteOptions::new()).unwrap();
            let again = boltseal_sbom::cyclonedx::read(&cdx.bytes).unwrap();
            prop_assert_eq!(again.packages.len(), sbom.packages.len());
            let v = boltseal_sbom::validate(&cdx.bytes).unwrap();
            prop_assert!(v.is_valid(), "{:?}", v.findings);
        }
    }

    #[test]
    fn purl_display_parses_back(kind in "[a-z][a-z0-9.+-]{0,6}", ns in option::of("[ -~]{1,10}"), name in "[ -~]{1,10}",
                                version in option::of("[ -~]{1,10}"), q in vec(("[a-z][a-z0-9._-]{0,5}", "[ -~]{1,8}"), 0..3),
                                subpath in option::of("[a-z]{1,5}(/[a-z]{1,5}){0,2}")) {
        let mut b = Purl::builder(kind, name);
        if let Some(ns) = ns { b = b.namespace(ns); }
        if let Some(v) = version { b = b.version(v); }
        for (k, v) in q { b = b.qualifier(k, v); }
        if let Some(s) = subpath { b = b.subpath(s); }
        if let Ok(p) = b.build() {
            let s = p.to_string();
            let back: Purl = s.parse().unwrap();
            prop_assert_eq!(back.to_string(), s);
        }
    }
}
