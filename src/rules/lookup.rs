//! The evaluation fast paths of decision tables.
//!
//! When every input of a table is a bare field (integer, days, number, money, date,
//! symbol or bool), the compiler cuts each input's domain into classes (see the
//! `analyze` module): intervals between the cells' bounds, the
//! vocabulary, `false`/`true`, plus "missing". Two structures follow:
//!
//! - an **index**: for each input and class, the bit set of rows whose cell accepts
//!   that class. Deciding is one class look-up per input (a direct table for small
//!   integer spans such as scores, else a binary search over the column's bounds)
//!   and an `and` of the inputs' bit sets, word by word, visiting the candidate rows
//!   in table order; rows whose cells are not all literal tests, or that have a
//!   condition, are checked in full when they come up. For `first`, the walk stops at
//!   the first word with a match: a 1,000-row table costs tens of nanoseconds instead
//!   of a row-by-row scan.
//! - a **dense table** when the class space is small (at most [`MAX_DENSE`]
//!   combinations) and every row is literal: the decision for every combination is
//!   precomputed, and deciding is a few array reads (the 11-row RFM segment table has
//!   8 × 8 × 8 combinations).
//!
//! Values the classes do not describe (a value of another type than the schema
//! declares, a symbol outside the vocabulary) fall back to the row-by-row scan, which
//! gives the same result; the property tests check all three paths against each other.

use chrono::Datelike;
use rust_decimal::Decimal;

use crate::money::Currency;
use crate::rules::eval::Hit;
use crate::rules::schema::{FieldId, Fields};
use crate::rules::value::{SymbolId, ValueRef};

/// The largest class space precomputed as a dense table.
pub(crate) const MAX_DENSE: usize = 4096;
/// The widest span of integer bounds mapped to classes by a direct table.
pub(crate) const MAX_DIRECT_SPAN: i64 = 1024;
/// The most inputs the index handles (class look-ups are kept on the stack).
pub(crate) const MAX_INDEXED_INPUTS: usize = 16;

/// How one input column maps a value to its class.
#[derive(Clone, Debug)]
pub(crate) enum LookupColumn {
    /// Class *i* starts at `starts[i]` (sorted, `starts[0] == i64::MIN`); missing is
    /// class `starts.len()`.
    Int { field: FieldId, starts: Vec<i64> },
    /// Integers over a small span of bounds (scores, counts): the class of
    /// `base + k` is `direct[k]`; below `base` it is 0, above the span `last`;
    /// missing is class `last + 1`.
    IntDirect {
        field: FieldId,
        base: i64,
        direct: Vec<u16>,
        last: usize,
    },
    /// Class *i* is `symbols[i]`; missing is class `symbols.len()`.
    Sym {
        field: FieldId,
        symbols: Vec<SymbolId>,
    },
    /// Dates as day numbers (from the common era), classes as for `Int`.
    Date { field: FieldId, starts: Vec<i64> },
    /// Numbers: breakpoints b₀ < b₁ < …; classes alternate open intervals and points,
    /// `(−∞, b₀)` = 0, `{b₀}` = 1, `(b₀, b₁)` = 2, …; missing is class `2 · len + 1`.
    Number { field: FieldId, breaks: Vec<f64> },
    /// Money in one currency, classes as for `Number`.
    Money {
        field: FieldId,
        currency: Currency,
        breaks: Vec<Decimal>,
    },
    /// `false` = 0, `true` = 1, missing = 2.
    Bool { field: FieldId },
}

/// One input column of the index: its classes and, per class, the rows accepting it.
#[derive(Clone, Debug)]
pub(crate) struct IndexColumn {
    pub(crate) column: LookupColumn,
    /// Per class, a bit set over rows (`words` words each).
    /// The number of classes (missing included).
    pub(crate) classes: usize,
    /// The rows accepting each class, word-major: word `w` of class `c` is at
    /// `w * classes + c`, so the first 64 rows of every class sit together — the
    /// block a `first` decision usually needs.
    pub(crate) sets: Vec<u64>,
}

/// The row index of a table, and the dense decision table when there is one.
#[derive(Clone, Debug)]
pub(crate) struct FastPath {
    pub(crate) columns: Vec<IndexColumn>,
    /// Words per row bit set.
    pub(crate) words: usize,
    /// Rows whose cells decide them alone (literal cells, no condition).
    pub(crate) exact: Vec<u64>,
    /// The precomputed decisions, row-major over the classes (last input fastest).
    pub(crate) dense: Option<Vec<Hit>>,
}

