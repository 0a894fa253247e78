//! KPI series and the scorecard.

use chrono::{TimeZone, Utc};
use patronage::charts::{kpi_series, scorecard};
use patronage::kpi::{
    scorecards, EarlyWarning, Kpi, Period, ResponseId, Scale, ScoreCounts, ScorecardInputs,
    ScorecardSpec, SurveyResponse, Targets, Verdict, Watch,
};
use patronage::{Currency, CustomerId};

use super::{assert_labelled, assert_no_data, parse};

/// Monthly CSAT: `fives` answers of 5 and the rest of 50 answers 3; none for 0.
fn csat(months: &[(u32, u64)]) -> Vec<(String, Kpi)> {
    let targets = Targets::reference();
    months
        .iter()
        .map(|&(month, fives)| {
            let mut counts = ScoreCounts::new(Scale::Csat);
            if fives > 0 {
                counts.add_many(5, fives).unwrap();
                counts.add_many(3, 50 - fives).unwrap();
            }
            (
                format!("2024-{month:02}"),
                counts.csat_mean(&targets).unwrap(),
            )
        })
        .collect()
}

#[test]
fn a_series_has_a_point_per_period_its_band_target_and_warnings() {
    let points = csat(&[
        (1, 40),
        (2, 42),
        (3, 41),
        (4, 43),
        (5, 0),
        (6, 40),
        (7, 42),
        (8, 10),
    ]);
    let values: Vec<f64> = points
        .iter()
        .map(|(_, k)| k.value().unwrap_or(4.6))
        .collect();
    // Assess the months with a value only, keeping their positions.
    let detector = EarlyWarning::new(4, 3, 3.5, Watch::Down).unwrap();
    let warnings: Vec<_> = detector
        .assess(&values)
        .unwrap()
        .into_iter()
        .filter(|a| points[a.index].1.value().is_some())
        .collect();
    let svg = kpi_series(&points, &warnings).unwrap();
    assert_eq!(svg, kpi_series(&points, &warnings).unwrap());
    let chart = parse(&svg);
    assert_labelled(
        &chart,
        "CSAT per period",
        &["period", "CSAT (score on the survey scale)"],
        "n = 8 periods (7 with a value)",
    );
    assert!(chart.says("target ≥ 4.5"));
    assert_eq!(chart.marks.len(), 8);
    for (mark, (label, kpi)) in chart.marks.iter().zip(&points) {
        assert_eq!(mark.get("label"), label);
        match kpi.value() {
            Some(v) => {
                assert_eq!(mark.tag, "circle");
                assert_eq!(mark.number("value"), v);
            }
            None => {
                assert_eq!((mark.tag.as_str(), mark.get("value")), ("rect", ""));
            }
        }
        assert!(mark.tooltip.contains(&kpi.to_string()));
    }
    let document = roxmltree::Document::parse(&svg).unwrap();
    let count = |class: &str| {
        document
            .descendants()
            .filter(|n| n.attribute("class") == Some(class))
            .count()
    };
    assert_eq!(count("warning"), 1, "August drops");
    assert_eq!(count("target"), 1);
    assert_eq!(count("band"), 2, "two runs of months with an interval");
    assert_eq!(count("whisker"), 7);
}

#[test]
fn shares_are_drawn_in_percent() {
    let targets = Targets::reference();
    let points: Vec<(String, Kpi)> = [(3, 10), (5, 10)]
        .iter()
        .enumerate()
        .map(|(i, &(promoters, n))| {
            let mut counts = ScoreCounts::new(Scale::Csat);
            counts.add_many(5, promoters).unwrap();
            counts.add_many(1, n - promoters).unwrap();
            (format!("W{i}"), counts.csat_top_two_box(&targets).unwrap())
        })
        .collect();
    let chart = parse(&kpi_series(&points, &[]).unwrap());
    assert_labelled(
        &chart,
        "CSAT top-2-box per period",
        &["CSAT top-2-box (%)"],
        "n = 2 periods",
    );
}

#[test]
fn empty_series_give_no_data_charts() {
    assert_no_data(&kpi_series(&[], &[]).unwrap(), "KPI series");
    assert_no_data(
        &kpi_series(&csat(&[(1, 0), (2, 0)]), &[]).unwrap(),
        "CSAT per period",
    );
}

