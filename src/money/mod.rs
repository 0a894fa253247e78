//! Exact money: [`Currency`] (an ISO 4217 code) and [`Money`] (a [`Decimal`] amount in a
//! currency).
//!
//! # Why no arithmetic operators
//!
//! `rust_decimal`'s `+`, `-` and `*` panic on overflow. Every operation here is checked and
//! returns a [`MoneyError`] instead, and two amounts in different currencies never combine:
//! converting is the host's business (it knows its rates and their dates).

use std::fmt;
use std::str::FromStr;

use rust_decimal::{Decimal, RoundingStrategy};
use serde::{Deserialize, Serialize};

mod error;

pub use self::error::{MoneyError, MoneyErrorKind};

/// An ISO 4217 currency code such as `CNY`, `USD` or `EUR`.
///
/// Construction checks the code against the ISO 4217 list (active codes, funds and
/// precious-metal codes, plus a few recently withdrawn codes such as `HRK` and `SLL` so
/// that historic orders still load). The value is three ASCII upper-case letters, stored
/// inline: it is `Copy` and four bytes wide.
///
/// # Example
///
/// ```
/// use patronage::Currency;
///
/// let cny: Currency = "CNY".parse()?;
/// assert_eq!(cny.as_str(), "CNY");
/// assert_eq!(cny.minor_units(), Some(2));
/// assert_eq!(Currency::try_new("JPY")?.minor_units(), Some(0));
/// assert!(Currency::try_new("cny").is_err());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Currency([u8; 3]);

