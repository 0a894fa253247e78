//! Discounted customer lifetime value from a BG/NBD and a Gamma-Gamma model, and the
//! per-customer predictions as facts for rules.

use serde::{Deserialize, Serialize};

use crate::predict::{BgNbdParams, GammaGammaParams, Observation, ObservationTable};
use crate::predict::{PredictError, PredictErrorKind};

/// The horizon and discounting of a CLV.
///
/// The horizon is `periods` periods of `period_length` time units each (in the
/// observations' unit): with observations in weeks, 12 periods of 4.345 weeks is a year in
/// months. `discount_rate` is per period (0.01 = 1% a month in that example).
///
/// # Why periods
///
/// Discounting needs the timing of the purchases, and BG/NBD gives only expected
/// counts up to a time. The expected purchases of each period are discounted at the
/// period's end, `value · (E[Y(i·L)] − E[Y((i−1)·L)]) / (1 + d)ⁱ`, which is what
/// `lifetimes` computes (`customer_lifetime_value`, whose `freq` factor is our
/// `period_length`), so the two agree.
///
/// # Example
///
/// ```
/// use patronage::predict::ClvOptions;
///
/// let options = ClvOptions::new(12, 4.345, 0.01)?;
/// assert!((options.horizon() - 52.14).abs() < 1e-9);
/// let err = ClvOptions::new(12, 4.345, -0.5).unwrap_err();
/// assert_eq!(err.to_string(), "option `discount_rate` is -0.5: expected a non-negative finite rate per period, such as 0.01");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "RawClvOptions", into = "RawClvOptions")]
pub struct ClvOptions {
    periods: u32,
    period_length: f64,
    discount_rate: f64,
}

#[derive(Clone, Copy, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawClvOptions {
    periods: u32,
    period_length: f64,
    discount_rate: f64,
}

impl TryFrom<RawClvOptions> for ClvOptions {
    type Error = PredictError;

    fn try_from(raw: RawClvOptions) -> Result<ClvOptions, PredictError> {
        ClvOptions::new(raw.periods, raw.period_length, raw.discount_rate)
    }
}

impl From<ClvOptions> for RawClvOptions {
    fn from(options: ClvOptions) -> RawClvOptions {
        RawClvOptions {
            periods: options.periods,
            period_length: options.period_length,
            discount_rate: options.discount_rate,
        }
    }
}

impl ClvOptions {
    /// `periods` periods of `period_length` time units, discounted at
    /// `discount_rate` per period.
    ///
    /// # Errors
    ///
    /// [`PredictErrorKind::InvalidOption`] when `period_length` is not positive and
    /// finite or `discount_rate` is negative or not finite.
    ///
    /// # Example
    ///
    /// ```
    /// use patronage::predict::ClvOptions;
    ///
    /// let err = ClvOptions::new(12, 0.0, 0.01).unwrap_err();
    /// assert_eq!(err.to_string(), "option `period_length` is 0: expected a positive finite length in the observations' time unit");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn new(
        periods: u32,
        period_length: f64,
        discount_rate: f64,
    ) -> Result<ClvOptions, PredictError> {
        if !(period_length.is_finite() && period_length > 0.0) {
            return Err(PredictError::new(PredictErrorKind::InvalidOption {
                name: "period_length",
                value: period_length,
                expected: "a positive finite length in the observations' time unit",
            }));
        }
        if !(discount_rate.is_finite() && discount_rate >= 0.0) {
            return Err(PredictError::new(PredictErrorKind::InvalidOption {
                name: "discount_rate",
                value: discount_rate,
                expected: "a non-negative finite rate per period, such as 0.01",
            }));
        }
        Ok(ClvOptions {
            periods,
            period_length,
            discount_rate,
        })
    }

    /// The number of periods.
    pub fn periods(&self) -> u32 {
        self.periods
    }

    /// The length of one period in the observations' time unit.
    pub fn period_length(&self) -> f64 {
        self.period_length
    }

    /// The discount rate per period.
    pub fn discount_rate(&self) -> f64 {
        self.discount_rate
    }

    /// The whole horizon, `periods · period_length`.
    pub fn horizon(&self) -> f64 {
        f64::from(self.periods) * self.period_length
    }
}

