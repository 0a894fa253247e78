//! BG/NBD charts, checked on CDNOW (`tests/data/cdnow/`): the file the `clv` example
//! fits by default, and the transactions it reads with `--transactions`.

use std::collections::{BTreeMap, BTreeSet};

use chrono::NaiveDate;
use patronage::charts::{
    calibration_vs_holdout, frequency_recency_matrix, p_alive_matrix, period_transactions,
    MatrixOptions,
};
use patronage::predict::{fit_bgnbd, BgNbdParams, FitOptions, Observation, ObservationTable};
use patronage::{Currency, CustomerId, Money, RepeatSummaryBuilder};
use rust_decimal::Decimal;

use super::{assert_labelled, assert_no_data, parse};

/// The `clv` example's default input.
const SUMMARY: &str = include_str!("../data/cdnow/cdnow_customers_summary_with_transactions.csv");
const TRANSACTIONS: &str = include_str!("../data/cdnow/CDNOW_sample.txt");

/// The summary file as the `clv` example reads it: `ID,x,t_x,T,zbar`, one observation
/// per customer, in weeks.
fn cdnow() -> ObservationTable {
    SUMMARY
        .lines()
        .skip(1)
        .map(|line| {
            let cols: Vec<f64> = line.split(',').map(|c| c.parse().unwrap()).collect();
            Observation::new(cols[1], cols[2], cols[3]).unwrap()
        })
        .collect::<ObservationTable>()
        .with_period_days(7.0)
        .unwrap()
}

fn published() -> BgNbdParams {
    BgNbdParams::new(0.243, 4.414, 0.793, 2.426).unwrap()
}

#[test]
fn period_transactions_bars_are_the_cdnow_counts() {
    let table = cdnow();
    // The model the `clv` example fits on this file.
    let params = fit_bgnbd(&table, &FitOptions::default()).unwrap().params;
    let svg = period_transactions(&params, &table, 7).unwrap();
    assert_eq!(svg, period_transactions(&params, &table, 7).unwrap());
    let chart = parse(&svg);
    assert_labelled(
        &chart,
        "Frequency of repeat transactions: actual and model",
        &["repeat purchases in the calibration period", "customers"],
        "n = 2,357 customers",
    );
    assert_eq!(chart.marks.len(), 16);
    // Customers per repeat purchases in the file's `x` column, counted here.
    let mut counts = [0_u64; 8];
    for line in SUMMARY.lines().skip(1) {
        let x: usize = line.split(',').nth(1).unwrap().parse().unwrap();
        counts[x.min(7)] += 1;
    }
    assert_eq!(counts, [1411, 439, 214, 100, 62, 38, 29, 64]);
    let actual: Vec<u64> = chart
        .marks_where("series", "actual")
        .iter()
        .map(|m| m.get("value").parse().unwrap())
        .collect();
    assert_eq!(actual, counts);
    let labels: Vec<&str> = chart
        .marks_where("series", "actual")
        .iter()
        .map(|m| m.get("frequency"))
        .collect();
    assert_eq!(labels, ["0", "1", "2", "3", "4", "5", "6", "7+"]);
    // The model's bars: Σ P(X(T) = k) over the customers, the rest in the last bar.
    let model: Vec<f64> = chart
        .marks_where("series", "model")
        .iter()
        .map(|m| m.number("value"))
        .collect();
    for (k, bar) in model.iter().enumerate().take(7) {
        let expected: f64 = table
            .iter()
            .map(|o| params.probability_of_purchases(k as u32, o.age()).unwrap())
            .sum();
        assert!(
            (bar - expected).abs() < 1e-6 * expected.max(1.0),
            "{k}: {bar} vs {expected}"
        );
    }
    assert!((model.iter().sum::<f64>() - 2357.0).abs() < 1e-6);
    // The fit is close: the zero bar within 2% of the actual count.
    assert!((model[0] - 1411.0).abs() < 0.02 * 1411.0, "{}", model[0]);
}

