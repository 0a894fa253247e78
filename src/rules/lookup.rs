//! The evaluation fast paths of decision tables.
//!
//! When every input of a table is a bare field (integer, days, number, money, date,
//! symbol or bool), the compiler cuts each input's domain into classes (see the
//! `analyze` module): intervals between the cells' bounds, the vocabulary,
//! `false`/`true`, plus "missing" — a class of its own, so optional day counts and
//! `is missing` cells need nothing special. Classes of one input that every row treats
//! alike are merged (the top share's `[0.20, 0.50)` is one class, not a point and an
//! interval). Two structures follow:
//!
//! - an **index**: for each input and class, the bit set of rows whose cell accepts
//!   that class. Deciding is one class look-up per input (a direct table for small
//!   integer spans such as scores and day counts, and for symbols; else a binary
//!   search over the column's bounds) and an `and` of the inputs' bit sets, word by
//!   word, visiting the candidate rows in table order; rows whose cells are not all
//!   literal tests, or that have a condition, are checked in full when they come up.
//!   For `first`, the walk stops at the first word with a match: a 1,000-row table
//!   costs tens of nanoseconds instead of a row-by-row scan.
//! - a **dense table** when the class space is small (at most [`MAX_DENSE`]
//!   combinations) under a single-hit policy: the decision for every combination is
//!   precomputed, and deciding is a few array reads (the 11-row RFM segment table has
//!   8 × 8 × 8 combinations). A row's condition that reads only the table's own
//!   integer, days, bool or symbol inputs, through comparisons with constants
//!   (`recency_days > 180 and coalesce(days_since_last_interaction, 180 days) >= 180
//!   days`), is decided per combination too: its bounds become class bounds, so the
//!   condition has one value per combination, computed once by the evaluator itself.
//!   A combination whose decision depends on any other row checked in full keeps the
//!   index path.
//!
//! A population is decided a block of rows at a time ([`FastPath::classify`]): each
//! input column is read and classified for the whole block in one loop, folding the
//! classes into dense-table positions, then each row is one array read.
//!
//! Values the classes do not describe (a value of another type than the schema
//! declares, a symbol outside the vocabulary) fall back to the row-by-row scan, which
//! gives the same result; the property tests check all three paths against each other.

use chrono::Datelike;
use rust_decimal::Decimal;

use crate::money::Currency;
use crate::rules::eval::Hit;
use crate::rules::schema::{Columns, FieldId, Fields};
use crate::rules::value::{SymbolId, ValueRef};

/// The largest class space precomputed as a dense table (two bytes an entry).
pub(crate) const MAX_DENSE: usize = 1 << 16;
/// The widest span of integer bounds mapped to classes by a direct table.
pub(crate) const MAX_DIRECT_SPAN: i64 = 1024;
/// The most inputs the index handles (class look-ups are kept on the stack).
pub(crate) const MAX_INDEXED_INPUTS: usize = 16;
/// Symbol ids below this are mapped to classes by a direct table.
const MAX_DIRECT_SYMBOL: u32 = 4096;
/// The dense code of a class combination decided by the index path (a row checked in
/// full can decide it).
pub(crate) const CHECK: u16 = u16::MAX;
/// "Not a class of this column" in a direct table.
const NO_CLASS: u16 = u16::MAX;
/// Bounds searched by counting (no branches) rather than by bisection.
const LINEAR: usize = 8;
/// Rows classified together when a population is decided.
pub(crate) const BLOCK: usize = 128;
/// The term of a value outside the classes in a dense-table position: beyond any dense
/// table (at most 2¹⁶ entries), and small enough that a sum of such terms never wraps.
const OUTSIDE: u64 = 1 << 40;

