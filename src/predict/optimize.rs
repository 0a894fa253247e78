//! A small, deterministic BFGS minimiser for the model fits.
//!
//! The models are fitted on the logarithms of their (positive) parameters, so the
//! search space is all of ℝⁿ and no bounds are needed. The objective returns its
//! value and analytical gradient together. The line search backtracks from the full
//! quasi-Newton step until the Armijo condition holds; the inverse-Hessian estimate
//! is updated only when the curvature condition `sᵀy > 0` holds, which keeps it
//! positive definite. Nothing here depends on the order of floating-point events
//! outside this function, so the same data always gives the same iterates.

use crate::predict::FitOptions;
use crate::predict::{PredictError, PredictErrorKind};

/// The largest step (max-norm, in log-parameter space) tried by the line search:
/// a factor of e⁴ ≈ 55 on any parameter per iteration.
const MAX_STEP: f64 = 4.0;

/// Backtracking halvings before the line search gives up.
const MAX_BACKTRACKS: u32 = 60;

/// Armijo sufficient-decrease constant.
const ARMIJO: f64 = 1e-4;

/// The objective every model fit minimises, over log-parameters `θ = ln p`: the mean
/// negative log-likelihood plus the L2 penalty `penalizer · Σ p²` (the penalty of
/// `lifetimes`' `penalizer_coef`), with its gradient by the chain rule `∂/∂θ = p ∂/∂p`.
///
/// `ll_and_gradient` returns the total log-likelihood at the parameters `p` and its
/// gradient in `p`; `total_weight` is the number of customers it sums over.
pub(crate) fn penalized_objective<const N: usize>(
    ll_and_gradient: impl Fn(&[f64; N]) -> (f64, [f64; N]),
    total_weight: f64,
    penalizer: f64,
) -> impl Fn(&[f64; N]) -> (f64, [f64; N]) {
    move |theta: &[f64; N]| {
        let params = theta.map(f64::exp);
        let (ll, gradient) = ll_and_gradient(&params);
        let penalty: f64 = params.iter().map(|p| p * p).sum();
        let value = -ll / total_weight + penalizer * penalty;
        let mut log_gradient = [0.0; N];
        for ((out, g), p) in log_gradient.iter_mut().zip(gradient).zip(params) {
            *out = p * (-g / total_weight + 2.0 * penalizer * p);
        }
        (value, log_gradient)
    }
}

/// [`minimize`] from `θ = 0` (all parameters 1) with the fit options' tolerance and
/// iteration budget, turning its failures into the model's typed errors.
///
/// # Errors
///
/// [`PredictErrorKind::NonFiniteLikelihood`] when the objective is not finite at the
/// start, and [`PredictErrorKind::NotConverged`] when the gradient norm does not reach
/// the tolerance within the budget.
pub(crate) fn minimize_or_fail<const N: usize>(
    model: &'static str,
    objective: impl FnMut(&[f64; N]) -> (f64, [f64; N]),
    options: &FitOptions,
) -> Result<Minimum<N>, PredictError> {
    let minimum = minimize(
        objective,
        [0.0; N],
        options.tolerance(),
        options.max_iterations(),
    )
    .ok_or_else(|| PredictError::new(PredictErrorKind::NonFiniteLikelihood { model }))?;
    if !minimum.converged {
        return Err(PredictError::new(PredictErrorKind::NotConverged {
            model,
            iterations: minimum.iterations,
            gradient_norm: minimum.gradient_norm,
            tolerance: options.tolerance(),
        }));
    }
    Ok(minimum)
}

/// Where the minimiser stopped.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Minimum<const N: usize> {
    /// The point (log parameters).
    pub(crate) point: [f64; N],
    /// The objective there.
    pub(crate) value: f64,
    /// The maximum absolute gradient component there.
    pub(crate) gradient_norm: f64,
    /// Iterations run.
    pub(crate) iterations: u32,
    /// Whether the gradient norm reached the tolerance.
    pub(crate) converged: bool,
}

