//! The transition matrix.

use chrono::NaiveDate;
use patronage::charts::transition_matrix;
use patronage::segment::{transitions, Transition, Transitions};
use patronage::Dimension;

use super::{assert_labelled, assert_no_data, parse, shop};

#[test]
fn the_matrix_has_one_cell_per_transition() {
    let before = shop(NaiveDate::from_ymd_opt(2024, 10, 31).unwrap());
    let after = shop(NaiveDate::from_ymd_opt(2024, 12, 31).unwrap());
    for (dimension, what) in [
        (Dimension::Tier, "tier"),
        (Dimension::Stage, "lifecycle stage"),
        (Dimension::RfmSegment, "RFM segment"),
        (Dimension::VipLevel, "VIP level"),
    ] {
        let moves = transitions(&before, &after, &dimension).unwrap();
        let total: u64 = moves.cells.iter().map(|c| c.count).sum();
        let moved: u64 = moves.moves().map(|c| c.count).sum();
        let svg = transition_matrix(&moves).unwrap();
        assert_eq!(svg, transition_matrix(&moves).unwrap(), "deterministic");
        let chart = parse(&svg);
        assert_labelled(
            &chart,
            &format!("Transitions of {what} between two runs"),
            &["before (first run)", "after (second run)"],
            &format!("n = {total} customers · {moved} moved"),
        );
        assert_eq!(chart.marks.len(), moves.cells.len(), "{what}");
        for (mark, cell) in chart.marks.iter().zip(&moves.cells) {
            let name = |v: &Option<String>| v.clone().unwrap_or_else(|| "(none)".to_owned());
            assert_eq!(mark.get("from"), name(&cell.from));
            assert_eq!(mark.get("to"), name(&cell.to));
            assert_eq!(mark.get("value"), cell.count.to_string());
            let kind = match (cell.from == cell.to, cell.upgrade) {
                (true, _) => "stay",
                (false, Some(true)) => "upgrade",
                (false, Some(false)) => "downgrade",
                (false, None) => "move",
            };
            assert_eq!(mark.get("kind"), kind);
        }
    }
}

#[test]
fn upgrades_are_marked_and_absent_values_come_last() {
    let cell = |from: Option<&str>, to: Option<&str>, count, upgrade| Transition {
        from: from.map(str::to_owned),
        to: to.map(str::to_owned),
        count,
        customers: Vec::new(),
        upgrade,
    };
    let moves = Transitions {
        dimension: Dimension::VipLevel,
        cells: vec![
            cell(Some("silver"), Some("silver"), 10, None),
            cell(Some("silver"), Some("gold"), 3, Some(true)),
            cell(Some("gold"), Some("silver"), 2, Some(false)),
            cell(Some("gold"), Some("gold"), 5, None),
            cell(None, Some("silver"), 4, Some(true)),
        ],
    };
    let chart = parse(&transition_matrix(&moves).unwrap());
    assert_eq!(chart.marks.len(), 5);
    assert!(chart.texts.iter().any(|t| t == "▲ 3"), "{:?}", chart.texts);
    assert!(chart.texts.iter().any(|t| t == "▼ 2"));
    assert!(chart.says("▲ upgrade · ▼ downgrade"));
    // Row labels: silver, gold, then (none).
    let rows: Vec<&String> = chart
        .texts
        .iter()
        .filter(|t| ["silver", "gold", "(none)"].contains(&t.as_str()))
        .collect();
    assert_eq!(
        rows[..6],
        ["silver", "silver", "gold", "gold", "(none)", "(none)"]
    );
}

#[test]
fn no_transition_gives_a_no_data_chart() {
    let moves = Transitions {
        dimension: Dimension::Tier,
        cells: Vec::new(),
    };
    assert_no_data(
        &transition_matrix(&moves).unwrap(),
        "Transitions of tier between two runs",
    );
}
