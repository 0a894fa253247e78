//! The columnar facts of a whole customer base.

use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::customer::{CustomerId, InteractionKind};
use crate::facts::{
    date_of_day, day_of_date, Clock, Facts, FactsOptions, FrequencyBand, InteractionFacts,
    PartialFacts, LOGIN_WEEKS,
};
use crate::facts::{FactsError, FactsErrorKind};
use crate::money::Currency;

/// The facts of a whole customer base in columns, rows ordered by customer id
/// (ascending `u64`).
///
/// The columns the segmentation engine scans are slices: ids, recency, purchases,
/// frequency, frequency band, net spend, refunds, refunded, cancelled orders.
/// Undefined values are `None` (`recency_days` of a non-purchaser, say). Amounts are
/// [`Decimal`] in the table's single [`currency`](FactsTable::currency), held once for
/// the table rather than per row. Everything else is read per row: what can be
/// computed from the stored columns is computed on access (days since the first
/// purchase or the registration, the last purchase date, the per-month / quarter /
/// year averages, the average order value — the same arithmetic as [`Facts`]), and
/// what few customers have is stored only for them (interactions) or only when some
/// customer has it (registration dates, loyalty points).
///
/// # Memory
///
/// 69 bytes per customer for a base of orders alone (ids 8, first purchase 4,
/// recency 8, purchases 4, frequency 4, band 1, net spend 16, refunds 4, refunded
/// 16, cancelled 4): 138 MB for 2,000,000 customers, as
/// [`heap_bytes`](FactsTable::heap_bytes) measures it (a test checks the figure). A
/// registration date adds 4 bytes a customer and loyalty points 16, once any customer
/// has one; interactions add a 4-byte row index per customer once any customer
/// interacted, and about 210 bytes per customer who did. Before these columns were cut, the
/// table took about 370 bytes a customer, interactions or not.
///
/// The table keeps the [`FactsOptions`] it was computed for (the `as_of` instant, the
/// currency, the zone, window and bands), so whatever reads it later — a
/// [`Segmenter`](crate::Segmenter), an explanation — uses the same day and policy, and
/// refuses a table folded under another.
///
/// Serde writes the stored columns as they are (an absent optional column as `[]`,
/// interactions as `{row, summary}` entries); reading checks that every column has one
/// entry per customer id (or none, for the optional ones), that the ids ascend and
/// that the interaction entries' rows ascend within the table.
///
/// # Example
///
/// ```
/// use chrono::{TimeZone, Utc};
/// use patronage::{Currency, CustomerId, Facts, FactsOptions, FactsTable};
/// use rust_decimal::Decimal;
///
/// let as_of = Utc.with_ymd_and_hms(2024, 12, 31, 23, 59, 59).single().ok_or("bad date")?;
/// let mut b = Facts::empty(CustomerId(2));
/// b.purchases = 3;
/// b.recency_days = Some(12);
/// b.monetary = Decimal::new(30000, 2);
/// let a = Facts::empty(CustomerId(1));
/// let table = FactsTable::from_facts(FactsOptions::new(as_of, Currency::CNY), [b, a])?;
/// assert_eq!(table.as_of(), as_of);
/// assert_eq!(table.customer_ids(), &[CustomerId(1), CustomerId(2)]);
/// assert_eq!(table.recency_days(), &[None, Some(12)]);
/// assert_eq!(table.monetary()[1].to_string(), "300.00");
/// assert_eq!(table.row(1).map(|f| f.purchases), Some(3));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "RawFactsTable")]
pub struct FactsTable {
    options: FactsOptions,
    /// The `as_of` day number in the reference zone (from `options`, not serialised).
    #[serde(skip)]
    as_of_day: i32,
    customer_ids: Vec<CustomerId>,
    /// Empty when no customer has a registration date, else one entry per row.
    registered_on: Vec<Option<NaiveDate>>,
    first_purchase: Vec<Option<NaiveDate>>,
    recency_days: Vec<Option<u32>>,
    purchases: Vec<u32>,
    frequency: Vec<u32>,
    frequency_band: Vec<FrequencyBand>,
    monetary: Vec<Decimal>,
    refunds: Vec<u32>,
    refunded: Vec<Decimal>,
    cancelled: Vec<u32>,
    interactions: Vec<InteractionEntry>,
    /// Per row, its entry in `interactions` (`u32::MAX`: none); empty when no
    /// customer interacted. Derived from `interactions`, not serialised.
    #[serde(skip)]
    interaction_slots: Vec<u32>,
    /// Empty when no customer has points on record, else one entry per row.
    points: Vec<Option<u64>>,
}

