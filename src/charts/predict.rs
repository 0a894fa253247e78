//! BG/NBD charts (R28), after `lifetimes`' plotting module: the frequency/recency
//! matrices of expected purchases and of P(alive), and the two model checks — repeat
//! purchases per frequency in the calibration period (`plot_period_transactions`) and
//! holdout purchases per calibration frequency
//! (`plot_calibration_purchases_vs_holdout_purchases`).

use std::collections::BTreeMap;

use crate::charts::error::{ChartError, ChartErrorKind};
use crate::charts::segments::ramp_legend;
use crate::charts::svg::{
    compose, count, fixed, frame, nice_max, no_data, num, Anchor, Axes, Layer, Mapping, Text,
    HEADER, PALETTE,
};
use crate::predict::{BgNbdParams, Observation, ObservationTable, PredictError};

/// The most rows or columns a matrix draws; beyond it every k-th value is drawn.
const MAX_CELLS: u32 = 40;

/// What the frequency/recency matrices show and over which range.
///
/// # Example
///
/// ```
/// use patronage::charts::MatrixOptions;
///
/// let mut options = MatrixOptions::default();
/// options.horizon = 4.0; // the next 4 weeks, for a table in weeks
/// assert_eq!((options.max_frequency, options.max_recency), (None, None));
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
#[non_exhaustive]
pub struct MatrixOptions {
    /// The horizon of expected purchases, in the table's time unit (default 1, as
    /// `lifetimes`' `T = 1`); a finite number ≥ 0.
    pub horizon: f64,
    /// The highest frequency (repeat purchases) drawn; `None`: the table's highest.
    pub max_frequency: Option<u32>,
    /// The highest recency drawn, in the table's time unit, which is also the age of
    /// every cell's customer (as in `lifetimes`); `None`: the table's highest age,
    /// rounded up.
    pub max_recency: Option<u32>,
}

impl Default for MatrixOptions {
    /// A horizon of 1 time unit, the table's ranges.
    fn default() -> MatrixOptions {
        MatrixOptions {
            horizon: 1.0,
            max_frequency: None,
            max_recency: None,
        }
    }
}

/// Which matrix.
#[derive(Clone, Copy)]
enum Matrix {
    Expected,
    Alive,
}

/// The frequency/recency matrix of expected purchases (`lifetimes`'
/// `plot_frequency_recency_matrix`): for a customer with `frequency` repeat purchases,
/// the last one `recency` after the first, and an age of `max_recency`, the expected
/// number of purchases in the next `options.horizon` time units.
///
/// Frequency runs across (0 to the highest), recency up (0 to the highest age); when
/// either has more than 40 values, every k-th value is drawn (the axis says which).
/// Each cell is one mark (`class="mark"`, `data-frequency`, `data-recency`,
/// `data-value`), shaded by the palette's ramp (darker = more) and printed with its
/// value when it is large enough. Without repeat purchases the recency is undefined:
/// the cells of frequency 0 are computed with recency 0 (the model does not read it).
///
/// # Errors
///
/// [`ChartErrorKind::InvalidArgument`] for a horizon that is negative or not finite;
/// [`ChartErrorKind::Model`] when the model cannot compute a cell. An empty table gives
/// a chart that says "no data".
///
/// # Example
///
/// ```
/// use patronage::charts::{frequency_recency_matrix, MatrixOptions};
/// use patronage::predict::{BgNbdParams, Observation, ObservationTable};
///
/// let params = BgNbdParams::new(0.243, 4.414, 0.793, 2.426)?.with_period_days(7.0)?;
/// let table: ObservationTable = [Observation::new(3.0, 20.0, 30.0)?].into_iter().collect();
/// let svg = frequency_recency_matrix(&params, &table, &MatrixOptions::default())?;
/// assert!(svg.contains("Expected purchases in the next 1 week"));
/// assert_eq!(svg.matches("class=\"mark\"").count(), 4 * 31); // frequency 0–3 × recency 0–30
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn frequency_recency_matrix(
    params: &BgNbdParams,
    table: &ObservationTable,
    options: &MatrixOptions,
) -> Result<String, ChartError> {
    matrix(Matrix::Expected, params, table, options)
}

