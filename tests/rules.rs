//! Integration tests: rules.

use chrono::NaiveDate;
use patronage::rules::{Context, Field, Hit, Record, Schema, Table, TableDoc};
use patronage::DiagnosticCode;

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

fn rfm_table() -> Table {
    let doc: TableDoc =
        toml::from_str(include_str!("data/rules/rfm_0_2.toml")).expect("table document");
    Table::compile(&doc, &rfm_schema()).expect("table compiles")
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
    let mut counts = std::collections::BTreeMap::new();
    for r in 1..=5 {
        for f in 1..=5 {
            for m in 1..=5 {
                let mut record = Record::new(&schema);
                for (i, v) in [r, f, m].into_iter().enumerate() {
                    record.set(patronage::rules::FieldId::from_index(i).expect("id"), v);
                }
                let hit = table.decide(&record, ctx());
                let explained = table.explain(&record, ctx());
                assert_eq!(explained.hit, hit);
                let name = table
                    .symbol_output(hit)
                    .and_then(|id| table.symbol_name(id))
                    .expect("segment")
                    .to_owned();
                *counts.entry(name).or_insert(0) += 1;
            }
        }
    }
    let expected: std::collections::BTreeMap<String, i32> = [
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
    let mut record = Record::new(&schema);
    record.set(patronage::rules::FieldId::from_index(0).expect("id"), 5);
    assert_eq!(table.decide(&record, ctx()), Hit::Default);
}
