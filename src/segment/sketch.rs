//! A deterministic, mergeable quantile sketch with a proven rank-error bound, for
//! population statistics of bases too large for exact per-value counts (R13).

use serde::{Deserialize, Serialize};

use crate::segment::{SegmentError, SegmentErrorKind};

/// The number of items a [`QuantileSketch`] keeps per level, `k`: from 8 to 1,048,576
/// (default 4,096). The rank error is at most about `log2(n / k) · n / k`, so each
/// doubling of `k` roughly halves it and doubles the sketch.
///
/// # Example
///
/// ```
/// use patronage::segment::SketchCapacity;
///
/// assert_eq!(SketchCapacity::default().get(), 4096);
/// assert_eq!(SketchCapacity::try_new(256)?.get(), 256);
/// assert_eq!(
///     SketchCapacity::try_new(4).unwrap_err().to_string(),
///     "invalid sketch capacity `4`: expected from 8 to 1048576 items per level",
/// );
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "u32", into = "u32")]
pub struct SketchCapacity(u32);

impl SketchCapacity {
    /// The smallest capacity.
    pub const MIN: u32 = 8;
    /// The largest capacity.
    pub const MAX: u32 = 1 << 20;

    /// Checks that `capacity` is in `8..=1_048_576`.
    ///
    /// # Errors
    ///
    /// [`SegmentErrorKind::InvalidSketchCapacity`] outside that range.
    ///
    /// # Example
    ///
    /// ```
    /// use patronage::segment::SketchCapacity;
    ///
    /// assert_eq!(SketchCapacity::try_new(1024)?.get(), 1024);
    /// assert!(SketchCapacity::try_new(2_000_000).is_err());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn try_new(capacity: u32) -> Result<SketchCapacity, SegmentError> {
        if (SketchCapacity::MIN..=SketchCapacity::MAX).contains(&capacity) {
            Ok(SketchCapacity(capacity))
        } else {
            Err(SegmentError::new(SegmentErrorKind::InvalidSketchCapacity {
                capacity,
            }))
        }
    }

    /// The number of items per level.
    ///
    /// # Example
    ///
    /// ```
    /// use patronage::segment::SketchCapacity;
    ///
    /// assert_eq!(SketchCapacity::try_new(SketchCapacity::MIN)?.get(), 8);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn get(self) -> u32 {
        self.0
    }
}

impl Default for SketchCapacity {
    fn default() -> SketchCapacity {
        SketchCapacity(4096)
    }
}

impl TryFrom<u32> for SketchCapacity {
    type Error = SegmentError;

    fn try_from(capacity: u32) -> Result<SketchCapacity, SegmentError> {
        SketchCapacity::try_new(capacity)
    }
}

impl From<SketchCapacity> for u32 {
    fn from(capacity: SketchCapacity) -> u32 {
        capacity.0
    }
}

