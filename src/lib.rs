//! Customer care for e-commerce shops, as a library: typed customer records,
//! per-customer facts, a rules engine with decision tables, segmentation (RFM scores and
//! named segments, lifecycle stages, tiers, VIP levels, custom classes, transitions) and
//! churn / lifetime-value prediction — all pure functions of the data and an `as_of`
//! instant.
//!
//! The crate does no I/O: it reads no clock, no file, no network and no environment.
//! The host supplies the data (from its database, event stream or warehouse) and the
//! instant the computation is *as of*; the crate returns plain values and the host acts
//! on them. Every threshold the source policy gives is a default in [`Config`], which a
//! company changes as data (JSON, TOML, or any serde format), not code.
//!
//! # Example
//!
//! Fold two customers' orders into facts, then segment them by the reference policy:
//!
//! ```
//! use chrono::{TimeZone, Utc};
//! use patronage::{
//!     Aggregator, Config, Currency, CustomerId, Dimension, FactsOptions, Order, OrderId,
//!     OrderStatus, Segmenter,
//! };
//!
//! let as_of = Utc.with_ymd_and_hms(2024, 12, 31, 23, 59, 59).single().ok_or("bad date")?;
//! let at = |m, d| Utc.with_ymd_and_hms(2024, m, d, 12, 0, 0).single().ok_or("bad date");
//! let mut facts = Aggregator::new(FactsOptions::new(as_of, Currency::CNY));
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
//! let (segmenter, _warnings) = Segmenter::new(&Config::reference(), Currency::CNY)?;
//! let segmentation = segmenter.segment(&table, as_of.date_naive())?;
//! let loyal = segmentation.get(CustomerId(7)).ok_or("customer 7")?;
//! assert_eq!((loyal.recency_days, loyal.frequency), (Some(11), 2));
//! assert_eq!((loyal.tier, loyal.stage), ("high_value_active", "new"));
//! let lapsed = segmentation.get(CustomerId(8)).ok_or("customer 8")?;
//! assert_eq!((lapsed.tier, lapsed.stage), ("churned", "churned"));
//! assert_eq!(segmentation.counts(&Dimension::Tier).iter().map(|(_, n)| n).sum::<usize>(), 2);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Code map
//!
//! Data flows one way, each stage a module:
//!
//! | stage | main types |
//! |---|---|
//! | money | [`Currency`] (ISO 4217), [`Money`] with checked arithmetic |
//! | records | [`Customer`], [`Order`], [`Refund`], [`Interaction`], [`CustomerId`], consent per [`Channel`], PII newtypes that redact ([`Email`], [`Phone`], [`PersonName`]), the [`Validator`] (strict or lenient), the change log ([`diff`], [`ChangeEntry`]) |
//! | facts | [`FactsOptions`], the streaming and mergeable [`Aggregator`], [`Facts`], the columnar [`FactsTable`], the repeat-purchase [`RepeatSummary`] |
//! | [`rules`] | field schemas, the expression language, the checker, compiled programs, decision tables with hit policies, load-time analysis, explanations |
//! | config | [`Config`]: thresholds, stage / tier / class tables, RFM settings, VIP levels; [`Config::reference()`] holds the source policy's defaults |
//! | segmentation | [`Segmenter`], [`Segmentation`], population statistics ([`PopulationStats`], [`rank_scores`], [`quantile_scores`]), [`SegmentTable`], [`transitions`] |
//! | [`predict`] | BG/NBD, Pareto/NBD, Gamma-Gamma and discounted CLV, fitted by maximum likelihood |
//! | errors | one type per domain ([`MoneyError`], [`RecordError`], [`FactsError`], [`BatchError`], [`RuleError`], [`ConfigError`], [`SegmentError`], [`PredictError`]) and [`Error`] over all of them |
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
//! None: everything is always compiled. The dependencies are serde, chrono (without its
//! clock), chrono-tz, thiserror and rust_decimal.

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

// ---- errors ----------------------------------------------------------------
mod error;
pub use crate::error::*;

// ---- money: currencies and exact amounts ----------------------------------
mod money;
pub use crate::money::{Currency, Money};

// ---- records: customers, orders, interactions ------------------------------
mod customer;
pub use crate::customer::*;

// ---- facts: aggregation as of an instant ------------------------------------
mod facts;
pub use crate::facts::*;

// ---- rules: expression language and decision tables ------------------------
pub mod rules;

// ---- config: the company's policy document ---------------------------------
mod config;
pub use crate::config::*;

// ---- segmentation -----------------------------------------------------------
mod segment;
pub use crate::segment::*;

// ---- prediction: BG/NBD, Gamma-Gamma, CLV -----------------------------------
pub mod kpi;
pub mod predict;

#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
