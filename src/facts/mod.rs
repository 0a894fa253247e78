//! Per-customer facts as of an instant (R4): the streaming, mergeable [`Aggregator`],
//! the [`Facts`] of one customer, the columnar [`FactsTable`] of a whole base (also
//! built in bulk from dated events in columns, [`FactsTable::from_dated_events`], with
//! the aggregator's per-event rule), and the repeat-purchase summary that feeds the
//! BG/NBD and Gamma-Gamma models (R28).
//!
//! # Definitions
//!
//! Facts follow SPEC §8 to the letter:
//!
//! - An instant becomes a calendar *date* in the reference time zone
//!   ([`FactsOptions::time_zone`], default UTC). "Days since X" counts calendar days
//!   from X's date to the `as_of` date; the same day is 0.
//! - A *purchase* is an order with status paid, or partially refunded with a net amount
//!   above zero. Cancelled and fully refunded orders are not purchases and add nothing
//!   to spend. Several purchases on one date are several purchases.
//! - `frequency` counts purchases in the frequency window, the dates
//!   `as_of − (window − 1) ..= as_of` (365 days by default, i.e. `days_since ≤ 364`);
//!   a window of `None` means all time.
//! - `monetary` is cumulative net spend over all time: net amounts of purchases minus
//!   separate refund events.
//! - Events after `as_of` are ignored and counted ([`Aggregator::ignored_after_as_of`]).

mod aggregate;
mod batch;
mod error;
mod fold;
mod options;
mod partial;
mod repeat;
mod sort;
mod table;

use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

pub use self::aggregate::Aggregator;
pub use self::batch::BatchOptions;
pub use self::error::{BatchError, FactsError, FactsErrorKind};
pub use self::fold::{DatedFolder, OrderParts};
pub use self::options::{FactsConfig, FactsOptions, FrequencyBand, FrequencyBands};
pub use self::partial::PartialFacts;
pub use self::repeat::{RepeatSummary, RepeatSummaryBuilder};
pub use self::table::{FactsTable, InteractionSummary};

use crate::customer::{CustomerId, InteractionKind};

/// The number of 7-day login blocks the facts keep, ending at `as_of` (the *Active*
/// rule of SPEC §8 looks at 4).
pub const LOGIN_WEEKS: usize = 4;

/// The facts of one customer as of an instant (R4). Amounts are in the aggregate's
/// (or table's) currency.
///
/// # Example
///
/// ```
/// use chrono::{TimeZone, Utc};
/// use patronage::{Aggregator, Currency, CustomerId, FactsOptions, Order, OrderId, OrderStatus};
///
/// let t = |d| Utc.with_ymd_and_hms(2024, 6, d, 12, 0, 0).single().ok_or("bad date");
/// let mut agg = Aggregator::new(FactsOptions::new(t(30)?, Currency::CNY));
/// agg.add_order(&Order::new(OrderId(1), CustomerId(5), t(1)?, "80.00 CNY".parse()?, OrderStatus::Paid))?;
/// agg.add_order(&Order::new(OrderId(2), CustomerId(5), t(20)?, "20.00 CNY".parse()?, OrderStatus::Paid))?;
/// let facts = agg.facts(CustomerId(5)).ok_or("no facts")?;
/// assert_eq!(facts.recency_days, Some(10));
/// assert_eq!(facts.frequency, 2);
/// assert_eq!(facts.monetary.to_string(), "100.00");
/// assert_eq!(facts.average_order_value.map(|d| d.to_string()), Some("50.00".to_owned()));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Facts {
    /// The customer.
    pub customer: CustomerId,
    /// The registration date, when known and not after `as_of`.
    pub registered_on: Option<NaiveDate>,
    /// Days since registration.
    pub days_since_registration: Option<u32>,
    /// The date of the first purchase.
    pub first_purchase: Option<NaiveDate>,
    /// The date of the last purchase.
    pub last_purchase: Option<NaiveDate>,
    /// Days since the first purchase (the *New* rule).
    pub days_since_first_purchase: Option<u32>,
    /// Days since the last purchase; `None` for non-purchasers.
    pub recency_days: Option<u32>,
    /// Purchases over all time.
    pub purchases: u32,
    /// Purchases in the frequency window.
    pub frequency: u32,
    /// The band of `frequency`.
    pub frequency_band: FrequencyBand,
    /// Average purchases per month in the window: `frequency × 365 / 12 / window_days`
    /// (exactly `frequency / 12` for the default window). With an all-time window the
    /// span is from the first purchase date to `as_of`, inclusive.
    pub monthly_average: f64,
    /// Average purchases per quarter, `frequency × 365 / 4 / window_days`.
    pub quarterly_average: f64,
    /// Average purchases per year, `frequency × 365 / window_days`.
    pub yearly_average: f64,
    /// Cumulative net spend over all time (purchases' net amounts minus refund events).
    pub monetary: Decimal,
    /// `monetary / purchases`; `None` without purchases.
    pub average_order_value: Option<Decimal>,
    /// Refunds: refunded and partially refunded orders plus refund events.
    pub refunds: u32,
    /// The total refunded, over all refunds.
    pub refunded: Decimal,
    /// Cancelled orders.
    pub cancelled: u32,
    /// Per interaction kind, the count and the last instant.
    pub interactions: InteractionFacts,
    /// Logins in each of the last [`LOGIN_WEEKS`] 7-day blocks ending at `as_of`;
    /// index 0 is days 0–6 ago, index 1 days 7–13 ago, and so on.
    pub weekly_logins: [u32; LOGIN_WEEKS],
    /// Days since the last interaction of any kind (the *Churned* rule).
    pub days_since_last_interaction: Option<u32>,
    /// Whether any browse, favorite or add-to-cart ever happened (the *Potential* rule).
    pub shown_interest: bool,
    /// The loyalty points usable at `as_of`, from the customer record
    /// ([`Customer::points`](crate::Customer::points)): the balance less the lots that
    /// expired before the `as_of` date. `None` without a record carrying points.
    pub points: Option<u64>,
}

