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
//! | `amount` | yes | the order amount, a decimal such as `199.00` with at most the currency's decimal places (2 for `CNY`, 0 for `JPY`; zeros beyond them are fine); a negative amount is a refund row |
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
//! Amounts are summed exactly, as integers in the currency's minor unit (fen for `CNY`):
//! an amount with more decimal places than the currency has (`1.234` in `CNY`) is a bad
//! row, and so is a currency without a minor unit (`XAU`).
//!
//! # Memory
//!
//! The file is read as a stream, record by record; what stays in memory while it is
//! read is 20 bytes per purchase or refund (customer, date, amount) and 8 per order
//! id. Ids that arrive in increasing order cannot repeat; others are sorted once at the
//! end to find repeats (16 bytes per order for the time it takes). The orders are let
//! go as soon as the facts table is built from them.
//!
//! # Output
//!
//! One row per customer with a purchase, ordered by customer id, with the header
//! `customer_id,recency_days,frequency,monetary,monetary_top_share,r_score,f_score,m_score,rfm_segment,tier,stage`;
//! `monetary` has the currency's decimal places (`199.00`).
//! `--threads N` (default 1) builds the facts table and decides the stage and tier
//! tables on up to `N` threads; the output is the same for every `N`. With
//! `--timings`, `parse_s=… compute_s=…` goes to stderr: *parse* is reading and checking
//! the file, *compute* everything from the checked orders to the table. With
//! `--explain CUSTOMER`, the output is instead that customer's facts, RFM scores and
//! segment, and the rows of the stage and tier tables that decided them, with the
//! values they read.

