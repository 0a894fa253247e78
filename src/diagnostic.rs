//! Problems in a company's policy document: [`ConfigError`] (every problem found) and
//! [`ConfigDiagnostic`] (one problem or warning, with its path in the document).
//!
//! This is the vocabulary every stage uses to check its own section of the
//! [`Config`](crate::Config): `facts` checks its options, `segment` its RFM settings and
//! tables, and so on. It sits below the stages so that none of them imports
//! [`config`](crate::config), which only assembles the sections.

use std::fmt;

use crate::rules::{Diagnostic, RuleError, Severity};
use crate::service::ServiceErrorKind;

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

    /// Every diagnostic, errors and warnings, in document order, by value.
    pub fn into_diagnostics(self) -> Vec<ConfigDiagnostic> {
        self.diagnostics
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
        let prefix = |path: &str| {
            if path.is_empty() {
                parent.to_owned()
            } else {
                format!("{parent}.{path}")
            }
        };
        self.path = prefix(&self.path);
        if let ConfigErrorKind::DuplicateName { first, .. } = &mut self.kind {
            *first = prefix(first);
        }
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

    /// The rules engine's error behind this diagnostic, if the engine rejected a rule or
    /// table here.
    pub fn rule_error(&self) -> Option<&RuleError> {
        match &self.kind {
            ConfigErrorKind::Rule(err) => Some(err),
            _ => None,
        }
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
    /// A rule or decision table the rules engine rejects; the engine's error, typed
    /// (its kind, origin and span stay reachable).
    #[error(transparent)]
    Rule(RuleError),
    /// A finding of the rules engine's load-time analysis of a decision table (an
    /// unreachable row, an overlap, a gap).
    #[error("{0}")]
    Table(Diagnostic),
    /// A problem of the `service` section, as the service module reports it.
    #[error(transparent)]
    Service(ServiceErrorKind),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_prefixed_diagnostic_reads_with_its_path() {
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
