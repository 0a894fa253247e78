//! Bad rows and bad plans: DataFusion errors that name the customer and the problem.

use datafusion::arrow::array::AsArray;
use datafusion::error::DataFusionError;
use datafusion::prelude::{SessionConfig, SessionContext};
use patronage::segment::{PopulationStats, ScoreMethod};
use patronage_datafusion::{register, register_segment};

use crate::common::{block_on, config, options, peer_config, run};

fn session(config: &patronage::Config) -> SessionContext {
    let ctx = SessionContext::new_with_config(SessionConfig::new().with_target_partitions(1));
    register(&ctx, &options(config)).unwrap();
    ctx
}

fn root(err: &DataFusionError) -> String {
    err.find_root().to_string()
}

fn facts_error(values: &str) -> String {
    let ctx = session(&config(ScoreMethod::Quantile));
    let sql =
        format!("SELECT patronage_facts(c, d, a) FROM (VALUES {values}) AS t(c, d, a) GROUP BY c");
    let err = block_on(run(&ctx, &sql)).unwrap_err();
    root(&err)
}

#[test]
fn too_many_decimal_places_names_the_customer() {
    assert_eq!(
        facts_error("(CAST(7 AS BIGINT UNSIGNED), DATE '2024-03-01', CAST(1.234 AS DECIMAL(12, 3)))"),
        "Execution error: patronage_facts: purchase of customer `7` on 2024-03-01: field `amount`: expected at most 2 decimal places (`CNY`), found `1.234`"
    );
    // Zeros beyond the currency's places are fine.
    let ctx = session(&config(ScoreMethod::Quantile));
    let ok = block_on(run(
        &ctx,
        "SELECT patronage_facts(c, d, a)['monetary'] FROM (VALUES (7, DATE '2024-03-01', CAST(1.230 AS DECIMAL(12, 3)))) AS t(c, d, a)",
    ))
    .unwrap();
    assert_eq!(
        ok[0]
            .column(0)
            .as_primitive::<datafusion::arrow::datatypes::Decimal128Type>()
            .value_as_string(0),
        "1.23"
    );
}

#[test]
fn a_null_customer_is_refused() {
    assert_eq!(
        facts_error("(CAST(NULL AS BIGINT), DATE '2024-03-01', CAST(5.00 AS DECIMAL(12, 2)))"),
        "Execution error: patronage_facts: order on 2024-03-01 of amount `5.00` has a null `customer_id`: expected a customer on every row"
    );
}

#[test]
fn null_dates_and_amounts_name_the_customer() {
    assert_eq!(
        facts_error("(9, CAST(NULL AS DATE), CAST(5.00 AS DECIMAL(12, 2)))"),
        "Execution error: patronage_facts: order of customer `9`: field `order_date` is null: expected a date"
    );
    assert_eq!(
        facts_error("(9, DATE '2024-03-01', CAST(NULL AS DECIMAL(12, 2)))"),
        "Execution error: patronage_facts: order of customer `9` on 2024-03-01: field `amount` is null: expected an amount in `CNY`"
    );
}

#[test]
fn an_overflowing_total_names_the_customer() {
    // Whole yuan: a decimal keeps every place it can, so only a sum beyond 96 bits at
    // scale 0 overflows.
    let big = "CAST('50000000000000000000000000000' AS DECIMAL(38, 0))";
    let err = facts_error(&format!(
        "(11, DATE '2024-03-01', {big}), (11, DATE '2024-03-02', {big})"
    ));
    assert_eq!(
        err,
        "Execution error: patronage_facts: purchase of customer `11` on 2024-03-02: field `amount`: `50000000000000000000000000000 + 50000000000000000000000000000` overflows: amounts must stay within ±79228162514264337593543950335"
    );
}

