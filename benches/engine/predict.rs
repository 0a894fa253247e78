//! Benchmarks: predict. BG/NBD, Gamma-Gamma and Pareto/NBD fits on the CDNOW cohort (2,357
//! customers, 946 repeat buyers), and the per-customer predictions for all of them.
//!
//! For comparison, `lifetimes` takes about 60–100 ms to fit BG/NBD on this data on a
//! 2-core machine.

use std::hint::black_box;

use criterion::{Criterion, Throughput};
use patronage::predict::{
    fit_bgnbd, fit_gamma_gamma, fit_pareto_nbd, ClvModel, ClvOptions, FitOptions, Observation,
    ObservationTable,
};

const SUMMARY_SPEND: &str =
    include_str!("../../tests/data/cdnow/cdnow_customers_summary_with_transactions.csv");

fn cdnow() -> ObservationTable {
    SUMMARY_SPEND
        .lines()
        .skip(1)
        .filter(|line| !line.trim().is_empty())
        .map(|line| {
            let cols: Vec<f64> = line.trim().split(',').map(|c| c.parse().unwrap()).collect();
            Observation::new(cols[1], cols[2], cols[3])
                .unwrap()
                .with_mean_repeat_value_f64(cols[4])
                .unwrap()
        })
        .collect()
}

pub(crate) fn define(c: &mut Criterion) {
    let table = cdnow();
    let options = FitOptions::default();
    let mut group = c.benchmark_group("predict");
    group.throughput(Throughput::Elements(table.len() as u64));
    group.bench_function("fit/bgnbd/cdnow", |b| {
        b.iter(|| {
            let fit = fit_bgnbd(black_box(&table), black_box(&options)).unwrap();
            assert!((fit.params.r() - 0.243).abs() < 5e-4);
            assert!((fit.log_likelihood + 9582.4).abs() < 0.05);
            fit
        });
    });
    group.bench_function("fit/gamma_gamma/cdnow", |b| {
        b.iter(|| {
            let fit = fit_gamma_gamma(black_box(&table), black_box(&options)).unwrap();
            assert!((fit.params.p() - 6.25).abs() < 5e-3);
            fit
        });
    });
    group.bench_function("fit/pareto_nbd/cdnow", |b| {
        b.iter(|| {
            let fit = fit_pareto_nbd(black_box(&table), black_box(&options)).unwrap();
            assert!((fit.params.s() - 0.606).abs() < 5e-4);
            fit
        });
    });
    let model = ClvModel {
        transactions: fit_bgnbd(&table, &options).unwrap().params,
        spend: fit_gamma_gamma(&table, &options).unwrap().params,
    };
    let clv_options = ClvOptions::new(12, 4.345, 0.01).unwrap();
    group.bench_function("clv/predict_table/cdnow", |b| {
        b.iter(|| {
            let predictions = model
                .predict_table(black_box(&table), black_box(&clv_options))
                .unwrap();
            assert_eq!(predictions.len(), 2357);
            predictions
        });
    });
    group.finish();
}
