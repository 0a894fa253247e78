//! The per-customer partial facts and the per-event rule that both population paths
//! (the streaming [`Aggregator`](crate::Aggregator) and the bulk
//! [`FactsTable::from_dated_events`](crate::FactsTable::from_dated_events)) fold with.

use chrono::NaiveDate;
use rust_decimal::Decimal;

use crate::customer::{check_refund_amount, RecordError, RecordErrorKind, RecordRef};
use crate::customer::{CustomerId, InteractionKind};
use crate::facts::table::averages;
use crate::facts::{
    date_of_day, Clock, Facts, FactsOptions, FrequencyBand, InteractionFacts, LOGIN_WEEKS,
};
use crate::money::{Currency, Money};
use crate::money::{MoneyError, MoneyErrorKind};

/// What one customer's events add up to so far: the mergeable state behind [`Facts`].
///
/// Two partials of the same customer, folded under the same [`FactsOptions`], combine
/// with [`PartialFacts::merge`]; merging is associative and commutative, and equals
/// folding all their events in one pass (every field is a count, a sum, a minimum or a
/// maximum).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PartialFacts {
    pub(super) registered_day: Option<i32>,
    pub(super) first_purchase_day: Option<i32>,
    pub(super) last_purchase_day: Option<i32>,
    pub(super) purchases: u32,
    pub(super) in_window: u32,
    pub(super) refunds: u32,
    pub(super) cancelled: u32,
    pub(super) monetary: Decimal,
    pub(super) refunded: Decimal,
    pub(super) interactions: Option<Box<InteractionTally>>,
}

/// Interaction counters, kept apart (and boxed) so that order-only customers stay small.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(super) struct InteractionTally {
    pub(super) facts: InteractionFacts,
    pub(super) last_day: Option<i32>,
    pub(super) weekly_logins: [u32; LOGIN_WEEKS],
}

impl PartialFacts {
    /// Adds `other` (the same customer's events from another shard) into `self`.
    ///
    /// # Errors
    ///
    /// [`MoneyErrorKind::Overflow`] when a total overflows a [`Decimal`]; `self` is then
    /// unchanged.
    pub fn merge(&mut self, other: &PartialFacts) -> Result<(), MoneyError> {
        let monetary = add_decimal(self.monetary, other.monetary)?;
        let refunded = add_decimal(self.refunded, other.refunded)?;
        self.monetary = monetary;
        self.refunded = refunded;
        self.registered_day = min_opt(self.registered_day, other.registered_day);
        self.first_purchase_day = min_opt(self.first_purchase_day, other.first_purchase_day);
        self.last_purchase_day = self.last_purchase_day.max(other.last_purchase_day);
        self.purchases = self.purchases.saturating_add(other.purchases);
        self.in_window = self.in_window.saturating_add(other.in_window);
        self.refunds = self.refunds.saturating_add(other.refunds);
        self.cancelled = self.cancelled.saturating_add(other.cancelled);
        if let Some(theirs) = &other.interactions {
            let mine = self.interactions.get_or_insert_with(Box::default);
            for kind in InteractionKind::ALL {
                mine.facts
                    .record(kind, theirs.facts.count(kind), theirs.facts.last(kind));
            }
            mine.last_day = mine.last_day.max(theirs.last_day);
            for (a, b) in mine.weekly_logins.iter_mut().zip(theirs.weekly_logins) {
                *a = a.saturating_add(b);
            }
        }
        Ok(())
    }

