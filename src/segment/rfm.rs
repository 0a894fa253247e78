//! RFM bands (SPEC R6: recency buckets and monetary top-share bands; frequency bands are
//! a fact) and named RFM segments from R/F/M scores (the R package `rfm`'s tables).

use std::sync::Arc;

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::diagnostic::{ConfigDiagnostic, ConfigError, ConfigErrorKind};
use crate::rules::{
    CellDoc, Context, DiagnosticCode, Field, FieldId, Hit, HitPolicy, InputDoc, Origin, Record,
    RowDoc, RuleError, Schema, Table, TableDoc, TableExplanation,
};
use crate::segment::stats::{Bins, TopShare};

/// Recency buckets: inclusive upper bounds in days, strictly ascending (SPEC R6
/// defaults `[30, 90, 180]`: ≤ 30 days, 31–90, 91–180, > 180).
///
/// A customer's bucket is the 0-based index of the first bound `≥ recency_days`, or the
/// number of bounds when none is (the open last bucket).
///
/// # Example
///
/// ```
/// use patronage::segment::RecencyBuckets;
///
/// let buckets = RecencyBuckets::default();
/// assert_eq!(buckets.bucket(30), 0);
/// assert_eq!(buckets.bucket(31), 1);
/// assert_eq!(buckets.bucket(181), 3);
/// assert_eq!(buckets.label(1), "31-90 days");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct RecencyBuckets {
    /// Inclusive upper bounds in days, strictly ascending.
    pub upper_bounds_days: Vec<u32>,
}

impl Default for RecencyBuckets {
    fn default() -> RecencyBuckets {
        RecencyBuckets {
            upper_bounds_days: vec![30, 90, 180],
        }
    }
}

impl RecencyBuckets {
    /// The 0-based bucket of a recency.
    pub fn bucket(&self, recency_days: u32) -> u8 {
        let idx = self
            .upper_bounds_days
            .partition_point(|&bound| bound < recency_days);
        u8::try_from(idx).unwrap_or(u8::MAX)
    }

    /// A label such as `0-30 days`, `31-90 days` or `over 180 days`.
    pub fn label(&self, bucket: u8) -> String {
        let idx = usize::from(bucket);
        let lo = match idx.checked_sub(1) {
            Some(prev) => self
                .upper_bounds_days
                .get(prev)
                .map_or(0, |b| b.saturating_add(1)),
            None => 0,
        };
        match self.upper_bounds_days.get(idx) {
            Some(hi) => format!("{lo}-{hi} days"),
            None => format!("over {} days", lo.saturating_sub(1)),
        }
    }

    pub(crate) fn check(&self, path: &str, diagnostics: &mut Vec<ConfigDiagnostic>) {
        if self.upper_bounds_days.len() > 100 {
            diagnostics.push(ConfigDiagnostic::error(
                path,
                ConfigErrorKind::OutOfRange {
                    expected: "at most 100 bounds".to_owned(),
                    found: self.upper_bounds_days.len().to_string(),
                },
            ));
        }
        for (idx, pair) in self.upper_bounds_days.windows(2).enumerate() {
            if let [previous, found] = pair {
                if found <= previous {
                    diagnostics.push(ConfigDiagnostic::error(
                        &format!("{path}[{}]", idx + 1),
                        ConfigErrorKind::NotAscending {
                            previous: previous.to_string(),
                            found: found.to_string(),
                        },
                    ));
                }
            }
        }
    }
}

/// Monetary bands by top share (SPEC §8): exclusive upper bounds on
/// [`TopShare`], strictly ascending in `(0, 1]` (defaults `[0.20, 0.50, 0.80]`: top 20%,
/// 21–50%, 51–80%, 81–100%).
///
/// A purchaser's band is the 0-based index of the first bound with
/// `monetary_top_share < bound`, or the number of bounds when none is.
///
/// # Example
///
/// ```
/// use patronage::segment::{MonetaryBands, TopShare};
///
/// let bands = MonetaryBands::default();
/// assert_eq!(bands.band(TopShare { greater: 1, purchasers: 10 }), 0);
/// assert_eq!(bands.band(TopShare { greater: 2, purchasers: 10 }), 1);
/// assert_eq!(bands.label(1), "top 21-50%");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct MonetaryBands {
    /// Exclusive upper bounds on the top share, strictly ascending in `(0, 1]`.
    pub upper_bounds: Vec<Decimal>,
}

