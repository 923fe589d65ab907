//! A minimal read-only SQLite reader: the 100-byte file header, table b-trees (interior pages
//! type 5, leaf pages type 13), overflow chains and the record format, enough to find a table
//! through `sqlite_master` and read one column of each row. Every page is visited at most once
//! per walk, so a looping or shared page is an error rather than a hang.

use super::{MAX_HEADER_SIZE, MAX_PACKAGES, RpmError};
use crate::formats::bytes::{Endian, slice, u8_at, u16_at, u32_at};

/// Largest record payload read (a header blob plus a little room for the other columns).
const MAX_PAYLOAD: u64 = MAX_HEADER_SIZE as u64 + 4096;
/// Deepest b-tree accepted (real trees of millions of rows are under 10 levels).
const MAX_DEPTH: usize = 64;

fn err(s: impl Into<String>) -> RpmError {
    RpmError::Sqlite(s.into())
}

/// A column value of a record.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Value<'a> {
    Null,
    Int(i64),
    Float(f64),
    Text(&'a [u8]),
    Blob(&'a [u8]),
}

pub(super) struct Db<'a> {
    b: &'a [u8],
    page_size: usize,
    usable: usize,
    pages: usize,
}

/// A SQLite variable-length integer at `off`: (value, length).
pub(super) fn varint(b: &[u8], off: usize) -> Option<(u64, usize)> {
    let mut v: u64 = 0;
    for i in 0..9 {
        let c = *b.get(off + i)?;
        if i == 8 {
            return Some(((v << 8) | u64::from(c), 9));
        }
        v = (v << 7) | u64::from(c & 0x7f);
        if c & 0x80 == 0 {
            return Some((v, i + 1));
        }
    }
    None
}

impl<'a> Db<'a> {
    pub(super) fn open(b: &'a [u8]) -> Result<Db<'a>, RpmError> {
        if !b.starts_with(b"SQLite format 3\0") || b.len() < 100 {
            return Err(err("missing SQLite header"));
        }
        let raw = u16_at(b, 16, Endian::Big).unwrap_or_default();
        let page_size = if raw == 1 { 65_536 } else { usize::from(raw) };
        if !(512..=65_536).contains(&page_size) || !page_size.is_power_of_two() {
            return Err(err(format!("invalid page size {page_size}")));
        }
        let reserved = usize::from(u8_at(b, 20).unwrap_or_default());
        let usable = page_size - reserved;
        if usable < 480 {
            return Err(err(format!("usable page size {usable} below 480")));
        }
        let in_file = b.len() / page_size;
        let declared = u32_at(b, 28, Endian::Big).unwrap_or_default() as usize;
        let valid = u32_at(b, 24, Endian::Big) == u32_at(b, 92, Endian::Big);
        let pages = if valid && declared != 0 {
            declared.min(in_file)
        } else {
            in_file
        };
        Ok(Db {
            b,
            page_size,
            usable,
            pages,
        })
    }

    /// Page `n` (1-based) in full.
    fn page(&self, n: u32) -> Result<&'a [u8], RpmError> {
        let n = n as usize;
        if n == 0 || n > self.pages {
            return Err(err(format!(
                "page {n} out of range (file has {})",
                self.pages
            )));
        }
        slice(self.b, (n - 1) * self.page_size, self.page_size)
            .ok_or_else(|| err(format!("page {n} truncated")))
    }

