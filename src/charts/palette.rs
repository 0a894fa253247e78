//! The one palette every chart draws with.

/// A colour, as red, green and blue from 0 to 255.
///
/// # Example
///
/// ```
/// use patronage::charts::Rgb;
///
/// let ink = Rgb(0x1f, 0x24, 0x2b);
/// assert_eq!(ink.hex(), "#1f242b");
/// assert!(ink.luminance() < 0.05);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Rgb(pub u8, pub u8, pub u8);

impl Rgb {
    /// The colour as `#rrggbb`.
    pub fn hex(&self) -> String {
        format!("#{:02x}{:02x}{:02x}", self.0, self.1, self.2)
    }

    /// The relative luminance (WCAG 2: linearised sRGB, 0 = black, 1 = white): what
    /// is left of the colour on a grey-scale print.
    pub fn luminance(&self) -> f64 {
        let linear = |channel: u8| {
            let c = f64::from(channel) / 255.0;
            if c <= 0.040_45 {
                c / 12.92
            } else {
                ((c + 0.055) / 1.055).powf(2.4)
            }
        };
        0.2126 * linear(self.0) + 0.7152 * linear(self.1) + 0.0722 * linear(self.2)
    }

    /// The colour `share` of the way from `self` to `other` (0 = `self`, 1 = `other`;
    /// clamped), channel by channel.
    #[must_use]
    pub fn mix(&self, other: Rgb, share: f64) -> Rgb {
        let share = if share.is_finite() {
            share.clamp(0.0, 1.0)
        } else {
            0.0
        };
        let channel = |a: u8, b: u8| {
            (f64::from(a) + (f64::from(b) - f64::from(a)) * share)
                .round()
                .clamp(0.0, 255.0) as u8
        };
        Rgb(
            channel(self.0, other.0),
            channel(self.1, other.1),
            channel(self.2, other.2),
        )
    }
}

/// The colours of the charts: ink, grid and background, the series colours, a
/// sequential ramp for heat maps and the verdict colours.
///
/// Every chart of [`charts`](crate::charts) takes its colours from
/// [`Palette::REFERENCE`], chosen so that a chart reads in grey-scale too: the series
/// colours are far apart in luminance (dark, middle, light), the ramp runs from light to
/// dark with luminance falling at every step (R `rfm`'s ColorBrewer `PuBu`), and no
/// chart tells two things apart by colour alone (marks also differ in shape, outline,
/// hatching or a printed label).
///
/// # Example
///
/// ```
/// use patronage::charts::Palette;
///
/// let palette = Palette::REFERENCE;
/// let [dark, middle, light] = palette.series;
/// assert!(dark.luminance() < middle.luminance() && middle.luminance() < light.luminance());
/// assert!(palette.ramp.windows(2).all(|w| w[0].luminance() > w[1].luminance()));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct Palette {
    /// Text, axes and outlines.
    pub ink: Rgb,
    /// Secondary text (subtitles, notes).
    pub muted: Rgb,
    /// Light rules and empty cells.
    pub grid: Rgb,
    /// The background.
    pub background: Rgb,
    /// Series colours, dark to light.
    pub series: [Rgb; 3],
    /// The sequential ramp of heat maps, light (low) to dark (high).
    pub ramp: [Rgb; 6],
    /// A KPI that met its target.
    pub met: Rgb,
    /// A KPI that missed its target.
    pub missed: Rgb,
    /// A KPI without enough data, or without a target.
    pub no_data: Rgb,
}

impl Palette {
    /// The palette of every chart.
    pub const REFERENCE: Palette = Palette {
        ink: Rgb(0x1f, 0x24, 0x2b),
        muted: Rgb(0x5f, 0x66, 0x6d),
        grid: Rgb(0xdd, 0xdf, 0xe2),
        background: Rgb(0xff, 0xff, 0xff),
        series: [
            Rgb(0x04, 0x5a, 0x8d),
            Rgb(0xe0, 0x7b, 0x00),
            Rgb(0xc6, 0xdb, 0xef),
        ],
        ramp: [
            Rgb(0xf1, 0xee, 0xf6),
            Rgb(0xd0, 0xd1, 0xe6),
            Rgb(0xa6, 0xbd, 0xdb),
            Rgb(0x74, 0xa9, 0xcf),
            Rgb(0x2b, 0x8c, 0xbe),
            Rgb(0x04, 0x5a, 0x8d),
        ],
        met: Rgb(0x1b, 0x6e, 0x3a),
        missed: Rgb(0xd9, 0x5f, 0x02),
        no_data: Rgb(0xbd, 0xbd, 0xbd),
    };

    /// The ramp colour of `share` (0 = lowest, 1 = highest; clamped), interpolated
    /// between the ramp's stops.
    pub fn ramp_at(&self, share: f64) -> Rgb {
        let share = if share.is_finite() {
            share.clamp(0.0, 1.0)
        } else {
            0.0
        };
        let steps = (self.ramp.len() - 1) as f64;
        let at = share * steps;
        let low = at.floor() as usize;
        let first = self.ramp.first().copied().unwrap_or(self.background);
        let from = self.ramp.get(low).copied().unwrap_or(first);
        let to = self.ramp.get(low + 1).copied().unwrap_or(from);
        from.mix(to, at - at.floor())
    }

    /// Ink or background, whichever reads better on `fill`.
    pub fn text_on(&self, fill: Rgb) -> Rgb {
        if fill.luminance() < 0.3 {
            self.background
        } else {
            self.ink
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_palette_reads_in_grey_scale() {
        let p = Palette::REFERENCE;
        let l: Vec<f64> = p.series.iter().map(Rgb::luminance).collect();
        assert!(l[1] - l[0] > 0.15 && l[2] - l[1] > 0.15, "{l:?}");
        for pair in p.ramp.windows(2) {
            assert!(pair[0].luminance() > pair[1].luminance() + 0.05);
        }
        assert!(p.met.luminance() + 0.1 < p.missed.luminance());
        assert!(p.missed.luminance() + 0.1 < p.no_data.luminance());
        assert_eq!(p.ramp_at(0.0), p.ramp[0]);
        assert_eq!(p.ramp_at(1.0), p.ramp[5]);
        assert_eq!(p.ramp_at(f64::NAN), p.ramp[0]);
        assert_eq!(p.text_on(p.ramp[5]), p.background);
        assert_eq!(p.text_on(p.ramp[0]), p.ink);
    }
}
