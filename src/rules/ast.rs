//! The syntax tree of expressions and of decision-table cells, and its printer.
//!
//! The tree is both the parser's output and the *structured form* of a rule: it
//! derives serde, so a company may write `{"compare": {"op": "<=", "left": {"name":
//! "recency_days"}, "right": {"integer": 30}}}` instead of `recency_days <= 30`. Both
//! forms give the same tree, and [`Display`](std::fmt::Display) prints a tree back to
//! text that parses to the same tree.

use std::fmt;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::money::Money;
use crate::rules::span::Span;

/// An expression: a node of the syntax tree with the span of its text.
///
/// Equality ignores spans: two trees are equal when they mean the same thing, whichever
/// text (or structured form) they came from.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Expr {
    /// What the node is.
    pub kind: ExprKind,
    /// Where it is in the text (empty for trees built from the structured form).
    #[serde(skip)]
    pub span: Span,
}

/// The kinds of expression nodes.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
#[non_exhaustive]
pub enum ExprKind {
    /// A name: a field of the schema, or a symbol of the vocabulary it is compared with.
    Name(String),
    /// An integer literal: `30`.
    Integer(i64),
    /// A number literal: `0.20`.
    Number(f64),
    /// A money literal: `100 CNY`.
    Money(Money),
    /// `true` or `false`.
    Bool(bool),
    /// A text literal: `"gold"`.
    Text(String),
    /// A date literal: `2024-06-30`.
    Date(NaiveDate),
    /// A duration literal: `30 days`.
    Days(i64),
    /// A list literal: `[new, active]`.
    List(Vec<Expr>),
    /// `not x`.
    Not(Box<Expr>),
    /// `a and b and …` (two or more operands).
    And(Vec<Expr>),
    /// `a or b or …` (two or more operands).
    Or(Vec<Expr>),
    /// `-x`.
    Neg(Box<Expr>),
    /// `a <= b` and the other comparisons.
    Compare {
        /// The comparison.
        op: CmpOp,
        /// Left operand.
        left: Box<Expr>,
        /// Right operand.
        right: Box<Expr>,
    },
    /// `a + b` and the other arithmetic operators.
    Arith {
        /// The operator.
        op: ArithOp,
        /// Left operand.
        left: Box<Expr>,
        /// Right operand.
        right: Box<Expr>,
    },
    /// `x in [a, b]`, `x not in set_field`.
    In {
        /// The value looked for.
        value: Box<Expr>,
        /// A list literal or a set-valued expression.
        set: Box<Expr>,
        /// `not in`.
        #[serde(default, skip_serializing_if = "is_false")]
        negated: bool,
    },
    /// `x between lo and hi` (both bounds inclusive).
    Between {
        /// The value tested.
        value: Box<Expr>,
        /// Inclusive lower bound.
        low: Box<Expr>,
        /// Inclusive upper bound.
        high: Box<Expr>,
    },
    /// `x is missing`, `x is not missing`.
    IsMissing {
        /// The value tested.
        value: Box<Expr>,
        /// `is not missing`.
        #[serde(default, skip_serializing_if = "is_false")]
        negated: bool,
    },
    /// `days_since(last_login)` and the other functions.
    Call {
        /// The function name.
        function: String,
        /// The arguments.
        #[serde(default)]
        args: Vec<Expr>,
    },
}

/// Comparison operators.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[non_exhaustive]
pub enum CmpOp {
    /// `==`
    #[serde(rename = "==")]
    Eq,
    /// `!=`
    #[serde(rename = "!=")]
    Ne,
    /// `<`
    #[serde(rename = "<")]
    Lt,
    /// `<=`
    #[serde(rename = "<=")]
    Le,
    /// `>`
    #[serde(rename = ">")]
    Gt,
    /// `>=`
    #[serde(rename = ">=")]
    Ge,
}

/// Arithmetic operators.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[non_exhaustive]
pub enum ArithOp {
    /// `+`
    #[serde(rename = "+")]
    Add,
    /// `-`
    #[serde(rename = "-")]
    Sub,
    /// `*`
    #[serde(rename = "*")]
    Mul,
    /// `/`
    #[serde(rename = "/")]
    Div,
}

/// The content of one decision-table input cell: DMN-style unary tests.
///
/// `-` matches anything (missing values included); `<= 30`, `[31..90]`, `(0..1]`,
/// `new, active` (a comma means *or*), `not(new, active)`, `is missing`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
#[non_exhaustive]
pub enum UnaryTests {
    /// `-`: any value, missing included.
    Any,
    /// Matches when any of the tests matches.
    AnyOf(Vec<UnaryTest>),
    /// `not(…)`: matches a present value that none of the tests matches.
    NoneOf(Vec<UnaryTest>),
}

