//! Load-time analysis of decision tables: rows that can never match, rows that can
//! overlap where the hit policy forbids it, and gaps in tables declared complete.
//!
//! # Method
//!
//! Each input column's domain is cut into *classes*: maximal sets of values that every
//! cell of the column treats alike (for integers, the intervals between the cells'
//! bounds; for symbols, the vocabulary; plus "missing" where a value may be missing).
//! A cell is then a set of classes and a row a box (one set per column). Row *i* is
//! unreachable under `first` when the earlier rows' boxes cover its box, which box
//! subtraction decides exactly. Cells that are not literal tests (e.g. `> other_field`)
//! are treated conservatively: such a row can be shadowed but never shadows, so a
//! reported finding is always real.
//!
//! The same classes give the evaluation fast path (the `lookup` module): when every
//! input is a field, a row index per class, and over a small class space the decision
//! for each combination of classes, precomputed. There the classes are cut over the
//! whole type (not the declared range), with the bounds of the conditions the classes
//! decide added, and classes every row treats alike merged.

use std::collections::HashMap;

use chrono::{Datelike, NaiveDate};

use crate::rules::ast::CmpOp;
use crate::rules::error::{Diagnostic, DiagnosticCode, Severity};
use crate::rules::eval::{self, Context, Hit};
use crate::rules::ir::{Function, Node};
use crate::rules::lookup::{
    Breaks, Dense, FastPath, IndexColumn, Intervals, LookupColumn, CHECK, MAX_DENSE,
    MAX_INDEXED_INPUTS,
};
use crate::rules::raw::HitPolicy;
use crate::rules::schema::{Field, FieldId};
use crate::rules::table::{Cell, CellTest, Input, Table, Test};
use crate::rules::value::{show, SymbolId, Type, Value};

/// The most boxes a subtraction may produce before analysis of a row gives up.
const MAX_PIECES: usize = 20_000;
/// The most gap diagnostics reported for one table.
const MAX_GAPS: usize = 5;
/// The most box operations (and, separately, row pairs) analysis spends on one table
/// before it stops and says what it did not check.
const ANALYSIS_BUDGET: usize = 2_000_000;
/// The most bits the row boxes of one table may hold (32 MiB).
const MAX_ANALYSIS_BITS: usize = 1 << 28;
/// The most row numbers listed in one diagnostic.
const MAX_LISTED: usize = 20;
/// The most words (of 64 rows each) the row index of one table may hold, all inputs
/// together (32 MiB); larger tables are evaluated row by row.
const MAX_INDEX_WORDS: usize = 1 << 22;

pub(crate) struct Analysis {
    pub(crate) diagnostics: Vec<Diagnostic>,
    pub(crate) fast: Option<FastPath>,
}

/// A set of classes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Bits(Vec<u64>);

/// One set of classes per column.
type RowBox = Vec<Bits>;

/// The classes of one column.
#[derive(Clone, Debug)]
pub(crate) enum Domain {
    /// Integers (also days and dates as day numbers): class *i* is
    /// `starts[i]..=starts[i+1]-1`, the last one up to `end`.
    Int { starts: Vec<i64>, end: i64 },
    /// Numbers and money: breakpoints b₀ < b₁ < …; classes alternate open intervals
    /// and points: `(−∞, b₀)`, `{b₀}`, `(b₀, b₁)`, …, `(bₖ, +∞)`.
    Cont { breaks: Vec<Value> },
    /// A vocabulary.
    Sym { symbols: Vec<SymbolId> },
    /// `false`, `true`.
    Bool,
    /// The texts the cells name, then "any other text".
    Text { texts: Vec<String> },
    /// Nothing known: every cell is opaque.
    Opaque,
}

#[derive(Clone, Debug)]
struct Column {
    domain: Domain,
    /// Number of classes of present values.
    present: usize,
    /// Whether a "missing" class follows the present ones.
    missing: bool,
}

/// An interval over a continuous domain: bounds with closedness; `None` is infinite.
#[derive(Clone, Debug)]
struct Interval {
    lo: Option<(Value, bool)>,
    hi: Option<(Value, bool)>,
}

