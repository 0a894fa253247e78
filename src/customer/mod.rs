//! Customer records (R1–R3): customers, orders, refunds and interactions, their ids,
//! consent per channel, and personal data that never prints in clear; plus record
//! validation (R5) and the change log (R30).
//!
//! Every record type is a plain serde struct with public fields: the host fills it from
//! its own storage. Checks that need only the record itself are its `check` method;
//! checks across records (duplicate ids, orders before registration, mixed currencies)
//! are the [`Validator`]'s.

mod changelog;
mod consent;
mod error;
mod ids;
mod interaction;
mod order;
mod pii;
mod validate;

use std::collections::BTreeMap;
use std::fmt;

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use chrono_tz::Tz;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

pub use self::changelog::{diff, Change, ChangeEntry, PiiDisplay};
pub use self::consent::{Channel, Consent, ConsentState};
pub use self::error::{RecordError, RecordErrorKind, RecordRef};
pub use self::ids::{CustomerId, OrderId};
pub use self::interaction::{Interaction, InteractionKind};
pub(crate) use self::order::check_refund_amount;
pub use self::order::{Order, OrderStatus, Refund};
pub use self::pii::{Email, PersonName, Phone};
pub use self::validate::{Records, Reject, ValidationMode, ValidationReport, Validator};

/// A customer record (R1).
///
/// Only `id` is required; everything else is optional because hosts know different
/// things. Personal data ([`PersonName`], [`Phone`], [`Email`]) never prints in clear.
///
/// # Example
///
/// ```
/// use chrono::{TimeZone, Utc};
/// use patronage::{Channel, Consent, Customer, CustomerId}; use patronage::customer::Source; use patronage::customer::Email;
///
/// let at = Utc.with_ymd_and_hms(2024, 1, 5, 8, 0, 0).single().ok_or("bad date")?;
/// let mut alice = Customer::new(CustomerId(1));
/// alice.registered_at = Some(at);
/// alice.source = Some(Source::Marketplace("Tmall".to_owned()));
/// alice.email = Some(Email::new("alice@example.com"));
/// alice.consents.insert(Channel::Email, Consent::opted_in(at));
/// alice.preferred_channels = vec![Channel::Email, Channel::Sms];
/// alice.set_time_zone("Asia/Shanghai")?;
/// alice.check()?;
/// assert!(alice.may_contact(Channel::Email));
/// assert!(!alice.may_contact(Channel::Sms)); // no consent recorded
/// assert!(!format!("{alice:?}").contains("alice@example.com"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Customer {
    /// The customer's id.
    pub id: CustomerId,
    /// When the customer registered, if known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub registered_at: Option<DateTime<Utc>>,
    /// How the customer was acquired.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<Source>,
    /// Name (redacted in `Debug`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<PersonName>,
    /// Phone number (redacted in `Debug`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<Phone>,
    /// E-mail address (redacted in `Debug`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<Email>,
    /// Consent per channel; a channel without an entry has no consent.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub consents: BTreeMap<Channel, Consent>,
    /// Preferred channels, most preferred first, each at most once.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub preferred_channels: Vec<Channel>,
    /// Birthday (month and day, year optional).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub birthday: Option<Birthday>,
    /// The customer's IANA time zone, if known (serialised as its name).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time_zone: Option<Tz>,
    /// Loyalty points and when they expire. The facts carry the points usable at
    /// `as_of` ([`Facts::points`](crate::Facts::points)), which VIP levels by points and
    /// rules reading `points` use. (The VIP level itself is not a record field: the
    /// segmentation computes it from the config's levels, by spend or by points.)
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub points: Option<Points>,
    /// Free-form typed attributes (gender, region, industry, company size…).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub attributes: BTreeMap<String, AttributeValue>,
}

impl Customer {
    /// A customer with only an id.
    pub fn new(id: CustomerId) -> Customer {
        Customer {
            id,
            registered_at: None,
            source: None,
            name: None,
            phone: None,
            email: None,
            consents: BTreeMap::new(),
            preferred_channels: Vec::new(),
            birthday: None,
            time_zone: None,
            points: None,
            attributes: BTreeMap::new(),
        }
    }

