//! Population statistics on columns: top shares, 1–n scores by quantile thresholds, by
//! ordinal rank or by user-given cut points, and mergeable per-value counts for shards.
//!
//! Every function here takes one column of a population whose rows are ordered by
//! customer id (as [`FactsTable`](crate::FactsTable) is), so "ties broken by customer id"
//! is "ties broken by row index".

use std::collections::BTreeMap;
use std::ops::Range;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::parallel::{run_each, MIN_ROWS_PER_THREAD};
use crate::segment::{SegmentError, SegmentErrorKind};

/// The number of scores (bins) of an RFM dimension: `2..=100`, default 5.
///
/// # Example
///
/// ```
/// use patronage::segment::Bins;
///
/// assert_eq!(Bins::default().get(), 5);
/// assert_eq!(Bins::try_new(3)?.get(), 3);
/// assert!(Bins::try_new(1).is_err());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "u32", into = "u32")]
pub struct Bins(u8);

impl Bins {
    /// Checks that `bins` is in `2..=100`.
    ///
    /// # Errors
    ///
    /// [`SegmentErrorKind::InvalidBins`] outside `2..=100`.
    ///
    /// # Example
    ///
    /// ```
    /// use patronage::segment::Bins;
    ///
    /// assert_eq!(
    ///     Bins::try_new(101).unwrap_err().to_string(),
    ///     "invalid number of score bins `101`: expected a number from 2 to 100",
    /// );
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn try_new(bins: u32) -> Result<Bins, SegmentError> {
        match u8::try_from(bins) {
            Ok(small @ 2..=100) => Ok(Bins(small)),
            _ => Err(SegmentError::new(SegmentErrorKind::InvalidBins { bins })),
        }
    }

    /// The number of bins.
    pub fn get(self) -> u8 {
        self.0
    }
}

impl Default for Bins {
    fn default() -> Bins {
        Bins(5)
    }
}

impl TryFrom<u32> for Bins {
    type Error = SegmentError;

    fn try_from(bins: u32) -> Result<Bins, SegmentError> {
        Bins::try_new(bins)
    }
}

impl From<Bins> for u32 {
    fn from(bins: Bins) -> u32 {
        u32::from(bins.0)
    }
}

/// Which end of a metric scores best.
///
/// Frequency and monetary are [`Direction::Ascending`] (more is better, so the largest
/// value gets the top score); recency is [`Direction::Descending`] (the most recent
/// customer, with the fewest days, gets the top score).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Direction {
    /// Larger values score higher.
    Ascending,
    /// Smaller values score higher.
    Descending,
}

/// User-given cut points of one dimension, strictly ascending: `k` cut points make
/// `k + 1` scores, and a value scores `1 + (number of cut points ≤ value)` (for an
/// [`Direction::Ascending`] metric), as the R package `rfm` does with a vector `*_bins`.
///
/// # Example
///
/// ```
/// use patronage::segment::CutPoints;
/// use rust_decimal::Decimal;
///
/// let cuts = CutPoints::try_new(vec![Decimal::from(2), Decimal::from(5)])?;
/// assert_eq!(cuts.bins().get(), 3);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "Vec<Decimal>", into = "Vec<Decimal>")]
pub struct CutPoints(Vec<Decimal>);

impl CutPoints {
    /// Checks that there are 1 to 99 cut points, strictly ascending.
    ///
    /// # Errors
    ///
    /// [`SegmentErrorKind::CutPointCount`] for an empty or too long list,
    /// [`SegmentErrorKind::CutPointsNotAscending`] for a cut point not above the one
    /// before it.
    ///
    /// # Example
    ///
    /// ```
    /// use patronage::segment::CutPoints;
    /// use rust_decimal::Decimal;
    ///
    /// let err = CutPoints::try_new(vec![Decimal::from(5), Decimal::from(5)]).unwrap_err();
    /// assert_eq!(
    ///     err.to_string(),
    ///     "cut point 1 is `5` but the one before it is `5`: expected strictly ascending cut points",
    /// );
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn try_new(cut_points: Vec<Decimal>) -> Result<CutPoints, SegmentError> {
        if cut_points.is_empty() || cut_points.len() > 99 {
            return Err(SegmentError::new(SegmentErrorKind::CutPointCount {
                found: cut_points.len(),
            }));
        }
        for (index, pair) in cut_points.windows(2).enumerate() {
            if let [previous, found] = pair {
                if found <= previous {
                    return Err(SegmentError::new(SegmentErrorKind::CutPointsNotAscending {
                        index: index + 1,
                        previous: previous.to_string(),
                        found: found.to_string(),
                    }));
                }
            }
        }
        Ok(CutPoints(cut_points))
    }

    /// The cut points, ascending.
    pub fn as_slice(&self) -> &[Decimal] {
        &self.0
    }

    /// The number of scores they make (one more than the cut points).
    pub fn bins(&self) -> Bins {
        // 1..=99 cut points (checked on construction) make 2..=100 bins.
        Bins(u8::try_from(self.0.len() + 1).unwrap_or(100))
    }
}

impl TryFrom<Vec<Decimal>> for CutPoints {
    type Error = SegmentError;

    fn try_from(cut_points: Vec<Decimal>) -> Result<CutPoints, SegmentError> {
        CutPoints::try_new(cut_points)
    }
}

impl From<CutPoints> for Vec<Decimal> {
    fn from(cut_points: CutPoints) -> Vec<Decimal> {
        cut_points.0
    }
}

/// A customer's place in the spend ranking (SPEC §8 `monetary_top_share`): the number of
/// purchasers whose spend is *strictly* greater, out of all purchasers.
///
/// # Why a ratio and not a float
///
/// "Top 20%" is `greater / purchasers < 0.20`. Compared as a float, `0.2 · n` is inexact
/// for most `n`, and one customer on the boundary would land in the wrong band. The ratio
/// is kept as two integers and compared with exact decimal arithmetic in
/// [`TopShare::is_below`], so that with `n` distinct spends exactly `⌈0.2·n⌉` customers
/// are in the top 20%, for every `n`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct TopShare {
    /// Purchasers whose spend is strictly greater.
    pub greater: u32,
    /// All purchasers (at least 1).
    pub purchasers: u32,
}

impl TopShare {
    /// The share as a float in `0..1`, for display.
    pub fn as_f64(self) -> f64 {
        f64::from(self.greater) / f64::from(self.purchasers.max(1))
    }

    /// Whether `greater / purchasers < bound`, exactly.
    ///
    /// # Example
    ///
    /// ```
    /// use patronage::segment::TopShare;
    /// use rust_decimal::Decimal;
    ///
    /// let share = TopShare { greater: 1, purchasers: 5 };
    /// assert!(!share.is_below(Decimal::new(20, 2))); // 1/5 is not < 0.20
    /// assert!(share.is_below(Decimal::new(50, 2)));
    /// ```
    pub fn is_below(self, bound: Decimal) -> bool {
        // greater < bound · purchasers; both sides are exact (u32 times a decimal of at
        // most 28 digits), and an overflow means the bound is astronomically large.
        match bound.checked_mul(Decimal::from(self.purchasers)) {
            Some(limit) => Decimal::from(self.greater) < limit,
            None => bound.is_sign_positive(),
        }
    }
}

/// Scores of one column and, for the quantile method, the cut points used.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScoredColumn {
    /// One score in `1..=bins` per row, in row order.
    pub scores: Vec<u8>,
    /// The thresholds: a value scores `1 + (number of thresholds ≤ value)` before the
    /// direction is applied. For the rank method, the rank thresholds are not values, so
    /// this is empty.
    pub thresholds: Vec<Decimal>,
}

/// A numeric column that can be scored: whole numbers (days, counts) and money.
///
/// Implemented for `u32`, `i64` and [`Decimal`]; sealed, so the crate can change how it
/// sorts a column without breaking a host.
pub trait Metric: sealed::SortKeys + Copy + Ord + Send + Sync + 'static {
    /// The value as an exact decimal (for interpolated thresholds).
    fn to_decimal(self) -> Decimal;
}

mod sealed {
    /// How a column sorts fast: an order-preserving `u64` key per value, if one exists.
    pub trait SortKeys: Sized {
        fn keys(values: &[Self]) -> Option<Vec<u64>>;
    }
}

impl Metric for u32 {
    fn to_decimal(self) -> Decimal {
        Decimal::from(self)
    }
}

impl sealed::SortKeys for u32 {
    fn keys(values: &[u32]) -> Option<Vec<u64>> {
        Some(values.iter().map(|&v| u64::from(v)).collect())
    }
}

impl Metric for i64 {
    fn to_decimal(self) -> Decimal {
        Decimal::from(self)
    }
}

impl sealed::SortKeys for i64 {
    fn keys(values: &[i64]) -> Option<Vec<u64>> {
        Some(values.iter().map(|&v| flip_sign(v)).collect())
    }
}

impl Metric for Decimal {
    fn to_decimal(self) -> Decimal {
        self
    }
}

