//! The peer RFM job (see `datafusion_rfm`) through a Ballista cluster: a client that
//! plans the SQL with patronage's functions and ships it, with [`PatronageCodec`], to a
//! scheduler (`ballista_scheduler`) whose executors (`ballista_executor`) run it.
//!
//! ```text
//! cargo run --release -p patronage-datafusion --example ballista_rfm -- \
//!     --scheduler df://127.0.0.1:PORT --orders /ABSOLUTE/PATH/orders.parquet [--as-of YYYY-MM-DD]
//! ```
//!
//! The orders file must be readable by the executors at the same path (one machine,
//! or a shared file system). Two queries: the statistics over the facts, then the
//! segmentation with ranks from `row_number()` (the facts are computed by each, as a
//! cluster keeps no result between queries). It prints the 12 segment counts and the
//! checksum in `datafusion_rfm`'s format, and whether they match the peers' table.
//! With no arguments (or `--help`) it prints this usage and exits 0;
//! `scripts/ballista_localhost.sh` runs it against a local cluster.

use std::process::ExitCode;
use std::time::Instant;

use ballista::prelude::{SessionConfigExt, SessionContextExt};
use chrono::NaiveDate;
use datafusion::arrow::array::{Array, AsArray};
use datafusion::execution::SessionStateBuilder;
use datafusion::prelude::{ParquetReadOptions, SessionConfig, SessionContext};
use patronage::Currency;
use patronage_datafusion::{
    population_stats_from_bytes, register, register_segment, PatronageOptions,
};

#[path = "common/cli.rs"]
mod cli;
#[path = "common/rfm.rs"]
mod rfm;

use rfm::{counts, describe, peer_config, FACTS, PEERS, RANKED};

const USAGE: &str = "\
usage: ballista_rfm --scheduler df://HOST:PORT --orders /ABSOLUTE/PATH.parquet [--as-of YYYY-MM-DD]

The peer RFM job through a Ballista cluster whose scheduler and executors carry
patronage's codec (examples ballista_scheduler and ballista_executor).
";

struct Args {
    scheduler: String,
    orders: String,
    as_of: NaiveDate,
}

fn parse() -> Result<Option<Args>, String> {
    let raw: Vec<String> = std::env::args().skip(1).collect();
    if raw.is_empty() || raw.iter().any(|a| a == "--help" || a == "-h") {
        return Ok(None);
    }
    let (mut scheduler, mut orders) = (None, None);
    let mut as_of = NaiveDate::from_ymd_opt(2024, 12, 31).ok_or("bad date")?;
    let mut it = raw.into_iter();
    while let Some(flag) = it.next() {
        let value = it
            .next()
            .ok_or_else(|| format!("`{flag}` needs a value (see --help)"))?;
        match flag.as_str() {
            "--scheduler" => scheduler = Some(value),
            "--orders" => orders = Some(value),
            "--as-of" => {
                as_of = NaiveDate::parse_from_str(&value, "%Y-%m-%d")
                    .map_err(|_| format!("`--as-of {value}`: expected a date YYYY-MM-DD"))?;
            }
            other => return Err(format!("unknown argument `{other}` (see --help)")),
        }
    }
    match (scheduler, orders) {
        (Some(scheduler), Some(orders)) => Ok(Some(Args {
            scheduler,
            orders,
            as_of,
        })),
        _ => Err("`--scheduler` and `--orders` are required (see --help)".to_owned()),
    }
}

async fn run(args: Args, out: &mut impl std::io::Write) -> Result<(), String> {
    let e = |e: datafusion::error::DataFusionError| e.to_string();
    let codec = cli::ballista_codec();
    let config = SessionConfig::new_with_ballista()
        .with_ballista_logical_extension_codec(codec.clone())
        .with_ballista_physical_extension_codec(codec);
    let state = SessionStateBuilder::new()
        .with_config(config)
        .with_default_features()
        .build();
    let ctx = SessionContext::remote_with_state(&args.scheduler, state)
        .await
        .map_err(e)?;
    let options = PatronageOptions::new(&peer_config(), args.as_of, Currency::CNY).map_err(e)?;
    register(&ctx, &options).map_err(e)?;
    ctx.register_parquet("orders", &args.orders, ParquetReadOptions::default())
        .await
        .map_err(|err| format!("`{}`: {err}", args.orders))?;
    ctx.sql(&format!("CREATE VIEW facts AS {FACTS}"))
        .await
        .map_err(e)?;
    let start = Instant::now();
    let stats = ctx
        .sql("SELECT patronage_stats(f) FROM facts WHERE f IS NOT NULL")
        .await
        .map_err(e)?
        .collect()
        .await
        .map_err(e)?;
    let bytes = stats
        .iter()
        .map(|b| b.column(0).as_binary::<i32>())
        .find(|b| !b.is_empty())
        .ok_or("no statistics")?;
    let population = population_stats_from_bytes(bytes.value(0)).map_err(e)?;
    register_segment(&ctx, &options, population).map_err(e)?;
    let batches = ctx
        .sql(RANKED)
        .await
        .map_err(e)?
        .collect()
        .await
        .map_err(e)?;
    let seconds = start.elapsed().as_secs_f64();
    let (counts, checksum) = counts(&batches)?;
    let customers: u64 = counts.iter().sum();
    let verdict = match PEERS
        .iter()
        .find(|(c, _)| c.iter().sum::<u64>() == customers)
    {
        Some((c, s)) if *c == counts && *s == checksum => "matches the peers",
        Some(_) => "DIFFERS FROM THE PEERS",
        None => "no peer reference for this size",
    };
    writeln!(
        out,
        "rank     ballista compute_s={seconds:.3} {}: {verdict}",
        describe(&counts, checksum)
    )
    .map_err(|err| err.to_string())?;
    if verdict.starts_with("DIFFERS") {
        return Err("the counts differ from the peers'".to_owned());
    }
    Ok(())
}

fn main() -> ExitCode {
    cli::run("ballista_rfm", USAGE, parse(), |args| async move {
        let mut out = std::io::stdout().lock();
        run(args, &mut out).await
    })
}
