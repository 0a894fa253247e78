//! Segments a customer base shard by shard and checks the result against one pass
//! (R13): the orders are split by customer into N shards; each shard is folded into its
//! own facts table and summarised alone (`PopulationStats`); the summaries are merged;
//! each shard is then segmented alone with the merged statistics, and every customer's
//! row is compared with the single pass over the whole base.
//!
//! ```sh
//! cargo run --release --example sharded                 # 8 shards of the shipped orders
//! cargo run --release --example sharded -- --shards 3
//! cargo run --release --example sharded -- --approximate 64
//! cargo run --release --example sharded -- --help
//! ```
//!
//! The orders are `examples/data/orders.csv` (the order layout of the `segment` example:
//! `id,customer,placed_at,amount,currency,status,refunded`), validated leniently — the
//! shipped file holds a few deliberately wrong rows, reported and left out. The policy
//! is the reference config (quantile scores: ordinal-rank scores need the whole base in
//! one pass, and a shard asked for them is refused). Exit status 1 if any shard differs.
//!
//! With `--approximate K` each shard summarises its spend in a quantile sketch of `K`
//! values per level (`PopulationStats::approximate`, for bases too large for exact
//! counts) instead of exact counts; the run then prints how far the sharded result is
//! from the single pass — the largest top-share difference against the sketch's
//! rank-error bound, and the customers whose monetary score or band moved — and exits
//! with status 1 only if a top share is off by more than the bound.

mod common;

use std::fmt::Write as _;
use std::process::ExitCode;

use chrono::NaiveDate;
use common::Stop;
use patronage::segment::{PopulationStats, SketchCapacity};
use patronage::{
    Aggregator, Config, Currency, CustomerId, FactsTable, Order, Records, Segmentation,
    ValidationMode, Validator,
};

const HELP: &str = "\
sharded: segments the shipped orders shard by shard with merged statistics and checks
every customer against one pass over the whole base (R13).

