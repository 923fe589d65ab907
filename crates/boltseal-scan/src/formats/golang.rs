//! Go build information embedded in executables (what `go version -m` prints): the Go
//! version, the main module, every dependency module with its version, `h1:` sum and
//! replacement, and the build settings (`GOOS`, `GOARCH`, `-ldflags`, `vcs.revision`, …).
//!
//! The Go linker writes a 32-byte header starting with `\xff Go buildinf:` (pointer size at
//! byte 14, flags at byte 15) into the `.go.buildinfo` section (ELF), the `__go_buildinfo`
//! section (Mach-O) or the `.data` section (PE). Go ≥ 1.18 (flag bit 1) follows it with two
//! length-prefixed strings, the version and the module text; older toolchains store two
//! pointers to Go string headers, which are followed through the executable's segments.
//! The module text is the `path`/`mod`/`dep`/`=>`/`build` line format of Go's
//! `runtime/debug.BuildInfo`, which [`parse_modinfo`] reads on its own.
//!
//! ```
//! use boltseal_scan::formats::golang::parse_modinfo;
//!
//! let info = parse_modinfo(
//!     "go1.22.5",
//!     "path\texample.com/app\nmod\texample.com/app\tv1.2.3\th1:abc=\n\
//!      dep\tgolang.org/x/sys\tv0.20.0\th1:def=\nbuild\tGOOS=linux\n",
//! )
//! .unwrap();
//! assert_eq!(info.main.as_ref().unwrap().version, "v1.2.3");
//! assert_eq!(info.deps[0].path, "golang.org/x/sys");
//! assert_eq!(info.setting("GOOS"), Some("linux"));
//! ```

use super::bytes::{Endian, find, slice, uptr_at};
use super::object::{BinaryFormat, Object};

const MAGIC: &[u8] = b"\xff Go buildinf:";
/// Longest version or module text accepted (real module texts are tens of KiB).
pub const MAX_MODINFO: usize = 16 << 20;
/// Most dependency modules accepted.
pub const MAX_DEPS: usize = 100_000;

/// Errors reading Go build information; each message is one line naming what was wrong.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum GoBuildInfoError {
    /// The build info header is cut short or its strings run past it.
    #[error("Go build info truncated: {0}")]
    Truncated(&'static str),
    /// A pointer of the pre-1.18 format leads outside the executable's mapped data.
    #[error("Go build info pointer {0:#x} is not mapped in the executable")]
    BadPointer(u64),
    /// The header names a pointer size other than 4 or 8.
    #[error("Go build info has unsupported pointer size {0}")]
    PointerSize(u8),
    /// The version string is empty or not UTF-8.
    #[error("Go build info has no valid Go version")]
    BadVersion,
    /// The module text is not UTF-8.
    #[error("Go module info is not UTF-8")]
    NotUtf8,
    /// A line of the module text does not have the expected fields.
    #[error("Go module info line {line}: {what}")]
    BadLine {
        /// 1-based line number.
        line: usize,
        /// What was wrong.
        what: &'static str,
    },
    /// More than [`MAX_DEPS`] dependency lines, or a string over [`MAX_MODINFO`] bytes.
    #[error("Go module info exceeds the limits")]
    TooLarge,
}

/// A module: path, version, `h1:` sum and, when the build replaced it, the replacement.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct GoModule {
    /// Module path (`github.com/spf13/cobra`).
    pub path: String,
    /// Version (`v1.8.1`, `(devel)` for a main module built from a checkout); empty for a
    /// replacement by a local directory.
    pub version: String,
    /// `h1:` checksum, empty when absent.
    pub sum: String,
    /// The module that replaced this one (`=>` line), if any.
    pub replace: Option<Box<GoModule>>,
}

impl GoModule {
    /// A module without sum or replacement.
    #[must_use]
    pub fn new(path: impl Into<String>, version: impl Into<String>) -> GoModule {
        GoModule {
            path: path.into(),
            version: version.into(),
            ..GoModule::default()
        }
    }
}

