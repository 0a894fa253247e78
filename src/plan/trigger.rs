//! Triggers (R15): events with delays, inactivity cancelled by a qualifying event, and
//! calendar dates (birthdays, holidays, the member day, points about to expire, VIP level
//! changes) — and the planner's inputs they read: [`Event`], [`ContactRecord`],
//! [`LevelChange`].

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::customer::{Channel, CustomerId};
use crate::plan::config::LevelDirection;
use crate::rules::Program;
use crate::segment::Transitions;

/// Something that happened to a customer and may trigger an action.
///
/// Kinds the reference triggers use: `registration`, `first_visit`, `first_order`,
/// `order`, `after_sales_resolved`, `complaint_closed`. Any other kind is allowed and
/// matched by name. The service module's follow-ups (after-sales resolved, complaint
/// closed) map onto this type: one event per follow-up, its kind and instant.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Event {
    /// The customer.
    pub customer: CustomerId,
    /// What happened (`first_order`).
    pub kind: String,
    /// When.
    pub at: DateTime<Utc>,
}

/// A message sent (or an action carried out) before: the contact history that caps,
/// cooldowns, the purpose window and the archive read.
///
/// An action name missing from the catalogue counts as a marketing message with its own
/// purpose (its name), so unknown history is never ignored by the caps.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ContactRecord {
    /// The customer.
    pub customer: CustomerId,
    /// The action's catalogue name.
    pub action: String,
    /// The channel, or none for an action without a message.
    #[serde(default)]
    pub channel: Option<Channel>,
    /// When it was sent.
    pub at: DateTime<Utc>,
}

/// A customer's VIP level change between two segmentations.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LevelChange {
    /// The customer.
    pub customer: CustomerId,
    /// The level before.
    pub from: Option<String>,
    /// The level after.
    pub to: Option<String>,
    /// Up or down.
    pub direction: LevelDirection,
}

impl LevelChange {
    /// The level changes of a VIP-level transition matrix, by customer id.
    ///
    /// # Example
    ///
    /// ```
    /// use chrono::NaiveDate;
    /// use patronage::{Aggregator, Config, Currency, CustomerId, Dimension};
    /// use patronage::plan::{LevelChange, LevelDirection};
    /// use patronage::segment::transitions;
    ///
    /// let config = Config::reference();
    /// let (segmenter, _) = config.segmenter(Currency::CNY)?;
    /// let day = |m, d| NaiveDate::from_ymd_opt(2024, m, d).ok_or("date");
    /// let run = |as_of, spend: &str| -> Result<_, Box<dyn std::error::Error>> {
    ///     let mut facts = Aggregator::new(config.facts_options_on(as_of, Currency::CNY)?);
    ///     facts.add_purchase_on(CustomerId(7), day(6, 1)?, spend.parse()?)?;
    ///     Ok(segmenter.run(&facts.into_table())?)
    /// };
    /// let before = run(day(6, 2)?, "10.00 CNY")?;
    /// let after = run(day(6, 2)?, "90000.00 CNY")?;
    /// let changes = LevelChange::from_transitions(&transitions(&before, &after, &Dimension::VipLevel)?);
    /// assert_eq!(changes.len(), 1);
    /// assert_eq!(changes[0].direction, LevelDirection::Upgrade);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn from_transitions(transitions: &Transitions) -> Vec<LevelChange> {
        let mut changes: Vec<LevelChange> = transitions
            .moves()
            .filter_map(|cell| {
                let direction = if cell.upgrade? {
                    LevelDirection::Upgrade
                } else {
                    LevelDirection::Downgrade
                };
                Some(cell.customers.iter().map(move |customer| LevelChange {
                    customer: *customer,
                    from: cell.from.clone(),
                    to: cell.to.clone(),
                    direction,
                }))
            })
            .flatten()
            .collect();
        changes.sort();
        changes
    }
}

/// A compiled trigger.
#[derive(Clone, Debug)]
pub(crate) struct Trigger {
    pub(crate) source: usize,
    pub(crate) on: On,
    pub(crate) action: usize,
    pub(crate) when: Option<Program>,
}

/// What fires a compiled trigger.
#[derive(Clone, Debug)]
pub(crate) enum On {
    Event {
        kind: String,
        delay: chrono::Duration,
        expires_after: chrono::Duration,
    },
    Inactivity {
        days: u32,
        cancelled_by: Vec<String>,
    },
    Birthday {
        days_before: u32,
    },
    Holiday,
    MemberDay(u32),
    PointsExpiring(u32),
    LevelChange(LevelDirection),
}