impl sealed::SortKeys for Decimal {
    fn keys(values: &[Decimal]) -> Option<Vec<u64>> {
        let scale = values.iter().map(Decimal::scale).max().unwrap_or(0);
        let mut keys = Vec::with_capacity(values.len());
        for value in values {
            let factor = 10i128.checked_pow(scale - value.scale())?;
            let scaled = value.mantissa().checked_mul(factor)?;
            keys.push(flip_sign(i64::try_from(scaled).ok()?));
        }
        Some(keys)
    }
}

/// Maps `i64` to `u64` preserving order.
fn flip_sign(v: i64) -> u64 {
    (v as u64) ^ (1 << 63)
}

/// The row order of a column sorted by value (in `direction`'s *worst-first* order, so
/// that position `p` has rank `p + 1`), ties by row index ascending.
///
/// For [`Direction::Ascending`] that is ascending value; for [`Direction::Descending`]
/// it is descending value. Uses packed integer keys and a counting sort (few distinct
/// values) or an LSD radix sort when the values allow it (they always do for days,
/// counts and money that fits an `i64` at one scale), a comparison sort otherwise.
///
/// # Errors
///
/// [`SegmentErrorKind::TooManyCustomers`] beyond `u32::MAX` rows.
pub fn rank_order<T: Metric>(values: &[T], direction: Direction) -> Result<Vec<u32>, SegmentError> {
    let n = u32::try_from(values.len()).map_err(|_| {
        SegmentError::new(SegmentErrorKind::TooManyCustomers {
            found: values.len(),
        })
    })?;
    let Some(mut keys) = T::keys(values) else {
        let mut pairs: Vec<(T, u32)> = values.iter().copied().zip(0..n).collect();
        match direction {
            Direction::Ascending => pairs.sort_unstable(),
            Direction::Descending => {
                pairs.sort_unstable_by(|(va, ia), (vb, ib)| vb.cmp(va).then(ia.cmp(ib)));
            }
        }
        return Ok(pairs.into_iter().map(|(_, idx)| idx).collect());
    };
    let (lo, hi) = keys
        .iter()
        .fold((u64::MAX, 0), |(lo, hi), &k| (lo.min(k), hi.max(k)));
    for key in &mut keys {
        *key = match direction {
            Direction::Ascending => *key - lo,
            Direction::Descending => hi - *key,
        };
    }
    let span = hi.saturating_sub(lo);
    // Few distinct keys (days, purchase counts): a counting sort, linear and stable, so
    // ties stay in row order.
    if span < u64::from(n) && n > 1024 {
        let mut starts = vec![0u32; span as usize + 2];
        for &key in &keys {
            if let Some(slot) = starts.get_mut(key as usize + 1) {
                *slot += 1;
            }
        }
        let mut running = 0u32;
        for slot in &mut starts {
            running += *slot;
            *slot = running;
        }
        let mut order = vec![0u32; keys.len()];
        for (&key, idx) in keys.iter().zip(0..n) {
            if let Some(next) = starts.get_mut(key as usize) {
                if let Some(place) = order.get_mut(*next as usize) {
                    *place = idx;
                }
                *next += 1;
            }
        }
        return Ok(order);
    }
    let idx_bits = 64 - u64::from(n.max(1) - 1).leading_zeros();
    let key_bits = 64 - span.leading_zeros();
    if key_bits + idx_bits <= 64 {
        let mask = low_mask(idx_bits);
        let packed: Vec<u64> = keys
            .iter()
            .zip(0..n)
            .map(|(&k, idx)| k.checked_shl(idx_bits).unwrap_or(0) | u64::from(idx))
            .collect();
        let packed = radix_sort(packed, idx_bits, key_bits);
        Ok(packed.into_iter().map(|p| (p & mask) as u32).collect())
    } else {
        let mut packed: Vec<u128> = keys
            .iter()
            .zip(0..n)
            .map(|(&k, idx)| (u128::from(k) << 32) | u128::from(idx))
            .collect();
        packed.sort_unstable();
        Ok(packed.into_iter().map(|p| p as u32).collect())
    }
}

/// The pandas `qcut(rank(method="first"), bins)` score of the rank `position + 1` among
/// `n`: `max(1, ⌈bins · (r − 1) / (n − 1)⌉)`, and 1 when `n == 1` ([`RankBins`] computes
/// it without a division; this is its test oracle).
#[cfg(test)]
pub(crate) fn rank_score(position: u32, n: u32, bins: Bins) -> u8 {
    if n <= 1 || position == 0 {
        return 1;
    }
    let numerator = u64::from(bins.0) * u64::from(position);
    let denominator = u64::from(n - 1);
    numerator.div_ceil(denominator).clamp(1, u64::from(bins.0)) as u8
}

/// Scores by *ordinal rank* — pandas `qcut(rank(method="first"), bins)`, the Python
/// `rfm` package's method.
///
/// Each row gets a distinct rank `1..=n` by value in `direction` (worst first), ties
/// broken by row index (customer id) ascending; the score is
/// `max(1, ⌈bins · (r − 1) / (n − 1)⌉)`. Bins are as equal as integer arithmetic
/// allows, and equal values may get different scores.
///
/// # Errors
///
/// [`SegmentErrorKind::TooManyCustomers`] beyond `u32::MAX` rows.
///
/// # Example
///
/// ```
/// use patronage::segment::{rank_scores, Bins, Direction};
///
/// // Recency in days: fewer is better, ties (3, 3) split by row.
/// let got = rank_scores(&[10u32, 3, 3, 40, 1], Direction::Descending, Bins::default())?;
/// assert_eq!(got, vec![2, 3, 4, 1, 5]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn rank_scores<T: Metric>(
    values: &[T],
    direction: Direction,
    bins: Bins,
) -> Result<Vec<u8>, SegmentError> {
    Ok(scores_of_order(&rank_order(values, direction)?, bins))
}

/// Rank scores from a [`rank_order`].
pub(crate) fn scores_of_order(order: &[u32], bins: Bins) -> Vec<u8> {
    let ranks = RankBins::new(order.len() as u32, bins);
    let mut scores = vec![0u8; order.len()];
    for (position, idx) in (0u32..).zip(order) {
        if let Some(slot) = scores.get_mut(*idx as usize) {
            *slot = ranks.score(position);
        }
    }
    scores
}

/// [`rank_order`] by a comparison sort of `(value, row)` pairs: the implementation the
/// integer paths replaced, kept as their test oracle.
#[cfg(test)]
pub(crate) fn rank_order_by_comparison<T: Metric>(values: &[T], direction: Direction) -> Vec<u32> {
    let mut rows: Vec<u32> = (0..values.len() as u32).collect();
    rows.sort_by(|&a, &b| {
        let (va, vb) = (values[a as usize], values[b as usize]);
        let by_value = match direction {
            Direction::Ascending => va.cmp(&vb),
            Direction::Descending => vb.cmp(&va),
        };
        by_value.then(a.cmp(&b))
    });
    rows
}

/// The R `rfm` thresholds of a column: for `k = 1..bins`, the type-7 quantile
/// (`quantile(x, k / bins)`, R's default) plus one, computed exactly in decimal.
///
/// `sorted` must be ascending. An empty column has no thresholds.
///
/// # Errors
///
/// [`SegmentErrorKind::Overflow`] when an interpolation overflows a `Decimal`.
///
/// # Example
///
/// ```
/// use patronage::segment::{quantile_thresholds, Bins};
/// use rust_decimal::Decimal;
///
/// let sorted: Vec<Decimal> = (1..=11).map(Decimal::from).collect();
/// let got = quantile_thresholds(&sorted, Bins::default())?;
/// let want: Vec<Decimal> = [4, 6, 8, 10].into_iter().map(Decimal::from).collect();
/// assert_eq!(got, want);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn quantile_thresholds(sorted: &[Decimal], bins: Bins) -> Result<Vec<Decimal>, SegmentError> {
    if sorted.is_empty() {
        return Ok(Vec::new());
    }
    type7_thresholds(sorted.len() as u64, bins, |idx| {
        usize::try_from(idx)
            .ok()
            .and_then(|idx| sorted.get(idx))
            .copied()
    })
}

/// Scores by *quantile thresholds* — the R package `rfm`'s method: the thresholds of
/// [`quantile_thresholds`], and a value scores `1 + (number of thresholds ≤ value)`,
/// reversed (`bins + 1 − that`) for a [`Direction::Descending`] metric.
///
/// # Ties
///
/// Equal values always share a score, since the score is a function of the value alone.
/// The price is uneven bins: a column where most customers have one purchase puts them
/// all in score 1 and may leave some scores empty (R `rfm` issue #17). This is the
/// method for a company that wants "same behaviour, same score"; [`rank_scores`] is the
/// one for equal-sized bins.
///
/// # Errors
///
/// [`SegmentErrorKind::TooManyCustomers`] beyond `u32::MAX` rows,
/// [`SegmentErrorKind::Overflow`] from the interpolation.
///
/// # Example
///
/// ```
/// use patronage::segment::{quantile_scores, Bins, Direction};
///
/// let got = quantile_scores(&[1u32, 1, 1, 1, 2, 5], Direction::Ascending, Bins::default())?;
/// assert_eq!(got.scores, vec![1, 1, 1, 1, 4, 5]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn quantile_scores<T: Metric>(
    values: &[T],
    direction: Direction,
    bins: Bins,
) -> Result<ScoredColumn, SegmentError> {
    quantile_scores_of_order(
        values,
        &rank_order(values, Direction::Ascending)?,
        direction,
        bins,
    )
}

