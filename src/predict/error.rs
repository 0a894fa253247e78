//! Errors of [`predict`](crate::predict): invalid observations, degenerate data sets,
//! invalid parameters or options, and fits that do not converge.

/// A prediction input, parameter or fit that cannot be used.
///
/// The message names the row (the index of the customer in the
/// [`ObservationTable`](crate::predict::ObservationTable), or of the summary given to
/// [`ObservationTable::from_summaries`](crate::predict::ObservationTable::from_summaries))
/// when the problem belongs to one customer, then says what was expected and what was
/// found.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
#[error("{}{kind}", RowPrefix(.row))]
pub struct PredictError {
    row: Option<usize>,
    kind: PredictErrorKind,
}

/// What went wrong in [`predict`](crate::predict).
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum PredictErrorKind {
    /// An observation value is negative, not finite, or not a whole number where one is
    /// needed.
    #[error("`{field}` is {value}: expected {expected}")]
    InvalidValue {
        /// The field: `frequency`, `t_x`, `age` or `mean_repeat_value`.
        field: &'static str,
        /// The value as given.
        value: f64,
        /// What a valid value looks like.
        expected: &'static str,
    },
    /// The last repeat purchase is later than the end of the observation period.
    #[error("`t_x` is {t_x} but `age` is {age}: expected `t_x` <= `age` (both measured from the first purchase)")]
    TxAfterAge {
        /// Time from the first to the last purchase.
        t_x: f64,
        /// Time from the first purchase to the end of the observation period.
        age: f64,
    },
    /// A customer without repeat purchases has a t_x other than zero.
    #[error("`frequency` is 0 but `t_x` is {t_x}: expected `t_x` = 0 for a customer without repeat purchases")]
    TxWithoutRepeat {
        /// The t_x as given.
        t_x: f64,
    },
    /// A repeat buyer's mean repeat value is zero (the Gamma-Gamma model needs
    /// positive spend).
    #[error("`mean_repeat_value` is {value} for a customer with `frequency` {frequency}: expected a positive mean value of the repeat purchases")]
    NonPositiveSpend {
        /// The number of repeat purchases.
        frequency: f64,
        /// The mean repeat value as given.
        value: f64,
    },
    /// The columns of a table read with serde have different lengths.
    #[error("column `{column}` has {len} rows: expected {expected}, as many as `frequency`")]
    ColumnLength {
        /// The column.
        column: &'static str,
        /// Its length.
        len: usize,
        /// The length of `frequency`.
        expected: usize,
    },
    /// There is nothing to fit.
    #[error("no customers to fit `{model}`: expected at least one observation")]
    Empty {
        /// The model, `bgnbd` or `gamma_gamma`.
        model: &'static str,
    },
    /// No customer has a repeat purchase, so the model is not identified.
    #[error("no repeat buyers among {customers} customers: `{model}` needs at least one customer with `frequency` > 0")]
    NoRepeatBuyers {
        /// The model, `bgnbd` or `gamma_gamma`.
        model: &'static str,
        /// The number of customers given.
        customers: usize,
    },
    /// A model parameter is out of its domain.
    #[error("`{model}` parameter `{name}` is {value}: expected {expected}")]
    InvalidParameter {
        /// The model, `bgnbd` or `gamma_gamma`.
        model: &'static str,
        /// The parameter's name.
        name: &'static str,
        /// The value as given.
        value: f64,
        /// What a valid value looks like.
        expected: &'static str,
    },
    /// An option (horizon, discount rate, penalty, tolerance, days per period) is out
    /// of its domain.
    #[error("option `{name}` is {value}: expected {expected}")]
    InvalidOption {
        /// The option's name.
        name: &'static str,
        /// The value as given.
        value: f64,
        /// What a valid value looks like.
        expected: &'static str,
    },
    /// The log-likelihood is not finite at the starting point of the fit.
    #[error("`{model}` log-likelihood is not finite at the starting point: expected observations the model can describe")]
    NonFiniteLikelihood {
        /// The model, `bgnbd` or `gamma_gamma`.
        model: &'static str,
    },
    /// The optimiser stopped before the gradient was small enough.
    #[error("`{model}` fit did not converge after {iterations} iteration{}: gradient norm {gradient_norm:.3e} is above the tolerance {tolerance:e}; raise `max_iterations`, add a penalty, or check the data", if *.iterations == 1 { "" } else { "s" })]
    NotConverged {
        /// The model, `bgnbd` or `gamma_gamma`.
        model: &'static str,
        /// Iterations run.
        iterations: u32,
        /// The final gradient norm (maximum absolute component, on log parameters).
        gradient_norm: f64,
        /// The tolerance asked for.
        tolerance: f64,
    },
    /// A model whose parameters are in one time unit asked to predict on observations in
    /// another.
    #[error("the model's parameters are per {model_days}-day period but the observations are in {table_days}-day periods: expected the same time unit; build the table with `ObservationTable::from_summaries(&summaries, {model_days})`")]
    TimeUnitMismatch {
        /// The model's period in days.
        model_days: f64,
        /// The table's period in days.
        table_days: f64,
    },
    /// A hypergeometric series did not converge within its term budget: a BG/NBD
    /// horizon extremely long compared with `alpha + age`, or Pareto/NBD scales
    /// `alpha` and `beta` many orders of magnitude apart.
    #[error("the hypergeometric series at `z` = {z} did not converge within {terms} terms: expected `z` below about 0.9999 (a BG/NBD horizon within about ten thousand times `alpha + age`; Pareto/NBD `alpha` and `beta` within a similar ratio)")]
    SeriesNotConverged {
        /// The series argument, in [0, 1).
        z: f64,
        /// The terms summed.
        terms: u32,
    },
}

impl PredictError {
    pub(crate) fn new(kind: PredictErrorKind) -> PredictError {
        PredictError { row: None, kind }
    }

    pub(crate) fn at_row(mut self, row: usize) -> PredictError {
        self.row = Some(row);
        self
    }

    /// What went wrong.
    pub fn kind(&self) -> &PredictErrorKind {
        &self.kind
    }

    /// The row (customer index) the problem belongs to, when it belongs to one.
    pub fn row(&self) -> Option<usize> {
        self.row
    }

    /// Whether the input data, rather than a parameter or option, is at fault (an
    /// invalid observation, an empty set, no repeat buyers).
    pub fn is_data(&self) -> bool {
        matches!(
            self.kind,
            PredictErrorKind::InvalidValue { .. }
                | PredictErrorKind::TxAfterAge { .. }
                | PredictErrorKind::TxWithoutRepeat { .. }
                | PredictErrorKind::ColumnLength { .. }
                | PredictErrorKind::NonPositiveSpend { .. }
                | PredictErrorKind::Empty { .. }
                | PredictErrorKind::NoRepeatBuyers { .. }
        )
    }

    /// Whether the fit stopped without converging.
    pub fn is_not_converged(&self) -> bool {
        matches!(self.kind, PredictErrorKind::NotConverged { .. })
    }
}

/// `row N: ` or nothing.
struct RowPrefix<'a>(&'a Option<usize>);

impl std::fmt::Display for RowPrefix<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.0 {
            Some(row) => write!(f, "row {row}: "),
            None => Ok(()),
        }
    }
}
