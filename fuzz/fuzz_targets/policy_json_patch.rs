//! Any JSON as a JSON Patch applied to any JSON document: reading and applying never panic,
//! and a patch that does not apply leaves the document as it was (all or nothing).
#![no_main]

use boltseal_policy::patch;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let (patch_text, doc_text) = text.split_once('\n').unwrap_or((&text, "{}"));
    let (Ok(ops), Ok(doc)) = (
        serde_json::from_str::<serde_json::Value>(patch_text),
        serde_json::from_str::<serde_json::Value>(doc_text),
    ) else {
        return;
    };
    let Ok(ops) = patch::parse(&ops) else {
        return;
    };
    for op in &ops {
        let again = patch::PatchOperation::from_json(0, &op.to_json());
        assert_eq!(
            again.as_ref().ok(),
            Some(op),
            "an operation reads back as itself"
        );
    }
    let mut patched = doc.clone();
    if patch::apply(&mut patched, &ops).is_err() {
        assert_eq!(patched, doc, "a failed patch changed the document");
    }
});