/// ISO 4217 codes with their minor units (`None` where ISO says "N.A.", e.g. gold).
const ISO_4217: &[(&str, Option<u8>)] = &[
    ("AED", Some(2)),
    ("AFN", Some(2)),
    ("ALL", Some(2)),
    ("AMD", Some(2)),
    ("ANG", Some(2)),
    ("AOA", Some(2)),
    ("ARS", Some(2)),
    ("AUD", Some(2)),
    ("AWG", Some(2)),
    ("AZN", Some(2)),
    ("BAM", Some(2)),
    ("BBD", Some(2)),
    ("BDT", Some(2)),
    ("BGN", Some(2)),
    ("BHD", Some(3)),
    ("BIF", Some(0)),
    ("BMD", Some(2)),
    ("BND", Some(2)),
    ("BOB", Some(2)),
    ("BOV", Some(2)),
    ("BRL", Some(2)),
    ("BSD", Some(2)),
    ("BTN", Some(2)),
    ("BWP", Some(2)),
    ("BYN", Some(2)),
    ("BZD", Some(2)),
    ("CAD", Some(2)),
    ("CDF", Some(2)),
    ("CHE", Some(2)),
    ("CHF", Some(2)),
    ("CHW", Some(2)),
    ("CLF", Some(4)),
    ("CLP", Some(0)),
    ("CNY", Some(2)),
    ("COP", Some(2)),
    ("COU", Some(2)),
    ("CRC", Some(2)),
    ("CUC", Some(2)),
    ("CUP", Some(2)),
    ("CVE", Some(2)),
    ("CZK", Some(2)),
    ("DJF", Some(0)),
    ("DKK", Some(2)),
    ("DOP", Some(2)),
    ("DZD", Some(2)),
    ("EGP", Some(2)),
    ("ERN", Some(2)),
    ("ETB", Some(2)),
    ("EUR", Some(2)),
    ("FJD", Some(2)),
    ("FKP", Some(2)),
    ("GBP", Some(2)),
    ("GEL", Some(2)),
    ("GHS", Some(2)),
    ("GIP", Some(2)),
    ("GMD", Some(2)),
    ("GNF", Some(0)),
    ("GTQ", Some(2)),
    ("GYD", Some(2)),
    ("HKD", Some(2)),
    ("HNL", Some(2)),
    ("HRK", Some(2)),
    ("HTG", Some(2)),
    ("HUF", Some(2)),
    ("IDR", Some(2)),
    ("ILS", Some(2)),
    ("INR", Some(2)),
    ("IQD", Some(3)),
    ("IRR", Some(2)),
    ("ISK", Some(0)),
    ("JMD", Some(2)),
    ("JOD", Some(3)),
    ("JPY", Some(0)),
    ("KES", Some(2)),
    ("KGS", Some(2)),
    ("KHR", Some(2)),
    ("KMF", Some(0)),
    ("KPW", Some(2)),
    ("KRW", Some(0)),
    ("KWD", Some(3)),
    ("KYD", Some(2)),
    ("KZT", Some(2)),
    ("LAK", Some(2)),
    ("LBP", Some(2)),
    ("LKR", Some(2)),
    ("LRD", Some(2)),
    ("LSL", Some(2)),
    ("LYD", Some(3)),
    ("MAD", Some(2)),
    ("MDL", Some(2)),
    ("MGA", Some(2)),
    ("MKD", Some(2)),
    ("MMK", Some(2)),
    ("MNT", Some(2)),
    ("MOP", Some(2)),
    ("MRU", Some(2)),
    ("MUR", Some(2)),
    ("MVR", Some(2)),
    ("MWK", Some(2)),
    ("MXN", Some(2)),
    ("MXV", Some(2)),
    ("MYR", Some(2)),
    ("MZN", Some(2)),
    ("NAD", Some(2)),
    ("NGN", Some(2)),
    ("NIO", Some(2)),
    ("NOK", Some(2)),
    ("NPR", Some(2)),
    ("NZD", Some(2)),
    ("OMR", Some(3)),
    ("PAB", Some(2)),
    ("PEN", Some(2)),
    ("PGK", Some(2)),
    ("PHP", Some(2)),
    ("PKR", Some(2)),
    ("PLN", Some(2)),
    ("PYG", Some(0)),
    ("QAR", Some(2)),
    ("RON", Some(2)),
    ("RSD", Some(2)),
    ("RUB", Some(2)),
    ("RWF", Some(0)),
    ("SAR", Some(2)),
    ("SBD", Some(2)),
    ("SCR", Some(2)),
    ("SDG", Some(2)),
    ("SEK", Some(2)),
    ("SGD", Some(2)),
    ("SHP", Some(2)),
    ("SLE", Some(2)),
    ("SLL", Some(2)),
    ("SOS", Some(2)),
    ("SRD", Some(2)),
    ("SSP", Some(2)),
    ("STN", Some(2)),
    ("SVC", Some(2)),
    ("SYP", Some(2)),
    ("SZL", Some(2)),
    ("THB", Some(2)),
    ("TJS", Some(2)),
    ("TMT", Some(2)),
    ("TND", Some(3)),
    ("TOP", Some(2)),
    ("TRY", Some(2)),
    ("TTD", Some(2)),
    ("TWD", Some(2)),
    ("TZS", Some(2)),
    ("UAH", Some(2)),
    ("UGX", Some(0)),
    ("USD", Some(2)),
    ("USN", Some(2)),
    ("UYI", Some(0)),
    ("UYU", Some(2)),
    ("UYW", Some(4)),
    ("UZS", Some(2)),
    ("VED", Some(2)),
    ("VES", Some(2)),
    ("VND", Some(0)),
    ("VUV", Some(0)),
    ("WST", Some(2)),
    ("XAF", Some(0)),
    ("XAG", None),
    ("XAU", None),
    ("XBA", None),
    ("XBB", None),
    ("XBC", None),
    ("XBD", None),
    ("XCD", Some(2)),
    ("XCG", Some(2)),
    ("XDR", None),
    ("XOF", Some(0)),
    ("XPD", None),
    ("XPF", Some(0)),
    ("XPT", None),
    ("XSU", None),
    ("XTS", None),
    ("XUA", None),
    ("XXX", None),
    ("YER", Some(2)),
    ("ZAR", Some(2)),
    ("ZMW", Some(2)),
    ("ZWG", Some(2)),
    ("ZWL", Some(2)),
];

impl Currency {
    /// Chinese yuan renminbi, the source documents' currency.
    pub const CNY: Currency = Currency(*b"CNY");
    /// US dollar (the CDNOW data set's currency).
    pub const USD: Currency = Currency(*b"USD");
    /// Euro.
    pub const EUR: Currency = Currency(*b"EUR");