/// Quantile scores from the ascending [`rank_order`] of `values`.
pub(crate) fn quantile_scores_of_order<T: Metric>(
    values: &[T],
    ascending: &[u32],
    direction: Direction,
    bins: Bins,
) -> Result<ScoredColumn, SegmentError> {
    let sorted: Vec<Decimal> = ascending
        .iter()
        .filter_map(|&idx| values.get(idx as usize))
        .map(|v| v.to_decimal())
        .collect();
    let thresholds = quantile_thresholds(&sorted, bins)?;
    // Walk the values in ascending order: the number of thresholds at or below the
    // value only grows.
    let n_bins = (thresholds.len() + 1).min(100) as u8;
    let mut scores = vec![0u8; values.len()];
    let mut below = 0usize;
    for (value, idx) in sorted.iter().zip(ascending) {
        while thresholds.get(below).is_some_and(|t| t <= value) {
            below += 1;
        }
        let bin = (below + 1).min(100) as u8;
        if let Some(slot) = scores.get_mut(*idx as usize) {
            *slot = match direction {
                Direction::Ascending => bin,
                Direction::Descending => n_bins + 1 - bin,
            };
        }
    }
    Ok(ScoredColumn { scores, thresholds })
}

/// Scores by user-given cut points: a value scores `1 + (number of cut points ≤ value)`,
/// reversed for a [`Direction::Descending`] metric (R `rfm` with a vector `*_bins`).
///
/// # Example
///
/// ```
/// use patronage::segment::{cut_point_scores, CutPoints, Direction};
/// use rust_decimal::Decimal;
///
/// let cuts = CutPoints::try_new(vec![Decimal::from(31), Decimal::from(91)])?;
/// let got = cut_point_scores(&[0u32, 30, 31, 90, 91, 400], &cuts, Direction::Descending);
/// assert_eq!(got.scores, vec![3, 3, 2, 2, 1, 1]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn cut_point_scores<T: Metric>(
    values: &[T],
    cut_points: &CutPoints,
    direction: Direction,
) -> ScoredColumn {
    ScoredColumn {
        scores: threshold_scores(values, cut_points.as_slice(), direction),
        thresholds: cut_points.as_slice().to_vec(),
    }
}

/// `1 + (number of thresholds ≤ value)`, reversed for descending metrics.
pub(crate) fn threshold_scores<T: Metric>(
    values: &[T],
    thresholds: &[Decimal],
    direction: Direction,
) -> Vec<u8> {
    let bins = (thresholds.len() + 1).min(100) as u8;
    // Whole-number columns compare against whole-number thresholds without decimals.
    values
        .iter()
        .map(|v| {
            let value = v.to_decimal();
            let bin = (thresholds.partition_point(|t| *t <= value) + 1).min(100) as u8;
            match direction {
                Direction::Ascending => bin,
                Direction::Descending => bins + 1 - bin,
            }
        })
        .collect()
}

/// The [`TopShare`] of every row: purchasers with strictly greater spend / purchasers.
///
/// `monetary` holds the purchasers' spend only (non-purchasers have no share). Ties
/// share a share.
///
/// # Errors
///
/// [`SegmentErrorKind::TooManyCustomers`] beyond `u32::MAX` rows.
///
/// # Example
///
/// ```
/// use patronage::segment::monetary_top_shares;
/// use rust_decimal::Decimal;
///
/// let spend: Vec<Decimal> = [50, 10, 50, 5].into_iter().map(Decimal::from).collect();
/// let shares = monetary_top_shares(&spend)?;
/// let greater: Vec<u32> = shares.iter().map(|s| s.greater).collect();
/// assert_eq!(greater, vec![0, 2, 0, 3]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn monetary_top_shares<T: Metric>(monetary: &[T]) -> Result<Vec<TopShare>, SegmentError> {
    Ok(top_shares_of_order(
        monetary,
        &rank_order(monetary, Direction::Ascending)?,
    ))
}

/// Top shares from the ascending [`rank_order`] of `monetary`.
pub(crate) fn top_shares_of_order<T: Metric>(monetary: &[T], ascending: &[u32]) -> Vec<TopShare> {
    let purchasers = ascending.len() as u32;
    let mut shares = vec![
        TopShare {
            greater: 0,
            purchasers,
        };
        ascending.len()
    ];
    // Largest first: a group of equal values starts after every strictly greater one.
    let mut group_start = 0u32;
    let mut group_value: Option<T> = None;
    for (position, &idx) in (0u32..).zip(ascending.iter().rev()) {
        let value = monetary.get(idx as usize).copied();
        if value != group_value {
            group_start = position;
            group_value = value;
        }
        if let Some(slot) = shares.get_mut(idx as usize) {
            slot.greater = group_start;
        }
    }
    shares
}

/// Exact per-value counts of one metric over a population: the mergeable statistic for
/// shards (R13).
///
/// Each shard counts its own customers; counts of two shards merge by addition, exactly;
/// the merged counts give the population-wide quantile thresholds and top shares, so each
/// shard can then be classified alone and the result equals a single-machine run. RFM
/// metrics have few distinct values (days, purchase counts, spend in cents), so the
/// counts stay small next to the population.
///
/// # Example
///
/// ```
/// use patronage::segment::ValueCounts;
/// use rust_decimal::Decimal;
///
/// let mut a = ValueCounts::from_values([10, 20].map(Decimal::from));
/// let b = ValueCounts::from_values([20, 30].map(Decimal::from));
/// a.merge(&b);
/// assert_eq!(a.total(), 4);
/// assert_eq!(a.top_share(Decimal::from(20)).greater, 1);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ValueCounts {
    counts: BTreeMap<Decimal, u64>,
}

impl ValueCounts {
    /// No values.
    pub fn new() -> ValueCounts {
        ValueCounts::default()
    }

    /// Counts the values of a column.
    pub fn from_values(values: impl IntoIterator<Item = Decimal>) -> ValueCounts {
        let mut counts = ValueCounts::new();
        for value in values {
            counts.add(value);
        }
        counts
    }

    /// Counts whole numbers (days, purchase counts), grouped as integers first.
    pub(crate) fn from_whole_numbers(values: Vec<u32>) -> ValueCounts {
        let mut values = values;
        values.sort_unstable();
        let mut counts = BTreeMap::new();
        for run in values.chunk_by(|a, b| a == b) {
            if let Some(value) = run.first() {
                counts.insert(Decimal::from(*value), run.len() as u64);
            }
        }
        ValueCounts { counts }
    }

    /// Counts one value.
    pub fn add(&mut self, value: Decimal) {
        let slot = self.counts.entry(value.normalize()).or_insert(0);
        *slot = slot.saturating_add(1);
    }

    /// Adds another shard's counts.
    pub fn merge(&mut self, other: &ValueCounts) {
        for (value, count) in &other.counts {
            let slot = self.counts.entry(*value).or_insert(0);
            *slot = slot.saturating_add(*count);
        }
    }

    /// The number of values counted.
    pub fn total(&self) -> u64 {
        self.counts
            .values()
            .fold(0u64, |acc, c| acc.saturating_add(*c))
    }

    /// The number of values strictly greater than `value`.
    pub fn greater_than(&self, value: Decimal) -> u64 {
        use std::ops::Bound::{Excluded, Unbounded};
        self.counts
            .range((Excluded(value), Unbounded))
            .fold(0u64, |acc, (_, c)| acc.saturating_add(*c))
    }

    /// The [`TopShare`] of a value among the counted purchasers.
    pub fn top_share(&self, value: Decimal) -> TopShare {
        TopShare {
            greater: u32::try_from(self.greater_than(value)).unwrap_or(u32::MAX),
            purchasers: u32::try_from(self.total()).unwrap_or(u32::MAX),
        }
    }

    /// The R `rfm` quantile thresholds of the counted values, equal to
    /// [`quantile_thresholds`] of the sorted column.
    ///
    /// # Errors
    ///
    /// [`SegmentErrorKind::Overflow`] when an interpolation overflows.
    pub fn quantile_thresholds(&self, bins: Bins) -> Result<Vec<Decimal>, SegmentError> {
        let total = self.total();
        if total == 0 {
            return Ok(Vec::new());
        }
        type7_thresholds(total, bins, |idx| Some(self.nth(idx)))
    }

