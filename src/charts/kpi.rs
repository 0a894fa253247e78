//! KPI charts (R23–R27): a KPI's series with its target, interval and early warnings,
//! and the team scorecards' verdicts.

use crate::charts::error::{ChartError, ChartErrorKind};
use crate::charts::svg::{
    compose, count, fixed, frame, no_data, num, standalone, Anchor, Axes, Layer, Text, HEADER,
    PALETTE,
};
use crate::kpi::{Assessment, Direction, Kpi, Scorecards, Status, Unit, Verdict};

/// How a unit's values are scaled for the axis, and the axis's unit.
fn scale(unit: Unit, largest: f64) -> (f64, &'static str) {
    match unit {
        Unit::Share => (100.0, "%"),
        Unit::RelativeChange => (100.0, "% change"),
        Unit::NetScore => (1.0, "NPS points, −100 to 100"),
        Unit::Score => (1.0, "score on the survey scale"),
        Unit::Seconds if largest < 120.0 => (1.0, "seconds"),
        Unit::Seconds if largest < 7_200.0 => (1.0 / 60.0, "minutes"),
        Unit::Seconds => (1.0 / 3_600.0, "hours"),
        Unit::Ratio => (1.0, "ratio"),
        Unit::Amount => (1.0, "amount, report currency"),
    }
}

fn mismatch(chart: &'static str, found: String, expected: &str) -> ChartError {
    ChartError::new(
        chart,
        ChartErrorKind::Mismatch {
            found,
            expected: expected.to_owned(),
        },
    )
}

