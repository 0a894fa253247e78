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
        options = options.with_time_zone(tz.parse().unwrap());
    }
    match &case.window {
        None => {}
        Some(toml::Value::String(s)) if s == "all" => {
            options = options.with_frequency_window_days(None);
        }
        Some(toml::Value::Integer(n)) => {
            options = options.with_frequency_window_days(Some(u32::try_from(*n).unwrap()));
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
        [0, 1, 2].map(|row| table.interaction_count(patronage::InteractionKind::Login, row)),
        [7, 0, 0]
    );
    // Both customers interacted (8 without logging in); nothing past the end.
    assert_eq!(
        table.interacted().map(|(row, _)| row).collect::<Vec<_>>(),
        [0, 1]
    );
    assert_eq!(table.interactions(2), None);
    assert_eq!(table.weekly_logins(0), table.row(0).unwrap().weekly_logins);
    let rebuilt = FactsTable::from_facts(*table.options(), facts.into_iter().rev()).unwrap();
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
    let mut builder = RepeatSummaryBuilder::new(end, Currency::USD);
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
                Money::new(value.parse().unwrap(), Currency::USD),
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

// ---- error messages of every facts path ---------------------------------------------

fn t(s: &str) -> DateTime<Utc> {
    s.parse().unwrap()
}

#[test]
fn aggregator_error_messages() {
    use patronage::{OrderId, OrderStatus};
    use rust_decimal::Decimal;
    let options = FactsOptions::new(t("2024-06-30T12:00:00Z"), Currency::CNY);
    let mut agg = Aggregator::new(options);
    let day = NaiveDate::from_ymd_opt(2024, 6, 1).unwrap();
    let e = |r: Result<(), patronage::RecordError>| r.unwrap_err().to_string();
    let order = |amount: &str, status| {
        Order::new(
            OrderId(1),
            CustomerId(2),
            t("2024-06-01T00:00:00Z"),
            amount.parse().unwrap(),
            status,
        )
    };
    assert_eq!(
        e(agg.add_order(&order("-1 CNY", OrderStatus::Paid))),
        "order `1` of customer `2`: field `amount`: expected a zero or positive amount, found `-1 CNY`"
    );
    assert_eq!(
        e(agg.add_order(&order("1 USD", OrderStatus::Paid))),
        "order `1` of customer `2`: field `amount`: expected an amount in `CNY`, found `1 USD`; convert it before folding"
    );
    assert_eq!(
        e(agg.add_purchase_on(CustomerId(3), day, "-2.50 CNY".parse().unwrap())),
        "purchase of customer `3` on 2024-06-01: field `amount`: expected a zero or positive amount, found `-2.50 CNY`"
    );
    assert_eq!(
        e(agg.add_purchase_on(CustomerId(3), day, "2.50 EUR".parse().unwrap())),
        "purchase of customer `3` on 2024-06-01: field `amount`: expected an amount in `CNY`, found `2.50 EUR`; convert it before folding"
    );
    assert_eq!(
        e(agg.add_refund_on(CustomerId(3), day, "0 CNY".parse().unwrap())),
        "refund of customer `3` on 2024-06-01: field `amount`: expected a positive amount, found `0 CNY`"
    );
    assert_eq!(
        e(agg.add_refund(&Refund::new(CustomerId(3), None, t("2024-06-01T00:00:00Z"), "1 USD".parse().unwrap()))),
        "refund of customer `3`: field `amount`: expected an amount in `CNY`, found `1 USD`; convert it before folding"
    );
    // Overflow: a total beyond Decimal's range is an error, and nothing is folded.
    let max = patronage::Money::new(Decimal::MAX, Currency::CNY);
    agg.add_purchase_on(CustomerId(4), day, max).unwrap();
    assert_eq!(
        e(agg.add_purchase_on(CustomerId(4), day, max)),
        "purchase of customer `4` on 2024-06-01: field `amount`: `79228162514264337593543950335 + 79228162514264337593543950335` overflows: amounts must stay within ±79228162514264337593543950335"
    );
    let max_order = Order::new(
        OrderId(9),
        CustomerId(4),
        t("2024-06-02T00:00:00Z"),
        max,
        OrderStatus::Paid,
    );
    assert_eq!(
        e(agg.add_order(&max_order)),
        "order `9` of customer `4`: field `amount`: `79228162514264337593543950335 + 79228162514264337593543950335` overflows: amounts must stay within ±79228162514264337593543950335"
    );
    assert_eq!(agg.facts(CustomerId(4)).unwrap().purchases, 1);
    assert_eq!(
        e(agg.add_refund_on(CustomerId(5), day, "1 USD".parse().unwrap())),
        "refund of customer `5` on 2024-06-01: field `amount`: expected an amount in `CNY`, found `1 USD`; convert it before folding"
    );
    agg.add_refund_on(CustomerId(5), day, max).unwrap();
    assert_eq!(
        e(agg.add_refund(&Refund::new(CustomerId(5), Some(OrderId(3)), t("2024-06-02T00:00:00Z"), max))),
        "refund of order `3` of customer `5`: field `amount`: `-79228162514264337593543950335 + -79228162514264337593543950335` overflows: amounts must stay within ±79228162514264337593543950335"
    );
    let facts = agg.facts(CustomerId(5)).unwrap();
    assert_eq!((facts.refunds, facts.purchases), (1, 0));
    // Nothing was folded for the rejected records.
    assert_eq!(agg.facts(CustomerId(2)), None);
    assert_eq!(agg.facts(CustomerId(3)), None);
}

#[test]
fn facts_error_messages() {
    use patronage::facts::{FactsErrorKind, FrequencyBands};
    use patronage::Facts;
    use rust_decimal::Decimal;
    let options = FactsOptions::new(t("2024-06-30T12:00:00Z"), Currency::CNY);
    let mut first = Aggregator::new(options);
    let second = Aggregator::new(
        options
            .with_frequency_window_days(None)
            .with_frequency_bands(FrequencyBands {
                monthly: 12,
                quarterly: 3,
                yearly: 1,
            }),
    );
    let err = first.merge(second).unwrap_err();
    assert_eq!(
        err.to_string(),
        "cannot merge aggregates built with different options: expected `as_of 2024-06-30T12:00:00Z, zone UTC, currency CNY, window 365 days, bands 24/4/1`, found `as_of 2024-06-30T12:00:00Z, zone UTC, currency CNY, window all time, bands 12/3/1`"
    );
    assert!(matches!(err.kind(), FactsErrorKind::OptionsMismatch { .. }));

    let day = NaiveDate::from_ymd_opt(2024, 6, 1).unwrap();
    let max = patronage::Money::new(Decimal::MAX, Currency::CNY);
    let mut third = Aggregator::new(options);
    third.add_purchase_on(CustomerId(8), day, max).unwrap();
    first.add_purchase_on(CustomerId(8), day, max).unwrap();
    assert_eq!(
        first.merge(third).unwrap_err().to_string(),
        "cannot merge the facts of customer `8`: `79228162514264337593543950335 + 79228162514264337593543950335` overflows: amounts must stay within ±79228162514264337593543950335"
    );
    let partial = first.partial(CustomerId(8)).unwrap().clone();
    let mut copy = partial.clone();
    assert!(copy.merge(&partial).is_err());
    assert_eq!(copy, partial, "a failed merge leaves the partial unchanged");

    let err = FactsTable::from_facts(
        FactsOptions::new(t("2024-06-30T12:00:00Z"), Currency::CNY),
        [Facts::empty(CustomerId(1)), Facts::empty(CustomerId(1))],
    )
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "customer `1` appears twice: expected one row of facts per customer"
    );
}

