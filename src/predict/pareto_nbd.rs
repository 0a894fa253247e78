//! Pareto/NBD (Schmittlein, Morrison & Colombo 1987), in the form of Fader, Hardie &
//! Lee's note "A note on deriving the Pareto/NBD model and related expressions"
//! (2005): likelihood, maximum-likelihood fit, P(alive) and expected purchases.
//!
//! The likelihood needs the Gauss hypergeometric function at
//! `z = |α − β| / (max(α, β) + t)`, always in [0, 1) with positive parameters, where
//! the series of [`hyp2f1`] is a sum of positive terms (see its docs).

use serde::{Deserialize, Serialize};

use crate::predict::bgnbd::{check_horizon, check_parameter, logistic, symmetrize};
use crate::predict::optimize::{invert_spd, minimize_or_fail};
use crate::predict::special::{hyp2f1, ln_add_exp, ln_gamma};
use crate::predict::{FitOptions, FitReport, Observation, ObservationTable};
use crate::predict::{PredictError, PredictErrorKind};

const MODEL: &str = "pareto_nbd";

/// Relative step of the central differences that give the fit its gradient.
const GRADIENT_STEP: f64 = 1e-5;

/// Fitted Pareto/NBD parameters: purchase rates are Gamma(`r`, `alpha`) across
/// customers and drop-out rates Gamma(`s`, `beta`) (`alpha`, `beta` in the
/// observations' time unit).
///
/// All four are positive and finite ([`ParetoNbdParams::new`] checks, and so does the
/// serde form).
///
/// # Example
///
/// ```
/// use patronage::predict::{ParetoNbdParams, Observation};
///
/// // The published CDNOW estimates (weeks).
/// let params = ParetoNbdParams::new(0.553, 10.578, 0.606, 11.669)?;
/// let customer = Observation::new(2.0, 30.43, 38.86)?;
/// let p_alive = params.p_alive(&customer)?;
/// assert!(p_alive > 0.0 && p_alive < 1.0);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "RawParetoNbd", into = "RawParetoNbd")]
pub struct ParetoNbdParams {
    r: f64,
    alpha: f64,
    s: f64,
    beta: f64,
}

#[derive(Clone, Copy, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawParetoNbd {
    r: f64,
    alpha: f64,
    s: f64,
    beta: f64,
}

impl TryFrom<RawParetoNbd> for ParetoNbdParams {
    type Error = PredictError;

    fn try_from(raw: RawParetoNbd) -> Result<ParetoNbdParams, PredictError> {
        ParetoNbdParams::new(raw.r, raw.alpha, raw.s, raw.beta)
    }
}

impl From<ParetoNbdParams> for RawParetoNbd {
    fn from(p: ParetoNbdParams) -> RawParetoNbd {
        RawParetoNbd {
            r: p.r,
            alpha: p.alpha,
            s: p.s,
            beta: p.beta,
        }
    }
}

/// A Pareto/NBD fit: the parameters, the log-likelihood they reach and how the
/// optimiser got there.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ParetoNbdFit {
    /// The maximum-likelihood (or penalised) estimates.
    pub params: ParetoNbdParams,
    /// The total log-likelihood of the data at `params`, without the penalty.
    pub log_likelihood: f64,
    /// Standard errors of `r`, `alpha`, `s`, `beta` (in that order) from the inverse
    /// of the numerical Hessian; `None` when it is not positive definite.
    pub standard_errors: Option<[f64; 4]>,
    /// Convergence diagnostics.
    pub report: FitReport,
}

