//! Integration tests: predict (BG/NBD, Gamma-Gamma, CLV on CDNOW; errors; invariants).

// Exact comparisons are the point here: values rounded to the published digits.
#![allow(clippy::float_cmp)]

use chrono::NaiveDate;
use patronage::predict::{
    fit_bgnbd, fit_gamma_gamma, fit_pareto_nbd, BgNbdParams, ClvModel, ClvOptions, FitOptions,
    GammaGammaParams, Observation, ObservationTable, ParetoNbdParams, Prediction,
};
use patronage::{Currency, CustomerId, Money, PredictError, RepeatSummary, RepeatSummaryBuilder};
use proptest::prelude::*;
use rust_decimal::Decimal;

const SUMMARY: &str = include_str!("data/cdnow/cdnow_customers_summary.csv");
const SUMMARY_SPEND: &str =
    include_str!("data/cdnow/cdnow_customers_summary_with_transactions.csv");
const TRANSACTIONS: &str = include_str!("data/cdnow/CDNOW_sample.txt");
const PUBLISHED: &str = include_str!("data/predict/published.toml");
const ERRORS: &str = include_str!("data/predict/errors.toml");
const LIFETIMES: &str = include_str!("data/predict/lifetimes_reference.toml");

/// Reads an observation CSV: `ID,frequency,t_x,T` or `ID,x,t_x,T,zbar`.
fn load(text: &str) -> ObservationTable {
    text.lines()
        .skip(1)
        .filter(|line| !line.trim().is_empty())
        .map(|line| {
            let cols: Vec<f64> = line.trim().split(',').map(|c| c.parse().unwrap()).collect();
            let observation = Observation::new(cols[1], cols[2], cols[3]).unwrap();
            match cols.get(4) {
                Some(&zbar) => observation.with_mean_repeat_value_f64(zbar).unwrap(),
                None => observation,
            }
        })
        .collect()
}

fn published() -> toml::Table {
    PUBLISHED.parse().unwrap()
}

fn num(table: &toml::Table, key: &str) -> f64 {
    match &table[key] {
        toml::Value::Float(f) => *f,
        toml::Value::Integer(i) => *i as f64,
        other => panic!("`{key}` is not a number: {other}"),
    }
}

fn round(value: f64, digits: i32) -> f64 {
    let factor = 10f64.powi(digits);
    (value * factor).round() / factor
}

#[test]
fn bgnbd_reproduces_published_cdnow_estimates() {
    let expected = published();
    let expected = expected["bgnbd"].as_table().unwrap();
    let table = load(SUMMARY);
    assert_eq!(table.len(), 2357);
    let fit = fit_bgnbd(&table, &FitOptions::default()).unwrap();
    let p = fit.params;
    for (name, got) in [
        ("r", p.r()),
        ("alpha", p.alpha()),
        ("a", p.a()),
        ("b", p.b()),
    ] {
        assert_eq!(round(got, 3), num(expected, name), "{name} = {got}");
    }
    assert_eq!(
        round(fit.log_likelihood, 1),
        num(expected, "log_likelihood"),
        "{}",
        fit.log_likelihood
    );
    assert!(fit.report.converged);
    assert!(fit.report.gradient_norm <= 1e-8);
    assert_eq!(fit.report.customers, 2357);
    assert!(fit.report.distinct_rows < 2357);
    // The fitted log-likelihood is not below the one at the published (rounded) values.
    let at_published = BgNbdParams::new(
        num(expected, "r"),
        num(expected, "alpha"),
        num(expected, "a"),
        num(expected, "b"),
    )
    .unwrap()
    .total_log_likelihood(&table);
    assert!(fit.log_likelihood >= at_published);
    let direct = p.total_log_likelihood(&table);
    assert!(
        (fit.log_likelihood - direct).abs() < 1e-8,
        "{} vs {direct}",
        fit.log_likelihood
    );
    // Standard errors exist and are small relative to the estimates.
    let errors = fit.standard_errors.unwrap();
    for (error, value) in errors.iter().zip([p.r(), p.alpha(), p.a(), p.b()]) {
        assert!(*error > 0.0 && *error < value, "{errors:?}");
    }
}

#[test]
fn bgnbd_spot_value() {
    let expected = published();
    let spot = expected["bgnbd_spot"].as_table().unwrap();
    let bg = expected["bgnbd"].as_table().unwrap();
    let params =
        BgNbdParams::new(num(bg, "r"), num(bg, "alpha"), num(bg, "a"), num(bg, "b")).unwrap();
    let customer = Observation::new(num(spot, "x"), num(spot, "t_x"), num(spot, "T")).unwrap();
    let got = params
        .expected_purchases(&customer, num(spot, "horizon"))
        .unwrap();
    assert_eq!(round(got, 3), num(spot, "expected_purchases"), "{got}");
}

fn gamma_gamma_expected(key: &str) -> f64 {
    num(published()["gamma_gamma"].as_table().unwrap(), key)
}

