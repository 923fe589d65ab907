//! The RPM header blob: a count of index entries, the data length, the index entries (tag,
//! type, offset, count; all big-endian) and the data store they point into.

use super::{RpmError, RpmFile, RpmPackage};
use boltseal_core::hex::encode as hex;

use crate::formats::bytes::{Endian, cstr, slice, u16_at, u32_at, u64_at};

/// Largest header blob accepted (rpm itself refuses headers above 256 MiB; real ones are
/// well under a few MiB).
pub const MAX_HEADER_SIZE: usize = 64 << 20;
/// Most index entries accepted in one header (rpm's own limit).
pub const MAX_INDEX_ENTRIES: usize = 0xffff;
/// Most files listed for one package.
pub const MAX_FILES: usize = 1 << 20;

const T_CHAR: u32 = 1;
const T_INT8: u32 = 2;
const T_INT16: u32 = 3;
const T_INT32: u32 = 4;
const T_INT64: u32 = 5;
const T_STRING: u32 = 6;
const T_BIN: u32 = 7;
const T_STRING_ARRAY: u32 = 8;
const T_I18NSTRING: u32 = 9;

/// Tag numbers from rpm's `rpmtag.h`.
pub(crate) mod tag {
    pub(crate) const SIGPGP: u32 = 259;
    pub(crate) const SIGMD5: u32 = 261;
    pub(crate) const SIGGPG: u32 = 262;
    pub(crate) const DSAHEADER: u32 = 267;
    pub(crate) const RSAHEADER: u32 = 268;
    pub(crate) const NAME: u32 = 1000;
    pub(crate) const VERSION: u32 = 1001;
    pub(crate) const RELEASE: u32 = 1002;
    pub(crate) const EPOCH: u32 = 1003;
    pub(crate) const SUMMARY: u32 = 1004;
    pub(crate) const INSTALLTIME: u32 = 1008;
    pub(crate) const SIZE: u32 = 1009;
    pub(crate) const VENDOR: u32 = 1011;
    pub(crate) const LICENSE: u32 = 1014;
    pub(crate) const URL: u32 = 1020;
    pub(crate) const ARCH: u32 = 1022;
    pub(crate) const FILESIZES: u32 = 1028;
    pub(crate) const FILEMODES: u32 = 1030;
    pub(crate) const FILEDIGESTS: u32 = 1035;
    pub(crate) const FILEFLAGS: u32 = 1037;
    pub(crate) const FILEUSERNAME: u32 = 1039;
    pub(crate) const FILEGROUPNAME: u32 = 1040;
    pub(crate) const SOURCERPM: u32 = 1044;
    pub(crate) const PROVIDENAME: u32 = 1047;
    pub(crate) const REQUIRENAME: u32 = 1049;
    pub(crate) const DIRINDEXES: u32 = 1116;
    pub(crate) const BASENAMES: u32 = 1117;
    pub(crate) const DIRNAMES: u32 = 1118;
    pub(crate) const FILEDIGESTALGO: u32 = 5011;
    pub(crate) const LONGSIZE: u32 = 5009;
    pub(crate) const MODULARITYLABEL: u32 = 5096;
}

/// One index entry with its data, cut to what the next entry (or the end) allows.
#[derive(Clone, Copy)]
struct Entry<'a> {
    ty: u32,
    count: usize,
    data: &'a [u8],
}

impl<'a> Entry<'a> {
    fn string(&self) -> Option<String> {
        match self.ty {
            T_STRING | T_I18NSTRING | T_STRING_ARRAY | T_CHAR | T_BIN => {
                Some(String::from_utf8_lossy(cstr(self.data)).into_owned())
            }
            _ => None,
        }
    }

    fn strings(&self) -> Vec<String> {
        if !matches!(self.ty, T_STRING_ARRAY | T_I18NSTRING | T_STRING) {
            return Vec::new();
        }
        self.data
            .split(|&c| c == 0)
            .take(self.count.min(MAX_FILES))
            .map(|s| String::from_utf8_lossy(s).into_owned())
            .collect()
    }

