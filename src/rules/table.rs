//! Decision tables: the serde document a company writes ([`TableDoc`]), its compiled
//! form ([`Table`]) and evaluation under each [`HitPolicy`].

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::error::{Diagnostic, Origin, RuleError, RuleErrorKind};
use crate::rules::analyze;
use crate::rules::ast::{CmpOp, Expr, UnaryTest, UnaryTests};
use crate::rules::check::{backticked, coerce, Checker, Ty};
use crate::rules::compile::{check_tree, Node};
use crate::rules::eval::{self, Context};
use crate::rules::explain::{CellFailure, RowTrace, TableExplanation};
use crate::rules::lookup::FastPath;
use crate::rules::parser;
use crate::rules::schema::{closest, ColumnRow, Columns, FieldId, Fields, Schema, Symbols};
use crate::rules::value::{SymbolId, Type, Value, ValueRef};

/// The most rows a table may have.
pub const MAX_ROWS: usize = 100_000;
/// The most input columns a table may have.
pub const MAX_INPUTS: usize = 64;
/// Inputs evaluated once per decision and kept on the stack (more are re-read per row).
const STACK_INPUTS: usize = 16;

/// How a decision table turns matching rows into a result (the DMN hit policies).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum HitPolicy {
    /// At most one row may match; analysis reports rows that can overlap, and two
    /// matches at run time give [`Hit::Conflict`].
    Unique,
    /// The first matching row in table order wins (evaluation stops there).
    #[default]
    First,
    /// Of the matching rows, the one whose first output comes earliest in that output's
    /// declared `values` wins (ties: table order).
    Priority,
    /// Several rows may match if they give the same outputs; different outputs give
    /// [`Hit::Conflict`].
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
    /// The outputs when no row matches (none: the result is [`Hit::NoMatch`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default: Option<Vec<OutputDoc>>,
}

/// The result of a single-hit decision.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Hit {
    /// This row (0-based) decided.
    Row(usize),
    /// No row matched; the table's default outputs apply.
    Default,
    /// No row matched and the table has no default.
    NoMatch,
    /// Two rows matched where the hit policy allows one (`unique`, or `any` with
    /// different outputs): the first two such rows.
    Conflict {
        /// The first matching row.
        first: usize,
        /// The second matching row.
        second: usize,
    },
}

/// The result of a multi-hit (`collect`, `rule_order`) evaluation.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Collected {
    /// How many rows matched.
    pub count: usize,
    /// The aggregate of the first output, for `collect` with `count`, `sum`, `min` or
    /// `max` (missing when no row matched, except for `count`).
    pub aggregate: Option<Value>,
}

/// A compiled input column.
#[derive(Clone, Debug)]
pub struct Input {
    pub(crate) name: String,
    pub(crate) text: String,
    pub(crate) node: Node,
    pub(crate) ty: Ty,
}

/// A compiled output column.
#[derive(Clone, Debug)]
pub struct Output {
    pub(crate) name: String,
    pub(crate) ty: Type,
    pub(crate) values: Vec<Value>,
}

/// A compiled row.
#[derive(Clone, Debug)]
pub struct Row {
    pub(crate) name: Option<String>,
    pub(crate) cells: Vec<Cell>,
    pub(crate) condition: Option<Condition>,
    pub(crate) outputs: Vec<Value>,
    pub(crate) rank: usize,
}

/// A compiled row condition.
#[derive(Clone, Debug)]
pub(crate) struct Condition {
    pub(crate) text: String,
    pub(crate) node: Node,
    /// What an explanation says when the condition fails.
    pub(crate) failure: String,
}

/// A compiled input cell: its source and its test.
#[derive(Clone, Debug)]
pub(crate) struct Cell {
    pub(crate) source: UnaryTests,
    pub(crate) test: CellTest,
    /// What an explanation says when the cell fails: `` `r_score` is not `[4..5]` ``.
    pub(crate) failure: String,
}

#[derive(Clone, Debug)]
pub(crate) enum CellTest {
    Any,
    AnyOf(Vec<Test>),
    NoneOf(Vec<Test>),
}

#[derive(Clone, Debug)]
pub(crate) enum Test {
    /// A closed integer interval (integer and days inputs with literal bounds).
    IntRange(i64, i64),
    Cmp(CmpOp, Node),
    Range {
        low: Node,
        low_closed: bool,
        high: Node,
        high_closed: bool,
    },
    IsMissing(bool),
}

