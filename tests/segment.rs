//! Integration tests: segment (SPEC §8 stage and tier cases, the reference config in
//! JSON and TOML, config diagnostics, summaries, transitions, properties).

use chrono::{DateTime, Days, NaiveDate, Utc};
use patronage::config::ConfigErrorKind;
use patronage::customer::Points;
use patronage::segment::{transitions, ScoreMethod, SegmentsConfig};
use patronage::{
    Aggregator, Config, Currency, Customer, CustomerId, Dimension, FactsTable, Interaction,
    InteractionKind, Money, SegmentError, SegmentPreset, Segmentation,
};
use proptest::prelude::*;
use rust_decimal::Decimal;
use serde::Deserialize;

// Approximate population statistics: the quantile sketch's errors.
mod sketch;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Cases {
    case: Vec<Case>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Case {
    name: String,
    #[serde(default = "default_as_of")]
    as_of: NaiveDate,
    customers: Vec<CaseCustomer>,
}

fn default_as_of() -> NaiveDate {
    NaiveDate::from_ymd_opt(2024, 12, 31).unwrap()
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CaseCustomer {
    id: u64,
    #[serde(default)]
    purchases: Vec<(u64, Decimal)>,
    #[serde(default)]
    refunds: Vec<(u64, Decimal)>,
    #[serde(default)]
    interactions: Vec<(InteractionKind, u64)>,
    stage: Option<String>,
    tier: Option<String>,
    share: Option<(u32, u32)>,
    #[serde(default)]
    points: Option<u64>,
}

/// Noon UTC `days` before `as_of`.
fn noon_before(as_of: NaiveDate, days: u64) -> DateTime<Utc> {
    let date = as_of.checked_sub_days(Days::new(days)).unwrap();
    date.and_hms_opt(12, 0, 0).unwrap().and_utc()
}

fn facts_of(config: &Config, as_of: NaiveDate, customers: &[CaseCustomer]) -> FactsTable {
    let options = config.facts_options_on(as_of, Currency::CNY).unwrap();
    let mut agg = Aggregator::new(options);
    for c in customers {
        let id = CustomerId(c.id);
        let mut customer = Customer::new(id);
        customer.points = c.points.map(|balance| Points {
            balance,
            expiring: Vec::new(),
        });
        agg.add_customer(&customer);
        for (days, amount) in &c.purchases {
            let date = as_of.checked_sub_days(Days::new(*days)).unwrap();
            agg.add_purchase_on(id, date, Money::new(*amount, Currency::CNY))
                .unwrap();
        }
        for (days, amount) in &c.refunds {
            let date = as_of.checked_sub_days(Days::new(*days)).unwrap();
            agg.add_refund_on(id, date, Money::new(*amount, Currency::CNY))
                .unwrap();
        }
        for (kind, days) in &c.interactions {
            agg.add_interaction(&Interaction::new(id, *kind, noon_before(as_of, *days)));
        }
    }
    agg.into_table()
}

fn check(file: &str, text: &str) {
    let cases: Cases = toml::from_str(text).unwrap_or_else(|e| panic!("{file}: {e}"));
    let config = Config::reference();
    let (segmenter, _) = config.segmenter(Currency::CNY).unwrap();
    for case in &cases.case {
        let facts = facts_of(&config, case.as_of, &case.customers);
        let segmentation = segmenter.run(&facts).unwrap();
        for c in &case.customers {
            let got = segmentation.get(CustomerId(c.id)).unwrap();
            let at = format!("{file}: case `{}`, customer {}", case.name, c.id);
            if let Some(stage) = &c.stage {
                assert_eq!(got.stage, Some(stage.as_str()), "{at}: stage");
            }
            if let Some(tier) = &c.tier {
                assert_eq!(got.tier, Some(tier.as_str()), "{at}: tier");
            }
            if let Some((greater, purchasers)) = c.share {
                let share = got.monetary_top_share.unwrap();
                assert_eq!(
                    (share.greater, share.purchasers),
                    (greater, purchasers),
                    "{at}: share"
                );
            }
        }
    }
}

#[test]
fn stage_cases() {
    check("stages.toml", include_str!("data/segment/stages.toml"));
}

#[test]
fn tier_cases() {
    check("tiers.toml", include_str!("data/segment/tiers.toml"));
}

#[test]
fn reference_config_loads_the_same_from_json_and_toml() {
    let json: Config =
        serde_json::from_str(include_str!("../examples/data/config/reference.json")).unwrap();
    let toml: Config =
        toml::from_str(include_str!("../examples/data/config/reference.toml")).unwrap();
    assert_eq!(json, Config::reference());
    assert_eq!(toml, Config::reference());
    let round_trip: Config = toml::from_str(&toml::to_string(&json).unwrap()).unwrap();
    assert_eq!(round_trip, json);
}

#[test]
fn unknown_keys_are_rejected_when_read() {
    let mut value = serde_json::to_value(Config::reference()).unwrap();
    value["segment"]["rfm"]["scores"]["bin"] = serde_json::json!(4);
    let err = serde_json::from_value::<Config>(value).unwrap_err();
    assert!(
        err.to_string()
            .starts_with("unknown field `bin`, expected one of `method`, `bins`"),
        "{err}"
    );
    let mut value = serde_json::to_value(Config::reference()).unwrap();
    value["segment"]["tier"] = serde_json::json!(1);
    let err = serde_json::from_value::<Config>(value).unwrap_err();
    assert!(err.to_string().starts_with("unknown field `tier`"), "{err}");
    let err = serde_json::from_value::<SegmentsConfig>(serde_json::json!("r-0.1")).unwrap_err();
    assert!(
        err.to_string()
            .starts_with("data did not match any variant"),
        "{err}"
    );
}

#[test]
fn validation_reports_every_problem_with_its_path() {
    let mut config = Config::reference();
    config.segment.rfm.bands.recency_days.upper_bounds_days = vec![30, 20, 180];
    config.facts.frequency_bands.quarterly = 30;
    config.facts.frequency_window_days = Some(0);
    if let Some(vip) = &mut config.segment.vip {
        vip.levels[2].minimum = Decimal::from(10);
    }
    let text = serde_json::to_string(&config.segment.tiers)
        .unwrap()
        .replacen("\"<= 90\"", "\"<= soon\"", 1);
    config.segment.tiers = serde_json::from_str(&text).unwrap();
    config.segment.classes[1].name = "value".to_owned();
    config.segment.classes[2].outputs[0].ty = patronage::rules::Type::Integer;
    let err = config.segmenter(Currency::CNY).unwrap_err();
    let got: Vec<String> = err.diagnostics().iter().map(ToString::to_string).collect();
    assert_eq!(
        got,
        vec![
            "facts.frequency_bands: expected `monthly` > `quarterly` > `yearly`, found `monthly 24, quarterly 30, yearly 1`",
            "facts.frequency_window_days: expected a window of at least 1 day, or none for all time, found `0`",
            "segment.rfm.bands.recency_days[1]: expected a value above `30`, found `20`",
            "segment.vip.levels[2].minimum: expected a value above `5000`, found `10`",
            "segment.tiers.rows[1].recency_days: table `tiers`, row 2, column `recency_days`: unknown field `soon`\n  |\n1 | <= soon\n  |    ^^^^",
            "segment.classes[1].name: duplicate name `value`: first used at `segment.classes[0]`",
            "segment.classes[2].outputs[0]: expected a first output of type `symbol` (the class), found `cooperation of type integer`",
        ]
    );
    assert!(err
        .to_string()
        .starts_with("7 problems in the config: facts.frequency_bands:"));
}

#[test]
fn class_table_shape_errors() {
    let mut config = Config::reference();
    config.segment.stages.hit_policy = patronage::rules::HitPolicy::Collect;
    config.segment.tiers.outputs.clear();
    let err = config.segmenter(Currency::CNY).unwrap_err();
    let got: Vec<String> = err.diagnostics().iter().map(ToString::to_string).collect();
    assert_eq!(
        got,
        vec![
            "segment.stages.hit_policy: expected a single-hit policy (`first`, `unique`, `priority` or `any`): a customer has one class per table, found `collect`",
            "segment.tiers.outputs: expected a first output of type `symbol` (the class), found `no output`",
        ]
    );
    assert!(matches!(
        err.diagnostics()[0].kind(),
        ConfigErrorKind::OutOfRange { .. }
    ));
}

#[test]
fn the_r02_preset_warns_about_its_four_unreachable_rows() {
    let config = Config::reference().with_segment_preset(SegmentPreset::R02);
    let warnings = config.check(Currency::CNY).unwrap();
    let got: Vec<String> = warnings.iter().map(ToString::to_string).collect();
    assert_eq!(
        got,
        vec![
            "segment.rfm.segments.rows[3]: row 4 `New Customers` can never match: every score cell it covers is taken by an earlier row (warning)",
            "segment.rfm.segments.rows[4]: row 5 `Promising` can never match: every score cell it covers is taken by an earlier row (warning)",
            "segment.rfm.segments.rows[8]: row 9 `Can't Lose Them` can never match: every score cell it covers is taken by an earlier row (warning)",
            "segment.rfm.segments.rows[10]: row 11 `Lost` can never match: every score cell it covers is taken by an earlier row (warning)",
        ]
    );
    assert!(Config::reference().check(Currency::CNY).unwrap().is_empty());
}

#[test]
fn presets_need_five_scores() {
    let mut config = Config::reference();
    config.segment.rfm.scores.bins = patronage::segment::Bins::try_new(4).unwrap();
    let err = config.check(Currency::CNY).unwrap_err();
    assert_eq!(
        err.to_string(),
        "1 problem in the config: segment.rfm.segments: expected a segment table of its own when scores are not 1-5 (the presets are written for 5 scores), found `a preset with 4/4/4 scores`"
    );
}

fn sample_customers() -> Vec<CaseCustomer> {
    toml::from_str::<Cases>(include_str!("data/segment/tiers.toml"))
        .unwrap()
        .case
        .into_iter()
        .next()
        .unwrap()
        .customers
}

fn sample(config: &Config, as_of: NaiveDate) -> FactsTable {
    facts_of(config, as_of, &sample_customers())
}

#[test]
fn segment_errors() {
    let config = Config::reference();
    let as_of = default_as_of();
    let facts = sample(&config, as_of);
    let (usd, _) = config.segmenter(Currency::USD).unwrap();
    let err: SegmentError = usd.run(&facts).unwrap_err();
    assert_eq!(
        err.to_string(),
        "facts in `CNY`: expected amounts in `USD`, the currency the config was compiled for"
    );
    let (cny, _) = config.segmenter(Currency::CNY).unwrap();
    let a = cny.run(&facts).unwrap();
    let err = transitions(&a, &a, &Dimension::Class("nope".to_owned())).unwrap_err();
    assert_eq!(
        err.to_string(),
        "cannot compare segmentations: the before segmentation has no class table `nope`"
    );
}

/// The facts table carries the day, currency and policy it was folded for: the
/// segmentation is as of that day, a table folded under another facts policy is refused,
/// and an explanation refuses a table that is not the one the segmentation came from.
#[test]
fn a_table_folded_for_one_day_is_not_segmented_or_explained_as_of_another() {
    let config = Config::reference();
    let (segmenter, _) = config.segmenter(Currency::CNY).unwrap();
    let day = default_as_of();
    let later = NaiveDate::from_ymd_opt(2025, 3, 31).unwrap();
    let facts = sample(&config, day);
    let seg = segmenter.run(&facts).unwrap();
    assert_eq!(seg.as_of(), day);
    assert_eq!(seg.facts_options(), facts.options());

    let facts_later = sample(&config, later);
    let err = segmenter
        .explain(&facts_later, &seg, CustomerId(3))
        .unwrap_err();
    assert!(matches!(
        err.kind(),
        patronage::segment::SegmentErrorKind::NotTheSegmentedTable { .. }
    ));
    assert_eq!(
        err.to_string(),
        "the facts table does not belong to this segmentation: it was folded with `as_of 2025-03-31T23:59:59.999999999Z, zone UTC, currency CNY, window 365 days, bands 24/4/1`, the segmentation with `as_of 2024-12-31T23:59:59.999999999Z, zone UTC, currency CNY, window 365 days, bands 24/4/1`; pass the table the segmentation was computed from"
    );

    // Same day, other facts for the customer: refused too.
    let mut customers = sample_customers();
    customers[2].purchases.push((3, Decimal::new(100, 0)));
    let other = facts_of(&config, day, &customers);
    assert_eq!(
        segmenter.explain(&other, &seg, CustomerId(3)).unwrap_err().to_string(),
        "the facts table does not belong to this segmentation: customer `3` has other facts in it; pass the table the segmentation was computed from"
    );

    // A table folded under another facts policy than the config's.
    let all_time = config.facts.with_frequency_window_days(None);
    let mut agg = Aggregator::new(all_time.options_on(day, Currency::CNY).unwrap());
    agg.add_customer(&Customer::new(CustomerId(1)));
    let err = segmenter.run(&agg.into_table()).unwrap_err();
    assert_eq!(
        err.to_string(),
        "facts folded with `zone UTC, window all time, bands 24/4/1`: expected the config's facts section `zone UTC, window 365 days, bands 24/4/1`; fold the facts with `Config::facts_options_on` (or `FactsConfig::options_on`) of the same config"
    );
}

/// A tier table without a catch-all row leaves unmatched customers with no tier:
/// `None`, never an empty name.
#[test]
fn no_matching_row_is_none_not_an_empty_name() {
    let mut config = Config::reference();
    config.segment.tiers.rows.truncate(1);
    let (segmenter, _) = config.segmenter(Currency::CNY).unwrap();
    let seg = segmenter.run(&sample(&config, default_as_of())).unwrap();
    let tiers: Vec<Option<&str>> = seg.iter().map(|row| row.tier).collect();
    assert_eq!(tiers[0], Some("high_value_active"));
    assert!(tiers.iter().filter(|tier| tier.is_none()).count() >= 5);
    assert!(tiers.iter().flatten().all(|tier| !tier.is_empty()));
    assert!(seg.iter().all(|row| row.stage.is_some()));
}

#[test]
fn summary_counts_classes_vip_and_explanations() {
    let config = Config::reference();
    let as_of = default_as_of();
    let facts = sample(&config, as_of);
    let (segmenter, _) = config.segmenter(Currency::CNY).unwrap();
    let seg = segmenter.run(&facts).unwrap();

    let tiers = seg.counts(&Dimension::Tier);
    assert_eq!(tiers[0], ("high_value_active", 2));
    assert_eq!(tiers[1], ("mid_value_active", 3));
    assert_eq!(tiers[5], ("low_value", 5));
    let summary = seg.summary(&Dimension::Tier).unwrap();
    assert_eq!(summary[0].customers, 2);
    assert_eq!(summary[0].purchases, 4);
    assert_eq!(summary[0].revenue, Decimal::new(190_000, 2));
    assert_eq!(
        summary[0].average_order_value,
        Some(Decimal::new(47_500, 2))
    );
    assert_eq!(summary[7].average_order_value, None);

    assert_eq!(seg.class(CustomerId(1), "value"), Some("high"));
    assert_eq!(seg.class(CustomerId(5), "value"), Some("medium"));
    assert_eq!(seg.class(CustomerId(9), "value"), Some("low"));
    assert_eq!(seg.class(CustomerId(1), "cooperation"), Some("signed"));
    assert_eq!(seg.class(CustomerId(1), "need"), Some("strategic"));
    assert_eq!(seg.class(CustomerId(2), "need"), Some("ordinary"));
    assert_eq!(
        seg.class_tables().collect::<Vec<_>>(),
        vec!["value", "need", "cooperation"]
    );

    // 1000.00 spent in two purchases: silver, 4000.00 (8 purchases at 500.00) to gold.
    let first = seg.get(CustomerId(1)).unwrap();
    assert_eq!(first.vip_level, Some("silver"));
    let distance = segmenter.vip_distance(&seg, CustomerId(1)).unwrap();
    assert_eq!(distance.next_level, "gold");
    assert_eq!(distance.amount, Decimal::new(400_000, 2));
    assert_eq!(distance.purchases_at_aov, Some(8));

    let explanation = segmenter.explain(&facts, &seg, CustomerId(3)).unwrap();
    assert_eq!(
        explanation.tier.row_name.as_deref(),
        Some("mid-value active")
    );
    assert_eq!(
        explanation.stage.row_name.as_deref(),
        Some("active by purchase")
    );
    assert_eq!(explanation.classes.len(), 3);
    assert_eq!(explanation.rfm_segment.as_deref(), first_segment(&seg, 3));
    // The segment table's own explanation names the same segment.
    let segment_table = explanation.rfm_segment_table.as_ref().unwrap();
    assert_eq!(segment_table.row_name, explanation.rfm_segment);
    assert_eq!(explanation.thresholds.recency.len(), 4);
    assert_eq!(
        segmenter
            .explain(&facts, &seg, CustomerId(99))
            .unwrap_err()
            .to_string(),
        "customer `99` is not in the segmentation"
    );
}

fn first_segment(seg: &Segmentation, id: u64) -> Option<&str> {
    seg.get(CustomerId(id)).and_then(|c| c.rfm_segment)
}

#[test]
fn vip_by_points() {
    let mut config = Config::reference();
    if let Some(vip) = &mut config.segment.vip {
        vip.basis = patronage::segment::VipBasis::Points;
    }
    let as_of = default_as_of();
    let facts = sample(&config, as_of);
    let (segmenter, _) = config.segmenter(Currency::CNY).unwrap();
    let mut customers = sample_customers();
    for (i, customer) in (0_u64..).zip(&mut customers) {
        customer.points = Some(i * 3000);
    }
    let with_points = facts_of(&config, as_of, &customers);
    let seg = segmenter.run(&with_points).unwrap();
    let levels: Vec<Option<&str>> = seg.iter().map(|c| c.vip_level).collect();
    assert_eq!(levels[0], None);
    assert_eq!(levels[1], Some("silver"));
    assert_eq!(levels[2], Some("gold"));
    assert_eq!(levels[7], Some("diamond"));
    let distance = segmenter.vip_distance(&seg, CustomerId(1)).unwrap();
    assert_eq!(
        (distance.amount, distance.purchases_at_aov),
        (Decimal::from(1000), None)
    );
    let without_points = segmenter.run(&facts).unwrap();
    assert!(without_points.iter().all(|c| c.vip_level.is_none()));
    assert!(segmenter
        .vip_distance(&without_points, CustomerId(1))
        .is_none());
}

#[test]
fn transitions_count_moves_and_list_customers() {
    let config = Config::reference();
    let (segmenter, _) = config.segmenter(Currency::CNY).unwrap();
    let day = |m, d| NaiveDate::from_ymd_opt(2024, m, d).unwrap();
    let run = |as_of: NaiveDate, extra: bool| {
        let mut agg = Aggregator::new(config.facts_options_on(as_of, Currency::CNY).unwrap());
        let buy = |agg: &mut Aggregator, id, date, amount: i64| {
            agg.add_purchase_on(
                CustomerId(id),
                date,
                Money::new(Decimal::from(amount), Currency::CNY),
            )
            .unwrap();
        };
        buy(&mut agg, 1, day(1, 5), 900);
        buy(&mut agg, 2, day(1, 5), 40);
        buy(&mut agg, 3, day(1, 5), 20);
        if extra {
            buy(&mut agg, 2, day(6, 1), 600);
            buy(&mut agg, 4, day(6, 2), 10);
        } else {
            agg.add_customer(&Customer::new(CustomerId(5)));
        }
        segmenter.run(&agg.into_table()).unwrap()
    };
    let before = run(day(1, 20), false);
    let after = run(day(6, 20), true);
    let stages = transitions(&before, &after, &Dimension::Stage).unwrap();
    assert_eq!(stages.count(Some("new"), Some("dormant")), 2);
    assert_eq!(stages.count(Some("new"), Some("new")), 0);
    assert_eq!(stages.count(Some("new"), Some("active")), 1);
    assert_eq!(stages.count(None, Some("new")), 1);
    assert_eq!(stages.count(Some("registered"), None), 1);
    let moved: Vec<(Option<&str>, Option<&str>, Vec<u64>)> = stages
        .moves()
        .map(|t| {
            (
                t.from.as_deref(),
                t.to.as_deref(),
                t.customers.iter().map(|c| c.0).collect(),
            )
        })
        .collect();
    assert_eq!(
        moved,
        vec![
            (Some("registered"), None, vec![5]),
            (Some("new"), Some("active"), vec![2]),
            (Some("new"), Some("dormant"), vec![1, 3]),
            (None, Some("new"), vec![4]),
        ]
    );
    let vip = transitions(&before, &after, &Dimension::VipLevel).unwrap();
    let up: Vec<_> = vip.moves().map(|t| (t.to.clone(), t.upgrade)).collect();
    assert_eq!(up, vec![]);
    let same = transitions(&after, &after, &Dimension::Tier).unwrap();
    assert_eq!(same.moves().count(), 0);
    assert_eq!(same.cells.iter().map(|c| c.count).sum::<u64>(), 4);
}

#[test]
fn vip_transitions_mark_upgrades() {
    let config = Config::reference();
    let (segmenter, _) = config.segmenter(Currency::CNY).unwrap();
    let as_of = default_as_of();
    let run = |amount: i64| {
        let mut agg = Aggregator::new(config.facts_options_on(as_of, Currency::CNY).unwrap());
        agg.add_purchase_on(
            CustomerId(1),
            as_of,
            Money::new(Decimal::from(amount), Currency::CNY),
        )
        .unwrap();
        agg.add_purchase_on(
            CustomerId(2),
            as_of,
            Money::new(Decimal::from(6000 - amount), Currency::CNY),
        )
        .unwrap();
        segmenter.run(&agg.into_table()).unwrap()
    };
    let moves = transitions(&run(500), &run(5500), &Dimension::VipLevel).unwrap();
    let got: Vec<_> = moves
        .moves()
        .map(|t| {
            (
                t.from.as_deref().map(str::to_owned),
                t.to.as_deref().map(str::to_owned),
                t.upgrade,
            )
        })
        .collect();
    assert_eq!(
        got,
        vec![
            (Some("gold".to_owned()), None, Some(false)),
            (None, Some("gold".to_owned()), Some(true)),
        ]
    );
}

#[test]
fn rank_scores_and_quantile_scores_on_the_same_population() {
    let mut config = Config::reference();
    let as_of = default_as_of();
    let facts = sample(&config, as_of);
    config.segment.rfm.scores.method = ScoreMethod::Rank;
    let (rank, _) = config.segmenter(Currency::CNY).unwrap();
    let by_rank = rank.run(&facts).unwrap();
    // All ten have the same recency and frequency: rank splits the tie by id, quantile
    // thresholds give them one score.
    let r: Vec<u8> = by_rank.iter().map(|c| c.scores.unwrap()[0]).collect();
    assert_eq!(
        r,
        vec![5, 5, 4, 4, 3, 3, 2, 2, 1, 1]
            .into_iter()
            .rev()
            .collect::<Vec<_>>()
    );
    assert!(by_rank.thresholds().recency.is_empty());
    config.segment.rfm.scores.method = ScoreMethod::Quantile;
    let (quantile, _) = config.segmenter(Currency::CNY).unwrap();
    let by_quantile = quantile.run(&facts).unwrap();
    assert!(by_quantile.iter().all(|c| c.scores.unwrap()[0] == 5));
}

/// A random base: purchases, refunds and interactions relative to `as_of`.
fn events() -> impl Strategy<Value = Vec<(u64, u8, u64, i64)>> {
    // (customer, kind: 0 purchase / 1 refund / 2 browse / 3 login, days ago, cents)
    prop::collection::vec((1u64..40, 0u8..4, 0u64..500, 1i64..100_000), 0..200)
}

fn fold(config: &Config, as_of: NaiveDate, events: &[(u64, u8, u64, i64)]) -> FactsTable {
    let mut agg = Aggregator::new(config.facts_options_on(as_of, Currency::CNY).unwrap());
    for &(customer, kind, days, cents) in events {
        let id = CustomerId(customer);
        let date = as_of.checked_sub_days(Days::new(days)).unwrap();
        let amount = Money::new(Decimal::new(cents, 2), Currency::CNY);
        match kind {
            0 => agg.add_purchase_on(id, date, amount).unwrap(),
            1 => agg.add_refund_on(id, date, amount).unwrap(),
            2 => agg.add_interaction(&Interaction::new(
                id,
                InteractionKind::Browse,
                noon_before(as_of, days),
            )),
            _ => agg.add_interaction(&Interaction::new(
                id,
                InteractionKind::Login,
                noon_before(as_of, days),
            )),
        }
    }
    agg.into_table()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn segmentation_is_deterministic_and_independent_of_input_order(
        events in events(),
        seed in any::<u64>(),
        rank in any::<bool>(),
    ) {
        let mut config = Config::reference();
        if rank {
            config.segment.rfm.scores.method = ScoreMethod::Rank;
        }
        let as_of = default_as_of();
        let (segmenter, _) = config.segmenter(Currency::CNY).unwrap();
        let mut shuffled = events.clone();
        // A deterministic shuffle from the seed.
        let mut state = seed | 1;
        for i in (1..shuffled.len()).rev() {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            shuffled.swap(i, (state % (i as u64 + 1)) as usize);
        }
        let a = segmenter.run(&fold(&config, as_of, &events)).unwrap();
        let b = segmenter.run(&fold(&config, as_of, &shuffled)).unwrap();
        let again = segmenter.run(&fold(&config, as_of, &events)).unwrap();
        prop_assert_eq!(&a, &b);
        prop_assert_eq!(&a, &again);
        // Every customer has a stage and a tier; purchasers have scores and a segment.
        for c in a.iter() {
            // The reference tables end in a catch-all row: everyone has both labels.
            prop_assert!(c.stage.is_some() && c.tier.is_some());
            prop_assert_eq!(c.scores.is_some(), c.purchases > 0);
            prop_assert_eq!(c.rfm_segment.is_some(), c.purchases > 0);
        }
        let json = serde_json::to_string(&a).unwrap();
        let back: Segmentation = serde_json::from_str(&json).unwrap();
        prop_assert_eq!(back, a);
    }
}

#[test]
fn an_as_of_date_without_an_end_in_the_zone_is_an_error() {
    let mut config = Config::reference();
    config.facts.time_zone = chrono_tz::America::New_York;
    let err = config
        .facts_options_on(NaiveDate::MAX, Currency::CNY)
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "the end of `{}` does not exist in time zone `America/New_York`: expected a date within chrono's range",
            NaiveDate::MAX
        )
    );
}