/// The serde form of [`FactsTable`], checked on the way in.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFactsTable {
    options: FactsOptions,
    customer_ids: Vec<CustomerId>,
    registered_on: Vec<Option<NaiveDate>>,
    first_purchase: Vec<Option<NaiveDate>>,
    recency_days: Vec<Option<u32>>,
    purchases: Vec<u32>,
    frequency: Vec<u32>,
    frequency_band: Vec<FrequencyBand>,
    monetary: Vec<Decimal>,
    refunds: Vec<u32>,
    refunded: Vec<Decimal>,
    cancelled: Vec<u32>,
    interactions: Vec<InteractionEntry>,
    points: Vec<Option<u64>>,
}

impl TryFrom<RawFactsTable> for FactsTable {
    type Error = FactsError;

    fn try_from(raw: RawFactsTable) -> Result<FactsTable, FactsError> {
        let n = raw.customer_ids.len();
        let length = |column, found| {
            FactsError::new(FactsErrorKind::ColumnLength {
                column,
                expected: n,
                found,
            })
        };
        for (column, found, optional) in [
            ("registered_on", raw.registered_on.len(), true),
            ("first_purchase", raw.first_purchase.len(), false),
            ("recency_days", raw.recency_days.len(), false),
            ("purchases", raw.purchases.len(), false),
            ("frequency", raw.frequency.len(), false),
            ("frequency_band", raw.frequency_band.len(), false),
            ("monetary", raw.monetary.len(), false),
            ("refunds", raw.refunds.len(), false),
            ("refunded", raw.refunded.len(), false),
            ("cancelled", raw.cancelled.len(), false),
            ("points", raw.points.len(), true),
        ] {
            if found != n && !(optional && found == 0) {
                return Err(length(column, found));
            }
        }
        let mut previous = None;
        for entry in &raw.interactions {
            let row = entry.row as usize;
            if row >= n || previous.is_some_and(|p| p >= entry.row) {
                return Err(FactsError::new(FactsErrorKind::InteractionRow {
                    row,
                    rows: n,
                }));
            }
            previous = Some(entry.row);
        }
        for pair in raw.customer_ids.windows(2) {
            if let [previous, customer] = pair {
                if customer <= previous {
                    return Err(FactsError::new(FactsErrorKind::Unsorted {
                        customer: *customer,
                        previous: *previous,
                    }));
                }
            }
        }
        Ok(FactsTable {
            as_of_day: day_of_date(raw.options.as_of_date()),
            options: raw.options,
            customer_ids: raw.customer_ids,
            registered_on: raw.registered_on,
            first_purchase: raw.first_purchase,
            recency_days: raw.recency_days,
            purchases: raw.purchases,
            frequency: raw.frequency,
            frequency_band: raw.frequency_band,
            monetary: raw.monetary,
            refunds: raw.refunds,
            refunded: raw.refunded,
            cancelled: raw.cancelled,
            interaction_slots: slots(&raw.interactions, n),
            interactions: raw.interactions,
            points: raw.points,
        })
    }
}

