//! CycloneDX schema rules, continued: licenses, external references, dependencies, services,
//! compositions, vulnerabilities, annotations, citations and JSF signatures.

use serde_json::Value;

use super::cyclonedx::{
    ACKNOWLEDGEMENT, AGGREGATES, AGGREGATES_1_4, ATTACHMENT, COMPONENT, CONTACTS, ENTITY,
    EXTERNAL_REFERENCES, EXTREF_TYPES, HASHES, IRI_OR_BOM_ELEMENT, IRI_OR_BOM_LINK, IRI_REF,
    JSF_ALGORITHM, ORGANIZATIONAL_CONTACT, PROPERTIES, REF, REFS, SIGNATURE, SPDX_LICENSE_ID, STR,
    TIME, TOOLS,
};
use super::schema::{Check, Rule, Shape, Walker, list, objects, p, since, strings};
use crate::model::CycloneDxVersion::{self, V1_4, V1_5, V1_6, V1_7};

type R = Rule<CycloneDxVersion>;
type S = Shape<CycloneDxVersion>;

const fn closed(
    required: &'static [&'static str],
    props: &'static [super::schema::Prop<CycloneDxVersion>],
) -> S {
    Shape::new(required, props)
}

// ------------------------------------------------------------------------------------------
// Licenses.

/// A license choice: in 1.4 an array of `{license}` or `{expression}` objects; in 1.5 and 1.6
/// either licenses or a single expression; from 1.7 licenses and expressions mixed.
pub(super) const LICENSE_CHOICE: R = Rule::Versioned(&[
    (V1_4, list!(Rule::Obj(&LICENSE_CHOICE_1_4), false)),
    (V1_5, Rule::Custom(license_choice_1_5)),
    (
        V1_7,
        list!(
            Rule::IfKey {
                key: "expression",
                then: &Rule::Obj(&EXPRESSION_1_7),
                otherwise: &Rule::Obj(&LICENSE_ITEM),
            },
            false,
        ),
    ),
]);

static LICENSE: S = Shape {
    required: &[],
    checks: &[Check::ExactlyOne(
        &["id", "name"],
        "a license has exactly one of \"id\" and \"name\"",
    )],
    props: &[
        p(&["id"], Rule::Format(&SPDX_LICENSE_ID)),
        p(&["name"], STR),
        p(&["text"], Rule::Obj(&ATTACHMENT)),
        p(&["url"], IRI_REF),
        since(V1_5, &["bom-ref"], REF),
        since(V1_5, &["licensing"], Rule::AnyObject),
        since(V1_5, &["properties"], PROPERTIES),
        since(V1_6, &["acknowledgement"], ACKNOWLEDGEMENT),
    ],
    open: false,
};

static LICENSE_CHOICE_1_4: S = Shape {
    required: &[],
    checks: &[Check::ExactlyOne(
        &["license", "expression"],
        "a license choice has exactly one of \"license\" and \"expression\"",
    )],
    props: &[
        p(&["license"], Rule::Obj(&LICENSE)),
        p(&["expression"], STR),
    ],
    open: false,
};

static LICENSE_ITEM: S = closed(&["license"], &[p(&["license"], Rule::Obj(&LICENSE))]);

static EXPRESSION_1_5: S = closed(
    &["expression"],
    &[
        p(&["expression"], STR),
        p(&["bom-ref"], REF),
        since(V1_6, &["acknowledgement"], ACKNOWLEDGEMENT),
    ],
);

static EXPRESSION_1_7: S = closed(
    &["expression"],
    &[
        p(&["expression"], STR),
        p(&["expressionDetails"], objects()),
        p(&["acknowledgement"], ACKNOWLEDGEMENT),
        p(&["bom-ref"], REF),
        p(&["licensing"], Rule::AnyObject),
        p(&["properties"], PROPERTIES),
    ],
);

/// 1.5 and 1.6: `oneOf` a list of `{license}` objects and a single `{expression}`.
fn license_choice_1_5(w: &mut Walker<CycloneDxVersion>, x: &Value) {
    let Some(items) = w.array(x, false) else {
        return;
    };
    let all_licenses = items.iter().all(|i| {
        i.as_object()
            .is_some_and(|m| m.contains_key("license") && m.len() == 1)
    });
    if all_licenses {
        for (i, item) in items.iter().enumerate() {
            w.at_index(i, |w| w.shape(&LICENSE_ITEM, item));
        }
        return;
    }
    let single_expression = items.len() == 1
        && items[0]
            .as_object()
            .is_some_and(|m| m.contains_key("expression"));
    if single_expression {
        w.at_index(0, |w| w.shape(&EXPRESSION_1_5, &items[0]));
        return;
    }
    w.err("licenses are either a list of {\"license\": …} objects or a single {\"expression\": …}");
}

