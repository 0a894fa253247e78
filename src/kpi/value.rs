//! The [`Kpi`] value: a number with its sample, method, interval, target and verdict.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::kpi::ids::SlaMetric;
use crate::kpi::interval::Interval;

/// A KPI as reported: the value with the sample behind it, how it was computed, its
/// confidence interval when one is defined, its target and the verdict (R26).
///
/// The value is `None` when there is no data (an empty period, no answers): the verdict
/// is then [`Verdict::NotEnoughData`], never a `NaN`. Samples below the small-sample
/// threshold (default 30) are flagged but still judged.
///
/// # Units
///
/// Values are in the KPI's [`Unit`]: shares and relative changes are fractions (0.95,
/// +0.10), NPS is in points from −100 to 100, scores are on their scale, durations in
/// seconds. `Display` renders shares and changes as percentages.
///
/// # Example
///
/// ```
/// use patronage::kpi::{ScoreCounts, Scale, Targets, Verdict};
///
/// let mut counts = ScoreCounts::new(Scale::Nps);
/// counts.add_many(10, 50)?; // promoters
/// counts.add_many(8, 30)?; // passives
/// counts.add_many(3, 20)?; // detractors
/// let nps = counts.nps(&Targets::reference())?;
/// assert_eq!(nps.value(), Some(30.0));
/// assert_eq!(nps.verdict(), Verdict::Missed);
/// assert_eq!(nps.to_string(), "NPS 30 (95% CI 14–44, n = 100) — target 50, missed");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Kpi {
    name: KpiName,
    method: Method,
    unit: Unit,
    value: Option<f64>,
    sample: Sample,
    interval: Option<Interval>,
    target: Option<Target>,
    verdict: Verdict,
    small_sample: bool,
}

/// Which KPI a [`Kpi`] is; each convention is its own variant.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum KpiName {
    /// CSAT as the mean of 1–5 answers (SPEC §8; target ≥ 4.5).
    CsatMean,
    /// CSAT as the share of 4–5 answers ("top-2-box", the common SaaS convention).
    CsatTopTwoBox,
    /// NPS: 100 × (promoters − detractors) / answers on the 0–10 scale.
    Nps,
    /// CES 2.0: the mean of 1–7 answers (higher is easier).
    CesMean,
    /// Retention as SPEC §8 defines it: customers with ≥ 2 purchases in the period /
    /// customers with ≥ 1 (a repeat-purchase rate, customer-weighted).
    RepeatRetention,
    /// The classic retention rate `(E − N) / S`.
    ClassicRetention,
    /// Churn: `1 −` classic retention, `(S − (E − N)) / S`.
    ChurnRate,
    /// Purchases per purchasing customer in the period.
    PurchaseFrequency,
    /// Average order value: net spend / purchases.
    AverageOrderValue,
    /// Relative change of repeat retention against the same period a year earlier.
    RepurchaseLift,
    /// Relative change of AOV against the same period a year earlier.
    AovLift,
    /// Complaints resolved within 24 h / complaints due (pending excluded).
    ComplaintTimeliness,
    /// Complaints closed as resolved / complaints closed.
    ComplaintResolution,
    /// Cases of any kind closed as resolved / cases closed.
    ProblemResolution,
    /// Resolved cases resolved in one contact / resolved cases.
    FirstContactResolution,
    /// SLA targets achieved / SLA targets decided, for one metric.
    SlaAttainment(SlaMetric),
    /// Suggestions adopted / suggestions decided.
    SuggestionAdoption,
    /// Feedback cases that led to an optimisation / feedback cases closed.
    FeedbackOptimisation,
    /// First response time, one statistic.
    FirstResponseTime(Statistic),
    /// Resolution time, one statistic.
    ResolutionTime(Statistic),
}

/// A statistic of a set of durations.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Statistic {
    /// The median (the mean of the two middle values for an even count).
    Median,
    /// The 90th percentile, nearest rank: the `⌈0.9 n⌉`-th smallest value.
    P90,
    /// The arithmetic mean.
    Mean,
}

