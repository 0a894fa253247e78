//! The columnar bulk path: dated events held in columns become a [`FactsTable`]
//! without a hash map, by sorting the events by customer and folding each customer's
//! run in turn.

use std::num::NonZeroUsize;
use std::ops::Range;

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::customer::CustomerId;
use crate::customer::{RecordError, RecordErrorKind, RecordRef};
use crate::facts::partial::{check_dated_purchase, check_dated_refund, DatedEvent};
use crate::facts::BatchError;
use crate::facts::{day_of_date, Clock, FactsOptions, FactsTable, PartialFacts};
use crate::money::MoneyError;
use crate::money::{Currency, Money};
use crate::parallel::{row_chunks, run_each};

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
    /// let options = FactsOptions::new(as_of, Currency::CNY).with_frequency_window_days(None);
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
        FactsTable::from_dated_events_with(
            options,
            &BatchOptions::default(),
            customers,
            dates,
            amounts,
        )
    }

    /// [`FactsTable::from_dated_events`] run as `batch` says, on up to
    /// [`BatchOptions::threads`] threads.
    ///
    /// The result, and the error, are the same (`==`) for every thread count: see
    /// [`BatchOptions`] for how the work is split and why the threads are opt-in.
    ///
    /// # Errors
    ///
    /// Exactly those of [`FactsTable::from_dated_events`], whatever the thread count:
    /// a row check reports the first failing row in input order, an overflow the
    /// first overflowing customer in id order.
    ///
    /// # Example
    ///
    /// ```
    /// use std::num::NonZeroUsize;
    /// use chrono::{NaiveDate, TimeZone, Utc};
    /// use patronage::{BatchOptions, Currency, CustomerId, FactsOptions, FactsTable, Money};
    ///
    /// let as_of = Utc.with_ymd_and_hms(2024, 12, 31, 23, 59, 59).single().ok_or("bad date")?;
    /// let options = FactsOptions::new(as_of, Currency::CNY);
    /// let day = NaiveDate::from_ymd_opt(2024, 12, 1).ok_or("bad date")?;
    /// let customers: Vec<CustomerId> = (0..10_000_u64).map(|i| CustomerId(i % 997)).collect();
    /// let dates = vec![day; customers.len()];
    /// let amounts = vec![Money::new(rust_decimal::Decimal::new(1_250, 2), Currency::CNY); customers.len()];
    /// let two = BatchOptions::default().with_threads(NonZeroUsize::new(2).ok_or("zero")?);
    /// let table = FactsTable::from_dated_events_with(&options, &two, &customers, &dates, &amounts)?;
    /// assert_eq!(table, FactsTable::from_dated_events(&options, &customers, &dates, &amounts)?);
    /// assert_eq!(table.len(), 997);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn from_dated_events_with(
        options: &FactsOptions,
        batch: &BatchOptions,
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
        let columns = Columns {
            options,
            clock: Clock::new(options),
            customers,
            dates,
            amounts,
        };
        let threads = batch.threads.get();
        // Contiguous row chunks in input order, one a thread.
        let chunks = row_chunks(n_rows, threads);

        // Pass 1, in input order: every row's checks; which id bits vary. The chunks
        // are in input order, so the first chunk with an error holds the first failing
        // row.
        let mut first_id = None;
        let mut varying = 0_u64;
        for scanned in run_each(chunks.clone(), |rows| columns.scan(rows)) {
            let (first, bits) = scanned?;
            if let Some(first) = first {
                varying |= bits | (first ^ *first_id.get_or_insert(first));
            }
        }

        // Pass 2: each chunk counts its kept rows per part (the top varying id bits).
        let top_bits = u64::BITS - varying.leading_zeros();
        let width = top_bits.min(partition_bits(n_rows));
        let shift = top_bits - width;
        let n_parts = 1_usize << width;
        let counts = run_each(chunks.clone(), |rows| {
            columns.count_parts(rows, n_parts, shift, width)
        });
        // Part `p` is `events[starts[p]..starts[p + 1]]`; inside it, each chunk's rows
        // in chunk order, so in input order.
        let mut starts = Vec::with_capacity(n_parts + 1);
        let mut total = 0_usize;
        for part in 0..n_parts {
            starts.push(total);
            for chunk_counts in &counts {
                total += chunk_counts.get(part).copied().unwrap_or(0);
            }
        }
        starts.push(total);

        // Pass 3: each chunk scatters its kept rows into its own region of each part.
        let mut events = vec![EventRecord::default(); total];
        let mut regions: Vec<Vec<&mut [EventRecord]>> = (0..chunks.len())
            .map(|_| Vec::with_capacity(n_parts))
            .collect();
        let mut rest: &mut [EventRecord] = &mut events;
        for part in 0..n_parts {
            for (chunk_regions, chunk_counts) in regions.iter_mut().zip(&counts) {
                let len = chunk_counts
                    .get(part)
                    .copied()
                    .ok_or(BatchError::Inconsistent {
                        stage: "counting the rows of each part",
                    })?;
                let (region, tail) = std::mem::take(&mut rest).split_at_mut_checked(len).ok_or(
                    BatchError::Inconsistent {
                        stage: "scattering the rows into their parts",
                    },
                )?;
                chunk_regions.push(region);
                rest = tail;
            }
        }
        drop(counts);
        run_each(
            chunks.into_iter().zip(regions).collect(),
            |(rows, regions)| {
                columns.scatter(rows, regions, shift, width);
            },
        );

        // Consecutive parts make one group a thread, about as many rows each; the
        // groups cover increasing id ranges. Each group sorts its parts in cache.
        let n_groups = threads.min(n_parts);
        let mut bounds = vec![0_usize];
        for group in 1..n_groups {
            let target = (total / n_groups).saturating_mul(group);
            let previous = bounds.last().copied().unwrap_or(0);
            bounds.push(
                starts
                    .partition_point(|start| *start < target)
                    .clamp(previous, n_parts),
            );
        }
        bounds.push(n_parts);
        let mut groups = Vec::with_capacity(n_groups);
        let mut rest: &mut [EventRecord] = &mut events;
        for pair in bounds.windows(2) {
            let grouping = BatchError::Inconsistent {
                stage: "grouping the parts for the threads",
            };
            let [low, high] = pair else {
                return Err(grouping);
            };
            let part_starts = starts.get(*low..=*high).ok_or_else(|| grouping.clone())?;
            let (Some(&first), Some(&last)) = (part_starts.first(), part_starts.last()) else {
                return Err(grouping);
            };
            let (group, tail) = std::mem::take(&mut rest)
                .split_at_mut_checked(last - first)
                .ok_or(grouping)?;
            rest = tail;
            let parts: Vec<usize> = part_starts.iter().map(|start| start - first).collect();
            groups.push((group, parts));
        }
        let sizes = run_each(groups, |(group, parts)| {
            sort_parts(group, &parts, shift);
            group.len()
        });

        // Fold each customer's run, in id order: the first group straight into the
        // table on this thread, the others into lists pushed after it, in order.
        let mut offsets = Vec::with_capacity(sizes.len());
        let mut offset = 0;
        for size in sizes {
            offsets.push(offset..offset + size);
            offset += size;
        }
        let mut offsets = offsets.into_iter();
        let first = match offsets.next() {
            Some(range) => events.get(range).ok_or(BatchError::Inconsistent {
                stage: "folding the sorted parts",
            })?,
            None => &[],
        };
        let rest: Vec<&[EventRecord]> = offsets.filter_map(|range| events.get(range)).collect();
        let n_customers = customer_count(first)
            + rest
                .iter()
                .map(|group| customer_count(group))
                .sum::<usize>();
        let mut table = FactsTable::with_core_capacity(*options, n_customers);
        std::thread::scope(|scope| {
            let handles: Vec<_> = rest
                .into_iter()
                .map(|group| {
                    scope.spawn(move || {
                        let mut folded = Vec::with_capacity(customer_count(group));
                        columns
                            .fold_runs(group, |customer, partial| folded.push((customer, partial)))
                            .map(|()| folded)
                    })
                })
                .collect();
            let mut outcome = columns.fold_runs(first, |customer, partial| {
                table.push_partial(customer, &partial, columns.clock, options);
            });
            for handle in handles {
                let folded = handle
                    .join()
                    .unwrap_or_else(|p| std::panic::resume_unwind(p));
                match (&outcome, folded) {
                    (Ok(()), Ok(folded)) => {
                        for (customer, partial) in folded {
                            table.push_partial(customer, &partial, columns.clock, options);
                        }
                    }
                    (Ok(()), Err(error)) => outcome = Err(error),
                    (Err(_), _) => {}
                }
            }
            outcome
        })?;
        table.fill_interactions(std::iter::empty());
        Ok(table)
    }
}

