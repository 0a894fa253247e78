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
    interaction_counts: Vec<Vec<u32>>,
    last_interactions: Vec<Vec<Option<DateTime<Utc>>>>,
    weekly_logins: Vec<[u32; LOGIN_WEEKS]>,
    days_since_last_interaction: Vec<Option<u32>>,
    shown_interest: Vec<bool>,
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
    interaction_counts: Vec<Vec<u32>>,
    last_interactions: Vec<Vec<Option<DateTime<Utc>>>>,
    weekly_logins: Vec<[u32; LOGIN_WEEKS]>,
    days_since_last_interaction: Vec<Option<u32>>,
    shown_interest: Vec<bool>,
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
        if raw.interaction_counts.len() != InteractionKind::COUNT {
            return Err(FactsError::new(FactsErrorKind::InteractionKinds {
                column: "interaction_counts",
                expected: InteractionKind::COUNT,
                found: raw.interaction_counts.len(),
            }));
        }
        for column in &raw.interaction_counts {
            if column.len() != n {
                return Err(length("interaction_counts", n, column.len()));
            }
        }
        if raw.last_interactions.len() != InteractionKind::COUNT {
            return Err(FactsError::new(FactsErrorKind::InteractionKinds {
                column: "last_interactions",
                expected: InteractionKind::COUNT,
                found: raw.last_interactions.len(),
            }));
        }
        for column in &raw.last_interactions {
            if column.len() != n {
                return Err(length("last_interactions", n, column.len()));
            }
        }
        if raw.weekly_logins.len() != n {
            return Err(length("weekly_logins", n, raw.weekly_logins.len()));
        }
        if raw.days_since_last_interaction.len() != n {
            return Err(length(
                "days_since_last_interaction",
                n,
                raw.days_since_last_interaction.len(),
            ));
        }
        if raw.points.len() != n {
            return Err(length("points", n, raw.points.len()));
        }
        if raw.shown_interest.len() != n {
            return Err(length("shown_interest", n, raw.shown_interest.len()));
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
            interaction_counts: raw.interaction_counts,
            last_interactions: raw.last_interactions,
            weekly_logins: raw.weekly_logins,
            days_since_last_interaction: raw.days_since_last_interaction,
            shown_interest: raw.shown_interest,
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
            interaction_counts: (0..InteractionKind::COUNT)
                .map(|_| Vec::with_capacity(n))
                .collect(),
            last_interactions: (0..InteractionKind::COUNT)
                .map(|_| Vec::with_capacity(n))
                .collect(),
            weekly_logins: Vec::with_capacity(n),
            days_since_last_interaction: Vec::with_capacity(n),
            shown_interest: Vec::with_capacity(n),
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
        for ((kind, counts), lasts) in InteractionKind::ALL
            .iter()
            .zip(&mut self.interaction_counts)
            .zip(&mut self.last_interactions)
        {
            counts.push(f.interactions.count(*kind));
            lasts.push(f.interactions.last(*kind));
        }
        self.weekly_logins.push(f.weekly_logins);
        self.days_since_last_interaction
            .push(f.days_since_last_interaction);
        self.shown_interest.push(f.shown_interest);
        self.points.push(f.points);
    }

    /// An empty table with room for `n` rows in every column but the per-kind
    /// interaction columns, which [`FactsTable::fill_interactions`] builds in bulk.
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
        table.weekly_logins.reserve_exact(n);
        table.days_since_last_interaction.reserve_exact(n);
        table.shown_interest.reserve_exact(n);
        table.points.reserve_exact(n);
        table
    }

    /// Appends a customer's row straight from its partial facts, every column but the
    /// per-kind interaction columns (see [`FactsTable::fill_interactions`]); the caller
    /// keeps rows sorted and unique.
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
        self.weekly_logins.push(
            partial
                .interactions
                .as_ref()
                .map_or([0; LOGIN_WEEKS], |tally| tally.weekly_logins),
        );
        self.days_since_last_interaction
            .push(derived.days_since_last_interaction);
        self.shown_interest.push(derived.shown_interest);
        self.points.push(None);
    }

    /// Appends the rows of `others` (each filled with [`FactsTable::push_partial`],
    /// ids above this table's and each other's, in order), column by column.
    pub(super) fn append_core(&mut self, others: &[FactsTable]) {
        let n = self.len() + others.iter().map(FactsTable::len).sum::<usize>();
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
            weekly_logins,
            days_since_last_interaction,
            shown_interest,
            points
        );
    }

    /// Sets the points column from `points_of` (a look-up by customer), row by row.
    pub(super) fn fill_points(&mut self, points_of: impl Fn(CustomerId) -> Option<u64>) {
        self.points = self.customer_ids.iter().map(|id| points_of(*id)).collect();
    }

    /// Builds the per-kind interaction columns of a table filled with
    /// [`FactsTable::push_partial`]: every row zero / `None` in bulk, then the rows
    /// `(row, tally)` of the customers who interacted.
    pub(super) fn fill_interactions<'a>(
        &mut self,
        tallies: impl IntoIterator<Item = (usize, &'a InteractionFacts)>,
    ) {
        let n = self.customer_ids.len();
        self.interaction_counts = (0..InteractionKind::COUNT).map(|_| vec![0; n]).collect();
        self.last_interactions = (0..InteractionKind::COUNT).map(|_| vec![None; n]).collect();
        for (row, facts) in tallies {
            for ((kind, counts), lasts) in InteractionKind::ALL
                .iter()
                .zip(&mut self.interaction_counts)
                .zip(&mut self.last_interactions)
            {
                if let Some(slot) = counts.get_mut(row) {
                    *slot = facts.count(*kind);
                }
                if let Some(slot) = lasts.get_mut(row) {
                    *slot = facts.last(*kind);
                }
            }
        }
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
        let mut interactions = InteractionFacts::default();
        for ((kind, counts), lasts) in InteractionKind::ALL
            .iter()
            .zip(&self.interaction_counts)
            .zip(&self.last_interactions)
        {
            interactions.record(*kind, *counts.get(idx)?, *lasts.get(idx)?);
        }
        f.interactions = interactions;
        f.weekly_logins = *self.weekly_logins.get(idx)?;
        f.days_since_last_interaction = *self.days_since_last_interaction.get(idx)?;
        f.shown_interest = *self.shown_interest.get(idx)?;
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
        /// Logins per 7-day block ending at `as_of` (index 0 = the last 7 days).
        weekly_logins: [u32; LOGIN_WEEKS]
    );
    column!(
        /// Days since the last interaction of any kind.
        days_since_last_interaction: Option<u32>
    );
    column!(
        /// Whether any browse, favorite or add-to-cart happened.
        shown_interest: bool
    );
    column!(
        /// Loyalty points usable at `as_of`, from the customer records
        /// ([`Facts::points`]); `None` without a record carrying points.
        points: Option<u64>
    );

    /// Interaction counts of one kind.
    pub fn interaction_count(&self, kind: InteractionKind) -> &[u32] {
        self.interaction_counts
            .get(kind.index())
            .map_or(&[], Vec::as_slice)
    }

    /// Last interaction instants of one kind.
    pub fn last_interaction(&self, kind: InteractionKind) -> &[Option<DateTime<Utc>>] {
        self.last_interactions
            .get(kind.index())
            .map_or(&[], Vec::as_slice)
    }
}
