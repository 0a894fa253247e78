//! Errors of [`service`](crate::service): a policy document that cannot be compiled,
//! and events that cannot be replayed.

use std::fmt;

use chrono::{DateTime, Utc};

use crate::service::CaseId;

/// A service policy document that cannot be compiled, or a case event that cannot be
/// replayed.
///
/// The message starts with where the problem is — the config path
/// (``config `service.schedules[0].windows[1]`: ``) or the case and event
/// (``case `17`, event `5`: ``) — then says what was expected and what was found.
///
/// # Example
///
/// ```
/// use patronage::service::{ServiceDoc, ServiceErrorKind, ServicePolicy};
///
/// let mut doc = ServiceDoc::reference();
/// doc.zone = "Mars/Olympus_Mons".to_owned();
/// let err = ServicePolicy::compile(&doc).err().ok_or("expected an error")?;
/// assert!(matches!(err.kind(), ServiceErrorKind::UnknownZone { .. }));
/// assert_eq!(err.path(), Some("service.zone"));
/// assert_eq!(
///     err.to_string(),
///     "config `service.zone`: unknown time zone `Mars/Olympus_Mons`: expected an IANA name such as `America/New_York`",
/// );
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{}{}", .inner.location, .inner.kind)]
pub struct ServiceError {
    inner: Box<Inner>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
struct Inner {
    location: Location,
    kind: ServiceErrorKind,
}

/// What went wrong in [`service`](crate::service).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ServiceErrorKind {
    /// A time zone name that is not in the IANA database.
    #[error("unknown time zone `{zone}`: expected an IANA name such as `America/New_York`")]
    UnknownZone {
        /// The name as given.
        zone: String,
    },
    /// A time of day that cannot be read.
    #[error("`{value}` is not a time of day: expected `HH:MM` from `00:00` to `24:00`")]
    InvalidTime {
        /// The text as given.
        value: String,
    },
    /// A window that does not open before it closes.
    #[error("opens at {open} but closes at {close}: expected `open` before `close`")]
    EmptyWindow {
        /// The opening time as given.
        open: String,
        /// The closing time as given.
        close: String,
    },
    /// A window without days.
    #[error(
        "has no `days`: expected at least one of `mon`, `tue`, `wed`, `thu`, `fri`, `sat`, `sun`"
    )]
    NoDays,
    /// Two windows of one schedule overlap on a weekday.
    #[error("{open}–{close} overlaps `windows[{other}]` ({other_open}–{other_close}) on `{day}`: expected disjoint windows")]
    OverlappingWindows {
        /// The weekday, `mon` … `sun`.
        day: &'static str,
        /// This window's opening time.
        open: String,
        /// This window's closing time.
        close: String,
        /// The index of the earlier window it overlaps.
        other: usize,
        /// That window's opening time.
        other_open: String,
        /// That window's closing time.
        other_close: String,
    },
    /// A schedule that is never open.
    #[error("is never open: expected at least one window in the week")]
    NoOpenTime,
    /// A holiday that cannot be read.
    #[error("`{value}` is not a holiday: expected a date `YYYY-MM-DD` or a yearly `MM-DD`")]
    InvalidHoliday {
        /// The text as given.
        value: String,
    },
    /// A duration that cannot be read.
    #[error("`{value}` is not a duration: expected a whole number followed by `s`, `m`, `h` or `d` (24 hours), e.g. `30m`, `4h`, `3d`{}", if *.signed { ", optionally signed (`-1h`)" } else { "" })]
    InvalidDuration {
        /// The text as given.
        value: String,
        /// Whether a sign was allowed.
        signed: bool,
    },
    /// A target of zero length.
    #[error("is `{value}`: expected a target longer than zero")]
    ZeroTarget {
        /// The text as given.
        value: String,
    },
    /// Two schedules or two policies with one name.
    #[error("duplicate name `{name}`: expected each name once")]
    DuplicateName {
        /// The name.
        name: String,
    },
    /// A policy names a schedule that is not defined.
    #[error("unknown schedule `{name}`; known schedules are {known}")]
    UnknownSchedule {
        /// The name as given.
        name: String,
        /// The defined schedules, in backticks, comma-separated (or `none`).
        known: String,
    },
    /// A business-hours target in a policy without a schedule.
    #[error("is in `business` hours but the policy has no `schedule`: expected a schedule name, or `hours = \"calendar\"`")]
    MissingSchedule,
    /// A metric given twice in one policy.
    #[error("repeats metric `{metric}` of `targets[{first}]`: expected one target per metric")]
    DuplicateMetric {
        /// The metric.
        metric: &'static str,
        /// The index of its first target.
        first: usize,
    },
    /// A target with more escalation levels than a clock tracks.
    #[error("has {count} levels: expected at most {max}")]
    TooManyEscalations {
        /// The levels given.
        count: usize,
        /// The most allowed.
        max: usize,
    },
    /// A configured target for the promised answer, whose due instant an agent sets.
    #[error("is `promised_answer`: its due instant is set by each `promise_answer` event, not configured; expected `first_response`, `next_response` or `resolution`")]
    PromiseTarget,
    /// An escalation level before the clock starts (its offset is below minus the target).
    #[error("offset `{at}` is before the clock starts: expected an offset after minus the target (`{within}`)")]
    EscalationBeforeStart {
        /// The offset as given.
        at: String,
        /// The target as given.
        within: String,
    },
    /// A policy condition that does not compile: the rules engine's error, typed (its
    /// message names the rule and points at the text).
    #[error(transparent)]
    Rule(crate::rules::RuleError),
    /// An event for a case that was never opened.
    #[error("no `opened` event for this case: expected the case to be opened before `{event}`")]
    UnknownCase {
        /// The event's name.
        event: &'static str,
    },
    /// Two different events of one case with one id at one instant.
    #[error("another event of this case has the same id at {at}: expected unique event ids (a repeated delivery must repeat the event exactly)")]
    DuplicateEventId {
        /// The instant of both events.
        at: DateTime<Utc>,
    },
    /// A case opened twice.
    #[error("is opened again: the case was already opened by event `{first}`")]
    DuplicateCase {
        /// The id of the event that opened the case first.
        first: u64,
    },
    /// An event earlier than the case's creation.
    #[error("`{event}` at {at} is before the case was opened at {created}")]
    BeforeCreation {
        /// The event's name.
        event: &'static str,
        /// The event's instant.
        at: DateTime<Utc>,
        /// The case's creation instant.
        created: DateTime<Utc>,
    },
    /// An event the case's state machine does not allow in its current state.
    #[error("`{event}` is not allowed in state `{state}`: {expected}")]
    IllegalTransition {
        /// The event's name.
        event: &'static str,
        /// The case's state.
        state: &'static str,
        /// What is allowed instead.
        expected: String,
    },
    /// A value outside the configured vocabulary (complaint category or severity).
    #[error("`{field}` is `{value}`: expected one of {expected}")]
    UnknownValue {
        /// The field: `category` or `severity`.
        field: &'static str,
        /// The value as given.
        value: String,
        /// The configured values, in backticks, comma-separated.
        expected: String,
    },
    /// A customer attribute that the policy's schema cannot read; the message is the
    /// rules engine's.
    #[error("customer attribute `{name}`: {message}")]
    Attribute {
        /// The attribute's name.
        name: String,
        /// The rules engine's message.
        message: String,
    },
    /// A promised answer time that is not after the event that sets it.
    #[error("promised answer time {by} is not after the event at {at}: expected a later instant")]
    PromiseInPast {
        /// The promised instant.
        by: DateTime<Utc>,
        /// The event's instant.
        at: DateTime<Utc>,
    },
    /// A business-hours deadline that cannot be reached: the schedule is closed for
    /// years on end (e.g. every day is a holiday).
    #[error("schedule `{schedule}` has no open time in the {years} years after {from}: expected open days beside the holidays")]
    Unschedulable {
        /// The schedule's name.
        schedule: String,
        /// The instant the search started from.
        from: DateTime<Utc>,
        /// How many years were searched.
        years: u32,
    },
    /// An evaluation of a feedback item that is not allowed in its state.
    #[error("feedback `{id}`: `{event}` is not allowed: {expected}")]
    Feedback {
        /// The feedback item's id.
        id: u64,
        /// The step: `evaluate` or `answer`.
        event: &'static str,
        /// What is required instead.
        expected: String,
    },
}

