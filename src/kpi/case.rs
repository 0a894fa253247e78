//! Handled service cases as KPI inputs ([`HandledCase`]) and their tally: complaint
//! timeliness and resolution, problem resolution, first contact resolution, SLA
//! attainment, suggestion adoption, feedback-driven optimisation, response and
//! resolution times (R23, R24).
//!
//! # Where the records come from
//!
//! [`HandledCase`] is this module's own small record of what happened to a case, so
//! the KPIs do not depend on how cases are run. A service-case workflow converts each
//! of its cases into one (a `From` impl on its side): the instants of creation, first
//! response, first resolution and closure, how it was closed, the customer contacts it
//! took, the SLA targets it met or breached and, when the workflow keeps business-hour
//! schedules, the business-time durations it measured.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use crate::customer::CustomerId;
use crate::kpi::error::{KpiError, KpiErrorKind};
use crate::kpi::ids::{CaseId, CaseKind, SlaMetric, StaffId};
use crate::kpi::period::Period;
use crate::kpi::survey::share_kpi;
use crate::kpi::targets::Targets;
use crate::kpi::value::{Kpi, KpiName, Sample, Statistic};

/// Whether a case met one SLA target.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SlaResult {
    /// The metric.
    pub metric: SlaMetric,
    /// `true` when achieved, `false` when breached.
    pub met: bool,
}

/// How a case was closed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Resolution {
    /// Resolved, and the customer confirmed it.
    Confirmed,
    /// Resolved by the team, not confirmed by the customer.
    Unconfirmed,
    /// Closed without a resolution.
    Unresolved,
}

/// The closure of a case: when, and how. A reopened case is not closed until it is
/// closed again, so a closure is always the case's last one.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Closure {
    /// When the case was closed.
    pub at: DateTime<Utc>,
    /// How.
    pub resolution: Resolution,
}

/// What happened to one service case, as the KPIs need it.
///
/// # Example
///
/// ```
/// use chrono::{TimeZone, Utc};
/// use patronage::CustomerId;
/// use patronage::kpi::{CaseId, CaseKind, HandledCase};
///
/// let created = Utc.with_ymd_and_hms(2024, 5, 1, 10, 0, 0).single().ok_or("date")?;
/// let mut case = HandledCase::new(CaseId(12), CustomerId(7), CaseKind::Complaint, created);
/// case.resolved_at = Some(created - chrono::Duration::hours(1));
/// assert_eq!(case.check().unwrap_err().to_string(),
///     "case 12: `resolved_at` 2024-05-01 09:00:00 UTC is before `created_at` 2024-05-01 10:00:00 UTC: expected an instant at or after creation");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HandledCase {
    /// The case's id.
    pub id: CaseId,
    /// The customer.
    pub customer: CustomerId,
    /// What the case is.
    pub kind: CaseKind,
    /// A free category such as `logistics_delay` (the root-cause report's key).
    #[serde(default)]
    pub category: String,
    /// The agent who handled it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agent: Option<StaffId>,
    /// When it was received.
    pub created_at: DateTime<Utc>,
    /// The first public response.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_response_at: Option<DateTime<Utc>>,
    /// The first resolution (a complaint is *handled* at this instant).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resolved_at: Option<DateTime<Utc>>,
    /// The closure, once closed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub closed: Option<Closure>,
    /// Customer contacts the case took until it was resolved (1 = resolved on first
    /// contact; 0 = unknown).
    #[serde(default)]
    pub contacts: u32,
    /// First response time in business time, seconds, when measured.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_response_business_seconds: Option<u64>,
    /// Resolution time in business time, seconds, when measured.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resolution_business_seconds: Option<u64>,
    /// The SLA targets it met or breached.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sla: Vec<SlaResult>,
    /// For a suggestion: adopted (`true`) or declined (`false`); `None` while pending.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub adopted: Option<bool>,
    /// For feedback: whether it led to an optimisation; `None` while undecided.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub led_to_optimisation: Option<bool>,
}