/// Minimises `objective` from `start`, stopping when the maximum absolute gradient
/// component is at most `tolerance` or after `max_iterations` iterations.
///
/// Returns `None` when the objective is not finite at `start`.
pub(crate) fn minimize<const N: usize>(
    mut objective: impl FnMut(&[f64; N]) -> (f64, [f64; N]),
    start: [f64; N],
    tolerance: f64,
    max_iterations: u32,
) -> Option<Minimum<N>> {
    let mut point = start;
    let (mut value, mut gradient) = objective(&point);
    if !value.is_finite() || !gradient.iter().all(|g| g.is_finite()) {
        return None;
    }
    let mut inverse_hessian = identity::<N>();
    let mut iterations = 0;
    while iterations < max_iterations {
        if max_abs(&gradient) <= tolerance {
            break;
        }
        iterations += 1;
        let mut direction = mat_vec(&inverse_hessian, &gradient).map(|d| -d);
        let mut slope = dot(&gradient, &direction);
        if slope >= 0.0 {
            // The estimate lost positive definiteness numerically: restart from
            // steepest descent.
            inverse_hessian = identity::<N>();
            direction = gradient.map(|g| -g);
            slope = dot(&gradient, &direction);
        }
        let longest = max_abs(&direction);
        let mut step = if longest > MAX_STEP {
            MAX_STEP / longest
        } else {
            1.0
        };
        let mut accepted = None;
        for _ in 0..MAX_BACKTRACKS {
            let trial = add_scaled(&point, step, &direction);
            let (trial_value, trial_gradient) = objective(&trial);
            let finite = trial_value.is_finite() && trial_gradient.iter().all(|g| g.is_finite());
            if finite
                && (trial_value <= value + ARMIJO * step * slope
                    || approximately_wolfe(value, trial_value, slope, &trial_gradient, &direction))
            {
                accepted = Some((trial, trial_value, trial_gradient));
                break;
            }
            step *= 0.5;
        }
        let Some((next, next_value, next_gradient)) = accepted else {
            // No decrease is possible at machine precision along this direction.
            break;
        };
        let s = sub(&next, &point);
        let y = sub(&next_gradient, &gradient);
        let sy = dot(&s, &y);
        if sy > 1e-12 * norm2(&s) * norm2(&y) {
            if iterations == 1 {
                // Scale the first estimate to the observed curvature.
                let scale = sy / dot(&y, &y);
                inverse_hessian = identity::<N>();
                for (i, row) in inverse_hessian.iter_mut().enumerate() {
                    if let Some(cell) = row.get_mut(i) {
                        *cell = scale;
                    }
                }
            }
            bfgs_update(&mut inverse_hessian, &s, &y, sy);
        }
        point = next;
        value = next_value;
        gradient = next_gradient;
    }
    let gradient_norm = max_abs(&gradient);
    Some(Minimum {
        point,
        value,
        gradient_norm,
        iterations,
        converged: gradient_norm <= tolerance,
    })
}

/// The approximate Wolfe conditions of Hager & Zhang (2005): near the minimum the
/// change in the objective is below its rounding noise and Armijo can no longer be
/// tested, so a step is also accepted when the value did not rise beyond that noise
/// and the slope along the direction shrank: `σ·φ'(0) ≤ φ'(α) ≤ (2δ − 1)·φ'(0)`.
fn approximately_wolfe<const N: usize>(
    value: f64,
    trial_value: f64,
    slope: f64,
    trial_gradient: &[f64; N],
    direction: &[f64; N],
) -> bool {
    const SIGMA: f64 = 0.9;
    const DELTA: f64 = 0.1;
    let noise = 1e-14 * value.abs().max(1.0);
    let trial_slope = dot(trial_gradient, direction);
    trial_value <= value + noise
        && SIGMA * slope <= trial_slope
        && trial_slope <= (2.0 * DELTA - 1.0) * slope
}

/// `H ← (I − ρ s yᵀ) H (I − ρ y sᵀ) + ρ s sᵀ`, with `ρ = 1 / sᵀy`.
fn bfgs_update<const N: usize>(h: &mut [[f64; N]; N], s: &[f64; N], y: &[f64; N], sy: f64) {
    let rho = 1.0 / sy;
    let hy = mat_vec(h, y);
    let yhy = dot(y, &hy);
    let factor = (1.0 + rho * yhy) * rho;
    for (i, row) in h.iter_mut().enumerate() {
        for (j, cell) in row.iter_mut().enumerate() {
            let (si, sj) = (at(s, i), at(s, j));
            let (hyi, hyj) = (at(&hy, i), at(&hy, j));
            *cell += factor * si * sj - rho * (hyi * sj + si * hyj);
        }
    }
}

fn at<const N: usize>(v: &[f64; N], i: usize) -> f64 {
    v.get(i).copied().unwrap_or(0.0)
}

fn identity<const N: usize>() -> [[f64; N]; N] {
    let mut m = [[0.0; N]; N];
    for (i, row) in m.iter_mut().enumerate() {
        if let Some(cell) = row.get_mut(i) {
            *cell = 1.0;
        }
    }
    m
}

fn mat_vec<const N: usize>(m: &[[f64; N]; N], v: &[f64; N]) -> [f64; N] {
    m.map(|row| dot(&row, v))
}

fn dot<const N: usize>(x: &[f64; N], y: &[f64; N]) -> f64 {
    x.iter().zip(y).map(|(a, b)| a * b).sum()
}

fn norm2<const N: usize>(x: &[f64; N]) -> f64 {
    dot(x, x).sqrt()
}

