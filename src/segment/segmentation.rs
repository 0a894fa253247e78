//! [`Segmenter`] (a config checked and compiled once) and [`Segmentation`] (its result for
//! a whole customer base).

use std::num::NonZeroUsize;

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::customer::CustomerId;
use crate::diagnostic::{ConfigDiagnostic, ConfigError, ConfigErrorKind};
use crate::facts::{FactsConfig, FactsOptions, FactsTable, FrequencyBand};
use crate::money::Currency;
use crate::parallel::{row_chunks, run_each};
use crate::rules::{ColumnRow, Columns, Context, Schema, TableExplanation};
use crate::segment::class::{class_names, ClassTable, DEFAULT_ROW, NO_ROW};
use crate::segment::fields::{
    idx, schema, SegmentColumns, SymbolMaps, Vocabularies, SEGMENT_FIELDS,
};
use crate::segment::scores::{
    rfm_columns_ranked, CompiledRfm, PopulationStats, RfmColumns, ShardRanks, Thresholds,
};
use crate::segment::stats::{TopShare, NONE};
use crate::segment::vip::{VipBasis, VipConfig, VipDistance};
use crate::segment::{SegmentConfig, SegmentError, SegmentErrorKind};

/// A segmentation policy ([`SegmentConfig`], the `segment` section of a
/// [`Config`](crate::Config)) checked and compiled for one currency and one facts policy:
/// evaluate it on any number of populations with [`Segmenter::run`].
///
/// Compiling does all the work that does not depend on the customers: it validates the
/// document (every problem, with its path), compiles the stage, tier and class tables
/// against the [fields](crate::segment::SEGMENT_FIELDS) they may read, and turns the segment table
/// into a lookup. The compiled form is immutable and `Send + Sync`.
///
/// # Example
///
/// ```
/// use chrono::NaiveDate;
/// use patronage::{Aggregator, Config, Currency, CustomerId};
///
/// let config = Config::reference();
/// let as_of = NaiveDate::from_ymd_opt(2024, 12, 31).ok_or("bad date")?;
/// let mut facts = Aggregator::new(config.facts_options_on(as_of, Currency::CNY)?);
/// let day = |m, d| NaiveDate::from_ymd_opt(2024, m, d).ok_or("bad date");
/// facts.add_purchase_on(CustomerId(1), day(12, 20)?, "300.00 CNY".parse()?)?;
/// facts.add_purchase_on(CustomerId(1), day(11, 2)?, "120.00 CNY".parse()?)?;
/// facts.add_purchase_on(CustomerId(2), day(3, 1)?, "80.00 CNY".parse()?)?;
/// let facts = facts.into_table();
///
/// let (segmenter, warnings) = config.segmenter(Currency::CNY)?;
/// assert!(warnings.is_empty());
/// let segmentation = segmenter.run(&facts)?;
/// let first = segmentation.get(CustomerId(1)).ok_or("no customer 1")?;
/// assert_eq!((first.tier, first.stage), (Some("high_value_active"), Some("active")));
/// let second = segmentation.get(CustomerId(2)).ok_or("no customer 2")?;
/// assert_eq!((second.tier, second.stage), (Some("churned"), Some("churned")));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug)]
pub struct Segmenter {
    currency: Currency,
    facts: FactsConfig,
    rfm: CompiledRfm,
    vip: Option<VipConfig>,
    stages: ClassTable,
    tiers: ClassTable,
    classes: Vec<ClassTable>,
    symbols: SymbolMaps,
    schema: Schema,
    threads: NonZeroUsize,
}

impl Segmenter {
    /// Checks and compiles the segmentation section `config` for amounts in `currency`,
    /// to segment facts folded under the facts section `facts`; returns the warnings
    /// beside it (rows that can never match, say). [`Config::segmenter`] does this for a
    /// whole config (and checks its facts section too).
    ///
    /// Paths in the diagnostics are relative to the section (`tiers.rows[2]`); through
    /// [`Config::segmenter`] they start with `segment.`.
    ///
    /// # Errors
    ///
    /// A [`ConfigError`] with every problem found, each with its path: bands or VIP
    /// minimums not ascending, a segment table outside the score range, a stage, tier or
    /// class table the rules engine rejects (unknown field, type mismatch, syntax, a
    /// non-symbol first output, a multi-hit policy), duplicate class-table names.
    ///
    /// [`Config::segmenter`]: crate::Config::segmenter
    pub fn new(
        config: &SegmentConfig,
        facts: FactsConfig,
        currency: Currency,
    ) -> Result<(Segmenter, Vec<ConfigDiagnostic>), ConfigError> {
        let mut diagnostics = Vec::new();
        let rfm = match CompiledRfm::new(&config.rfm, "rfm") {
            Ok((rfm, warnings)) => {
                diagnostics.extend(warnings);
                Some(rfm)
            }
            Err(found) => {
                diagnostics.extend(found);
                None
            }
        };
        if let Some(vip) = &config.vip {
            vip.check("vip", &mut diagnostics);
        }
        let vip_levels: Vec<String> = config
            .vip
            .iter()
            .flat_map(|v| v.levels.iter().map(|l| l.name.clone()))
            .collect();
        let stages = class_names(&config.stages);
        let tiers = class_names(&config.tiers);
        let vocabularies = Vocabularies {
            vip_levels: &vip_levels,
            stages: &stages,
            tiers: &tiers,
            score_bins: [
                config.rfm.scores.recency_bins().get(),
                config.rfm.scores.frequency_bins().get(),
                config.rfm.scores.monetary_bins().get(),
            ],
        };
        let schemas = [idx::STAGE, idx::TIER, SEGMENT_FIELDS.len()]
            .map(|n| schema(currency, &vocabularies, n));
        let [stage_schema, tier_schema, full_schema] = match schemas {
            [Ok(a), Ok(b), Ok(c)] => [a, b, c],
            [first, second, third] => {
                // The first failing schema names the table whose class names are wrong.
                for (result, path) in [(first, "vip"), (second, "stages"), (third, "tiers")] {
                    if let Err(err) = result {
                        diagnostics.push(ConfigDiagnostic::error(path, ConfigErrorKind::Rule(err)));
                        break;
                    }
                }
                return Err(ConfigError::new(diagnostics));
            }
        };
        let stage_table =
            ClassTable::compile(&config.stages, &stage_schema, "stages", &mut diagnostics);
        let tier_table =
            ClassTable::compile(&config.tiers, &tier_schema, "tiers", &mut diagnostics);
        let mut classes = Vec::with_capacity(config.classes.len());
        for (i, doc) in config.classes.iter().enumerate() {
            let path = format!("classes[{i}]");
            if let Some(first) = config.classes.iter().position(|d| d.name == doc.name) {
                if first < i {
                    diagnostics.push(ConfigDiagnostic::error(
                        &format!("{path}.name"),
                        ConfigErrorKind::DuplicateName {
                            name: doc.name.clone(),
                            first: format!("classes[{first}]"),
                        },
                    ));
                }
            }
            if let Some(table) = ClassTable::compile(doc, &full_schema, &path, &mut diagnostics) {
                classes.push(table);
            }
        }
        if diagnostics.iter().any(ConfigDiagnostic::is_error) {
            return Err(ConfigError::new(diagnostics));
        }
        let (Some(rfm), Some(stages), Some(tiers)) = (rfm, stage_table, tier_table) else {
            return Err(ConfigError::new(diagnostics));
        };
        let symbols = SymbolMaps::new(&full_schema, &vocabularies);
        Ok((
            Segmenter {
                currency,
                facts,
                rfm,
                vip: config.vip.clone(),
                stages,
                tiers,
                classes,
                symbols,
                schema: full_schema,
                threads: NonZeroUsize::MIN,
            },
            diagnostics,
        ))
    }