mod common;

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
  amount                       required  decimal such as 199.00, at most the currency's
                                         decimal places; negative = a refund row
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
    let orders = read_orders(&args, config.facts.time_zone)?;
    report_rejects(&args, &orders);
    orders.check_not_empty(&args)?;
    let parse_s = started.elapsed().as_secs_f64();

    let started = Instant::now();
    apply_overrides(&mut config, &args);
    let (segmenter, facts, segmentation) = segment(&config, &orders, &args)?;
    let compute_s = started.elapsed().as_secs_f64();
    // Freeing the parsed rows is not part of the computation (the peers keep their
    // loaded frame too); the peak memory is the facts build's, while the rows, the
    // records and the table are all alive, so keeping the rows until here costs none.
    drop(orders);
    if let (Some(customer), Some(facts)) = (args.explain, &facts) {
        return common::print(&explain(&segmenter, facts, &segmentation, customer, &args)?);
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

/// Folds the checked orders into a facts table as of the end of `--as-of`, lets the
/// orders go, and segments the table by the policy. The table is kept only for
/// `--explain` (which needs it); otherwise its columns move into the segmentation.
fn segment(
    config: &Config,
    orders: &Orders,
    args: &Args,
) -> Result<(Segmenter, Option<FactsTable>, Segmentation), Stop> {
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
    let facts = FactsTable::from_dated_minor_units_with(
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
    let failed = |e: patronage::SegmentError| Stop::fail(format!("`{}`: {e}", args.orders));
    if args.explain.is_some() {
        let segmentation = segmenter.run(&facts).map_err(failed)?;
        Ok((segmenter, Some(facts), segmentation))
    } else {
        let segmentation = segmenter.run_owned(facts).map_err(failed)?;
        Ok((segmenter, None, segmentation))
    }
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

/// Checks a partially refunded order with the library's record checks (the refund
/// must be above zero and below the amount), with the amounts as the file writes them.
fn check_order(row: &Parsed, refunded: Written, currency: Currency) -> Result<(), String> {
    // Only the amount and status are checked; the instant is the day's start.
    let placed_at = row.date.and_time(NaiveTime::MIN).and_utc();
    let order = Order::new(
        OrderId(row.id),
        CustomerId(row.customer),
        placed_at,
        Money::new(row.amount.decimal(), currency),
        OrderStatus::PartiallyRefunded {
            refunded: refunded.decimal(),
        },
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

/// The columns of the layout, in the order of [`Layout`]: names (the first is the
/// documented one; the aliases are the peer benchmark's export) and whether required.
const COLUMNS: [common::Column; 7] = [
    (&["id", "order_id"], true),
    (&["customer", "customer_id"], true),
    (&["placed_at", "order_date"], true),
    (&["amount"], true),
    (&["currency"], false),
    (&["status"], false),
    (&["refunded"], false),
];

/// Where each column of the layout is in the file (`None` for an absent optional one).
type Columns = Vec<Option<usize>>;

/// Where the columns of the layout are in the file's records.
#[derive(Clone, Copy, Debug)]
struct Layout {
    id: usize,
    customer: usize,
    placed_at: usize,
    amount: usize,
    currency: Option<usize>,
    status: Option<usize>,
    refunded: Option<usize>,
}

impl Layout {
    /// The layout of the columns found, or `None` when the header is empty (an empty
    /// file, which has no records either).
    fn new(columns: &Columns) -> Option<Layout> {
        let at = |index: usize| columns.get(index).copied().flatten();
        Some(Layout {
            id: at(0)?,
            customer: at(1)?,
            placed_at: at(2)?,
            amount: at(3)?,
            currency: at(4),
            status: at(5),
            refunded: at(6),
        })
    }
}

/// An amount as the file writes it: its digits as a signed integer, how many of them
/// follow the point, and the field's text for messages.
#[derive(Clone, Copy, Debug)]
struct Written<'r> {
    mantissa: i64,
    scale: u32,
    text: &'r [u8],
}

impl Written<'_> {
    /// The amount as an exact decimal, with the scale it is written at.
    fn decimal(self) -> Decimal {
        Decimal::new(self.mantissa, self.scale)
    }

    /// The amount in minor units of `currency`, which has `minor_units` decimal places
    /// (fen for `CNY`: `199.00` is 19900), exactly: digits beyond them must be zeros.
    /// The error is the message without the place and the column.
    fn minor_units(self, currency: Currency, minor_units: Option<u8>) -> Result<i64, String> {
        let Some(minor) = minor_units.map(u32::from) else {
            return Err(format!(
                "`{currency}` has no minor unit, so its amounts cannot be summed exactly: expected a currency with one, such as `CNY`, `USD` or `EUR`"
            ));
        };
        let text = || String::from_utf8_lossy(self.text);
        if let Some(extra) = self.scale.checked_sub(minor).filter(|extra| *extra > 0) {
            // A scale is at most 28, and 10^28 fits an `i128`.
            let cut = 10_i128.pow(extra);
            let mantissa = i128::from(self.mantissa);
            if mantissa % cut != 0 {
                return Err(format!(
                    "amount `{}` has more decimal places than `{currency}` allows ({minor})",
                    clip(&text())
                ));
            }
            // The quotient is no larger than the mantissa, an `i64`.
            return i64::try_from(mantissa / cut).map_err(|_| self.out_of_range(currency, minor));
        }
        10_i64
            .checked_pow(minor - self.scale)
            .and_then(|power| self.mantissa.checked_mul(power))
            .ok_or_else(|| self.out_of_range(currency, minor))
    }

    /// The message of an amount beyond what 64-bit minor units hold.
    fn out_of_range(self, currency: Currency, minor: u32) -> String {
        let most = Decimal::new(i64::MAX, minor);
        format!(
            "amount `{}` is out of range: expected an amount in `{currency}` from -{most} to {most}",
            clip(&String::from_utf8_lossy(self.text)),
        )
    }
}

/// An order's status as the file gives it.
#[derive(Clone, Copy, Debug)]
enum Status<'r> {
    Paid,
    Cancelled,
    Refunded,
    PartiallyRefunded(Written<'r>),
}

/// A row read and typed, before the checks across rows.
#[derive(Debug)]
struct Parsed<'r> {
    id: u64,
    customer: u64,
    date: NaiveDate,
    amount: Written<'r>,
    currency: Option<Currency>,
    status: Status<'r>,
}

/// The events a checked row adds, as amounts in minor units (a purchase non-negative,
/// a refund negative).
#[derive(Clone, Copy, Debug)]
enum Events {
    /// A cancelled or fully refunded order: no event.
    None,
    /// A paid order, or a refund row.
    One(i64),
    /// A partially refunded order: its purchase, then its refund.
    Two(i64, i64),
}

/// A row left out, and why: the message without the place and, for the checks that
/// come after the order-id check, the row's order id (a row that also repeats an
/// earlier row's order id is reported as the repeat).
#[derive(Debug)]
struct Reject {
    message: String,
    after_id_check: Option<u64>,
}

impl From<String> for Reject {
    fn from(message: String) -> Reject {
        Reject {
            message,
            after_id_check: None,
        }
    }
}

/// The file lines of a sequence of items in file order (events, or rows), stored only
/// where they stop following one another: an item is on the line of the last break
/// at or before it plus its distance from that break. A file of one row a line with
/// one event a row has one break.
#[derive(Debug, Default)]
struct Lines {
    /// `(item, line)` where an item's line is not its predecessor's plus one.
    breaks: Vec<(usize, u64)>,
    /// How many items there are.
    len: usize,
    /// The line the next item is on when it follows the last.
    next_line: u64,
}

impl Lines {
    /// Adds the next item, on `line`.
    fn push(&mut self, line: u64) {
        if self.len == 0 || line != self.next_line {
            self.breaks.push((self.len, line));
        }
        self.len += 1;
        self.next_line = line + 1;
    }

    /// The line of every item, in order.
    fn iter(&self) -> impl Iterator<Item = u64> + '_ {
        let ends = self.breaks.iter().skip(1).map(|(item, _)| *item);
        let ends = ends.chain(std::iter::once(self.len));
        self.breaks
            .iter()
            .zip(ends)
            .flat_map(|(&(start, line), end)| (line..).take(end - start))
    }

    /// The line of item `index`.
    fn get(&self, index: usize) -> Option<u64> {
        if index >= self.len {
            return None;
        }
        let after = self.breaks.partition_point(|(item, _)| *item <= index);
        let (item, line) = self.breaks.get(after.checked_sub(1)?)?;
        Some(line + (index - item) as u64)
    }
}

/// The order ids of the rows that passed their own checks, in file order, for the
/// duplicate check after the parse, without a hash map: ids that arrive increasing
/// cannot repeat; others are sorted once.
#[derive(Debug)]
struct OrderIds {
    ids: Vec<u64>,
    lines: Lines,
    /// Whether every id is above the one before.
    increasing: bool,
}

impl OrderIds {
    fn with_capacity(capacity: usize) -> OrderIds {
        OrderIds {
            ids: Vec::with_capacity(capacity),
            lines: Lines::default(),
            increasing: true,
        }
    }

    /// Adds the order id of the row on `line`.
    fn push(&mut self, id: u64, line: u64) {
        self.increasing &= self.ids.last().map_or(true, |last| *last < id);
        self.ids.push(id);
        self.lines.push(line);
    }

    /// The ids in order, for lookups and repeats.
    fn by_id(&self) -> ById<'_> {
        if self.increasing {
            return ById::Increasing(self);
        }
        let mut pairs: Vec<(u64, u64)> = self.ids.iter().copied().zip(self.lines.iter()).collect();
        pairs.sort_unstable();
        ById::Sorted(pairs)
    }
}

