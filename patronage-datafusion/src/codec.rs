//! [`PatronageCodec`]: the functions' options (and the segmentation's statistics)
//! travel with a plan serialised by `datafusion-proto`.

use std::sync::Arc;

use datafusion::arrow::datatypes::SchemaRef;
use datafusion::catalog::TableProvider;
use datafusion::common::TableReference;
use datafusion::error::{DataFusionError, Result};
use datafusion::execution::TaskContext;
use datafusion::logical_expr::{AggregateUDF, Extension, LogicalPlan, ScalarUDF, WindowUDF};
use datafusion::physical_expr_common::physical_expr::proto_decode::PhysicalExprDecodeCtx;
use datafusion::physical_expr_common::physical_expr::proto_encode::PhysicalExprEncodeCtx;
use datafusion::physical_plan::{ExecutionPlan, PhysicalExpr};
use datafusion_proto::logical_plan::{DefaultLogicalExtensionCodec, LogicalExtensionCodec};
use datafusion_proto::physical_plan::{
    DefaultPhysicalExtensionCodec, PhysicalExtensionCodec, PhysicalProtoConverterExtension,
};
use patronage::segment::PopulationStats;
use serde::{Deserialize, Serialize};

use crate::facts::{FactsAggregate, FACTS_FUNCTION};
use crate::options::PatronageOptions;
use crate::segment::{SegmentFunction, SEGMENT_FUNCTION};
use crate::stats::{StatsAggregate, STATS_FUNCTION};

/// What the codec writes for one of the crate's functions (JSON).
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Payload {
    options: PatronageOptions,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    population: Option<PopulationStats>,
}

/// A logical and physical extension codec for `datafusion-proto` (and Ballista) that
/// writes the options of `patronage_facts`, `patronage_stats` and `patronage_segment`
/// (and the segmentation's statistics) with the plan, as JSON keyed by the function's
/// name, and rebuilds the same functions when the plan is read in another process.
///
/// Everything else — other functions, table providers, file formats, extension
/// nodes — goes to the codecs it wraps ([`PatronageCodec::wrapping`]: Ballista's own,
/// say); [`PatronageCodec::default`] wraps DataFusion's defaults.
///
/// # Example
///
/// ```no_run
/// use chrono::NaiveDate;
/// use datafusion::prelude::SessionContext;
/// use datafusion_proto::bytes::{logical_plan_from_bytes_with_extension_codec, logical_plan_to_bytes_with_extension_codec};
/// use patronage::{Config, Currency};
/// use patronage_datafusion::{register, PatronageCodec, PatronageOptions};
///
/// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
/// let as_of = NaiveDate::from_ymd_opt(2024, 12, 31).ok_or("bad date")?;
/// let ctx = SessionContext::new();
/// register(&ctx, &PatronageOptions::new(&Config::reference(), as_of, patronage::Currency::CNY)?)?;
/// let plan = ctx.sql("SELECT patronage_facts(1, DATE '2024-12-01', 9.90)").await?.into_optimized_plan()?;
/// let codec = PatronageCodec::default();
/// let bytes = logical_plan_to_bytes_with_extension_codec(&plan, &codec)?;
/// // In another process, with no function registered:
/// let other = SessionContext::new();
/// let back = logical_plan_from_bytes_with_extension_codec(&bytes, &other.task_ctx(), &codec)?;
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct PatronageCodec {
    logical: Arc<dyn LogicalExtensionCodec>,
    physical: Arc<dyn PhysicalExtensionCodec>,
}

impl Default for PatronageCodec {
    fn default() -> PatronageCodec {
        PatronageCodec::wrapping(
            Arc::new(DefaultLogicalExtensionCodec {}),
            Arc::new(DefaultPhysicalExtensionCodec {}),
        )
    }
}

impl PatronageCodec {
    /// A codec for the crate's functions that hands everything else to `logical` and
    /// `physical` (Ballista's `BallistaLogicalExtensionCodec` and
    /// `BallistaPhysicalExtensionCodec` in a Ballista deployment).
    pub fn wrapping(
        logical: Arc<dyn LogicalExtensionCodec>,
        physical: Arc<dyn PhysicalExtensionCodec>,
    ) -> PatronageCodec {
        PatronageCodec { logical, physical }
    }

