//! KPI targets: the raw serde [`TargetsDocument`] a company writes, validated into
//! [`Targets`].

use serde::{Deserialize, Serialize};

use crate::kpi::error::{KpiError, KpiErrorKind};
use crate::kpi::interval::Interval;
use crate::kpi::value::{Direction, Kpi, KpiName, Sample, Statistic, Target};

/// The targets document (raw form): confidence level, small-sample threshold and one
/// optional target per KPI, with SPEC §8's defaults for the seven core KPIs.
///
/// Shares and lifts are fractions (`retention = 0.30`, `repurchase_lift = 0.10`), NPS
/// in points, CSAT and CES on their scales, durations in seconds. A missing field takes
/// its default; unknown fields are rejected; a target set to `null` (JSON) or `None`
/// (in code) is dropped, and its KPI is reported without a verdict. Every target is *at least* except churn and
/// the durations, which are *at most*. [`TargetsDocument::validate`] checks ranges and
/// names the path of the first bad value.
///
/// # Example
///
/// ```
/// use patronage::kpi::TargetsDocument;
///
/// let doc: TargetsDocument = serde_json::from_str(r#"{"nps": 40, "csat_top_two_box": 0.8}"#)?;
/// let targets = doc.validate()?;
/// assert_eq!(targets.confidence(), 0.95);
///
/// let bad: TargetsDocument = serde_json::from_str(r#"{"retention": 30}"#)?;
/// assert_eq!(bad.validate().unwrap_err().to_string(),
///     "`targets.retention` is 30: expected a share from 0 to 1 (0.30 for 30%)");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
#[non_exhaustive]
pub struct TargetsDocument {
    /// The confidence level of every interval (default 0.95).
    pub confidence: f64,
    /// Samples below this size are flagged as small (default 30).
    pub small_sample_below: u64,
    /// CSAT mean on 1–5 (default 4.5).
    pub csat: Option<f64>,
    /// CSAT top-2-box share (no default).
    pub csat_top_two_box: Option<f64>,
    /// NPS points (default 50).
    pub nps: Option<f64>,
    /// CES mean on 1–7 (no default).
    pub ces: Option<f64>,
    /// Repeat retention share (default 0.30).
    pub retention: Option<f64>,
    /// Classic retention share (no default).
    pub classic_retention: Option<f64>,
    /// Churn share, at most (no default).
    pub churn: Option<f64>,
    /// Purchases per customer (no default).
    pub purchase_frequency: Option<f64>,
    /// Repurchase-rate lift (default 0.10).
    pub repurchase_lift: Option<f64>,
    /// AOV lift (default 0.08).
    pub aov_lift: Option<f64>,
    /// Complaint timeliness share (default 0.95).
    pub complaint_timeliness: Option<f64>,
    /// Complaint resolution share (default 0.90).
    pub complaint_resolution: Option<f64>,
    /// Problem resolution share, all cases (no default).
    pub problem_resolution: Option<f64>,
    /// First contact resolution share (no default).
    pub first_contact_resolution: Option<f64>,
    /// SLA attainment share, every metric (no default).
    pub sla_attainment: Option<f64>,
    /// Suggestion adoption share (no default).
    pub suggestion_adoption: Option<f64>,
    /// Feedback-driven optimisation share (no default).
    pub feedback_optimisation: Option<f64>,
    /// Median first response, seconds, at most (default 300: a human agent answers
    /// within 5 minutes, R19).
    pub first_response_median_seconds: Option<f64>,
    /// 90th-percentile first response, seconds, at most (no default).
    pub first_response_p90_seconds: Option<f64>,
    /// Median resolution time, seconds, at most (no default).
    pub resolution_median_seconds: Option<f64>,
    /// 90th-percentile resolution time, seconds, at most (no default).
    pub resolution_p90_seconds: Option<f64>,
}

