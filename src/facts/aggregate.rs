//! The streaming aggregator: records in any order, one hash-map probe per event.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;

use crate::customer::{check_refund_amount, RecordError, RecordErrorKind, RecordRef};
use crate::customer::{
    Customer, CustomerId, Interaction, InteractionKind, Order, OrderStatus, Points, Records, Refund,
};
use crate::facts::partial::{
    check_currency, check_dated_purchase, check_dated_refund, min_opt, sub_decimal, DatedEvent,
    PartialFacts,
};
use crate::facts::sort::radix_sort_by_key;
use crate::facts::table::DayDates;
use crate::facts::{day_of_date, Clock, Facts, FactsOptions, FactsTable, ZoneDays};
use crate::facts::{FactsError, FactsErrorKind};
use crate::money::Money;
use rustc_hash::FxBuildHasher;

/// The streaming aggregator (R4): folds customers, orders, refunds and interactions,
/// in any order, into per-customer [`PartialFacts`], and yields [`Facts`] or a whole
/// [`FactsTable`].
///
/// # Cost
///
/// One hash-map probe per event (with an Fx-style hasher: ids are assigned by the host,
/// not chosen by an adversary), no allocation per event (an interaction allocates its
/// customer's interaction counters once), checked `Decimal`
/// additions. When the reference zone is UTC, an instant's date is integer division;
/// other zones use a cache of UTC days with a constant offset (a zone look-up only on
/// a cache miss or a day with a transition). Orders known only by their calendar date
/// (as in CSV exports) fold directly with [`Aggregator::add_purchase_on`]. A whole
/// batch of such events already in columns goes faster through
/// [`FactsTable::from_dated_events`], which sorts instead of probing a map: at
/// millions of customers each probe here misses the cache.
///
/// # Shards
///
/// Aggregators built with equal [`FactsOptions`] on separate shards or partitions of
/// the events combine with [`Aggregator::merge`], giving exactly what one aggregator
/// over all the events gives.
///
/// # What it checks
///
/// Each record's own checks ([`Order::check`], [`Refund::check`]) and the currency (one
/// per aggregate, [`FactsOptions::currency`]). Checks across records — duplicate order
/// ids, orders before registration, a refund reported both on its order and as an
/// event — need a table of every order and are the [`Validator`](crate::Validator)'s.
///
/// # Example
///
/// ```
/// use chrono::{TimeZone, Utc};
/// use patronage::{Aggregator, Currency, CustomerId, FactsOptions, Order, OrderId, OrderStatus};
///
/// let t = |m, d| Utc.with_ymd_and_hms(2024, m, d, 12, 0, 0).single().ok_or("bad date");
/// let options = FactsOptions::new(t(6, 30)?, Currency::CNY);
/// let mut east = Aggregator::new(options);
/// let mut west = Aggregator::new(options);
/// east.add_order(&Order::new(OrderId(1), CustomerId(5), t(6, 1)?, "80.00 CNY".parse()?, OrderStatus::Paid))?;
/// west.add_order(&Order::new(OrderId(2), CustomerId(5), t(6, 20)?, "20.00 CNY".parse()?, OrderStatus::Cancelled))?;
/// west.add_order(&Order::new(OrderId(3), CustomerId(5), t(7, 2)?, "20.00 CNY".parse()?, OrderStatus::Paid))?;
/// east.merge(west)?;
/// assert_eq!(east.ignored_after_as_of(), 1);
/// let table = east.into_table();
/// assert_eq!(table.len(), 1);
/// assert_eq!(table.frequency(), &[1]);
/// assert_eq!(table.cancelled(), &[1]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug)]
pub struct Aggregator {
    options: FactsOptions,
    clock: Clock,
    zone_days: Option<ZoneDays>,
    customers: HashMap<CustomerId, PartialFacts, FxBuildHasher>,
    /// Points usable at `as_of`, from the customer records that carry them: a snapshot
    /// of the record, not a sum of events, so it is kept beside the partial facts.
    points: HashMap<CustomerId, u64, FxBuildHasher>,
    ignored_after_as_of: u64,
}