    /// For each distinct value, ascending, how many counted values are strictly greater
    /// (a lookup table for [`TopShare`]s of a whole shard).
    pub(crate) fn greater_table(&self) -> Vec<(Decimal, u64)> {
        let mut remaining = self.total();
        self.counts
            .iter()
            .map(|(value, count)| {
                remaining = remaining.saturating_sub(*count);
                (*value, remaining)
            })
            .collect()
    }

    /// The `index`-th smallest value (0-based); the largest when out of range.
    fn nth(&self, index: u64) -> Decimal {
        let mut seen = 0u64;
        let mut last = Decimal::ZERO;
        for (value, count) in &self.counts {
            seen = seen.saturating_add(*count);
            last = *value;
            if index < seen {
                return *value;
            }
        }
        last
    }
}

/// R's `quantile()` type 7 at `k / bins` for `k = 1 .. bins - 1`, plus one (the R `rfm`
/// rule), over `total` ascending values read through `nth` (0-based). Interpolation is
/// exact in `Decimal`: `x[lo] + (x[lo + 1] - x[lo]) · rem / bins` where
/// `(total - 1) · k = lo · bins + rem`.
pub(crate) fn type7_thresholds(
    total: u64,
    bins: Bins,
    nth: impl Fn(u64) -> Option<Decimal>,
) -> Result<Vec<Decimal>, SegmentError> {
    if total == 0 {
        return Ok(Vec::new());
    }
    let b = u64::from(bins.0);
    let mut thresholds = Vec::with_capacity(usize::from(bins.0) - 1);
    for k in 1..b {
        let h = (total - 1) * k;
        let (lo, rem) = (h / b, h % b);
        let low = nth(lo).unwrap_or_default();
        let q = if rem == 0 {
            low
        } else {
            let high = nth(lo + 1).unwrap_or(low);
            let step = high
                .checked_sub(low)
                .and_then(|d| d.checked_mul(Decimal::from(rem)))
                .and_then(|d| d.checked_div(Decimal::from(b)))
                .ok_or_else(|| {
                    SegmentError::overflow(format!("{low} + ({high} - {low}) * {rem} / {b}"))
                })?;
            low.checked_add(step)
                .ok_or_else(|| SegmentError::overflow(format!("{low} + {step}")))?
        };
        let t = q
            .checked_add(Decimal::ONE)
            .ok_or_else(|| SegmentError::overflow(format!("{q} + 1")))?;
        thresholds.push(t.normalize());
    }
    Ok(thresholds)
}

// ---- The population path: integer keys, counting ranks and radix sorts ----------------
//
// A population's columns are read by row (`key(row)` is `None` for a row that is not
// scored, a customer without purchases), in contiguous row chunks, one per thread
// (`crate::parallel::row_chunks`). Every result is a function of the rows alone: chunk
// boundaries only decide which thread computes what, so the output is the same for
// every thread count.

/// The ordinal-rank score boundaries of `n` ranked values: score `s` covers the positions
/// `last(s − 1) < p ≤ last(s)` with `last(s) = ⌊s · (n − 1) / bins⌋`, the scores of
/// `max(1, ⌈bins · (p) / (n − 1)⌉)` (pandas `qcut` of the first rank) without a division
/// per value.
#[derive(Clone, Debug)]
pub(crate) struct RankBins {
    last_positions: Vec<u32>,
}

impl RankBins {
    pub(crate) fn new(n: u32, bins: Bins) -> RankBins {
        let b = u64::from(bins.0);
        let last = u64::from(n.saturating_sub(1));
        RankBins {
            // s · last / b ≤ last < 2^32.
            last_positions: (1..=b).map(|s| (s * last / b) as u32).collect(),
        }
    }

    /// The score of the 0-based rank position: the smallest `s` with `p ≤ last(s)`.
    pub(crate) fn score(&self, position: u32) -> u8 {
        let below = self.last_positions.partition_point(|&last| last < position);
        (below + 1).min(self.last_positions.len()) as u8
    }

    /// The last position with score `score`.
    pub(crate) fn last_position(&self, score: u8) -> u32 {
        usize::from(score)
            .checked_sub(1)
            .and_then(|idx| self.last_positions.get(idx))
            .copied()
            .unwrap_or(u32::MAX)
    }
}

/// Values up to this bound are counted per value (days, purchase counts); a column
/// with a larger value is ranked by a radix sort instead.
const COUNTING_LIMIT: u32 = 1 << 22;

/// A whole-number column (days, counts) over its keyed rows, read once: the smallest
/// and largest value, the number of keyed rows, and — when every value is below
/// [`COUNTING_LIMIT`] — each chunk's count per value.
#[derive(Clone, Debug)]
pub(crate) struct WholeNumbers {
    pub(crate) lo: u32,
    pub(crate) hi: u32,
    pub(crate) count: u32,
    /// Per chunk, the number of rows of each value `0..` (shorter vectors: zeros).
    per_chunk: Option<Vec<Vec<u32>>>,
}

impl WholeNumbers {
    /// Reads the column; `None` without keyed rows.
    pub(crate) fn of<K>(key: &K, chunks: &[Range<usize>]) -> Option<WholeNumbers>
    where
        K: Fn(usize) -> Option<u32> + Sync,
    {
        let parts = run_each(chunks.to_vec(), |rows| {
            let (mut lo, mut hi, mut count) = (u32::MAX, 0u32, 0u32);
            let mut counts: Option<Vec<u32>> = Some(Vec::new());
            for value in rows.filter_map(key) {
                lo = lo.min(value);
                hi = hi.max(value);
                count += 1;
                if let Some(by_value) = &mut counts {
                    let slot = value as usize;
                    if slot >= by_value.len() {
                        if value >= COUNTING_LIMIT {
                            counts = None;
                            continue;
                        }
                        by_value.resize((slot + 1).max(by_value.len() * 2), 0);
                    }
                    if let Some(c) = by_value.get_mut(slot) {
                        *c += 1;
                    }
                }
            }
            (lo, hi, count, counts)
        });
        let mut whole = WholeNumbers {
            lo: u32::MAX,
            hi: 0,
            count: 0,
            per_chunk: Some(Vec::with_capacity(parts.len())),
        };
        for (lo, hi, count, counts) in parts {
            whole.lo = whole.lo.min(lo);
            whole.hi = whole.hi.max(hi);
            whole.count = whole.count.saturating_add(count);
            match (&mut whole.per_chunk, counts) {
                (Some(all), Some(counts)) => all.push(counts),
                _ => whole.per_chunk = None,
            }
        }
        (whole.count > 0).then_some(whole)
    }

    /// The number of rows of `value` in every chunk.
    fn total(&self, value: u32) -> u64 {
        self.per_chunk.as_ref().map_or(0, |all| {
            all.iter()
                .filter_map(|counts| counts.get(value as usize))
                .map(|c| u64::from(*c))
                .sum()
        })
    }
}

/// Ordinal-rank scores of a whole-number column in `direction`, ties by row, written to
/// `out` (one per row; [`NONE`] for rows without a key).
///
/// A counting sort: the per-chunk counts give each (value, chunk) pair its first rank
/// position, and each chunk then walks its rows in order, so ties keep row order and no
/// order array or scatter is needed. Columns with values beyond the counting limit are
/// radix-sorted.
pub(crate) fn int_rank_scores<K>(
    key: &K,
    chunks: &[Range<usize>],
    column: &WholeNumbers,
    direction: Direction,
    bins: Bins,
    out: &mut [u8],
) where
    K: Fn(usize) -> Option<u32> + Sync,
{
    let ranks = RankBins::new(column.count, bins);
    let Some(per_chunk) = &column.per_chunk else {
        let (lo, hi) = (column.lo, column.hi);
        let slot = move |value: u32| -> u64 {
            u64::from(match direction {
                Direction::Ascending => value.wrapping_sub(lo),
                Direction::Descending => hi.wrapping_sub(value),
            })
        };
        let row_bits = bits_of(out.len().saturating_sub(1) as u64);
        let runs = run_each(chunks.to_vec(), |rows| {
            rows.filter_map(|row| key(row).map(|v| (slot(v) << row_bits) | row as u64))
                .collect::<Vec<u64>>()
        });
        let sorted = sort_runs(runs, row_bits, bits_of(u64::from(hi - lo)), chunks.len());
        out.fill(NONE);
        let mask = low_mask(row_bits);
        for (position, packed) in (0u32..).zip(&sorted) {
            if let Some(score) = out.get_mut((packed & mask) as usize) {
                *score = ranks.score(position);
            }
        }
        return;
    };
    // Each chunk's first position per value: by value in `direction`, then by chunk, so
    // chunk 0's rows of a value rank before chunk 1's.
    let values: Box<dyn Iterator<Item = u32>> = match direction {
        Direction::Ascending => Box::new(column.lo..=column.hi),
        Direction::Descending => Box::new((column.lo..=column.hi).rev()),
    };
    let span = column.hi as usize + 1;
    let mut starts: Vec<Vec<u32>> = vec![vec![0; span]; per_chunk.len()];
    let mut running = 0u32;
    for value in values {
        for (start, counts) in starts.iter_mut().zip(per_chunk) {
            if let Some(slot) = start.get_mut(value as usize) {
                *slot = running;
            }
            running += counts.get(value as usize).copied().unwrap_or(0);
        }
    }
    let parts = split_rows(out, chunks);
    let work: Vec<_> = parts
        .into_iter()
        .zip(starts)
        .zip(chunks.iter().cloned())
        .collect();
    run_each(work, |((out, starts), rows)| {
        // Per value: the next position, the last position of its score, and the score.
        let mut cursors: Vec<(u32, u32, u8)> = starts.into_iter().map(|p| (p, 0, 1)).collect();
        for (row, score) in rows.zip(out.iter_mut()) {
            *score = match key(row).and_then(|v| cursors.get_mut(v as usize)) {
                Some((next, last, current)) => {
                    let position = *next;
                    *next += 1;
                    if position > *last {
                        *current = ranks.score(position);
                        *last = ranks.last_position(*current);
                    }
                    *current
                }
                None => NONE,
            };
        }
    });
}