    /// This segmenter computing the RFM columns and deciding the stage, tier and class
    /// tables on up to `threads` threads a call, the caller's included (the default is
    /// 1: the caller's thread only).
    ///
    /// The result is the same (`==`) for every count. The RFM columns count, key and
    /// sort contiguous chunks of rows on the threads and merge them in order (only the
    /// walk down the spend order that gives scores and top shares is sequential); each
    /// table decides each customer from that customer's row alone, so its rows are
    /// split into contiguous chunks (at least 1,024 customers each), decided on scoped
    /// threads ([`std::thread::scope`]) into each thread's part of the columns.
    ///
    /// # Why threads are opt-in
    ///
    /// A library does not decide its host's concurrency: the host may already be busy
    /// on every core or may run several segmentations side by side. So the crate starts
    /// no thread unless asked, keeps no pool and reads no environment variable (see
    /// [`BatchOptions`](crate::BatchOptions) for the facts table's bulk path).
    ///
    /// # Example
    ///
    /// ```
    /// use std::num::NonZeroUsize;
    /// use patronage::{Config, Currency, FactsTable};
    ///
    /// let config = Config::reference();
    /// let (segmenter, _warnings) = config.segmenter(Currency::CNY)?;
    /// let segmenter = segmenter.with_threads(NonZeroUsize::new(2).ok_or("zero")?);
    /// assert_eq!(segmenter.threads().get(), 2);
    /// let as_of = chrono::NaiveDate::from_ymd_opt(2024, 12, 31).ok_or("bad date")?;
    /// let empty = FactsTable::new(config.facts_options_on(as_of, Currency::CNY)?);
    /// assert!(segmenter.run(&empty)?.is_empty());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn with_threads(self, threads: NonZeroUsize) -> Segmenter {
        Segmenter { threads, ..self }
    }

    /// The most threads one call uses, the caller's included.
    pub fn threads(&self) -> NonZeroUsize {
        self.threads
    }

    /// The currency of the amounts.
    pub fn currency(&self) -> Currency {
        self.currency
    }

    /// The schema of the fields the tables read (all of [`SEGMENT_FIELDS`]).
    pub fn schema(&self) -> &Schema {
        &self.schema
    }

    /// Segments a population: every customer of the facts table, as of the day the
    /// table was folded for (its [`FactsOptions`]: the `as_of` date in the reference
    /// zone is the date rules compare with).
    ///
    /// # Errors
    ///
    /// [`SegmentErrorKind::CurrencyMismatch`] when the table is in another currency;
    /// [`SegmentErrorKind::FactsPolicyMismatch`] when it was folded under another facts
    /// section (zone, window or bands) than the config's;
    /// [`SegmentErrorKind::TooManyCustomers`] beyond `u32::MAX` customers;
    /// [`SegmentErrorKind::Overflow`] when an interpolated threshold overflows.
    ///
    /// # Example: a table folded under another policy
    ///
    /// ```
    /// use chrono::NaiveDate;
    /// use patronage::{Config, Currency, FactsTable};
    ///
    /// let config = Config::reference();
    /// let (segmenter, _warnings) = config.segmenter(Currency::CNY)?;
    /// let as_of = NaiveDate::from_ymd_opt(2024, 12, 31).ok_or("bad date")?;
    /// let all_time = config.facts.with_frequency_window_days(None);
    /// let table = FactsTable::new(all_time.options_on(as_of, Currency::CNY)?);
    /// let err = segmenter.run(&table).unwrap_err();
    /// assert!(err.to_string().starts_with("facts folded with `zone UTC, window all time, bands 24/4/1`: expected the config's facts section `zone UTC, window 365 days, bands 24/4/1`"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn run(&self, facts: &FactsTable) -> Result<Segmentation, SegmentError> {
        self.run_on(facts, None, None)
    }

    /// Segments one shard of a larger base with the base's [`PopulationStats`] (each
    /// shard's, merged): thresholds and top shares are the whole base's, so every
    /// customer gets what a single run over the base would give (R13).
    ///
    /// # Errors
    ///
    /// As [`Segmenter::run`], and [`SegmentErrorKind::RankNeedsWholePopulation`]
    /// with rank scores: an ordinal rank needs every customer's position, which per-value
    /// counts do not carry; use quantile scores or fixed cut points for shards.
    pub fn run_shard(
        &self,
        facts: &FactsTable,
        population: &PopulationStats,
    ) -> Result<Segmentation, SegmentError> {
        self.run_on(facts, Some(population), None)
    }

    /// Segments one shard of a larger base with the base's [`PopulationStats`] and, for
    /// ordinal-rank scores, the base's rank positions of the shard's purchasers computed
    /// outside ([`ShardRanks`]: a query engine's `row_number()` over the whole base):
    /// every customer gets what [`Segmenter::run`] over the base would give, rank scores
    /// included (R13). Dimensions scored by quantiles or cut points ignore their ranks;
    /// top shares and bands come from the statistics.
    ///
    /// # Errors
    ///
    /// As [`Segmenter::run_shard`] (but not [`SegmentErrorKind::RankNeedsWholePopulation`]);
    /// [`SegmentErrorKind::LengthMismatch`] when a rank column has not one entry per
    /// row; [`SegmentErrorKind::RankOutOfRange`] when a purchaser has no rank or one
    /// beyond the base's purchasers.
    ///
    /// # Example
    ///
    /// ```
    /// use chrono::NaiveDate;
    /// use patronage::segment::{PopulationStats, ScoreMethod, ShardRanks};
    /// use patronage::{Aggregator, Config, Currency, CustomerId};
    ///
    /// let mut config = Config::reference();
    /// config.segment.rfm.scores.method = ScoreMethod::Rank;
    /// let as_of = NaiveDate::from_ymd_opt(2024, 12, 31).ok_or("bad date")?;
    /// let mut agg = Aggregator::new(config.facts_options_on(as_of, Currency::CNY)?);
    /// for (id, day, amount) in [(1, 3, "5.00 CNY"), (2, 20, "9.00 CNY"), (3, 9, "7.00 CNY")] {
    ///     let date = NaiveDate::from_ymd_opt(2024, 12, day).ok_or("bad date")?;
    ///     agg.add_purchase_on(CustomerId(id), date, amount.parse()?)?;
    /// }
    /// let base = agg.into_table();
    /// let (segmenter, _) = config.segmenter(Currency::CNY)?;
    /// let whole = segmenter.run(&base)?;
    /// // The ranks of the whole base (oldest purchase first; least spend first).
    /// let ranks = ShardRanks {
    ///     recency: vec![Some(1), Some(3), Some(2)],
    ///     frequency: vec![Some(1), Some(2), Some(3)],
    ///     monetary: vec![Some(1), Some(3), Some(2)],
    /// };
    /// let stats = PopulationStats::of(&base);
    /// let ranked = segmenter.run_shard_ranked(&base, &stats, &ranks)?;
    /// assert_eq!(ranked, whole);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn run_shard_ranked(
        &self,
        facts: &FactsTable,
        population: &PopulationStats,
        ranks: &ShardRanks,
    ) -> Result<Segmentation, SegmentError> {
        self.run_on(facts, Some(population), Some(ranks))
    }

    /// Checks that `facts` were folded in this segmenter's currency and under its facts
    /// section.
    fn check_table(&self, facts: &FactsTable) -> Result<(), SegmentError> {
        if facts.currency() != self.currency {
            return Err(SegmentError::new(SegmentErrorKind::CurrencyMismatch {
                expected: self.currency.to_string(),
                found: facts.currency().to_string(),
            }));
        }
        if facts.options().config() != &self.facts {
            return Err(SegmentError::new(SegmentErrorKind::FactsPolicyMismatch {
                expected: describe_policy(&self.facts),
                found: describe_policy(facts.options().config()),
            }));
        }
        Ok(())
    }

    /// [`Segmenter::run`] on a table the caller gives up: the columns the
    /// segmentation keeps (ids, recency, frequency, purchases, net spend, frequency
    /// band, points) move into it instead of being copied, and the rest of the table is
    /// freed. The same result as [`Segmenter::run`], with about 41 bytes a customer
    /// less to allocate and fill; a host that needs no
    /// [`explanation`](Segmenter::explain) afterwards (which wants the table) saves the
    /// copy.
    ///
    /// # Errors
    ///
    /// As [`Segmenter::run`].
    ///
    /// # Example
    ///
    /// ```
    /// use chrono::{NaiveDate, TimeZone, Utc};
    /// use patronage::{Config, Currency, CustomerId, FactsTable};
    ///
    /// let config = Config::reference();
    /// let (segmenter, _warnings) = config.segmenter(Currency::CNY)?;
    /// let as_of = NaiveDate::from_ymd_opt(2024, 12, 31).ok_or("bad date")?;
    /// let options = config.facts_options_on(as_of, Currency::CNY)?;
    /// let day = NaiveDate::from_ymd_opt(2024, 12, 1).ok_or("bad date")?;
    /// let table = FactsTable::from_dated_minor_units(&options, &[CustomerId(7)], &[day], &[19_900])?;
    /// let copied = segmenter.run(&table)?;
    /// let moved = segmenter.run_owned(table)?;
    /// assert_eq!(moved, copied);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn run_owned(&self, facts: FactsTable) -> Result<Segmentation, SegmentError> {
        let mut segmentation = self.run_without_facts(&facts, None, None)?;
        let kept = facts.into_kept_columns();
        segmentation.customers = kept.customer_ids;
        segmentation.recency_days = kept.recency_days;
        segmentation.frequency = kept.frequency;
        segmentation.purchases = kept.purchases;
        segmentation.monetary = kept.monetary;
        segmentation.frequency_band = kept.frequency_band;
        segmentation.points = kept.points;
        Ok(segmentation)
    }

    fn run_on(
        &self,
        facts: &FactsTable,
        population: Option<&PopulationStats>,
        ranks: Option<&ShardRanks>,
    ) -> Result<Segmentation, SegmentError> {
        let mut segmentation = self.run_without_facts(facts, population, ranks)?;
        segmentation.customers = facts.customer_ids().to_vec();
        segmentation.recency_days = facts.recency_days().to_vec();
        segmentation.frequency = facts.frequency().to_vec();
        segmentation.purchases = facts.purchases().to_vec();
        segmentation.monetary = facts.monetary().to_vec();
        segmentation.frequency_band = facts.frequency_band().to_vec();
        // Empty when no customer has points on record, like the table's column.
        segmentation.points = if facts.has_points() {
            (0..facts.len()).map(|row| facts.points(row)).collect()
        } else {
            Vec::new()
        };
        Ok(segmentation)
    }

    /// The segmentation of `facts` with every column of its own, and the columns it
    /// keeps of the table left empty (the caller fills them, by copy or by move).
    fn run_without_facts(
        &self,
        facts: &FactsTable,
        population: Option<&PopulationStats>,
        ranks: Option<&ShardRanks>,
    ) -> Result<Segmentation, SegmentError> {
        self.check_table(facts)?;
        if let Some(population) = population {
            population.check_options(Some(facts.options()))?;
        }
        let options = *facts.options();
        let as_of = options.as_of_date();
        let rfm = rfm_columns_ranked(facts, &self.rfm, population, ranks, self.threads)?;
        let vip = self.vip_column(facts);
        let ctx = Context::new(as_of);
        let mut columns = SegmentColumns {
            facts,
            rfm: &rfm,
            segment_names: self.rfm.segments.names(),
            vip: &vip,
            stage: &[],
            tier: &[],
            symbols: &self.symbols,
        };
        let threads = self.threads.get();
        let (stage, stage_rule) = decide_in_chunks(&self.stages, &columns, ctx, threads);
        columns.stage = &stage;
        let (tier, tier_rule) = decide_in_chunks(&self.tiers, &columns, ctx, threads);
        columns.tier = &tier;
        let mut classes = Vec::with_capacity(self.classes.len());
        for table in &self.classes {
            let (class, rule) = decide_in_chunks(table, &columns, ctx, threads);
            classes.push(ClassColumn {
                table: table.table.name().to_owned(),
                names: table.names.clone(),
                class,
                rule,
            });
        }
        Ok(Segmentation {
            options,
            customers: Vec::new(),
            recency_days: Vec::new(),
            frequency: Vec::new(),
            purchases: Vec::new(),
            monetary: Vec::new(),
            frequency_band: Vec::new(),
            points: Vec::new(),
            rfm,
            segment_names: self.rfm.segments.names().to_vec(),
            stage,
            stage_rule,
            stage_names: self.stages.names.clone(),
            tier,
            tier_rule,
            tier_names: self.tiers.names.clone(),
            vip,
            vip_names: self
                .vip
                .iter()
                .flat_map(|v| v.levels.iter().map(|l| l.name.clone()))
                .collect(),
            classes,
        })
    }

    fn vip_column(&self, facts: &FactsTable) -> Vec<u8> {
        let Some(vip) = &self.vip else {
            return vec![NONE; facts.len()];
        };
        let level = |value: Decimal| {
            vip.level(value)
                .and_then(|l| u8::try_from(l).ok())
                .unwrap_or(NONE)
        };
        match vip.basis {
            VipBasis::Points => (0..facts.len())
                .map(|row| facts.points(row).map_or(NONE, |p| level(Decimal::from(p))))
                .collect(),
            VipBasis::Spend => {
                let monetary = facts.monetary();
                let mut levels = vec![NONE; monetary.len()];
                let chunks = row_chunks(monetary.len(), self.threads.get());
                let mut parts = Vec::with_capacity(chunks.len());
                let mut rest: &mut [u8] = &mut levels;
                for rows in chunks {
                    let Some((part, tail)) =
                        std::mem::take(&mut rest).split_at_mut_checked(rows.len())
                    else {
                        // The chunks cover the column exactly, so each fits in what is left.
                        break;
                    };
                    parts.push((rows, part));
                    rest = tail;
                }
                run_each(parts, |(rows, part)| {
                    if let Some(values) = monetary.get(rows) {
                        vip.levels_of(values, part, NONE);
                    }
                });
                levels
            }
        }
    }

    /// The distance of a customer to the next VIP level: spend (or points) still needed
    /// and, for spend, purchases at the customer's average order value. `None` without
    /// VIP levels, for an unknown customer, at the top level, or for points when the
    /// customer has no points on record.
    pub fn vip_distance(
        &self,
        segmentation: &Segmentation,
        customer: CustomerId,
    ) -> Option<VipDistance> {
        let vip = self.vip.as_ref()?;
        let row = segmentation.position(customer)?;
        if vip.basis == VipBasis::Points {
            let points = (*segmentation.points.get(row)?)?;
            return vip.distance(Decimal::from(points), None);
        }
        let monetary = *segmentation.monetary.get(row)?;
        let purchases = *segmentation.purchases.get(row)?;
        let aov = (purchases > 0)
            .then(|| monetary.checked_div(Decimal::from(purchases)))
            .flatten();
        vip.distance(monetary, aov)
    }

    /// Explains a customer's stage, tier and classes (the row that decided each and the
    /// values it read) and RFM scores (the thresholds used).
    ///
    /// `facts` must be the table `segmentation` was computed from: the same options
    /// (day, currency, policy) and, for this customer, the same facts.
    ///
    /// # Errors
    ///
    /// [`SegmentErrorKind::UnknownCustomer`] for a customer not in the segmentation;
    /// [`SegmentErrorKind::NotTheSegmentedTable`] when `facts` is not the table the
    /// segmentation was computed from; the errors of [`Segmenter::run`] when the table
    /// does not suit this segmenter.
    pub fn explain(
        &self,
        facts: &FactsTable,
        segmentation: &Segmentation,
        customer: CustomerId,
    ) -> Result<CustomerExplanation, SegmentError> {
        self.check_table(facts)?;
        let row = segmentation.position(customer).ok_or(SegmentError::new(
            SegmentErrorKind::UnknownCustomer { customer },
        ))?;
        segmentation.check_table_row(facts, row, customer)?;
        let ctx = Context::new(segmentation.as_of());
        let mut columns = SegmentColumns {
            facts,
            rfm: &segmentation.rfm,
            segment_names: &segmentation.segment_names,
            vip: &segmentation.vip,
            stage: &[],
            tier: &[],
            symbols: &self.symbols,
        };
        let stage = self
            .stages
            .table
            .explain(&ColumnRow::new(&columns, row), ctx);
        columns.stage = &segmentation.stage;
        let tier = self
            .tiers
            .table
            .explain(&ColumnRow::new(&columns, row), ctx);
        columns.tier = &segmentation.tier;
        let classes = self
            .classes
            .iter()
            .map(|t| t.table.explain(&ColumnRow::new(&columns, row), ctx))
            .collect();
        let labels =
            segmentation
                .row(row)
                .ok_or(SegmentError::new(SegmentErrorKind::UnknownCustomer {
                    customer,
                }))?;
        Ok(CustomerExplanation {
            customer,
            scores: labels.scores,
            thresholds: segmentation.rfm.thresholds.clone(),
            rfm_segment: labels.rfm_segment.map(str::to_owned),
            rfm_segment_table: labels
                .scores
                .and_then(|scores| self.rfm.segments.explain(scores)),
            stage,
            tier,
            classes,
        })
    }
}

