//! A small read-only ZIP reader: end of central directory (with Zip64 and data prepended to
//! the archive, as in self-executing jars), central directory entries, and stored or deflated
//! entry contents checked against their size and CRC-32. Only what the Java archive reader
//! needs.

use std::io::Read;

use super::bytes::{Endian, slice, u16_at, u32_at, u64_at};

const LE: Endian = Endian::Little;

/// What can go wrong reading a ZIP file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ZipError {
    /// No end-of-central-directory record.
    NotZip,
    /// A structure is cut short or points outside the file.
    Truncated(String),
    /// Encrypted entry or unknown compression method.
    Unsupported(String),
    /// Contents do not match the recorded size or CRC, or do not inflate.
    Corrupt(String),
    /// An entry is larger than the caller allows.
    TooLarge(String),
}

/// One central directory entry.
#[derive(Debug, Clone)]
pub(crate) struct ZipEntry {
    pub(crate) name: String,
    method: u16,
    flags: u16,
    crc: u32,
    compressed: u64,
    pub(crate) size: u64,
    local_offset: u64,
}

pub(crate) struct ZipArchive<'a> {
    b: &'a [u8],
    /// Bytes before the archive proper (offsets in the directory are relative to it).
    base: u64,
    pub(crate) entries: Vec<ZipEntry>,
}

fn truncated(what: &str) -> ZipError {
    ZipError::Truncated(what.to_owned())
}

