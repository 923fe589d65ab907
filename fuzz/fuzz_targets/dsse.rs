//! Any bytes: DSSE envelope and in-toto statement parsing never panic, and accepted values
//! round-trip through their serialized form.
#![no_main]

use boltseal_envelope::dsse::Envelope;
use boltseal_envelope::intoto::Statement;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(envelope) = Envelope::parse(data) {
        let again = Envelope::parse(&envelope.to_bytes())
            .unwrap_or_else(|e| panic!("re-serialized envelope does not parse: {e}"));
        assert_eq!(again, envelope);
        let _ = envelope.pae();
        if let Ok(statement) = Statement::parse(&envelope.payload) {
            assert_eq!(
                Statement::parse(&statement.to_bytes()).ok(),
                Some(statement)
            );
        }
    }
    if let Ok(statement) = Statement::parse(data) {
        let bytes = statement.to_bytes();
        let again = Statement::parse(&bytes)
            .unwrap_or_else(|e| panic!("re-serialized statement does not parse: {e}"));
        assert_eq!(again, statement);
        assert_eq!(again.to_bytes(), bytes);
    }
});
