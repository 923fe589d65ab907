//! CycloneDX 1.4–1.7 schema rules as tables, one [`Shape`] per schema definition, checked by
//! the interpreter in [`super::schema`].

use serde_json::{Map, Value};

use super::formats::{DATE_TIME, EMAIL, IRI, is_bom_link, is_hex_digest, is_iri_reference};
use super::formats::{is_uri, is_uuid_lower};
use super::schema::{Check, Format, OneOf, Prop, Rule, Shape, Version, Walker};
use super::schema::{list, objects, p, since, strings};
use crate::model::CycloneDxVersion::{self, V1_4, V1_5, V1_6, V1_7};

type R = Rule<CycloneDxVersion>;
type S = Shape<CycloneDxVersion>;
type P = Prop<CycloneDxVersion>;

impl Version for CycloneDxVersion {
    const OLDEST: Self = V1_4;
    fn name(self) -> &'static str {
        self.as_str()
    }
}

/// Checks a CycloneDX document's schema rules.
pub(super) fn bom(w: &mut Walker<CycloneDxVersion>, v: &Value) {
    w.check(&BOM, v);
}

const fn closed(required: &'static [&'static str], props: &'static [P]) -> S {
    Shape::new(required, props)
}

pub(super) const STR: R = Rule::Str;
/// `refType`, `refLinkType` and `bomLinkElementType` (any non-empty string).
pub(super) const REF: R = Rule::MinChars(1);
pub(super) const REFS: R = list!(REF, true);
pub(super) const TIME: R = Rule::Format(&DATE_TIME);
pub(super) const IRI_REF: R = Rule::Format(&IRI);
pub(super) const ACKNOWLEDGEMENT: R = Rule::Enum(&["declared", "concluded"]);
pub(super) const SIGNATURE: R = Rule::Custom(signature);
pub(super) const HASHES: R = list!(Rule::Obj(&HASH), false);
pub(super) const PROPERTIES: R = list!(
    Rule::Versioned(&[
        (V1_4, Rule::Obj(&PROPERTY_OPEN)),
        (V1_6, Rule::Obj(&PROPERTY))
    ]),
    false,
);
pub(super) const EXTERNAL_REFERENCES: R = list!(Rule::Obj(&EXTERNAL_REFERENCE), false);
pub(super) const COMPONENTS: R = list!(Rule::Obj(&COMPONENT), true);
pub(super) const SERVICES: R = list!(Rule::Obj(&SERVICE), true);
pub(super) const CONTACTS: R = list!(Rule::Obj(&ORGANIZATIONAL_CONTACT), false);
pub(super) const ENTITY: R = Rule::Obj(&ORGANIZATIONAL_ENTITY);
pub(super) const ISSUES: R = list!(Rule::Obj(&ISSUE), false);

pub(super) const COMPONENT_TYPES: &[(&str, CycloneDxVersion)] = &[
    ("application", V1_4),
    ("framework", V1_4),
    ("library", V1_4),
    ("container", V1_4),
    ("operating-system", V1_4),
    ("device", V1_4),
    ("firmware", V1_4),
    ("file", V1_4),
    ("platform", V1_5),
    ("device-driver", V1_5),
    ("machine-learning-model", V1_5),
    ("data", V1_5),
    ("cryptographic-asset", V1_6),
];

#[rustfmt::skip]
pub(super) const EXTREF_TYPES: &[(&str, CycloneDxVersion)] = &[
    ("vcs", V1_4), ("issue-tracker", V1_4), ("website", V1_4), ("advisories", V1_4),
    ("bom", V1_4), ("mailing-list", V1_4), ("social", V1_4), ("chat", V1_4),
    ("documentation", V1_4), ("support", V1_4), ("distribution", V1_4), ("license", V1_4),
    ("build-meta", V1_4), ("build-system", V1_4), ("release-notes", V1_4), ("other", V1_4),
    ("distribution-intake", V1_5), ("security-contact", V1_5), ("model-card", V1_5),
    ("log", V1_5), ("configuration", V1_5), ("evidence", V1_5), ("formulation", V1_5),
    ("attestation", V1_5), ("threat-model", V1_5), ("adversary-model", V1_5),
    ("risk-assessment", V1_5), ("vulnerability-assertion", V1_5),
    ("exploitability-statement", V1_5), ("pentest-report", V1_5),
    ("static-analysis-report", V1_5), ("dynamic-analysis-report", V1_5),
    ("runtime-analysis-report", V1_5), ("component-analysis-report", V1_5),
    ("maturity-report", V1_5), ("certification-report", V1_5),
    ("codified-infrastructure", V1_5), ("quality-metrics", V1_5), ("poam", V1_5),
    ("source-distribution", V1_6), ("electronic-signature", V1_6),
    ("digital-signature", V1_6), ("rfc-9116", V1_6),
];

