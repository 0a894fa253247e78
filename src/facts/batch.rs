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
use crate::facts::table::DayDates;
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
    /// No hash map, no per-customer allocation and no `Decimal` arithmetic per row.
    /// One pass checks the rows in input order, finds which id bits vary, the largest
    /// scale of the amounts and the earliest day; a second counts the kept rows per
    /// part; a scatter moves each kept row, as a record with the amount as an integer
    /// at the batch's scale, into a part by its top varying id bits (about 4,096 rows
    /// a part, so a part fits in cache), keeping input order; each part is sorted
    /// stably by id in cache with an MSD radix sort (8-bit digits, digits every id
    /// shares skipped); then each customer's run is summed in integers (checked; a
    /// run whose total leaves the 64-bit range is folded again exactly in `Decimal`
    /// with the aggregator's per-event rule) and written into the columns, in
    /// customer-id order. The exact `Decimal` totals keep the largest scale of the
    /// amounts they sum, as `Decimal` addition does.
    ///
    /// A record takes 16 bytes when every amount has the batch's scale and is below
    /// 2³⁹ units of it (5.4 × 10⁹ `CNY`) and the days span less than 2²⁴ (the usual
    /// case); 24 bytes with a 64-bit amount and its own scale; 32 bytes carrying the
    /// `Decimal` itself for amounts beyond one 64-bit scale. Memory beyond the table:
    /// one record per kept row, plus a scratch part.
    ///
    /// [`FactsTable::from_dated_minor_units`] skips the `Decimal` columns altogether.
    ///
    /// # Errors
    ///
    /// - [`BatchError::ColumnLength`] when `dates` or `amounts` differ in length from
    ///   `customers`;
    /// - [`BatchError::TooManyRows`] above `u32::MAX` rows;
    /// - [`BatchError::Row`] with [`RecordErrorKind::MixedCurrency`] for the first row
    ///   (in input order) whose currency is not [`FactsOptions::currency`];
    /// - [`BatchError::Row`] with [`RecordErrorKind::Money`] when a customer's total
    ///   overflows a `Decimal`: the row whose event overflows, for the first such
    ///   customer in id order (the aggregator reports the first in input order, and so
    ///   does this call for amounts beyond one 64-bit scale; both reject the batch).
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
        let minor = options.currency().minor_units().map_or(0, u32::from);
        let columns = Columns::new(options, customers, dates, amounts, minor)?;
        let chunks = row_chunks(customers.len(), batch.threads.get());
        let scan = columns.scan_all(&chunks)?;
        columns.build_with(*batch, &chunks, &scan)
    }

    /// The facts table of a batch of dated events whose amounts are integers in the
    /// minor unit of the options' currency (cents for `USD`, fen for `CNY`, yen for
    /// `JPY`; see [`Currency::minor_units`]): `amounts[i] = 19_900` is `199.00 CNY`.
    /// Otherwise exactly [`FactsTable::from_dated_events`]: a zero or positive amount
    /// is a purchase, a negative one a refund of its absolute value, rows after the
    /// `as_of` date are skipped, and the result equals (`==`) the table of the same
    /// rows given as [`Money`]. Every amount column of the result has the currency's
    /// scale (`199.00`, never `199`).
    ///
    /// This is the fastest way in: integers need no parsing into [`Decimal`], take 8
    /// bytes a row instead of [`Money`]'s 20, and sum in one machine instruction
    /// (checked; a customer whose total leaves the 64-bit range is summed again
    /// exactly in [`Decimal`]). A host reading a CSV file or a database column of
    /// cents converts each amount once, at the edge.
    ///
    /// # Errors
    ///
    /// - [`BatchError::ColumnLength`] and [`BatchError::TooManyRows`] as
    ///   [`FactsTable::from_dated_events`];
    /// - [`BatchError::NoMinorUnits`] when the currency has no minor unit (gold, `XAU`);
    /// - [`BatchError::Row`] with [`RecordErrorKind::Money`] when a customer's total
    ///   overflows a [`Decimal`]: the row whose event overflows, for the first such
    ///   customer in id order.
    ///
    /// # Example
    ///
    /// ```
    /// use chrono::{NaiveDate, TimeZone, Utc};
    /// use patronage::{Currency, CustomerId, FactsOptions, FactsTable};
    ///
    /// let as_of = Utc.with_ymd_and_hms(2024, 12, 31, 23, 59, 59).single().ok_or("bad date")?;
    /// let options = FactsOptions::new(as_of, Currency::CNY).with_frequency_window_days(None);
    /// let d = |m, d| NaiveDate::from_ymd_opt(2024, m, d).ok_or("bad date");
    /// let customers = [CustomerId(9), CustomerId(4), CustomerId(9), CustomerId(9)];
    /// let dates = [d(3, 1)?, d(12, 1)?, d(11, 30)?, d(12, 30)?];
    /// let fen = [8_000, 1_550, 2_000, -3_000]; // 80.00, 15.50, 20.00 CNY and a refund of 30.00
    /// let table = FactsTable::from_dated_minor_units(&options, &customers, &dates, &fen)?;
    /// assert_eq!(table.customer_ids(), &[CustomerId(4), CustomerId(9)]);
    /// assert_eq!(table.frequency(), &[1, 2]);
    /// assert_eq!(table.monetary()[1].to_string(), "70.00");
    /// assert_eq!(table.refunded()[1].to_string(), "30.00");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn from_dated_minor_units(
        options: &FactsOptions,
        customers: &[CustomerId],
        dates: &[NaiveDate],
        amounts: &[i64],
    ) -> Result<FactsTable, BatchError> {
        FactsTable::from_dated_minor_units_with(
            options,
            &BatchOptions::default(),
            customers,
            dates,
            amounts,
        )
    }

    /// [`FactsTable::from_dated_minor_units`] run as `batch` says, on up to
    /// [`BatchOptions::threads`] threads; the result (and the error) is the same for
    /// every thread count.
    ///
    /// # Errors
    ///
    /// Exactly those of [`FactsTable::from_dated_minor_units`].
    ///
    /// # Example
    ///
    /// ```
    /// use std::num::NonZeroUsize;
    /// use chrono::{NaiveDate, TimeZone, Utc};
    /// use patronage::{BatchOptions, Currency, CustomerId, FactsOptions, FactsTable};
    ///
    /// let as_of = Utc.with_ymd_and_hms(2024, 12, 31, 23, 59, 59).single().ok_or("bad date")?;
    /// let options = FactsOptions::new(as_of, Currency::USD);
    /// let day = NaiveDate::from_ymd_opt(2024, 12, 1).ok_or("bad date")?;
    /// let customers: Vec<CustomerId> = (0..10_000_u64).map(|i| CustomerId(i % 997)).collect();
    /// let dates = vec![day; customers.len()];
    /// let cents = vec![1_250_i64; customers.len()];
    /// let two = BatchOptions::default().with_threads(NonZeroUsize::new(2).ok_or("zero")?);
    /// let table = FactsTable::from_dated_minor_units_with(&options, &two, &customers, &dates, &cents)?;
    /// assert_eq!(table, FactsTable::from_dated_minor_units(&options, &customers, &dates, &cents)?);
    /// assert_eq!(table.monetary()[0].to_string(), "137.50"); // 11 purchases of 12.50
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn from_dated_minor_units_with(
        options: &FactsOptions,
        batch: &BatchOptions,
        customers: &[CustomerId],
        dates: &[NaiveDate],
        amounts: &[i64],
    ) -> Result<FactsTable, BatchError> {
        let currency = options.currency();
        let minor = currency
            .minor_units()
            .ok_or(BatchError::NoMinorUnits { currency })?;
        let columns = Columns::new(options, customers, dates, amounts, u32::from(minor))?;
        let chunks = row_chunks(customers.len(), batch.threads.get());
        let scan = columns.scan_all(&chunks)?;
        columns.build_with(*batch, &chunks, &scan)
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

/// One amount of an input column, as the bulk path reads it: [`Money`] (checked for
/// sign and currency, any scale) or an integer of minor units.
trait Amount: Copy + Send + Sync {
    /// Checks the row's amount as the aggregator's dated calls do.
    fn check(
        self,
        customer: CustomerId,
        date: NaiveDate,
        currency: Currency,
    ) -> Result<(), RecordError>;
    /// The amount's scale (digits after the point; `minor` for integers of minor
    /// units) and its absolute mantissa.
    fn scale_and_magnitude(self, minor: u32) -> (u32, u128);
    /// The amount as an integer at `scale` (at least its own scale), or `None` when
    /// it does not fit an `i64` there (the scan checks first that every amount fits).
    fn at_scale(self, scale: u32) -> Option<i64>;
    /// The amount as money, for messages.
    fn money(self, currency: Currency, minor: u32) -> Option<Money>;
    /// The amount as a `Decimal`; `own` is its scale (an integer's minor units).
    fn decimal(self, own: u32) -> Option<Decimal>;
}

impl Amount for Money {
    #[inline]
    fn check(
        self,
        customer: CustomerId,
        date: NaiveDate,
        currency: Currency,
    ) -> Result<(), RecordError> {
        match classify(customer, date, self) {
            Classified::Purchase(record) => check_dated_purchase(record, self, currency),
            Classified::Refund(record, refunded) => check_dated_refund(record, refunded, currency),
        }
    }

    #[inline]
    fn scale_and_magnitude(self, _minor: u32) -> (u32, u128) {
        (self.amount.scale(), self.amount.mantissa().unsigned_abs())
    }

    #[inline]
    fn at_scale(self, scale: u32) -> Option<i64> {
        let up = scale.checked_sub(self.amount.scale())?;
        let power = POWERS_OF_TEN.get(up as usize)?;
        i64::try_from(self.amount.mantissa().checked_mul(i128::from(*power))?).ok()
    }

    fn money(self, _currency: Currency, _minor: u32) -> Option<Money> {
        Some(self)
    }

    fn decimal(self, _own: u32) -> Option<Decimal> {
        Some(self.amount)
    }
}

impl Amount for i64 {
    #[inline]
    fn check(self, _: CustomerId, _: NaiveDate, _: Currency) -> Result<(), RecordError> {
        Ok(())
    }

    #[inline]
    fn scale_and_magnitude(self, minor: u32) -> (u32, u128) {
        (minor, u128::from(self.unsigned_abs()))
    }

    #[inline]
    fn at_scale(self, _scale: u32) -> Option<i64> {
        Some(self)
    }

    fn money(self, currency: Currency, minor: u32) -> Option<Money> {
        Some(Money::new(Decimal::try_new(self, minor).ok()?, currency))
    }

    fn decimal(self, own: u32) -> Option<Decimal> {
        Decimal::try_new(self, own).ok()
    }
}

/// `10^k` for `k ≤ 18` (every power an `i64` holds).
const POWERS_OF_TEN: [i64; 19] = [
    1,
    10,
    100,
    1_000,
    10_000,
    100_000,
    1_000_000,
    10_000_000,
    100_000_000,
    1_000_000_000,
    10_000_000_000,
    100_000_000_000,
    1_000_000_000_000,
    10_000_000_000_000,
    100_000_000_000_000,
    1_000_000_000_000_000,
    10_000_000_000_000_000,
    100_000_000_000_000_000,
    1_000_000_000_000_000_000,
];

/// The largest absolute mantissa seen at each scale (a `Decimal` has at most 28).
#[derive(Clone, Copy, Debug)]
struct Magnitudes([u128; 29]);

impl Magnitudes {
    fn new() -> Magnitudes {
        Magnitudes([0; 29])
    }

    #[inline]
    fn note(&mut self, scale: u32, magnitude: u128) {
        if let Some(largest) = self.0.get_mut(scale as usize) {
            *largest = (*largest).max(magnitude);
        }
    }

    fn merge(&mut self, other: &Magnitudes) {
        for (mine, theirs) in self.0.iter_mut().zip(other.0) {
            *mine = (*mine).max(theirs);
        }
    }

    /// The largest scale seen (0 when nothing was seen).
    fn scale(&self) -> u32 {
        self.0.iter().rposition(|m| *m > 0).map_or(0, |s| s as u32)
    }

    /// Whether every amount seen has scale `scale` and a magnitude below `2^bits`.
    fn all_at_below(&self, scale: u32, bits: u32) -> bool {
        self.0.iter().enumerate().all(|(own, largest)| {
            *largest == 0 || (own as u32 == scale && *largest < (1_u128 << bits))
        })
    }

    /// Whether every amount seen fits an `i64` at `scale`, and so does its
    /// negation, with room for the scale's power of ten.
    fn fit_i64(&self, scale: u32) -> bool {
        self.0.iter().enumerate().all(|(own, largest)| {
            *largest == 0
                || POWERS_OF_TEN
                    .get(scale.saturating_sub(own as u32) as usize)
                    .and_then(|p| largest.checked_mul(*p as u128))
                    .is_some_and(|v| v <= i64::MAX as u128)
        })
    }
}

/// What the first pass learns: the kept ids' varying bits, the kept rows, the batch
/// scale.
#[derive(Clone, Copy, Debug)]
struct Scan {
    /// The id bits where kept ids differ.
    varying: u64,
    /// Whether some row is dated after `as_of` (and is skipped).
    skips: bool,
    /// The scale every amount is read at.
    scale: u32,
    magnitudes: Magnitudes,
    /// The earliest kept day (`i32::MAX` when nothing is kept).
    min_day: i32,
}

/// The input columns and what every pass needs to read them.
#[derive(Clone, Copy)]
struct Columns<'a, A> {
    options: &'a FactsOptions,
    clock: Clock,
    customers: &'a [CustomerId],
    dates: &'a [NaiveDate],
    amounts: &'a [A],
    /// The currency's minor units (0 when it has none).
    minor: u32,
}

