//! Confidence intervals and sample sizes (R26, R18): Wilson for proportions,
//! adjusted-Wald for NPS, Student's t for means, Newcombe's hybrid score for a
//! difference of proportions; the sample size for a margin.
//!
//! # Why these methods
//!
//! The textbook Wald interval `p̂ ± z·√(p̂(1 − p̂)/n)` escapes `[0, 1]` and covers badly
//! at the sample sizes a team or an agent has (9 of 10 gives 0.714–1.086). Wilson's
//! score interval stays in range and covers close to its nominal level (Brown, Cai and
//! DasGupta 2001). For NPS, the adjusted-Wald interval (add ¾ promoter and ¾ detractor,
//! 3 answers) had the best coverage in Rocks (2016). Newcombe's hybrid score interval
//! (his method 10, 1998) combines the two Wilson intervals of a difference.

use serde::{Deserialize, Serialize};

use crate::kpi::error::{KpiError, KpiErrorKind};
use crate::kpi::special::{normal_quantile, student_t_quantile};

/// A two-sided confidence interval, in the unit of the KPI it belongs to.
///
/// `lower ≤ upper`, and the interval always contains the KPI's point estimate.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Interval {
    /// The lower limit.
    pub lower: f64,
    /// The upper limit.
    pub upper: f64,
    /// The confidence level, such as 0.95.
    pub confidence: f64,
    /// How the interval was computed.
    pub method: IntervalMethod,
}

impl Interval {
    /// Whether `value` lies in `[lower, upper]`.
    pub fn contains(&self, value: f64) -> bool {
        self.lower <= value && value <= self.upper
    }
}

/// How an [`Interval`] was computed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum IntervalMethod {
    /// Wilson's score interval for a proportion.
    Wilson,
    /// The adjusted-Wald interval for NPS (n + 3, ¾ promoter and ¾ detractor added).
    AdjustedWald,
    /// Student's t interval for a mean.
    StudentT,
    /// Newcombe's hybrid score interval for a difference of two proportions.
    NewcombeHybridScore,
}

impl IntervalMethod {
    /// The serde name: `wilson`, `adjusted_wald`, `student_t`, `newcombe_hybrid_score`.
    pub fn as_str(&self) -> &'static str {
        match self {
            IntervalMethod::Wilson => "wilson",
            IntervalMethod::AdjustedWald => "adjusted_wald",
            IntervalMethod::StudentT => "student_t",
            IntervalMethod::NewcombeHybridScore => "newcombe_hybrid_score",
        }
    }
}

/// The two-sided normal critical value `z` for a confidence level (1.959964 for 0.95).
///
/// # Errors
///
/// [`KpiErrorKind::InvalidArgument`] when `confidence` is not strictly between 0 and 1.
///
/// # Example
///
/// ```
/// let z = patronage::kpi::z_value(0.95)?;
/// assert!((z - 1.959964).abs() < 1e-6);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn z_value(confidence: f64) -> Result<f64, KpiError> {
    check_confidence(confidence)?;
    Ok(normal_quantile(0.5 + confidence / 2.0))
}

/// The two-sided Student-t critical value for a confidence level and degrees of
/// freedom (2.228139 for 0.95 and 10 df).
///
/// # Errors
///
/// [`KpiErrorKind::InvalidArgument`] when `confidence` is not strictly between 0 and 1
/// or `df` is below 1.
///
/// # Example
///
/// ```
/// let t = patronage::kpi::t_value(0.95, 10)?;
/// assert!((t - 2.228139).abs() < 1e-6);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn t_value(confidence: f64, df: u64) -> Result<f64, KpiError> {
    check_confidence(confidence)?;
    if df == 0 {
        return Err(invalid("df", "0", "at least 1 degree of freedom"));
    }
    Ok(student_t_quantile(0.5 + confidence / 2.0, df as f64))
}

/// Wilson's score interval for `successes` of `trials`, as a share in `[0, 1]`.
///
/// Centre `(p̂ + z²/2n) / (1 + z²/n)`, half-width `z/(1 + z²/n) · √(p̂(1 − p̂)/n +
/// z²/4n²)`. `None` when `trials` is 0.
///
/// # Errors
///
/// [`KpiErrorKind::CountsInconsistent`] when `successes > trials`;
/// [`KpiErrorKind::InvalidArgument`] for a confidence level outside `(0, 1)`.
///
/// # Example
///
/// ```
/// // 9 of 10 at 95%: 0.596 to 0.982 (the Wald interval would reach 1.086).
/// let ci = patronage::kpi::wilson(9, 10, 0.95)?.ok_or("no data")?;
/// assert_eq!((format!("{:.3}", ci.lower), format!("{:.3}", ci.upper)), ("0.596".into(), "0.982".into()));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn wilson(successes: u64, trials: u64, confidence: f64) -> Result<Option<Interval>, KpiError> {
    check_part("successes", successes, "trials", trials)?;
    let z = z_value(confidence)?;
    if trials == 0 {
        return Ok(None);
    }
    let (lower, upper) = wilson_limits(successes, trials, z);
    Ok(Some(Interval {
        lower,
        upper,
        confidence,
        method: IntervalMethod::Wilson,
    }))
}