/// The candidate rows for one record, in table order: the `and` of the inputs' sets.
pub(crate) struct Candidates<'a> {
    columns: &'a [IndexColumn],
    /// The class of each input.
    classes: [usize; MAX_INDEXED_INPUTS],
    words: usize,
    /// The next word to load.
    word: usize,
    /// The word `current` came from.
    base: usize,
    current: u64,
}

impl FastPath {
    /// The class of each input for this record, or `None` when a value falls outside
    /// the classes.
    #[inline]
    fn sets<'a, F: Fields + ?Sized>(&'a self, fields: &F) -> Option<Candidates<'a>> {
        let mut classes = [0usize; MAX_INDEXED_INPUTS];
        for (slot, column) in classes.iter_mut().zip(&self.columns) {
            *slot = column.column.class(fields)?;
        }
        Some(Candidates {
            columns: &self.columns,
            classes,
            words: self.words,
            word: 0,
            base: 0,
            current: 0,
        })
    }

    /// The precomputed decision, when there is a dense table.
    #[inline]
    pub(crate) fn dense<F: Fields + ?Sized>(&self, fields: &F) -> Option<Hit> {
        let hits = self.dense.as_ref()?;
        let mut index = 0usize;
        for column in &self.columns {
            let class = column.column.class(fields)?;
            index = index * column.column.classes() + class;
        }
        hits.get(index).copied()
    }

    /// The candidate rows for this record.
    #[inline]
    pub(crate) fn candidates<'a, F: Fields + ?Sized>(
        &'a self,
        fields: &F,
    ) -> Option<Candidates<'a>> {
        self.sets(fields)
    }

    /// Whether the row's cells decide it alone.
    #[inline]
    pub(crate) fn is_exact(&self, row: usize) -> bool {
        self.exact
            .get(row / 64)
            .is_some_and(|w| w & (1 << (row % 64)) != 0)
    }
}

impl Candidates<'_> {
    /// The first input whose class set leaves `row` out (for an exact row, the first
    /// cell that fails), or `None` when the row is a candidate.
    #[inline]
    pub(crate) fn first_failing(&self, row: usize) -> Option<usize> {
        let (word, bit) = (row / 64, row % 64);
        self.columns
            .iter()
            .zip(&self.classes)
            .position(|(column, &class)| column.word(word, class) & (1 << bit) == 0)
    }
}

impl Iterator for Candidates<'_> {
    type Item = usize;

    #[inline]
    fn next(&mut self) -> Option<usize> {
        loop {
            if self.current != 0 {
                let bit = self.current.trailing_zeros() as usize;
                self.current &= self.current - 1;
                return Some(self.base * 64 + bit);
            }
            if self.word >= self.words {
                return None;
            }
            let mut acc = u64::MAX;
            for (column, &class) in self.columns.iter().zip(&self.classes) {
                acc &= column.word(self.word, class);
                if acc == 0 {
                    break;
                }
            }
            self.base = self.word;
            self.word += 1;
            self.current = acc;
        }
    }
}

impl IndexColumn {
    /// Word `word` of the row set of `class`.
    #[inline]
    pub(crate) fn word(&self, word: usize, class: usize) -> u64 {
        self.sets
            .get(word * self.classes + class)
            .copied()
            .unwrap_or(0)
    }
}

impl LookupColumn {
    /// The column for integer classes starting at `starts` (`starts[0] == i64::MIN`):
    /// a direct table when the bounds span at most [`MAX_DIRECT_SPAN`] values.
    pub(crate) fn int(field: FieldId, starts: Vec<i64>) -> LookupColumn {
        let direct = match (starts.get(1), starts.last()) {
            (Some(&base), Some(&top))
                if top
                    .checked_sub(base)
                    .is_some_and(|span| span < MAX_DIRECT_SPAN) =>
            {
                let last = starts.len() - 1;
                let mut table = Vec::new();
                let mut class = 1usize;
                for v in base..=top {
                    while starts.get(class + 1).is_some_and(|s| *s <= v) {
                        class += 1;
                    }
                    table.push(u16::try_from(class).ok());
                }
                table
                    .into_iter()
                    .collect::<Option<Vec<u16>>>()
                    .map(|direct| (base, direct, last))
            }
            _ => None,
        };
        match direct {
            Some((base, direct, last)) => LookupColumn::IntDirect {
                field,
                base,
                direct,
                last,
            },
            None => LookupColumn::Int { field, starts },
        }
    }