/// The repeat summaries of the CDNOW transactions (calibration ending 1997-09-30),
/// built with [`RepeatSummaryBuilder`] from the sample ids, in id order.
fn cdnow_summaries() -> Vec<RepeatSummary> {
    let end = NaiveDate::from_ymd_opt(1997, 9, 30).unwrap();
    let mut builder = RepeatSummaryBuilder::new(end, Currency::USD);
    for line in TRANSACTIONS.lines() {
        let cols: Vec<&str> = line.split_whitespace().collect();
        let date = NaiveDate::parse_from_str(cols[2], "%Y%m%d").unwrap();
        let value: Decimal = cols[4].parse().unwrap();
        builder
            .add_purchase(
                CustomerId(cols[1].parse().unwrap()),
                date,
                Money::new(value, Currency::USD),
            )
            .unwrap();
    }
    builder.finish().unwrap()
}

/// Their weekly observations, in the same order.
fn from_transactions() -> ObservationTable {
    ObservationTable::from_summaries(&cdnow_summaries(), 7.0).unwrap()
}

#[test]
fn gamma_gamma_reproduces_published_cdnow_estimates() {
    // The published estimates come from the exact mean repeat values, i.e. from the
    // transactions.
    let table = from_transactions();
    let fit = fit_gamma_gamma(&table, &FitOptions::default()).unwrap();
    let p = fit.params;
    for (name, got) in [("p", p.p()), ("q", p.q()), ("v", p.v())] {
        assert_eq!(round(got, 2), gamma_gamma_expected(name), "{name} = {got}");
    }
    assert_eq!(fit.report.customers, 946);
    assert_eq!(fit.independence.customers, 946);
    let correlation = fit.independence.correlation.unwrap();
    assert!((0.11..0.12).contains(&correlation), "{correlation}");
    assert!(fit.standard_errors.is_some());
    let direct: f64 = table.iter().filter_map(|s| p.log_likelihood(&s)).sum();
    assert!(
        (fit.log_likelihood - direct).abs() < 1e-8,
        "{} vs {direct}",
        fit.log_likelihood
    );
}

#[test]
fn gamma_gamma_on_the_rounded_summary_file() {
    // `zbar` in the file is rounded to cents, which moves `v` by 0.004 (15.4477):
    // p and q still round to the published values, v is within 0.01 of it.
    let table = load(SUMMARY_SPEND);
    let fit = fit_gamma_gamma(&table, &FitOptions::default()).unwrap();
    let p = fit.params;
    assert_eq!(round(p.p(), 2), gamma_gamma_expected("p"));
    assert_eq!(round(p.q(), 2), gamma_gamma_expected("q"));
    assert!(
        (p.v() - gamma_gamma_expected("v")).abs() < 0.01,
        "{}",
        p.v()
    );
    // The published spot values (IDs 1–10) were computed on this file and are shown
    // truncated to cents (24.6586 is listed as 24.65).
    let spend: Vec<f64> = match &published()["gamma_gamma"]["expected_average_value_ids_1_to_10"] {
        toml::Value::Array(values) => values.iter().map(|v| v.as_float().unwrap()).collect(),
        other => panic!("{other}"),
    };
    for (index, expected_value) in spend.iter().enumerate() {
        let customer = table.get(index).unwrap();
        let got = p.expected_average_value(&customer).unwrap();
        assert_eq!(
            (got * 100.0).floor() / 100.0,
            *expected_value,
            "ID {}: {got}",
            index + 1
        );
    }
}

#[test]
fn observations_from_transactions_reproduce_the_shipped_summary() {
    let summaries = cdnow_summaries();
    let table = ObservationTable::from_summaries(&summaries, 7.0).unwrap();
    let shipped = load(SUMMARY);
    assert_eq!(summaries.len(), shipped.len());
    assert_eq!(table.len(), shipped.len());
    for ((summary, observation), expected) in summaries.iter().zip(table.iter()).zip(shipped.iter())
    {
        let id = summary.customer;
        assert_eq!(observation.frequency(), expected.frequency(), "ID {id}");
        assert_eq!(round(observation.t_x(), 2), expected.t_x(), "ID {id}");
        assert_eq!(round(observation.age(), 2), expected.age(), "ID {id}");
    }
    // And the BG/NBD fit on the unrounded weeks gives the same published estimates.
    let fit = fit_bgnbd(&table, &FitOptions::default()).unwrap();
    let expected = published();
    let expected = expected["bgnbd"].as_table().unwrap();
    assert_eq!(round(fit.params.r(), 3), num(expected, "r"));
    assert_eq!(round(fit.params.alpha(), 3), num(expected, "alpha"));
    assert_eq!(round(fit.params.a(), 3), num(expected, "a"));
    assert_eq!(round(fit.params.b(), 3), num(expected, "b"));
    assert_eq!(
        round(fit.log_likelihood, 1),
        num(expected, "log_likelihood")
    );
}

fn pareto_expected(key: &str) -> f64 {
    num(published()["pareto_nbd"].as_table().unwrap(), key)
}

