//! The peer RFM job of `../shared/bench` (pandas, polars, DuckDB) as SQL over Parquet,
//! run *inside* Apache DataFusion with patronage's functions: the facts aggregate per
//! customer, the population statistics, and the segmentation with ordinal ranks from
//! `row_number()` — then the same job with quantile scores (which need the statistics
//! aggregate) checked against the core in one process.
//!
//! ```text
//! cargo run --release -p patronage-datafusion --example datafusion_rfm -- \
//!     [--orders FILE.parquet] [--as-of YYYY-MM-DD] [--partitions 1,2,8] [--no-quantile]
//! cargo run --release -p patronage-datafusion --example datafusion_rfm -- --help
//! ```
//!
//! With no arguments it runs on `tests/peer/data/orders_1m.parquet` (written by
//! `tests/peer/check.sh`), as of 2024-12-31, with `target_partitions` 1, 2 and 8.
//!
//! # Input
//!
//! One Parquet file of orders with the columns `customer_id` (`uint64`), `order_date`
//! (`date32`) and `amount` (`decimal128(12, 2)`, in CNY; a negative amount is a refund);
//! other columns (`order_id`, `channel`) are ignored.
//!
//! # The rule
//!
//! The peers' rule (`../shared/bench/README.md`): rank scores (ties by customer id),
//! the R `rfm` 0.2 segment table, frequency over all time. For each partition count the
//! example prints the 12 segment counts and the checksum Σ (customer_id mod 1000003) ·
//! (100 R + 10 F + M), compares them with the peers' table when the base has one of
//! the sizes it lists (20,000, 200,000 or 2,000,000 customers), and prints the compute
//! time (from the query to the counts, Parquet reading included) and the peak resident
//! memory of the run. The quantile run's counts must equal the core's
//! (`Segmenter::run` over a facts table of the same orders). A mismatch exits 1.

use std::io::Write as _;
use std::process::ExitCode;
use std::time::Instant;

use chrono::NaiveDate;
use datafusion::arrow::array::{Array, AsArray};
use datafusion::arrow::datatypes::{Date32Type, Decimal128Type, UInt64Type};
use datafusion::prelude::{ParquetReadOptions, SessionConfig, SessionContext};
use patronage::segment::ScoreMethod;
use patronage::{Config, Currency, CustomerId, FactsTable, Money};
use patronage_datafusion::{
    population_stats_from_bytes, register, register_segment, PatronageOptions,
};

#[path = "common/cli.rs"]
mod cli;
#[path = "common/rfm.rs"]
mod rfm;

use rfm::{counts, describe, peer_config, FACTS, PEERS, QUANTILE, RANKED, SEGMENTS};
use rust_decimal::Decimal;

const USAGE: &str = "\
usage: datafusion_rfm [--orders FILE.parquet] [--as-of YYYY-MM-DD] [--partitions 1,2,8] [--no-quantile]

The peer RFM job as SQL inside DataFusion (see the example's documentation).

  --orders FILE.parquet   orders with customer_id uint64, order_date date32, amount decimal128(12,2)
                          (default: tests/peer/data/orders_1m.parquet)
  --as-of YYYY-MM-DD      the day facts are computed as of (default: 2024-12-31)
  --partitions LIST       DataFusion target_partitions to run with, comma-separated (default: 1,2,8)
  --no-quantile           skip the quantile run and its check against the core
  --help                  this text
";

/// Rows per batch: `patronage_segment` segments each batch as a shard and reads the
/// statistics' spend table once per batch, so fewer, larger batches than DataFusion's
/// default 8,192 rows run it faster (about a quarter less time at 10m orders).
const BATCH_SIZE: usize = 131_072;

struct Args {
    orders: String,
    as_of: NaiveDate,
    partitions: Vec<usize>,
    quantile: bool,
}

enum Stop {
    Help,
    Fail(String),
}

fn parse_args() -> Result<Args, Stop> {
    let mut args = Args {
        orders: "tests/peer/data/orders_1m.parquet".to_owned(),
        as_of: NaiveDate::from_ymd_opt(2024, 12, 31)
            .ok_or_else(|| Stop::Fail("bad date".to_owned()))?,
        partitions: vec![1, 2, 8],
        quantile: true,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = |name: &str| {
            it.next()
                .ok_or_else(|| Stop::Fail(format!("`{name}` needs a value (see --help)")))
        };
        match flag.as_str() {
            "--help" | "-h" => return Err(Stop::Help),
            "--orders" => args.orders = value("--orders")?,
            "--as-of" => {
                let text = value("--as-of")?;
                args.as_of = NaiveDate::parse_from_str(&text, "%Y-%m-%d").map_err(|_| {
                    Stop::Fail(format!("`--as-of {text}`: expected a date YYYY-MM-DD"))
                })?;
            }
            "--partitions" => {
                let text = value("--partitions")?;
                args.partitions = text
                    .split(',')
                    .map(|p| p.trim().parse::<usize>().ok().filter(|n| *n > 0))
                    .collect::<Option<Vec<_>>>()
                    .ok_or_else(|| {
                        Stop::Fail(format!(
                            "`--partitions {text}`: expected whole numbers of at least 1, comma-separated"
                        ))
                    })?;
            }
            "--no-quantile" => args.quantile = false,
            other => {
                return Err(Stop::Fail(format!(
                    "unknown argument `{other}` (see --help)"
                )))
            }
        }
    }
    Ok(args)
}

/// The peak resident memory of the process so far, in MiB (Linux), reset after reading
/// where the kernel allows it, so each run reports its own peak.
fn peak_rss_mib() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let kib: f64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))?
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()?;
    // "5" resets the peak to the current size (ignored where not supported).
    let _ = std::fs::write("/proc/self/clear_refs", "5");
    Some(kib / 1024.0)
}

