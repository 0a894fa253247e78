//! Fits BG/NBD (and Gamma-Gamma when spend is given) to a customer base and prints the
//! fits and per-customer predictions as one JSON object, so the results can be
//! compared with other implementations (`lifetimes`, BTYD).
//!
//! ```text
//! cargo run --release --example clv -- --summary FILE.csv [--predict 39,52] [--pareto-nbd]
//! cargo run --release --example clv -- --transactions FILE --calibration-end YYYY-MM-DD [--predict 39,52] [--pareto-nbd]
//! cargo run --release --example clv -- --help
//! ```
//!
//! With no arguments it fits the shipped CDNOW summary
//! `tests/data/cdnow/cdnow_customers_summary_with_transactions.csv`.
//!
//! # Input
//!
//! A *summary* file is a CSV file (UTF-8, a byte-order mark is fine, quoted fields
//! allowed) with a header line naming the columns `ID` (or `id`, `customer_id`),
//! `frequency` (or `x`: repeat purchases), `recency` (or `t_x`) and `T` (weeks from the
//! first purchase to the last and to the end of calibration), and optionally
//! `monetary_value` (or `zbar`: the mean value of the repeat purchases; then spend is
//! fitted too) — the layouts of `lifetimes` and of Fader and Hardie's CDNOW files.
//! Each customer has one row.
//!
//! A *transaction* file has the CDNOW layout: one purchase a line, whitespace-separated,
//! either the sample's five columns (master id, sample id, date `YYYYMMDD`, quantity,
//! value; the sample id is reported) or the master file's four (id, date, quantity,
//! value), with or without a header line. The transactions become one repeat-purchase
//! summary per customer (purchases after `--calibration-end` are left out, same-day
//! purchases count once), in weeks.
//!
//! Every error names the file and the line. A repeat buyer whose mean spend is zero or
//! negative is kept for BG/NBD and left out of the Gamma-Gamma fit, which needs
//! positive monetary values (as `lifetimes` documents); the output says how many were
//! left out and why.
//!
//! # Output
//!
//! `{"bgnbd": {r, alpha, a, b, log_likelihood, …}, "gamma_gamma": {p, q, v, left_out,
//! …}, "customers": [{"id", "p_alive", "expected_purchases": {"39": …}, …}]}`. With
//! spend, each customer also gets `expected_average_value` and `clv` (12 months of
//! 4.345 weeks, discounted 1% a month, as `lifetimes`' defaults; `null` for a customer
//! left out of Gamma-Gamma). With `--pareto-nbd`, a `pareto_nbd` fit is added, and each
//! customer gets `pareto_nbd_p_alive` and `pareto_nbd_expected_purchases`. The fit times
//! and notes go to stderr.

mod common;

use std::collections::HashMap;
use std::io::Write;
use std::process::ExitCode;
use std::time::Instant;

use chrono::NaiveDate;
use common::{clip, note, Stop};
use patronage::predict::{
    fit_bgnbd, fit_gamma_gamma, fit_pareto_nbd, BgNbdParams, ClvModel, ClvOptions, FitOptions,
    Observation, ObservationTable, ParetoNbdParams,
};
use patronage::{Currency, CustomerId, Money, RepeatSummary, RepeatSummaryBuilder};
use rust_decimal::Decimal;
use serde::Deserialize;
use serde_json::{json, Map, Value};

const HELP: &str = "\
clv: BG/NBD (and Gamma-Gamma with spend) fitted to a customer base; fits and
per-customer predictions as one JSON object on stdout.

usage:
  clv --summary FILE.csv [--predict 39,52] [--pareto-nbd]
  clv --transactions FILE --calibration-end YYYY-MM-DD [--predict 39,52] [--pareto-nbd]
  clv        (the shipped CDNOW summary, tests/data/cdnow/cdnow_customers_summary_with_transactions.csv)

