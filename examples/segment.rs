//! Segments a customer base from an orders CSV: RFM scores and named segment, tier and
//! lifecycle stage per customer, printed as CSV — the command-line contract used to
//! compare the crate with other implementations (pandas, polars, DuckDB; see
//! `tests/peer/check.sh`).
//!
//! ```text
//! cargo run --release --example segment -- --orders FILE.csv --as-of YYYY-MM-DD
//!     [--config FILE.json|FILE.toml] [--scores quantile|rank] [--rfm-table r-0.3|r-0.2]
//!     [--frequency-window DAYS|all] [--currency CODE] [--threads N] [--timings]
//! ```
//!
//! The CSV has a header with at least `customer_id`, `amount` and one of `order_date` /
//! `placed_at` (`YYYY-MM-DD`, or an instant whose first ten characters are the date),
//! optionally `order_id`, `currency` and `status` (`paid`, `cancelled`, `refunded`). A
//! negative amount is a refund (it lowers net spend and never refreshes recency); a zero
//! amount and a cancelled or fully refunded order are not purchases and change nothing.
//! Rows dated after `--as-of` are ignored.
//!
//! `--threads N` (default 1) lets the facts table be built, and the stage and tier
//! tables be decided, on up to `N` threads ([`BatchOptions`], [`Segmenter::threads`]);
//! the output is the same for every `N`.
//!
//! Output: one row per customer with a purchase, ordered by customer id, with the header
//! `customer_id,recency_days,frequency,monetary,monetary_top_share,r_score,f_score,m_score,rfm_segment,tier,stage`.
//! With `--timings`, `parse_s=… compute_s=…` goes to stderr: *parse* is reading the file
//! into typed orders, *compute* everything from the parsed orders to the per-customer
//! table and the segment counts.

use std::error::Error;
use std::io::{BufWriter, Write};
use std::num::NonZeroUsize;
use std::time::Instant;

use chrono::NaiveDate;
use patronage::segment::{ScoreMethod, SegmentsConfig};
use patronage::{BatchOptions, Config, Currency, CustomerId, FactsTable, Money, SegmentPreset};
use rust_decimal::Decimal;

fn main() -> Result<(), Box<dyn Error>> {
    let args = Args::parse(std::env::args().skip(1))?;

    let started = Instant::now();
    let bytes =
        std::fs::read(&args.orders).map_err(|e| format!("cannot read `{}`: {e}", args.orders))?;
    let orders = parse_orders(&bytes, args.currency)?;
    drop(bytes);
    let parse_s = started.elapsed().as_secs_f64();

    let mut config = match &args.config {
        Some(path) => load_config(path)?,
        None => Config::reference(),
    };
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
    // The output has no VIP level and no custom class, so they are not computed.
    config.segment.vip = None;
    config.segment.classes.clear();
    let currency = match (args.currency, orders.currency) {
        (Some(code), _) | (None, Some(code)) => code,
        (None, None) => Currency::CNY,
    };
    let (segmenter, warnings) = config.segmenter(currency)?;
    let segmenter = segmenter.with_threads(args.threads);
    for warning in &warnings {
        eprintln!("config warning: {warning}");
    }

    let started = Instant::now();
    let options = config.facts_options_on(args.as_of, currency)?;
    let batch = BatchOptions::default().with_threads(args.threads);
    let facts = FactsTable::from_dated_events_with(
        &options,
        &batch,
        &orders.customers,
        &orders.dates,
        &orders.amounts,
    )?;
    let segmentation = segmenter.run(&facts)?;
    let counts = segmentation.rfm_segment_counts();
    let compute_s = started.elapsed().as_secs_f64();

    let stdout = std::io::stdout();
    let mut out = BufWriter::with_capacity(1 << 20, stdout.lock());
    writeln!(
        out,
        "customer_id,recency_days,frequency,monetary,monetary_top_share,r_score,f_score,m_score,rfm_segment,tier,stage"
    )?;
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
            csv_field(row.tier.unwrap_or_default()),
            csv_field(row.stage.unwrap_or_default()),
        )?;
    }
    out.flush()?;
    if args.timings {
        eprintln!("parse_s={parse_s:.3} compute_s={compute_s:.3}");
        let total: usize = counts.iter().map(|(_, n)| n).sum();
        eprintln!("customers with a purchase: {total}");
        for (name, n) in &counts {
            eprintln!("  {name:<20} {n:>10}");
        }
    }
    Ok(())
}

/// Quotes a CSV field when it needs it.
fn csv_field(text: &str) -> std::borrow::Cow<'_, str> {
    if text.contains([',', '"', '\n']) {
        format!("\"{}\"", text.replace('"', "\"\"")).into()
    } else {
        text.into()
    }
}

