//! A single pass over JSON bytes, before anything is decoded, that measures what decoding them
//! into [`serde_json::Value`]s would take: the nesting depth and an upper bound of the heap
//! memory the values would hold.
//!
//! A review's body is small next to its decoded form: every array element becomes a 32-byte
//! `Value` (in a `Vec` that may have doubled), every non-empty object a B-tree node of about
//! 630 bytes, every string a heap allocation. Two bytes of `1,` in an array cost 32 to 64 bytes;
//! seven bytes of `{"":0},` cost about 700. The webhook refuses a review whose bound is over its
//! limit before decoding it, and reserves the bound from its memory budget while the review is
//! decoded and decided.
//!
//! The scan keeps one bit per open container and no other state proportional to the input. It
//! does not validate: on JSON that is not well formed the figures are meaningless (and the
//! decoder refuses the body anyway), but for any body the decoder accepts, [`JsonShape::decoded_bytes`]
//! is at least what its `Value`s hold on a 64-bit target, counting the allocator's per-block
//! overhead.

/// Bytes of one `Value` in an array's buffer.
const VALUE_BYTES: usize = 32;
/// The allocator's block header and rounding, per heap block.
const BLOCK_BYTES: usize = 16;
/// One B-tree leaf of an object (11 keys and values, about 630 bytes) with its block header:
/// an object of up to 11 members holds exactly one.
const LEAF_BYTES: usize = 656;
/// Fixed bytes of a larger object: B-tree nodes are at least half full (5 of 11 entries), so
/// `n` members take at most `n / 5 + 1` leaves and a sixth as many internal nodes (~750 bytes).
const LARGE_OBJECT_BYTES: usize = 2200;
/// Bytes per member of a larger object (see [`LARGE_OBJECT_BYTES`]).
const MEMBER_BYTES: usize = 160;
/// Beyond this, per element: a 32-byte value twice over for a buffer that doubled, and a
/// non-empty array's first block (four values).
const UNTRACKED_ELEMENT_BYTES: usize = 2 * VALUE_BYTES;
/// A non-empty array's first block, when its size is not tracked.
const UNTRACKED_ARRAY_BYTES: usize = 4 * VALUE_BYTES + BLOCK_BYTES;
/// The allocator's block header and rounding for a string's heap buffer.
const STRING_OVERHEAD: usize = 32;
/// The root `Value` itself.
const ROOT_BYTES: usize = 32;
/// Containers nested up to this deep are costed from their exact size; deeper ones, by the
/// bound per element or member (their sizes are not kept, so that the scan needs no memory
/// proportional to the input).
const TRACKED_DEPTH: usize = 256;

/// Heap bytes of an array of `n` values as `serde_json` builds it (a `Vec` grown from 4 by
/// doubling).
fn array_bytes(n: usize) -> usize {
    match n {
        0 => 0,
        1..=4 => 4 * VALUE_BYTES + BLOCK_BYTES,
        _ => n
            .checked_next_power_of_two()
            .unwrap_or(usize::MAX)
            .saturating_mul(VALUE_BYTES)
            .saturating_add(BLOCK_BYTES),
    }
}

/// An upper bound of the heap bytes of an object of `n` members (a `BTreeMap`), keys' text
/// excluded.
fn object_bytes(n: usize) -> usize {
    match n {
        0 => 0,
        1..=11 => LEAF_BYTES,
        _ => LARGE_OBJECT_BYTES.saturating_add(n.saturating_mul(MEMBER_BYTES)),
    }
}

/// What decoding a JSON document would take.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct JsonShape {
    /// The deepest nesting of arrays and objects (`0` for a scalar, `1` for `[]`).
    pub depth: usize,
    /// Values, object keys excluded (scalars, arrays and objects, at every level).
    pub values: usize,
    /// An upper bound of the heap bytes the decoded `Value`s hold.
    pub decoded_bytes: usize,
}

/// What the scanner expects next.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Expect {
    /// A value (after `[`, `:`, an array's `,`, or at the top).
    Value,
    /// An object key (after `{` or an object's `,`).
    Key,
    /// A separator or a closing bracket.
    Other,
}