impl ParetoNbdParams {
    /// Parameters `r`, `alpha`, `s`, `beta`.
    ///
    /// # Errors
    ///
    /// [`PredictErrorKind::InvalidParameter`] when one is not positive and finite.
    ///
    /// # Example
    ///
    /// ```
    /// use patronage::predict::ParetoNbdParams;
    ///
    /// let err = ParetoNbdParams::new(0.553, 10.578, 0.0, 11.669).unwrap_err();
    /// assert_eq!(err.to_string(), "`pareto_nbd` parameter `s` is 0: expected a positive finite number");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn new(r: f64, alpha: f64, s: f64, beta: f64) -> Result<ParetoNbdParams, PredictError> {
        for (name, value) in [("r", r), ("alpha", alpha), ("s", s), ("beta", beta)] {
            check_parameter(MODEL, name, value)?;
        }
        Ok(ParetoNbdParams { r, alpha, s, beta })
    }

    /// Shape of the Gamma distribution of purchase rates.
    pub fn r(&self) -> f64 {
        self.r
    }

    /// Scale of the Gamma distribution of purchase rates (in the time unit).
    pub fn alpha(&self) -> f64 {
        self.alpha
    }

    /// Shape of the Gamma distribution of drop-out rates.
    pub fn s(&self) -> f64 {
        self.s
    }

    /// Scale of the Gamma distribution of drop-out rates (in the time unit).
    pub fn beta(&self) -> f64 {
        self.beta
    }

    /// The log-likelihood of one customer's observation, computed in log space.
    ///
    /// # Errors
    ///
    /// [`PredictErrorKind::SeriesNotConverged`] when a hypergeometric series does not
    /// converge (only when `alpha` and `beta` differ by many orders of magnitude
    /// and the history is short compared with the larger one).
    ///
    /// # Example
    ///
    /// ```
    /// use patronage::predict::{ParetoNbdParams, Observation};
    ///
    /// let params = ParetoNbdParams::new(0.553, 10.578, 0.606, 11.669)?;
    /// assert!(params.log_likelihood(&Observation::new(0.0, 0.0, 38.86)?)? < 0.0);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn log_likelihood(&self, observation: &Observation) -> Result<f64, PredictError> {
        let parts = self.parts(
            observation.frequency(),
            observation.t_x(),
            observation.age(),
        )?;
        Ok(parts.prefix + ln_add_exp(parts.survived, parts.dropped))
    }

    /// The total log-likelihood of a table.
    ///
    /// # Errors
    ///
    /// As [`ParetoNbdParams::log_likelihood`], naming the row.
    ///
    /// # Example
    ///
    /// ```
    /// use patronage::predict::{ParetoNbdParams, Observation, ObservationTable};
    ///
    /// let params = ParetoNbdParams::new(0.553, 10.578, 0.606, 11.669)?;
    /// let table: ObservationTable = [Observation::new(1.0, 1.71, 38.86)?].into_iter().collect();
    /// assert!(params.total_log_likelihood(&table)? < 0.0);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn total_log_likelihood(&self, table: &ObservationTable) -> Result<f64, PredictError> {
        let mut total = 0.0;
        for (row, observation) in table.iter().enumerate() {
            total += self
                .log_likelihood(&observation)
                .map_err(|err| err.at_row(row))?;
        }
        Ok(total)
    }

    /// P(alive): the probability that the customer is still active at the end of the
    /// observation period, given the observation. Unlike BG/NBD, a customer without repeat
    /// purchases can have dropped out.
    ///
    /// # Errors
    ///
    /// As [`ParetoNbdParams::log_likelihood`].
    ///
    /// # Example
    ///
    /// ```
    /// use patronage::predict::{ParetoNbdParams, Observation};
    ///
    /// let params = ParetoNbdParams::new(0.553, 10.578, 0.606, 11.669)?;
    /// let recent = params.p_alive(&Observation::new(5.0, 38.0, 38.86)?)?;
    /// let lapsed = params.p_alive(&Observation::new(5.0, 5.0, 38.86)?)?;
    /// assert!(recent > lapsed);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn p_alive(&self, observation: &Observation) -> Result<f64, PredictError> {
        let parts = self.parts(
            observation.frequency(),
            observation.t_x(),
            observation.age(),
        )?;
        // P(alive) = survived / (survived + dropped).
        Ok(logistic(parts.survived - parts.dropped))
    }

    /// The expected number of purchases in the next `horizon` time units, given the
    /// observation:
    /// `(r + x)(β + T) / ((α + T)(s − 1)) · [1 − ((β + T)/(β + T + t))^(s − 1)] · P(alive)`,
    /// evaluated with `expm1` so that `s` near 1 (and the limit `s = 1`, where the
    /// bracket over `s − 1` becomes `ln((β + T + t)/(β + T))`) lose no digits.
    ///
    /// # Errors
    ///
    /// [`PredictErrorKind::InvalidOption`] when `horizon` is negative or not finite,
    /// and those of [`ParetoNbdParams::p_alive`].
    ///
    /// # Example
    ///
    /// ```
    /// use patronage::predict::{ParetoNbdParams, Observation};
    ///
    /// let params = ParetoNbdParams::new(0.553, 10.578, 0.606, 11.669)?;
    /// let customer = Observation::new(2.0, 30.43, 38.86)?;
    /// assert!(params.expected_purchases(&customer, 52.0)? > params.expected_purchases(&customer, 39.0)?);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn expected_purchases(
        &self,
        observation: &Observation,
        horizon: f64,
    ) -> Result<f64, PredictError> {
        check_horizon(horizon)?;
        let Self { r, alpha, s, beta } = *self;
        let (x, age) = (observation.frequency(), observation.age());
        let log_ratio = ((beta + age + horizon) / (beta + age)).ln();
        let shrink = s - 1.0;
        // [1 − e^{−(s−1)L}] / (s − 1), → L as s → 1.
        let bracket = if shrink == 0.0 {
            log_ratio
        } else {
            -(-shrink * log_ratio).exp_m1() / shrink
        };
        Ok((r + x) * (beta + age) / (alpha + age) * bracket * self.p_alive(observation)?)
    }

    /// The log-likelihood split into its prefix and the two terms of the sum:
    /// "still alive at T" and "dropped out between tₓ and T".
    fn parts(&self, x: f64, t_x: f64, age: f64) -> Result<Parts, PredictError> {
        let Self { r, alpha, s, beta } = *self;
        let ln_prefix = ln_gamma(r + x) - ln_gamma(r) + r * alpha.ln() + s * beta.ln();
        let ln_survived = -(r + x) * (alpha + age).ln() - s * (beta + age).ln();
        let rsx = r + s + x;
        // A₀ = F(tₓ) − F(T), with F(t) = ₂F₁(r+s+x, b'; r+s+x+1; |α−β|/(m+t)) / (m+t)^(r+s+x),
        // m = max(α, β), b' = s + 1 when α ≥ β and r + x otherwise.
        let (m, b_param) = if alpha >= beta {
            (alpha, s + 1.0)
        } else {
            (beta, r + x)
        };
        let gap = (alpha - beta).abs();
        let ln_f = |t: f64| -> Result<f64, PredictError> {
            let z = gap / (m + t);
            let series = hyp2f1(rsx, b_param, rsx + 1.0, z).map_err(|terms| {
                PredictError::new(PredictErrorKind::SeriesNotConverged { z, terms })
            })?;
            Ok(series.ln() - rsx * (m + t).ln())
        };
        let (ln_f_recency, ln_f_age) = (ln_f(t_x)?, ln_f(age)?);
        // ln(F(tₓ) − F(T)) = ln F(tₓ) + ln(1 − e^{ln F(T) − ln F(tₓ)}); −∞ when equal.
        let difference = ln_f_age - ln_f_recency;
        let ln_a0 = if difference < 0.0 {
            ln_f_recency + (-difference.exp_m1()).ln()
        } else {
            f64::NEG_INFINITY
        };
        Ok(Parts {
            prefix: ln_prefix,
            survived: ln_survived,
            dropped: (s / rsx).ln() + ln_a0,
        })
    }
}