    /// The record reference used in error messages.
    pub fn record(&self) -> RecordRef {
        RecordRef::Customer(self.id)
    }

    /// Sets the time zone from an IANA name such as `Asia/Shanghai`.
    ///
    /// # Errors
    ///
    /// [`RecordErrorKind::UnknownTimeZone`] when the name is not in the IANA database
    /// (names are case-sensitive: `asia/shanghai` is rejected).
    ///
    /// # Example
    ///
    /// ```
    /// use patronage::{Customer, CustomerId};
    ///
    /// let mut c = Customer::new(CustomerId(1));
    /// let err = c.set_time_zone("Asia/Peking").unwrap_err();
    /// assert_eq!(err.to_string(), "customer `1`: field `time_zone`: unknown time zone `Asia/Peking`: expected an IANA name such as `Asia/Shanghai` or `UTC`");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn set_time_zone(&mut self, name: &str) -> Result<(), RecordError> {
        let tz: Tz = name.parse().map_err(|_| {
            RecordError::new(
                self.record(),
                "time_zone",
                RecordErrorKind::UnknownTimeZone {
                    name: name.to_owned(),
                },
            )
        })?;
        self.time_zone = Some(tz);
        Ok(())
    }

    /// Whether the customer consented to contact on `channel` (an entry opted in).
    pub fn may_contact(&self, channel: Channel) -> bool {
        self.consents
            .get(&channel)
            .is_some_and(Consent::allows_contact)
    }

    /// Checks what a single customer record can get wrong: a preferred channel listed
    /// twice, expiring points above the balance.
    ///
    /// # Errors
    ///
    /// [`RecordErrorKind::DuplicateChannel`] and [`RecordErrorKind::PointsExceedBalance`].
    pub fn check(&self) -> Result<(), RecordError> {
        for (idx, channel) in self.preferred_channels.iter().enumerate() {
            if self
                .preferred_channels
                .iter()
                .take(idx)
                .any(|c| c == channel)
            {
                return Err(RecordError::new(
                    self.record(),
                    "preferred_channels",
                    RecordErrorKind::DuplicateChannel {
                        channel: channel.to_string(),
                    },
                ));
            }
        }
        if let Some(points) = &self.points {
            let expiring = points
                .expiring
                .iter()
                .fold(0u64, |acc, lot| acc.saturating_add(lot.points));
            if expiring > points.balance {
                return Err(RecordError::new(
                    self.record(),
                    "points.expiring",
                    RecordErrorKind::PointsExceedBalance {
                        balance: points.balance,
                        expiring,
                    },
                ));
            }
        }
        Ok(())
    }
}

/// How a customer was acquired (R1).
///
/// Serialises as `"own_site"`, `"app"`, `"mini_program"`, `"offline_store"`,
/// `{"marketplace": "Tmall"}` or `{"other": "…"}`.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Source {
    /// The company's own web shop.
    OwnSite,
    /// The company's app.
    App,
    /// A mini-program (WeChat, Alipay…).
    MiniProgram,
    /// An offline store.
    OfflineStore,
    /// A third-party marketplace, by name (`Tmall`, `JD`…).
    Marketplace(String),
    /// Anything else, by name.
    Other(String),
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Source::OwnSite => f.write_str("own_site"),
            Source::App => f.write_str("app"),
            Source::MiniProgram => f.write_str("mini_program"),
            Source::OfflineStore => f.write_str("offline_store"),
            Source::Marketplace(name) => write!(f, "marketplace:{name}"),
            Source::Other(name) => write!(f, "other:{name}"),
        }
    }
}

