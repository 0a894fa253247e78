//! Gamma-Gamma spend model (Fader & Hardie 2013, "The Gamma-Gamma model of monetary
//! value"): likelihood, maximum-likelihood fit on repeat buyers, expected average
//! value per customer, and the independence check.

use serde::{Deserialize, Serialize};

use crate::predict::bgnbd::{check_parameter, symmetrize};
use crate::predict::optimize::{invert_spd, minimize_or_fail, penalized_objective};
use crate::predict::special::{digamma, ln_gamma};
use crate::predict::{FitOptions, FitReport, Observation, ObservationTable};
use crate::predict::{PredictError, PredictErrorKind};

const MODEL: &str = "gamma_gamma";

/// Fitted Gamma-Gamma parameters: each transaction's value is Gamma(`p`, ν) around
/// the customer's own mean, and ν is Gamma(`q`, `v`) across customers (`v` in money
/// units).
///
/// All three are positive and finite ([`GammaGammaParams::new`] checks, and so does
/// the serde form).
///
/// # Example
///
/// ```
/// use patronage::predict::{GammaGammaParams, Observation};
/// use rust_decimal::Decimal;
///
/// // The published CDNOW estimates.
/// let params = GammaGammaParams::new(6.25, 3.74, 15.44)?;
/// let customer = Observation::new(2.0, 30.43, 38.86)?.with_mean_repeat_value(Decimal::new(2235, 2))?;
/// let value = params.expected_average_value(&customer)?;
/// assert!((value - 24.66).abs() < 0.01);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "RawGammaGamma", into = "RawGammaGamma")]
pub struct GammaGammaParams {
    p: f64,
    q: f64,
    v: f64,
}

#[derive(Clone, Copy, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawGammaGamma {
    p: f64,
    q: f64,
    v: f64,
}

impl TryFrom<RawGammaGamma> for GammaGammaParams {
    type Error = PredictError;

    fn try_from(raw: RawGammaGamma) -> Result<GammaGammaParams, PredictError> {
        GammaGammaParams::new(raw.p, raw.q, raw.v)
    }
}

impl From<GammaGammaParams> for RawGammaGamma {
    fn from(params: GammaGammaParams) -> RawGammaGamma {
        RawGammaGamma {
            p: params.p,
            q: params.q,
            v: params.v,
        }
    }
}

/// A Gamma-Gamma fit: parameters, log-likelihood, diagnostics and the independence
/// check.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct GammaGammaFit {
    /// The maximum-likelihood (or penalised) estimates.
    pub params: GammaGammaParams,
    /// The total log-likelihood of the repeat buyers at `params`, without the penalty.
    pub log_likelihood: f64,
    /// Standard errors of `p`, `q`, `v` (in that order) from the numerical Hessian;
    /// `None` when it is not positive definite.
    pub standard_errors: Option<[f64; 3]>,
    /// The model's independence assumption, measured on the data.
    pub independence: IndependenceCheck,
    /// Convergence diagnostics (`customers` counts repeat buyers only).
    pub report: FitReport,
}

/// The Gamma-Gamma model assumes a customer's spend per purchase does not depend on
/// how often they buy. This reports the Pearson correlation between `frequency` and
/// `mean_repeat_value` over the repeat buyers, so the host can judge; it is reported,
/// not enforced (on CDNOW it is about 0.11, which the literature accepts).
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct IndependenceCheck {
    /// Pearson correlation of `frequency` and `mean_repeat_value`; `None` when either
    /// is constant over the repeat buyers.
    pub correlation: Option<f64>,
    /// Repeat buyers it was measured on.
    pub customers: usize,
}

