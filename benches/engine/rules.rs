//! Benchmarks: rules.
//!
//! - `rules/compile/table/50_rows`: check, compile and analyse a 50-row table.
//! - `rules/eval/first_hit/11_rows_1m`: the R `rfm` 0.2.x segment table over 1M
//!   customers held in columns (throughput in customers).
//! - `rules/eval/first_hit/1000_rows_1m`: a 1,000-row first-hit table over 1M customers;
//!   `rules/eval/first_hit/1000_rows_100k_scan`: the same table forced onto the
//!   row-by-row scan, over 100,000 customers, for comparison.
//! - `rules/trace/first_hit/11_rows_1m`, `rules/trace/first_hit/1000_rows_100k`: the
//!   same tables with the structured trace (`Table::trace`, a reused buffer).
//! - `rules/explain/first_hit/11_rows_10k`, `rules/explain/first_hit/1000_rows_10k`:
//!   the same tables with rendered explanations, over 10,000 customers (a rendered
//!   explanation allocates its report, so it is measured on fewer customers; compare
//!   per customer).
//! - `rules/eval/program/condition_1m`: a compiled condition over 1M records.
//! - `rules/compile/rfm_segments/r_0_2`: the named RFM segment preset `r-0.2` compiled
//!   to its rules table, analysed, and decided for every score cell;
//!   `rules/eval/rfm_segments/r_0_2_1m`: its segment for 1M score triples (the lookup
//!   a segmentation does per customer).
//!
//! Every measured closure checks its result against a reference computed outside.

use std::fmt::Write as _;
use std::hint::black_box;

use chrono::NaiveDate;
use criterion::{Criterion, Throughput};
use patronage::rules::{
    Columns, Context, Field, FieldId, Hit, Program, Schema, Table, TableDoc, ValueRef,
};
use patronage::segment::{Bins, SegmentTable};
use patronage::SegmentPreset;

/// Columns of integer fields.
struct IntColumns {
    columns: Vec<Vec<i64>>,
}

impl Columns for IntColumns {
    fn len(&self) -> usize {
        self.columns.first().map_or(0, Vec::len)
    }

    #[inline]
    fn value(&self, field: FieldId, row: usize) -> Option<ValueRef<'_>> {
        self.columns
            .get(field.index())?
            .get(row)
            .copied()
            .map(ValueRef::Integer)
    }
}

/// A small deterministic generator (64-bit LCG, high bits).
struct Lcg(u64);

impl Lcg {
    fn below(&mut self, n: u64) -> i64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        ((self.0 >> 33) % n) as i64
    }
}

fn ctx() -> Context {
    Context::new(NaiveDate::from_ymd_opt(2024, 6, 30).expect("date"))
}

fn rfm() -> (Table, IntColumns, Vec<Hit>) {
    let mut schema = Schema::new();
    for name in ["r_score", "f_score", "m_score"] {
        schema.add(Field::integer(name).range(1, 5)).expect("field");
    }
    let doc: TableDoc =
        toml::from_str(include_str!("../../tests/data/rules/rfm_0_2.toml")).expect("doc");
    let table = Table::compile(&doc, &schema).expect("table");
    let mut lcg = Lcg(42);
    let n = 1_000_000;
    let columns = IntColumns {
        columns: (0..3)
            .map(|_| (0..n).map(|_| lcg.below(5) + 1).collect())
            .collect(),
    };
    // The reference: the vignette's table written out by hand, first match wins.
    let bounds: [[i64; 6]; 11] = [
        [4, 5, 4, 5, 4, 5],
        [2, 5, 3, 5, 3, 5],
        [3, 5, 1, 3, 1, 3],
        [4, 5, 1, 1, 1, 1],
        [3, 4, 1, 1, 1, 1],
        [2, 3, 2, 3, 2, 3],
        [2, 3, 1, 2, 1, 2],
        [1, 2, 2, 5, 2, 5],
        [1, 1, 4, 5, 4, 5],
        [1, 2, 1, 2, 1, 2],
        [1, 2, 1, 2, 1, 2],
    ];
    let expected = (0..n)
        .map(|i| {
            let v: Vec<i64> = columns.columns.iter().map(|c| c[i]).collect();
            bounds
                .iter()
                .position(|b| (0..3).all(|k| b[2 * k] <= v[k] && v[k] <= b[2 * k + 1]))
                .map_or(Hit::Default, Hit::Row)
        })
        .collect();
    (table, columns, expected)
}

