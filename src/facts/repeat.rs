//! The repeat-purchase summary (x, t_x, T, mean repeat value) behind BG/NBD and
//! Gamma-Gamma (R28, R29).

use std::collections::HashMap;

use chrono::NaiveDate;
use chrono_tz::Tz;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::customer::{CustomerId, Order};
use crate::customer::{RecordError, RecordErrorKind, RecordRef};
use crate::facts::partial::check_dated_purchase;
use crate::money::{Currency, Money};
use crate::money::{MoneyError, MoneyErrorKind};
use rustc_hash::FxBuildHasher;

/// One customer's repeat-purchase summary over a calibration period, in the convention
/// of the reference implementations (Fader–Hardie; `lifetimes`, `BTYD`).
///
/// # Purchase days, not purchases
///
/// Purchases on the same calendar day count once, their values summed: `x` is the
/// number of distinct purchase days minus one (repeat purchases only), `t_x` the days
/// from the first to the last purchase day, `t` the days from the first purchase day to
/// the end of calibration, and `mean_repeat_value` the mean of the summed values of the
/// repeat days (zero when `x = 0`). SPEC §8 counts same-day purchases separately for
/// the RFM facts; the models count days, as published results do.
///
/// # Fitting the models
///
/// The models read times in a period of the host's choosing (weeks for the published
/// CDNOW fits) as `f64`:
/// [`ObservationTable::from_summaries`](crate::predict::ObservationTable::from_summaries)
/// (or [`Observation::from_summary`](crate::predict::Observation::from_summary) for
/// one customer) converts these rows, in their order.
///
/// # Example
///
/// ```
/// use chrono::NaiveDate;
/// use patronage::{Currency, CustomerId, Money, RepeatSummaryBuilder};
/// use rust_decimal::Decimal;
///
/// let d = |m, day| NaiveDate::from_ymd_opt(1997, m, day).ok_or("bad date");
/// let mut builder = RepeatSummaryBuilder::new(d(9, 30)?, Currency::USD);
/// builder.add_purchase(CustomerId(1), d(1, 1)?, Money::new(Decimal::new(2933, 2), Currency::USD))?;
/// builder.add_purchase(CustomerId(1), d(1, 18)?, Money::new(Decimal::new(2973, 2), Currency::USD))?;
/// builder.add_purchase(CustomerId(1), d(8, 2)?, Money::new(Decimal::new(1496, 2), Currency::USD))?;
/// let summary = builder.finish()?;
/// let one = &summary[0];
/// assert_eq!((one.x, one.t_x, one.t), (2, 213, 272));
/// assert_eq!(format!("{:.2} {:.2}", one.t_x_weeks(), one.t_weeks()), "30.43 38.86");
/// assert_eq!(one.mean_repeat_value.to_string(), "22.345");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RepeatSummary {
    /// The customer.
    pub customer: CustomerId,
    /// The first purchase day.
    pub first_purchase: NaiveDate,
    /// Repeat purchase days: distinct purchase days − 1.
    pub x: u32,
    /// Days from the first to the last purchase day.
    pub t_x: u32,
    /// Days from the first purchase day to the end of calibration.
    pub t: u32,
    /// Mean of the summed values of the repeat purchase days, without trailing zeros;
    /// zero when `x = 0`.
    pub mean_repeat_value: Decimal,
}

impl RepeatSummary {
    /// `t_x` in weeks (days / 7), the unit of the published CDNOW fits.
    pub fn t_x_weeks(&self) -> f64 {
        f64::from(self.t_x) / 7.0
    }

    /// `t` in weeks (days / 7).
    pub fn t_weeks(&self) -> f64 {
        f64::from(self.t) / 7.0
    }
}

/// Builds [`RepeatSummary`] rows from purchases, in any order.
///
/// Purchases after the calibration end are ignored and counted
/// ([`RepeatSummaryBuilder::ignored_after_end`]). Orders that are not purchases
/// (cancelled, fully refunded) add nothing when given to
/// [`RepeatSummaryBuilder::add_order`].
#[derive(Clone, Debug)]
pub struct RepeatSummaryBuilder {
    end: NaiveDate,
    currency: Currency,
    time_zone: Tz,
    purchases: HashMap<CustomerId, Vec<(NaiveDate, Decimal)>, FxBuildHasher>,
    ignored_after_end: u64,
}

impl RepeatSummaryBuilder {
    /// A builder for the calibration period ending on `calibration_end` (inclusive),
    /// for amounts in `currency` (a purchase in another currency is an error, never
    /// summed); instants become dates in UTC unless
    /// [`RepeatSummaryBuilder::with_time_zone`] says otherwise.
    pub fn new(calibration_end: NaiveDate, currency: Currency) -> RepeatSummaryBuilder {
        RepeatSummaryBuilder {
            end: calibration_end,
            currency,
            time_zone: Tz::UTC,
            purchases: HashMap::default(),
            ignored_after_end: 0,
        }
    }