/// `zone UTC, window 365 days, bands 24/4/1`: a facts section in a message.
fn describe_policy(config: &FactsConfig) -> String {
    let window = match config.frequency_window_days {
        Some(days) => format!("{days} days"),
        None => "all time".to_owned(),
    };
    let bands = config.frequency_bands;
    format!(
        "zone {}, window {window}, bands {}/{}/{}",
        config.time_zone.name(),
        bands.monthly,
        bands.quarterly,
        bands.yearly
    )
}

/// Why a customer is where it is: the tables' explanations and the RFM thresholds.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CustomerExplanation {
    /// The customer.
    pub customer: CustomerId,
    /// R, F and M scores (`None` for a non-purchaser).
    pub scores: Option<[u8; 3]>,
    /// The score thresholds of the population.
    pub thresholds: Thresholds,
    /// The named RFM segment.
    pub rfm_segment: Option<String>,
    /// The segment table: the row that decided the named segment from the scores and
    /// why each earlier row did not match (`None` for a non-purchaser, who has no scores).
    pub rfm_segment_table: Option<TableExplanation>,
    /// The stage table: the deciding row and the values it read.
    pub stage: TableExplanation,
    /// The tier table.
    pub tier: TableExplanation,
    /// Each class table, in config order.
    pub classes: Vec<TableExplanation>,
}

