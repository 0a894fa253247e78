//! Segmentation: population statistics, RFM bands and scores, lifecycle stages, tiers,
//! VIP levels, custom classes and transitions between two runs (SPEC R6–R10, R12, R13).
//!
//! The flow is compile once, evaluate many:
//!
//! 1. [`Config::segmenter`](crate::Config::segmenter) (or [`Segmenter::new`] with the
//!    [`SegmentConfig`] section) checks the policy — every problem with its path — and
//!    compiles its stage, tier and class tables (rules-engine decision tables over the
//!    fields of [`SEGMENT_FIELDS`]) and its named-segment table.
//! 2. [`Segmenter::run`] takes a [`FactsTable`](crate::FactsTable) — which carries the
//!    `as_of` instant, currency and facts policy it was folded for, checked against the
//!    segmenter's — and, once the
//!    population statistics are known (a counting sort for days and purchase counts,
//!    one radix sort of spend keyed as whole numbers), assigns every customer its top
//!    share and bands
//!    ([`MonetaryBands`], [`RecencyBuckets`]), R/F/M scores ([`quantile_scores`],
//!    [`rank_scores`] or [`cut_point_scores`]), named segment ([`SegmentTable`]), VIP
//!    level, lifecycle stage, tier and classes, each with the rule that decided it.
//! 3. [`Segmentation`] answers per customer ([`SegmentationRow`]), counts and R `rfm`'s
//!    segment summary per group ([`GroupSummary`]); [`Segmenter::explain`] says why;
//!    [`transitions`] compares two runs.
//!
//! A base too large for one machine is segmented shard by shard with the merged
//! [`PopulationStats`] of every shard ([`Segmenter::run_shard`]), with the same
//! result as one run. For a base with too many distinct spends to count,
//! [`PopulationStats::approximate`] summarises spend in a mergeable [`QuantileSketch`]
//! whose rank error has a proven bound.
//!
//! # Ties
//!
//! Equal spend shares a top share and so a band ([`TopShare`]); quantile scores give
//! equal values one score; rank scores break ties by customer id, as pandas
//! `rank(method="first")` does on a frame sorted by id. Rows are always in customer-id
//! order, so the same base gives the same result whatever order its events came in.

// Population statistics, then the RFM columns built on them.
mod config;
mod error;
mod rfm;
mod scores;
mod sketch;
mod stats;

// VIP levels, then the fields and tables of stages, tiers and classes.
mod class;
mod fields;
mod lifecycle;
mod tier;
mod vip;

// The compiled config, its result, and the comparison of two results.
mod segmentation;
mod transition;

pub use crate::segment::config::{
    BandConfig, RfmConfig, ScoreConfig, ScoreMethod, SegmentConfig, SegmentsConfig,
};
pub use crate::segment::error::{SegmentError, SegmentErrorKind};
pub use crate::segment::fields::SEGMENT_FIELDS;
pub use crate::segment::lifecycle::{reference_stage_table, REFERENCE_STAGES};
pub use crate::segment::rfm::{
    CompiledSegments, MonetaryBands, RecencyBuckets, ScoreRange, SegmentPreset, SegmentRow,
    SegmentTable,
};
pub use crate::segment::scores::{PopulationStats, ShardRanks, StatsMethod, Thresholds};
pub use crate::segment::segmentation::{
    CustomerExplanation, Dimension, GroupSummary, Segmentation, SegmentationRow, Segmenter,
};
pub use crate::segment::sketch::{QuantileSketch, SketchCapacity};
pub use crate::segment::stats::{
    cut_point_scores, monetary_top_shares, quantile_scores, quantile_thresholds, rank_order,
    rank_scores, Bins, CutPoints, Direction, Metric, ScoredColumn, TopShare, ValueCounts,
};
pub use crate::segment::tier::{reference_tier_table, REFERENCE_TIERS};
pub use crate::segment::transition::{transitions, Transition, Transitions};
pub use crate::segment::vip::{VipBasis, VipConfig, VipDistance, VipLevelSpec};
