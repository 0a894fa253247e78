//! The one command that shows what the crate does, on data shipped in the repository:
//! a synthetic base of 2,000 customers of a Chinese web shop (see `generate_data`),
//! validated leniently, folded into per-customer facts as of the last second of 2024
//! in Shanghai, and summarised; then segmented by the reference policy (tiers,
//! lifecycle stages, RFM segments), ending with a BG/NBD fit on its repeat-purchase
//! summary.
//!
//! ```sh
//! cargo run --release --example quickstart
//! ```

use std::error::Error;

use chrono::{DateTime, Utc};
use patronage::customer::{Birthday, Source};
use patronage::facts::FrequencyBand;
use patronage::predict::{fit_bgnbd, FitOptions, ObservationTable};
use patronage::{
    Aggregator, Config, Currency, Customer, CustomerId, Dimension, FactsOptions, Interaction,
    InteractionKind, Money, Order, OrderId, OrderStatus, Records, Refund, RepeatSummaryBuilder,
    ValidationMode, Validator,
};
use rust_decimal::Decimal;

const CUSTOMERS: &str = include_str!("data/customers.csv");
const ORDERS: &str = include_str!("data/orders.csv");
const REFUNDS: &str = include_str!("data/refunds.csv");
const INTERACTIONS: &str = include_str!("data/interactions.csv");

