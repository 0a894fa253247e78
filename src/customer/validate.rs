//! Validation across records (R5), strict or lenient.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::customer::{Customer, CustomerId, Interaction, Order, OrderId, Refund};
use crate::customer::{RecordError, RecordErrorKind, RecordRef};
use crate::money::{Currency, Money};
use rustc_hash::FxBuildHasher;

/// Whether validation stops at the first bad record or collects them all.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum ValidationMode {
    /// Fail on the first bad record.
    #[default]
    Strict,
    /// Keep going: bad records go to [`ValidationReport::rejected`], good ones to
    /// [`ValidationReport::accepted`].
    Lenient,
}

/// A batch of records, as a host loads them.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Records {
    /// Customer records.
    #[serde(default)]
    pub customers: Vec<Customer>,
    /// Orders.
    #[serde(default)]
    pub orders: Vec<Order>,
    /// Refund events reported apart from their orders.
    #[serde(default)]
    pub refunds: Vec<Refund>,
    /// Interactions.
    #[serde(default)]
    pub interactions: Vec<Interaction>,
}

/// A rejected record in serialisable form: which record, which field, and the message.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Reject {
    /// The record.
    pub record: RecordRef,
    /// The field at fault.
    pub field: String,
    /// The full error message.
    pub message: String,
}

impl From<&RecordError> for Reject {
    fn from(error: &RecordError) -> Reject {
        Reject {
            record: error.record(),
            field: error.field().to_owned(),
            message: error.to_string(),
        }
    }
}

/// What validation kept and what it rejected; nothing is dropped silently.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ValidationReport {
    /// The records that passed, in their input order.
    pub accepted: Records,
    /// Every rejected record with its error, in the order checked (customers, orders,
    /// refunds).
    pub rejected: Vec<RecordError>,
}

impl ValidationReport {
    /// Whether every record passed.
    pub fn is_clean(&self) -> bool {
        self.rejected.is_empty()
    }

    /// The rejects in serialisable form, for the host's audit store.
    pub fn rejects(&self) -> Vec<Reject> {
        self.rejected.iter().map(Reject::from).collect()
    }
}

/// Checks records against each other (R5): duplicate customer and order ids, orders
/// before their customer's registration, mixed currencies in one customer's spend, a
/// refund reported both on its order and as an event — plus each record's own
/// `check`.
///
/// The validator remembers what it has seen, so feed it customers first, then orders,
/// then refunds ([`Validator::validate`] does that for a batch). Interactions are not
/// checked: they carry no amount or id, and browsing before signing up is normal when
/// the host links anonymous sessions to the account later.
///
/// # Example
///
/// ```
/// use chrono::{TimeZone, Utc};
/// use patronage::{Customer, CustomerId, ValidationMode, Order, OrderId, OrderStatus, Records, Validator};
///
/// let t = |d| Utc.with_ymd_and_hms(2024, 5, d, 10, 0, 0).single().ok_or("bad date");
/// let mut alice = Customer::new(CustomerId(1));
/// alice.registered_at = Some(t(10)?);
/// let records = Records {
///     customers: vec![alice],
///     orders: vec![
///         Order::new(OrderId(1), CustomerId(1), t(12)?, "10.00 CNY".parse()?, OrderStatus::Paid),
///         Order::new(OrderId(2), CustomerId(1), t(2)?, "10.00 CNY".parse()?, OrderStatus::Paid),
///     ],
///     ..Records::default()
/// };
/// let report = Validator::validate(records.clone(), ValidationMode::Lenient)?;
/// assert_eq!(report.accepted.orders.len(), 1);
/// assert_eq!(report.rejected[0].to_string(),
///     "order `2` of customer `1`: field `placed_at`: expected a time on or after registration at `2024-05-10 10:00:00 UTC`, found `2024-05-02 10:00:00 UTC`");
/// assert!(Validator::validate(records, ValidationMode::Strict).is_err());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, Default)]
pub struct Validator {
    registered: HashMap<CustomerId, Option<DateTime<Utc>>, FxBuildHasher>,
    orders: HashMap<OrderId, SeenOrder, FxBuildHasher>,
    currencies: HashMap<CustomerId, Currency, FxBuildHasher>,
}

#[derive(Clone, Copy, Debug)]
struct SeenOrder {
    customer: CustomerId,
    status: &'static str,
    carries_refund: bool,
    amount: Money,
    /// The total of the refund events accepted for this order so far.
    refunded_by_events: Decimal,
}

impl Validator {
    /// A validator that has seen nothing.
    pub fn new() -> Validator {
        Validator::default()
    }

    /// Validates a batch: customers, then orders, then refunds; interactions pass.
    ///
    /// # Errors
    ///
    /// In [`ValidationMode::Strict`], the first bad record's [`RecordError`]. In
    /// [`ValidationMode::Lenient`] this never fails: the errors are in the report.
    pub fn validate(
        records: Records,
        mode: ValidationMode,
    ) -> Result<ValidationReport, RecordError> {
        let mut validator = Validator::new();
        let mut report = ValidationReport::default();
        let keep =
            |result: Result<(), RecordError>, rejected: &mut Vec<RecordError>| match (result, mode)
            {
                (Ok(()), _) => Ok(true),
                (Err(e), ValidationMode::Strict) => Err(e),
                (Err(e), ValidationMode::Lenient) => {
                    rejected.push(e);
                    Ok(false)
                }
            };
        for c in records.customers {
            if keep(validator.check_customer(&c), &mut report.rejected)? {
                report.accepted.customers.push(c);
            }
        }
        for o in records.orders {
            if keep(validator.check_order(&o), &mut report.rejected)? {
                report.accepted.orders.push(o);
            }
        }
        for r in records.refunds {
            if keep(validator.check_refund(&r), &mut report.rejected)? {
                report.accepted.refunds.push(r);
            }
        }
        // Interactions carry no amount and no id, and may precede registration
        // (anonymous sessions linked to the account later): they always pass.
        report.accepted.interactions = records.interactions;
        Ok(report)
    }

