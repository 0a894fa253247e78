//! Early warning (R27): abnormal movement of a KPI series against its own history.
//!
//! # Method
//!
//! For each point, the *history* is the `window` points just before it. With at least
//! `min_history` of them, the point's robust z-score is `(x − median) / (1.4826 ·
//! MAD)`, MAD being the median absolute deviation of the history from its median (the
//! factor makes it estimate a standard deviation for normal data). A point is abnormal
//! when `|z| ≥ threshold` (default 3.5, Iglewicz and Hoaglin's cut-off) in the watched
//! direction. Median and MAD ignore the outliers of the history that a mean and
//! standard deviation would chase. When the history is constant (MAD = 0), the mean
//! absolute deviation (× 1.2533) is used instead; when that is 0 too, any departure
//! from the constant is abnormal and reported without a z-score.

use serde::{Deserialize, Serialize};

use crate::kpi::error::{KpiError, KpiErrorKind};
use crate::kpi::interval::invalid;

/// Which movements raise a warning.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Watch {
    /// Rises only (response time, complaint volume).
    Up,
    /// Falls only (resolution rate, CSAT).
    Down,
    /// Both.
    Both,
}

/// The early-warning detector: window, minimum history, threshold and direction,
/// validated when built.
///
/// # Example
///
/// ```
/// use patronage::kpi::{EarlyWarning, Status, Watch};
///
/// // Daily median first-response minutes; the last day jumps.
/// let series = [4.1, 3.9, 4.3, 4.0, 4.2, 3.8, 4.1, 4.0, 4.4, 3.9, 9.5];
/// let detector = EarlyWarning::new(10, 8, 3.5, Watch::Up)?;
/// let latest = detector.latest(&series)?.ok_or("empty")?;
/// assert_eq!(latest.status, Status::Abnormal);
/// assert_eq!((latest.window_start, latest.window_len), (0, 10));
/// assert_eq!(latest.median, Some(4.05));
/// assert!(latest.robust_z.is_some_and(|z| z > 20.0));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "EarlyWarningSpec", into = "EarlyWarningSpec")]
pub struct EarlyWarning {
    window: usize,
    min_history: usize,
    threshold: f64,
    watch: Watch,
}

/// The serde form of an [`EarlyWarning`], checked by [`EarlyWarning::new`] when read.
///
/// # Example
///
/// ```
/// use patronage::kpi::EarlyWarning;
///
/// let detector: EarlyWarning = serde_json::from_str(
///     r#"{"window": 12, "min_history": 8, "threshold": 3.5, "watch": "up"}"#)?;
/// assert_eq!(detector.window(), 12);
/// let err = serde_json::from_str::<EarlyWarning>(
///     r#"{"window": 0, "min_history": 8, "threshold": 3.5, "watch": "up"}"#).unwrap_err();
/// assert!(err.to_string().starts_with("argument `window` is 0: expected at least 1 point"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EarlyWarningSpec {
    /// Points of history before each point.
    pub window: usize,
    /// The fewest points of history a point is assessed with.
    pub min_history: usize,
    /// The robust z-score from which a point is abnormal.
    pub threshold: f64,
    /// Which movements raise a warning.
    pub watch: Watch,
}

impl TryFrom<EarlyWarningSpec> for EarlyWarning {
    type Error = KpiError;

    fn try_from(spec: EarlyWarningSpec) -> Result<EarlyWarning, KpiError> {
        EarlyWarning::new(spec.window, spec.min_history, spec.threshold, spec.watch)
    }
}

impl From<EarlyWarning> for EarlyWarningSpec {
    fn from(detector: EarlyWarning) -> EarlyWarningSpec {
        EarlyWarningSpec {
            window: detector.window,
            min_history: detector.min_history,
            threshold: detector.threshold,
            watch: detector.watch,
        }
    }
}

/// The assessment of one point of a series.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Assessment {
    /// The point's position in the series.
    pub index: usize,
    /// Its value.
    pub value: f64,
    /// Normal, abnormal, or not enough history.
    pub status: Status,
    /// The first position of the history used.
    pub window_start: usize,
    /// How many points of history were used.
    pub window_len: usize,
    /// The history's median (`None` without enough history).
    pub median: Option<f64>,
    /// The scale used: `1.4826 · MAD`, or the fallback (`None` without enough history).
    pub scale: Option<f64>,
    /// `value − median`, the size of the deviation in the series' unit.
    pub deviation: Option<f64>,
    /// `deviation / scale`; `None` when the scale is 0 or history is short.
    pub robust_z: Option<f64>,
}

/// The status of a point.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Status {
    /// Within the threshold.
    Normal,
    /// Beyond the threshold in the watched direction.
    Abnormal,
    /// Fewer than `min_history` points before it.
    NotEnoughHistory,
}

impl Default for EarlyWarning {
    /// A 28-point window, at least 14 points of history, threshold 3.5, both directions.
    fn default() -> EarlyWarning {
        EarlyWarning {
            window: 28,
            min_history: 14,
            threshold: 3.5,
            watch: Watch::Both,
        }
    }
}

