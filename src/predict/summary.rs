//! Model inputs: one customer's repeat-purchase summary, the column form used to fit
//! many customers, and a builder from `(customer, date, value)` purchase rows.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use rust_decimal::prelude::ToPrimitive;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::error::{PredictError, PredictErrorKind};

/// One customer's purchase history as the BG/NBD and Gamma-Gamma models read it.
///
/// All times are in one unit the host chooses (days, weeks…) and are measured from
/// the customer's **first** purchase, the convention of the reference
/// implementations (`lifetimes`, BTYD):
///
/// - `frequency` (x): the number of *repeat* purchase periods — distinct purchase
///   days minus one, so a one-time buyer has 0;
/// - `recency` (tₓ): time from the first to the last purchase (0 when x = 0) —
///   not "days since the last purchase", which is the RFM meaning;
/// - `age` (T): time from the first purchase to the end of the observation;
/// - `mean_repeat_value`: the mean value of the repeat purchases (0 when x = 0),
///   read by Gamma-Gamma only.
///
/// # Invariants
///
/// Checked by [`RepeatSummary::new`]: all values finite and non-negative, `frequency`
/// a whole number, `recency <= age`, and `recency = 0` when `frequency = 0`. The
/// serde form is checked the same way when it is read.
///
/// # Example
///
/// ```
/// use patronage::predict::RepeatSummary;
/// use rust_decimal::Decimal;
///
/// // Two repeat purchases, the last 30.43 weeks after the first, observed for 38.86 weeks.
/// let summary = RepeatSummary::new(2.0, 30.43, 38.86)?
///     .with_mean_repeat_value(Decimal::new(2235, 2))?;
/// assert_eq!(summary.frequency(), 2.0);
/// assert_eq!(summary.mean_repeat_value(), 22.35);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "RawSummary", into = "RawSummary")]
pub struct RepeatSummary {
    frequency: f64,
    recency: f64,
    age: f64,
    mean_repeat_value: f64,
}

/// The serde shape of [`RepeatSummary`], checked on the way in.
#[derive(Clone, Copy, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSummary {
    frequency: f64,
    recency: f64,
    age: f64,
    #[serde(default)]
    mean_repeat_value: f64,
}

impl TryFrom<RawSummary> for RepeatSummary {
    type Error = PredictError;

    fn try_from(raw: RawSummary) -> Result<RepeatSummary, PredictError> {
        RepeatSummary::new(raw.frequency, raw.recency, raw.age)?
            .with_mean_repeat_value_f64(raw.mean_repeat_value)
    }
}

impl From<RepeatSummary> for RawSummary {
    fn from(summary: RepeatSummary) -> RawSummary {
        RawSummary {
            frequency: summary.frequency,
            recency: summary.recency,
            age: summary.age,
            mean_repeat_value: summary.mean_repeat_value,
        }
    }
}

impl RepeatSummary {
    /// A summary without spend (`mean_repeat_value` = 0).
    ///
    /// # Errors
    ///
    /// [`PredictErrorKind::InvalidValue`] when a value is negative or not finite or
    /// `frequency` is not a whole number; [`PredictErrorKind::RecencyAfterAge`] when
    /// `recency > age`; [`PredictErrorKind::RecencyWithoutRepeat`] when `frequency`
    /// is 0 and `recency` is not.
    ///
    /// # Example
    ///
    /// ```
    /// use patronage::predict::RepeatSummary;
    ///
    /// let err = RepeatSummary::new(1.0, 40.0, 38.86).unwrap_err();
    /// assert_eq!(
    ///     err.to_string(),
    ///     "`recency` is 40 but `age` is 38.86: expected `recency` <= `age` (both measured from the first purchase)",
    /// );
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn new(frequency: f64, recency: f64, age: f64) -> Result<RepeatSummary, PredictError> {
        check_value(
            "frequency",
            frequency,
            frequency.fract() == 0.0,
            "a non-negative whole number of repeat purchases",
        )?;
        check_value("recency", recency, true, "a non-negative finite time")?;
        check_value("age", age, true, "a non-negative finite time")?;
        if recency > age {
            return Err(PredictError::new(PredictErrorKind::RecencyAfterAge {
                recency,
                age,
            }));
        }
        if frequency == 0.0 && recency != 0.0 {
            return Err(PredictError::new(PredictErrorKind::RecencyWithoutRepeat {
                recency,
            }));
        }
        Ok(RepeatSummary {
            frequency,
            recency,
            age,
            mean_repeat_value: 0.0,
        })
    }

