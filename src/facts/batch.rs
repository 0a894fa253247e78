//! The columnar bulk path: dated events held in columns become a [`FactsTable`]
//! without a hash map, by sorting the events by customer and folding each customer's
//! run in turn.

use chrono::NaiveDate;
use rust_decimal::Decimal;

use crate::customer::CustomerId;
use crate::error::{BatchError, MoneyError, RecordError, RecordErrorKind, RecordRef};
use crate::facts::aggregate::{check_dated_purchase, check_dated_refund, DatedEvent};
use crate::facts::{day_of_date, Clock, FactsOptions, FactsTable, PartialFacts};
use crate::money::{Currency, Money};

impl FactsTable {
    /// The facts table of a batch of dated events held in three columns: row `i` is
    /// an event of customer `customers[i]` on `dates[i]` (a date in the reference
    /// zone) of `amounts[i]`. A positive or zero amount is a purchase, exactly as
    /// [`Aggregator::add_purchase_on`](crate::Aggregator::add_purchase_on); a negative
    /// one is a refund event of its absolute value, exactly as
    /// [`Aggregator::add_refund_on`](crate::Aggregator::add_refund_on). Rows dated
    /// after the `as_of` date are skipped.
    ///
    /// The result equals (`==`) what an [`Aggregator`](crate::Aggregator) fed the same
    /// rows in order, or several fed disjoint shards and merged, gives with
    /// [`Aggregator::into_table`](crate::Aggregator::into_table).
    ///
    /// # Zero amounts
    ///
    /// A zero amount is a purchase of nothing, as a paid order of zero is for SPEC §8
    /// (it counts toward `purchases`, `frequency` and recency). A host whose
    /// convention counts only `amount > 0` as a purchase (pandas / polars RFM scripts
    /// usually do) leaves zero rows out of the columns.
    ///
    /// # Cost
    ///
    /// No hash map and no per-customer [`Facts`](crate::Facts). One pass checks the
    /// rows in input order and finds which id bits vary; one scatter moves each kept
    /// row, as a 32-byte `(customer, amount, day, row)` record, into a part by its top
    /// varying id bits (about 4,096 rows a part, so a part fits in cache), keeping
    /// input order; each part is sorted stably by id in cache with an MSD radix sort
    /// (8-bit digits, digits every id shares skipped); then each customer's run is
    /// folded with the same per-event rule as the aggregator and written straight
    /// into the columns, in customer-id order. Equal ids keep their input order, so a
    /// customer's amounts are added in the aggregator's order. Interaction columns (a
    /// batch of dated events has none) are filled in bulk. Memory beyond the table:
    /// 32 bytes per row, plus a scratch part.
    ///
    /// # Errors
    ///
    /// - [`BatchError::ColumnLength`] when `dates` or `amounts` differ in length from
    ///   `customers`;
    /// - [`BatchError::TooManyRows`] above `u32::MAX` rows;
    /// - [`BatchError::Row`] with [`RecordErrorKind::MixedCurrency`] for the first row
    ///   (in input order) whose currency is not [`FactsOptions::currency`];
    /// - [`BatchError::Row`] with [`RecordErrorKind::Money`] when a customer's total
    ///   overflows: the row whose event overflows, for the first such customer in id
    ///   order (the aggregator reports the first in input order; both reject the
    ///   batch).
    ///
    /// # Example
    ///
    /// ```
    /// use chrono::{NaiveDate, TimeZone, Utc};
    /// use patronage::{Currency, CustomerId, FactsOptions, FactsTable, Money};
    ///
    /// let as_of = Utc.with_ymd_and_hms(2024, 12, 31, 23, 59, 59).single().ok_or("bad date")?;
    /// let options = FactsOptions::new(as_of, Currency::CNY).frequency_window_days(None);
    /// let d = |m, d| NaiveDate::from_ymd_opt(2024, m, d).ok_or("bad date");
    /// let customers = [CustomerId(9), CustomerId(4), CustomerId(9), CustomerId(9)];
    /// let dates = [d(3, 1)?, d(12, 1)?, d(11, 30)?, d(12, 30)?];
    /// let amounts: Vec<Money> = ["80.00 CNY", "15.50 CNY", "20.00 CNY", "-30.00 CNY"]
    ///     .iter()
    ///     .map(|a| a.parse())
    ///     .collect::<Result<_, _>>()?;
    /// let table = FactsTable::from_dated_events(&options, &customers, &dates, &amounts)?;
    /// assert_eq!(table.customer_ids(), &[CustomerId(4), CustomerId(9)]);
    /// assert_eq!(table.frequency(), &[1, 2]);
    /// assert_eq!(table.recency_days(), &[Some(30), Some(31)]); // the refund does not refresh it
    /// assert_eq!(table.monetary()[1].to_string(), "70.00");
    /// assert_eq!(table.refunds(), &[0, 1]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn from_dated_events(
        options: &FactsOptions,
        customers: &[CustomerId],
        dates: &[NaiveDate],
        amounts: &[Money],
    ) -> Result<FactsTable, BatchError> {
        let n_rows = customers.len();
        for (column, found) in [("dates", dates.len()), ("amounts", amounts.len())] {
            if found != n_rows {
                return Err(BatchError::ColumnLength {
                    column,
                    expected: n_rows,
                    found,
                });
            }
        }
        let max = u32::MAX as usize;
        if n_rows > max {
            return Err(BatchError::TooManyRows { max, found: n_rows });
        }
        let clock = Clock::new(options);
        let kept = |date: &NaiveDate| day_of_date(*date) <= clock.as_of_day;
        // Pass 1, in input order: every row's checks; which id bits vary.
        let mut first_id = None;
        let mut varying = 0_u64;
        for (row, ((customer, date), amount)) in
            customers.iter().zip(dates).zip(amounts).enumerate()
        {
            let checked = match classify(*customer, *date, *amount) {
                Classified::Purchase(record) => {
                    check_dated_purchase(record, *amount, options.currency)
                }
                Classified::Refund(record, refunded) => {
                    check_dated_refund(record, refunded, options.currency)
                }
            };
            checked.map_err(|error| BatchError::Row {
                row,
                error: Box::new(error),
            })?;
            if kept(date) {
                varying |= customer.0 ^ *first_id.get_or_insert(customer.0);
            }
        }
        // Pass 2 and 3: partition the kept rows by their top varying id bits, in input
        // order, into `events` (one memory-bound scatter, carrying the amounts along).
        let top_bits = u64::BITS - varying.leading_zeros();
        let width = top_bits.min(partition_bits(n_rows));
        let shift = top_bits - width;
        let bucket_of = |customer: CustomerId| bucket(customer.0, shift, width);
        let mut starts = vec![0_usize; (1_usize << width) + 1];
        for (customer, _) in customers.iter().zip(dates).filter(|(_, date)| kept(date)) {
            if let Some(count) = starts.get_mut(bucket_of(*customer) + 1) {
                *count += 1;
            }
        }
        let mut total = 0;
        for start in &mut starts {
            total += *start;
            *start = total;
        }
        let mut events = vec![EventRecord::default(); total];
        let mut next = starts.clone();
        for (row, ((customer, date), amount)) in
            customers.iter().zip(dates).zip(amounts).enumerate()
        {
            let day = day_of_date(*date);
            if day > clock.as_of_day {
                continue;
            }
            // `row < n_rows <= u32::MAX`, checked above.
            let Ok(row) = u32::try_from(row) else {
                continue;
            };
            if let Some(slot) = next.get_mut(bucket_of(*customer)) {
                if let Some(out) = events.get_mut(*slot) {
                    *out = EventRecord {
                        customer: customer.0,
                        amount: amount.amount,
                        day,
                        row,
                    };
                }
                *slot += 1;
            }
        }
        // Each bucket fits in cache: sort it there, stably, on the remaining bits.
        let largest = starts
            .windows(2)
            .map(|pair| match pair {
                [a, b] => b - a,
                _ => 0,
            })
            .max()
            .unwrap_or(0);
        let mut scratch = vec![EventRecord::default(); largest];
        for pair in starts.windows(2) {
            if let [a, b] = pair {
                if let (Some(bucket), Some(scratch)) =
                    (events.get_mut(*a..*b), scratch.get_mut(..b - a))
                {
                    msd_sort(bucket, scratch, shift);
                }
            }
        }
        drop(scratch);
        let n_customers = events
            .windows(2)
            .filter(|pair| matches!(pair, [a, b] if a.customer != b.customer))
            .count()
            + usize::from(!events.is_empty());
        let mut table = FactsTable::with_core_capacity(options.currency, n_customers);
        let window_days = options.frequency_window_days;
        for run in events.chunk_by(|a, b| a.customer == b.customer) {
            let mut partial = PartialFacts::default();
            for event in run {
                let dated = if event.amount.is_sign_negative() && !event.amount.is_zero() {
                    DatedEvent::Refund {
                        // Negating a `Decimal` flips its sign bit: it cannot overflow.
                        amount: -event.amount,
                    }
                } else {
                    DatedEvent::Purchase {
                        day: event.day,
                        amount: event.amount,
                    }
                };
                partial
                    .apply_dated(dated, clock, window_days)
                    .map_err(|e| overflow(event, dates, amounts, options.currency, e))?;
            }
            if let Some(first) = run.first() {
                table.push_partial(CustomerId(first.customer), &partial, clock, options);
            }
        }
        table.fill_interactions(std::iter::empty());
        Ok(table)
    }
}

