//! The SVG document of a chart. Plotters writes the frame of each panel (axis lines,
//! ticks, tick labels and axis titles, laid out with its built-in text estimate); the
//! [`Layer`] here adds the title, the marks, their labels and the legend, and goes in
//! just before the closing `</svg>`.
//!
//! Every mark is one element with `class="mark"` and `data-*` attributes carrying the
//! value it shows, and a `<title>` child that viewers show as a tooltip, so a test (or a
//! reader of the file) can count and read the marks.

use std::fmt::Write as _;
use std::ops::Range;

use plotters::prelude::{ChartBuilder, Color, IntoDrawingArea, IntoFont, RGBColor, SVGBackend};
use rust_decimal::Decimal;

use crate::charts::error::{ChartError, ChartErrorKind};
use crate::charts::palette::{Palette, Rgb};

/// The palette of every chart.
pub(crate) const PALETTE: Palette = Palette::REFERENCE;

/// The font family every text asks for; the viewer picks the face.
pub(crate) const FONT: &str = "sans-serif";

/// The height of the title and subtitle band.
pub(crate) const HEADER: u32 = 64;

/// Where a text is anchored.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Anchor {
    Start,
    Middle,
    End,
}

/// One text of the layer.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Text<'a> {
    pub(crate) x: f64,
    pub(crate) y: f64,
    pub(crate) size: u32,
    pub(crate) anchor: Anchor,
    pub(crate) bold: bool,
    pub(crate) fill: Rgb,
    pub(crate) class: &'a str,
}

impl<'a> Text<'a> {
    /// Ink text of `size` pixels at (`x`, `y`), anchored at its start.
    pub(crate) fn at(x: f64, y: f64, size: u32) -> Text<'a> {
        Text {
            x,
            y,
            size,
            anchor: Anchor::Start,
            bold: false,
            fill: PALETTE.ink,
            class: "label",
        }
    }

    pub(crate) fn anchor(self, anchor: Anchor) -> Text<'a> {
        Text { anchor, ..self }
    }

    pub(crate) fn bold(self) -> Text<'a> {
        Text { bold: true, ..self }
    }

    pub(crate) fn fill(self, fill: Rgb) -> Text<'a> {
        Text { fill, ..self }
    }

    pub(crate) fn class(self, class: &'a str) -> Text<'a> {
        Text { class, ..self }
    }
}

/// The charts' own elements, written in order.
#[derive(Debug, Default)]
pub(crate) struct Layer {
    buf: String,
}

impl Layer {
    pub(crate) fn new() -> Layer {
        Layer::default()
    }

    /// Opens a group `<g class="…">`.
    pub(crate) fn open(&mut self, class: &str) {
        self.buf.push_str("<g class=\"");
        escape_into(&mut self.buf, class);
        self.buf.push_str("\">\n");
    }

    /// Closes the group opened last.
    pub(crate) fn close(&mut self) {
        self.buf.push_str("</g>\n");
    }

    /// An element with attributes, an optional `<title>` child and optional text.
    pub(crate) fn element(
        &mut self,
        name: &str,
        attrs: &[(&str, String)],
        tooltip: Option<&str>,
        text: Option<&str>,
    ) {
        self.buf.push('<');
        self.buf.push_str(name);
        for (key, value) in attrs {
            self.buf.push(' ');
            self.buf.push_str(key);
            self.buf.push_str("=\"");
            escape_into(&mut self.buf, value);
            self.buf.push('"');
        }
        if tooltip.is_none() && text.is_none() {
            self.buf.push_str("/>\n");
            return;
        }
        self.buf.push('>');
        if let Some(tooltip) = tooltip {
            self.buf.push_str("<title>");
            escape_into(&mut self.buf, tooltip);
            self.buf.push_str("</title>");
        }
        if let Some(text) = text {
            escape_into(&mut self.buf, text);
        }
        self.buf.push_str("</");
        self.buf.push_str(name);
        self.buf.push_str(">\n");
    }