impl Default for MonetaryBands {
    fn default() -> MonetaryBands {
        MonetaryBands {
            upper_bounds: vec![
                Decimal::new(20, 2),
                Decimal::new(50, 2),
                Decimal::new(80, 2),
            ],
        }
    }
}

impl MonetaryBands {
    /// The 0-based band of a top share.
    pub fn band(&self, share: TopShare) -> u8 {
        let idx = self
            .upper_bounds
            .iter()
            .position(|bound| share.is_below(*bound))
            .unwrap_or(self.upper_bounds.len());
        u8::try_from(idx).unwrap_or(u8::MAX)
    }

    /// A label such as `top 20%`, `top 21-50%` or `top 81-100%`.
    pub fn label(&self, band: u8) -> String {
        let pct = |d: &Decimal| {
            d.checked_mul(Decimal::ONE_HUNDRED)
                .unwrap_or(Decimal::ONE_HUNDRED)
                .normalize()
        };
        let idx = usize::from(band);
        let hi = self.upper_bounds.get(idx).map_or(Decimal::ONE_HUNDRED, pct);
        match idx.checked_sub(1).and_then(|p| self.upper_bounds.get(p)) {
            None => format!("top {hi}%"),
            Some(lo) => {
                let lo = pct(lo).checked_add(Decimal::ONE).unwrap_or(Decimal::ONE);
                format!("top {lo}-{hi}%")
            }
        }
    }

    pub(crate) fn check(&self, path: &str, diagnostics: &mut Vec<ConfigDiagnostic>) {
        for (idx, bound) in self.upper_bounds.iter().enumerate() {
            if *bound <= Decimal::ZERO || *bound > Decimal::ONE {
                diagnostics.push(ConfigDiagnostic::error(
                    &format!("{path}[{idx}]"),
                    ConfigErrorKind::OutOfRange {
                        expected: "a share above 0 and at most 1".to_owned(),
                        found: bound.to_string(),
                    },
                ));
            }
        }
        for (idx, pair) in self.upper_bounds.windows(2).enumerate() {
            if let [previous, found] = pair {
                if found <= previous {
                    diagnostics.push(ConfigDiagnostic::error(
                        &format!("{path}[{}]", idx + 1),
                        ConfigErrorKind::NotAscending {
                            previous: previous.to_string(),
                            found: found.to_string(),
                        },
                    ));
                }
            }
        }
    }
}

/// An inclusive range of scores, written `[lo, hi]`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(from = "[u8; 2]", into = "[u8; 2]")]
pub struct ScoreRange {
    /// The lowest score, inclusive.
    pub lo: u8,
    /// The highest score, inclusive.
    pub hi: u8,
}

impl ScoreRange {
    /// `lo..=hi`.
    pub const fn new(lo: u8, hi: u8) -> ScoreRange {
        ScoreRange { lo, hi }
    }
}

impl From<[u8; 2]> for ScoreRange {
    fn from([lo, hi]: [u8; 2]) -> ScoreRange {
        ScoreRange { lo, hi }
    }
}

impl From<ScoreRange> for [u8; 2] {
    fn from(range: ScoreRange) -> [u8; 2] {
        [range.lo, range.hi]
    }
}

/// One row of a segment table: a name and an inclusive score range per dimension.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SegmentRow {
    /// The segment's name, e.g. `Champions`.
    pub name: String,
    /// The recency scores it covers.
    pub recency: ScoreRange,
    /// The frequency scores it covers.
    pub frequency: ScoreRange,
    /// The monetary scores it covers.
    pub monetary: ScoreRange,
}

/// The shipped segment tables.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[non_exhaustive]
pub enum SegmentPreset {
    /// The R `rfm` 0.3.0 table: 10 rows, all reachable.
    #[serde(rename = "r-0.3")]
    R03,
    /// The R `rfm` 0.2.x vignette table: 11 rows, four of them unreachable under first
    /// match (*New Customers*, *Promising*, *Can't Lose Them*, *Lost*), kept as the
    /// package documents it.
    #[serde(rename = "r-0.2")]
    R02,
}

impl SegmentPreset {
    /// The preset's name as written in a config: `r-0.3` or `r-0.2`.
    pub fn name(self) -> &'static str {
        match self {
            SegmentPreset::R03 => "r-0.3",
            SegmentPreset::R02 => "r-0.2",
        }
    }
}

impl std::str::FromStr for SegmentPreset {
    type Err = String;

    fn from_str(text: &str) -> Result<SegmentPreset, String> {
        match text {
            "r-0.3" => Ok(SegmentPreset::R03),
            "r-0.2" => Ok(SegmentPreset::R02),
            other => Err(format!(
                "unknown segment table preset `{other}`: expected `r-0.3` or `r-0.2`"
            )),
        }
    }
}