    fn ints(&self) -> Vec<i64> {
        let (width, ty) = match self.ty {
            T_CHAR | T_INT8 => (1, self.ty),
            T_INT16 => (2, self.ty),
            T_INT32 => (4, self.ty),
            T_INT64 => (8, self.ty),
            _ => return Vec::new(),
        };
        let n = self.count.min(self.data.len() / width).min(MAX_FILES);
        (0..n)
            .filter_map(|i| {
                let off = i * width;
                Some(match ty {
                    T_CHAR | T_INT8 => i64::from(*self.data.get(off)?),
                    T_INT16 => i64::from(u16_at(self.data, off, Endian::Big)?),
                    T_INT32 => i64::from(u32_at(self.data, off, Endian::Big)? as i32),
                    _ => u64_at(self.data, off, Endian::Big)? as i64,
                })
            })
            .collect()
    }

    fn int(&self) -> Option<i64> {
        self.ints().first().copied()
    }
}

/// Parses one RPM header blob (as stored in an rpmdb) into a package record.
///
/// # Errors
///
/// [`RpmError::Header`] when the blob is truncated, larger than [`MAX_HEADER_SIZE`], has more
/// than [`MAX_INDEX_ENTRIES`] entries, or an entry points outside the data store.
pub fn parse_header(blob: &[u8]) -> Result<RpmPackage, RpmError> {
    let bad = |what: &str| RpmError::Header(what.to_owned());
    if blob.len() > MAX_HEADER_SIZE {
        return Err(bad("header blob larger than 64 MiB"));
    }
    let il = u32_at(blob, 0, Endian::Big).ok_or_else(|| bad("shorter than 8 bytes"))? as usize;
    let dl = u32_at(blob, 4, Endian::Big).ok_or_else(|| bad("shorter than 8 bytes"))? as usize;
    if il == 0 || il > MAX_INDEX_ENTRIES {
        return Err(RpmError::Header(format!(
            "index entry count {il} out of range"
        )));
    }
    let index = slice(blob, 8, il * 16).ok_or_else(|| bad("index entries truncated"))?;
    let store = slice(blob, 8 + il * 16, dl)
        .ok_or_else(|| RpmError::Header(format!("data store of {dl} bytes truncated")))?;

    // Raw entries: (tag, type, offset, count).
    let mut raw = Vec::with_capacity(il);
    for i in 0..il {
        let at = i * 16;
        let tag = u32_at(index, at, Endian::Big).unwrap_or_default();
        let ty = u32_at(index, at + 4, Endian::Big).unwrap_or_default();
        let off = u32_at(index, at + 8, Endian::Big).unwrap_or_default() as i32;
        let count = u32_at(index, at + 12, Endian::Big).unwrap_or_default() as usize;
        if off < 0 || off as usize > dl {
            return Err(RpmError::Header(format!(
                "entry for tag {tag} points at offset {off}, outside the {dl}-byte data store"
            )));
        }
        raw.push((tag, ty, off as usize, count));
    }

    // The data of an entry runs to the end of the store at most; fixed-size types are cut to
    // their exact size, strings end at their terminating NUL(s).
    let mut entries: Vec<(u32, Entry<'_>)> = Vec::with_capacity(il);
    for &(tag, ty, off, count) in &raw {
        let rest = &store[off..];
        let width = match ty {
            T_CHAR | T_INT8 | T_BIN => Some(1),
            T_INT16 => Some(2),
            T_INT32 => Some(4),
            T_INT64 => Some(8),
            _ => None,
        };
        let data = match width {
            Some(w) => {
                let len = count.saturating_mul(w);
                match rest.get(..len) {
                    Some(d) => d,
                    None => continue, // entry runs past the store: ignore it
                }
            }
            None => {
                // count NUL-terminated strings
                let mut end = 0;
                let mut ok = true;
                for _ in 0..count.min(rest.len().max(1)) {
                    match rest.get(end..).and_then(|r| r.iter().position(|&c| c == 0)) {
                        Some(p) => end += p + 1,
                        None => {
                            ok = false;
                            break;
                        }
                    }
                }
                if !ok {
                    continue;
                }
                &rest[..end]
            }
        };
        entries.push((tag, Entry { ty, count, data }));
    }

    // Later entries win (rpm's "dribble" entries replace region entries).
    let get = |t: u32| {
        entries
            .iter()
            .rev()
            .find(|(tag, _)| *tag == t)
            .map(|(_, e)| *e)
    };
    let s = |t: u32| get(t).and_then(|e| e.string()).unwrap_or_default();

    let mut pkg = RpmPackage {
        name: s(tag::NAME),
        version: s(tag::VERSION),
        release: s(tag::RELEASE),
        epoch: get(tag::EPOCH).and_then(|e| e.int()),
        arch: s(tag::ARCH),
        source_rpm: s(tag::SOURCERPM),
        size: get(tag::LONGSIZE)
            .or_else(|| get(tag::SIZE))
            .and_then(|e| e.int())
            .unwrap_or_default(),
        license: s(tag::LICENSE),
        vendor: s(tag::VENDOR),
        summary: s(tag::SUMMARY),
        url: s(tag::URL),
        modularity_label: s(tag::MODULARITYLABEL),
        install_time: get(tag::INSTALLTIME).and_then(|e| e.int()),
        sigmd5: get(tag::SIGMD5)
            .filter(|e| e.ty == T_BIN)
            .map(|e| hex(e.data))
            .unwrap_or_default(),
        pgp: [tag::RSAHEADER, tag::DSAHEADER, tag::SIGPGP, tag::SIGGPG]
            .iter()
            .filter_map(|&t| get(t))
            .filter(|e| e.ty == T_BIN)
            .find_map(|e| pgp_summary(e.data))
            .unwrap_or_default(),
        digest_algorithm: get(tag::FILEDIGESTALGO).and_then(|e| e.int()),
        provides: get(tag::PROVIDENAME)
            .map(|e| e.strings())
            .unwrap_or_default(),
        requires: get(tag::REQUIRENAME)
            .map(|e| e.strings())
            .unwrap_or_default(),
        files: Vec::new(),
    };
    pkg.files = files(&get);
    Ok(pkg)
}

fn files<'a>(get: &dyn Fn(u32) -> Option<Entry<'a>>) -> Vec<RpmFile> {
    let list = |t: u32| get(t).map(|e| e.strings()).unwrap_or_default();
    let ints = |t: u32| get(t).map(|e| e.ints()).unwrap_or_default();
    let basenames = list(tag::BASENAMES);
    let dirnames = list(tag::DIRNAMES);
    let dirindexes = ints(tag::DIRINDEXES);
    // A header whose file tags disagree has no usable file list (the package itself is kept).
    if basenames.is_empty() || dirindexes.len() != basenames.len() {
        return Vec::new();
    }
    let digests = list(tag::FILEDIGESTS);
    let sizes = ints(tag::FILESIZES);
    let modes = ints(tag::FILEMODES);
    let flags = ints(tag::FILEFLAGS);
    let users = list(tag::FILEUSERNAME);
    let groups = list(tag::FILEGROUPNAME);
    let mut out = Vec::with_capacity(basenames.len());
    for (i, (base, &di)) in basenames.iter().zip(&dirindexes).enumerate() {
        // Entries naming a directory that does not exist are left out.
        let Some(dir) = usize::try_from(di).ok().and_then(|d| dirnames.get(d)) else {
            continue;
        };
        out.push(RpmFile {
            path: format!("{dir}{base}"),
            digest: digests.get(i).cloned().unwrap_or_default(),
            size: sizes.get(i).copied().unwrap_or_default(),
            mode: modes.get(i).map(|&m| m as u16).unwrap_or_default(),
            flags: flags.get(i).map(|&f| f as u32).unwrap_or_default(),
            user: users.get(i).cloned().unwrap_or_default(),
            group: groups.get(i).cloned().unwrap_or_default(),
        });
    }
    out
}

