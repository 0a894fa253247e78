//! The RFM columns of a population: top shares, scores, bands and named segments, in one
//! pass once the population statistics (sort orders, thresholds) are known.

use std::num::NonZeroUsize;
use std::ops::Range;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::diagnostic::{ConfigDiagnostic, ConfigError};
use crate::facts::{FactsOptions, FactsTable};
use crate::parallel::{row_chunks, run_each};
use crate::segment::config::{RfmConfig, ScoreConfig, ScoreMethod};
use crate::segment::rfm::{CompiledSegments, MonetaryBands, RecencyBuckets};
use crate::segment::sketch::{QuantileSketch, SketchCapacity};
use crate::segment::stats::{
    int_quantile_thresholds, int_rank_scores, int_threshold_scores, money_key, scaled_ceil,
    split_rows, type7_thresholds, Bins, CutPoints, Direction, MoneyOrder, RankBins, TopShare,
    ValueCounts, WholeNumbers, NONE,
};
use crate::segment::{SegmentError, SegmentErrorKind};

/// The RFM settings checked and compiled: score settings, bands and the segment lookup.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct CompiledRfm {
    pub(crate) scores: ScoreConfig,
    pub(crate) recency_buckets: RecencyBuckets,
    pub(crate) monetary_bands: MonetaryBands,
    pub(crate) segments: CompiledSegments,
}

impl CompiledRfm {
    pub(crate) fn new(
        config: &RfmConfig,
        path: &str,
    ) -> Result<(CompiledRfm, Vec<ConfigDiagnostic>), Vec<ConfigDiagnostic>> {
        let mut diagnostics = Vec::new();
        config.check(path, &mut diagnostics);
        if diagnostics.iter().any(ConfigDiagnostic::is_error) {
            return Err(diagnostics);
        }
        let table = config.segments.table();
        let (segments, warnings) = table
            .compile(
                config.scores.recency_bins(),
                config.scores.frequency_bins(),
                config.scores.monetary_bins(),
            )
            .map_err(|e: ConfigError| e.diagnostics().to_vec())?;
        diagnostics.extend(
            warnings
                .into_iter()
                .map(|w| w.prefixed(&format!("{path}.segments"))),
        );
        Ok((
            CompiledRfm {
                scores: config.scores.clone(),
                recency_buckets: config.bands.recency_days.clone(),
                monetary_bands: config.bands.monetary_top_share.clone(),
                segments,
            },
            diagnostics,
        ))
    }
}

/// The score thresholds a segmentation used, per dimension (empty for rank scores).
///
/// A value scores `1 + (number of thresholds ≤ value)`; for recency the score is then
/// reversed (`bins + 1 − that`), since fewer days is better. These are R `rfm`'s
/// `threshold` table, so a company can see — and then fix in its config — the cut points.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Thresholds {
    /// Recency thresholds, in days.
    pub recency: Vec<Decimal>,
    /// Frequency thresholds, in purchases.
    pub frequency: Vec<Decimal>,
    /// Monetary thresholds, in the table's currency.
    pub monetary: Vec<Decimal>,
}

/// The RFM columns of a population, in the facts table's row order.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub(crate) struct RfmColumns {
    /// Per row, the number of purchasers whose spend is strictly greater (0 for a
    /// non-purchaser): with `purchasers`, the row's [`TopShare`].
    pub(crate) greater: Vec<u32>,
    /// The purchasers the top shares count (the base's, for a shard).
    pub(crate) purchasers: u32,
    pub(crate) r_score: Vec<u8>,
    pub(crate) f_score: Vec<u8>,
    pub(crate) m_score: Vec<u8>,
    pub(crate) segment: Vec<u8>,
    pub(crate) recency_bucket: Vec<u8>,
    pub(crate) monetary_band: Vec<u8>,
    pub(crate) thresholds: Thresholds,
}

impl RfmColumns {
    /// Row `row`'s place in the spend ranking: `None` for a customer without a
    /// monetary score (a non-purchaser) and past the last row.
    pub(crate) fn top_share(&self, row: usize) -> Option<TopShare> {
        if *self.m_score.get(row)? == NONE {
            return None;
        }
        Some(TopShare {
            greater: *self.greater.get(row)?,
            purchasers: self.purchasers,
        })
    }
}

/// The population-wide statistics of the three RFM metrics over purchasers: computed
/// shard by shard, merged, then used to classify each shard alone with the same
/// thresholds and top shares as one run over the whole base (R13).
///
/// # Exact or approximate
///
/// [`PopulationStats::of`] keeps exact per-value counts. Recency and frequency are
/// small integers, and spend has at most one distinct value per customer but in
/// practice far fewer (amounts in cents repeat): exact counts stay small, merge by
/// addition, and make a sharded run equal — not close — to a single one.
///
/// For a base whose distinct spends are too many to count,
/// [`PopulationStats::approximate`] summarises spend in a [`QuantileSketch`] instead
/// (recency and frequency stay exact: their counts are bounded by the number of days
/// and of purchases, whatever the size of the base). A shard segmented with them
/// ([`Segmenter::run_shard`](crate::Segmenter::run_shard)) gets:
///
/// - *Recency and frequency scores*: exact, as with exact statistics.
/// - *Monetary top share*: `greater` is the population size minus the sketch's rank of
///   the customer's spend, so it is within
///   [`monetary_error_bound`](PopulationStats::monetary_error_bound) of the exact count
///   (the sketch's rank-error bound): the share moves by at most that bound over the
///   number of purchasers, and only a customer that close to a band's edge can change
///   band.
/// - *Monetary quantile scores*: each threshold is R's type-7 quantile plus one,
///   interpolated between two sketch values whose true ranks are within the bound of
///   the exact ones. A customer's score changes only when their spend lies between an
///   exact and an approximate threshold; while the bound is below half the distance
///   between two thresholds' ranks (`(n − 1) / bins`), the thresholds keep their order
///   and a score moves by at most one. How many customers move depends on how many
///   spend near a threshold: on the skewed base of 200,000 customers in
///   `tests/segment/sketch.rs`, merged from 8 shards with capacity 1,024 (bound 1,477
///   purchasers, 0.74%), 0.28% of purchasers get another monetary score (the test
///   asserts at most 0.5%), each by one, and the largest top-share difference is 398
///   purchasers (0.20%).
/// - *Fixed cut points*: exact, as they need no statistics.
/// - *Ordinal-rank scores*: refused, as with exact counts
///   ([`SegmentErrorKind::RankNeedsWholePopulation`]): a rank breaks ties by customer
///   id across the whole base, which neither counts nor a sketch carry.
///
/// Statistics of one method merge only with statistics of the same method (and, for
/// sketches, the same capacity).
///
/// # Example
///
/// ```
/// use chrono::NaiveDate;
/// use patronage::{Aggregator, Config, Currency, CustomerId, Segmenter}; use patronage::segment::PopulationStats;
///
/// let config = Config::reference();
/// let as_of = NaiveDate::from_ymd_opt(2024, 12, 31).ok_or("bad date")?;
/// let day = NaiveDate::from_ymd_opt(2024, 12, 1).ok_or("bad date")?;
/// let shard = |ids: &[u64]| -> Result<_, Box<dyn std::error::Error>> {
///     let mut agg = Aggregator::new(config.facts_options_on(as_of, Currency::CNY)?);
///     for id in ids {
///         agg.add_purchase_on(CustomerId(*id), day, format!("{id}.00 CNY").parse()?)?;
///     }
///     Ok(agg.into_table())
/// };
/// let (east, west) = (shard(&[1, 2, 3])?, shard(&[4, 5])?);
/// let (segmenter, _) = config.segmenter(Currency::CNY)?;
/// let mut stats = PopulationStats::of(&east);
/// stats.merge(&PopulationStats::of(&west))?;
/// let east_part = segmenter.run_shard(&east, &stats)?;
/// let share = east_part.get(CustomerId(3)).and_then(|c| c.monetary_top_share).ok_or("no share")?;
/// assert_eq!((share.greater, share.purchasers), (2, 5));
///
/// // A shard folded as of another day does not mix in.
/// let later = NaiveDate::from_ymd_opt(2025, 1, 31).ok_or("bad date")?;
/// let mut late = Aggregator::new(config.facts_options_on(later, Currency::CNY)?);
/// late.add_purchase_on(CustomerId(9), day, "9.00 CNY".parse()?)?;
/// let err = stats.merge(&PopulationStats::of(&late.into_table())).unwrap_err();
/// assert!(err.to_string().starts_with("cannot combine statistics of facts folded with"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PopulationStats {
    /// Days since the last purchase.
    pub recency_days: ValueCounts,
    /// Purchases in the frequency window.
    pub frequency: ValueCounts,
    /// Cumulative net spend (empty in approximate statistics, whose spend is in
    /// [`monetary_sketch`](PopulationStats::monetary_sketch)).
    pub monetary: ValueCounts,
    /// Spend in a sketch, for approximate statistics.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    monetary_sketch: Option<QuantileSketch<Decimal>>,
    /// What the shards' facts were folded for (`None` before the first shard): shards of
    /// one base share their day, currency and policy.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    options: Option<FactsOptions>,
}

