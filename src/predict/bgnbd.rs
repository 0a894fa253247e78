//! BG/NBD (Fader, Hardie & Lee 2005, "Counting your customers the easy way"):
//! likelihood, maximum-likelihood fit, P(alive) and expected purchases.

use serde::{Deserialize, Serialize};

use crate::predict::optimize::{invert_spd, minimize_or_fail, penalized_objective};
use crate::predict::special::{digamma, hyp2f1, ln_add_exp, ln_gamma};
use crate::predict::{FitOptions, FitReport, Observation, ObservationTable};
use crate::predict::{PredictError, PredictErrorKind};

const MODEL: &str = "bgnbd";

/// Fitted BG/NBD parameters: purchase rates are Gamma(`r`, `alpha`) across customers
/// (`alpha` in the observations' time unit), and the probability of dropping out after
/// each purchase is Beta(`a`, `b`).
///
/// All four are positive and finite ([`BgNbdParams::new`] checks, and so does the
/// serde form).
///
/// # Example
///
/// ```
/// use patronage::predict::{BgNbdParams, Observation};
///
/// // The published CDNOW estimates (weeks).
/// let params = BgNbdParams::new(0.243, 4.414, 0.793, 2.426)?;
/// let customer = Observation::new(2.0, 30.43, 38.86)?;
/// let expected = params.expected_purchases(&customer, 39.0)?;
/// assert!((expected - 1.226).abs() < 5e-4);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "RawBgNbd", into = "RawBgNbd")]
pub struct BgNbdParams {
    r: f64,
    alpha: f64,
    a: f64,
    b: f64,
    period_days: Option<f64>,
}

#[derive(Clone, Copy, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawBgNbd {
    r: f64,
    alpha: f64,
    a: f64,
    b: f64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    period_days: Option<f64>,
}

impl TryFrom<RawBgNbd> for BgNbdParams {
    type Error = PredictError;

    fn try_from(raw: RawBgNbd) -> Result<BgNbdParams, PredictError> {
        let params = BgNbdParams::new(raw.r, raw.alpha, raw.a, raw.b)?;
        match raw.period_days {
            Some(days) => params.with_period_days(days),
            None => Ok(params),
        }
    }
}

impl From<BgNbdParams> for RawBgNbd {
    fn from(p: BgNbdParams) -> RawBgNbd {
        RawBgNbd {
            r: p.r,
            alpha: p.alpha,
            a: p.a,
            b: p.b,
            period_days: p.period_days,
        }
    }
}

/// A BG/NBD fit: the parameters, the log-likelihood they reach and how the optimiser
/// got there.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct BgNbdFit {
    /// The maximum-likelihood (or penalised) estimates.
    pub params: BgNbdParams,
    /// The total log-likelihood of the data at `params`, without the penalty.
    pub log_likelihood: f64,
    /// Standard errors of `r`, `alpha`, `a`, `b` (in that order) from the inverse of
    /// the numerical Hessian of the fitted objective; `None` when that Hessian is not
    /// positive definite (the estimate is then not a proper maximum, and no honest
    /// error bar exists).
    pub standard_errors: Option<[f64; 4]>,
    /// Convergence diagnostics.
    pub report: FitReport,
}

