//! The per-row fold of dated events for a host that keeps each customer's
//! [`PartialFacts`] itself (a query engine's grouped aggregate), and the plain values
//! such a host stores and ships between its partitions.

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::customer::{CustomerId, RecordError, RecordErrorKind, RecordRef};
use crate::facts::partial::{check_dated_purchase, check_dated_refund, DatedEvent};
use crate::facts::{day_of_date, Clock, Facts, FactsOptions, PartialFacts};
use crate::money::Money;

/// The order part of a [`PartialFacts`] as plain values: what a host stores per
/// customer in its own columns and ships between partitions, to rebuild the partial
/// with [`PartialFacts::from_order_parts`] and [`merge`](PartialFacts::merge) it there.
///
/// Days are day numbers since 1970-01-01 in the reference zone (Arrow's `date32`).
/// Interaction counters are not part of it: a partial with interactions loses them on
/// the way ([`PartialFacts::order_parts`]).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[non_exhaustive]
pub struct OrderParts {
    /// The registration day, when known.
    pub registered_day: Option<i32>,
    /// The first purchase day.
    pub first_purchase_day: Option<i32>,
    /// The last purchase day.
    pub last_purchase_day: Option<i32>,
    /// Purchases, all time.
    pub purchases: u32,
    /// Purchases in the frequency window.
    pub in_window: u32,
    /// Refunds.
    pub refunds: u32,
    /// Cancelled orders.
    pub cancelled: u32,
    /// Net spend.
    pub monetary: Decimal,
    /// Refunded amount.
    pub refunded: Decimal,
}

impl PartialFacts {
    /// The order part of the partial facts as plain values (interactions left out).
    ///
    /// # Example
    ///
    /// ```
    /// use chrono::NaiveDate;
    /// use patronage::facts::{DatedFolder, PartialFacts};
    /// use patronage::{Config, Currency, CustomerId};
    ///
    /// let as_of = NaiveDate::from_ymd_opt(2024, 12, 31).ok_or("bad date")?;
    /// let folder = DatedFolder::new(Config::reference().facts_options_on(as_of, Currency::CNY)?);
    /// let mut partial = PartialFacts::default();
    /// folder.fold(&mut partial, CustomerId(1), as_of, "12.50 CNY".parse()?)?;
    /// let parts = partial.order_parts();
    /// assert_eq!((parts.purchases, parts.monetary.to_string()), (1, "12.50".to_owned()));
    /// assert_eq!(PartialFacts::from_order_parts(parts), partial);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn order_parts(&self) -> OrderParts {
        OrderParts {
            registered_day: self.registered_day,
            first_purchase_day: self.first_purchase_day,
            last_purchase_day: self.last_purchase_day,
            purchases: self.purchases,
            in_window: self.in_window,
            refunds: self.refunds,
            cancelled: self.cancelled,
            monetary: self.monetary,
            refunded: self.refunded,
        }
    }

    /// Partial facts of orders only, from their parts (the inverse of
    /// [`PartialFacts::order_parts`] for a partial without interactions).
    ///
    /// # Example
    ///
    /// ```
    /// use patronage::facts::{OrderParts, PartialFacts};
    /// use rust_decimal::Decimal;
    ///
    /// let mut parts = OrderParts::default();
    /// parts.purchases = 2;
    /// parts.monetary = Decimal::new(1999, 2);
    /// assert_eq!(PartialFacts::from_order_parts(parts).order_parts(), parts);
    /// ```
    pub fn from_order_parts(parts: OrderParts) -> PartialFacts {
        PartialFacts {
            registered_day: parts.registered_day,
            first_purchase_day: parts.first_purchase_day,
            last_purchase_day: parts.last_purchase_day,
            purchases: parts.purchases,
            in_window: parts.in_window,
            refunds: parts.refunds,
            cancelled: parts.cancelled,
            monetary: parts.monetary,
            refunded: parts.refunded,
            interactions: None,
        }
    }
}

