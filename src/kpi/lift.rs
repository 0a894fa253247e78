//! The lift of a playbook from its control group (R18, R26): the difference of
//! conversion rates, treated minus held out, with Newcombe's hybrid score interval and
//! a verdict.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::customer::CustomerId;
use crate::kpi::error::KpiError;
use crate::kpi::interval::{check_part, newcombe, Interval};

/// Which group of a playbook's audience a customer was in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Group {
    /// The playbook's actions were sent.
    Treated,
    /// Held out on purpose (the control group).
    HeldOut,
}

/// The outcome of one customer in one playbook: group and whether they converted
/// within the playbook's conversion window.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlanOutcome {
    /// The playbook's name.
    pub playbook: String,
    /// The customer.
    pub customer: CustomerId,
    /// Treated or held out.
    pub group: Group,
    /// Converted within the window.
    pub converted: bool,
}

/// Conversions of one group: `converted` of `customers`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Conversions {
    /// Customers who converted.
    pub converted: u64,
    /// Customers in the group.
    pub customers: u64,
}

/// What the interval says about a lift.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum LiftVerdict {
    /// The whole interval is above zero: the playbook raises conversion.
    Positive,
    /// The whole interval is below zero: the playbook lowers conversion.
    Negative,
    /// The interval contains zero: no difference shown at this confidence.
    Inconclusive,
    /// A group is empty.
    NotEnoughData,
}

/// The lift of a playbook: treated and held-out conversions, the difference of rates
/// (treated − held out) and its Newcombe interval.
///
/// # Example
///
/// ```
/// use patronage::kpi::{Conversions, Lift, LiftVerdict};
///
/// // Newcombe (1998), Table II, example (b): 9/10 − 3/10 = 0.6, 95% CI 0.1705 to 0.8090.
/// let lift = Lift::new(
///     Conversions { converted: 9, customers: 10 },
///     Conversions { converted: 3, customers: 10 },
///     0.95,
/// )?;
/// assert_eq!(lift.verdict(), LiftVerdict::Positive);
/// assert_eq!(lift.to_string(),
///     "lift +60.0 pts (95% CI +17.1 to +80.9 pts; treated 9 of 10, held out 3 of 10) — positive");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Lift {
    treated: Conversions,
    held_out: Conversions,
    difference: Option<f64>,
    interval: Option<Interval>,
    verdict: LiftVerdict,
}

impl Lift {
    /// The lift from the two groups' conversions at a confidence level.
    ///
    /// # Errors
    ///
    /// [`KpiErrorKind::CountsInconsistent`](crate::kpi::KpiErrorKind::CountsInconsistent)
    /// when a group has more conversions than customers;
    /// [`KpiErrorKind::InvalidArgument`](crate::kpi::KpiErrorKind::InvalidArgument) for a
    /// confidence level outside `(0, 1)`.
    ///
    /// # Example
    ///
    /// ```
    /// use patronage::kpi::{Conversions, Lift, LiftVerdict};
    /// let empty = Lift::new(Conversions::default(), Conversions { converted: 1, customers: 4 }, 0.95)?;
    /// assert_eq!(empty.verdict(), LiftVerdict::NotEnoughData);
    /// assert_eq!(empty.difference(), None);
    /// let err = Lift::new(Conversions { converted: 5, customers: 4 }, Conversions::default(), 0.95).unwrap_err();
    /// assert_eq!(err.to_string(), "`treated.converted` is 5 but `treated.customers` is 4: expected `treated.converted` <= `treated.customers`");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn new(
        treated: Conversions,
        held_out: Conversions,
        confidence: f64,
    ) -> Result<Lift, KpiError> {
        check_part(
            "treated.converted",
            treated.converted,
            "treated.customers",
            treated.customers,
        )?;
        check_part(
            "held_out.converted",
            held_out.converted,
            "held_out.customers",
            held_out.customers,
        )?;
        let interval = newcombe(
            treated.converted,
            treated.customers,
            held_out.converted,
            held_out.customers,
            confidence,
        )?;
        let difference = interval.map(|_| {
            treated.converted as f64 / treated.customers as f64
                - held_out.converted as f64 / held_out.customers as f64
        });
        let verdict = match interval {
            None => LiftVerdict::NotEnoughData,
            Some(ci) if ci.lower > 0.0 => LiftVerdict::Positive,
            Some(ci) if ci.upper < 0.0 => LiftVerdict::Negative,
            Some(_) => LiftVerdict::Inconclusive,
        };
        Ok(Lift {
            treated,
            held_out,
            difference,
            interval,
            verdict,
        })
    }

    /// The treated group's conversions.
    pub fn treated(&self) -> Conversions {
        self.treated
    }

    /// The held-out group's conversions.
    pub fn held_out(&self) -> Conversions {
        self.held_out
    }

    /// Treated rate − held-out rate, a difference of shares in `[−1, 1]`.
    pub fn difference(&self) -> Option<f64> {
        self.difference
    }

    /// Newcombe's interval for the difference.
    pub fn interval(&self) -> Option<Interval> {
        self.interval
    }

    /// Positive, negative, inconclusive or not enough data.
    pub fn verdict(&self) -> LiftVerdict {
        self.verdict
    }
}