impl BgNbdParams {
    /// Parameters `r`, `alpha`, `a`, `b`.
    ///
    /// # Errors
    ///
    /// [`PredictErrorKind::InvalidParameter`] when one is not positive and finite.
    ///
    /// # Example
    ///
    /// ```
    /// use patronage::predict::BgNbdParams;
    ///
    /// let err = BgNbdParams::new(0.243, -1.0, 0.793, 2.426).unwrap_err();
    /// assert_eq!(err.to_string(), "`bgnbd` parameter `alpha` is -1: expected a positive finite number");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn new(r: f64, alpha: f64, a: f64, b: f64) -> Result<BgNbdParams, PredictError> {
        for (name, value) in [("r", r), ("alpha", alpha), ("a", a), ("b", b)] {
            check_parameter(MODEL, name, value)?;
        }
        Ok(BgNbdParams {
            r,
            alpha,
            a,
            b,
            period_days: None,
        })
    }

    /// These parameters declared as per periods of `period_days` days (7 for weeks: the
    /// published CDNOW fits). A fit keeps the unit of the table it was fitted on; a
    /// model with a unit refuses to predict on a table in another
    /// ([`ClvModel::predict_table`](crate::predict::ClvModel::predict_table)).
    ///
    /// # Errors
    ///
    /// [`PredictErrorKind::InvalidOption`] when `period_days` is not positive and finite.
    pub fn with_period_days(self, period_days: f64) -> Result<BgNbdParams, PredictError> {
        crate::predict::observation::check_period_days(period_days)?;
        Ok(BgNbdParams {
            period_days: Some(period_days),
            ..self
        })
    }

    /// The time unit of the parameters in days, if known.
    pub fn period_days(&self) -> Option<f64> {
        self.period_days
    }

    /// Shape of the Gamma distribution of purchase rates.
    pub fn r(&self) -> f64 {
        self.r
    }

    /// Scale of the Gamma distribution of purchase rates (in the time unit).
    pub fn alpha(&self) -> f64 {
        self.alpha
    }

    /// First shape of the Beta distribution of drop-out probabilities.
    pub fn a(&self) -> f64 {
        self.a
    }

    /// Second shape of the Beta distribution of drop-out probabilities.
    pub fn b(&self) -> f64 {
        self.b
    }

    /// The log-likelihood of one customer's observation, computed in log space (a sum of
    /// `ln Γ` terms and one `ln(eᴬ + eᴮ)`), so it stays finite for long histories.
    ///
    /// # Example
    ///
    /// ```
    /// use patronage::predict::{BgNbdParams, Observation};
    ///
    /// let params = BgNbdParams::new(0.243, 4.414, 0.793, 2.426)?;
    /// let ll = params.log_likelihood(&Observation::new(0.0, 0.0, 38.86)?);
    /// assert!(ll < 0.0);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn log_likelihood(&self, observation: &Observation) -> f64 {
        let x = observation.frequency();
        let Self { r, alpha, a, b, .. } = *self;
        let a1 = ln_gamma(r + x) - ln_gamma(r) + r * alpha.ln();
        let a2 = ln_gamma(a + b) + ln_gamma(b + x) - ln_gamma(b) - ln_gamma(a + b + x);
        let a3 = -(r + x) * (alpha + observation.age()).ln();
        if x > 0.0 {
            let a4 = a.ln() - (b + x - 1.0).ln() - (r + x) * (alpha + observation.t_x()).ln();
            a1 + a2 + ln_add_exp(a3, a4)
        } else {
            a1 + a2 + a3
        }
    }

    /// The total log-likelihood of a table.
    ///
    /// # Example
    ///
    /// ```
    /// use patronage::predict::{BgNbdParams, Observation, ObservationTable};
    ///
    /// let params = BgNbdParams::new(0.243, 4.414, 0.793, 2.426)?;
    /// let table: ObservationTable = [Observation::new(0.0, 0.0, 38.86)?].into_iter().collect();
    /// assert_eq!(params.total_log_likelihood(&table), params.log_likelihood(&table.get(0).ok_or("row")?));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn total_log_likelihood(&self, table: &ObservationTable) -> f64 {
        table.iter().map(|s| self.log_likelihood(&s)).sum()
    }

    /// P(alive): the probability that the customer has not dropped out by the end of
    /// the observation period, given the observation. Always 1 for a customer without repeat
    /// purchases (in BG/NBD drop-out can only happen right after a purchase).
    ///
    /// Computed as a logistic of a log-odds, so it stays within [0, 1] exactly.
    ///
    /// # Example
    ///
    /// ```
    /// use patronage::predict::{BgNbdParams, Observation};
    ///
    /// let params = BgNbdParams::new(0.243, 4.414, 0.793, 2.426)?;
    /// let recent = params.p_alive(&Observation::new(5.0, 38.0, 38.86)?);
    /// let lapsed = params.p_alive(&Observation::new(5.0, 5.0, 38.86)?);
    /// assert!(recent > 0.8 && lapsed < 0.01);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn p_alive(&self, observation: &Observation) -> f64 {
        let x = observation.frequency();
        if x == 0.0 {
            return 1.0;
        }
        let log_odds_dead = (self.a / (self.b + x - 1.0)).ln()
            + (self.r + x)
                * ((self.alpha + observation.age()) / (self.alpha + observation.t_x())).ln();
        logistic(-log_odds_dead)
    }

    /// The expected number of purchases in the next `horizon` time units, given the
    /// observation (the conditional expectation of Fader, Hardie & Lee, eq. 10).
    ///
    /// # Why the case `a = 1` is interpolated
    ///
    /// The formula has a removable singularity at `a = 1` (a factor `1/(a − 1)`
    /// times a term that vanishes there). Within 1e-5 of 1 the value is linearly
    /// interpolated between `a = 1 ± 1e-5`, which is accurate to about 1e-10 relative;
    /// evaluating the formula there directly would lose all digits to cancellation.
    ///
    /// # Errors
    ///
    /// [`PredictErrorKind::InvalidOption`] when `horizon` is negative or not finite;
    /// [`PredictErrorKind::InvalidParameter`] when `a + b <= 1` for a customer
    /// without repeat purchases (the expectation is then undefined);
    /// [`PredictErrorKind::SeriesNotConverged`] for horizons beyond about ten
    /// thousand times `alpha + age`.
    ///
    /// # Example
    ///
    /// ```
    /// use patronage::predict::{BgNbdParams, Observation};
    ///
    /// let params = BgNbdParams::new(0.243, 4.414, 0.793, 2.426)?;
    /// let customer = Observation::new(2.0, 30.43, 38.86)?;
    /// assert!(params.expected_purchases(&customer, 52.0)? > params.expected_purchases(&customer, 39.0)?);
    /// let err = params.expected_purchases(&customer, -1.0).unwrap_err();
    /// assert_eq!(err.to_string(), "option `horizon` is -1: expected a non-negative finite time");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn expected_purchases(
        &self,
        observation: &Observation,
        horizon: f64,
    ) -> Result<f64, PredictError> {
        check_horizon(horizon)?;
        let h = 1e-5;
        if (self.a - 1.0).abs() < h {
            let below = self.expected_purchases_at_a(1.0 - h, observation, horizon)?;
            let above = self.expected_purchases_at_a(1.0 + h, observation, horizon)?;
            return Ok(below + (self.a - (1.0 - h)) / (2.0 * h) * (above - below));
        }
        self.expected_purchases_at_a(self.a, observation, horizon)
    }

    fn expected_purchases_at_a(
        &self,
        a: f64,
        observation: &Observation,
        horizon: f64,
    ) -> Result<f64, PredictError> {
        let Self { r, alpha, b, .. } = *self;
        let (x, t_x, age) = (
            observation.frequency(),
            observation.t_x(),
            observation.age(),
        );
        let c = a + b + x - 1.0;
        if c <= 0.0 {
            return Err(PredictError::new(PredictErrorKind::InvalidParameter {
                model: MODEL,
                name: "b",
                value: b,
                expected: "`a + b` > 1, without which the expected purchases of a customer with no repeat purchase are undefined",
            }));
        }
        if horizon == 0.0 {
            return Ok(0.0);
        }
        let z = horizon / (alpha + age + horizon);
        let series = hyp2f1(r + x, b + x, c, z).map_err(|terms| {
            PredictError::new(PredictErrorKind::SeriesNotConverged { z, terms })
        })?;
        // ((α + T) / (α + T + t))^(r + x) = (1 − z)^(r + x).
        let ln_tail = series.ln() + (r + x) * (-z).ln_1p();
        let numerator = c / (a - 1.0) * -ln_tail.exp_m1();
        let denominator = if x > 0.0 {
            1.0 + (a / (b + x - 1.0)) * ((alpha + age) / (alpha + t_x)).powf(r + x)
        } else {
            1.0
        };
        Ok(numerator / denominator)
    }

    /// The expected number of purchases in `horizon` time units by a customer picked
    /// at random at their first purchase (the unconditional expectation, eq. 9).
    ///
    /// # Errors
    ///
    /// As [`BgNbdParams::expected_purchases`].
    ///
    /// # Example
    ///
    /// ```
    /// use patronage::predict::BgNbdParams;
    ///
    /// let params = BgNbdParams::new(0.243, 4.414, 0.793, 2.426)?;
    /// let expected = params.unconditional_expected_purchases(39.0)?;
    /// assert!(expected > 0.0 && expected < 2.0);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn unconditional_expected_purchases(&self, horizon: f64) -> Result<f64, PredictError> {
        // Conditioning on "no repeat purchase in no time" is no condition at all.
        let newcomer = Observation::new(0.0, 0.0, 0.0)?;
        self.expected_purchases(&newcomer, horizon)
    }

    /// The probability that a customer picked at random at their first purchase makes
    /// exactly `n` repeat purchases in `horizon` time units (eq. 8).
    ///
    /// # Errors
    ///
    /// [`PredictErrorKind::InvalidOption`] when `horizon` is negative or not finite.
    ///
    /// # Example
    ///
    /// ```
    /// use patronage::predict::BgNbdParams;
    ///
    /// let params = BgNbdParams::new(0.243, 4.414, 0.793, 2.426)?;
    /// let total: f64 = (0..200).map(|n| params.probability_of_purchases(n, 39.0)).sum::<Result<f64, _>>()?;
    /// assert!((total - 1.0).abs() < 1e-9);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn probability_of_purchases(&self, n: u32, horizon: f64) -> Result<f64, PredictError> {
        check_horizon(horizon)?;
        let Self { r, alpha, a, b, .. } = *self;
        let nf = f64::from(n);
        let ln_beta = |p: f64, q: f64| ln_gamma(p) + ln_gamma(q) - ln_gamma(p + q);
        let ln_p = (alpha / (alpha + horizon)).ln();
        let ln_q = (horizon / (alpha + horizon)).ln();
        let ln_nb = |j: f64| {
            let power = if j == 0.0 { 0.0 } else { j * ln_q };
            ln_gamma(r + j) - ln_gamma(r) - ln_gamma(j + 1.0) + power
        };
        let first = (ln_beta(a, b + nf) - ln_beta(a, b) + ln_nb(nf) + r * ln_p).exp();
        if n == 0 {
            return Ok(first);
        }
        let finite_sum: f64 = (0..n).map(|j| ln_nb(f64::from(j)).exp()).sum();
        let second = (ln_beta(a + 1.0, b + nf - 1.0) - ln_beta(a, b)).exp()
            * (1.0 - (r * ln_p).exp() * finite_sum);
        Ok(first + second)
    }

    /// Standard errors at these parameters for the given data, from the numerical
    /// Hessian of the total log-likelihood (plus the penalty); `None` when the
    /// Hessian is not negative definite.
    fn standard_errors(&self, groups: &Groups, penalizer: f64) -> Option<[f64; 4]> {
        let at = [self.r, self.alpha, self.a, self.b];
        let mut hessian = [[0.0; 4]; 4];
        for (j, row) in hessian.iter_mut().enumerate() {
            let step = 1e-5 * at.get(j)?;
            let (mut up, mut down) = (at, at);
            *up.get_mut(j)? += step;
            *down.get_mut(j)? -= step;
            let g_up = penalized_gradient(groups, &up, penalizer);
            let g_down = penalized_gradient(groups, &down, penalizer);
            for (i, cell) in row.iter_mut().enumerate() {
                // Information matrix: the negative Hessian of the log-likelihood.
                *cell = -(g_up.get(i)? - g_down.get(i)?) / (2.0 * step);
            }
        }
        let symmetric = symmetrize(&hessian);
        let covariance = invert_spd(&symmetric)?;
        let mut errors = [0.0; 4];
        for (i, error) in errors.iter_mut().enumerate() {
            *error = covariance.get(i)?.get(i)?.sqrt();
        }
        Some(errors)
    }
}

