//! The company's policy document: one serde [`Config`] for RFM scores, bands and named
//! segments, lifecycle stages, tiers, VIP levels and custom classes, with validation
//! that reports every problem with its path, and [`Config::reference()`] (the source
//! documents' defaults, SPEC §8).

use chrono::{NaiveDate, TimeZone, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

use crate::diagnostic::{ConfigDiagnostic, ConfigError, ConfigErrorKind};
use crate::facts::{FactsOptions, FrequencyBands};
use crate::money::Currency;
use crate::rules::TableDoc;
use crate::segment::{
    reference_stage_table, reference_tier_table, symbol_table, Bins, CutPoints, MonetaryBands,
    RecencyBuckets, SegmentPreset, SegmentTable, Segmenter, VipConfig,
};
use crate::segment::{SegmentError, SegmentErrorKind};

/// How RFM scores are computed (the *classic* 1–n scores of R6).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum ScoreMethod {
    /// Value thresholds from type-7 quantiles plus one, the R package `rfm`'s method:
    /// equal values always share a score; bins can be uneven or empty
    /// ([`quantile_scores`](crate::quantile_scores)). The default, because "same
    /// behaviour, same score" is the rule a company can explain to its staff.
    #[default]
    Quantile,
    /// Ordinal rank, pandas `qcut(rank(method="first"))`: bins as equal as possible, ties
    /// broken by customer id ([`rank_scores`](crate::rank_scores)).
    Rank,
}

/// RFM score settings: method, number of scores, and optional fixed cut points per
/// dimension (a dimension with cut points ignores the method and `bins`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScoreConfig {
    /// The method for dimensions without cut points (default `quantile`).
    #[serde(default)]
    pub method: ScoreMethod,
    /// The number of scores per dimension (default 5).
    #[serde(default)]
    pub bins: Bins,
    /// Fixed recency cut points in days: a recency below the first scores best.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recency_cut_points: Option<CutPoints>,
    /// Fixed frequency cut points (purchases in the frequency window).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub frequency_cut_points: Option<CutPoints>,
    /// Fixed monetary cut points (net spend).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub monetary_cut_points: Option<CutPoints>,
}

impl ScoreConfig {
    /// The number of recency scores.
    pub fn recency_bins(&self) -> Bins {
        self.recency_cut_points
            .as_ref()
            .map_or(self.bins, CutPoints::bins)
    }

    /// The number of frequency scores.
    pub fn frequency_bins(&self) -> Bins {
        self.frequency_cut_points
            .as_ref()
            .map_or(self.bins, CutPoints::bins)
    }

    /// The number of monetary scores.
    pub fn monetary_bins(&self) -> Bins {
        self.monetary_cut_points
            .as_ref()
            .map_or(self.bins, CutPoints::bins)
    }
}

/// RFM bands (SPEC R6): recency buckets and monetary top-share bands. Frequency bands
/// are part of the facts ([`FrequencyBands`](crate::FrequencyBands)).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BandConfig {
    /// Recency buckets (default ≤ 30, 31–90, 91–180, > 180 days).
    #[serde(default)]
    pub recency_days: RecencyBuckets,
    /// Monetary bands by top share (default top 20%, 21–50%, 51–80%, 81–100%).
    #[serde(default)]
    pub monetary_top_share: MonetaryBands,
}

/// The named-segment table: a shipped preset by name, or a table.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum SegmentsConfig {
    /// `"r-0.3"` or `"r-0.2"`.
    Preset(SegmentPreset),
    /// A table of its own.
    Table(SegmentTable),
}

impl Default for SegmentsConfig {
    fn default() -> SegmentsConfig {
        SegmentsConfig::Preset(SegmentPreset::R03)
    }
}

impl SegmentsConfig {
    /// The table (a preset expanded).
    pub fn table(&self) -> SegmentTable {
        match self {
            SegmentsConfig::Preset(preset) => SegmentTable::preset(*preset),
            SegmentsConfig::Table(table) => table.clone(),
        }
    }
}

/// The RFM part of the config: scores, bands and named segments.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RfmConfig {
    /// Score settings.
    #[serde(default)]
    pub scores: ScoreConfig,
    /// Band bounds.
    #[serde(default)]
    pub bands: BandConfig,
    /// Named segments (default the R `rfm` 0.3.0 table).
    #[serde(default)]
    pub segments: SegmentsConfig,
}

