//! Errors of [`Money`](crate::Money) and [`Currency`](crate::Currency).

/// A money value that cannot be built or combined: an unknown currency code, amounts in
/// two currencies, text that is not money, or an overflow.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{kind}")]
pub struct MoneyError {
    kind: MoneyErrorKind,
}

/// What went wrong with a money value.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum MoneyErrorKind {
    /// The code is not on the ISO 4217 list.
    #[error(
        "unknown currency code `{code}`: expected an ISO 4217 code such as `CNY`, `USD` or `EUR`"
    )]
    UnknownCurrency {
        /// The code as given.
        code: String,
    },
    /// Two amounts in different currencies were combined.
    #[error("cannot combine `{left}` with `{right}`: expected amounts in the same currency")]
    CurrencyMismatch {
        /// The left operand, e.g. `12.30 CNY`.
        left: String,
        /// The right operand.
        right: String,
    },
    /// The text is not `AMOUNT CODE`.
    #[error("cannot read `{text}` as money: expected an amount and an ISO 4217 code separated by a space, such as `12.30 CNY`")]
    Syntax {
        /// The text as given.
        text: String,
    },
    /// The result does not fit a `Decimal`.
    #[error("`{operation}` overflows: amounts must stay within ±79228162514264337593543950335")]
    Overflow {
        /// The operation, e.g. `1 CNY + 2 CNY`.
        operation: String,
    },
}

impl MoneyError {
    pub(crate) fn new(kind: MoneyErrorKind) -> MoneyError {
        MoneyError { kind }
    }

    /// What went wrong.
    pub fn kind(&self) -> &MoneyErrorKind {
        &self.kind
    }

    /// Whether two currencies were mixed (the host may convert and retry).
    pub fn is_currency_mismatch(&self) -> bool {
        matches!(self.kind, MoneyErrorKind::CurrencyMismatch { .. })
    }
}
