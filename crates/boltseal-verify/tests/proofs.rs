//! Property tests for inclusion-proof arithmetic (RFC 9162 §2.1.3) and checkpoint parsing.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use base64::Engine as _;
use boltseal_verify::bundle::checkpoint::{Checkpoint, CheckpointError};
use boltseal_verify::bundle::merkle::{
    self, Hash, inclusion_proof, leaf_hash, root, root_from_inclusion_proof,
};
use proptest::prelude::*;

fn leaves(n: usize) -> Vec<Hash> {
    (0..n)
        .map(|i| leaf_hash(&(i as u64).to_be_bytes()))
        .collect()
}

/// A tree size and an index inside it.
fn size_and_index() -> impl Strategy<Value = (usize, usize)> {
    (1usize..300).prop_flat_map(|n| (Just(n), 0..n))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn every_proof_leads_to_the_root((n, i) in size_and_index()) {
        let leaves = leaves(n);
        let proof = inclusion_proof(&leaves, i).unwrap();
        prop_assert_eq!(root_from_inclusion_proof(i as u64, n as u64, leaves[i], &proof), root(&leaves));
    }

    #[test]
    fn a_flipped_bit_breaks_the_proof((n, i) in size_and_index(), pick in any::<prop::sample::Index>(), bit in 0usize..256) {
        let leaves = leaves(n);
        let mut proof = inclusion_proof(&leaves, i).unwrap();
        prop_assume!(!proof.is_empty());
        let k = pick.index(proof.len());
        proof[k][bit / 8] ^= 1 << (bit % 8);
        prop_assert_ne!(root_from_inclusion_proof(i as u64, n as u64, leaves[i], &proof), root(&leaves));
    }

    #[test]
    fn the_proof_of_one_leaf_does_not_prove_another((n, i) in size_and_index(), j in 0usize..300) {
        let j = j % n;
        prop_assume!(i != j);
        let leaves = leaves(n);
        let proof = inclusion_proof(&leaves, i).unwrap();
        // Another leaf at the same position, or the same leaf claimed at another position.
        prop_assert_ne!(root_from_inclusion_proof(i as u64, n as u64, leaves[j], &proof), root(&leaves));
        prop_assert_ne!(root_from_inclusion_proof(j as u64, n as u64, leaves[i], &proof), root(&leaves));
    }

    #[test]
    fn a_wrong_proof_length_never_verifies((n, i) in size_and_index(), extra in 1usize..4) {
        let leaves = leaves(n);
        let proof = inclusion_proof(&leaves, i).unwrap();
        let expected = root(&leaves);
        // (A different claimed size can give the same root when the path shape agrees, e.g.
        // leaf 0 of 3 and of 4: the checkpoint's signed size is what binds the size.)
        // Too many hashes …
        let mut longer = proof.clone();
        longer.extend(std::iter::repeat_n([7u8; 32], extra));
        let r = root_from_inclusion_proof(i as u64, n as u64, leaves[i], &longer);
        prop_assert!(r.is_none() || r != expected);
        // … too few.
        if !proof.is_empty() {
            let r = root_from_inclusion_proof(i as u64, n as u64, leaves[i], &proof[..proof.len() - 1]);
            prop_assert!(r.is_none() || r != expected);
        }
    }

    #[test]
    fn indexes_outside_the_tree_are_refused(n in 0u64..1000, over in 0u64..1000, proof_len in 0usize..40) {
        let proof = vec![[1u8; 32]; proof_len];
        prop_assert!(root_from_inclusion_proof(n + over, n, [0u8; 32], &proof).is_none());
    }

    #[test]
    fn arbitrary_inputs_never_panic(index in any::<u64>(), size in any::<u64>(), proof in prop::collection::vec(any::<[u8; 32]>(), 0..70)) {
        let _ = root_from_inclusion_proof(index, size, [0u8; 32], &proof);
    }

    #[test]
    fn checkpoints_round_trip(
        origin in "[a-z][a-z0-9.-]{0,30}( - [0-9]{1,19})?",
        size in any::<u64>(),
        root_hash in any::<[u8; 32]>(),
        extensions in prop::collection::vec("[A-Za-z][A-Za-z0-9: ]{0,20}", 0..3),
        signers in prop::collection::vec(("[a-z][a-z0-9./-]{0,20}", any::<[u8; 4]>(), prop::collection::vec(any::<u8>(), 1..80)), 1..4),
    ) {
        let b64 = base64::engine::general_purpose::STANDARD;
        let mut text = format!("{origin}\n{size}\n{}\n", b64.encode(root_hash));
        for line in &extensions {
            text.push_str(line);
            text.push('\n');
        }
        let mut note = format!("{text}\n");
        for (name, hint, sig) in &signers {
            note.push_str(&format!("\u{2014} {name} {}\n", b64.encode([&hint[..], sig].concat())));
        }
        let checkpoint = Checkpoint::parse(&note).unwrap();
        prop_assert_eq!(checkpoint.origin(), origin.as_str());
        prop_assert_eq!(checkpoint.size(), size);
        prop_assert_eq!(checkpoint.root_hash(), root_hash);
        prop_assert_eq!(checkpoint.extensions(), extensions.as_slice());
        prop_assert_eq!(checkpoint.signed_text(), text.as_str());
        prop_assert_eq!(checkpoint.signatures().len(), signers.len());
        for (parsed, (name, hint, sig)) in checkpoint.signatures().iter().zip(&signers) {
            prop_assert_eq!(parsed.name(), name.as_str());
            prop_assert_eq!(parsed.key_hint(), *hint);
            prop_assert_eq!(parsed.signature(), sig.as_slice());
        }

        // Dropping the origin, size or root line, or the signatures, is refused.
        let lines: Vec<&str> = text.lines().collect();
        for drop in 0..3 {
            let mut damaged: Vec<&str> = lines.clone();
            damaged.remove(drop);
            let damaged_note = format!("{}\n\n{}", damaged.join("\n"), &note[text.len() + 1..]);
            prop_assert!(Checkpoint::parse(&damaged_note).is_err());
        }
        let unsigned = format!("{text}\n");
        prop_assert!(Checkpoint::parse(&unsigned).is_err());
    }

    #[test]
    fn arbitrary_text_never_panics(note in "\\PC{0,200}") {
        let _ = Checkpoint::parse(&note);
    }
}

