//! Segment bars and the RFM heat map.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use patronage::charts::{rfm_heatmap, segment_distribution};
use patronage::{Aggregator, Config, Currency, CustomerId, Dimension};
use rust_decimal::Decimal;

use super::{assert_labelled, assert_no_data, empty_shop, parse, shop};

fn as_of() -> NaiveDate {
    NaiveDate::from_ymd_opt(2024, 12, 31).unwrap()
}

#[test]
fn segment_bars_have_one_bar_per_group_and_panel_in_table_order() {
    let segmentation = shop(as_of());
    for (dimension, what) in [
        (Dimension::Tier, "a tier"),
        (Dimension::Stage, "a lifecycle stage"),
        (Dimension::RfmSegment, "an RFM segment"),
    ] {
        let noun = what.split_once(' ').unwrap().1;
        let summary = segmentation.summary(&dimension).unwrap();
        let labelled: u64 = summary.iter().map(|g| g.customers).sum();
        let chart = parse(&segment_distribution(&segmentation, &dimension).unwrap());
        assert_labelled(
            &chart,
            &format!("Customers and net revenue per {noun}"),
            &["customers", "net revenue (CNY)"],
            &format!("n = {labelled} customers with {what}, of 40"),
        );
        assert_eq!(chart.marks.len(), 2 * summary.len(), "{what}");
        let customers = chart.marks_where("panel", "customers");
        let revenue = chart.marks_where("panel", "revenue");
        assert_eq!(customers.len(), summary.len());
        for ((bar, money), group) in customers.iter().zip(&revenue).zip(&summary) {
            assert_eq!(bar.tag, "rect");
            assert_eq!(bar.get("category"), group.name);
            assert_eq!(bar.get("value"), group.customers.to_string());
            assert_eq!(money.get("category"), group.name);
            assert_eq!(
                money.get("value").parse::<Decimal>().unwrap(),
                group.revenue
            );
            assert!(bar.tooltip.starts_with(&group.name), "{}", bar.tooltip);
        }
        // Every group is named on its row.
        for group in &summary {
            assert!(chart.texts.contains(&group.name), "{}", group.name);
        }
    }
}

#[test]
fn the_heat_map_has_one_cell_per_score_pair_with_the_mean_spend() {
    let segmentation = shop(as_of());
    let mut cells: BTreeMap<(u8, u8), Vec<Decimal>> = BTreeMap::new();
    for row in segmentation.iter() {
        if let Some([r, f, _]) = row.scores {
            cells.entry((r, f)).or_default().push(row.monetary);
        }
    }
    let scored: usize = cells.values().map(Vec::len).sum();
    let top = cells.keys().map(|&(r, f)| r.max(f)).max().unwrap();
    let chart = parse(&rfm_heatmap(&segmentation).unwrap());
    assert_labelled(
        &chart,
        "RFM heat map: mean net spend per recency and frequency score",
        &[
            "frequency score F (higher = more purchases)",
            "recency score R (higher = more recent)",
        ],
        &format!("n = {scored} scored customers"),
    );
    assert_eq!(chart.marks.len(), usize::from(top) * usize::from(top));
    for mark in &chart.marks {
        let key = (
            mark.get("r").parse::<u8>().unwrap(),
            mark.get("f").parse::<u8>().unwrap(),
        );
        match cells.get(&key) {
            Some(amounts) => {
                let total = amounts.iter().fold(Decimal::ZERO, |a, b| a + b);
                let mean = (total / Decimal::from(amounts.len()))
                    .round_dp_with_strategy(2, rust_decimal::RoundingStrategy::MidpointNearestEven);
                assert_eq!(mark.get("n"), amounts.len().to_string());
                assert_eq!(mark.get("value").parse::<Decimal>().unwrap(), mean);
            }
            None => {
                assert_eq!((mark.get("n"), mark.get("value")), ("0", ""));
            }
        }
    }
}

#[test]
fn segment_charts_are_deterministic() {
    let one = shop(as_of());
    let two = shop(as_of());
    for dimension in [Dimension::Tier, Dimension::RfmSegment, Dimension::VipLevel] {
        assert_eq!(
            segment_distribution(&one, &dimension).unwrap(),
            segment_distribution(&two, &dimension).unwrap()
        );
    }
    assert_eq!(rfm_heatmap(&one).unwrap(), rfm_heatmap(&two).unwrap());
}

#[test]
fn an_empty_segmentation_gives_no_data_charts() {
    let empty = empty_shop();
    assert_no_data(
        &segment_distribution(&empty, &Dimension::Tier).unwrap(),
        "Customers and net revenue per tier",
    );
    assert_no_data(&rfm_heatmap(&empty).unwrap(), "RFM heat map");
    // An unknown class table has no value for anyone.
    assert_no_data(
        &segment_distribution(&shop(as_of()), &Dimension::Class("none".to_owned())).unwrap(),
        "per class of `none`",
    );
}

#[test]
fn overflowing_totals_are_errors() {
    // Two big spenders in the same cell and tier: their sum exceeds a decimal's range.
    let config = Config::reference();
    let mut facts = Aggregator::new(config.facts_options_on(as_of(), Currency::CNY).unwrap());
    let day = NaiveDate::from_ymd_opt(2024, 12, 20).unwrap();
    for id in [1, 2] {
        facts
            .add_purchase_on(
                CustomerId(id),
                day,
                "60000000000000000000000000000 CNY".parse().unwrap(),
            )
            .unwrap();
    }
    let (segmenter, _) = config.segmenter(Currency::CNY).unwrap();
    let segmentation = segmenter.run(&facts.into_table()).unwrap();
    let err = rfm_heatmap(&segmentation).unwrap_err();
    assert_eq!(err.chart(), "rfm_heatmap");
    let r_f = segmentation.get(CustomerId(1)).unwrap().scores.unwrap();
    assert_eq!(
        err.to_string(),
        format!(
            "chart `rfm_heatmap`: the total `spend of cell R{} F{}: 60000000000000000000000000000 + 60000000000000000000000000000` overflows",
            r_f[0], r_f[1]
        )
    );
    let err = segment_distribution(&segmentation, &Dimension::Tier).unwrap_err();
    assert_eq!(
        err.to_string(),
        "chart `segment_distribution`: the segmentation cannot be summarised"
    );
    let source = std::error::Error::source(&err).unwrap().to_string();
    assert!(source.contains("overflow"), "{source}");
}
