//! Segmentation: population statistics, RFM bands and scores, lifecycle stages, tiers,
//! VIP levels, custom classes and transitions between two runs (SPEC R6–R10, R12, R13).

mod stats;
pub use crate::segment::stats::*;

mod rfm;
pub use crate::segment::rfm::*;

mod scores;
pub use crate::segment::scores::Thresholds;
pub(crate) use crate::segment::scores::{rfm_columns, CompiledRfm, RfmColumns, NONE};

mod vip;
pub use crate::segment::vip::*;