pub(super) const HASH_ALGS: &[&str] = &[
    "MD5",
    "SHA-1",
    "SHA-256",
    "SHA-384",
    "SHA-512",
    "SHA3-256",
    "SHA3-384",
    "SHA3-512",
    "BLAKE2b-256",
    "BLAKE2b-384",
    "BLAKE2b-512",
    "BLAKE3",
];

pub(super) const LIFECYCLE_PHASES: &[&str] = &[
    "design",
    "pre-build",
    "build",
    "post-build",
    "operations",
    "discovery",
    "decommission",
];

pub(super) const JSF_ALGORITHMS: &[&str] = &[
    "RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "Ed25519",
    "Ed448", "HS256", "HS384", "HS512",
];

pub(super) const AGGREGATES_1_4: &[&str] = &[
    "complete",
    "incomplete",
    "incomplete_first_party_only",
    "incomplete_third_party_only",
    "unknown",
    "not_specified",
];

pub(super) const AGGREGATES: &[&str] = &[
    "complete",
    "incomplete",
    "incomplete_first_party_only",
    "incomplete_first_party_proprietary_only",
    "incomplete_first_party_opensource_only",
    "incomplete_third_party_only",
    "incomplete_third_party_proprietary_only",
    "incomplete_third_party_opensource_only",
    "unknown",
    "not_specified",
];

// ------------------------------------------------------------------------------------------
// String patterns of the CycloneDX schema.

pub(super) const SERIAL_NUMBER: Format = Format {
    test: |s| s.strip_prefix("urn:uuid:").is_some_and(is_uuid_lower),
    is_not: "does not match urn:uuid:<lower-case UUID>",
};

pub(super) const HEX_DIGEST: Format = Format {
    test: is_hex_digest,
    is_not: "is not a hex digest of a known length",
};

pub(super) const MIME_TYPE: Format = Format {
    test: |m| {
        m.split_once('/').is_some_and(|(a, b)| {
            let part = |p: &str| {
                !p.is_empty()
                    && p.bytes().all(|c| {
                        c.is_ascii_lowercase()
                            || c.is_ascii_digit()
                            || matches!(c, b'-' | b'+' | b'.')
                    })
            };
            part(a) && part(b)
        })
    },
    is_not: "is not a MIME type",
};

pub(super) const LOCALE: Format = Format {
    test: |l| {
        let b = l.as_bytes();
        (b.len() == 2 || (b.len() == 5 && b[2] == b'-'))
            && b[..2].iter().all(u8::is_ascii_lowercase)
            && b.get(3..)
                .is_none_or(|r| r.iter().all(u8::is_ascii_uppercase))
    },
    is_not: "is not a locale like en-US",
};

pub(super) const SPDX_LICENSE_ID: Format = Format {
    test: |id| spdx::license_id(id).is_some() || spdx::exception_id(id).is_some(),
    is_not: "is not an SPDX license id",
};

/// An external reference's URL: an IRI reference, or (from 1.5) a BOM link.
pub(super) const IRI_OR_BOM_LINK: Format = Format {
    test: |u| is_iri_reference(u) || is_bom_link(u, false) || is_bom_link(u, true),
    is_not: "is not an IRI reference",
};

pub(super) const IRI_OR_BOM_ELEMENT: Format = Format {
    test: |u| is_iri_reference(u) || is_bom_link(u, true),
    is_not: "is not an IRI reference or BOM link",
};

/// oneOf(enum of JWA names, a URI): "ES256" must not also be a URI.
pub(super) const JSF_ALGORITHM: Format = Format {
    test: |a| usize::from(JSF_ALGORITHMS.contains(&a)) + usize::from(is_uri(a)) == 1,
    is_not: "is neither a JSF algorithm name nor a URI",
};

// ------------------------------------------------------------------------------------------
// The document.

pub(super) const BOM: R =
    Rule::Versioned(&[(V1_4, Rule::Obj(&BOM_1_4)), (V1_5, Rule::Obj(&BOM_1_5))]);