/// How [`PopulationStats`] summarise spend.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum StatsMethod {
    /// Exact per-value counts ([`PopulationStats::of`]).
    Exact,
    /// A quantile sketch of this capacity ([`PopulationStats::approximate`]).
    Sketch(SketchCapacity),
}

impl StatsMethod {
    fn describe(self) -> String {
        match self {
            StatsMethod::Exact => "exact".to_owned(),
            StatsMethod::Sketch(capacity) => {
                format!("approximate (sketch capacity {})", capacity.get())
            }
        }
    }
}

impl PopulationStats {
    /// The exact statistics of one shard's purchasers.
    ///
    /// # Example
    ///
    /// ```
    /// use chrono::NaiveDate;
    /// use patronage::segment::{PopulationStats, StatsMethod};
    /// use patronage::{Aggregator, Config, Currency, CustomerId};
    ///
    /// let config = Config::reference();
    /// let as_of = NaiveDate::from_ymd_opt(2024, 12, 31).ok_or("bad date")?;
    /// let mut agg = Aggregator::new(config.facts_options_on(as_of, Currency::CNY)?);
    /// agg.add_purchase_on(CustomerId(1), as_of, "12.50 CNY".parse()?)?;
    /// let stats = PopulationStats::of(&agg.into_table());
    /// assert_eq!((stats.method(), stats.monetary.total()), (StatsMethod::Exact, 1));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn of(facts: &FactsTable) -> PopulationStats {
        let mut stats = PopulationStats {
            options: Some(*facts.options()),
            ..PopulationStats::default()
        };
        stats.count_recency_and_frequency(facts);
        for (purchases, monetary) in facts.purchases().iter().zip(facts.monetary()) {
            if *purchases > 0 {
                stats.monetary.add(*monetary);
            }
        }
        stats
    }

    /// Approximate statistics of one shard's purchasers: recency and frequency counted
    /// exactly, spend summarised in a [`QuantileSketch`] of `capacity` values per level
    /// (see `# Exact or approximate` for what that changes).
    ///
    /// # Example
    ///
    /// ```
    /// use chrono::{Days, NaiveDate};
    /// use patronage::segment::{PopulationStats, SketchCapacity, StatsMethod};
    /// use patronage::{Aggregator, Config, Currency, CustomerId, Money};
    /// use rust_decimal::Decimal;
    ///
    /// let config = Config::reference();
    /// let as_of = NaiveDate::from_ymd_opt(2024, 12, 31).ok_or("bad date")?;
    /// let (segmenter, _) = config.segmenter(Currency::CNY)?;
    /// let mut agg = Aggregator::new(config.facts_options_on(as_of, Currency::CNY)?);
    /// for id in 0..5_000u64 {
    ///     let day = as_of.checked_sub_days(Days::new(id % 300)).ok_or("bad date")?;
    ///     let cents = Decimal::new((id * 7_919 % 100_000) as i64 + 100, 2);
    ///     agg.add_purchase_on(CustomerId(id), day, Money::new(cents, Currency::CNY))?;
    /// }
    /// let facts = agg.into_table();
    /// let capacity = SketchCapacity::try_new(256)?;
    /// let stats = PopulationStats::approximate(&facts, capacity);
    /// assert_eq!(stats.method(), StatsMethod::Sketch(capacity));
    /// let exact = segmenter.run(&facts)?;
    /// let approximate = segmenter.run_shard(&facts, &stats)?;
    /// // Every top share within the sketch's bound of the exact one.
    /// let bound = stats.monetary_error_bound();
    /// for (a, e) in approximate.iter().zip(exact.iter()) {
    ///     let (a, e) = (a.monetary_top_share.ok_or("share")?, e.monetary_top_share.ok_or("share")?);
    ///     assert!(u64::from(a.greater.abs_diff(e.greater)) <= bound);
    /// }
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn approximate(facts: &FactsTable, capacity: SketchCapacity) -> PopulationStats {
        let mut stats = PopulationStats {
            options: Some(*facts.options()),
            ..PopulationStats::default()
        };
        stats.count_recency_and_frequency(facts);
        let mut sketch = QuantileSketch::new(capacity);
        for (purchases, monetary) in facts.purchases().iter().zip(facts.monetary()) {
            if *purchases > 0 {
                sketch.insert(monetary.normalize());
            }
        }
        stats.monetary_sketch = Some(sketch);
        stats
    }

    /// Adds another shard's statistics.
    ///
    /// # Errors
    ///
    /// [`SegmentErrorKind::StatsMismatch`] when the two were computed from facts folded
    /// for another day, currency or policy, [`SegmentErrorKind::StatsMethodMismatch`]
    /// when one is exact and the other approximate (or their sketches' capacities
    /// differ); `self` is then unchanged.
    ///
    /// # Example
    ///
    /// ```
    /// use chrono::NaiveDate;
    /// use patronage::segment::{PopulationStats, SketchCapacity};
    /// use patronage::{Aggregator, Config, Currency, CustomerId};
    ///
    /// let config = Config::reference();
    /// let as_of = NaiveDate::from_ymd_opt(2024, 12, 31).ok_or("bad date")?;
    /// let mut agg = Aggregator::new(config.facts_options_on(as_of, Currency::CNY)?);
    /// agg.add_purchase_on(CustomerId(1), as_of, "12.50 CNY".parse()?)?;
    /// let facts = agg.into_table();
    /// let mut stats = PopulationStats::default();
    /// stats.merge(&PopulationStats::approximate(&facts, SketchCapacity::default()))?;
    /// stats.merge(&PopulationStats::approximate(&facts, SketchCapacity::default()))?;
    /// assert_eq!(stats.monetary_total(), 2);
    /// let err = stats.merge(&PopulationStats::of(&facts)).unwrap_err();
    /// assert_eq!(
    ///     err.to_string(),
    ///     "cannot combine approximate (sketch capacity 4096) statistics with exact statistics: expected every shard summarised the same way (`PopulationStats::of`, or `PopulationStats::approximate` with one capacity)",
    /// );
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn merge(&mut self, other: &PopulationStats) -> Result<(), SegmentError> {
        self.check_options(other.options.as_ref())?;
        let mismatch = || {
            SegmentError::new(SegmentErrorKind::StatsMethodMismatch {
                expected: self.method().describe(),
                found: other.method().describe(),
            })
        };
        // Statistics without spend take the other's method.
        let spend = match (&self.monetary_sketch, &other.monetary_sketch) {
            (None, None) => None,
            (Some(mine), Some(theirs)) if mine.capacity() == theirs.capacity() => {
                Some(Some(theirs))
            }
            (None, Some(theirs)) if self.monetary.total() == 0 => Some(Some(theirs)),
            (Some(_), None) if other.monetary.total() == 0 => Some(None),
            _ => return Err(mismatch()),
        };
        match spend {
            None => self.monetary.merge(&other.monetary),
            Some(Some(theirs)) => match &mut self.monetary_sketch {
                Some(mine) => mine.merge(theirs)?,
                None => self.monetary_sketch = Some(theirs.clone()),
            },
            Some(None) => {}
        }
        self.options = self.options.or(other.options);
        self.recency_days.merge(&other.recency_days);
        self.frequency.merge(&other.frequency);
        Ok(())
    }

    /// What the shards' facts were folded for, once a shard was added.
    ///
    /// # Example
    ///
    /// ```
    /// use chrono::NaiveDate;
    /// use patronage::segment::{PopulationStats, SketchCapacity, StatsMethod};
    /// use patronage::{Aggregator, Config, Currency, CustomerId};
    ///
    /// let config = Config::reference();
    /// let as_of = NaiveDate::from_ymd_opt(2024, 12, 31).ok_or("bad date")?;
    /// let mut agg = Aggregator::new(config.facts_options_on(as_of, Currency::CNY)?);
    /// agg.add_purchase_on(CustomerId(1), as_of, "12.50 CNY".parse()?)?;
    /// let facts = agg.into_table();
    /// let exact = PopulationStats::of(&facts);
    /// assert_eq!(exact.method(), StatsMethod::Exact);
    /// assert!(exact.monetary_sketch().is_none());
    /// assert_eq!((exact.monetary_total(), exact.monetary_error_bound()), (1, 0));
    ///
    /// let capacity = SketchCapacity::try_new(64)?;
    /// let approximate = PopulationStats::approximate(&facts, capacity);
    /// assert_eq!(approximate.method(), StatsMethod::Sketch(capacity));
    /// assert_eq!(approximate.monetary_sketch().map(|s| s.len()), Some(1));
    /// assert_eq!((approximate.monetary_total(), approximate.monetary_error_bound()), (1, 0));
    /// assert_eq!(approximate.facts_options(), Some(facts.options()));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn facts_options(&self) -> Option<&FactsOptions> {
        self.options.as_ref()
    }

    /// How spend is summarised.
    ///
    /// # Example
    ///
    /// ```
    /// use chrono::NaiveDate;
    /// use patronage::segment::{PopulationStats, SketchCapacity, StatsMethod};
    /// use patronage::{Aggregator, Config, Currency, CustomerId};
    ///
    /// let config = Config::reference();
    /// let as_of = NaiveDate::from_ymd_opt(2024, 12, 31).ok_or("bad date")?;
    /// let mut agg = Aggregator::new(config.facts_options_on(as_of, Currency::CNY)?);
    /// agg.add_purchase_on(CustomerId(1), as_of, "12.50 CNY".parse()?)?;
    /// let facts = agg.into_table();
    /// let exact = PopulationStats::of(&facts);
    /// assert_eq!(exact.method(), StatsMethod::Exact);
    /// assert!(exact.monetary_sketch().is_none());
    /// assert_eq!((exact.monetary_total(), exact.monetary_error_bound()), (1, 0));
    ///
    /// let capacity = SketchCapacity::try_new(64)?;
    /// let approximate = PopulationStats::approximate(&facts, capacity);
    /// assert_eq!(approximate.method(), StatsMethod::Sketch(capacity));
    /// assert_eq!(approximate.monetary_sketch().map(|s| s.len()), Some(1));
    /// assert_eq!((approximate.monetary_total(), approximate.monetary_error_bound()), (1, 0));
    /// assert_eq!(approximate.facts_options(), Some(facts.options()));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn method(&self) -> StatsMethod {
        match &self.monetary_sketch {
            Some(sketch) => StatsMethod::Sketch(sketch.capacity()),
            None => StatsMethod::Exact,
        }
    }

    /// The sketch of spend, for approximate statistics.
    ///
    /// # Example
    ///
    /// ```
    /// use chrono::NaiveDate;
    /// use patronage::segment::{PopulationStats, SketchCapacity, StatsMethod};
    /// use patronage::{Aggregator, Config, Currency, CustomerId};
    ///
    /// let config = Config::reference();
    /// let as_of = NaiveDate::from_ymd_opt(2024, 12, 31).ok_or("bad date")?;
    /// let mut agg = Aggregator::new(config.facts_options_on(as_of, Currency::CNY)?);
    /// agg.add_purchase_on(CustomerId(1), as_of, "12.50 CNY".parse()?)?;
    /// let facts = agg.into_table();
    /// let exact = PopulationStats::of(&facts);
    /// assert_eq!(exact.method(), StatsMethod::Exact);
    /// assert!(exact.monetary_sketch().is_none());
    /// assert_eq!((exact.monetary_total(), exact.monetary_error_bound()), (1, 0));
    ///
    /// let capacity = SketchCapacity::try_new(64)?;
    /// let approximate = PopulationStats::approximate(&facts, capacity);
    /// assert_eq!(approximate.method(), StatsMethod::Sketch(capacity));
    /// assert_eq!(approximate.monetary_sketch().map(|s| s.len()), Some(1));
    /// assert_eq!((approximate.monetary_total(), approximate.monetary_error_bound()), (1, 0));
    /// assert_eq!(approximate.facts_options(), Some(facts.options()));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn monetary_sketch(&self) -> Option<&QuantileSketch<Decimal>> {
        self.monetary_sketch.as_ref()
    }

    /// The largest difference between the number of purchasers these statistics put
    /// above a spend and the exact number: 0 for exact statistics, the sketch's
    /// [`error_bound`](QuantileSketch::error_bound) for approximate ones.
    ///
    /// # Example
    ///
    /// ```
    /// use chrono::NaiveDate;
    /// use patronage::segment::{PopulationStats, SketchCapacity, StatsMethod};
    /// use patronage::{Aggregator, Config, Currency, CustomerId};
    ///
    /// let config = Config::reference();
    /// let as_of = NaiveDate::from_ymd_opt(2024, 12, 31).ok_or("bad date")?;
    /// let mut agg = Aggregator::new(config.facts_options_on(as_of, Currency::CNY)?);
    /// agg.add_purchase_on(CustomerId(1), as_of, "12.50 CNY".parse()?)?;
    /// let facts = agg.into_table();
    /// let exact = PopulationStats::of(&facts);
    /// assert_eq!(exact.method(), StatsMethod::Exact);
    /// assert!(exact.monetary_sketch().is_none());
    /// assert_eq!((exact.monetary_total(), exact.monetary_error_bound()), (1, 0));
    ///
    /// let capacity = SketchCapacity::try_new(64)?;
    /// let approximate = PopulationStats::approximate(&facts, capacity);
    /// assert_eq!(approximate.method(), StatsMethod::Sketch(capacity));
    /// assert_eq!(approximate.monetary_sketch().map(|s| s.len()), Some(1));
    /// assert_eq!((approximate.monetary_total(), approximate.monetary_error_bound()), (1, 0));
    /// assert_eq!(approximate.facts_options(), Some(facts.options()));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn monetary_error_bound(&self) -> u64 {
        self.monetary_sketch
            .as_ref()
            .map_or(0, QuantileSketch::error_bound)
    }

    /// The number of purchasers summarised.
    ///
    /// # Example
    ///
    /// ```
    /// use chrono::NaiveDate;
    /// use patronage::segment::{PopulationStats, SketchCapacity, StatsMethod};
    /// use patronage::{Aggregator, Config, Currency, CustomerId};
    ///
    /// let config = Config::reference();
    /// let as_of = NaiveDate::from_ymd_opt(2024, 12, 31).ok_or("bad date")?;
    /// let mut agg = Aggregator::new(config.facts_options_on(as_of, Currency::CNY)?);
    /// agg.add_purchase_on(CustomerId(1), as_of, "12.50 CNY".parse()?)?;
    /// let facts = agg.into_table();
    /// let exact = PopulationStats::of(&facts);
    /// assert_eq!(exact.method(), StatsMethod::Exact);
    /// assert!(exact.monetary_sketch().is_none());
    /// assert_eq!((exact.monetary_total(), exact.monetary_error_bound()), (1, 0));
    ///
    /// let capacity = SketchCapacity::try_new(64)?;
    /// let approximate = PopulationStats::approximate(&facts, capacity);
    /// assert_eq!(approximate.method(), StatsMethod::Sketch(capacity));
    /// assert_eq!(approximate.monetary_sketch().map(|s| s.len()), Some(1));
    /// assert_eq!((approximate.monetary_total(), approximate.monetary_error_bound()), (1, 0));
    /// assert_eq!(approximate.facts_options(), Some(facts.options()));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn monetary_total(&self) -> u64 {
        match &self.monetary_sketch {
            Some(sketch) => sketch.len(),
            None => self.monetary.total(),
        }
    }

    /// Counts the purchasers' recency and frequency.
    fn count_recency_and_frequency(&mut self, facts: &FactsTable) {
        let purchasers = facts
            .purchases()
            .iter()
            .zip(facts.recency_days())
            .zip(facts.frequency())
            .filter(|((purchases, _), _)| **purchases > 0);
        let (recency, frequency): (Vec<u32>, Vec<u32>) = purchasers
            .map(|((_, recency), frequency)| (recency.unwrap_or(0), *frequency))
            .unzip();
        self.recency_days = ValueCounts::from_whole_numbers(recency);
        self.frequency = ValueCounts::from_whole_numbers(frequency);
    }

    /// The R `rfm` quantile thresholds of spend (from the sketch's values for
    /// approximate statistics).
    pub(crate) fn monetary_thresholds(&self, bins: Bins) -> Result<Vec<Decimal>, SegmentError> {
        let Some(sketch) = &self.monetary_sketch else {
            return self.monetary.quantile_thresholds(bins);
        };
        let cumulative = sketch.cumulative();
        type7_thresholds(sketch.len(), bins, |idx| {
            let at = cumulative.partition_point(|(_, at_most)| *at_most <= idx);
            cumulative.get(at).map(|(value, _)| *value)
        })
    }

    /// Each distinct spend, ascending, with the number of purchasers who spent more
    /// (estimated from the sketch for approximate statistics).
    pub(crate) fn monetary_greater_table(&self) -> Vec<(Decimal, u64)> {
        let Some(sketch) = &self.monetary_sketch else {
            return self.monetary.greater_table();
        };
        let total = sketch.len();
        sketch
            .cumulative()
            .into_iter()
            .map(|(value, at_most)| (value, total.saturating_sub(at_most)))
            .collect()
    }

    /// Checks that facts folded with `options` belong with these statistics.
    pub(crate) fn check_options(&self, options: Option<&FactsOptions>) -> Result<(), SegmentError> {
        match (self.options.as_ref(), options) {
            (Some(mine), Some(theirs)) if mine != theirs => {
                Err(SegmentError::new(SegmentErrorKind::StatsMismatch {
                    expected: mine.describe(),
                    found: theirs.describe(),
                }))
            }
            _ => Ok(()),
        }
    }
}

