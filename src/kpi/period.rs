//! Reporting periods in the company's zone: calendar month, quarter, year and custom
//! ranges of dates, with "the same period last year" and "the previous period".

use std::fmt;

use chrono::{DateTime, Days, Months, NaiveDate, TimeZone, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

use crate::kpi::error::{KpiError, KpiErrorKind};

/// A reporting period: whole calendar dates in the company's IANA zone, turned into the
/// half-open range of UTC instants `[start, end)`.
///
/// # Same period last year
///
/// A calendar month, quarter or year maps to the same month, quarter or year one year
/// earlier, whole: February 2025 (28 days) maps to February 2024 (29 days), so 29
/// February 2024 is counted in the comparison. A custom range moves each of its two
/// dates back one calendar year; 29 February becomes 28 February (the range
/// 2024-02-01..=2024-02-29 maps to 2023-02-01..=2023-02-28).
///
/// # Day boundaries
///
/// A date starts at local midnight; where a zone skips midnight (a daylight-saving
/// change at 00:00), it starts at the first local instant of that date, and where
/// midnight occurs twice, at the earlier one.
///
/// # Example
///
/// ```
/// use chrono_tz::Asia::Shanghai;
/// use patronage::kpi::Period;
///
/// let feb = Period::month(2025, 2, Shanghai)?;
/// assert_eq!(feb.to_string(), "2025-02");
/// assert_eq!(feb.start().to_rfc3339(), "2025-01-31T16:00:00+00:00");
/// let last_year = feb.same_period_last_year()?;
/// assert_eq!((last_year.first_date().to_string(), last_year.last_date().to_string()),
///     ("2024-02-01".to_owned(), "2024-02-29".to_owned()));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "PeriodSpec", into = "PeriodSpec")]
pub struct Period {
    kind: PeriodKind,
    zone: Tz,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
}

/// What kind of period, with its calendar coordinates.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum PeriodKind {
    /// A calendar month.
    Month {
        /// The year.
        year: i32,
        /// The month, 1–12.
        month: u32,
    },
    /// A calendar quarter.
    Quarter {
        /// The year.
        year: i32,
        /// The quarter, 1–4.
        quarter: u32,
    },
    /// A calendar year.
    Year {
        /// The year.
        year: i32,
    },
    /// A custom range of whole dates, both inclusive.
    Custom {
        /// The first date.
        first: NaiveDate,
        /// The last date, on or after `first`.
        last: NaiveDate,
    },
}

/// The serde form of a [`Period`]: its kind and zone.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PeriodSpec {
    /// The kind and calendar coordinates.
    pub kind: PeriodKind,
    /// The company's IANA zone.
    pub zone: Tz,
}