impl Facts {
    /// The facts of a customer with no event at all.
    pub fn empty(customer: CustomerId) -> Facts {
        Facts {
            customer,
            registered_on: None,
            days_since_registration: None,
            first_purchase: None,
            last_purchase: None,
            days_since_first_purchase: None,
            recency_days: None,
            purchases: 0,
            frequency: 0,
            frequency_band: FrequencyBand::Below,
            monthly_average: 0.0,
            quarterly_average: 0.0,
            yearly_average: 0.0,
            monetary: Decimal::ZERO,
            average_order_value: None,
            refunds: 0,
            refunded: Decimal::ZERO,
            cancelled: 0,
            interactions: InteractionFacts::default(),
            weekly_logins: [0; LOGIN_WEEKS],
            days_since_last_interaction: None,
            shown_interest: false,
            points: None,
        }
    }

    /// Whether the customer has purchased at least once.
    pub fn is_purchaser(&self) -> bool {
        self.purchases > 0
    }

    /// Whether there was at least one login in each of the last [`LOGIN_WEEKS`] weeks.
    pub fn logged_in_every_week(&self) -> bool {
        self.weekly_logins.iter().all(|&n| n > 0)
    }
}

/// Per interaction kind, how many and the last instant.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct InteractionFacts {
    counts: [u32; InteractionKind::COUNT],
    last: [Option<DateTime<Utc>>; InteractionKind::COUNT],
}

impl InteractionFacts {
    /// How many interactions of `kind`.
    pub fn count(&self, kind: InteractionKind) -> u32 {
        self.counts.get(kind.index()).copied().unwrap_or(0)
    }

    /// The last interaction of `kind`.
    pub fn last(&self, kind: InteractionKind) -> Option<DateTime<Utc>> {
        self.last.get(kind.index()).copied().flatten()
    }

    /// Interactions of every kind.
    pub fn total(&self) -> u64 {
        self.counts.iter().map(|&n| u64::from(n)).sum()
    }

    /// The last interaction of any kind.
    pub fn last_any(&self) -> Option<DateTime<Utc>> {
        self.last.iter().flatten().max().copied()
    }

    /// Records `count` more interactions of `kind`, the latest at `last`.
    pub fn record(&mut self, kind: InteractionKind, count: u32, last: Option<DateTime<Utc>>) {
        if let Some(slot) = self.counts.get_mut(kind.index()) {
            *slot = slot.saturating_add(count);
        }
        if let Some(slot) = self.last.get_mut(kind.index()) {
            *slot = (*slot).max(last);
        }
    }
}