#[test]
fn the_holdout_check_reproduces_the_cdnow_holdout_means() {
    // Calibration to 1997-09-30, holdout to the end of the sample (39 weeks), as
    // `clv --transactions tests/data/cdnow/CDNOW_sample.txt --calibration-end 1997-09-30`.
    let end = NaiveDate::from_ymd_opt(1997, 9, 30).unwrap();
    let mut builder = RepeatSummaryBuilder::new(end, Currency::USD);
    let mut holdout_days: BTreeMap<u64, BTreeSet<NaiveDate>> = BTreeMap::new();
    for line in TRANSACTIONS.lines() {
        let cols: Vec<&str> = line.split_whitespace().collect();
        let id: u64 = cols[1].parse().unwrap();
        let date = NaiveDate::parse_from_str(cols[2], "%Y%m%d").unwrap();
        let value: Decimal = cols[4].parse().unwrap();
        builder
            .add_purchase(CustomerId(id), date, Money::new(value, Currency::USD))
            .unwrap();
        if date > end {
            holdout_days.entry(id).or_default().insert(date);
        }
    }
    let summaries = builder.finish().unwrap();
    let calibration = ObservationTable::from_summaries(&summaries, 7.0).unwrap();
    let holdout: Vec<u32> = summaries
        .iter()
        .map(|s| {
            holdout_days
                .get(&s.customer.0)
                .map_or(0, |d| d.len() as u32)
        })
        .collect();
    let params = fit_bgnbd(&calibration, &FitOptions::default())
        .unwrap()
        .params;
    let svg = calibration_vs_holdout(&params, &calibration, &holdout, 39.0, 7).unwrap();
    let chart = parse(&svg);
    assert_labelled(
        &chart,
        "Actual purchases in the holdout period against predicted purchases",
        &[
            "repeat purchases in the calibration period",
            "mean purchases per customer in the holdout (39 weeks)",
        ],
        "n = 2,357 customers · holdout 39 weeks",
    );
    // Groups 0–6 and 7+, all present in CDNOW: a point per group and series.
    assert_eq!(chart.marks.len(), 16);
    let mut groups: BTreeMap<u32, (u64, u64)> = BTreeMap::new();
    for (summary, days) in summaries.iter().zip(&holdout) {
        let group = groups.entry(summary.x.min(7)).or_default();
        group.0 += 1;
        group.1 += u64::from(*days);
    }
    let actual = chart.marks_where("series", "actual");
    assert_eq!(actual.len(), 8);
    for (mark, (k, (n, total))) in actual.iter().zip(&groups) {
        assert_eq!(mark.tag, "circle");
        assert_eq!(mark.get("n"), n.to_string(), "group {k}");
        let mean = *total as f64 / *n as f64;
        assert!((mark.number("value") - mean).abs() < 1e-12, "group {k}");
    }
    assert_eq!(groups[&0].0, 1411);
    // The model's points: the mean conditional expectation over 39 weeks per group.
    for (mark, (k, (n, _))) in chart.marks_where("series", "model").iter().zip(&groups) {
        assert_eq!(mark.tag, "path");
        let expected: f64 = calibration
            .iter()
            .filter(|o| (o.frequency() as u32).min(7) == *k)
            .map(|o| params.expected_purchases(&o, 39.0).unwrap())
            .sum::<f64>()
            / *n as f64;
        assert!((mark.number("value") - expected).abs() < 1e-9, "group {k}");
    }
}