    fn write(payload: &Payload, buf: &mut Vec<u8>) -> Result<()> {
        serde_json::to_writer(buf, payload)
            .map_err(|e| DataFusionError::Internal(format!("patronage codec: {e}")))
    }

    fn read(name: &str, buf: &[u8]) -> Result<Payload> {
        if buf.is_empty() {
            return Err(DataFusionError::Plan(format!(
                "patronage codec: `{name}` comes without its options: expected a plan written with `PatronageCodec`, or the function registered in this process"
            )));
        }
        serde_json::from_slice(buf).map_err(|e| {
            DataFusionError::Plan(format!(
                "patronage codec: the options of `{name}` do not read: {e}"
            ))
        })
    }

    fn encode_udf(node: &ScalarUDF, buf: &mut Vec<u8>) -> Option<Result<()>> {
        let function = node.inner().downcast_ref::<SegmentFunction>()?;
        let payload = Payload {
            options: function.options().clone(),
            population: function.population().cloned(),
        };
        Some(PatronageCodec::write(&payload, buf))
    }

    fn decode_udf(name: &str, buf: &[u8]) -> Option<Result<Arc<ScalarUDF>>> {
        (name == SEGMENT_FUNCTION).then(|| {
            let payload = PatronageCodec::read(name, buf)?;
            let function = SegmentFunction::new(payload.options, payload.population)?;
            Ok(Arc::new(ScalarUDF::new_from_impl(function)))
        })
    }

    fn encode_udaf(node: &AggregateUDF, buf: &mut Vec<u8>) -> Option<Result<()>> {
        let inner = node.inner();
        let options = if let Some(facts) = inner.downcast_ref::<FactsAggregate>() {
            facts.options().clone()
        } else {
            inner.downcast_ref::<StatsAggregate>()?.options().clone()
        };
        let payload = Payload {
            options,
            population: None,
        };
        Some(PatronageCodec::write(&payload, buf))
    }

    fn decode_udaf(name: &str, buf: &[u8]) -> Option<Result<Arc<AggregateUDF>>> {
        match name {
            FACTS_FUNCTION => Some(PatronageCodec::read(name, buf).and_then(|p| {
                Ok(Arc::new(AggregateUDF::new_from_impl(FactsAggregate::new(
                    p.options,
                )?)))
            })),
            STATS_FUNCTION => Some(PatronageCodec::read(name, buf).and_then(|p| {
                Ok(Arc::new(AggregateUDF::new_from_impl(StatsAggregate::new(
                    p.options,
                )?)))
            })),
            _ => None,
        }
    }
}

impl LogicalExtensionCodec for PatronageCodec {
    fn try_decode(
        &self,
        buf: &[u8],
        inputs: &[LogicalPlan],
        ctx: &TaskContext,
    ) -> Result<Extension> {
        self.logical.try_decode(buf, inputs, ctx)
    }

    fn try_encode(&self, node: &Extension, buf: &mut Vec<u8>) -> Result<()> {
        self.logical.try_encode(node, buf)
    }

    fn try_decode_table_provider(
        &self,
        buf: &[u8],
        table_ref: &TableReference,
        schema: SchemaRef,
        ctx: &TaskContext,
    ) -> Result<Arc<dyn TableProvider>> {
        self.logical
            .try_decode_table_provider(buf, table_ref, schema, ctx)
    }

    fn try_encode_table_provider(
        &self,
        table_ref: &TableReference,
        node: Arc<dyn TableProvider>,
        buf: &mut Vec<u8>,
    ) -> Result<()> {
        self.logical.try_encode_table_provider(table_ref, node, buf)
    }

    fn try_decode_file_format(
        &self,
        buf: &[u8],
        ctx: &TaskContext,
    ) -> Result<Arc<dyn datafusion::datasource::file_format::FileFormatFactory>> {
        self.logical.try_decode_file_format(buf, ctx)
    }

    fn try_encode_file_format(
        &self,
        buf: &mut Vec<u8>,
        node: Arc<dyn datafusion::datasource::file_format::FileFormatFactory>,
    ) -> Result<()> {
        self.logical.try_encode_file_format(buf, node)
    }