impl RfmConfig {
    pub(crate) fn check(&self, path: &str, diagnostics: &mut Vec<ConfigDiagnostic>) {
        self.bands
            .recency_days
            .check(&format!("{path}.bands.recency_days"), diagnostics);
        self.bands
            .monetary_top_share
            .check(&format!("{path}.bands.monetary_top_share"), diagnostics);
        if let SegmentsConfig::Table(table) = &self.segments {
            table.check(
                &format!("{path}.segments"),
                self.scores.recency_bins(),
                self.scores.frequency_bins(),
                self.scores.monetary_bins(),
                diagnostics,
            );
        } else if self.scores.recency_bins() != Bins::default()
            || self.scores.frequency_bins() != Bins::default()
            || self.scores.monetary_bins() != Bins::default()
        {
            diagnostics.push(ConfigDiagnostic::error(
                &format!("{path}.segments"),
                ConfigErrorKind::OutOfRange {
                    expected: "a segment table of its own when scores are not 1-5 (the presets are written for 5 scores)".to_owned(),
                    found: format!(
                        "a preset with {}/{}/{} scores",
                        self.scores.recency_bins().get(),
                        self.scores.frequency_bins().get(),
                        self.scores.monetary_bins().get()
                    ),
                },
            ));
        }
    }
}

/// How the facts are computed for segmentation: the reference time zone, the frequency
/// window and the frequency bands ([`FactsOptions`] without the instant and currency,
/// which belong to a run, not to the policy).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FactsConfig {
    /// The company's reference time zone (default UTC), in which instants become dates.
    #[serde(default = "crate::facts::utc")]
    pub time_zone: Tz,
    /// The frequency window in days (default 365); `null` / absent counts all time.
    #[serde(default = "crate::facts::default_window")]
    pub frequency_window_days: Option<u32>,
    /// Frequency band thresholds (default 24 / 4 / 1 purchases in the window).
    #[serde(default)]
    pub frequency_bands: FrequencyBands,
}

impl Default for FactsConfig {
    fn default() -> FactsConfig {
        FactsConfig {
            time_zone: crate::facts::utc(),
            frequency_window_days: crate::facts::default_window(),
            frequency_bands: FrequencyBands::default(),
        }
    }
}

