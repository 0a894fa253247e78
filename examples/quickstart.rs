//! The one command that shows what the crate does, on data shipped in the repository:
//! a synthetic base of 2,000 customers of a Chinese web shop (`generate_data` makes it),
//! validated, folded into per-customer facts as of the end of 2024 in Shanghai, and
//! summarised; then segmented by the reference policy — lifecycle stage, tier and RFM
//! segment, with what each label means and one customer's full explanation — then the
//! next day's plan of maintenance actions by the reference playbooks and contact policy,
//! the headline order KPIs of 2024 against 2023, and a BG/NBD fit on the
//! repeat-purchase summary.
//!
//! ```sh
//! cargo run --release --example quickstart
//! cargo run --release --example quickstart -- --explain 42    # another customer
//! cargo run --release --example quickstart -- --help
//! ```
//!
//! The data is four CSV files in `examples/data/` (UTF-8, a header line, read with the
//! `csv` crate): `customers.csv`
//! (`id,registered_at,source,time_zone,birthday,points,consents`; consents are channels
//! opted in to at registration, most preferred first, e.g. `wechat|sms`),
//! `orders.csv` (`id,customer,placed_at,amount,currency,status,refunded` — the order
//! layout the `segment` example and the README document), `refunds.csv`
//! (`customer,order,at,amount,currency`) and `interactions.csv` (`customer,kind,at`).
//! Four records in them are deliberately wrong, so the validation runs in lenient mode
//! here and shows what it rejected; a host's own pipeline validates strictly.

mod common;

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::process::ExitCode;

use chrono::NaiveDate;
use common::Stop;
use patronage::facts::FrequencyBand;
use patronage::kpi::{OrderOptions, OrderTally, Period};
use patronage::plan::{PlanInput, Profile, SourceKind, Vocabulary};
use patronage::predict::{fit_bgnbd, FitOptions, ObservationTable};
use patronage::{
    Aggregator, Config, Currency, Customer, CustomerId, Dimension, FactsTable, InteractionKind,
    Money, Order, RepeatSummaryBuilder, Segmentation, Segmenter, ValidationMode, Validator,
};
use rust_decimal::Decimal;

const HELP: &str = "\
quickstart: the crate's main job on the synthetic shop shipped in examples/data/.

usage:
  quickstart                   validate, fold facts, segment, explain one customer, fit BG/NBD
  quickstart --explain ID      explain customer ID instead of the one picked
  quickstart --help            this text

data (examples/data/, CSV with a header line):
  customers.csv     id,registered_at,source,time_zone,birthday,points,consents
  orders.csv        id,customer,placed_at,amount,currency,status,refunded
  refunds.csv       customer,order,at,amount,currency
  interactions.csv  customer,kind,at
";

/// What each labelling answers, printed beside its counts.
const LABELS: [(&str, &str); 3] = [
    (
        "lifecycle stage",
        "where is the customer in the relationship? absolute day thresholds on \
         registration, first and last purchase, logins and interest (SPEC §8)",
    ),
    (
        "tier",
        "how much attention now? spend rank (top 20% / 50%), frequency and recency, \
         then the stage (SPEC §8)",
    ),
    (
        "RFM segment",
        "how does the customer compare with this base? R, F and M scores are quintiles \
         of this population (R `rfm` 0.3.0 table)",
    ),
];

fn main() -> ExitCode {
    common::exit("quickstart", run())
}

