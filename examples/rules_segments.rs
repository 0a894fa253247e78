//! Loads the R `rfm` 0.2.x segment table (the JSON example document
//! `examples/data/rules/rfm_0_2.json`), prints what the load-time analysis finds,
//! segments a few customers by their R/F/M scores with an explanation for one of them,
//! and evaluates a rule written as text.
//!
//! ```sh
//! cargo run --example rules_segments
//! cargo run --example rules_segments -- --table FILE.json|FILE.toml   # another segment table
//! cargo run --example rules_segments -- --help
//! ```
//!
//! A segment table document reads the integer fields `r_score`, `f_score` and
//! `m_score` (1–5) and the money field `spend` (CNY); `examples/data/rules/` has the
//! R `rfm` 0.2.x table and a tier table in JSON and TOML.

mod common;

use std::fmt::Write as _;
use std::process::ExitCode;

use chrono::NaiveDate;
use common::Stop;
use patronage::rules::{Context, Field, Program, Record, Schema, Table, TableDoc};
use patronage::Currency;

const HELP: &str = "\
rules_segments: a decision table of named RFM segments, its load-time analysis, a few
customers segmented with an explanation, and a rule written as text.

usage:
  rules_segments                       the shipped R `rfm` 0.2.x table
  rules_segments --table FILE          a segment table document, .json or .toml
  rules_segments --help                this text

a table reads the fields r_score, f_score, m_score (integers 1-5) and spend (money in
CNY); see examples/data/rules/rfm_0_2.json and rfm_0_2.toml.
";

const SHIPPED_TABLE: &str = include_str!("data/rules/rfm_0_2.json");

fn main() -> ExitCode {
    common::exit("rules_segments", run())
}

fn run() -> Result<(), Stop> {
    let mut line = common::CommandLine::from_env()?;
    let mut table = None;
    while let Some(flag) = line.next_flag()? {
        match flag.as_str() {
            "--help" | "-h" => return common::print(HELP),
            "--table" => table = Some(line.value(&flag)?),
            other => {
                return Err(Stop::usage(format!(
                    "unknown option `{}`",
                    common::clip(other)
                )))
            }
        }
    }
    let (source, doc) = match table {
        None => (
            "examples/data/rules/rfm_0_2.json".to_owned(),
            read_doc("rfm_0_2.json", SHIPPED_TABLE),
        ),
        Some(path) => {
            let bytes = common::read_file(&path)?;
            let text = String::from_utf8(bytes).map_err(|e| {
                Stop::fail(format!(
                    "`{path}`: not valid UTF-8 at byte {}",
                    e.utf8_error().valid_up_to() + 1
                ))
            })?;
            let doc = read_doc(&path, &text);
            (path, doc)
        }
    };
    let doc = doc.map_err(|e| Stop::fail(format!("`{source}`: {e}")))?;
    let mut out = String::new();
    demo(&doc, &mut out).map_err(|e| Stop::fail(format!("`{source}`: {e}")))?;
    common::print(&out)
}

/// A table document, TOML when the name ends in `.toml`, JSON otherwise.
fn read_doc(name: &str, text: &str) -> Result<TableDoc, String> {
    if common::is_toml(name) {
        toml::from_str(text).map_err(|e| e.to_string())
    } else {
        serde_json::from_str(text).map_err(|e| e.to_string())
    }
}

/// Compiles the table and writes what it finds and decides.
fn demo(doc: &TableDoc, out: &mut String) -> Result<(), Box<dyn std::error::Error>> {
    let mut schema = Schema::new();
    let r = schema.add(
        Field::integer("r_score")
            .range(1, 5)
            .doc("recency score, 5 = most recent"),
    )?;
    let f = schema.add(Field::integer("f_score").range(1, 5).doc("frequency score"))?;
    let m = schema.add(Field::integer("m_score").range(1, 5).doc("monetary score"))?;
    let spend = schema.add(Field::money("spend", Currency::CNY))?;

    let table = Table::compile(doc, &schema)?;
    writeln!(out, "table `{}`: {} rows", table.name(), table.rows().len())?;
    for diagnostic in table.diagnostics() {
        writeln!(out, "  {diagnostic}")?;
    }

    let ctx = Context::new(NaiveDate::from_ymd_opt(2024, 6, 30).ok_or("invalid date")?);
    let mut customer = Record::new(&schema);
    for (scores, amount) in [
        ([5, 5, 4], 1200),
        ([3, 1, 1], 35),
        ([1, 4, 5], 980),
        ([1, 1, 3], 60),
    ] {
        customer.set(r, scores[0]);
        customer.set(f, scores[1]);
        customer.set(m, scores[2]);
        customer.set_text(&schema, "spend", &format!("{amount} CNY"))?;
        let hit = table.decide(&customer, ctx);
        let segment = table
            .symbol_output(hit)
            .and_then(|id| table.symbol_name(id))
            .unwrap_or("?");
        writeln!(
            out,
            "R{} F{} M{} -> {segment}",
            scores[0], scores[1], scores[2]
        )?;
    }
    writeln!(out, "{}", table.explain(&customer, ctx))?;

    let rule = Program::condition(
        "worth_a_call",
        "r_score <= 2 and (m_score >= 4 or spend >= 500 CNY)",
        &schema,
    )?;
    customer.set(m, 5);
    customer.clear(spend);
    writeln!(out, "{}", rule.explain(&customer, ctx))?;
    Ok(())
}
