//! `patronage_segment(facts [, r_rank, f_rank, m_rank])`: each batch of facts
//! segmented on its own with the base's merged statistics (the core's
//! `Segmenter::run_shard`), no shuffle of the whole base.

use std::hash::{Hash, Hasher};
use std::sync::Arc;

use datafusion::arrow::array::{Array, ArrayRef, AsArray};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{DataType, UInt64Type};
use datafusion::error::{DataFusionError, Result};
use datafusion::logical_expr::{
    ColumnarValue, ScalarFunctionArgs, ScalarUDFImpl, Signature, Volatility,
};
use patronage::segment::{PopulationStats, ShardRanks};

use crate::convert::{facts_table_from_struct, segmentation_data_type, SegmentationColumns};
use crate::options::{Compiled, PatronageOptions};

/// The name of the segmentation function.
pub const SEGMENT_FUNCTION: &str = "patronage_segment";

/// The segmentation function: `patronage_segment(facts)` (quantile scores or cut
/// points) or `patronage_segment(facts, r_rank, f_rank, m_rank)` (ordinal-rank
/// scores) gives each customer's segmentation as a struct
/// ([`segmentation_data_type`](crate::segmentation_data_type)).
///
/// # The statistics travel with the function
///
/// The function is built with the base's merged [`PopulationStats`] (the result of
/// `patronage_stats`, read with
/// [`population_stats_from_bytes`](crate::population_stats_from_bytes)) rather than
/// taking them as an argument: an argument would be repeated on every row (a join with
/// the one-row statistics), while a function carries them once — and the
/// [codec](crate::PatronageCodec) ships them with the plan. A job is thus two queries:
/// the statistics, then the segmentation (see the crate's overview).
///
/// Each batch of facts becomes a facts table segmented by
/// [`Segmenter::run_shard`](patronage::Segmenter::run_shard) with those statistics:
/// thresholds and top shares are the whole base's, so each customer gets what one
/// segmentation of the whole base gives (R13), in any partitioning.
///
/// # Rank scores
///
/// An ordinal rank needs the whole base in order, which a batch does not have. That
/// order is the engine's own job: compute the ranks with window functions over the
/// purchasers (ties by customer id, ascending) and pass them in:
///
/// - `r_rank`: `row_number() OVER (ORDER BY f['recency_days'] DESC, customer_id)`;
/// - `f_rank`: `row_number() OVER (ORDER BY f['frequency'], customer_id)`;
/// - `m_rank`: `row_number() OVER (ORDER BY f['monetary'], customer_id)`.
///
/// A rank config without the ranks (or ranks with another config) is refused when the
/// query is planned, with the reason. Ranks go to
/// [`Segmenter::run_shard_ranked`](patronage::Segmenter::run_shard_ranked).
#[derive(Debug, Clone)]
pub struct SegmentFunction {
    options: Arc<PatronageOptions>,
    compiled: Arc<Compiled>,
    population: Option<Arc<PopulationStats>>,
    /// The options as JSON and a hash of the statistics' JSON, computed once: the
    /// planner hashes and compares functions often, and statistics can be large.
    key: String,
    population_hash: u64,
    signature: Signature,
}

impl PartialEq for SegmentFunction {
    fn eq(&self, other: &Self) -> bool {
        let same_population = match (&self.population, &other.population) {
            (Some(a), Some(b)) => {
                Arc::ptr_eq(a, b) || (self.population_hash == other.population_hash && a == b)
            }
            (None, None) => true,
            _ => false,
        };
        self.key == other.key && same_population
    }
}

impl Eq for SegmentFunction {}

impl Hash for SegmentFunction {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.key.hash(state);
        self.population_hash.hash(state);
    }
}

fn plan_error(message: &str) -> DataFusionError {
    DataFusionError::Plan(format!("{SEGMENT_FUNCTION}: {message}"))
}

fn exec_error(message: &str) -> DataFusionError {
    DataFusionError::Execution(format!("{SEGMENT_FUNCTION}: {message}"))
}

impl SegmentFunction {
    /// The function for `options`, with the base's statistics `population` (`None`:
    /// a placeholder that plans no query, refused with the reason).
    ///
    /// # Errors
    ///
    /// As [`PatronageOptions::new`].
    pub fn new(
        options: PatronageOptions,
        population: Option<PopulationStats>,
    ) -> Result<SegmentFunction> {
        let compiled = options.compile()?;
        let population = population.map(Arc::new);
        let population_json = serde_json::to_vec(&population)
            .map_err(|e| DataFusionError::Internal(format!("{SEGMENT_FUNCTION}: {e}")))?;
        let mut hasher = std::collections::hash_map::DefaultHasher::new();
        population_json.hash(&mut hasher);
        let population_hash = hasher.finish();
        let key = options.to_json()?;
        Ok(SegmentFunction {
            options: Arc::new(options),
            compiled: Arc::new(compiled),
            population,
            key,
            population_hash,
            signature: Signature::variadic_any(Volatility::Immutable),
        })
    }