/// How [`FactsTable::from_dated_events_with`] runs the bulk path. The default is what
/// [`FactsTable::from_dated_events`] does: one thread, the caller's.
///
/// # Why threads are opt-in
///
/// A library does not know what else its host runs: a web server already busy on
/// every core, a job scheduler that grants a process a fixed number of cores, a
/// notebook that runs several shards side by side. So the crate starts no thread
/// unless asked, keeps no pool, reads no environment variable, and asks for no
/// dependency: the host says how many threads one call may use, and the call runs
/// them with [`std::thread::scope`] and joins them before it returns.
///
/// # Results do not depend on the count
///
/// The table (and the error) is the same (`==`) for every thread count. The rows are
/// checked in contiguous chunks, in input order, and the first chunk with a failing
/// row reports it; each chunk scatters its rows into its own region of each part, in
/// input order, so a part holds its rows in input order whatever the chunking; parts
/// cover disjoint, increasing id ranges, so consecutive parts are sorted and folded
/// per thread and the folds are appended in id order. A customer's amounts are thus
/// added in input order, exactly as on one thread.
///
/// # Cost
///
/// Checking, scattering, sorting and folding run in parallel; pushing the folded
/// customers of all but the first group into the table runs on the caller's thread
/// after them. Below a few thousand rows a second thread does not pay for itself:
/// each chunk gets at least 1,024 rows, and a batch under 4,096 rows is one part.
///
/// # Example
///
/// ```
/// use std::num::NonZeroUsize;
/// use patronage::BatchOptions;
///
/// let batch = BatchOptions::default();
/// assert_eq!(batch.threads().get(), 1);
/// let batch: BatchOptions = serde_json::from_str(r#"{"threads": 2}"#)?;
/// assert_eq!(batch, BatchOptions::default().with_threads(NonZeroUsize::new(2).ok_or("zero")?));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
#[non_exhaustive]
pub struct BatchOptions {
    threads: NonZeroUsize,
}