/// A quantile sketch: a summary of `n` values, in space logarithmic in `n`, that
/// answers "how many values are at most `v`" ([`rank`](QuantileSketch::rank)) and
/// "which value has rank `i`" ([`nth`](QuantileSketch::nth)) within a proven error,
/// and that merges with the sketches of other shards of the same base.
///
/// # How it works
///
/// The sketch is a hierarchy of *compactors* (Manku–Rajagopalan–Lindsay, as in KLL
/// with one capacity `k` for every level). Level `h` holds values that each stand for
/// `2^h` inserted values — their *weight*. A value is inserted at level 0. When a
/// level holds more than `k` values it is *compacted*: sorted, the largest set aside if
/// their number is odd, and every other value of the rest — positions 0, 2, 4, … or
/// 1, 3, 5, …, alternating from one compaction of that level to the next — moves up
/// one level (twice the weight) while the others are dropped. A value's estimated rank
/// is the total weight of the kept values at or below it.
///
/// There is no randomness: the same values inserted in the same order, and the same
/// merges, give the same sketch.
///
/// # Error bound
///
/// For every value `v`, with `n` the number of values inserted (into this sketch and
/// every sketch merged into it), the estimated rank differs from the true one by at
/// most [`error_bound`](QuantileSketch::error_bound):
///
/// `ε(n) = Σ_{h ≥ 0} ⌊(⌊n / 2^h⌋ − 1) / k⌋ · 2^h  <  (⌊log2(n / k)⌋ + 1) · n / k`
///
/// (the sum over the levels with `⌊n / 2^h⌋ > k`), and `ε(n) = 0` while `n ≤ k`. The
/// proof:
///
/// 1. *One compaction at level `h` moves any rank by at most `2^h`.* The compacted
///    values at or below `v` are a prefix of the sorted run, say `j` of them, weighing
///    `j · 2^h`. Afterwards `⌈j/2⌉` (offset 0) or `⌊j/2⌋` (offset 1) of them remain,
///    each weighing `2^(h+1)`: the same weight when `j` is even, `2^h` more or less
///    when it is odd. The same holds for the values strictly below `v`.
/// 2. *Level `h` is compacted at most `⌊(⌊n / 2^h⌋ − 1) / k⌋` times.* Compactions
///    conserve weight, so the values that ever reach level `h` weigh at most `n`: they
///    are at most `⌊n / 2^h⌋`. A compaction happens only when the level holds more
///    than `k` values, and removes at least `k` of them (all, or all but the
///    largest); so before its `c`-th compaction the level has received at least
///    `(c − 1) · k + k + 1` values, and `c · k + 1 ≤ ⌊n / 2^h⌋`.
/// 3. Adding (1) over the compactions of (2) gives `ε(n)`. Each level contributes less
///    than `n / k`, and only the levels with `⌊n / 2^h⌋ > k` — at most
///    `⌊log2(n / k)⌋ + 1` of them — contribute at all.
/// 4. *Merging keeps the bound.* [`merge`](QuantileSketch::merge) adds the two sketches'
///    levels together and compacts: every compaction in either history and in the
///    merge is one of (1), and (2) counts them all against the merged `n`. The bound
///    therefore holds for any number of merges in any order.
///
/// [`nth`](QuantileSketch::nth) returns a kept value `x` whose estimated ranks straddle
/// the index `i` (estimated `#{< x} ≤ i < ` estimated `#{≤ x}`), so by the bound
/// `#{values < x} ≤ i + ε` and `#{values ≤ x} ≥ i + 1 − ε`: `x` is a true value whose
/// rank is within `ε` of `i`.
///
/// # Space and time
///
/// At most `k` values per level and `⌊log2(n / k)⌋ + 2` levels. An insert costs
/// `O(log k)` comparisons amortised; a merge sorts what it compacts.
///
/// # Example
///
/// ```
/// use patronage::segment::{QuantileSketch, SketchCapacity};
///
/// let capacity = SketchCapacity::try_new(256)?;
/// let (mut low, mut high) = (QuantileSketch::new(capacity), QuantileSketch::new(capacity));
/// for value in 0..5_000u32 {
///     low.insert(value);
///     high.insert(value + 5_000);
/// }
/// low.merge(&high)?;
/// assert_eq!(low.len(), 10_000);
/// let bound = low.error_bound();
/// assert_eq!(bound, 209); // 2% of 10,000
/// // 5,000 values are at most 4,999.
/// assert!(low.rank(&4_999).abs_diff(5_000) <= bound);
/// // The median is within the bound of rank 5,000.
/// let median = *low.nth(5_000).ok_or("empty")?;
/// assert!(u64::from(median).abs_diff(5_000) <= bound);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "RawSketch<T>")]
#[serde(bound(serialize = "T: Serialize", deserialize = "T: Deserialize<'de> + Ord"))]
pub struct QuantileSketch<T> {
    capacity: SketchCapacity,
    count: u64,
    levels: Vec<Level<T>>,
}