impl Aggregator {
    /// An empty aggregator.
    pub fn new(options: FactsOptions) -> Aggregator {
        Aggregator {
            options,
            clock: Clock::new(&options),
            zone_days: (!Clock::new(&options).is_utc()).then(|| ZoneDays::new(options.time_zone())),
            customers: HashMap::default(),
            points: HashMap::default(),
            ignored_after_as_of: 0,
        }
    }

    /// An empty aggregator with room for `n_customers`.
    pub fn with_capacity(options: FactsOptions, n_customers: usize) -> Aggregator {
        Aggregator {
            customers: HashMap::with_capacity_and_hasher(n_customers, FxBuildHasher),
            ..Aggregator::new(options)
        }
    }

    /// The options.
    pub fn options(&self) -> &FactsOptions {
        &self.options
    }

    /// Customers seen so far.
    pub fn len(&self) -> usize {
        self.customers.len()
    }

    /// Whether no customer has been seen.
    pub fn is_empty(&self) -> bool {
        self.customers.is_empty()
    }

    /// Events (and registrations) dated after `as_of`, which were ignored.
    pub fn ignored_after_as_of(&self) -> u64 {
        self.ignored_after_as_of
    }

    /// Adds a customer: the customer gets a row even without events, and its
    /// registration date (when known and not after `as_of`) feeds
    /// `days_since_registration`. Adding a customer twice keeps the earlier registration.
    pub fn add_customer(&mut self, customer: &Customer) {
        let day = match customer.registered_at {
            Some(at) if at > self.options.as_of() => {
                self.ignored_after_as_of = self.ignored_after_as_of.saturating_add(1);
                None
            }
            Some(at) => Some(self.day_of(at)),
            None => None,
        };
        let partial = self.customers.entry(customer.id).or_default();
        partial.registered_day = min_opt(partial.registered_day, day);
        if let Some(points) = &customer.points {
            let usable = usable_points(points, self.options.as_of_date());
            let kept = self.points.entry(customer.id).or_insert(usable);
            *kept = (*kept).max(usable);
        }
    }

    /// Folds an order.
    ///
    /// A paid order is a purchase of its amount; a partially refunded one a purchase of
    /// its net amount plus a refund; a refunded one a refund (not a purchase); a
    /// cancelled one only counts as cancelled.
    ///
    /// # Errors
    ///
    /// The errors of [`Order::check`]; [`RecordErrorKind::MixedCurrency`] when the
    /// amount is not in the options' currency; [`RecordErrorKind::Money`] when a total
    /// overflows. Nothing is folded when an error is returned.
    pub fn add_order(&mut self, order: &Order) -> Result<(), RecordError> {
        order.check()?;
        self.check_currency(order.record(), "amount", order.amount)?;
        if order.placed_at > self.options.as_of() {
            self.ignored_after_as_of = self.ignored_after_as_of.saturating_add(1);
            return Ok(());
        }
        let day = self.day_of(order.placed_at);
        let purchase = Some((day, self.in_window(day)));
        let amount = order.amount.amount;
        let partial = self.customers.entry(order.customer).or_default();
        let folded = match order.status {
            OrderStatus::Paid => partial.apply(purchase, amount, None),
            OrderStatus::PartiallyRefunded { refunded } => sub_decimal(amount, refunded)
                .and_then(|net| partial.apply(purchase, net, Some(refunded))),
            OrderStatus::Refunded => partial.apply(None, Decimal::ZERO, Some(amount)),
            OrderStatus::Cancelled => {
                partial.cancelled = partial.cancelled.saturating_add(1);
                Ok(())
            }
        };
        folded.map_err(|e| RecordError::new(order.record(), "amount", RecordErrorKind::Money(e)))
    }

