//! Survey responses (CSAT 1–5, NPS 0–10, CES 1–7) and their mergeable tallies.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::customer::CustomerId;
use crate::kpi::error::{KpiError, KpiErrorKind};
use crate::kpi::ids::{CaseId, ResponseId, Scale, StaffId};
use crate::kpi::interval::{adjusted_wald_nps, t_interval, wilson};
use crate::kpi::targets::Targets;
use crate::kpi::value::{Kpi, KpiName, Sample};

/// What a satisfaction answer is about (R24's dimensions).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum SatisfactionDimension {
    /// Overall satisfaction, no particular dimension.
    Overall,
    /// The quality of the service received.
    ServiceQuality,
    /// The shopping experience (site, delivery, product).
    ShoppingExperience,
    /// Customer care (follow-ups, care activities).
    CustomerCare,
}

impl SatisfactionDimension {
    /// Every dimension, in report order.
    pub const ALL: [SatisfactionDimension; 4] = [
        SatisfactionDimension::Overall,
        SatisfactionDimension::ServiceQuality,
        SatisfactionDimension::ShoppingExperience,
        SatisfactionDimension::CustomerCare,
    ];

    /// `overall`, `service_quality`, `shopping_experience`, `customer_care`.
    pub fn as_str(&self) -> &'static str {
        match self {
            SatisfactionDimension::Overall => "overall",
            SatisfactionDimension::ServiceQuality => "service_quality",
            SatisfactionDimension::ShoppingExperience => "shopping_experience",
            SatisfactionDimension::CustomerCare => "customer_care",
        }
    }

    fn index(self) -> usize {
        match self {
            SatisfactionDimension::Overall => 0,
            SatisfactionDimension::ServiceQuality => 1,
            SatisfactionDimension::ShoppingExperience => 2,
            SatisfactionDimension::CustomerCare => 3,
        }
    }
}

/// One answer to one survey question.
///
/// # Example
///
/// ```
/// use chrono::{TimeZone, Utc};
/// use patronage::CustomerId;
/// use patronage::kpi::{ResponseId, Scale, SurveyResponse};
///
/// let at = Utc.with_ymd_and_hms(2024, 5, 1, 10, 0, 0).single().ok_or("date")?;
/// let answer = SurveyResponse::new(ResponseId(1), CustomerId(7), at, Scale::Nps, 11);
/// assert_eq!(answer.check().unwrap_err().to_string(),
///     "survey response 1 (customer 7): `nps` score 11 is outside its scale: expected 0 to 10");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SurveyResponse {
    /// The response's id.
    pub id: ResponseId,
    /// Who answered.
    pub customer: CustomerId,
    /// When they answered.
    pub at: DateTime<Utc>,
    /// The question's scale.
    pub scale: Scale,
    /// The score, on the scale.
    pub score: u8,
    /// What the answer is about (default overall).
    #[serde(default = "overall")]
    pub dimension: SatisfactionDimension,
    /// The case it rates, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub case: Option<CaseId>,
    /// The agent it rates, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agent: Option<StaffId>,
}

fn overall() -> SatisfactionDimension {
    SatisfactionDimension::Overall
}

impl SurveyResponse {
    /// An overall answer about no case or agent.
    pub fn new(
        id: ResponseId,
        customer: CustomerId,
        at: DateTime<Utc>,
        scale: Scale,
        score: u8,
    ) -> SurveyResponse {
        SurveyResponse {
            id,
            customer,
            at,
            scale,
            score,
            dimension: SatisfactionDimension::Overall,
            case: None,
            agent: None,
        }
    }

    /// Checks the score against the scale.
    ///
    /// # Errors
    ///
    /// [`KpiErrorKind::ScoreOutOfScale`] naming the response.
    ///
    /// # Example
    ///
    /// ```
    /// use chrono::{TimeZone, Utc};
    /// use patronage::CustomerId;
    /// use patronage::kpi::{ResponseId, Scale, SurveyResponse};
    ///
    /// let at = Utc.with_ymd_and_hms(2024, 5, 1, 10, 0, 0).single().ok_or("date")?;
    /// SurveyResponse::new(ResponseId(1), CustomerId(7), at, Scale::Csat, 5).check()?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn check(&self) -> Result<(), KpiError> {
        let (min, max) = self.scale.range();
        if (min..=max).contains(&self.score) {
            Ok(())
        } else {
            Err(KpiError::new(KpiErrorKind::ScoreOutOfScale {
                response: self.id,
                customer: self.customer,
                scale: self.scale,
                score: self.score,
                min,
                max,
            }))
        }
    }
}

