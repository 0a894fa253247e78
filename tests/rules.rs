//! Integration tests: rules.
//!
//! Most cases are data: `tests/data/rules/expressions.toml` (a rule, a record, the
//! expected value or error text) and `tests/data/rules/tables.toml` (a table, its
//! expected diagnostics or error text, and records with the expected hit). One
//! runner per file checks every case and reports all mismatches at once.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use patronage::rules::DiagnosticCode;
use patronage::rules::{
    Columns, Context, Expr, Field, FieldId, Hit, HitPolicy, Program, Record, Schema, Table,
    TableDoc, Value, ValueRef,
};
use proptest::prelude::*;
use serde::Deserialize;

mod lookup;

// ---- data-driven expressions ------------------------------------------------

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ExprFile {
    as_of: NaiveDate,
    fields: Vec<Field>,
    case: Vec<ExprCase>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ExprCase {
    name: String,
    /// The rule in text form.
    rule: Option<String>,
    /// The rule in structured form (JSON text), which must agree with `rule`.
    tree: Option<String>,
    #[serde(default)]
    record: BTreeMap<String, toml::Value>,
    /// The expected value: `true`, `false`, `missing`, `42`, `120.50 CNY`, `gold`…
    expect: Option<String>,
    /// The expected error text (`Display`, caret snippet included).
    error: Option<String>,
    /// The expected explanation text.
    explain: Option<String>,
    /// The expected canonical text of the rule.
    printed: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TableFile {
    as_of: NaiveDate,
    fields: Vec<Field>,
    case: Vec<TableCase>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TableCase {
    name: String,
    table: toml::Value,
    /// The expected error text.
    error: Option<String>,
    /// The expected diagnostics, in order.
    #[serde(default)]
    diagnostics: Vec<String>,
    #[serde(default)]
    eval: Vec<TableEval>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TableEval {
    #[serde(default)]
    record: BTreeMap<String, toml::Value>,
    /// `row 2`, `default`, `no match` or `conflict 1 2` (rows numbered from 1).
    hit: Option<String>,
    /// The hit's outputs, rendered and joined with `, `.
    outputs: Option<String>,
    /// For multi-hit tables: the matching rows (from 1), joined with `, `.
    rows: Option<String>,
    /// For `collect` with an aggregation: the aggregate.
    aggregate: Option<String>,
    /// The expected explanation text.
    explain: Option<String>,
}

fn record(schema: &Schema, values: &BTreeMap<String, toml::Value>) -> Result<Record, String> {
    let mut record = Record::new(schema);
    for (name, value) in values {
        let text = match value {
            toml::Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        record
            .set_text(schema, name, &text)
            .map_err(|e| e.to_string())?;
    }
    Ok(record)
}

fn render(
    value: Option<ValueRef<'_>>,
    symbol: &dyn Fn(patronage::rules::SymbolId) -> String,
) -> String {
    match value {
        None => "missing".to_owned(),
        Some(ValueRef::Integer(v)) => v.to_string(),
        Some(ValueRef::Number(v)) => format!("{v:?}"),
        Some(ValueRef::Money(m)) => m.to_string(),
        Some(ValueRef::Bool(b)) => b.to_string(),
        Some(ValueRef::Symbol(id)) => symbol(id),
        Some(ValueRef::Text(t)) => format!("{t:?}"),
        Some(ValueRef::Date(d)) => d.to_string(),
        Some(ValueRef::Days(v)) => format!("{v} days"),
        Some(ValueRef::IntegerSet(s)) => format!("{s:?}"),
        Some(ValueRef::SymbolSet(s)) => {
            let names: Vec<String> = s.iter().map(|id| symbol(*id)).collect();
            format!("[{}]", names.join(", "))
        }
        Some(ValueRef::TextSet(s)) => format!("{s:?}"),
        Some(_) => "?".to_owned(),
    }
}

fn render_hit(hit: Hit) -> String {
    match hit {
        Hit::Row(row) => format!("row {}", row + 1),
        Hit::Default => "default".to_owned(),
        Hit::NoMatch => "no match".to_owned(),
        Hit::Conflict { first, second } => format!("conflict {} {}", first + 1, second + 1),
        _ => "?".to_owned(),
    }
}

fn check_expression_case(schema: &Schema, ctx: Context, case: &ExprCase) -> Result<(), String> {
    let compiled = match (&case.rule, &case.tree) {
        (Some(text), None) => Program::compile(&case.name, text, schema),
        (None, Some(json)) => {
            let tree: Expr = serde_json::from_str(json).map_err(|e| e.to_string())?;
            Program::from_expr(&case.name, &tree, schema)
        }
        (Some(text), Some(json)) => {
            let tree: Expr = serde_json::from_str(json).map_err(|e| e.to_string())?;
            let parsed = patronage::rules::parse(&case.name, text).map_err(|e| e.to_string())?;
            if parsed != tree {
                return Err(format!("text and tree differ: {parsed} vs {tree}"));
            }
            let back: Expr =
                serde_json::from_str(&serde_json::to_string(&parsed).map_err(|e| e.to_string())?)
                    .map_err(|e| e.to_string())?;
            if back != parsed {
                return Err("the structured form does not round-trip".to_owned());
            }
            Program::compile(&case.name, text, schema)
        }
        (None, None) => return Err("a case needs `rule` or `tree`".to_owned()),
    };
    let program = match (compiled, &case.error) {
        (Err(err), Some(expected)) => {
            return if err.to_string() == *expected {
                Ok(())
            } else {
                Err(format!(
                    "error\n  expected: {expected:?}\n  actual:   {:?}",
                    err.to_string()
                ))
            };
        }
        (Err(err), None) => return Err(format!("unexpected error: {err}")),
        (Ok(_), Some(expected)) => return Err(format!("expected error {expected:?}, compiled")),
        (Ok(program), None) => program,
    };
    let printed = program.expr().to_string();
    let reparsed = patronage::rules::parse("again", &printed).map_err(|e| e.to_string())?;
    if reparsed != *program.expr() {
        return Err(format!("`{printed}` does not parse back to the same tree"));
    }
    if let Some(expected) = &case.printed {
        if printed != *expected {
            return Err(format!(
                "printed\n  expected: {expected:?}\n  actual:   {printed:?}"
            ));
        }
    }
    let record = record(schema, &case.record)?;
    let symbol = |id| program.symbol_name(id).unwrap_or("?").to_owned();
    let actual = render(program.evaluate(&record, ctx), &symbol);
    if let Some(expected) = &case.expect {
        if actual != *expected {
            return Err(format!(
                "value\n  expected: {expected:?}\n  actual:   {actual:?}"
            ));
        }
    }
    let explanation = program.explain(&record, ctx);
    if program.ty() == patronage::rules::Type::Bool {
        if explanation.truth != program.truth(&record, ctx) {
            return Err("explanation and evaluation disagree".to_owned());
        }
        if program.matches(&record, ctx) != explanation.truth.is_true() {
            return Err("matches and truth disagree".to_owned());
        }
    }
    if let Some(expected) = &case.explain {
        let actual = explanation.to_string();
        if actual != *expected {
            return Err(format!(
                "explain\n  expected: {expected:?}\n  actual:   {actual:?}"
            ));
        }
    }
    Ok(())
}

#[test]
fn expression_cases() {
    let file: ExprFile =
        toml::from_str(include_str!("data/rules/expressions.toml")).expect("case file");
    let schema = Schema::from_fields(file.fields).expect("schema");
    let ctx = Context::new(file.as_of);
    let failures: Vec<String> = file
        .case
        .iter()
        .filter_map(|case| {
            check_expression_case(&schema, ctx, case)
                .err()
                .map(|e| format!("case `{}`: {e}", case.name))
        })
        .collect();
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n{}",
        failures.len(),
        file.case.len(),
        failures.join("\n")
    );
}

fn check_table_case(schema: &Schema, ctx: Context, case: &TableCase) -> Result<(), String> {
    let doc: TableDoc = case
        .table
        .clone()
        .try_into()
        .map_err(|e: toml::de::Error| e.to_string())?;
    // The document round-trips through JSON unchanged.
    let json = serde_json::to_string(&doc).map_err(|e| e.to_string())?;
    let again: TableDoc = serde_json::from_str(&json).map_err(|e| e.to_string())?;
    if again != doc {
        return Err("the table document does not round-trip through JSON".to_owned());
    }
    let table = match (Table::compile(&doc, schema), &case.error) {
        (Err(err), Some(expected)) => {
            return if err.to_string() == *expected {
                Ok(())
            } else {
                Err(format!(
                    "error\n  expected: {expected:?}\n  actual:   {:?}",
                    err.to_string()
                ))
            };
        }
        (Err(err), None) => return Err(format!("unexpected error: {err}")),
        (Ok(_), Some(expected)) => return Err(format!("expected error {expected:?}, compiled")),
        (Ok(table), None) => table,
    };
    let diagnostics: Vec<String> = table
        .diagnostics()
        .iter()
        .map(ToString::to_string)
        .collect();
    if diagnostics != case.diagnostics {
        return Err(format!(
            "diagnostics\n  expected: {:?}\n  actual:   {diagnostics:?}",
            case.diagnostics
        ));
    }
    let symbol = |id| table.symbol_name(id).unwrap_or("?").to_owned();
    for (i, eval) in case.eval.iter().enumerate() {
        let record = record(schema, &eval.record)?;
        let hit = table.decide(&record, ctx);
        let explanation = table.explain(&record, ctx);
        if explanation.hit != hit {
            return Err(format!(
                "eval {}: explain gives {:?}, decide {:?}",
                i + 1,
                explanation.hit,
                hit
            ));
        }
        if let Some(expected) = &eval.hit {
            if render_hit(hit) != *expected {
                return Err(format!(
                    "eval {}: hit\n  expected: {expected:?}\n  actual:   {:?}",
                    i + 1,
                    render_hit(hit)
                ));
            }
        }
        if let Some(expected) = &eval.outputs {
            let actual = table.outputs_of(hit).map_or_else(
                || "none".to_owned(),
                |values| {
                    values
                        .iter()
                        .map(|v| render(Some(v.as_ref()), &symbol))
                        .collect::<Vec<_>>()
                        .join(", ")
                },
            );
            if actual != *expected {
                return Err(format!(
                    "eval {}: outputs\n  expected: {expected:?}\n  actual:   {actual:?}",
                    i + 1
                ));
            }
        }
        if eval.rows.is_some() || eval.aggregate.is_some() {
            let mut rows = Vec::new();
            let collected = table.collect(&record, ctx, &mut rows);
            if collected.count != rows.len() {
                return Err("collect count differs from the rows".to_owned());
            }
            let actual_rows = rows
                .iter()
                .map(|r| (r + 1).to_string())
                .collect::<Vec<_>>()
                .join(", ");
            if let Some(expected) = &eval.rows {
                if actual_rows != *expected {
                    return Err(format!(
                        "eval {}: rows\n  expected: {expected:?}\n  actual:   {actual_rows:?}",
                        i + 1
                    ));
                }
            }
            if let Some(expected) = &eval.aggregate {
                let actual = render(collected.aggregate.as_ref().map(Value::as_ref), &symbol);
                if actual != *expected {
                    return Err(format!(
                        "eval {}: aggregate\n  expected: {expected:?}\n  actual:   {actual:?}",
                        i + 1
                    ));
                }
            }
        }
        if let Some(expected) = &eval.explain {
            let actual = explanation.to_string();
            if actual != *expected {
                return Err(format!(
                    "eval {}: explain\n  expected: {expected:?}\n  actual:   {actual:?}",
                    i + 1
                ));
            }
        }
    }
    Ok(())
}

#[test]
fn table_cases() {
    let file: TableFile =
        toml::from_str(include_str!("data/rules/tables.toml")).expect("case file");
    let schema = Schema::from_fields(file.fields).expect("schema");
    let ctx = Context::new(file.as_of);
    let failures: Vec<String> = file
        .case
        .iter()
        .filter_map(|case| {
            check_table_case(&schema, ctx, case)
                .err()
                .map(|e| format!("case `{}`: {e}", case.name))
        })
        .collect();
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n{}",
        failures.len(),
        file.case.len(),
        failures.join("\n")
    );
}

// ---- the R `rfm` 0.2.x segment table ----------------------------------------

fn rfm_schema() -> Schema {
    let mut schema = Schema::new();
    for name in ["r_score", "f_score", "m_score"] {
        schema
            .add(Field::integer(name).range(1, 5))
            .expect("valid field");
    }
    schema
}

fn ctx() -> Context {
    Context::new(NaiveDate::from_ymd_opt(2024, 6, 30).expect("date"))
}

fn rfm_doc() -> TableDoc {
    toml::from_str(include_str!("data/rules/rfm_0_2.toml")).expect("table document")
}

fn rfm_table() -> Table {
    Table::compile(&rfm_doc(), &rfm_schema()).expect("table compiles")
}

fn id(index: usize) -> FieldId {
    FieldId::from_index(index).expect("field id")
}

#[test]
fn rfm_0_2_reports_exactly_its_four_unreachable_rows() {
    let table = rfm_table();
    let unreachable: Vec<(usize, Option<&str>)> = table
        .diagnostics()
        .iter()
        .map(|d| (d.row.unwrap_or(usize::MAX), d.row_name.as_deref()))
        .collect();
    assert_eq!(
        unreachable,
        vec![
            (3, Some("New Customers")),
            (4, Some("Promising")),
            (8, Some("Can't Lose Them")),
            (10, Some("Lost")),
        ]
    );
    assert!(table
        .diagnostics()
        .iter()
        .all(|d| d.code == DiagnosticCode::UnreachableRow));
    let messages: Vec<String> = table
        .diagnostics()
        .iter()
        .map(ToString::to_string)
        .collect();
    assert_eq!(
        messages,
        vec![
            "warning: table `rfm_0_2`, row 4 (`New Customers`): row can never match: row 3 (`Potential Loyalist`) matches every input it matches, and comes first",
            "warning: table `rfm_0_2`, row 5 (`Promising`): row can never match: row 3 (`Potential Loyalist`) matches every input it matches, and comes first",
            "warning: table `rfm_0_2`, row 9 (`Can't Lose Them`): row can never match: row 8 (`At Risk`) matches every input it matches, and comes first",
            "warning: table `rfm_0_2`, row 11 (`Lost`): row can never match: row 10 (`Hibernating`) matches every input it matches, and comes first",
        ]
    );
}

#[test]
fn rfm_0_2_cell_counts_match_the_reference() {
    // Of the 125 score cells: Champions 8, Loyal 28, Potential Loyalist 24,
    // Need Attention 3, About To Sleep 3, At Risk 20, Hibernating 3, Others 36
    // (../shared/references/rfm.md §2).
    let table = rfm_table();
    let schema = rfm_schema();
    let mut counts = BTreeMap::new();
    for r in 1..=5 {
        for f in 1..=5 {
            for m in 1..=5 {
                let mut record = Record::new(&schema);
                for (i, v) in [r, f, m].into_iter().enumerate() {
                    record.set(id(i), v);
                }
                let hit = table.decide(&record, ctx());
                assert_eq!(table.explain(&record, ctx()).hit, hit);
                let name = table
                    .symbol_output(hit)
                    .and_then(|id| table.symbol_name(id))
                    .expect("segment")
                    .to_owned();
                *counts.entry(name).or_insert(0) += 1;
            }
        }
    }
    let expected: BTreeMap<String, i32> = [
        ("Champions", 8),
        ("Loyal Customers", 28),
        ("Potential Loyalist", 24),
        ("Need Attention", 3),
        ("About To Sleep", 3),
        ("At Risk", 20),
        ("Hibernating", 3),
        ("Others", 36),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect();
    assert_eq!(counts, expected);
}

#[test]
fn rfm_0_2_json_and_toml_forms_agree() {
    let from_json: TableDoc =
        serde_json::from_str(include_str!("../examples/data/rules/rfm_0_2.json")).expect("json");
    assert_eq!(from_json, rfm_doc());
    let toml_example: TableDoc =
        toml::from_str(include_str!("../examples/data/rules/rfm_0_2.toml")).expect("toml");
    assert_eq!(toml_example, rfm_doc());
}

/// A column store: one `Vec<i64>` per score.
struct ScoreColumns {
    r: Vec<i64>,
    f: Vec<i64>,
    m: Vec<i64>,
}

impl Columns for ScoreColumns {
    fn len(&self) -> usize {
        self.r.len()
    }

    fn value(&self, field: FieldId, row: usize) -> Option<ValueRef<'_>> {
        let column = match field.index() {
            0 => &self.r,
            1 => &self.f,
            _ => &self.m,
        };
        column.get(row).copied().map(ValueRef::Integer)
    }
}

#[test]
fn columns_and_records_decide_alike() {
    let table = rfm_table();
    let schema = rfm_schema();
    let columns = ScoreColumns {
        r: (0..125).map(|i| i / 25 + 1).collect(),
        f: (0..125).map(|i| i / 5 % 5 + 1).collect(),
        m: (0..125).map(|i| i % 5 + 1).collect(),
    };
    let mut hits = Vec::new();
    table.decide_all(&columns, ctx(), &mut hits);
    assert_eq!(hits.len(), 125);
    for (row, hit) in hits.iter().enumerate() {
        let mut record = Record::new(&schema);
        record.set(id(0), columns.r[row]);
        record.set(id(1), columns.f[row]);
        record.set(id(2), columns.m[row]);
        assert_eq!(table.decide(&record, ctx()), *hit);
        assert_eq!(table.decide_row(&columns, row, ctx()), *hit);
    }
}

// ---- properties ---------------------------------------------------------------

/// A schema with one field of each kind, for generated expressions.
fn prop_schema() -> Schema {
    Schema::from_fields([
        Field::integer("a"),
        Field::integer("b"),
        Field::number("x"),
        Field::symbol("s", ["p", "q", "r"]),
        Field::date("d").optional(),
        Field::bool("flag"),
    ])
    .expect("schema")
}

fn leaf() -> impl Strategy<Value = String> {
    prop_oneof![
        (-50i64..50).prop_map(|v| v.to_string()),
        (-50.0f64..50.0).prop_map(|v| format!("{v:.2}")),
        Just("a".to_owned()),
        Just("b".to_owned()),
        Just("x".to_owned()),
        Just("days_since(d)".to_owned()),
        Just("coalesce(a, 0)".to_owned()),
    ]
}

fn numeric() -> impl Strategy<Value = String> {
    leaf().prop_recursive(3, 16, 2, |inner| {
        (
            inner.clone(),
            prop::sample::select(vec!["+", "-", "*", "/"]),
            inner,
        )
            .prop_map(|(l, op, r)| format!("({l} {op} {r})"))
    })
}

fn condition() -> impl Strategy<Value = String> {
    let atom = prop_oneof![
        (
            numeric(),
            prop::sample::select(vec!["<", "<=", ">", ">=", "==", "!="]),
            numeric()
        )
            .prop_map(|(l, op, r)| format!("{l} {op} {r}")),
        prop::sample::subsequence(vec!["p", "q", "r"], 1..3)
            .prop_map(|items| format!("s in [{}]", items.join(", "))),
        Just("d is missing".to_owned()),
        Just("flag".to_owned()),
        (numeric(), numeric(), numeric()).prop_map(|(v, l, h)| format!("{v} between {l} and {h}")),
    ];
    atom.prop_recursive(3, 24, 3, |inner| {
        prop_oneof![
            (inner.clone(), inner.clone()).prop_map(|(l, r)| format!("{l} and {r}")),
            (inner.clone(), inner.clone()).prop_map(|(l, r)| format!("({l}) or {r}")),
            inner.prop_map(|c| format!("not ({c})")),
        ]
    })
}

fn prop_record() -> impl Strategy<Value = Vec<Option<Value>>> {
    (
        prop::option::of(-100i64..100),
        prop::option::of(-100i64..100),
        prop::option::of(-100.0f64..100.0),
        prop::option::of(0u32..3),
        prop::option::of(0i64..400),
        prop::option::of(any::<bool>()),
    )
        .prop_map(|(a, b, x, s, d, flag)| {
            let base = NaiveDate::from_ymd_opt(2024, 1, 1).expect("date");
            vec![
                a.map(Value::Integer),
                b.map(Value::Integer),
                x.map(Value::Number),
                s.map(|i| Value::Symbol(patronage::rules::SymbolId::from_index(i))),
                d.and_then(|days| base.checked_add_days(chrono::Days::new(days as u64)))
                    .map(Value::Date),
                flag.map(Value::Bool),
            ]
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(10_000))]

    /// The parser never panics, whatever the text.
    #[test]
    fn parser_never_panics(text in "\\PC{0,80}") {
        let _ = patronage::rules::parse("any", &text);
        let schema = prop_schema();
        let _ = Program::compile("any", &text, &schema);
    }

    /// Nor on text made of the language's own tokens, where deep trouble hides.
    #[test]
    fn parser_never_panics_on_tokens(tokens in prop::collection::vec(prop::sample::select(vec![
        "a", "b", "s", "p", "(", ")", "[", "]", ",", "..", "-", "+", "*", "/", "==", "<=", ">",
        "and", "or", "not", "in", "between", "is", "missing", "1", "2.5", "100 CNY", "30 days",
        "2024-01-31", "\"t\"", "days_since", "coalesce", "true",
    ]), 0..40)) {
        let text = tokens.join(" ");
        let schema = prop_schema();
        let _ = Program::compile("tokens", &text, &schema);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2_000))]

    /// Printing a parsed rule gives text that parses to the same tree, and printing is
    /// stable.
    #[test]
    fn print_parse_round_trip(text in condition()) {
        let expr = patronage::rules::parse("gen", &text).expect("generated rules parse");
        let printed = expr.to_string();
        let again = patronage::rules::parse("gen", &printed).expect("printed rules parse");
        prop_assert_eq!(&again, &expr);
        prop_assert_eq!(again.to_string(), printed);
        // The structured form round-trips too.
        let json = serde_json::to_string(&expr).expect("serialise");
        let back: Expr = serde_json::from_str(&json).expect("deserialise");
        prop_assert_eq!(back, expr);
    }

    /// Evaluation is deterministic, and explaining does not change the result.
    #[test]
    fn evaluation_is_deterministic(text in condition(), record in prop_record()) {
        let schema = prop_schema();
        let Ok(program) = Program::condition("gen", &text, &schema) else {
            return Ok(());
        };
        let first = program.truth(&record, ctx());
        prop_assert_eq!(program.truth(&record, ctx()), first);
        prop_assert_eq!(program.explain(&record, ctx()).truth, first);
        let reparsed = Program::condition("gen", &program.expr().to_string(), &schema)
            .expect("printed rule compiles");
        prop_assert_eq!(reparsed.truth(&record, ctx()), first);
    }
}

/// A table over two small integer fields with generated interval cells.
fn cell() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("-".to_owned()),
        (0i64..7, 0i64..7).prop_map(|(a, b)| format!("[{}..{}]", a.min(b), a.max(b))),
        (0i64..7).prop_map(|a| format!("<= {a}")),
        (0i64..7).prop_map(|a| format!("> {a}")),
        (0i64..7).prop_map(|a| format!("!= {a}")),
        (0i64..7, 0i64..7).prop_map(|(a, b)| format!("{a}, {b}")),
        (0i64..7).prop_map(|a| format!("not({a})")),
        Just("is missing".to_owned()),
        // Not a literal test: analysis and the index treat it conservatively.
        Just("< u".to_owned()),
    ]
}

