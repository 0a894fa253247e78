//! The compiled form of an expression: a typed tree whose fields are slot indexes and
//! whose symbols are interned ids, plus [`Program`], a compiled named rule.

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::error::{Origin, RuleError};
use crate::rules::ast::{ArithOp, CmpOp, Expr, ExprKind, UnaryTests};
use crate::rules::check::Checker;
use crate::rules::eval::{self, Context, Truth};
use crate::rules::explain::{self, Explanation};
use crate::rules::parser;
use crate::rules::schema::{FieldId, Fields, Schema};
use crate::rules::table::ExprDoc;
use crate::rules::value::{SymbolId, Type, Value, ValueRef};

/// A node of a compiled expression.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Node {
    /// A constant (folded at compile time).
    Const(Value),
    /// A constant missing value (e.g. a folded division by zero).
    Missing,
    /// A field read.
    Field(FieldId),
    /// `field <op> integer`: the common shape of score and count rules.
    CmpFieldInt {
        field: FieldId,
        op: CmpOp,
        value: i64,
    },
    Not(Box<Node>),
    And(Vec<Node>),
    Or(Vec<Node>),
    Cmp {
        op: CmpOp,
        left: Box<Node>,
        right: Box<Node>,
    },
    Arith {
        op: ArithOp,
        left: Box<Node>,
        right: Box<Node>,
    },
    Neg(Box<Node>),
    /// `value in [items]`.
    InList {
        value: Box<Node>,
        items: Vec<Node>,
        negated: bool,
    },
    /// `value in set_expression`.
    InSet {
        value: Box<Node>,
        set: Box<Node>,
        negated: bool,
    },
    Between {
        value: Box<Node>,
        low: Box<Node>,
        high: Box<Node>,
    },
    IsMissing {
        value: Box<Node>,
        negated: bool,
    },
    Call(Function, Vec<Node>),
}

/// Built-in functions.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Function {
    DaysSince,
    DaysUntil,
    AsOf,
    Abs,
    Min,
    Max,
    Coalesce,
    Len,
    Year,
    Month,
    DayOfMonth,
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
        explain::explain_program(self, &self.node, fields, ctx)
    }
}

/// Checks the shape of a structured tree before it is printed: its depth (printing a
/// tree deeper than the limit would recurse without bound) and the operand counts of
/// `and` / `or` (a one-operand `and` would print as its operand alone).
pub(crate) fn check_tree(origin_of: &Origin, expr: &Expr, depth: usize) -> Result<(), RuleError> {
    let origin = || origin_of.clone();
    if depth > crate::rules::parser::MAX_DEPTH {
        return Err(RuleError::new(
            origin(),
            crate::error::RuleErrorKind::TooDeep {
                limit: crate::rules::parser::MAX_DEPTH,
            },
        ));
    }
    let children: Vec<&Expr> = match &expr.kind {
        ExprKind::And(items) | ExprKind::Or(items) => {
            if items.len() < 2 {
                let op = if matches!(expr.kind, ExprKind::And(_)) {
                    "and"
                } else {
                    "or"
                };
                return Err(RuleError::new(
                    origin(),
                    crate::error::RuleErrorKind::TypeMismatch {
                        operation: op.to_owned(),
                        expected: "at least 2 operands".to_owned(),
                        found: items.len().to_string(),
                    },
                ));
            }
            items.iter().collect()
        }
        ExprKind::List(items) | ExprKind::Call { args: items, .. } => items.iter().collect(),
        ExprKind::Not(inner) | ExprKind::Neg(inner) => vec![inner],
        ExprKind::Compare { left, right, .. } | ExprKind::Arith { left, right, .. } => {
            vec![left, right]
        }
        ExprKind::In { value, set, .. } => vec![value, set],
        ExprKind::Between { value, low, high } => vec![value, low, high],
        ExprKind::IsMissing { value, .. } => vec![value],
        _ => Vec::new(),
    };
    children
        .into_iter()
        .try_for_each(|child| check_tree(origin_of, child, depth + 1))
}

fn rule_origin(name: &str) -> Origin {
    Origin::Rule {
        name: name.to_owned(),
    }
}