    /// Folds a purchase known only by its calendar date in the reference zone (a paid
    /// order from a CSV export, say). A date after the `as_of` date is ignored; the
    /// `as_of` date itself counts.
    ///
    /// # Errors
    ///
    /// [`RecordErrorKind::WrongSign`] for a negative amount (send refunds with
    /// [`Aggregator::add_refund_on`]); [`RecordErrorKind::MixedCurrency`];
    /// [`RecordErrorKind::Money`] on overflow. Nothing is folded on error.
    ///
    /// # Example
    ///
    /// ```
    /// use chrono::{NaiveDate, TimeZone, Utc};
    /// use patronage::{Aggregator, Currency, CustomerId, FactsOptions, Money};
    ///
    /// let as_of = Utc.with_ymd_and_hms(1997, 9, 30, 23, 59, 59).single().ok_or("bad date")?;
    /// let mut agg = Aggregator::new(FactsOptions::new(as_of, Currency::USD));
    /// let day = NaiveDate::from_ymd_opt(1997, 1, 1).ok_or("bad date")?;
    /// agg.add_purchase_on(CustomerId(1), day, "29.33 USD".parse()?)?;
    /// agg.add_refund_on(CustomerId(1), day, "9.33 USD".parse()?)?;
    /// let facts = agg.facts(CustomerId(1)).ok_or("no facts")?;
    /// assert_eq!((facts.purchases, facts.monetary.to_string()), (1, "20.00".to_owned()));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[inline]
    pub fn add_purchase_on(
        &mut self,
        customer: CustomerId,
        date: NaiveDate,
        amount: Money,
    ) -> Result<(), RecordError> {
        let record = RecordRef::DatedPurchase { customer, date };
        check_dated_purchase(record, amount, self.options.currency())?;
        let day = day_of_date(date);
        if day > self.clock.as_of_day {
            self.ignored_after_as_of = self.ignored_after_as_of.saturating_add(1);
            return Ok(());
        }
        let event = DatedEvent::Purchase {
            day,
            amount: amount.amount,
        };
        self.fold_dated(record, event)
    }

    /// Folds a refund event ([`Refund`]): never a purchase, never refreshes recency,
    /// lowers net spend and counts as a refund.
    ///
    /// # Errors
    ///
    /// The errors of [`Refund::check`]; [`RecordErrorKind::MixedCurrency`];
    /// [`RecordErrorKind::Money`] on overflow. Nothing is folded on error.
    pub fn add_refund(&mut self, refund: &Refund) -> Result<(), RecordError> {
        check_refund_amount(refund.record(), refund.amount)?;
        self.check_currency(refund.record(), "amount", refund.amount)?;
        if refund.at > self.options.as_of() {
            self.ignored_after_as_of = self.ignored_after_as_of.saturating_add(1);
            return Ok(());
        }
        self.fold_refund(refund.record(), refund.amount)
    }

    /// Folds a refund event known only by its date (a negative row of a CSV export):
    /// `amount` is the refunded amount, above zero. A date after the `as_of` date is
    /// ignored.
    ///
    /// # Errors
    ///
    /// As [`Aggregator::add_refund`].
    pub fn add_refund_on(
        &mut self,
        customer: CustomerId,
        date: NaiveDate,
        amount: Money,
    ) -> Result<(), RecordError> {
        let record = RecordRef::DatedRefund { customer, date };
        check_dated_refund(record, amount, self.options.currency())?;
        if day_of_date(date) > self.clock.as_of_day {
            self.ignored_after_as_of = self.ignored_after_as_of.saturating_add(1);
            return Ok(());
        }
        self.fold_dated(
            record,
            DatedEvent::Refund {
                amount: amount.amount,
            },
        )
    }

    fn fold_refund(&mut self, record: RecordRef, amount: Money) -> Result<(), RecordError> {
        self.fold_dated(
            record,
            DatedEvent::Refund {
                amount: amount.amount,
            },
        )
    }

    #[inline]
    fn fold_dated(&mut self, record: RecordRef, event: DatedEvent) -> Result<(), RecordError> {
        let (clock, window_days) = (self.clock, self.options.frequency_window_days());
        self.customers
            .entry(record.customer())
            .or_default()
            .apply_dated(event, clock, window_days)
            .map_err(|e| RecordError::new(record, "amount", RecordErrorKind::Money(e)))
    }

