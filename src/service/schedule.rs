//! Business hours: a compiled [`Schedule`] and its arithmetic.

use chrono::{DateTime, Datelike, Days, LocalResult, NaiveDate, NaiveDateTime, TimeZone, Utc};
use chrono_tz::Tz;
use serde::Serialize;

use crate::service::config::{parse_time, ScheduleDoc};
use crate::service::{ServiceError, ServiceErrorKind};

/// How many years [`Schedule::add`] searches for open time before giving up.
const SEARCH_YEARS: u32 = 12;

/// A compiled business-hours schedule (see [`ScheduleDoc`] for the semantics of
/// windows, holidays and DST).
///
/// # Arithmetic
///
/// [`Schedule::open_seconds`] counts the open seconds in `[from, to)`;
/// [`Schedule::add`] finds the instant at which a given number of open seconds have
/// passed after `from`. A clock started outside the windows starts counting when the
/// next window opens; a deadline that falls exactly at a window's close is that close.
///
/// # Example: created Friday 16:00, 4 business hours, Mon–Fri 09:00–17:00
///
/// ```
/// use chrono::{TimeZone, Utc};
/// use patronage::service::{Schedule, ScheduleDoc};
///
/// let doc: ScheduleDoc = toml::from_str(r#"
///     name = "office"
///     zone = "UTC"
///     windows = [{ days = ["mon", "tue", "wed", "thu", "fri"], open = "09:00", close = "17:00" }]
/// "#)?;
/// let office = Schedule::compile(&doc)?;
/// let friday = Utc.with_ymd_and_hms(2024, 3, 1, 16, 0, 0).single().ok_or("date")?;
/// let monday_noon = Utc.with_ymd_and_hms(2024, 3, 4, 12, 0, 0).single().ok_or("date")?;
/// assert_eq!(office.add(friday, 4 * 3600)?, monday_noon); // 1 h Friday + 3 h Monday
/// assert_eq!(office.open_seconds(friday, monday_noon), 4 * 3600);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Schedule {
    name: String,
    #[serde(serialize_with = "serialize_zone")]
    zone: Tz,
    /// Per weekday (Monday first), the windows as minutes after midnight, sorted.
    windows: [Vec<(u32, u32)>; 7],
    /// Dated holidays, sorted.
    dated: Vec<NaiveDate>,
    /// Yearly holidays, one bit per `month * 32 + day`.
    yearly: [u64; 7],
}

// serde's `serialize_with` passes a reference.
#[allow(clippy::trivially_copy_pass_by_ref)]
fn serialize_zone<S: serde::Serializer>(zone: &Tz, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(zone.name())
}

impl Schedule {
    /// Checks and compiles a schedule document.
    ///
    /// # Errors
    ///
    /// A [`ServiceError`] naming the path (`schedule.zone`, `schedule.windows[1]`,
    /// `schedule.holidays[0]`): an unknown zone, a time that is not `HH:MM`, a window
    /// that does not open before it closes or has no days, overlapping windows, a
    /// schedule that is never open, a holiday that is not a date.
    ///
    /// # Example
    ///
    /// ```
    /// use patronage::service::{Schedule, ScheduleDoc};
    ///
    /// let doc: ScheduleDoc = toml::from_str(r#"
    ///     name = "office"
    ///     zone = "Europe/Berlin"
    ///     windows = [
    ///         { days = ["mon", "tue"], open = "09:00", close = "17:00" },
    ///         { days = ["tue"], open = "16:00", close = "18:00" },
    ///     ]
    /// "#)?;
    /// let err = Schedule::compile(&doc).err().ok_or("expected an error")?;
    /// assert_eq!(
    ///     err.to_string(),
    ///     "config `schedule.windows[1]`: 16:00–18:00 overlaps `windows[0]` (09:00–17:00) on `tue`: expected disjoint windows",
    /// );
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn compile(doc: &ScheduleDoc) -> Result<Schedule, ServiceError> {
        Schedule::compile_at(doc, "schedule")
    }