pub(super) static BOM_1_4: S = closed(&["bomFormat", "specVersion", "version"], &BOM_PROPS);
pub(super) static BOM_1_5: S = closed(&["bomFormat", "specVersion"], &BOM_PROPS);

static BOM_PROPS: [P; 19] = [
    p(
        &["$schema"],
        Rule::Versioned(&[
            (
                V1_4,
                Rule::Enum(&["http://cyclonedx.org/schema/bom-1.4.schema.json"]),
            ),
            (V1_5, STR),
        ]),
    ),
    p(&["bomFormat"], Rule::Enum(&["CycloneDX"])),
    p(&["specVersion"], STR),
    p(&["serialNumber"], Rule::Format(&SERIAL_NUMBER)),
    p(
        &["version"],
        Rule::Versioned(&[(V1_4, Rule::Int(None)), (V1_5, Rule::Int(Some(1)))]),
    ),
    p(&["metadata"], Rule::Obj(&METADATA)),
    p(&["components"], COMPONENTS),
    p(&["services"], SERVICES),
    p(&["externalReferences"], EXTERNAL_REFERENCES),
    p(&["dependencies"], list!(Rule::Obj(&DEPENDENCY), true)),
    p(&["compositions"], list!(Rule::Obj(&COMPOSITION), true)),
    p(&["vulnerabilities"], list!(Rule::Obj(&VULNERABILITY), true)),
    p(&["signature"], SIGNATURE),
    since(V1_5, &["annotations"], list!(Rule::Obj(&ANNOTATION), true)),
    since(V1_5, &["formulation"], list!(Rule::AnyObject, true)),
    since(V1_5, &["properties"], PROPERTIES),
    since(V1_7, &["citations"], list!(Rule::Obj(&CITATION), true)),
    since(V1_6, &["declarations"], Rule::AnyObject),
    since(V1_6, &["definitions"], Rule::AnyObject),
];

/// 1.4 and 1.5 do not close the property object; 1.6 does, and requires a name.
pub(super) static PROPERTY_OPEN: S = Shape {
    required: &[],
    checks: &[],
    props: &[p(&["name", "value"], STR)],
    open: true,
};
pub(super) static PROPERTY: S = closed(&["name"], &[p(&["name", "value"], STR)]);

pub(super) static HASH: S = closed(
    &["alg", "content"],
    &[
        p(&["alg"], Rule::Enum(HASH_ALGS)),
        p(&["content"], Rule::Format(&HEX_DIGEST)),
    ],
);

pub(super) static ATTACHMENT: S = closed(
    &["content"],
    &[
        p(&["contentType", "content"], STR),
        p(&["encoding"], Rule::Enum(&["base64"])),
    ],
);

pub(super) static ORGANIZATIONAL_CONTACT: S = closed(
    &[],
    &[
        p(&["name", "phone"], STR),
        p(&["email"], Rule::Format(&EMAIL)),
        since(V1_5, &["bom-ref"], REF),
    ],
);

pub(super) static ORGANIZATIONAL_ENTITY: S = closed(
    &[],
    &[
        p(&["name"], STR),
        p(&["url"], list!(IRI_REF, false)),
        p(&["contact"], CONTACTS),
        since(V1_5, &["bom-ref"], REF),
        since(V1_6, &["address"], Rule::Obj(&ADDRESS)),
    ],
);

pub(super) static ADDRESS: S = closed(
    &[],
    &[
        p(&["bom-ref"], REF),
        p(
            &[
                "country",
                "region",
                "locality",
                "postOfficeBoxNumber",
                "postalCode",
                "streetAddress",
            ],
            STR,
        ),
    ],
);

pub(super) const TOOLS: R = Rule::Versioned(&[
    (V1_4, list!(Rule::Obj(&TOOL_LEGACY), false)),
    (V1_5, Rule::OneOf(&TOOLS_ONE_OF)),
]);

pub(super) static TOOLS_ONE_OF: OneOf<CycloneDxVersion> = OneOf {
    choices: &[
        Rule::Obj(&TOOLS_OBJECT),
        list!(Rule::Obj(&TOOL_LEGACY), false),
    ],
    message: "expected an object with components/services, or an array of tools",
    explain: true,
};

pub(super) static TOOLS_OBJECT: S = closed(
    &[],
    &[p(&["components"], COMPONENTS), p(&["services"], SERVICES)],
);