/// The R `rfm` quantile thresholds of a whole-number column, from its counts per value.
///
/// # Errors
///
/// [`SegmentErrorKind::Overflow`] from the interpolation.
pub(crate) fn int_quantile_thresholds<K>(
    key: &K,
    chunks: &[Range<usize>],
    column: &WholeNumbers,
    bins: Bins,
) -> Result<Vec<Decimal>, SegmentError>
where
    K: Fn(usize) -> Option<u32> + Sync,
{
    if column.per_chunk.is_none() {
        let mut sorted: Vec<u32> = chunks.iter().cloned().flatten().filter_map(key).collect();
        sorted.sort_unstable();
        return type7_thresholds(u64::from(column.count), bins, |idx| {
            usize::try_from(idx)
                .ok()
                .and_then(|idx| sorted.get(idx))
                .map(|v| Decimal::from(*v))
        });
    }
    // cumulative[v − lo] = the number of values ≤ v.
    let mut running = 0u64;
    let cumulative: Vec<u64> = (column.lo..=column.hi)
        .map(|value| {
            running += column.total(value);
            running
        })
        .collect();
    type7_thresholds(u64::from(column.count), bins, |idx| {
        let offset = cumulative.partition_point(|&c| c <= idx) as u32;
        Some(Decimal::from(column.lo.saturating_add(offset)))
    })
}

/// Scores of a whole-number column against ascending thresholds — `1 + (number of
/// thresholds ≤ value)`, reversed for [`Direction::Descending`] — written to `out`
/// ([`NONE`] for rows without a key). With the column's range, a table per value.
pub(crate) fn int_threshold_scores<K>(
    key: &K,
    chunks: &[Range<usize>],
    column: Option<&WholeNumbers>,
    thresholds: &[Decimal],
    direction: Direction,
    out: &mut [u8],
) where
    K: Fn(usize) -> Option<u32> + Sync,
{
    // A whole number v is ≥ t exactly when it is ≥ ⌈t⌉.
    let cutoffs: Vec<i128> = thresholds.iter().map(|t| scaled_ceil(*t, 0)).collect();
    let n_bins = (thresholds.len() + 1).min(100) as u8;
    let score_of = |value: u32| -> u8 {
        let bin = (cutoffs.partition_point(|&c| c <= i128::from(value)) + 1).min(100) as u8;
        match direction {
            Direction::Ascending => bin,
            Direction::Descending => n_bins + 1 - bin,
        }
    };
    let table: Option<(u32, Vec<u8>)> = match column {
        Some(column) if column.hi - column.lo < 1 << 16 => {
            Some((column.lo, (column.lo..=column.hi).map(score_of).collect()))
        }
        _ => None,
    };
    let parts = split_rows(out, chunks);
    let work: Vec<_> = parts.into_iter().zip(chunks.iter().cloned()).collect();
    run_each(work, |(out, rows)| {
        for (row, score) in rows.zip(out.iter_mut()) {
            *score = match (key(row), &table) {
                (None, _) => NONE,
                (Some(value), Some((lo, table))) => table
                    .get(value.wrapping_sub(*lo) as usize)
                    .copied()
                    .unwrap_or_else(|| score_of(value)),
                (Some(value), None) => score_of(value),
            };
        }
    });
}

/// `⌈t · 10^scale⌉`, exactly, saturating at the ends of `i128` (far beyond any `i64`
/// key): the smallest key at `scale` whose value is at least `t`.
pub(crate) fn scaled_ceil(t: Decimal, scale: u32) -> i128 {
    let mantissa = t.mantissa();
    let own = t.scale();
    if scale >= own {
        10i128
            .checked_pow(scale - own)
            .and_then(|factor| mantissa.checked_mul(factor))
            .unwrap_or(if mantissa < 0 { i128::MIN } else { i128::MAX })
    } else {
        // 10^(own − scale) ≤ 10^28 fits an i128.
        let divisor = 10i128.pow(own - scale);
        mantissa.div_euclid(divisor) + i128::from(mantissa.rem_euclid(divisor) != 0)
    }
}

/// The value at `scale` as a whole number of `10^−scale` units, if it is one and fits
/// an `i64`.
#[inline]
pub(crate) fn money_key(value: Decimal, scale: u32) -> Option<i64> {
    if value.scale() == scale {
        return i64::try_from(value.mantissa()).ok();
    }
    let factor = 10i128.checked_pow(scale.checked_sub(value.scale())?)?;
    i64::try_from(value.mantissa().checked_mul(factor)?).ok()
}

/// The number of bits of `value` (0 for 0).
pub(crate) fn bits_of(value: u64) -> u32 {
    64 - value.leading_zeros()
}

/// The `bits` low bits set.
pub(crate) fn low_mask(bits: u32) -> u64 {
    1u64.checked_shl(bits).map_or(u64::MAX, |b| b - 1)
}

/// Cuts `column` into the slices of `chunks` (contiguous, in order, covering it).
pub(crate) fn split_rows<'a, T>(
    mut column: &'a mut [T],
    chunks: &[Range<usize>],
) -> Vec<&'a mut [T]> {
    let mut parts = Vec::with_capacity(chunks.len());
    for rows in chunks {
        let (part, rest) = column.split_at_mut(rows.len().min(column.len()));
        parts.push(part);
        column = rest;
    }
    parts
}

/// Sorts each run by the `bits` key bits above bit `lo_bit` (stable LSD radix sorts of
/// 11-bit digits, or one 16-bit pass for short keys) and merges them, on up to
/// `threads` threads. Every element must be distinct (the low bits hold a row index);
/// runs must hold ascending rows, so the result orders ties by row.
pub(crate) fn sort_runs(runs: Vec<Vec<u64>>, lo_bit: u32, bits: u32, threads: usize) -> Vec<u64> {
    let sorted = run_each(runs, |run| radix_sort(run, lo_bit, bits));
    merge_runs(sorted, threads)
}

/// A stable LSD radix sort of `data` by the `bits` bits above `lo_bit`.
pub(crate) fn radix_sort(mut data: Vec<u64>, lo_bit: u32, bits: u32) -> Vec<u64> {
    if bits == 0 || data.len() < 2 {
        return data;
    }
    if data.len() < 256 {
        let mask = low_mask(bits);
        data.sort_by_key(|x| x.checked_shr(lo_bit).unwrap_or(0) & mask);
        return data;
    }
    let passes = if bits <= 16 { 1 } else { bits.div_ceil(11) };
    let width = bits.div_ceil(passes);
    let buckets = 1usize << width;
    // Each pass's shift and mask (the last digit may be narrower).
    let digits: Vec<(u32, u64)> = (0..passes)
        .map(|pass| {
            let shift = lo_bit + pass * width;
            (shift, low_mask(width.min(bits - pass * width)))
        })
        .collect();
    // One read of the data counts every pass's digits.
    let mut counts = vec![0usize; buckets * passes as usize];
    for &x in &data {
        for (pass, (shift, mask)) in digits.iter().enumerate() {
            let digit = (x.checked_shr(*shift).unwrap_or(0) & mask) as usize;
            if let Some(c) = counts.get_mut(pass * buckets + digit) {
                *c += 1;
            }
        }
    }
    let mut scratch = vec![0u64; data.len()];
    for ((shift, mask), offsets) in digits.into_iter().zip(counts.chunks_mut(buckets)) {
        // A digit that every element shares moves nothing.
        if offsets.contains(&data.len()) {
            continue;
        }
        let mut running = 0usize;
        for slot in offsets.iter_mut() {
            let here = *slot;
            *slot = running;
            running += here;
        }
        for &x in &data {
            let digit = x.checked_shr(shift).unwrap_or(0) & mask;
            if let Some(next) = offsets.get_mut(digit as usize) {
                if let Some(place) = scratch.get_mut(*next) {
                    *place = x;
                }
                *next += 1;
            }
        }
        std::mem::swap(&mut data, &mut scratch);
    }
    data
}