impl EarlyWarning {
    /// A detector.
    ///
    /// # Errors
    ///
    /// [`KpiErrorKind::InvalidArgument`] when `window` is 0, `min_history` is 0 or
    /// above `window`, or `threshold` is not a finite number above 0.
    ///
    /// # Example
    ///
    /// ```
    /// use patronage::kpi::{EarlyWarning, Watch};
    /// let err = EarlyWarning::new(7, 8, 3.5, Watch::Up).unwrap_err();
    /// assert_eq!(err.to_string(), "argument `min_history` is 8: expected at least 1 and at most `window` (7)");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn new(
        window: usize,
        min_history: usize,
        threshold: f64,
        watch: Watch,
    ) -> Result<EarlyWarning, KpiError> {
        if window == 0 {
            return Err(invalid("window", "0", "at least 1 point"));
        }
        if min_history == 0 || min_history > window {
            return Err(KpiError::new(KpiErrorKind::InvalidArgument {
                name: "min_history",
                value: min_history.to_string(),
                expected: format!("at least 1 and at most `window` ({window})"),
            }));
        }
        if !(threshold.is_finite() && threshold > 0.0) {
            return Err(invalid(
                "threshold",
                &threshold.to_string(),
                "a finite number above 0, such as 3.5",
            ));
        }
        Ok(EarlyWarning {
            window,
            min_history,
            threshold,
            watch,
        })
    }

    /// Points of history before each point.
    pub fn window(&self) -> usize {
        self.window
    }

    /// The fewest points of history a point is assessed with.
    pub fn min_history(&self) -> usize {
        self.min_history
    }

    /// The robust z-score from which a point is abnormal.
    pub fn threshold(&self) -> f64 {
        self.threshold
    }

    /// Which movements raise a warning.
    pub fn watch(&self) -> Watch {
        self.watch
    }

    /// Assesses every point of `series` against the points before it.
    ///
    /// # Errors
    ///
    /// [`KpiErrorKind::NonFiniteValue`] naming the first value that is not a finite
    /// number.
    ///
    /// # Example
    ///
    /// ```
    /// use patronage::kpi::{EarlyWarning, Status};
    /// let all = EarlyWarning::default().assess(&[1.0, 2.0])?;
    /// assert!(all.iter().all(|a| a.status == Status::NotEnoughHistory));
    /// let err = EarlyWarning::default().assess(&[1.0, f64::NAN]).unwrap_err();
    /// assert_eq!(err.to_string(), "series value at index 1 is NaN: expected a finite number");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn assess(&self, series: &[f64]) -> Result<Vec<Assessment>, KpiError> {
        check_series(series)?;
        Ok((0..series.len())
            .filter_map(|i| self.assess_at(series, i))
            .collect())
    }

    /// Assesses the last point of `series`; `None` for an empty series.
    ///
    /// # Errors
    ///
    /// As [`assess`](Self::assess).
    ///
    /// # Example
    ///
    /// See [`EarlyWarning`].
    pub fn latest(&self, series: &[f64]) -> Result<Option<Assessment>, KpiError> {
        check_series(series)?;
        Ok(series
            .len()
            .checked_sub(1)
            .and_then(|i| self.assess_at(series, i)))
    }

    fn assess_at(&self, series: &[f64], index: usize) -> Option<Assessment> {
        let value = *series.get(index)?;
        let window_start = index.saturating_sub(self.window);
        let history = series.get(window_start..index)?;
        let mut assessment = Assessment {
            index,
            value,
            status: Status::NotEnoughHistory,
            window_start,
            window_len: history.len(),
            median: None,
            scale: None,
            deviation: None,
            robust_z: None,
        };
        if history.len() < self.min_history {
            return Some(assessment);
        }
        let median = median(history)?;
        let deviations: Vec<f64> = history.iter().map(|x| (x - median).abs()).collect();
        let mad = median_of(deviations.clone())?;
        let scale = if mad > 0.0 {
            1.4826 * mad
        } else {
            1.2533 * deviations.iter().sum::<f64>() / deviations.len() as f64
        };
        let deviation = value - median;
        let robust_z = (scale > 0.0).then(|| deviation / scale);
        let beyond = match robust_z {
            Some(z) => z.abs() >= self.threshold,
            None => deviation != 0.0,
        };
        let direction_ok = match self.watch {
            Watch::Up => deviation > 0.0,
            Watch::Down => deviation < 0.0,
            Watch::Both => true,
        };
        assessment.status = if beyond && direction_ok {
            Status::Abnormal
        } else {
            Status::Normal
        };
        assessment.median = Some(median);
        assessment.scale = Some(scale);
        assessment.deviation = Some(deviation);
        assessment.robust_z = robust_z;
        Some(assessment)
    }
}

fn check_series(series: &[f64]) -> Result<(), KpiError> {
    match series.iter().position(|x| !x.is_finite()) {
        Some(index) => Err(KpiError::new(KpiErrorKind::NonFiniteValue {
            index,
            // `index` was just found in `series`.
            value: series.get(index).copied().unwrap_or(f64::NAN),
        })),
        None => Ok(()),
    }
}

fn median(values: &[f64]) -> Option<f64> {
    median_of(values.to_vec())
}

fn median_of(mut values: Vec<f64>) -> Option<f64> {
    values.sort_unstable_by(f64::total_cmp);
    let n = values.len();
    if n == 0 {
        return None;
    }
    if n % 2 == 1 {
        values.get(n / 2).copied()
    } else {
        Some((values.get(n / 2 - 1)? + values.get(n / 2)?) / 2.0)
    }
}