impl<'a> ZipArchive<'a> {
    /// Reads the central directory; more than `max_entries` entries is an error.
    pub(crate) fn open(b: &'a [u8], max_entries: usize) -> Result<ZipArchive<'a>, ZipError> {
        // The EOCD record is 22 bytes plus a comment of at most 65535 bytes.
        let min = b.len().saturating_sub(22 + 65_535);
        let eocd = (min..=b.len().saturating_sub(22))
            .rev()
            .find(|&i| b.get(i..i + 4) == Some(b"PK\x05\x06"))
            .ok_or(ZipError::NotZip)?;
        let mut count = u64::from(u16_at(b, eocd + 10, LE).ok_or_else(|| truncated("EOCD"))?);
        let mut cd_size = u64::from(u32_at(b, eocd + 12, LE).ok_or_else(|| truncated("EOCD"))?);
        let mut cd_off = u64::from(u32_at(b, eocd + 16, LE).ok_or_else(|| truncated("EOCD"))?);
        let mut cd_end = eocd as u64;
        if (count == 0xffff || cd_size == 0xffff_ffff || cd_off == 0xffff_ffff)
            && let Some(loc) = eocd.checked_sub(20)
            && b.get(loc..loc + 4) == Some(b"PK\x06\x07")
        {
            let z = u64_at(b, loc + 8, LE).ok_or_else(|| truncated("Zip64 locator"))?;
            // The recorded offset is relative to the archive start; with data
            // prepended, the record usually sits right before the locator.
            let z = usize::try_from(z)
                .ok()
                .filter(|&z| slice(b, z, 4) == Some(b"PK\x06\x06"))
                .or_else(|| {
                    let z = loc.checked_sub(56)?;
                    (slice(b, z, 4) == Some(b"PK\x06\x06")).then_some(z)
                })
                .ok_or_else(|| truncated("Zip64 EOCD"))?;
            count = u64_at(b, z + 32, LE).ok_or_else(|| truncated("Zip64 EOCD"))?;
            cd_size = u64_at(b, z + 40, LE).ok_or_else(|| truncated("Zip64 EOCD"))?;
            cd_off = u64_at(b, z + 48, LE).ok_or_else(|| truncated("Zip64 EOCD"))?;
            cd_end = z as u64;
        }
        if count > max_entries as u64 {
            return Err(ZipError::TooLarge(format!(
                "{count} entries (limit {max_entries})"
            )));
        }
        let cd_start = cd_end
            .checked_sub(cd_size)
            .ok_or_else(|| truncated("central directory"))?;
        let base = cd_start
            .checked_sub(cd_off)
            .ok_or_else(|| truncated("central directory offset"))?;
        let cd = slice(b, cd_start as usize, cd_size as usize)
            .ok_or_else(|| truncated("central directory"))?;
        let mut entries = Vec::with_capacity(count as usize);
        let mut at = 0usize;
        for i in 0..count {
            if cd.get(at..at + 4) != Some(b"PK\x01\x02") {
                return Err(truncated(&format!("central directory entry {i}")));
            }
            let f16 = |o: usize| u16_at(cd, at + o, LE).unwrap_or_default();
            let f32 = |o: usize| u32_at(cd, at + o, LE).unwrap_or_default();
            let (n, m, k) = (
                usize::from(f16(28)),
                usize::from(f16(30)),
                usize::from(f16(32)),
            );
            let name = slice(cd, at + 46, n)
                .ok_or_else(|| truncated(&format!("central directory entry {i}")))?;
            let extra = slice(cd, at + 46 + n, m).unwrap_or_default();
            let mut e = ZipEntry {
                name: String::from_utf8_lossy(name).into_owned(),
                method: f16(10),
                flags: f16(8),
                crc: f32(16),
                compressed: u64::from(f32(20)),
                size: u64::from(f32(24)),
                local_offset: u64::from(f32(42)),
            };
            zip64_extra(extra, &mut e);
            entries.push(e);
            at += 46 + n + m + k;
        }
        Ok(ZipArchive { b, base, entries })
    }

    /// The contents of `e`, refusing anything larger than `limit` bytes.
    pub(crate) fn read(&self, e: &ZipEntry, limit: u64) -> Result<Vec<u8>, ZipError> {
        let name = &e.name;
        if e.flags & 1 != 0 {
            return Err(ZipError::Unsupported(format!("{name}: encrypted")));
        }
        if e.size > limit {
            return Err(ZipError::TooLarge(format!(
                "{name}: {} bytes (limit {limit})",
                e.size
            )));
        }
        let lh = e
            .local_offset
            .checked_add(self.base)
            .and_then(|o| usize::try_from(o).ok())
            .ok_or_else(|| truncated(name))?;
        if slice(self.b, lh, 4) != Some(b"PK\x03\x04") {
            return Err(truncated(&format!("{name}: local header")));
        }
        // The signature check above puts `lh` inside the file, so these sums cannot overflow.
        let n = usize::from(u16_at(self.b, lh + 26, LE).unwrap_or_default());
        let m = usize::from(u16_at(self.b, lh + 28, LE).unwrap_or_default());
        let data = usize::try_from(e.compressed)
            .ok()
            .and_then(|c| slice(self.b, lh + 30 + n + m, c))
            .ok_or_else(|| truncated(&format!("{name}: data")))?;
        let out = match e.method {
            0 => data.to_vec(),
            8 => {
                let mut out =
                    Vec::with_capacity(e.size.min((data.len() as u64).saturating_mul(8)) as usize);
                flate2::read::DeflateDecoder::new(data)
                    .take(e.size.saturating_add(1))
                    .read_to_end(&mut out)
                    .map_err(|err| ZipError::Corrupt(format!("{name}: {err}")))?;
                out
            }
            m => {
                return Err(ZipError::Unsupported(format!(
                    "{name}: compression method {m}"
                )));
            }
        };
        if out.len() as u64 != e.size {
            return Err(ZipError::Corrupt(format!(
                "{name}: {} bytes, directory says {}",
                out.len(),
                e.size
            )));
        }
        let mut crc = flate2::Crc::new();
        crc.update(&out);
        if crc.sum() != e.crc {
            return Err(ZipError::Corrupt(format!("{name}: CRC-32 mismatch")));
        }
        Ok(out)
    }
}

/// Applies a Zip64 extended information field (id 1) to the entry's 32-bit placeholders.
fn zip64_extra(mut extra: &[u8], e: &mut ZipEntry) {
    while let (Some(id), Some(len)) = (u16_at(extra, 0, LE), u16_at(extra, 2, LE)) {
        let len = usize::from(len);
        let Some(body) = slice(extra, 4, len) else {
            return;
        };
        if id == 1 {
            let mut at = 0;
            let mut next = |v: &mut u64| {
                if *v == 0xffff_ffff
                    && let Some(x) = u64_at(body, at, LE)
                {
                    *v = x;
                    at += 8;
                }
            };
            next(&mut e.size);
            next(&mut e.compressed);
            next(&mut e.local_offset);
            return;
        }
        extra = &extra[4 + len..];
    }
}
