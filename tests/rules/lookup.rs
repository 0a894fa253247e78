//! The lookup path against the row-by-row scan, for the column kinds of segment tables:
//! optional day counts with `is missing` cells, a number share, a symbol and a bool,
//! rows with conditions over the inputs (decided per class) and over other fields
//! (checked in full), values of another type than declared, and populations decided a
//! block at a time with and without the typed block readers.

use patronage::rules::{
    CellDoc, Columns, Context, ExprDoc, Field, FieldId, Hit, HitPolicy, InputDoc, OutputColumnDoc,
    OutputDoc, Record, RowDoc, Schema, SymbolId, Table, TableDoc, Type, Value, ValueRef,
};
use patronage::segment::{reference_stage_table, reference_tier_table};
use patronage::{Config, Currency};
use proptest::prelude::*;

use super::{ctx, policy};

/// The fields of the generated tables, in schema order.
const FIELDS: [&str; 7] = [
    "recency", "quiet", "count", "share", "stage", "flag", "other",
];
const STAGES: [&str; 4] = ["new", "active", "dormant", "churned"];

fn schema() -> Schema {
    Schema::from_fields([
        Field::days("recency").optional(),
        Field::days("quiet").optional(),
        Field::integer("count"),
        Field::number("share").optional(),
        Field::symbol("stage", STAGES).optional(),
        Field::bool("flag"),
        Field::integer("other").optional(),
    ])
    .expect("schema")
}

fn days_cell() -> impl Strategy<Value = String> {
    let day = prop::sample::select(vec![0i64, 30, 90, 179, 180, 181]);
    prop_oneof![
        Just("-".to_owned()),
        day.clone().prop_map(|d| format!("<= {d}")),
        day.clone().prop_map(|d| format!("> {d}")),
        day.clone().prop_map(|d| format!(">= {d}, is missing")),
        (day.clone(), day.clone()).prop_map(|(a, b)| format!("[{}..{}]", a.min(b), a.max(b))),
        day.prop_map(|d| format!("not({d})")),
        Just("is missing".to_owned()),
    ]
}

fn count_cell() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("-".to_owned()),
        (0i64..4).prop_map(|n| format!(">= {n}")),
        (0i64..4).prop_map(|n| format!("{n}")),
    ]
}

fn share_cell() -> impl Strategy<Value = String> {
    let point = prop::sample::select(vec!["0.05", "0.2", "0.5"]);
    prop_oneof![
        Just("-".to_owned()),
        point.clone().prop_map(|p| format!("< {p}")),
        point.clone().prop_map(|p| format!(">= {p}")),
        point.prop_map(ToString::to_string),
        Just("is missing".to_owned()),
    ]
}

fn stage_cell() -> impl Strategy<Value = String> {
    let stage = prop::sample::select(STAGES.to_vec());
    prop_oneof![
        Just("-".to_owned()),
        stage.clone().prop_map(ToString::to_string),
        stage.clone().prop_map(|s| format!("not({s})")),
        (stage.clone(), stage).prop_map(|(a, b)| format!("{a}, {b}")),
        Just("is missing".to_owned()),
    ]
}

fn flag_cell() -> impl Strategy<Value = String> {
    prop::sample::select(vec!["-", "true", "false"]).prop_map(ToString::to_string)
}

/// Conditions: most read only the inputs through comparisons with constants (decided
/// per class); the last ones read another field, compare two inputs, or do arithmetic
/// (checked in full).
fn condition() -> impl Strategy<Value = Option<String>> {
    prop::option::of(prop::sample::select(vec![
        "not (recency > 180 and coalesce(quiet, 180 days) >= 180 days)",
        "recency <= 30 or quiet is missing",
        "coalesce(recency, quiet, 0 days) > 90 days",
        "90 days >= recency",
        "count >= 2 and not flag",
        "stage == churned or stage is missing",
        "share is missing",
        "other > 3",
        "recency > quiet",
        "count + 1 > 2",
        "share < 0.3",
    ]))
    .prop_map(|c| c.map(ToString::to_string))
}