/// Folds dated rows (a purchase of a zero or positive amount, a refund of a negative
/// one) into a customer's [`PartialFacts`] under one [`FactsOptions`], and finishes a
/// partial into [`Facts`]: the per-row rule of [`Aggregator::add_purchase_on`],
/// [`Aggregator::add_refund_on`] and [`FactsTable::from_dated_events`], for a host
/// that keeps the per-customer state itself (a query engine's grouped aggregate, whose
/// partitions then [`merge`](PartialFacts::merge) their partials).
///
/// The `as_of` day is computed once, when the folder is built.
///
/// [`Aggregator::add_purchase_on`]: crate::Aggregator::add_purchase_on
/// [`Aggregator::add_refund_on`]: crate::Aggregator::add_refund_on
/// [`FactsTable::from_dated_events`]: crate::FactsTable::from_dated_events
///
/// # Example
///
/// ```
/// use chrono::NaiveDate;
/// use patronage::facts::{DatedFolder, PartialFacts};
/// use patronage::{Aggregator, Config, Currency, CustomerId};
///
/// let as_of = NaiveDate::from_ymd_opt(2024, 12, 31).ok_or("bad date")?;
/// let options = Config::reference().facts_options_on(as_of, Currency::CNY)?;
/// let folder = DatedFolder::new(options);
/// let day = NaiveDate::from_ymd_opt(2024, 12, 1).ok_or("bad date")?;
/// let (mut east, mut west) = (PartialFacts::default(), PartialFacts::default());
/// folder.fold(&mut east, CustomerId(7), day, "30.00 CNY".parse()?)?;
/// folder.fold(&mut west, CustomerId(7), as_of, "-5.00 CNY".parse()?)?;
/// east.merge(&west)?;
///
/// let mut agg = Aggregator::new(options);
/// agg.add_purchase_on(CustomerId(7), day, "30.00 CNY".parse()?)?;
/// agg.add_refund_on(CustomerId(7), as_of, "5.00 CNY".parse()?)?;
/// assert_eq!(Some(folder.facts(CustomerId(7), &east)), agg.facts(CustomerId(7)));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Copy, Debug)]
pub struct DatedFolder {
    options: FactsOptions,
    clock: Clock,
}