/// Counts of answers per score on one scale: exact, mergeable, and enough for every
/// survey KPI (means and standard deviations are computed from the counts).
///
/// # Example
///
/// ```
/// use patronage::kpi::{ScoreCounts, Scale, Targets};
///
/// let mut counts = ScoreCounts::new(Scale::Csat);
/// counts.add_many(5, 6)?;
/// counts.add_many(4, 3)?;
/// counts.add(1)?;
/// let csat = counts.csat_mean(&Targets::reference())?;
/// assert_eq!(csat.value(), Some(4.3)); // (30 + 12 + 1) / 10
/// assert!(csat.is_small_sample());
/// assert_eq!(counts.csat_top_two_box(&Targets::reference())?.value(), Some(0.9));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ScoreCounts {
    scale: Scale,
    counts: [u64; 11],
}

impl ScoreCounts {
    /// No answers yet.
    pub fn new(scale: Scale) -> ScoreCounts {
        ScoreCounts {
            scale,
            counts: [0; 11],
        }
    }

    /// The scale.
    pub fn scale(&self) -> Scale {
        self.scale
    }

    /// Adds one answer.
    ///
    /// # Errors
    ///
    /// [`KpiErrorKind::InvalidArgument`] for a score outside the scale.
    ///
    /// # Example
    ///
    /// ```
    /// let mut counts = patronage::kpi::ScoreCounts::new(patronage::kpi::Scale::Csat);
    /// counts.add(5)?;
    /// assert_eq!(counts.add(0).unwrap_err().to_string(), "argument `score` is 0: expected a `csat` score from 1 to 5");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn add(&mut self, score: u8) -> Result<(), KpiError> {
        self.add_many(score, 1)
    }

    /// Adds `count` answers of `score`.
    ///
    /// # Errors
    ///
    /// [`KpiErrorKind::InvalidArgument`] for a score outside the scale.
    ///
    /// # Example
    ///
    /// ```
    /// let mut counts = patronage::kpi::ScoreCounts::new(patronage::kpi::Scale::Nps);
    /// counts.add_many(10, 3)?;
    /// assert_eq!(counts.answers(), 3);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn add_many(&mut self, score: u8, count: u64) -> Result<(), KpiError> {
        let (min, max) = self.scale.range();
        if !(min..=max).contains(&score) {
            return Err(KpiError::new(KpiErrorKind::InvalidArgument {
                name: "score",
                value: score.to_string(),
                expected: format!("a `{}` score from {min} to {max}", self.scale),
            }));
        }
        if let Some(slot) = self.counts.get_mut(usize::from(score)) {
            *slot = slot.saturating_add(count);
        }
        Ok(())
    }

    /// Adds another tally of the same scale (a shard's).
    pub fn merge(&mut self, other: &ScoreCounts) {
        for (mine, theirs) in self.counts.iter_mut().zip(other.counts.iter()) {
            *mine = mine.saturating_add(*theirs);
        }
    }

    /// The number of answers.
    pub fn answers(&self) -> u64 {
        self.counts.iter().sum()
    }

    /// The number of answers with a score in `lo..=hi`.
    pub fn between(&self, lo: u8, hi: u8) -> u64 {
        self.counts
            .iter()
            .enumerate()
            .filter(|(score, _)| (usize::from(lo)..=usize::from(hi)).contains(score))
            .map(|(_, n)| n)
            .sum()
    }

    /// Mean and sample standard deviation, from the counts.
    fn mean_sd(&self) -> Option<(f64, f64)> {
        let n = self.answers();
        if n == 0 {
            return None;
        }
        let (mut sum, mut sum_sq) = (0u128, 0u128);
        for (score, &count) in self.counts.iter().enumerate() {
            let s = score as u128;
            sum += s * u128::from(count);
            sum_sq += s * s * u128::from(count);
        }
        let n_f = n as f64;
        let mean = sum as f64 / n_f;
        if n < 2 {
            return Some((mean, 0.0));
        }
        // Σ(x − x̄)² = Σx² − (Σx)²/n, computed in integers as (nΣx² − (Σx)²)/n.
        let n_u = u128::from(n);
        let centred = (n_u * sum_sq).saturating_sub(sum * sum) as f64 / n_f;
        Some((mean, (centred / (n_f - 1.0)).sqrt()))
    }

    fn mean_kpi(&self, name: KpiName, targets: &Targets) -> Result<Kpi, KpiError> {
        let n = self.answers();
        let (value, interval) = match self.mean_sd() {
            Some((mean, sd)) => (Some(mean), t_interval(mean, sd, n, targets.confidence())?),
            None => (None, None),
        };
        Ok(targets.kpi(name, value, Sample::Observations { n }, interval))
    }

    /// CSAT as the mean score with a t-interval (meant for a 1–5 tally).
    ///
    /// # Errors
    ///
    /// [`KpiErrorKind::InvalidArgument`] if the targets' confidence level is invalid
    /// (validated targets never are).
    ///
    /// # Example
    ///
    /// ```
    /// let counts = patronage::kpi::ScoreCounts::new(patronage::kpi::Scale::Csat);
    /// let csat = counts.csat_mean(&patronage::kpi::Targets::reference())?;
    /// assert_eq!(csat.value(), None);
    /// assert_eq!(csat.to_string(), "CSAT — (n = 0, small sample) — target 4.50, not enough data");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn csat_mean(&self, targets: &Targets) -> Result<Kpi, KpiError> {
        self.mean_kpi(KpiName::CsatMean, targets)
    }

    /// CSAT top-2-box: the share of 4–5 answers, with a Wilson interval.
    ///
    /// # Errors
    ///
    /// As [`csat_mean`](Self::csat_mean).
    ///
    /// # Example
    ///
    /// ```
    /// let mut counts = patronage::kpi::ScoreCounts::new(patronage::kpi::Scale::Csat);
    /// counts.add_many(5, 9)?;
    /// counts.add(2)?;
    /// let top = counts.csat_top_two_box(&patronage::kpi::Targets::reference())?;
    /// assert_eq!(top.to_string(), "CSAT top-2-box 90.0% (95% CI 59.6–98.2%, 9 of 10, small sample)");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn csat_top_two_box(&self, targets: &Targets) -> Result<Kpi, KpiError> {
        share_kpi(
            KpiName::CsatTopTwoBox,
            self.between(4, 5),
            self.answers(),
            targets,
        )
    }

    /// NPS: `100 × (promoters (9–10) − detractors (0–6)) / answers`, with the
    /// adjusted-Wald interval.
    ///
    /// # Errors
    ///
    /// As [`csat_mean`](Self::csat_mean).
    ///
    /// # Example
    ///
    /// ```
    /// let mut counts = patronage::kpi::ScoreCounts::new(patronage::kpi::Scale::Nps);
    /// counts.add_many(9, 5)?;
    /// counts.add_many(0, 2)?;
    /// counts.add_many(7, 3)?;
    /// assert_eq!(counts.nps(&patronage::kpi::Targets::reference())?.value(), Some(30.0));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn nps(&self, targets: &Targets) -> Result<Kpi, KpiError> {
        let n = self.answers();
        let promoters = self.between(9, 10);
        let detractors = self.between(0, 6);
        let value = (n > 0).then(|| 100.0 * (promoters as f64 - detractors as f64) / n as f64);
        let interval = adjusted_wald_nps(promoters, detractors, n, targets.confidence())?;
        Ok(targets.kpi(KpiName::Nps, value, Sample::Observations { n }, interval))
    }

    /// CES as the mean score with a t-interval (meant for a 1–7 tally).
    ///
    /// # Errors
    ///
    /// As [`csat_mean`](Self::csat_mean).
    ///
    /// # Example
    ///
    /// ```
    /// let mut counts = patronage::kpi::ScoreCounts::new(patronage::kpi::Scale::Ces);
    /// counts.add_many(6, 2)?;
    /// counts.add(3)?;
    /// assert_eq!(counts.ces_mean(&patronage::kpi::Targets::reference())?.value(), Some(5.0));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn ces_mean(&self, targets: &Targets) -> Result<Kpi, KpiError> {
        self.mean_kpi(KpiName::CesMean, targets)
    }
}

