//! Errors of [`charts`](crate::charts): input that cannot be drawn as given (lengths
//! that do not match, a series of mixed KPIs), a total that overflows, a model that
//! cannot predict a cell, a segmentation that cannot be summarised.

use crate::predict::PredictError;
use crate::segment::SegmentError;

/// A chart that could not be drawn.
///
/// The message names the chart (the function that draws it), then says what was
/// expected and what was found. Empty input is never an error: it gives a chart that
/// says "no data".
///
/// # Example
///
/// ```
/// use patronage::charts::{period_transactions, ChartErrorKind};
/// use patronage::predict::{BgNbdParams, Observation, ObservationTable};
///
/// let params = BgNbdParams::new(0.243, 4.414, 0.793, 2.426)?;
/// let table: ObservationTable = [Observation::new(1.0, 5.0, 38.0)?].into_iter().collect();
/// let err = period_transactions(&params, &table, 0).unwrap_err();
/// assert!(matches!(err.kind(), ChartErrorKind::InvalidArgument { .. }));
/// assert_eq!(
///     err.to_string(),
///     "chart `period_transactions`: argument `max_frequency` is 0: expected at least 1 (the bars are 0 to `max_frequency` - 1 repeat purchases, then `max_frequency` or more)",
/// );
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct ChartError {
    chart: &'static str,
    kind: ChartErrorKind,
}

impl ChartError {
    pub(crate) fn new(chart: &'static str, kind: ChartErrorKind) -> ChartError {
        ChartError { chart, kind }
    }

    /// The chart: the name of the function that draws it.
    pub fn chart(&self) -> &'static str {
        self.chart
    }

    /// What went wrong.
    pub fn kind(&self) -> &ChartErrorKind {
        &self.kind
    }
}

impl std::fmt::Display for ChartError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "chart `{}`: {}", self.chart, self.kind)
    }
}

/// The message names the chart and the kind; the cause, if any, is the kind's
/// (a [`PredictError`] or a [`SegmentError`]), so it is printed once.
impl std::error::Error for ChartError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        std::error::Error::source(&self.kind)
    }
}

/// What went wrong in [`charts`](crate::charts).
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum ChartErrorKind {
    /// An argument is out of its range.
    #[error("argument `{name}` is {value}: expected {expected}")]
    InvalidArgument {
        /// The argument.
        name: &'static str,
        /// Its value, as given.
        value: String,
        /// What it may be.
        expected: &'static str,
    },
    /// Inputs that go together do not match (lengths, indices, values, KPIs).
    #[error("{found}: expected {expected}")]
    Mismatch {
        /// What was found.
        found: String,
        /// What was expected.
        expected: String,
    },
    /// A money total of the chart overflows.
    #[error("the total `{what}` overflows")]
    Overflow {
        /// The total and the addition that overflowed.
        what: String,
    },
    /// The model could not compute a value of the chart (the cause is the source).
    #[error("the model cannot compute {what}")]
    Model {
        /// Which value.
        what: String,
        /// Why.
        #[source]
        source: PredictError,
    },
    /// The segmentation could not be summarised (the cause is the source).
    #[error("the segmentation cannot be summarised")]
    Segment {
        /// Why.
        #[source]
        source: SegmentError,
    },
    /// The drawing library failed (writing SVG to a string is not expected to fail).
    #[error("drawing failed: {message}")]
    Drawing {
        /// The drawing library's message.
        message: String,
    },
}
