//! What facts are computed for: the company's [`FactsConfig`] (its section of the
//! [`Config`](crate::Config)) and the [`FactsOptions`] of one run (that section plus the
//! instant and the currency).

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

use crate::diagnostic::{ConfigDiagnostic, ConfigErrorKind};
use crate::facts::{FactsError, FactsErrorKind};
use crate::money::Currency;

/// The company's facts policy, its `facts` section of the [`Config`](crate::Config):
/// the reference time zone, the frequency window and the frequency bands.
///
/// It is the one source of these three settings: a run's [`FactsOptions`] are this
/// section plus the instant and the currency ([`FactsConfig::options_on`],
/// [`FactsConfig::options_at`]), and a [`Segmenter`](crate::Segmenter) refuses a
/// [`FactsTable`](crate::FactsTable) folded under another section.
///
/// # Example
///
/// ```
/// use chrono::NaiveDate;
/// use patronage::{Currency, FactsConfig};
///
/// let as_of = NaiveDate::from_ymd_opt(2024, 12, 31).ok_or("bad date")?;
/// let options = FactsConfig::default().options_on(as_of, Currency::CNY)?;
/// assert_eq!(options.as_of_date(), as_of);
/// assert_eq!(options.frequency_window_days(), Some(365));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct FactsConfig {
    /// The company's reference time zone (default UTC), in which instants become dates.
    #[serde(default = "utc")]
    pub time_zone: Tz,
    /// The frequency window in days (default 365); `null` / absent counts all time. The
    /// window is the dates `as_of − (window − 1) ..= as_of`; at least 1 day.
    #[serde(default = "default_window")]
    pub frequency_window_days: Option<u32>,
    /// Frequency band thresholds (default 24 / 4 / 1 purchases in the window).
    #[serde(default)]
    pub frequency_bands: FrequencyBands,
}

fn utc() -> Tz {
    Tz::UTC
}

#[allow(clippy::unnecessary_wraps)] // serde's `default` needs the field's type
fn default_window() -> Option<u32> {
    Some(365)
}

impl Default for FactsConfig {
    /// SPEC §8: UTC, a 365-day window, bands 24 / 4 / 1.
    fn default() -> FactsConfig {
        FactsConfig {
            time_zone: utc(),
            frequency_window_days: default_window(),
            frequency_bands: FrequencyBands::default(),
        }
    }
}

impl FactsConfig {
    /// This section with another reference time zone.
    #[must_use]
    pub fn with_time_zone(self, time_zone: Tz) -> FactsConfig {
        FactsConfig { time_zone, ..self }
    }

    /// This section with another frequency window (`None` = all time).
    #[must_use]
    pub fn with_frequency_window_days(self, days: Option<u32>) -> FactsConfig {
        FactsConfig {
            frequency_window_days: days,
            ..self
        }
    }

    /// This section with other band thresholds.
    #[must_use]
    pub fn with_frequency_bands(self, bands: FrequencyBands) -> FactsConfig {
        FactsConfig {
            frequency_bands: bands,
            ..self
        }
    }

    /// The options of a run as of the instant `as_of`, in `currency`.
    pub fn options_at(self, as_of: DateTime<Utc>, currency: Currency) -> FactsOptions {
        FactsOptions {
            as_of,
            currency,
            config: self,
        }
    }

    /// The options of a run as of the *end* of the date `as_of` in the reference time
    /// zone (its last nanosecond), so every event of that calendar day counts and
    /// "days since" is measured to that date.
    ///
    /// # Errors
    ///
    /// [`FactsErrorKind::InvalidDate`] when the end of that day does not exist in the
    /// zone (outside chrono's range).
    ///
    /// # Example
    ///
    /// ```
    /// use chrono::NaiveDate;
    /// use patronage::{Currency, FactsConfig};
    ///
    /// let shanghai = FactsConfig::default().with_time_zone(chrono_tz::Asia::Shanghai);
    /// let as_of = NaiveDate::from_ymd_opt(2024, 12, 31).ok_or("bad date")?;
    /// let options = shanghai.options_on(as_of, Currency::CNY)?;
    /// assert_eq!(options.as_of().to_rfc3339(), "2024-12-31T15:59:59.999999999+00:00");
    ///
    /// let new_york = FactsConfig::default().with_time_zone(chrono_tz::America::New_York);
    /// let err = new_york.options_on(NaiveDate::MAX, Currency::USD).unwrap_err();
    /// assert_eq!(
    ///     err.to_string(),
    ///     format!("the end of `{}` does not exist in time zone `America/New_York`: expected a date within chrono's range", NaiveDate::MAX),
    /// );
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn options_on(
        self,
        as_of: NaiveDate,
        currency: Currency,
    ) -> Result<FactsOptions, FactsError> {
        let invalid = || {
            FactsError::new(FactsErrorKind::InvalidDate {
                date: as_of.to_string(),
                time_zone: self.time_zone.name().to_owned(),
            })
        };
        let end_of_day = as_of
            .and_hms_nano_opt(23, 59, 59, 999_999_999)
            .ok_or_else(invalid)?;
        let instant = self
            .time_zone
            .from_local_datetime(&end_of_day)
            .latest()
            .ok_or_else(invalid)?
            .with_timezone(&Utc);
        Ok(self.options_at(instant, currency))
    }