#[test]
fn repeat_summary_error_messages() {
    use patronage::{OrderId, OrderStatus, RepeatSummaryBuilder};
    use rust_decimal::Decimal;
    let end = NaiveDate::from_ymd_opt(1997, 9, 30).unwrap();
    let usd = |value| Money::new(value, Currency::USD);
    let mut builder =
        RepeatSummaryBuilder::new(end, Currency::USD).with_time_zone(chrono_tz::Asia::Shanghai);
    assert_eq!(
        builder
            .add_purchase(CustomerId(1), end, usd(Decimal::new(-5, 0)))
            .unwrap_err()
            .to_string(),
        "purchase of customer `1` on 1997-09-30: field `amount`: expected a zero or positive amount, found `-5 USD`"
    );
    let order = |id, at: &str, status| {
        Order::new(
            OrderId(id),
            CustomerId(2),
            t(at),
            "10.00 USD".parse().unwrap(),
            status,
        )
    };
    // 1997-09-30 16:30 UTC is 1 October in Shanghai: after calibration.
    builder
        .add_order(&order(1, "1997-09-30T16:30:00Z", OrderStatus::Paid))
        .unwrap();
    builder
        .add_order(&order(2, "1997-09-01T00:00:00Z", OrderStatus::Cancelled))
        .unwrap();
    builder
        .add_order(&order(
            3,
            "1997-09-02T00:00:00Z",
            OrderStatus::PartiallyRefunded {
                refunded: Decimal::new(400, 2),
            },
        ))
        .unwrap();
    // Mixed currencies are never summed: the order is named.
    let in_cny = Order::new(
        OrderId(4),
        CustomerId(2),
        t("1997-09-03T00:00:00Z"),
        "10.00 CNY".parse().unwrap(),
        OrderStatus::Paid,
    );
    assert_eq!(
        builder.add_order(&in_cny).unwrap_err().to_string(),
        "order `4` of customer `2`: field `amount`: expected an amount in `USD`, found `10.00 CNY`; convert it before folding"
    );
    assert_eq!(
        builder
            .add_purchase(CustomerId(2), end, "1.00 EUR".parse().unwrap())
            .unwrap_err()
            .to_string(),
        "purchase of customer `2` on 1997-09-30: field `amount`: expected an amount in `USD`, found `1.00 EUR`; convert it before folding"
    );
    assert_eq!(builder.ignored_after_end(), 1);
    let rows = builder.finish().unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(
        (rows[0].x, rows[0].t, rows[0].mean_repeat_value),
        (0, 28, Decimal::ZERO)
    );
    let mut overflow = RepeatSummaryBuilder::new(end, Currency::USD);
    overflow
        .add_purchase(CustomerId(1), end, usd(Decimal::MAX))
        .unwrap();
    overflow
        .add_purchase(CustomerId(1), end, usd(Decimal::MAX))
        .unwrap();
    assert_eq!(
        overflow.finish().unwrap_err().to_string(),
        "customer `1`: field `amount`: `79228162514264337593543950335 + 79228162514264337593543950335` overflows: amounts must stay within ±79228162514264337593543950335"
    );
    // Each day's total fits, but the repeat days' total (for the mean) does not; the
    // first day is not a repeat day, so its value is not part of that total.
    let mut repeat_overflow = RepeatSummaryBuilder::new(end, Currency::USD);
    let day = |d| NaiveDate::from_ymd_opt(1997, 1, d).unwrap();
    for (date, value) in [
        (day(1), Decimal::MAX),
        (day(2), Decimal::MAX),
        (day(3), Decimal::ONE),
    ] {
        repeat_overflow
            .add_purchase(CustomerId(9), date, usd(value))
            .unwrap();
    }
    assert_eq!(
        repeat_overflow.finish().unwrap_err().to_string(),
        "customer `9`: field `amount`: `79228162514264337593543950335 + 1` overflows: amounts must stay within ±79228162514264337593543950335"
    );
}