/// A compiled decision table: immutable, `Send + Sync`, evaluated without allocation.
///
/// # Hit policies
///
/// See [`HitPolicy`]. Single-hit policies are evaluated with [`Table::decide`]
/// (returning a [`Hit`]), multi-hit policies with [`Table::collect`]. For `first`,
/// evaluation stops at the first matching row.
///
/// # Speed
///
/// When every input is a bare field (integer, days, number, money, date, symbol or
/// bool), the compiler cuts each input's domain into the classes its cells
/// distinguish and indexes, per class, the rows that accept it. A decision then costs
/// one binary search per input and an `and` of bit sets, visiting candidate rows in
/// table order — not a scan of every row. For small class spaces (the 11-row RFM table
/// over 1–5 scores has 512 combinations) the decision for every combination is
/// precomputed and a decision is a few array reads. Measured on one core of a shared
/// machine: 15–20 ns per customer for the RFM table, about 55 ns for a 1,000-row
/// table whose row-by-row scan costs 2.5 µs (see the `rules/` benchmarks). Rows with
/// a `condition` or non-literal cells are checked in full when they come up; inputs
/// that are expressions use the row-by-row scan.
///
/// # Missing values
///
/// A cell `-` matches anything, a missing value included; `is missing` matches only a
/// missing value; every other test is false for a missing value (so `not(…)` does not
/// match it either). A missing value never matches silently.
///
/// # Analysis
///
/// Compiling a table analyses it ([`Table::diagnostics`]): rows that can never match,
/// overlapping rows under `unique`/`any`, and gaps in a table declared `complete`.
/// Findings are exact for rows whose cells are literal tests; rows with a `condition`
/// or non-literal cells can be shadowed but never count as shadowing, so a reported
/// unreachable row is always unreachable, and an overlap through a condition is a
/// warning ("may overlap"). Analysis assumes fields not declared
/// [`optional`](crate::rules::Field::optional) are present.
///
/// # Limits
///
/// Untrusted tables cannot exhaust the host: a table has at most [`MAX_ROWS`] rows
/// and [`MAX_INPUTS`] inputs; each cell and expression is bounded as expressions are
/// (`MAX_DEPTH`, `MAX_NODES`, `MAX_TEXT`); analysis spends a bounded amount of work
/// and memory and reports what it did not check
/// ([`DiagnosticCode::AnalysisLimit`](crate::rules::DiagnosticCode::AnalysisLimit)); the row
/// index is skipped beyond 32 MiB, and the table is then evaluated row by row.
#[derive(Clone, Debug)]
pub struct Table {
    pub(crate) name: String,
    pub(crate) doc: String,
    pub(crate) hit_policy: HitPolicy,
    pub(crate) aggregation: Aggregation,
    pub(crate) complete: bool,
    pub(crate) inputs: Vec<Input>,
    pub(crate) outputs: Vec<Output>,
    pub(crate) rows: Vec<Row>,
    pub(crate) default: Option<Vec<Value>>,
    pub(crate) symbols: Symbols,
    pub(crate) schema: Arc<Schema>,
    pub(crate) diagnostics: Vec<Diagnostic>,
    pub(crate) fast: Option<FastPath>,
}