options:
  --summary FILE             one row per customer (layout below)
  --transactions FILE        one purchase per line, CDNOW layout (below)
  --calibration-end DATE     last day of the calibration period (with --transactions)
  --predict H1,H2,...        horizons in weeks for expected purchases (default 39)
  --pareto-nbd               also fit Pareto/NBD
  --help                     this text

summary file: CSV, UTF-8, a header line naming the columns
  ID (or id, customer_id)          the customer
  frequency (or x)                 repeat purchases
  recency (or t_x)                 weeks from the first to the last purchase
  T                                weeks from the first purchase to the end of calibration
  monetary_value (or zbar)         optional: mean value of the repeat purchases
example:
  ID,x,t_x,T,zbar
  1,2,30.43,38.86,22.35

transaction file: whitespace-separated, with or without a header line; either five
columns (master id, sample id, date YYYYMMDD, quantity, value) or four (id, date,
quantity, value). Example (CDNOW_sample.txt):
  00004 0001 19970101  2   29.33

A repeat buyer whose mean spend is zero or negative is kept for BG/NBD and left out of
the Gamma-Gamma fit, which needs positive monetary values; the output says how many.
";

/// 12 months of 4.345 weeks, discounted 1% a month: `lifetimes`' defaults.
const CLV_MONTHS: u32 = 12;
const WEEKS_PER_MONTH: f64 = 4.345;
const MONTHLY_DISCOUNT: f64 = 0.01;

fn main() -> ExitCode {
    common::exit("clv", run())
}

fn run() -> Result<(), Stop> {
    let Some(args) = Args::parse()? else {
        return common::print(HELP);
    };
    let base = match &args.input {
        Input::Summary(path) => read_summary(path, &common::read_file(path)?)?,
        Input::Transactions { path, end } => {
            read_transactions(path, &common::read_file(path)?, *end)?
        }
    };

    let mut out = Map::new();
    let bgnbd = fit_transactions(&base, &mut out)?;
    let spend = match &base.spend {
        Some(spend) => fit_spend(spend, bgnbd, &mut out),
        None => Ok(None),
    };
    let pareto = if args.pareto_nbd {
        fit_pareto(&base, &mut out)?
    } else {
        None
    };
    // A failed Gamma-Gamma fit still prints the BG/NBD results, then fails the run.
    let (model, spend_failure) = match spend {
        Ok(model) => (model, None),
        Err(message) => (None, Some(message)),
    };
    let customers = predict(
        &base,
        &args.horizons,
        bgnbd,
        model.as_ref(),
        pareto.as_ref(),
    )?;
    out.insert("customers".to_owned(), Value::Array(customers));

    let mut stdout = std::io::stdout().lock();
    serde_json::to_writer(&mut stdout, &Value::Object(out))
        .map_err(|e| Stop::from(std::io::Error::from(e)))?;
    writeln!(stdout)?;
    stdout.flush()?;
    match spend_failure {
        Some(message) => Err(Stop::fail(message)),
        None => Ok(()),
    }
}

// ---- the library calls -------------------------------------------------------------

/// Fits BG/NBD on every customer.
fn fit_transactions(base: &Base, out: &mut Map<String, Value>) -> Result<BgNbdParams, Stop> {
    let started = Instant::now();
    let fit = fit_bgnbd(&base.table, &FitOptions::default())
        .map_err(|e| Stop::fail(format!("`{}`: bgnbd: {e}", base.path)))?;
    note(&format!(
        "bgnbd: {} customers ({} distinct rows), {} iterations, fitted in {:.3} ms",
        fit.report.customers,
        fit.report.distinct_rows,
        fit.report.iterations,
        started.elapsed().as_secs_f64() * 1e3
    ));
    let params = fit.params;
    out.insert(
        "bgnbd".to_owned(),
        json!({
            "r": params.r(),
            "alpha": params.alpha(),
            "a": params.a(),
            "b": params.b(),
            "log_likelihood": fit.log_likelihood,
            "standard_errors": fit.standard_errors,
            "iterations": fit.report.iterations,
            "gradient_norm": fit.report.gradient_norm,
        }),
    );
    Ok(params)
}