/// The adjusted-Wald interval for NPS, in NPS points (−100 to 100).
///
/// With `n′ = n + 3`, `p′ = (P + ¾)/n′`, `d′ = (D + ¾)/n′`: `100 · (p′ − d′ ± z·√((p′ + d′
/// − (p′ − d′)²)/n′))`, clipped to `[−100, 100]`. The interval is centred on the
/// adjusted score; when a handful of answers all sit at one end (one promoter alone),
/// it is widened to include the observed NPS, so it always contains the reported value.
/// `None` when there are no answers.
///
/// # Errors
///
/// [`KpiErrorKind::CountsInconsistent`] when promoters and detractors together exceed
/// the answers; [`KpiErrorKind::InvalidArgument`] for a confidence level outside
/// `(0, 1)`.
///
/// # Example
///
/// ```
/// // 50 promoters, 30 passives, 20 detractors: NPS 30, 95% CI about 14.1 to 44.2.
/// let ci = patronage::kpi::adjusted_wald_nps(50, 20, 100, 0.95)?.ok_or("no data")?;
/// assert_eq!(format!("{:.1} to {:.1}", ci.lower, ci.upper), "14.1 to 44.2");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn adjusted_wald_nps(
    promoters: u64,
    detractors: u64,
    answers: u64,
    confidence: f64,
) -> Result<Option<Interval>, KpiError> {
    check_part(
        "promoters + detractors",
        promoters.saturating_add(detractors),
        "answers",
        answers,
    )?;
    let z = z_value(confidence)?;
    if answers == 0 {
        return Ok(None);
    }
    let n_adj = answers as f64 + 3.0;
    let p_adj = (promoters as f64 + 0.75) / n_adj;
    let d_adj = (detractors as f64 + 0.75) / n_adj;
    let nps_adj = p_adj - d_adj;
    let variance = p_adj + d_adj - nps_adj * nps_adj;
    let half = z * (variance / n_adj).sqrt();
    let observed = 100.0 * (promoters as f64 - detractors as f64) / answers as f64;
    let lower = (100.0 * (nps_adj - half))
        .clamp(-100.0, 100.0)
        .min(observed);
    let upper = (100.0 * (nps_adj + half))
        .clamp(-100.0, 100.0)
        .max(observed);
    Ok(Some(Interval {
        lower,
        upper,
        confidence,
        method: IntervalMethod::AdjustedWald,
    }))
}

/// Student's t interval for a mean: `mean ± t(n − 1) · sd / √n`, with `sd` the sample
/// standard deviation (divisor `n − 1`). `None` below two observations.
///
/// # Errors
///
/// [`KpiErrorKind::InvalidArgument`] for a confidence level outside `(0, 1)` or a
/// mean or standard deviation that is not finite (or a negative deviation).
///
/// # Example
///
/// ```
/// // n = 11, mean 4.2, sd 0.6: t(10) = 2.228139, half-width 2.228139 · 0.6 / √11 = 0.4031.
/// let ci = patronage::kpi::t_interval(4.2, 0.6, 11, 0.95)?.ok_or("too few")?;
/// assert_eq!(format!("{:.4} to {:.4}", ci.lower, ci.upper), "3.7969 to 4.6031");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn t_interval(
    mean: f64,
    sd: f64,
    n: u64,
    confidence: f64,
) -> Result<Option<Interval>, KpiError> {
    check_confidence(confidence)?;
    if !mean.is_finite() {
        return Err(invalid("mean", &mean.to_string(), "a finite number"));
    }
    if !sd.is_finite() || sd < 0.0 {
        return Err(invalid("sd", &sd.to_string(), "a finite number >= 0"));
    }
    if n < 2 {
        return Ok(None);
    }
    let t = student_t_quantile(0.5 + confidence / 2.0, (n - 1) as f64);
    let half = t * sd / (n as f64).sqrt();
    Ok(Some(Interval {
        lower: mean - half,
        upper: mean + half,
        confidence,
        method: IntervalMethod::StudentT,
    }))
}