usage:
  sharded                  8 shards
  sharded --shards N       N shards (1 to 64)
  sharded --approximate K  spend summarised in quantile sketches of K values per level
                           (8 to 1048576); prints the differences from the single pass
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
    let mut approximate = None;
    while let Some(flag) = line.next_flag()? {
        match flag.as_str() {
            "--help" | "-h" => return common::print(HELP),
            "--shards" => {
                shards = line.parsed(&flag, |v| match v.parse::<u64>() {
                    Ok(n @ 1..=64) => Ok(n),
                    _ => Err("a number of shards from 1 to 64".to_owned()),
                })?;
            }
            "--approximate" => {
                approximate = Some(line.parsed(&flag, |v| {
                    v.parse::<u32>()
                        .ok()
                        .and_then(|k| SketchCapacity::try_new(k).ok())
                        .ok_or_else(|| {
                            "a sketch capacity from 8 to 1048576 values per level".to_owned()
                        })
                })?);
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
    let outcome = compare(&mut out, shards, approximate).map_err(Stop::fail)?;
    common::print(&out)?;
    match outcome {
        Outcome::Differing(differing) if differing > 0 => Err(Stop::fail(format!(
            "{differing} customers differ between the sharded and the single pass"
        ))),
        Outcome::BeyondBound { found, bound } => Err(Stop::fail(format!(
            "a top share differs by {found} purchasers from the single pass: expected at most the sketch's bound, {bound}"
        ))),
        _ => Ok(()),
    }
}

/// How a sharded run compares with the single pass.
enum Outcome {
    /// Exact statistics: the number of customers that differ (expected 0).
    Differing(usize),
    /// Approximate statistics within the sketch's bound.
    WithinBound,
    /// Approximate statistics with a top share off by more than the bound.
    BeyondBound { found: u64, bound: u64 },
}

/// Folds, summarises (exactly, or in sketches of capacity `approximate`) and segments
/// the shards, and compares every customer with the single pass.
fn compare(
    out: &mut String,
    shards: u64,
    approximate: Option<SketchCapacity>,
) -> Result<Outcome, String> {
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
    let summarise = |table: &FactsTable| match approximate {
        Some(capacity) => PopulationStats::approximate(table, capacity),
        None => PopulationStats::of(table),
    };
    let mut stats = PopulationStats::default();
    for table in &tables {
        stats.merge(&summarise(table)).map_err(|e| e.to_string())?;
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
    let mut parts = Vec::with_capacity(tables.len());
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
        parts.push(part);
    }
    if approximate.is_some() {
        return Ok(approximate_report(out, &stats, &single, &parts));
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
    Ok(Outcome::Differing(differing))
}

/// Prints how far a run with approximate statistics is from the single pass.
fn approximate_report(
    out: &mut String,
    stats: &PopulationStats,
    single: &Segmentation,
    parts: &[Segmentation],
) -> Outcome {
    let purchasers = stats.monetary_total();
    let bound = stats.monetary_error_bound();
    let percent = |count: u64| 100.0 * count as f64 / purchasers.max(1) as f64;
    let (mut max_greater, mut score_moved, mut max_step, mut band_moved, mut rf_moved) =
        (0u64, 0u64, 0u8, 0u64, 0u64);
    for row in parts.iter().flat_map(Segmentation::iter) {
        let Some(want) = single.get(row.customer) else {
            continue;
        };
        if let (Some(got), Some(exact)) = (row.monetary_top_share, want.monetary_top_share) {
            max_greater = max_greater.max(u64::from(got.greater.abs_diff(exact.greater)));
        }
        if let (Some(got), Some(exact)) = (row.scores, want.scores) {
            if got[2] != exact[2] {
                score_moved += 1;
                max_step = max_step.max(got[2].abs_diff(exact[2]));
            }
            if got[..2] != exact[..2] {
                rf_moved += 1;
            }
        }
        if row.monetary_band != want.monetary_band {
            band_moved += 1;
        }
    }
    if let Some(sketch) = stats.monetary_sketch() {
        let _ = writeln!(
            out,
            "approximate statistics: spend of {purchasers} purchasers in a quantile sketch of capacity {} ({} values kept), rank-error bound {bound} purchasers ({:.2}%)",
            sketch.capacity().get(),
            sketch.retained(),
            percent(bound)
        );
    }
    let _ =
        writeln!(
        out,
        "monetary top share: largest difference {max_greater} purchasers ({:.2}%), {} the bound",
        percent(max_greater),
        if max_greater <= bound { "within" } else { "beyond" }
    );
    let _ = writeln!(
        out,
        "monetary score: {score_moved} of {purchasers} purchasers differ ({:.2}%){}",
        percent(score_moved),
        if score_moved > 0 {
            format!(", by at most {max_step}")
        } else {
            String::new()
        }
    );
    let _ = writeln!(
        out,
        "monetary band: {band_moved} of {purchasers} purchasers differ ({:.2}%)",
        percent(band_moved)
    );
    let _ = writeln!(
        out,
        "recency and frequency scores: {}",
        if rf_moved == 0 {
            "identical (counted exactly)".to_owned()
        } else {
            format!("{rf_moved} purchasers differ")
        }
    );
    let thresholds = |s: &Segmentation| {
        s.thresholds()
            .monetary
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(", ")
    };
    if let Some(part) = parts.first() {
        let _ = writeln!(
            out,
            "monetary thresholds: single pass [{}], approximate [{}]",
            thresholds(single),
            thresholds(part)
        );
    }
    if max_greater <= bound {
        Outcome::WithinBound
    } else {
        Outcome::BeyondBound {
            found: max_greater,
            bound,
        }
    }
}

/// Reads the shipped orders; an error names the file and line.
fn load() -> Result<Vec<Order>, String> {
    common::csv_rows(ORDERS, common::OrderRow::into_order)
}