/// Fits Gamma-Gamma on the repeat buyers with positive mean spend. `Ok(None)` when
/// none is left; `Err` (a message) when the fit fails.
fn fit_spend(
    spend: &Spend,
    transactions: BgNbdParams,
    out: &mut Map<String, Value>,
) -> Result<Option<ClvModel>, String> {
    let left_out = spend.left_out.len();
    let reason = "Gamma-Gamma needs positive monetary values: a repeat buyer whose mean spend is zero or negative is left out of its fit (kept for BG/NBD; `expected_average_value` and `clv` are null)";
    if left_out > 0 {
        let listed: Vec<&str> = spend.left_out.iter().take(5).map(String::as_str).collect();
        let more = if left_out > 5 { ", …" } else { "" };
        note(&format!(
            "gamma_gamma: {left_out} of {} repeat buyers left out ({}{more}): {reason}",
            spend.repeat_buyers,
            listed.join(", ")
        ));
    }
    let left_out_json = json!({ "customers": left_out, "reason": reason });
    if spend.table.is_empty() {
        note("gamma_gamma: not fitted: no repeat buyer with positive mean spend");
        out.insert(
            "gamma_gamma".to_owned(),
            json!({ "fitted": false, "left_out": left_out_json }),
        );
        return Ok(None);
    }
    let started = Instant::now();
    let fit = match fit_gamma_gamma(&spend.table, &FitOptions::default()) {
        Ok(fit) => fit,
        Err(e) => {
            out.insert(
                "gamma_gamma".to_owned(),
                json!({ "fitted": false, "error": e.to_string(), "left_out": left_out_json }),
            );
            return Err(format!("gamma_gamma: {e}"));
        }
    };
    note(&format!(
        "gamma_gamma: {} repeat buyers, {} iterations, fitted in {:.3} ms",
        fit.report.customers,
        fit.report.iterations,
        started.elapsed().as_secs_f64() * 1e3
    ));
    out.insert(
        "gamma_gamma".to_owned(),
        json!({
            "fitted": true,
            "p": fit.params.p(),
            "q": fit.params.q(),
            "v": fit.params.v(),
            "log_likelihood": fit.log_likelihood,
            "standard_errors": fit.standard_errors,
            "frequency_spend_correlation": fit.independence.correlation,
            "iterations": fit.report.iterations,
            "gradient_norm": fit.report.gradient_norm,
            "left_out": left_out_json,
        }),
    );
    Ok(Some(ClvModel {
        transactions,
        spend: fit.params,
    }))
}

/// Fits Pareto/NBD on every customer.
fn fit_pareto(base: &Base, out: &mut Map<String, Value>) -> Result<Option<ParetoNbdParams>, Stop> {
    let started = Instant::now();
    let fit = fit_pareto_nbd(&base.table, &FitOptions::default())
        .map_err(|e| Stop::fail(format!("`{}`: pareto_nbd: {e}", base.path)))?;
    note(&format!(
        "pareto_nbd: {} iterations, fitted in {:.3} ms",
        fit.report.iterations,
        started.elapsed().as_secs_f64() * 1e3
    ));
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
    Ok(Some(fit.params))
}

