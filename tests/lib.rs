//! One integration-test binary; one module per area.

// records and facts
mod architecture;
mod customer;
mod facts;

// rules
mod rules;

// segmentation and config
mod segment;

// prediction
mod predict;

// service
mod service;

// KPIs
mod kpi;

// planning
mod plan;

// charts
#[cfg(feature = "charts")]
mod charts;