/// The frequency/recency matrix of P(alive) (`lifetimes`'
/// `plot_probability_alive_matrix`): the probability that a customer with `frequency`
/// repeat purchases, the last one `recency` after the first, and an age of
/// `max_recency`, has not dropped out.
///
/// Laid out as [`frequency_recency_matrix`]; the shading runs from 0 (light) to 1
/// (dark). `options.horizon` is not used.
///
/// # Errors
///
/// As [`frequency_recency_matrix`].
///
/// # Example
///
/// ```
/// use patronage::charts::{p_alive_matrix, MatrixOptions};
/// use patronage::predict::{BgNbdParams, Observation, ObservationTable};
///
/// let params = BgNbdParams::new(0.243, 4.414, 0.793, 2.426)?;
/// let table: ObservationTable = [Observation::new(2.0, 5.0, 9.5)?].into_iter().collect();
/// let svg = p_alive_matrix(&params, &table, &MatrixOptions::default())?;
/// assert!(svg.contains("Probability that a customer is alive"));
/// assert_eq!(svg.matches("class=\"mark\"").count(), 3 * 11);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn p_alive_matrix(
    params: &BgNbdParams,
    table: &ObservationTable,
    options: &MatrixOptions,
) -> Result<String, ChartError> {
    matrix(Matrix::Alive, params, table, options)
}

/// The time unit of a table or a model: `weeks` for 7 days, and so on.
fn unit(period_days: Option<f64>, plural: bool) -> String {
    let s = if plural { "s" } else { "" };
    match period_days {
        Some(7.0) => format!("week{s}"),
        Some(1.0) => format!("day{s}"),
        Some(30.0) => format!("month{s} of 30 days"),
        Some(days) => format!("period{s} of {days} days"),
        None => format!("time unit{s}"),
    }
}

fn params_text(params: &BgNbdParams) -> String {
    format!(
        "BG/NBD r = {}, α = {}, a = {}, b = {}",
        fixed(params.r(), 3),
        fixed(params.alpha(), 3),
        fixed(params.a(), 3),
        fixed(params.b(), 3)
    )
}

/// The values drawn along an axis from 0 to `max`: all, or every k-th.
fn axis_values(max: u32) -> Vec<u32> {
    let step = (max / MAX_CELLS + 1).max(1);
    (0..=max).step_by(step as usize).collect()
}

fn drawing(chart: &'static str, message: &str) -> ChartError {
    ChartError::new(
        chart,
        ChartErrorKind::Drawing {
            message: message.to_owned(),
        },
    )
}

fn model_error(chart: &'static str, what: String, source: PredictError) -> ChartError {
    ChartError::new(chart, ChartErrorKind::Model { what, source })
}

