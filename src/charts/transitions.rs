//! The transition matrix between two segmentations (R12).

use crate::charts::error::{ChartError, ChartErrorKind};
use crate::charts::segments::dimension_label;
use crate::charts::svg::{
    compose, count, fixed, frame, no_data, num, Anchor, Axes, Layer, Text, HEADER, PALETTE,
};
use crate::segment::Transitions;

/// How a missing value is shown: not in that segmentation, or no value there.
const NONE: &str = "(none)";

/// The transition matrix of one dimension between two runs: customers per (before,
/// after) pair, rows before and columns after.
///
/// Values are in the order of the dimension's tables (the order
/// [`transitions`](crate::segment::transitions) gives its cells), with `(none)` —
/// a customer absent from one run, or without a value in it — last. Every non-empty
/// cell of [`Transitions::cells`] is one mark (`class="mark"`, `data-from`, `data-to`,
/// `data-value`, `data-kind` `stay`, `move`, `upgrade` or `downgrade`), printed with its
/// count and shaded by it (square-root scale); customers who stayed have a thick
/// outline, and for VIP levels an upgrade is marked `▲` and a downgrade `▼`.
///
/// # Errors
///
/// None in practice: the `Result` is for the drawing library. Transitions without a
/// cell give a chart that says "no data".
///
/// # Example
///
/// ```
/// use patronage::charts::transition_matrix;
/// use patronage::segment::{Transition, Transitions};
/// use patronage::Dimension;
///
/// let cell = |from: &str, to: &str, count| Transition {
///     from: Some(from.to_owned()),
///     to: Some(to.to_owned()),
///     count,
///     customers: Vec::new(),
///     upgrade: None,
/// };
/// let moves = Transitions {
///     dimension: Dimension::Stage,
///     cells: vec![cell("new", "new", 40), cell("new", "active", 12), cell("active", "active", 30)],
/// };
/// let svg = transition_matrix(&moves)?;
/// assert!(svg.contains("n = 82 customers · 12 moved"));
/// assert_eq!(svg.matches("class=\"mark\"").count(), 3);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn transition_matrix(transitions: &Transitions) -> Result<String, ChartError> {
    const CHART: &str = "transition_matrix";
    let what = dimension_label(&transitions.dimension);
    let total: u64 = transitions.cells.iter().map(|c| c.count).sum();
    let moved: u64 = transitions.moves().map(|c| c.count).sum();
    let title = format!("Transitions of {what} between two runs");
    let share = if total > 0 {
        100.0 * moved as f64 / total as f64
    } else {
        0.0
    };
    let subtitle = format!(
        "n = {} customers · {} moved ({}%) · rows: before, columns: after",
        count(total),
        count(moved),
        fixed(share, 1)
    );
    if total == 0 {
        return Ok(no_data(&title, &subtitle, "no customer in either run"));
    }
    let order = category_order(transitions);
    let k = order.len();
    let cell = (560.0 / k as f64).clamp(34.0, 72.0);
    let grid = (cell * k as f64).round() as u32;
    let (label_left, label_below) = (180, 130);
    let width = (label_left + grid + 80).max(640);
    let height = HEADER + grid + label_below + 56;
    let none = |_: &f64| String::new();
    let axes = Axes {
        x: 0.0..k as f64,
        y: 0.0..k as f64,
        x_desc: "after (second run)",
        y_desc: "before (first run)",
        x_ticks: 0,
        y_ticks: 0,
        x_format: &none,
        y_format: &none,
        y_label_area: label_left,
        x_label_area: label_below,
        grid: false,
    };
    let place = (0, HEADER, label_left + grid + 20, grid + label_below + 8);
    let (svg, maps) = frame(CHART, (width, height), &[(place, axes)])?;
    let map = maps.first().copied().ok_or_else(|| {
        ChartError::new(
            CHART,
            ChartErrorKind::Drawing {
                message: "expected one panel".to_owned(),
            },
        )
    })?;
    let name = |value: &Option<String>| value.clone().unwrap_or_else(|| NONE.to_owned());
    let position = |value: &Option<String>| order.iter().position(|o| o == value);
    let mut layer = Layer::new();
    layer.header(width, &title, &subtitle);
    layer.open("axis-labels");
    for (i, value) in order.iter().enumerate() {
        let row_centre = map.py((k - i) as f64 - 0.5);
        layer.text(
            Text::at(map.px(0.0) - 8.0, row_centre + 4.0, 12)
                .anchor(Anchor::End)
                .class("category"),
            &name(value),
        );
        let x = map.px(i as f64 + 0.5);
        let y = map.py(0.0) + 14.0;
        layer.element(
            "text",
            &[
                ("class", "category".to_owned()),
                ("x", num(x)),
                ("y", num(y)),
                ("font-family", crate::charts::svg::FONT.to_owned()),
                ("font-size", "12".to_owned()),
                ("text-anchor", "end".to_owned()),
                ("fill", PALETTE.ink.hex()),
                ("transform", format!("rotate(-40 {} {})", num(x), num(y))),
            ],
            None,
            Some(&name(value)),
        );
    }
    layer.close();
    let max = transitions
        .cells
        .iter()
        .map(|c| c.count)
        .max()
        .unwrap_or(1)
        .max(1) as f64;
    let mut has_vip_marks = false;
    layer.open("marks");
    for transition in &transitions.cells {
        let (Some(row), Some(column)) = (position(&transition.from), position(&transition.to))
        else {
            continue;
        };
        let (x0, x1) = (map.px(column as f64), map.px(column as f64 + 1.0));
        let (y0, y1) = (map.py((k - row) as f64), map.py((k - row) as f64 - 1.0));
        let fill = PALETTE.ramp_at((transition.count as f64 / max).sqrt());
        let stayed = transition.from == transition.to;
        let (kind, glyph) = match (stayed, transition.upgrade) {
            (true, _) => ("stay", ""),
            (false, Some(true)) => ("upgrade", "▲ "),
            (false, Some(false)) => ("downgrade", "▼ "),
            (false, None) => ("move", ""),
        };
        has_vip_marks |= !glyph.is_empty();
        let (from, to) = (name(&transition.from), name(&transition.to));
        let tooltip = if stayed {
            format!("{from}: {} customers stayed", count(transition.count))
        } else {
            format!(
                "{from} → {to}: {} customers ({kind})",
                count(transition.count)
            )
        };
        let inset = if stayed { 1.5 } else { 0.5 };
        layer.rect(
            (
                x0 + inset,
                y0 + inset,
                x1 - x0 - 2.0 * inset,
                y1 - y0 - 2.0 * inset,
            ),
            &fill.hex(),
            Some(if stayed {
                (PALETTE.ink, 3.0)
            } else {
                (PALETTE.background, 1.0)
            }),
            &[
                ("class", "mark".to_owned()),
                ("data-from", from.clone()),
                ("data-to", to.clone()),
                ("data-kind", kind.to_owned()),
                ("data-value", transition.count.to_string()),
            ],
            Some(&tooltip),
        );
        layer.text(
            Text::at((x0 + x1) / 2.0, (y0 + y1) / 2.0 + 4.0, 12)
                .anchor(Anchor::Middle)
                .fill(PALETTE.text_on(fill)),
            &format!("{glyph}{}", count(transition.count)),
        );
    }
    layer.close();
    let legend_y = f64::from(height) - 16.0;
    let mut note = "cell: customers, darker = more · thick outline: stayed".to_owned();
    if has_vip_marks {
        note.push_str(" · ▲ upgrade · ▼ downgrade");
    }
    layer.text(
        Text::at(20.0, legend_y, 12)
            .fill(PALETTE.muted)
            .class("legend-label"),
        &note,
    );
    Ok(compose(svg, &layer))
}

