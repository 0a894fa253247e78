//! Segments a customer base from an orders CSV: RFM scores and named segment, tier and
//! lifecycle stage per customer, printed as CSV — also the command-line contract used
//! to compare the crate with other implementations (pandas, polars, DuckDB; see
//! `tests/peer/check.sh`).
//!
//! ```text
//! cargo run --release --example segment -- --orders FILE.csv --as-of YYYY-MM-DD
//!     [--lenient] [--config FILE.json|FILE.toml] [--scores quantile|rank]
//!     [--rfm-table r-0.3|r-0.2] [--frequency-window DAYS|all] [--currency CODE]
//!     [--threads N] [--timings] [--explain CUSTOMER]
//! cargo run --release --example segment -- --help
//! ```
//!
//! With no arguments it segments `tests/data/orders_sample.csv` as of 2024-12-31.
//!
//! # The order layout
//!
//! One CSV file of orders, comma-separated, UTF-8 (a byte-order mark is fine), fields
//! quoted as CSV quotes them, one header line naming the columns in any order; other
//! columns are ignored. The quickstart's `examples/data/orders.csv` is in this layout.
//!
//! | column | required | meaning |
//! |---|---|---|
//! | `id` (or `order_id`) | yes | the order id, an unsigned integer, unique in the file |
//! | `customer` (or `customer_id`) | yes | the customer id, an unsigned integer |
//! | `placed_at` (or `order_date`) | yes | an RFC 3339 instant (`2024-10-21T16:50:23Z`), made a date in the config's time zone, or a date `2024-10-21` |
//! | `amount` | yes | the order amount, a decimal such as `199.00`; a negative amount is a refund row |
//! | `currency` | no | an ISO 4217 code, one currency in the whole file (default `--currency`, else `CNY`) |
//! | `status` | no | `paid` (default), `cancelled`, `refunded` or `partially_refunded` |
//! | `refunded` | no | the refunded amount of a `partially_refunded` order, empty otherwise |
//!
//! A paid order is a purchase of its amount (zero included); a partially refunded one a
//! purchase of its amount and a refund of `refunded`; a negative amount is a refund of
//! its absolute value that lowers net spend and never refreshes recency; a cancelled or
//! fully refunded order is not a purchase and changes no column of the output. Orders
//! placed after `--as-of` are ignored.
//!
//! # Validation
//!
//! Strict by default: the first bad row stops the run with its file and line (a
//! duplicate order id names both lines). With `--lenient`, every bad row is left out and
//! listed on stderr, and the rest is segmented. A file without orders, or an `--as-of`
//! before every order, is an error rather than an empty table.
//!
//! # Output
//!
//! One row per customer with a purchase, ordered by customer id, with the header
//! `customer_id,recency_days,frequency,monetary,monetary_top_share,r_score,f_score,m_score,rfm_segment,tier,stage`.
//! `--threads N` (default 1) builds the facts table and decides the stage and tier
//! tables on up to `N` threads; the output is the same for every `N`. With
//! `--timings`, `parse_s=… compute_s=…` goes to stderr: *parse* is reading and checking
//! the file, *compute* everything from the checked orders to the table. With
//! `--explain CUSTOMER`, the output is instead that customer's facts, RFM scores and
//! segment, and the rows of the stage and tier tables that decided them, with the
//! values they read.

mod common;

use std::collections::HashMap;
use std::fmt::Write as _;
use std::io::{BufWriter, Write};
use std::num::NonZeroUsize;
use std::process::ExitCode;
use std::time::Instant;

use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use chrono_tz::Tz;
use common::{clip, note, Stop};
use patronage::segment::{ScoreMethod, SegmentsConfig};
use patronage::{
    BatchOptions, Config, Currency, CustomerId, FactsTable, Money, Order, OrderId, OrderStatus,
    SegmentPreset, Segmentation, Segmenter,
};
use rust_decimal::Decimal;
use serde::Deserialize;

const HELP: &str = "\
segment: RFM scores and segment, tier and lifecycle stage of every customer of an
orders file, printed as CSV.