impl Table {
    /// Checks, compiles and analyses a table document against `schema`.
    ///
    /// # Errors
    ///
    /// A [`RuleError`] naming the table, row and column: a syntax or type error in an
    /// input or cell (with a caret under the offending text), a row with the wrong
    /// number of cells, an output value of the wrong type or outside the declared
    /// values, `priority` without declared values, an `aggregation` other than with
    /// `collect`, or a table beyond [`MAX_ROWS`] rows or [`MAX_INPUTS`] inputs.
    /// Analysis findings are not errors: see [`Table::diagnostics`].
    pub fn compile(doc: &TableDoc, schema: &Schema) -> Result<Table, RuleError> {
        let origin = |row: Option<usize>, column: Option<&str>| Origin::Table {
            table: doc.name.clone(),
            row,
            column: column.map(str::to_owned),
        };
        let invalid = |reason: String| {
            RuleError::new(origin(None, None), RuleErrorKind::InvalidTable { reason })
        };
        if doc.rows.len() > MAX_ROWS {
            return Err(RuleError::new(
                origin(None, None),
                RuleErrorKind::TooLarge {
                    what: "the table".to_owned(),
                    unit: "rows".to_owned(),
                    limit: MAX_ROWS,
                    found: doc.rows.len(),
                },
            ));
        }
        if doc.inputs.len() > MAX_INPUTS {
            return Err(RuleError::new(
                origin(None, None),
                RuleErrorKind::TooLarge {
                    what: "the table".to_owned(),
                    unit: "inputs".to_owned(),
                    limit: MAX_INPUTS,
                    found: doc.inputs.len(),
                },
            ));
        }
        let aggregation = match (doc.hit_policy, doc.aggregation) {
            (HitPolicy::Collect, aggregation) => aggregation.unwrap_or_default(),
            (_, None | Some(Aggregation::List)) => Aggregation::List,
            (policy, Some(_)) => {
                return Err(invalid(format!(
                    "`aggregation` applies only to hit policy `collect`, found it with `{}`",
                    policy_name(policy)
                )))
            }
        };

        // Inputs.
        let mut inputs = Vec::with_capacity(doc.inputs.len());
        for input in &doc.inputs {
            let (name, text) = match input {
                InputDoc::Expr(text) => (text.clone(), text.clone()),
                InputDoc::Named(named) => (
                    named.name.clone(),
                    expr_text(&named.expr, &origin(None, Some(&named.name)))?,
                ),
            };
            let column_origin = origin(None, Some(&name));
            let expr = parser::parse_expr(&text)
                .map_err(|e| RuleError::new(column_origin.clone(), e.kind).at(&text, e.span))?;
            let mut checker = Checker::new(schema, &text, column_origin);
            let (node, ty) = checker.expr(&expr, None)?;
            inputs.push(Input {
                name,
                text,
                node,
                ty,
            });
        }

        // Outputs.
        let mut symbols = schema.symbols().clone();
        let mut outputs = Vec::with_capacity(doc.outputs.len());
        for column in &doc.outputs {
            if !column.values.is_empty() && column.ty != Type::Symbol {
                return Err(RuleError::new(
                    origin(None, Some(&column.name)),
                    RuleErrorKind::InvalidTable {
                        reason: format!(
                            "only symbol outputs take `values`, found them on an output of type {}",
                            column.ty
                        ),
                    },
                ));
            }
            let values = column
                .values
                .iter()
                .map(|v| Value::Symbol(symbols.intern(v)))
                .collect();
            outputs.push(Output {
                name: column.name.clone(),
                ty: column.ty,
                values,
            });
        }
        if doc.hit_policy == HitPolicy::Priority
            && outputs.first().map_or(true, |o| o.values.is_empty())
        {
            return Err(invalid(
                "hit policy `priority` needs the first output to list its `values` in priority order, found none"
                    .to_owned(),
            ));
        }
        if matches!(
            aggregation,
            Aggregation::Sum | Aggregation::Min | Aggregation::Max
        ) {
            let ty = outputs.first().map(|o| o.ty);
            let ok = match (aggregation, ty) {
                (Aggregation::Sum, Some(t)) => {
                    matches!(
                        t,
                        Type::Integer | Type::Number | Type::Money(_) | Type::Days
                    )
                }
                (_, Some(t)) => t.is_ordered(),
                _ => false,
            };
            if !ok {
                return Err(invalid(format!(
                    "aggregation `{}` needs a first output of type {}, found {}",
                    aggregation_name(aggregation),
                    if aggregation == Aggregation::Sum {
                        "integer, number, money or days"
                    } else {
                        "integer, number, money, date or days"
                    },
                    ty.map_or_else(|| "no output".to_owned(), |t| t.to_string())
                )));
            }
        }

        // Rows.
        let mut rows = Vec::with_capacity(doc.rows.len());
        for (index, row) in doc.rows.iter().enumerate() {
            let row_origin = origin(Some(index), None);
            if row.when.len() != inputs.len() {
                return Err(RuleError::new(
                    row_origin,
                    RuleErrorKind::CellCount {
                        what: cells("input", inputs.len()),
                        expected: inputs.len(),
                        found: row.when.len(),
                    },
                ));
            }
            if row.then.len() != outputs.len() {
                return Err(RuleError::new(
                    row_origin,
                    RuleErrorKind::CellCount {
                        what: cells("output", outputs.len()),
                        expected: outputs.len(),
                        found: row.then.len(),
                    },
                ));
            }
            let mut cells = Vec::with_capacity(inputs.len());
            for (cell, input) in row.when.iter().zip(&inputs) {
                cells.push(compile_cell(
                    cell,
                    input,
                    schema,
                    origin(Some(index), Some(&input.name)),
                )?);
            }
            let condition = match &row.condition {
                None => None,
                Some(source) => {
                    let cond_origin = origin(Some(index), Some("condition"));
                    let text = expr_text(source, &cond_origin)?;
                    let expr = parser::parse_expr(&text).map_err(|e| {
                        RuleError::new(cond_origin.clone(), e.kind).at(&text, e.span)
                    })?;
                    let mut checker = Checker::new(schema, &text, cond_origin);
                    let (node, _) = checker.top(&expr, Some(Type::Bool))?;
                    let failure = format!("condition `{text}` is not true");
                    Some(Condition {
                        text,
                        node,
                        failure,
                    })
                }
            };
            let values = compile_outputs(&row.then, &outputs, &mut symbols, |column| {
                origin(Some(index), Some(column))
            })?;
            let rank = priority_rank(&outputs, &values);
            rows.push(Row {
                name: row.name.clone(),
                cells,
                condition,
                outputs: values,
                rank,
            });
        }
        let default = match &doc.default {
            None => None,
            Some(cells) => {
                if cells.len() != outputs.len() {
                    return Err(RuleError::new(
                        origin(None, Some("default")),
                        RuleErrorKind::CellCount {
                            what: self::cells("output", outputs.len()),
                            expected: outputs.len(),
                            found: cells.len(),
                        },
                    ));
                }
                Some(compile_outputs(cells, &outputs, &mut symbols, |column| {
                    origin(None, Some(column))
                })?)
            }
        };
        let mut table = Table {
            name: doc.name.clone(),
            doc: doc.doc.clone(),
            hit_policy: doc.hit_policy,
            aggregation,
            complete: doc.complete,
            inputs,
            outputs,
            rows,
            default,
            symbols,
            schema: Arc::new(schema.clone()),
            diagnostics: Vec::new(),
            fast: None,
        };
        let analysis = analyze::analyze(&table);
        table.diagnostics = analysis.diagnostics;
        table.fast = analysis.fast;
        Ok(table)
    }

    /// The table's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// What the table decides.
    pub fn documentation(&self) -> &str {
        &self.doc
    }

    /// The hit policy.
    pub fn hit_policy(&self) -> HitPolicy {
        self.hit_policy
    }

    /// The aggregation (meaningful for `collect`).
    pub fn aggregation(&self) -> Aggregation {
        self.aggregation
    }

    /// Whether the table is declared complete.
    pub fn is_complete(&self) -> bool {
        self.complete
    }

    /// The input columns.
    pub fn inputs(&self) -> &[Input] {
        &self.inputs
    }

