//! Criterion benchmarks, one module per area; names are `area/operation/variant`.

use criterion::Criterion;

mod facts;
mod kpi;
mod peer;
mod plan;
mod predict;
mod rules;
mod segment;
mod service;
mod sketch;
mod tables;

fn main() {
    let mut c = Criterion::default().configure_from_args();
    facts::define(&mut c);
    rules::define(&mut c);
    segment::define(&mut c);
    sketch::define(&mut c);
    tables::define(&mut c);
    predict::define(&mut c);
    service::define(&mut c);
    kpi::define(&mut c);
    plan::define(&mut c);
    peer::define(&mut c);
    c.final_summary();
}