pub(super) static TOOL_LEGACY: S = closed(
    &[],
    &[
        p(&["vendor", "name", "version"], STR),
        p(&["hashes"], HASHES),
        p(&["externalReferences"], EXTERNAL_REFERENCES),
    ],
);

pub(super) static METADATA: S = closed(
    &[],
    &[
        p(&["timestamp"], TIME),
        p(&["tools"], TOOLS),
        p(&["authors"], CONTACTS),
        p(&["component"], Rule::Obj(&COMPONENT)),
        p(&["manufacture", "supplier"], ENTITY),
        p(&["licenses"], LICENSE_CHOICE),
        p(&["properties"], PROPERTIES),
        since(V1_5, &["lifecycles"], list!(Rule::OneOf(&LIFECYCLE), false)),
        since(V1_6, &["manufacturer"], ENTITY),
        since(
            V1_7,
            &["distributionConstraints"],
            Rule::Obj(&DISTRIBUTION_CONSTRAINTS),
        ),
    ],
);

pub(super) static DISTRIBUTION_CONSTRAINTS: S = closed(
    &[],
    &[p(
        &["tlp"],
        Rule::Enum(&["CLEAR", "GREEN", "AMBER", "AMBER_AND_STRICT", "RED"]),
    )],
);

pub(super) static LIFECYCLE: OneOf<CycloneDxVersion> = OneOf {
    choices: &[
        Rule::Obj(&closed(
            &["phase"],
            &[p(&["phase"], Rule::Enum(LIFECYCLE_PHASES))],
        )),
        Rule::Obj(&closed(&["name"], &[p(&["name", "description"], STR)])),
    ],
    message: "a lifecycle is either {phase} with a known phase or {name, description}",
    explain: false,
};

// ------------------------------------------------------------------------------------------
// Components.

pub(super) static COMPONENT: S = Shape {
    required: &["type", "name"],
    checks: &[Check::Custom(version_range)],
    props: &[
        p(&["type"], Rule::VersionedEnum(COMPONENT_TYPES)),
        p(&["mime-type"], Rule::Format(&MIME_TYPE)),
        p(&["bom-ref"], REF),
        p(&["supplier"], ENTITY),
        p(
            &[
                "author",
                "publisher",
                "group",
                "name",
                "description",
                "copyright",
                "cpe",
                "purl",
            ],
            STR,
        ),
        p(
            &["version"],
            Rule::Versioned(&[(V1_4, STR), (V1_6, Rule::MaxChars(1024))]),
        ),
        p(
            &["scope"],
            Rule::Enum(&["required", "optional", "excluded"]),
        ),
        p(&["hashes"], HASHES),
        p(&["licenses"], LICENSE_CHOICE),
        p(&["swid"], Rule::Obj(&SWID)),
        p(&["modified"], Rule::Bool),
        p(&["pedigree"], Rule::Obj(&PEDIGREE)),
        p(&["externalReferences"], EXTERNAL_REFERENCES),
        p(&["components"], list!(Rule::Obj(&COMPONENT), true)),
        p(&["evidence"], Rule::Obj(&EVIDENCE)),
        p(&["releaseNotes"], Rule::Obj(&RELEASE_NOTES)),
        p(&["properties"], PROPERTIES),
        p(&["signature"], SIGNATURE),
        since(V1_5, &["modelCard"], Rule::AnyObject),
        since(V1_5, &["data"], objects()),
        since(V1_6, &["manufacturer"], ENTITY),
        since(V1_6, &["authors"], CONTACTS),
        since(V1_6, &["omniborId", "swhid", "tags"], strings(false)),
        since(V1_6, &["cryptoProperties"], Rule::AnyObject),
        since(V1_7, &["isExternal"], Rule::Bool),
        since(V1_7, &["versionRange"], Rule::MinChars(1)),
        since(V1_7, &["patentAssertions"], objects()),
    ],
    open: false,
};

/// 1.7: a component with a version range has no version and is external.
fn version_range(w: &mut Walker<CycloneDxVersion>, m: &Map<String, Value>) {
    if w.v < V1_7 || !m.contains_key("versionRange") {
        return;
    }
    if m.contains_key("version") {
        w.err("a component has either \"version\" or \"versionRange\", not both");
    }
    if m.get("isExternal").and_then(Value::as_bool) != Some(true) {
        w.err("\"versionRange\" is only allowed on components with \"isExternal\": true");
    }
}

