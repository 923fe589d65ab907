//! Property tests: every request and response the model can hold encodes to an AdmissionReview
//! that decodes to the same value; arbitrary JSON never panics the decoder and a refusal is one
//! line. Namespace-labels files read back in every accepted form; arbitrary text never panics
//! their reader.
#![allow(clippy::unwrap_used)]

use boltseal_admission::review::{
    AdmissionRequest, AdmissionResponse, GroupVersionKind, Operation, UserInfo, decode_request,
    decode_response,
};
use proptest::prelude::*;
use serde_json::{Value, json};

fn text() -> impl Strategy<Value = String> {
    "[a-zA-Z0-9 ./:@_-]{0,12}"
}

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        text().prop_map(Value::String),
    ];
    // Deeper than a Pod's spec usually is, for the decoder's nesting checks.
    leaf.prop_recursive(5, 48, 5, |inner| {
        let key = "[a-zA-Z]{1,8}";
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..5).prop_map(Value::Array),
            prop::collection::hash_map(key, inner, 0..5)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

fn object() -> impl Strategy<Value = Value> {
    (text(), text(), json_value()).prop_map(|(name, ns, spec)| {
        json!({"apiVersion": "v1", "kind": "Pod",
               "metadata": {"name": name, "namespace": ns}, "spec": spec})
    })
}

fn operation() -> impl Strategy<Value = Operation> {
    prop_oneof![
        Just(Operation::Create),
        Just(Operation::Update),
        Just(Operation::Delete),
        Just(Operation::Connect),
    ]
}

fn request() -> impl Strategy<Value = AdmissionRequest> {
    (
        "[a-f0-9-]{1,36}",
        operation(),
        ("[a-z.]{0,10}", "v[0-9]", "[A-Z][a-zA-Z]{0,10}"),
        object(),
        object(),
        (text(), prop::collection::vec(text(), 0..3)),
        any::<Option<bool>>(),
    )
        .prop_map(|(uid, op, (g, v, k), obj, old, (user, groups), dry)| {
            let groups: Vec<&str> = groups.iter().map(String::as_str).collect();
            let mut r = AdmissionRequest::new(&uid, op, GroupVersionKind::new(&g, &v, &k), obj)
                .with_user(UserInfo::new(&user, &groups));
            if matches!(op, Operation::Update | Operation::Delete) {
                r = r.with_old_object(old);
            }
            if let Some(d) = dry {
                r = r.with_dry_run(d);
            }
            r
        })
}

fn response() -> impl Strategy<Value = AdmissionResponse> {
    (
        "[a-f0-9-]{1,36}",
        any::<bool>(),
        text(),
        prop::collection::vec(json_value(), 0..3),
        prop::collection::vec(text(), 0..3),
        prop::collection::btree_map(text(), text(), 0..3),
    )
        .prop_map(|(uid, allowed, message, patch, warnings, audit)| {
            let mut r = if allowed {
                AdmissionResponse::allow(&uid)
            } else {
                AdmissionResponse::deny(&uid, &message)
            };
            r = r.with_patch(&patch);
            for w in &warnings {
                r = r.with_warning(w);
            }
            for (k, v) in &audit {
                r = r.with_audit_annotation(k, v);
            }
            r
        })
}

proptest! {
    #[test]
    fn requests_round_trip(r in request()) {
        let back = decode_request(&r.to_review_json()).unwrap();
        prop_assert_eq!(back, r);
    }

    #[test]
    fn responses_round_trip(r in response()) {
        let back = decode_response(&r.to_review_json()).unwrap();
        prop_assert_eq!(&back, &r);
        if r.patch.is_some() {
            prop_assert!(back.patch_operations().is_some());
        }
    }

    #[test]
    fn arbitrary_json_never_panics(v in json_value(), api in prop::option::of(text())) {
        let mut review = json!({"kind": "AdmissionReview", "request": v.clone(), "response": v});
        review["apiVersion"] = json!(api.unwrap_or_else(|| "admission.k8s.io/v1".to_owned()));
        let body = serde_json::to_vec(&review).unwrap();
        if let Err(e) = decode_request(&body) {
            prop_assert!(!e.to_string().contains('\n'));
        }
        if let Err(e) = decode_response(&body) {
            prop_assert!(!e.to_string().contains('\n'));
        }
    }
}

mod namespace_labels {
    use std::collections::BTreeMap;

    use boltseal_admission::namespaces::{NAME_LABEL, NamespaceLabelSource, NamespaceLabels};
    use proptest::prelude::*;
    use serde_json::{Value, json};

    fn namespace() -> impl Strategy<Value = String> {
        "[a-z0-9]([a-z0-9-]{0,14}[a-z0-9])?"
    }

    fn labels() -> impl Strategy<Value = BTreeMap<String, String>> {
        prop::collection::btree_map(
            "[a-z]([a-z0-9.-]{0,8}/)?[a-zA-Z0-9_.-]{1,10}",
            "[ -~]{0,16}",
            0..4,
        )
    }

    proptest! {
        /// Namespaces written as a JSON mapping, as a YAML `NamespaceList` and as
        /// `Namespace` documents all read back to the same labels, plus the name label.
        #[test]
        fn every_form_reads_back_the_labels(
            spaces in prop::collection::btree_map(namespace(), labels(), 0..5)
        ) {
            let mapping = serde_json::to_string(&spaces).unwrap();
            let items: Vec<Value> = spaces
                .iter()
                .map(|(n, l)| json!({"apiVersion": "v1", "kind": "Namespace",
                                     "metadata": {"name": n, "labels": l}}))
                .collect();
            let list = json!({"apiVersion": "v1", "kind": "NamespaceList", "items": items})
                .to_string();
            let docs: String = items.iter().map(|d| format!("---\n{d}\n")).collect();
            for text in [&mapping, &list, &docs] {
                let read = NamespaceLabels::from_text("t", text).unwrap();
                prop_assert_eq!(read.len(), spaces.len());
                for (name, want) in &spaces {
                    let got = read.labels(name).unwrap();
                    let mut want: serde_json::Map<String, Value> = want
                        .iter()
                        .map(|(k, v)| (k.clone(), Value::String(v.clone())))
                        .collect();
                    want.entry(NAME_LABEL).or_insert_with(|| json!(name));
                    prop_assert_eq!(got, want);
                }
            }
        }

        /// Arbitrary text never panics the reader, and a refusal is one line.
        #[test]
        fn arbitrary_text_is_read_or_refused_on_one_line(text in "\\PC{0,200}") {
            if let Err(e) = NamespaceLabels::from_text("t", &text) {
                prop_assert!(!e.to_string().contains('\n'), "{}", e);
            }
        }
    }
}

/// The pre-scan ([`boltseal_admission::scan::shape`]) against a recursive model over the
/// decoded value: the same depth, value count and decoded-memory bound whatever the JSON's
/// spacing; it never panics on arbitrary bytes.
mod scan {
    use boltseal_admission::scan::shape;
    use proptest::prelude::*;
    use serde_json::Value;

    /// Deeper and wider than the review strategy: objects past one B-tree leaf (11 members),
    /// arrays past one `Vec` growth, strings that need escaping.
    fn value() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i64>().prop_map(Value::from),
            any::<f64>()
                .prop_filter("finite", |f| f.is_finite())
                .prop_map(Value::from),
            "\\PC{0,8}|[\"\\\\\n\t{}\\[\\],:]{0,4}".prop_map(Value::String),
        ];
        leaf.prop_recursive(8, 256, 16, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..18).prop_map(Value::Array),
                prop::collection::btree_map("\\PC{0,6}|[\"\\\\]{1,2}", inner, 0..16)
                    .prop_map(|m| Value::Object(m.into_iter().collect())),
            ]
        })
    }

    /// Bytes of a string's text as it appears in JSON (escapes included).
    fn raw(s: &str) -> usize {
        serde_json::to_string(s).unwrap().len() - 2
    }

    fn string_bytes(s: &str) -> usize {
        if s.is_empty() { 0 } else { raw(s) + 32 }
    }

    /// (depth, values, heap bytes) by the scanner's cost model, computed on the value.
    fn model(v: &Value) -> (usize, usize, usize) {
        match v {
            Value::String(s) => (0, 1, string_bytes(s)),
            Value::Array(items) => {
                let n = items.len();
                let own = match n {
                    0 => 0,
                    1..=4 => 4 * 32 + 16,
                    _ => n.next_power_of_two() * 32 + 16,
                };
                items
                    .iter()
                    .map(model)
                    .fold((1, 1, own), |(d, c, b), (d2, c2, b2)| {
                        (d.max(d2 + 1), c + c2, b + b2)
                    })
            }
            Value::Object(members) => {
                let n = members.len();
                let own = match n {
                    0 => 0,
                    1..=11 => 656,
                    _ => 2200 + 160 * n,
                };
                members
                    .iter()
                    .map(|(k, v)| {
                        let (d, c, b) = model(v);
                        (d, c, b + string_bytes(k))
                    })
                    .fold((1, 1, own), |(d, c, b), (d2, c2, b2)| {
                        (d.max(d2 + 1), c + c2, b + b2)
                    })
            }
            _ => (0, 1, 0),
        }
    }

    proptest! {
        #[test]
        fn the_scan_agrees_with_the_decoded_value(v in value()) {
            let (depth, values, bytes) = model(&v);
            for text in [serde_json::to_vec(&v).unwrap(), serde_json::to_vec_pretty(&v).unwrap()] {
                let s = shape(&text);
                prop_assert_eq!(s.depth, depth);
                prop_assert_eq!(s.values, values);
                prop_assert_eq!(s.decoded_bytes, 32 + bytes);
            }
        }

        #[test]
        fn arbitrary_bytes_never_panic_the_scan(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
            let s = shape(&bytes);
            prop_assert!(s.decoded_bytes >= 32);
            prop_assert!(s.depth <= bytes.len());
        }
    }
}