/// How one input column maps a value to its class. Every variant gives the merged
/// class directly (0 ≤ class < the column's class count).
#[derive(Clone, Debug)]
pub(crate) enum LookupColumn {
    /// Intervals starting at `starts` (binary search).
    Int(Intervals),
    /// Integers over a small span of bounds (scores, counts, day counts).
    IntDirect(DirectInts),
    /// A vocabulary.
    Sym(Symbols),
    /// Dates as day numbers (from the common era), intervals as for `Int`.
    Date(Intervals),
    /// Numbers, cut at breakpoints.
    Number(Breaks<f64>),
    /// Money in one currency, cut at breakpoints.
    Money(Breaks<Decimal>, Currency),
    /// `false`, `true`, missing.
    Bool { field: FieldId, classes: [u16; 3] },
}

/// Integer intervals: raw class *i* starts at `starts[i]` (sorted,
/// `starts[0] == i64::MIN`); `classes[i]` is its merged class, and
/// `classes[starts.len()]` the class of a missing value.
#[derive(Clone, Debug)]
pub(crate) struct Intervals {
    pub(crate) field: FieldId,
    pub(crate) starts: Vec<i64>,
    pub(crate) classes: Vec<u16>,
}

/// A direct table: the class of `v` is `direct[clamp(v, lo, hi) − lo]` with `lo =
/// base − 1`, so `direct[0]` is the class below `base` and the class of `hi` (the last
/// start) holds beyond it; the last entry is the class of a missing value. Branch-free:
/// day counts and scores fall on either side of a bound at random.
#[derive(Clone, Debug)]
pub(crate) struct DirectInts {
    pub(crate) field: FieldId,
    lo: i64,
    hi: i64,
    direct: Vec<u16>,
}

/// A vocabulary: the class of symbol *i* is `direct[i + 1]` for ids below
/// [`MAX_DIRECT_SYMBOL`], else found in `sorted`; `direct[0]` is the class of a missing
/// value; `NO_CLASS` outside the vocabulary.
#[derive(Clone, Debug)]
pub(crate) struct Symbols {
    pub(crate) field: FieldId,
    direct: Vec<u16>,
    sorted: Vec<(u32, u16)>,
}

/// Breakpoints b₀ < b₁ < …; raw classes alternate open intervals and points,
/// `(−∞, b₀)` = 0, `{b₀}` = 1, `(b₀, b₁)` = 2, …, missing `2 · len + 1`; `classes`
/// maps each raw class to its merged class.
#[derive(Clone, Debug)]
pub(crate) struct Breaks<T> {
    pub(crate) field: FieldId,
    pub(crate) points: Vec<T>,
    pub(crate) classes: Vec<u16>,
}

/// One input column of the index: its classes and, per class, the rows accepting it.
#[derive(Clone, Debug)]
pub(crate) struct IndexColumn {
    pub(crate) column: LookupColumn,
    /// The number of classes (missing included).
    pub(crate) classes: usize,
    /// The weight of a class in a dense-table position: the product of the class
    /// counts of the inputs after this one (meaningful when there is a dense table).
    pub(crate) stride: u64,
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
    pub(crate) dense: Option<Dense>,
}

/// The precomputed decisions, row-major over the classes (last input fastest): a code
/// per combination, naming one of `hits` or [`CHECK`].
#[derive(Clone, Debug)]
pub(crate) struct Dense {
    pub(crate) codes: Vec<u16>,
    /// The distinct decisions (fewer than [`CHECK`]).
    pub(crate) hits: Vec<Hit>,
}