/// Named RFM segments: rows tried in order, the first whose three ranges contain the
/// customer's scores names its segment; no row → [`SegmentTable::otherwise`].
///
/// # Why first match
///
/// The R package `rfm` evaluates its table first-match since 0.2.2 (before that, later
/// rows overwrote earlier ones and *Champions* vanished), and Braze and the Python `rfm`
/// package do the same. The table compiles to a first-hit decision table of the rules
/// engine ([`CompiledSegments::table`]: a first-hit table over `r_score`, `f_score` and
/// `m_score`), whose load-time analysis reports a row that can
/// never be first as a warning: the 0.2.x table is kept exactly as published, so its
/// four shadowed rows are warned about rather than rejected.
///
/// # Example
///
/// ```
/// use patronage::SegmentPreset; use patronage::segment::{Bins, SegmentTable};
///
/// let table = SegmentTable::preset(SegmentPreset::R02);
/// let (compiled, warnings) = table.compile(Bins::default(), Bins::default(), Bins::default())?;
/// assert_eq!(warnings.len(), 4);
/// assert_eq!(compiled.segment_name(compiled.segment(5, 5, 5)), "Champions");
/// assert_eq!(compiled.segment_name(compiled.segment(1, 5, 1)), "Others");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SegmentTable {
    /// The rows, in the order they are tried.
    pub rows: Vec<SegmentRow>,
    /// The segment of a customer no row matches (default `Others`).
    #[serde(default = "others")]
    pub otherwise: String,
}

fn others() -> String {
    "Others".to_owned()
}

const fn row(name: &'static str, r: (u8, u8), f: (u8, u8), m: (u8, u8)) -> PresetRow {
    PresetRow { name, r, f, m }
}

struct PresetRow {
    name: &'static str,
    r: (u8, u8),
    f: (u8, u8),
    m: (u8, u8),
}

/// R `rfm` 0.3.0 (`vignettes/rfm-introduction.Rmd`).
const R03_ROWS: [PresetRow; 10] = [
    row("Champions", (5, 5), (5, 5), (5, 5)),
    row("Potential Loyalist", (3, 5), (3, 5), (2, 5)),
    row("Loyal Customers", (2, 4), (2, 4), (2, 4)),
    row("Promising", (3, 4), (1, 3), (3, 5)),
    row("New Customers", (4, 5), (1, 3), (1, 5)),
    row("Can't Lose Them", (1, 2), (3, 4), (4, 5)),
    row("At Risk", (1, 2), (2, 5), (4, 5)),
    row("Need Attention", (1, 3), (3, 5), (3, 5)),
    row("About To Sleep", (2, 3), (1, 3), (1, 4)),
    row("Lost", (1, 1), (1, 5), (1, 5)),
];

/// R `rfm` 0.2.x vignettes (the 11-row table; "≤ k" is `1..=k`).
const R02_ROWS: [PresetRow; 11] = [
    row("Champions", (4, 5), (4, 5), (4, 5)),
    row("Loyal Customers", (2, 5), (3, 5), (3, 5)),
    row("Potential Loyalist", (3, 5), (1, 3), (1, 3)),
    row("New Customers", (4, 5), (1, 1), (1, 1)),
    row("Promising", (3, 4), (1, 1), (1, 1)),
    row("Need Attention", (2, 3), (2, 3), (2, 3)),
    row("About To Sleep", (2, 3), (1, 2), (1, 2)),
    row("At Risk", (1, 2), (2, 5), (2, 5)),
    row("Can't Lose Them", (1, 1), (4, 5), (4, 5)),
    row("Hibernating", (1, 2), (1, 2), (1, 2)),
    row("Lost", (1, 2), (1, 2), (1, 2)),
];

impl SegmentTable {
    /// A shipped table.
    pub fn preset(preset: SegmentPreset) -> SegmentTable {
        let rows: &[PresetRow] = match preset {
            SegmentPreset::R03 => &R03_ROWS,
            SegmentPreset::R02 => &R02_ROWS,
        };
        SegmentTable {
            rows: rows
                .iter()
                .map(|p| SegmentRow {
                    name: p.name.to_owned(),
                    recency: ScoreRange::new(p.r.0, p.r.1),
                    frequency: ScoreRange::new(p.f.0, p.f.1),
                    monetary: ScoreRange::new(p.m.0, p.m.1),
                })
                .collect(),
            otherwise: others(),
        }
    }

