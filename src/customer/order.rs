//! Orders and refund events.

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::customer::{CustomerId, OrderId, Source};
use crate::customer::{RecordError, RecordErrorKind, RecordRef};
use crate::money::Money;

/// An order (R2): who, when, how much, its status and where it was placed.
///
/// `amount` is what the customer paid, zero or positive. Refunds are carried by the
/// status ([`OrderStatus::Refunded`], [`OrderStatus::PartiallyRefunded`]) or arrive
/// apart as [`Refund`] events; see [`Refund`] for the rule that keeps a refund from
/// counting twice.
///
/// # Example
///
/// ```
/// use chrono::{TimeZone, Utc};
/// use patronage::{CustomerId, Order, OrderId, OrderStatus};
/// use rust_decimal::Decimal;
///
/// let at = Utc.with_ymd_and_hms(2024, 5, 1, 10, 0, 0).single().ok_or("bad date")?;
/// let order = Order::new(OrderId(1), CustomerId(9), at, "120.00 CNY".parse()?,
///     OrderStatus::PartiallyRefunded { refunded: Decimal::new(2000, 2) });
/// order.check()?;
/// assert_eq!(order.net()?.to_string(), "100.00 CNY");
/// assert!(order.is_purchase());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Order {
    /// The order's id, unique across orders.
    pub id: OrderId,
    /// The customer who placed it.
    pub customer: CustomerId,
    /// When it was placed (paid), a UTC instant.
    pub placed_at: DateTime<Utc>,
    /// The amount paid, zero or positive.
    pub amount: Money,
    /// Paid, cancelled, refunded or partially refunded.
    pub status: OrderStatus,
    /// Where it was placed, when the host knows.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<Source>,
}

/// The status of an order.
///
/// Serialises as `"paid"`, `"cancelled"`, `"refunded"` or
/// `{"partially_refunded": {"refunded": "20.00"}}`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum OrderStatus {
    /// Paid and kept: a purchase.
    Paid,
    /// Cancelled before fulfilment: not a purchase, no spend.
    Cancelled,
    /// Refunded in full: not a purchase, no spend.
    Refunded,
    /// Refunded in part: a purchase whose net spend is `amount − refunded`.
    PartiallyRefunded {
        /// The refunded part, in the order's currency; above zero and below the amount.
        refunded: Decimal,
    },
}

impl OrderStatus {
    /// The serde name: `paid`, `cancelled`, `refunded`, `partially_refunded`.
    pub fn as_str(&self) -> &'static str {
        match self {
            OrderStatus::Paid => "paid",
            OrderStatus::Cancelled => "cancelled",
            OrderStatus::Refunded => "refunded",
            OrderStatus::PartiallyRefunded { .. } => "partially_refunded",
        }
    }

    /// Whether the status itself carries a refund.
    pub fn carries_refund(&self) -> bool {
        matches!(
            self,
            OrderStatus::Refunded | OrderStatus::PartiallyRefunded { .. }
        )
    }
}

impl Order {
    /// An order without a source.
    pub fn new(
        id: OrderId,
        customer: CustomerId,
        placed_at: DateTime<Utc>,
        amount: Money,
        status: OrderStatus,
    ) -> Order {
        Order {
            id,
            customer,
            placed_at,
            amount,
            status,
            source: None,
        }
    }

    /// The record reference used in error messages.
    pub fn record(&self) -> RecordRef {
        RecordRef::Order {
            order: self.id,
            customer: self.customer,
        }
    }