#[test]
fn shards_with_merged_statistics_equal_one_run() {
    let config = Config::reference();
    let as_of = default_as_of();
    let cases: Cases = toml::from_str(include_str!("data/segment/tiers.toml")).unwrap();
    let customers: Vec<CaseCustomer> = cases
        .case
        .into_iter()
        .zip(0u64..)
        .flat_map(|(case, case_idx)| {
            case.customers.into_iter().map(move |mut customer| {
                // Ids unique across cases.
                customer.id += 100 * case_idx;
                customer
            })
        })
        .collect();
    let mut ids: Vec<u64> = customers.iter().map(|c| c.id).collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), customers.len());
    let whole = facts_of(&config, as_of, &customers);
    let (even, odd): (Vec<CaseCustomer>, Vec<CaseCustomer>) =
        customers.into_iter().partition(|c| c.id % 2 == 0);
    let (even, odd) = (
        facts_of(&config, as_of, &even),
        facts_of(&config, as_of, &odd),
    );
    let mut stats = patronage::segment::PopulationStats::of(&even);
    stats
        .merge(&patronage::segment::PopulationStats::of(&odd))
        .unwrap();
    assert_eq!(stats, patronage::segment::PopulationStats::of(&whole));

    let (segmenter, _) = config.segmenter(Currency::CNY).unwrap();
    let one_run = segmenter.run(&whole).unwrap();
    for shard in [&even, &odd] {
        let part = segmenter.run_shard(shard, &stats).unwrap();
        assert_eq!(part.thresholds(), one_run.thresholds());
        for got in part.iter() {
            let want = one_run.get(got.customer).unwrap();
            assert_eq!(got, want);
        }
    }
    // A shard folded as of another day is refused, by the merge and by the run.
    let later = NaiveDate::from_ymd_opt(2025, 2, 28).unwrap();
    let late = sample(&config, later);
    let message = "cannot combine statistics of facts folded with `as_of 2024-12-31T23:59:59.999999999Z, zone UTC, currency CNY, window 365 days, bands 24/4/1` and facts folded with `as_of 2025-02-28T23:59:59.999999999Z, zone UTC, currency CNY, window 365 days, bands 24/4/1`: expected every shard of a base folded with the same options";
    let mut merged = stats.clone();
    let err = merged
        .merge(&patronage::segment::PopulationStats::of(&late))
        .unwrap_err();
    assert_eq!(err.to_string(), message);
    assert_eq!(
        merged, stats,
        "a refused merge leaves the statistics unchanged"
    );
    assert_eq!(
        segmenter.run_shard(&late, &stats).unwrap_err().to_string(),
        message
    );

    let mut rank = config.clone();
    rank.segment.rfm.scores.method = ScoreMethod::Rank;
    let (rank, _) = rank.segmenter(Currency::CNY).unwrap();
    assert_eq!(
        rank.run_shard(&even, &stats).unwrap_err().to_string(),
        "rank scores need the whole population in one segmentation: expected quantile scores or fixed cut points for a shard"
    );
}