async fn session(
    options: &PatronageOptions,
    orders: &str,
    partitions: usize,
) -> Result<SessionContext, String> {
    let ctx = SessionContext::new_with_config(
        SessionConfig::new()
            .with_target_partitions(partitions)
            .with_batch_size(BATCH_SIZE),
    );
    register(&ctx, options).map_err(|e| e.to_string())?;
    ctx.register_parquet("orders", orders, ParquetReadOptions::default())
        .await
        .map_err(|e| format!("`{orders}`: {e}"))?;
    Ok(ctx)
}

/// The facts (kept in memory for the two queries over them), their statistics, and the
/// segmentation query's counts and checksum.
async fn job(
    ctx: &SessionContext,
    options: &PatronageOptions,
    segment_sql: &str,
) -> Result<(([u64; 12], u64), [f64; 3]), String> {
    let e = |e: datafusion::error::DataFusionError| e.to_string();
    let start = Instant::now();
    let facts = ctx.sql(FACTS).await.map_err(e)?.cache().await.map_err(e)?;
    let facts_s = start.elapsed().as_secs_f64();
    ctx.register_table("facts", facts.into_view()).map_err(e)?;
    let stats = ctx
        .sql("SELECT patronage_stats(f) FROM facts WHERE f IS NOT NULL")
        .await
        .map_err(e)?
        .collect()
        .await
        .map_err(e)?;
    let bytes = stats
        .first()
        .map(|b| b.column(0).as_binary::<i32>())
        .filter(|b| !b.is_empty())
        .ok_or("no statistics")?;
    let population = population_stats_from_bytes(bytes.value(0)).map_err(e)?;
    let stats_s = start.elapsed().as_secs_f64() - facts_s;
    register_segment(ctx, options, population).map_err(e)?;
    let batches = ctx
        .sql(segment_sql)
        .await
        .map_err(e)?
        .collect()
        .await
        .map_err(e)?;
    let segment_s = start.elapsed().as_secs_f64() - facts_s - stats_s;
    Ok((counts(&batches)?, [facts_s, stats_s, segment_s]))
}

/// The core's quantile counts and checksum over the same orders, in one process.
async fn core_quantile(
    config: &Config,
    orders: &str,
    as_of: NaiveDate,
) -> Result<([u64; 12], u64), String> {
    let e = |e: datafusion::error::DataFusionError| e.to_string();
    let ctx = SessionContext::new();
    ctx.register_parquet("orders", orders, ParquetReadOptions::default())
        .await
        .map_err(|err| format!("`{orders}`: {err}"))?;
    let batches = ctx
        .sql("SELECT customer_id, order_date, CAST(amount AS DECIMAL(12, 2)) FROM orders")
        .await
        .map_err(e)?
        .collect()
        .await
        .map_err(e)?;
    let (mut customers, mut dates, mut amounts) = (Vec::new(), Vec::new(), Vec::new());
    let epoch = NaiveDate::from_ymd_opt(1970, 1, 1).ok_or("bad date")?;
    for batch in &batches {
        let ids = batch.column(0).as_primitive::<UInt64Type>();
        let days = batch.column(1).as_primitive::<Date32Type>();
        let cents = batch.column(2).as_primitive::<Decimal128Type>();
        for row in 0..batch.num_rows() {
            customers.push(CustomerId(ids.value(row)));
            dates.push(
                epoch
                    + chrono::Days::new(
                        u64::try_from(days.value(row)).map_err(|_| "date before 1970")?,
                    ),
            );
            let amount = Decimal::try_from_i128_with_scale(cents.value(row), 2)
                .map_err(|err| err.to_string())?;
            amounts.push(Money::new(amount, Currency::CNY));
        }
    }
    let options = config
        .facts_options_on(as_of, Currency::CNY)
        .map_err(|err| err.to_string())?;
    let table = FactsTable::from_dated_events(&options, &customers, &dates, &amounts)
        .map_err(|err| err.to_string())?;
    let (segmenter, _) = config
        .segmenter(Currency::CNY)
        .map_err(|err| err.to_string())?;
    let segmentation = segmenter.run(&table).map_err(|err| err.to_string())?;
    let mut counts = [0u64; 12];
    let mut checksum = 0u64;
    for row in segmentation.iter() {
        if let (Some(name), Some([r, f, m])) = (row.rfm_segment, row.scores) {
            if let Some(idx) = SEGMENTS.iter().position(|s| *s == name) {
                if let Some(slot) = counts.get_mut(idx) {
                    *slot += 1;
                }
            }
            checksum += (row.customer.0 % 1_000_003)
                * (100 * u64::from(r) + 10 * u64::from(f) + u64::from(m));
        }
    }
    Ok((counts, checksum))
}

