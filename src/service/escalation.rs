//! Escalation levels: warnings before a breach, the breach, management.

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
