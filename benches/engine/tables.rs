//! Benchmarks: the stage and tier tables of a segmentation.
//!
//! `segment/stage_table/2m` and `segment/tier_table/2m` decide the reference stage and
//! tier tables ([`reference_stage_table`], [`reference_tier_table`], compiled against
//! the segment schema) for 2,000,000 customers on one thread; `…/2m_2_threads` splits
//! the customers into two halves decided on two threads, as `Segmenter::threads` does.
//! The population is generated here with a fixed seed: skewed purchase counts over two
//! years (about 2% refunds), logins and browsing for a fifth of the customers (weekly
//! logins for a tenth of those), and 8% non-purchasers, so every row of both tables
//! decides some customers. It is folded and segmented once, outside the measured
//! closures, by the first of these benchmarks that runs; the tables read its columns
//! through a [`Columns`] view shaped like the one segmentation hands them (optional day
//! counts, the top share as a number, the stage as a symbol), with the same typed block
//! readers.
//!
//! Every measured closure writes each customer's deciding row, as segmentation records
//! it, and checks them against the segmentation's own stage and tier rules. Under `cargo bench -- --test` the
//! population is 20,000 customers.

use std::hint::black_box;
use std::ops::Range;
use std::sync::OnceLock;
use std::time::Duration;

use chrono::{Days, NaiveDate};
use criterion::{Criterion, Throughput};
use patronage::rules::{Columns, Context, FieldId, Hit, SymbolId, Table, ValueRef};
use patronage::segment::{reference_stage_table, reference_tier_table, TopShare, SEGMENT_FIELDS};
use patronage::{
    Aggregator, Config, Currency, CustomerId, FactsTable, Interaction, InteractionKind, Money,
};
use rust_decimal::Decimal;

/// Positions in [`SEGMENT_FIELDS`] of the fields the two tables read.
const IS_PURCHASER: usize = 0;
const SHOWN_INTEREST: usize = 1;
const RECENCY_DAYS: usize = 2;
const DAYS_SINCE_FIRST_PURCHASE: usize = 3;
const DAYS_SINCE_LAST_INTERACTION: usize = 5;
const FREQUENCY: usize = 7;
const MONETARY_TOP_SHARE: usize = 11;
const LOGIN_WEEKS: usize = 18;
const STAGE: usize = 25;

/// The population as the stage and tier tables see it.
struct SegmentView<'a> {
    facts: &'a FactsTable,
    top_share: &'a [Option<TopShare>],
    stage: &'a [Option<SymbolId>],
}