/// The message of an order id already seen on line `first`.
fn repeat(id: u64, first: u64) -> String {
    format!("duplicate order id `{id}` (first on line {first}): expected each order once")
}

/// The order ids sorted.
#[derive(Debug)]
enum ById<'a> {
    /// Ids that arrived increasing: sorted as they are, none repeated.
    Increasing(&'a OrderIds),
    /// `(id, line)` pairs sorted (by id, then line).
    Sorted(Vec<(u64, u64)>),
}

impl ById<'_> {
    /// The line of the first row with order id `id`.
    fn first(&self, id: u64) -> Option<u64> {
        match self {
            ById::Increasing(ids) => ids.lines.get(ids.ids.binary_search(&id).ok()?),
            ById::Sorted(pairs) => {
                let at = pairs.partition_point(|(other, _)| *other < id);
                pairs
                    .get(at)
                    .filter(|(other, _)| *other == id)
                    .map(|(_, line)| *line)
            }
        }
    }

    /// Every row that repeats an earlier row's order id, as its line and the message
    /// naming the first row with the id, in file order.
    fn repeats(&self) -> Vec<(u64, String)> {
        let ById::Sorted(pairs) = self else {
            return Vec::new();
        };
        let mut repeats = Vec::new();
        for run in pairs.chunk_by(|a, b| a.0 == b.0) {
            if let [(id, first), rest @ ..] = run {
                repeats.extend(rest.iter().map(|(_, line)| (*line, repeat(*id, *first))));
            }
        }
        repeats.sort_unstable_by_key(|(line, _)| *line);
        repeats
    }
}