/// The ordinal rank positions of one shard's purchasers in the whole base, computed by
/// whoever holds the whole base in order (a query engine's `row_number()` window
/// function), for [`Segmenter::run_shard_ranked`](crate::Segmenter::run_shard_ranked).
///
/// One entry per row of the shard's facts table, in its row order: the 1-based rank
/// (`1..=n`, `n` the base's purchasers) of the row's customer among the base's
/// purchasers, ties broken by customer id ascending, as the whole-base rank scores
/// order them:
///
/// - `recency`: by days since the last purchase, *descending* (the oldest is 1);
/// - `frequency`: by purchases in the frequency window, ascending;
/// - `monetary`: by net spend, ascending.
///
/// A row without a purchase has no rank (its entry is ignored, `None` by convention).
/// The ranks of one base must be a permutation of `1..=n` per dimension: a shard cannot
/// check that, only that each of its purchasers has a rank in range.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ShardRanks {
    /// Rank by recency days, descending.
    pub recency: Vec<Option<u64>>,
    /// Rank by frequency, ascending.
    pub frequency: Vec<Option<u64>>,
    /// Rank by net spend, ascending.
    pub monetary: Vec<Option<u64>>,
}

impl ShardRanks {
    /// Checks that every column has one entry per row of `facts` and that every
    /// purchaser has a rank in `1..=purchasers`; returns the 0-based positions
    /// (`u32::MAX` for a row without a purchase).
    fn positions(
        &self,
        facts: &FactsTable,
        purchasers: u64,
    ) -> Result<[Vec<u32>; 3], SegmentError> {
        let n = facts.len();
        let columns = [
            ("ranks.recency", "recency", &self.recency),
            ("ranks.frequency", "frequency", &self.frequency),
            ("ranks.monetary", "monetary", &self.monetary),
        ];
        let mut out: [Vec<u32>; 3] = [Vec::new(), Vec::new(), Vec::new()];
        for ((column, dimension, ranks), positions) in columns.into_iter().zip(&mut out) {
            if ranks.len() != n {
                return Err(SegmentError::new(SegmentErrorKind::LengthMismatch {
                    column,
                    expected: n,
                    found: ranks.len(),
                }));
            }
            positions.reserve(n);
            for ((customer, purchases), rank) in facts
                .customer_ids()
                .iter()
                .zip(facts.purchases())
                .zip(ranks)
            {
                if *purchases == 0 {
                    positions.push(u32::MAX);
                    continue;
                }
                match rank {
                    Some(rank) if (1..=purchasers).contains(rank) => {
                        // `purchasers` fits `u32` (checked by the caller).
                        positions.push((*rank - 1) as u32);
                    }
                    found => {
                        return Err(SegmentError::new(SegmentErrorKind::RankOutOfRange {
                            customer: *customer,
                            dimension,
                            found: found
                                .map_or_else(|| "no rank".to_owned(), |r| format!("rank {r}")),
                            purchasers,
                        }))
                    }
                }
            }
        }
        Ok(out)
    }
}