    pub(crate) fn classes(&self) -> usize {
        match self {
            LookupColumn::Int { starts, .. } | LookupColumn::Date { starts, .. } => {
                starts.len() + 1
            }
            LookupColumn::Number { breaks, .. } => 2 * breaks.len() + 2,
            LookupColumn::Money { breaks, .. } => 2 * breaks.len() + 2,
            LookupColumn::IntDirect { last, .. } => last + 2,
            LookupColumn::Sym { symbols, .. } => symbols.len() + 1,
            LookupColumn::Bool { .. } => 3,
        }
    }

    #[inline]
    pub(crate) fn class<F: Fields + ?Sized>(&self, fields: &F) -> Option<usize> {
        match self {
            LookupColumn::Int { field, starts } => match fields.value(*field) {
                None => Some(starts.len()),
                Some(ValueRef::Integer(v) | ValueRef::Days(v)) => {
                    // `starts[0]` is `i64::MIN`, so the partition point is at least 1.
                    starts.partition_point(|s| *s <= v).checked_sub(1)
                }
                Some(_) => None,
            },
            LookupColumn::IntDirect {
                field,
                base,
                direct,
                last,
            } => match fields.value(*field) {
                None => Some(last + 1),
                Some(ValueRef::Integer(v) | ValueRef::Days(v)) => {
                    if v < *base {
                        return Some(0);
                    }
                    let offset = usize::try_from(v.wrapping_sub(*base)).unwrap_or(usize::MAX);
                    Some(direct.get(offset).map_or(*last, |c| usize::from(*c)))
                }
                Some(_) => None,
            },
            LookupColumn::Date { field, starts } => match fields.value(*field) {
                None => Some(starts.len()),
                Some(ValueRef::Date(d)) => {
                    let day = i64::from(d.num_days_from_ce());
                    starts.partition_point(|s| *s <= day).checked_sub(1)
                }
                Some(_) => None,
            },
            LookupColumn::Number { field, breaks } => match fields.value(*field) {
                None => Some(2 * breaks.len() + 1),
                Some(ValueRef::Number(v)) if !v.is_nan() => Some(cont_class(breaks, &v)),
                Some(ValueRef::Integer(i)) => Some(cont_class(breaks, &(i as f64))),
                Some(_) => None,
            },
            LookupColumn::Money {
                field,
                currency,
                breaks,
            } => match fields.value(*field) {
                None => Some(2 * breaks.len() + 1),
                Some(ValueRef::Money(m)) if m.currency == *currency => {
                    Some(cont_class(breaks, &m.amount))
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

/// The class of `v` among sorted breakpoints: `2i` for the open interval below
/// `breaks[i]`, `2i + 1` for the point `breaks[i]`.
#[inline]
fn cont_class<T: PartialOrd>(breaks: &[T], v: &T) -> usize {
    let below = breaks.partition_point(|b| b < v);
    if breaks.get(below).is_some_and(|b| b == v) {
        2 * below + 1
    } else {
        2 * below
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::value::Value;

    #[test]
    fn direct_integer_classes_match_the_search() {
        let field = FieldId::from_index(0).expect("id");
        let starts = vec![i64::MIN, -3, 0, 1, 5, 9];
        let direct = LookupColumn::int(field, starts.clone());
        assert!(matches!(direct, LookupColumn::IntDirect { .. }));
        let search = LookupColumn::Int {
            field,
            starts: starts.clone(),
        };
        for v in (-20..20).chain([i64::MIN, i64::MAX, i64::MIN + 1]) {
            let record = [Some(Value::Integer(v))];
            assert_eq!(
                direct.class(record.as_slice()),
                search.class(record.as_slice()),
                "{v}"
            );
        }
        let missing: [Option<Value>; 1] = [None];
        assert_eq!(direct.class(missing.as_slice()), Some(starts.len()));
        assert_eq!(direct.classes(), search.classes());
        // A wide span keeps the binary search.
        let wide = LookupColumn::int(field, vec![i64::MIN, 0, 1_000_000]);
        assert!(matches!(wide, LookupColumn::Int { .. }));
    }
}