/// The answers of a period, by scale and by dimension (CSAT only): what the survey
/// KPIs are computed from. Mergeable: tallies of disjoint sets of responses add up.
///
/// # Example
///
/// ```
/// use chrono::{TimeZone, Utc};
/// use patronage::CustomerId;
/// use patronage::kpi::{Period, ResponseId, Scale, SurveyResponse, SurveyTally, Targets};
///
/// let period = Period::month(2024, 5, chrono_tz::UTC)?;
/// let at = Utc.with_ymd_and_hms(2024, 5, 1, 10, 0, 0).single().ok_or("date")?;
/// let responses = [
///     SurveyResponse::new(ResponseId(1), CustomerId(7), at, Scale::Nps, 10),
///     SurveyResponse::new(ResponseId(2), CustomerId(8), at, Scale::Nps, 3),
/// ];
/// let tally = SurveyTally::from_responses(&responses, &period)?;
/// assert_eq!(tally.nps().answers(), 2);
/// assert_eq!(tally.nps().nps(&Targets::reference())?.value(), Some(0.0));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SurveyTally {
    csat: ScoreCounts,
    nps: ScoreCounts,
    ces: ScoreCounts,
    csat_by_dimension: [ScoreCounts; 4],
}

impl Default for SurveyTally {
    fn default() -> SurveyTally {
        SurveyTally::new()
    }
}