    /// Reports every problem of this section at `path` (bands not descending, a
    /// zero-day window).
    pub fn check(&self, path: &str, diagnostics: &mut Vec<ConfigDiagnostic>) {
        let bands = self.frequency_bands;
        if !(bands.monthly > bands.quarterly && bands.quarterly > bands.yearly) {
            diagnostics.push(ConfigDiagnostic::error(
                &format!("{path}.frequency_bands"),
                ConfigErrorKind::OutOfRange {
                    expected: "`monthly` > `quarterly` > `yearly`".to_owned(),
                    found: format!(
                        "monthly {}, quarterly {}, yearly {}",
                        bands.monthly, bands.quarterly, bands.yearly
                    ),
                },
            ));
        }
        if self.frequency_window_days == Some(0) {
            diagnostics.push(ConfigDiagnostic::error(
                &format!("{path}.frequency_window_days"),
                ConfigErrorKind::OutOfRange {
                    expected: "a window of at least 1 day, or none for all time".to_owned(),
                    found: "0".to_owned(),
                },
            ));
        }
    }
}

/// What one run of facts is computed for: the instant they are *as of*, the currency of
/// every amount, and the company's [`FactsConfig`] (zone, window, bands).
///
/// The three travel together: an [`Aggregator`](crate::Aggregator) and the
/// [`FactsTable`](crate::FactsTable) it yields keep them, so a table cannot be segmented
/// as of another day, in another currency or under another policy than it was folded
/// for — the [`Segmenter`](crate::Segmenter) checks.
///
/// Built with [`FactsOptions::new`] (the default policy) or from the config's section
/// ([`FactsConfig::options_on`] for the end of a calendar date, or
/// [`FactsConfig::options_at`] for an instant); refined with the `with_*` methods.
///
/// # Example
///
/// ```
/// use chrono::{TimeZone, Utc};
/// use patronage::{Currency, FactsOptions};
///
/// let as_of = Utc.with_ymd_and_hms(2024, 12, 31, 16, 0, 0).single().ok_or("bad date")?;
/// let options = FactsOptions::new(as_of, Currency::CNY)
///     .with_time_zone(chrono_tz::Asia::Shanghai)
///     .with_frequency_window_days(Some(365));
/// assert_eq!(options.as_of_date().to_string(), "2025-01-01");
/// assert_eq!(options.currency(), Currency::CNY);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(from = "RawFactsOptions", into = "RawFactsOptions")]
pub struct FactsOptions {
    as_of: DateTime<Utc>,
    currency: Currency,
    config: FactsConfig,
}

/// The serde form of [`FactsOptions`]: the instant, the currency and the section's
/// three fields side by side.
#[derive(Clone, Copy, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFactsOptions {
    as_of: DateTime<Utc>,
    currency: Currency,
    #[serde(default = "utc")]
    time_zone: Tz,
    #[serde(default = "default_window")]
    frequency_window_days: Option<u32>,
    #[serde(default)]
    frequency_bands: FrequencyBands,
}

impl From<RawFactsOptions> for FactsOptions {
    fn from(raw: RawFactsOptions) -> FactsOptions {
        FactsConfig {
            time_zone: raw.time_zone,
            frequency_window_days: raw.frequency_window_days,
            frequency_bands: raw.frequency_bands,
        }
        .options_at(raw.as_of, raw.currency)
    }
}

impl From<FactsOptions> for RawFactsOptions {
    fn from(options: FactsOptions) -> RawFactsOptions {
        RawFactsOptions {
            as_of: options.as_of(),
            currency: options.currency(),
            time_zone: options.config.time_zone,
            frequency_window_days: options.config.frequency_window_days,
            frequency_bands: options.config.frequency_bands,
        }
    }
}

impl FactsOptions {
    /// Options as of `as_of` in `currency` under the default [`FactsConfig`] (UTC, a
    /// 365-day window, bands 24 / 4 / 1).
    pub fn new(as_of: DateTime<Utc>, currency: Currency) -> FactsOptions {
        FactsConfig::default().options_at(as_of, currency)
    }