/// One compactor: values of weight `2^h` at level `h`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Level<T> {
    /// How many times the level was compacted: its parity picks the next offset.
    compactions: u64,
    items: Vec<T>,
}

/// The serde form of [`QuantileSketch`], checked on the way in.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSketch<T> {
    capacity: SketchCapacity,
    count: u64,
    levels: Vec<Level<T>>,
}

impl<T: Ord> TryFrom<RawSketch<T>> for QuantileSketch<T> {
    type Error = SegmentError;

    fn try_from(raw: RawSketch<T>) -> Result<QuantileSketch<T>, SegmentError> {
        let invalid =
            |reason: String| SegmentError::new(SegmentErrorKind::InvalidSketch { reason });
        if raw.levels.len() > 64 {
            return Err(invalid(format!(
                "{} levels: expected at most 64",
                raw.levels.len()
            )));
        }
        let mut weight = 0u64;
        for (height, level) in raw.levels.iter().enumerate() {
            if level.items.len() > raw.capacity.get() as usize {
                return Err(invalid(format!(
                    "level {height} holds {} values: expected at most the capacity, {}",
                    level.items.len(),
                    raw.capacity.get()
                )));
            }
            weight = 1u64
                .checked_shl(height as u32)
                .and_then(|w| w.checked_mul(level.items.len() as u64))
                .and_then(|w| w.checked_add(weight))
                .ok_or_else(|| invalid(format!("the weight of level {height} overflows")))?;
        }
        if weight != raw.count {
            return Err(invalid(format!(
                "the levels weigh {weight}: expected the count, {}",
                raw.count
            )));
        }
        Ok(QuantileSketch {
            capacity: raw.capacity,
            count: raw.count,
            levels: raw.levels,
        })
    }
}

