//! Registry credentials: docker/podman credential files, credential helpers, and the
//! `WWW-Authenticate` challenge grammar.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use base64::Engine as _;
use serde::Deserialize;

use crate::error::{Error, Result};

/// Credential files and helper outputs are small; anything larger is refused.
const MAX_CREDENTIAL_BYTES: u64 = 1024 * 1024;

/// How to authenticate to a registry.
#[non_exhaustive]
#[derive(Clone, PartialEq, Eq, Default)]
pub enum Credential {
    /// No credentials (anonymous tokens are still fetched when the registry asks).
    #[default]
    Anonymous,
    /// A user name and password (or personal access token).
    Basic {
        /// The user name.
        username: String,
        /// The password.
        password: String,
    },
    /// A registry token sent as `Authorization: Bearer`.
    Bearer(String),
}

impl fmt::Debug for Credential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Never print secrets.
        match self {
            Credential::Anonymous => f.write_str("Anonymous"),
            Credential::Basic { username, .. } => f
                .debug_struct("Basic")
                .field("username", username)
                .finish_non_exhaustive(),
            Credential::Bearer(_) => f.write_str("Bearer(..)"),
        }
    }
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct AuthFile {
    #[serde(default)]
    auths: BTreeMap<String, AuthEntry>,
    #[serde(default)]
    cred_helpers: BTreeMap<String, String>,
    #[serde(default)]
    creds_store: Option<String>,
}

#[derive(Deserialize, Default)]
struct AuthEntry {
    #[serde(default)]
    auth: Option<String>,
    #[serde(default)]
    username: Option<String>,
    #[serde(default)]
    password: Option<String>,
    #[serde(default)]
    registrytoken: Option<String>,
}

/// The credential files consulted, in order: `REGISTRY_AUTH_FILE`, podman's
/// `$XDG_RUNTIME_DIR/containers/auth.json`, then docker's `$DOCKER_CONFIG/config.json` or
/// `~/.docker/config.json`.
#[must_use]
pub fn credential_files() -> Vec<PathBuf> {
    let mut files = Vec::new();
    if let Some(p) = std::env::var_os("REGISTRY_AUTH_FILE") {
        files.push(PathBuf::from(p));
    }
    if let Some(p) = std::env::var_os("XDG_RUNTIME_DIR") {
        files.push(PathBuf::from(p).join("containers/auth.json"));
    }
    if let Some(p) = std::env::var_os("DOCKER_CONFIG") {
        files.push(PathBuf::from(p).join("config.json"));
    } else if let Some(home) = std::env::var_os("HOME") {
        files.push(PathBuf::from(home).join(".docker/config.json"));
    }
    files
}

/// Looks up the credential for `registry` (host and port) and `repository` in the usual files.
///
/// A file that does not exist is skipped; a file that exists but cannot be read or parsed is an
/// error (silently going anonymous would hide the problem).
///
/// # Errors
/// [`Error::Credentials`] naming the file or helper.
pub fn credential_for(registry: &str, repository: &str) -> Result<Credential> {
    for file in credential_files() {
        if let Some(c) = credential_from_file(&file, registry, repository)? {
            return Ok(c);
        }
    }
    Ok(Credential::Anonymous)
}

/// Looks up `registry` in one credential file. `Ok(None)` when the file is absent or has no
/// entry for the registry.
///
/// # Errors
/// [`Error::Credentials`] when the file or a helper it names is unusable.
pub fn credential_from_file(
    file: &Path,
    registry: &str,
    repository: &str,
) -> Result<Option<Credential>> {
    let bad = |reason: String| Error::Credentials {
        source_name: file.display().to_string(),
        reason,
    };
    let bytes = match read_small(file) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(bad(e.to_string())),
    };
    let parsed: AuthFile = serde_json::from_slice(&bytes).map_err(|e| bad(e.to_string()))?;
    let host_keys = host_aliases(registry);
    if let Some(helper) = host_keys.iter().find_map(|k| parsed.cred_helpers.get(k)) {
        return run_helper(helper, registry).map(Some);
    }
    // Longest matching key wins: `host/namespace` entries (podman) before `host`.
    let full = format!("{registry}/{repository}");
    let mut best: Option<(usize, &AuthEntry)> = None;
    for (key, entry) in &parsed.auths {
        let key = normalize_key(key);
        let hit = host_keys.contains(&key)
            || (key.contains('/') && (full == key || full.starts_with(&format!("{key}/"))));
        if hit && best.is_none_or(|(len, _)| key.len() > len) {
            best = Some((key.len(), entry));
        }
    }
    if let Some((_, entry)) = best {
        return entry_credential(entry).map(Some).map_err(bad);
    }
    if let Some(store) = &parsed.creds_store {
        return run_helper(store, registry).map(Some);
    }
    Ok(None)
}

