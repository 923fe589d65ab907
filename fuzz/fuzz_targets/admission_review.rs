//! Any bytes as an AdmissionReview body: decoding never panics, a refusal is one line, and an
//! accepted request or response encodes to a review that decodes to the same value.
#![no_main]

use boltseal_admission::review::{decode_request, decode_response};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    match decode_request(data) {
        Ok(request) => {
            let again = decode_request(&request.to_review_json())
                .unwrap_or_else(|e| panic!("re-encoded request does not decode: {e}"));
            assert_eq!(again, request);
            let _ = request.resource_path();
        }
        Err(e) => assert!(!e.to_string().contains('\n'), "two-line error: {e}"),
    }
    match decode_response(data) {
        Ok(response) => {
            let again = decode_response(&response.to_review_json())
                .unwrap_or_else(|e| panic!("re-encoded response does not decode: {e}"));
            assert_eq!(again, response);
        }
        Err(e) => assert!(!e.to_string().contains('\n'), "two-line error: {e}"),
    }
});