    /// The same summary with the mean value of the repeat purchases, converted once
    /// from money to `f64` (the model works in `f64`).
    ///
    /// # Errors
    ///
    /// [`PredictErrorKind::InvalidValue`] when the value is negative.
    ///
    /// # Example
    ///
    /// ```
    /// use patronage::predict::RepeatSummary;
    /// use rust_decimal::Decimal;
    ///
    /// let summary = RepeatSummary::new(1.0, 1.71, 38.86)?.with_mean_repeat_value(Decimal::new(1177, 2))?;
    /// assert_eq!(summary.mean_repeat_value(), 11.77);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn with_mean_repeat_value(self, value: Decimal) -> Result<RepeatSummary, PredictError> {
        // A `Decimal` always has an `f64` approximation (its range is far smaller).
        let converted = value.to_f64().unwrap_or(f64::NAN);
        self.with_mean_repeat_value_f64(converted)
    }

    /// The same summary with the mean repeat value given as `f64` (for hosts whose
    /// data is already floating point, and for summary files).
    ///
    /// # Errors
    ///
    /// [`PredictErrorKind::InvalidValue`] when the value is negative or not finite.
    ///
    /// # Example
    ///
    /// ```
    /// use patronage::predict::RepeatSummary;
    ///
    /// let err = RepeatSummary::new(1.0, 1.71, 38.86)?.with_mean_repeat_value_f64(-3.0).unwrap_err();
    /// assert_eq!(err.to_string(), "`mean_repeat_value` is -3: expected a non-negative finite value");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn with_mean_repeat_value_f64(mut self, value: f64) -> Result<RepeatSummary, PredictError> {
        check_value(
            "mean_repeat_value",
            value,
            true,
            "a non-negative finite value",
        )?;
        self.mean_repeat_value = value;
        Ok(self)
    }

    /// Repeat purchase periods (x).
    pub fn frequency(&self) -> f64 {
        self.frequency
    }

    /// Time from the first to the last purchase (tₓ).
    pub fn recency(&self) -> f64 {
        self.recency
    }

    /// Time from the first purchase to the end of the observation (T).
    pub fn age(&self) -> f64 {
        self.age
    }

    /// Mean value of the repeat purchases (0 when there are none).
    pub fn mean_repeat_value(&self) -> f64 {
        self.mean_repeat_value
    }
}

fn check_value(
    field: &'static str,
    value: f64,
    extra: bool,
    expected: &'static str,
) -> Result<(), PredictError> {
    if value.is_finite() && value >= 0.0 && extra {
        Ok(())
    } else {
        Err(PredictError::new(PredictErrorKind::InvalidValue {
            field,
            value,
            expected,
        }))
    }
}

/// Many customers' summaries as columns, the form the fits read.
///
/// Row `i` of every column belongs to the same customer; the host keeps its
/// customer ids in a parallel vector (the predictions come back in the same order).
/// Rows are checked when they are pushed, so a table is always valid; the serde form
/// (an object of four equally long arrays, `mean_repeat_value` optional) is checked
/// row by row when it is read.
///
/// # Example
///
/// ```
/// use patronage::predict::{RepeatSummary, SummaryTable};
///
/// let table: SummaryTable = [
///     RepeatSummary::new(2.0, 30.43, 38.86)?,
///     RepeatSummary::new(0.0, 0.0, 38.86)?,
/// ]
/// .into_iter()
/// .collect();
/// assert_eq!(table.len(), 2);
/// assert_eq!(table.frequency(), &[2.0, 0.0]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "RawTable")]
pub struct SummaryTable {
    frequency: Vec<f64>,
    recency: Vec<f64>,
    age: Vec<f64>,
    mean_repeat_value: Vec<f64>,
}