fn policy() -> impl Strategy<Value = HitPolicy> {
    prop::sample::select(vec![
        HitPolicy::First,
        HitPolicy::Unique,
        HitPolicy::Any,
        HitPolicy::Priority,
        HitPolicy::Collect,
        HitPolicy::RuleOrder,
    ])
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2_000))]

    /// The precomputed fast path, the row scan behind `explain`, and the analysis all
    /// agree: `decide` equals `explain`'s hit, a row reported unreachable never
    /// decides, and a table with no gap diagnostic always finds a row.
    #[test]
    fn tables_agree_with_their_analysis(
        rows in prop::collection::vec((cell(), cell(), 0usize..3, any::<bool>()), 1..8),
        hit_policy in policy(),
        complete in any::<bool>(),
    ) {
        let mut schema = Schema::new();
        let u = schema.add(Field::integer("u").range(0, 6).optional()).expect("u");
        let v = schema.add(Field::integer("v").range(0, 6)).expect("v");
        let outputs = ["gold", "silver", "bronze"];
        let doc = TableDoc {
            name: "gen".to_owned(),
            doc: String::new(),
            hit_policy,
            aggregation: None,
            complete,
            inputs: vec![
                patronage::rules::InputDoc::Expr("u".to_owned()),
                patronage::rules::InputDoc::Expr("v".to_owned()),
            ],
            outputs: vec![patronage::rules::OutputColumnDoc {
                name: "tier".to_owned(),
                ty: patronage::rules::Type::Symbol,
                values: outputs.iter().map(|s| (*s).to_owned()).collect(),
            }],
            rows: rows
                .iter()
                .map(|(a, b, out, guarded)| patronage::rules::RowDoc {
                    name: None,
                    when: vec![
                        patronage::rules::CellDoc::Text(a.clone()),
                        patronage::rules::CellDoc::Text(b.clone()),
                    ],
                    condition: guarded.then(|| patronage::rules::ExprDoc::Text("u + v != 5".to_owned())),
                    then: vec![patronage::rules::OutputDoc::Text(outputs[*out].to_owned())],
                })
                .collect(),
            default: None,
        };
        let Ok(table) = Table::compile(&doc, &schema) else {
            return Ok(());
        };
        // The same table with an extra input that is an expression, not a bare field:
        // no index, no dense table, only the row-by-row scan.
        let mut slow_doc = doc.clone();
        slow_doc.inputs.push(patronage::rules::InputDoc::Expr("v + 0".to_owned()));
        for row in &mut slow_doc.rows {
            row.when.push(patronage::rules::CellDoc::Text("-".to_owned()));
        }
        let slow = Table::compile(&slow_doc, &schema).expect("the slow twin compiles");
        // The same table with its cells in the structured form, and with the canonical
        // text of each cell: both read back to the same cells.
        let mut structured_doc = doc.clone();
        for row in &mut structured_doc.rows {
            for cell in &mut row.when {
                if let patronage::rules::CellDoc::Text(text) = cell {
                    let tests = patronage::rules::parse_cell("gen", text).expect("generated cells parse");
                    let printed = tests.to_string();
                    prop_assert_eq!(&patronage::rules::parse_cell("gen", &printed).expect("printed cells parse"), &tests);
                    let json = serde_json::to_string(&tests).expect("serialise");
                    let back: patronage::rules::UnaryTests = serde_json::from_str(&json).expect("deserialise");
                    prop_assert_eq!(&back, &tests);
                    *cell = patronage::rules::CellDoc::Tests(tests);
                }
            }
        }
        let structured = Table::compile(&structured_doc, &schema).expect("the structured twin compiles");
        prop_assert_eq!(structured.diagnostics(), table.diagnostics());
        let mut fast_rows = Vec::new();
        let mut slow_rows = Vec::new();
        let unreachable: Vec<usize> = table
            .diagnostics()
            .iter()
            .filter(|d| matches!(d.code, DiagnosticCode::UnreachableRow | DiagnosticCode::EmptyRow | DiagnosticCode::NeverWins))
            .filter_map(|d| d.row)
            .collect();
        let gaps = table.diagnostics().iter().any(|d| d.code == DiagnosticCode::Gap);
        let overlaps = table.diagnostics().iter().any(|d| d.code == DiagnosticCode::Overlap);
        let mut seen_conflict = false;
        for uu in (-1..8).map(Some).chain([None]) {
            for vv in -1..8 {
                let mut record = Record::new(&schema);
                if let Some(uu) = uu {
                    record.set(u, uu);
                }
                record.set(v, vv);
                let hit = table.decide(&record, ctx());
                prop_assert_eq!(table.explain(&record, ctx()).hit, hit);
                prop_assert_eq!(slow.decide(&record, ctx()), hit);
                prop_assert_eq!(structured.decide(&record, ctx()), hit);
                prop_assert_eq!(table.trace(&record, ctx(), &mut fast_rows), hit);
                prop_assert_eq!(slow.trace(&record, ctx(), &mut slow_rows), hit);
                prop_assert_eq!(&fast_rows, &slow_rows);
                let (mut fast_matched, mut slow_matched) = (Vec::new(), Vec::new());
                let fast_collected = table.collect(&record, ctx(), &mut fast_matched);
                let slow_collected = slow.collect(&record, ctx(), &mut slow_matched);
                prop_assert_eq!(fast_collected, slow_collected);
                prop_assert_eq!(fast_matched, slow_matched);
                let in_range = uu.map_or(true, |x| (0..=6).contains(&x)) && (0..=6).contains(&vv);
                if !in_range {
                    continue;
                }
                if let Hit::Row(row) = hit {
                    prop_assert!(!unreachable.contains(&row), "row {} reported unreachable but decided", row + 1);
                }
                if complete && !gaps {
                    prop_assert!(matches!(hit, Hit::Row(_) | Hit::Conflict { .. }), "no gap reported, but {:?} at u={:?} v={}", hit, uu, vv);
                }
                if matches!(hit, Hit::Conflict { .. }) {
                    seen_conflict = true;
                }
            }
        }
        if seen_conflict {
            prop_assert!(overlaps, "a conflict occurred, but no overlap was reported");
        }
    }
}