/// Build information of one Go executable.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct BuildInfo {
    /// Toolchain version (`go1.22.5`).
    pub go_version: String,
    /// Import path of the main package (`github.com/anchore/syft/cmd/syft`); empty when the
    /// binary carries no module information.
    pub path: String,
    /// The main module, when built in module mode.
    pub main: Option<GoModule>,
    /// Dependency modules in the order recorded.
    pub deps: Vec<GoModule>,
    /// Build settings (`-buildmode`, `-ldflags`, `CGO_ENABLED`, `GOARCH`, `GOOS`,
    /// `vcs.revision`, `vcs.time`, …) in the order recorded.
    pub settings: Vec<(String, String)>,
    /// The executable format the information came from (`None` from [`parse_modinfo`]).
    pub format: Option<BinaryFormat>,
}

impl BuildInfo {
    /// The value of build setting `key`, if recorded.
    #[must_use]
    pub fn setting(&self, key: &str) -> Option<&str> {
        self.settings
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// The module text in Go's format (the inverse of [`parse_modinfo`]).
    #[must_use]
    pub fn to_modinfo(&self) -> String {
        fn module(out: &mut String, word: &str, m: &GoModule) {
            out.push_str(&format!("{word}\t{}\t{}", m.path, m.version));
            if !m.sum.is_empty() {
                out.push('\t');
                out.push_str(&m.sum);
            }
            out.push('\n');
            if let Some(r) = &m.replace {
                module(out, "=>", r);
            }
        }
        let mut out = String::new();
        if !self.path.is_empty() {
            out.push_str(&format!("path\t{}\n", self.path));
        }
        if let Some(m) = &self.main {
            module(&mut out, "mod", m);
        }
        for d in &self.deps {
            module(&mut out, "dep", d);
        }
        for (k, v) in &self.settings {
            out.push_str(&format!(
                "build\t{}={}\n",
                quote_if(k, " \t\r\n=\"`"),
                quote_if(v, " \t\r\n\"`")
            ));
        }
        out
    }
}

/// Reads the Go build information of an ELF, PE or Mach-O executable.
///
/// Returns `Ok(None)` when `bytes` is not an executable or carries no Go build information.
///
/// # Errors
///
/// A [`GoBuildInfoError`] when the build information is present but malformed.
pub fn read_build_info(bytes: &[u8]) -> Result<Option<BuildInfo>, GoBuildInfoError> {
    let Some(obj) = Object::parse(bytes) else {
        return Ok(None);
    };
    let Some(blob) = find_blob(&obj, bytes) else {
        return Ok(None);
    };
    let (version, modinfo) = blob_strings(&obj, blob)?;
    let version = std::str::from_utf8(&version).map_err(|_| GoBuildInfoError::BadVersion)?;
    let modinfo = strip_sentinels(&modinfo);
    let modinfo = std::str::from_utf8(modinfo).map_err(|_| GoBuildInfoError::NotUtf8)?;
    let mut info = parse_modinfo(version, modinfo)?;
    info.format = Some(obj.format);
    Ok(Some(info))
}

fn find_blob<'a>(obj: &Object<'a>, file: &'a [u8]) -> Option<&'a [u8]> {
    for name in [&b".go.buildinfo"[..], b"__go_buildinfo"] {
        if let Some(s) = obj.section(name)
            && let Some(at) = find(s.data, MAGIC, 0)
        {
            return s.data.get(at..);
        }
    }
    // PE and older layouts: the header sits 16-byte aligned in the data section.
    for name in [&b".data"[..], b"__data", b".noptrdata", b"__noptrdata"] {
        if let Some(s) = obj.section(name) {
            let mut from = 0;
            while let Some(at) = find(s.data, MAGIC, from) {
                if at % 16 == 0 {
                    return s.data.get(at..);
                }
                from = at + 1;
            }
        }
    }
    // Section headers stripped: look through the whole file.
    if obj.sections.is_empty() {
        return find(file, MAGIC, 0).and_then(|at| file.get(at..));
    }
    None
}

/// Go's unsigned LEB128 varint: (value, length).
fn uvarint(b: &[u8]) -> Option<(u64, usize)> {
    let mut v: u64 = 0;
    for (i, &c) in b.iter().enumerate().take(10) {
        if i == 9 && c > 1 {
            return None;
        }
        v |= u64::from(c & 0x7f) << (7 * i);
        if c & 0x80 == 0 {
            return Some((v, i + 1));
        }
    }
    None
}

fn blob_strings(obj: &Object<'_>, blob: &[u8]) -> Result<(Vec<u8>, Vec<u8>), GoBuildInfoError> {
    let head = slice(blob, 0, 32).ok_or(GoBuildInfoError::Truncated("header"))?;
    let ptr_size = head[14];
    let flags = head[15];
    if flags & 2 != 0 {
        let mut rest = &blob[32..];
        let mut read = || -> Result<Vec<u8>, GoBuildInfoError> {
            let (len, n) = uvarint(rest).ok_or(GoBuildInfoError::Truncated("string length"))?;
            let len = usize::try_from(len).map_err(|_| GoBuildInfoError::TooLarge)?;
            if len > MAX_MODINFO {
                return Err(GoBuildInfoError::TooLarge);
            }
            let s = slice(rest, n, len).ok_or(GoBuildInfoError::Truncated("string"))?;
            rest = &rest[n + len..];
            Ok(s.to_vec())
        };
        let v = read()?;
        let m = read()?;
        return Ok((v, m));
    }
    let ps = usize::from(ptr_size);
    if ps != 4 && ps != 8 {
        return Err(GoBuildInfoError::PointerSize(ptr_size));
    }
    let e = if flags & 1 != 0 {
        Endian::Big
    } else {
        Endian::Little
    };
    let string_at = |addr: u64| -> Result<Vec<u8>, GoBuildInfoError> {
        let hdr = obj
            .read_at(addr, 2 * ps as u64)
            .ok_or(GoBuildInfoError::BadPointer(addr))?;
        let data = uptr_at(hdr, 0, ps, e).ok_or(GoBuildInfoError::BadPointer(addr))?;
        let len = uptr_at(hdr, ps, ps, e).ok_or(GoBuildInfoError::BadPointer(addr))?;
        if len > MAX_MODINFO as u64 {
            return Err(GoBuildInfoError::TooLarge);
        }
        if len == 0 {
            return Ok(Vec::new());
        }
        obj.read_at(data, len)
            .map(<[u8]>::to_vec)
            .ok_or(GoBuildInfoError::BadPointer(data))
    };
    let vp = uptr_at(blob, 16, ps, e).ok_or(GoBuildInfoError::Truncated("pointers"))?;
    let mp = uptr_at(blob, 16 + ps, ps, e).ok_or(GoBuildInfoError::Truncated("pointers"))?;
    Ok((string_at(vp)?, string_at(mp)?))
}

/// The module text without the 16-byte markers the linker puts around it.
fn strip_sentinels(m: &[u8]) -> &[u8] {
    if m.len() >= 33 && m[m.len() - 17] == b'\n' {
        &m[16..m.len() - 16]
    } else {
        m
    }
}

/// Parses Go's module text (`runtime/debug.BuildInfo` format) with the toolchain `version`.
///
/// Unknown line kinds are ignored, so newer toolchains' additions do not break reading.
///
/// # Errors
///
/// [`GoBuildInfoError::BadVersion`] for an empty version, [`GoBuildInfoError::BadLine`] for a
/// `mod`/`dep`/`=>`/`build` line with missing fields or bad quoting, and
/// [`GoBuildInfoError::TooLarge`] beyond [`MAX_DEPS`] or [`MAX_MODINFO`].
pub fn parse_modinfo(version: &str, modinfo: &str) -> Result<BuildInfo, GoBuildInfoError> {
    if version.is_empty() {
        return Err(GoBuildInfoError::BadVersion);
    }
    if version.len() > MAX_MODINFO || modinfo.len() > MAX_MODINFO {
        return Err(GoBuildInfoError::TooLarge);
    }
    let mut info = BuildInfo {
        go_version: version.to_owned(),
        ..BuildInfo::default()
    };
    // Where the last `mod`/`dep` went, for a following `=>` line.
    #[derive(Clone, Copy)]
    enum Last {
        None,
        Main,
        Dep,
    }
    let mut last = Last::None;
    for (i, line) in modinfo.split('\n').enumerate() {
        let n = i + 1;
        let bad = |what| GoBuildInfoError::BadLine { line: n, what };
        let Some((word, rest)) = line.split_once('\t') else {
            continue;
        };
        match word {
            "go" => {}
            "path" => info.path = rest.to_owned(),
            "mod" | "dep" | "=>" => {
                let f: Vec<&str> = rest.split('\t').collect();
                if f.len() > 3 || f[0].is_empty() {
                    return Err(bad(
                        "module line needs a path, a version and an optional sum",
                    ));
                }
                let m = GoModule {
                    path: f[0].to_owned(),
                    version: f.get(1).copied().unwrap_or_default().to_owned(),
                    sum: f.get(2).copied().unwrap_or_default().to_owned(),
                    replace: None,
                };
                match word {
                    "mod" => {
                        info.main = Some(m);
                        last = Last::Main;
                    }
                    "dep" => {
                        if info.deps.len() >= MAX_DEPS {
                            return Err(GoBuildInfoError::TooLarge);
                        }
                        info.deps.push(m);
                        last = Last::Dep;
                    }
                    _ => {
                        let target = match last {
                            Last::Main => info.main.as_mut(),
                            Last::Dep => info.deps.last_mut(),
                            Last::None => None,
                        };
                        let target = target.ok_or_else(|| bad("replacement without a module"))?;
                        if target.replace.is_some() {
                            return Err(bad("module replaced twice"));
                        }
                        target.replace = Some(Box::new(m));
                    }
                }
            }
            "build" => {
                let (k, v) = parse_setting(rest).ok_or_else(|| bad("malformed build setting"))?;
                info.settings.push((k, v));
                last = Last::None;
            }
            _ => {}
        }
    }
    Ok(info)
}

/// `key=value` with either side possibly Go-quoted.
fn parse_setting(s: &str) -> Option<(String, String)> {
    let (key, rest) = if s.starts_with('"') {
        let (k, used) = unquote_prefix(s)?;
        (k, s.get(used..)?.strip_prefix('=')?)
    } else {
        let (k, v) = s.split_once('=')?;
        (k.to_owned(), v)
    };
    if key.is_empty() {
        return None;
    }
    let value = if rest.starts_with('"') {
        let (v, used) = unquote_prefix(rest)?;
        if used != rest.len() {
            return None;
        }
        v
    } else {
        rest.to_owned()
    };
    Some((key, value))
}

/// A Go double-quoted string at the start of `s`: (value, bytes used).
fn unquote_prefix(s: &str) -> Option<(String, usize)> {
    let mut chars = s.char_indices();
    if chars.next()?.1 != '"' {
        return None;
    }
    let mut out = String::new();
    let mut bytes: Vec<u8> = Vec::new(); // pending \x / octal bytes
    let flush = |out: &mut String, bytes: &mut Vec<u8>| {
        if !bytes.is_empty() {
            out.push_str(&String::from_utf8_lossy(bytes));
            bytes.clear();
        }
    };
    let hex = |chars: &mut std::str::CharIndices<'_>, n: usize| -> Option<u32> {
        let mut v = 0u32;
        for _ in 0..n {
            v = v * 16 + chars.next()?.1.to_digit(16)?;
        }
        Some(v)
    };
    while let Some((i, c)) = chars.next() {
        match c {
            '"' => {
                flush(&mut out, &mut bytes);
                return Some((out, i + 1));
            }
            '\\' => {
                let (_, e) = chars.next()?;
                match e {
                    'x' => {
                        bytes.push(u8::try_from(hex(&mut chars, 2)?).ok()?);
                        continue;
                    }
                    '0'..='7' => {
                        let mut v = e.to_digit(8)?;
                        for _ in 0..2 {
                            v = v * 8 + chars.next()?.1.to_digit(8)?;
                        }
                        bytes.push(u8::try_from(v).ok()?);
                        continue;
                    }
                    _ => {}
                }
                flush(&mut out, &mut bytes);
                out.push(match e {
                    'a' => '\u{7}',
                    'b' => '\u{8}',
                    'f' => '\u{c}',
                    'n' => '\n',
                    'r' => '\r',
                    't' => '\t',
                    'v' => '\u{b}',
                    '\\' => '\\',
                    '"' => '"',
                    '\'' => '\'',
                    'u' => char::from_u32(hex(&mut chars, 4)?)?,
                    'U' => char::from_u32(hex(&mut chars, 8)?)?,
                    _ => return None,
                });
            }
            '\n' => return None,
            c => {
                flush(&mut out, &mut bytes);
                out.push(c);
            }
        }
    }
    None
}