    /// The day number of an instant in the reference zone: integer division for UTC,
    /// the zone cache otherwise.
    #[inline]
    fn day_of(&mut self, instant: DateTime<Utc>) -> i32 {
        match &mut self.zone_days {
            None => self.clock.day_of(instant),
            Some(zone_days) => zone_days.day_of(instant),
        }
    }

    #[inline]
    fn in_window(&self, day: i32) -> bool {
        self.options
            .frequency_window_days()
            .map_or(true, |w| self.clock.days_since(day) < w)
    }

    /// Folds an interaction. Interactions carry no amount and cannot fail; one after
    /// `as_of` is ignored and counted.
    pub fn add_interaction(&mut self, interaction: &Interaction) {
        if interaction.at > self.options.as_of() {
            self.ignored_after_as_of = self.ignored_after_as_of.saturating_add(1);
            return;
        }
        let day = self.day_of(interaction.at);
        let days_since = self.clock.days_since(day) as usize;
        let partial = self.customers.entry(interaction.customer).or_default();
        let tally = partial.interactions.get_or_insert_with(Box::default);
        tally
            .facts
            .record(interaction.kind, 1, Some(interaction.at));
        tally.last_day = Some(tally.last_day.map_or(day, |d| d.max(day)));
        if interaction.kind == InteractionKind::Login {
            if let Some(week) = tally.weekly_logins.get_mut(days_since / 7) {
                *week = week.saturating_add(1);
            }
        }
    }

