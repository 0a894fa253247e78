//! Errors of the planner ([`PlanError`]).

use crate::diagnostic::ConfigError;

/// A plan that cannot be made: a plan section the planner rejects (every problem with its
/// path, such as `plan.caps[1].limit`), or input the planner cannot use.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{kind}")]
pub struct PlanError {
    kind: PlanErrorKind,
}

/// What went wrong while compiling a plan section or planning a day.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PlanErrorKind {
    /// The plan section has problems; each names its path in the document.
    #[error(transparent)]
    Config(ConfigError),
    /// An input list that must be ascending by customer id is not.
    #[error("{input} row {row} is for customer `{found}` after customer `{previous}`: expected rows ascending by customer id")]
    NotSorted {
        /// Which input (`profiles`, `customers`, `history`).
        input: &'static str,
        /// 0-based row.
        row: usize,
        /// The customer of the row before.
        previous: u64,
        /// The customer of the offending row.
        found: u64,
    },
    /// A profile without its customer record, or the reverse.
    #[error("customer `{customer}` has a {present} but no {missing}: expected one customer record per profile")]
    MissingRecord {
        /// The customer.
        customer: u64,
        /// What exists (`profile` or `customer record`).
        present: &'static str,
        /// What is missing.
        missing: &'static str,
    },
    /// Exact money arithmetic overflowed while summing coupon costs.
    #[error("coupon costs of budget `{budget}` overflow: amounts must stay within ±79228162514264337593543950335")]
    Overflow {
        /// The budget's name.
        budget: String,
    },
}

impl PlanError {
    pub(crate) fn new(kind: PlanErrorKind) -> PlanError {
        PlanError { kind }
    }

    /// What went wrong.
    pub fn kind(&self) -> &PlanErrorKind {
        &self.kind
    }

    /// The config problems, when the plan section was rejected.
    pub fn config_error(&self) -> Option<&ConfigError> {
        match &self.kind {
            PlanErrorKind::Config(err) => Some(err),
            _ => None,
        }
    }
}
