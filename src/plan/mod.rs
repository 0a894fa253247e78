//! The maintenance-action planner (R14–R18, R31): from the segmentation, the customer
//! records, the day's events and the contact history to the day's [`Plan`] — which
//! action, for which customer, through which channel, when — and, for every action not
//! taken, the policy that stopped it. The host executes the plan.
//!
//! # Pipeline
//!
//! For each customer (ascending id), the [`Planner`]:
//!
//! 1. gathers **candidates**: every action of every playbook whose condition holds, and
//!    every trigger that fires on the plan date (see *Triggers*);
//! 2. weighs them in **priority** order: the playbook's or trigger's `priority`
//!    (higher first), then catalogue order, then config order — never arrival order;
//! 3. passes each candidate through the policies, in this order, and the first that
//!    objects suppresses it: cancellation by an event, control groups (marketing only:
//!    the action is *held out*, not suppressed), the archive, the customer's risk level,
//!    consent (choosing the channel), the action's cooldown, quiet hours, one message
//!    per purpose, the frequency caps;
//! 4. finally, across all customers, coupon **budgets** take planned actions with a cost
//!    in [`BudgetOrder`] (priority or expected value), and suppress the rest.
//!
//! # Semantics, made explicit
//!
//! - **Consent** per channel is absolute, for every kind of action: a channel is used
//!   only with an opted-in consent ([`Customer::may_contact`](crate::Customer::may_contact)). An action without
//!   channels (`archive`) is carried out by the host without a message and needs none.
//! - **Channel**: the first consented channel in the customer's preference order among
//!   the action's channels, then in the playbook's (or trigger's) channel order, then in
//!   the action's own order. One action is one message on one channel.
//! - **Caps** count the contact history and the actions already planned for the
//!   customer; all caps must allow a message (AND), so the most restrictive wins. A
//!   calendar-day window is a run of local dates in the customer's zone (the company's
//!   when unknown), a rolling window an interval of hours before the due instant; a
//!   message is refused when *any* window holding its due instant would exceed the
//!   limit. By default caps apply to marketing only: service and transactional
//!   messages neither obey nor count, unless a cap lists their kind in `applies_to`.
//!   A capped action is suppressed (not queued) with the first instant the caps would
//!   allow it: the host sees it again in a later plan if it still qualifies. A cap never
//!   switches the channel: the channel is chosen by consent and preference alone.
//! - **Quiet hours** are local time in the customer's zone, the company's when the
//!   customer's is unknown (never "send anyway"). `defer` moves the due instant to the
//!   first allowed minute, resolved across DST: when that minute does not exist (the
//!   clock springs forward) the next one that does, when it exists twice the earlier.
//!   `skip` suppresses the action with that minute as its next allowed instant.
//!   Transactional messages ignore quiet hours by default.
//! - **One message per purpose**: a purpose planned once is taken for the rest of the
//!   customer's plan, and a purpose sent within `purpose_window_hours` (rolling) before
//!   the due instant is taken too.
//! - **Cooldown** (re-eligibility): an action is refused until `cooldown_days × 86,400 s`
//!   after its last contact; playbooks fire every day their condition holds, so the
//!   cooldown is what spaces them.
//! - **Archive**: a customer with a contact of the archive action in the history gets
//!   only actions marked `annual_care`, at most one per `annual_care_days` (rolling);
//!   transactional and service messages are not restricted.
//! - **Risk** (R31): the first risk level whose condition holds applies its
//!   restrictions; a suppressed action names the level and the restriction.
//! - **Budgets** are per plan date; an action over a budget is suppressed with the
//!   start of the next plan date as its next allowed instant. A budget-suppressed
//!   action does not give its cap slot to another action the same day (budgets are
//!   decided after every customer's caps, so the order of customers never matters).
//!
//! # Idempotency keys
//!
//! A planned action's key is 16 hex digits of 64-bit FNV-1a over the customer id, the
//! action, the playbook or trigger, and the occasion: the plan date for playbooks and
//! calendar or inactivity triggers, the event's instant for event triggers. Re-planning
//! the same day (or an event on a later day) gives the same key.
//!
//! # Input order
//!
//! Profiles and customer records are one per customer, ascending by id; the history is
//! ascending by customer id (as a database returns it `ORDER BY customer`), and rows of
//! customers without a profile are ignored. Events and level changes come in any order.
//!
//! # Triggers
//!
//! A plan covers its **plan date**: the date of `as_of` in the company's zone.
//! Playbooks and calendar triggers are due at `send_time` local time on that date (at
//! `as_of` if that is later). An event trigger is due `delay_minutes` after its event,
//! planned on the first plan whose date's end is after the due instant, and no later
//! than `expires_after_minutes` past it; a due instant already past is moved to
//! `as_of`. The host passes the events of the last days (as far back as the longest
//! delay plus expiry); an event planned before keeps its idempotency key, so the host
//! executes it once.
//!
//! **Recomputation.** Nothing is planned beyond its due date: a delayed action (the
//! complaint revisit three days after closure) enters the plan of the day it is due,
//! and its playbook conditions, consents, caps and the archive are checked that day
//! against that day's data. An action whose customer no longer qualifies simply does
//! not appear (or appears as suppressed, with the policy); the host never has to
//! withdraw an action it was given.
//!
//! Inactivity triggers fire on the day the last purchase is exactly `days` old; an
//! event of a kind in `cancelled_by` after the last purchase's date cancels it (the
//! action appears as suppressed, `cancelled_by_event`). Birthdays fire `days_before`
//! the birthday; **a 29 February birthday is celebrated on 28 February in common
//! years** ([`Birthday::in_year`](crate::customer::Birthday::in_year)).
//!
//! # Control groups
//!
//! A global share and per-playbook (or per-trigger) shares, by a salted hash of the
//! customer id into 10,000 buckets (64-bit FNV-1a over the salt and the group's name,
//! each followed by a `0x1f` byte, then the id's 8 little-endian bytes, finished by
//! SplitMix64's mixer; the global group's name is empty): stable across runs and
//! machines, and as the base grows. A playbook's group is drawn from customers outside
//! the global group. Control groups hold out marketing actions only (service and
//! transactional messages still go); held-out customers are listed in
//! [`Plan::held_out`] so lift can be measured. A group under 1,000 customers
//! or over 15% of its audience gets a [`PlanWarning`].
//!
//! # Example
//!
//! ```
//! use chrono::{TimeZone, Utc};
//! use patronage::{Channel, Consent, Customer, CustomerId};
//! use patronage::plan::{PlanConfig, PlanInput, Planner, Profile, Vocabulary};
//!
//! let (planner, _warnings) = Planner::new(&PlanConfig::reference(), &Vocabulary::reference())?;
//! let as_of = Utc.with_ymd_and_hms(2025, 3, 3, 0, 0, 0).single().ok_or("date")?;
//! let mut profile = Profile::new(CustomerId(7));
//! profile.tier = Some("dormant".to_owned());
//! profile.recency_days = Some(100);
//! let mut customer = Customer::new(CustomerId(7));
//! customer.consents.insert(Channel::Email, Consent::opted_in(as_of));
//! let (profiles, customers) = (vec![profile], vec![customer]);
//! let plan = planner.plan(&PlanInput::new(as_of, &profiles, &customers))?;
//! // The dormant playbook calls for a return incentive and a reason survey; the
//! // incentive comes first in the catalogue, goes by e-mail (the only consented
//! // channel) at 10:00 in the company's zone (UTC), and takes the day's one marketing
//! // slot (SPEC §8's cap), so the survey is suppressed until the next day.
//! assert_eq!(plan.actions[0].action, "return_incentive");
//! assert_eq!(plan.actions[0].channel, Some(Channel::Email));
//! assert_eq!(plan.suppressed[0].action, "reason_survey");
//! assert_eq!(plan.suppressed[0].detail, "plan.caps[0]");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod action;
mod config;
mod control;
mod error;
mod output;
mod planner;
mod playbook;
mod policy;
mod risk;
mod trigger;

pub use crate::plan::action::{ActionDoc, ActionKind};
pub use crate::plan::config::{
    ArchiveDoc, BudgetDoc, BudgetOrder, CapDoc, ControlDoc, HolidayDoc, LevelDirection, PlanConfig,
    PlaybookDoc, QuietHoursDoc, QuietMode, Restriction, RiskLevelDoc, TriggerDoc, TriggerOn,
    WindowDoc,
};
pub use crate::plan::error::{PlanError, PlanErrorKind};
pub use crate::plan::output::{
    HeldOutAction, Plan, PlanSummary, PlanWarning, PlannedAction, Reason, SourceKind,
    SourceSummary, SuppressedAction, Suppression, SuppressionCount,
};
pub use crate::plan::planner::{PlanInput, Planner};
pub use crate::plan::playbook::{Profile, Vocabulary};
pub use crate::plan::risk::RiskSignals;
pub use crate::plan::trigger::{ContactRecord, Event, LevelChange};