    /// Parses an ISO 4217 code (exactly three upper-case ASCII letters on the list).
    ///
    /// # Errors
    ///
    /// [`MoneyErrorKind::UnknownCurrency`] when `code` is not an ISO 4217 code. Codes are
    /// case-sensitive, as ISO writes them: `cny` is rejected with a hint.
    ///
    /// # Example
    ///
    /// ```
    /// use patronage::Currency;
    ///
    /// assert_eq!(Currency::try_new("EUR")?, Currency::EUR);
    /// let err = Currency::try_new("RMB").unwrap_err();
    /// assert_eq!(err.to_string(), "unknown currency code `RMB`: expected an ISO 4217 code such as `CNY`, `USD` or `EUR`");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn try_new(code: &str) -> Result<Currency, MoneyError> {
        match ISO_4217.binary_search_by(|(known, _)| (*known).cmp(code)) {
            Ok(_) => {
                let mut bytes = [0u8; 3];
                bytes.copy_from_slice(code.as_bytes());
                Ok(Currency(bytes))
            }
            Err(_) => Err(MoneyError::new(MoneyErrorKind::UnknownCurrency {
                code: code.to_owned(),
            })),
        }
    }

    /// The three-letter code.
    pub fn as_str(&self) -> &str {
        // Invariant: built only from an entry of `ISO_4217`, which is ASCII.
        std::str::from_utf8(&self.0).unwrap_or("XXX")
    }

    /// The number of decimal places ISO 4217 gives the currency (2 for `CNY`, 0 for `JPY`,
    /// 3 for `KWD`), or `None` for units without minor units such as gold (`XAU`).
    pub fn minor_units(&self) -> Option<u8> {
        ISO_4217
            .binary_search_by(|(known, _)| (*known).cmp(self.as_str()))
            .ok()
            .and_then(|idx| ISO_4217.get(idx))
            .and_then(|(_, units)| *units)
    }
}

impl fmt::Debug for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Currency({})", self.as_str())
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Currency {
    type Err = MoneyError;

    fn from_str(code: &str) -> Result<Currency, MoneyError> {
        Currency::try_new(code)
    }
}

impl TryFrom<String> for Currency {
    type Error = MoneyError;

    fn try_from(code: String) -> Result<Currency, MoneyError> {
        Currency::try_new(&code)
    }
}

impl From<Currency> for String {
    fn from(currency: Currency) -> String {
        currency.as_str().to_owned()
    }
}

/// An exact amount of money in one currency.
///
/// Serialises as `{"amount": "12.30", "currency": "CNY"}`: the amount is a string, which
/// is exact in JSON. Its `Display` and `FromStr` form is `12.30 CNY`.
///
/// # Example
///
/// ```
/// use patronage::{Currency, Money};
/// use rust_decimal::Decimal;
///
/// let price: Money = "59.90 CNY".parse()?;
/// let shipping = Money::new(Decimal::new(800, 2), Currency::CNY);
/// assert_eq!(price.checked_add(shipping)?.to_string(), "67.90 CNY");
///
/// let dollars: Money = "10 USD".parse()?;
/// let err = price.checked_add(dollars).unwrap_err();
/// assert_eq!(err.to_string(), "cannot combine `59.90 CNY` with `10 USD`: expected amounts in the same currency");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// # Serde
///
/// Written as a struct, `{"amount": "199.00", "currency": "CNY"}` (the amount a string,
/// exact in JSON); read from that form or from the text form `"199.00 CNY"`, which is
/// what a company writes in a config.
///
/// ```
/// use patronage::Money;
///
/// let from_text: Money = serde_json::from_str(r#""199.00 CNY""#)?;
/// let from_struct: Money = serde_json::from_str(r#"{"amount": "199.00", "currency": "CNY"}"#)?;
/// assert_eq!(from_text, from_struct);
/// let err = serde_json::from_str::<Money>(r#""199.00 RMB""#).unwrap_err();
/// assert!(err.to_string().starts_with("unknown currency code `RMB`"));
/// let err = serde_json::from_str::<Money>(r#"{"amount": "1", "curency": "CNY"}"#).unwrap_err();
/// assert!(err.to_string().starts_with("unknown field `curency`, expected `amount` or `currency`"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
pub struct Money {
    /// The exact amount; negative for refunds and credits.
    pub amount: Decimal,
    /// The currency of `amount`.
    pub currency: Currency,
}

impl<'de> Deserialize<'de> for Money {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Money, D::Error> {
        deserializer.deserialize_any(MoneyVisitor)
    }
}

/// Reads [`Money`] from its text form (`"199.00 CNY"`) or its struct form, with the
/// library's own messages for either.
struct MoneyVisitor;