macro_rules! column {
    ($(#[$doc:meta])* $name:ident: $ty:ty) => {
        $(#[$doc])*
        pub fn $name(&self) -> &[$ty] {
            &self.$name
        }
    };
}

impl FactsTable {
    /// An empty table of facts as of `options`.
    pub fn new(options: FactsOptions) -> FactsTable {
        FactsTable::with_capacity(options, 0)
    }

    /// An empty table with room for `n` rows in every always-present column.
    pub(crate) fn with_capacity(options: FactsOptions, n: usize) -> FactsTable {
        FactsTable {
            as_of_day: day_of_date(options.as_of_date()),
            options,
            customer_ids: Vec::with_capacity(n),
            registered_on: Vec::new(),
            first_purchase: Vec::with_capacity(n),
            recency_days: Vec::with_capacity(n),
            purchases: Vec::with_capacity(n),
            frequency: Vec::with_capacity(n),
            frequency_band: Vec::with_capacity(n),
            monetary: Vec::with_capacity(n),
            refunds: Vec::with_capacity(n),
            refunded: Vec::with_capacity(n),
            cancelled: Vec::with_capacity(n),
            interactions: Vec::new(),
            interaction_slots: Vec::new(),
            points: Vec::new(),
        }
    }

    /// A table from facts in any order (they are sorted by customer id); amounts are
    /// taken to be computed as of `options` (its instant, currency and policy).
    ///
    /// The table stores each row's base facts (dates, counts, sums, interactions,
    /// points) and computes the rest on access, as [`Facts`] defines them: a row whose
    /// derived fields (days since the first purchase, the averages, the average order
    /// value, the last purchase date) disagree with its base facts reads back with the
    /// derived values.
    ///
    /// # Errors
    ///
    /// [`FactsErrorKind::DuplicateCustomer`] when a customer has two rows.
    pub fn from_facts(
        options: FactsOptions,
        facts: impl IntoIterator<Item = Facts>,
    ) -> Result<FactsTable, FactsError> {
        let mut rows: Vec<Facts> = facts.into_iter().collect();
        rows.sort_by_key(|f| f.customer);
        for pair in rows.windows(2) {
            if let [a, b] = pair {
                if a.customer == b.customer {
                    return Err(FactsError::new(FactsErrorKind::DuplicateCustomer {
                        customer: a.customer,
                    }));
                }
            }
        }
        let mut table = FactsTable::with_capacity(options, rows.len());
        for row in &rows {
            table.push_unchecked(row);
        }
        table.index_interactions();
        Ok(table)
    }

    /// Appends a row; the caller keeps rows sorted and unique, and calls
    /// [`FactsTable::index_interactions`] at the end.
    pub(crate) fn push_unchecked(&mut self, f: &Facts) {
        self.customer_ids.push(f.customer);
        push_optional(
            &mut self.registered_on,
            f.registered_on,
            self.customer_ids.len(),
        );
        self.first_purchase.push(f.first_purchase);
        self.recency_days.push(f.recency_days);
        self.purchases.push(f.purchases);
        self.frequency.push(f.frequency);
        self.frequency_band.push(f.frequency_band);
        self.monetary.push(f.monetary);
        self.refunds.push(f.refunds);
        self.refunded.push(f.refunded);
        self.cancelled.push(f.cancelled);
        let summary = InteractionSummary {
            interactions: f.interactions,
            weekly_logins: f.weekly_logins,
            days_since_last_interaction: f.days_since_last_interaction,
            shown_interest: f.shown_interest,
        };
        self.push_interactions(summary);
        push_optional(&mut self.points, f.points, self.customer_ids.len());
    }

    /// Notes the interaction summary of the row just pushed, unless it is empty.
    fn push_interactions(&mut self, summary: InteractionSummary) {
        if summary != InteractionSummary::default() {
            // Rows are indexed by `u32` (a batch has at most `u32::MAX` rows).
            let row = self.customer_ids.len().saturating_sub(1) as u32;
            self.interactions.push(InteractionEntry { row, summary });
        }
    }

    /// Builds the row → entry index once the rows are in place.
    pub(super) fn index_interactions(&mut self) {
        self.interaction_slots = slots(&self.interactions, self.customer_ids.len());
    }

    /// An empty table with room for `n` rows in every always-present column.
    pub(super) fn with_core_capacity(options: FactsOptions, n: usize) -> FactsTable {
        FactsTable::with_capacity(options, n)
    }

    /// Appends a customer's row straight from its partial facts; the caller keeps rows
    /// sorted and unique, and calls [`FactsTable::index_interactions`] at the end.
    /// `dates` turns day numbers into dates.
    #[inline]
    pub(super) fn push_partial(
        &mut self,
        customer: CustomerId,
        partial: &PartialFacts,
        clock: Clock,
        dates: &DayDates,
    ) {
        self.customer_ids.push(customer);
        let registered = partial.registered_day.and_then(|day| dates.date(day));
        push_optional(&mut self.registered_on, registered, self.customer_ids.len());
        self.first_purchase
            .push(partial.first_purchase_day.and_then(|day| dates.date(day)));
        self.recency_days
            .push(partial.last_purchase_day.map(|day| clock.days_since(day)));
        self.purchases.push(partial.purchases);
        self.frequency.push(partial.in_window);
        self.frequency_band
            .push(self.options.frequency_bands().band(partial.in_window));
        self.monetary.push(partial.monetary);
        self.refunds.push(partial.refunds);
        self.refunded.push(partial.refunded);
        self.cancelled.push(partial.cancelled);
        if let Some(tally) = &partial.interactions {
            self.push_interactions(InteractionSummary {
                interactions: tally.facts,
                weekly_logins: tally.weekly_logins,
                days_since_last_interaction: tally.last_day.map(|day| clock.days_since(day)),
                shown_interest: partial.shown_interest(),
            });
        }
    }

    /// Appends the rows of `others` (each filled with [`FactsTable::push_partial`],
    /// ids above this table's and each other's, in order), column by column.
    pub(super) fn append_core(&mut self, others: &[FactsTable]) {
        let mut offset = self.len();
        for other in others {
            self.interactions
                .extend(other.interactions.iter().map(|entry| InteractionEntry {
                    // At most `u32::MAX` rows in a batch.
                    row: entry.row + offset as u32,
                    summary: entry.summary,
                }));
            offset += other.len();
        }
        let n = offset;
        let registered: Vec<_> = others.iter().map(|o| (&o.registered_on, o.len())).collect();
        append_optional(
            &mut self.registered_on,
            self.customer_ids.len(),
            &registered,
        );
        let points: Vec<_> = others.iter().map(|o| (&o.points, o.len())).collect();
        append_optional(&mut self.points, self.customer_ids.len(), &points);
        // The other tables were folded on other threads: the copy is split in two
        // halves of about the same bytes, one on a second thread (fresh pages fault
        // in parallel).
        let FactsTable {
            customer_ids,
            first_purchase,
            recency_days,
            purchases,
            frequency,
            frequency_band,
            monetary,
            refunds,
            refunded,
            cancelled,
            ..
        } = self;
        if !others.is_empty() {
            std::thread::scope(|scope| {
                scope.spawn(|| {
                    append(monetary, n, &parts(others, |o| &o.monetary));
                    append(refunded, n, &parts(others, |o| &o.refunded));
                    append(frequency_band, n, &parts(others, |o| &o.frequency_band));
                    append(cancelled, n, &parts(others, |o| &o.cancelled));
                });
                append(customer_ids, n, &parts(others, |o| &o.customer_ids));
                append(first_purchase, n, &parts(others, |o| &o.first_purchase));
                append(recency_days, n, &parts(others, |o| &o.recency_days));
                append(purchases, n, &parts(others, |o| &o.purchases));
                append(frequency, n, &parts(others, |o| &o.frequency));
                append(refunds, n, &parts(others, |o| &o.refunds));
            });
        }
        self.index_interactions();
    }

    /// The columns a segmentation keeps, moved out of the table (the rest is freed).
    pub(crate) fn into_kept_columns(self) -> KeptColumns {
        KeptColumns {
            customer_ids: self.customer_ids,
            recency_days: self.recency_days,
            frequency: self.frequency,
            purchases: self.purchases,
            monetary: self.monetary,
            frequency_band: self.frequency_band,
            points: self.points,
        }
    }

    /// Sets the points column from `points_of` (a look-up by customer), row by row.
    pub(super) fn fill_points(&mut self, points_of: impl Fn(CustomerId) -> Option<u64>) {
        self.points = self.customer_ids.iter().map(|id| points_of(*id)).collect();
    }

    /// The number of customers (rows).
    pub fn len(&self) -> usize {
        self.customer_ids.len()
    }

    /// Whether the table has no row.
    pub fn is_empty(&self) -> bool {
        self.customer_ids.is_empty()
    }

    /// The bytes the table's columns hold on the heap (their capacity): what the
    /// [memory figures](FactsTable#memory) count.
    ///
    /// # Example
    ///
    /// ```
    /// use chrono::{NaiveDate, TimeZone, Utc};
    /// use patronage::{Currency, CustomerId, FactsOptions, FactsTable};
    ///
    /// let as_of = Utc.with_ymd_and_hms(2024, 12, 31, 23, 59, 59).single().ok_or("bad date")?;
    /// let options = FactsOptions::new(as_of, Currency::CNY);
    /// let day = NaiveDate::from_ymd_opt(2024, 12, 1).ok_or("bad date")?;
    /// let customers: Vec<CustomerId> = (0..1_000).map(CustomerId).collect();
    /// let table = FactsTable::from_dated_minor_units(&options, &customers, &vec![day; 1_000], &vec![100; 1_000])?;
    /// assert_eq!(table.heap_bytes(), 69 * 1_000); // orders alone: 69 bytes a customer
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn heap_bytes(&self) -> usize {
        fn bytes<T>(column: &Vec<T>) -> usize {
            column.capacity() * std::mem::size_of::<T>()
        }
        bytes(&self.customer_ids)
            + bytes(&self.registered_on)
            + bytes(&self.first_purchase)
            + bytes(&self.recency_days)
            + bytes(&self.purchases)
            + bytes(&self.frequency)
            + bytes(&self.frequency_band)
            + bytes(&self.monetary)
            + bytes(&self.refunds)
            + bytes(&self.refunded)
            + bytes(&self.cancelled)
            + bytes(&self.interactions)
            + bytes(&self.interaction_slots)
            + bytes(&self.points)
    }

    /// What the facts were computed for: the instant they are as of, the currency of
    /// every amount column, the zone, window and bands.
    pub fn options(&self) -> &FactsOptions {
        &self.options
    }

    /// The instant the facts are as of.
    pub fn as_of(&self) -> DateTime<Utc> {
        self.options.as_of()
    }

    /// The currency of every amount column.
    pub fn currency(&self) -> Currency {
        self.options.currency()
    }

    /// The row index of a customer (binary search on the sorted ids).
    pub fn position(&self, customer: CustomerId) -> Option<usize> {
        self.customer_ids.binary_search(&customer).ok()
    }

    /// The facts of row `idx`, or `None` past the end.
    pub fn row(&self, idx: usize) -> Option<Facts> {
        let mut f = Facts::empty(*self.customer_ids.get(idx)?);
        let [yearly, quarterly, monthly] = self.averages(idx);
        f.registered_on = self.registered_on(idx);
        f.days_since_registration = self.days_since_registration(idx);
        f.first_purchase = *self.first_purchase.get(idx)?;
        f.last_purchase = self.last_purchase(idx);
        f.days_since_first_purchase = self.days_since_first_purchase(idx);
        f.recency_days = *self.recency_days.get(idx)?;
        f.purchases = *self.purchases.get(idx)?;
        f.frequency = *self.frequency.get(idx)?;
        f.frequency_band = *self.frequency_band.get(idx)?;
        f.monthly_average = monthly;
        f.quarterly_average = quarterly;
        f.yearly_average = yearly;
        f.monetary = *self.monetary.get(idx)?;
        f.average_order_value = self.average_order_value(idx);
        f.refunds = *self.refunds.get(idx)?;
        f.refunded = *self.refunded.get(idx)?;
        f.cancelled = *self.cancelled.get(idx)?;
        if let Some(summary) = self.interactions(idx) {
            f.interactions = summary.interactions;
            f.weekly_logins = summary.weekly_logins;
            f.days_since_last_interaction = summary.days_since_last_interaction;
            f.shown_interest = summary.shown_interest;
        }
        f.points = self.points(idx);
        Some(f)
    }

    /// Every row's facts, in order.
    pub fn iter(&self) -> impl Iterator<Item = Facts> + '_ {
        (0..self.len()).filter_map(|idx| self.row(idx))
    }

    column!(
        /// Customer ids, ascending.
        customer_ids: CustomerId
    );
    column!(
        /// First purchase dates; `None` for non-purchasers.
        first_purchase: Option<NaiveDate>
    );
    column!(
        /// Days since the last purchase; `None` for non-purchasers.
        recency_days: Option<u32>
    );
    column!(
        /// Purchases over all time.
        purchases: u32
    );
    column!(
        /// Purchases in the frequency window.
        frequency: u32
    );
    column!(
        /// Frequency bands.
        frequency_band: FrequencyBand
    );
    column!(
        /// Cumulative net spend, in [`FactsTable::currency`].
        monetary: Decimal
    );
    column!(
        /// Refund counts.
        refunds: u32
    );
    column!(
        /// Totals refunded.
        refunded: Decimal
    );
    column!(
        /// Cancelled orders.
        cancelled: u32
    );

    /// The as-of day number in the reference zone.
    fn as_of_day(&self) -> i32 {
        self.as_of_day
    }

    /// Row `row`'s registration date (from its customer record), if known.
    pub fn registered_on(&self, row: usize) -> Option<NaiveDate> {
        self.registered_on.get(row).copied().flatten()
    }

    /// Days from row `row`'s registration to `as_of`.
    pub fn days_since_registration(&self, row: usize) -> Option<u32> {
        self.registered_on(row).map(|date| self.days_since(date))
    }

    /// Days from row `row`'s first purchase to `as_of`.
    pub fn days_since_first_purchase(&self, row: usize) -> Option<u32> {
        self.first_purchase
            .get(row)
            .copied()
            .flatten()
            .map(|date| self.days_since(date))
    }

    /// Row `row`'s last purchase date: `recency_days` before the `as_of` date.
    pub fn last_purchase(&self, row: usize) -> Option<NaiveDate> {
        let recency = (*self.recency_days.get(row)?)?;
        date_of_day(self.as_of_day().checked_sub(i32::try_from(recency).ok()?)?)
    }

    /// Row `row`'s average order value: net spend over purchases; `None` without a
    /// purchase.
    pub fn average_order_value(&self, row: usize) -> Option<Decimal> {
        let purchases = *self.purchases.get(row)?;
        if purchases == 0 {
            return None;
        }
        self.monetary
            .get(row)?
            .checked_div(Decimal::from(purchases))
    }

    /// Row `row`'s purchases in the frequency window per year, per quarter and per
    /// month, as [`Facts::yearly_average`] defines them (0 for a row past the end).
    pub fn averages(&self, row: usize) -> [f64; 3] {
        let in_window = self.frequency.get(row).copied().unwrap_or(0);
        let span_days = match self.options.frequency_window_days() {
            Some(days) => days,
            None => self
                .days_since_first_purchase(row)
                .map_or(0, |d| d.saturating_add(1)),
        };
        averages(in_window, span_days)
    }

    /// Row `row`'s loyalty points usable at `as_of`, from the customer records
    /// ([`Facts::points`]); `None` without a record carrying points.
    pub fn points(&self, row: usize) -> Option<u64> {
        self.points.get(row).copied().flatten()
    }

    /// Whether some customer has loyalty points on record.
    pub fn has_points(&self) -> bool {
        !self.points.is_empty()
    }

    fn days_since(&self, date: NaiveDate) -> u32 {
        self.as_of_day().saturating_sub(day_of_date(date)).max(0) as u32
    }

    /// The interaction summary of row `row`: `None` when the customer did not
    /// interact (or past the end). Interactions are stored sparsely, for the
    /// customers who interacted only, with a 4-byte row index once any did: a base
    /// of order rows alone pays nothing for them.
    #[inline]
    pub fn interactions(&self, row: usize) -> Option<&InteractionSummary> {
        let slot = *self.interaction_slots.get(row)?;
        self.interactions
            .get(slot as usize)
            .map(|entry| &entry.summary)
    }

    /// The rows of the customers who interacted, with their summaries, by row.
    pub fn interacted(&self) -> impl Iterator<Item = (usize, &InteractionSummary)> + '_ {
        self.interactions
            .iter()
            .map(|entry| (entry.row as usize, &entry.summary))
    }

    /// How many interactions of `kind` row `row` has (0 without interactions).
    #[inline]
    pub fn interaction_count(&self, kind: InteractionKind, row: usize) -> u32 {
        self.interactions(row)
            .map_or(0, |summary| summary.interactions.count(kind))
    }

    /// Logins per 7-day block ending at `as_of` of row `row` (index 0 = the last 7
    /// days); zeros without interactions.
    #[inline]
    pub fn weekly_logins(&self, row: usize) -> [u32; LOGIN_WEEKS] {
        self.interactions(row)
            .map_or([0; LOGIN_WEEKS], |summary| summary.weekly_logins)
    }

    /// Days since row `row`'s last interaction of any kind; `None` without one.
    #[inline]
    pub fn days_since_last_interaction(&self, row: usize) -> Option<u32> {
        self.interactions(row)
            .and_then(|summary| summary.days_since_last_interaction)
    }

    /// Whether row `row` browsed, favorited or added to a cart.
    #[inline]
    pub fn shown_interest(&self, row: usize) -> bool {
        self.interactions(row)
            .is_some_and(|summary| summary.shown_interest)
    }
}

