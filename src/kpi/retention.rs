//! Order KPIs: repeat retention (SPEC §8), classic retention `(E − N) / S`, churn,
//! purchase frequency, AOV, and the repurchase-rate and AOV lifts against the same
//! period a year earlier.

use chrono::{DateTime, Duration, Utc};
use rust_decimal::prelude::ToPrimitive;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::customer::{CustomerId, Order};
use crate::kpi::error::{KpiError, KpiErrorKind};
use crate::kpi::idmap::{id_map, IdMap};
use crate::kpi::period::Period;
use crate::kpi::survey::share_kpi;
use crate::kpi::targets::Targets;
use crate::kpi::value::{Kpi, KpiName, Sample};
use crate::money::{Currency, Money};

/// The purchases of one period: purchasing customers, repeat customers (≥ 2
/// purchases), purchases and net spend.
///
/// Purchases are orders with [`Order::is_purchase`]; net spend is the amount paid less
/// the refund the status carries. Tallies of customer-disjoint shards add up.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SalesTally {
    /// Customers with at least one purchase.
    pub customers: u64,
    /// Customers with at least two purchases.
    pub repeat_customers: u64,
    /// Purchases.
    pub purchases: u64,
    /// Net spend of the purchases.
    pub net_spend: Money,
}

impl SalesTally {
    /// Nothing sold, in `currency`.
    pub fn new(currency: Currency) -> SalesTally {
        SalesTally {
            customers: 0,
            repeat_customers: 0,
            purchases: 0,
            net_spend: Money::zero(currency),
        }
    }

    /// Adds a customer-disjoint shard's tally.
    ///
    /// # Errors
    ///
    /// [`KpiErrorKind::InvalidArgument`] when the currencies differ or the spend
    /// overflows.
    ///
    /// # Example
    ///
    /// ```
    /// use patronage::Currency;
    /// let mut a = patronage::kpi::SalesTally::new(Currency::CNY);
    /// a.merge(&patronage::kpi::SalesTally::new(Currency::CNY))?;
    /// assert_eq!(a.customers, 0);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn merge(&mut self, other: &SalesTally) -> Result<(), KpiError> {
        let spend = self.net_spend.checked_add(other.net_spend).map_err(|_| {
            crate::kpi::interval::invalid(
                "other.net_spend",
                &other.net_spend.to_string(),
                "an amount in the same currency whose sum fits a decimal",
            )
        })?;
        self.customers += other.customers;
        self.repeat_customers += other.repeat_customers;
        self.purchases += other.purchases;
        self.net_spend = spend;
        Ok(())
    }

    /// Repeat retention: repeat customers / customers.
    fn retention(&self) -> Option<f64> {
        (self.customers > 0).then(|| self.repeat_customers as f64 / self.customers as f64)
    }

    /// AOV: net spend / purchases, exact.
    fn aov(&self) -> Option<Decimal> {
        if self.purchases == 0 {
            return None;
        }
        self.net_spend
            .amount
            .checked_div(Decimal::from(self.purchases))
    }
}

/// Options of the order KPIs.
///
/// # Example
///
/// ```
/// let options = patronage::kpi::OrderOptions::new(patronage::Currency::CNY);
/// assert_eq!(options.activity_window_days, 365);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct OrderOptions {
    /// The report's currency; an order in another is an error.
    pub currency: Currency,
    /// Classic retention: a customer is *active* at an instant when they made a
    /// purchase in the preceding `activity_window_days` days (default 365).
    pub activity_window_days: u32,
}

impl OrderOptions {
    /// Defaults in `currency`.
    pub fn new(currency: Currency) -> OrderOptions {
        OrderOptions {
            currency,
            activity_window_days: 365,
        }
    }
}