pub(super) static SWID: S = closed(
    &["tagId", "name"],
    &[
        p(&["tagId", "name", "version"], STR),
        p(&["tagVersion"], Rule::Int(None)),
        p(&["patch"], Rule::Bool),
        p(&["text"], Rule::Obj(&ATTACHMENT)),
        p(&["url"], IRI_REF),
    ],
);

pub(super) static PEDIGREE: S = closed(
    &[],
    &[
        p(
            &["ancestors", "descendants", "variants"],
            list!(Rule::Obj(&COMPONENT), false),
        ),
        p(&["commits"], list!(Rule::Obj(&COMMIT), false)),
        p(&["patches"], list!(Rule::Obj(&PATCH), false)),
        p(&["notes"], STR),
    ],
);

pub(super) static COMMIT: S = closed(
    &[],
    &[
        p(&["uid", "message"], STR),
        p(&["url"], IRI_REF),
        p(&["author", "committer"], Rule::Obj(&IDENTIFIABLE_ACTION)),
    ],
);

pub(super) static IDENTIFIABLE_ACTION: S = closed(
    &[],
    &[
        p(&["timestamp"], TIME),
        p(&["name"], STR),
        p(&["email"], Rule::Format(&EMAIL)),
    ],
);

pub(super) static PATCH: S = closed(
    &["type"],
    &[
        p(
            &["type"],
            Rule::Enum(&["unofficial", "monkey", "backport", "cherry-pick"]),
        ),
        p(
            &["diff"],
            Rule::Obj(&closed(
                &[],
                &[p(&["text"], Rule::Obj(&ATTACHMENT)), p(&["url"], IRI_REF)],
            )),
        ),
        p(&["resolves"], ISSUES),
    ],
);

pub(super) static ISSUE: S = closed(
    &["type"],
    &[
        p(
            &["type"],
            Rule::Enum(&["defect", "enhancement", "security"]),
        ),
        p(&["id", "name", "description"], STR),
        p(
            &["source"],
            Rule::Obj(&closed(&[], &[p(&["name"], STR), p(&["url"], IRI_REF)])),
        ),
        p(&["references"], list!(IRI_REF, false)),
    ],
);

pub(super) static EVIDENCE: S = closed(
    &[],
    &[
        p(&["licenses"], LICENSE_CHOICE),
        p(
            &["copyright"],
            list!(Rule::Obj(&closed(&["text"], &[p(&["text"], STR)])), false,),
        ),
        since(
            V1_5,
            &["identity"],
            Rule::Versioned(&[(V1_5, Rule::AnyObject), (V1_6, Rule::Custom(identity))]),
        ),
        since(V1_5, &["occurrences"], list!(Rule::Obj(&OCCURRENCE), false)),
        since(V1_5, &["callstack"], Rule::AnyObject),
    ],
);

/// 1.6: one identity object or an array of them.
fn identity(w: &mut Walker<CycloneDxVersion>, x: &Value) {
    if x.is_array() {
        w.check(&objects(), x);
    } else {
        w.check(&Rule::AnyObject, x);
    }
}

pub(super) static OCCURRENCE: S = closed(
    &["location"],
    &[
        p(&["bom-ref"], REF),
        p(&["location"], STR),
        since(V1_6, &["line", "offset"], Rule::Int(Some(0))),
        since(V1_6, &["symbol", "additionalContext"], STR),
    ],
);

pub(super) static RELEASE_NOTES: S = closed(
    &["type"],
    &[
        p(&["type", "title", "description"], STR),
        p(&["featuredImage", "socialImage"], IRI_REF),
        p(&["timestamp"], TIME),
        p(&["aliases", "tags"], strings(false)),
        p(&["resolves"], ISSUES),
        p(
            &["notes"],
            list!(
                Rule::Obj(&closed(
                    &["text"],
                    &[
                        p(&["locale"], Rule::Format(&LOCALE)),
                        p(&["text"], Rule::Obj(&ATTACHMENT)),
                    ],
                )),
                false,
            ),
        ),
        p(&["properties"], PROPERTIES),
        p(
            &["unused"],
            Rule::Versioned(&[(V1_4, Rule::Any), (V1_5, Rule::NotAllowed)]),
        ),
    ],
);

use super::cyclonedx_services::{
    ANNOTATION, CITATION, COMPOSITION, DEPENDENCY, EXTERNAL_REFERENCE, LICENSE_CHOICE, SERVICE,
    VULNERABILITY, signature,
};
