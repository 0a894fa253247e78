//! Model inputs: one customer's observation (x, tₓ, T in model periods, mean repeat
//! value), the column form used to fit many customers, and the bridge from the facts'
//! [`RepeatSummary`] (whole days, exact money).

use rust_decimal::prelude::ToPrimitive;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::facts::RepeatSummary;
use crate::predict::{PredictError, PredictErrorKind};

/// One customer's purchase history as the BG/NBD and Gamma-Gamma models read it.
///
/// All times are in one unit the host chooses (days, weeks…) and are measured from
/// the customer's **first** purchase, the convention of the reference
/// implementations (`lifetimes`, BTYD):
///
/// - `frequency` (x): the number of *repeat* purchase periods — distinct purchase
///   days minus one, so a one-time buyer has 0;
/// - `t_x` (tₓ): time from the first to the last purchase (0 when x = 0). The Python
///   `lifetimes` package calls it `recency`; this crate does not, because the facts'
///   [`recency_days`](crate::Facts::recency_days) is the RFM meaning, days *since* the
///   last purchase — the two move in opposite directions;
/// - `age` (T): time from the first purchase to the end of the observation period;
/// - `mean_repeat_value`: the mean value of the repeat purchases (0 when x = 0),
///   read by Gamma-Gamma only.
///
/// # Invariants
///
/// Checked by [`Observation::new`]: all values finite and non-negative, `frequency`
/// a whole number, `t_x <= age`, and `t_x = 0` when `frequency = 0`. The
/// serde form is checked the same way when it is read.
///
/// # From orders
///
/// A host that has orders does not compute these numbers itself: the facts'
/// [`RepeatSummaryBuilder`](crate::RepeatSummaryBuilder) folds orders or dated
/// purchases into one [`RepeatSummary`] per customer (whole days, exact money, in
/// the reference implementations' convention), and [`Observation::from_summary`] /
/// [`ObservationTable::from_summaries`] turn those into model periods. *Why two
/// types:* the summary is the exact record a host stores and audits; the observation
/// is the model's `f64` view of it in a time unit of the host's choosing, a choice
/// that only rescales the fitted `alpha`.
///
/// # Example
///
/// ```
/// use patronage::predict::Observation;
/// use rust_decimal::Decimal;
///
/// // Two repeat purchases, the last 30.43 weeks after the first, observed for 38.86 weeks.
/// let observation = Observation::new(2.0, 30.43, 38.86)?
///     .with_mean_repeat_value(Decimal::new(2235, 2))?;
/// assert_eq!(observation.frequency(), 2.0);
/// assert_eq!(observation.mean_repeat_value(), 22.35);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "RawObservation", into = "RawObservation")]
pub struct Observation {
    frequency: f64,
    t_x: f64,
    age: f64,
    mean_repeat_value: f64,
}

/// The serde shape of [`Observation`], checked on the way in.
#[derive(Clone, Copy, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawObservation {
    frequency: f64,
    t_x: f64,
    age: f64,
    #[serde(default)]
    mean_repeat_value: f64,
}

impl TryFrom<RawObservation> for Observation {
    type Error = PredictError;

    fn try_from(raw: RawObservation) -> Result<Observation, PredictError> {
        Observation::new(raw.frequency, raw.t_x, raw.age)?
            .with_mean_repeat_value_f64(raw.mean_repeat_value)
    }
}

impl From<Observation> for RawObservation {
    fn from(observation: Observation) -> RawObservation {
        RawObservation {
            frequency: observation.frequency,
            t_x: observation.t_x,
            age: observation.age,
            mean_repeat_value: observation.mean_repeat_value,
        }
    }
}