/// One unary test of a cell.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
#[non_exhaustive]
pub enum UnaryTest {
    /// `<= 30`, `== gold`, `!= 0`; a bare value means `==`.
    Compare {
        /// The comparison.
        op: CmpOp,
        /// The value compared with.
        value: Expr,
    },
    /// `[lo..hi]` with `[`/`]` inclusive and `(`/`)` exclusive bounds.
    Range {
        /// Lower bound.
        low: Expr,
        /// Whether the lower bound is included.
        low_closed: bool,
        /// Upper bound.
        high: Expr,
        /// Whether the upper bound is included.
        high_closed: bool,
    },
    /// `is missing` or `is not missing`.
    IsMissing {
        /// `is not missing`.
        #[serde(default, skip_serializing_if = "is_false")]
        negated: bool,
    },
}

/// Precedence levels, lowest first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Prec {
    Or,
    And,
    Not,
    Compare,
    Add,
    Mul,
    Unary,
    Primary,
}

impl Expr {
    /// A node without a span (for trees built in code).
    pub fn new(kind: ExprKind) -> Expr {
        Expr {
            kind,
            span: Span::default(),
        }
    }

    pub(crate) fn spanned(kind: ExprKind, span: Span) -> Expr {
        Expr { kind, span }
    }

    pub(crate) fn prec(&self) -> Prec {
        match &self.kind {
            ExprKind::Or(_) => Prec::Or,
            ExprKind::And(_) => Prec::And,
            ExprKind::Not(_) => Prec::Not,
            ExprKind::Compare { .. }
            | ExprKind::In { .. }
            | ExprKind::Between { .. }
            | ExprKind::IsMissing { .. } => Prec::Compare,
            ExprKind::Arith {
                op: ArithOp::Add | ArithOp::Sub,
                ..
            } => Prec::Add,
            ExprKind::Arith { .. } => Prec::Mul,
            ExprKind::Neg(_) => Prec::Unary,
            ExprKind::Integer(v) if *v < 0 => Prec::Unary,
            ExprKind::Number(v) if v.is_sign_negative() => Prec::Unary,
            ExprKind::Money(m) if m.amount.is_sign_negative() => Prec::Unary,
            ExprKind::Days(v) if *v < 0 => Prec::Unary,
            _ => Prec::Primary,
        }
    }
}

impl PartialEq for Expr {
    fn eq(&self, other: &Expr) -> bool {
        self.kind == other.kind
    }
}

impl CmpOp {
    /// The operator as written.
    pub fn as_str(self) -> &'static str {
        match self {
            CmpOp::Eq => "==",
            CmpOp::Ne => "!=",
            CmpOp::Lt => "<",
            CmpOp::Le => "<=",
            CmpOp::Gt => ">",
            CmpOp::Ge => ">=",
        }
    }
}

impl ArithOp {
    /// The operator as written.
    pub fn as_str(self) -> &'static str {
        match self {
            ArithOp::Add => "+",
            ArithOp::Sub => "-",
            ArithOp::Mul => "*",
            ArithOp::Div => "/",
        }
    }
}

impl fmt::Display for CmpOp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Display for ArithOp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Display for Expr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            ExprKind::Name(name) => f.write_str(name),
            ExprKind::Integer(v) => write!(f, "{v}"),
            ExprKind::Number(v) => write!(f, "{v:?}"),
            ExprKind::Money(m) => write!(f, "{} {}", m.amount, m.currency),
            ExprKind::Bool(v) => write!(f, "{v}"),
            ExprKind::Text(text) => write_text(f, text),
            ExprKind::Date(d) => write!(f, "{}", d.format("%Y-%m-%d")),
            ExprKind::Days(v) if *v == 1 || *v == -1 => write!(f, "{v} day"),
            ExprKind::Days(v) => write!(f, "{v} days"),
            ExprKind::List(items) => {
                f.write_str("[")?;
                write_list(f, items)?;
                f.write_str("]")
            }
            ExprKind::Not(inner) => {
                f.write_str("not ")?;
                write_operand(f, inner, Prec::Not, false)
            }
            ExprKind::And(items) => write_chain(f, items, " and ", Prec::And),
            ExprKind::Or(items) => write_chain(f, items, " or ", Prec::Or),
            ExprKind::Neg(inner) => {
                f.write_str("-")?;
                // A numeric literal right after `-` would be read back as a negative
                // literal, so keep it visibly apart.
                let literal = matches!(
                    inner.kind,
                    ExprKind::Integer(_)
                        | ExprKind::Number(_)
                        | ExprKind::Money(_)
                        | ExprKind::Days(_)
                );
                write_operand(f, inner, Prec::Unary, literal)
            }
            ExprKind::Compare { op, left, right } => {
                write_operand(f, left, Prec::Compare, true)?;
                write!(f, " {op} ")?;
                write_operand(f, right, Prec::Compare, true)
            }
            ExprKind::Arith { op, left, right } => {
                let prec = self.prec();
                write_operand(f, left, prec, false)?;
                write!(f, " {op} ")?;
                write_operand(f, right, prec, true)
            }
            ExprKind::In {
                value,
                set,
                negated,
            } => {
                write_operand(f, value, Prec::Compare, true)?;
                f.write_str(if *negated { " not in " } else { " in " })?;
                write_operand(f, set, Prec::Compare, true)
            }
            ExprKind::Between { value, low, high } => {
                write_operand(f, value, Prec::Compare, true)?;
                f.write_str(" between ")?;
                write_operand(f, low, Prec::Compare, true)?;
                f.write_str(" and ")?;
                write_operand(f, high, Prec::Compare, true)
            }
            ExprKind::IsMissing { value, negated } => {
                write_operand(f, value, Prec::Compare, true)?;
                f.write_str(if *negated {
                    " is not missing"
                } else {
                    " is missing"
                })
            }
            ExprKind::Call { function, args } => {
                write!(f, "{function}(")?;
                write_list(f, args)?;
                f.write_str(")")
            }
        }
    }
}

