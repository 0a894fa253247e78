//! Compilation: a rule's text or structured form into a [`Program`], and a
//! [`TableDoc`] into a [`Table`] — checked against the schema, lowered to the checked
//! form, with the table's fast path built and its load-time analysis run.

use std::sync::Arc;

use crate::rules::analyze;
use crate::rules::ast::{CmpOp, Expr, UnaryTest, UnaryTests};
use crate::rules::check::{backticked, check_tree, coerce, Checker};
use crate::rules::error::{Origin, RuleError, RuleErrorKind};
use crate::rules::eval::{self, Context, Truth};
use crate::rules::ir::{Node, Ty};
use crate::rules::parser::{self, parse};
use crate::rules::raw::{
    aggregation_name, policy_name, Aggregation, CellDoc, ExprDoc, HitPolicy, InputDoc, OutputDoc,
    RuleDoc, TableDoc, MAX_INPUTS, MAX_ROWS,
};
use crate::rules::schema::{closest, FieldId, Fields, Schema, Symbols};
use crate::rules::table::{Cell, CellTest, Condition, Input, Output, Row, Table, Test};
use crate::rules::value::{SymbolId, Type, Value, ValueRef};

/// A compiled, type-checked rule: an expression over the fields of a [`Schema`].
///
/// Compile once, evaluate many times: the program is immutable, `Send + Sync`, refers
/// to fields by [`FieldId`] and to symbols by [`SymbolId`], and evaluation allocates
/// nothing.
///
/// # Missing values
///
/// Evaluation follows three-valued logic (as SQL does): a comparison with a missing
/// operand is *unknown*; `and` is false when any side is false, `or` is true when any
/// side is true, `not unknown` is unknown. A condition *matches* only when it is
/// true, so a missing value never matches silently; test for it with `is missing` or
/// give it a default with `coalesce(x, 0)`. Arithmetic that cannot give a value
/// (division by zero, overflow, money in two currencies) is missing too.
///
/// # Example
///
/// ```
/// use chrono::NaiveDate;
/// use patronage::Currency;
/// use patronage::rules::{Context, Field, Program, Record, Schema};
///
/// let mut schema = Schema::new();
/// let recency = schema.add(Field::integer("recency_days"))?;
/// let spend = schema.add(Field::money("spend", Currency::CNY))?;
/// let rule = Program::condition(
///     "high_value",
///     "recency_days <= 30 and spend between 100 CNY and 500 CNY",
///     &schema,
/// )?;
///
/// let mut customer = Record::new(&schema);
/// customer.set(recency, 12);
/// customer.set_text(&schema, "spend", "120.50 CNY")?;
/// let ctx = Context::new(NaiveDate::from_ymd_opt(2024, 6, 30).ok_or("date")?);
/// assert!(rule.matches(&customer, ctx));
///
/// customer.clear(spend);
/// assert!(!rule.matches(&customer, ctx)); // missing never matches
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug)]
pub struct Program {
    name: String,
    expr: Expr,
    node: Node,
    ty: Type,
    reads: Vec<FieldId>,
    schema: Arc<Schema>,
}

impl Program {
    /// Parses, checks and compiles `text`, an expression of any type.
    ///
    /// # Errors
    ///
    /// A [`RuleError`] naming the rule and pointing at the text: syntax, unknown field
    /// or symbol (with a "did you mean"), type or currency mismatch, constant
    /// condition, nesting or size limits.
    pub fn compile(name: &str, text: &str, schema: &Schema) -> Result<Program, RuleError> {
        let expr = parse(name, text)?;
        Program::build(name, text, expr, schema, None)
    }

    /// As [`Program::compile`], and the expression must be a condition (a `bool`).
    ///
    /// # Errors
    ///
    /// As [`Program::compile`], and [`RuleErrorKind::TypeMismatch`](crate::rules::RuleErrorKind::TypeMismatch) when the
    /// expression is not a `bool`.
    pub fn condition(name: &str, text: &str, schema: &Schema) -> Result<Program, RuleError> {
        let expr = parse(name, text)?;
        Program::build(name, text, expr, schema, Some(Type::Bool))
    }