fn published_pareto() -> ParetoNbdParams {
    ParetoNbdParams::new(
        pareto_expected("r"),
        pareto_expected("alpha"),
        pareto_expected("s"),
        pareto_expected("beta"),
    )
    .unwrap()
}

#[test]
fn pareto_nbd_reproduces_published_cdnow_estimates() {
    // From the transactions (unrounded weeks), all four parameters and the
    // log-likelihood round to the published values.
    let table = from_transactions();
    let fit = fit_pareto_nbd(&table, &FitOptions::default()).unwrap();
    let p = fit.params;
    for (name, got) in [
        ("r", p.r()),
        ("alpha", p.alpha()),
        ("s", p.s()),
        ("beta", p.beta()),
    ] {
        assert_eq!(round(got, 3), pareto_expected(name), "{name} = {got}");
    }
    assert_eq!(
        round(fit.log_likelihood, 1),
        pareto_expected("log_likelihood")
    );
    assert!(fit.report.converged && fit.report.gradient_norm <= 1e-8);
    let direct = p.total_log_likelihood(&table).unwrap();
    assert!((fit.log_likelihood - direct).abs() < 1e-8);
    assert!(fit.log_likelihood >= published_pareto().total_log_likelihood(&table).unwrap());
    assert!(fit.standard_errors.is_some());
}

#[test]
fn pareto_nbd_on_the_rounded_summary_file() {
    // The file's weeks are rounded to 2 decimals; `beta` is the least determined
    // parameter (standard error about 6) and moves from 11.6687 to 11.6679.
    let table = load(SUMMARY);
    let fit = fit_pareto_nbd(&table, &FitOptions::default()).unwrap();
    let p = fit.params;
    for (name, got) in [("r", p.r()), ("alpha", p.alpha()), ("s", p.s())] {
        assert_eq!(round(got, 3), pareto_expected(name), "{name} = {got}");
    }
    assert!(
        (p.beta() - pareto_expected("beta")).abs() < 2e-3,
        "{}",
        p.beta()
    );
    assert_eq!(
        round(fit.log_likelihood, 1),
        pareto_expected("log_likelihood")
    );
    assert!(fit.log_likelihood >= published_pareto().total_log_likelihood(&table).unwrap());
}

#[test]
fn fitting_does_not_depend_on_the_time_unit() {
    // The same customers in days: the rate scale `alpha` is 7 times larger, the
    // shapes are unchanged, and the log-likelihood moves by the Jacobian Σ x·ln 7.
    let weeks = load(SUMMARY);
    let days: ObservationTable = weeks
        .iter()
        .map(|s| Observation::new(s.frequency(), s.t_x() * 7.0, s.age() * 7.0).unwrap())
        .collect();
    let options = FitOptions::default();
    let (in_weeks, in_days) = (
        fit_bgnbd(&weeks, &options).unwrap(),
        fit_bgnbd(&days, &options).unwrap(),
    );
    let relative = |x: f64, y: f64| (x - y).abs() / y.abs();
    assert!(relative(in_days.params.alpha(), 7.0 * in_weeks.params.alpha()) < 1e-5);
    assert!(relative(in_days.params.r(), in_weeks.params.r()) < 1e-5);
    assert!(relative(in_days.params.a(), in_weeks.params.a()) < 1e-5);
    assert!(relative(in_days.params.b(), in_weeks.params.b()) < 1e-5);
    let total_frequency: f64 = weeks.frequency().iter().sum();
    let shifted = in_days.log_likelihood + total_frequency * 7f64.ln();
    assert!(
        (shifted - in_weeks.log_likelihood).abs() < 1e-6,
        "{shifted}"
    );
}

#[test]
fn fitting_does_not_depend_on_row_order() {
    let table = load(SUMMARY);
    let reversed: ObservationTable = {
        let mut rows: Vec<Observation> = table.iter().collect();
        rows.reverse();
        rows.into_iter().collect()
    };
    let options = FitOptions::default();
    assert_eq!(
        fit_bgnbd(&table, &options).unwrap(),
        fit_bgnbd(&reversed, &options).unwrap()
    );
}

#[test]
fn penalty_shrinks_the_parameters() {
    let table = load(SUMMARY);
    let plain = fit_bgnbd(&table, &FitOptions::default()).unwrap();
    let penalized =
        fit_bgnbd(&table, &FitOptions::default().with_penalizer(0.01).unwrap()).unwrap();
    assert!(penalized.log_likelihood < plain.log_likelihood);
    assert!(penalized.params.b() < plain.params.b());
    assert_eq!(penalized.report.penalizer, 0.01);
}

#[test]
fn bgnbd_expectation_is_the_mean_of_the_count_distribution() {
    let params = BgNbdParams::new(0.243, 4.414, 0.793, 2.426).unwrap();
    for horizon in [1.0, 13.0, 39.0] {
        let mut mean = 0.0;
        let mut total = 0.0;
        for n in 0..400u32 {
            let p = params.probability_of_purchases(n, horizon).unwrap();
            mean += f64::from(n) * p;
            total += p;
        }
        let expected = params.unconditional_expected_purchases(horizon).unwrap();
        assert!((total - 1.0).abs() < 1e-10, "{total}");
        assert!(
            (mean - expected).abs() < 1e-9,
            "t = {horizon}: {mean} vs {expected}"
        );
    }
}