/// How a KPI's value is computed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Method {
    /// The mean of the observations.
    Mean,
    /// `numerator / denominator`, a share in `[0, 1]`.
    Share,
    /// `100 × (promoters − detractors) / answers`.
    NetScore,
    /// `numerator / denominator`, a ratio that may exceed 1 (purchases per customer).
    Ratio,
    /// `(this − previous) / previous`.
    RelativeChange,
    /// The median.
    Median,
    /// The nearest-rank 90th percentile.
    NearestRankP90,
}

/// The unit of a KPI's value (and of its interval and target).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Unit {
    /// A score on a survey scale (CSAT 1–5, CES 1–7).
    Score,
    /// NPS points, −100 to 100.
    NetScore,
    /// A share from 0 to 1, shown as a percentage.
    Share,
    /// A relative change (0.10 = +10%), shown as a signed percentage.
    RelativeChange,
    /// Seconds.
    Seconds,
    /// A plain ratio (purchases per customer).
    Ratio,
    /// An amount of money in the report's currency.
    Amount,
}

/// The sample behind a KPI.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Sample {
    /// A rate: `numerator` of `denominator` (numerator ≤ denominator for shares).
    Ratio {
        /// What is counted.
        numerator: u64,
        /// What it is counted among.
        denominator: u64,
    },
    /// `n` observations (answers, cases, purchases).
    Observations {
        /// How many.
        n: u64,
    },
    /// A comparison of two periods with `current` and `previous` observations.
    Comparison {
        /// Observations in this period.
        current: u64,
        /// Observations in the period compared with.
        previous: u64,
    },
}

impl Sample {
    /// The size that decides the small-sample flag: the denominator, `n`, or the
    /// smaller of the two periods.
    pub fn size(&self) -> u64 {
        match *self {
            Sample::Ratio { denominator, .. } => denominator,
            Sample::Observations { n } => n,
            Sample::Comparison { current, previous } => current.min(previous),
        }
    }
}

/// A target: a value and whether the KPI must reach it from above or below.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Target {
    /// The target value, in the KPI's unit.
    pub value: f64,
    /// `at_least` (met when value ≥ target) or `at_most` (met when value ≤ target).
    pub direction: Direction,
}

/// Which side of a target is good. Both bounds are inclusive.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Direction {
    /// Met when the value is at least the target (CSAT, NPS, rates, lifts).
    AtLeast,
    /// Met when the value is at most the target (response times, churn).
    AtMost,
}

/// A KPI compared with its target.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Verdict {
    /// The value reaches the target.
    Met,
    /// The value misses the target.
    Missed,
    /// There is no value to judge (no data in the period).
    NotEnoughData,
    /// The KPI has no target.
    NoTarget,
}

impl Verdict {
    /// `met`, `missed`, `not enough data`, `no target`.
    pub fn as_str(&self) -> &'static str {
        match self {
            Verdict::Met => "met",
            Verdict::Missed => "missed",
            Verdict::NotEnoughData => "not enough data",
            Verdict::NoTarget => "no target",
        }
    }
}

impl KpiName {
    /// The label used in reports: `CSAT`, `NPS`, `retention`, …
    pub fn label(&self) -> String {
        match self {
            KpiName::CsatMean => "CSAT".to_owned(),
            KpiName::CsatTopTwoBox => "CSAT top-2-box".to_owned(),
            KpiName::Nps => "NPS".to_owned(),
            KpiName::CesMean => "CES".to_owned(),
            KpiName::RepeatRetention => "retention".to_owned(),
            KpiName::ClassicRetention => "classic retention".to_owned(),
            KpiName::ChurnRate => "churn".to_owned(),
            KpiName::PurchaseFrequency => "purchase frequency".to_owned(),
            KpiName::AverageOrderValue => "AOV".to_owned(),
            KpiName::RepurchaseLift => "repurchase lift".to_owned(),
            KpiName::AovLift => "AOV lift".to_owned(),
            KpiName::ComplaintTimeliness => "complaint timeliness".to_owned(),
            KpiName::ComplaintResolution => "complaint resolution".to_owned(),
            KpiName::ProblemResolution => "problem resolution".to_owned(),
            KpiName::FirstContactResolution => "first contact resolution".to_owned(),
            KpiName::SlaAttainment(metric) => format!("SLA attainment ({})", metric.as_str()),
            KpiName::SuggestionAdoption => "suggestion adoption".to_owned(),
            KpiName::FeedbackOptimisation => "feedback optimisation".to_owned(),
            KpiName::FirstResponseTime(stat) => format!("first response {}", stat.as_str()),
            KpiName::ResolutionTime(stat) => format!("resolution time {}", stat.as_str()),
        }
    }

