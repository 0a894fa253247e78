//! Evaluation of compiled expressions: no allocation, no string look-up, no clock.

use std::cmp::Ordering;

use chrono::{Datelike, NaiveDate};
use rust_decimal::prelude::FromPrimitive;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::money::Money;
use crate::rules::ast::{ArithOp, CmpOp};
use crate::rules::ir::{Function, Node};
use crate::rules::schema::Fields;
use crate::rules::value::{Value, ValueRef};

/// What an evaluation needs besides the record: the date it is *as of*.
///
/// Rules never read a clock: `days_since(d)` counts calendar days from `d` to
/// [`Context::as_of`], so the same data and the same `as_of` always give the same
/// decision.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Context {
    /// The date the evaluation is as of.
    pub as_of: NaiveDate,
}

/// The value of a condition under three-valued logic.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Truth {
    /// The condition holds.
    True,
    /// The condition does not hold.
    False,
    /// The condition depends on a missing value.
    Unknown,
}

impl Context {
    /// A context as of `as_of`.
    pub const fn new(as_of: NaiveDate) -> Context {
        Context { as_of }
    }
}

impl From<Option<bool>> for Truth {
    fn from(value: Option<bool>) -> Truth {
        match value {
            Some(true) => Truth::True,
            Some(false) => Truth::False,
            None => Truth::Unknown,
        }
    }
}

impl Truth {
    /// Whether it is [`Truth::True`].
    pub fn is_true(self) -> bool {
        self == Truth::True
    }
}

/// The truth of a boolean node.
#[inline]
pub(crate) fn truth<F: Fields + ?Sized>(node: &Node, fields: &F, ctx: Context) -> Option<bool> {
    match node {
        Node::CmpFieldInt { field, op, value } => match fields.value(*field)? {
            ValueRef::Integer(v) | ValueRef::Days(v) => Some(cmp_holds(*op, v.cmp(value))),
            ValueRef::Number(v) => Some(cmp_holds(*op, v.partial_cmp(&(*value as f64))?)),
            _ => None,
        },
        Node::And(items) => {
            let mut unknown = false;
            for item in items {
                match truth(item, fields, ctx) {
                    Some(false) => return Some(false),
                    None => unknown = true,
                    Some(true) => {}
                }
            }
            if unknown {
                None
            } else {
                Some(true)
            }
        }
        Node::Or(items) => {
            let mut unknown = false;
            for item in items {
                match truth(item, fields, ctx) {
                    Some(true) => return Some(true),
                    None => unknown = true,
                    Some(false) => {}
                }
            }
            if unknown {
                None
            } else {
                Some(false)
            }
        }
        Node::Not(inner) => truth(inner, fields, ctx).map(|b| !b),
        Node::Cmp { op, left, right } => {
            let left = value(left, fields, ctx)?;
            let right = value(right, fields, ctx)?;
            compare(*op, left, right)
        }
        Node::InList {
            value: needle,
            items,
            negated,
        } => {
            let needle = value(needle, fields, ctx)?;
            let mut unknown = false;
            for item in items {
                match value(item, fields, ctx) {
                    Some(item) if equal(needle, item) == Some(true) => return Some(!negated),
                    Some(_) => {}
                    None => unknown = true,
                }
            }
            if unknown {
                None
            } else {
                Some(*negated)
            }
        }
        Node::InSet {
            value: needle,
            set,
            negated,
        } => {
            let needle = value(needle, fields, ctx)?;
            let set = value(set, fields, ctx)?;
            contains(set, needle).map(|found| found != *negated)
        }
        Node::Between {
            value: tested,
            low,
            high,
        } => {
            let tested = value(tested, fields, ctx)?;
            let low = value(low, fields, ctx)?;
            let high = value(high, fields, ctx)?;
            Some(
                order(low, tested)? != Ordering::Greater
                    && order(tested, high)? != Ordering::Greater,
            )
        }
        Node::IsMissing {
            value: tested,
            negated,
        } => Some(value(tested, fields, ctx).is_none() != *negated),
        other => match value(other, fields, ctx)? {
            ValueRef::Bool(b) => Some(b),
            _ => None,
        },
    }
}

