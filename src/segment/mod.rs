//! Segmentation: population statistics, RFM bands and scores, lifecycle stages, tiers,
//! VIP levels, custom classes and transitions between two runs (SPEC R6–R10, R12, R13).

mod stats;
pub use crate::segment::stats::*;

mod rfm;
pub use crate::segment::rfm::*;
