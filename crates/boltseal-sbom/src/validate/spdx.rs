//! SPDX 2.2/2.3 JSON schema rules as tables (the same for both versions), checked by the
//! interpreter in [`super::schema`].

use serde_json::Value;

use super::formats::DATE_TIME;
use super::schema::{Prop, Rule, Shape, Walker, list, objects, p, strings};

type R = Rule<()>;
type S = Shape<()>;

/// Checks an SPDX document's schema rules.
pub(super) fn document(w: &mut Walker<()>, v: &Value) {
    w.shape(&DOCUMENT, v);
}

const fn closed(required: &'static [&'static str], props: &'static [Prop<()>]) -> S {
    Shape::new(required, props)
}

const STR: R = Rule::Str;
const STRINGS: R = strings(false);
const TIME: R = Rule::Format(&DATE_TIME);
const ANNOTATIONS: R = list!(Rule::Obj(&ANNOTATION), false, 0);

const CHECKSUM_ALGORITHMS: &[&str] = &[
    "SHA1",
    "BLAKE3",
    "SHA3-384",
    "SHA256",
    "SHA384",
    "BLAKE2b-512",
    "BLAKE2b-256",
    "SHA3-512",
    "MD2",
    "ADLER32",
    "MD4",
    "SHA3-256",
    "BLAKE2b-384",
    "SHA512",
    "MD6",
    "MD5",
    "SHA224",
];

#[rustfmt::skip]
const RELATIONSHIP_TYPES: &[&str] = &[
    "VARIANT_OF", "COPY_OF", "PATCH_FOR", "TEST_DEPENDENCY_OF", "CONTAINED_BY", "DATA_FILE_OF",
    "OPTIONAL_COMPONENT_OF", "ANCESTOR_OF", "GENERATES", "CONTAINS", "OPTIONAL_DEPENDENCY_OF",
    "FILE_ADDED", "REQUIREMENT_DESCRIPTION_FOR", "DEV_DEPENDENCY_OF", "DEPENDENCY_OF",
    "BUILD_DEPENDENCY_OF", "DESCRIBES", "PREREQUISITE_FOR", "HAS_PREREQUISITE",
    "PROVIDED_DEPENDENCY_OF", "DYNAMIC_LINK", "DESCRIBED_BY", "METAFILE_OF",
    "DEPENDENCY_MANIFEST_OF", "PATCH_APPLIED", "RUNTIME_DEPENDENCY_OF", "TEST_OF",
    "TEST_TOOL_OF", "DEPENDS_ON", "SPECIFICATION_FOR", "FILE_MODIFIED", "DISTRIBUTION_ARTIFACT",
    "AMENDS", "DOCUMENTATION_OF", "GENERATED_FROM", "STATIC_LINK", "OTHER", "BUILD_TOOL_OF",
    "TEST_CASE_OF", "PACKAGE_OF", "DESCENDANT_OF", "FILE_DELETED", "EXPANDED_FROM_ARCHIVE",
    "DEV_TOOL_OF", "EXAMPLE_OF",
];

const FILE_TYPES: &[&str] = &[
    "OTHER",
    "DOCUMENTATION",
    "IMAGE",
    "VIDEO",
    "ARCHIVE",
    "SPDX",
    "APPLICATION",
    "SOURCE",
    "BINARY",
    "TEXT",
    "AUDIO",
];

static DOCUMENT: S = closed(
    &[
        "SPDXID",
        "creationInfo",
        "dataLicense",
        "name",
        "spdxVersion",
    ],
    &[
        p(
            &[
                "SPDXID",
                "comment",
                "dataLicense",
                "name",
                "spdxVersion",
                "documentNamespace",
                "$schema",
            ],
            STR,
        ),
        p(&["annotations"], ANNOTATIONS),
        p(&["creationInfo"], Rule::Obj(&CREATION_INFO)),
        p(
            &["externalDocumentRefs"],
            list!(
                Rule::Obj(&closed(
                    &["checksum", "externalDocumentId", "spdxDocument"],
                    &[
                        p(&["checksum"], Rule::Obj(&CHECKSUM)),
                        p(&["externalDocumentId", "spdxDocument"], STR),
                    ],
                )),
                false,
                0
            ),
        ),
        p(
            &["hasExtractedLicensingInfos"],
            list!(Rule::Obj(&EXTRACTED_LICENSE), false, 0),
        ),
        p(
            &["revieweds"],
            list!(
                Rule::Obj(&closed(
                    &["reviewDate"],
                    &[p(&["comment", "reviewDate", "reviewer"], STR)],
                )),
                false,
                0
            ),
        ),
        p(&["documentDescribes"], STRINGS),
        p(&["packages"], list!(Rule::Obj(&PACKAGE), false, 0)),
        p(&["files"], list!(Rule::Obj(&FILE), false, 0)),
        p(&["snippets"], list!(Rule::Obj(&SNIPPET), false, 0)),
        p(
            &["relationships"],
            list!(Rule::Obj(&RELATIONSHIP), false, 0),
        ),
    ],
);

static CREATION_INFO: S = closed(
    &["created", "creators"],
    &[
        p(&["comment", "licenseListVersion"], STR),
        p(&["created"], TIME),
        p(&["creators"], list!(STR, false, 1)),
    ],
);

