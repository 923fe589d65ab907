//! Berkeley DB hash databases (`Packages`): a metadata page (magic `0x061561` at offset 12,
//! page size at 20, last page number at 32, page type 8 at 25), then hash pages (type 13, or
//! 2 for old unsorted ones) whose item index holds key/value pairs. rpm stores each header as
//! an off-page item (type 3: page number and total length) whose bytes run through a chain of
//! overflow pages (type 7; `next page` at 16, bytes on the page at 22). Every field is in the
//! byte order of the machine that wrote the file, which the magic reveals.

use super::{MAX_HEADER_SIZE, MAX_PACKAGES, RpmError};
use crate::formats::bytes::{Endian, slice, u8_at, u16_at, u32_at};

const MAGIC: u32 = 0x0006_1561;
const PAGE_HEADER: usize = 26;
const P_HASH_UNSORTED: u8 = 2;
const P_OVERFLOW: u8 = 7;
const P_HASHMETA: u8 = 8;
const P_HASH: u8 = 13;
const H_OFFPAGE: u8 = 3;

fn err(s: String) -> RpmError {
    RpmError::Bdb(s)
}

fn endian(b: &[u8]) -> Option<Endian> {
    if u32_at(b, 12, Endian::Little) == Some(MAGIC) {
        Some(Endian::Little)
    } else if u32_at(b, 12, Endian::Big) == Some(MAGIC) {
        Some(Endian::Big)
    } else {
        None
    }
}

pub(super) fn is_bdb_hash(b: &[u8]) -> bool {
    endian(b).is_some()
}

pub(super) fn package_blobs(b: &[u8]) -> Result<Vec<Vec<u8>>, RpmError> {
    let e = endian(b).ok_or_else(|| err("missing hash magic 0x061561".into()))?;
    if u8_at(b, 24) != Some(0) {
        return Err(err("encrypted databases are not supported".into()));
    }
    if u8_at(b, 25) != Some(P_HASHMETA) {
        return Err(err("first page is not a hash metadata page".into()));
    }
    let page_size = u32_at(b, 20, e).unwrap_or_default() as usize;
    if !(512..=65_536).contains(&page_size) || !page_size.is_power_of_two() {
        return Err(err(format!("invalid page size {page_size}")));
    }
    let last = u32_at(b, 32, e).unwrap_or_default() as usize;
    // Pages past the end of the file are treated as absent.
    let pages = (last.saturating_add(1)).min(b.len() / page_size);
    let page = |n: usize| slice(b, n.checked_mul(page_size)?, page_size);

    let mut out = Vec::new();
    for n in 1..pages {
        let Some(p) = page(n) else { break };
        let ty = p[25];
        if ty != P_HASH && ty != P_HASH_UNSORTED {
            continue;
        }
        let entries = usize::from(u16_at(p, 20, e).unwrap_or_default());
        // Values are the odd entries of the key/value index.
        for i in (1..entries).step_by(2) {
            let Some(item) = u16_at(p, PAGE_HEADER + 2 * i, e) else {
                return Err(err(format!("page {n}: item index truncated")));
            };
            let item = usize::from(item);
            if u8_at(p, item) != Some(H_OFFPAGE) {
                continue;
            }
            let (Some(first), Some(total)) = (u32_at(p, item + 4, e), u32_at(p, item + 8, e))
            else {
                return Err(err(format!("page {n}: off-page item at {item} truncated")));
            };
            let total = total as usize;
            if total > MAX_HEADER_SIZE {
                return Err(err(format!(
                    "page {n}: item of {total} bytes is over the limit"
                )));
            }
            let mut value = Vec::with_capacity(total.min(b.len()));
            let mut next = first as usize;
            let mut hops = 0usize;
            while next != 0 && value.len() < total {
                hops += 1;
                if hops > pages {
                    return Err(err(format!("page {n}: overflow chain loops")));
                }
                let ov = page(next).ok_or_else(|| {
                    err(format!(
                        "page {n}: overflow page {next} is outside the file"
                    ))
                })?;
                if ov[25] != P_OVERFLOW {
                    return Err(err(format!("page {next} is not an overflow page")));
                }
                let used = usize::from(u16_at(ov, 22, e).unwrap_or_default())
                    .min(page_size - PAGE_HEADER)
                    .min(total - value.len());
                value.extend_from_slice(&ov[PAGE_HEADER..PAGE_HEADER + used]);
                next = u32_at(ov, 16, e).unwrap_or_default() as usize;
            }
            if value.len() != total {
                return Err(err(format!(
                    "page {n}: item has {} of {total} bytes",
                    value.len()
                )));
            }
            if out.len() >= MAX_PACKAGES {
                return Err(RpmError::TooManyPackages);
            }
            out.push(value);
        }
    }
    Ok(out)
}
