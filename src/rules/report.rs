//! The records an explanation returns: the values read, the deciding row, and for each
//! other row its first failing cell. They are plain serde data; producing them is the
//! job of [`Program::explain`](crate::rules::Program::explain),
//! [`Table::explain`](crate::rules::Table::explain) and
//! [`Table::trace`](crate::rules::Table::trace).

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::rules::eval::{Hit, Truth};
use crate::rules::value::Value;

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

/// Why a rule ([`Program`](crate::rules::Program)) evaluated as it did.
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
    /// The decision (the same as [`Table::decide`](crate::rules::Table::decide) gives).
    pub hit: Hit,
    /// The deciding row's name, if it has one.
    pub row_name: Option<String>,
    /// The input values.
    pub inputs: Vec<ValueRead>,
    /// The rows evaluated, in order: for `first`, up to the match; for `unique` and
    /// `any`, up to a conflict; otherwise every row.
    pub rows: Vec<RowReport>,
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