#[test]
fn series_error_messages() {
    let targets = Targets::reference();
    let mut mixed = csat(&[(1, 40)]);
    let mut nps = ScoreCounts::new(Scale::Nps);
    nps.add_many(10, 5).unwrap();
    mixed.push(("2024-02".to_owned(), nps.nps(&targets).unwrap()));
    assert_eq!(
        kpi_series(&mixed, &[]).unwrap_err().to_string(),
        "chart `kpi_series`: point 1 (`2024-02`) is `NPS` but point 0 is `CSAT`: expected one KPI per series"
    );
    let points = csat(&[(1, 40), (2, 42), (3, 41), (4, 10)]);
    let values: Vec<f64> = points.iter().filter_map(|(_, k)| k.value()).collect();
    let detector = EarlyWarning::new(3, 3, 3.5, Watch::Both).unwrap();
    let assessed = detector.assess(&values).unwrap();
    assert_eq!(
        kpi_series(&points[..2], &assessed).unwrap_err().to_string(),
        "chart `kpi_series`: an assessment has index 2 but the series has 2 points: expected the assessments of this series (`EarlyWarning::assess` of its values)"
    );
    let other = detector.assess(&[1.0, 2.0, 3.0, 4.0]).unwrap();
    assert_eq!(
        kpi_series(&points, &other).unwrap_err().to_string(),
        "chart `kpi_series`: the assessment of point 0 (`2024-01`) has value 1 but the point's value is 4.6: expected the assessments of this series (`EarlyWarning::assess` of its values, in order)"
    );
}

#[test]
fn the_scorecard_has_one_mark_per_kpi_with_its_verdict() {
    let period = Period::month(2024, 5, chrono_tz::Asia::Shanghai).unwrap();
    let as_of = Utc.with_ymd_and_hms(2024, 6, 1, 0, 0, 0).single().unwrap();
    let at = Utc.with_ymd_and_hms(2024, 5, 10, 4, 0, 0).single().unwrap();
    let responses: Vec<SurveyResponse> = (0..40)
        .map(|i| SurveyResponse::new(ResponseId(i), CustomerId(i), at, Scale::Csat, 5))
        .collect();
    let inputs = ScorecardInputs::new(&responses, &[], &[], &[]);
    let cards = scorecards(&inputs, &ScorecardSpec::new(period, as_of, Currency::CNY)).unwrap();
    let svg = scorecard(&cards).unwrap();
    assert_eq!(svg, scorecard(&cards).unwrap());
    let chart = parse(&svg);
    let s = &cards.service;
    let kpis: Vec<&Kpi> = [
        &s.csat,
        &s.csat_top_two_box,
        &s.complaint_timeliness,
        &s.complaint_resolution,
        &s.problem_resolution,
        &s.first_contact_resolution,
        &s.first_response_median,
        &s.first_response_p90,
        &s.resolution_median,
    ]
    .into_iter()
    .chain(&s.sla)
    .chain([
        &cards.operations.retention,
        &cards.operations.classic_retention,
        &cards.operations.churn,
        &cards.operations.repurchase_lift,
        &cards.operations.aov_lift,
        &cards.operations.purchase_frequency,
        &cards.operations.aov,
        &cards.product.nps,
        &cards.product.ces,
        &cards.product.feedback_optimisation,
        &cards.product.suggestion_adoption,
    ])
    .chain(cards.dimensions.iter().map(|d| &d.current))
    .collect();
    assert_labelled(
        &chart,
        "Scorecard 2024-05",
        &["service team", "operations team", "product team"],
        &format!("n = {} KPIs", kpis.len()),
    );
    assert_eq!(chart.marks.len(), kpis.len());
    for (mark, kpi) in chart.marks.iter().zip(&kpis) {
        assert_eq!(mark.get("kpi"), kpi.name().label());
        assert_eq!(mark.get("verdict"), kpi.verdict().as_str());
    }
    assert_eq!(cards.service.csat.verdict(), Verdict::Met);
    assert_eq!(
        chart.marks_where("verdict", "met").len(),
        1 + chart
            .marks
            .iter()
            .skip(1)
            .filter(|m| m.get("verdict") == "met")
            .count()
    );
    assert!(chart.says(&cards.service.csat.to_string()));
}