impl Observation {
    /// An observation without spend (`mean_repeat_value` = 0).
    ///
    /// # Errors
    ///
    /// [`PredictErrorKind::InvalidValue`] when a value is negative or not finite or
    /// `frequency` is not a whole number; [`PredictErrorKind::TxAfterAge`] when
    /// `t_x > age`; [`PredictErrorKind::TxWithoutRepeat`] when `frequency`
    /// is 0 and `t_x` is not.
    ///
    /// # Example
    ///
    /// ```
    /// use patronage::predict::Observation;
    ///
    /// let err = Observation::new(1.0, 40.0, 38.86).unwrap_err();
    /// assert_eq!(
    ///     err.to_string(),
    ///     "`t_x` is 40 but `age` is 38.86: expected `t_x` <= `age` (both measured from the first purchase)",
    /// );
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn new(frequency: f64, t_x: f64, age: f64) -> Result<Observation, PredictError> {
        check_value(
            "frequency",
            frequency,
            frequency.fract() == 0.0,
            "a non-negative whole number of repeat purchases",
        )?;
        check_value("t_x", t_x, true, "a non-negative finite time")?;
        check_value("age", age, true, "a non-negative finite time")?;
        if t_x > age {
            return Err(PredictError::new(PredictErrorKind::TxAfterAge { t_x, age }));
        }
        if frequency == 0.0 && t_x != 0.0 {
            return Err(PredictError::new(PredictErrorKind::TxWithoutRepeat { t_x }));
        }
        Ok(Observation {
            frequency,
            t_x,
            age,
            mean_repeat_value: 0.0,
        })
    }

    /// The observation of one customer's [`RepeatSummary`], with times in periods of
    /// `period_days` days (7 for weeks, the unit of the published CDNOW fits):
    /// `frequency` = `x`, `t_x` = `t_x / period_days`, `age` =
    /// `t / period_days`, and the mean repeat value converted once to `f64`.
    ///
    /// # Errors
    ///
    /// [`PredictErrorKind::InvalidOption`] when `period_days` is not positive and
    /// finite. A summary from [`RepeatSummaryBuilder`](crate::RepeatSummaryBuilder)
    /// is always consistent, but its fields are public, so a hand-made one is checked
    /// as [`Observation::new`] and [`Observation::with_mean_repeat_value`] check:
    /// [`PredictErrorKind::TxAfterAge`] when `t_x > t`,
    /// [`PredictErrorKind::TxWithoutRepeat`] when `x = 0` and `t_x > 0`,
    /// [`PredictErrorKind::InvalidValue`] when the mean repeat value is negative or
    /// a time overflows `f64` (a tiny `period_days`).
    ///
    /// # Example
    ///
    /// ```
    /// use chrono::NaiveDate;
    /// use patronage::predict::Observation;
    /// use patronage::{Currency, CustomerId, Money, RepeatSummaryBuilder};
    /// use rust_decimal::Decimal;
    ///
    /// let day = |m, d| NaiveDate::from_ymd_opt(1997, m, d).ok_or("bad date");
    /// let mut builder = RepeatSummaryBuilder::new(day(9, 30)?, Currency::USD);
    /// builder.add_purchase(CustomerId(1), day(1, 1)?, Money::new(Decimal::new(2933, 2), Currency::USD))?;
    /// builder.add_purchase(CustomerId(1), day(1, 18)?, Money::new(Decimal::new(2973, 2), Currency::USD))?;
    /// builder.add_purchase(CustomerId(1), day(8, 2)?, Money::new(Decimal::new(1496, 2), Currency::USD))?;
    /// let summaries = builder.finish()?;
    /// let weekly = Observation::from_summary(&summaries[0], 7.0)?;
    /// assert_eq!(weekly.frequency(), 2.0);
    /// assert_eq!(weekly.t_x(), 213.0 / 7.0);
    /// assert_eq!(weekly.age(), 272.0 / 7.0);
    /// assert_eq!(weekly.mean_repeat_value(), 22.345);
    ///
    /// let err = Observation::from_summary(&summaries[0], 0.0).unwrap_err();
    /// assert_eq!(
    ///     err.to_string(),
    ///     "option `period_days` is 0: expected a positive number of days per time unit, such as 7 for weeks",
    /// );
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn from_summary(
        summary: &RepeatSummary,
        period_days: f64,
    ) -> Result<Observation, PredictError> {
        check_period_days(period_days)?;
        Observation::from_summary_unchecked_period(summary, period_days)
    }

