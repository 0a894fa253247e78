//! Segment charts: customers and revenue per group (R `rfm`'s segment summary bars) and
//! the RFM heat map (R `rfm`'s `rfm_heatmap`).

use std::collections::BTreeMap;

use rust_decimal::Decimal;

use crate::charts::error::{ChartError, ChartErrorKind};
use crate::charts::svg::{
    compose, count, fixed, frame, money, nice_max, no_data, to_f64, Anchor, Axes, Layer, Text,
    HEADER, PALETTE,
};
use crate::segment::{Dimension, Segmentation};

/// How a dimension is named in titles: `RFM segment`, `lifecycle stage`, `tier`, …
pub(crate) fn dimension_label(dimension: &Dimension) -> String {
    match dimension {
        Dimension::RfmSegment => "RFM segment".to_owned(),
        Dimension::Stage => "lifecycle stage".to_owned(),
        Dimension::Tier => "tier".to_owned(),
        Dimension::VipLevel => "VIP level".to_owned(),
        Dimension::Class(table) => format!("class of `{table}`"),
    }
}

/// Customers and net revenue per value of a dimension (RFM segment, lifecycle stage,
/// tier, VIP level or class): two panels of horizontal bars sharing the rows, as R
/// `rfm`'s segment summary.
///
/// Rows are in the order of the dimension's table ([`Segmentation::summary`]: the
/// order of the config), zeros included. Each bar is one mark (`class="mark"`,
/// `data-panel` `customers` or `revenue`, `data-category`, `data-value`), labelled with
/// its value (customers also with their share of the labelled customers). The subtitle
/// states n, the date and the currency. Customers without a value (non-purchasers have
/// no RFM segment) are counted in the subtitle only.
///
/// # Errors
///
/// [`ChartErrorKind::Segment`] when a revenue total overflows. A segmentation without
/// customers, or whose customers have no value of the dimension, gives a chart that says
/// "no data".
///
/// # Example
///
/// ```
/// use chrono::NaiveDate;
/// use patronage::charts::segment_distribution;
/// use patronage::{Aggregator, Config, Currency, CustomerId, Dimension};
///
/// let config = Config::reference();
/// let as_of = NaiveDate::from_ymd_opt(2024, 12, 31).ok_or("date")?;
/// let mut facts = Aggregator::new(config.facts_options_on(as_of, Currency::CNY)?);
/// let day = NaiveDate::from_ymd_opt(2024, 12, 1).ok_or("date")?;
/// facts.add_purchase_on(CustomerId(7), day, "120.00 CNY".parse()?)?;
/// let (segmenter, _) = config.segmenter(Currency::CNY)?;
/// let segmentation = segmenter.run(&facts.into_table())?;
///
/// let svg = segment_distribution(&segmentation, &Dimension::Tier)?;
/// assert!(svg.starts_with("<svg"));
/// assert!(svg.contains("Customers and net revenue per tier"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn segment_distribution(
    segmentation: &Segmentation,
    dimension: &Dimension,
) -> Result<String, ChartError> {
    const CHART: &str = "segment_distribution";
    let summary = segmentation
        .summary(dimension)
        .map_err(|source| ChartError::new(CHART, ChartErrorKind::Segment { source }))?;
    let what = dimension_label(dimension);
    let labelled: u64 = summary.iter().map(|g| g.customers).sum();
    let article = if what.starts_with("RFM") { "an" } else { "a" };
    let title = format!("Customers and net revenue per {what}");
    let subtitle = format!(
        "as of {} · n = {} customers with {article} {what}, of {} · net revenue in {}",
        segmentation.as_of(),
        count(labelled),
        count(segmentation.len() as u64),
        segmentation.currency()
    );
    if labelled == 0 {
        return Ok(no_data(
            &title,
            &subtitle,
            &format!("no customer has {article} {what}"),
        ));
    }
    let rows = summary.len();
    let row_height = 28.0;
    let plot_height = (rows as f64 * row_height).round() as u32;
    let width = 960;
    let x_label_area = 48;
    let height = HEADER + plot_height + x_label_area + 16;
    let max_customers = summary.iter().map(|g| g.customers).max().unwrap_or(0) as f64;
    let revenues: Vec<f64> = summary.iter().map(|g| to_f64(g.revenue)).collect();
    let max_revenue = revenues.iter().copied().fold(0.0, f64::max);
    let min_revenue = revenues.iter().copied().fold(0.0, f64::min);
    let revenue_floor = if min_revenue < 0.0 {
        -nice_max(-min_revenue)
    } else {
        0.0
    };
    let whole = |v: &f64| fixed(*v, 0);
    let none = |_: &f64| String::new();
    let customers_axis = Axes {
        x: 0.0..nice_max(max_customers * 1.15),
        y: 0.0..rows as f64,
        x_desc: "customers",
        y_desc: "",
        x_ticks: 5,
        y_ticks: 0,
        x_format: &whole,
        y_format: &none,
        y_label_area: 170,
        x_label_area,
        grid: true,
    };
    let revenue_desc = format!("net revenue ({})", segmentation.currency());
    let revenue_axis = Axes {
        x: revenue_floor..nice_max(max_revenue * 1.25),
        y: 0.0..rows as f64,
        x_desc: &revenue_desc,
        y_desc: "",
        x_ticks: 5,
        y_ticks: 0,
        x_format: &whole,
        y_format: &none,
        y_label_area: 12,
        x_label_area,
        grid: true,
    };
    let panel_height = plot_height + x_label_area + 8;
    let (svg, maps) = frame(
        CHART,
        (width, height),
        &[
            ((0, HEADER, 500, panel_height), customers_axis),
            ((500, HEADER, 460, panel_height), revenue_axis),
        ],
    )?;
    let [customers_map, revenue_map] = maps.as_slice() else {
        return Err(ChartError::new(
            CHART,
            ChartErrorKind::Drawing {
                message: "expected two panels".to_owned(),
            },
        ));
    };
    let mut layer = Layer::new();
    layer.header(width, &title, &subtitle);
    layer.open("marks");
    for (i, (group, revenue)) in summary.iter().zip(&revenues).enumerate() {
        let band = (rows - 1 - i) as f64;
        let (top, bottom) = (customers_map.py(band + 0.85), customers_map.py(band + 0.15));
        let centre = customers_map.py(band + 0.5);
        layer.text(
            Text::at(customers_map.px(0.0) - 8.0, centre + 4.0, 13)
                .anchor(Anchor::End)
                .class("category"),
            &group.name,
        );
        let share = 100.0 * group.customers as f64 / labelled as f64;
        let x0 = customers_map.px(0.0);
        let x1 = customers_map.px(group.customers as f64);
        let label = format!("{} ({}%)", count(group.customers), fixed(share, 1));
        layer.rect(
            (x0, top, x1 - x0, bottom - top),
            &PALETTE.series[0].hex(),
            Some((PALETTE.ink, 0.5)),
            &[
                ("class", "mark".to_owned()),
                ("data-panel", "customers".to_owned()),
                ("data-category", group.name.clone()),
                ("data-value", group.customers.to_string()),
            ],
            Some(&format!("{}: {label} customers", group.name)),
        );
        layer.text(Text::at(x1 + 4.0, centre + 4.0, 12), &label);

        let zero = revenue_map.px(0.0);
        let end = revenue_map.px(*revenue);
        let (left, right) = if end < zero { (end, zero) } else { (zero, end) };
        let amount = money(group.revenue);
        layer.rect(
            (left, top, right - left, bottom - top),
            &PALETTE.series[1].hex(),
            Some((PALETTE.ink, 0.5)),
            &[
                ("class", "mark".to_owned()),
                ("data-panel", "revenue".to_owned()),
                ("data-category", group.name.clone()),
                ("data-value", group.revenue.to_string()),
            ],
            Some(&format!(
                "{}: net revenue {amount} {}",
                group.name,
                segmentation.currency()
            )),
        );
        let label_at = if end < zero {
            Text::at(left - 4.0, centre + 4.0, 12).anchor(Anchor::End)
        } else {
            Text::at(right + 4.0, centre + 4.0, 12)
        };
        layer.text(label_at, &amount);
    }
    layer.close();
    Ok(compose(svg, &layer))
}

