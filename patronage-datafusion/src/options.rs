//! [`PatronageOptions`]: what every function of the crate is built with, and what the
//! [codec](crate::PatronageCodec) ships with a plan.

use std::sync::Arc;

use chrono::NaiveDate;
use datafusion::error::{DataFusionError, Result};
use patronage::facts::DatedFolder;
use patronage::segment::{ScoreMethod, SegmentConfig, StatsMethod};
use patronage::{Config, Currency, FactsConfig, FactsOptions, Segmenter};
use serde::{Deserialize, Serialize};

/// The options of patronage's functions: the `as_of` date, the currency, the facts
/// section (zone, frequency window, bands) and the segmentation section of a
/// [`Config`], and how the statistics aggregate summarises spend.
///
/// Built from a whole config with [`PatronageOptions::new`], which checks and
/// compiles it once (a config the core refuses is refused here, with its paths).
/// Serde: the codec writes it as JSON with each function, so that a plan shipped to
/// another process rebuilds the same functions.
///
/// # Example
///
/// ```
/// use chrono::NaiveDate;
/// use patronage::{Config, Currency};
/// use patronage_datafusion::PatronageOptions;
///
/// let as_of = NaiveDate::from_ymd_opt(2024, 12, 31).ok_or("bad date")?;
/// let options = PatronageOptions::new(&Config::reference(), as_of, Currency::CNY)?;
/// assert_eq!(options.facts_options()?.as_of_date(), as_of);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct PatronageOptions {
    /// The day facts are computed as of (its end, in the facts section's zone).
    pub as_of: NaiveDate,
    /// The currency of every amount.
    pub currency: Currency,
    /// The facts section of the config.
    pub facts: FactsConfig,
    /// The segmentation section of the config.
    pub segment: SegmentConfig,
    /// How `patronage_stats` summarises spend: exact counts (the default) or a sketch.
    #[serde(default = "exact")]
    pub stats: StatsMethod,
}

fn exact() -> StatsMethod {
    StatsMethod::Exact
}

impl PatronageOptions {
    /// The options of `config`'s facts and segmentation sections, as of the end of
    /// `as_of`, for amounts in `currency`; exact statistics.
    ///
    /// # Errors
    ///
    /// [`DataFusionError::Configuration`] when the config does not compile (every
    /// problem with its path), when `as_of` has no end in the config's zone, or when
    /// the currency has no minor unit (amounts are Arrow decimals at its scale).
    pub fn new(config: &Config, as_of: NaiveDate, currency: Currency) -> Result<PatronageOptions> {
        let options = PatronageOptions {
            as_of,
            currency,
            facts: config.facts,
            segment: config.segment.clone(),
            stats: StatsMethod::Exact,
        };
        options.compile()?;
        Ok(options)
    }

    /// These options with statistics summarised by `method`.
    #[must_use]
    pub fn with_stats_method(self, method: StatsMethod) -> PatronageOptions {
        PatronageOptions {
            stats: method,
            ..self
        }
    }

    /// The facts options: `as_of`, currency and the facts section.
    ///
    /// # Errors
    ///
    /// [`DataFusionError::Configuration`] when `as_of` has no end in the zone.
    pub fn facts_options(&self) -> Result<FactsOptions> {
        self.facts
            .options_on(self.as_of, self.currency)
            .map_err(|e| config_error(&format!("`as_of` {}: {e}", self.as_of)))
    }

    /// The number of decimal places of the currency: the scale of every amount column.
    ///
    /// # Errors
    ///
    /// [`DataFusionError::Configuration`] for a currency without minor units.
    pub fn minor_units(&self) -> Result<u8> {
        self.currency.minor_units().ok_or_else(|| {
            config_error(&format!(
                "currency `{}` has no minor unit: expected a currency with decimal places (amounts are decimals at its scale)",
                self.currency
            ))
        })
    }

    /// Whether the segmentation scores some dimension by ordinal rank (which needs the
    /// whole base ordered: the engine's window functions).
    pub fn needs_ranks(&self) -> bool {
        let scores = &self.segment.rfm.scores;
        scores.method == ScoreMethod::Rank
            && (scores.recency_cut_points.is_none()
                || scores.frequency_cut_points.is_none()
                || scores.monetary_cut_points.is_none())
    }

    /// Checks and compiles the options once: the facts options, the scale and the
    /// segmenter.
    pub(crate) fn compile(&self) -> Result<Compiled> {
        let facts = self.facts_options()?;
        let minor = self.minor_units()?;
        let mut config = Config::reference();
        config.facts = self.facts;
        config.segment = self.segment.clone();
        let (segmenter, _warnings) = config
            .segmenter(self.currency)
            .map_err(|e| config_error(&e.to_string()))?;
        Ok(Compiled {
            folder: DatedFolder::new(facts),
            facts,
            minor,
            segmenter: Arc::new(segmenter),
        })
    }

    /// The options as the codec writes them.
    pub(crate) fn to_json(&self) -> Result<String> {
        serde_json::to_string(self)
            .map_err(|e| DataFusionError::Internal(format!("patronage options as JSON: {e}")))
    }
}

/// Options compiled once per function.
#[derive(Clone, Debug)]
pub(crate) struct Compiled {
    pub(crate) facts: FactsOptions,
    pub(crate) folder: DatedFolder,
    pub(crate) minor: u8,
    pub(crate) segmenter: Arc<Segmenter>,
}

pub(crate) fn config_error(message: &str) -> DataFusionError {
    DataFusionError::Configuration(format!("patronage: {message}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn options_are_checked() {
        let as_of = NaiveDate::from_ymd_opt(2024, 12, 31).unwrap();
        let mut config = Config::reference();
        config.facts.frequency_window_days = Some(0);
        let err = PatronageOptions::new(&config, as_of, Currency::CNY).unwrap_err();
        assert_eq!(
            err.to_string(),
            "Invalid or Unsupported Configuration: patronage: 1 problem in the config: facts.frequency_window_days: expected a window of at least 1 day, or none for all time, found `0`"
        );
        let err = PatronageOptions::new(
            &Config::reference(),
            as_of,
            Currency::try_new("XAU").unwrap(),
        )
        .unwrap_err();
        assert_eq!(
            err.to_string(),
            "Invalid or Unsupported Configuration: patronage: currency `XAU` has no minor unit: expected a currency with decimal places (amounts are decimals at its scale)"
        );
    }

    #[test]
    fn options_round_trip_as_json() {
        let as_of = NaiveDate::from_ymd_opt(2024, 12, 31).unwrap();
        let options = PatronageOptions::new(&Config::reference(), as_of, Currency::CNY)
            .unwrap()
            .with_stats_method(StatsMethod::Sketch(
                patronage::segment::SketchCapacity::default(),
            ));
        let back: PatronageOptions = serde_json::from_str(&options.to_json().unwrap()).unwrap();
        assert_eq!(back, options);
    }
}