/// Logarithms of the likelihood's factor and two terms.
struct Parts {
    prefix: f64,
    survived: f64,
    dropped: f64,
}

/// Fits Pareto/NBD by maximum likelihood.
///
/// # How
///
/// As [`fit_bgnbd`](crate::predict::fit_bgnbd): identical rows merged with weights,
/// time rescaled so the longest `age` is 10, start at `r = alpha = s = beta = 1`,
/// BFGS on the log-parameters of the mean negative log-likelihood plus
/// `penalizer · Σ θ²`. The gradient is by central differences (relative step 1e-5),
/// whose error (about 1e-10) is far below the default tolerance: the derivatives of
/// the hypergeometric function in its parameters have no closed form. This makes the
/// fit some 10× slower than BG/NBD's.
///
/// # Errors
///
/// As [`fit_bgnbd`](crate::predict::fit_bgnbd).
///
/// # Example
///
/// ```
/// use patronage::predict::{fit_pareto_nbd, FitOptions, Observation, ObservationTable};
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
/// let options = FitOptions::default().with_penalizer(0.001)?;
/// let fit = fit_pareto_nbd(&table, &options)?;
/// assert!(fit.report.converged);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn fit_pareto_nbd(
    table: &ObservationTable,
    options: &FitOptions,
) -> Result<ParetoNbdFit, PredictError> {
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
    let rows = merged_rows(table, scale);
    let total_weight = table.len() as f64;
    let penalizer = options.penalizer();
    let value_at = |theta: &[f64; 4]| -> f64 {
        let params = theta.map(f64::exp);
        let penalty: f64 = params.iter().map(|p| p * p).sum();
        match total_ll(&rows, &params) {
            Some(ll) => -ll / total_weight + penalizer * penalty,
            None => f64::NAN,
        }
    };
    let objective = |theta: &[f64; 4]| {
        let value = value_at(theta);
        let mut gradient = [0.0; 4];
        for (k, g) in gradient.iter_mut().enumerate() {
            let (mut up, mut down) = (*theta, *theta);
            if let (Some(u), Some(d)) = (up.get_mut(k), down.get_mut(k)) {
                *u += GRADIENT_STEP;
                *d -= GRADIENT_STEP;
            }
            *g = (value_at(&up) - value_at(&down)) / (2.0 * GRADIENT_STEP);
        }
        (value, gradient)
    };
    let minimum = minimize_or_fail(MODEL, objective, options)?;
    let scaled = minimum.point.map(f64::exp);
    let [r, alpha_scaled, s, beta_scaled] = scaled;
    let params = ParetoNbdParams::new(r, alpha_scaled / scale, s, beta_scaled / scale)?;
    let ll_scaled = total_ll(&rows, &scaled)
        .ok_or_else(|| PredictError::new(PredictErrorKind::NonFiniteLikelihood { model: MODEL }))?;
    // Back to the data's time unit: each customer carries a Jacobian `scale^(-x)`.
    let total_frequency: f64 = rows.iter().map(|row| row.0 * row.3).sum();
    let standard_errors = standard_errors(&rows, scaled, penalizer * total_weight)
        .map(|[se_r, se_alpha, se_s, se_beta]| [se_r, se_alpha / scale, se_s, se_beta / scale]);
    Ok(ParetoNbdFit {
        params,
        log_likelihood: ll_scaled + scale.ln() * total_frequency,
        standard_errors,
        report: FitReport {
            iterations: minimum.iterations,
            gradient_norm: minimum.gradient_norm,
            converged: minimum.converged,
            customers: table.len(),
            distinct_rows: rows.len(),
            penalizer,
        },
    })
}