    /// Checks a customer record and remembers its registration.
    ///
    /// # Errors
    ///
    /// [`RecordErrorKind::DuplicateCustomer`] for an id seen before, and the errors of
    /// [`Customer::check`]. A rejected customer is not remembered.
    pub fn check_customer(&mut self, customer: &Customer) -> Result<(), RecordError> {
        if self.registered.contains_key(&customer.id) {
            return Err(RecordError::new(
                customer.record(),
                "id",
                RecordErrorKind::DuplicateCustomer {
                    customer: customer.id,
                },
            ));
        }
        customer.check()?;
        self.registered.insert(customer.id, customer.registered_at);
        Ok(())
    }

    /// Checks an order and remembers its id, status and currency.
    ///
    /// # Errors
    ///
    /// The errors of [`Order::check`]; [`RecordErrorKind::DuplicateOrder`];
    /// [`RecordErrorKind::BeforeRegistration`] when the customer's registration is known
    /// and later; [`RecordErrorKind::MixedCurrency`] when the customer's earlier amounts
    /// were in another currency. A rejected order is not remembered.
    pub fn check_order(&mut self, order: &Order) -> Result<(), RecordError> {
        order.check()?;
        if let Some(first) = self.orders.get(&order.id) {
            return Err(RecordError::new(
                order.record(),
                "id",
                RecordErrorKind::DuplicateOrder {
                    order: order.id,
                    first_customer: first.customer,
                },
            ));
        }
        self.check_registration(order.record(), "placed_at", order.placed_at)?;
        self.check_currency(order.record(), order.amount)?;
        self.orders.insert(
            order.id,
            SeenOrder {
                customer: order.customer,
                status: order.status.as_str(),
                carries_refund: order.status.carries_refund(),
                amount: order.amount,
                refunded_by_events: Decimal::ZERO,
            },
        );
        self.currencies
            .entry(order.customer)
            .or_insert(order.amount.currency);
        Ok(())
    }

    /// Checks a refund event.
    ///
    /// # Errors
    ///
    /// The errors of [`Refund::check`]; [`RecordErrorKind::BeforeRegistration`];
    /// [`RecordErrorKind::MixedCurrency`]; [`RecordErrorKind::OrderOfAnotherCustomer`]
    /// when the named order is another customer's; [`RecordErrorKind::RefundReportedTwice`]
    /// when the named order's status already carries a refund;
    /// [`RecordErrorKind::RefundsExceedOrder`] when the refund events of the named order
    /// would total more than the order. Refunds naming an order not seen are accepted
    /// (the order may be outside the batch).
    pub fn check_refund(&mut self, refund: &Refund) -> Result<(), RecordError> {
        refund.check()?;
        self.check_registration(refund.record(), "at", refund.at)?;
        self.check_currency(refund.record(), refund.amount)?;
        if let Some((id, order)) = refund
            .order
            .and_then(|id| self.orders.get_mut(&id).map(|o| (id, o)))
        {
            if order.customer != refund.customer {
                return Err(RecordError::new(
                    refund.record(),
                    "order",
                    RecordErrorKind::OrderOfAnotherCustomer {
                        order: id,
                        owner: order.customer,
                    },
                ));
            }
            if order.carries_refund {
                return Err(RecordError::new(
                    refund.record(),
                    "order",
                    RecordErrorKind::RefundReportedTwice {
                        order: id,
                        status: order.status,
                    },
                ));
            }
            // The refund is in the order's currency: both matched the customer's first
            // accepted amount.
            let total = order
                .refunded_by_events
                .checked_add(refund.amount.amount)
                .filter(|total| *total <= order.amount.amount);
            let Some(total) = total else {
                return Err(RecordError::new(
                    refund.record(),
                    "amount",
                    RecordErrorKind::RefundsExceedOrder {
                        order: id,
                        refunded: Money::new(order.refunded_by_events, order.amount.currency)
                            .to_string(),
                        refund: refund.amount.to_string(),
                        amount: order.amount.to_string(),
                    },
                ));
            };
            order.refunded_by_events = total;
        }
        self.currencies
            .entry(refund.customer)
            .or_insert(refund.amount.currency);
        Ok(())
    }

    fn check_registration(
        &self,
        record: RecordRef,
        field: &'static str,
        at: DateTime<Utc>,
    ) -> Result<(), RecordError> {
        match self.registered.get(&record.customer()) {
            Some(Some(registered)) if at < *registered => Err(RecordError::new(
                record,
                field,
                RecordErrorKind::BeforeRegistration {
                    registered: registered.to_string(),
                    found: at.to_string(),
                },
            )),
            _ => Ok(()),
        }
    }

    fn check_currency(&self, record: RecordRef, amount: Money) -> Result<(), RecordError> {
        match self.currencies.get(&record.customer()) {
            Some(first) if *first != amount.currency => Err(RecordError::new(
                record,
                "amount",
                RecordErrorKind::MixedCurrency {
                    expected: first.to_string(),
                    found: amount.to_string(),
                },
            )),
            _ => Ok(()),
        }
    }
}