/// What the fast path knows of one record.
pub(crate) enum Lookup<'a> {
    /// The dense table decided.
    Decided(Hit),
    /// These rows are the candidates.
    Candidates(Candidates<'a>),
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
    /// The decision of the dense table, or the candidate rows, for this record;
    /// `None` when a value falls outside the classes.
    #[inline]
    pub(crate) fn lookup<'a, F: Fields + ?Sized>(&'a self, fields: &F) -> Option<Lookup<'a>> {
        let mut classes = [0usize; MAX_INDEXED_INPUTS];
        let mut position = 0u64;
        for (slot, column) in classes.iter_mut().zip(&self.columns) {
            let class = column.column.class(fields)?;
            *slot = class;
            position = fold(position, column.stride, class as u64);
        }
        if let Some(hit) = self.dense.as_ref().and_then(|dense| dense.get(position)) {
            return Some(Lookup::Decided(hit));
        }
        Some(Lookup::Candidates(self.candidates_of(classes)))
    }

    /// The candidate rows for this record; `None` when a value falls outside the
    /// classes.
    #[inline]
    pub(crate) fn candidates<'a, F: Fields + ?Sized>(
        &'a self,
        fields: &F,
    ) -> Option<Candidates<'a>> {
        let mut classes = [0usize; MAX_INDEXED_INPUTS];
        for (slot, column) in classes.iter_mut().zip(&self.columns) {
            *slot = column.column.class(fields)?;
        }
        Some(self.candidates_of(classes))
    }

    fn candidates_of(&self, classes: [usize; MAX_INDEXED_INPUTS]) -> Candidates<'_> {
        Candidates {
            columns: &self.columns,
            classes,
            words: self.words,
            word: 0,
            base: 0,
            current: 0,
        }
    }

    /// The dense-table positions of rows `start..start + positions.len()` of
    /// `columns`, one input column at a time; a position names no combination
    /// ([`Dense::get`] gives `None`) when a value falls outside the classes.
    pub(crate) fn classify<C: Columns + ?Sized>(
        &self,
        columns: &C,
        start: usize,
        positions: &mut [u64],
        scratch: &mut Scratch,
    ) {
        positions.fill(0);
        for column in &self.columns {
            column
                .column
                .classify(columns, start, positions, column.stride, scratch);
        }
    }

    /// Whether the row's cells decide it alone.
    #[inline]
    pub(crate) fn is_exact(&self, row: usize) -> bool {
        self.exact
            .get(row / 64)
            .is_some_and(|w| w & (1 << (row % 64)) != 0)
    }
}

impl Dense {
    /// The decision at `position`, or `None` for [`CHECK`] and positions outside
    /// the table.
    #[inline]
    pub(crate) fn get(&self, position: u64) -> Option<Hit> {
        let code = *self.codes.get(usize::try_from(position).ok()?)?;
        // `hits` has fewer than `CHECK` entries, so `CHECK` finds none.
        self.hits.get(usize::from(code)).copied()
    }
}

/// `position + class · stride`. Where it matters (a dense table exists) a class's term
/// is below `MAX_DENSE = 2¹⁶` and [`OUTSIDE`] is `2⁴⁰`, so the sum over at most
/// [`MAX_INDEXED_INPUTS`] inputs never wraps, and one input outside its classes puts
/// the position beyond the table; without a dense table the position is never read.
#[inline]
fn fold(position: u64, stride: u64, class: u64) -> u64 {
    position.wrapping_add(class.wrapping_mul(stride))
}

