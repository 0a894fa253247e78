//! Errors of [`kpi`](crate::kpi): a survey score outside its scale, inconsistent
//! counts, an invalid argument, target or period, an order in another currency, a case
//! whose timeline runs backwards, a series value that is not a number.

use chrono::{DateTime, Utc};

use crate::customer::{CustomerId, OrderId};
use crate::kpi::ids::{CaseId, ResponseId, Scale, StaffId};
use crate::money::Currency;

/// A KPI input, argument or target that cannot be used.
///
/// The message names the record (survey response, order, case), the argument or the
/// targets path, then says what was expected and what was found.
///
/// # Example
///
/// ```
/// use patronage::kpi::{wilson, KpiErrorKind};
///
/// let err = wilson(11, 10, 0.95).unwrap_err();
/// assert!(matches!(err.kind(), KpiErrorKind::CountsInconsistent { .. }));
/// assert_eq!(err.to_string(), "`successes` is 11 but `trials` is 10: expected `successes` <= `trials`");
/// ```
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
#[error("{kind}")]
pub struct KpiError {
    kind: KpiErrorKind,
}

impl KpiError {
    pub(crate) fn new(kind: KpiErrorKind) -> KpiError {
        KpiError { kind }
    }

    /// What went wrong.
    pub fn kind(&self) -> &KpiErrorKind {
        &self.kind
    }
}

impl From<KpiErrorKind> for KpiError {
    fn from(kind: KpiErrorKind) -> KpiError {
        KpiError::new(kind)
    }
}

/// What went wrong in [`kpi`](crate::kpi).
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum KpiErrorKind {
    /// A survey score lies outside the scale of its question.
    #[error("survey response {response} (customer {customer}): `{scale}` score {score} is outside its scale: expected {min} to {max}")]
    ScoreOutOfScale {
        /// The response.
        response: ResponseId,
        /// Who answered.
        customer: CustomerId,
        /// The question's scale.
        scale: Scale,
        /// The score as given.
        score: u8,
        /// The lowest score of the scale.
        min: u8,
        /// The highest score of the scale.
        max: u8,
    },
    /// A part is larger than its whole (successes above trials, promoters and
    /// detractors above answers).
    #[error(
        "`{part}` is {part_value} but `{whole}` is {whole_value}: expected `{part}` <= `{whole}`"
    )]
    CountsInconsistent {
        /// The name of the part.
        part: &'static str,
        /// Its value.
        part_value: u64,
        /// The name of the whole.
        whole: &'static str,
        /// Its value.
        whole_value: u64,
    },
    /// A numeric argument (confidence level, margin, proportion, window) is out of its
    /// domain.
    #[error("argument `{name}` is {value}: expected {expected}")]
    InvalidArgument {
        /// The argument's name.
        name: &'static str,
        /// The value as given.
        value: String,
        /// What a valid value looks like.
        expected: String,
    },
    /// A value of the targets document is out of its domain.
    #[error("`{path}` is {value}: expected {expected}")]
    InvalidTarget {
        /// The path in the document, such as `targets.nps`.
        path: String,
        /// The value as given.
        value: String,
        /// What a valid value looks like.
        expected: &'static str,
    },
    /// A calendar period cannot be built.
    #[error("period {period}: expected {expected}")]
    InvalidPeriod {
        /// The period as asked for.
        period: String,
        /// What a valid period looks like.
        expected: &'static str,
    },
    /// An order is in another currency than the report's.
    #[error("order {order} (customer {customer}): amount in `{found}`: expected `{expected}`, the currency of the report")]
    CurrencyMismatch {
        /// The order.
        order: OrderId,
        /// Its customer.
        customer: CustomerId,
        /// The report's currency.
        expected: Currency,
        /// The order's currency.
        found: Currency,
    },
    /// A sum of net spend does not fit a decimal.
    #[error("order {order} (customer {customer}): net spend overflows the period total: expected totals below 7.9e28")]
    MoneyOverflow {
        /// The order whose amount overflowed.
        order: OrderId,
        /// Its customer.
        customer: CustomerId,
    },
    /// A case's instant lies before the case was created.
    #[error("case {case}: `{field}` {at} is before `created_at` {created}: expected an instant at or after creation")]
    CaseBeforeCreation {
        /// The case.
        case: CaseId,
        /// The field: `first_response_at`, `resolved_at` or `closed.at`.
        field: &'static str,
        /// The instant as given.
        at: DateTime<Utc>,
        /// When the case was created.
        created: DateTime<Utc>,
    },
    /// Business-time durations were asked for but a case lacks one.
    #[error("case {case}: `{field}` is missing: expected business-time durations when the time basis is `business`")]
    MissingBusinessTime {
        /// The case.
        case: CaseId,
        /// The missing field.
        field: &'static str,
    },
    /// A customer is assigned to two operators.
    #[error("customer {customer} is assigned to operators {first} and {second}: expected one operator per customer")]
    ConflictingAssignment {
        /// The customer.
        customer: CustomerId,
        /// The first operator named.
        first: StaffId,
        /// The second operator named.
        second: StaffId,
    },
    /// A value of a KPI series is not a finite number.
    #[error("series value at index {index} is {value}: expected a finite number")]
    NonFiniteValue {
        /// The position in the series.
        index: usize,
        /// The value as given.
        value: f64,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_is_send_sync_static() {
        fn check<T: Send + Sync + 'static>() {}
        check::<KpiError>();
    }
}