fn main() -> Result<(), Box<dyn Error>> {
    let records = load()?;
    println!(
        "patronage quickstart: a synthetic shop of {} customers",
        records.customers.len()
    );
    println!(
        "loaded {} orders, {} refund events, {} interactions",
        records.orders.len(),
        records.refunds.len(),
        records.interactions.len()
    );

    // 1. Validation (R5): lenient mode keeps going and reports every reject.
    let report = Validator::validate(records, ValidationMode::Lenient)?;
    println!(
        "\n== validation: {} records rejected ==",
        report.rejected.len()
    );
    for error in &report.rejected {
        println!("  {error}");
    }

    // 2. Facts as of the end of 2024 in the company's zone (R4).
    let as_of: DateTime<Utc> = "2024-12-31T15:59:59Z".parse()?;
    let options = FactsOptions::new(as_of, Currency::CNY).with_time_zone(chrono_tz::Asia::Shanghai);
    let mut aggregator = Aggregator::new(options);
    let accepted = &report.accepted;
    aggregator.add_records(accepted)?;
    let table = aggregator.into_table();
    println!(
        "\n== facts as of {} ({}) ==",
        options.as_of_date(),
        options.time_zone()
    );

    let purchasers = table.purchases().iter().filter(|&&n| n > 0).count();
    let mut net = Decimal::ZERO;
    for amount in table.monetary() {
        net = net.checked_add(*amount).ok_or("net spend overflows")?;
    }
    let purchases: u64 = table.purchases().iter().map(|&n| u64::from(n)).sum();
    println!("customers          {:>8}", table.len());
    println!("purchasers         {purchasers:>8}");
    println!("purchases          {purchases:>8}");
    println!(
        "refunds            {:>8}",
        table.refunds().iter().map(|&n| u64::from(n)).sum::<u64>()
    );
    println!(
        "cancelled orders   {:>8}",
        table.cancelled().iter().map(|&n| u64::from(n)).sum::<u64>()
    );
    println!(
        "net spend          {:>14}",
        Money::new(net, table.currency()).rounded().to_string()
    );
    if purchases > 0 {
        let aov = net
            .checked_div(Decimal::from(purchases))
            .ok_or("no purchases")?;
        println!(
            "average order      {:>14}",
            Money::new(aov, table.currency()).rounded().to_string()
        );
    }

    println!("\nrecency of purchasers (days since last purchase):");
    let buckets = ["0-30", "31-90", "91-180", ">180"];
    let mut recency = [0_usize; 4];
    for days in table.recency_days().iter().flatten() {
        let idx = match days {
            0..=30 => 0,
            31..=90 => 1,
            91..=180 => 2,
            _ => 3,
        };
        if let Some(n) = recency.get_mut(idx) {
            *n += 1;
        }
    }
    for (bucket, n) in buckets.iter().zip(recency) {
        println!("  {bucket:>8} {n:>6}  {}", bar(n, purchasers));
    }

    println!("\nfrequency bands (purchases in the last 365 days):");
    for band in [
        FrequencyBand::Monthly,
        FrequencyBand::Quarterly,
        FrequencyBand::Yearly,
        FrequencyBand::Below,
    ] {
        let n = table
            .frequency_band()
            .iter()
            .filter(|&&b| b == band)
            .count();
        println!(
            "  {:>9} {n:>6}  {}",
            format!("{band:?}").to_lowercase(),
            bar(n, table.len())
        );
    }

    let potential = (0..table.len())
        .filter(|&i| {
            table.purchases().get(i) == Some(&0) && table.shown_interest().get(i) == Some(&true)
        })
        .count();
    let weekly = table
        .weekly_logins()
        .iter()
        .filter(|w| w.iter().all(|&n| n > 0))
        .count();
    let silent = table
        .days_since_last_interaction()
        .iter()
        .zip(table.recency_days())
        .filter(|(i, r)| i.map_or(true, |d| d > 180) && r.is_some_and(|d| d > 180))
        .count();
    println!("\nnon-buyers who browsed, favourited or carted   {potential:>6}");
    println!("logged in each of the last 4 weeks            {weekly:>6}");
    println!("no purchase and no interaction for 180+ days  {silent:>6}");
    println!(
        "complaints                                    {:>6}",
        table
            .interaction_count(InteractionKind::Complaint)
            .iter()
            .map(|&n| u64::from(n))
            .sum::<u64>()
    );

    println!("\ntop 5 customers by net spend:");
    let mut order: Vec<usize> = (0..table.len()).collect();
    order.sort_by(|&a, &b| table.monetary().get(b).cmp(&table.monetary().get(a)));
    for &i in order.iter().take(5) {
        if let Some(f) = table.row(i) {
            println!(
                "  customer {:>5}  {:>12}  {:>3} purchases, last {} days ago",
                f.customer,
                Money::new(f.monetary, table.currency())
                    .rounded()
                    .to_string(),
                f.purchases,
                f.recency_days.unwrap_or(0),
            );
        }
    }

    // 3. Segmentation (R6–R10, R12): tier, lifecycle stage and RFM segment of every
    //    customer by the reference policy (SPEC §8), with R `rfm`'s segment summary.
    let config = Config::reference();
    let (segmenter, warnings) = config.segmenter(table.currency())?;
    for warning in &warnings {
        println!("config warning: {warning}");
    }
    let segmentation = segmenter.run(&table)?;
    for (title, dimension) in [
        ("tier", Dimension::Tier),
        ("lifecycle stage", Dimension::Stage),
        ("RFM segment (R rfm 0.3.0 table)", Dimension::RfmSegment),
    ] {
        println!("\n== customers per {title} ==");
        for row in segmentation.summary(&dimension)? {
            let aov = row
                .average_order_value
                .map_or_else(|| "-".to_owned(), |aov| aov.to_string());
            println!(
                "  {:<20} {:>6} customers {:>7} purchases   AOV {:>8}",
                row.name, row.customers, row.purchases, aov
            );
        }
    }

    // 4. The repeat-purchase summary that the BG/NBD model fits (R28).
    let mut builder = RepeatSummaryBuilder::new(options.as_of_date(), options.currency())
        .with_time_zone(options.time_zone());
    for order in &accepted.orders {
        builder.add_order(order)?;
    }
    let summary = builder.finish()?;
    let repeaters = summary.iter().filter(|s| s.x > 0).count();
    let mean_x = summary.iter().map(|s| f64::from(s.x)).sum::<f64>() / summary.len().max(1) as f64;
    println!(
        "\nrepeat-purchase summary: {} buyers, {repeaters} repeat buyers, mean x = {mean_x:.2} repeat days",
        summary.len()
    );
    // The BG/NBD fit on it, in weeks (R28): how likely each buyer is still active.
    let table = ObservationTable::from_summaries(&summary, 7.0)?;
    let fit = fit_bgnbd(&table, &FitOptions::default())?;
    let p_alive: Vec<f64> = table.iter().map(|o| fit.params.p_alive(&o)).collect();
    let likely_gone = p_alive.iter().filter(|&&p| p < 0.5).count();
    println!(
        "BG/NBD P(alive): mean {:.2}, {likely_gone} buyers below 0.5",
        p_alive.iter().sum::<f64>() / p_alive.len().max(1) as f64
    );
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

/// Parses the four shipped CSV files (plain comma-separated, no quoting).
fn load() -> Result<Records, Box<dyn Error>> {
    let rows = |text: &'static str| {
        text.lines()
            .skip(1)
            .map(|line| line.split(',').collect::<Vec<_>>())
    };
    let mut records = Records::default();
    for cols in rows(CUSTOMERS) {
        let [id, registered_at, source, zone, birthday, vip] = cols[..] else {
            return Err(format!("bad customer row {cols:?}").into());
        };
        let mut c = Customer::new(CustomerId(id.parse()?));
        c.registered_at = Some(registered_at.parse()?);
        c.source = Some(match source {
            "own_site" => Source::OwnSite,
            "app" => Source::App,
            "mini_program" => Source::MiniProgram,
            "offline_store" => Source::OfflineStore,
            other => match other.strip_prefix("marketplace:") {
                Some(name) => Source::Marketplace(name.to_owned()),
                None => Source::Other(other.to_owned()),
            },
        });
        c.set_time_zone(zone)?;
        if let Some((month, day)) = birthday.split_once('-') {
            c.birthday = Some(Birthday::try_new(month.parse()?, day.parse()?, None)?);
        }
        let _ = vip;
        records.customers.push(c);
    }
    for cols in rows(ORDERS) {
        let [id, customer, at, amount, currency, status, refunded] = cols[..] else {
            return Err(format!("bad order row {cols:?}").into());
        };
        let status = match status {
            "paid" => OrderStatus::Paid,
            "cancelled" => OrderStatus::Cancelled,
            "refunded" => OrderStatus::Refunded,
            "partially_refunded" => OrderStatus::PartiallyRefunded {
                refunded: refunded.parse()?,
            },
            other => return Err(format!("unknown status {other}").into()),
        };
        let amount = Money::new(amount.parse()?, currency.parse()?);
        records.orders.push(Order::new(
            OrderId(id.parse()?),
            CustomerId(customer.parse()?),
            at.parse()?,
            amount,
            status,
        ));
    }
    for cols in rows(REFUNDS) {
        let [customer, order, at, amount, currency] = cols[..] else {
            return Err(format!("bad refund row {cols:?}").into());
        };
        let order = if order.is_empty() {
            None
        } else {
            Some(OrderId(order.parse()?))
        };
        records.refunds.push(Refund::new(
            CustomerId(customer.parse()?),
            order,
            at.parse()?,
            Money::new(amount.parse()?, currency.parse()?),
        ));
    }
    for cols in rows(INTERACTIONS) {
        let [customer, kind, at] = cols[..] else {
            return Err(format!("bad interaction row {cols:?}").into());
        };
        let kind = InteractionKind::ALL
            .into_iter()
            .find(|k| k.as_str() == kind)
            .ok_or_else(|| format!("unknown interaction kind {kind}"))?;
        records.interactions.push(Interaction::new(
            CustomerId(customer.parse()?),
            kind,
            at.parse()?,
        ));
    }
    Ok(records)
}