/// What the columnar path sorts: a kept row's customer, amount, day number and index
/// (32 bytes).
#[derive(Clone, Copy, Debug, Default)]
struct EventRecord {
    customer: u64,
    amount: Decimal,
    day: i32,
    row: u32,
}

/// The error of a row whose event overflows its customer's totals.
#[cold]
fn overflow(
    event: &EventRecord,
    dates: &[NaiveDate],
    amounts: &[Money],
    currency: Currency,
    error: MoneyError,
) -> BatchError {
    let row = event.row as usize;
    let date = dates.get(row).copied().unwrap_or(NaiveDate::MIN);
    let amount = amounts
        .get(row)
        .copied()
        .unwrap_or(Money::new(event.amount, currency));
    let (Classified::Purchase(record) | Classified::Refund(record, _)) =
        classify(CustomerId(event.customer), date, amount);
    BatchError::Row {
        row,
        error: Box::new(RecordError::new(
            record,
            "amount",
            RecordErrorKind::Money(error),
        )),
    }
}

/// A stable insertion sort by customer id, for short runs.
fn insertion_sort(events: &mut [EventRecord]) {
    for end in 1..events.len() {
        let mut at = end;
        while let (Some(before), Some(event)) = (at.checked_sub(1), events.get(at)) {
            match events.get(before) {
                Some(previous) if previous.customer > event.customer => {
                    events.swap(before, at);
                    at = before;
                }
                _ => break,
            }
        }
    }
}

