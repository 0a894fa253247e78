//! Fits BG/NBD (and Gamma-Gamma when spend is given) to a customer base and prints
//! the fits and per-customer predictions as one JSON object, so the results can be
//! compared with other implementations (`lifetimes`, BTYD).
//!
//! ```text
//! cargo run --release --example clv -- --summary FILE.csv [--predict 39,52] [--pareto-nbd]
//! cargo run --release --example clv -- --transactions FILE --calibration-end YYYY-MM-DD [--predict 39,52] [--pareto-nbd]
//! ```
//!
//! A summary file has the header `ID,frequency,recency,T`, or `ID,x,t_x,T,zbar`
//! (then spend is fitted too), with times in weeks. A transaction file has the
//! CDNOW layout, whitespace-separated without header: either the sample's five
//! columns (master id, sample id, date `YYYYMMDD`, quantity, value; the sample id is
//! reported) or the master file's four (id, date, quantity, value), ids being
//! integers. The transactions become one `RepeatSummary` per customer with
//! `RepeatSummaryBuilder` (purchases after the calibration end are left out), and
//! weekly model observations with `ObservationTable::from_summaries`.
//!
//! Output: `{"bgnbd": {r, alpha, a, b, log_likelihood, …}, "gamma_gamma": {p, q, v,
//! …}, "customers": [{"id", "p_alive", "expected_purchases": {"39": …}, …}]}`. With
//! spend, each customer also gets `expected_average_value` and `clv` (12 months of
//! 4.345 weeks, discounted 1% a month, as `lifetimes`' defaults). With
//! `--pareto-nbd`, a `pareto_nbd` fit is added, and each customer gets
//! `pareto_nbd_p_alive` and `pareto_nbd_expected_purchases`. The fit times go to
//! stderr.

use std::error::Error;
use std::time::Instant;

use chrono::NaiveDate;
use patronage::predict::{
    fit_bgnbd, fit_gamma_gamma, fit_pareto_nbd, ClvModel, ClvOptions, FitOptions, Observation,
    ObservationTable,
};
use patronage::{CustomerId, RepeatSummaryBuilder};
use rust_decimal::Decimal;
use serde_json::{json, Map, Value};

struct Args {
    summary: Option<String>,
    transactions: Option<String>,
    calibration_end: Option<NaiveDate>,
    horizons: Vec<(String, f64)>,
    pareto_nbd: bool,
}

fn parse_args() -> Result<Args, Box<dyn Error>> {
    let mut args = Args {
        summary: None,
        transactions: None,
        calibration_end: None,
        horizons: vec![("39".to_owned(), 39.0)],
        pareto_nbd: false,
    };
    let mut iter = std::env::args().skip(1);
    while let Some(flag) = iter.next() {
        let mut value = || iter.next().ok_or(format!("`{flag}` needs a value"));
        match flag.as_str() {
            "--summary" => args.summary = Some(value()?),
            "--pareto-nbd" => args.pareto_nbd = true,
            "--transactions" => args.transactions = Some(value()?),
            "--calibration-end" => {
                args.calibration_end = Some(NaiveDate::parse_from_str(&value()?, "%Y-%m-%d")?);
            }
            "--predict" => {
                args.horizons = value()?
                    .split(',')
                    .map(|h| Ok((h.trim().to_owned(), h.trim().parse::<f64>()?)))
                    .collect::<Result<_, Box<dyn Error>>>()?;
            }
            other => return Err(format!("unknown argument `{other}`; expected `--summary FILE` or `--transactions FILE --calibration-end YYYY-MM-DD`, and optionally `--predict 39,52`").into()),
        }
    }
    Ok(args)
}

/// Reads `ID,frequency,recency,T` or `ID,x,t_x,T,zbar`; returns ids, observations
/// and whether spend was given.
fn read_summary(text: &str) -> Result<(Vec<String>, ObservationTable, bool), Box<dyn Error>> {
    let mut lines = text.lines().filter(|l| !l.trim().is_empty());
    let header = lines.next().ok_or("the summary file is empty")?.trim();
    let with_spend = match header {
        "ID,frequency,recency,T" => false,
        "ID,x,t_x,T,zbar" => true,
        other => {
            return Err(format!(
                "unknown header `{other}`: expected `ID,frequency,recency,T` or `ID,x,t_x,T,zbar`"
            )
            .into())
        }
    };
    let mut ids = Vec::new();
    let mut table = ObservationTable::new();
    for (number, line) in lines.enumerate() {
        let cols: Vec<&str> = line.trim().split(',').collect();
        let field = |i: usize| -> Result<f64, Box<dyn Error>> {
            let text =
                cols.get(i)
                    .ok_or(format!("line {}: missing column {}", number + 2, i + 1))?;
            Ok(text.parse::<f64>()?)
        };
        let mut observation = Observation::new(field(1)?, field(2)?, field(3)?)?;
        if with_spend {
            let zbar: Decimal = cols.get(4).ok_or("missing `zbar`")?.parse()?;
            observation = observation.with_mean_repeat_value(zbar)?;
        }
        ids.push(cols.first().copied().unwrap_or_default().to_owned());
        table.push(observation);
    }
    Ok((ids, table, with_spend))
}