/// Fits BG/NBD by maximum likelihood.
///
/// # How
///
/// Identical `(frequency, t_x, age)` rows are merged with weights, and the
/// terms that depend only on `frequency` are computed once per distinct value, so
/// one likelihood evaluation costs a few logarithms per distinct row. Time is
/// rescaled so that the longest `age` is 10 (as `lifetimes` does), which makes the
/// starting point `r = alpha = a = b = 1` reasonable in any time unit; `alpha` is
/// scaled back at the end. The objective is the mean negative log-likelihood plus
/// `penalizer · (r² + alpha² + a² + b²)` (the `penalizer_coef` of `lifetimes`,
/// there too applied to the parameters in rescaled time), minimised by BFGS
/// on the logarithms of the parameters with the analytical gradient.
///
/// # Errors
///
/// [`PredictErrorKind::Empty`] for an empty table;
/// [`PredictErrorKind::NoRepeatBuyers`] when no customer has `frequency` > 0;
/// [`PredictErrorKind::InvalidOption`] for a bad option;
/// [`PredictErrorKind::NonFiniteLikelihood`] if the start is not finite;
/// [`PredictErrorKind::NotConverged`] when the gradient is still above the tolerance
/// after `max_iterations`.
///
/// # Example
///
/// ```
/// use patronage::predict::{fit_bgnbd, FitOptions, Observation, ObservationTable};
///
/// let table: ObservationTable = [
///     Observation::new(2.0, 30.43, 38.86)?,
///     Observation::new(1.0, 1.71, 38.86)?,
///     Observation::new(0.0, 0.0, 38.86)?,
///     Observation::new(0.0, 0.0, 38.86)?,
///     Observation::new(5.0, 36.0, 38.86)?,
///     Observation::new(3.0, 12.5, 37.0)?,
/// ]
/// .into_iter()
/// .collect();
/// // Six customers are too few to pin four parameters down: a small L2 penalty keeps
/// // the estimate away from the boundary, as with `lifetimes`' `penalizer_coef`.
/// let options = FitOptions::default().with_penalizer(0.001)?;
/// let fit = fit_bgnbd(&table, &options)?;
/// assert!(fit.report.converged);
/// assert!(fit.log_likelihood < 0.0);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn fit_bgnbd(table: &ObservationTable, options: &FitOptions) -> Result<BgNbdFit, PredictError> {
    if table.is_empty() {
        return Err(PredictError::new(PredictErrorKind::Empty { model: MODEL }));
    }
    if table.frequency().iter().all(|&x| x == 0.0) {
        return Err(PredictError::new(PredictErrorKind::NoRepeatBuyers {
            model: MODEL,
            customers: table.len(),
        }));
    }
    let max_age = table.age().iter().fold(0.0_f64, |m, &t| m.max(t));
    let scale = if max_age > 0.0 { 10.0 / max_age } else { 1.0 };
    let groups = Groups::new(table, scale);
    let total_weight = table.len() as f64;
    let penalizer = options.penalizer();
    let objective = penalized_objective(
        |params: &[f64; 4]| ll_and_gradient(&groups, params),
        total_weight,
        penalizer,
    );
    let minimum = minimize_or_fail(MODEL, objective, options)?;
    let [r, alpha_scaled, a, b] = minimum.point.map(f64::exp);
    let scaled = BgNbdParams::new(r, alpha_scaled, a, b)?;
    let standard_errors = scaled
        .standard_errors(&groups, penalizer * total_weight)
        .map(|[se_r, se_alpha, se_a, se_b]| [se_r, se_alpha / scale, se_a, se_b]);
    let mut params = BgNbdParams::new(r, alpha_scaled / scale, a, b)?;
    params.period_days = table.period_days();
    // Back to the data's time unit: each customer's likelihood carries a Jacobian
    // `scale^(-x)`. Summing over the sorted groups keeps the result independent of
    // the row order.
    let (ll_scaled, _) = ll_and_gradient(&groups, &[r, alpha_scaled, a, b]);
    let total_frequency: f64 = groups.by_frequency.iter().map(|g| g.x * g.weight).sum();
    Ok(BgNbdFit {
        params,
        log_likelihood: ll_scaled + scale.ln() * total_frequency,
        standard_errors,
        report: FitReport {
            iterations: minimum.iterations,
            gradient_norm: minimum.gradient_norm,
            converged: minimum.converged,
            customers: table.len(),
            distinct_rows: groups.distinct_rows(),
            penalizer,
        },
    })
}