/// Purchases after the calibration end are left out (and counted), even when they
/// come first, and a customer with only such purchases has no summary; a negative
/// value is rejected whatever its date.
#[test]
fn repeat_summary_leaves_out_purchases_after_the_end() {
    use patronage::RepeatSummaryBuilder;
    use rust_decimal::Decimal;
    let end = NaiveDate::from_ymd_opt(1997, 9, 30).unwrap();
    let day = |m, d| NaiveDate::from_ymd_opt(1997, m, d).unwrap();
    let mut builder = RepeatSummaryBuilder::new(end, Currency::USD);
    let usd = |value| Money::new(value, Currency::USD);
    for (customer, date, cents) in [
        (1, day(12, 12), 2648),
        (1, day(1, 1), 2933),
        (1, day(9, 30), 1000),
        (2, day(10, 1), 500),
    ] {
        builder
            .add_purchase(CustomerId(customer), date, usd(Decimal::new(cents, 2)))
            .unwrap();
    }
    assert_eq!(
        builder
            .add_purchase(CustomerId(3), day(12, 1), usd(Decimal::new(-1, 2)))
            .unwrap_err()
            .to_string(),
        "purchase of customer `3` on 1997-12-01: field `amount`: expected a zero or positive amount, found `-0.01 USD`"
    );
    assert_eq!(builder.ignored_after_end(), 2);
    let rows = builder.finish().unwrap();
    assert_eq!(rows.len(), 1);
    let one = &rows[0];
    assert_eq!(
        (one.customer, one.first_purchase, one.x, one.t_x, one.t),
        (CustomerId(1), day(1, 1), 1, 272, 272)
    );
    assert_eq!(one.mean_repeat_value, Decimal::new(10, 0));
}

// ---- merge ≡ single pass (proptest) ---------------------------------------------------

mod events {
    use chrono::{DateTime, NaiveDate, Utc};
    use patronage::{
        Aggregator, Currency, Customer, CustomerId, Interaction, InteractionKind, Money, Order,
        OrderId, OrderStatus, Refund,
    };
    use proptest::prelude::*;
    use rust_decimal::Decimal;

    #[derive(Clone, Debug)]
    pub(super) enum Event {
        Customer(Customer),
        Order(Order),
        Refund(Refund),
        Interaction(Interaction),
        Dated(CustomerId, NaiveDate, Money),
        DatedRefund(CustomerId, NaiveDate, Money),
    }

    /// Instants from two years before to a week after the as-of of the tests.
    fn instant() -> impl Strategy<Value = DateTime<Utc>> {
        let as_of = 1_719_748_800_i64; // 2024-06-30T12:00:00Z
        (as_of - 2 * 365 * 86_400..as_of + 7 * 86_400)
            .prop_map(|s| DateTime::from_timestamp(s, 0).unwrap())
    }

    fn cents() -> impl Strategy<Value = i64> {
        1_i64..100_000
    }

    fn customer_id() -> impl Strategy<Value = CustomerId> {
        (0_u64..6).prop_map(CustomerId)
    }

