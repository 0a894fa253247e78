//! Churn probability and customer lifetime value (SPEC R28, R29).
//!
//! Three models from the customer-base analysis literature, fitted by maximum
//! likelihood on the host's data:
//!
//! - **BG/NBD** ([`BgNbdParams`], [`fit_bgnbd`]): how many purchases a customer will
//!   make, and P(alive), the probability they have not silently left;
//! - **Gamma-Gamma** ([`GammaGammaParams`], [`fit_gamma_gamma`]): how much they spend
//!   per purchase;
//! - **CLV** ([`ClvModel`]): the two combined into a discounted expected value over a
//!   horizon;
//! - **Pareto/NBD** ([`ParetoNbdParams`], [`fit_pareto_nbd`]): the older transaction
//!   model, where customers may leave at any time rather than only after a purchase,
//!   for comparison with BG/NBD.
//!
//! The input is one [`Observation`] per customer (repeat purchases, time from the
//! first to the last purchase, time from the first purchase to the end of the
//! observation period, mean repeat value), collected in an [`ObservationTable`] to fit many
//! customers. Time is in any unit the host chooses, the same for every customer.
//! [`Observation::from_summary`] and [`ObservationTable::from_summaries`] make them
//! from the facts' [`RepeatSummary`](crate::RepeatSummary) rows, which
//! [`RepeatSummaryBuilder`](crate::RepeatSummaryBuilder) builds from orders or dated
//! purchases.
//!
//! # Facts for rules
//!
//! [`Prediction`] and [`PredictionTable`] carry, per customer, the fields
//! `p_alive`, `expected_purchases`, `expected_average_value` and `clv` (stable names,
//! in [`Prediction::FIELD_NAMES`]), so tiers and playbooks can say
//! `p_alive < 0.3 and clv >= 100`.
//!
//! # Agreement with the reference implementations
//!
//! The likelihoods and predictions are those of `lifetimes` and BTYD. On the CDNOW
//! cohort (in `tests/data/cdnow/`) the fits reproduce the published estimates: BG/NBD
//! r = 0.243, α = 4.414, a = 0.793, b = 2.426 with log-likelihood −9582.4, and
//! Gamma-Gamma p = 6.25, q = 3.74, v = 15.44, and Pareto/NBD r = 0.553,
//! α = 10.578, s = 0.606, β = 11.669 with log-likelihood −9595.0 (see
//! `tests/predict.rs`).
//!
//! # Determinism
//!
//! Fitting sorts and merges identical rows before it starts, so the result does not
//! depend on the order of the customers; the optimiser has no randomness.
//!
//! # Example
//!
//! ```
//! use patronage::predict::{fit_bgnbd, BgNbdParams, FitOptions, Observation, ObservationTable};
//!
//! let table: ObservationTable = [
//!     Observation::new(2.0, 30.43, 38.86)?,
//!     Observation::new(1.0, 1.71, 38.86)?,
//!     Observation::new(0.0, 0.0, 38.86)?,
//!     Observation::new(0.0, 0.0, 38.86)?,
//!     Observation::new(5.0, 36.0, 38.86)?,
//!     Observation::new(3.0, 12.5, 37.0)?,
//! ]
//! .into_iter()
//! .collect();
//! // Six customers are too few to pin four parameters down: a small L2 penalty keeps
//! // the estimate away from the boundary, as with `lifetimes`' `penalizer_coef`.
//! let options = FitOptions::default().with_penalizer(0.001)?;
//! let fit = fit_bgnbd(&table, &options)?;
//! let lapsed = Observation::new(3.0, 12.5, 37.0)?;
//! assert!(fit.params.p_alive(&lapsed) < 1.0);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

// Exact float comparisons are intended here: rows are merged only when bit-for-bit
// identical, and `frequency` is a whole number checked on construction.
#![allow(clippy::float_cmp)]
// The models' parameters have one-letter names in the literature (r, α, a, b; p, q, v).
#![allow(clippy::many_single_char_names)]

use serde::{Deserialize, Serialize};

mod bgnbd;
mod clv;
mod error;
mod gamma_gamma;
mod observation;
mod optimize;
mod pareto_nbd;
mod special;

pub use self::bgnbd::{fit_bgnbd, BgNbdFit, BgNbdParams};
pub use self::clv::{ClvModel, ClvOptions, Prediction, PredictionTable};
pub use self::error::{PredictError, PredictErrorKind};
pub use self::gamma_gamma::{fit_gamma_gamma, GammaGammaFit, GammaGammaParams, IndependenceCheck};
pub use self::observation::{Observation, ObservationTable};
pub use self::pareto_nbd::{fit_pareto_nbd, ParetoNbdFit, ParetoNbdParams};