    pub(crate) fn compile_at(doc: &ScheduleDoc, path: &str) -> Result<Schedule, ServiceError> {
        let zone = parse_zone(&doc.zone, &format!("{path}.zone"))?;
        let mut windows: [Vec<(u32, u32, usize)>; 7] = Default::default();
        for (idx, window) in doc.windows.iter().enumerate() {
            let at = format!("{path}.windows[{idx}]");
            let time = |text: &str, field: &str| {
                parse_time(text).ok_or_else(|| {
                    ServiceError::config(
                        format!("{at}.{field}"),
                        ServiceErrorKind::InvalidTime {
                            value: text.to_owned(),
                        },
                    )
                })
            };
            let open = time(&window.open, "open")?;
            let close = time(&window.close, "close")?;
            if open >= close {
                return Err(ServiceError::config(
                    at,
                    ServiceErrorKind::EmptyWindow {
                        open: window.open.clone(),
                        close: window.close.clone(),
                    },
                ));
            }
            if window.days.is_empty() {
                return Err(ServiceError::config(at, ServiceErrorKind::NoDays));
            }
            for day in &window.days {
                let Some(slot) = windows.get_mut(day.index()) else {
                    continue;
                };
                if let Some(&(other_open, other_close, other)) =
                    slot.iter().find(|(o, c, _)| open < *c && *o < close)
                {
                    let other_doc = doc.windows.get(other);
                    return Err(ServiceError::config(
                        at,
                        ServiceErrorKind::OverlappingWindows {
                            day: day.as_str(),
                            open: window.open.clone(),
                            close: window.close.clone(),
                            other,
                            other_open: other_doc
                                .map_or_else(|| clock_time(other_open), |w| w.open.clone()),
                            other_close: other_doc
                                .map_or_else(|| clock_time(other_close), |w| w.close.clone()),
                        },
                    ));
                }
                slot.push((open, close, idx));
            }
        }
        if windows.iter().all(Vec::is_empty) {
            return Err(ServiceError::config(path, ServiceErrorKind::NoOpenTime));
        }
        let windows = windows.map(|mut day| {
            day.sort_unstable();
            day.into_iter().map(|(o, c, _)| (o, c)).collect()
        });
        let mut dated = Vec::new();
        let mut yearly = [0_u64; 7];
        for (idx, text) in doc.holidays.iter().enumerate() {
            let bad = || {
                ServiceError::config(
                    format!("{path}.holidays[{idx}]"),
                    ServiceErrorKind::InvalidHoliday {
                        value: text.clone(),
                    },
                )
            };
            let text_trim = text.trim();
            if text_trim.len() == 10 {
                let date = NaiveDate::parse_from_str(text_trim, "%Y-%m-%d").map_err(|_| bad())?;
                dated.push(date);
            } else if text_trim.len() == 5 {
                // Validate against a leap year so that `02-29` is accepted.
                let date = NaiveDate::parse_from_str(&format!("2000-{text_trim}"), "%Y-%m-%d")
                    .map_err(|_| bad())?;
                let bit = yearly_bit(date);
                if let Some(word) = yearly.get_mut(bit / 64) {
                    *word |= 1 << (bit % 64);
                }
            } else {
                return Err(bad());
            }
        }
        dated.sort_unstable();
        dated.dedup();
        Ok(Schedule {
            name: doc.name.clone(),
            zone,
            windows,
            dated,
            yearly,
        })
    }

    /// The schedule's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The schedule's time zone.
    pub fn zone(&self) -> Tz {
        self.zone
    }

    /// Whether `date` (a local date of the zone) is a holiday.
    pub fn is_holiday(&self, date: NaiveDate) -> bool {
        let bit = yearly_bit(date);
        let yearly = self
            .yearly
            .get(bit / 64)
            .is_some_and(|word| word & (1 << (bit % 64)) != 0);
        yearly || self.dated.binary_search(&date).is_ok()
    }