    /// Checks the table against the number of scores of each dimension and compiles it
    /// to a first-hit [`rules::Table`](crate::rules::Table) over the fields `r_score`,
    /// `f_score` and `m_score` (each declared `1..=bins`); returns the warnings of the
    /// table's load-time analysis (rows that can never match). Every score cell is
    /// decided once by that table, so segmenting a customer is one array read.
    ///
    /// # Errors
    ///
    /// Every problem found, each with its path (`rows[2].recency`): an empty or
    /// duplicate name, a range outside `1..=bins` or with `lo > hi`, a table with more
    /// than 254 rows.
    ///
    /// # Example
    ///
    /// ```
    /// use patronage::SegmentPreset; use patronage::segment::{Bins, SegmentTable};
    ///
    /// let table = SegmentTable::preset(SegmentPreset::R03);
    /// let (compiled, warnings) = table.compile(Bins::default(), Bins::default(), Bins::default())?;
    /// assert!(warnings.is_empty());
    /// assert_eq!(compiled.table().rows().len(), 10);
    /// assert_eq!(compiled.segment_name(compiled.segment(4, 1, 3)), "Promising");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn compile(
        &self,
        recency_bins: Bins,
        frequency_bins: Bins,
        monetary_bins: Bins,
    ) -> Result<(CompiledSegments, Vec<ConfigDiagnostic>), ConfigError> {
        let mut diagnostics = Vec::new();
        self.check(
            "",
            recency_bins,
            frequency_bins,
            monetary_bins,
            &mut diagnostics,
        );
        if diagnostics.iter().any(ConfigDiagnostic::is_error) {
            return Err(ConfigError::new(diagnostics));
        }
        let dims = [
            recency_bins.get(),
            frequency_bins.get(),
            monetary_bins.get(),
        ];
        let (table, fields) = self
            .to_rules_table(dims)
            .map_err(|e| ConfigError::new(vec![rule_diagnostic(&e)]))?;
        for finding in table.diagnostics() {
            let row = finding
                .row
                .and_then(|index| Some((index, self.rows.get(index)?)));
            diagnostics.push(match (finding.code, row) {
                (DiagnosticCode::UnreachableRow | DiagnosticCode::EmptyRow, Some((row, at))) => {
                    ConfigDiagnostic::warning(
                        &format!("rows[{row}]"),
                        ConfigErrorKind::UnreachableRow {
                            row,
                            name: at.name.clone(),
                        },
                    )
                }
                _ => ConfigDiagnostic::warning("rows", ConfigErrorKind::Table(finding.clone())),
            });
        }
        // Decide every score cell once with the table.
        let others = u8::try_from(self.rows.len()).unwrap_or(u8::MAX);
        let [nr, nf, nm] = dims;
        let mut cells = Vec::with_capacity(usize::from(nr) * usize::from(nf) * usize::from(nm));
        let mut scores = Record::new(table.schema());
        let ctx = Context::new(NaiveDate::MIN);
        for r in 1..=nr {
            scores.set(fields[0], i64::from(r));
            for f in 1..=nf {
                scores.set(fields[1], i64::from(f));
                for m in 1..=nm {
                    scores.set(fields[2], i64::from(m));
                    cells.push(match table.decide(&scores, ctx) {
                        Hit::Row(row) => u8::try_from(row).unwrap_or(others),
                        _ => others,
                    });
                }
            }
        }
        let mut names: Vec<String> = self.rows.iter().map(|r| r.name.clone()).collect();
        names.push(self.otherwise.clone());
        Ok((
            CompiledSegments {
                names,
                cells,
                dims,
                table: Arc::new(table),
            },
            diagnostics,
        ))
    }

    /// The table as a first-hit decision table over the score fields `r_score`,
    /// `f_score` and `m_score`, and those fields' ids.
    fn to_rules_table(&self, [nr, nf, nm]: [u8; 3]) -> Result<(Table, [FieldId; 3]), RuleError> {
        let mut schema = Schema::new();
        let fields = [
            schema.add(Field::integer("r_score").range(1, i64::from(nr)))?,
            schema.add(Field::integer("f_score").range(1, i64::from(nf)))?,
            schema.add(Field::integer("m_score").range(1, i64::from(nm)))?,
        ];
        let cell = |range: ScoreRange| CellDoc::Text(format!("[{}..{}]", range.lo, range.hi));
        let doc = TableDoc {
            name: "rfm_segments".to_owned(),
            doc: "named RFM segments: the first row whose score ranges hold the scores".to_owned(),
            hit_policy: HitPolicy::First,
            aggregation: None,
            complete: false,
            inputs: ["r_score", "f_score", "m_score"]
                .map(|name| InputDoc::Expr(name.to_owned()))
                .to_vec(),
            outputs: Vec::new(),
            rows: self
                .rows
                .iter()
                .map(|row| RowDoc {
                    name: Some(row.name.clone()),
                    when: vec![cell(row.recency), cell(row.frequency), cell(row.monetary)],
                    condition: None,
                    then: Vec::new(),
                })
                .collect(),
            default: None,
        };
        Ok((Table::compile(&doc, &schema)?, fields))
    }

    pub(crate) fn check(
        &self,
        path: &str,
        recency_bins: Bins,
        frequency_bins: Bins,
        monetary_bins: Bins,
        diagnostics: &mut Vec<ConfigDiagnostic>,
    ) {
        let sep = if path.is_empty() { "" } else { "." };
        if self.rows.len() > 254 {
            diagnostics.push(ConfigDiagnostic::error(
                &format!("{path}{sep}rows"),
                ConfigErrorKind::OutOfRange {
                    expected: "at most 254 rows".to_owned(),
                    found: self.rows.len().to_string(),
                },
            ));
        }
        if self.otherwise.trim().is_empty() {
            diagnostics.push(ConfigDiagnostic::error(
                &format!("{path}{sep}otherwise"),
                ConfigErrorKind::EmptyName,
            ));
        }
        for (idx, row) in self.rows.iter().enumerate() {
            let at = format!("{path}{sep}rows[{idx}]");
            if row.name.trim().is_empty() {
                diagnostics.push(ConfigDiagnostic::error(
                    &format!("{at}.name"),
                    ConfigErrorKind::EmptyName,
                ));
            } else if let Some(first) = self.rows.iter().position(|r| r.name == row.name) {
                if first < idx {
                    diagnostics.push(ConfigDiagnostic::error(
                        &format!("{at}.name"),
                        ConfigErrorKind::DuplicateName {
                            name: row.name.clone(),
                            first: format!("{path}{sep}rows[{first}]"),
                        },
                    ));
                }
            }
            if row.name == self.otherwise {
                diagnostics.push(ConfigDiagnostic::error(
                    &format!("{at}.name"),
                    ConfigErrorKind::DuplicateName {
                        name: row.name.clone(),
                        first: format!("{path}{sep}otherwise"),
                    },
                ));
            }
            for (field, range, bins) in [
                ("recency", row.recency, recency_bins),
                ("frequency", row.frequency, frequency_bins),
                ("monetary", row.monetary, monetary_bins),
            ] {
                if range.lo < 1 || range.hi > bins.get() || range.lo > range.hi {
                    diagnostics.push(ConfigDiagnostic::error(
                        &format!("{at}.{field}"),
                        ConfigErrorKind::OutOfRange {
                            expected: format!(
                                "a score range `[lo, hi]` with 1 <= lo <= hi <= {}",
                                bins.get()
                            ),
                            found: format!("[{}, {}]", range.lo, range.hi),
                        },
                    ));
                }
            }
        }
    }
}