impl<T> QuantileSketch<T> {
    /// An empty sketch keeping `capacity` values per level.
    ///
    /// # Example
    ///
    /// ```
    /// use patronage::segment::{QuantileSketch, SketchCapacity};
    ///
    /// let capacity = SketchCapacity::try_new(8)?;
    /// let mut sketch = QuantileSketch::new(capacity);
    /// assert!(sketch.is_empty());
    /// for value in 0..100u32 {
    ///     sketch.insert(value);
    /// }
    /// assert_eq!((sketch.capacity(), sketch.len()), (capacity, 100));
    /// assert!(!sketch.is_empty() && sketch.retained() < 100);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn new(capacity: SketchCapacity) -> QuantileSketch<T> {
        QuantileSketch {
            capacity,
            count: 0,
            levels: Vec::new(),
        }
    }

    /// The number of values per level.
    ///
    /// # Example
    ///
    /// ```
    /// use patronage::segment::{QuantileSketch, SketchCapacity};
    ///
    /// let capacity = SketchCapacity::try_new(8)?;
    /// let mut sketch = QuantileSketch::new(capacity);
    /// assert!(sketch.is_empty());
    /// for value in 0..100u32 {
    ///     sketch.insert(value);
    /// }
    /// assert_eq!((sketch.capacity(), sketch.len()), (capacity, 100));
    /// assert!(!sketch.is_empty() && sketch.retained() < 100);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn capacity(&self) -> SketchCapacity {
        self.capacity
    }

    /// The number of values summarised (inserted here and in every merged sketch).
    ///
    /// # Example
    ///
    /// ```
    /// use patronage::segment::{QuantileSketch, SketchCapacity};
    ///
    /// let capacity = SketchCapacity::try_new(8)?;
    /// let mut sketch = QuantileSketch::new(capacity);
    /// assert!(sketch.is_empty());
    /// for value in 0..100u32 {
    ///     sketch.insert(value);
    /// }
    /// assert_eq!((sketch.capacity(), sketch.len()), (capacity, 100));
    /// assert!(!sketch.is_empty() && sketch.retained() < 100);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn len(&self) -> u64 {
        self.count
    }

    /// Whether no value was summarised.
    ///
    /// # Example
    ///
    /// ```
    /// use patronage::segment::{QuantileSketch, SketchCapacity};
    ///
    /// let capacity = SketchCapacity::try_new(8)?;
    /// let mut sketch = QuantileSketch::new(capacity);
    /// assert!(sketch.is_empty());
    /// for value in 0..100u32 {
    ///     sketch.insert(value);
    /// }
    /// assert_eq!((sketch.capacity(), sketch.len()), (capacity, 100));
    /// assert!(!sketch.is_empty() && sketch.retained() < 100);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// The number of values the sketch keeps.
    ///
    /// # Example
    ///
    /// ```
    /// use patronage::segment::{QuantileSketch, SketchCapacity};
    ///
    /// let capacity = SketchCapacity::try_new(8)?;
    /// let mut sketch = QuantileSketch::new(capacity);
    /// assert!(sketch.is_empty());
    /// for value in 0..100u32 {
    ///     sketch.insert(value);
    /// }
    /// assert_eq!((sketch.capacity(), sketch.len()), (capacity, 100));
    /// assert!(!sketch.is_empty() && sketch.retained() < 100);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn retained(&self) -> usize {
        self.levels.iter().map(|level| level.items.len()).sum()
    }

    /// The largest difference between an estimated and a true rank, for the values
    /// summarised so far: `Σ_h ⌊(⌊n / 2^h⌋ − 1) / k⌋ · 2^h` (see the type's
    /// `# Error bound`), below `(⌊log2(n / k)⌋ + 1) · n / k`, and 0 while `n ≤ k`.
    ///
    /// # Example
    ///
    /// ```
    /// use patronage::segment::{QuantileSketch, SketchCapacity};
    ///
    /// let mut sketch = QuantileSketch::new(SketchCapacity::try_new(100)?);
    /// for value in 0..100u32 {
    ///     sketch.insert(value);
    /// }
    /// assert_eq!(sketch.error_bound(), 0); // all kept
    /// for value in 100..1_000u32 {
    ///     sketch.insert(value);
    /// }
    /// // ⌊999/100⌋·1 + ⌊499/100⌋·2 + ⌊249/100⌋·4 + ⌊124/100⌋·8
    /// assert_eq!(sketch.error_bound(), 9 + 8 + 8 + 8);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn error_bound(&self) -> u64 {
        let k = u64::from(self.capacity.get());
        let mut bound = 0u64;
        for height in 0..64 {
            let reaching = self.count >> height;
            if reaching <= k {
                break;
            }
            bound = bound.saturating_add(((reaching - 1) / k) << height);
        }
        bound
    }
}

