//! The company's policy document: one serde [`Config`] that assembles the sections each
//! stage defines and owns — `facts` ([`FactsConfig`]) and `segment` ([`SegmentConfig`])
//! — with validation that reports every problem with its path, and
//! [`Config::reference()`] (the source documents' defaults, SPEC §8).
//!
//! This module is the composition root: it imports the stages' sections, and no stage
//! imports it. A stage that needs settings takes its own section (a
//! [`Segmenter`] compiles a [`SegmentConfig`]), so a new stage adds its section here
//! without a cycle.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

pub use crate::diagnostic::{ConfigDiagnostic, ConfigError, ConfigErrorKind};
use crate::facts::{FactsConfig, FactsError, FactsOptions, FactsTable};
use crate::kpi::{KpiConfig, KpiErrorKind};
use crate::money::Currency;
use crate::plan::{PlanConfig, PlanError, Planner, Vocabulary};
use crate::segment::{SegmentConfig, SegmentPreset, Segmenter, SegmentsConfig};
use crate::service::{ServiceDoc, ServiceError, ServicePolicy};

/// The company's policy: one serde document (JSON, TOML, YAML — the host picks), with
/// every figure of SPEC §8 a default to change.
///
/// | section | type | what it sets |
/// |---|---|---|
/// | `facts` | [`FactsConfig`] | reference time zone, frequency window, frequency bands |
/// | `segment` | [`SegmentConfig`] | RFM scores, bands and named segments; the stage, tier and class tables; VIP levels |
/// | `plan` | [`PlanConfig`] | the action catalogue, playbooks, triggers, contact policy (consent, caps, quiet hours, cooldowns), budgets, risk levels, control groups |
/// | `service` | [`ServiceDoc`] | business-hours schedules, SLA policies per case type and priority, escalation, auto-close, follow-ups |
/// | `kpi` | [`KpiConfig`] | KPI targets, confidence level, small-sample threshold |
///
/// Each section is checked by the stage that owns it: [`Config::segmenter`] for `facts`
/// and `segment`, [`Config::planner`] for `plan`, [`Config::service_policy`] for
/// `service`, [`KpiConfig::targets`] for `kpi`; [`Config::check`] runs them all. Every
/// message names the path.
///
/// Unknown keys are rejected when the document is read; [`Config::check`] (or
/// [`Config::segmenter`]) then reports every remaining problem with its path, such as
/// `segment.tiers.rows[2].recency_days`.
///
/// # Example
///
/// ```
/// use patronage::{Config, Currency};
///
/// let json = serde_json::to_string(&Config::reference())?;
/// let config: Config = serde_json::from_str(&json)?;
/// assert_eq!(config, Config::reference());
/// assert!(config.check(Currency::CNY)?.is_empty());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// How facts are computed: zone, frequency window, frequency bands.
    #[serde(default)]
    pub facts: FactsConfig,
    /// How customers are segmented.
    pub segment: SegmentConfig,
    /// The maintenance-action planner: actions, playbooks, triggers, contact policy
    /// (default: an empty plan; the reference config carries SPEC R8 and R15).
    #[serde(default)]
    pub plan: PlanConfig,
    /// Service cases: schedules, SLA policies, escalation (default: none).
    #[serde(default)]
    pub service: ServiceDoc,
    /// KPI targets (default: SPEC §8's).
    #[serde(default)]
    pub kpi: KpiConfig,
}

impl Config {
    /// The source documents' defaults (SPEC §8): UTC, a 365-day frequency window,
    /// [`SegmentConfig::reference`], [`ServiceDoc::reference`] and the default KPI
    /// targets.
    pub fn reference() -> Config {
        Config {
            facts: FactsConfig::default(),
            segment: SegmentConfig::reference(),
            plan: PlanConfig::reference(),
            service: ServiceDoc::reference(),
            kpi: KpiConfig::default(),
        }
    }

