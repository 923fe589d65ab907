//! Any bytes through the review pre-scan: it never panics, and for JSON that serde_json
//! accepts (within serde_json's own recursion limit) it sees the same depth and number of
//! values, so the limits it enforces are the real ones.
#![no_main]

use boltseal_admission::scan::shape;
use libfuzzer_sys::fuzz_target;
use serde_json::Value;

fn measure(v: &Value, depth: usize) -> (usize, usize) {
    match v {
        Value::Array(items) => items.iter().fold((depth + 1, 1), |(d, n), item| {
            let (id, inner) = measure(item, depth + 1);
            (d.max(id), n + inner)
        }),
        Value::Object(members) => members.values().fold((depth + 1, 1), |(d, n), item| {
            let (id, inner) = measure(item, depth + 1);
            (d.max(id), n + inner)
        }),
        _ => (depth, 1),
    }
}

fuzz_target!(|data: &[u8]| {
    let seen = shape(data);
    if let Ok(value) = serde_json::from_slice::<Value>(data) {
        let (depth, values) = measure(&value, 0);
        assert_eq!(seen.depth, depth, "depth of {value}");
        // Duplicate object keys collapse in a decoded object; the scan counts each.
        assert!(seen.values >= values, "values of {value}: {} < {values}", seen.values);
    }
});
