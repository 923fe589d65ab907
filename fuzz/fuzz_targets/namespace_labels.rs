//! Any text as a namespace-labels file: reading never panics, a refusal is one line, and every
//! namespace read carries the `kubernetes.io/metadata.name` label.
#![no_main]

use boltseal_admission::namespaces::{NAME_LABEL, NamespaceLabels};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    match NamespaceLabels::from_text("fuzz", text) {
        Ok(labels) => {
            for name in labels.names() {
                let l = boltseal_admission::NamespaceLabelSource::labels(&labels, name)
                    .unwrap_or_else(|| panic!("{name} listed but has no labels"));
                assert!(l.get(NAME_LABEL).is_some(), "{name} without the name label");
            }
        }
        Err(e) => assert!(!e.to_string().contains('\n'), "two-line error: {e}"),
    }
});