fn row() -> impl Strategy<Value = (Vec<String>, Option<String>, usize)> {
    (
        (
            days_cell(),
            days_cell(),
            count_cell(),
            share_cell(),
            stage_cell(),
            flag_cell(),
        )
            .prop_map(|(a, b, c, d, e, f)| vec![a, b, c, d, e, f]),
        condition(),
        0usize..3,
    )
}

/// A table over the first six fields; `scan` adds an input that is an expression, so
/// the table has no index and every decision is the row-by-row scan.
fn doc(
    rows: &[(Vec<String>, Option<String>, usize)],
    hit_policy: HitPolicy,
    scan: bool,
) -> TableDoc {
    let outputs = ["gold", "silver", "bronze"];
    let mut inputs: Vec<InputDoc> = FIELDS[..6]
        .iter()
        .map(|f| InputDoc::Expr((*f).to_owned()))
        .collect();
    if scan {
        inputs.push(InputDoc::Expr("count + 0".to_owned()));
    }
    TableDoc {
        name: "gen".to_owned(),
        doc: String::new(),
        hit_policy,
        aggregation: None,
        complete: false,
        inputs,
        outputs: vec![OutputColumnDoc {
            name: "tier".to_owned(),
            ty: Type::Symbol,
            values: outputs.iter().map(|s| (*s).to_owned()).collect(),
        }],
        rows: rows
            .iter()
            .map(|(cells, condition, out)| RowDoc {
                name: None,
                when: cells
                    .iter()
                    .cloned()
                    .chain(scan.then(|| "-".to_owned()))
                    .map(CellDoc::Text)
                    .collect(),
                condition: condition.clone().map(ExprDoc::Text),
                then: vec![OutputDoc::Text(outputs[*out].to_owned())],
            })
            .collect(),
        default: None,
    }
}

/// A record: values near the cells' bounds, some missing, some of another type than
/// declared (an integer for a day count, a number for an integer, a symbol outside the
/// vocabulary, a NaN share), which the class look-up hands to the scan.
fn record() -> impl Strategy<Value = Vec<Option<Value>>> {
    let day = prop_oneof![
        8 => prop::sample::select(vec![0i64, 1, 29, 30, 31, 89, 90, 91, 179, 180, 181, 182, 400])
            .prop_map(|d| Some(Value::Days(d))),
        2 => Just(None),
        1 => (0i64..200).prop_map(|d| Some(Value::Integer(d))),
    ];
    let count = prop_oneof![
        8 => (0i64..5).prop_map(|n| Some(Value::Integer(n))),
        1 => Just(Some(Value::Number(2.0))),
        1 => Just(None),
    ];
    let share = prop_oneof![
        6 => prop::sample::select(vec![0.0, 0.04, 0.05, 0.1, 0.2, 0.3, 0.5, 0.9])
            .prop_map(|s| Some(Value::Number(s))),
        2 => Just(None),
        1 => (0i64..2).prop_map(|i| Some(Value::Integer(i))),
        1 => Just(Some(Value::Number(f64::NAN))),
    ];
    let stage = prop_oneof![
        8 => (0usize..4).prop_map(Some),
        2 => Just(None),
        1 => Just(Some(usize::MAX)),
    ];
    let flag = prop_oneof![
        8 => any::<bool>().prop_map(|b| Some(Value::Bool(b))),
        1 => Just(None),
    ];
    let other = prop::option::of((0i64..8).prop_map(Value::Integer));
    (day.clone(), day, count, share, stage, flag, other).prop_map(
        |(recency, quiet, count, share, stage, flag, other)| {
            let schema = schema();
            let stage = stage.map(|i| {
                Value::Symbol(match STAGES.get(i) {
                    Some(name) => schema.symbol(name).expect("stage symbol"),
                    None => SymbolId::from_index(999),
                })
            });
            vec![recency, quiet, count, share, stage, flag, other]
        },
    )
}

/// A population held as records, with typed block readers for the fields whose values
/// all have the reader's type (and none for the others, nor when `typed` is off).
struct Population {
    rows: Vec<Vec<Option<Value>>>,
    typed: bool,
}

