//! Any bytes as a Sigstore `TrustedRoot` JSON document: parsing never panics, and a parsed
//! root's accessors are usable.
#![no_main]

use boltseal_verify::trust::TrustedRoot;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(root) = TrustedRoot::from_json(data) {
        for log in root.tlogs().iter().chain(root.ctlogs()) {
            let _ = (log.base_url(), log.log_id(), log.key(), log.validity());
        }
        for ca in root
            .certificate_authorities()
            .iter()
            .chain(root.timestamp_authorities())
        {
            let _ = (ca.uri(), ca.certificates().len(), ca.validity());
        }
    }
});