// ------------------------------------------------------------------------------------------
// External references, dependencies, services, compositions.

pub(super) static EXTERNAL_REFERENCE: S = closed(
    &["url", "type"],
    &[
        p(
            &["url"],
            Rule::Versioned(&[(V1_4, IRI_REF), (V1_5, Rule::Format(&IRI_OR_BOM_LINK))]),
        ),
        p(&["comment"], STR),
        p(&["type"], Rule::VersionedEnum(EXTREF_TYPES)),
        p(&["hashes"], HASHES),
        since(V1_7, &["properties"], PROPERTIES),
    ],
);

pub(super) static DEPENDENCY: S = closed(
    &["ref"],
    &[
        p(&["ref"], REF),
        p(&["dependsOn"], REFS),
        since(V1_6, &["provides"], REFS),
    ],
);

pub(super) static SERVICE: S = closed(
    &["name"],
    &[
        p(&["bom-ref"], REF),
        p(&["provider"], ENTITY),
        p(&["group", "name", "version", "description"], STR),
        p(&["endpoints"], list!(IRI_REF, false)),
        p(&["authenticated", "x-trust-boundary"], Rule::Bool),
        p(&["data"], list!(Rule::Obj(&SERVICE_DATA), false)),
        p(&["licenses"], LICENSE_CHOICE),
        p(&["externalReferences"], EXTERNAL_REFERENCES),
        p(&["services"], list!(Rule::Obj(&SERVICE), true)),
        p(
            &["releaseNotes"],
            Rule::Obj(&super::cyclonedx::RELEASE_NOTES),
        ),
        p(&["properties"], PROPERTIES),
        p(&["signature"], SIGNATURE),
        since(V1_5, &["trustZone"], STR),
        since(V1_6, &["tags"], strings(false)),
        since(V1_7, &["patentAssertions"], objects()),
    ],
);

static SERVICE_DATA: S = closed(
    &["flow", "classification"],
    &[
        p(
            &["flow"],
            Rule::Enum(&["inbound", "outbound", "bi-directional", "unknown"]),
        ),
        p(&["classification"], STR),
        since(V1_5, &["name", "description"], STR),
        since(V1_5, &["governance"], Rule::AnyObject),
        since(
            V1_5,
            &["source", "destination"],
            list!(Rule::Format(&IRI_OR_BOM_ELEMENT), false),
        ),
    ],
);

pub(super) static COMPOSITION: S = closed(
    &["aggregate"],
    &[
        p(
            &["aggregate"],
            Rule::Versioned(&[
                (V1_4, Rule::Enum(AGGREGATES_1_4)),
                (V1_5, Rule::Enum(AGGREGATES)),
            ]),
        ),
        p(&["assemblies"], REFS),
        p(&["dependencies"], strings(true)),
        p(&["signature"], SIGNATURE),
        since(V1_5, &["bom-ref"], REF),
        since(V1_5, &["vulnerabilities"], strings(true)),
    ],
);

// ------------------------------------------------------------------------------------------
// Vulnerabilities.

pub(super) static VULNERABILITY: S = closed(
    &[],
    &[
        p(&["bom-ref"], REF),
        p(&["id", "description", "detail", "recommendation"], STR),
        p(&["source"], VULNERABILITY_SOURCE),
        p(
            &["references"],
            list!(
                Rule::Obj(&closed(
                    &["id", "source"],
                    &[p(&["id"], STR), p(&["source"], VULNERABILITY_SOURCE)],
                )),
                false,
            ),
        ),
        p(&["ratings"], list!(Rule::Obj(&RATING), false)),
        p(&["cwes"], list!(Rule::Int(Some(1)), false)),
        p(
            &["advisories"],
            list!(
                Rule::Obj(&closed(
                    &["url"],
                    &[p(&["title"], STR), p(&["url"], IRI_REF)],
                )),
                false,
            ),
        ),
        p(&["created", "published", "updated"], TIME),
        p(
            &["credits"],
            Rule::Obj(&closed(
                &[],
                &[
                    p(&["organizations"], list!(ENTITY, false)),
                    p(&["individuals"], CONTACTS),
                ],
            )),
        ),
        p(&["tools"], TOOLS),
        p(&["analysis"], Rule::Obj(&ANALYSIS)),
        p(
            &["affects"],
            list!(
                Rule::Obj(&closed(
                    &["ref"],
                    &[p(&["ref"], REF), p(&["versions"], objects())],
                )),
                true,
            ),
        ),
        p(&["properties"], PROPERTIES),
        since(V1_5, &["workaround"], STR),
        since(V1_5, &["proofOfConcept"], Rule::AnyObject),
        since(V1_5, &["rejected"], TIME),
    ],
);

