//! The RFM columns of a population: top shares, scores, bands and named segments, in one
//! pass once the population statistics (sort orders, thresholds) are known.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::diagnostic::{ConfigDiagnostic, ConfigError};
use crate::facts::{FactsOptions, FactsTable};
use crate::segment::config::{RfmConfig, ScoreConfig, ScoreMethod};
use crate::segment::rfm::{CompiledSegments, MonetaryBands, RecencyBuckets};
use crate::segment::stats::{
    cut_point_scores, quantile_scores, quantile_scores_of_order, rank_order, rank_scores,
    scores_of_order, threshold_scores, top_shares_of_order, Bins, CutPoints, Direction, Metric,
    TopShare, ValueCounts, NONE,
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
    pub(crate) top_share: Vec<Option<TopShare>>,
    pub(crate) r_score: Vec<u8>,
    pub(crate) f_score: Vec<u8>,
    pub(crate) m_score: Vec<u8>,
    pub(crate) segment: Vec<u8>,
    pub(crate) recency_bucket: Vec<u8>,
    pub(crate) monetary_band: Vec<u8>,
    pub(crate) thresholds: Thresholds,
}

/// The population-wide statistics of the three RFM metrics over purchasers, as exact
/// per-value counts: computed shard by shard, merged, then used to classify each shard
/// alone with the same thresholds and top shares as one run over the whole base (R13).
///
/// # Why counts and not a sketch
///
/// Recency and frequency are small integers, and spend has at most one distinct value
/// per customer but in practice far fewer (amounts in cents repeat): exact counts stay
/// small, merge by addition, and make a sharded run equal — not close — to a single one.
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
    /// Cumulative net spend.
    pub monetary: ValueCounts,
    /// What the shards' facts were folded for (`None` before the first shard): shards of
    /// one base share their day, currency and policy.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    options: Option<FactsOptions>,
}

impl PopulationStats {
    /// The statistics of one shard's purchasers.
    pub fn of(facts: &FactsTable) -> PopulationStats {
        let mut stats = PopulationStats {
            options: Some(*facts.options()),
            ..PopulationStats::default()
        };
        for (((purchases, recency), frequency), monetary) in facts
            .purchases()
            .iter()
            .zip(facts.recency_days())
            .zip(facts.frequency())
            .zip(facts.monetary())
        {
            if *purchases > 0 {
                stats.recency_days.add(Decimal::from(recency.unwrap_or(0)));
                stats.frequency.add(Decimal::from(*frequency));
                stats.monetary.add(*monetary);
            }
        }
        stats
    }

    /// Adds another shard's statistics.
    ///
    /// # Errors
    ///
    /// [`SegmentErrorKind::StatsMismatch`] when the two were computed from facts folded
    /// for another day, currency or policy; `self` is then unchanged.
    pub fn merge(&mut self, other: &PopulationStats) -> Result<(), SegmentError> {
        self.check_options(other.options.as_ref())?;
        self.options = self.options.or(other.options);
        self.recency_days.merge(&other.recency_days);
        self.frequency.merge(&other.frequency);
        self.monetary.merge(&other.monetary);
        Ok(())
    }