impl Period {
    /// A calendar month in `zone`.
    ///
    /// # Errors
    ///
    /// [`KpiErrorKind::InvalidPeriod`] for a month outside 1–12 or a year out of
    /// range.
    ///
    /// # Example
    ///
    /// ```
    /// let p = patronage::kpi::Period::month(2024, 2, chrono_tz::UTC)?;
    /// assert_eq!(p.last_date().to_string(), "2024-02-29");
    /// assert_eq!(patronage::kpi::Period::month(2024, 13, chrono_tz::UTC).unwrap_err().to_string(),
    ///     "period 2024-13: expected a month from 1 to 12");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn month(year: i32, month: u32, zone: Tz) -> Result<Period, KpiError> {
        Period::new(PeriodKind::Month { year, month }, zone)
    }

    /// A calendar quarter (1–4) in `zone`.
    ///
    /// # Errors
    ///
    /// [`KpiErrorKind::InvalidPeriod`] for a quarter outside 1–4 or a year out of range.
    ///
    /// # Example
    ///
    /// ```
    /// let q = patronage::kpi::Period::quarter(2024, 1, chrono_tz::UTC)?;
    /// assert_eq!(q.to_string(), "2024-Q1");
    /// assert_eq!(q.last_date().to_string(), "2024-03-31");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn quarter(year: i32, quarter: u32, zone: Tz) -> Result<Period, KpiError> {
        Period::new(PeriodKind::Quarter { year, quarter }, zone)
    }

    /// A calendar year in `zone`.
    ///
    /// # Errors
    ///
    /// [`KpiErrorKind::InvalidPeriod`] for a year out of chrono's range.
    ///
    /// # Example
    ///
    /// ```
    /// let y = patronage::kpi::Period::year(2024, chrono_tz::UTC)?;
    /// assert_eq!(y.days(), 366);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn year(year: i32, zone: Tz) -> Result<Period, KpiError> {
        Period::new(PeriodKind::Year { year }, zone)
    }

    /// The dates `first..=last` in `zone`.
    ///
    /// # Errors
    ///
    /// [`KpiErrorKind::InvalidPeriod`] when `last` is before `first`.
    ///
    /// # Example
    ///
    /// ```
    /// use chrono::NaiveDate;
    /// let first = NaiveDate::from_ymd_opt(2024, 2, 10).ok_or("date")?;
    /// let last = NaiveDate::from_ymd_opt(2024, 3, 9).ok_or("date")?;
    /// let p = patronage::kpi::Period::custom(first, last, chrono_tz::UTC)?;
    /// assert_eq!(p.days(), 29);
    /// assert_eq!(p.to_string(), "2024-02-10..=2024-03-09");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn custom(first: NaiveDate, last: NaiveDate, zone: Tz) -> Result<Period, KpiError> {
        Period::new(PeriodKind::Custom { first, last }, zone)
    }

    /// A period of `kind` in `zone`.
    ///
    /// # Errors
    ///
    /// [`KpiErrorKind::InvalidPeriod`] for coordinates out of range.
    ///
    /// # Example
    ///
    /// ```
    /// use patronage::kpi::{Period, PeriodKind};
    /// let p = Period::new(PeriodKind::Year { year: 2023 }, chrono_tz::UTC)?;
    /// assert_eq!(p.days(), 365);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn new(kind: PeriodKind, zone: Tz) -> Result<Period, KpiError> {
        let (first, last) = kind.dates()?;
        let end_date = last
            .checked_add_days(Days::new(1))
            .ok_or_else(|| invalid_period(&kind, "a date within chrono's range"))?;
        Ok(Period {
            kind,
            zone,
            start: local_midnight(first, zone)
                .ok_or_else(|| invalid_period(&kind, "a date within chrono's range"))?,
            end: local_midnight(end_date, zone)
                .ok_or_else(|| invalid_period(&kind, "a date within chrono's range"))?,
        })
    }

    /// The kind and calendar coordinates.
    pub fn kind(&self) -> PeriodKind {
        self.kind
    }

    /// The company's zone.
    pub fn zone(&self) -> Tz {
        self.zone
    }

    /// The first instant of the period.
    pub fn start(&self) -> DateTime<Utc> {
        self.start
    }

    /// The first instant after the period.
    pub fn end(&self) -> DateTime<Utc> {
        self.end
    }

    /// The first date.
    pub fn first_date(&self) -> NaiveDate {
        self.start.with_timezone(&self.zone).date_naive()
    }

    /// The last date.
    pub fn last_date(&self) -> NaiveDate {
        match self.kind.dates() {
            Ok((_, last)) => last,
            // The kind was checked when the period was built.
            Err(_) => self.first_date(),
        }
    }

    /// The number of dates in the period.
    pub fn days(&self) -> u64 {
        (self.last_date() - self.first_date())
            .num_days()
            .unsigned_abs()
            + 1
    }

    /// Whether `instant` lies in `[start, end)`.
    pub fn contains(&self, instant: DateTime<Utc>) -> bool {
        self.start <= instant && instant < self.end
    }

    /// The same period one year earlier (see the type's docs for 29 February).
    ///
    /// # Errors
    ///
    /// [`KpiErrorKind::InvalidPeriod`] when the year before is out of chrono's range.
    ///
    /// # Example
    ///
    /// ```
    /// use chrono::NaiveDate;
    /// let first = NaiveDate::from_ymd_opt(2024, 2, 1).ok_or("date")?;
    /// let last = NaiveDate::from_ymd_opt(2024, 2, 29).ok_or("date")?;
    /// let p = patronage::kpi::Period::custom(first, last, chrono_tz::UTC)?;
    /// assert_eq!(p.same_period_last_year()?.to_string(), "2023-02-01..=2023-02-28");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn same_period_last_year(&self) -> Result<Period, KpiError> {
        let kind = match self.kind {
            PeriodKind::Month { year, month } => PeriodKind::Month {
                year: year - 1,
                month,
            },
            PeriodKind::Quarter { year, quarter } => PeriodKind::Quarter {
                year: year - 1,
                quarter,
            },
            PeriodKind::Year { year } => PeriodKind::Year { year: year - 1 },
            PeriodKind::Custom { first, last } => {
                let back = |d: NaiveDate| {
                    d.checked_sub_months(Months::new(12))
                        .ok_or_else(|| invalid_period(&self.kind, "a date within chrono's range"))
                };
                PeriodKind::Custom {
                    first: back(first)?,
                    last: back(last)?,
                }
            }
        };
        Period::new(kind, self.zone)
    }

    /// The period just before: the previous month, quarter or year, or the custom
    /// range of as many dates ending the day before `first`.
    ///
    /// # Errors
    ///
    /// [`KpiErrorKind::InvalidPeriod`] when it is out of chrono's range.
    ///
    /// # Example
    ///
    /// ```
    /// let jan = patronage::kpi::Period::month(2024, 1, chrono_tz::UTC)?;
    /// assert_eq!(jan.previous()?.to_string(), "2023-12");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn previous(&self) -> Result<Period, KpiError> {
        let kind = match self.kind {
            PeriodKind::Month { year, month: 1 } => PeriodKind::Month {
                year: year - 1,
                month: 12,
            },
            PeriodKind::Month { year, month } => PeriodKind::Month {
                year,
                month: month - 1,
            },
            PeriodKind::Quarter { year, quarter: 1 } => PeriodKind::Quarter {
                year: year - 1,
                quarter: 4,
            },
            PeriodKind::Quarter { year, quarter } => PeriodKind::Quarter {
                year,
                quarter: quarter - 1,
            },
            PeriodKind::Year { year } => PeriodKind::Year { year: year - 1 },
            PeriodKind::Custom { first, last } => {
                let length = (last - first).num_days().unsigned_abs() + 1;
                let new_last = first.checked_sub_days(Days::new(1));
                let new_first = first.checked_sub_days(Days::new(length));
                match (new_first, new_last) {
                    (Some(first), Some(last)) => PeriodKind::Custom { first, last },
                    _ => return Err(invalid_period(&self.kind, "a date within chrono's range")),
                }
            }
        };
        Period::new(kind, self.zone)
    }
}