/// One KPI over periods: its values (a line with a point per period), its confidence
/// interval (a shaded band and whiskers), its target (a dashed line) and the early
/// warnings raised on it (a ring and `▲`/`▼` around the point).
///
/// `points` are the periods in order, each with its label (`2024-05`, `W12`) and the
/// KPI computed on it; `warnings` are the [`Assessment`]s of
/// [`EarlyWarning::assess`](crate::kpi::EarlyWarning::assess) on the same values in the
/// same order (`index` is the position in `points`; pass `&[]` for none), of which the
/// abnormal ones are drawn. Values are on the KPI's unit: shares and changes in percent,
/// durations in seconds, minutes or hours by their size. Each period is one mark
/// (`class="mark"`, `data-index`, `data-label`, `data-value`, empty when the period
/// has no value, which is drawn as a hollow square on the axis).
///
/// # Errors
///
/// [`ChartErrorKind::Mismatch`] when the points are not all the same KPI, or an
/// assessment's index is past the points or its value is not the point's value (the
/// series assessed is not this one). Empty points, or points none of which has a value,
/// give a chart that says "no data".
///
/// # Example
///
/// ```
/// use patronage::charts::kpi_series;
/// use patronage::kpi::{EarlyWarning, ScoreCounts, Scale, Targets, Watch};
///
/// let targets = Targets::reference();
/// let mut points = Vec::new();
/// for (month, fives) in [("2024-01", 40), ("2024-02", 42), ("2024-03", 41), ("2024-04", 10)] {
///     let mut csat = ScoreCounts::new(Scale::Csat);
///     csat.add_many(5, fives)?;
///     csat.add_many(3, 50 - fives)?;
///     points.push((month.to_owned(), csat.csat_mean(&targets)?));
/// }
/// let values: Vec<f64> = points.iter().filter_map(|(_, kpi)| kpi.value()).collect();
/// let warnings = EarlyWarning::new(3, 3, 3.5, Watch::Down)?.assess(&values)?;
/// let svg = kpi_series(&points, &warnings)?;
/// assert!(svg.contains("CSAT per period"));
/// assert_eq!(svg.matches("class=\"mark\"").count(), 4);
/// assert_eq!(svg.matches("class=\"warning\"").count(), 1);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn kpi_series(points: &[(String, Kpi)], warnings: &[Assessment]) -> Result<String, ChartError> {
    const CHART: &str = "kpi_series";
    let Some((_, first)) = points.first() else {
        return Ok(no_data("KPI series", "n = 0 periods", "no period given"));
    };
    let name = first.name();
    let label = name.label();
    for (index, (period, kpi)) in points.iter().enumerate() {
        if kpi.name() != name {
            return Err(mismatch(
                CHART,
                format!(
                    "point {index} (`{period}`) is `{}` but point 0 is `{label}`",
                    kpi.name().label()
                ),
                "one KPI per series",
            ));
        }
    }
    for assessment in warnings {
        let value = points
            .get(assessment.index)
            .map(|(period, kpi)| (period, kpi.value()));
        match value {
            None => {
                return Err(mismatch(
                    CHART,
                    format!(
                        "an assessment has index {} but the series has {} points",
                        assessment.index,
                        points.len()
                    ),
                    "the assessments of this series (`EarlyWarning::assess` of its values)",
                ))
            }
            Some((_, Some(v)))
                if (v - assessment.value).abs() <= 1e-9 * v.abs().max(1.0) => {}
            Some((period, v)) => {
                return Err(mismatch(
                    CHART,
                    format!(
                        "the assessment of point {} (`{period}`) has value {} but the point's value is {}",
                        assessment.index,
                        assessment.value,
                        v.map_or_else(|| "none".to_owned(), |v| v.to_string())
                    ),
                    "the assessments of this series (`EarlyWarning::assess` of its values, in order)",
                ))
            }
        }
    }
    let with_value = points.iter().filter(|(_, k)| k.value().is_some()).count();
    let abnormal: Vec<&Assessment> = warnings
        .iter()
        .filter(|a| a.status == Status::Abnormal)
        .collect();
    let largest = points
        .iter()
        .filter_map(|(_, k)| k.value())
        .fold(0.0, |m: f64, v| m.max(v.abs()));
    let (factor, unit) = scale(first.unit(), largest);
    let confidence = points
        .iter()
        .find_map(|(_, k)| k.interval())
        .map(|i| format!("{}% CI", fixed(i.confidence * 100.0, 0)));
    let target = first.target().map(|t| {
        let bound = match t.direction {
            Direction::AtLeast => "≥",
            Direction::AtMost => "≤",
        };
        format!("target {bound} {} {unit}", fixed(t.value * factor, 1))
    });
    let title = format!("{label} per period");
    let mut parts = vec![format!(
        "n = {} periods ({} with a value)",
        count(points.len() as u64),
        count(with_value as u64)
    )];
    parts.extend(target.clone());
    if let Some(confidence) = &confidence {
        parts.push(format!("band: {confidence}"));
    }
    parts.push(format!("{} early warnings", count(abnormal.len() as u64)));
    let subtitle = parts.join(" · ");
    if with_value == 0 {
        return Ok(no_data(&title, &subtitle, "no period has a value"));
    }
    let mut bounds: Vec<f64> = Vec::new();
    for (_, kpi) in points {
        bounds.extend(kpi.value());
        if let Some(interval) = kpi.interval() {
            bounds.extend([interval.lower, interval.upper]);
        }
        bounds.extend(kpi.target().map(|t| t.value));
    }
    let low = bounds.iter().copied().fold(f64::INFINITY, f64::min) * factor;
    let high = bounds.iter().copied().fold(f64::NEG_INFINITY, f64::max) * factor;
    let pad = if high > low {
        (high - low) * 0.12
    } else {
        low.abs().max(1.0) * 0.1
    };
    let (width, height) = (860, 500);
    let n = points.len();
    let one = |v: &f64| fixed(*v, 1);
    let none = |_: &f64| String::new();
    let y_desc = format!("{label} ({unit})");
    let axes = Axes {
        x: 0.0..n as f64,
        y: (low - pad)..(high + pad),
        x_desc: "period",
        y_desc: &y_desc,
        x_ticks: 0,
        y_ticks: 6,
        x_format: &none,
        y_format: &one,
        y_label_area: 80,
        x_label_area: 52,
        grid: true,
    };
    let (svg, maps) = frame(CHART, (width, height), &[((10, HEADER, 760, 400), axes)])?;
    let map = maps.first().copied().ok_or_else(|| {
        ChartError::new(
            CHART,
            ChartErrorKind::Drawing {
                message: "expected one panel".to_owned(),
            },
        )
    })?;
    let x_of = |i: usize| map.px(i as f64 + 0.5);
    let mut layer = Layer::new();
    layer.header(width, &title, &subtitle);
    layer.open("axis-labels");
    let every = (n / 12).max(1);
    for (i, (period, _)) in points.iter().enumerate() {
        if i % every == 0 {
            layer.text(
                Text::at(x_of(i), map.py(low - pad) + 16.0, 12).anchor(Anchor::Middle),
                period,
            );
        }
    }
    layer.close();
    // The confidence band: one polygon per run of consecutive points with an interval.
    layer.open("bands");
    let mut run: Vec<(usize, f64, f64)> = Vec::new();
    let band_fill = PALETTE.ramp[1].hex();
    let flush = |run: &mut Vec<(usize, f64, f64)>, layer: &mut Layer| {
        if run.len() >= 2 {
            let upper = run
                .iter()
                .map(|&(i, _, hi)| format!("{},{}", num(x_of(i)), num(map.py(hi))));
            let lower = run
                .iter()
                .rev()
                .map(|&(i, lo, _)| format!("{},{}", num(x_of(i)), num(map.py(lo))));
            let points: Vec<String> = upper.chain(lower).collect();
            layer.element(
                "polygon",
                &[
                    ("class", "band".to_owned()),
                    ("points", points.join(" ")),
                    ("fill", band_fill.clone()),
                    ("fill-opacity", "0.7".to_owned()),
                ],
                None,
                None,
            );
        }
        run.clear();
    };
    for (i, (_, kpi)) in points.iter().enumerate() {
        match kpi.interval() {
            Some(interval) => {
                let (lo, hi) = (interval.lower * factor, interval.upper * factor);
                run.push((i, lo, hi));
                layer.line(
                    (x_of(i), map.py(lo)),
                    (x_of(i), map.py(hi)),
                    PALETTE.muted,
                    1.0,
                    &[("class", "whisker".to_owned())],
                );
            }
            None => flush(&mut run, &mut layer),
        }
    }
    flush(&mut run, &mut layer);
    layer.close();
    // The target: a dashed step line through each point's target.
    let targets: Vec<(usize, f64)> = points
        .iter()
        .enumerate()
        .filter_map(|(i, (_, k))| k.target().map(|t| (i, t.value * factor)))
        .collect();
    if let (Some(&(first_i, first_t)), Some(&(last_i, last_t))) = (targets.first(), targets.last())
    {
        let mut path = vec![format!(
            "{},{}",
            num(map.px(first_i as f64)),
            num(map.py(first_t))
        )];
        for &(i, t) in &targets {
            path.push(format!("{},{}", num(map.px(i as f64)), num(map.py(t))));
            path.push(format!(
                "{},{}",
                num(map.px(i as f64 + 1.0)),
                num(map.py(t))
            ));
        }
        layer.element(
            "polyline",
            &[
                ("class", "target".to_owned()),
                ("points", path.join(" ")),
                ("fill", "none".to_owned()),
                ("stroke", PALETTE.missed.hex()),
                ("stroke-width", "2".to_owned()),
                ("stroke-dasharray", "8 5".to_owned()),
            ],
            None,
            None,
        );
        if let Some(target) = &target {
            layer.text(
                Text::at(map.px(last_i as f64 + 1.0) + 4.0, map.py(last_t) + 4.0, 11)
                    .fill(PALETTE.ink)
                    .class("target-label"),
                target
                    .split(' ')
                    .take(3)
                    .collect::<Vec<_>>()
                    .join(" ")
                    .as_str(),
            );
        }
        let _ = first_t;
    }
    // The line through the values, broken where a period has none.
    let mut segment: Vec<String> = Vec::new();
    let mut lines: Vec<Vec<String>> = Vec::new();
    for (i, (_, kpi)) in points.iter().enumerate() {
        match kpi.value() {
            Some(v) => segment.push(format!("{},{}", num(x_of(i)), num(map.py(v * factor)))),
            None => lines.push(std::mem::take(&mut segment)),
        }
    }
    lines.push(segment);
    for line in lines.into_iter().filter(|l| l.len() >= 2) {
        layer.element(
            "polyline",
            &[
                ("class", "line".to_owned()),
                ("points", line.join(" ")),
                ("fill", "none".to_owned()),
                ("stroke", PALETTE.series[0].hex()),
                ("stroke-width", "2".to_owned()),
            ],
            None,
            None,
        );
    }
    layer.open("marks");
    for (i, (period, kpi)) in points.iter().enumerate() {
        let shown = kpi.to_string();
        match kpi.value() {
            Some(v) => layer.element(
                "circle",
                &[
                    ("class", "mark".to_owned()),
                    ("data-index", i.to_string()),
                    ("data-label", period.clone()),
                    ("data-value", format!("{v}")),
                    ("cx", num(x_of(i))),
                    ("cy", num(map.py(v * factor))),
                    ("r", "4".to_owned()),
                    ("fill", PALETTE.series[0].hex()),
                ],
                Some(&format!("{period}: {shown}")),
                None,
            ),
            None => layer.element(
                "rect",
                &[
                    ("class", "mark".to_owned()),
                    ("data-index", i.to_string()),
                    ("data-label", period.clone()),
                    ("data-value", String::new()),
                    ("x", num(x_of(i) - 4.0)),
                    ("y", num(map.py(low - pad) - 8.0)),
                    ("width", "8".to_owned()),
                    ("height", "8".to_owned()),
                    ("fill", PALETTE.background.hex()),
                    ("stroke", PALETTE.muted.hex()),
                ],
                Some(&format!("{period}: {shown}")),
                None,
            ),
        }
    }
    layer.close();
    layer.open("warnings");
    for assessment in &abnormal {
        let (x, y) = (x_of(assessment.index), map.py(assessment.value * factor));
        let up = assessment.deviation.unwrap_or(0.0) >= 0.0;
        let z = assessment.robust_z.map_or_else(
            || "no spread in the history".to_owned(),
            |z| format!("robust z {}", fixed(z, 2)),
        );
        layer.element(
            "circle",
            &[
                ("class", "warning".to_owned()),
                ("data-index", assessment.index.to_string()),
                ("cx", num(x)),
                ("cy", num(y)),
                ("r", "9".to_owned()),
                ("fill", "none".to_owned()),
                ("stroke", PALETTE.missed.hex()),
                ("stroke-width", "2.5".to_owned()),
            ],
            Some(&format!("early warning: {z}")),
            None,
        );
        layer.text(
            Text::at(x, if up { y - 14.0 } else { y + 24.0 }, 13)
                .anchor(Anchor::Middle)
                .fill(PALETTE.missed)
                .bold(),
            if up { "▲" } else { "▼" },
        );
    }
    layer.close();
    let y = f64::from(height) - 12.0;
    let mut note = vec!["● value".to_owned()];
    if confidence.is_some() {
        note.push("shaded band and whiskers: confidence interval".to_owned());
    }
    if target.is_some() {
        note.push("dashed: target".to_owned());
    }
    note.push("ring ▲▼: early warning".to_owned());
    note.push("□ no value".to_owned());
    layer.text(
        Text::at(20.0, y, 12)
            .fill(PALETTE.muted)
            .class("legend-label"),
        &note.join(" · "),
    );
    Ok(compose(svg, &layer))
}

