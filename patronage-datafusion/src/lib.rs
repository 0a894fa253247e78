//! patronage's facts fold, population statistics and segmentation *inside* Apache
//! DataFusion (one machine) and Ballista (many), as the engine's own two-phase
//! aggregation: partial state per partition → merge → final.
//!
//! Facts merge exactly and population statistics merge exactly (the core's R13), so a
//! customer base that lives in a warehouse is segmented where it is, by the engine a
//! data team already runs, with the same result as the core gives in one process.
//!
//! | SQL | what | core |
//! |---|---|---|
//! | `patronage_facts(customer_id, order_date, amount)` with `GROUP BY customer_id` | each customer's facts (R4) as a struct | [`DatedFolder`](patronage::facts::DatedFolder), [`PartialFacts::merge`](patronage::facts::PartialFacts::merge) |
//! | `patronage_stats(facts)` | the base's population statistics, a `binary` | [`PopulationStats::of`](patronage::segment::PopulationStats::of), [`merge`](patronage::segment::PopulationStats::merge) |
//! | `patronage_segment(facts [, r_rank, f_rank, m_rank])` | each customer's segmentation as a struct | [`Segmenter::run_shard`](patronage::Segmenter::run_shard), [`run_shard_ranked`](patronage::Segmenter::run_shard_ranked) |
//!
//! A job is two queries: the facts and their statistics, then the segmentation with
//! those statistics built into the function (so they are not repeated per row):
//!
//! ```no_run
//! use chrono::NaiveDate;
//! use datafusion::prelude::{ParquetReadOptions, SessionContext};
//! use patronage::{Config, Currency};
//! use patronage_datafusion::{population_stats_from_bytes, register, register_segment, PatronageOptions};
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let as_of = NaiveDate::from_ymd_opt(2024, 12, 31).ok_or("bad date")?;
//! let options = PatronageOptions::new(&Config::reference(), as_of, Currency::CNY)?;
//! let ctx = SessionContext::new();
//! register(&ctx, &options)?;
//! ctx.register_parquet("orders", "orders.parquet", ParquetReadOptions::default()).await?;
//! ctx.sql("CREATE VIEW facts AS SELECT customer_id, \
//!          patronage_facts(customer_id, order_date, amount) AS f FROM orders GROUP BY customer_id").await?;
//! // 1. The statistics of the whole base (partial per partition, merged exactly).
//! let stats = ctx.sql("SELECT patronage_stats(f) FROM facts").await?.collect().await?;
//! let stats = population_stats_from_bytes(
//!     datafusion::arrow::array::AsArray::as_binary::<i32>(stats[0].column(0)).value(0),
//! )?;
//! // 2. Each batch of facts segmented on its own with them.
//! register_segment(&ctx, &options, stats)?;
//! let segments = ctx.sql("SELECT s['rfm_segment'] AS segment, count(*) FROM \
//!          (SELECT patronage_segment(f) AS s FROM facts) GROUP BY 1").await?.collect().await?;
//! # Ok(()) }
//! ```
//!
//! With ordinal-rank scores, the ranks come from the engine's window functions
//! (see [`SegmentFunction`]). Plans shipped to another process carry the functions'
//! options through [`PatronageCodec`]; `examples/ballista_*.rs` run a scheduler and
//! executors with it.
//!
//! Conversions: [`facts_table_to_batch`], [`facts_table_from_batch`],
//! [`segmentation_to_batch`].

#![deny(missing_docs)]
#![cfg_attr(
    not(test),
    deny(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::indexing_slicing
    )
)]

mod codec;
mod convert;
mod facts;
mod options;
mod segment;
mod stats;

use datafusion::error::Result;
use datafusion::logical_expr::{AggregateUDF, ScalarUDF};
use datafusion::prelude::SessionContext;
use patronage::segment::PopulationStats;

pub use crate::codec::PatronageCodec;
pub use crate::convert::{
    facts_data_type, facts_fields, facts_table_from_array, facts_table_from_batch,
    facts_table_to_batch, segmentation_data_type, segmentation_fields, segmentation_to_batch,
    FACTS_FIELDS, SEGMENTATION_FIELDS,
};
pub use crate::facts::{FactsAggregate, FACTS_FUNCTION};
pub use crate::options::PatronageOptions;
pub use crate::segment::{SegmentFunction, SEGMENT_FUNCTION};
pub use crate::stats::{
    population_stats_from_bytes, population_stats_to_bytes, StatsAggregate, STATS_FUNCTION,
};