    /// The compiled planner of the `plan` section, for the stage, tier, segment, VIP and
    /// class names of `vocabulary` (a segmentation's, or [`Vocabulary::reference`]);
    /// returns the warnings beside it, with their paths (`plan.…`).
    ///
    /// # Errors
    ///
    /// The [`PlanError`] of [`Planner::new`], whose
    /// [`config_error`](PlanError::config_error) lists every problem with its path.
    ///
    /// # Example
    ///
    /// ```
    /// use patronage::plan::Vocabulary;
    /// use patronage::Config;
    ///
    /// let mut config = Config::reference();
    /// let (_planner, warnings) = config.planner(&Vocabulary::reference())?;
    /// assert!(warnings.is_empty());
    ///
    /// config.facts.time_zone = chrono_tz::Asia::Shanghai;
    /// let (_planner, warnings) = config.planner(&Vocabulary::reference())?;
    /// assert_eq!(
    ///     warnings[0].to_string(),
    ///     "plan.company_zone: expected the company's zone of the facts section, `Asia/Shanghai`, found `UTC` (warning)",
    /// );
    /// config.plan.company_zone = "Asia/Shanghai".to_owned();
    /// config.plan.caps[1].limit = 0;
    /// let err = config.planner(&Vocabulary::reference()).err().ok_or("accepted")?;
    /// assert!(err.to_string().contains("plan.caps[1].limit"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn planner(
        &self,
        vocabulary: &Vocabulary,
    ) -> Result<(Planner, Vec<ConfigDiagnostic>), PlanError> {
        let (planner, mut warnings) = Planner::new(&self.plan, vocabulary)?;
        // The company has one zone: the facts' dates and the planner's calendar should
        // agree, so a difference is worth a warning.
        let facts_zone = self.facts.time_zone.name();
        if self.plan.company_zone != facts_zone {
            warnings.push(ConfigDiagnostic::warning(
                "plan.company_zone",
                ConfigErrorKind::OutOfRange {
                    expected: format!("the company's zone of the facts section, `{facts_zone}`"),
                    found: self.plan.company_zone.clone(),
                },
            ));
        }
        Ok((planner, warnings))
    }

    /// The compiled service policy of the `service` section.
    ///
    /// # Errors
    ///
    /// The [`ServiceError`] of [`ServicePolicy::compile`], naming its path in the config
    /// (`service.policies[1].targets[0].within`).
    pub fn service_policy(&self) -> Result<ServicePolicy, ServiceError> {
        ServicePolicy::compile(&self.service)
    }

    /// This config with another segment-table preset.
    #[must_use]
    pub fn with_segment_preset(mut self, preset: SegmentPreset) -> Config {
        self.segment.rfm.segments = SegmentsConfig::Preset(preset);
        self
    }

    /// Facts options for this config as of the end of the date `as_of` in its
    /// reference zone (see [`FactsConfig::options_on`]).
    ///
    /// # Errors
    ///
    /// As [`FactsConfig::options_on`].
    pub fn facts_options_on(
        &self,
        as_of: NaiveDate,
        currency: Currency,
    ) -> Result<FactsOptions, FactsError> {
        self.facts.options_on(as_of, currency)
    }

    /// Facts options for this config as of the instant `as_of`.
    pub fn facts_options_at(&self, as_of: DateTime<Utc>, currency: Currency) -> FactsOptions {
        self.facts.options_at(as_of, currency)
    }

    /// Checks the whole document and compiles its segmentation for amounts in
    /// `currency`; returns the warnings beside it (rows that can never match, say),
    /// each with its path in the document.
    ///
    /// # Errors
    ///
    /// A [`ConfigError`] listing every problem with its path (see
    /// [`Segmenter::new`]).
    ///
    /// # Example
    ///
    /// ```
    /// use patronage::{Config, Currency};
    ///
    /// let mut config = Config::reference();
    /// config.facts.frequency_window_days = Some(0);
    /// let err = config.segmenter(Currency::CNY).unwrap_err();
    /// assert_eq!(err.to_string(), "1 problem in the config: facts.frequency_window_days: expected a window of at least 1 day, or none for all time, found `0`");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn segmenter(
        &self,
        currency: Currency,
    ) -> Result<(Segmenter, Vec<ConfigDiagnostic>), ConfigError> {
        let mut diagnostics = Vec::new();
        self.facts.check("facts", &mut diagnostics);
        let compiled = Segmenter::new(&self.segment, self.facts, currency);
        let prefix = |found: Vec<ConfigDiagnostic>| {
            found
                .into_iter()
                .map(|diagnostic| diagnostic.prefixed("segment"))
        };
        match compiled {
            Ok((segmenter, warnings)) if diagnostics.is_empty() => {
                Ok((segmenter, prefix(warnings).collect()))
            }
            Ok((_, warnings)) => {
                diagnostics.extend(prefix(warnings));
                Err(ConfigError::new(diagnostics))
            }
            Err(err) => {
                diagnostics.extend(prefix(err.into_diagnostics()));
                Err(ConfigError::new(diagnostics))
            }
        }
    }

    /// Checks the whole document for amounts in `currency` — every section, each by the
    /// stage that owns it — and returns its warnings.
    ///
    /// The `plan` section is checked against the names the `segment` section can
    /// produce (its stages, tiers, segments, VIP levels and classes); the `service`
    /// section reports its first problem; the `kpi` section its first target out of
    /// range. Every diagnostic names its path.
    ///
    /// # Errors
    ///
    /// A [`ConfigError`] with every problem found.
    ///
    /// # Example
    ///
    /// ```
    /// use patronage::{Config, Currency, SegmentPreset};
    ///
    /// let config = Config::reference().with_segment_preset(SegmentPreset::R02);
    /// let warnings = config.check(Currency::CNY)?;
    /// assert_eq!(warnings.len(), 4);
    /// assert_eq!(warnings[0].path(), "segment.rfm.segments.rows[3]");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn check(&self, currency: Currency) -> Result<Vec<ConfigDiagnostic>, ConfigError> {
        let mut diagnostics = match self.segmenter(currency) {
            Ok((_, warnings)) => warnings,
            Err(err) => err.into_diagnostics(),
        };
        // The names a segmentation by this config can produce: those of an empty one
        // (compiled from the segment section alone, so a facts problem does not hide the
        // plan's).
        let segmenter = Segmenter::new(&self.segment, self.facts, currency).ok();
        let vocabulary = segmenter.and_then(|(segmenter, _)| {
            let empty = FactsTable::new(self.facts.options_at(DateTime::UNIX_EPOCH, currency));
            segmenter
                .run(&empty)
                .ok()
                .map(|segmentation| Vocabulary::from_segmentation(&segmentation))
        });
        if let Some(vocabulary) = vocabulary {
            match self.planner(&vocabulary) {
                Ok((_, warnings)) => diagnostics.extend(warnings),
                Err(err) => match err.config_error() {
                    Some(found) => diagnostics.extend(found.diagnostics().iter().cloned()),
                    None => diagnostics.push(ConfigDiagnostic::error(
                        "plan",
                        ConfigErrorKind::OutOfRange {
                            expected: "a plan section the planner compiles".to_owned(),
                            found: err.to_string(),
                        },
                    )),
                },
            }
        }
        if let Err(err) = self.service_policy() {
            diagnostics.push(ConfigDiagnostic::error(
                err.path().unwrap_or("service"),
                ConfigErrorKind::Service(err.kind().clone()),
            ));
        }
        if let Err(err) = self.kpi.targets() {
            let diagnostic = match err.kind() {
                KpiErrorKind::InvalidTarget {
                    path,
                    value,
                    expected,
                } => ConfigDiagnostic::error(
                    path,
                    ConfigErrorKind::OutOfRange {
                        expected: (*expected).to_owned(),
                        found: value.clone(),
                    },
                ),
                _ => ConfigDiagnostic::error(
                    "kpi.targets",
                    ConfigErrorKind::OutOfRange {
                        expected: "targets in their ranges".to_owned(),
                        found: err.to_string(),
                    },
                ),
            };
            diagnostics.push(diagnostic);
        }
        if diagnostics.iter().any(ConfigDiagnostic::is_error) {
            Err(ConfigError::new(diagnostics))
        } else {
            Ok(diagnostics)
        }
    }
}
