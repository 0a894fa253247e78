//! KPI calculators (R23–R27): the numbers a company's customer-care policy is judged
//! by, each reported with its sample, its confidence interval, its target and a
//! verdict.
//!
//! Survey tools and help desks report bare percentages; here every number is a
//! [`Kpi`]: `NPS 30 (95% CI 14–44, n = 100) — target 50, missed`. Empty input gives
//! *not enough data*, never `NaN`; small samples (fewer than 30 by default) are flagged.
//!
//! # The KPIs and their conventions
//!
//! | KPI | definition | interval |
//! |---|---|---|
//! | CSAT ([`KpiName::CsatMean`]) | mean of 1–5 answers (SPEC §8; target ≥ 4.5) | Student's t |
//! | CSAT top-2-box ([`KpiName::CsatTopTwoBox`]) | share of 4–5 answers (the SaaS convention) | Wilson |
//! | NPS ([`KpiName::Nps`]) | 100 × (promoters 9–10 − detractors 0–6) / answers (target ≥ 50) | adjusted-Wald |
//! | CES ([`KpiName::CesMean`]) | mean of 1–7 answers (CES 2.0, higher is easier) | Student's t |
//! | retention ([`KpiName::RepeatRetention`]) | customers with ≥ 2 purchases / with ≥ 1, in the period (target ≥ 30%) | Wilson |
//! | classic retention, churn | `(E − N) / S` and its complement, activity over a 365-day window | Wilson |
//! | purchase frequency, AOV | purchases / customers; net spend / purchases | — |
//! | repurchase lift, AOV lift | `(this − same period last year) / same period last year` (targets +10%, +8%) | — |
//! | complaint timeliness | resolved within 24 h / due, pending excluded (target ≥ 95%) | Wilson |
//! | complaint resolution | closed as confirmed-resolved / closed (target ≥ 90%) | Wilson |
//! | problem resolution, FCR, SLA attainment, suggestion adoption, feedback optimisation | see [`CaseTally`] | Wilson |
//! | first response and resolution times | median, nearest-rank p90, mean; calendar or business time | — |
//!
//! # Inputs
//!
//! Survey answers are [`SurveyResponse`]s, orders are the crate's [`Order`](crate::Order),
//! handled cases are [`HandledCase`]s (a service workflow converts its cases into
//! them), plan outcomes are [`PlanOutcome`]s. Periods ([`Period`]) are calendar months,
//! quarters, years or date ranges in the company's zone.
//!
//! # Tallies, merging and one pass
//!
//! Each input folds into a tally of counts ([`SurveyTally`], [`OrderTally`],
//! [`CaseTally`]); tallies of disjoint shards (split by customer) add up to the tally
//! of the whole, so a KPI computed shard by shard is the KPI of the whole.
//! [`scorecards`] folds every input once and returns the team and per-person
//! scorecards (R25).
//!
//! # Statistics
//!
//! [`wilson`], [`adjusted_wald_nps`], [`t_interval`] and [`newcombe`] compute the
//! intervals (the Student-t and normal quantiles are computed here, to about 12
//! significant digits); [`sample_size_proportion`], [`sample_size_nps`] and
//! [`sample_size_mean`] size a survey; [`Lift`] measures a playbook against its
//! control group; [`EarlyWarning`] flags abnormal movement of a series (R27).
//!
//! # Example
//!
//! ```
//! use patronage::kpi::{ScoreCounts, Scale, Targets};
//!
//! let mut nps = ScoreCounts::new(Scale::Nps);
//! nps.add_many(10, 50)?;
//! nps.add_many(7, 30)?;
//! nps.add_many(2, 20)?;
//! let kpi = nps.nps(&Targets::reference())?;
//! assert_eq!(kpi.to_string(), "NPS 30 (95% CI 14–44, n = 100) — target 50, missed");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod case;
mod error;
mod idmap;
mod ids;
mod interval;
mod lift;
mod period;
mod retention;
mod scorecard;
mod special;
mod survey;
mod targets;
mod value;
mod warning;

pub use self::case::{
    CaseOptions, CaseTally, Closure, HandledCase, Resolution, SlaResult, TimeBasis,
};
pub use self::error::{KpiError, KpiErrorKind};
pub use self::ids::{CaseId, CaseKind, ResponseId, Scale, SlaMetric, StaffId};
pub use self::interval::{
    adjusted_wald_nps, newcombe, sample_size_mean, sample_size_nps, sample_size_proportion,
    t_interval, t_value, wilson, z_value, Interval, IntervalMethod,
};
pub use self::lift::{lift_by_playbook, Conversions, Group, Lift, LiftVerdict, PlanOutcome};
pub use self::period::{Period, PeriodKind, PeriodSpec};
pub use self::retention::{OrderOptions, OrderTally, SalesTally};
pub use self::scorecard::*;
pub use self::survey::{SatisfactionDimension, ScoreCounts, SurveyResponse, SurveyTally};
pub use self::targets::{KpiConfig, Targets, TargetsDocument};
pub use self::value::{Direction, Kpi, KpiName, Method, Sample, Statistic, Target, Unit, Verdict};
pub use self::warning::{Assessment, EarlyWarning, EarlyWarningSpec, Status, Watch};
