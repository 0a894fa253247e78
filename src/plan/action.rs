//! The action catalogue (R14): what the company can do for a customer, with its purpose,
//! channels, template, cost, goal and kind. SPEC R8's key actions are the reference
//! catalogue; a company adds its own entries.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::money::{Currency, Money};

/// One action of the catalogue, as a company writes it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ActionDoc {
    /// The action's name, unique in the catalogue (`wake_up_message`).
    pub name: String,
    /// Its purpose: at most one message per purpose is sent within the purpose window,
    /// across channels (`reactivation`).
    pub purpose: String,
    /// Marketing, service or transactional.
    pub kind: ActionKind,
    /// The channels it can use, in the action's order of preference; empty for an
    /// action the host carries out without a message (`archive`), which needs no
    /// consent and obeys no cap or quiet hours.
    #[serde(default)]
    pub channels: Vec<String>,
    /// The content template's key in the host's system.
    pub template: String,
    /// The coupon value it hands out, if any (counted against budgets, refused by a
    /// `no_coupons` risk restriction).
    #[serde(default)]
    pub cost: Option<Money>,
    /// What it is for, in words.
    #[serde(default)]
    pub goal: String,
    /// Days (rolling, 86,400 s each) after a contact with this action before it may be
    /// sent again; 0 for no cooldown.
    #[serde(default)]
    pub cooldown_days: u32,
    /// Whether an archived customer may still get it (once per annual-care period).
    #[serde(default)]
    pub annual_care: bool,
    /// Whether it extends credit terms (refused by a `no_credit_terms` restriction).
    #[serde(default)]
    pub credit_terms: bool,
    /// Whether the planned action carries the customer's distance to the next VIP level
    /// (the tier-upgrade nudge: "one more order to gold").
    #[serde(default)]
    pub carries_vip_distance: bool,
}

/// What kind of message an action is; caps and quiet hours apply by kind.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum ActionKind {
    /// Promotion, recommendation, win-back: obeys the caps by default.
    Marketing,
    /// Care and follow-ups (after-sales, complaints, onboarding): exempt from the caps
    /// by default.
    Service,
    /// Order and account notices: exempt from caps and quiet hours by default.
    Transactional,
}

impl ActionKind {
    /// The serde name.
    pub fn as_str(self) -> &'static str {
        match self {
            ActionKind::Marketing => "marketing",
            ActionKind::Service => "service",
            ActionKind::Transactional => "transactional",
        }
    }
}