/// Rows merged by `frequency`, then by `(age, t_x)`, with weights; times
/// rescaled.
struct Groups {
    by_frequency: Vec<FrequencyGroup>,
}

struct FrequencyGroup {
    x: f64,
    weight: f64,
    /// `(t_x, age, weight)`.
    rows: Vec<(f64, f64, f64)>,
}

impl Groups {
    fn new(table: &ObservationTable, scale: f64) -> Groups {
        let mut rows: Vec<(f64, f64, f64)> = table
            .iter()
            .map(|s| (s.frequency(), s.age() * scale, s.t_x() * scale))
            .collect();
        rows.sort_by(|l, r| {
            l.0.total_cmp(&r.0)
                .then(l.1.total_cmp(&r.1))
                .then(l.2.total_cmp(&r.2))
        });
        let mut by_frequency: Vec<FrequencyGroup> = Vec::new();
        for (x, age, t_x) in rows {
            let group = match by_frequency.last_mut() {
                Some(group) if group.x == x => group,
                _ => {
                    by_frequency.push(FrequencyGroup {
                        x,
                        weight: 0.0,
                        rows: Vec::new(),
                    });
                    match by_frequency.last_mut() {
                        Some(group) => group,
                        None => continue,
                    }
                }
            };
            group.weight += 1.0;
            match group.rows.last_mut() {
                Some(last) if last.0 == t_x && last.1 == age => last.2 += 1.0,
                _ => group.rows.push((t_x, age, 1.0)),
            }
        }
        Groups { by_frequency }
    }