/// The value of a node; `None` when missing.
pub(crate) fn value<'a, F: Fields + ?Sized>(
    node: &'a Node,
    fields: &'a F,
    ctx: Context,
) -> Option<ValueRef<'a>> {
    match node {
        Node::Const(v) => Some(v.as_ref()),
        Node::Missing => None,
        Node::Field(id) => fields.value(*id),
        Node::CmpFieldInt { .. }
        | Node::And(_)
        | Node::Or(_)
        | Node::Not(_)
        | Node::Cmp { .. }
        | Node::InList { .. }
        | Node::InSet { .. }
        | Node::Between { .. }
        | Node::IsMissing { .. } => truth(node, fields, ctx).map(ValueRef::Bool),
        Node::Neg(inner) => negate(value(inner, fields, ctx)?),
        Node::Arith { op, left, right } => {
            let left = value(left, fields, ctx)?;
            let right = value(right, fields, ctx)?;
            arith(*op, left, right)
        }
        Node::Call(function, args) => call(*function, args, fields, ctx),
    }
}

fn call<'a, F: Fields + ?Sized>(
    function: Function,
    args: &'a [Node],
    fields: &'a F,
    ctx: Context,
) -> Option<ValueRef<'a>> {
    let first = || args.first().and_then(|a| value(a, fields, ctx));
    match function {
        Function::AsOf => Some(ValueRef::Date(ctx.as_of)),
        Function::DaysSince => match first()? {
            ValueRef::Date(d) => Some(ValueRef::Days(
                ctx.as_of.signed_duration_since(d).num_days(),
            )),
            _ => None,
        },
        Function::DaysUntil => match first()? {
            ValueRef::Date(d) => Some(ValueRef::Days(
                d.signed_duration_since(ctx.as_of).num_days(),
            )),
            _ => None,
        },
        Function::Abs => match first()? {
            ValueRef::Integer(v) => v.checked_abs().map(ValueRef::Integer),
            ValueRef::Days(v) => v.checked_abs().map(ValueRef::Days),
            ValueRef::Number(v) => Some(ValueRef::Number(v.abs())),
            ValueRef::Money(m) => Some(ValueRef::Money(Money::new(m.amount.abs(), m.currency))),
            _ => None,
        },
        Function::Min | Function::Max => {
            let want = if function == Function::Min {
                Ordering::Less
            } else {
                Ordering::Greater
            };
            let mut best: Option<ValueRef<'a>> = None;
            for arg in args {
                let v = value(arg, fields, ctx)?;
                best = match best {
                    Some(b) if order(v, b)? != want => Some(b),
                    _ => Some(v),
                };
            }
            // Integer and number arguments mixed: report a number.
            best.map(|b| match b {
                ValueRef::Integer(i)
                    if args
                        .iter()
                        .any(|a| matches!(value(a, fields, ctx), Some(ValueRef::Number(_)))) =>
                {
                    ValueRef::Number(i as f64)
                }
                other => other,
            })
        }
        Function::Coalesce => args.iter().find_map(|a| value(a, fields, ctx)),
        Function::Len => match first()? {
            ValueRef::IntegerSet(s) => i64::try_from(s.len()).ok().map(ValueRef::Integer),
            ValueRef::SymbolSet(s) => i64::try_from(s.len()).ok().map(ValueRef::Integer),
            ValueRef::TextSet(s) => i64::try_from(s.len()).ok().map(ValueRef::Integer),
            ValueRef::Text(s) => i64::try_from(s.chars().count()).ok().map(ValueRef::Integer),
            _ => None,
        },
        Function::Year | Function::Month | Function::DayOfMonth => match first()? {
            ValueRef::Date(d) => Some(ValueRef::Integer(match function {
                Function::Year => i64::from(d.year()),
                Function::Month => i64::from(d.month()),
                _ => i64::from(d.day()),
            })),
            _ => None,
        },
    }
}