/// A [`SegmentTable`] compiled to a first-hit [`rules::Table`](crate::rules::Table),
/// with the table's decision for every (R, F, M) score cell kept as one byte.
///
/// Two compiled tables are equal when they name the same segments and decide every
/// score cell alike.
#[derive(Clone, Debug)]
pub struct CompiledSegments {
    names: Vec<String>,
    cells: Vec<u8>,
    dims: [u8; 3],
    table: Arc<Table>,
}

impl PartialEq for CompiledSegments {
    fn eq(&self, other: &CompiledSegments) -> bool {
        self.names == other.names && self.cells == other.cells && self.dims == other.dims
    }
}

impl Eq for CompiledSegments {}

/// A [`RuleError`] of the segment table's rules form, as a config problem.
fn rule_diagnostic(error: &RuleError) -> ConfigDiagnostic {
    let path = match error.origin() {
        Origin::Table { row: Some(row), .. } => format!("rows[{row}]"),
        _ => "rows".to_owned(),
    };
    ConfigDiagnostic::error(&path, ConfigErrorKind::Rule(error.clone()))
}

impl CompiledSegments {
    /// The segment index of a score triple: a row index, or [`CompiledSegments::others`]
    /// for no row (and for scores outside the table's bins).
    #[inline]
    pub fn segment(&self, r: u8, f: u8, m: u8) -> u8 {
        let [nr, nf, nm] = self.dims.map(usize::from);
        let (r, f, m) = (usize::from(r), usize::from(f), usize::from(m));
        if r == 0 || f == 0 || m == 0 || r > nr || f > nf || m > nm {
            return self.others();
        }
        let idx = ((r - 1) * nf + (f - 1)) * nm + (m - 1);
        self.cells
            .get(idx)
            .copied()
            .unwrap_or_else(|| self.others())
    }