    fn distinct_rows(&self) -> usize {
        self.by_frequency.iter().map(|g| g.rows.len()).sum()
    }
}

/// Total log-likelihood and its gradient in `(r, alpha, a, b)`.
fn ll_and_gradient(groups: &Groups, params: &[f64; 4]) -> (f64, [f64; 4]) {
    let [r, alpha, a, b] = *params;
    let (ln_alpha, ln_a) = (alpha.ln(), a.ln());
    let (lg_r, lg_b, lg_ab) = (ln_gamma(r), ln_gamma(b), ln_gamma(a + b));
    let (dg_r, dg_b, dg_ab) = (digamma(r), digamma(b), digamma(a + b));
    let mut ll = 0.0;
    let mut gradient = [0.0; 4];
    for group in &groups.by_frequency {
        let x = group.x;
        let w = group.weight;
        let a1 = ln_gamma(r + x) - lg_r + r * ln_alpha;
        let a2 = lg_ab + ln_gamma(b + x) - lg_b - ln_gamma(a + b + x);
        let dg_rx = digamma(r + x);
        let dg_bx = digamma(b + x);
        let dg_abx = digamma(a + b + x);
        ll += w * (a1 + a2);
        gradient[0] += w * (dg_rx - dg_r + ln_alpha);
        gradient[1] += w * r / alpha;
        gradient[2] += w * (dg_ab - dg_abx);
        gradient[3] += w * (dg_ab + dg_bx - dg_b - dg_abx);
        let rx = r + x;
        if x > 0.0 {
            let ln_ratio = ln_a - (b + x - 1.0).ln();
            let inv_bx1 = 1.0 / (b + x - 1.0);
            // Rows are sorted by age, so its logarithm is computed once per run.
            let (mut cached_age, mut ln_age, mut inv_age) = (f64::NAN, 0.0, 0.0);
            for &(t_x, age, weight) in &group.rows {
                if age != cached_age {
                    cached_age = age;
                    ln_age = (alpha + age).ln();
                    inv_age = 1.0 / (alpha + age);
                }
                let ln_rec = (alpha + t_x).ln();
                let a3 = -rx * ln_age;
                let a4 = ln_ratio - rx * ln_rec;
                // ln(e^A3 + e^A4) and w4 = e^A4 / (e^A3 + e^A4) from one exponential.
                let gap = a4 - a3;
                let small = (-gap.abs()).exp();
                let (ln_sum, w4) = if gap >= 0.0 {
                    (a4 + small.ln_1p(), 1.0 / (1.0 + small))
                } else {
                    (a3 + small.ln_1p(), small / (1.0 + small))
                };
                let w3 = 1.0 - w4;
                ll += weight * ln_sum;
                gradient[0] -= weight * (w3 * ln_age + w4 * ln_rec);
                gradient[1] -= weight * rx * (w3 * inv_age + w4 / (alpha + t_x));
                gradient[2] += weight * w4 / a;
                gradient[3] -= weight * w4 * inv_bx1;
            }
        } else {
            for &(_, age, weight) in &group.rows {
                let ln_age = (alpha + age).ln();
                ll -= weight * rx * ln_age;
                gradient[0] -= weight * ln_age;
                gradient[1] -= weight * rx / (alpha + age);
            }
        }
    }
    (ll, gradient)
}