/// Our formulas against `lifetimes` 0.11.3 at the same (published) parameters, for
/// the first ten CDNOW customers: agreement to 1e-9 relative, so any difference in
/// fitted values comes from the optimisers, not the models.
#[test]
fn predictions_agree_with_lifetimes() {
    let reference: toml::Table = LIFETIMES.parse().unwrap();
    let list = |section: &str, key: &str| -> Vec<f64> {
        reference[section][key]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_float().unwrap())
            .collect()
    };
    let close = |got: f64, want: f64, what: &str| {
        assert!(
            (got - want).abs() <= 1e-9 * want.abs().max(1e-3),
            "{what}: {got} vs lifetimes {want}"
        );
    };
    let table = load(SUMMARY_SPEND);
    let bg = BgNbdParams::new(0.243, 4.414, 0.793, 2.426).unwrap();
    let gg = GammaGammaParams::new(6.25, 3.74, 15.44).unwrap();
    let pareto = published_pareto();
    let model = ClvModel {
        transactions: bg,
        spend: gg,
    };
    let yearly = ClvOptions::new(12, 4.345, 0.01).unwrap();
    for index in 0..10 {
        let customer = table.get(index).unwrap();
        let what = |name: &str| format!("ID {} {name}", index + 1);
        close(
            bg.p_alive(&customer),
            list("bgnbd", "p_alive")[index],
            &what("p_alive"),
        );
        for horizon in [39, 52] {
            close(
                bg.expected_purchases(&customer, f64::from(horizon))
                    .unwrap(),
                list("bgnbd", &format!("expected_purchases_{horizon}"))[index],
                &what("expected purchases"),
            );
        }
        close(
            gg.expected_average_value(&customer).unwrap(),
            list("gamma_gamma", "expected_average_value")[index],
            &what("expected average value"),
        );
        close(
            model.clv(&customer, &yearly).unwrap(),
            list("gamma_gamma", "clv_12_months_1_percent")[index],
            &what("clv"),
        );
        close(
            pareto.p_alive(&customer).unwrap(),
            list("pareto_nbd", "p_alive")[index],
            &what("pareto p_alive"),
        );
        close(
            pareto.expected_purchases(&customer, 39.0).unwrap(),
            list("pareto_nbd", "expected_purchases_39")[index],
            &what("pareto expected purchases"),
        );
    }
    close(
        bg.unconditional_expected_purchases(39.0).unwrap(),
        num(
            reference["bgnbd"].as_table().unwrap(),
            "unconditional_expected_purchases_39",
        ),
        "unconditional expected purchases",
    );
    for (n, want) in list("bgnbd", "probability_of_purchases_39")
        .into_iter()
        .enumerate()
    {
        close(
            bg.probability_of_purchases(n as u32, 39.0).unwrap(),
            want,
            &format!("P(X(39) = {n})"),
        );
    }
}

#[test]
fn clv_on_cdnow() {
    let table = load(SUMMARY_SPEND);
    let options = FitOptions::default();
    let model = ClvModel {
        transactions: fit_bgnbd(&table, &options).unwrap().params,
        spend: fit_gamma_gamma(&table, &options).unwrap().params,
    };
    let yearly = ClvOptions::new(12, 4.345, 0.01).unwrap();
    let predictions = model.predict_table(&table, &yearly).unwrap();
    assert_eq!(predictions.len(), 2357);
    for name in Prediction::FIELD_NAMES {
        let column = predictions.column(name).unwrap();
        assert!(column.iter().all(|v| v.is_finite() && *v >= 0.0), "{name}");
    }
    // Undiscounted CLV is expected purchases times expected spend.
    let flat = ClvOptions::new(12, 4.345, 0.0).unwrap();
    let customer = table.get(0).unwrap();
    let prediction = model.predict(&customer, &flat).unwrap();
    assert!(
        (prediction.clv - prediction.expected_purchases * prediction.expected_average_value).abs()
            < 1e-9
    );
    assert_eq!(prediction.field("p_alive"), Some(prediction.p_alive));
    // A row keeps its index in the table.
    assert_eq!(predictions.get(0).unwrap().p_alive, prediction.p_alive);
}