fn matrix(
    which: Matrix,
    params: &BgNbdParams,
    table: &ObservationTable,
    options: &MatrixOptions,
) -> Result<String, ChartError> {
    let chart = match which {
        Matrix::Expected => "frequency_recency_matrix",
        Matrix::Alive => "p_alive_matrix",
    };
    let horizon = options.horizon;
    if !(horizon.is_finite() && horizon >= 0.0) {
        return Err(ChartError::new(
            chart,
            ChartErrorKind::InvalidArgument {
                name: "horizon",
                value: horizon.to_string(),
                expected: "a finite number of time units >= 0",
            },
        ));
    }
    let period_days = table.period_days().or(params.period_days());
    let title = match which {
        Matrix::Expected => format!(
            "Expected purchases in the next {} {}, by frequency and recency",
            fixed(horizon, if horizon.fract() == 0.0 { 0 } else { 2 }),
            unit(period_days, horizon != 1.0)
        ),
        Matrix::Alive => {
            "Probability that a customer is alive, by frequency and recency".to_owned()
        }
    };
    let highest_frequency = table.frequency().iter().copied().fold(0.0, f64::max);
    let highest_age = table.age().iter().copied().fold(0.0, f64::max);
    let max_frequency = options
        .max_frequency
        .unwrap_or(highest_frequency.min(f64::from(u32::MAX)) as u32);
    let max_recency = options
        .max_recency
        .unwrap_or(highest_age.ceil().min(f64::from(u32::MAX)) as u32);
    let subtitle = format!(
        "{} · customers aged {max_recency} {} · n = {} customers set the ranges",
        params_text(params),
        unit(period_days, true),
        count(table.len() as u64)
    );
    if table.is_empty() {
        return Ok(no_data(&title, &subtitle, "the observation table is empty"));
    }
    let frequencies = axis_values(max_frequency);
    let recencies = axis_values(max_recency);
    let age = f64::from(max_recency);
    let mut values = Vec::with_capacity(frequencies.len() * recencies.len());
    for &recency in &recencies {
        for &frequency in &frequencies {
            let (x, t_x) = if frequency == 0 {
                (0.0, 0.0)
            } else {
                (f64::from(frequency), f64::from(recency))
            };
            let cell = format!("the cell frequency {frequency}, recency {recency}");
            let observation =
                Observation::new(x, t_x, age).map_err(|e| model_error(chart, cell.clone(), e))?;
            let value = match which {
                Matrix::Expected => params
                    .expected_purchases(&observation, horizon)
                    .map_err(|e| model_error(chart, cell, e))?,
                Matrix::Alive => params.p_alive(&observation),
            };
            values.push((frequency, recency, value));
        }
    }
    let (low, high) = match which {
        Matrix::Alive => (0.0, 1.0),
        Matrix::Expected => (
            0.0,
            values
                .iter()
                .map(|v| v.2)
                .fold(0.0, f64::max)
                .max(f64::MIN_POSITIVE),
        ),
    };
    let columns = frequencies.len() as f64;
    let rows = recencies.len() as f64;
    let (width, height) = (860, 700);
    let freq_label = |v: &f64| {
        let i = v.floor() as usize;
        frequencies.get(i).map_or_else(String::new, u32::to_string)
    };
    let none = |_: &f64| String::new();
    let x_desc = format!("frequency: repeat purchases{}", step_note(&frequencies));
    let y_desc = format!(
        "recency: {} from the first to the last purchase{}",
        unit(period_days, true),
        step_note(&recencies)
    );
    let axes = Axes {
        x: 0.0..columns,
        y: 0.0..rows,
        x_desc: &x_desc,
        y_desc: &y_desc,
        x_ticks: 0,
        y_ticks: 0,
        x_format: &freq_label,
        y_format: &none,
        y_label_area: 64,
        x_label_area: 52,
        grid: false,
    };
    let (svg, maps) = frame(chart, (width, height), &[((10, HEADER, 700, 620), axes)])?;
    let map = maps
        .first()
        .copied()
        .ok_or_else(|| drawing(chart, "expected one panel"))?;
    let mut layer = Layer::new();
    layer.header(width, &title, &subtitle);
    let label_every = |n: usize| (n / 12).max(1);
    layer.open("axis-labels");
    for (i, frequency) in frequencies.iter().enumerate() {
        if i % label_every(frequencies.len()) == 0 {
            layer.text(
                Text::at(map.px(i as f64 + 0.5), map.py(0.0) + 16.0, 12).anchor(Anchor::Middle),
                &frequency.to_string(),
            );
        }
    }
    for (i, recency) in recencies.iter().enumerate() {
        if i % label_every(recencies.len()) == 0 {
            layer.text(
                Text::at(map.px(0.0) - 6.0, map.py(i as f64 + 0.5) + 4.0, 12).anchor(Anchor::End),
                &recency.to_string(),
            );
        }
    }
    layer.close();
    let cell_width = map.px(1.0) - map.px(0.0);
    let cell_height = map.py(0.0) - map.py(1.0);
    let printed = cell_width >= 30.0 && cell_height >= 14.0;
    layer.open("marks");
    for (index, (frequency, recency, value)) in values.iter().enumerate() {
        let column = (index % frequencies.len()) as f64;
        let row = (index / frequencies.len()) as f64;
        let (x0, x1) = (map.px(column), map.px(column + 1.0));
        let (y0, y1) = (map.py(row + 1.0), map.py(row));
        let fill = PALETTE.ramp_at((value - low) / (high - low));
        let shown = fixed(*value, 2);
        layer.rect(
            (x0, y0, x1 - x0, y1 - y0),
            &fill.hex(),
            None,
            &[
                ("class", "mark".to_owned()),
                ("data-frequency", frequency.to_string()),
                ("data-recency", recency.to_string()),
                ("data-value", format!("{value}")),
            ],
            Some(&format!(
                "frequency {frequency}, recency {recency}: {shown}"
            )),
        );
        if printed {
            layer.text(
                Text::at((x0 + x1) / 2.0, (y0 + y1) / 2.0 + 4.0, 10)
                    .anchor(Anchor::Middle)
                    .fill(PALETTE.text_on(fill)),
                &shown,
            );
        }
    }
    layer.close();
    let legend_title = match which {
        Matrix::Expected => "expected purchases",
        Matrix::Alive => "P(alive)",
    };
    ramp_legend(
        &mut layer,
        (740.0, f64::from(HEADER) + 40.0),
        legend_title,
        (&fixed(low, 2), &fixed(high, 2)),
    );
    Ok(compose(svg, &layer))
}