/// The values of both runs in table order: the order in which the cells list them
/// (rows by `from`, then `to` within a row), merged so that every row's order holds;
/// `None` last.
fn category_order(transitions: &Transitions) -> Vec<Option<String>> {
    let mut seen: Vec<Option<String>> = Vec::new();
    let mut before: Vec<(usize, usize)> = Vec::new();
    let index = |seen: &mut Vec<Option<String>>, value: &Option<String>| {
        if let Some(at) = seen.iter().position(|s| s == value) {
            at
        } else {
            seen.push(value.clone());
            seen.len() - 1
        }
    };
    let mut last_from: Option<usize> = None;
    let mut last_to: Option<(usize, usize)> = None;
    for cell in &transitions.cells {
        let from = index(&mut seen, &cell.from);
        let to = index(&mut seen, &cell.to);
        if let Some(previous) = last_from {
            if previous != from {
                before.push((previous, from));
            }
        }
        if let Some((row, previous)) = last_to {
            if row == from && previous != to {
                before.push((previous, to));
            }
        }
        last_from = Some(from);
        last_to = Some((from, to));
    }
    // Repeatedly take the first-seen value that no remaining value must precede.
    let n = seen.len();
    let mut placed = vec![false; n];
    let mut order = Vec::with_capacity(n);
    while order.len() < n {
        let free = (0..n).find(|&v| {
            !placed.get(v).copied().unwrap_or(true)
                && !before
                    .iter()
                    .any(|&(a, b)| b == v && a != v && !placed.get(a).copied().unwrap_or(true))
        });
        // A cycle cannot come from one table order; fall back to first seen.
        let next = free.or_else(|| (0..n).find(|&v| !placed.get(v).copied().unwrap_or(true)));
        let Some(next) = next else {
            break;
        };
        if let Some(slot) = placed.get_mut(next) {
            *slot = true;
        }
        order.push(next);
    }
    let mut values: Vec<Option<String>> = order
        .into_iter()
        .filter_map(|i| seen.get(i).cloned())
        .collect();
    // `None` last, whatever the constraints said.
    if let Some(at) = values.iter().position(Option::is_none) {
        let none = values.remove(at);
        values.push(none);
    }
    values
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::segment::{Dimension, Transition};

    fn cell(from: Option<&str>, to: Option<&str>) -> Transition {
        Transition {
            from: from.map(str::to_owned),
            to: to.map(str::to_owned),
            count: 1,
            customers: Vec::new(),
            upgrade: None,
        }
    }

    #[test]
    fn categories_keep_the_table_order() {
        let t = Transitions {
            dimension: Dimension::Stage,
            cells: vec![
                cell(Some("b"), Some("c")),
                cell(Some("b"), None),
                cell(Some("c"), Some("a")),
                cell(Some("c"), Some("c")),
                cell(None, Some("a")),
            ],
        };
        // Table order: b, then a before c (row c lists a before c).
        let order = category_order(&t);
        assert_eq!(
            order,
            vec![
                Some("b".to_owned()),
                Some("a".to_owned()),
                Some("c".to_owned()),
                None
            ]
        );
    }
}