    /// The output columns.
    pub fn outputs(&self) -> &[Output] {
        &self.outputs
    }

    /// The rows.
    pub fn rows(&self) -> &[Row] {
        &self.rows
    }

    /// The findings of load-time analysis (unreachable rows, overlaps, gaps).
    pub fn diagnostics(&self) -> &[Diagnostic] {
        &self.diagnostics
    }

    /// The schema the table was compiled against.
    pub fn schema(&self) -> &Schema {
        &self.schema
    }

    /// The name of symbol `id` (schema symbols and the table's output symbols).
    pub fn symbol_name(&self, id: SymbolId) -> Option<&str> {
        self.symbols.name(id)
    }

    /// The id of symbol `name`, if the schema or the table's outputs have it.
    pub fn symbol(&self, name: &str) -> Option<SymbolId> {
        self.symbols.get(name)
    }

    /// The index of the output column named `name`.
    pub fn output_index(&self, name: &str) -> Option<usize> {
        self.outputs.iter().position(|o| o.name == name)
    }

    /// The outputs a hit gives: the row's, the default's, or none.
    pub fn outputs_of(&self, hit: Hit) -> Option<&[Value]> {
        match hit {
            Hit::Row(row) => self.rows.get(row).map(|r| r.outputs.as_slice()),
            Hit::Default => self.default.as_deref(),
            Hit::NoMatch | Hit::Conflict { .. } => None,
        }
    }

    /// Output `column` of a hit.
    pub fn output(&self, hit: Hit, column: usize) -> Option<&Value> {
        self.outputs_of(hit)?.get(column)
    }

    /// The first output of a hit as a symbol id (the usual shape of a segment table).
    pub fn symbol_output(&self, hit: Hit) -> Option<SymbolId> {
        match self.output(hit, 0)? {
            Value::Symbol(id) => Some(*id),
            _ => None,
        }
    }

    /// Decides for one record under a single-hit policy (for `collect` and
    /// `rule_order`, the first matching row).
    #[inline]
    pub fn decide<F: Fields + ?Sized>(&self, fields: &F, ctx: Context) -> Hit {
        if let Some(fast) = &self.fast {
            if let Some(hit) = fast.dense(fields) {
                return hit;
            }
            if let Some(candidates) = fast.candidates(fields) {
                let mut inputs = InputCache::new();
                return self.resolve(candidates, false, |index, row| {
                    fast.is_exact(index)
                        || self.row_matches(row, &mut inputs, fields, ctx, &mut NoTrace, index)
                });
            }
        }
        self.scan(fields, ctx, &mut NoTrace)
    }

    /// Decides for row `row` of a column store.
    #[inline]
    pub fn decide_row<C: Columns + ?Sized>(&self, columns: &C, row: usize, ctx: Context) -> Hit {
        self.decide(&ColumnRow::new(columns, row), ctx)
    }

    /// Decides for every row of a column store, appending one hit per row to `out`.
    pub fn decide_all<C: Columns + ?Sized>(&self, columns: &C, ctx: Context, out: &mut Vec<Hit>) {
        out.reserve(columns.len());
        for row in 0..columns.len() {
            out.push(self.decide_row(columns, row, ctx));
        }
    }

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

