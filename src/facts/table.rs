//! The columnar facts of a whole customer base.

use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::customer::{CustomerId, InteractionKind};
use crate::facts::{
    Clock, Facts, FactsOptions, FrequencyBand, InteractionFacts, PartialFacts, LOGIN_WEEKS,
};
use crate::facts::{FactsError, FactsErrorKind};
use crate::money::Currency;

/// The facts of a whole customer base in columns: one `Vec` per field, rows ordered by
/// customer id (ascending `u64`), every column the same length.
///
/// The segmentation engine reads the columns as slices. Undefined values are `None`
/// (`recency_days` of a non-purchaser, say): `Option<u32>` is 8 bytes and needs no
/// sentinel convention. Amounts are [`Decimal`] in the table's single
/// [`currency`](FactsTable::currency), held once for the table rather than per row.
///
/// The table keeps the [`FactsOptions`] it was computed for (the `as_of` instant, the
/// currency, the zone, window and bands), so whatever reads it later — a
/// [`Segmenter`](crate::Segmenter), an explanation — uses the same day and policy, and
/// refuses a table folded under another.
///
/// Serde writes the columns as they are; reading checks that every column has one
/// entry per customer id and that the ids ascend.
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
    customer_ids: Vec<CustomerId>,
    registered_on: Vec<Option<NaiveDate>>,
    days_since_registration: Vec<Option<u32>>,
    first_purchase: Vec<Option<NaiveDate>>,
    last_purchase: Vec<Option<NaiveDate>>,
    days_since_first_purchase: Vec<Option<u32>>,
    recency_days: Vec<Option<u32>>,
    purchases: Vec<u32>,
    frequency: Vec<u32>,
    frequency_band: Vec<FrequencyBand>,
    monthly_average: Vec<f64>,
    quarterly_average: Vec<f64>,
    yearly_average: Vec<f64>,
    monetary: Vec<Decimal>,
    average_order_value: Vec<Option<Decimal>>,
    refunds: Vec<u32>,
    refunded: Vec<Decimal>,
    cancelled: Vec<u32>,
    interactions: Vec<InteractionEntry>,
    /// Per row, its entry in `interactions` (`u32::MAX`: none); empty when no
    /// customer interacted. Derived from `interactions`, not serialised.
    #[serde(skip)]
    interaction_slots: Vec<u32>,
    points: Vec<Option<u64>>,
}