pub(crate) fn analyze(table: &Table) -> Analysis {
    let columns: Vec<Column> = (0..table.inputs.len())
        .map(|c| column(table, c, true))
        .collect();
    // Each row's box holds one bit per class of every input: bound that memory.
    let bits_per_row: usize = columns
        .iter()
        .map(|c| (c.present + usize::from(c.missing)).div_ceil(64) * 64)
        .sum();
    if bits_per_row.saturating_mul(table.rows.len()) > MAX_ANALYSIS_BITS {
        let diagnostics = vec![Diagnostic {
            severity: Severity::Warning,
            code: DiagnosticCode::AnalysisLimit,
            table: table.name.clone(),
            row: None,
            row_name: None,
            message: format!(
                "the table is too large to analyse: its {} rows distinguish too many input values; it was not checked for unreachable rows, overlaps or gaps",
                table.rows.len()
            ),
        }];
        return Analysis {
            diagnostics,
            fast: build_fast(table),
        };
    }
    let boxes: Vec<Option<RowBox>> = table
        .rows
        .iter()
        .map(|row| exact_box(&columns, &row.cells).filter(|_| row.condition.is_none()))
        .collect();
    let over: Vec<RowBox> = table
        .rows
        .iter()
        .map(|row| over_box(&columns, &row.cells))
        .collect();
    let mut diagnostics = Vec::new();
    let diag = |severity, code, row: Option<usize>, message: String| Diagnostic {
        severity,
        code,
        table: table.name.clone(),
        row,
        row_name: row
            .and_then(|r| table.rows.get(r))
            .and_then(|r| r.name.clone()),
        message,
    };

    let mut budget = ANALYSIS_BUDGET;
    let mut gave_up = Vec::new();
    for (i, target) in over.iter().enumerate() {
        if target.iter().any(Bits::is_empty) {
            let column = target.iter().position(Bits::is_empty).unwrap_or(0);
            let name = table.inputs.get(column).map_or("", |c| c.name());
            let cell = table
                .rows
                .get(i)
                .and_then(|r| r.cells.get(column))
                .map_or_else(String::new, |c| c.source.to_string());
            let reason = match table
                .inputs
                .get(column)
                .and_then(Input::field)
                .and_then(|f| table.schema.field(f))
                .and_then(Field::declared_range)
            {
                Some((lo, hi)) => format!("`{name}` is declared in `{lo}..={hi}`"),
                None => format!("no value of `{name}` passes it"),
            };
            diagnostics.push(diag(
                Severity::Warning,
                DiagnosticCode::EmptyRow,
                Some(i),
                format!(
                    "row can never match: its `{name}` cell `{cell}` matches no value, as {reason}"
                ),
            ));
            continue;
        }
        let beaters: Vec<usize> = match table.hit_policy {
            HitPolicy::First => (0..i).collect(),
            HitPolicy::Priority => {
                let rank = table.rows.get(i).map_or(usize::MAX, |r| r.rank);
                (0..table.rows.len())
                    .filter(|&j| {
                        j != i
                            && table
                                .rows
                                .get(j)
                                .is_some_and(|r| r.rank < rank || (r.rank == rank && j < i))
                    })
                    .collect()
            }
            _ => Vec::new(),
        };
        if beaters.is_empty() {
            continue;
        }
        let covering = match cover(target, &beaters, &boxes, &mut budget) {
            Cover::Covered(rows) => rows,
            Cover::Open(_) => continue,
            Cover::GaveUp => {
                gave_up.push(i);
                continue;
            }
        };
        {
            let names = row_list(table, &covering);
            let (code, message) = if table.hit_policy == HitPolicy::First {
                (
                    DiagnosticCode::UnreachableRow,
                    if covering.len() == 1 {
                        format!("row can never match: {names} matches every input it matches, and comes first")
                    } else {
                        format!("row can never match: {names} together match every input it matches, and come first")
                    },
                )
            } else {
                (
                    DiagnosticCode::NeverWins,
                    if covering.len() == 1 {
                        format!("row never wins: {names} matches every input it matches, and wins by priority or order")
                    } else {
                        format!("row never wins: {names} together match every input it matches, and win by priority or order")
                    },
                )
            };
            diagnostics.push(diag(Severity::Warning, code, Some(i), message));
        }
    }

    if !gave_up.is_empty() {
        let mut rows: Vec<String> = gave_up
            .iter()
            .take(MAX_LISTED)
            .map(|r| (r + 1).to_string())
            .collect();
        if gave_up.len() > MAX_LISTED {
            rows.push(format!("and {} more", gave_up.len() - MAX_LISTED));
        }
        diagnostics.push(diag(
            Severity::Warning,
            DiagnosticCode::AnalysisLimit,
            None,
            format!(
                "the table is too large to check every row for reachability exactly; rows {} were not checked",
                rows.join(", ")
            ),
        ));
    }

    if matches!(table.hit_policy, HitPolicy::Unique | HitPolicy::Any) {
        let mut pairs = ANALYSIS_BUDGET;
        'rows: for j in 0..over.len() {
            for i in 0..j {
                pairs = pairs.saturating_sub(1);
                if pairs == 0 {
                    diagnostics.push(diag(
                        Severity::Warning,
                        DiagnosticCode::AnalysisLimit,
                        None,
                        format!(
                            "the table is too large to check every pair of rows for overlaps; rows from {} on were not checked",
                            j + 1
                        ),
                    ));
                    break 'rows;
                }
                let (Some(a), Some(b)) = (over.get(i), over.get(j)) else {
                    continue;
                };
                if table.hit_policy == HitPolicy::Any
                    && table.rows.get(i).map(|r| &r.outputs)
                        == table.rows.get(j).map(|r| &r.outputs)
                {
                    continue;
                }
                if a.iter().zip(b).any(|(x, y)| !x.intersects(y)) {
                    continue;
                }
                let meet: RowBox = a.iter().zip(b).map(|(x, y)| x.and(y)).collect();
                // With literal cells only, the overlap is certain; otherwise it depends
                // on the conditions or non-literal cells.
                let certain =
                    matches!((boxes.get(i), boxes.get(j)), (Some(Some(_)), Some(Some(_))));
                let example = describe(table, &columns, &meet);
                let other = row_list(table, &[i]);
                let policy = if table.hit_policy == HitPolicy::Unique {
                    "under hit policy `unique`"
                } else {
                    "with different outputs under hit policy `any`"
                };
                let (severity, message) = if certain {
                    (
                        Severity::Error,
                        format!("row overlaps {other} {policy}: both match {example}"),
                    )
                } else {
                    (
                        Severity::Warning,
                        format!("row may overlap {other} {policy}: both can match {example}, depending on their conditions or non-literal cells"),
                    )
                };
                diagnostics.push(diag(severity, DiagnosticCode::Overlap, Some(j), message));
            }
        }
    }

    if table.complete {
        let full: RowBox = columns
            .iter()
            .map(|c| Bits::full(c.present + usize::from(c.missing)))
            .collect();
        let all: Vec<usize> = (0..boxes.len()).collect();
        let mut budget = ANALYSIS_BUDGET;
        let gaps = match cover(&full, &all, &boxes, &mut budget) {
            Cover::Covered(_) => Vec::new(),
            Cover::Open(pieces) => pieces,
            Cover::GaveUp => {
                diagnostics.push(diag(
                    Severity::Warning,
                    DiagnosticCode::AnalysisLimit,
                    None,
                    "the table is too large to check for gaps exactly; it was not checked"
                        .to_owned(),
                ));
                Vec::new()
            }
        };
        if !gaps.is_empty() {
            let opaque = boxes.iter().any(Option::is_none);
            for gap in gaps.iter().take(MAX_GAPS) {
                let example = describe(table, &columns, gap);
                let mut message =
                    format!("the table is declared complete, but no row matches {example}");
                if opaque {
                    message
                        .push_str(" (rows with non-literal cells or conditions were not counted)");
                }
                diagnostics.push(diag(Severity::Error, DiagnosticCode::Gap, None, message));
            }
            if gaps.len() > MAX_GAPS {
                diagnostics.push(diag(
                    Severity::Error,
                    DiagnosticCode::Gap,
                    None,
                    format!("and {} more uncovered input regions", gaps.len() - MAX_GAPS),
                ));
            }
        }
    }

    Analysis {
        diagnostics,
        fast: build_fast(table),
    }
}

/// The outcome of subtracting rows from a box.
enum Cover {
    /// Nothing is left; these rows took part.
    Covered(Vec<usize>),
    /// These pieces are left.
    Open(Vec<RowBox>),
    /// The work budget ran out.
    GaveUp,
}

/// Subtracts the boxes of `rows` (in order) from `target`, spending `budget`.
fn cover(target: &RowBox, rows: &[usize], boxes: &[Option<RowBox>], budget: &mut usize) -> Cover {
    // A single row that contains the target is the clearest report.
    for &j in rows {
        *budget = budget.saturating_sub(1);
        if *budget == 0 {
            return Cover::GaveUp;
        }
        if let Some(Some(b)) = boxes.get(j) {
            if target.iter().zip(b).all(|(t, c)| t.is_subset(c)) {
                return Cover::Covered(vec![j]);
            }
        }
    }
    let mut pieces = vec![target.clone()];
    let mut used = Vec::new();
    for &j in rows {
        let Some(Some(b)) = boxes.get(j) else {
            continue;
        };
        let mut changed = false;
        let mut next = Vec::with_capacity(pieces.len());
        for piece in pieces {
            *budget = budget.saturating_sub(1);
            changed |= subtract_into(piece, b, &mut next);
        }
        if *budget == 0 || next.len() > MAX_PIECES {
            return Cover::GaveUp;
        }
        pieces = next;
        if changed {
            used.push(j);
        }
        if pieces.is_empty() {
            return Cover::Covered(used);
        }
    }
    Cover::Open(pieces)
}