    /// Calls `row` with the payload of each row of the table b-tree rooted at `root`, in rowid
    /// order.
    pub(super) fn walk_table(
        &self,
        root: u32,
        row: &mut dyn FnMut(Vec<u8>) -> Result<(), RpmError>,
    ) -> Result<(), RpmError> {
        let mut seen = vec![false; self.pages + 1];
        // Stack of (page, depth); children are pushed in reverse to visit in order.
        let mut stack = vec![(root, 0usize)];
        while let Some((n, depth)) = stack.pop() {
            if depth > MAX_DEPTH {
                return Err(err("b-tree deeper than 64 levels"));
            }
            let page = self.page(n)?;
            let seen_slot = seen
                .get_mut(n as usize)
                .ok_or_else(|| err(format!("page {n} out of range")))?;
            if *seen_slot {
                return Err(err(format!("page {n} is reached twice in one b-tree")));
            }
            *seen_slot = true;
            let h = if n == 1 { 100 } else { 0 };
            let kind = u8_at(page, h).unwrap_or_default();
            let cells = usize::from(u16_at(page, h + 3, Endian::Big).unwrap_or_default());
            let header_len = match kind {
                5 => 12,
                13 => 8,
                _ => {
                    return Err(err(format!(
                        "page {n} has type {kind}, not a table b-tree page"
                    )));
                }
            };
            let ptr = |i: usize| -> Result<usize, RpmError> {
                u16_at(page, h + header_len + 2 * i, Endian::Big)
                    .map(usize::from)
                    .ok_or_else(|| err(format!("page {n}: cell pointer array truncated")))
            };
            if kind == 5 {
                let right = u32_at(page, h + 8, Endian::Big).unwrap_or_default();
                stack.push((right, depth + 1));
                for i in (0..cells).rev() {
                    let at = ptr(i)?;
                    let child = u32_at(page, at, Endian::Big)
                        .ok_or_else(|| err(format!("page {n}: cell {i} truncated")))?;
                    stack.push((child, depth + 1));
                }
            } else {
                for i in 0..cells {
                    let at = ptr(i)?;
                    row(self.leaf_payload(n, page, at)?)?;
                }
            }
        }
        Ok(())
    }

    /// The full payload of the table leaf cell at `at`, following its overflow chain.
    fn leaf_payload(&self, n: u32, page: &[u8], at: usize) -> Result<Vec<u8>, RpmError> {
        let bad = || err(format!("page {n}: cell at offset {at} truncated"));
        let (size, l1) = varint(page, at).ok_or_else(bad)?;
        let (_rowid, l2) = varint(page, at + l1).ok_or_else(bad)?;
        if size > MAX_PAYLOAD {
            return Err(err(format!(
                "page {n}: record of {size} bytes is over the limit"
            )));
        }
        let size = size as usize;
        let start = at + l1 + l2;
        let u = self.usable;
        let x = u - 35;
        let local = if size <= x {
            size
        } else {
            let m = ((u - 12) * 32 / 255) - 23;
            let k = m + (size - m) % (u - 4);
            if k <= x { k } else { m }
        };
        let mut out = Vec::with_capacity(size.min(self.b.len()));
        out.extend_from_slice(slice(page, start, local).ok_or_else(bad)?);
        if local < size {
            let mut next = u32_at(page, start + local, Endian::Big).ok_or_else(bad)?;
            let mut hops = 0usize;
            while out.len() < size {
                hops += 1;
                if next == 0 || hops > self.pages {
                    return Err(err(format!("page {n}: overflow chain broken or looping")));
                }
                let ov = self.page(next)?;
                let take = (u - 4).min(size - out.len());
                out.extend_from_slice(
                    slice(ov, 4, take)
                        .ok_or_else(|| err(format!("overflow page {next} truncated")))?,
                );
                next = u32_at(ov, 0, Endian::Big).unwrap_or_default();
            }
        }
        Ok(out)
    }
}

/// The columns of a record.
pub(super) fn record(p: &[u8]) -> Result<Vec<Value<'_>>, RpmError> {
    let bad = || err("record header truncated");
    let (hlen, l) = varint(p, 0).ok_or_else(bad)?;
    let hlen = usize::try_from(hlen).map_err(|_| bad())?;
    if hlen > p.len() || hlen < l {
        return Err(bad());
    }
    let mut types = Vec::new();
    let mut at = l;
    while at < hlen {
        let (t, tl) = varint(p, at).ok_or_else(bad)?;
        types.push(t);
        at += tl;
    }
    let mut body = hlen;
    let mut out = Vec::with_capacity(types.len());
    let short = || err("record body truncated");
    for t in types {
        let int = |n: usize, body: usize| -> Result<i64, RpmError> {
            let b = slice(p, body, n).ok_or_else(short)?;
            let mut v: i64 = if b.first().is_some_and(|&c| c & 0x80 != 0) {
                -1
            } else {
                0
            };
            for &c in b {
                v = (v << 8) | i64::from(c);
            }
            Ok(v)
        };
        let (v, n) = match t {
            0 => (Value::Null, 0),
            1..=4 => {
                let n = t as usize;
                (Value::Int(int(n, body)?), n)
            }
            5 => (Value::Int(int(6, body)?), 6),
            6 => (Value::Int(int(8, body)?), 8),
            7 => (Value::Float(f64::from_bits(int(8, body)? as u64)), 8),
            8 => (Value::Int(0), 0),
            9 => (Value::Int(1), 0),
            10 | 11 => return Err(err(format!("reserved serial type {t}"))),
            _ => {
                let n = usize::try_from((t - 12) / 2).map_err(|_| short())?;
                let d = slice(p, body, n).ok_or_else(short)?;
                (
                    if t % 2 == 0 {
                        Value::Blob(d)
                    } else {
                        Value::Text(d)
                    },
                    n,
                )
            }
        };
        body += n;
        out.push(v);
    }
    Ok(out)
}

