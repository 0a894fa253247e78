//! Integration tests: segment (SPEC §8 stage and tier cases, the reference config in
//! JSON and TOML, config diagnostics, summaries, transitions, properties).

use chrono::{DateTime, Days, NaiveDate, Utc};
use patronage::{
    transitions, Aggregator, Config, ConfigErrorKind, Currency, Customer, CustomerId, Dimension,
    FactsTable, Interaction, InteractionKind, Money, ScoreMethod, SegmentError, SegmentPreset,
    Segmentation, Segmenter, SegmentsConfig,
};
use proptest::prelude::*;
use rust_decimal::Decimal;
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
        agg.add_customer(&Customer::new(id));
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
    let (segmenter, _) = Segmenter::new(&config, Currency::CNY).unwrap();
    for case in &cases.case {
        let facts = facts_of(&config, case.as_of, &case.customers);
        let segmentation = segmenter.segment(&facts, case.as_of).unwrap();
        for c in &case.customers {
            let got = segmentation.get(CustomerId(c.id)).unwrap();
            let at = format!("{file}: case `{}`, customer {}", case.name, c.id);
            if let Some(stage) = &c.stage {
                assert_eq!(got.stage, stage, "{at}: stage");
            }
            if let Some(tier) = &c.tier {
                assert_eq!(got.tier, tier, "{at}: tier");
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
    value["rfm"]["scores"]["bin"] = serde_json::json!(4);
    let err = serde_json::from_value::<Config>(value).unwrap_err();
    assert!(
        err.to_string()
            .starts_with("unknown field `bin`, expected one of `method`, `bins`"),
        "{err}"
    );
    let mut value = serde_json::to_value(Config::reference()).unwrap();
    value["tier"] = serde_json::json!(1);
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
    config.rfm.bands.recency_days.upper_bounds_days = vec![30, 20, 180];
    config.facts.frequency_bands.quarterly = 30;
    config.facts.frequency_window_days = Some(0);
    if let Some(vip) = &mut config.vip {
        vip.levels[2].minimum = Decimal::from(10);
    }
    let text =
        serde_json::to_string(&config.tiers)
            .unwrap()
            .replacen("\"<= 90\"", "\"<= soon\"", 1);
    config.tiers = serde_json::from_str(&text).unwrap();
    config.classes[1].name = "value".to_owned();
    config.classes[2].outputs[0].ty = patronage::rules::Type::Integer;
    let err = Segmenter::new(&config, Currency::CNY).unwrap_err();
    let got: Vec<String> = err.diagnostics().iter().map(ToString::to_string).collect();
    assert_eq!(
        got,
        vec![
            "facts.frequency_bands: expected `monthly` > `quarterly` > `yearly`, found `monthly 24, quarterly 30, yearly 1`",
            "facts.frequency_window_days: expected a window of at least 1 day, or none for all time, found `0`",
            "rfm.bands.recency_days[1]: expected a value above `30`, found `20`",
            "vip.levels[2].minimum: expected a value above `5000`, found `10`",
            "tiers.rows[1].recency_days: table `tiers`, row 2, column `recency_days`: unknown field `soon`\n  |\n1 | <= soon\n  |    ^^^^",
            "classes[1].name: duplicate name `value`: first used at `classes[0]`",
            "classes[2].outputs[0]: expected a first output of type `symbol` (the class), found `cooperation of type integer`",
        ]
    );
    assert!(err
        .to_string()
        .starts_with("7 problems in the config: facts.frequency_bands:"));
}

#[test]
fn class_table_shape_errors() {
    let mut config = Config::reference();
    config.stages.hit_policy = patronage::rules::HitPolicy::Collect;
    config.tiers.outputs.clear();
    let err = Segmenter::new(&config, Currency::CNY).unwrap_err();
    let got: Vec<String> = err.diagnostics().iter().map(ToString::to_string).collect();
    assert_eq!(
        got,
        vec![
            "stages.hit_policy: expected a single-hit policy (`first`, `unique`, `priority` or `any`): a customer has one class per table, found `collect`",
            "tiers.outputs: expected a first output of type `symbol` (the class), found `no output`",
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
            "rfm.segments.rows[3]: row 4 `New Customers` can never match: every score cell it covers is taken by an earlier row (warning)",
            "rfm.segments.rows[4]: row 5 `Promising` can never match: every score cell it covers is taken by an earlier row (warning)",
            "rfm.segments.rows[8]: row 9 `Can't Lose Them` can never match: every score cell it covers is taken by an earlier row (warning)",
            "rfm.segments.rows[10]: row 11 `Lost` can never match: every score cell it covers is taken by an earlier row (warning)",
        ]
    );
    assert!(Config::reference().check(Currency::CNY).unwrap().is_empty());
}

#[test]
fn presets_need_five_scores() {
    let mut config = Config::reference();
    config.rfm.scores.bins = patronage::Bins::try_new(4).unwrap();
    let err = config.check(Currency::CNY).unwrap_err();
    assert_eq!(
        err.to_string(),
        "1 problem in the config: rfm.segments: expected a segment table of its own when scores are not 1-5 (the presets are written for 5 scores), found `a preset with 4/4/4 scores`"
    );
}

fn sample(config: &Config, as_of: NaiveDate) -> FactsTable {
    let customers: Vec<CaseCustomer> =
        toml::from_str::<Cases>(include_str!("data/segment/tiers.toml"))
            .unwrap()
            .case
            .into_iter()
            .next()
            .unwrap()
            .customers;
    facts_of(config, as_of, &customers)
}

#[test]
fn segment_errors() {
    let config = Config::reference();
    let as_of = default_as_of();
    let facts = sample(&config, as_of);
    let (usd, _) = Segmenter::new(&config, Currency::USD).unwrap();
    let err: SegmentError = usd.segment(&facts, as_of).unwrap_err();
    assert_eq!(
        err.to_string(),
        "facts in `CNY`: expected amounts in `USD`, the currency the config was compiled for"
    );
    let (cny, _) = Segmenter::new(&config, Currency::CNY).unwrap();
    let err = cny.segment_with_points(&facts, &[1, 2], as_of).unwrap_err();
    assert_eq!(
        err.to_string(),
        "column `points` has 2 rows: expected 10, the population size"
    );
    let a = cny.segment(&facts, as_of).unwrap();
    let err = transitions(&a, &a, &Dimension::Class("nope".to_owned())).unwrap_err();
    assert_eq!(
        err.to_string(),
        "cannot compare segmentations: the before segmentation has no class table `nope`"
    );
}

#[test]
fn summary_counts_classes_vip_and_explanations() {
    let config = Config::reference();
    let as_of = default_as_of();
    let facts = sample(&config, as_of);
    let (segmenter, _) = Segmenter::new(&config, Currency::CNY).unwrap();
    let seg = segmenter.segment(&facts, as_of).unwrap();

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
    assert_eq!(explanation.thresholds.recency.len(), 4);
    assert!(segmenter.explain(&facts, &seg, CustomerId(99)).is_none());
}

fn first_segment(seg: &Segmentation, id: u64) -> Option<&str> {
    seg.get(CustomerId(id)).and_then(|c| c.rfm_segment)
}

#[test]
fn vip_by_points() {
    let mut config = Config::reference();
    if let Some(vip) = &mut config.vip {
        vip.basis = patronage::VipBasis::Points;
    }
    let as_of = default_as_of();
    let facts = sample(&config, as_of);
    let (segmenter, _) = Segmenter::new(&config, Currency::CNY).unwrap();
    let points: Vec<i64> = (0..10).map(|i| i * 3000).collect();
    let seg = segmenter
        .segment_with_points(&facts, &points, as_of)
        .unwrap();
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
    let without_points = segmenter.segment(&facts, as_of).unwrap();
    assert!(without_points.iter().all(|c| c.vip_level.is_none()));
    assert!(segmenter
        .vip_distance(&without_points, CustomerId(1))
        .is_none());
}

#[test]
fn transitions_count_moves_and_list_customers() {
    let config = Config::reference();
    let (segmenter, _) = Segmenter::new(&config, Currency::CNY).unwrap();
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
        segmenter.segment(&agg.into_table(), as_of).unwrap()
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
    let (segmenter, _) = Segmenter::new(&config, Currency::CNY).unwrap();
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
        segmenter.segment(&agg.into_table(), as_of).unwrap()
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
    config.rfm.scores.method = ScoreMethod::Rank;
    let (rank, _) = Segmenter::new(&config, Currency::CNY).unwrap();
    let by_rank = rank.segment(&facts, as_of).unwrap();
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
    config.rfm.scores.method = ScoreMethod::Quantile;
    let (quantile, _) = Segmenter::new(&config, Currency::CNY).unwrap();
    let by_quantile = quantile.segment(&facts, as_of).unwrap();
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
            config.rfm.scores.method = ScoreMethod::Rank;
        }
        let as_of = default_as_of();
        let (segmenter, _) = Segmenter::new(&config, Currency::CNY).unwrap();
        let mut shuffled = events.clone();
        // A deterministic shuffle from the seed.
        let mut state = seed | 1;
        for i in (1..shuffled.len()).rev() {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            shuffled.swap(i, (state % (i as u64 + 1)) as usize);
        }
        let a = segmenter.segment(&fold(&config, as_of, &events), as_of).unwrap();
        let b = segmenter.segment(&fold(&config, as_of, &shuffled), as_of).unwrap();
        let again = segmenter.segment(&fold(&config, as_of, &events), as_of).unwrap();
        prop_assert_eq!(&a, &b);
        prop_assert_eq!(&a, &again);
        // Every customer has a stage and a tier; purchasers have scores and a segment.
        for c in a.iter() {
            prop_assert!(!c.stage.is_empty() && !c.tier.is_empty());
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
    let mut stats = patronage::PopulationStats::of(&even);
    stats.merge(&patronage::PopulationStats::of(&odd));
    assert_eq!(stats, patronage::PopulationStats::of(&whole));

    let (segmenter, _) = Segmenter::new(&config, Currency::CNY).unwrap();
    let one_run = segmenter.segment(&whole, as_of).unwrap();
    for shard in [&even, &odd] {
        let part = segmenter.segment_shard(shard, &stats, as_of).unwrap();
        assert_eq!(part.thresholds(), one_run.thresholds());
        for got in part.iter() {
            let want = one_run.get(got.customer).unwrap();
            assert_eq!(got, want);
        }
    }

    let mut rank = config.clone();
    rank.rfm.scores.method = ScoreMethod::Rank;
    let (rank, _) = Segmenter::new(&rank, Currency::CNY).unwrap();
    assert_eq!(
        rank.segment_shard(&even, &stats, as_of).unwrap_err().to_string(),
        "rank scores need the whole population in one segmentation: expected quantile scores or fixed cut points for a shard"
    );
}