async fn run(args: Args, out: &mut impl std::io::Write) -> Result<(), String> {
    if !std::path::Path::new(&args.orders).exists() {
        return Err(format!(
            "`{}` does not exist: generate it with tests/peer/check.sh, or pass --orders FILE.parquet",
            args.orders
        ));
    }
    let config = peer_config();
    let options =
        PatronageOptions::new(&config, args.as_of, Currency::CNY).map_err(|e| e.to_string())?;
    let mut failed = false;
    let _ = peak_rss_mib();
    for &partitions in &args.partitions {
        let ctx = session(&options, &args.orders, partitions).await?;
        let start = Instant::now();
        let ((counts, checksum), phases) = job(&ctx, &options, RANKED).await?;
        let seconds = start.elapsed().as_secs_f64();
        drop(ctx);
        let peak = peak_rss_mib().map_or_else(|| "n/a".to_owned(), |m| format!("{m:.0}"));
        let customers: u64 = counts.iter().sum();
        let verdict = match PEERS
            .iter()
            .find(|(c, _)| c.iter().sum::<u64>() == customers)
        {
            Some((c, s)) if *c == counts && *s == checksum => "matches the peers",
            Some(_) => {
                failed = true;
                "DIFFERS FROM THE PEERS"
            }
            None => "no peer reference for this size",
        };
        writeln!(
            out,
            "rank     target_partitions={partitions} compute_s={seconds:.3} (facts {:.3}, stats {:.3}, segments {:.3}) peak_rss_mib={peak} {}: {verdict}",
            phases[0],
            phases[1],
            phases[2],
            describe(&counts, checksum)
        )
        .map_err(|e| e.to_string())?;
    }
    if args.quantile {
        let mut quantile = config.clone();
        quantile.segment.rfm.scores.method = ScoreMethod::Quantile;
        let options = PatronageOptions::new(&quantile, args.as_of, Currency::CNY)
            .map_err(|e| e.to_string())?;
        let partitions = args.partitions.iter().copied().max().unwrap_or(1);
        let ctx = session(&options, &args.orders, partitions).await?;
        let start = Instant::now();
        let ((counts, checksum), phases) = job(&ctx, &options, QUANTILE).await?;
        let seconds = start.elapsed().as_secs_f64();
        drop(ctx);
        let peak = peak_rss_mib().map_or_else(|| "n/a".to_owned(), |m| format!("{m:.0}"));
        let core = core_quantile(&quantile, &args.orders, args.as_of).await?;
        let verdict = if core == (counts, checksum) {
            "equals the core in one process"
        } else {
            failed = true;
            "DIFFERS FROM THE CORE"
        };
        writeln!(
            out,
            "quantile target_partitions={partitions} compute_s={seconds:.3} (facts {:.3}, stats {:.3}, segments {:.3}) peak_rss_mib={peak} {}: {verdict}",
            phases[0],
            phases[1],
            phases[2],
            describe(&counts, checksum)
        )
        .map_err(|e| e.to_string())?;
    }
    if failed {
        Err("the counts differ (see above)".to_owned())
    } else {
        Ok(())
    }
}

fn main() -> ExitCode {
    let parsed = match parse_args() {
        Ok(args) => Ok(Some(args)),
        Err(Stop::Help) => Ok(None),
        Err(Stop::Fail(message)) => Err(message),
    };
    cli::run("datafusion_rfm", USAGE, parsed, |args| async move {
        let mut out = std::io::stdout().lock();
        let done = run(args, &mut out).await;
        // What was printed goes out before an error message.
        let _ = out.flush();
        done
    })
}