    pub(super) fn event() -> impl Strategy<Value = Event> {
        let cny = |c: i64| Money::new(Decimal::new(c, 2), Currency::CNY);
        prop_oneof![
            (customer_id(), prop::option::of(instant())).prop_map(|(id, at)| {
                let mut c = Customer::new(id);
                c.registered_at = at;
                Event::Customer(c)
            }),
            (
                any::<u64>(),
                customer_id(),
                instant(),
                cents(),
                0_u8..4,
                0.0_f64..1.0
            )
                .prop_map(move |(id, c, at, amount, s, part)| {
                    let status = match s {
                        0 => OrderStatus::Paid,
                        1 => OrderStatus::Cancelled,
                        2 => OrderStatus::Refunded,
                        _ => {
                            let refunded =
                                ((amount as f64 * part) as i64).clamp(1, amount.max(2) - 1);
                            if amount < 2 {
                                OrderStatus::Paid
                            } else {
                                OrderStatus::PartiallyRefunded {
                                    refunded: Decimal::new(refunded, 2),
                                }
                            }
                        }
                    };
                    Event::Order(Order::new(OrderId(id), c, at, cny(amount), status))
                }),
            (customer_id(), instant(), cents())
                .prop_map(move |(c, at, a)| Event::Refund(Refund::new(c, None, at, cny(a)))),
            (
                customer_id(),
                prop::sample::select(InteractionKind::ALL.to_vec()),
                instant()
            )
                .prop_map(|(c, k, at)| Event::Interaction(Interaction::new(c, k, at))),
            (customer_id(), instant(), cents()).prop_map(move |(c, at, a)| Event::Dated(
                c,
                at.date_naive(),
                cny(a)
            )),
            (customer_id(), instant(), cents()).prop_map(move |(c, at, a)| Event::DatedRefund(
                c,
                at.date_naive(),
                cny(a)
            )),
        ]
    }

    pub(super) fn fold(agg: &mut Aggregator, event: &Event) {
        match event {
            Event::Customer(c) => agg.add_customer(c),
            Event::Order(o) => agg.add_order(o).unwrap(),
            Event::Refund(r) => agg.add_refund(r).unwrap(),
            Event::Interaction(i) => agg.add_interaction(i),
            Event::Dated(c, d, m) => agg.add_purchase_on(*c, *d, *m).unwrap(),
            Event::DatedRefund(c, d, m) => agg.add_refund_on(*c, *d, *m).unwrap(),
        }
    }
}

fn prop_options(zone: u8, window: Option<u32>) -> FactsOptions {
    let zone = match zone {
        0 => chrono_tz::UTC,
        1 => chrono_tz::Asia::Shanghai,
        _ => chrono_tz::America::Los_Angeles,
    };
    FactsOptions::new(t("2024-06-30T12:00:00Z"), Currency::CNY)
        .with_time_zone(zone)
        .with_frequency_window_days(window)
}

proptest::proptest! {
    #[test]
    fn merge_of_shards_equals_one_pass(
        events in proptest::collection::vec((events::event(), 0_usize..3), 0..60),
        zone in 0_u8..3,
        window in proptest::option::of(1_u32..400),
        order in proptest::sample::select(vec![[0_usize, 1, 2], [2, 1, 0], [1, 0, 2]]),
    ) {
        let options = prop_options(zone, window);
        let mut single = Aggregator::new(options);
        let mut shards = [Aggregator::new(options), Aggregator::new(options), Aggregator::new(options)];
        for (event, shard) in &events {
            events::fold(&mut single, event);
            events::fold(&mut shards[*shard], event);
        }
        // Commutative and associative: fold the shards together in the chosen order.
        let [a, b, c] = shards;
        let mut parts = [Some(a), Some(b), Some(c)];
        let mut merged = parts[order[0]].take().unwrap();
        merged.merge(parts[order[1]].take().unwrap()).unwrap();
        merged.merge(parts[order[2]].take().unwrap()).unwrap();
        proptest::prop_assert_eq!(merged.ignored_after_as_of(), single.ignored_after_as_of());
        proptest::prop_assert_eq!(merged.to_facts(), single.to_facts());
        proptest::prop_assert_eq!(merged.into_table(), single.into_table());
    }

    #[test]
    fn merge_is_associative(
        events in proptest::collection::vec((events::event(), 0_usize..3), 0..40),
    ) {
        let options = prop_options(0, Some(365));
        let mut shards = [Aggregator::new(options), Aggregator::new(options), Aggregator::new(options)];
        for (event, shard) in &events {
            events::fold(&mut shards[*shard], event);
        }
        let [a, b, c] = shards;
        let mut left = a.clone();
        left.merge(b.clone()).unwrap();
        left.merge(c.clone()).unwrap();
        let mut bc = b;
        bc.merge(c).unwrap();
        let mut right = a;
        right.merge(bc).unwrap();
        proptest::prop_assert_eq!(left.into_table(), right.into_table());
    }

    #[test]
    fn facts_and_table_serde_round_trip(
        events in proptest::collection::vec(events::event(), 0..30),
    ) {
        let mut agg = Aggregator::new(prop_options(1, Some(365)));
        for event in &events {
            events::fold(&mut agg, event);
        }
        for facts in agg.to_facts() {
            let json = serde_json::to_string(&facts).unwrap();
            proptest::prop_assert_eq!(serde_json::from_str::<patronage::Facts>(&json).unwrap(), facts);
        }
        let options = *agg.options();
        let json = serde_json::to_string(&options).unwrap();
        proptest::prop_assert_eq!(serde_json::from_str::<FactsOptions>(&json).unwrap(), options);
        // The table stores the base facts and computes the rest on access: every row
        // reads back as the aggregator's facts.
        let mut expected = agg.to_facts();
        expected.sort_by_key(|f| f.customer);
        let table = agg.into_table();
        proptest::prop_assert_eq!(table.iter().collect::<Vec<_>>(), expected);
        let rebuilt = FactsTable::from_facts(*table.options(), table.iter()).unwrap();
        proptest::prop_assert_eq!(&rebuilt, &table);
        let json = serde_json::to_string(&table).unwrap();
        proptest::prop_assert_eq!(serde_json::from_str::<FactsTable>(&json).unwrap(), table);
    }
}

