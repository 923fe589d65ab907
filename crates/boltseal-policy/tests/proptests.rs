//! Property tests: YAML reading round-trips JSON, the policy parser and the pattern matcher
//! never panic, a resource always matches itself used as a pattern, and JSON patches read back
//! and apply all or nothing.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use boltseal_policy::pattern::validate;
use boltseal_policy::{PolicySet, wildcard, yaml};
use proptest::prelude::*;
use serde_json::{Map, Value};

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        "[ -~]{0,12}".prop_map(Value::String),
        "\\PC{0,6}".prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..5).prop_map(Value::Array),
            prop::collection::btree_map("[a-zA-Z0-9_.-]{1,8}", inner, 0..5)
                .prop_map(|m| Value::Object(m.into_iter().collect::<Map<_, _>>())),
        ]
    })
}

/// Objects of objects and plain strings: a resource that, used as a pattern, must match
/// itself.
fn plain_resource() -> impl Strategy<Value = Value> {
    let leaf = "[a-z][a-z./:]{0,10}".prop_map(Value::String);
    leaf.prop_recursive(4, 32, 5, |inner| {
        prop::collection::btree_map("[a-z]{1,6}", inner, 1..5)
            .prop_map(|m| Value::Object(m.into_iter().collect::<Map<_, _>>()))
    })
}

proptest! {
    #[test]
    fn json_text_reads_back_as_the_same_value(v in json_value()) {
        let text = serde_json::to_string(&v).unwrap();
        let docs = yaml::documents(&text).unwrap();
        prop_assert_eq!(docs.len(), 1);
        prop_assert_eq!(&docs[0], &v);
        // Multi-document streams keep every document in order.
        let two = format!("---\n{text}\n---\n{text}\n");
        let docs = yaml::documents(&two).unwrap();
        prop_assert_eq!(docs, vec![v.clone(), v]);
    }

    #[test]
    fn policy_loading_never_panics(text in "[ -~\n]{0,400}") {
        let _ = PolicySet::from_yaml_str("fuzz.yaml", &text);
    }

    #[test]
    fn policy_documents_from_json_values_never_panic(spec in json_value()) {
        let doc = serde_json::json!({
            "apiVersion": "kyverno.io/v1", "kind": "ClusterPolicy",
            "metadata": {"name": "p"}, "spec": spec
        });
        let _ = PolicySet::from_yaml_str("fuzz.yaml", &doc.to_string());
    }

    #[test]
    fn a_resource_matches_itself(r in plain_resource()) {
        prop_assert!(validate(&r, &r).is_ok(), "{}", r);
    }

    #[test]
    fn matcher_never_panics(r in json_value(), p in json_value()) {
        let _ = validate(&r, &p);
    }

    #[test]
    fn star_prefix_and_suffix_match(prefix in "\\PC{0,8}", middle in "\\PC{0,8}", suffix in "\\PC{0,8}") {
        let text = format!("{prefix}{middle}{suffix}");
        let pattern_prefix = format!("{}*", prefix.replace(['*', '?'], "?"));
        let pattern_suffix = format!("*{}", suffix.replace(['*', '?'], "?"));
        prop_assert!(wildcard::matches(&pattern_prefix, &text));
        prop_assert!(wildcard::matches(&pattern_suffix, &text));
        prop_assert!(wildcard::matches("*", &text));
    }
}

/// JSON pointers into small documents: existing members, array indexes, `-`, escapes.
fn pointer() -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop_oneof![
            "[a-c]",
            "[0-3]",
            Just("-".to_owned()),
            Just("a/b".to_owned())
        ],
        0..4,
    )
    .prop_map(|tokens| {
        tokens
            .iter()
            .map(|t| format!("/{}", t.replace('~', "~0").replace('/', "~1")))
            .collect()
    })
}

fn operation() -> impl Strategy<Value = Value> {
    let op = prop_oneof![
        Just("add"),
        Just("remove"),
        Just("replace"),
        Just("move"),
        Just("copy"),
        Just("test"),
    ];
    (op, pointer(), pointer(), json_value()).prop_map(|(op, path, from, value)| {
        serde_json::json!({"op": op, "path": path, "from": from, "value": value})
    })
}

proptest! {
    #[test]
    fn json_patches_read_back_and_apply_all_or_nothing(
        ops in prop::collection::vec(operation(), 0..6),
        doc in json_value(),
    ) {
        use boltseal_policy::patch;
        let ops = patch::parse(&Value::Array(ops)).unwrap();
        let again: Vec<Value> = ops.iter().map(patch::PatchOperation::to_json).collect();
        prop_assert_eq!(&patch::parse(&Value::Array(again)).unwrap(), &ops);
        let mut patched = doc.clone();
        if patch::apply(&mut patched, &ops).is_err() {
            prop_assert_eq!(patched, doc);
        }
    }
}
