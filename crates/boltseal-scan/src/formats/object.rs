//! Just enough of ELF, PE and Mach-O to find a named section and map virtual addresses to file
//! offsets. Used by [`super::golang`] and [`super::auditable`]; catalogers can call
//! [`detect`] to decide cheaply whether a file is an executable worth reading.
//!
//! Only the headers are parsed; section data is borrowed from the input. Tables are bounded by
//! [`MAX_SECTIONS`] and [`MAX_SEGMENTS`].
//!
//! ```
//! use boltseal_scan::formats::object::{detect, BinaryFormat};
//! assert_eq!(detect(b"\x7fELF\x02\x01\x01"), Some(BinaryFormat::Elf));
//! assert_eq!(detect(b"#!/bin/sh\n"), None);
//! ```

use super::bytes::{Endian, cstr, slice, slice64, u16_at, u32_at, u64_at};

/// More section headers than this is treated as a malformed file.
pub const MAX_SECTIONS: usize = 65_536;
/// More program headers, segments or load commands than this is treated as malformed.
pub const MAX_SEGMENTS: usize = 65_536;

/// The executable container formats recognised by [`detect`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum BinaryFormat {
    /// ELF (Linux and most Unix systems), 32 or 64 bit, either byte order.
    Elf,
    /// PE/COFF (Windows).
    Pe,
    /// Mach-O (macOS), thin 32 or 64 bit, either byte order.
    MachO,
}

/// The executable format of `bytes`, from its magic number only.
#[must_use]
pub fn detect(bytes: &[u8]) -> Option<BinaryFormat> {
    if bytes.starts_with(b"\x7fELF") {
        return Some(BinaryFormat::Elf);
    }
    if bytes.starts_with(b"MZ") {
        return Some(BinaryFormat::Pe);
    }
    match bytes.get(..4)? {
        [0xfe, 0xed, 0xfa, 0xce | 0xcf] | [0xce | 0xcf, 0xfa, 0xed, 0xfe] => {
            Some(BinaryFormat::MachO)
        }
        _ => None,
    }
}

/// One section of a parsed executable.
#[derive(Clone, Debug)]
pub(crate) struct Section<'a> {
    pub(crate) name: Vec<u8>,
    /// File contents of the section (empty for sections without file data).
    pub(crate) data: &'a [u8],
}

/// A loaded range: `size` bytes of file data at `offset` mapped at virtual address `addr`.
#[derive(Clone, Copy, Debug)]
struct Mapping {
    addr: u64,
    offset: u64,
    size: u64,
}

/// The parts of an executable the parsers need.
#[derive(Debug)]
pub(crate) struct Object<'a> {
    pub(crate) format: BinaryFormat,
    pub(crate) sections: Vec<Section<'a>>,
    mappings: Vec<Mapping>,
    file: &'a [u8],
}

impl<'a> Object<'a> {
    /// Parses the headers of `bytes`; `None` when it is not a (well-formed enough) executable.
    pub(crate) fn parse(bytes: &'a [u8]) -> Option<Object<'a>> {
        match detect(bytes)? {
            BinaryFormat::Elf => parse_elf(bytes),
            BinaryFormat::Pe => parse_pe(bytes),
            BinaryFormat::MachO => parse_macho(bytes),
        }
    }

    /// The first section called `name` (for Mach-O, in any segment).
    pub(crate) fn section(&self, name: &[u8]) -> Option<&Section<'a>> {
        self.sections.iter().find(|s| s.name == name)
    }

    /// `len` bytes of file data at virtual address `addr`, when mapped.
    pub(crate) fn read_at(&self, addr: u64, len: u64) -> Option<&'a [u8]> {
        for m in &self.mappings {
            if addr >= m.addr && addr - m.addr < m.size {
                let within = addr - m.addr;
                if len > m.size - within {
                    return None;
                }
                return slice64(self.file, m.offset.checked_add(within)?, len);
            }
        }
        None
    }
}