/// A transaction model and a spend model together: what CLV needs.
///
/// # Example
///
/// ```
/// use patronage::predict::{BgNbdParams, ClvModel, ClvOptions, GammaGammaParams, Observation};
///
/// let model = ClvModel {
///     transactions: BgNbdParams::new(0.243, 4.414, 0.793, 2.426)?,
///     spend: GammaGammaParams::new(6.25, 3.74, 15.44)?,
/// };
/// let customer = Observation::new(2.0, 30.43, 38.86)?.with_mean_repeat_value_f64(22.35)?;
/// let prediction = model.predict(&customer, &ClvOptions::new(12, 4.345, 0.01)?)?;
/// assert!(prediction.clv > 0.0 && prediction.clv < prediction.expected_purchases * prediction.expected_average_value);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClvModel {
    /// The BG/NBD parameters.
    pub transactions: BgNbdParams,
    /// The Gamma-Gamma parameters.
    pub spend: GammaGammaParams,
}

/// One customer's predictions, the facts rules read.
///
/// # Field names for rules
///
/// These names are stable: `p_alive`, `expected_purchases`,
/// `expected_average_value`, `clv` (also in [`Prediction::FIELD_NAMES`]). All are
/// `f64`. `expected_purchases` and `clv` are over the horizon of the
/// [`ClvOptions`] used.
///
/// # Why `f64` for money here
///
/// CLV and expected spend are model expectations, not amounts anyone is charged or
/// paid; they are compared and ranked, never booked. Money that is booked stays
/// `Decimal` in the records.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Prediction {
    /// Probability the customer is still active (BG/NBD), in [0, 1].
    pub p_alive: f64,
    /// Expected purchases over the horizon (BG/NBD).
    pub expected_purchases: f64,
    /// Expected spend per purchase (Gamma-Gamma).
    pub expected_average_value: f64,
    /// Discounted expected value over the horizon.
    pub clv: f64,
}

impl Prediction {
    /// The field names, in declaration order, for a rules schema.
    pub const FIELD_NAMES: [&'static str; 4] = [
        "p_alive",
        "expected_purchases",
        "expected_average_value",
        "clv",
    ];

    /// The value of the field `name`, if it is one of [`Prediction::FIELD_NAMES`].
    ///
    /// # Example
    ///
    /// ```
    /// use patronage::predict::Prediction;
    ///
    /// let p = Prediction { p_alive: 0.5, expected_purchases: 1.0, expected_average_value: 20.0, clv: 18.0 };
    /// assert_eq!(p.field("clv"), Some(18.0));
    /// assert_eq!(p.field("spend"), None);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn field(&self, name: &str) -> Option<f64> {
        match name {
            "p_alive" => Some(self.p_alive),
            "expected_purchases" => Some(self.expected_purchases),
            "expected_average_value" => Some(self.expected_average_value),
            "clv" => Some(self.clv),
            _ => None,
        }
    }
}

/// Predictions for many customers as columns, in the order of the
/// [`ObservationTable`] they came from. Column names are [`Prediction::FIELD_NAMES`].
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct PredictionTable {
    /// `p_alive` per customer.
    pub p_alive: Vec<f64>,
    /// `expected_purchases` per customer.
    pub expected_purchases: Vec<f64>,
    /// `expected_average_value` per customer.
    pub expected_average_value: Vec<f64>,
    /// `clv` per customer.
    pub clv: Vec<f64>,
}

impl PredictionTable {
    /// The column `name`, if it is one of [`Prediction::FIELD_NAMES`].
    pub fn column(&self, name: &str) -> Option<&[f64]> {
        match name {
            "p_alive" => Some(&self.p_alive),
            "expected_purchases" => Some(&self.expected_purchases),
            "expected_average_value" => Some(&self.expected_average_value),
            "clv" => Some(&self.clv),
            _ => None,
        }
    }

    /// The number of customers.
    pub fn len(&self) -> usize {
        self.p_alive.len()
    }

    /// Whether there are no customers.
    pub fn is_empty(&self) -> bool {
        self.p_alive.is_empty()
    }

    /// Row `index` as a [`Prediction`].
    pub fn get(&self, index: usize) -> Option<Prediction> {
        Some(Prediction {
            p_alive: *self.p_alive.get(index)?,
            expected_purchases: *self.expected_purchases.get(index)?,
            expected_average_value: *self.expected_average_value.get(index)?,
            clv: *self.clv.get(index)?,
        })
    }

    fn push(&mut self, prediction: Prediction) {
        self.p_alive.push(prediction.p_alive);
        self.expected_purchases.push(prediction.expected_purchases);
        self.expected_average_value
            .push(prediction.expected_average_value);
        self.clv.push(prediction.clv);
    }
}