impl<'a, A: Amount> Columns<'a, A> {
    fn new(
        options: &'a FactsOptions,
        customers: &'a [CustomerId],
        dates: &'a [NaiveDate],
        amounts: &'a [A],
        minor: u32,
    ) -> Result<Self, BatchError> {
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
        Ok(Columns {
            options,
            clock: Clock::new(options),
            customers,
            dates,
            amounts,
            minor,
        })
    }

    /// Pass 1 over every chunk, in input order: every row's checks, the kept ids'
    /// varying bits, the scale. The chunks are in input order, so the first chunk with
    /// an error holds the first failing row.
    fn scan_all(&self, chunks: &[Range<usize>]) -> Result<Scan, BatchError> {
        let mut first_id = None;
        let mut scan = Scan {
            varying: 0,
            skips: false,
            scale: 0,
            magnitudes: Magnitudes::new(),
            min_day: i32::MAX,
        };
        for scanned in run_each(chunks.to_vec(), |rows| self.scan(rows)) {
            let (first, chunk) = scanned?;
            if let Some(first) = first {
                scan.varying |= chunk.varying | (first ^ *first_id.get_or_insert(first));
            }
            scan.skips |= chunk.skips;
            scan.magnitudes.merge(&chunk.magnitudes);
            scan.min_day = scan.min_day.min(chunk.min_day);
        }
        scan.scale = scan.magnitudes.scale().max(self.minor.min(28));
        Ok(scan)
    }

