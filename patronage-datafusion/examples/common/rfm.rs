//! What the RFM examples share: the peers' segment names and expected counts, the
//! job's SQL, and reading its result.

#![allow(dead_code)]

use std::fmt::Write as _;

use datafusion::arrow::array::{Array, AsArray, RecordBatch};
use datafusion::arrow::datatypes::Int64Type;
use patronage::segment::{ScoreMethod, SegmentPreset, SegmentsConfig};
use patronage::Config;

/// The peers' segment names, in their table's order.
pub(crate) const SEGMENTS: [&str; 12] = [
    "Champions",
    "Loyal Customers",
    "Potential Loyalist",
    "New Customers",
    "Promising",
    "Need Attention",
    "About To Sleep",
    "At Risk",
    "Can't Lose Them",
    "Hibernating",
    "Lost",
    "Others",
];

/// The peers' counts and checksum per base size (`../shared/bench/README.md`).
pub(crate) const PEERS: [([u64; 12], u64); 3] = [
    (
        [
            3_444, 5_304, 4_414, 0, 0, 678, 1_080, 2_311, 0, 1_433, 0, 1_336,
        ],
        3_309_201_037_658,
    ),
    (
        [
            35_458, 51_867, 44_131, 0, 0, 6_933, 10_896, 23_610, 0, 14_176, 0, 12_929,
        ],
        33_234_193_252_810,
    ),
    (
        [
            353_193, 521_717, 441_593, 0, 0, 67_790, 109_505, 235_629, 0, 142_058, 0, 128_515,
        ],
        332_897_409_597_246,
    ),
];

pub(crate) const FACTS: &str =
    "SELECT customer_id, patronage_facts(customer_id, order_date, amount) AS f \
    FROM orders GROUP BY customer_id";

pub(crate) const RANKED: &str = "SELECT s['rfm_segment'] AS segment, count(*) AS customers, \
    sum(CAST(customer_id % CAST(1000003 AS BIGINT UNSIGNED) AS BIGINT) * (100 * CAST(s['r_score'] AS BIGINT) \
        + 10 * CAST(s['f_score'] AS BIGINT) + CAST(s['m_score'] AS BIGINT))) AS checksum \
    FROM (SELECT customer_id, patronage_segment(f, \
        CASE WHEN f['purchases'] > 0 THEN row_number() OVER (PARTITION BY f['purchases'] > 0 ORDER BY f['recency_days'] DESC, customer_id) END, \
        CASE WHEN f['purchases'] > 0 THEN row_number() OVER (PARTITION BY f['purchases'] > 0 ORDER BY f['frequency'], customer_id) END, \
        CASE WHEN f['purchases'] > 0 THEN row_number() OVER (PARTITION BY f['purchases'] > 0 ORDER BY f['monetary'], customer_id) END) AS s \
        FROM facts WHERE f IS NOT NULL) \
    GROUP BY 1";

pub(crate) const QUANTILE: &str = "SELECT s['rfm_segment'] AS segment, count(*) AS customers, \
    sum(CAST(customer_id % CAST(1000003 AS BIGINT UNSIGNED) AS BIGINT) * (100 * CAST(s['r_score'] AS BIGINT) \
        + 10 * CAST(s['f_score'] AS BIGINT) + CAST(s['m_score'] AS BIGINT))) AS checksum \
    FROM (SELECT customer_id, patronage_segment(f) AS s FROM facts WHERE f IS NOT NULL) \
    GROUP BY 1";

/// Counts per peer segment and the checksum of a result of `RANKED`/`QUANTILE`.
pub(crate) fn counts(batches: &[RecordBatch]) -> Result<([u64; 12], u64), String> {
    let mut counts = [0u64; 12];
    let mut checksum = 0u64;
    for batch in batches {
        let names = batch.column(0).as_string::<i32>();
        let customers = batch.column(1).as_primitive::<Int64Type>();
        let sums = batch.column(2).as_primitive::<Int64Type>();
        for row in 0..batch.num_rows() {
            if !names.is_valid(row) {
                // Customers without a purchase have no segment (the peers have none).
                continue;
            }
            let name = names.value(row);
            let idx = SEGMENTS
                .iter()
                .position(|s| *s == name)
                .ok_or_else(|| format!("unexpected segment `{name}`"))?;
            if let Some(slot) = counts.get_mut(idx) {
                *slot += customers.value(row) as u64;
            }
            checksum += sums.value(row) as u64;
        }
    }
    Ok((counts, checksum))
}

pub(crate) fn describe(counts: &[u64; 12], checksum: u64) -> String {
    let mut text = String::new();
    for (name, n) in SEGMENTS.iter().zip(counts) {
        let _ = write!(text, "{name}={n} ");
    }
    let _ = write!(text, "checksum={checksum}");
    text
}

/// The peers' policy: rank scores (ties by customer id), the R `rfm` 0.2 table,
/// frequency over all time; no VIP levels or custom classes (not in the output).
pub(crate) fn peer_config() -> Config {
    let mut config = Config::reference();
    config.segment.rfm.scores.method = ScoreMethod::Rank;
    config.segment.rfm.segments = SegmentsConfig::Preset(SegmentPreset::R02);
    config.facts.frequency_window_days = None;
    config.segment.vip = None;
    config.segment.classes.clear();
    config
}