impl fmt::Display for Lift {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let groups = format!(
            "treated {} of {}, held out {} of {}",
            self.treated.converted,
            self.treated.customers,
            self.held_out.converted,
            self.held_out.customers
        );
        match (self.difference, self.interval) {
            (Some(d), Some(ci)) => write!(
                f,
                "lift {:+.1} pts ({}% CI {:+.1} to {:+.1} pts; {groups}) — {}",
                d * 100.0,
                (ci.confidence * 100.0).round(),
                ci.lower * 100.0,
                ci.upper * 100.0,
                match self.verdict {
                    LiftVerdict::Positive => "positive",
                    LiftVerdict::Negative => "negative",
                    _ => "inconclusive",
                }
            ),
            _ => write!(f, "lift — ({groups}) — not enough data"),
        }
    }
}

/// The lift of every playbook in `outcomes`, by playbook name (sorted).
///
/// # Errors
///
/// [`KpiErrorKind::InvalidArgument`](crate::kpi::KpiErrorKind::InvalidArgument) for a
/// confidence level outside `(0, 1)`.
///
/// # Example
///
/// ```
/// use patronage::CustomerId;
/// use patronage::kpi::{lift_by_playbook, Group, PlanOutcome};
///
/// let outcome = |c, group, converted| PlanOutcome { playbook: "wake_up".into(), customer: CustomerId(c), group, converted };
/// let lifts = lift_by_playbook(&[
///     outcome(1, Group::Treated, true),
///     outcome(2, Group::Treated, false),
///     outcome(3, Group::HeldOut, false),
/// ], 0.95)?;
/// assert_eq!(lifts.len(), 1);
/// assert_eq!(lifts[0].0, "wake_up");
/// assert_eq!(lifts[0].1.difference(), Some(0.5));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn lift_by_playbook(
    outcomes: &[PlanOutcome],
    confidence: f64,
) -> Result<Vec<(String, Lift)>, KpiError> {
    let mut groups: BTreeMap<&str, (Conversions, Conversions)> = BTreeMap::new();
    for outcome in outcomes {
        let entry = groups.entry(outcome.playbook.as_str()).or_default();
        let group = match outcome.group {
            Group::Treated => &mut entry.0,
            Group::HeldOut => &mut entry.1,
        };
        group.customers += 1;
        group.converted += u64::from(outcome.converted);
    }
    groups
        .into_iter()
        .map(|(name, (treated, held_out))| {
            Ok((name.to_owned(), Lift::new(treated, held_out, confidence)?))
        })
        .collect()
}
