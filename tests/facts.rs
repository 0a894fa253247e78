//! Integration tests: facts (SPEC §8 cases, merge properties, the facts table).

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use patronage::{
    Aggregator, Currency, Customer, CustomerId, FactsOptions, FactsTable, Interaction, Money,
    Order, Refund,
};
use serde::Deserialize;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Cases {
    case: Vec<Case>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Case {
    name: String,
    as_of: DateTime<Utc>,
    #[serde(default)]
    time_zone: Option<String>,
    #[serde(default)]
    window: Option<toml::Value>,
    #[serde(default)]
    ignored: u64,
    #[serde(default)]
    customers: Vec<Customer>,
    #[serde(default)]
    orders: Vec<Order>,
    #[serde(default)]
    refunds: Vec<Refund>,
    #[serde(default)]
    interactions: Vec<Interaction>,
    #[serde(default)]
    dated_purchases: Vec<DatedPurchase>,
    expect: BTreeMap<String, BTreeMap<String, toml::Value>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DatedPurchase {
    customer: u64,
    date: NaiveDate,
    amount: rust_decimal::Decimal,
    count: u32,
}

fn options(case: &Case) -> FactsOptions {
    let mut options = FactsOptions::new(case.as_of, Currency::CNY);
    if let Some(tz) = &case.time_zone {
        options = options.time_zone(tz.parse().unwrap());
    }
    match &case.window {
        None => {}
        Some(toml::Value::String(s)) if s == "all" => options = options.frequency_window_days(None),
        Some(toml::Value::Integer(n)) => {
            options = options.frequency_window_days(Some(u32::try_from(*n).unwrap()));
        }
        Some(other) => panic!("{}: bad window {other}", case.name),
    }
    options
}

fn fold(case: &Case) -> Aggregator {
    let mut agg = Aggregator::new(options(case));
    for c in &case.customers {
        agg.add_customer(c);
    }
    for o in &case.orders {
        agg.add_order(o).unwrap();
    }
    for r in &case.refunds {
        agg.add_refund(r).unwrap();
    }
    for i in &case.interactions {
        agg.add_interaction(i);
    }
    for p in &case.dated_purchases {
        for _ in 0..p.count {
            agg.add_purchase_on(
                CustomerId(p.customer),
                p.date,
                Money::new(p.amount, Currency::CNY),
            )
            .unwrap();
        }
    }
    agg
}

fn load() -> Cases {
    toml::from_str(include_str!("data/facts/cases.toml"))
        .unwrap_or_else(|e| panic!("{}", e.message()))
}

/// Compares the expected fields with the facts' serde form.
fn check(case: &Case) {
    let agg = fold(case);
    assert_eq!(
        agg.ignored_after_as_of(),
        case.ignored,
        "{}: ignored",
        case.name
    );
    for (id, fields) in &case.expect {
        let facts = agg
            .facts(CustomerId(id.parse().unwrap()))
            .unwrap_or_else(|| panic!("{}: no facts for {id}", case.name));
        let actual = serde_json::to_value(&facts).unwrap();
        for (field, expected) in fields {
            let expected = match expected {
                toml::Value::String(s) if s == "none" => serde_json::Value::Null,
                other => serde_json::to_value(other).unwrap(),
            };
            let got = actual
                .get(field)
                .unwrap_or_else(|| panic!("{}: no field `{field}`", case.name));
            assert_eq!(
                got, &expected,
                "{}: customer {id} field `{field}`",
                case.name
            );
        }
    }
}

#[test]
fn spec_cases() {
    let cases = load();
    assert!(cases.case.len() >= 10);
    for case in &cases.case {
        check(case);
    }
}

#[test]
fn table_columns_match_rows_and_are_sorted() {
    let cases = load();
    let case = cases
        .case
        .iter()
        .find(|c| c.name.starts_with("weekly login"))
        .unwrap();
    let agg = fold(case);
    let facts = agg.to_facts();
    let table = agg.into_table();
    assert_eq!(table.len(), 2);
    assert_eq!(table.customer_ids(), &[CustomerId(6), CustomerId(8)]);
    assert_eq!(table.row(0).as_ref(), facts.first());
    assert_eq!(table.row(2), None);
    assert_eq!(
        table.interaction_count(patronage::InteractionKind::Login),
        &[7, 0]
    );
    let rebuilt = FactsTable::from_facts(Currency::CNY, facts.into_iter().rev()).unwrap();
    assert_eq!(rebuilt, table);
    assert_eq!(table.position(CustomerId(8)), Some(1));
    assert_eq!(table.position(CustomerId(7)), None);
}

/// The repeat-purchase summary of the CDNOW sample, calibration ending 1997-09-30,
/// against the published summary (weeks, 2 decimals) and `zbar` (within 0.01).
#[test]
fn cdnow_repeat_summary_matches_published() {
    use patronage::RepeatSummaryBuilder;
    use rust_decimal::prelude::ToPrimitive;

    let end = NaiveDate::from_ymd_opt(1997, 9, 30).unwrap();
    let mut builder = RepeatSummaryBuilder::new(end);
    let mut rows = 0;
    for line in include_str!("data/cdnow/CDNOW_sample.txt").lines() {
        let cols: Vec<&str> = line.split_whitespace().collect();
        if cols.is_empty() {
            continue;
        }
        let [_, id, date, _, value] = cols[..] else {
            panic!("bad line {line:?}")
        };
        let date = NaiveDate::parse_from_str(date, "%Y%m%d").unwrap();
        builder
            .add_purchase(
                CustomerId(id.parse().unwrap()),
                date,
                value.parse().unwrap(),
            )
            .unwrap();
        rows += 1;
    }
    assert_eq!(rows, 6919);
    assert!(builder.ignored_after_end() > 0);
    let summary = builder.finish().unwrap();
    assert_eq!(summary.len(), 2357);

    let published = include_str!("data/cdnow/cdnow_customers_summary_with_transactions.csv");
    let plain = include_str!("data/cdnow/cdnow_customers_summary.csv");
    let two = |x: f64| format!("{x:.2}");
    let mut matched = 0;
    for ((row, line), plain_line) in summary
        .iter()
        .zip(published.lines().skip(1))
        .zip(plain.lines().skip(1))
    {
        let cols: Vec<&str> = line.trim().split(',').collect();
        let plain_cols: Vec<&str> = plain_line.trim().split(',').collect();
        assert_eq!(cols[0], row.customer.to_string());
        assert_eq!(plain_cols[0], row.customer.to_string());
        let ok_x = cols[1] == row.x.to_string() && plain_cols[1] == row.x.to_string();
        let ok_tx = two(cols[2].parse().unwrap()) == two(row.t_x_weeks())
            && two(plain_cols[2].parse().unwrap()) == two(row.t_x_weeks());
        let ok_t = two(cols[3].parse().unwrap()) == two(row.t_weeks())
            && two(plain_cols[3].parse().unwrap()) == two(row.t_weeks());
        let zbar: f64 = cols[4].parse().unwrap();
        let ok_z = (row.mean_repeat_value.to_f64().unwrap() - zbar).abs() <= 0.01;
        assert!(
            ok_x && ok_tx && ok_t && ok_z,
            "customer {}: {row:?} vs {line}",
            row.customer
        );
        matched += 1;
    }
    assert_eq!(matched, 2357);
}