/// Pushes the pieces of `a \ b` to `out`; returns whether `b` took anything away.
fn subtract_into(a: RowBox, b: &RowBox, out: &mut Vec<RowBox>) -> bool {
    if a.iter().zip(b).any(|(x, y)| !x.intersects(y)) {
        out.push(a);
        return false;
    }
    let mut prefix: RowBox = a.clone();
    for d in 0..a.len() {
        let (Some(ad), Some(bd)) = (a.get(d), b.get(d)) else {
            break;
        };
        let rest = ad.and_not(bd);
        if !rest.is_empty() {
            let mut piece = prefix.clone();
            if let Some(slot) = piece.get_mut(d) {
                *slot = rest;
            }
            out.push(piece);
        }
        if let Some(slot) = prefix.get_mut(d) {
            *slot = ad.and(bd);
        }
    }
    true
}

fn row_list(table: &Table, rows: &[usize]) -> String {
    let names: Vec<String> = rows
        .iter()
        .map(
            |&r| match table.rows.get(r).and_then(|row| row.name.as_deref()) {
                Some(name) => format!("row {} (`{name}`)", r + 1),
                None => format!("row {}", r + 1),
            },
        )
        .collect();
    match names.as_slice() {
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
        [] => String::new(),
    }
}

/// Describes a box: `` `r_score` = 1, `f_score` in [3..5] `` (full columns left out).
fn describe(table: &Table, columns: &[Column], b: &RowBox) -> String {
    let mut parts = Vec::new();
    for (c, (column, set)) in columns.iter().zip(b).enumerate() {
        let total = column.present + usize::from(column.missing);
        if set.count() == total {
            continue;
        }
        let name = table.inputs.get(c).map_or("", |i| i.name());
        let values = describe_set(table, column, set);
        parts.push(format!("`{name}` {values}"));
    }
    if parts.is_empty() {
        "any input".to_owned()
    } else {
        parts.join(", ")
    }
}

fn describe_set(table: &Table, column: &Column, set: &Bits) -> String {
    let mut items: Vec<String> = Vec::new();
    let classes: Vec<usize> = set.iter().collect();
    let mut k = 0;
    while let Some(&class) = classes.get(k) {
        if column.missing && class == column.present {
            items.push("missing".to_owned());
            k += 1;
            continue;
        }
        match &column.domain {
            Domain::Int { starts, end } => {
                // Merge runs of adjacent classes into one interval.
                let mut last = class;
                while classes.get(k + 1) == Some(&(last + 1)) && last + 1 < column.present {
                    last += 1;
                    k += 1;
                }
                let lo = starts.get(class).copied().unwrap_or(i64::MIN);
                let hi = starts.get(last + 1).map_or(*end, |s| s.saturating_sub(1));
                items.push(int_range_text(lo, hi));
            }
            Domain::Cont { breaks } => {
                // Merge runs of adjacent classes into one interval.
                let mut last = class;
                while classes.get(k + 1) == Some(&(last + 1)) && last + 1 < column.present {
                    last += 1;
                    k += 1;
                }
                items.push(cont_run_text(breaks, class, last));
            }
            Domain::Sym { symbols } => items.push(
                symbols
                    .get(class)
                    .and_then(|id| table.symbol_name(*id))
                    .unwrap_or("?")
                    .to_owned(),
            ),
            Domain::Bool => items.push(if class == 0 { "false" } else { "true" }.to_owned()),
            Domain::Text { texts } => items.push(
                texts
                    .get(class)
                    .map_or_else(|| "any other text".to_owned(), |t| format!("{t:?}")),
            ),
            Domain::Opaque => items.push("some values".to_owned()),
        }
        k += 1;
    }
    match items.as_slice() {
        [one] if one.starts_with('<') || one.starts_with('>') => one.clone(),
        [one] if one.starts_with('[') || one.starts_with('(') => format!("in {one}"),
        [one] => format!("= {one}"),
        _ => format!("in {{{}}}", items.join(", ")),
    }
}

fn int_range_text(lo: i64, hi: i64) -> String {
    match (lo, hi) {
        (i64::MIN, i64::MAX) => "any integer".to_owned(),
        (i64::MIN, hi) => format!("<= {hi}"),
        (lo, i64::MAX) => format!(">= {lo}"),
        (lo, hi) if lo == hi => lo.to_string(),
        (lo, hi) => format!("[{lo}..{hi}]"),
    }
}

/// Describes the classes `first..=last` of a continuous domain as one interval.
fn cont_run_text(breaks: &[Value], first: usize, last: usize) -> String {
    let show = |v: &Value| show(Some(v), &|_| None);
    // Class 2i + 1 is the point breaks[i]; class 2i is the open interval below it.
    let low = if first % 2 == 1 {
        breaks.get(first / 2).map(|b| (b, true))
    } else {
        first
            .checked_sub(1)
            .and_then(|i| breaks.get(i / 2))
            .map(|b| (b, false))
    };
    let high = if last % 2 == 1 {
        breaks.get(last / 2).map(|b| (b, true))
    } else {
        breaks.get(last / 2).map(|b| (b, false))
    };
    match (low, high) {
        (None, None) => "any value".to_owned(),
        (None, Some((hi, closed))) => format!("{} {}", if closed { "<=" } else { "<" }, show(hi)),
        (Some((lo, closed)), None) => format!("{} {}", if closed { ">=" } else { ">" }, show(lo)),
        (Some((point, true)), Some(_)) if first == last => show(point),
        (Some((lo, lo_closed)), Some((hi, hi_closed))) => format!(
            "{}{}..{}{}",
            if lo_closed { "[" } else { "(" },
            show(lo),
            show(hi),
            if hi_closed { "]" } else { ")" }
        ),
    }
}

/// Builds column `c`'s classes. `declared` restricts integer domains to the field's
/// declared range (analysis); the fast path uses the full range.
fn column(table: &Table, c: usize, declared: bool) -> Column {
    let Some(input) = table.inputs.get(c) else {
        return Column {
            domain: Domain::Opaque,
            present: 0,
            missing: true,
        };
    };
    let field = input.field().and_then(|f| table.schema.field(f));
    let missing = field.map_or(true, Field::is_optional);
    let cells = || table.rows.iter().filter_map(move |r| r.cells.get(c));
    let tests = || {
        cells().flat_map(|cell| match &cell.test {
            CellTest::Any => [].iter(),
            CellTest::AnyOf(t) | CellTest::NoneOf(t) => t.iter(),
        })
    };
    let domain = match input.ty() {
        Type::Integer | Type::Days | Type::Date => {
            let (lo, hi) = match field.and_then(Field::declared_range) {
                Some(range) if declared => range,
                _ => (i64::MIN, i64::MAX),
            };
            let mut cuts = vec![lo];
            for test in tests() {
                for (a, b) in int_intervals(test, lo, hi).unwrap_or_default() {
                    for cut in [Some(a), b.checked_add(1)].into_iter().flatten() {
                        if lo < cut && cut <= hi {
                            cuts.push(cut);
                        }
                    }
                }
            }
            cuts.sort_unstable();
            cuts.dedup();
            Domain::Int {
                starts: cuts,
                end: hi,
            }
        }
        Type::Number | Type::Money(_) => {
            let mut breaks: Vec<Value> = Vec::new();
            for test in tests() {
                for interval in cont_intervals(test).unwrap_or_default() {
                    for (v, _) in [interval.lo, interval.hi].into_iter().flatten() {
                        breaks.push(v);
                    }
                }
            }
            breaks.sort_by(|a, b| {
                eval::order(a.as_ref(), b.as_ref()).unwrap_or(std::cmp::Ordering::Equal)
            });
            breaks.dedup_by(|a, b| {
                eval::order(a.as_ref(), b.as_ref()) == Some(std::cmp::Ordering::Equal)
            });
            Domain::Cont { breaks }
        }
        Type::Symbol => match input.checked_ty().vocab {
            Some(f) => Domain::Sym {
                symbols: table.schema.vocabulary(f).to_vec(),
            },
            None => Domain::Opaque,
        },
        Type::Bool => Domain::Bool,
        Type::Text => {
            let mut texts: Vec<String> = Vec::new();
            for test in tests() {
                if let Test::Cmp(CmpOp::Eq | CmpOp::Ne, Node::Const(Value::Text(t))) = test {
                    if !texts.contains(t) {
                        texts.push(t.clone());
                    }
                }
            }
            Domain::Text { texts }
        }
        _ => Domain::Opaque,
    };
    let present = match &domain {
        Domain::Int { starts, .. } => starts.len(),
        Domain::Cont { breaks } => 2 * breaks.len() + 1,
        Domain::Sym { symbols } => symbols.len(),
        Domain::Bool => 2,
        Domain::Text { texts } => texts.len() + 1,
        Domain::Opaque => 1,
    };
    Column {
        domain,
        present,
        missing,
    }
}

