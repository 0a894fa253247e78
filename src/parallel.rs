//! The one way the crate splits work across threads, for the opt-in parallel paths
//! ([`BatchOptions::threads`](crate::BatchOptions::threads),
//! [`Segmenter::threads`](crate::Segmenter::threads)).
//!
//! Work is cut into contiguous row ranges in input order and run on scoped threads (the
//! first on the caller's), and the results come back in range order, so a result never
//! depends on the thread count. The crate keeps no pool and starts no thread unless a
//! host asks for more than one.

use std::ops::Range;

/// The fewest rows one thread gets: below this a second thread costs more than it saves.
pub(crate) const MIN_ROWS_PER_THREAD: usize = 1_024;

/// Contiguous ranges covering `0..n_rows` in order, at most `threads` of them and each
/// (but a lone one) at least [`MIN_ROWS_PER_THREAD`] rows long.
pub(crate) fn row_chunks(n_rows: usize, threads: usize) -> Vec<Range<usize>> {
    let n_chunks = threads.min(n_rows / MIN_ROWS_PER_THREAD).max(1);
    let step = n_rows.div_ceil(n_chunks).max(1);
    (0..n_chunks)
        .map(|chunk| {
            let start = chunk.saturating_mul(step).min(n_rows);
            start..start.saturating_add(step).min(n_rows)
        })
        .collect()
}

/// Runs `work` on each item, the first on the caller's thread and the others on scoped
/// threads, and returns the results in item order.
///
/// A panic in a worker is resumed on the caller's thread (library code does not panic
/// on input, so this only carries a bug through, as a single thread would).
pub(crate) fn run_each<I: Send, R: Send>(items: Vec<I>, work: impl Fn(I) -> R + Sync) -> Vec<R> {
    let mut items = items.into_iter();
    let Some(first) = items.next() else {
        return Vec::new();
    };
    if items.len() == 0 {
        return vec![work(first)];
    }
    std::thread::scope(|scope| {
        let work = &work;
        let handles: Vec<_> = items.map(|item| scope.spawn(move || work(item))).collect();
        let mut results = Vec::with_capacity(handles.len() + 1);
        results.push(work(first));
        for handle in handles {
            results.push(
                handle
                    .join()
                    .unwrap_or_else(|payload| std::panic::resume_unwind(payload)),
            );
        }
        results
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunks_cover_the_rows_in_order() {
        for (n_rows, threads) in [(0, 4), (10, 4), (5_000, 2), (5_000, 3), (1_024 * 3, 8)] {
            let chunks = row_chunks(n_rows, threads);
            assert!(!chunks.is_empty() && chunks.len() <= threads.max(1));
            let mut next = 0;
            for chunk in &chunks {
                assert_eq!(chunk.start, next);
                next = chunk.end;
            }
            assert_eq!(next, n_rows);
        }
        assert_eq!(row_chunks(5_000, 2), vec![0..2_500, 2_500..5_000]);
        assert_eq!(row_chunks(1_000, 8), vec![0..1_000]);
    }

    #[test]
    fn results_come_back_in_item_order() {
        let squares = run_each((0..7_u64).collect(), |x| x * x);
        assert_eq!(squares, vec![0, 1, 4, 9, 16, 25, 36]);
        assert!(run_each(Vec::<u8>::new(), |x| x).is_empty());
    }
}