    /// Checks `rows` in order: the first failing row's error, or the first kept id
    /// and what the chunk's rows say.
    fn scan(&self, rows: Range<usize>) -> Result<(Option<u64>, Scan), BatchError> {
        let base = rows.start;
        let mut first_id = None;
        let mut scan = Scan {
            varying: 0,
            skips: false,
            scale: 0,
            magnitudes: Magnitudes::new(),
            min_day: i32::MAX,
        };
        let (Some(customers), Some(dates), Some(amounts)) = (
            self.customers.get(rows.clone()),
            self.dates.get(rows.clone()),
            self.amounts.get(rows),
        ) else {
            return Ok((None, scan));
        };
        let currency = self.options.currency();
        for (offset, ((customer, date), amount)) in
            customers.iter().zip(dates).zip(amounts).enumerate()
        {
            amount
                .check(*customer, *date, currency)
                .map_err(|error| BatchError::Row {
                    row: base + offset,
                    error: Box::new(error),
                })?;
            let day = day_of_date(*date);
            if day <= self.clock.as_of_day {
                scan.min_day = scan.min_day.min(day);
                scan.varying |= customer.0 ^ *first_id.get_or_insert(customer.0);
                let (scale, magnitude) = amount.scale_and_magnitude(self.minor);
                scan.magnitudes.note(scale, magnitude);
            } else {
                scan.skips = true;
            }
        }
        Ok((first_id, scan))
    }