/// Reads CDNOW transactions (five or four columns) into weekly observations.
fn read_transactions(
    text: &str,
    calibration_end: NaiveDate,
) -> Result<(Vec<String>, ObservationTable), Box<dyn Error>> {
    let mut builder = RepeatSummaryBuilder::new(calibration_end, patronage::Currency::USD);
    for (number, line) in text.lines().enumerate() {
        let cols: Vec<&str> = line.split_whitespace().collect();
        let (id, date, value) = match cols.as_slice() {
            [] => continue,
            [_, id, date, _, value] | [id, date, _, value] => (id, date, value),
            _ => {
                return Err(format!(
                    "line {}: expected 4 or 5 columns, found {}",
                    number + 1,
                    cols.len()
                )
                .into())
            }
        };
        let id = CustomerId(id.parse()?);
        let date = NaiveDate::parse_from_str(date, "%Y%m%d")?;
        builder.add_purchase(
            id,
            date,
            patronage::Money::new(value.parse::<Decimal>()?, patronage::Currency::USD),
        )?;
    }
    let summaries = builder.finish()?;
    let table = ObservationTable::from_summaries(&summaries, 7.0)?;
    let ids = summaries
        .iter()
        .map(|summary| summary.customer.to_string())
        .collect();
    Ok((ids, table))
}

fn main() -> Result<(), Box<dyn Error>> {
    let args = parse_args()?;
    let (ids, table, with_spend) = match (&args.summary, &args.transactions) {
        (Some(path), None) => read_summary(&std::fs::read_to_string(path)?)?,
        (None, Some(path)) => {
            let end = args
                .calibration_end
                .ok_or("`--transactions` needs `--calibration-end YYYY-MM-DD`")?;
            let (ids, table) = read_transactions(&std::fs::read_to_string(path)?, end)?;
            (ids, table, true)
        }
        _ => return Err("give exactly one of `--summary FILE` and `--transactions FILE`".into()),
    };

    let options = FitOptions::default();
    let started = Instant::now();
    let bgnbd = fit_bgnbd(&table, &options)?;
    eprintln!(
        "bgnbd: {} customers ({} distinct rows), {} iterations, fitted in {:.3} ms",
        bgnbd.report.customers,
        bgnbd.report.distinct_rows,
        bgnbd.report.iterations,
        started.elapsed().as_secs_f64() * 1e3
    );
    let params = bgnbd.params;
    let mut out = Map::new();
    out.insert(
        "bgnbd".to_owned(),
        json!({
            "r": params.r(),
            "alpha": params.alpha(),
            "a": params.a(),
            "b": params.b(),
            "log_likelihood": bgnbd.log_likelihood,
            "standard_errors": bgnbd.standard_errors,
            "iterations": bgnbd.report.iterations,
            "gradient_norm": bgnbd.report.gradient_norm,
        }),
    );

    let model = if with_spend {
        let started = Instant::now();
        let spend = fit_gamma_gamma(&table, &options)?;
        eprintln!(
            "gamma_gamma: {} repeat buyers, {} iterations, fitted in {:.3} ms",
            spend.report.customers,
            spend.report.iterations,
            started.elapsed().as_secs_f64() * 1e3
        );
        out.insert(
            "gamma_gamma".to_owned(),
            json!({
                "p": spend.params.p(),
                "q": spend.params.q(),
                "v": spend.params.v(),
                "log_likelihood": spend.log_likelihood,
                "standard_errors": spend.standard_errors,
                "frequency_spend_correlation": spend.independence.correlation,
                "iterations": spend.report.iterations,
                "gradient_norm": spend.report.gradient_norm,
            }),
        );
        Some(ClvModel {
            transactions: params,
            spend: spend.params,
        })
    } else {
        None
    };
    let pareto = if args.pareto_nbd {
        let started = Instant::now();
        let fit = fit_pareto_nbd(&table, &options)?;
        eprintln!(
            "pareto_nbd: {} iterations, fitted in {:.3} ms",
            fit.report.iterations,
            started.elapsed().as_secs_f64() * 1e3
        );
        out.insert(
            "pareto_nbd".to_owned(),
            json!({
                "r": fit.params.r(),
                "alpha": fit.params.alpha(),
                "s": fit.params.s(),
                "beta": fit.params.beta(),
                "log_likelihood": fit.log_likelihood,
                "standard_errors": fit.standard_errors,
                "iterations": fit.report.iterations,
                "gradient_norm": fit.report.gradient_norm,
            }),
        );
        Some(fit.params)
    } else {
        None
    };
    let clv_options = ClvOptions::new(12, 4.345, 0.01)?;

    let mut customers = Vec::with_capacity(table.len());
    for (id, observation) in ids.iter().zip(table.iter()) {
        let mut expected = Map::new();
        for (label, horizon) in &args.horizons {
            expected.insert(
                label.clone(),
                json!(params.expected_purchases(&observation, *horizon)?),
            );
        }
        let mut customer = json!({
            "id": id,
            "p_alive": params.p_alive(&observation),
            "expected_purchases": expected,
        });
        if let (Some(model), Some(fields)) = (&model, customer.as_object_mut()) {
            let prediction = model.predict(&observation, &clv_options)?;
            fields.insert(
                "expected_average_value".to_owned(),
                json!(prediction.expected_average_value),
            );
            fields.insert("clv".to_owned(), json!(prediction.clv));
        }
        if let (Some(pareto), Some(fields)) = (&pareto, customer.as_object_mut()) {
            let mut expected = Map::new();
            for (label, horizon) in &args.horizons {
                expected.insert(
                    label.clone(),
                    json!(pareto.expected_purchases(&observation, *horizon)?),
                );
            }
            fields.insert(
                "pareto_nbd_p_alive".to_owned(),
                json!(pareto.p_alive(&observation)?),
            );
            fields.insert(
                "pareto_nbd_expected_purchases".to_owned(),
                Value::Object(expected),
            );
        }
        customers.push(customer);
    }
    out.insert("customers".to_owned(), Value::Array(customers));
    println!("{}", Value::Object(out));
    Ok(())
}
