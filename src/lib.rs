//! Customer-care engine for e-commerce shops: typed customer records, per-customer
//! facts, a rules engine with decision tables, segmentation, and churn / lifetime-value
//! prediction — all pure functions of the data and an `as_of` instant.
//!
//! The crate does no I/O: it reads no clock, no file, no network and no environment.
//! The host supplies the data (from its database, event stream or warehouse) and the
//! instant the computation is *as of*; the crate returns plain values (facts, segments,
//! model fits) and the host acts on them.
//!
//! # Code map
//!
//! Data flows one way, each stage a module:
//!
//! | module | what it owns |
//! |---|---|
//! | money (root) | [`Currency`] (ISO 4217) and [`Money`], exact and checked |
//! | records (root) | `Customer`, `Order`, `Interaction`, ids, consent, PII newtypes, change log |
//! | facts (root) | per-customer facts as of an instant, the mergeable streaming aggregator, the columnar facts table, the repeat-purchase summary |
//! | [`rules`] | the expression language, field schemas, the checker, compiled programs, decision tables with hit policies, explanations |
//! | segmentation (root) | population statistics, RFM bands and scores, lifecycle stages, tiers, VIP levels, classes, transitions |
//! | [`predict`] | BG/NBD, Gamma-Gamma and discounted CLV, fitted by maximum likelihood |
//!
//! # Purity and panics
//!
//! Library code never panics on input: every failure is a typed error that names the
//! record, rule or field and says what was expected. Money is [`rust_decimal::Decimal`]
//! with checked arithmetic. The same input always gives the same output, in the same
//! order.
//!
//! # Crate features
//!
//! None yet: everything is always compiled.

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
pub mod predict;

#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
