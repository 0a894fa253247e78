//! Service cases: inquiries, after-sales requests and complaints as typed state
//! machines, SLA clocks in calendar or business hours, escalation, the closed loop
//! of follow-ups, suggestions and feedback, and root-cause reports (SPEC R19–R22).
//!
//! # How it fits together
//!
//! A company writes a [`ServiceDoc`] (serde: JSON, TOML…): business-hours
//! [`schedules`](ServiceDoc::schedules), SLA [`policies`](ServiceDoc::policies)
//! chosen per case by rules ([`crate::rules`], first match), auto-close and
//! follow-up delays. [`ServicePolicy::compile`] checks it once. The host records
//! what happens to each case as [`CaseEvent`]s and replays them with
//! [`ServicePolicy::replay`] as of an instant: the result, [`Cases`], holds each
//! [`Case`] with its [`Status`], history, SLA [`Clock`]s, [`Escalation`]s and the
//! [`FollowUp`]s it hands the planner.
//!
//! Nothing here reads a clock: `as_of` is a parameter, and the same events give the
//! same cases whatever their order of arrival.
//!
//! # Semantics, written down
//!
//! - **States** and every legal transition: the table on [`Status`]. Illegal
//!   transitions are errors naming the case, the state and the event.
//! - **Replay order**: by case, instant, `opened` first, then event id
//!   ([`CaseEvent`]).
//! - **Clocks**: what starts, stops, pauses and resets each metric: the table on
//!   [`Metric`]; achieved / breached / pending: [`SlaStatus`]; due, elapsed and
//!   remaining: [`Clock`].
//! - **Business hours**: windows, holidays, DST gaps and folds: [`ScheduleDoc`];
//!   the arithmetic: [`Schedule`].
//! - **Policy selection**: [`ServicePolicy`].
//! - **Escalation**: [`Escalation`]; **closed loop**: [`FollowUp`].
//! - **Suggestions (R22)**: [`Feedback`]; **root causes**: [`root_causes`].
//!
//! # Where help-desk tools are vague
//!
//! Zendesk, Freshdesk and ISO 10002 describe the same model (statuses, SLA policies
//! per priority in calendar or business hours, pause rules, reply resets, escalation
//! levels, auto-close, follow-up cases); this module writes down what they leave
//! open:
//!
//! - *Which event comes first* when two share an instant: `opened`, then the event
//!   id; an event delivered twice counts once.
//! - *When a target is breached*: once elapsed time exceeds it — stopping exactly at
//!   the due instant meets it — and `elapsed + remaining = target` always, with
//!   `remaining` negative when overdue.
//! - *Business-hours arithmetic* across weekends, holidays and DST: a window is the
//!   wall-clock time in its zone, so a deadline does not shift by an hour when the
//!   clocks change, and a published vendor example ("Friday 16:00 + 4 h, Mon–Fri
//!   08:00–17:00 → Tuesday 11:00") comes out as its own arithmetic says: Monday 11:00.
//! - *What stops, pauses and resets each clock*: the table on [`Metric`].
//! - *What a closed case allows*: nothing but a satisfaction verdict; a new case
//!   `linked_to` it carries on.
//!
//! # Example
//!
//! A complaint opened on a Friday afternoon, handled within 24 hours, then closed:
//! the planner gets a result notice and a revisit within 3 days.
//!
//! ```
//! use chrono::{TimeZone, Utc};
//! use patronage::service::{
//!     CaseEvent, CaseId, FollowUpKind, Metric, ServiceDoc, ServicePolicy, SlaStatus, Status,
//! };
//!
//! let policy = ServicePolicy::compile(&ServiceDoc::reference())?;
//! let events: Vec<CaseEvent> = serde_json::from_str(r#"[
//!     {"id": 1, "case": 5, "at": "2024-03-01T16:00:00Z", "event": "opened", "customer": 7,
//!      "type": {"kind": "complaint", "category": "damaged_goods", "severity": "major"}},
//!     {"id": 2, "case": 5, "at": "2024-03-01T16:02:00Z", "event": "acknowledge"},
//!     {"id": 3, "case": 5, "at": "2024-03-02T09:00:00Z", "event": "resolve", "cause": "packaging"},
//!     {"id": 4, "case": 5, "at": "2024-03-02T10:00:00Z", "event": "close"}
//! ]"#)?;
//! let as_of = Utc.with_ymd_and_hms(2024, 3, 3, 0, 0, 0).single().ok_or("date")?;
//! let cases = policy.replay(&events, as_of)?;
//! let case = cases.get(CaseId(5)).ok_or("case 5")?;
//! assert_eq!(case.status, Status::Closed);
//! assert!(case.clocks.iter().all(|c| c.status == SlaStatus::Achieved));
//! let follow_ups: Vec<_> = cases.follow_ups().iter().map(|f| (f.kind, f.due)).collect();
//! assert_eq!(follow_ups, [
//!     (FollowUpKind::ResultNotice, Utc.with_ymd_and_hms(2024, 3, 2, 10, 0, 0).single().ok_or("date")?),
//!     (FollowUpKind::SatisfactionRevisit, Utc.with_ymd_and_hms(2024, 3, 5, 10, 0, 0).single().ok_or("date")?),
//! ]);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::fmt;

use serde::{Deserialize, Serialize};

mod case;
mod config;
mod error;
mod escalation;
mod event;
mod feedback;
mod follow_up;
mod policy;
mod report;
mod schedule;
mod sla;

pub use crate::service::case::{Case, Cases, ReturnWindow, Status, Transition};
pub use crate::service::config::{
    Day, EscalationDoc, Hours, PolicyDoc, ScheduleDoc, ServiceDoc, TargetDoc, WindowDoc,
};
pub use crate::service::error::{ServiceError, ServiceErrorKind};
pub use crate::service::escalation::{Escalation, EscalationState, EscalationTrigger};
pub use crate::service::event::{
    AfterSalesCategory, CaseEvent, CaseType, EventKind, EventName, Handler, InquiryCategory,
    Opening, Priority, Scope, Verdict,
};
pub use crate::service::feedback::{Adoption, Feedback, FeedbackClass, FeedbackSummary};
pub use crate::service::follow_up::{FollowUp, FollowUpKind};
pub use crate::service::policy::ServicePolicy;
pub use crate::service::report::{root_causes, Period, RootCause};
pub use crate::service::schedule::Schedule;
pub use crate::service::sla::{Clock, Metric, SlaStatus};

/// A case's id: an opaque 64-bit number, unique across the host's cases.
///
/// # Example
///
/// ```
/// use patronage::service::CaseId;
///
/// assert_eq!(CaseId(17).to_string(), "17");
/// assert_eq!(serde_json::from_str::<CaseId>("17")?, CaseId(17));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct CaseId(pub u64);

impl fmt::Display for CaseId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}