    /// The same builder with another reference time zone for [`Self::add_order`].
    #[must_use]
    pub fn with_time_zone(self, time_zone: Tz) -> RepeatSummaryBuilder {
        RepeatSummaryBuilder { time_zone, ..self }
    }

    /// The currency of every amount, and of the summaries' mean repeat values.
    pub fn currency(&self) -> Currency {
        self.currency
    }

    /// Purchases dated after the calibration end, which were ignored.
    pub fn ignored_after_end(&self) -> u64 {
        self.ignored_after_end
    }

    /// Adds a purchase of `value` on `date`. Zero values count (a free item is a
    /// purchase day), as in the reference implementations.
    ///
    /// # Errors
    ///
    /// [`RecordErrorKind::WrongSign`] for a negative value (refunds are not purchases);
    /// [`RecordErrorKind::MixedCurrency`] for a value in another currency than the
    /// builder's. Nothing is added when an error is returned.
    pub fn add_purchase(
        &mut self,
        customer: CustomerId,
        date: NaiveDate,
        value: Money,
    ) -> Result<(), RecordError> {
        self.add(
            RecordRef::DatedPurchase { customer, date },
            customer,
            date,
            value,
        )
    }

    fn add(
        &mut self,
        record: RecordRef,
        customer: CustomerId,
        date: NaiveDate,
        value: Money,
    ) -> Result<(), RecordError> {
        check_dated_purchase(record, value, self.currency)?;
        let value = value.amount;
        let day = date;
        if day > self.end {
            self.ignored_after_end = self.ignored_after_end.saturating_add(1);
        } else {
            self.purchases
                .entry(customer)
                .or_default()
                .push((day, value));
        }
        Ok(())
    }

    /// Adds an order: a purchase of its net amount on its date in the builder's zone;
    /// an order that is not a purchase adds nothing.
    ///
    /// # Errors
    ///
    /// The errors of [`Order::check`] and [`Order::net`];
    /// [`RecordErrorKind::MixedCurrency`], naming the order, when its amount is in
    /// another currency than the builder's.
    pub fn add_order(&mut self, order: &Order) -> Result<(), RecordError> {
        order.check()?;
        if !order.is_purchase() {
            return Ok(());
        }
        let net = order.net()?;
        let date = order.placed_at.with_timezone(&self.time_zone).date_naive();
        self.add(order.record(), order.customer, date, net)
    }

    /// The summaries, ordered by customer id.
    ///
    /// # Errors
    ///
    /// [`RecordErrorKind::Money`] naming the customer when a day's or the repeat days'
    /// total overflows.
    pub fn finish(self) -> Result<Vec<RepeatSummary>, RecordError> {
        let end = self.end;
        let mut rows: Vec<(CustomerId, Vec<(NaiveDate, Decimal)>)> =
            self.purchases.into_iter().collect();
        rows.sort_unstable_by_key(|(id, _)| *id);
        let mut out = Vec::with_capacity(rows.len());
        for (customer, mut purchases) in rows {
            let overflow = |error: MoneyError| {
                RecordError::new(
                    RecordRef::Customer(customer),
                    "amount",
                    RecordErrorKind::Money(error),
                )
            };
            purchases.sort_unstable_by_key(|(day, _)| *day);
            // Sum values per day.
            let mut days: Vec<(NaiveDate, Decimal)> = Vec::with_capacity(purchases.len());
            for (day, value) in purchases {
                match days.last_mut() {
                    Some((last, total)) if *last == day => {
                        *total = add(*total, value).map_err(overflow)?;
                    }
                    _ => days.push((day, value)),
                }
            }
            let (Some(&(first, _)), Some(&(last, _))) = (days.first(), days.last()) else {
                continue;
            };
            let x = days.len().saturating_sub(1);
            let mut repeat_total = Decimal::ZERO;
            for (_, total) in days.iter().skip(1) {
                repeat_total = add(repeat_total, *total).map_err(overflow)?;
            }
            let mean_repeat_value = if x == 0 {
                Decimal::ZERO
            } else {
                // Dividing by a count ≥ 1 cannot overflow; trailing zeros are dropped.
                repeat_total
                    .checked_div(Decimal::from(x as u64))
                    .unwrap_or(Decimal::ZERO)
                    .normalize()
            };
            out.push(RepeatSummary {
                customer,
                first_purchase: first,
                x: u32::try_from(x).unwrap_or(u32::MAX),
                t_x: days_between(first, last),
                t: days_between(first, end),
                mean_repeat_value,
            });
        }
        Ok(out)
    }
}

/// Whole days from `from` to `to` (both purchase dates within the calibration period,
/// so `to >= from` and the span fits a `u32`).
fn days_between(from: NaiveDate, to: NaiveDate) -> u32 {
    u32::try_from(to.signed_duration_since(from).num_days()).unwrap_or(0)
}

fn add(a: Decimal, b: Decimal) -> Result<Decimal, MoneyError> {
    a.checked_add(b).ok_or_else(|| {
        MoneyError::new(MoneyErrorKind::Overflow {
            operation: format!("{a} + {b}"),
        })
    })
}
