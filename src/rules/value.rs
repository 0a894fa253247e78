//! Values and types of the rules language.

use std::fmt;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::money::{Currency, Money};

/// The interned id of a symbol (an enum-like name such as `new` or `gold`).
///
/// Symbols are interned once, when the [`Schema`](crate::rules::Schema) declares a
/// vocabulary or a table declares its outputs, so evaluation compares small integers and
/// never strings. A compiled program or table gives the name back with `symbol_name`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct SymbolId(u32);

/// The type of a field, an expression or a table column.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Type {
    /// A signed 64-bit integer (counts, scores).
    Integer,
    /// A 64-bit float (shares, rates, model outputs).
    Number,
    /// An exact amount in one currency.
    Money(Currency),
    /// `true` or `false`.
    Bool,
    /// A name from a declared vocabulary (stages, tiers, levels).
    Symbol,
    /// Free text (compared for equality and membership only).
    Text,
    /// A calendar date.
    Date,
    /// A number of days (`30 days`, `days_since(last_order)`).
    Days,
    /// A set of elements of one type.
    Set(ElementType),
}

/// The element type of a set.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum ElementType {
    /// Integers.
    Integer,
    /// Symbols of a declared vocabulary.
    Symbol,
    /// Texts.
    Text,
}

/// An owned value: a literal, a table output, or a value read for an explanation.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Value {
    /// An integer.
    Integer(i64),
    /// A float.
    Number(f64),
    /// Money.
    Money(Money),
    /// A boolean.
    Bool(bool),
    /// An interned symbol.
    Symbol(SymbolId),
    /// Text.
    Text(String),
    /// A date.
    Date(NaiveDate),
    /// A number of days.
    Days(i64),
    /// A set of integers.
    IntegerSet(Vec<i64>),
    /// A set of symbols.
    SymbolSet(Vec<SymbolId>),
    /// A set of texts.
    TextSet(Vec<String>),
}

/// A borrowed value, as a record or a column store hands it to the evaluator.
///
/// `Copy` and at most a few words wide: reading a field costs no allocation.
#[derive(Clone, Copy, Debug, PartialEq)]
#[non_exhaustive]
pub enum ValueRef<'a> {
    /// An integer.
    Integer(i64),
    /// A float.
    Number(f64),
    /// Money.
    Money(Money),
    /// A boolean.
    Bool(bool),
    /// An interned symbol.
    Symbol(SymbolId),
    /// Text.
    Text(&'a str),
    /// A date.
    Date(NaiveDate),
    /// A number of days.
    Days(i64),
    /// A set of integers.
    IntegerSet(&'a [i64]),
    /// A set of symbols.
    SymbolSet(&'a [SymbolId]),
    /// A set of texts.
    TextSet(&'a [String]),
}

impl SymbolId {
    /// The id with this index (ids are dense, from 0, in interning order).
    pub const fn from_index(index: u32) -> SymbolId {
        SymbolId(index)
    }

    /// The index of the id.
    pub const fn index(self) -> u32 {
        self.0
    }
}

impl Type {
    /// Whether values of this type are ordered (`<`, `between`, intervals).
    pub fn is_ordered(self) -> bool {
        matches!(
            self,
            Type::Integer | Type::Number | Type::Money(_) | Type::Date | Type::Days
        )
    }
}

impl fmt::Display for Type {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Type::Integer => f.write_str("integer"),
            Type::Number => f.write_str("number"),
            Type::Money(currency) => write!(f, "money in `{currency}`"),
            Type::Bool => f.write_str("bool"),
            Type::Symbol => f.write_str("symbol"),
            Type::Text => f.write_str("text"),
            Type::Date => f.write_str("date"),
            Type::Days => f.write_str("days"),
            Type::Set(element) => write!(f, "set of {element}"),
        }
    }
}

impl fmt::Display for ElementType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ElementType::Integer => "integer",
            ElementType::Symbol => "symbol",
            ElementType::Text => "text",
        })
    }
}