/// `left <op> right`; `None` when the values cannot be compared.
#[inline]
pub(crate) fn compare(op: CmpOp, left: ValueRef<'_>, right: ValueRef<'_>) -> Option<bool> {
    match op {
        CmpOp::Eq => equal(left, right),
        CmpOp::Ne => equal(left, right).map(|b| !b),
        _ => Some(cmp_holds(op, order(left, right)?)),
    }
}

#[inline]
pub(crate) fn cmp_holds(op: CmpOp, ordering: Ordering) -> bool {
    match op {
        CmpOp::Eq => ordering == Ordering::Equal,
        CmpOp::Ne => ordering != Ordering::Equal,
        CmpOp::Lt => ordering == Ordering::Less,
        CmpOp::Le => ordering != Ordering::Greater,
        CmpOp::Gt => ordering == Ordering::Greater,
        CmpOp::Ge => ordering != Ordering::Less,
    }
}

/// Equality across the types that can be compared.
pub(crate) fn equal(left: ValueRef<'_>, right: ValueRef<'_>) -> Option<bool> {
    match (left, right) {
        (ValueRef::Symbol(a), ValueRef::Symbol(b)) => Some(a == b),
        (ValueRef::Bool(a), ValueRef::Bool(b)) => Some(a == b),
        (ValueRef::Text(a), ValueRef::Text(b)) => Some(a == b),
        _ => order(left, right).map(|o| o == Ordering::Equal),
    }
}

/// Order across the ordered types (integers and numbers mix; days and integers mix;
/// money only within one currency).
#[inline]
pub(crate) fn order(left: ValueRef<'_>, right: ValueRef<'_>) -> Option<Ordering> {
    match (left, right) {
        (ValueRef::Integer(a) | ValueRef::Days(a), ValueRef::Integer(b) | ValueRef::Days(b)) => {
            Some(a.cmp(&b))
        }
        (ValueRef::Number(a), ValueRef::Number(b)) => a.partial_cmp(&b),
        (ValueRef::Integer(a), ValueRef::Number(b)) => (a as f64).partial_cmp(&b),
        (ValueRef::Number(a), ValueRef::Integer(b)) => a.partial_cmp(&(b as f64)),
        (ValueRef::Money(a), ValueRef::Money(b)) if a.currency == b.currency => {
            Some(a.amount.cmp(&b.amount))
        }
        (ValueRef::Date(a), ValueRef::Date(b)) => Some(a.cmp(&b)),
        _ => None,
    }
}

fn contains(set: ValueRef<'_>, needle: ValueRef<'_>) -> Option<bool> {
    match (set, needle) {
        (ValueRef::IntegerSet(s), ValueRef::Integer(v)) => Some(s.contains(&v)),
        (ValueRef::SymbolSet(s), ValueRef::Symbol(v)) => Some(s.contains(&v)),
        (ValueRef::TextSet(s), ValueRef::Text(v)) => Some(s.iter().any(|t| t == v)),
        _ => None,
    }
}

fn negate(v: ValueRef<'_>) -> Option<ValueRef<'_>> {
    match v {
        ValueRef::Integer(v) => v.checked_neg().map(ValueRef::Integer),
        ValueRef::Days(v) => v.checked_neg().map(ValueRef::Days),
        ValueRef::Number(v) => Some(ValueRef::Number(-v)),
        ValueRef::Money(m) => Some(ValueRef::Money(m.negated())),
        _ => None,
    }
}

fn to_decimal(v: ValueRef<'_>) -> Option<Decimal> {
    match v {
        ValueRef::Integer(i) => Some(Decimal::from(i)),
        ValueRef::Number(f) => Decimal::from_f64(f),
        _ => None,
    }
}

fn to_f64(v: ValueRef<'_>) -> Option<f64> {
    match v {
        ValueRef::Integer(i) | ValueRef::Days(i) => Some(i as f64),
        ValueRef::Number(f) => Some(f),
        _ => None,
    }
}

fn finite(v: f64) -> Option<ValueRef<'static>> {
    v.is_finite().then_some(ValueRef::Number(v))
}