/// The checked orders, as the dated events that change the facts, in columns (a
/// purchase has a non-negative amount, a refund a negative one).
#[derive(Debug)]
struct Orders {
    customers: Vec<CustomerId>,
    dates: Vec<NaiveDate>,
    /// The amounts in minor units of `currency` (fen for `CNY`).
    amounts: Vec<i64>,
    /// The file line of each event.
    lines: Lines,
    currency: Currency,
    /// Data rows in the file.
    rows: u64,
    /// Rows accepted.
    accepted: u64,
    /// The earliest accepted order: its date and line.
    earliest: Option<(NaiveDate, u64)>,
    /// Rows left out under `--lenient`: line and message, in file order.
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

    /// Adds the events of the row on `line`.
    fn push(&mut self, customer: u64, date: NaiveDate, events: Events, line: u64) {
        let mut push = |amount: i64| {
            self.customers.push(CustomerId(customer));
            self.dates.push(date);
            self.amounts.push(amount);
            self.lines.push(line);
        };
        match events {
            Events::None => {}
            Events::One(amount) => push(amount),
            Events::Two(purchase, refund) => {
                push(purchase);
                push(refund);
            }
        }
    }

    /// Leaves out the events of the rows on `removed` (lines, sorted).
    fn remove_lines(&mut self, removed: &[u64]) {
        let keep: Vec<bool> = self
            .lines
            .iter()
            .map(|line| removed.binary_search(&line).is_err())
            .collect();
        let mut lines = Lines::default();
        for (line, _) in self.lines.iter().zip(&keep).filter(|(_, keep)| **keep) {
            lines.push(line);
        }
        self.lines = lines;
        // `keep` has one entry per event.
        let mut kept = keep.iter();
        self.customers
            .retain(|_| kept.next().copied().unwrap_or(true));
        let mut kept = keep.iter();
        self.dates.retain(|_| kept.next().copied().unwrap_or(true));
        let mut kept = keep.iter();
        self.amounts
            .retain(|_| kept.next().copied().unwrap_or(true));
    }
}

/// The currency of the file: `--currency`, else the first accepted row's.
#[derive(Clone, Copy, Debug)]
struct FileCurrency {
    currency: Currency,
    /// The line of the row that set it (`None` for `--currency`).
    line: Option<u64>,
    /// Its decimal places, looked up once.
    minor_units: Option<u8>,
}

impl FileCurrency {
    fn new(currency: Currency, line: Option<u64>) -> FileCurrency {
        FileCurrency {
            currency,
            line,
            minor_units: currency.minor_units(),
        }
    }
}

