//! What every example shares: one error type, [`Failure`], so bodies use `?`, and the
//! exit-status contract (0 success, 1 a check failed or the thing asked for is missing, 2 usage
//! or input error) with one-line `error:` messages. A `main` reads
//! `fn main() -> ExitCode { run().unwrap_or_else(common::report) }`.
#![allow(dead_code, unreachable_pub)]

use std::fmt::Display;
use std::process::ExitCode;

use boltseal_core::Classify;

pub mod verify;

/// Why an example stops: one `error:` line (none when the message is empty) and an exit
/// status. Every boltseal error converts with `?`, its kind giving the status
/// ([`boltseal_core::ErrorKind::exit_code`]).
#[derive(Debug)]
pub struct Failure {
    message: String,
    code: u8,
}

impl Failure {
    /// `message` with exit status `code`.
    pub fn new(message: impl Display, code: u8) -> Failure {
        Failure {
            message: message.to_string(),
            code,
        }
    }

    /// Usage or input error: exit status 2.
    pub fn usage(message: impl Display) -> Failure {
        Failure::new(message, 2)
    }

    /// A check failed or something is missing: exit status 1.
    pub fn refused(message: impl Display) -> Failure {
        Failure::new(message, 1)
    }

    /// Exit with `code` and no message (it was printed already).
    pub fn exit(code: u8) -> Failure {
        Failure::new("", code)
    }

    /// The same failure, its message prefixed with `what: `.
    pub fn context(mut self, what: impl Display) -> Failure {
        self.message = format!("{what}: {}", self.message);
        self
    }
}

impl<E: Classify> From<E> for Failure {
    fn from(e: E) -> Failure {
        Failure::new(&e, e.kind().exit_code())
    }
}

impl Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

/// `?` with a message prefix: `.context(path.display())?`.
pub trait Context<T> {
    /// The error with its message prefixed by `what: ` (its own exit status).
    fn context(self, what: impl Display) -> Result<T, Failure>;
}

impl<T, E: Into<Failure>> Context<T> for Result<T, E> {
    fn context(self, what: impl Display) -> Result<T, Failure> {
        self.map_err(|e| e.into().context(what))
    }
}

/// `?` with the exit status of the caller's choosing: `.code(2)?` (for an error that does
/// not classify itself, or where the contract says otherwise, such as an unreadable input
/// file).
pub trait Code<T> {
    /// The error's message with exit status `code`.
    fn code(self, code: u8) -> Result<T, Failure>;
    /// The error's message prefixed by `what: `, with exit status `code`.
    fn or_exit(self, code: u8, what: impl Display) -> Result<T, Failure>;
}

impl<T, E: Display> Code<T> for Result<T, E> {
    fn code(self, code: u8) -> Result<T, Failure> {
        self.map_err(|e| Failure::new(e, code))
    }

    fn or_exit(self, code: u8, what: impl Display) -> Result<T, Failure> {
        self.map_err(|e| Failure::new(format!("{what}: {e}"), code))
    }
}

/// Prints the failure's `error:` line (newlines folded) and returns its exit status.
pub fn report(failure: Failure) -> ExitCode {
    if !failure.message.is_empty() {
        eprintln!("error: {}", failure.message.replace('\n', " "));
    }
    ExitCode::from(failure.code)
}

/// Parses the command line; usage errors are one `error:` line and exit status 2, `--help`
/// and `--version` print and exit 0.
pub fn args<T: clap::Parser>() -> Result<T, Failure> {
    T::try_parse().map_err(|e| match e.kind() {
        clap::error::ErrorKind::DisplayHelp | clap::error::ErrorKind::DisplayVersion => {
            let _ = e.print();
            Failure::exit(0)
        }
        _ => {
            // clap's message up to its usage block, on one line: "the following required
            // arguments were not provided: --key <KEY>", not just its first line.
            let text = e.to_string();
            let lines: Vec<&str> = text
                .lines()
                .map(str::trim)
                .take_while(|l| !l.is_empty() && !l.starts_with("Usage:"))
                .collect();
            let message = lines.join(" ");
            let message = message.strip_prefix("error: ").unwrap_or(&message);
            Failure::usage(if message.is_empty() {
                "invalid arguments"
            } else {
                message
            })
        }
    })
}

/// Reads an input file; an unreadable one is an input error (2) naming the path.
pub fn read(path: &std::path::Path) -> Result<Vec<u8>, Failure> {
    std::fs::read(path).code(2).context(path.display())
}

/// A tokio runtime for the example's I/O (exit status 2 if it cannot start).
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

/// Reads the private key at `path`, with the password from `COSIGN_PASSWORD` or a prompt;
/// every failure is an input error (2).
pub fn private_key(path: &std::path::Path) -> Result<boltseal::keys::PrivateKey, Failure> {
    let password = boltseal::keys::read_password(false).code(2)?;
    boltseal::keys::read_private_key(path, &password)
        .code(2)
        .context(path.display())
}

/// Splits `k=v` annotations (`-a env=prod`).
pub fn parse_annotation(s: &str) -> Result<(String, String), String> {
    match s.split_once('=') {
        Some((k, v)) if !k.is_empty() => Ok((k.to_owned(), v.to_owned())),
        _ => Err(format!("annotation {s:?} is not key=value")),
    }
}

/// Opens the store an image location names and resolves it to its digest, once; errors name
/// the image.
pub async fn open(
    image: &boltseal::oci::ImageLocation,
    allow_http_registry: bool,
) -> Result<(boltseal::oci::AnyStore, boltseal::oci::ManifestRef), Failure> {
    let options = boltseal::oci::RegistryOptions::new().allow_http(allow_http_registry);
    let store = image.open(&options).await.context(image)?;
    let digest = image.resolve(&store).await.context(image)?;
    Ok((store, boltseal::oci::ManifestRef::Digest(digest.digest)))
}

/// Prints `error: <message>` (one line) and returns `code` (for examples not yet on
/// [`Failure`]).
pub fn fail(message: impl Display, code: u8) -> ExitCode {
    report(Failure::new(message, code))
}