/// A birthday: month and day, with the year when known.
///
/// # 29 February
///
/// A birthday on 29 February is celebrated on **28 February** in years without one
/// (the last day of February, so it stays in the birthday month); see
/// [`Birthday::in_year`].
///
/// # Example
///
/// ```
/// use chrono::NaiveDate;
/// use patronage::customer::Birthday;
///
/// let leap = Birthday::try_new(2, 29, Some(2000))?;
/// assert_eq!(leap.in_year(2025), NaiveDate::from_ymd_opt(2025, 2, 28));
/// assert_eq!(leap.in_year(2028), NaiveDate::from_ymd_opt(2028, 2, 29));
/// assert!(Birthday::try_new(4, 31, None).is_err());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "RawBirthday", into = "RawBirthday")]
pub struct Birthday {
    month: u32,
    day: u32,
    year: Option<i32>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawBirthday {
    month: u32,
    day: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    year: Option<i32>,
}

impl Birthday {
    /// A birthday; with a year, the date must exist in that year, without one it must
    /// exist in a leap year (so 29 February is allowed).
    ///
    /// # Errors
    ///
    /// [`RecordErrorKind::InvalidBirthday`] when month and day are not a calendar day.
    /// The kind alone is returned because a birthday does not know its customer; serde
    /// reports its message when a customer record carries a bad birthday.
    pub fn try_new(month: u32, day: u32, year: Option<i32>) -> Result<Birthday, RecordErrorKind> {
        if NaiveDate::from_ymd_opt(year.unwrap_or(2000), month, day).is_none() {
            return Err(RecordErrorKind::InvalidBirthday { month, day });
        }
        Ok(Birthday { month, day, year })
    }

    /// The month, 1–12.
    pub fn month(&self) -> u32 {
        self.month
    }

    /// The day of the month, 1–31.
    pub fn day(&self) -> u32 {
        self.day
    }

    /// The birth year, when known.
    pub fn year(&self) -> Option<i32> {
        self.year
    }

    /// The date the birthday falls on in `year` (29 February → 28 February in common
    /// years); `None` only when `year` is outside chrono's range.
    pub fn in_year(&self, year: i32) -> Option<NaiveDate> {
        NaiveDate::from_ymd_opt(year, self.month, self.day)
            .or_else(|| NaiveDate::from_ymd_opt(year, self.month, 28))
    }

    /// The age in whole years on `date`, when the year is known.
    pub fn age_on(&self, date: NaiveDate) -> Option<i32> {
        let year = self.year?;
        let this_year = self.in_year(date.year())?;
        let age = date.year().checked_sub(year)?;
        Some(if date < this_year { age - 1 } else { age })
    }
}

impl TryFrom<RawBirthday> for Birthday {
    type Error = RecordErrorKind;

    fn try_from(raw: RawBirthday) -> Result<Birthday, RecordErrorKind> {
        Birthday::try_new(raw.month, raw.day, raw.year)
    }
}

impl From<Birthday> for RawBirthday {
    fn from(b: Birthday) -> RawBirthday {
        RawBirthday {
            month: b.month,
            day: b.day,
            year: b.year,
        }
    }
}

/// A points balance and the lots of it that expire.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Points {
    /// Points available now.
    pub balance: u64,
    /// Lots that expire, each with its date; their total must not exceed `balance`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub expiring: Vec<PointsLot>,
}

impl Points {
    /// The points expiring on or before `date`.
    pub fn expiring_by(&self, date: NaiveDate) -> u64 {
        self.expiring
            .iter()
            .filter(|lot| lot.expires_on <= date)
            .fold(0u64, |acc, lot| acc.saturating_add(lot.points))
    }
}

/// A lot of points that expires at the end of a date.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PointsLot {
    /// How many points.
    pub points: u64,
    /// The last day they can be used.
    pub expires_on: NaiveDate,
}

/// A typed custom attribute value.
///
/// Serialises externally tagged: `{"text": "east"}`, `{"integer": 250}`,
/// `{"decimal": "3.5"}`, `{"bool": true}`, `{"date": "2024-01-31"}`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum AttributeValue {
    /// Text, e.g. a region or an industry.
    Text(String),
    /// A whole number, e.g. a company's head count.
    Integer(i64),
    /// An exact decimal.
    Decimal(Decimal),
    /// Yes or no.
    Bool(bool),
    /// A calendar date.
    Date(NaiveDate),
}

impl fmt::Display for AttributeValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AttributeValue::Text(text) => f.write_str(text),
            AttributeValue::Integer(n) => write!(f, "{n}"),
            AttributeValue::Decimal(d) => write!(f, "{d}"),
            AttributeValue::Bool(b) => write!(f, "{b}"),
            AttributeValue::Date(d) => write!(f, "{d}"),
        }
    }
}