impl Default for TargetsDocument {
    fn default() -> TargetsDocument {
        TargetsDocument {
            confidence: 0.95,
            small_sample_below: 30,
            csat: Some(4.5),
            csat_top_two_box: None,
            nps: Some(50.0),
            ces: None,
            retention: Some(0.30),
            classic_retention: None,
            churn: None,
            purchase_frequency: None,
            repurchase_lift: Some(0.10),
            aov_lift: Some(0.08),
            complaint_timeliness: Some(0.95),
            complaint_resolution: Some(0.90),
            problem_resolution: None,
            first_contact_resolution: None,
            sla_attainment: None,
            suggestion_adoption: None,
            feedback_optimisation: None,
            first_response_median_seconds: Some(300.0),
            first_response_p90_seconds: None,
            resolution_median_seconds: None,
            resolution_p90_seconds: None,
        }
    }
}

/// Validated targets (compiled form of a [`TargetsDocument`]). Read with serde, a
/// `Targets` is a targets document validated on the way in.
///
/// # Example
///
/// ```
/// use patronage::kpi::{KpiName, Targets};
///
/// let targets = Targets::reference();
/// assert_eq!(targets.target(KpiName::Nps).map(|t| t.value), Some(50.0));
/// assert_eq!(targets.small_sample_below(), 30);
///
/// let read: Targets = serde_json::from_str(r#"{"nps": 40}"#)?;
/// assert_eq!(read.target(KpiName::Nps).map(|t| t.value), Some(40.0));
/// let err = serde_json::from_str::<Targets>(r#"{"nps": 400}"#).unwrap_err();
/// assert!(err.to_string().starts_with("`targets.nps` is 400: expected NPS points from -100 to 100"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "TargetsDocument", into = "TargetsDocument")]
pub struct Targets {
    doc: TargetsDocument,
}

/// The range a target must lie in.
#[derive(Clone, Copy)]
enum Range {
    Share,
    NetScore,
    Csat,
    Ces,
    Lift,
    Positive,
}

impl Range {
    fn check(self, value: f64) -> Result<(), &'static str> {
        let ok = value.is_finite()
            && match self {
                Range::Share => (0.0..=1.0).contains(&value),
                Range::NetScore => (-100.0..=100.0).contains(&value),
                Range::Csat => (1.0..=5.0).contains(&value),
                Range::Ces => (1.0..=7.0).contains(&value),
                Range::Lift => value >= -1.0,
                Range::Positive => value > 0.0,
            };
        if ok {
            return Ok(());
        }
        Err(match self {
            Range::Share => "a share from 0 to 1 (0.30 for 30%)",
            Range::NetScore => "NPS points from -100 to 100",
            Range::Csat => "a mean score from 1 to 5",
            Range::Ces => "a mean score from 1 to 7",
            Range::Lift => "a relative change of at least -1 (0.10 for +10%)",
            Range::Positive => "a finite number of seconds above 0",
        })
    }
}