impl PeriodKind {
    /// The first and last dates.
    fn dates(&self) -> Result<(NaiveDate, NaiveDate), KpiError> {
        let ymd = |y: i32, m: u32, d: u32| {
            NaiveDate::from_ymd_opt(y, m, d)
                .ok_or_else(|| invalid_period(self, "a year within chrono's range"))
        };
        match *self {
            PeriodKind::Month { year, month } => {
                if !(1..=12).contains(&month) {
                    return Err(invalid_period(self, "a month from 1 to 12"));
                }
                let first = ymd(year, month, 1)?;
                let next = first
                    .checked_add_months(Months::new(1))
                    .ok_or_else(|| invalid_period(self, "a year within chrono's range"))?;
                // The first of the next month always has a day before it.
                Ok((first, next.pred_opt().unwrap_or(first)))
            }
            PeriodKind::Quarter { year, quarter } => {
                if !(1..=4).contains(&quarter) {
                    return Err(invalid_period(self, "a quarter from 1 to 4"));
                }
                let first_month = 3 * (quarter - 1) + 1;
                let first = ymd(year, first_month, 1)?;
                let last_month = first_month + 2;
                let last_day = if last_month == 6 || last_month == 9 {
                    30
                } else {
                    31
                };
                Ok((first, ymd(year, last_month, last_day)?))
            }
            PeriodKind::Year { year } => Ok((ymd(year, 1, 1)?, ymd(year, 12, 31)?)),
            PeriodKind::Custom { first, last } => {
                if last < first {
                    return Err(invalid_period(self, "the first date on or before the last"));
                }
                Ok((first, last))
            }
        }
    }
}

impl fmt::Display for PeriodKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PeriodKind::Month { year, month } => write!(f, "{year:04}-{month:02}"),
            PeriodKind::Quarter { year, quarter } => write!(f, "{year:04}-Q{quarter}"),
            PeriodKind::Year { year } => write!(f, "{year:04}"),
            PeriodKind::Custom { first, last } => write!(f, "{first}..={last}"),
        }
    }
}

impl fmt::Display for Period {
    /// `2024-02`, `2024-Q1`, `2024`, `2024-02-01..=2024-02-29`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.kind.fmt(f)
    }
}

impl TryFrom<PeriodSpec> for Period {
    type Error = KpiError;

    fn try_from(spec: PeriodSpec) -> Result<Period, KpiError> {
        Period::new(spec.kind, spec.zone)
    }
}

impl From<Period> for PeriodSpec {
    fn from(period: Period) -> PeriodSpec {
        PeriodSpec {
            kind: period.kind,
            zone: period.zone,
        }
    }
}

fn invalid_period(kind: &PeriodKind, expected: &'static str) -> KpiError {
    KpiError::new(KpiErrorKind::InvalidPeriod {
        period: kind.to_string(),
        expected,
    })
}

/// The first instant of `date` in `zone`: local midnight, the earlier of two, or the
/// first local instant after a gap at midnight.
fn local_midnight(date: NaiveDate, zone: Tz) -> Option<DateTime<Utc>> {
    let midnight = date.and_time(chrono::NaiveTime::MIN);
    if let Some(instant) = zone.from_local_datetime(&midnight).earliest() {
        return Some(instant.with_timezone(&Utc));
    }
    // A gap at midnight: walk forward minute by minute (gaps are at most a few hours).
    for minutes in 1..=24 * 60 {
        let local = midnight + chrono::Duration::minutes(minutes);
        if local.date() != date {
            break;
        }
        if let Some(instant) = zone.from_local_datetime(&local).earliest() {
            return Some(instant.with_timezone(&Utc));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gap_at_midnight_starts_at_first_local_instant() {
        // Santiago moved clocks from 00:00 to 01:00 on 2022-09-11.
        let date = NaiveDate::from_ymd_opt(2022, 9, 11).unwrap();
        let start = local_midnight(date, chrono_tz::America::Santiago).unwrap();
        assert_eq!(start.to_rfc3339(), "2022-09-11T04:00:00+00:00");
        assert_eq!(
            start
                .with_timezone(&chrono_tz::America::Santiago)
                .date_naive(),
            date
        );
    }

    #[test]
    fn year_has_its_days() {
        assert_eq!(Period::year(2023, Tz::UTC).unwrap().days(), 365);
        assert_eq!(Period::quarter(2024, 1, Tz::UTC).unwrap().days(), 91);
        assert_eq!(Period::month(2023, 2, Tz::UTC).unwrap().days(), 28);
    }
}