/// Merges sorted runs of distinct elements into one sorted vector, the output cut into
/// `threads` parts merged on their own threads.
pub(crate) fn merge_runs(mut runs: Vec<Vec<u64>>, threads: usize) -> Vec<u64> {
    runs.retain(|run| !run.is_empty());
    if runs.len() <= 1 {
        return runs.pop().unwrap_or_default();
    }
    let total: usize = runs.iter().map(Vec::len).sum();
    let parts = threads.clamp(1, (total / MIN_ROWS_PER_THREAD).max(1));
    // Where each part starts in each run: the elements below the part's first rank.
    let cuts: Vec<Vec<usize>> = (0..=parts)
        .map(|part| split_at_rank(&runs, total * part / parts))
        .collect();
    let mut out = vec![0u64; total];
    let ranges: Vec<Range<usize>> = (0..parts)
        .map(|part| total * part / parts..total * (part + 1) / parts)
        .collect();
    let slices = split_rows(&mut out, &ranges);
    let work: Vec<_> = slices.into_iter().zip(cuts.windows(2)).collect();
    run_each(work, |(out, bounds)| {
        if let [from, to] = bounds {
            let pieces: Vec<&[u64]> = runs
                .iter()
                .zip(from.iter().zip(to))
                .map(|(run, (&a, &b))| run.get(a..b).unwrap_or_default())
                .collect();
            merge_into(&pieces, out);
        }
    });
    out
}

/// For each run, the number of its elements below the `rank`-th smallest of all (all
/// elements distinct).
fn split_at_rank(runs: &[Vec<u64>], rank: usize) -> Vec<usize> {
    let below = |value: u64| -> Vec<usize> {
        runs.iter()
            .map(|run| run.partition_point(|&x| x < value))
            .collect()
    };
    // The smallest value with more than `rank` elements at or below it is the element
    // of that rank (if `rank` is the total, every element is below).
    let (mut lo, mut hi) = (0u64, u64::MAX);
    let at_most = |value: u64| -> usize {
        runs.iter()
            .map(|run| run.partition_point(|&x| x <= value))
            .sum()
    };
    if at_most(u64::MAX) <= rank {
        return runs.iter().map(Vec::len).collect();
    }
    while lo < hi {
        let mid = lo + (hi - lo) / 2;
        if at_most(mid) > rank {
            hi = mid;
        } else {
            lo = mid + 1;
        }
    }
    below(lo)
}

/// Merges sorted pieces into `out` (exactly their total length).
fn merge_into(pieces: &[&[u64]], out: &mut [u64]) {
    match pieces {
        [] => {}
        [one] => out.copy_from_slice(one),
        [left, right] => {
            let (mut at_left, mut at_right) = (0, 0);
            for slot in out.iter_mut() {
                match (left.get(at_left), right.get(at_right)) {
                    (Some(&from_left), Some(&from_right)) if from_left < from_right => {
                        *slot = from_left;
                        at_left += 1;
                    }
                    (_, Some(&from_right)) => {
                        *slot = from_right;
                        at_right += 1;
                    }
                    (Some(&from_left), None) => {
                        *slot = from_left;
                        at_left += 1;
                    }
                    (None, None) => break,
                }
            }
        }
        _ => {
            let mut heads = vec![0usize; pieces.len()];
            for slot in out.iter_mut() {
                let mut best: Option<(u64, usize)> = None;
                for (idx, (piece, head)) in pieces.iter().zip(&heads).enumerate() {
                    if let Some(&x) = piece.get(*head) {
                        if best.map_or(true, |(smallest, _)| x < smallest) {
                            best = Some((x, idx));
                        }
                    }
                }
                let Some((x, idx)) = best else { break };
                *slot = x;
                if let Some(head) = heads.get_mut(idx) {
                    *head += 1;
                }
            }
        }
    }
}

/// A money column's keyed rows sorted by value ascending, ties by row: each element is
/// `(key << row_bits) | row`, where equal keys are equal values.
///
/// Values are keyed at the column's largest scale as whole numbers minus the smallest
/// (an LSD radix sort over the span's bits); a column whose values do not fit an `i64`
/// at one scale, or whose span and row index do not fit 64 bits together, falls back
/// to a comparison sort and numbers its distinct values instead.
#[derive(Clone, Debug)]
pub(crate) struct MoneyOrder {
    pub(crate) packed: Vec<u64>,
    pub(crate) row_bits: u32,
    space: KeySpace,
}

/// One chunk's values as whole numbers at one scale (`i64` bits in `u64`s), with
/// their range; `fits` is false once a value does not fit.
struct ScaledKeys {
    keys: Vec<u64>,
    scale: u32,
    lo: i64,
    hi: i64,
    fits: bool,
}

impl ScaledKeys {
    fn of(values: impl Iterator<Item = Decimal>) -> ScaledKeys {
        let mut part = ScaledKeys {
            keys: Vec::with_capacity(values.size_hint().1.unwrap_or(0)),
            scale: 0,
            lo: i64::MAX,
            hi: i64::MIN,
            fits: true,
        };
        for value in values {
            if value.scale() > part.scale && !part.rescale(value.scale()) {
                return part;
            }
            let Some(key) = money_key(value, part.scale) else {
                part.fits = false;
                return part;
            };
            part.lo = part.lo.min(key);
            part.hi = part.hi.max(key);
            part.keys.push(key as u64);
        }
        part
    }

    /// Moves the keys to a larger scale; false (and `fits` false) if one overflows.
    fn rescale(&mut self, scale: u32) -> bool {
        if !self.fits || scale == self.scale {
            return self.fits;
        }
        let Some(factor) = 10i64.checked_pow(scale - self.scale) else {
            self.fits = false;
            return false;
        };
        for key in &mut self.keys {
            let Some(scaled) = (*key as i64).checked_mul(factor) else {
                self.fits = false;
                return false;
            };
            *key = scaled as u64;
        }
        // Scaling by a positive factor keeps the range's ends (an empty range stays empty).
        if self.lo <= self.hi {
            self.lo = self.lo.saturating_mul(factor);
            self.hi = self.hi.saturating_mul(factor);
        }
        self.scale = scale;
        true
    }
}

/// What a [`MoneyOrder`] key means.
#[derive(Clone, Debug)]
enum KeySpace {
    /// `value · 10^scale − lo`.
    Scaled { scale: u32, lo: i64 },
    /// The index of the value among the distinct values, ascending.
    Dense(Vec<Decimal>),
}

impl MoneyOrder {
    /// Sorts the keyed rows of `n_rows` (`value(row)` is `None` for a row left out).
    pub(crate) fn of<V>(value: &V, n_rows: usize, chunks: &[Range<usize>]) -> MoneyOrder
    where
        V: Fn(usize) -> Option<Decimal> + Sync,
    {
        let row_bits = bits_of(n_rows.saturating_sub(1) as u64);
        // One read of the values: each chunk's keys at its largest scale so far.
        let mut parts = run_each(chunks.to_vec(), |rows| {
            ScaledKeys::of(rows.filter_map(value))
        });
        let scale = parts.iter().map(|part| part.scale).max().unwrap_or(0);
        let fits = parts.iter_mut().all(|part| part.rescale(scale));
        let (lo, hi) = parts.iter().fold((i64::MAX, i64::MIN), |(lo, hi), part| {
            (lo.min(part.lo), hi.max(part.hi))
        });
        let span = (i128::from(hi) - i128::from(lo)).max(0) as u64;
        let key_bits = bits_of(span);
        if fits && key_bits + row_bits <= 64 {
            let work: Vec<_> = parts.into_iter().zip(chunks.iter().cloned()).collect();
            let runs = run_each(work, |(part, rows)| {
                let mut run = part.keys;
                let keyed = rows.filter(|&row| value(row).is_some());
                for (slot, row) in run.iter_mut().zip(keyed) {
                    let offset = (i128::from(*slot as i64) - i128::from(lo)) as u64;
                    *slot = offset.checked_shl(row_bits).unwrap_or(0) | row as u64;
                }
                run
            });
            return MoneyOrder {
                packed: sort_runs(runs, row_bits, key_bits, chunks.len()),
                row_bits,
                space: KeySpace::Scaled { scale, lo },
            };
        }
        // Values beyond one i64 scale: compare them.
        let mut pairs: Vec<(Decimal, u64)> = chunks
            .iter()
            .cloned()
            .flatten()
            .filter_map(|row| value(row).map(|v| (v, row as u64)))
            .collect();
        pairs.sort_unstable();
        let mut distinct: Vec<Decimal> = Vec::new();
        let packed = pairs
            .into_iter()
            .map(|(v, row)| {
                if distinct.last() != Some(&v) {
                    distinct.push(v);
                }
                let id = distinct.len() as u64 - 1;
                id.checked_shl(row_bits).unwrap_or(0) | row
            })
            .collect();
        MoneyOrder {
            packed,
            row_bits,
            space: KeySpace::Dense(distinct),
        }
    }

    /// The row of a sorted element.
    pub(crate) fn row(&self, packed: u64) -> usize {
        (packed & low_mask(self.row_bits)) as usize
    }