/// `"RSA/SHA256, Mon Apr  3 18:10:39 2023, Key ID 199e2f91fd431d51"` from an OpenPGP
/// signature packet (version 3 or 4), the summary rpm and go-rpmdb print.
fn pgp_summary(p: &[u8]) -> Option<String> {
    let first = *p.first()?;
    if first & 0x80 == 0 {
        return None;
    }
    // Packet header: old format (length type in the low two bits) or new format.
    let (tag, body) = if first & 0x40 == 0 {
        let tag = (first >> 2) & 0x0f;
        let (len, hl) = match first & 3 {
            0 => (usize::from(*p.get(1)?), 2),
            1 => (usize::from(u16_at(p, 1, Endian::Big)?), 3),
            2 => (u32_at(p, 1, Endian::Big)? as usize, 5),
            _ => (p.len().saturating_sub(1), 1),
        };
        (tag, slice(p, hl, len).or_else(|| p.get(hl..))?)
    } else {
        let tag = first & 0x3f;
        let l0 = usize::from(*p.get(1)?);
        let (len, hl) = if l0 < 192 {
            (l0, 2)
        } else if l0 < 224 {
            (((l0 - 192) << 8) + usize::from(*p.get(2)?) + 192, 3)
        } else if l0 == 255 {
            (u32_at(p, 2, Endian::Big)? as usize, 6)
        } else {
            return None;
        };
        (tag, slice(p, hl, len).or_else(|| p.get(hl..))?)
    };
    if tag != 2 {
        return None;
    }
    let (pk, ha, time, key_id): (u8, u8, u32, Vec<u8>) = match *body.first()? {
        3 => (
            *body.get(15)?,
            *body.get(16)?,
            u32_at(body, 3, Endian::Big)?,
            slice(body, 7, 8)?.to_vec(),
        ),
        4 => {
            let pk = *body.get(2)?;
            let ha = *body.get(3)?;
            let hashed_len = usize::from(u16_at(body, 4, Endian::Big)?);
            let hashed = slice(body, 6, hashed_len)?;
            let unhashed_len = usize::from(u16_at(body, 6 + hashed_len, Endian::Big)?);
            let unhashed = slice(body, 8 + hashed_len, unhashed_len).unwrap_or_default();
            let mut time = None;
            let mut key = None;
            for area in [hashed, unhashed] {
                for (ty, data) in subpackets(area) {
                    match ty & 0x7f {
                        2 if data.len() == 4 => time = u32_at(data, 0, Endian::Big),
                        16 if data.len() == 8 => key = Some(data.to_vec()),
                        33 if data.len() >= 9 && key.is_none() => {
                            key = data.get(data.len() - 8..).map(<[u8]>::to_vec);
                        }
                        _ => {}
                    }
                }
            }
            (pk, ha, time?, key?)
        }
        _ => return None,
    };
    let pk = match pk {
        1..=3 => "RSA",
        17 => "DSA",
        19 => "ECDSA",
        22 => "EdDSA",
        _ => "",
    };
    let ha = match ha {
        1 => "MD5",
        2 => "SHA1",
        8 => "SHA256",
        9 => "SHA384",
        10 => "SHA512",
        11 => "SHA224",
        _ => "",
    };
    Some(format!(
        "{pk}/{ha}, {}, Key ID {}",
        ctime(i64::from(time)),
        hex(&key_id)
    ))
}