    /// The unit and method of this KPI.
    pub fn unit_and_method(&self) -> (Unit, Method) {
        match self {
            KpiName::CsatMean | KpiName::CesMean => (Unit::Score, Method::Mean),
            KpiName::Nps => (Unit::NetScore, Method::NetScore),
            KpiName::CsatTopTwoBox
            | KpiName::RepeatRetention
            | KpiName::ClassicRetention
            | KpiName::ChurnRate
            | KpiName::ComplaintTimeliness
            | KpiName::ComplaintResolution
            | KpiName::ProblemResolution
            | KpiName::FirstContactResolution
            | KpiName::SlaAttainment(_)
            | KpiName::SuggestionAdoption
            | KpiName::FeedbackOptimisation => (Unit::Share, Method::Share),
            KpiName::PurchaseFrequency => (Unit::Ratio, Method::Ratio),
            KpiName::AverageOrderValue => (Unit::Amount, Method::Ratio),
            KpiName::RepurchaseLift | KpiName::AovLift => {
                (Unit::RelativeChange, Method::RelativeChange)
            }
            KpiName::FirstResponseTime(stat) | KpiName::ResolutionTime(stat) => (
                Unit::Seconds,
                match stat {
                    Statistic::Median => Method::Median,
                    Statistic::P90 => Method::NearestRankP90,
                    Statistic::Mean => Method::Mean,
                },
            ),
        }
    }
}

impl Statistic {
    /// `median`, `p90`, `mean`.
    pub fn as_str(&self) -> &'static str {
        match self {
            Statistic::Median => "median",
            Statistic::P90 => "p90",
            Statistic::Mean => "mean",
        }
    }
}

impl Kpi {
    /// Assembles a KPI: the verdict from the value and `target`, the small-sample flag
    /// from the sample size against `small_sample_below`. A value that is not finite is
    /// treated as no value. ([`Targets::kpi`](crate::kpi::Targets) looks both up.)
    pub(crate) fn assemble(
        name: KpiName,
        value: Option<f64>,
        sample: Sample,
        interval: Option<Interval>,
        target: Option<Target>,
        small_sample_below: u64,
    ) -> Kpi {
        let (unit, method) = name.unit_and_method();
        let value = value.filter(|v| v.is_finite());
        let interval = if value.is_some() { interval } else { None };
        let verdict = match (value, target) {
            (None, _) => Verdict::NotEnoughData,
            (Some(_), None) => Verdict::NoTarget,
            (Some(v), Some(t)) => {
                let met = match t.direction {
                    Direction::AtLeast => v >= t.value,
                    Direction::AtMost => v <= t.value,
                };
                if met {
                    Verdict::Met
                } else {
                    Verdict::Missed
                }
            }
        };
        Kpi {
            name,
            method,
            unit,
            value,
            sample,
            interval,
            target,
            verdict,
            small_sample: sample.size() < small_sample_below,
        }
    }

    /// Which KPI this is.
    pub fn name(&self) -> KpiName {
        self.name
    }

    /// How the value was computed.
    pub fn method(&self) -> Method {
        self.method
    }

    /// The unit of the value, interval and target.
    pub fn unit(&self) -> Unit {
        self.unit
    }

    /// The value; `None` when there is no data.
    pub fn value(&self) -> Option<f64> {
        self.value
    }

    /// The sample behind the value.
    pub fn sample(&self) -> Sample {
        self.sample
    }

    /// The confidence interval, when the method defines one and there is data.
    pub fn interval(&self) -> Option<Interval> {
        self.interval
    }

    /// The target, if the KPI has one.
    pub fn target(&self) -> Option<Target> {
        self.target
    }