static EXTRACTED_LICENSE: S = closed(
    &["extractedText", "licenseId"],
    &[
        p(&["comment", "extractedText", "licenseId", "name"], STR),
        p(&["seeAlsos"], STRINGS),
        p(
            &["crossRefs"],
            list!(
                Rule::Obj(&closed(
                    &["url"],
                    &[
                        p(&["isLive", "isValid", "isWayBackLink"], Rule::Bool),
                        p(&["match", "timestamp", "url"], STR),
                        p(&["order"], Rule::Int(None)),
                    ],
                )),
                false,
                0
            ),
        ),
    ],
);

static RELATIONSHIP: S = closed(
    &["spdxElementId", "relatedSpdxElement", "relationshipType"],
    &[
        p(&["spdxElementId", "relatedSpdxElement", "comment"], STR),
        p(&["relationshipType"], Rule::Enum(RELATIONSHIP_TYPES)),
    ],
);

static ANNOTATION: S = closed(
    &["annotationDate", "annotationType", "annotator", "comment"],
    &[
        p(&["annotationDate"], TIME),
        p(&["annotationType"], Rule::Enum(&["OTHER", "REVIEW"])),
        p(&["annotator", "comment"], STR),
    ],
);

static CHECKSUM: S = closed(
    &["algorithm", "checksumValue"],
    &[
        p(&["algorithm"], Rule::Enum(CHECKSUM_ALGORITHMS)),
        p(&["checksumValue"], STR),
    ],
);

static PACKAGE: S = closed(
    &["SPDXID", "downloadLocation", "name"],
    &[
        p(
            &[
                "SPDXID",
                "comment",
                "copyrightText",
                "description",
                "downloadLocation",
                "homepage",
                "licenseComments",
                "licenseConcluded",
                "licenseDeclared",
                "name",
                "originator",
                "packageFileName",
                "sourceInfo",
                "summary",
                "supplier",
                "versionInfo",
            ],
            STR,
        ),
        p(&["annotations"], ANNOTATIONS),
        p(
            &["attributionTexts", "licenseInfoFromFiles", "hasFiles"],
            STRINGS,
        ),
        p(&["builtDate", "releaseDate", "validUntilDate"], TIME),
        p(&["checksums"], list!(Rule::Obj(&CHECKSUM), false, 0)),
        p(&["externalRefs"], list!(Rule::Obj(&EXTERNAL_REF), false, 0)),
        p(&["filesAnalyzed"], Rule::Bool),
        p(
            &["packageVerificationCode"],
            Rule::Obj(&closed(
                &["packageVerificationCodeValue"],
                &[
                    p(&["packageVerificationCodeValue"], STR),
                    p(&["packageVerificationCodeExcludedFiles"], STRINGS),
                ],
            )),
        ),
        p(
            &["primaryPackagePurpose"],
            Rule::Enum(&[
                "OTHER",
                "INSTALL",
                "ARCHIVE",
                "FIRMWARE",
                "APPLICATION",
                "FRAMEWORK",
                "LIBRARY",
                "CONTAINER",
                "SOURCE",
                "DEVICE",
                "OPERATING_SYSTEM",
                "OPERATING-SYSTEM",
                "FILE",
            ]),
        ),
    ],
);

static EXTERNAL_REF: S = closed(
    &["referenceCategory", "referenceLocator", "referenceType"],
    &[
        p(&["comment", "referenceLocator", "referenceType"], STR),
        p(
            &["referenceCategory"],
            Rule::Enum(&[
                "OTHER",
                "PERSISTENT-ID",
                "PERSISTENT_ID",
                "SECURITY",
                "PACKAGE-MANAGER",
                "PACKAGE_MANAGER",
            ]),
        ),
    ],
);

static FILE: S = closed(
    &["SPDXID", "checksums", "fileName"],
    &[
        p(
            &[
                "SPDXID",
                "comment",
                "copyrightText",
                "fileName",
                "licenseComments",
                "licenseConcluded",
                "noticeText",
            ],
            STR,
        ),
        p(&["annotations"], ANNOTATIONS),
        p(&["artifactOfs"], objects()),
        p(
            &[
                "attributionTexts",
                "fileContributors",
                "fileDependencies",
                "licenseInfoInFiles",
            ],
            STRINGS,
        ),
        p(&["checksums"], list!(Rule::Obj(&CHECKSUM), false, 1)),
        p(&["fileTypes"], list!(Rule::Enum(FILE_TYPES), false, 0)),
    ],
);

static SNIPPET: S = closed(
    &["SPDXID", "name", "ranges", "snippetFromFile"],
    &[
        p(
            &[
                "SPDXID",
                "comment",
                "copyrightText",
                "licenseComments",
                "licenseConcluded",
                "name",
                "snippetFromFile",
            ],
            STR,
        ),
        p(&["annotations"], ANNOTATIONS),
        p(&["attributionTexts", "licenseInfoInSnippets"], STRINGS),
        p(
            &["ranges"],
            list!(
                Rule::Obj(&closed(
                    &["endPointer", "startPointer"],
                    &[p(&["endPointer", "startPointer"], Rule::Obj(&POINTER))],
                )),
                false,
                1
            ),
        ),
    ],
);

static POINTER: S = closed(
    &["reference"],
    &[
        p(&["reference"], STR),
        p(&["offset", "lineNumber"], Rule::Int(None)),
    ],
);