#[test]
fn two_customers_in_one_group_are_refused() {
    let ctx = session(&config(ScoreMethod::Quantile));
    let err = block_on(run(
        &ctx,
        "SELECT patronage_facts(c, d, a) FROM (VALUES (1, DATE '2024-03-01', CAST(1.00 AS DECIMAL(12, 2))), (2, DATE '2024-03-01', CAST(2.00 AS DECIMAL(12, 2)))) AS t(c, d, a)",
    ))
    .unwrap_err();
    assert_eq!(
        root(&err),
        "Execution error: patronage_facts: customers `1` and `2` in one group: expected one customer per group (`GROUP BY customer_id`)"
    );
}

#[test]
fn a_float_amount_is_refused_at_planning() {
    let ctx = session(&config(ScoreMethod::Quantile));
    let err = block_on(ctx.sql(
        "SELECT patronage_facts(c, d, a) FROM (VALUES (1, DATE '2024-03-01', CAST(1.5 AS DOUBLE))) AS t(c, d, a)",
    ))
    .unwrap_err();
    assert!(
        root(&err).contains("patronage_facts: argument `amount` is Float64: expected a decimal128 with at most 2 decimal places (`CNY`) or an integer of minor units"),
        "{err}"
    );
}

#[test]
fn a_rank_config_without_ranks_is_refused_at_planning() {
    let config = peer_config();
    let ctx = session(&config);
    register_segment(&ctx, &options(&config), PopulationStats::default()).unwrap();
    block_on(run(
        &ctx,
        "CREATE VIEW facts AS SELECT c AS customer_id, patronage_facts(c, d, a) AS f FROM (VALUES (1, DATE '2024-03-01', CAST(1.00 AS DECIMAL(12, 2)))) AS t(c, d, a) GROUP BY c",
    ))
    .unwrap();
    let err = block_on(ctx.sql("SELECT patronage_segment(f) FROM facts")).unwrap_err();
    assert_eq!(
        root(&err),
        "Error during planning: patronage_segment: the config scores by ordinal rank (`segment.rfm.scores.method = \"rank\"`) and a rank needs the whole base in order, which one batch of facts does not have: pass the three ranks from window functions over the purchasers, `patronage_segment(f, row_number() OVER (ORDER BY f['recency_days'] DESC, customer_id), row_number() OVER (ORDER BY f['frequency'], customer_id), row_number() OVER (ORDER BY f['monetary'], customer_id))`"
    );
    // A quantile config refuses ranks.
    let quantile = config_quantile();
    let ctx = session(&quantile);
    register_segment(&ctx, &options(&quantile), PopulationStats::default()).unwrap();
    block_on(run(&ctx, "CREATE VIEW facts AS SELECT c AS customer_id, patronage_facts(c, d, a) AS f FROM (VALUES (1, DATE '2024-03-01', CAST(1.00 AS DECIMAL(12, 2)))) AS t(c, d, a) GROUP BY c")).unwrap();
    let err = block_on(ctx.sql("SELECT patronage_segment(f, 1, 1, 1) FROM facts")).unwrap_err();
    assert_eq!(
        root(&err),
        "Error during planning: patronage_segment: 3 ranks given: expected none, the config scores by quantiles or cut points (ranks are for `segment.rfm.scores.method = \"rank\"`)"
    );
}

fn config_quantile() -> patronage::Config {
    config(ScoreMethod::Quantile)
}

#[test]
fn segmenting_without_statistics_is_refused_at_planning() {
    let ctx = session(&config(ScoreMethod::Quantile));
    block_on(run(&ctx, "CREATE VIEW facts AS SELECT c AS customer_id, patronage_facts(c, d, a) AS f FROM (VALUES (1, DATE '2024-03-01', CAST(1.00 AS DECIMAL(12, 2)))) AS t(c, d, a) GROUP BY c")).unwrap();
    let err = block_on(ctx.sql("SELECT patronage_segment(f) FROM facts")).unwrap_err();
    assert_eq!(
        root(&err),
        "Error during planning: patronage_segment: built without population statistics: compute them with `patronage_stats` over the facts and build the function with them (`register_segment`)"
    );
}