/// Reads, types and checks every row, streaming the file; strict stops at the first
/// bad one, lenient collects them.
fn read_orders(args: &Args, zone: Tz) -> Result<Orders, Stop> {
    let path = args.orders.as_str();
    let mut reader = common::csv_file_reader(path)?;
    let headers = reader
        .headers()
        .map_err(|e| Stop::fail(common::csv_error(path, None, &e)))?
        .clone();
    let columns = common::find_columns(path, &headers, &COLUMNS)?;
    let Some(layout) = Layout::new(&columns) else {
        return Err(Stop::fail(format!(
            "`{path}` is empty: expected a header line such as `id,customer,placed_at,amount,currency,status,refunded` and one row per order"
        )));
    };

    // About 40 bytes a row; capacity never touched costs no memory.
    let capacity = reader
        .get_ref()
        .metadata()
        .map_or(0, |m| usize::try_from(m.len() / 40).unwrap_or(0));
    let mut orders = Orders {
        customers: Vec::with_capacity(capacity),
        dates: Vec::with_capacity(capacity),
        amounts: Vec::with_capacity(capacity),
        lines: Lines::default(),
        currency: args.currency.unwrap_or(Currency::CNY),
        rows: 0,
        accepted: 0,
        earliest: None,
        rejects: Vec::new(),
    };
    let mut ids = OrderIds::with_capacity(capacity);
    // Under `--lenient`, the accepted rows without an event (line and date), in case
    // a repeated order id found after the parse was the earliest order.
    let mut eventless: Vec<(u64, NaiveDate)> = Vec::new();
    // Under `--lenient`, the rejects whose message a repeated order id replaces: their
    // index in `rejects` and their order id.
    let mut after_id_check: Vec<(usize, u64)> = Vec::new();
    let mut file_currency = args
        .currency
        .map(|currency| FileCurrency::new(currency, None));
    let mut rows = RowReader::new(&headers, &columns, layout, zone);
    let mut record = csv::ByteRecord::new();
    loop {
        let line;
        let checked = match reader.read_byte_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {
                line = record.position().map_or(0, csv::Position::line);
                rows.read(&record).map_err(Reject::from).and_then(|row| {
                    let checked = check_row(&row, file_currency, &headers, &columns)?;
                    Ok((row.id, row.customer, row.date, checked))
                })
            }
            Err(e) => {
                line = e.position().map_or(0, csv::Position::line);
                if matches!(e.kind(), csv::ErrorKind::Io(_)) {
                    return Err(Stop::fail(common::csv_error(path, Some(&headers), &e)));
                }
                Err(Reject::from(common::csv_error(path, Some(&headers), &e)))
            }
        };
        orders.rows += 1;
        let (id, customer, date, (currency, events)) = match checked {
            Ok(ok) => ok,
            Err(mut reject) => {
                // Messages from `csv_error` already carry the place.
                let place = format!("{path}:{line}: ");
                if reject.message.starts_with(&place) {
                    reject.message.drain(..place.len());
                }
                if args.lenient {
                    if let Some(id) = reject.after_id_check {
                        after_id_check.push((orders.rejects.len(), id));
                    }
                    orders.rejects.push((line, reject.message));
                    continue;
                }
                return Err(Stop::fail(first_bad_row(path, &ids, line, &reject)));
            }
        };
        orders.accepted += 1;
        ids.push(id, line);
        if file_currency.is_none() {
            file_currency = Some(FileCurrency::new(currency, Some(line)));
        }
        if orders
            .earliest
            .map_or(true, |(earliest, _)| date < earliest)
        {
            orders.earliest = Some((date, line));
        }
        if args.lenient && matches!(events, Events::None) {
            eventless.push((line, date));
        }
        orders.push(customer, date, events, line);
    }
    if let Some(file) = file_currency {
        orders.currency = file.currency;
    }

    check_order_ids(args, &ids, &mut orders, &after_id_check, &eventless)?;
    Ok(orders)
}

/// The order-id check, once every row is read: strict stops at the first row that
/// repeats an earlier row's order id; lenient leaves every such row out (its events,
/// its count, and the earliest order if it was that), lists it among the rejects in
/// file order, and names the repeat for a reject `after_id_check` lists (index in the
/// rejects, order id) when an accepted row before it has its id. `eventless` holds the
/// line and date of each accepted row without an event (lenient only).
fn check_order_ids(
    args: &Args,
    ids: &OrderIds,
    orders: &mut Orders,
    after_id_check: &[(usize, u64)],
    eventless: &[(u64, NaiveDate)],
) -> Result<(), Stop> {
    let by_id = ids.by_id();
    let repeats = by_id.repeats();
    if !args.lenient {
        return match repeats.first() {
            Some((line, message)) => Err(Stop::fail(format!("{}:{line}: {message}", args.orders))),
            None => Ok(()),
        };
    }
    for &(index, id) in after_id_check {
        if let (Some(first), Some((line, message))) =
            (by_id.first(id), orders.rejects.get_mut(index))
        {
            if first < *line {
                *message = repeat(id, first);
            }
        }
    }
    if repeats.is_empty() {
        return Ok(());
    }
    let removed: Vec<u64> = repeats.iter().map(|(line, _)| *line).collect();
    orders.rejects.extend(repeats);
    orders.rejects.sort_by_key(|(line, _)| *line);
    orders.accepted -= removed.len() as u64;
    orders.remove_lines(&removed);
    if orders
        .earliest
        .is_some_and(|(_, line)| removed.binary_search(&line).is_ok())
    {
        let events = orders.dates.iter().copied().zip(orders.lines.iter());
        let others = eventless
            .iter()
            .filter(|(line, _)| removed.binary_search(line).is_err())
            .map(|(line, date)| (*date, *line));
        orders.earliest = events.chain(others).min();
    }
    Ok(())
}