/// The closed integer intervals a test accepts, clipped to `lo..=hi`; `None` when the
/// test is not a literal test.
fn int_intervals(test: &Test, lo: i64, hi: i64) -> Option<Vec<(i64, i64)>> {
    let key = |node: &Node| match node {
        Node::Const(Value::Integer(v) | Value::Days(v)) => Some(*v),
        Node::Const(Value::Date(d)) => Some(i64::from(d.num_days_from_ce())),
        _ => None,
    };
    let raw = match test {
        Test::IntRange(a, b) => vec![(*a, *b)],
        Test::IsMissing(_) => return Some(Vec::new()),
        Test::Cmp(op, node) => {
            let k = key(node)?;
            match op {
                CmpOp::Eq => vec![(k, k)],
                CmpOp::Ne => {
                    let mut v = Vec::new();
                    if let Some(b) = k.checked_sub(1) {
                        v.push((i64::MIN, b));
                    }
                    if let Some(a) = k.checked_add(1) {
                        v.push((a, i64::MAX));
                    }
                    v
                }
                CmpOp::Lt => k
                    .checked_sub(1)
                    .map(|b| (i64::MIN, b))
                    .into_iter()
                    .collect(),
                CmpOp::Le => vec![(i64::MIN, k)],
                CmpOp::Gt => k
                    .checked_add(1)
                    .map(|a| (a, i64::MAX))
                    .into_iter()
                    .collect(),
                CmpOp::Ge => vec![(k, i64::MAX)],
            }
        }
        Test::Range {
            low,
            low_closed,
            high,
            high_closed,
        } => {
            let a = key(low)?;
            let b = key(high)?;
            let a = if *low_closed {
                Some(a)
            } else {
                a.checked_add(1)
            };
            let b = if *high_closed {
                Some(b)
            } else {
                b.checked_sub(1)
            };
            match (a, b) {
                (Some(a), Some(b)) if a <= b => vec![(a, b)],
                _ => Vec::new(),
            }
        }
    };
    Some(
        raw.into_iter()
            .filter_map(|(a, b)| {
                let (a, b) = (a.max(lo), b.min(hi));
                (a <= b).then_some((a, b))
            })
            .collect(),
    )
}

fn cont_intervals(test: &Test) -> Option<Vec<Interval>> {
    let key = |node: &Node| match node {
        Node::Const(v @ (Value::Integer(_) | Value::Number(_) | Value::Money(_))) => {
            Some(v.clone())
        }
        _ => None,
    };
    Some(match test {
        Test::IsMissing(_) => Vec::new(),
        Test::IntRange(a, b) => vec![Interval {
            lo: (*a != i64::MIN).then_some((Value::Integer(*a), true)),
            hi: (*b != i64::MAX).then_some((Value::Integer(*b), true)),
        }],
        Test::Cmp(op, node) => {
            let k = key(node)?;
            match op {
                CmpOp::Eq => vec![Interval {
                    lo: Some((k.clone(), true)),
                    hi: Some((k, true)),
                }],
                CmpOp::Ne => vec![
                    Interval {
                        lo: None,
                        hi: Some((k.clone(), false)),
                    },
                    Interval {
                        lo: Some((k, false)),
                        hi: None,
                    },
                ],
                CmpOp::Lt => vec![Interval {
                    lo: None,
                    hi: Some((k, false)),
                }],
                CmpOp::Le => vec![Interval {
                    lo: None,
                    hi: Some((k, true)),
                }],
                CmpOp::Gt => vec![Interval {
                    lo: Some((k, false)),
                    hi: None,
                }],
                CmpOp::Ge => vec![Interval {
                    lo: Some((k, true)),
                    hi: None,
                }],
            }
        }
        Test::Range {
            low,
            low_closed,
            high,
            high_closed,
        } => vec![Interval {
            lo: Some((key(low)?, *low_closed)),
            hi: Some((key(high)?, *high_closed)),
        }],
    })
}

/// The classes of `column` a cell accepts; `None` when the cell is not literal.
fn cell_set(column: &Column, cell: &Cell) -> Option<Bits> {
    let total = column.present + usize::from(column.missing);
    let missing_bit = column.missing.then_some(column.present);
    match &cell.test {
        CellTest::Any => Some(Bits::full(total)),
        CellTest::AnyOf(tests) => {
            let mut set = Bits::empty(total);
            for test in tests {
                set = set.or(&test_set(column, test, missing_bit)?);
            }
            Some(set)
        }
        CellTest::NoneOf(tests) => {
            let mut set = Bits::empty(total);
            for test in tests {
                set = set.or(&test_set(column, test, missing_bit)?);
            }
            let mut present = Bits::full(total);
            if let Some(m) = missing_bit {
                present.unset(m);
            }
            Some(present.and_not(&set))
        }
    }
}

