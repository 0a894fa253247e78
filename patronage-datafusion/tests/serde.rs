//! Plans round-trip through `datafusion-proto` with `PatronageCodec`: a process with no
//! function registered rebuilds the same functions and gets the same result.

use std::sync::Arc;

use datafusion::arrow::array::AsArray;
use datafusion::execution::FunctionRegistry;
use datafusion::physical_plan::collect;
use datafusion::prelude::SessionContext;
use datafusion_proto::bytes::{
    logical_plan_from_bytes_with_extension_codec, logical_plan_to_bytes_with_extension_codec,
    physical_plan_from_bytes_with_extension_codec, physical_plan_to_bytes_with_extension_codec,
};
use patronage::segment::ScoreMethod;
use patronage_datafusion::{population_stats_from_bytes, register_segment, PatronageCodec};

use crate::common::{
    self, block_on, config, options, peer_config, run, session, struct_rows, FACTS_VIEW,
};
use crate::segment::{expected, RANKED};

#[test]
fn a_logical_plan_round_trips() {
    let ctx = session(&config(ScoreMethod::Quantile), &[], 1, &[], 1);
    let sql = "SELECT patronage_facts(c, d, a) FROM (VALUES (1, DATE '2024-03-01', CAST(1.00 AS DECIMAL(12, 2))), (1, DATE '2024-05-01', CAST(2.50 AS DECIMAL(12, 2)))) AS t(c, d, a) GROUP BY c";
    let codec = PatronageCodec::default();
    block_on(async {
        let plan = ctx.sql(sql).await.unwrap().into_optimized_plan().unwrap();
        let direct = ctx
            .execute_logical_plan(plan.clone())
            .await
            .unwrap()
            .collect()
            .await
            .unwrap();
        let bytes = logical_plan_to_bytes_with_extension_codec(&plan, &codec).unwrap();
        let other = SessionContext::new();
        assert!(other.udaf("patronage_facts").is_err());
        let back = logical_plan_from_bytes_with_extension_codec(&bytes, &other.task_ctx(), &codec)
            .unwrap();
        let shipped = other
            .execute_logical_plan(back)
            .await
            .unwrap()
            .collect()
            .await
            .unwrap();
        assert_eq!(struct_rows(&shipped, 0), struct_rows(&direct, 0));
        // Without the codec the other process does not know the function.
        let err = logical_plan_from_bytes_with_extension_codec(
            &bytes,
            &other.task_ctx(),
            &datafusion_proto::logical_plan::DefaultLogicalExtensionCodec {},
        )
        .unwrap_err();
        assert!(err.to_string().contains("patronage_facts"), "{err}");
    });
}

#[test]
fn a_physical_plan_of_the_ranked_job_round_trips() {
    let rows: Vec<common::Row> = (0..300)
        .map(|i: i64| common::Row {
            customer: (i % 41) as u64,
            days_before: i * 13 % 700,
            cents: if i % 10 == 1 { -80 } else { i * 211 % 30_000 },
        })
        .collect();
    for config in [peer_config(), config(ScoreMethod::Quantile)] {
        let ctx = session(&config, &rows, 3, &[50, 200], 2);
        let options = options(&config);
        let codec = PatronageCodec::default();
        let rows_out = block_on(async {
            run(&ctx, FACTS_VIEW).await.unwrap();
            let stats = run(&ctx, "SELECT patronage_stats(f) FROM facts")
                .await
                .unwrap();
            let stats = population_stats_from_bytes(stats[0].column(0).as_binary::<i32>().value(0))
                .unwrap();
            register_segment(&ctx, &options, stats).unwrap();
            let sql = if options.needs_ranks() {
                RANKED
            } else {
                "SELECT patronage_segment(f) FROM facts WHERE f IS NOT NULL"
            };
            let plan = ctx
                .sql(sql)
                .await
                .unwrap()
                .create_physical_plan()
                .await
                .unwrap();
            let bytes =
                physical_plan_to_bytes_with_extension_codec(Arc::clone(&plan), &codec).unwrap();
            let other = SessionContext::new();
            let back =
                physical_plan_from_bytes_with_extension_codec(&bytes, &other.task_ctx(), &codec)
                    .unwrap();
            struct_rows(&collect(back, other.task_ctx()).await.unwrap(), 0)
        });
        assert_eq!(rows_out, expected(&config, &rows));
    }
}