/// The message, with its place, of the first bad row of a strict run: the row on
/// `line` that failed a check, unless a row before it repeats an order id, or it
/// repeats one itself and failed a check that comes after the order-id check.
fn first_bad_row(path: &str, ids: &OrderIds, line: u64, reject: &Reject) -> String {
    let by_id = ids.by_id();
    if let Some((line, message)) = by_id.repeats().first() {
        return format!("{path}:{line}: {message}");
    }
    let first = reject
        .after_id_check
        .and_then(|id| Some((id, by_id.first(id)?)));
    match first {
        Some((id, first)) => format!("{path}:{line}: {}", repeat(id, first)),
        None => format!("{path}:{line}: {}", reject.message),
    }
}

/// `column N (`name`)` for column `index` of the layout.
fn column(headers: &csv::StringRecord, columns: &Columns, index: usize) -> String {
    common::column_name(headers, columns.get(index).copied().flatten())
}

/// Types the fields of records: where the columns are, the policy's time zone, and
/// what consecutive rows usually share (a date, a currency code), read once.
struct RowReader<'h> {
    headers: &'h csv::StringRecord,
    columns: &'h Columns,
    layout: Layout,
    zone: Tz,
    /// The last `YYYY-MM-DD` field and its date.
    last_date: Option<([u8; 10], NaiveDate)>,
    /// The last currency field and its currency.
    last_currency: Option<(Vec<u8>, Currency)>,
}