impl Value {
    /// Borrows the value.
    pub fn as_ref(&self) -> ValueRef<'_> {
        match self {
            Value::Integer(v) => ValueRef::Integer(*v),
            Value::Number(v) => ValueRef::Number(*v),
            Value::Money(v) => ValueRef::Money(*v),
            Value::Bool(v) => ValueRef::Bool(*v),
            Value::Symbol(v) => ValueRef::Symbol(*v),
            Value::Text(v) => ValueRef::Text(v),
            Value::Date(v) => ValueRef::Date(*v),
            Value::Days(v) => ValueRef::Days(*v),
            Value::IntegerSet(v) => ValueRef::IntegerSet(v),
            Value::SymbolSet(v) => ValueRef::SymbolSet(v),
            Value::TextSet(v) => ValueRef::TextSet(v),
        }
    }

    /// The type of the value (money carries its currency).
    pub fn type_of(&self) -> Type {
        self.as_ref().type_of()
    }
}

impl ValueRef<'_> {
    /// Copies the value into an owned [`Value`].
    pub fn to_value(self) -> Value {
        match self {
            ValueRef::Integer(v) => Value::Integer(v),
            ValueRef::Number(v) => Value::Number(v),
            ValueRef::Money(v) => Value::Money(v),
            ValueRef::Bool(v) => Value::Bool(v),
            ValueRef::Symbol(v) => Value::Symbol(v),
            ValueRef::Text(v) => Value::Text(v.to_owned()),
            ValueRef::Date(v) => Value::Date(v),
            ValueRef::Days(v) => Value::Days(v),
            ValueRef::IntegerSet(v) => Value::IntegerSet(v.to_vec()),
            ValueRef::SymbolSet(v) => Value::SymbolSet(v.to_vec()),
            ValueRef::TextSet(v) => Value::TextSet(v.to_vec()),
        }
    }

    /// The type of the value (money carries its currency).
    pub fn type_of(self) -> Type {
        match self {
            ValueRef::Integer(_) => Type::Integer,
            ValueRef::Number(_) => Type::Number,
            ValueRef::Money(m) => Type::Money(m.currency),
            ValueRef::Bool(_) => Type::Bool,
            ValueRef::Symbol(_) => Type::Symbol,
            ValueRef::Text(_) => Type::Text,
            ValueRef::Date(_) => Type::Date,
            ValueRef::Days(_) => Type::Days,
            ValueRef::IntegerSet(_) => Type::Set(ElementType::Integer),
            ValueRef::SymbolSet(_) => Type::Set(ElementType::Symbol),
            ValueRef::TextSet(_) => Type::Set(ElementType::Text),
        }
    }
}

impl From<i64> for Value {
    fn from(v: i64) -> Value {
        Value::Integer(v)
    }
}

impl From<f64> for Value {
    fn from(v: f64) -> Value {
        Value::Number(v)
    }
}

impl From<bool> for Value {
    fn from(v: bool) -> Value {
        Value::Bool(v)
    }
}

impl From<Money> for Value {
    fn from(v: Money) -> Value {
        Value::Money(v)
    }
}

impl From<NaiveDate> for Value {
    fn from(v: NaiveDate) -> Value {
        Value::Date(v)
    }
}

impl From<SymbolId> for Value {
    fn from(v: SymbolId) -> Value {
        Value::Symbol(v)
    }
}

impl From<&str> for Value {
    fn from(v: &str) -> Value {
        Value::Text(v.to_owned())
    }
}
/// Renders a value for a report.
pub(crate) fn show<'s>(
    value: Option<&Value>,
    symbol: &impl Fn(SymbolId) -> Option<&'s str>,
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn value_ref_is_small() {
        assert!(std::mem::size_of::<ValueRef<'_>>() <= 32);
        assert_eq!(std::mem::size_of::<SymbolId>(), 4);
    }

    #[test]
    fn round_trip_through_ref() {
        let v = Value::TextSet(vec!["a".into()]);
        assert_eq!(v.as_ref().to_value(), v);
        assert_eq!(v.type_of(), Type::Set(ElementType::Text));
        assert_eq!(Type::Money(Currency::CNY).to_string(), "money in `CNY`");
    }
}