impl HandledCase {
    /// A case just received, with nothing else known.
    pub fn new(
        id: CaseId,
        customer: CustomerId,
        kind: CaseKind,
        created_at: DateTime<Utc>,
    ) -> HandledCase {
        HandledCase {
            id,
            customer,
            kind,
            category: String::new(),
            agent: None,
            created_at,
            first_response_at: None,
            resolved_at: None,
            closed: None,
            contacts: 0,
            first_response_business_seconds: None,
            resolution_business_seconds: None,
            sla: Vec::new(),
            adopted: None,
            led_to_optimisation: None,
        }
    }

    /// Checks that no instant precedes the creation.
    ///
    /// # Errors
    ///
    /// [`KpiErrorKind::CaseBeforeCreation`] naming the case and the field.
    ///
    /// # Example
    ///
    /// See [`HandledCase`].
    pub fn check(&self) -> Result<(), KpiError> {
        let fields = [
            ("first_response_at", self.first_response_at),
            ("resolved_at", self.resolved_at),
            ("closed.at", self.closed.map(|c| c.at)),
        ];
        for (field, at) in fields {
            if let Some(at) = at {
                if at < self.created_at {
                    return Err(KpiError::new(KpiErrorKind::CaseBeforeCreation {
                        case: self.id,
                        field,
                        at,
                        created: self.created_at,
                    }));
                }
            }
        }
        Ok(())
    }
}

/// Calendar or business time for response and resolution times.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum TimeBasis {
    /// Elapsed wall-clock time between the instants.
    #[default]
    Calendar,
    /// The business-time durations carried by the cases.
    Business,
}

/// Options of the case KPIs.
///
/// # Example
///
/// ```
/// let options = patronage::kpi::CaseOptions::default();
/// assert_eq!(options.timeliness_window, chrono::Duration::hours(24));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct CaseOptions {
    /// A complaint is timely when resolved within this long of receipt (default 24 h,
    /// inclusive).
    pub timeliness_window: Duration,
    /// Calendar or business time for response and resolution times.
    pub basis: TimeBasis,
}

impl Default for CaseOptions {
    fn default() -> CaseOptions {
        CaseOptions {
            timeliness_window: Duration::hours(24),
            basis: TimeBasis::Calendar,
        }
    }
}

/// The counts and durations behind every case KPI of one period, as of an instant.
/// Mergeable: tallies of disjoint sets of cases add up (durations are concatenated).
///
/// # Which cases count where
///
/// - *Complaint timeliness*: complaints received in the period that were resolved by
///   `as_of` or whose window (24 h) has passed at `as_of`; timely when resolved within
///   the window. Open complaints still inside their window are *pending*, not counted.
/// - *Complaint resolution*: complaints closed in the period; resolved when closed as
///   [`Resolution::Confirmed`].
/// - *Problem resolution*: cases of any kind closed in the period; resolved when closed
///   as confirmed or unconfirmed.
/// - *First contact resolution*: cases first resolved in the period; first contact
///   when `contacts == 1`.
/// - *SLA attainment*: per metric, the results of cases received in the period.
/// - *Suggestion adoption* / *feedback optimisation*: suggestions / feedback closed in
///   the period with a decision.
/// - *First response time*: cases first answered in the period; *resolution time*:
///   cases first resolved in the period; both from `created_at`.
///
/// Instants after `as_of` are treated as not yet happened.
///
/// # Example
///
/// ```
/// use chrono::{Duration, TimeZone, Utc};
/// use patronage::CustomerId;
/// use patronage::kpi::{CaseId, CaseKind, CaseOptions, CaseTally, HandledCase, Period, Targets};
///
/// let period = Period::month(2024, 5, chrono_tz::UTC)?;
/// let as_of = Utc.with_ymd_and_hms(2024, 5, 31, 12, 0, 0).single().ok_or("date")?;
/// let created = Utc.with_ymd_and_hms(2024, 5, 31, 8, 0, 0).single().ok_or("date")?;
/// // Still open, 4 hours old: pending, not counted.
/// let open = HandledCase::new(CaseId(1), CustomerId(7), CaseKind::Complaint, created);
/// let mut done = HandledCase::new(CaseId(2), CustomerId(8), CaseKind::Complaint, created);
/// done.resolved_at = Some(created + Duration::hours(2));
/// let tally = CaseTally::from_cases(&[open, done], &period, as_of, CaseOptions::default())?;
/// let kpi = tally.complaint_timeliness(&Targets::reference())?;
/// assert_eq!(kpi.value(), Some(1.0));
/// assert_eq!(tally.complaints_pending(), 1);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct CaseTally {
    complaints_due: u64,
    complaints_timely: u64,
    complaints_pending: u64,
    complaints_closed: u64,
    complaints_resolved: u64,
    cases_closed: u64,
    cases_resolved: u64,
    resolved: u64,
    resolved_first_contact: u64,
    suggestions_decided: u64,
    suggestions_adopted: u64,
    feedback_decided: u64,
    feedback_optimised: u64,
    sla_met: [u64; 3],
    sla_total: [u64; 3],
    first_response_seconds: Vec<f64>,
    resolution_seconds: Vec<f64>,
}

