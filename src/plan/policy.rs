//! Contact policy (R16): quiet hours and frequency caps, computed on instants and on
//! calendar days in the customer's zone (the company's when unknown).

use chrono::{
    DateTime, Days, Duration, LocalResult, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Utc,
};
use chrono_tz::Tz;

use crate::customer::Channel;
use crate::plan::action::ActionKind;
use crate::plan::config::{QuietMode, WindowDoc};

/// Compiled quiet hours.
#[derive(Clone, Copy, Debug)]
pub(crate) struct QuietHours {
    pub(crate) start: NaiveTime,
    pub(crate) end: NaiveTime,
    pub(crate) mode: QuietMode,
    pub(crate) applies: KindSet,
}

/// A set of action kinds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct KindSet(u8);

impl KindSet {
    pub(crate) fn of(kinds: &[ActionKind]) -> KindSet {
        KindSet(kinds.iter().fold(0, |set, kind| set | KindSet::bit(*kind)))
    }

    fn bit(kind: ActionKind) -> u8 {
        match kind {
            ActionKind::Marketing => 1,
            ActionKind::Service => 2,
            ActionKind::Transactional => 4,
        }
    }

    pub(crate) fn contains(self, kind: ActionKind) -> bool {
        self.0 & KindSet::bit(kind) != 0
    }
}

/// The instant of a local date and time in `zone`: the earlier of two when the clock
/// falls back, the first minute that exists after a gap when it springs forward.
pub(crate) fn resolve_local(zone: Tz, local: NaiveDateTime) -> Option<DateTime<Utc>> {
    let mut candidate = local;
    // A gap is at most a few hours (the largest on record is a day, Samoa 2011).
    for _ in 0..=(26 * 60) {
        match zone.from_local_datetime(&candidate) {
            LocalResult::Single(at) => return Some(at.with_timezone(&Utc)),
            LocalResult::Ambiguous(earlier, _) => return Some(earlier.with_timezone(&Utc)),
            LocalResult::None => {
                candidate = candidate.checked_add_signed(Duration::minutes(1))?;
            }
        }
    }
    None
}

/// The start of local date `date` in `zone`.
pub(crate) fn start_of_day(zone: Tz, date: NaiveDate) -> Option<DateTime<Utc>> {
    resolve_local(zone, date.and_time(NaiveTime::MIN))
}

impl QuietHours {
    /// Whether local time `time` is quiet.
    pub(crate) fn is_quiet(&self, time: NaiveTime) -> bool {
        if self.start < self.end {
            self.start <= time && time < self.end
        } else {
            time >= self.start || time < self.end
        }
    }

    /// The first allowed minute at or after `due` in `zone`: `due` itself when it is not
    /// quiet, else the end of the quiet window (on the next local date when the window
    /// spans midnight and `due` is before it), resolved across DST changes.
    pub(crate) fn next_allowed(&self, due: DateTime<Utc>, zone: Tz) -> Option<DateTime<Utc>> {
        let local = due.with_timezone(&zone).naive_local();
        if !self.is_quiet(local.time()) {
            return Some(due);
        }
        let date = if self.start > self.end && local.time() >= self.start {
            local.date().checked_add_days(Days::new(1))?
        } else {
            local.date()
        };
        let allowed = resolve_local(zone, date.and_time(self.end))?;
        // A clock that falls back can put the resolved end before `due`; never earlier.
        Some(allowed.max(due))
    }
}

/// A compiled frequency cap.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Cap {
    pub(crate) index: usize,
    pub(crate) channel: Option<Channel>,
    pub(crate) limit: u32,
    pub(crate) window: WindowDoc,
    pub(crate) applies: KindSet,
}

/// A contact the caps count: when, on which channel, of which kind.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Contact {
    pub(crate) at: DateTime<Utc>,
    pub(crate) channel: Option<Channel>,
    pub(crate) kind: ActionKind,
}

impl Cap {
    fn counts(&self, contact: &Contact) -> bool {
        self.applies.contains(contact.kind)
            && contact.channel.is_some()
            && (self.channel.is_none() || self.channel == contact.channel)
    }

