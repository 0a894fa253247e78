//! Escalations and the follow-ups a case hands the planner.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::customer::CustomerId;
use crate::service::{CaseId, Metric};

/// An escalation level of a case: reached at `as_of`, or due later.
///
/// A target's levels are reached when its clock's elapsed time reaches the target
/// plus the level's offset (so a business-hours warning `-1h` comes one business
/// hour before the breach). A level whose clock stopped first is never reached and
/// is not listed; neither is an unreached level of a paused clock (its instant is
/// not known until the clock runs again). A group complaint gets the configured
/// level (default `management`) the instant it is opened.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Escalation {
    /// The case.
    pub case: CaseId,
    /// The customer.
    pub customer: CustomerId,
    /// Why: a target's clock, or a group complaint.
    pub trigger: EscalationTrigger,
    /// The level's name.
    pub level: String,
    /// When the level is (or was) reached.
    pub due: DateTime<Utc>,
    /// Reached at `as_of`, or still ahead.
    pub state: EscalationState,
}

/// Why a case is escalated.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind", content = "metric")]
#[non_exhaustive]
pub enum EscalationTrigger {
    /// The clock of this metric.
    Target(Metric),
    /// A group complaint (SPEC R21: escalated to management).
    GroupComplaint,
}

/// Whether an escalation level is reached at `as_of`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum EscalationState {
    /// `due <= as_of`.
    Reached,
    /// `due > as_of`, and the clock runs.
    Upcoming,
}

/// A follow-up a case hands the planner: the event type the planner's triggers
/// take for the closed loop of SPEC R15, R20 and R21.
///
/// | when | kind | due |
/// |---|---|---|
/// | an after-sales case is resolved | `satisfaction_survey` | within [`satisfaction_within`](crate::service::ServiceDoc::satisfaction_within) (24 h) |
/// | a complaint is closed (by hand or automatically) | `result_notice` | at once |
/// | a complaint is closed | `satisfaction_revisit` | within [`revisit_within`](crate::service::ServiceDoc::revisit_within) (3 days) |
/// | a closed case's customer is not satisfied | `rehandle` | at once: open a new case linked to it |
///
/// `at` is the instant of the event that caused it; the planner may act any time
/// from `at` to `due`. The pair (`case`, `kind`, `at`) identifies a follow-up.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[non_exhaustive]
pub struct FollowUp {
    /// The customer to contact.
    pub customer: CustomerId,
    /// The case it follows up.
    pub case: CaseId,
    /// What to do.
    pub kind: FollowUpKind,
    /// When it was triggered.
    pub at: DateTime<Utc>,
    /// The latest instant to do it.
    pub due: DateTime<Utc>,
}

/// What a [`FollowUp`] asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum FollowUpKind {
    /// Ask how satisfied the customer is with a resolved after-sales case.
    SatisfactionSurvey,
    /// Tell the customer how a complaint was resolved.
    ResultNotice,
    /// Revisit the customer about a closed complaint.
    SatisfactionRevisit,
    /// Handle again: open a new case linked to the closed one.
    Rehandle,
}

impl FollowUpKind {
    /// The serde name, e.g. `satisfaction_revisit`.
    pub fn as_str(self) -> &'static str {
        match self {
            FollowUpKind::SatisfactionSurvey => "satisfaction_survey",
            FollowUpKind::ResultNotice => "result_notice",
            FollowUpKind::SatisfactionRevisit => "satisfaction_revisit",
            FollowUpKind::Rehandle => "rehandle",
        }
    }
}