usage:
  segment --orders FILE.csv --as-of YYYY-MM-DD [options]
  segment               (the shipped sample: tests/data/orders_sample.csv as of 2024-12-31)

options:
  --orders FILE          the orders, in the layout below
  --as-of YYYY-MM-DD     the day the facts are as of (its end, in the config's time zone)
  --lenient              leave bad rows out and list them on stderr (default: stop at the first)
  --config FILE          a policy document, .json or .toml (default: the reference policy;
                         see examples/data/config/reference.toml)
  --scores quantile|rank     how R, F and M scores are computed (default: the config's)
  --rfm-table r-0.3|r-0.2    the named-segment table of R `rfm` 0.3.0 or 0.2.x
  --frequency-window DAYS|all  the frequency window (default: the config's, 365 days)
  --currency CODE        the currency of a file without a `currency` column (default CNY)
  --threads N            build the tables on up to N threads (same output; default 1)
  --explain CUSTOMER     instead of the table, why this customer has its RFM segment,
                         stage and tier: the table rows that decided and the values read
  --timings              print parse and compute times to stderr
  --help                 this text

input: one CSV file, UTF-8 (a byte-order mark is fine), quoted fields allowed, a header
line naming the columns in any order; other columns are ignored:
  id (or order_id)             required  order id, unsigned integer, unique in the file
  customer (or customer_id)    required  customer id, unsigned integer
  placed_at (or order_date)    required  RFC 3339 instant (2024-10-21T16:50:23Z) or date (2024-10-21)
  amount                       required  decimal such as 199.00; negative = a refund row
  currency                     optional  ISO 4217 code, one currency in the file
  status                       optional  paid (default), cancelled, refunded, partially_refunded
  refunded                     optional  refunded amount of a partially_refunded order
example:
  id,customer,placed_at,amount,currency,status,refunded
  100001,1,2024-10-21T16:50:23Z,696.41,CNY,paid,
  100004,1,2024-09-14T23:13:01Z,990.76,CNY,partially_refunded,128.79

output: customer_id,recency_days,frequency,monetary,monetary_top_share,r_score,f_score,
m_score,rfm_segment,tier,stage — one row per customer with a purchase, by customer id.
";

/// The columns of the output.
const OUTPUT_HEADER: &str = "customer_id,recency_days,frequency,monetary,monetary_top_share,r_score,f_score,m_score,rfm_segment,tier,stage";

/// The most rejected rows listed one by one under `--lenient`.
const REJECTS_LISTED: usize = 50;

fn main() -> ExitCode {
    common::exit("segment", run())
}

fn run() -> Result<(), Stop> {
    let Some(args) = Args::parse()? else {
        return common::print(HELP);
    };

    let started = Instant::now();
    let mut config = load_config(&args)?;
    let bytes = common::read_file(&args.orders)?;
    let orders = read_orders(&args, &bytes, config.facts.time_zone)?;
    drop(bytes);
    report_rejects(&args, &orders);
    orders.check_not_empty(&args)?;
    let parse_s = started.elapsed().as_secs_f64();

    let started = Instant::now();
    apply_overrides(&mut config, &args);
    let (segmenter, facts, segmentation) = segment(&config, &orders, &args)?;
    let compute_s = started.elapsed().as_secs_f64();
    if let Some(customer) = args.explain {
        return common::print(&explain(
            &segmenter,
            &facts,
            &segmentation,
            customer,
            &args,
        )?);
    }
    if !segmentation.iter().any(|row| row.scores.is_some()) {
        return Err(Stop::fail(format!(
            "`{}`: no customer has a purchase on or before {}: nothing to segment",
            args.orders, args.as_of
        )));
    }

    write_table(&segmentation)?;
    if args.timings {
        note(&format!("parse_s={parse_s:.3} compute_s={compute_s:.3}"));
        let counts = segmentation.rfm_segment_counts();
        let total: usize = counts.iter().map(|(_, n)| n).sum();
        note(&format!("customers with a purchase: {total}"));
        for (name, n) in &counts {
            note(&format!("  {name:<20} {n:>10}"));
        }
    }
    Ok(())
}

// ---- the library calls -------------------------------------------------------------

/// The policy: `--config`, or the reference policy.
fn load_config(args: &Args) -> Result<Config, Stop> {
    let Some(path) = &args.config else {
        return Ok(Config::reference());
    };
    let bytes = common::read_file(path)?;
    let text = String::from_utf8(bytes).map_err(|e| {
        Stop::fail(format!(
            "`{path}`: not valid UTF-8 at byte {}",
            e.utf8_error().valid_up_to()
        ))
    })?;
    if common::is_toml(path) {
        toml::from_str(&text).map_err(|e| Stop::fail(format!("`{path}`: {e}")))
    } else {
        serde_json::from_str(&text).map_err(|e| Stop::fail(format!("`{path}`: {e}")))
    }
}

/// The command-line options that override the policy. The output has no VIP level
/// and no custom class, so they are not computed.
fn apply_overrides(config: &mut Config, args: &Args) {
    if let Some(method) = args.scores {
        config.segment.rfm.scores.method = method;
    }
    if let Some(preset) = args.rfm_table {
        config.segment.rfm.segments = SegmentsConfig::Preset(preset);
    }
    match args.frequency_window {
        Some(Window::Days(days)) => config.facts.frequency_window_days = Some(days),
        Some(Window::All) => config.facts.frequency_window_days = None,
        None => {}
    }
    config.segment.vip = None;
    config.segment.classes.clear();
}

/// Folds the checked orders into a facts table as of the end of `--as-of` and segments
/// it by the policy.
fn segment(
    config: &Config,
    orders: &Orders,
    args: &Args,
) -> Result<(Segmenter, FactsTable, Segmentation), Stop> {
    let (segmenter, warnings) = config
        .segmenter(orders.currency)
        .map_err(|e| Stop::fail(config_source(args, &e)))?;
    for warning in &warnings {
        note(&format!("config warning: {warning}"));
    }
    let segmenter = segmenter.with_threads(args.threads);
    let options = config
        .facts_options_on(args.as_of, orders.currency)
        .map_err(|e| Stop::fail(format!("`--as-of {}`: {e}", args.as_of)))?;
    let batch = BatchOptions::default().with_threads(args.threads);
    let facts = FactsTable::from_dated_events_with(
        &options,
        &batch,
        &orders.customers,
        &orders.dates,
        &orders.amounts,
    )
    .map_err(|e| {
        // A row error names the event; the file's line says where it came from.
        match (
            e.row().and_then(|row| orders.lines.get(row)),
            e.record_error(),
        ) {
            (Some(line), Some(record)) => Stop::fail(format!("{}:{line}: {record}", args.orders)),
            _ => Stop::fail(format!("`{}`: {e}", args.orders)),
        }
    })?;
    let segmentation = segmenter
        .run(&facts)
        .map_err(|e| Stop::fail(format!("`{}`: {e}", args.orders)))?;
    Ok((segmenter, facts, segmentation))
}

/// One customer's facts, RFM scores and segment, and the rows of the stage and tier
/// tables that decided them, with the values they read.
fn explain(
    segmenter: &Segmenter,
    facts: &FactsTable,
    segmentation: &Segmentation,
    customer: u64,
    args: &Args,
) -> Result<String, Stop> {
    let id = CustomerId(customer);
    let (Some(row), Ok(why)) = (
        segmentation.get(id),
        segmenter.explain(facts, segmentation, id),
    ) else {
        return Err(Stop::fail(format!(
            "`--explain {customer}`: customer `{customer}` has no order in `{}` on or before {}",
            args.orders, args.as_of
        )));
    };
    let recency = row.recency_days.map_or_else(
        || "no purchase".to_owned(),
        |d| format!("{d} days since the last purchase"),
    );
    let rfm = match (why.scores, &why.rfm_segment) {
        (Some([r, f, m]), Some(segment)) => {
            format!("scores R{r} F{f} M{m} (5 = best), segment `{segment}`")
        }
        _ => "no scores (no purchase)".to_owned(),
    };
    let mut text = String::new();
    // Writing to a `String` cannot fail.
    let _ = write!(
        text,
        "customer {customer} as of the end of {} (in the policy's time zone)\n\
         facts: {recency}, {} purchases ({} in the frequency window), net spend {} {}\n\
         RFM: {rfm}\n\n\
         stage `{}`: {}\n\n\
         tier `{}`: {}\n",
        args.as_of,
        row.purchases,
        row.frequency,
        row.monetary,
        segmentation.currency(),
        row.stage.unwrap_or(NO_LABEL),
        why.stage,
        row.tier.unwrap_or(NO_LABEL),
        why.tier,
    );
    Ok(text)
}

/// What the output shows for a stage or tier when no row of its table matched (the
/// reference tables end in a catch-all row, so only a company's own tables can leave
/// one out).
const NO_LABEL: &str = "none";

/// Which policy a config error is about.
fn config_source(args: &Args, error: &dyn std::fmt::Display) -> String {
    match &args.config {
        Some(path) => format!("`{path}`: {error}"),
        None => format!("the reference policy: {error}"),
    }
}

/// Checks a non-negative order with the library's record checks (a partial refund
/// must be above zero and below the amount).
fn check_order(row: &Parsed, currency: Currency) -> Result<(), String> {
    let status = match row.status {
        Status::Paid => OrderStatus::Paid,
        Status::Cancelled => OrderStatus::Cancelled,
        Status::Refunded => OrderStatus::Refunded,
        Status::PartiallyRefunded(refunded) => OrderStatus::PartiallyRefunded { refunded },
    };
    // Only the amount and status are checked; the instant is the day's start.
    let placed_at = row.date.and_time(NaiveTime::MIN).and_utc();
    let order = Order::new(
        OrderId(row.id),
        CustomerId(row.customer),
        placed_at,
        Money::new(row.amount, currency),
        status,
    );
    order.check().map_err(|e| e.to_string())
}

/// Writes the table to stdout; a reader that stops early (`| head`) ends it quietly.
fn write_table(segmentation: &Segmentation) -> Result<(), Stop> {
    let stdout = std::io::stdout();
    let mut out = BufWriter::with_capacity(1 << 20, stdout.lock());
    writeln!(out, "{OUTPUT_HEADER}")?;
    for row in segmentation.iter() {
        let (Some(recency), Some(share), Some([r, f, m]), Some(segment)) = (
            row.recency_days,
            row.monetary_top_share,
            row.scores,
            row.rfm_segment,
        ) else {
            continue;
        };
        writeln!(
            out,
            "{},{},{},{},{:.6},{},{},{},{},{},{}",
            row.customer.0,
            recency,
            row.frequency,
            row.monetary,
            share.as_f64(),
            r,
            f,
            m,
            csv_field(segment),
            csv_field(row.tier.unwrap_or(NO_LABEL)),
            csv_field(row.stage.unwrap_or(NO_LABEL)),
        )?;
    }
    out.flush()?;
    Ok(())
}

/// Quotes a CSV field when it needs it.
fn csv_field(text: &str) -> std::borrow::Cow<'_, str> {
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\"")).into()
    } else {
        text.into()
    }
}