/// The per-customer predictions.
fn predict(
    base: &Base,
    horizons: &[(String, f64)],
    params: BgNbdParams,
    model: Option<&ClvModel>,
    pareto: Option<&ParetoNbdParams>,
) -> Result<Vec<Value>, Stop> {
    let clv_options = ClvOptions::new(CLV_MONTHS, WEEKS_PER_MONTH, MONTHLY_DISCOUNT)
        .map_err(|e| Stop::fail(format!("clv options: {e}")))?;
    let fail = |id: &str, e: &dyn std::fmt::Display| {
        Stop::fail(format!("`{}`: customer `{}`: {e}", base.path, clip(id)))
    };
    let mut customers = Vec::with_capacity(base.table.len());
    for (index, (id, observation)) in base.ids.iter().zip(base.table.iter()).enumerate() {
        let mut expected = Map::new();
        for (label, horizon) in horizons {
            let n = params
                .expected_purchases(&observation, *horizon)
                .map_err(|e| fail(id, &e))?;
            expected.insert(label.clone(), json!(n));
        }
        let mut customer = Map::new();
        customer.insert("id".to_owned(), json!(id));
        customer.insert("p_alive".to_owned(), json!(params.p_alive(&observation)));
        customer.insert("expected_purchases".to_owned(), Value::Object(expected));
        if let Some(spend) = &base.spend {
            let predicted = spend.predicted.get(index).copied().unwrap_or(false);
            let (value, clv) = match model {
                Some(model) if predicted => {
                    let prediction = model
                        .predict(&observation, &clv_options)
                        .map_err(|e| fail(id, &e))?;
                    (
                        json!(prediction.expected_average_value),
                        json!(prediction.clv),
                    )
                }
                _ => (Value::Null, Value::Null),
            };
            customer.insert("expected_average_value".to_owned(), value);
            customer.insert("clv".to_owned(), clv);
        }
        if let Some(pareto) = pareto {
            let mut expected = Map::new();
            for (label, horizon) in horizons {
                let n = pareto
                    .expected_purchases(&observation, *horizon)
                    .map_err(|e| fail(id, &e))?;
                expected.insert(label.clone(), json!(n));
            }
            let p_alive = pareto.p_alive(&observation).map_err(|e| fail(id, &e))?;
            customer.insert("pareto_nbd_p_alive".to_owned(), json!(p_alive));
            customer.insert(
                "pareto_nbd_expected_purchases".to_owned(),
                Value::Object(expected),
            );
        }
        customers.push(Value::Object(customer));
    }
    Ok(customers)
}

/// One customer's observation from the numbers of a summary row.
fn observation(frequency: f64, recency: f64, age: f64) -> Result<Observation, String> {
    Observation::new(frequency, recency, age).map_err(|e| e.to_string())
}

/// The observation with its mean spend.
fn with_spend(observation: Observation, spend: Decimal) -> Result<Observation, String> {
    observation
        .with_mean_repeat_value(spend)
        .map_err(|e| e.to_string())
}

/// The repeat-purchase summaries of dated purchases, and their observations in weeks.
fn summarise(
    path: &str,
    purchases: &[(u64, NaiveDate, Decimal, u64)],
    end: NaiveDate,
) -> Result<(Vec<RepeatSummary>, ObservationTable), Stop> {
    // The CDNOW layout carries no currency: its amounts are US dollars.
    let mut builder = RepeatSummaryBuilder::new(end, Currency::USD);
    for &(id, date, value, line) in purchases {
        builder
            .add_purchase(CustomerId(id), date, Money::new(value, Currency::USD))
            .map_err(|e| Stop::fail(format!("{path}:{line}: {e}")))?;
    }
    let summaries = builder
        .finish()
        .map_err(|e| Stop::fail(format!("`{path}`: {e}")))?;
    let table = ObservationTable::from_summaries(&summaries, 7.0)
        .map_err(|e| Stop::fail(format!("`{path}`: {e}")))?;
    Ok((summaries, table))
}

// ---- the customers as read -------------------------------------------------------------

/// The customers of the input: ids, one observation each, and the spend part.
struct Base {
    path: String,
    ids: Vec<String>,
    /// Every customer, for BG/NBD (and Pareto/NBD).
    table: ObservationTable,
    /// With spend: who is in the Gamma-Gamma fit.
    spend: Option<Spend>,
}

/// The Gamma-Gamma side of the input.
struct Spend {
    /// The repeat buyers with positive mean spend.
    table: ObservationTable,
    /// For each customer of [`Base::table`], whether it gets a CLV (not a repeat buyer
    /// left out of the fit).
    predicted: Vec<bool>,
    /// Repeat buyers in all.
    repeat_buyers: usize,
    /// The repeat buyers left out, described (`customer `7` (line 9): 0`).
    left_out: Vec<String>,
}