impl GammaGammaParams {
    /// Parameters `p`, `q`, `v`.
    ///
    /// # Errors
    ///
    /// [`PredictErrorKind::InvalidParameter`] when one is not positive and finite.
    ///
    /// # Example
    ///
    /// ```
    /// use patronage::predict::GammaGammaParams;
    ///
    /// let err = GammaGammaParams::new(6.25, f64::NAN, 15.44).unwrap_err();
    /// assert_eq!(err.to_string(), "`gamma_gamma` parameter `q` is NaN: expected a positive finite number");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn new(p: f64, q: f64, v: f64) -> Result<GammaGammaParams, PredictError> {
        for (name, value) in [("p", p), ("q", q), ("v", v)] {
            check_parameter(MODEL, name, value)?;
        }
        Ok(GammaGammaParams { p, q, v })
    }

    /// Shape of the per-transaction value distribution.
    pub fn p(&self) -> f64 {
        self.p
    }

    /// Shape of the distribution of customers' scale parameters.
    pub fn q(&self) -> f64 {
        self.q
    }

    /// Scale of the distribution of customers' scale parameters (money units).
    pub fn v(&self) -> f64 {
        self.v
    }

    /// The mean spend per transaction across customers, `p·v / (q − 1)`.
    ///
    /// # Errors
    ///
    /// [`PredictErrorKind::InvalidParameter`] when `q <= 1` (the mean is infinite).
    ///
    /// # Example
    ///
    /// ```
    /// use patronage::predict::GammaGammaParams;
    ///
    /// let params = GammaGammaParams::new(6.25, 3.74, 15.44)?;
    /// assert!((params.population_mean_value()? - 35.22).abs() < 0.01);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn population_mean_value(&self) -> Result<f64, PredictError> {
        if self.q <= 1.0 {
            return Err(PredictError::new(PredictErrorKind::InvalidParameter {
                model: MODEL,
                name: "q",
                value: self.q,
                expected: "`q` > 1, without which the mean spend per transaction is infinite",
            }));
        }
        Ok(self.p * self.v / (self.q - 1.0))
    }

    /// The expected spend per transaction of this customer: a weighted mean of the
    /// population mean and the customer's own mean repeat value, the customer's
    /// weight growing with `frequency` (the population mean for x = 0).
    ///
    /// # Errors
    ///
    /// As [`GammaGammaParams::population_mean_value`].
    ///
    /// # Example
    ///
    /// ```
    /// use patronage::predict::{GammaGammaParams, Observation};
    ///
    /// let params = GammaGammaParams::new(6.25, 3.74, 15.44)?;
    /// let newcomer = Observation::new(0.0, 0.0, 38.86)?;
    /// assert_eq!(params.expected_average_value(&newcomer)?, params.population_mean_value()?);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn expected_average_value(&self, observation: &Observation) -> Result<f64, PredictError> {
        let population = self.population_mean_value()?;
        let px = self.p * observation.frequency();
        let weight = px / (px + self.q - 1.0);
        Ok((1.0 - weight) * population + weight * observation.mean_repeat_value())
    }

    /// The log-likelihood of one repeat buyer's mean value given their frequency
    /// (`None` for a customer without repeat purchases, who carries no spend
    /// information, or with a zero mean).
    ///
    /// # Example
    ///
    /// ```
    /// use patronage::predict::{GammaGammaParams, Observation};
    ///
    /// let params = GammaGammaParams::new(6.25, 3.74, 15.44)?;
    /// let buyer = Observation::new(2.0, 30.43, 38.86)?.with_mean_repeat_value_f64(22.35)?;
    /// assert!(params.log_likelihood(&buyer).is_some());
    /// assert_eq!(params.log_likelihood(&Observation::new(0.0, 0.0, 38.86)?), None);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn log_likelihood(&self, observation: &Observation) -> Option<f64> {
        let (x, m) = (observation.frequency(), observation.mean_repeat_value());
        if x == 0.0 || m <= 0.0 {
            return None;
        }
        let Self { p, q, v } = *self;
        let px = p * x;
        Some(
            ln_gamma(px + q) - ln_gamma(px) - ln_gamma(q)
                + q * v.ln()
                + (px - 1.0) * m.ln()
                + px * x.ln()
                - (px + q) * (x * m + v).ln(),
        )
    }
}

