//! The plan section of a company's policy document ([`PlanConfig`]): the action
//! catalogue, playbooks, triggers, the holiday calendar, the contact policy, risk levels
//! and control groups, as serde documents. [`Planner::new`](crate::plan::Planner::new)
//! checks it and compiles it; every problem names its path (`plan.caps[1].limit`).

use chrono::{NaiveDate, NaiveTime};
use serde::{Deserialize, Serialize};

use crate::money::Money;
use crate::plan::action::{reference_actions, ActionDoc, ActionKind};

/// The plan section: what to do for whom, and the policy that keeps it polite.
///
/// Every field has a default, so `{}` is a valid (empty) section; [`PlanConfig::reference`]
/// holds SPEC R8's tier table as playbooks, R15's triggers and §8's contact defaults.
///
/// # Example
///
/// ```
/// use patronage::plan::{PlanConfig, Planner, Vocabulary};
///
/// let config: PlanConfig = serde_json::from_str(r#"{
///     "company_zone": "Asia/Shanghai",
///     "actions": [
///         {"name": "wake_up", "purpose": "reactivation", "kind": "marketing",
///          "channels": ["wechat", "sms"], "template": "wake_up_v2", "cooldown_days": 30}
///     ],
///     "playbooks": [
///         {"name": "dormant", "when": "tier == dormant and recency_days <= 150", "actions": ["wake_up"]}
///     ],
///     "caps": [
///         {"limit": 1, "window": {"calendar_days": 1}},
///         {"channel": "sms", "limit": 2, "window": {"rolling_hours": 168}}
///     ],
///     "quiet_hours": {"start": "21:00", "end": "09:00", "mode": "defer"},
///     "control": {"salt": "2025-q1", "global": 0.05}
/// }"#)?;
/// let (planner, _warnings) = Planner::new(&config, &Vocabulary::reference())?;
/// assert_eq!(planner.action_names().collect::<Vec<_>>(), ["wake_up"]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct PlanConfig {
    /// The company's IANA time zone: quiet hours and calendar-day caps of customers
    /// whose zone is unknown use it, and calendar triggers fire on its dates (default
    /// `UTC`).
    #[serde(default = "default_zone")]
    pub company_zone: String,
    /// The local time (`HH:MM`, customer's zone) at which playbook and calendar actions
    /// are due on the plan's date (default `10:00`).
    #[serde(default = "default_send_time")]
    pub send_time: String,
    /// The action catalogue: SPEC R8's actions in the reference, plus the company's own.
    #[serde(default)]
    pub actions: Vec<ActionDoc>,
    /// Playbooks: a condition over the segmentation, and the actions it calls for.
    #[serde(default)]
    pub playbooks: Vec<PlaybookDoc>,
    /// Triggers: events, inactivity and calendar dates.
    #[serde(default)]
    pub triggers: Vec<TriggerDoc>,
    /// The holiday calendar (each date once) that `holiday` triggers fire on.
    #[serde(default)]
    pub holidays: Vec<HolidayDoc>,
    /// Frequency caps, all of which must allow a message (AND-combined).
    #[serde(default)]
    pub caps: Vec<CapDoc>,
    /// Quiet hours; `None` for none.
    #[serde(default = "default_quiet_hours")]
    pub quiet_hours: Option<QuietHoursDoc>,
    /// How long (hours, rolling) a purpose stays taken once a message for it was sent:
    /// one message per purpose within this window, across channels (default 24).
    #[serde(default = "default_purpose_window")]
    pub purpose_window_hours: u32,
    /// Coupon budgets per plan day.
    #[serde(default)]
    pub budgets: Vec<BudgetDoc>,
    /// What decides who gets the last coupon under a budget.
    #[serde(default)]
    pub budget_order: BudgetOrder,
    /// Archived customers: only annual care.
    #[serde(default)]
    pub archive: ArchiveDoc,
    /// Risk levels, first match in this order (R31).
    #[serde(default)]
    pub risk_levels: Vec<RiskLevelDoc>,
    /// Control groups (R18).
    #[serde(default)]
    pub control: ControlDoc,
}

/// A playbook: when its condition holds for a customer on the plan date, each of its
/// actions is a candidate (re-eligibility is the action's cooldown).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlaybookDoc {
    /// The playbook's name, unique among playbooks and triggers.
    pub name: String,
    /// A condition of the rules language over the planner's fields
    /// ([`Vocabulary`](crate::plan::Vocabulary) lists them), e.g. `tier == dormant`.
    pub when: String,
    /// The actions, by catalogue name.
    pub actions: Vec<String>,
    /// The playbook's channel order, tried after the customer's preferences (default:
    /// each action's own order).
    #[serde(default)]
    pub channels: Vec<String>,
    /// Higher wins the last slot under a cap (default 0).
    #[serde(default)]
    pub priority: i32,
    /// The share (0 to 0.5) of this playbook's audience held out as its control group.
    #[serde(default)]
    pub holdout: f64,
}

