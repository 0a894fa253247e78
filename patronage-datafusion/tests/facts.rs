//! `patronage_facts` and `patronage_stats` equal the core, whatever the partitions.

use datafusion::arrow::array::AsArray;
use patronage::segment::{PopulationStats, ScoreMethod, SketchCapacity, StatsMethod};
use patronage_datafusion::{
    facts_table_from_batch, facts_table_to_batch, population_stats_from_bytes, PatronageOptions,
};
use proptest::prelude::*;

use crate::common::{
    self, block_on, config, core_table, facts_options, run, session, table_of, FACTS_VIEW,
};

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    #[test]
    fn facts_and_stats_equal_the_core(
        rows in common::rows(),
        partitions in 1usize..6,
        cuts in prop::collection::vec(0usize..400, 5),
        target in 1usize..5,
    ) {
        let config = config(ScoreMethod::Quantile);
        let options = facts_options(&config);
        let expected = core_table(&config, &rows);
        let ctx = session(&config, &rows, partitions, &cuts, target);
        let (table, stats) = block_on(async {
            run(&ctx, FACTS_VIEW).await.unwrap();
            let facts = run(&ctx, "SELECT f FROM facts").await.unwrap();
            let stats = run(&ctx, "SELECT patronage_stats(f) FROM facts").await.unwrap();
            (table_of(&facts, &options), stats)
        });
        prop_assert_eq!(&table, &expected);
        let bytes = stats[0].column(0).as_binary::<i32>().value(0);
        let stats = population_stats_from_bytes(bytes).unwrap();
        prop_assert_eq!(stats, PopulationStats::of(&expected));
    }
}

#[test]
fn the_plain_accumulator_folds_a_whole_table() {
    // Without GROUP BY every row is one group: one customer's rows only.
    let config = config(ScoreMethod::Quantile);
    let rows: Vec<common::Row> = (0..40)
        .map(|i| common::Row {
            customer: 5,
            days_before: i * 17,
            cents: if i % 7 == 3 { -100 } else { 1_000 + i },
        })
        .collect();
    let expected = core_table(&config, &rows);
    let ctx = session(&config, &rows, 3, &[10, 25], 4);
    let facts = block_on(run(
        &ctx,
        "SELECT patronage_facts(customer_id, order_date, amount) FROM orders",
    ))
    .unwrap();
    assert_eq!(table_of(&facts, &facts_options(&config)), expected);
}

#[test]
fn sketch_statistics_are_the_cores() {
    let config = config(ScoreMethod::Quantile);
    let capacity = SketchCapacity::try_new(64).unwrap();
    let rows: Vec<common::Row> = (0..500)
        .map(|i: i64| common::Row {
            customer: (i % 97) as u64,
            days_before: i * 3 % 400,
            cents: i * 37 % 10_000,
        })
        .collect();
    let expected = core_table(&config, &rows);
    let ctx = datafusion::prelude::SessionContext::new();
    let options = PatronageOptions::new(&config, common::as_of(), patronage::Currency::CNY)
        .unwrap()
        .with_stats_method(StatsMethod::Sketch(capacity));
    patronage_datafusion::register(&ctx, &options).unwrap();
    let batch = facts_table_to_batch(&expected).unwrap();
    ctx.register_batch("flat", batch).unwrap();
    let stats = block_on(run(&ctx, "SELECT patronage_stats(named_struct('customer_id', customer_id, 'first_purchase', first_purchase, 'last_purchase', last_purchase, 'recency_days', recency_days, 'days_since_first_purchase', days_since_first_purchase, 'purchases', purchases, 'frequency', frequency, 'frequency_band', frequency_band, 'monetary', monetary, 'refunds', refunds, 'refunded', refunded)) FROM flat")).unwrap();
    let stats =
        population_stats_from_bytes(stats[0].column(0).as_binary::<i32>().value(0)).unwrap();
    assert_eq!(stats, PopulationStats::approximate(&expected, capacity));
}

#[test]
fn facts_tables_round_trip_through_record_batches() {
    let config = config(ScoreMethod::Quantile);
    let rows: Vec<common::Row> = (0..200)
        .map(|i: i64| common::Row {
            customer: (i % 31) as u64,
            days_before: i * 5 % 700,
            cents: if i % 9 == 0 { -50 } else { i * 101 },
        })
        .collect();
    let table = core_table(&config, &rows);
    let batch = facts_table_to_batch(&table).unwrap();
    assert_eq!(batch.num_rows(), table.len());
    assert_eq!(
        facts_table_from_batch(&batch, &facts_options(&config)).unwrap(),
        table
    );
}

#[test]
fn timestamps_and_minor_units_fold_as_dates_and_amounts() {
    // An instant is a date in the options' zone (UTC here); an integer is minor units.
    let config = config(ScoreMethod::Quantile);
    let ctx = datafusion::prelude::SessionContext::new();
    patronage_datafusion::register(&ctx, &common::options(&config)).unwrap();
    let batches = block_on(run(
        &ctx,
        "SELECT f['last_purchase'] AS last, f['monetary'] AS spend, f['refunded'] AS refunded \
         FROM (SELECT patronage_facts(c, t, a) AS f FROM (VALUES \
            (3, TIMESTAMP '2024-03-01T23:30:00', 1999), \
            (3, TIMESTAMP '2024-02-01T08:00:00', -500)) AS v(c, t, a) GROUP BY c)",
    ))
    .unwrap();
    let text = datafusion::arrow::util::pretty::pretty_format_batches(&batches)
        .unwrap()
        .to_string();
    assert!(text.contains("| 2024-03-01 | 14.99 | 5.00     |"), "{text}");
}

#[test]
fn a_filter_clause_leaves_rows_out() {
    // `FILTER (WHERE …)` reaches the groups accumulator as `opt_filter`.
    let config = config(ScoreMethod::Quantile);
    let rows: Vec<common::Row> = (0..120_i64)
        .map(|i| common::Row {
            customer: (i % 9) as u64,
            days_before: i * 11 % 600,
            cents: if i % 5 == 0 { -300 } else { 500 + i },
        })
        .collect();
    let purchases: Vec<common::Row> = rows.iter().filter(|r| r.cents >= 0).cloned().collect();
    let expected = core_table(&config, &purchases);
    let ctx = session(&config, &rows, 3, &[40, 80], 2);
    let facts = block_on(run(
        &ctx,
        "SELECT patronage_facts(customer_id, order_date, amount) FILTER (WHERE amount >= 0) \
         FROM orders GROUP BY customer_id",
    ))
    .unwrap();
    assert_eq!(table_of(&facts, &facts_options(&config)), expected);
}