/// The RFM heat map (R `rfm`'s `rfm_heatmap`): the mean net spend (monetary) of the
/// customers in each cell of recency score × frequency score.
///
/// The grid runs from score 1 to the highest score found on both axes (5 by default),
/// frequency across, recency up; every cell is one mark (`class="mark"`, `data-r`,
/// `data-f`, `data-n` customers, `data-value` the mean, empty for an empty cell)
/// printed with its mean and n, and shaded by the palette's ramp (darker = higher
/// mean); empty cells are blank and say `–`. Means are exact (decimal), rounded to
/// cents half-even.
///
/// # Errors
///
/// [`ChartErrorKind::Overflow`] when a cell's total spend overflows. A segmentation
/// without scored customers (no purchaser) gives a chart that says "no data".
///
/// # Example
///
/// ```
/// use chrono::NaiveDate;
/// use patronage::charts::rfm_heatmap;
/// use patronage::{Aggregator, Config, Currency, CustomerId};
///
/// let config = Config::reference();
/// let as_of = NaiveDate::from_ymd_opt(2024, 12, 31).ok_or("date")?;
/// let mut facts = Aggregator::new(config.facts_options_on(as_of, Currency::CNY)?);
/// for (id, day, amount) in [(7, 1, "120.00 CNY"), (8, 20, "35.50 CNY")] {
///     let day = NaiveDate::from_ymd_opt(2024, 12, day).ok_or("date")?;
///     facts.add_purchase_on(CustomerId(id), day, amount.parse()?)?;
/// }
/// let (segmenter, _) = config.segmenter(Currency::CNY)?;
/// let svg = rfm_heatmap(&segmenter.run(&facts.into_table())?)?;
/// assert!(svg.contains("RFM heat map"));
/// assert!(svg.contains("n = 2 scored customers"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn rfm_heatmap(segmentation: &Segmentation) -> Result<String, ChartError> {
    const CHART: &str = "rfm_heatmap";
    let mut cells: BTreeMap<(u8, u8), (u64, Decimal)> = BTreeMap::new();
    for row in segmentation.iter() {
        let Some([r, f, _]) = row.scores else {
            continue;
        };
        let cell = cells.entry((r, f)).or_insert((0, Decimal::ZERO));
        cell.0 += 1;
        cell.1 = cell.1.checked_add(row.monetary).ok_or_else(|| {
            ChartError::new(
                CHART,
                ChartErrorKind::Overflow {
                    what: format!("spend of cell R{r} F{f}: {} + {}", cell.1, row.monetary),
                },
            )
        })?;
    }
    let scored: u64 = cells.values().map(|(n, _)| n).sum();
    let currency = segmentation.currency();
    let title = "RFM heat map: mean net spend per recency and frequency score";
    let subtitle = format!(
        "as of {} · n = {} scored customers · cell: mean net spend ({currency}) and customers",
        segmentation.as_of(),
        count(scored)
    );
    if scored == 0 {
        return Ok(no_data(
            title,
            &subtitle,
            "no customer has RFM scores (no purchaser)",
        ));
    }
    let mut means: BTreeMap<(u8, u8), (u64, Decimal)> = BTreeMap::new();
    for (&(r, f), &(n, total)) in &cells {
        let mean = total
            .checked_div(Decimal::from(n))
            .unwrap_or(total)
            .round_dp_with_strategy(2, rust_decimal::RoundingStrategy::MidpointNearestEven);
        means.insert((r, f), (n, mean));
    }
    let top = means
        .keys()
        .map(|&(r, f)| r.max(f))
        .max()
        .unwrap_or(1)
        .max(1);
    let low = means
        .values()
        .map(|(_, m)| to_f64(*m))
        .fold(f64::INFINITY, f64::min);
    let high = means
        .values()
        .map(|(_, m)| to_f64(*m))
        .fold(f64::NEG_INFINITY, f64::max);
    let share = |value: f64| {
        if high > low {
            (value - low) / (high - low)
        } else {
            1.0
        }
    };
    let (width, height) = (840, 640);
    let none = |_: &f64| String::new();
    let span = f64::from(top);
    let axes = Axes {
        x: 0.5..span + 0.5,
        y: 0.5..span + 0.5,
        x_desc: "frequency score F (higher = more purchases)",
        y_desc: "recency score R (higher = more recent)",
        x_ticks: 0,
        y_ticks: 0,
        x_format: &none,
        y_format: &none,
        y_label_area: 70,
        x_label_area: 56,
        grid: false,
    };
    let (svg, maps) = frame(CHART, (width, height), &[((20, HEADER, 620, 520), axes)])?;
    let map = maps.first().copied().ok_or_else(|| {
        ChartError::new(
            CHART,
            ChartErrorKind::Drawing {
                message: "expected one panel".to_owned(),
            },
        )
    })?;
    let mut layer = Layer::new();
    layer.header(width, title, &subtitle);
    layer.open("axis-labels");
    for score in 1..=top {
        let at = f64::from(score);
        layer.text(
            Text::at(map.px(at), map.py(0.5) + 18.0, 13).anchor(Anchor::Middle),
            &score.to_string(),
        );
        layer.text(
            Text::at(map.px(0.5) - 10.0, map.py(at) + 5.0, 13).anchor(Anchor::End),
            &score.to_string(),
        );
    }
    layer.close();
    layer.open("marks");
    for r in 1..=top {
        for f in 1..=top {
            let (x0, x1) = (map.px(f64::from(f) - 0.5), map.px(f64::from(f) + 0.5));
            let (y0, y1) = (map.py(f64::from(r) + 0.5), map.py(f64::from(r) - 0.5));
            let (cx, cy) = ((x0 + x1) / 2.0, (y0 + y1) / 2.0);
            if let Some(&(n, mean)) = means.get(&(r, f)) {
                let fill = PALETTE.ramp_at(share(to_f64(mean)));
                let text = PALETTE.text_on(fill);
                let amount = money(mean);
                layer.rect(
                    (x0, y0, x1 - x0, y1 - y0),
                    &fill.hex(),
                    Some((PALETTE.background, 1.0)),
                    &[
                        ("class", "mark".to_owned()),
                        ("data-r", r.to_string()),
                        ("data-f", f.to_string()),
                        ("data-n", n.to_string()),
                        ("data-value", mean.to_string()),
                    ],
                    Some(&format!(
                        "R {r} × F {f}: mean net spend {amount} {currency}, {} customers",
                        count(n)
                    )),
                );
                layer.text(
                    Text::at(cx, cy, 13)
                        .anchor(Anchor::Middle)
                        .fill(text)
                        .bold(),
                    &amount,
                );
                layer.text(
                    Text::at(cx, cy + 16.0, 11)
                        .anchor(Anchor::Middle)
                        .fill(text),
                    &format!("n = {}", count(n)),
                );
            } else {
                layer.rect(
                    (x0, y0, x1 - x0, y1 - y0),
                    &PALETTE.background.hex(),
                    Some((PALETTE.grid, 1.0)),
                    &[
                        ("class", "mark".to_owned()),
                        ("data-r", r.to_string()),
                        ("data-f", f.to_string()),
                        ("data-n", "0".to_owned()),
                        ("data-value", String::new()),
                    ],
                    Some(&format!("R {r} × F {f}: no customer")),
                );
                layer.text(
                    Text::at(cx, cy + 5.0, 13)
                        .anchor(Anchor::Middle)
                        .fill(PALETTE.muted),
                    "–",
                );
            }
        }
    }
    layer.close();
    ramp_legend(
        &mut layer,
        (680.0, f64::from(HEADER) + 40.0),
        &format!("mean ({currency})"),
        (&money_from(low), &money_from(high)),
    );
    Ok(compose(svg, &layer))
}

fn money_from(value: f64) -> String {
    fixed(value, 2)
}

/// A vertical colour bar of the ramp at (`x`, `y`): high at the top, low at the bottom.
pub(crate) fn ramp_legend(
    layer: &mut Layer,
    (x, y): (f64, f64),
    title: &str,
    (low, high): (&str, &str),
) {
    layer.open("legend");
    layer.text(Text::at(x, y - 12.0, 12).class("legend-label"), title);
    let steps = PALETTE.ramp.len();
    for (i, colour) in PALETTE.ramp.iter().rev().enumerate() {
        layer.rect(
            (x, y + 24.0 * i as f64, 18.0, 24.0),
            &colour.hex(),
            Some((PALETTE.ink, 0.5)),
            &[],
            None,
        );
    }
    layer.text(
        Text::at(x + 24.0, y + 12.0, 12).class("legend-label"),
        &format!("high {high}"),
    );
    layer.text(
        Text::at(x + 24.0, y + 24.0 * steps as f64 - 6.0, 12).class("legend-label"),
        &format!("low {low}"),
    );
    layer.close();
}