/// The serde shape of [`SummaryTable`], checked row by row on the way in.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTable {
    frequency: Vec<f64>,
    recency: Vec<f64>,
    age: Vec<f64>,
    #[serde(default)]
    mean_repeat_value: Option<Vec<f64>>,
}

impl TryFrom<RawTable> for SummaryTable {
    type Error = PredictError;

    fn try_from(raw: RawTable) -> Result<SummaryTable, PredictError> {
        let n_customers = raw.frequency.len();
        let mean_repeat_value = raw
            .mean_repeat_value
            .unwrap_or_else(|| vec![0.0; n_customers]);
        for (column, len) in [
            ("recency", raw.recency.len()),
            ("age", raw.age.len()),
            ("mean_repeat_value", mean_repeat_value.len()),
        ] {
            if len != n_customers {
                return Err(PredictError::new(PredictErrorKind::ColumnLength {
                    column,
                    len,
                    expected: n_customers,
                }));
            }
        }
        let mut table = SummaryTable::with_capacity(n_customers);
        let rows = raw
            .frequency
            .iter()
            .zip(&raw.recency)
            .zip(&raw.age)
            .zip(&mean_repeat_value);
        for (row, (((&frequency, &recency), &age), &value)) in rows.enumerate() {
            let summary = RepeatSummary::new(frequency, recency, age)
                .and_then(|summary| summary.with_mean_repeat_value_f64(value))
                .map_err(|err| err.at_row(row))?;
            table.push(summary);
        }
        Ok(table)
    }
}

impl SummaryTable {
    /// An empty table.
    pub fn new() -> SummaryTable {
        SummaryTable::default()
    }

    /// An empty table with room for `n_customers` rows.
    pub fn with_capacity(n_customers: usize) -> SummaryTable {
        SummaryTable {
            frequency: Vec::with_capacity(n_customers),
            recency: Vec::with_capacity(n_customers),
            age: Vec::with_capacity(n_customers),
            mean_repeat_value: Vec::with_capacity(n_customers),
        }
    }

    /// Appends one customer.
    pub fn push(&mut self, summary: RepeatSummary) {
        self.frequency.push(summary.frequency);
        self.recency.push(summary.recency);
        self.age.push(summary.age);
        self.mean_repeat_value.push(summary.mean_repeat_value);
    }

    /// The number of customers.
    pub fn len(&self) -> usize {
        self.frequency.len()
    }

    /// Whether the table has no customers.
    pub fn is_empty(&self) -> bool {
        self.frequency.is_empty()
    }

    /// Row `index`, if there is one.
    pub fn get(&self, index: usize) -> Option<RepeatSummary> {
        Some(RepeatSummary {
            frequency: *self.frequency.get(index)?,
            recency: *self.recency.get(index)?,
            age: *self.age.get(index)?,
            mean_repeat_value: *self.mean_repeat_value.get(index)?,
        })
    }

    /// The rows in order.
    pub fn iter(&self) -> impl Iterator<Item = RepeatSummary> + '_ {
        self.frequency
            .iter()
            .zip(&self.recency)
            .zip(&self.age)
            .zip(&self.mean_repeat_value)
            .map(
                |(((&frequency, &recency), &age), &mean_repeat_value)| RepeatSummary {
                    frequency,
                    recency,
                    age,
                    mean_repeat_value,
                },
            )
    }

    /// The `frequency` column.
    pub fn frequency(&self) -> &[f64] {
        &self.frequency
    }

    /// The `recency` column.
    pub fn recency(&self) -> &[f64] {
        &self.recency
    }

    /// The `age` column.
    pub fn age(&self) -> &[f64] {
        &self.age
    }

    /// The `mean_repeat_value` column.
    pub fn mean_repeat_value(&self) -> &[f64] {
        &self.mean_repeat_value
    }
}

