//! The distribution from `/etc/os-release` (or `/usr/lib/os-release`).

use crate::index::FileIndex;

/// What os-release says about the distribution.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Distro {
    /// `ID` (`debian`, `alpine`, `ubuntu`).
    pub id: String,
    /// `VERSION_ID` (`12`, `3.20.3`).
    pub version_id: Option<String>,
    /// `ID_LIKE`, split on spaces.
    pub id_like: Vec<String>,
    /// `NAME`.
    pub name: Option<String>,
    /// `PRETTY_NAME`.
    pub pretty_name: Option<String>,
    /// `VERSION`.
    pub version: Option<String>,
    /// `VERSION_CODENAME`.
    pub version_codename: Option<String>,
    /// `BUILD_ID` (rolling distributions).
    pub build_id: Option<String>,
    /// `HOME_URL`.
    pub home_url: Option<String>,
}

impl Distro {
    /// Parses os-release text: `KEY=value` lines, values optionally in single or double
    /// quotes with backslash escapes; comments and malformed lines are ignored. `None` when
    /// there is no `ID`.
    ///
    /// ```
    /// let d = boltseal_scan::Distro::parse("ID=debian\nVERSION_ID=\"12\"\nPRETTY_NAME='Debian 12'\n").unwrap();
    /// assert_eq!((d.id.as_str(), d.version_id.as_deref()), ("debian", Some("12")));
    /// assert_eq!(d.purl_qualifier().as_deref(), Some("debian-12"));
    /// ```
    #[must_use]
    pub fn parse(text: &str) -> Option<Distro> {
        let mut d = Distro::default();
        for line in text.lines() {
            let line = line.trim();
            if line.starts_with('#') {
                continue;
            }
            let Some((key, raw)) = line.split_once('=') else {
                continue;
            };
            let value = unquote(raw.trim());
            let value = value.trim();
            let set = |v: &str| (!v.is_empty()).then(|| v.to_owned());
            match key.trim() {
                "ID" => d.id = value.to_ascii_lowercase(),
                "VERSION_ID" => d.version_id = set(value),
                "ID_LIKE" => {
                    d.id_like = value
                        .split_whitespace()
                        .map(str::to_ascii_lowercase)
                        .collect();
                }
                "NAME" => d.name = set(value),
                "PRETTY_NAME" => d.pretty_name = set(value),
                "VERSION" => d.version = set(value),
                "VERSION_CODENAME" => d.version_codename = set(value),
                "BUILD_ID" => d.build_id = set(value),
                "HOME_URL" => d.home_url = set(value),
                _ => {}
            }
        }
        (!d.id.is_empty()).then_some(d)
    }

    /// Finds the distribution in an image: `/etc/os-release`, then `/usr/lib/os-release`
    /// (links resolved inside the image).
    #[must_use]
    pub fn detect(index: &FileIndex) -> Option<Distro> {
        ["/etc/os-release", "/usr/lib/os-release"]
            .iter()
            .find_map(|p| {
                index
                    .read(p)
                    .and_then(|b| Distro::parse(&String::from_utf8_lossy(b)))
            })
    }

    /// The `distro=` purl qualifier: `<ID>-<VERSION_ID>`, else `<ID>-<BUILD_ID>`, else `<ID>`.
    #[must_use]
    pub fn purl_qualifier(&self) -> Option<String> {
        match (&self.version_id, &self.build_id) {
            (Some(v), _) => Some(format!("{}-{v}", self.id)),
            (None, Some(b)) => Some(format!("{}-{b}", self.id)),
            _ => Some(self.id.clone()),
        }
    }

    /// Whether the distribution is `id` or derived from it (`ID_LIKE`).
    #[must_use]
    pub fn is_like(&self, id: &str) -> bool {
        self.id == id || self.id_like.iter().any(|l| l == id)
    }
}

fn unquote(v: &str) -> String {
    let bytes = v.as_bytes();
    let quoted = bytes.len() >= 2
        && (bytes[0] == b'"' || bytes[0] == b'\'')
        && bytes[bytes.len() - 1] == bytes[0];
    if !quoted {
        return v.to_owned();
    }
    let inner = &v[1..v.len() - 1];
    let mut out = String::with_capacity(inner.len());
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            if let Some(n) = chars.next() {
                out.push(n);
            }
        } else {
            out.push(c);
        }
    }
    out
}