/// A trigger: an event, a period of inactivity or a calendar date that calls for one
/// action.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TriggerDoc {
    /// The trigger's name, unique among playbooks and triggers.
    pub name: String,
    /// What fires it.
    pub on: TriggerOn,
    /// The action, by catalogue name.
    pub action: String,
    /// An optional extra condition over the planner's fields, checked on the day the
    /// action is due (not when the event happened).
    #[serde(default)]
    pub when: Option<String>,
    /// For event triggers: minutes from the event to the due instant (default 0).
    #[serde(default)]
    pub delay_minutes: u32,
    /// For event triggers: how long after its due instant a missed action may still be
    /// planned (minutes, default 1440 = a day); later, the event no longer triggers.
    #[serde(default = "default_expiry")]
    pub expires_after_minutes: u32,
    /// The trigger's channel order, after the customer's preferences.
    #[serde(default)]
    pub channels: Vec<String>,
    /// Higher wins the last slot under a cap (default 0).
    #[serde(default)]
    pub priority: i32,
    /// The share (0 to 0.5) of this trigger's audience held out.
    #[serde(default)]
    pub holdout: f64,
}

/// What fires a trigger.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
#[non_exhaustive]
pub enum TriggerOn {
    /// An event of this kind (`registration`, `first_order`, `complaint_closed`, …).
    Event(String),
    /// No purchase for `days` days: fires on the day the last purchase is exactly `days`
    /// days old, unless an event of a kind in `cancelled_by` happened after the last
    /// purchase.
    Inactivity {
        /// Days since the last purchase.
        days: u32,
        /// Event kinds that cancel it (default `order`, `first_order`).
        #[serde(default = "default_cancelled_by")]
        cancelled_by: Vec<String>,
    },
    /// `days_before` days before the birthday (0 = on it). A 29 February birthday is on
    /// 28 February in common years.
    Birthday {
        /// Days ahead.
        #[serde(default)]
        days_before: u32,
    },
    /// A date of the holiday calendar.
    Holiday,
    /// The member day: this day of every month (1–28).
    MemberDay(u32),
    /// Points expiring within this many days (inclusive) from the plan date.
    PointsExpiring(u32),
    /// A VIP level change between two segmentations.
    LevelChange(LevelDirection),
}

/// Up or down.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LevelDirection {
    /// To a higher level.
    Upgrade,
    /// To a lower level.
    Downgrade,
}

/// A holiday of the company's calendar.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HolidayDoc {
    /// The date.
    pub date: NaiveDate,
    /// Its name (in the reason of the actions it triggers).
    pub name: String,
}

/// A frequency cap: at most `limit` messages in a window.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CapDoc {
    /// A channel (only messages on it count and obey), or none for across channels.
    #[serde(default)]
    pub channel: Option<String>,
    /// The most messages in the window, at least 1.
    pub limit: u32,
    /// The window.
    pub window: WindowDoc,
    /// The kinds of action that obey and count toward it (default `marketing`).
    #[serde(default = "marketing_only")]
    pub applies_to: Vec<ActionKind>,
}

/// A cap's window.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum WindowDoc {
    /// The `n` calendar days (in the customer's zone, else the company's) ending with
    /// the day of the due instant: `1` is "today", `7` "today and the 6 days before".
    CalendarDays(u32),
    /// The `n` hours before the due instant, rolling: a message at `t` counts while
    /// `due − n h < t ≤ due`.
    RollingHours(u32),
}

/// Quiet hours: no message of the listed kinds is due in `[start, end)` local time.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QuietHoursDoc {
    /// Start, `HH:MM` local time (inclusive).
    pub start: String,
    /// End, `HH:MM` local time (exclusive); before `start` when the window spans
    /// midnight.
    pub end: String,
    /// Defer or skip.
    #[serde(default)]
    pub mode: QuietMode,
    /// The kinds that obey (default `marketing` and `service`; transactional messages go
    /// at any hour).
    #[serde(default = "marketing_and_service")]
    pub applies_to: Vec<ActionKind>,
}

/// What happens to a message due in quiet hours.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum QuietMode {
    /// Due at the next allowed minute instead (SPEC §8).
    #[default]
    Defer,
    /// Suppressed, with that minute as the next allowed instant.
    Skip,
}