fn max_abs<const N: usize>(x: &[f64; N]) -> f64 {
    x.iter().fold(0.0, |m, v| m.max(v.abs()))
}

fn sub<const N: usize>(x: &[f64; N], y: &[f64; N]) -> [f64; N] {
    let mut out = *x;
    for (o, v) in out.iter_mut().zip(y) {
        *o -= v;
    }
    out
}

fn add_scaled<const N: usize>(x: &[f64; N], step: f64, d: &[f64; N]) -> [f64; N] {
    let mut out = *x;
    for (o, v) in out.iter_mut().zip(d) {
        *o += step * v;
    }
    out
}

/// Inverts a symmetric positive-definite matrix by Cholesky factorisation; `None`
/// when it is not positive definite.
pub(crate) fn invert_spd<const N: usize>(m: &[[f64; N]; N]) -> Option<[[f64; N]; N]> {
    // Lower-triangular L with m = L Lᵀ.
    let mut l = [[0.0; N]; N];
    for i in 0..N {
        for j in 0..=i {
            let mut sum = m.get(i)?.get(j).copied()?;
            for k in 0..j {
                sum -= l.get(i)?.get(k)? * l.get(j)?.get(k)?;
            }
            if i == j {
                if sum.is_nan() || sum <= 0.0 {
                    return None;
                }
                *l.get_mut(i)?.get_mut(j)? = sum.sqrt();
            } else {
                let diagonal = *l.get(j)?.get(j)?;
                *l.get_mut(i)?.get_mut(j)? = sum / diagonal;
            }
        }
    }
    // Solve L Lᵀ X = I column by column.
    let mut inverse = [[0.0; N]; N];
    for col in 0..N {
        let mut y = [0.0; N];
        for i in 0..N {
            let mut sum = if i == col { 1.0 } else { 0.0 };
            for k in 0..i {
                sum -= l.get(i)?.get(k)? * y.get(k)?;
            }
            *y.get_mut(i)? = sum / l.get(i)?.get(i)?;
        }
        let mut x = [0.0; N];
        for i in (0..N).rev() {
            let mut sum = *y.get(i)?;
            for k in i + 1..N {
                sum -= l.get(k)?.get(i)? * x.get(k)?;
            }
            *x.get_mut(i)? = sum / l.get(i)?.get(i)?;
        }
        for (i, value) in x.iter().enumerate() {
            *inverse.get_mut(i)?.get_mut(col)? = *value;
        }
    }
    Some(inverse)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rosenbrock() {
        let f = |p: &[f64; 2]| {
            let (x, y) = (p[0], p[1]);
            let value = (1.0 - x).powi(2) + 100.0 * (y - x * x).powi(2);
            let gradient = [
                -2.0 * (1.0 - x) - 400.0 * x * (y - x * x),
                200.0 * (y - x * x),
            ];
            (value, gradient)
        };
        let minimum = minimize(f, [-1.2, 1.0], 1e-10, 500).unwrap();
        assert!(minimum.converged, "{minimum:?}");
        assert!((minimum.point[0] - 1.0).abs() < 1e-8);
        assert!((minimum.point[1] - 1.0).abs() < 1e-8);
        assert!(minimum.iterations < 100);
    }

    #[test]
    fn not_finite_start() {
        let f = |_: &[f64; 1]| (f64::NAN, [0.0]);
        assert_eq!(minimize(f, [0.0], 1e-8, 10), None);
    }

    #[test]
    fn iteration_budget() {
        let f = |p: &[f64; 2]| {
            (
                (1.0 - p[0]).powi(2) + 100.0 * (p[1] - p[0] * p[0]).powi(2),
                [
                    -2.0 * (1.0 - p[0]) - 400.0 * p[0] * (p[1] - p[0] * p[0]),
                    200.0 * (p[1] - p[0] * p[0]),
                ],
            )
        };
        let minimum = minimize(f, [-1.2, 1.0], 1e-10, 3).unwrap();
        assert_eq!(minimum.iterations, 3);
        assert!(!minimum.converged);
    }

    #[test]
    fn spd_inverse() {
        let m = [[4.0, 1.0, 0.5], [1.0, 3.0, 0.2], [0.5, 0.2, 2.0]];
        let inverse = invert_spd(&m).unwrap();
        for (i, row) in m.iter().enumerate() {
            for j in 0..3 {
                let product: f64 = row.iter().zip(&inverse).map(|(a, inv)| a * inv[j]).sum();
                let expected = if i == j { 1.0 } else { 0.0 };
                assert!((product - expected).abs() < 1e-14);
            }
        }
        assert_eq!(invert_spd(&[[1.0, 2.0], [2.0, 1.0]]), None);
    }
}
