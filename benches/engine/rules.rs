//! Benchmarks: rules.

use criterion::Criterion;

pub(crate) fn define(_c: &mut Criterion) {}