    /// Folds a batch of records (typically [`ValidationReport::accepted`](crate::ValidationReport::accepted)): customers,
    /// orders, refunds and interactions.
    ///
    /// # Errors
    ///
    /// The first error of [`Aggregator::add_order`] or [`Aggregator::add_refund`];
    /// the records before it stay folded.
    ///
    /// # Example
    ///
    /// ```
    /// use chrono::{TimeZone, Utc};
    /// use patronage::{Aggregator, Currency, CustomerId, FactsOptions, ValidationMode, Order, OrderId, OrderStatus, Records, Validator};
    ///
    /// let t = |d| Utc.with_ymd_and_hms(2024, 6, d, 12, 0, 0).single().ok_or("bad date");
    /// let records = Records {
    ///     orders: vec![
    ///         Order::new(OrderId(1), CustomerId(5), t(1)?, "80.00 CNY".parse()?, OrderStatus::Paid),
    ///         Order::new(OrderId(1), CustomerId(6), t(2)?, "20.00 CNY".parse()?, OrderStatus::Paid),
    ///     ],
    ///     ..Records::default()
    /// };
    /// let report = Validator::validate(records, ValidationMode::Lenient)?;
    /// let mut agg = Aggregator::new(FactsOptions::new(t(30)?, Currency::CNY));
    /// agg.add_records(&report.accepted)?;
    /// assert_eq!((agg.len(), report.rejected.len()), (1, 1));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn add_records(&mut self, records: &Records) -> Result<(), RecordError> {
        for customer in &records.customers {
            self.add_customer(customer);
        }
        for order in &records.orders {
            self.add_order(order)?;
        }
        for refund in &records.refunds {
            self.add_refund(refund)?;
        }
        for interaction in &records.interactions {
            self.add_interaction(interaction);
        }
        Ok(())
    }

    /// Adds every customer of `other` into `self` (shards, day partitions).
    ///
    /// # Errors
    ///
    /// [`FactsErrorKind::OptionsMismatch`] when the options differ (nothing is merged);
    /// [`FactsErrorKind::Money`] when a customer's total overflows (customers merged
    /// before it stay merged; that customer and the rest are not).
    pub fn merge(&mut self, other: Aggregator) -> Result<(), FactsError> {
        if self.options != other.options {
            return Err(FactsError::new(FactsErrorKind::OptionsMismatch {
                expected: self.options.describe(),
                found: other.options.describe(),
            }));
        }
        self.ignored_after_as_of = self
            .ignored_after_as_of
            .saturating_add(other.ignored_after_as_of);
        for (id, points) in other.points {
            let kept = self.points.entry(id).or_insert(points);
            *kept = (*kept).max(points);
        }
        let mut theirs: Vec<(CustomerId, PartialFacts)> = other.customers.into_iter().collect();
        theirs.sort_unstable_by_key(|(id, _)| *id);
        for (id, partial) in theirs {
            match self.customers.get_mut(&id) {
                Some(mine) => mine.merge(&partial).map_err(|error| {
                    FactsError::new(FactsErrorKind::Money {
                        customer: id,
                        error,
                    })
                })?,
                None => {
                    self.customers.insert(id, partial);
                }
            }
        }
        Ok(())
    }

    /// The partial facts of a customer.
    pub fn partial(&self, customer: CustomerId) -> Option<&PartialFacts> {
        self.customers.get(&customer)
    }

    /// The facts of a customer, if seen.
    pub fn facts(&self, customer: CustomerId) -> Option<Facts> {
        self.customers.get(&customer).map(|p| {
            let mut facts = p.to_facts(customer, self.clock, &self.options);
            facts.points = self.points.get(&customer).copied();
            facts
        })
    }

    /// The facts of every customer, ordered by customer id.
    pub fn to_facts(&self) -> Vec<Facts> {
        let mut ids: Vec<CustomerId> = self.customers.keys().copied().collect();
        ids.sort_unstable();
        ids.into_iter().filter_map(|id| self.facts(id)).collect()
    }

    /// The columnar table of every customer, ordered by customer id.
    ///
    /// # Cost
    ///
    /// Sorts 16-byte `(id, reference)` pairs with a radix sort (not the customers'
    /// state) and writes each column straight from the partial facts; interactions
    /// are stored for the customers who interacted only.
    pub fn into_table(self) -> FactsTable {
        let rows: Vec<(u64, &PartialFacts)> =
            self.customers.iter().map(|(id, p)| (id.0, p)).collect();
        let rows = radix_sort_by_key(rows, |(id, _)| *id);
        let mut table = FactsTable::with_core_capacity(self.options, rows.len());
        let dates = DayDates::for_rows(self.clock.as_of_day, rows.len());
        for (id, partial) in &rows {
            table.push_partial(CustomerId(*id), partial, self.clock, &dates);
        }
        table.index_interactions();
        if !self.points.is_empty() {
            table.fill_points(|customer| self.points.get(&customer).copied());
        }
        table
    }

    fn check_currency(
        &self,
        record: RecordRef,
        field: &'static str,
        amount: Money,
    ) -> Result<(), RecordError> {
        check_currency(record, field, amount, self.options.currency())
    }
}

/// The points of a record usable on `as_of_date`: the balance less the lots whose last
/// day is before it (a lot expiring on `as_of_date` is still usable that day).
fn usable_points(points: &Points, as_of_date: NaiveDate) -> u64 {
    let expired = as_of_date
        .pred_opt()
        .map_or(0, |day_before| points.expiring_by(day_before));
    points.balance.saturating_sub(expired)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn partial_facts_stay_small() {
        // The hot per-customer state: counters, two decimals and one boxed pointer.
        assert!(
            std::mem::size_of::<PartialFacts>() <= 80,
            "{}",
            std::mem::size_of::<PartialFacts>()
        );
    }

    #[test]
    fn oibits() {
        fn assert_send_sync<T: Send + Sync + 'static>() {}
        assert_send_sync::<Aggregator>();
        assert_send_sync::<PartialFacts>();
        assert_send_sync::<FactsTable>();
    }

    #[test]
    fn min_of_options() {
        assert_eq!(min_opt(Some(3), None), Some(3));
        assert_eq!(min_opt(None, Some(2)), Some(2));
        assert_eq!(min_opt(Some(3), Some(2)), Some(2));
        assert_eq!(min_opt(None, None), None);
    }
}