/// The RFM columns of `facts` — scores, top shares, bands and named segments — with the
/// population statistics of `population` (a shard of a base) or of `facts` itself, on
/// up to `threads` threads; the same columns for every thread count.
///
/// Recency and frequency are whole numbers of small span: ordinal ranks come from a
/// counting sort (ties by row, so by customer id), quantile thresholds from counts per
/// value. Spend is keyed once as whole numbers at one scale and radix-sorted; that one
/// order gives the monetary scores, the quantile thresholds and the top shares.
#[cfg(test)]
pub(crate) fn rfm_columns_on(
    facts: &FactsTable,
    rfm: &CompiledRfm,
    population: Option<&PopulationStats>,
    threads: NonZeroUsize,
) -> Result<RfmColumns, SegmentError> {
    rfm_columns_ranked(facts, rfm, population, None, threads)
}

/// [`rfm_columns_on`] of a shard whose rank scores come from `ranks` (the base's rank
/// positions, computed outside) rather than from an order of the whole base.
pub(crate) fn rfm_columns_ranked(
    facts: &FactsTable,
    rfm: &CompiledRfm,
    population: Option<&PopulationStats>,
    ranks: Option<&ShardRanks>,
    threads: NonZeroUsize,
) -> Result<RfmColumns, SegmentError> {
    let n = facts.len();
    if u32::try_from(n).is_err() {
        return Err(SegmentError::new(SegmentErrorKind::TooManyCustomers {
            found: n,
        }));
    }
    let positions = match (ranks, population) {
        (Some(ranks), Some(stats)) => {
            let purchasers = stats.monetary_total();
            if u32::try_from(purchasers).is_err() {
                return Err(SegmentError::new(SegmentErrorKind::TooManyCustomers {
                    found: usize::try_from(purchasers).unwrap_or(usize::MAX),
                }));
            }
            Some((ranks.positions(facts, purchasers)?, purchasers as u32))
        }
        _ => None,
    };
    let position_column = |idx: usize| {
        positions
            .as_ref()
            .and_then(|(all, total)| all.get(idx).map(|p| (p.as_slice(), *total)))
    };
    let chunks = row_chunks(n, threads.get());
    let (purchases, recency_days, frequency, monetary) = (
        facts.purchases(),
        facts.recency_days(),
        facts.frequency(),
        facts.monetary(),
    );
    let purchaser = |row: usize| purchases.get(row).is_some_and(|&p| p > 0);
    let recency =
        |row: usize| purchaser(row).then(|| recency_days.get(row).copied().flatten().unwrap_or(0));
    let frequency = |row: usize| purchaser(row).then(|| frequency.get(row).copied().unwrap_or(0));
    let spend = |row: usize| purchaser(row).then(|| monetary.get(row).copied().unwrap_or_default());

    let settings = &rfm.scores;
    let mut r_score = vec![NONE; n];
    let mut f_score = vec![NONE; n];
    let mut m_score = vec![NONE; n];
    let mut greater = vec![0u32; n];
    let r_thresholds = score_whole_numbers(
        &recency,
        &chunks,
        settings,
        settings.recency_cut_points.as_ref(),
        population.map(|stats| &stats.recency_days),
        position_column(0),
        Direction::Descending,
        &mut r_score,
    )?;
    let f_thresholds = score_whole_numbers(
        &frequency,
        &chunks,
        settings,
        settings.frequency_cut_points.as_ref(),
        population.map(|stats| &stats.frequency),
        position_column(1),
        Direction::Ascending,
        &mut f_score,
    )?;
    let (m_thresholds, purchasers_total) = if let Some(stats) = population {
        score_spend_of_shard(
            &spend,
            &chunks,
            settings,
            stats,
            position_column(2),
            &mut m_score,
            &mut greater,
        )?
    } else {
        score_spend(&spend, n, &chunks, settings, &mut m_score, &mut greater)?
    };
    let assembled = assemble(
        rfm,
        &recency,
        [&r_score, &f_score, &m_score],
        &greater,
        purchasers_total,
        &chunks,
    );
    Ok(RfmColumns {
        greater,
        purchasers: purchasers_total,
        r_score,
        f_score,
        m_score,
        segment: assembled.segment,
        recency_bucket: assembled.recency_bucket,
        monetary_band: assembled.monetary_band,
        thresholds: Thresholds {
            recency: r_thresholds,
            frequency: f_thresholds,
            monetary: m_thresholds,
        },
    })
}