impl Default for BatchOptions {
    fn default() -> BatchOptions {
        BatchOptions {
            threads: NonZeroUsize::MIN,
        }
    }
}

impl BatchOptions {
    /// These options with at most `threads` threads a call, the caller's included.
    #[must_use]
    pub fn with_threads(self, threads: NonZeroUsize) -> BatchOptions {
        BatchOptions { threads, ..self }
    }

    /// The most threads one call uses, the caller's included (default 1).
    pub fn threads(&self) -> NonZeroUsize {
        self.threads
    }
}

/// The number of customers (runs of equal ids) in sorted events.
fn customer_count(events: &[EventRecord]) -> usize {
    events
        .windows(2)
        .filter(|pair| matches!(pair, [a, b] if a.customer != b.customer))
        .count()
        + usize::from(!events.is_empty())
}

/// Sorts each part of `events` (`parts` holds their starts and the end) stably by id.
fn sort_parts(events: &mut [EventRecord], parts: &[usize], shift: u32) {
    let largest = parts
        .windows(2)
        .map(|pair| match pair {
            [a, b] => b - a,
            _ => 0,
        })
        .max()
        .unwrap_or(0);
    let mut scratch = vec![EventRecord::default(); largest];
    for pair in parts.windows(2) {
        if let [a, b] = pair {
            if let (Some(part), Some(scratch)) = (events.get_mut(*a..*b), scratch.get_mut(..b - a))
            {
                msd_sort(part, scratch, shift);
            }
        }
    }
}

/// The input columns and what every pass needs to read them.
#[derive(Clone, Copy)]
struct Columns<'a> {
    options: &'a FactsOptions,
    clock: Clock,
    customers: &'a [CustomerId],
    dates: &'a [NaiveDate],
    amounts: &'a [Money],
}

