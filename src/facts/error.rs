//! Errors of facts ([`FactsError`]) and of columnar batches ([`BatchError`]).

use crate::customer::{CustomerId, RecordError};
use crate::money::{Currency, MoneyError};

/// Facts that cannot be combined or tabulated.
///
/// # Example
///
/// ```
/// use chrono::{TimeZone, Utc};
/// use patronage::{Currency, CustomerId, Facts, FactsOptions, FactsTable};
///
/// let as_of = Utc.with_ymd_and_hms(2024, 12, 31, 23, 59, 59).single().ok_or("bad date")?;
/// let one = Facts::empty(CustomerId(7));
/// let options = FactsOptions::new(as_of, Currency::CNY);
/// let err = FactsTable::from_facts(options, [one.clone(), one]).unwrap_err();
/// assert_eq!(err.to_string(), "customer `7` appears twice: expected one row of facts per customer");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{kind}")]
pub struct FactsError {
    kind: FactsErrorKind,
}

/// What went wrong with facts.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum FactsErrorKind {
    /// An `as_of` date whose end does not exist in the reference time zone.
    #[error("the end of `{date}` does not exist in time zone `{time_zone}`: expected a date within chrono's range")]
    InvalidDate {
        /// The date.
        date: String,
        /// The zone's IANA name.
        time_zone: String,
    },
    /// Two aggregates built with different options (as-of, zone, currency, window).
    #[error("cannot merge aggregates built with different options: expected `{expected}`, found `{found}`")]
    OptionsMismatch {
        /// The receiving aggregate's options.
        expected: String,
        /// The other aggregate's options.
        found: String,
    },
    /// A customer has two rows.
    #[error("customer `{customer}` appears twice: expected one row of facts per customer")]
    DuplicateCustomer {
        /// The repeated id.
        customer: CustomerId,
    },
    /// A deserialised table whose columns differ in length.
    #[error("column `{column}` has {found} rows: expected {expected}, as many as `customer_ids`")]
    ColumnLength {
        /// The column.
        column: &'static str,
        /// The number of customer ids.
        expected: usize,
        /// The column's length.
        found: usize,
    },
    /// A deserialised table whose interaction entries are out of order or point past
    /// the last row.
    #[error("interaction entry for row {row}: expected entries in ascending row order, each below {rows} (the number of customers)")]
    InteractionRow {
        /// The entry's row.
        row: usize,
        /// The number of rows.
        rows: usize,
    },
    /// A deserialised table whose customer ids are not ascending.
    #[error(
        "customer `{customer}` comes after `{previous}`: expected rows in ascending customer id"
    )]
    Unsorted {
        /// The out-of-order id.
        customer: CustomerId,
        /// The id before it.
        previous: CustomerId,
    },
    /// Merging overflowed a total.
    #[error("cannot merge the facts of customer `{customer}`: {error}")]
    Money {
        /// The customer whose totals overflowed.
        customer: CustomerId,
        /// The money error.
        error: MoneyError,
    },
}

impl FactsError {
    pub(crate) fn new(kind: FactsErrorKind) -> FactsError {
        FactsError { kind }
    }

    /// What went wrong.
    pub fn kind(&self) -> &FactsErrorKind {
        &self.kind
    }
}

/// A columnar batch of dated events that cannot be folded
/// ([`FactsTable::from_dated_events`](crate::FactsTable::from_dated_events)).
///
/// # Example
///
/// ```
/// use chrono::{NaiveDate, TimeZone, Utc};
/// use patronage::{BatchError, Currency, CustomerId, FactsOptions, FactsTable, Money};
///
/// let as_of = Utc.with_ymd_and_hms(2024, 12, 31, 23, 59, 59).single().ok_or("bad date")?;
/// let options = FactsOptions::new(as_of, Currency::CNY);
/// let day = NaiveDate::from_ymd_opt(2024, 5, 1).ok_or("bad date")?;
/// let amounts: [Money; 2] = ["5.00 CNY".parse()?, "7.00 USD".parse()?];
/// let err = FactsTable::from_dated_events(&options, &[CustomerId(1), CustomerId(2)], &[day, day], &amounts)
///     .unwrap_err();
/// assert_eq!(err.row(), Some(1));
/// assert_eq!(
///     err.to_string(),
///     "row 1: purchase of customer `2` on 2024-05-01: field `amount`: expected an amount in `CNY`, found `7.00 USD`; convert it before folding",
/// );
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum BatchError {
    /// The columns differ in length.
    #[error("column `{column}` has {found} rows: expected {expected}, as many as `customers`")]
    ColumnLength {
        /// The column, `dates` or `amounts`.
        column: &'static str,
        /// The number of customer ids.
        expected: usize,
        /// The column's length.
        found: usize,
    },
    /// More rows than one batch can index.
    #[error("expected at most {max} rows in one batch, found {found}; split the customers into shards and build one table per shard")]
    TooManyRows {
        /// The largest batch (`u32::MAX` rows).
        max: usize,
        /// The number of rows given.
        found: usize,
    },
    /// The bulk path's own bookkeeping disagreed with itself (a part's row count, a
    /// group's bounds): a bug in the crate, reported instead of losing rows.
    #[error("the bulk facts path lost count of its rows while {stage}: expected every kept row in exactly one part; this is a bug in patronage, please report it with the batch's size")]
    Inconsistent {
        /// What the path was doing.
        stage: &'static str,
    },
    /// Amounts given in minor units for a currency that has none (gold, `XAU`).
    #[error("amounts in minor units need a currency with minor units: `{currency}` has none; give the amounts as `Money` instead")]
    NoMinorUnits {
        /// The options' currency.
        currency: Currency,
    },
    /// A row was rejected: a currency other than the options', or a total that
    /// overflows.
    #[error("row {row}: {error}")]
    Row {
        /// The row's index in the columns (0-based).
        row: usize,
        /// What is wrong with the row's record.
        error: Box<RecordError>,
    },
}

impl BatchError {
    /// The index of the rejected row, when one row is at fault.
    pub fn row(&self) -> Option<usize> {
        match self {
            BatchError::Row { row, .. } => Some(*row),
            _ => None,
        }
    }

    /// The record error of the rejected row.
    pub fn record_error(&self) -> Option<&RecordError> {
        match self {
            BatchError::Row { error, .. } => Some(&**error),
            _ => None,
        }
    }
}
