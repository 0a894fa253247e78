//! Explanations: why a rule or a table decided what it decided.
//!
//! Explaining is opt-in and separate from deciding: [`Program::explain`] and
//! [`Table::explain`] run the same evaluation as [`Program::truth`] and
//! [`Table::decide`] with a recorder attached, so the result cannot differ. They
//! allocate (they return owned reports, see `report`); the plain entry points do not.

use crate::rules::ast::ExprKind;
use crate::rules::compile::Program;
use crate::rules::eval::{self, Context, Hit, Truth};
use crate::rules::ir::Node;
use crate::rules::report::{
    CellFailure, ConditionTrace, Explanation, RowReport, RowTrace, TableExplanation, ValueRead,
};
use crate::rules::schema::Fields;
use crate::rules::table::Table;
use crate::rules::value::{show, Type, Value, ValueRef};

impl TableExplanation {
    pub(crate) fn new(
        table: &Table,
        hit: Hit,
        inputs: Vec<(String, Option<Value>)>,
        trace: Vec<RowTrace>,
    ) -> TableExplanation {
        let symbol = |id| table.symbol_name(id);
        let inputs = inputs
            .into_iter()
            .map(|(name, value)| {
                let shown = show(value.as_ref(), &symbol);
                ValueRead { name, value, shown }
            })
            .collect();
        let rows = trace
            .into_iter()
            .map(|t| {
                let row = table.rows().get(t.row);
                let failed = t.failure.map(|failure| {
                    let text = match failure {
                        CellFailure::Input(column) => row
                            .and_then(|r| r.cells.get(column))
                            .map(|c| c.failure.as_str()),
                        CellFailure::Condition => row
                            .and_then(|r| r.condition.as_ref())
                            .map(|c| c.failure.as_str()),
                    };
                    text.unwrap_or_default().to_owned()
                });
                RowReport {
                    row: t.row,
                    name: row.and_then(|r| r.name().map(str::to_owned)),
                    matched: t.failure.is_none(),
                    failed,
                }
            })
            .collect();
        let row_name = match hit {
            Hit::Row(row) => table
                .rows()
                .get(row)
                .and_then(|r| r.name().map(str::to_owned)),
            _ => None,
        };
        TableExplanation {
            table: table.name().to_owned(),
            hit,
            row_name,
            inputs,
            rows,
        }
    }
}

pub(crate) fn explain_program<F: Fields + ?Sized>(
    program: &Program,
    node: &Node,
    fields: &F,
    ctx: Context,
) -> Explanation {
    let truth = Truth::from(eval::truth(node, fields, ctx));
    let schema = program.schema();
    let symbol = |id| schema.symbol_name(id);
    let reads = program
        .reads()
        .iter()
        .map(|id| {
            let value = fields.value(*id).map(ValueRef::to_value);
            ValueRead {
                name: schema.field(*id).map_or("", |f| f.name()).to_owned(),
                shown: show(value.as_ref(), &symbol),
                value,
            }
        })
        .collect();
    let mut conditions = Vec::new();
    match (&program.expr().kind, node) {
        (ExprKind::And(exprs), Node::And(nodes)) | (ExprKind::Or(exprs), Node::Or(nodes)) => {
            for (expr, node) in exprs.iter().zip(nodes) {
                conditions.push(ConditionTrace {
                    condition: expr.to_string(),
                    truth: Truth::from(eval::truth(node, fields, ctx)),
                });
            }
        }
        _ => conditions.push(ConditionTrace {
            condition: program.expr().to_string(),
            truth,
        }),
    }
    let first_failure = if truth == Truth::True {
        None
    } else if matches!(node, Node::Or(_)) {
        // Every operand of a failed `or` failed; name the whole condition.
        Some(program.expr().to_string())
    } else {
        conditions
            .iter()
            .find(|c| c.truth != Truth::True)
            .map(|c| c.condition.clone())
    };
    if program.ty() != Type::Bool {
        let value = eval::value(node, fields, ctx).map(ValueRef::to_value);
        return Explanation {
            rule: program.name().to_owned(),
            truth: Truth::Unknown,
            value: Some(ValueRead {
                name: program.name().to_owned(),
                shown: show(value.as_ref(), &symbol),
                value,
            }),
            reads,
            conditions: Vec::new(),
            first_failure: None,
        };
    }
    Explanation {
        rule: program.name().to_owned(),
        truth,
        value: None,
        reads,
        conditions,
        first_failure,
    }
}

impl Table {
    /// Decides and explains: the inputs read and, row by row up to the decision, which
    /// rows matched and the first cell of each other row that failed. The hit is the
    /// one [`Table::decide`] returns.
    ///
    /// # Example
    ///
    /// ```
    /// use chrono::NaiveDate;
    /// use patronage::rules::{Context, Field, Record, Schema, Table, TableDoc};
    ///
    /// let mut schema = Schema::new();
    /// let recency = schema.add(Field::integer("recency_days"))?;
    /// let doc: TableDoc = toml::from_str(r#"
    ///     name = "recency"
    ///     inputs = ["recency_days"]
    ///     rows = [{ name = "recent", when = ["<= 30"] }, { name = "lapsing", when = ["[31..90]"] }]
    /// "#)?;
    /// let table = Table::compile(&doc, &schema)?;
    /// let mut customer = Record::new(&schema);
    /// customer.set(recency, 45);
    /// let ctx = Context::new(NaiveDate::from_ymd_opt(2024, 6, 30).ok_or("date")?);
    /// assert_eq!(
    ///     table.explain(&customer, ctx).to_string(),
    ///     "table `recency`: row 2 (`lapsing`) decided\n  inputs: recency_days = 45\n  \
    ///      row 1 (`recent`): `recency_days` is not `<= 30`\n  row 2 (`lapsing`): matched"
    /// );
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn explain<F: Fields + ?Sized>(&self, fields: &F, ctx: Context) -> TableExplanation {
        let mut rows = Vec::new();
        let hit = self.trace(fields, ctx, &mut rows);
        let inputs = self
            .inputs
            .iter()
            .map(|input| {
                (
                    input.name.clone(),
                    eval::value(&input.node, fields, ctx).map(ValueRef::to_value),
                )
            })
            .collect();
        TableExplanation::new(self, hit, inputs, rows)
    }
}

impl Program {
    /// Evaluates the condition and explains the result: the values read and, for an
    /// `and` that failed, its first operand that was not true.
    ///
    /// # Example
    ///
    /// ```
    /// use chrono::NaiveDate;
    /// use patronage::rules::{Context, Field, Program, Record, Schema, Truth};
    ///
    /// let mut schema = Schema::new();
    /// let recency = schema.add(Field::integer("recency_days"))?;
    /// let frequency = schema.add(Field::integer("frequency"))?;
    /// let rule = Program::condition("repeat", "recency_days <= 90 and frequency >= 2", &schema)?;
    /// let mut customer = Record::new(&schema);
    /// customer.set(recency, 12);
    /// customer.set(frequency, 1);
    /// let ctx = Context::new(NaiveDate::from_ymd_opt(2024, 6, 30).ok_or("date")?);
    /// let why = rule.explain(&customer, ctx);
    /// assert_eq!(why.truth, Truth::False);
    /// assert_eq!(why.first_failure.as_deref(), Some("frequency >= 2"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn explain<F: Fields + ?Sized>(&self, fields: &F, ctx: Context) -> Explanation {
        explain_program(self, self.node(), fields, ctx)
    }
}
