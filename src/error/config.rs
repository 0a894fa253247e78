//! Errors of the segmentation engine ([`SegmentError`]) and of the company's policy
//! document ([`ConfigError`]).

use std::fmt;

use crate::error::Severity;

/// A segmentation that cannot be computed: an invalid score setting, columns of
/// different lengths, or money that overflows.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{kind}")]
pub struct SegmentError {
    kind: SegmentErrorKind,
}

/// What went wrong in a segmentation.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SegmentErrorKind {
    /// A number of score bins outside `2..=100`.
    #[error("invalid number of score bins `{bins}`: expected a number from 2 to 100")]
    InvalidBins {
        /// The number as given.
        bins: u32,
    },
    /// User-given cut points that are not strictly ascending.
    #[error("cut point {index} is `{found}` but the one before it is `{previous}`: expected strictly ascending cut points")]
    CutPointsNotAscending {
        /// 0-based position of the offending cut point.
        index: usize,
        /// The cut point before it.
        previous: String,
        /// The offending cut point.
        found: String,
    },
    /// A cut-point list with no cut point, or more than 99.
    #[error(
        "{found} cut points given: expected from 1 to 99 (one fewer than the number of scores)"
    )]
    CutPointCount {
        /// How many were given.
        found: usize,
    },
    /// Two columns of one population with different lengths.
    #[error("column `{column}` has {found} rows: expected {expected}, the population size")]
    LengthMismatch {
        /// The column's name.
        column: &'static str,
        /// The population size.
        expected: usize,
        /// The column's length.
        found: usize,
    },
    /// A population larger than the engine indexes (`u32` rows).
    #[error("population of {found} customers: expected at most 4294967295 per segmentation (split it into shards)")]
    TooManyCustomers {
        /// The population size.
        found: usize,
    },
    /// Exact money arithmetic overflowed.
    #[error("`{operation}` overflows: amounts must stay within ±79228162514264337593543950335")]
    Overflow {
        /// The operation that overflowed.
        operation: String,
    },
    /// A facts table in another currency than the segmenter's.
    #[error("facts in `{found}`: expected amounts in `{expected}`, the currency the config was compiled for")]
    CurrencyMismatch {
        /// The segmenter's currency.
        expected: String,
        /// The table's currency.
        found: String,
    },
    /// An `as_of` date whose end does not exist in the reference time zone.
    #[error("the end of `{date}` does not exist in time zone `{time_zone}`: expected a date within chrono's range")]
    InvalidDate {
        /// The date.
        date: String,
        /// The zone's IANA name.
        time_zone: String,
    },
    /// Rank scores asked of one shard of a base.
    #[error("rank scores need the whole population in one segmentation: expected quantile scores or fixed cut points for a shard")]
    RankNeedsWholePopulation,
    /// Two segmentations that cannot be compared.
    #[error("cannot compare segmentations: {reason}")]
    Incomparable {
        /// Why, e.g. the two use different tier names.
        reason: String,
    },
}

impl SegmentError {
    pub(crate) fn new(kind: SegmentErrorKind) -> SegmentError {
        SegmentError { kind }
    }

    pub(crate) fn overflow(operation: impl fmt::Display) -> SegmentError {
        SegmentError::new(SegmentErrorKind::Overflow {
            operation: operation.to_string(),
        })
    }

    /// What went wrong.
    pub fn kind(&self) -> &SegmentErrorKind {
        &self.kind
    }
}

/// A company's policy document that cannot be used: every problem found, each with its
/// path in the document (`tiers.rows[2].recency_days`).
///
/// Validation does not stop at the first problem: a company fixing its config sees all
/// of them at once. Warnings (an unreachable row, say) never make an error on their own;
/// they are returned beside a valid config.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub struct ConfigError {
    diagnostics: Vec<ConfigDiagnostic>,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let errors: Vec<&ConfigDiagnostic> =
            self.diagnostics.iter().filter(|d| d.is_error()).collect();
        let n = errors.len();
        write!(
            f,
            "{n} problem{} in the config: ",
            if n == 1 { "" } else { "s" }
        )?;
        for (idx, diagnostic) in errors.iter().enumerate() {
            if idx > 0 {
                f.write_str("; ")?;
            }
            write!(f, "{diagnostic}")?;
        }
        Ok(())
    }
}