fn test_set(column: &Column, test: &Test, missing_bit: Option<usize>) -> Option<Bits> {
    let total = column.present + usize::from(column.missing);
    let mut set = Bits::empty(total);
    if let Test::IsMissing(negated) = test {
        if *negated {
            set = Bits::full(total);
            if let Some(m) = missing_bit {
                set.unset(m);
            }
        } else if let Some(m) = missing_bit {
            set.set(m);
        }
        return Some(set);
    }
    match &column.domain {
        Domain::Int { starts, end } => {
            let lo = starts.first().copied().unwrap_or(i64::MIN);
            for (a, b) in int_intervals(test, lo, *end)? {
                for (class, &start) in starts.iter().enumerate() {
                    let class_end = starts.get(class + 1).map_or(*end, |s| s.saturating_sub(1));
                    if a <= start && class_end <= b {
                        set.set(class);
                    }
                }
            }
        }
        Domain::Cont { breaks } => {
            for interval in cont_intervals(test)? {
                for class in 0..column.present {
                    if cont_class_in(breaks, class, &interval) {
                        set.set(class);
                    }
                }
            }
        }
        Domain::Sym { symbols } => {
            let Test::Cmp(op @ (CmpOp::Eq | CmpOp::Ne), Node::Const(Value::Symbol(id))) = test
            else {
                return None;
            };
            for (class, s) in symbols.iter().enumerate() {
                if (s == id) == (*op == CmpOp::Eq) {
                    set.set(class);
                }
            }
        }
        Domain::Bool => {
            let Test::Cmp(op @ (CmpOp::Eq | CmpOp::Ne), Node::Const(Value::Bool(b))) = test else {
                return None;
            };
            for class in 0..2 {
                if ((class == 1) == *b) == (*op == CmpOp::Eq) {
                    set.set(class);
                }
            }
        }
        Domain::Text { texts } => {
            let Test::Cmp(op @ (CmpOp::Eq | CmpOp::Ne), Node::Const(Value::Text(t))) = test else {
                return None;
            };
            for class in 0..column.present {
                let equal = texts.get(class) == Some(t);
                if equal == (*op == CmpOp::Eq) {
                    set.set(class);
                }
            }
        }
        Domain::Opaque => return None,
    }
    Some(set)
}

fn cont_class_in(breaks: &[Value], class: usize, interval: &Interval) -> bool {
    use std::cmp::Ordering::{Equal, Greater, Less};
    let ord = |a: &Value, b: &Value| eval::order(a.as_ref(), b.as_ref()).unwrap_or(Equal);
    if class % 2 == 1 {
        let Some(point) = breaks.get(class / 2) else {
            return false;
        };
        let above = match &interval.lo {
            None => true,
            Some((lo, closed)) => match ord(point, lo) {
                Greater => true,
                Equal => *closed,
                Less => false,
            },
        };
        let below = match &interval.hi {
            None => true,
            Some((hi, closed)) => match ord(point, hi) {
                Less => true,
                Equal => *closed,
                Greater => false,
            },
        };
        return above && below;
    }
    // The open class between breaks[class/2 - 1] and breaks[class/2].
    let a = class.checked_sub(1).and_then(|i| breaks.get(i / 2));
    let b = breaks.get(class / 2);
    let lower_ok = match (&interval.lo, a) {
        (None, _) => true,
        (Some(_), None) => false,
        (Some((lo, _)), Some(a)) => ord(lo, a) != Greater,
    };
    let upper_ok = match (&interval.hi, b) {
        (None, _) => true,
        (Some(_), None) => false,
        (Some((hi, _)), Some(b)) => ord(hi, b) != Less,
    };
    lower_ok && upper_ok
}

/// The exact box of a row, or `None` when a cell is not literal.
fn exact_box(columns: &[Column], cells: &[Cell]) -> Option<RowBox> {
    columns
        .iter()
        .zip(cells)
        .map(|(column, cell)| cell_set(column, cell))
        .collect()
}

/// A box containing every input the row can match (non-literal cells: everything).
fn over_box(columns: &[Column], cells: &[Cell]) -> RowBox {
    columns
        .iter()
        .zip(cells)
        .map(|(column, cell)| {
            cell_set(column, cell)
                .unwrap_or_else(|| Bits::full(column.present + usize::from(column.missing)))
        })
        .collect()
}

/// Builds the row index (and the dense table when the class space is small), when
/// every input is a bare field.
fn build_fast(table: &Table) -> Option<FastPath> {
    if table.inputs.is_empty() || table.inputs.len() > MAX_INDEXED_INPUTS {
        return None;
    }
    let n_rows = table.rows.len();
    let words = n_rows.div_ceil(64);
    let fields: Vec<FieldId> = table
        .inputs
        .iter()
        .map(Input::field)
        .collect::<Option<_>>()?;
    let kinds: Vec<InputKind> = table.inputs.iter().map(InputKind::of).collect();
    // Conditions the classes can decide, and the bounds they add to the columns.
    let mut cuts: Vec<Vec<i64>> = vec![Vec::new(); fields.len()];
    let mut read = vec![false; fields.len()];
    let decided: Vec<bool> = table
        .rows
        .iter()
        .map(|row| {
            let Some(condition) = &row.condition else {
                return false;
            };
            let mut found = ConditionInputs::default();
            if !found.visit(&condition.node, &fields, &kinds) {
                return false;
            }
            for (column, cut) in found.cuts {
                if let Some(list) = cuts.get_mut(column) {
                    list.push(cut);
                }
            }
            for column in found.read {
                if let Some(flag) = read.get_mut(column) {
                    *flag = true;
                }
            }
            true
        })
        .collect();

    let mut columns = Vec::with_capacity(table.inputs.len());
    let mut representatives = Vec::with_capacity(table.inputs.len());
    let mut index_words: usize = 0;
    // Rows whose cells are all literal tests.
    let mut literal = Bits::full(n_rows);
    for (c, input) in table.inputs.iter().enumerate() {
        let field = fields.get(c).copied()?;
        // The fast path must be right for any value, so the class space spans the
        // whole type (not the declared range) and always has a "missing" class.
        let mut column = column(table, c, false);
        column.missing = true;
        if let Domain::Int { starts, .. } = &mut column.domain {
            starts.extend(cuts.get(c).into_iter().flatten().copied());
            starts.sort_unstable();
            starts.dedup();
            column.present = starts.len();
        }
        let raw_classes = column.present + 1;
        let mut sets = vec![Bits::empty(n_rows); raw_classes];
        for (index, row) in table.rows.iter().enumerate() {
            let literal_set = row.cells.get(c).and_then(|cell| cell_set(&column, cell));
            let accepted = literal_set.unwrap_or_else(|| {
                // A cell that is not a literal test: a candidate in every class,
                // checked in full when it comes up.
                literal.unset(index);
                Bits::full(raw_classes)
            });
            for class in accepted.iter() {
                if let Some(set) = sets.get_mut(class) {
                    set.set(index);
                }
            }
        }
        // Classes every row treats alike are one class, unless a condition the classes
        // decide reads the column (it may tell them apart).
        let mut merged: Vec<u16> = Vec::with_capacity(raw_classes);
        let mut kept: Vec<usize> = Vec::new();
        for (raw, set) in sets.iter().enumerate() {
            let same = if read.get(c).copied().unwrap_or(false) {
                None
            } else {
                kept.iter()
                    .position(|&k| sets.get(k).is_some_and(|other| other == set))
            };
            let class = same.unwrap_or_else(|| {
                kept.push(raw);
                kept.len() - 1
            });
            merged.push(u16::try_from(class).ok()?);
        }
        let classes = kept.len();
        let lookup_column = match &column.domain {
            Domain::Int { starts, .. } if matches!(input.ty(), Type::Integer | Type::Days) => {
                LookupColumn::int(field, starts.clone(), merged)
            }
            Domain::Int { starts, .. } if input.ty() == Type::Date => {
                LookupColumn::Date(Intervals {
                    field,
                    starts: starts.clone(),
                    classes: merged,
                })
            }
            Domain::Cont { breaks } => match input.ty() {
                Type::Number => LookupColumn::Number(Breaks {
                    field,
                    points: breaks
                        .iter()
                        .map(|b| match b {
                            Value::Integer(i) => Some(*i as f64),
                            Value::Number(n) => Some(*n),
                            _ => None,
                        })
                        .collect::<Option<_>>()?,
                    classes: merged,
                }),
                Type::Money(currency) => LookupColumn::Money(
                    Breaks {
                        field,
                        points: breaks
                            .iter()
                            .map(|b| match b {
                                Value::Money(m) if m.currency == currency => Some(m.amount),
                                _ => None,
                            })
                            .collect::<Option<_>>()?,
                        classes: merged,
                    },
                    currency,
                ),
                _ => return None,
            },
            Domain::Sym { symbols } => LookupColumn::symbols(field, symbols, &merged),
            Domain::Bool => LookupColumn::Bool {
                field,
                classes: [
                    merged.first().copied()?,
                    merged.get(1).copied()?,
                    merged.get(2).copied()?,
                ],
            },
            _ => return None,
        };
        index_words = index_words.checked_add(classes.checked_mul(words)?)?;
        if index_words > MAX_INDEX_WORDS {
            return None;
        }
        let mut flat = vec![0u64; words * classes];
        for (class, &raw) in kept.iter().enumerate() {
            let Some(set) = sets.get(raw) else { continue };
            for (word, bits) in set.0.iter().enumerate() {
                if let Some(slot) = flat.get_mut(word * classes + class) {
                    *slot = *bits;
                }
            }
        }
        // What each class is, for the conditions the classes decide.
        representatives.push(if read.get(c).copied().unwrap_or(false) {
            kept.iter()
                .map(|&raw| representative(&column.domain, input.ty(), raw))
                .collect()
        } else {
            Vec::new()
        });
        columns.push(IndexColumn {
            column: lookup_column,
            classes,
            stride: 1,
            sets: flat,
        });
    }
    // Row-major positions, the last input fastest.
    let mut stride: u64 = 1;
    for column in columns.iter_mut().rev() {
        column.stride = stride;
        stride = stride.saturating_mul(column.classes as u64);
    }
    let mut exact = literal.clone();
    for (index, row) in table.rows.iter().enumerate() {
        if row.condition.is_some() {
            exact.unset(index);
        }
    }
    let mut fast = FastPath {
        columns,
        words,
        exact: exact.0,
        dense: None,
    };
    let decided: Vec<bool> = decided
        .iter()
        .enumerate()
        .map(|(row, d)| *d && literal.contains(row))
        .collect();
    fast.dense = build_dense(table, &fast, &decided, &fields, &representatives);
    Some(fast)
}