// ---- the command line ---------------------------------------------------------------

/// The command line.
#[derive(Debug)]
struct Args {
    orders: String,
    as_of: NaiveDate,
    lenient: bool,
    config: Option<String>,
    scores: Option<ScoreMethod>,
    rfm_table: Option<SegmentPreset>,
    frequency_window: Option<Window>,
    currency: Option<Currency>,
    threads: NonZeroUsize,
    timings: bool,
    explain: Option<u64>,
}

impl Args {
    /// The options, or `None` for `--help`.
    fn parse() -> Result<Option<Args>, Stop> {
        let mut line = common::CommandLine::from_env()?;
        let mut args = Args {
            orders: String::new(),
            as_of: NaiveDate::MIN,
            lenient: false,
            config: None,
            scores: None,
            rfm_table: None,
            frequency_window: None,
            currency: None,
            threads: NonZeroUsize::MIN,
            timings: false,
            explain: None,
        };
        if line.is_empty() {
            args.orders = String::from(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/tests/data/orders_sample.csv"
            ));
            args.as_of = NaiveDate::from_ymd_opt(2024, 12, 31).unwrap_or(NaiveDate::MIN);
            return Ok(Some(args));
        }
        let (mut orders, mut as_of) = (None, None);
        while let Some(flag) = line.next_flag()? {
            match flag.as_str() {
                "--help" | "-h" => return Ok(None),
                "--orders" => orders = Some(line.value(&flag)?),
                "--as-of" => as_of = Some(line.parsed(&flag, common::parse_date)?),
                "--lenient" => args.lenient = true,
                "--timings" => args.timings = true,
                "--config" => args.config = Some(line.value(&flag)?),
                "--explain" => {
                    args.explain = Some(line.parsed(&flag, |v| {
                        v.parse::<u64>()
                            .map_err(|_| "a customer id, an unsigned integer".to_owned())
                    })?);
                }
                "--scores" => {
                    args.scores = Some(line.parsed(&flag, |v| match v {
                        "quantile" => Ok(ScoreMethod::Quantile),
                        "rank" => Ok(ScoreMethod::Rank),
                        _ => Err("`quantile` or `rank`".to_owned()),
                    })?);
                }
                "--rfm-table" => {
                    args.rfm_table = Some(line.parsed(&flag, |v| {
                        v.parse::<SegmentPreset>()
                            .map_err(|_| "`r-0.3` or `r-0.2`".to_owned())
                    })?);
                }
                "--frequency-window" => {
                    args.frequency_window = Some(line.parsed(&flag, |v| {
                        match v {
                            "all" => Ok(Window::All),
                            days => days
                                .parse::<u32>()
                                .map(Window::Days)
                                .map_err(|_| "a number of days or `all`".to_owned()),
                        }
                    })?);
                }
                "--currency" => {
                    args.currency = Some(line.parsed(&flag, |v| {
                        v.parse::<Currency>().map_err(|_| {
                            "an ISO 4217 code such as `CNY`, `USD` or `EUR`".to_owned()
                        })
                    })?);
                }
                "--threads" => {
                    args.threads = line.parsed(&flag, |v| {
                        v.parse::<NonZeroUsize>()
                            .map_err(|_| "a whole number of at least 1".to_owned())
                    })?;
                }
                other => return Err(Stop::usage(format!("unknown option `{}`", clip(other)))),
            }
        }
        args.orders = orders.ok_or_else(|| Stop::usage("`--orders FILE.csv` is required"))?;
        args.as_of = as_of.ok_or_else(|| Stop::usage("`--as-of YYYY-MM-DD` is required"))?;
        Ok(Some(args))
    }
}