/// `(x, t_x, age, weight)`, sorted, identical rows merged, times rescaled.
fn merged_rows(table: &ObservationTable, scale: f64) -> Vec<(f64, f64, f64, f64)> {
    let mut sorted: Vec<(f64, f64, f64)> = table
        .iter()
        .map(|s| (s.frequency(), s.t_x() * scale, s.age() * scale))
        .collect();
    sorted.sort_by(|l, r| {
        l.0.total_cmp(&r.0)
            .then(l.1.total_cmp(&r.1))
            .then(l.2.total_cmp(&r.2))
    });
    let mut rows: Vec<(f64, f64, f64, f64)> = Vec::new();
    for (x, t_x, age) in sorted {
        match rows.last_mut() {
            Some(last) if last.0 == x && last.1 == t_x && last.2 == age => last.3 += 1.0,
            _ => rows.push((x, t_x, age, 1.0)),
        }
    }
    rows
}

/// The weighted total log-likelihood; `None` when a series fails or a parameter is
/// out of range (the line search then backs off).
fn total_ll(rows: &[(f64, f64, f64, f64)], params: &[f64; 4]) -> Option<f64> {
    let [r, alpha, s, beta] = *params;
    let model = ParetoNbdParams::new(r, alpha, s, beta).ok()?;
    let mut total = 0.0;
    for &(x, t_x, age, weight) in rows {
        let parts = model.parts(x, t_x, age).ok()?;
        total += weight * (parts.prefix + ln_add_exp(parts.survived, parts.dropped));
    }
    total.is_finite().then_some(total)
}