/// A 1,000-row first-hit table over three integer fields: rows are boxes with
/// pseudo-random bounds, and the last row catches everything.
fn big(n_rows: usize, n_customers: usize) -> (Table, TableDoc, Schema, IntColumns, Vec<Hit>) {
    let mut schema = Schema::new();
    let fields = [
        ("recency_days", 400),
        ("frequency", 60),
        ("spend_yuan", 20_000),
    ];
    for (name, _) in fields {
        schema.add(Field::integer(name)).expect("field");
    }
    let mut lcg = Lcg(7);
    let mut specs = Vec::with_capacity(n_rows);
    for _ in 0..n_rows - 1 {
        let spec: Vec<(i64, i64)> = fields
            .iter()
            .map(|&(_, max)| {
                let lo = lcg.below(max as u64);
                let width = lcg.below(max as u64 / 2) + 1;
                (lo, (lo + width).min(max))
            })
            .collect();
        specs.push(spec);
    }
    let mut rows = String::new();
    for (i, spec) in specs.iter().enumerate() {
        let cells: Vec<String> = spec
            .iter()
            .map(|(lo, hi)| format!("\"[{lo}..{hi}]\""))
            .collect();
        writeln!(
            rows,
            "{{ name = \"r{i}\", when = [{}], then = [{i}] }},",
            cells.join(", ")
        )
        .expect("write to a string");
    }
    writeln!(
        rows,
        "{{ name = \"rest\", when = [\"-\", \"-\", \"-\"], then = [{}] }},",
        n_rows - 1
    )
    .expect("write to a string");
    let text = format!(
        "name = \"big\"\ninputs = [\"recency_days\", \"frequency\", \"spend_yuan\"]\n\
         outputs = [{{ name = \"segment\", type = \"integer\" }}]\nrows = [\n{rows}]\n"
    );
    let doc: TableDoc = toml::from_str(&text).expect("doc");
    let table = Table::compile(&doc, &schema).expect("table");
    let columns = IntColumns {
        columns: fields
            .iter()
            .map(|&(_, max)| {
                (0..n_customers)
                    .map(|_| lcg.below(max as u64 + 1))
                    .collect()
            })
            .collect(),
    };
    let expected = (0..n_customers)
        .map(|i| {
            let v: Vec<i64> = columns.columns.iter().map(|c| c[i]).collect();
            Hit::Row(
                specs
                    .iter()
                    .position(|spec| {
                        spec.iter()
                            .zip(&v)
                            .all(|(&(lo, hi), &x)| lo <= x && x <= hi)
                    })
                    .unwrap_or(n_rows - 1),
            )
        })
        .collect();
    (table, doc, schema, columns, expected)
}

fn decide_all(table: &Table, columns: &IntColumns, n: usize, expected: &[Hit]) {
    let ctx = ctx();
    for (row, want) in expected.iter().enumerate().take(n) {
        let hit = table.decide_row(black_box(columns), row, ctx);
        assert_eq!(hit, *want);
    }
}