fn parse_elf(b: &[u8]) -> Option<Object<'_>> {
    let is64 = match b.get(4)? {
        1 => false,
        2 => true,
        _ => return None,
    };
    let e = match b.get(5)? {
        1 => Endian::Little,
        2 => Endian::Big,
        _ => return None,
    };
    let w = |off: usize| -> Option<u64> {
        if is64 {
            u64_at(b, off, e)
        } else {
            u32_at(b, off, e).map(u64::from)
        }
    };
    let (phoff, shoff, phent_at) = if is64 {
        (w(32)?, w(40)?, 54)
    } else {
        (w(28)?, w(32)?, 42)
    };
    let phentsize = usize::from(u16_at(b, phent_at, e)?);
    let phnum = usize::from(u16_at(b, phent_at + 2, e)?);
    let shentsize = usize::from(u16_at(b, phent_at + 4, e)?);
    let mut shnum = usize::from(u16_at(b, phent_at + 6, e)?);
    let mut shstrndx = usize::from(u16_at(b, phent_at + 8, e)?);
    let shoff = usize::try_from(shoff).ok()?;
    let phoff = usize::try_from(phoff).ok()?;

    // Section header field offsets: (type, addr, offset, size, link).
    let (o_type, o_addr, o_off, o_size, o_link) = if is64 {
        (4, 16, 24, 32, 40)
    } else {
        (4, 12, 16, 20, 24)
    };
    let min_shent = if is64 { 64 } else { 40 };
    let mut sections = Vec::new();
    if shoff != 0 && shentsize >= min_shent {
        // Extended numbering: the real counts live in section 0.
        if shnum == 0 {
            shnum = usize::try_from(w(shoff.checked_add(o_size)?)?).ok()?;
        }
        if shstrndx == 0xffff {
            shstrndx = usize::try_from(u32_at(b, shoff.checked_add(o_link)?, e)?).ok()?;
        }
        if shnum > MAX_SECTIONS {
            return None;
        }
        let header = |i: usize| shoff.checked_add(i.checked_mul(shentsize)?);
        let data_of = |h: usize| -> Option<&[u8]> {
            if u32_at(b, h.checked_add(o_type)?, e)? == 8 {
                return Some(&[]); // SHT_NOBITS
            }
            slice64(b, w(h.checked_add(o_off)?)?, w(h.checked_add(o_size)?)?)
        };
        let strtab = header(shstrndx).and_then(&data_of).unwrap_or_default();
        for i in 0..shnum {
            let Some(h) = header(i) else { break };
            if slice(b, h, shentsize).is_none() {
                break;
            }
            let name_off = usize::try_from(u32_at(b, h, e)?).ok()?;
            let name = strtab.get(name_off..).map(cstr).unwrap_or_default();
            sections.push(Section {
                name: name.to_vec(),
                data: data_of(h).unwrap_or_default(),
            });
        }
    }

    let mut mappings = Vec::new();
    let min_phent = if is64 { 56 } else { 32 };
    if phoff != 0 && phentsize >= min_phent && phnum <= MAX_SEGMENTS {
        // Program header field offsets: (offset, vaddr, filesz).
        let (p_off, p_vaddr, p_filesz) = if is64 { (8, 16, 32) } else { (4, 8, 16) };
        for i in 0..phnum {
            let Some(h) = i.checked_mul(phentsize).and_then(|x| phoff.checked_add(x)) else {
                break;
            };
            if slice(b, h, phentsize).is_none() {
                break;
            }
            if u32_at(b, h, e)? != 1 {
                continue; // PT_LOAD only
            }
            mappings.push(Mapping {
                addr: w(h + p_vaddr)?,
                offset: w(h + p_off)?,
                size: w(h + p_filesz)?,
            });
        }
    }
    // Without program headers (relocatable objects), sections map their own addresses.
    if mappings.is_empty() {
        for i in 0..sections.len().min(shnum) {
            let Some(h) = shoff.checked_add(i.saturating_mul(shentsize)) else {
                break;
            };
            if u32_at(b, h + o_type, e) == Some(8) {
                continue;
            }
            if let (Some(addr), Some(offset), Some(size)) =
                (w(h + o_addr), w(h + o_off), w(h + o_size))
                && addr != 0
            {
                mappings.push(Mapping { addr, offset, size });
            }
        }
    }
    Some(Object {
        format: BinaryFormat::Elf,
        sections,
        mappings,
        file: b,
    })
}