fn step_note(values: &[u32]) -> String {
    match values {
        [_, second, ..] if *second > 1 => format!(" (in steps of {second})"),
        _ => String::new(),
    }
}

/// The label of bin `k` of `max_frequency` bins: `0`, `1`, …, `7+`.
fn bin_label(k: u32, max_frequency: u32) -> String {
    if k == max_frequency {
        format!("{k}+")
    } else {
        k.to_string()
    }
}

fn check_max_frequency(chart: &'static str, max_frequency: u32) -> Result<(), ChartError> {
    if max_frequency == 0 {
        return Err(ChartError::new(
            chart,
            ChartErrorKind::InvalidArgument {
                name: "max_frequency",
                value: "0".to_owned(),
                expected: "at least 1 (the bars are 0 to `max_frequency` - 1 repeat purchases, then `max_frequency` or more)",
            },
        ));
    }
    Ok(())
}

/// The model check of the calibration period (`lifetimes`'
/// `plot_period_transactions`): customers per number of repeat purchases, actual
/// against the model's expectation.
///
/// Bars for 0, 1, …, `max_frequency − 1` repeat purchases and a last bar for
/// `max_frequency` or more (`lifetimes` draws 0 to 6 by default: use 7). The actual
/// count of a bar is the number of customers of `table` with that frequency; the
/// model's is `Σ P(X(T) = k)` over the customers, each at their own age `T` (the
/// exact expectation, where `lifetimes` draws one random simulation), the last bar
/// taking the rest. Each bar is one mark (`class="mark"`, `data-series` `actual` or
/// `model`, `data-frequency`, `data-value`), labelled with its value; actual bars are
/// solid and dark, the model's hatched.
///
/// # Errors
///
/// [`ChartErrorKind::InvalidArgument`] for `max_frequency` 0;
/// [`ChartErrorKind::Model`] when the model cannot compute a probability. An empty
/// table gives a chart that says "no data".
///
/// # Example
///
/// ```
/// use patronage::charts::period_transactions;
/// use patronage::predict::{BgNbdParams, Observation, ObservationTable};
///
/// let params = BgNbdParams::new(0.243, 4.414, 0.793, 2.426)?;
/// let table: ObservationTable = [
///     Observation::new(0.0, 0.0, 38.0)?,
///     Observation::new(0.0, 0.0, 30.0)?,
///     Observation::new(1.0, 4.0, 30.0)?,
/// ]
/// .into_iter()
/// .collect();
/// let svg = period_transactions(&params, &table, 3)?;
/// assert!(svg.contains("data-series=\"actual\" data-frequency=\"0\" data-value=\"2\""));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn period_transactions(
    params: &BgNbdParams,
    table: &ObservationTable,
    max_frequency: u32,
) -> Result<String, ChartError> {
    const CHART: &str = "period_transactions";
    check_max_frequency(CHART, max_frequency)?;
    let n = table.len();
    let title = "Frequency of repeat transactions: actual and model";
    let subtitle = format!(
        "n = {} customers · {} · model: Σ P(X(T) = k) over each customer's age T",
        count(n as u64),
        params_text(params)
    );
    if n == 0 {
        return Ok(no_data(title, &subtitle, "the observation table is empty"));
    }
    let bins = max_frequency as usize + 1;
    let mut actual = vec![0_u64; bins];
    let mut ages: BTreeMap<u64, u64> = BTreeMap::new();
    for observation in table.iter() {
        let k = (observation.frequency().min(f64::from(max_frequency))) as usize;
        if let Some(slot) = actual.get_mut(k) {
            *slot += 1;
        }
        // Ages are finite and non-negative, so their bits sort as the numbers do.
        *ages.entry(observation.age().to_bits()).or_default() += 1;
    }
    let mut model = vec![0.0_f64; bins];
    for (&bits, &customers) in &ages {
        let age = f64::from_bits(bits);
        for k in 0..max_frequency {
            let p = params
                .probability_of_purchases(k, age)
                .map_err(|e| model_error(CHART, format!("P(X({}) = {k})", fixed(age, 2)), e))?;
            if let Some(slot) = model.get_mut(k as usize) {
                *slot += customers as f64 * p;
            }
        }
    }
    let counted: f64 = model.iter().take(bins - 1).sum();
    if let Some(last) = model.last_mut() {
        *last = (n as f64 - counted).max(0.0);
    }
    let top = actual
        .iter()
        .map(|&a| a as f64)
        .chain(model.iter().copied())
        .fold(0.0, f64::max);
    let (width, height) = (820, 520);
    let labels: Vec<String> = (0..=max_frequency)
        .map(|k| bin_label(k, max_frequency))
        .collect();
    let whole = |v: &f64| fixed(*v, 0);
    let none = |_: &f64| String::new();
    let axes = Axes {
        x: 0.0..bins as f64,
        y: 0.0..nice_max(top),
        x_desc: "repeat purchases in the calibration period",
        y_desc: "customers",
        x_ticks: 0,
        y_ticks: 6,
        x_format: &none,
        y_format: &whole,
        y_label_area: 80,
        x_label_area: 52,
        grid: true,
    };
    let (svg, maps) = frame(CHART, (width, height), &[((10, HEADER, 800, 420), axes)])?;
    let map = maps
        .first()
        .copied()
        .ok_or_else(|| drawing(CHART, "expected one panel"))?;
    let mut layer = Layer::new();
    let hatch = "patronage-hatch-period-transactions";
    layer.hatch(hatch, PALETTE.series[1], PALETTE.background);
    layer.header(width, title, &subtitle);
    layer.open("axis-labels");
    for (k, label) in labels.iter().enumerate() {
        layer.text(
            Text::at(map.px(k as f64 + 0.5), map.py(0.0) + 16.0, 13).anchor(Anchor::Middle),
            label,
        );
    }
    layer.close();
    layer.open("marks");
    for (k, label) in labels.iter().enumerate() {
        let actual_value = actual.get(k).copied().unwrap_or(0);
        let model_value = model.get(k).copied().unwrap_or(0.0);
        for (series, value, offset, fill, text) in [
            (
                "actual",
                actual_value as f64,
                0.12,
                PALETTE.series[0].hex(),
                count(actual_value),
            ),
            (
                "model",
                model_value,
                0.5,
                format!("url(#{hatch})"),
                fixed(model_value, 1),
            ),
        ] {
            let (x0, x1) = (map.px(k as f64 + offset), map.px(k as f64 + offset + 0.38));
            let (y0, y1) = (map.py(value), map.py(0.0));
            let data_value = if series == "actual" {
                actual_value.to_string()
            } else {
                format!("{model_value}")
            };
            layer.rect(
                (x0, y0, x1 - x0, y1 - y0),
                &fill,
                Some((PALETTE.ink, 1.0)),
                &[
                    ("class", "mark".to_owned()),
                    ("data-series", series.to_owned()),
                    ("data-frequency", label.clone()),
                    ("data-value", data_value),
                ],
                Some(&format!(
                    "{label} repeat purchases, {series}: {text} customers"
                )),
            );
            layer.text(
                Text::at((x0 + x1) / 2.0, y0 - 4.0, 11).anchor(Anchor::Middle),
                &text,
            );
        }
    }
    layer.close();
    let y = f64::from(height) - 14.0;
    let next = layer.legend_entry(100.0, y, &PALETTE.series[0].hex(), "actual customers");
    layer.legend_entry(
        next,
        y,
        &format!("url(#{hatch})"),
        "model (BG/NBD expectation)",
    );
    Ok(compose(svg, &layer))
}

