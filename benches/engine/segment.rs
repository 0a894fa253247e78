//! Benchmarks: segment.
//!
//! `segment/population/2m` segments 2,000,000 customers shaped like the 10m-order peer
//! workload (`../shared/bench`: five orders per customer on average, heavily skewed,
//! about 2% refunds, two years of dates), generated here with a fixed seed and folded
//! through the library's [`Aggregator`]. Under `cargo bench -- --test` the population is
//! 20,000 customers, so the check suite stays fast.

use std::hint::black_box;
use std::time::Duration;

use chrono::{Days, NaiveDate};
use criterion::Criterion;
use patronage::segment::ScoreMethod;
use patronage::{
    Aggregator, Config, Currency, CustomerId, FactsTable, Money, SegmentPreset, Segmenter,
};
use rust_decimal::Decimal;

pub(crate) fn define(c: &mut Criterion) {
    let quick = std::env::args().any(|a| a == "--test");
    let (n_customers, label) = if quick {
        (20_000, "20k")
    } else {
        (2_000_000, "2m")
    };
    let as_of = NaiveDate::from_ymd_opt(2024, 12, 31).unwrap_or_default();
    let reference = Config::reference();
    let facts = population(&reference, as_of, n_customers);

    let mut group = c.benchmark_group("segment");
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(if quick { 1 } else { 10 }));

    group.bench_function("compile/reference", |b| {
        b.iter(|| {
            let (segmenter, warnings) = Segmenter::new(
                black_box(&reference.segment),
                reference.facts,
                Currency::CNY,
            )
            .unwrap_or_else(|e| panic!("{e}"));
            assert!(warnings.is_empty());
            segmenter
        });
    });

    let (segmenter, _) = reference
        .segmenter(Currency::CNY)
        .unwrap_or_else(|e| panic!("{e}"));
    group.bench_function(format!("population/{label}"), |b| {
        b.iter(|| {
            let segmentation = segmenter
                .run(black_box(&facts))
                .unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(segmentation.len(), n_customers);
            segmentation
        });
    });

    // The peer workload's rule: rank scores, the 0.2.x table, only what the peers compute
    // besides tier and stage.
    let mut peer = Config::reference().with_segment_preset(SegmentPreset::R02);
    peer.segment.rfm.scores.method = ScoreMethod::Rank;
    peer.facts.frequency_window_days = None;
    peer.segment.vip = None;
    peer.segment.classes.clear();
    let peer_facts = population(&peer, as_of, n_customers);
    let (peer_segmenter, _) = peer
        .segmenter(Currency::CNY)
        .unwrap_or_else(|e| panic!("{e}"));
    group.bench_function(format!("population_peer_rule/{label}"), |b| {
        b.iter(|| {
            let segmentation = peer_segmenter
                .run(black_box(&peer_facts))
                .unwrap_or_else(|e| panic!("{e}"));
            let counted: usize = segmentation
                .rfm_segment_counts()
                .iter()
                .map(|(_, n)| n)
                .sum();
            assert_eq!(counted, n_customers);
            segmentation
        });
    });
    group.finish();
}

/// A deterministic population of `n_customers` purchasers (splitmix64 ids, skewed
/// order counts, two years of dates, 2% refunds).
fn population(config: &Config, as_of: NaiveDate, n_customers: usize) -> FactsTable {
    let options = config
        .facts_options_on(as_of, Currency::CNY)
        .unwrap_or_else(|e| panic!("{e}"));
    let mut agg = Aggregator::with_capacity(options, n_customers);
    let mut rng = 42u64;
    let start = as_of.checked_sub_days(Days::new(730)).unwrap_or_default();
    for index in 0..n_customers as u64 {
        let id = CustomerId(splitmix64(index));
        // Skew: most customers order once or twice, a few order dozens of times.
        let heavy = next(&mut rng) % 100;
        let orders = match heavy {
            0..=37 => 1,
            38..=69 => 2 + next(&mut rng) % 2,
            70..=94 => 4 + next(&mut rng) % 6,
            _ => 10 + next(&mut rng) % 40,
        };
        let first_day = next(&mut rng) % 730;
        let span = 1 + next(&mut rng) % 365;
        for order in 0..orders {
            let day = (first_day + next(&mut rng) % span).min(729);
            let date = start.checked_add_days(Days::new(day)).unwrap_or(start);
            let cents = 100 + (next(&mut rng) % 5_000) * (1 + next(&mut rng) % 4);
            let amount = Money::new(Decimal::new(cents as i64, 2), Currency::CNY);
            if order > 0 && next(&mut rng) % 50 == 0 {
                agg.add_refund_on(id, date, amount)
                    .unwrap_or_else(|e| panic!("{e}"));
            } else {
                agg.add_purchase_on(id, date, amount)
                    .unwrap_or_else(|e| panic!("{e}"));
            }
        }
    }
    agg.into_table()
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