    /// Whether row `day` is kept (not after `as_of`).
    #[inline]
    fn kept(&self, date: NaiveDate) -> Option<i32> {
        let day = day_of_date(date);
        (day <= self.clock.as_of_day).then_some(day)
    }

    /// How many kept rows of `rows` fall in each of the `n_parts` parts.
    fn count_parts(&self, rows: Range<usize>, split: Split, skips: bool) -> Vec<usize> {
        let mut counts = vec![0_usize; split.parts()];
        let (Some(customers), Some(dates)) =
            (self.customers.get(rows.clone()), self.dates.get(rows))
        else {
            return counts;
        };
        if skips {
            for (customer, date) in customers.iter().zip(dates) {
                if self.kept(*date).is_some() {
                    if let Some(count) = counts.get_mut(split.part(customer.0)) {
                        *count += 1;
                    }
                }
            }
        } else {
            for customer in customers {
                if let Some(count) = counts.get_mut(split.part(customer.0)) {
                    *count += 1;
                }
            }
        }
        counts
    }

    /// Moves the kept rows of `rows`, in order, into `regions` (one a part, each
    /// exactly as long as the chunk's count for it); `false` when a row could not be
    /// placed (a bookkeeping error).
    fn scatter<R: Record>(
        &self,
        rows: Range<usize>,
        mut regions: Vec<&mut [R]>,
        split: Split,
        layout: Layout,
    ) -> bool {
        let (Some(customers), Some(dates), Some(amounts)) = (
            self.customers.get(rows.clone()),
            self.dates.get(rows.clone()),
            self.amounts.get(rows),
        ) else {
            return false;
        };
        for ((customer, date), amount) in customers.iter().zip(dates).zip(amounts) {
            let Some(day) = self.kept(*date) else {
                continue;
            };
            let (own_scale, _) = amount.scale_and_magnitude(self.minor);
            let (Some(region), Some(record)) = (
                regions.get_mut(split.part(customer.0)),
                R::new(customer.0, *amount, day, own_scale, layout),
            ) else {
                return false;
            };
            let Some((out, tail)) = std::mem::take(region).split_first_mut() else {
                return false;
            };
            *out = record;
            *region = tail;
        }
        true
    }

    /// The bulk path with the smallest record that holds the batch: 16 bytes when
    /// every amount has the batch's scale and fits 40 bits and the days span less
    /// than 2²⁴; 24 bytes with a 64-bit amount; else the `Decimal` itself.
    fn build_with(
        &self,
        batch: BatchOptions,
        chunks: &[Range<usize>],
        scan: &Scan,
    ) -> Result<FactsTable, BatchError> {
        let as_of_day = self.clock.as_of_day;
        let layout = Layout {
            scale: scan.scale,
            as_of_day,
        };
        let span = i64::from(as_of_day) - i64::from(scan.min_day.min(as_of_day));
        if scan
            .magnitudes
            .all_at_below(scan.scale, PACKED_AMOUNT_BITS - 1)
            && span < (1_i64 << PACKED_AGE_BITS)
        {
            self.build::<Packed>(batch, chunks, scan, layout)
        } else if scan.magnitudes.fit_i64(scan.scale) {
            self.build::<Wide<i64>>(batch, chunks, scan, layout)
        } else {
            // Amounts too large for one 64-bit scale are carried and summed as they
            // are, in `Decimal`.
            self.build::<Wide<Decimal>>(batch, chunks, scan, layout)
        }
    }