    /// The index of the *otherwise* segment (the last name).
    pub fn others(&self) -> u8 {
        (self.names.len() - 1) as u8
    }

    /// The name of a segment index (the rows' names, then the otherwise name).
    pub fn segment_name(&self, segment: u8) -> &str {
        self.names
            .get(usize::from(segment))
            .or_else(|| self.names.last())
            .map_or("", String::as_str)
    }

    /// The decision table the segments compile to: first hit over `r_score`, `f_score`
    /// and `m_score`, one row per segment row (its name and score ranges), no default
    /// (no match is the otherwise segment). [`Table::explain`](crate::rules::Table::explain)
    /// says which row decided a customer's segment and why the earlier rows did not.
    ///
    /// # Example
    ///
    /// ```
    /// use chrono::NaiveDate;
    /// use patronage::rules::{Context, Record};
    /// use patronage::SegmentPreset; use patronage::segment::{Bins, SegmentTable};
    ///
    /// let five = Bins::default();
    /// let (compiled, _) = SegmentTable::preset(SegmentPreset::R03).compile(five, five, five)?;
    /// let table = compiled.table();
    /// let mut scores = Record::new(table.schema());
    /// for (field, score) in [("r_score", "5"), ("f_score", "1"), ("m_score", "2")] {
    ///     scores.set_text(table.schema(), field, score)?;
    /// }
    /// let ctx = Context::new(NaiveDate::from_ymd_opt(2024, 6, 30).ok_or("date")?);
    /// let why = table.explain(&scores, ctx);
    /// assert_eq!(why.row_name.as_deref(), Some("New Customers"));
    /// assert_eq!(compiled.segment_name(compiled.segment(5, 1, 2)), "New Customers");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn table(&self) -> &Table {
        &self.table
    }

    /// Which row of the segment table decided the segment of the scores `[r, f, m]`,
    /// the values it read and why each earlier row did not match (`None` for scores the
    /// table's schema cannot hold).
    pub fn explain(&self, scores: [u8; 3]) -> Option<TableExplanation> {
        let schema = self.table.schema();
        let mut record = Record::new(schema);
        for (name, score) in ["r_score", "f_score", "m_score"].into_iter().zip(scores) {
            record.set(schema.field_id(name)?, i64::from(score));
        }
        Some(self.table.explain(&record, Context::new(NaiveDate::MIN)))
    }

    /// All segment names, rows first and the otherwise name last.
    pub fn names(&self) -> &[String] {
        &self.names
    }

    /// How many score cells each segment owns (its share of the score space).
    pub fn cells_per_segment(&self) -> Vec<usize> {
        let mut counts = vec![0usize; self.names.len()];
        for cell in &self.cells {
            if let Some(slot) = counts.get_mut(usize::from(*cell)) {
                *slot += 1;
            }
        }
        counts
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn five() -> Bins {
        Bins::default()
    }

    #[test]
    fn r02_has_four_unreachable_rows_and_36_other_cells() {
        let (compiled, warnings) = SegmentTable::preset(SegmentPreset::R02)
            .compile(five(), five(), five())
            .unwrap();
        let messages: Vec<String> = warnings.iter().map(ToString::to_string).collect();
        assert_eq!(
            messages,
            vec![
                "rows[3]: row 4 `New Customers` can never match: every score cell it covers is taken by an earlier row (warning)",
                "rows[4]: row 5 `Promising` can never match: every score cell it covers is taken by an earlier row (warning)",
                "rows[8]: row 9 `Can't Lose Them` can never match: every score cell it covers is taken by an earlier row (warning)",
                "rows[10]: row 11 `Lost` can never match: every score cell it covers is taken by an earlier row (warning)",
            ]
        );
        assert_eq!(
            compiled.cells_per_segment(),
            vec![8, 28, 24, 0, 0, 3, 3, 20, 0, 3, 0, 36]
        );
    }

    #[test]
    fn r03_is_fully_reachable_with_10_other_cells() {
        let (compiled, warnings) = SegmentTable::preset(SegmentPreset::R03)
            .compile(five(), five(), five())
            .unwrap();
        assert!(warnings.is_empty());
        assert_eq!(compiled.cells_per_segment().last(), Some(&10));
        assert_eq!(
            compiled.segment_name(compiled.segment(5, 5, 5)),
            "Champions"
        );
        assert_eq!(compiled.segment(0, 1, 1), compiled.others());
        assert_eq!(compiled.segment(6, 1, 1), compiled.others());
    }

    /// First match by the rows' ranges, written out independently of the rules engine.
    fn first_match(table: &SegmentTable, r: u8, f: u8, m: u8) -> u8 {
        let holds = |range: ScoreRange, score: u8| range.lo <= score && score <= range.hi;
        table
            .rows
            .iter()
            .position(|row| {
                holds(row.recency, r) && holds(row.frequency, f) && holds(row.monetary, m)
            })
            .map_or(table.rows.len() as u8, |row| row as u8)
    }

    #[test]
    fn every_score_cell_is_the_first_matching_row() {
        let range = ScoreRange::new;
        let row = |name: &str, r, f, m| SegmentRow {
            name: name.to_owned(),
            recency: r,
            frequency: f,
            monetary: m,
        };
        let custom = SegmentTable {
            rows: vec![
                row("A", range(3, 3), range(2, 4), range(5, 7)),
                row("B", range(1, 3), range(1, 2), range(2, 6)),
                row("C", range(2, 3), range(1, 4), range(1, 7)),
                row("D", range(1, 1), range(3, 4), range(7, 7)),
            ],
            otherwise: others(),
        };
        for (table, bins) in [
            (SegmentTable::preset(SegmentPreset::R02), [5, 5, 5]),
            (SegmentTable::preset(SegmentPreset::R03), [5, 5, 5]),
            (custom, [3, 4, 7]),
        ] {
            let [nr, nf, nm] = bins.map(|b| Bins::try_new(b).unwrap());
            let (compiled, _) = table.compile(nr, nf, nm).unwrap();
            for r in 1..=bins[0] as u8 {
                for f in 1..=bins[1] as u8 {
                    for m in 1..=bins[2] as u8 {
                        assert_eq!(
                            compiled.segment(r, f, m),
                            first_match(&table, r, f, m),
                            "({r}, {f}, {m})"
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn a_row_covered_by_several_earlier_rows_is_unreachable() {
        let range = ScoreRange::new;
        let row = |name: &str, r: ScoreRange| SegmentRow {
            name: name.to_owned(),
            recency: r,
            frequency: range(1, 5),
            monetary: range(1, 5),
        };
        let table = SegmentTable {
            rows: vec![
                row("Old", range(1, 3)),
                row("Recent", range(4, 5)),
                row("Anyone", range(2, 4)),
            ],
            otherwise: others(),
        };
        let (compiled, warnings) = table.compile(five(), five(), five()).unwrap();
        let messages: Vec<String> = warnings.iter().map(ToString::to_string).collect();
        assert_eq!(
            messages,
            vec!["rows[2]: row 3 `Anyone` can never match: every score cell it covers is taken by an earlier row (warning)"]
        );
        assert_eq!(compiled.cells_per_segment(), vec![75, 50, 0, 0]);
    }

    #[test]
    fn the_rules_table_names_the_rows_and_explains_a_segment() {
        let (compiled, _) = SegmentTable::preset(SegmentPreset::R02)
            .compile(five(), five(), five())
            .unwrap();
        let table = compiled.table();
        assert_eq!(table.name(), "rfm_segments");
        assert_eq!(table.hit_policy(), HitPolicy::First);
        assert_eq!(table.rows()[2].name(), Some("Potential Loyalist"));
        assert_eq!(
            table.rows()[2].cells().collect::<Vec<_>>(),
            ["[3..5]", "[1..3]", "[1..3]"]
        );
        let mut scores = Record::new(table.schema());
        for (name, score) in [("r_score", "2"), ("f_score", "2"), ("m_score", "2")] {
            scores.set_text(table.schema(), name, score).unwrap();
        }
        let ctx = Context::new(NaiveDate::MIN);
        assert_eq!(table.decide(&scores, ctx), Hit::Row(5));
        assert_eq!(
            compiled.segment_name(compiled.segment(2, 2, 2)),
            "Need Attention"
        );
        assert_eq!(
            table.explain(&scores, ctx).to_string(),
            "table `rfm_segments`: row 6 (`Need Attention`) decided\n  \
             inputs: r_score = 2, f_score = 2, m_score = 2\n  \
             row 1 (`Champions`): `r_score` is not `[4..5]`\n  \
             row 2 (`Loyal Customers`): `f_score` is not `[3..5]`\n  \
             row 3 (`Potential Loyalist`): `r_score` is not `[3..5]`\n  \
             row 4 (`New Customers`): `r_score` is not `[4..5]`\n  \
             row 5 (`Promising`): `r_score` is not `[3..4]`\n  \
             row 6 (`Need Attention`): matched"
        );
    }

    #[test]
    fn a_rejected_rules_form_is_a_config_error_naming_the_row() {
        let error = RuleError::new(
            Origin::Table {
                table: "rfm_segments".to_owned(),
                row: Some(2),
                column: None,
            },
            crate::rules::RuleErrorKind::InvalidTable {
                reason: "example".to_owned(),
            },
        );
        let diagnostic = rule_diagnostic(&error);
        assert_eq!(diagnostic.path(), "rows[2]");
        assert_eq!(diagnostic.to_string(), format!("rows[2]: {error}"));
        let schema_error = RuleError::new(
            Origin::Schema {
                field: "r_score".to_owned(),
            },
            crate::rules::RuleErrorKind::InvalidTable {
                reason: "example".to_owned(),
            },
        );
        assert_eq!(rule_diagnostic(&schema_error).path(), "rows");
    }

    #[test]
    fn invalid_tables_report_every_problem_with_its_path() {
        let mut table = SegmentTable::preset(SegmentPreset::R03);
        table.rows[1].recency = ScoreRange::new(4, 2);
        table.rows[2].name = "Champions".to_owned();
        table.rows[3].monetary = ScoreRange::new(1, 6);
        table.rows[4].name = " ".to_owned();
        table.rows[5].name = "Others".to_owned();
        table.otherwise = String::new();
        let err = table.compile(five(), five(), five()).unwrap_err();
        assert!(err
            .to_string()
            .starts_with("5 problems in the config: otherwise: expected a name"));
        let messages: Vec<String> = err.diagnostics().iter().map(ToString::to_string).collect();
        assert_eq!(
            messages,
            vec![
                "otherwise: expected a name, found an empty one",
                "rows[1].recency: expected a score range `[lo, hi]` with 1 <= lo <= hi <= 5, found `[4, 2]`",
                "rows[2].name: duplicate name `Champions`: first used at `rows[0]`",
                "rows[3].monetary: expected a score range `[lo, hi]` with 1 <= lo <= hi <= 5, found `[1, 6]`",
                "rows[4].name: expected a name, found an empty one",
            ]
        );
    }

    #[test]
    fn bands_and_labels() {
        let buckets = RecencyBuckets::default();
        let got: Vec<u8> = [0, 30, 31, 90, 91, 180, 181]
            .map(|d| buckets.bucket(d))
            .to_vec();
        assert_eq!(got, vec![0, 0, 1, 1, 2, 2, 3]);
        assert_eq!(buckets.label(0), "0-30 days");
        assert_eq!(buckets.label(3), "over 180 days");
        let bands = MonetaryBands::default();
        assert_eq!(bands.label(0), "top 20%");
        assert_eq!(bands.label(3), "top 81-100%");
        assert_eq!(
            bands.band(TopShare {
                greater: 9,
                purchasers: 10
            }),
            3
        );
        assert_eq!(
            "r-0.1".parse::<SegmentPreset>().unwrap_err(),
            "unknown segment table preset `r-0.1`: expected `r-0.3` or `r-0.2`"
        );
        assert_eq!("r-0.2".parse::<SegmentPreset>().unwrap().name(), "r-0.2");
    }

    #[test]
    fn band_checks() {
        let mut diagnostics = Vec::new();
        RecencyBuckets {
            upper_bounds_days: vec![30, 30],
        }
        .check("bands.recency_days", &mut diagnostics);
        MonetaryBands {
            upper_bounds: vec![Decimal::ZERO, Decimal::new(15, 1)],
        }
        .check("bands.monetary_top_share", &mut diagnostics);
        RecencyBuckets {
            upper_bounds_days: (0..101).collect(),
        }
        .check("r", &mut diagnostics);
        let messages: Vec<String> = diagnostics.iter().map(ToString::to_string).collect();
        assert_eq!(
            messages,
            vec![
                "bands.recency_days[1]: expected a value above `30`, found `30`",
                "bands.monetary_top_share[0]: expected a share above 0 and at most 1, found `0`",
                "bands.monetary_top_share[1]: expected a share above 0 and at most 1, found `1.5`",
                "r: expected at most 100 bounds, found `101`",
            ]
        );
    }
}