impl Population {
    fn read<K>(
        &self,
        field: FieldId,
        start: usize,
        out: &mut [Option<K>],
        key: impl Fn(&Value) -> Option<K>,
    ) -> bool {
        if !self.typed {
            return false;
        }
        for (slot, row) in out.iter_mut().zip(start..) {
            *slot = match self.rows.get(row).and_then(|r| r.get(field.index())) {
                Some(Some(value)) => match key(value) {
                    Some(k) => Some(k),
                    None => return false,
                },
                Some(None) => None,
                None => return false,
            };
        }
        true
    }
}

impl Columns for Population {
    fn len(&self) -> usize {
        self.rows.len()
    }

    fn value(&self, field: FieldId, row: usize) -> Option<ValueRef<'_>> {
        self.rows
            .get(row)?
            .get(field.index())?
            .as_ref()
            .map(Value::as_ref)
    }

    fn read_integers(&self, field: FieldId, start: usize, out: &mut [Option<i64>]) -> bool {
        self.read(field, start, out, |v| match v {
            Value::Integer(i) | Value::Days(i) => Some(*i),
            _ => None,
        })
    }

    fn read_numbers(&self, field: FieldId, start: usize, out: &mut [Option<f64>]) -> bool {
        self.read(field, start, out, |v| match v {
            Value::Number(n) => Some(*n),
            _ => None,
        })
    }

    fn read_symbols(&self, field: FieldId, start: usize, out: &mut [Option<SymbolId>]) -> bool {
        self.read(field, start, out, |v| match v {
            Value::Symbol(s) => Some(*s),
            _ => None,
        })
    }

    fn read_bools(&self, field: FieldId, start: usize, out: &mut [Option<bool>]) -> bool {
        self.read(field, start, out, |v| match v {
            Value::Bool(b) => Some(*b),
            _ => None,
        })
    }
}

fn decide_each(table: &Table, population: &Population, ctx: Context) -> Vec<Hit> {
    let mut hits = Vec::new();
    table.decide_each(population, 0..population.len(), ctx, |row, hit| {
        assert_eq!(row, hits.len());
        hits.push(hit);
    });
    hits
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(150))]

    /// The dense table (with conditions decided per class), the index and the scan
    /// agree on every record, one at a time and a block at a time, with and without
    /// typed block readers; tracing and collecting agree with the scan too.
    #[test]
    fn segment_shaped_tables_agree_with_the_scan(
        rows in prop::collection::vec(row(), 1..8),
        hit_policy in policy(),
        records in prop::collection::vec(record(), 1..300),
    ) {
        let schema = schema();
        let Ok(table) = Table::compile(&doc(&rows, hit_policy, false), &schema) else {
            return Ok(());
        };
        let scan = Table::compile(&doc(&rows, hit_policy, true), &schema)
            .expect("the scan twin compiles");
        let mut expected = Vec::with_capacity(records.len());
        let (mut fast_rows, mut scan_rows) = (Vec::new(), Vec::new());
        for values in &records {
            let mut record = Record::new(&schema);
            for (index, value) in values.iter().enumerate() {
                if let Some(value) = value {
                    record.set(FieldId::from_index(index).expect("id"), value.clone());
                }
            }
            let hit = scan.decide(&record, ctx());
            prop_assert_eq!(table.decide(&record, ctx()), hit, "{:?}", values);
            prop_assert_eq!(table.trace(&record, ctx(), &mut fast_rows), hit);
            prop_assert_eq!(scan.trace(&record, ctx(), &mut scan_rows), hit);
            prop_assert_eq!(&fast_rows, &scan_rows);
            let (mut fast_matched, mut scan_matched) = (Vec::new(), Vec::new());
            prop_assert_eq!(
                table.collect(&record, ctx(), &mut fast_matched),
                scan.collect(&record, ctx(), &mut scan_matched)
            );
            prop_assert_eq!(fast_matched, scan_matched);
            expected.push(hit);
        }
        for typed in [false, true] {
            let population = Population { rows: records.clone(), typed };
            prop_assert_eq!(&decide_each(&table, &population, ctx()), &expected);
            // A range that starts inside the population and may run past its end.
            let (start, end) = (records.len() / 3, records.len() - records.len() / 4 + 10);
            let mut part = Vec::new();
            table.decide_each(&population, start..end, ctx(), |row, hit| part.push((row, hit)));
            let want: Vec<(usize, Hit)> = (start..end.min(records.len()))
                .map(|row| (row, expected[row]))
                .collect();
            prop_assert_eq!(part, want);
        }
    }
}

