//! The checked intermediate form of an expression: a typed tree whose fields are slot
//! indexes and whose symbols are interned ids. The checker produces it; evaluation,
//! compilation, analysis and explanations read it.

use crate::rules::ast::{ArithOp, CmpOp};
use crate::rules::schema::FieldId;
use crate::rules::value::{Type, Value};

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

impl Ty {
    pub(crate) fn plain(ty: Type) -> Ty {
        Ty { ty, vocab: None }
    }
}

/// A checked type: the type, and for symbols the field whose vocabulary applies.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Ty {
    pub(crate) ty: Type,
    pub(crate) vocab: Option<FieldId>,
}
