//! Benchmarks: segment/sketch — the quantile sketch of approximate population
//! statistics (R13).
//!
//! 2,000,000 skewed spends in cents (a product of uniforms, as a shop's order values),
//! generated with a fixed seed: inserted into one sketch of the default capacity
//! (4,096), into 8 shard sketches then merged, and the merged sketch's distribution
//! read back. Under `cargo bench -- --test` the spends are 20,000, so the check suite
//! stays fast.

use std::hint::black_box;
use std::time::Duration;

use criterion::Criterion;
use patronage::segment::{QuantileSketch, SketchCapacity};
use rust_decimal::Decimal;

pub(crate) fn define(c: &mut Criterion) {
    let quick = std::env::args().any(|a| a == "--test");
    let (n_values, label) = if quick {
        (20_000, "20k")
    } else {
        (2_000_000, "2m")
    };
    let spends = spends(n_values);
    let capacity = SketchCapacity::default();
    let n = n_values as u64;

    let mut group = c.benchmark_group("segment/sketch");
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(if quick { 1 } else { 10 }));

    group.bench_function(format!("insert/{label}"), |b| {
        b.iter(|| {
            let mut sketch = QuantileSketch::new(capacity);
            for spend in black_box(&spends) {
                sketch.insert(*spend);
            }
            assert_eq!(sketch.len(), n);
            sketch
        });
    });

    let shards: Vec<QuantileSketch<Decimal>> = (0..8)
        .map(|shard| {
            let mut sketch = QuantileSketch::new(capacity);
            for spend in spends.iter().skip(shard).step_by(8) {
                sketch.insert(*spend);
            }
            sketch
        })
        .collect();
    group.bench_function(format!("merge/8_shards_{label}"), |b| {
        b.iter(|| {
            let mut merged = QuantileSketch::new(capacity);
            for shard in black_box(&shards) {
                merged.merge(shard).unwrap_or_else(|e| panic!("{e}"));
            }
            assert_eq!(merged.len(), n);
            merged
        });
    });

    let mut merged = QuantileSketch::new(capacity);
    for shard in &shards {
        merged.merge(shard).unwrap_or_else(|e| panic!("{e}"));
    }
    group.bench_function(format!("cumulative/{label}"), |b| {
        b.iter(|| {
            let cumulative = black_box(&merged).cumulative();
            assert_eq!(cumulative.last().map(|(_, rank)| *rank), Some(n));
            cumulative
        });
    });
    group.finish();
}

/// `n` skewed spends in cents, from a fixed seed.
fn spends(n: usize) -> Vec<Decimal> {
    let mut state = 42u64;
    let mut next = || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    (0..n)
        .map(|_| {
            let cents = 100 + (next() % 5_000) * (1 + next() % 4) * (1 + next() % 8);
            Decimal::new(cents as i64, 2)
        })
        .collect()
}
