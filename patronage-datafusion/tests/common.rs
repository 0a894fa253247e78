//! Random orders, a partitioned in-memory table of them, and the core's results.

use std::sync::Arc;

use chrono::NaiveDate;
use datafusion::arrow::array::{
    Array, AsArray, Date32Array, Decimal128Array, RecordBatch, StructArray, UInt64Array,
};
use datafusion::arrow::datatypes::{DataType, Field, Schema};
use datafusion::datasource::MemTable;
use datafusion::prelude::{SessionConfig, SessionContext};
use patronage::segment::{ScoreMethod, SegmentPreset, SegmentsConfig};
use patronage::{Config, Currency, CustomerId, FactsOptions, FactsTable, Money};
use patronage_datafusion::{facts_table_from_array, register, PatronageOptions};
use proptest::prelude::*;
use rust_decimal::Decimal;

pub(crate) const AS_OF: (i32, u32, u32) = (2024, 12, 31);

pub(crate) fn as_of() -> NaiveDate {
    NaiveDate::from_ymd_opt(AS_OF.0, AS_OF.1, AS_OF.2).unwrap()
}

/// One order row: customer, day offset before `as_of` (negative: after it), cents.
#[derive(Clone, Debug)]
pub(crate) struct Row {
    pub(crate) customer: u64,
    pub(crate) days_before: i64,
    pub(crate) cents: i64,
}

pub(crate) fn rows() -> impl Strategy<Value = Vec<Row>> {
    prop::collection::vec(
        (
            0u64..60,
            -3i64..900,
            prop_oneof![8 => 0i64..50_000, 1 => -5_000i64..0],
        )
            .prop_map(|(customer, days_before, cents)| Row {
                customer: customer * 7_919,
                days_before,
                cents,
            }),
        1..300,
    )
}

pub(crate) fn config(method: ScoreMethod) -> Config {
    let mut config = Config::reference();
    config.segment.rfm.scores.method = method;
    config
}

/// The peer job's config: rank scores, the R `rfm` 0.2 table, all-time frequency.
pub(crate) fn peer_config() -> Config {
    let mut config = config(ScoreMethod::Rank);
    config.segment.rfm.segments = SegmentsConfig::Preset(SegmentPreset::R02);
    config.facts.frequency_window_days = None;
    config
}

pub(crate) fn options(config: &Config) -> PatronageOptions {
    PatronageOptions::new(config, as_of(), Currency::CNY).unwrap()
}

pub(crate) fn facts_options(config: &Config) -> FactsOptions {
    config.facts_options_on(as_of(), Currency::CNY).unwrap()
}

pub(crate) fn date(row: &Row) -> NaiveDate {
    if row.days_before >= 0 {
        as_of() - chrono::Days::new(row.days_before as u64)
    } else {
        as_of() + chrono::Days::new(row.days_before.unsigned_abs())
    }
}

/// The core's facts table of the rows, in one pass.
pub(crate) fn core_table(config: &Config, rows: &[Row]) -> FactsTable {
    let customers: Vec<CustomerId> = rows.iter().map(|r| CustomerId(r.customer)).collect();
    let dates: Vec<NaiveDate> = rows.iter().map(date).collect();
    let amounts: Vec<Money> = rows
        .iter()
        .map(|r| Money::new(Decimal::new(r.cents, 2), Currency::CNY))
        .collect();
    FactsTable::from_dated_events(&facts_options(config), &customers, &dates, &amounts).unwrap()
}

/// A session with the functions registered and the rows as table `orders`, split
/// into `partitions` partitions (the split points drawn from `cuts`).
pub(crate) fn session(
    config: &Config,
    rows: &[Row],
    partitions: usize,
    cuts: &[usize],
    target: usize,
) -> SessionContext {
    let ctx = SessionContext::new_with_config(SessionConfig::new().with_target_partitions(target));
    register(&ctx, &options(config)).unwrap();
    let schema = Arc::new(Schema::new(vec![
        Field::new("customer_id", DataType::UInt64, true),
        Field::new("order_date", DataType::Date32, true),
        Field::new("amount", DataType::Decimal128(12, 2), true),
    ]));
    let mut bounds: Vec<usize> = cuts
        .iter()
        .take(partitions.saturating_sub(1))
        .map(|c| c % (rows.len() + 1))
        .collect();
    bounds.push(0);
    bounds.push(rows.len());
    bounds.sort_unstable();
    let epoch = NaiveDate::from_ymd_opt(1970, 1, 1).unwrap();
    let parts: Vec<Vec<RecordBatch>> = bounds
        .windows(2)
        .map(|w| {
            let slice = &rows[w[0]..w[1]];
            let batch = RecordBatch::try_new(
                Arc::clone(&schema),
                vec![
                    Arc::new(UInt64Array::from_iter_values(
                        slice.iter().map(|r| r.customer),
                    )),
                    Arc::new(Date32Array::from_iter_values(
                        slice.iter().map(|r| (date(r) - epoch).num_days() as i32),
                    )),
                    Arc::new(
                        Decimal128Array::from_iter_values(
                            slice.iter().map(|r| i128::from(r.cents)),
                        )
                        .with_precision_and_scale(12, 2)
                        .unwrap(),
                    ),
                ],
            )
            .unwrap();
            vec![batch]
        })
        .collect();
    let table = MemTable::try_new(schema, parts).unwrap();
    ctx.register_table("orders", Arc::new(table)).unwrap();
    ctx
}

pub(crate) const FACTS_VIEW: &str = "CREATE VIEW facts AS SELECT customer_id, \
    patronage_facts(customer_id, order_date, amount) AS f FROM orders GROUP BY customer_id";

pub(crate) fn block_on<F: std::future::Future>(future: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap()
        .block_on(future)
}

/// Runs `sql` and collects its batches.
pub(crate) async fn run(
    ctx: &SessionContext,
    sql: &str,
) -> datafusion::error::Result<Vec<RecordBatch>> {
    ctx.sql(sql).await?.collect().await
}

/// The facts table of a query's first column of facts structs.
pub(crate) fn table_of(batches: &[RecordBatch], options: &FactsOptions) -> FactsTable {
    let facts = batches.iter().flat_map(|b| {
        let array: &StructArray = b.column(0).as_struct();
        facts_table_from_array(array, options)
            .unwrap()
            .iter()
            .collect::<Vec<_>>()
    });
    FactsTable::from_facts(*options, facts).unwrap()
}

/// The struct column's rows as (customer, field values as text).
pub(crate) fn struct_rows(batches: &[RecordBatch], column: usize) -> Vec<(u64, Vec<String>)> {
    use datafusion::arrow::util::display::{ArrayFormatter, FormatOptions};
    let mut out = Vec::new();
    for batch in batches {
        let array = batch.column(column).as_struct();
        let formatters: Vec<ArrayFormatter<'_>> = array
            .columns()
            .iter()
            .map(|c| ArrayFormatter::try_new(c.as_ref(), &FormatOptions::default()).unwrap())
            .collect();
        let ids = array
            .column(0)
            .as_primitive::<datafusion::arrow::datatypes::UInt64Type>();
        for row in 0..array.len() {
            if array.is_valid(row) {
                out.push((
                    ids.value(row),
                    formatters
                        .iter()
                        .map(|f| f.value(row).to_string())
                        .collect(),
                ));
            }
        }
    }
    out.sort();
    out
}