/// How an input's classes relate to its values, for the conditions the classes decide.
#[derive(Clone, Copy, PartialEq, Eq)]
enum InputKind {
    /// Integer or days intervals: comparisons with constants need their bounds as cuts.
    Int,
    /// One value per class (bool, symbol): any expression of it has one value per class.
    Single,
    /// Anything else: a condition reading it is checked in full.
    Other,
}

impl InputKind {
    fn of(input: &Input) -> InputKind {
        match input.ty() {
            Type::Integer | Type::Days => InputKind::Int,
            Type::Bool | Type::Symbol => InputKind::Single,
            _ => InputKind::Other,
        }
    }
}

/// The inputs a condition reads and the integer bounds it compares them with.
#[derive(Default)]
struct ConditionInputs {
    /// `(input column, cut)`: a class must start at `cut`.
    cuts: Vec<(usize, i64)>,
    /// The input columns the condition reads.
    read: Vec<usize>,
}

impl ConditionInputs {
    /// Whether `node` has one value per combination of the inputs' classes once the
    /// cuts found are added: it reads only inputs of the table (each read by one
    /// column), integer and days inputs only compared with integer or days constants
    /// (directly, or through `coalesce` with constants), and it does not depend on
    /// `as_of`.
    fn visit(&mut self, node: &Node, fields: &[FieldId], kinds: &[InputKind]) -> bool {
        match node {
            Node::Const(_) | Node::Missing => true,
            Node::Field(field) => self.column(*field, fields, kinds) == Some(InputKind::Single),
            Node::CmpFieldInt { field, op, value } => {
                self.compare(*field, *op, *value, fields, kinds)
            }
            Node::Cmp { op, left, right } => {
                if let (Some(k), Some(operands)) = (int_constant(right), int_operand(left)) {
                    return operands
                        .iter()
                        .all(|f| self.compare(*f, *op, k, fields, kinds));
                }
                if let (Some(k), Some(operands)) = (int_constant(left), int_operand(right)) {
                    let flipped = flip(*op);
                    return operands
                        .iter()
                        .all(|f| self.compare(*f, flipped, k, fields, kinds));
                }
                self.visit(left, fields, kinds) && self.visit(right, fields, kinds)
            }
            Node::IsMissing { value, .. } => match value.as_ref() {
                // Missing is a class of its own.
                Node::Field(field) => matches!(
                    self.column(*field, fields, kinds),
                    Some(InputKind::Int | InputKind::Single)
                ),
                other => self.visit(other, fields, kinds),
            },
            Node::Not(inner) | Node::Neg(inner) => self.visit(inner, fields, kinds),
            Node::And(items) | Node::Or(items) => {
                items.iter().all(|item| self.visit(item, fields, kinds))
            }
            Node::Call(Function::DaysSince | Function::DaysUntil | Function::AsOf, _) => false,
            Node::Call(_, items) => items.iter().all(|item| self.visit(item, fields, kinds)),
            Node::Arith { left, right, .. }
            | Node::InSet {
                value: left,
                set: right,
                ..
            } => self.visit(left, fields, kinds) && self.visit(right, fields, kinds),
            Node::InList { value, items, .. } => {
                self.visit(value, fields, kinds)
                    && items.iter().all(|item| self.visit(item, fields, kinds))
            }
            Node::Between { value, low, high } => {
                self.visit(value, fields, kinds)
                    && self.visit(low, fields, kinds)
                    && self.visit(high, fields, kinds)
            }
        }
    }

    /// Records `field op k` for an integer or days input.
    fn compare(
        &mut self,
        field: FieldId,
        op: CmpOp,
        k: i64,
        fields: &[FieldId],
        kinds: &[InputKind],
    ) -> bool {
        if self.column(field, fields, kinds) != Some(InputKind::Int) {
            return false;
        }
        let Some(column) = fields.iter().position(|f| *f == field) else {
            return false;
        };
        let test = Test::Cmp(op, Node::Const(Value::Integer(k)));
        for (a, b) in int_intervals(&test, i64::MIN, i64::MAX).unwrap_or_default() {
            for cut in [Some(a), b.checked_add(1)].into_iter().flatten() {
                if cut > i64::MIN {
                    self.cuts.push((column, cut));
                }
            }
        }
        true
    }