/// One bit per open container: set for an object.
#[derive(Default)]
struct Kinds {
    bits: Vec<u64>,
    depth: usize,
}

impl Kinds {
    fn push(&mut self, object: bool) {
        let (word, bit) = (self.depth / 64, self.depth % 64);
        if word == self.bits.len() {
            self.bits.push(0);
        }
        if let Some(w) = self.bits.get_mut(word) {
            if object {
                *w |= 1 << bit;
            } else {
                *w &= !(1 << bit);
            }
        }
        self.depth += 1;
    }

    fn pop(&mut self) {
        self.depth = self.depth.saturating_sub(1);
    }

    /// Whether the innermost open container is an object (`false` at the top level too).
    fn in_object(&self) -> bool {
        let Some(top) = self.depth.checked_sub(1) else {
            return false;
        };
        self.bits
            .get(top / 64)
            .is_some_and(|w| w & (1 << (top % 64)) != 0)
    }

    fn in_array(&self) -> bool {
        self.depth > 0 && !self.in_object()
    }
}

/// Closes the innermost container and charges what it takes once decoded.
fn close(kinds: &mut Kinds, sizes: &[usize], decoded: &mut usize) {
    if let Some(&n) = sizes.get(kinds.depth.wrapping_sub(1)) {
        let bytes = if kinds.in_object() {
            object_bytes(n)
        } else {
            array_bytes(n)
        };
        add(decoded, bytes);
    }
    kinds.pop();
}

fn add(decoded: &mut usize, n: usize) {
    *decoded = decoded.saturating_add(n);
}