    /// Decides and records, row by row up to the decision, which rows matched and the
    /// first failing cell of each other row — the structured core of
    /// [`Table::explain`] without its rendered text. `rows` is cleared first; reuse
    /// it across records and tracing allocates nothing once it has grown.
    ///
    /// # Example
    ///
    /// ```
    /// use chrono::NaiveDate;
    /// use patronage::rules::{CellFailure, Context, Field, Hit, Record, RowTrace, Schema, Table, TableDoc};
    ///
    /// let mut schema = Schema::new();
    /// let recency = schema.add(Field::integer("recency_days"))?;
    /// let doc: TableDoc = toml::from_str(r#"
    ///     name = "recency"
    ///     inputs = ["recency_days"]
    ///     rows = [{ when = ["<= 30"] }, { when = ["<= 90"] }]
    /// "#)?;
    /// let table = Table::compile(&doc, &schema)?;
    /// let mut customer = Record::new(&schema);
    /// customer.set(recency, 45);
    /// let mut rows = Vec::new();
    /// let ctx = Context::new(NaiveDate::from_ymd_opt(2024, 6, 30).ok_or("date")?);
    /// assert_eq!(table.trace(&customer, ctx, &mut rows), Hit::Row(1));
    /// assert_eq!(rows, [
    ///     RowTrace { row: 0, failure: Some(CellFailure::Input(0)) },
    ///     RowTrace { row: 1, failure: None },
    /// ]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn trace<F: Fields + ?Sized>(
        &self,
        fields: &F,
        ctx: Context,
        rows: &mut Vec<RowTrace>,
    ) -> Hit {
        rows.clear();
        let mut trace = Trace { rows };
        if let Some(fast) = &self.fast {
            if let Some(candidates) = fast.candidates(fields) {
                // Exact rows are decided by the class sets alone, which also name the
                // first failing cell; the others are evaluated in full, as by `scan`.
                let mut inputs = InputCache::new();
                return self.resolve(0..self.rows.len(), true, |index, row| {
                    if !fast.is_exact(index) {
                        return self.row_matches(row, &mut inputs, fields, ctx, &mut trace, index);
                    }
                    let failure = candidates.first_failing(index);
                    trace.row(index, failure.map(CellFailure::Input));
                    failure.is_none()
                });
            }
        }
        self.scan(fields, ctx, &mut trace)
    }

    /// Evaluates every row for one record, appending the matching rows (in table order)
    /// to `rows`, and aggregates for `collect` (allocation-free when `rows` has room).
    ///
    /// # Example
    ///
    /// ```
    /// use chrono::NaiveDate;
    /// use patronage::rules::{Context, Field, Record, Schema, Table, TableDoc, Value};
    ///
    /// let mut schema = Schema::new();
    /// let stage = schema.add(Field::symbol("stage", ["new", "active", "dormant"]))?;
    /// let doc: TableDoc = toml::from_str(r#"
    ///     name = "coupons"
    ///     hit_policy = "collect"
    ///     aggregation = "sum"
    ///     inputs = ["stage"]
    ///     outputs = [{ name = "value", type = { money = "CNY" } }]
    ///     rows = [
    ///         { when = ["new"], then = ["10 CNY"] },
    ///         { when = ["new, dormant"], then = ["5.50 CNY"] },
    ///     ]
    /// "#)?;
    /// let table = Table::compile(&doc, &schema)?;
    /// let mut customer = Record::new(&schema);
    /// customer.set_text(&schema, "stage", "new")?;
    /// let mut rows = Vec::new();
    /// let ctx = Context::new(NaiveDate::from_ymd_opt(2024, 6, 30).ok_or("date")?);
    /// let collected = table.collect(&customer, ctx, &mut rows);
    /// assert_eq!(rows, [0, 1]);
    /// assert_eq!(collected.aggregate, Some(Value::Money("15.50 CNY".parse()?)));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn collect<F: Fields + ?Sized>(
        &self,
        fields: &F,
        ctx: Context,
        rows: &mut Vec<usize>,
    ) -> Collected {
        let start = rows.len();
        let mut inputs = InputCache::new();
        let candidates = self
            .fast
            .as_ref()
            .and_then(|fast| Some((fast, fast.candidates(fields)?)));
        if let Some((fast, candidates)) = candidates {
            for index in candidates {
                let Some(row) = self.rows.get(index) else {
                    continue;
                };
                if fast.is_exact(index)
                    || self.row_matches(row, &mut inputs, fields, ctx, &mut NoTrace, index)
                {
                    rows.push(index);
                }
            }
        } else {
            for (index, row) in self.rows.iter().enumerate() {
                if self.row_matches(row, &mut inputs, fields, ctx, &mut NoTrace, index) {
                    rows.push(index);
                }
            }
        }
        let matched = rows.get(start..).unwrap_or_default();
        let aggregate = match self.aggregation {
            Aggregation::List => None,
            Aggregation::Count => i64::try_from(matched.len()).ok().map(Value::Integer),
            aggregation => self.aggregate(aggregation, matched),
        };
        Collected {
            count: matched.len(),
            aggregate,
        }
    }

    fn aggregate(&self, aggregation: Aggregation, matched: &[usize]) -> Option<Value> {
        let mut acc: Option<ValueRef<'_>> = None;
        for &index in matched {
            let value = self.rows.get(index)?.outputs.first()?.as_ref();
            acc = Some(match acc {
                None => value,
                Some(a) => match aggregation {
                    Aggregation::Sum => eval::arith(crate::rules::ast::ArithOp::Add, a, value)?,
                    Aggregation::Min => {
                        if eval::order(value, a)? == std::cmp::Ordering::Less {
                            value
                        } else {
                            a
                        }
                    }
                    _ => {
                        if eval::order(value, a)? == std::cmp::Ordering::Greater {
                            value
                        } else {
                            a
                        }
                    }
                },
            });
        }
        acc.map(ValueRef::to_value)
    }

    /// Row-by-row evaluation under the hit policy.
    fn scan<F: Fields + ?Sized, T: Tracer>(&self, fields: &F, ctx: Context, trace: &mut T) -> Hit {
        let mut inputs = InputCache::new();
        self.resolve(0..self.rows.len(), T::RECORDS, |index, row| {
            self.row_matches(row, &mut inputs, fields, ctx, trace, index)
        })
    }

    /// Applies the hit policy to `candidates` (rows in table order, a superset of the
    /// matching rows), checking each with `matches`; `exhaustive` makes multi-hit
    /// policies visit every candidate instead of stopping at their first match.
    #[inline]
    fn resolve<'a>(
        &'a self,
        candidates: impl Iterator<Item = usize>,
        exhaustive: bool,
        mut matches: impl FnMut(usize, &'a Row) -> bool,
    ) -> Hit {
        let mut found: Option<usize> = None;
        let mut best: usize = 0;
        for index in candidates {
            let Some(row) = self.rows.get(index) else {
                continue;
            };
            if !matches(index, row) {
                continue;
            }
            let Some(first) = found else {
                found = Some(index);
                best = index;
                // Multi-hit policies decide by their first row too, but a trace
                // records every row they match.
                let multi = matches!(self.hit_policy, HitPolicy::Collect | HitPolicy::RuleOrder);
                if self.hit_policy == HitPolicy::First || (multi && !exhaustive) {
                    break;
                }
                continue;
            };
            match self.hit_policy {
                HitPolicy::Unique => {
                    return Hit::Conflict {
                        first,
                        second: index,
                    }
                }
                HitPolicy::Any => {
                    let same = self
                        .rows
                        .get(first)
                        .is_some_and(|f| f.outputs == row.outputs);
                    if !same {
                        return Hit::Conflict {
                            first,
                            second: index,
                        };
                    }
                }
                HitPolicy::Priority if self.rows.get(best).is_some_and(|b| row.rank < b.rank) => {
                    best = index;
                }
                _ => {}
            }
        }
        match found {
            Some(_) => Hit::Row(best),
            None if self.default.is_some() => Hit::Default,
            None => Hit::NoMatch,
        }
    }

    #[inline]
    fn row_matches<'a, F: Fields + ?Sized, T: Tracer>(
        &'a self,
        row: &'a Row,
        inputs: &mut InputCache<'a>,
        fields: &'a F,
        ctx: Context,
        trace: &mut T,
        index: usize,
    ) -> bool {
        for (column, cell) in row.cells.iter().enumerate() {
            let value = inputs.get(self, column, fields, ctx);
            if !cell_matches(&cell.test, value, fields, ctx) {
                trace.row(index, Some(CellFailure::Input(column)));
                return false;
            }
        }
        if let Some(condition) = &row.condition {
            if eval::truth(&condition.node, fields, ctx) != Some(true) {
                trace.row(index, Some(CellFailure::Condition));
                return false;
            }
        }
        trace.row(index, None);
        true
    }
}