    /// The kind of the one input column reading `field` (noting it as read), or
    /// `None` when no column or several read it.
    fn column(
        &mut self,
        field: FieldId,
        fields: &[FieldId],
        kinds: &[InputKind],
    ) -> Option<InputKind> {
        let mut found = fields.iter().enumerate().filter(|(_, f)| **f == field);
        let (column, _) = found.next()?;
        if found.next().is_some() {
            return None;
        }
        let kind = kinds.get(column).copied()?;
        if kind == InputKind::Other {
            return None;
        }
        if !self.read.contains(&column) {
            self.read.push(column);
        }
        Some(kind)
    }
}

/// An integer or days constant.
fn int_constant(node: &Node) -> Option<i64> {
    match node {
        Node::Const(Value::Integer(k) | Value::Days(k)) => Some(*k),
        _ => None,
    }
}

/// The fields of an operand whose comparison with an integer constant has one value
/// per class: a field, or `coalesce` of fields and constants.
fn int_operand(node: &Node) -> Option<Vec<FieldId>> {
    match node {
        Node::Field(field) => Some(vec![*field]),
        Node::Call(Function::Coalesce, args) => args
            .iter()
            .filter_map(|arg| match arg {
                Node::Field(field) => Some(Some(*field)),
                Node::Const(_) | Node::Missing => None,
                _ => Some(None),
            })
            .collect(),
        _ => None,
    }
}

/// `k op x` as `x op' k`.
fn flip(op: CmpOp) -> CmpOp {
    match op {
        CmpOp::Lt => CmpOp::Gt,
        CmpOp::Le => CmpOp::Ge,
        CmpOp::Gt => CmpOp::Lt,
        CmpOp::Ge => CmpOp::Le,
        other => other,
    }
}

/// A value of raw class `raw` of a column of type `ty` (`None`: the missing class).
fn representative(domain: &Domain, ty: Type, raw: usize) -> Option<Value> {
    match domain {
        Domain::Int { starts, .. } => {
            let start = *starts.get(raw)?;
            Some(if ty == Type::Days {
                Value::Days(start)
            } else {
                Value::Integer(start)
            })
        }
        Domain::Bool => (raw < 2).then_some(Value::Bool(raw == 1)),
        Domain::Sym { symbols } => symbols.get(raw).map(|s| Value::Symbol(*s)),
        _ => None,
    }
}

/// The most word operations (`and`s of row sets) spent precomputing one dense table.
const DENSE_BUDGET: usize = 1 << 24;

/// Precomputes the decision for every class combination, for single-hit policies over
/// a small class space. `decided` marks the rows whose condition the classes decide
/// (evaluated on `representatives`, per input the value of each class where a
/// condition reads it); a combination where another row with a condition or a
/// non-literal cell can decide is [`CHECK`].
fn build_dense(
    table: &Table,
    fast: &FastPath,
    decided: &[bool],
    fields: &[FieldId],
    representatives: &[Vec<Option<Value>>],
) -> Option<Dense> {
    let n_rows = table.rows.len();
    if !matches!(
        table.hit_policy,
        HitPolicy::First | HitPolicy::Unique | HitPolicy::Any | HitPolicy::Priority
    ) {
        return None;
    }
    let mut size: usize = 1;
    for column in &fast.columns {
        size = size.checked_mul(column.classes)?;
        if size > MAX_DENSE {
            return None;
        }
    }
    if size.saturating_mul(fast.columns.len().saturating_mul(fast.words.max(1))) > DENSE_BUDGET {
        return None;
    }
    // Conditions the classes decide do not read `as_of`: any date does.
    let ctx = Context::new(NaiveDate::MIN);
    let mut record: Vec<Option<Value>> = vec![None; table.schema.len()];
    let mut codes = Vec::with_capacity(size);
    let mut hits: Vec<Hit> = Vec::new();
    let mut known: HashMap<Hit, u16> = HashMap::new();
    let mut classes = vec![0usize; fast.columns.len()];
    let mut acc = vec![0u64; fast.words];
    let mut matching = Vec::new();
    for _ in 0..size {
        acc.fill(u64::MAX);
        for (column, &class) in fast.columns.iter().zip(&classes) {
            for (word, a) in acc.iter_mut().enumerate() {
                *a &= column.word(word, class);
            }
        }
        for ((field, values), &class) in fields.iter().zip(representatives).zip(&classes) {
            if let (Some(slot), Some(value)) = (record.get_mut(field.index()), values.get(class)) {
                slot.clone_from(value);
            }
        }
        matching.clear();
        let mut check = false;
        for row in Bits(acc.clone()).iter().filter(|&row| row < n_rows) {
            let matches = if fast.is_exact(row) {
                true
            } else if decided.get(row).copied().unwrap_or(false) {
                table
                    .rows
                    .get(row)
                    .and_then(|r| r.condition.as_ref())
                    .is_some_and(|c| eval::truth(&c.node, record.as_slice(), ctx) == Some(true))
            } else {
                check = true;
                break;
            };
            if matches {
                matching.push(row);
                if table.hit_policy == HitPolicy::First {
                    break;
                }
            }
        }
        let code = if check {
            CHECK
        } else {
            let hit = decide_classes(table, matching.iter().copied());
            if let Some(code) = known.get(&hit) {
                *code
            } else {
                let code = u16::try_from(hits.len()).ok().filter(|c| *c < CHECK)?;
                hits.push(hit);
                known.insert(hit, code);
                code
            }
        };
        codes.push(code);
        // Next combination, last column fastest.
        for (k, column) in fast.columns.iter().enumerate().rev() {
            if let Some(class) = classes.get_mut(k) {
                *class += 1;
                if *class < column.classes {
                    break;
                }
                *class = 0;
            }
        }
    }
    // A table where every combination needs the index gains nothing from it.
    if codes.iter().all(|c| *c == CHECK) {
        return None;
    }
    Some(Dense { codes, hits })
}

/// The hit-policy decision for the rows matching one class combination.
fn decide_classes(table: &Table, mut matching: impl Iterator<Item = usize>) -> Hit {
    let Some(first) = matching.next() else {
        return if table.default.is_some() {
            Hit::Default
        } else {
            Hit::NoMatch
        };
    };
    let mut best = first;
    for index in matching {
        match table.hit_policy {
            HitPolicy::First => break,
            HitPolicy::Unique => {
                return Hit::Conflict {
                    first,
                    second: index,
                }
            }
            HitPolicy::Any
                if table.rows.get(first).map(|r| &r.outputs)
                    != table.rows.get(index).map(|r| &r.outputs) =>
            {
                return Hit::Conflict {
                    first,
                    second: index,
                };
            }
            HitPolicy::Priority => {
                let rank = |i: usize| table.rows.get(i).map_or(usize::MAX, |r| r.rank);
                if rank(index) < rank(best) {
                    best = index;
                }
            }
            _ => {}
        }
    }
    Hit::Row(best)
}

impl Bits {
    pub(crate) fn empty(n: usize) -> Bits {
        Bits(vec![0; n.div_ceil(64)])
    }

