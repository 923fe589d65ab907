//! The end of a command-line tool built on boltseal: every error becomes one `error:` line and
//! an exit status (0 success, 1 a check failed or something is missing, 2 usage or input error),
//! through [`Failure`] and `?`.
//!
//! ```
//! use std::process::ExitCode;
//! use boltseal_core::exit::{Code as _, Context as _, Failure, report};
//!
//! fn run() -> Result<ExitCode, Failure> {
//!     let t: boltseal_core::Timestamp = "yesterday".parse().context("--since")?;
//!     let _ = t;
//!     Ok(ExitCode::SUCCESS)
//! }
//!
//! let failure = run().unwrap_err();
//! assert_eq!(failure.code(), 2);
//! assert_eq!(failure.message(), "--since: invalid RFC 3339 timestamp \"yesterday\"");
//! let _status: ExitCode = report(failure); // prints the `error:` line
//! let refused: Result<(), Failure> = Err("signature mismatch").code(1);
//! assert_eq!(refused.unwrap_err().code(), 1);
//! ```

use std::fmt::Display;
use std::process::ExitCode;

use crate::Classify;

/// Why a tool stops: one `error:` line (none when empty) and an exit status.
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

    /// The same failure, its message prefixed with `what: `.
    #[must_use]
    pub fn context(mut self, what: impl Display) -> Failure {
        self.message = format!("{what}: {}", self.message);
        self
    }

    /// The message (without `error: `).
    #[must_use]
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The exit status.
    #[must_use]
    pub fn code(&self) -> u8 {
        self.code
    }
}

/// Every classified error converts with `?`, its kind giving the exit status
/// ([`crate::ErrorKind::exit_code`]).
impl<E: Classify> From<E> for Failure {
    fn from(e: E) -> Failure {
        Failure::new(&e, e.kind().exit_code())
    }
}

/// `?` with a message prefix: `.context(path.display())?`.
pub trait Context<T> {
    /// The error with its message prefixed by `what: ` (its own exit status).
    ///
    /// # Errors
    /// The error as a [`Failure`].
    fn context(self, what: impl Display) -> Result<T, Failure>;
}

impl<T, E: Into<Failure>> Context<T> for Result<T, E> {
    fn context(self, what: impl Display) -> Result<T, Failure> {
        self.map_err(|e| e.into().context(what))
    }
}

/// `?` with the exit status of the caller's choosing (errors that do not classify themselves,
/// or where a tool's contract says otherwise).
pub trait Code<T> {
    /// The error's message with exit status `code`.
    ///
    /// # Errors
    /// The error as a [`Failure`].
    fn code(self, code: u8) -> Result<T, Failure>;
    /// The error's message prefixed by `what: `, with exit status `code`.
    ///
    /// # Errors
    /// The error as a [`Failure`].
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

/// Prints the failure's `error:` line on stderr (newlines folded) and returns its exit status.
pub fn report(failure: Failure) -> ExitCode {
    if !failure.message.is_empty() {
        eprintln!("error: {}", failure.message.replace('\n', " "));
    }
    ExitCode::from(failure.code)
}
