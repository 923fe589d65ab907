//! The wire structs of CycloneDX JSON: what the reader parses into and the writer serializes.

use std::borrow::Cow;

use serde_json::Value;

use crate::wire::{out_struct, wire_struct};

wire_struct!(WBom {
    schema: String = "$schema",
    bom_format: String = "bomFormat",
    spec_version: String = "specVersion",
    serial: String = "serialNumber",
    version: u64 = "version",
    metadata: WMetadata = "metadata",
    components: Vec<WComponent> = "components",
    dependencies: Vec<WDependency> = "dependencies",
});

wire_struct!(WMetadata {
    timestamp: String = "timestamp",
    tools: Value = "tools",
    authors: Vec<WContact> = "authors",
    component: Box<WComponent> = "component",
    manufacturer: WEntity = "manufacturer",
});

wire_struct!(WComponent {
    kind: String = "type",
    bom_ref: String = "bom-ref",
    supplier: WEntity = "supplier",
    author: String = "author",
    group: String = "group",
    name: String = "name",
    version: String = "version",
    description: String = "description",
    hashes: Vec<WHash> = "hashes",
    licenses: Vec<WLicenseChoice> = "licenses",
    copyright: String = "copyright",
    cpe: String = "cpe",
    purl: String = "purl",
    external_references: Vec<WExtRef> = "externalReferences",
    components: Vec<WComponent> = "components",
    properties: Vec<WProperty> = "properties",
});

wire_struct!(WLicenseChoice {
    license: WLicense = "license",
    expression: String = "expression",
    acknowledgement: String = "acknowledgement",
});

wire_struct!(WLicense {
    id: String = "id",
    name: String = "name",
    acknowledgement: String = "acknowledgement",
});

wire_struct!(WHash {
    alg: String = "alg",
    content: String = "content",
});

wire_struct!(WExtRef {
    url: String = "url",
    comment: String = "comment",
    kind: String = "type",
});

wire_struct!(WProperty {
    name: String = "name",
    value: String = "value",
});

wire_struct!(WEntity {
    name: String = "name"
});

wire_struct!(WContact {
    name: String = "name",
    email: String = "email",
});

wire_struct!(WTool {
    kind: String = "type",
    name: String = "name",
    version: String = "version",
});

wire_struct!(WDependency {
    reference: String = "ref",
    depends_on: Vec<String> = "dependsOn",
});

out_struct!(OBom<'a> {
    schema: String = "$schema",
    bom_format: &'a str = "bomFormat",
    spec_version: &'a str = "specVersion",
    serial: Cow<'a, str> = "serialNumber",
    version: u64 = "version",
    metadata: OMetadata<'a> = "metadata",
    components: Vec<OComponent<'a>> = "components",
    dependencies: Vec<ODependency<'a>> = "dependencies",
});

out_struct!(OMetadata<'a> {
    timestamp: &'a str = "timestamp",
    tools: Value = "tools",
    authors: Vec<OContact<'a>> = "authors",
    component: Box<OComponent<'a>> = "component",
    manufacturer: OEntity<'a> = "manufacturer",
});

out_struct!(OComponent<'a> {
    kind: &'a str = "type",
    bom_ref: &'a str = "bom-ref",
    supplier: OEntity<'a> = "supplier",
    author: Cow<'a, str> = "author",
    group: &'a str = "group",
    name: &'a str = "name",
    version: &'a str = "version",
    description: &'a str = "description",
    hashes: Vec<OHash<'a>> = "hashes",
    licenses: Vec<OLicenseChoice<'a>> = "licenses",
    copyright: &'a str = "copyright",
    cpe: &'a str = "cpe",
    purl: &'a str = "purl",
    external_references: Vec<OExtRef<'a>> = "externalReferences",
    components: Vec<OComponent<'a>> = "components",
    properties: Vec<OProperty<'a>> = "properties",
});

out_struct!(OLicenseChoice<'a> {
    license: OLicense<'a> = "license",
    expression: &'a str = "expression",
    acknowledgement: &'a str = "acknowledgement",
});

out_struct!(OLicense<'a> {
    id: &'a str = "id",
    name: &'a str = "name",
    acknowledgement: &'a str = "acknowledgement",
});

out_struct!(OHash<'a> {
    alg: &'a str = "alg",
    content: &'a str = "content",
});

out_struct!(OExtRef<'a> {
    url: &'a str = "url",
    comment: &'a str = "comment",
    kind: &'a str = "type",
});

out_struct!(OProperty<'a> {
    name: &'a str = "name",
    value: &'a str = "value",
});

out_struct!(OEntity<'a> { name: &'a str = "name" });

out_struct!(OContact<'a> {
    name: &'a str = "name",
    email: &'a str = "email",
});

out_struct!(ODependency<'a> {
    reference: &'a str = "ref",
    depends_on: Vec<&'a str> = "dependsOn",
});