impl Columns for SegmentView<'_> {
    fn len(&self) -> usize {
        self.facts.len()
    }

    #[inline]
    fn value(&self, field: FieldId, row: usize) -> Option<ValueRef<'_>> {
        let f = self.facts;
        let days = |v: Option<u32>| v.map(|d| ValueRef::Days(i64::from(d)));
        match field.index() {
            IS_PURCHASER => Some(ValueRef::Bool(*f.purchases().get(row)? > 0)),
            SHOWN_INTEREST => (row < f.len()).then(|| ValueRef::Bool(f.shown_interest(row))),
            RECENCY_DAYS => days(*f.recency_days().get(row)?),
            DAYS_SINCE_FIRST_PURCHASE => days(f.days_since_first_purchase(row)),
            DAYS_SINCE_LAST_INTERACTION => days(f.days_since_last_interaction(row)),
            FREQUENCY => f
                .frequency()
                .get(row)
                .map(|v| ValueRef::Integer(i64::from(*v))),
            MONETARY_TOP_SHARE => self
                .top_share
                .get(row)?
                .map(|s| ValueRef::Number(s.as_f64())),
            LOGIN_WEEKS => (row < f.len()).then(|| {
                let weeks = f.weekly_logins(row);
                ValueRef::Integer(weeks.iter().filter(|n| **n > 0).count() as i64)
            }),
            STAGE => self.stage.get(row)?.map(ValueRef::Symbol),
            _ => None,
        }
    }

    // The typed block readers: one loop over a column per block of rows.

    fn read_integers(&self, field: FieldId, start: usize, out: &mut [Option<i64>]) -> bool {
        let f = self.facts;
        let days = |d: &Option<u32>| d.map(i64::from);
        match field.index() {
            RECENCY_DAYS => fill(out, f.recency_days(), start, days),
            DAYS_SINCE_FIRST_PURCHASE => fill_rows(out, f.len(), start, |row| {
                f.days_since_first_purchase(row).map(i64::from)
            }),
            DAYS_SINCE_LAST_INTERACTION => fill_rows(out, f.len(), start, |row| {
                f.days_since_last_interaction(row).map(i64::from)
            }),
            FREQUENCY => fill(out, f.frequency(), start, |n| Some(i64::from(*n))),
            LOGIN_WEEKS => fill_rows(out, f.len(), start, |row| {
                Some(f.weekly_logins(row).iter().map(|n| i64::from(*n > 0)).sum())
            }),
            _ => false,
        }
    }

    fn read_numbers(&self, field: FieldId, start: usize, out: &mut [Option<f64>]) -> bool {
        // `TopShare::as_f64`, spelled out so that it inlines into the loop.
        field.index() == MONETARY_TOP_SHARE
            && fill(out, self.top_share, start, |s| {
                s.map(|s| f64::from(s.greater) / f64::from(s.purchasers.max(1)))
            })
    }

    fn read_symbols(&self, field: FieldId, start: usize, out: &mut [Option<SymbolId>]) -> bool {
        field.index() == STAGE && fill(out, self.stage, start, |s| *s)
    }

    fn read_bools(&self, field: FieldId, start: usize, out: &mut [Option<bool>]) -> bool {
        match field.index() {
            IS_PURCHASER => fill(out, self.facts.purchases(), start, |n| Some(*n > 0)),
            SHOWN_INTEREST => fill_rows(out, self.facts.len(), start, |row| {
                Some(self.facts.shown_interest(row))
            }),
            _ => false,
        }
    }
}

/// Writes `read(value)` for the values of `column` in rows `start..start + out.len()`.
fn fill<T, K>(
    out: &mut [Option<K>],
    column: &[T],
    start: usize,
    read: impl Fn(&T) -> Option<K>,
) -> bool {
    let Some(values) = column.get(start..start + out.len()) else {
        return false;
    };
    for (slot, value) in out.iter_mut().zip(values) {
        *slot = read(value);
    }
    true
}

/// Writes `read(row)` for rows `start..start + out.len()` of a table of `len` rows.
fn fill_rows<K>(
    out: &mut [Option<K>],
    len: usize,
    start: usize,
    read: impl Fn(usize) -> Option<K>,
) -> bool {
    if start + out.len() > len {
        return false;
    }
    for (offset, slot) in out.iter_mut().enumerate() {
        *slot = read(start + offset);
    }
    true
}

/// The deciding row of each customer in `rows`, written to `out` (`NO_ROW` when none
/// decides), as segmentation records it.
fn decide(
    table: &Table,
    view: &SegmentView<'_>,
    rows: Range<usize>,
    ctx: Context,
    out: &mut [u16],
) {
    let mut slots = out.iter_mut();
    table.decide_each(view, rows, ctx, |_, hit| {
        if let Some(slot) = slots.next() {
            *slot = match hit {
                Hit::Row(r) => u16::try_from(r).unwrap_or(NO_ROW),
                _ => NO_ROW,
            };
        }
    });
}

/// [`decide`] on two threads, one half of the customers each.
fn decide_on_two(table: &Table, view: &SegmentView<'_>, ctx: Context, out: &mut [u16]) {
    let n = view.len();
    let half = n / 2;
    let (first, second) = out.split_at_mut(half);
    std::thread::scope(|scope| {
        scope.spawn(|| decide(table, view, half..n, ctx, second));
        decide(table, view, 0..half, ctx, first);
    });
}

