//! Errors of customer records ([`RecordError`]) and the reference to the record they name ([`RecordRef`]).

use std::fmt;

use chrono::NaiveDate;

use crate::customer::{CustomerId, OrderId};
use crate::money::MoneyError;

/// Which record an error is about: a customer, an order, a refund or an interaction.
///
/// Its `Display` form is what error messages show, e.g. ``order `17` of customer `4` ``.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum RecordRef {
    /// A customer record.
    Customer(CustomerId),
    /// An order.
    Order {
        /// The order id.
        order: OrderId,
        /// The customer who placed it.
        customer: CustomerId,
    },
    /// A refund event that arrived apart from its order.
    Refund {
        /// The refunded customer.
        customer: CustomerId,
        /// The refunded order, when the host knows it.
        order: Option<OrderId>,
    },
    /// A purchase known only by its date (folded with
    /// [`Aggregator::add_purchase_on`](crate::Aggregator::add_purchase_on)).
    DatedPurchase {
        /// The customer.
        customer: CustomerId,
        /// The purchase date.
        date: NaiveDate,
    },
    /// A refund known only by its date.
    DatedRefund {
        /// The customer.
        customer: CustomerId,
        /// The refund date.
        date: NaiveDate,
    },
    /// An interaction (browse, login, complaint…).
    Interaction {
        /// The customer who interacted.
        customer: CustomerId,
    },
}

impl RecordRef {
    /// The customer the record belongs to.
    pub fn customer(&self) -> CustomerId {
        match *self {
            RecordRef::Customer(customer)
            | RecordRef::Order { customer, .. }
            | RecordRef::Refund { customer, .. }
            | RecordRef::DatedPurchase { customer, .. }
            | RecordRef::DatedRefund { customer, .. }
            | RecordRef::Interaction { customer } => customer,
        }
    }
}

impl fmt::Display for RecordRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RecordRef::Customer(customer) => write!(f, "customer `{customer}`"),
            RecordRef::Order { order, customer } => {
                write!(f, "order `{order}` of customer `{customer}`")
            }
            RecordRef::Refund {
                customer,
                order: Some(order),
            } => write!(f, "refund of order `{order}` of customer `{customer}`"),
            RecordRef::Refund {
                customer,
                order: None,
            } => write!(f, "refund of customer `{customer}`"),
            RecordRef::DatedPurchase { customer, date } => {
                write!(f, "purchase of customer `{customer}` on {date}")
            }
            RecordRef::DatedRefund { customer, date } => {
                write!(f, "refund of customer `{customer}` on {date}")
            }
            RecordRef::Interaction { customer } => {
                write!(f, "interaction of customer `{customer}`")
            }
        }
    }
}

/// A record that cannot be right (R5): it names the record, the field and the problem.
///
/// # Example
///
/// ```
/// use chrono::{TimeZone, Utc};
/// use patronage::{CustomerId, Money, Order, OrderId, OrderStatus};
///
/// let at = Utc.with_ymd_and_hms(2024, 5, 1, 10, 0, 0).single().ok_or("bad date")?;
/// let order = Order::new(OrderId(17), CustomerId(4), at, "-5.00 CNY".parse()?, OrderStatus::Paid);
/// let err = order.check().unwrap_err();
/// assert_eq!(err.field(), "amount");
/// assert_eq!(
///     err.to_string(),
///     "order `17` of customer `4`: field `amount`: expected a zero or positive amount, found `-5.00 CNY`",
/// );
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{record}: field `{field}`: {kind}")]
pub struct RecordError {
    record: RecordRef,
    field: &'static str,
    kind: RecordErrorKind,
}