/// The order counts behind every order KPI of a period: this period's and the same
/// period last year's [`SalesTally`], and the classic-retention counts.
///
/// # Classic retention
///
/// `(E − N) / S` with `S` the customers active at the period's start, `E` those active
/// at its end, and `N` those active at the end who were not active at the start (new
/// *and* reactivated customers), so `E − N` is the customers active at both ends and
/// the rate lies in `[0, 1]`. Churn is `(S − (E − N)) / S`.
///
/// # Example
///
/// ```
/// use chrono::{TimeZone, Utc};
/// use patronage::{Currency, CustomerId, Order, OrderId, OrderStatus};
/// use patronage::kpi::{OrderOptions, OrderTally, Period, Targets};
///
/// let period = Period::month(2024, 2, chrono_tz::UTC)?;
/// let at = |y, m, d| Utc.with_ymd_and_hms(y, m, d, 12, 0, 0).single().ok_or("date");
/// let orders = [
///     Order::new(OrderId(1), CustomerId(7), at(2024, 2, 3)?, "100 CNY".parse()?, OrderStatus::Paid),
///     Order::new(OrderId(2), CustomerId(7), at(2024, 2, 29)?, "50 CNY".parse()?, OrderStatus::Paid),
///     Order::new(OrderId(3), CustomerId(8), at(2024, 2, 10)?, "30 CNY".parse()?, OrderStatus::Paid),
/// ];
/// let tally = OrderTally::from_orders(&orders, &period, OrderOptions::new(Currency::CNY))?;
/// let retention = tally.repeat_retention(&Targets::reference())?;
/// assert_eq!(retention.value(), Some(0.5)); // customer 7 of 7 and 8
/// assert_eq!(tally.current().net_spend.to_string(), "180 CNY");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderTally {
    current: SalesTally,
    previous: SalesTally,
    active_at_start: u64,
    active_at_end: u64,
    active_at_both: u64,
}

/// One customer's counts, as [`OrderFold`] keeps them.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct CustomerSales {
    pub(crate) current: u32,
    pub(crate) previous: u32,
    pub(crate) active_at_start: bool,
    pub(crate) active_at_end: bool,
}

/// The windows an order is sorted into.
#[derive(Clone, Copy, Debug)]
pub(crate) struct OrderWindows {
    current: Period,
    previous: Period,
    start_window: (DateTime<Utc>, DateTime<Utc>),
    end_window: (DateTime<Utc>, DateTime<Utc>),
    currency: Currency,
}

impl OrderWindows {
    pub(crate) fn new(period: &Period, options: OrderOptions) -> Result<OrderWindows, KpiError> {
        let window = Duration::days(i64::from(options.activity_window_days));
        if options.activity_window_days == 0 {
            return Err(crate::kpi::interval::invalid(
                "activity_window_days",
                "0",
                "a window of at least 1 day",
            ));
        }
        Ok(OrderWindows {
            current: *period,
            previous: period.same_period_last_year()?,
            start_window: (period.start() - window, period.start()),
            end_window: (period.end() - window, period.end()),
            currency: options.currency,
        })
    }
}

/// A fold of orders by customer: the per-customer counts plus the two periods' spend.
#[derive(Debug)]
pub(crate) struct OrderFold {
    pub(crate) windows: OrderWindows,
    pub(crate) customers: IdMap<CustomerId, CustomerSales>,
    pub(crate) current_spend: Decimal,
    pub(crate) previous_spend: Decimal,
    pub(crate) current_purchases: u64,
    pub(crate) previous_purchases: u64,
}

impl OrderFold {
    pub(crate) fn new(windows: OrderWindows) -> OrderFold {
        OrderFold {
            windows,
            customers: id_map(0),
            current_spend: Decimal::ZERO,
            previous_spend: Decimal::ZERO,
            current_purchases: 0,
            previous_purchases: 0,
        }
    }