/// How to fit a model: the L2 penalty, the convergence tolerance and the iteration cap.
///
/// Built from [`FitOptions::default`] (plain maximum likelihood) and refined with the
/// `with_*` methods, each of which checks its value, so a `FitOptions` that exists is
/// valid; the serde form is checked the same way when it is read.
///
/// # Example
///
/// ```
/// use patronage::predict::FitOptions;
///
/// let options = FitOptions::default().with_penalizer(0.001)?;
/// assert_eq!((options.penalizer(), options.max_iterations()), (0.001, 200));
///
/// let err = FitOptions::default().with_tolerance(0.0).unwrap_err();
/// assert_eq!(err.to_string(), "option `tolerance` is 0: expected a positive finite gradient tolerance, such as 1e-8");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "RawFitOptions", into = "RawFitOptions")]
pub struct FitOptions {
    penalizer: f64,
    tolerance: f64,
    max_iterations: u32,
}

/// The serde form of [`FitOptions`], checked on the way in.
#[derive(Clone, Copy, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
struct RawFitOptions {
    penalizer: f64,
    tolerance: f64,
    max_iterations: u32,
}

impl Default for RawFitOptions {
    fn default() -> RawFitOptions {
        let options = FitOptions::default();
        RawFitOptions {
            penalizer: options.penalizer,
            tolerance: options.tolerance,
            max_iterations: options.max_iterations,
        }
    }
}

impl TryFrom<RawFitOptions> for FitOptions {
    type Error = PredictError;

    fn try_from(raw: RawFitOptions) -> Result<FitOptions, PredictError> {
        FitOptions::default()
            .with_penalizer(raw.penalizer)?
            .with_tolerance(raw.tolerance)?
            .with_max_iterations(raw.max_iterations)
    }
}

impl From<FitOptions> for RawFitOptions {
    fn from(options: FitOptions) -> RawFitOptions {
        RawFitOptions {
            penalizer: options.penalizer,
            tolerance: options.tolerance,
            max_iterations: options.max_iterations,
        }
    }
}

impl Default for FitOptions {
    /// No penalty, a tolerance of 1e-8, at most 200 iterations.
    fn default() -> FitOptions {
        FitOptions {
            penalizer: 0.0,
            tolerance: 1e-8,
            max_iterations: 200,
        }
    }
}

impl FitOptions {
    /// These options with an L2 penalty on the parameters (the `penalizer_coef` of
    /// `lifetimes`): the objective is the mean negative log-likelihood plus
    /// `penalizer · Σ θ²` over the parameters in the fit's rescaled units.
    ///
    /// # Errors
    ///
    /// [`PredictErrorKind::InvalidOption`] for a negative or non-finite penalty.
    pub fn with_penalizer(self, penalizer: f64) -> Result<FitOptions, PredictError> {
        if penalizer.is_finite() && penalizer >= 0.0 {
            Ok(FitOptions { penalizer, ..self })
        } else {
            Err(PredictError::new(PredictErrorKind::InvalidOption {
                name: "penalizer",
                value: penalizer,
                expected: "a non-negative finite penalty",
            }))
        }
    }

    /// These options with another convergence tolerance: the fit has converged when
    /// every component of the gradient of the objective with respect to the
    /// log-parameters is at most this (inclusive).
    ///
    /// # Errors
    ///
    /// [`PredictErrorKind::InvalidOption`] for a tolerance that is not positive and
    /// finite.
    pub fn with_tolerance(self, tolerance: f64) -> Result<FitOptions, PredictError> {
        if tolerance.is_finite() && tolerance > 0.0 {
            Ok(FitOptions { tolerance, ..self })
        } else {
            Err(PredictError::new(PredictErrorKind::InvalidOption {
                name: "tolerance",
                value: tolerance,
                expected: "a positive finite gradient tolerance, such as 1e-8",
            }))
        }
    }

    /// These options with another cap on optimiser iterations (CDNOW needs about 30).
    ///
    /// # Errors
    ///
    /// [`PredictErrorKind::InvalidOption`] for 0 iterations.
    pub fn with_max_iterations(self, max_iterations: u32) -> Result<FitOptions, PredictError> {
        if max_iterations > 0 {
            Ok(FitOptions {
                max_iterations,
                ..self
            })
        } else {
            Err(PredictError::new(PredictErrorKind::InvalidOption {
                name: "max_iterations",
                value: 0.0,
                expected: "at least 1 iteration",
            }))
        }
    }

    /// The L2 penalty (default 0: plain maximum likelihood).
    pub fn penalizer(&self) -> f64 {
        self.penalizer
    }

    /// The convergence tolerance on the gradient (default 1e-8).
    pub fn tolerance(&self) -> f64 {
        self.tolerance
    }

    /// The most optimiser iterations (default 200).
    pub fn max_iterations(&self) -> u32 {
        self.max_iterations
    }
}

/// How a fit went.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct FitReport {
    /// Optimiser iterations run.
    pub iterations: u32,
    /// Largest absolute component of the objective's gradient (with respect to the
    /// log-parameters) at the result.
    pub gradient_norm: f64,
    /// Whether `gradient_norm <= tolerance` (always true in a returned fit: a fit
    /// that does not converge is an error).
    pub converged: bool,
    /// Customers the model was fitted on.
    pub customers: usize,
    /// Distinct rows after merging identical ones.
    pub distinct_rows: usize,
    /// The penalty used.
    pub penalizer: f64,
}