/// The serde form of [`FactsTable`], checked on the way in.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFactsTable {
    options: FactsOptions,
    customer_ids: Vec<CustomerId>,
    registered_on: Vec<Option<NaiveDate>>,
    days_since_registration: Vec<Option<u32>>,
    first_purchase: Vec<Option<NaiveDate>>,
    last_purchase: Vec<Option<NaiveDate>>,
    days_since_first_purchase: Vec<Option<u32>>,
    recency_days: Vec<Option<u32>>,
    purchases: Vec<u32>,
    frequency: Vec<u32>,
    frequency_band: Vec<FrequencyBand>,
    monthly_average: Vec<f64>,
    quarterly_average: Vec<f64>,
    yearly_average: Vec<f64>,
    monetary: Vec<Decimal>,
    average_order_value: Vec<Option<Decimal>>,
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
        let length = |column, expected, found| {
            FactsError::new(FactsErrorKind::ColumnLength {
                column,
                expected,
                found,
            })
        };
        if raw.registered_on.len() != n {
            return Err(length("registered_on", n, raw.registered_on.len()));
        }
        if raw.days_since_registration.len() != n {
            return Err(length(
                "days_since_registration",
                n,
                raw.days_since_registration.len(),
            ));
        }
        if raw.first_purchase.len() != n {
            return Err(length("first_purchase", n, raw.first_purchase.len()));
        }
        if raw.last_purchase.len() != n {
            return Err(length("last_purchase", n, raw.last_purchase.len()));
        }
        if raw.days_since_first_purchase.len() != n {
            return Err(length(
                "days_since_first_purchase",
                n,
                raw.days_since_first_purchase.len(),
            ));
        }
        if raw.recency_days.len() != n {
            return Err(length("recency_days", n, raw.recency_days.len()));
        }
        if raw.purchases.len() != n {
            return Err(length("purchases", n, raw.purchases.len()));
        }
        if raw.frequency.len() != n {
            return Err(length("frequency", n, raw.frequency.len()));
        }
        if raw.frequency_band.len() != n {
            return Err(length("frequency_band", n, raw.frequency_band.len()));
        }
        if raw.monthly_average.len() != n {
            return Err(length("monthly_average", n, raw.monthly_average.len()));
        }
        if raw.quarterly_average.len() != n {
            return Err(length("quarterly_average", n, raw.quarterly_average.len()));
        }
        if raw.yearly_average.len() != n {
            return Err(length("yearly_average", n, raw.yearly_average.len()));
        }
        if raw.monetary.len() != n {
            return Err(length("monetary", n, raw.monetary.len()));
        }
        if raw.average_order_value.len() != n {
            return Err(length(
                "average_order_value",
                n,
                raw.average_order_value.len(),
            ));
        }
        if raw.refunds.len() != n {
            return Err(length("refunds", n, raw.refunds.len()));
        }
        if raw.refunded.len() != n {
            return Err(length("refunded", n, raw.refunded.len()));
        }
        if raw.cancelled.len() != n {
            return Err(length("cancelled", n, raw.cancelled.len()));
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
        if raw.points.len() != n {
            return Err(length("points", n, raw.points.len()));
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
            options: raw.options,
            customer_ids: raw.customer_ids,
            registered_on: raw.registered_on,
            days_since_registration: raw.days_since_registration,
            first_purchase: raw.first_purchase,
            last_purchase: raw.last_purchase,
            days_since_first_purchase: raw.days_since_first_purchase,
            recency_days: raw.recency_days,
            purchases: raw.purchases,
            frequency: raw.frequency,
            frequency_band: raw.frequency_band,
            monthly_average: raw.monthly_average,
            quarterly_average: raw.quarterly_average,
            yearly_average: raw.yearly_average,
            monetary: raw.monetary,
            average_order_value: raw.average_order_value,
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

    pub(crate) fn with_capacity(options: FactsOptions, n: usize) -> FactsTable {
        FactsTable {
            options,
            customer_ids: Vec::with_capacity(n),
            registered_on: Vec::with_capacity(n),
            days_since_registration: Vec::with_capacity(n),
            first_purchase: Vec::with_capacity(n),
            last_purchase: Vec::with_capacity(n),
            days_since_first_purchase: Vec::with_capacity(n),
            recency_days: Vec::with_capacity(n),
            purchases: Vec::with_capacity(n),
            frequency: Vec::with_capacity(n),
            frequency_band: Vec::with_capacity(n),
            monthly_average: Vec::with_capacity(n),
            quarterly_average: Vec::with_capacity(n),
            yearly_average: Vec::with_capacity(n),
            monetary: Vec::with_capacity(n),
            average_order_value: Vec::with_capacity(n),
            refunds: Vec::with_capacity(n),
            refunded: Vec::with_capacity(n),
            cancelled: Vec::with_capacity(n),
            interactions: Vec::new(),
            interaction_slots: Vec::new(),
            points: Vec::with_capacity(n),
        }
    }

    /// A table from facts in any order (they are sorted by customer id); amounts are
    /// taken to be computed as of `options` (its instant, currency and policy).
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

    /// Appends a row; the caller keeps rows sorted and unique.
    pub(crate) fn push_unchecked(&mut self, f: &Facts) {
        self.customer_ids.push(f.customer);
        self.registered_on.push(f.registered_on);
        self.days_since_registration.push(f.days_since_registration);
        self.first_purchase.push(f.first_purchase);
        self.last_purchase.push(f.last_purchase);
        self.days_since_first_purchase
            .push(f.days_since_first_purchase);
        self.recency_days.push(f.recency_days);
        self.purchases.push(f.purchases);
        self.frequency.push(f.frequency);
        self.frequency_band.push(f.frequency_band);
        self.monthly_average.push(f.monthly_average);
        self.quarterly_average.push(f.quarterly_average);
        self.yearly_average.push(f.yearly_average);
        self.monetary.push(f.monetary);
        self.average_order_value.push(f.average_order_value);
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
        self.points.push(f.points);
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

    /// An empty table with room for `n` rows in every column.
    pub(super) fn with_core_capacity(options: FactsOptions, n: usize) -> FactsTable {
        let mut table = FactsTable::with_capacity(options, 0);
        table.customer_ids.reserve_exact(n);
        table.registered_on.reserve_exact(n);
        table.days_since_registration.reserve_exact(n);
        table.first_purchase.reserve_exact(n);
        table.last_purchase.reserve_exact(n);
        table.days_since_first_purchase.reserve_exact(n);
        table.recency_days.reserve_exact(n);
        table.purchases.reserve_exact(n);
        table.frequency.reserve_exact(n);
        table.frequency_band.reserve_exact(n);
        table.monthly_average.reserve_exact(n);
        table.quarterly_average.reserve_exact(n);
        table.yearly_average.reserve_exact(n);
        table.monetary.reserve_exact(n);
        table.average_order_value.reserve_exact(n);
        table.refunds.reserve_exact(n);
        table.refunded.reserve_exact(n);
        table.cancelled.reserve_exact(n);
        table.points.reserve_exact(n);
        table
    }

    /// Appends a customer's row straight from its partial facts; the caller keeps rows
    /// sorted and unique, and calls [`FactsTable::index_interactions`] at the end.
    #[inline]
    pub(super) fn push_partial(
        &mut self,
        customer: CustomerId,
        partial: &PartialFacts,
        clock: Clock,
        options: &FactsOptions,
    ) {
        let derived = partial.derive(clock, options);
        self.customer_ids.push(customer);
        self.registered_on.push(derived.registered_on);
        self.days_since_registration
            .push(derived.days_since_registration);
        self.first_purchase.push(derived.first_purchase);
        self.last_purchase.push(derived.last_purchase);
        self.days_since_first_purchase
            .push(derived.days_since_first_purchase);
        self.recency_days.push(derived.recency_days);
        self.purchases.push(partial.purchases);
        self.frequency.push(partial.in_window);
        self.frequency_band.push(derived.frequency_band);
        self.monthly_average.push(derived.monthly_average);
        self.quarterly_average.push(derived.quarterly_average);
        self.yearly_average.push(derived.yearly_average);
        self.monetary.push(partial.monetary);
        self.average_order_value.push(derived.average_order_value);
        self.refunds.push(partial.refunds);
        self.refunded.push(partial.refunded);
        self.cancelled.push(partial.cancelled);
        self.points.push(None);
        if let Some(tally) = &partial.interactions {
            self.push_interactions(InteractionSummary {
                interactions: tally.facts,
                weekly_logins: tally.weekly_logins,
                days_since_last_interaction: derived.days_since_last_interaction,
                shown_interest: derived.shown_interest,
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
        macro_rules! append {
            ($($column:ident),*) => {
                $(
                    self.$column.reserve_exact(n - self.$column.len());
                    for other in others {
                        self.$column.extend_from_slice(&other.$column);
                    }
                )*
            };
        }
        append!(
            customer_ids,
            registered_on,
            days_since_registration,
            first_purchase,
            last_purchase,
            days_since_first_purchase,
            recency_days,
            purchases,
            frequency,
            frequency_band,
            monthly_average,
            quarterly_average,
            yearly_average,
            monetary,
            average_order_value,
            refunds,
            refunded,
            cancelled,
            points
        );
        self.index_interactions();
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
        f.registered_on = *self.registered_on.get(idx)?;
        f.days_since_registration = *self.days_since_registration.get(idx)?;
        f.first_purchase = *self.first_purchase.get(idx)?;
        f.last_purchase = *self.last_purchase.get(idx)?;
        f.days_since_first_purchase = *self.days_since_first_purchase.get(idx)?;
        f.recency_days = *self.recency_days.get(idx)?;
        f.purchases = *self.purchases.get(idx)?;
        f.frequency = *self.frequency.get(idx)?;
        f.frequency_band = *self.frequency_band.get(idx)?;
        f.monthly_average = *self.monthly_average.get(idx)?;
        f.quarterly_average = *self.quarterly_average.get(idx)?;
        f.yearly_average = *self.yearly_average.get(idx)?;
        f.monetary = *self.monetary.get(idx)?;
        f.average_order_value = *self.average_order_value.get(idx)?;
        f.refunds = *self.refunds.get(idx)?;
        f.refunded = *self.refunded.get(idx)?;
        f.cancelled = *self.cancelled.get(idx)?;
        if let Some(summary) = self.interactions(idx) {
            f.interactions = summary.interactions;
            f.weekly_logins = summary.weekly_logins;
            f.days_since_last_interaction = summary.days_since_last_interaction;
            f.shown_interest = summary.shown_interest;
        }
        f.points = *self.points.get(idx)?;
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
        /// Registration dates.
        registered_on: Option<NaiveDate>
    );
    column!(
        /// Days since registration.
        days_since_registration: Option<u32>
    );
    column!(
        /// First purchase dates.
        first_purchase: Option<NaiveDate>
    );
    column!(
        /// Last purchase dates.
        last_purchase: Option<NaiveDate>
    );
    column!(
        /// Days since the first purchase.
        days_since_first_purchase: Option<u32>
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
        /// Average purchases per month in the window.
        monthly_average: f64
    );
    column!(
        /// Average purchases per quarter in the window.
        quarterly_average: f64
    );
    column!(
        /// Average purchases per year in the window.
        yearly_average: f64
    );
    column!(
        /// Cumulative net spend, in [`FactsTable::currency`].
        monetary: Decimal
    );
    column!(
        /// Average order values; `None` without purchases.
        average_order_value: Option<Decimal>
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
    column!(
        /// Loyalty points usable at `as_of`, from the customer records
        /// ([`Facts::points`]); `None` without a record carrying points.
        points: Option<u64>
    );

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