/// The columns of a [`FactsTable`] a segmentation keeps
/// ([`FactsTable::into_kept_columns`]); `points` is empty when no customer has points.
#[derive(Debug)]
pub(crate) struct KeptColumns {
    pub(crate) customer_ids: Vec<CustomerId>,
    pub(crate) recency_days: Vec<Option<u32>>,
    pub(crate) frequency: Vec<u32>,
    pub(crate) purchases: Vec<u32>,
    pub(crate) monetary: Vec<Decimal>,
    pub(crate) frequency_band: Vec<FrequencyBand>,
    pub(crate) points: Vec<Option<u64>>,
}

/// Purchases per year, quarter and month for `in_window` purchases over `span_days`
/// (all zero for an empty span): the arithmetic of [`Facts::yearly_average`].
pub(super) fn averages(in_window: u32, span_days: u32) -> [f64; 3] {
    if span_days > 0 {
        let per_year = f64::from(in_window) * 365.0 / f64::from(span_days);
        [per_year, per_year / 4.0, per_year / 12.0]
    } else {
        [0.0; 3]
    }
}

/// Pushes `value` onto an optional column of a table that now has `rows` rows: the
/// column stays empty while every value is `None`, and is filled in (with `None` for
/// the rows before) at the first `Some`.
fn push_optional<T: Copy>(column: &mut Vec<Option<T>>, value: Option<T>, rows: usize) {
    if column.is_empty() {
        if value.is_none() {
            return;
        }
        column.resize(rows.saturating_sub(1), None);
    }
    column.push(value);
}

