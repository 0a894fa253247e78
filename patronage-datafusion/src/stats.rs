//! `patronage_stats(facts)`: the population statistics of the facts, merged exactly
//! across partitions (R13).

use std::hash::{Hash, Hasher};
use std::mem::size_of;
use std::sync::Arc;

use datafusion::arrow::array::{Array, ArrayRef, AsArray};
use datafusion::arrow::datatypes::{DataType, Field, FieldRef};
use datafusion::error::{DataFusionError, Result};
use datafusion::logical_expr::function::{AccumulatorArgs, StateFieldsArgs};
use datafusion::logical_expr::{Accumulator, AggregateUDFImpl, Signature, Volatility};
use datafusion::scalar::ScalarValue;
use patronage::segment::{PopulationStats, StatsMethod};

use crate::convert::facts_table_from_struct;
use crate::options::{Compiled, PatronageOptions};

/// The name of the statistics aggregate.
pub const STATS_FUNCTION: &str = "patronage_stats";

/// The population-statistics aggregate: `patronage_stats(facts)` over the facts
/// structs of `patronage_facts` gives the base's [`PopulationStats`] as a `binary`
/// value (the core's serde form as JSON; read it with [`population_stats_from_bytes`]).
///
/// Each batch of facts becomes a facts table whose statistics
/// ([`PopulationStats::of`], or [`PopulationStats::approximate`] when the options ask
/// for a sketch) merge into the partition's; partitions merge with
/// [`PopulationStats::merge`]. Exact statistics merge exactly: the result equals the
/// statistics of one pass over every customer. A global aggregate (one group), so a
/// plain [`Accumulator`].
///
/// # Errors (at execution)
///
/// Facts that are not `patronage_facts` structs, a customer twice in one batch, or
/// statistics of another day, currency or method: a [`DataFusionError::Execution`].
#[derive(Debug, Clone)]
pub struct StatsAggregate {
    options: Arc<PatronageOptions>,
    compiled: Arc<Compiled>,
    key: String,
    signature: Signature,
}

impl PartialEq for StatsAggregate {
    fn eq(&self, other: &Self) -> bool {
        self.key == other.key
    }
}

impl Eq for StatsAggregate {}

impl Hash for StatsAggregate {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.key.hash(state);
    }
}

impl StatsAggregate {
    /// The aggregate for `options`.
    ///
    /// # Errors
    ///
    /// As [`PatronageOptions::new`].
    pub fn new(options: PatronageOptions) -> Result<StatsAggregate> {
        let compiled = options.compile()?;
        Ok(StatsAggregate {
            key: options.to_json()?,
            options: Arc::new(options),
            compiled: Arc::new(compiled),
            signature: Signature::any(1, Volatility::Immutable),
        })
    }

    /// The options the aggregate was built with.
    pub fn options(&self) -> &PatronageOptions {
        &self.options
    }
}

/// Population statistics from the `binary` value of `patronage_stats`.
///
/// # Errors
///
/// [`DataFusionError::Execution`] when the bytes are not statistics.
///
/// # Example
///
/// ```
/// use patronage::segment::PopulationStats;
/// use patronage_datafusion::{population_stats_from_bytes, population_stats_to_bytes};
///
/// let stats = PopulationStats::default();
/// assert_eq!(population_stats_from_bytes(&population_stats_to_bytes(&stats)?)?, stats);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn population_stats_from_bytes(bytes: &[u8]) -> Result<PopulationStats> {
    serde_json::from_slice(bytes).map_err(|e| {
        DataFusionError::Execution(format!(
            "{STATS_FUNCTION}: the value is not population statistics: {e}"
        ))
    })
}

/// Population statistics as `patronage_stats` writes them.
///
/// # Errors
///
/// [`DataFusionError::Internal`] if serde fails (it does not for these types).
///
/// # Example
///
/// See [`population_stats_from_bytes`].
pub fn population_stats_to_bytes(stats: &PopulationStats) -> Result<Vec<u8>> {
    serde_json::to_vec(stats)
        .map_err(|e| DataFusionError::Internal(format!("{STATS_FUNCTION}: {e}")))
}

impl AggregateUDFImpl for StatsAggregate {
    fn name(&self) -> &str {
        STATS_FUNCTION
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, arg_types: &[DataType]) -> Result<DataType> {
        match arg_types {
            [DataType::Struct(_)] => Ok(DataType::Binary),
            other => Err(DataFusionError::Plan(format!(
                "{STATS_FUNCTION}: arguments {other:?}: expected one facts struct, `patronage_stats(patronage_facts(...))`"
            ))),
        }
    }

    fn accumulator(&self, _args: AccumulatorArgs) -> Result<Box<dyn Accumulator>> {
        Ok(Box::new(StatsAccumulator {
            compiled: Arc::clone(&self.compiled),
            method: self.options.stats,
            stats: PopulationStats::default(),
        }))
    }

    fn state_fields(&self, args: StateFieldsArgs) -> Result<Vec<FieldRef>> {
        Ok(vec![Arc::new(Field::new(
            format!("{}[stats]", args.name),
            DataType::Binary,
            true,
        ))])
    }
}

#[derive(Debug)]
struct StatsAccumulator {
    compiled: Arc<Compiled>,
    method: StatsMethod,
    stats: PopulationStats,
}

impl StatsAccumulator {
    fn merge(&mut self, other: &PopulationStats) -> Result<()> {
        self.stats
            .merge(other)
            .map_err(|e| DataFusionError::Execution(format!("{STATS_FUNCTION}: {e}")))
    }

    fn value(&self) -> Result<ScalarValue> {
        Ok(ScalarValue::Binary(Some(population_stats_to_bytes(
            &self.stats,
        )?)))
    }
}

impl Accumulator for StatsAccumulator {
    fn update_batch(&mut self, values: &[ArrayRef]) -> Result<()> {
        let Some(facts) = values.first() else {
            return Ok(());
        };
        let Some(facts) = facts.as_struct_opt() else {
            return Err(DataFusionError::Execution(format!(
                "{STATS_FUNCTION}: the argument is {}: expected the facts struct of `patronage_facts`",
                facts.data_type()
            )));
        };
        let (table, _) = facts_table_from_struct(facts, &self.compiled.facts)?;
        let stats = match self.method {
            StatsMethod::Sketch(capacity) => PopulationStats::approximate(&table, capacity),
            _ => PopulationStats::of(&table),
        };
        self.merge(&stats)
    }

    fn evaluate(&mut self) -> Result<ScalarValue> {
        self.value()
    }

    fn size(&self) -> usize {
        // The counts' heap is not tracked by the core; count the inline part.
        size_of::<Self>()
    }

    fn state(&mut self) -> Result<Vec<ScalarValue>> {
        Ok(vec![self.value()?])
    }

    fn merge_batch(&mut self, states: &[ArrayRef]) -> Result<()> {
        let Some(states) = states.first() else {
            return Ok(());
        };
        let states = states.as_binary_opt::<i32>().ok_or_else(|| {
            DataFusionError::Internal(format!("{STATS_FUNCTION}: state is not binary"))
        })?;
        for row in 0..states.len() {
            if states.is_valid(row) {
                let other = population_stats_from_bytes(states.value(row))?;
                self.merge(&other)?;
            }
        }
        Ok(())
    }
}