/// Where a [`ServiceError`] is.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Location {
    /// Nowhere in particular.
    None,
    /// A path in the policy document.
    Config(String),
    /// A case event.
    Event {
        /// The case.
        case: CaseId,
        /// The event's id.
        event: u64,
    },
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Location::None => Ok(()),
            Location::Config(path) => write!(f, "config `{path}`: "),
            Location::Event { case, event } => write!(f, "case `{case}`, event `{event}`: "),
        }
    }
}

impl ServiceError {
    /// What went wrong.
    pub fn kind(&self) -> &ServiceErrorKind {
        &self.inner.kind
    }

    /// The config path, for an error in the policy document.
    pub fn path(&self) -> Option<&str> {
        match &self.inner.location {
            Location::Config(path) => Some(path),
            _ => None,
        }
    }

    /// The case, for an error in an event.
    pub fn case(&self) -> Option<CaseId> {
        match &self.inner.location {
            Location::Event { case, .. } => Some(*case),
            _ => None,
        }
    }

    /// The event's id, for an error in an event.
    pub fn event(&self) -> Option<u64> {
        match &self.inner.location {
            Location::Event { event, .. } => Some(*event),
            _ => None,
        }
    }

    /// Whether the error is in the policy document.
    pub fn is_config(&self) -> bool {
        matches!(self.inner.location, Location::Config(_))
    }

    pub(crate) fn config(path: impl Into<String>, kind: ServiceErrorKind) -> ServiceError {
        ServiceError {
            inner: Box::new(Inner {
                location: Location::Config(path.into()),
                kind,
            }),
        }
    }

    pub(crate) fn at_event(case: CaseId, event: u64, kind: ServiceErrorKind) -> ServiceError {
        ServiceError {
            inner: Box::new(Inner {
                location: Location::Event { case, event },
                kind,
            }),
        }
    }

    pub(crate) fn bare(kind: ServiceErrorKind) -> ServiceError {
        ServiceError {
            inner: Box::new(Inner {
                location: Location::None,
                kind,
            }),
        }
    }
}