/// One custom classification of a population.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct ClassColumn {
    pub(crate) table: String,
    pub(crate) names: Vec<String>,
    pub(crate) class: Vec<u8>,
    pub(crate) rule: Vec<u16>,
}

/// The segmentation of a population: per customer (in customer-id order) the RFM
/// scores, bands and named segment, the lifecycle stage, tier, VIP level and custom
/// classes, each with the rule that decided it.
///
/// Names are held once per segmentation and rows refer to them by index, so a row is a
/// few bytes and [`Segmentation::iter`] allocates nothing.
///
/// # Memory
///
/// A segmentation holds 58 bytes a customer ([`Segmentation::heap_bytes`]): the 41 bytes
/// of facts it keeps (id 8, recency 8, frequency 4, purchases 4, net spend 16, frequency
/// band 1), the RFM columns (the top share's count of greater spends 4; three scores,
/// segment, recency bucket and monetary band 1 each) and stage, tier and VIP level (a
/// byte each, and 2 bytes for the deciding row of the stage and tier tables); each
/// class table adds 3 bytes, and points on record 16. At 2 million customers with the
/// reference policy's two class tables that is 128 MB; [`Segmenter::run_owned`] moves the facts' 41 bytes out of
/// the table instead of copying them.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Segmentation {
    options: FactsOptions,
    customers: Vec<CustomerId>,
    recency_days: Vec<Option<u32>>,
    frequency: Vec<u32>,
    purchases: Vec<u32>,
    monetary: Vec<Decimal>,
    frequency_band: Vec<FrequencyBand>,
    points: Vec<Option<u64>>,
    rfm: RfmColumns,
    segment_names: Vec<String>,
    stage: Vec<u8>,
    stage_rule: Vec<u16>,
    stage_names: Vec<String>,
    tier: Vec<u8>,
    tier_rule: Vec<u16>,
    tier_names: Vec<String>,
    vip: Vec<u8>,
    vip_names: Vec<String>,
    classes: Vec<ClassColumn>,
}