fn number_cell() -> impl Strategy<Value = String> {
    let point = prop::sample::select(vec!["0", "0.25", "0.5", "1", "1.5"]);
    prop_oneof![
        Just("-".to_owned()),
        point.clone().prop_map(|p| format!("< {p}")),
        point.clone().prop_map(|p| format!(">= {p}")),
        point.clone().prop_map(|p| format!("!= {p}")),
        point.clone().prop_map(ToString::to_string),
        (point.clone(), point).prop_map(|(a, b)| format!("(0..{a}], [{b}..2)")),
        Just("is missing".to_owned()),
    ]
}

fn date_cell() -> impl Strategy<Value = String> {
    let day = prop::sample::select(vec!["2024-01-01", "2024-03-01", "2024-06-30"]);
    prop_oneof![
        Just("-".to_owned()),
        day.clone().prop_map(|d| format!("< {d}")),
        day.clone().prop_map(|d| format!(">= {d}")),
        (day.clone(), day).prop_map(|(a, b)| format!("[{a}..{b}]")),
    ]
}

fn money_cell() -> impl Strategy<Value = String> {
    let amount = prop::sample::select(vec!["0 CNY", "99.99 CNY", "100 CNY", "500 CNY"]);
    prop_oneof![
        Just("-".to_owned()),
        amount.clone().prop_map(|a| format!("< {a}")),
        amount.clone().prop_map(|a| format!("> {a}")),
        (amount.clone(), amount).prop_map(|(a, b)| format!("[{a}..{b})")),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1_000))]

    /// Tables over numbers, dates and money: the index agrees with the scan.
    #[test]
    fn continuous_tables_agree(
        rows in prop::collection::vec((number_cell(), date_cell(), money_cell()), 1..8),
        hit_policy in policy(),
    ) {
        let schema = Schema::from_fields([
            Field::number("x").optional(),
            Field::date("d"),
            Field::money("m", patronage::Currency::CNY),
        ])
        .expect("schema");
        let cells = |row: &(String, String, String)| {
            [row.0.clone(), row.1.clone(), row.2.clone()]
                .map(patronage::rules::CellDoc::Text)
                .to_vec()
        };
        let doc = TableDoc {
            name: "cont".to_owned(),
            doc: String::new(),
            hit_policy,
            aggregation: None,
            complete: false,
            inputs: ["x", "d", "m"]
                .map(|n| patronage::rules::InputDoc::Expr(n.to_owned()))
                .to_vec(),
            outputs: vec![patronage::rules::OutputColumnDoc {
                name: "tier".to_owned(),
                ty: patronage::rules::Type::Symbol,
                values: vec!["gold".to_owned(), "silver".to_owned()],
            }],
            rows: rows
                .iter()
                .enumerate()
                .map(|(i, row)| patronage::rules::RowDoc {
                    name: None,
                    when: cells(row),
                    condition: None,
                    then: vec![patronage::rules::OutputDoc::Text(
                        if i % 2 == 0 { "gold" } else { "silver" }.to_owned(),
                    )],
                })
                .collect(),
            default: None,
        };
        let Ok(table) = Table::compile(&doc, &schema) else {
            return Ok(());
        };
        let mut slow_doc = doc.clone();
        slow_doc.inputs.push(patronage::rules::InputDoc::Expr("x * 1".to_owned()));
        for row in &mut slow_doc.rows {
            row.when.push(patronage::rules::CellDoc::Text("-".to_owned()));
        }
        let slow = Table::compile(&slow_doc, &schema).expect("the slow twin compiles");
        let (mut fast_rows, mut slow_rows) = (Vec::new(), Vec::new());
        for x in ["", "-1", "0", "0.1", "0.25", "0.5", "0.75", "1", "1.5", "2"] {
            for d in ["2023-12-31", "2024-01-01", "2024-02-01", "2024-03-01", "2024-06-30", "2024-07-01"] {
                for m in ["-1 CNY", "0 CNY", "50 CNY", "99.99 CNY", "100 CNY", "300 CNY", "500 CNY", "501 CNY"] {
                    let mut record = Record::new(&schema);
                    if !x.is_empty() {
                        record.set_text(&schema, "x", x).expect("x");
                    }
                    record.set_text(&schema, "d", d).expect("d");
                    record.set_text(&schema, "m", m).expect("m");
                    let hit = slow.decide(&record, ctx());
                    prop_assert_eq!(table.decide(&record, ctx()), hit, "x={} d={} m={}", x, d, m);
                    prop_assert_eq!(table.trace(&record, ctx(), &mut fast_rows), hit);
                    prop_assert_eq!(slow.trace(&record, ctx(), &mut slow_rows), hit);
                    prop_assert_eq!(&fast_rows, &slow_rows);
                }
            }
        }
    }
}