/// The holdout check (`lifetimes`' `plot_calibration_purchases_vs_holdout_purchases`):
/// customers grouped by their repeat purchases in the calibration period, the mean
/// number of purchases each group actually made in the holdout period against the mean
/// the model predicts (the conditional expectation over `holdout_length`).
///
/// `holdout_purchases[i]` is the number of purchases of customer `i` of `calibration`
/// in the holdout period, which lasts `holdout_length` time units of the table. Groups
/// are 0, 1, …, `max_frequency − 1` and `max_frequency` or more (`lifetimes` draws
/// 0 to 6: use 7); each group with customers is one point per series (`class="mark"`,
/// `data-series` `actual` or `model`, `data-frequency`, `data-n`, `data-value`): actual
/// points are dark discs on a solid line, the model's hollow diamonds on a dashed line;
/// each group's n is printed under its label.
///
/// # Errors
///
/// [`ChartErrorKind::Mismatch`] when `holdout_purchases` has not one count per row of
/// `calibration`; [`ChartErrorKind::InvalidArgument`] for `max_frequency` 0 or a
/// holdout length that is negative or not finite; [`ChartErrorKind::Model`] when the
/// model cannot predict a customer. An empty table gives a chart that says "no data".
///
/// # Example
///
/// ```
/// use patronage::charts::calibration_vs_holdout;
/// use patronage::predict::{BgNbdParams, Observation, ObservationTable};
///
/// let params = BgNbdParams::new(0.243, 4.414, 0.793, 2.426)?;
/// let calibration: ObservationTable = [
///     Observation::new(0.0, 0.0, 38.0)?,
///     Observation::new(2.0, 30.0, 38.0)?,
/// ]
/// .into_iter()
/// .collect();
/// let svg = calibration_vs_holdout(&params, &calibration, &[0, 3], 39.0, 7)?;
/// assert_eq!(svg.matches("class=\"mark\"").count(), 4); // 2 groups × actual and model
/// assert!(svg.contains("data-series=\"actual\" data-frequency=\"2\" data-n=\"1\" data-value=\"3\""));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn calibration_vs_holdout(
    params: &BgNbdParams,
    calibration: &ObservationTable,
    holdout_purchases: &[u32],
    holdout_length: f64,
    max_frequency: u32,
) -> Result<String, ChartError> {
    const CHART: &str = "calibration_vs_holdout";
    check_max_frequency(CHART, max_frequency)?;
    if !(holdout_length.is_finite() && holdout_length >= 0.0) {
        return Err(ChartError::new(
            CHART,
            ChartErrorKind::InvalidArgument {
                name: "holdout_length",
                value: holdout_length.to_string(),
                expected: "a finite number of time units >= 0",
            },
        ));
    }
    if holdout_purchases.len() != calibration.len() {
        return Err(ChartError::new(
            CHART,
            ChartErrorKind::Mismatch {
                found: format!(
                    "{} holdout counts for {} customers",
                    holdout_purchases.len(),
                    calibration.len()
                ),
                expected: "one holdout count per row of the calibration table, in its order"
                    .to_owned(),
            },
        ));
    }
    let period_days = calibration.period_days().or(params.period_days());
    let n = calibration.len();
    let title = "Actual purchases in the holdout period against predicted purchases";
    let subtitle = format!(
        "n = {} customers · holdout {} {} · {}",
        count(n as u64),
        fixed(
            holdout_length,
            if holdout_length.fract() == 0.0 { 0 } else { 2 }
        ),
        unit(period_days, holdout_length != 1.0),
        params_text(params)
    );
    if n == 0 {
        return Ok(no_data(title, &subtitle, "the calibration table is empty"));
    }
    let bins = max_frequency as usize + 1;
    let mut groups = vec![(0_u64, 0_u64, 0.0_f64); bins];
    for (index, (observation, &actual)) in calibration.iter().zip(holdout_purchases).enumerate() {
        let k = (observation.frequency().min(f64::from(max_frequency))) as usize;
        let predicted = params
            .expected_purchases(&observation, holdout_length)
            .map_err(|e| model_error(CHART, format!("the holdout purchases of row {index}"), e))?;
        if let Some(group) = groups.get_mut(k) {
            group.0 += 1;
            group.1 += u64::from(actual);
            group.2 += predicted;
        }
    }
    let points: Vec<(usize, u64, f64, f64)> = groups
        .iter()
        .enumerate()
        .filter(|(_, g)| g.0 > 0)
        .map(|(k, &(customers, actual, predicted))| {
            (
                k,
                customers,
                actual as f64 / customers as f64,
                predicted / customers as f64,
            )
        })
        .collect();
    let top = points.iter().flat_map(|p| [p.2, p.3]).fold(0.0, f64::max);
    let (width, height) = (820, 540);
    let decimals = |v: &f64| fixed(*v, 1);
    let none = |_: &f64| String::new();
    let y_desc = format!(
        "mean purchases per customer in the holdout ({} {})",
        fixed(
            holdout_length,
            if holdout_length.fract() == 0.0 { 0 } else { 2 }
        ),
        unit(period_days, holdout_length != 1.0)
    );
    let axes = Axes {
        x: 0.0..bins as f64,
        y: 0.0..nice_max(top),
        x_desc: "repeat purchases in the calibration period",
        y_desc: &y_desc,
        x_ticks: 0,
        y_ticks: 6,
        x_format: &none,
        y_format: &decimals,
        y_label_area: 80,
        x_label_area: 64,
        grid: true,
    };
    let (svg, maps) = frame(CHART, (width, height), &[((10, HEADER, 800, 430), axes)])?;
    let map = maps
        .first()
        .copied()
        .ok_or_else(|| drawing(CHART, "expected one panel"))?;
    let mut layer = Layer::new();
    layer.header(width, title, &subtitle);
    layer.open("axis-labels");
    for k in 0..bins {
        let x = map.px(k as f64 + 0.5);
        layer.text(
            Text::at(x, map.py(0.0) + 16.0, 13).anchor(Anchor::Middle),
            &bin_label(k as u32, max_frequency),
        );
        let customers = groups.get(k).map_or(0, |g| g.0);
        layer.text(
            Text::at(x, map.py(0.0) + 31.0, 11)
                .anchor(Anchor::Middle)
                .fill(PALETTE.muted),
            &format!("n = {}", count(customers)),
        );
    }
    layer.close();
    series_line(&mut layer, &map, &points, |p| p.2, PALETTE.series[0], None);
    series_line(
        &mut layer,
        &map,
        &points,
        |p| p.3,
        PALETTE.series[1],
        Some("6 4"),
    );
    layer.open("marks");
    for &(k, customers, actual, predicted) in &points {
        let label = bin_label(k as u32, max_frequency);
        let x = map.px(k as f64 + 0.5);
        let data = |series: &str, value: f64| {
            vec![
                ("class", "mark".to_owned()),
                ("data-series", series.to_owned()),
                ("data-frequency", label.clone()),
                ("data-n", customers.to_string()),
                ("data-value", format!("{value}")),
            ]
        };
        let mut attrs = data("actual", actual);
        attrs.extend([
            ("cx", num(x)),
            ("cy", num(map.py(actual))),
            ("r", "5".to_owned()),
            ("fill", PALETTE.series[0].hex()),
        ]);
        layer.element(
            "circle",
            &attrs,
            Some(&format!(
                "{label} calibration purchases ({} customers): actual mean {}",
                count(customers),
                fixed(actual, 3)
            )),
            None,
        );
        let (cx, cy) = (x, map.py(predicted));
        let mut attrs = data("model", predicted);
        attrs.extend([
            (
                "d",
                format!(
                    "M {} {} L {} {} L {} {} L {} {} Z",
                    num(cx),
                    num(cy - 7.0),
                    num(cx + 7.0),
                    num(cy),
                    num(cx),
                    num(cy + 7.0),
                    num(cx - 7.0),
                    num(cy)
                ),
            ),
            ("fill", PALETTE.background.hex()),
            ("stroke", PALETTE.series[1].hex()),
            ("stroke-width", "2".to_owned()),
        ]);
        layer.element(
            "path",
            &attrs,
            Some(&format!(
                "{label} calibration purchases ({} customers): predicted mean {}",
                count(customers),
                fixed(predicted, 3)
            )),
            None,
        );
    }
    layer.close();
    let y = f64::from(height) - 12.0;
    layer.open("legend");
    layer.line(
        (100.0, y - 4.0),
        (130.0, y - 4.0),
        PALETTE.series[0],
        2.0,
        &[],
    );
    layer.element(
        "circle",
        &[
            ("cx", "115".to_owned()),
            ("cy", num(y - 4.0)),
            ("r", "5".to_owned()),
            ("fill", PALETTE.series[0].hex()),
        ],
        None,
        None,
    );
    layer.text(
        Text::at(138.0, y, 12).class("legend-label"),
        "actual (mean)",
    );
    layer.line(
        (260.0, y - 4.0),
        (290.0, y - 4.0),
        PALETTE.series[1],
        2.0,
        &[("stroke-dasharray", "6 4".to_owned())],
    );
    layer.text(
        Text::at(298.0, y, 12).class("legend-label"),
        "model (mean of BG/NBD predictions), hollow diamonds",
    );
    layer.close();
    Ok(compose(svg, &layer))
}

/// The line through a series' points.
fn series_line(
    layer: &mut Layer,
    map: &Mapping,
    points: &[(usize, u64, f64, f64)],
    value: impl Fn(&(usize, u64, f64, f64)) -> f64,
    colour: crate::charts::palette::Rgb,
    dash: Option<&str>,
) {
    if points.len() < 2 {
        return;
    }
    let path: Vec<String> = points
        .iter()
        .map(|p| {
            format!(
                "{},{}",
                num(map.px(p.0 as f64 + 0.5)),
                num(map.py(value(p)))
            )
        })
        .collect();
    let mut attrs = vec![
        ("class", "line".to_owned()),
        ("points", path.join(" ")),
        ("fill", "none".to_owned()),
        ("stroke", colour.hex()),
        ("stroke-width", "2".to_owned()),
    ];
    if let Some(dash) = dash {
        attrs.push(("stroke-dasharray", dash.to_owned()));
    }
    layer.element("polyline", &attrs, None, None);
}