    /// Whether a message at `at` on `channel` of `kind` is subject to the cap.
    pub(crate) fn applies(&self, channel: Option<Channel>, kind: ActionKind) -> bool {
        self.counts(&Contact {
            at: DateTime::<Utc>::MIN_UTC,
            channel,
            kind,
        })
    }

    /// Whether one more message at `at` would put any window of the cap over its limit.
    pub(crate) fn violated(&self, contacts: &[Contact], at: DateTime<Utc>, zone: Tz) -> bool {
        let limit = u64::from(self.limit);
        match self.window {
            WindowDoc::CalendarDays(days) => {
                let span = i64::from(days);
                let target = at.with_timezone(&zone).date_naive();
                // Counts per local day offset of the contacts that count and can share a
                // window with the target day (a contact more than `span + 1` days away
                // in UTC cannot, whatever the zone). Offsets lie in `-span < d < span`;
                // for windows up to 32 days they fit a stack buffer, longer ones spill.
                let mut per_offset = [0u64; 64];
                let mut wide: Vec<i64> = Vec::new();
                for contact in contacts.iter().filter(|c| self.counts(c)) {
                    if (contact.at - at).num_days().abs() > span + 1 {
                        continue;
                    }
                    let offset = (contact.at.with_timezone(&zone).date_naive() - target).num_days();
                    if offset.abs() >= span {
                        continue;
                    }
                    match usize::try_from(offset + span)
                        .ok()
                        .and_then(|i| per_offset.get_mut(i))
                    {
                        Some(count) => *count += 1,
                        None => wide.push(offset),
                    }
                }
                // Every window of `days` calendar days holding the target day.
                (0..span).any(|shift| {
                    let (lo, hi) = (-shift, span - 1 - shift);
                    let narrow: u64 = (lo..=hi)
                        .filter_map(|offset| usize::try_from(offset + span).ok())
                        .filter_map(|i| per_offset.get(i))
                        .sum();
                    let n = narrow + wide.iter().filter(|d| lo <= **d && **d <= hi).count() as u64;
                    n + 1 > limit
                })
            }
            WindowDoc::RollingHours(hours) => {
                let length = Duration::hours(i64::from(hours));
                let counted = || contacts.iter().filter(|c| self.counts(c)).map(|c| c.at);
                // Windows (end − length, end] holding `at`: it suffices to check the ends
                // at `at` and at each later contact within the length.
                std::iter::once(at)
                    .chain(counted().filter(|t| *t > at && *t - at < length))
                    .any(|end| {
                        let n = counted().filter(|t| *t > end - length && *t <= end).count() as u64;
                        n + 1 > limit
                    })
            }
        }
    }

    /// The first instant after `at` at which one more message would not violate the cap
    /// (a local midnight for calendar windows, a contact's instant plus the length for
    /// rolling ones), searched over the window's span past the last contact.
    pub(crate) fn next_allowed(
        &self,
        contacts: &[Contact],
        at: DateTime<Utc>,
        zone: Tz,
    ) -> Option<DateTime<Utc>> {
        match self.window {
            WindowDoc::CalendarDays(days) => {
                let mut date = at.with_timezone(&zone).date_naive();
                for _ in 0..(2 * days + 2) {
                    date = date.checked_add_days(Days::new(1))?;
                    let start = start_of_day(zone, date)?;
                    if !self.violated(contacts, start, zone) {
                        return Some(start);
                    }
                }
                None
            }
            WindowDoc::RollingHours(hours) => {
                let length = Duration::hours(i64::from(hours));
                let mut ends: Vec<DateTime<Utc>> = contacts
                    .iter()
                    .filter(|c| self.counts(c))
                    .map(|c| c.at + length)
                    .filter(|t| *t > at)
                    .collect();
                ends.sort_unstable();
                ends.into_iter()
                    .find(|t| !self.violated(contacts, *t, zone))
            }
        }
    }
}