// ---- error messages outside the case files ------------------------------------

fn schema_error(field: Field) -> String {
    let mut schema = Schema::new();
    schema.add(Field::integer("taken")).expect("first field");
    schema.add(field).expect_err("invalid field").to_string()
}

#[test]
fn schema_error_messages() {
    let cases = [
        (
            Field::integer("1st"),
            "schema field `1st`: invalid field name `1st`: expected a letter or `_` first, found `1`",
        ),
        (
            Field::integer("last-login"),
            "schema field `last-login`: invalid field name `last-login`: expected only letters, digits and `_`, found `-`",
        ),
        (
            Field::integer(""),
            "schema field ``: invalid field name ``: expected an identifier, found an empty name",
        ),
        (
            Field::integer("between"),
            "schema field `between`: invalid field name `between`: it is a keyword of the rules language",
        ),
        (
            Field::integer("taken"),
            "schema field `taken`: field `taken` is declared twice",
        ),
        (
            Field::symbol("stage", []),
            "schema field `stage`: invalid declaration of `stage`: a symbol field needs a vocabulary (`values`), found none",
        ),
        (
            Field::symbol_set("tags", []),
            "schema field `tags`: invalid declaration of `tags`: a set of symbol field needs a vocabulary (`values`), found none",
        ),
        (
            Field::symbol("stage", ["new", "new"]),
            "schema field `stage`: invalid declaration of `stage`: symbol `new` is listed twice",
        ),
        (
            Field::symbol("stage", ["new", "not valid"]),
            "schema field `stage`: invalid declaration of `stage`: symbol `not valid` is not valid: expected only letters, digits and `_`, found ` `",
        ),
        (
            Field::number("share").range(0, 1),
            "schema field `share`: invalid declaration of `share`: only integer and days fields take a `range`, found one on a number field",
        ),
        (
            Field::integer("score").range(5, 1),
            "schema field `score`: invalid declaration of `score`: `range` must have lower <= upper, found [5, 1]",
        ),
    ];
    for (field, expected) in cases {
        assert_eq!(schema_error(field), expected);
    }
    let with_values: Field =
        serde_json::from_str(r#"{"name": "n", "type": "integer", "values": ["a"]}"#)
            .expect("field document");
    assert_eq!(
        schema_error(with_values),
        "schema field `n`: invalid declaration of `n`: only symbol fields take a vocabulary (`values`), found one on a integer field"
    );
    let unknown: Result<Field, _> =
        serde_json::from_str(r#"{"name": "n", "type": "integer", "rnage": [1, 2]}"#);
    assert!(unknown
        .expect_err("unknown key")
        .to_string()
        .starts_with("unknown field `rnage`"));
}

#[test]
fn schema_size_limit() {
    let mut schema = Schema::new();
    for i in 0..patronage::rules::MAX_FIELDS {
        schema
            .add(Field::integer(&format!("f{i}")))
            .expect("room for the field");
    }
    assert_eq!(
        schema
            .add(Field::integer("one_more"))
            .expect_err("full")
            .to_string(),
        "schema field `one_more`: the schema has 65536 fields, more than the limit of 65535"
    );
}

#[test]
fn value_error_messages() {
    let schema = Schema::from_fields([
        Field::integer("n"),
        Field::symbol_set("tags", ["vip", "student"]),
        Field::money("spend", patronage::Currency::CNY),
    ])
    .expect("schema");
    let mut record = Record::new(&schema);
    let err = |name: &str, text: &str, record: &mut Record| {
        record
            .set_text(&schema, name, text)
            .expect_err("invalid value")
            .to_string()
    };
    assert_eq!(
        err("m", "1", &mut record),
        "schema field `m`: unknown field `m`; did you mean `n`?"
    );
    assert_eq!(
        err("n", "gold", &mut record),
        "schema field `n`: expected a literal of type integer, found the name `gold`\n  |\n1 | gold\n  | ^^^^"
    );
    assert_eq!(
        err("n", "n + 1", &mut record),
        "schema field `n`: expected a literal of type integer, found `n + 1`, which reads fields\n  |\n1 | n + 1\n  | ^^^^^"
    );
    assert_eq!(
        err("n", "1.5", &mut record),
        "schema field `n`: expected a literal of type integer, found number\n  |\n1 | 1.5\n  | ^^^"
    );
    assert_eq!(
        err("n", "1 / 0", &mut record),
        "schema field `n`: expected a literal of type integer, found number\n  |\n1 | 1 / 0\n  | ^^^^^"
    );
    assert_eq!(
        err("tags", "vip", &mut record),
        "schema field `tags`: expected a literal of type set of symbol, found `vip`, which is not a list `[…]`\n  |\n1 | vip\n  | ^^^"
    );
    assert_eq!(
        err("tags", "[vip, gold]", &mut record),
        "schema field `tags`: unknown value `gold` for `tags`, expected one of `vip`, `student`\n  |\n1 | [vip, gold]\n  |       ^^^^"
    );
    assert_eq!(
        err("spend", "5 USD", &mut record),
        "schema field `spend`: expected a literal of type money in `CNY`, found money in `USD`\n  |\n1 | 5 USD\n  | ^^^^^"
    );
    assert_eq!(
        err("spend", "5 CNY +", &mut record),
        "schema field `spend`: expected a value, a field or `(`, found the end of the text\n  |\n1 | 5 CNY +\n  |        ^"
    );
}

#[test]
fn program_error_messages() {
    let schema = Schema::from_fields([
        Field::integer("n"),
        Field::money("spend", patronage::Currency::CNY),
    ])
    .expect("schema");
    assert_eq!(
        Program::condition("count", "n + 1", &schema)
            .expect_err("not a condition")
            .to_string(),
        "rule `count`: expected a condition (a `bool`), found integer\n  |\n1 | n + 1\n  | ^^^^^"
    );
    let long = format!("n > {}", "1".repeat(patronage::rules::MAX_TEXT));
    let err = Program::compile("long", &long, &schema).expect_err("too long");
    assert_eq!(
        err.message(),
        "the text has 65540 bytes, more than the limit of 65536"
    );
    let many = vec!["n > 1"; 3_400].join(" or ");
    assert_eq!(
        Program::compile("many", &many, &schema)
            .expect_err("too many nodes")
            .message(),
        "the expression has 10001 nodes, more than the limit of 10000"
    );
    // A structured tree deeper than the limit is caught before it is printed.
    let mut deep = Expr::new(patronage::rules::ExprKind::Name("n".to_owned()));
    for _ in 0..40 {
        deep = Expr::new(patronage::rules::ExprKind::Neg(Box::new(deep)));
    }
    assert_eq!(
        Program::from_expr("deep", &deep, &schema)
            .expect_err("too deep")
            .message(),
        "the expression nests deeper than 32 levels"
    );
    let and_of_one = Expr::new(patronage::rules::ExprKind::And(vec![Expr::new(
        patronage::rules::ExprKind::Bool(true),
    )]));
    assert_eq!(
        Program::from_expr("lonely", &and_of_one, &schema)
            .expect_err("one operand")
            .message(),
        "`and` expects at least 2 operands, found 1"
    );
    let err = Program::compile("typo", "spnd > 1 CNY", &schema).expect_err("typo");
    assert!(err.is_unknown_name() && !err.is_syntax());
    assert_eq!(err.span(), Some(patronage::rules::Span::new(0, 4)));
    assert_eq!(err.source_text(), Some("spnd > 1 CNY"));
    assert!(Program::compile("syntax", "n >", &schema)
        .expect_err("syntax")
        .is_syntax());
}

#[test]
fn table_size_limits() {
    let schema = Schema::from_fields([Field::integer("n")]).expect("schema");
    let mut doc: TableDoc = toml::from_str(
        r#"
        name = "big"
        inputs = ["n"]
        rows = []
        "#,
    )
    .expect("doc");
    doc.inputs =
        vec![patronage::rules::InputDoc::Expr("n".to_owned()); patronage::rules::MAX_INPUTS + 1];
    assert_eq!(
        Table::compile(&doc, &schema)
            .expect_err("too many inputs")
            .to_string(),
        "table `big`: the table has 65 inputs, more than the limit of 64"
    );
    doc.inputs.truncate(1);
    doc.rows = vec![
        patronage::rules::RowDoc {
            name: None,
            when: vec![patronage::rules::CellDoc::Text("-".to_owned())],
            condition: None,
            then: vec![],
        };
        patronage::rules::MAX_ROWS + 1
    ];
    assert_eq!(
        Table::compile(&doc, &schema)
            .expect_err("too many rows")
            .to_string(),
        "table `big`: the table has 100001 rows, more than the limit of 100000"
    );
}

#[test]
fn analysis_stops_within_its_work_limit() {
    // Many overlapping boxes before a catch-all row: the pieces left after each
    // subtraction multiply, and analysis gives up on the rows it cannot afford.
    let fields: Vec<Field> = (0..6).map(|i| Field::integer(&format!("x{i}"))).collect();
    let schema = Schema::from_fields(fields).expect("schema");
    let mut lcg = 12_345u64;
    let mut next = |n: u64| {
        lcg = lcg.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
        (lcg >> 33) % n
    };
    let mut rows = Vec::new();
    for _ in 0..300 {
        let cells: Vec<String> = (0..6)
            .map(|_| {
                let lo = next(100);
                format!("\"[{lo}..{}]\"", lo + next(60))
            })
            .collect();
        rows.push(format!("{{ when = [{}] }}", cells.join(", ")));
    }
    rows.push("{ when = [\"-\", \"-\", \"-\", \"-\", \"-\", \"-\"] }".to_owned());
    let text = format!(
        "name = \"tangle\"\ncomplete = true\ninputs = [\"x0\", \"x1\", \"x2\", \"x3\", \"x4\", \"x5\"]\nrows = [\n{}\n]\n",
        rows.join(",\n")
    );
    let doc: TableDoc = toml::from_str(&text).expect("doc");
    let table = Table::compile(&doc, &schema).expect("table");
    let limits: Vec<String> = table
        .diagnostics()
        .iter()
        .filter(|d| d.code == DiagnosticCode::AnalysisLimit)
        .map(ToString::to_string)
        .collect();
    assert_eq!(limits.len(), 1, "{:#?}", table.diagnostics());
    assert!(
        limits[0].starts_with(
            "warning: table `tangle`: the table is too large to check every row for reachability exactly; rows "
        ) && limits[0].ends_with(" were not checked"),
        "{}",
        limits[0]
    );
    // The decision does not depend on analysis.
    let record = Record::new(&schema);
    assert_eq!(table.decide(&record, ctx()), Hit::Row(300));

    // Without the catch-all row, the gap check runs out of work too.
    let mut doc = doc;
    doc.rows.pop();
    let table = Table::compile(&doc, &schema).expect("table");
    let gap_limits: Vec<String> = table
        .diagnostics()
        .iter()
        .filter(|d| d.code == DiagnosticCode::AnalysisLimit && d.message.contains("gaps"))
        .map(ToString::to_string)
        .collect();
    assert_eq!(
        gap_limits,
        ["warning: table `tangle`: the table is too large to check for gaps exactly; it was not checked"]
    );
}

// ---- evaluation allocates nothing ------------------------------------------------------

/// Counts the allocations of the current thread (other threads' tests run alongside).
struct CountingAllocator;

thread_local! {
    static ALLOCATIONS: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

// SAFETY: every call is forwarded unchanged to the system allocator; the counter is a
// const-initialised thread-local `Cell` without a destructor, so it never allocates.
unsafe impl std::alloc::GlobalAlloc for CountingAllocator {
    unsafe fn alloc(&self, layout: std::alloc::Layout) -> *mut u8 {
        ALLOCATIONS.with(|n| n.set(n.get() + 1));
        // SAFETY: forwarded with the caller's layout.
        unsafe { std::alloc::System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: std::alloc::Layout) {
        // SAFETY: forwarded with the caller's pointer and layout.
        unsafe { std::alloc::System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: std::alloc::Layout, new_size: usize) -> *mut u8 {
        ALLOCATIONS.with(|n| n.set(n.get() + 1));
        // SAFETY: forwarded with the caller's pointer, layout and size.
        unsafe { std::alloc::System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOCATOR: CountingAllocator = CountingAllocator;

fn allocations_during(f: impl FnOnce()) -> usize {
    let before = ALLOCATIONS.with(std::cell::Cell::get);
    f();
    ALLOCATIONS.with(std::cell::Cell::get) - before
}

#[test]
fn evaluation_allocates_nothing() {
    let schema = Schema::from_fields([
        Field::integer("r_score").range(1, 5),
        Field::integer("f_score").range(1, 5),
        Field::integer("m_score").range(1, 5),
        Field::money("spend", patronage::Currency::CNY),
        Field::symbol("stage", ["new", "active", "dormant"]),
        Field::date("last_login").optional(),
        Field::text("region"),
    ])
    .expect("schema");
    let rfm = Table::compile(&rfm_doc(), &schema).expect("rfm table");
    let guarded: TableDoc = toml::from_str(
        r#"
        name = "guarded"
        hit_policy = "priority"
        inputs = ["stage", "days_since(last_login)"]
        outputs = [{ name = "action", type = "symbol", values = ["call", "mail"] }]
        rows = [
            { when = ["dormant", "> 28"], condition = "spend >= 100 CNY", then = ["call"] },
            { when = ["-", "-"], then = ["mail"] },
        ]
        "#,
    )
    .expect("document");
    let guarded = Table::compile(&guarded, &schema).expect("guarded table");
    let program = Program::condition(
        "rule",
        "region == \"east\" and stage in [new, active] and coalesce(days_since(last_login), 0 days) < 30 and spend * 2 >= 10 CNY",
        &schema,
    )
    .expect("program");
    let mut record = Record::new(&schema);
    for (name, text) in [
        ("r_score", "4"),
        ("f_score", "2"),
        ("m_score", "5"),
        ("spend", "120 CNY"),
        ("stage", "dormant"),
        ("last_login", "2024-05-01"),
        ("region", "east"),
    ] {
        record.set_text(&schema, name, text).expect("value");
    }
    let mut rows = Vec::with_capacity(16);
    let mut matched = Vec::with_capacity(16);
    let mut hits = (Hit::NoMatch, Hit::NoMatch, Hit::NoMatch);
    let mut truth = false;
    let count = allocations_during(|| {
        hits.0 = rfm.decide(&record, ctx());
        hits.1 = guarded.decide(&record, ctx());
        hits.2 = rfm.trace(&record, ctx(), &mut rows);
        truth = program.matches(&record, ctx());
        guarded.collect(&record, ctx(), &mut matched);
    });
    assert_eq!(count, 0);
    assert_eq!(hits.0, Hit::Default); // R4 F2 M5 is in no row: Others
    assert_eq!(hits.1, Hit::Row(0));
    assert_eq!(hits.2, hits.0);
    assert!(!truth);
    assert_eq!(matched, [0, 1]);
}

// ---- the SPEC R8 reference tier table (examples/data/rules/tiers.*) ----------------

fn facts_schema() -> Schema {
    Schema::from_fields([
        Field::integer("recency_days")
            .optional()
            .doc("days since the last purchase; missing for non-purchasers"),
        Field::integer("frequency").doc("purchases in the last 365 days"),
        Field::number("monetary_top_share")
            .optional()
            .doc("share of purchasers who spent strictly more"),
        Field::date("first_purchase").optional(),
        Field::symbol(
            "stage",
            [
                "registered",
                "potential",
                "new",
                "active",
                "dormant",
                "churned",
            ],
        ),
    ])
    .expect("schema")
}

#[test]
fn reference_tiers() {
    let schema = facts_schema();
    let doc: TableDoc =
        toml::from_str(include_str!("../examples/data/rules/tiers.toml")).expect("toml");
    let json: TableDoc =
        serde_json::from_str(include_str!("../examples/data/rules/tiers.json")).expect("json");
    assert_eq!(doc, json);
    let table = Table::compile(&doc, &schema).expect("tier table");
    let diagnostics: Vec<String> = table
        .diagnostics()
        .iter()
        .map(ToString::to_string)
        .collect();
    assert_eq!(diagnostics, Vec::<String>::new());
    let tier = |values: &[(&str, &str)]| {
        let mut record = Record::new(&schema);
        for (name, text) in values {
            record.set_text(&schema, name, text).expect("value");
        }
        let hit = table.decide(&record, ctx());
        assert_eq!(table.explain(&record, ctx()).hit, hit);
        table
            .symbol_output(hit)
            .and_then(|id| table.symbol_name(id))
            .unwrap_or("none")
            .to_owned()
    };
    let purchaser = |recency: &str, frequency: &str, share: &str, first: &str, stage: &str| {
        tier(&[
            ("recency_days", recency),
            ("frequency", frequency),
            ("monetary_top_share", share),
            ("first_purchase", first),
            ("stage", stage),
        ])
    };
    assert_eq!(
        purchaser("12", "3", "0.1", "2023-01-01", "active"),
        "high_value_active"
    );
    assert_eq!(
        purchaser("12", "3", "0.3", "2023-01-01", "active"),
        "mid_value_active"
    );
    assert_eq!(purchaser("5", "1", "0.9", "2024-06-25", "new"), "new");
    assert_eq!(
        purchaser("120", "0", "0.9", "2023-01-01", "dormant"),
        "dormant"
    );
    assert_eq!(
        purchaser("200", "0", "0.9", "2023-01-01", "churned"),
        "churned"
    );
    assert_eq!(
        purchaser("60", "1", "0.7", "2023-01-01", "active"),
        "low_value"
    );
    assert_eq!(
        tier(&[("frequency", "0"), ("stage", "potential")]),
        "potential"
    );
    assert_eq!(
        tier(&[("frequency", "0"), ("stage", "registered")]),
        "registered"
    );
}

#[test]
fn unknown_keys_in_documents_are_rejected() {
    let err = toml::from_str::<TableDoc>(
        r#"
        name = "t"
        hit_polcy = "first"
        "#,
    )
    .expect_err("unknown key");
    assert!(
        err.to_string()
            .contains("unknown field `hit_polcy`, expected one of"),
        "{err}"
    );
    let err = toml::from_str::<TableDoc>(
        r#"
        name = "t"
        rows = [{ wen = ["-"] }]
        "#,
    )
    .expect_err("unknown row key");
    assert!(err.to_string().contains("unknown field `wen`"), "{err}");
    let err = serde_json::from_str::<patronage::rules::RuleDoc>(
        r#"{"name": "r", "when": "x > 1", "priority": 2}"#,
    )
    .expect_err("unknown rule key");
    assert!(
        err.to_string().contains("unknown field `priority`"),
        "{err}"
    );
}

#[test]
fn very_large_tables_load_with_a_warning() {
    // 20,000 rows with distinct bounds: too many classes for exact analysis and for the
    // index, so the table is evaluated row by row, and says so.
    let schema = Schema::from_fields([Field::integer("a"), Field::integer("b")]).expect("schema");
    let rows = (0..20_000)
        .map(|i| patronage::rules::RowDoc {
            name: None,
            when: vec![
                patronage::rules::CellDoc::Text(format!("[{}..{}]", i, i + 5)),
                patronage::rules::CellDoc::Text(format!("[{}..{}]", 2 * i, 2 * i + 1)),
            ],
            condition: None,
            then: vec![],
        })
        .collect();
    let doc = TableDoc {
        name: "huge".to_owned(),
        doc: String::new(),
        hit_policy: HitPolicy::Unique,
        aggregation: None,
        complete: true,
        inputs: ["a", "b"]
            .map(|n| patronage::rules::InputDoc::Expr(n.to_owned()))
            .to_vec(),
        outputs: vec![],
        rows,
        default: None,
    };
    let table = Table::compile(&doc, &schema).expect("table");
    let messages: Vec<String> = table
        .diagnostics()
        .iter()
        .map(ToString::to_string)
        .collect();
    assert_eq!(
        messages,
        ["warning: table `huge`: the table is too large to analyse: its 20000 rows distinguish too many input values; it was not checked for unreachable rows, overlaps or gaps"]
    );
    let mut record = Record::new(&schema);
    record.set(id(0), 19_990);
    record.set(id(1), 39_978);
    assert_eq!(table.decide(&record, ctx()), Hit::Row(19_989));
}

#[test]
fn overlap_checks_stop_within_their_work_limit() {
    let schema = Schema::from_fields([Field::integer("a")]).expect("schema");
    let rows = (0..2_100)
        .map(|i| patronage::rules::RowDoc {
            name: None,
            when: vec![patronage::rules::CellDoc::Text(format!("{}", 2 * i))],
            condition: None,
            then: vec![],
        })
        .collect();
    let doc = TableDoc {
        name: "wide".to_owned(),
        doc: String::new(),
        hit_policy: HitPolicy::Unique,
        aggregation: None,
        complete: false,
        inputs: vec![patronage::rules::InputDoc::Expr("a".to_owned())],
        outputs: vec![],
        rows,
        default: None,
    };
    let table = Table::compile(&doc, &schema).expect("table");
    let messages: Vec<String> = table
        .diagnostics()
        .iter()
        .map(ToString::to_string)
        .collect();
    // Row pairs are checked in order (1, 2), (1, 3), (2, 3), …: the 2,000,000th pair
    // falls in row 2001.
    assert_eq!(
        messages,
        ["warning: table `wide`: the table is too large to check every pair of rows for overlaps; rows from 2001 on were not checked"]
    );
}