    /// Passes 2 to 5: count the kept rows per part, scatter them, sort each part by
    /// id, fold each customer's run into the columns.
    fn build<R: Record>(
        &self,
        batch: BatchOptions,
        chunks: &[Range<usize>],
        scan: &Scan,
        layout: Layout,
    ) -> Result<FactsTable, BatchError> {
        let threads = batch.threads.get();
        let n_rows = self.customers.len();
        let split = Split::new(scan.varying, n_rows);
        let n_parts = split.parts();
        let counts = run_each(chunks.to_vec(), |rows| {
            self.count_parts(rows, split, scan.skips)
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

        // Consecutive parts make one group a thread, about as many rows each; the
        // groups cover increasing id ranges. Each group's records are an allocation of
        // their own, which its thread frees once it has folded them.
        let grouping = BatchError::Inconsistent {
            stage: "grouping the parts for the threads",
        };
        let bounds = group_bounds(&starts, threads.min(n_parts), total);
        let mut groups: Vec<(Vec<R>, Vec<usize>)> = Vec::with_capacity(bounds.len());
        for pair in bounds.windows(2) {
            let [low, high] = pair else {
                return Err(grouping);
            };
            let part_starts = starts.get(*low..=*high).ok_or_else(|| grouping.clone())?;
            let (Some(&first), Some(&last)) = (part_starts.first(), part_starts.last()) else {
                return Err(grouping);
            };
            let relative = part_starts.iter().map(|start| start - first).collect();
            groups.push((vec![R::default(); last - first], relative));
        }

        // Each chunk scatters its kept rows into its own region of each part.
        let mut regions: Vec<Vec<&mut [R]>> = (0..chunks.len())
            .map(|_| Vec::with_capacity(n_parts))
            .collect();
        for ((events, _), pair) in groups.iter_mut().zip(bounds.windows(2)) {
            let [low, high] = pair else {
                return Err(grouping);
            };
            let mut rest: &mut [R] = events;
            for part in *low..*high {
                for (chunk_regions, chunk_counts) in regions.iter_mut().zip(&counts) {
                    let len = chunk_counts
                        .get(part)
                        .copied()
                        .ok_or(BatchError::Inconsistent {
                            stage: "counting the rows of each part",
                        })?;
                    let (region, tail) = std::mem::take(&mut rest)
                        .split_at_mut_checked(len)
                        .ok_or(BatchError::Inconsistent {
                            stage: "scattering the rows into their parts",
                        })?;
                    chunk_regions.push(region);
                    rest = tail;
                }
            }
        }
        drop(counts);
        let placed = run_each(
            chunks.iter().cloned().zip(regions).collect(),
            |(rows, regions)| self.scatter(rows, regions, split, layout),
        );
        if placed.contains(&false) {
            return Err(BatchError::Inconsistent {
                stage: "scattering the rows into their parts",
            });
        }

        // Each group sorts its parts in cache and folds its customers into its own
        // columns (and frees its records, beside the other groups' work); the groups'
        // columns are then appended in order.
        let folded = run_each(groups, |(mut events, parts)| {
            let customers = sort_parts(&mut events, &parts, split.shift);
            let mut table = FactsTable::with_core_capacity(*self.options, customers);
            let folded = self.fold_runs(&events, layout, &mut table).map(|()| table);
            drop(events);
            folded
        });
        let mut folded = folded.into_iter();
        let mut table = match folded.next() {
            Some(first) => first?,
            None => FactsTable::new(*self.options),
        };
        let rest: Vec<FactsTable> = folded.collect::<Result<_, _>>()?;
        table.append_core(&rest);
        Ok(table)
    }

    /// Folds each customer's run of sorted `events` in order into `table`; the first
    /// customer whose totals overflow stops the fold with its overflowing row.
    fn fold_runs<R: Record>(
        &self,
        events: &[R],
        layout: Layout,
        table: &mut FactsTable,
    ) -> Result<(), BatchError> {
        let window_days = self.options.frequency_window_days();
        let window_start = window_days.map(|w| i64::from(self.clock.as_of_day) - i64::from(w));
        let dates = DayDates::for_rows(self.clock.as_of_day, events.len());
        for run in events.chunk_by(|a, b| a.customer() == b.customer()) {
            let Some(first) = run.first() else {
                continue;
            };
            let customer = CustomerId(first.customer());
            let partial = match fold_integers(run, layout, window_start) {
                Some(partial) => partial,
                None => self.fold_decimals(run, layout)?,
            };
            table.push_partial(customer, &partial, self.clock, &dates);
        }
        Ok(())
    }

    /// A run whose integer totals overflow, folded again exactly in `Decimal` with
    /// the aggregator's per-event rule: its facts, or the overflowing row's error.
    #[cold]
    fn fold_decimals<R: Record>(
        &self,
        run: &[R],
        layout: Layout,
    ) -> Result<PartialFacts, BatchError> {
        let window_days = self.options.frequency_window_days();
        let mut partial = PartialFacts::default();
        for (index, event) in run.iter().enumerate() {
            let amount = event.original(layout).ok_or(BatchError::Inconsistent {
                stage: "folding a customer's amounts again exactly",
            })?;
            let dated = if event.is_refund() {
                // Negating a `Decimal` flips its sign bit: it cannot overflow.
                DatedEvent::Refund { amount: -amount }
            } else {
                DatedEvent::Purchase {
                    day: event.day(layout),
                    amount,
                }
            };
            if let Err(error) = partial.apply_dated(dated, self.clock, window_days) {
                return Err(self.overflow(event.customer(), index, error));
            }
        }
        Ok(partial)
    }

    /// The error of the `index`-th kept event (in input order) of `customer`, whose
    /// event overflows the customer's totals.
    #[cold]
    fn overflow(&self, customer: u64, index: usize, error: MoneyError) -> BatchError {
        let currency = self.options.currency();
        let found = self
            .customers
            .iter()
            .zip(self.dates)
            .zip(self.amounts)
            .enumerate()
            .filter(|(_, ((id, date), _))| id.0 == customer && self.kept(**date).is_some())
            .nth(index);
        let Some((row, ((id, date), money))) = found.and_then(|(row, ((id, date), amount))| {
            Some((row, ((id, date), amount.money(currency, self.minor)?)))
        }) else {
            return BatchError::Inconsistent {
                stage: "finding the row of an overflowing amount",
            };
        };
        let (Classified::Purchase(record) | Classified::Refund(record, _)) =
            classify(*id, *date, money);
        BatchError::Row {
            row,
            error: Box::new(RecordError::new(
                record,
                "amount",
                RecordErrorKind::Money(error),
            )),
        }
    }
}

/// One customer's run of sorted events folded in integers at the batch's scale, or
/// `None` when a record holds no integer or a total leaves the `i64` range.
/// `window_start` is the last day *before* the frequency window (`None`: all time).
#[inline]
fn fold_integers<R: Record>(
    run: &[R],
    layout: Layout,
    window_start: Option<i64>,
) -> Option<PartialFacts> {
    let mut monetary = 0_i64;
    let mut refunded = 0_i64;
    let mut monetary_scale = 0_u8;
    let mut refunded_scale = 0_u8;
    let mut purchases = 0_u32;
    let mut in_window = 0_u32;
    let mut refunds = 0_u32;
    let mut first_day = i32::MAX;
    let mut last_day = i32::MIN;
    for event in run {
        let amount = event.integer()?;
        let own = event.own_scale(layout);
        monetary = monetary.checked_add(amount)?;
        monetary_scale = monetary_scale.max(own);
        if amount < 0 {
            refunded = refunded.checked_sub(amount)?;
            refunded_scale = refunded_scale.max(own);
            refunds = refunds.saturating_add(1);
        } else {
            let day = event.day(layout);
            purchases = purchases.saturating_add(1);
            in_window = in_window.saturating_add(u32::from(
                window_start.map_or(true, |start| i64::from(day) > start),
            ));
            first_day = first_day.min(day);
            last_day = last_day.max(day);
        }
    }
    Some(PartialFacts {
        registered_day: None,
        first_purchase_day: (purchases > 0).then_some(first_day),
        last_purchase_day: (purchases > 0).then_some(last_day),
        purchases,
        in_window,
        refunds,
        cancelled: 0,
        monetary: decimal_at(monetary, layout.scale, monetary_scale)?,
        refunded: decimal_at(refunded, layout.scale, refunded_scale)?,
        interactions: None,
    })
}

/// The exact `Decimal` of `value` (an integer at `scale`) written at `own` (≤ `scale`),
/// the largest scale of the amounts it sums, as `Decimal` addition keeps it.
#[inline]
fn decimal_at(value: i64, scale: u32, own: u8) -> Option<Decimal> {
    let down = scale.checked_sub(u32::from(own))?;
    if down == 0 {
        // The common case (every amount at the batch's scale): no division.
        return Decimal::try_from_i128_with_scale(i128::from(value), scale).ok();
    }
    let power = *POWERS_OF_TEN.get(down as usize)?;
    // The amounts were scaled up by at least `power`, so the sum divides exactly.
    if value % power != 0 {
        return None;
    }
    Decimal::try_from_i128_with_scale(i128::from(value / power), u32::from(own)).ok()
}

/// How the scatter splits ids into parts: the `width` id bits from `shift` up, the
/// top varying ones.
#[derive(Clone, Copy, Debug)]
struct Split {
    shift: u32,
    width: u32,
}

impl Split {
    fn new(varying: u64, n_rows: usize) -> Split {
        let top_bits = u64::BITS - varying.leading_zeros();
        let width = top_bits.min(partition_bits(n_rows));
        Split {
            shift: top_bits - width,
            width,
        }
    }

    fn parts(self) -> usize {
        1_usize << self.width
    }

    #[inline]
    fn part(self, id: u64) -> usize {
        bucket(id, self.shift, self.width)
    }
}

/// Splits the parts into `n_groups` runs of consecutive parts of about as many rows
/// each: the first part of each group, and the number of parts at the end.
fn group_bounds(starts: &[usize], n_groups: usize, total: usize) -> Vec<usize> {
    let n_parts = starts.len().saturating_sub(1);
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
    bounds
}

/// Sorts each part of `events` (`parts` holds their starts and the end) stably by
/// id, and counts the customers (runs of equal ids) while the part is in cache.
fn sort_parts<R: Record>(events: &mut [R], parts: &[usize], shift: u32) -> usize {
    let largest = parts
        .windows(2)
        .map(|pair| match pair {
            [a, b] => b - a,
            _ => 0,
        })
        .max()
        .unwrap_or(0);
    let mut scratch = vec![R::default(); largest];
    let mut customers = 0;
    for pair in parts.windows(2) {
        if let [a, b] = pair {
            if let (Some(part), Some(scratch)) = (events.get_mut(*a..*b), scratch.get_mut(..b - a))
            {
                msd_sort(part, scratch, shift);
                customers += part.chunk_by(|x, y| x.customer() == y.customer()).count();
            }
        }
    }
    customers
}

/// How the records of one batch read: its scale and its `as_of` day.
#[derive(Clone, Copy, Debug)]
struct Layout {
    /// The scale every integer amount is at.
    scale: u32,
    /// The `as_of` day number.
    as_of_day: i32,
}

/// What the columnar path sorts: one kept row, keyed by its customer id.
trait Record: Copy + Default + Send + Sync {
    /// The record of a kept row (`own_scale`: its amount's scale), or `None` when
    /// the amount does not fit the record (the scan checks first that all do).
    fn new<A: Amount>(
        customer: u64,
        amount: A,
        day: i32,
        own_scale: u32,
        layout: Layout,
    ) -> Option<Self>;
    /// The customer id.
    fn customer(&self) -> u64;
    /// The day number.
    fn day(&self, layout: Layout) -> i32;
    /// The amount as an integer at the batch's scale, if the record holds one.
    fn integer(&self) -> Option<i64>;
    /// The amount's own scale.
    fn own_scale(&self, layout: Layout) -> u8;
    /// Whether the row is a refund (a negative amount).
    fn is_refund(&self) -> bool;
    /// The amount exactly as it came in.
    fn original(&self, layout: Layout) -> Option<Decimal>;
}

/// The 16-byte record of a batch whose amounts all have its scale and fit 40 bits
/// (±5.4 × 10¹¹ units of the scale) and whose days span less than 2²⁴: `[customer,
/// packed]` with the amount in the top 40 bits of `packed` and the days before
/// `as_of` in the low 24. A plain array, so that a vector of them is allocated
/// zeroed by the system (no zero-filling pass; each thread's scatter touches its own
/// pages first).
type Packed = [u64; 2];

/// The bits of a packed record's amount.
const PACKED_AMOUNT_BITS: u32 = 40;
/// The bits of a packed record's age in days.
const PACKED_AGE_BITS: u32 = 24;

impl Record for Packed {
    #[inline]
    fn new<A: Amount>(
        customer: u64,
        amount: A,
        day: i32,
        _own: u32,
        layout: Layout,
    ) -> Option<Packed> {
        let amount = amount.at_scale(layout.scale)?;
        let age = u64::try_from(i64::from(layout.as_of_day) - i64::from(day)).ok()?;
        let limit = 1_i64 << (PACKED_AMOUNT_BITS - 1);
        if !(-limit..limit).contains(&amount) || age >= 1 << PACKED_AGE_BITS {
            return None;
        }
        Some([customer, ((amount as u64) << PACKED_AGE_BITS) | age])
    }

    #[inline]
    fn customer(&self) -> u64 {
        self[0]
    }

    #[inline]
    fn day(&self, layout: Layout) -> i32 {
        // The age is below 2^24.
        layout.as_of_day - (self[1] & ((1 << PACKED_AGE_BITS) - 1)) as i32
    }

    #[inline]
    fn integer(&self) -> Option<i64> {
        // An arithmetic shift restores the amount's sign.
        Some((self[1] as i64) >> PACKED_AGE_BITS)
    }

    #[inline]
    fn own_scale(&self, layout: Layout) -> u8 {
        layout.scale as u8
    }

    #[inline]
    fn is_refund(&self) -> bool {
        (self[1] as i64) < 0
    }

    fn original(&self, layout: Layout) -> Option<Decimal> {
        Decimal::try_from_i128_with_scale(i128::from(self.integer()?), layout.scale).ok()
    }
}

/// The 24- or 32-byte record: a 64-bit amount at the batch's scale (`V = i64`) or the
/// `Decimal` itself, the day and the amount's own scale.
#[derive(Clone, Copy, Debug, Default)]
struct Wide<V> {
    customer: u64,
    amount: V,
    day: i32,
    scale: u8,
}

impl Record for Wide<i64> {
    #[inline]
    fn new<A: Amount>(
        customer: u64,
        amount: A,
        day: i32,
        own: u32,
        layout: Layout,
    ) -> Option<Self> {
        Some(Wide {
            customer,
            amount: amount.at_scale(layout.scale)?,
            day,
            scale: u8::try_from(own).ok()?,
        })
    }

    #[inline]
    fn customer(&self) -> u64 {
        self.customer
    }

    #[inline]
    fn day(&self, _layout: Layout) -> i32 {
        self.day
    }

    #[inline]
    fn integer(&self) -> Option<i64> {
        Some(self.amount)
    }

    #[inline]
    fn own_scale(&self, _layout: Layout) -> u8 {
        self.scale
    }

    #[inline]
    fn is_refund(&self) -> bool {
        self.amount < 0
    }

    fn original(&self, layout: Layout) -> Option<Decimal> {
        let down = layout.scale.checked_sub(u32::from(self.scale))?;
        let power = *POWERS_OF_TEN.get(down as usize)?;
        Decimal::try_from_i128_with_scale(i128::from(self.amount / power), u32::from(self.scale))
            .ok()
    }
}

impl Record for Wide<Decimal> {
    #[inline]
    fn new<A: Amount>(
        customer: u64,
        amount: A,
        day: i32,
        own: u32,
        _layout: Layout,
    ) -> Option<Self> {
        Some(Wide {
            customer,
            amount: amount.decimal(own)?,
            day,
            scale: u8::try_from(own).ok()?,
        })
    }

    #[inline]
    fn customer(&self) -> u64 {
        self.customer
    }

    #[inline]
    fn day(&self, _layout: Layout) -> i32 {
        self.day
    }

    fn integer(&self) -> Option<i64> {
        None
    }

    fn own_scale(&self, _layout: Layout) -> u8 {
        self.scale
    }

    fn is_refund(&self) -> bool {
        is_refund(self.amount)
    }

    fn original(&self, _layout: Layout) -> Option<Decimal> {
        Some(self.amount)
    }
}

/// A stable insertion sort by customer id, for short runs.
fn insertion_sort<R: Record>(events: &mut [R]) {
    for end in 1..events.len() {
        let mut at = end;
        while let (Some(before), Some(event)) = (at.checked_sub(1), events.get(at)) {
            match events.get(before) {
                Some(previous) if previous.customer() > event.customer() => {
                    events.swap(before, at);
                    at = before;
                }
                _ => break,
            }
        }
    }
}

/// The number of id bits the first partition uses: about 4,096 rows per bucket, at
/// most 10 bits. At 10 million rows that is about 10,000 rows a part (160 KiB of
/// 16-byte records, which a core's L2 cache holds for the in-part sort), and the
/// scatter writes to at most 1,024 parts at a time, whose pages a core's TLB still
/// holds: at 12 bits (4,096 parts) the scatter took a third longer.
fn partition_bits(n_rows: usize) -> u32 {
    (usize::BITS - (n_rows / 4_096).leading_zeros()).min(10)
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
fn msd_sort<R: Record>(events: &mut [R], scratch: &mut [R], bits_left: u32) {
    const SHORT: usize = 48;
    if bits_left == 0 {
        return;
    }
    if events.len() <= SHORT {
        insertion_sort(events);
        return;
    }
    let n = events.len();
    // A batch has at most `u32::MAX` rows, so `u32` counts (which keep the two count
    // arrays at 8 KiB each, in the L1 cache) cannot overflow.
    let Ok(n32) = u32::try_from(n) else {
        insertion_sort(events);
        return;
    };
    // Wide enough that a part of a few thousand rows falls into buckets of one or
    // two: 8 to 11 bits.
    let digit = (usize::BITS - n.leading_zeros()).clamp(8, 11);
    let mut bits_left = bits_left;
    let mut counts = [0_u32; 2049];
    let (shift, width) = loop {
        let width = bits_left.min(digit);
        let shift = bits_left - width;
        let Some(used) = counts.get_mut(..=(1_usize << width)) else {
            // Not reached (`width` is at most 11); still a correct sort.
            insertion_sort(events);
            return;
        };
        used.fill(0);
        for event in events.iter() {
            if let Some(count) = used.get_mut(bucket(event.customer(), shift, width) + 1) {
                *count += 1;
            }
        }
        if !used.contains(&n32) {
            break (shift, width);
        }
        if shift == 0 {
            return;
        }
        bits_left = shift;
    };
    let Some(counts) = counts.get_mut(..=(1_usize << width)) else {
        insertion_sort(events);
        return;
    };
    let mut total = 0;
    for count in counts.iter_mut() {
        total += *count;
        *count = total;
    }
    let mut next = [0_u32; 2049];
    if let Some(next) = next.get_mut(..counts.len()) {
        next.copy_from_slice(counts);
    }
    for event in events.iter() {
        if let Some(slot) = next.get_mut(bucket(event.customer(), shift, width)) {
            if let Some(out) = scratch.get_mut(*slot as usize) {
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
            let (a, b) = (*a as usize, *b as usize);
            if let (Some(part), Some(scratch)) = (events.get_mut(a..b), scratch.get_mut(a..b)) {
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

/// Whether an amount is a refund's: negative (a negative zero is a zero).
#[inline]
fn is_refund(amount: Decimal) -> bool {
    amount.is_sign_negative() && !amount.is_zero()
}

#[inline]
fn classify(customer: CustomerId, date: NaiveDate, amount: Money) -> Classified {
    if is_refund(amount.amount) {
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