/// The aggregates for `options`: `patronage_facts` and `patronage_stats`, for a
/// `SessionStateBuilder` (`with_aggregate_functions`) or an executor's function
/// registry.
///
/// # Errors
///
/// As [`PatronageOptions::new`], for options changed after it.
///
/// # Example
///
/// ```
/// use chrono::NaiveDate;
/// use patronage::{Config, Currency};
/// use patronage_datafusion::{udafs, PatronageOptions};
///
/// let as_of = NaiveDate::from_ymd_opt(2024, 12, 31).ok_or("bad date")?;
/// let options = PatronageOptions::new(&Config::reference(), as_of, Currency::CNY)?;
/// let names: Vec<String> = udafs(&options)?.iter().map(|f| f.name().to_owned()).collect();
/// assert_eq!(names, ["patronage_facts", "patronage_stats"]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn udafs(options: &PatronageOptions) -> Result<Vec<AggregateUDF>> {
    Ok(vec![
        AggregateUDF::new_from_impl(FactsAggregate::new(options.clone())?),
        AggregateUDF::new_from_impl(StatsAggregate::new(options.clone())?),
    ])
}

/// The scalar functions for `options`: `patronage_segment`, with the base's
/// statistics `population` (`None`: a placeholder refused at planning, until the
/// statistics are known).
///
/// # Errors
///
/// As [`PatronageOptions::new`], for options changed after it.
///
/// # Example
///
/// ```
/// use chrono::NaiveDate;
/// use patronage::{Config, Currency};
/// use patronage_datafusion::{udfs, PatronageOptions};
///
/// let as_of = NaiveDate::from_ymd_opt(2024, 12, 31).ok_or("bad date")?;
/// let options = PatronageOptions::new(&Config::reference(), as_of, Currency::CNY)?;
/// assert_eq!(udfs(&options, None)?[0].name(), "patronage_segment");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn udfs(
    options: &PatronageOptions,
    population: Option<PopulationStats>,
) -> Result<Vec<ScalarUDF>> {
    Ok(vec![ScalarUDF::new_from_impl(SegmentFunction::new(
        options.clone(),
        population,
    )?)])
}

/// Registers `patronage_facts`, `patronage_stats` and a placeholder
/// `patronage_segment` (no statistics yet) on `ctx`.
///
/// # Errors
///
/// As [`PatronageOptions::new`], for options changed after it.
///
/// # Example
///
/// ```
/// use chrono::NaiveDate;
/// use datafusion::execution::FunctionRegistry;
/// use datafusion::prelude::SessionContext;
/// use patronage::{Config, Currency};
/// use patronage_datafusion::{register, PatronageOptions};
///
/// let as_of = NaiveDate::from_ymd_opt(2024, 12, 31).ok_or("bad date")?;
/// let ctx = SessionContext::new();
/// register(&ctx, &PatronageOptions::new(&Config::reference(), as_of, Currency::CNY)?)?;
/// assert!(ctx.udaf("patronage_facts").is_ok());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn register(ctx: &SessionContext, options: &PatronageOptions) -> Result<()> {
    for udaf in udafs(options)? {
        ctx.register_udaf(udaf);
    }
    for udf in udfs(options, None)? {
        ctx.register_udf(udf);
    }
    Ok(())
}

/// Registers `patronage_segment` with the base's statistics `population` on `ctx`
/// (replacing the one registered before).
///
/// # Errors
///
/// As [`PatronageOptions::new`], for options changed after it.
///
/// # Example
///
/// ```
/// use chrono::NaiveDate;
/// use datafusion::execution::FunctionRegistry;
/// use datafusion::prelude::SessionContext;
/// use patronage::segment::PopulationStats;
/// use patronage::{Config, Currency};
/// use patronage_datafusion::{register_segment, PatronageOptions};
///
/// let as_of = NaiveDate::from_ymd_opt(2024, 12, 31).ok_or("bad date")?;
/// let ctx = SessionContext::new();
/// let options = PatronageOptions::new(&Config::reference(), as_of, Currency::CNY)?;
/// register_segment(&ctx, &options, PopulationStats::default())?;
/// assert!(ctx.udf("patronage_segment").is_ok());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn register_segment(
    ctx: &SessionContext,
    options: &PatronageOptions,
    population: PopulationStats,
) -> Result<()> {
    for udf in udfs(options, Some(population))? {
        ctx.register_udf(udf);
    }
    Ok(())
}