/// Scores spend against the column's own order (one sort serves the scores, the
/// quantile thresholds and the top shares) into `m_score` and `greater`; returns the
/// thresholds used and the number of purchasers.
fn score_spend<V>(
    spend: &V,
    n: usize,
    chunks: &[Range<usize>],
    settings: &ScoreConfig,
    m_score: &mut [u8],
    greater: &mut [u32],
) -> Result<(Vec<Decimal>, u32), SegmentError>
where
    V: Fn(usize) -> Option<Decimal> + Sync,
{
    let order = MoneyOrder::of(spend, n, chunks);
    let count = order.packed.len() as u32;
    let (scoring, thresholds) = match (&settings.monetary_cut_points, settings.method) {
        (Some(cuts), _) => (
            MoneyScoring::Cutoffs(cuts.as_slice().iter().map(|t| order.cutoff(*t)).collect()),
            cuts.as_slice().to_vec(),
        ),
        (None, ScoreMethod::Rank) => (
            MoneyScoring::Rank(RankBins::new(count, settings.bins)),
            Vec::new(),
        ),
        (None, ScoreMethod::Quantile) => {
            let thresholds = type7_thresholds(u64::from(count), settings.bins, |idx| {
                let packed = order.packed.get(usize::try_from(idx).ok()?)?;
                spend(order.row(*packed))
            })?;
            (
                MoneyScoring::Cutoffs(thresholds.iter().map(|t| order.cutoff(*t)).collect()),
                thresholds,
            )
        }
    };
    // Each thread walks the whole order and writes the rows of its own chunk: the
    // walk is a sequential read, the writes land at random rows.
    let mut parts = Vec::with_capacity(chunks.len());
    let (mut m_rest, mut g_rest) = (m_score, greater);
    for rows in chunks {
        let (Some((m_part, m_tail)), Some((g_part, g_tail))) = (
            std::mem::take(&mut m_rest).split_at_mut_checked(rows.len()),
            std::mem::take(&mut g_rest).split_at_mut_checked(rows.len()),
        ) else {
            // The chunks cover the rows exactly, so each fits in what is left.
            break;
        };
        parts.push((rows.start, m_part, g_part));
        (m_rest, g_rest) = (m_tail, g_tail);
    }
    run_each(parts, |(first_row, m_part, g_part)| {
        walk_spend(&order, &scoring, first_row, m_part, g_part);
    });
    Ok((thresholds, count))
}

/// Scores one shard's spend with the base's statistics into `m_score` and `greater`;
/// returns the thresholds used and the base's number of purchasers.
fn score_spend_of_shard<V>(
    spend: &V,
    chunks: &[Range<usize>],
    settings: &ScoreConfig,
    stats: &PopulationStats,
    positions: Option<(&[u32], u32)>,
    m_score: &mut [u8],
    greater: &mut [u32],
) -> Result<(Vec<Decimal>, u32), SegmentError>
where
    V: Fn(usize) -> Option<Decimal> + Sync,
{
    let (thresholds, ranked) = match (&settings.monetary_cut_points, settings.method, positions) {
        (Some(cuts), _, _) => (cuts.as_slice().to_vec(), None),
        (None, ScoreMethod::Quantile, _) => (stats.monetary_thresholds(settings.bins)?, None),
        (None, _, Some(positions)) => (Vec::new(), Some(positions)),
        (None, _, None) => {
            return Err(SegmentError::new(
                SegmentErrorKind::RankNeedsWholePopulation,
            ))
        }
    };
    let table = stats.monetary_greater_table();
    let total = stats.monetary_total();
    score_spend_with_table(spend, chunks, &thresholds, &table, total, m_score, greater);
    if let Some((positions, count)) = ranked {
        score_positions(positions, count, settings.bins, m_score);
    }
    Ok((thresholds, u32::try_from(total).unwrap_or(u32::MAX)))
}

/// Rank scores from 0-based positions among `count` ranked values (`u32::MAX`: a row
/// without a rank, left [`NONE`]).
fn score_positions(positions: &[u32], count: u32, bins: Bins, out: &mut [u8]) {
    let ranks = RankBins::new(count, bins);
    for (score, position) in out.iter_mut().zip(positions) {
        *score = if *position == u32::MAX {
            NONE
        } else {
            ranks.score(*position)
        };
    }
}

/// Scores a whole-number dimension (recency or frequency) into `out`: by cut points,
/// by the population's quantile thresholds (`counts`, for a shard), or by the column's
/// own ordinal ranks or quantile thresholds; returns the thresholds used.
#[allow(clippy::too_many_arguments)] // the parts of one scoring, named at its two call sites
fn score_whole_numbers<K>(
    key: &K,
    chunks: &[Range<usize>],
    settings: &ScoreConfig,
    cut_points: Option<&CutPoints>,
    counts: Option<&ValueCounts>,
    positions: Option<(&[u32], u32)>,
    direction: Direction,
    out: &mut [u8],
) -> Result<Vec<Decimal>, SegmentError>
where
    K: Fn(usize) -> Option<u32> + Sync,
{
    let column = WholeNumbers::of(key, chunks);
    let thresholds = match (cut_points, counts, settings.method) {
        (Some(cuts), _, _) => cuts.as_slice().to_vec(),
        (None, Some(counts), ScoreMethod::Quantile) => counts.quantile_thresholds(settings.bins)?,
        (None, Some(_), _) if positions.is_some() => {
            if let Some((positions, count)) = positions {
                score_positions(positions, count, settings.bins, out);
            }
            return Ok(Vec::new());
        }
        (None, Some(_), _) => {
            return Err(SegmentError::new(
                SegmentErrorKind::RankNeedsWholePopulation,
            ))
        }
        (None, None, ScoreMethod::Rank) => {
            if let Some(column) = &column {
                int_rank_scores(key, chunks, column, direction, settings.bins, out);
            }
            return Ok(Vec::new());
        }
        (None, None, ScoreMethod::Quantile) => match &column {
            Some(column) => int_quantile_thresholds(key, chunks, column, settings.bins)?,
            None => Vec::new(),
        },
    };
    int_threshold_scores(key, chunks, column.as_ref(), &thresholds, direction, out);
    Ok(thresholds)
}

/// How the sorted walk over spend scores a customer.
enum MoneyScoring {
    /// By ordinal rank.
    Rank(RankBins),
    /// `1 + (number of cutoffs ≤ key)`: thresholds as [`MoneyOrder`] keys.
    Cutoffs(Vec<u64>),
}