    /// Checks what a single order can get wrong: a negative amount, a partial refund
    /// that is not above zero and below the amount.
    ///
    /// # Errors
    ///
    /// [`RecordErrorKind::WrongSign`] for a negative `amount` or a partial refund that is
    /// not above zero; [`RecordErrorKind::RefundTooLarge`] for a partial refund that is
    /// not below the amount.
    ///
    /// # Example
    ///
    /// ```
    /// use chrono::{TimeZone, Utc};
    /// use patronage::{CustomerId, Order, OrderId, OrderStatus};
    /// use rust_decimal::Decimal;
    ///
    /// let at = Utc.with_ymd_and_hms(2024, 5, 1, 10, 0, 0).single().ok_or("bad date")?;
    /// let order = Order::new(OrderId(3), CustomerId(9), at, "10.00 CNY".parse()?,
    ///     OrderStatus::PartiallyRefunded { refunded: Decimal::new(1500, 2) });
    /// assert_eq!(order.check().unwrap_err().field(), "status.refunded");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn check(&self) -> Result<(), RecordError> {
        if self.amount.amount.is_sign_negative() && !self.amount.amount.is_zero() {
            return Err(RecordError::new(
                self.record(),
                "amount",
                RecordErrorKind::WrongSign {
                    expected: "a zero or positive",
                    found: self.amount.to_string(),
                },
            ));
        }
        if let OrderStatus::PartiallyRefunded { refunded } = self.status {
            if refunded <= Decimal::ZERO {
                return Err(RecordError::new(
                    self.record(),
                    "status.refunded",
                    RecordErrorKind::WrongSign {
                        expected: "a positive",
                        found: Money::new(refunded, self.amount.currency).to_string(),
                    },
                ));
            }
            if refunded >= self.amount.amount {
                return Err(RecordError::new(
                    self.record(),
                    "status.refunded",
                    RecordErrorKind::RefundTooLarge {
                        refunded: Money::new(refunded, self.amount.currency).to_string(),
                        amount: self.amount.to_string(),
                    },
                ));
            }
        }
        Ok(())
    }

    /// Whether the order is a purchase (SPEC §8): paid, or partially refunded with a
    /// net amount above zero. Cancelled and fully refunded orders are not.
    pub fn is_purchase(&self) -> bool {
        match self.status {
            OrderStatus::Paid => true,
            OrderStatus::PartiallyRefunded { refunded } => refunded < self.amount.amount,
            OrderStatus::Cancelled | OrderStatus::Refunded => false,
        }
    }

    /// The amount refunded according to the status (zero for paid and cancelled).
    pub fn refunded(&self) -> Money {
        match self.status {
            OrderStatus::Refunded => self.amount,
            OrderStatus::PartiallyRefunded { refunded } => {
                Money::new(refunded, self.amount.currency)
            }
            OrderStatus::Paid | OrderStatus::Cancelled => Money::zero(self.amount.currency),
        }
    }

    /// Net spend (SPEC §8): amount paid − amount refunded for a purchase, zero for an
    /// order that is not a purchase.
    ///
    /// # Errors
    ///
    /// [`RecordErrorKind::Money`] when the subtraction overflows.
    pub fn net(&self) -> Result<Money, RecordError> {
        if !self.is_purchase() {
            return Ok(Money::zero(self.amount.currency));
        }
        self.amount
            .checked_sub(self.refunded())
            .map_err(|e| RecordError::new(self.record(), "amount", RecordErrorKind::Money(e)))
    }
}

/// A refund that arrives apart from its order: who, which order (if known), when and
/// how much.
///
/// A refund is never a purchase and never refreshes recency; it lowers net spend and
/// counts among the customer's refunds.
///
/// # Counting a refund once
///
/// A refund is counted where it is reported. The status of an [`Order`] carries the
/// refunds the host folded into the order record; a `Refund` event carries a refund the
/// host reports apart. The crate cannot tell, in one streaming pass without a table of
/// every order, that two reports describe the same money, so the rule is: **report each
/// refund once** — on the order's status or as an event. The
/// [`Validator`](crate::Validator) enforces it: a refund event naming an order whose
/// status is `refunded` or `partially_refunded` is rejected with
/// [`RecordErrorKind::RefundReportedTwice`].
///
/// # Example
///
/// ```
/// use chrono::{TimeZone, Utc};
/// use patronage::{CustomerId, OrderId, Refund};
///
/// let at = Utc.with_ymd_and_hms(2024, 5, 3, 9, 0, 0).single().ok_or("bad date")?;
/// let refund = Refund::new(CustomerId(9), Some(OrderId(1)), at, "20.00 CNY".parse()?);
/// refund.check()?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Refund {
    /// The refunded customer.
    pub customer: CustomerId,
    /// The refunded order, when the host knows it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub order: Option<OrderId>,
    /// When the money went back.
    pub at: DateTime<Utc>,
    /// The amount returned, above zero.
    pub amount: Money,
}

impl Refund {
    /// A refund event.
    pub fn new(
        customer: CustomerId,
        order: Option<OrderId>,
        at: DateTime<Utc>,
        amount: Money,
    ) -> Refund {
        Refund {
            customer,
            order,
            at,
            amount,
        }
    }

    /// The record reference used in error messages.
    pub fn record(&self) -> RecordRef {
        RecordRef::Refund {
            customer: self.customer,
            order: self.order,
        }
    }

    /// Checks the amount is above zero.
    ///
    /// # Errors
    ///
    /// [`RecordErrorKind::WrongSign`] when `amount` is zero or negative.
    pub fn check(&self) -> Result<(), RecordError> {
        check_refund_amount(self.record(), self.amount)
    }
}

/// Checks that a refund amount is positive (a refund event, or the refunded part of an
/// order): the one sign rule shared by the validator, the order and the facts fold.
pub(crate) fn check_refund_amount(record: RecordRef, amount: Money) -> Result<(), RecordError> {
    if amount.is_positive() {
        Ok(())
    } else {
        Err(RecordError::new(
            record,
            "amount",
            RecordErrorKind::WrongSign {
                expected: "a positive",
                found: amount.to_string(),
            },
        ))
    }
}
