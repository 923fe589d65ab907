//! Bounds-checked reads shared by the format parsers: every read returns `None` instead of
//! panicking when it would leave the input.

/// Byte order of a multi-byte field.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Endian {
    Little,
    Big,
}

/// `len` bytes at `off`, if they are all inside `b`.
pub(crate) fn slice(b: &[u8], off: usize, len: usize) -> Option<&[u8]> {
    b.get(off..off.checked_add(len)?)
}

/// Like [`slice`] with 64-bit offsets (file offsets read from headers).
pub(crate) fn slice64(b: &[u8], off: u64, len: u64) -> Option<&[u8]> {
    slice(b, usize::try_from(off).ok()?, usize::try_from(len).ok()?)
}

fn array<const N: usize>(b: &[u8], off: usize) -> Option<[u8; N]> {
    slice(b, off, N)?.try_into().ok()
}

pub(crate) fn u8_at(b: &[u8], off: usize) -> Option<u8> {
    b.get(off).copied()
}

pub(crate) fn u16_at(b: &[u8], off: usize, e: Endian) -> Option<u16> {
    let a = array::<2>(b, off)?;
    Some(match e {
        Endian::Little => u16::from_le_bytes(a),
        Endian::Big => u16::from_be_bytes(a),
    })
}

pub(crate) fn u32_at(b: &[u8], off: usize, e: Endian) -> Option<u32> {
    let a = array::<4>(b, off)?;
    Some(match e {
        Endian::Little => u32::from_le_bytes(a),
        Endian::Big => u32::from_be_bytes(a),
    })
}

pub(crate) fn u64_at(b: &[u8], off: usize, e: Endian) -> Option<u64> {
    let a = array::<8>(b, off)?;
    Some(match e {
        Endian::Little => u64::from_le_bytes(a),
        Endian::Big => u64::from_be_bytes(a),
    })
}

/// A 32- or 64-bit unsigned field, by pointer size in bytes.
pub(crate) fn uptr_at(b: &[u8], off: usize, ptr_size: usize, e: Endian) -> Option<u64> {
    match ptr_size {
        4 => u32_at(b, off, e).map(u64::from),
        8 => u64_at(b, off, e),
        _ => None,
    }
}

/// The bytes before the first NUL (all of `b` when there is none).
pub(crate) fn cstr(b: &[u8]) -> &[u8] {
    match b.iter().position(|&c| c == 0) {
        Some(i) => &b[..i],
        None => b,
    }
}

/// Position of the first occurrence of `needle` in `hay` at or after `from`.
pub(crate) fn find(hay: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    let first = *needle.first()?;
    let mut i = from;
    while i < hay.len() {
        let rest = hay.get(i..)?;
        let p = rest.iter().position(|&c| c == first)?;
        let at = i + p;
        if hay.get(at..at.checked_add(needle.len())?) == Some(needle) {
            return Some(at);
        }
        i = at + 1;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_stay_inside() {
        let b = [1u8, 2, 3, 4, 5];
        assert_eq!(u32_at(&b, 1, Endian::Big), Some(0x0203_0405));
        assert_eq!(u32_at(&b, 2, Endian::Big), None);
        assert_eq!(u16_at(&b, 0, Endian::Little), Some(0x0201));
        assert_eq!(slice(&b, usize::MAX, 2), None);
        assert_eq!(find(b"abcabd", b"abd", 0), Some(3));
        assert_eq!(find(b"abc", b"", 0), None);
        assert_eq!(cstr(b"ab\0cd"), b"ab");
    }
}
