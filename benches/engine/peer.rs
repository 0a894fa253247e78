//! Benchmarks: the peer RFM job (`../shared/bench`) stage by stage, on rows shaped
//! like its 10m-order workload: 10,000,000 dated rows of 2,000,000 customers (ids over
//! the whole `u64` range, skewed order counts, two years of dates, about 2% refunds),
//! amounts in fen. `peer/facts/*` builds the facts table from the three columns,
//! `peer/segment/*` scores and segments it (ordinal-rank scores, R `rfm` 0.2.x table,
//! stage and tier), `peer/job/*` does both, as the `segment` example's `compute_s`;
//! each on one thread and on two.
//!
//! Under `cargo bench -- --test` the rows are 200,000 (40,000 customers), so the smoke
//! run stays short.

use std::hint::black_box;
use std::num::NonZeroUsize;
use std::time::Duration;

use chrono::{Days, NaiveDate};
use criterion::{Criterion, Throughput};
use patronage::config::Config;
use patronage::segment::{ScoreMethod, SegmentPreset};
use patronage::{BatchOptions, Currency, CustomerId, FactsTable};

/// The peer job's rule: rank scores, the 0.2.x table, all-time frequency, no VIP
/// level or custom class (the peers compute neither).
fn peer_config() -> Config {
    let mut peer = Config::reference().with_segment_preset(SegmentPreset::R02);
    peer.segment.rfm.scores.method = ScoreMethod::Rank;
    peer.facts.frequency_window_days = None;
    peer.segment.vip = None;
    peer.segment.classes.clear();
    peer
}

/// `(customers, dates, fen)`: about five rows a customer, in a shuffled order (as an
/// export of orders by order id interleaves customers).
fn rows(n_customers: u64, as_of: NaiveDate) -> (Vec<CustomerId>, Vec<NaiveDate>, Vec<i64>) {
    let start = as_of.checked_sub_days(Days::new(730)).unwrap_or(as_of);
    let mut state = 0x2545_F491_4F6C_DD1D_u64;
    // (shuffle key, customer, day, fen)
    let mut rows: Vec<(u64, u64, u64, i64)> = Vec::with_capacity(n_customers as usize * 5);
    for index in 0..n_customers {
        let id = splitmix64(index);
        let orders = match next(&mut state) % 100 {
            0..=37 => 1,
            38..=69 => 2 + next(&mut state) % 2,
            70..=94 => 4 + next(&mut state) % 6,
            _ => 10 + next(&mut state) % 40,
        };
        let first_day = next(&mut state) % 730;
        let span = 1 + next(&mut state) % 365;
        for order in 0..orders {
            let day = (first_day + next(&mut state) % span).min(729);
            let fen = (100 + (next(&mut state) % 5_000) * (1 + next(&mut state) % 4)) as i64;
            let refund = order > 0 && next(&mut state) % 50 == 0;
            let key = splitmix64(rows.len() as u64 ^ 0xA5A5_A5A5);
            rows.push((key, id, day, if refund { -fen } else { fen }));
        }
    }
    rows.sort_unstable_by_key(|row| row.0);
    let mut customers = Vec::with_capacity(rows.len());
    let mut dates = Vec::with_capacity(rows.len());
    let mut fen = Vec::with_capacity(rows.len());
    for (_, id, day, amount) in rows {
        customers.push(CustomerId(id));
        dates.push(start.checked_add_days(Days::new(day)).unwrap_or(start));
        fen.push(amount);
    }
    (customers, dates, fen)
}

pub(crate) fn define(c: &mut Criterion) {
    let quick = std::env::args().any(|a| a == "--test");
    let (n_customers, label) = if quick {
        (40_000, "200k")
    } else {
        (2_000_000, "10m")
    };
    let as_of = NaiveDate::from_ymd_opt(2024, 12, 31).unwrap_or_default();
    let config = peer_config();
    let options = config
        .facts_options_on(as_of, Currency::CNY)
        .unwrap_or_else(|e| panic!("{e}"));
    let (customers, dates, fen) = rows(n_customers, as_of);
    let one = NonZeroUsize::MIN;
    let two = NonZeroUsize::new(2).unwrap_or(one);
    let facts = FactsTable::from_dated_minor_units(&options, &customers, &dates, &fen)
        .unwrap_or_else(|e| panic!("{e}"));
    let (segmenter, _) = config
        .segmenter(Currency::CNY)
        .unwrap_or_else(|e| panic!("{e}"));
    let expected = segmenter.run(&facts).unwrap_or_else(|e| panic!("{e}"));

    let mut group = c.benchmark_group("peer");
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(if quick { 1 } else { 10 }));
    group.throughput(Throughput::Elements(customers.len() as u64));
    for (threads, suffix) in [(one, "1_thread"), (two, "2_threads")] {
        let batch = BatchOptions::default().with_threads(threads);
        group.bench_function(format!("facts/{label}/{suffix}"), |b| {
            b.iter(|| {
                let table = FactsTable::from_dated_minor_units_with(
                    &options,
                    &batch,
                    black_box(&customers),
                    black_box(&dates),
                    black_box(&fen),
                )
                .unwrap_or_else(|e| panic!("{e}"));
                assert_eq!(table.len(), facts.len());
                table
            });
        });
        let segmenter = segmenter.clone().with_threads(threads);
        group.bench_function(format!("segment/{label}/{suffix}"), |b| {
            b.iter(|| {
                let segmentation = segmenter
                    .run(black_box(&facts))
                    .unwrap_or_else(|e| panic!("{e}"));
                assert_eq!(segmentation.len(), expected.len());
                segmentation
            });
        });
        group.bench_function(format!("job/{label}/{suffix}"), |b| {
            b.iter(|| {
                let table = FactsTable::from_dated_minor_units_with(
                    &options,
                    &batch,
                    black_box(&customers),
                    black_box(&dates),
                    black_box(&fen),
                )
                .unwrap_or_else(|e| panic!("{e}"));
                let segmentation = segmenter.run(&table).unwrap_or_else(|e| panic!("{e}"));
                assert_eq!(
                    segmentation.rfm_segment_counts(),
                    expected.rfm_segment_counts()
                );
                segmentation
            });
        });
    }
    group.finish();
}

fn splitmix64(index: u64) -> u64 {
    let mut z = index.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

fn next(state: &mut u64) -> u64 {
    *state ^= *state << 13;
    *state ^= *state >> 7;
    *state ^= *state << 17;
    *state
}