impl CaseTally {
    /// No cases.
    pub fn new() -> CaseTally {
        CaseTally::default()
    }

    /// Tallies the cases of `period` as of `as_of`.
    ///
    /// # Errors
    ///
    /// [`KpiErrorKind::CaseBeforeCreation`] for a case whose instants run backwards;
    /// [`KpiErrorKind::MissingBusinessTime`] when the basis is business time and a
    /// counted case lacks its duration.
    ///
    /// # Example
    ///
    /// See [`CaseTally`].
    pub fn from_cases(
        cases: &[HandledCase],
        period: &Period,
        as_of: DateTime<Utc>,
        options: CaseOptions,
    ) -> Result<CaseTally, KpiError> {
        let mut tally = CaseTally::new();
        for case in cases {
            tally.add(case, period, as_of, options)?;
        }
        Ok(tally)
    }

    /// One tally per period, in one pass over the cases: the series that
    /// [`EarlyWarning`](crate::kpi::EarlyWarning) watches (weekly complaint volume,
    /// median first response, resolution rate…).
    ///
    /// # Errors
    ///
    /// As [`from_cases`](Self::from_cases).
    ///
    /// # Example
    ///
    /// ```
    /// use chrono::{Duration, NaiveDate, TimeZone, Utc};
    /// use patronage::CustomerId;
    /// use patronage::kpi::{CaseId, CaseKind, CaseOptions, CaseTally, HandledCase, Period};
    ///
    /// let weeks = (0..3)
    ///     .map(|w| {
    ///         let first = NaiveDate::from_ymd_opt(2024, 5, 6).ok_or("date")? + Duration::weeks(w);
    ///         Ok(Period::custom(first, first + Duration::days(6), chrono_tz::UTC)?)
    ///     })
    ///     .collect::<Result<Vec<_>, Box<dyn std::error::Error>>>()?;
    /// let created = Utc.with_ymd_and_hms(2024, 5, 14, 9, 0, 0).single().ok_or("date")?;
    /// let case = HandledCase::new(CaseId(1), CustomerId(7), CaseKind::Complaint, created);
    /// let as_of = Utc.with_ymd_and_hms(2024, 5, 27, 0, 0, 0).single().ok_or("date")?;
    /// let series = CaseTally::series(&[case], &weeks, as_of, CaseOptions::default())?;
    /// let volume: Vec<u64> = series.iter().map(CaseTally::complaints_received).collect();
    /// assert_eq!(volume, [0, 1, 0]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn series(
        cases: &[HandledCase],
        periods: &[Period],
        as_of: DateTime<Utc>,
        options: CaseOptions,
    ) -> Result<Vec<CaseTally>, KpiError> {
        let mut tallies = vec![CaseTally::new(); periods.len()];
        for case in cases {
            for (tally, period) in tallies.iter_mut().zip(periods) {
                tally.add(case, period, as_of, options)?;
            }
        }
        Ok(tallies)
    }

    /// Adds one case.
    ///
    /// # Errors
    ///
    /// As [`from_cases`](Self::from_cases).
    ///
    /// # Example
    ///
    /// ```
    /// use chrono::{TimeZone, Utc};
    /// use patronage::CustomerId;
    /// use patronage::kpi::{CaseId, CaseKind, CaseOptions, CaseTally, HandledCase, Period, TimeBasis};
    ///
    /// let period = Period::month(2024, 5, chrono_tz::UTC)?;
    /// let at = Utc.with_ymd_and_hms(2024, 5, 2, 8, 0, 0).single().ok_or("date")?;
    /// let mut case = HandledCase::new(CaseId(3), CustomerId(7), CaseKind::Inquiry, at);
    /// case.first_response_at = Some(at);
    /// let mut options = CaseOptions::default();
    /// options.basis = TimeBasis::Business;
    /// let err = CaseTally::new().add(&case, &period, at, options).unwrap_err();
    /// assert_eq!(err.to_string(), "case 3: `first_response_business_seconds` is missing: expected business-time durations when the time basis is `business`");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn add(
        &mut self,
        case: &HandledCase,
        period: &Period,
        as_of: DateTime<Utc>,
        options: CaseOptions,
    ) -> Result<(), KpiError> {
        case.check()?;
        let known = |at: Option<DateTime<Utc>>| at.filter(|t| *t <= as_of);
        let resolved_at = known(case.resolved_at);
        let first_response_at = known(case.first_response_at);
        let closed = case.closed.filter(|c| c.at <= as_of);
        let received = period.contains(case.created_at) && case.created_at <= as_of;

        if case.kind == CaseKind::Complaint && received {
            let deadline = case.created_at + options.timeliness_window;
            match resolved_at {
                Some(at) => {
                    self.complaints_due += 1;
                    if at <= deadline {
                        self.complaints_timely += 1;
                    }
                }
                None if as_of > deadline => self.complaints_due += 1,
                None => self.complaints_pending += 1,
            }
        }
        if let Some(closure) = closed.filter(|c| period.contains(c.at)) {
            let resolved = closure.resolution != Resolution::Unresolved;
            self.cases_closed += 1;
            self.cases_resolved += u64::from(resolved);
            match case.kind {
                CaseKind::Complaint => {
                    self.complaints_closed += 1;
                    self.complaints_resolved +=
                        u64::from(closure.resolution == Resolution::Confirmed);
                }
                CaseKind::Suggestion => {
                    if let Some(adopted) = case.adopted {
                        self.suggestions_decided += 1;
                        self.suggestions_adopted += u64::from(adopted);
                    }
                }
                CaseKind::Feedback => {
                    if let Some(optimised) = case.led_to_optimisation {
                        self.feedback_decided += 1;
                        self.feedback_optimised += u64::from(optimised);
                    }
                }
                CaseKind::Inquiry | CaseKind::AfterSales => {}
            }
        }
        if received {
            for result in &case.sla {
                let i = result.metric.index();
                if let (Some(met), Some(total)) =
                    (self.sla_met.get_mut(i), self.sla_total.get_mut(i))
                {
                    *total += 1;
                    *met += u64::from(result.met);
                }
            }
        }
        if let Some(at) = first_response_at.filter(|t| period.contains(*t)) {
            let seconds = duration_seconds(
                case,
                at,
                case.first_response_business_seconds,
                "first_response_business_seconds",
                options.basis,
            )?;
            self.first_response_seconds.push(seconds);
        }
        if let Some(at) = resolved_at.filter(|t| period.contains(*t)) {
            self.resolved += 1;
            self.resolved_first_contact += u64::from(case.contacts == 1);
            let seconds = duration_seconds(
                case,
                at,
                case.resolution_business_seconds,
                "resolution_business_seconds",
                options.basis,
            )?;
            self.resolution_seconds.push(seconds);
        }
        Ok(())
    }

    /// Adds another tally (a shard's); durations are appended.
    pub fn merge(&mut self, other: &CaseTally) {
        self.complaints_due += other.complaints_due;
        self.complaints_timely += other.complaints_timely;
        self.complaints_pending += other.complaints_pending;
        self.complaints_closed += other.complaints_closed;
        self.complaints_resolved += other.complaints_resolved;
        self.cases_closed += other.cases_closed;
        self.cases_resolved += other.cases_resolved;
        self.resolved += other.resolved;
        self.resolved_first_contact += other.resolved_first_contact;
        self.suggestions_decided += other.suggestions_decided;
        self.suggestions_adopted += other.suggestions_adopted;
        self.feedback_decided += other.feedback_decided;
        self.feedback_optimised += other.feedback_optimised;
        for (mine, theirs) in self.sla_met.iter_mut().zip(other.sla_met) {
            *mine += theirs;
        }
        for (mine, theirs) in self.sla_total.iter_mut().zip(other.sla_total) {
            *mine += theirs;
        }
        self.first_response_seconds
            .extend_from_slice(&other.first_response_seconds);
        self.resolution_seconds
            .extend_from_slice(&other.resolution_seconds);
    }

    /// Complaints received in the period still open inside their window at `as_of`.
    pub fn complaints_pending(&self) -> u64 {
        self.complaints_pending
    }

    /// Complaints received in the period by `as_of` (due and pending): the complaint
    /// volume.
    pub fn complaints_received(&self) -> u64 {
        self.complaints_due + self.complaints_pending
    }

    /// Complaint timeliness: resolved within the window / due (pending excluded).
    ///
    /// # Errors
    ///
    /// Only with unvalidated targets (an invalid confidence level).
    ///
    /// # Example
    ///
    /// See [`CaseTally`].
    pub fn complaint_timeliness(&self, targets: &Targets) -> Result<Kpi, KpiError> {
        share_kpi(
            KpiName::ComplaintTimeliness,
            self.complaints_timely,
            self.complaints_due,
            targets,
        )
    }

    /// Complaint resolution: closed as confirmed-resolved / closed.
    ///
    /// # Errors
    ///
    /// Only with unvalidated targets (an invalid confidence level).
    ///
    /// # Example
    ///
    /// ```
    /// let kpi = patronage::kpi::CaseTally::new().complaint_resolution(&patronage::kpi::Targets::reference())?;
    /// assert_eq!(kpi.verdict(), patronage::kpi::Verdict::NotEnoughData);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn complaint_resolution(&self, targets: &Targets) -> Result<Kpi, KpiError> {
        share_kpi(
            KpiName::ComplaintResolution,
            self.complaints_resolved,
            self.complaints_closed,
            targets,
        )
    }

    /// Problem resolution: cases closed as resolved (confirmed or not) / cases closed.
    ///
    /// # Errors
    ///
    /// Only with unvalidated targets (an invalid confidence level).
    ///
    /// # Example
    ///
    /// ```
    /// let kpi = patronage::kpi::CaseTally::new().problem_resolution(&patronage::kpi::Targets::reference())?;
    /// assert_eq!(kpi.value(), None);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn problem_resolution(&self, targets: &Targets) -> Result<Kpi, KpiError> {
        share_kpi(
            KpiName::ProblemResolution,
            self.cases_resolved,
            self.cases_closed,
            targets,
        )
    }

    /// First contact resolution: resolved with one contact / resolved.
    ///
    /// # Errors
    ///
    /// Only with unvalidated targets (an invalid confidence level).
    ///
    /// # Example
    ///
    /// ```
    /// let kpi = patronage::kpi::CaseTally::new().first_contact_resolution(&patronage::kpi::Targets::reference())?;
    /// assert_eq!(kpi.value(), None);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn first_contact_resolution(&self, targets: &Targets) -> Result<Kpi, KpiError> {
        share_kpi(
            KpiName::FirstContactResolution,
            self.resolved_first_contact,
            self.resolved,
            targets,
        )
    }

    /// SLA attainment for one metric: achieved / measured.
    ///
    /// # Errors
    ///
    /// Only with unvalidated targets (an invalid confidence level).
    ///
    /// # Example
    ///
    /// ```
    /// use patronage::kpi::{CaseTally, SlaMetric, Targets};
    /// let kpi = CaseTally::new().sla_attainment(SlaMetric::FirstResponse, &Targets::reference())?;
    /// assert_eq!(kpi.value(), None);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn sla_attainment(&self, metric: SlaMetric, targets: &Targets) -> Result<Kpi, KpiError> {
        let pick = |[first_response, next_response, resolution]: [u64; 3]| match metric {
            SlaMetric::FirstResponse => first_response,
            SlaMetric::NextResponse => next_response,
            SlaMetric::Resolution => resolution,
        };
        share_kpi(
            KpiName::SlaAttainment(metric),
            pick(self.sla_met),
            pick(self.sla_total),
            targets,
        )
    }

    /// Suggestion adoption: adopted / decided.
    ///
    /// # Errors
    ///
    /// Only with unvalidated targets (an invalid confidence level).
    ///
    /// # Example
    ///
    /// ```
    /// let kpi = patronage::kpi::CaseTally::new().suggestion_adoption(&patronage::kpi::Targets::reference())?;
    /// assert_eq!(kpi.value(), None);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn suggestion_adoption(&self, targets: &Targets) -> Result<Kpi, KpiError> {
        share_kpi(
            KpiName::SuggestionAdoption,
            self.suggestions_adopted,
            self.suggestions_decided,
            targets,
        )
    }

    /// Feedback-driven optimisation: feedback that led to an optimisation / feedback
    /// decided.
    ///
    /// # Errors
    ///
    /// Only with unvalidated targets (an invalid confidence level).
    ///
    /// # Example
    ///
    /// ```
    /// let kpi = patronage::kpi::CaseTally::new().feedback_optimisation(&patronage::kpi::Targets::reference())?;
    /// assert_eq!(kpi.value(), None);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn feedback_optimisation(&self, targets: &Targets) -> Result<Kpi, KpiError> {
        share_kpi(
            KpiName::FeedbackOptimisation,
            self.feedback_optimised,
            self.feedback_decided,
            targets,
        )
    }

    /// A statistic of the first response times (seconds).
    ///
    /// # Example
    ///
    /// ```
    /// use chrono::{Duration, TimeZone, Utc};
    /// use patronage::CustomerId;
    /// use patronage::kpi::{CaseId, CaseKind, CaseOptions, CaseTally, HandledCase, Period, Statistic, Targets};
    ///
    /// let period = Period::month(2024, 5, chrono_tz::UTC)?;
    /// let created = Utc.with_ymd_and_hms(2024, 5, 2, 8, 0, 0).single().ok_or("date")?;
    /// let cases: Vec<HandledCase> = [60, 180, 600].iter().enumerate().map(|(i, &secs)| {
    ///     let mut case = HandledCase::new(CaseId(i as u64), CustomerId(7), CaseKind::Inquiry, created);
    ///     case.first_response_at = Some(created + Duration::seconds(secs));
    ///     case.resolved_at = Some(created + Duration::seconds(10 * secs));
    ///     case
    /// }).collect();
    /// let tally = CaseTally::from_cases(&cases, &period, created + Duration::days(1), CaseOptions::default())?;
    /// let median = tally.first_response_time(Statistic::Median, &Targets::reference());
    /// assert_eq!(median.value(), Some(180.0));
    /// assert_eq!(median.to_string(), "first response median 3.0 min (n = 3, small sample) — target ≤ 5.0 min, met");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn first_response_time(&self, statistic: Statistic, targets: &Targets) -> Kpi {
        duration_kpi(
            KpiName::FirstResponseTime(statistic),
            &self.first_response_seconds,
            statistic,
            targets,
        )
    }

    /// A statistic of the resolution times (seconds).
    ///
    /// # Example
    ///
    /// ```
    /// use chrono::{Duration, TimeZone, Utc};
    /// use patronage::CustomerId;
    /// use patronage::kpi::{CaseId, CaseKind, CaseOptions, CaseTally, HandledCase, Period, Statistic, Targets};
    ///
    /// let period = Period::month(2024, 5, chrono_tz::UTC)?;
    /// let created = Utc.with_ymd_and_hms(2024, 5, 2, 8, 0, 0).single().ok_or("date")?;
    /// let cases: Vec<HandledCase> = [60, 180, 600].iter().enumerate().map(|(i, &secs)| {
    ///     let mut case = HandledCase::new(CaseId(i as u64), CustomerId(7), CaseKind::Inquiry, created);
    ///     case.first_response_at = Some(created + Duration::seconds(secs));
    ///     case.resolved_at = Some(created + Duration::seconds(10 * secs));
    ///     case
    /// }).collect();
    /// let tally = CaseTally::from_cases(&cases, &period, created + Duration::days(1), CaseOptions::default())?;
    /// assert_eq!(tally.resolution_time(Statistic::P90, &Targets::reference()).value(), Some(6000.0));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn resolution_time(&self, statistic: Statistic, targets: &Targets) -> Kpi {
        duration_kpi(
            KpiName::ResolutionTime(statistic),
            &self.resolution_seconds,
            statistic,
            targets,
        )
    }
}