#[test]
fn serde_round_trips() {
    let params = BgNbdParams::new(0.243, 4.414, 0.793, 2.426).unwrap();
    let json = serde_json::to_string(&params).unwrap();
    assert_eq!(json, r#"{"r":0.243,"alpha":4.414,"a":0.793,"b":2.426}"#);
    assert_eq!(serde_json::from_str::<BgNbdParams>(&json).unwrap(), params);
    let err = serde_json::from_str::<BgNbdParams>(r#"{"r":0.2,"alpha":4,"a":0,"b":2}"#)
        .unwrap_err()
        .to_string();
    assert_eq!(
        err,
        "`bgnbd` parameter `a` is 0: expected a positive finite number"
    );
    let model = ClvModel {
        transactions: params,
        spend: GammaGammaParams::new(6.25, 3.74, 15.44).unwrap(),
    };
    let json = serde_json::to_string(&model).unwrap();
    assert_eq!(serde_json::from_str::<ClvModel>(&json).unwrap(), model);
    let observation = Observation::new(2.0, 30.43, 38.86)
        .unwrap()
        .with_mean_repeat_value_f64(22.35)
        .unwrap();
    let json = serde_json::to_string(&observation).unwrap();
    assert_eq!(
        serde_json::from_str::<Observation>(&json).unwrap(),
        observation
    );
    let err = serde_json::from_str::<Observation>(r#"{"frequency":0,"t_x":2,"age":3}"#)
        .unwrap_err()
        .to_string();
    assert_eq!(err, "`frequency` is 0 but `t_x` is 2: expected `t_x` = 0 for a customer without repeat purchases");
    let options = ClvOptions::new(12, 4.345, 0.01).unwrap();
    let json = serde_json::to_string(&options).unwrap();
    assert_eq!(serde_json::from_str::<ClvOptions>(&json).unwrap(), options);
    let table = load(SUMMARY_SPEND);
    let json = serde_json::to_string(&table).unwrap();
    assert_eq!(
        serde_json::from_str::<ObservationTable>(&json).unwrap(),
        table
    );
    let table: ObservationTable =
        serde_json::from_str(r#"{"frequency":[1,0],"t_x":[2,0],"age":[3,3]}"#).unwrap();
    assert_eq!(table.mean_repeat_value(), &[0.0, 0.0]);
    let fit_options: FitOptions = serde_json::from_str(r#"{"penalizer":0.1}"#).unwrap();
    assert_eq!(fit_options.max_iterations(), 200);
    // Options are checked when built, from code or from a document.
    let err = serde_json::from_str::<FitOptions>(r#"{"penalizer":-1}"#).unwrap_err();
    assert!(
        err.to_string()
            .starts_with("option `penalizer` is -1: expected a non-negative finite penalty"),
        "{err}"
    );
    assert_eq!(
        FitOptions::default()
            .with_max_iterations(0)
            .unwrap_err()
            .to_string(),
        "option `max_iterations` is 0: expected at least 1 iteration"
    );
}

// ---- every error path, with its message: tests/data/predict/errors.toml ----

fn f(case: &toml::Table, key: &str) -> f64 {
    num(case, key)
}

fn rows(case: &toml::Table) -> ObservationTable {
    case["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|row| {
            let row: Vec<f64> = row
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_float().or(v.as_integer().map(|i| i as f64)).unwrap())
                .collect();
            let observation = Observation::new(row[0], row[1], row[2]).unwrap();
            match row.get(3) {
                Some(&m) => observation.with_mean_repeat_value_f64(m).unwrap(),
                None => observation,
            }
        })
        .collect()
}

/// The case's fit options, built (and so checked) as a host builds them.
fn fit_options(case: &toml::Table) -> Result<FitOptions, PredictError> {
    let mut options = FitOptions::default();
    if case.contains_key("penalizer") {
        options = options.with_penalizer(f(case, "penalizer"))?;
    }
    if case.contains_key("tolerance") {
        options = options.with_tolerance(f(case, "tolerance"))?;
    }
    if let Some(max) = case.get("max_iterations") {
        options = options.with_max_iterations(max.as_integer().unwrap() as u32)?;
    }
    Ok(options)
}

/// Runs one error case and returns the error's message.
fn check(case: &toml::Table) -> String {
    let bg = || BgNbdParams::new(0.243, 4.414, 0.793, 2.426).unwrap();
    let err = match case["call"].as_str().unwrap() {
        "observation" => {
            let observation =
                Observation::new(f(case, "frequency"), f(case, "t_x"), f(case, "age"));
            match (observation, case.get("mean_repeat_value")) {
                (Ok(s), Some(_)) => s
                    .with_mean_repeat_value_f64(f(case, "mean_repeat_value"))
                    .map(|_| ()),
                (other, _) => other.map(|_| ()),
            }
        }
        "bgnbd_params" => {
            BgNbdParams::new(f(case, "r"), f(case, "alpha"), f(case, "a"), f(case, "b")).map(|_| ())
        }
        "pareto_nbd_params" => ParetoNbdParams::new(
            f(case, "r"),
            f(case, "alpha"),
            f(case, "s"),
            f(case, "beta"),
        )
        .map(|_| ()),
        "fit_pareto_nbd" => {
            fit_options(case).and_then(|options| fit_pareto_nbd(&rows(case), &options).map(|_| ()))
        }
        "pareto_expected_purchases" => published_pareto()
            .expected_purchases(&rows(case).get(0).unwrap(), f(case, "horizon"))
            .map(|_| ()),
        "pareto_log_likelihood" => ParetoNbdParams::new(
            f(case, "r"),
            f(case, "alpha"),
            f(case, "s"),
            f(case, "beta"),
        )
        .unwrap()
        .total_log_likelihood(&rows(case))
        .map(|_| ()),
        "table_json" => {
            return serde_json::from_str::<ObservationTable>(case["json"].as_str().unwrap())
                .unwrap_err()
                .to_string()
        }
        "gamma_gamma_params" => {
            GammaGammaParams::new(f(case, "p"), f(case, "q"), f(case, "v")).map(|_| ())
        }
        "population_mean_value" => GammaGammaParams::new(f(case, "p"), f(case, "q"), f(case, "v"))
            .unwrap()
            .population_mean_value()
            .map(|_| ()),
        "expected_purchases" => {
            BgNbdParams::new(f(case, "r"), f(case, "alpha"), f(case, "a"), f(case, "b"))
                .unwrap()
                .expected_purchases(&rows(case).get(0).unwrap(), f(case, "horizon"))
                .map(|_| ())
        }
        "probability_of_purchases" => bg()
            .probability_of_purchases(1, f(case, "horizon"))
            .map(|_| ()),
        "clv_options" => {
            ClvOptions::new(12, f(case, "period_length"), f(case, "discount_rate")).map(|_| ())
        }
        "fit_bgnbd" => {
            fit_options(case).and_then(|options| fit_bgnbd(&rows(case), &options).map(|_| ()))
        }
        "fit_gamma_gamma" => {
            fit_options(case).and_then(|options| fit_gamma_gamma(&rows(case), &options).map(|_| ()))
        }
        "predict_table" => {
            let model = ClvModel {
                transactions: bg(),
                spend: GammaGammaParams::new(6.25, f(case, "q"), 15.44).unwrap(),
            };
            model
                .predict_table(&rows(case), &ClvOptions::new(12, 4.345, 0.01).unwrap())
                .map(|_| ())
        }
        "from_summaries" => {
            // Summaries built from purchases, or written out field by field (the
            // fields are public, so a host can hand-make inconsistent ones).
            let mut summaries = Vec::new();
            if let Some(purchases) = case.get("purchases") {
                let end = NaiveDate::from_ymd_opt(1997, 9, 30).unwrap();
                let mut builder = RepeatSummaryBuilder::new(end, Currency::USD);
                for row in purchases.as_array().unwrap() {
                    let row = row.as_array().unwrap();
                    let date =
                        NaiveDate::parse_from_str(row[1].as_str().unwrap(), "%Y-%m-%d").unwrap();
                    let value: Decimal = row[2].as_str().unwrap().parse().unwrap();
                    let customer = CustomerId(row[0].as_integer().unwrap().try_into().unwrap());
                    builder
                        .add_purchase(customer, date, Money::new(value, Currency::USD))
                        .unwrap();
                }
                summaries = builder.finish().unwrap();
            }
            if let Some(rows) = case.get("summaries") {
                for (index, row) in rows.as_array().unwrap().iter().enumerate() {
                    let row = row.as_array().unwrap();
                    let int = |i: usize| u32::try_from(row[i].as_integer().unwrap()).unwrap();
                    summaries.push(RepeatSummary {
                        customer: CustomerId(index as u64 + 1),
                        first_purchase: NaiveDate::from_ymd_opt(1997, 1, 1).unwrap(),
                        x: int(0),
                        t_x: int(1),
                        t: int(2),
                        mean_repeat_value: row[3].as_str().unwrap().parse().unwrap(),
                    });
                }
            }
            ObservationTable::from_summaries(&summaries, f(case, "period_days")).map(|_| ())
        }
        other => panic!("unknown call `{other}`"),
    };
    err.unwrap_err().to_string()
}

#[test]
fn error_messages() {
    let cases: toml::Table = ERRORS.parse().unwrap();
    let cases = cases["case"].as_array().unwrap();
    let mut kinds_seen = std::collections::BTreeSet::new();
    for case in cases {
        let case = case.as_table().unwrap();
        let name = case["name"].as_str().unwrap();
        assert_eq!(
            check(case),
            case["expected"].as_str().unwrap(),
            "case `{name}`"
        );
        kinds_seen.insert(case["kind"].as_str().unwrap().to_owned());
    }
    // Every `PredictErrorKind` variant has at least one case.
    let all = [
        "InvalidValue",
        "ColumnLength",
        "TxAfterAge",
        "TxWithoutRepeat",
        "NonPositiveSpend",
        "Empty",
        "NoRepeatBuyers",
        "InvalidParameter",
        "InvalidOption",
        "NonFiniteLikelihood",
        "NotConverged",
        "SeriesNotConverged",
    ];
    assert_eq!(kinds_seen, all.iter().map(|k| (*k).to_owned()).collect());
}

#[test]
fn errors_are_send_sync_static() {
    fn error<T: Send + Sync + 'static + std::error::Error>() {}
    fn shareable<T: Send + Sync + 'static>() {}
    error::<patronage::PredictError>();
    shareable::<patronage::predict::ClvModel>();
    shareable::<patronage::predict::PredictionTable>();
    shareable::<ObservationTable>();
}

#[test]
fn error_accessors() {
    let err = fit_gamma_gamma(&ObservationTable::new(), &FitOptions::default()).unwrap_err();
    assert!(err.is_data());
    assert!(!err.is_not_converged());
    assert_eq!(err.row(), None);
    let table = load(SUMMARY);
    let err = fit_bgnbd(
        &table,
        &FitOptions::default().with_max_iterations(2).unwrap(),
    )
    .unwrap_err();
    assert!(err.is_not_converged());
    assert!(!err.is_data());
    assert!(matches!(
        err.kind(),
        patronage::predict::PredictErrorKind::NotConverged { iterations: 2, .. }
    ));
}

// ---- invariants ----

fn observation_strategy() -> impl Strategy<Value = Observation> {
    (0u32..40, 0.0f64..1.0, 0.0f64..200.0).prop_map(|(x, share, age)| {
        let t_x = if x == 0 { 0.0 } else { share * age };
        Observation::new(f64::from(x), t_x, age).unwrap()
    })
}

fn params_strategy() -> impl Strategy<Value = BgNbdParams> {
    (0.05f64..5.0, 0.5f64..50.0, 0.1f64..5.0, 0.5f64..10.0)
        .prop_map(|(r, alpha, a, b)| BgNbdParams::new(r, alpha, a, b).unwrap())
}

/// The BG/NBD fit on the CDNOW observation, computed once for the property tests.
fn cdnow_fit() -> &'static patronage::predict::BgNbdFit {
    static FIT: std::sync::OnceLock<patronage::predict::BgNbdFit> = std::sync::OnceLock::new();
    FIT.get_or_init(|| fit_bgnbd(&load(SUMMARY), &FitOptions::default()).unwrap())
}

fn cdnow_table() -> &'static ObservationTable {
    static TABLE: std::sync::OnceLock<ObservationTable> = std::sync::OnceLock::new();
    TABLE.get_or_init(|| load(SUMMARY))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// No nearby parameter vector (each parameter moved by up to ±20%) has a higher
    /// log-likelihood than the fit: the fit is a maximum, not just close to the
    /// published (rounded) values.
    #[test]
    fn the_fit_is_a_maximum(deltas in proptest::array::uniform4(-0.2f64..0.2)) {
        let fit = cdnow_fit();
        let p = fit.params;
        let moved = BgNbdParams::new(
            p.r() * deltas[0].exp(),
            p.alpha() * deltas[1].exp(),
            p.a() * deltas[2].exp(),
            p.b() * deltas[3].exp(),
        )
        .unwrap();
        let ll = moved.total_log_likelihood(cdnow_table());
        prop_assert!(ll <= fit.log_likelihood + 1e-9, "{ll} > {}", fit.log_likelihood);
    }
}

proptest! {
    #[test]
    fn p_alive_is_a_probability(params in params_strategy(), observation in observation_strategy()) {
        let p = params.p_alive(&observation);
        prop_assert!((0.0..=1.0).contains(&p), "{p}");
    }

    #[test]
    fn expected_purchases_increase_with_the_horizon(
        params in params_strategy(),
        observation in observation_strategy(),
        t in 0.1f64..100.0,
        dt in 0.1f64..100.0,
    ) {
        // The expectation is defined only where the hypergeometric parameter
        // `a + b + x - 1` is positive (an error otherwise, tested in errors.toml).
        prop_assume!(params.a() + params.b() + observation.frequency() > 1.0);
        let near = params.expected_purchases(&observation, t).unwrap();
        let far = params.expected_purchases(&observation, t + dt).unwrap();
        prop_assert!(near >= 0.0, "{near}");
        prop_assert!(far > near, "{near} then {far}");
    }

    #[test]
    fn purchase_probabilities_sum_to_at_most_one(params in params_strategy(), t in 0.1f64..60.0) {
        let total: f64 = (0..60).map(|n| params.probability_of_purchases(n, t).unwrap()).sum();
        prop_assert!(total <= 1.0 + 1e-9 && total > 0.0, "{total}");
        for n in 0..60 {
            let p = params.probability_of_purchases(n, t).unwrap();
            prop_assert!((-1e-12..=1.0).contains(&p), "P(X = {n}) = {p}");
        }
    }

    #[test]
    fn pareto_nbd_predictions_are_sound(
        observation in observation_strategy(),
        (r, alpha, s, beta) in (0.05f64..5.0, 0.5f64..50.0, 0.05f64..5.0, 0.5f64..50.0),
        t in 0.1f64..100.0,
        dt in 0.1f64..100.0,
    ) {
        let params = ParetoNbdParams::new(r, alpha, s, beta).unwrap();
        let p = params.p_alive(&observation).unwrap();
        prop_assert!((0.0..=1.0).contains(&p), "{p}");
        let near = params.expected_purchases(&observation, t).unwrap();
        let far = params.expected_purchases(&observation, t + dt).unwrap();
        prop_assert!(near >= 0.0 && far > near, "{near} then {far}");
        prop_assert!(params.log_likelihood(&observation).unwrap() < f64::INFINITY);
    }

    #[test]
    fn clv_falls_with_the_discount_rate(observation in observation_strategy(), rate in 0.0f64..0.2) {
        let model = ClvModel {
            transactions: BgNbdParams::new(0.243, 4.414, 0.793, 2.426).unwrap(),
            spend: GammaGammaParams::new(6.25, 3.74, 15.44).unwrap(),
        };
        let observation = if observation.frequency() > 0.0 {
            observation.with_mean_repeat_value_f64(30.0).unwrap()
        } else {
            observation
        };
        let low = model.clv(&observation, &ClvOptions::new(12, 4.345, rate).unwrap()).unwrap();
        let high = model.clv(&observation, &ClvOptions::new(12, 4.345, rate + 0.05).unwrap()).unwrap();
        prop_assert!(low > high && high > 0.0, "{low} {high}");
    }

    #[test]
    fn observations_ignore_purchase_order(
        purchases in proptest::collection::vec((0u8..5, 0i64..300, 0u32..10_000), 1..60),
        seed in any::<u64>(),
    ) {
        // Days up to 299 reach past the calibration end (day 272): those purchases
        // are left out whatever their position.
        let start = NaiveDate::from_ymd_opt(1997, 1, 1).unwrap();
        let end = NaiveDate::from_ymd_opt(1997, 9, 30).unwrap();
        let build = |rows: &[(u8, i64, u32)]| {
            let mut builder = RepeatSummaryBuilder::new(end, Currency::USD);
            for &(customer, day, cents) in rows {
                let date = start + chrono::Duration::days(day);
                builder
                    .add_purchase(CustomerId(u64::from(customer)), date, Money::new(Decimal::new(i64::from(cents), 2), Currency::USD))
                    .unwrap();
            }
            let summaries = builder.finish().unwrap();
            let table = ObservationTable::from_summaries(&summaries, 7.0).unwrap();
            (summaries, table)
        };
        let mut shuffled = purchases.clone();
        // A deterministic permutation from the seed.
        let n = shuffled.len();
        for i in (1..n).rev() {
            let j = ((seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(i as u64)) >> 33) as usize % (i + 1);
            shuffled.swap(i, j);
        }
        prop_assert_eq!(build(&purchases), build(&shuffled));
    }
}

/// A model keeps the time unit of the table it was fitted on and refuses to predict on
/// a table in another unit: weeks fitted, days asked is a typed error, not wrong numbers.
#[test]
fn a_model_fitted_in_weeks_does_not_predict_on_days() {
    let end = NaiveDate::from_ymd_opt(1997, 9, 30).unwrap();
    let mut builder = RepeatSummaryBuilder::new(end, Currency::USD);
    let start = NaiveDate::from_ymd_opt(1997, 1, 1).unwrap();
    for (id, days) in [
        (1, &[0, 17, 213][..]),
        (2, &[3][..]),
        (3, &[40, 41, 90, 200][..]),
        (4, &[5, 6][..]),
        (5, &[10, 100][..]),
        (6, &[20][..]),
    ] {
        for &offset in days {
            let date = start + chrono::Duration::days(offset);
            builder
                .add_purchase(CustomerId(id), date, "15.00 USD".parse().unwrap())
                .unwrap();
        }
    }
    let summaries = builder.finish().unwrap();
    let weeks = ObservationTable::from_summaries(&summaries, 7.0).unwrap();
    assert_eq!(weeks.period_days(), Some(7.0));
    let options = FitOptions::default().with_penalizer(0.01).unwrap();
    let fit = fit_bgnbd(&weeks, &options).unwrap();
    assert_eq!(fit.params.period_days(), Some(7.0));
    let model = ClvModel {
        transactions: fit.params,
        spend: patronage::predict::GammaGammaParams::new(6.25, 3.74, 15.44).unwrap(),
    };
    let clv = ClvOptions::new(12, 4.345, 0.01).unwrap();
    assert_eq!(model.predict_table(&weeks, &clv).unwrap().len(), 6);
    let days = ObservationTable::from_summaries(&summaries, 1.0).unwrap();
    assert_eq!(
        model.predict_table(&days, &clv).unwrap_err().to_string(),
        "the model's parameters are per 7-day period but the observations are in 1-day periods: expected the same time unit; build the table with `ObservationTable::from_summaries(&summaries, 7)`"
    );
    // Published parameters carry no unit until declared; a hand-built table neither.
    let published = BgNbdParams::new(0.243, 4.414, 0.793, 2.426).unwrap();
    assert_eq!(published.period_days(), None);
    let declared = published.with_period_days(7.0).unwrap();
    let json = serde_json::to_string(&declared).unwrap();
    assert_eq!(
        serde_json::from_str::<BgNbdParams>(&json).unwrap(),
        declared
    );
    assert_eq!(
        published.with_period_days(0.0).unwrap_err().to_string(),
        "option `period_days` is 0: expected a positive number of days per time unit, such as 7 for weeks"
    );
}