impl Input {
    /// The column name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The expression's text.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// The type of the column.
    pub fn ty(&self) -> Type {
        self.ty.ty
    }

    /// The field the column reads, when the input is a bare field.
    pub fn field(&self) -> Option<FieldId> {
        match self.node {
            Node::Field(id) => Some(id),
            _ => None,
        }
    }

    pub(crate) fn checked_ty(&self) -> Ty {
        self.ty
    }
}

impl Output {
    /// The column name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The type of its values.
    pub fn ty(&self) -> Type {
        self.ty
    }

    /// The declared values (symbol outputs), in priority order.
    pub fn values(&self) -> &[Value] {
        &self.values
    }
}

impl Row {
    /// The row's name, if it has one.
    pub fn name(&self) -> Option<&str> {
        self.name.as_deref()
    }

    /// The row's output values.
    pub fn outputs(&self) -> &[Value] {
        &self.outputs
    }

    /// The input cells, printed in canonical text form.
    pub fn cells(&self) -> impl Iterator<Item = String> + '_ {
        self.cells.iter().map(|c| c.source.to_string())
    }

    /// The extra condition's text, if any.
    pub fn condition(&self) -> Option<&str> {
        self.condition.as_ref().map(|c| c.text.as_str())
    }
}

/// Input values computed once per decision (up to [`STACK_INPUTS`] of them).
struct InputCache<'a> {
    values: [Cached<'a>; STACK_INPUTS],
}

/// An input value not computed yet, or computed (and possibly missing).
#[derive(Clone, Copy)]
enum Cached<'a> {
    Pending,
    Done(Option<ValueRef<'a>>),
}

impl<'a> InputCache<'a> {
    fn new() -> InputCache<'a> {
        InputCache {
            values: [Cached::Pending; STACK_INPUTS],
        }
    }

    #[inline]
    fn get<F: Fields + ?Sized>(
        &mut self,
        table: &'a Table,
        column: usize,
        fields: &'a F,
        ctx: Context,
    ) -> Option<ValueRef<'a>> {
        let compute = || {
            table
                .inputs
                .get(column)
                .and_then(|input| eval::value(&input.node, fields, ctx))
        };
        match self.values.get_mut(column) {
            Some(Cached::Done(value)) => *value,
            Some(slot) => {
                let value = compute();
                *slot = Cached::Done(value);
                value
            }
            None => compute(),
        }
    }
}

/// Observes row evaluation (for explanations); the no-op version compiles away.
pub(crate) trait Tracer {
    /// Whether the tracer records rows (then multi-hit policies visit every row).
    const RECORDS: bool;

    fn row(&mut self, row: usize, failure: Option<CellFailure>);
}

struct NoTrace;

impl Tracer for NoTrace {
    const RECORDS: bool = false;

    #[inline(always)]
    fn row(&mut self, _row: usize, _failure: Option<CellFailure>) {}
}

struct Trace<'a> {
    rows: &'a mut Vec<RowTrace>,
}

impl Tracer for Trace<'_> {
    const RECORDS: bool = true;

    fn row(&mut self, row: usize, failure: Option<CellFailure>) {
        self.rows.push(RowTrace { row, failure });
    }
}

/// Whether a cell matches an input value.
#[inline]
pub(crate) fn cell_matches<F: Fields + ?Sized>(
    test: &CellTest,
    value: Option<ValueRef<'_>>,
    fields: &F,
    ctx: Context,
) -> bool {
    match test {
        CellTest::Any => true,
        CellTest::AnyOf(tests) => tests.iter().any(|t| test_matches(t, value, fields, ctx)),
        CellTest::NoneOf(tests) => {
            value.is_some() && !tests.iter().any(|t| test_matches(t, value, fields, ctx))
        }
    }
}