impl Spend {
    fn new() -> Spend {
        Spend {
            table: ObservationTable::new(),
            predicted: Vec::new(),
            repeat_buyers: 0,
            left_out: Vec::new(),
        }
    }

    /// Records one customer: in the fit when a repeat buyer with positive spend.
    fn add(&mut self, observation: &Observation, spend: Decimal, who: impl FnOnce() -> String) {
        let repeat = observation.frequency() > 0.0;
        let positive = spend > Decimal::ZERO;
        if repeat {
            self.repeat_buyers += 1;
            if positive {
                self.table.push(*observation);
            } else {
                self.left_out.push(format!("{} mean spend {spend}", who()));
            }
        }
        self.predicted.push(!repeat || positive);
    }
}

/// One row of a summary file, by column name.
#[derive(Debug, Deserialize)]
struct SummaryRow<'a> {
    #[serde(rename = "ID", alias = "id", alias = "customer_id")]
    id: &'a str,
    #[serde(alias = "x")]
    frequency: &'a str,
    #[serde(alias = "t_x")]
    recency: &'a str,
    #[serde(rename = "T")]
    age: &'a str,
    #[serde(default, alias = "zbar")]
    monetary_value: Option<&'a str>,
}

/// The columns of a summary file, in the order of [`SummaryRow`].
const SUMMARY_COLUMNS: [common::Column; 5] = [
    (&["ID", "id", "customer_id"], true),
    (&["frequency", "x"], true),
    (&["recency", "t_x"], true),
    (&["T"], true),
    (&["monetary_value", "zbar"], false),
];

/// Reads a summary file.
fn read_summary(path: &str, bytes: &[u8]) -> Result<Base, Stop> {
    let mut reader = common::csv_reader(bytes);
    let headers = reader
        .headers()
        .map_err(|e| Stop::fail(common::csv_error(path, None, &e)))?
        .clone();
    if headers.is_empty() {
        return Err(Stop::fail(format!(
            "`{path}` is empty: expected a header line such as `ID,frequency,recency,T` or `ID,x,t_x,T,zbar` and one row per customer"
        )));
    }
    let columns = common::find_columns(path, &headers, &SUMMARY_COLUMNS)?;
    let has_spend = columns.get(4).copied().flatten().is_some();
    let mut base = Base {
        path: path.to_owned(),
        ids: Vec::new(),
        table: ObservationTable::new(),
        spend: has_spend.then(Spend::new),
    };
    let mut seen: HashMap<String, u64> = HashMap::new();
    let mut record = csv::StringRecord::new();
    loop {
        match reader.read_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => return Err(Stop::fail(common::csv_error(path, Some(&headers), &e))),
        }
        let line = record.position().map_or(0, csv::Position::line);
        let at = |message: String| Stop::fail(format!("{path}:{line}: {message}"));
        let row: SummaryRow = record
            .deserialize(Some(&headers))
            .map_err(|e| at(e.to_string()))?;
        let number = |index: usize, text: &str, what: &str| -> Result<f64, Stop> {
            text.parse::<f64>().map_err(|_| {
                at(format!(
                    "{}: expected {what}, found `{}`",
                    common::column_name(&headers, columns.get(index).copied().flatten()),
                    clip(text)
                ))
            })
        };
        let frequency = number(1, row.frequency, "a number of repeat purchases")?;
        let recency = number(2, row.recency, "a number of weeks")?;
        let age = number(3, row.age, "a number of weeks")?;
        if let Some(first) = seen.get(row.id) {
            return Err(at(format!(
                "duplicate customer id `{}` (first on line {first}): expected one row per customer",
                clip(row.id)
            )));
        }
        seen.insert(row.id.to_owned(), line);
        let who = || format!("customer `{}` (line {line})", clip(row.id));
        let mut customer =
            observation(frequency, recency, age).map_err(|e| at(format!("{}: {e}", who())))?;
        if let (Some(spend), Some(text)) = (&mut base.spend, row.monetary_value) {
            let value = text.parse::<Decimal>().map_err(|_| {
                at(format!(
                    "{}: expected a decimal mean spend such as `22.35`, found `{}`",
                    common::column_name(&headers, columns.get(4).copied().flatten()),
                    clip(text)
                ))
            })?;
            // A negative mean cannot be an observation's spend: it stays without spend.
            if value >= Decimal::ZERO {
                customer =
                    with_spend(customer, value).map_err(|e| at(format!("{}: {e}", who())))?;
            }
            spend.add(&customer, value, who);
        } else if let Some(spend) = &mut base.spend {
            spend.add(&customer, Decimal::ZERO, who);
        }
        base.ids.push(row.id.to_owned());
        base.table.push(customer);
    }
    if base.ids.is_empty() {
        return Err(Stop::fail(format!(
            "`{path}` has a header line but no customers: expected one row per customer after it"
        )));
    }
    Ok(base)
}

