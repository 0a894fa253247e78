//! The compiled decision table ([`Table`]) and its evaluation under each
//! [`HitPolicy`]: deciding, tracing and collecting. Compiling a
//! [`TableDoc`](crate::rules::TableDoc) into it is the job of `compile`; its load-time
//! analysis is `analyze`.

use std::ops::Range;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::rules::ast::{ArithOp, CmpOp, UnaryTests};
use crate::rules::error::Diagnostic;
use crate::rules::eval::{self, Context, Hit};
use crate::rules::ir::{Node, Ty};
use crate::rules::lookup::{FastPath, Lookup, Scratch, BLOCK};
use crate::rules::raw::{Aggregation, HitPolicy};
use crate::rules::report::{CellFailure, RowTrace};
use crate::rules::schema::{ColumnRow, Columns, FieldId, Fields, Schema, Symbols};
use crate::rules::value::{SymbolId, Type, Value, ValueRef};

/// Inputs evaluated once per decision and kept on the stack (more are re-read per row).
const STACK_INPUTS: usize = 16;

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
/// distinguish (a missing value is a class of its own; classes every row treats alike
/// are one) and indexes, per class, the rows that accept it. A decision then costs
/// one class look-up per input and an `and` of bit sets, visiting candidate rows in
/// table order — not a scan of every row. For class spaces up to 65,536 combinations
/// under a single-hit policy (the 11-row RFM table over 1–5 scores has 512) the
/// decision for every combination is precomputed and a decision is a few array reads.
/// Rows with non-literal cells, and rows whose `condition` reads anything but the
/// table's own integer, days, bool or symbol inputs compared with constants, are
/// checked in full when they come up; a condition that does only that
/// (`recency_days > 180 and coalesce(days_since_last_interaction, 180 days) >= 180
/// days`) is decided per combination of classes like a cell. Inputs that are
/// expressions use the row-by-row scan.
///
/// A population is best decided with [`Table::decide_each`], which classifies a block
/// of rows one input at a time (through the typed block readers of [`Columns`] when
/// the store has them). Measured on one core of a shared machine: 15–20 ns per customer
/// for the RFM table one row at a time, about 55 ns for a 1,000-row table whose
/// row-by-row scan costs 2.5 µs (see the `rules/` benchmarks); about 11 ns per
/// customer for the six-input reference stage table decided a block at a time
/// (`segment/stage_table/2m`).
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
/// Untrusted tables cannot exhaust the host: a table has at most [`MAX_ROWS`](crate::rules::MAX_ROWS) rows
/// and [`MAX_INPUTS`](crate::rules::MAX_INPUTS) inputs; each cell and expression is bounded as expressions are
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
            match fast.lookup(fields) {
                Some(Lookup::Decided(hit)) => return hit,
                Some(Lookup::Candidates(candidates)) => {
                    let mut inputs = InputCache::new();
                    return self.resolve(candidates, false, |index, row| {
                        fast.is_exact(index)
                            || self.row_matches(row, &mut inputs, fields, ctx, &mut NoTrace, index)
                    });
                }
                None => {}
            }
        }
        self.scan(fields, ctx, &mut NoTrace)
    }

    /// Decides for row `row` of a column store.
    #[inline]
    pub fn decide_row<C: Columns + ?Sized>(&self, columns: &C, row: usize, ctx: Context) -> Hit {
        self.decide(&ColumnRow::new(columns, row), ctx)
    }

    /// Decides for every row of a column store, appending one hit per row to `out`
    /// (see [`Table::decide_each`]).
    pub fn decide_all<C: Columns + ?Sized>(&self, columns: &C, ctx: Context, out: &mut Vec<Hit>) {
        out.reserve(columns.len());
        self.decide_each(columns, 0..columns.len(), ctx, |_, hit| out.push(hit));
    }

    /// Decides rows `rows` of a column store in order (rows beyond
    /// [`Columns::len`] are left out), handing each row and its hit to `emit`: the
    /// same hits as [`Table::decide_row`], the fastest way to decide a population.
    ///
    /// When the table has a dense decision table (see *Speed* above), rows are decided
    /// a block at a time: each input is read and classified for the whole block in
    /// one loop over the rows, and each row is then one array read. Rows the dense
    /// table leaves open (a value outside the classes, or a row checked in full that
    /// can decide) are decided one by one.
    ///
    /// # Example
    ///
    /// ```
    /// use chrono::NaiveDate;
    /// use patronage::rules::{Columns, Context, Field, FieldId, Hit, Schema, Table, TableDoc, ValueRef};
    ///
    /// struct Recency(Vec<Option<u32>>);
    ///
    /// impl Columns for Recency {
    ///     fn len(&self) -> usize {
    ///         self.0.len()
    ///     }
    ///     fn value(&self, _field: FieldId, row: usize) -> Option<ValueRef<'_>> {
    ///         self.0.get(row)?.map(|d| ValueRef::Days(d.into()))
    ///     }
    /// }
    ///
    /// let mut schema = Schema::new();
    /// schema.add(Field::days("recency_days").optional())?;
    /// let doc: TableDoc = toml::from_str(r#"
    ///     name = "recency"
    ///     inputs = ["recency_days"]
    ///     rows = [{ when = ["<= 30"] }, { when = ["is missing"] }, { when = ["-"] }]
    /// "#)?;
    /// let table = Table::compile(&doc, &schema)?;
    /// let customers = Recency(vec![Some(12), None, Some(400)]);
    /// let ctx = Context::new(NaiveDate::from_ymd_opt(2024, 6, 30).ok_or("date")?);
    /// let mut counts = [0; 3];
    /// table.decide_each(&customers, 0..customers.len(), ctx, |_, hit| {
    ///     if let Hit::Row(row) = hit {
    ///         counts[row] += 1;
    ///     }
    /// });
    /// assert_eq!(counts, [1, 1, 1]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn decide_each<C: Columns + ?Sized>(
        &self,
        columns: &C,
        rows: Range<usize>,
        ctx: Context,
        mut emit: impl FnMut(usize, Hit),
    ) {
        let end = rows.end.min(columns.len());
        let dense = self
            .fast
            .as_ref()
            .and_then(|fast| Some((fast, fast.dense.as_ref()?)));
        let Some((fast, dense)) = dense else {
            for row in rows.start..end {
                emit(row, self.decide_row(columns, row, ctx));
            }
            return;
        };
        let mut positions = [0u64; BLOCK];
        let mut scratch = Scratch::new();
        let mut start = rows.start;
        while start < end {
            let len = (end - start).min(BLOCK);
            let Some(block) = positions.get_mut(..len) else {
                break;
            };
            fast.classify(columns, start, block, &mut scratch);
            for (row, &position) in (start..).zip(block.iter()) {
                let hit = match dense.get(position) {
                    Some(hit) => hit,
                    None => self.decide_row(columns, row, ctx),
                };
                emit(row, hit);
            }
            start += len;
        }
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
                    Aggregation::Sum => eval::arith(ArithOp::Add, a, value)?,
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