/// A coupon budget per plan day: the costs of the planned actions it covers may not
/// exceed `per_day`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BudgetDoc {
    /// The budget's name.
    pub name: String,
    /// The playbook or trigger it covers, or none for every action with a cost.
    #[serde(default)]
    pub source: Option<String>,
    /// The most the covered coupons may cost on one plan day.
    pub per_day: Money,
}

/// What decides which customer gets the last coupon under a budget.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BudgetOrder {
    /// Higher priority first, then higher expected value, then lower customer id.
    #[default]
    Priority,
    /// Higher expected value (CLV) first, then priority, then lower customer id;
    /// customers without a value come last.
    ExpectedValue,
}

/// Archived customers (R8's "then archive"): those with a contact of the `action` in
/// their history get only actions marked `annual_care`, at most one per
/// `annual_care_days` (rolling).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ArchiveDoc {
    /// The action whose record archives a customer (default `archive`).
    #[serde(default = "default_archive_action")]
    pub action: String,
    /// Days between two annual-care messages (default 365).
    #[serde(default = "default_annual_days")]
    pub annual_care_days: u32,
}

/// A risk level: a condition over the risk signals and what it restricts.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RiskLevelDoc {
    /// The level's name.
    pub name: String,
    /// A condition over `credit`, `market`, `operating`, `legal` (numbers, missing when
    /// not given), e.g. `credit >= 80 or legal >= 50`.
    pub when: String,
    /// What the level restricts.
    #[serde(default)]
    pub restrictions: Vec<Restriction>,
}

/// What a risk level restricts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Restriction {
    /// No action with a coupon cost.
    NoCoupons,
    /// No action that extends credit terms.
    NoCreditTerms,
    /// No marketing action.
    NoMarketing,
    /// Planned actions are flagged for manual review before they are executed.
    ManualReview,
}

/// Control groups by a salted hash of the customer id (R18).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ControlDoc {
    /// The salt; change it to draw new groups (default `patronage`).
    #[serde(default = "default_salt")]
    pub salt: String,
    /// The share (0 to 0.5) of all customers held out of every marketing action.
    #[serde(default)]
    pub global: f64,
}

fn default_zone() -> String {
    "UTC".to_owned()
}
fn default_send_time() -> String {
    "10:00".to_owned()
}
fn default_purpose_window() -> u32 {
    24
}
fn default_expiry() -> u32 {
    1440
}
fn default_cancelled_by() -> Vec<String> {
    vec!["order".to_owned(), "first_order".to_owned()]
}
fn default_archive_action() -> String {
    "archive".to_owned()
}
fn default_annual_days() -> u32 {
    365
}
fn default_salt() -> String {
    "patronage".to_owned()
}
fn marketing_only() -> Vec<ActionKind> {
    vec![ActionKind::Marketing]
}
fn marketing_and_service() -> Vec<ActionKind> {
    vec![ActionKind::Marketing, ActionKind::Service]
}
// An `Option` because it is the serde default of an optional field.
#[allow(clippy::unnecessary_wraps)]
fn default_quiet_hours() -> Option<QuietHoursDoc> {
    Some(QuietHoursDoc {
        start: "21:00".to_owned(),
        end: "09:00".to_owned(),
        mode: QuietMode::Defer,
        applies_to: marketing_and_service(),
    })
}

impl Default for PlanConfig {
    fn default() -> PlanConfig {
        PlanConfig {
            company_zone: default_zone(),
            send_time: default_send_time(),
            actions: Vec::new(),
            playbooks: Vec::new(),
            triggers: Vec::new(),
            holidays: Vec::new(),
            caps: Vec::new(),
            quiet_hours: default_quiet_hours(),
            purpose_window_hours: default_purpose_window(),
            budgets: Vec::new(),
            budget_order: BudgetOrder::default(),
            archive: ArchiveDoc::default(),
            risk_levels: Vec::new(),
            control: ControlDoc::default(),
        }
    }
}

impl Default for ArchiveDoc {
    fn default() -> ArchiveDoc {
        ArchiveDoc {
            action: default_archive_action(),
            annual_care_days: default_annual_days(),
        }
    }
}

impl Default for ControlDoc {
    fn default() -> ControlDoc {
        ControlDoc {
            salt: default_salt(),
            global: 0.0,
        }
    }
}