const VULNERABILITY_SOURCE: R = Rule::Obj(&closed(&[], &[p(&["url", "name"], STR)]));

static RATING: S = closed(
    &[],
    &[
        p(&["source"], VULNERABILITY_SOURCE),
        p(&["score"], Rule::Num),
        p(
            &["severity"],
            Rule::Enum(&[
                "critical", "high", "medium", "low", "info", "none", "unknown",
            ]),
        ),
        p(
            &["method"],
            Rule::Versioned(&[
                (
                    V1_4,
                    Rule::Enum(&["CVSSv2", "CVSSv3", "CVSSv31", "OWASP", "other"]),
                ),
                (
                    V1_5,
                    Rule::Enum(&[
                        "CVSSv2", "CVSSv3", "CVSSv31", "OWASP", "other", "CVSSv4", "SSVC",
                    ]),
                ),
            ]),
        ),
        p(&["vector", "justification"], STR),
    ],
);

static ANALYSIS: S = closed(
    &[],
    &[
        p(
            &["state"],
            Rule::Enum(&[
                "resolved",
                "resolved_with_pedigree",
                "exploitable",
                "in_triage",
                "false_positive",
                "not_affected",
            ]),
        ),
        p(
            &["justification"],
            Rule::Enum(&[
                "code_not_present",
                "code_not_reachable",
                "requires_configuration",
                "requires_dependency",
                "requires_environment",
                "protected_by_compiler",
                "protected_at_runtime",
                "protected_at_perimeter",
                "protected_by_mitigating_control",
            ]),
        ),
        p(
            &["response"],
            list!(
                Rule::Enum(&[
                    "can_not_fix",
                    "will_not_fix",
                    "update",
                    "rollback",
                    "workaround_available",
                ]),
                true,
            ),
        ),
        p(&["detail"], STR),
        since(V1_5, &["firstIssued", "lastUpdated"], TIME),
    ],
);

// ------------------------------------------------------------------------------------------
// Annotations, citations, signatures.

pub(super) static ANNOTATION: S = closed(
    &["subjects", "annotator", "timestamp", "text"],
    &[
        p(&["bom-ref"], REF),
        p(&["subjects"], REFS),
        p(&["annotator"], Rule::Obj(&ANNOTATOR)),
        p(&["timestamp"], TIME),
        p(&["text"], STR),
        p(&["signature"], SIGNATURE),
    ],
);

static ANNOTATOR: S = Shape {
    required: &[],
    checks: &[Check::ExactlyOne(
        &["organization", "individual", "component", "service"],
        "an annotator is exactly one of organization, individual, component, service",
    )],
    props: &[
        p(&["organization"], ENTITY),
        p(&["individual"], Rule::Obj(&ORGANIZATIONAL_CONTACT)),
        p(&["component"], Rule::Obj(&COMPONENT)),
        p(&["service"], Rule::Obj(&SERVICE)),
    ],
    open: false,
};

pub(super) static CITATION: S = Shape {
    required: &["timestamp"],
    checks: &[
        Check::ExactlyOne(
            &["pointers", "expressions"],
            "a citation has exactly one of \"pointers\" and \"expressions\"",
        ),
        Check::AnyOf(
            &["attributedTo", "process"],
            "a citation names \"attributedTo\" or \"process\" (or both)",
        ),
    ],
    props: &[
        p(&["bom-ref", "attributedTo", "process"], REF),
        p(
            &["pointers", "expressions"],
            Rule::List {
                item: &STR,
                unique: false,
                min: 1,
            },
        ),
        p(&["timestamp"], TIME),
        p(&["note"], STR),
        p(&["signature"], SIGNATURE),
    ],
    open: false,
};

/// JSF 0.82: a signer object, or `{signers: [...]}` or `{chain: [...]}`.
pub(super) fn signature(w: &mut Walker<CycloneDxVersion>, x: &Value) {
    let Some(m) = w.object(x, &[]) else {
        return;
    };
    let key = if m.contains_key("signers") {
        "signers"
    } else {
        "chain"
    };
    match m.get(key) {
        Some(signers) => {
            if m.len() != 1 {
                w.err("a multiple-signature object has only \"signers\" or \"chain\"");
            }
            w.at(key, |w| w.check(&SIGNERS, signers));
        }
        None => w.shape(&SIGNER, x),
    }
}

const SIGNERS: R = list!(Rule::Obj(&SIGNER), false);

static SIGNER: S = closed(
    &["algorithm", "value"],
    &[
        p(&["algorithm"], Rule::Format(&JSF_ALGORITHM)),
        p(&["keyId", "value"], STR),
        p(&["publicKey"], Rule::AnyObject),
        p(&["certificatePath"], strings(false)),
        p(&["excludes"], strings(true)),
    ],
);