fn load_config(path: &str) -> Result<Config, Box<dyn Error>> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read `{path}`: {e}"))?;
    let is_toml = std::path::Path::new(path)
        .extension()
        .is_some_and(|ext| ext.eq_ignore_ascii_case("toml"));
    let config: Config = if is_toml {
        toml::from_str(&text).map_err(|e| format!("`{path}`: {e}"))?
    } else {
        serde_json::from_str(&text).map_err(|e| format!("`{path}`: {e}"))?
    };
    Ok(config)
}

/// The command line.
struct Args {
    orders: String,
    as_of: NaiveDate,
    config: Option<String>,
    scores: Option<ScoreMethod>,
    rfm_table: Option<SegmentPreset>,
    frequency_window: Option<Window>,
    currency: Option<Currency>,
    threads: NonZeroUsize,
    timings: bool,
}

impl Args {
    fn parse(mut args: impl Iterator<Item = String>) -> Result<Args, Box<dyn Error>> {
        const USAGE: &str = "usage: segment --orders FILE.csv --as-of YYYY-MM-DD [--config FILE] [--scores quantile|rank] [--rfm-table r-0.3|r-0.2] [--frequency-window DAYS|all] [--currency CODE] [--threads N] [--timings]";
        let mut orders = None;
        let mut as_of = None;
        let mut parsed = Args {
            orders: String::new(),
            as_of: NaiveDate::MIN,
            config: None,
            scores: None,
            rfm_table: None,
            frequency_window: None,
            currency: None,
            threads: NonZeroUsize::MIN,
            timings: false,
        };
        while let Some(flag) = args.next() {
            if flag == "--timings" {
                parsed.timings = true;
                continue;
            }
            let value = args
                .next()
                .ok_or_else(|| format!("`{flag}` needs a value\n{USAGE}"))?;
            match flag.as_str() {
                "--orders" => orders = Some(value),
                "--as-of" => {
                    as_of = Some(
                        NaiveDate::parse_from_str(&value, "%Y-%m-%d")
                            .map_err(|_| format!("`--as-of {value}`: expected YYYY-MM-DD"))?,
                    );
                }
                "--config" => parsed.config = Some(value),
                "--scores" => {
                    parsed.scores = Some(match value.as_str() {
                        "quantile" => ScoreMethod::Quantile,
                        "rank" => ScoreMethod::Rank,
                        _ => {
                            return Err(format!(
                                "`--scores {value}`: expected `quantile` or `rank`"
                            )
                            .into())
                        }
                    });
                }
                "--rfm-table" => parsed.rfm_table = Some(value.parse::<SegmentPreset>()?),
                "--frequency-window" => {
                    parsed.frequency_window = Some(if value == "all" {
                        Window::All
                    } else {
                        Window::Days(value.parse::<u32>().map_err(|_| {
                            format!(
                                "`--frequency-window {value}`: expected a number of days or `all`"
                            )
                        })?)
                    });
                }
                "--currency" => parsed.currency = Some(value.parse::<Currency>()?),
                "--threads" => {
                    parsed.threads = value.parse::<NonZeroUsize>().map_err(|_| {
                        format!("`--threads {value}`: expected a whole number of at least 1")
                    })?;
                }
                _ => return Err(format!("unknown option `{flag}`\n{USAGE}").into()),
            }
        }
        parsed.orders = orders.ok_or(format!("`--orders` is required\n{USAGE}"))?;
        parsed.as_of = as_of.ok_or(format!("`--as-of` is required\n{USAGE}"))?;
        Ok(parsed)
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

/// What a row does to the facts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    /// A paid order with a positive amount.
    Purchase,
    /// A negative amount: a refund event.
    Refund,
    /// Cancelled, fully refunded, or zero: no purchase and no spend.
    Nothing,
}

/// The rows that change the facts, in columns (a purchase has a positive amount, a
/// refund a negative one); cancelled, fully refunded and zero rows are left out.
struct Orders {
    customers: Vec<CustomerId>,
    dates: Vec<NaiveDate>,
    amounts: Vec<Money>,
    currency: Option<Currency>,
}

/// Parses the CSV by hand: split on bytes, integers and dates read digit by digit,
/// amounts straight to exact minor units. Fields are not quoted in order exports; a
/// quoted field is an error rather than a silent misread.
fn parse_orders(
    bytes: &[u8],
    default_currency: Option<Currency>,
) -> Result<Orders, Box<dyn Error>> {
    let mut lines = bytes.split(|&b| b == b'\n');
    let header = lines
        .next()
        .ok_or("empty orders file: expected a header line")?;
    let header = std::str::from_utf8(trim_cr(header))?;
    let columns: Vec<&str> = header.split(',').map(str::trim).collect();
    let find = |name: &str| columns.iter().position(|c| *c == name);
    let customer_col = find("customer_id").ok_or("the header has no `customer_id` column")?;
    let amount_col = find("amount").ok_or("the header has no `amount` column")?;
    let date_col = find("order_date")
        .or_else(|| find("placed_at"))
        .ok_or("the header has neither `order_date` nor `placed_at`")?;
    let status_col = find("status");
    let currency_col = find("currency");

    let capacity = bytes.len() / 40;
    let mut customers = Vec::with_capacity(capacity);
    let mut dates = Vec::with_capacity(capacity);
    let mut amounts = Vec::with_capacity(capacity);
    let mut currency: Option<Currency> = None;
    let mut fields: Vec<&[u8]> = Vec::with_capacity(columns.len());
    for (line_idx, line) in lines.enumerate() {
        let line = trim_cr(line);
        if line.is_empty() {
            continue;
        }
        let line_no = line_idx + 2;
        fields.clear();
        fields.extend(line.split(|&b| b == b','));
        if fields.len() != columns.len() {
            return Err(format!(
                "line {line_no}: {} fields, expected {} as in the header",
                fields.len(),
                columns.len()
            )
            .into());
        }
        let field = |col: usize| fields.get(col).copied().unwrap_or_default();
        let customer_id = parse_u64(field(customer_col))
            .ok_or_else(|| format!("line {line_no}: `customer_id` is not an unsigned integer"))?;
        let date = parse_date(field(date_col))
            .ok_or_else(|| format!("line {line_no}: the order date is not YYYY-MM-DD"))?;
        let (amount_minor, scale) = parse_amount(field(amount_col))
            .ok_or_else(|| format!("line {line_no}: `amount` is not a decimal number"))?;
        if let Some(col) = currency_col {
            let code: Currency = std::str::from_utf8(field(col))?.parse()?;
            match currency {
                None => currency = Some(code),
                Some(seen) if seen != code => {
                    return Err(format!(
                        "line {line_no}: currency `{code}` after `{seen}`: convert to one currency first"
                    )
                    .into())
                }
                Some(_) => {}
            }
        }
        let status = status_col.map_or(&b"paid"[..], field);
        let kind = match status {
            b"paid" | b"" if amount_minor > 0 => Kind::Purchase,
            b"paid" | b"" | b"refunded" if amount_minor < 0 => Kind::Refund,
            b"paid" | b"" | b"cancelled" | b"refunded" => Kind::Nothing,
            other => {
                return Err(format!(
                    "line {line_no}: status `{}`: expected `paid`, `cancelled` or `refunded`",
                    String::from_utf8_lossy(other)
                )
                .into())
            }
        };
        if kind != Kind::Nothing {
            customers.push(CustomerId(customer_id));
            dates.push(date);
            // `--currency` wins over the file's column, as in `main`; the column's code
            // is the first row's (a different one later is an error above).
            let code = default_currency.or(currency).unwrap_or(Currency::CNY);
            amounts.push(Money::new(Decimal::new(amount_minor, scale), code));
        }
    }
    Ok(Orders {
        customers,
        dates,
        amounts,
        currency,
    })
}

fn trim_cr(line: &[u8]) -> &[u8] {
    line.strip_suffix(b"\r").unwrap_or(line)
}

fn parse_u64(text: &[u8]) -> Option<u64> {
    if text.is_empty() || text.len() > 20 {
        return None;
    }
    text.iter().try_fold(0u64, |acc, &b| {
        let digit = b.checked_sub(b'0').filter(|d| *d < 10)?;
        acc.checked_mul(10)?.checked_add(u64::from(digit))
    })
}

/// `YYYY-MM-DD`, possibly followed by a time (`placed_at`), read digit by digit.
fn parse_date(text: &[u8]) -> Option<NaiveDate> {
    let digits = |range: std::ops::Range<usize>| -> Option<u32> {
        text.get(range)?.iter().try_fold(0u32, |acc, &b| {
            let digit = b.checked_sub(b'0').filter(|d| *d < 10)?;
            Some(acc * 10 + u32::from(digit))
        })
    };
    if text.get(4) != Some(&b'-') || text.get(7) != Some(&b'-') {
        return None;
    }
    if text.len() > 10 && !matches!(text.get(10), Some(b'T' | b' ')) {
        return None;
    }
    let year = i32::try_from(digits(0..4)?).ok()?;
    NaiveDate::from_ymd_opt(year, digits(5..7)?, digits(8..10)?)
}

/// A decimal such as `-12.05` as exact minor units and a scale: `(-1205, 2)`.
fn parse_amount(text: &[u8]) -> Option<(i64, u32)> {
    let (negative, digits) = match text.split_first()? {
        (b'-', rest) => (true, rest),
        (b'+', rest) => (false, rest),
        _ => (false, text),
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
    Some((if negative { -mantissa } else { mantissa }, scale))
}