/// Parses `text` as an expression of the rule `name`, without checking it.
///
/// # Errors
///
/// [`RuleErrorKind::Syntax`](crate::rules::RuleErrorKind::Syntax), [`RuleErrorKind::TooDeep`](crate::rules::RuleErrorKind::TooDeep) or
/// [`RuleErrorKind::TooLarge`](crate::rules::RuleErrorKind::TooLarge), with the span of the offending text.
///
/// # Example
///
/// ```
/// let expr = patronage::rules::parse("vip", "not (vip == diamond)")?;
/// assert_eq!(expr.to_string(), "not vip == diamond");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn parse(name: &str, text: &str) -> Result<Expr, RuleError> {
    parser::parse_expr(text).map_err(|e| {
        RuleError::new(
            Origin::Rule {
                name: name.to_owned(),
            },
            e.kind,
        )
        .at(text, e.span)
    })
}

impl Node {
    /// Appends the fields this node reads to `out` (no repeats).
    pub(crate) fn fields(&self, out: &mut Vec<FieldId>) {
        match self {
            Node::Field(id) | Node::CmpFieldInt { field: id, .. } => {
                if !out.contains(id) {
                    out.push(*id);
                }
            }
            Node::Const(_) | Node::Missing => {}
            Node::Not(inner) | Node::Neg(inner) => inner.fields(out),
            Node::IsMissing { value, .. } => value.fields(out),
            Node::And(items) | Node::Or(items) | Node::Call(_, items) => {
                for item in items {
                    item.fields(out);
                }
            }
            Node::Cmp { left, right, .. } | Node::Arith { left, right, .. } => {
                left.fields(out);
                right.fields(out);
            }
            Node::InList { value, items, .. } => {
                value.fields(out);
                for item in items {
                    item.fields(out);
                }
            }
            Node::InSet { value, set, .. } => {
                value.fields(out);
                set.fields(out);
            }
            Node::Between { value, low, high } => {
                value.fields(out);
                low.fields(out);
                high.fields(out);
            }
        }
    }

    /// Whether the node depends on neither fields nor `as_of`.
    pub(crate) fn is_constant(&self) -> bool {
        match self {
            Node::Const(_) | Node::Missing => true,
            Node::Field(_) | Node::CmpFieldInt { .. } => false,
            Node::Not(inner) | Node::Neg(inner) => inner.is_constant(),
            Node::IsMissing { value, .. } => value.is_constant(),
            Node::Call(function, items) => {
                !matches!(
                    function,
                    Function::DaysSince | Function::DaysUntil | Function::AsOf
                ) && items.iter().all(Node::is_constant)
            }
            Node::And(items) | Node::Or(items) => items.iter().all(Node::is_constant),
            Node::Cmp { left, right, .. } | Node::Arith { left, right, .. } => {
                left.is_constant() && right.is_constant()
            }
            Node::InList { value, items, .. } => {
                value.is_constant() && items.iter().all(Node::is_constant)
            }
            Node::InSet { value, set, .. } => value.is_constant() && set.is_constant(),
            Node::Between { value, low, high } => {
                value.is_constant() && low.is_constant() && high.is_constant()
            }
        }
    }
}

/// Parses `text` as the content of a decision-table input cell (DMN unary tests), for
/// the table `name`, without checking it.
///
/// # Errors
///
/// As [`parse`].
///
/// # Example
///
/// ```
/// use patronage::rules::{parse_cell, UnaryTests};
///
/// let cell = parse_cell("segments", "]0..30], 90")?;
/// assert_eq!(cell.to_string(), "(0..30], 90");
/// assert_eq!(parse_cell("segments", "-")?, UnaryTests::Any);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn parse_cell(name: &str, text: &str) -> Result<UnaryTests, RuleError> {
    parser::parse_cell(text).map_err(|e| {
        RuleError::new(
            Origin::Table {
                table: name.to_owned(),
                row: None,
                column: None,
            },
            e.kind,
        )
        .at(text, e.span)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compiled_forms_are_send_sync() {
        fn check<T: Send + Sync>() {}
        check::<Program>();
        check::<crate::rules::Table>();
        check::<crate::RuleError>();
    }
}