/// Fits Gamma-Gamma by maximum likelihood on the repeat buyers (`frequency` > 0) of
/// the table; other rows are ignored.
///
/// Identical `(frequency, mean_repeat_value)` rows are merged with weights; values
/// are rescaled so that their mean is 1 (so the start `p = q = v = 1` is sensible in
/// any currency) and `v` is scaled back. The objective is the mean negative
/// log-likelihood plus `penalizer · (p² + q² + v²)` on the rescaled parameters,
/// minimised by BFGS on their logarithms with the analytical gradient.
///
/// # Errors
///
/// [`PredictErrorKind::Empty`] for an empty table;
/// [`PredictErrorKind::NoRepeatBuyers`] when no row has `frequency` > 0;
/// [`PredictErrorKind::NonPositiveSpend`] (with the row) when a repeat buyer's mean
/// repeat value is 0; [`PredictErrorKind::InvalidOption`] for a bad option;
/// [`PredictErrorKind::NonFiniteLikelihood`] or [`PredictErrorKind::NotConverged`]
/// when the optimiser cannot proceed.
///
/// # Example
///
/// ```
/// use patronage::predict::{fit_gamma_gamma, FitOptions, Observation, ObservationTable};
///
/// let rows = [(2.0, 22.35), (1.0, 11.77), (4.0, 38.0), (1.0, 20.0), (3.0, 15.5), (6.0, 30.2)];
/// let mut table = ObservationTable::new();
/// for (x, m) in rows {
///     table.push(Observation::new(x, 10.0, 38.86)?.with_mean_repeat_value_f64(m)?);
/// }
/// let fit = fit_gamma_gamma(&table, &FitOptions::default())?;
/// assert_eq!(fit.independence.customers, 6);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn fit_gamma_gamma(
    table: &ObservationTable,
    options: &FitOptions,
) -> Result<GammaGammaFit, PredictError> {
    if table.is_empty() {
        return Err(PredictError::new(PredictErrorKind::Empty { model: MODEL }));
    }
    let mut buyers: Vec<(f64, f64)> = Vec::new();
    for (row, observation) in table.iter().enumerate() {
        let (x, m) = (observation.frequency(), observation.mean_repeat_value());
        if x == 0.0 {
            continue;
        }
        if m <= 0.0 {
            return Err(PredictError::new(PredictErrorKind::NonPositiveSpend {
                frequency: x,
                value: m,
            })
            .at_row(row));
        }
        buyers.push((x, m));
    }
    if buyers.is_empty() {
        return Err(PredictError::new(PredictErrorKind::NoRepeatBuyers {
            model: MODEL,
            customers: table.len(),
        }));
    }
    let n_buyers = buyers.len();
    let independence = IndependenceCheck {
        correlation: pearson(&buyers),
        customers: n_buyers,
    };
    let mean_value = buyers.iter().map(|(_, m)| m).sum::<f64>() / n_buyers as f64;
    let scale = 1.0 / mean_value;
    let groups = SpendGroups::new(&buyers, scale);
    let total_weight = n_buyers as f64;
    let penalizer = options.penalizer();
    let objective = penalized_objective(
        |params: &[f64; 3]| groups.ll_and_gradient(params),
        total_weight,
        penalizer,
    );
    let minimum = minimize_or_fail(MODEL, objective, options)?;
    let [p, q, v_scaled] = minimum.point.map(f64::exp);
    let standard_errors = groups
        .standard_errors([p, q, v_scaled], penalizer * total_weight)
        .map(|[se_p, se_q, se_v]| [se_p, se_q, se_v / scale]);
    let params = GammaGammaParams::new(p, q, v_scaled / scale)?;
    // Back to money units: each buyer's density carries a Jacobian `scale`. Summing
    // over the sorted groups keeps the result independent of the row order.
    let (ll_scaled, _) = groups.ll_and_gradient(&[p, q, v_scaled]);
    let log_likelihood = ll_scaled + total_weight * scale.ln();
    Ok(GammaGammaFit {
        params,
        log_likelihood,
        standard_errors,
        independence,
        report: FitReport {
            iterations: minimum.iterations,
            gradient_norm: minimum.gradient_norm,
            converged: minimum.converged,
            customers: n_buyers,
            distinct_rows: groups.rows.len(),
            penalizer,
        },
    })
}

/// Repeat buyers merged by `(frequency, mean value)`, values rescaled.
struct SpendGroups {
    /// `(x, m, weight)`, sorted.
    rows: Vec<(f64, f64, f64)>,
}

impl SpendGroups {
    fn new(buyers: &[(f64, f64)], scale: f64) -> SpendGroups {
        let mut sorted: Vec<(f64, f64)> = buyers.iter().map(|&(x, m)| (x, m * scale)).collect();
        sorted.sort_by(|l, r| l.0.total_cmp(&r.0).then(l.1.total_cmp(&r.1)));
        let mut rows: Vec<(f64, f64, f64)> = Vec::new();
        for (x, m) in sorted {
            match rows.last_mut() {
                Some(last) if last.0 == x && last.1 == m => last.2 += 1.0,
                _ => rows.push((x, m, 1.0)),
            }
        }
        SpendGroups { rows }
    }