    /// Checks and compiles a tree in the structured form (e.g. deserialised from JSON).
    ///
    /// The tree is printed to text first, so that errors point at the offending part
    /// of that text with a caret, exactly as for [`Program::compile`].
    ///
    /// # Errors
    ///
    /// As [`Program::compile`].
    pub fn from_expr(name: &str, expr: &Expr, schema: &Schema) -> Result<Program, RuleError> {
        check_tree(&rule_origin(name), expr, 1)?;
        let text = expr.to_string();
        Program::compile(name, &text, schema)
    }

    /// As [`Program::from_expr`], and the expression must be a condition.
    ///
    /// # Errors
    ///
    /// As [`Program::condition`].
    pub fn condition_from_expr(
        name: &str,
        expr: &Expr,
        schema: &Schema,
    ) -> Result<Program, RuleError> {
        check_tree(&rule_origin(name), expr, 1)?;
        let text = expr.to_string();
        Program::condition(name, &text, schema)
    }

    /// Checks and compiles a rule document; its `when` must be a condition.
    ///
    /// # Errors
    ///
    /// As [`Program::condition`].
    pub fn from_doc(doc: &RuleDoc, schema: &Schema) -> Result<Program, RuleError> {
        match &doc.when {
            ExprDoc::Text(text) => Program::condition(&doc.name, text, schema),
            ExprDoc::Tree(expr) => Program::condition_from_expr(&doc.name, expr, schema),
        }
    }

    fn build(
        name: &str,
        text: &str,
        expr: Expr,
        schema: &Schema,
        want: Option<Type>,
    ) -> Result<Program, RuleError> {
        let origin = Origin::Rule {
            name: name.to_owned(),
        };
        let mut checker = Checker::new(schema, text, origin);
        let (node, ty) = checker.top(&expr, want)?;
        let mut reads = Vec::new();
        node.fields(&mut reads);
        Ok(Program {
            name: name.to_owned(),
            expr,
            node,
            ty,
            reads,
            schema: Arc::new(schema.clone()),
        })
    }

    /// The rule's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The type of the expression.
    pub fn ty(&self) -> Type {
        self.ty
    }

    /// The syntax tree (print it with `Display` for the canonical text).
    pub fn expr(&self) -> &Expr {
        &self.expr
    }

    /// The fields the program reads, in first-read order, without repeats.
    pub fn reads(&self) -> &[FieldId] {
        &self.reads
    }

    /// The schema the program was compiled against.
    pub fn schema(&self) -> &Schema {
        &self.schema
    }

    /// The name of symbol `id` (e.g. to print a symbol result).
    pub fn symbol_name(&self, id: SymbolId) -> Option<&str> {
        self.schema.symbol_name(id)
    }

    /// The value of the expression for one record; `None` when it is missing.
    pub fn evaluate<'a, F: Fields + ?Sized>(
        &'a self,
        fields: &'a F,
        ctx: Context,
    ) -> Option<ValueRef<'a>> {
        eval::value(&self.node, fields, ctx)
    }

    /// The truth of a condition for one record (unknown for a non-`bool` program).
    pub fn truth<F: Fields + ?Sized>(&self, fields: &F, ctx: Context) -> Truth {
        Truth::from(eval::truth(&self.node, fields, ctx))
    }

    /// Whether the condition is true for one record (unknown and false do not match).
    #[inline]
    pub fn matches<F: Fields + ?Sized>(&self, fields: &F, ctx: Context) -> bool {
        eval::truth(&self.node, fields, ctx) == Some(true)
    }

    /// The checked tree.
    pub(crate) fn node(&self) -> &Node {
        &self.node
    }
}

fn rule_origin(name: &str) -> Origin {
    Origin::Rule {
        name: name.to_owned(),
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
            let source = parser::parse_cell_text(text)
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
            let source = parser::parse_cell_text(&text)
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
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compiled_forms_are_send_sync() {
        fn check<T: Send + Sync>() {}
        check::<Program>();
        check::<Table>();
        check::<RuleError>();
    }
}