impl FromIterator<RepeatSummary> for SummaryTable {
    fn from_iter<I: IntoIterator<Item = RepeatSummary>>(iter: I) -> SummaryTable {
        let mut table = SummaryTable::new();
        for summary in iter {
            table.push(summary);
        }
        table
    }
}

impl Extend<RepeatSummary> for SummaryTable {
    fn extend<I: IntoIterator<Item = RepeatSummary>>(&mut self, iter: I) {
        for summary in iter {
            self.push(summary);
        }
    }
}

/// Builds [`RepeatSummary`]s from purchase rows `(customer, date, value)`.
///
/// This is the convention of the reference implementations (and of SPEC R28):
/// purchases on the same date count once and their values are summed;
/// `frequency` = distinct purchase dates − 1; `recency` = first to last purchase
/// date; `age` = first purchase date to `calibration_end`; `mean_repeat_value` =
/// the mean of the daily totals of the repeat dates (the first date excluded). Times
/// are days divided by `period_days` (7 for weeks). Rows dated after
/// `calibration_end` are not part of the calibration period and are skipped (a
/// host keeps them to check the predictions), so are customers whose first purchase
/// is after it. Only purchases (as SPEC defines them: net of refunds, cancellations
/// excluded) should be given.
///
/// Memory is one entry per customer and purchase date; rows may come in any order.
///
/// # Example
///
/// ```
/// use chrono::NaiveDate;
/// use patronage::predict::SummaryBuilder;
/// use rust_decimal::Decimal;
///
/// let day = |m, d| NaiveDate::from_ymd_opt(1997, m, d).ok_or("bad date");
/// let mut builder = SummaryBuilder::new(day(9, 30)?, 7.0)?;
/// builder.add("0001", day(1, 1)?, Decimal::new(2933, 2))?;
/// builder.add("0001", day(1, 18)?, Decimal::new(2973, 2))?;
/// builder.add("0001", day(8, 2)?, Decimal::new(1496, 2))?;
/// builder.add("0001", day(12, 12)?, Decimal::new(2648, 2))?; // after calibration: skipped
/// let summaries = builder.finish()?;
/// let (id, summary) = &summaries[0];
/// assert_eq!(*id, "0001");
/// assert_eq!(summary.frequency(), 2.0);
/// assert!((summary.recency() - 213.0 / 7.0).abs() < 1e-12);
/// assert!((summary.mean_repeat_value() - 22.345).abs() < 1e-12);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug)]
pub struct SummaryBuilder<K> {
    calibration_end: NaiveDate,
    period_days: f64,
    rows_seen: usize,
    customers: BTreeMap<K, BTreeMap<NaiveDate, Decimal>>,
}