    /// The same instant and currency under the company's section `config`.
    #[must_use]
    pub fn with_config(self, config: FactsConfig) -> FactsOptions {
        FactsOptions { config, ..self }
    }

    /// The same options in another reference time zone.
    #[must_use]
    pub fn with_time_zone(self, time_zone: Tz) -> FactsOptions {
        self.with_config(self.config.with_time_zone(time_zone))
    }

    /// The same options with another frequency window (`None` = all time; `Some(0)`
    /// counts no purchase).
    #[must_use]
    pub fn with_frequency_window_days(self, days: Option<u32>) -> FactsOptions {
        self.with_config(self.config.with_frequency_window_days(days))
    }

    /// The same options with other band thresholds.
    #[must_use]
    pub fn with_frequency_bands(self, bands: FrequencyBands) -> FactsOptions {
        self.with_config(self.config.with_frequency_bands(bands))
    }

    /// The instant the facts are as of; later events are ignored (and counted).
    pub fn as_of(&self) -> DateTime<Utc> {
        self.as_of
    }

    /// The currency of every amount; one currency per aggregate and table.
    pub fn currency(&self) -> Currency {
        self.currency
    }

    /// The company's facts section these options were built with.
    pub fn config(&self) -> &FactsConfig {
        &self.config
    }

    /// The reference time zone in which instants become dates.
    pub fn time_zone(&self) -> Tz {
        self.config.time_zone
    }

    /// The frequency window in days; `None` counts all time.
    pub fn frequency_window_days(&self) -> Option<u32> {
        self.config.frequency_window_days
    }

    /// The frequency band thresholds.
    pub fn frequency_bands(&self) -> FrequencyBands {
        self.config.frequency_bands
    }

    /// The `as_of` instant's date in the reference time zone.
    pub fn as_of_date(&self) -> NaiveDate {
        self.as_of
            .with_timezone(&self.config.time_zone)
            .date_naive()
    }

    /// A one-line description for messages, e.g.
    /// `as_of 2024-06-30T12:00:00Z, zone UTC, currency CNY, window 365 days, bands 24/4/1`.
    pub fn describe(&self) -> String {
        let window = match self.config.frequency_window_days {
            Some(days) => format!("{days} days"),
            None => "all time".to_owned(),
        };
        let bands = self.config.frequency_bands;
        format!(
            "as_of {}, zone {}, currency {}, window {window}, bands {}/{}/{}",
            self.as_of
                .to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true),
            self.config.time_zone.name(),
            self.currency,
            bands.monthly,
            bands.quarterly,
            bands.yearly,
        )
    }
}

/// Frequency band thresholds, in purchases within the frequency window (SPEC §8);
/// each bound is inclusive (`frequency ≥ monthly` is *monthly*).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FrequencyBands {
    /// At least this many is [`FrequencyBand::Monthly`] (default 24: two a month).
    pub monthly: u32,
    /// At least this many is [`FrequencyBand::Quarterly`] (default 4: one a quarter).
    pub quarterly: u32,
    /// At least this many is [`FrequencyBand::Yearly`] (default 1).
    pub yearly: u32,
}

impl Default for FrequencyBands {
    fn default() -> FrequencyBands {
        FrequencyBands {
            monthly: 24,
            quarterly: 4,
            yearly: 1,
        }
    }
}

impl FrequencyBands {
    /// The band of a frequency.
    ///
    /// # Example
    ///
    /// ```
    /// use patronage::facts::{FrequencyBand, FrequencyBands};
    ///
    /// let bands = FrequencyBands::default();
    /// assert_eq!(bands.band(24), FrequencyBand::Monthly);
    /// assert_eq!(bands.band(23), FrequencyBand::Quarterly);
    /// assert_eq!(bands.band(1), FrequencyBand::Yearly);
    /// assert_eq!(bands.band(0), FrequencyBand::Below);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn band(&self, frequency: u32) -> FrequencyBand {
        if frequency >= self.monthly {
            FrequencyBand::Monthly
        } else if frequency >= self.quarterly {
            FrequencyBand::Quarterly
        } else if frequency >= self.yearly {
            FrequencyBand::Yearly
        } else {
            FrequencyBand::Below
        }
    }
}

/// A customer's purchase-frequency band (R6).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum FrequencyBand {
    /// Two purchases a month or more on average.
    Monthly,
    /// One a quarter or more.
    Quarterly,
    /// One a year or more.
    Yearly,
    /// Fewer (no purchase in the window).
    Below,
}