/// The `--frequency-window` value.
#[derive(Clone, Copy, Debug)]
enum Window {
    /// A number of days.
    Days(u32),
    /// All time.
    All,
}

// ---- reading and checking the orders ------------------------------------------------

/// One CSV row, by column name (aliases are the peer benchmark's export).
#[derive(Debug, Deserialize)]
struct Row<'a> {
    #[serde(alias = "order_id")]
    id: &'a str,
    #[serde(alias = "customer_id")]
    customer: &'a str,
    #[serde(alias = "order_date")]
    placed_at: &'a str,
    amount: &'a str,
    #[serde(default)]
    currency: Option<&'a str>,
    #[serde(default)]
    status: Option<&'a str>,
    #[serde(default)]
    refunded: Option<&'a str>,
}

/// The columns of the layout, in the order of [`Row`]: names and whether required.
const COLUMNS: [common::Column; 7] = [
    (&["id", "order_id"], true),
    (&["customer", "customer_id"], true),
    (&["placed_at", "order_date"], true),
    (&["amount"], true),
    (&["currency"], false),
    (&["status"], false),
    (&["refunded"], false),
];

/// An order's status as the file gives it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Status {
    Paid,
    Cancelled,
    Refunded,
    PartiallyRefunded(Decimal),
}

/// A row read and typed, before the checks across rows.
#[derive(Debug)]
struct Parsed {
    id: u64,
    customer: u64,
    date: NaiveDate,
    amount: Decimal,
    currency: Option<Currency>,
    status: Status,
}