    /// Met, missed, not enough data, or no target.
    pub fn verdict(&self) -> Verdict {
        self.verdict
    }

    /// Whether the sample is below the small-sample threshold.
    pub fn is_small_sample(&self) -> bool {
        self.small_sample
    }

    /// The change from `previous`, the same KPI of an earlier period (R24's
    /// improvement against a previous period): `self − previous` in the KPI's unit
    /// (score points, NPS points, a difference of shares). `None` when either has no
    /// value or they are different KPIs.
    ///
    /// # Example
    ///
    /// ```
    /// use patronage::kpi::{ScoreCounts, Scale, Targets};
    ///
    /// let targets = Targets::reference();
    /// let mut april = ScoreCounts::new(Scale::Csat);
    /// april.add_many(4, 10)?;
    /// let mut may = ScoreCounts::new(Scale::Csat);
    /// may.add_many(5, 5)?;
    /// may.add_many(4, 5)?;
    /// let change = may.csat_mean(&targets)?.change_from(&april.csat_mean(&targets)?);
    /// assert_eq!(change, Some(0.5));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn change_from(&self, previous: &Kpi) -> Option<f64> {
        if self.name != previous.name {
            return None;
        }
        Some(self.value? - previous.value?)
    }
}

impl fmt::Display for Kpi {
    /// `NPS 42 (95% CI 31–52, n = 310) — target 50, missed`; shares as
    /// `retention 31.2% (95% CI 28.4–34.1%, 312 of 1000) — target 30.0%, met`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ", self.name.label())?;
        match self.value {
            Some(v) => write!(f, "{}", format_value(self.unit, v, true))?,
            None => f.write_str("—")?,
        }
        let mut parts = Vec::new();
        if let Some(ci) = self.interval {
            parts.push(format!(
                "{} CI {}–{}",
                format_percent_level(ci.confidence),
                format_value(self.unit, ci.lower, false),
                format_value(self.unit, ci.upper, true),
            ));
        }
        parts.push(match self.sample {
            Sample::Ratio {
                numerator,
                denominator,
            } => format!("{numerator} of {denominator}"),
            Sample::Observations { n } => format!("n = {n}"),
            Sample::Comparison { current, previous } => {
                format!("n = {current} vs {previous}")
            }
        });
        if self.small_sample {
            parts.push("small sample".to_owned());
        }
        write!(f, " ({})", parts.join(", "))?;
        match self.target {
            Some(t) => {
                let bound = match t.direction {
                    Direction::AtLeast => "",
                    Direction::AtMost => "≤ ",
                };
                write!(
                    f,
                    " — target {bound}{}, {}",
                    format_value(self.unit, t.value, true),
                    self.verdict.as_str()
                )
            }
            None if self.verdict == Verdict::NotEnoughData => f.write_str(" — not enough data"),
            None => Ok(()),
        }
    }
}

/// Formats a value in a unit; `with_unit` adds `%`, `s`, `min` or `h`.
fn format_value(unit: Unit, value: f64, with_unit: bool) -> String {
    let pct = if with_unit { "%" } else { "" };
    match unit {
        Unit::Score | Unit::Ratio | Unit::Amount => format!("{value:.2}"),
        // Values that round to zero print as `0`, never `-0`.
        Unit::NetScore if value.abs() < 0.5 => "0".to_owned(),
        Unit::NetScore => format!("{value:.0}"),
        Unit::Share => format!("{:.1}{pct}", value * 100.0),
        Unit::RelativeChange => format!("{:+.1}{pct}", value * 100.0),
        Unit::Seconds => {
            let (scaled, suffix) = if value.abs() < 120.0 {
                (value, "s")
            } else if value.abs() < 7_200.0 {
                (value / 60.0, "min")
            } else {
                (value / 3_600.0, "h")
            };
            if with_unit {
                format!("{scaled:.1} {suffix}")
            } else {
                format!("{scaled:.1}")
            }
        }
    }
}

fn format_percent_level(confidence: f64) -> String {
    let pct = confidence * 100.0;
    if (pct - pct.round()).abs() < 1e-9 {
        format!("{pct:.0}%")
    } else {
        format!("{pct}%")
    }
}
