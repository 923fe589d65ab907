//! What every example shares: [`Failure`] (an `error:` line and an exit status: 0 success, 1 a
//! check failed or something is missing, 2 usage or input error), so bodies use `?`.
#![allow(dead_code, unreachable_pub)]

pub mod verify;

pub use boltseal_core::exit::{Code, Context, Failure, report};

/// Parses the command line: a usage error is one `error:` line (clap's message up to its usage
/// block) and exit 2; `--help` and `--version` print and exit 0.
pub fn args<T: clap::Parser>() -> Result<T, Failure> {
    T::try_parse().map_err(|e| {
        if !e.use_stderr() {
            let _ = e.print();
            return Failure::new("", 0);
        }
        let text = e.to_string();
        let lines = text.lines().map(str::trim);
        let lines = lines.take_while(|l| !l.is_empty() && !l.starts_with("Usage:"));
        let message = lines.collect::<Vec<_>>().join(" ");
        let message = message.strip_prefix("error: ").unwrap_or(&message);
        let message = Some(message).filter(|m| !m.is_empty());
        Failure::usage(message.unwrap_or("invalid arguments"))
    })
}

/// Reads an input file; an unreadable one is an input error (2) naming the path.
pub fn read(path: &std::path::Path) -> Result<Vec<u8>, Failure> {
    std::fs::read(path).code(2).context(path.display())
}

/// A tokio runtime for the example's I/O (exit status 2 if it cannot start).
pub fn runtime() -> tokio::runtime::Runtime {
    let mut builder = tokio::runtime::Builder::new_multi_thread();
    let runtime = builder.worker_threads(2).enable_all().build();
    runtime.unwrap_or_else(|e| {
        eprintln!("error: cannot start the async runtime: {e}");
        std::process::exit(2);
    })
}

/// Reads the private key at `path`, with the password from `COSIGN_PASSWORD` or a prompt;
/// every failure is an input error (2).
pub fn private_key(path: &std::path::Path) -> Result<boltseal::keys::PrivateKey, Failure> {
    let password = boltseal::keys::read_password(false).code(2)?;
    let key = boltseal::keys::read_private_key(path, &password);
    key.code(2).context(path.display())
}

/// Splits `k=v` annotations (`-a env=prod`).
pub fn parse_annotation(s: &str) -> Result<(String, String), String> {
    match s.split_once('=') {
        Some((k, v)) if !k.is_empty() => Ok((k.to_owned(), v.to_owned())),
        _ => Err(format!("annotation {s:?} is not key=value")),
    }
}
