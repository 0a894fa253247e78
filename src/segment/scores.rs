//! The RFM columns of a population: top shares, scores, bands and named segments, in one
//! pass once the population statistics (sort orders, thresholds) are known.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::config::{RfmConfig, ScoreConfig, ScoreMethod};
use crate::error::{ConfigDiagnostic, ConfigError, SegmentError, SegmentErrorKind};
use crate::facts::FactsTable;
use crate::segment::rfm::{CompiledSegments, MonetaryBands, RecencyBuckets};
use crate::segment::stats::{
    cut_point_scores, quantile_scores, quantile_scores_of_order, rank_order, rank_scores,
    scores_of_order, top_shares_of_order, Bins, CutPoints, Direction, Metric, TopShare,
};

/// "No value" in the byte columns (non-purchasers have no score, band or segment).
pub(crate) const NONE: u8 = u8::MAX;

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

pub(crate) fn rfm_columns(
    facts: &FactsTable,
    rfm: &CompiledRfm,
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
    Ok(RfmColumns {
        top_share,
        r_score: scatter(&purchasers, r, n),
        f_score: scatter(&purchasers, f, n),
        m_score: scatter(&purchasers, m, n),
        segment,
        recency_bucket,
        monetary_band,
        thresholds: Thresholds {
            recency: r_thresholds,
            frequency: f_thresholds,
            monetary: m_thresholds,
        },
    })
}

fn idx_get<T: Copy>(column: &[T], idx: u32) -> Option<T> {
    column.get(idx as usize).copied()
}
