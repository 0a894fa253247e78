//! Charts of the crate's outputs, as SVG text (feature `charts`).
//!
//! The pictures analysts look at first, as in R `rfm` and Python `lifetimes`: segment
//! bars and the RFM heat map, the transition matrix between two runs, the BG/NBD
//! frequency/recency and P(alive) matrices and the model checks, KPI series with their
//! target, interval and early warnings, and the scorecard. Each chart is a function
//! from the values the host already has ([`Segmentation`](crate::Segmentation),
//! [`Transitions`](crate::segment::Transitions),
//! [`BgNbdParams`](crate::predict::BgNbdParams) and
//! [`ObservationTable`](crate::predict::ObservationTable),
//! [`Kpi`](crate::kpi::Kpi), [`Scorecards`](crate::kpi::Scorecards)) to an SVG
//! document in a `String`. Writing it to a file or a page is the host's job.
//!
//! # What every chart does
//!
//! - It titles itself, labels its axes with their units and states n (customers,
//!   periods, KPIs) in its subtitle.
//! - Every mark (bar, cell, point) is one element with `class="mark"`, `data-*`
//!   attributes holding the value it shows and a `<title>` tooltip, so marks can be
//!   counted and read back from the file.
//! - It reads in grey-scale: colours come from [`Palette::REFERENCE`] (series far apart
//!   in luminance, a light-to-dark ramp) and never carry meaning alone — values are
//!   printed, and series differ in outline, hatching or marker shape too.
//! - Empty input gives a chart that says "no data", never an error or a panic.
//!
//! # Determinism and purity
//!
//! The same input gives the same bytes. Categories are in a documented order (the
//! config's table order for segments, score order for the heat map, frequency order for
//! the model checks, input order for KPI series), never a hash map's. The drawing
//! library, [plotters](https://docs.rs/plotters), is used with its SVG backend only and
//! without its font features: it estimates text sizes from the character count, reads no
//! system font, no file and no clock; the viewer renders the text (`sans-serif`).
//!
//! # Example
//!
//! ```
//! use patronage::charts::{period_transactions, Palette};
//! use patronage::predict::{BgNbdParams, Observation, ObservationTable};
//!
//! let params = BgNbdParams::new(0.243, 4.414, 0.793, 2.426)?;
//! let table: ObservationTable = [
//!     Observation::new(0.0, 0.0, 38.0)?,
//!     Observation::new(2.0, 30.0, 38.0)?,
//! ]
//! .into_iter()
//! .collect();
//! let svg = period_transactions(&params, &table, 7)?;
//! assert!(svg.contains("Frequency of repeat transactions"));
//! assert_eq!(svg.matches("class=\"mark\"").count(), 16); // 8 bins × actual and model
//! assert_eq!(svg, period_transactions(&params, &table, 7)?);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

// Exact float comparisons are intended here: unit names for exact period lengths
// (7 days is `weeks`) and the singular of a horizon of exactly 1.
#![allow(clippy::float_cmp)]

mod error;
mod kpi;
mod palette;
mod predict;
mod segments;
mod svg;
mod transitions;

pub use self::error::{ChartError, ChartErrorKind};
pub use self::kpi::{kpi_series, scorecard};
pub use self::palette::{Palette, Rgb};
pub use self::predict::{
    calibration_vs_holdout, frequency_recency_matrix, p_alive_matrix, period_transactions,
    MatrixOptions,
};
pub use self::segments::{rfm_heatmap, segment_distribution};
pub use self::transitions::transition_matrix;