impl ClvModel {
    /// The discounted expected value of the customer's purchases over the horizon.
    ///
    /// # Errors
    ///
    /// Those of [`BgNbdParams::expected_purchases`] and
    /// [`GammaGammaParams::expected_average_value`].
    ///
    /// # Example
    ///
    /// ```
    /// use patronage::predict::{BgNbdParams, ClvModel, ClvOptions, GammaGammaParams, Observation};
    ///
    /// let model = ClvModel {
    ///     transactions: BgNbdParams::new(0.243, 4.414, 0.793, 2.426)?,
    ///     spend: GammaGammaParams::new(6.25, 3.74, 15.44)?,
    /// };
    /// let customer = Observation::new(2.0, 30.43, 38.86)?.with_mean_repeat_value_f64(22.35)?;
    /// let undiscounted = model.clv(&customer, &ClvOptions::new(12, 4.345, 0.0)?)?;
    /// let discounted = model.clv(&customer, &ClvOptions::new(12, 4.345, 0.01)?)?;
    /// assert!(discounted < undiscounted);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn clv(
        &self,
        observation: &Observation,
        options: &ClvOptions,
    ) -> Result<f64, PredictError> {
        let value = self.spend.expected_average_value(observation)?;
        self.discounted(observation, value, options)
    }

    fn discounted(
        &self,
        observation: &Observation,
        value: f64,
        options: &ClvOptions,
    ) -> Result<f64, PredictError> {
        let mut clv = 0.0;
        let mut previous = 0.0;
        let mut discount = 1.0;
        for period in 1..=options.periods {
            let cumulative = self
                .transactions
                .expected_purchases(observation, f64::from(period) * options.period_length)?;
            discount /= 1.0 + options.discount_rate;
            clv += value * (cumulative - previous) * discount;
            previous = cumulative;
        }
        Ok(clv)
    }

    /// All four predictions for one customer.
    ///
    /// # Errors
    ///
    /// As [`ClvModel::clv`].
    ///
    /// # Example
    ///
    /// See [`ClvModel`].
    pub fn predict(
        &self,
        observation: &Observation,
        options: &ClvOptions,
    ) -> Result<Prediction, PredictError> {
        let expected_average_value = self.spend.expected_average_value(observation)?;
        Ok(Prediction {
            p_alive: self.transactions.p_alive(observation),
            expected_purchases: self
                .transactions
                .expected_purchases(observation, options.horizon())?,
            expected_average_value,
            clv: self.discounted(observation, expected_average_value, options)?,
        })
    }

    /// Predictions for every customer of the table, in its order.
    ///
    /// # Errors
    ///
    /// As [`ClvModel::predict`], naming the row.
    ///
    /// # Example
    ///
    /// ```
    /// use patronage::predict::{BgNbdParams, ClvModel, ClvOptions, GammaGammaParams, Observation, ObservationTable};
    ///
    /// let model = ClvModel {
    ///     transactions: BgNbdParams::new(0.243, 4.414, 0.793, 2.426)?,
    ///     spend: GammaGammaParams::new(6.25, 3.74, 15.44)?,
    /// };
    /// let table: ObservationTable = [Observation::new(0.0, 0.0, 38.86)?].into_iter().collect();
    /// let predictions = model.predict_table(&table, &ClvOptions::new(12, 4.345, 0.01)?)?;
    /// assert_eq!(predictions.column("p_alive"), Some(&[1.0][..]));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn predict_table(
        &self,
        table: &ObservationTable,
        options: &ClvOptions,
    ) -> Result<PredictionTable, PredictError> {
        if let (Some(model_days), Some(table_days)) =
            (self.transactions.period_days(), table.period_days())
        {
            if model_days != table_days {
                return Err(PredictError::new(PredictErrorKind::TimeUnitMismatch {
                    model_days,
                    table_days,
                }));
            }
        }
        let mut out = PredictionTable {
            p_alive: Vec::with_capacity(table.len()),
            expected_purchases: Vec::with_capacity(table.len()),
            expected_average_value: Vec::with_capacity(table.len()),
            clv: Vec::with_capacity(table.len()),
        };
        for (row, observation) in table.iter().enumerate() {
            out.push(
                self.predict(&observation, options)
                    .map_err(|err| err.at_row(row))?,
            );
        }
        Ok(out)
    }
}