/// One customer's row of a [`Segmentation`]: the facts it was computed from and the
/// three labellings (RFM segment, lifecycle stage, tier), the VIP level and the scores.
///
/// See the crate docs, *Three labellings*, for what each label means and why a
/// customer's stage, tier and RFM segment can seem to disagree.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct SegmentationRow<'a> {
    /// The customer.
    pub customer: CustomerId,
    /// Days since the last purchase (`None`: never purchased).
    pub recency_days: Option<u32>,
    /// Purchases in the frequency window.
    pub frequency: u32,
    /// Purchases over all time.
    pub purchases: u32,
    /// Cumulative net spend.
    pub monetary: Decimal,
    /// The frequency band.
    pub frequency_band: FrequencyBand,
    /// The spend ranking among purchasers.
    pub monetary_top_share: Option<TopShare>,
    /// The 0-based monetary band (0 = top 20% by default).
    pub monetary_band: Option<u8>,
    /// The 0-based recency bucket (0 = ≤ 30 days by default).
    pub recency_bucket: Option<u8>,
    /// R, F and M scores.
    pub scores: Option<[u8; 3]>,
    /// The named RFM segment.
    pub rfm_segment: Option<&'a str>,
    /// The lifecycle stage; `None` when no row of the stage table matched and the
    /// table has no default.
    pub stage: Option<&'a str>,
    /// The 0-based stage-table row that decided, `None` for the default or no match.
    pub stage_rule: Option<u16>,
    /// The tier; `None` when no row of the tier table matched and the table has no
    /// default.
    pub tier: Option<&'a str>,
    /// The 0-based tier-table row that decided.
    pub tier_rule: Option<u16>,
    /// The VIP level.
    pub vip_level: Option<&'a str>,
}

/// The totals of one group of customers — one value of a [`Dimension`]: an RFM segment,
/// a stage, a tier, a VIP level or a class — as R `rfm`'s `rfm_segment_summary`:
/// customers, purchases, net revenue and average order value.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupSummary {
    /// The group's name (the segment, stage, tier, level or class).
    pub name: String,
    /// Customers in it.
    pub customers: u64,
    /// Their purchases over all time.
    pub purchases: u64,
    /// Their cumulative net spend.
    pub revenue: Decimal,
    /// `revenue / purchases`, rounded to 2 decimals half-even; `None` without purchases.
    pub average_order_value: Option<Decimal>,
}

/// Which classification of a [`Segmentation`] to count, summarise or compare.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Dimension {
    /// The named RFM segment.
    RfmSegment,
    /// The lifecycle stage.
    Stage,
    /// The tier.
    Tier,
    /// The VIP level.
    VipLevel,
    /// A custom class table, by its name.
    Class(String),
}

fn name_of(names: &[String], idx: u8) -> Option<&str> {
    (idx != NONE)
        .then(|| names.get(usize::from(idx)))
        .flatten()
        .map(String::as_str)
}

fn rule_of(rule: Option<&u16>) -> Option<u16> {
    rule.copied().filter(|r| *r != DEFAULT_ROW && *r != NO_ROW)
}