    /// Applies one event: an optional purchase day, a signed change of net spend, an
    /// optional refunded amount. The fallible sums come first, so an error leaves
    /// `self` unchanged.
    #[inline]
    pub(super) fn apply(
        &mut self,
        purchase_day: Option<(i32, bool)>,
        spend: Decimal,
        refund: Option<Decimal>,
    ) -> Result<(), MoneyError> {
        let monetary = add_decimal(self.monetary, spend)?;
        let refunded = match refund {
            Some(amount) => add_decimal(self.refunded, amount)?,
            None => self.refunded,
        };
        self.monetary = monetary;
        if refund.is_some() {
            self.refunded = refunded;
            self.refunds = self.refunds.saturating_add(1);
        }
        if let Some((day, in_window)) = purchase_day {
            self.purchases = self.purchases.saturating_add(1);
            if in_window {
                self.in_window = self.in_window.saturating_add(1);
            }
            self.first_purchase_day = Some(self.first_purchase_day.map_or(day, |d| d.min(day)));
            self.last_purchase_day = Some(self.last_purchase_day.map_or(day, |d| d.max(day)));
        }
        Ok(())
    }

    /// Applies one dated event (a purchase or a refund known by its date, already
    /// checked and not after `as_of`): the per-event rule shared by
    /// [`Aggregator::add_purchase_on`], [`Aggregator::add_refund_on`] and the columnar
    /// [`FactsTable::from_dated_events`].
    #[inline]
    pub(super) fn apply_dated(
        &mut self,
        event: DatedEvent,
        clock: Clock,
        window_days: Option<u32>,
    ) -> Result<(), MoneyError> {
        match event {
            DatedEvent::Purchase { day, amount } => {
                let in_window = window_days.map_or(true, |w| clock.days_since(day) < w);
                self.apply(Some((day, in_window)), amount, None)
            }
            DatedEvent::Refund { amount } => {
                // Negating a `Decimal` flips its sign bit: it cannot overflow.
                self.apply(None, -amount, Some(amount))
            }
        }
    }

    /// The facts derived from the partial (everything but the interaction counters).
    pub(super) fn derive(&self, clock: Clock, options: &FactsOptions) -> Derived {
        let days_since_first_purchase = self.first_purchase_day.map(|d| clock.days_since(d));
        let span_days = match options.frequency_window_days() {
            Some(days) => days,
            None => days_since_first_purchase.map_or(0, |d| d.saturating_add(1)),
        };
        let [yearly_average, quarterly_average, monthly_average] =
            averages(self.in_window, span_days);
        Derived {
            registered_on: self.registered_day.and_then(date_of_day),
            days_since_registration: self.registered_day.map(|d| clock.days_since(d)),
            first_purchase: self.first_purchase_day.and_then(date_of_day),
            last_purchase: self.last_purchase_day.and_then(date_of_day),
            days_since_first_purchase,
            recency_days: self.last_purchase_day.map(|d| clock.days_since(d)),
            frequency_band: options.frequency_bands().band(self.in_window),
            monthly_average,
            quarterly_average,
            yearly_average,
            average_order_value: if self.purchases == 0 {
                None
            } else {
                self.monetary.checked_div(Decimal::from(self.purchases))
            },
            days_since_last_interaction: self
                .interactions
                .as_ref()
                .and_then(|tally| tally.last_day)
                .map(|d| clock.days_since(d)),
            shown_interest: self.shown_interest(),
        }
    }

    /// Whether any browse, favorite or add-to-cart happened.
    pub(super) fn shown_interest(&self) -> bool {
        self.interactions.as_ref().is_some_and(|tally| {
            InteractionKind::ALL
                .iter()
                .any(|k| k.shows_interest() && tally.facts.count(*k) > 0)
        })
    }

    pub(super) fn to_facts(
        &self,
        customer: CustomerId,
        clock: Clock,
        options: &FactsOptions,
    ) -> Facts {
        let derived = self.derive(clock, options);
        let mut facts = Facts::empty(customer);
        facts.registered_on = derived.registered_on;
        facts.days_since_registration = derived.days_since_registration;
        facts.first_purchase = derived.first_purchase;
        facts.last_purchase = derived.last_purchase;
        facts.days_since_first_purchase = derived.days_since_first_purchase;
        facts.recency_days = derived.recency_days;
        facts.purchases = self.purchases;
        facts.frequency = self.in_window;
        facts.frequency_band = derived.frequency_band;
        facts.monthly_average = derived.monthly_average;
        facts.quarterly_average = derived.quarterly_average;
        facts.yearly_average = derived.yearly_average;
        facts.monetary = self.monetary;
        facts.average_order_value = derived.average_order_value;
        facts.refunds = self.refunds;
        facts.refunded = self.refunded;
        facts.cancelled = self.cancelled;
        if let Some(tally) = &self.interactions {
            facts.interactions = tally.facts;
            facts.weekly_logins = tally.weekly_logins;
        }
        facts.days_since_last_interaction = derived.days_since_last_interaction;
        facts.shown_interest = derived.shown_interest;
        facts
    }
}

