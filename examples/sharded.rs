//! Segments a customer base shard by shard and checks the result against one pass
//! (R13): the orders are split by customer into N shards; each shard is folded into its
//! own facts table and summarised alone (`PopulationStats`); the summaries are merged;
//! each shard is then segmented alone with the merged statistics, and every customer's
//! row is compared with the single pass over the whole base.
//!
//! ```sh
//! cargo run --release --example sharded                 # 8 shards of the shipped orders
//! cargo run --release --example sharded -- --shards 3
//! cargo run --release --example sharded -- --help
//! ```
//!
//! The orders are `examples/data/orders.csv` (the order layout of the `segment` example:
//! `id,customer,placed_at,amount,currency,status,refunded`), validated leniently — the
//! shipped file holds a few deliberately wrong rows, reported and left out. The policy
//! is the reference config (quantile scores: ordinal-rank scores need the whole base in
//! one pass, and a shard asked for them is refused). Exit status 1 if any shard differs.

mod common;

use std::fmt::Write as _;
use std::process::ExitCode;

use chrono::NaiveDate;
use common::Stop;
use patronage::segment::PopulationStats;
use patronage::{
    Aggregator, Config, Currency, CustomerId, FactsTable, Order, Records, ValidationMode, Validator,
};

const HELP: &str = "\
sharded: segments the shipped orders shard by shard with merged statistics and checks
every customer against one pass over the whole base (R13).

usage:
  sharded                  8 shards
  sharded --shards N       N shards (1 to 64)
  sharded --help           this text

data: examples/data/orders.csv (id,customer,placed_at,amount,currency,status,refunded)
";

const ORDERS: (&str, &str) = ("examples/data/orders.csv", include_str!("data/orders.csv"));

fn main() -> ExitCode {
    common::exit("sharded", run())
}

fn run() -> Result<(), Stop> {
    let mut line = common::CommandLine::from_env()?;
    let mut shards = 8_u64;
    while let Some(flag) = line.next_flag()? {
        match flag.as_str() {
            "--help" | "-h" => return common::print(HELP),
            "--shards" => {
                shards = line.parsed(&flag, |v| match v.parse::<u64>() {
                    Ok(n @ 1..=64) => Ok(n),
                    _ => Err("a number of shards from 1 to 64".to_owned()),
                })?;
            }
            other => {
                return Err(Stop::usage(format!(
                    "unknown option `{}`",
                    common::clip(other)
                )))
            }
        }
    }
    let mut out = String::new();
    let differing = compare(&mut out, shards).map_err(Stop::fail)?;
    common::print(&out)?;
    if differing > 0 {
        return Err(Stop::fail(format!(
            "{differing} customers differ between the sharded and the single pass"
        )));
    }
    Ok(())
}

/// Folds, summarises and segments the shards; returns how many customers differ from
/// the single pass.
fn compare(out: &mut String, shards: u64) -> Result<usize, String> {
    let orders = load()?;
    let report = Validator::validate(
        Records {
            orders,
            ..Records::default()
        },
        ValidationMode::Lenient,
    )
    .map_err(|e| e.to_string())?;
    let orders = report.accepted.orders;
    let config = Config::reference();
    let as_of = NaiveDate::from_ymd_opt(2024, 12, 31).ok_or("bad date")?;
    let options = config
        .facts_options_on(as_of, Currency::CNY)
        .map_err(|e| e.to_string())?;
    let fold = |keep: &dyn Fn(CustomerId) -> bool| -> Result<FactsTable, String> {
        let mut aggregator = Aggregator::new(options);
        for order in orders.iter().filter(|o| keep(o.customer)) {
            aggregator.add_order(order).map_err(|e| e.to_string())?;
        }
        Ok(aggregator.into_table())
    };
    let (segmenter, _warnings) = config.segmenter(Currency::CNY).map_err(|e| e.to_string())?;

    // One pass over the whole base.
    let whole = fold(&|_| true)?;
    let single = segmenter.run(&whole).map_err(|e| e.to_string())?;

    // Each shard folded and summarised alone; the summaries merged.
    let tables = (0..shards)
        .map(|shard| fold(&|customer: CustomerId| customer.0 % shards == shard))
        .collect::<Result<Vec<_>, _>>()?;
    let mut stats = PopulationStats::default();
    for table in &tables {
        stats
            .merge(&PopulationStats::of(table))
            .map_err(|e| e.to_string())?;
    }
    let _ = writeln!(
        out,
        "{} orders ({} rejected), {} customers, {shards} shards, as of {as_of}",
        orders.len(),
        report.rejected.len(),
        whole.len()
    );

    // Each shard segmented alone with the merged statistics, compared row by row.
    let mut differing = 0;
    for (shard, table) in tables.iter().enumerate() {
        let part = segmenter
            .run_shard(table, &stats)
            .map_err(|e| e.to_string())?;
        let same = part
            .iter()
            .filter(|row| single.get(row.customer).as_ref() == Some(row))
            .count();
        differing += part.len() - same;
        let _ = writeln!(
            out,
            "shard {shard}: {:>5} customers, {:>5} identical to the single pass",
            part.len(),
            same
        );
    }
    let _ = writeln!(
        out,
        "thresholds: the merged statistics give {} the single pass",
        if stats == PopulationStats::of(&whole) {
            "exactly those of"
        } else {
            "other thresholds than"
        }
    );
    let _ = writeln!(
        out,
        "{}",
        if differing == 0 {
            "every customer identical: sharded = single pass"
        } else {
            "some customers differ"
        }
    );
    Ok(differing)
}

/// Reads the shipped orders; an error names the file and line.
fn load() -> Result<Vec<Order>, String> {
    common::csv_rows(ORDERS, common::OrderRow::into_order)
}