impl Segmentation {
    /// The bytes the per-customer columns hold on the heap (their capacity): what the
    /// [memory figures](Segmentation#memory) count. Names (of segments, stages, tiers,
    /// levels and classes) are held once and not counted.
    ///
    /// # Example
    ///
    /// ```
    /// use chrono::NaiveDate;
    /// use patronage::{Config, Currency, CustomerId, FactsTable};
    ///
    /// let config = Config::reference();
    /// let (segmenter, _warnings) = config.segmenter(Currency::CNY)?;
    /// let as_of = NaiveDate::from_ymd_opt(2024, 12, 31).ok_or("bad date")?;
    /// let options = config.facts_options_on(as_of, Currency::CNY)?;
    /// let day = NaiveDate::from_ymd_opt(2024, 12, 1).ok_or("bad date")?;
    /// let customers: Vec<CustomerId> = (0..1_000).map(CustomerId).collect();
    /// let table = FactsTable::from_dated_minor_units(&options, &customers, &vec![day; 1_000], &vec![100; 1_000])?;
    /// let segmentation = segmenter.run_owned(table)?;
    /// let classes = segmentation.class_tables().count();
    /// assert_eq!(segmentation.heap_bytes(), (58 + 3 * classes) * 1_000);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn heap_bytes(&self) -> usize {
        fn bytes<T>(column: &Vec<T>) -> usize {
            column.capacity() * std::mem::size_of::<T>()
        }
        let rfm = &self.rfm;
        bytes(&self.customers)
            + bytes(&self.recency_days)
            + bytes(&self.frequency)
            + bytes(&self.purchases)
            + bytes(&self.monetary)
            + bytes(&self.frequency_band)
            + bytes(&self.points)
            + bytes(&rfm.greater)
            + bytes(&rfm.r_score)
            + bytes(&rfm.f_score)
            + bytes(&rfm.m_score)
            + bytes(&rfm.segment)
            + bytes(&rfm.recency_bucket)
            + bytes(&rfm.monetary_band)
            + bytes(&self.stage)
            + bytes(&self.stage_rule)
            + bytes(&self.tier)
            + bytes(&self.tier_rule)
            + bytes(&self.vip)
            + self
                .classes
                .iter()
                .map(|class| bytes(&class.class) + bytes(&class.rule))
                .sum::<usize>()
    }

    /// The number of customers.
    pub fn len(&self) -> usize {
        self.customers.len()
    }

    /// Whether there is no customer.
    pub fn is_empty(&self) -> bool {
        self.customers.is_empty()
    }

    /// The date it is as of: the facts' `as_of` instant in their reference zone.
    pub fn as_of(&self) -> NaiveDate {
        self.options.as_of_date()
    }

    /// The currency of the amounts.
    pub fn currency(&self) -> Currency {
        self.options.currency()
    }

    /// The options of the facts it was computed from (instant, currency, policy).
    pub fn facts_options(&self) -> &FactsOptions {
        &self.options
    }

    /// Checks that row `row` of `facts` is the row this segmentation was computed from
    /// for `customer`: same options, same customer at that row, same facts.
    fn check_table_row(
        &self,
        facts: &FactsTable,
        row: usize,
        customer: CustomerId,
    ) -> Result<(), SegmentError> {
        let differs = |reason: String| {
            Err(SegmentError::new(SegmentErrorKind::NotTheSegmentedTable {
                reason,
            }))
        };
        if facts.options() != &self.options {
            return differs(format!(
                "it was folded with `{}`, the segmentation with `{}`",
                facts.options().describe(),
                self.options.describe()
            ));
        }
        if facts.len() != self.len() {
            return differs(format!(
                "it has {} customers, the segmentation {}",
                facts.len(),
                self.len()
            ));
        }
        let same = facts.customer_ids().get(row) == Some(&customer)
            && facts.recency_days().get(row) == self.recency_days.get(row)
            && facts.frequency().get(row) == self.frequency.get(row)
            && facts.purchases().get(row) == self.purchases.get(row)
            && facts.monetary().get(row) == self.monetary.get(row)
            && facts.points(row) == self.points.get(row).copied().flatten();
        if same {
            Ok(())
        } else {
            differs(format!("customer `{customer}` has other facts in it"))
        }
    }

    /// The customers, ascending.
    pub fn customer_ids(&self) -> &[CustomerId] {
        &self.customers
    }

    /// The score thresholds used (R `rfm`'s `threshold` table).
    pub fn thresholds(&self) -> &Thresholds {
        &self.rfm.thresholds
    }

    /// The row of a customer.
    pub fn position(&self, customer: CustomerId) -> Option<usize> {
        self.customers.binary_search(&customer).ok()
    }

    /// A customer's place.
    pub fn get(&self, customer: CustomerId) -> Option<SegmentationRow<'_>> {
        self.row(self.position(customer)?)
    }

    /// Row `row`'s place.
    pub fn row(&self, row: usize) -> Option<SegmentationRow<'_>> {
        let rfm = &self.rfm;
        let byte = |column: &[u8]| column.get(row).copied().filter(|v| *v != NONE);
        let scores = match (byte(&rfm.r_score), byte(&rfm.f_score), byte(&rfm.m_score)) {
            (Some(r), Some(f), Some(m)) => Some([r, f, m]),
            _ => None,
        };
        Some(SegmentationRow {
            customer: *self.customers.get(row)?,
            recency_days: *self.recency_days.get(row)?,
            frequency: *self.frequency.get(row)?,
            purchases: *self.purchases.get(row)?,
            monetary: *self.monetary.get(row)?,
            frequency_band: *self.frequency_band.get(row)?,
            monetary_top_share: rfm.top_share(row),
            monetary_band: byte(&rfm.monetary_band),
            recency_bucket: byte(&rfm.recency_bucket),
            scores,
            rfm_segment: byte(&rfm.segment).and_then(|s| name_of(&self.segment_names, s)),
            stage: self
                .stage
                .get(row)
                .and_then(|s| name_of(&self.stage_names, *s)),
            stage_rule: rule_of(self.stage_rule.get(row)),
            tier: self
                .tier
                .get(row)
                .and_then(|t| name_of(&self.tier_names, *t)),
            tier_rule: rule_of(self.tier_rule.get(row)),
            vip_level: self.vip.get(row).and_then(|v| name_of(&self.vip_names, *v)),
        })
    }

    /// Every customer's place, in customer-id order.
    pub fn iter(&self) -> impl Iterator<Item = SegmentationRow<'_>> + '_ {
        (0..self.len()).filter_map(|row| self.row(row))
    }

    /// A customer's class in the custom class table `table`.
    pub fn class(&self, customer: CustomerId, table: &str) -> Option<&str> {
        let row = self.position(customer)?;
        let column = self.classes.iter().find(|c| c.table == table)?;
        name_of(&column.names, *column.class.get(row)?)
    }

    /// The names of the custom class tables, in config order.
    pub fn class_tables(&self) -> impl Iterator<Item = &str> + '_ {
        self.classes.iter().map(|c| c.table.as_str())
    }

    /// The names of a dimension, in table order, and each row's index into them.
    fn dimension(&self, dimension: &Dimension) -> Option<(&[String], &[u8])> {
        match dimension {
            Dimension::RfmSegment => Some((&self.segment_names, &self.rfm.segment)),
            Dimension::Stage => Some((&self.stage_names, &self.stage)),
            Dimension::Tier => Some((&self.tier_names, &self.tier)),
            Dimension::VipLevel => Some((&self.vip_names, &self.vip)),
            Dimension::Class(table) => self
                .classes
                .iter()
                .find(|c| &c.table == table)
                .map(|c| (c.names.as_slice(), c.class.as_slice())),
        }
    }

    /// The name of a dimension's value for row `row`.
    pub(crate) fn value_of(&self, dimension: &Dimension, row: usize) -> Option<&str> {
        let (names, column) = self.dimension(dimension)?;
        name_of(names, *column.get(row)?)
    }

    /// Customers per value of a dimension, every name in table order (zeros included);
    /// customers with no value (non-purchasers for RFM segments, say) are not counted.
    /// Empty for an unknown class table.
    pub fn counts(&self, dimension: &Dimension) -> Vec<(&str, usize)> {
        let Some((names, column)) = self.dimension(dimension) else {
            return Vec::new();
        };
        let mut counts = vec![0usize; names.len()];
        for value in column {
            if let Some(slot) = counts.get_mut(usize::from(*value)) {
                *slot += 1;
            }
        }
        names.iter().map(String::as_str).zip(counts).collect()
    }

    /// Customers per named RFM segment ([`Segmentation::counts`] of
    /// [`Dimension::RfmSegment`]).
    pub fn rfm_segment_counts(&self) -> Vec<(&str, usize)> {
        self.counts(&Dimension::RfmSegment)
    }

    /// Customers, purchases, net revenue and AOV per value of a dimension, as R `rfm`'s
    /// segment summary (every name, zeros included).
    ///
    /// # Errors
    ///
    /// [`SegmentErrorKind::Overflow`] when a revenue total overflows.
    pub fn summary(&self, dimension: &Dimension) -> Result<Vec<GroupSummary>, SegmentError> {
        let Some((names, column)) = self.dimension(dimension) else {
            return Ok(Vec::new());
        };
        let mut totals: Vec<GroupSummary> = names
            .iter()
            .map(|name| GroupSummary {
                name: name.clone(),
                customers: 0,
                purchases: 0,
                revenue: Decimal::ZERO,
                average_order_value: None,
            })
            .collect();
        for ((value, purchases), monetary) in column.iter().zip(&self.purchases).zip(&self.monetary)
        {
            if let Some(total) = totals.get_mut(usize::from(*value)) {
                total.customers += 1;
                total.purchases += u64::from(*purchases);
                total.revenue = total.revenue.checked_add(*monetary).ok_or_else(|| {
                    SegmentError::overflow(format!("{} + {monetary}", total.revenue))
                })?;
            }
        }
        for total in &mut totals {
            total.average_order_value = (total.purchases > 0)
                .then(|| total.revenue.checked_div(Decimal::from(total.purchases)))
                .flatten()
                .map(|aov| {
                    aov.round_dp_with_strategy(
                        2,
                        rust_decimal::RoundingStrategy::MidpointNearestEven,
                    )
                });
        }
        Ok(totals)
    }
}