/// Reads a CDNOW transaction file (five or four whitespace-separated columns, with or
/// without a header line).
fn read_transactions(path: &str, bytes: &[u8], end: NaiveDate) -> Result<Base, Stop> {
    let bytes = bytes.strip_prefix(b"\xef\xbb\xbf").unwrap_or(bytes);
    let mut purchases: Vec<(u64, NaiveDate, Decimal, u64)> = Vec::new();
    let mut layout: Option<(usize, u64)> = None;
    let mut header_seen = false;
    // Sample id → master id, and back, with the line that first paired them.
    let mut master_of: HashMap<u64, (u64, u64)> = HashMap::new();
    let mut sample_of: HashMap<u64, (u64, u64)> = HashMap::new();
    for (index, raw) in bytes.split(|&b| b == b'\n').enumerate() {
        let line = index as u64 + 1;
        let at = |message: String| Stop::fail(format!("{path}:{line}: {message}"));
        let text = std::str::from_utf8(raw).map_err(|e| {
            at(format!(
                "not valid UTF-8 (byte {} of the line): expected UTF-8 text",
                e.valid_up_to() + 1
            ))
        })?;
        let cols: Vec<&str> = text.split_whitespace().collect();
        let Some(first) = cols.first() else {
            continue;
        };
        // A header line: the first line that is not blank, if it does not start with a number.
        if layout.is_none() && !header_seen && !first.bytes().all(|b| b.is_ascii_digit()) {
            header_seen = true;
            continue;
        }
        let expected = match layout {
            Some((n, _)) => n,
            None => cols.len(),
        };
        let (master, id, date, value) = match (cols.as_slice(), expected) {
            ([master, id, date, _, value], 5) => (Some(*master), *id, *date, *value),
            ([id, date, _, value], 4) => (None, *id, *date, *value),
            (_, 4 | 5) if layout.is_some() => {
                let first_line = layout.map_or(0, |(_, l)| l);
                return Err(at(format!(
                    "{} columns: expected {expected}, as on line {first_line}",
                    cols.len()
                )));
            }
            _ => {
                return Err(at(format!(
                    "{} columns: expected 5 (master id, sample id, date YYYYMMDD, quantity, value) or 4 (id, date YYYYMMDD, quantity, value), found `{}`",
                    cols.len(),
                    clip(text.trim())
                )))
            }
        };
        layout.get_or_insert((expected, line));
        let integer = |text: &str, what: &str| {
            text.parse::<u64>().map_err(|_| {
                at(format!(
                    "expected {what}, an unsigned integer, found `{}`",
                    clip(text)
                ))
            })
        };
        let id = integer(id, "the customer id")?;
        let date = NaiveDate::parse_from_str(date, "%Y%m%d").map_err(|_| {
            at(format!(
                "expected a date such as `19970101` (YYYYMMDD), found `{}`",
                clip(date)
            ))
        })?;
        let value = value.parse::<Decimal>().map_err(|_| {
            at(format!(
                "expected a value such as `29.33`, found `{}`",
                clip(value)
            ))
        })?;
        if let Some(master) = master {
            let master = integer(master, "the master id")?;
            let (known, first) = *master_of.entry(id).or_insert((master, line));
            if known != master {
                return Err(at(format!(
                    "sample id `{id}` has master id `{master}`, but `{known}` on line {first}: expected one master id per sample id"
                )));
            }
            let (known, first) = *sample_of.entry(master).or_insert((id, line));
            if known != id {
                return Err(at(format!(
                    "master id `{master}` has sample id `{id}`, but `{known}` on line {first}: expected one sample id per master id"
                )));
            }
        }
        purchases.push((id, date, value, line));
    }
    if purchases.is_empty() {
        return Err(Stop::fail(format!(
            "`{path}` has no transactions: expected one purchase per line, e.g. ` 00004 0001 19970101  2   29.33`"
        )));
    }
    let (summaries, table) = summarise(path, &purchases, end)?;
    if summaries.is_empty() {
        return Err(Stop::fail(format!(
            "`{path}`: no purchase on or before `--calibration-end {end}`: nothing to fit"
        )));
    }
    let mut spend = Spend::new();
    for (summary, customer) in summaries.iter().zip(table.iter()) {
        spend.add(&customer, summary.mean_repeat_value, || {
            format!("customer `{}`", summary.customer)
        });
    }
    Ok(Base {
        path: path.to_owned(),
        ids: summaries.iter().map(|s| s.customer.to_string()).collect(),
        table,
        spend: Some(spend),
    })
}