impl DatedFolder {
    /// A folder for facts as of `options`.
    ///
    /// # Example
    ///
    /// ```
    /// use chrono::NaiveDate;
    /// use patronage::facts::{DatedFolder, PartialFacts};
    /// use patronage::{Config, Currency, CustomerId};
    ///
    /// let as_of = NaiveDate::from_ymd_opt(1970, 1, 11).ok_or("bad date")?;
    /// let options = Config::reference().facts_options_on(as_of, Currency::CNY)?;
    /// let folder = DatedFolder::new(options);
    /// assert_eq!((folder.options(), folder.as_of_day()), (&options, 10));
    /// let mut partial = PartialFacts::default();
    /// folder.fold(&mut partial, CustomerId(2), as_of, "3.00 CNY".parse()?)?;
    /// let facts = folder.facts(CustomerId(2), &partial);
    /// assert_eq!((facts.customer, facts.recency_days), (CustomerId(2), Some(0)));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn new(options: FactsOptions) -> DatedFolder {
        DatedFolder {
            clock: Clock::new(&options),
            options,
        }
    }

    /// The options the folder folds under.
    ///
    /// # Example
    ///
    /// ```
    /// use chrono::NaiveDate;
    /// use patronage::facts::{DatedFolder, PartialFacts};
    /// use patronage::{Config, Currency, CustomerId};
    ///
    /// let as_of = NaiveDate::from_ymd_opt(1970, 1, 11).ok_or("bad date")?;
    /// let options = Config::reference().facts_options_on(as_of, Currency::CNY)?;
    /// let folder = DatedFolder::new(options);
    /// assert_eq!((folder.options(), folder.as_of_day()), (&options, 10));
    /// let mut partial = PartialFacts::default();
    /// folder.fold(&mut partial, CustomerId(2), as_of, "3.00 CNY".parse()?)?;
    /// let facts = folder.facts(CustomerId(2), &partial);
    /// assert_eq!((facts.customer, facts.recency_days), (CustomerId(2), Some(0)));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn options(&self) -> &FactsOptions {
        &self.options
    }

    /// The `as_of` date's day number since 1970-01-01 (Arrow's `date32`): rows of a
    /// later day are ignored.
    ///
    /// # Example
    ///
    /// ```
    /// use chrono::NaiveDate;
    /// use patronage::facts::{DatedFolder, PartialFacts};
    /// use patronage::{Config, Currency, CustomerId};
    ///
    /// let as_of = NaiveDate::from_ymd_opt(1970, 1, 11).ok_or("bad date")?;
    /// let options = Config::reference().facts_options_on(as_of, Currency::CNY)?;
    /// let folder = DatedFolder::new(options);
    /// assert_eq!((folder.options(), folder.as_of_day()), (&options, 10));
    /// let mut partial = PartialFacts::default();
    /// folder.fold(&mut partial, CustomerId(2), as_of, "3.00 CNY".parse()?)?;
    /// let facts = folder.facts(CustomerId(2), &partial);
    /// assert_eq!((facts.customer, facts.recency_days), (CustomerId(2), Some(0)));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn as_of_day(&self) -> i32 {
        self.clock.as_of_day
    }

    /// Folds one dated row of `customer` into `partial`: a zero or positive `amount` is
    /// a purchase on `date`, a negative one a refund of its absolute value (it lowers
    /// net spend and never refreshes recency). Returns `false` for a row after the
    /// `as_of` date, which is ignored.
    ///
    /// # Errors
    ///
    /// [`RecordErrorKind::MixedCurrency`] when `amount` is not in the options'
    /// currency; [`RecordErrorKind::Money`] when a total overflows. `partial` is
    /// unchanged on error.
    ///
    /// # Example
    ///
    /// ```
    /// use chrono::NaiveDate;
    /// use patronage::facts::{DatedFolder, PartialFacts};
    /// use patronage::{Config, Currency, CustomerId};
    ///
    /// let as_of = NaiveDate::from_ymd_opt(2024, 12, 31).ok_or("bad date")?;
    /// let folder = DatedFolder::new(Config::reference().facts_options_on(as_of, Currency::CNY)?);
    /// let mut partial = PartialFacts::default();
    /// let err = folder.fold(&mut partial, CustomerId(3), as_of, "1.00 USD".parse()?).unwrap_err();
    /// assert_eq!(
    ///     err.to_string(),
    ///     "purchase of customer `3` on 2024-12-31: field `amount`: expected an amount in `CNY`, found `1.00 USD`; convert it before folding",
    /// );
    /// let later = NaiveDate::from_ymd_opt(2025, 1, 1).ok_or("bad date")?;
    /// assert!(!folder.fold(&mut partial, CustomerId(3), later, "1.00 CNY".parse()?)?);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[inline]
    pub fn fold(
        &self,
        partial: &mut PartialFacts,
        customer: CustomerId,
        date: NaiveDate,
        amount: Money,
    ) -> Result<bool, RecordError> {
        let currency = self.options.currency();
        let (record, event) = if amount.amount.is_sign_negative() && !amount.amount.is_zero() {
            let record = RecordRef::DatedRefund { customer, date };
            // Negating a `Decimal` flips its sign bit: it cannot overflow.
            let refunded = Money::new(-amount.amount, amount.currency);
            check_dated_refund(record, refunded, currency)?;
            (
                record,
                DatedEvent::Refund {
                    amount: refunded.amount,
                },
            )
        } else {
            let record = RecordRef::DatedPurchase { customer, date };
            check_dated_purchase(record, amount, currency)?;
            let day = day_of_date(date);
            (
                record,
                DatedEvent::Purchase {
                    day,
                    amount: amount.amount,
                },
            )
        };
        if day_of_date(date) > self.clock.as_of_day {
            return Ok(false);
        }
        partial
            .apply_dated(event, self.clock, self.options.frequency_window_days())
            .map_err(|e| RecordError::new(record, "amount", RecordErrorKind::Money(e)))?;
        Ok(true)
    }

    /// The facts of `customer` from their partial facts, as
    /// [`Aggregator::facts`](crate::Aggregator::facts) finishes them (no loyalty
    /// points: a dated row carries none).
    ///
    /// # Example
    ///
    /// ```
    /// use chrono::NaiveDate;
    /// use patronage::facts::{DatedFolder, PartialFacts};
    /// use patronage::{Config, Currency, CustomerId};
    ///
    /// let as_of = NaiveDate::from_ymd_opt(1970, 1, 11).ok_or("bad date")?;
    /// let options = Config::reference().facts_options_on(as_of, Currency::CNY)?;
    /// let folder = DatedFolder::new(options);
    /// assert_eq!((folder.options(), folder.as_of_day()), (&options, 10));
    /// let mut partial = PartialFacts::default();
    /// folder.fold(&mut partial, CustomerId(2), as_of, "3.00 CNY".parse()?)?;
    /// let facts = folder.facts(CustomerId(2), &partial);
    /// assert_eq!((facts.customer, facts.recency_days), (CustomerId(2), Some(0)));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn facts(&self, customer: CustomerId, partial: &PartialFacts) -> Facts {
        partial.to_facts(customer, self.clock, &self.options)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;
    use crate::facts::{Aggregator, FactsTable};
    use crate::money::Currency;

    #[test]
    fn folding_rows_equals_the_bulk_path() {
        let as_of = NaiveDate::from_ymd_opt(2024, 12, 31).unwrap();
        let options = Config::reference()
            .facts_options_on(as_of, Currency::CNY)
            .unwrap();
        let folder = DatedFolder::new(options);
        let mut rows = Vec::new();
        for i in 0..300_i64 {
            let customer = CustomerId((i * 7 % 23) as u64);
            let date = as_of - chrono::Days::new((i * 37 % 500) as u64) + chrono::Days::new(2);
            let cents = if i % 9 == 4 {
                -(i % 50 + 1)
            } else {
                i * 13 % 9000
            };
            rows.push((
                customer,
                date,
                Money::new(Decimal::new(cents, 2), Currency::CNY),
            ));
        }
        let mut partials = std::collections::BTreeMap::<CustomerId, PartialFacts>::new();
        for (customer, date, amount) in &rows {
            let partial = partials.entry(*customer).or_default();
            folder.fold(partial, *customer, *date, *amount).unwrap();
        }
        let customers: Vec<CustomerId> = rows.iter().map(|r| r.0).collect();
        let dates: Vec<NaiveDate> = rows.iter().map(|r| r.1).collect();
        let amounts: Vec<Money> = rows.iter().map(|r| r.2).collect();
        let bulk = FactsTable::from_dated_events(&options, &customers, &dates, &amounts).unwrap();
        // Rows after `as_of` leave a customer without a partial in the bulk path only
        // when all of its rows are later; none is here.
        let folded =
            FactsTable::from_facts(options, partials.iter().map(|(id, p)| folder.facts(*id, p)))
                .unwrap();
        assert_eq!(folded, bulk);
        let mut agg = Aggregator::new(options);
        for (customer, date, amount) in &rows {
            if amount.is_negative() {
                agg.add_refund_on(*customer, *date, amount.negated())
                    .unwrap();
            } else {
                agg.add_purchase_on(*customer, *date, *amount).unwrap();
            }
        }
        for (id, partial) in &partials {
            assert_eq!(Some(folder.facts(*id, partial)), agg.facts(*id));
        }
    }

    #[test]
    fn overflow_names_the_row() {
        let as_of = NaiveDate::from_ymd_opt(2024, 12, 31).unwrap();
        let options = Config::reference()
            .facts_options_on(as_of, Currency::CNY)
            .unwrap();
        let folder = DatedFolder::new(options);
        let mut partial = PartialFacts::default();
        let big = Money::new(Decimal::MAX, Currency::CNY);
        assert!(folder
            .fold(&mut partial, CustomerId(5), as_of, big)
            .unwrap());
        let before = partial.clone();
        let err = folder
            .fold(&mut partial, CustomerId(5), as_of, big)
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "purchase of customer `5` on 2024-12-31: field `amount`: `79228162514264337593543950335 + 79228162514264337593543950335` overflows: amounts must stay within ±79228162514264337593543950335"
        );
        assert_eq!(partial, before);
    }
}
