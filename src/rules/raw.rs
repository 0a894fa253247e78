//! The raw documents a company writes (serde: JSON, TOML, YAML…): named rules
//! ([`RuleDoc`]), expressions in text or structured form ([`ExprDoc`]) and decision
//! tables ([`TableDoc`] with its rows, cells, inputs and outputs). They are checked and
//! compiled into [`Program`](crate::rules::Program) and [`Table`](crate::rules::Table).

use serde::{Deserialize, Serialize};

use crate::rules::ast::{Expr, UnaryTests};
use crate::rules::value::Type;

/// The most rows a table may have.
pub const MAX_ROWS: usize = 100_000;
/// The most input columns a table may have.
pub const MAX_INPUTS: usize = 64;

/// How a decision table turns matching rows into a result (the DMN hit policies).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum HitPolicy {
    /// At most one row may match; analysis reports rows that can overlap, and two
    /// matches at run time give [`Hit::Conflict`](crate::rules::Hit::Conflict).
    Unique,
    /// The first matching row in table order wins (evaluation stops there).
    #[default]
    First,
    /// Of the matching rows, the one whose first output comes earliest in that output's
    /// declared `values` wins (ties: table order).
    Priority,
    /// Several rows may match if they give the same outputs; different outputs give
    /// [`Hit::Conflict`](crate::rules::Hit::Conflict).
    Any,
    /// All matching rows, in table order, optionally aggregated (see [`Aggregation`]).
    Collect,
    /// All matching rows, in table order.
    RuleOrder,
}

/// How `collect` combines the first output of the matching rows.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Aggregation {
    /// No aggregation: the list of matching rows.
    #[default]
    List,
    /// The number of matching rows.
    Count,
    /// The sum of the first output (integer, number, money or days).
    Sum,
    /// The smallest first output.
    Min,
    /// The largest first output.
    Max,
}

/// An expression in a document: text (`"recency_days <= 30"`) or the structured tree.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum ExprDoc {
    /// The text form.
    Text(String),
    /// The structured form.
    Tree(Expr),
}

/// An input cell in a document: text (`"[31..90]"`) or the structured tests.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum CellDoc {
    /// The text form.
    Text(String),
    /// The structured form.
    Tests(UnaryTests),
}

/// An output cell in a document: a literal read according to the output's type.
///
/// Text is read as the output type's literal (`gold` for a symbol, `20 CNY` for money,
/// `2024-06-30` for a date; for a text output, the text itself).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum OutputDoc {
    /// A boolean.
    Bool(bool),
    /// An integer.
    Integer(i64),
    /// A number.
    Number(f64),
    /// Text, read according to the output type.
    Text(String),
}

/// An input column of a table document.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum InputDoc {
    /// Just the expression (usually a field name); the column is named after it.
    Expr(String),
    /// An expression with a column name.
    Named(NamedInput),
}

/// An input column with a name.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NamedInput {
    /// The column name used in messages and explanations.
    pub name: String,
    /// The expression whose value the cells test.
    pub expr: ExprDoc,
}

/// An output column of a table document.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OutputColumnDoc {
    /// The column name.
    pub name: String,
    /// The type of its values.
    #[serde(rename = "type")]
    pub ty: Type,
    /// For a symbol output: the allowed values, in priority order (required by hit
    /// policy `priority`). Cells outside the list are rejected.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub values: Vec<String>,
}

/// A row of a table document.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RowDoc {
    /// An optional name, shown in explanations and diagnostics.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// One cell per input column.
    #[serde(default)]
    pub when: Vec<CellDoc>,
    /// An extra condition over any fields, and-ed with the cells.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub condition: Option<ExprDoc>,
    /// One value per output column.
    #[serde(default)]
    pub then: Vec<OutputDoc>,
}

/// A decision table as a company writes it (JSON, TOML, YAML…).
///
/// # Example
///
/// ```
/// use patronage::rules::{Field, Schema, Table, TableDoc};
///
/// let doc: TableDoc = serde_json::from_str(r#"{
///     "name": "recency_band",
///     "hit_policy": "first",
///     "inputs": ["recency_days"],
///     "outputs": [{"name": "band", "type": "symbol"}],
///     "rows": [
///         {"when": ["<= 30"], "then": ["recent"]},
///         {"when": ["[31..90]"], "then": ["lapsing"]},
///         {"when": ["-"], "then": ["lapsed"]}
///     ]
/// }"#)?;
/// let mut schema = Schema::new();
/// schema.add(Field::integer("recency_days"))?;
/// let table = Table::compile(&doc, &schema)?;
/// assert_eq!(table.rows().len(), 3);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TableDoc {
    /// The table's name.
    pub name: String,
    /// What the table decides.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub doc: String,
    /// How matching rows become a result (default `first`).
    #[serde(default)]
    pub hit_policy: HitPolicy,
    /// For `collect`: how to aggregate (default: the list of rows).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub aggregation: Option<Aggregation>,
    /// Whether every input must match some row; analysis reports gaps as errors.
    #[serde(default)]
    pub complete: bool,
    /// The input columns.
    #[serde(default)]
    pub inputs: Vec<InputDoc>,
    /// The output columns.
    #[serde(default)]
    pub outputs: Vec<OutputColumnDoc>,
    /// The rows, in order.
    #[serde(default)]
    pub rows: Vec<RowDoc>,
    /// The outputs when no row matches (none: the result is [`Hit::NoMatch`](crate::rules::Hit::NoMatch)).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default: Option<Vec<OutputDoc>>,
}

/// A named rule as a company writes it (JSON, TOML, YAML…): a condition in text or
/// structured form.
///
/// # Example
///
/// ```
/// use patronage::rules::{Field, Program, RuleDoc, Schema};
///
/// let doc: RuleDoc = toml::from_str(r#"
///     name = "wake_up"
///     doc = "dormant customers who stopped logging in"
///     when = "stage == dormant and days_since(last_login) > 28"
/// "#)?;
/// let schema = Schema::from_fields([
///     Field::symbol("stage", ["new", "active", "dormant"]),
///     Field::date("last_login").optional(),
/// ])?;
/// let rule = Program::from_doc(&doc, &schema)?;
/// assert_eq!(rule.name(), "wake_up");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleDoc {
    /// The rule's name (used in errors and explanations).
    pub name: String,
    /// What the rule is for.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub doc: String,
    /// The condition.
    pub when: ExprDoc,
}

pub(crate) fn policy_name(policy: HitPolicy) -> &'static str {
    match policy {
        HitPolicy::Unique => "unique",
        HitPolicy::First => "first",
        HitPolicy::Priority => "priority",
        HitPolicy::Any => "any",
        HitPolicy::Collect => "collect",
        HitPolicy::RuleOrder => "rule_order",
    }
}

pub(crate) fn aggregation_name(aggregation: Aggregation) -> &'static str {
    match aggregation {
        Aggregation::List => "list",
        Aggregation::Count => "count",
        Aggregation::Sum => "sum",
        Aggregation::Min => "min",
        Aggregation::Max => "max",
    }
}