/// [`fold`] for a class that may be missing (a value outside the classes).
#[inline]
fn fold_class(position: u64, stride: u64, class: Option<usize>) -> u64 {
    position.wrapping_add(class.map_or(OUTSIDE, |c| (c as u64).wrapping_mul(stride)))
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
    /// The column for integer classes starting at `starts` (`starts[0] == i64::MIN`),
    /// whose raw classes (missing last) map to `classes`: a direct table when the
    /// bounds span at most [`MAX_DIRECT_SPAN`] values.
    pub(crate) fn int(field: FieldId, starts: Vec<i64>, classes: Vec<u16>) -> LookupColumn {
        let merged = |raw: usize| classes.get(raw).copied();
        let direct = match (starts.get(1), starts.last()) {
            (Some(&base), Some(&top))
                if top
                    .checked_sub(base)
                    .is_some_and(|span| span < MAX_DIRECT_SPAN) =>
            {
                // Below `base`, then `base..=top`; `top` starts the last class.
                let mut table = vec![merged(0)];
                let mut raw = 1usize;
                for v in base..=top {
                    while starts.get(raw + 1).is_some_and(|s| *s <= v) {
                        raw += 1;
                    }
                    table.push(merged(raw));
                }
                table
                    .into_iter()
                    .collect::<Option<Vec<u16>>>()
                    .map(|direct| (base, top, direct))
            }
            _ => None,
        };
        match (direct, merged(starts.len())) {
            (Some((base, top, mut direct)), Some(missing)) => {
                direct.push(missing);
                LookupColumn::IntDirect(DirectInts {
                    field,
                    // `base` is a start after `i64::MIN`.
                    lo: base.saturating_sub(1),
                    hi: top,
                    direct,
                })
            }
            _ => LookupColumn::Int(Intervals {
                field,
                starts,
                classes,
            }),
        }
    }

    /// The column for a vocabulary, symbol `symbols[i]` in raw class *i* (missing
    /// last), mapped to `classes`.
    pub(crate) fn symbols(field: FieldId, symbols: &[SymbolId], classes: &[u16]) -> LookupColumn {
        let mut direct = vec![classes.get(symbols.len()).copied().unwrap_or(NO_CLASS)];
        let mut sorted = Vec::new();
        for (symbol, class) in symbols.iter().zip(classes) {
            let id = symbol.index();
            if id < MAX_DIRECT_SYMBOL {
                let slot = id as usize + 1;
                if direct.len() <= slot {
                    direct.resize(slot + 1, NO_CLASS);
                }
                if let Some(entry) = direct.get_mut(slot) {
                    *entry = *class;
                }
            } else {
                sorted.push((id, *class));
            }
        }
        sorted.sort_unstable();
        LookupColumn::Sym(Symbols {
            field,
            direct,
            sorted,
        })
    }

    /// The field the column reads.
    pub(crate) fn field(&self) -> FieldId {
        match self {
            LookupColumn::Int(c) | LookupColumn::Date(c) => c.field,
            LookupColumn::IntDirect(c) => c.field,
            LookupColumn::Sym(c) => c.field,
            LookupColumn::Number(c) => c.field,
            LookupColumn::Money(c, _) => c.field,
            LookupColumn::Bool { field, .. } => *field,
        }
    }

    /// The class of this record's value.
    #[inline]
    pub(crate) fn class<F: Fields + ?Sized>(&self, fields: &F) -> Option<usize> {
        let value = fields.value(self.field());
        match self {
            LookupColumn::Int(c) => c.int_class(value),
            LookupColumn::IntDirect(c) => c.class(value),
            LookupColumn::Sym(c) => c.class(value),
            LookupColumn::Date(c) => c.date_class(value),
            LookupColumn::Number(c) => c.number_class(value),
            LookupColumn::Money(c, currency) => c.money_class(value, *currency),
            LookupColumn::Bool { classes, .. } => bool_class(*classes, value),
        }
    }

    /// Adds the classes of rows `start..start + positions.len()` (at most [`BLOCK`]),
    /// weighed by `stride`, to `positions`: one loop over the rows, over a typed block
    /// from the store when it hands one over.
    pub(crate) fn classify<C: Columns + ?Sized>(
        &self,
        columns: &C,
        start: usize,
        positions: &mut [u64],
        stride: u64,
        scratch: &mut Scratch,
    ) {
        let field = self.field();
        let len = positions.len();
        match self {
            LookupColumn::Int(c) => match scratch.integers(columns, field, start, len) {
                Some(keys) => fold_keys(positions, stride, keys, |k| c.key_class(k)),
                None => fold_rows(columns, field, start, positions, stride, |v| c.int_class(v)),
            },
            LookupColumn::IntDirect(c) => match scratch.integers(columns, field, start, len) {
                Some(keys) => fold_keys(positions, stride, keys, |k| c.key_class(k)),
                None => fold_rows(columns, field, start, positions, stride, |v| c.class(v)),
            },
            LookupColumn::Sym(c) => match scratch.symbols(columns, field, start, len) {
                Some(keys) => fold_keys(positions, stride, keys, |k| c.key_class(k)),
                None => fold_rows(columns, field, start, positions, stride, |v| c.class(v)),
            },
            LookupColumn::Date(c) => fold_rows(columns, field, start, positions, stride, |v| {
                c.date_class(v)
            }),
            LookupColumn::Number(c) => match scratch.numbers(columns, field, start, len) {
                Some(keys) => fold_keys(positions, stride, keys, |k| c.key_class(k)),
                None => fold_rows(columns, field, start, positions, stride, |v| {
                    c.number_class(v)
                }),
            },
            LookupColumn::Money(c, currency) => {
                fold_rows(columns, field, start, positions, stride, |v| {
                    c.money_class(v, *currency)
                });
            }
            LookupColumn::Bool { classes: map, .. } => {
                match scratch.bools(columns, field, start, len) {
                    Some(keys) => fold_keys(positions, stride, keys, |k| bool_key_class(*map, k)),
                    None => fold_rows(columns, field, start, positions, stride, |v| {
                        bool_class(*map, v)
                    }),
                }
            }
        }
    }
}

