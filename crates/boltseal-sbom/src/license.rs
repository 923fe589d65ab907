//! SPDX license expressions, checked with the `spdx` crate (Embark Studios).

use std::fmt;
use std::str::FromStr;

/// Why a string is not a valid SPDX license expression.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{input:?} is not a valid SPDX license expression: {reason}")]
pub struct LicenseError {
    /// The rejected expression.
    pub input: String,
    /// The parser's explanation.
    pub reason: String,
}

/// A validated SPDX license expression, kept in the spelling it was given.
///
/// `NOASSERTION` and `NONE` are accepted (SPDX allows them wherever an expression goes).
/// Parsing is strict about operators and ids, except that the `+` suffix and the deprecated
/// GNU ids (`GPL-2.0`, …) are allowed, as in real-world SBOMs.
///
/// ```
/// use boltseal_sbom::LicenseExpression;
///
/// let e: LicenseExpression = "MIT OR (Apache-2.0 WITH LLVM-exception)".parse()?;
/// assert_eq!(e.as_str(), "MIT OR (Apache-2.0 WITH LLVM-exception)");
/// assert_eq!(e.license_refs().count(), 0);
/// let r: LicenseExpression = "LicenseRef-custom AND BSD-3-Clause".parse()?;
/// assert_eq!(r.license_refs().collect::<Vec<_>>(), ["LicenseRef-custom"]);
/// assert!("MIT ORR Apache-2.0".parse::<LicenseExpression>().is_err());
/// # Ok::<(), boltseal_sbom::LicenseError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct LicenseExpression {
    text: String,
    refs: Vec<String>,
}

fn mode() -> spdx::ParseMode {
    spdx::ParseMode {
        allow_deprecated: true,
        allow_imprecise_license_names: false,
        allow_postfix_plus_on_gpl: true,
        allow_slash_as_or_operator: false,
        allow_unknown: false,
    }
}

impl LicenseExpression {
    /// Parses and validates an expression.
    ///
    /// # Errors
    ///
    /// [`LicenseError`] when the expression does not parse or names an unknown license id.
    pub fn parse(s: &str) -> Result<Self, LicenseError> {
        let trimmed = s.trim();
        if trimmed == "NOASSERTION" || trimmed == "NONE" {
            return Ok(LicenseExpression {
                text: s.to_owned(),
                refs: Vec::new(),
            });
        }
        let expr = spdx::Expression::parse_mode(trimmed, mode()).map_err(|e| LicenseError {
            input: s.to_owned(),
            reason: e.reason.to_string(),
        })?;
        let mut refs = Vec::new();
        for req in expr.requirements() {
            if let spdx::LicenseItem::Other(o) = &req.req.license {
                let id = if o.doc_ref.is_some() {
                    // DocumentRef-x:LicenseRef-y refers to another document.
                    continue;
                } else {
                    format!("LicenseRef-{}", o.lic_ref)
                };
                if !refs.contains(&id) {
                    refs.push(id);
                }
            }
        }
        Ok(LicenseExpression {
            text: s.to_owned(),
            refs,
        })
    }

    /// The expression as given.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The `LicenseRef-` ids the expression uses (without those of other documents).
    pub fn license_refs(&self) -> impl Iterator<Item = &str> {
        self.refs.iter().map(String::as_str)
    }
}

impl FromStr for LicenseExpression {
    type Err = LicenseError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        LicenseExpression::parse(s)
    }
}

impl fmt::Display for LicenseExpression {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

/// Whether `s` is one SPDX license id (no operators, no `LicenseRef-`).
pub(crate) fn is_single_id(s: &str) -> bool {
    let s = s.trim();
    !s.contains(' ') && !s.contains('(') && spdx::license_id(s).is_some()
}

/// Turns a free-text license name into a `LicenseRef-` id (`[A-Za-z0-9.-]`).
pub(crate) fn license_ref_for(name: &str) -> String {
    let mut out = String::from("LicenseRef-");
    for c in name.chars() {
        out.push(if c.is_ascii_alphanumeric() || c == '.' || c == '-' {
            c
        } else {
            '-'
        });
    }
    if out.len() == "LicenseRef-".len() {
        out.push_str("unnamed");
    }
    out
}

/// Every LicenseError is invalid input.
impl boltseal_core::Classify for LicenseError {
    fn kind(&self) -> boltseal_core::ErrorKind {
        boltseal_core::ErrorKind::InvalidInput
    }
}