    /// Whether the schedule is open at `at`.
    ///
    /// # Example
    ///
    /// ```
    /// use chrono::{TimeZone, Utc};
    /// use patronage::service::{Schedule, ScheduleDoc};
    ///
    /// let doc: ScheduleDoc = toml::from_str(r#"
    ///     name = "shanghai"
    ///     zone = "Asia/Shanghai"
    ///     windows = [{ days = ["mon", "tue", "wed", "thu", "fri"], open = "09:00", close = "18:00" }]
    ///     holidays = ["10-01"]
    /// "#)?;
    /// let office = Schedule::compile(&doc)?;
    /// // 01:00 UTC is 09:00 in Shanghai.
    /// assert!(office.is_open(Utc.with_ymd_and_hms(2024, 3, 4, 1, 0, 0).single().ok_or("date")?));
    /// assert!(!office.is_open(Utc.with_ymd_and_hms(2024, 3, 4, 0, 59, 59).single().ok_or("date")?));
    /// // 1 October is a yearly holiday (a Tuesday in 2024).
    /// assert!(!office.is_open(Utc.with_ymd_and_hms(2024, 10, 1, 3, 0, 0).single().ok_or("date")?));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn is_open(&self, at: DateTime<Utc>) -> bool {
        let second = at.timestamp();
        self.open_seconds_raw(second, second.saturating_add(1)) == 1
    }

    /// The open seconds in `[from, to)` (zero when `to` is not after `from`).
    ///
    /// # Example
    ///
    /// ```
    /// use chrono::{TimeZone, Utc};
    /// use patronage::service::{Schedule, ScheduleDoc};
    ///
    /// let doc: ScheduleDoc = toml::from_str(r#"
    ///     name = "office"
    ///     zone = "UTC"
    ///     windows = [{ days = ["mon", "tue", "wed", "thu", "fri"], open = "09:00", close = "17:00" }]
    /// "#)?;
    /// let office = Schedule::compile(&doc)?;
    /// let monday = Utc.with_ymd_and_hms(2024, 3, 4, 0, 0, 0).single().ok_or("date")?;
    /// let next_monday = Utc.with_ymd_and_hms(2024, 3, 11, 0, 0, 0).single().ok_or("date")?;
    /// assert_eq!(office.open_seconds(monday, next_monday), 40 * 3600);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn open_seconds(&self, from: DateTime<Utc>, to: DateTime<Utc>) -> i64 {
        self.open_seconds_raw(from.timestamp(), to.timestamp())
    }

    /// The instant at which `seconds` open seconds have passed after `from` (`from`
    /// itself when `seconds` is zero or negative).
    ///
    /// # Errors
    ///
    /// [`ServiceErrorKind::Unschedulable`] when the schedule has no open time in the
    /// 12 years after `from` (every day a holiday).
    ///
    /// # Example
    ///
    /// ```
    /// use chrono::{TimeZone, Utc};
    /// use patronage::service::{Schedule, ScheduleDoc};
    ///
    /// let doc: ScheduleDoc = toml::from_str(r#"
    ///     name = "office"
    ///     zone = "UTC"
    ///     windows = [{ days = ["mon", "tue", "wed", "thu", "fri"], open = "09:00", close = "17:00" }]
    ///     holidays = ["2024-03-04"]
    /// "#)?;
    /// let office = Schedule::compile(&doc)?;
    /// let friday = Utc.with_ymd_and_hms(2024, 3, 1, 16, 0, 0).single().ok_or("date")?;
    /// // Monday is a holiday: 1 h Friday + 3 h Tuesday.
    /// let tuesday_noon = Utc.with_ymd_and_hms(2024, 3, 5, 12, 0, 0).single().ok_or("date")?;
    /// assert_eq!(office.add(friday, 4 * 3600)?, tuesday_noon);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn add(&self, from: DateTime<Utc>, seconds: i64) -> Result<DateTime<Utc>, ServiceError> {
        let at = self.add_raw(from.timestamp(), seconds)?;
        to_instant(at).ok_or_else(|| self.unschedulable(from.timestamp()))
    }

    pub(crate) fn open_seconds_raw(&self, from: i64, to: i64) -> i64 {
        self.open_seconds_cached(from, to, &mut DayCache::default())
    }

    pub(crate) fn open_seconds_cached(&self, from: i64, to: i64, cache: &mut DayCache) -> i64 {
        if to <= from {
            return 0;
        }
        let Some(mut date) = self.local_date(from).and_then(|d| d.pred_opt()) else {
            return 0;
        };
        let Some(last) = self.local_date(to).and_then(|d| d.succ_opt()) else {
            return 0;
        };
        let mut total = 0_i64;
        while date <= last {
            for &(start, end) in cache.intervals(self, date) {
                let lo = start.max(from);
                let hi = end.min(to);
                if hi > lo {
                    total = total.saturating_add(hi - lo);
                }
            }
            let Some(next) = date.succ_opt() else { break };
            date = next;
        }
        total
    }

    pub(crate) fn add_raw(&self, from: i64, seconds: i64) -> Result<i64, ServiceError> {
        self.add_cached(from, seconds, &mut DayCache::default())
    }

    pub(crate) fn add_cached(
        &self,
        from: i64,
        seconds: i64,
        cache: &mut DayCache,
    ) -> Result<i64, ServiceError> {
        if seconds <= 0 {
            return Ok(from);
        }
        let mut date = self
            .local_date(from)
            .and_then(|d| d.pred_opt())
            .ok_or_else(|| self.unschedulable(from))?;
        let limit = SEARCH_YEARS as usize * 366 + self.dated.len();
        let mut remaining = seconds;
        for _ in 0..limit {
            for &(start, end) in cache.intervals(self, date) {
                let lo = start.max(from);
                if end <= lo {
                    continue;
                }
                let available = end - lo;
                if remaining <= available {
                    return Ok(lo + remaining);
                }
                remaining -= available;
            }
            date = date.succ_opt().ok_or_else(|| self.unschedulable(from))?;
        }
        Err(self.unschedulable(from))
    }

    fn unschedulable(&self, from: i64) -> ServiceError {
        ServiceError::bare(ServiceErrorKind::Unschedulable {
            schedule: self.name.clone(),
            from: to_instant(from).unwrap_or(DateTime::<Utc>::MIN_UTC),
            years: SEARCH_YEARS,
        })
    }

    /// The local date of instant `at`.
    fn local_date(&self, at: i64) -> Option<NaiveDate> {
        let instant = to_instant(at)?;
        Some(instant.with_timezone(&self.zone).date_naive())
    }

    /// The open intervals of a local date, as UTC seconds `[start, end)`.
    fn intervals(&self, date: NaiveDate) -> impl Iterator<Item = (i64, i64)> + '_ {
        let windows: &[(u32, u32)] = if self.is_holiday(date) {
            &[]
        } else {
            self.windows
                .get(date.weekday().num_days_from_monday() as usize)
                .map_or(&[], Vec::as_slice)
        };
        windows.iter().filter_map(move |&(open, close)| {
            let start = local_instant(self.zone, date, open, Edge::Start)?;
            let end = local_instant(self.zone, date, close, Edge::End)?;
            (end > start).then_some((start, end))
        })
    }
}