#[test]
fn the_matrices_have_one_cell_per_frequency_and_recency() {
    let table = cdnow();
    let params = published().with_period_days(7.0).unwrap();
    let options = MatrixOptions::default();
    // CDNOW: frequency 0–29 (30 values), ages up to 38.86 weeks → recency 0–39.
    for (svg, title) in [
        (
            p_alive_matrix(&params, &table, &options).unwrap(),
            "Probability that a customer is alive, by frequency and recency",
        ),
        (
            frequency_recency_matrix(&params, &table, &options).unwrap(),
            "Expected purchases in the next 1 week, by frequency and recency",
        ),
    ] {
        let chart = parse(&svg);
        assert_labelled(
            &chart,
            title,
            &[
                "frequency: repeat purchases",
                "recency: weeks from the first to the last purchase",
            ],
            "n = 2,357 customers",
        );
        assert_eq!(chart.marks.len(), 30 * 40);
    }
    let chart = parse(&p_alive_matrix(&params, &table, &options).unwrap());
    for mark in &chart.marks {
        let p = mark.number("value");
        assert!((0.0..=1.0).contains(&p));
        if mark.get("frequency") == "0" {
            assert_eq!(p, 1.0);
        }
    }
    let cell = chart
        .marks
        .iter()
        .find(|m| m.get("frequency") == "2" && m.get("recency") == "30")
        .unwrap();
    let expected = params.p_alive(&Observation::new(2.0, 30.0, 39.0).unwrap());
    assert_eq!(cell.number("value"), expected);

    // Larger ranges are sampled: at most 40 values per axis.
    let mut wide = MatrixOptions::default();
    wide.max_frequency = Some(99);
    wide.max_recency = Some(199);
    let chart = parse(&p_alive_matrix(&params, &table, &wide).unwrap());
    assert_eq!(chart.marks.len(), 34 * 40);
    assert!(chart.says("(in steps of 3)"));
}

#[test]
fn empty_tables_give_no_data_charts() {
    let empty = ObservationTable::new();
    let params = published();
    assert_no_data(
        &period_transactions(&params, &empty, 7).unwrap(),
        "Frequency of repeat transactions",
    );
    assert_no_data(
        &calibration_vs_holdout(&params, &empty, &[], 39.0, 7).unwrap(),
        "Actual purchases in the holdout period",
    );
    let options = MatrixOptions::default();
    assert_no_data(
        &p_alive_matrix(&params, &empty, &options).unwrap(),
        "Probability that a customer is alive",
    );
    assert_no_data(
        &frequency_recency_matrix(&params, &empty, &options).unwrap(),
        "Expected purchases in the next 1 time unit",
    );
}

#[test]
fn error_messages() {
    let params = published();
    let table: ObservationTable = [Observation::new(1.0, 5.0, 38.0).unwrap()]
        .into_iter()
        .collect();
    let cases: Vec<(String, &str)> = vec![
        (
            period_transactions(&params, &table, 0).unwrap_err().to_string(),
            "chart `period_transactions`: argument `max_frequency` is 0: expected at least 1 (the bars are 0 to `max_frequency` - 1 repeat purchases, then `max_frequency` or more)",
        ),
        (
            calibration_vs_holdout(&params, &table, &[1], 39.0, 0).unwrap_err().to_string(),
            "chart `calibration_vs_holdout`: argument `max_frequency` is 0: expected at least 1 (the bars are 0 to `max_frequency` - 1 repeat purchases, then `max_frequency` or more)",
        ),
        (
            calibration_vs_holdout(&params, &table, &[1, 2], 39.0, 7).unwrap_err().to_string(),
            "chart `calibration_vs_holdout`: 2 holdout counts for 1 customers: expected one holdout count per row of the calibration table, in its order",
        ),
        (
            calibration_vs_holdout(&params, &table, &[1], -1.0, 7).unwrap_err().to_string(),
            "chart `calibration_vs_holdout`: argument `holdout_length` is -1: expected a finite number of time units >= 0",
        ),
        (
            {
                let mut options = MatrixOptions::default();
                options.horizon = f64::NAN;
                frequency_recency_matrix(&params, &table, &options)
                    .unwrap_err()
                    .to_string()
            },
            "chart `frequency_recency_matrix`: argument `horizon` is NaN: expected a finite number of time units >= 0",
        ),
    ];
    for (got, want) in cases {
        assert_eq!(got, want);
    }
    // A model that cannot predict a cell: `a + b <= 1` leaves the expectation of a
    // customer without repeat purchases undefined. The cause is the source.
    let degenerate = BgNbdParams::new(0.2, 4.0, 0.3, 0.5).unwrap();
    let err = frequency_recency_matrix(&degenerate, &table, &MatrixOptions::default()).unwrap_err();
    assert_eq!(
        err.to_string(),
        "chart `frequency_recency_matrix`: the model cannot compute the cell frequency 0, recency 0"
    );
    let source = std::error::Error::source(&err).unwrap().to_string();
    assert!(source.contains("`a + b` > 1"), "{source}");
}