impl fmt::Display for UnaryTests {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            UnaryTests::Any => f.write_str("-"),
            UnaryTests::AnyOf(tests) => write_tests(f, tests),
            UnaryTests::NoneOf(tests) => {
                f.write_str("not(")?;
                write_tests(f, tests)?;
                f.write_str(")")
            }
        }
    }
}

impl fmt::Display for UnaryTest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            UnaryTest::Compare {
                op: CmpOp::Eq,
                value,
            } => write_operand(f, value, Prec::Compare, true),
            UnaryTest::Compare { op, value } => {
                write!(f, "{op} ")?;
                write_operand(f, value, Prec::Compare, true)
            }
            UnaryTest::Range {
                low,
                low_closed,
                high,
                high_closed,
            } => {
                f.write_str(if *low_closed { "[" } else { "(" })?;
                write_operand(f, low, Prec::Compare, true)?;
                f.write_str("..")?;
                write_operand(f, high, Prec::Compare, true)?;
                f.write_str(if *high_closed { "]" } else { ")" })
            }
            UnaryTest::IsMissing { negated: false } => f.write_str("is missing"),
            UnaryTest::IsMissing { negated: true } => f.write_str("is not missing"),
        }
    }
}

fn write_tests(f: &mut fmt::Formatter<'_>, tests: &[UnaryTest]) -> fmt::Result {
    for (i, test) in tests.iter().enumerate() {
        if i > 0 {
            f.write_str(", ")?;
        }
        write!(f, "{test}")?;
    }
    Ok(())
}

fn write_list(f: &mut fmt::Formatter<'_>, items: &[Expr]) -> fmt::Result {
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            f.write_str(", ")?;
        }
        write!(f, "{item}")?;
    }
    Ok(())
}

fn write_chain(f: &mut fmt::Formatter<'_>, items: &[Expr], sep: &str, prec: Prec) -> fmt::Result {
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            f.write_str(sep)?;
        }
        // A nested chain of the same operator is kept apart by parentheses so that the
        // tree reads back with the same shape.
        write_operand(f, item, prec, true)?;
    }
    Ok(())
}

/// Writes `operand` of an operator at `prec`, in parentheses when it binds looser (or
/// equally loose and `strict`).
fn write_operand(
    f: &mut fmt::Formatter<'_>,
    operand: &Expr,
    prec: Prec,
    strict: bool,
) -> fmt::Result {
    let inner = operand.prec();
    if inner < prec || (strict && inner == prec) {
        write!(f, "({operand})")
    } else {
        write!(f, "{operand}")
    }
}

fn write_text(f: &mut fmt::Formatter<'_>, text: &str) -> fmt::Result {
    f.write_str("\"")?;
    for c in text.chars() {
        match c {
            '"' => f.write_str("\\\"")?,
            '\\' => f.write_str("\\\\")?,
            '\n' => f.write_str("\\n")?,
            '\t' => f.write_str("\\t")?,
            '\r' => f.write_str("\\r")?,
            c => write!(f, "{c}")?,
        }
    }
    f.write_str("\"")
}

// serde's `skip_serializing_if` passes a reference.
#[allow(clippy::trivially_copy_pass_by_ref)]
fn is_false(b: &bool) -> bool {
    !*b
}
