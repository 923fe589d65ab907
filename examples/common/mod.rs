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
                let text = e.to_string();
                let first = text.lines().next().unwrap_or("invalid arguments");
                let first = first.strip_prefix("error: ").unwrap_or(first);
                eprintln!("error: {first}");
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