impl TargetsDocument {
    /// Checks every value and returns the compiled [`Targets`]; paths start with
    /// `targets`.
    ///
    /// # Errors
    ///
    /// [`KpiErrorKind::InvalidTarget`] naming the first value out of its range.
    ///
    /// # Example
    ///
    /// ```
    /// let targets = patronage::kpi::TargetsDocument::default().validate()?;
    /// assert_eq!(targets.confidence(), 0.95);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn validate(&self) -> Result<Targets, KpiError> {
        self.validate_at("targets")
    }

    /// As [`validate`](Self::validate), with paths under `prefix` (for a document
    /// embedded in a larger one, e.g. `kpi.targets`).
    ///
    /// # Errors
    ///
    /// [`KpiErrorKind::InvalidTarget`] naming the first value out of its range.
    ///
    /// # Example
    ///
    /// ```
    /// let mut doc = patronage::kpi::TargetsDocument::default();
    /// doc.confidence = 1.0;
    /// assert_eq!(doc.validate_at("kpi.targets").unwrap_err().to_string(),
    ///     "`kpi.targets.confidence` is 1: expected a level strictly between 0 and 1, such as 0.95");
    /// ```
    pub fn validate_at(&self, prefix: &str) -> Result<Targets, KpiError> {
        let bad = |field: &str, value: String, expected: &'static str| {
            KpiError::new(KpiErrorKind::InvalidTarget {
                path: format!("{prefix}.{field}"),
                value,
                expected,
            })
        };
        if !(self.confidence > 0.0 && self.confidence < 1.0) {
            return Err(bad(
                "confidence",
                self.confidence.to_string(),
                "a level strictly between 0 and 1, such as 0.95",
            ));
        }
        if self.small_sample_below == 0 {
            return Err(bad(
                "small_sample_below",
                "0".to_owned(),
                "a sample size of at least 1",
            ));
        }
        let checks: [(&str, Option<f64>, Range); 21] = [
            ("csat", self.csat, Range::Csat),
            ("csat_top_two_box", self.csat_top_two_box, Range::Share),
            ("nps", self.nps, Range::NetScore),
            ("ces", self.ces, Range::Ces),
            ("retention", self.retention, Range::Share),
            ("classic_retention", self.classic_retention, Range::Share),
            ("churn", self.churn, Range::Share),
            (
                "purchase_frequency",
                self.purchase_frequency,
                Range::Positive,
            ),
            ("repurchase_lift", self.repurchase_lift, Range::Lift),
            ("aov_lift", self.aov_lift, Range::Lift),
            (
                "complaint_timeliness",
                self.complaint_timeliness,
                Range::Share,
            ),
            (
                "complaint_resolution",
                self.complaint_resolution,
                Range::Share,
            ),
            ("problem_resolution", self.problem_resolution, Range::Share),
            (
                "first_contact_resolution",
                self.first_contact_resolution,
                Range::Share,
            ),
            ("sla_attainment", self.sla_attainment, Range::Share),
            (
                "suggestion_adoption",
                self.suggestion_adoption,
                Range::Share,
            ),
            (
                "feedback_optimisation",
                self.feedback_optimisation,
                Range::Share,
            ),
            (
                "first_response_median_seconds",
                self.first_response_median_seconds,
                Range::Positive,
            ),
            (
                "first_response_p90_seconds",
                self.first_response_p90_seconds,
                Range::Positive,
            ),
            (
                "resolution_median_seconds",
                self.resolution_median_seconds,
                Range::Positive,
            ),
            (
                "resolution_p90_seconds",
                self.resolution_p90_seconds,
                Range::Positive,
            ),
        ];
        for (field, value, range) in checks {
            if let Some(value) = value {
                range
                    .check(value)
                    .map_err(|expected| bad(field, value.to_string(), expected))?;
            }
        }
        Ok(Targets { doc: self.clone() })
    }
}

impl Targets {
    /// SPEC §8's defaults: CSAT ≥ 4.5, NPS ≥ 50, retention ≥ 30%, repurchase lift ≥
    /// +10%, AOV lift ≥ +8%, complaint timeliness ≥ 95%, complaint resolution ≥ 90%,
    /// median first response ≤ 5 min; 95% intervals; small samples below 30.
    pub fn reference() -> Targets {
        Targets {
            doc: TargetsDocument::default(),
        }
    }

    /// The confidence level of intervals.
    pub fn confidence(&self) -> f64 {
        self.doc.confidence
    }

    /// The small-sample threshold: samples below it are flagged.
    pub fn small_sample_below(&self) -> u64 {
        self.doc.small_sample_below
    }

    /// The validated document.
    pub fn document(&self) -> &TargetsDocument {
        &self.doc
    }

    /// A KPI of `name` with this document's target and small-sample threshold.
    pub(crate) fn kpi(
        &self,
        name: KpiName,
        value: Option<f64>,
        sample: Sample,
        interval: Option<Interval>,
    ) -> Kpi {
        Kpi::assemble(
            name,
            value,
            sample,
            interval,
            self.target(name),
            self.small_sample_below(),
        )
    }