impl ConfigError {
    pub(crate) fn new(diagnostics: Vec<ConfigDiagnostic>) -> ConfigError {
        ConfigError { diagnostics }
    }

    /// Every diagnostic, errors and warnings, in document order.
    pub fn diagnostics(&self) -> &[ConfigDiagnostic] {
        &self.diagnostics
    }
}

/// One problem of a config, at a path such as `tiers.rows[2].recency_days`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConfigDiagnostic {
    severity: Severity,
    path: String,
    kind: ConfigErrorKind,
}

impl fmt::Display for ConfigDiagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if !self.path.is_empty() {
            write!(f, "{}: ", self.path)?;
        }
        write!(f, "{}", self.kind)?;
        if self.severity == Severity::Warning {
            f.write_str(" (warning)")?;
        }
        Ok(())
    }
}

impl ConfigDiagnostic {
    pub(crate) fn error(path: &str, kind: ConfigErrorKind) -> ConfigDiagnostic {
        ConfigDiagnostic {
            severity: Severity::Error,
            path: path.to_owned(),
            kind,
        }
    }

    pub(crate) fn warning(path: &str, kind: ConfigErrorKind) -> ConfigDiagnostic {
        ConfigDiagnostic {
            severity: Severity::Warning,
            path: path.to_owned(),
            kind,
        }
    }

    /// The same diagnostic under a parent path (`rows[3]` → `rfm.segments.rows[3]`).
    pub(crate) fn prefixed(mut self, parent: &str) -> ConfigDiagnostic {
        self.path = if self.path.is_empty() {
            parent.to_owned()
        } else {
            format!("{parent}.{}", self.path)
        };
        self
    }

    /// Error or warning.
    pub fn severity(&self) -> Severity {
        self.severity
    }

    /// Whether it is an error.
    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }

    /// Where in the document, e.g. `tiers.rows[2].recency_days`.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// What is wrong.
    pub fn kind(&self) -> &ConfigErrorKind {
        &self.kind
    }
}

/// What is wrong at one place of a config.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigErrorKind {
    /// A value outside its allowed range.
    #[error("expected {expected}, found `{found}`")]
    OutOfRange {
        /// What is allowed.
        expected: String,
        /// The value as given.
        found: String,
    },
    /// A bound not above the one before it.
    #[error("expected a value above `{previous}`, found `{found}`")]
    NotAscending {
        /// The bound before.
        previous: String,
        /// The offending bound.
        found: String,
    },
    /// An empty name.
    #[error("expected a name, found an empty one")]
    EmptyName,
    /// A name used twice where names must be unique.
    #[error("duplicate name `{name}`: first used at `{first}`")]
    DuplicateName {
        /// The name.
        name: String,
        /// The path of its first use.
        first: String,
    },
    /// A first-match row that no input can reach.
    #[error(
        "row {} `{name}` can never match: every score cell it covers is taken by an earlier row",
        .row + 1
    )]
    UnreachableRow {
        /// 0-based row index.
        row: usize,
        /// The row's name.
        name: String,
    },
    /// A rule or decision table the rules engine rejects, or warns about.
    #[error("{message}")]
    Rule {
        /// The rules engine's message.
        message: String,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_of_errors_hard_to_reach_from_input() {
        let too_many = SegmentError::new(SegmentErrorKind::TooManyCustomers {
            found: 5_000_000_000,
        });
        assert_eq!(
            too_many.to_string(),
            "population of 5000000000 customers: expected at most 4294967295 per segmentation (split it into shards)"
        );
        assert!(matches!(
            too_many.kind(),
            SegmentErrorKind::TooManyCustomers { .. }
        ));
        let diagnostic = ConfigDiagnostic::error("", ConfigErrorKind::EmptyName).prefixed("vip");
        assert_eq!(diagnostic.path(), "vip");
        assert_eq!(diagnostic.severity(), Severity::Error);
        let single = ConfigError::new(vec![diagnostic]);
        assert_eq!(
            single.to_string(),
            "1 problem in the config: vip: expected a name, found an empty one"
        );
    }
}
