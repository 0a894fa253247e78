//! The evaluation fast path of decision tables over small class spaces.
//!
//! When every input of a single-hit table is a bare integer, symbol or bool field and
//! every cell is a literal test, the compiler cuts each input's domain into classes
//! (see [`analyze`](crate::rules::analyze)) and precomputes the decision for every
//! combination of classes. Deciding is then one class look-up per input and one array
//! read: for the 11-row RFM segment table, 3 binary searches over at most 8 bounds.
//! Values the classes do not describe (a value of an unexpected type, a symbol outside
//! the vocabulary) fall back to row-by-row evaluation, which gives the same result.

use crate::rules::schema::{FieldId, Fields};
use crate::rules::table::Hit;
use crate::rules::value::{SymbolId, ValueRef};

/// How one input column maps a value to its class.
#[derive(Clone, Debug)]
pub(crate) enum LookupColumn {
    /// Class *i* starts at `starts[i]` (sorted); missing is class `starts.len()`.
    Int { field: FieldId, starts: Vec<i64> },
    /// Class *i* is `symbols[i]`; missing is class `symbols.len()`.
    Sym {
        field: FieldId,
        symbols: Vec<SymbolId>,
    },
    /// `false` = 0, `true` = 1, missing = 2.
    Bool { field: FieldId },
}

/// The precomputed decisions, row-major over the columns' classes.
#[derive(Clone, Debug)]
pub(crate) struct Lookup {
    columns: Vec<(LookupColumn, usize)>,
    hits: Vec<Hit>,
}

impl Lookup {
    pub(crate) fn new(columns: Vec<LookupColumn>, hits: Vec<Hit>) -> Option<Lookup> {
        // Strides: the last column varies fastest.
        let mut stride = 1usize;
        let mut with_strides = Vec::with_capacity(columns.len());
        for column in columns.into_iter().rev() {
            let classes = column.classes();
            with_strides.push((column, stride));
            stride = stride.checked_mul(classes)?;
        }
        with_strides.reverse();
        (stride == hits.len()).then_some(Lookup {
            columns: with_strides,
            hits,
        })
    }

    /// The decision, or `None` when a value falls outside the classes.
    #[inline]
    pub(crate) fn decide<F: Fields + ?Sized>(&self, fields: &F) -> Option<Hit> {
        let mut index = 0usize;
        for (column, stride) in &self.columns {
            let class = column.class(fields)?;
            index += class * stride;
        }
        self.hits.get(index).copied()
    }
}

impl LookupColumn {
    fn classes(&self) -> usize {
        match self {
            LookupColumn::Int { starts, .. } => starts.len() + 1,
            LookupColumn::Sym { symbols, .. } => symbols.len() + 1,
            LookupColumn::Bool { .. } => 3,
        }
    }

    #[inline]
    fn class<F: Fields + ?Sized>(&self, fields: &F) -> Option<usize> {
        match self {
            LookupColumn::Int { field, starts } => match fields.value(*field) {
                None => Some(starts.len()),
                Some(ValueRef::Integer(v) | ValueRef::Days(v)) => {
                    // `starts[0]` is `i64::MIN`, so the partition point is at least 1.
                    starts.partition_point(|s| *s <= v).checked_sub(1)
                }
                Some(_) => None,
            },
            LookupColumn::Sym { field, symbols } => match fields.value(*field) {
                None => Some(symbols.len()),
                Some(ValueRef::Symbol(id)) => symbols.iter().position(|s| *s == id),
                Some(_) => None,
            },
            LookupColumn::Bool { field } => match fields.value(*field) {
                None => Some(2),
                Some(ValueRef::Bool(b)) => Some(usize::from(b)),
                Some(_) => None,
            },
        }
    }
}
