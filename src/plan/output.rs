//! The plan (R17): planned, suppressed and held-out actions, summaries and warnings.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::customer::{Channel, CustomerId};
use crate::money::Money;
use crate::plan::action::ActionKind;
use crate::segment::VipDistance;

/// The day's plan: what to do for whom, through which channel, when — and what was not
/// done, and why.
///
/// # Determinism
///
/// Same inputs, same plan, byte for byte when serialised: actions are listed by
/// customer id, then in the order the planner weighed them (priority, then catalogue
/// order); summaries follow config order; no hash map decides an order.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Plan {
    /// The instant the plan is as of.
    pub as_of: DateTime<Utc>,
    /// The plan's date in the company's zone (calendar triggers fire on it).
    pub date: NaiveDate,
    /// The actions to carry out.
    pub actions: Vec<PlannedAction>,
    /// Actions a policy stopped, with the policy and the next allowed instant.
    pub suppressed: Vec<SuppressedAction>,
    /// Actions not carried out because the customer is in a control group.
    pub held_out: Vec<HeldOutAction>,
    /// Counts per playbook or trigger, and per suppression policy.
    pub summary: PlanSummary,
    /// Control groups too small or too large to measure lift well.
    pub warnings: Vec<PlanWarning>,
}

/// Why an action was considered: the playbook or trigger that fired.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Reason {
    /// `playbook` or `trigger`.
    pub source: SourceKind,
    /// The playbook's or trigger's name.
    pub name: String,
    /// What fired, in words: the condition, the event and its instant, the date.
    pub detail: String,
}

/// A playbook or a trigger.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SourceKind {
    /// A playbook.
    Playbook,
    /// A trigger.
    Trigger,
}

/// An action to carry out.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct PlannedAction {
    /// The customer.
    pub customer: CustomerId,
    /// The action's catalogue name.
    pub action: String,
    /// Its kind.
    pub kind: ActionKind,
    /// The channel, or none for an action without a message.
    pub channel: Option<Channel>,
    /// When it is due.
    pub due: DateTime<Utc>,
    /// What fired it.
    pub reason: Reason,
    /// A deterministic key: the same action for the same occasion has the same key on
    /// every run, so the host can execute it at most once.
    pub key: String,
    /// The coupon value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cost: Option<Money>,
    /// Whether a risk level asks for manual review first.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub review: bool,
    /// The distance to the next VIP level, for actions that carry it (the upgrade
    /// nudge); none when the customer's profile has none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vip_distance: Option<VipDistance>,
}

/// An action a policy stopped.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct SuppressedAction {
    /// The customer.
    pub customer: CustomerId,
    /// The action's catalogue name.
    pub action: String,
    /// What fired it.
    pub reason: Reason,
    /// The policy that stopped it.
    pub policy: Suppression,
    /// Which rule of the policy, in words (`plan.caps[0]`, `high: no_coupons`).
    pub detail: String,
    /// The first instant the policy would allow it, where one exists.
    pub next_allowed: Option<DateTime<Utc>>,
}

/// An action not carried out because the customer is in a control group.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct HeldOutAction {
    /// The customer.
    pub customer: CustomerId,
    /// The action's catalogue name.
    pub action: String,
    /// What fired it.
    pub reason: Reason,
    /// `global`, or the playbook's or trigger's name.
    pub group: String,
}

/// The contact policy that stopped an action, in the order the planner checks them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Suppression {
    /// An inactivity trigger cancelled by a qualifying event.
    CancelledByEvent,
    /// An archived customer: annual care only.
    Archived,
    /// A risk level's restriction.
    Risk,
    /// No channel of the action the customer consented to.
    NoConsent,
    /// The action's cooldown has not passed.
    Cooldown,
    /// A message for the same purpose is planned or was sent within the purpose window.
    DuplicatePurpose,
    /// Due in quiet hours, with the `skip` mode.
    QuietHours,
    /// A frequency cap.
    Cap,
    /// A coupon budget.
    Budget,
}

impl Suppression {
    /// The serde name.
    pub fn as_str(self) -> &'static str {
        match self {
            Suppression::CancelledByEvent => "cancelled_by_event",
            Suppression::Archived => "archived",
            Suppression::Risk => "risk",
            Suppression::NoConsent => "no_consent",
            Suppression::Cooldown => "cooldown",
            Suppression::DuplicatePurpose => "duplicate_purpose",
            Suppression::QuietHours => "quiet_hours",
            Suppression::Cap => "cap",
            Suppression::Budget => "budget",
        }
    }
}

/// Counts per source and per suppression policy.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct PlanSummary {
    /// One entry per playbook and trigger, in config order (playbooks first).
    pub sources: Vec<SourceSummary>,
    /// One entry per policy that suppressed anything, in [`Suppression`] order.
    pub suppressions: Vec<SuppressionCount>,
}

/// What one playbook or trigger led to.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct SourceSummary {
    /// The playbook's or trigger's name.
    pub name: String,
    /// Playbook or trigger.
    pub source: SourceKind,
    /// Actions planned.
    pub planned: u64,
    /// Actions suppressed.
    pub suppressed: u64,
    /// Actions held out.
    pub held_out: u64,
}

/// How many actions one policy suppressed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct SuppressionCount {
    /// The policy.
    pub policy: Suppression,
    /// How many actions.
    pub count: u64,
}

/// A control group that measures lift poorly: under 1,000 customers, or over 15% of
/// its audience.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct PlanWarning {
    /// `global`, or the playbook's or trigger's name.
    pub group: String,
    /// Customers held out.
    pub held_out: u64,
    /// Customers the group was drawn from (those with at least one action from it).
    pub audience: u64,
    /// What is wrong, in words.
    pub message: String,
}