    fn try_decode_udf(&self, name: &str, buf: &[u8]) -> Result<Arc<ScalarUDF>> {
        PatronageCodec::decode_udf(name, buf)
            .unwrap_or_else(|| self.logical.try_decode_udf(name, buf))
    }

    fn try_encode_udf(&self, node: &ScalarUDF, buf: &mut Vec<u8>) -> Result<()> {
        PatronageCodec::encode_udf(node, buf)
            .unwrap_or_else(|| self.logical.try_encode_udf(node, buf))
    }

    fn try_decode_udaf(&self, name: &str, buf: &[u8]) -> Result<Arc<AggregateUDF>> {
        PatronageCodec::decode_udaf(name, buf)
            .unwrap_or_else(|| self.logical.try_decode_udaf(name, buf))
    }

    fn try_encode_udaf(&self, node: &AggregateUDF, buf: &mut Vec<u8>) -> Result<()> {
        PatronageCodec::encode_udaf(node, buf)
            .unwrap_or_else(|| self.logical.try_encode_udaf(node, buf))
    }

    fn try_decode_udwf(&self, name: &str, buf: &[u8]) -> Result<Arc<WindowUDF>> {
        self.logical.try_decode_udwf(name, buf)
    }

    fn try_encode_udwf(&self, node: &WindowUDF, buf: &mut Vec<u8>) -> Result<()> {
        self.logical.try_encode_udwf(node, buf)
    }
}

impl PhysicalExtensionCodec for PatronageCodec {
    fn try_decode(
        &self,
        buf: &[u8],
        inputs: &[Arc<dyn ExecutionPlan>],
        ctx: &TaskContext,
        proto_converter: &dyn PhysicalProtoConverterExtension,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        self.physical.try_decode(buf, inputs, ctx, proto_converter)
    }

    fn try_encode(
        &self,
        node: Arc<dyn ExecutionPlan>,
        buf: &mut Vec<u8>,
        proto_converter: &dyn PhysicalProtoConverterExtension,
    ) -> Result<()> {
        self.physical.try_encode(node, buf, proto_converter)
    }

    fn try_decode_udf(&self, name: &str, buf: &[u8]) -> Result<Arc<ScalarUDF>> {
        PatronageCodec::decode_udf(name, buf)
            .unwrap_or_else(|| self.physical.try_decode_udf(name, buf))
    }

    fn try_encode_udf(&self, node: &ScalarUDF, buf: &mut Vec<u8>) -> Result<()> {
        PatronageCodec::encode_udf(node, buf)
            .unwrap_or_else(|| self.physical.try_encode_udf(node, buf))
    }

    fn try_decode_expr(
        &self,
        buf: &[u8],
        inputs: &[Arc<dyn PhysicalExpr>],
        ctx: &PhysicalExprDecodeCtx<'_>,
    ) -> Result<Arc<dyn PhysicalExpr>> {
        self.physical.try_decode_expr(buf, inputs, ctx)
    }

    fn try_encode_expr(
        &self,
        node: &Arc<dyn PhysicalExpr>,
        buf: &mut Vec<u8>,
        ctx: &PhysicalExprEncodeCtx<'_>,
    ) -> Result<()> {
        self.physical.try_encode_expr(node, buf, ctx)
    }

    fn try_decode_udaf(&self, name: &str, buf: &[u8]) -> Result<Arc<AggregateUDF>> {
        PatronageCodec::decode_udaf(name, buf)
            .unwrap_or_else(|| self.physical.try_decode_udaf(name, buf))
    }

    fn try_encode_udaf(&self, node: &AggregateUDF, buf: &mut Vec<u8>) -> Result<()> {
        PatronageCodec::encode_udaf(node, buf)
            .unwrap_or_else(|| self.physical.try_encode_udaf(node, buf))
    }

    fn try_decode_udwf(&self, name: &str, buf: &[u8]) -> Result<Arc<WindowUDF>> {
        self.physical.try_decode_udwf(name, buf)
    }

    fn try_encode_udwf(&self, node: &WindowUDF, buf: &mut Vec<u8>) -> Result<()> {
        self.physical.try_encode_udwf(node, buf)
    }
}