/// Appends the optional columns of other tables (`(column, rows)`) to `column` of a
/// table with `rows` rows; empty columns stand for all-`None`.
fn append_optional<T: Copy>(
    column: &mut Vec<Option<T>>,
    rows: usize,
    others: &[(&Vec<Option<T>>, usize)],
) {
    if column.is_empty() && others.iter().all(|(other, _)| other.is_empty()) {
        return;
    }
    column.resize(rows, None);
    for (other, len) in others {
        if other.is_empty() {
            column.resize(column.len() + len, None);
        } else {
            column.extend_from_slice(other);
        }
    }
}

/// Dates of day numbers, from a table over the days a batch spans (a date
/// conversion is a few divisions; a batch converts two per customer).
#[derive(Clone, Debug)]
pub(super) struct DayDates {
    first: i32,
    dates: Vec<NaiveDate>,
}

impl DayDates {
    /// The most days tabulated (about 27 years).
    const MAX_DAYS: i32 = 10_000;

    /// A table of the dates from `first` to `last` (at most [`DayDates::MAX_DAYS`]
    /// of them, the latest; others are converted on the fly).
    pub(super) fn new(first: i32, last: i32) -> DayDates {
        let first = first.max(last.saturating_sub(DayDates::MAX_DAYS - 1));
        let dates = (first..=last).map_while(date_of_day).collect();
        DayDates { first, dates }
    }