/// Calendar arithmetic for one set of options: day numbers (days since 1970-01-01) in
/// the reference zone, with a fast path for UTC.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Clock {
    time_zone: Tz,
    utc: bool,
    pub(crate) as_of_day: i32,
}

/// Days from 0001-01-01 (day 1 in chrono's count) to 1970-01-01.
const UNIX_EPOCH_FROM_CE: i32 = 719_163;
const SECONDS_PER_DAY: i64 = 86_400;

impl Clock {
    pub(crate) fn new(options: &FactsOptions) -> Clock {
        let utc = matches!(
            options.time_zone(),
            Tz::UTC
                | Tz::Etc__UTC
                | Tz::Etc__UCT
                | Tz::Etc__Universal
                | Tz::Etc__Zulu
                | Tz::UCT
                | Tz::Universal
                | Tz::Zulu
                | Tz::Etc__GMT
                | Tz::GMT
        );
        Clock {
            time_zone: options.time_zone(),
            utc,
            as_of_day: day_of_date(options.as_of_date()),
        }
    }

    /// Whether the reference zone is UTC (or an alias of it).
    pub(crate) fn is_utc(self) -> bool {
        self.utc
    }

    /// The day number of an instant's date in the reference zone.
    #[inline]
    pub(crate) fn day_of(self, instant: DateTime<Utc>) -> i32 {
        if self.utc {
            // Chrono instants span about ±262,000 years: the day count fits an i32.
            instant.timestamp().div_euclid(SECONDS_PER_DAY) as i32
        } else {
            day_of_date(instant.with_timezone(&self.time_zone).date_naive())
        }
    }

    /// Days from `day` to `as_of` (0 for the same day, never negative).
    #[inline]
    pub(crate) fn days_since(self, day: i32) -> u32 {
        self.as_of_day.saturating_sub(day).max(0) as u32
    }
}

/// Day numbers of instants in a zone other than UTC, with a direct-mapped cache of UTC
/// days: for a UTC day whose offset is the same at its first and last second, an
/// instant's local date is `(seconds + offset) / 86 400`, without a zone look-up.
///
/// # Why
///
/// A chrono-tz look-up (a binary search of the zone's transitions) per event costs
/// more than the rest of the fold. Events of a customer base span a few years, i.e. a
/// few hundred UTC days, so 1,024 cached days hit almost always, in any event order.
/// A UTC day with a transition inside it falls back to the look-up for each instant.
/// (A zone with two transitions inside one UTC day that cancel out would be missed;
/// no such day is known in the IANA data since 1970, and the unit test compares the
/// cache with direct conversion for irregular zones over 2010–2026.)
#[derive(Clone, Debug)]
pub(crate) struct ZoneDays {
    time_zone: Tz,
    entries: Box<[ZoneDay]>,
}

#[derive(Clone, Copy, Debug)]
struct ZoneDay {
    utc_day: i64,
    offset_secs: i64,
    constant: bool,
}

const ZONE_CACHE_LEN: usize = 1024;

impl ZoneDays {
    pub(crate) fn new(time_zone: Tz) -> ZoneDays {
        let empty = ZoneDay {
            utc_day: i64::MIN,
            offset_secs: 0,
            constant: false,
        };
        ZoneDays {
            time_zone,
            entries: vec![empty; ZONE_CACHE_LEN].into_boxed_slice(),
        }
    }