/// Standard errors from the numerical Hessian (second differences) of the total
/// penalised log-likelihood in the natural parameters.
fn standard_errors(
    rows: &[(f64, f64, f64, f64)],
    at: [f64; 4],
    penalizer_total: f64,
) -> Option<[f64; 4]> {
    let f = |p: &[f64; 4]| -> Option<f64> {
        let penalty: f64 = p.iter().map(|v| v * v).sum();
        Some(total_ll(rows, p)? - penalizer_total * penalty)
    };
    let steps = at.map(|p| 1e-4 * p);
    let shifted = |i: usize, di: f64, j: usize, dj: f64| -> Option<f64> {
        let mut p = at;
        *p.get_mut(i)? += di * steps.get(i)?;
        *p.get_mut(j)? += dj * steps.get(j)?;
        f(&p)
    };
    let mut information = [[0.0; 4]; 4];
    for i in 0..4 {
        for j in 0..4 {
            let second =
                (shifted(i, 1.0, j, 1.0)? - shifted(i, 1.0, j, -1.0)? - shifted(i, -1.0, j, 1.0)?
                    + shifted(i, -1.0, j, -1.0)?)
                    / (4.0 * steps.get(i)? * steps.get(j)?);
            *information.get_mut(i)?.get_mut(j)? = -second;
        }
    }
    let covariance = invert_spd(&symmetrize(&information))?;
    let mut errors = [0.0; 4];
    for (i, error) in errors.iter_mut().enumerate() {
        *error = covariance.get(i)?.get(i)?.sqrt();
    }
    Some(errors)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// With α = β the hypergeometric terms are 1 and A₀ has a closed form.
    #[test]
    fn equal_scales_closed_form() {
        let (r, alpha, s) = (0.6, 8.0, 0.7);
        let params = ParetoNbdParams::new(r, alpha, s, alpha).unwrap();
        let (x, t_x, age) = (3.0, 20.0, 38.0);
        let observation = Observation::new(x, t_x, age).unwrap();
        let rsx = r + s + x;
        let likelihood = (ln_gamma(r + x) - ln_gamma(r)).exp()
            * alpha.powf(r + s)
            * ((alpha + age).powf(-(r + s + x))
                + s / rsx * ((alpha + t_x).powf(-rsx) - (alpha + age).powf(-rsx)));
        let got = params.log_likelihood(&observation).unwrap();
        assert!(
            (got - likelihood.ln()).abs() < 1e-12,
            "{got} vs {}",
            likelihood.ln()
        );
    }

    /// The two branches (α ≥ β and α < β) meet continuously.
    #[test]
    fn branches_agree_at_equal_scales() {
        let observation = Observation::new(2.0, 10.0, 30.0).unwrap();
        let at = |beta: f64| {
            ParetoNbdParams::new(0.55, 10.0, 0.6, beta)
                .unwrap()
                .log_likelihood(&observation)
                .unwrap()
        };
        let (below, equal, above) = (at(10.0 - 1e-7), at(10.0), at(10.0 + 1e-7));
        assert!((below - equal).abs() < 1e-8 && (above - equal).abs() < 1e-8);
    }

    #[test]
    fn s_near_one_is_continuous() {
        let observation = Observation::new(2.0, 10.0, 30.0).unwrap();
        let at = |s: f64| {
            ParetoNbdParams::new(0.55, 10.0, s, 12.0)
                .unwrap()
                .expected_purchases(&observation, 39.0)
                .unwrap()
        };
        let (below, one, above) = (at(1.0 - 1e-9), at(1.0), at(1.0 + 1e-9));
        assert!((below - one).abs() < 1e-8 && (above - one).abs() < 1e-8);
    }
}