    /// The table for `rows` customers as of day `as_of_day`: the ten years up to it
    /// when there are enough rows to pay for it, else none (every date converted on
    /// the fly).
    pub(super) fn for_rows(as_of_day: i32, rows: usize) -> DayDates {
        if rows >= 4_096 {
            DayDates::new(as_of_day.saturating_sub(3_652), as_of_day)
        } else {
            DayDates {
                first: 0,
                dates: Vec::new(),
            }
        }
    }

    #[inline]
    pub(super) fn date(&self, day: i32) -> Option<NaiveDate> {
        let offset = day.wrapping_sub(self.first);
        match usize::try_from(offset).ok().and_then(|k| self.dates.get(k)) {
            Some(date) if offset >= 0 => Some(*date),
            _ => date_of_day(day),
        }
    }
}

/// One customer's interaction facts in a [`FactsTable`]: what [`Facts`] holds about
/// interactions, for a customer who interacted.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct InteractionSummary {
    /// Per interaction kind, the count and the last instant.
    pub interactions: InteractionFacts,
    /// Logins per 7-day block ending at `as_of` (index 0 = the last 7 days).
    pub weekly_logins: [u32; LOGIN_WEEKS],
    /// Days since the last interaction of any kind.
    pub days_since_last_interaction: Option<u32>,
    /// Whether any browse, favorite or add-to-cart happened.
    pub shown_interest: bool,
}

/// A row's interaction summary, as stored (and serialised).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct InteractionEntry {
    row: u32,
    summary: InteractionSummary,
}

/// The row → entry index of sparse `entries` (rows ascending, below `n`); empty
/// when there is no entry.
fn slots(entries: &[InteractionEntry], n: usize) -> Vec<u32> {
    if entries.is_empty() {
        return Vec::new();
    }
    let mut slots = vec![u32::MAX; n];
    for (slot, entry) in entries.iter().enumerate() {
        if let Some(at) = slots.get_mut(entry.row as usize) {
            // At most `u32::MAX` rows, so at most as many entries.
            *at = slot as u32;
        }
    }
    slots
}

/// Appends `others`, in order, to `column`, reserving `n` rows in all at once.
fn append<T: Copy>(column: &mut Vec<T>, n: usize, others: &[&[T]]) {
    column.reserve_exact(n.saturating_sub(column.len()));
    for other in others {
        column.extend_from_slice(other);
    }
}
/// One column of each of `others`.
fn parts<'t, T>(
    others: &'t [FactsTable],
    column: impl Fn(&'t FactsTable) -> &'t [T],
) -> Vec<&'t [T]> {
    others.iter().map(column).collect()
}
