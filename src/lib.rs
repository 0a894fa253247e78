//! Customer care for e-commerce shops, as a library: typed customer records,
//! per-customer facts, a rules engine with decision tables, segmentation (RFM scores and
//! named segments, lifecycle stages, tiers, VIP levels, custom classes, transitions) and
//! churn / lifetime-value prediction, the day's plan of maintenance actions, service
//! cases with SLA clocks, and KPI scorecards —
//! all pure functions of the data and an `as_of` instant.
//!
//! The crate does no I/O: it reads no clock, no file, no network and no environment.
//! The host supplies the data (from its database, event stream or warehouse) and the
//! instant the computation is *as of*; the crate returns plain values and the host acts
//! on them. Every threshold the source policy gives is a default in [`Config`], which a
//! company changes as data (JSON, TOML, or any serde format), not code.
//!
//! # Example
//!
//! Fold two customers' orders into facts as of a day, then segment them by the
//! reference policy. The facts table carries the day, the currency and the policy it was
//! folded for, so the segmentation cannot be run as of another day:
//!
//! ```
//! use chrono::{NaiveDate, TimeZone, Utc};
//! use patronage::{Aggregator, Config, Currency, CustomerId, Order, OrderId, OrderStatus};
//!
//! let config = Config::reference();
//! let as_of = NaiveDate::from_ymd_opt(2024, 12, 31).ok_or("bad date")?;
//! let mut facts = Aggregator::new(config.facts_options_on(as_of, Currency::CNY)?);
//! let at = |m, d| Utc.with_ymd_and_hms(2024, m, d, 12, 0, 0).single().ok_or("bad date");
//! for (id, customer, placed, amount) in [
//!     (1, 7, at(12, 20)?, "199.00 CNY"),
//!     (2, 7, at(12, 1)?, "89.00 CNY"),
//!     (3, 8, at(3, 5)?, "45.00 CNY"),
//! ] {
//!     let order = Order::new(OrderId(id), CustomerId(customer), placed, amount.parse()?, OrderStatus::Paid);
//!     facts.add_order(&order)?;
//! }
//! let table = facts.into_table();
//!
//! let (segmenter, _warnings) = config.segmenter(Currency::CNY)?;
//! let segmentation = segmenter.run(&table)?;
//! let loyal = segmentation.get(CustomerId(7)).ok_or("customer 7")?;
//! assert_eq!((loyal.recency_days, loyal.frequency), (Some(11), 2));
//! assert_eq!((loyal.tier, loyal.stage), (Some("high_value_active"), Some("new")));
//! let lapsed = segmentation.get(CustomerId(8)).ok_or("customer 8")?;
//! assert_eq!((lapsed.tier, lapsed.stage), (Some("churned"), Some("churned")));
//!
//! // Why is customer 8 churned? The deciding row and the values it read.
//! let why = segmenter.explain(&table, &segmentation, CustomerId(8))?;
//! assert_eq!(why.tier.row_name.as_deref(), Some("churned"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Code map
//!
//! Data flows one way, each stage a module that imports only the stages before it (and
//! `rules`, `money`); [`config`] assembles the stages' sections and no stage imports it.
//! The main types are also at the crate root.
//!
//! | module | main types |
//! |---|---|
//! | [`money`] | [`Currency`] (ISO 4217), [`Money`] with checked arithmetic |
//! | [`customer`] | [`Customer`], [`Order`], [`Refund`], [`Interaction`], [`CustomerId`], consent per [`Channel`], PII newtypes that redact, the [`Validator`] (strict or lenient), the change log |
//! | [`facts`] | [`FactsConfig`] and [`FactsOptions`], the streaming and mergeable [`Aggregator`], [`Facts`], the columnar [`FactsTable`], the repeat-purchase [`RepeatSummary`] |
//! | [`rules`] | field schemas, the expression language, the checker, compiled programs, decision tables with hit policies, load-time analysis, explanations |
//! | [`segment`] | [`SegmentConfig`], [`Segmenter`], [`Segmentation`], population statistics, RFM bands, scores and named segments, stages, tiers, VIP levels, classes, transitions |
//! | [`predict`] | BG/NBD, Pareto/NBD, Gamma-Gamma and discounted CLV, fitted by maximum likelihood |
//! | [`plan`] | the maintenance-action planner: an action catalogue, playbooks over the rules engine, event / inactivity / calendar triggers, contact policy (consent, channel choice, caps, quiet hours, cooldowns, one message per purpose, budgets, priority and CLV), risk levels, control groups, and the day's `Plan` |
//! | [`service`] | inquiry, after-sales and complaint cases as state machines replayed from events, SLA clocks in calendar or business hours, escalation, follow-ups for the planner, feedback, root causes |
//! | [`kpi`] | KPI values with their sample, interval, target and verdict; survey, order and case KPIs; team and per-person scorecards; intervals and sample sizes; playbook lift; early warning; reporting periods |
//! | `charts` (feature `charts`) | SVG charts of the outputs above: segment bars, the RFM heat map, transitions, BG/NBD matrices and model checks, KPI series and scorecards |
//! | [`config`] | [`Config`]: the company's policy document, one section per stage (`facts`, `segment`, `plan`, `service`, `kpi`); [`Config::reference()`] holds the source policy's defaults |
//!
//! Errors: each domain has its own type, next to its code ([`MoneyError`],
//! [`RecordError`], [`FactsError`], [`BatchError`], [`RuleError`], [`ConfigError`],
//! [`SegmentError`], [`PredictError`], [`PlanError`], [`ServiceError`], [`KpiError`]),
//! each with a
//! `kind()` whose enum lives in the same
//! module; [`Error`] wraps them all for hosts that only propagate.
//!
//! # Three labellings
//!
//! A [`Segmentation`] gives every customer three labels. They answer different
//! questions, read different facts and use different thresholds, so they can seem to
//! disagree — and that is expected:
//!
//! | label | question | reads | example values |
//! |---|---|---|---|
//! | **stage** (lifecycle, SPEC §8) | where is this customer in their relationship with us? | days since registration, first and last purchase, purchase count, logins, interest shown, last interaction | `registered`, `potential`, `new`, `active`, `dormant`, `churned` |
//! | **tier** (SPEC §8) | how much attention do they deserve now? | spend rank, frequency, recency, purchase count, the stage | `high_value_active`, `potential`, `new`, `at_risk`, `churned` |
//! | **RFM segment** (R `rfm`) | how do they compare with the rest of the base? | R, F and M *scores*: quantiles of this population | `Champions`, `Loyal Customers`, `New Customers`, `Lost` |
//!
//! Stage and tier use absolute thresholds (30 / 90 / 180 days); the RFM segment uses
//! relative ones (quintiles of this base). So a customer whose only purchase was 363 days
//! ago is stage `churned` (more than 180 days) yet may be RFM `New Customers` (one
//! purchase and a recency score that is middling in a base where many bought long ago).
//! Tier `new` and stage `new` count different customers too: stage `new` is "first
//! purchase within 30 days", tier `new` is "exactly one purchase, recently", and the tier
//! table gives spenders in the top 20% `high_value_active` before it looks at newness.
//! [`Segmenter::explain`] shows, for one customer, the deciding row of each table and the
//! values it read. Every threshold is a row of a table in the [`Config`].
//!
//! # Options
//!
//! Options have one shape across the crate: a `Copy` value built by `new` (the required
//! values) or `default()`, refined by consuming `with_*` methods, and read by getters.
//! Where a value has a range, the method that sets it checks it and returns a `Result`,
//! so an options value that exists is valid ([`FactsOptions`], [`BatchOptions`],
//! [`predict::FitOptions`], [`predict::ClvOptions`]). Config *sections* ([`FactsConfig`],
//! [`SegmentConfig`]) are documents instead: public serde fields, checked as a whole
//! with every problem reported by path.
//!
//! # Purity, determinism and panics
//!
//! Library code never panics on input: every failure is a typed error that names the
//! record, rule or field and says what was expected (the lint block below denies
//! `unwrap`, `expect`, `panic!` and unchecked indexing). Money is
//! [`rust_decimal::Decimal`] with checked arithmetic only. The same input always gives
//! the same output, in the same order; hash maps never decide an order.
//!
//! # Crate features
//!
//! - `charts` (off by default): SVG charts of the outputs (module `charts`), drawn with
//!   plotters' SVG backend only (no font files, no system look-ups).
//!
//! Everything else is always compiled. The dependencies are serde, chrono (without its
//! clock), chrono-tz, thiserror, rust_decimal and rustc-hash.

