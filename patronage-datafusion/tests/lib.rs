//! The companion's integration tests: the functions inside DataFusion equal the core.

mod common;
mod errors;
mod facts;
mod segment;
mod serde;