/// One of the two tables and the rows it must decide.
type Pick = fn(&Setup) -> (&Table, &[u16]);

/// "No row decided" in a rule column.
const NO_ROW: u16 = u16::MAX;

/// The population, its view and the two tables with the rows they must decide.
struct Setup {
    facts: FactsTable,
    top_share: Vec<Option<TopShare>>,
    stage: Vec<Option<SymbolId>>,
    stages: Table,
    tiers: Table,
    stage_rules: Vec<u16>,
    tier_rules: Vec<u16>,
}

impl Setup {
    fn new(as_of: NaiveDate, n_customers: usize) -> Setup {
        let config = Config::reference();
        let facts = population(&config, as_of, n_customers);
        let (segmenter, _) = config
            .segmenter(Currency::CNY)
            .unwrap_or_else(|e| panic!("{e}"));
        let segmentation = segmenter.run(&facts).unwrap_or_else(|e| panic!("{e}"));
        let schema = segmenter.schema();
        for (name, index) in [
            ("is_purchaser", IS_PURCHASER),
            ("shown_interest", SHOWN_INTEREST),
            ("recency_days", RECENCY_DAYS),
            ("days_since_first_purchase", DAYS_SINCE_FIRST_PURCHASE),
            ("days_since_last_interaction", DAYS_SINCE_LAST_INTERACTION),
            ("frequency", FREQUENCY),
            ("monetary_top_share", MONETARY_TOP_SHARE),
            ("login_weeks", LOGIN_WEEKS),
            ("stage", STAGE),
        ] {
            assert_eq!(SEGMENT_FIELDS[index], name);
            assert_eq!(schema.field_id(name).map(FieldId::index), Some(index));
        }
        let stages =
            Table::compile(&reference_stage_table(), schema).unwrap_or_else(|e| panic!("{e}"));
        let tiers =
            Table::compile(&reference_tier_table(), schema).unwrap_or_else(|e| panic!("{e}"));
        // The expected rows: the rules the segmentation recorded, each deciding some
        // customers.
        let rules = |n_rows: usize, rule: &dyn Fn(usize) -> Option<u16>| {
            let rules: Vec<u16> = (0..n_customers)
                .map(|row| rule(row).unwrap_or(NO_ROW))
                .collect();
            for row in 0..n_rows {
                assert!(
                    rules.contains(&(row as u16)),
                    "row {} decides no customer",
                    row + 1
                );
            }
            rules
        };
        let row_of = |row: usize| segmentation.row(row).unwrap_or_else(|| panic!("row {row}"));
        Setup {
            top_share: segmentation.iter().map(|r| r.monetary_top_share).collect(),
            stage: segmentation
                .iter()
                .map(|r| r.stage.and_then(|s| schema.symbol(s)))
                .collect(),
            stage_rules: rules(stages.rows().len(), &|row| row_of(row).stage_rule),
            tier_rules: rules(tiers.rows().len(), &|row| row_of(row).tier_rule),
            stages,
            tiers,
            facts,
        }
    }

    fn view(&self) -> SegmentView<'_> {
        SegmentView {
            facts: &self.facts,
            top_share: &self.top_share,
            stage: &self.stage,
        }
    }
}