/// What is wrong with a record.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RecordErrorKind {
    /// An amount has the wrong sign for its role (a negative paid amount, a zero refund).
    #[error("expected {expected} amount, found `{found}`")]
    WrongSign {
        /// What the field must be, e.g. `a zero or positive`.
        expected: &'static str,
        /// The amount as given.
        found: String,
    },
    /// A partial refund is larger than the order, or not smaller (then it is a full refund).
    #[error("expected a refund below the order amount `{amount}` (a refund of all of it is status `refunded`), found `{refunded}`")]
    RefundTooLarge {
        /// The refunded amount.
        refunded: String,
        /// The order amount.
        amount: String,
    },
    /// Refund events of one order add up to more than the order.
    #[error("refunds of order `{order}` would total more than its amount `{amount}`: `{refunded}` refunded before, `{refund}` now")]
    RefundsExceedOrder {
        /// The refunded order.
        order: OrderId,
        /// What earlier refund events already returned.
        refunded: String,
        /// This refund.
        refund: String,
        /// The order amount.
        amount: String,
    },
    /// A refund event names an order of another customer.
    #[error(
        "order `{order}` belongs to customer `{owner}`: expected an order of the refunded customer"
    )]
    OrderOfAnotherCustomer {
        /// The named order.
        order: OrderId,
        /// The customer who placed it.
        owner: CustomerId,
    },
    /// An event happened before the customer registered.
    #[error("expected a time on or after registration at `{registered}`, found `{found}`")]
    BeforeRegistration {
        /// The registration instant.
        registered: String,
        /// The event's instant.
        found: String,
    },
    /// The same order id was seen twice.
    #[error("duplicate order id `{order}`: expected each order once (first seen for customer `{first_customer}`)")]
    DuplicateOrder {
        /// The repeated id.
        order: OrderId,
        /// The customer of the first order with this id.
        first_customer: CustomerId,
    },
    /// The same customer id was seen twice.
    #[error("duplicate customer id `{customer}`: expected each customer once")]
    DuplicateCustomer {
        /// The repeated id.
        customer: CustomerId,
    },
    /// An amount is not in the currency expected (the table's, or the customer's first).
    #[error("expected an amount in `{expected}`, found `{found}`; convert it before folding")]
    MixedCurrency {
        /// The expected currency code.
        expected: String,
        /// The amount as given.
        found: String,
    },
    /// A refund event names an order whose own status already carries its refund.
    #[error("order `{order}` already has status `{status}`: expected a refund reported either on the order or as a refund event, not both")]
    RefundReportedTwice {
        /// The refunded order.
        order: OrderId,
        /// The order's status, e.g. `partially_refunded`.
        status: &'static str,
    },
    /// A time zone name that is not in the IANA database.
    #[error("unknown time zone `{name}`: expected an IANA name such as `Asia/Shanghai` or `UTC`")]
    UnknownTimeZone {
        /// The name as given.
        name: String,
    },
    /// A birthday that is not a calendar day.
    #[error("expected a calendar month and day, found month {month} day {day}")]
    InvalidBirthday {
        /// The month as given.
        month: u32,
        /// The day as given.
        day: u32,
    },
    /// Points scheduled to expire exceed the balance.
    #[error("expected expiring points to total at most the balance {balance}, found {expiring}")]
    PointsExceedBalance {
        /// The balance.
        balance: u64,
        /// The sum of the expiring lots.
        expiring: u64,
    },
    /// A preferred channel is listed twice.
    #[error("channel `{channel}` is listed twice: expected each preferred channel once")]
    DuplicateChannel {
        /// The repeated channel.
        channel: String,
    },
    /// A money operation failed (an overflow).
    #[error("{0}")]
    Money(MoneyError),
}

impl RecordError {
    pub(crate) fn new(
        record: RecordRef,
        field: &'static str,
        kind: RecordErrorKind,
    ) -> RecordError {
        RecordError {
            record,
            field,
            kind,
        }
    }

    /// The record the error is about.
    pub fn record(&self) -> RecordRef {
        self.record
    }

    /// The field at fault, e.g. `amount` or `placed_at`.
    pub fn field(&self) -> &'static str {
        self.field
    }

    /// What went wrong.
    pub fn kind(&self) -> &RecordErrorKind {
        &self.kind
    }

    /// Whether amounts in two currencies were mixed (the host may convert and retry).
    pub fn is_mixed_currency(&self) -> bool {
        matches!(self.kind, RecordErrorKind::MixedCurrency { .. })
    }

    /// Whether the record repeats an id already seen (an order or a customer).
    pub fn is_duplicate(&self) -> bool {
        matches!(
            self.kind,
            RecordErrorKind::DuplicateOrder { .. } | RecordErrorKind::DuplicateCustomer { .. }
        )
    }
}