/// Newcombe's hybrid score interval (1998, method 10) for `p₁ − p₂`, the difference of
/// two independent proportions `x₁/n₁ − x₂/n₂`.
///
/// With Wilson limits `[l₁, u₁]` and `[l₂, u₂]`: lower `d − √((p₁ − l₁)² + (u₂ − p₂)²)`,
/// upper `d + √((u₁ − p₁)² + (p₂ − l₂)²)`. `None` when either group is empty.
///
/// # Errors
///
/// [`KpiErrorKind::CountsInconsistent`] when a group has more successes than trials;
/// [`KpiErrorKind::InvalidArgument`] for a confidence level outside `(0, 1)`.
///
/// # Example
///
/// ```
/// // Newcombe (1998), Table II, example (a): 56/70 − 48/80 = 0.2000, 95% CI 0.0524 to 0.3339.
/// let ci = patronage::kpi::newcombe(56, 70, 48, 80, 0.95)?.ok_or("empty group")?;
/// assert_eq!(format!("{:.4} to {:.4}", ci.lower, ci.upper), "0.0524 to 0.3339");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn newcombe(
    successes_1: u64,
    trials_1: u64,
    successes_2: u64,
    trials_2: u64,
    confidence: f64,
) -> Result<Option<Interval>, KpiError> {
    check_part("successes_1", successes_1, "trials_1", trials_1)?;
    check_part("successes_2", successes_2, "trials_2", trials_2)?;
    let z = z_value(confidence)?;
    if trials_1 == 0 || trials_2 == 0 {
        return Ok(None);
    }
    let p1 = successes_1 as f64 / trials_1 as f64;
    let p2 = successes_2 as f64 / trials_2 as f64;
    let (l1, u1) = wilson_limits(successes_1, trials_1, z);
    let (l2, u2) = wilson_limits(successes_2, trials_2, z);
    let d = p1 - p2;
    let lower = d - ((p1 - l1).powi(2) + (u2 - p2).powi(2)).sqrt();
    let upper = d + ((u1 - p1).powi(2) + (p2 - l2).powi(2)).sqrt();
    Ok(Some(Interval {
        lower: lower.clamp(-1.0, 1.0).min(d),
        upper: upper.clamp(-1.0, 1.0).max(d),
        confidence,
        method: IntervalMethod::NewcombeHybridScore,
    }))
}

/// The number of answers needed to estimate a proportion to within `± margin` (a
/// share, 0.05 for ±5 points): `⌈z² · p(1 − p) / margin²⌉`; `expected` is the expected
/// proportion (0.5 in the worst case).
///
/// # Errors
///
/// [`KpiErrorKind::InvalidArgument`] when `margin` is not in `(0, 1)`, `expected` is
/// not in `[0, 1]` or the confidence level is not in `(0, 1)`.
///
/// # Example
///
/// ```
/// use patronage::kpi::sample_size_proportion;
///
/// assert_eq!(sample_size_proportion(0.05, 0.5, 0.95)?, 385);
/// assert_eq!(sample_size_proportion(0.03, 0.5, 0.95)?, 1068);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn sample_size_proportion(
    margin: f64,
    expected: f64,
    confidence: f64,
) -> Result<u64, KpiError> {
    check_open_unit("margin", margin)?;
    if !(0.0..=1.0).contains(&expected) {
        return Err(invalid(
            "expected",
            &expected.to_string(),
            "a proportion from 0 to 1",
        ));
    }
    let z = z_value(confidence)?;
    Ok(ceil_count(
        z * z * expected * (1.0 - expected) / (margin * margin),
    ))
}

/// The number of answers needed for an NPS to within `± margin_points` NPS points with
/// the adjusted-Wald interval: `⌈z² · Var / E² − 3⌉` with `Var = p + d − (p − d)²`,
/// `p` and `d` the expected promoter and detractor shares (`p = d = 0.5` is the worst
/// case, `Var = 1`).
///
/// # Errors
///
/// [`KpiErrorKind::InvalidArgument`] when the margin is not in `(0, 200)` points, the
/// shares are not in `[0, 1]` or add up to more than 1, or the confidence level is not
/// in `(0, 1)`.
///
/// # Example
///
/// ```
/// use patronage::kpi::sample_size_nps;
///
/// assert_eq!(sample_size_nps(10.0, 0.5, 0.5, 0.95)?, 382);
/// assert_eq!(sample_size_nps(10.0, 0.5, 0.2, 0.95)?, 232);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn sample_size_nps(
    margin_points: f64,
    promoters: f64,
    detractors: f64,
    confidence: f64,
) -> Result<u64, KpiError> {
    if !(margin_points > 0.0 && margin_points < 200.0) {
        return Err(invalid(
            "margin_points",
            &margin_points.to_string(),
            "a margin above 0 and below 200 NPS points",
        ));
    }
    let shares_ok = (0.0..=1.0).contains(&promoters)
        && (0.0..=1.0).contains(&detractors)
        && promoters + detractors <= 1.0;
    if !shares_ok {
        return Err(invalid(
            "promoters + detractors",
            &format!("{promoters} + {detractors}"),
            "two shares from 0 to 1 adding up to at most 1",
        ));
    }
    let z = z_value(confidence)?;
    let margin = margin_points / 100.0;
    let variance = promoters + detractors - (promoters - detractors).powi(2);
    Ok(ceil_count(z * z * variance / (margin * margin) - 3.0))
}