#[inline]
fn test_matches<F: Fields + ?Sized>(
    test: &Test,
    value: Option<ValueRef<'_>>,
    fields: &F,
    ctx: Context,
) -> bool {
    match test {
        Test::IsMissing(negated) => value.is_none() != *negated,
        Test::IntRange(lo, hi) => match value {
            Some(ValueRef::Integer(v) | ValueRef::Days(v)) => *lo <= v && v <= *hi,
            Some(ValueRef::Number(v)) => (*lo as f64) <= v && v <= (*hi as f64),
            _ => false,
        },
        Test::Cmp(op, node) => {
            let Some(value) = value else { return false };
            eval::value(node, fields, ctx)
                .and_then(|other| eval::compare(*op, value, other))
                .unwrap_or(false)
        }
        Test::Range {
            low,
            low_closed,
            high,
            high_closed,
        } => {
            let Some(value) = value else { return false };
            let (Some(lo), Some(hi)) = (
                eval::value(low, fields, ctx),
                eval::value(high, fields, ctx),
            ) else {
                return false;
            };
            let above = eval::compare(if *low_closed { CmpOp::Ge } else { CmpOp::Gt }, value, lo);
            let below = eval::compare(if *high_closed { CmpOp::Le } else { CmpOp::Lt }, value, hi);
            above == Some(true) && below == Some(true)
        }
    }
}

fn compile_cell(
    cell: &CellDoc,
    input: &Input,
    schema: &Schema,
    origin: Origin,
) -> Result<Cell, RuleError> {
    let (text, source) = match cell {
        CellDoc::Text(text) => {
            let source = parser::parse_cell(text)
                .map_err(|e| RuleError::new(origin.clone(), e.kind).at(text, e.span))?;
            (text.clone(), source)
        }
        CellDoc::Tests(tests) => {
            let values: Vec<&Expr> = match tests {
                UnaryTests::Any => Vec::new(),
                UnaryTests::AnyOf(tests) | UnaryTests::NoneOf(tests) => tests
                    .iter()
                    .flat_map(|test| match test {
                        UnaryTest::Compare { value, .. } => vec![value],
                        UnaryTest::Range { low, high, .. } => vec![low, high],
                        UnaryTest::IsMissing { .. } => Vec::new(),
                    })
                    .collect(),
            };
            for value in values {
                check_tree(&origin, value, 1)?;
            }
            let text = tests.to_string();
            let source = parser::parse_cell(&text)
                .map_err(|e| RuleError::new(origin.clone(), e.kind).at(&text, e.span))?;
            (text, source)
        }
    };
    let mut checker = Checker::new(schema, &text, origin);
    let mut compile_tests = |tests: &[UnaryTest]| -> Result<Vec<Test>, RuleError> {
        tests
            .iter()
            .map(|test| compile_test(test, input, &mut checker))
            .collect()
    };
    let test = match &source {
        UnaryTests::Any => CellTest::Any,
        UnaryTests::AnyOf(tests) => CellTest::AnyOf(compile_tests(tests)?),
        UnaryTests::NoneOf(tests) => CellTest::NoneOf(compile_tests(tests)?),
    };
    let failure = format!("`{}` is not `{source}`", input.name);
    Ok(Cell {
        source,
        test,
        failure,
    })
}

fn compile_test(
    test: &UnaryTest,
    input: &Input,
    checker: &mut Checker<'_>,
) -> Result<Test, RuleError> {
    let integer_input = matches!(input.ty.ty, Type::Integer | Type::Days);
    match test {
        UnaryTest::IsMissing { negated } => Ok(Test::IsMissing(*negated)),
        UnaryTest::Compare { op, value } => {
            let (node, ty) = checker.expr(value, Some(input.ty))?;
            let ordered = !matches!(op, CmpOp::Eq | CmpOp::Ne);
            checker.comparable(op.as_str(), input.ty.ty, ty.ty, ordered, value.span)?;
            if integer_input {
                if let Node::Const(Value::Integer(k) | Value::Days(k)) = node {
                    let range = match op {
                        CmpOp::Eq => Some((k, k)),
                        CmpOp::Lt => k.checked_sub(1).map(|k| (i64::MIN, k)),
                        CmpOp::Le => Some((i64::MIN, k)),
                        CmpOp::Gt => k.checked_add(1).map(|k| (k, i64::MAX)),
                        CmpOp::Ge => Some((k, i64::MAX)),
                        CmpOp::Ne => None,
                    };
                    if let Some((lo, hi)) = range {
                        return Ok(Test::IntRange(lo, hi));
                    }
                }
            }
            Ok(Test::Cmp(*op, node))
        }
        UnaryTest::Range {
            low,
            low_closed,
            high,
            high_closed,
        } => {
            let (low_node, low_ty) = checker.expr(low, Some(input.ty))?;
            checker.comparable("..", input.ty.ty, low_ty.ty, true, low.span)?;
            let (high_node, high_ty) = checker.expr(high, Some(input.ty))?;
            checker.comparable("..", input.ty.ty, high_ty.ty, true, high.span)?;
            if let (Node::Const(lo), Node::Const(hi)) = (&low_node, &high_node) {
                let empty = match eval::order(lo.as_ref(), hi.as_ref()) {
                    Some(std::cmp::Ordering::Greater) => true,
                    Some(std::cmp::Ordering::Equal) => !(*low_closed && *high_closed),
                    _ => false,
                };
                if empty {
                    return Err(checker.err(
                        RuleErrorKind::ConstantCondition {
                            value: false,
                            reason: format!("the range `{test}` is empty"),
                        },
                        low.span.to(high.span),
                    ));
                }
            }
            if integer_input {
                if let (
                    Node::Const(Value::Integer(lo) | Value::Days(lo)),
                    Node::Const(Value::Integer(hi) | Value::Days(hi)),
                ) = (&low_node, &high_node)
                {
                    let lo = if *low_closed {
                        Some(*lo)
                    } else {
                        lo.checked_add(1)
                    };
                    let hi = if *high_closed {
                        Some(*hi)
                    } else {
                        hi.checked_sub(1)
                    };
                    if let (Some(lo), Some(hi)) = (lo, hi) {
                        return Ok(Test::IntRange(lo, hi));
                    }
                }
            }
            Ok(Test::Range {
                low: low_node,
                low_closed: *low_closed,
                high: high_node,
                high_closed: *high_closed,
            })
        }
    }
}

