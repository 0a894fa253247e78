//! `patronage_segment` equals `Segmenter::run` for every customer: quantile scores
//! with the statistics aggregate, rank scores with `row_number()` ranks.

use datafusion::arrow::array::AsArray;
use patronage::segment::ScoreMethod;
use patronage::{Config, Currency};
use patronage_datafusion::{population_stats_from_bytes, register_segment, segmentation_to_batch};
use proptest::prelude::*;

use crate::common::{
    self, block_on, config, core_table, options, peer_config, run, session, struct_rows, FACTS_VIEW,
};

pub(crate) const RANKED: &str = "SELECT patronage_segment(f, \
    CASE WHEN f['purchases'] > 0 THEN row_number() OVER (PARTITION BY f['purchases'] > 0 ORDER BY f['recency_days'] DESC, customer_id) END, \
    CASE WHEN f['purchases'] > 0 THEN row_number() OVER (PARTITION BY f['purchases'] > 0 ORDER BY f['frequency'], customer_id) END, \
    CASE WHEN f['purchases'] > 0 THEN row_number() OVER (PARTITION BY f['purchases'] > 0 ORDER BY f['monetary'], customer_id) END) \
    FROM facts WHERE f IS NOT NULL";

/// The segmentation through SQL, as rows of text per customer.
pub(crate) fn segmented(
    config: &Config,
    rows: &[common::Row],
    partitions: usize,
    cuts: &[usize],
    target: usize,
) -> Vec<(u64, Vec<String>)> {
    let ctx = session(config, rows, partitions, cuts, target);
    let options = options(config);
    block_on(async {
        run(&ctx, FACTS_VIEW).await.unwrap();
        let stats = run(&ctx, "SELECT patronage_stats(f) FROM facts")
            .await
            .unwrap();
        let stats =
            population_stats_from_bytes(stats[0].column(0).as_binary::<i32>().value(0)).unwrap();
        register_segment(&ctx, &options, stats).unwrap();
        let sql = if options.needs_ranks() {
            RANKED
        } else {
            "SELECT patronage_segment(f) FROM facts WHERE f IS NOT NULL"
        };
        struct_rows(&run(&ctx, sql).await.unwrap(), 0)
    })
}

/// The core's segmentation of the same rows in one process, as rows of text.
pub(crate) fn expected(config: &Config, rows: &[common::Row]) -> Vec<(u64, Vec<String>)> {
    let table = core_table(config, rows);
    let (segmenter, _) = config.segmenter(Currency::CNY).unwrap();
    let batch = segmentation_to_batch(&segmenter.run(&table).unwrap()).unwrap();
    let array = datafusion::arrow::array::StructArray::from(batch);
    let batch = datafusion::arrow::array::RecordBatch::try_from_iter([(
        "s",
        std::sync::Arc::new(array) as _,
    )])
    .unwrap();
    struct_rows(&[batch], 0)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(16))]

    #[test]
    fn quantile_segmentation_equals_one_run(
        rows in common::rows(),
        partitions in 1usize..6,
        cuts in prop::collection::vec(0usize..400, 5),
        target in 1usize..5,
    ) {
        let config = config(ScoreMethod::Quantile);
        prop_assert_eq!(segmented(&config, &rows, partitions, &cuts, target), expected(&config, &rows));
    }

    #[test]
    fn rank_segmentation_equals_one_run(
        rows in common::rows(),
        partitions in 1usize..6,
        cuts in prop::collection::vec(0usize..400, 5),
        target in 1usize..5,
    ) {
        let config = peer_config();
        prop_assert_eq!(segmented(&config, &rows, partitions, &cuts, target), expected(&config, &rows));
    }
}

#[test]
fn the_reference_config_segments_every_customer() {
    let config = Config::reference();
    let rows: Vec<common::Row> = (0..400)
        .map(|i: i64| common::Row {
            customer: (i % 53) as u64,
            days_before: i * 7 % 800,
            cents: if i % 11 == 5 { -75 } else { i * 313 % 40_000 },
        })
        .collect();
    let got = segmented(&config, &rows, 4, &[100, 50, 300], 3);
    assert_eq!(got.len(), 53);
    assert_eq!(got, expected(&config, &rows));
}