/// Gradient of `total log-likelihood − penalizer_total · Σ p²`.
fn penalized_gradient(groups: &Groups, params: &[f64; 4], penalizer_total: f64) -> [f64; 4] {
    let (_, mut gradient) = ll_and_gradient(groups, params);
    for (g, p) in gradient.iter_mut().zip(params) {
        *g -= 2.0 * penalizer_total * p;
    }
    gradient
}

pub(crate) fn symmetrize<const N: usize>(m: &[[f64; N]; N]) -> [[f64; N]; N] {
    let mut out = *m;
    for (i, row) in out.iter_mut().enumerate() {
        for (j, cell) in row.iter_mut().enumerate() {
            let transposed = m.get(j).and_then(|r| r.get(i)).copied().unwrap_or(*cell);
            *cell = 0.5 * (*cell + transposed);
        }
    }
    out
}

pub(crate) fn logistic(x: f64) -> f64 {
    if x >= 0.0 {
        1.0 / (1.0 + (-x).exp())
    } else {
        let e = x.exp();
        e / (1.0 + e)
    }
}

pub(crate) fn check_parameter(
    model: &'static str,
    name: &'static str,
    value: f64,
) -> Result<(), PredictError> {
    if value.is_finite() && value > 0.0 {
        Ok(())
    } else {
        Err(PredictError::new(PredictErrorKind::InvalidParameter {
            model,
            name,
            value,
            expected: "a positive finite number",
        }))
    }
}