    /// [`Observation::from_summary`] once `period_days` is known to be valid.
    fn from_summary_unchecked_period(
        summary: &RepeatSummary,
        period_days: f64,
    ) -> Result<Observation, PredictError> {
        Observation::new(
            f64::from(summary.x),
            f64::from(summary.t_x) / period_days,
            f64::from(summary.t) / period_days,
        )?
        .with_mean_repeat_value(summary.mean_repeat_value)
    }

    /// The same observation with the mean value of the repeat purchases, converted once
    /// from money to `f64` (the model works in `f64`).
    ///
    /// # Errors
    ///
    /// [`PredictErrorKind::InvalidValue`] when the value is negative.
    ///
    /// # Example
    ///
    /// ```
    /// use patronage::predict::Observation;
    /// use rust_decimal::Decimal;
    ///
    /// let observation = Observation::new(1.0, 1.71, 38.86)?.with_mean_repeat_value(Decimal::new(1177, 2))?;
    /// assert_eq!(observation.mean_repeat_value(), 11.77);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn with_mean_repeat_value(self, value: Decimal) -> Result<Observation, PredictError> {
        // A `Decimal` always has an `f64` approximation (its range is far smaller).
        let converted = value.to_f64().unwrap_or(f64::NAN);
        self.with_mean_repeat_value_f64(converted)
    }

    /// The same observation with the mean repeat value given as `f64` (for hosts whose
    /// data is already floating point, and for observation files).
    ///
    /// # Errors
    ///
    /// [`PredictErrorKind::InvalidValue`] when the value is negative or not finite.
    ///
    /// # Example
    ///
    /// ```
    /// use patronage::predict::Observation;
    ///
    /// let err = Observation::new(1.0, 1.71, 38.86)?.with_mean_repeat_value_f64(-3.0).unwrap_err();
    /// assert_eq!(err.to_string(), "`mean_repeat_value` is -3: expected a non-negative finite value");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn with_mean_repeat_value_f64(mut self, value: f64) -> Result<Observation, PredictError> {
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
    pub fn t_x(&self) -> f64 {
        self.t_x
    }

    /// Time from the first purchase to the end of the observation period (T).
    pub fn age(&self) -> f64 {
        self.age
    }

    /// Mean value of the repeat purchases (0 when there are none).
    pub fn mean_repeat_value(&self) -> f64 {
        self.mean_repeat_value
    }
}