/// `Config::check` checks every section, each by the stage that owns it, and names
/// every problem's path.
#[test]
fn check_reports_problems_of_every_section() {
    let mut config = Config::reference();
    assert!(config.check(Currency::CNY).unwrap().is_empty());
    config.facts.frequency_window_days = Some(0);
    config.plan.caps[1].limit = 0;
    config.service.zone = "Mars/Olympus".to_owned();
    config.kpi.targets.confidence = 1.0;
    let err = config.check(Currency::CNY).unwrap_err();
    let paths: Vec<&str> = err
        .diagnostics()
        .iter()
        .map(patronage::ConfigDiagnostic::path)
        .collect();
    assert_eq!(
        paths,
        [
            "facts.frequency_window_days",
            "plan.caps[1].limit",
            "service.zone",
            "kpi.targets.confidence"
        ]
    );
    let messages: Vec<String> = err.diagnostics().iter().map(ToString::to_string).collect();
    assert_eq!(
        messages[2],
        "service.zone: unknown time zone `Mars/Olympus`: expected an IANA name such as `America/New_York`"
    );
    assert_eq!(
        messages[3],
        "kpi.targets.confidence: expected a level strictly between 0 and 1, such as 0.95, found `1`"
    );
}

/// A segmentation of a table given up (`run_owned`, which moves the columns it keeps)
/// equals the one of a borrowed table (`run`, which copies them), on one thread and
/// on three, with and without VIP levels by points, on the sample customers and on a
/// base of 5,000 generated customers.
#[test]
fn run_owned_equals_run() {
    use patronage::{BatchOptions, Currency, CustomerId};
    use std::num::NonZeroUsize;
    let as_of = default_as_of();
    let config = Config::reference();
    let (segmenter, _) = config.segmenter(Currency::CNY).unwrap();
    let table = sample(&config, as_of);
    assert_eq!(
        segmenter.run_owned(table.clone()).unwrap(),
        segmenter.run(&table).unwrap()
    );

    let options = config.facts_options_on(as_of, Currency::CNY).unwrap();
    let mut state = 7_u64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let (mut customers, mut dates, mut fen) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..25_000 {
        customers.push(CustomerId(next() % 5_000));
        dates.push(as_of - chrono::Days::new(next() % 700));
        fen.push((next() % 40_000) as i64 - 2_000);
    }
    for threads in [1, 3] {
        let threads = NonZeroUsize::new(threads).unwrap();
        let batch = BatchOptions::default().with_threads(threads);
        let table = patronage::FactsTable::from_dated_minor_units_with(
            &options, &batch, &customers, &dates, &fen,
        )
        .unwrap();
        let segmenter = segmenter.clone().with_threads(threads);
        let copied = segmenter.run(&table).unwrap();
        assert_eq!(copied.len(), table.len());
        assert_eq!(segmenter.run_owned(table).unwrap(), copied);
    }
}