#[test]
fn known_tree_of_seven() {
    // RFC 9162's shape: the proof for leaf 6 of 7 is [hash(4..6), hash(0..4)].
    let leaves = leaves(7);
    let proof = inclusion_proof(&leaves, 6).unwrap();
    let h45 = merkle::node_hash(&leaves[4], &leaves[5]);
    let h0123 = merkle::node_hash(
        &merkle::node_hash(&leaves[0], &leaves[1]),
        &merkle::node_hash(&leaves[2], &leaves[3]),
    );
    assert_eq!(proof, vec![h45, h0123]);
    assert_eq!(
        root_from_inclusion_proof(6, 7, leaves[6], &proof),
        root(&leaves)
    );
}

#[test]
fn malformed_checkpoints_say_why() {
    let root = base64::engine::general_purpose::STANDARD.encode([0u8; 32]);
    let sig = "\u{2014} log AAAAAQE=\n";
    assert_eq!(
        Checkpoint::parse(&format!("o\n01\n{root}\n\n{sig}")),
        Err(CheckpointError::BadSize)
    );
    assert_eq!(
        Checkpoint::parse(&format!("o\n1\nAAAA\n\n{sig}")),
        Err(CheckpointError::BadRootHash)
    );
    assert_eq!(
        Checkpoint::parse(&format!("\n1\n{root}\n\n{sig}")),
        Err(CheckpointError::MissingOrigin)
    );
    assert_eq!(
        Checkpoint::parse(&format!("o\n1\n{root}\n\n- log AAAAAQE=\n")),
        Err(CheckpointError::SignatureLine { line: 1 })
    );
    assert!(Checkpoint::parse(&format!("o\n1\n{root}\n\n")).is_err());
    assert!(Checkpoint::parse(&format!("o\n1\n{root}\n\n\u{2014} log AAAAAQE=")).is_err());
}