    /// The target of a KPI, if it has one.
    pub fn target(&self, name: KpiName) -> Option<Target> {
        let d = &self.doc;
        let (value, direction) = match name {
            KpiName::CsatMean => (d.csat, Direction::AtLeast),
            KpiName::CsatTopTwoBox => (d.csat_top_two_box, Direction::AtLeast),
            KpiName::Nps => (d.nps, Direction::AtLeast),
            KpiName::CesMean => (d.ces, Direction::AtLeast),
            KpiName::RepeatRetention => (d.retention, Direction::AtLeast),
            KpiName::ClassicRetention => (d.classic_retention, Direction::AtLeast),
            KpiName::ChurnRate => (d.churn, Direction::AtMost),
            KpiName::PurchaseFrequency => (d.purchase_frequency, Direction::AtLeast),
            KpiName::AverageOrderValue => (None, Direction::AtLeast),
            KpiName::RepurchaseLift => (d.repurchase_lift, Direction::AtLeast),
            KpiName::AovLift => (d.aov_lift, Direction::AtLeast),
            KpiName::ComplaintTimeliness => (d.complaint_timeliness, Direction::AtLeast),
            KpiName::ComplaintResolution => (d.complaint_resolution, Direction::AtLeast),
            KpiName::ProblemResolution => (d.problem_resolution, Direction::AtLeast),
            KpiName::FirstContactResolution => (d.first_contact_resolution, Direction::AtLeast),
            KpiName::SlaAttainment(_) => (d.sla_attainment, Direction::AtLeast),
            KpiName::SuggestionAdoption => (d.suggestion_adoption, Direction::AtLeast),
            KpiName::FeedbackOptimisation => (d.feedback_optimisation, Direction::AtLeast),
            KpiName::FirstResponseTime(Statistic::Median) => {
                (d.first_response_median_seconds, Direction::AtMost)
            }
            KpiName::FirstResponseTime(Statistic::P90) => {
                (d.first_response_p90_seconds, Direction::AtMost)
            }
            KpiName::ResolutionTime(Statistic::Median) => {
                (d.resolution_median_seconds, Direction::AtMost)
            }
            KpiName::ResolutionTime(Statistic::P90) => {
                (d.resolution_p90_seconds, Direction::AtMost)
            }
            KpiName::FirstResponseTime(Statistic::Mean)
            | KpiName::ResolutionTime(Statistic::Mean) => (None, Direction::AtMost),
        };
        value.map(|value| Target { value, direction })
    }
}

impl Default for Targets {
    fn default() -> Targets {
        Targets::reference()
    }
}

impl From<Targets> for TargetsDocument {
    fn from(targets: Targets) -> TargetsDocument {
        targets.doc
    }
}

impl TryFrom<TargetsDocument> for Targets {
    type Error = KpiError;

    fn try_from(doc: TargetsDocument) -> Result<Targets, KpiError> {
        doc.validate()
    }
}

/// The KPI section of the company's [`Config`](crate::Config): the targets and the
/// statistics settings every KPI is judged by.
///
/// # Example
///
/// ```
/// use patronage::Config;
///
/// let mut config = Config::reference();
/// config.kpi.targets.confidence = 1.0;
/// assert_eq!(
///     config.kpi.targets().unwrap_err().to_string(),
///     "`kpi.targets.confidence` is 1: expected a level strictly between 0 and 1, such as 0.95",
/// );
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
#[non_exhaustive]
pub struct KpiConfig {
    /// The targets (SPEC §8 defaults).
    pub targets: TargetsDocument,
}

impl KpiConfig {
    /// The validated targets; errors name their path in the config (`kpi.targets.nps`).
    ///
    /// # Errors
    ///
    /// [`KpiErrorKind::InvalidTarget`] naming the first value out of its range.
    pub fn targets(&self) -> Result<Targets, KpiError> {
        self.targets.validate_at("kpi.targets")
    }
}
