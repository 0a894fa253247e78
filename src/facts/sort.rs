//! The stable LSD radix sort by a `u64` key that the facts paths share.

const DIGIT_BITS: u32 = 11;
const BUCKETS: usize = 1 << DIGIT_BITS;
const PASSES: u32 = 64_u32.div_ceil(DIGIT_BITS);
/// Below this many items a comparison sort beats the radix sort's fixed cost.
const SMALL: usize = 512;

/// Sorts `items` by a `u64` key, stably: an LSD radix sort with 11-bit digits (six
/// passes at most; a pass whose digit is the same for every key is skipped, so small
/// or clustered ids cost fewer passes).
///
/// # Why
///
/// [`Aggregator::into_table`](crate::Aggregator::into_table) sorts one 16-byte
/// `(id, reference)` pair per customer: a comparison sort of millions of them costs
/// about `n log n` mispredicted comparisons, the radix sort reads and scatters each
/// pair a fixed number of times, sequentially.
pub(crate) fn radix_sort_by_key<T: Copy>(items: Vec<T>, key: impl Fn(&T) -> u64) -> Vec<T> {
    let n = items.len();
    if n < SMALL {
        let mut items = items;
        items.sort_by_key(|item| key(item));
        return items;
    }
    let mut histograms = vec![[0usize; BUCKETS]; PASSES as usize];
    for item in &items {
        let k = key(item);
        for (pass, histogram) in (0..PASSES).zip(histograms.iter_mut()) {
            if let Some(count) = histogram.get_mut(digit(k, pass)) {
                *count += 1;
            }
        }
    }
    let mut src = items;
    let mut dst = src.clone();
    for (pass, histogram) in (0..PASSES).zip(&histograms) {
        if histogram.contains(&n) {
            continue;
        }
        let mut next = [0usize; BUCKETS];
        let mut total = 0;
        for (slot, count) in next.iter_mut().zip(histogram) {
            *slot = total;
            total += count;
        }
        for item in &src {
            if let Some(slot) = next.get_mut(digit(key(item), pass)) {
                if let Some(out) = dst.get_mut(*slot) {
                    *out = *item;
                }
                *slot += 1;
            }
        }
        std::mem::swap(&mut src, &mut dst);
    }
    src
}

#[inline]
fn digit(key: u64, pass: u32) -> usize {
    // The mask keeps 11 bits: the cast cannot truncate them.
    ((key >> (pass * DIGIT_BITS)) as usize) & (BUCKETS - 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn radix_sort_is_a_stable_sort() {
        let mut state = 7_u64;
        let mut next = || {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            state
        };
        for (n, spread) in [
            (0, 1),
            (5, 3),
            (600, u64::MAX),
            (5_000, 1 << 20),
            (5_000, 7),
        ] {
            let items: Vec<(u64, usize)> =
                (0..n).map(|idx| (next() % spread.max(1), idx)).collect();
            let mut expected = items.clone();
            expected.sort_by_key(|item| item.0);
            assert_eq!(
                radix_sort_by_key(items, |item| item.0),
                expected,
                "{n} {spread}"
            );
        }
        let edges: Vec<(u64, usize)> = [u64::MAX, 0, 1 << 63, u64::MAX, 0]
            .into_iter()
            .cycle()
            .take(1_000)
            .enumerate()
            .map(|(idx, k)| (k, idx))
            .collect();
        let mut expected = edges.clone();
        expected.sort_by_key(|item| item.0);
        assert_eq!(radix_sort_by_key(edges, |item| item.0), expected);
    }
}