#[test]
fn table_deserialisation_checks_shape() {
    use patronage::Facts;
    let table = FactsTable::from_facts(
        FactsOptions::new(t("2024-06-30T12:00:00Z"), Currency::CNY),
        [Facts::empty(CustomerId(1)), Facts::empty(CustomerId(2))],
    )
    .unwrap();
    let mut json = serde_json::to_value(&table).unwrap();
    json["customer_ids"] = serde_json::json!([2, 1]);
    assert_eq!(
        serde_json::from_value::<FactsTable>(json.clone())
            .unwrap_err()
            .to_string(),
        "customer `1` comes after `2`: expected rows in ascending customer id"
    );
    json["customer_ids"] = serde_json::json!([1, 2]);
    json["monetary"] = serde_json::json!(["1"]);
    assert_eq!(
        serde_json::from_value::<FactsTable>(json.clone())
            .unwrap_err()
            .to_string(),
        "column `monetary` has 1 rows: expected 2, as many as `customer_ids`"
    );
    json["monetary"] = serde_json::json!(["0", "0"]);
    let entry = |row: u32| {
        serde_json::json!({"row": row, "summary": {
            "interactions": serde_json::to_value(patronage::facts::InteractionFacts::default()).unwrap(),
            "weekly_logins": [1, 0, 0, 0],
            "days_since_last_interaction": 3,
            "shown_interest": false
        }})
    };
    json["interactions"] = serde_json::json!([entry(2)]);
    assert_eq!(
        serde_json::from_value::<FactsTable>(json.clone())
            .unwrap_err()
            .to_string(),
        "interaction entry for row 2: expected entries in ascending row order, each below 2 (the number of customers)"
    );
    json["interactions"] = serde_json::json!([entry(1), entry(1)]);
    assert_eq!(
        serde_json::from_value::<FactsTable>(json.clone())
            .unwrap_err()
            .to_string(),
        "interaction entry for row 1: expected entries in ascending row order, each below 2 (the number of customers)"
    );
    json["interactions"] = serde_json::json!([entry(1)]);
    let table = serde_json::from_value::<FactsTable>(json).unwrap();
    assert_eq!(table.weekly_logins(1), [1, 0, 0, 0]);
    assert_eq!(table.days_since_last_interaction(1), Some(3));
    assert_eq!(table.days_since_last_interaction(0), None);
}

proptest::proptest! {
    /// Money is conserved: the table's net spend is the net of the purchases minus the
    /// refund events, and its refunded total is every refund, whatever the split.
    #[test]
    fn money_totals_are_conserved(events in proptest::collection::vec(events::event(), 0..60)) {
        use events::Event;
        use rust_decimal::Decimal;
        let options = prop_options(0, Some(365));
        let as_of = options.as_of();
        let as_of_date = options.as_of_date();
        let mut agg = Aggregator::new(options);
        let (mut net, mut refunded) = (Decimal::ZERO, Decimal::ZERO);
        for event in &events {
            events::fold(&mut agg, event);
            match event {
                Event::Order(o) if o.placed_at <= as_of => {
                    net += o.net().unwrap().amount;
                    refunded += o.refunded().amount;
                }
                Event::Refund(r) if r.at <= as_of => {
                    net -= r.amount.amount;
                    refunded += r.amount.amount;
                }
                Event::Dated(_, d, m) if *d <= as_of_date => net += m.amount,
                Event::DatedRefund(_, d, m) if *d <= as_of_date => {
                    net -= m.amount;
                    refunded += m.amount;
                }
                _ => {}
            }
        }
        let table = agg.into_table();
        proptest::prop_assert_eq!(table.monetary().iter().copied().sum::<Decimal>(), net);
        proptest::prop_assert_eq!(table.refunded().iter().copied().sum::<Decimal>(), refunded);
    }
}

// ---- columnar bulk path ≡ streaming fold ≡ merge of shards ---------------------------

/// Rows for `FactsTable::from_dated_events`: customers spread over the whole `u64`
/// range (so every radix digit varies) or small ids (so most digits are skipped),
/// dates from two years before to a week after `as_of`, signed amounts with 0–2
/// decimal places, zero included.
fn dated_rows() -> impl proptest::strategy::Strategy<Value = Vec<(CustomerId, NaiveDate, Money)>> {
    use proptest::prelude::*;
    let customer = prop_oneof![
        (0_u64..40).prop_map(|k| CustomerId(k.wrapping_mul(0x9E37_79B9_7F4A_7C15))),
        (0_u64..8).prop_map(CustomerId),
    ];
    let as_of = NaiveDate::from_ymd_opt(2024, 6, 30).unwrap();
    let date = (-730_i64..7).prop_map(move |d| as_of + chrono::Duration::days(d));
    let amount = (-50_000_i64..100_000, 0_u32..3).prop_map(|(minor, scale)| {
        Money::new(rust_decimal::Decimal::new(minor, scale), Currency::CNY)
    });
    proptest::collection::vec((customer, date, amount), 0..1_200)
}