/// The fields of [`Facts`] computed from a [`PartialFacts`] rather than copied from it.
#[derive(Clone, Copy, Debug)]
pub(super) struct Derived {
    pub(super) registered_on: Option<NaiveDate>,
    pub(super) days_since_registration: Option<u32>,
    pub(super) first_purchase: Option<NaiveDate>,
    pub(super) last_purchase: Option<NaiveDate>,
    pub(super) days_since_first_purchase: Option<u32>,
    pub(super) recency_days: Option<u32>,
    pub(super) frequency_band: FrequencyBand,
    pub(super) monthly_average: f64,
    pub(super) quarterly_average: f64,
    pub(super) yearly_average: f64,
    pub(super) average_order_value: Option<Decimal>,
    pub(super) days_since_last_interaction: Option<u32>,
    pub(super) shown_interest: bool,
}

/// A checked event known by its date, reduced to what it does to the facts.
#[derive(Clone, Copy, Debug)]
pub(super) enum DatedEvent {
    /// A purchase on day `day` (days since 1970-01-01, not after `as_of`) of `amount`
    /// (zero or more).
    Purchase {
        /// The day number.
        day: i32,
        /// The amount, zero or more.
        amount: Decimal,
    },
    /// A refund event of `amount` (above zero).
    Refund {
        /// The refunded amount.
        amount: Decimal,
    },
}

/// The checks of a purchase known by its date: zero or positive, in `currency`.
#[inline]
pub(super) fn check_dated_purchase(
    record: RecordRef,
    amount: Money,
    currency: Currency,
) -> Result<(), RecordError> {
    if amount.amount.is_sign_negative() && !amount.amount.is_zero() {
        return Err(RecordError::new(
            record,
            "amount",
            RecordErrorKind::WrongSign {
                expected: "a zero or positive",
                found: amount.to_string(),
            },
        ));
    }
    check_currency(record, "amount", amount, currency)
}

/// The checks of a refund known by its date: above zero, in `currency`.
#[inline]
pub(super) fn check_dated_refund(
    record: RecordRef,
    amount: Money,
    currency: Currency,
) -> Result<(), RecordError> {
    check_refund_amount(record, amount)?;
    check_currency(record, "amount", amount, currency)
}

#[inline]
pub(super) fn check_currency(
    record: RecordRef,
    field: &'static str,
    amount: Money,
    currency: Currency,
) -> Result<(), RecordError> {
    if amount.currency == currency {
        Ok(())
    } else {
        Err(RecordError::new(
            record,
            field,
            RecordErrorKind::MixedCurrency {
                expected: currency.to_string(),
                found: amount.to_string(),
            },
        ))
    }
}

pub(super) fn min_opt(a: Option<i32>, b: Option<i32>) -> Option<i32> {
    match (a, b) {
        (Some(x), Some(y)) => Some(x.min(y)),
        (x, None) => x,
        (None, y) => y,
    }
}

pub(super) fn add_decimal(a: Decimal, b: Decimal) -> Result<Decimal, MoneyError> {
    a.checked_add(b).ok_or_else(|| {
        MoneyError::new(MoneyErrorKind::Overflow {
            operation: format!("{a} + {b}"),
        })
    })
}

pub(super) fn sub_decimal(a: Decimal, b: Decimal) -> Result<Decimal, MoneyError> {
    a.checked_sub(b).ok_or_else(|| {
        MoneyError::new(MoneyErrorKind::Overflow {
            operation: format!("{a} - {b}"),
        })
    })
}