/// The checked orders, as the dated events that change the facts, in columns (a
/// purchase has a non-negative amount, a refund a negative one).
#[derive(Debug)]
struct Orders {
    customers: Vec<CustomerId>,
    dates: Vec<NaiveDate>,
    amounts: Vec<Money>,
    /// The file line of each event.
    lines: Vec<u64>,
    currency: Currency,
    /// Data rows in the file.
    rows: u64,
    /// Rows accepted.
    accepted: u64,
    /// The earliest accepted order: its date and line.
    earliest: Option<(NaiveDate, u64)>,
    /// Rows left out under `--lenient`: line and message.
    rejects: Vec<(u64, String)>,
}

impl Orders {
    /// A file with no data rows, no accepted row, or none on or before `--as-of` is an
    /// error rather than an empty table.
    fn check_not_empty(&self, args: &Args) -> Result<(), Stop> {
        let path = &args.orders;
        if self.rows == 0 {
            return Err(Stop::fail(format!(
                "`{path}` has a header line but no orders: expected one row per order after it"
            )));
        }
        if self.accepted == 0 {
            return Err(Stop::fail(format!(
                "`{path}`: every one of its {} rows was rejected: nothing to segment",
                self.rows
            )));
        }
        match self.earliest {
            Some((date, line)) if date > args.as_of => Err(Stop::fail(format!(
                "`--as-of {}` is before every order of `{path}` (the earliest is on {date}, line {line}): nothing to segment",
                args.as_of
            ))),
            _ => Ok(()),
        }
    }
}