    /// A text.
    pub(crate) fn text(&mut self, style: Text<'_>, content: &str) {
        let anchor = match style.anchor {
            Anchor::Start => "start",
            Anchor::Middle => "middle",
            Anchor::End => "end",
        };
        let mut attrs = vec![
            ("class", style.class.to_owned()),
            ("x", num(style.x)),
            ("y", num(style.y)),
            ("font-family", FONT.to_owned()),
            ("font-size", style.size.to_string()),
            ("text-anchor", anchor.to_owned()),
            ("fill", style.fill.hex()),
        ];
        if style.bold {
            attrs.push(("font-weight", "bold".to_owned()));
        }
        self.element("text", &attrs, None, Some(content));
    }

    /// A rectangle with fill and outline; `extra` adds attributes (class, data).
    pub(crate) fn rect(
        &mut self,
        (x, y, width, height): (f64, f64, f64, f64),
        fill: &str,
        stroke: Option<(Rgb, f64)>,
        extra: &[(&str, String)],
        tooltip: Option<&str>,
    ) {
        let mut attrs: Vec<(&str, String)> = extra.to_vec();
        attrs.extend([
            ("x", num(x)),
            ("y", num(y)),
            ("width", num(width.max(0.0))),
            ("height", num(height.max(0.0))),
            ("fill", fill.to_owned()),
        ]);
        if let Some((colour, width)) = stroke {
            attrs.push(("stroke", colour.hex()));
            attrs.push(("stroke-width", num(width)));
        }
        self.element("rect", &attrs, tooltip, None);
    }

    /// A straight line.
    pub(crate) fn line(
        &mut self,
        (x1, y1): (f64, f64),
        (x2, y2): (f64, f64),
        colour: Rgb,
        width: f64,
        extra: &[(&str, String)],
    ) {
        let mut attrs: Vec<(&str, String)> = extra.to_vec();
        attrs.extend([
            ("x1", num(x1)),
            ("y1", num(y1)),
            ("x2", num(x2)),
            ("y2", num(y2)),
            ("stroke", colour.hex()),
            ("stroke-width", num(width)),
        ]);
        self.element("line", &attrs, None, None);
    }

    /// A hatch pattern `id`: diagonal `colour` lines on `background`.
    pub(crate) fn hatch(&mut self, id: &str, colour: Rgb, background: Rgb) {
        let mut escaped = String::new();
        escape_into(&mut escaped, id);
        let _ = writeln!(
            self.buf,
            "<defs><pattern id=\"{escaped}\" width=\"6\" height=\"6\" patternUnits=\"userSpaceOnUse\" patternTransform=\"rotate(45)\"><rect width=\"6\" height=\"6\" fill=\"{}\"/><line x1=\"0\" y1=\"0\" x2=\"0\" y2=\"6\" stroke=\"{}\" stroke-width=\"3\"/></pattern></defs>",
            background.hex(),
            colour.hex()
        );
    }

    /// The title (bold) and the subtitle (muted) across the top of a chart `width` wide.
    pub(crate) fn header(&mut self, width: u32, title: &str, subtitle: &str) {
        let centre = f64::from(width) / 2.0;
        self.text(
            Text::at(centre, 24.0, 17)
                .anchor(Anchor::Middle)
                .bold()
                .class("title"),
            title,
        );
        self.text(
            Text::at(centre, 46.0, 12)
                .anchor(Anchor::Middle)
                .fill(PALETTE.muted)
                .class("subtitle"),
            subtitle,
        );
    }

    /// A legend entry: a swatch (`fill`, outlined) and its label; returns the x after it.
    pub(crate) fn legend_entry(&mut self, x: f64, y: f64, fill: &str, label: &str) -> f64 {
        self.open("legend");
        self.rect(
            (x, y - 10.0, 14.0, 12.0),
            fill,
            Some((PALETTE.ink, 1.0)),
            &[],
            None,
        );
        self.text(Text::at(x + 20.0, y, 12).class("legend-label"), label);
        self.close();
        x + 20.0 + text_width(label, 12) + 24.0
    }
}