fn read_small(path: &Path) -> std::io::Result<Vec<u8>> {
    use std::io::Read;
    let file = std::fs::File::open(path)?;
    let mut out = Vec::new();
    file.take(MAX_CREDENTIAL_BYTES + 1).read_to_end(&mut out)?;
    if out.len() as u64 > MAX_CREDENTIAL_BYTES {
        return Err(std::io::Error::other("file larger than 1 MiB"));
    }
    Ok(out)
}

/// The spellings under which credential files name `registry`.
fn host_aliases(registry: &str) -> Vec<String> {
    let mut v = vec![registry.to_owned()];
    if registry == "docker.io" {
        v.push("index.docker.io".to_owned());
        v.push("registry-1.docker.io".to_owned());
    }
    v
}

/// `https://index.docker.io/v1/` → `index.docker.io`; `host:5000/ns/` → `host:5000/ns`.
fn normalize_key(key: &str) -> String {
    let k = key
        .strip_prefix("https://")
        .or_else(|| key.strip_prefix("http://"))
        .unwrap_or(key);
    let k = k.trim_end_matches('/');
    let k = k
        .strip_suffix("/v1")
        .or_else(|| k.strip_suffix("/v2"))
        .unwrap_or(k);
    k.to_owned()
}

fn entry_credential(entry: &AuthEntry) -> std::result::Result<Credential, String> {
    if let Some(token) = entry.registrytoken.as_deref().filter(|t| !t.is_empty()) {
        return Ok(Credential::Bearer(token.to_owned()));
    }
    if let Some(auth) = entry.auth.as_deref().filter(|a| !a.is_empty()) {
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(auth.trim())
            .map_err(|e| format!("`auth` is not base64: {e}"))?;
        let text = String::from_utf8(decoded).map_err(|_| "`auth` is not UTF-8".to_owned())?;
        let (user, pass) = text
            .split_once(':')
            .ok_or_else(|| "`auth` is not user:password".to_owned())?;
        return Ok(Credential::Basic {
            username: user.to_owned(),
            password: pass.to_owned(),
        });
    }
    match (&entry.username, &entry.password) {
        (Some(u), Some(p)) => Ok(Credential::Basic {
            username: u.clone(),
            password: p.clone(),
        }),
        _ => Ok(Credential::Anonymous),
    }
}

/// Runs `docker-credential-<helper> get` with the registry host on standard input.
fn run_helper(helper: &str, registry: &str) -> Result<Credential> {
    use std::io::{Read, Write};
    use std::process::{Command, Stdio};
    let name = format!("docker-credential-{helper}");
    let bad = |reason: String| Error::Credentials {
        source_name: name.clone(),
        reason,
    };
    if !helper
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'.')
    {
        return Err(bad("helper name has unexpected characters".to_owned()));
    }
    let mut child = Command::new(&name)
        .arg("get")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| bad(e.to_string()))?;
    if let Some(mut stdin) = child.stdin.take() {
        stdin
            .write_all(registry.as_bytes())
            .map_err(|e| bad(e.to_string()))?;
    }
    let mut out = Vec::new();
    if let Some(stdout) = child.stdout.take() {
        stdout
            .take(MAX_CREDENTIAL_BYTES)
            .read_to_end(&mut out)
            .map_err(|e| bad(e.to_string()))?;
    }
    let status = child.wait().map_err(|e| bad(e.to_string()))?;
    if !status.success() {
        // Helpers exit non-zero with "credentials not found" for unknown hosts.
        return Ok(Credential::Anonymous);
    }
    #[derive(Deserialize)]
    struct HelperOut {
        #[serde(rename = "Username")]
        username: String,
        #[serde(rename = "Secret")]
        secret: String,
    }
    let parsed: HelperOut = serde_json::from_slice(&out).map_err(|e| bad(e.to_string()))?;
    Ok(Credential::Basic {
        username: parsed.username,
        password: parsed.secret,
    })
}

