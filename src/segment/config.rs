//! The segmentation's section of the company's [`Config`](crate::Config): RFM score
//! and band settings, the named-segment table, the stage, tier and class tables and the
//! VIP levels, as the company writes them (serde documents, checked when a
//! [`Segmenter`] compiles them).

use serde::{Deserialize, Serialize};

use crate::diagnostic::{ConfigDiagnostic, ConfigErrorKind};
use crate::rules::TableDoc;
use crate::segment::class::symbol_table;
use crate::segment::{
    reference_stage_table, reference_tier_table, Bins, CutPoints, MonetaryBands, RecencyBuckets,
    SegmentPreset, SegmentTable, VipConfig,
};

/// The segmentation policy, the `segment` section of the [`Config`](crate::Config).
///
/// | field | what it sets |
/// |---|---|
/// | `rfm` | score method and bins (or fixed cut points), recency and monetary bands, named segments |
/// | `stages` | the lifecycle-stage decision table ([`reference_stage_table`]) |
/// | `tiers` | the tier decision table ([`reference_tier_table`]); it may read `stage` |
/// | `vip` | VIP levels by spend or points, with benefits |
/// | `classes` | custom classifications, each a decision table; they may read `stage` and `tier` |
///
/// A [`Segmenter`](crate::Segmenter) compiles it (every problem reported with its path inside the
/// section, such as `tiers.rows[2].recency_days`; through the whole
/// [`Config`](crate::Config) the path starts with `segment.`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SegmentConfig {
    /// RFM scores, bands and named segments.
    #[serde(default)]
    pub rfm: RfmConfig,
    /// The lifecycle-stage table (first output: the stage, a symbol).
    pub stages: TableDoc,
    /// The tier table (first output: the tier); it may read `stage`.
    pub tiers: TableDoc,
    /// VIP levels, if the company has them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vip: Option<VipConfig>,
    /// Custom classifications (R9), each a table whose first output is the class; they
    /// may read `stage` and `tier`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub classes: Vec<TableDoc>,
}

impl SegmentConfig {
    /// The source documents' defaults (SPEC §8): quantile scores 1–5, the R `rfm` 0.3.0
    /// segment table, the reference stage and tier tables, silver / gold / diamond VIP
    /// levels, and three classifications of R9 — `value` (high / medium / low by spend
    /// rank), `need` (strategic / special / ordinary) and `cooperation` (potential /
    /// intent / signed / churned).
    pub fn reference() -> SegmentConfig {
        SegmentConfig {
            rfm: RfmConfig::default(),
            stages: reference_stage_table(),
            tiers: reference_tier_table(),
            vip: Some(VipConfig::reference()),
            classes: reference_class_tables(),
        }
    }
}

/// How RFM scores are computed (the *classic* 1–n scores of R6).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum ScoreMethod {
    /// Value thresholds from type-7 quantiles plus one, the R package `rfm`'s method:
    /// equal values always share a score; bins can be uneven or empty
    /// ([`quantile_scores`](crate::segment::quantile_scores)). The default, because "same
    /// behaviour, same score" is the rule a company can explain to its staff.
    #[default]
    Quantile,
    /// Ordinal rank, pandas `qcut(rank(method="first"))`: bins as equal as possible, ties
    /// broken by customer id ([`rank_scores`](crate::segment::rank_scores)).
    Rank,
}

/// RFM score settings: method, number of scores, and optional fixed cut points per
/// dimension (a dimension with cut points ignores the method and `bins`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScoreConfig {
    /// The method for dimensions without cut points (default `quantile`).
    #[serde(default)]
    pub method: ScoreMethod,
    /// The number of scores per dimension (default 5).
    #[serde(default)]
    pub bins: Bins,
    /// Fixed recency cut points in days: a recency below the first scores best.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recency_cut_points: Option<CutPoints>,
    /// Fixed frequency cut points (purchases in the frequency window).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub frequency_cut_points: Option<CutPoints>,
    /// Fixed monetary cut points (net spend).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub monetary_cut_points: Option<CutPoints>,
}

impl ScoreConfig {
    /// The number of recency scores.
    pub fn recency_bins(&self) -> Bins {
        self.recency_cut_points
            .as_ref()
            .map_or(self.bins, CutPoints::bins)
    }

    /// The number of frequency scores.
    pub fn frequency_bins(&self) -> Bins {
        self.frequency_cut_points
            .as_ref()
            .map_or(self.bins, CutPoints::bins)
    }

    /// The number of monetary scores.
    pub fn monetary_bins(&self) -> Bins {
        self.monetary_cut_points
            .as_ref()
            .map_or(self.bins, CutPoints::bins)
    }
}