/// The verdicts of the team scorecards: one row per KPI — the service, operations and
/// product teams' KPIs and satisfaction by dimension, in that order (the order of
/// [`Scorecards`]' report) — with a symbol for its verdict and the KPI as reported
/// (value, interval, sample, target).
///
/// Verdicts differ in symbol, colour and word: met ● (dark), missed ✕, not enough data
/// ○ (hollow), no target – (a dash). Each KPI is one mark (`class="mark"`, `data-kpi`,
/// `data-verdict`); each team's heading counts its verdicts, and the subtitle states n
/// and the totals.
///
/// # Errors
///
/// None in practice: the `Result` keeps the charts' shape.
///
/// # Example
///
/// ```
/// use chrono::{TimeZone, Utc};
/// use patronage::charts::scorecard;
/// use patronage::kpi::{scorecards, Period, ScorecardInputs, ScorecardSpec};
/// use patronage::Currency;
///
/// let period = Period::month(2024, 5, chrono_tz::Asia::Shanghai)?;
/// let as_of = Utc.with_ymd_and_hms(2024, 6, 1, 0, 0, 0).single().ok_or("date")?;
/// let inputs = ScorecardInputs::new(&[], &[], &[], &[]);
/// let cards = scorecards(&inputs, &ScorecardSpec::new(period, as_of, Currency::CNY))?;
/// let svg = scorecard(&cards)?;
/// assert!(svg.contains("Scorecard 2024-05"));
/// assert!(svg.contains("data-verdict=\"not enough data\""));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn scorecard(cards: &Scorecards) -> Result<String, ChartError> {
    let team = &cards.service;
    let ops = &cards.operations;
    let product_card = &cards.product;
    let service: Vec<(String, &Kpi)> = [
        &team.csat,
        &team.csat_top_two_box,
        &team.complaint_timeliness,
        &team.complaint_resolution,
        &team.problem_resolution,
        &team.first_contact_resolution,
        &team.first_response_median,
        &team.first_response_p90,
        &team.resolution_median,
    ]
    .into_iter()
    .chain(team.sla.iter())
    .map(|k| (k.to_string(), k))
    .collect();
    let operations: Vec<(String, &Kpi)> = [
        &ops.retention,
        &ops.classic_retention,
        &ops.churn,
        &ops.repurchase_lift,
        &ops.aov_lift,
        &ops.purchase_frequency,
        &ops.aov,
    ]
    .into_iter()
    .map(|k| (k.to_string(), k))
    .collect();
    let product: Vec<(String, &Kpi)> = [
        &product_card.nps,
        &product_card.ces,
        &product_card.feedback_optimisation,
        &product_card.suggestion_adoption,
    ]
    .into_iter()
    .map(|k| (k.to_string(), k))
    .collect();
    let dimensions: Vec<(String, &Kpi)> = cards
        .dimensions
        .iter()
        .map(|d| {
            (
                format!("{}: {}", d.dimension.as_str(), d.current),
                &d.current,
            )
        })
        .collect();
    let groups = [
        ("service team", service),
        ("operations team", operations),
        ("product team", product),
        ("satisfaction by dimension", dimensions),
    ];
    let tally = |rows: &[(String, &Kpi)]| {
        let mut counts = [0_u64; 4];
        for (_, kpi) in rows {
            let slot = match kpi.verdict() {
                Verdict::Met => 0,
                Verdict::Missed => 1,
                Verdict::NotEnoughData => 2,
                _ => 3,
            };
            if let Some(c) = counts.get_mut(slot) {
                *c += 1;
            }
        }
        counts
    };
    let describe = |[met, missed, nd, nt]: [u64; 4]| {
        format!("{met} met, {missed} missed, {nd} not enough data, {nt} no target")
    };
    let mut totals = [0_u64; 4];
    for (_, rows) in &groups {
        for (total, c) in totals.iter_mut().zip(tally(rows)) {
            *total += c;
        }
    }
    let n_kpis: u64 = totals.iter().sum();
    let title = format!("Scorecard {}", cards.period);
    let subtitle = format!(
        "as of {} · n = {n_kpis} KPIs: {}",
        cards.as_of.format("%Y-%m-%d %H:%M UTC"),
        describe(totals)
    );
    let row_height = 22.0;
    let rows: usize = groups.iter().map(|(_, r)| r.len() + 1).sum();
    let width = 1000;
    let height = HEADER + (rows as f64 * row_height).round() as u32 + 48;
    let mut layer = Layer::new();
    layer.header(width, &title, &subtitle);
    let mut y = f64::from(HEADER) + 14.0;
    layer.open("marks");
    for (team, rows) in &groups {
        layer.text(
            Text::at(20.0, y + 4.0, 14).bold().class("group"),
            &format!("{team} — {}", describe(tally(rows))),
        );
        y += row_height;
        for (text, kpi) in rows {
            let verdict = kpi.verdict();
            verdict_symbol(&mut layer, (44.0, y), &kpi.name().label(), verdict);
            layer.text(
                Text::at(60.0, y + 4.0, 12).fill(PALETTE.muted),
                verdict.as_str(),
            );
            layer.text(Text::at(170.0, y + 4.0, 12), text);
            y += row_height;
        }
    }
    layer.close();
    layer.text(
        Text::at(20.0, f64::from(height) - 14.0, 12)
            .fill(PALETTE.muted)
            .class("legend-label"),
        "● met · ✕ missed · ○ not enough data · – no target",
    );
    Ok(standalone((width, height), &layer))
}