    /// Total log-likelihood and gradient in `(p, q, v)`.
    fn ll_and_gradient(&self, params: &[f64; 3]) -> (f64, [f64; 3]) {
        let [p, q, v] = *params;
        let (lg_q, dg_q, ln_v) = (ln_gamma(q), digamma(q), v.ln());
        let mut ll = 0.0;
        let mut gradient = [0.0; 3];
        // Rows are sorted by x, so the x-only terms are computed once per run.
        let mut cached_x = f64::NAN;
        let (mut lg_pxq, mut lg_px, mut dg_pxq, mut dg_px, mut ln_x) = (0.0, 0.0, 0.0, 0.0, 0.0);
        for &(x, m, weight) in &self.rows {
            let px = p * x;
            if x != cached_x {
                cached_x = x;
                lg_pxq = ln_gamma(px + q);
                lg_px = ln_gamma(px);
                dg_pxq = digamma(px + q);
                dg_px = digamma(px);
                ln_x = x.ln();
            }
            let ln_m = m.ln();
            let ln_xmv = (x * m + v).ln();
            ll += weight
                * (lg_pxq - lg_px - lg_q + q * ln_v + (px - 1.0) * ln_m + px * ln_x
                    - (px + q) * ln_xmv);
            gradient[0] += weight * x * (dg_pxq - dg_px + ln_m + ln_x - ln_xmv);
            gradient[1] += weight * (dg_pxq - dg_q + ln_v - ln_xmv);
            gradient[2] += weight * (q / v - (px + q) / (x * m + v));
        }
        (ll, gradient)
    }

    fn standard_errors(&self, at: [f64; 3], penalizer_total: f64) -> Option<[f64; 3]> {
        let gradient = |params: &[f64; 3]| {
            let (_, mut g) = self.ll_and_gradient(params);
            for (gi, p) in g.iter_mut().zip(params) {
                *gi -= 2.0 * penalizer_total * p;
            }
            g
        };
        let mut information = [[0.0; 3]; 3];
        for (j, row) in information.iter_mut().enumerate() {
            let step = 1e-5 * at.get(j)?;
            let (mut up, mut down) = (at, at);
            *up.get_mut(j)? += step;
            *down.get_mut(j)? -= step;
            let (g_up, g_down) = (gradient(&up), gradient(&down));
            for (i, cell) in row.iter_mut().enumerate() {
                *cell = -(g_up.get(i)? - g_down.get(i)?) / (2.0 * step);
            }
        }
        let covariance = invert_spd(&symmetrize(&information))?;
        let mut errors = [0.0; 3];
        for (i, error) in errors.iter_mut().enumerate() {
            *error = covariance.get(i)?.get(i)?.sqrt();
        }
        Some(errors)
    }
}

fn pearson(pairs: &[(f64, f64)]) -> Option<f64> {
    let n = pairs.len() as f64;
    let (mean_x, mean_y) = pairs
        .iter()
        .fold((0.0, 0.0), |(sx, sy), (x, y)| (sx + x / n, sy + y / n));
    let (mut sxx, mut syy, mut sxy) = (0.0, 0.0, 0.0);
    for (x, y) in pairs {
        let (dx, dy) = (x - mean_x, y - mean_y);
        sxx += dx * dx;
        syy += dy * dy;
        sxy += dx * dy;
    }
    if sxx > 0.0 && syy > 0.0 {
        Some(sxy / (sxx * syy).sqrt())
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gradient_matches_finite_differences() {
        let buyers = [
            (2.0, 22.35),
            (1.0, 11.77),
            (1.0, 11.77),
            (4.0, 38.0),
            (3.0, 15.5),
        ];
        let groups = SpendGroups::new(&buyers, 0.05);
        assert_eq!(groups.rows.len(), 4);
        let params = [4.0, 3.0, 0.8];
        let (ll, gradient) = groups.ll_and_gradient(&params);
        let direct: f64 = {
            let gg = GammaGammaParams::new(4.0, 3.0, 0.8).unwrap();
            buyers
                .iter()
                .map(|&(x, m)| {
                    let s = Observation::new(x, 1.0, 2.0)
                        .unwrap()
                        .with_mean_repeat_value_f64(m * 0.05)
                        .unwrap();
                    gg.log_likelihood(&s).unwrap()
                })
                .sum()
        };
        assert!((ll - direct).abs() < 1e-12);
        for k in 0..3 {
            let h = 1e-6;
            let (mut up, mut down) = (params, params);
            up[k] += h;
            down[k] -= h;
            let numeric =
                (groups.ll_and_gradient(&up).0 - groups.ll_and_gradient(&down).0) / (2.0 * h);
            assert!((numeric - gradient[k]).abs() < 1e-6 * numeric.abs().max(1.0));
        }
    }

    #[test]
    fn correlation() {
        assert_eq!(pearson(&[(1.0, 2.0), (1.0, 3.0)]), None);
        let r = pearson(&[(1.0, 2.0), (2.0, 4.0), (3.0, 6.0)]).unwrap();
        assert!((r - 1.0).abs() < 1e-12);
    }
}