    /// What the shards' facts were folded for, once a shard was added.
    pub fn facts_options(&self) -> Option<&FactsOptions> {
        self.options.as_ref()
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

/// Scores one dimension against population-wide counts.
fn score_with_counts<T: Metric>(
    values: &[T],
    counts: &ValueCounts,
    settings: &ScoreConfig,
    cut_points: Option<&CutPoints>,
    direction: Direction,
) -> Result<(Vec<u8>, Vec<Decimal>), SegmentError> {
    if let Some(cut_points) = cut_points {
        let scored = cut_point_scores(values, cut_points, direction);
        return Ok((scored.scores, scored.thresholds));
    }
    match settings.method {
        ScoreMethod::Quantile => {
            let thresholds = counts.quantile_thresholds(settings.bins)?;
            Ok((threshold_scores(values, &thresholds, direction), thresholds))
        }
        _ => Err(SegmentError::new(
            SegmentErrorKind::RankNeedsWholePopulation,
        )),
    }
}

pub(crate) fn rfm_columns(
    facts: &FactsTable,
    rfm: &CompiledRfm,
    population: Option<&PopulationStats>,
) -> Result<RfmColumns, SegmentError> {
    let n = facts.len();
    if u32::try_from(n).is_err() {
        return Err(SegmentError::new(SegmentErrorKind::TooManyCustomers {
            found: n,
        }));
    }
    let purchasers: Vec<u32> = (0u32..)
        .zip(facts.purchases())
        .filter(|(_, &p)| p > 0)
        .map(|(idx, _)| idx)
        .collect();
    let pick = |idx: &u32| idx_get(facts.recency_days(), *idx).flatten().unwrap_or(0);
    let recency: Vec<u32> = purchasers.iter().map(pick).collect();
    let frequency: Vec<u32> = purchasers
        .iter()
        .map(|idx| idx_get(facts.frequency(), *idx).unwrap_or(0))
        .collect();
    let monetary: Vec<Decimal> = purchasers
        .iter()
        .map(|idx| idx_get(facts.monetary(), *idx).unwrap_or_default())
        .collect();

    let settings = &rfm.scores;
    if let Some(stats) = population {
        let (r, r_thresholds) = score_with_counts(
            &recency,
            &stats.recency_days,
            settings,
            settings.recency_cut_points.as_ref(),
            Direction::Descending,
        )?;
        let (f, f_thresholds) = score_with_counts(
            &frequency,
            &stats.frequency,
            settings,
            settings.frequency_cut_points.as_ref(),
            Direction::Ascending,
        )?;
        let (m, m_thresholds) = score_with_counts(
            &monetary,
            &stats.monetary,
            settings,
            settings.monetary_cut_points.as_ref(),
            Direction::Ascending,
        )?;
        let greater = stats.monetary.greater_table();
        let purchasers_total = u32::try_from(stats.monetary.total()).unwrap_or(u32::MAX);
        let shares: Vec<TopShare> = monetary
            .iter()
            .map(|value| {
                let normalized = value.normalize();
                let above = match greater.binary_search_by(|(v, _)| v.cmp(&normalized)) {
                    Ok(pos) => greater.get(pos).map_or(0, |(_, g)| *g),
                    // A value the statistics do not know: everything above the value
                    // just below it is above it too.
                    Err(pos) => match pos.checked_sub(1) {
                        Some(below) => greater.get(below).map_or(0, |(_, g)| *g),
                        None => stats.monetary.total(),
                    },
                };
                TopShare {
                    greater: u32::try_from(above).unwrap_or(u32::MAX),
                    purchasers: purchasers_total,
                }
            })
            .collect();
        let thresholds = Thresholds {
            recency: r_thresholds,
            frequency: f_thresholds,
            monetary: m_thresholds,
        };
        return Ok(assemble(
            rfm,
            &purchasers,
            n,
            &recency,
            r,
            f,
            m,
            &shares,
            thresholds,
        ));
    }
    let (r, r_thresholds) = score(
        &recency,
        settings.method,
        settings.bins,
        settings.recency_cut_points.as_ref(),
        Direction::Descending,
    )?;
    let (f, f_thresholds) = score(
        &frequency,
        settings.method,
        settings.bins,
        settings.frequency_cut_points.as_ref(),
        Direction::Ascending,
    )?;
    // One sort of the spend serves the monetary score and the top shares.
    let ascending = rank_order(&monetary, Direction::Ascending)?;
    let (m, m_thresholds) = match (&settings.monetary_cut_points, settings.method) {
        (Some(cuts), _) => {
            let scored = cut_point_scores(&monetary, cuts, Direction::Ascending);
            (scored.scores, scored.thresholds)
        }
        (None, ScoreMethod::Rank) => (scores_of_order(&ascending, settings.bins), Vec::new()),
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
    let thresholds = Thresholds {
        recency: r_thresholds,
        frequency: f_thresholds,
        monetary: m_thresholds,
    };
    Ok(assemble(
        rfm,
        &purchasers,
        n,
        &recency,
        r,
        f,
        m,
        &shares,
        thresholds,
    ))
}

/// Puts the purchasers' scores, segments and bands into full columns.
#[allow(clippy::too_many_arguments)] // the parts of one result, named at the two call sites
fn assemble(
    rfm: &CompiledRfm,
    purchasers: &[u32],
    n: usize,
    recency: &[u32],
    r: Vec<u8>,
    f: Vec<u8>,
    m: Vec<u8>,
    shares: &[TopShare],
    thresholds: Thresholds,
) -> RfmColumns {
    let mut segment = vec![NONE; n];
    let mut recency_bucket = vec![NONE; n];
    let mut monetary_band = vec![NONE; n];
    let mut top_share = vec![None; n];
    for (pos, &idx) in purchasers.iter().enumerate() {
        let at = idx as usize;
        let (rs, fs, ms) = (
            r.get(pos).copied().unwrap_or(1),
            f.get(pos).copied().unwrap_or(1),
            m.get(pos).copied().unwrap_or(1),
        );
        if let Some(slot) = segment.get_mut(at) {
            *slot = rfm.segments.segment(rs, fs, ms);
        }
        if let (Some(slot), Some(days)) = (recency_bucket.get_mut(at), recency.get(pos)) {
            *slot = rfm.recency_buckets.bucket(*days);
        }
        if let Some(share) = shares.get(pos) {
            if let Some(slot) = monetary_band.get_mut(at) {
                *slot = rfm.monetary_bands.band(*share);
            }
            if let Some(slot) = top_share.get_mut(at) {
                *slot = Some(*share);
            }
        }
    }
    RfmColumns {
        top_share,
        r_score: scatter(purchasers, r, n),
        f_score: scatter(purchasers, f, n),
        m_score: scatter(purchasers, m, n),
        segment,
        recency_bucket,
        monetary_band,
        thresholds,
    }
}

/// Scores one dimension of the purchasers.
fn score<T: Metric>(
    values: &[T],
    method: ScoreMethod,
    bins: Bins,
    cut_points: Option<&CutPoints>,
    direction: Direction,
) -> Result<(Vec<u8>, Vec<Decimal>), SegmentError> {
    if let Some(cut_points) = cut_points {
        let scored = cut_point_scores(values, cut_points, direction);
        return Ok((scored.scores, scored.thresholds));
    }
    match method {
        ScoreMethod::Rank => Ok((rank_scores(values, direction, bins)?, Vec::new())),
        ScoreMethod::Quantile => {
            let scored = quantile_scores(values, direction, bins)?;
            Ok((scored.scores, scored.thresholds))
        }
    }
}

/// Writes purchaser-order values back into a full column.
fn scatter(purchasers: &[u32], values: Vec<u8>, n: usize) -> Vec<u8> {
    let mut column = vec![NONE; n];
    for (&idx, value) in purchasers.iter().zip(values) {
        if let Some(slot) = column.get_mut(idx as usize) {
            *slot = value;
        }
    }
    column
}

fn idx_get<T: Copy>(column: &[T], idx: u32) -> Option<T> {
    column.get(idx as usize).copied()
}