/// The column names of a `CREATE TABLE` statement, in order.
pub(super) fn columns(sql: &str) -> Vec<String> {
    let (Some(open), Some(close)) = (sql.find('('), sql.rfind(')')) else {
        return Vec::new();
    };
    let Some(body) = sql.get(open + 1..close) else {
        return Vec::new();
    };
    let mut parts = Vec::new();
    let (mut depth, mut start) = (0i32, 0usize);
    for (i, c) in body.char_indices() {
        match c {
            '(' => depth += 1,
            ')' => depth -= 1,
            ',' if depth == 0 => {
                parts.push(&body[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&body[start..]);
    parts
        .into_iter()
        .filter_map(|p| {
            let word = p.split_whitespace().next()?;
            let upper = word.to_ascii_uppercase();
            if ["CONSTRAINT", "PRIMARY", "UNIQUE", "CHECK", "FOREIGN"].contains(&upper.as_str()) {
                return None;
            }
            Some(
                word.trim_matches(|c| matches!(c, '"' | '`' | '[' | ']' | '\''))
                    .to_owned(),
            )
        })
        .collect()
}

/// The blobs of column `blob` of table `Packages`, in rowid order.
pub(super) fn package_blobs(b: &[u8]) -> Result<Vec<Vec<u8>>, RpmError> {
    let db = Db::open(b)?;
    let mut table = None;
    db.walk_table(1, &mut |payload| {
        let cols = record(&payload)?;
        let text = |i: usize| match cols.get(i) {
            Some(Value::Text(t)) => String::from_utf8_lossy(t).into_owned(),
            _ => String::new(),
        };
        if table.is_none() && text(0) == "table" && text(1).eq_ignore_ascii_case("Packages") {
            let root = match cols.get(3) {
                Some(Value::Int(r)) => u32::try_from(*r).ok(),
                _ => None,
            };
            let root = root.ok_or_else(|| err("Packages table has no root page"))?;
            let col = columns(&text(4))
                .iter()
                .position(|c| c.eq_ignore_ascii_case("blob"))
                .ok_or_else(|| err("Packages table has no blob column"))?;
            table = Some((root, col));
        }
        Ok(())
    })?;
    let (root, col) = table.ok_or_else(|| err("no Packages table"))?;
    let mut out = Vec::new();
    db.walk_table(root, &mut |payload| {
        let cols = record(&payload)?;
        if let Some(Value::Blob(blob)) = cols.get(col) {
            if out.len() >= MAX_PACKAGES {
                return Err(RpmError::TooManyPackages);
            }
            out.push(blob.to_vec());
        }
        Ok(())
    })?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn varints() {
        assert_eq!(varint(&[0x05], 0), Some((5, 1)));
        assert_eq!(varint(&[0x81, 0x00], 0), Some((128, 2)));
        assert_eq!(varint(&[0xff; 9], 0), Some((u64::MAX, 9)));
        assert_eq!(varint(&[0x81], 0), None);
    }

    #[test]
    fn create_table_columns() {
        assert_eq!(
            columns(
                "CREATE TABLE Packages (hnum INTEGER PRIMARY KEY AUTOINCREMENT,blob BLOB NOT NULL)"
            ),
            ["hnum", "blob"]
        );
        assert_eq!(
            columns("CREATE TABLE t (\"a\" INT, b DECIMAL(10,2), PRIMARY KEY(a))"),
            ["a", "b"]
        );
    }

    #[test]
    fn record_values() {
        // header: len 4, types: int8, text len 2, blob len 1
        let p = [4u8, 1, 17, 14, 0xff, b'h', b'i', 7];
        assert_eq!(
            record(&p).unwrap(),
            vec![Value::Int(-1), Value::Text(b"hi"), Value::Blob(&[7])]
        );
    }
}