/// The whole document: plotters' frame with the layer inserted before `</svg>`.
pub(crate) fn compose(frame: String, layer: &Layer) -> String {
    let mut out = frame;
    if let Some(at) = out.rfind("</svg>") {
        out.insert_str(at, &layer.buf);
    } else {
        out.push_str(&layer.buf);
        out.push_str("</svg>\n");
    }
    out
}

/// A document with no frame: the root element, the background and the layer.
pub(crate) fn standalone((width, height): (u32, u32), layer: &Layer) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "<svg width=\"{width}\" height=\"{height}\" viewBox=\"0 0 {width} {height}\" xmlns=\"http://www.w3.org/2000/svg\">"
    );
    let _ = writeln!(
        out,
        "<rect x=\"0\" y=\"0\" width=\"{width}\" height=\"{height}\" fill=\"{}\"/>",
        PALETTE.background.hex()
    );
    out.push_str(&layer.buf);
    out.push_str("</svg>\n");
    out
}

/// The chart of empty input: its title and subtitle and, in a framed box, "no data".
pub(crate) fn no_data(title: &str, subtitle: &str, reason: &str) -> String {
    let size = (640, 240);
    let mut layer = Layer::new();
    layer.header(size.0, title, subtitle);
    layer.rect(
        (20.0, f64::from(HEADER), 600.0, 150.0),
        "none",
        Some((PALETTE.grid, 1.0)),
        &[("class", "frame".to_owned())],
        None,
    );
    layer.text(
        Text::at(320.0, 140.0, 20)
            .anchor(Anchor::Middle)
            .bold()
            .fill(PALETTE.muted)
            .class("no-data"),
        "no data",
    );
    layer.text(
        Text::at(320.0, 166.0, 12)
            .anchor(Anchor::Middle)
            .fill(PALETTE.muted)
            .class("note"),
        reason,
    );
    standalone(size, &layer)
}

/// The axes of one panel drawn by plotters.
pub(crate) struct Axes<'a> {
    /// The value range across.
    pub(crate) x: Range<f64>,
    /// The value range up.
    pub(crate) y: Range<f64>,
    /// The axis titles, with units.
    pub(crate) x_desc: &'a str,
    pub(crate) y_desc: &'a str,
    /// How many tick labels at most; 0 for an axis of categories, which the chart labels.
    pub(crate) x_ticks: usize,
    pub(crate) y_ticks: usize,
    /// Tick label formats.
    pub(crate) x_format: &'a dyn Fn(&f64) -> String,
    pub(crate) y_format: &'a dyn Fn(&f64) -> String,
    /// Room for the tick labels left of and below the plot, in pixels.
    pub(crate) y_label_area: u32,
    pub(crate) x_label_area: u32,
    /// Whether to draw grid lines at the ticks.
    pub(crate) grid: bool,
}

/// Where a panel goes on the canvas: left, top, width, height.
pub(crate) type Place = (u32, u32, u32, u32);

/// A linear map from a panel's values to canvas pixels.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Mapping {
    x: (f64, f64, f64, f64),
    y: (f64, f64, f64, f64),
}

impl Mapping {
    /// The pixel column of value `x`.
    pub(crate) fn px(&self, x: f64) -> f64 {
        let (v0, v1, p0, p1) = self.x;
        p0 + (x - v0) / (v1 - v0) * (p1 - p0)
    }

    /// The pixel row of value `y`.
    pub(crate) fn py(&self, y: f64) -> f64 {
        let (v0, v1, p0, p1) = self.y;
        p0 + (y - v0) / (v1 - v0) * (p1 - p0)
    }
}