/// Arithmetic, checked: overflow, division by zero and mixed currencies are missing.
pub(crate) fn arith<'a>(
    op: ArithOp,
    left: ValueRef<'a>,
    right: ValueRef<'a>,
) -> Option<ValueRef<'a>> {
    use ValueRef as V;
    match (op, left, right) {
        (ArithOp::Add, V::Integer(a), V::Integer(b)) => a.checked_add(b).map(V::Integer),
        (ArithOp::Sub, V::Integer(a), V::Integer(b)) => a.checked_sub(b).map(V::Integer),
        (ArithOp::Mul, V::Integer(a), V::Integer(b)) => a.checked_mul(b).map(V::Integer),
        (ArithOp::Add, V::Days(a), V::Days(b) | V::Integer(b))
        | (ArithOp::Add, V::Integer(a), V::Days(b)) => a.checked_add(b).map(V::Days),
        (ArithOp::Sub, V::Days(a), V::Days(b) | V::Integer(b)) => a.checked_sub(b).map(V::Days),
        (ArithOp::Mul, V::Days(a), V::Integer(b)) | (ArithOp::Mul, V::Integer(a), V::Days(b)) => {
            a.checked_mul(b).map(V::Days)
        }
        (ArithOp::Add, V::Date(d), V::Days(n) | V::Integer(n))
        | (ArithOp::Add, V::Days(n) | V::Integer(n), V::Date(d)) => shift(d, n).map(V::Date),
        (ArithOp::Sub, V::Date(d), V::Days(n) | V::Integer(n)) => {
            shift(d, n.checked_neg()?).map(V::Date)
        }
        (ArithOp::Sub, V::Date(a), V::Date(b)) => {
            Some(V::Days(a.signed_duration_since(b).num_days()))
        }
        (ArithOp::Add, V::Money(a), V::Money(b)) => a.checked_add(b).ok().map(V::Money),
        (ArithOp::Sub, V::Money(a), V::Money(b)) => a.checked_sub(b).ok().map(V::Money),
        (ArithOp::Mul, V::Money(m), k @ (V::Integer(_) | V::Number(_)))
        | (ArithOp::Mul, k @ (V::Integer(_) | V::Number(_)), V::Money(m)) => {
            m.checked_mul(to_decimal(k)?).ok().map(V::Money)
        }
        (ArithOp::Div, V::Money(m), k @ (V::Integer(_) | V::Number(_))) => {
            let divisor = to_decimal(k)?;
            m.amount
                .checked_div(divisor)
                .map(|amount| V::Money(Money::new(amount, m.currency)))
        }
        (ArithOp::Div, V::Money(a), V::Money(b)) if a.currency == b.currency => {
            let ratio = a.amount.checked_div(b.amount)?;
            rust_decimal::prelude::ToPrimitive::to_f64(&ratio).and_then(finite)
        }
        (ArithOp::Div, a, b) => {
            let divisor = to_f64(b)?;
            if divisor == 0.0 {
                return None;
            }
            finite(to_f64(a)? / divisor)
        }
        (op, a @ (V::Integer(_) | V::Number(_)), b @ (V::Integer(_) | V::Number(_))) => {
            let (a, b) = (to_f64(a)?, to_f64(b)?);
            finite(match op {
                ArithOp::Add => a + b,
                ArithOp::Sub => a - b,
                _ => a * b,
            })
        }
        _ => None,
    }
}

fn shift(date: NaiveDate, days: i64) -> Option<NaiveDate> {
    date.checked_add_signed(chrono::TimeDelta::try_days(days)?)
}

/// Folds a constant node to its value.
pub(crate) fn fold(node: &Node) -> Node {
    // Constant nodes read no field and no `as_of`, so any record and date will do.
    let ctx = Context::new(NaiveDate::MIN);
    let empty: [Option<Value>; 0] = [];
    match value(node, empty.as_slice(), ctx) {
        Some(v) => Node::Const(v.to_value()),
        None => Node::Missing,
    }
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
