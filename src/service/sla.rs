//! SLA clocks: what they measure, how they run, pause, stop and reset, and what they
//! report at `as_of`.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::service::config::Hours;
use crate::service::schedule::{to_instant, Calendars};
use crate::service::{ServiceError, Status};

/// What an SLA clock measures.
///
/// | metric | starts | stops | pauses (default) |
/// |---|---|---|---|
/// | `first_response` | when the case is opened | at the first `acknowledge`, `agent_reply` or `promise_answer`, or at `resolve` | never |
/// | `next_response` | at a `customer_reply` after the first response, when no next-response clock runs | at the next `agent_reply` or `promise_answer`, or at `resolve` | never |
/// | `resolution` | when the case is opened | at `resolve`; a reopen resumes it against the same target | in `waiting_on_customer` and `waiting_on_third_party` |
/// | `promised_answer` | at `promise_answer`, due at the promised instant (calendar) | at the next `agent_reply`, or at `resolve`; a new promise replaces it | never |
///
/// Each agent reply *resets* the next-response metric: the clock it stops is kept
/// as history, and the customer's next reply starts a new one with the full target.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Metric {
    /// Time to the first response.
    FirstResponse,
    /// Time from a customer's reply to the agent's next reply.
    NextResponse,
    /// Time to resolution.
    Resolution,
    /// Time to the answer an agent promised by a given instant.
    PromisedAnswer,
}

/// Where an SLA clock stands at `as_of`.
///
/// A target is met when its clock stops with elapsed time at most the target
/// (stopping exactly at the due instant meets it); it is breached as soon as the
/// elapsed time exceeds the target, whether the clock still runs, is paused or has
/// stopped since.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum SlaStatus {
    /// Running, within the target.
    Pending,
    /// Paused by the case's status, within the target.
    Paused,
    /// Stopped within the target.
    Achieved,
    /// The elapsed time exceeds the target.
    Breached,
}

/// One SLA clock of a case, evaluated at `as_of`.
///
/// Times are whole seconds of the clock's own time: every second for calendar
/// targets, open seconds of the schedule for business-hours targets. `elapsed +
/// remaining = target` always holds; `remaining` is negative once the target is
/// breached (the overdue time).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Clock {
    /// What it measures.
    pub metric: Metric,
    /// Calendar or business hours.
    pub hours: Hours,
    /// The target, in seconds of the clock's time.
    pub target_seconds: i64,
    /// When it started.
    pub started: DateTime<Utc>,
    /// When it stopped, if it has.
    pub stopped: Option<DateTime<Utc>>,
    /// The due instant: when the target was breached, if it was; otherwise, for a
    /// running clock, when the target will be reached if it keeps running, and for a
    /// stopped clock, when it would have been; none while paused within the target.
    pub due: Option<DateTime<Utc>>,
    /// Seconds of the clock's time that have run up to `as_of` (or the stop).
    pub elapsed_seconds: i64,
    /// `target − elapsed`: negative when breached.
    pub remaining_seconds: i64,
    /// Where it stands at `as_of`.
    pub status: SlaStatus,
}

/// The most escalation levels a target may have.
pub(crate) const MAX_ESCALATIONS: usize = 7;

/// The target and its escalation levels.
const MAX_THRESHOLDS: usize = MAX_ESCALATIONS + 1;

/// A short list of per-threshold values, inline (a clock allocates nothing).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Thresholds<T> {
    len: usize,
    items: [T; MAX_THRESHOLDS],
}

impl<T> Thresholds<T> {
    pub(crate) fn iter(&self) -> impl Iterator<Item = &T> + '_ {
        self.items.iter().take(self.len)
    }

    fn iter_mut(&mut self) -> impl Iterator<Item = &mut T> + '_ {
        self.items.iter_mut().take(self.len)
    }
}

/// How a clock counts time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Basis {
    Calendar,
    Business(usize),
}

/// A running SLA clock during replay (seconds since the epoch).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct ClockRun {
    pub(crate) metric: Metric,
    /// The index of the target in the case's policy (`None` for a promise).
    pub(crate) target: Option<usize>,
    pub(crate) basis: Basis,
    /// Statuses that pause it, one bit per [`Status`].
    pub(crate) pause_in: u16,
    pub(crate) target_s: i64,
    pub(crate) started: i64,
    /// Time counted in closed running segments.
    pub(crate) elapsed: i64,
    pub(crate) running_since: Option<i64>,
    pub(crate) stopped: Option<i64>,
    /// Thresholds (elapsed seconds) whose crossing instants are tracked: the target
    /// first, then the escalation levels in order.
    thresholds: Thresholds<i64>,
    crossings: Thresholds<Option<i64>>,
}

impl ClockRun {
    pub(crate) fn new(
        metric: Metric,
        target: Option<usize>,
        basis: Basis,
        pause_in: u16,
        target_s: i64,
        escalations: impl Iterator<Item = i64>,
        started: i64,
    ) -> ClockRun {
        let mut thresholds = Thresholds {
            len: 0,
            items: [0; MAX_THRESHOLDS],
        };
        // Compiling the policy bounds the number of escalation levels.
        for (slot, value) in thresholds
            .items
            .iter_mut()
            .zip(std::iter::once(target_s).chain(escalations))
        {
            *slot = value;
            thresholds.len += 1;
        }
        let crossings = Thresholds {
            len: thresholds.len,
            items: [None; MAX_THRESHOLDS],
        };
        ClockRun {
            metric,
            target,
            basis,
            pause_in,
            target_s,
            started,
            elapsed: 0,
            running_since: Some(started),
            stopped: None,
            thresholds,
            crossings,
        }
    }