impl<K: Ord> SummaryBuilder<K> {
    /// A builder for the calibration period ending on `calibration_end` (inclusive),
    /// with times in units of `period_days` days.
    ///
    /// # Errors
    ///
    /// [`PredictErrorKind::InvalidOption`] when `period_days` is not positive and
    /// finite.
    ///
    /// # Example
    ///
    /// ```
    /// use chrono::NaiveDate;
    /// use patronage::predict::SummaryBuilder;
    ///
    /// let end = NaiveDate::from_ymd_opt(1997, 9, 30).ok_or("bad date")?;
    /// let err = SummaryBuilder::<u32>::new(end, 0.0).unwrap_err();
    /// assert_eq!(err.to_string(), "option `period_days` is 0: expected a positive number of days per time unit, such as 7 for weeks");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn new(calibration_end: NaiveDate, period_days: f64) -> Result<Self, PredictError> {
        if !(period_days.is_finite() && period_days > 0.0) {
            return Err(PredictError::new(PredictErrorKind::InvalidOption {
                name: "period_days",
                value: period_days,
                expected: "a positive number of days per time unit, such as 7 for weeks",
            }));
        }
        Ok(SummaryBuilder {
            calibration_end,
            period_days,
            rows_seen: 0,
            customers: BTreeMap::new(),
        })
    }

    /// Adds one purchase.
    ///
    /// # Errors
    ///
    /// [`PredictErrorKind::InvalidValue`] (field `value`) when the value is negative or
    /// the customer's total for that date overflows `Decimal`; the error names the
    /// row (the count of rows added before it).
    ///
    /// # Example
    ///
    /// ```
    /// use chrono::NaiveDate;
    /// use patronage::predict::SummaryBuilder;
    /// use rust_decimal::Decimal;
    ///
    /// let end = NaiveDate::from_ymd_opt(1997, 9, 30).ok_or("bad date")?;
    /// let mut builder = SummaryBuilder::new(end, 7.0)?;
    /// let err = builder.add(7, end, Decimal::new(-5, 0)).unwrap_err();
    /// assert_eq!(err.to_string(), "row 0: `value` is -5: expected a non-negative purchase value whose daily total fits a `Decimal`");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn add(
        &mut self,
        customer: K,
        date: NaiveDate,
        value: Decimal,
    ) -> Result<(), PredictError> {
        let row = self.rows_seen;
        self.rows_seen = self.rows_seen.saturating_add(1);
        let invalid = || {
            PredictError::new(PredictErrorKind::InvalidValue {
                field: "value",
                value: value.to_f64().unwrap_or(f64::NAN),
                expected: "a non-negative purchase value whose daily total fits a `Decimal`",
            })
            .at_row(row)
        };
        if value.is_sign_negative() && !value.is_zero() {
            return Err(invalid());
        }
        if date > self.calibration_end {
            return Ok(());
        }
        let day_total = self
            .customers
            .entry(customer)
            .or_default()
            .entry(date)
            .or_insert(Decimal::ZERO);
        *day_total = day_total.checked_add(value).ok_or_else(invalid)?;
        Ok(())
    }

    /// The summaries, ordered by customer.
    ///
    /// # Errors
    ///
    /// [`PredictErrorKind::InvalidValue`] (field `mean_repeat_value`) when a
    /// customer's repeat total overflows `Decimal`; the error names the customer's
    /// row in the output.
    ///
    /// # Example
    ///
    /// ```
    /// use chrono::NaiveDate;
    /// use patronage::predict::SummaryBuilder;
    /// use rust_decimal::Decimal;
    ///
    /// let end = NaiveDate::from_ymd_opt(1997, 9, 30).ok_or("bad date")?;
    /// let mut builder = SummaryBuilder::new(end, 1.0)?;
    /// builder.add(1, end, Decimal::ONE)?;
    /// let summaries = builder.finish()?;
    /// assert_eq!(summaries[0].1.age(), 0.0);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn finish(self) -> Result<Vec<(K, RepeatSummary)>, PredictError> {
        let mut out = Vec::with_capacity(self.customers.len());
        for (row, (customer, days)) in self.customers.into_iter().enumerate() {
            let mut dates = days.iter();
            let Some((&first, _)) = dates.next() else {
                continue;
            };
            let mut repeat_total = Decimal::ZERO;
            let mut repeat_days: u32 = 0;
            let mut last = first;
            for (&date, &total) in dates {
                repeat_total = repeat_total.checked_add(total).ok_or_else(|| {
                    PredictError::new(PredictErrorKind::InvalidValue {
                        field: "mean_repeat_value",
                        value: f64::INFINITY,
                        expected: "a total of repeat purchases that fits a `Decimal`",
                    })
                    .at_row(row)
                })?;
                repeat_days = repeat_days.saturating_add(1);
                last = date;
            }
            let days_between =
                |from: NaiveDate, to: NaiveDate| (to - from).num_days() as f64 / self.period_days;
            let mean = if repeat_days == 0 {
                Decimal::ZERO
            } else {
                // Dividing by a positive count cannot overflow.
                repeat_total
                    .checked_div(Decimal::from(repeat_days))
                    .unwrap_or(Decimal::ZERO)
            };
            let summary = RepeatSummary::new(
                f64::from(repeat_days),
                days_between(first, last),
                days_between(first, self.calibration_end),
            )
            .and_then(|summary| summary.with_mean_repeat_value(mean))
            .map_err(|err| err.at_row(row))?;
            out.push((customer, summary));
        }
        Ok(out)
    }
}