pub(crate) fn define(c: &mut Criterion) {
    let mut group = c.benchmark_group("rules");
    group.sample_size(10);

    let (big_table, big_doc, big_schema, big_columns, big_expected) = big(1_000, 1_000_000);
    let (_, doc_50, schema_50, _, _) = big(50, 0);
    group.bench_function("compile/table/50_rows", |b| {
        b.iter(|| {
            let table = Table::compile(black_box(&doc_50), &schema_50).expect("compiles");
            assert_eq!(table.rows().len(), 50);
        });
    });

    let segments = SegmentTable::preset(SegmentPreset::R02);
    let five = Bins::default();
    group.bench_function("compile/rfm_segments/r_0_2", |b| {
        b.iter(|| {
            let (compiled, warnings) = black_box(&segments)
                .compile(five, five, five)
                .expect("compiles");
            assert_eq!(warnings.len(), 4);
            compiled
        });
    });

    let (rfm_table, rfm_columns, rfm_expected) = rfm();
    group.throughput(Throughput::Elements(1_000_000));
    group.bench_function("eval/first_hit/11_rows_1m", |b| {
        b.iter(|| decide_all(&rfm_table, &rfm_columns, 1_000_000, &rfm_expected));
    });

    let (compiled, _) = segments.compile(five, five, five).expect("compiles");
    let score = |column: usize, row: usize| {
        u8::try_from(rfm_columns.columns[column][row]).expect("a score")
    };
    let segment_expected: Vec<u8> = rfm_expected
        .iter()
        .map(|hit| match hit {
            Hit::Row(row) => u8::try_from(*row).expect("a row"),
            _ => compiled.others(),
        })
        .collect();
    group.bench_function("eval/rfm_segments/r_0_2_1m", |b| {
        b.iter(|| {
            let compiled = black_box(&compiled);
            for (row, want) in segment_expected.iter().enumerate() {
                let segment = compiled.segment(score(0, row), score(1, row), score(2, row));
                assert_eq!(segment, *want);
            }
        });
    });
    group.bench_function("eval/first_hit/1000_rows_1m", |b| {
        b.iter(|| decide_all(&big_table, &big_columns, 1_000_000, &big_expected));
    });
    // The same table with an extra input that is an expression: no index, the
    // row-by-row scan (for comparison).
    let mut scan_doc = big_doc.clone();
    scan_doc.inputs.push(patronage::rules::InputDoc::Expr(
        "recency_days + 0".to_owned(),
    ));
    for row in &mut scan_doc.rows {
        row.when
            .push(patronage::rules::CellDoc::Text("-".to_owned()));
    }
    let scan_table = Table::compile(&scan_doc, &big_schema).expect("scan table");
    group.throughput(Throughput::Elements(100_000));
    group.bench_function("eval/first_hit/1000_rows_100k_scan", |b| {
        b.iter(|| decide_all(&scan_table, &big_columns, 100_000, &big_expected));
    });

    group.throughput(Throughput::Elements(1_000_000));
    group.bench_function("trace/first_hit/11_rows_1m", |b| {
        let mut rows = Vec::new();
        b.iter(|| {
            for (row, want) in rfm_expected.iter().enumerate() {
                let hit = rfm_table.trace(
                    &patronage::rules::ColumnRow::new(black_box(&rfm_columns), row),
                    ctx(),
                    &mut rows,
                );
                assert_eq!(hit, *want);
            }
        });
    });
    group.throughput(Throughput::Elements(100_000));
    group.bench_function("trace/first_hit/1000_rows_100k", |b| {
        let mut rows = Vec::new();
        b.iter(|| {
            for (row, want) in big_expected.iter().enumerate().take(100_000) {
                let hit = big_table.trace(
                    &patronage::rules::ColumnRow::new(black_box(&big_columns), row),
                    ctx(),
                    &mut rows,
                );
                assert_eq!(hit, *want);
            }
        });
    });

    group.throughput(Throughput::Elements(10_000));
    group.bench_function("explain/first_hit/11_rows_10k", |b| {
        b.iter(|| {
            for (row, want) in rfm_expected.iter().enumerate().take(10_000) {
                let explanation = rfm_table.explain(
                    &patronage::rules::ColumnRow::new(black_box(&rfm_columns), row),
                    ctx(),
                );
                assert_eq!(explanation.hit, *want);
            }
        });
    });
    group.bench_function("explain/first_hit/1000_rows_10k", |b| {
        b.iter(|| {
            for (row, want) in big_expected.iter().enumerate().take(10_000) {
                let explanation = big_table.explain(
                    &patronage::rules::ColumnRow::new(black_box(&big_columns), row),
                    ctx(),
                );
                assert_eq!(explanation.hit, *want);
            }
        });
    });

    let program = Program::condition(
        "active_buyer",
        "recency_days <= 90 and frequency >= 2 or spend_yuan between 5000 and 10000",
        &big_schema,
    )
    .expect("program");
    let program_expected = (0..1_000_000)
        .filter(|&i| {
            let r = big_columns.columns[0][i];
            let f = big_columns.columns[1][i];
            let s = big_columns.columns[2][i];
            (r <= 90 && f >= 2) || (5000..=10_000).contains(&s)
        })
        .count();
    group.throughput(Throughput::Elements(1_000_000));
    group.bench_function("eval/program/condition_1m", |b| {
        b.iter(|| {
            let ctx = ctx();
            let matched = (0..1_000_000)
                .filter(|&row| {
                    program.matches(
                        &patronage::rules::ColumnRow::new(black_box(&big_columns), row),
                        ctx,
                    )
                })
                .count();
            assert_eq!(matched, program_expected);
        });
    });
    group.finish();
}