fn compile_outputs(
    cells: &[OutputDoc],
    outputs: &[Output],
    symbols: &mut Symbols,
    origin: impl Fn(&str) -> Origin,
) -> Result<Vec<Value>, RuleError> {
    cells
        .iter()
        .zip(outputs)
        .map(|(cell, output)| compile_output(cell, output, symbols, &origin(&output.name)))
        .collect()
}

fn compile_output(
    cell: &OutputDoc,
    output: &Output,
    symbols: &mut Symbols,
    origin: &Origin,
) -> Result<Value, RuleError> {
    let mismatch = |found: &str| {
        RuleError::new(
            origin.clone(),
            RuleErrorKind::InvalidValue {
                expected: output.ty.to_string(),
                found: found.to_owned(),
            },
        )
    };
    match (cell, output.ty) {
        (OutputDoc::Bool(b), Type::Bool) => Ok(Value::Bool(*b)),
        (OutputDoc::Integer(i), Type::Integer) => Ok(Value::Integer(*i)),
        (OutputDoc::Integer(i), Type::Number) => Ok(Value::Number(*i as f64)),
        (OutputDoc::Integer(i), Type::Days) => Ok(Value::Days(*i)),
        (OutputDoc::Number(n), Type::Number) => Ok(Value::Number(*n)),
        (OutputDoc::Text(text), Type::Text) => Ok(Value::Text(text.clone())),
        (OutputDoc::Text(text), Type::Symbol) => {
            if text.is_empty() {
                return Err(mismatch("empty text"));
            }
            if output.values.is_empty() {
                return Ok(Value::Symbol(symbols.intern(text)));
            }
            let known = symbols
                .get(text)
                .filter(|id| output.values.contains(&Value::Symbol(*id)));
            if let Some(id) = known {
                return Ok(Value::Symbol(id));
            }
            let names: Vec<&str> = output
                .values
                .iter()
                .filter_map(|v| {
                    if let Value::Symbol(id) = v {
                        symbols.name(*id)
                    } else {
                        None
                    }
                })
                .collect();
            Err(RuleError::new(
                origin.clone(),
                RuleErrorKind::UnknownSymbol {
                    name: text.clone(),
                    field: output.name.clone(),
                    expected: backticked(&names),
                    suggestion: closest(text, names.iter().copied()),
                },
            ))
        }
        (OutputDoc::Text(text), ty) => {
            let expr = parser::parse_expr(text)
                .map_err(|e| RuleError::new(origin.clone(), e.kind).at(text, e.span))?;
            let empty = Schema::new();
            let mut checker = Checker::new(&empty, text, origin.clone());
            let value = checker.constant_of(&expr, Ty::plain(ty))?;
            Ok(coerce(value, ty))
        }
        (OutputDoc::Bool(_), _) => Err(mismatch("bool")),
        (OutputDoc::Integer(_), _) => Err(mismatch("integer")),
        (OutputDoc::Number(_), _) => Err(mismatch("number")),
    }
}

/// The priority rank of a row: the position of its first output in the first output
/// column's declared values (lower wins).
fn priority_rank(outputs: &[Output], values: &[Value]) -> usize {
    match (outputs.first(), values.first()) {
        (Some(output), Some(value)) => output
            .values
            .iter()
            .position(|v| v == value)
            .unwrap_or(usize::MAX),
        _ => usize::MAX,
    }
}

fn expr_text(source: &ExprDoc, origin: &Origin) -> Result<String, RuleError> {
    match source {
        ExprDoc::Text(text) => Ok(text.clone()),
        ExprDoc::Tree(expr) => {
            check_tree(origin, expr, 1)?;
            Ok(expr.to_string())
        }
    }
}

/// `1 input cell`, `2 input cells`.
fn cells(what: &str, n: usize) -> String {
    if n == 1 {
        format!("{what} cell")
    } else {
        format!("{what} cells")
    }
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

fn aggregation_name(aggregation: Aggregation) -> &'static str {
    match aggregation {
        Aggregation::List => "list",
        Aggregation::Count => "count",
        Aggregation::Sum => "sum",
        Aggregation::Min => "min",
        Aggregation::Max => "max",
    }
}