fn parse_pe(b: &[u8]) -> Option<Object<'_>> {
    let e = Endian::Little;
    let pe = usize::try_from(u32_at(b, 0x3c, e)?).ok()?;
    if slice(b, pe, 4)? != b"PE\0\0" {
        return None;
    }
    let coff = pe + 4;
    let nsections = usize::from(u16_at(b, coff + 2, e)?);
    let opt_size = usize::from(u16_at(b, coff + 16, e)?);
    let opt = coff + 20;
    let image_base = match u16_at(b, opt, e)? {
        0x10b => u64::from(u32_at(b, opt + 28, e)?),
        0x20b => u64_at(b, opt + 24, e)?,
        _ => return None,
    };
    let table = opt.checked_add(opt_size)?;
    let mut sections = Vec::new();
    let mut mappings = Vec::new();
    for i in 0..nsections {
        let h = table + i * 40;
        let Some(raw) = slice(b, h, 40) else { break };
        let name = cstr(raw.get(..8)?).to_vec();
        let vsize = u64::from(u32_at(b, h + 8, e)?);
        let vaddr = image_base.checked_add(u64::from(u32_at(b, h + 12, e)?))?;
        let raw_size = u64::from(u32_at(b, h + 16, e)?);
        let raw_off = u64::from(u32_at(b, h + 20, e)?);
        let size = if vsize == 0 {
            raw_size
        } else {
            vsize.min(raw_size)
        };
        let data = slice64(b, raw_off, size).unwrap_or_default();
        mappings.push(Mapping {
            addr: vaddr,
            offset: raw_off,
            size: data.len() as u64,
        });
        sections.push(Section { name, data });
    }
    Some(Object {
        format: BinaryFormat::Pe,
        sections,
        mappings,
        file: b,
    })
}

fn parse_macho(b: &[u8]) -> Option<Object<'_>> {
    let (e, is64) = match b.get(..4)? {
        [0xfe, 0xed, 0xfa, 0xce] => (Endian::Big, false),
        [0xfe, 0xed, 0xfa, 0xcf] => (Endian::Big, true),
        [0xce, 0xfa, 0xed, 0xfe] => (Endian::Little, false),
        [0xcf, 0xfa, 0xed, 0xfe] => (Endian::Little, true),
        _ => return None,
    };
    let ncmds = usize::try_from(u32_at(b, 16, e)?).ok()?;
    if ncmds > MAX_SEGMENTS {
        return None;
    }
    let mut at = if is64 { 32 } else { 28 };
    let mut sections = Vec::new();
    let mut mappings = Vec::new();
    for _ in 0..ncmds {
        let cmd = u32_at(b, at, e)?;
        let size = usize::try_from(u32_at(b, at + 4, e)?).ok()?;
        if size < 8 {
            return None;
        }
        let w = |off: usize| -> Option<u64> {
            if is64 {
                u64_at(b, off, e)
            } else {
                u32_at(b, off, e).map(u64::from)
            }
        };
        let segment_cmd = if is64 { 0x19 } else { 0x1 };
        if cmd == segment_cmd {
            let (vmaddr, fileoff, filesize, nsects, first, sect_size) = if is64 {
                (
                    w(at + 24)?,
                    w(at + 40)?,
                    w(at + 48)?,
                    u32_at(b, at + 64, e)?,
                    72,
                    80,
                )
            } else {
                (
                    w(at + 24)?,
                    w(at + 32)?,
                    w(at + 36)?,
                    u32_at(b, at + 48, e)?,
                    56,
                    68,
                )
            };
            mappings.push(Mapping {
                addr: vmaddr,
                offset: fileoff,
                size: filesize,
            });
            let nsects = usize::try_from(nsects).ok()?;
            if nsects > MAX_SECTIONS {
                return None;
            }
            for i in 0..nsects {
                let s = at + first + i * sect_size;
                if s + sect_size > at + size {
                    break;
                }
                let Some(raw) = slice(b, s, sect_size) else {
                    break;
                };
                let name = cstr(raw.get(..16)?).to_vec();
                let (len, off) = if is64 {
                    (w(s + 40)?, u32_at(b, s + 48, e)?)
                } else {
                    (w(s + 36)?, u32_at(b, s + 40, e)?)
                };
                sections.push(Section {
                    name,
                    data: slice64(b, u64::from(off), len).unwrap_or_default(),
                });
            }
        }
        at = at.checked_add(size)?;
    }
    Some(Object {
        format: BinaryFormat::MachO,
        sections,
        mappings,
        file: b,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detects_magics() {
        assert_eq!(detect(b"MZ\x90\0"), Some(BinaryFormat::Pe));
        assert_eq!(detect(&[0xcf, 0xfa, 0xed, 0xfe]), Some(BinaryFormat::MachO));
        assert_eq!(detect(&[0xca, 0xfe, 0xba, 0xbe]), None);
        assert_eq!(detect(b""), None);
    }

    #[test]
    fn garbage_is_not_an_object() {
        assert!(Object::parse(b"\x7fELF\x02\x01\x01").is_none());
        assert!(Object::parse(b"MZ").is_none());
        assert!(Object::parse(&[0xcf, 0xfa, 0xed, 0xfe, 0, 0]).is_none());
    }
}