pub(crate) fn check_horizon(horizon: f64) -> Result<(), PredictError> {
    if horizon.is_finite() && horizon >= 0.0 {
        Ok(())
    } else {
        Err(PredictError::new(PredictErrorKind::InvalidOption {
            name: "horizon",
            value: horizon,
            expected: "a non-negative finite time",
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table() -> ObservationTable {
        [
            (2.0, 30.43, 38.86),
            (1.0, 1.71, 38.86),
            (0.0, 0.0, 38.86),
            (0.0, 0.0, 38.86),
            (5.0, 36.0, 38.86),
            (3.0, 12.5, 37.0),
            (3.0, 12.5, 37.0),
        ]
        .into_iter()
        .map(|(x, t_x, t)| Observation::new(x, t_x, t).unwrap())
        .collect()
    }

    #[test]
    fn gradient_matches_finite_differences() {
        let groups = Groups::new(&table(), 1.0);
        let params = [0.4, 3.0, 0.8, 2.2];
        let (ll, gradient) = ll_and_gradient(&groups, &params);
        let direct: f64 = {
            let p = BgNbdParams::new(0.4, 3.0, 0.8, 2.2).unwrap();
            p.total_log_likelihood(&table())
        };
        assert!((ll - direct).abs() < 1e-12, "{ll} vs {direct}");
        for k in 0..4 {
            let h = 1e-6;
            let (mut up, mut down) = (params, params);
            up[k] += h;
            down[k] -= h;
            let numeric =
                (ll_and_gradient(&groups, &up).0 - ll_and_gradient(&groups, &down).0) / (2.0 * h);
            assert!(
                (numeric - gradient[k]).abs() < 1e-6 * numeric.abs().max(1.0),
                "component {k}: {numeric} vs {}",
                gradient[k]
            );
        }
    }

    #[test]
    fn groups_merge_identical_rows() {
        let groups = Groups::new(&table(), 1.0);
        assert_eq!(groups.distinct_rows(), 5);
        assert_eq!(groups.by_frequency.len(), 5);
    }

    #[test]
    fn a_near_one_is_continuous() {
        let customer = Observation::new(2.0, 30.43, 38.86).unwrap();
        let at = |a: f64| {
            BgNbdParams::new(0.243, 4.414, a, 2.426)
                .unwrap()
                .expected_purchases(&customer, 39.0)
                .unwrap()
        };
        let (below, one, above) = (at(1.0 - 2e-5), at(1.0), at(1.0 + 2e-5));
        assert!(
            (one - 0.5 * (below + above)).abs() < 1e-8,
            "{below} {one} {above}"
        );
    }
}