/// A parsed `WWW-Authenticate` challenge.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Challenge {
    pub(crate) scheme: String,
    pub(crate) params: BTreeMap<String, String>,
}

/// Parses `Scheme k="v", k2=v2` (RFC 7235 auth-param syntax, quoted strings with escapes).
pub(crate) fn parse_challenge(header: &str) -> Option<Challenge> {
    let header = header.trim();
    let (scheme, mut rest) = match header.find(' ') {
        Some(i) => (&header[..i], header[i + 1..].trim_start()),
        None => (header, ""),
    };
    if scheme.is_empty() {
        return None;
    }
    let mut params = BTreeMap::new();
    while !rest.is_empty() {
        let eq = rest.find('=')?;
        let key = rest[..eq].trim().to_ascii_lowercase();
        rest = rest[eq + 1..].trim_start();
        let value;
        if let Some(stripped) = rest.strip_prefix('"') {
            let mut out = String::new();
            let mut chars = stripped.char_indices();
            let mut end = None;
            while let Some((i, c)) = chars.next() {
                match c {
                    '\\' => out.push(chars.next()?.1),
                    '"' => {
                        end = Some(i + 1);
                        break;
                    }
                    c => out.push(c),
                }
            }
            rest = &stripped[end?..];
            value = out;
        } else {
            let end = rest.find(',').unwrap_or(rest.len());
            value = rest[..end].trim().to_owned();
            rest = &rest[end..];
        }
        params.insert(key, value);
        rest = rest.trim_start();
        if let Some(r) = rest.strip_prefix(',') {
            rest = r.trim_start();
        } else if !rest.is_empty() {
            return None;
        }
    }
    Some(Challenge {
        scheme: scheme.to_ascii_lowercase(),
        params,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn challenge() {
        let c = parse_challenge(
            r#"Bearer realm="https://auth.example/token",service="reg.example",scope="repository:a/b:pull,push""#,
        )
        .unwrap();
        assert_eq!(c.scheme, "bearer");
        assert_eq!(c.params["realm"], "https://auth.example/token");
        assert_eq!(c.params["scope"], "repository:a/b:pull,push");
        let c = parse_challenge(r#"Basic realm="Registry Realm""#).unwrap();
        assert_eq!(c.scheme, "basic");
        let c = parse_challenge(r#"Bearer realm="x\"y", service=s"#).unwrap();
        assert_eq!(c.params["realm"], "x\"y");
        assert_eq!(c.params["service"], "s");
        assert!(parse_challenge(r#"Bearer realm="unterminated"#).is_none());
        assert!(parse_challenge("").is_none());
    }

    #[test]
    fn files() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("config.json");
        let auth = base64::engine::general_purpose::STANDARD.encode("alice:s3cret");
        std::fs::write(
            &f,
            format!(
                r#"{{"auths":{{"https://index.docker.io/v1/":{{"auth":"{auth}"}},"127.0.0.1:5000":{{"username":"bob","password":"pw"}},"127.0.0.1:5000/team":{{"registrytoken":"tok"}}}}}}"#
            ),
        )
        .unwrap();
        assert_eq!(
            credential_from_file(&f, "docker.io", "library/nginx").unwrap(),
            Some(Credential::Basic {
                username: "alice".into(),
                password: "s3cret".into()
            })
        );
        assert_eq!(
            credential_from_file(&f, "127.0.0.1:5000", "other/app").unwrap(),
            Some(Credential::Basic {
                username: "bob".into(),
                password: "pw".into()
            })
        );
        assert_eq!(
            credential_from_file(&f, "127.0.0.1:5000", "team/app").unwrap(),
            Some(Credential::Bearer("tok".into()))
        );
        assert_eq!(credential_from_file(&f, "ghcr.io", "x").unwrap(), None);
        assert_eq!(
            credential_from_file(&dir.path().join("missing.json"), "ghcr.io", "x").unwrap(),
            None
        );
        std::fs::write(&f, "{not json").unwrap();
        let err = credential_from_file(&f, "ghcr.io", "x").unwrap_err();
        assert!(err.to_string().contains("config.json"), "{err}");
        assert!(!format!("{:?}", Credential::Bearer("secret".into())).contains("secret"));
    }
}