/// Reads, types and checks every row; strict stops at the first bad one, lenient
/// collects them.
fn read_orders(args: &Args, bytes: &[u8], zone: Tz) -> Result<Orders, Stop> {
    let path = args.orders.as_str();
    let mut reader = common::csv_reader(bytes);
    let headers = reader
        .headers()
        .map_err(|e| Stop::fail(common::csv_error(path, None, &e)))?
        .clone();
    let columns = common::find_columns(path, &headers, &COLUMNS)?;

    let capacity = bytes.len() / 40;
    let mut orders = Orders {
        customers: Vec::with_capacity(capacity),
        dates: Vec::with_capacity(capacity),
        amounts: Vec::with_capacity(capacity),
        lines: Vec::with_capacity(capacity),
        currency: args.currency.unwrap_or(Currency::CNY),
        rows: 0,
        accepted: 0,
        earliest: None,
        rejects: Vec::new(),
    };
    // The currency of the file: `--currency`, else the first accepted row's.
    let mut file_currency: Option<(Currency, Option<u64>)> = args.currency.map(|c| (c, None));
    let mut seen: HashMap<u64, u64> = HashMap::with_capacity(capacity);
    let mut record = csv::StringRecord::new();
    loop {
        let line;
        let checked = match reader.read_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {
                line = record.position().map_or(0, csv::Position::line);
                parse_row(&record, &headers, &columns, zone).and_then(|row| {
                    check_row(&row, file_currency, &seen).map(|currency| (row, currency))
                })
            }
            Err(e) => {
                line = e.position().map_or(0, csv::Position::line);
                if matches!(e.kind(), csv::ErrorKind::Io(_)) {
                    return Err(Stop::fail(common::csv_error(path, Some(&headers), &e)));
                }
                Err(common::csv_error(path, Some(&headers), &e))
            }
        };
        orders.rows += 1;
        let (row, currency) = match checked {
            Ok(ok) => ok,
            Err(message) => {
                // Messages from `csv_error` already carry the place.
                let message = match message.strip_prefix(&format!("{path}:{line}: ")) {
                    Some(rest) => rest.to_owned(),
                    None => message,
                };
                if args.lenient {
                    orders.rejects.push((line, message));
                    continue;
                }
                return Err(Stop::fail(format!("{path}:{line}: {message}")));
            }
        };
        orders.accepted += 1;
        seen.insert(row.id, line);
        if file_currency.is_none() {
            file_currency = Some((currency, Some(line)));
        }
        if orders.earliest.map_or(true, |(date, _)| row.date < date) {
            orders.earliest = Some((row.date, line));
        }
        let mut push = |amount: Decimal| {
            orders.customers.push(CustomerId(row.customer));
            orders.dates.push(row.date);
            orders.amounts.push(Money::new(amount, currency));
            orders.lines.push(line);
        };
        match row.status {
            Status::Paid => push(row.amount),
            Status::PartiallyRefunded(refunded) => {
                push(row.amount);
                push(-refunded);
            }
            Status::Refunded if row.amount.is_sign_negative() => push(row.amount),
            Status::Cancelled | Status::Refunded => {}
        }
    }
    if let Some((currency, _)) = file_currency {
        orders.currency = currency;
    }
    if headers.is_empty() && orders.rows == 0 {
        return Err(Stop::fail(format!(
            "`{path}` is empty: expected a header line such as `id,customer,placed_at,amount,currency,status,refunded` and one row per order"
        )));
    }
    Ok(orders)
}