/// Buffers for one block of one input's values, as the store hands them over.
pub(crate) struct Scratch {
    integers: [Option<i64>; BLOCK],
    numbers: [Option<f64>; BLOCK],
    symbols: [Option<SymbolId>; BLOCK],
    bools: [Option<bool>; BLOCK],
}

impl Scratch {
    pub(crate) fn new() -> Scratch {
        Scratch {
            integers: [None; BLOCK],
            numbers: [None; BLOCK],
            symbols: [None; BLOCK],
            bools: [None; BLOCK],
        }
    }

    fn integers<C: Columns + ?Sized>(
        &mut self,
        columns: &C,
        field: FieldId,
        start: usize,
        len: usize,
    ) -> Option<&[Option<i64>]> {
        let out = self.integers.get_mut(..len)?;
        columns.read_integers(field, start, out).then_some(&*out)
    }

    fn numbers<C: Columns + ?Sized>(
        &mut self,
        columns: &C,
        field: FieldId,
        start: usize,
        len: usize,
    ) -> Option<&[Option<f64>]> {
        let out = self.numbers.get_mut(..len)?;
        columns.read_numbers(field, start, out).then_some(&*out)
    }

    fn symbols<C: Columns + ?Sized>(
        &mut self,
        columns: &C,
        field: FieldId,
        start: usize,
        len: usize,
    ) -> Option<&[Option<SymbolId>]> {
        let out = self.symbols.get_mut(..len)?;
        columns.read_symbols(field, start, out).then_some(&*out)
    }

    fn bools<C: Columns + ?Sized>(
        &mut self,
        columns: &C,
        field: FieldId,
        start: usize,
        len: usize,
    ) -> Option<&[Option<bool>]> {
        let out = self.bools.get_mut(..len)?;
        columns.read_bools(field, start, out).then_some(&*out)
    }
}