/// The open intervals of the local dates one schedule has seen, so that a replay
/// converts each date's windows to UTC once (time-zone conversions dominate the
/// business-hours arithmetic otherwise).
#[derive(Clone, Debug, Default)]
pub(crate) struct DayCache {
    /// The day number (from the common era) of `slots[0]`.
    base: i32,
    /// Per day: the range of its intervals in `arena`, once computed.
    slots: Vec<Option<(u32, u32)>>,
    arena: Vec<(i64, i64)>,
    /// The intervals of a day outside the cached range.
    scratch: Vec<(i64, i64)>,
}

/// How many consecutive days a cache holds (about 27 years).
const CACHE_DAYS: usize = 10_000;

impl DayCache {
    /// The open intervals of `date` under `schedule`.
    fn intervals(&mut self, schedule: &Schedule, date: NaiveDate) -> &[(i64, i64)] {
        let day = date.num_days_from_ce();
        if self.slots.is_empty() {
            // Start the range a little before the first day seen: replays go forward.
            self.base = day.saturating_sub(64);
        }
        let index = usize::try_from(day.saturating_sub(self.base)).ok();
        let Some(index) = index.filter(|i| *i < CACHE_DAYS) else {
            self.scratch.clear();
            self.scratch.extend(schedule.intervals(date));
            return &self.scratch;
        };
        if self.slots.len() <= index {
            self.slots.resize(index + 1, None);
        }
        let range = if let Some(range) = self.slots.get(index).copied().flatten() {
            range
        } else {
            let start = self.arena.len();
            self.arena.extend(schedule.intervals(date));
            let range = (start as u32, self.arena.len() as u32);
            if let Some(slot) = self.slots.get_mut(index) {
                *slot = Some(range);
            }
            range
        };
        // `range` was pushed onto `arena` above, so both splits are in bounds.
        let (_, tail) = self
            .arena
            .split_at((range.0 as usize).min(self.arena.len()));
        let len = (range.1.saturating_sub(range.0) as usize).min(tail.len());
        tail.split_at(len).0
    }
}

/// The schedules of a policy with their caches: what SLA clocks count time with.
#[derive(Debug)]
pub(crate) struct Calendars<'a> {
    schedules: &'a [Schedule],
    caches: Vec<DayCache>,
}