/// The reference catalogue: SPEC R8's key actions per tier and R15's trigger actions.
pub(crate) fn reference_actions() -> Vec<ActionDoc> {
    use ActionKind::{Marketing, Service, Transactional};

    let cny = |amount: i64| {
        Some(Money {
            amount: Decimal::from(amount),
            currency: Currency::CNY,
        })
    };
    let action = |name: &str,
                  purpose: &str,
                  kind: ActionKind,
                  channels: &[&str],
                  cost: Option<Money>,
                  goal: &str,
                  cooldown_days: u32| ActionDoc {
        name: name.to_owned(),
        purpose: purpose.to_owned(),
        kind,
        channels: channels.iter().map(|c| (*c).to_owned()).collect(),
        template: name.to_owned(),
        cost,
        goal: goal.to_owned(),
        cooldown_days,
        annual_care: false,
        credit_terms: false,
        carries_vip_distance: name == "upgrade_nudge",
    };
    let mut actions = vec![
        // High-value active: loyalty, share of wallet.
        action(
            "account_manager",
            "vip_care",
            Service,
            &["phone", "wechat"],
            None,
            "a dedicated account manager answering within 24 h",
            90,
        ),
        action(
            "priority_shipping",
            "vip_perk",
            Service,
            &["app_push", "email", "sms"],
            None,
            "priority shipping on the next orders",
            90,
        ),
        action(
            "in_depth_interview",
            "feedback",
            Service,
            &["phone", "email"],
            None,
            "a periodic in-depth interview",
            180,
        ),
        // Mid-value active: more repurchase, upgrade to high value.
        action(
            "recommendation",
            "recommendation",
            Marketing,
            &["app_push", "email", "wechat"],
            None,
            "personalised recommendations",
            7,
        ),
        action(
            "upgrade_nudge",
            "upgrade",
            Marketing,
            &["app_push", "wechat", "sms"],
            None,
            "a nudge carrying the distance to the next level",
            30,
        ),
        action(
            "holiday_coupon",
            "holiday",
            Marketing,
            &["wechat", "sms", "email"],
            cny(20),
            "holiday care with a coupon",
            7,
        ),
        // New: lower churn, second purchase.
        action(
            "first_order_thanks",
            "first_order",
            Service,
            &["sms", "email", "wechat"],
            cny(10),
            "thanks within 24 h with a second-purchase coupon",
            365,
        ),
        action(
            "onboarding_guide",
            "onboarding",
            Service,
            &["email", "app_push"],
            None,
            "a guide to tracking and after-sales",
            365,
        ),
        action(
            "satisfaction_follow_up",
            "satisfaction",
            Service,
            &["sms", "wechat", "email"],
            None,
            "a satisfaction follow-up within 24 h",
            0,
        ),
        // Dormant: wake up, resume buying.
        action(
            "wake_up_message",
            "reactivation",
            Marketing,
            &["email", "app_push", "sms"],
            None,
            "an item you liked is back in stock",
            30,
        ),
        action(
            "return_incentive",
            "reactivation_offer",
            Marketing,
            &["sms", "email", "wechat"],
            cny(20),
            "a return incentive (20% off)",
            60,
        ),
        action(
            "reason_survey",
            "churn_reason",
            Marketing,
            &["email", "sms"],
            None,
            "why did you stop buying?",
            90,
        ),
        // Churned: win back, or release resources.
        action(
            "win_back_coupon",
            "win_back",
            Marketing,
            &["sms", "email", "wechat"],
            cny(30),
            "a win-back attempt with a no-threshold coupon",
            90,
        ),
        action(
            "archive",
            "archive",
            Service,
            &[],
            None,
            "stop frequent contact, keep only annual care",
            0,
        ),
        action(
            "annual_care",
            "annual_care",
            Marketing,
            &["email", "wechat", "sms"],
            None,
            "a yearly greeting to an archived customer",
            365,
        ),
        // Triggers (R15).
        action(
            "welcome",
            "welcome",
            Marketing,
            &["sms", "email", "app_push"],
            cny(10),
            "a welcome with a new-user coupon and a guide",
            365,
        ),
        action(
            "first_visit_offer",
            "first_purchase",
            Marketing,
            &["app_push", "wechat", "email"],
            None,
            "a promotion or a community invitation",
            30,
        ),
        action(
            "complaint_result",
            "complaint_result",
            Transactional,
            &["sms", "email", "wechat"],
            None,
            "the result of a closed complaint",
            0,
        ),
        action(
            "complaint_revisit",
            "complaint_satisfaction",
            Service,
            &["phone", "sms", "email"],
            None,
            "a satisfaction revisit 3 days after a complaint closed",
            0,
        ),
        action(
            "birthday_gift",
            "birthday",
            Marketing,
            &["wechat", "sms", "email"],
            cny(50),
            "a birthday gift",
            300,
        ),
        action(
            "points_expiry_notice",
            "points",
            Service,
            &["app_push", "sms", "email"],
            None,
            "points about to expire",
            7,
        ),
        action(
            "level_up_congratulations",
            "level_change",
            Service,
            &["app_push", "email", "wechat"],
            None,
            "congratulations on the new level and its benefits",
            0,
        ),
    ];
    for doc in &mut actions {
        if doc.name == "annual_care" || doc.name == "birthday_gift" {
            doc.annual_care = true;
        }
    }
    actions
}