    /// The day number of an instant's date in the zone.
    #[inline]
    pub(crate) fn day_of(&mut self, instant: DateTime<Utc>) -> i32 {
        let secs = instant.timestamp();
        let utc_day = secs.div_euclid(SECONDS_PER_DAY);
        // `utc_day` may be negative; the cast wraps and the mask keeps the slot in range.
        let slot = (utc_day as usize) & (ZONE_CACHE_LEN - 1);
        let time_zone = self.time_zone;
        let Some(entry) = self.entries.get_mut(slot) else {
            return slow_day(time_zone, instant);
        };
        if entry.utc_day != utc_day {
            let start = utc_day.saturating_mul(SECONDS_PER_DAY);
            let first = offset_at(time_zone, start);
            let last = offset_at(time_zone, start.saturating_add(SECONDS_PER_DAY - 1));
            *entry = ZoneDay {
                utc_day,
                offset_secs: first.unwrap_or(0),
                constant: first.is_some() && first == last,
            };
        }
        if entry.constant {
            // Chrono instants span about ±262,000 years: the day count fits an i32.
            secs.saturating_add(entry.offset_secs)
                .div_euclid(SECONDS_PER_DAY) as i32
        } else {
            slow_day(time_zone, instant)
        }
    }
}

/// The zone's offset from UTC at a Unix time, in seconds.
fn offset_at(time_zone: Tz, secs: i64) -> Option<i64> {
    use chrono::{Offset, TimeZone};
    let at = DateTime::from_timestamp(secs, 0)?;
    Some(i64::from(
        time_zone
            .offset_from_utc_datetime(&at.naive_utc())
            .fix()
            .local_minus_utc(),
    ))
}

fn slow_day(time_zone: Tz, instant: DateTime<Utc>) -> i32 {
    day_of_date(instant.with_timezone(&time_zone).date_naive())
}

/// The day number (days since 1970-01-01) of a date.
#[inline]
pub(crate) fn day_of_date(date: NaiveDate) -> i32 {
    use chrono::Datelike;
    date.num_days_from_ce() - UNIX_EPOCH_FROM_CE
}

/// The date of a day number; `None` outside chrono's range.
pub(crate) fn date_of_day(day: i32) -> Option<NaiveDate> {
    NaiveDate::from_num_days_from_ce_opt(day.checked_add(UNIX_EPOCH_FROM_CE)?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::money::Currency;

    #[test]
    fn day_numbers_round_trip() {
        let d = NaiveDate::from_ymd_opt(1970, 1, 1).unwrap();
        assert_eq!(day_of_date(d), 0);
        let d = NaiveDate::from_ymd_opt(2024, 2, 29).unwrap();
        assert_eq!(date_of_day(day_of_date(d)), Some(d));
        let before = NaiveDate::from_ymd_opt(1969, 12, 31).unwrap();
        assert_eq!(day_of_date(before), -1);
    }

    #[test]
    fn zone_cache_agrees_with_zone_conversion() {
        use chrono_tz::{America, Asia, Australia, Europe};
        for tz in [
            America::Los_Angeles,
            Europe::London,
            Australia::Lord_Howe,
            Asia::Kathmandu,
            Asia::Shanghai,
            chrono_tz::Pacific::Apia, // skipped 30 December 2011 entirely
        ] {
            let mut cache = ZoneDays::new(tz);
            // Every 17 minutes over 2010–2026, forwards then backwards (cache reuse and
            // eviction both exercised), plus the seconds around each hour.
            let start = 1_262_304_000_i64;
            let end = 1_798_761_600_i64;
            let steps = (start..end)
                .step_by(1_020)
                .chain((start..end).rev().step_by(3_607));
            for secs in steps {
                let t = DateTime::from_timestamp(secs, 0).unwrap();
                assert_eq!(cache.day_of(t), slow_day(tz, t), "{tz} at {t}");
            }
        }
    }

    #[test]
    fn utc_fast_path_agrees_with_zone_conversion() {
        let as_of = DateTime::from_timestamp(1_700_000_000, 0).unwrap();
        let fast = Clock::new(&FactsOptions::new(as_of, Currency::CNY));
        assert!(fast.utc);
        for secs in [-86_401_i64, -1, 0, 1, 86_399, 86_400, 1_700_000_000] {
            let t = DateTime::from_timestamp(secs, 0).unwrap();
            assert_eq!(fast.day_of(t), day_of_date(t.date_naive()));
        }
        let shanghai = Clock::new(
            &FactsOptions::new(as_of, Currency::CNY).with_time_zone(chrono_tz::Asia::Shanghai),
        );
        assert!(!shanghai.utc);
        let late = DateTime::from_timestamp(16 * 3600, 0).unwrap(); // 1970-01-02 00:00 in Shanghai
        assert_eq!(shanghai.day_of(late), 1);
    }
}
