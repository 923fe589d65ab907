//! Shared by the pin_* targets (not a target itself).

use std::collections::HashMap;
use std::path::Path;

use boltseal_pin::{Entry, FileKind, Scan, edits_for, rewrite_checked, scan, state_of, tag_key};
use boltseal_reference::Digest;

fn outside(text: &str, s: &Scan) -> Vec<String> {
    let mut gaps = Vec::new();
    let mut at = 0;
    for r in s.refs.iter().filter(|r| !r.span.is_empty()) {
        gaps.push(text[at..r.span.start].to_owned());
        at = r.span.end;
    }
    gaps.push(text[at..].to_owned());
    gaps
}

fn pin(kind: FileKind, text: &str) -> Option<(Scan, usize, String)> {
    let s = scan(kind, text).ok()?;
    let mut resolved = HashMap::new();
    for r in &s.refs {
        if let Some(reference) = r.reference() {
            assert_eq!(
                &text[r.span.clone()],
                r.written,
                "span does not hold the reference"
            );
            if let Some(key) = tag_key(reference) {
                let d = Digest::sha256_of(key.as_bytes());
                resolved.insert(key, Ok(d));
            }
        }
    }
    let entries: Vec<Entry> = s
        .refs
        .iter()
        .map(|r| Entry::new(r.clone(), state_of(r, Some(&resolved))))
        .collect();
    let edits = edits_for(&entries);
    let out = rewrite_checked(Path::new("fuzz"), kind, text, &s, &edits)
        .expect("a rewrite of found references rescans to the same references");
    Some((s, edits.len(), out))
}

pub fn check(kind: FileKind, text: &str) {
    let Some((before, _, out)) = pin(kind, text) else {
        return;
    };
    let after = scan(kind, &out).expect("the rewritten text still scans");
    assert_eq!(
        outside(text, &before),
        outside(&out, &after),
        "a byte outside a reference changed"
    );
    let (_, edits, again) = pin(kind, &out).expect("rescans");
    assert_eq!(edits, 0, "pinning is not idempotent");
    assert_eq!(again, out);
}