fn batch_options(threads: usize) -> patronage::BatchOptions {
    patronage::BatchOptions::default().with_threads(std::num::NonZeroUsize::new(threads).unwrap())
}

fn fold_dated(agg: &mut Aggregator, customer: CustomerId, date: NaiveDate, amount: Money) {
    if amount.amount.is_sign_negative() && !amount.amount.is_zero() {
        let refunded = Money::new(-amount.amount, amount.currency);
        agg.add_refund_on(customer, date, refunded).unwrap();
    } else {
        agg.add_purchase_on(customer, date, amount).unwrap();
    }
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(64))]
    #[test]
    fn dated_batch_equals_streaming_fold_and_merged_shards(
        rows in dated_rows(),
        zone in 0_u8..3,
        window in proptest::option::of(1_u32..400),
        shard_of in proptest::collection::vec(0_usize..3, 1_200),
    ) {
        let options = prop_options(zone, window);
        let customers: Vec<CustomerId> = rows.iter().map(|r| r.0).collect();
        let dates: Vec<NaiveDate> = rows.iter().map(|r| r.1).collect();
        let amounts: Vec<Money> = rows.iter().map(|r| r.2).collect();
        let batch = FactsTable::from_dated_events(&options, &customers, &dates, &amounts).unwrap();
        for threads in [1, 2, 3] {
            let with = FactsTable::from_dated_events_with(&options, &batch_options(threads), &customers, &dates, &amounts).unwrap();
            proptest::prop_assert_eq!(&with, &batch, "{} threads", threads);
        }

        let mut single = Aggregator::new(options);
        let mut shards = [Aggregator::new(options), Aggregator::new(options), Aggregator::new(options)];
        for (idx, (customer, date, amount)) in rows.iter().enumerate() {
            fold_dated(&mut single, *customer, *date, *amount);
            fold_dated(&mut shards[shard_of[idx]], *customer, *date, *amount);
        }
        let [mut merged, b, c] = shards;
        merged.merge(b).unwrap();
        merged.merge(c).unwrap();
        let mut expected = single.to_facts();
        expected.sort_by_key(|f| f.customer);
        let single = single.into_table();
        proptest::prop_assert_eq!(&batch, &single);
        proptest::prop_assert_eq!(batch.iter().collect::<Vec<_>>(), expected);
        proptest::prop_assert_eq!(&batch, &merged.into_table());
        // Not only equal values: the same digits (a `Decimal` sum keeps the largest
        // scale of its terms; the bulk path sums integers and must write them alike).
        let text = |table: &FactsTable| serde_json::to_string(table).unwrap();
        proptest::prop_assert_eq!(text(&batch), text(&single));

        // The same rows in minor units (fen) give the same table, written at the
        // currency's scale.
        let fen: Vec<i64> = amounts
            .iter()
            .map(|m| (m.amount * rust_decimal::Decimal::ONE_HUNDRED).trunc().try_into().unwrap())
            .collect();
        let at_two: Vec<Money> = fen
            .iter()
            .map(|f| Money::new(rust_decimal::Decimal::new(*f, 2), Currency::CNY))
            .collect();
        let minor = FactsTable::from_dated_minor_units(&options, &customers, &dates, &fen).unwrap();
        let at_two = FactsTable::from_dated_events(&options, &customers, &dates, &at_two).unwrap();
        proptest::prop_assert_eq!(&minor, &batch);
        proptest::prop_assert_eq!(text(&minor), text(&at_two));
        for threads in [2, 3] {
            let with = FactsTable::from_dated_minor_units_with(&options, &batch_options(threads), &customers, &dates, &fen).unwrap();
            proptest::prop_assert_eq!(&with, &minor, "{} threads", threads);
        }
    }
}

/// Totals that leave the 64-bit range but not `Decimal`'s are summed again exactly:
/// the bulk path agrees with the streaming fold digit for digit, in `Money` and in
/// minor units (a refund of `i64::MIN` fen included).
#[test]
fn dated_batch_sums_beyond_64_bits_exactly() {
    use rust_decimal::Decimal;
    let options = prop_options(0, None);
    let day = NaiveDate::from_ymd_opt(2024, 6, 1).unwrap();
    let big = i64::MAX / 2 + 7;
    let customers: Vec<CustomerId> = [1, 2, 1, 1, 2, 3, 3].map(CustomerId).to_vec();
    let fen = vec![big, 5, big, big, i64::MIN, -big, i64::MIN];
    let dates = vec![day; customers.len()];
    let money: Vec<Money> = fen
        .iter()
        .map(|f| Money::new(Decimal::new(*f, 2), Currency::CNY))
        .collect();
    let mut single = Aggregator::new(options);
    for ((customer, date), amount) in customers.iter().zip(&dates).zip(&money) {
        fold_dated(&mut single, *customer, *date, *amount);
    }
    let single = single.into_table();
    let text = |table: &FactsTable| serde_json::to_string(table).unwrap();
    let batch = FactsTable::from_dated_events(&options, &customers, &dates, &money).unwrap();
    let minor = FactsTable::from_dated_minor_units(&options, &customers, &dates, &fen).unwrap();
    assert_eq!(text(&batch), text(&single));
    assert_eq!(text(&minor), text(&single));
    assert_eq!(batch.monetary()[0].to_string(), "138350580552821637.30");
    assert_eq!(batch.refunded()[2].to_string(), "138350580552821637.18");

    // Every amount within 64 bits (the 24-byte records), totals beyond: the customer
    // is summed again exactly.
    let fen = vec![big, 5, big, big, -big, -big, -3];
    let money: Vec<Money> = fen
        .iter()
        .map(|f| Money::new(Decimal::new(*f, 2), Currency::CNY))
        .collect();
    let mut single = Aggregator::new(options);
    for ((customer, date), amount) in customers.iter().zip(&dates).zip(&money) {
        fold_dated(&mut single, *customer, *date, *amount);
    }
    let single = single.into_table();
    let batch = FactsTable::from_dated_events(&options, &customers, &dates, &money).unwrap();
    let minor = FactsTable::from_dated_minor_units(&options, &customers, &dates, &fen).unwrap();
    assert_eq!(text(&batch), text(&single));
    assert_eq!(text(&minor), text(&single));
    assert_eq!(batch.monetary()[0].to_string(), "138350580552821637.30");
}

