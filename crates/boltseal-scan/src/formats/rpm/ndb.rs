//! NDB `Packages.db` (SUSE): a 32-byte header (`RpmP`, version 0, generation, slot page
//! count) at the start of 4 KiB slot pages of 16-byte slots (`Slot`, package index, block
//! offset, block count); each used slot points at a blob header (`BlbS`, package index,
//! checksum, length) followed by the header blob. Everything is little-endian; blocks are 16
//! bytes.

use super::{MAX_PACKAGES, RpmError};
use crate::formats::bytes::{Endian, slice, u32_at};

const SLOT_PAGE: usize = 4096;
const SLOT_SIZE: usize = 16;
const BLOCK: u64 = 16;
/// More slot pages than this (a million slots) is not a real database.
const MAX_SLOT_PAGES: u32 = 4096;

fn err(s: String) -> RpmError {
    RpmError::Ndb(s)
}

pub(super) fn package_blobs(b: &[u8]) -> Result<Vec<Vec<u8>>, RpmError> {
    let le = Endian::Little;
    let word = |off: usize| u32_at(b, off, le);
    if b.get(..4) != Some(b"RpmP") {
        return Err(err("missing RpmP magic".into()));
    }
    let version = word(4).ok_or_else(|| err("header truncated".into()))?;
    if version != 0 {
        return Err(err(format!("unsupported version {version}")));
    }
    let pages = word(12).ok_or_else(|| err("header truncated".into()))?;
    if pages == 0 || pages > MAX_SLOT_PAGES {
        return Err(err(format!("slot page count {pages} out of range")));
    }
    let slots_end = pages as usize * SLOT_PAGE;
    if b.len() < slots_end {
        return Err(err(format!(
            "{pages} slot pages need {slots_end} bytes, file has {}",
            b.len()
        )));
    }
    let mut out = Vec::new();
    // The first two slots hold the file header.
    for at in (2 * SLOT_SIZE..slots_end).step_by(SLOT_SIZE) {
        let (magic, pkg, blk_off) = (
            slice(b, at, 4).unwrap_or_default(),
            word(at + 4).unwrap_or_default(),
            word(at + 8).unwrap_or_default(),
        );
        if magic != b"Slot" {
            return Err(err(format!("bad slot magic at offset {at}")));
        }
        if pkg == 0 {
            continue;
        }
        let start = u64::from(blk_off) * BLOCK;
        let start = usize::try_from(start).map_err(|_| err("blob offset too large".into()))?;
        let head = slice(b, start, 16).ok_or_else(|| {
            err(format!(
                "blob of package {pkg} at offset {start} is outside the file"
            ))
        })?;
        if head.get(..4) != Some(b"BlbS") {
            return Err(err(format!(
                "bad blob magic for package {pkg} at offset {start}"
            )));
        }
        if u32_at(head, 4, le) != Some(pkg) {
            return Err(err(format!(
                "blob at offset {start} belongs to another package than slot {pkg}"
            )));
        }
        let len = u32_at(head, 12, le).unwrap_or_default() as usize;
        if len > super::MAX_HEADER_SIZE {
            return Err(err(format!(
                "blob of package {pkg} is {len} bytes, over the limit"
            )));
        }
        let blob = slice(b, start + 16, len)
            .ok_or_else(|| err(format!("blob of package {pkg} truncated")))?;
        if out.len() >= MAX_PACKAGES {
            return Err(RpmError::TooManyPackages);
        }
        out.push(blob.to_vec());
    }
    Ok(out)
}