fn run() -> Result<(), Stop> {
    let mut line = common::CommandLine::from_env()?;
    let mut explain = None;
    while let Some(flag) = line.next_flag()? {
        match flag.as_str() {
            "--help" | "-h" => return common::print(HELP),
            "--explain" => {
                explain = Some(line.parsed(&flag, |v| {
                    v.parse::<u64>()
                        .map_err(|_| "a customer id (a whole number)".to_owned())
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
    report(&mut out, explain).map_err(Stop::fail)?;
    common::print(&out)
}

/// Writes the whole report; an error is a message naming what failed.
fn report(out: &mut String, explain: Option<u64>) -> Result<(), String> {
    let records = common::shop::load()?;
    line(
        out,
        format!(
            "patronage quickstart: a synthetic shop of {} customers\nloaded {} orders, {} refund events, {} interactions",
            records.customers.len(),
            records.orders.len(),
            records.refunds.len(),
            records.interactions.len()
        ),
    );

    // 1. Validation (R5): lenient mode keeps going and reports every reject.
    let report =
        Validator::validate(records, ValidationMode::Lenient).map_err(|e| e.to_string())?;
    line(
        out,
        format!(
            "\n== validation: {} records rejected ==",
            report.rejected.len()
        ),
    );
    for error in &report.rejected {
        line(out, format!("  {error}"));
    }

    // 2. Facts as of the end of 2024 in the company's zone (R4). The config's facts
    //    section is the one source of zone, window and bands; the table keeps them.
    let mut config = Config::reference();
    config.facts.time_zone = chrono_tz::Asia::Shanghai;
    config
        .facts
        .time_zone
        .name()
        .clone_into(&mut config.plan.company_zone);
    let as_of = NaiveDate::from_ymd_opt(2024, 12, 31).ok_or("bad date")?;
    let options = config
        .facts_options_on(as_of, Currency::CNY)
        .map_err(|e| e.to_string())?;
    let mut aggregator = Aggregator::new(options);
    aggregator
        .add_records(&report.accepted)
        .map_err(|e| e.to_string())?;
    let table = aggregator.into_table();
    facts_summary(out, &table)?;

    // 3. Segmentation (R6–R10, R12): stage, tier and RFM segment of every customer.
    let (segmenter, warnings) = config
        .segmenter(table.currency())
        .map_err(|e| e.to_string())?;
    for warning in &warnings {
        line(out, format!("config warning: {warning}"));
    }
    let segmentation = segmenter.run(&table).map_err(|e| e.to_string())?;
    labels(out, &segmentation)?;
    explanation(out, &segmenter, &table, &segmentation, explain)?;

    // 4. The day's plan (R14–R18): what to do for whom tomorrow, by the reference
    //    playbooks, triggers and contact policy.
    day_plan(
        out,
        &config,
        &segmenter,
        &segmentation,
        &report.accepted.customers,
    )?;

    // 5. Headline KPIs of 2024 against 2023 (R23, R26), each with its sample and verdict.
    headline_kpis(out, &config, &report.accepted.orders)?;

    // 6. The repeat-purchase summary that the BG/NBD model fits (R28).
    let mut builder = RepeatSummaryBuilder::new(options.as_of_date(), options.currency())
        .with_time_zone(options.time_zone());
    for order in &report.accepted.orders {
        builder.add_order(order).map_err(|e| e.to_string())?;
    }
    let summary = builder.finish().map_err(|e| e.to_string())?;
    let repeaters = summary.iter().filter(|s| s.x > 0).count();
    let mean_x = summary.iter().map(|s| f64::from(s.x)).sum::<f64>() / summary.len().max(1) as f64;
    line(
        out,
        format!(
            "\n== repeat purchases and BG/NBD ==\n{} buyers, {repeaters} repeat buyers, mean x = {mean_x:.2} repeat days",
            summary.len()
        ),
    );
    // The BG/NBD fit on it, in weeks (R28): how likely each buyer is still active.
    let observations =
        ObservationTable::from_summaries(&summary, 7.0).map_err(|e| e.to_string())?;
    let fit = fit_bgnbd(&observations, &FitOptions::default()).map_err(|e| e.to_string())?;
    let p_alive: Vec<f64> = observations
        .iter()
        .map(|o| fit.params.p_alive(&o))
        .collect();
    let likely_gone = p_alive.iter().filter(|&&p| p < 0.5).count();
    line(
        out,
        format!(
            "P(alive): mean {:.2}, {likely_gone} buyers below 0.5",
            p_alive.iter().sum::<f64>() / p_alive.len().max(1) as f64
        ),
    );
    Ok(())
}

/// The plan for the first day after the facts: counts per action and per suppression
/// reason, and three planned actions with their reasons.
fn day_plan(
    out: &mut String,
    config: &Config,
    segmenter: &Segmenter,
    segmentation: &Segmentation,
    customers: &[Customer],
) -> Result<(), String> {
    let (planner, warnings) = config
        .planner(&Vocabulary::from_segmentation(segmentation))
        .map_err(|e| e.to_string())?;
    for warning in &warnings {
        line(out, format!("plan config warning: {warning}"));
    }
    // The planner reads one profile and one record per customer, both by id.
    let mut records: Vec<Customer> = customers.to_vec();
    records.sort_by_key(|c| c.id);
    let profiles: Vec<Profile> = Profile::from_segmenter(segmenter, segmentation)
        .into_iter()
        .filter(|p| records.binary_search_by_key(&p.customer, |c| c.id).is_ok())
        .collect();
    records.retain(|c| profiles.binary_search_by_key(&c.id, |p| p.customer).is_ok());
    // The morning after the facts' day, in the company's zone.
    let morning = segmentation
        .facts_options()
        .as_of()
        .checked_add_signed(chrono::Duration::hours(10))
        .ok_or("the plan day overflows")?;
    let plan = planner
        .plan(&PlanInput::new(morning, &profiles, &records))
        .map_err(|e| e.to_string())?;
    line(
        out,
        format!(
            "\n== the plan for {} ==\n{} actions planned, {} suppressed, {} held out for control groups",
            plan.date,
            plan.actions.len(),
            plan.suppressed.len(),
            plan.held_out.len()
        ),
    );
    let mut per_action: BTreeMap<&str, usize> = BTreeMap::new();
    for action in &plan.actions {
        *per_action.entry(action.action.as_str()).or_default() += 1;
    }
    line(out, "planned, per action:");
    for (action, n) in &per_action {
        line(out, format!("  {action:<28} {n:>6}"));
    }
    line(out, "suppressed, per policy:");
    for count in &plan.summary.suppressions {
        line(
            out,
            format!("  {:<28} {:>6}", count.policy.as_str(), count.count),
        );
    }
    line(out, "three planned actions and why:");
    let step = (plan.actions.len() / 3).max(1);
    for action in plan.actions.iter().step_by(step).take(3) {
        let channel = action
            .channel
            .map_or_else(|| "no channel".to_owned(), |c| c.to_string());
        line(
            out,
            format!(
                "  customer {}: {} by {channel} at {} — {} `{}`: {}",
                action.customer,
                action.action,
                action.due.format("%Y-%m-%d %H:%M UTC"),
                if matches!(action.reason.source, SourceKind::Playbook) {
                    "playbook"
                } else {
                    "trigger"
                },
                action.reason.name,
                action.reason.detail
            ),
        );
    }
    Ok(())
}

/// The order KPIs of 2024 in the company's zone, against the same period a year before.
fn headline_kpis(out: &mut String, config: &Config, orders: &[Order]) -> Result<(), String> {
    let targets = config.kpi.targets().map_err(|e| e.to_string())?;
    let year = Period::year(2024, config.facts.time_zone).map_err(|e| e.to_string())?;
    let tally = OrderTally::from_orders(orders, &year, OrderOptions::new(Currency::CNY))
        .map_err(|e| e.to_string())?;
    line(out, "\n== headline KPIs, 2024 against 2023 ==");
    for kpi in [
        tally
            .repeat_retention(&targets)
            .map_err(|e| e.to_string())?,
        tally
            .classic_retention(&targets)
            .map_err(|e| e.to_string())?,
        tally.repurchase_lift(&targets),
        tally.average_order_value(&targets),
        tally.aov_lift(&targets),
    ] {
        line(out, format!("  {kpi}"));
    }
    Ok(())
}

fn line(out: &mut String, text: impl std::fmt::Display) {
    // Writing to a `String` cannot fail.
    let _ = writeln!(out, "{text}");
}

/// The facts of the whole base, in numbers.
fn facts_summary(out: &mut String, table: &FactsTable) -> Result<(), String> {
    let options = table.options();
    line(
        out,
        format!(
            "\n== facts as of {} ({}) ==",
            options.as_of_date(),
            options.time_zone()
        ),
    );
    let purchasers = table.purchases().iter().filter(|&&n| n > 0).count();
    let mut net = Decimal::ZERO;
    for amount in table.monetary() {
        net = net.checked_add(*amount).ok_or("net spend overflows")?;
    }
    let purchases: u64 = table.purchases().iter().map(|&n| u64::from(n)).sum();
    let total = |column: &[u32]| column.iter().map(|&n| u64::from(n)).sum::<u64>();
    line(out, format!("customers          {:>8}", table.len()));
    line(out, format!("purchasers         {purchasers:>8}"));
    line(out, format!("purchases          {purchases:>8}"));
    line(
        out,
        format!("refunds            {:>8}", total(table.refunds())),
    );
    line(
        out,
        format!("cancelled orders   {:>8}", total(table.cancelled())),
    );
    line(
        out,
        format!(
            "net spend          {:>14}",
            Money::new(net, table.currency()).rounded().to_string()
        ),
    );
    if purchases > 0 {
        let aov = net
            .checked_div(Decimal::from(purchases))
            .ok_or("no purchases")?;
        line(
            out,
            format!(
                "average order      {:>14}",
                Money::new(aov, table.currency()).rounded().to_string()
            ),
        );
    }

    line(out, "\nrecency of purchasers (days since last purchase):");
    let mut recency = [0_usize; 4];
    for days in table.recency_days().iter().flatten() {
        let bucket = match days {
            0..=30 => 0,
            31..=90 => 1,
            91..=180 => 2,
            _ => 3,
        };
        if let Some(n) = recency.get_mut(bucket) {
            *n += 1;
        }
    }
    for (bucket, n) in ["0-30", "31-90", "91-180", ">180"].iter().zip(recency) {
        line(out, format!("  {bucket:>8} {n:>6}  {}", bar(n, purchasers)));
    }

    line(out, "\nfrequency bands (purchases in the last 365 days):");
    for (name, band) in [
        ("monthly", FrequencyBand::Monthly),
        ("quarterly", FrequencyBand::Quarterly),
        ("yearly", FrequencyBand::Yearly),
        ("below", FrequencyBand::Below),
    ] {
        let n = table
            .frequency_band()
            .iter()
            .filter(|&&b| b == band)
            .count();
        line(out, format!("  {name:>9} {n:>6}  {}", bar(n, table.len())));
    }
    let weekly = table
        .interacted()
        .filter(|(_, summary)| summary.weekly_logins.iter().all(|&n| n > 0))
        .count();
    let with_points = (0..table.len())
        .filter(|row| table.points(*row).is_some())
        .count();
    line(
        out,
        format!("\nlogged in each of the last 4 weeks            {weekly:>6}"),
    );
    line(
        out,
        format!("customers with loyalty points on record       {with_points:>6}"),
    );
    line(
        out,
        format!(
            "complaints                                    {:>6}",
            table
                .interacted()
                .map(|(_, summary)| u64::from(
                    summary.interactions.count(InteractionKind::Complaint)
                ))
                .sum::<u64>()
        ),
    );
    Ok(())
}

/// The three labellings: what each means, how many customers carry each value, and
/// how stage and tier overlap.
fn labels(out: &mut String, segmentation: &Segmentation) -> Result<(), String> {
    for ((title, meaning), dimension) in
        LABELS
            .iter()
            .zip([Dimension::Stage, Dimension::Tier, Dimension::RfmSegment])
    {
        line(out, format!("\n== customers per {title} ==\n  ({meaning})"));
        for row in segmentation
            .summary(&dimension)
            .map_err(|e| e.to_string())?
        {
            let aov = row
                .average_order_value
                .map_or_else(|| "-".to_owned(), |aov| aov.to_string());
            line(
                out,
                format!(
                    "  {:<20} {:>6} customers {:>7} purchases   AOV {:>8}",
                    row.name, row.customers, row.purchases, aov
                ),
            );
        }
    }

    // The labels answer different questions, so they overlap rather than agree.
    let mut pairs: BTreeMap<(&str, &str), usize> = BTreeMap::new();
    for row in segmentation.iter() {
        let stage = row.stage.unwrap_or("none");
        *pairs
            .entry((stage, row.rfm_segment.unwrap_or("none")))
            .or_default() += 1;
    }
    line(
        out,
        "\n== why the labels differ ==\nstage and RFM segment of the same purchasers (the most common pairs):",
    );
    let mut common: Vec<_> = pairs
        .into_iter()
        .filter(|((_, segment), _)| *segment != "none")
        .collect();
    common.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    for ((stage, segment), n) in common.iter().take(10) {
        line(out, format!("  stage {stage:<10} RFM {segment:<20} {n:>6}"));
    }
    line(
        out,
        "Stage uses absolute thresholds (churned: no purchase for 180+ days); the RFM segment \
         ranks customers against this base, so in a base where most buyers lapsed long ago a \
         churned customer can still score as a `Potential Loyalist`. Stage `new` is a first \
         purchase within 30 days; tier `new` is exactly one purchase, recently, checked after \
         the spend rows, so a new big spender is tier `high_value_active`.",
    );
    Ok(())
}

/// One customer's full explanation: the facts, the labels and the rows that decided
/// them. Picks a customer whose labels seem to disagree unless one is asked for.
fn explanation(
    out: &mut String,
    segmenter: &Segmenter,
    table: &FactsTable,
    segmentation: &Segmentation,
    asked: Option<u64>,
) -> Result<(), String> {
    let picked = asked.map(CustomerId).or_else(|| {
        segmentation
            .iter()
            .find(|row| {
                row.stage == Some("churned")
                    && !matches!(
                        row.rfm_segment,
                        Some("Lost" | "Hibernating" | "About To Sleep")
                    )
            })
            .or_else(|| {
                segmentation
                    .iter()
                    .find(|row| row.tier == Some("high_value_active"))
            })
            .map(|row| row.customer)
    });
    let Some(customer) = picked else {
        return Ok(());
    };
    let why = segmenter
        .explain(table, segmentation, customer)
        .map_err(|e| format!("`--explain {customer}`: {e}"))?;
    let row = segmentation
        .get(customer)
        .ok_or_else(|| format!("customer `{customer}` is not in the segmentation"))?;
    line(
        out,
        format!(
            "\n== customer {customer}, explained ==\nfacts: {}, {} purchases ({} in the last 365 days), net spend {}",
            row.recency_days.map_or_else(
                || "no purchase".to_owned(),
                |d| format!("last purchase {d} days ago")
            ),
            row.purchases,
            row.frequency,
            Money::new(row.monetary, table.currency()).rounded(),
        ),
    );
    line(
        out,
        format!(
            "labels: stage `{}`, tier `{}`, RFM segment `{}`, VIP level `{}`",
            row.stage.unwrap_or("none"),
            row.tier.unwrap_or("none"),
            row.rfm_segment.unwrap_or("none"),
            row.vip_level.unwrap_or("none"),
        ),
    );
    if let Some([r, f, m]) = why.scores {
        line(out, format!("RFM scores R{r} F{f} M{m} (5 = best)"));
    }
    if let Some(segment) = &why.rfm_segment_table {
        line(out, format!("\nRFM segment: {segment}"));
    }
    line(out, format!("\nstage: {}", why.stage));
    line(out, format!("\ntier: {}", why.tier));
    Ok(())
}

fn bar(n: usize, total: usize) -> String {
    let width = (n * 40).checked_div(total).unwrap_or(0);
    format!(
        "{} {:.1}%",
        "#".repeat(width),
        100.0 * n as f64 / total.max(1) as f64
    )
}

// ---- the shipped files -----------------------------------------------------------