/// OpenPGP signature subpackets: (type, data).
fn subpackets(mut area: &[u8]) -> Vec<(u8, &[u8])> {
    let mut out = Vec::new();
    while let Some(&l0) = area.first() {
        let l0 = usize::from(l0);
        let (len, hl) = if l0 < 192 {
            (l0, 1)
        } else if l0 < 255 {
            let Some(&l1) = area.get(1) else { break };
            (((l0 - 192) << 8) + usize::from(l1) + 192, 2)
        } else {
            let Some(l) = u32_at(area, 1, Endian::Big) else {
                break;
            };
            (l as usize, 5)
        };
        let Some(sp) = slice(area, hl, len) else {
            break;
        };
        if let Some((&ty, data)) = sp.split_first() {
            out.push((ty, data));
        }
        area = &area[hl + len..];
    }
    out
}

/// A Unix time as `Mon Jan _2 15:04:05 2006` in UTC.
fn ctime(t: i64) -> String {
    const DAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let days = t.div_euclid(86_400);
    let secs = t.rem_euclid(86_400);
    let weekday = DAYS[days.rem_euclid(7) as usize];
    let (year, month, day) = boltseal_core::time::civil_from_days(days);
    format!(
        "{weekday} {} {day:>2} {:02}:{:02}:{:02} {year}",
        MONTHS[(month - 1) as usize],
        secs / 3600,
        secs / 60 % 60,
        secs % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ctime_matches_go_layout() {
        assert_eq!(ctime(0), "Thu Jan  1 00:00:00 1970");
        assert_eq!(ctime(1_680_545_439), "Mon Apr  3 18:10:39 2023");
        assert_eq!(ctime(1_643_274_131), "Thu Jan 27 09:02:11 2022");
    }

    #[test]
    fn rejects_bad_counts() {
        assert!(parse_header(&[0; 8]).is_err());
        assert!(parse_header(&[0, 0, 0, 1, 0, 0, 0, 0]).is_err());
        assert!(parse_header(&[0xff; 8]).is_err());
    }
}
