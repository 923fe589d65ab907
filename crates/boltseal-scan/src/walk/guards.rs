//! The readers a layer stream goes through: byte counting against the limits, the
//! compression-ratio guard, and the header guard that keeps the tar reader in step with what
//! was checked.

use std::cell::Cell;
use std::io::Read;
use std::sync::atomic::{AtomicU64, Ordering};

use super::Limits;

/// Counts bytes through a reader and enforces the byte limits.
pub(super) struct Counted<'a, R> {
    pub(super) inner: R,
    pub(super) seen: u64,
    pub(super) own: &'a AtomicU64,
    pub(super) total: Option<(&'a AtomicU64, u64)>,
}

impl<R: Read> Read for Counted<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.seen += n as u64;
        self.own.fetch_add(n as u64, Ordering::Relaxed);
        if let Some((total, limit)) = self.total {
            let now = total.fetch_add(n as u64, Ordering::Relaxed) + n as u64;
            if now > limit {
                return Err(std::io::Error::other(LimitHit("total bytes", limit, now)));
            }
        }
        Ok(n)
    }
}

/// A limit reached inside a reader: its name, its value, the value seen.
#[derive(Debug)]
pub(super) struct LimitHit(pub(super) &'static str, pub(super) u64, pub(super) u64);

impl std::fmt::Display for LimitHit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} limit of {} exceeded ({} seen)",
            self.0, self.1, self.2
        )
    }
}

impl std::error::Error for LimitHit {}

/// Decompressed stream with the ratio check.
pub(super) struct RatioGuard<'a, R> {
    pub(super) inner: R,
    pub(super) produced: u64,
    pub(super) compressed: &'a AtomicU64,
    pub(super) limits: &'a Limits,
}

impl<R: Read> Read for RatioGuard<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.produced += n as u64;
        if self.produced > self.limits.ratio_grace_bytes {
            let c = self.compressed.load(Ordering::Relaxed).max(1);
            let ratio = self.produced / c;
            if ratio > self.limits.max_compression_ratio {
                return Err(std::io::Error::other(LimitHit(
                    "compression ratio",
                    self.limits.max_compression_ratio,
                    ratio,
                )));
            }
        }
        Ok(n)
    }
}

/// Where the tar reader stands, shared by [`read_entries`] (which knows where each entry's
/// data ends) and [`HeaderGuard`] (which sees the bytes).
#[derive(Debug)]
pub(super) struct Step {
    /// Bytes handed to the tar reader so far.
    pub(super) pos: Cell<u64>,
    /// Where the next header starts, when known.
    pub(super) next_header: Cell<Option<u64>>,
    /// Where the last header that was not a GNU long name, long link or PAX header started.
    pub(super) last_header: Cell<Option<u64>>,
}

impl Step {
    pub(super) fn new() -> Self {
        Step {
            pos: Cell::new(0),
            next_header: Cell::new(Some(0)),
            last_header: Cell::new(None),
        }
    }
}

/// Hands the tar stream to the tar reader, stopping at each header to check it first. The tar
/// reader reads a GNU long name or long link and a PAX extended header whole into memory,
/// as large as its header declares; their declared size is checked here against
/// [`Limits::max_path_bytes`] and [`Limits::max_pax_bytes`] before a byte of them is handed
/// on. Headers are found as the tar reader finds them: [`read_entries`] says where an entry's
/// data ends, an extension header's own size says where the next header starts.
pub(super) struct HeaderGuard<'a, R> {
    pub(super) inner: R,
    pub(super) step: &'a Step,
    pub(super) limits: &'a Limits,
    /// The header being handed on.
    pub(super) block: tar::Header,
    pub(super) filled: usize,
    pub(super) served: usize,
}

impl<R: Read> HeaderGuard<'_, R> {
    /// Reads the header at the current position and checks it.
    pub(super) fn take_header(&mut self) -> std::io::Result<()> {
        let at = self.step.pos.get();
        self.step.next_header.set(None);
        self.filled = 0;
        self.served = 0;
        while self.filled < 512 {
            match self
                .inner
                .read(&mut self.block.as_mut_bytes()[self.filled..])
            {
                Ok(0) => break,
                Ok(n) => self.filled += n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        if self.filled < 512 {
            return Ok(());
        }
        // The tar reader reads extension headers only from GNU and ustar headers.
        let recognized = self.block.as_gnu().is_some() || self.block.as_ustar().is_some();
        let (limit_name, limit) = match self.block.entry_type() {
            _ if !recognized => {
                self.step.last_header.set(Some(at));
                return Ok(());
            }
            tar::EntryType::GNULongName => ("GNU long name bytes", self.path_limit()),
            tar::EntryType::GNULongLink => ("GNU long link bytes", self.path_limit()),
            tar::EntryType::XHeader => ("PAX header bytes", self.limits.max_pax_bytes),
            _ => {
                self.step.last_header.set(Some(at));
                return Ok(());
            }
        };
        // An unreadable size is the tar reader's to report.
        let Ok(size) = self.block.entry_size() else {
            return Ok(());
        };
        if size > limit {
            return Err(std::io::Error::other(LimitHit(limit_name, limit, size)));
        }
        self.step.next_header.set(after_data(at + 512, size));
        Ok(())
    }

    /// A GNU long name holds the path and its terminating NUL.
    pub(super) fn path_limit(&self) -> u64 {
        u64::try_from(self.limits.max_path_bytes)
            .unwrap_or(u64::MAX)
            .saturating_add(1)
    }
}

impl<R: Read> Read for HeaderGuard<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        let pos = self.step.pos.get();
        let mut room = buf.len();
        if self.served == self.filled
            && let Some(at) = self.step.next_header.get()
        {
            if pos == at {
                self.take_header()?;
            } else if pos < at {
                room = room.min(usize::try_from(at - pos).unwrap_or(usize::MAX));
            } else {
                self.step.next_header.set(None);
            }
        }
        let n = if self.served < self.filled {
            let n = room.min(self.filled - self.served);
            buf[..n].copy_from_slice(&self.block.as_bytes()[self.served..self.served + n]);
            self.served += n;
            n
        } else {
            self.inner.read(&mut buf[..room])?
        };
        self.step.pos.set(pos + n as u64);
        Ok(n)
    }
}

/// Where the next header starts after `size` bytes of data from `start` (rounded up to a
/// block, as the tar reader does); `None` on overflow, which the tar reader refuses.
pub(super) fn after_data(start: u64, size: u64) -> Option<u64> {
    start.checked_add(size.checked_add(511)? & !511)
}
