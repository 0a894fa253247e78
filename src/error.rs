//! [`Error`], a convenience wrapper over the crate's error types for hosts that only
//! propagate.
//!
//! Each domain keeps its own error type in its own `error.rs` file (`money`, `customer`,
//! `facts`, `rules`, `segment`, `predict`; the config's diagnostics in `diagnostic`).
//! Each is a struct with a `kind()` accessor returning a `#[non_exhaustive]` kind enum,
//! so a host can branch on what went wrong while the message (lowercase, naming the
//! record, rule or field, and saying what was expected) goes straight to a log or a user.

use crate::customer::RecordError;
use crate::diagnostic::ConfigError;
use crate::facts::{BatchError, FactsError};
use crate::kpi::KpiError;
use crate::money::MoneyError;
use crate::plan::PlanError;
use crate::predict::PredictError;
use crate::rules::RuleError;
use crate::segment::SegmentError;
use crate::service::ServiceError;

/// Any error of this crate.
///
/// Functions return their domain's error type; this enum exists so a host can use `?`
/// across domains and still match on the domain. It adds no text of its own: its
/// `Display` is the domain error's, and `source()` is the domain error's source.
///
/// # Example
///
/// ```
/// use patronage::{Error, Money};
///
/// fn parse(text: &str) -> Result<Money, Error> {
///     Ok(text.parse::<Money>()?)
/// }
/// let err = parse("12 RMB").unwrap_err();
/// assert!(matches!(err, Error::Money(_)));
/// assert_eq!(err.to_string(), "unknown currency code `RMB`: expected an ISO 4217 code such as `CNY`, `USD` or `EUR`");
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A money value could not be built or combined.
    #[error(transparent)]
    Money(#[from] MoneyError),
    /// A customer record, order, refund or interaction was rejected.
    #[error(transparent)]
    Record(#[from] RecordError),
    /// Facts could not be aggregated or merged.
    #[error(transparent)]
    Facts(#[from] FactsError),
    /// A columnar batch of dated events could not be folded.
    #[error(transparent)]
    Batch(#[from] BatchError),
    /// A rule, expression or decision table was rejected, or failed to evaluate.
    #[error(transparent)]
    Rule(#[from] RuleError),
    /// The policy document (config) was rejected.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// A segmentation could not be computed.
    #[error(transparent)]
    Segment(#[from] SegmentError),
    /// A model could not be fitted or evaluated.
    #[error(transparent)]
    Predict(#[from] PredictError),
    /// The day's plan could not be made (or its config section was rejected).
    #[error(transparent)]
    Plan(#[from] PlanError),
    /// A service case, event or service policy was rejected.
    #[error(transparent)]
    Service(#[from] ServiceError),
    /// A KPI input or target was rejected.
    #[error(transparent)]
    Kpi(#[from] KpiError),
    /// A chart could not be drawn from its input (feature `charts`).
    #[cfg(feature = "charts")]
    #[error(transparent)]
    Chart(#[from] crate::charts::ChartError),
}

#[cfg(test)]
mod tests {
    use super::*;

    fn assert_error<E: std::error::Error + Send + Sync + 'static>() {}

    #[test]
    fn errors_are_send_sync_static() {
        assert_error::<Error>();
        assert_error::<MoneyError>();
        assert_error::<RecordError>();
        assert_error::<FactsError>();
        assert_error::<BatchError>();
        assert_error::<PredictError>();
        assert_error::<RuleError>();
        assert_error::<ConfigError>();
        assert_error::<SegmentError>();
    }
}