    /// The options the function was built with.
    pub fn options(&self) -> &PatronageOptions {
        &self.options
    }

    /// The base's statistics the function segments with.
    pub fn population(&self) -> Option<&PopulationStats> {
        self.population.as_deref()
    }

    fn check_arguments(&self, arg_types: &[DataType]) -> Result<()> {
        if self.population.is_none() {
            return Err(plan_error(
                "built without population statistics: compute them with `patronage_stats` over the facts and build the function with them (`register_segment`)",
            ));
        }
        let Some(DataType::Struct(_)) = arg_types.first() else {
            return Err(plan_error(&format!(
                "arguments {arg_types:?}: expected the facts struct of `patronage_facts` first"
            )));
        };
        let ranks = arg_types.get(1..).unwrap_or(&[]);
        if self.options.needs_ranks() {
            if ranks.len() != 3 {
                return Err(plan_error(
                    "the config scores by ordinal rank (`segment.rfm.scores.method = \"rank\"`) and a rank needs the whole base in order, which one batch of facts does not have: pass the three ranks from window functions over the purchasers, `patronage_segment(f, row_number() OVER (ORDER BY f['recency_days'] DESC, customer_id), row_number() OVER (ORDER BY f['frequency'], customer_id), row_number() OVER (ORDER BY f['monetary'], customer_id))`",
                ));
            }
            if let Some(other) = ranks.iter().find(|t| !t.is_integer()) {
                return Err(plan_error(&format!(
                    "a rank is {other}: expected an integer (`row_number()`)"
                )));
            }
        } else if !ranks.is_empty() {
            return Err(plan_error(&format!(
                "{} ranks given: expected none, the config scores by quantiles or cut points (ranks are for `segment.rfm.scores.method = \"rank\"`)",
                ranks.len()
            )));
        }
        Ok(())
    }
}

impl ScalarUDFImpl for SegmentFunction {
    fn name(&self) -> &str {
        SEGMENT_FUNCTION
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, arg_types: &[DataType]) -> Result<DataType> {
        self.check_arguments(arg_types)?;
        Ok(segmentation_data_type(self.compiled.minor))
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let Some(population) = &self.population else {
            return Err(plan_error("built without population statistics"));
        };
        let arrays = ColumnarValue::values_to_arrays(&args.args)?;
        let types: Vec<DataType> = arrays.iter().map(|a| a.data_type().clone()).collect();
        self.check_arguments(&types)?;
        let Some(facts) = arrays.first().and_then(|a| a.as_struct_opt()) else {
            return Err(plan_error(
                "expected the facts struct of `patronage_facts` first",
            ));
        };
        let (table, positions) = facts_table_from_struct(facts, &self.compiled.facts)?;
        let segmenter = &self.compiled.segmenter;
        let segmentation = if arrays.len() == 4 {
            let mut ranks = ShardRanks {
                recency: vec![None; table.len()],
                frequency: vec![None; table.len()],
                monetary: vec![None; table.len()],
            };
            let columns = [
                &mut ranks.recency,
                &mut ranks.frequency,
                &mut ranks.monetary,
            ];
            for (column, array) in columns.into_iter().zip(arrays.get(1..).unwrap_or(&[])) {
                let array = cast(array, &DataType::UInt64)?;
                let array = array.as_primitive::<UInt64Type>();
                for (row, position) in positions.iter().enumerate() {
                    if let (Some(position), true) = (position, array.is_valid(row)) {
                        if let Some(slot) = column.get_mut(*position) {
                            *slot = Some(array.value(row));
                        }
                    }
                }
            }
            segmenter.run_shard_ranked(&table, population, &ranks)
        } else {
            segmenter.run_shard(&table, population)
        }
        .map_err(|e| exec_error(&e.to_string()))?;
        let mut columns = SegmentationColumns::default();
        for position in &positions {
            match position.and_then(|p| segmentation.row(p)) {
                Some(row) => columns.push(&row, self.compiled.minor)?,
                None => columns.push_null(),
            }
        }
        let array: ArrayRef = Arc::new(columns.finish(self.compiled.minor)?);
        Ok(ColumnarValue::Array(array))
    }
}