impl SurveyTally {
    /// No answers.
    pub fn new() -> SurveyTally {
        SurveyTally {
            csat: ScoreCounts::new(Scale::Csat),
            nps: ScoreCounts::new(Scale::Nps),
            ces: ScoreCounts::new(Scale::Ces),
            csat_by_dimension: [ScoreCounts::new(Scale::Csat); 4],
        }
    }

    /// Tallies the responses answered in `period`; every response is checked, in or out
    /// of the period.
    ///
    /// # Errors
    ///
    /// [`KpiErrorKind::ScoreOutOfScale`] naming the first response whose score is
    /// outside its scale.
    ///
    /// # Example
    ///
    /// See [`SurveyTally`].
    pub fn from_responses(
        responses: &[SurveyResponse],
        period: &crate::kpi::Period,
    ) -> Result<SurveyTally, KpiError> {
        let mut tally = SurveyTally::new();
        for response in responses {
            response.check()?;
            if period.contains(response.at) {
                tally.add_checked(response);
            }
        }
        Ok(tally)
    }

    /// Adds one response.
    ///
    /// # Errors
    ///
    /// [`KpiErrorKind::ScoreOutOfScale`] naming the response.
    ///
    /// # Example
    ///
    /// ```
    /// use chrono::{TimeZone, Utc};
    /// use patronage::CustomerId;
    /// use patronage::kpi::{ResponseId, Scale, SurveyResponse, SurveyTally};
    ///
    /// let at = Utc.with_ymd_and_hms(2024, 5, 1, 10, 0, 0).single().ok_or("date")?;
    /// let mut tally = SurveyTally::new();
    /// tally.add(&SurveyResponse::new(ResponseId(1), CustomerId(7), at, Scale::Ces, 6))?;
    /// assert_eq!(tally.ces().answers(), 1);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn add(&mut self, response: &SurveyResponse) -> Result<(), KpiError> {
        response.check()?;
        self.add_checked(response);
        Ok(())
    }

    pub(crate) fn add_checked(&mut self, response: &SurveyResponse) {
        let slot = usize::from(response.score);
        let counts = match response.scale {
            Scale::Csat => {
                if let Some(by_dim) = self
                    .csat_by_dimension
                    .get_mut(response.dimension.index())
                    .and_then(|c| c.counts.get_mut(slot))
                {
                    *by_dim += 1;
                }
                &mut self.csat
            }
            Scale::Nps => &mut self.nps,
            Scale::Ces => &mut self.ces,
        };
        if let Some(count) = counts.counts.get_mut(slot) {
            *count += 1;
        }
    }

    /// Adds another tally (a shard's).
    pub fn merge(&mut self, other: &SurveyTally) {
        self.csat.merge(&other.csat);
        self.nps.merge(&other.nps);
        self.ces.merge(&other.ces);
        for (mine, theirs) in self
            .csat_by_dimension
            .iter_mut()
            .zip(other.csat_by_dimension.iter())
        {
            mine.merge(theirs);
        }
    }

    /// The CSAT answers (every dimension).
    pub fn csat(&self) -> &ScoreCounts {
        &self.csat
    }

    /// The NPS answers.
    pub fn nps(&self) -> &ScoreCounts {
        &self.nps
    }

    /// The CES answers.
    pub fn ces(&self) -> &ScoreCounts {
        &self.ces
    }

    /// The CSAT answers about one dimension.
    pub fn csat_about(&self, dimension: SatisfactionDimension) -> &ScoreCounts {
        self.csat_by_dimension
            .get(dimension.index())
            // `index()` is below 4, the array's length: never taken.
            .unwrap_or(&self.csat)
    }
}

/// A share KPI with a Wilson interval.
pub(crate) fn share_kpi(
    name: KpiName,
    numerator: u64,
    denominator: u64,
    targets: &Targets,
) -> Result<Kpi, KpiError> {
    let interval = wilson(numerator, denominator, targets.confidence())?;
    let value = (denominator > 0).then(|| numerator as f64 / denominator as f64);
    Ok(targets.kpi(
        name,
        value,
        Sample::Ratio {
            numerator,
            denominator,
        },
        interval,
    ))
}