pub(crate) fn define(c: &mut Criterion) {
    let quick = std::env::args().any(|a| a == "--test");
    let (n_customers, label) = if quick {
        (20_000, "20k")
    } else {
        (2_000_000, "2m")
    };
    let as_of = NaiveDate::from_ymd_opt(2024, 12, 31).unwrap_or_default();
    let ctx = Context::new(as_of);
    // Built by the first benchmark that runs, so other filters do not pay for it.
    let setup = OnceLock::new();
    let setup = || setup.get_or_init(|| Setup::new(as_of, n_customers));

    let mut group = c.benchmark_group("segment");
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(if quick { 1 } else { 5 }));
    group.throughput(Throughput::Elements(n_customers as u64));
    let tables: [(&str, Pick); 2] = [
        ("stage_table", |s| (&s.stages, &s.stage_rules)),
        ("tier_table", |s| (&s.tiers, &s.tier_rules)),
    ];
    for (name, pick) in tables {
        group.bench_function(format!("{name}/{label}"), |b| {
            let setup = setup();
            let (table, rules) = pick(setup);
            let view = setup.view();
            let mut out = vec![0; n_customers];
            b.iter(|| {
                decide(table, black_box(&view), 0..n_customers, ctx, &mut out);
                assert!(out == rules);
            });
        });
        group.bench_function(format!("{name}/{label}_2_threads"), |b| {
            let setup = setup();
            let (table, rules) = pick(setup);
            let view = setup.view();
            let mut out = vec![0; n_customers];
            b.iter(|| {
                decide_on_two(table, black_box(&view), ctx, &mut out);
                assert!(out == rules);
            });
        });
    }
    group.finish();
}

/// A deterministic population of `n_customers`: 92% purchasers (skewed order counts,
/// two years of dates, 2% refunds), a fifth of all customers with logins and browsing
/// in the last months (a tenth of those every week); the other 8% browsed or only
/// logged in.
fn population(config: &Config, as_of: NaiveDate, n_customers: usize) -> FactsTable {
    let options = config
        .facts_options_on(as_of, Currency::CNY)
        .unwrap_or_else(|e| panic!("{e}"));
    let mut agg = Aggregator::with_capacity(options, n_customers);
    let mut rng = 7u64;
    let start = as_of.checked_sub_days(Days::new(730)).unwrap_or_default();
    let day = |offset: u64| start.checked_add_days(Days::new(offset)).unwrap_or(start);
    let at = |date: NaiveDate| date.and_hms_opt(12, 0, 0).unwrap_or_default().and_utc();
    for index in 0..n_customers as u64 {
        let id = CustomerId(splitmix64(index));
        let kind = next(&mut rng) % 100;
        if kind >= 8 {
            let orders = match next(&mut rng) % 100 {
                0..=37 => 1,
                38..=69 => 2 + next(&mut rng) % 2,
                70..=94 => 4 + next(&mut rng) % 6,
                _ => 10 + next(&mut rng) % 20,
            };
            let first_day = next(&mut rng) % 730;
            let span = 1 + next(&mut rng) % 365;
            for order in 0..orders {
                let date = day((first_day + next(&mut rng) % span).min(729));
                let cents = 100 + (next(&mut rng) % 5_000) * (1 + next(&mut rng) % 4);
                let amount = Money::new(Decimal::new(cents as i64, 2), Currency::CNY);
                if order > 0 && next(&mut rng) % 50 == 0 {
                    agg.add_refund_on(id, date, amount)
                        .unwrap_or_else(|e| panic!("{e}"));
                } else {
                    agg.add_purchase_on(id, date, amount)
                        .unwrap_or_else(|e| panic!("{e}"));
                }
            }
        }
        if !(8..80).contains(&kind) {
            // Interactions in the last 400 days: logins, and browsing for some.
            for _ in 0..=next(&mut rng) % 6 {
                let date = day(729 - (next(&mut rng) % 400).min(next(&mut rng) % 400));
                let kind = if next(&mut rng) % 3 == 0 {
                    InteractionKind::Browse
                } else {
                    InteractionKind::Login
                };
                agg.add_interaction(&Interaction::new(id, kind, at(date)));
            }
            // One in ten of them logs in every week.
            if next(&mut rng) % 10 == 0 {
                for week in 0..4 {
                    let date = day(729 - 7 * week - next(&mut rng) % 7);
                    agg.add_interaction(&Interaction::new(id, InteractionKind::Login, at(date)));
                }
            }
        }
    }
    agg.into_table()
}

fn splitmix64(index: u64) -> u64 {
    let mut z = index.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

fn next(state: &mut u64) -> u64 {
    *state ^= *state << 13;
    *state ^= *state >> 7;
    *state ^= *state << 17;
    *state
}
