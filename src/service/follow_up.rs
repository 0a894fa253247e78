//! The closed loop: the follow-ups a case hands the planner (SPEC R15, R20, R21).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::customer::CustomerId;
use crate::service::CaseId;

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