/// The mark of a verdict centred at (`x`, `y`).
fn verdict_symbol(layer: &mut Layer, (x, y): (f64, f64), kpi: &str, verdict: Verdict) {
    let mut attrs = vec![
        ("class", "mark".to_owned()),
        ("data-kpi", kpi.to_owned()),
        ("data-verdict", verdict.as_str().to_owned()),
    ];
    let tooltip = format!("{kpi}: {}", verdict.as_str());
    match verdict {
        Verdict::Met => {
            attrs.extend([
                ("cx", num(x)),
                ("cy", num(y)),
                ("r", "6".to_owned()),
                ("fill", PALETTE.met.hex()),
            ]);
            layer.element("circle", &attrs, Some(&tooltip), None);
        }
        Verdict::Missed => {
            attrs.extend([
                (
                    "d",
                    format!(
                        "M {} {} L {} {} M {} {} L {} {}",
                        num(x - 5.0),
                        num(y - 5.0),
                        num(x + 5.0),
                        num(y + 5.0),
                        num(x - 5.0),
                        num(y + 5.0),
                        num(x + 5.0),
                        num(y - 5.0)
                    ),
                ),
                ("fill", "none".to_owned()),
                ("stroke", PALETTE.missed.hex()),
                ("stroke-width", "3".to_owned()),
            ]);
            layer.element("path", &attrs, Some(&tooltip), None);
        }
        Verdict::NotEnoughData => {
            attrs.extend([
                ("cx", num(x)),
                ("cy", num(y)),
                ("r", "5".to_owned()),
                ("fill", PALETTE.background.hex()),
                ("stroke", PALETTE.muted.hex()),
                ("stroke-width", "2".to_owned()),
            ]);
            layer.element("circle", &attrs, Some(&tooltip), None);
        }
        _ => {
            attrs.extend([
                ("x", num(x - 6.0)),
                ("y", num(y - 1.5)),
                ("width", "12".to_owned()),
                ("height", "3".to_owned()),
                ("fill", PALETTE.no_data.hex()),
            ]);
            layer.element("rect", &attrs, Some(&tooltip), None);
        }
    }
}