impl<'a> Calendars<'a> {
    pub(crate) fn new(schedules: &'a [Schedule]) -> Calendars<'a> {
        Calendars {
            schedules,
            caches: vec![DayCache::default(); schedules.len()],
        }
    }

    /// Open seconds of schedule `idx` in `[from, to)`.
    pub(crate) fn open_seconds(&mut self, idx: usize, from: i64, to: i64) -> i64 {
        match (self.schedules.get(idx), self.caches.get_mut(idx)) {
            (Some(schedule), Some(cache)) => schedule.open_seconds_cached(from, to, cache),
            // Indices come from compiling the policy, which checks them.
            _ => to.saturating_sub(from).max(0),
        }
    }

    /// The instant at which `seconds` open seconds of schedule `idx` have passed.
    pub(crate) fn add(&mut self, idx: usize, from: i64, seconds: i64) -> Result<i64, ServiceError> {
        match (self.schedules.get(idx), self.caches.get_mut(idx)) {
            (Some(schedule), Some(cache)) => schedule.add_cached(from, seconds, cache),
            _ => Ok(from.saturating_add(seconds.max(0))),
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Edge {
    Start,
    End,
}

/// The UTC second of a local wall time (`minutes` after midnight of `date`, up to
/// 24:00), with the DST rules of [`ScheduleDoc`].
fn local_instant(zone: Tz, date: NaiveDate, minutes: u32, edge: Edge) -> Option<i64> {
    let (date, minutes) = if minutes >= 1_440 {
        (date.checked_add_days(Days::new(1))?, minutes - 1_440)
    } else {
        (date, minutes)
    };
    let wall = date.and_hms_opt(minutes / 60, minutes % 60, 0)?;
    resolve(zone, wall, edge)
}

fn resolve(zone: Tz, wall: NaiveDateTime, edge: Edge) -> Option<i64> {
    match zone.from_local_datetime(&wall) {
        LocalResult::Single(at) => Some(at.timestamp()),
        LocalResult::Ambiguous(first, last) => Some(match edge {
            Edge::Start => first.timestamp().min(last.timestamp()),
            Edge::End => first.timestamp().max(last.timestamp()),
        }),
        LocalResult::None => {
            // In a gap: the first wall minute after it that exists is the transition.
            // Gaps are at most a few hours long, and transitions fall on whole minutes.
            let mut probe = wall;
            for _ in 0..(6 * 60) {
                probe = probe.checked_add_signed(chrono::TimeDelta::minutes(1))?;
                if let Some(at) = zone.from_local_datetime(&probe).earliest() {
                    return Some(at.timestamp());
                }
            }
            None
        }
    }
}

/// Reads an IANA zone name.
pub(crate) fn parse_zone(name: &str, path: &str) -> Result<Tz, ServiceError> {
    name.parse::<Tz>().map_err(|_| {
        ServiceError::config(
            path,
            ServiceErrorKind::UnknownZone {
                zone: name.to_owned(),
            },
        )
    })
}

pub(crate) fn to_instant(second: i64) -> Option<DateTime<Utc>> {
    DateTime::from_timestamp(second, 0)
}

/// Minutes after midnight as `HH:MM`.
fn clock_time(minutes: u32) -> String {
    format!("{:02}:{:02}", minutes / 60, minutes % 60)
}

fn yearly_bit(date: NaiveDate) -> usize {
    date.month() as usize * 32 + date.day() as usize
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::service::config::{Day, WindowDoc};

    fn office(zone: &str) -> Schedule {
        Schedule::compile(&ScheduleDoc {
            name: "office".to_owned(),
            zone: zone.to_owned(),
            windows: vec![WindowDoc {
                days: Day::ALL[..5].to_vec(),
                open: "09:00".to_owned(),
                close: "17:00".to_owned(),
            }],
            holidays: vec!["12-25".to_owned()],
        })
        .unwrap()
    }

    #[test]
    fn yearly_holiday_closes_the_day() {
        let schedule = office("UTC");
        // 2024-12-25 is a Wednesday.
        let from = Utc.with_ymd_and_hms(2024, 12, 25, 0, 0, 0).unwrap();
        let to = Utc.with_ymd_and_hms(2024, 12, 26, 0, 0, 0).unwrap();
        assert_eq!(schedule.open_seconds(from, to), 0);
        assert!(schedule.is_holiday(NaiveDate::from_ymd_opt(2031, 12, 25).unwrap()));
    }

    #[test]
    fn gap_maps_to_the_transition() {
        let zone: Tz = "America/New_York".parse().unwrap();
        let date = NaiveDate::from_ymd_opt(2024, 3, 10).unwrap();
        // 02:30 does not exist; the first instant after the gap is 03:00 EDT = 07:00Z.
        let at = local_instant(zone, date, 150, Edge::Start).unwrap();
        assert_eq!(
            at,
            Utc.with_ymd_and_hms(2024, 3, 10, 7, 0, 0)
                .unwrap()
                .timestamp()
        );
    }
}