pub(crate) fn check_period_days(period_days: f64) -> Result<(), PredictError> {
    if period_days.is_finite() && period_days > 0.0 {
        Ok(())
    } else {
        Err(PredictError::new(PredictErrorKind::InvalidOption {
            name: "period_days",
            value: period_days,
            expected: "a positive number of days per time unit, such as 7 for weeks",
        }))
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

/// Many customers' observations as columns, the form the fits read.
///
/// Row `i` of every column belongs to the same customer; the host keeps its
/// customer ids in a parallel vector (the predictions come back in the same order).
/// [`ObservationTable::from_summaries`] keeps the order of the summaries it is
/// given, so their `customer` fields are that vector.
/// Rows are checked when they are pushed, so a table is always valid; the serde form
/// (an object of four equally long arrays, `mean_repeat_value` optional) is checked
/// row by row when it is read.
///
/// # Example
///
/// ```
/// use patronage::predict::{Observation, ObservationTable};
///
/// let table: ObservationTable = [
///     Observation::new(2.0, 30.43, 38.86)?,
///     Observation::new(0.0, 0.0, 38.86)?,
/// ]
/// .into_iter()
/// .collect();
/// assert_eq!(table.len(), 2);
/// assert_eq!(table.frequency(), &[2.0, 0.0]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "RawTable")]
pub struct ObservationTable {
    frequency: Vec<f64>,
    t_x: Vec<f64>,
    age: Vec<f64>,
    mean_repeat_value: Vec<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    period_days: Option<f64>,
}

/// The serde shape of [`ObservationTable`], checked row by row on the way in.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTable {
    frequency: Vec<f64>,
    t_x: Vec<f64>,
    age: Vec<f64>,
    #[serde(default)]
    mean_repeat_value: Option<Vec<f64>>,
    #[serde(default)]
    period_days: Option<f64>,
}

impl TryFrom<RawTable> for ObservationTable {
    type Error = PredictError;

    fn try_from(raw: RawTable) -> Result<ObservationTable, PredictError> {
        let n_customers = raw.frequency.len();
        let mean_repeat_value = raw
            .mean_repeat_value
            .unwrap_or_else(|| vec![0.0; n_customers]);
        for (column, len) in [
            ("t_x", raw.t_x.len()),
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
        let mut table = ObservationTable::with_capacity(n_customers);
        if let Some(days) = raw.period_days {
            table = table.with_period_days(days)?;
        }
        let rows = raw
            .frequency
            .iter()
            .zip(&raw.t_x)
            .zip(&raw.age)
            .zip(&mean_repeat_value);
        for (row, (((&frequency, &t_x), &age), &value)) in rows.enumerate() {
            let observation = Observation::new(frequency, t_x, age)
                .and_then(|observation| observation.with_mean_repeat_value_f64(value))
                .map_err(|err| err.at_row(row))?;
            table.push(observation);
        }
        Ok(table)
    }
}

impl ObservationTable {
    /// An empty table.
    pub fn new() -> ObservationTable {
        ObservationTable::default()
    }

    /// An empty table with room for `n_customers` rows.
    pub fn with_capacity(n_customers: usize) -> ObservationTable {
        ObservationTable {
            frequency: Vec::with_capacity(n_customers),
            t_x: Vec::with_capacity(n_customers),
            age: Vec::with_capacity(n_customers),
            mean_repeat_value: Vec::with_capacity(n_customers),
            period_days: None,
        }
    }

    /// This table with its time unit declared: each period is `period_days` days (7 for
    /// weeks). [`ObservationTable::from_summaries`] declares it; a table built by hand
    /// has none until this is called. A model fitted on a table keeps the table's unit,
    /// and [`ClvModel::predict_table`](crate::predict::ClvModel::predict_table) refuses a
    /// table in another unit.
    ///
    /// # Errors
    ///
    /// [`PredictErrorKind::InvalidOption`] when `period_days` is not positive and finite.
    pub fn with_period_days(self, period_days: f64) -> Result<ObservationTable, PredictError> {
        check_period_days(period_days)?;
        Ok(ObservationTable {
            period_days: Some(period_days),
            ..self
        })
    }

    /// The time unit in days, if declared (see [`ObservationTable::with_period_days`]).
    pub fn period_days(&self) -> Option<f64> {
        self.period_days
    }

    /// The observations of many customers' [`RepeatSummary`] rows, in their order, with
    /// times in periods of `period_days` days (see [`Observation::from_summary`]).
    ///
    /// # Errors
    ///
    /// [`PredictErrorKind::InvalidOption`] when `period_days` is not positive and
    /// finite (checked first, even with no summaries); otherwise the first error of
    /// [`Observation::from_summary`], naming the summary's position in `summaries`
    /// as its [`row`](PredictError::row).
    ///
    /// # Example
    ///
    /// ```
    /// use chrono::NaiveDate;
    /// use patronage::predict::{fit_bgnbd, FitOptions, ObservationTable};
    /// use patronage::{Currency, CustomerId, Money, RepeatSummary, RepeatSummaryBuilder};
    /// use rust_decimal::Decimal;
    ///
    /// let start = NaiveDate::from_ymd_opt(1997, 1, 1).ok_or("bad date")?;
    /// let end = NaiveDate::from_ymd_opt(1997, 9, 30).ok_or("bad date")?;
    /// let mut builder = RepeatSummaryBuilder::new(end, Currency::USD);
    /// for (id, days) in [(1, &[0, 17, 213][..]), (2, &[3][..]), (3, &[40, 41, 90, 200][..]), (4, &[5, 6][..])] {
    ///     for &offset in days {
    ///         let date = start + chrono::Duration::days(offset);
    ///         builder.add_purchase(CustomerId(id), date, Money::new(Decimal::new(1500, 2), Currency::USD))?;
    ///     }
    /// }
    /// let summaries = builder.finish()?;
    /// let table = ObservationTable::from_summaries(&summaries, 7.0)?;
    /// assert_eq!(table.len(), 4);
    /// assert_eq!(table.frequency(), &[2.0, 0.0, 3.0, 1.0]);
    /// let options = FitOptions::default().with_penalizer(0.01)?;
    /// let fit = fit_bgnbd(&table, &options)?;
    /// assert!(fit.report.converged);
    ///
    /// // A hand-made summary whose last purchase is after the end of calibration.
    /// let mut broken: Vec<RepeatSummary> = summaries.clone();
    /// broken[1].t_x = broken[1].t + 7;
    /// broken[1].x = 1;
    /// let err = ObservationTable::from_summaries(&broken, 1.0).unwrap_err();
    /// assert_eq!(err.row(), Some(1));
    /// assert_eq!(
    ///     err.to_string(),
    ///     "row 1: `t_x` is 276 but `age` is 269: expected `t_x` <= `age` (both measured from the first purchase)",
    /// );
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn from_summaries<'a>(
        summaries: impl IntoIterator<Item = &'a RepeatSummary>,
        period_days: f64,
    ) -> Result<ObservationTable, PredictError> {
        check_period_days(period_days)?;
        let summaries = summaries.into_iter();
        let mut table = ObservationTable::with_capacity(summaries.size_hint().0);
        table.period_days = Some(period_days);
        for (row, summary) in summaries.enumerate() {
            let observation = Observation::from_summary_unchecked_period(summary, period_days)
                .map_err(|err| err.at_row(row))?;
            table.push(observation);
        }
        Ok(table)
    }

    /// Appends one customer.
    pub fn push(&mut self, observation: Observation) {
        self.frequency.push(observation.frequency);
        self.t_x.push(observation.t_x);
        self.age.push(observation.age);
        self.mean_repeat_value.push(observation.mean_repeat_value);
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
    pub fn get(&self, index: usize) -> Option<Observation> {
        Some(Observation {
            frequency: *self.frequency.get(index)?,
            t_x: *self.t_x.get(index)?,
            age: *self.age.get(index)?,
            mean_repeat_value: *self.mean_repeat_value.get(index)?,
        })
    }

    /// The rows in order.
    pub fn iter(&self) -> impl Iterator<Item = Observation> + '_ {
        self.frequency
            .iter()
            .zip(&self.t_x)
            .zip(&self.age)
            .zip(&self.mean_repeat_value)
            .map(
                |(((&frequency, &t_x), &age), &mean_repeat_value)| Observation {
                    frequency,
                    t_x,
                    age,
                    mean_repeat_value,
                },
            )
    }

    /// The `frequency` column.
    pub fn frequency(&self) -> &[f64] {
        &self.frequency
    }

    /// The `t_x` column.
    pub fn t_x(&self) -> &[f64] {
        &self.t_x
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

impl FromIterator<Observation> for ObservationTable {
    fn from_iter<I: IntoIterator<Item = Observation>>(iter: I) -> ObservationTable {
        let mut table = ObservationTable::new();
        for observation in iter {
            table.push(observation);
        }
        table
    }
}

impl Extend<Observation> for ObservationTable {
    fn extend<I: IntoIterator<Item = Observation>>(&mut self, iter: I) {
        for observation in iter {
            self.push(observation);
        }
    }
}