    pub(crate) fn is_stopped(&self) -> bool {
        self.stopped.is_some()
    }

    /// Closes the running segment at `at` (no-op when not running).
    fn close_segment(&mut self, at: i64, cal: &mut Calendars<'_>) -> Result<(), ServiceError> {
        let Some(since) = self.running_since.take() else {
            return Ok(());
        };
        let counted = measure(self.basis, cal, since, at);
        let before = self.elapsed;
        let after = before.saturating_add(counted);
        for (threshold, crossing) in self.thresholds.iter().zip(self.crossings.iter_mut()) {
            if crossing.is_none() && before <= *threshold && *threshold < after {
                *crossing = Some(advance(self.basis, cal, since, threshold - before)?);
            }
        }
        self.elapsed = after;
        Ok(())
    }

    /// Stops the clock at `at`.
    pub(crate) fn stop(&mut self, at: i64, cal: &mut Calendars<'_>) -> Result<(), ServiceError> {
        if self.stopped.is_none() {
            self.close_segment(at, cal)?;
            self.stopped = Some(at);
        }
        Ok(())
    }

    /// Restarts a stopped clock at `at` (a reopen), keeping its elapsed time.
    pub(crate) fn restart(&mut self, at: i64, status: Status) {
        if self.stopped.take().is_some() && !self.pauses_in(status) {
            self.running_since = Some(at);
        }
    }

    pub(crate) fn pauses_in(&self, status: Status) -> bool {
        self.pause_in & status.bit() != 0
    }

    /// Follows a status change at `at`: pauses or resumes.
    pub(crate) fn on_status(
        &mut self,
        status: Status,
        at: i64,
        cal: &mut Calendars<'_>,
    ) -> Result<(), ServiceError> {
        if self.stopped.is_some() {
            return Ok(());
        }
        if self.pauses_in(status) {
            self.close_segment(at, cal)
        } else {
            if self.running_since.is_none() {
                self.running_since = Some(at);
            }
            Ok(())
        }
    }

    /// The crossing instants of every threshold at `as_of`: reached ones are in the
    /// past; for a running clock, unreached ones are projected; otherwise `None`.
    pub(crate) fn crossings_at(
        &self,
        as_of: i64,
        cal: &mut Calendars<'_>,
    ) -> Result<(i64, Thresholds<Option<i64>>), ServiceError> {
        let mut crossings = self.crossings;
        let mut elapsed = self.elapsed;
        if let Some(since) = self.running_since {
            let end = as_of.max(since);
            elapsed = elapsed.saturating_add(measure(self.basis, cal, since, end));
            for (threshold, crossing) in self.thresholds.iter().zip(crossings.iter_mut()) {
                if crossing.is_none() && self.elapsed <= *threshold {
                    *crossing = Some(advance(self.basis, cal, since, threshold - self.elapsed)?);
                }
            }
        }
        Ok((elapsed, crossings))
    }

    /// The clock as reported at `as_of`, with the crossing instants of its thresholds.
    pub(crate) fn report(
        &self,
        as_of: i64,
        cal: &mut Calendars<'_>,
    ) -> Result<(Clock, Thresholds<Option<i64>>), ServiceError> {
        let (elapsed, crossings) = self.crossings_at(as_of, cal)?;
        let breach = crossings.iter().next().copied().flatten();
        let status = if elapsed > self.target_s {
            SlaStatus::Breached
        } else if self.stopped.is_some() {
            SlaStatus::Achieved
        } else if self.running_since.is_some() {
            SlaStatus::Pending
        } else {
            SlaStatus::Paused
        };
        let due = match (breach, self.stopped) {
            (Some(at), _) => Some(at),
            (None, Some(stop)) => Some(advance(
                self.basis,
                cal,
                stop,
                self.target_s - self.elapsed,
            )?),
            (None, None) => None,
        };
        let clock = Clock {
            metric: self.metric,
            hours: match self.basis {
                Basis::Calendar => Hours::Calendar,
                Basis::Business(_) => Hours::Business,
            },
            target_seconds: self.target_s,
            started: instant(self.started),
            stopped: self.stopped.map(instant),
            due: due.map(instant),
            elapsed_seconds: elapsed,
            remaining_seconds: self.target_s.saturating_sub(elapsed),
            status,
        };
        Ok((clock, crossings))
    }
}

/// The time counted in `[from, to)`.
fn measure(basis: Basis, cal: &mut Calendars<'_>, from: i64, to: i64) -> i64 {
    match basis {
        Basis::Calendar => to.saturating_sub(from).max(0),
        Basis::Business(idx) => cal.open_seconds(idx, from, to),
    }
}

/// The instant at which `seconds` have been counted after `from`.
fn advance(
    basis: Basis,
    cal: &mut Calendars<'_>,
    from: i64,
    seconds: i64,
) -> Result<i64, ServiceError> {
    match basis {
        Basis::Calendar => Ok(from.saturating_add(seconds.max(0))),
        Basis::Business(idx) => cal.add(idx, from, seconds),
    }
}

/// Seconds since the epoch as an instant; replay only produces instants that came
/// from `DateTime<Utc>` values plus bounded durations, which stay in range.
pub(crate) fn instant(second: i64) -> DateTime<Utc> {
    to_instant(second).unwrap_or(DateTime::<Utc>::MAX_UTC)
}