/// `s` Go-quoted when it contains one of `special` or a control character, else as is.
fn quote_if(s: &str, special: &str) -> String {
    if !s.chars().any(|c| special.contains(c) || c.is_control()) {
        return s.to_owned();
    }
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() => out.push_str(&format!("\\u{:04x}", u32::from(c))),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Malformed build info is invalid input.
impl boltseal_core::Classify for GoBuildInfoError {
    fn kind(&self) -> boltseal_core::ErrorKind {
        boltseal_core::ErrorKind::InvalidInput
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_unquote() {
        assert_eq!(
            parse_setting(r#"-ldflags="-s -w -X main.v=1\t\"x\"""#),
            Some(("-ldflags".into(), "-s -w -X main.v=1\t\"x\"".into()))
        );
        assert_eq!(
            parse_setting(r#""a b"=c"#),
            Some(("a b".into(), "c".into()))
        );
        assert_eq!(
            parse_setting(r#"k="\xe2\x82\xac\u00e9""#),
            Some(("k".into(), "€é".into()))
        );
        assert_eq!(parse_setting("novalue"), None);
        assert_eq!(parse_setting(r#"k="open"#), None);
    }

    #[test]
    fn replacement_and_errors() {
        let info = parse_modinfo(
            "go1.20",
            "path\tx\nmod\tx\t(devel)\t\ndep\ta\tv1.0.0\th1:s=\n=>\t../a\t\n",
        )
        .unwrap();
        let r = info.deps[0].replace.as_ref().unwrap();
        assert_eq!((r.path.as_str(), r.version.as_str()), ("../a", ""));
        assert!(parse_modinfo("go1", "=>\ta\tv1\n").is_err());
        assert!(parse_modinfo("", "").is_err());
        assert_eq!(parse_modinfo("go1", "").unwrap().deps, vec![]);
    }

    #[test]
    fn sentinels() {
        let mut m = vec![b'S'; 16];
        m.extend_from_slice(b"path\tx\n");
        m.extend_from_slice(&[b'E'; 16]);
        assert_eq!(strip_sentinels(&m), b"path\tx\n");
        assert_eq!(strip_sentinels(b"short"), b"short");
    }

    #[test]
    fn varints() {
        assert_eq!(uvarint(&[0x96, 0x8c, 0x01]), Some((17942, 3)));
        assert_eq!(uvarint(&[0x80; 11]), None);
    }
}
