//! What every example shares: one-line `error:` messages and the exit-status contract
//! (0 success, 1 a check failed or the thing asked for is missing, 2 usage or input error).
#![allow(dead_code, unreachable_pub)]

use std::process::ExitCode;

/// Parses the command line; usage errors become one `error:` line and exit status 2.
pub fn parse_args<T: clap::Parser>() -> Result<T, ExitCode> {
    match T::try_parse() {
        Ok(args) => Ok(args),
        Err(e) => match e.kind() {
            clap::error::ErrorKind::DisplayHelp | clap::error::ErrorKind::DisplayVersion => {
                let _ = e.print();
                Err(ExitCode::SUCCESS)
            }
            _ => {
                // clap's message up to its usage block, on one line: "the following required
                // arguments were not provided: --key <KEY>", not just its first line.
                let text = e.to_string();
                let message: Vec<&str> = text
                    .lines()
                    .map(str::trim)
                    .take_while(|l| !l.is_empty() && !l.starts_with("Usage:"))
                    .collect();
                let message = message.join(" ");
                let message = message.strip_prefix("error: ").unwrap_or(&message);
                let message = if message.is_empty() {
                    "invalid arguments"
                } else {
                    message
                };
                eprintln!("error: {message}");
                Err(ExitCode::from(2))
            }
        },
    }
}

/// Prints `error: <message>` (one line) and returns `code`.
pub fn fail(message: impl std::fmt::Display, code: u8) -> ExitCode {
    let text = message.to_string().replace('\n', " ");
    eprintln!("error: {text}");
    ExitCode::from(code)
}

/// The exit status for a store error: missing things and failed checks are 1, bad input 2.
pub fn store_exit(e: &boltseal::oci::Error) -> u8 {
    use boltseal::oci::ErrorKind;
    match e.kind() {
        ErrorKind::Usage => 2,
        _ => 1,
    }
}

/// A tokio runtime for the example's I/O.
pub fn runtime() -> tokio::runtime::Runtime {
    match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            std::process::exit(2);
        }
    }
}

/// `12.3 MiB`-style sizes.
pub fn human_size(bytes: u64) -> String {
    const UNITS: [&str; 4] = ["B", "KiB", "MiB", "GiB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{bytes} B")
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

/// Reads the private key at `path`, with the password from `COSIGN_PASSWORD` or a prompt.
pub fn load_private_key(path: &std::path::Path) -> Result<boltseal::keys::PrivateKey, ExitCode> {
    let password = boltseal::keys::read_password(false).map_err(|e| fail(e, 2))?;
    boltseal::keys::read_private_key(path, &password)
        .map_err(|e| fail(format!("{}: {e}", path.display()), 2))
}

/// Splits `k=v` annotations (`-a env=prod`).
pub fn parse_annotation(s: &str) -> Result<(String, String), String> {
    match s.split_once('=') {
        Some((k, v)) if !k.is_empty() => Ok((k.to_owned(), v.to_owned())),
        _ => Err(format!("annotation {s:?} is not key=value")),
    }
}

/// The signing identity (`docker-reference`) for an image location: the registry repository
/// with the tag it was named by; for a layout `localhost/<directory name>[:tag]`.
pub fn identity_for(location: &boltseal::oci::ImageLocation) -> String {
    use boltseal::oci::{ImageLocation, ManifestRef};
    match location {
        ImageLocation::Registry(r) => match (r.digest(), r.tag()) {
            (None, Some(t)) => format!("{}:{t}", r.repository_name()),
            (None, None) => format!("{}:latest", r.repository_name()),
            _ => r.repository_name(),
        },
        ImageLocation::Layout { path, reference } => {
            let base: String = path
                .file_name()
                .map(|n| n.to_string_lossy().to_lowercase())
                .unwrap_or_default()
                .chars()
                .map(|c| {
                    if c.is_ascii_alphanumeric() || c == '.' || c == '-' || c == '_' {
                        c
                    } else {
                        '-'
                    }
                })
                .collect();
            let base = base.trim_matches(|c: char| !c.is_ascii_alphanumeric());
            let repo = format!("localhost/{}", if base.is_empty() { "image" } else { base });
            match reference {
                Some(ManifestRef::Tag(t)) => format!("{repo}:{t}"),
                _ => repo,
            }
        }
        _ => "localhost/image".to_owned(),
    }
}

/// Opens the store an image location names and resolves it to its digest, once. Errors are
/// one `error:` line with the store's exit status.
pub async fn open_and_resolve(
    image: &boltseal::oci::ImageLocation,
    allow_http_registry: bool,
) -> Result<(boltseal::oci::AnyStore, boltseal::oci::ManifestRef), ExitCode> {
    let options = boltseal::oci::RegistryOptions::new().allow_http(allow_http_registry);
    let store = image.open(&options).await.map_err(|e| {
        let code = store_exit(&e);
        fail(format!("{image}: {e}"), code)
    })?;
    let digest = image.resolve(&store).await.map_err(|e| {
        let code = store_exit(&e);
        fail(format!("{image}: {e}"), code)
    })?;
    Ok((store, boltseal::oci::ManifestRef::Digest(digest.digest)))
}