impl PlanConfig {
    /// The reference plan: SPEC R8's actions as the catalogue, one playbook per tier of
    /// the reference tier table, R15's triggers, and §8's contact defaults (quiet hours
    /// 21:00–09:00 deferred; at most 1 marketing message a calendar day and 3 in 7
    /// calendar days across channels; transactional and service messages exempt from
    /// the caps), and one risk level (R31's example): `high` when the credit or legal
    /// signal, scored 0–100 by the host, is 80 or more — no credit terms, no coupons,
    /// manual review. Coupon costs are in CNY, the source policy's currency.
    ///
    /// # Example
    ///
    /// ```
    /// use patronage::plan::{PlanConfig, Planner, Vocabulary};
    ///
    /// let (planner, warnings) = Planner::new(&PlanConfig::reference(), &Vocabulary::reference())?;
    /// assert!(warnings.is_empty());
    /// assert!(planner.action_names().any(|name| name == "wake_up_message"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn reference() -> PlanConfig {
        let playbook = |name: &str, when: &str, actions: &[&str], priority: i32| PlaybookDoc {
            name: name.to_owned(),
            when: when.to_owned(),
            actions: actions.iter().map(|a| (*a).to_owned()).collect(),
            channels: Vec::new(),
            priority,
            holdout: 0.0,
        };
        let trigger = |name: &str, on: TriggerOn, action: &str, delay_minutes: u32| TriggerDoc {
            name: name.to_owned(),
            on,
            action: action.to_owned(),
            when: None,
            delay_minutes,
            expires_after_minutes: default_expiry(),
            channels: Vec::new(),
            priority: 10,
            holdout: 0.0,
        };
        let event = |kind: &str| TriggerOn::Event(kind.to_owned());
        PlanConfig {
            actions: reference_actions(),
            playbooks: vec![
                playbook(
                    "high_value_care",
                    "tier == high_value_active",
                    &["account_manager", "priority_shipping", "in_depth_interview"],
                    30,
                ),
                playbook(
                    "mid_value_growth",
                    "tier == mid_value_active",
                    &["recommendation"],
                    20,
                ),
                playbook(
                    "upgrade_nudge",
                    "tier == mid_value_active and purchases_to_next_level <= 2",
                    &["upgrade_nudge"],
                    25,
                ),
                playbook(
                    "new_customer_care",
                    "tier == new",
                    &["onboarding_guide"],
                    20,
                ),
                playbook(
                    "dormant_wake_up",
                    "tier == dormant",
                    &["return_incentive", "reason_survey"],
                    10,
                ),
                playbook(
                    "churned_win_back",
                    "tier == churned",
                    &["win_back_coupon"],
                    5,
                ),
            ],
            triggers: vec![
                trigger("welcome", event("registration"), "welcome", 0),
                trigger("first_visit", event("first_visit"), "first_visit_offer", 60),
                trigger(
                    "first_order_thanks",
                    event("first_order"),
                    "first_order_thanks",
                    60,
                ),
                trigger(
                    "after_sales_follow_up",
                    event("after_sales_resolved"),
                    "satisfaction_follow_up",
                    60,
                ),
                trigger(
                    "complaint_result",
                    event("complaint_closed"),
                    "complaint_result",
                    0,
                ),
                trigger(
                    "complaint_revisit",
                    event("complaint_closed"),
                    "complaint_revisit",
                    3 * 1440,
                ),
                trigger(
                    "inactive_120_days",
                    TriggerOn::Inactivity {
                        days: 120,
                        cancelled_by: default_cancelled_by(),
                    },
                    "wake_up_message",
                    0,
                ),
                trigger(
                    "birthday",
                    TriggerOn::Birthday { days_before: 0 },
                    "birthday_gift",
                    0,
                ),
                trigger("holiday", TriggerOn::Holiday, "holiday_coupon", 0),
                trigger(
                    "points_expiring",
                    TriggerOn::PointsExpiring(7),
                    "points_expiry_notice",
                    0,
                ),
                trigger(
                    "level_upgrade",
                    TriggerOn::LevelChange(LevelDirection::Upgrade),
                    "level_up_congratulations",
                    0,
                ),
            ],
            risk_levels: vec![RiskLevelDoc {
                name: "high".to_owned(),
                when: "credit >= 80 or legal >= 80".to_owned(),
                restrictions: vec![
                    Restriction::NoCreditTerms,
                    Restriction::NoCoupons,
                    Restriction::ManualReview,
                ],
            }],
            caps: vec![
                CapDoc {
                    channel: None,
                    limit: 1,
                    window: WindowDoc::CalendarDays(1),
                    applies_to: marketing_only(),
                },
                CapDoc {
                    channel: None,
                    limit: 3,
                    window: WindowDoc::CalendarDays(7),
                    applies_to: marketing_only(),
                },
            ],
            ..PlanConfig::default()
        }
    }
}

/// Parses `HH:MM`.
pub(crate) fn parse_time(text: &str) -> Option<NaiveTime> {
    let (hours, minutes) = text.split_once(':')?;
    if hours.len() != 2 || minutes.len() != 2 {
        return None;
    }
    NaiveTime::from_hms_opt(hours.parse().ok()?, minutes.parse().ok()?, 0)
}