impl<'h> RowReader<'h> {
    fn new(
        headers: &'h csv::StringRecord,
        columns: &'h Columns,
        layout: Layout,
        zone: Tz,
    ) -> RowReader<'h> {
        RowReader {
            headers,
            columns,
            layout,
            zone,
            last_date: None,
            last_currency: None,
        }
    }

    /// `column N (`name`): expected …, found `…`` for column `index` of the layout.
    fn bad(&self, index: usize, expected: &str, found: &[u8]) -> String {
        format!(
            "{}: expected {expected}, found `{}`",
            column(self.headers, self.columns, index),
            clip(&String::from_utf8_lossy(found))
        )
    }

    /// Types one record; the error is the message without the place.
    fn read<'r>(&mut self, record: &'r csv::ByteRecord) -> Result<Parsed<'r>, String> {
        check_utf8(record, self.headers)?;
        let layout = self.layout;
        let text = field(record, layout.id);
        let id =
            parse_u64(text).ok_or_else(|| self.bad(0, "an unsigned integer order id", text))?;
        let text = field(record, layout.customer);
        let customer =
            parse_u64(text).ok_or_else(|| self.bad(1, "an unsigned integer customer id", text))?;
        let text = field(record, layout.placed_at);
        let date = self.date(text).ok_or_else(|| {
            self.bad(
                2,
                "an instant such as `2024-10-21T16:50:23Z` or a date such as `2024-10-21`",
                text,
            )
        })?;
        let text = field(record, layout.amount);
        let amount = parse_amount(text)
            .ok_or_else(|| self.bad(3, "a decimal amount such as `199.00`", text))?;
        // An empty optional field is as good as none.
        let optional = |at: Option<usize>| at.map(|at| field(record, at)).filter(|f| !f.is_empty());
        let currency = match optional(layout.currency) {
            Some(code) => Some(self.currency(code)?),
            None => None,
        };
        let refunded =
            match optional(layout.refunded) {
                Some(text) => Some(parse_amount(text).ok_or_else(|| {
                    self.bad(6, "a decimal refunded amount such as `12.50`", text)
                })?),
                None => None,
            };
        let status_text = optional(layout.status);
        let status = match (status_text.unwrap_or(b"paid"), refunded) {
            (b"paid", None) => Status::Paid,
            (b"cancelled", None) => Status::Cancelled,
            (b"refunded", None) => Status::Refunded,
            (b"partially_refunded", Some(refunded)) => Status::PartiallyRefunded(refunded),
            (b"partially_refunded", None) => {
                return Err(format!(
                    "{}: expected the refunded amount of a `partially_refunded` order, found nothing",
                    column(self.headers, self.columns, 6)
                ))
            }
            (status @ (b"paid" | b"cancelled" | b"refunded"), Some(refunded)) => {
                return Err(format!(
                    "{}: expected nothing for status `{}` (only a `partially_refunded` order has a refunded amount), found `{}`",
                    column(self.headers, self.columns, 6),
                    String::from_utf8_lossy(status),
                    refunded.decimal()
                ))
            }
            (other, _) => {
                return Err(self.bad(
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

    /// The date of a `placed_at` field; the same `YYYY-MM-DD` as the row before is not
    /// read again.
    fn date(&mut self, text: &[u8]) -> Option<NaiveDate> {
        let Ok(day) = <[u8; 10]>::try_from(text) else {
            return parse_when(text, self.zone);
        };
        match self.last_date {
            Some((last, date)) if last == day => Some(date),
            _ => {
                let date = parse_date(&day)?;
                self.last_date = Some((day, date));
                Some(date)
            }
        }
    }

    /// The currency of a `currency` field; the same code as the row before is not read
    /// again.
    fn currency(&mut self, code: &[u8]) -> Result<Currency, String> {
        if let Some((last, currency)) = &self.last_currency {
            if last.as_slice() == code {
                return Ok(*currency);
            }
        }
        // The code is cut before parsing so that the library's message echoes it cut.
        let currency = clip(&String::from_utf8_lossy(code))
            .parse::<Currency>()
            .map_err(|e| format!("{}: {e}", column(self.headers, self.columns, 4)))?;
        self.last_currency = Some((code.to_vec(), currency));
        Ok(currency)
    }
}

/// The first field of a record that is not valid UTF-8, as the reader of string
/// records reports it (on the field trimmed of ASCII whitespace).
fn check_utf8(record: &csv::ByteRecord, headers: &csv::StringRecord) -> Result<(), String> {
    if record.as_slice().is_ascii() {
        return Ok(());
    }
    for (index, bytes) in record.iter().enumerate() {
        if let Err(e) = std::str::from_utf8(bytes.trim_ascii()) {
            return Err(common::not_utf8(Some(headers), index, e.valid_up_to()));
        }
    }
    Ok(())
}

/// Field `at` of a record (valid UTF-8) trimmed as a string record's field is, of
/// whitespace at both ends, Unicode's included.
fn field(record: &csv::ByteRecord, at: usize) -> &[u8] {
    // The reader checks that every record has as many fields as the header.
    let bytes = record.get(at).unwrap_or(b"");
    let is_space = |b: &u8| matches!(b, b'\t'..=b'\r' | b' ');
    let start = bytes
        .iter()
        .position(|b| !is_space(b))
        .unwrap_or(bytes.len());
    let end = bytes
        .iter()
        .rposition(|b| !is_space(b))
        .map_or(start, |end| end + 1);
    let trimmed = bytes.get(start..end).unwrap_or(b"");
    match (trimmed.first(), trimmed.last()) {
        (Some(first), Some(last)) if !first.is_ascii() || !last.is_ascii() => {
            std::str::from_utf8(trimmed).map_or(trimmed, |text| text.trim().as_bytes())
        }
        _ => trimmed,
    }
}

/// The checks across rows made as each row is read: one currency, amounts exact in
/// its minor unit, then (after where the order-id check stood) the sign rules and the
/// library's checks of the order. Returns the row's currency and its events.
fn check_row(
    row: &Parsed,
    file_currency: Option<FileCurrency>,
    headers: &csv::StringRecord,
    columns: &Columns,
) -> Result<(Currency, Events), Reject> {
    let (currency, minor_units) = match (row.currency, file_currency) {
        (Some(code), Some(file)) if code != file.currency => {
            let expected = file.currency;
            let why = match file.line {
                Some(line) => format!("the currency of line {line}"),
                None => "as `--currency` says".to_owned(),
            };
            return Err(Reject::from(format!(
                "order `{}` is in `{code}`: expected `{expected}` ({why}); convert the file to one currency first",
                row.id
            )));
        }
        (_, Some(file)) => (file.currency, file.minor_units),
        (Some(code), None) => (code, code.minor_units()),
        (None, None) => (Currency::CNY, Currency::CNY.minor_units()),
    };
    let minor = |written: Written, index: usize| {
        written
            .minor_units(currency, minor_units)
            .map_err(|e| format!("{}: {e}", column(headers, columns, index)))
    };
    let amount = minor(row.amount, 3)?;
    let refunded = match row.status {
        Status::PartiallyRefunded(refunded) => Some((refunded, minor(refunded, 6)?)),
        _ => None,
    };
    let after_id_check = |message: String| Reject {
        message,
        after_id_check: Some(row.id),
    };
    let events = match (row.status, refunded) {
        // A negative paid or refunded row is a refund event of its absolute value.
        (Status::Paid | Status::Refunded, _) if amount < 0 => Events::One(amount),
        (_, _) if amount < 0 => {
            return Err(after_id_check(format!(
                "order `{}`: a negative amount is a refund row: expected status `paid` or `refunded`, found `{}`",
                row.id,
                match row.status {
                    Status::Cancelled => "cancelled",
                    _ => "partially_refunded",
                }
            )))
        }
        (Status::Paid, _) => Events::One(amount),
        (Status::PartiallyRefunded(_), Some((written, refunded))) => {
            check_order(row, written, currency).map_err(after_id_check)?;
            Events::Two(amount, -refunded)
        }
        (Status::Cancelled | Status::Refunded | Status::PartiallyRefunded(_), _) => Events::None,
    };
    Ok((currency, events))
}

/// An RFC 3339 instant as a date in `zone`, or a `YYYY-MM-DD` date.
fn parse_when(text: &[u8], zone: Tz) -> Option<NaiveDate> {
    if text.len() == 10 {
        return parse_date(text);
    }
    let at: DateTime<Utc> = std::str::from_utf8(text).ok()?.parse().ok()?;
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

/// An unsigned integer as `u64::from_str` reads it: digits, a `+` in front allowed.
fn parse_u64(text: &[u8]) -> Option<u64> {
    let digits = text.strip_prefix(b"+").unwrap_or(text);
    if digits.is_empty() {
        return None;
    }
    // 19 digits stay below 10^19 < 2^64: only the ones after them can overflow.
    let (head, tail) = digits.split_at(digits.len().min(19));
    let mut value = 0u64;
    for &b in head {
        let digit = b.wrapping_sub(b'0');
        if digit > 9 {
            return None;
        }
        value = value * 10 + u64::from(digit);
    }
    tail.iter().try_fold(value, |acc, &b| {
        let digit = b.wrapping_sub(b'0');
        if digit > 9 {
            return None;
        }
        acc.checked_mul(10)?.checked_add(u64::from(digit))
    })
}

/// A decimal such as `-12.05`, read digit by digit: a sign, then digits with at most
/// one point among them, at least one digit, as many as an `i64` holds, at most 28
/// after the point.
fn parse_amount(text: &[u8]) -> Option<Written<'_>> {
    let (negative, digits) = match text.split_first()? {
        (b'-', rest) => (true, rest),
        (b'+', rest) => (false, rest),
        _ => (false, text),
    };
    let mut mantissa: u64 = 0;
    let mut scale = 0u32;
    let mut seen_point = false;
    let mut count = 0u32;
    for &b in digits {
        if b == b'.' && !seen_point {
            seen_point = true;
            continue;
        }
        let digit = b.wrapping_sub(b'0');
        if digit > 9 {
            return None;
        }
        // 19 digits stay below 10^19 < 2^64: only the ones after them can overflow.
        mantissa = if count < 19 {
            mantissa * 10 + u64::from(digit)
        } else {
            mantissa.checked_mul(10)?.checked_add(u64::from(digit))?
        };
        count += 1;
        if seen_point {
            scale += 1;
        }
    }
    // The value only grows digit by digit: the whole fits an `i64` when every step does.
    let mantissa = i64::try_from(mantissa).ok()?;
    if count == 0 || scale > 28 {
        return None;
    }
    Some(Written {
        mantissa: if negative { -mantissa } else { mantissa },
        scale,
        text,
    })
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