impl<'de> serde::de::Visitor<'de> for MoneyVisitor {
    type Value = Money;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("money as text such as `199.00 CNY`, or as `{amount, currency}`")
    }

    fn visit_str<E: serde::de::Error>(self, text: &str) -> Result<Money, E> {
        text.parse().map_err(E::custom)
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Money, A::Error> {
        let (mut amount, mut currency) = (None, None);
        while let Some(key) = map.next_key::<String>()? {
            match key.as_str() {
                "amount" if amount.is_none() => amount = Some(map.next_value::<Decimal>()?),
                "currency" if currency.is_none() => {
                    currency = Some(map.next_value::<Currency>()?);
                }
                "amount" | "currency" => {
                    return Err(serde::de::Error::custom(format_args!(
                        "duplicate field `{key}`"
                    )))
                }
                other => {
                    return Err(serde::de::Error::unknown_field(
                        other,
                        &["amount", "currency"],
                    ))
                }
            }
        }
        match (amount, currency) {
            (Some(amount), Some(currency)) => Ok(Money { amount, currency }),
            (None, _) => Err(serde::de::Error::missing_field("amount")),
            (_, None) => Err(serde::de::Error::missing_field("currency")),
        }
    }
}

impl Money {
    /// An amount in a currency.
    pub const fn new(amount: Decimal, currency: Currency) -> Money {
        Money { amount, currency }
    }

    /// Zero in `currency`.
    pub const fn zero(currency: Currency) -> Money {
        Money {
            amount: Decimal::ZERO,
            currency,
        }
    }

    /// `self + other`.
    ///
    /// # Errors
    ///
    /// [`MoneyErrorKind::CurrencyMismatch`] when the currencies differ, and
    /// [`MoneyErrorKind::Overflow`] when the sum does not fit a [`Decimal`].
    pub fn checked_add(self, other: Money) -> Result<Money, MoneyError> {
        self.same_currency(other)?;
        self.amount
            .checked_add(other.amount)
            .map(|amount| Money::new(amount, self.currency))
            .ok_or_else(|| self.overflow("+", other))
    }

    /// `self - other`.
    ///
    /// # Errors
    ///
    /// [`MoneyErrorKind::CurrencyMismatch`] when the currencies differ, and
    /// [`MoneyErrorKind::Overflow`] when the difference does not fit a [`Decimal`].
    pub fn checked_sub(self, other: Money) -> Result<Money, MoneyError> {
        self.same_currency(other)?;
        self.amount
            .checked_sub(other.amount)
            .map(|amount| Money::new(amount, self.currency))
            .ok_or_else(|| self.overflow("-", other))
    }

    /// `self × factor`, for example a discount rate or a quantity.
    ///
    /// # Errors
    ///
    /// [`MoneyErrorKind::Overflow`] when the product does not fit a [`Decimal`].
    pub fn checked_mul(self, factor: Decimal) -> Result<Money, MoneyError> {
        self.amount
            .checked_mul(factor)
            .map(|amount| Money::new(amount, self.currency))
            .ok_or_else(|| {
                MoneyError::new(MoneyErrorKind::Overflow {
                    operation: format!("{self} * {factor}"),
                })
            })
    }

    /// The amount with its sign flipped (a refund of a payment, say). Never overflows.
    #[must_use]
    pub fn negated(self) -> Money {
        Money::new(-self.amount, self.currency)
    }

    /// Whether the amount is exactly zero.
    pub fn is_zero(&self) -> bool {
        self.amount.is_zero()
    }

    /// Whether the amount is below zero.
    pub fn is_negative(&self) -> bool {
        self.amount.is_sign_negative() && !self.amount.is_zero()
    }

    /// Whether the amount is above zero.
    pub fn is_positive(&self) -> bool {
        self.amount.is_sign_positive() && !self.amount.is_zero()
    }

    /// The amount rounded to the currency's minor units (banker's rounding, i.e.
    /// midpoint to even), for output; amounts of units without minor units are kept.
    ///
    /// # Example
    ///
    /// ```
    /// use patronage::Money;
    ///
    /// assert_eq!("10.125 CNY".parse::<Money>()?.rounded().to_string(), "10.12 CNY");
    /// assert_eq!("10.135 CNY".parse::<Money>()?.rounded().to_string(), "10.14 CNY");
    /// assert_eq!("1234.5 JPY".parse::<Money>()?.rounded().to_string(), "1234 JPY");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn rounded(self) -> Money {
        match self.currency.minor_units() {
            Some(dp) => Money::new(
                self.amount
                    .round_dp_with_strategy(u32::from(dp), RoundingStrategy::MidpointNearestEven),
                self.currency,
            ),
            None => self,
        }
    }

    fn same_currency(self, other: Money) -> Result<(), MoneyError> {
        if self.currency == other.currency {
            Ok(())
        } else {
            Err(MoneyError::new(MoneyErrorKind::CurrencyMismatch {
                left: self.to_string(),
                right: other.to_string(),
            }))
        }
    }

    fn overflow(self, op: &str, other: Money) -> MoneyError {
        MoneyError::new(MoneyErrorKind::Overflow {
            operation: format!("{self} {op} {other}"),
        })
    }
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.amount, self.currency)
    }
}

