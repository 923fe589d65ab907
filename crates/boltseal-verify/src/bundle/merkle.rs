//! RFC 6962 / RFC 9162 Merkle tree hashing and inclusion-proof verification.
//!
//! ```
//! use boltseal_verify::bundle::merkle::{leaf_hash, node_hash, root_from_inclusion_proof};
//!
//! // A tree of three leaves: root = H(H(a, b), c).
//! let (a, b, c) = (leaf_hash(b"a"), leaf_hash(b"b"), leaf_hash(b"c"));
//! let root = node_hash(&node_hash(&a, &b), &c);
//! assert_eq!(root_from_inclusion_proof(2, 3, c, &[node_hash(&a, &b)]), Some(root));
//! assert_eq!(root_from_inclusion_proof(0, 3, a, &[b, c]), Some(root));
//! assert_eq!(root_from_inclusion_proof(3, 3, c, &[]), None); // index outside the tree
//! ```

use sha2::{Digest as _, Sha256};

/// A SHA-256 tree hash.
pub type Hash = [u8; 32];

/// The hash of a leaf: SHA-256(0x00 ‖ data).
#[must_use]
pub fn leaf_hash(data: &[u8]) -> Hash {
    let mut hasher = Sha256::new();
    hasher.update([0u8]);
    hasher.update(data);
    hasher.finalize().into()
}

/// The hash of an interior node: SHA-256(0x01 ‖ left ‖ right).
#[must_use]
pub fn node_hash(left: &Hash, right: &Hash) -> Hash {
    let mut hasher = Sha256::new();
    hasher.update([1u8]);
    hasher.update(left);
    hasher.update(right);
    hasher.finalize().into()
}

/// The root an inclusion proof leads to (RFC 9162 §2.1.3.2), or `None` when the proof cannot be
/// a proof for `index` in a tree of `size` leaves (index out of range, too many or too few
/// hashes). The caller compares the result with a root it trusts.
#[must_use]
pub fn root_from_inclusion_proof(
    index: u64,
    size: u64,
    leaf: Hash,
    proof: &[Hash],
) -> Option<Hash> {
    if index >= size {
        return None;
    }
    let (mut f, mut s) = (index, size - 1);
    let mut r = leaf;
    for p in proof {
        if s == 0 {
            return None;
        }
        if f & 1 == 1 || f == s {
            r = node_hash(p, &r);
            if f & 1 == 0 {
                while f & 1 == 0 && f != 0 {
                    f >>= 1;
                    s >>= 1;
                }
            }
        } else {
            r = node_hash(&r, p);
        }
        f >>= 1;
        s >>= 1;
    }
    (s == 0).then_some(r)
}

/// The root hash of a whole tree of leaf hashes (RFC 9162 §2.1.1); `None` for no leaves.
/// Meant for tests and tools: verification never needs the whole tree.
#[must_use]
pub fn root(leaves: &[Hash]) -> Option<Hash> {
    match leaves.len() {
        0 => None,
        1 => Some(leaves[0]),
        n => {
            // The largest power of two smaller than n.
            let k = 1usize << (usize::BITS - 1 - (n - 1).leading_zeros());
            Some(node_hash(&root(&leaves[..k])?, &root(&leaves[k..])?))
        }
    }
}

/// The inclusion proof of leaf `index` in the tree of `leaves` (RFC 9162 §2.1.3.1); `None` when
/// the index is out of range. Meant for tests and tools.
#[must_use]
pub fn inclusion_proof(leaves: &[Hash], index: usize) -> Option<Vec<Hash>> {
    if index >= leaves.len() {
        return None;
    }
    if leaves.len() == 1 {
        return Some(Vec::new());
    }
    let n = leaves.len();
    let k = 1usize << (usize::BITS - 1 - (n - 1).leading_zeros());
    if index < k {
        let mut proof = inclusion_proof(&leaves[..k], index)?;
        proof.push(root(&leaves[k..])?);
        Some(proof)
    } else {
        let mut proof = inclusion_proof(&leaves[k..], index - k)?;
        proof.push(root(&leaves[..k])?);
        Some(proof)
    }
}