/// The loop of [`LookupColumn::classify`] over values read one row at a time.
#[inline]
fn fold_rows<C: Columns + ?Sized>(
    columns: &C,
    field: FieldId,
    start: usize,
    positions: &mut [u64],
    stride: u64,
    class: impl Fn(Option<ValueRef<'_>>) -> Option<usize>,
) {
    for (row, position) in (start..).zip(positions.iter_mut()) {
        *position = fold_class(*position, stride, class(columns.value(field, row)));
    }
}

/// The loop of [`LookupColumn::classify`] over a typed block: a function of its own per
/// kind of column, so the loop keeps its state in registers.
#[inline(never)]
fn fold_keys<K: Copy>(
    positions: &mut [u64],
    stride: u64,
    keys: &[Option<K>],
    class: impl Fn(Option<K>) -> Option<usize>,
) {
    for (position, key) in positions.iter_mut().zip(keys) {
        *position = fold_class(*position, stride, class(*key));
    }
}

#[inline]
fn class_at(classes: &[u16], raw: usize) -> Option<usize> {
    classes.get(raw).map(|c| usize::from(*c))
}

impl Intervals {
    #[inline]
    fn int_class(&self, value: Option<ValueRef<'_>>) -> Option<usize> {
        match value {
            None => self.key_class(None),
            Some(ValueRef::Integer(v) | ValueRef::Days(v)) => self.key_class(Some(v)),
            Some(_) => None,
        }
    }

    #[inline]
    fn key_class(&self, key: Option<i64>) -> Option<usize> {
        if self.starts.len() > LINEAR {
            return match key {
                None => class_at(&self.classes, self.starts.len()),
                Some(v) => self.class_of_key(v),
            };
        }
        // `starts[0]` is `i64::MIN`, so at least one start is `<= v`.
        let v = key.unwrap_or(i64::MIN);
        let at_or_below: usize = self.starts.iter().map(|s| usize::from(*s <= v)).sum();
        let raw = select(
            key.is_some(),
            at_or_below.wrapping_sub(1),
            self.starts.len(),
        );
        class_at(&self.classes, raw)
    }

    #[inline]
    fn date_class(&self, value: Option<ValueRef<'_>>) -> Option<usize> {
        match value {
            None => class_at(&self.classes, self.starts.len()),
            Some(ValueRef::Date(d)) => self.class_of_key(i64::from(d.num_days_from_ce())),
            Some(_) => None,
        }
    }

    #[inline]
    fn class_of_key(&self, v: i64) -> Option<usize> {
        // `starts[0]` is `i64::MIN`, so at least one start is `<= v`.
        let starts_at_or_below = if self.starts.len() <= LINEAR {
            self.starts.iter().map(|s| usize::from(*s <= v)).sum()
        } else {
            self.starts.partition_point(|s| *s <= v)
        };
        class_at(&self.classes, starts_at_or_below.checked_sub(1)?)
    }
}

impl DirectInts {
    #[inline]
    fn class(&self, value: Option<ValueRef<'_>>) -> Option<usize> {
        match value {
            None => self.key_class(None),
            Some(ValueRef::Integer(v) | ValueRef::Days(v)) => self.key_class(Some(v)),
            Some(_) => None,
        }
    }

    #[inline]
    fn key_class(&self, key: Option<i64>) -> Option<usize> {
        // `lo < hi`, so the offset is in `0..=hi − lo`; the missing class is last.
        let v = key.unwrap_or(self.lo);
        let offset = v.max(self.lo).min(self.hi).wrapping_sub(self.lo) as usize;
        let at = select(key.is_some(), offset, self.direct.len().wrapping_sub(1));
        self.direct.get(at).map(|c| usize::from(*c))
    }
}

/// `if present { some } else { none }` without a branch: whether an optional day
/// count or share is missing is as random as its value.
#[inline]
fn select(present: bool, some: usize, none: usize) -> usize {
    let mask = usize::from(present).wrapping_neg();
    (some & mask) | (none & !mask)
}

impl Symbols {
    #[inline]
    fn class(&self, value: Option<ValueRef<'_>>) -> Option<usize> {
        match value {
            None => self.key_class(None),
            Some(ValueRef::Symbol(id)) => self.key_class(Some(id)),
            Some(_) => None,
        }
    }

    #[inline]
    fn key_class(&self, key: Option<SymbolId>) -> Option<usize> {
        let at = key.map_or(0, |id| (id.index() as usize).wrapping_add(1));
        let class = self.direct.get(at).copied().unwrap_or_else(|| {
            let id = at.wrapping_sub(1) as u32;
            let found = self.sorted.binary_search_by_key(&id, |(s, _)| *s);
            found
                .ok()
                .and_then(|k| self.sorted.get(k))
                .map_or(NO_CLASS, |(_, class)| *class)
        });
        (class != NO_CLASS).then_some(usize::from(class))
    }
}

impl Breaks<f64> {
    #[inline]
    fn number_class(&self, value: Option<ValueRef<'_>>) -> Option<usize> {
        match value {
            None => self.key_class(None),
            Some(ValueRef::Number(v)) => self.key_class(Some(v)),
            Some(ValueRef::Integer(i)) => self.key_class(Some(i as f64)),
            Some(_) => None,
        }
    }

    #[inline]
    fn key_class(&self, key: Option<f64>) -> Option<usize> {
        let v = key.unwrap_or(0.0);
        if v.is_nan() {
            return None;
        }
        let raw = select(
            key.is_some(),
            cont_class(&self.points, &v),
            2 * self.points.len() + 1,
        );
        class_at(&self.classes, raw)
    }
}

impl Breaks<Decimal> {
    #[inline]
    fn money_class(&self, value: Option<ValueRef<'_>>, currency: Currency) -> Option<usize> {
        let raw = match value {
            None => 2 * self.points.len() + 1,
            Some(ValueRef::Money(m)) if m.currency == currency => {
                cont_class(&self.points, &m.amount)
            }
            Some(_) => return None,
        };
        class_at(&self.classes, raw)
    }
}

#[inline]
fn bool_class(classes: [u16; 3], value: Option<ValueRef<'_>>) -> Option<usize> {
    match value {
        None => bool_key_class(classes, None),
        Some(ValueRef::Bool(b)) => bool_key_class(classes, Some(b)),
        Some(_) => None,
    }
}

#[inline]
fn bool_key_class(classes: [u16; 3], key: Option<bool>) -> Option<usize> {
    let raw = match key {
        None => 2,
        Some(b) => usize::from(b),
    };
    class_at(&classes, raw)
}

/// The class of `v` among sorted breakpoints: `2i` for the open interval below
/// `breaks[i]`, `2i + 1` for the point `breaks[i]`. A few breakpoints are counted
/// without branches (a share or an amount falls on either side at random).
#[inline]
fn cont_class<T: PartialOrd>(breaks: &[T], v: &T) -> usize {
    if breaks.len() <= LINEAR {
        let (mut below, mut equal) = (0, 0);
        for b in breaks {
            below += usize::from(b < v);
            equal |= usize::from(b == v);
        }
        return 2 * below + equal;
    }
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
        // Raw classes 2 and 3 merged; missing is class 5.
        let classes = vec![0, 1, 2, 2, 3, 4, 5];
        let direct = LookupColumn::int(field, starts.clone(), classes.clone());
        assert!(matches!(direct, LookupColumn::IntDirect(_)));
        let search = LookupColumn::Int(Intervals {
            field,
            starts: starts.clone(),
            classes,
        });
        for v in (-20..20).chain([i64::MIN, i64::MAX, i64::MIN + 1]) {
            let record = [Some(Value::Integer(v))];
            assert_eq!(
                direct.class(record.as_slice()),
                search.class(record.as_slice()),
                "{v}"
            );
        }
        assert_eq!(direct.class([Some(Value::Integer(0))].as_slice()), Some(2));
        assert_eq!(direct.class([Some(Value::Integer(1))].as_slice()), Some(2));
        let missing: [Option<Value>; 1] = [None];
        assert_eq!(direct.class(missing.as_slice()), Some(5));
        assert_eq!(search.class(missing.as_slice()), Some(5));
        // A wide span keeps the binary search.
        let wide = LookupColumn::int(field, vec![i64::MIN, 0, 1_000_000], vec![0, 1, 2, 3]);
        assert!(matches!(wide, LookupColumn::Int(_)));
    }

    #[test]
    fn symbol_classes_cover_small_and_large_ids() {
        let field = FieldId::from_index(0).expect("id");
        let symbols = [
            SymbolId::from_index(3),
            SymbolId::from_index(7),
            SymbolId::from_index(5_000),
        ];
        let column = LookupColumn::symbols(field, &symbols, &[0, 1, 1, 2]);
        let class =
            |id: u32| column.class([Some(Value::Symbol(SymbolId::from_index(id)))].as_slice());
        assert_eq!(class(3), Some(0));
        assert_eq!(class(7), Some(1));
        assert_eq!(class(5_000), Some(1));
        assert_eq!(class(4), None);
        assert_eq!(class(5_001), None);
        assert_eq!(column.class([None].as_slice()), Some(2));
    }
}
