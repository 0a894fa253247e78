//! The crate's error types, one per failure domain (records, rules, config,
//! prediction), and [`Error`], a convenience wrapper over all of them.

// ---- money ----
mod money;
pub use self::money::*;

// ---- records ----
mod record;
pub use self::record::*;

// ---- rules ----
mod rule;
pub use self::rule::*;

// ---- config ----
mod config;
pub use self::config::*;

// ---- predict ----
mod predict;
pub use self::predict::*;
