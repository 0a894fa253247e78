//! Explanations: why a rule or a table decided what it decided.
//!
//! Explaining is opt-in and separate from deciding: [`Program::explain`] and
//! [`Table::explain`] run the same evaluation as [`Program::truth`] and
//! [`Table::decide`] with a recorder attached, so the result cannot differ. They
//! allocate (they return owned reports); the plain entry points do not.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::rules::ast::ExprKind;
use crate::rules::compile::{Node, Program};
use crate::rules::eval::{self, Context, Truth};
use crate::rules::schema::Fields;
use crate::rules::table::{Hit, Table};
use crate::rules::value::{Type, Value, ValueRef};

/// A value the evaluation read, with its rendering (symbols by name).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ValueRead {
    /// The field or input column.
    pub name: String,
    /// The value, `None` when missing.
    pub value: Option<Value>,
    /// The value as text: `12`, `120.50 CNY`, `gold`, `missing`.
    pub shown: String,
}

/// The result of one operand of a rule's top-level `and` / `or`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConditionTrace {
    /// The operand, as canonical text.
    pub condition: String,
    /// Its truth.
    pub truth: Truth,
}

/// Why a rule ([`Program`]) evaluated as it did.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Explanation {
    /// The rule's name.
    pub rule: String,
    /// The result of a condition (for a rule of another type: unknown).
    pub truth: Truth,
    /// The value of a rule that is not a condition (`None` for conditions).
    pub value: Option<ValueRead>,
    /// The fields the rule reads, with their values.
    pub reads: Vec<ValueRead>,
    /// The operands of the top-level `and` or `or` (or the whole condition), each with
    /// its truth.
    pub conditions: Vec<ConditionTrace>,
    /// For a rule that did not match: the first operand that was not true.
    pub first_failure: Option<String>,
}

/// Why a row did not match.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum CellFailure {
    /// The cell of this input column (0-based) did not match.
    Input(usize),
    /// The row's extra condition was not true.
    Condition,
}

/// One row as the evaluation saw it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RowTrace {
    /// The row (0-based).
    pub row: usize,
    /// `None` when the row matched; otherwise its first failing cell.
    pub failure: Option<CellFailure>,
}

/// One row of a [`TableExplanation`], rendered.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RowReport {
    /// The row (0-based).
    pub row: usize,
    /// The row's name, if any.
    pub name: Option<String>,
    /// Whether it matched.
    pub matched: bool,
    /// For a row that did not match: the failing column and its cell, e.g.
    /// ``"`r_score` is not `[4..5]`"``.
    pub failed: Option<String>,
}

/// Why a table decided as it did.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TableExplanation {
    /// The table's name.
    pub table: String,
    /// The decision (the same as [`Table::decide`] gives).
    pub hit: Hit,
    /// The deciding row's name, if it has one.
    pub row_name: Option<String>,
    /// The input values.
    pub inputs: Vec<ValueRead>,
    /// The rows evaluated, in order: for `first`, up to the match; for `unique` and
    /// `any`, up to a conflict; otherwise every row.
    pub rows: Vec<RowReport>,
}

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

impl fmt::Display for TableExplanation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "table `{}`: ", self.table)?;
        match self.hit {
            Hit::Row(row) => {
                write!(f, "row {}", row + 1)?;
                if let Some(name) = &self.row_name {
                    write!(f, " (`{name}`)")?;
                }
                f.write_str(" decided")?;
            }
            Hit::Default => f.write_str("no row matched; the default applies")?,
            Hit::NoMatch => f.write_str("no row matched")?,
            Hit::Conflict { first, second } => {
                write!(f, "rows {} and {} both matched", first + 1, second + 1)?;
            }
        }
        f.write_str("\n  inputs:")?;
        if self.inputs.is_empty() {
            f.write_str(" none")?;
        }
        for (i, input) in self.inputs.iter().enumerate() {
            write!(
                f,
                "{}{} = {}",
                if i == 0 { " " } else { ", " },
                input.name,
                input.shown
            )?;
        }
        for row in &self.rows {
            write!(f, "\n  row {}", row.row + 1)?;
            if let Some(name) = &row.name {
                write!(f, " (`{name}`)")?;
            }
            match &row.failed {
                None => f.write_str(": matched")?,
                Some(reason) => write!(f, ": {reason}")?,
            }
        }
        Ok(())
    }
}

impl fmt::Display for Explanation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let truth = match self.truth {
            Truth::True => "true",
            Truth::False => "false",
            Truth::Unknown => "unknown",
        };
        match &self.value {
            Some(value) => write!(f, "rule `{}` = {}", self.rule, value.shown)?,
            None => write!(f, "rule `{}` is {truth}", self.rule)?,
        }
        if let Some(failure) = &self.first_failure {
            write!(f, " because `{failure}` is not true")?;
        }
        f.write_str("\n  read:")?;
        if self.reads.is_empty() {
            f.write_str(" none")?;
        }
        for (i, read) in self.reads.iter().enumerate() {
            write!(
                f,
                "{}{} = {}",
                if i == 0 { " " } else { ", " },
                read.name,
                read.shown
            )?;
        }
        Ok(())
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

/// Renders a value for a report.
pub(crate) fn show<'s>(
    value: Option<&Value>,
    symbol: &impl Fn(crate::rules::SymbolId) -> Option<&'s str>,
) -> String {
    let Some(value) = value else {
        return "missing".to_owned();
    };
    let name = |id| symbol(id).unwrap_or("?").to_owned();
    match value {
        Value::Integer(v) => v.to_string(),
        Value::Days(v) if *v == 1 || *v == -1 => format!("{v} day"),
        Value::Days(v) => format!("{v} days"),
        Value::Number(v) => v.to_string(),
        Value::Money(m) => m.to_string(),
        Value::Bool(b) => b.to_string(),
        Value::Symbol(id) => name(*id),
        Value::Text(t) => format!("{t:?}"),
        Value::Date(d) => d.to_string(),
        Value::IntegerSet(s) => format!("{s:?}"),
        Value::SymbolSet(s) => {
            let names: Vec<String> = s.iter().map(|id| name(*id)).collect();
            format!("[{}]", names.join(", "))
        }
        Value::TextSet(s) => format!("{s:?}"),
    }
}