fn duration_seconds(
    case: &HandledCase,
    at: DateTime<Utc>,
    business: Option<u64>,
    field: &'static str,
    basis: TimeBasis,
) -> Result<f64, KpiError> {
    match basis {
        TimeBasis::Calendar => Ok((at - case.created_at).num_milliseconds() as f64 / 1000.0),
        TimeBasis::Business => business.map(|s| s as f64).ok_or_else(|| {
            KpiError::new(KpiErrorKind::MissingBusinessTime {
                case: case.id,
                field,
            })
        }),
    }
}

/// The median (mean of the middle two), nearest-rank p90 or mean of `values`.
pub(crate) fn statistic_of(values: &[f64], statistic: Statistic) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    let n = values.len();
    if statistic == Statistic::Mean {
        return Some(values.iter().sum::<f64>() / n as f64);
    }
    let mut sorted = values.to_vec();
    sorted.sort_unstable_by(f64::total_cmp);
    match statistic {
        Statistic::Median if n % 2 == 1 => sorted.get(n / 2).copied(),
        Statistic::Median => {
            let (a, b) = (sorted.get(n / 2 - 1)?, sorted.get(n / 2)?);
            Some((a + b) / 2.0)
        }
        // Nearest rank: the ⌈0.9 n⌉-th smallest (1-based), computed in integers.
        _ => sorted.get((9 * n).div_ceil(10).saturating_sub(1)).copied(),
    }
}

pub(crate) fn duration_kpi(
    name: KpiName,
    values: &[f64],
    statistic: Statistic,
    targets: &Targets,
) -> Kpi {
    targets.kpi(
        name,
        statistic_of(values, statistic),
        Sample::Observations {
            n: values.len() as u64,
        },
        None,
    )
}