    pub(crate) fn add(&mut self, order: &Order) -> Result<(), KpiError> {
        let w = &self.windows;
        if order.amount.currency != w.currency {
            return Err(KpiError::new(KpiErrorKind::CurrencyMismatch {
                order: order.id,
                customer: order.customer,
                expected: w.currency,
                found: order.amount.currency,
            }));
        }
        if !order.is_purchase() {
            return Ok(());
        }
        let at = order.placed_at;
        let in_current = w.current.contains(at);
        let in_previous = w.previous.contains(at);
        let at_start = w.start_window.0 <= at && at < w.start_window.1;
        let at_end = w.end_window.0 <= at && at < w.end_window.1;
        if !(in_current || in_previous || at_start || at_end) {
            return Ok(());
        }
        let overflow = || {
            KpiError::new(KpiErrorKind::MoneyOverflow {
                order: order.id,
                customer: order.customer,
            })
        };
        if in_current || in_previous {
            let net = order
                .amount
                .amount
                .checked_sub(order.refunded().amount)
                .ok_or_else(overflow)?;
            if in_current {
                self.current_spend = self.current_spend.checked_add(net).ok_or_else(overflow)?;
                self.current_purchases += 1;
            } else {
                self.previous_spend = self.previous_spend.checked_add(net).ok_or_else(overflow)?;
                self.previous_purchases += 1;
            }
        }
        let entry = self.customers.entry(order.customer).or_default();
        entry.current += u32::from(in_current);
        entry.previous += u32::from(in_previous);
        entry.active_at_start |= at_start;
        entry.active_at_end |= at_end;
        Ok(())
    }
}

/// Adds one customer's counts to a tally (without spend).
pub(crate) fn add_customer(tally: &mut OrderTally, sales: &CustomerSales) {
    if sales.current > 0 {
        tally.current.customers += 1;
        tally.current.repeat_customers += u64::from(sales.current >= 2);
    }
    if sales.previous > 0 {
        tally.previous.customers += 1;
        tally.previous.repeat_customers += u64::from(sales.previous >= 2);
    }
    tally.current.purchases += u64::from(sales.current);
    tally.previous.purchases += u64::from(sales.previous);
    tally.active_at_start += u64::from(sales.active_at_start);
    tally.active_at_end += u64::from(sales.active_at_end);
    tally.active_at_both += u64::from(sales.active_at_start && sales.active_at_end);
}

impl OrderTally {
    /// Nothing sold, in `currency`.
    pub fn new(currency: Currency) -> OrderTally {
        OrderTally {
            current: SalesTally::new(currency),
            previous: SalesTally::new(currency),
            active_at_start: 0,
            active_at_end: 0,
            active_at_both: 0,
        }
    }

    /// Folds the orders for `period` and the same period last year.
    ///
    /// # Errors
    ///
    /// [`KpiErrorKind::CurrencyMismatch`] for an order in another currency;
    /// [`KpiErrorKind::MoneyOverflow`] when a total overflows;
    /// [`KpiErrorKind::InvalidArgument`] for a zero activity window.
    ///
    /// # Example
    ///
    /// See [`OrderTally`].
    pub fn from_orders(
        orders: &[Order],
        period: &Period,
        options: OrderOptions,
    ) -> Result<OrderTally, KpiError> {
        let mut fold = OrderFold::new(OrderWindows::new(period, options)?);
        for order in orders {
            fold.add(order)?;
        }
        let mut tally = OrderTally::new(options.currency);
        for sales in fold.customers.values() {
            add_customer(&mut tally, sales);
        }
        tally.current.net_spend = Money::new(fold.current_spend, options.currency);
        tally.previous.net_spend = Money::new(fold.previous_spend, options.currency);
        Ok(tally)
    }