impl<T: Ord + Clone> QuantileSketch<T> {
    /// Adds one value.
    ///
    /// # Example
    ///
    /// ```
    /// use patronage::segment::{QuantileSketch, SketchCapacity};
    ///
    /// let mut sketch = QuantileSketch::new(SketchCapacity::try_new(8)?);
    /// sketch.insert(3u32);
    /// sketch.insert(1);
    /// assert_eq!((sketch.len(), sketch.rank(&2)), (2, 1));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn insert(&mut self, value: T) {
        self.count = self.count.saturating_add(1);
        if self.levels.is_empty() {
            self.levels.push(Level {
                compactions: 0,
                items: Vec::with_capacity(self.capacity.get() as usize + 1),
            });
        }
        if let Some(bottom) = self.levels.first_mut() {
            bottom.items.push(value);
            if bottom.items.len() > self.capacity.get() as usize {
                self.compact_from(0);
            }
        }
    }

    /// Adds another shard's sketch: the levels are added together and compacted, and
    /// the error bound stays that of the merged number of values (see `# Error bound`).
    ///
    /// # Errors
    ///
    /// [`SegmentErrorKind::SketchCapacityMismatch`] for a sketch of another capacity;
    /// `self` is then unchanged.
    ///
    /// # Example
    ///
    /// ```
    /// use patronage::segment::{QuantileSketch, SketchCapacity};
    ///
    /// let mut a = QuantileSketch::new(SketchCapacity::try_new(16)?);
    /// let mut b = QuantileSketch::new(SketchCapacity::try_new(16)?);
    /// (0..100u32).for_each(|v| a.insert(v));
    /// (100..200u32).for_each(|v| b.insert(v));
    /// a.merge(&b)?;
    /// assert_eq!(a.len(), 200);
    /// assert!(a.rank(&99).abs_diff(100) <= a.error_bound());
    ///
    /// let other = QuantileSketch::<u32>::new(SketchCapacity::try_new(32)?);
    /// assert_eq!(
    ///     a.merge(&other).unwrap_err().to_string(),
    ///     "cannot merge a quantile sketch of capacity 32 into one of capacity 16: expected sketches of one capacity",
    /// );
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn merge(&mut self, other: &QuantileSketch<T>) -> Result<(), SegmentError> {
        if other.capacity != self.capacity {
            return Err(SegmentError::new(
                SegmentErrorKind::SketchCapacityMismatch {
                    expected: self.capacity.get(),
                    found: other.capacity.get(),
                },
            ));
        }
        self.count = self.count.saturating_add(other.count);
        for (height, theirs) in other.levels.iter().enumerate() {
            if self.levels.len() <= height {
                self.levels.push(Level {
                    compactions: 0,
                    items: Vec::new(),
                });
            }
            if let Some(mine) = self.levels.get_mut(height) {
                mine.items.extend(theirs.items.iter().cloned());
                mine.compactions = mine.compactions.wrapping_add(theirs.compactions);
            }
        }
        self.compact_from(0);
        Ok(())
    }

    /// The estimated number of summarised values at or below `value`, within
    /// [`error_bound`](QuantileSketch::error_bound) of the true number.
    ///
    /// # Example
    ///
    /// ```
    /// use patronage::segment::{QuantileSketch, SketchCapacity};
    ///
    /// let mut sketch = QuantileSketch::new(SketchCapacity::try_new(32)?);
    /// (0..10_000u32).for_each(|v| sketch.insert(v % 100));
    /// // 2,500 values are at most 24.
    /// assert!(sketch.rank(&24).abs_diff(2_500) <= sketch.error_bound());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn rank(&self, value: &T) -> u64 {
        self.levels
            .iter()
            .enumerate()
            .map(|(height, level)| {
                let below = level.items.iter().filter(|item| *item <= value).count() as u64;
                below << height
            })
            .fold(0u64, u64::saturating_add)
    }

    /// The estimated `index`-th smallest summarised value (0-based): a summarised value
    /// whose true rank is within [`error_bound`](QuantileSketch::error_bound) of
    /// `index`; `None` when `index` is not below [`len`](QuantileSketch::len).
    ///
    /// # Example
    ///
    /// ```
    /// use patronage::segment::{QuantileSketch, SketchCapacity};
    ///
    /// let mut sketch = QuantileSketch::new(SketchCapacity::try_new(8)?);
    /// [5u32, 1, 4].into_iter().for_each(|v| sketch.insert(v));
    /// assert_eq!(sketch.nth(1), Some(&4));
    /// assert_eq!(sketch.nth(3), None);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn nth(&self, index: u64) -> Option<&T> {
        if index >= self.count {
            return None;
        }
        let mut weighted: Vec<(&T, u64)> = self
            .levels
            .iter()
            .enumerate()
            .flat_map(|(height, level)| level.items.iter().map(move |item| (item, 1u64 << height)))
            .collect();
        weighted.sort_by(|a, b| a.0.cmp(b.0));
        let mut below = 0u64;
        for (item, weight) in weighted {
            below = below.saturating_add(weight);
            if index < below {
                return Some(item);
            }
        }
        None
    }

    /// The distinct kept values, ascending, each with its estimated
    /// [`rank`](QuantileSketch::rank) (the number of values at or below it; the last is
    /// [`len`](QuantileSketch::len)): the sketch's whole distribution at once. The rank
    /// of any value is that of the largest kept value at or below it, or 0.
    ///
    /// # Example
    ///
    /// ```
    /// use patronage::segment::{QuantileSketch, SketchCapacity};
    ///
    /// let mut sketch = QuantileSketch::new(SketchCapacity::try_new(8)?);
    /// for value in [3u32, 1, 3, 2] {
    ///     sketch.insert(value);
    /// }
    /// assert_eq!(sketch.cumulative(), vec![(1, 1), (2, 2), (3, 4)]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn cumulative(&self) -> Vec<(T, u64)> {
        let mut weighted: Vec<(&T, u64)> = self
            .levels
            .iter()
            .enumerate()
            .flat_map(|(height, level)| level.items.iter().map(move |item| (item, 1u64 << height)))
            .collect();
        weighted.sort_by(|a, b| a.0.cmp(b.0));
        let mut out: Vec<(T, u64)> = Vec::with_capacity(weighted.len());
        let mut running = 0u64;
        for (item, weight) in weighted {
            running = running.saturating_add(weight);
            match out.last_mut() {
                Some((last, at_most)) if *last == *item => *at_most = running,
                _ => out.push((item.clone(), running)),
            }
        }
        out
    }

    /// Compacts every level from `height` up that holds more than the capacity.
    fn compact_from(&mut self, mut height: usize) {
        let capacity = self.capacity.get() as usize;
        while let Some(level) = self.levels.get_mut(height) {
            if level.items.len() > capacity {
                // Above level 0 the items are a few sorted runs (one per compaction
                // below), which the stable sort merges in linear time.
                level.items.sort();
                // An odd run keeps its largest value here.
                let kept = if level.items.len() % 2 == 1 {
                    level.items.pop()
                } else {
                    None
                };
                let offset = (level.compactions % 2) as usize;
                let promoted: Vec<T> = level.items.drain(..).skip(offset).step_by(2).collect();
                level.items.extend(kept);
                level.compactions = level.compactions.wrapping_add(1);
                match self.levels.get_mut(height + 1) {
                    Some(above) => above.items.extend(promoted),
                    None => self.levels.push(Level {
                        compactions: 0,
                        items: promoted,
                    }),
                }
            }
            height += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn exact_rank(sorted: &[u32], value: u32) -> u64 {
        sorted.partition_point(|&v| v <= value) as u64
    }

    fn check_bound(sketch: &QuantileSketch<u32>, values: &[u32]) -> Result<(), TestCaseError> {
        let mut sorted = values.to_vec();
        sorted.sort_unstable();
        let bound = sketch.error_bound();
        prop_assert_eq!(sketch.len(), values.len() as u64);
        for probe in sorted.iter().copied().step_by(7).chain([0, u32::MAX]) {
            let got = sketch.rank(&probe);
            prop_assert!(
                got.abs_diff(exact_rank(&sorted, probe)) <= bound,
                "{} vs {}",
                got,
                bound
            );
        }
        for index in (0..values.len() as u64).step_by(13) {
            let x = *sketch.nth(index).unwrap();
            let below = sorted.partition_point(|&v| v < x) as u64;
            let at_most = exact_rank(&sorted, x);
            prop_assert!(below <= index + bound && at_most + bound > index);
        }
        let k = u64::from(sketch.capacity().get());
        let n = sketch.len();
        if n > k {
            let levels = u64::from((n / k).ilog2()) + 1;
            prop_assert!(bound <= levels * n / k);
        }
        for level in &sketch.levels {
            prop_assert!(level.items.len() <= k as usize);
        }
        Ok(())
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(48))]

        #[test]
        fn ranks_stay_within_the_bound(
            values in prop::collection::vec(0u32..5_000, 0..6_000),
            capacity in 8u32..80,
        ) {
            let mut sketch = QuantileSketch::new(SketchCapacity::try_new(capacity).unwrap());
            for value in &values {
                sketch.insert(*value);
            }
            check_bound(&sketch, &values)?;
        }

        #[test]
        fn merged_shards_stay_within_the_bound(
            values in prop::collection::vec(any::<u32>(), 0..6_000),
            shards in 1usize..9,
            capacity in 8u32..64,
        ) {
            let capacity = SketchCapacity::try_new(capacity).unwrap();
            let mut parts: Vec<QuantileSketch<u32>> = (0..shards).map(|_| QuantileSketch::new(capacity)).collect();
            for (idx, value) in values.iter().enumerate() {
                parts[idx % shards].insert(*value);
            }
            let mut merged = QuantileSketch::new(capacity);
            for part in &parts {
                merged.merge(part).unwrap();
            }
            check_bound(&merged, &values)?;
            // Same inputs, same sketch.
            let mut again = QuantileSketch::new(capacity);
            for part in &parts {
                again.merge(part).unwrap();
            }
            prop_assert_eq!(&again, &merged);
        }

        #[test]
        fn serde_round_trips(values in prop::collection::vec(any::<u32>(), 0..500)) {
            let mut sketch = QuantileSketch::new(SketchCapacity::try_new(8).unwrap());
            for value in &values {
                sketch.insert(*value);
            }
            let json = serde_json::to_string(&sketch).unwrap();
            let back: QuantileSketch<u32> = serde_json::from_str(&json).unwrap();
            prop_assert_eq!(back, sketch);
        }
    }

    #[test]
    fn cumulative_counts_merge_equal_values() {
        let mut sketch = QuantileSketch::new(SketchCapacity::try_new(8).unwrap());
        for value in [3u32, 1, 3, 2] {
            sketch.insert(value);
        }
        assert_eq!(sketch.cumulative(), vec![(1, 1), (2, 2), (3, 4)]);
        assert!(QuantileSketch::<u32>::new(SketchCapacity::default())
            .cumulative()
            .is_empty());
        assert_eq!(sketch.retained(), 4);
        assert!(!sketch.is_empty());
    }

    #[test]
    fn error_messages() {
        assert_eq!(
            SketchCapacity::try_new(2_000_000).unwrap_err().to_string(),
            "invalid sketch capacity `2000000`: expected from 8 to 1048576 items per level"
        );
        let read = |json: &str| {
            serde_json::from_str::<QuantileSketch<u32>>(json)
                .unwrap_err()
                .to_string()
        };
        assert_eq!(
            read(r#"{"capacity":8,"count":3,"levels":[{"compactions":0,"items":[1,2]}]}"#),
            "invalid quantile sketch: the levels weigh 2: expected the count, 3"
        );
        assert_eq!(
            read(
                r#"{"capacity":8,"count":9,"levels":[{"compactions":0,"items":[1,2,3,4,5,6,7,8,9]}]}"#
            ),
            "invalid quantile sketch: level 0 holds 9 values: expected at most the capacity, 8"
        );
        let deep = format!(
            r#"{{"capacity":8,"count":0,"levels":[{}]}}"#,
            vec![r#"{"compactions":0,"items":[]}"#; 65].join(",")
        );
        assert_eq!(
            read(&deep),
            "invalid quantile sketch: 65 levels: expected at most 64"
        );
        let heavy = format!(
            r#"{{"capacity":8,"count":0,"levels":[{}{{"compactions":0,"items":[1,2]}}]}}"#,
            r#"{"compactions":0,"items":[]},"#.repeat(63)
        );
        assert_eq!(
            read(&heavy),
            "invalid quantile sketch: the weight of level 63 overflows"
        );
        assert!(read(r#"{"capacity":4,"count":0,"levels":[]}"#)
            .starts_with("invalid sketch capacity `4`"));
    }
}