// ---- the command line ---------------------------------------------------------------

/// What to read.
enum Input {
    Summary(String),
    Transactions { path: String, end: NaiveDate },
}

/// The command line.
struct Args {
    input: Input,
    horizons: Vec<(String, f64)>,
    pareto_nbd: bool,
}

impl Args {
    /// The options, or `None` for `--help`.
    fn parse() -> Result<Option<Args>, Stop> {
        let mut line = common::CommandLine::from_env()?;
        let mut horizons = vec![("39".to_owned(), 39.0)];
        if line.is_empty() {
            let path = concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/tests/data/cdnow/cdnow_customers_summary_with_transactions.csv"
            );
            return Ok(Some(Args {
                input: Input::Summary(path.to_owned()),
                horizons,
                pareto_nbd: false,
            }));
        }
        let (mut summary, mut transactions, mut end) = (None, None, None);
        let mut pareto_nbd = false;
        while let Some(flag) = line.next_flag()? {
            match flag.as_str() {
                "--help" | "-h" => return Ok(None),
                "--summary" => summary = Some(line.value(&flag)?),
                "--transactions" => transactions = Some(line.value(&flag)?),
                "--calibration-end" => end = Some(line.parsed(&flag, common::parse_date)?),
                "--pareto-nbd" => pareto_nbd = true,
                "--predict" => {
                    horizons = line.parsed(&flag, |value| {
                        value
                            .split(',')
                            .map(|h| {
                                let h = h.trim();
                                match h.parse::<f64>() {
                                    Ok(weeks) if weeks.is_finite() && weeks >= 0.0 => {
                                        Ok((h.to_owned(), weeks))
                                    }
                                    _ => Err(
                                        "horizons in weeks separated by commas, such as `39,52`"
                                            .to_owned(),
                                    ),
                                }
                            })
                            .collect()
                    })?;
                }
                other => return Err(Stop::usage(format!("unknown option `{}`", clip(other)))),
            }
        }
        let input = match (summary, transactions, end) {
            (Some(path), None, None) => Input::Summary(path),
            (None, Some(path), Some(end)) => Input::Transactions { path, end },
            (None, Some(_), None) => {
                return Err(Stop::usage(
                    "`--transactions` needs `--calibration-end YYYY-MM-DD`",
                ))
            }
            (Some(_), None, Some(_)) => return Err(Stop::usage(
                "`--calibration-end` goes with `--transactions`: a summary is already calibrated",
            )),
            _ => {
                return Err(Stop::usage(
                    "give exactly one of `--summary FILE` and `--transactions FILE`",
                ))
            }
        };
        Ok(Some(Args {
            input,
            horizons,
            pareto_nbd,
        }))
    }
}