impl Columns<'_> {
    /// Checks `rows` in order: the first failing row's error, or the first kept id
    /// and the id bits where the kept ids differ from it.
    fn scan(&self, rows: Range<usize>) -> Result<(Option<u64>, u64), BatchError> {
        let base = rows.start;
        let mut first_id = None;
        let mut varying = 0_u64;
        let (Some(customers), Some(dates), Some(amounts)) = (
            self.customers.get(rows.clone()),
            self.dates.get(rows.clone()),
            self.amounts.get(rows),
        ) else {
            return Ok((None, 0));
        };
        let currency = self.options.currency();
        for (offset, ((customer, date), amount)) in
            customers.iter().zip(dates).zip(amounts).enumerate()
        {
            let checked = match classify(*customer, *date, *amount) {
                Classified::Purchase(record) => check_dated_purchase(record, *amount, currency),
                Classified::Refund(record, refunded) => {
                    check_dated_refund(record, refunded, currency)
                }
            };
            checked.map_err(|error| BatchError::Row {
                row: base + offset,
                error: Box::new(error),
            })?;
            if day_of_date(*date) <= self.clock.as_of_day {
                varying |= customer.0 ^ *first_id.get_or_insert(customer.0);
            }
        }
        Ok((first_id, varying))
    }

    /// How many kept rows of `rows` fall in each of the `n_parts` parts.
    fn count_parts(
        &self,
        rows: Range<usize>,
        n_parts: usize,
        shift: u32,
        width: u32,
    ) -> Vec<usize> {
        let mut counts = vec![0_usize; n_parts];
        let (Some(customers), Some(dates)) =
            (self.customers.get(rows.clone()), self.dates.get(rows))
        else {
            return counts;
        };
        for (customer, date) in customers.iter().zip(dates) {
            if day_of_date(*date) <= self.clock.as_of_day {
                if let Some(count) = counts.get_mut(bucket(customer.0, shift, width)) {
                    *count += 1;
                }
            }
        }
        counts
    }

    /// Moves the kept rows of `rows`, in order, into `regions` (one a part, each
    /// exactly as long as the chunk's count for it).
    fn scatter(
        &self,
        rows: Range<usize>,
        mut regions: Vec<&mut [EventRecord]>,
        shift: u32,
        width: u32,
    ) {
        let base = rows.start;
        let (Some(customers), Some(dates), Some(amounts)) = (
            self.customers.get(rows.clone()),
            self.dates.get(rows.clone()),
            self.amounts.get(rows),
        ) else {
            return;
        };
        for (offset, ((customer, date), amount)) in
            customers.iter().zip(dates).zip(amounts).enumerate()
        {
            let day = day_of_date(*date);
            if day > self.clock.as_of_day {
                continue;
            }
            // `row < n_rows <= u32::MAX`, checked above.
            let Ok(row) = u32::try_from(base + offset) else {
                continue;
            };
            if let Some(region) = regions.get_mut(bucket(customer.0, shift, width)) {
                if let Some((out, tail)) = std::mem::take(region).split_first_mut() {
                    *out = EventRecord {
                        customer: customer.0,
                        amount: amount.amount,
                        day,
                        row,
                    };
                    *region = tail;
                }
            }
        }
    }

    /// Folds each customer's run of sorted `events` in order and hands it to `sink`;
    /// the first overflowing event's error stops the fold.
    fn fold_runs(
        &self,
        events: &[EventRecord],
        mut sink: impl FnMut(CustomerId, PartialFacts),
    ) -> Result<(), BatchError> {
        let window_days = self.options.frequency_window_days();
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
                    .apply_dated(dated, self.clock, window_days)
                    .map_err(|e| {
                        overflow(event, self.dates, self.amounts, self.options.currency(), e)
                    })?;
            }
            if let Some(first) = run.first() {
                sink(CustomerId(first.customer), partial);
            }
        }
        Ok(())
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

#[cfg(test)]
mod tests {
    use super::*;

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

    #[test]
    fn inconsistency_message() {
        // Not reachable from input: the part counts and bounds are computed from the
        // same rows they later split; the variant turns a bug into an error, not a loss.
        let err = BatchError::Inconsistent {
            stage: "folding the sorted parts",
        };
        assert_eq!(
            err.to_string(),
            "the bulk facts path lost count of its rows while folding the sorted parts: expected every kept row in exactly one part; this is a bug in patronage, please report it with the batch's size"
        );
        assert_eq!(err.row(), None);
    }
}