/// Walks the spend order from the largest: a run of equal keys starts after every
/// strictly greater spend, which is its top share's `greater`; scores by rank position
/// or by cutoffs. Writes `m_score` and `greater` of the sorted rows from `first_row`
/// on (the slices start there).
fn walk_spend(
    order: &MoneyOrder,
    scoring: &MoneyScoring,
    first_row: usize,
    m_score: &mut [u8],
    greater: &mut [u32],
) {
    let count = order.packed.len() as u32;
    let mut run_start = 0u32;
    let mut run_key = None;
    // The current score and, for ranks, the last position of the score below it; for
    // cutoffs, how many are at or below the key.
    let mut score = 0u8;
    let mut floor = 0u32;
    let mut below = match scoring {
        MoneyScoring::Cutoffs(cutoffs) => cutoffs.len(),
        MoneyScoring::Rank(_) => 0,
    };
    for (from_top, packed) in (0u32..).zip(order.packed.iter().rev()) {
        let key = order.key(*packed);
        if run_key != Some(key) {
            run_start = from_top;
            run_key = Some(key);
        }
        let position = count - 1 - from_top;
        match scoring {
            MoneyScoring::Rank(ranks) => {
                if score == 0 || (score > 1 && position <= floor) {
                    score = ranks.score(position);
                    floor = ranks.last_position(score.saturating_sub(1));
                }
            }
            MoneyScoring::Cutoffs(cutoffs) => {
                while below > 0 && cutoffs.get(below - 1).is_some_and(|&c| c > key) {
                    below -= 1;
                }
                score = (below + 1).min(100) as u8;
            }
        }
        // Rows outside `first_row..first_row + m_score.len()` are another walk's.
        let Some(row) = order.row(*packed).checked_sub(first_row) else {
            continue;
        };
        if let Some(slot) = m_score.get_mut(row) {
            *slot = score;
        }
        if let Some(slot) = greater.get_mut(row) {
            *slot = run_start;
        }
    }
}

/// Scores spend against thresholds and finds each customer's `greater` in a table of
/// (value, count strictly greater) of the population (a shard's merged statistics),
/// row by row. Spend that fits whole numbers at one scale is compared as integers.
fn score_spend_with_table<V>(
    spend: &V,
    chunks: &[Range<usize>],
    thresholds: &[Decimal],
    table: &[(Decimal, u64)],
    total: u64,
    m_score: &mut [u8],
    greater: &mut [u32],
) where
    V: Fn(usize) -> Option<Decimal> + Sync,
{
    let table_greater: Vec<u64> = table.iter().map(|(_, g)| *g).collect();
    let scale = run_each(chunks.to_vec(), |rows| {
        rows.filter_map(spend)
            .map(|v| Some(v.scale()))
            .try_fold(0u32, |max, s| s.map(|s| max.max(s)))
    })
    .into_iter()
    .max()
    .flatten()
    .unwrap_or(0);
    let fits = run_each(chunks.to_vec(), |rows| {
        rows.filter_map(spend)
            .all(|v| money_key(v, scale).is_some())
    })
    .into_iter()
    .all(|fits| fits);
    if fits {
        let key = |row: usize| spend(row).and_then(|v| money_key(v, scale)).map(i128::from);
        let cutoffs: Vec<i128> = thresholds.iter().map(|t| scaled_ceil(*t, scale)).collect();
        let table_cuts: Vec<i128> = table.iter().map(|(v, _)| scaled_ceil(*v, scale)).collect();
        score_rows_with_table(
            &key,
            chunks,
            &cutoffs,
            &table_cuts,
            &table_greater,
            total,
            m_score,
            greater,
        );
    } else {
        let table_values: Vec<Decimal> = table.iter().map(|(v, _)| *v).collect();
        score_rows_with_table(
            spend,
            chunks,
            thresholds,
            &table_values,
            &table_greater,
            total,
            m_score,
            greater,
        );
    }
}

/// [`score_spend_with_table`] over keys of one kind: a key scores `1 + (number of
/// cutoffs ≤ key)`; its `greater` is that of the largest table value at or below it,
/// or `total` below every one.
#[allow(clippy::too_many_arguments)] // the parts of one pass, named at its two call sites
fn score_rows_with_table<K, T>(
    key: &K,
    chunks: &[Range<usize>],
    cutoffs: &[T],
    table_cuts: &[T],
    table_greater: &[u64],
    total: u64,
    m_score: &mut [u8],
    greater: &mut [u32],
) where
    K: Fn(usize) -> Option<T> + Sync,
    T: Ord + Copy + Sync,
{
    let scores = split_rows(m_score, chunks);
    let greaters = split_rows(greater, chunks);
    let work: Vec<_> = scores
        .into_iter()
        .zip(greaters)
        .zip(chunks.iter().cloned())
        .collect();
    run_each(work, |((scores, greaters), rows)| {
        for ((row, score), above) in rows.zip(scores.iter_mut()).zip(greaters.iter_mut()) {
            let Some(value) = key(row) else { continue };
            *score = (cutoffs.partition_point(|c| *c <= value) + 1).min(100) as u8;
            let at_or_below = table_cuts.partition_point(|c| *c <= value);
            let count = match at_or_below.checked_sub(1) {
                Some(idx) => table_greater.get(idx).copied().unwrap_or(0),
                None => total,
            };
            *above = u32::try_from(count).unwrap_or(u32::MAX);
        }
    });
}

/// The per-customer columns that follow from the scores — named segment, recency
/// bucket, monetary band and top share — chunk by chunk, each column in its own tight
/// pass and written once. A purchaser is a row with a monetary score.
fn assemble<K>(
    rfm: &CompiledRfm,
    recency: &K,
    scores: [&[u8]; 3],
    greater: &[u32],
    purchasers: u32,
    chunks: &[Range<usize>],
) -> AssembledColumns
where
    K: Fn(usize) -> Option<u32> + Sync,
{
    let bands = BandCuts::new(&rfm.monetary_bands, purchasers);
    let segments = SegmentCells::new(rfm);
    let buckets = BucketTable::new(&rfm.recency_buckets);
    let [r_score, f_score, m_score] = scores;
    let n = m_score.len();
    let mut whole = AssembledColumns {
        segment: vec![NONE; n],
        recency_bucket: vec![NONE; n],
        monetary_band: vec![NONE; n],
    };
    // Each chunk fills its own rows of the three columns, in place.
    let mut parts = Vec::with_capacity(chunks.len());
    let (mut segment, mut bucket, mut band) = (
        whole.segment.as_mut_slice(),
        whole.recency_bucket.as_mut_slice(),
        whole.monetary_band.as_mut_slice(),
    );
    for rows in chunks {
        let len = rows.len();
        let (
            Some((segment_part, segment_rest)),
            Some((bucket_part, bucket_rest)),
            Some((band_part, band_rest)),
        ) = (
            std::mem::take(&mut segment).split_at_mut_checked(len),
            std::mem::take(&mut bucket).split_at_mut_checked(len),
            std::mem::take(&mut band).split_at_mut_checked(len),
        )
        else {
            // The chunks cover the rows exactly, so each fits in what is left.
            break;
        };
        parts.push((rows.clone(), segment_part, bucket_part, band_part));
        (segment, bucket, band) = (segment_rest, bucket_rest, band_rest);
    }
    run_each(parts, |(rows, segment, bucket, band)| {
        let (r, f, m) = (
            r_score.get(rows.clone()).unwrap_or_default(),
            f_score.get(rows.clone()).unwrap_or_default(),
            m_score.get(rows.clone()).unwrap_or_default(),
        );
        let above = greater.get(rows.clone()).unwrap_or_default();
        for (((out, r), f), m) in segment.iter_mut().zip(r).zip(f).zip(m) {
            if *m != NONE {
                *out = segments.segment(*r, *f, *m);
            }
        }
        for (out, row) in bucket.iter_mut().zip(rows) {
            if let Some(days) = recency(row) {
                *out = buckets.bucket(days);
            }
        }
        for ((band, m), g) in band.iter_mut().zip(m).zip(above) {
            if *m != NONE {
                *band = bands.band(*g);
            }
        }
    });
    whole
}