/// RFM bands (SPEC R6): recency buckets and monetary top-share bands. Frequency bands
/// are part of the facts ([`FrequencyBands`](crate::facts::FrequencyBands)).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BandConfig {
    /// Recency buckets (default ≤ 30, 31–90, 91–180, > 180 days).
    #[serde(default)]
    pub recency_days: RecencyBuckets,
    /// Monetary bands by top share (default top 20%, 21–50%, 51–80%, 81–100%).
    #[serde(default)]
    pub monetary_top_share: MonetaryBands,
}

/// The named-segment table: a shipped preset by name, or a table.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum SegmentsConfig {
    /// `"r-0.3"` or `"r-0.2"`.
    Preset(SegmentPreset),
    /// A table of its own.
    Table(SegmentTable),
}

impl Default for SegmentsConfig {
    fn default() -> SegmentsConfig {
        SegmentsConfig::Preset(SegmentPreset::R03)
    }
}

impl SegmentsConfig {
    /// The table (a preset expanded).
    pub fn table(&self) -> SegmentTable {
        match self {
            SegmentsConfig::Preset(preset) => SegmentTable::preset(*preset),
            SegmentsConfig::Table(table) => table.clone(),
        }
    }
}

/// The RFM part of the config: scores, bands and named segments.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RfmConfig {
    /// Score settings.
    #[serde(default)]
    pub scores: ScoreConfig,
    /// Band bounds.
    #[serde(default)]
    pub bands: BandConfig,
    /// Named segments (default the R `rfm` 0.3.0 table).
    #[serde(default)]
    pub segments: SegmentsConfig,
}

impl RfmConfig {
    pub(crate) fn check(&self, path: &str, diagnostics: &mut Vec<ConfigDiagnostic>) {
        self.bands
            .recency_days
            .check(&format!("{path}.bands.recency_days"), diagnostics);
        self.bands
            .monetary_top_share
            .check(&format!("{path}.bands.monetary_top_share"), diagnostics);
        if let SegmentsConfig::Table(table) = &self.segments {
            table.check(
                &format!("{path}.segments"),
                self.scores.recency_bins(),
                self.scores.frequency_bins(),
                self.scores.monetary_bins(),
                diagnostics,
            );
        } else if self.scores.recency_bins() != Bins::default()
            || self.scores.frequency_bins() != Bins::default()
            || self.scores.monetary_bins() != Bins::default()
        {
            diagnostics.push(ConfigDiagnostic::error(
                &format!("{path}.segments"),
                ConfigErrorKind::OutOfRange {
                    expected: "a segment table of its own when scores are not 1-5 (the presets are written for 5 scores)".to_owned(),
                    found: format!(
                        "a preset with {}/{}/{} scores",
                        self.scores.recency_bins().get(),
                        self.scores.frequency_bins().get(),
                        self.scores.monetary_bins().get()
                    ),
                },
            ));
        }
    }
}

/// The reference custom classifications (R9).
pub(crate) fn reference_class_tables() -> Vec<TableDoc> {
    vec![
        symbol_table(
            "value",
            "customer value by spend rank (R9)",
            &["monetary_top_share"],
            "value",
            &["high", "medium", "low"],
            &[
                ("top 20% by spend", &["< 0.20"], None, "high"),
                ("top 50% by spend", &["< 0.50"], None, "medium"),
                ("the rest, and non-purchasers", &["-"], None, "low"),
            ],
        ),
        symbol_table(
            "need",
            "customer need (R9): strategic accounts, special needs, the rest",
            &["vip_level", "monetary_top_share", "complaints", "refunds"],
            "need",
            &["strategic", "special", "ordinary"],
            &[
                (
                    "diamond VIP",
                    &["diamond", "-", "-", "-"],
                    None,
                    "strategic",
                ),
                (
                    "top 5% by spend",
                    &["-", "< 0.05", "-", "-"],
                    None,
                    "strategic",
                ),
                (
                    "repeated complaints",
                    &["-", "-", ">= 2", "-"],
                    None,
                    "special",
                ),
                (
                    "repeated refunds",
                    &["-", "-", "-", ">= 2"],
                    None,
                    "special",
                ),
                ("everyone else", &["-", "-", "-", "-"], None, "ordinary"),
            ],
        ),
        symbol_table(
            "cooperation",
            "cooperation stage (R9)",
            &["stage"],
            "cooperation",
            &["potential", "intent", "signed", "churned"],
            &[
                ("no interest yet", &["registered"], None, "potential"),
                ("interest, no purchase", &["potential"], None, "intent"),
                ("lapsed", &["churned"], None, "churned"),
                ("buying customer", &["-"], None, "signed"),
            ],
        ),
    ]
}
