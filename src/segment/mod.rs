//! Segmentation: population statistics, RFM bands and scores, lifecycle stages, tiers,
//! VIP levels, custom classes and transitions between two runs (SPEC R6–R10, R12, R13).

mod stats;
pub use crate::segment::stats::*;

mod rfm;
pub use crate::segment::rfm::*;

mod scores;
pub use crate::segment::scores::{PopulationStats, Thresholds};

mod vip;
pub use crate::segment::vip::*;

mod class;
pub(crate) use crate::segment::class::symbol_table;
mod fields;
mod lifecycle;
mod tier;
pub use crate::segment::fields::SEGMENT_FIELDS;
pub use crate::segment::lifecycle::*;
pub use crate::segment::tier::*;

mod segmentation;
pub use crate::segment::segmentation::*;

mod transition;
pub use crate::segment::transition::*;
