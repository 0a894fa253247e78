//! Population statistics on columns: top shares, 1–n scores by quantile thresholds, by
//! ordinal rank or by user-given cut points, and mergeable per-value counts for shards.
//!
//! Every function here takes one column of a population whose rows are ordered by
//! customer id (as [`FactsTable`](crate::FactsTable) is), so "ties broken by customer id"
//! is "ties broken by row index".

use std::collections::BTreeMap;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

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
/// it is descending value. Uses packed integer keys and an unstable sort when the
/// values allow it (they always do for days, counts and two-decimal money).
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
        let mask = (1u64 << idx_bits).wrapping_sub(1);
        let mut packed: Vec<u64> = keys
            .iter()
            .zip(0..n)
            .map(|(&k, idx)| k.checked_shl(idx_bits).unwrap_or(0) | u64::from(idx))
            .collect();
        packed.sort_unstable();
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
/// `n`: `max(1, ⌈bins · (r − 1) / (n − 1)⌉)`, and 1 when `n == 1`.
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
    let n = order.len() as u32;
    let mut scores = vec![0u8; order.len()];
    for (position, idx) in (0u32..).zip(order) {
        if let Some(slot) = scores.get_mut(*idx as usize) {
            *slot = rank_score(position, n, bins);
        }
    }
    scores
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
fn type7_thresholds(
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
}