    pub(crate) fn full(n: usize) -> Bits {
        let mut bits = Bits::empty(n);
        for i in 0..n {
            bits.set(i);
        }
        bits
    }

    pub(crate) fn set(&mut self, i: usize) {
        if let Some(word) = self.0.get_mut(i / 64) {
            *word |= 1 << (i % 64);
        }
    }

    pub(crate) fn unset(&mut self, i: usize) {
        if let Some(word) = self.0.get_mut(i / 64) {
            *word &= !(1 << (i % 64));
        }
    }

    fn and(&self, other: &Bits) -> Bits {
        Bits(self.0.iter().zip(&other.0).map(|(a, b)| a & b).collect())
    }

    fn or(&self, other: &Bits) -> Bits {
        Bits(self.0.iter().zip(&other.0).map(|(a, b)| a | b).collect())
    }

    fn and_not(&self, other: &Bits) -> Bits {
        Bits(self.0.iter().zip(&other.0).map(|(a, b)| a & !b).collect())
    }

    fn intersects(&self, other: &Bits) -> bool {
        self.0.iter().zip(&other.0).any(|(a, b)| a & b != 0)
    }

    fn is_empty(&self) -> bool {
        self.0.iter().all(|w| *w == 0)
    }

    fn contains(&self, i: usize) -> bool {
        self.0.get(i / 64).is_some_and(|w| w & (1 << (i % 64)) != 0)
    }

    fn is_subset(&self, other: &Bits) -> bool {
        self.0.iter().zip(&other.0).all(|(a, b)| a & !b == 0)
    }

    fn count(&self) -> usize {
        self.0.iter().map(|w| w.count_ones() as usize).sum()
    }

    pub(crate) fn iter(&self) -> impl Iterator<Item = usize> + '_ {
        self.0.iter().enumerate().flat_map(|(k, &w)| {
            (0..64)
                .filter(move |b| w & (1u64 << b) != 0)
                .map(move |b| k * 64 + b)
        })
    }
}

#[cfg(test)]
mod tests {
    use crate::money::Currency;
    use crate::rules::lookup::CHECK;
    use crate::rules::{Field, Hit, Schema, Table, TableDoc};

    fn table(schema: &Schema, text: &str) -> Table {
        let doc: TableDoc = toml::from_str(text).expect("document");
        Table::compile(&doc, schema).expect("table")
    }

    #[test]
    fn fast_paths_are_chosen() {
        let schema = Schema::from_fields([
            Field::integer("n"),
            Field::number("x"),
            Field::money("m", Currency::CNY),
            Field::date("d"),
            Field::symbol("s", ["a", "b"]),
        ])
        .expect("schema");
        let small = table(
            &schema,
            r#"name = "t"
               inputs = ["n", "s"]
               rows = [{ when = ["<= 3", "a"] }, { when = ["> 3", "-"] }]"#,
        );
        let fast = small.fast.as_ref().expect("index");
        assert!(fast.dense.is_some());
        // `n`: (-inf..3], [4..inf), missing; `s`: a, then b and missing (which every
        // row treats alike).
        assert_eq!(fast.dense.as_ref().map(|d| d.codes.len()), Some(6));

        let continuous = table(
            &schema,
            r#"name = "t"
               inputs = ["x", "m", "d"]
               rows = [{ when = ["< 0.5", "[1 CNY..2 CNY)", ">= 2024-01-01"] }]"#,
        );
        assert!(continuous.fast.is_some());

        let guarded = table(
            &schema,
            r#"name = "t"
               inputs = ["n"]
               rows = [{ when = ["< 1"], condition = "x > 0" }, { when = ["-"] }]"#,
        );
        let fast = guarded.fast.as_ref().expect("index");
        assert!(!fast.is_exact(0) && fast.is_exact(1));
        // `n < 1` reaches the guarded row, whose condition reads a field that is not
        // an input: the index decides; `n >= 1` and a missing `n` only reach row 2.
        let dense = fast.dense.as_ref().expect("dense");
        assert_eq!(dense.codes, vec![CHECK, 0]);
        assert_eq!(dense.hits, vec![Hit::Row(1)]);

        let expression = table(
            &schema,
            r#"name = "t"
               inputs = ["n + 1"]
               rows = [{ when = ["< 1"] }]"#,
        );
        assert!(expression.fast.is_none());
    }

    #[test]
    fn conditions_over_the_inputs_are_decided_per_class() {
        let schema = Schema::from_fields([
            Field::days("recency").optional(),
            Field::days("quiet").optional(),
            Field::integer("n"),
        ])
        .expect("schema");
        let guarded = table(
            &schema,
            r#"name = "t"
               inputs = ["recency", "quiet"]
               rows = [
                   { when = ["> 90", "-"], condition = "not (recency > 180 and coalesce(quiet, 180 days) >= 180 days)" },
                   { when = ["> 180", ">= 180, is missing"] },
               ]"#,
        );
        let fast = guarded.fast.as_ref().expect("index");
        let dense = fast.dense.as_ref().expect("dense");
        assert!(!dense.codes.contains(&CHECK), "{:?}", dense.codes);
        // `recency`: cut at 91 and 181; `quiet`: at 180 (cells and condition alike).
        let classes: Vec<usize> = fast.columns.iter().map(|c| c.classes).collect();
        assert_eq!(classes, vec![4, 3]);
        // A condition reading a field that is not an input stays checked in full.
        let other = table(
            &schema,
            r#"name = "t"
               inputs = ["recency"]
               rows = [{ when = ["> 90"], condition = "n > 2" }, { when = ["-"] }]"#,
        );
        let dense = other
            .fast
            .as_ref()
            .and_then(|f| f.dense.as_ref())
            .expect("dense");
        assert!(dense.codes.contains(&CHECK));
        // So does one that compares an input with another input.
        let pair = table(
            &schema,
            r#"name = "t"
               inputs = ["recency", "quiet"]
               rows = [{ when = ["-", "-"], condition = "recency > quiet" }, { when = ["-", "-"] }]"#,
        );
        assert!(pair.fast.as_ref().is_some_and(|f| f.dense.is_none()));
    }

    #[test]
    fn classes_every_row_treats_alike_are_merged() {
        let schema = Schema::from_fields([
            Field::number("share").optional(),
            Field::symbol("stage", ["new", "active", "dormant", "churned"]).optional(),
        ])
        .expect("schema");
        let tiers = table(
            &schema,
            r#"name = "t"
               inputs = ["share", "stage"]
               rows = [
                   { when = ["< 0.20", "not(churned)"] },
                   { when = ["< 0.50", "-"] },
                   { when = ["-", "churned"] },
               ]"#,
        );
        let fast = tiers.fast.as_ref().expect("index");
        // `share`: below 0.20, [0.20, 0.50), and from 0.50 on with missing (not five
        // points and intervals plus missing); `stage`: new, active and dormant
        // together, churned, missing.
        let classes: Vec<usize> = fast.columns.iter().map(|c| c.classes).collect();
        assert_eq!(classes, vec![3, 3]);
        assert_eq!(fast.dense.as_ref().map(|d| d.codes.len()), Some(9));
    }
}