/// Measures `json` in one pass (see the [module documentation](self)).
///
/// ```
/// use boltseal_admission::scan::shape;
/// let s = shape(br#"{"a": [1, 2, {"b": "text"}], "c": []}"#);
/// assert_eq!(s.depth, 3);
/// assert_eq!(s.values, 7);
/// assert!(s.decoded_bytes >= 3 * 32);
/// ```
#[must_use]
pub fn shape(json: &[u8]) -> JsonShape {
    let mut kinds = Kinds::default();
    let mut expect = Expect::Value;
    // Whether the innermost container has just been opened (its first value or key is next).
    let mut first = false;
    let (mut values, mut max_depth) = (0usize, 0usize);
    // Elements or members of each open container up to TRACKED_DEPTH.
    let mut sizes = [0usize; TRACKED_DEPTH];
    let mut decoded = ROOT_BYTES;
    let mut i = 0;
    while let Some(&b) = json.get(i) {
        i += 1;
        // An element of the innermost array, or a member of the innermost object, starts.
        let mut counted = |kinds: &Kinds, first: bool, decoded: &mut usize| match sizes
            .get_mut(kinds.depth.wrapping_sub(1))
        {
            Some(size) => *size += 1,
            None if kinds.in_object() => {
                add(decoded, MEMBER_BYTES);
                if first {
                    add(decoded, LARGE_OBJECT_BYTES);
                }
            }
            None => {
                add(decoded, UNTRACKED_ELEMENT_BYTES);
                if first {
                    add(decoded, UNTRACKED_ARRAY_BYTES);
                }
            }
        };
        match b {
            b' ' | b'\t' | b'\n' | b'\r' => {}
            b'"' => {
                let start = i;
                while let Some(&c) = json.get(i) {
                    i += 1;
                    match c {
                        b'\\' => i += 1,
                        b'"' => break,
                        _ => {}
                    }
                }
                let len = i.saturating_sub(start + 1);
                if len > 0 {
                    add(&mut decoded, len.saturating_add(STRING_OVERHEAD));
                }
                match expect {
                    Expect::Key if kinds.in_object() => counted(&kinds, first, &mut decoded),
                    Expect::Value => {
                        values += 1;
                        if kinds.in_array() {
                            counted(&kinds, first, &mut decoded);
                        }
                    }
                    _ => {}
                }
                expect = Expect::Other;
                first = false;
            }
            b':' => {
                expect = Expect::Value;
                first = false;
            }
            b',' => {
                expect = if kinds.in_object() {
                    Expect::Key
                } else {
                    Expect::Value
                };
                first = false;
            }
            b'[' | b'{' => {
                if expect == Expect::Value {
                    values += 1;
                    if kinds.in_array() {
                        counted(&kinds, first, &mut decoded);
                    }
                }
                let object = b == b'{';
                if let Some(size) = sizes.get_mut(kinds.depth) {
                    *size = 0;
                }
                kinds.push(object);
                max_depth = max_depth.max(kinds.depth);
                expect = if object { Expect::Key } else { Expect::Value };
                first = true;
            }
            b']' | b'}' => {
                close(&mut kinds, &sizes, &mut decoded);
                expect = Expect::Other;
                first = false;
            }
            _ => {
                // A number, `true`, `false` or `null`: skip to its end.
                if expect == Expect::Value {
                    values += 1;
                    if kinds.in_array() {
                        counted(&kinds, first, &mut decoded);
                    }
                }
                while let Some(&c) = json.get(i) {
                    if matches!(
                        c,
                        b' ' | b'\t'
                            | b'\n'
                            | b'\r'
                            | b','
                            | b':'
                            | b']'
                            | b'}'
                            | b'['
                            | b'{'
                            | b'"'
                    ) {
                        break;
                    }
                    i += 1;
                }
                expect = Expect::Other;
                first = false;
            }
        }
    }
    // Containers left open (the body is malformed and will be refused): count what they have.
    while kinds.depth > 0 {
        close(&mut kinds, &sizes, &mut decoded);
    }
    JsonShape {
        depth: max_depth,
        values,
        decoded_bytes: decoded,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn depth_and_values() {
        for (json, depth, values) in [
            (&b"1"[..], 0, 1),
            (b"[]", 1, 1),
            (b"{}", 1, 1),
            (b"[[[]]]", 3, 3),
            (br#"{"a":{"b":{"c":[1,2,3]}}}"#, 4, 7),
            (br#"[ "x" , "y,]}{[" , {"k\"]":[ true ,null]} ]"#, 3, 7),
            (br#""a\\""#, 0, 1),
        ] {
            let s = shape(json);
            assert_eq!(
                (s.depth, s.values),
                (depth, values),
                "{}",
                String::from_utf8_lossy(json)
            );
        }
    }

    #[test]
    fn expensive_shapes_cost_more_than_their_bytes() {
        // Each 2-byte element is a 32-byte value; each 7-byte one-member object a B-tree node.
        let ints = format!("[{}1]", "1,".repeat(1000));
        assert!(shape(ints.as_bytes()).decoded_bytes >= 1001 * 32);
        let objects = format!("[{}{{}}]", r#"{"":0},"#.repeat(1000));
        assert!(shape(objects.as_bytes()).decoded_bytes >= 1000 * 630);
        // Strings cost about their length: no blow-up.
        let text = format!("\"{}\"", "a".repeat(100_000));
        let s = shape(text.as_bytes());
        assert!(
            s.decoded_bytes >= 100_000 && s.decoded_bytes < 100_100,
            "{s:?}"
        );
        // Empty containers and keys allocate nothing of their own.
        assert_eq!(shape(b"[]").decoded_bytes, ROOT_BYTES);
        // Deeper than the tracked depth, the bound per element still holds.
        let deep = format!("{}{}", "[1,".repeat(1000), "]".repeat(1000));
        assert!(shape(deep.as_bytes()).decoded_bytes >= 1000 * (128 + 32));
        assert_eq!(shape(b"{}").decoded_bytes, ROOT_BYTES);
    }

    #[test]
    fn deep_nesting_is_measured_without_recursion() {
        let deep = format!("{}{}", "[".repeat(1_000_000), "]".repeat(1_000_000));
        let s = shape(deep.as_bytes());
        assert_eq!(s.depth, 1_000_000);
        let unclosed = "{\"a\":".repeat(100_000);
        assert_eq!(shape(unclosed.as_bytes()).depth, 100_000);
    }

    #[test]
    fn malformed_input_is_scanned_to_the_end() {
        for junk in [
            &b"]]]]}}"[..],
            b"\"unterminated",
            b"\\",
            b"{,,::}",
            b"\xff\xfe",
            b"",
        ] {
            let s = shape(junk);
            assert!(s.decoded_bytes >= ROOT_BYTES);
        }
    }
}