/// Where each column of the layout is in the file (`None` for an absent optional one).
type Columns = Vec<Option<usize>>;

/// `column N (`name`)` for column `index` of the layout.
fn column(headers: &csv::StringRecord, columns: &Columns, index: usize) -> String {
    common::column_name(headers, columns.get(index).copied().flatten())
}

/// Types one row; the error is the message without the place.
fn parse_row<'a>(
    record: &'a csv::StringRecord,
    headers: &'a csv::StringRecord,
    columns: &Columns,
    zone: Tz,
) -> Result<Parsed, String> {
    let row: Row<'a> = record
        .deserialize(Some(headers))
        .map_err(|e| format!("{e}"))?;
    let bad = |index: usize, expected: &str, found: &str| {
        format!(
            "{}: expected {expected}, found `{}`",
            column(headers, columns, index),
            clip(found)
        )
    };
    let id = row
        .id
        .parse::<u64>()
        .map_err(|_| bad(0, "an unsigned integer order id", row.id))?;
    let customer = row
        .customer
        .parse::<u64>()
        .map_err(|_| bad(1, "an unsigned integer customer id", row.customer))?;
    let date = parse_when(row.placed_at, zone).ok_or_else(|| {
        bad(
            2,
            "an instant such as `2024-10-21T16:50:23Z` or a date such as `2024-10-21`",
            row.placed_at,
        )
    })?;
    let amount = parse_amount(row.amount)
        .ok_or_else(|| bad(3, "a decimal amount such as `199.00`", row.amount))?;
    let currency = match row.currency {
        // The code is cut before parsing so that the library's message echoes it cut.
        Some(code) => Some(
            clip(code)
                .parse::<Currency>()
                .map_err(|e| format!("{}: {e}", column(headers, columns, 4)))?,
        ),
        None => None,
    };
    let refunded = match row.refunded {
        Some(text) => Some(
            parse_amount(text)
                .ok_or_else(|| bad(6, "a decimal refunded amount such as `12.50`", text))?,
        ),
        None => None,
    };
    let status = match (row.status.unwrap_or("paid"), refunded) {
        ("paid" | "", None) => Status::Paid,
        ("cancelled", None) => Status::Cancelled,
        ("refunded", None) => Status::Refunded,
        ("partially_refunded", Some(refunded)) => Status::PartiallyRefunded(refunded),
        ("partially_refunded", None) => {
            return Err(format!(
                "{}: expected the refunded amount of a `partially_refunded` order, found nothing",
                column(headers, columns, 6)
            ))
        }
        ("paid" | "" | "cancelled" | "refunded", Some(refunded)) => {
            return Err(format!(
                "{}: expected nothing for status `{}` (only a `partially_refunded` order has a refunded amount), found `{refunded}`",
                column(headers, columns, 6),
                row.status.unwrap_or("paid")
            ))
        }
        (other, _) => {
            return Err(bad(
                5,
                "`paid`, `cancelled`, `refunded` or `partially_refunded`",
                other,
            ))
        }
    };
    Ok(Parsed {
        id,
        customer,
        date,
        amount,
        currency,
        status,
    })
}