/// The number of observations needed to estimate a mean to within `± margin`, given
/// the standard deviation `sd` expected: `⌈(z · sd / margin)²⌉` (the normal
/// approximation; add a few observations below 30).
///
/// # Errors
///
/// [`KpiErrorKind::InvalidArgument`] when `margin` is not above 0, `sd` is negative or
/// not finite, or the confidence level is not in `(0, 1)`.
///
/// # Example
///
/// ```
/// // CSAT with sd 1.0 to within ±0.1: (1.96 · 1.0 / 0.1)² = 384.1 → 385.
/// assert_eq!(patronage::kpi::sample_size_mean(0.1, 1.0, 0.95)?, 385);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn sample_size_mean(margin: f64, sd: f64, confidence: f64) -> Result<u64, KpiError> {
    if !(margin.is_finite() && margin > 0.0) {
        return Err(invalid(
            "margin",
            &margin.to_string(),
            "a finite margin above 0",
        ));
    }
    if !(sd.is_finite() && sd >= 0.0) {
        return Err(invalid("sd", &sd.to_string(), "a finite number >= 0"));
    }
    let z = z_value(confidence)?;
    Ok(ceil_count((z * sd / margin).powi(2)))
}

/// Wilson limits for `x` of `n > 0` with critical value `z`; exact at the ends.
pub(crate) fn wilson_limits(x: u64, n: u64, z: f64) -> (f64, f64) {
    let n_f = n as f64;
    let p = x as f64 / n_f;
    let z2 = z * z;
    let denom = 1.0 + z2 / n_f;
    let centre = (p + z2 / (2.0 * n_f)) / denom;
    let half = z / denom * (p * (1.0 - p) / n_f + z2 / (4.0 * n_f * n_f)).sqrt();
    let lower = if x == 0 {
        0.0
    } else {
        (centre - half).clamp(0.0, 1.0).min(p)
    };
    let upper = if x == n {
        1.0
    } else {
        (centre + half).clamp(0.0, 1.0).max(p)
    };
    (lower, upper)
}

pub(crate) fn check_confidence(confidence: f64) -> Result<(), KpiError> {
    if confidence > 0.0 && confidence < 1.0 {
        Ok(())
    } else {
        Err(invalid(
            "confidence",
            &confidence.to_string(),
            "a level strictly between 0 and 1, such as 0.95",
        ))
    }
}

fn check_open_unit(name: &'static str, value: f64) -> Result<(), KpiError> {
    if value > 0.0 && value < 1.0 {
        Ok(())
    } else {
        Err(invalid(
            name,
            &value.to_string(),
            "a share strictly between 0 and 1",
        ))
    }
}

pub(crate) fn check_part(
    part: &'static str,
    part_value: u64,
    whole: &'static str,
    whole_value: u64,
) -> Result<(), KpiError> {
    if part_value <= whole_value {
        Ok(())
    } else {
        Err(KpiError::new(KpiErrorKind::CountsInconsistent {
            part,
            part_value,
            whole,
            whole_value,
        }))
    }
}

pub(crate) fn invalid(name: &'static str, value: &str, expected: &'static str) -> KpiError {
    KpiError::new(KpiErrorKind::InvalidArgument {
        name,
        value: value.to_owned(),
        expected: expected.to_owned(),
    })
}

/// Rounds a positive requirement up to a whole count; tiny negative values (from the
/// `− 3` of the NPS formula) become 0 and floating noise just above a whole number is
/// not rounded up.
fn ceil_count(value: f64) -> u64 {
    if value <= 0.0 {
        return 0;
    }
    let rounded = value.round();
    if (value - rounded).abs() < 1e-9 {
        rounded as u64
    } else {
        value.ceil() as u64
    }
}
