//! Loads the R `rfm` 0.2.x segment table (the JSON example document), prints what the
//! load-time analysis finds, segments a few customers by their R/F/M scores with an
//! explanation for one of them, and evaluates a rule written as text.

use chrono::NaiveDate;
use patronage::rules::{Context, Field, Program, Record, Schema, Table, TableDoc};
use patronage::Currency;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut schema = Schema::new();
    let r = schema.add(
        Field::integer("r_score")
            .range(1, 5)
            .doc("recency score, 5 = most recent"),
    )?;
    let f = schema.add(Field::integer("f_score").range(1, 5).doc("frequency score"))?;
    let m = schema.add(Field::integer("m_score").range(1, 5).doc("monetary score"))?;
    let spend = schema.add(Field::money("spend", Currency::CNY))?;

    let doc: TableDoc = serde_json::from_str(include_str!("data/rules/rfm_0_2.json"))?;
    let table = Table::compile(&doc, &schema)?;
    println!("table `{}`: {} rows", table.name(), table.rows().len());
    for diagnostic in table.diagnostics() {
        println!("  {diagnostic}");
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
        println!("R{} F{} M{} -> {segment}", scores[0], scores[1], scores[2]);
    }
    println!("{}", table.explain(&customer, ctx));

    let rule = Program::condition(
        "worth_a_call",
        "r_score <= 2 and (m_score >= 4 or spend >= 500 CNY)",
        &schema,
    )?;
    customer.set(m, 5);
    customer.clear(spend);
    println!("{}", rule.explain(&customer, ctx));
    Ok(())
}