/// The checks across rows: one currency, unique order ids, and the library's checks
/// of the order; returns the row's currency.
fn check_row(
    row: &Parsed,
    file_currency: Option<(Currency, Option<u64>)>,
    seen: &HashMap<u64, u64>,
) -> Result<Currency, String> {
    let currency = match (row.currency, file_currency) {
        (Some(code), Some((expected, from))) if code != expected => {
            let why = match from {
                Some(line) => format!("the currency of line {line}"),
                None => "as `--currency` says".to_owned(),
            };
            return Err(format!(
                "order `{}` is in `{code}`: expected `{expected}` ({why}); convert the file to one currency first",
                row.id
            ));
        }
        (Some(code), _) => code,
        (None, Some((expected, _))) => expected,
        (None, None) => Currency::CNY,
    };
    if let Some(first) = seen.get(&row.id) {
        return Err(format!(
            "duplicate order id `{}` (first on line {first}): expected each order once",
            row.id
        ));
    }
    let negative = row.amount.is_sign_negative() && !row.amount.is_zero();
    match row.status {
        // A negative paid or refunded row is a refund event of its absolute value.
        Status::Paid | Status::Refunded if negative => {}
        _ if negative => {
            return Err(format!(
                "order `{}`: a negative amount is a refund row: expected status `paid` or `refunded`, found `{}`",
                row.id,
                match row.status {
                    Status::Cancelled => "cancelled",
                    _ => "partially_refunded",
                }
            ))
        }
        _ => check_order(row, currency)?,
    }
    Ok(currency)
}

/// An RFC 3339 instant as a date in `zone`, or a `YYYY-MM-DD` date.
fn parse_when(text: &str, zone: Tz) -> Option<NaiveDate> {
    if text.len() == 10 {
        return parse_date(text.as_bytes());
    }
    let at: DateTime<Utc> = text.parse().ok()?;
    Some(at.with_timezone(&zone).date_naive())
}

/// `YYYY-MM-DD`, read digit by digit.
fn parse_date(text: &[u8]) -> Option<NaiveDate> {
    let digits = |range: std::ops::Range<usize>| -> Option<u32> {
        text.get(range)?.iter().try_fold(0u32, |acc, &b| {
            let digit = b.checked_sub(b'0').filter(|d| *d < 10)?;
            Some(acc * 10 + u32::from(digit))
        })
    };
    if text.len() != 10 || text.get(4) != Some(&b'-') || text.get(7) != Some(&b'-') {
        return None;
    }
    let year = i32::try_from(digits(0..4)?).ok()?;
    NaiveDate::from_ymd_opt(year, digits(5..7)?, digits(8..10)?)
}

/// A decimal such as `-12.05`, read digit by digit into an exact `Decimal`.
fn parse_amount(text: &str) -> Option<Decimal> {
    let bytes = text.as_bytes();
    let (negative, digits) = match bytes.split_first()? {
        (b'-', rest) => (true, rest),
        (b'+', rest) => (false, rest),
        _ => (false, bytes),
    };
    let mut mantissa: i64 = 0;
    let mut scale = 0u32;
    let mut seen_point = false;
    let mut seen_digit = false;
    for &b in digits {
        if b == b'.' && !seen_point {
            seen_point = true;
            continue;
        }
        let digit = b.checked_sub(b'0').filter(|d| *d < 10)?;
        mantissa = mantissa.checked_mul(10)?.checked_add(i64::from(digit))?;
        seen_digit = true;
        if seen_point {
            scale += 1;
        }
    }
    if !seen_digit || scale > 28 {
        return None;
    }
    Some(Decimal::new(
        if negative { -mantissa } else { mantissa },
        scale,
    ))
}

/// Under `--lenient`, lists the rows left out on stderr.
fn report_rejects(args: &Args, orders: &Orders) {
    if !args.lenient {
        return;
    }
    let n = orders.rejects.len();
    if n == 0 {
        note(&format!("`{}`: no row rejected", args.orders));
        return;
    }
    note(&format!(
        "`{}`: {n} of {} rows rejected (--lenient), left out of the segmentation:",
        args.orders, orders.rows
    ));
    for (line, message) in orders.rejects.iter().take(REJECTS_LISTED) {
        note(&format!("  line {line}: {message}"));
    }
    if n > REJECTS_LISTED {
        note(&format!("  … and {} more", n - REJECTS_LISTED));
    }
}