impl FromStr for Money {
    type Err = MoneyError;

    /// Parses `AMOUNT CODE`, e.g. `12.30 CNY` or `-5 USD`.
    fn from_str(text: &str) -> Result<Money, MoneyError> {
        let mut parts = text.split_whitespace();
        let (Some(amount), Some(code), None) = (parts.next(), parts.next(), parts.next()) else {
            return Err(MoneyError::new(MoneyErrorKind::Syntax {
                text: text.to_owned(),
            }));
        };
        let amount = Decimal::from_str_exact(amount).map_err(|_| {
            MoneyError::new(MoneyErrorKind::Syntax {
                text: text.to_owned(),
            })
        })?;
        Ok(Money::new(amount, Currency::try_new(code)?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_is_sorted_and_well_formed() {
        for pair in ISO_4217.windows(2) {
            assert!(pair[0].0 < pair[1].0, "{} before {}", pair[0].0, pair[1].0);
        }
        for (code, _) in ISO_4217 {
            assert!(code.len() == 3 && code.bytes().all(|b| b.is_ascii_uppercase()));
        }
    }

    #[test]
    fn currency_is_small_and_copy() {
        assert_eq!(std::mem::size_of::<Currency>(), 3);
        assert_eq!(std::mem::size_of::<Option<Currency>>(), 4);
    }

    #[test]
    fn error_messages() {
        let e = |r: Result<Money, MoneyError>| r.unwrap_err().to_string();
        assert_eq!(
            e("12 cny".parse()),
            "unknown currency code `cny`: expected an ISO 4217 code such as `CNY`, `USD` or `EUR`"
        );
        assert_eq!(
            e("12CNY".parse()),
            "cannot read `12CNY` as money: expected an amount and an ISO 4217 code separated by a space, such as `12.30 CNY`"
        );
        assert_eq!(
            e("twelve CNY".parse()),
            "cannot read `twelve CNY` as money: expected an amount and an ISO 4217 code separated by a space, such as `12.30 CNY`"
        );
        let max = Money::new(Decimal::MAX, Currency::CNY);
        assert_eq!(
            e(max.checked_add(max)),
            "`79228162514264337593543950335 CNY + 79228162514264337593543950335 CNY` overflows: amounts must stay within ±79228162514264337593543950335"
        );
        assert_eq!(
            e(max.checked_sub(max.negated())),
            "`79228162514264337593543950335 CNY - -79228162514264337593543950335 CNY` overflows: amounts must stay within ±79228162514264337593543950335"
        );
        assert_eq!(
            e(max.checked_mul(Decimal::TWO)),
            "`79228162514264337593543950335 CNY * 2` overflows: amounts must stay within ±79228162514264337593543950335"
        );
        let usd = Money::zero(Currency::USD);
        assert_eq!(
            e(max.checked_sub(usd)),
            "cannot combine `79228162514264337593543950335 CNY` with `0 USD`: expected amounts in the same currency"
        );
    }

    #[test]
    fn serde_form() {
        let m: Money = "12.30 CNY".parse().unwrap();
        let json = serde_json::to_string(&m).unwrap();
        assert_eq!(json, r#"{"amount":"12.30","currency":"CNY"}"#);
        assert_eq!(serde_json::from_str::<Money>(&json).unwrap(), m);
        let bad = serde_json::from_str::<Money>(r#"{"amount":"1","currency":"ABC"}"#);
        assert!(bad
            .unwrap_err()
            .to_string()
            .contains("unknown currency code `ABC`"));
    }

    #[test]
    fn signs() {
        let m: Money = "-0.01 EUR".parse().unwrap();
        assert!(m.is_negative() && !m.is_positive() && !m.is_zero());
        assert!(Money::zero(Currency::EUR).is_zero());
        assert!(!Money::new(-Decimal::ZERO, Currency::EUR).is_negative());
    }
}
