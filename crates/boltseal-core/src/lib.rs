#![doc = include_str!("../README.md")]
#![warn(missing_docs)]

pub mod error;
pub mod exit;
pub mod fs;
pub mod hex;
pub mod time;

pub use error::{Classify, ErrorKind};
pub use time::{Timestamp, TimestampError};