/// The columns [`assemble`] fills.
struct AssembledColumns {
    segment: Vec<u8>,
    recency_bucket: Vec<u8>,
    monetary_band: Vec<u8>,
}

/// The named segment of every score triple in range, as one flat table.
struct SegmentCells<'a> {
    segments: &'a CompiledSegments,
    dims: [usize; 3],
    cells: Vec<u8>,
}

impl SegmentCells<'_> {
    fn new(rfm: &CompiledRfm) -> SegmentCells<'_> {
        let dims = [
            rfm.scores.recency_bins(),
            rfm.scores.frequency_bins(),
            rfm.scores.monetary_bins(),
        ]
        .map(|bins| usize::from(bins.get()));
        let [nr, nf, nm] = dims.map(|d| d as u8);
        let mut cells = Vec::with_capacity(dims.iter().product());
        for r in 1..=nr {
            for f in 1..=nf {
                for m in 1..=nm {
                    cells.push(rfm.segments.segment(r, f, m));
                }
            }
        }
        SegmentCells {
            segments: &rfm.segments,
            dims,
            cells,
        }
    }

    #[inline]
    fn segment(&self, r: u8, f: u8, m: u8) -> u8 {
        let [_, nf, nm] = self.dims;
        let (r, f, m) = (usize::from(r), usize::from(f), usize::from(m));
        let cell = if (1..=nf).contains(&f) && (1..=nm).contains(&m) {
            r.checked_sub(1).map(|r| (r * nf + f - 1) * nm + m - 1)
        } else {
            None
        };
        match cell.and_then(|idx| self.cells.get(idx)) {
            Some(segment) => *segment,
            None => self.segments.segment(r as u8, f as u8, m as u8),
        }
    }
}

/// [`RecencyBuckets::bucket`] of every day up to the last bound, as a table.
struct BucketTable<'a> {
    buckets: &'a RecencyBuckets,
    table: Vec<u8>,
}

impl BucketTable<'_> {
    fn new(buckets: &RecencyBuckets) -> BucketTable<'_> {
        let last = buckets.upper_bounds_days.last().copied().unwrap_or(0);
        let table = (0..=last.min(1 << 16).saturating_add(1))
            .map(|days| buckets.bucket(days))
            .collect();
        BucketTable { buckets, table }
    }

    #[inline]
    fn bucket(&self, days: u32) -> u8 {
        match self.table.get(days as usize) {
            Some(bucket) => *bucket,
            None => self.buckets.bucket(days),
        }
    }
}

/// [`MonetaryBands::band`] as a function of `greater` alone, for a fixed number of
/// purchasers: band `j` holds the shares with `greater < cut[j]`, and `is_below` only
/// turns false as `greater` grows, so each cut is found once by bisection. Bounds are
/// ascending (checked with the config), so the cuts are too and the band is the number
/// of cuts at or below `greater`, counted without a branch per cut.
struct BandCuts {
    cuts: Vec<u64>,
}

impl BandCuts {
    fn new(bands: &MonetaryBands, purchasers: u32) -> BandCuts {
        let mut cuts: Vec<u64> = bands
            .upper_bounds
            .iter()
            .map(|bound| {
                // The number of `greater` values (all of `u32`) below the bound.
                let (mut lo, mut hi) = (0u64, 1u64 << 32);
                while lo < hi {
                    let mid = lo + (hi - lo) / 2;
                    let share = TopShare {
                        greater: mid as u32,
                        purchasers,
                    };
                    if share.is_below(*bound) {
                        lo = mid + 1;
                    } else {
                        hi = mid;
                    }
                }
                lo
            })
            .collect();
        // "The first cut above `greater`" is the count of cuts at or below it once the
        // cuts ascend; a cut below an earlier one is never first, so it can take the
        // earlier one's value.
        let mut running = 0u64;
        for cut in &mut cuts {
            running = running.max(*cut);
            *cut = running;
        }
        BandCuts { cuts }
    }