    /// The key of a sorted element (equal keys, equal values).
    pub(crate) fn key(&self, packed: u64) -> u64 {
        packed.checked_shr(self.row_bits).unwrap_or(0)
    }

    /// The smallest key whose value is at least `t` (`u64::MAX` if none can be).
    pub(crate) fn cutoff(&self, t: Decimal) -> u64 {
        match &self.space {
            KeySpace::Scaled { scale, lo } => {
                let offset = scaled_ceil(t, *scale).saturating_sub(i128::from(*lo));
                u64::try_from(offset.max(0)).unwrap_or(u64::MAX)
            }
            KeySpace::Dense(distinct) => distinct.partition_point(|d| *d < t) as u64,
        }
    }
}

/// "No value" in the byte columns (non-purchasers have no score, band or segment).
pub(crate) const NONE: u8 = u8::MAX;

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn dec(v: i64) -> Decimal {
        Decimal::from(v)
    }

    #[test]
    fn rank_scores_match_pandas_qcut_of_first_rank() {
        // pandas: pd.qcut(pd.Series(range(1, 11)).rank(method="first"), 5, labels=False) + 1
        let values: Vec<u32> = (1..=10).collect();
        let got = rank_scores(&values, Direction::Ascending, Bins::default()).unwrap();
        assert_eq!(got, vec![1, 1, 2, 2, 3, 3, 4, 4, 5, 5]);
        let single = rank_scores(&[7u32], Direction::Ascending, Bins::default()).unwrap();
        assert_eq!(single, vec![1]);
        let empty = rank_scores::<u32>(&[], Direction::Ascending, Bins::default()).unwrap();
        assert!(empty.is_empty());
    }

    #[test]
    fn rank_order_breaks_ties_by_row_in_both_directions() {
        let values = [5u32, 1, 5, 1];
        assert_eq!(
            rank_order(&values, Direction::Ascending).unwrap(),
            vec![1, 3, 0, 2]
        );
        assert_eq!(
            rank_order(&values, Direction::Descending).unwrap(),
            vec![0, 2, 1, 3]
        );
    }

    #[test]
    fn decimal_keys_fall_back_when_scales_do_not_fit() {
        let huge = Decimal::from_i128_with_scale(10i128.pow(27), 0);
        let values = [huge, Decimal::new(1, 20), dec(-3)];
        assert!(<Decimal as sealed::SortKeys>::keys(&values).is_none());
        assert_eq!(
            rank_order(&values, Direction::Ascending).unwrap(),
            vec![2, 1, 0]
        );
        assert_eq!(
            rank_order(&values, Direction::Descending).unwrap(),
            vec![0, 1, 2]
        );
    }

    #[test]
    fn counting_sort_agrees_with_the_comparison_sort() {
        let values: Vec<u32> = (0..5000u32).map(|i| (i * 7919) % 97).collect();
        for direction in [Direction::Ascending, Direction::Descending] {
            let mut want: Vec<u32> = (0..5000).collect();
            want.sort_by(|&a, &b| {
                let (va, vb) = (values[a as usize], values[b as usize]);
                let by_value = match direction {
                    Direction::Ascending => va.cmp(&vb),
                    Direction::Descending => vb.cmp(&va),
                };
                by_value.then(a.cmp(&b))
            });
            assert_eq!(rank_order(&values, direction).unwrap(), want);
        }
    }

    #[test]
    fn wide_keys_use_the_u128_path() {
        let values = [i64::MAX, i64::MIN, 0, i64::MIN];
        assert_eq!(
            rank_order(&values, Direction::Ascending).unwrap(),
            vec![1, 3, 2, 0]
        );
    }

    #[test]
    fn quantile_thresholds_interpolate_like_r_type_7() {
        // R: quantile(c(1, 2, 4, 8), probs = seq(0, 1, 0.2)) = 1 1.6 2.4 3.6 5.6 8
        let sorted = [1, 2, 4, 8].map(dec);
        let got = quantile_thresholds(&sorted, Bins::default()).unwrap();
        let want = [
            Decimal::new(26, 1),
            Decimal::new(34, 1),
            Decimal::new(46, 1),
            Decimal::new(66, 1),
        ];
        assert_eq!(got, want);
        assert!(quantile_thresholds(&[], Bins::default())
            .unwrap()
            .is_empty());
    }

    #[test]
    fn value_counts_agree_with_the_column() {
        let column = [3, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5].map(dec);
        let mut sorted = column.to_vec();
        sorted.sort();
        let counts = ValueCounts::from_values(column);
        let bins = Bins::try_new(4).unwrap();
        assert_eq!(
            counts.quantile_thresholds(bins).unwrap(),
            quantile_thresholds(&sorted, bins).unwrap()
        );
        assert!(ValueCounts::new()
            .quantile_thresholds(bins)
            .unwrap()
            .is_empty());
    }

    #[test]
    fn overflow_messages() {
        let sorted = [Decimal::MIN, Decimal::MAX];
        let err = quantile_thresholds(&sorted, Bins::default()).unwrap_err();
        assert_eq!(
            err.to_string(),
            "`-79228162514264337593543950335 + (79228162514264337593543950335 - -79228162514264337593543950335) * 1 / 5` overflows: amounts must stay within ±79228162514264337593543950335"
        );
        let err = quantile_thresholds(&[Decimal::MAX], Bins::default()).unwrap_err();
        assert_eq!(
            err.to_string(),
            "`79228162514264337593543950335 + 1` overflows: amounts must stay within ±79228162514264337593543950335"
        );
    }

    #[test]
    fn error_messages() {
        assert_eq!(
            Bins::try_new(1).unwrap_err().to_string(),
            "invalid number of score bins `1`: expected a number from 2 to 100"
        );
        assert_eq!(
            CutPoints::try_new(vec![]).unwrap_err().to_string(),
            "0 cut points given: expected from 1 to 99 (one fewer than the number of scores)"
        );
        assert_eq!(
            CutPoints::try_new(vec![dec(3), dec(2)]).unwrap_err().to_string(),
            "cut point 1 is `2` but the one before it is `3`: expected strictly ascending cut points"
        );
    }

    fn distinct_spends() -> impl Strategy<Value = Vec<Decimal>> {
        prop::collection::btree_set(-100_000_i64..1_000_000_000, 1..300).prop_flat_map(|set| {
            let values: Vec<Decimal> = set.into_iter().map(|c| Decimal::new(c, 2)).collect();
            Just(values).prop_shuffle()
        })
    }

    proptest! {
        #[test]
        fn exactly_ceil_20_percent_of_distinct_spends_are_in_the_top_20(spend in distinct_spends()) {
            let shares = monetary_top_shares(&spend).unwrap();
            let top = shares.iter().filter(|s| s.is_below(Decimal::new(20, 2))).count();
            let n = spend.len();
            prop_assert_eq!(top, (n * 2).div_ceil(10));
            let top_half = shares.iter().filter(|s| s.is_below(Decimal::new(50, 2))).count();
            prop_assert_eq!(top_half, n.div_ceil(2));
        }

        #[test]
        fn quantile_scores_never_split_ties(
            values in prop::collection::vec(0u32..20, 1..200),
            bins in 2u32..8,
            descending in any::<bool>(),
        ) {
            let direction = if descending { Direction::Descending } else { Direction::Ascending };
            let scored = quantile_scores(&values, direction, Bins::try_new(bins).unwrap()).unwrap();
            for (a, sa) in values.iter().zip(&scored.scores) {
                for (b, sb) in values.iter().zip(&scored.scores) {
                    if a == b { prop_assert_eq!(sa, sb); }
                    let better = match direction { Direction::Ascending => a > b, Direction::Descending => a < b };
                    if better { prop_assert!(sa >= sb); }
                }
                prop_assert!((1..=bins as u8).contains(sa));
            }
        }

        #[test]
        fn rank_scores_fill_bins_evenly(n in 1usize..500, bins in 2u32..10) {
            let values: Vec<u32> = (0..n as u32).map(|v| v % 7).collect();
            let bins = Bins::try_new(bins).unwrap();
            let scores = rank_scores(&values, Direction::Ascending, bins).unwrap();
            let mut sizes = vec![0usize; usize::from(bins.get())];
            for s in &scores { sizes[usize::from(*s) - 1] += 1; }
            if n > usize::from(bins.get()) {
                let (lo, hi) = (sizes.iter().min().unwrap(), sizes.iter().max().unwrap());
                prop_assert!(hi - lo <= 1, "{:?}", sizes);
            }
        }

        #[test]
        fn merged_shard_counts_equal_the_whole(
            values in prop::collection::vec(-500i64..500, 1..200),
            split in 0usize..200,
        ) {
            let column: Vec<Decimal> = values.iter().map(|&c| Decimal::new(c, 1)).collect();
            let split = split.min(column.len());
            let mut left = ValueCounts::from_values(column[..split].iter().copied());
            left.merge(&ValueCounts::from_values(column[split..].iter().copied()));
            let shares = monetary_top_shares(&column).unwrap();
            for (value, share) in column.iter().zip(&shares) {
                prop_assert_eq!(left.top_share(*value), *share);
            }
            let mut sorted = column.clone();
            sorted.sort();
            prop_assert_eq!(
                left.quantile_thresholds(Bins::default()).unwrap(),
                quantile_thresholds(&sorted, Bins::default()).unwrap()
            );
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(24))]

        #[test]
        fn rank_bins_equal_the_rank_score_formula(n in 0u32..400, bins in 2u32..=100) {
            let bins = Bins::try_new(bins).unwrap();
            let ranks = RankBins::new(n, bins);
            for position in 0..n.max(1) {
                prop_assert_eq!(ranks.score(position), rank_score(position, n, bins));
                let score = ranks.score(position);
                prop_assert!(position <= ranks.last_position(score));
                if score > 1 {
                    prop_assert!(position > ranks.last_position(score - 1));
                }
            }
        }

        #[test]
        fn radix_sort_equals_a_stable_sort_by_the_key_bits(
            data in prop::collection::vec(any::<u64>(), 0..3000),
            lo_bit in 0u32..24,
            bits in 1u32..40,
        ) {
            let mask = low_mask(bits);
            let mut want = data.clone();
            want.sort_by_key(|x| (x >> lo_bit) & mask);
            prop_assert_eq!(radix_sort(data, lo_bit, bits), want);
        }

        #[test]
        fn merged_runs_equal_one_sort(
            data in prop::collection::btree_set(any::<u64>(), 0..6000),
            n_runs in 1usize..6,
            threads in 1usize..5,
            seed in any::<u64>(),
        ) {
            let want: Vec<u64> = data.iter().copied().collect();
            // Deal the elements to runs pseudo-randomly, each run ascending.
            let mut runs = vec![Vec::new(); n_runs];
            let mut state = seed | 1;
            for x in &want {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                runs[(state % n_runs as u64) as usize].push(*x);
            }
            prop_assert_eq!(merge_runs(runs, threads), want);
        }

        #[test]
        fn rank_order_equals_the_comparison_sort(
            small in prop::collection::vec(0u32..50, 0..3000),
            wide in prop::collection::vec(any::<i64>(), 0..500),
            cents in prop::collection::vec((-1_000_000i64..100_000_000, 0u32..4), 0..3000),
        ) {
            let spend: Vec<Decimal> = cents.iter().map(|&(c, scale)| Decimal::new(c, scale)).collect();
            for direction in [Direction::Ascending, Direction::Descending] {
                prop_assert_eq!(rank_order(&small, direction).unwrap(), rank_order_by_comparison(&small, direction));
                prop_assert_eq!(rank_order(&wide, direction).unwrap(), rank_order_by_comparison(&wide, direction));
                prop_assert_eq!(rank_order(&spend, direction).unwrap(), rank_order_by_comparison(&spend, direction));
            }
        }

        #[test]
        fn counting_ranks_and_counts_equal_the_comparison_paths(
            column in prop::collection::vec(prop::option::weighted(0.9, 0u32..400), 0..5000),
            wide in any::<bool>(),
            threads in 1usize..4,
            bins in 2u32..12,
            descending in any::<bool>(),
        ) {
            // Wide columns (spans beyond the counting limit) take the radix path.
            let column: Vec<Option<u32>> = column
                .into_iter()
                .map(|v| v.map(|v| if wide { v.wrapping_mul(40_000_003) } else { v }))
                .collect();
            let direction = if descending { Direction::Descending } else { Direction::Ascending };
            let bins = Bins::try_new(bins).unwrap();
            let chunks = crate::parallel::row_chunks(column.len(), threads);
            let key = |row: usize| column.get(row).copied().flatten();
            let keyed: Vec<u32> = column.iter().flatten().copied().collect();
            let rows: Vec<usize> = (0..column.len()).filter(|&r| column[r].is_some()).collect();
            let whole = WholeNumbers::of(&key, &chunks);
            prop_assert_eq!(whole.is_some(), !keyed.is_empty());
            let Some(whole) = whole else { return Ok(()) };
            prop_assert_eq!(whole.per_chunk.is_none(), keyed.iter().any(|&v| v >= COUNTING_LIMIT));

            let mut got = vec![0u8; column.len()];
            int_rank_scores(&key, &chunks, &whole, direction, bins, &mut got);
            let want = scores_by_comparison(&keyed, direction, bins);
            for (row, score) in rows.iter().zip(&want) {
                prop_assert_eq!(got[*row], *score);
            }
            prop_assert!(got.iter().enumerate().all(|(row, s)| column[row].is_some() || *s == NONE));

            let thresholds = int_quantile_thresholds(&key, &chunks, &whole, bins).unwrap();
            let mut sorted: Vec<Decimal> = keyed.iter().map(|v| Decimal::from(*v)).collect();
            sorted.sort();
            prop_assert_eq!(&thresholds, &quantile_thresholds(&sorted, bins).unwrap());
            let mut got = vec![0u8; column.len()];
            int_threshold_scores(&key, &chunks, Some(&whole), &thresholds, direction, &mut got);
            let want = threshold_scores(&keyed, &thresholds, direction);
            for (row, score) in rows.iter().zip(&want) {
                prop_assert_eq!(got[*row], *score);
            }
        }

        #[test]
        fn money_order_sorts_and_cuts_like_decimals(
            column in prop::collection::vec(prop::option::weighted(0.9, (-100_000i64..10_000_000, 0u32..4)), 0..3000),
            huge in any::<bool>(),
            threads in 1usize..4,
            probes in prop::collection::vec((-200_000i64..20_000_000, 0u32..6), 1..20),
        ) {
            // Huge values do not fit an i64 at one scale: the comparison fallback.
            let column: Vec<Option<Decimal>> = column
                .into_iter()
                .map(|v| v.map(|(c, scale)| {
                    let value = Decimal::new(c, scale);
                    if huge { value.checked_mul(Decimal::from(10i64.pow(17))).unwrap() } else { value }
                }))
                .collect();
            let chunks = crate::parallel::row_chunks(column.len(), threads);
            let value = |row: usize| column.get(row).copied().flatten();
            let order = MoneyOrder::of(&value, column.len(), &chunks);
            let rows: Vec<usize> = order.packed.iter().map(|p| order.row(*p)).collect();
            let mut want: Vec<usize> = (0..column.len()).filter(|&r| column[r].is_some()).collect();
            want.sort_by(|&a, &b| column[a].cmp(&column[b]).then(a.cmp(&b)));
            prop_assert_eq!(&rows, &want);
            for pair in order.packed.windows(2) {
                let same = column[order.row(pair[0])] == column[order.row(pair[1])];
                prop_assert_eq!(order.key(pair[0]) == order.key(pair[1]), same);
            }
            for (cents, scale) in probes {
                let t = Decimal::new(cents, scale);
                let t = if huge { t.checked_mul(Decimal::from(10i64.pow(17))).unwrap() } else { t };
                let cutoff = order.cutoff(t);
                for packed in &order.packed {
                    let v = column[order.row(*packed)].unwrap();
                    prop_assert_eq!(order.key(*packed) >= cutoff, v >= t, "{} vs {}", v, t);
                }
            }
        }

        #[test]
        fn scaled_ceil_is_the_exact_ceiling(cents in any::<i64>(), own in 0u32..10, scale in 0u32..10) {
            let t = Decimal::new(cents, own);
            let scaled = t.checked_mul(Decimal::from(10i64.pow(scale))).unwrap();
            let want = scaled.ceil().mantissa();
            prop_assert_eq!(scaled_ceil(t, scale), want);
        }
    }

    /// Ordinal-rank scores the way they were computed before the integer paths.
    fn scores_by_comparison<T: Metric>(values: &[T], direction: Direction, bins: Bins) -> Vec<u8> {
        let order = rank_order_by_comparison(values, direction);
        let n = order.len() as u32;
        let mut scores = vec![0u8; order.len()];
        for (position, row) in (0u32..).zip(&order) {
            scores[*row as usize] = rank_score(position, n, bins);
        }
        scores
    }

    #[test]
    fn money_keys_and_ceilings_at_the_edges() {
        assert_eq!(money_key(Decimal::new(1234, 2), 4), Some(123_400));
        assert_eq!(money_key(Decimal::new(1234, 3), 2), None);
        assert_eq!(money_key(Decimal::MAX, 0), None);
        assert_eq!(scaled_ceil(Decimal::MAX, 28), i128::MAX);
        assert_eq!(scaled_ceil(Decimal::MIN, 28), i128::MIN);
        assert_eq!(scaled_ceil(Decimal::new(-15, 1), 0), -1);
        assert_eq!(scaled_ceil(Decimal::new(15, 1), 0), 2);
        assert_eq!(bits_of(0), 0);
        assert_eq!(low_mask(64), u64::MAX);
        assert!(merge_runs(Vec::new(), 2).is_empty());
    }
}