impl FactsConfig {
    /// Facts options as of the *end* of the date `as_of` in the reference time zone
    /// (its last nanosecond), so every event of that calendar day counts and
    /// "days since" is measured to that date.
    ///
    /// # Errors
    ///
    /// [`SegmentErrorKind::InvalidDate`] when the end of that day does not exist in the
    /// zone (outside chrono's range).
    ///
    /// # Example
    ///
    /// ```
    /// use chrono::NaiveDate;
    /// use patronage::{Currency, FactsConfig};
    ///
    /// let as_of = NaiveDate::from_ymd_opt(2024, 12, 31).ok_or("bad date")?;
    /// let options = FactsConfig::default().facts_options_on(as_of, Currency::CNY)?;
    /// assert_eq!(options.as_of_date(), as_of);
    /// assert_eq!(options.frequency_window_days, Some(365));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn facts_options_on(
        &self,
        as_of: NaiveDate,
        currency: Currency,
    ) -> Result<FactsOptions, SegmentError> {
        let invalid = || {
            SegmentError::new(SegmentErrorKind::InvalidDate {
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
        Ok(FactsOptions::new(instant, currency)
            .time_zone(self.time_zone)
            .frequency_window_days(self.frequency_window_days)
            .frequency_bands(self.frequency_bands))
    }

    pub(crate) fn check(&self, path: &str, diagnostics: &mut Vec<ConfigDiagnostic>) {
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

/// The company's segmentation policy: one serde document (JSON, TOML, YAML — the host
/// picks), with every figure of SPEC §8 a default to change.
///
/// | section | what it sets |
/// |---|---|
/// | `facts` | reference time zone, frequency window, frequency bands |
/// | `rfm` | score method and bins (or fixed cut points), recency and monetary bands, named segments |
/// | `stages` | the lifecycle-stage decision table ([`reference_stage_table`](crate::reference_stage_table)) |
/// | `tiers` | the tier decision table ([`reference_tier_table`](crate::reference_tier_table)) |
/// | `vip` | VIP levels by spend or points, with benefits |
/// | `classes` | custom classifications, each a decision table |
///
/// Unknown keys are rejected when the document is read; [`Config::check`] (or
/// [`Segmenter::new`](crate::Segmenter::new)) then reports every remaining problem with
/// its path, such as `tiers.rows[2].recency_days`.
///
/// # Example
///
/// ```
/// use patronage::{Config, Currency};
///
/// let json = serde_json::to_string(&Config::reference())?;
/// let config: Config = serde_json::from_str(&json)?;
/// assert_eq!(config, Config::reference());
/// assert!(config.check(Currency::CNY)?.is_empty());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// How facts are computed.
    #[serde(default)]
    pub facts: FactsConfig,
    /// RFM scores, bands and named segments.
    #[serde(default)]
    pub rfm: RfmConfig,
    /// The lifecycle-stage table (first output: the stage, a symbol).
    pub stages: TableDoc,
    /// The tier table (first output: the tier); it may read `stage`.
    pub tiers: TableDoc,
    /// VIP levels, if the company has them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vip: Option<VipConfig>,
    /// Custom classifications (R9), each a table whose first output is the class; they
    /// may read `stage` and `tier`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub classes: Vec<TableDoc>,
}

impl Config {
    /// The source documents' defaults (SPEC §8): a 365-day frequency window, quantile
    /// scores 1–5, the R `rfm` 0.3.0 segment table, the reference stage and tier tables,
    /// silver / gold / diamond VIP levels, and three classifications of R9 — `value`
    /// (high / medium / low by spend rank), `need` (strategic / special / ordinary) and
    /// `cooperation` (potential / intent / signed / churned).
    pub fn reference() -> Config {
        Config {
            facts: FactsConfig::default(),
            rfm: RfmConfig::default(),
            stages: reference_stage_table(),
            tiers: reference_tier_table(),
            vip: Some(VipConfig::reference()),
            classes: reference_class_tables(),
        }
    }

    /// The reference config with another segment-table preset.
    #[must_use]
    pub fn with_segment_preset(mut self, preset: SegmentPreset) -> Config {
        self.rfm.segments = SegmentsConfig::Preset(preset);
        self
    }

    /// Facts options for this config as of the end of the date `as_of` (see
    /// [`FactsConfig::facts_options_on`]).
    ///
    /// # Errors
    ///
    /// As [`FactsConfig::facts_options_on`].
    pub fn facts_options_on(
        &self,
        as_of: NaiveDate,
        currency: Currency,
    ) -> Result<FactsOptions, SegmentError> {
        self.facts.facts_options_on(as_of, currency)
    }

    /// Checks the whole document for amounts in `currency` and returns its warnings.
    ///
    /// # Errors
    ///
    /// A [`ConfigError`] listing every problem with its path (see
    /// [`Segmenter::new`](crate::Segmenter::new)).
    ///
    /// # Example
    ///
    /// ```
    /// use patronage::{Config, Currency, SegmentPreset};
    ///
    /// let config = Config::reference().with_segment_preset(SegmentPreset::R02);
    /// let warnings = config.check(Currency::CNY)?;
    /// assert_eq!(warnings.len(), 4);
    /// assert_eq!(warnings[0].path(), "rfm.segments.rows[3]");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn check(&self, currency: Currency) -> Result<Vec<ConfigDiagnostic>, ConfigError> {
        Segmenter::new(self, currency).map(|(_, warnings)| warnings)
    }
}

/// The reference custom classifications (R9).
fn reference_class_tables() -> Vec<TableDoc> {
    vec![
        symbol_table(
            "value",
            "customer value by spend rank (R9)",
            &["monetary_top_share"],
            "value",
            &["high", "medium", "low"],
            &[
                ("top 20% by spend", &["< 0.20"], None, "high"),
                ("top 50% by spend", &["< 0.50"], None, "medium"),
                ("the rest, and non-purchasers", &["-"], None, "low"),
            ],
        ),
        symbol_table(
            "need",
            "customer need (R9): strategic accounts, special needs, the rest",
            &["vip_level", "monetary_top_share", "complaints", "refunds"],
            "need",
            &["strategic", "special", "ordinary"],
            &[
                (
                    "diamond VIP",
                    &["diamond", "-", "-", "-"],
                    None,
                    "strategic",
                ),
                (
                    "top 5% by spend",
                    &["-", "< 0.05", "-", "-"],
                    None,
                    "strategic",
                ),
                (
                    "repeated complaints",
                    &["-", "-", ">= 2", "-"],
                    None,
                    "special",
                ),
                (
                    "repeated refunds",
                    &["-", "-", "-", ">= 2"],
                    None,
                    "special",
                ),
                ("everyone else", &["-", "-", "-", "-"], None, "ordinary"),
            ],
        ),
        symbol_table(
            "cooperation",
            "cooperation stage (R9)",
            &["stage"],
            "cooperation",
            &["potential", "intent", "signed", "churned"],
            &[
                ("no interest yet", &["registered"], None, "potential"),
                ("interest, no purchase", &["potential"], None, "intent"),
                ("lapsed", &["churned"], None, "churned"),
                ("buying customer", &["-"], None, "signed"),
            ],
        ),
    ]
}