#[test]
fn minor_units_need_a_currency_with_minor_units() {
    let options = FactsOptions::new(t("2024-06-30T12:00:00Z"), Currency::try_new("XAU").unwrap());
    let day = NaiveDate::from_ymd_opt(2024, 6, 1).unwrap();
    let err =
        FactsTable::from_dated_minor_units(&options, &[CustomerId(1)], &[day], &[100]).unwrap_err();
    assert_eq!(
        err.to_string(),
        "amounts in minor units need a currency with minor units: `XAU` has none; give the amounts as `Money` instead"
    );
    assert_eq!(err.row(), None);
}

#[test]
fn dated_batch_error_messages() {
    use patronage::BatchError;
    use rust_decimal::Decimal;
    let options = FactsOptions::new(t("2024-06-30T12:00:00Z"), Currency::CNY);
    let day = NaiveDate::from_ymd_opt(2024, 6, 1).unwrap();
    let money = |s: &str| -> Money { s.parse().unwrap() };
    let run = |customers: &[u64], dates: &[NaiveDate], amounts: &[Money]| -> BatchError {
        let customers: Vec<CustomerId> = customers.iter().copied().map(CustomerId).collect();
        FactsTable::from_dated_events(&options, &customers, dates, amounts).unwrap_err()
    };

    let err = run(&[1, 2], &[day], &[money("1 CNY"), money("2 CNY")]);
    assert_eq!(
        err.to_string(),
        "column `dates` has 1 rows: expected 2, as many as `customers`"
    );
    assert_eq!(err.row(), None);
    let err = run(&[1, 2], &[day, day], &[money("1 CNY")]);
    assert_eq!(
        err.to_string(),
        "column `amounts` has 1 rows: expected 2, as many as `customers`"
    );

    let err = run(
        &[1, 2, 3],
        &[day; 3],
        &[money("1 CNY"), money("-2.50 USD"), money("3 EUR")],
    );
    assert_eq!(
        err.to_string(),
        "row 1: refund of customer `2` on 2024-06-01: field `amount`: expected an amount in `CNY`, found `2.50 USD`; convert it before folding"
    );
    assert_eq!(err.row(), Some(1));
    assert!(err
        .record_error()
        .is_some_and(patronage::RecordError::is_mixed_currency));
    let err = run(&[5], &[day], &[money("3 EUR")]);
    assert_eq!(
        err.to_string(),
        "row 0: purchase of customer `5` on 2024-06-01: field `amount`: expected an amount in `CNY`, found `3 EUR`; convert it before folding"
    );

    // Overflow: the row whose event overflows its customer's total is named, for the
    // first such customer in id order; rows of other customers do not interfere.
    let max = Money::new(Decimal::MAX, Currency::CNY);
    let min = Money::new(Decimal::MIN, Currency::CNY);
    let err = run(
        &[9, 4, 9, 4],
        &[day; 4],
        &[max, money("1 CNY"), max, money("2 CNY")],
    );
    assert_eq!(err.row(), Some(2));
    assert_eq!(
        err.to_string(),
        "row 2: purchase of customer `9` on 2024-06-01: field `amount`: `79228162514264337593543950335 + 79228162514264337593543950335` overflows: amounts must stay within ±79228162514264337593543950335"
    );
    let err = run(&[3, 3], &[day; 2], &[min, min]);
    assert_eq!(err.row(), Some(1));
    assert_eq!(
        err.to_string(),
        "row 1: refund of customer `3` on 2024-06-01: field `amount`: `-79228162514264337593543950335 + -79228162514264337593543950335` overflows: amounts must stay within ±79228162514264337593543950335"
    );
}