    /// Adds a customer-disjoint shard's tally.
    ///
    /// # Errors
    ///
    /// As [`SalesTally::merge`].
    ///
    /// # Example
    ///
    /// ```
    /// use patronage::Currency;
    /// let mut a = patronage::kpi::OrderTally::new(Currency::CNY);
    /// a.merge(&patronage::kpi::OrderTally::new(Currency::CNY))?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn merge(&mut self, other: &OrderTally) -> Result<(), KpiError> {
        self.current.merge(&other.current)?;
        self.previous.merge(&other.previous)?;
        self.active_at_start += other.active_at_start;
        self.active_at_end += other.active_at_end;
        self.active_at_both += other.active_at_both;
        Ok(())
    }

    pub(crate) fn set_spend(&mut self, current: Money, previous: Money) {
        self.current.net_spend = current;
        self.previous.net_spend = previous;
    }

    /// This period's sales.
    pub fn current(&self) -> &SalesTally {
        &self.current
    }

    /// The same period last year's sales.
    pub fn previous(&self) -> &SalesTally {
        &self.previous
    }

    /// Customers active at the start (`S`), at the end (`E`), and at both (`E − N`).
    pub fn activity(&self) -> (u64, u64, u64) {
        (
            self.active_at_start,
            self.active_at_end,
            self.active_at_both,
        )
    }

    /// Repeat retention (SPEC §8): customers with ≥ 2 purchases / customers with ≥ 1.
    ///
    /// # Errors
    ///
    /// Only with unvalidated targets (an invalid confidence level).
    ///
    /// # Example
    ///
    /// See [`OrderTally`].
    pub fn repeat_retention(&self, targets: &Targets) -> Result<Kpi, KpiError> {
        share_kpi(
            KpiName::RepeatRetention,
            self.current.repeat_customers,
            self.current.customers,
            targets,
        )
    }

    /// Classic retention `(E − N) / S`.
    ///
    /// # Errors
    ///
    /// Only with unvalidated targets (an invalid confidence level).
    ///
    /// # Example
    ///
    /// ```
    /// let tally = patronage::kpi::OrderTally::new(patronage::Currency::CNY);
    /// assert_eq!(tally.classic_retention(&patronage::kpi::Targets::reference())?.value(), None);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn classic_retention(&self, targets: &Targets) -> Result<Kpi, KpiError> {
        share_kpi(
            KpiName::ClassicRetention,
            self.active_at_both,
            self.active_at_start,
            targets,
        )
    }

    /// Churn `(S − (E − N)) / S`.
    ///
    /// # Errors
    ///
    /// Only with unvalidated targets (an invalid confidence level).
    ///
    /// # Example
    ///
    /// ```
    /// let tally = patronage::kpi::OrderTally::new(patronage::Currency::CNY);
    /// assert_eq!(tally.churn_rate(&patronage::kpi::Targets::reference())?.value(), None);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn churn_rate(&self, targets: &Targets) -> Result<Kpi, KpiError> {
        share_kpi(
            KpiName::ChurnRate,
            self.active_at_start - self.active_at_both,
            self.active_at_start,
            targets,
        )
    }

    /// Purchase frequency: purchases / purchasing customers in the period.
    ///
    /// # Example
    ///
    /// ```
    /// use chrono::{TimeZone, Utc};
    /// use patronage::{Currency, CustomerId, Order, OrderId, OrderStatus};
    /// use patronage::kpi::{OrderOptions, OrderTally, Period, Targets};
    ///
    /// let at = |y, d| Utc.with_ymd_and_hms(y, 3, d, 12, 0, 0).single().ok_or("date");
    /// let orders = [
    ///     Order::new(OrderId(1), CustomerId(7), at(2023, 1)?, "80 CNY".parse()?, OrderStatus::Paid),
    ///     Order::new(OrderId(2), CustomerId(7), at(2023, 9)?, "80 CNY".parse()?, OrderStatus::Paid),
    ///     Order::new(OrderId(3), CustomerId(8), at(2023, 9)?, "80 CNY".parse()?, OrderStatus::Paid),
    ///     Order::new(OrderId(4), CustomerId(7), at(2024, 2)?, "90 CNY".parse()?, OrderStatus::Paid),
    ///     Order::new(OrderId(5), CustomerId(7), at(2024, 5)?, "90 CNY".parse()?, OrderStatus::Paid),
    ///     Order::new(OrderId(6), CustomerId(8), at(2024, 5)?, "90 CNY".parse()?, OrderStatus::Paid),
    ///     Order::new(OrderId(7), CustomerId(8), at(2024, 6)?, "90 CNY".parse()?, OrderStatus::Paid),
    /// ];
    /// let march = Period::month(2024, 3, chrono_tz::UTC)?;
    /// let tally = OrderTally::from_orders(&orders, &march, OrderOptions::new(Currency::CNY))?;
    /// let targets = Targets::reference();
    /// assert_eq!(tally.purchase_frequency(&targets).value(), Some(2.0)); // 4 purchases, 2 customers
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn purchase_frequency(&self, targets: &Targets) -> Kpi {
        let c = &self.current;
        targets.kpi(
            KpiName::PurchaseFrequency,
            (c.customers > 0).then(|| c.purchases as f64 / c.customers as f64),
            Sample::Ratio {
                numerator: c.purchases,
                denominator: c.customers,
            },
            None,
        )
    }

    /// AOV: net spend / purchases in the period (as a number in the report's currency).
    ///
    /// # Example
    ///
    /// ```
    /// use chrono::{TimeZone, Utc};
    /// use patronage::{Currency, CustomerId, Order, OrderId, OrderStatus};
    /// use patronage::kpi::{OrderOptions, OrderTally, Period, Targets};
    ///
    /// let at = |y, d| Utc.with_ymd_and_hms(y, 3, d, 12, 0, 0).single().ok_or("date");
    /// let orders = [
    ///     Order::new(OrderId(1), CustomerId(7), at(2023, 1)?, "80 CNY".parse()?, OrderStatus::Paid),
    ///     Order::new(OrderId(2), CustomerId(7), at(2023, 9)?, "80 CNY".parse()?, OrderStatus::Paid),
    ///     Order::new(OrderId(3), CustomerId(8), at(2023, 9)?, "80 CNY".parse()?, OrderStatus::Paid),
    ///     Order::new(OrderId(4), CustomerId(7), at(2024, 2)?, "90 CNY".parse()?, OrderStatus::Paid),
    ///     Order::new(OrderId(5), CustomerId(7), at(2024, 5)?, "90 CNY".parse()?, OrderStatus::Paid),
    ///     Order::new(OrderId(6), CustomerId(8), at(2024, 5)?, "90 CNY".parse()?, OrderStatus::Paid),
    ///     Order::new(OrderId(7), CustomerId(8), at(2024, 6)?, "90 CNY".parse()?, OrderStatus::Paid),
    /// ];
    /// let march = Period::month(2024, 3, chrono_tz::UTC)?;
    /// let tally = OrderTally::from_orders(&orders, &march, OrderOptions::new(Currency::CNY))?;
    /// let targets = Targets::reference();
    /// assert_eq!(tally.average_order_value(&targets).value(), Some(90.0));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn average_order_value(&self, targets: &Targets) -> Kpi {
        targets.kpi(
            KpiName::AverageOrderValue,
            self.current.aov().and_then(|d| d.to_f64()),
            Sample::Observations {
                n: self.current.purchases,
            },
            None,
        )
    }

    /// Repurchase-rate lift: `(r − r₀) / r₀` with `r` this period's repeat retention and
    /// `r₀` the same period last year's. No value when either period has no customers
    /// or `r₀` is 0.
    ///
    /// # Example
    ///
    /// ```
    /// use chrono::{TimeZone, Utc};
    /// use patronage::{Currency, CustomerId, Order, OrderId, OrderStatus};
    /// use patronage::kpi::{OrderOptions, OrderTally, Period, Targets};
    ///
    /// let at = |y, d| Utc.with_ymd_and_hms(y, 3, d, 12, 0, 0).single().ok_or("date");
    /// let orders = [
    ///     Order::new(OrderId(1), CustomerId(7), at(2023, 1)?, "80 CNY".parse()?, OrderStatus::Paid),
    ///     Order::new(OrderId(2), CustomerId(7), at(2023, 9)?, "80 CNY".parse()?, OrderStatus::Paid),
    ///     Order::new(OrderId(3), CustomerId(8), at(2023, 9)?, "80 CNY".parse()?, OrderStatus::Paid),
    ///     Order::new(OrderId(4), CustomerId(7), at(2024, 2)?, "90 CNY".parse()?, OrderStatus::Paid),
    ///     Order::new(OrderId(5), CustomerId(7), at(2024, 5)?, "90 CNY".parse()?, OrderStatus::Paid),
    ///     Order::new(OrderId(6), CustomerId(8), at(2024, 5)?, "90 CNY".parse()?, OrderStatus::Paid),
    ///     Order::new(OrderId(7), CustomerId(8), at(2024, 6)?, "90 CNY".parse()?, OrderStatus::Paid),
    /// ];
    /// let march = Period::month(2024, 3, chrono_tz::UTC)?;
    /// let tally = OrderTally::from_orders(&orders, &march, OrderOptions::new(Currency::CNY))?;
    /// let targets = Targets::reference();
    /// // March 2024: both customers repeat (r = 1); March 2023: one of two (r₀ = 0.5).
    /// assert_eq!(tally.repurchase_lift(&targets).value(), Some(1.0));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn repurchase_lift(&self, targets: &Targets) -> Kpi {
        let value = match (self.current.retention(), self.previous.retention()) {
            (Some(now), Some(then)) if then > 0.0 => Some((now - then) / then),
            _ => None,
        };
        targets.kpi(
            KpiName::RepurchaseLift,
            value,
            Sample::Comparison {
                current: self.current.customers,
                previous: self.previous.customers,
            },
            None,
        )
    }

    /// AOV lift: `(aov − aov₀) / aov₀` against the same period last year, in exact
    /// decimals. No value when either period has no purchases or `aov₀` is 0.
    ///
    /// # Example
    ///
    /// ```
    /// use chrono::{TimeZone, Utc};
    /// use patronage::{Currency, CustomerId, Order, OrderId, OrderStatus};
    /// use patronage::kpi::{OrderOptions, OrderTally, Period, Targets};
    ///
    /// let at = |y, d| Utc.with_ymd_and_hms(y, 3, d, 12, 0, 0).single().ok_or("date");
    /// let orders = [
    ///     Order::new(OrderId(1), CustomerId(7), at(2023, 1)?, "80 CNY".parse()?, OrderStatus::Paid),
    ///     Order::new(OrderId(2), CustomerId(7), at(2023, 9)?, "80 CNY".parse()?, OrderStatus::Paid),
    ///     Order::new(OrderId(3), CustomerId(8), at(2023, 9)?, "80 CNY".parse()?, OrderStatus::Paid),
    ///     Order::new(OrderId(4), CustomerId(7), at(2024, 2)?, "90 CNY".parse()?, OrderStatus::Paid),
    ///     Order::new(OrderId(5), CustomerId(7), at(2024, 5)?, "90 CNY".parse()?, OrderStatus::Paid),
    ///     Order::new(OrderId(6), CustomerId(8), at(2024, 5)?, "90 CNY".parse()?, OrderStatus::Paid),
    ///     Order::new(OrderId(7), CustomerId(8), at(2024, 6)?, "90 CNY".parse()?, OrderStatus::Paid),
    /// ];
    /// let march = Period::month(2024, 3, chrono_tz::UTC)?;
    /// let tally = OrderTally::from_orders(&orders, &march, OrderOptions::new(Currency::CNY))?;
    /// let targets = Targets::reference();
    /// assert_eq!(tally.aov_lift(&targets).value(), Some(0.125)); // (90 − 80) / 80
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn aov_lift(&self, targets: &Targets) -> Kpi {
        let value = match (self.current.aov(), self.previous.aov()) {
            (Some(now), Some(then)) if !then.is_zero() => now
                .checked_sub(then)
                .and_then(|d| d.checked_div(then))
                .and_then(|d| d.to_f64()),
            _ => None,
        };
        targets.kpi(
            KpiName::AovLift,
            value,
            Sample::Comparison {
                current: self.current.purchases,
                previous: self.previous.purchases,
            },
            None,
        )
    }
}