    #[inline]
    fn band(&self, greater: u32) -> u8 {
        let greater = u64::from(greater);
        let band: usize = self
            .cuts
            .iter()
            .map(|&cut| usize::from(cut <= greater))
            .sum();
        u8::try_from(band).unwrap_or(u8::MAX)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::segment::stats::{
        cut_point_scores, quantile_scores_of_order, rank_order_by_comparison, rank_score,
        threshold_scores, top_shares_of_order,
    };
    use crate::{Aggregator, Config, Currency, CustomerId, Money};
    use chrono::{Days, NaiveDate};
    use proptest::prelude::*;

    /// The RFM columns the way they were computed before the integer paths: gathered
    /// purchaser columns, comparison sorts, per-customer `Decimal` comparisons. Kept as
    /// the oracle of [`rfm_columns_on`].
    fn oracle(
        facts: &FactsTable,
        rfm: &CompiledRfm,
        population: Option<&PopulationStats>,
    ) -> Result<RfmColumns, SegmentError> {
        let n = facts.len();
        let purchasers: Vec<u32> = (0u32..)
            .zip(facts.purchases())
            .filter(|(_, &p)| p > 0)
            .map(|(idx, _)| idx)
            .collect();
        let recency: Vec<u32> = purchasers
            .iter()
            .map(|&i| facts.recency_days()[i as usize].unwrap_or(0))
            .collect();
        let frequency: Vec<u32> = purchasers
            .iter()
            .map(|&i| facts.frequency()[i as usize])
            .collect();
        let monetary: Vec<Decimal> = purchasers
            .iter()
            .map(|&i| facts.monetary()[i as usize])
            .collect();
        let settings = &rfm.scores;
        let rank_scores = |values: &[u32], direction| {
            let order = rank_order_by_comparison(values, direction);
            let mut scores = vec![0u8; values.len()];
            for (position, row) in (0u32..).zip(&order) {
                scores[*row as usize] = rank_score(position, order.len() as u32, settings.bins);
            }
            scores
        };
        let score =
            |values: &[u32], cuts: Option<&CutPoints>, counts: Option<&ValueCounts>, direction| {
                if let Some(cuts) = cuts {
                    let scored = cut_point_scores(values, cuts, direction);
                    return Ok((scored.scores, scored.thresholds));
                }
                match (counts, settings.method) {
                    (Some(counts), ScoreMethod::Quantile) => {
                        let thresholds = counts.quantile_thresholds(settings.bins)?;
                        Ok((threshold_scores(values, &thresholds, direction), thresholds))
                    }
                    (Some(_), _) => Err(SegmentError::new(
                        SegmentErrorKind::RankNeedsWholePopulation,
                    )),
                    (None, ScoreMethod::Rank) => Ok((rank_scores(values, direction), Vec::new())),
                    (None, ScoreMethod::Quantile) => {
                        let order = rank_order_by_comparison(values, Direction::Ascending);
                        let scored =
                            quantile_scores_of_order(values, &order, direction, settings.bins)?;
                        Ok((scored.scores, scored.thresholds))
                    }
                }
            };
        let (r, r_thresholds) = score(
            &recency,
            settings.recency_cut_points.as_ref(),
            population.map(|p| &p.recency_days),
            Direction::Descending,
        )?;
        let (f, f_thresholds) = score(
            &frequency,
            settings.frequency_cut_points.as_ref(),
            population.map(|p| &p.frequency),
            Direction::Ascending,
        )?;
        let (m, m_thresholds, shares) = if let Some(stats) = population {
            let (m, thresholds) = match (&settings.monetary_cut_points, settings.method) {
                (Some(cuts), _) => {
                    let scored = cut_point_scores(&monetary, cuts, Direction::Ascending);
                    (scored.scores, scored.thresholds)
                }
                (None, ScoreMethod::Quantile) => {
                    let thresholds = stats.monetary_thresholds(settings.bins)?;
                    (
                        threshold_scores(&monetary, &thresholds, Direction::Ascending),
                        thresholds,
                    )
                }
                (None, _) => {
                    return Err(SegmentError::new(
                        SegmentErrorKind::RankNeedsWholePopulation,
                    ))
                }
            };
            let total = stats.monetary_total();
            let greater = stats.monetary_greater_table();
            let shares = monetary
                .iter()
                .map(|value| {
                    let normalized = value.normalize();
                    let above = match greater.binary_search_by(|(v, _)| v.cmp(&normalized)) {
                        Ok(pos) => greater[pos].1,
                        Err(0) => total,
                        Err(pos) => greater[pos - 1].1,
                    };
                    TopShare {
                        greater: u32::try_from(above).unwrap_or(u32::MAX),
                        purchasers: u32::try_from(total).unwrap_or(u32::MAX),
                    }
                })
                .collect();
            (m, thresholds, shares)
        } else {
            let ascending = rank_order_by_comparison(&monetary, Direction::Ascending);
            let (m, thresholds) = match (&settings.monetary_cut_points, settings.method) {
                (Some(cuts), _) => {
                    let scored = cut_point_scores(&monetary, cuts, Direction::Ascending);
                    (scored.scores, scored.thresholds)
                }
                (None, ScoreMethod::Rank) => {
                    let mut scores = vec![0u8; monetary.len()];
                    for (position, row) in (0u32..).zip(&ascending) {
                        scores[*row as usize] =
                            rank_score(position, ascending.len() as u32, settings.bins);
                    }
                    (scores, Vec::new())
                }
                (None, ScoreMethod::Quantile) => {
                    let scored = quantile_scores_of_order(
                        &monetary,
                        &ascending,
                        Direction::Ascending,
                        settings.bins,
                    )?;
                    (scored.scores, scored.thresholds)
                }
            };
            let shares = top_shares_of_order(&monetary, &ascending);
            (m, thresholds, shares)
        };
        let mut columns = RfmColumns {
            greater: vec![0; n],
            purchasers: shares.first().map_or(0, |share| share.purchasers),
            r_score: vec![NONE; n],
            f_score: vec![NONE; n],
            m_score: vec![NONE; n],
            segment: vec![NONE; n],
            recency_bucket: vec![NONE; n],
            monetary_band: vec![NONE; n],
            thresholds: Thresholds {
                recency: r_thresholds,
                frequency: f_thresholds,
                monetary: m_thresholds,
            },
        };
        for (pos, &row) in purchasers.iter().enumerate() {
            let row = row as usize;
            columns.r_score[row] = r[pos];
            columns.f_score[row] = f[pos];
            columns.m_score[row] = m[pos];
            columns.segment[row] = rfm.segments.segment(r[pos], f[pos], m[pos]);
            columns.recency_bucket[row] = rfm.recency_buckets.bucket(recency[pos]);
            columns.monetary_band[row] = rfm.monetary_bands.band(shares[pos]);
            columns.greater[row] = shares[pos].greater;
        }
        Ok(columns)
    }

    fn as_of() -> NaiveDate {
        NaiveDate::from_ymd_opt(2024, 12, 31).unwrap()
    }

    /// A base of customers `0..n`: customer `i` buys `orders` times `(days ago, amount)`,
    /// with amounts of a few scales (and, with `huge`, amounts beyond an `i64` at one
    /// scale); every seventh customer only refunds what they bought, every eleventh
    /// never buys.
    fn base(config: &Config, customers: &[Vec<(u16, i64, u8)>], huge: bool) -> FactsTable {
        let mut agg = Aggregator::new(config.facts_options_on(as_of(), Currency::CNY).unwrap());
        for (id, orders) in (0u64..).zip(customers) {
            let customer = CustomerId(id * 3 + 1);
            if id % 11 == 10 {
                agg.add_customer(&crate::Customer::new(customer));
                continue;
            }
            for &(days, cents, scale) in orders {
                let date = as_of()
                    .checked_sub_days(Days::new(u64::from(days)))
                    .unwrap();
                let mut amount = Decimal::new(cents, u32::from(scale % 4));
                if huge && cents % 5 == 0 {
                    amount = amount.checked_mul(Decimal::from(10i64.pow(15))).unwrap();
                }
                let money = Money::new(amount, Currency::CNY);
                agg.add_purchase_on(customer, date, money).unwrap();
                if id % 7 == 6 {
                    agg.add_refund_on(customer, date, money).unwrap();
                }
            }
        }
        agg.into_table()
    }

    fn compiled(config: &Config) -> CompiledRfm {
        CompiledRfm::new(&config.segment.rfm, "segment.rfm")
            .unwrap()
            .0
    }

    fn customers() -> impl Strategy<Value = Vec<Vec<(u16, i64, u8)>>> {
        prop::collection::vec(
            prop::collection::vec((0u16..900, 1i64..2_000_000, 0u8..8), 1..4),
            0..2600,
        )
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(32))]

        #[test]
        fn rfm_columns_equal_the_comparison_oracle_on_every_thread_count(
            customers in customers(),
            rank in any::<bool>(),
            cut_points in any::<bool>(),
            bins in 2u32..9,
            huge in any::<bool>(),
        ) {
            let mut config = Config::reference();
            if rank {
                config.segment.rfm.scores.method = ScoreMethod::Rank;
            }
            if cut_points {
                config.segment.rfm.scores.frequency_cut_points =
                    Some(CutPoints::try_new(vec![Decimal::from(2), Decimal::from(4)]).unwrap());
                config.segment.rfm.scores.monetary_cut_points =
                    Some(CutPoints::try_new(vec![Decimal::new(50_050, 2), Decimal::from(9_000)]).unwrap());
            }
            config.segment.rfm.scores.bins = Bins::try_new(bins).unwrap();
            config.segment.rfm.segments = crate::segment::SegmentsConfig::Table(
                crate::segment::SegmentTable { rows: Vec::new(), otherwise: "all".to_owned() },
            );
            let rfm = compiled(&config);
            let facts = base(&config, &customers, huge);
            let want = oracle(&facts, &rfm, None).unwrap();
            for threads in [1, 2, 3] {
                let got = rfm_columns_on(&facts, &rfm, None, NonZeroUsize::new(threads).unwrap()).unwrap();
                prop_assert_eq!(&got, &want, "{} threads", threads);
            }
            // A shard of the base with the whole base's statistics.
            let stats = PopulationStats::of(&facts);
            let got = rfm_columns_on(&facts, &rfm, Some(&stats), NonZeroUsize::new(2).unwrap());
            let want = oracle(&facts, &rfm, Some(&stats));
            prop_assert_eq!(got, want);
            // And with approximate statistics: the same per-row lookups.
            let stats = PopulationStats::approximate(&facts, SketchCapacity::try_new(16).unwrap());
            let got = rfm_columns_on(&facts, &rfm, Some(&stats), NonZeroUsize::new(3).unwrap());
            let want = oracle(&facts, &rfm, Some(&stats));
            prop_assert_eq!(got, want);
        }

        #[test]
        fn band_cuts_equal_the_bands(
            purchasers in 1u32..5000,
            bounds in prop::collection::btree_set(1i64..=100, 1..5),
        ) {
            let bands = MonetaryBands {
                upper_bounds: bounds.into_iter().map(|b| Decimal::new(b, 2)).collect(),
            };
            let cuts = BandCuts::new(&bands, purchasers);
            for greater in 0..=purchasers {
                let share = TopShare { greater, purchasers };
                prop_assert_eq!(cuts.band(greater), bands.band(share));
            }
        }
    }

    #[test]
    fn reference_segments_equal_the_oracle() {
        // The reference policy's named segments, at a size where every thread count
        // gets several chunks.
        let customers: Vec<Vec<(u16, i64, u8)>> = (0..6000i64)
            .map(|i| {
                (0..=i % 4)
                    .map(|o| {
                        (
                            ((i * 37 + o * 101) % 730) as u16,
                            100 + (i * 7919 + o * 13) % 90_000,
                            2,
                        )
                    })
                    .collect()
            })
            .collect();
        for method in [ScoreMethod::Quantile, ScoreMethod::Rank] {
            let mut config = Config::reference();
            config.segment.rfm.scores.method = method;
            let rfm = compiled(&config);
            let facts = base(&config, &customers, false);
            let want = oracle(&facts, &rfm, None).unwrap();
            for threads in [1, 2, 4] {
                let got = rfm_columns_on(&facts, &rfm, None, NonZeroUsize::new(threads).unwrap())
                    .unwrap();
                assert_eq!(got, want, "{method:?}, {threads} threads");
            }
        }
    }
}