/// The number of id bits the first partition uses: about 4,096 rows per bucket
/// (128 KiB of records, which an L2 cache holds), at most 12 bits.
fn partition_bits(n_rows: usize) -> u32 {
    (usize::BITS - (n_rows / 4_096).leading_zeros()).min(12)
}

/// The `width`-bit digit of `id` starting at bit `shift`.
#[inline]
fn bucket(id: u64, shift: u32, width: u32) -> usize {
    let mask = (1_u64 << width) - 1;
    // `width <= 12`: the masked digit fits any `usize`.
    (id.checked_shr(shift).unwrap_or(0) & mask) as usize
}

/// Sorts `events` stably by customer id, knowing that they agree on every id bit at
/// or above `bits_left`: a most-significant-digit radix sort with 8-bit digits
/// through `scratch` (as long as `events`), skipping digits every event shares, and
/// the standard library's stable sort for short runs.
fn msd_sort(events: &mut [EventRecord], scratch: &mut [EventRecord], bits_left: u32) {
    const SHORT: usize = 48;
    if bits_left == 0 {
        return;
    }
    if events.len() <= SHORT {
        insertion_sort(events);
        return;
    }
    let n = events.len();
    let mut bits_left = bits_left;
    let mut counts = [0_usize; 257];
    let (shift, width) = loop {
        let width = bits_left.min(8);
        let shift = bits_left - width;
        counts.fill(0);
        for event in events.iter() {
            if let Some(count) = counts.get_mut(bucket(event.customer, shift, width) + 1) {
                *count += 1;
            }
        }
        if !counts.contains(&n) {
            break (shift, width);
        }
        if shift == 0 {
            return;
        }
        bits_left = shift;
    };
    let mut total = 0;
    for count in &mut counts {
        total += *count;
        *count = total;
    }
    let mut next = counts;
    for event in events.iter() {
        if let Some(slot) = next.get_mut(bucket(event.customer, shift, width)) {
            if let Some(out) = scratch.get_mut(*slot) {
                *out = *event;
            }
            *slot += 1;
        }
    }
    if let Some(sorted) = scratch.get(..n) {
        events.copy_from_slice(sorted);
    }
    for pair in counts.windows(2) {
        if let [a, b] = pair {
            if let (Some(part), Some(scratch)) = (events.get_mut(*a..*b), scratch.get_mut(*a..*b)) {
                if b - a > 1 {
                    msd_sort(part, scratch, shift);
                }
            }
        }
    }
}

/// A row read as the aggregator's calls read it: a purchase (`amount ≥ 0`) or a
/// refund of the absolute value.
enum Classified {
    Purchase(RecordRef),
    Refund(RecordRef, Money),
}

/// Whether a row is a refund: a negative amount (a negative zero is a zero).
#[inline]
fn is_refund(amount: Money) -> bool {
    amount.amount.is_sign_negative() && !amount.amount.is_zero()
}

#[inline]
fn classify(customer: CustomerId, date: NaiveDate, amount: Money) -> Classified {
    if is_refund(amount) {
        let refunded = Money {
            // Negating a `Decimal` flips its sign bit: it cannot overflow.
            amount: -amount.amount,
            currency: amount.currency,
        };
        Classified::Refund(RecordRef::DatedRefund { customer, date }, refunded)
    } else {
        Classified::Purchase(RecordRef::DatedPurchase { customer, date })
    }
}

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

    #[test]
    fn too_many_rows_message() {
        let err = BatchError::TooManyRows {
            max: u32::MAX as usize,
            found: 1 << 33,
        };
        assert_eq!(
            err.to_string(),
            "expected at most 4294967295 rows in one batch, found 8589934592; split the customers into shards and build one table per shard"
        );
        assert_eq!((err.row(), err.record_error()), (None, None));
    }
}