/// Draws the frames of `panels` with plotters on a canvas of `size`; returns the
/// document so far and each panel's value-to-pixel map.
pub(crate) fn frame(
    chart: &'static str,
    size: (u32, u32),
    panels: &[(Place, Axes<'_>)],
) -> Result<(String, Vec<Mapping>), ChartError> {
    let fail = |e: &dyn std::fmt::Display| {
        ChartError::new(
            chart,
            ChartErrorKind::Drawing {
                message: e.to_string(),
            },
        )
    };
    let ink = colour(PALETTE.ink);
    let grid = colour(PALETTE.grid);
    let mut svg = String::new();
    let mut maps = Vec::with_capacity(panels.len());
    {
        let root = SVGBackend::with_string(&mut svg, size).into_drawing_area();
        root.fill(&colour(PALETTE.background))
            .map_err(|e| fail(&e))?;
        for ((left, top, width, height), axes) in panels {
            let usable = [&axes.x, &axes.y]
                .iter()
                .all(|r| r.start.is_finite() && r.end.is_finite() && r.start < r.end);
            if !usable {
                return Err(fail(&format!(
                    "an axis range is empty or not finite ({:?} by {:?})",
                    axes.x, axes.y
                )));
            }
            let area = root.clone().shrink((*left, *top), (*width, *height));
            let mut plot = ChartBuilder::on(&area)
                .x_label_area_size(axes.x_label_area)
                .y_label_area_size(axes.y_label_area)
                .margin_right(32)
                .margin_top(6)
                .build_cartesian_2d(axes.x.clone(), axes.y.clone())
                .map_err(|e| fail(&e))?;
            let mut mesh = plot.configure_mesh();
            mesh.x_labels(axes.x_ticks)
                .y_labels(axes.y_ticks)
                .x_desc(axes.x_desc)
                .y_desc(axes.y_desc)
                .x_label_formatter(axes.x_format)
                .y_label_formatter(axes.y_format)
                .axis_style(ink)
                .bold_line_style(grid.stroke_width(1))
                .max_light_lines(0)
                .label_style((FONT, 13).into_font().color(&ink))
                .axis_desc_style((FONT, 14).into_font().color(&ink));
            if !axes.grid {
                mesh.disable_mesh();
            }
            mesh.draw().map_err(|e| fail(&e))?;
            let (x0, y0) = plot.backend_coord(&(axes.x.start, axes.y.start));
            let (x1, y1) = plot.backend_coord(&(axes.x.end, axes.y.end));
            maps.push(Mapping {
                x: (axes.x.start, axes.x.end, f64::from(x0), f64::from(x1)),
                y: (axes.y.start, axes.y.end, f64::from(y0), f64::from(y1)),
            });
        }
        root.present().map_err(|e| fail(&e))?;
    }
    Ok((svg, maps))
}

fn colour(rgb: Rgb) -> RGBColor {
    RGBColor(rgb.0, rgb.1, rgb.2)
}

/// Writes `value` with the five XML special characters escaped.
fn escape_into(buf: &mut String, value: &str) {
    for c in value.chars() {
        match c {
            '<' => buf.push_str("&lt;"),
            '>' => buf.push_str("&gt;"),
            '&' => buf.push_str("&amp;"),
            '"' => buf.push_str("&quot;"),
            '\'' => buf.push_str("&apos;"),
            other => buf.push(other),
        }
    }
}

/// A pixel coordinate: at most one decimal, never `-0`.
pub(crate) fn num(value: f64) -> String {
    let rounded = (value * 10.0).round() / 10.0;
    if rounded == 0.0 || !rounded.is_finite() {
        "0".to_owned()
    } else if rounded.fract() == 0.0 {
        format!("{rounded:.0}")
    } else {
        format!("{rounded:.1}")
    }
}

/// A rough width of `text` at `size` pixels (the same estimate plotters makes).
pub(crate) fn text_width(text: &str, size: u32) -> f64 {
    f64::from(size) * 0.6 * text.chars().count() as f64
}

/// A whole number with thousands separated by commas: `12,345`.
pub(crate) fn count(n: u64) -> String {
    group(&n.to_string())
}

/// A value with `decimals` decimals and thousands separated: `12,345.68`, `-3.5`.
pub(crate) fn fixed(value: f64, decimals: usize) -> String {
    let text = format!("{value:.decimals$}");
    let text = if text
        .trim_start_matches('-')
        .chars()
        .all(|c| c == '0' || c == '.')
    {
        text.trim_start_matches('-').to_owned()
    } else {
        text
    };
    let (sign, digits) = match text.strip_prefix('-') {
        Some(rest) => ("-", rest),
        None => ("", text.as_str()),
    };
    let (whole, fraction) = match digits.split_once('.') {
        Some((whole, fraction)) => (whole, Some(fraction)),
        None => (digits, None),
    };
    match fraction {
        Some(fraction) => format!("{sign}{}.{fraction}", group(whole)),
        None => format!("{sign}{}", group(whole)),
    }
}

/// A money amount rounded to cents (half-even), thousands separated.
pub(crate) fn money(amount: Decimal) -> String {
    let rounded =
        amount.round_dp_with_strategy(2, rust_decimal::RoundingStrategy::MidpointNearestEven);
    let text = format!("{rounded:.2}");
    let (sign, digits) = match text.strip_prefix('-') {
        Some(rest) => ("-", rest),
        None => ("", text.as_str()),
    };
    match digits.split_once('.') {
        Some((whole, fraction)) => format!("{sign}{}.{fraction}", group(whole)),
        None => format!("{sign}{}", group(digits)),
    }
}

/// `f64` of a money amount, for positions only.
pub(crate) fn to_f64(amount: Decimal) -> f64 {
    use rust_decimal::prelude::ToPrimitive;
    amount.to_f64().unwrap_or(0.0)
}

fn group(digits: &str) -> String {
    let n = digits.len();
    let mut out = String::with_capacity(n + n / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (n - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A "nice" upper bound of an axis from 0 to at least `max` (1, 1.2, 1.5, 2, 2.5, 3,
/// 4, 5, 6 or 8 times a power of ten), with 10% head room.
pub(crate) fn nice_max(max: f64) -> f64 {
    if !(max.is_finite() && max > 0.0) {
        return 1.0;
    }
    let target = max * 1.1;
    let power = 10f64.powf(target.log10().floor());
    for step in [1.0, 1.2, 1.5, 2.0, 2.5, 3.0, 4.0, 5.0, 6.0, 8.0, 10.0] {
        if step * power >= target {
            return step * power;
        }
    }
    10.0 * power
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[allow(clippy::float_cmp)]
    fn numbers_read_well() {
        assert_eq!(count(0), "0");
        assert_eq!(count(1_234_567), "1,234,567");
        assert_eq!(fixed(12345.678, 2), "12,345.68");
        assert_eq!(fixed(-0.0001, 2), "0.00");
        assert_eq!(fixed(-1234.5, 1), "-1,234.5");
        assert_eq!(money(Decimal::new(-123_456_789, 3)), "-123,456.79");
        assert_eq!(num(-0.01), "0");
        assert_eq!(num(12.25), "12.3");
        assert_eq!(num(3.0), "3");
        assert_eq!(nice_max(0.0), 1.0);
        assert_eq!(nice_max(93.0), 120.0);
        assert_eq!(nice_max(1400.0), 2000.0);
        assert_eq!(nice_max(494.0), 600.0);
    }

    #[test]
    fn text_is_escaped_and_the_layer_goes_before_the_end() {
        let mut layer = Layer::new();
        layer.text(Text::at(1.0, 2.0, 12), "a < b & \"c\"");
        let doc = compose("<svg>\n</svg>\n".to_owned(), &layer);
        assert!(
            doc.contains("a &lt; b &amp; &quot;c&quot;</text>\n</svg>"),
            "{doc}"
        );
        assert!(no_data("T", "S", "why").contains(">no data</text>"));
    }
}