/// Decides every row of `columns` with `table`, in contiguous chunks of rows on up to
/// `threads` threads (the first on the caller's), each writing its own part of the
/// two output columns: the same columns for every thread count.
fn decide_in_chunks(
    table: &ClassTable,
    columns: &SegmentColumns<'_>,
    ctx: Context,
    threads: usize,
) -> (Vec<u8>, Vec<u16>) {
    let n = columns.len();
    let mut classes = vec![NONE; n];
    let mut rules = vec![NO_ROW; n];
    let chunks = row_chunks(n, threads);
    let mut parts = Vec::with_capacity(chunks.len());
    let (mut class_rest, mut rule_rest) = (classes.as_mut_slice(), rules.as_mut_slice());
    for range in chunks {
        let (Some((class_part, class_tail)), Some((rule_part, rule_tail))) = (
            class_rest.split_at_mut_checked(range.len()),
            rule_rest.split_at_mut_checked(range.len()),
        ) else {
            // The chunks cover `0..n` exactly, so each fits in what is left.
            break;
        };
        parts.push((range, class_part, rule_part));
        (class_rest, rule_rest) = (class_tail, rule_tail);
    }
    run_each(parts, |(range, class_part, rule_part)| {
        table.decide_into(columns, range, ctx, class_part, rule_part);
    });
    (classes, rules)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;

    fn send_sync<T: Send + Sync + 'static>() {}

    #[test]
    fn oibits() {
        send_sync::<Segmenter>();
        send_sync::<Segmentation>();
        send_sync::<CustomerExplanation>();
    }

    #[test]
    fn customer_segment_is_small() {
        // A row view is returned by value from `iter()`; keep it a few words.
        assert!(std::mem::size_of::<SegmentationRow<'_>>() <= 160);
    }

    /// Every thread count gives the same segmentation: 30,000 customers with varied
    /// facts, the reference policy (stage, tier and class tables), 1 to 5 threads.
    #[test]
    fn segmentation_does_not_depend_on_threads() {
        use crate::money::Money;
        let as_of = NaiveDate::from_ymd_opt(2024, 12, 31).unwrap();
        let mut config = Config::reference();
        config.facts.frequency_window_days = Some(365);
        let options = config.facts_options_on(as_of, Currency::CNY).unwrap();
        let mut state = 11_u64;
        let mut next = || {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            state >> 20
        };
        let (mut customers, mut dates, mut amounts) = (Vec::new(), Vec::new(), Vec::new());
        for _ in 0..120_000 {
            customers.push(CustomerId(next() % 30_000));
            dates.push(as_of - chrono::Duration::days((next() % 900) as i64));
            let minor = (next() % 200_000) as i64 - 10_000;
            amounts.push(Money::new(Decimal::new(minor, 2), Currency::CNY));
        }
        let facts = FactsTable::from_dated_events(&options, &customers, &dates, &amounts).unwrap();
        assert!(facts.len() > 29_000, "{}", facts.len());
        let (segmenter, _) = config.segmenter(Currency::CNY).unwrap();
        assert!(!segmenter.classes.is_empty());
        let one = segmenter.run(&facts).unwrap();
        let stages: std::collections::BTreeSet<&str> =
            one.iter().filter_map(|row| row.stage).collect();
        let tiers: std::collections::BTreeSet<&str> =
            one.iter().filter_map(|row| row.tier).collect();
        assert!(stages.len() > 2 && tiers.len() > 2, "{stages:?} {tiers:?}");
        for threads in [1, 2, 3, 5] {
            let several = segmenter
                .clone()
                .with_threads(NonZeroUsize::new(threads).unwrap())
                .run(&facts)
                .unwrap();
            assert_eq!(several, one, "{threads} threads");
        }
    }

    #[test]
    fn an_empty_population_segments_to_nothing() {
        let (segmenter, _) = Config::reference().segmenter(Currency::CNY).unwrap();
        let as_of = NaiveDate::from_ymd_opt(2024, 1, 1).unwrap();
        let facts = FactsTable::new(
            crate::FactsConfig::default()
                .options_on(as_of, Currency::CNY)
                .unwrap(),
        );
        let segmentation = segmenter.run(&facts).unwrap();
        assert!(segmentation.is_empty());
        assert_eq!(segmentation.as_of(), as_of);
        assert_eq!(segmentation.currency(), Currency::CNY);
        assert!(segmentation
            .rfm_segment_counts()
            .iter()
            .all(|(_, n)| *n == 0));
        assert!(segmentation.thresholds().monetary.is_empty());
        assert!(segmentation
            .counts(&Dimension::Class("none".to_owned()))
            .is_empty());
        assert!(segmentation
            .summary(&Dimension::Class("none".to_owned()))
            .unwrap()
            .is_empty());
        assert_eq!(segmenter.currency(), Currency::CNY);
        assert_eq!(segmenter.schema().len(), SEGMENT_FIELDS.len());
    }

    #[test]
    fn ranked_shards_equal_one_run() {
        use crate::facts::{Aggregator, Facts};
        use crate::segment::{ScoreMethod, ShardRanks};
        let as_of = NaiveDate::from_ymd_opt(2024, 12, 31).unwrap();
        let mut config = Config::reference();
        config.segment.rfm.scores.method = ScoreMethod::Rank;
        let options = config.facts_options_on(as_of, Currency::CNY).unwrap();
        let mut agg = Aggregator::new(options);
        let mut state = 7_u64;
        for _ in 0..4_000 {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            let customer = CustomerId(state >> 54);
            let date = as_of - chrono::Days::new((state >> 20) % 700);
            let cents = ((state >> 8) % 20_000) as i64;
            let amount = crate::Money::new(Decimal::new(cents, 2), Currency::CNY);
            if state % 13 == 0 {
                agg.add_refund_on(
                    customer,
                    date,
                    amount
                        .checked_add(crate::Money::new(Decimal::ONE, Currency::CNY))
                        .unwrap(),
                )
                .unwrap();
            } else {
                agg.add_purchase_on(customer, date, amount).unwrap();
            }
        }
        let base = agg.into_table();
        let (segmenter, _) = config.segmenter(Currency::CNY).unwrap();
        let whole = segmenter.run(&base).unwrap();
        // The whole base's ranks, as a query engine's window functions give them.
        let rows: Vec<Facts> = base.iter().collect();
        let purchasers: Vec<&Facts> = rows.iter().filter(|f| f.purchases > 0).collect();
        let rank_by = |key: &dyn Fn(&Facts) -> (i128, u64)| {
            let mut order: Vec<&Facts> = purchasers.clone();
            order.sort_by_key(|f| key(f));
            let mut ranks = std::collections::HashMap::new();
            for (i, f) in order.iter().enumerate() {
                ranks.insert(f.customer, i as u64 + 1);
            }
            ranks
        };
        let recency = rank_by(&|f| (-i128::from(f.recency_days.unwrap()), f.customer.0));
        let frequency = rank_by(&|f| (i128::from(f.frequency), f.customer.0));
        let monetary = rank_by(&|f| {
            (
                f.monetary.mantissa() * 10_i128.pow(10 - f.monetary.scale()),
                f.customer.0,
            )
        });
        let shards: Vec<FactsTable> = (0..3)
            .map(|k| {
                FactsTable::from_facts(
                    options,
                    rows.iter().filter(|f| f.customer.0 % 3 == k).cloned(),
                )
                .unwrap()
            })
            .collect();
        let mut stats = PopulationStats::default();
        for shard in &shards {
            stats.merge(&PopulationStats::of(shard)).unwrap();
        }
        for shard in &shards {
            let ids = shard.customer_ids();
            let ranks = ShardRanks {
                recency: ids.iter().map(|c| recency.get(c).copied()).collect(),
                frequency: ids.iter().map(|c| frequency.get(c).copied()).collect(),
                monetary: ids.iter().map(|c| monetary.get(c).copied()).collect(),
            };
            let part = segmenter.run_shard_ranked(shard, &stats, &ranks).unwrap();
            assert!(!part.is_empty());
            for row in part.iter() {
                assert_eq!(
                    Some(row),
                    whole.get(row.customer),
                    "customer {}",
                    row.customer
                );
            }
            // Without ranks, a rank config is refused for a shard.
            let err = segmenter.run_shard(shard, &stats).unwrap_err();
            assert_eq!(err.kind(), &SegmentErrorKind::RankNeedsWholePopulation);
        }
        let first = &shards[0];
        let n = first.len();
        let missing = ShardRanks {
            recency: vec![Some(1); n],
            frequency: vec![Some(1); n],
            monetary: vec![None; n],
        };
        let err = segmenter
            .run_shard_ranked(first, &stats, &missing)
            .unwrap_err();
        let customer = first.customer_ids()[first.purchases().iter().position(|p| *p > 0).unwrap()];
        let purchasers = stats.monetary_total();
        assert_eq!(
            err.to_string(),
            format!("customer `{customer}` has no rank by monetary: expected a rank from 1 to {purchasers}, the base's purchasers (rank every purchaser of the whole base, e.g. with `row_number()`)")
        );
        let beyond = ShardRanks {
            recency: vec![Some(purchasers + 1); n],
            ..missing.clone()
        };
        let err = segmenter
            .run_shard_ranked(first, &stats, &beyond)
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            format!("customer `{customer}` has rank {} by recency: expected a rank from 1 to {purchasers}, the base's purchasers (rank every purchaser of the whole base, e.g. with `row_number()`)", purchasers + 1)
        );
        let short = ShardRanks {
            frequency: vec![Some(1)],
            ..missing
        };
        let err = segmenter
            .run_shard_ranked(first, &stats, &short)
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            format!("column `ranks.frequency` has 1 rows: expected {n}, the population size")
        );
    }
}