/// The reference stage and tier tables over the segment schema: the lookup path
/// (their dense tables, the stage table's `dormant` condition decided per class) and
/// the scan agree on a grid of day counts, shares, stages and flags.
#[test]
fn reference_stage_and_tier_tables_agree_with_the_scan() {
    let (segmenter, _) = Config::reference()
        .segmenter(Currency::CNY)
        .expect("reference segmenter");
    let schema = segmenter.schema();
    let field = |name: &str| schema.field_id(name).expect(name);
    for doc in [reference_stage_table(), reference_tier_table()] {
        let table = Table::compile(&doc, schema).expect("reference table");
        let mut scan_doc = doc.clone();
        scan_doc
            .inputs
            .push(InputDoc::Expr("frequency + 0".to_owned()));
        for row in &mut scan_doc.rows {
            row.when.push(CellDoc::Text("-".to_owned()));
        }
        let scan = Table::compile(&scan_doc, schema).expect("scan twin");
        let days = [
            None,
            Some(0),
            Some(30),
            Some(31),
            Some(90),
            Some(91),
            Some(179),
            Some(180),
            Some(181),
            Some(700),
        ];
        let shares = [
            None,
            Some(0.0),
            Some(0.19),
            Some(0.2),
            Some(0.49),
            Some(0.5),
            Some(1.0),
        ];
        let stages: Vec<Option<&str>> = [None]
            .into_iter()
            .chain(
                [
                    "registered",
                    "potential",
                    "new",
                    "active",
                    "dormant",
                    "churned",
                ]
                .into_iter()
                .map(Some),
            )
            .collect();
        let mut rows = Vec::new();
        for (i, recency) in days.iter().enumerate() {
            for quiet in &days {
                for (j, share) in shares.iter().enumerate() {
                    for (k, stage) in stages.iter().enumerate() {
                        let first = days[(i + j + k) % days.len()].max(*recency);
                        let purchaser = recency.is_some();
                        let mut record = Record::new(schema);
                        let set_days = |record: &mut Record, name: &str, d: Option<i64>| {
                            if let Some(d) = d {
                                record.set(field(name), Value::Days(d));
                            }
                        };
                        set_days(&mut record, "recency_days", *recency);
                        set_days(&mut record, "days_since_first_purchase", first);
                        set_days(&mut record, "days_since_last_interaction", *quiet);
                        record.set(field("is_purchaser"), Value::Bool(purchaser));
                        record.set(field("shown_interest"), Value::Bool((i + k) % 2 == 0));
                        record.set(field("frequency"), Value::Integer((j % 4) as i64));
                        record.set(field("login_weeks"), Value::Integer((k % 5) as i64));
                        if let Some(share) = share {
                            record.set(field("monetary_top_share"), Value::Number(*share));
                        }
                        if let Some(stage) = stage {
                            record.set_text(schema, "stage", stage).expect("stage");
                        }
                        let hit = scan.decide(&record, ctx());
                        assert_eq!(
                            table.decide(&record, ctx()),
                            hit,
                            "{}: {record:?}",
                            doc.name
                        );
                        rows.push((record, hit));
                    }
                }
            }
        }
        // Every row of each table decides some of the grid.
        for row in 0..table.rows().len() {
            assert!(
                rows.iter().any(|(_, hit)| *hit == Hit::Row(row)),
                "{}: row {}",
                doc.name,
                row + 1
            );
        }
    }
}