#![forbid(unsafe_code)]
#![deny(missing_docs, rustdoc::broken_intra_doc_links)]
#![cfg_attr(
    not(test),
    deny(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::indexing_slicing
    )
)]

// ---- foundations: errors, config diagnostics, threads --------------------------
mod diagnostic;
mod error;
mod parallel;

// ---- the stages, in the order data flows ---------------------------------------
pub mod money;

pub mod customer;

pub mod facts;

pub mod rules;

pub mod segment;

pub mod predict;
pub mod service;

pub mod kpi;

pub mod plan;

#[cfg(feature = "charts")]
pub mod charts;

// ---- the composition root: the company's policy document -----------------------
pub mod config;

// ---- the main types, by name ---------------------------------------------------
pub use crate::config::Config;
pub use crate::customer::{
    Channel, Consent, Customer, CustomerId, Interaction, InteractionKind, Order, OrderId,
    OrderStatus, Records, Refund, ValidationMode, ValidationReport, Validator,
};
pub use crate::facts::{
    Aggregator, BatchOptions, Facts, FactsConfig, FactsOptions, FactsTable, RepeatSummary,
    RepeatSummaryBuilder,
};
pub use crate::money::{Currency, Money};
pub use crate::segment::{
    CustomerExplanation, Dimension, SegmentConfig, SegmentPreset, Segmentation, SegmentationRow,
    Segmenter,
};

// ---- errors, by name -----------------------------------------------------------
pub use crate::config::{ConfigDiagnostic, ConfigError};
pub use crate::customer::RecordError;
pub use crate::error::Error;
pub use crate::facts::{BatchError, FactsError};
pub use crate::kpi::KpiError;
pub use crate::money::MoneyError;
pub use crate::plan::PlanError;
pub use crate::predict::PredictError;
pub use crate::rules::RuleError;
pub use crate::segment::SegmentError;
pub use crate::service::ServiceError;

#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