/// Above 4,096 rows the bulk path partitions by the top id bits before sorting each
/// part: 50,000 rows, ids clustered in three ranges, equal to the streaming fold.
#[test]
fn dated_batch_equals_streaming_fold_when_partitioned() {
    let mut state = 42_u64;
    let mut next = || {
        state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        state >> 11
    };
    let options = prop_options(0, Some(365));
    let as_of = NaiveDate::from_ymd_opt(2024, 6, 30).unwrap();
    let (mut customers, mut dates, mut amounts) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..50_000 {
        let id = match next() % 3 {
            0 => next() % 5_000,
            1 => u64::MAX - next() % 300,
            _ => (next() % 4_000) << 40,
        };
        customers.push(CustomerId(id));
        dates.push(as_of - chrono::Duration::days((next() % 800) as i64 - 5));
        let minor = (next() % 60_000) as i64 - 5_000;
        amounts.push(Money::new(
            rust_decimal::Decimal::new(minor, 2),
            Currency::CNY,
        ));
    }
    let batch = FactsTable::from_dated_events(&options, &customers, &dates, &amounts).unwrap();
    let mut single = Aggregator::new(options);
    for ((customer, date), amount) in customers.iter().zip(&dates).zip(&amounts) {
        fold_dated(&mut single, *customer, *date, *amount);
    }
    assert!(batch.len() > 8_000, "{}", batch.len());
    for threads in [1, 2, 3, 5] {
        let with = FactsTable::from_dated_events_with(
            &options,
            &batch_options(threads),
            &customers,
            &dates,
            &amounts,
        )
        .unwrap();
        assert_eq!(with, batch, "{threads} threads");
    }
    assert_eq!(batch, single.into_table());
}

/// With several threads the error is the one of one thread: the first failing row in
/// input order for a row check (wherever the chunks split), the first overflowing
/// customer in id order for an overflow (whichever thread folds it).
#[test]
fn dated_batch_errors_do_not_depend_on_threads() {
    use rust_decimal::Decimal;
    let options = prop_options(0, Some(365));
    let day = NaiveDate::from_ymd_opt(2024, 6, 1).unwrap();
    let n = 20_000_usize;
    let customers: Vec<CustomerId> = (0..n as u64)
        .map(|i| CustomerId(i.wrapping_mul(0x9E37_79B9_7F4A_7C15)))
        .collect();
    let dates = vec![day; n];
    let cny = |minor: i64| Money::new(Decimal::new(minor, 2), Currency::CNY);
    let run = |amounts: &[Money], threads: usize| {
        FactsTable::from_dated_events_with(
            &options,
            &batch_options(threads),
            &customers,
            &dates,
            amounts,
        )
        .unwrap_err()
    };

    // Mixed currencies in the last chunk and in a middle one: the lower row wins.
    for bad in [
        vec![19_999],
        vec![15_000, 19_999],
        vec![7_001, 15_000],
        vec![0, 7_001],
    ] {
        let mut amounts = vec![cny(1_000); n];
        for row in &bad {
            amounts[*row] = Money::new(Decimal::new(-5, 0), Currency::USD);
        }
        for threads in [1, 2, 3, 4, 7] {
            let err = run(&amounts, threads);
            assert_eq!(err.row(), Some(bad[0]), "{bad:?} {threads} threads");
            assert_eq!(
                err.to_string(),
                format!(
                    "row {}: refund of customer `{}` on 2024-06-01: field `amount`: expected an amount in `CNY`, found `5 USD`; convert it before folding",
                    bad[0],
                    customers[bad[0]]
                ),
                "{threads} threads"
            );
        }
    }

    // Overflows: two customers each overflow, one with a high id and one with a low
    // id; the lowest id is reported, at its overflowing row, for every thread count.
    let max = Money::new(Decimal::MAX, Currency::CNY);
    let mut customers_overflow = customers.clone();
    let (low, high) = (CustomerId(17), CustomerId(u64::MAX - 17));
    let mut amounts = vec![cny(1_000); n];
    for (row, id) in [(3, high), (9_000, low), (12_000, high), (19_000, low)] {
        customers_overflow[row] = id;
        amounts[row] = max;
    }
    for threads in [1, 2, 3, 4, 7] {
        let err = FactsTable::from_dated_events_with(
            &options,
            &batch_options(threads),
            &customers_overflow,
            &dates,
            &amounts,
        )
        .unwrap_err();
        assert_eq!(err.row(), Some(19_000), "{threads} threads");
        assert_eq!(
            err.to_string(),
            "row 19000: purchase of customer `17` on 2024-06-01: field `amount`: `79228162514264337593543950335 + 79228162514264337593543950335` overflows: amounts must stay within ±79228162514264337593543950335",
            "{threads} threads"
        );
    }
}

#[test]
fn batch_options_serde() {
    let batch: patronage::BatchOptions = serde_json::from_str("{}").unwrap();
    assert_eq!(batch, patronage::BatchOptions::default());
    assert_eq!(batch.threads().get(), 1);
    let batch: patronage::BatchOptions = serde_json::from_str(r#"{"threads": 3}"#).unwrap();
    assert_eq!(batch, batch_options(3));
    assert_eq!(serde_json::to_string(&batch).unwrap(), r#"{"threads":3}"#);
    let err = serde_json::from_str::<patronage::BatchOptions>(r#"{"threads": 0}"#).unwrap_err();
    assert!(err.to_string().contains("nonzero"), "{err}");
    let err = serde_json::from_str::<patronage::BatchOptions>(r#"{"thread": 2}"#).unwrap_err();
    assert!(err.to_string().contains("unknown field `thread`"), "{err}");
}
